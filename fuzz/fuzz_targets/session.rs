//! Fuzz target: any bytes as a saved session file: parsed as the store does, and when it is
//! one, exported (Markdown, JSON, the agent's summary) and counted in the statistics.
//! The body lives in `fuzz/bodies.rs`, shared with the stable smoke test `tests/fuzz_smoke.rs`.
#![no_main]

#[path = "../bodies.rs"]
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::session(data));
