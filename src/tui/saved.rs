//! "Saved sessions": the list of saved wizard runs, newest first, and one of them opened as
//! its ticket summary — to pick the call up again (`r`), email the caller their steps (`e`) or
//! delete it (`d`). For agents who look a call up without the command line.
//!
//! The list is read from the store once, when the screen opens (a thousand sessions take
//! about 80 ms), and again only after a delete: drawing never touches the disk. Every text
//! from a session file is made safe for the terminal here, before anything draws it.

use crossterm::event::{KeyCode, KeyEvent};
use jiff::tz::TimeZone;

use super::email::{EmailJob, NOT_SET_UP};
use super::model::{
    Cmd, HomeEntry, Model, Screen, StatusLine, address_problem, edit_line, home_index, list_moved,
    scrolled,
};
use crate::knowledge::Knowledge;
use crate::sanitize::{for_terminal, single_line};
use crate::session::mail::Letter;
use crate::session::{Mode, Session, Store, export};

/// The Saved sessions screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedSessions {
    pub source: ListSource,
    /// Every readable session, newest first.
    pub rows: Vec<SessionRow>,
    /// Files in the folder that could not be read (`relaydoc sessions list` names them).
    pub unreadable: usize,
    /// What is typed to narrow the list.
    pub filter: String,
    /// The rows the filter lets through, as indices into `rows`.
    pub shown: Vec<usize>,
    /// The highlighted entry of `shown`.
    pub selected: usize,
    /// The session opened from the list.
    pub open: Option<OpenSession>,
}

/// Where the list came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListSource {
    /// The sessions folder, as a path to show.
    Folder(String),
    /// Sessions are not being saved in this run (`--no-save`, or saving is off in the
    /// config), so the TUI has no folder to list.
    NotSaving,
    /// The folder could not be read, and why.
    Failed(String),
}

/// One saved session as the list shows it; every text is already safe for the terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub id: String,
    /// When it started, in local time, to the minute.
    pub started: String,
    pub mode: Mode,
    /// The caller and the customer's address, those the session has.
    pub who: String,
    /// The cause's title, "stopped at <question>", or a hand-off.
    pub outcome: String,
    /// What the filter looks in, lower case: id, caller, address, cause id and title.
    haystack: String,
}

/// A session opened from the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenSession {
    pub session: Session,
    /// The ticket summary (the Markdown export), made safe for the terminal.
    pub summary: String,
    pub scroll: u16,
    pub overlay: Option<Overlay>,
}

/// What sits over an open session and takes the keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    /// "Delete session ID? y/n"
    ConfirmDelete,
    /// The "email the steps to" box, with what is typed.
    Email(String),
}

/// Steps on their way to a caller from a saved session: when they arrive, the session notes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingSend {
    pub ticket: u64,
    pub id: String,
}

impl SavedSessions {
    /// Reads every session in `store`; `None` means this run saves nothing.
    pub fn load(knowledge: &Knowledge, store: Option<&Store>, zone: &TimeZone) -> Self {
        let mut saved = Self {
            source: ListSource::NotSaving,
            rows: Vec::new(),
            unreadable: 0,
            filter: String::new(),
            shown: Vec::new(),
            selected: 0,
            open: None,
        };
        let Some(store) = store else {
            return saved;
        };
        match store.list() {
            Ok(listing) => {
                saved.source = ListSource::Folder(single_line(&store.dir().display().to_string()));
                saved.unreadable = listing.problems.len();
                saved.rows = listing
                    .sessions
                    .iter()
                    .rev()
                    .map(|session| SessionRow::new(knowledge, session, zone))
                    .collect();
            }
            Err(error) => saved.source = ListSource::Failed(single_line(&error.to_string())),
        }
        saved.refilter();
        saved
    }

    /// Applies the filter: a case-insensitive piece of the caller, address, cause or id.
    fn refilter(&mut self) {
        let needle = self.filter.trim().to_lowercase();
        self.shown = self
            .rows
            .iter()
            .enumerate()
            .filter(|(_, row)| row.haystack.contains(&needle))
            .map(|(index, _)| index)
            .collect();
        self.selected = self.selected.min(self.shown.len().saturating_sub(1));
    }

    pub fn selected_row(&self) -> Option<&SessionRow> {
        self.shown
            .get(self.selected)
            .and_then(|index| self.rows.get(*index))
    }
}

impl SessionRow {
    fn new(knowledge: &Knowledge, session: &Session, zone: &TimeZone) -> Self {
        let cause = session.status.cause.as_deref();
        let named = session.named_cause(knowledge);
        let outcome = match (cause, named) {
            (_, Some(named)) if named.certain => named.cause.title.clone(),
            (_, Some(named)) => format!("maybe: {}", named.cause.title),
            (Some(id), None) => id.to_string(),
            (None, None) if session.status.finished => "handed off, no cause named".into(),
            (None, None) => {
                let at = knowledge
                    .node_id(&session.status.node)
                    .map_or(session.status.node.as_str(), |node| {
                        knowledge.node(node).label()
                    });
                format!("stopped at {at}")
            }
        };
        let who = [session.caller.as_deref(), session.email()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · ");
        let haystack = [
            Some(session.id.as_str()),
            session.caller.as_deref(),
            session.email(),
            cause,
            named.map(|named| named.cause.id.as_str()),
            named.map(|named| named.cause.title.as_str()),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("\n")
        .to_lowercase();
        Self {
            id: single_line(&session.id),
            started: session
                .started
                .to_zoned(zone.clone())
                .strftime("%Y-%m-%d %H:%M")
                .to_string(),
            mode: session.mode,
            who: single_line(&who),
            outcome: single_line(&outcome),
            haystack,
        }
    }
}

impl OpenSession {
    fn new(knowledge: &Knowledge, session: Session, zone: &TimeZone) -> Self {
        let summary = summary_of(knowledge, &session, zone);
        Self {
            session,
            summary,
            scroll: 0,
            overlay: None,
        }
    }
}

fn summary_of(knowledge: &Knowledge, session: &Session, zone: &TimeZone) -> String {
    for_terminal(&export::to_markdown_in(knowledge, session, zone)).replace('\t', "    ")
}

/// The summary wrapped to `width`: what the view draws, and what scrolling measures.
pub fn summary_lines(summary: &str, width: usize) -> Vec<String> {
    let options =
        textwrap::Options::new(width.max(10)).word_splitter(textwrap::WordSplitter::NoHyphenation);
    let mut lines = Vec::new();
    for line in summary.lines() {
        if line.is_empty() {
            lines.push(String::new());
            continue;
        }
        lines.extend(
            textwrap::wrap(line, &options)
                .into_iter()
                .map(|piece| piece.into_owned()),
        );
    }
    lines
}

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
    let Screen::SavedSessions(saved) = &mut model.screen else {
        return None;
    };
    if let Some(selected) = list_moved(saved.selected, key.code, saved.shown.len()) {
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
        code => open.scroll = scrolled(open.scroll, code, max),
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
    let width = super::article::text_width(model.size.0);
    let lines = summary_lines(&open.summary, width).len();
    let page = super::view::body_height(model.size).saturating_sub(2);
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
