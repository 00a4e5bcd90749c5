//! Hostile and broken SMTP servers, scripted inside the tests on 127.0.0.1:0: each must end
//! the check with a clear, phase-named result within its step timeout: no hang, no panic.
//!
//! Every check runs with a 1 s step timeout; a 60 s guard around each test turns a hang into
//! a failure instead of a stuck test run. No test asserts elapsed time.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use relaydoc::checks::smtp::conn::Limits;
use relaydoc::checks::smtp::session::{Endpoint, Mechanism, Options, Secret, Security};
use relaydoc::checks::smtp::tls::Trust;
use relaydoc::checks::smtp::{AuthRequest, auth_check, probe_check};
use relaydoc::checks::{CheckReport, Status};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

const STEP: Duration = Duration::from_secs(1);
const GUARD: Duration = Duration::from_secs(60);

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tls")
        .join(name)
}

fn options() -> Options {
    Options {
        limits: Limits::with_timeout(STEP),
        trust: Trust::from_ca_file(&fixture("ca.crt")).expect("fixture CA"),
        helo_name: String::from("client.example.test"),
    }
}

fn endpoint(addr: SocketAddr, security: Security) -> Endpoint {
    Endpoint {
        host: String::from("mail.example.test"),
        addr,
        security,
        local_ip: None,
    }
}

/// Starts a one-connection server on 127.0.0.1:0 running `script`.
async fn serve<F, Fut>(script: F) -> SocketAddr
where
    F: FnOnce(TcpStream) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        if let Ok((stream, _)) = listener.accept().await {
            script(stream).await;
        }
    });
    addr
}

/// Reads one command line from the client (None when it is gone).
async fn read_command<S: AsyncRead + Unpin>(reader: &mut BufReader<S>) -> Option<String> {
    let mut line = String::new();
    match reader.read_line(&mut line).await {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(line.trim_end().to_string()),
    }
}

async fn guarded(check: impl Future<Output = CheckReport>) -> CheckReport {
    tokio::time::timeout(GUARD, check)
        .await
        .expect("the check hung past its guard")
}

fn error_of(report: &CheckReport) -> (String, String, String) {
    assert_eq!(report.status, Status::Error, "report: {:#}", report.details);
    let error = &report.details["error"];
    (
        error["phase"].as_str().unwrap_or_default().to_string(),
        error["kind"].as_str().unwrap_or_default().to_string(),
        error["message"].as_str().unwrap_or_default().to_string(),
    )
}

fn auth_request(addr: SocketAddr, security: Security) -> AuthRequest {
    AuthRequest {
        endpoint: endpoint(addr, security),
        user: String::from("alice@example.test"),
        password: Secret::new(String::from("hostile-test-password")),
        mechanism: Some(Mechanism::Plain),
        allow_plaintext: true,
    }
}

/// Holds the connection open without a word until the client gives up.
async fn hold_silently(stream: TcpStream) {
    let mut reader = BufReader::new(stream);
    while read_command(&mut reader).await.is_some() {}
}

#[tokio::test]
async fn stall_at_banner_times_out_in_banner() {
    let addr = serve(hold_silently).await;
    let report = guarded(probe_check(&endpoint(addr, Security::None), &options())).await;
    let (phase, kind, message) = error_of(&report);
    assert_eq!((phase.as_str(), kind.as_str()), ("banner", "timeout"));
    assert!(message.contains("--security tls"), "{message}");
    assert_eq!(report.facts["server.reachable"], "no");
}

#[tokio::test]
async fn stall_mid_ehlo_times_out_in_ehlo() {
    let addr = serve(|stream| async move {
        let mut reader = BufReader::new(stream);
        let _ = reader.get_mut().write_all(b"220 mx ESMTP\r\n").await;
        let _ = read_command(&mut reader).await;
        let _ = reader
            .get_mut()
            .write_all(b"250-mx\r\n250-PIPELINING\r\n")
            .await;
        while read_command(&mut reader).await.is_some() {}
    })
    .await;
    let report = guarded(probe_check(&endpoint(addr, Security::None), &options())).await;
    let (phase, kind, _) = error_of(&report);
    assert_eq!((phase.as_str(), kind.as_str()), ("ehlo", "timeout"));
}

