//! The helpdesk mailer and `relaydoc config` end to end.
//!
//! Against the lab (Postfix + Dovecot on loopback, tests/lab/): messages sent with STARTTLS and
//! implicit TLS, logged in, are proven to ARRIVE by reading them from alice's Maildir, where
//! the lab's Postfix delivers (`$RELAYDOC_LAB_DIR/mail/example.test/alice/Maildir/{new,cur}`,
//! see tests/lab/mail/postfix/main.cf virtual_mailbox_base and start.sh's vmailbox). Failures
//! (wrong password, untrusted CA, refused recipient) are checked for clear errors. Run with
//! `tests/lab/run-with-lab.sh cargo test --test mailer`; without the lab those tests say
//! SKIPPED, unless RELAYDOC_REQUIRE_LAB=1 makes a missing lab fail.
//!
//! Scripted servers on 127.0.0.1:0 cover what the lab cannot (no STARTTLS, silence); config
//! parsing and `config check` need nothing running. Passwords come from the environment
//! variable; one test also goes through the OS keyring.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::isolated::relaydoc;
use common::lab::{Lab, fresh_source_address, mail_lab};
use relaydoc::config::SmtpConfig;
use relaydoc::mailer::{self, Delivered, MailError, OutgoingMail};
use relaydoc::vocab::Secret;
use relaydoc::vocab::Security;

const ALICE: &str = "alice@example.test";
/// The helpdesk's account in the lab: bob logs in and sends, alice is the caller.
const BOB: &str = "bob@example.test";
const BOB_PASSWORD: &str = "secret";

/// A token no other message in the mailbox has: tests find their own message by it.
fn token(test: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{test}-{}-{nanos}", std::process::id())
}

fn helpdesk(lab: &Lab, port: u16, security: Security) -> SmtpConfig {
    let mut smtp = SmtpConfig::new("127.0.0.1", "Lab Helpdesk <bob@example.test>");
    smtp.port = port;
    smtp.security = security;
    smtp.username = Some(BOB.to_string());
    smtp.ca_file = Some(lab.ca_file());
    // Above Dovecot's longest login penalty (15 s), so a slow answer is never a timeout.
    smtp.timeout = Duration::from_secs(20);
    smtp
}

fn steps_for(to: &str, token: &str) -> OutgoingMail {
    OutgoingMail {
        to: to.to_string(),
        subject: format!("Your mail settings {token}"),
        body: format!(
            "Hello,\n\nIn Thunderbird, open Account Settings > Outgoing Server (SMTP) and set\n\
             Authentication method: Normal password.\n\nGrüße, naïve café: ✓\n\n{token}\n"
        ),
    }
}

// ------------------------------------------------------------------ reading the lab mailbox

