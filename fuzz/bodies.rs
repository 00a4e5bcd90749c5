//! The bodies of the fuzz targets, one function per reader, shared by the libFuzzer targets in
//! `fuzz_targets/` (nightly, coverage-guided) and by `tests/fuzz_smoke.rs` (stable, in CI: the
//! corpus plus deterministic mutations), so both exercise exactly the same code and asserts.
//! Each function takes any bytes and must neither panic nor run away.
// Each includer uses only some of the functions.
#![allow(dead_code)]

use relaydoc::checks::dns::{Answer, RecordKind, Resolve, answer_from_wire, mx};
use relaydoc::checks::smtp::reply::{ReplyBuilder, parse_line, parse_reply};
use relaydoc::diagnostic::Diagnostics;
use relaydoc::engine::Facts;
use relaydoc::explain::{Signatures, explain_bytes};
use relaydoc::knowledge::Knowledge;
use relaydoc::knowledge::build::build;
use relaydoc::knowledge::source::{SourceFile, bundled_files};
use relaydoc::postfix::config::{Settings, parse_main};
use relaydoc::postfix::master::parse_master;
use relaydoc::postfix::simulate::{Client, simulate};
use relaydoc::session::{Session, export, stats};
use std::sync::LazyLock;

static KNOWLEDGE: LazyLock<Knowledge> = LazyLock::new(|| {
    relaydoc::knowledge::bundled().unwrap_or_else(|problems| panic!("{problems}"))
});

/// The target names, in the order `fuzz/smoke.sh` runs them.
pub const TARGETS: &[&str] = &[
    "explain_reader",
    "postconf",
    "master_cf",
    "knowledge_yaml",
    "facts",
    "config",
    "session",
    "smtp_reply",
    "dns_answer",
];

/// Runs the body of the target called `name`; false for an unknown name.
pub fn run(name: &str, data: &[u8]) -> bool {
    match name {
        "explain_reader" => explain_reader(data),
        "postconf" => postconf(data),
        "master_cf" => master_cf(data),
        "knowledge_yaml" => knowledge_yaml(data),
        "facts" => facts(data),
        "config" => config(data),
        "session" => session(data),
        "smtp_reply" => smtp_reply(data),
        "dns_answer" => dns_answer(data),
        _ => return false,
    }
    true
}

static SIGNATURES: LazyLock<&'static Signatures> = LazyLock::new(|| {
    relaydoc::explain::signatures(&KNOWLEDGE).unwrap_or_else(|problems| panic!("{problems}"))
});

/// Fuzzes `explain`: any bytes (MIME, logs, junk) must give an answer without panicking, and
/// the answer must keep the contract (not-relay first when it is not a relay denial).
pub fn explain_reader(data: &[u8]) {
    let answer = explain_bytes(data, &SIGNATURES);
    assert!(!answer.causes.is_empty());
    if !answer.relay_denial {
        assert_eq!(answer.causes[0].id, "not-relay");
        assert!(answer.side.is_none());
    }
}

/// Fuzz target: any bytes as main.cf / `postconf -n` output and as master.cf, through the
/// reader, the linter and the simulator. Nothing may panic, and everything must finish.
pub fn postconf(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (main, _) = parse_main("fuzz.cf", &text);
    let (services, _) = parse_master("fuzz.master.cf", &text);
    let settings = Settings::new(&main, None);
    let _ = relaydoc::postfix::lint::lint(&main, &services, &settings);
    let client = Client {
        ip: std::net::IpAddr::from([203, 0, 113, 9]),
        sasl_user: Some("user@example.com".into()),
        tls: data.first().is_some_and(|b| b & 1 == 1),
        helo: "client.example.net".into(),
        from: "user@example.com".into(),
        to: "friend@example.org".into(),
    };
    let _ = simulate(&settings, &client);
    for service in services.iter().take(4) {
        let view = settings.for_service(&service.name, service.overrides.clone());
        let _ = simulate(&view, &client);
    }
}

/// Fuzz target: any bytes as master.cf, through the reader and each service's view of a
/// small main.cf (its `-o` overrides applied). Nothing may panic, and everything must finish.
pub fn master_cf(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (services, _) = parse_master("fuzz.master.cf", &text);
    let (main, _) = parse_main(
        "main.cf",
        "mynetworks = 127.0.0.0/8\nsmtpd_relay_restrictions = permit_mynetworks, reject\n",
    );
    let settings = Settings::new(&main, None);
    for service in services.iter().take(16) {
        let view = settings.for_service(&service.name, service.overrides.clone());
        let _ = relaydoc::postfix::lint::lint(&main, std::slice::from_ref(service), &view);
    }
}

