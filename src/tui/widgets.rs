//! Drawing pieces more than one screen uses: text boxes (one line, several lines, a search
//! box), a scrolled document with its scrollbar, the spinner and elapsed times, clipping.
//! They know no screen and no state; each takes what it draws as arguments.

use std::time::Duration;

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, BorderType, Clear, Paragraph, Scrollbar, ScrollbarOrientation, ScrollbarState,
};

use super::article::Doc;
use super::theme::Theme;
use crate::sanitize::{for_terminal, single_line};

/// Width from which screens show a side panel (the answers so far, each check's finding,
/// the session id column).
pub const SIDE_PANEL_FROM: u16 = 120;

pub const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// The last `room` characters of `text`: a one-line box keeps its end, where typing happens,
/// in view.
pub fn tail_of(text: &str, room: usize) -> String {
    let count = text.chars().count();
    text.chars().skip(count.saturating_sub(room)).collect()
}

/// One line of typed text in a box's `inner` area, its end (where typing happens) kept in
/// view, with the cursor after it.
pub fn one_line(frame: &mut Frame<'_>, inner: Rect, text: &str) {
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

/// A `width` × `height` rectangle in the middle of `area` (a popup).
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

/// A one-line text box over the bottom of `area` (the note editor, the email address box).
pub fn line_box(theme: Theme, frame: &mut Frame<'_>, area: Rect, title: &str, text: &str) {
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
    one_line(frame, inner, text);
}

/// Text of several lines in a box's `inner` area, wrapped at spaces (a word longer than the
/// box is broken), with the end (where typing happens) kept in view and the cursor after it.
pub fn text_box(frame: &mut Frame<'_>, inner: Rect, text: &str) {
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

/// The "email the steps to" box over the bottom of `area` (a solution, a saved session).
pub fn email_box(theme: Theme, frame: &mut Frame<'_>, area: Rect, address: &str) {
    line_box(
        theme,
        frame,
        area,
        "Email the steps to — Enter sends · Esc closes",
        address,
    );
}

/// A framed one-line box for a search or filter, with a dim hint while it is empty.
pub fn query_box(
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

/// A document in `area`, scrolled, with a scrollbar when it does not fit.
pub fn scrolled_doc(frame: &mut Frame<'_>, area: Rect, doc: Doc, scroll: u16) {
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

/// `text` cut to `room` characters, with "…" when something was cut.
pub fn clipped(text: &str, room: usize) -> String {
    if text.chars().count() > room {
        text.chars()
            .take(room.saturating_sub(1))
            .collect::<String>()
            + "…"
    } else {
        text.to_string()
    }
}

/// Seconds with one decimal, as check rows show them.
pub fn format_elapsed(elapsed: Duration) -> String {
    format!("{:.1} s", elapsed.as_secs_f64())
}

/// Short checks in milliseconds, so a fast answer does not read as "0.0 s".
pub fn short_elapsed(elapsed: Duration) -> String {
    if elapsed < Duration::from_secs(1) {
        format!("{} ms", elapsed.as_millis())
    } else {
        format_elapsed(elapsed)
    }
}
