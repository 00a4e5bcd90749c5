//! `relaydoc explain`: the table of real-world samples, the CLI end to end, signature
//! knowledge errors, and robustness against hostile input.
//!
//! Every sample lives in `tests/fixtures/explain/NAME.yaml` with the text (or an `.eml` file
//! beside it), what `explain` must answer, and where the text was seen publicly.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use predicates::prelude::*;
use relaydoc::explain::{Signatures, explain, explain_bytes};
use relaydoc::knowledge::source::{SourceFile, bundled_files};

fn knowledge() -> relaydoc::knowledge::Knowledge {
    relaydoc::knowledge::bundled().expect("bundled knowledge is valid")
}
use serde::Deserialize;
use serde_json::Value;

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/explain")
}

fn bundled_signatures() -> Signatures {
    match Signatures::load(&bundled_files(), &knowledge()) {
        Ok(signatures) => signatures,
        Err(problems) => panic!("bundled signatures do not load:\n{problems}"),
    }
}

/// One real-world sample and what `explain` must say about it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Sample {
    /// Where this exact text was seen publicly.
    source: String,
    #[serde(default)]
    input: Option<String>,
    /// A file beside the fixture (a whole `.eml`), read as bytes.
    #[serde(default)]
    input_file: Option<String>,
    relay_denial: bool,
    side: Option<String>,
    first_cause: String,
    #[serde(default)]
    second_cause: Option<String>,
    /// Present means checked; `code: null` means "no code may be reported".
    #[serde(default, deserialize_with = "present")]
    code: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    enhanced: Option<Option<String>>,
    #[serde(default)]
    recipient: Option<String>,
    #[serde(default)]
    remote_host: Option<String>,
    #[serde(default)]
    stage: Option<String>,
    #[serde(default)]
    direction: Option<String>,
    /// A signature id that must be among the matched ones.
    #[serde(default)]
    matched: Option<String>,
    /// Facts that must be reported with exactly these values.
    #[serde(default)]
    facts: BTreeMap<String, String>,
}

/// Tells "absent" (don't check) from "null" (must be null).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

fn load_samples() -> Vec<(String, Sample, Vec<u8>)> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(fixture_dir())
        .expect("fixture folder")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let text = std::fs::read_to_string(&path).expect("fixture readable");
            let sample: Sample =
                serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let input = match (&sample.input, &sample.input_file) {
                (Some(text), None) => text.clone().into_bytes(),
                (None, Some(file)) => std::fs::read(fixture_dir().join(file))
                    .unwrap_or_else(|e| panic!("{name}: {file}: {e}")),
                _ => panic!("{name}: give exactly one of input and input_file"),
            };
            (name, sample, input)
        })
        .collect()
}

