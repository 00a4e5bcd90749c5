//! "Saved sessions": the list of saved wizard runs, newest first, and one of them opened as
//! its ticket summary — to pick the call up again (`r`), email the caller their steps (`e`) or
//! delete it (`d`). For agents who look a call up without the command line.
//!
//! The list is read from the store once, when the screen opens (a thousand sessions take
//! about 80 ms), and again only after a delete: drawing never touches the disk. Every text
//! from a session file is made safe for the terminal here, before anything draws it.

use crossterm::event::{KeyCode, KeyEvent};

mod draw;
pub mod state;

pub use draw::draw;
pub use state::*;

use super::{Ctx, Go};
use crate::sanitize::single_line;
use crate::session::export;
use crate::session::mail::Letter;
use crate::tui::email::{EmailJob, NOT_SET_UP};
use crate::tui::layout::{
    address_problem, body_height, edit_line, list_moved, scrolled, text_width,
};
use crate::tui::state::{HomeEntry, StatusLine};

/// Keys on the list, an open session, or its delete question or email box. `sending`: steps
/// from a saved session are on their way.
pub fn key(saved: &mut SavedSessions, key: KeyEvent, ctx: &mut Ctx<'_, '_>, sending: bool) -> Go {
    match saved.open.as_ref().map(|open| &open.overlay) {
        None => list_key(saved, key, ctx),
        Some(None) => open_key(saved, key, ctx, sending),
        Some(Some(Overlay::ConfirmDelete)) => delete_key(saved, key, ctx),
        Some(Some(Overlay::Email(_))) => email_key(saved, key, ctx),
    }
}

/// Keys type into the filter, or into the email box.
pub fn typing(saved: &SavedSessions) -> bool {
    saved
        .open
        .as_ref()
        .is_none_or(|open| matches!(open.overlay, Some(Overlay::Email(_))))
}

/// Pasted text goes into the filter, or into the email box.
pub fn paste(saved: &mut SavedSessions, text: &str) {
    match &mut saved.open {
        None => {
            saved.filter.push_str(&single_line(text));
            saved.refilter();
        }
        Some(OpenSession {
            overlay: Some(Overlay::Email(address)),
            ..
        }) => address.push_str(single_line(text).trim()),
        Some(_) => {}
    }
}

fn list_key(saved: &mut SavedSessions, key: KeyEvent, ctx: &mut Ctx<'_, '_>) -> Go {
    let page = body_height(ctx.size);
    if let Some(selected) = list_moved(saved.selected, key.code, saved.shown.len(), page) {
        saved.selected = selected;
        return Go::Stay;
    }
    match key.code {
        KeyCode::Esc => return Go::Home(HomeEntry::Sessions),
        KeyCode::Enter => {
            let (Some(row), Some(store)) = (saved.selected_row(), &ctx.recording.store) else {
                return Go::Stay;
            };
            // Read again: the list may be minutes old, and the call picked up elsewhere since.
            match store.load(&row.id) {
                Ok(session) => {
                    saved.open = Some(OpenSession::new(ctx.knowledge, session, ctx.time_zone));
                }
                Err(error) => ctx.say(StatusLine::problem(single_line(&error.to_string()))),
            }
        }
        // Elsewhere `/` starts a search; here typing filters already, so it only says "find".
        KeyCode::Char('/') => {}
        _ => {
            let before = saved.filter.clone();
            edit_line(&mut saved.filter, &key);
            if saved.filter != before {
                saved.selected = 0;
                saved.refilter();
            }
        }
    }
    Go::Stay
}

/// Keys on an open session: scroll, resume, email, delete, back.
fn open_key(saved: &mut SavedSessions, key: KeyEvent, ctx: &mut Ctx<'_, '_>, sending: bool) -> Go {
    // The summary sits between two rules.
    let page = body_height(ctx.size).saturating_sub(2);
    let Some(open) = saved.open.as_mut() else {
        return Go::Stay;
    };
    let max = summary_scroll_max(open, ctx.size);
    match key.code {
        KeyCode::Esc | KeyCode::Backspace | KeyCode::Left | KeyCode::Char('b') => {
            saved.open = None;
        }
        KeyCode::Char('q') => return Go::Quit,
        KeyCode::Char('r') => return Go::Resume(Box::new(open.session.clone())),
        KeyCode::Char('d') => open.overlay = Some(Overlay::ConfirmDelete),
        KeyCode::Char('e') => {
            let problem = if !ctx.can_email {
                Some(NOT_SET_UP.to_string())
            } else if !open.session.status.finished {
                Some(
                    "This session has not reached a solution yet, so there are no steps to \
                     send: r picks it up again."
                        .to_string(),
                )
            } else {
                None
            };
            match problem {
                Some(problem) => ctx.say(StatusLine::problem(problem)),
                None if sending => ctx.say(StatusLine::info("The steps are being sent…")),
                None => {
                    // The address the session learned is the likely one; the agent can change it.
                    let address = open.session.email().unwrap_or("").to_string();
                    open.overlay = Some(Overlay::Email(address));
                }
            }
        }
        code => open.scroll = scrolled(open.scroll, code, max, page),
    }
    Go::Stay
}

