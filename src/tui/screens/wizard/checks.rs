//! The wizard's checks stage: the live checks of this run as they run (a spinner each), then
//! what each found; Enter opens what a check saw, and c continues once they are done.

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Wrap};

use super::{Session, Stage, agent_note_panel};
use crate::checks::Status;
use crate::knowledge::model::NodeId;
use crate::sanitize::single_line;
use crate::tui::article::Doc;
use crate::tui::layout::{body_height, scrolled};
use crate::tui::screens::{Ctx, Go, Paint};
use crate::tui::widgets::{SPINNER, clipped, format_elapsed};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChecksUi {
    pub selected: usize,
    /// The row whose evidence is open, and its scroll position.
    pub evidence: Option<(usize, u16)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CheckRow {
    pub ticket: u64,
    pub node: NodeId,
    pub check: String,
    pub started: Instant,
    pub state: RowState,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RowState {
    Running,
    Done {
        status: Status,
        elapsed: Duration,
        summary: String,
        evidence: Vec<String>,
    },
    Cancelled {
        elapsed: Duration,
    },
}

/// Keys on the list of checks: pick one, open what it saw, continue when all are done.
pub fn key(session: &mut Session<'_>, key: KeyEvent) -> Go {
    let running = session.checks_running();
    let rows = session.checks.len();
    let Stage::Checks(ui) = &mut session.stage else {
        return Go::Stay;
    };
    match key.code {
        KeyCode::Up | KeyCode::Char('k') => ui.selected = ui.selected.saturating_sub(1),
        KeyCode::Down | KeyCode::Char('j') => {
            ui.selected = (ui.selected + 1).min(rows.saturating_sub(1));
        }
        KeyCode::Enter => {
            let done = session
                .checks
                .get(ui.selected)
                .is_some_and(|row| row.state != RowState::Running);
            if done {
                ui.evidence = Some((ui.selected, 0));
            }
        }
        KeyCode::Char('c') | KeyCode::Right | KeyCode::Char(' ') if !running => {
            session.sync(false);
        }
        _ => {}
    }
    Go::Stay
}

/// Keys while a check's evidence is open: scroll, or close it.
pub fn evidence_key(session: &mut Session<'_>, key: KeyEvent, ctx: &Ctx<'_, '_>) -> Go {
    let body_height = body_height(ctx.size);
    let Stage::Checks(ChecksUi {
        evidence: Some((row, scroll)),
        ..
    }) = &mut session.stage
    else {
        return Go::Stay;
    };
    let lines = match session.checks.get(*row).map(|row| &row.state) {
        Some(RowState::Done { evidence, .. }) => evidence.len(),
        _ => 0,
    };
    let max = u16::try_from(lines)
        .unwrap_or(u16::MAX)
        .saturating_sub(body_height.saturating_sub(2));
    match key.code {
        KeyCode::Esc | KeyCode::Enter | KeyCode::Backspace | KeyCode::Char('q') => {
            if let Stage::Checks(ui) = &mut session.stage {
                ui.evidence = None;
            }
        }
        code => *scroll = scrolled(*scroll, code, max, body_height.saturating_sub(2)),
    }
    Go::Stay
}

/// The footer's keys on the checks stage.
pub fn keys(session: &Session<'_>, ui: &ChecksUi) -> Vec<(&'static str, &'static str)> {
    let mut keys = if ui.evidence.is_some() {
        vec![("↑↓", "scroll"), ("Esc", "close")]
    } else if session.checks_running() {
        vec![
            ("↑↓", "pick"),
            ("Esc", "cancel and go back"),
            ("r", "restart"),
            ("q", "quit"),
            ("?", "help"),
        ]
    } else {
        vec![
            ("c", "continue"),
            ("↑↓", "pick"),
            ("Enter", "details"),
            ("Esc", "back"),
            ("r", "restart"),
            ("q", "quit"),
        ]
    };
    if session.agent() && ui.evidence.is_none() {
        keys.insert(keys.len() - 1, ("n", "note"));
    }
    keys
}

/// A check's name as its row and its details show it: the tree node's title, else the check.
fn check_title(paint: Paint<'_>, row: &CheckRow) -> String {
    single_line(
        paint
            .knowledge
            .node(row.node)
            .title
            .as_deref()
            .unwrap_or(&row.check),
    )
}

/// The checks, one row each, and over them the evidence of the one opened.
pub fn draw(
    paint: Paint<'_>,
    session: &Session<'_>,
    ui: &ChecksUi,
    frame: &mut Frame<'_>,
    area: Rect,
) {
    let theme = paint.theme;
    let mut doc = Doc::new(usize::from(area.width), theme);
    doc.gap();
    let title = if session.checks_running() {
        "Checking for you… this takes a few seconds."
    } else {
        "Checks finished. Press c to continue."
    };
    doc.item("", "", title, theme.title());
    doc.gap();
    rows(paint, session, ui, &mut doc, area.width);
    doc.gap();
    doc.para(
        "Enter shows what a finished check saw (server replies, DNS answers). Passwords are \
         never shown.",
        theme.dim(),
    );
    if session.agent()
        && let Some(row) = session.checks.last()
    {
        agent_note_panel(&mut doc, paint.knowledge.node(row.node));
    }
    frame.render_widget(Paragraph::new(doc.lines), area);
    if let Some((row, scroll)) = ui.evidence
        && let Some(row) = session.checks.get(row)
    {
        evidence_popup(paint, frame, area, row, scroll);
    }
}

/// One line a check: symbol, word, name, time taken, finding.
fn rows(paint: Paint<'_>, session: &Session<'_>, ui: &ChecksUi, doc: &mut Doc, width: u16) {
    let theme = paint.theme;
    // Names as long as the longest needs, leaving the finding about 40 columns; a name that
    // still does not fit ends in "…" rather than mid-word.
    let longest = session
        .checks
        .iter()
        .map(|row| check_title(paint, row).chars().count())
        .max()
        .unwrap_or(0);
    let name_width = longest.min(usize::from(width).saturating_sub(40)).max(16);
    for (index, row) in session.checks.iter().enumerate() {
        let name = clipped(&check_title(paint, row), name_width);
        let (symbol, word, style, elapsed, summary) = row_look(paint, row);
        let marker = if index == ui.selected { "›" } else { " " };
        let head = format!(
            "{marker} {symbol} {word:<9} {name:<name_width$} {:>7}  ",
            format_elapsed(elapsed)
        );
        let room = usize::from(width).saturating_sub(head.chars().count());
        let mut line = Line::from(vec![
            Span::styled(head, style),
            Span::raw(clipped(&summary, room)),
        ]);
        if index == ui.selected {
            line = line.patch_style(theme.selected());
        }
        doc.lines.push(line);
    }
}

/// A row's symbol, word, style, time taken and finding.
fn row_look(
    paint: Paint<'_>,
    row: &CheckRow,
) -> (&'static str, &'static str, Style, Duration, String) {
    let theme = paint.theme;
    match &row.state {
        RowState::Running => (
            SPINNER[paint.spinner % SPINNER.len()],
            "checking",
            theme.strong(),
            paint.now.saturating_duration_since(row.started),
            String::from("…"),
        ),
        RowState::Done {
            status,
            elapsed,
            summary,
            ..
        } => {
            let (symbol, word, style) = match status {
                Status::Ok => ("✓", "ok", theme.ok()),
                Status::Problem => ("!", "problem", theme.problem()),
                Status::Error => ("✗", "error", theme.error()),
            };
            (symbol, word, style, *elapsed, summary.clone())
        }
        RowState::Cancelled { elapsed } => (
            "–",
            "cancelled",
            theme.dim(),
            *elapsed,
            String::from("stopped"),
        ),
    }
}

/// What a finished check saw, over the whole stage.
fn evidence_popup(
    paint: Paint<'_>,
    frame: &mut Frame<'_>,
    area: Rect,
    row: &CheckRow,
    scroll: u16,
) {
    let title = check_title(paint, row);
    let lines: Vec<Line<'_>> = match &row.state {
        RowState::Done { evidence, .. } => evidence.iter().map(|l| Line::raw(l.as_str())).collect(),
        _ => vec![Line::raw("This check did not finish.")],
    };
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(paint.theme.border())
        .title(format!(" What the check saw: {title} "));
    frame.render_widget(Clear, area);
    // Wrapped: a server reply or a resolver's explanation is often longer than the screen.
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        area,
    );
}
