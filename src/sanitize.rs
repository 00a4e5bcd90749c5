//! Making untrusted text safe to show on a terminal.
//!
//! Text from servers, logs, pasted errors and knowledge files could carry escape sequences that
//! move the cursor, retitle the window or hide output. Everything such text goes through
//! [`for_terminal`] before it is drawn or printed.

/// Removes terminal control sequences and control characters, keeping newlines and tabs.
///
/// CSI (`ESC [ … final`), OSC (`ESC ] … BEL|ST`), DCS/SOS/PM/APC strings and two-byte escapes
/// are dropped whole, so no parameter bytes leak into the output; other C0 and C1 controls
/// (including a lone `\r`, which can overwrite a line) are dropped too.
pub fn for_terminal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    // Set once a string sequence was found unterminated on this line: every later one on the
    // same line is too, so the look-ahead runs once a line (linear time on hostile input).
    let mut open_line = false;
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.next() {
                Some('[') => skip_csi(&mut chars),
                Some(']' | 'P' | 'X' | '^' | '_') => skip_string(&mut chars, &mut open_line),
                Some(next) => keep_after_escape(next, &mut out),
                None => {}
            },
            '\u{9b}' => skip_csi(&mut chars),
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => {
                skip_string(&mut chars, &mut open_line)
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                open_line = false;
                out.push(c);
            }
            '\t' => out.push(c),
            c if c.is_control() => {}
            // Bidi overrides can make text read differently from what it is.
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {}
            c => out.push(c),
        }
    }
    out
}

/// How long an excerpt of untrusted text is by default (an id, a path, a value in a message).
pub const EXCERPT_CHARS: usize = 120;

/// [`single_line`], cut to at most `max` characters with "…" where it was cut: what a message
/// may quote of something a user, a file or a server said.
pub fn excerpt(text: &str, max: usize) -> String {
    // Only the head can be shown, so only the head is cleaned (a 400 KB id costs no more).
    let head: String = text.chars().take(max.saturating_mul(4).max(64)).collect();
    let line = single_line(&head);
    if line.chars().count() <= max && head.len() == text.len() {
        return line;
    }
    let mut cut: String = line.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// Like [`for_terminal`], for text that must stay on one line (a table cell, a status row).
pub fn single_line(text: &str) -> String {
    for_terminal(text)
        .split(['\n', '\t'])
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A two-byte escape (`ESC 7`, `ESC c`) is dropped whole; after a lone ESC, ordinary text
/// (a line break, a letter outside the escape range) is kept.
fn keep_after_escape(next: char, out: &mut String) {
    let line_break = next == '\n' || next == '\t';
    let text = !(' '..='~').contains(&next) && !next.is_control();
    if line_break || text {
        out.push(next);
    }
}

fn skip_csi(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    // Parameter bytes (0x30–0x3F) and intermediate bytes (0x20–0x2F), then one final byte in
    // @..~. Anything else ends the sequence without being eaten, so a broken sequence cannot
    // swallow the text after it.
    while let Some(&c) = chars.peek() {
        if ('\u{20}'..='\u{3f}').contains(&c) {
            chars.next();
        } else {
            if ('@'..='~').contains(&c) {
                chars.next();
            }
            break;
        }
    }
}

fn skip_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, open_line: &mut bool) {
    // Ends at BEL, ST (ESC \) or the 8-bit ST. An unterminated string ends at the end of its
    // line: the text after it is harmless once the introducer is gone, and hiding the rest of
    // a line (or of the output) is exactly what a hostile sender would want.
    if *open_line {
        return;
    }
    let terminated = chars
        .clone()
        .take_while(|&c| c != '\n')
        .any(|c| matches!(c, '\u{7}' | '\u{9c}' | '\u{1b}'));
    if !terminated {
        *open_line = true;
        return;
    }
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => break,
            '\u{1b}' => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                break;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_plain_text_newlines_and_tabs() {
        assert_eq!(for_terminal("a\tb\nc ü"), "a\tb\nc ü");
    }

    #[test]
    fn drops_csi_sequences_with_their_parameters() {
        assert_eq!(for_terminal("\u{1b}[31;1mred\u{1b}[0m"), "red");
        assert_eq!(for_terminal("x\u{1b}[2Jy"), "xy");
        assert_eq!(for_terminal("x\u{9b}2Jy"), "xy");
    }

    #[test]
    fn drops_osc_title_and_hyperlinks() {
        assert_eq!(for_terminal("\u{1b}]0;evil title\u{7}ok"), "ok");
        assert_eq!(
            for_terminal("\u{1b}]8;;http://x\u{1b}\\link\u{1b}]8;;\u{1b}\\"),
            "link"
        );
    }

    #[test]
    fn drops_other_controls_and_bare_carriage_returns() {
        assert_eq!(for_terminal("a\u{7}b\u{8}c\u{0}d"), "abcd");
        assert_eq!(for_terminal("line\r\nnext"), "line\nnext");
        assert_eq!(for_terminal("fake\roverwrite"), "fakeoverwrite");
    }

    #[test]
    fn drops_bidi_overrides() {
        assert_eq!(for_terminal("abc\u{202e}def"), "abcdef");
    }

    #[test]
    fn unterminated_sequences_do_not_swallow_into_a_panic() {
        assert_eq!(for_terminal("x\u{1b}["), "x");
        assert_eq!(for_terminal("x\u{1b}"), "x");
    }

    #[test]
    fn an_unterminated_osc_cannot_hide_the_rest_of_its_line_or_the_next() {
        assert_eq!(
            for_terminal("key\u{1b}]0;hidden rest of the line\nnext"),
            "key0;hidden rest of the line\nnext"
        );
        assert_eq!(for_terminal("x\u{9d}tail"), "xtail");
        // Terminated ones are still dropped whole.
        assert_eq!(for_terminal("a\u{1b}]0;t\u{7}b\nc"), "ab\nc");
    }

    #[test]
    fn a_broken_csi_does_not_eat_the_text_after_it() {
        assert_eq!(for_terminal("x\u{1b}[\u{e9}t\u{e9}"), "x\u{e9}t\u{e9}");
        assert_eq!(for_terminal("a\u{1b}[12\nb"), "a\nb");
    }

    #[test]
    fn an_excerpt_is_one_short_line_marked_where_it_was_cut() {
        let long = "x".repeat(400 * 1024);
        let cut = excerpt(&long, 40);
        assert_eq!(cut.chars().count(), 40);
        assert!(cut.ends_with('…'));
        assert_eq!(excerpt("a\nb", 40), "a b");
        assert_eq!(excerpt("short", 40), "short");
    }

    #[test]
    fn single_line_joins_lines() {
        assert_eq!(single_line("a\nb\t c\u{1b}[1m"), "a b  c");
    }
}