/// The delivered file (header and body as Postfix wrote it) of the message carrying `token`
/// in alice's Maildir, waiting for the queue manager to deliver it.
fn delivered_to_alice(lab: &Lab, token: &str) -> String {
    let maildir = lab.dir.join("mail/example.test/alice/Maildir");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        // new/ until a mail reader has seen it; cur/ after (POP3/IMAP tests log in as alice).
        for sub in ["new", "cur"] {
            for entry in std::fs::read_dir(maildir.join(sub))
                .into_iter()
                .flatten()
                .flatten()
            {
                if let Ok(text) = std::fs::read_to_string(entry.path())
                    && text.contains(token)
                {
                    return text;
                }
            }
        }
        if Instant::now() > deadline {
            let log = std::fs::read_to_string(lab.dir.join("log/postfix.log")).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(30).collect();
            panic!(
                "no message with {token} in {} after 30 s; the end of the Postfix log:\n{}",
                maildir.display(),
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A header's value (unfolded) from a raw message.
fn header(message: &str, name: &str) -> Option<String> {
    let (head, _) = message
        .split_once("\r\n\r\n")
        .or_else(|| message.split_once("\n\n"))?;
    let mut value: Option<String> = None;
    let mut lines = head.lines().peekable();
    while let Some(line) = lines.next() {
        if let Some((key, rest)) = line.split_once(':')
            && key.eq_ignore_ascii_case(name)
        {
            let mut text = rest.trim().to_string();
            while lines.peek().is_some_and(|l| l.starts_with([' ', '\t'])) {
                text.push(' ');
                text.push_str(lines.next().unwrap_or_default().trim());
            }
            value = Some(text);
            break;
        }
    }
    value
}

/// The body, decoded from quoted-printable (lettre's choice for mostly-ASCII UTF-8 text).
fn body_text(message: &str) -> String {
    let (_, body) = message
        .split_once("\r\n\r\n")
        .or_else(|| message.split_once("\n\n"))
        .expect("a body");
    let body = body.replace("\r\n", "\n");
    let mut bytes = Vec::new();
    let mut chars = body.as_bytes().iter().copied().peekable();
    while let Some(byte) = chars.next() {
        if byte != b'=' {
            bytes.push(byte);
            continue;
        }
        match chars.peek() {
            // A soft line break.
            Some(b'\n') => {
                chars.next();
            }
            _ => {
                let hi = chars.next();
                let lo = chars.next();
                let hex = [hi.unwrap_or(b'0'), lo.unwrap_or(b'0')];
                let text = std::str::from_utf8(&hex).expect("hex");
                bytes.push(u8::from_str_radix(text, 16).expect("quoted-printable hex"));
            }
        }
    }
    String::from_utf8(bytes).expect("the body is UTF-8")
}

fn assert_arrived(lab: &Lab, delivered: &Delivered, mail: &OutgoingMail, token: &str) {
    let message = delivered_to_alice(lab, token);
    assert_eq!(
        header(&message, "Subject").as_deref(),
        Some(mail.subject.as_str())
    );
    assert_eq!(
        header(&message, "From").as_deref(),
        Some("\"Lab Helpdesk\" <bob@example.test>")
    );
    assert_eq!(header(&message, "To").as_deref(), Some(ALICE));
    assert_eq!(
        header(&message, "Message-ID").as_deref(),
        Some(delivered.message_id.as_str())
    );
    assert!(header(&message, "Date").is_some(), "{message}");
    assert!(
        header(&message, "Content-Type").is_some_and(|v| v.contains("charset=utf-8")),
        "{message}"
    );
    let body = body_text(&message);
    assert_eq!(body.trim_end(), mail.body.trim_end(), "{message}");
    assert!(body.contains("Grüße, naïve café: ✓"));
}

// ------------------------------------------------------------------ sending through the lab

#[test]
fn starttls_with_login_delivers_to_the_mailbox() {
    let Some(lab) = mail_lab("starttls_with_login_delivers_to_the_mailbox") else {
        return;
    };
    let token = token("starttls");
    let mail = steps_for(ALICE, &token);
    let smtp = helpdesk(&lab, 2587, Security::Starttls);
    let delivered = mailer::send(&smtp, Some(&Secret::new(BOB_PASSWORD)), &mail)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(delivered.encrypted && delivered.authenticated);
    assert!(delivered.reply.starts_with("250"), "{}", delivered.reply);
    assert_eq!(delivered.server, "127.0.0.1:2587");
    assert_arrived(&lab, &delivered, &mail, &token);
    // The Received header Postfix adds says the session was encrypted and authenticated.
    let message = delivered_to_alice(&lab, &token);
    assert!(message.contains("ESMTPSA"), "{message}");
}

#[test]
fn implicit_tls_with_login_delivers_to_the_mailbox() {
    let Some(lab) = mail_lab("implicit_tls_with_login_delivers_to_the_mailbox") else {
        return;
    };
    let token = token("implicit-tls");
    let mail = steps_for(ALICE, &token);
    let smtp = helpdesk(&lab, 2465, Security::Tls);
    let delivered = mailer::send(&smtp, Some(&Secret::new(BOB_PASSWORD)), &mail)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(delivered.encrypted && delivered.authenticated);
    assert_arrived(&lab, &delivered, &mail, &token);
}

#[test]
fn ipv6_loopback_with_starttls_delivers() {
    let Some(lab) = mail_lab("ipv6_loopback_with_starttls_delivers") else {
        return;
    };
    let token = token("ipv6");
    let mail = steps_for(ALICE, &token);
    let mut smtp = helpdesk(&lab, 2587, Security::Starttls);
    smtp.host = String::from("::1");
    let delivered = mailer::send(&smtp, Some(&Secret::new(BOB_PASSWORD)), &mail)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(delivered.server, "[::1]:2587");
    assert_arrived(&lab, &delivered, &mail, &token);
}

#[tokio::test]
async fn without_encryption_or_login_to_a_local_mailbox() {
    let Some(lab) = mail_lab("without_encryption_or_login_to_a_local_mailbox") else {
        return;
    };
    // Port 2525 takes mail for its own domain from anyone, like an MX.
    let token = token("plain");
    let mail = steps_for(ALICE, &token);
    let mut smtp = helpdesk(&lab, 2525, Security::None);
    smtp.username = None;
    let delivered = mailer::send_async(&smtp, None, &mail)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!delivered.encrypted && !delivered.authenticated);
    assert_arrived(&lab, &delivered, &mail, &token);
}

#[test]
fn wrong_password_is_a_clear_authentication_error() {
    let Some(lab) = mail_lab("wrong_password_is_a_clear_authentication_error") else {
        return;
    };
    let mut smtp = helpdesk(&lab, 2587, Security::Starttls);
    smtp.source_address = Some(fresh_source_address());
    let canary = format!("wrong-{}-Kx7", std::process::id());
    let error = mailer::send(
        &smtp,
        Some(&Secret::new(canary.clone())),
        &steps_for(ALICE, &token("wrong-password")),
    )
    .expect_err("a wrong password is refused");
    assert_eq!(error.kind(), "auth-failed", "{error}");
    let text = error.to_string();
    assert!(
        text.contains("authentication failed for bob@example.test"),
        "{text}"
    );
    assert!(text.contains("(535)"), "{text}");
    assert!(text.contains("127.0.0.1:2587"), "{text}");
    assert!(!text.contains(&canary), "{text}");
    assert!(!format!("{error:?}").contains(&canary));
}

#[test]
fn a_certificate_from_an_unknown_ca_is_a_certificate_error() {
    let Some(lab) = mail_lab("a_certificate_from_an_unknown_ca_is_a_certificate_error") else {
        return;
    };
    let password = Secret::new(BOB_PASSWORD);
    let mail = steps_for(ALICE, &token("untrusted"));
    for (security, port) in [(Security::Starttls, 2587), (Security::Tls, 2465)] {
        // The system's roots only: the lab's private CA is not among them.
        let mut smtp = helpdesk(&lab, port, security);
        smtp.ca_file = None;
        let error = mailer::send(&smtp, Some(&password), &mail).expect_err("untrusted");
        assert_eq!(error.kind(), "certificate", "{port}: {error}");
        let text = error.to_string();
        assert!(text.contains("not trusted"), "{text}");
        assert!(text.contains("helpdesk.smtp.ca_file"), "{text}");
        // Another CA (the hostile-test fixtures') does not help either.
        smtp.ca_file = Some(fixture("tls/ca.crt"));
        let error = mailer::send(&smtp, Some(&password), &mail).expect_err("other CA");
        assert_eq!(error.kind(), "certificate", "{port}: {error}");
    }
}

#[test]
fn an_unknown_mailbox_is_a_refused_recipient() {
    let Some(lab) = mail_lab("an_unknown_mailbox_is_a_refused_recipient") else {
        return;
    };
    let smtp = helpdesk(&lab, 2587, Security::Starttls);
    let error = mailer::send(
        &smtp,
        Some(&Secret::new(BOB_PASSWORD)),
        &steps_for("nobody@example.test", &token("unknown")),
    )
    .expect_err("unknown user");
    assert_eq!(error.kind(), "recipient-refused", "{error}");
    let text = error.to_string();
    assert!(
        text.contains("refused the recipient nobody@example.test"),
        "{text}"
    );
    assert!(text.contains("550"), "{text}");
}

#[test]
fn relaying_without_login_is_refused_with_the_servers_reply() {
    let Some(lab) = mail_lab("relaying_without_login_is_refused_with_the_servers_reply") else {
        return;
    };
    let mut smtp = helpdesk(&lab, 2525, Security::Starttls);
    smtp.username = None;
    let error = mailer::send(
        &smtp,
        None,
        &steps_for("someone@example.org", &token("relay")),
    )
    .expect_err("relay denied");
    match &error {
        MailError::RecipientRefused { reply, .. } => {
            assert!(reply.starts_with("554"), "{reply}");
            assert!(reply.contains("Relay access denied"), "{reply}");
        }
        other => panic!("expected a refused recipient, got {other:?}"),
    }
}

// ------------------------------------------------------------------ no lab needed

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn local(port: u16, security: Security) -> SmtpConfig {
    let mut smtp = SmtpConfig::new("127.0.0.1", "helpdesk@example.test");
    smtp.port = port;
    smtp.security = security;
    smtp.timeout = Duration::from_secs(2);
    smtp
}

#[test]
fn bad_addresses_are_refused_before_any_connection() {
    // Port 9 (discard) on loopback: nothing is contacted, or the error would be "connect".
    for to in [
        "caller",
        "caller@",
        "<caller@example.org",
        "a@b.example\nRCPT TO:<x@y.example>",
    ] {
        let error =
            mailer::send(&local(9, Security::Starttls), None, &steps_for(to, "t")).expect_err(to);
        assert_eq!(error.kind(), "bad-recipient", "{to:?}: {error}");
        assert!(
            error.to_string().contains("is not an e-mail address"),
            "{error}"
        );
    }
}

#[test]
fn a_closed_port_is_a_connect_error_naming_it() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let error = mailer::send(
        &local(port, Security::Starttls),
        None,
        &steps_for(ALICE, "t"),
    )
    .expect_err("closed");
    assert_eq!(error.kind(), "connect", "{error}");
    assert!(
        error
            .to_string()
            .starts_with(&format!("cannot connect to 127.0.0.1:{port}: ")),
        "{error}"
    );
}

/// A scripted server on 127.0.0.1:0: `script` gets the accepted connection.
fn scripted(script: impl FnOnce(std::net::TcpStream) + Send + 'static) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        if let Ok((stream, _)) = listener.accept() {
            script(stream);
        }
    });
    port
}

