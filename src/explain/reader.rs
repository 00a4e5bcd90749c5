//! Turning whatever a person pasted into lines worth matching.
//!
//! Input may be one line from a dialog, a whole bounce message (MIME, multipart/report with a
//! message/delivery-status part, quoted-printable or base64 bodies), or many log lines. A
//! message is read with the `mail-parser` crate (MIME structure, transfer encodings, RFC 2047
//! headers, charsets such as ISO-2022-JP and Shift_JIS); the reader then drops what cannot hold
//! the answer (the returned original message, attachments), re-joins lines that a mailer
//! wrapped, and folds multi-line SMTP replies (`550-…` / `550 …`) into one. Every step is
//! bounded: input size, line length, part count and nesting depth all have caps, and each pass
//! is linear.

/// Input beyond this is not read; a bounce or log excerpt worth explaining is far smaller.
pub const MAX_INPUT_BYTES: usize = 16 * 1024 * 1024;
/// A line longer than this is cut before matching; real reply lines are well under 1 KiB.
pub const MAX_LINE_BYTES: usize = 64 * 1024;
/// At most this many lines are examined.
pub const MAX_LINES: usize = 500_000;
const MAX_MIME_DEPTH: usize = 8;
const MAX_MIME_PARTS: usize = 512;
/// Wrapped continuation lines joined onto one logical line, at most.
const MAX_JOINED_LINES: usize = 16;

/// What kind of text the input is, as far as its shape tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// A pasted line or paragraph (a dialog, a reply).
    Text,
    /// An email message (a bounce), parsed as MIME.
    Message,
    /// Log lines (syslog or ISO timestamps, Postfix/Exim prefixes).
    Log,
}

/// Fields of a message/delivery-status part (RFC 3464) that carry the answer.
#[derive(Debug, Clone, Default)]
pub struct DeliveryStatus {
    pub status: Option<String>,
    pub diagnostic_code: Option<String>,
    pub remote_mta: Option<String>,
    pub final_recipient: Option<String>,
    pub action: Option<String>,
}

/// One logical line to match, with the 1-based line number where it starts in its part.
#[derive(Debug, Clone)]
pub struct Line {
    pub text: String,
    pub number: usize,
}

/// The input, read: the logical lines and what the reader learned on the way.
#[derive(Debug, Clone)]
pub struct Document {
    pub kind: InputKind,
    pub lines: Vec<Line>,
    pub delivery_status: Vec<DeliveryStatus>,
    /// The message's own headers say it is a bounce (From: MAILER-DAEMON, a DSN, …).
    pub looks_like_bounce: bool,
    pub subject: Option<String>,
    /// `X-Failed-Recipients:` (Exim) — the recipient, when the text does not repeat it.
    pub failed_recipients: Option<String>,
    /// What the reader had to leave out or could not decode, in plain words.
    pub notes: Vec<String>,
}

/// Reads raw bytes: caps the size, replaces invalid UTF-8, then [`read`]s.
pub fn read_bytes(bytes: &[u8]) -> Document {
    let mut notes = Vec::new();
    let capped = if bytes.len() > MAX_INPUT_BYTES {
        notes.push(format!(
            "only the first {} MiB of the input were read",
            MAX_INPUT_BYTES / (1024 * 1024)
        ));
        &bytes[..MAX_INPUT_BYTES]
    } else {
        bytes
    };
    let text = String::from_utf8_lossy(capped);
    // A message's 8-bit parts are in their own charset: MIME reads the raw bytes.
    let mut document = read_raw(&text, capped);
    notes.append(&mut document.notes);
    document.notes = notes;
    document
}

/// Reads text: decides its kind and produces logical lines.
pub fn read(input: &str) -> Document {
    read_raw(input, input.as_bytes())
}

