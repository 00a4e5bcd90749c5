//! The TUI's state and its pure `update`: what is on screen, and how each message changes it.
//!
//! Nothing here touches the terminal or the clock: time arrives in [`Msg::Tick`], check
//! reports in [`Msg::CheckDone`], and work to do leaves as a [`Cmd`]. The wizard's logic stays
//! in [`crate::engine::Wizard`], reached through the session [`Recorder`] so every run is
//! recorded (and saved, with a store) step by step; this module only turns keys into engine
//! messages and keeps the state of the screens around it (selection, typed text, scroll
//! positions, the agent's note being typed). File work stays small and elsewhere: the
//! recorder saves its run, and the Saved sessions screen ([`super::saved`]) reads the sessions
//! folder when it opens (about 80 ms for a thousand sessions) and deletes a file when asked,
//! so none of it needs a worker thread.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::checks::{self, AccountDone, AccountJob, CheckDone, CheckJob};
use super::email::{EmailDone, EmailJob};
use super::layout::{
    address_problem, body_height, edit_line, list_moved, pasted_lines, scrolled, solution_height,
};
pub use super::state::*;
use super::theme::Theme;
use crate::checks::account::{self, AccountReport, Event as AccountEvent};
use crate::engine::{AnswerError, Effect, Facts, Message, SecretInput, State, Wizard};
use crate::knowledge::Knowledge;
use crate::knowledge::model::{NodeBody, NodeId, UNKNOWN};
use crate::knowledge::search::{Hit, search};
use crate::session::mail::Letter;
use crate::session::recorder::{Details, Resumed};
use crate::session::{EventKind, Mode, Recorder};
use crate::vocab::Secret;

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

    /// A ticket for work that reports back (a check, an email), so a late report finds out
    /// whether it is still wanted.
    pub(super) fn new_ticket(&mut self) -> u64 {
        let ticket = self.next_ticket;
        self.next_ticket += 1;
        ticket
    }

    /// The same model, recording its runs as `recording` says.
    pub fn recorded(mut self, recording: Recording) -> Self {
        self.recording = recording;
        self
    }

    /// True while something on screen moves (a spinner), so the loop needs ticks.
    pub fn animating(&self) -> bool {
        if let Screen::Account(ui) = &self.screen {
            return ui.run.as_ref().is_some_and(|run| run.outcome.is_none());
        }
        matches!(self.screen, Screen::Wizard)
            && self.session.as_ref().is_some_and(|session| {
                session
                    .checks
                    .iter()
                    .any(|row| row.state == RowState::Running)
            })
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

    /// An agent-mode run started from the "who is calling" box, which Esc returns to.
    fn start_helpdesk_from(&mut self, details: Details, typed: String) -> Option<Cmd> {
        let cmd = self.start_helpdesk(details);
        self.set_origin(Origin::Caller(typed));
        cmd
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
        self.session = Some(Session {
            recorder,
            stage: Stage::Question(QuestionUi::at(0)),
            checks: Vec::new(),
            notice: None,
            note: None,
            sending: None,
            origin: Origin::Home(HomeEntry::Start),
        });
        self.screen = Screen::Wizard;
        self.take_save_problem();
        self.after_engine(effects, false)
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
        let problem = self
            .session
            .as_mut()
            .and_then(|session| session.recorder.take_save_problem());
        if let Some(problem) = problem {
            self.status = Some(StatusLine::problem(crate::sanitize::single_line(&problem)));
        }
    }

    /// True when the run on screen is a helpdesk (agent mode) run.
    pub fn agent(&self) -> bool {
        self.session.as_ref().is_some_and(Session::agent)
    }

    pub(super) fn quit(&mut self) -> Option<Cmd> {
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

    /// Brings the screen in line with the engine after it moved, and turns its effects into
    /// check jobs. `keep_checks` holds the checks screen up after a check so its result can be
    /// read before the wizard moves on.
    fn after_engine(&mut self, effects: Vec<Effect>, keep_checks: bool) -> Option<Cmd> {
        let session = self.session.as_mut()?;
        let mut jobs = Vec::new();
        for Effect::RunCheck(request) in effects {
            let ticket = self.next_ticket;
            self.next_ticket += 1;
            session.checks.push(CheckRow {
                ticket,
                node: request.node,
                check: request.check.clone(),
                started: self.now,
                state: RowState::Running,
            });
            jobs.push(CheckJob { ticket, request });
        }
        session.sync(keep_checks || !jobs.is_empty());
        // The knowledge ended the run (the person's own quit goes through `quit`): say why
        // on Home rather than leave a question on screen that takes no answer.
        if let Some(stopped) = session.recorder.wizard().stopped()
            && *stopped != crate::engine::Stopped::ByPerson
        {
            let why = format!(
                "The wizard stopped without an answer: {}.",
                stopped.reason()
            );
            self.session = None;
            self.screen = Screen::Home { selected: 0 };
            self.status = Some(StatusLine::problem(why));
            return None;
        }
        let asks_password = matches!(
            session.recorder.wizard().current().map(|node| &node.body),
            Some(NodeBody::Input { secret: true, .. })
        ) && matches!(session.recorder.wizard().state(), State::Asking(_));
        if jobs.is_empty()
            && asks_password
            && let Some(password) = self.env_password.take()
        {
            self.status = Some(StatusLine::info(
                "Using the password from RELAYDOC_PASSWORD for the sign-in test.",
            ));
            return self.engine(Message::Secret(SecretInput::Typed(password)));
        }
        (!jobs.is_empty()).then_some(Cmd::RunChecks(jobs))
    }

    /// Sends a message to the engine (through the recorder); an answer it refuses is shown,
    /// not fatal.
    fn engine(&mut self, message: Message) -> Option<Cmd> {
        let session = self.session.as_mut()?;
        session.notice = None;
        let result = session.recorder.update(message);
        self.take_save_problem();
        match result {
            Ok(effects) => self.after_engine(effects, false),
            Err(error) => {
                if let Some(session) = self.session.as_mut() {
                    session.notice = Some(describe(&error));
                }
                None
            }
        }
    }

    fn check_done(&mut self, done: CheckDone) -> Option<Cmd> {
        let session = self.session.as_mut()?;
        let row = session
            .checks
            .iter_mut()
            .find(|row| row.ticket == done.ticket)?;
        if row.state != RowState::Running {
            // Cancelled meanwhile: the person has moved on.
            return None;
        }
        row.state = RowState::Done {
            status: done.report.status,
            elapsed: done.elapsed,
            summary: checks::summary(&done.report),
            evidence: checks::evidence(&done.report),
        };
        let node = row.node;
        let message = match crate::wizard::established(&done.report) {
            None => Message::CheckFailed { node },
            Some(facts) => Message::CheckFinished { node, facts },
        };
        let result = session.recorder.update(message);
        self.take_save_problem();
        match result {
            Ok(effects) => self.after_engine(effects, true),
            Err(_) => None,
        }
    }

    /// Keeps the agent's note with the step the run is at.
    fn keep_note(&mut self, text: &str) {
        let Some(session) = self.session.as_mut() else {
            return;
        };
        let text = crate::sanitize::single_line(text);
        if text.trim().is_empty() {
            return;
        }
        session.recorder.note(&text);
        let count = session.recorder.session().notes().count();
        self.status = Some(match crate::session::note_warning(&text) {
            Some(warning) => StatusLine::problem(format!("Note kept. {warning}")),
            None => StatusLine::info(format!("Note kept ({count} in this session).")),
        });
        self.take_save_problem();
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
                    super::saved::record_sent(self, &send.id, &done.to);
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

impl QuestionUi {
    fn at(node: NodeId) -> Self {
        Self {
            node,
            selected: 0,
            input: String::new(),
            show_why: false,
            digit: None,
        }
    }
}

impl<'k> Session<'k> {
    /// The engine, read-only: every change goes through the recorder.
    pub fn wizard(&self) -> &crate::engine::Wizard<'k> {
        self.recorder.wizard()
    }

    /// True for a helpdesk (agent mode) run.
    pub fn agent(&self) -> bool {
        self.recorder.mode() == Mode::Agent
    }

    /// True while a check has not reported.
    pub fn checks_running(&self) -> bool {
        self.checks.iter().any(|row| row.state == RowState::Running)
    }

    /// Picks the stage that shows the engine's state. `keep_checks` holds the checks screen
    /// up after a check finished, so its result can be read before the wizard moves on.
    fn sync(&mut self, keep_checks: bool) {
        let checking = matches!(self.recorder.wizard().state(), State::Checking(_));
        if checking || (keep_checks && !self.checks.is_empty()) {
            let last = self.checks.len().saturating_sub(1);
            match &mut self.stage {
                Stage::Checks(ui) => ui.selected = last,
                stage => {
                    *stage = Stage::Checks(ChecksUi {
                        selected: last,
                        evidence: None,
                    });
                }
            }
            return;
        }
        match (self.recorder.wizard().state(), &self.stage) {
            (State::Asking(node), Stage::Question(ui)) if ui.node == *node => {}
            (State::Asking(node), _) => self.stage = Stage::Question(QuestionUi::at(*node)),
            (State::Finished(node), Stage::Solution(ui)) if ui.node == *node => {}
            (State::Finished(node), _) => {
                self.stage = Stage::Solution(SolutionUi {
                    node: *node,
                    client: None,
                    scroll: 0,
                    picker: None,
                    internal: false,
                    email: None,
                    decided: Some(self.recorder.wizard().decided()),
                });
            }
            (State::Checking(_) | State::Quit, _) => {}
        }
    }

    /// Marks running checks cancelled: their reports will be ignored.
    fn cancel_checks(&mut self, now: Instant) {
        for row in &mut self.checks {
            if row.state == RowState::Running {
                row.state = RowState::Cancelled {
                    elapsed: now.saturating_duration_since(row.started),
                };
            }
        }
    }
}

fn describe(error: &AnswerError) -> String {
    match error {
        AnswerError::NotAChoice { .. } => "That is not one of the answers here.".into(),
        AnswerError::NotValid { reason } => crate::sanitize::for_terminal(reason),
        AnswerError::NotAsking | AnswerError::UnexpectedCheck => {
            "Nothing to answer right now.".into()
        }
        AnswerError::SecretMismatch => "A password goes only into the password field.".into(),
    }
}

fn is_ctrl(key: &KeyEvent, c: char) -> bool {
    key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char(c)
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
            let now = model.now;
            if let Some(run) = current_account_run(model, progress.ticket) {
                account_progress(run, *progress.event, now);
            }
            None
        }
        Msg::AccountDone(done) => {
            if let Some(run) = current_account_run(model, done.ticket) {
                account_done(run, done);
            }
            None
        }
        Msg::EmailDone(done) => {
            model.email_done(done);
            None
        }
        Msg::Paste(text) => {
            paste(model, &text);
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
            match &model.screen {
                Screen::Home { .. } => home_key(model, key),
                Screen::Paste { .. } => paste_key(model, key),
                Screen::Caller { .. } => caller_key(model, key),
                Screen::Wizard => wizard_key(model, key),
                Screen::Browse(_) => browse_key(model, key),
                Screen::Account(_) => account_key(model, key),
                Screen::SavedSessions(_) => super::saved::key(model, key),
            }
        }
    }
}

