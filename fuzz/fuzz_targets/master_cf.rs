//! Fuzz target: any bytes as master.cf, through the reader and each service's view of a
//! small main.cf (its `-o` overrides applied). Nothing may panic, and everything must finish.
//! The body lives in `fuzz/bodies.rs`, shared with the stable smoke test `tests/fuzz_smoke.rs`.
#![no_main]

#[path = "../bodies.rs"]
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::master_cf(data));
