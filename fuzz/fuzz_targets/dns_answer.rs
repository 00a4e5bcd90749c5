//! Fuzz target: any bytes as a DNS reply on the wire, through hickory's parser and relaydoc's
//! conversion (`answer_from_wire`), then served by a scripted resolver to `check mx`, which
//! follows the MX hosts and aliases it names. Nothing may panic; the work stays bounded.
#![no_main]

use libfuzzer_sys::fuzz_target;
use relaydoc::checks::dns::{Answer, RecordKind, Resolve, answer_from_wire, mx};

/// Answers every question with the fuzzed reply (NXDOMAIN for address questions when the
/// first byte says so, to reach the "no address" paths too).
struct Wire {
    answer: Answer,
    addresses_missing: bool,
}

impl Resolve for Wire {
    async fn query(&self, _name: &str, kind: RecordKind) -> Answer {
        if self.addresses_missing && matches!(kind, RecordKind::A | RecordKind::Aaaa) {
            return Answer::NxDomain;
        }
        self.answer.clone()
    }

    fn source(&self) -> String {
        "fuzz".to_owned()
    }
}

fuzz_target!(|data: &[u8]| {
    let answer = answer_from_wire(data);
    let resolver = Wire {
        answer,
        addresses_missing: data.first().is_some_and(|b| b & 1 == 1),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let report = runtime.block_on(mx::check(&resolver, "example.com"));
    let _ = report.human();
    let _ = report.to_check_report();
});
