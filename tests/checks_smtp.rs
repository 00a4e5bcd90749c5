//! The SMTP checks against the real lab (Postfix + Dovecot on loopback, tests/lab/), through
//! the library and through the real binary. Run with
//! `tests/lab/run-with-lab.sh cargo test --test checks_smtp`; without the lab each test says
//! SKIPPED, unless RELAYDOC_REQUIRE_LAB=1 makes a missing lab fail.
//!
//! Port map (tests/lab/mail/postfix/master.cf): 2525 MX-like (AUTH after STARTTLS, 554),
//! 2587 submission (STARTTLS required), 2465 implicit TLS, 2526 no permit_sasl_authenticated,
//! 2527 defer_unauth_destination (454), 2528 soft_bounce (454), 2529 AUTH before STARTTLS,
//! 2530 no AUTH, 2531 POP-before-SMTP; Dovecot POP3 2110 (STLS).

mod common;

use common::isolated::relaydoc;

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::time::Duration;

use common::lab::{Lab, fresh_source_address, mail_lab};
use relaydoc::checks::smtp::conn::Limits;
use relaydoc::checks::smtp::session::{Endpoint, Mechanism, Options, Secret, Security};
use relaydoc::checks::smtp::tls::Trust;
use relaydoc::checks::smtp::{
    AuthRequest, PopBeforeSmtpRequest, RelayRequest, SendRequest, auth_check,
    pop_before_smtp_check, probe_check, probe_ports_check, relay_check, send_check,
};
use relaydoc::checks::{CheckReport, Status};

const ALICE: &str = "alice@example.test";
const OUTSIDE: &str = "someone@example.org";

fn options(lab: &Lab) -> Options {
    Options {
        // Above Dovecot's longest login penalty (15 s), so a slow answer is never a timeout.
        limits: Limits::with_timeout(Duration::from_secs(20)),
        trust: Trust::from_ca_file(&lab.ca_file()).expect("lab CA"),
        helo_name: String::from("client.example.test"),
    }
}

fn at(ip: &str, port: u16, security: Security) -> Endpoint {
    let ip: IpAddr = ip.parse().expect("ip");
    Endpoint {
        host: ip.to_string(),
        addr: SocketAddr::new(ip, port),
        security,
        local_ip: None,
    }
}

fn v4(port: u16, security: Security) -> Endpoint {
    at("127.0.0.1", port, security)
}

fn password(value: &str) -> Secret {
    Secret::new(value.to_string())
}

fn relay(endpoint: Endpoint, user: Option<(&str, &str)>) -> RelayRequest {
    RelayRequest {
        endpoint,
        from: ALICE.into(),
        to: OUTSIDE.into(),
        credentials: user.map(|(u, p)| (u.to_string(), password(p))),
        mechanism: None,
        allow_plaintext: false,
        login_only: false,
    }
}

fn auth(endpoint: Endpoint, user: &str, pass: &str) -> AuthRequest {
    AuthRequest {
        endpoint,
        user: user.into(),
        password: password(pass),
        mechanism: None,
        allow_plaintext: false,
    }
}

fn fact<'a>(report: &'a CheckReport, key: &str) -> &'a str {
    report
        .facts
        .get(key)
        .map(String::as_str)
        .unwrap_or_else(|| panic!("no fact {key}: {:?}\n{:#}", report.facts, report.details))
}

fn causes(report: &CheckReport) -> String {
    report.details["findings"].to_string()
}

#[tokio::test]
async fn unauthenticated_relay_on_2525_gets_554() {
    let Some(lab) = mail_lab("unauthenticated_relay_on_2525_gets_554") else {
        return;
    };
    let report = relay_check(&relay(v4(2525, Security::Starttls), None), &options(&lab)).await;
    assert_eq!(report.status, Status::Problem);
    assert_eq!(fact(&report, "relay.unauthenticated"), "rejected-554");
    assert_eq!(fact(&report, "relay.code"), "554");
    let rcpt = &report.details["unauthenticated"]["rcpt"];
    assert_eq!(rcpt["enhanced"]["subject"], 7);
    assert!(rcpt.to_string().contains("Relay access denied"), "{rcpt}");
    assert!(causes(&report).contains("client-auth-off"));
}