/// True when keys type into a text box, so letters are text, not commands.
pub fn typing(model: &Model<'_>) -> bool {
    match &model.screen {
        Screen::Paste { .. } | Screen::Caller { .. } => true,
        Screen::Browse(browse) => browse.article.is_none(),
        Screen::Wizard => model.session.as_ref().is_some_and(|session| {
            session.note.is_some()
                || matches!(&session.stage, Stage::Question(ui)
                if matches!(model.knowledge.node(ui.node).body, NodeBody::Input { .. }))
                || matches!(&session.stage, Stage::Solution(ui) if ui.email.is_some())
        }),
        Screen::Account(ui) => ui.run.is_none(),
        Screen::SavedSessions(saved) => saved
            .open
            .as_ref()
            .is_none_or(|open| matches!(open.overlay, Some(super::saved::Overlay::Email(_)))),
        Screen::Home { .. } => false,
    }
}

fn paste(model: &mut Model<'_>, text: &str) {
    // Pasted text is stored as typed; it is sanitised when drawn and when it becomes a fact.
    match &mut model.screen {
        Screen::Paste { text: box_text } => box_text.push_str(&pasted_lines(text)),
        Screen::Caller { text: box_text } => {
            box_text.push_str(&crate::sanitize::single_line(text));
        }
        Screen::Wizard if model.session.as_ref().is_some_and(|s| s.note.is_some()) => {
            if let Some(note) = model.session.as_mut().and_then(|s| s.note.as_mut()) {
                note.push_str(&crate::sanitize::single_line(text));
            }
        }
        Screen::Wizard
            if matches!(
                model.session.as_ref().map(|s| &s.stage),
                Some(Stage::Solution(SolutionUi { email: Some(_), .. }))
            ) =>
        {
            if let Some(Session {
                stage:
                    Stage::Solution(SolutionUi {
                        email: Some(address),
                        ..
                    }),
                ..
            }) = model.session.as_mut()
            {
                address.push_str(crate::sanitize::single_line(text).trim());
            }
        }
        Screen::Account(ui) if ui.run.is_none() => {
            ui.input.push_str(crate::sanitize::single_line(text).trim());
        }
        Screen::Browse(browse) if browse.article.is_none() => {
            browse.query.push_str(&crate::sanitize::single_line(text));
            refresh_search(model.knowledge, browse);
        }
        Screen::SavedSessions(saved) => super::saved::paste(saved, text),
        Screen::Wizard => {
            if let Some(Session {
                stage: Stage::Question(ui),
                ..
            }) = model.session.as_mut()
            {
                match model.knowledge.node(ui.node).body {
                    // A box for a whole error message keeps its lines.
                    NodeBody::Input {
                        multiline: true, ..
                    } => ui
                        .input
                        .push_str(&crate::sanitize::for_terminal(&pasted_lines(text))),
                    NodeBody::Input { .. } => {
                        ui.input.push_str(&crate::sanitize::single_line(text));
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

fn home_key(model: &mut Model<'_>, key: KeyEvent) -> Option<Cmd> {
    let Screen::Home { selected } = &mut model.screen else {
        return None;
    };
    match key.code {
        KeyCode::Up | KeyCode::Char('k') => *selected = selected.saturating_sub(1),
        KeyCode::Down | KeyCode::Char('j') => {
            *selected = (*selected + 1).min(HOME_ENTRIES.len() - 1);
        }
        KeyCode::Char(c @ '1'..='9') => {
            let index = c as usize - '1' as usize;
            if index < HOME_ENTRIES.len() {
                *selected = index;
                return choose_home(model, HOME_ENTRIES[index]);
            }
        }
        KeyCode::Enter | KeyCode::Right => {
            let entry = HOME_ENTRIES[(*selected).min(HOME_ENTRIES.len() - 1)];
            return choose_home(model, entry);
        }
        KeyCode::Char('/') => open_browse(model, false),
        KeyCode::Char('q') | KeyCode::Esc => return model.quit(),
        _ => {}
    }
    None
}

fn choose_home(model: &mut Model<'_>, entry: HomeEntry) -> Option<Cmd> {
    match entry {
        HomeEntry::Start => model.start_wizard(Facts::new()),
        HomeEntry::Paste => {
            model.screen = Screen::Paste {
                text: String::new(),
            };
            None
        }
        HomeEntry::Account => {
            model.screen = Screen::Account(AccountUi::default());
            None
        }
        HomeEntry::Browse => {
            open_browse(model, false);
            None
        }
        HomeEntry::Helpdesk => model.open_helpdesk(),
        HomeEntry::Sessions => {
            super::saved::open_list(model);
            None
        }
        HomeEntry::Quit => model.quit(),
    }
}

/// Helpdesk mode's "who is calling" box: Enter starts the run (empty is fine), Esc goes home.
fn caller_key(model: &mut Model<'_>, key: KeyEvent) -> Option<Cmd> {
    let Screen::Caller { text } = &mut model.screen else {
        return None;
    };
    match key.code {
        KeyCode::Esc => {
            model.screen = Screen::Home {
                selected: home_index(HomeEntry::Helpdesk),
            };
        }
        KeyCode::Enter => {
            let caller = crate::sanitize::single_line(text).trim().to_string();
            let details = Details {
                agent: model.recording.details.agent.clone(),
                caller: (!caller.is_empty()).then_some(caller),
            };
            let typed = text.clone();
            return model.start_helpdesk_from(details, typed);
        }
        _ => edit_line(text, &key),
    }
    None
}

fn paste_key(model: &mut Model<'_>, key: KeyEvent) -> Option<Cmd> {
    let Screen::Paste { text } = &mut model.screen else {
        return None;
    };
    match key.code {
        KeyCode::Esc => {
            model.screen = Screen::Home {
                selected: home_index(HomeEntry::Paste),
            };
        }
        // Alt-Enter or Ctrl-J adds a line; plain Enter goes on, as people expect.
        KeyCode::Enter if key.modifiers.contains(KeyModifiers::ALT) => text.push('\n'),
        KeyCode::Char('j') if key.modifiers.contains(KeyModifiers::CONTROL) => text.push('\n'),
        KeyCode::Enter => {
            let cleaned = crate::sanitize::for_terminal(text).trim().to_string();
            let mut facts = Facts::new();
            if !cleaned.is_empty() {
                facts.insert("error.text".into(), cleaned);
            }
            let pasted = text.clone();
            let cmd = model.start_wizard(facts);
            model.set_origin(Origin::Paste(pasted));
            return cmd;
        }
        _ => edit_line(text, &key),
    }
    None
}

/// The account run the screen shows, if `ticket` is its; a report for a run the person left
/// (Esc, a new address) finds none and is dropped.
fn current_account_run<'m>(model: &'m mut Model<'_>, ticket: u64) -> Option<&'m mut AccountRun> {
    match &mut model.screen {
        Screen::Account(AccountUi { run: Some(run), .. })
            if run.ticket == ticket && run.outcome.is_none() =>
        {
            Some(run)
        }
        _ => None,
    }
}

fn account_progress(run: &mut AccountRun, event: AccountEvent, now: Instant) {
    match event {
        AccountEvent::Settings(settings) => run.settings = settings_words(&settings),
        AccountEvent::Started { id, label } => run.rows.push(AccountRow {
            id,
            label,
            started: now,
            state: AccountRowState::Running,
        }),
        AccountEvent::Finished {
            id,
            status,
            elapsed,
            summary,
        } => {
            if let Some(row) = run.rows.iter_mut().find(|row| row.id == id) {
                row.state = AccountRowState::Done {
                    status,
                    elapsed,
                    timed_out: false,
                    summary: crate::sanitize::single_line(&summary),
                    evidence: Vec::new(),
                };
            }
        }
        AccountEvent::Skipped { id, label, reason } => run.rows.push(AccountRow {
            id,
            label,
            started: now,
            state: AccountRowState::Skipped { reason },
        }),
    }
}

fn account_done(run: &mut AccountRun, done: AccountDone) {
    match done.result {
        Ok(report) => account_report(run, &report, done.elapsed),
        Err(reason) => {
            // Rows still spinning will never hear back.
            for row in &mut run.rows {
                if row.state == AccountRowState::Running {
                    row.state = AccountRowState::Skipped {
                        reason: String::from("did not finish"),
                    };
                }
            }
            run.outcome = Some(AccountOutcome::CouldNotRun(crate::sanitize::single_line(
                &reason,
            )));
        }
    }
}

/// The final report replaces what progress showed: it has every row, with its evidence.
fn account_report(run: &mut AccountRun, report: &AccountReport, elapsed: Duration) {
    let started = run.started;
    let mut rows: Vec<AccountRow> = report
        .checks
        .iter()
        .map(|check| AccountRow {
            id: check.id.clone(),
            label: check.label.clone(),
            started,
            state: AccountRowState::Done {
                status: check.report.status,
                elapsed: Duration::from_secs_f64((check.elapsed_ms / 1000.0).max(0.0)),
                timed_out: check.timed_out,
                summary: crate::sanitize::single_line(
                    &account::summary_of(&check.report).join(" "),
                ),
                evidence: checks::evidence(&check.report),
            },
        })
        .collect();
    rows.extend(report.skipped.iter().map(|skip| AccountRow {
        id: skip.id.clone(),
        label: skip.label.clone(),
        started,
        state: AccountRowState::Skipped {
            reason: skip.reason.clone(),
        },
    }));
    run.rows = rows;
    run.selected = run.selected.min(run.rows.len().saturating_sub(1));
    run.settings = settings_words(&report.settings);
    run.outcome = Some(AccountOutcome::Finished {
        cause: report
            .cause
            .as_ref()
            .map(|cause| (cause.title.clone(), cause.summary.clone())),
        summary: report.summary.clone(),
        elapsed,
    });
}

fn account_key(model: &mut Model<'_>, key: KeyEvent) -> Option<Cmd> {
    let body_height = body_height(model.size);
    let Screen::Account(ui) = &mut model.screen else {
        return None;
    };
    let Some(run) = &mut ui.run else {
        return account_input_key(model, key);
    };
    if let Some((row, scroll)) = &mut run.evidence {
        let lines = run.rows.get(*row).map_or(0, |row| match &row.state {
            AccountRowState::Done { evidence, .. } => evidence.len(),
            _ => 1,
        });
        let max = u16::try_from(lines)
            .unwrap_or(u16::MAX)
            .saturating_sub(body_height.saturating_sub(2));
        match key.code {
            KeyCode::Esc | KeyCode::Enter | KeyCode::Backspace | KeyCode::Char('q') => {
                run.evidence = None;
            }
            code => *scroll = scrolled(*scroll, code, max, body_height.saturating_sub(2)),
        }
        return None;
    }
    match key.code {
        // Leaving never waits: a report that arrives later finds no run and is dropped.
        KeyCode::Esc => {
            model.screen = Screen::Home {
                selected: home_index(HomeEntry::Account),
            };
        }
        KeyCode::Char('q') => return model.quit(),
        KeyCode::Up | KeyCode::Char('k') => run.selected = run.selected.saturating_sub(1),
        KeyCode::Down | KeyCode::Char('j') => {
            run.selected = (run.selected + 1).min(run.rows.len().saturating_sub(1));
        }
        KeyCode::Enter => {
            let finished = run
                .rows
                .get(run.selected)
                .is_some_and(|row| row.state != AccountRowState::Running);
            if finished {
                run.evidence = Some((run.selected, 0));
            }
        }
        // Another address, once this check is over.
        KeyCode::Char('n') if run.outcome.is_some() => {
            ui.run = None;
            ui.notice = None;
        }
        _ => {}
    }
    None
}

fn account_input_key(model: &mut Model<'_>, key: KeyEvent) -> Option<Cmd> {
    let now = model.now;
    let Screen::Account(ui) = &mut model.screen else {
        return None;
    };
    match key.code {
        KeyCode::Esc => {
            model.screen = Screen::Home {
                selected: home_index(HomeEntry::Account),
            };
        }
        KeyCode::Enter => {
            let email = crate::sanitize::single_line(&ui.input).trim().to_string();
            if let Some(problem) = address_problem(&email) {
                ui.notice = Some(problem);
                return None;
            }
            ui.notice = None;
            let ticket = model.next_ticket;
            model.next_ticket += 1;
            ui.run = Some(AccountRun {
                ticket,
                email: email.clone(),
                started: now,
                settings: Vec::new(),
                rows: Vec::new(),
                outcome: None,
                selected: 0,
                evidence: None,
            });
            return Some(Cmd::RunAccount(AccountJob { ticket, email }));
        }
        _ => {
            let before = ui.input.clone();
            edit_line(&mut ui.input, &key);
            if ui.input != before {
                ui.notice = None;
            }
        }
    }
    None
}

fn open_browse(model: &mut Model<'_>, from_wizard: bool) {
    let mut browse = Browse {
        query: String::new(),
        hits: Vec::new(),
        selected: 0,
        article: None,
        from_wizard,
    };
    refresh_search(model.knowledge, &mut browse);
    model.screen = Screen::Browse(browse);
}

/// Runs the search for the current query; an empty query lists the causes, a good first read.
pub fn refresh_search(knowledge: &Knowledge, browse: &mut Browse) {
    browse.hits = if browse.query.trim().is_empty() {
        knowledge
            .causes
            .iter()
            .map(|cause| Hit {
                kind: "cause",
                id: cause.id.clone(),
                title: cause.title.clone(),
                score: 0,
            })
            .collect()
    } else {
        search(knowledge, &browse.query, SEARCH_LIMIT)
    };
    browse.selected = 0;
}

fn browse_key(model: &mut Model<'_>, key: KeyEvent) -> Option<Cmd> {
    let knowledge = model.knowledge;
    let body_height = body_height(model.size);
    let Screen::Browse(browse) = &mut model.screen else {
        return None;
    };
    if let Some((id, scroll)) = &mut browse.article {
        let lines = super::article::article_len(knowledge, id, model.size.0, model.theme);
        let max = lines.saturating_sub(body_height.saturating_sub(2));
        match key.code {
            KeyCode::Esc | KeyCode::Backspace | KeyCode::Left | KeyCode::Char('b') => {
                browse.article = None;
            }
            KeyCode::Char('q') => return model.quit(),
            code => *scroll = scrolled(*scroll, code, max, body_height.saturating_sub(2)),
        }
        return None;
    }
    if let Some(selected) = list_moved(browse.selected, key.code, browse.hits.len(), body_height) {
        browse.selected = selected;
        return None;
    }
    match key.code {
        KeyCode::Esc => {
            if model.session.is_some() && browse.from_wizard {
                model.screen = Screen::Wizard;
            } else {
                model.screen = Screen::Home {
                    selected: home_index(HomeEntry::Browse),
                };
            }
        }
        KeyCode::Enter => {
            if let Some(hit) = browse.hits.get(browse.selected) {
                browse.article = Some((hit.id.clone(), 0));
            }
        }
        _ => {
            let before = browse.query.clone();
            edit_line(&mut browse.query, &key);
            if browse.query != before {
                refresh_search(knowledge, browse);
            }
        }
    }
    None
}

/// Keys every wizard stage shares: Back, Restart, Quit, Browse. `None` when not one of them.
enum Common {
    Back,
    Restart,
    Quit,
    Browse,
}

fn common_key(key: &KeyEvent, typing: bool) -> Option<Common> {
    if is_ctrl(key, 'r') {
        return Some(Common::Restart);
    }
    match key.code {
        KeyCode::Esc => Some(Common::Back),
        _ if typing => None,
        KeyCode::Backspace | KeyCode::Left | KeyCode::Char('b') => Some(Common::Back),
        KeyCode::Char('r') => Some(Common::Restart),
        KeyCode::Char('q') => Some(Common::Quit),
        KeyCode::Char('/') => Some(Common::Browse),
        _ => None,
    }
}

fn wizard_key(model: &mut Model<'_>, key: KeyEvent) -> Option<Cmd> {
    let typing = typing(model);
    let session = model.session.as_mut()?;
    if session.note.is_some() {
        return note_key(model, key);
    }
    // Overlays inside a stage take their keys first.
    match &mut session.stage {
        Stage::Solution(SolutionUi {
            picker: Some(_), ..
        }) => return picker_key(model, key),
        Stage::Solution(SolutionUi { email: Some(_), .. }) => return email_key(model, key),
        Stage::Checks(ChecksUi {
            evidence: Some(_), ..
        }) => return evidence_key(model, key),
        _ => {}
    }
    // Helpdesk: a note for the ticket from any stage; Ctrl-N also inside a text box.
    let note_wanted = is_ctrl(&key, 'n') || (!typing && key.code == KeyCode::Char('n'));
    if session.agent() && note_wanted {
        session.note = Some(String::new());
        return None;
    }
    if let Some(common) = common_key(&key, typing) {
        return match common {
            Common::Back => back(model),
            Common::Restart => {
                let now = model.now;
                if let Some(session) = model.session.as_mut() {
                    session.cancel_checks(now);
                    session.checks.clear();
                }
                model.engine(Message::Restart)
            }
            Common::Quit => model.quit(),
            Common::Browse => {
                open_browse(model, true);
                None
            }
        };
    }
    match &session.stage {
        Stage::Question(_) => question_key(model, key),
        Stage::Checks(_) => checks_key(model, key),
        Stage::Solution(_) => solution_key(model, key),
    }
}

/// Back: one question back; from the first question, back where the run was started. Running checks are cancelled,
/// never waited for.
fn back(model: &mut Model<'_>) -> Option<Cmd> {
    let now = model.now;
    let session = model.session.as_mut()?;
    session.cancel_checks(now);
    if session.wizard().can_go_back() {
        // The engine forgets the answer on Back; the screen shows it again, ready to keep.
        let previous = session.wizard().answered().last().map(|(node, value)| {
            let secret = matches!(node.body, NodeBody::Input { secret: true, .. });
            (node.id.clone(), value.clone(), secret)
        });
        let cmd = model.engine(Message::Back);
        if let (Some((id, value, secret)), Some(session)) = (previous, model.session.as_mut())
            && let Stage::Question(ui) = &mut session.stage
            && model.knowledge.node(ui.node).id == id
        {
            match &model.knowledge.node(ui.node).body {
                NodeBody::Question { choices, .. } => {
                    ui.selected = choices
                        .iter()
                        .position(|choice| choice.value == value)
                        .unwrap_or(choices.len());
                }
                NodeBody::Input { .. } if !secret && value != UNKNOWN => ui.input = value,
                _ => {}
            }
        }
        cmd
    } else {
        model.leave_run();
        None
    }
}

fn question_key(model: &mut Model<'_>, key: KeyEvent) -> Option<Cmd> {
    let knowledge = model.knowledge;
    let now = model.now;
    let session = model.session.as_mut()?;
    let Stage::Question(ui) = &mut session.stage else {
        return None;
    };
    // Any other key ends a two-digit number.
    let digit = ui.digit.take();
    if key.code == KeyCode::Tab {
        ui.show_why = !ui.show_why;
        return None;
    }
    match &knowledge.node(ui.node).body {
        NodeBody::Question { choices, .. } => {
            // The choices, then "I don't know" as the last entry.
            let count = choices.len() + 1;
            match key.code {
                KeyCode::Up | KeyCode::Char('k') => ui.selected = ui.selected.saturating_sub(1),
                KeyCode::Down | KeyCode::Char('j') => {
                    ui.selected = (ui.selected + 1).min(count - 1);
                }
                KeyCode::Home => ui.selected = 0,
                KeyCode::End => ui.selected = count - 1,
                KeyCode::Char(c @ '0'..='9') => {
                    ui.selected = typed_choice(ui, digit, c, choices.len(), now);
                }
                KeyCode::Char('d') => ui.selected = count - 1,
                KeyCode::Enter | KeyCode::Right | KeyCode::Char(' ') => {
                    let message = choices
                        .get(ui.selected)
                        .map_or(Message::DontKnow, |choice| {
                            Message::Answer(choice.value.clone())
                        });
                    return model.engine(message);
                }
                _ => {}
            }
            None
        }
        NodeBody::Input {
            secret, multiline, ..
        } => {
            let new_line = (key.code == KeyCode::Enter
                && key.modifiers.contains(KeyModifiers::ALT))
                || (key.code == KeyCode::Char('j')
                    && key.modifiers.contains(KeyModifiers::CONTROL));
            match key.code {
                // Alt-Enter or Ctrl-J adds a line to a box for a whole message, as on the
                // paste screen.
                _ if new_line && *multiline => ui.input.push('\n'),
                KeyCode::Enter => {
                    let value = std::mem::take(&mut ui.input);
                    // An empty answer is the engine's "I don't know / skip". A password
                    // becomes a `Secret` here, where it was typed, and stays one.
                    let message = if *secret {
                        Message::Secret(SecretInput::Typed(Secret::new(value)))
                    } else {
                        Message::Answer(value)
                    };
                    return model.engine(message);
                }
                _ => edit_line(&mut ui.input, &key),
            }
            None
        }
        _ => None,
    }
}

/// The choice highlighted after digit `c`: choices are numbered from 1, "I don't know" is 0.
/// A digit typed within [`DIGIT_JOIN`] of another joins it when the two make a choice's
/// number, so "1" then "0" is choice 10; otherwise it stands alone. `ui.digit` keeps the
/// digit for the next key only when a two-digit number could start with it.
fn typed_choice(
    ui: &mut QuestionUi,
    before: Option<(usize, Instant)>,
    c: char,
    options: usize,
    now: Instant,
) -> usize {
    let value = c as usize - '0' as usize;
    let joined = before
        .filter(|(_, at)| now.saturating_duration_since(*at) <= DIGIT_JOIN)
        .map(|(first, _)| first * 10 + value)
        .filter(|number| (10..=options).contains(number));
    if let Some(number) = joined {
        return number - 1;
    }
    if value != 0 && value * 10 <= options {
        ui.digit = Some((value, now));
    }
    match value {
        0 => options,
        _ if value <= options => value - 1,
        _ => ui.selected,
    }
}

fn checks_key(model: &mut Model<'_>, key: KeyEvent) -> Option<Cmd> {
    let session = model.session.as_mut()?;
    let running = session.checks_running();
    let rows = session.checks.len();
    let Stage::Checks(ui) = &mut session.stage else {
        return None;
    };
    match key.code {
        KeyCode::Up | KeyCode::Char('k') => ui.selected = ui.selected.saturating_sub(1),
        KeyCode::Down | KeyCode::Char('j') => {
            ui.selected = (ui.selected + 1).min(rows.saturating_sub(1));
        }
        KeyCode::Enter => {
            let done = session
                .checks
                .get(ui.selected)
                .is_some_and(|row| row.state != RowState::Running);
            if done {
                ui.evidence = Some((ui.selected, 0));
            }
        }
        KeyCode::Char('c') | KeyCode::Right | KeyCode::Char(' ') if !running => {
            session.sync(false);
        }
        _ => {}
    }
    None
}

fn evidence_key(model: &mut Model<'_>, key: KeyEvent) -> Option<Cmd> {
    let body_height = body_height(model.size);
    let session = model.session.as_mut()?;
    let Stage::Checks(ChecksUi {
        evidence: Some((row, scroll)),
        ..
    }) = &mut session.stage
    else {
        return None;
    };
    let lines = match session.checks.get(*row).map(|row| &row.state) {
        Some(RowState::Done { evidence, .. }) => evidence.len(),
        _ => 0,
    };
    let max = u16::try_from(lines)
        .unwrap_or(u16::MAX)
        .saturating_sub(body_height.saturating_sub(2));
    match key.code {
        KeyCode::Esc | KeyCode::Enter | KeyCode::Backspace | KeyCode::Char('q') => {
            if let Stage::Checks(ui) = &mut session.stage {
                ui.evidence = None;
            }
        }
        code => *scroll = scrolled(*scroll, code, max, body_height.saturating_sub(2)),
    }
    None
}

fn solution_key(model: &mut Model<'_>, key: KeyEvent) -> Option<Cmd> {
    let knowledge = model.knowledge;
    let (width, _) = model.size;
    let body_height = solution_height(model.size, model.agent());
    let theme = model.theme;
    let can_email = model.can_email;
    let session = model.session.as_mut()?;
    let agent = session.agent();
    let Stage::Solution(ui) = &mut session.stage else {
        return None;
    };
    match key.code {
        // Helpdesk: the caller's steps and the agent's own summary are two tabs.
        KeyCode::Tab | KeyCode::BackTab if agent => {
            ui.internal = !ui.internal;
            ui.scroll = 0;
        }
        KeyCode::Char('e') if agent => {
            if !can_email {
                model.status = Some(StatusLine::problem(super::email::NOT_SET_UP));
            } else if session.sending.is_some() {
                model.status = Some(StatusLine::info("The steps are being sent…"));
            } else {
                // The address the run learned is the likely one; the agent can change it.
                ui.email = Some(session.recorder.session().email().unwrap_or("").to_string());
            }
        }
        KeyCode::Char('c') => {
            // The switcher belongs to the caller's steps: show them.
            ui.internal = false;
            let current =
                super::article::solution_client(knowledge, session.recorder.wizard().facts(), ui)
                    .and_then(|client| knowledge.clients.iter().position(|c| c.id == client.id))
                    .unwrap_or(0);
            ui.picker = Some(current);
        }
        code => {
            let lines = if ui.internal {
                super::article::internal_doc(knowledge, session.recorder.session(), width, theme)
                    .len()
            } else {
                super::article::solution_len(
                    knowledge,
                    session.recorder.wizard().facts(),
                    ui,
                    width,
                    theme,
                )
            };
            let max = lines.saturating_sub(body_height);
            ui.scroll = scrolled(ui.scroll, code, max, body_height);
        }
    }
    None
}

/// The note editor (helpdesk): Enter keeps the note, Esc drops it.
fn note_key(model: &mut Model<'_>, key: KeyEvent) -> Option<Cmd> {
    let session = model.session.as_mut()?;
    let note = session.note.as_mut()?;
    match key.code {
        KeyCode::Esc => {
            session.note = None;
            model.status = Some(StatusLine::info("Note dropped."));
        }
        KeyCode::Enter => {
            let text = session.note.take().unwrap_or_default();
            model.keep_note(&text);
        }
        _ => edit_line(note, &key),
    }
    None
}

/// The "email the steps to" box (helpdesk): Enter sends, Esc closes.
fn email_key(model: &mut Model<'_>, key: KeyEvent) -> Option<Cmd> {
    let knowledge = model.knowledge;
    let session = model.session.as_mut()?;
    let Stage::Solution(ui) = &mut session.stage else {
        return None;
    };
    let address = ui.email.as_mut()?;
    match key.code {
        KeyCode::Esc => ui.email = None,
        KeyCode::Enter => {
            let to = crate::sanitize::single_line(address).trim().to_string();
            if let Some(problem) = address_problem(&to) {
                model.status = Some(StatusLine::problem(problem));
                return None;
            }
            let Some(steps) = caller_steps(knowledge, session.recorder.wizard(), ui) else {
                ui.email = None;
                model.status = Some(StatusLine::problem(
                    "There are no steps to send: relaydoc knows no mail programs.",
                ));
                return None;
            };
            ui.email = None;
            let ticket = model.next_ticket;
            model.next_ticket += 1;
            session.sending = Some(ticket);
            model.status = Some(StatusLine::info(format!("Sending the steps to {to}…")));
            let record = session.recorder.session();
            return Some(Cmd::EmailSteps(EmailJob {
                ticket,
                letter: Letter {
                    to,
                    steps,
                    reference: record.id.clone(),
                    agent: record.agent.clone(),
                },
            }));
        }
        _ => edit_line(address, &key),
    }
    None
}

/// The steps the solution screen shows the caller, for the program chosen there, as text.
pub fn caller_steps(
    knowledge: &Knowledge,
    wizard: &Wizard<'_>,
    ui: &SolutionUi,
) -> Option<crate::session::export::CallerSteps> {
    let facts = wizard.facts();
    let client = super::article::solution_client(knowledge, facts, ui)?;
    let view = crate::present::solution_view(knowledge, ui.node, facts, client);
    Some(crate::session::export::CallerSteps {
        client: crate::sanitize::for_terminal(&client.name),
        title: view.title.clone(),
        text: crate::present::solution_text(&view, 76),
    })
}

fn picker_key(model: &mut Model<'_>, key: KeyEvent) -> Option<Cmd> {
    let count = model.knowledge.clients.len();
    let knowledge = model.knowledge;
    let session = model.session.as_mut()?;
    let Stage::Solution(ui) = &mut session.stage else {
        return None;
    };
    let selected = ui.picker.as_mut()?;
    match key.code {
        KeyCode::Up | KeyCode::Char('k') => *selected = selected.saturating_sub(1),
        KeyCode::Down | KeyCode::Char('j') => {
            *selected = (*selected + 1).min(count.saturating_sub(1));
        }
        KeyCode::Enter => {
            ui.client = knowledge.clients.get(*selected).map(|c| c.id.clone());
            ui.picker = None;
            ui.scroll = 0;
        }
        KeyCode::Esc | KeyCode::Char('c' | 'q') => ui.picker = None,
        _ => {}
    }
    None
}
