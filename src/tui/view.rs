//! Drawing: `view(&Model, &mut Frame)` turns the model into a screen and changes nothing.
//!
//! Layout is one header line, the screen's body, and one footer line of keys. Every screen
//! fits 80×24; wider windows get a side panel and wider text (up to a comfortable reading
//! width). Below 80×24 only a plain "window too small" message is drawn.

use std::time::Duration;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{
    Block, BorderType, Borders, Clear, Paragraph, Scrollbar, ScrollbarOrientation, ScrollbarState,
    Wrap,
};

use super::article::{self, Doc};
use super::layout::{agent_note, text_width};
use super::model::typing;
use super::saved::{ListSource, OpenSession, Overlay, SavedSessions, SessionRow, summary_lines};
use super::state::{
    AccountOutcome, AccountRowState, AccountRun, AccountUi, Browse, ChecksUi, HOME_ENTRIES,
    HomeEntry, Model, QuestionUi, RowState, Screen, Session, SolutionUi, Stage,
};
use super::theme::Theme;
use crate::checks::Status;
use crate::knowledge::model::NodeBody;
use crate::present::{StepView, TargetSettings, pick_client, task_view};
use crate::sanitize::{for_terminal, single_line};
use crate::session::Mode;

pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// Width from which the question screen shows a side panel with the answers so far.
const SIDE_PANEL_FROM: u16 = 120;

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

pub fn view(model: &Model<'_>, frame: &mut Frame<'_>) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(frame, area);
        return;
    }
    // Header, a blank line to breathe (or the status line), the body, the footer.
    let [header, status, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    let theme = model.theme;
    let inner = body.inner(ratatui::layout::Margin::new(2, 0));
    let (context, keys): (String, Vec<(&str, &str)>) = match &model.screen {
        Screen::Home { selected } => {
            home(model, frame, inner, *selected);
            (
                String::new(),
                vec![
                    ("↑↓", "choose"),
                    ("Enter", "go"),
                    ("?", "help"),
                    ("q", "quit"),
                ],
            )
        }
        Screen::Caller { text } => {
            caller(theme, frame, inner, text);
            (
                "Helpdesk mode".into(),
                vec![
                    ("Enter", "start (empty: skip)"),
                    ("Esc", "back"),
                    ("F1", "help"),
                    ("Ctrl-C", "quit"),
                ],
            )
        }
        Screen::Paste { text } => {
            paste(theme, frame, inner, text);
            (
                "Paste the error".into(),
                vec![
                    ("Enter", "continue"),
                    ("Alt-Enter", "new line"),
                    ("Esc", "back"),
                    ("F1", "help"),
                    ("Ctrl-C", "quit"),
                ],
            )
        }
        Screen::Browse(browse) => {
            browse_screen(model, frame, inner, browse);
            let keys = if browse.article.is_some() {
                vec![
                    ("↑↓ PgUp PgDn", "scroll"),
                    ("Esc", "back to results"),
                    ("?", "help"),
                    ("q", "quit"),
                ]
            } else {
                vec![
                    ("type", "search"),
                    ("↑↓", "pick"),
                    ("Enter", "read"),
                    ("Esc", "back"),
                    ("F1", "help"),
                    ("Ctrl-C", "quit"),
                ]
            };
            ("Browse".into(), keys)
        }
        Screen::Account(ui) => {
            let keys = match &ui.run {
                None => vec![
                    ("Enter", "check"),
                    ("Esc", "back"),
                    ("F1", "help"),
                    ("Ctrl-C", "quit"),
                ],
                Some(run) if run.evidence.is_some() => vec![
                    ("↑↓ PgUp PgDn", "scroll"),
                    ("Esc", "close"),
                    ("Ctrl-C", "quit"),
                ],
                Some(run) if run.outcome.is_none() => vec![
                    ("↑↓", "pick"),
                    ("Enter", "what it saw"),
                    ("Esc", "stop and go back"),
                    ("Ctrl-C", "quit"),
                ],
                Some(_) => vec![
                    ("↑↓", "pick"),
                    ("Enter", "what it saw"),
                    ("n", "another address"),
                    ("Esc", "back"),
                    ("q", "quit"),
                ],
            };
            account_screen(model, frame, inner, ui);
            ("Check my account".into(), keys)
        }
        Screen::Wizard => match &model.session {
            Some(session) => wizard(model, session, frame, inner),
            None => (String::new(), Vec::new()),
        },
        Screen::SavedSessions(saved) => saved_sessions(model, frame, inner, saved),
    };
    header_bar(theme, frame, header, &header_title(model), &context);
    status_line(model, frame, status);
    footer_bar(theme, frame, footer, &keys);
    if model.help_open {
        help_overlay(theme, frame, area);
    }
}

fn too_small(frame: &mut Frame<'_>, area: Rect) {
    let text = format!(
        "This window is too small for relaydoc.\n\nIt needs at least {MIN_WIDTH}×{MIN_HEIGHT} \
         characters; it is {}×{} now.\nMake the window larger, or press Ctrl-C to quit.",
        area.width, area.height
    );
    frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
}

/// The header's left side: in helpdesk mode it says so, with the session being recorded.
fn header_title(model: &Model<'_>) -> String {
    let on_home = matches!(model.screen, Screen::Home { .. });
    match &model.session {
        Some(session) if session.agent() && !on_home => {
            let id = single_line(&session.recorder.session().id);
            let saved = if session.recorder.saving() {
                ""
            } else {
                " (not saved)"
            };
            format!(" relaydoc · Helpdesk · session {id}{saved}")
        }
        _ if matches!(model.screen, Screen::Caller { .. }) => " relaydoc · Helpdesk".into(),
        _ => " relaydoc · help for \"Relay access denied\"".into(),
    }
}

fn header_bar(theme: Theme, frame: &mut Frame<'_>, area: Rect, left: &str, context: &str) {
    let right = format!("{context} ");
    let pad = usize::from(area.width).saturating_sub(left.chars().count() + right.chars().count());
    let line = format!("{left}{}{right}", " ".repeat(pad));
    frame.render_widget(Paragraph::new(line).style(theme.bar()), area);
}

/// The status line: said once, gone with the next key. Problems are marked with "!", not
/// only with colour.
fn status_line(model: &Model<'_>, frame: &mut Frame<'_>, area: Rect) {
    let Some(status) = &model.status else {
        return;
    };
    let (marker, style) = if status.problem {
        ("! ", model.theme.problem())
    } else {
        ("", model.theme.strong())
    };
    let text = clipped(
        &format!(" {marker}{}", single_line(&status.text)),
        usize::from(area.width),
    );
    frame.render_widget(Paragraph::new(text).style(style), area);
}

