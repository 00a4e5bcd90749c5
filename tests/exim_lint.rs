//! `relaydoc exim lint` on fixtures (their sources in tests/fixtures/exim/README.md) and on
//! small configurations, through the library and the binary: findings, fixes, exit codes.

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::Command;

use relaydoc::exim::acl::{Client, Outcome, rcpt_verdict};
use relaydoc::exim::config::parse;
use relaydoc::exim::lint::lint;
use relaydoc::postfix::refused::RefusedClient;

fn fixture(name: &str) -> (PathBuf, String) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/exim")
        .join(name);
    let text = std::fs::read_to_string(&path).expect("the fixture");
    (path, text)
}

fn client(ip: &str, authenticated: bool, tls: bool) -> Client {
    Client {
        ip: ip.parse().expect("an address"),
        authenticated,
        tls,
    }
}

fn ids(report: &relaydoc::postfix::lint::Report) -> Vec<&str> {
    report.findings.iter().map(|f| f.id.as_str()).collect()
}

#[test]
fn debians_packaged_configuration() {
    let (_, text) = fixture("debian-bP-config.txt");
    let (config, problems) = parse("debian", &text);
    assert!(problems.is_empty(), "{problems}");
    assert!(config.is_debian());
    // Debian's acl_check_rcpt, walked: the LAN relays, a stranger does not.
    assert_eq!(
        rcpt_verdict(&config, &client("192.168.1.5", false, false)).outcome,
        Outcome::Accept
    );
    let stranger = rcpt_verdict(&config, &client("203.0.113.9", false, false));
    assert_eq!(stranger.outcome, Outcome::Refuse, "{stranger:?}");
    assert_eq!(stranger.message.as_deref(), Some("relay not permitted"));
    let report = lint(
        &config,
        &[RefusedClient {
            host: "unknown".into(),
            ip: "192.168.2.7".parse().expect("ip"),
            count: 3,
        }],
    );
    let found = ids(&report);
    assert!(found.contains(&"no-server-authenticators"), "{found:?}");
    assert!(!found.contains(&"open-relay"), "{found:?}");
    let refused = report
        .findings
        .iter()
        .find(|f| f.id == "refused-client-not-in-relay-from-hosts")
        .expect("the refused LAN client");
    // Debian takes relay_from_hosts from dc_relay_nets: the fix is written there.
    assert!(
        refused
            .fix
            .contains("dc_relay_nets='192.168.1.0/24 : 192.168.2.7'"),
        "{}",
        refused.fix
    );
    assert!(refused.fix.contains("update-exim4.conf"), "{}", refused.fix);
}

#[test]
fn cpanel_style_lookups_are_not_guessed() {
    let (_, text) = fixture("cpanel-style.conf");
    let (config, problems) = parse("cpanel", &text);
    assert!(problems.is_empty(), "{problems}");
    let stranger = rcpt_verdict(&config, &client("203.0.113.9", false, false));
    assert_eq!(stranger.outcome, Outcome::Unknown, "{stranger:?}");
    assert!(
        stranger.reason.contains("/etc/alwaysrelay"),
        "{}",
        stranger.reason
    );
    // Signed in over TLS: the lookup line could only accept too, so the verdict is sure.
    assert_eq!(
        rcpt_verdict(&config, &client("203.0.113.9", true, true)).outcome,
        Outcome::Accept
    );
    let report = lint(
        &config,
        &[RefusedClient {
            host: "unknown".into(),
            ip: "203.0.113.9".parse().expect("ip"),
            count: 1,
        }],
    );
    let unknown = report
        .findings
        .iter()
        .find(|f| f.id == "refused-client-unknown")
        .expect("a could-not-tell finding");
    assert_eq!(unknown.fix, "echo '203.0.113.9' >> /etc/alwaysrelay");
    let found = ids(&report);
    assert!(!found.contains(&"tls-auth-only-without-tls"), "{found:?}");
    assert!(!found.contains(&"open-relay"), "{found:?}");
}

/// Runs the binary on a configuration; (exit code, stdout, stderr).
fn run(config: &str, extra: &[&str]) -> (i32, String, String) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("exim.conf");
    std::fs::write(&path, config).expect("write");
    let output = Command::new(env!("CARGO_BIN_EXE_relaydoc"))
        .args(["exim", "lint"])
        .arg(&path)
        .args(extra)
        .output()
        .expect("relaydoc runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

const ACL: &str = "acl_smtp_rcpt = acl_check_rcpt\nbegin acl\nacl_check_rcpt:\n  accept hosts = +relay_from_hosts\n  \
                   accept authenticated = *\n  require message = relay not permitted\n          domains = example.test\n  accept\n";

fn finding<'a>(json: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    json["findings"]
        .as_array()
        .and_then(|all| all.iter().find(|f| f["id"] == id))
        .unwrap_or_else(|| panic!("no {id}: {json:#}"))
}

