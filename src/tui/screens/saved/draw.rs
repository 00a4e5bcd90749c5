//! Drawing the Saved sessions screen: the filter box and the list (its columns fit the
//! window), or one session's ticket summary with the delete question or the email box.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph};

use super::{ListSource, OpenSession, Overlay, SavedSessions, SessionRow, summary_lines};
use crate::sanitize::single_line;
use crate::session::Mode;
use crate::tui::article::Doc;
use crate::tui::layout::text_width;
use crate::tui::screens::{Footer, Paint};
use crate::tui::theme::Theme;
use crate::tui::widgets::{SIDE_PANEL_FROM, centered, clipped, email_box, query_box, scrolled_doc};

/// Saved sessions: the list, or the session opened from it. Returns the header context and
/// the footer keys.
pub fn draw(paint: Paint<'_>, frame: &mut Frame<'_>, area: Rect, saved: &SavedSessions) -> Footer {
    let Some(open) = &saved.open else {
        session_list(paint, frame, area, saved);
        let keys = if saved.rows.is_empty() {
            vec![("Esc", "back"), ("F1", "help"), ("Ctrl-C", "quit")]
        } else {
            vec![
                ("type", "filter"),
                ("↑↓", "pick"),
                ("Enter", "open"),
                ("Esc", "back"),
                ("F1", "help"),
                ("Ctrl-C", "quit"),
            ]
        };
        return ("Saved sessions".into(), keys);
    };
    open_session(paint, frame, area, open);
    let keys = match &open.overlay {
        Some(Overlay::ConfirmDelete) => vec![("y", "delete"), ("n Esc", "keep it")],
        Some(Overlay::Email(_)) => vec![("Enter", "send"), ("Esc", "close"), ("Ctrl-C", "quit")],
        None => {
            let mut keys = vec![("↑↓", "scroll"), ("r", "resume")];
            // Only a finished run has steps to send.
            if open.session.status.finished {
                keys.push(("e", "email steps"));
            }
            keys.extend([
                ("d", "delete"),
                ("Esc", "back"),
                ("q", "quit"),
                ("?", "help"),
            ]);
            keys
        }
    };
    ("Saved session".into(), keys)
}

fn session_list(paint: Paint<'_>, frame: &mut Frame<'_>, area: Rect, saved: &SavedSessions) {
    let theme = paint.theme;
    // Rows are laid out to the full width; only the sentences wrap, at a reading width.
    let mut doc = Doc::new(text_width(area.width + 4), theme);
    let total = saved.rows.len();
    // Nothing to filter: no box, only why the list is empty.
    if total == 0 {
        empty_list(&mut doc, saved, theme);
        frame.render_widget(Paragraph::new(doc.lines), area);
        return;
    }
    let [filter_area, list_area] =
        Layout::vertical([Constraint::Length(3), Constraint::Min(0)]).areas(area);
    query_box(
        theme,
        frame,
        filter_area,
        " Filter by caller, address, cause or id ",
        &saved.filter,
        "Type to narrow the list: a name, an address, a cause, part of an id",
    );
    let heading = if saved.shown.is_empty() {
        format!(
            "No session matches \"{}\". Backspace or Ctrl-U widens the search.",
            single_line(&saved.filter)
        )
    } else if saved.shown.len() == total {
        format!(
            "{}, newest first",
            counted(total, "saved session", "saved sessions")
        )
    } else {
        format!(
            "{} of {total} sessions match, newest first",
            saved.shown.len()
        )
    };
    doc.item("", "", &heading, theme.heading());
    unreadable_warning(&mut doc, theme, saved.unreadable);
    let Some(highlighted) = saved.selected_row() else {
        frame.render_widget(Paragraph::new(doc.lines), list_area);
        return;
    };
    let columns = SessionColumns::for_width(list_area.width);
    doc.lines.push(Line::styled(
        columns.row("", "ID", "Started", "Mode", "Caller / address", "Outcome"),
        theme.dim(),
    ));
    // Narrow windows clip the caller and the outcome: the highlighted session's are spelled
    // out under the list (two lines, and a blank one above them).
    let detail_rows = if columns.wide { 0 } else { 3 };
    let rows = usize::from(list_area.height).saturating_sub(doc.lines.len() + detail_rows);
    let offset = saved.selected.saturating_sub(rows.saturating_sub(1));
    for (position, row) in saved
        .shown
        .iter()
        .filter_map(|index| saved.rows.get(*index))
        .enumerate()
        .skip(offset)
        .take(rows)
    {
        let selected = position == saved.selected;
        let line = columns.session(row, selected);
        doc.lines.push(if selected {
            Line::styled(line, theme.selected())
        } else {
            Line::raw(line)
        });
    }
    if !columns.wide {
        doc.gap();
        let detail = if highlighted.who.is_empty() {
            highlighted.outcome.clone()
        } else {
            format!("{} — {}", highlighted.who, highlighted.outcome)
        };
        doc.item("› ", "  ", &detail, Style::new());
    }
    frame.render_widget(Paragraph::new(doc.lines), list_area);
}