#[tokio::test]
async fn service_unavailable_banner_is_a_finding_not_a_crash() {
    let addr = serve(|mut stream| async move {
        let _ = stream
            .write_all(b"421 4.3.2 Service not available, closing channel\r\n")
            .await;
        hold_silently(stream).await;
    })
    .await;
    let report = guarded(probe_check(&endpoint(addr, Security::None), &options())).await;
    assert_eq!(report.status, Status::Problem);
    assert_eq!(report.facts["server.banner_code"], "421");
    let findings = report.details["findings"].to_string();
    assert!(findings.contains("banner-refused"), "{findings}");
}

#[tokio::test]
async fn endless_continuation_lines_end_in_a_protocol_error() {
    let addr = serve(|stream| async move {
        let mut reader = BufReader::new(stream);
        let _ = reader.get_mut().write_all(b"220 mx ESMTP\r\n").await;
        let _ = read_command(&mut reader).await;
        loop {
            if reader
                .get_mut()
                .write_all(b"250-X-AGAIN\r\n")
                .await
                .is_err()
            {
                break;
            }
        }
    })
    .await;
    let report = guarded(probe_check(&endpoint(addr, Security::None), &options())).await;
    let (phase, kind, message) = error_of(&report);
    assert_eq!((phase.as_str(), kind.as_str()), ("ehlo", "protocol"));
    assert!(message.contains("lines"), "{message}");
}

#[tokio::test]
async fn megabyte_line_is_refused_without_buffering_it() {
    let addr = serve(|mut stream| async move {
        let mut line = b"220 ".to_vec();
        line.extend(std::iter::repeat_n(b'a', 1 << 20));
        line.extend_from_slice(b"\r\n");
        let _ = stream.write_all(&line).await;
        hold_silently(stream).await;
    })
    .await;
    let report = guarded(probe_check(&endpoint(addr, Security::None), &options())).await;
    let (phase, kind, message) = error_of(&report);
    assert_eq!((phase.as_str(), kind.as_str()), ("banner", "protocol"));
    assert!(message.contains("longer than"), "{message}");
}

#[tokio::test]
async fn invalid_utf8_is_read_lossily() {
    let addr = serve(|stream| async move {
        let mut reader = BufReader::new(stream);
        let _ = reader
            .get_mut()
            .write_all(b"220 mx \xff\xfe ESMTP\r\n")
            .await;
        let _ = read_command(&mut reader).await;
        let _ = reader
            .get_mut()
            .write_all(b"250-mx\xc3\x28\r\n250 AUTH PLAIN\r\n")
            .await;
        if read_command(&mut reader).await.is_some() {
            let _ = reader.get_mut().write_all(b"221 bye\r\n").await;
        }
    })
    .await;
    let report = guarded(probe_check(&endpoint(addr, Security::None), &options())).await;
    assert_ne!(report.status, Status::Error, "{:#}", report.details);
    let banner = report.details["dialogue"]["banner"]["lines"][0]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(banner.contains('\u{fffd}'), "{banner:?}");
    assert_eq!(report.facts["server.auth_mechanisms"], "PLAIN");
}

#[tokio::test]
async fn garbage_instead_of_implicit_tls_fails_in_tls() {
    let addr = serve(|mut stream| async move {
        let _ = stream
            .write_all(b"HTTP/1.1 400 Bad Request\r\n\r\nthis is not TLS at all\r\n")
            .await;
        hold_silently(stream).await;
    })
    .await;
    let report = guarded(probe_check(&endpoint(addr, Security::Tls), &options())).await;
    let (phase, kind, _) = error_of(&report);
    assert_eq!((phase.as_str(), kind.as_str()), ("tls", "tls"));
}

