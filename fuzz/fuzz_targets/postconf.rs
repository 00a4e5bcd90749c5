//! Fuzz target: any bytes as main.cf / `postconf -n` output and as master.cf, through the
//! reader, the linter and the simulator. Nothing may panic, and everything must finish.
//! The body lives in `fuzz/bodies.rs`, shared with the stable smoke test `tests/fuzz_smoke.rs`.
#![no_main]

#[path = "../bodies.rs"]
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::postconf(data));