fn footer_bar(theme: Theme, frame: &mut Frame<'_>, area: Rect, keys: &[(&str, &str)]) {
    let mut spans = vec![Span::raw(" ")];
    for (index, (key, label)) in keys.iter().enumerate() {
        if index > 0 {
            spans.push(Span::styled(" · ", theme.dim()));
        }
        spans.push(Span::styled(*key, theme.key()));
        spans.push(Span::raw(format!(" {label}")));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn home(model: &Model<'_>, frame: &mut Frame<'_>, area: Rect, selected: usize) {
    let theme = model.theme;
    let width = text_width(area.width + 4).min(76);
    let mut doc = Doc::new(width, theme);
    doc.gap();
    doc.item(
        "",
        "",
        "Your email was refused with \"Relay access denied\"?",
        theme.title(),
    );
    doc.para(
        "relaydoc finds out why, and shows you exactly what to change. It asks one plain \
         question at a time — \"I don't know\" is always a fine answer.",
        Style::new(),
    );
    if !model.initial_facts.is_empty() {
        doc.gap();
        doc.para(
            &format!(
                "You gave {} answer(s) on the command line; those questions will be skipped.",
                model.initial_facts.len()
            ),
            theme.dim(),
        );
    }
    doc.gap();
    for (index, entry) in HOME_ENTRIES.iter().enumerate() {
        let label = match entry {
            HomeEntry::Start => "Start — answer a few questions",
            HomeEntry::Paste => "I have the error message — paste it in",
            HomeEntry::Account => "Check my account — find my server and test it",
            HomeEntry::Browse => "Browse and search everything relaydoc knows",
            HomeEntry::Helpdesk => "Helpdesk mode — guide a caller, with notes for the ticket",
            HomeEntry::Sessions => "Saved sessions — look up or pick up an earlier run",
            HomeEntry::Quit => "Quit",
        };
        let (marker, style) = if index == selected {
            ("  › ", theme.selected())
        } else {
            ("    ", Style::new())
        };
        doc.item(&format!("{marker}{}. ", index + 1), "       ", label, style);
    }
    doc.gap();
    doc.para(
        "Nothing is sent anywhere unless a check says so first.",
        theme.dim(),
    );
    frame.render_widget(Paragraph::new(doc.lines), area);
}

/// Helpdesk mode's first screen: who is calling, one line, optional.
fn caller(theme: Theme, frame: &mut Frame<'_>, area: Rect, text: &str) {
    let [intro, input, hint, _] = Layout::vertical([
        Constraint::Length(7),
        Constraint::Length(3),
        Constraint::Length(2),
        Constraint::Min(0),
    ])
    .areas(area);
    let mut doc = Doc::new(text_width(area.width + 4), theme);
    doc.gap();
    doc.item("", "", "Helpdesk mode", theme.title());
    doc.para(
        "For guiding a caller on the phone: each question comes with what to say to them, n \
         adds a note for the ticket at any step, and the whole call is saved as a session you \
         can pick up again and export for the ticket. Passwords are never saved.",
        Style::new(),
    );
    frame.render_widget(Paragraph::new(doc.lines), intro);
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.border())
        .title(" Who is calling? Name or ticket number (optional) ");
    let inner = block.inner(input);
    frame.render_widget(block, input);
    let visible = tail_of(
        &single_line(text),
        usize::from(inner.width.saturating_sub(1)),
    );
    let cursor = u16::try_from(visible.chars().count()).unwrap_or(0);
    frame.render_widget(Paragraph::new(visible), inner);
    frame.set_cursor_position(Position::new(
        inner.x + cursor.min(inner.width.saturating_sub(1)),
        inner.y,
    ));
    frame.render_widget(
        Paragraph::new("Press Enter to start; leave it empty to skip.").style(theme.dim()),
        hint,
    );
}

/// The last `room` characters of `text`: a one-line box keeps its end, where typing happens,
/// in view.
fn tail_of(text: &str, room: usize) -> String {
    let count = text.chars().count();
    text.chars().skip(count.saturating_sub(room)).collect()
}

/// A one-line text box over the bottom of `area` (the note editor, the email address box).
fn line_box(theme: Theme, frame: &mut Frame<'_>, area: Rect, title: &str, text: &str) {
    let height = 3.min(area.height);
    let popup = Rect {
        y: area.bottom().saturating_sub(height),
        height,
        width: area.width.min(96),
        ..area
    };
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.strong())
        .title(Span::styled(format!(" {title} "), theme.strong()));
    let inner = block.inner(popup);
    frame.render_widget(Clear, popup);
    frame.render_widget(block, popup);
    let visible = tail_of(
        &single_line(text),
        usize::from(inner.width.saturating_sub(1)),
    );
    let cursor = u16::try_from(visible.chars().count()).unwrap_or(0);
    frame.render_widget(Paragraph::new(visible), inner);
    frame.set_cursor_position(Position::new(
        inner.x + cursor.min(inner.width.saturating_sub(1)),
        inner.y,
    ));
}

fn paste(theme: Theme, frame: &mut Frame<'_>, area: Rect, text: &str) {
    let [intro, input, hint, _] = Layout::vertical([
        Constraint::Length(4),
        Constraint::Length(12),
        Constraint::Length(2),
        Constraint::Min(0),
    ])
    .areas(area);
    let mut doc = Doc::new(text_width(area.width + 4), theme);
    doc.gap();
    doc.item("", "", "Paste the error message", theme.title());
    doc.para(
        "Copy the whole message from the pop-up or the returned email and paste it here \
         (or type what it says). Press Enter when done; leave it empty to skip.",
        Style::new(),
    );
    frame.render_widget(Paragraph::new(doc.lines), intro);
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.border())
        .title(" The error message ");
    let inner = block.inner(input);
    frame.render_widget(block, input);
    text_box(frame, inner, text);
    frame.render_widget(
        Paragraph::new("Example: 554 5.7.1 <friend@example.org>: Relay access denied")
            .style(theme.dim()),
        hint,
    );
}

/// Rows of the answer box for a whole message (its frame included).
const MULTILINE_BOX: u16 = 7;

