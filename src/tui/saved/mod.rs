//! "Saved sessions": the list of saved wizard runs, newest first, and one of them opened as
//! its ticket summary — to pick the call up again (`r`), email the caller their steps (`e`) or
//! delete it (`d`). For agents who look a call up without the command line.
//!
//! The list is read from the store once, when the screen opens (a thousand sessions take
//! about 80 ms), and again only after a delete: drawing never touches the disk. Every text
//! from a session file is made safe for the terminal here, before anything draws it.

use crossterm::event::{KeyCode, KeyEvent};

pub mod state;

pub use state::*;

use super::email::{EmailJob, NOT_SET_UP};
use super::layout::{address_problem, body_height, edit_line, list_moved, scrolled, text_width};
use super::state::{Cmd, HomeEntry, Model, Screen, StatusLine, home_index};
use crate::sanitize::single_line;
use crate::session::export;
use crate::session::mail::Letter;

/// Home's "Saved sessions": reads the list now, once.
pub(super) fn open_list(model: &mut Model<'_>) {
    model.screen = Screen::SavedSessions(SavedSessions::load(
        model.knowledge,
        model.recording.store.as_ref(),
        &model.time_zone,
    ));
}

pub(super) fn key(model: &mut Model<'_>, key: KeyEvent) -> Option<Cmd> {
    let Screen::SavedSessions(saved) = &model.screen else {
        return None;
    };
    match saved.open.as_ref().map(|open| &open.overlay) {
        None => list_key(model, key),
        Some(None) => open_key(model, key),
        Some(Some(Overlay::ConfirmDelete)) => delete_key(model, key),
        Some(Some(Overlay::Email(_))) => email_key(model, key),
    }
}

