//! The words the TUI's parts share: the messages the event loop brings, the work `update`
//! hands back, how the TUI ends, the status line, Home's entries and where a wizard run was
//! started. Data only; each screen's own state is in its module under `screens/`, the
//! model's in `model`.

use std::sync::Arc;
use std::time::Instant;

use crossterm::event::KeyEvent;

use super::checks::{AccountDone, AccountJob, AccountProgress, CheckDone, CheckJob};
use super::email::{EmailDone, EmailJob};
use crate::knowledge::model::NodeId;
use crate::session::recorder::Details;
use crate::session::{Clock, Mode, Store, SystemClock};

/// How the TUI ended, for the exit status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// Quit after reaching this conclusion (a node id).
    Concluded(String),
    /// Quit before a conclusion.
    Quit,
    /// Ctrl-C.
    Interrupted,
}

/// Messages: everything that can happen to the TUI.
#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    /// Text pasted into the terminal (bracketed paste).
    Paste(String),
    /// The terminal changed size.
    Resize(u16, u16),
    /// Time passes (only sent while something animates).
    Tick(Instant),
    /// A live check finished.
    CheckDone(CheckDone),
    /// A sub-check of the account check started, ended or was skipped.
    AccountProgress(AccountProgress),
    /// The account check finished.
    AccountDone(AccountDone),
    /// Emailing the caller's steps finished (helpdesk mode).
    EmailDone(EmailDone),
}

/// Work for the event loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cmd {
    RunChecks(Vec<CheckJob>),
    RunAccount(AccountJob),
    /// Email the caller's steps through the configured [`crate::session::mail::StepsSender`].
    EmailSteps(EmailJob),
    Quit,
}

/// How wizard runs are recorded.
#[derive(Clone)]
pub struct Recording {
    /// Where sessions are saved; `None` records in memory only (`--no-save`, tests).
    pub store: Option<Store>,
    /// The mode of runs started from Home's Start and Paste entries; Helpdesk mode is always
    /// [`Mode::Agent`].
    pub mode: Mode,
    /// The agent and caller given on the command line.
    pub details: Details,
    pub clock: Arc<dyn Clock>,
}

impl Default for Recording {
    fn default() -> Self {
        Self {
            store: None,
            mode: Mode::User,
            details: Details::default(),
            clock: Arc::new(SystemClock),
        }
    }
}

impl std::fmt::Debug for Recording {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recording")
            .field("store", &self.store)
            .field("mode", &self.mode)
            .field("details", &self.details)
            .finish_non_exhaustive()
    }
}

/// The recorder takes its own boxed clock; every run of one TUI shares the model's.
pub(crate) struct SharedClock(pub(crate) Arc<dyn Clock>);

impl Clock for SharedClock {
    fn now(&self) -> jiff::Timestamp {
        self.0.now()
    }
}

/// The status line's text, and whether it reports a problem (drawn to stand out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusLine {
    pub text: String,
    pub problem: bool,
}

impl StatusLine {
    pub fn info(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            problem: false,
        }
    }

    pub fn problem(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            problem: true,
        }
    }
}

/// The entries of the Home menu, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HomeEntry {
    Start,
    Paste,
    Account,
    Browse,
    /// A helpdesk agent guiding a caller: agent mode.
    Helpdesk,
    /// Earlier runs, to look up or pick up again.
    Sessions,
    Quit,
}

pub const HOME_ENTRIES: [HomeEntry; 7] = [
    HomeEntry::Start,
    HomeEntry::Paste,
    HomeEntry::Account,
    HomeEntry::Browse,
    HomeEntry::Helpdesk,
    HomeEntry::Sessions,
    HomeEntry::Quit,
];

/// Where a wizard run was started, so leaving it from its first question goes back there
/// with what was typed (a pasted error, a caller's name) still in its box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A Home entry (Start, Helpdesk with `--caller`).
    Home(HomeEntry),
    /// The paste box, with the text pasted.
    Paste(String),
    /// Helpdesk mode's "who is calling" box, with what was typed.
    Caller(String),
    /// A saved session picked up again: its file is the person's, never discarded.
    Resumed,
}

/// Where an entry sits on the Home menu, so a screen left with Esc highlights the entry it was
/// opened from.
pub fn home_index(entry: HomeEntry) -> usize {
    HOME_ENTRIES
        .iter()
        .position(|candidate| *candidate == entry)
        .unwrap_or(0)
}

/// The solution page's state: in the wizard, and for a solution Browse opens (whose page
/// `article` lays out the same way).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SolutionUi {
    pub node: NodeId,
    /// The mail client the steps are written for (None: from the facts, or generic).
    pub client: Option<String>,
    pub scroll: u16,
    /// The client switcher, open, with its highlighted entry.
    pub picker: Option<usize>,
    /// Agent mode: the internal summary is shown instead of the caller's steps.
    pub internal: bool,
    /// Agent mode: the address box for emailing the steps, open, with what is typed.
    pub email: Option<String>,
    /// Reached through the wizard: whether the evidence singled the cause out (the page then
    /// says why; otherwise it lists what is still possible). `None` when browsing.
    pub decided: Option<bool>,
}