#[test]
fn starttls_is_required_not_opportunistic() {
    let port = scripted(|stream| {
        let mut reader = BufReader::new(stream.try_clone().expect("clone"));
        let mut writer = stream;
        let _ = writer.write_all(b"220 fake.example ESMTP\r\n");
        let mut line = String::new();
        let mut commands = Vec::new();
        while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
            commands.push(line.trim().to_string());
            let reply: &[u8] = if line.starts_with("EHLO") {
                b"250-fake.example\r\n250 AUTH PLAIN LOGIN\r\n"
            } else if line.starts_with("QUIT") {
                b"221 bye\r\n"
            } else {
                // Anything else (MAIL, AUTH) would mean sending in the clear.
                b"250 ok\r\n"
            };
            let _ = writer.write_all(reply);
            assert!(
                !line.starts_with("AUTH") && !line.starts_with("MAIL"),
                "sent {line:?} without TLS"
            );
            line.clear();
        }
    });
    let mut smtp = local(port, Security::Starttls);
    smtp.username = Some(String::from("helpdesk"));
    let error = mailer::send(&smtp, Some(&Secret::new("x")), &steps_for(ALICE, "t"))
        .expect_err("no STARTTLS");
    assert_eq!(error.kind(), "no-starttls", "{error}");
    assert!(error.to_string().contains("nothing was sent"), "{error}");
}

