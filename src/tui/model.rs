//! The TUI's model: which screen is on, the wizard run kept beside it, and the pure `update`
//! that applies a message.
//!
//! Each screen (under `screens/`) holds its own state, keys and drawing; this module only
//! hands a message to the screen in front, and carries out what the screen asks for in
//! return (a [`Go`]): another screen, a new wizard run, work for the event loop. Nothing here
//! touches the terminal or the clock: time arrives in [`Msg::Tick`], check reports in
//! [`Msg::CheckDone`], and work to do leaves as a [`Cmd`]. File work stays small: the
//! recorder saves its run, and the Saved sessions screen reads the sessions folder when it
//! opens (about 80 ms for a thousand sessions) and deletes a file when asked, so none of it
//! needs a worker thread.

use std::sync::Arc;
use std::time::Instant;

use crossterm::event::{KeyCode, KeyEventKind};

use super::email::EmailDone;
use super::layout::is_ctrl;
pub use super::screens::account::{
    AccountOutcome, AccountRow, AccountRowState, AccountRun, AccountUi, settings_words,
};
pub use super::screens::browse::{Browse, SEARCH_LIMIT, refresh_search};
pub use super::screens::saved::{PendingSend, SavedSessions};
pub use super::screens::wizard::solution::caller_steps;
pub use super::screens::wizard::{
    CheckRow, ChecksUi, DIGIT_JOIN, QuestionUi, RowState, Session, Stage,
};
use super::screens::{Ctx, Go, account, browse, helpdesk, home, paste, saved, wizard};
pub use super::state::*;
use super::theme::Theme;
use crate::engine::{Effect, Facts, State};
use crate::knowledge::Knowledge;
use crate::session::recorder::{Details, Resumed};
use crate::session::{EventKind, Mode, Recorder};
use crate::vocab::Secret;

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
    pub next_ticket: u64,
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

impl<'k> Model<'k> {
    /// A model whose runs are recorded in memory only, in user mode (see [`Model::recorded`]).
    pub fn new(knowledge: &'k Knowledge, facts: Facts, theme: Theme, size: (u16, u16)) -> Self {
        Self {
            knowledge,
            initial_facts: facts,
            screen: Screen::Home { selected: 0 },
            session: None,
            help_open: false,
            theme,
            size,
            now: Instant::now(),
            spinner: 0,
            next_ticket: 1,
            ending: None,
            recording: Recording::default(),
            can_email: false,
            status: None,
            saved: None,
            time_zone: jiff::tz::TimeZone::system(),
            saved_send: None,
            env_password: None,
        }
    }

    /// The same model, recording its runs as `recording` says.
    pub fn recorded(mut self, recording: Recording) -> Self {
        self.recording = recording;
        self
    }

    /// True while something on screen moves (a spinner), so the loop needs ticks.
    pub fn animating(&self) -> bool {
        match &self.screen {
            Screen::Account(ui) => account::animating(ui),
            Screen::Wizard => self.session.as_ref().is_some_and(Session::checks_running),
            _ => false,
        }
    }

    /// The screen, the wizard run and what a screen's keys may use of the rest, borrowed
    /// apart.
    fn parts(&mut self) -> (&mut Screen, &mut Option<Session<'k>>, Ctx<'_, 'k>) {
        let Model {
            knowledge,
            screen,
            session,
            theme,
            size,
            now,
            next_ticket,
            recording,
            can_email,
            status,
            time_zone,
            env_password,
            ..
        } = self;
        let ctx = Ctx {
            knowledge,
            theme: *theme,
            size: *size,
            now: *now,
            recording,
            time_zone,
            can_email: *can_email,
            status,
            next_ticket,
            env_password,
        };
        (screen, session, ctx)
    }

    /// Carries out what a screen asked for.
    fn apply(&mut self, go: Go) -> Option<Cmd> {
        match go {
            Go::Stay => None,
            Go::Run(cmd) => Some(cmd),
            Go::Quit => self.quit(),
            Go::Home(entry) => {
                self.screen = Screen::Home {
                    selected: home_index(entry),
                };
                None
            }
            Go::Choose(entry) => self.choose_home(entry),
            Go::Browse { from_wizard } => {
                self.screen = Screen::Browse(Browse::open(self.knowledge, from_wizard));
                None
            }
            Go::Wizard if self.session.is_some() => {
                self.screen = Screen::Wizard;
                None
            }
            Go::Wizard => self.apply(Go::Home(HomeEntry::Browse)),
            Go::Start { facts, origin } => {
                let cmd = self.start_wizard(facts);
                self.set_origin(origin);
                cmd
            }
            Go::Helpdesk { caller, typed } => {
                let details = Details {
                    agent: self.recording.details.agent.clone(),
                    caller,
                };
                let cmd = self.start_helpdesk(details);
                self.set_origin(Origin::Caller(typed));
                cmd
            }
            Go::Resume(session) => self.resume(*session),
            Go::SendSaved { id, job } => {
                self.saved_send = Some(PendingSend {
                    ticket: job.ticket,
                    id,
                });
                Some(Cmd::EmailSteps(job))
            }
            Go::Deleted(id) => {
                // The line printed after the TUI must not point at a session that is gone.
                if self.saved.as_deref() == Some(id.as_str()) {
                    self.saved = None;
                }
                None
            }
            Go::LeaveRun => {
                self.leave_run();
                None
            }
            Go::RunEnded(why) => {
                self.session = None;
                self.screen = Screen::Home { selected: 0 };
                self.status = Some(StatusLine::problem(why));
                None
            }
        }
    }