/// [`read`], with the bytes `input` was decoded from (what a message is parsed from).
fn read_raw(input: &str, raw: &[u8]) -> Document {
    let mut notes = Vec::new();
    let input = if input.len() > MAX_INPUT_BYTES {
        notes.push(format!(
            "only the first {} MiB of the input were read",
            MAX_INPUT_BYTES / (1024 * 1024)
        ));
        truncate_at_char(input, MAX_INPUT_BYTES)
    } else {
        input
    };
    let mut document = if looks_like_message(input) {
        read_message(&raw[..raw.len().min(MAX_INPUT_BYTES)])
    } else {
        let kind = if looks_like_log(input) {
            InputKind::Log
        } else {
            InputKind::Text
        };
        Document {
            kind,
            lines: logical_lines(input, kind == InputKind::Log),
            delivery_status: Vec::new(),
            looks_like_bounce: false,
            subject: None,
            failed_recipients: None,
            notes: Vec::new(),
        }
    };
    if document.lines.len() > MAX_LINES {
        document.lines.truncate(MAX_LINES);
        notes.push(format!("only the first {MAX_LINES} lines were examined"));
    }
    if document
        .lines
        .iter()
        .any(|line| line.text.len() >= MAX_LINE_BYTES)
    {
        notes.push(format!(
            "lines longer than {} KiB were cut short",
            MAX_LINE_BYTES / 1024
        ));
    }
    notes.append(&mut document.notes);
    document.notes = notes;
    document
}

fn truncate_at_char(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

// ---------------------------------------------------------------------------------------------
// Logical lines

/// Splits text into lines, joins wrapped ones and folds multi-line SMTP replies.
///
/// A line that starts with white space continues the previous one (mailers indent wrapped
/// diagnostic text and folded headers). Log lines are never joined: each is its own event.
fn logical_lines(text: &str, is_log: bool) -> Vec<Line> {
    let mut lines: Vec<Line> = Vec::new();
    // How many physical lines the last logical line already holds.
    let mut joined = 0usize;
    // The code of a multi-line reply still open on the last line ("550-" seen, "550 " not yet).
    let mut open_reply: Option<String> = None;
    for (index, raw) in text.split('\n').enumerate() {
        if lines.len() > MAX_LINES {
            break;
        }
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let raw = truncate_at_char(raw, MAX_LINE_BYTES);
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            joined = MAX_JOINED_LINES; // a blank line ends a paragraph
            open_reply = None;
            continue;
        }
        let room = !is_log && joined < MAX_JOINED_LINES && !lines.is_empty();
        if room
            && let Some(code) = &open_reply
            && let Some((rest, more)) = smtp_continuation(code, trimmed)
            && let Some(last) = lines.last_mut()
        {
            // "550-first part" then "550 second part": one reply, read as one sentence.
            append_capped(&mut last.text, rest);
            joined += 1;
            if !more {
                open_reply = None;
            }
            continue;
        }
        // Dialogs and bounces are pasted with hard line breaks mid-sentence ("…because it
        // does\nnot allow relaying"): a line that starts in lower case after one that ends in
        // a word continues the sentence.
        let continues_sentence = trimmed.starts_with(|c: char| c.is_ascii_lowercase())
            && lines
                .last()
                .and_then(|last| last.text.chars().last())
                .is_some_and(|c| c.is_alphanumeric() || c == ',');
        // An indented line continues the one above (wrapped bounce text), unless it opens
        // with a marker such as a transcript's "-> QUIT".
        let indented = raw.starts_with([' ', '\t'])
            && trimmed.starts_with(|c: char| c.is_alphanumeric() || "<([\"'".contains(c));
        if room
            && (indented || continues_sentence)
            && let Some(last) = lines.last_mut()
        {
            append_capped(&mut last.text, trimmed);
            joined += 1;
            open_reply = open_reply.or_else(|| open_reply_code(trimmed));
            continue;
        }
        lines.push(Line {
            text: trimmed.to_string(),
            number: index + 1,
        });
        joined = 1;
        open_reply = if is_log {
            None
        } else {
            open_reply_code(trimmed)
        };
    }
    for line in &mut lines {
        fold_reply(&mut line.text);
    }
    lines
}