/// Why the list is empty: not saving, the folder unreadable, or nothing saved yet.
fn empty_list(doc: &mut Doc, saved: &SavedSessions, theme: Theme) {
    doc.gap();
    match &saved.source {
        ListSource::NotSaving => {
            doc.item(
                "",
                "",
                "Sessions are not being saved in this run.",
                theme.title(),
            );
            doc.para(
                "relaydoc was started with --no-save (or with `sessions: save: false` in \
                 the config), so it keeps no sessions and lists none here. `relaydoc \
                 sessions list` shows those saved before.",
                Style::new(),
            );
        }
        ListSource::Failed(reason) => {
            doc.item(
                "",
                "",
                "The saved sessions could not be read.",
                theme.problem(),
            );
            doc.para(reason, Style::new());
        }
        ListSource::Folder(dir) => {
            doc.item("", "", "No saved sessions yet.", theme.title());
            doc.para(
                &format!(
                    "Every run of the wizard is saved as a session after each step, in \
                     both modes, so a call can be looked up or picked up again here later. \
                     They are kept in {dir}."
                ),
                Style::new(),
            );
        }
    }
    unreadable_warning(doc, theme, saved.unreadable);
}

/// "2 files could not be read", said once above the list; `sessions list` names them.
fn unreadable_warning(doc: &mut Doc, theme: Theme, unreadable: usize) {
    if unreadable == 0 {
        return;
    }
    doc.item(
        "! ",
        "  ",
        &format!(
            "{} could not be read: relaydoc sessions list names them",
            counted(unreadable, "file", "files")
        ),
        theme.problem(),
    );
}

/// "1 file", "2 files".
fn counted(count: usize, one: &str, many: &str) -> String {
    if count == 1 {
        format!("1 {one}")
    } else {
        format!("{count} {many}")
    }
}

/// The list's column widths: a wide window adds the session id and gives names more room.
struct SessionColumns {
    /// Wide enough for every column; a narrow list clips, and says the rest below.
    wide: bool,
    id: usize,
    who: usize,
    outcome: usize,
}

impl SessionColumns {
    const STARTED: usize = 16;
    const MODE: usize = 8;

    fn for_width(width: u16) -> Self {
        let wide = width >= SIDE_PANEL_FROM;
        // Ids are 20 characters (20261122-143005-3fa1).
        let id = if wide { 20 } else { 0 };
        let id_cell = if wide { id + 2 } else { 0 };
        let fixed = 2 + id_cell + Self::STARTED + 2 + Self::MODE + 2 + 2;
        // Names and the outcome share the rest, the outcome taking the larger part.
        let room = usize::from(width).saturating_sub(fixed);
        let who = (room * 2 / 5).clamp(18, 30);
        Self {
            wide,
            id,
            who,
            outcome: room.saturating_sub(who),
        }
    }

    fn row(
        &self,
        marker: &str,
        id: &str,
        started: &str,
        mode: &str,
        who: &str,
        outcome: &str,
    ) -> String {
        let cell = |text: &str, width: usize| format!("{:<width$}", clipped(text, width));
        let id = if self.wide {
            format!("{}  ", cell(id, self.id))
        } else {
            String::new()
        };
        format!(
            "{:<2}{id}{}  {}  {}  {}",
            marker,
            cell(started, Self::STARTED),
            cell(mode, Self::MODE),
            cell(who, self.who),
            clipped(outcome, self.outcome),
        )
    }

    fn session(&self, row: &SessionRow, selected: bool) -> String {
        let mode = match row.mode {
            Mode::Agent => "helpdesk",
            Mode::User => "self",
        };
        let who = if row.who.is_empty() { "–" } else { &row.who };
        self.row(
            if selected { "›" } else { "" },
            &row.id,
            &row.started,
            mode,
            who,
            &row.outcome,
        )
    }
}

/// A saved session's ticket summary, scrolled, with the delete question or the email box over
/// it.
fn open_session(paint: Paint<'_>, frame: &mut Frame<'_>, area: Rect, open: &OpenSession) {
    let theme = paint.theme;
    let block = Block::new()
        .borders(Borders::TOP | Borders::BOTTOM)
        .border_style(theme.border())
        .title(format!(
            " Session {} · Esc: back to the list ",
            single_line(&open.session.id)
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = text_width(paint.size.0);
    let mut doc = Doc::new(width, theme);
    doc.lines = summary_lines(&open.summary, width)
        .into_iter()
        .map(Line::raw)
        .collect();
    let page = Rect {
        width: u16::try_from(width).unwrap_or(inner.width).min(inner.width),
        ..inner
    };
    scrolled_doc(frame, page, doc, open.scroll);
    match &open.overlay {
        Some(Overlay::ConfirmDelete) => {
            let lines = vec![
                Line::styled(
                    format!("Delete session {}? y/n", single_line(&open.session.id)),
                    theme.strong(),
                ),
                Line::raw("The file is removed; this cannot be undone."),
            ];
            let height = 4.min(area.height);
            let width = 52.min(area.width);
            let popup = centered(area, width, height);
            let block = Block::bordered()
                .border_type(BorderType::Rounded)
                .border_style(theme.strong())
                .title(" Delete ");
            frame.render_widget(Clear, popup);
            frame.render_widget(Paragraph::new(lines).block(block), popup);
        }
        Some(Overlay::Email(address)) => email_box(theme, frame, area, address),
        None => {}
    }
}