#[tokio::test]
async fn authenticated_relay_on_2525_is_accepted() {
    let Some(lab) = mail_lab("authenticated_relay_on_2525_is_accepted") else {
        return;
    };
    let request = relay(v4(2525, Security::Starttls), Some((ALICE, "password")));
    let report = relay_check(&request, &options(&lab)).await;
    assert_eq!(report.status, Status::Ok, "{:#}", report.details);
    assert_eq!(fact(&report, "relay.unauthenticated"), "rejected-554");
    assert_eq!(fact(&report, "relay.authenticated"), "accepted");
    assert_eq!(fact(&report, "auth.result"), "ok");
    // Nothing is sent: the dialogue ends with RSET and QUIT after RCPT.
    let transcript = report.details["authenticated"]["evidence"]["transcript"].to_string();
    assert!(transcript.contains("RSET") && !transcript.contains("DATA"));
}

#[tokio::test]
async fn submission_2587_offers_auth_only_after_starttls() {
    let Some(lab) = mail_lab("submission_2587_offers_auth_only_after_starttls") else {
        return;
    };
    let report = probe_check(&v4(2587, Security::Starttls), &options(&lab)).await;
    assert_eq!(report.status, Status::Ok, "{:#}", report.details);
    assert_eq!(fact(&report, "server.starttls_offered"), "yes");
    assert_eq!(fact(&report, "server.auth_before_tls"), "no");
    assert_eq!(fact(&report, "server.auth_only_after_tls"), "yes");
    assert_eq!(
        fact(&report, "server.auth_mechanisms"),
        "PLAIN LOGIN CRAM-MD5"
    );
    assert_eq!(fact(&report, "tls.certificate"), "valid");
    assert_eq!(fact(&report, "tls.version"), "TLSv1.3");
    assert!(
        fact(&report, "tls.days_to_expiry")
            .parse::<i64>()
            .expect("days")
            > 0
    );
    assert!(causes(&report).contains("tls-required-for-auth"));
    let after = &report.details["dialogue"]["ehlo_after_tls"]["capabilities"];
    assert_eq!(after["size"], 10_240_000);
    assert_eq!(after["pipelining"], true);
    assert_eq!(after["enhanced_status_codes"], true);
    assert_eq!(after["smtputf8"], true);
    assert_eq!(after["eight_bit_mime"], true);
    assert_eq!(after["starttls"], false);
}

#[tokio::test]
async fn plaintext_login_on_2525_is_impossible_before_tls() {
    let Some(lab) = mail_lab("plaintext_login_on_2525_is_impossible_before_tls") else {
        return;
    };
    let mut request = auth(v4(2525, Security::None), ALICE, "password");
    request.allow_plaintext = true;
    let report = auth_check(&request, &options(&lab)).await;
    assert_eq!(report.status, Status::Problem);
    assert_eq!(fact(&report, "auth.result"), "not-offered");
    assert!(causes(&report).contains("tls-required-for-auth"));
}

#[tokio::test]
async fn port_2529_offers_auth_before_starttls() {
    let Some(lab) = mail_lab("port_2529_offers_auth_before_starttls") else {
        return;
    };
    let probe = probe_check(&v4(2529, Security::Starttls), &options(&lab)).await;
    assert_eq!(fact(&probe, "server.auth_before_tls"), "yes");
    assert_eq!(fact(&probe, "server.auth_only_after_tls"), "no");

    // Without permission, relaydoc refuses to send a password unencrypted ...
    let refused = auth_check(
        &auth(v4(2529, Security::None), ALICE, "password"),
        &options(&lab),
    )
    .await;
    assert_eq!(refused.status, Status::Error);
    assert_eq!(refused.details["error"]["phase"], "auth");
    assert_eq!(refused.details["error"]["kind"], "refusal");
    // ... and with it, the plaintext login works, preferring CRAM-MD5 (no password sent).
    let mut request = auth(v4(2529, Security::None), ALICE, "password");
    request.allow_plaintext = true;
    let report = auth_check(&request, &options(&lab)).await;
    assert_eq!(report.status, Status::Ok, "{:#}", report.details);
    assert_eq!(fact(&report, "auth.mechanism"), "CRAM-MD5");
}

