//! What a person waits for between answering and seeing the next question: one engine step
//! (the tree moves on; at a conclusion the diagnosis ranks every cause and picks the question
//! that best tells the leaders apart). Aim: under 1 ms a step on the bundled knowledge, and
//! linear in the size of the tree.
//!
//! Run: `cargo bench --bench diagnosis`. Inputs:
//! - the *tuning* part of the case library (`tests/fixtures/cases/tuning.yaml`; the held-out
//!   part stays unread here too): each story's facts and pasted error walked to its end with
//!   "don't know" for everything else, so every kind of step real stories take is in the mix;
//!   the time per step is the group's time divided by the steps it took (printed);
//! - single steps: the first question, and a step that ends in the diagnosis settling;
//! - generated trees of 1,000–10,000 question nodes (as in `benches/knowledge.rs`) walked from
//!   the start: the time per step must stay flat or grow at most linearly with the tree.

use std::hint::black_box;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use relaydoc::engine::{Facts, Message, Wizard, walk};
use relaydoc::knowledge::Knowledge;
use relaydoc::knowledge::build::build;
use relaydoc::knowledge::source::{SourceFile, bundled_files};

#[derive(serde::Deserialize)]
struct Library {
    cases: Vec<Case>,
}

#[derive(serde::Deserialize)]
struct Case {
    #[serde(default)]
    facts: std::collections::BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    error_text: Option<String>,
}

/// The tuning stories as the wizard gets them: their facts, and the pasted error as
/// `error.text`.
fn tuning_inputs() -> Vec<Facts> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/cases/tuning.yaml"
    );
    let text = std::fs::read_to_string(path).expect("tuning.yaml");
    let library: Library = serde_saphyr::from_str(&text).expect("tuning.yaml parses");
    library
        .cases
        .into_iter()
        .map(|case| {
            let mut facts: Facts = case
                .facts
                .into_iter()
                .map(|(key, value)| {
                    let value = match value {
                        serde_json::Value::String(text) => text,
                        other => other.to_string(),
                    };
                    (key, value)
                })
                .collect();
            if let Some(text) = case.error_text {
                facts.insert("error.text".into(), text);
            }
            facts
        })
        .collect()
}

const FACTS: &[&str] = &[
    "webmail.works",
    "network.changes",
    "receiving.works",
    "account.recently_changed",
    "sending.works_after_checking_mail",
    "network.other_works",
    "recipient.recently_moved",
];

/// A complete binary tree of `nodes` questions and solutions over the bundled facts, causes
/// and clients. Each question asks a fact of its own (`--fact`-style keys are reused every
/// few levels only deep down), so a walk takes one step per level.
fn generated_tree(nodes: usize) -> Knowledge {
    let mut files: Vec<SourceFile> = bundled_files()
        .into_iter()
        .filter(|file| !file.relative.starts_with("tree/"))
        .collect();
    let questions = nodes / 2;
    let id = |index: usize| {
        if index == 0 {
            "start".to_string()
        } else if index < questions {
            format!("q{index}")
        } else {
            format!("s{index}")
        }
    };
    let causes = [
        "client-auth-off",
        "pop-before-smtp-expired",
        "wrong-outgoing-server",
    ];
    let mut chunks = Vec::new();
    let mut yaml = String::from("nodes:\n");
    for index in 0..nodes {
        // At most 512 KiB a knowledge file: 500 nodes a file.
        if index > 0 && index % 500 == 0 {
            chunks.push(std::mem::replace(&mut yaml, String::from("nodes:\n")));
        }
        if index < questions {
            let depth = (usize::BITS - (index + 1).leading_zeros()) as usize - 1;
            let (left, right) = (2 * index + 1, 2 * index + 2);
            let right = if right < nodes { right } else { left };
            yaml.push_str(&format!(
                "  - id: {}\n    kind: question\n    fact: {}\n    text: Question {index}?\n    choices:\n      - {{value: \"yes\", label: Yes, next: {}}}\n    unknown: {}\n",
                id(index),
                FACTS[depth % FACTS.len()],
                id(left),
                id(right),
            ));
        } else {
            yaml.push_str(&format!(
                "  - id: {}\n    kind: solution\n    cause: {}\n    text: Solution {index}.\n",
                id(index),
                causes[index % causes.len()],
            ));
        }
    }
    chunks.push(yaml);
    for (number, text) in chunks.into_iter().enumerate() {
        files.push(SourceFile {
            name: format!("generated/tree/part-{number:03}.yaml"),
            relative: format!("tree/part-{number:03}.yaml"),
            text,
            layer: 0,
        });
    }
    build(&files).expect("the generated tree is valid")
}

/// Steps a walk takes: every node it passed, asked or not (an upper bound on answers, so the
/// time per step printed is, if anything, flattering to nobody).
fn steps(knowledge: &Knowledge, facts: &Facts) -> usize {
    walk(knowledge, facts.clone(), |_| None).path.len().max(1)
}

fn diagnosis(c: &mut Criterion) {
    let bundled = relaydoc::knowledge::bundled().expect("bundled knowledge");
    let stories = tuning_inputs();
    let total_steps: usize = stories.iter().map(|facts| steps(&bundled, facts)).sum();
    eprintln!(
        "bundled: {} tuning stories walk {total_steps} steps in all; divide the time below by that",
        stories.len()
    );

    let mut group = c.benchmark_group("bundled knowledge");
    group.throughput(Throughput::Elements(total_steps as u64));
    group.bench_function("every tuning story walked to its end", |b| {
        b.iter(|| {
            for facts in &stories {
                black_box(walk(&bundled, facts.clone(), |_| None));
            }
        })
    });
    group.throughput(Throughput::Elements(1));
    group.bench_function("start: to the first question", |b| {
        b.iter(|| black_box(Wizard::new(&bundled, Facts::new())))
    });
    // One answer that brings the tree to a conclusion, where the diagnosis ranks all causes
    // and weighs every open question: the most expensive kind of step.
    let before_settling: Facts = [
        ("error.where", "client"),
        ("error.kind", "relay"),
        ("client.id", "ios-mail"),
        ("users.affected", "one"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    group.bench_function("one answer, then the diagnosis settles", |b| {
        b.iter_batched(
            || Wizard::new(&bundled, before_settling.clone()).0,
            |mut wizard| black_box(wizard.update(Message::DontKnow)),
            BatchSize::SmallInput,
        )
    });
    group.finish();

    let mut group = c.benchmark_group("generated tree, walked from the start");
    group.sample_size(20);
    for nodes in [1_000, 2_500, 5_000, 10_000] {
        let knowledge = generated_tree(nodes);
        let walked = steps(&knowledge, &Facts::new());
        eprintln!("generated {nodes}: a walk takes {walked} steps");
        group.throughput(Throughput::Elements(walked as u64));
        group.bench_with_input(BenchmarkId::from_parameter(nodes), &knowledge, |b, kb| {
            b.iter(|| black_box(walk(kb, Facts::new(), |_| None)))
        });
    }
    group.finish();
}

criterion_group!(benches, diagnosis);
criterion_main!(benches);