#[tokio::test]
async fn garbage_after_starttls_fails_in_tls() {
    let addr = serve(|stream| async move {
        let mut reader = BufReader::new(stream);
        let _ = reader.get_mut().write_all(b"220 mx ESMTP\r\n").await;
        let _ = read_command(&mut reader).await;
        let _ = reader
            .get_mut()
            .write_all(b"250-mx\r\n250 STARTTLS\r\n")
            .await;
        let _ = read_command(&mut reader).await;
        let _ = reader.get_mut().write_all(b"220 go ahead\r\n").await;
        // Wait for the ClientHello, then answer it with nonsense.
        let mut hello = [0u8; 16];
        let _ = tokio::io::AsyncReadExt::read(reader.get_mut(), &mut hello).await;
        let _ = reader.get_mut().write_all(&[0x42; 64]).await;
        while read_command(&mut reader).await.is_some() {}
    })
    .await;
    let report = guarded(probe_check(&endpoint(addr, Security::Starttls), &options())).await;
    let (phase, kind, _) = error_of(&report);
    assert_eq!((phase.as_str(), kind.as_str()), ("tls", "tls"));
}

/// A TLS server (implicit TLS) with the fixture certificate `name`, speaking enough SMTP to
/// offer AUTH PLAIN and answer it.
async fn tls_server(name: &'static str) -> SocketAddr {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(fixture(&format!("{name}.crt")))
            .expect("cert file")
            .collect::<Result<_, _>>()
            .expect("certs");
    let key = PrivateKeyDer::from_pem_file(fixture(&format!("{name}.key"))).expect("key");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    serve(move |stream| async move {
        let Ok(tls) = acceptor.accept(stream).await else {
            return;
        };
        smtp_script(tls).await;
    })
    .await
}

/// Banner, EHLO with AUTH PLAIN, then 235 for AUTH and 221 for QUIT.
async fn smtp_script<S: AsyncRead + AsyncWrite + Unpin>(stream: S) {
    let mut reader = BufReader::new(stream);
    let _ = reader.get_mut().write_all(b"220 mx ESMTP\r\n").await;
    while let Some(command) = read_command(&mut reader).await {
        let answer: &[u8] = if command.starts_with("EHLO") {
            b"250-mx\r\n250 AUTH PLAIN\r\n"
        } else if command.starts_with("AUTH") {
            b"235 2.7.0 ok\r\n"
        } else if command.starts_with("QUIT") {
            let _ = reader.get_mut().write_all(b"221 bye\r\n").await;
            break;
        } else {
            b"250 ok\r\n"
        };
        if reader.get_mut().write_all(answer).await.is_err() {
            break;
        }
    }
}

#[tokio::test]
async fn expired_certificate_stops_auth_in_tls() {
    let addr = tls_server("expired").await;
    let report = guarded(auth_check(&auth_request(addr, Security::Tls), &options())).await;
    let (phase, kind, message) = error_of(&report);
    assert_eq!((phase.as_str(), kind.as_str()), ("tls", "tls"));
    assert!(message.contains("expired"), "{message}");
}

#[tokio::test]
async fn expired_certificate_is_a_probe_finding() {
    let addr = tls_server("expired").await;
    let report = guarded(probe_check(&endpoint(addr, Security::Tls), &options())).await;
    assert_eq!(report.status, Status::Problem, "{:#}", report.details);
    assert_eq!(report.facts["tls.certificate"], "expired");
    let days: i64 = report.facts["tls.days_to_expiry"].parse().expect("days");
    assert!(days < 0);
}

#[tokio::test]
async fn wrong_name_certificate_stops_auth_in_tls() {
    let addr = tls_server("wrong-name").await;
    let report = guarded(auth_check(&auth_request(addr, Security::Tls), &options())).await;
    let (phase, kind, message) = error_of(&report);
    assert_eq!((phase.as_str(), kind.as_str()), ("tls", "tls"));
    assert!(message.contains("different name"), "{message}");
}

#[tokio::test]
async fn wrong_name_certificate_is_a_probe_finding() {
    let addr = tls_server("wrong-name").await;
    let report = guarded(probe_check(&endpoint(addr, Security::Tls), &options())).await;
    assert_eq!(report.status, Status::Problem);
    assert_eq!(report.facts["tls.certificate"], "name-mismatch");
}

#[tokio::test]
async fn good_certificate_lets_auth_through() {
    // The control case for the two above: same server, valid certificate.
    let addr = tls_server("good").await;
    let report = guarded(auth_check(&auth_request(addr, Security::Tls), &options())).await;
    assert_eq!(report.status, Status::Ok, "{:#}", report.details);
    assert_eq!(report.facts["tls.certificate"], "valid");
}

