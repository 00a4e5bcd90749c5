//! Fuzz target: any bytes as the config file (`config.yaml`): an answer or positioned
//! diagnostics, never a panic, each diagnostic one line.
//! The body lives in `fuzz/bodies.rs`, shared with the stable smoke test `tests/fuzz_smoke.rs`.
#![no_main]

#[path = "../bodies.rs"]
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::config(data));