#[test]
fn an_open_relay_is_an_error_with_the_line_to_write() {
    let (code, out, _) = run(
        &format!("hostlist relay_from_hosts = 127.0.0.1 : 0.0.0.0/0\n{ACL}"),
        &["--json"],
    );
    assert_eq!(code, 1);
    let json: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let open = finding(&json, "relay-from-hosts-open");
    assert_eq!(open["severity"], "error");
    assert_eq!(open["parameter"], "relay_from_hosts");
    assert_eq!(open["line"], 1);
    assert!(
        open["fix"]
            .as_str()
            .is_some_and(|f| f.starts_with("hostlist relay_from_hosts = 127.0.0.1\n")),
        "{open:#}"
    );
    // The wide list is reported once, not again by the ACL walk.
    assert!(
        json["findings"]
            .as_array()
            .is_some_and(|a| !a.iter().any(|f| f["id"] == "open-relay"))
    );
}

#[test]
fn an_unconditional_accept_is_an_open_relay_too() {
    let (code, out, _) = run(
        "hostlist relay_from_hosts = 127.0.0.1\nacl_smtp_rcpt = r\nbegin acl\nr:\n  accept\n",
        &["--json"],
    );
    assert_eq!(code, 1);
    let json: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(finding(&json, "open-relay")["line"], 5);
}

#[test]
fn sign_in_problems() {
    let auth = "begin authenticators\np:\n  driver = plaintext\n  public_name = PLAIN\n  \
                server_condition = yes\n  server_advertise_condition = ${if eq{$tls_in_cipher}{}{}{*}}\n";
    let (code, out, _) = run(
        &format!("tls_advertise_hosts =\nhostlist relay_from_hosts = 127.0.0.1\n{ACL}{auth}"),
        &["--json"],
    );
    assert_eq!(code, 1);
    let json: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let tls = finding(&json, "tls-auth-only-without-tls");
    assert_eq!(tls["parameter"], "tls_advertise_hosts");
    assert!(
        tls["fix"]
            .as_str()
            .is_some_and(|f| f.contains("tls_advertise_hosts = *"))
    );

    let no_accept = ACL.replace("  accept authenticated = *\n", "");
    let (_, out, _) = run(
        &format!(
            "tls_certificate = /etc/exim/exim.crt\nhostlist relay_from_hosts = 127.0.0.1\n{no_accept}{auth}"
        ),
        &["--json"],
    );
    let json: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let missing = finding(&json, "authenticated-not-accepted");
    assert!(
        missing["fix"]
            .as_str()
            .is_some_and(|f| f.contains("before line 7:\n  accept  authenticated = *")),
        "{missing:#}"
    );

    let (_, out, _) = run(
        &format!("hostlist relay_from_hosts = 127.0.0.1\n{ACL}begin authenticators\n"),
        &["--json"],
    );
    let json: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(
        finding(&json, "no-server-authenticators")["cause"],
        "server-sasl-disabled"
    );
}

#[test]
fn plain_exim_bp_output_says_what_is_missing() {
    let (code, out, _) = run(
        "acl_smtp_rcpt = acl_check_rcpt\nauth_advertise_hosts = *\nno_gnutls_compat_mode\ntls_certificate = \n",
        &[],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("[options-only]"), "{out}");
    assert!(out.contains("exim -bP config > exim.txt"), "{out}");
}

#[test]
fn bad_input_names_the_file_and_line_and_exits_2() {
    let (code, out, err) = run(
        "Dec  3 10:00:00 mx postfix/smtpd[1]: connect from x\nDec  3 10:00:01 mx postfix/smtpd[1]: lost\n",
        &["--json"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("exim.conf:1:1"), "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).expect("JSON error");
    // The one JSON error shape every command gives (README, "Errors, also in JSON").
    assert_eq!(json["exit_code"], 2, "{json}");
    assert_eq!(json["error"]["phase"], "input", "{json}");
    assert!(
        json["error"]["message"]
            .as_str()
            .is_some_and(|e| e.contains("does not read as Exim")),
        "{json}"
    );
}

#[test]
fn a_log_refusal_gets_the_exact_fix_line() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let log = dir.path().join("rejectlog");
    // The form of tests/fixtures/logs/exim.log (github.com/Eugeny/ajenti-v/issues/57).
    std::fs::write(
        &log,
        "2014-04-04 10:37:30 H=(laptop) [192.168.7.20] F=<a@example.test> rejected RCPT <b@example.org>: relay not permitted\n\
         2014-04-04 10:37:31 H=(laptop) [192.168.7.20] F=<a@example.test> rejected RCPT <c@example.org>: relay not permitted\n",
    )
    .expect("write the log");
    let (code, out, _) = run(
        &format!("hostlist relay_from_hosts = 127.0.0.1\n{ACL}"),
        &["--log", &log.display().to_string()],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("2 relay denial(s) by this server, from 1 client(s)"),
        "{out}"
    );
    assert!(
        out.contains("(laptop)[192.168.7.20] (2 refusals)")
            || out.contains("[192.168.7.20] (2 refusals)"),
        "{out}"
    );
    assert!(
        out.contains("hostlist relay_from_hosts = 127.0.0.1 : 192.168.7.20"),
        "{out}"
    );
    let ip: IpAddr = "192.168.7.20".parse().expect("ip");
    assert!(ip.is_ipv4());
}
