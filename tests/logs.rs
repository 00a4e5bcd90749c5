//! `relaydoc logs`, end to end through the real binary: counts on generated logs whose true
//! counts are known (and, for relay denials, equal to `grep -c`'s), gzip and standard input,
//! every MTA format from the sourced fixture lines in `tests/fixtures/logs/`, the filters,
//! the JSON contract, hostile input and unreadable files.

mod common;
#[path = "common/maillog.rs"]
mod maillog;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/logs")
        .join(name)
}

/// Runs `relaydoc logs ARGS --json` in an isolated home; the report, or a panic with stderr.
fn report(home: &Path, args: &[&str], stdin: Option<Vec<u8>>) -> Value {
    let mut command = common::isolated::relaydoc(home);
    command.arg("logs").args(args).arg("--json");
    if let Some(input) = stdin {
        command.write_stdin(input);
    }
    let output = command.output().expect("runs");
    assert!(
        output.status.success(),
        "exit {:?}\nstderr: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("stdout is one JSON report")
}

/// Refusals per kind, summed over the groups.
fn kinds(report: &Value) -> BTreeMap<String, u64> {
    let mut kinds = BTreeMap::new();
    for group in groups(report) {
        *kinds.entry(text(&group["kind"])).or_default() += group["count"].as_u64().expect("count");
    }
    kinds
}

fn groups(report: &Value) -> &Vec<Value> {
    report["groups"].as_array().expect("groups is a list")
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

/// The group of a kind and code (code `None` for a group without one).
fn group<'a>(report: &'a Value, kind: &str, code: Option<&str>) -> &'a Value {
    groups(report)
        .iter()
        .find(|g| g["kind"] == kind && g["code"].as_str() == code)
        .unwrap_or_else(|| panic!("no group {kind} {code:?} in {report:#}"))
}

struct Generated {
    _dir: tempfile::TempDir,
    path: PathBuf,
    counts: maillog::Counts,
}

fn generated(megabytes: u64, seed: u64) -> Generated {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("mail.log");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
    let counts = maillog::write_postfix_log(&mut file, megabytes << 20, seed).expect("writes");
    file.flush().expect("flush");
    Generated {
        _dir: dir,
        path,
        counts,
    }
}

const YEAR: &str = "2025";

#[test]
fn counts_on_a_generated_log_equal_what_was_written_and_what_grep_counts() {
    let log = generated(2, 1);
    let home = tempfile::tempdir().expect("home");
    let path = log.path.to_str().expect("utf-8 path");
    let report = report(home.path(), &[path, "--year", YEAR], None);

    assert_eq!(report["lines"], log.counts.lines);
    assert_eq!(report["bytes"], log.counts.bytes);
    assert_eq!(text(&report["from"]), log.counts.first);
    assert_eq!(text(&report["to"]), log.counts.last);
    let want: BTreeMap<String, u64> = log
        .counts
        .kinds
        .iter()
        .map(|(kind, count)| ((*kind).to_owned(), *count))
        .collect();
    assert_eq!(kinds(&report), want);
    // This server's 554s and another server's 554s are apart: they differ in direction.
    let incoming_554 = groups(&report).iter().find(|g| {
        g["kind"] == "relay-denied" && g["code"] == "554" && g["direction"] == "incoming"
    });
    let outgoing_554 = groups(&report)
        .iter()
        .find(|g| g["kind"] == "relay-denied" && g["direction"] == "outgoing");
    assert_eq!(
        incoming_554.expect("incoming 554")["count"],
        log.counts.relay["554"]
    );
    assert_eq!(
        outgoing_554.expect("outgoing")["count"],
        log.counts.relay["outgoing"]
    );
    assert_eq!(
        group(&report, "relay-denied", Some("454"))["count"],
        log.counts.relay["454"]
    );

    // grep counts the lines that say it; relaydoc's relay denials are exactly those.
    let grep = std::process::Command::new("grep")
        .args(["-c", "Relay access denied", path])
        .output()
        .expect("grep runs");
    let grep_count: u64 = String::from_utf8_lossy(&grep.stdout)
        .trim()
        .parse()
        .expect("a count");
    assert_eq!(grep_count, log.counts.relay_text);
    assert_eq!(kinds(&report)["relay-denied"], grep_count);
}

