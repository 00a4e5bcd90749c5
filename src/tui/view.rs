//! Drawing: `view(&Model, &mut Frame)` turns the model into a screen and changes nothing.
//!
//! Layout is one header line, the screen's body, and one footer line of keys. Every screen
//! fits 80×24; wider windows get a side panel and wider text (up to a comfortable reading
//! width). Below 80×24 only a plain "window too small" message is drawn. This module draws
//! the frame (header, status line, footer, the help over everything); each screen draws its
//! own body, in its module under `screens/`.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Wrap};

use super::model::{Model, Screen};
use super::screens::{Paint, account, browse, helpdesk, home, paste, saved, wizard};
use super::theme::Theme;
use super::widgets::{centered, clipped};
use crate::sanitize::single_line;

pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

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
    let paint = Paint {
        knowledge: model.knowledge,
        theme,
        size: model.size,
        now: model.now,
        spinner: model.spinner,
    };
    let (context, keys) = match &model.screen {
        Screen::Home { selected } => {
            home::draw(paint, frame, inner, *selected, model.initial_facts.len())
        }
        Screen::Caller { text } => helpdesk::draw(theme, frame, inner, text),
        Screen::Paste { text } => paste::draw(theme, frame, inner, text),
        Screen::Browse(browse) => browse::draw(paint, frame, inner, browse),
        Screen::Account(ui) => account::draw(paint, frame, inner, ui),
        Screen::Wizard => match &model.session {
            Some(session) => wizard::draw(paint, frame, inner, session),
            None => (String::new(), Vec::new()),
        },
        Screen::SavedSessions(list) => saved::draw(paint, frame, inner, list),
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
    let popup = centered(area, width, height);
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.border())
        .title(" Keys ");
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(Text::from(lines)).block(block), popup);
}
