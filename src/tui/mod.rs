//! The full-screen wizard (ratatui + crossterm): the TUI driver of [`crate::engine`].
//!
//! Elm-style: [`model::Model`] holds the state (a screen enum, never a pile of flags),
//! [`model::update`] applies a [`model::Msg`] and returns a [`model::Cmd`], and [`view::view`]
//! only reads. Each screen's state, keys and drawing are in its own module under
//! [`screens`]; the model only says which screen is on and carries messages between them. This module owns the terminal and the event loop: one [`Event`] channel merges
//! key presses, check reports and ticks. The loop blocks on that channel, so an idle screen
//! costs no CPU; ticks flow only while a spinner is visible. The terminal is restored on every
//! way out (quit, error, panic via ratatui's hook, Ctrl-C, which raw mode delivers as a key).

pub mod article;
pub mod checks;
pub mod email;
pub mod layout;
pub mod model;
pub mod screens;
pub mod state;
pub mod theme;
pub mod view;
pub mod widgets;

#[cfg(test)]
mod tests;

use std::io;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use crossterm::event::{self as term, DisableBracketedPaste, EnableBracketedPaste};

pub use model::{Ending, Model, Recording};

use crate::engine::Facts;
use crate::knowledge::Knowledge;
use crate::session::recorder::Details;
use crate::session::{Mode, Store, SystemClock};
use model::{Cmd, Msg, update};
use theme::Theme;

/// How often the spinner moves while a check runs.
const TICK: Duration = Duration::from_millis(100);

/// Everything the event loop waits for, merged into one stream.
#[derive(Debug)]
pub enum Event {
    Terminal(term::Event),
    /// The terminal could not be read any more (closed, lost); the TUI ends.
    InputLost(String),
    CheckDone(checks::CheckDone),
    AccountProgress(checks::AccountProgress),
    AccountDone(checks::AccountDone),
    EmailDone(email::EmailDone),
    Tick,
}

/// How the TUI is started.
pub struct Options {
    pub color: bool,
    pub checks: Arc<dyn crate::wizard::Checks>,
    /// Where every wizard run is saved as a session; `None` with `--no-save`.
    pub store: Option<Store>,
    /// [`Mode::Agent`] opens straight in helpdesk mode (`wizard --agent`); [`Mode::User`]
    /// opens on Home, whose Helpdesk entry still starts agent runs.
    pub mode: Mode,
    /// The agent and the caller, as given on the command line.
    pub details: Details,
    /// A saved session to pick up again (`sessions resume`), instead of Home.
    pub resume: Option<Box<crate::session::Session>>,
    /// What sends the caller's steps by email in helpdesk mode; `None` until email is set up,
    /// and then the `e` key says so.
    pub email: Option<Arc<dyn crate::session::mail::StepsSender>>,
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("color", &self.color)
            .field("store", &self.store)
            .field("mode", &self.mode)
            .field("details", &self.details)
            .field("resume", &self.resume.as_ref().map(|session| &session.id))
            .field("email", &self.email.is_some())
            .finish_non_exhaustive()
    }
}

/// How the TUI ended, and the session its last run was saved as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finish {
    pub ending: Ending,
    pub saved: Option<String>,
}

/// Runs the TUI until the person quits. The terminal is restored before this returns, whether
/// it returns an error or not.
pub fn run(knowledge: &Knowledge, facts: Facts, options: Options) -> io::Result<Finish> {
    // Signals from outside (kill, a closed window) restore the terminal too.
    crate::restore::install();
    // ratatui::init enters raw mode and the alternate screen and installs a panic hook that
    // restores the terminal before the panic message is printed.
    let mut terminal = ratatui::init();
    crate::restore::alternate_screen(true);
    let result = (|| {
        crossterm::execute!(io::stdout(), EnableBracketedPaste)?;
        let size = terminal.size()?;
        let mut model = Model::new(
            knowledge,
            facts,
            Theme::new(options.color),
            (size.width, size.height),
        )
        .recorded(Recording {
            store: options.store,
            mode: options.mode,
            details: options.details,
            clock: Arc::new(SystemClock),
        });
        model.can_email = options.email.is_some();
        model.env_password = crate::wizard::password_from_env();
        let first = match options.resume {
            Some(session) => model.resume(*session),
            None if options.mode == Mode::Agent => model.open_helpdesk(),
            None => None,
        };
        let workers = Workers {
            checks: options.checks,
            email: options.email,
        };
        event_loop(&mut terminal, model, workers, first)
    })();
    let _ = crossterm::execute!(io::stdout(), DisableBracketedPaste);
    ratatui::restore();
    crate::restore::alternate_screen(false);
    result
}

/// What runs off the UI thread.
struct Workers {
    checks: Arc<dyn crate::wizard::Checks>,
    email: Option<Arc<dyn crate::session::mail::StepsSender>>,
}

impl Workers {
    /// Starts the work a command asks for; true when the command is to quit.
    fn perform(&self, cmd: Cmd, sender: &Sender<Event>) -> bool {
        match cmd {
            Cmd::Quit => return true,
            Cmd::RunChecks(jobs) => {
                for job in jobs {
                    checks::spawn(self.checks.clone(), job, sender.clone(), Event::CheckDone);
                }
            }
            Cmd::RunAccount(job) => checks::spawn_account(
                self.checks.clone(),
                job,
                sender.clone(),
                Event::AccountProgress,
                Event::AccountDone,
            ),
            Cmd::EmailSteps(job) => match &self.email {
                Some(mailer) => email::spawn(mailer.clone(), job, sender.clone(), Event::EmailDone),
                // The model only asks when a sender exists; answer anyway so nothing waits.
                None => {
                    let _ = sender.send(Event::EmailDone(email::EmailDone {
                        ticket: job.ticket,
                        to: job.letter.to,
                        result: Err(email::NOT_SET_UP.into()),
                    }));
                }
            },
        }
        false
    }
}

fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    mut model: Model<'_>,
    workers: Workers,
    first: Option<Cmd>,
) -> io::Result<Finish> {
    let (sender, receiver) = mpsc::channel::<Event>();
    // Set up crossterm's event source (and its SIGWINCH handler) here, before the first
    // frame: left to the reader thread, a resize right after start-up could be lost.
    term::poll(Duration::ZERO)?;
    spawn_input_reader(sender.clone())?;
    // A resumed run may pick up at a check, which starts now.
    if let Some(cmd) = first
        && workers.perform(cmd, &sender)
    {
        return Ok(finish(model));
    }
    terminal.draw(|frame| view::view(&model, frame))?;
    loop {
        let event = next_event(&receiver, model.animating())?;
        let msg = match event {
            Event::Terminal(term::Event::Key(key)) => Msg::Key(key),
            Event::Terminal(term::Event::Paste(text)) => Msg::Paste(text),
            Event::Terminal(term::Event::Resize(width, height)) => Msg::Resize(width, height),
            Event::Terminal(_) => continue,
            Event::InputLost(reason) => {
                return Err(io::Error::other(format!(
                    "lost the terminal's input: {reason}"
                )));
            }
            Event::CheckDone(done) => Msg::CheckDone(done),
            Event::AccountProgress(progress) => Msg::AccountProgress(progress),
            Event::AccountDone(done) => Msg::AccountDone(done),
            Event::EmailDone(done) => Msg::EmailDone(done),
            Event::Tick => Msg::Tick(Instant::now()),
        };
        // Elapsed times on screen are measured against the model's clock.
        model.now = Instant::now();
        if let Some(cmd) = update(&mut model, msg)
            && workers.perform(cmd, &sender)
        {
            break;
        }
        terminal.draw(|frame| view::view(&model, frame))?;
    }
    Ok(finish(model))
}

fn finish(model: Model<'_>) -> Finish {
    Finish {
        ending: model.ending.unwrap_or(Ending::Quit),
        saved: model
            .session
            .as_ref()
            .and_then(|session| session.recorder.saved_id().map(str::to_string))
            .or(model.saved),
    }
}

/// Blocks until something happens; while a spinner shows, also wakes every [`TICK`].
fn next_event(receiver: &Receiver<Event>, animating: bool) -> io::Result<Event> {
    let lost = || io::Error::other("the event channel closed");
    if animating {
        match receiver.recv_timeout(TICK) {
            Ok(event) => Ok(event),
            Err(RecvTimeoutError::Timeout) => Ok(Event::Tick),
            Err(RecvTimeoutError::Disconnected) => Err(lost()),
        }
    } else {
        receiver.recv().map_err(|_| lost())
    }
}

/// Events read in one go at most; a longer paste arrives in several parts.
const MAX_BURST: usize = 64 * 1024;

/// The text of a burst of key presses that can only be a paste: at least [`PASTE_AT_LEAST`]
/// characters, nothing but characters, Tab and line breaks (Enter, or Ctrl-J as a raw
/// terminal reads a bare line feed), and a line break followed by more text. `None` for
/// anything a person could have typed or a driver sent as keys (a digit and Enter, a word
/// and Enter, arrows).
pub(crate) fn pasted_text(burst: &[term::Event]) -> Option<String> {
    use crossterm::event::{KeyCode, KeyEventKind, KeyModifiers};
    let mut text = String::new();
    for event in burst {
        let term::Event::Key(key) = event else {
            return None;
        };
        if key.kind == KeyEventKind::Release {
            continue;
        }
        let plain = key.modifiers - KeyModifiers::SHIFT;
        match key.code {
            KeyCode::Char('j') if plain == KeyModifiers::CONTROL => text.push('\n'),
            KeyCode::Char(c) if plain.is_empty() => text.push(c),
            KeyCode::Enter if plain.is_empty() => text.push('\n'),
            KeyCode::Tab if plain.is_empty() => text.push('\t'),
            _ => return None,
        }
    }
    let trimmed = text.trim_end_matches('\n');
    let several_lines = trimmed.contains('\n');
    (several_lines && trimmed.chars().count() >= PASTE_AT_LEAST).then_some(text)
}

/// Characters a burst needs before it counts as a paste.
const PASTE_AT_LEAST: usize = 8;

/// Reads terminal events on their own thread (blocking, so no CPU while idle) and forwards
/// them; it ends with the process, or when the loop has gone.
fn spawn_input_reader(sender: Sender<Event>) -> io::Result<()> {
    std::thread::Builder::new()
        .name("terminal-input".into())
        .spawn(move || {
            loop {
                let first = match term::read() {
                    Ok(event) => event,
                    Err(error) => {
                        let _ = sender.send(Event::InputLost(error.to_string()));
                        return;
                    }
                };
                // Whatever else is already waiting came in the same instant: no person types
                // that fast, so a burst holding several lines is a paste from a terminal
                // without bracketed paste, and stays text instead of becoming commands (its
                // first line break would submit a box, and a `q` in it would quit).
                let mut burst = vec![first];
                while burst.len() < MAX_BURST && matches!(term::poll(Duration::ZERO), Ok(true)) {
                    match term::read() {
                        Ok(event) => burst.push(event),
                        Err(_) => break,
                    }
                }
                let events = match pasted_text(&burst) {
                    Some(text) => vec![term::Event::Paste(text)],
                    None => burst,
                };
                for event in events {
                    if sender.send(Event::Terminal(event)).is_err() {
                        return;
                    }
                }
            }
        })
        .map(|_| ())
}
