//! Helpdesk mode's first step: who is calling (a name or a ticket number, optional), before
//! an agent-mode wizard run starts.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::widgets::{Block, BorderType, Paragraph};

use super::{Footer, Go};
use crate::sanitize::single_line;
use crate::tui::article::Doc;
use crate::tui::layout::{edit_line, text_width};
use crate::tui::state::HomeEntry;
use crate::tui::theme::Theme;
use crate::tui::widgets::one_line;

/// The "who is calling" box: Enter starts the run (empty is fine), Esc goes home.
pub fn key(text: &mut String, key: KeyEvent) -> Go {
    match key.code {
        KeyCode::Esc => return Go::Home(HomeEntry::Helpdesk),
        KeyCode::Enter => {
            let caller = single_line(text).trim().to_string();
            return Go::Helpdesk {
                caller: (!caller.is_empty()).then_some(caller),
                typed: text.clone(),
            };
        }
        _ => edit_line(text, &key),
    }
    Go::Stay
}

pub fn paste(text: &mut String, pasted: &str) {
    text.push_str(&single_line(pasted));
}

/// Helpdesk mode's first screen: who is calling, one line, optional.
pub fn draw(theme: Theme, frame: &mut Frame<'_>, area: Rect, text: &str) -> Footer {
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
    one_line(frame, inner, text);
    frame.render_widget(
        Paragraph::new("Press Enter to start; leave it empty to skip.").style(theme.dim()),
        hint,
    );
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