fn check_sample(name: &str, sample: &Sample, answer: &Value, problems: &mut Vec<String>) {
    let mut expect = |field: &str, want: Value| {
        let got = answer.get(field).cloned().unwrap_or(Value::Null);
        if got != want {
            problems.push(format!("{name}: {field} is {got}, expected {want}"));
        }
    };
    expect("relay_denial", Value::Bool(sample.relay_denial));
    expect(
        "side",
        sample.side.clone().map_or(Value::Null, Value::String),
    );
    if let Some(code) = &sample.code {
        expect("code", code.clone().map_or(Value::Null, Value::String));
    }
    if let Some(enhanced) = &sample.enhanced {
        expect(
            "enhanced",
            enhanced.clone().map_or(Value::Null, Value::String),
        );
    }
    for (field, want) in [
        ("recipient", &sample.recipient),
        ("remote_host", &sample.remote_host),
        ("stage", &sample.stage),
        ("direction", &sample.direction),
    ] {
        if let Some(want) = want {
            expect(field, Value::String(want.clone()));
        }
    }
    let causes: Vec<&str> = answer["causes"]
        .as_array()
        .map(|list| list.iter().filter_map(|c| c["id"].as_str()).collect())
        .unwrap_or_default();
    if causes.first() != Some(&sample.first_cause.as_str()) {
        problems.push(format!(
            "{name}: first cause is {:?}, expected {} (all: {causes:?})",
            causes.first(),
            sample.first_cause
        ));
    }
    if let Some(second) = &sample.second_cause
        && causes.get(1) != Some(&second.as_str())
    {
        problems.push(format!(
            "{name}: second cause is {:?}, expected {second} (all: {causes:?})",
            causes.get(1)
        ));
    }
    if let Some(id) = &sample.matched {
        let matched = answer["matched"].as_array().cloned().unwrap_or_default();
        if !matched.iter().any(|m| m.as_str() == Some(id)) {
            problems.push(format!("{name}: {id} not among matched {matched:?}"));
        }
    }
    for (key, want) in &sample.facts {
        let got = answer["facts"].get(key).and_then(Value::as_str);
        if got != Some(want.as_str()) {
            problems.push(format!("{name}: fact {key} is {got:?}, expected {want}"));
        }
    }
    if answer["summary"].as_str().is_none_or(str::is_empty) {
        problems.push(format!("{name}: empty summary"));
    }
    for cause in answer["causes"].as_array().into_iter().flatten() {
        if cause["why"].as_str().is_none_or(str::is_empty) {
            problems.push(format!("{name}: cause {} has no why", cause["id"]));
        }
    }
}

