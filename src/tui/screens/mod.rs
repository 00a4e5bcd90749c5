//! The TUI's screens, one module each, holding that screen's state, its keys and its drawing.
//!
//! A screen knows itself and the shared helpers (`layout`, `widgets`, `article`, `theme`, the
//! words in `state`), never another screen nor the model: what it needs from around it comes
//! in a [`Ctx`] (keys) or a [`Paint`] (drawing), and what it wants done beyond its own state
//! (another screen, a wizard run, work for the event loop) goes back as a [`Go`], which the
//! model carries out.

pub mod account;
pub mod browse;
pub mod helpdesk;
pub mod home;
pub mod paste;
pub mod saved;
pub mod wizard;

use std::time::Instant;

use jiff::tz::TimeZone;

use super::email::EmailJob;
use super::state::{Cmd, HomeEntry, Origin, Recording, StatusLine};
use super::theme::Theme;
use crate::engine::Facts;
use crate::knowledge::Knowledge;
use crate::vocab::Secret;

/// What a screen's keys may read around it, and the little outside it they may change.
#[derive(Debug)]
pub struct Ctx<'a, 'k> {
    pub knowledge: &'k Knowledge,
    pub theme: Theme,
    /// Terminal size, so scrolling can stop at the end of what the view will draw.
    pub size: (u16, u16),
    pub now: Instant,
    pub recording: &'a Recording,
    pub time_zone: &'a TimeZone,
    /// Whether "email these steps" has a sender behind it.
    pub can_email: bool,
    /// The status line under the header.
    pub status: &'a mut Option<StatusLine>,
    pub next_ticket: &'a mut u64,
    /// `RELAYDOC_PASSWORD`, answered for the person at the first password question.
    pub env_password: &'a mut Option<Secret>,
}

impl Ctx<'_, '_> {
    /// A ticket for work that reports back (a check, an email), so a late report finds out
    /// whether it is still wanted.
    pub fn ticket(&mut self) -> u64 {
        let ticket = *self.next_ticket;
        *self.next_ticket += 1;
        ticket
    }

    pub fn say(&mut self, status: StatusLine) {
        *self.status = Some(status);
    }
}

/// What a screen's drawing may read around it.
#[derive(Debug, Clone, Copy)]
pub struct Paint<'k> {
    pub knowledge: &'k Knowledge,
    pub theme: Theme,
    pub size: (u16, u16),
    pub now: Instant,
    pub spinner: usize,
}

/// What a screen draws besides its body: the header's context and the footer's keys.
pub type Footer = (String, Vec<(&'static str, &'static str)>);

/// What a key asks of the rest of the TUI, beyond the screen's own state.
#[derive(Debug)]
pub enum Go {
    /// Nothing more.
    Stay,
    /// Work for the event loop.
    Run(Cmd),
    Quit,
    /// Home, with this entry highlighted.
    Home(HomeEntry),
    /// An entry chosen on Home.
    Choose(HomeEntry),
    /// Browse; Esc there returns to the wizard run when opened from it.
    Browse {
        from_wizard: bool,
    },
    /// Back to the wizard run kept while Browse was open (Home when there is none).
    Wizard,
    /// A new run, with the command line's facts plus these, started from `origin`.
    Start {
        facts: Facts,
        origin: Origin,
    },
    /// A helpdesk run for this caller, from the "who is calling" box with what was typed.
    Helpdesk {
        caller: Option<String>,
        typed: String,
    },
    /// A saved session picked up again.
    Resume(Box<crate::session::Session>),
    /// Steps emailed from a saved session, to be noted in it once sent.
    SendSaved {
        id: String,
        job: EmailJob,
    },
    /// A saved session was deleted.
    Deleted(String),
    /// Leave the wizard run from its first question, back where it was started.
    LeaveRun,
    /// The knowledge ended the wizard run, for this reason.
    RunEnded(String),
}