fn append_capped(target: &mut String, addition: &str) {
    if target.len() + 1 + addition.len() > MAX_LINE_BYTES {
        let room = MAX_LINE_BYTES.saturating_sub(target.len() + 1);
        if room > 0 {
            target.push(' ');
            target.push_str(truncate_at_char(addition, room));
        }
        return;
    }
    target.push(' ');
    target.push_str(addition);
}

/// When `next` continues the open reply `code` (`550-more` or `550 last`), returns its text
/// without the code, and whether yet more lines follow.
fn smtp_continuation<'a>(code: &str, next: &'a str) -> Option<(&'a str, bool)> {
    let rest = next.strip_prefix(code)?;
    match rest.as_bytes().first() {
        Some(b'-') => Some((rest[1..].trim_start(), true)),
        Some(b' ') => Some((rest[1..].trim_start(), false)),
        None => Some(("", false)),
        Some(_) => None,
    }
}

/// The code of a `NNN-` (more lines follow) reply start in `line`, if there is one.
fn open_reply_code(line: &str) -> Option<String> {
    reply_dash_at(line).map(|at| line[at - 3..at].to_string())
}

/// Byte index of the `-` in the first `NNN-` that starts a word (an SMTP reply continuation).
fn reply_dash_at(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut index = 0;
    while index + 3 < bytes.len() {
        let starts_word = index == 0 || !bytes[index - 1].is_ascii_alphanumeric();
        if starts_word
            && matches!(bytes[index], b'2'..=b'5')
            && bytes[index + 1].is_ascii_digit()
            && bytes[index + 2].is_ascii_digit()
            && bytes[index + 3] == b'-'
            && bytes.get(index + 4).is_some_and(|b| !b.is_ascii_digit())
        {
            return Some(index + 3);
        }
        index += 1;
    }
    None
}

/// Turns the first `NNN-` of a folded multi-line reply into `NNN ` so it reads as one reply.
fn fold_reply(text: &mut String) {
    if let Some(at) = reply_dash_at(text) {
        text.replace_range(at..at + 1, " ");
    }
}

// ---------------------------------------------------------------------------------------------
// Shape detection

fn looks_like_log(text: &str) -> bool {
    let mut total = 0usize;
    let mut logged = 0usize;
    for line in text.lines().filter(|l| !l.trim().is_empty()).take(200) {
        total += 1;
        if is_log_line(line) {
            logged += 1;
        }
    }
    total > 0 && logged * 2 >= total
}

/// Syslog (`Nov 22 17:34:21 host prog[pid]:`), ISO timestamps (Exim), or a Postfix daemon tag.
pub fn is_log_line(line: &str) -> bool {
    let bytes = line.trim_start().as_bytes();
    let syslog = bytes.len() > 15
        && bytes[0].is_ascii_uppercase()
        && bytes[1].is_ascii_lowercase()
        && bytes[2].is_ascii_lowercase()
        && bytes[3] == b' '
        && bytes[9] == b':'
        && bytes[12] == b':';
    let iso = bytes.len() > 19
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && matches!(bytes[10], b' ' | b'T')
        && bytes[13] == b':';
    syslog || iso || line.contains("postfix/") && line.contains("]: ")
}

/// True when the text starts with RFC 5322 header fields and has a body after a blank line.
fn looks_like_message(text: &str) -> bool {
    let mut fields = 0usize;
    let mut known = false;
    for (index, line) in text.lines().enumerate() {
        if index == 0 && line.starts_with("From ") {
            continue; // mbox separator
        }
        if line.trim().is_empty() {
            return fields >= 2 && known;
        }
        if line.starts_with([' ', '\t']) {
            continue;
        }
        let Some((name, _)) = line.split_once(':') else {
            return false;
        };
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return false;
        }
        fields += 1;
        known |= matches!(
            name.to_ascii_lowercase().as_str(),
            "received"
                | "return-path"
                | "mime-version"
                | "content-type"
                | "message-id"
                | "subject"
                | "from"
                | "to"
                | "date"
        );
        if index > 500 {
            return false;
        }
    }
    false
}