#[test]
fn real_world_samples_are_explained() {
    let signatures = bundled_signatures();
    let samples = load_samples();
    let mut problems = Vec::new();
    for (name, sample, input) in &samples {
        if sample.source.trim().is_empty() {
            problems.push(format!("{name}: no source"));
        }
        let answer = serde_json::to_value(explain_bytes(input, &signatures)).expect("serialises");
        check_sample(name, sample, &answer, &mut problems);
    }
    let lookalikes = samples.iter().filter(|(_, s, _)| !s.relay_denial).count();
    let messages = samples
        .iter()
        .filter(|(_, s, _)| s.input_file.is_some())
        .count();
    eprintln!(
        "{} samples ({} look-alikes, {} whole messages), {} problems",
        samples.len(),
        lookalikes,
        messages,
        problems.len()
    );
    assert!(samples.len() >= 40, "only {} samples", samples.len());
    assert!(lookalikes >= 15, "only {lookalikes} look-alikes");
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn every_bundled_signature_has_a_public_source() {
    for signature in bundled_signatures().iter() {
        assert!(
            signature.source.starts_with("http"),
            "{}: source {:?}",
            signature.id,
            signature.source
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 454 versus 554

#[test]
fn temporary_and_permanent_refusals_are_told_apart() {
    let signatures = bundled_signatures();
    let permanent = explain("554 5.7.1 <a@b.example>: Relay access denied", &signatures);
    let temporary = explain("454 4.7.1 <a@b.example>: Relay access denied", &signatures);
    assert!(permanent.relay_denial && temporary.relay_denial);
    assert_eq!(temporary.causes[0].id, "temporary-relay-deferral");
    assert_ne!(permanent.causes[0].id, "temporary-relay-deferral");
    assert!(temporary.summary.contains("defer_unauth_destination"));
    assert!(temporary.summary.contains("2.10"));
    assert!(permanent.summary.contains("reject_unauth_destination"));
    assert!(permanent.summary.contains("permanent"));
}

// ---------------------------------------------------------------------------------------------
// Signature knowledge errors, each at file:line:column

fn overlay(text: &str) -> SourceFile {
    SourceFile {
        name: "mine/signatures/acme.yaml".into(),
        relative: "signatures/acme.yaml".into(),
        text: text.into(),
        layer: 1,
    }
}

const BROKEN: &str = "\
family: acme
signatures:
  - id: acme-relay
    pattern: '(?i)relay (denied'
    side: client
    relay_denial: true
    causes:
      - cause: client-auth-of
        weight: 0.8
        why: The client does not log in.
    facts:
      server.flavour: acme
    source: https://example.org/acme
    example: relay denied
";

#[test]
fn signature_errors_name_file_line_and_column_all_at_once() {
    let mut files = bundled_files();
    files.push(overlay(BROKEN));
    let problems = Signatures::load(&files, &knowledge()).expect_err("broken overlay");
    let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(lines.len(), 3, "{lines:#?}");
    assert_eq!(
        lines[..2],
        [
            "mine/signatures/acme.yaml:4:14: [acme-relay] invalid pattern: unclosed group (at pattern character 11)",
            "mine/signatures/acme.yaml:8:16: [acme-relay] unknown cause id `client-auth-of`; the causes are listed in causes.yaml",
        ]
    );
    // The fact is checked against the same catalogue the tree uses, with a suggestion.
    assert!(lines[2].starts_with(
        "mine/signatures/acme.yaml:12:7: [acme-relay] unknown fact `server.flavour`; known facts: account.auth_scheme,"
    ));
}

#[test]
fn unknown_fields_and_bad_yaml_are_positioned() {
    let text = BROKEN
        .replace("'(?i)relay (denied'", "'(?i)relay denied'")
        .replace("client-auth-of", "client-auth-off")
        .replace("server.flavour: acme", "server.software: other")
        .replace("    side: client\n", "    side: client\n    colour: blue\n");
    let problems = Signatures::load(&[overlay(&text)], &knowledge()).expect_err("unknown field");
    let first = problems.iter().next().expect("a problem").to_string();
    assert!(
        first.starts_with("mine/signatures/acme.yaml:6:5: ") && first.contains("colour"),
        "{first}"
    );
}

#[test]
fn an_example_the_pattern_misses_is_reported() {
    let text = BROKEN
        .replace("'(?i)relay (denied'", "'(?i)relaying refused'")
        .replace("client-auth-of", "client-auth-off")
        .replace("server.flavour: acme", "server.software: other");
    let problems =
        Signatures::load(&[overlay(&text)], &knowledge()).expect_err("example does not match");
    assert_eq!(
        problems.iter().next().expect("a problem").to_string(),
        "mine/signatures/acme.yaml:14:14: [acme-relay] the pattern does not match this example"
    );
}

#[test]
fn an_overlay_signature_replaces_the_bundled_one() {
    let text = "\
signatures:
  - id: postfix-relay-access-denied
    pattern: '(?i)Relay access denied'
    side: sender-mx
    relay_denial: true
    causes:
      - cause: mynetworks-too-narrow
        weight: 0.99
        why: At ACME every relay denial is a missing office network.
    source: https://example.org/acme
    example: Relay access denied
";
    let mut files = bundled_files();
    files.push(overlay(text));
    let signatures = Signatures::load(&files, &knowledge()).expect("overlay loads");
    let bundled = Signatures::load(&bundled_files(), &knowledge()).expect("bundled loads");
    assert_eq!(signatures.len(), bundled.len());
    let answer = explain("554 5.7.1 <a@b.example>: Relay access denied", &signatures);
    assert_eq!(answer.causes[0].id, "mynetworks-too-narrow");
}

// ---------------------------------------------------------------------------------------------
// Robustness: bounded time and memory, never a panic

/// Runs a hostile case and reports how long it took. Speed is a benchmark's business, never
/// a test's assertion (the project's rule); the bounds themselves are the reader's caps on
/// input, line length and lines examined, which these cases exercise.
fn timed<T>(_budget: Duration, what: &str, run: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let result = run();
    eprintln!("{what}: {:?}", start.elapsed());
    result
}

#[test]
fn junk_bytes_and_invalid_utf8_give_an_answer() {
    let signatures = bundled_signatures();
    // A deterministic byte soup: every byte value, control characters, broken UTF-8.
    let mut junk = Vec::with_capacity(1 << 20);
    let mut state: u32 = 0x9e37_79b9;
    for _ in 0..(1 << 20) {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        junk.push(state.to_le_bytes()[0]);
    }
    junk.extend_from_slice(b"\xff\xfe 554 5.7.1 <a@b.example>: Relay access denied \xc3");
    let answer = timed(Duration::from_secs(20), "1 MiB of junk", || {
        explain_bytes(&junk, &signatures)
    });
    assert!(answer.relay_denial);
    let empty = explain_bytes(b"", &signatures);
    assert!(!empty.relay_denial);
    assert_eq!(empty.causes[0].id, "not-relay");
}

#[test]
fn a_huge_input_is_capped_and_says_so() {
    let signatures = bundled_signatures();
    let line = "Jun 17 17:22:21 host postfix/smtpd[1]: NOQUEUE: reject: RCPT from x[192.0.2.1]: 554 5.7.1 <a@b.example>: Relay access denied; from=<c@d.example> to=<a@b.example> proto=ESMTP helo=<x>\n";
    let huge = line.repeat((20 * 1024 * 1024) / line.len());
    let answer = timed(Duration::from_secs(60), "20 MiB of log", || {
        explain(&huge, &signatures)
    });
    assert!(answer.relay_denial);
    assert!(
        answer.notes.iter().any(|n| n.contains("16 MiB")),
        "{:?}",
        answer.notes
    );
    assert!(answer.occurrences["postfix-log-reject-relay"] > 10_000);
}

#[test]
fn an_endless_line_is_cut_and_does_not_hang() {
    let signatures = bundled_signatures();
    let mut endless = "Relay access denied ".to_string();
    endless.push_str(&"A".repeat(18 * 1024 * 1024));
    let answer = timed(Duration::from_secs(60), "one 18 MiB line", || {
        explain(&endless, &signatures)
    });
    assert!(answer.relay_denial);
    assert!(answer.notes.iter().any(|n| n.contains("cut short")));
}

#[test]
fn japanese_bounces_are_decoded_from_their_charsets() {
    // Built by tests/fixtures/explain/make_japanese_bounces.py from OCN's real notification
    // text (Sisimai corpus, lhost-postfix-49.eml): ISO-2022-JP in quoted-printable, Shift_JIS
    // in base64 and as raw 8-bit bytes, each with an RFC 2047 subject in its own charset.
    for file in [
        "japanese-iso2022jp-qp.eml",
        "japanese-shiftjis-base64.eml",
        "japanese-shiftjis-8bit.eml",
    ] {
        let bytes = std::fs::read(fixture_dir().join(file)).expect("fixture");
        let document = relaydoc::explain::reader::read_bytes(&bytes);
        assert_eq!(
            document.subject.as_deref(),
            Some("配信できませんでした"),
            "{file}"
        );
        let text: Vec<&str> = document.lines.iter().map(|l| l.text.as_str()).collect();
        assert!(
            text.iter()
                .any(|line| line
                    .contains("このメールと共に返信されているメールは一つ以上の宛先に対")),
            "{file}: {text:#?}"
        );
        assert!(
            text.iter()
                .any(|line| line.contains("ここから下の部分が【エラーメッセージ】です。")),
            "{file}: {text:#?}"
        );
        // The returned original is not read, the delivery report is.
        assert_eq!(document.delivery_status.len(), 1, "{file}");
        assert!(document.notes.is_empty(), "{file}: {:?}", document.notes);
    }
}

#[test]
fn a_multipart_that_trips_the_parsers_own_check_still_gets_an_answer() {
    // Found by the fuzz smoke (a mutated Gmail bounce): mail-parser reaches its
    // `debug_assert!(false, "Invalid part ID…")` on it. Release builds compile that out, and
    // Cargo.toml does so for debug builds too; the reader must answer, not panic.
    let bytes =
        std::fs::read(fixture_dir().join("regression-multipart-part-id.bin")).expect("file");
    let answer = explain_bytes(&bytes, &bundled_signatures());
    assert!(!answer.causes.is_empty());
}

#[test]
fn mime_bounds_hold_with_the_parser() {
    let signatures = bundled_signatures();
    // More parts than the reader reads: it says so, and stops.
    let mut many = String::from(
        "From: MAILER-DAEMON@x\nSubject: Undelivered Mail\nMIME-Version: 1.0\n\
         Content-Type: multipart/mixed; boundary=\"b\"\n\n",
    );
    for _ in 0..2000 {
        many.push_str("--b\nContent-Type: text/plain\n\nnothing here\n");
    }
    many.push_str("--b--\n");
    let answer = timed(Duration::from_secs(20), "2000 MIME parts", || {
        explain(&many, &signatures)
    });
    assert!(
        answer
            .notes
            .iter()
            .any(|note| note.contains("only the first 512 MIME parts were read")),
        "{:?}",
        answer.notes
    );
    // Multiparts nested deeper than the reader goes: skipped, and said.
    let mut deep = String::from("From: x\nSubject: y\nMIME-Version: 1.0\n");
    for level in 0..20 {
        deep.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"n{level}\"\n\n--n{level}\n"
        ));
    }
    deep.push_str("Content-Type: text/plain\n\n554 5.7.1 <a@b.example>: Relay access denied\n");
    let answer = explain(&deep, &signatures);
    assert!(!answer.relay_denial, "text below the depth cap is not read");
    assert!(
        answer
            .notes
            .iter()
            .any(|note| note.contains("nested too deep")),
        "{:?}",
        answer.notes
    );
}

#[test]
fn malformed_mime_gives_an_answer() {
    let signatures = bundled_signatures();
    let cases = [
        // Boundary never closed, base64 that is not base64, nested multiparts without bodies.
        "From: MAILER-DAEMON@x\nSubject: Undelivered Mail\nContent-Type: multipart/report; boundary=\"b\"\n\n--b\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n!!!not base64 at all!!!\n--b\nContent-Type: message/delivery-status\n\nDiagnostic-Code: smtp; 554 5.7.1 <a@b.example>: Relay access denied\n",
        "From: x\nSubject: y\nContent-Type: multipart/mixed\n\nno boundary parameter: 554 5.7.1 Relay access denied\n",
        "From: x\nSubject: y\nContent-Type: multipart/mixed; boundary=\"\"\n\n--\n--\n",
        "From: x\nSubject: y\nContent-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\n=\n=Z=\n=4",
    ];
    for case in cases {
        let _ = explain(case, &signatures);
    }
    let deep = format!(
        "From: x\nSubject: y\n{}",
        "Content-Type: multipart/mixed; boundary=\"n\"\n\n--n\n".repeat(5000)
    );
    let answer = timed(Duration::from_secs(20), "deeply nested MIME", || {
        explain(&deep, &signatures)
    });
    assert!(!answer.relay_denial);
    let scripts = format!(
        "From: x\nSubject: y\nContent-Type: text/html\n\n{}<br>Relay access denied",
        "<script>a</script>&amp;&#x1F600;&bogus".repeat(200_000)
    );
    let answer = timed(Duration::from_secs(20), "HTML full of scripts", || {
        explain(&scripts, &signatures)
    });
    assert!(answer.relay_denial);
    let first = explain(cases[0], &signatures);
    assert!(first.relay_denial);
    assert_eq!(first.recipient.as_deref(), Some("a@b.example"));
}

// ---------------------------------------------------------------------------------------------
// The command line, end to end, with an isolated home

struct Home(tempfile::TempDir);

impl Home {
    fn new() -> Self {
        Self(tempfile::tempdir().expect("temp dir"))
    }

    fn command(&self) -> Command {
        common::isolated::relaydoc(self.0.path())
    }
}

#[test]
fn cli_json_is_exactly_the_contract_shape() {
    let home = Home::new();
    let output = home
        .command()
        .args(["explain", "-", "--json"])
        .write_stdin("554 5.7.1 <a@b.example>: Relay access denied")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0));
    let value: Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    assert_eq!(value["relay_denial"], true);
    assert_eq!(value["code"], "554");
    assert_eq!(value["enhanced"], "5.7.1");
    assert_eq!(value["side"], "client");
    assert_eq!(value["causes"][0]["id"], "client-auth-off");
    assert!(value["causes"][0]["why"].is_string());
}

