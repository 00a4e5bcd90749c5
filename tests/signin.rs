//! Sign-in against scripted SMTP servers on 127.0.0.1:0, through the real binary:
//!
//! - providers' refusals (Google, Microsoft, Yahoo, QQ; texts quoted from real sessions, see
//!   `src/checks/smtp/signin.rs`) are read into `auth.refusal`, and "wrong password" is said
//!   only when the reply proves it;
//! - OAuth2: a server that implements XOAUTH2 and OAUTHBEARER, the JSON error continuation
//!   included, and insists on the client's finishing response;
//! - secrets: a server that echoes everything it received (plain, base64, decoded) in every
//!   later reply; the canary password and the canary token appear in no output of any
//!   mechanism or command (human, `--json`, `--transcript`, stderr, `config send-test`).
//!
//! The servers are plain threads (the binary is another process). No test asserts time.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::thread;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::Value;

const USER: &str = "alice@example.test";
const CANARY_PASSWORD: &str = "canary-Pw-7f3a9c";
const CANARY_TOKEN: &str = "ya29.canary-token-5d1e8b";

/// How a scripted server answers AUTH.
#[derive(Debug, Clone)]
enum Script {
    /// Every AUTH ends with this (possibly multi-line) reply.
    Refuse(&'static str),
    /// XOAUTH2/OAUTHBEARER done right: "good-token" is accepted; any other token gets the
    /// JSON error continuation, then 535 only after the finishing response the mechanism
    /// requires (empty line / AQ==), 501 after anything else.
    OAuth,
    /// Echoes every line received, and its base64-decoded form, in this and every later reply.
    Echo,
    /// The same, but the sign-in succeeds (235, echoing): what `check send` needs to go on.
    EchoAccepting,
}

fn serve(script: Script) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let script = script.clone();
            thread::spawn(move || converse(stream, &script, addr.port()));
        }
    });
    addr
}

/// Printable text of decoded bytes (controls as `^A`-style marks, so echoes stay one line).
fn printable(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .chars()
        .map(|c| if c.is_control() { '|' } else { c })
        .collect()
}

