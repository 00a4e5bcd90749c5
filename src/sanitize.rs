//! Making untrusted text safe to show on a terminal.
//!
//! Text from servers, logs, pasted errors and knowledge files could carry escape sequences that
//! move the cursor, retitle the window or hide output. Everything such text goes through
//! [`for_terminal`] before it is drawn or printed.
//!
//! A server may also echo what it was sent: the password, its base64, the AUTH payloads, an
//! OAuth token. [`Secrets`] knows every form of the secrets a connection carries and masks
//! them where server text enters relaydoc's types (the SMTP/POP3 line reader, the mailer's
//! reply reader), so no transcript, JSON, error or summary can show them.

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

/// What a masked secret is replaced with.
pub const MASK: &str = "****";

/// Plain secrets shorter than this are not masked in server text: masking every "ab" would
/// garble the text and hide nothing worth hiding.
const MIN_PLAIN: usize = 3;
/// Base64 fragments shorter than this occur by chance in any text.
const MIN_ENCODED: usize = 4;

/// The forms of the secrets one connection carries, to be masked in everything the server
/// says. Debug output shows how many forms there are, never the forms.
#[derive(Clone, Default)]
pub struct Secrets {
    forms: Vec<String>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secrets({} forms, masked)", self.forms.len())
    }
}

impl Secrets {
    /// A secret (password, token): its plain text, and its base64 as it appears inside any
    /// longer base64 text (at each of the three byte alignments, so the password inside an
    /// echoed AUTH PLAIN payload is found too).
    pub fn add_secret(&mut self, secret: &str) {
        use base64::Engine as _;
        use base64::engine::general_purpose::{STANDARD, URL_SAFE};
        self.push(secret.to_owned(), MIN_PLAIN);
        let bytes = secret.as_bytes();
        for engine in [&STANDARD, &URL_SAFE] {
            self.push(engine.encode(bytes), MIN_ENCODED);
            for offset in 0..3usize {
                let mut shifted = vec![0u8; offset];
                shifted.extend_from_slice(bytes);
                let encoded = engine.encode(&shifted);
                // Characters that depend on the secret's bytes alone.
                let first = (offset * 8).div_ceil(6);
                let end = (offset + bytes.len()) * 8 / 6;
                if let Some(stable) = encoded.get(first..end) {
                    self.push(stable.to_owned(), MIN_ENCODED);
                }
            }
        }
    }

    /// A payload sent as base64 (AUTH PLAIN's `\0user\0password`, a LOGIN line, an XOAUTH2
    /// blob): its base64 exactly as sent. Its plain text is not added (it may be just the
    /// user name, which replies rightly show); the secret inside it is, by [`Self::add_secret`].
    pub fn add_payload(&mut self, payload: &[u8]) {
        use base64::Engine as _;
        use base64::engine::general_purpose::STANDARD;
        self.push(STANDARD.encode(payload), MIN_ENCODED);
    }

    /// Every form a user name and password take when a client signs in with PLAIN or LOGIN
    /// (what lettre sends): the password, `\0user\0password` and the user name in base64.
    pub fn for_login(user: &str, password: &str) -> Secrets {
        let mut secrets = Secrets::default();
        secrets.add_secret(password);
        secrets.add_payload(format!("\0{user}\0{password}").as_bytes());
        secrets.add_payload(user.as_bytes());
        secrets
    }

    fn push(&mut self, form: String, min_len: usize) {
        if form.len() >= min_len && !self.forms.contains(&form) {
            self.forms.push(form);
            // Longest first, so a payload is masked whole before its parts.
            self.forms.sort_by_key(|form| std::cmp::Reverse(form.len()));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.forms.is_empty()
    }

    /// Server text as one safe line without any secret: masked before and after removing
    /// control sequences, since escape sequences could split an echoed password.
    pub fn clean_line(&self, text: &str) -> String {
        self.mask(&single_line(&self.mask(text)))
    }

    /// `text` with every form of every secret replaced by [`MASK`].
    pub fn mask(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for form in &self.forms {
            if out.contains(form.as_str()) {
                out = out.replace(form.as_str(), MASK);
            }
        }
        out
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
    fn secrets_are_masked_in_every_form() {
        use base64::Engine as _;
        use base64::engine::general_purpose::STANDARD;
        let password = "canary-Pa55word!";
        let mut secrets = Secrets::default();
        secrets.add_secret(password);
        let plain_payload = format!("\0alice@example.test\0{password}");
        secrets.add_payload(plain_payload.as_bytes());
        let echoes = [
            format!("535 you said {password}"),
            format!("535 {}", STANDARD.encode(password)),
            format!("535 {}", STANDARD.encode(&plain_payload)),
            // The password inside some other base64 text, at every alignment.
            format!("535 {}", STANDARD.encode(format!("x{password}y"))),
            format!("535 {}", STANDARD.encode(format!("xy{password}"))),
            format!("535 {}", STANDARD.encode(format!("user={password}\u{1}"))),
        ];
        for echo in echoes {
            let masked = secrets.mask(&echo);
            assert!(!masked.contains(password), "{masked}");
            assert!(
                !masked.contains(&STANDARD.encode(password)[..8]),
                "{echo} -> {masked}"
            );
            assert!(masked.contains(MASK), "{masked}");
        }
        assert_eq!(secrets.mask("250 OK"), "250 OK");
        assert!(!format!("{secrets:?}").contains("canary"));
    }

    #[test]
    fn single_line_joins_lines() {
        assert_eq!(single_line("a\nb\t c\u{1b}[1m"), "a b  c");
    }
}
