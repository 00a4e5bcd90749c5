//! Fuzz target: any bytes as what an SMTP server says: a whole reply, and the same text fed
//! line by line to the multi-line reply builder the probes use.
//! The body lives in `fuzz/bodies.rs`, shared with the stable smoke test `tests/fuzz_smoke.rs`.
#![no_main]

#[path = "../bodies.rs"]
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::smtp_reply(data));
