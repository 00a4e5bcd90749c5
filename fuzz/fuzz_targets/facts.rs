//! Fuzz target: any bytes as a `--facts` file, checked against the bundled fact catalogue.
//! The body lives in `fuzz/bodies.rs`, shared with the stable smoke test `tests/fuzz_smoke.rs`.
#![no_main]

#[path = "../bodies.rs"]
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::facts(data));