#[tokio::test]
async fn port_2530_offers_no_auth() {
    let Some(lab) = mail_lab("port_2530_offers_no_auth") else {
        return;
    };
    let report = auth_check(
        &auth(v4(2530, Security::Starttls), ALICE, "password"),
        &options(&lab),
    )
    .await;
    assert_eq!(report.status, Status::Problem);
    assert_eq!(fact(&report, "server.auth_offered"), "no");
    assert_eq!(fact(&report, "auth.result"), "not-offered");
    assert!(causes(&report).contains("server-sasl-disabled"));
}

#[tokio::test]
async fn port_2526_refuses_relay_even_after_login() {
    let Some(lab) = mail_lab("port_2526_refuses_relay_even_after_login") else {
        return;
    };
    let request = relay(v4(2526, Security::Starttls), Some((ALICE, "password")));
    let report = relay_check(&request, &options(&lab)).await;
    assert_eq!(report.status, Status::Problem);
    assert_eq!(fact(&report, "auth.result"), "ok");
    assert_eq!(fact(&report, "relay.authenticated"), "rejected-554");
    assert!(causes(&report).contains("relay-restrictions-misconfigured"));
}

#[tokio::test]
async fn port_2527_defers_with_454() {
    let Some(lab) = mail_lab("port_2527_defers_with_454") else {
        return;
    };
    let report = relay_check(&relay(v4(2527, Security::Starttls), None), &options(&lab)).await;
    assert_eq!(fact(&report, "relay.unauthenticated"), "deferred-454");
    assert!(causes(&report).contains("temporary-relay-deferral"));
    let with_login = relay(v4(2527, Security::Starttls), Some((ALICE, "password")));
    let report = relay_check(&with_login, &options(&lab)).await;
    assert_eq!(fact(&report, "relay.authenticated"), "accepted");
}

#[tokio::test]
async fn port_2528_soft_bounce_turns_554_into_454() {
    let Some(lab) = mail_lab("port_2528_soft_bounce_turns_554_into_454") else {
        return;
    };
    let report = relay_check(&relay(v4(2528, Security::Starttls), None), &options(&lab)).await;
    assert_eq!(fact(&report, "relay.unauthenticated"), "deferred-454");
}

#[tokio::test]
async fn wrong_password_gets_535() {
    let Some(lab) = mail_lab("wrong_password_gets_535") else {
        return;
    };
    let report = auth_check(
        &auth(
            from_fresh_address(v4(2587, Security::Starttls)),
            ALICE,
            "not-the-password",
        ),
        &options(&lab),
    )
    .await;
    assert_eq!(report.status, Status::Problem);
    assert_eq!(fact(&report, "auth.result"), "failed");
    assert_eq!(fact(&report, "auth.code"), "535");
    assert!(causes(&report).contains("wrong-credentials"));
}

#[tokio::test]
async fn every_mechanism_logs_in() {
    let Some(lab) = mail_lab("every_mechanism_logs_in") else {
        return;
    };
    for mechanism in [Mechanism::Plain, Mechanism::Login, Mechanism::CramMd5] {
        let mut request = auth(v4(2587, Security::Starttls), "bob@example.test", "secret");
        request.mechanism = Some(mechanism);
        let report = auth_check(&request, &options(&lab)).await;
        assert_eq!(
            report.status,
            Status::Ok,
            "{mechanism:?}: {:#}",
            report.details
        );
        assert_eq!(fact(&report, "auth.mechanism"), mechanism.as_str());
    }
}