#[test]
fn a_silent_server_is_a_timeout_not_a_hang() {
    let port = scripted(|stream| {
        // Accept, say nothing, hold the connection open past the client's timeout.
        std::thread::sleep(Duration::from_secs(5));
        drop(stream);
    });
    let mut smtp = local(port, Security::Starttls);
    smtp.timeout = Duration::from_millis(500);
    let started = Instant::now();
    let error = mailer::send(&smtp, None, &steps_for(ALICE, "t")).expect_err("silent");
    // The server only hangs up after 5 s: without the client's own timeout the error would be
    // a closed connection, so the kind proves the timeout (speed belongs to benchmarks).
    assert_eq!(error.kind(), "timeout", "{error}");
    eprintln!("silent server given up after {:?}", started.elapsed());
    assert!(error.to_string().contains("127.0.0.1"), "{error}");
}

#[test]
fn server_replies_are_made_safe_to_print() {
    let port = scripted(|stream| {
        let mut reader = BufReader::new(stream.try_clone().expect("clone"));
        let mut writer = stream;
        let _ = writer.write_all(b"220 fake.example ESMTP\r\n");
        let mut line = String::new();
        while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
            let reply: &[u8] = if line.starts_with("EHLO") {
                b"250 fake.example\r\n"
            } else if line.starts_with("RCPT") {
                b"550 5.1.1 \x1b]0;owned\x07no such user \x1b[2Jhere\r\n"
            } else if line.starts_with("QUIT") {
                b"221 bye\r\n"
            } else {
                b"250 ok\r\n"
            };
            let _ = writer.write_all(reply);
            line.clear();
        }
    });
    let error = mailer::send(&local(port, Security::None), None, &steps_for(ALICE, "t"))
        .expect_err("refused");
    let text = error.to_string();
    assert_eq!(error.kind(), "recipient-refused", "{text}");
    assert!(text.contains("550 5.1.1 no such user here"), "{text}");
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text:?}"
    );
}

