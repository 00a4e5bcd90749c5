//! The TUI's state: what each screen holds, the messages the event loop brings and the work
//! `update` hands back. Data only; how keys change it is in `model` and the screens' own
//! modules, how it is drawn in `view`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::KeyEvent;

use super::checks::{AccountDone, AccountJob, AccountProgress, CheckDone, CheckJob};
use super::email::{EmailDone, EmailJob};
use super::saved::state::{PendingSend, SavedSessions};
use super::theme::Theme;
use crate::checks::Status;
use crate::checks::account::Settings;
use crate::engine::Facts;
use crate::knowledge::Knowledge;
use crate::knowledge::model::NodeId;
use crate::knowledge::search::Hit;
use crate::session::recorder::Details;
use crate::session::{Clock, Mode, Recorder, Store, SystemClock};
use crate::vocab::Secret;

/// How many search results Browse lists.
pub const SEARCH_LIMIT: usize = 50;

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

#[derive(Debug)]
pub struct Model<'k> {
    pub knowledge: &'k Knowledge,
    /// Facts given on the command line; every new wizard run starts from them.
    pub initial_facts: Facts,
    pub screen: Screen,
    /// The wizard run, kept while Browse is open so the person can return to it.
    pub session: Option<Session<'k>>,
    pub help_open: bool,
    pub theme: Theme,
    /// Terminal size, so scrolling can stop at the end of what the view will draw.
    pub size: (u16, u16),
    pub now: Instant,
    pub spinner: usize,
    pub(super) next_ticket: u64,
    pub ending: Option<Ending>,
    /// Where runs are saved, who they are for, and the clock their events are stamped with.
    pub recording: Recording,
    /// Whether "email these steps" has a sender behind it (helpdesk mode).
    pub can_email: bool,
    /// One line under the header until the next key: a save problem, a note kept, a session
    /// picked up.
    pub status: Option<StatusLine>,
    /// The id of the last run saved, for the line printed after the TUI ends.
    pub saved: Option<String>,
    /// The zone times are shown in: the system's, or a fixed one in tests.
    pub time_zone: jiff::tz::TimeZone,
    /// Steps being emailed from Saved sessions, to be noted in that session once sent.
    pub saved_send: Option<PendingSend>,
    /// `RELAYDOC_PASSWORD`, answered for the person at the first password question.
    pub env_password: Option<Secret>,
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
pub(super) struct SharedClock(pub(super) Arc<dyn Clock>);

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

/// The screen in front of the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Screen {
    Home {
        selected: usize,
    },
    /// A text box for the error message, which becomes the `error.text` fact.
    Paste {
        text: String,
    },
    /// Helpdesk mode's first step: who is calling (a name or ticket number; may stay empty).
    Caller {
        text: String,
    },
    /// The wizard run in `Model::session`.
    Wizard,
    Browse(Browse),
    /// "Check my account": an address box, then the live checks and their result.
    Account(AccountUi),
    /// The sessions saved so far, and one of them opened.
    SavedSessions(SavedSessions),
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Browse {
    pub query: String,
    pub hits: Vec<Hit>,
    pub selected: usize,
    /// The article open, by id, and how far it is scrolled.
    pub article: Option<(String, u16)>,
    /// Whether Esc returns to a wizard run (true) or Home.
    pub from_wizard: bool,
}

/// One wizard run: the engine inside its recorder, and the state of the screen showing it.
#[derive(Debug)]
pub struct Session<'k> {
    /// Every engine message goes through here, so the run is recorded as it happens.
    pub recorder: Recorder<'k>,
    pub stage: Stage,
    /// Every check of this run, oldest first.
    pub checks: Vec<CheckRow>,
    /// A message for the person about their last answer (e.g. not a choice).
    pub notice: Option<String>,
    /// The agent's note being typed, until Enter keeps it or Esc drops it.
    pub note: Option<String>,
    /// The ticket of the email being sent from this run, if one is on its way.
    pub sending: Option<u64>,
    /// The screen the run was started from, which Esc on its first question returns to.
    pub origin: Origin,
}

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
pub(super) fn home_index(entry: HomeEntry) -> usize {
    HOME_ENTRIES
        .iter()
        .position(|candidate| *candidate == entry)
        .unwrap_or(0)
}

/// The "Check my account" screen: the address box until a check starts, then its run.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AccountUi {
    pub input: String,
    /// Why the address typed cannot be checked, shown under the box.
    pub notice: Option<String>,
    pub run: Option<AccountRun>,
}

/// One account check, from the moment Enter was pressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRun {
    pub ticket: u64,
    pub email: String,
    pub started: Instant,
    /// Where the settings under test came from, in plain words (known after discovery).
    pub settings: Vec<String>,
    pub rows: Vec<AccountRow>,
    /// `None` while the check runs.
    pub outcome: Option<AccountOutcome>,
    pub selected: usize,
    /// The row whose evidence is open, and its scroll position.
    pub evidence: Option<(usize, u16)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRow {
    pub id: String,
    pub label: String,
    pub started: Instant,
    pub state: AccountRowState,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountRowState {
    Running,
    Done {
        status: Status,
        elapsed: Duration,
        timed_out: bool,
        summary: String,
        /// Filled from the final report; empty while only progress has arrived.
        evidence: Vec<String>,
    },
    /// Not run (e.g. the sign-in test without a password), and why.
    Skipped {
        reason: String,
    },
}

/// What the finished check concluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountOutcome {
    Finished {
        /// The cause the results point to: its title and summary.
        cause: Option<(String, String)>,
        /// The report's own summary lines.
        summary: Vec<String>,
        elapsed: Duration,
    },
    /// Nothing could run at all, in plain words.
    CouldNotRun(String),
}

/// Where the settings under test came from, in plain words; a warning about them follows.
pub fn settings_words(settings: &Settings) -> Vec<String> {
    let mut lines = vec![match settings.primary() {
        Some(primary) => format!(
            "Testing {}:{} ({}), found in {}.",
            primary.host,
            primary.port,
            primary.security.as_str(),
            settings.source.words()
        ),
        None => String::from("No outgoing server was found to test."),
    }];
    lines.extend(settings.warning.clone());
    lines
        .iter()
        .map(|line| crate::sanitize::single_line(line))
        .collect()
}

/// What the wizard screen shows, following the engine's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    Question(QuestionUi),
    /// Checks running, or finished and waiting for the person to read them and continue.
    Checks(ChecksUi),
    Solution(SolutionUi),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionUi {
    pub node: NodeId,
    /// The highlighted choice; the last index is "I don't know".
    pub selected: usize,
    /// Text typed into an input.
    pub input: String,
    pub show_why: bool,
    /// The digit just typed and when, so a second digit soon after makes a two-digit choice
    /// ("1" then "0" is choice 10).
    pub digit: Option<(usize, Instant)>,
}

/// How long after a digit the next one still joins it into a two-digit choice.
pub const DIGIT_JOIN: Duration = Duration::from_millis(1500);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChecksUi {
    pub selected: usize,
    /// The row whose evidence is open, and its scroll position.
    pub evidence: Option<(usize, u16)>,
}

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

#[derive(Debug, Clone, PartialEq)]
pub struct CheckRow {
    pub ticket: u64,
    pub node: NodeId,
    pub check: String,
    pub started: Instant,
    pub state: RowState,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RowState {
    Running,
    Done {
        status: Status,
        elapsed: Duration,
        summary: String,
        evidence: Vec<String>,
    },
    Cancelled {
        elapsed: Duration,
    },
}