#[tokio::test]
async fn implicit_tls_on_2465() {
    let Some(lab) = mail_lab("implicit_tls_on_2465") else {
        return;
    };
    let report = auth_check(
        &auth(v4(2465, Security::Tls), ALICE, "password"),
        &options(&lab),
    )
    .await;
    assert_eq!(report.status, Status::Ok, "{:#}", report.details);
    assert_eq!(fact(&report, "tls.certificate"), "valid");
    assert_eq!(fact(&report, "client.security"), "tls");
}

#[tokio::test]
async fn ca_file_is_what_makes_the_lab_certificate_trusted() {
    let Some(lab) = mail_lab("ca_file_is_what_makes_the_lab_certificate_trusted") else {
        return;
    };
    let system = Options {
        trust: Trust::system(),
        ..options(&lab)
    };
    let probe = probe_check(&v4(2587, Security::Starttls), &system).await;
    assert_eq!(fact(&probe, "tls.certificate"), "untrusted");
    assert_eq!(probe.status, Status::Problem);
    // A password is never sent to an untrusted certificate.
    let login = auth_check(
        &auth(v4(2587, Security::Starttls), ALICE, "password"),
        &system,
    )
    .await;
    assert_eq!(login.status, Status::Error);
    assert_eq!(login.details["error"]["phase"], "tls");
    let trusted = probe_check(&v4(2587, Security::Starttls), &options(&lab)).await;
    assert_eq!(fact(&trusted, "tls.certificate"), "valid");
}

#[tokio::test]
async fn name_checked_against_the_certificate() {
    let Some(lab) = mail_lab("name_checked_against_the_certificate") else {
        return;
    };
    let mut endpoint = v4(2587, Security::Starttls);
    endpoint.host = String::from("mail.example.test");
    let good = probe_check(&endpoint, &options(&lab)).await;
    assert_eq!(fact(&good, "tls.certificate"), "valid");
    endpoint.host = String::from("smtp.elsewhere.test");
    let bad = probe_check(&endpoint, &options(&lab)).await;
    assert_eq!(fact(&bad, "tls.certificate"), "name-mismatch");
}

#[tokio::test]
async fn ipv6_loopback_works_end_to_end() {
    let Some(lab) = mail_lab("ipv6_loopback_works_end_to_end") else {
        return;
    };
    let report = relay_check(
        &relay(
            at("::1", 2587, Security::Starttls),
            Some((ALICE, "password")),
        ),
        &options(&lab),
    )
    .await;
    assert_eq!(report.status, Status::Ok, "{:#}", report.details);
    assert_eq!(fact(&report, "relay.unauthenticated"), "rejected-554");
    assert_eq!(fact(&report, "relay.authenticated"), "accepted");
    assert_eq!(fact(&report, "tls.certificate"), "valid");
    assert_eq!(report.details["unauthenticated"]["address"], "[::1]:2587");
}

#[tokio::test]
async fn mynetworks_source_relays_without_login() {
    let Some(lab) = mail_lab("mynetworks_source_relays_without_login") else {
        return;
    };
    let mut endpoint = v4(2525, Security::Starttls);
    endpoint.local_ip = Some("127.0.0.2".parse().expect("ip"));
    let report = relay_check(&relay(endpoint, None), &options(&lab)).await;
    assert_eq!(fact(&report, "relay.unauthenticated"), "accepted");
    assert!(causes(&report).contains("open-relay"));
}

fn from_fresh_address(mut endpoint: Endpoint) -> Endpoint {
    endpoint.local_ip = Some(fresh_source_address());
    endpoint
}

