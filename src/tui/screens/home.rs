//! Home: what relaydoc is for in two sentences, and the menu of everything it does (start the
//! wizard, paste an error, check an account, browse, helpdesk mode, saved sessions).

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::Paragraph;

use super::{Footer, Go, Paint};
use crate::tui::article::Doc;
use crate::tui::layout::text_width;
use crate::tui::state::{HOME_ENTRIES, HomeEntry};

/// Keys on Home: move, pick by number, Enter, `/` to search, q to quit.
pub fn key(selected: &mut usize, key: KeyEvent) -> Go {
    match key.code {
        KeyCode::Up | KeyCode::Char('k') => *selected = selected.saturating_sub(1),
        KeyCode::Down | KeyCode::Char('j') => {
            *selected = (*selected + 1).min(HOME_ENTRIES.len() - 1);
        }
        KeyCode::Char(c @ '1'..='9') => {
            let index = c as usize - '1' as usize;
            if index < HOME_ENTRIES.len() {
                *selected = index;
                return Go::Choose(HOME_ENTRIES[index]);
            }
        }
        KeyCode::Enter | KeyCode::Right => {
            return Go::Choose(HOME_ENTRIES[(*selected).min(HOME_ENTRIES.len() - 1)]);
        }
        KeyCode::Char('/') => return Go::Browse { from_wizard: false },
        KeyCode::Char('q') | KeyCode::Esc => return Go::Quit,
        _ => {}
    }
    Go::Stay
}

/// Home; `given` is how many answers the command line gave.
pub fn draw(
    paint: Paint<'_>,
    frame: &mut Frame<'_>,
    area: Rect,
    selected: usize,
    given: usize,
) -> Footer {
    let theme = paint.theme;
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
    if given > 0 {
        doc.gap();
        doc.para(
            &format!(
                "You gave {} answer(s) on the command line; those questions will be skipped.",
                given
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