#[test]
fn gzip_is_recognised_by_its_bytes_and_stdin_reads_the_same_log() {
    let log = generated(1, 2);
    let home = tempfile::tempdir().expect("home");
    let plain = std::fs::read(&log.path).expect("read");
    // A rotation named without ".gz": the magic bytes decide, not the name.
    let rotated = log.path.with_file_name("mail.log.1");
    let mut encoder = flate2::write::GzEncoder::new(
        std::fs::File::create(&rotated).expect("create"),
        flate2::Compression::fast(),
    );
    encoder.write_all(&plain).expect("compress");
    encoder.finish().expect("finish");

    let from_plain = report(
        home.path(),
        &[log.path.to_str().expect("path"), "--year", YEAR],
        None,
    );
    let from_gzip = report(
        home.path(),
        &[rotated.to_str().expect("path"), "--year", YEAR],
        None,
    );
    let from_stdin = report(home.path(), &["-", "--year", YEAR], Some(plain.clone()));
    for other in [&from_gzip, &from_stdin] {
        assert_eq!(other["groups"], from_plain["groups"]);
        assert_eq!(other["lines"], from_plain["lines"]);
        assert_eq!(other["bytes"], plain.len());
    }
    assert_eq!(from_stdin["inputs"], serde_json::json!(["-"]));

    // Two inputs: counts add up.
    let both = report(
        home.path(),
        &[
            log.path.to_str().expect("path"),
            rotated.to_str().expect("path"),
            "--year",
            YEAR,
        ],
        None,
    );
    assert_eq!(both["lines"], 2 * log.counts.lines);
    assert_eq!(
        kinds(&both)["relay-denied"],
        2 * log.counts.kinds["relay-denied"]
    );
}

#[test]
fn the_client_filter_counts_only_that_clients_refusals() {
    let log = generated(1, 3);
    let home = tempfile::tempdir().expect("home");
    let (busiest, count) = log
        .counts
        .by_client
        .iter()
        .max_by_key(|(_, count)| **count)
        .expect("clients");
    let report = report(
        home.path(),
        &[
            log.path.to_str().expect("path"),
            "--year",
            YEAR,
            "--client",
            busiest,
        ],
        None,
    );
    assert_eq!(report["refusals"], *count);
    for group in groups(&report) {
        for client in group["top_clients"].as_array().expect("list") {
            assert!(
                text(&client["client"]).contains(busiest.as_str()),
                "{client}"
            );
        }
    }
    // Its relay denials lead the report: it is one of the flood's sources.
    assert_eq!(groups(&report)[0]["kind"], "relay-denied");
}

#[test]
fn since_and_until_cut_by_the_logs_wall_clock() {
    let home = tempfile::tempdir().expect("home");
    let path = fixture("postfix.log");
    let path = path.to_str().expect("path");
    let all = report(home.path(), &[path, "--year", "2026"], None);
    assert_eq!(all["refusals"], 8);
    // Jun 1 onwards: the 554 relay denial (Aug 13), the blocklist hit (Jun 1), the SASL
    // failure (Sep 21) and the greylisting (Oct 8).
    let since = report(
        home.path(),
        &[path, "--year", "2026", "--since", "2026-06-01"],
        None,
    );
    assert_eq!(since["refusals"], 4);
    // Up to and including Jun 1: the other four, and Jun 1's again.
    let until = report(
        home.path(),
        &[path, "--year", "2026", "--until", "2026-06-01"],
        None,
    );
    assert_eq!(until["refusals"], 5);
    let window = report(
        home.path(),
        &[
            path,
            "--year",
            "2026",
            "--since",
            "2026-08-13T12:23:49",
            "--until",
            "2026-08-13T12:23:50",
        ],
        None,
    );
    assert_eq!(
        kinds(&window),
        BTreeMap::from([("relay-denied".to_owned(), 1)])
    );
    let client = report(
        home.path(),
        &[path, "--year", "2026", "--client", "172.19.0.3"],
        None,
    );
    assert_eq!(client["refusals"], 1);
}