// ---------------------------------------------------------------------------------------------
// MIME
//
// The message structure, transfer encodings (base64, quoted-printable), RFC 2047 headers and
// charsets (ISO-2022-JP, Shift_JIS, EUC-KR, GB18030, KOI8-R, Windows-125x, …) are
// mail-parser's. Only what is particular to bounces stays here: which parts hold the answer
// (not the returned original inside a multipart/report), the delivery-status fields, and
// HTML to lines (mail-parser's own joins table rows and divs into one line, where an
// Exchange NDR keeps each fact in a row of its own).

/// Reads an email message from its raw bytes (8-bit parts in their own charset included).
fn read_message(raw: &[u8]) -> Document {
    let mut document = Document {
        kind: InputKind::Message,
        lines: Vec::new(),
        delivery_status: Vec::new(),
        looks_like_bounce: false,
        subject: None,
        failed_recipients: None,
        notes: Vec::new(),
    };
    // An mbox separator line ("From sender date") is no header.
    let raw = match raw.strip_prefix(b"From ") {
        Some(rest) => rest
            .iter()
            .position(|&b| b == b'\n')
            .map_or(&[][..], |at| &rest[at + 1..]),
        None => raw,
    };
    let Some(message) = mail_parser::MessageParser::default().parse(raw) else {
        document
            .notes
            .push("the message could not be read as MIME; read as plain text".to_string());
        document.lines = logical_lines(&String::from_utf8_lossy(raw), false);
        return document;
    };
    if let Some(subject) = message.subject() {
        let subject = subject.trim().to_string();
        document.looks_like_bounce |= is_bounce_subject(&subject);
        document.subject = Some(subject);
    }
    if let Some(from) = message.from() {
        document.looks_like_bounce |= from.iter().any(|address| {
            let text = format!(
                "{} {}",
                address.name().unwrap_or_default(),
                address.address().unwrap_or_default()
            )
            .to_ascii_lowercase();
            text.contains("mailer-daemon") || text.contains("postmaster@")
        });
    }
    if let Some(failed) = message.header_raw("X-Failed-Recipients") {
        document.looks_like_bounce = true;
        document.failed_recipients = Some(failed.trim().to_string());
    }
    if let Some(subject) = &document.subject {
        document.lines.push(Line {
            text: format!("Subject: {subject}"),
            number: 1,
        });
    }
    let mut walker = Walker {
        parts: 0,
        decoding_noted: false,
        document: &mut document,
    };
    walker.part(&message, 0, 0, false);
    document
}

fn is_bounce_subject(subject: &str) -> bool {
    let lower = subject.to_ascii_lowercase();
    [
        "undelivered mail",
        "undeliverable",
        "delivery status notification",
        "mail delivery failed",
        "returned mail",
        "delivery failure",
        "failure notice",
        "non remis",
        "unzustellbar",
    ]
    .iter()
    .any(|marker| lower.contains(marker))
}

struct Walker<'d> {
    parts: usize,
    decoding_noted: bool,
    document: &'d mut Document,
}

