//! The driver side of the wizard: what stands between the pure engine and the screens.
//!
//! The engine ([`crate::engine`]) decides what to ask and asks for checks as effects; it does
//! no I/O. Every driver — the TUI, plain prompt mode, `wizard --json`, a resumed session and
//! the tests — runs those effects through the one port here, [`Checks`], and turns what a
//! check found into the engine's next message with the one rule here, [`message_for`].
//!
//! - [`live`]: the checks for real, over the network, with the person's resolver settings.
//! - [`account`]: `check account`'s findings read as the decision tree's facts, and the
//!   diagnosis they point to (the checks themselves know no tree).
//! - [`discovery`]: settings discovery online joined to the catalogue (the MX and Microsoft 365
//!   questions), and found settings as a provider the steps can be filled from.
//! - [`yours`]: "yours vs theirs", what the person's program uses beside what the provider
//!   publishes, one line per difference.

pub mod account;
pub mod discovery;
pub mod live;
pub mod yours;

use crate::checks::account::{AccountReport, Event as AccountEvent};
use crate::checks::{CheckReport, Status};
use crate::engine::{CheckRequest, Facts, Message};
use crate::knowledge::Knowledge;
use crate::vocab::Secret;

/// Runs the checks the engine asks for. Implementations may block: the TUI calls them on a
/// worker thread, plain mode and `wizard --json` in line.
pub trait Checks: Send + Sync {
    /// Runs one check to the end (it owns its own timeouts) and reports what it found; a
    /// check that could not run reports status `error` with the reason in its summary.
    fn run(&self, request: &CheckRequest) -> CheckReport;

    /// Finds the outgoing server for `email` and tests it, without a password (the sign-in
    /// test is skipped and the report says so), calling `progress` as each sub-check starts
    /// and ends. `Err` holds plain words for why nothing could run at all.
    fn account(
        &self,
        email: &str,
        progress: &dyn Fn(AccountEvent),
    ) -> Result<AccountReport, String> {
        let _ = (email, progress);
        Err(String::from(
            "live checks are not available in this version",
        ))
    }
}

/// Only what needs no network: reading an error text. Every other check reports that it
/// could not run, so the wizard takes the tree's fallback branch. For `wizard --json` (no
/// person, so nothing goes over the network) and for tests.
#[derive(Debug)]
pub struct OfflineChecks<'k> {
    pub knowledge: &'k Knowledge,
}

impl Checks for OfflineChecks<'_> {
    fn run(&self, request: &CheckRequest) -> CheckReport {
        live::offline_report(self.knowledge, request).unwrap_or_else(|| {
            not_run(
                request,
                "live checks are off here (no network is used without a person at the screen)",
            )
        })
    }
}

/// For builds and tests without any checks: every check reports that it could not run.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoChecks;

impl Checks for NoChecks {
    fn run(&self, request: &CheckRequest) -> CheckReport {
        not_run(request, "live checks are not available in this version")
    }
}

/// What a finished check established for the tree: its facts when it ran, `None` when it
/// could not (an `error` report sets no facts, and the tree takes its fallback branch).
pub fn established(report: &CheckReport) -> Option<Facts> {
    match report.status {
        Status::Error => None,
        Status::Ok | Status::Problem => Some(report.facts.clone()),
    }
}

/// The engine's next message for a finished check, by the rule of [`established`].
pub fn message_for(request: &CheckRequest, report: &CheckReport) -> Message {
    match established(report) {
        Some(facts) => Message::CheckFinished {
            node: request.node,
            facts,
        },
        None => Message::CheckFailed { node: request.node },
    }
}

/// The facts of the checks that need no network (reading an error text), for walks without
/// a person ([`crate::engine::walk`]): `None` for every other check.
pub fn run_offline(knowledge: &Knowledge, request: &CheckRequest) -> Option<Facts> {
    established(&OfflineChecks { knowledge }.run(request))
}

/// The password from `RELAYDOC_PASSWORD`, for the wizard's sign-in test as for `relaydoc
/// check`: whoever set it is not asked for it (once per run; after that, a person who goes
/// back to the password question types one). Not valid UTF-8 or empty: as if unset.
pub fn password_from_env() -> Option<Secret> {
    std::env::var("RELAYDOC_PASSWORD")
        .ok()
        .filter(|password| !password.is_empty())
        .map(Secret::new)
}

/// A check that could not run, saying why in plain words.
pub fn not_run(request: &CheckRequest, why: &str) -> CheckReport {
    CheckReport {
        check: request.check.clone(),
        status: Status::Error,
        facts: Default::default(),
        details: serde_json::json!({ "summary": why }),
    }
}