#[tokio::test]
async fn reset_mid_auth_fails_in_auth() {
    let addr = serve(|stream| async move {
        let mut reader = BufReader::new(stream);
        let _ = reader.get_mut().write_all(b"220 mx ESMTP\r\n").await;
        let _ = read_command(&mut reader).await;
        let _ = reader
            .get_mut()
            .write_all(b"250-mx\r\n250 AUTH PLAIN LOGIN\r\n")
            .await;
        let _ = read_command(&mut reader).await;
        // Linger 0: close with a TCP reset instead of an orderly FIN.
        let stream = reader.into_inner();
        let _ = stream.set_zero_linger();
        drop(stream);
    })
    .await;
    let report = guarded(auth_check(&auth_request(addr, Security::None), &options())).await;
    let (phase, kind, _) = error_of(&report);
    assert_eq!((phase.as_str(), kind.as_str()), ("auth", "closed"));
}

#[tokio::test]
async fn slow_drip_is_cut_off_by_the_step_deadline() {
    let addr = serve(|mut stream| async move {
        let _ = stream.write_all(b"220").await;
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if stream.write_all(b"-").await.is_err() {
                break;
            }
        }
    })
    .await;
    let report = guarded(probe_check(&endpoint(addr, Security::None), &options())).await;
    let (phase, kind, _) = error_of(&report);
    assert_eq!((phase.as_str(), kind.as_str()), ("banner", "timeout"));
}

#[tokio::test]
async fn connection_refused_is_a_connect_error() {
    // Bind, learn the port, close: nothing listens there any more.
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let report = guarded(probe_check(&endpoint(addr, Security::None), &options())).await;
    let (phase, kind, _) = error_of(&report);
    assert_eq!((phase.as_str(), kind.as_str()), ("connect", "refused"));
}

#[tokio::test]
async fn data_injected_before_tls_is_refused() {
    // STARTTLS command injection (CVE-2011-0411 style): the server pipelines bytes after 220.
    let addr = serve(|stream| async move {
        let mut reader = BufReader::new(stream);
        let _ = reader.get_mut().write_all(b"220 mx ESMTP\r\n").await;
        let _ = read_command(&mut reader).await;
        let _ = reader
            .get_mut()
            .write_all(b"250-mx\r\n250 STARTTLS\r\n")
            .await;
        let _ = read_command(&mut reader).await;
        let _ = reader
            .get_mut()
            .write_all(b"220 go ahead\r\n250 injected\r\n")
            .await;
        while read_command(&mut reader).await.is_some() {}
    })
    .await;
    let report = guarded(probe_check(&endpoint(addr, Security::Starttls), &options())).await;
    let (phase, kind, message) = error_of(&report);
    assert_eq!((phase.as_str(), kind.as_str()), ("tls", "protocol"));
    assert!(message.contains("before the TLS handshake"), "{message}");
}

#[tokio::test]
async fn helo_fallback_when_ehlo_is_unknown() {
    // An ancient server: EHLO is "command unrecognized", HELO works.
    let addr = serve(|stream| async move {
        let mut reader = BufReader::new(stream);
        let _ = reader.get_mut().write_all(b"220 old-mx SMTP\r\n").await;
        while let Some(command) = read_command(&mut reader).await {
            let answer: &[u8] = if command.starts_with("EHLO") {
                b"502 5.5.2 Error: command not recognized\r\n"
            } else if command.starts_with("HELO") {
                b"250 old-mx\r\n"
            } else {
                let _ = reader.get_mut().write_all(b"221 bye\r\n").await;
                break;
            };
            if reader.get_mut().write_all(answer).await.is_err() {
                break;
            }
        }
    })
    .await;
    let report = guarded(probe_check(&endpoint(addr, Security::Starttls), &options())).await;
    assert_eq!(report.status, Status::Problem, "{:#}", report.details);
    let greeting = &report.details["dialogue"]["ehlo_before_tls"];
    assert_eq!(greeting["verb"], "HELO");
    assert_eq!(greeting["capabilities"]["greeting"], "old-mx");
    assert_eq!(report.facts["server.auth_offered"], "no");
    assert_eq!(report.facts["server.starttls_offered"], "no");
}

