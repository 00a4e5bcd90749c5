//! "Email these steps to the caller" (helpdesk mode): the one hook the mailer plugs into.
//!
//! The TUI only knows a [`StepsSender`] (the one the plain wizard uses too): given a letter —
//! the address and the caller's steps — it sends it and says how it went. Like a live check it runs on a worker thread, so a slow mail
//! server never freezes the screen; the result comes back as [`EmailDone`] with a ticket. With
//! no sender (`tui::Options::email` is `None`, as long as email is not configured) the `e` key
//! only says where to set it up.

use std::sync::Arc;
use std::sync::mpsc::Sender;

use crate::session::mail::{Letter, StepsSender};

/// What the person sees when `e` is pressed and no sender is configured.
pub const NOT_SET_UP: &str = "email is not set up: see `relaydoc config`";

/// Steps to send, with the ticket the result must carry back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailJob {
    pub ticket: u64,
    pub letter: Letter,
}

/// How sending went, as it travels back to the UI thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailDone {
    pub ticket: u64,
    pub to: String,
    pub result: Result<String, String>,
}

/// Sends on its own thread and returns at once; `deliver` wraps the result into the event
/// loop's event.
pub fn spawn<E: Send + 'static>(
    sender: Arc<dyn StepsSender>,
    job: EmailJob,
    events: Sender<E>,
    deliver: fn(EmailDone) -> E,
) {
    let fallback = (events.clone(), job.ticket, job.letter.to.clone());
    let spawned = std::thread::Builder::new()
        .name("email-steps".into())
        .spawn(move || {
            let result = sender.send(&job.letter);
            // The UI may have quit meanwhile; nobody is left to tell.
            let _ = events.send(deliver(EmailDone {
                ticket: job.ticket,
                to: job.letter.to,
                result,
            }));
        });
    if spawned.is_err() {
        let (events, ticket, to) = fallback;
        let _ = events.send(deliver(EmailDone {
            ticket,
            to,
            result: Err("could not start sending (no thread)".into()),
        }));
    }
}
