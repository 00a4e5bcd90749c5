//! Live checks: DNS, SMTP, AUTH, relay, POP-before-SMTP, blacklists.
//!
//! A check is data in, data out: a request (names, socket addresses, timeouts) goes in, a
//! [`CheckReport`] comes out. "The server said 554" is a finding with status `problem`;
//! status `error` means only that the check could not run (timeout, network, TLS, protocol),
//! and the report names the phase that failed.

pub mod smtp;

use std::collections::BTreeMap;

pub mod account;
pub mod dns;

use serde::Serialize;

/// Facts a check established: key → value, keys from DESIGN.md's fact catalogue (the
/// wizard's facts have the same shape).
pub type Facts = BTreeMap<String, String>;

/// How a check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// It ran and found nothing wrong.
    Ok,
    /// It ran and found something that explains or causes a relay denial.
    Problem,
    /// It could not run to the end.
    Error,
}

/// The JSON contract of every `relaydoc check … --json`:
/// `{"check": NAME, "status": "ok"|"problem"|"error", "facts": {…}, "details": …}`.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub check: String,
    pub status: Status,
    /// Wizard facts this check established (keys from DESIGN.md, plus check-specific ones).
    pub facts: BTreeMap<String, String>,
    /// Check-specific evidence: answers, transcripts (passwords masked), timings.
    pub details: serde_json::Value,
}
