//! SMTP replies as typed data: the three-digit code, the enhanced status code (RFC 3463) and
//! the text lines, assembled from the multi-line continuation form (RFC 5321 §4.2).
//!
//! The parser works line by line so the connection can enforce its limits (line length,
//! number of lines, bytes) before a reply is complete; [`ReplyBuilder`] collects the lines.

use std::fmt;

use serde::Serialize;

/// An enhanced mail system status code such as `5.7.1` (RFC 3463).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EnhancedCode {
    pub class: u8,
    pub subject: u16,
    pub detail: u16,
}

impl fmt::Display for EnhancedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

impl EnhancedCode {
    /// Parses `class.subject.detail` at the start of `text`; `class` must be 2, 4 or 5 and each
    /// number at most three digits (RFC 3463 §2). Returns the code and the rest of the text.
    pub fn parse_prefix(text: &str) -> Option<(EnhancedCode, &str)> {
        let end = text.find(' ').unwrap_or(text.len());
        let mut parts = text[..end].split('.');
        let class = parse_number(parts.next()?, 1)?;
        let subject = parse_number(parts.next()?, 3)?;
        let detail = parse_number(parts.next()?, 3)?;
        if parts.next().is_some() || !matches!(class, 2 | 4 | 5) {
            return None;
        }
        let code = EnhancedCode {
            class: u8::try_from(class).ok()?,
            subject,
            detail,
        };
        Some((code, text[end..].trim_start()))
    }
}

fn parse_number(digits: &str, max_len: usize) -> Option<u16> {
    if digits.is_empty() || digits.len() > max_len || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// One complete SMTP reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reply {
    pub code: u16,
    /// The enhanced code of the first line, when the server sent one whose class matches the
    /// reply's first digit (a mismatching one is treated as plain text, as RFC 3463 requires).
    pub enhanced: Option<EnhancedCode>,
    /// The text of each line, without the code, separator and enhanced code.
    pub lines: Vec<String>,
}

impl Reply {
    pub fn is_positive(&self) -> bool {
        (200..300).contains(&self.code)
    }

    pub fn is_intermediate(&self) -> bool {
        (300..400).contains(&self.code)
    }

    pub fn is_transient(&self) -> bool {
        (400..500).contains(&self.code)
    }

    pub fn is_permanent(&self) -> bool {
        (500..600).contains(&self.code)
    }

    /// The reply as one line, e.g. `554 5.7.1 <x@example.org>: Relay access denied`.
    pub fn summary(&self) -> String {
        let mut out = self.code.to_string();
        if let Some(enhanced) = self.enhanced {
            out.push(' ');
            out.push_str(&enhanced.to_string());
        }
        let text = self.lines.join(" ");
        if !text.is_empty() {
            out.push(' ');
            out.push_str(&text);
        }
        out
    }
}

/// One parsed line of a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyLine {
    pub code: u16,
    /// `true` for `250-…` (more lines follow), `false` for `250 …` or a bare `250`.
    pub more: bool,
    pub text: String,
}

/// Why a line is not a valid reply line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    #[error("reply line does not start with a three-digit code: {0:?}")]
    NoCode(String),
    #[error("reply code {0} is outside 200-599")]
    CodeOutOfRange(u16),
    #[error("expected a space or '-' after the reply code, got {0:?}")]
    BadSeparator(char),
    #[error("continuation line has code {got}, the reply started with {expected}")]
    CodeChanged { expected: u16, got: u16 },
}

/// Parses one line (without its CRLF).
pub fn parse_line(line: &str) -> Result<ReplyLine, ReplyError> {
    let bytes = line.as_bytes();
    if bytes.len() < 3 || !bytes[..3].iter().all(u8::is_ascii_digit) {
        return Err(ReplyError::NoCode(line.chars().take(40).collect()));
    }
    let code: u16 = line[..3]
        .parse()
        .map_err(|_| ReplyError::NoCode(line.chars().take(40).collect()))?;
    // 1yz replies do not exist in SMTP (RFC 5321 §4.2.1); accepting them would let a server
    // hold a dialogue open forever.
    if !(200..600).contains(&code) {
        return Err(ReplyError::CodeOutOfRange(code));
    }
    let rest = &line[3..];
    let mut chars = rest.chars();
    let (more, text) = match chars.next() {
        // RFC 5321 §4.2: "the text is optional"; a bare code ends the reply.
        None => (false, ""),
        Some(' ') => (false, chars.as_str()),
        Some('-') => (true, chars.as_str()),
        Some(other) => return Err(ReplyError::BadSeparator(other)),
    };
    Ok(ReplyLine {
        code,
        more,
        text: text.to_string(),
    })
}

/// Collects reply lines until the last one.
#[derive(Debug, Default)]
pub struct ReplyBuilder {
    code: Option<u16>,
    lines: Vec<String>,
}

impl ReplyBuilder {
    /// Adds a line; returns the complete reply when this was the last line.
    pub fn push(&mut self, line: ReplyLine) -> Result<Option<Reply>, ReplyError> {
        let expected = *self.code.get_or_insert(line.code);
        if line.code != expected {
            return Err(ReplyError::CodeChanged {
                expected,
                got: line.code,
            });
        }
        self.lines.push(line.text);
        if line.more {
            return Ok(None);
        }
        Ok(Some(finish(expected, std::mem::take(&mut self.lines))))
    }