fn converse(stream: TcpStream, script: &Script, port: u16) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(20)));
    let mut writer = stream.try_clone().expect("clone");
    let mut reader = BufReader::new(stream);
    let mut send = |text: &str| writer.write_all(text.as_bytes()).is_ok();
    let mut echoed = String::new();
    if !send("220 mx.example.test ESMTP scripted\r\n") {
        return;
    }
    let mut line = String::new();
    // The mechanism in progress and its step.
    let mut pending: Option<(String, u8)> = None;
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let command = line.trim_end_matches(['\r', '\n']).to_owned();
        let echo = matches!(script, Script::Echo | Script::EchoAccepting);
        let verdict = if matches!(script, Script::EchoAccepting) {
            "235 2.7.0 ok"
        } else {
            "535 5.7.8 no"
        };
        if echo {
            let decoded = BASE64
                .decode(command.split_whitespace().last().unwrap_or(""))
                .map(|bytes| printable(&bytes))
                .unwrap_or_default();
            echoed = format!("{echoed} got [{command}] = [{decoded}]");
        }
        let upper = command.to_ascii_uppercase();
        let reply: String = if let Some((mechanism, step)) = pending.take() {
            match (script, mechanism.as_str(), step) {
                (_, "LOGIN", 1) if echo => {
                    pending = Some((mechanism, 2));
                    format!("334 UGFzc3dvcmQ6{echoed}\r\n")
                }
                _ if echo => format!("{verdict}{echoed}\r\n"),
                (Script::OAuth, "XOAUTH2", _) if command.is_empty() => {
                    "535 5.7.8 Username and Password not accepted. https://support.google.com/mail/?p=BadCredentials\r\n".to_owned()
                }
                (Script::OAuth, "OAUTHBEARER", _) if command == "AQ==" => {
                    "535 5.7.8 Authentication failed\r\n".to_owned()
                }
                _ => "501 5.5.2 wrong finishing response\r\n".to_owned(),
            }
        } else if upper.starts_with("EHLO") {
            "250-mx.example.test\r\n250-AUTH PLAIN LOGIN CRAM-MD5 XOAUTH2 OAUTHBEARER\r\n250 8BITMIME\r\n".to_owned()
        } else if upper.starts_with("AUTH ") {
            let mut parts = command.split_whitespace().skip(1);
            let mechanism = parts.next().unwrap_or("").to_ascii_uppercase();
            let initial = parts.next();
            match script {
                Script::Refuse(text) => text.to_string(),
                Script::Echo | Script::EchoAccepting => match (mechanism.as_str(), initial) {
                    ("LOGIN", None) => {
                        pending = Some((mechanism, 1));
                        format!("334 VXNlcm5hbWU6{echoed}\r\n")
                    }
                    ("CRAM-MD5", None) => {
                        pending = Some((mechanism, 1));
                        "334 PDEyMzQ1LjY3ODlAbXguZXhhbXBsZS50ZXN0Pg==\r\n".to_owned()
                    }
                    _ => format!("{verdict}{echoed}\r\n"),
                },
                Script::OAuth => {
                    let payload = BASE64
                        .decode(initial.unwrap_or(""))
                        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
                        .unwrap_or_default();
                    let expected_prefix = match mechanism.as_str() {
                        "XOAUTH2" => format!("user={USER}\x01auth=Bearer "),
                        "OAUTHBEARER" => {
                            format!("n,a={USER},\x01host=127.0.0.1\x01port={port}\x01auth=Bearer ")
                        }
                        _ => String::from("\u{0}never"),
                    };
                    match payload
                        .strip_prefix(&expected_prefix)
                        .and_then(|rest| rest.strip_suffix("\x01\x01"))
                    {
                        None => "501 5.5.2 malformed initial response\r\n".to_owned(),
                        Some("good-token") => "235 2.7.0 Accepted\r\n".to_owned(),
                        Some(_) => {
                            pending = Some((mechanism, 1));
                            let json = r#"{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}"#;
                            format!("334 {}\r\n", BASE64.encode(json))
                        }
                    }
                }
            }
        } else if upper.starts_with("MAIL") {
            format!("250 2.1.0 Ok{echoed}\r\n")
        } else if upper.starts_with("RCPT") {
            format!("554 5.7.1 <friend@example.org>: Relay access denied{echoed}\r\n")
        } else if upper.starts_with("RSET") {
            format!("250 2.0.0 Ok{echoed}\r\n")
        } else if upper.starts_with("QUIT") {
            let _ = send(&format!("221 2.0.0 Bye{echoed}\r\n"));
            return;
        } else {
            format!("502 5.5.2 unknown{echoed}\r\n")
        };
        if !send(&reply) {
            return;
        }
    }
}

fn relaydoc(home: &Path) -> assert_cmd::Command {
    let mut command = common::isolated::relaydoc(home);
    command.timeout(Duration::from_secs(60));
    command
}

/// `check auth` against `addr` without TLS (the scripted servers speak plain SMTP).
fn check_auth(
    home: &Path,
    addr: SocketAddr,
    mechanism: &str,
    extra: &[&str],
) -> assert_cmd::Command {
    let mut command = relaydoc(home);
    command
        .args(["--timeout", "5", "check", "auth", "127.0.0.1"])
        .args(["--port", &addr.port().to_string(), "--security", "none"])
        .args([
            "--allow-plaintext-auth",
            "--user",
            USER,
            "--mechanism",
            mechanism,
        ])
        .args(extra);
    command
}

/// Everything a run printed.
fn all_output(output: &std::process::Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn json(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stdout).expect("one JSON document on stdout")
}

// ---------------------------------------------------------------- provider refusals

