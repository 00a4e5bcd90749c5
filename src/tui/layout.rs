//! Small pure helpers every TUI screen shares: how much room a screen has, how keys move a
//! selection or a scroll position, how a one-line field is edited, whether a typed address
//! looks like one. They know no screen and no state, so every screen may use them.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::knowledge::model::Node;

/// Rows between the header and the footer: what a full-height document can use.
pub fn body_height(size: (u16, u16)) -> u16 {
    size.1.saturating_sub(3)
}

/// Rows the solution page can use: in helpdesk mode the tab line and a blank line take two.
pub fn solution_height(size: (u16, u16), agent: bool) -> u16 {
    if agent {
        body_height(size).saturating_sub(2)
    } else {
        body_height(size)
    }
}

/// Reading width for a terminal `width` columns wide: long lines are hard to read, so text
/// stops at 100 columns on wide screens.
pub fn text_width(width: u16) -> usize {
    usize::from(width).saturating_sub(4).clamp(20, 100)
}

/// The highlighted entry after a key that moves through a list of `count` (↑↓, PgUp/PgDn,
/// Home/End); `None` for any other key. `page` is how many rows the list shows: PgUp/PgDn
/// move by that, so a page turned is a page seen.
pub fn list_moved(selected: usize, code: KeyCode, count: usize, page: u16) -> Option<usize> {
    let page = usize::from(page.max(1));
    let last = count.saturating_sub(1);
    let next = match code {
        KeyCode::Up => selected.saturating_sub(1),
        KeyCode::Down => selected.saturating_add(1),
        KeyCode::PageUp => selected.saturating_sub(page),
        KeyCode::PageDown => selected.saturating_add(page),
        KeyCode::Home => 0,
        KeyCode::End => last,
        _ => return None,
    };
    Some(next.min(last))
}

/// The new scroll position after a scrolling key, kept within `0..=max`. `page` is the height
/// of the text's window: PgUp/PgDn and Space move by that, so a page turned is a page seen.
pub fn scrolled(scroll: u16, code: KeyCode, max: u16, page: u16) -> u16 {
    let page = page.max(1);
    let next = match code {
        KeyCode::Up | KeyCode::Char('k') => scroll.saturating_sub(1),
        KeyCode::Down | KeyCode::Char('j') => scroll.saturating_add(1),
        KeyCode::PageUp => scroll.saturating_sub(page),
        KeyCode::PageDown | KeyCode::Char(' ') => scroll.saturating_add(page),
        KeyCode::Home | KeyCode::Char('g') => 0,
        KeyCode::End | KeyCode::Char('G') => max,
        _ => scroll,
    };
    next.min(max)
}

/// Pasted text with its line breaks as `\n`: terminals send a pasted line break as `\r` (or
/// `\r\n`), and a lone `\r` is dropped when text is made safe to draw, which glued "…message
/// failed." to "An error occurred" on screen and in the saved session.
pub fn pasted_lines(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// The editing every one-line field shares: type, Backspace, Ctrl-U to clear.
pub fn edit_line(text: &mut String, key: &KeyEvent) {
    match key.code {
        KeyCode::Backspace => {
            text.pop();
        }
        KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => text.clear(),
        _ => {
            if let Some(c) = typed_char(key) {
                text.push(c);
            }
        }
    }
}

/// A key that types a character (no Ctrl or Alt held).
fn typed_char(key: &KeyEvent) -> Option<char> {
    match key.code {
        KeyCode::Char(c)
            if !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
        {
            Some(c)
        }
        _ => None,
    }
}

/// Whether `key` is Ctrl and the letter `c`.
pub fn is_ctrl(key: &KeyEvent, c: char) -> bool {
    key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char(c)
}

/// Why `email` cannot be checked, in plain words; `None` when it looks like an address.
pub fn address_problem(email: &str) -> Option<String> {
    if email.is_empty() {
        return Some(String::from(
            "Type your email address first, like you@example.com.",
        ));
    }
    if email.chars().any(char::is_whitespace) {
        return Some(String::from(
            "An email address has no spaces. Type it like you@example.com.",
        ));
    }
    match crate::checks::account::domain_of(email) {
        Ok(domain) if domain.contains('.') => None,
        Ok(_) => Some(String::from(
            "The part after the @ needs a dot, like example.com.",
        )),
        Err(_) if !email.contains('@') => Some(String::from(
            "That is not an email address: it needs an @, like you@example.com.",
        )),
        Err(_) => Some(String::from(
            "That does not look like an email address. Type it like you@example.com.",
        )),
    }
}

/// Internal guidance on a node for the helpdesk agent (caveats, escalation hints), never
/// shown in user mode.
pub fn agent_note(node: &Node) -> Option<&str> {
    node.agent_note.as_deref()
}