#[test]
fn without_a_year_a_syslog_date_is_never_in_the_future() {
    let home = tempfile::tempdir().expect("home");
    let report = report(
        home.path(),
        &[fixture("postfix.log").to_str().expect("path")],
        None,
    );
    let today = jiff::Zoned::now().date();
    let to = text(&report["to"]);
    let latest: jiff::civil::Date = to[..10].parse().expect("a date");
    assert!(
        latest <= today.tomorrow().expect("tomorrow"),
        "{to} is after {today}"
    );
}

/// What one fixture must give: (kind, code, count, cause or None, a client it names).
type Expected = (
    &'static str,
    Option<&'static str>,
    u64,
    Option<&'static str>,
    Option<&'static str>,
);

fn check_fixture(name: &str, lines: u64, expected: &[Expected]) {
    let home = tempfile::tempdir().expect("home");
    let report = report(
        home.path(),
        &[fixture(name).to_str().expect("path"), "--year", "2026"],
        None,
    );
    assert_eq!(report["lines"], lines, "{name}");
    let total: u64 = expected.iter().map(|e| e.2).sum();
    assert_eq!(report["refusals"], total, "{name}: {report:#}");
    for (kind, code, count, cause, client) in expected {
        let group = groups(&report)
            .iter()
            .find(|g| g["kind"] == *kind && g["code"].as_str() == *code && g["count"] == *count)
            .unwrap_or_else(|| panic!("{name}: no {kind} {code:?} x{count} in {report:#}"));
        assert_eq!(group["cause"].as_str(), *cause, "{name}: {kind} {code:?}");
        if let Some(client) = client {
            let clients: Vec<String> = group["top_clients"]
                .as_array()
                .expect("list")
                .iter()
                .map(|c| text(&c["client"]))
                .collect();
            assert!(clients.iter().any(|c| c == client), "{name}: {clients:?}");
        }
        assert!(!text(&group["why"]).is_empty());
        assert!(!text(&group["example"]).is_empty());
    }
}

#[test]
fn postfix_lines_of_every_kind() {
    check_fixture(
        "postfix.log",
        22,
        &[
            (
                "relay-denied",
                Some("554"),
                1,
                Some("client-auth-off"),
                Some("unknown[172.19.0.3]"),
            ),
            (
                "relay-denied",
                Some("454"),
                1,
                Some("temporary-relay-deferral"),
                Some("unknown[50.60.146.24]"),
            ),
            (
                "blocklist",
                Some("554"),
                1,
                Some("not-relay"),
                Some("o2.outbound-email.expressvpn.com[167.89.94.22]"),
            ),
            (
                "auth-failed",
                None,
                1,
                Some("not-relay"),
                Some("unknown[198.51.100.7]"),
            ),
            (
                "auth-aborted",
                None,
                1,
                None,
                Some("unknown[91.200.12.140]"),
            ),
            // One TLS failure logged on three lines is one refusal.
            (
                "tls",
                None,
                1,
                None,
                Some("d5152ddd0.static.telenet.be[81.82.221.208]"),
            ),
            ("greylisted", Some("450"), 1, Some("not-relay"), None),
            (
                "rate-limited",
                None,
                1,
                None,
                Some("some.client.hostname.tld[1.2.3.4]"),
            ),
        ],
    );
}