/// (reply, auth.refusal, auth.result, words the person must see)
const REFUSALS: [(&str, &str, &str, &str); 8] = [
    (
        "534-5.7.9 Application-specific password required. Learn more at\r\n534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor o13sm2119833lfg.90 - gsmtp\r\n",
        "app-password-required",
        "mechanism-rejected",
        "app password",
    ),
    (
        "534-5.7.14 <https://accounts.google.com/signin/continue?sarp=1&scc=1> Please log in via your web browser and\r\n534-5.7.14 then try again.\r\n534-5.7.14  Learn more at\r\n534 5.7.14  https://support.google.com/mail/answer/78754 100sm8943270iot.39 - gsmtp\r\n",
        "web-login-required",
        "mechanism-rejected",
        "web browser",
    ),
    (
        "535-5.7.8 Username and Password not accepted. Learn more at\r\n535 5.7.8  https://support.google.com/mail/?p=BadCredentials j88sm1532869qgf.7 - gsmtp\r\n",
        "bad-credentials",
        "failed",
        "https://myaccount.google.com/apppasswords",
    ),
    (
        "535 5.7.139 Authentication unsuccessful, basic authentication is disabled. [PN0PR01CA0024.INDPRD01.PROD.OUTLOOK.COM 2025-01-26T18:54:30.055Z 08DD3DD7D75D7743]\r\n",
        "basic-auth-disabled",
        "mechanism-rejected",
        "OAuth2",
    ),
    (
        "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information. [TY1PR01CA0183.jpnprd01.prod.outlook.com]\r\n",
        "smtp-auth-disabled",
        "not-enabled",
        "Microsoft 365 admin centre",
    ),
    (
        "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox. Visit https://aka.ms/smtp_auth_disabled for more information.\r\n",
        "smtp-auth-disabled",
        "not-enabled",
        "Authenticated SMTP",
    ),
    (
        "535 5.7.3 Authentication unsuccessful [BN6PR11CA0050.namprd11.prod.outlook.com]\r\n",
        "other",
        "other",
        "may not sign in with a password",
    ),
    (
        "535 5.7.0 (#AUTH005) Too many bad auth attempts.\r\n",
        "app-password-required",
        "mechanism-rejected",
        "https://help.yahoo.com/kb/SLN15241.html",
    ),
];

#[test]
fn provider_refusals_are_read_into_their_real_meaning() {
    let home = tempfile::tempdir().expect("home");
    for (reply, refusal, result, words) in REFUSALS {
        let addr = serve(Script::Refuse(reply));
        let output = check_auth(home.path(), addr, "PLAIN", &["--json"])
            .env("RELAYDOC_PASSWORD", CANARY_PASSWORD)
            .output()
            .expect("runs");
        assert_eq!(
            output.status.code(),
            Some(1),
            "{reply}: {}",
            all_output(&output)
        );
        let report = json(&output);
        assert_eq!(report["facts"]["auth.refusal"], refusal, "{reply}");
        assert_eq!(report["facts"]["auth.result"], result, "{reply}");

        let output = check_auth(home.path(), serve(Script::Refuse(reply)), "PLAIN", &[])
            .env("RELAYDOC_PASSWORD", CANARY_PASSWORD)
            .output()
            .expect("runs");
        let text = all_output(&output);
        assert!(text.contains(words), "{reply}: {text}");
        if refusal != "bad-credentials" {
            for claim in ["wrong password", "rejected the user name or password"] {
                assert!(!text.contains(claim), "{reply} claims {claim:?}: {text}");
            }
        }
    }
}

// ---------------------------------------------------------------- OAuth2

#[test]
fn oauth2_sign_in_works_with_both_mechanisms() {
    let home = tempfile::tempdir().expect("home");
    let token_file = home.path().join("token");
    std::fs::write(&token_file, "good-token\n").expect("write");
    for mechanism in ["XOAUTH2", "OAUTHBEARER"] {
        let addr = serve(Script::OAuth);
        let output = check_auth(home.path(), addr, mechanism, &["--json"])
            .arg("--token-file")
            .arg(&token_file)
            .output()
            .expect("runs");
        assert_eq!(
            output.status.code(),
            Some(0),
            "{mechanism}: {}",
            all_output(&output)
        );
        let report = json(&output);
        assert_eq!(report["facts"]["auth.result"], "ok");
        assert_eq!(report["facts"]["auth.mechanism"], mechanism);
    }
    // From standard input and from the environment, too.
    let output = check_auth(
        home.path(),
        serve(Script::OAuth),
        "XOAUTH2",
        &["--token-file", "-"],
    )
    .write_stdin("good-token\n")
    .output()
    .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", all_output(&output));
    let output = check_auth(home.path(), serve(Script::OAuth), "OAUTHBEARER", &[])
        .env("RELAYDOC_OAUTH_TOKEN", "good-token")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", all_output(&output));
}

