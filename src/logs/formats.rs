//! Which log lines are refusals, of what kind, and who was involved: one line in, one
//! [`Event`] (or nothing) out, borrowing from the line, allocating nothing.
//!
//! Lines read (each form is in `tests/fixtures/logs/` with the public source it was taken from):
//! - Postfix `smtpd`/`postscreen`/`cleanup`: `NOQUEUE: reject: RCPT from host[ip]: 554 5.7.1
//!   <rcpt>: Relay access denied; from=<s> to=<r> …`, `milter-reject:`; the warnings
//!   `host[ip]: SASL LOGIN authentication failed`, `lost connection after AUTH from host[ip]`,
//!   `SSL_accept error from host[ip]`, `Connection rate limit exceeded: N from host[ip]`; and
//!   the delivery agents' `status=bounced|deferred (host … said: 554 …)` (refusals by other
//!   servers: direction `outgoing`).
//! - Exim main/reject log: `H=host (helo) [ip] F=<s> rejected RCPT <r>: relay not permitted`,
//!   `temporarily rejected …`, and `SMTP error from remote mail server after …` (outgoing).
//! - Sendmail: `ruleset=check_rcpt, arg1=<r>, relay=host [ip], reject=550 5.7.1 <r>... Relaying
//!   denied`.
//! - qmail: chkuser's `CHKUSER rejected relaying: from <s:…> remote <helo:host:ip> rcpt <r> : …`,
//!   and any line carrying qmail's `sorry, that domain isn't in my list of allowed rcpthosts`.
//! - Dovecot: `imap-login: Disconnected (auth failed, 1 attempts …): user=<u>, …, rip=ip`.
//! - Exchange message tracking CSV: rows whose `event-id` is `FAIL` or `DEFER`, columns found
//!   by the file's `#Fields:` header.
//!
//! One event is counted once: where a server logs one refusal on several lines (a TLS failure
//! as `SSL_accept error`, then `TLS library problem`, then `lost connection after STARTTLS`;
//! a Dovecot login failure as `auth: … unknown user` and `imap-login: … auth failed`), only the
//! first form above is counted.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use memchr::memmem;
use serde::Serialize;

/// What kind of refusal a line records. Order is precedence: a line that says "Recipient
/// address rejected: Greylisted" is greylisting, not a recipient check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    RelayDenied,
    Greylisted,
    Blocklist,
    RateLimited,
    Tls,
    AuthFailed,
    AuthRequired,
    AuthAborted,
    SenderRejected,
    RecipientRejected,
    ClientRejected,
    Other,
}

impl Kind {
    pub const ALL: [Kind; 12] = [
        Kind::RelayDenied,
        Kind::Greylisted,
        Kind::Blocklist,
        Kind::RateLimited,
        Kind::Tls,
        Kind::AuthFailed,
        Kind::AuthRequired,
        Kind::AuthAborted,
        Kind::SenderRejected,
        Kind::RecipientRejected,
        Kind::ClientRejected,
        Kind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::RelayDenied => "relay-denied",
            Kind::Greylisted => "greylisted",
            Kind::Blocklist => "blocklist",
            Kind::RateLimited => "rate-limited",
            Kind::Tls => "tls",
            Kind::AuthFailed => "auth-failed",
            Kind::AuthRequired => "auth-required",
            Kind::AuthAborted => "auth-aborted",
            Kind::SenderRejected => "sender-rejected",
            Kind::RecipientRejected => "recipient-rejected",
            Kind::ClientRejected => "client-rejected",
            Kind::Other => "other",
        }
    }

    /// What the kind means, in one line: the `why` when no signature names a cause.
    pub fn meaning(self) -> &'static str {
        match self {
            Kind::RelayDenied => {
                "the server refused to pass mail on to a domain it does not handle, for a client it did not trust"
            }
            Kind::Greylisted => {
                "greylisting: a first attempt is refused for now; a real mail server retries and gets through"
            }
            Kind::Blocklist => {
                "the client's address (or the sender's domain) is on a DNS blocklist the server checks"
            }
            Kind::RateLimited => {
                "the client went over a connection, message or recipient limit the server sets"
            }
            Kind::Tls => {
                "the encrypted connection could not be set up, or the server requires encryption first"
            }
            Kind::AuthFailed => {
                "a login (SMTP AUTH or IMAP/POP) was refused: wrong user name or password, or password guessing"
            }
            Kind::AuthRequired => {
                "the client tried to send without logging in where the server requires it"
            }
            Kind::AuthAborted => {
                "the client hung up during AUTH: usually a password-guessing bot, or a client giving up after a refused login"
            }
            Kind::SenderRejected => "the envelope sender was refused by the server's sender checks",
            Kind::RecipientRejected => {
                "the recipient was refused: unknown user, or a recipient check or policy"
            }
            Kind::ClientRejected => {
                "the client itself was refused (its address, reverse DNS or HELO name) before any relay decision"
            }
            Kind::Other => "a refusal relaydoc does not sort into a kind of its own",
        }
    }
}