#[test]
fn cli_reads_a_bounce_file_and_prints_plain_words() {
    let home = Home::new();
    home.command()
        .args(["explain"])
        .arg(fixture_dir().join("postfix-bounce-dsn.eml"))
        .assert()
        .success()
        .stdout(
            predicate::str::contains(
                "Relay denial (554 5.7.1, look at the recipient's mail server [recipient-mx])",
            )
            .and(predicate::str::contains("1. recipient-mx-wrong"))
            .and(predicate::str::contains("Recipient: redirect@pajd.email"))
            .and(predicate::str::contains("SMTP stage: RCPT")),
        );
}

#[test]
fn cli_output_strips_terminal_escapes_from_the_input() {
    let home = Home::new();
    home.command()
        .arg("explain")
        .write_stdin("554 5.7.1 <a@b.example>: Relay access denied \u{1b}]0;owned\u{7}\u{1b}[2J")
        .assert()
        .success()
        .stdout(predicate::str::contains("\u{1b}").not());
}

#[test]
fn cli_unreadable_file_exits_2_naming_it() {
    let home = Home::new();
    home.command()
        .args(["explain", "/nonexistent/bounce.eml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/nonexistent/bounce.eml"));
}

#[test]
fn cli_bad_overlay_signature_exits_2_with_position() {
    let home = Home::new();
    let knowledge = home.0.path().join("mine");
    std::fs::create_dir_all(knowledge.join("signatures")).expect("mkdir");
    std::fs::write(knowledge.join("signatures/acme.yaml"), BROKEN).expect("write");
    home.command()
        .arg("--knowledge")
        .arg(&knowledge)
        .args(["explain", "-"])
        .write_stdin("Relay access denied")
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("signatures/acme.yaml:4:14: [acme-relay] invalid pattern")
                .and(predicate::str::contains(
                    "acme.yaml:8:16: [acme-relay] unknown cause id",
                )),
        );
}

