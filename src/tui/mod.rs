//! The full-screen wizard (ratatui + crossterm): the TUI driver of [`crate::engine`].
//!
//! Elm-style: [`model::Model`] holds the state (a screen enum, never a pile of flags),
//! [`model::update`] applies a [`model::Msg`] and returns a [`model::Cmd`], and [`view::view`]
//! only reads. This module owns the terminal and the event loop: one [`Event`] channel merges
//! key presses, check reports and ticks. The loop blocks on that channel, so an idle screen
//! costs no CPU; ticks flow only while a spinner is visible. The terminal is restored on every
//! way out (quit, error, panic via ratatui's hook, Ctrl-C, which raw mode delivers as a key).

pub mod article;
pub mod checks;
pub mod model;
pub mod theme;
pub mod view;

#[cfg(test)]
mod tests;

use std::io;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use crossterm::event::{self as term, DisableBracketedPaste, EnableBracketedPaste};

pub use checks::{LiveChecks, NoLiveChecks};
pub use model::{Ending, Model};

use crate::engine::Facts;
use crate::knowledge::Knowledge;
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
    Tick,
}

/// How the TUI is started.
pub struct Options {
    pub color: bool,
    pub checks: Arc<dyn LiveChecks>,
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("color", &self.color)
            .finish_non_exhaustive()
    }
}

/// Runs the TUI until the person quits. The terminal is restored before this returns, whether
/// it returns an error or not.
pub fn run(knowledge: &Knowledge, facts: Facts, options: Options) -> io::Result<Ending> {
    // ratatui::init enters raw mode and the alternate screen and installs a panic hook that
    // restores the terminal before the panic message is printed.
    let mut terminal = ratatui::init();
    let result = (|| {
        crossterm::execute!(io::stdout(), EnableBracketedPaste)?;
        let size = terminal.size()?;
        let model = Model::new(
            knowledge,
            facts,
            Theme::new(options.color),
            (size.width, size.height),
        );
        event_loop(&mut terminal, model, options.checks)
    })();
    let _ = crossterm::execute!(io::stdout(), DisableBracketedPaste);
    ratatui::restore();
    result
}

fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    mut model: Model<'_>,
    runner: Arc<dyn LiveChecks>,
) -> io::Result<Ending> {
    let (sender, receiver) = mpsc::channel::<Event>();
    // Set up crossterm's event source (and its SIGWINCH handler) here, before the first
    // frame: left to the reader thread, a resize right after start-up could be lost.
    term::poll(Duration::ZERO)?;
    spawn_input_reader(sender.clone())?;
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
            Event::Tick => Msg::Tick(Instant::now()),
        };
        // Elapsed times on screen are measured against the model's clock.
        model.now = Instant::now();
        match update(&mut model, msg) {
            Some(Cmd::Quit) => break,
            Some(Cmd::RunChecks(jobs)) => {
                for job in jobs {
                    checks::spawn(runner.clone(), job, sender.clone(), Event::CheckDone);
                }
            }
            Some(Cmd::RunAccount(job)) => checks::spawn_account(
                runner.clone(),
                job,
                sender.clone(),
                Event::AccountProgress,
                Event::AccountDone,
            ),
            None => {}
        }
        terminal.draw(|frame| view::view(&model, frame))?;
    }
    Ok(model.ending.unwrap_or(Ending::Quit))
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

/// Reads terminal events on their own thread (blocking, so no CPU while idle) and forwards
/// them; it ends with the process, or when the loop has gone.
fn spawn_input_reader(sender: Sender<Event>) -> io::Result<()> {
    std::thread::Builder::new()
        .name("terminal-input".into())
        .spawn(move || {
            loop {
                let event = match term::read() {
                    Ok(event) => Event::Terminal(event),
                    Err(error) => {
                        let _ = sender.send(Event::InputLost(error.to_string()));
                        return;
                    }
                };
                if sender.send(event).is_err() {
                    return;
                }
            }
        })
        .map(|_| ())
}
