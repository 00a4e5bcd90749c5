//! Fuzz target: any bytes as a DNS reply on the wire, through hickory's parser and relaydoc's
//! conversion (`answer_from_wire`), then served by a scripted resolver to `check mx`, which
//! follows the MX hosts and aliases it names. Nothing may panic; the work stays bounded.
//! The body lives in `fuzz/bodies.rs`, shared with the stable smoke test `tests/fuzz_smoke.rs`.
#![no_main]

#[path = "../bodies.rs"]
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::dns_answer(data));