/// An implicit-TLS server on 127.0.0.1:0 with the fixture certificate `name` (made for
/// mail.example.test and 127.0.0.1 by the fixtures' own CA, see tests/fixtures/tls/README.md),
/// speaking enough SMTP to take a message.
async fn tls_server(name: &'static str) -> u16 {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(fixture(&format!("tls/{name}.crt")))
            .expect("cert file")
            .collect::<Result<_, _>>()
            .expect("certs");
    let key = PrivateKeyDer::from_pem_file(fixture(&format!("tls/{name}.key"))).expect("key");
    let config = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let Ok(tls) = acceptor.accept(stream).await else {
            return;
        };
        let mut reader = tokio::io::BufReader::new(tls);
        let _ = reader.get_mut().write_all(b"220 mx ESMTP\r\n").await;
        let mut line = String::new();
        let mut in_data = false;
        while reader.read_line(&mut line).await.is_ok_and(|n| n > 0) {
            let answer: &[u8] = if in_data {
                if line != ".\r\n" {
                    line.clear();
                    continue;
                }
                in_data = false;
                b"250 2.0.0 queued\r\n"
            } else if line.starts_with("EHLO") {
                b"250 mx\r\n"
            } else if line.starts_with("DATA") {
                in_data = true;
                b"354 go on\r\n"
            } else if line.starts_with("QUIT") {
                b"221 bye\r\n"
            } else {
                b"250 ok\r\n"
            };
            if reader.get_mut().write_all(answer).await.is_err() {
                break;
            }
            line.clear();
        }
    });
    port
}

#[tokio::test]
async fn certificate_problems_are_named() {
    for (name, words) in [
        ("wrong-name", "different name"),
        ("expired", "expired"),
        ("good", ""),
    ] {
        let port = tls_server(name).await;
        let mut smtp = local(port, Security::Tls);
        smtp.ca_file = Some(fixture("tls/ca.crt"));
        let result = mailer::send_async(&smtp, None, &steps_for(ALICE, "t")).await;
        match (result, words) {
            (Ok(delivered), "") => assert_eq!(delivered.reply, "250 2.0.0 queued"),
            (Err(error), words) if !words.is_empty() => {
                assert_eq!(error.kind(), "certificate", "{name}: {error}");
                assert!(error.to_string().contains(words), "{name}: {error}");
            }
            (other, _) => panic!("{name}: {other:?}"),
        }
    }
}

// ------------------------------------------------------------------ relaydoc config (binary)

fn write_config(home: &Path, text: &str) -> PathBuf {
    let dir = home.join(".config/relaydoc");
    std::fs::create_dir_all(&dir).expect("config dir");
    let path = dir.join("config.yaml");
    std::fs::write(&path, text).expect("write config");
    path
}

