//! The wizard screen: one run of the engine, in its recorder, shown a stage at a time — a
//! question ([`question`]), the live checks ([`checks`]) or the solution ([`solution`]).
//!
//! This module holds the run (the [`Session`]) and what all three stages share: sending the
//! engine a message and following it to the next stage, the keys every stage takes (back,
//! restart, quit, search, the helpdesk note), and the frame around a stage. The wizard's logic
//! stays in [`crate::engine::Wizard`], reached through the session [`Recorder`] so every run
//! is recorded (and saved, with a store) step by step.

pub mod checks;
pub mod question;
pub mod solution;

use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;

pub use checks::{CheckRow, ChecksUi, RowState};
pub use question::{DIGIT_JOIN, QuestionUi};

use super::{Ctx, Footer, Go, Paint};
use crate::engine::{AnswerError, Effect, Message, SecretInput, State};
use crate::knowledge::Knowledge;
use crate::knowledge::model::{Node, NodeBody, UNKNOWN};
use crate::sanitize::single_line;
use crate::session::{Mode, Recorder};
use crate::tui::article::Doc;
use crate::tui::checks::{CheckDone, CheckJob};
use crate::tui::layout::{agent_note, edit_line, is_ctrl, pasted_lines};
use crate::tui::state::{Cmd, HomeEntry, Origin, SolutionUi, StatusLine};
use crate::tui::widgets::line_box;

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

/// What the wizard screen shows, following the engine's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    Question(QuestionUi),
    /// Checks running, or finished and waiting for the person to read them and continue.
    Checks(ChecksUi),
    Solution(SolutionUi),
}

impl<'k> Session<'k> {
    /// A run just begun in `recorder`, at its first question.
    pub fn new(recorder: Recorder<'k>) -> Self {
        Self {
            recorder,
            stage: Stage::Question(QuestionUi::at(0)),
            checks: Vec::new(),
            notice: None,
            note: None,
            sending: None,
            origin: Origin::Home(HomeEntry::Start),
        }
    }

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

    /// True when keys type into a text box (an answer, the note, the email address).
    pub fn typing(&self, knowledge: &Knowledge) -> bool {
        self.note.is_some()
            || matches!(&self.stage, Stage::Question(ui)
                if matches!(knowledge.node(ui.node).body, NodeBody::Input { .. }))
            || matches!(&self.stage, Stage::Solution(ui) if ui.email.is_some())
    }