/// Who refused: this server refusing a client, or another server refusing this one's delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    Incoming,
    Outgoing,
}

/// One refusal, borrowing from its line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Event<'a> {
    pub kind: Option<Kind>,
    pub direction: Option<Direction>,
    /// The basic SMTP reply code, as three ASCII digits.
    pub code: Option<[u8; 3]>,
    pub enhanced: Option<&'a [u8]>,
    /// The refused client's host name as the log gives it (`unknown` when it had none), and
    /// its address; shown as `host[ip]`, or the address alone.
    pub client_host: Option<&'a [u8]>,
    pub client_ip: Option<&'a [u8]>,
    pub sender: Option<&'a [u8]>,
    pub recipient_domain: Option<&'a [u8]>,
}

/// Byte strings whose presence makes a syslog-style line (Postfix, Exim, Sendmail, qmail,
/// Dovecot) worth a closer look. Every refusal form in the module docs contains one; most of a
/// busy log (deliveries, connects, queue lines) contains none, and is skipped after one
/// multi-pattern scan of the whole block. Each is chosen so that its first bytes are rare in
/// ordinary lines, which keeps the scan close to `grep`'s speed.
pub const MARKERS: &[&str] = &[
    "reject",
    "SASL ",
    "auth failed",
    "after AUTH from",
    "SSL_accept error",
    "limit exceeded",
    "rcpthosts",
    "=bounced",
    "=deferred",
    "SMTP error from remote",
];

/// The markers of an Exchange message-tracking file: its failure events, and the header that
/// says which column is which.
pub const EXCHANGE_MARKERS: &[&str] = &[",FAIL,", ",DEFER,", "#Fields:"];