impl Walker<'_> {
    /// Reads part `id` of `message`; `in_report` is true inside multipart/report, where an
    /// attached message is the returned original and holds no diagnosis.
    fn part(&mut self, message: &mail_parser::Message<'_>, id: u32, depth: usize, in_report: bool) {
        use mail_parser::{MimeHeaders, PartType};

        self.parts += 1;
        if self.parts > MAX_MIME_PARTS {
            if self.parts == MAX_MIME_PARTS + 1 {
                self.document.notes.push(format!(
                    "only the first {MAX_MIME_PARTS} MIME parts were read"
                ));
            }
            return;
        }
        if depth > MAX_MIME_DEPTH {
            self.document
                .notes
                .push("MIME parts nested too deep were skipped".to_string());
            return;
        }
        let Some(part) = message.part(id) else {
            return;
        };
        if part.is_encoding_problem && !self.decoding_noted {
            self.decoding_noted = true;
            self.document
                .notes
                .push("a MIME part could not be decoded; read as it is".to_string());
        }
        let (ctype, subtype) = part.content_type().map_or_else(
            || (String::from("text"), String::from("plain")),
            |ct| {
                (
                    ct.ctype().to_ascii_lowercase(),
                    ct.subtype().unwrap_or_default().to_ascii_lowercase(),
                )
            },
        );
        let delivery_status = ctype == "message"
            && matches!(
                subtype.as_str(),
                "delivery-status" | "global-delivery-status"
            );
        // Inside a report, an attached message or its headers are the returned original.
        let original = in_report
            && (ctype == "message" || (ctype == "text" && subtype == "rfc822-headers"))
            && !delivery_status;
        if original {
            return;
        }
        match &part.body {
            PartType::Multipart(children) => {
                let in_report = in_report || (ctype == "multipart" && subtype == "report");
                for &child in children {
                    self.part(message, child, depth + 1, in_report);
                }
            }
            // A bounce forwarded as an attachment: the attachment is the bounce.
            PartType::Message(nested) => self.part(nested, 0, depth + 1, false),
            PartType::Text(text) if delivery_status => self.delivery_status(text),
            PartType::Binary(bytes) | PartType::InlineBinary(bytes) if delivery_status => {
                self.delivery_status(&String::from_utf8_lossy(bytes));
            }
            PartType::Text(text) => self.text_body(text),
            PartType::Html(html) => self.text_body(&html_to_text(html)),
            // Attachments and images hold no reply text.
            PartType::Binary(_) | PartType::InlineBinary(_) => {}
        }
    }

    fn text_body(&mut self, text: &str) {
        let lines = logical_lines(text, false);
        let room = MAX_LINES.saturating_sub(self.document.lines.len());
        self.document.lines.extend(lines.into_iter().take(room));
    }

    /// RFC 3464 fields, one logical line each, plus the fields kept aside for the answer.
    fn delivery_status(&mut self, text: &str) {
        let mut current = DeliveryStatus::default();
        for group in text.replace("\r\n", "\n").split("\n\n") {
            let headers = parse_fields(group);
            let mut per_recipient = false;
            for header in &headers {
                let value = header.value.trim().to_string();
                match header.name.as_str() {
                    "status" => current.status = Some(value.clone()),
                    "diagnostic-code" => current.diagnostic_code = Some(value.clone()),
                    "remote-mta" => current.remote_mta = Some(strip_type(&value)),
                    "final-recipient" => {
                        per_recipient = true;
                        current.final_recipient = Some(strip_type(&value));
                    }
                    "action" => current.action = Some(value.clone()),
                    _ => {}
                }
                if self.document.lines.len() < MAX_LINES {
                    self.document.lines.push(Line {
                        text: format!("{}: {}", display_name(&header.name), value),
                        number: 0,
                    });
                }
            }
            if per_recipient {
                self.document
                    .delivery_status
                    .push(std::mem::take(&mut current));
            }
        }
    }
}

/// `rfc822; user@example.org` → `user@example.org`; `dns; mx.example.org` → `mx.example.org`.
fn strip_type(value: &str) -> String {
    value
        .split_once(';')
        .map_or(value, |(_, rest)| rest)
        .trim()
        .to_string()
}

