//! Fuzz target: any bytes as a saved session file: parsed as the store does, and when it is
//! one, exported (Markdown, JSON, the agent's summary) and counted in the statistics.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use relaydoc::knowledge::Knowledge;
use relaydoc::session::{Session, export, stats};

static KNOWLEDGE: LazyLock<Knowledge> = LazyLock::new(|| {
    relaydoc::knowledge::bundled().unwrap_or_else(|problems| panic!("{problems}"))
});

fuzz_target!(|data: &[u8]| {
    let Ok(session) = serde_json::from_slice::<Session>(data) else {
        return;
    };
    let markdown = export::to_markdown_in(&KNOWLEDGE, &session, &jiff::tz::TimeZone::UTC);
    assert!(!markdown.contains('\u{1b}'));
    let _ = export::to_json(&session);
    let _ = export::internal_summary(&KNOWLEDGE, &session);
    let _ = export::caller_steps(&KNOWLEDGE, &session);
    let _ = stats::compute(std::slice::from_ref(&session));
});