/// Reason phrases (matched ignoring ASCII case), each with the kind it signals.
const REASONS: &[(&str, Kind)] = &[
    ("relay access denied", Kind::RelayDenied),
    ("relaying denied", Kind::RelayDenied),
    ("relay not permitted", Kind::RelayDenied),
    ("not permitted to relay", Kind::RelayDenied),
    ("unable to relay", Kind::RelayDenied),
    ("relay denied", Kind::RelayDenied),
    ("relaying not allowed", Kind::RelayDenied),
    ("rejected relaying", Kind::RelayDenied),
    ("allowed rcpthosts", Kind::RelayDenied),
    ("greylist", Kind::Greylisted),
    ("graylist", Kind::Greylisted),
    ("blocked using", Kind::Blocklist),
    ("listed at", Kind::Blocklist),
    ("listed on", Kind::Blocklist),
    ("blacklist", Kind::Blocklist),
    ("blocklist", Kind::Blocklist),
    ("dnsbl", Kind::Blocklist),
    ("spamhaus", Kind::Blocklist),
    ("rate limit", Kind::RateLimited),
    ("limit exceeded", Kind::RateLimited),
    ("too many connections", Kind::RateLimited),
    ("too many recipients", Kind::RateLimited),
    ("too many messages", Kind::RateLimited),
    ("starttls", Kind::Tls),
    ("ssl_accept error", Kind::Tls),
    ("tls required", Kind::Tls),
    ("encryption required", Kind::Tls),
    ("authentication failed", Kind::AuthFailed),
    ("auth failed", Kind::AuthFailed),
    ("authentication failure", Kind::AuthFailed),
    ("authentication credentials invalid", Kind::AuthFailed),
    ("authentication required", Kind::AuthRequired),
    ("not authenticated", Kind::AuthRequired),
    ("lost connection after auth", Kind::AuthAborted),
    ("sender address rejected", Kind::SenderRejected),
    ("sender verify", Kind::SenderRejected),
    ("sender verification", Kind::SenderRejected),
    ("badmailfrom", Kind::SenderRejected),
    ("rejected mail", Kind::SenderRejected),
    ("recipient address rejected", Kind::RecipientRejected),
    ("user unknown", Kind::RecipientRejected),
    ("unknown user", Kind::RecipientRejected),
    ("no such user", Kind::RecipientRejected),
    ("mailbox unavailable", Kind::RecipientRejected),
    ("unrouteable address", Kind::RecipientRejected),
    ("recipient not found", Kind::RecipientRejected),
    ("recipnotfound", Kind::RecipientRejected),
    ("rejected rcpt", Kind::RecipientRejected),
    ("client host rejected", Kind::ClientRejected),
    ("helo command rejected", Kind::ClientRejected),
    ("rejected ehlo", Kind::ClientRejected),
    ("rejected helo", Kind::ClientRejected),
    ("rejected connection", Kind::ClientRejected),
    ("reverse hostname", Kind::ClientRejected),
];

/// The compiled searchers; built once per run.
#[derive(Debug)]
pub struct Classifier {
    pub markers: AhoCorasick,
    pub exchange_markers: AhoCorasick,
    reasons: AhoCorasick,
    reject_colon: memmem::Finder<'static>,
    reject_equals: memmem::Finder<'static>,
    rejected: memmem::Finder<'static>,
}

impl Classifier {
    pub fn new() -> Self {
        // The pattern sets are fixed strings known to compile; a failure is a bug here.
        let markers = |patterns: &[&str]| {
            #[allow(clippy::expect_used)]
            AhoCorasickBuilder::new()
                .match_kind(MatchKind::LeftmostFirst)
                .build(patterns)
                .expect("a marker set compiles")
        };
        // A DFA: the fastest search, and small for these few short phrases.
        #[allow(clippy::expect_used)]
        let reasons = AhoCorasickBuilder::new()
            .kind(Some(AhoCorasickKind::DFA))
            .ascii_case_insensitive(true)
            .build(REASONS.iter().map(|(phrase, _)| phrase))
            .expect("the reason set compiles");
        Self {
            markers: markers(MARKERS),
            exchange_markers: markers(EXCHANGE_MARKERS),
            reasons,
            reject_colon: memmem::Finder::new(b"reject:"),
            reject_equals: memmem::Finder::new(b"reject="),
            rejected: memmem::Finder::new(b"rejected "),
        }
    }

    /// The highest-precedence reason phrase in `text`.
    fn reason(&self, text: &[u8]) -> Option<Kind> {
        self.reasons
            .find_overlapping_iter(text)
            .map(|m| REASONS[m.pattern().as_usize()].1)
            .min()
    }