#[test]
fn cli_lookalike_says_not_a_relay_denial() {
    let home = Home::new();
    let output = home
        .command()
        .args(["explain", "--json"])
        .write_stdin("535 5.7.8 Error: authentication failed: authentication failure")
        .output()
        .expect("runs");
    let value: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(value["relay_denial"], false);
    assert_eq!(value["side"], Value::Null);
    assert_eq!(value["causes"][0]["id"], "not-relay");
    assert_eq!(value["causes"][1]["id"], "wrong-credentials");
}

#[test]
fn cli_bare_outlook_code_is_most_likely_a_relay_denial() {
    let home = Home::new();
    let output = home
        .command()
        .args(["explain", "--json"])
        .write_stdin("0x800CCC79")
        .output()
        .expect("runs");
    let value: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(value["relay_denial"], true);
    assert_eq!(value["probable"], true);
    assert_eq!(value["side"], "client");
    assert_eq!(value["causes"][0]["id"], "client-auth-off");
    // A certain reading carries no `probable` at all (the field is only ever `true`).
    let output = home
        .command()
        .args(["explain", "--json"])
        .write_stdin("554 5.7.1 <a@b.example>: Relay access denied")
        .output()
        .expect("runs");
    let value: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert!(value.get("probable").is_none(), "{value}");
    home.command()
        .args(["explain"])
        .write_stdin("Error Number: 0x800CCC79")
        .assert()
        .success()
        .stdout(
            predicate::str::contains("Most likely a relay denial (look at your mail program")
                .and(predicate::str::contains(
                    "Error text: Error Number: 0x800CCC79",
                ))
                .and(predicate::str::contains(
                    "\"Server Response\") says for sure",
                )),
        );
}

