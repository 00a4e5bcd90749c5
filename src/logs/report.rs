//! Refusals grouped by kind, reply code and direction, with the tallies of who was involved,
//! and the finished report: the `logs --json` contract.
//!
//! Memory is bounded: at most [`MAX_GROUPS`] groups (later distinct codes join their kind's
//! code-less group), each with three bounded [`Tally`]s and at most [`EXAMPLES`] example lines
//! of at most [`EXAMPLE_BYTES`] bytes.

use std::collections::HashMap;

use serde::Serialize;

use super::formats::{Direction, Event, Kind};
use super::stamp::Stamp;
use super::tally::{Count, Tally};
use crate::explain::{self, Signatures};

/// Distinct groups kept; a log with more distinct reply codes is folded, not grown.
pub const MAX_GROUPS: usize = 256;
/// Example lines kept per group: the first (shown) and a few more for the cause's evidence.
pub const EXAMPLES: usize = 4;
/// An example line is cut here (a hostile log line can be megabytes long).
pub const EXAMPLE_BYTES: usize = 1024;

/// What makes two refusals the same group: a small `Copy` key, so looking one up allocates
/// nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    kind: Kind,
    direction: Direction,
    code: Option<[u8; 3]>,
    /// `5.7.1` packed as class, subject, detail.
    enhanced: Option<(u8, u16, u16)>,
}

#[derive(Debug, Default)]
struct Group {
    count: u64,
    first: Option<Stamp>,
    last: Option<Stamp>,
    clients: Tally,
    senders: Tally,
    domains: Tally,
    examples: Vec<String>,
}

/// Refusals as they are counted.
#[derive(Debug, Default)]
pub struct Groups {
    groups: HashMap<Key, Group, foldhash::fast::RandomState>,
    /// Reused to build `host[ip]` without a new allocation per line.
    scratch: Vec<u8>,
}

impl Groups {
    pub fn add(&mut self, event: &Event<'_>, time: Option<Stamp>, line: &[u8]) {
        let mut key = Key {
            kind: event.kind.unwrap_or(Kind::Other),
            direction: event.direction.unwrap_or(Direction::Incoming),
            code: event.code,
            enhanced: event.enhanced.and_then(pack_enhanced),
        };
        if !self.groups.contains_key(&key) && self.groups.len() >= MAX_GROUPS {
            key.code = None;
            key.enhanced = None;
        }
        let group = self.groups.entry(key).or_default();
        group.count += 1;
        if let Some(time) = time {
            group.first = Some(group.first.map_or(time, |t| t.min(time)));
            group.last = Some(group.last.map_or(time, |t| t.max(time)));
        }
        self.scratch.clear();
        match (event.client_host, event.client_ip) {
            (Some(host), Some(ip)) => {
                self.scratch.extend_from_slice(host);
                self.scratch.push(b'[');
                self.scratch.extend_from_slice(ip);
                self.scratch.push(b']');
            }
            (None, Some(ip)) => self.scratch.extend_from_slice(ip),
            (Some(host), None) => self.scratch.extend_from_slice(host),
            (None, None) => {}
        }
        if !self.scratch.is_empty() {
            group.clients.add(&self.scratch);
        }
        if let Some(sender) = event.sender {
            group.senders.add(sender);
        }
        if let Some(domain) = event.recipient_domain {
            // Domains compare without case (RFC 5321, section 2.4).
            self.scratch.clear();
            self.scratch
                .extend(domain.iter().map(u8::to_ascii_lowercase));
            group.domains.add(&self.scratch);
        }
        if group.examples.len() < EXAMPLES {
            let cut = &line[..line.len().min(EXAMPLE_BYTES)];
            let text = String::from_utf8_lossy(cut).into_owned();
            if !group.examples.contains(&text) {
                group.examples.push(text);
            }
        }
    }

    /// Refusals counted so far.
    pub fn total(&self) -> u64 {
        self.groups.values().map(|g| g.count).sum()
    }

    /// The finished groups, largest first, each with the cause the explain signatures give.
    pub fn finish(self, signatures: &Signatures, top: usize) -> Vec<GroupReport> {
        let mut groups: Vec<(Key, Group)> = self.groups.into_iter().collect();
        groups.sort_by(|(ka, a), (kb, b)| {
            b.count
                .cmp(&a.count)
                .then(ka.kind.cmp(&kb.kind))
                .then(ka.code.cmp(&kb.code))
                .then(ka.enhanced.cmp(&kb.enhanced))
                .then(ka.direction.cmp(&kb.direction))
        });
        groups
            .into_iter()
            .map(|(key, group)| report(key, group, signatures, top))
            .collect()
    }
}