    /// Pasted text goes into the note, the email box or the answer box, whichever is open.
    pub fn paste(&mut self, knowledge: &Knowledge, text: &str) {
        if let Some(note) = self.note.as_mut() {
            note.push_str(&single_line(text));
            return;
        }
        match &mut self.stage {
            Stage::Solution(SolutionUi {
                email: Some(address),
                ..
            }) => address.push_str(single_line(text).trim()),
            Stage::Question(ui) => match knowledge.node(ui.node).body {
                // A box for a whole error message keeps its lines.
                NodeBody::Input {
                    multiline: true, ..
                } => ui
                    .input
                    .push_str(&crate::sanitize::for_terminal(&pasted_lines(text))),
                NodeBody::Input { .. } => ui.input.push_str(&single_line(text)),
                _ => {}
            },
            _ => {}
        }
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

    /// A failed save does not stop the run: it is said once, on the status line.
    pub fn take_save_problem(&mut self, ctx: &mut Ctx<'_, '_>) {
        if let Some(problem) = self.recorder.take_save_problem() {
            ctx.say(StatusLine::problem(single_line(&problem)));
        }
    }

    /// Brings the stage in line with the engine after it moved, and turns its effects into
    /// check jobs. `keep_checks` holds the checks screen up after a check so its result can be
    /// read before the wizard moves on.
    pub fn after_engine(
        &mut self,
        effects: Vec<Effect>,
        keep_checks: bool,
        ctx: &mut Ctx<'_, '_>,
    ) -> Go {
        let mut jobs = Vec::new();
        for Effect::RunCheck(request) in effects {
            let ticket = ctx.ticket();
            self.checks.push(CheckRow {
                ticket,
                node: request.node,
                check: request.check.clone(),
                started: ctx.now,
                state: RowState::Running,
            });
            jobs.push(CheckJob { ticket, request });
        }
        self.sync(keep_checks || !jobs.is_empty());
        // The knowledge ended the run (the person's own quit goes through the model's quit):
        // say why on Home rather than leave a question on screen that takes no answer.
        if let Some(stopped) = self.recorder.wizard().stopped()
            && *stopped != crate::engine::Stopped::ByPerson
        {
            return Go::RunEnded(format!(
                "The wizard stopped without an answer: {}.",
                stopped.reason()
            ));
        }
        let asks_password = matches!(
            self.recorder.wizard().current().map(|node| &node.body),
            Some(NodeBody::Input { secret: true, .. })
        ) && matches!(self.recorder.wizard().state(), State::Asking(_));
        if jobs.is_empty()
            && asks_password
            && let Some(password) = ctx.env_password.take()
        {
            ctx.say(StatusLine::info(
                "Using the password from RELAYDOC_PASSWORD for the sign-in test.",
            ));
            return self.engine(Message::Secret(SecretInput::Typed(password)), ctx);
        }
        if jobs.is_empty() {
            Go::Stay
        } else {
            Go::Run(Cmd::RunChecks(jobs))
        }
    }

    /// Sends a message to the engine (through the recorder); an answer it refuses is shown,
    /// not fatal.
    pub fn engine(&mut self, message: Message, ctx: &mut Ctx<'_, '_>) -> Go {
        self.notice = None;
        let result = self.recorder.update(message);
        self.take_save_problem(ctx);
        match result {
            Ok(effects) => self.after_engine(effects, false, ctx),
            Err(error) => {
                self.notice = Some(describe(&error));
                Go::Stay
            }
        }
    }

    /// A live check reported: its row shows the result, and the engine hears what it found.
    pub fn check_done(&mut self, done: CheckDone, ctx: &mut Ctx<'_, '_>) -> Go {
        let Some(row) = self.checks.iter_mut().find(|row| row.ticket == done.ticket) else {
            return Go::Stay;
        };
        if row.state != RowState::Running {
            // Cancelled meanwhile: the person has moved on.
            return Go::Stay;
        }
        row.state = RowState::Done {
            status: done.report.status,
            elapsed: done.elapsed,
            summary: crate::tui::checks::summary(&done.report),
            evidence: crate::tui::checks::evidence(&done.report),
        };
        let node = row.node;
        let message = match crate::wizard::established(&done.report) {
            None => Message::CheckFailed { node },
            Some(facts) => Message::CheckFinished { node, facts },
        };
        let result = self.recorder.update(message);
        self.take_save_problem(ctx);
        match result {
            Ok(effects) => self.after_engine(effects, true, ctx),
            Err(_) => Go::Stay,
        }
    }

    /// Keeps the agent's note with the step the run is at.
    fn keep_note(&mut self, text: &str, ctx: &mut Ctx<'_, '_>) {
        let text = single_line(text);
        if text.trim().is_empty() {
            return;
        }
        self.recorder.note(&text);
        let count = self.recorder.session().notes().count();
        ctx.say(match crate::session::note_warning(&text) {
            Some(warning) => StatusLine::problem(format!("Note kept. {warning}")),
            None => StatusLine::info(format!("Note kept ({count} in this session).")),
        });
        self.take_save_problem(ctx);
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

/// Keys on the wizard screen: an overlay's first (the note, the program picker, the email
/// box, a check's evidence), then the keys every stage shares, then the stage's own.
pub fn key(session: &mut Session<'_>, key: KeyEvent, ctx: &mut Ctx<'_, '_>) -> Go {
    let typing = session.typing(ctx.knowledge);
    if session.note.is_some() {
        return note_key(session, key, ctx);
    }
    // Overlays inside a stage take their keys first.
    match &session.stage {
        Stage::Solution(SolutionUi {
            picker: Some(_), ..
        }) => return solution::picker_key(session, key, ctx),
        Stage::Solution(SolutionUi { email: Some(_), .. }) => {
            return solution::email_key(session, key, ctx);
        }
        Stage::Checks(ChecksUi {
            evidence: Some(_), ..
        }) => return checks::evidence_key(session, key, ctx),
        _ => {}
    }
    // Helpdesk: a note for the ticket from any stage; Ctrl-N also inside a text box.
    let note_wanted = is_ctrl(&key, 'n') || (!typing && key.code == KeyCode::Char('n'));
    if session.agent() && note_wanted {
        session.note = Some(String::new());
        return Go::Stay;
    }
    if let Some(common) = common_key(&key, typing) {
        return match common {
            Common::Back => back(session, ctx),
            Common::Restart => {
                session.cancel_checks(ctx.now);
                session.checks.clear();
                session.engine(Message::Restart, ctx)
            }
            Common::Quit => Go::Quit,
            Common::Browse => Go::Browse { from_wizard: true },
        };
    }
    match &session.stage {
        Stage::Question(_) => question::key(session, key, ctx),
        Stage::Checks(_) => checks::key(session, key),
        Stage::Solution(_) => solution::key(session, key, ctx),
    }
}

/// Back: one question back; from the first question, back where the run was started. Running
/// checks are cancelled, never waited for.
fn back(session: &mut Session<'_>, ctx: &mut Ctx<'_, '_>) -> Go {
    session.cancel_checks(ctx.now);
    if !session.wizard().can_go_back() {
        return Go::LeaveRun;
    }
    // The engine forgets the answer on Back; the screen shows it again, ready to keep.
    let previous = session.wizard().answered().last().map(|(node, value)| {
        let secret = matches!(node.body, NodeBody::Input { secret: true, .. });
        (node.id.clone(), value.clone(), secret)
    });
    let go = session.engine(Message::Back, ctx);
    let knowledge = ctx.knowledge;
    if let Some((id, value, secret)) = previous
        && let Stage::Question(ui) = &mut session.stage
        && knowledge.node(ui.node).id == id
    {
        match &knowledge.node(ui.node).body {
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
    go
}

/// The note editor (helpdesk): Enter keeps the note, Esc drops it.
fn note_key(session: &mut Session<'_>, key: KeyEvent, ctx: &mut Ctx<'_, '_>) -> Go {
    let Some(note) = session.note.as_mut() else {
        return Go::Stay;
    };
    match key.code {
        KeyCode::Esc => {
            session.note = None;
            ctx.say(StatusLine::info("Note dropped."));
        }
        KeyCode::Enter => {
            let text = session.note.take().unwrap_or_default();
            session.keep_note(&text, ctx);
        }
        _ => edit_line(note, &key),
    }
    Go::Stay
}

/// The wizard screen: the stage, and the note editor over it; returns the header context and
/// the footer keys.
pub fn draw(paint: Paint<'_>, frame: &mut Frame<'_>, area: Rect, session: &Session<'_>) -> Footer {
    let agent = session.agent();
    let footer = match &session.stage {
        Stage::Question(ui) => {
            question::draw(paint, session, ui, frame, area);
            let step = format!("Question {}", session.wizard().answered().len() + 1);
            (step, question::keys(session.typing(paint.knowledge), agent))
        }
        Stage::Checks(ui) => {
            checks::draw(paint, session, ui, frame, area);
            ("Checks".into(), checks::keys(session, ui))
        }
        Stage::Solution(ui) => {
            solution::draw(paint, session, ui, frame, area);
            ("Solution".into(), solution::keys(ui, agent))
        }
    };
    let Some(note) = &session.note else {
        return footer;
    };
    line_box(
        paint.theme,
        frame,
        area,
        "Note for the ticket — Enter keeps · Esc drops",
        note,
    );
    (
        footer.0,
        vec![
            ("Enter", "keep the note"),
            ("Esc", "drop it"),
            ("Ctrl-C", "quit"),
        ],
    )
}

/// The node's internal note for the agent, when it has one (helpdesk mode only).
fn agent_note_panel(doc: &mut Doc, node: &Node) {
    if let Some(note) = agent_note(node) {
        doc.heading("For you (not for the caller)");
        doc.para(note, Style::new());
        doc.gap();
    }
}
