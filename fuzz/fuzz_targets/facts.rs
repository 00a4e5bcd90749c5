//! Fuzz target: any bytes as a `--facts` file, checked against the bundled fact catalogue.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use relaydoc::diagnostic::Diagnostics;
use relaydoc::engine::Facts;
use relaydoc::knowledge::Knowledge;

static KNOWLEDGE: LazyLock<Knowledge> = LazyLock::new(|| {
    relaydoc::knowledge::bundled().unwrap_or_else(|problems| panic!("{problems}"))
});

fuzz_target!(|data: &[u8]| {
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
});