/// Text of several lines in a box's `inner` area, wrapped at spaces (a word longer than the
/// box is broken), with the end (where typing happens) kept in view and the cursor after it.
fn text_box(frame: &mut Frame<'_>, inner: Rect, text: &str) {
    let shown = for_terminal(text);
    let width = usize::from(inner.width.max(1));
    let mut lines: Vec<String> = Vec::new();
    for raw in shown.split('\n') {
        let options = textwrap::Options::new(width)
            .word_separator(textwrap::WordSeparator::AsciiSpace)
            .break_words(true);
        let wrapped = textwrap::wrap(raw, options);
        if wrapped.is_empty() {
            lines.push(String::new());
        }
        lines.extend(wrapped.into_iter().map(|piece| piece.into_owned()));
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    // Keep the end of a long paste (where the cursor is) in view.
    let skip = lines.len().saturating_sub(usize::from(inner.height.max(1)));
    let visible: Vec<Line<'_>> = lines
        .iter()
        .skip(skip)
        .map(|line| Line::raw(line.clone()))
        .collect();
    let last = lines.last().map_or(0, |line| line.chars().count());
    let row = u16::try_from(lines.len() - skip - 1).unwrap_or(0);
    frame.render_widget(Paragraph::new(visible), inner);
    frame.set_cursor_position(Position::new(
        inner.x
            + u16::try_from(last)
                .unwrap_or(0)
                .min(inner.width.saturating_sub(1)),
        inner.y + row.min(inner.height.saturating_sub(1)),
    ));
}

fn account_screen(model: &Model<'_>, frame: &mut Frame<'_>, area: Rect, ui: &AccountUi) {
    match &ui.run {
        None => account_input(model.theme, frame, area, ui),
        Some(run) => account_run(model, frame, area, run),
    }
}

/// The address box, like the error message box, one line high.
fn account_input(theme: Theme, frame: &mut Frame<'_>, area: Rect, ui: &AccountUi) {
    let [intro, input, notice, hint, _] = Layout::vertical([
        Constraint::Length(7),
        Constraint::Length(3),
        Constraint::Length(2),
        Constraint::Length(2),
        Constraint::Min(0),
    ])
    .areas(area);
    let mut doc = Doc::new(text_width(area.width + 4), theme);
    doc.gap();
    doc.item("", "", "Check my account", theme.title());
    doc.para(
        "Type your email address. relaydoc finds the server your mail program should send \
         through and tests it: does it answer, does it encrypt, does it ask you to sign in, \
         is it on a spam blocklist. No password is asked for, so the sign-in test is skipped. \
         Nothing is sent.",
        Style::new(),
    );
    frame.render_widget(Paragraph::new(doc.lines), intro);
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.border())
        .title(" Your email address ");
    let inner = block.inner(input);
    frame.render_widget(block, input);
    let shown = single_line(&ui.input);
    // Keep the end (where the cursor is) in view when the address is longer than the box.
    let room = usize::from(inner.width.saturating_sub(1));
    let count = shown.chars().count();
    let visible: String = shown.chars().skip(count.saturating_sub(room)).collect();
    let cursor = u16::try_from(visible.chars().count()).unwrap_or(0);
    frame.render_widget(Paragraph::new(visible), inner);
    frame.set_cursor_position(Position::new(
        inner.x + cursor.min(inner.width.saturating_sub(1)),
        inner.y,
    ));
    if let Some(message) = &ui.notice {
        frame.render_widget(
            Paragraph::new(single_line(message))
                .style(theme.problem())
                .wrap(Wrap { trim: true }),
            notice,
        );
    }
    frame.render_widget(
        Paragraph::new("Example: me@example.com").style(theme.dim()),
        hint,
    );
}

/// The checks as they run, then what they found; Enter opens a check's evidence.
fn account_run(model: &Model<'_>, frame: &mut Frame<'_>, area: Rect, run: &AccountRun) {
    let theme = model.theme;
    let width = usize::from(area.width);
    let mut doc = Doc::new(width, theme);
    doc.gap();
    let email = single_line(&run.email);
    match &run.outcome {
        None => doc.item(
            "",
            "",
            &format!("Checking {email}… this takes a few seconds."),
            theme.title(),
        ),
        Some(AccountOutcome::Finished { elapsed, .. }) => doc.item(
            "",
            "",
            &format!(
                "Checks for {email} finished in {}.",
                format_elapsed(*elapsed)
            ),
            theme.title(),
        ),
        Some(AccountOutcome::CouldNotRun(_)) => doc.item(
            "",
            "",
            &format!("The checks for {email} could not run."),
            theme.title(),
        ),
    }
    for line in &run.settings {
        doc.para(line, theme.dim());
    }
    match &run.outcome {
        Some(AccountOutcome::Finished {
            cause: Some((title, summary)),
            ..
        }) => {
            doc.gap();
            doc.item(
                "",
                "",
                &format!("What this points to: {}", single_line(title)),
                theme.heading(),
            );
            doc.para(&single_line(summary), Style::new());
        }
        Some(AccountOutcome::Finished {
            cause: None,
            summary,
            ..
        }) => {
            doc.gap();
            doc.item(
                "",
                "",
                "These results point to no single cause.",
                theme.heading(),
            );
            for line in summary {
                doc.para(&single_line(line), Style::new());
            }
        }
        Some(AccountOutcome::CouldNotRun(reason)) => {
            doc.gap();
            doc.para(&single_line(reason), theme.problem());
        }
        None => {}
    }
    doc.gap();
    // Wide windows show each check's finding beside it; narrow ones give the name the room
    // and show the highlighted check's finding under the list.
    let wide = area.width >= SIDE_PANEL_FROM;
    let name_width = if wide { 56 } else { width.saturating_sub(24) };
    let mut selected_summary = None;
    let first_row = doc.lines.len();
    for (index, row) in run.rows.iter().enumerate() {
        let name = clipped(&single_line(&row.label), name_width);
        let (symbol, word, style, elapsed, summary) = match &row.state {
            AccountRowState::Running => (
                SPINNER[model.spinner % SPINNER.len()],
                "checking",
                theme.strong(),
                Some(format_elapsed(
                    model.now.saturating_duration_since(row.started),
                )),
                String::from("…"),
            ),
            AccountRowState::Done {
                status,
                elapsed,
                timed_out,
                summary,
                ..
            } => {
                let (symbol, word, style) = match (status, timed_out) {
                    (_, true) => ("✗", "too slow", theme.error()),
                    (Status::Ok, _) => ("✓", "ok", theme.ok()),
                    (Status::Problem, _) => ("!", "problem", theme.problem()),
                    (Status::Error, _) => ("✗", "error", theme.error()),
                };
                (
                    symbol,
                    word,
                    style,
                    Some(short_elapsed(*elapsed)),
                    summary.clone(),
                )
            }
            AccountRowState::Skipped { reason } => (
                "–",
                "skipped",
                theme.dim(),
                None,
                format!("not run: {}", single_line(reason)),
            ),
        };
        let marker = if index == run.selected { "›" } else { " " };
        let elapsed = elapsed.unwrap_or_default();
        let head = format!("{marker} {symbol} {word:<9} {name:<name_width$} {elapsed:>7}  ");
        let room = width.saturating_sub(head.chars().count());
        let mut spans = vec![Span::styled(head, style)];
        if wide {
            spans.push(Span::raw(clipped(&summary, room)));
        } else if index == run.selected {
            selected_summary = Some(summary);
        }
        let mut line = Line::from(spans);
        if index == run.selected {
            line = line.patch_style(theme.selected());
        }
        doc.lines.push(line);
    }
    if run.rows.is_empty() && run.outcome.is_none() {
        doc.para("Finding your outgoing server…", theme.dim());
    }
    doc.gap();
    match selected_summary {
        Some(summary) => doc.para(&format!("› {summary}"), Style::new()),
        None => doc.para(
            "Enter shows what a check saw (server replies, DNS answers).",
            theme.dim(),
        ),
    }
    // A long result can push the rows below a small window: scroll just enough to keep the
    // highlighted row (and the line under the list) in view.
    let height = usize::from(area.height);
    let overflow = doc.lines.len().saturating_sub(height);
    let wanted = (first_row + run.selected + 3).saturating_sub(height);
    let scroll = u16::try_from(wanted.min(overflow)).unwrap_or(0);
    frame.render_widget(Paragraph::new(doc.lines).scroll((scroll, 0)), area);

    if let Some((index, scroll)) = run.evidence
        && let Some(row) = run.rows.get(index)
    {
        let lines: Vec<Line<'_>> = match &row.state {
            AccountRowState::Done { evidence, .. } if !evidence.is_empty() => {
                evidence.iter().map(|l| Line::raw(l.as_str())).collect()
            }
            AccountRowState::Done { summary, .. } => vec![Line::raw(summary.as_str())],
            AccountRowState::Skipped { reason } => {
                vec![Line::raw(format!("Not run: {}", single_line(reason)))]
            }
            AccountRowState::Running => vec![Line::raw("This check has not finished.")],
        };
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(theme.border())
            .title(format!(
                " What the check saw: {} ",
                clipped(&single_line(&row.label), width.saturating_sub(24))
            ));
        frame.render_widget(Clear, area);
        frame.render_widget(Paragraph::new(lines).block(block).scroll((scroll, 0)), area);
    }
}