    /// Reads one syslog-style line (Postfix, Exim, Sendmail, qmail, Dovecot); `None` when it
    /// records no refusal.
    pub fn classify<'a>(&self, line: &'a [u8]) -> Option<Event<'a>> {
        // Most refusals in a busy log are Postfix's "reject:"; it is looked for first.
        if let Some(at) = self.reject_colon.find(line) {
            return Some(self.postfix_reject(line, at));
        }
        if let Some(at) = self.reject_equals.find(line) {
            return Some(self.sendmail(line, at));
        }
        if let Some(at) = self.rejected.find(line) {
            if let Some(chkuser) = find(line, b"CHKUSER rejected") {
                return Some(self.chkuser(line, chkuser));
            }
            if let Some(h) = find(line, b" H=") {
                return Some(self.exim(line, h, at));
            }
        }
        if find(line, b"status=bounced").is_some() || find(line, b"status=deferred").is_some() {
            let said = find(line, b" said: ")?;
            return Some(self.outgoing(line, said + 7, recipient_after(line, b"to=<")));
        }
        if let Some(at) = find(line, b"SMTP error from remote") {
            let reply = find_from(line, at, b": ")
                .and_then(|colon| find_from(line, colon + 2, b": ").map(|c| c + 2));
            let reply = reply.unwrap_or(at);
            return Some(self.outgoing(line, reply, recipient_after(line, b"TO:<")));
        }
        if find(line, b"authentication failed").is_some()
            && let Some(at) = find(line, b"warning: ")
        {
            return Some(simple(Kind::AuthFailed, host_ip(line, at + 9)));
        }
        if let Some(at) = find(line, b"(auth failed,") {
            let rip = find_from(line, at, b"rip=").map(|r| {
                let start = r + 4;
                let end = line[start..]
                    .iter()
                    .position(|b| matches!(b, b',' | b' '))
                    .map_or(line.len(), |n| start + n);
                &line[start..end]
            });
            return Some(Event {
                kind: Some(Kind::AuthFailed),
                direction: Some(Direction::Incoming),
                client_ip: rip,
                ..Event::default()
            });
        }
        if let Some(at) = find(line, b"lost connection after AUTH from ") {
            return Some(simple(Kind::AuthAborted, host_ip(line, at + 32)));
        }
        if let Some(at) = find(line, b"SSL_accept error from ") {
            return Some(simple(Kind::Tls, host_ip(line, at + 22)));
        }
        if let Some(at) = find(line, b"limit exceeded: ") {
            let client = find_from(line, at, b" from ").and_then(|f| host_ip(line, f + 6));
            return Some(simple(Kind::RateLimited, client));
        }
        if find(line, b"allowed rcpthosts").is_some() {
            // qmail-smtpd's reply to a recipient outside rcpthosts, wherever it is quoted.
            let mut event = self.reply_event(line, 0, Direction::Incoming);
            event.kind = Some(Kind::RelayDenied);
            return Some(event);
        }
        None
    }

    /// An event whose reply (code and reason) starts at `reply`.
    fn reply_event<'a>(&self, line: &'a [u8], reply: usize, direction: Direction) -> Event<'a> {
        let text = &line[reply.min(line.len())..];
        let (code, enhanced) = reply_code(text);
        Event {
            kind: Some(self.reason(text).unwrap_or(Kind::Other)),
            direction: Some(direction),
            code,
            enhanced,
            ..Event::default()
        }
    }

    /// `NOQUEUE: reject: RCPT from host[ip]: 554 5.7.1 <r>: Relay access denied; from=<s> to=<r>`
    fn postfix_reject<'a>(&self, line: &'a [u8], at: usize) -> Event<'a> {
        let after = at + 7;
        let from = find_from(line, after, b" from ");
        let client_at = from.map(|f| f + 6);
        let (client_host, client_ip) = client_at
            .and_then(|c| host_ip(line, c))
            .map_or((None, None), |(host, ip)| (Some(host), Some(ip)));
        // The reply follows the client's "]: " (postscreen writes "]:port: ").
        let reply = client_at
            .and_then(|c| find_from(line, c, b": "))
            .map_or(after, |colon| colon + 2);
        let mut event = self.reply_event(line, reply, Direction::Incoming);
        event.client_host = client_host.filter(|h| !h.is_empty());
        event.client_ip = client_ip;
        event.sender = address_after(line, b"from=<");
        event.recipient_domain = recipient_after(line, b"to=<");
        event
    }

    /// `ruleset=check_rcpt, arg1=<r>, relay=host [ip], reject=550 5.7.1 <r>... Relaying denied`
    fn sendmail<'a>(&self, line: &'a [u8], at: usize) -> Event<'a> {
        let mut event = self.reply_event(line, at + 7, Direction::Incoming);
        if let Some(relay) = find(line, b"relay=") {
            let start = relay + 6;
            let end = find_from(line, start, b", ").unwrap_or(line.len());
            let value = &line[start..end];
            // "relay=host.example [192.0.2.1]" or "relay=[192.0.2.1]".
            let host = value.split(|&b| b == b' ' || b == b'[').next();
            event.client_host = host.filter(|h| !h.is_empty());
            event.client_ip = bracketed(value);
        }
        let argument = address_after(line, b"arg1=<");
        if find(line, b"ruleset=check_rcpt").is_some() {
            event.recipient_domain = argument.and_then(domain_of);
        } else if find(line, b"ruleset=check_mail").is_some() {
            event.sender = argument;
        }
        event
    }

    /// `CHKUSER rejected relaying: from <s:remoteinfo:id> remote <helo:host:ip> rcpt <r> : …`
    fn chkuser<'a>(&self, line: &'a [u8], at: usize) -> Event<'a> {
        let mut event = self.reply_event(line, at, Direction::Incoming);
        event.kind = Some(self.reason(&line[at..]).unwrap_or(Kind::Other));
        event.sender = address_after(line, b"from <")
            .map(|s| s.split(|&b| b == b':').next().unwrap_or(s))
            .filter(|s| !s.is_empty());
        if let Some(remote) = address_after(line, b"remote <") {
            let mut parts = remote.rsplitn(2, |&b| b == b':');
            event.client_ip = parts.next().filter(|ip| !ip.is_empty());
            event.client_host = parts
                .next()
                .and_then(|rest| rest.rsplit(|&b| b == b':').next())
                .filter(|h| !h.is_empty());
        }
        event.recipient_domain = recipient_after(line, b"rcpt <");
        event
    }

    /// `H=host (helo) [ip]:port F=<s> rejected RCPT <r>: relay not permitted`
    fn exim<'a>(&self, line: &'a [u8], h: usize, rejected: usize) -> Event<'a> {
        let mut event = self.reply_event(line, rejected, Direction::Incoming);
        let start = h + 3;
        if let Some(open) = find_from(line, start, b"[")
            && let Some(close) = find_from(line, open, b"]")
        {
            event.client_ip = Some(&line[open + 1..close]);
            // "H=host (helo) [ip]": the verified host name; "H=(helo) [ip]": none.
            if !matches!(line.get(start), Some(b'(' | b'[')) {
                let name_end = line[start..open]
                    .iter()
                    .position(|&b| b == b' ')
                    .map_or(open, |n| start + n);
                event.client_host = Some(&line[start..name_end]).filter(|h| !h.is_empty());
            }
        }
        event.sender = address_after(line, b"F=<");
        event.recipient_domain = recipient_after(line, b"RCPT <");
        event
    }

    fn outgoing<'a>(&self, line: &'a [u8], reply: usize, domain: Option<&'a [u8]>) -> Event<'a> {
        let mut event = self.reply_event(line, reply, Direction::Outgoing);
        event.recipient_domain = domain;
        event
    }

    /// One Exchange message-tracking row, with the columns of its file's `#Fields:` header.
    pub fn exchange<'a>(&self, row: &'a [u8], columns: &Columns) -> Option<Event<'a>> {
        let mut fields: [Option<&[u8]>; Columns::COUNT] = [None; Columns::COUNT];
        let wanted = columns.indices();
        for (index, field) in csv_fields(row).enumerate() {
            for (slot, want) in wanted.iter().enumerate() {
                if *want == Some(index) {
                    fields[slot] = Some(field);
                }
            }
        }
        let [event_id, status, recipient, sender, client_ip, client_host] = fields;
        let event_id = event_id?;
        if event_id != b"FAIL" && event_id != b"DEFER" {
            return None;
        }
        let status = status.unwrap_or_default();
        let (code, enhanced) = reply_code(status);
        Some(Event {
            kind: Some(self.reason(status).unwrap_or(Kind::Other)),
            direction: Some(Direction::Incoming),
            code,
            enhanced,
            client_host: client_host.filter(|h| !h.is_empty()),
            client_ip: client_ip.filter(|ip| !ip.is_empty()),
            sender: sender.filter(|s| !s.is_empty()),
            recipient_domain: recipient.and_then(domain_of),
        })
    }
}