/// One group in the report.
#[derive(Debug, Clone, Serialize)]
pub struct GroupReport {
    pub kind: Kind,
    pub code: Option<String>,
    pub enhanced: Option<String>,
    pub count: u64,
    pub first: Option<Stamp>,
    pub last: Option<Stamp>,
    pub cause: Option<String>,
    pub why: String,
    pub top_clients: Vec<ClientCount>,
    pub top_senders: Vec<SenderCount>,
    pub top_recipient_domains: Vec<DomainCount>,
    /// One line of the log, cleaned of control sequences and cut to one line.
    pub example: String,
    /// `incoming`: this server refused a client; `outgoing`: another server refused this one.
    pub direction: Direction,
    /// The explain signature behind `cause`, when one matched: its evidence.
    pub signature: Option<String>,
    /// True when a top list dropped rare values to stay bounded (counts are then lower
    /// bounds; see `Tally`).
    pub approximate: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClientCount {
    pub client: String,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SenderCount {
    pub sender: String,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DomainCount {
    pub domain: String,
    pub count: u64,
}

fn report(key: Key, group: Group, signatures: &Signatures, top: usize) -> GroupReport {
    let (cause, why, signature) = cause_of(key.kind, &group.examples, signatures);
    let values = |tally: &Tally| {
        tally
            .top(top)
            .into_iter()
            .map(|Count { value, count }| (value, count))
    };
    GroupReport {
        kind: key.kind,
        code: key.code.map(|c| String::from_utf8_lossy(&c).into_owned()),
        enhanced: key
            .enhanced
            .map(|(class, subject, detail)| format!("{class}.{subject}.{detail}")),
        count: group.count,
        first: group.first,
        last: group.last,
        cause,
        why,
        top_clients: values(&group.clients)
            .map(|(client, count)| ClientCount { client, count })
            .collect(),
        top_senders: values(&group.senders)
            .map(|(sender, count)| SenderCount { sender, count })
            .collect(),
        top_recipient_domains: values(&group.domains)
            .map(|(domain, count)| DomainCount { domain, count })
            .collect(),
        example: group
            .examples
            .first()
            .map(|line| crate::sanitize::single_line(&mask_passwords(line)))
            .unwrap_or_default(),
        direction: key.direction,
        signature,
        approximate: group.clients.is_approximate()
            || group.senders.is_approximate()
            || group.domains.is_approximate(),
    }
}

/// The cause explain gives the group's example lines, with its reason and the signature that
/// matched; the kind's meaning and no cause when no signature knows the lines.
fn cause_of(
    kind: Kind,
    examples: &[String],
    signatures: &Signatures,
) -> (Option<String>, String, Option<String>) {
    let text = examples.join("\n");
    let explanation = explain::explain(&text, signatures);
    let signature = explanation.matched.first().cloned();
    match (signature, explanation.causes.first()) {
        (Some(signature), Some(cause)) => (
            Some(cause.id.clone()),
            crate::sanitize::single_line(&cause.why),
            Some(signature),
        ),
        _ => (None, kind.meaning().to_owned(), None),
    }
}

/// Dovecot can be set to log the password it was given (`auth_verbose_passwords`); an example
/// line must never show one.
fn mask_passwords(line: &str) -> String {
    const LABELS: [&str; 2] = ["given password: ", "password="];
    let mut out = line.to_owned();
    for label in LABELS {
        let mut from = 0;
        while let Some(at) = out[from..].find(label).map(|i| from + i + label.len()) {
            let end = out[at..]
                .find([')', ',', ' ', ';'])
                .map_or(out.len(), |i| at + i);
            out.replace_range(at..end, "****");
            from = at + 4;
        }
    }
    out
}

/// `5.7.1` → (5, 7, 1); codes with parts out of range are not grouped by.
fn pack_enhanced(code: &[u8]) -> Option<(u8, u16, u16)> {
    let text = std::str::from_utf8(code).ok()?;
    let mut parts = text.split('.');
    let class = parts.next()?.parse().ok()?;
    let subject = parts.next()?.parse().ok()?;
    let detail = parts.next()?.parse().ok()?;
    Some((class, subject, detail))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_example_lines_are_masked() {
        let line = "auth: passwd-file(u,1.2.3.4): Password mismatch (given password: hunter2)";
        assert_eq!(
            mask_passwords(line),
            "auth: passwd-file(u,1.2.3.4): Password mismatch (given password: ****)"
        );
        assert_eq!(mask_passwords("x password=abc, y"), "x password=****, y");
    }

    #[test]
    fn groups_stay_bounded_when_codes_are_many() {
        let mut groups = Groups::default();
        for code in 0..1000u32 {
            let digits = format!("{}", 400 + code % 200);
            let code = [
                digits.as_bytes()[0],
                digits.as_bytes()[1],
                digits.as_bytes()[2],
            ];
            let enhanced = format!("4.{}.{}", code[1], code[2]);
            let event = Event {
                kind: Some(Kind::Other),
                code: Some(code),
                enhanced: Some(enhanced.as_bytes()),
                ..Event::default()
            };
            groups.add(&event, None, b"x");
        }
        assert!(groups.groups.len() <= MAX_GROUPS + 1);
        assert_eq!(groups.total(), 1000);
    }
}