/// Short checks in milliseconds, so a fast answer does not read as "0.0 s".
fn short_elapsed(elapsed: Duration) -> String {
    if elapsed < Duration::from_secs(1) {
        format!("{} ms", elapsed.as_millis())
    } else {
        format_elapsed(elapsed)
    }
}

/// A check's name as its row and its details show it: the tree node's title, else the check.
fn check_title(model: &Model<'_>, row: &super::state::CheckRow) -> String {
    single_line(
        model
            .knowledge
            .node(row.node)
            .title
            .as_deref()
            .unwrap_or(&row.check),
    )
}

/// `text` cut to `room` characters, with "…" when something was cut.
fn clipped(text: &str, room: usize) -> String {
    if text.chars().count() > room {
        text.chars()
            .take(room.saturating_sub(1))
            .collect::<String>()
            + "…"
    } else {
        text.to_string()
    }
}

/// The wizard screens; returns the header context and the footer keys.
fn wizard(
    model: &Model<'_>,
    session: &Session<'_>,
    frame: &mut Frame<'_>,
    area: Rect,
) -> (String, Vec<(&'static str, &'static str)>) {
    let agent = session.agent();
    let (context, keys) = match &session.stage {
        Stage::Question(ui) => {
            question(model, session, ui, frame, area);
            let step = format!("Question {}", session.wizard().answered().len() + 1);
            // Helpdesk mode trades the restart key (still in the help) for the note key.
            let keys = match (typing(model), agent) {
                (true, false) => vec![
                    ("Enter", "ok"),
                    ("Tab", "why we ask"),
                    ("Esc", "back"),
                    ("Ctrl-R", "restart"),
                    ("F1", "keys"),
                    ("Ctrl-C", "quit"),
                ],
                (true, true) => vec![
                    ("Enter", "ok"),
                    ("Tab", "why we ask"),
                    ("Esc", "back"),
                    ("Ctrl-N", "note"),
                    ("F1", "keys"),
                    ("Ctrl-C", "quit"),
                ],
                (false, false) => vec![
                    ("↑↓", "choose"),
                    ("Enter", "ok"),
                    ("Tab", "why we ask"),
                    ("Esc", "back"),
                    ("r", "restart"),
                    ("q", "quit"),
                    ("?", "keys"),
                ],
                (false, true) => vec![
                    ("↑↓", "choose"),
                    ("Enter", "ok"),
                    ("Tab", "why we ask"),
                    ("Esc", "back"),
                    ("n", "note"),
                    ("q", "quit"),
                    ("?", "keys"),
                ],
            };
            (step, keys)
        }
        Stage::Checks(ui) => {
            checks(model, session, ui, frame, area);
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
            if agent && ui.evidence.is_none() {
                keys.insert(keys.len() - 1, ("n", "note"));
            }
            ("Checks".into(), keys)
        }
        Stage::Solution(ui) => {
            solution(model, session, ui, frame, area);
            let keys = if ui.picker.is_some() {
                vec![
                    ("↑↓", "choose"),
                    ("Enter", "use this one"),
                    ("Esc", "close"),
                ]
            } else if ui.email.is_some() {
                vec![("Enter", "send"), ("Esc", "close"), ("Ctrl-C", "quit")]
            } else if agent {
                vec![
                    (
                        "Tab",
                        if ui.internal {
                            "caller's steps"
                        } else {
                            "your summary"
                        },
                    ),
                    ("e", "email steps"),
                    ("n", "note"),
                    ("c", "program"),
                    ("Esc", "back"),
                    ("q", "quit"),
                ]
            } else {
                vec![
                    ("↑↓ PgDn", "scroll"),
                    ("c", "mail program"),
                    ("Esc", "back"),
                    ("r", "restart"),
                    ("q", "quit"),
                    ("?", "help"),
                ]
            };
            ("Solution".into(), keys)
        }
    };
    if let Some(note) = &session.note {
        line_box(
            model.theme,
            frame,
            area,
            "Note for the ticket — Enter keeps · Esc drops",
            note,
        );
        return (
            context,
            vec![
                ("Enter", "keep the note"),
                ("Esc", "drop it"),
                ("Ctrl-C", "quit"),
            ],
        );
    }
    (context, keys)
}