#[test]
fn journalctl_iso_lines_keep_their_time() {
    check_fixture(
        "journal-iso.log",
        9,
        &[
            (
                "client-rejected",
                Some("504"),
                2,
                Some("not-relay"),
                Some("unknown[94.141.120.122]"),
            ),
            (
                "client-rejected",
                Some("554"),
                1,
                Some("mynetworks-too-narrow"),
                Some("unknown[192.168.0.1]"),
            ),
        ],
    );
    let home = tempfile::tempdir().expect("home");
    let report = report(
        home.path(),
        &[fixture("journal-iso.log").to_str().expect("path")],
        None,
    );
    assert_eq!(report["from"], "2017-07-06T08:44:10.316748");
    assert_eq!(report["to"], "2024-08-26T07:16:35.560178");
    assert_eq!(
        group(&report, "client-rejected", Some("504"))["first"],
        "2024-08-26T01:33:38.572449"
    );
}

#[test]
fn exim_lines_both_ways() {
    check_fixture(
        "exim.log",
        7,
        &[
            (
                "relay-denied",
                None,
                1,
                Some("client-auth-off"),
                Some("74.125.82.44"),
            ),
            (
                "sender-rejected",
                None,
                1,
                Some("sender-verify-failed"),
                Some("relay1.example.com[67.26.151.59]"),
            ),
            // A remote server refused Exim's delivery: outgoing, no client of ours.
            (
                "relay-denied",
                Some("550"),
                1,
                Some("recipient-domain-not-local"),
                None,
            ),
        ],
    );
}

#[test]
fn sendmail_qmail_dovecot_and_exchange_lines() {
    check_fixture(
        "sendmail.log",
        6,
        &[(
            "relay-denied",
            Some("550"),
            1,
            Some("mynetworks-too-narrow"),
            Some("219.133.247.112"),
        )],
    );
    check_fixture(
        "qmail.log",
        8,
        &[
            (
                "relay-denied",
                None,
                1,
                None,
                Some("dsl-17.example.net[192.0.2.17]"),
            ),
            (
                "relay-denied",
                Some("553"),
                1,
                Some("recipient-mx-wrong"),
                None,
            ),
        ],
    );
    // Dovecot logs one failed login on two lines; the login process's line is the one counted.
    check_fixture(
        "dovecot.log",
        7,
        &[("auth-failed", None, 3, None, Some("122.227.185.67"))],
    );
    check_fixture(
        "exchange.log",
        13,
        &[(
            "relay-denied",
            Some("550"),
            1,
            Some("mynetworks-too-narrow"),
            Some("app01.example.net[192.0.2.44]"),
        )],
    );
    let home = tempfile::tempdir().expect("home");
    let report = report(
        home.path(),
        &[fixture("exchange.log").to_str().expect("path")],
        None,
    );
    let relay = group(&report, "relay-denied", Some("550"));
    assert_eq!(relay["enhanced"], "5.7.54");
    assert_eq!(relay["top_senders"][0]["sender"], "reports@example.net");
    assert_eq!(relay["top_recipient_domains"][0]["domain"], "example.org");
}

#[test]
fn json_follows_the_contract() {
    let home = tempfile::tempdir().expect("home");
    let report = report(
        home.path(),
        &[
            fixture("postfix.log").to_str().expect("path"),
            "--year",
            "2026",
        ],
        None,
    );
    for key in ["inputs", "lines", "bytes", "from", "to", "groups"] {
        assert!(report.get(key).is_some(), "missing {key}");
    }
    let mut previous = u64::MAX;
    for group in groups(&report) {
        for key in [
            "kind",
            "code",
            "enhanced",
            "count",
            "first",
            "last",
            "cause",
            "why",
            "top_clients",
            "top_senders",
            "top_recipient_domains",
            "example",
        ] {
            assert!(group.get(key).is_some(), "group lacks {key}: {group}");
        }
        let count = group["count"].as_u64().expect("count");
        assert!(count <= previous, "groups largest first");
        previous = count;
        for (list, field) in [
            ("top_clients", "client"),
            ("top_senders", "sender"),
            ("top_recipient_domains", "domain"),
        ] {
            for entry in group[list].as_array().expect("list") {
                assert!(
                    entry[field].is_string() && entry["count"].is_u64(),
                    "{entry}"
                );
            }
        }
        assert!(group["code"].is_null() || group["code"].as_str().is_some_and(|c| c.len() == 3));
    }
}