#[test]
fn config_check_reports_line_and_column_and_exits_2() {
    let home = tempfile::tempdir().expect("home");
    let path = write_config(
        home.path(),
        "helpdesk:\n  smtp:\n    host: smtp.example.com\n    from: helpdesk@example.com\n    password: hunter2\n    port: many\n",
    );
    let output = relaydoc(home.path())
        .args(["config", "check"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let shown = path.display().to_string();
    assert!(
        stderr.contains(&format!(
            "{shown}:5:5: `helpdesk.smtp.password`: passwords never go in the config file"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "{shown}:6:11: `helpdesk.smtp.port` must be a port number"
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

#[test]
fn config_check_without_a_file_is_ok_with_the_defaults() {
    let home = tempfile::tempdir().expect("home");
    let output = relaydoc(home.path())
        .args(["config", "check"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("not there; the defaults apply: ok"),
        "{stdout}"
    );
    let sessions = home.path().join(".local/share/relaydoc/sessions");
    assert!(stdout.contains(&sessions.display().to_string()), "{stdout}");
}

#[test]
fn config_path_and_show_follow_the_flag_and_the_environment() {
    let home = tempfile::tempdir().expect("home");
    let other = home.path().join("team.yaml");
    std::fs::write(&other, "helpdesk:\n  agent: Sam\n").expect("write");
    let json = |args: &[&str], env: Option<&Path>| {
        let mut command = relaydoc(home.path());
        if let Some(path) = env {
            command.env("RELAYDOC_CONFIG", path);
        }
        let output = command.args(args).output().expect("run");
        assert_eq!(output.status.code(), Some(0), "{args:?}: {output:?}");
        serde_json::from_slice::<serde_json::Value>(&output.stdout).expect("json")
    };
    let default = json(&["config", "path", "--json"], None);
    assert_eq!(default["origin"], "default");
    assert_eq!(default["exists"], false);
    let flag = json(
        &[
            "--config",
            other.to_str().expect("utf-8"),
            "config",
            "path",
            "--json",
        ],
        None,
    );
    assert_eq!(flag["origin"], "--config");
    assert_eq!(flag["exists"], true);
    let env = json(&["config", "show", "--json"], Some(&other));
    assert_eq!(env["helpdesk"]["agent"], "Sam");
    assert_eq!(env["sessions"]["save"], true);
    // A file named on purpose must exist.
    let output = relaydoc(home.path())
        .args(["--config", "/nonexistent/relaydoc.yaml", "config", "show"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no such config file"));
}

fn lab_config(lab: &Lab, port: u16, security: &str) -> String {
    format!(
        "helpdesk:\n  agent: Sam\n  smtp:\n    host: 127.0.0.1\n    port: {port}\n    security: {security}\n    username: {BOB}\n    from: \"Lab Helpdesk <{BOB}>\"\n    ca_file: {}\n    timeout: 20\n",
        lab.ca_file().display()
    )
}

#[test]
fn config_send_test_with_the_password_from_the_environment() {
    let Some(lab) = mail_lab("config_send_test_with_the_password_from_the_environment") else {
        return;
    };
    let home = tempfile::tempdir().expect("home");
    write_config(home.path(), &lab_config(&lab, 2587, "starttls"));
    let check = relaydoc(home.path())
        .env("RELAYDOC_SMTP_PASSWORD", BOB_PASSWORD)
        .args(["config", "check"])
        .output()
        .expect("run");
    assert_eq!(check.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert!(stdout.contains(": ok"), "{stdout}");
    assert!(
        stdout.contains("password: from the environment variable RELAYDOC_SMTP_PASSWORD (set)"),
        "{stdout}"
    );
    assert!(!stdout.contains(BOB_PASSWORD), "{stdout}");

    let output = relaydoc(home.path())
        .env("RELAYDOC_SMTP_PASSWORD", BOB_PASSWORD)
        .args(["config", "send-test", "--to", ALICE, "--json"])
        .output()
        .expect("run");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    assert_eq!(report["sent"], true);
    assert_eq!(
        report["password_source"],
        "the environment variable RELAYDOC_SMTP_PASSWORD"
    );
    let id = report["delivered"]["message_id"].as_str().expect("id");
    let message = delivered_to_alice(&lab, id);
    assert_eq!(
        header(&message, "Subject").as_deref(),
        Some("relaydoc test message")
    );
}

#[test]
fn config_send_test_without_a_password_names_both_ways_to_give_one() {
    let home = tempfile::tempdir().expect("home");
    // A user no keyring entry can exist for (the keyring test stores one for bob), and a port
    // nothing listens on: the error must come before any connection.
    let user = format!("nobody-{}@example.test", std::process::id());
    write_config(
        home.path(),
        &format!(
            "helpdesk:\n  smtp:\n    host: 127.0.0.1\n    port: 9\n    username: {user}\n    from: {user}\n"
        ),
    );
    let output = relaydoc(home.path())
        .args(["config", "send-test", "--to", ALICE])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("no SMTP password for {user}")),
        "{stderr}"
    );
    assert!(stderr.contains("RELAYDOC_SMTP_PASSWORD"), "{stderr}");
    assert!(stderr.contains("relaydoc config set-password"), "{stderr}");
}

#[test]
fn config_send_test_wrong_password_exits_1_with_the_auth_error() {
    let Some(lab) = mail_lab("config_send_test_wrong_password_exits_1_with_the_auth_error") else {
        return;
    };
    let home = tempfile::tempdir().expect("home");
    let mut text = lab_config(&lab, 2465, "tls");
    text.push_str(&format!("    source_address: {}\n", fresh_source_address()));
    write_config(home.path(), &text);
    let output = relaydoc(home.path())
        .env("RELAYDOC_SMTP_PASSWORD", "not-the-password")
        .args(["config", "send-test", "--to", ALICE])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("authentication failed for bob@example.test"),
        "{stderr}"
    );
    assert!(!stderr.contains("not-the-password"), "{stderr}");
}

/// The OS keyring end to end: set-password from stdin, check sees it, send-test uses it,
/// delete-password removes it. Keys are per system user, so this is the only test that
/// stores one, and it removes it again.
#[test]
fn config_password_in_the_os_keyring() {
    let Some(lab) = mail_lab("config_password_in_the_os_keyring") else {
        return;
    };
    let home = tempfile::tempdir().expect("home");
    write_config(home.path(), &lab_config(&lab, 2465, "tls"));
    let set = relaydoc(home.path())
        .args(["config", "set-password", "--password-stdin"])
        .write_stdin(format!("{BOB_PASSWORD}\n"))
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&set.stderr);
    if set.status.code() == Some(3) {
        // A kernel without keyrings, or one a sandbox forbids (seccomp): what users see there.
        assert!(
            stderr.contains("cannot store the password in the OS keyring"),
            "{stderr}"
        );
        assert!(stderr.contains("RELAYDOC_SMTP_PASSWORD"), "{stderr}");
        eprintln!("config_password_in_the_os_keyring: SKIPPED: no usable keyring here: {stderr}");
        return;
    }
    assert_eq!(set.status.code(), Some(0), "{stderr}");
    let remove = || {
        relaydoc(home.path())
            .args(["config", "delete-password"])
            .output()
            .expect("run")
    };
    let check = relaydoc(home.path())
        .args(["config", "check", "--json"])
        .output()
        .expect("run");
    let report: serde_json::Value = serde_json::from_slice(&check.stdout).expect("json");
    let sent = relaydoc(home.path())
        .args(["config", "send-test", "--to", ALICE, "--json"])
        .output()
        .expect("run");
    // Removed before any assertion, so a failure leaves no password behind.
    let removed = remove();
    assert_eq!(report["password"]["source"], "keyring", "{report:#}");
    assert_eq!(report["password"]["keyring"], "present", "{report:#}");
    assert!(!String::from_utf8_lossy(&check.stdout).contains(BOB_PASSWORD));
    let result: serde_json::Value = serde_json::from_slice(&sent.stdout).expect("json");
    assert_eq!(sent.status.code(), Some(0), "{result:#}");
    assert!(
        result["password_source"]
            .as_str()
            .is_some_and(|s| s.contains("OS keyring")),
        "{result:#}"
    );
    assert_eq!(removed.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&removed.stdout).contains("Removed"));
    let again = remove();
    assert!(String::from_utf8_lossy(&again.stdout).contains("nothing to remove"));
}

#[test]
fn config_help_teaches_every_key_and_has_examples() {
    let home = tempfile::tempdir().expect("home");
    let output = relaydoc(home.path())
        .args(["config", "--help"])
        .output()
        .expect("run");
    let help = String::from_utf8_lossy(&output.stdout);
    for key in [
        "sessions:",
        "save:",
        "dir:",
        "agent:",
        "smtp:",
        "host:",
        "port:",
        "security:",
        "username:",
        "from:",
        "password_env:",
        "ca_file:",
        "timeout:",
        "relaydoc config set-password",
        "Examples:",
        "Exit codes",
    ] {
        assert!(help.contains(key), "config --help lacks {key:?}:\n{help}");
    }
    for sub in [
        "path",
        "show",
        "check",
        "set-password",
        "delete-password",
        "send-test",
    ] {
        let output = relaydoc(home.path())
            .args(["config", sub, "--help"])
            .output()
            .expect("run");
        assert!(
            String::from_utf8_lossy(&output.stdout).contains("Example"),
            "config {sub} --help has no example"
        );
    }
}

// ------------------------------------------------------------------ sessions send

/// A finished user session for alice, made by the real binary in `home`: Thunderbird, sign-in
/// switched off. Returns its id.
fn finished_session(home: &Path) -> String {
    let walk = relaydoc(home)
        .args([
            "wizard",
            "--json",
            "--fact",
            "error.where=client",
            "--fact",
            "client.smtp_auth=off",
            "--fact",
            "client.id=thunderbird",
            "--fact",
            &format!("account.email={ALICE}"),
        ])
        .output()
        .expect("run the wizard");
    assert!(walk.status.success(), "{walk:?}");
    let list = relaydoc(home)
        .args(["sessions", "list", "--json"])
        .output()
        .expect("run sessions list");
    let rows: serde_json::Value = serde_json::from_slice(&list.stdout).expect("json");
    rows[0]["id"].as_str().expect("a session id").to_string()
}

#[test]
fn sessions_send_emails_the_callers_steps_to_the_lab_mailbox() {
    let Some(lab) = mail_lab("sessions_send_emails_the_callers_steps_to_the_lab_mailbox") else {
        return;
    };
    let home = tempfile::tempdir().expect("home");
    write_config(home.path(), &lab_config(&lab, 2587, "starttls"));
    let id = finished_session(home.path());
    let token = token("sessions-send");

    // No --to: the address the session learned (alice's) is used.
    let output = relaydoc(home.path())
        .env("RELAYDOC_SMTP_PASSWORD", BOB_PASSWORD)
        .args([
            "sessions",
            "send",
            &id,
            "--subject",
            &format!("Your steps {token}"),
        ])
        .output()
        .expect("run sessions send");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(
        stdout.contains(&format!("Sent the steps to {ALICE}")),
        "{stdout}"
    );

    let message = delivered_to_alice(&lab, &token);
    let from = header(&message, "From").unwrap_or_default();
    assert!(
        from.contains("Lab Helpdesk") && from.contains("<bob@example.test>"),
        "{from}"
    );
    assert_eq!(header(&message, "To").as_deref(), Some(ALICE));
    let body = body_text(&message);
    // The caller's own program's steps, the reference to quote, the helpdesk's signature.
    assert!(body.contains("for Thunderbird"), "{body}");
    assert!(
        body.contains("Turn on sign-in for the outgoing server"),
        "{body}"
    );
    assert!(body.contains("Account Settings"), "{body}");
    assert!(
        body.contains(&format!("mention the reference {id}")),
        "{body}"
    );
    assert!(body.contains("Sam"), "{body}");
    assert!(!body.contains(BOB_PASSWORD), "{body}");

    // The session remembers that the steps went out, and the ticket says so.
    let show = relaydoc(home.path())
        .args(["sessions", "show", &id, "--json"])
        .output()
        .expect("run sessions show");
    let session: serde_json::Value = serde_json::from_slice(&show.stdout).expect("json");
    let sent: Vec<&serde_json::Value> = session["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|event| event["kind"] == "sent")
        .collect();
    assert_eq!(sent.len(), 1, "{session:#}");
    assert_eq!(sent[0]["to"], ALICE);
    let ticket = relaydoc(home.path())
        .args(["sessions", "show", &id])
        .output()
        .expect("run sessions show");
    assert!(
        String::from_utf8_lossy(&ticket.stdout).contains(&format!("Steps emailed to {ALICE}")),
        "{ticket:?}"
    );
}

#[test]
fn sessions_send_says_what_is_missing() {
    let home = tempfile::tempdir().expect("home");
    let id = finished_session(home.path());
    // No helpdesk server in the config.
    let output = relaydoc(home.path())
        .args(["sessions", "send", &id, "--to", ALICE])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("no helpdesk SMTP server is set up"),
        "{output:?}"
    );
    // A run that has not reached a solution has no steps to send.
    let store = relaydoc::session::Store::open(home.path().join(".local/share/relaydoc/sessions"))
        .expect("the store");
    let mut session = store.load(&id).expect("the session");
    session.status.finished = false;
    store.save(&session).expect("saved");
    write_config(
        home.path(),
        "helpdesk:\n  smtp:\n    host: 127.0.0.1\n    port: 9\n    security: starttls\n    from: help@example.test\n",
    );
    let output = relaydoc(home.path())
        .args(["sessions", "send", &id, "--to", ALICE])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("has not reached a solution yet"),
        "{output:?}"
    );
}

/// The full-screen wizard's `e` key and the plain wizard's offer send through the same
/// configured sender: given a letter (the steps of the mail program on screen), it delivers
/// them with the session reference and the agent's signature.
#[test]
fn the_tui_email_key_sends_through_the_configured_server() {
    use relaydoc::session::mail::{Letter, StepsSender};
    let Some(lab) = mail_lab("the_tui_email_key_sends_through_the_configured_server") else {
        return;
    };
    let config = relaydoc::config::parse(
        &lab_config(&lab, 2465, "tls").replace("Sam", "Robin"),
        "test config",
        Path::new("/"),
    )
    .expect("the lab config parses");
    let mut sender = relaydoc::session::mail::ConfiguredSender::from_config(&config)
        .expect("a sender for a config with a server");
    sender.password = Some(Secret::new(BOB_PASSWORD));
    let token = token("tui-email");
    let letter = Letter {
        to: ALICE.to_string(),
        steps: relaydoc::session::export::CallerSteps {
            client: "Apple Mail".into(),
            title: format!("Turn on sign-in {token}"),
            text: "1. Open Mail > Settings > Accounts.\n".into(),
        },
        reference: "20261122-213000-beef".into(),
        agent: Some("Robin".into()),
    };
    let confirmation = sender.send(&letter).expect("sent");
    assert!(confirmation.contains("127.0.0.1:2465"), "{confirmation}");
    let message = delivered_to_alice(&lab, &token);
    assert_eq!(
        header(&message, "Subject").as_deref(),
        Some(format!("Your email settings: Turn on sign-in {token}").as_str())
    );
    let body = body_text(&message);
    assert!(body.contains("for Apple Mail"), "{body}");
    assert!(body.contains("Open Mail > Settings > Accounts."), "{body}");
    assert!(
        body.contains("mention the reference 20261122-213000-beef"),
        "{body}"
    );
    assert!(body.trim_end().ends_with("Robin"), "{body}");
}