/// What the person answered so far, as "title: answer" pairs for the breadcrumb.
fn answers(session: &Session<'_>) -> Vec<(String, String)> {
    session
        .wizard()
        .answered()
        .into_iter()
        .map(|(node, value)| {
            let answer = match &node.body {
                NodeBody::Question {
                    choices,
                    unknown_label,
                    ..
                } => choices
                    .iter()
                    .find(|choice| choice.value == value)
                    .map_or_else(|| unknown_label.clone(), |choice| choice.label.clone()),
                NodeBody::Input { secret: true, .. } => "(hidden)".to_string(),
                NodeBody::Input { .. } if value == crate::knowledge::model::UNKNOWN => {
                    "(skipped)".to_string()
                }
                _ => value,
            };
            (single_line(node.label()), single_line(&answer))
        })
        .collect()
}

fn question(
    model: &Model<'_>,
    session: &Session<'_>,
    ui: &QuestionUi,
    frame: &mut Frame<'_>,
    area: Rect,
) {
    let theme = model.theme;
    let knowledge = model.knowledge;
    let node = knowledge.node(ui.node);
    let answers = answers(session);
    let wide = area.width >= SIDE_PANEL_FROM;
    let (main, side) = if wide {
        let [main, _, side] = Layout::horizontal([
            Constraint::Min(60),
            Constraint::Length(2),
            Constraint::Length(40),
        ])
        .areas(area);
        (main, Some(side))
    } else {
        (area, None)
    };
    let width = usize::from(main.width).min(100);

    // Breadcrumb, question, then choices: always on screen.
    let mut top = Doc::new(width, theme);
    if side.is_none() && !answers.is_empty() {
        // What was answered, not only what was asked: the answers are what a person checks.
        let pairs: Vec<String> = answers
            .iter()
            .map(|(title, answer)| format!("{title}: {answer}"))
            .collect();
        let trail: Vec<&str> = pairs.iter().map(String::as_str).collect();
        let trail = breadcrumb(&trail, width.saturating_sub(10));
        top.item("So far: ", "        ", &trail, theme.dim());
    }
    top.gap();
    // The question in the person's own program's words, where it has them.
    let client = knowledge.client_in(session.wizard().facts());
    let say = session.agent().then(|| node.say_for(client));
    if say.is_some() {
        // The words to read out are in the panel below; the agent's own heading is the
        // question's short label.
        top.item("", "", node.label(), theme.title());
    } else {
        top.item("", "", &node.text_for(client), theme.title());
    }
    top.gap();
    let say_box = say.map(|say| {
        let mut doc = Doc::new(width.saturating_sub(4).max(10), theme);
        doc.para(&say, theme.strong());
        let mut lines = doc.lines;
        // A long script must not push the choices off a small screen.
        let most = if main.height < 30 { 4 } else { 8 };
        if lines.len() > most {
            lines.truncate(most - 1);
            lines.push(Line::styled(
                "… (the rest: make the window taller)",
                theme.dim(),
            ));
        }
        lines
    });

    let mut choices = Doc::new(width, theme);
    let mut cursor = None;
    match &node.body {
        NodeBody::Question {
            choices: options,
            unknown_label,
            ..
        } => {
            let labels = options
                .iter()
                .map(|choice| choice.label.as_str())
                .chain([unknown_label.as_str()]);
            // Numbers line up even past nine choices.
            let digits = (options.len() + 1).to_string().len();
            let rest = " ".repeat(digits + 4);
            for (index, label) in labels.enumerate() {
                let number = if index == options.len() {
                    format!("{:>digits$}", 0)
                } else {
                    format!("{:>digits$}", index + 1)
                };
                let (marker, style) = if index == ui.selected {
                    ("› ", theme.selected())
                } else {
                    ("  ", Style::new())
                };
                choices.item(&format!("{marker}{number}. "), &rest, label, style);
            }
        }
        NodeBody::Input {
            secret,
            placeholder,
            multiline,
            ..
        } => {
            // The box is drawn below; reserve its rows here.
            let shown = if *secret {
                "•".repeat(ui.input.chars().count())
            } else if *multiline {
                for_terminal(&ui.input)
            } else {
                single_line(&ui.input)
            };
            cursor = Some((shown, placeholder.clone(), *secret, *multiline));
        }
        _ => {}
    }
    if let Some(notice) = &session.notice {
        choices.gap();
        choices.item("! ", "  ", notice, theme.error());
    }

    let top_height = top.len();
    // A box for a whole error message shows several of its lines.
    let box_height = match &cursor {
        Some((.., true)) => MULTILINE_BOX,
        _ => 3,
    };
    let choices_height = if cursor.is_some() {
        box_height + 2
    } else {
        choices.len()
    };
    let say_height = say_box.as_ref().map_or(0, |lines| {
        u16::try_from(lines.len() + 3).unwrap_or(u16::MAX)
    });
    let [top_area, say_area, choices_area, rest] = Layout::vertical([
        Constraint::Length(top_height),
        Constraint::Length(say_height),
        Constraint::Length(choices_height),
        Constraint::Min(0),
    ])
    .areas(main);
    frame.render_widget(Paragraph::new(top.lines), top_area);
    if let Some(lines) = say_box {
        // Clearly apart from everything else: a framed panel, and a blank line under it.
        let [framed, _] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(say_area);
        let framed = Rect {
            width: framed.width.min(u16::try_from(width).unwrap_or(u16::MAX)),
            ..framed
        };
        let block = Block::bordered()
            .border_type(BorderType::Double)
            .border_style(theme.heading())
            .title(Span::styled(" Say to the caller ", theme.heading()));
        let inner = block
            .inner(framed)
            .inner(ratatui::layout::Margin::new(1, 0));
        frame.render_widget(block, framed);
        frame.render_widget(Paragraph::new(lines), inner);
    }
    if let Some((shown, placeholder, secret, multiline)) = cursor {
        let [box_area, hint_area] =
            Layout::vertical([Constraint::Length(box_height), Constraint::Length(2)])
                .areas(choices_area);
        let box_area = Rect {
            width: box_area.width.min(72),
            ..box_area
        };
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(theme.border())
            .title(if secret {
                " Hidden as you type "
            } else {
                " Your answer "
            });
        let inner = block.inner(box_area);
        frame.render_widget(block, box_area);
        let hint = if multiline {
            "Press Enter to continue; Alt-Enter or Ctrl-J starts a new line. Nothing typed? \
             Enter skips this question (\"I don't know\")."
        } else {
            "Press Enter to continue. Nothing typed? Enter skips this question (\"I don't know\")."
        };
        let visible_width = usize::from(inner.width.saturating_sub(1));
        let count = shown.chars().count();
        // Long text scrolls left so the end, where typing happens, stays visible.
        let tail: String = shown
            .chars()
            .skip(count.saturating_sub(visible_width))
            .collect();
        let tail_width = u16::try_from(tail.chars().count()).unwrap_or(0);
        if tail.is_empty() {
            if let Some(placeholder) = placeholder {
                frame.render_widget(
                    Paragraph::new(format!("for example: {}", single_line(&placeholder)))
                        .style(theme.dim()),
                    inner,
                );
            }
        } else if multiline {
            text_box(frame, inner, &shown);
        } else {
            frame.render_widget(Paragraph::new(tail), inner);
        }
        if !multiline || shown.is_empty() {
            frame.set_cursor_position(Position::new(inner.x + tail_width, inner.y));
        }
        frame.render_widget(
            Paragraph::new(hint)
                .style(theme.dim())
                .wrap(Wrap { trim: true }),
            hint_area,
        );
    } else {
        frame.render_widget(Paragraph::new(choices.lines), choices_area);
    }

    // Help panels below the choices (narrow) or in the side panel (wide).
    let mut panels = Doc::new(width, theme);
    panels.lines.push(Line::default());
    if session.agent() {
        agent_note_panel(&mut panels, node);
    }
    if ui.show_why {
        panels.heading("Why we ask");
        match &node.help {
            Some(help) => panels.para(help, Style::new()),
            None => panels.para(
                "This answer decides which question comes next.",
                Style::new(),
            ),
        }
    } else if node.help.is_some() {
        panels.gap();
        panels.item("", "", "Press Tab to see why we ask.", theme.dim());
    }
    // "Where to look" goes below the choices, where there is the most room.
    let mut look = Doc::new(width, theme);
    if let (Some(task), Some(client)) = (
        &node.client_task,
        pick_client(knowledge, session.wizard().facts(), None),
    ) {
        let target = TargetSettings::from_facts(knowledge, session.wizard().facts());
        if let Some(StepView::ClientTask {
            client,
            title,
            steps,
            ..
        }) = task_view(client, task, &target)
        {
            look.lines.push(Line::default());
            look.item(
                "",
                "",
                &format!("Where to look — {title} ({client})"),
                theme.heading(),
            );
            for (index, step) in steps.iter().enumerate() {
                look.item(&format!("{:>2}. ", index + 1), "    ", step, Style::new());
            }
        }
    }
    panels.lines.append(&mut look.lines);
    // Never cut the help off silently: say there is more, and how to see it.
    let room = usize::from(rest.height);
    if panels.lines.len() > room && room > 0 {
        panels.lines.truncate(room - 1);
        let hint = if ui.show_why {
            "… more below: press Tab to hide \"Why we ask\", or make the window taller"
        } else {
            "… more below: make the window taller to see it all"
        };
        panels.lines.push(Line::styled(hint, theme.strong()));
    }
    frame.render_widget(Paragraph::new(panels.lines), rest);

    if let Some(side) = side {
        let block = Block::new()
            .borders(Borders::LEFT)
            .border_style(theme.border())
            .title(Span::styled(" Your answers so far", theme.heading()));
        let inner = block.inner(side).inner(ratatui::layout::Margin::new(1, 1));
        let mut panel = Doc::new(usize::from(inner.width), theme);
        if answers.is_empty() {
            panel.para("Your answers will be listed here.", theme.dim());
        }
        for (title, answer) in &answers {
            panel.item("", "", title, theme.dim());
            panel.item("  ", "  ", answer, Style::new());
        }
        frame.render_widget(block, side);
        frame.render_widget(Paragraph::new(panel.lines), inner);
    }
}