    fn choose_home(&mut self, entry: HomeEntry) -> Option<Cmd> {
        match entry {
            HomeEntry::Start => self.start_wizard(Facts::new()),
            HomeEntry::Paste => {
                self.screen = Screen::Paste {
                    text: String::new(),
                };
                None
            }
            HomeEntry::Account => {
                self.screen = Screen::Account(AccountUi::default());
                None
            }
            HomeEntry::Browse => self.apply(Go::Browse { from_wizard: false }),
            HomeEntry::Helpdesk => self.open_helpdesk(),
            HomeEntry::Sessions => {
                self.screen = Screen::SavedSessions(SavedSessions::load(
                    self.knowledge,
                    self.recording.store.as_ref(),
                    &self.time_zone,
                ));
                None
            }
            HomeEntry::Quit => self.quit(),
        }
    }

    /// Starts a wizard run (in the default mode) with the command line's facts plus `extra`.
    pub fn start_wizard(&mut self, extra: Facts) -> Option<Cmd> {
        let mut facts = self.initial_facts.clone();
        facts.extend(extra);
        // Home has its own "paste the error" entry, so a run started any other way has no
        // error text: the tree's "paste it here" step is not asked again.
        facts
            .entry("error.text".into())
            .or_insert_with(|| crate::knowledge::model::UNKNOWN.into());
        let mode = self.recording.mode;
        let details = self.recording.details.clone();
        self.start_run(facts, mode, details)
    }

    /// Opens helpdesk mode: asks who is calling, unless the command line said so already.
    pub fn open_helpdesk(&mut self) -> Option<Cmd> {
        // `--caller` names the first call only; the next one from Home is someone else.
        if let Some(caller) = self.recording.details.caller.take() {
            let details = Details {
                agent: self.recording.details.agent.clone(),
                caller: Some(caller),
            };
            let cmd = self.start_helpdesk(details);
            self.set_origin(Origin::Home(HomeEntry::Helpdesk));
            return cmd;
        }
        self.screen = Screen::Caller {
            text: String::new(),
        };
        None
    }

    /// An agent-mode run. Unlike Start, the tree's first step (the error text, which the
    /// agent types as the caller reads it out) is asked.
    fn start_helpdesk(&mut self, details: Details) -> Option<Cmd> {
        let facts = self.initial_facts.clone();
        self.start_run(facts, Mode::Agent, details)
    }

    fn start_run(&mut self, facts: Facts, mode: Mode, details: Details) -> Option<Cmd> {
        let (recorder, effects) = Recorder::start(
            self.knowledge,
            facts,
            mode,
            details,
            self.recording.store.clone(),
            Box::new(SharedClock(Arc::clone(&self.recording.clock))),
        );
        self.begin(recorder, effects)
    }

    /// Continues a saved run; the status line says what was picked up.
    pub fn resume(&mut self, session: crate::session::Session) -> Option<Cmd> {
        let (recorder, effects, resumed) = Recorder::resume(
            self.knowledge,
            session,
            self.recording.store.clone(),
            Box::new(SharedClock(Arc::clone(&self.recording.clock))),
        );
        let Resumed { replayed, skipped } = resumed;
        let id = crate::sanitize::single_line(&recorder.session().id);
        let mut text = format!("Picked up session {id} ({replayed} steps replayed)");
        if skipped > 0 {
            text.push_str(&format!(
                "; the knowledge changed, {skipped} later steps are asked again"
            ));
        }
        let ended = matches!(recorder.wizard().state(), State::Quit);
        let cmd = self.begin(recorder, effects);
        self.set_origin(Origin::Resumed);
        if ended {
            // Nothing left to show of that run (its tree ended without a conclusion).
            self.session = None;
            self.screen = Screen::Home { selected: 0 };
        }
        // Set after `begin`, so a save problem it found stays visible too.
        self.status = Some(match self.status.take() {
            Some(problem) => StatusLine::problem(format!("{text}. {}", problem.text)),
            None => StatusLine::info(format!("{text}.")),
        });
        cmd
    }