#[test]
fn a_refused_token_is_explained_and_the_exchange_finished() {
    let home = tempfile::tempdir().expect("home");
    for mechanism in ["XOAUTH2", "OAUTHBEARER"] {
        let addr = serve(Script::OAuth);
        let output = check_auth(home.path(), addr, mechanism, &["--json"])
            .env("RELAYDOC_OAUTH_TOKEN", CANARY_TOKEN)
            .output()
            .expect("runs");
        let text = all_output(&output);
        assert_eq!(output.status.code(), Some(1), "{mechanism}: {text}");
        assert!(!text.contains(CANARY_TOKEN), "{text}");
        let report = json(&output);
        let auth = &report["details"]["dialogue"]["auth"];
        // 535 proves the exchange was finished as the mechanism requires (else 501).
        assert_eq!(auth["reply"]["code"], 535, "{mechanism}: {auth:#}");
        assert_eq!(auth["oauth_error"]["status"], "401");
        assert_eq!(auth["oauth_error"]["scope"], "https://mail.google.com/");
        let human = check_auth(home.path(), serve(Script::OAuth), mechanism, &[])
            .env("RELAYDOC_OAUTH_TOKEN", CANARY_TOKEN)
            .output()
            .expect("runs");
        let words = all_output(&human);
        assert!(words.contains("refused the access token"), "{words}");
        assert!(words.contains("expired"), "{words}");
    }
}