#[tokio::test]
async fn pop_before_smtp_on_2531() {
    let Some(lab) = mail_lab("pop_before_smtp_on_2531") else {
        return;
    };
    let source = fresh_source_address();
    let mut smtp = v4(2531, Security::Starttls);
    smtp.local_ip = Some(source);
    let mut pop3 = v4(2110, Security::Starttls);
    pop3.local_ip = Some(source);
    let request = PopBeforeSmtpRequest {
        relay: relay(smtp, None),
        pop3,
        user: ALICE.into(),
        password: password("password"),
    };
    let report = pop_before_smtp_check(&request, &options(&lab)).await;
    assert_eq!(report.status, Status::Ok, "{source}: {:#}", report.details);
    assert_eq!(fact(&report, "relay.unauthenticated"), "rejected-554");
    assert_eq!(fact(&report, "pop3.login"), "ok");
    assert_eq!(fact(&report, "relay.after_pop3"), "accepted");
    assert_eq!(fact(&report, "pop_before_smtp"), "yes");
    assert_eq!(fact(&report, "account.auth_scheme"), "pop-before-smtp");
    // The POP3 password is masked too.
    let pop_transcript = report.details["pop3"]["evidence"]["transcript"].to_string();
    assert!(pop_transcript.contains("PASS ****") && !pop_transcript.contains("PASS password"));
}

#[tokio::test]
async fn pop_before_smtp_is_not_used_on_2525() {
    let Some(lab) = mail_lab("pop_before_smtp_is_not_used_on_2525") else {
        return;
    };
    let source = fresh_source_address();
    let mut smtp = v4(2525, Security::Starttls);
    smtp.local_ip = Some(source);
    let mut pop3 = v4(2110, Security::Starttls);
    pop3.local_ip = Some(source);
    let request = PopBeforeSmtpRequest {
        relay: relay(smtp, None),
        pop3,
        user: ALICE.into(),
        password: password("password"),
    };
    let report = pop_before_smtp_check(&request, &options(&lab)).await;
    assert_eq!(report.status, Status::Problem);
    assert_eq!(fact(&report, "pop_before_smtp"), "no");
}

#[tokio::test]
async fn send_delivers_one_message_after_login() {
    let Some(lab) = mail_lab("send_delivers_one_message_after_login") else {
        return;
    };
    let request = SendRequest {
        auth: auth(v4(2587, Security::Starttls), ALICE, "password"),
        from: ALICE.into(),
        to: "bob@example.test".into(),
        ca_file: Some(lab.ca_file()),
    };
    let report = send_check(&request, &options(&lab)).await;
    assert_eq!(report.status, Status::Ok, "{:#}", report.details);
    assert_eq!(fact(&report, "send.result"), "sent");
    assert!(
        report.details["server_reply"]
            .as_str()
            .is_some_and(|r| r.starts_with("250"))
    );
}

#[tokio::test]
async fn send_stops_before_sending_when_the_login_fails() {
    let Some(lab) = mail_lab("send_stops_before_sending_when_the_login_fails") else {
        return;
    };
    let request = SendRequest {
        auth: auth(
            from_fresh_address(v4(2587, Security::Starttls)),
            ALICE,
            "wrong",
        ),
        from: ALICE.into(),
        to: "bob@example.test".into(),
        ca_file: Some(lab.ca_file()),
    };
    let report = send_check(&request, &options(&lab)).await;
    assert_eq!(report.status, Status::Problem);
    assert_eq!(fact(&report, "auth.result"), "failed");
    assert!(!report.facts.contains_key("send.result"));
}

#[tokio::test]
async fn ports_are_probed_side_by_side() {
    let Some(lab) = mail_lab("ports_are_probed_side_by_side") else {
        return;
    };
    let endpoints = [
        v4(2587, Security::Starttls),
        v4(2465, Security::Tls),
        v4(2525, Security::Starttls),
    ];
    let report = probe_ports_check(&endpoints, &options(&lab)).await;
    assert_eq!(report.status, Status::Ok, "{:#}", report.details);
    assert_eq!(fact(&report, "server.ports_open"), "2587 2465 2525");
    assert_eq!(fact(&report, "client.port"), "2587");
    assert_eq!(report.details["ports"].as_array().map(Vec::len), Some(3));
}

// ------------------------------------------------------------------ the real binary