/// "a › b › c" for "So far:", dropping the oldest entries while it needs more than two
/// lines of `width`; one entry longer than that ends at a word with "…".
fn breadcrumb(entries: &[&str], width: usize) -> String {
    let room = width.saturating_mul(2).saturating_sub(4);
    let mut kept: Vec<&str> = entries.to_vec();
    let joined = |kept: &[&str]| kept.join(" › ");
    let mut dropped = false;
    while kept.len() > 1 && joined(&kept).chars().count() + 4 > room {
        kept.remove(0);
        dropped = true;
    }
    let mut text = joined(&kept);
    if dropped {
        text = format!("… › {text}");
    }
    if text.chars().count() > room {
        let mut cut = String::new();
        for word in text.split(' ') {
            if cut.chars().count() + word.chars().count() + 2 > room {
                break;
            }
            if !cut.is_empty() {
                cut.push(' ');
            }
            cut.push_str(word);
        }
        text = format!("{cut} …");
    }
    text
}

/// The node's internal note for the agent, when it has one (helpdesk mode only).
fn agent_note_panel(doc: &mut Doc, node: &crate::knowledge::model::Node) {
    if let Some(note) = agent_note(node) {
        doc.heading("For you (not for the caller)");
        doc.para(note, Style::new());
        doc.gap();
    }
}

fn format_elapsed(elapsed: Duration) -> String {
    format!("{:.1} s", elapsed.as_secs_f64())
}

fn checks(
    model: &Model<'_>,
    session: &Session<'_>,
    ui: &ChecksUi,
    frame: &mut Frame<'_>,
    area: Rect,
) {
    let theme = model.theme;
    let running = session.checks_running();
    let mut doc = Doc::new(usize::from(area.width), theme);
    doc.gap();
    if running {
        doc.item(
            "",
            "",
            "Checking for you… this takes a few seconds.",
            theme.title(),
        );
    } else {
        doc.item(
            "",
            "",
            "Checks finished. Press c to continue.",
            theme.title(),
        );
    }
    doc.gap();
    // Names as long as the longest needs, leaving the finding about 40 columns; a name that
    // still does not fit ends in "…" rather than mid-word.
    let title_of = |row: &super::state::CheckRow| check_title(model, row);
    let longest = session
        .checks
        .iter()
        .map(|row| title_of(row).chars().count())
        .max()
        .unwrap_or(0);
    let name_width = longest
        .min(usize::from(area.width).saturating_sub(40))
        .max(16);
    for (index, row) in session.checks.iter().enumerate() {
        let name = clipped(&title_of(row), name_width);
        let (symbol, word, style, elapsed, summary) = match &row.state {
            RowState::Running => (
                SPINNER[model.spinner % SPINNER.len()],
                "checking",
                theme.strong(),
                model.now.saturating_duration_since(row.started),
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
        };
        let marker = if index == ui.selected { "›" } else { " " };
        let head = format!(
            "{marker} {symbol} {word:<9} {name:<name_width$} {:>7}  ",
            format_elapsed(elapsed)
        );
        let room = usize::from(area.width).saturating_sub(head.chars().count());
        let summary: String = if summary.chars().count() > room {
            summary
                .chars()
                .take(room.saturating_sub(1))
                .collect::<String>()
                + "…"
        } else {
            summary
        };
        let mut line = Line::from(vec![Span::styled(head, style), Span::raw(summary)]);
        if index == ui.selected {
            line = line.patch_style(theme.selected());
        }
        doc.lines.push(line);
    }
    doc.gap();
    doc.para(
        "Enter shows what a finished check saw (server replies, DNS answers). Passwords are \
         never shown.",
        theme.dim(),
    );
    if session.agent()
        && let Some(row) = session.checks.last()
    {
        agent_note_panel(&mut doc, model.knowledge.node(row.node));
    }
    frame.render_widget(Paragraph::new(doc.lines), area);

    if let Some((row, scroll)) = ui.evidence
        && let Some(row) = session.checks.get(row)
    {
        let popup = area;
        let title = check_title(model, row);
        let lines: Vec<Line<'_>> = match &row.state {
            RowState::Done { evidence, .. } => {
                evidence.iter().map(|l| Line::raw(l.as_str())).collect()
            }
            _ => vec![Line::raw("This check did not finish.")],
        };
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(theme.border())
            .title(format!(" What the check saw: {title} "));
        frame.render_widget(Clear, popup);
        // Wrapped: a server reply or a resolver's explanation is often longer than the screen.
        frame.render_widget(
            Paragraph::new(lines)
                .block(block)
                .wrap(Wrap { trim: false })
                .scroll((scroll, 0)),
            popup,
        );
    }
}