#[test]
fn cli_server_log_line_is_headed_for_the_server_owner() {
    let home = Home::new();
    // Postfix's own log of a refused client (a real line: simple-login/app issue 229).
    home.command()
        .args(["explain"])
        .write_stdin(
            "Jun 17 17:22:21 pajd-simplelogin postfix/smtpd[23307]: NOQUEUE: reject: RCPT from \
             mout-p-101.mailbox.org[80.241.56.151]: 554 5.7.1 <redirect@example.email>: Relay \
             access denied; from=<contact@pajd.info> to=<redirect@pajd.email> proto=ESMTP \
             helo=<mout-p-101.mailbox.org>",
        )
        .assert()
        .success()
        .stdout(
            predicate::str::contains(
                "Relay denial (554 5.7.1, look at the client that connected [client])",
            )
            .and(predicate::str::contains("Log line: Jun 17"))
            .and(predicate::str::contains("Server reply").not())
            .and(predicate::str::contains("your mail program").not()),
        );
}

#[test]
fn a_likely_relay_denial_flag_is_only_for_wrappers() {
    let kb = knowledge();
    let mut files = bundled_files();
    files.push(SourceFile {
        name: "overlay/signatures/mine.yaml".into(),
        relative: "signatures/mine.yaml".into(),
        layer: 1,
        text: "family: mine\nsignatures:\n  - id: my-lookalike\n    pattern: 'nope'\n    side: null\n    relay_denial: false\n    likely_relay_denial: true\n    causes:\n      - cause: not-relay\n        weight: 1.0\n        why: Not a relay denial.\n    source: https://example.org/\n    example: 'nope'\n".into(),
    });
    let problems = Signatures::load(&files, &kb)
        .expect_err("rejected")
        .to_string();
    assert!(
        problems.contains("mine.yaml:7:")
            && problems.contains("`likely_relay_denial` is only for wrappers"),
        "{problems}"
    );
}