fn json(output: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

#[test]
fn cli_relay_json_reproduces_554_with_exit_code_1() {
    let Some(lab) = mail_lab("cli_relay_json_reproduces_554_with_exit_code_1") else {
        return;
    };
    let home = tempfile::tempdir().expect("home");
    let output = relaydoc(home.path())
        .args(["check", "relay", "127.0.0.1", "--port", "2525", "--json"])
        .args(["--from", ALICE, "--to", OUTSIDE, "--ca-file"])
        .arg(lab.ca_file())
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    let report = json(&output);
    assert_eq!(report["check"], "relay");
    assert_eq!(report["status"], "problem");
    assert_eq!(report["facts"]["relay.unauthenticated"], "rejected-554");
}

#[test]
fn cli_auth_with_password_on_stdin_exits_0() {
    let Some(lab) = mail_lab("cli_auth_with_password_on_stdin_exits_0") else {
        return;
    };
    let home = tempfile::tempdir().expect("home");
    let output = relaydoc(home.path())
        .args([
            "check",
            "auth",
            "127.0.0.1",
            "--port",
            "2587",
            "--user",
            ALICE,
        ])
        .args(["--password-stdin", "--json", "--ca-file"])
        .arg(lab.ca_file())
        .write_stdin("password\n")
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(json(&output)["facts"]["auth.result"], "ok");
}

#[test]
fn cli_human_output_names_the_454() {
    let Some(lab) = mail_lab("cli_human_output_names_the_454") else {
        return;
    };
    let home = tempfile::tempdir().expect("home");
    let output = relaydoc(home.path())
        .args(["check", "relay", "127.0.0.1", "--port", "2527"])
        .args(["--from", ALICE, "--to", OUTSIDE, "--ca-file"])
        .arg(lab.ca_file())
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("454 4.7.1"), "{text}");
    assert!(text.contains("defer_unauth_destination"), "{text}");
}

#[test]
fn cli_without_a_password_source_is_bad_input() {
    let home = tempfile::tempdir().expect("home");
    // No terminal, no RELAYDOC_PASSWORD, no --password-stdin: exit 2 before any connection.
    let output = relaydoc(home.path())
        .args(["check", "auth", "127.0.0.1", "--port", "9", "--user", ALICE])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--password-stdin"));
}

#[test]
fn cli_refused_port_is_a_connect_error_with_exit_code_3() {
    let home = tempfile::tempdir().expect("home");
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let output = relaydoc(home.path())
        .args([
            "check",
            "smtp",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--json",
        ])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(3));
    let report = json(&output);
    assert_eq!(report["status"], "error");
    assert_eq!(report["details"]["error"]["phase"], "connect");
}

// ------------------------------------------------------------------ canary password