    fn begin(&mut self, recorder: Recorder<'k>, effects: Vec<Effect>) -> Option<Cmd> {
        // A run gets its file with its first answer; until then the last saved run stands.
        if let Some(id) = recorder.saved_id() {
            self.saved = Some(id.to_string());
        }
        self.session = Some(Session::new(recorder));
        self.screen = Screen::Wizard;
        let (_, session, mut ctx) = self.parts();
        let go = match session {
            Some(session) => {
                session.take_save_problem(&mut ctx);
                session.after_engine(effects, false, &mut ctx)
            }
            None => Go::Stay,
        };
        self.apply(go)
    }

    /// Where the run just begun was started from (see [`Origin`]).
    fn set_origin(&mut self, origin: Origin) {
        if let Some(session) = self.session.as_mut() {
            session.origin = origin;
        }
    }

    /// Leaves the run from its first question: back to where it was started, with what was
    /// typed there. A new run the person has not answered anything in yet has nothing worth
    /// keeping, so its file goes too: otherwise every Esc left a session "stopped at" the
    /// first question beside the one started next.
    fn leave_run(&mut self) {
        let Some(session) = self.session.take() else {
            return;
        };
        let untouched = session.origin != Origin::Resumed
            && session
                .recorder
                .session()
                .events
                .iter()
                .all(|event| matches!(event.what, EventKind::Check { .. }));
        if untouched
            && let (Some(id), Some(store)) = (session.recorder.saved_id(), &self.recording.store)
        {
            match store.delete(id) {
                Ok(_) => {
                    if self.saved.as_deref() == Some(id) {
                        self.saved = None;
                    }
                }
                Err(error) => {
                    self.status = Some(StatusLine::problem(crate::sanitize::single_line(
                        &format!("The unfinished session {id} could not be removed: {error}"),
                    )));
                }
            }
        }
        self.screen = match session.origin {
            Origin::Paste(text) => Screen::Paste { text },
            Origin::Caller(text) => Screen::Caller { text },
            Origin::Home(entry) => Screen::Home {
                selected: home_index(entry),
            },
            Origin::Resumed => Screen::Home {
                selected: home_index(HomeEntry::Sessions),
            },
        };
    }

    /// A failed save does not stop the run: it is said once, on the status line.
    fn take_save_problem(&mut self) {
        let (_, session, mut ctx) = self.parts();
        if let Some(session) = session {
            session.take_save_problem(&mut ctx);
        }
    }

    /// True when the run on screen is a helpdesk (agent mode) run.
    pub fn agent(&self) -> bool {
        self.session.as_ref().is_some_and(Session::agent)
    }

    fn quit(&mut self) -> Option<Cmd> {
        // The engine is not told: its Quit would move the saved status off the node the run
        // stopped at (and off a conclusion), which is what resuming and stats read.
        let concluded = self
            .session
            .as_ref()
            .and_then(|session| match session.wizard().state() {
                State::Finished(node) => Some(self.knowledge.node(*node).id.clone()),
                _ => None,
            });
        self.ending = Some(concluded.map_or(Ending::Quit, Ending::Concluded));
        Some(Cmd::Quit)
    }

    fn check_done(&mut self, done: super::checks::CheckDone) -> Option<Cmd> {
        let (_, session, mut ctx) = self.parts();
        let go = match session {
            Some(session) => session.check_done(done, &mut ctx),
            None => Go::Stay,
        };
        self.apply(go)
    }

    /// The steps went out from a saved session: the session notes it, as `sessions send`
    /// does.
    fn record_sent(&mut self, id: &str, to: &str) {
        let (screen, session, mut ctx) = self.parts();
        // Picked up again while the mail went out: the run's recorder owns the file now, and a
        // note written beside it would be lost at its next save.
        if let Some(run) = session
            .as_mut()
            .filter(|run| run.recorder.session().id == id)
        {
            run.recorder.record_sent(to);
            return;
        }
        let list = match screen {
            Screen::SavedSessions(list) => Some(list),
            _ => None,
        };
        saved::record_sent(list, &mut ctx, id, to);
    }