impl Default for Classifier {
    fn default() -> Self {
        Self::new()
    }
}

/// Where the fields relaydoc reads sit in an Exchange tracking file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Columns {
    event_id: Option<usize>,
    recipient_status: Option<usize>,
    recipient_address: Option<usize>,
    sender_address: Option<usize>,
    client_ip: Option<usize>,
    client_hostname: Option<usize>,
}

impl Columns {
    const COUNT: usize = 6;

    /// Reads `#Fields: date-time,client-ip,…`; `None` unless it names `event-id`.
    pub fn from_header(line: &[u8]) -> Option<Self> {
        let at = find(line, b"#Fields:")?;
        let mut columns = Columns::default();
        for (index, name) in line[at + 8..].split(|&b| b == b',').enumerate() {
            let slot = match name.trim_ascii() {
                b"event-id" => &mut columns.event_id,
                b"recipient-status" => &mut columns.recipient_status,
                b"recipient-address" => &mut columns.recipient_address,
                b"sender-address" => &mut columns.sender_address,
                b"client-ip" => &mut columns.client_ip,
                b"client-hostname" => &mut columns.client_hostname,
                _ => continue,
            };
            *slot = Some(index);
        }
        columns.event_id.is_some().then_some(columns)
    }

    fn indices(&self) -> [Option<usize>; Self::COUNT] {
        [
            self.event_id,
            self.recipient_status,
            self.recipient_address,
            self.sender_address,
            self.client_ip,
            self.client_hostname,
        ]
    }
}

