//! `postfix lint` and `postfix simulate` without a server: every fixture in
//! tests/fixtures/postfix/ against its `# expect:` lines, offline simulator cases, hostile
//! input, and the real binary end to end with an isolated HOME.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use predicates::prelude::*;
use relaydoc::postfix::config::{Settings, Version, parse_main};
use relaydoc::postfix::lint::{Severity, lint};
use relaydoc::postfix::master::parse_master;
use relaydoc::postfix::simulate::{Client, Outcome, simulate};
use serde_json::Value;

/// DESIGN.md's cause ids (a contract): every finding must name one.
const CAUSES: &[&str] = &[
    "client-auth-off",
    "wrong-credentials",
    "pop-before-smtp-expired",
    "wrong-outgoing-server",
    "auth-method-changed",
    "tls-required-for-auth",
    "client-ip-blacklisted",
    "server-sasl-disabled",
    "relay-restrictions-misconfigured",
    "mynetworks-too-narrow",
    "auth-database-corrupt",
    "recipient-domain-not-local",
    "recipient-mx-wrong",
    "recipient-account-invalid",
    "sender-verify-failed",
    "sender-blacklisted",
    "temporary-relay-deferral",
    "not-relay",
];

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/postfix")
}

fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

#[test]
fn every_fixture_gives_exactly_its_expected_findings() {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .expect("fixtures dir")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            name.ends_with(".cf") && !name.ends_with(".master.cf")
        })
        .collect();
    paths.sort();
    assert!(paths.len() >= 20, "only {} fixtures", paths.len());
    let mut seen_ids = BTreeSet::new();
    let mut failures = Vec::new();
    for path in &paths {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        let text = std::fs::read_to_string(path).expect("fixture");
        let mut expected = BTreeSet::new();
        let mut sound = false;
        let mut absent = Vec::new();
        for line in text.lines() {
            if let Some(id) = line.strip_prefix("# absent:") {
                absent.push(id.trim().to_owned());
            }
            if let Some(rest) = line.strip_prefix("# expect:") {
                let words: Vec<&str> = rest.split_whitespace().collect();
                match words.as_slice() {
                    ["sound"] => sound = true,
                    [id, severity] => {
                        expected.insert(((*id).to_owned(), (*severity).to_owned()));
                    }
                    _ => panic!("{name}: bad expect line {line:?}"),
                }
            }
        }
        assert!(sound || !expected.is_empty(), "{name}: no # expect: line");
        let (main, problems) = parse_main(&name, &text);
        assert!(problems.is_empty(), "{name}: {problems}");
        let master_path = path.with_extension("master.cf");
        let services = if master_path.exists() {
            let master_text = std::fs::read_to_string(&master_path).expect("master fixture");
            let (services, problems) = parse_master("master.cf", &master_text);
            assert!(problems.is_empty(), "{name}: {problems}");
            services
        } else {
            Vec::new()
        };
        let settings = Settings::new(&main, None);
        let report = lint(&main, &services, &settings);
        let got: BTreeSet<(String, String)> = report
            .findings
            .iter()
            .map(|f| (f.id.clone(), severity_name(f.severity).to_owned()))
            .collect();
        for finding in &report.findings {
            seen_ids.insert(finding.id.clone());
            assert!(
                CAUSES.contains(&finding.cause.as_str()),
                "{name}: cause {} is not a DESIGN.md id",
                finding.cause
            );
            assert!(
                !finding.message.is_empty() && !finding.fix.is_empty(),
                "{name}: {finding:?}"
            );
        }
        let serious: BTreeSet<_> = got.iter().filter(|(_, s)| s != "info").cloned().collect();
        let expected_serious: BTreeSet<_> = expected
            .iter()
            .filter(|(_, s)| s != "info")
            .cloned()
            .collect();
        for id in &absent {
            if got.iter().any(|(found, _)| found == id) {
                failures.push(format!("{name}: {id} must not be reported"));
            }
        }
        let missing: Vec<_> = expected.difference(&got).collect();
        if serious != expected_serious || !missing.is_empty() {
            failures.push(format!(
                "{name}: expected {expected:?}, got {got:?}\n{}",
                report
                    .findings
                    .iter()
                    .map(|f| format!("  {} {:?}: {}", f.id, f.severity, f.message))
                    .collect::<Vec<_>>()
                    .join("\n")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Every finding the linter knows is pinned by at least one fixture.
    for id in [
        "permit-before-guard",
        "no-relay-guard",
        "sasl-permit-missing",
        "sasl-disabled",
        "sasl-path-missing",
        "tls-auth-only-without-tls",
        "submission-tls-optional",
        "mynetworks-internet",
        "relay-only-from-localhost",
        "domain-not-local",
        "client-restrictions-reject-all",
        "dead-dnsbl",
        "unknown-parameter",
        "soft-bounce-on",
        "defer-unauth-destination",
        "relay-restrictions-empty",
        "service-domain-override-ignored",
    ] {
        assert!(seen_ids.contains(id), "no fixture exercises {id}");
    }
}

#[test]
fn fixes_name_exact_settings() {
    let text = std::fs::read_to_string(fixtures().join("permit-before-guard.cf")).expect("fixture");
    let (main, _) = parse_main("main.cf", &text);
    let report = lint(&main, &[], &Settings::new(&main, None));
    let finding = report
        .findings
        .iter()
        .find(|f| f.id == "permit-before-guard")
        .expect("finding");
    assert_eq!(
        finding.fix,
        "postconf -e 'smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination'\npostfix reload"
    );
    assert_eq!(finding.line, Some(5));
    let unknown =
        std::fs::read_to_string(fixtures().join("unknown-parameter.cf")).expect("fixture");
    let (main, _) = parse_main("main.cf", &unknown);
    let report = lint(&main, &[], &Settings::new(&main, None));
    let typo = report
        .findings
        .iter()
        .find(|f| f.parameter == "smtpd_relay_restriction")
        .expect("typo found");
    assert!(
        typo.message
            .contains("did you mean smtpd_relay_restrictions?"),
        "{}",
        typo.message
    );
    assert_eq!(typo.cause, "relay-restrictions-misconfigured");
    assert!(
        !report
            .findings
            .iter()
            .any(|f| f.parameter == "my_office_nets"),
        "a $-referenced name is legal"
    );
}

/// One offline simulator case: (name, main.cf, client ip, sasl, tls, to, outcome, code,
/// enhanced status).
type Case = (
    &'static str,
    String,
    &'static str,
    bool,
    bool,
    &'static str,
    Outcome,
    u16,
    &'static str,
);

#[test]
fn simulator_cases() {
    const CLASSIC: &str = "compatibility_level = 3.6\nmynetworks = 192.0.2.0/24\nmydestination = example.com\nsmtpd_sasl_auth_enable = yes\nsmtpd_sasl_type = dovecot\nsmtpd_sasl_path = private/auth\nsmtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination\n";
    let cases: &[Case] = &[
        ("stranger relaying", CLASSIC.into(), "203.0.113.9", false, false, "x@example.org", Outcome::Reject, 554, "5.7.1"),
        ("stranger, local domain", CLASSIC.into(), "203.0.113.9", false, false, "x@example.com", Outcome::Accept, 250, "2.1.5"),
        ("signed in", CLASSIC.into(), "203.0.113.9", true, true, "x@example.org", Outcome::Accept, 250, "2.1.5"),
        ("office network", CLASSIC.into(), "192.0.2.77", false, false, "x@example.org", Outcome::Accept, 250, "2.1.5"),
        ("IPv6 in brackets", CLASSIC.replace("192.0.2.0/24", "[2001:db8::]/32"), "2001:db8::5", false, false, "x@example.org", Outcome::Accept, 250, "2.1.5"),
        ("built-in default defers", "compatibility_level = 3.6\nmynetworks = 192.0.2.0/24\n".into(), "203.0.113.9", false, false, "x@example.org", Outcome::Defer, 454, "4.7.1"),
        ("compatibility 2 default: relay_domains = $mydestination", "compatibility_level = 2\nmydestination = example.com\nmynetworks = 127.0.0.0/8\nsmtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination\n".into(), "203.0.113.9", false, false, "x@example.com", Outcome::Accept, 250, "2.1.5"),
        ("relay_domains subdomain", "compatibility_level = 3.6\nrelay_domains = example.net\nsmtpd_relay_restrictions = reject_unauth_destination\n".into(), "203.0.113.9", false, false, "x@sub.example.net", Outcome::Accept, 250, "2.1.5"),
        ("soft_bounce", format!("{CLASSIC}soft_bounce = yes\n"), "203.0.113.9", false, false, "x@example.org", Outcome::Defer, 454, "4.7.1"),
        ("inline access map", format!("{CLASSIC}smtpd_recipient_restrictions = check_recipient_access inline:{{ {{example.org = 550 5.7.1 not here}} }}\nsmtpd_relay_before_recipient_restrictions = no\n"), "203.0.113.9", false, false, "x@example.org", Outcome::Reject, 550, "5.7.1"),
        ("unknown restriction", "compatibility_level = 3.6\nsmtpd_relay_restrictions = permit_mynetwork, reject_unauth_destination\n".into(), "203.0.113.9", false, false, "x@example.org", Outcome::Defer, 451, "4.3.5"),
        ("non-fqdn recipient", format!("{CLASSIC}smtpd_recipient_restrictions = reject_non_fqdn_recipient\n"), "192.0.2.5", false, false, "x@localhost", Outcome::Reject, 504, "5.5.2"),
    ];
    for (name, config, ip, sasl, tls, to, outcome, code, enhanced) in cases {
        let (main, problems) = parse_main("main.cf", config);
        assert!(problems.is_empty(), "{name}: {problems}");
        let settings = Settings::new(&main, Version::parse("3.7.11"));
        let client = Client {
            ip: ip.parse().expect("ip"),
            sasl_user: sasl.then(|| "me@example.com".to_owned()),
            tls: *tls,
            helo: "laptop.example.net".into(),
            from: "me@example.com".into(),
            to: (*to).into(),
        };
        let sim = simulate(&settings, &client);
        let v = &sim.verdict;
        assert_eq!(
            (v.outcome, v.code, v.enhanced.as_str()),
            (*outcome, *code, *enhanced),
            "{name}: {:#?}",
            sim.steps
        );
    }
}

/// Hostile input: binary junk, huge and endless lines, invalid UTF-8, deep `$` chains, brace
/// storms. Each must end quickly with an answer or a clear error, never a panic.
#[test]
fn hostile_input_is_answered_quickly() {
    let mut junk = Vec::new();
    let mut state = 0x2545_f491_u32;
    for _ in 0..2_000_000 {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        junk.push(state as u8);
    }
    let chain: String = (0..5_000)
        .map(|i| format!("p{i} = $p{}\n", i + 1))
        .collect();
    let doubling: String = (0..40)
        .map(|i| format!("d{i} = $d{0} $d{0}\n", i + 1))
        .collect();
    let inputs: Vec<(&str, String)> = vec![
        ("binary junk", String::from_utf8_lossy(&junk).into_owned()),
        ("one endless line", "a".repeat(8 * 1024 * 1024)),
        ("endless value", format!("mynetworks = {}", "10.0.0.0/8, ".repeat(500_000))),
        ("invalid UTF-8", String::from_utf8_lossy(b"myhostname = \xff\xfe\xc3\x28\nmydestination = $myhostname\n").into_owned()),
        ("deep $ chain", chain),
        ("exponential $ doubling", format!("{doubling}smtpd_relay_restrictions = $d0 reject_unauth_destination\nmydestination = $d0\n")),
        ("brace storm", format!("smtpd_relay_restrictions = {}{}\n", "${x?{".repeat(100_000), "}".repeat(50_000))),
        ("continuations only", "  x\n".repeat(1_000_000)),
        ("defaults that refer back, doubling (found by cargo fuzz)", "myhostname = $mydomain $mydomain $mydomain\nmydestination = $myhostname $myhostname\nrelay_domains = $mydestination\n".into()),
        ("restriction class loop", "smtpd_restriction_classes = a, b\na = b\nb = a\nsmtpd_relay_restrictions = a, reject_unauth_destination\n".into()),
    ];
    for (name, text) in &inputs {
        let started = Instant::now();
        let (main, _problems) = parse_main(name, text);
        let settings = Settings::new(&main, None);
        let _ = lint(&main, &[], &settings);
        let client = Client {
            ip: "203.0.113.9".parse().expect("ip"),
            sasl_user: None,
            tls: false,
            helo: "h.example".into(),
            from: "a@example.com".into(),
            to: "b@example.org".into(),
        };
        let _ = simulate(&settings, &client);
        let (_services, _) = parse_master(name, text);
        // Reported, not asserted: speed belongs to benchmarks; the work budgets in the
        // reader are what keep these cases bounded.
        eprintln!("{name}: {:?}", started.elapsed());
    }
}

// ---------------------------------------------------------------- the binary, end to end

struct Sandbox {
    home: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Self {
        Self {
            home: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn cmd(&self) -> Command {
        let mut cmd = common::isolated::relaydoc(self.home.path());
        cmd.timeout(Duration::from_secs(60));
        cmd
    }

    fn file(&self, name: &str, content: &[u8]) -> PathBuf {
        let path = self.home.path().join(name);
        std::fs::write(&path, content).expect("write");
        path
    }
}

fn fixture(name: &str) -> String {
    fixtures().join(name).display().to_string()
}

#[test]
fn cli_lint_json_contract_and_exit_codes() {
    let sandbox = Sandbox::new();
    let output = sandbox
        .cmd()
        .args([
            "postfix",
            "lint",
            "--json",
            &fixture("permit-before-guard.cf"),
        ])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let json: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let findings = json["findings"].as_array().expect("findings array");
    assert!(!findings.is_empty());
    for finding in findings {
        for key in ["id", "cause", "severity", "parameter", "message", "fix"] {
            assert!(finding[key].is_string(), "{key} in {finding}");
        }
        assert!(
            ["error", "warning", "info"]
                .contains(&finding["severity"].as_str().unwrap_or_default())
        );
    }
    // A sound configuration: an empty list, exit 0.
    let sound = sandbox.file("sound.cf", b"compatibility_level = 3.6\nmynetworks = 127.0.0.0/8, 192.0.2.0/24\nsmtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination\n");
    let output = sandbox
        .cmd()
        .args(["postfix", "lint", "--json"])
        .arg(&sound)
        .output()
        .expect("runs");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let json: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(json, serde_json::json!({"findings": []}));
}

#[test]
fn cli_lint_reads_stdin_and_master_cf_and_speaks_plainly() {
    let sandbox = Sandbox::new();
    let text = std::fs::read(fixtures().join("submission-tls-optional.cf")).expect("fixture");
    sandbox
        .cmd()
        .args([
            "postfix",
            "lint",
            "-",
            "--master",
            &fixture("submission-tls-optional.master.cf"),
        ])
        .write_stdin(text)
        .assert()
        .code(1)
        .stdout(
            predicate::str::contains("WARNING [submission-tls-optional]")
                .and(predicate::str::contains(
                    "-o smtpd_tls_security_level=encrypt",
                ))
                .and(predicate::str::contains("Fix:")),
        );
}

#[test]
fn cli_lint_bad_input_is_exit_2_with_file_and_line() {
    let sandbox = Sandbox::new();
    let junk = sandbox.file(
        "junk.bin",
        &[0u8, 159, 146, 150, 10, 255, 0, 1, 2, 10, 200, 10],
    );
    sandbox
        .cmd()
        .args(["postfix", "lint"])
        .arg(&junk)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("junk.bin:1:1: expected `name = value`")
                .and(predicate::str::contains("no `name = value` setting found")),
        );
    // JSON mode: the error is JSON too, in the one shape every command uses.
    let output = sandbox
        .cmd()
        .args(["postfix", "lint", "--json"])
        .arg(&junk)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let json: Value = serde_json::from_slice(&output.stdout).expect("JSON error");
    assert_eq!(json["exit_code"], 2, "{json:#}");
    assert_eq!(json["error"]["kind"], "bad-input", "{json:#}");
    assert_eq!(json["error"]["phase"], "input", "{json:#}");
    assert!(
        json["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("no `name = value` setting found")),
        "{json:#}"
    );
    sandbox
        .cmd()
        .args(["postfix", "lint", "/nonexistent/main.cf"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "/nonexistent/main.cf: no such file",
        ));
    // A file larger than any configuration is refused without reading it all.
    let big = sandbox.file("big.cf", &vec![b'a'; 9 * 1024 * 1024]);
    sandbox
        .cmd()
        .args(["postfix", "lint"])
        .arg(&big)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("larger than 8 MiB"));
    // 100 MB on standard input: bounded read, clear error.
    let started = Instant::now();
    sandbox
        .cmd()
        .args(["postfix", "lint", "-"])
        .write_stdin(vec![b'x'; 100 * 1024 * 1024])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("more than 8 MiB"));
    eprintln!("100 MB on stdin: {:?}", started.elapsed());
    // Control sequences in the input never reach the terminal.
    let evil = sandbox.file(
        "evil.cf",
        b"smtpd_relay_restrictio\x1b]0;pwned\x07n = permit\nmynetworks = 0.0.0.0/0\n",
    );
    let output = sandbox
        .cmd()
        .args(["postfix", "lint"])
        .arg(&evil)
        .output()
        .expect("runs");
    assert!(!output.stdout.contains(&0x1b) && !output.stderr.contains(&0x1b));
}

#[test]
fn cli_simulate_prints_verdict_and_walk() {
    let sandbox = Sandbox::new();
    let output = sandbox
        .cmd()
        .args([
            "postfix",
            "simulate",
            "--config",
            &fixture("typical-submission.cf"),
            "--client-ip",
            "203.0.113.9",
            "--helo",
            "laptop.example.net",
            "--from",
            "me@example.com",
            "--to",
            "friend@example.org",
            "--json",
        ])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let json: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(json["verdict"]["outcome"], "reject");
    assert_eq!(json["verdict"]["code"], 554);
    assert_eq!(json["verdict"]["enhanced"], "5.7.1");
    assert_eq!(
        json["verdict"]["reply"],
        "554 5.7.1 <friend@example.org>: Relay access denied"
    );
    assert_eq!(
        json["verdict"]["decided_by"]["rule"],
        "reject_unauth_destination"
    );
    assert!(json["steps"].as_array().is_some_and(|s| s.len() >= 3));
    // The submission service, signed in over TLS: accepted.
    sandbox
        .cmd()
        .args([
            "postfix",
            "simulate",
            "--config",
            &fixture("typical-submission.cf"),
            "--master",
            &fixture("typical-submission.master.cf"),
            "--service",
            "587",
            "--client-ip",
            "203.0.113.9",
            "--sasl-user",
            "me@example.com",
            "--tls",
            "--helo",
            "laptop.example.net",
            "--from",
            "me@example.com",
            "--to",
            "friend@example.org",
        ])
        .assert()
        .code(0)
        .stdout(
            predicate::str::contains("Verdict: ACCEPTED")
                .and(predicate::str::contains("permit_sasl_authenticated")),
        );
    // The same without TLS: 530 at MAIL FROM on the submission port.
    sandbox
        .cmd()
        .args([
            "postfix",
            "simulate",
            "--config",
            &fixture("typical-submission.cf"),
            "--master",
            &fixture("typical-submission.master.cf"),
            "--service",
            "submission",
            "--client-ip",
            "203.0.113.9",
            "--helo",
            "laptop",
            "--from",
            "me@example.com",
            "--to",
            "friend@example.org",
        ])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "530 5.7.0 Must issue a STARTTLS command first",
        ));
}

#[test]
fn cli_simulate_rejects_bad_arguments() {
    let sandbox = Sandbox::new();
    let base = [
        "postfix",
        "simulate",
        "--helo",
        "h",
        "--from",
        "a@b.c",
        "--to",
        "x@example.org",
    ];
    sandbox
        .cmd()
        .args(base)
        .args([
            "--config",
            &fixture("typical-submission.cf"),
            "--client-ip",
            "not-an-ip",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not an IP address"));
    sandbox
        .cmd()
        .args(base)
        .args([
            "--config",
            &fixture("typical-submission.cf"),
            "--master",
            &fixture("typical-submission.master.cf"),
            "--service",
            "nope",
            "--client-ip",
            "192.0.2.1",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no service nope in master.cf"));
    sandbox
        .cmd()
        .args(["postfix", "simulate", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Examples:"));
    sandbox
        .cmd()
        .args(["postfix", "lint", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "postconf -n | relaydoc postfix lint",
        ));
}

#[test]
fn fixture_dir_exists() {
    assert!(Path::new(&fixture("README.md")).exists());
}

// ---------------------------------------------------------------- lint --log

/// Every `tests/fixtures/postfix/logs/NAME.cf` with its `NAME.log`, through the binary: the
/// findings the log adds are exactly the expected ones (errors and warnings), the `absent`
/// ones are not reported at all, and every fix from the log is whole `postconf -e` lines.
#[test]
fn lint_with_a_log_reports_what_each_fixture_expects() {
    let dir = fixtures().join("logs");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("logs fixtures")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|ext| ext == "cf"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 5, "only {} cases", cases.len());
    let sandbox = Sandbox::new();
    let mut failures = Vec::new();
    for config in &cases {
        let name = config
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        let text = std::fs::read_to_string(config).expect("fixture");
        let mut expected = BTreeSet::new();
        let mut absent = Vec::new();
        let mut args = vec![
            "postfix".to_owned(),
            "lint".to_owned(),
            config.display().to_string(),
            "--log".to_owned(),
            config.with_extension("log").display().to_string(),
            "--json".to_owned(),
        ];
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# expect-log:") {
                let words: Vec<&str> = rest.split_whitespace().collect();
                let [id, severity] = words.as_slice() else {
                    panic!("{name}: bad expect-log line {line:?}");
                };
                expected.insert(((*id).to_owned(), (*severity).to_owned()));
            } else if let Some(id) = line.strip_prefix("# absent:") {
                absent.push(id.trim().to_owned());
            } else if let Some(ip) = line.strip_prefix("# server-ip:") {
                args.push("--server-ip".into());
                args.push(ip.trim().to_owned());
            }
        }
        assert!(!expected.is_empty(), "{name}: no # expect-log: line");
        // The findings of the configuration alone, to tell the log's own apart.
        let (main, problems) = parse_main(&name, &text);
        assert!(problems.is_empty(), "{name}: {problems}");
        let settings = Settings::new(&main, None);
        let config_only: BTreeSet<String> = lint(&main, &[], &settings)
            .findings
            .into_iter()
            .map(|f| f.id)
            .collect();
        let output = sandbox.cmd().args(&args).output().expect("runs");
        let value: Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("{name}: {e}: {}", String::from_utf8_lossy(&output.stderr)));
        let findings = value["findings"].as_array().cloned().unwrap_or_default();
        let from_log: Vec<&Value> = findings
            .iter()
            .filter(|f| !config_only.contains(f["id"].as_str().unwrap_or_default()))
            .collect();
        let got: BTreeSet<(String, String)> = from_log
            .iter()
            .map(|f| {
                (
                    f["id"].as_str().unwrap_or_default().to_owned(),
                    f["severity"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let serious: BTreeSet<_> = got.iter().filter(|(_, s)| s != "info").cloned().collect();
        let expected_serious: BTreeSet<_> = expected
            .iter()
            .filter(|(_, s)| s != "info")
            .cloned()
            .collect();
        if serious != expected_serious || !expected.is_subset(&got) {
            failures.push(format!(
                "{name}: expected {expected:?}, got {got:?}\n{findings:#?}"
            ));
        }
        for id in &absent {
            if findings.iter().any(|f| f["id"] == id.as_str()) {
                failures.push(format!("{name}: {id} must not be reported\n{findings:#?}"));
            }
        }
        for finding in &from_log {
            let cause = finding["cause"].as_str().unwrap_or_default();
            assert!(CAUSES.contains(&cause), "{name}: cause {cause}");
            let fix = finding["fix"].as_str().unwrap_or_default();
            if finding["severity"] != "info" && !fix.contains("postconf -e '") {
                failures.push(format!("{name}: the fix is not a postconf -e line: {fix}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn lint_with_a_log_names_the_client_the_network_and_the_exact_fix() {
    let sandbox = Sandbox::new();
    let dir = fixtures().join("logs");
    // The Docker case: the client, the network it is in, what mynetworks covers instead, and
    // the whole line to run.
    sandbox
        .cmd()
        .args(["postfix", "lint"])
        .arg(dir.join("docker-network.cf"))
        .arg("--log")
        .arg(dir.join("docker-network.log"))
        .assert()
        .code(1)
        .stdout(
            predicate::str::contains("1 relay denial(s) by this server, from 1 client(s)")
                .and(predicate::str::contains("unknown[172.19.0.1]"))
                .and(predicate::str::contains("172.19.0.0/16"))
                .and(predicate::str::contains("it covers 172.17.0.0/16 only"))
                .and(predicate::str::contains(
                    "postconf -e 'mynetworks = 127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128 172.17.0.0/16, 172.19.0.0/16'",
                )),
        );
    // relay_domains unset is said to be Postfix's default, and the fix adds the domain.
    sandbox
        .cmd()
        .args(["postfix", "lint"])
        .arg(dir.join("transport-only.cf"))
        .arg("--log")
        .arg(dir.join("transport-only.log"))
        .assert()
        .code(1)
        .stdout(
            predicate::str::contains(
                "relay_domains is not set, and Postfix's default for it is empty",
            )
            .and(predicate::str::contains(
                "postconf -e 'relay_domains = pajd.email'",
            )),
        );
    // Without --log, --server-ip is refused (it means nothing alone).
    sandbox
        .cmd()
        .args(["postfix", "lint"])
        .arg(dir.join("reinjection.cf"))
        .args(["--server-ip", "203.0.113.10"])
        .assert()
        .code(2);
    // A log that cannot be read is bad input, named.
    sandbox
        .cmd()
        .args(["postfix", "lint"])
        .arg(dir.join("reinjection.cf"))
        .args(["--log", "/nonexistent/mail.log"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/nonexistent/mail.log"));
}

#[test]
fn a_refused_client_that_mynetworks_covers_is_told_apart() {
    use relaydoc::postfix::refused::{Refusals, RefusedClient, RefusedDomain, lint_refusals};
    let (main, _) = parse_main(
        "main.cf",
        "compatibility_level = 3.6\nmynetworks = 127.0.0.0/8, 192.0.2.0/24\n",
    );
    let settings = Settings::new(&main, None);
    let refusals = Refusals {
        clients: vec![RefusedClient {
            host: "pc".into(),
            ip: "192.0.2.7".parse().expect("ip"),
            count: 3,
        }],
        domains: vec![RefusedDomain {
            domain: "example.org".into(),
            count: 3,
        }],
    };
    let findings = lint_refusals(&settings, None, &refusals, &[]);
    let found = findings
        .iter()
        .find(|f| f.id == "refused-client-in-mynetworks")
        .unwrap_or_else(|| panic!("{findings:#?}"));
    // The restriction walk lets this client relay: the log predates the configuration.
    assert!(
        found.message.contains("the log is older"),
        "{}",
        found.message
    );
    assert_eq!(findings.len(), 1, "{findings:#?}");
}

/// The wizard's server branch reads the same configuration and log (`c-postfix-config`): the
/// person types where they are, and the cause the lint points to weighs in the diagnosis.
#[test]
fn the_wizards_server_branch_reads_the_configuration_and_the_log() {
    let sandbox = Sandbox::new();
    let dir = fixtures().join("logs");
    let walk = |config: &Path, log: Option<&Path>| -> Value {
        let mut command = sandbox.cmd();
        command.args(["wizard", "--json", "--no-save"]);
        for fact in [
            "error.where=server-log",
            "user.role=server-admin",
            "server.software=postfix",
        ] {
            command.args(["--fact", fact]);
        }
        command
            .arg("--fact")
            .arg(format!("server.config_path={}", config.display()));
        if let Some(log) = log {
            command
                .arg("--fact")
                .arg(format!("server.log_path={}", log.display()));
        }
        let output = command.output().expect("runs");
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {output:?}"))
    };
    for (name, cause) in [
        // A container outside mynetworks, on a server whose users sign in.
        ("docker-network", "mynetworks-too-narrow"),
        // Domains routed by transport_maps alone.
        ("transport-only", "recipient-domain-not-local"),
        // The refused clients did not sign in, on a server that offers it.
        ("sasl-on", "client-auth-off"),
    ] {
        let outcome = walk(
            &dir.join(format!("{name}.cf")),
            Some(&dir.join(format!("{name}.log"))),
        );
        assert_eq!(outcome["causes"][0]["id"], cause, "{name}: {outcome:#}");
        let path = outcome["path"].to_string();
        assert!(path.contains("c-postfix-config"), "{name}: {path}");
        let reasons = outcome["causes"][0]["for"].to_string();
        assert!(
            reasons.contains("Reading your Postfix configuration"),
            "{name}: the reading is a reason: {reasons}"
        );
    }
    // The Docker configuration without its log shows nothing wrong for the server's own users:
    // the reading says so, and the container's cause is no longer the leader.
    let alone = walk(&dir.join("docker-network.cf"), None);
    assert_ne!(
        alone["causes"][0]["id"], "mynetworks-too-narrow",
        "{alone:#}"
    );
    // A path that is no configuration: the check could not read it, the tree asks on.
    let unreadable = walk(Path::new("/nonexistent/main.cf"), None);
    let path = unreadable["path"].to_string();
    assert!(path.contains("q-server-relay-policy"), "{unreadable:#}");
    assert_eq!(unreadable["stopped"], Value::Null);
}
