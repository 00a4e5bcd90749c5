//! Fuzzes `explain`: any bytes (MIME, logs, junk) must give an answer without panicking, and
//! the answer must keep the contract (not-relay first when it is not a relay denial).
//! The body lives in `fuzz/bodies.rs`, shared with the stable smoke test `tests/fuzz_smoke.rs`.
#![no_main]

#[path = "../bodies.rs"]
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::explain_reader(data));