#[test]
fn a_token_is_never_taken_from_the_command_line_and_never_with_a_password_mechanism() {
    let home = tempfile::tempdir().expect("home");
    let addr = serve(Script::OAuth);
    let output = check_auth(home.path(), addr, "PLAIN", &["--token-file", "-"])
        .write_stdin("good-token\n")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(all_output(&output).contains("not an access token"));
    // A FIFO or device is no token file.
    let output = check_auth(home.path(), addr, "XOAUTH2", &["--token-file", "/dev/zero"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(all_output(&output).contains("not a regular file"));
}

// ---------------------------------------------------------------- secrets never shown

/// Every form of the canaries that must never appear.
fn canary_forms() -> Vec<String> {
    let mut forms = vec![
        CANARY_PASSWORD.to_owned(),
        BASE64.encode(CANARY_PASSWORD),
        BASE64.encode(format!("\0{USER}\0{CANARY_PASSWORD}")),
        CANARY_TOKEN.to_owned(),
        BASE64.encode(CANARY_TOKEN),
        BASE64.encode(format!("user={USER}\x01auth=Bearer {CANARY_TOKEN}\x01\x01")),
    ];
    // The stable middle of each canary's base64 inside longer text, at every alignment.
    for secret in [CANARY_PASSWORD, CANARY_TOKEN] {
        for offset in 0..3usize {
            let mut bytes = vec![b'x'; offset];
            bytes.extend_from_slice(secret.as_bytes());
            let encoded = BASE64.encode(&bytes);
            let first = (offset * 8).div_ceil(6);
            let end = (offset + secret.len()) * 8 / 6;
            forms.push(encoded[first..end].to_owned());
        }
    }
    forms
}

fn assert_no_canary(label: &str, text: &str) {
    for form in canary_forms() {
        assert!(
            !text.contains(&form),
            "{label}: {form:?} appears in:\n{text}"
        );
    }
}

#[test]
fn an_echoing_server_never_gets_a_secret_shown_by_any_mechanism() {
    let home = tempfile::tempdir().expect("home");
    for mechanism in ["PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2", "OAUTHBEARER"] {
        for flags in [&["--json"][..], &["--transcript"][..], &[][..]] {
            let addr = serve(Script::Echo);
            let output = check_auth(home.path(), addr, mechanism, flags)
                .env("RELAYDOC_PASSWORD", CANARY_PASSWORD)
                .env("RELAYDOC_OAUTH_TOKEN", CANARY_TOKEN)
                .output()
                .expect("runs");
            let text = all_output(&output);
            assert_no_canary(&format!("check auth {mechanism} {flags:?}"), &text);
            // The echo did reach relaydoc: masked, not dropped.
            assert!(text.contains("****"), "{mechanism} {flags:?}: {text}");
        }
    }
}

#[test]
fn an_echoing_server_never_gets_a_secret_shown_by_relay_account_or_send_test() {
    let home = tempfile::tempdir().expect("home");
    for (label, mechanism_flags) in [
        ("password", &["--mechanism", "LOGIN"][..]),
        ("token", &["--mechanism", "XOAUTH2"][..]),
    ] {
        for flags in [&["--json"][..], &["--transcript"][..]] {
            let addr = serve(Script::Echo);
            let output = relaydoc(home.path())
                .env("RELAYDOC_PASSWORD", CANARY_PASSWORD)
                .env("RELAYDOC_OAUTH_TOKEN", CANARY_TOKEN)
                .args(["--timeout", "5", "check", "relay", "127.0.0.1"])
                .args(["--port", &addr.port().to_string(), "--security", "none"])
                .args([
                    "--allow-plaintext-auth",
                    "--from",
                    USER,
                    "--to",
                    "friend@example.org",
                ])
                .args(["--user", USER])
                .args(mechanism_flags)
                .args(flags)
                .output()
                .expect("runs");
            let text = all_output(&output);
            assert_no_canary(&format!("check relay {label} {flags:?}"), &text);
            assert!(text.contains("****"), "{label}: {text}");
        }
    }

    let addr = serve(Script::Echo);
    // A DNS server that never answers, on loopback: the account's DNS checks stay local.
    let quiet_dns = std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|socket| socket.local_addr())
        .expect("a free port");
    for flags in [&["--json"][..], &[][..]] {
        let output = relaydoc(home.path())
            .env("RELAYDOC_PASSWORD", CANARY_PASSWORD)
            .args(["--dns-server", &quiet_dns.to_string()])
            .args(["--timeout", "2", "check", "account", USER])
            .args(["--server", "127.0.0.1", "--port", &addr.port().to_string()])
            .args([
                "--security",
                "none",
                "--allow-plaintext-auth",
                "--mechanism",
                "PLAIN",
            ])
            .args(flags)
            .output()
            .expect("runs");
        assert_no_canary(&format!("check account {flags:?}"), &all_output(&output));
    }

    // check send: our sign-in test, then lettre's own session with the same password.
    for flags in [&["--json"][..], &[][..]] {
        let addr = serve(Script::EchoAccepting);
        let output = relaydoc(home.path())
            .env("RELAYDOC_PASSWORD", CANARY_PASSWORD)
            .args(["--timeout", "5", "check", "send", "127.0.0.1"])
            .args(["--port", &addr.port().to_string(), "--security", "none"])
            .args([
                "--allow-plaintext-auth",
                "--user",
                USER,
                "--mechanism",
                "PLAIN",
            ])
            .args(["--from", USER, "--to", "friend@example.org"])
            .args(flags)
            .output()
            .expect("runs");
        let text = all_output(&output);
        assert_no_canary(&format!("check send {flags:?}"), &text);
        assert!(
            text.contains("Relay access denied"),
            "lettre's part ran: {text}"
        );
    }

    let config = home.path().join("config.yaml");
    std::fs::write(
        &config,
        format!(
            "helpdesk:\n  smtp:\n    host: 127.0.0.1\n    port: {}\n    security: none\n    allow_plaintext_auth: true\n    username: {USER}\n    from: {USER}\n    timeout: 5\n",
            serve(Script::Echo).port()
        ),
    )
    .expect("write config");
    for flags in [&["--json"][..], &[][..]] {
        let output = relaydoc(home.path())
            .env("RELAYDOC_SMTP_PASSWORD", CANARY_PASSWORD)
            .arg("--config")
            .arg(&config)
            .args(["config", "send-test", "--to", "caller@example.org"])
            .args(flags)
            .output()
            .expect("runs");
        let text = all_output(&output);
        assert_ne!(output.status.code(), Some(0), "{text}");
        assert_no_canary(&format!("config send-test {flags:?}"), &text);
    }
}

#[test]
fn check_account_reads_a_provider_refusal_without_calling_it_a_wrong_password() {
    let home = tempfile::tempdir().expect("home");
    let quiet_dns = std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|socket| socket.local_addr())
        .expect("a free port");
    let (google_app_password, _, _, _) = REFUSALS[0];
    let addr = serve(Script::Refuse(google_app_password));
    let output = relaydoc(home.path())
        .env("RELAYDOC_PASSWORD", CANARY_PASSWORD)
        .args(["--dns-server", &quiet_dns.to_string()])
        .args(["--timeout", "2", "check", "account", USER])
        .args(["--server", "127.0.0.1", "--port", &addr.port().to_string()])
        .args(["--security", "none", "--allow-plaintext-auth", "--json"])
        .output()
        .expect("runs");
    let text = all_output(&output);
    let report = json(&output);
    assert_eq!(
        report["facts"]["auth.refusal"], "app-password-required",
        "{text}"
    );
    assert_eq!(
        report["details"]["tree_facts"]["auth.refusal"],
        "app-password-required"
    );
    assert!(
        report["details"]["tree_facts"]
            .get("server.auth_works")
            .is_none()
    );
    let summary = report["details"]["summary"].to_string();
    assert!(summary.contains("app password"), "{summary}");
    assert!(
        !summary.contains("refused the user name or password"),
        "{summary}"
    );
}