/// The fields of one CSV row (RFC 4180 quoting; a quoted field is returned without its outer
/// quotes, doubled quotes left as written: only addresses and codes are read from them).
fn csv_fields(row: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(row);
    std::iter::from_fn(move || {
        let text = rest?;
        if text.first() == Some(&b'"') {
            let mut i = 1;
            while i < text.len() {
                if text[i] == b'"' {
                    if text.get(i + 1) == Some(&b'"') {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            let field = &text[1..i.min(text.len())];
            rest = text.get(i + 1..).and_then(|after| after.strip_prefix(b","));
            Some(field)
        } else {
            match memchr::memchr(b',', text) {
                Some(comma) => {
                    rest = Some(&text[comma + 1..]);
                    Some(&text[..comma])
                }
                None => {
                    rest = None;
                    Some(text)
                }
            }
        }
    })
}

fn simple<'a>(kind: Kind, client: Option<(&'a [u8], &'a [u8])>) -> Event<'a> {
    Event {
        kind: Some(kind),
        direction: Some(Direction::Incoming),
        client_host: client.map(|c| c.0).filter(|h| !h.is_empty()),
        client_ip: client.map(|c| c.1),
        ..Event::default()
    }
}

/// Where `needle` starts in `haystack`. Haystacks here are single lines and needles a few
/// bytes, so finding the first byte with `memchr` and comparing the rest beats building a
/// `memmem` searcher for every call (which costs more than the search on a 200-byte line).
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, rest) = needle.split_first()?;
    let mut at = 0;
    while let Some(offset) = memchr::memchr(first, &haystack[at..]) {
        let start = at + offset;
        if haystack[start + 1..].starts_with(rest) {
            return Some(start);
        }
        at = start + 1;
    }
    None
}

fn find_from(haystack: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    let start = from.min(haystack.len());
    find(&haystack[start..], needle).map(|at| start + at)
}

/// `host[ip]` starting at `at` (Postfix's client form): the host (maybe empty) and the IP.
fn host_ip(line: &[u8], at: usize) -> Option<(&[u8], &[u8])> {
    let rest = line.get(at..)?;
    let end = rest
        .iter()
        .position(|&b| matches!(b, b' ' | b',' | b';'))
        .unwrap_or(rest.len());
    let token = &rest[..end];
    let open = memchr::memchr(b'[', token)?;
    let ip = bracketed(token)?;
    Some((&token[..open], ip))
}

/// The text between the last `[` and the `]` after it.
fn bracketed(text: &[u8]) -> Option<&[u8]> {
    let open = text.iter().rposition(|&b| b == b'[')?;
    let close = open + text[open..].iter().position(|&b| b == b']')?;
    let inner = &text[open + 1..close];
    // Sendmail writes IPv6 clients as [IPv6:…].
    let inner = inner.strip_prefix(b"IPv6:").unwrap_or(inner);
    (!inner.is_empty()).then_some(inner)
}

/// The address in `<…>` after `label` (`from=<`), without the brackets; `None` when empty
/// (the null sender `<>`).
fn address_after<'a>(line: &'a [u8], label: &[u8]) -> Option<&'a [u8]> {
    let start = find(line, label)? + label.len();
    let end = start + memchr::memchr(b'>', &line[start..])?;
    let address = &line[start..end];
    (!address.is_empty()).then_some(address)
}

