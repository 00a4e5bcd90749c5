//! Live checks as the TUI sees them: the wizard's [`Checks`] port, which may block, run off
//! the UI thread, whose reports come back to the event loop as messages.
//!
//! The TUI never waits for a check: [`spawn`] hands the request to a worker thread and returns
//! at once; the report arrives later on the event channel, tagged with a ticket so a report for
//! a check the person cancelled is recognised and dropped.

use std::sync::Arc;
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

use crate::checks::account::{AccountReport, Event as AccountEvent};
use crate::checks::{CheckReport, Status};
use crate::engine::CheckRequest;
use crate::sanitize::single_line;
use crate::wizard::Checks;

/// A check to start, with the ticket its report must carry back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckJob {
    pub ticket: u64,
    pub request: CheckRequest,
}

/// A finished check, as it travels back to the UI thread.
#[derive(Debug, Clone)]
pub struct CheckDone {
    pub ticket: u64,
    pub report: CheckReport,
    pub elapsed: Duration,
}

/// Starts `job` on its own thread; `deliver` wraps the result into the event loop's event.
///
/// A thread per check is enough: the wizard asks for one check at a time, and a cancelled
/// check simply finishes in the background and is ignored.
pub fn spawn<E: Send + 'static>(
    runner: Arc<dyn Checks>,
    job: CheckJob,
    events: Sender<E>,
    deliver: fn(CheckDone) -> E,
) {
    let fallback = (events.clone(), job.clone());
    let spawned = std::thread::Builder::new()
        .name(format!("check-{}", job.request.check))
        .spawn(move || {
            let started = Instant::now();
            let report = runner.run(&job.request);
            // The UI may have quit meanwhile; nobody is left to tell.
            let _ = events.send(deliver(CheckDone {
                ticket: job.ticket,
                report,
                elapsed: started.elapsed(),
            }));
        });
    if spawned.is_err() {
        // No thread, no check: report it as one that could not run, so the row never spins
        // forever.
        let (events, job) = fallback;
        let _ = events.send(deliver(CheckDone {
            ticket: job.ticket,
            report: CheckReport {
                check: job.request.check,
                status: Status::Error,
                facts: Default::default(),
                details: serde_json::json!({"summary": "could not start the check"}),
            },
            elapsed: Duration::ZERO,
        }));
    }
}

/// An account check to start, with the ticket its progress and report must carry back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountJob {
    pub ticket: u64,
    pub email: String,
}

/// Progress of an account check: a sub-check started, ended or was skipped.
#[derive(Debug, Clone)]
pub struct AccountProgress {
    pub ticket: u64,
    /// Boxed: reports are large, and the event loop's channel carries small key presses too.
    pub event: Box<AccountEvent>,
}

/// A finished account check, as it travels back to the UI thread.
#[derive(Debug, Clone)]
pub struct AccountDone {
    pub ticket: u64,
    /// Boxed, like [`AccountProgress::event`].
    pub result: Result<Box<AccountReport>, String>,
    pub elapsed: Duration,
}

/// Starts the account check on its own thread; `progress` and `deliver` wrap what it reports
/// into the event loop's event. Like [`spawn`], it returns at once, and a check the person
/// left finishes in the background and is ignored.
pub fn spawn_account<E: Send + 'static>(
    runner: Arc<dyn Checks>,
    job: AccountJob,
    events: Sender<E>,
    progress: fn(AccountProgress) -> E,
    deliver: fn(AccountDone) -> E,
) {
    let fallback = (events.clone(), job.ticket);
    let spawned = std::thread::Builder::new()
        .name("check-account".into())
        .spawn(move || {
            let started = Instant::now();
            let ticket = job.ticket;
            let report = |event| {
                // The UI may have quit meanwhile; nobody is left to tell.
                let _ = events.send(progress(AccountProgress {
                    ticket,
                    event: Box::new(event),
                }));
            };
            let result = runner.account(&job.email, &report).map(Box::new);
            let _ = events.send(deliver(AccountDone {
                ticket,
                result,
                elapsed: started.elapsed(),
            }));
        });
    if spawned.is_err() {
        // No thread, no check: say so, so the screen never spins forever.
        let (events, ticket) = fallback;
        let _ = events.send(deliver(AccountDone {
            ticket,
            result: Err(String::from("could not start the check")),
            elapsed: Duration::ZERO,
        }));
    }
}

/// One line saying what a check found: the report's `summary` when it has one, otherwise the
/// facts it established.
pub fn summary(report: &CheckReport) -> String {
    if let Some(text) = report.details.get("summary").and_then(|v| v.as_str()) {
        return single_line(text);
    }
    if report.facts.is_empty() {
        return match report.status {
            Status::Ok => "nothing wrong found".into(),
            Status::Problem => "found a problem (see details)".into(),
            Status::Error => "could not run".into(),
        };
    }
    single_line(
        &report
            .facts
            .iter()
            .map(|(key, value)| format!("{key} = {value}"))
            .collect::<Vec<_>>()
            .join(", "),
    )
}

/// The evidence behind a report (answers, transcripts) as lines safe to draw. Checks mask
/// passwords in their own transcripts; a password never reaches anything else of a report.
pub fn evidence(report: &CheckReport) -> Vec<String> {
    let text = match &report.details {
        serde_json::Value::Null => String::from("(this check left no details)"),
        serde_json::Value::String(text) => text.clone(),
        // Objects read better as "key: value" lines, lists (transcripts) one item a line.
        serde_json::Value::Object(fields) => {
            let mut out = String::new();
            for (key, value) in fields {
                match value {
                    serde_json::Value::String(text) => out.push_str(&format!("{key}: {text}\n")),
                    serde_json::Value::Array(items) => {
                        out.push_str(&format!("{key}:\n"));
                        for item in items {
                            match item {
                                serde_json::Value::String(text) => {
                                    out.push_str(&format!("  {text}\n"));
                                }
                                other => out.push_str(&format!("  {other}\n")),
                            }
                        }
                    }
                    other => out.push_str(&format!(
                        "{key}: {}\n",
                        serde_json::to_string_pretty(other).unwrap_or_default()
                    )),
                }
            }
            out
        }
        details => serde_json::to_string_pretty(details).unwrap_or_default(),
    };
    crate::sanitize::for_terminal(&text)
        .lines()
        .map(|line| line.replace('\t', "    "))
        .collect()
}