/// Every file under `dir`, recursively.
fn files_under(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn encodings_of(canary: &str, user: &str) -> Vec<String> {
    use base64::Engine as _;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    vec![
        canary.to_string(),
        b64(canary),
        b64(&format!("\0{user}\0{canary}")),
    ]
}

fn assert_no_canary(what: &str, text: &str, needles: &[String]) {
    for needle in needles {
        assert!(
            !text.contains(needle.as_str()),
            "{what} contains the canary password (or its encoding {needle:?})"
        );
    }
}

#[test]
fn canary_password_never_leaks_from_the_cli() {
    let Some(lab) = mail_lab("canary_password_never_leaks_from_the_cli") else {
        return;
    };
    let canary = format!("canary-{}-Zq8", std::process::id());
    let needles = encodings_of(&canary, ALICE);
    let home = tempfile::tempdir().expect("home");
    let ca = lab.ca_file();
    let ca = ca.to_str().expect("utf-8 path");
    let runs: Vec<Vec<&str>> = vec![
        vec![
            "check",
            "auth",
            "127.0.0.1",
            "--port",
            "2587",
            "--user",
            ALICE,
            "--json",
            "--ca-file",
            ca,
        ],
        vec![
            "check",
            "auth",
            "127.0.0.1",
            "--port",
            "2587",
            "--user",
            ALICE,
            "--transcript",
            "--ca-file",
            ca,
        ],
        vec![
            "check",
            "auth",
            "127.0.0.1",
            "--port",
            "2587",
            "--user",
            ALICE,
            "--mechanism",
            "LOGIN",
            "--transcript",
            "--ca-file",
            ca,
        ],
        vec![
            "check",
            "auth",
            "127.0.0.1",
            "--port",
            "2529",
            "--security",
            "none",
            "--allow-plaintext-auth",
            "--mechanism",
            "PLAIN",
            "--user",
            ALICE,
            "--json",
            "--ca-file",
            ca,
        ],
        vec![
            "check",
            "relay",
            "127.0.0.1",
            "--port",
            "2525",
            "--from",
            ALICE,
            "--to",
            OUTSIDE,
            "--user",
            ALICE,
            "--json",
            "--ca-file",
            ca,
        ],
        vec![
            "check",
            "relay",
            "127.0.0.1",
            "--port",
            "2525",
            "--from",
            ALICE,
            "--to",
            OUTSIDE,
            "--user",
            ALICE,
            "--transcript",
            "--ca-file",
            ca,
        ],
        vec![
            "check",
            "pop-before-smtp",
            "127.0.0.1",
            "--port",
            "2531",
            "--pop-port",
            "2110",
            "--from",
            ALICE,
            "--to",
            OUTSIDE,
            "--user",
            ALICE,
            "--transcript",
            "--ca-file",
            ca,
        ],
        vec![
            "check",
            "send",
            "127.0.0.1",
            "--port",
            "2587",
            "--from",
            ALICE,
            "--to",
            "bob@example.test",
            "--user",
            ALICE,
            "--json",
            "--ca-file",
            ca,
        ],
    ];
    for args in runs {
        for via_stdin in [false, true] {
            let mut command = relaydoc(home.path());
            command
                .args(&args)
                .arg("--source-address")
                .arg(fresh_source_address().to_string());
            if via_stdin {
                command
                    .arg("--password-stdin")
                    .write_stdin(format!("{canary}\n"));
            } else {
                command.env("RELAYDOC_PASSWORD", &canary);
            }
            let output = command.output().expect("run");
            // The run got past argument checking, so the password was really used.
            assert_ne!(output.status.code(), Some(2), "{args:?}: {output:?}");
            let what = format!("{args:?}");
            assert_no_canary(
                &format!("stdout of {what}"),
                &String::from_utf8_lossy(&output.stdout),
                &needles,
            );
            assert_no_canary(
                &format!("stderr of {what}"),
                &String::from_utf8_lossy(&output.stderr),
                &needles,
            );
        }
    }
    let mut files = Vec::new();
    files_under(home.path(), &mut files);
    for file in files {
        let bytes = std::fs::read(&file).unwrap_or_default();
        assert_no_canary(
            &file.display().to_string(),
            &String::from_utf8_lossy(&bytes),
            &needles,
        );
    }
}

#[tokio::test]
async fn canary_password_never_leaks_from_reports() {
    let Some(lab) = mail_lab("canary_password_never_leaks_from_reports") else {
        return;
    };
    let canary = format!("canary-lib-{}-Xw3", std::process::id());
    let needles = encodings_of(&canary, ALICE);
    let mut reports: Vec<CheckReport> = Vec::new();
    for mechanism in [Mechanism::Plain, Mechanism::Login, Mechanism::CramMd5] {
        let mut request = auth(
            from_fresh_address(v4(2587, Security::Starttls)),
            ALICE,
            &canary,
        );
        request.mechanism = Some(mechanism);
        assert_no_canary("AuthRequest Debug", &format!("{request:?}"), &needles);
        reports.push(auth_check(&request, &options(&lab)).await);
    }
    reports.push(
        relay_check(
            &relay(
                from_fresh_address(v4(2525, Security::Starttls)),
                Some((ALICE, &canary)),
            ),
            &options(&lab),
        )
        .await,
    );
    for report in &reports {
        assert_eq!(
            report.facts.get("auth.result").map(String::as_str),
            Some("failed")
        );
        let json = serde_json::to_string(report).expect("json");
        assert_no_canary("report JSON", &json, &needles);
        assert_no_canary("report Debug", &format!("{report:?}"), &needles);
    }
}

#[test]
fn cli_asks_for_the_password_on_a_terminal_without_echo() {
    let Some(lab) = mail_lab("cli_asks_for_the_password_on_a_terminal_without_echo") else {
        return;
    };
    let home = tempfile::tempdir().expect("home");
    let canary = format!("prompted-{}-Kp4", std::process::id());
    let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("relaydoc"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("TERM", "xterm")
        .env("NO_COLOR", "1")
        .args([
            "check",
            "auth",
            "127.0.0.1",
            "--port",
            "2587",
            "--user",
            ALICE,
        ])
        .arg("--source-address")
        .arg(fresh_source_address().to_string())
        .arg("--ca-file")
        .arg(lab.ca_file());
    let mut session = rexpect::session::spawn_command(command, Some(30_000)).expect("pty");
    session.exp_string("Password for").expect("prompt");
    session.send_line(&canary).expect("type");
    let rest = session.exp_eof().expect("end");
    assert!(rest.contains("check auth: PROBLEM"), "{rest}");
    assert!(rest.contains("535"), "{rest}");
    // The hidden prompt never echoes what was typed.
    assert!(!rest.contains(&canary), "{rest}");
}

#[tokio::test]
async fn pop_before_smtp_with_pop3s_on_2995() {
    let Some(lab) = mail_lab("pop_before_smtp_with_pop3s_on_2995") else {
        return;
    };
    let source = fresh_source_address();
    let mut smtp = v4(2531, Security::Starttls);
    smtp.local_ip = Some(source);
    let mut pop3 = v4(2995, Security::Tls);
    pop3.local_ip = Some(source);
    let request = PopBeforeSmtpRequest {
        relay: relay(smtp, None),
        pop3,
        user: "bob@example.test".into(),
        password: password("secret"),
    };
    let report = pop_before_smtp_check(&request, &options(&lab)).await;
    assert_eq!(report.status, Status::Ok, "{source}: {:#}", report.details);
    assert_eq!(fact(&report, "pop_before_smtp"), "yes");
    assert_eq!(report.details["pop3"]["tls"]["certificate"], "valid");
}

#[test]
fn cli_probes_ipv6_with_brackets() {
    let Some(lab) = mail_lab("cli_probes_ipv6_with_brackets") else {
        return;
    };
    let home = tempfile::tempdir().expect("home");
    let output = relaydoc(home.path())
        .args([
            "check",
            "smtp",
            "[::1]",
            "--port",
            "2465",
            "--security",
            "tls",
        ])
        .args(["--json", "--ca-file"])
        .arg(lab.ca_file())
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let report = json(&output);
    assert_eq!(report["facts"]["client.security"], "tls");
    assert_eq!(report["facts"]["tls.certificate"], "valid");
    assert_eq!(report["details"]["dialogue"]["address"], "[::1]:2465");
}

#[tokio::test]
async fn forcing_auth_before_tls_reproduces_503_and_530() {
    let Some(lab) = mail_lab("forcing_auth_before_tls_reproduces_503_and_530") else {
        return;
    };
    // What a mail client set to "no encryption" but "PLAIN login" gets from each port.
    for (port, code, result, cause) in [
        (2525, "503", "not-enabled", "server-sasl-disabled"),
        (2587, "530", "tls-required", "tls-required-for-auth"),
    ] {
        let mut request = auth(v4(port, Security::None), ALICE, "password");
        request.allow_plaintext = true;
        request.mechanism = Some(Mechanism::Plain);
        let report = auth_check(&request, &options(&lab)).await;
        assert_eq!(
            report.status,
            Status::Problem,
            "{port}: {:#}",
            report.details
        );
        assert_eq!(fact(&report, "auth.code"), code, "{port}");
        assert_eq!(fact(&report, "auth.result"), result, "{port}");
        assert!(causes(&report).contains(cause), "{port}");
    }
}