fn solution(
    model: &Model<'_>,
    session: &Session<'_>,
    ui: &SolutionUi,
    frame: &mut Frame<'_>,
    area: Rect,
) {
    let theme = model.theme;
    let facts = session.wizard().facts();
    let area = if session.agent() {
        let [tabs, _, page] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Min(0),
        ])
        .areas(area);
        solution_tabs(model, session, ui, frame, tabs);
        if ui.internal {
            let doc = article::internal_doc(
                model.knowledge,
                session.recorder.session(),
                model.size.0,
                theme,
            );
            let page = Rect {
                width: u16::try_from(text_width(model.size.0))
                    .unwrap_or(page.width)
                    .min(page.width),
                ..page
            };
            scrolled_doc(frame, page, doc, ui.scroll);
            if let Some(address) = &ui.email {
                email_box(theme, frame, area, address);
            }
            return;
        }
        page
    } else {
        area
    };
    let doc = article::solution_doc(model.knowledge, facts, ui, model.size.0, theme);
    let aside = article::settings_aside(model.knowledge, facts, ui, model.size.0);
    let doc_width =
        u16::try_from(article::solution_width(aside, model.size.0)).unwrap_or(area.width);
    let text_area = Rect {
        width: doc_width.min(area.width),
        ..area
    };
    scrolled_doc(frame, text_area, doc, ui.scroll);
    if aside {
        // Wide: the settings stay in view beside the steps, for reading out and copying.
        let side = Rect {
            x: text_area.right() + 3,
            width: area.right().saturating_sub(text_area.right() + 3),
            ..area
        };
        let mut panel = Doc::new(usize::from(side.width.saturating_sub(2)), theme);
        article::settings_block(
            &mut panel,
            &crate::present::TargetSettings::from_facts(model.knowledge, facts),
        );
        let block = Block::new()
            .borders(Borders::LEFT)
            .border_style(theme.border());
        let inner = block.inner(side).inner(ratatui::layout::Margin::new(1, 0));
        frame.render_widget(block, side);
        frame.render_widget(Paragraph::new(panel.lines), inner);
    }

    if let Some(selected) = ui.picker {
        let clients = &model.knowledge.clients;
        let height = u16::try_from(clients.len() + 4)
            .unwrap_or(u16::MAX)
            .min(area.height);
        let longest = clients
            .iter()
            .map(|client| single_line(&client.name).chars().count())
            .max()
            .unwrap_or(0);
        let width = u16::try_from(longest + 6)
            .unwrap_or(u16::MAX)
            .max(36)
            .min(area.width);
        let popup = Rect {
            x: area.x + (area.width - width) / 2,
            y: area.y + (area.height - height) / 2,
            width,
            height,
        };
        let mut lines = vec![Line::styled(
            "Which program do you send with?",
            theme.strong(),
        )];
        lines.push(Line::default());
        for (index, client) in clients.iter().enumerate() {
            let name = single_line(&client.name);
            lines.push(if index == selected {
                Line::styled(format!("› {name}"), theme.selected())
            } else {
                Line::raw(format!("  {name}"))
            });
        }
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(theme.border())
            .title(" Mail program ");
        frame.render_widget(Clear, popup);
        frame.render_widget(Paragraph::new(lines).block(block), popup);
    }
    if let Some(address) = &ui.email {
        email_box(theme, frame, area, address);
    }
}

