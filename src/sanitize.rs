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
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.next() {
                Some('[') => skip_csi(&mut chars),
                Some(']' | 'P' | 'X' | '^' | '_') => skip_string(&mut chars),
                _ => {}
            },
            '\u{9b}' => skip_csi(&mut chars),
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\t' => out.push(c),
            c if c.is_control() => {}
            // Bidi overrides can make text read differently from what it is.
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Like [`for_terminal`], for text that must stay on one line (a table cell, a status row).
pub fn single_line(text: &str) -> String {
    for_terminal(text)
        .split(['\n', '\t'])
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn skip_csi(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    // Parameter and intermediate bytes, then one final byte in @..~.
    for c in chars.by_ref() {
        if ('@'..='~').contains(&c) {
            break;
        }
    }
}

fn skip_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    // Ends at BEL, ST (ESC \) or the 8-bit ST.
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
        assert_eq!(for_terminal("x\u{1b}]title"), "x");
        assert_eq!(for_terminal("x\u{1b}"), "x");
    }

    #[test]
    fn single_line_joins_lines() {
        assert_eq!(single_line("a\nb\t c\u{1b}[1m"), "a b  c");
    }
}