#[test]
fn control_sequences_in_log_lines_never_reach_the_terminal() {
    let home = tempfile::tempdir().expect("home");
    let line = "Aug 13 12:23:49 mx postfix/smtpd[1]: NOQUEUE: reject: RCPT from \u{1b}]0;owned\u{7}evil[192.0.2.66]: 554 5.7.1 <a@b.example>: Relay access denied; from=<x\u{1b}[31m@c.example> to=<a@b.example\u{1b}[2J> proto=ESMTP helo=<h>\n";
    let json = report(
        home.path(),
        &["-", "--year", "2026"],
        Some(line.as_bytes().to_vec()),
    );
    let text = json.to_string();
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text}"
    );
    assert_eq!(json["refusals"], 1);
    let output = common::isolated::relaydoc(home.path())
        .args(["logs", "-", "--year", "2026"])
        .write_stdin(line)
        .output()
        .expect("runs");
    assert!(output.status.success());
    let shown = String::from_utf8_lossy(&output.stdout);
    assert!(shown.contains("relay-denied"), "{shown}");
    assert!(
        !shown.contains('\u{1b}') && !shown.contains('\u{7}'),
        "{shown}"
    );
}

#[test]
fn a_missing_file_is_named_and_nothing_is_reported() {
    let home = tempfile::tempdir().expect("home");
    let missing = home.path().join("no-such.log");
    let output = common::isolated::relaydoc(home.path())
        .args(["logs", fixture("postfix.log").to_str().expect("path")])
        .arg(&missing)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no-such.log") && stderr.contains("no such file"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty(), "no partial report on stdout");

    let folder = common::isolated::relaydoc(home.path())
        .args(["logs"])
        .arg(home.path())
        .output()
        .expect("runs");
    assert_eq!(folder.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&folder.stderr).contains("a folder"));
}

#[test]
fn a_corrupt_gzip_file_is_an_error_naming_it() {
    let home = tempfile::tempdir().expect("home");
    let broken = home.path().join("mail.log.2.gz");
    std::fs::write(
        &broken,
        [
            0x1f, 0x8b, 0x08, 0x00, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x00, 0x01,
        ],
    )
    .expect("write");
    let output = common::isolated::relaydoc(home.path())
        .args(["logs"])
        .arg(&broken)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("mail.log.2.gz"), "{stderr}");
}

#[test]
fn binary_garbage_is_read_through_without_harm() {
    let home = tempfile::tempdir().expect("home");
    // Deterministic noise: every byte value, NULs, no newline for megabytes, then a refusal.
    let mut bytes: Vec<u8> = Vec::new();
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    while bytes.len() < 3 << 20 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let byte = (state >> 24) as u8;
        bytes.push(if byte == b'\n' { 0 } else { byte });
    }
    bytes.extend_from_slice(b"\nreject\x00SASL\xff\xfe rcpthosts\n");
    let line = "Aug 13 12:23:49 mx postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[192.0.2.9]: 554 5.7.1 <a@b.example>: Relay access denied; from=<> to=<a@b.example> proto=ESMTP helo=<h>\n";
    bytes.extend_from_slice(line.as_bytes());
    let file = home.path().join("garbage.bin");
    std::fs::write(&file, &bytes).expect("write");
    let report = report(
        home.path(),
        &[file.to_str().expect("path"), "--year", "2026"],
        None,
    );
    assert_eq!(report["lines"], 3);
    assert_eq!(report["long_lines"], 1);
    // Marker words in noise make no refusal; the real line after the noise is read.
    assert_eq!(kinds(&report)["relay-denied"], 1);
    assert_eq!(report["refusals"], 1);
}