/// Helpdesk mode's two views of a solution: what the caller does, and the agent's summary.
fn solution_tabs(
    model: &Model<'_>,
    session: &Session<'_>,
    ui: &SolutionUi,
    frame: &mut Frame<'_>,
    area: Rect,
) {
    let theme = model.theme;
    let client = article::solution_client(model.knowledge, session.wizard().facts(), ui)
        .map(|client| single_line(&client.name));
    let steps = match client {
        Some(client) => format!(" Caller's steps ({client}) "),
        None => " Caller's steps ".to_string(),
    };
    let summary = " Internal summary ";
    let hint = "  Tab switches";
    let (steps_style, summary_style) = if ui.internal {
        (theme.dim(), theme.selected())
    } else {
        (theme.selected(), theme.dim())
    };
    let mut spans = vec![
        Span::styled(steps.clone(), steps_style),
        Span::raw(" "),
        Span::styled(summary, summary_style),
    ];
    // The hint goes first when a long program name leaves no room (the footer says it too).
    let used = steps.chars().count() + 1 + summary.chars().count();
    if used + hint.chars().count() <= usize::from(area.width) {
        spans.push(Span::styled(hint, theme.dim()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn email_box(theme: Theme, frame: &mut Frame<'_>, area: Rect, address: &str) {
    line_box(
        theme,
        frame,
        area,
        "Email the steps to — Enter sends · Esc closes",
        address,
    );
}

/// A document in `area`, scrolled, with a scrollbar when it does not fit.
fn scrolled_doc(frame: &mut Frame<'_>, area: Rect, doc: Doc, scroll: u16) {
    let total = usize::from(doc.len());
    let fits = total <= usize::from(area.height);
    // After a resize the stored position may lie past the end until the next key clamps it.
    let scroll = scroll.min(doc.len().saturating_sub(area.height));
    frame.render_widget(Paragraph::new(doc.lines).scroll((scroll, 0)), area);
    if !fits {
        let bar_area = Rect {
            x: area.x + area.width + 1,
            width: 1,
            ..area
        };
        let mut state = ScrollbarState::new(total.saturating_sub(usize::from(area.height)))
            .position(usize::from(scroll));
        frame.render_stateful_widget(
            Scrollbar::new(ScrollbarOrientation::VerticalRight)
                .begin_symbol(Some("↑"))
                .end_symbol(Some("↓")),
            bar_area.intersection(frame.area()),
            &mut state,
        );
    }
}

fn browse_screen(model: &Model<'_>, frame: &mut Frame<'_>, area: Rect, browse: &Browse) {
    let theme = model.theme;
    if let Some((id, scroll)) = &browse.article {
        let block = Block::new()
            .borders(Borders::TOP | Borders::BOTTOM)
            .border_style(theme.border())
            .title(" Esc: back to the results ");
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let doc = article::article_doc(model.knowledge, id, model.size.0, theme);
        scrolled_doc(frame, inner, doc, *scroll);
        return;
    }
    let [search_area, list_area] =
        Layout::vertical([Constraint::Length(3), Constraint::Min(0)]).areas(area);
    query_box(
        theme,
        frame,
        search_area,
        " Search everything (works offline) ",
        &browse.query,
        "Type a word: outlook, port 587, password, blacklist…",
    );

    let heading = if browse.query.trim().is_empty() {
        "The causes relaydoc knows — type to search everything".to_string()
    } else if browse.hits.is_empty() {
        "Nothing found. Try fewer or other words.".to_string()
    } else {
        format!("{} matches, best first", browse.hits.len())
    };
    let rows = usize::from(list_area.height.saturating_sub(1));
    let offset = browse.selected.saturating_sub(rows.saturating_sub(1));
    let mut lines = vec![Line::styled(heading, theme.heading())];
    for (index, hit) in browse.hits.iter().enumerate().skip(offset).take(rows) {
        let kind = match hit.kind {
            "question" | "input" => "question",
            "handoff" => "solution",
            kind => kind,
        };
        let title: String = single_line(&hit.title);
        let text = format!(" {kind:<9} {title}");
        let text: String = text.chars().take(usize::from(list_area.width)).collect();
        lines.push(if index == browse.selected {
            Line::styled(text, theme.selected())
        } else {
            Line::from(vec![
                Span::styled(format!(" {kind:<9} "), theme.dim()),
                Span::raw(text.chars().skip(11).collect::<String>()),
            ])
        });
    }
    frame.render_widget(Paragraph::new(lines), list_area);
}

/// A framed one-line box for a search or filter, with a dim hint while it is empty.
fn query_box(
    theme: Theme,
    frame: &mut Frame<'_>,
    area: Rect,
    title: &str,
    query: &str,
    placeholder: &str,
) {
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.border())
        .title(title.to_string());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let visible = tail_of(
        &single_line(query),
        usize::from(inner.width.saturating_sub(1)),
    );
    let cursor_x = inner.x + u16::try_from(visible.chars().count()).unwrap_or(0);
    if visible.is_empty() {
        frame.render_widget(
            Paragraph::new(placeholder.to_string()).style(theme.dim()),
            inner,
        );
    } else {
        frame.render_widget(Paragraph::new(visible), inner);
    }
    frame.set_cursor_position(Position::new(cursor_x, inner.y));
}

/// Saved sessions: the list, or the session opened from it. Returns the header context and
/// the footer keys.
fn saved_sessions(
    model: &Model<'_>,
    frame: &mut Frame<'_>,
    area: Rect,
    saved: &SavedSessions,
) -> (String, Vec<(&'static str, &'static str)>) {
    let Some(open) = &saved.open else {
        session_list(model, frame, area, saved);
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
    open_session(model, frame, area, open);
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

fn session_list(model: &Model<'_>, frame: &mut Frame<'_>, area: Rect, saved: &SavedSessions) {
    let theme = model.theme;
    // Rows are laid out to the full width; only the sentences wrap, at a reading width.
    let mut doc = Doc::new(text_width(area.width + 4), theme);
    let total = saved.rows.len();
    // Nothing to filter: no box, only why the list is empty.
    if total == 0 {
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
        unreadable_warning(&mut doc, theme, saved.unreadable);
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
fn open_session(model: &Model<'_>, frame: &mut Frame<'_>, area: Rect, open: &OpenSession) {
    let theme = model.theme;
    let block = Block::new()
        .borders(Borders::TOP | Borders::BOTTOM)
        .border_style(theme.border())
        .title(format!(
            " Session {} · Esc: back to the list ",
            single_line(&open.session.id)
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = text_width(model.size.0);
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
            let popup = Rect {
                x: area.x + (area.width - width) / 2,
                y: area.y + (area.height - height) / 2,
                width,
                height,
            };
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

fn help_overlay(theme: Theme, frame: &mut Frame<'_>, area: Rect) {
    // 22 rows: with its frame the help just fits a 24-row terminal.
    let rows: &[(&str, &str)] = &[
        ("", "Everywhere"),
        ("F1  ?", "this help (any key closes it) · Ctrl-C: quit"),
        ("", "Questions"),
        ("↑ ↓  1–9", "pick an answer · 0 or d: \"I don't know\""),
        ("Enter", "answer (in a text box: empty = skip)"),
        ("Tab", "why we ask"),
        ("Esc  ←", "back one question · r, Ctrl-R: start again"),
        ("q", "quit · /: search the knowledge"),
        ("Alt-Enter", "new line (in the error message box)"),
        ("", "Checks"),
        ("Enter", "what a check saw · c: continue"),
        ("Esc", "cancel and go back (never waits)"),
        ("", "Solution"),
        ("↑ ↓ PgUp PgDn", "scroll · c: steps for another program"),
        ("", "Helpdesk mode"),
        (
            "n  Ctrl-N",
            "a note for the ticket (Enter keeps, Esc drops)",
        ),
        ("Tab  e", "solution: your summary · e: email the steps"),
        ("", "Check my account"),
        ("Enter", "what a check saw · n: another address"),
        ("", "Browse · Saved sessions"),
        ("type", "search · ↑ ↓ pick · Enter open · Esc back"),
        ("r  e  d", "saved session: resume · email steps · delete"),
    ];
    let mut lines = Vec::new();
    for (key, what) in rows {
        if key.is_empty() {
            lines.push(Line::styled((*what).to_string(), theme.heading()));
        } else {
            lines.push(Line::from(vec![
                Span::styled(format!("  {key:<15}"), theme.key()),
                Span::raw((*what).to_string()),
            ]));
        }
    }
    let height = u16::try_from(lines.len() + 2)
        .unwrap_or(u16::MAX)
        .min(area.height);
    let width = 66.min(area.width);
    let popup = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.border())
        .title(" Keys ");
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(Text::from(lines)).block(block), popup);
}