#[test]
fn cli_timeout_option_bounds_every_step() {
    // The real binary against a server that accepts and never speaks: --timeout 0.5 must end
    // it as a banner timeout with exit code 3 and a JSON error, whatever the default is.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let holder = std::thread::spawn(move || {
        let accepted = listener.accept();
        std::thread::sleep(Duration::from_secs(3));
        drop(accepted);
    });
    let home = tempfile::tempdir().expect("home");
    let output = assert_cmd::Command::cargo_bin("relaydoc")
        .expect("binary")
        .env("HOME", home.path())
        .args(["--timeout", "0.5", "check", "smtp", "127.0.0.1", "--json"])
        .args(["--port", &port.to_string(), "--security", "none"])
        .timeout(GUARD)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(3), "{output:?}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(report["details"]["error"]["phase"], "banner");
    assert_eq!(report["details"]["error"]["kind"], "timeout");
    let _ = holder.join();
}

#[tokio::test]
async fn total_bytes_are_bounded_across_replies() {
    // Each reply is within the line and line-count limits; together they exceed the
    // connection's byte budget (lowered here so the test stays small).
    let addr = serve(|stream| async move {
        let mut reader = BufReader::new(stream);
        let mut banner = Vec::new();
        for _ in 0..20 {
            banner.extend_from_slice(b"220-");
            banner.extend(std::iter::repeat_n(b'x', 1000));
            banner.extend_from_slice(b"\r\n");
        }
        banner.extend_from_slice(b"220 ready\r\n");
        let _ = reader.get_mut().write_all(&banner).await;
        while read_command(&mut reader).await.is_some() {}
    })
    .await;
    let options = Options {
        limits: Limits {
            max_total_bytes: 10_000,
            ..Limits::with_timeout(STEP)
        },
        ..options()
    };
    let report = guarded(probe_check(&endpoint(addr, Security::None), &options)).await;
    let (phase, kind, message) = error_of(&report);
    assert_eq!((phase.as_str(), kind.as_str()), ("banner", "protocol"));
    assert!(message.contains("more than 10000 bytes"), "{message}");
}

/// A POP3 server (implicit TLS) that echoes the password it received, in plain and base64,
/// in its answer to PASS and in the goodbye: neither may reach the outcome.
#[tokio::test]
async fn a_pop3_server_echoing_the_password_gets_it_masked() {
    use base64::Engine as _;
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    const CANARY: &str = "pop3-canary-Pw-91b2";
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(fixture("good.crt"))
        .expect("cert file")
        .collect::<Result<_, _>>()
        .expect("certs");
    let key = PrivateKeyDer::from_pem_file(fixture("good.key")).expect("key");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let addr = serve(move |stream| async move {
        let Ok(tls) = acceptor.accept(stream).await else {
            return;
        };
        let mut reader = BufReader::new(tls);
        let _ = reader.get_mut().write_all(b"+OK POP3 ready\r\n").await;
        while let Some(command) = read_command(&mut reader).await {
            let secret = command.strip_prefix("PASS ").unwrap_or("");
            let reply = if command.starts_with("USER") {
                String::from("+OK\r\n")
            } else {
                let encoded = base64::engine::general_purpose::STANDARD.encode(secret);
                format!("-ERR [AUTH] you sent {secret} ({encoded})\r\n")
            };
            if reader.get_mut().write_all(reply.as_bytes()).await.is_err() {
                return;
            }
        }
    })
    .await;
    let outcome = tokio::time::timeout(
        GUARD,
        relaydoc::checks::smtp::pop3::login(
            &endpoint(addr, Security::Tls),
            &options(),
            "alice@example.test",
            &Secret::new(String::from(CANARY)),
        ),
    )
    .await
    .expect("the login hung past its guard");
    let everything = serde_json::to_string(&outcome).expect("serialises");
    assert!(!outcome.logged_in);
    assert!(!everything.contains(CANARY), "{everything}");
    let encoded = base64::engine::general_purpose::STANDARD.encode(CANARY);
    assert!(!everything.contains(&encoded), "{everything}");
    assert!(
        outcome
            .answer
            .as_deref()
            .is_some_and(|a| a.contains("****")),
        "{everything}"
    );
}
