//! "I have the error message": a box for the whole error, pasted or typed, which starts the
//! wizard with it as the `error.text` fact.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::widgets::{Block, BorderType, Paragraph};

use super::{Footer, Go};
use crate::engine::Facts;
use crate::tui::article::Doc;
use crate::tui::layout::{edit_line, pasted_lines, text_width};
use crate::tui::state::{HomeEntry, Origin};
use crate::tui::theme::Theme;
use crate::tui::widgets::text_box;

/// Keys in the box: Enter starts the wizard, Alt-Enter or Ctrl-J adds a line, Esc goes home.
pub fn key(text: &mut String, key: KeyEvent) -> Go {
    match key.code {
        KeyCode::Esc => return Go::Home(HomeEntry::Paste),
        // Alt-Enter or Ctrl-J adds a line; plain Enter goes on, as people expect.
        KeyCode::Enter if key.modifiers.contains(KeyModifiers::ALT) => text.push('\n'),
        KeyCode::Char('j') if key.modifiers.contains(KeyModifiers::CONTROL) => text.push('\n'),
        KeyCode::Enter => {
            let cleaned = crate::sanitize::for_terminal(text).trim().to_string();
            let mut facts = Facts::new();
            if !cleaned.is_empty() {
                facts.insert("error.text".into(), cleaned);
            }
            return Go::Start {
                facts,
                origin: Origin::Paste(text.clone()),
            };
        }
        _ => edit_line(text, &key),
    }
    Go::Stay
}

/// Pasted text is stored as typed; it is sanitised when drawn and when it becomes a fact.
pub fn paste(text: &mut String, pasted: &str) {
    text.push_str(&pasted_lines(pasted));
}

pub fn draw(theme: Theme, frame: &mut Frame<'_>, area: Rect, text: &str) -> Footer {
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
