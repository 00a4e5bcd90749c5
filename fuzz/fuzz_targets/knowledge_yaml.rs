//! Fuzz target: any bytes as one overlay knowledge file laid over the bundled knowledge, at a
//! path the first byte picks (tree, causes, facts, clients, providers, signatures). Loading
//! and validation must answer (knowledge or diagnostics) without panicking, and every
//! diagnostic must print as one line each.
//! The body lives in `fuzz/bodies.rs`, shared with the stable smoke test `tests/fuzz_smoke.rs`.
#![no_main]

#[path = "../bodies.rs"]
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::knowledge_yaml(data));
