//! Fuzz target: any bytes as one overlay knowledge file laid over the bundled knowledge, at a
//! path the first byte picks (tree, causes, facts, clients, providers, signatures). Loading
//! and validation must answer (knowledge or diagnostics) without panicking, and every
//! diagnostic must print as one line each.
#![no_main]

use libfuzzer_sys::fuzz_target;
use relaydoc::knowledge::build::build;
use relaydoc::knowledge::source::{SourceFile, bundled_files};

const PATHS: &[&str] = &[
    "tree/fuzz.yaml",
    "causes.yaml",
    "facts.yaml",
    "clients/fuzz.yaml",
    "providers/fuzz.yaml",
    "signatures/fuzz.yaml",
];

fuzz_target!(|data: &[u8]| {
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
});
