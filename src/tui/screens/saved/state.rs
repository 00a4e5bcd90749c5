//! The Saved sessions screen's state: the list, the session opened, its overlays. Read from
//! the store when the screen opens; every text from a session file is made safe here.

use jiff::tz::TimeZone;

use crate::knowledge::Knowledge;
use crate::sanitize::{for_terminal, single_line};
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
    pub(in crate::tui) fn refilter(&mut self) {
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
    pub(in crate::tui) fn new(knowledge: &Knowledge, session: Session, zone: &TimeZone) -> Self {
        let summary = summary_of(knowledge, &session, zone);
        Self {
            session,
            summary,
            scroll: 0,
            overlay: None,
        }
    }
}

pub(in crate::tui) fn summary_of(
    knowledge: &Knowledge,
    session: &Session,
    zone: &TimeZone,
) -> String {
    for_terminal(&export::to_text_in(knowledge, session, zone)).replace('\t', "    ")
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