fn recipient_after<'a>(line: &'a [u8], label: &[u8]) -> Option<&'a [u8]> {
    address_after(line, label).and_then(domain_of)
}

/// The domain of an address, when it has one.
fn domain_of(address: &[u8]) -> Option<&[u8]> {
    let at = memchr::memrchr(b'@', address)?;
    let domain = &address[at + 1..];
    (!domain.is_empty()).then_some(domain)
}

/// The first SMTP reply in `text`: a basic code (`554`) where a word starts, and the enhanced
/// code right after it (`5.7.1`), or qmail's `(#5.7.1)`.
pub fn reply_code(text: &[u8]) -> (Option<[u8; 3]>, Option<&[u8]>) {
    let mut i = 0;
    while i + 3 <= text.len() {
        let starts_word = i == 0 || matches!(text[i - 1], b' ' | b'=' | b';' | b'(' | b'"' | b':');
        if starts_word
            && matches!(text[i], b'4' | b'5')
            && text[i + 1].is_ascii_digit()
            && text[i + 2].is_ascii_digit()
            && matches!(text.get(i + 3), None | Some(b' ' | b'-'))
        {
            let code = [text[i], text[i + 1], text[i + 2]];
            let enhanced = text
                .get(i + 4..)
                .and_then(enhanced_code)
                .or_else(|| hash_enhanced(text));
            return (Some(code), enhanced);
        }
        i += 1;
    }
    (None, hash_enhanced(text))
}

/// `5.7.1` at the start of `text`.
fn enhanced_code(text: &[u8]) -> Option<&[u8]> {
    if !matches!(text.first(), Some(b'2' | b'4' | b'5')) || text.get(1) != Some(&b'.') {
        return None;
    }
    let mut end = 2;
    let mut dots = 1;
    while end < text.len() && end < 10 {
        match text[end] {
            b'0'..=b'9' => end += 1,
            b'.' if dots == 1 => {
                dots += 1;
                end += 1;
            }
            _ => break,
        }
    }
    let code = &text[..end];
    (dots == 2 && code.last().is_some_and(u8::is_ascii_digit)).then_some(code)
}