/// Pasted text goes into the filter, or into the email box.
pub(super) fn paste(saved: &mut SavedSessions, text: &str) {
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

fn list_key(model: &mut Model<'_>, key: KeyEvent) -> Option<Cmd> {
    let knowledge = model.knowledge;
    let page = body_height(model.size);
    let Screen::SavedSessions(saved) = &mut model.screen else {
        return None;
    };
    if let Some(selected) = list_moved(saved.selected, key.code, saved.shown.len(), page) {
        saved.selected = selected;
        return None;
    }
    match key.code {
        KeyCode::Esc => {
            model.screen = Screen::Home {
                selected: home_index(HomeEntry::Sessions),
            };
        }
        KeyCode::Enter => {
            let (Some(row), Some(store)) = (saved.selected_row(), &model.recording.store) else {
                return None;
            };
            // Read again: the list may be minutes old, and the call picked up elsewhere since.
            match store.load(&row.id) {
                Ok(session) => {
                    saved.open = Some(OpenSession::new(knowledge, session, &model.time_zone));
                }
                Err(error) => {
                    model.status = Some(StatusLine::problem(single_line(&error.to_string())));
                }
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
    None
}

/// Keys on an open session: scroll, resume, email, delete, back.
fn open_key(model: &mut Model<'_>, key: KeyEvent) -> Option<Cmd> {
    let can_email = model.can_email;
    let sending = model.saved_send.is_some();
    let max = summary_scroll_max(model);
    // The summary sits between two rules.
    let page = body_height(model.size).saturating_sub(2);
    let Screen::SavedSessions(saved) = &mut model.screen else {
        return None;
    };
    let open = saved.open.as_mut()?;
    match key.code {
        KeyCode::Esc | KeyCode::Backspace | KeyCode::Left | KeyCode::Char('b') => {
            saved.open = None;
        }
        KeyCode::Char('q') => return model.quit(),
        KeyCode::Char('r') => {
            let session = open.session.clone();
            return model.resume(session);
        }
        KeyCode::Char('d') => open.overlay = Some(Overlay::ConfirmDelete),
        KeyCode::Char('e') => {
            let problem = if !can_email {
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
                Some(problem) => model.status = Some(StatusLine::problem(problem)),
                None if sending => {
                    model.status = Some(StatusLine::info("The steps are being sent…"))
                }
                None => {
                    // The address the session learned is the likely one; the agent can change it.
                    let address = open.session.email().unwrap_or("").to_string();
                    open.overlay = Some(Overlay::Email(address));
                }
            }
        }
        code => open.scroll = scrolled(open.scroll, code, max, page),
    }
    None
}

/// How far the open summary scrolls: its wrapped length less what the page shows (the page
/// has a rule above and below).
fn summary_scroll_max(model: &Model<'_>) -> u16 {
    let Screen::SavedSessions(SavedSessions {
        open: Some(open), ..
    }) = &model.screen
    else {
        return 0;
    };
    let width = text_width(model.size.0);
    let lines = summary_lines(&open.summary, width).len();
    let page = body_height(model.size).saturating_sub(2);
    u16::try_from(lines)
        .unwrap_or(u16::MAX)
        .saturating_sub(page)
}

/// "Delete session ID? y/n": only y deletes.
fn delete_key(model: &mut Model<'_>, key: KeyEvent) -> Option<Cmd> {
    let knowledge = model.knowledge;
    let Screen::SavedSessions(saved) = &mut model.screen else {
        return None;
    };
    let open = saved.open.as_mut()?;
    let id = single_line(&open.session.id);
    match key.code {
        KeyCode::Char('y' | 'Y') => {
            let Some(store) = &model.recording.store else {
                return None;
            };
            match store.delete(&open.session.id) {
                Ok(_) => {
                    // The line printed after the TUI must not point at a session that is gone.
                    if model.saved.as_deref() == Some(open.session.id.as_str()) {
                        model.saved = None;
                    }
                    let mut fresh = SavedSessions::load(knowledge, Some(store), &model.time_zone);
                    fresh.filter = std::mem::take(&mut saved.filter);
                    fresh.selected = saved.selected;
                    fresh.refilter();
                    *saved = fresh;
                    model.status = Some(StatusLine::info(format!("Deleted session {id}.")));
                }
                Err(error) => {
                    open.overlay = None;
                    model.status = Some(StatusLine::problem(format!(
                        "Session {id} could not be deleted: {}",
                        single_line(&error.to_string())
                    )));
                }
            }
        }
        KeyCode::Char('n' | 'N') | KeyCode::Esc => {
            open.overlay = None;
            model.status = Some(StatusLine::info(format!("Kept session {id}.")));
        }
        _ => {}
    }
    None
}

/// The "email the steps to" box: Enter sends, Esc closes.
fn email_key(model: &mut Model<'_>, key: KeyEvent) -> Option<Cmd> {
    let knowledge = model.knowledge;
    let Screen::SavedSessions(saved) = &mut model.screen else {
        return None;
    };
    let open = saved.open.as_mut()?;
    let Some(Overlay::Email(address)) = &mut open.overlay else {
        return None;
    };
    match key.code {
        KeyCode::Esc => open.overlay = None,
        KeyCode::Enter => {
            let to = single_line(address).trim().to_string();
            if let Some(problem) = address_problem(&to) {
                model.status = Some(StatusLine::problem(problem));
                return None;
            }
            open.overlay = None;
            let Some(steps) = export::caller_steps(knowledge, &open.session) else {
                model.status = Some(StatusLine::problem(
                    "There are no steps to send: relaydoc knows no mail programs.",
                ));
                return None;
            };
            // Taken out of the open session first: the ticket needs the whole model.
            let letter = Letter {
                to,
                steps,
                reference: open.session.id.clone(),
                agent: open.session.agent.clone(),
            };
            let ticket = model.new_ticket();
            model.saved_send = Some(PendingSend {
                ticket,
                id: letter.reference.clone(),
            });
            model.status = Some(StatusLine::info(format!(
                "Sending the steps to {}…",
                letter.to
            )));
            return Some(Cmd::EmailSteps(EmailJob { ticket, letter }));
        }
        _ => edit_line(address, &key),
    }
    None
}

/// The steps went out from a saved session: the session notes it, as `sessions send` does.
pub(super) fn record_sent(model: &mut Model<'_>, id: &str, to: &str) {
    // Picked up again while the mail went out: the run's recorder owns the file now, and a
    // note written beside it would be lost at its next save.
    if let Some(run) = model
        .session
        .as_mut()
        .filter(|run| run.recorder.session().id == id)
    {
        run.recorder.record_sent(to);
        return;
    }
    let Some(store) = &model.recording.store else {
        return;
    };
    let now = model.recording.clock.now();
    // Read fresh, so nothing written to the file meanwhile is lost.
    let updated = store.load(id).and_then(|mut session| {
        crate::session::mail::record_sent(&mut session, to, now);
        store.save(&session).map(|()| session)
    });
    match updated {
        Ok(session) => {
            if let Screen::SavedSessions(SavedSessions {
                open: Some(open), ..
            }) = &mut model.screen
                && open.session.id == session.id
            {
                open.summary = summary_of(model.knowledge, &session, &model.time_zone);
                open.session = session;
            }
        }
        Err(error) => {
            model.status = Some(StatusLine::problem(format!(
                "Sent the steps to {}, but session {} could not be updated: {}",
                single_line(to),
                single_line(id),
                single_line(&error.to_string())
            )));
        }
    }
}