// ---------------------------------------------------------------------------------------------
// The replies and log lines captured in the project's test lab (shared/lab-reference)

#[test]
fn lab_replies_are_explained() {
    let signatures = bundled_signatures();
    let cases: &[(&str, bool, &str)] = &[
        (
            "554 5.7.1 <someone@example.org>: Relay access denied",
            true,
            "client-auth-off",
        ),
        (
            "454 4.7.1 <someone@example.org>: Relay access denied",
            true,
            "temporary-relay-deferral",
        ),
        (
            "530 5.7.0 Must issue a STARTTLS command first",
            false,
            "not-relay",
        ),
        (
            "503 5.5.1 Error: authentication not enabled",
            false,
            "not-relay",
        ),
        (
            "535 5.7.8 Error: authentication failed: (reason unavailable)",
            false,
            "not-relay",
        ),
        (
            "550 5.1.1 <nobody@example.test>: Recipient address rejected: User unknown in virtual mailbox table",
            false,
            "not-relay",
        ),
        ("550 relay not permitted", true, "client-auth-off"),
        (
            "Nov 22 17:34:21 mail maillab/postfix/smtpd[28078]: NOQUEUE: reject: RCPT from unknown[127.0.0.1]: 554 5.7.1 <someone@example.org>: Relay access denied; from=<alice@example.test> to=<someone@example.org> proto=ESMTP helo=<client.example.test>",
            true,
            "client-auth-off",
        ),
        (
            "mail maillab/defer/smtpd[123]: NOQUEUE: reject: RCPT from unknown[127.0.0.1]: 454 4.7.1 <someone@example.org>: Relay access denied; from=<alice@example.test> to=<someone@example.org> proto=ESMTP helo=<client.example.test>",
            true,
            "temporary-relay-deferral",
        ),
        (
            "H=(client.example.test) [127.0.0.1] F=<alice@example.test> rejected RCPT <someone@example.org>: relay not permitted",
            true,
            "client-auth-off",
        ),
    ];
    for (text, relay_denial, first) in cases {
        let answer = explain(text, &signatures);
        assert_eq!(answer.relay_denial, *relay_denial, "{text}");
        assert_eq!(answer.causes[0].id, *first, "{text}");
    }
}