fn display_name(lower: &str) -> String {
    lower
        .split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or(String::new(), |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// A field of a delivery-status group, unfolded, with its name lower-cased.
struct Field {
    name: String,
    value: String,
}

/// The `Name: value` fields of one delivery-status group (RFC 3464 uses header syntax in the
/// body of its part, which a MIME parser leaves as text).
fn parse_fields(block: &str) -> Vec<Field> {
    let mut fields: Vec<Field> = Vec::new();
    for line in block.lines() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.starts_with([' ', '\t']) {
            if let Some(last) = fields.last_mut()
                && last.value.len() < MAX_LINE_BYTES
            {
                last.value.push(' ');
                last.value.push_str(line.trim());
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            if fields.len() >= 1000 {
                break;
            }
            fields.push(Field {
                name: name.trim().to_ascii_lowercase(),
                value: value.trim().to_string(),
            });
        }
    }
    fields
}

/// Drops tags, scripts and styles, turns block ends into newlines and decodes the entities a
/// bounce uses (`&lt;user@example.org&gt;`).
fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let after = &rest[open..];
        let Some(close) = after.find('>') else {
            rest = "";
            break;
        };
        let tag = after[1..close].to_ascii_lowercase();
        let name = tag
            .trim_start_matches('/')
            .split([' ', '/'])
            .next()
            .unwrap_or("");
        rest = &after[close + 1..];
        if (name == "script" || name == "style") && !tag.starts_with('/') {
            let end = format!("</{name}");
            rest = find_ignoring_ascii_case(rest, &end).map_or("", |at| &rest[at..]);
            continue;
        }
        if matches!(
            name,
            "br" | "p" | "div" | "tr" | "li" | "h1" | "h2" | "h3" | "table"
        ) {
            out.push('\n');
        } else {
            out.push(' ');
        }
    }
    out.push_str(rest);
    decode_entities(&out)
}

/// Byte offset of `needle` (ASCII) in `haystack`, ignoring ASCII case; scans only up to the
/// match, so skipping many short scripts stays linear.
fn find_ignoring_ascii_case(haystack: &str, needle: &str) -> Option<usize> {
    let needle = needle.as_bytes();
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|window| window.eq_ignore_ascii_case(needle))
}

fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp..];
        let end = truncate_at_char(after, 12).find(';');
        let decoded = end.and_then(|end| {
            let name = &after[1..end];
            let ch = match name {
                "lt" => Some('<'),
                "gt" => Some('>'),
                "amp" => Some('&'),
                "quot" => Some('"'),
                "apos" | "#39" => Some('\''),
                "nbsp" => Some(' '),
                _ => name
                    .strip_prefix("#x")
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                    .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            }?;
            Some((ch, end + 1))
        });
        match decoded {
            Some((ch, len)) => {
                out.push(ch);
                rest = &after[len..];
            }
            None => {
                out.push('&');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_line_replies_fold_into_one() {
        let document = read(
            "550-Please turn on SMTP Authentication in your mail client.\n\
             550-(host) [1.2.3.4]:1234 is not permitted to relay through\n\
             550 this server without authentication.",
        );
        assert_eq!(document.lines.len(), 1);
        assert_eq!(
            document.lines[0].text,
            "550 Please turn on SMTP Authentication in your mail client. \
             (host) [1.2.3.4]:1234 is not permitted to relay through \
             this server without authentication."
        );
    }

    #[test]
    fn wrapped_lines_join() {
        let document = read(
            "<a@b.example>: host mx.b.example[192.0.2.1] said: 554 5.7.1 <a@b.example>:\n    Relay access denied (in reply to RCPT TO command)",
        );
        assert_eq!(document.lines.len(), 1);
        assert!(
            document.lines[0]
                .text
                .ends_with("(in reply to RCPT TO command)")
        );
    }

    #[test]
    fn html_entities_and_tags_are_removed() {
        assert_eq!(
            html_to_text("<p>Unable to relay &lt;a@b&gt;</p><script>x</script>ok").trim(),
            "Unable to relay <a@b>\n ok"
        );
    }

    #[test]
    fn entities_near_multibyte_text_do_not_split_characters() {
        assert_eq!(decode_entities("&éééééééé;&lt;"), "&éééééééé;<");
        assert_eq!(
            html_to_text("<SCRIPT>x</script>a<script>y</SCRIPT>b").trim(),
            "a b"
        );
    }

    #[test]
    fn log_lines_are_recognised() {
        assert!(is_log_line(
            "Nov 22 17:34:21 mail postfix/smtpd[28078]: NOQUEUE: reject: RCPT from x"
        ));
        assert!(is_log_line(
            "2024-01-02 10:11:12 H=(x) [1.2.3.4] rejected RCPT <a@b>: relay not permitted"
        ));
        assert!(!is_log_line("554 5.7.1 Relay access denied"));
    }
}