/// qmail's `(#5.7.1)`.
fn hash_enhanced(text: &[u8]) -> Option<&[u8]> {
    let at = find(text, b"(#")?;
    enhanced_code(&text[at + 2..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(line: &str) -> Event<'_> {
        Classifier::new()
            .classify(line.as_bytes())
            .expect("a refusal")
    }

    fn text(bytes: Option<&[u8]>) -> Option<&str> {
        bytes.map(|b| std::str::from_utf8(b).expect("utf-8"))
    }

    #[test]
    fn postfix_relay_denial_yields_every_field() {
        let line = "Aug 13 12:23:49 casanas postfix/smtpd[29547]: NOQUEUE: reject: RCPT from unknown[172.19.0.3]: 554 5.7.1 <philip@yewtreeapps.com>: Relay access denied; from=<rockstor@fastmail.co.uk> to=<philip@yewtreeapps.com> proto=SMTP helo=<d0c53e054ff4>";
        let e = event(line);
        assert_eq!(e.kind, Some(Kind::RelayDenied));
        assert_eq!(e.code, Some(*b"554"));
        assert_eq!(text(e.enhanced), Some("5.7.1"));
        assert_eq!(text(e.client_host), Some("unknown"));
        assert_eq!(text(e.client_ip), Some("172.19.0.3"));
        assert_eq!(text(e.sender), Some("rockstor@fastmail.co.uk"));
        assert_eq!(text(e.recipient_domain), Some("yewtreeapps.com"));
    }

    #[test]
    fn reply_codes_are_read_where_a_word_starts() {
        assert_eq!(reply_code(b"454 4.7.1 <a@b>: x").0, Some(*b"454"));
        assert_eq!(reply_code(b"host [192.0.2.1] said 5").0, None);
        let (code, enhanced) = reply_code(b"553 sorry, that domain isn't in my list (#5.7.1)");
        assert_eq!((code, enhanced), (Some(*b"553"), Some(&b"5.7.1"[..])));
        assert_eq!(
            reply_code(b"550-5.7.26 unauthenticated").1,
            Some(&b"5.7.26"[..])
        );
    }

    #[test]
    fn precedence_puts_the_specific_reason_first() {
        let classifier = Classifier::new();
        assert_eq!(
            classifier.reason(b"Recipient address rejected: Greylisted, see"),
            Some(Kind::Greylisted)
        );
        assert_eq!(
            classifier.reason(b"Recipient address rejected: Relay access denied"),
            Some(Kind::RelayDenied)
        );
        assert_eq!(
            classifier.reason(b"Service unavailable; Client host [1.2.3.4] blocked using zen"),
            Some(Kind::Blocklist)
        );
    }

    #[test]
    fn ordinary_lines_are_not_refusals() {
        let classifier = Classifier::new();
        for line in [
            "Jun 17 17:22:21 mx postfix/smtpd[1]: connect from unknown[192.0.2.1]",
            "Jun 17 17:22:21 mx postfix/smtp[2]: ABC: to=<a@b.example>, relay=mx[192.0.2.2]:25, status=sent (250 ok)",
            "Jun 17 17:22:21 mx postfix/smtp[2]: ABC: to=<a@b.example>, status=deferred (connect to x[192.0.2.3]:25: Connection timed out)",
        ] {
            assert_eq!(classifier.classify(line.as_bytes()), None, "{line}");
        }
    }

    #[test]
    fn csv_fields_honour_quotes() {
        let row = br#"2026-01-01T00:00:00Z,"a, b",,"x ""q""",end"#;
        let fields: Vec<&[u8]> = csv_fields(row).collect();
        assert_eq!(fields[1], b"a, b");
        assert_eq!(fields[2], b"");
        assert_eq!(fields[4], b"end");
    }
}