    pub fn line_count(&self) -> usize {
        self.lines.len()
    }
}

fn finish(code: u16, raw_lines: Vec<String>) -> Reply {
    let class = u8::try_from(code / 100).unwrap_or(0);
    let mut enhanced = None;
    let lines = raw_lines
        .into_iter()
        .enumerate()
        .map(|(index, text)| match EnhancedCode::parse_prefix(&text) {
            // Servers repeat the enhanced code on every line; strip it everywhere, keep the
            // first. A code whose class disagrees with the reply is not an enhanced code.
            Some((found, rest)) if found.class == class => {
                if index == 0 {
                    enhanced = Some(found);
                }
                rest.to_string()
            }
            _ => text,
        })
        .collect();
    Reply {
        code,
        enhanced,
        lines,
    }
}

/// Parses a whole reply from text (lines separated by CRLF or LF); for tests and fixtures.
pub fn parse_reply(text: &str) -> Result<Reply, ReplyError> {
    let mut builder = ReplyBuilder::default();
    for line in text.lines() {
        if let Some(reply) = builder.push(parse_line(line)?)? {
            return Ok(reply);
        }
    }
    Err(ReplyError::NoCode(String::from("(reply ended early)")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(text: &str) -> Reply {
        parse_reply(text).expect("valid reply")
    }

    #[test]
    fn single_line_with_enhanced_code() {
        let r = reply("554 5.7.1 <someone@example.org>: Relay access denied");
        assert_eq!(r.code, 554);
        assert_eq!(
            r.enhanced,
            Some(EnhancedCode {
                class: 5,
                subject: 7,
                detail: 1
            })
        );
        assert_eq!(r.lines, vec!["<someone@example.org>: Relay access denied"]);
        assert!(r.is_permanent());
    }

    #[test]
    fn multi_line_continuation_collects_every_line() {
        let r = reply(
            "250-mail.example.test\r\n250-PIPELINING\r\n250-AUTH PLAIN LOGIN\r\n250 CHUNKING",
        );
        assert_eq!(r.code, 250);
        assert_eq!(
            r.lines,
            vec![
                "mail.example.test",
                "PIPELINING",
                "AUTH PLAIN LOGIN",
                "CHUNKING"
            ]
        );
        assert_eq!(r.enhanced, None);
    }

    #[test]
    fn bare_code_without_text_ends_the_reply() {
        let r = reply("250");
        assert_eq!(r.code, 250);
        assert_eq!(r.lines, vec![""]);
    }

    #[test]
    fn continuation_with_a_different_code_is_an_error() {
        let mut builder = ReplyBuilder::default();
        assert_eq!(builder.push(parse_line("250-a").expect("line")), Ok(None));
        assert_eq!(
            builder.push(parse_line("251 b").expect("line")),
            Err(ReplyError::CodeChanged {
                expected: 250,
                got: 251
            })
        );
    }

    #[test]
    fn line_without_code_is_an_error() {
        assert!(matches!(parse_line("hello"), Err(ReplyError::NoCode(_))));
        assert!(matches!(parse_line("25"), Err(ReplyError::NoCode(_))));
        assert!(matches!(parse_line(""), Err(ReplyError::NoCode(_))));
    }

    #[test]
    fn codes_outside_200_to_599_are_rejected() {
        assert_eq!(parse_line("199 x"), Err(ReplyError::CodeOutOfRange(199)));
        assert_eq!(parse_line("600 x"), Err(ReplyError::CodeOutOfRange(600)));
    }

    #[test]
    fn separator_must_be_space_or_dash() {
        assert_eq!(parse_line("250_x"), Err(ReplyError::BadSeparator('_')));
    }

    #[test]
    fn enhanced_code_with_wrong_class_stays_text() {
        let r = reply("250 5.7.1 odd");
        assert_eq!(r.enhanced, None);
        assert_eq!(r.lines, vec!["5.7.1 odd"]);
    }

    #[test]
    fn enhanced_code_is_stripped_from_every_line() {
        let r = reply("454-4.7.1 first\r\n454 4.7.1 second");
        assert_eq!(r.enhanced.map(|e| e.to_string()), Some("4.7.1".to_string()));
        assert_eq!(r.lines, vec!["first", "second"]);
        assert!(r.is_transient());
    }

    #[test]
    fn malformed_enhanced_codes_are_text() {
        for text in [
            "550 5.7 x",
            "550 5.7.1.2 x",
            "550 5.a.1 x",
            "550 5.1234.1 x",
        ] {
            assert_eq!(reply(text).enhanced, None, "{text}");
        }
    }

    #[test]
    fn summary_rebuilds_one_line() {
        let r = reply("535 5.7.8 Error: authentication failed: (reason unavailable)");
        assert_eq!(
            r.summary(),
            "535 5.7.8 Error: authentication failed: (reason unavailable)"
        );
    }

    #[test]
    fn unfinished_reply_is_an_error() {
        assert!(parse_reply("250-only continuation").is_err());
    }
}