const PATHS: &[&str] = &[
    "tree/fuzz.yaml",
    "causes.yaml",
    "facts.yaml",
    "clients/fuzz.yaml",
    "providers/fuzz.yaml",
    "signatures/fuzz.yaml",
];

/// Fuzz target: any bytes as one overlay knowledge file laid over the bundled knowledge, at a
/// path the first byte picks (tree, causes, facts, clients, providers, signatures). Loading
/// and validation must answer (knowledge or diagnostics) without panicking, and every
/// diagnostic must print as one line each.
pub fn knowledge_yaml(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let relative = PATHS[first as usize % PATHS.len()];
    let mut files = bundled_files();
    files.push(SourceFile {
        name: format!("fuzz/{relative}"),
        relative: relative.to_owned(),
        text: text.to_owned(),
        layer: 1,
    });
    match build(&files) {
        Ok(knowledge) => {
            let _ = relaydoc::explain::signatures(&knowledge);
        }
        Err(problems) => {
            for problem in problems.iter() {
                assert!(!problem.to_string().contains('\n'));
            }
        }
    }
}

/// Fuzz target: any bytes as a `--facts` file, checked against the bundled fact catalogue.
pub fn facts(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut facts = Facts::new();
    let mut problems = Diagnostics::default();
    relaydoc::prefill::parse_text(
        &KNOWLEDGE.facts,
        "fuzz.yaml",
        text.to_owned(),
        &mut facts,
        &mut problems,
    );
    for problem in problems.iter() {
        assert!(!problem.to_string().contains('\n'));
    }
    // Whatever was accepted is a known key with an allowed value.
    for (key, value) in &facts {
        assert!(KNOWLEDGE.facts.check(key, value).is_ok(), "{key}={value}");
    }
}

/// Fuzz target: any bytes as the config file (`config.yaml`): an answer or positioned
/// diagnostics, never a panic, each diagnostic one line.
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(problems) =
        relaydoc::config::parse(text, "config.yaml", std::path::Path::new("/nonexistent"))
    {
        for problem in problems {
            assert!(!problem.to_string().contains('\n'));
        }
    }
}

/// Fuzz target: any bytes as a saved session file: parsed as the store does, and when it is
/// one, exported (Markdown, JSON, the agent's summary) and counted in the statistics.
pub fn session(data: &[u8]) {
    let Ok(session) = serde_json::from_slice::<Session>(data) else {
        return;
    };
    let markdown = export::to_markdown_in(&KNOWLEDGE, &session, &jiff::tz::TimeZone::UTC);
    assert!(!markdown.contains('\u{1b}'));
    let _ = export::to_json(&session);
    let _ = export::internal_summary(&KNOWLEDGE, &session);
    let _ = export::caller_steps(&KNOWLEDGE, &session);
    let _ = stats::compute(std::slice::from_ref(&session));
}

/// Fuzz target: any bytes as what an SMTP server says: a whole reply, and the same text fed
/// line by line to the multi-line reply builder the probes use.
pub fn smtp_reply(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(reply) = parse_reply(&text) {
        let _ = reply.summary();
        let _ = (reply.is_positive(), reply.is_permanent());
    }
    let mut builder = ReplyBuilder::default();
    for line in text.split("\r\n") {
        let Ok(line) = parse_line(line) else {
            break;
        };
        match builder.push(line) {
            Ok(Some(reply)) => {
                let _ = reply.summary();
                builder = ReplyBuilder::default();
            }
            Ok(None) => {}
            Err(_) => break,
        }
    }
}

/// Answers every question with the fuzzed reply (NXDOMAIN for address questions when the
/// first byte says so, to reach the "no address" paths too).
struct Wire {
    answer: Answer,
    addresses_missing: bool,
}

impl Resolve for Wire {
    async fn query(&self, _name: &str, kind: RecordKind) -> Answer {
        if self.addresses_missing && matches!(kind, RecordKind::A | RecordKind::Aaaa) {
            return Answer::NxDomain;
        }
        self.answer.clone()
    }

    fn source(&self) -> String {
        "fuzz".to_owned()
    }
}

/// Fuzz target: any bytes as a DNS reply on the wire, through hickory's parser and relaydoc's
/// conversion (`answer_from_wire`), then served by a scripted resolver to `check mx`, which
/// follows the MX hosts and aliases it names. Nothing may panic; the work stays bounded.
pub fn dns_answer(data: &[u8]) {
    let answer = answer_from_wire(data);
    let resolver = Wire {
        answer,
        addresses_missing: data.first().is_some_and(|b| b & 1 == 1),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let report = runtime.block_on(mx::check(&resolver, "example.com"));
    let _ = report.human();
    let _ = report.to_check_report();
}
