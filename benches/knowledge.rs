//! Load + validate time of the bundled knowledge and of generated trees of growing size.
//!
//! Run: `cargo bench --bench knowledge`. The generated trees are complete binary trees of
//! questions whose leaves are solutions, laid over the bundled facts, causes and clients, so
//! validation does all of its work (references, reachability, termination, loops, facts).

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use relaydoc::knowledge::build::build;
use relaydoc::knowledge::source::{SourceFile, bundled_files};

const FACTS: &[&str] = &[
    "webmail.works",
    "network.changes",
    "receiving.works",
    "account.recently_changed",
    "sending.works_after_checking_mail",
];

fn generated_tree(nodes: usize) -> Vec<SourceFile> {
    let mut files: Vec<SourceFile> = bundled_files()
        .into_iter()
        .filter(|file| !file.relative.starts_with("tree/"))
        .collect();
    // Knowledge is one concern a file, and a file may hold at most 512 KiB: 500 nodes a file.
    let mut chunks: Vec<String> = Vec::new();
    let mut yaml = String::from("nodes:\n");
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
    for index in 0..nodes {
        if index > 0 && index % 500 == 0 {
            chunks.push(std::mem::replace(&mut yaml, String::from("nodes:\n")));
        }
        if index < questions {
            let (left, right) = (2 * index + 1, 2 * index + 2);
            let right = if right < nodes { right } else { left };
            yaml.push_str(&format!(
                "  - id: {}\n    kind: question\n    fact: {}\n    text: Question {index}?\n    choices:\n      - {{value: \"yes\", label: Yes, next: {}}}\n    unknown: {}\n",
                id(index),
                FACTS[index % FACTS.len()],
                id(left),
                id(right),
            ));
        } else {
            yaml.push_str(&format!(
                "  - id: {}\n    kind: solution\n    cause: client-auth-off\n    text: Solution {index}.\n",
                id(index)
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
    files
}

fn knowledge(c: &mut Criterion) {
    let bundled = bundled_files();
    c.bench_function("load+validate bundled", |b| {
        b.iter(|| build(black_box(&bundled)).expect("valid"))
    });
    let mut group = c.benchmark_group("load+validate generated");
    group.sample_size(20);
    for nodes in [1_000, 2_500, 5_000, 10_000] {
        let files = generated_tree(nodes);
        build(&files).expect("generated tree is valid");
        group.bench_with_input(BenchmarkId::from_parameter(nodes), &files, |b, files| {
            b.iter(|| build(black_box(files)).expect("valid"))
        });
    }
    group.finish();
}

criterion_group!(benches, knowledge);

criterion_main!(benches);
