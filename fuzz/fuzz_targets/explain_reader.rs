//! Fuzzes `explain`: any bytes (MIME, logs, junk) must give an answer without panicking, and
//! the answer must keep the contract (not-relay first when it is not a relay denial).
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use relaydoc::explain::{Signatures, explain_bytes};
use relaydoc::knowledge::Knowledge;

static KNOWLEDGE: LazyLock<Knowledge> = LazyLock::new(|| {
    relaydoc::knowledge::bundled().unwrap_or_else(|problems| panic!("{problems}"))
});
static SIGNATURES: LazyLock<&'static Signatures> = LazyLock::new(|| {
    relaydoc::explain::signatures(&KNOWLEDGE).unwrap_or_else(|problems| panic!("{problems}"))
});

fuzz_target!(|data: &[u8]| {
    let answer = explain_bytes(data, &SIGNATURES);
    assert!(!answer.causes.is_empty());
    if !answer.relay_denial {
        assert_eq!(answer.causes[0].id, "not-relay");
        assert!(answer.side.is_none());
    }
});