    /// Keys go to the screen in front.
    fn key(&mut self, key: crossterm::event::KeyEvent) -> Option<Cmd> {
        let sending = self.saved_send.is_some();
        let (screen, session, mut ctx) = self.parts();
        let go = match screen {
            Screen::Home { selected } => home::key(selected, key),
            Screen::Paste { text } => paste::key(text, key),
            Screen::Caller { text } => helpdesk::key(text, key),
            Screen::Wizard => match session {
                Some(session) => wizard::key(session, key, &mut ctx),
                None => Go::Stay,
            },
            Screen::Browse(browse) => browse::key(browse, key, &mut ctx),
            Screen::Account(ui) => account::key(ui, key, &mut ctx),
            Screen::SavedSessions(list) => saved::key(list, key, &mut ctx, sending),
        };
        self.apply(go)
    }

    /// A result of emailing the steps: recorded on the saved session or the run that sent
    /// it, if that run is still on.
    fn email_done(&mut self, done: EmailDone) {
        let to = crate::sanitize::single_line(&done.to);
        let saved_send = self.saved_send.take_if(|send| send.ticket == done.ticket);
        let run = self
            .session
            .as_mut()
            .filter(|run| saved_send.is_none() && run.sending == Some(done.ticket));
        if let Some(run) = run {
            run.sending = None;
            if done.result.is_ok() {
                run.recorder.record_sent(&done.to);
            }
        }
        match done.result {
            Ok(confirmation) => {
                let confirmation = crate::sanitize::single_line(&confirmation);
                let text = if confirmation.is_empty() {
                    format!("Sent the steps to {to}.")
                } else {
                    format!("Sent the steps to {to} ({confirmation}).")
                };
                self.status = Some(StatusLine::info(text));
                if let Some(send) = saved_send {
                    self.record_sent(&send.id, &done.to);
                }
                self.take_save_problem();
            }
            Err(reason) => {
                self.status = Some(StatusLine::problem(format!(
                    "Could not email the steps to {to}: {}",
                    crate::sanitize::single_line(&reason)
                )));
            }
        }
    }
}

/// The pure update: applies one message, returns the work it asks for.
pub fn update(model: &mut Model<'_>, msg: Msg) -> Option<Cmd> {
    match msg {
        Msg::Tick(now) => {
            model.now = now;
            model.spinner = model.spinner.wrapping_add(1);
            None
        }
        Msg::Resize(width, height) => {
            model.size = (width, height);
            None
        }
        Msg::CheckDone(done) => model.check_done(done),
        Msg::AccountProgress(progress) => {
            if let Screen::Account(ui) = &mut model.screen {
                account::progress(ui, progress, model.now);
            }
            None
        }
        Msg::AccountDone(done) => {
            if let Screen::Account(ui) = &mut model.screen {
                account::done(ui, done);
            }
            None
        }
        Msg::EmailDone(done) => {
            model.email_done(done);
            None
        }
        Msg::Paste(text) => {
            paste_text(model, &text);
            None
        }
        Msg::Key(key) => {
            // Terminals that report releases and repeats would otherwise act twice.
            if key.kind == KeyEventKind::Release {
                return None;
            }
            // The status line has been seen once a key is pressed.
            model.status = None;
            if is_ctrl(&key, 'c') {
                model.quit();
                model.ending = Some(Ending::Interrupted);
                return Some(Cmd::Quit);
            }
            if model.help_open {
                model.help_open = false;
                return None;
            }
            if key.code == KeyCode::F(1) || (key.code == KeyCode::Char('?') && !typing(model)) {
                model.help_open = true;
                return None;
            }
            model.key(key)
        }
    }
}

/// True when keys type into a text box, so letters are text, not commands.
pub fn typing(model: &Model<'_>) -> bool {
    match &model.screen {
        Screen::Paste { .. } | Screen::Caller { .. } => true,
        Screen::Browse(browse) => browse::typing(browse),
        Screen::Wizard => model
            .session
            .as_ref()
            .is_some_and(|session| session.typing(model.knowledge)),
        Screen::Account(ui) => account::typing(ui),
        Screen::SavedSessions(list) => saved::typing(list),
        Screen::Home { .. } => false,
    }
}

/// Pasted text goes to the screen in front. It is stored as typed; it is sanitised when
/// drawn and when it becomes a fact.
fn paste_text(model: &mut Model<'_>, text: &str) {
    let knowledge = model.knowledge;
    match &mut model.screen {
        Screen::Paste { text: typed } => paste::paste(typed, text),
        Screen::Caller { text: typed } => helpdesk::paste(typed, text),
        Screen::Wizard => {
            if let Some(session) = model.session.as_mut() {
                session.paste(knowledge, text);
            }
        }
        Screen::Account(ui) => account::paste(ui, text),
        Screen::Browse(browse) => browse::paste(knowledge, browse, text),
        Screen::SavedSessions(list) => saved::paste(list, text),
        Screen::Home { .. } => {}
    }
}