/// How far the open summary scrolls: its wrapped length less what the page shows (the page
/// has a rule above and below).
fn summary_scroll_max(open: &OpenSession, size: (u16, u16)) -> u16 {
    let width = text_width(size.0);
    let lines = summary_lines(&open.summary, width).len();
    let page = body_height(size).saturating_sub(2);
    u16::try_from(lines)
        .unwrap_or(u16::MAX)
        .saturating_sub(page)
}

/// "Delete session ID? y/n": only y deletes.
fn delete_key(saved: &mut SavedSessions, key: KeyEvent, ctx: &mut Ctx<'_, '_>) -> Go {
    let Some(open) = saved.open.as_mut() else {
        return Go::Stay;
    };
    let id = single_line(&open.session.id);
    match key.code {
        KeyCode::Char('y' | 'Y') => {
            let Some(store) = &ctx.recording.store else {
                return Go::Stay;
            };
            match store.delete(&open.session.id) {
                Ok(_) => {
                    let deleted = open.session.id.clone();
                    let mut fresh = SavedSessions::load(ctx.knowledge, Some(store), ctx.time_zone);
                    fresh.filter = std::mem::take(&mut saved.filter);
                    fresh.selected = saved.selected;
                    fresh.refilter();
                    *saved = fresh;
                    ctx.say(StatusLine::info(format!("Deleted session {id}.")));
                    return Go::Deleted(deleted);
                }
                Err(error) => {
                    open.overlay = None;
                    ctx.say(StatusLine::problem(format!(
                        "Session {id} could not be deleted: {}",
                        single_line(&error.to_string())
                    )));
                }
            }
        }
        KeyCode::Char('n' | 'N') | KeyCode::Esc => {
            open.overlay = None;
            ctx.say(StatusLine::info(format!("Kept session {id}.")));
        }
        _ => {}
    }
    Go::Stay
}

/// The "email the steps to" box: Enter sends, Esc closes.
fn email_key(saved: &mut SavedSessions, key: KeyEvent, ctx: &mut Ctx<'_, '_>) -> Go {
    let Some(open) = saved.open.as_mut() else {
        return Go::Stay;
    };
    let Some(Overlay::Email(address)) = &mut open.overlay else {
        return Go::Stay;
    };
    match key.code {
        KeyCode::Esc => open.overlay = None,
        KeyCode::Enter => {
            let to = single_line(address).trim().to_string();
            if let Some(problem) = address_problem(&to) {
                ctx.say(StatusLine::problem(problem));
                return Go::Stay;
            }
            open.overlay = None;
            let Some(steps) = export::caller_steps(ctx.knowledge, &open.session) else {
                ctx.say(StatusLine::problem(
                    "There are no steps to send: relaydoc knows no mail programs.",
                ));
                return Go::Stay;
            };
            let letter = Letter {
                to,
                steps,
                reference: open.session.id.clone(),
                agent: open.session.agent.clone(),
            };
            let ticket = ctx.ticket();
            ctx.say(StatusLine::info(format!(
                "Sending the steps to {}…",
                letter.to
            )));
            return Go::SendSaved {
                id: letter.reference.clone(),
                job: EmailJob { ticket, letter },
            };
        }
        _ => edit_line(address, &key),
    }
    Go::Stay
}

/// The steps went out from a saved session that no wizard run has picked up: the session
/// notes it, as `sessions send` does, and the one open here shows it.
pub fn record_sent(saved: Option<&mut SavedSessions>, ctx: &mut Ctx<'_, '_>, id: &str, to: &str) {
    let Some(store) = &ctx.recording.store else {
        return;
    };
    let now = ctx.recording.clock.now();
    // Read fresh, so nothing written to the file meanwhile is lost.
    let updated = store.load(id).and_then(|mut session| {
        crate::session::mail::record_sent(&mut session, to, now);
        store.save(&session).map(|()| session)
    });
    match updated {
        Ok(session) => {
            if let Some(SavedSessions {
                open: Some(open), ..
            }) = saved
                && open.session.id == session.id
            {
                open.summary = summary_of(ctx.knowledge, &session, ctx.time_zone);
                open.session = session;
            }
        }
        Err(error) => {
            ctx.say(StatusLine::problem(format!(
                "Sent the steps to {}, but session {} could not be updated: {}",
                single_line(to),
                single_line(id),
                single_line(&error.to_string())
            )));
        }
    }
}
