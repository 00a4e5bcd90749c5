//! `explain`: read an error text, a bounce or log lines, and say whether it is a relay denial,
//! on which side, and the likely causes, ranked.
//!
//! The pipeline is: [`reader`] turns the input into logical lines; every line is scanned once
//! against all [`Signatures`] (one `RegexSet`); each hit contributes its signature's cause
//! priors, weighted by the direction the text reveals (a person's client submitting, or one
//! server delivering to another); the reply code, recipient, hosts and SMTP stage come from the
//! strongest hit's line. The output type [`Explanation`] is the `explain --json` contract.

pub mod reader;
pub mod signatures;
pub mod vocabulary;

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

pub use reader::{Document, InputKind};
pub use signatures::{Signature, Signatures};
pub use vocabulary::Side;

use crate::sanitize;

/// The answer: the `explain --json` contract (first five fields) plus what the wizard can use.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    pub relay_denial: bool,
    /// A relay denial read from a mail program's words or code alone (Outlook's bare
    /// 0x800CCC79), not from the server's reply: the most likely reading, not a certain one.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub probable: bool,
    pub code: Option<String>,
    pub enhanced: Option<String>,
    pub side: Option<Side>,
    /// Most likely first; `not-relay` first when this is not a relay denial.
    pub causes: Vec<RankedCause>,
    /// What this means for the person, in plain words.
    pub summary: String,
    /// The server's reply as found (one line).
    pub reply: Option<String>,
    pub recipient: Option<String>,
    /// The envelope sender a log line names (not taken as the person's account: in a
    /// server's log it may be anyone's).
    pub sender: Option<String>,
    /// The HELO name the refused client gave, from a server log.
    pub helo: Option<String>,
    /// The server that gave the reply, when the text names it.
    pub remote_host: Option<String>,
    /// The client a server log says was refused (`host[ip]`).
    pub client: Option<String>,
    /// The person's own account and outgoing server, where a mail program's dialog names them
    /// (Outlook: "Account: 'me@example.com', Server: 'smtp.example.com'").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_server: Option<String>,
    pub stage: Option<Stage>,
    pub direction: Option<Direction>,
    /// Ids of the signatures that matched, strongest first.
    pub matched: Vec<String>,
    /// Lines per matched signature (a log excerpt repeats the same refusal).
    pub occurrences: BTreeMap<String, usize>,
    /// DESIGN.md facts the wizard can take as already answered.
    pub facts: BTreeMap<String, String>,
    /// What could not be read, or was left out.
    pub notes: Vec<String>,
}

/// One cause with the reason it fits, in a sentence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RankedCause {
    pub id: String,
    pub why: String,
    /// How strongly the text points at it, 0..1 (the wizard's diagnosis weighs it).
    #[serde(skip)]
    pub weight: f64,
}

/// The SMTP command the reply answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Connect,
    Helo,
    Mail,
    Rcpt,
    Data,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connect => "connect",
            Self::Helo => "helo",
            Self::Mail => "mail",
            Self::Rcpt => "rcpt",
            Self::Data => "data",
        }
    }
}

/// Who was talking to whom when the mail was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    /// The person's mail client handing mail to its outgoing server.
    Submission,
    /// A server's log of a client it refused (the client may be a person or a server).
    Incoming,
    /// One server delivering to another (a bounce from the recipient's side).
    Delivery,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submission => "submission",
            Self::Incoming => "incoming",
            Self::Delivery => "delivery",
        }
    }
}

/// Explains text already in memory (the CLI reads bytes through [`explain_bytes`]).
/// The error signatures of `knowledge`, checked against its causes and facts; compiled on
/// first use (their regexes cost more to build than the whole tree, and most commands never
/// need them) and kept with the knowledge.
pub fn signatures(
    knowledge: &crate::knowledge::Knowledge,
) -> Result<&Signatures, &crate::diagnostic::Diagnostics> {
    knowledge
        .compiled_once(|| Signatures::load(knowledge.signature_files(), knowledge))
        .as_ref()
}

pub fn explain(input: &str, signatures: &Signatures) -> Explanation {
    explain_document(reader::read(input), signatures)
}

/// Explains raw bytes: caps the size and tolerates invalid UTF-8.
pub fn explain_bytes(input: &[u8], signatures: &Signatures) -> Explanation {
    explain_document(reader::read_bytes(input), signatures)
}

/// A signature matching one line, with what its pattern captured.
#[derive(Debug)]
struct Hit {
    signature: usize,
    line: usize,
    /// Byte range of the match in its line: a longer match that contains it is more specific.
    span: (usize, usize),
    captures: HashMap<String, String>,
}

/// Extracted values are shown to people and stored in facts: one clean line, bounded.
const MAX_FIELD_CHARS: usize = 320;

fn clean(text: &str) -> String {
    let line = sanitize::single_line(text);
    let line = line.trim();
    if line.chars().count() <= MAX_FIELD_CHARS {
        return line.to_string();
    }
    let mut cut: String = line.chars().take(MAX_FIELD_CHARS).collect();
    cut.push('…');
    cut
}

fn explain_document(document: Document, signatures: &Signatures) -> Explanation {
    let mut hits: Vec<Hit> = Vec::new();
    let mut occurrences: BTreeMap<String, usize> = BTreeMap::new();
    // Lines that matched any signature: what a log summary counts.
    let mut matching_lines = 0usize;
    for (line_index, line) in document.lines.iter().enumerate() {
        let matching = signatures.matching(&line.text);
        matching_lines += usize::from(!matching.is_empty());
        for index in matching {
            let Some(signature) = signatures.get(index) else {
                continue;
            };
            *occurrences.entry(signature.id.clone()).or_default() += 1;
            // A log can repeat one refusal thousands of times; the first few say it all.
            let seen = hits.iter().filter(|h| h.signature == index).count();
            if seen >= 8 {
                continue;
            }
            let found = signature.regex.captures(&line.text);
            let span = found
                .as_ref()
                .and_then(|c| c.get(0))
                .map_or((0, 0), |m| (m.start(), m.end()));
            let captures = found
                .map(|found| {
                    signature
                        .regex
                        .capture_names()
                        .flatten()
                        .filter_map(|name| {
                            let value = found.name(name)?.as_str();
                            (!value.trim().is_empty()).then(|| (name.to_string(), clean(value)))
                        })
                        .collect()
                })
                .unwrap_or_default();
            hits.push(Hit {
                signature: index,
                line: line_index,
                span,
                captures,
            });
        }
    }
    drop_subsumed(&mut hits);

    let relay_lines: Vec<usize> = hits
        .iter()
        .filter(|hit| relay_flag(signatures, hit) == Some(true))
        .map(|hit| hit.line)
        .collect();
    // A mail program's code alone (Outlook's bare 0x800CCC79) is read as what it most often
    // means when nothing else in the text decides: a relay denial, said to be a likely one.
    let probable = relay_lines.is_empty()
        && !hits.iter().any(|hit| relay_flag(signatures, hit).is_some())
        && hits.iter().any(|hit| {
            signatures
                .get(hit.signature)
                .is_some_and(|s| s.likely_relay_denial)
        });
    let relay_denial = !relay_lines.is_empty() || probable;
    // On a line that is a relay denial, a look-alike's match is incidental (a generic 5.7.x).
    hits.retain(|hit| {
        relay_flag(signatures, hit) != Some(false) || !relay_lines.contains(&hit.line)
    });

    if document.kind == InputKind::Log && relay_denial {
        drop_other_clients(&mut hits, signatures);
    }
    let direction = direction_of(&document, &hits, signatures);
    let (mut causes, top_evidence) = rank_causes(&hits, signatures, relay_denial, direction);
    let primary = top_evidence
        .and_then(|signature| hits.iter().find(|hit| hit.signature == signature))
        .or_else(|| primary_hit(&hits, signatures, relay_denial));
    let primary_line = primary.map(|hit| document.lines[hit.line].text.as_str());

    let mut found = Found::default();
    if let Some(hit) = primary {
        found.take_captures(&hit.captures);
    }
    // Wrappers (client dialogs) and other hits on the same line may know more.
    for hit in &hits {
        if Some(hit.line) == primary.map(|p| p.line) {
            found.take_captures(&hit.captures);
        }
    }
    if let Some(line) = primary_line {
        found.read_line(line);
    }
    if found.stage.is_none()
        && let Some(hit) = primary
    {
        // In a session transcript the reply follows the client's command.
        found.stage = document.lines[hit.line.saturating_sub(2)..hit.line]
            .iter()
            .rev()
            .find_map(|line| CLIENT_COMMAND.captures(&line.text))
            .and_then(|c| c.name("stage").and_then(|m| parse_stage(m.as_str())));
    }
    found.read_document(&document);
    let (account, account_server) = account_of(&document);
    // Other matched lines may name what the primary one leaves out (a bounce's text part
    // says "in reply to RCPT TO", its DSN part does not); the reply code stays the primary's.
    for hit in hits
        .iter()
        .filter(|h| Some(h.line) != primary.map(|p| p.line))
    {
        found.fill_details(&document.lines[hit.line].text);
    }
    if found.code.is_none() && found.enhanced.is_none() && hits.is_empty() {
        // Nothing recognised: still report the first SMTP reply, so the person sees what we saw.
        if let Some(line) = document
            .lines
            .iter()
            .find(|l| REPLY.is_match(&l.text) || ENHANCED.is_match(&l.text))
        {
            found.read_line(&line.text);
        }
    }

    let temporary = relay_denial && found.is_temporary();
    if temporary {
        let reply = [found.code.as_deref(), found.enhanced.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        put_temporary_first(&mut causes, &reply);
    }
    let side = if relay_denial {
        causes.first().and_then(|c| signatures.side_of(&c.id))
    } else {
        None
    };

    let mut matched: Vec<String> = Vec::new();
    if let Some(signature) = primary.and_then(|hit| signatures.get(hit.signature)) {
        matched.push(signature.id.clone());
    }
    for hit in &hits {
        if let Some(signature) = signatures.get(hit.signature)
            && !matched.contains(&signature.id)
        {
            matched.push(signature.id.clone());
        }
    }
    occurrences.retain(|id, _| matched.contains(id));

    let facts = facts_of(&document, &hits, primary, signatures, direction);
    let mut notes = document.notes;
    if probable {
        notes.push(
            "Only the mail program's own words or error number were recognised, not the \
             server's reply: they mean the server refused a recipient, which is most often a \
             relay denial. The server's reply (Outlook: \"Server Response\") says for sure."
                .to_string(),
        );
    }
    let summary = summarise(SummaryInput {
        relay_denial,
        probable,
        temporary,
        direction,
        primary: primary.and_then(|hit| signatures.get(hit.signature)),
        found: &found,
        nothing_found: hits.is_empty(),
        log_lines: if document.kind == InputKind::Log {
            matching_lines
        } else {
            0
        },
    });

    Explanation {
        relay_denial,
        probable,
        code: found.code.clone(),
        enhanced: found.enhanced.clone(),
        side,
        causes,
        summary,
        reply: primary_line.map(clean),
        recipient: found.recipient.clone(),
        sender: found.sender.clone(),
        helo: found.helo.clone(),
        remote_host: found.remote_host.clone(),
        client: found.client.clone(),
        account,
        account_server,
        stage: found.stage,
        direction,
        matched,
        occurrences,
        facts,
        notes,
    }
}

/// Outlook's send dialog: "… Account: 'me@example.com', Server: 'smtp.example.com', Protocol:
/// SMTP …". Only an address counts as the account (Outlook may show an account's display name).
static DIALOG_ACCOUNT: LazyLock<Regex> = LazyLock::new(|| {
    compile_static(
        r"(?i)\bAccount: '(?P<account>[^'\s]{1,200})',\s*Server: '(?P<server>[A-Za-z0-9.-]{1,253})'",
    )
});

fn account_of(document: &Document) -> (Option<String>, Option<String>) {
    document
        .lines
        .iter()
        .find_map(|line| DIALOG_ACCOUNT.captures(&line.text))
        .map_or((None, None), |captures| {
            let account = captures
                .name("account")
                .map(|m| clean(m.as_str()))
                .filter(|account| account.contains('@'));
            let server = captures.name("server").map(|m| clean(m.as_str()));
            (account, server)
        })
}

/// Drops a hit when another signature matched a longer stretch of the same line around it:
/// "Relaying denied. IP name lookup failed" says more than "Relaying denied", so the general
/// signature's guesses must not outvote the specific one's.
fn drop_subsumed(hits: &mut Vec<Hit>) {
    let mut keep = vec![true; hits.len()];
    // Hits arrive grouped by line, so only neighbours on the same line are compared.
    let mut start = 0;
    while start < hits.len() {
        let line = hits[start].line;
        let end = hits[start..]
            .iter()
            .position(|h| h.line != line)
            .map_or(hits.len(), |offset| start + offset);
        for inner in start..end {
            let (a, b) = hits[inner].span;
            keep[inner] = !(start..end).any(|outer| {
                let (c, d) = hits[outer].span;
                outer != inner
                    && hits[outer].signature != hits[inner].signature
                    && c <= a
                    && b <= d
                    && d - c > b - a
            });
        }
        start = end;
    }
    let mut flags = keep.into_iter();
    hits.retain(|_| flags.next().unwrap_or(true));
}

/// In a server log, a look-alike about another client (a failed login from elsewhere) says
/// nothing about why this client was refused; keep only those from a refused client's address.
fn drop_other_clients(hits: &mut Vec<Hit>, signatures: &Signatures) {
    let refused: Vec<String> = hits
        .iter()
        .filter(|hit| relay_flag(signatures, hit) == Some(true))
        .filter_map(|hit| hit.captures.get("client_ip").cloned())
        .collect();
    if refused.is_empty() {
        return;
    }
    hits.retain(|hit| {
        relay_flag(signatures, hit) != Some(false)
            || hit
                .captures
                .get("client_ip")
                .is_none_or(|ip| refused.contains(ip))
    });
}

fn relay_flag(signatures: &Signatures, hit: &Hit) -> Option<bool> {
    signatures.get(hit.signature).and_then(|s| s.relay_denial)
}

/// The hit whose line best represents the input: a relay denial when there is one, else a
/// look-alike, else a wrapper; the strongest signature wins, then the earliest line.
fn primary_hit<'h>(
    hits: &'h [Hit],
    signatures: &Signatures,
    relay_denial: bool,
) -> Option<&'h Hit> {
    let wanted = |hit: &&Hit| match relay_flag(signatures, hit) {
        Some(true) => relay_denial,
        Some(false) => !relay_denial,
        None => false,
    };
    let strength = |hit: &Hit| {
        signatures
            .get(hit.signature)
            .and_then(|s| s.causes.first())
            .map_or(0.0, |c| c.weight)
    };
    let best = hits
        .iter()
        .filter(wanted)
        .fold(None::<&Hit>, |best, hit| match best {
            Some(current) if strength(current) >= strength(hit) => Some(current),
            _ => Some(hit),
        });
    best.or_else(|| hits.first())
}

// ---------------------------------------------------------------------------------------------
// Direction

/// Words a server writes when it reports another server's refusal.
static DELIVERY_MARKERS: LazyLock<Regex> = LazyLock::new(|| {
    compile_static(
        r"(?i)\bhost\s+\S+\s*\[[^\]]*\]\s*said:|SMTP error from remote (?:mail server|mailer)|\(in reply to [a-z -]+ command\)|^Remote-MTA:|^Diagnostic-Code:|status=(?:bounced|deferred)|Remote Server returned|\bremote (?:server|host) (?:said|returned|replied)|while talking to \S+:|The error that the other server returned|Remote host said:|does not like recipient|\bGiving up on \S+",
    )
});

/// Words a server writes when it logs a client it refused itself.
static INCOMING_MARKERS: LazyLock<Regex> = LazyLock::new(|| {
    compile_static(
        r"(?i)\breject:\s+(?:RCPT|MAIL|DATA|CONNECT|HELO|EHLO|END-OF-MESSAGE)\s+from\b|\brejected (?:RCPT|MAIL|EHLO|HELO|connection)\b|\bruleset=check_(?:rcpt|mail|relay)\b",
    )
});

fn direction_of(document: &Document, hits: &[Hit], signatures: &Signatures) -> Option<Direction> {
    let mut delivery = document.kind == InputKind::Message
        && (document.looks_like_bounce || !document.delivery_status.is_empty());
    let mut incoming = false;
    let mut submission = false;
    // A pasted bounce names the remote server on a line of its own ("Remote-MTA:", "host x
    // said:"); a log is read line by line, since one log mixes incoming and outgoing mail.
    if document.kind != InputKind::Log {
        delivery |= document
            .lines
            .iter()
            .any(|line| DELIVERY_MARKERS.is_match(&line.text));
    }
    for hit in hits {
        let line = &document.lines[hit.line].text;
        delivery |= DELIVERY_MARKERS.is_match(line);
        incoming |= INCOMING_MARKERS.is_match(line);
        if let Some(signature) = signatures.get(hit.signature) {
            submission |= signature.facts.get("error.where").map(String::as_str) == Some("client");
        }
    }
    // A bounce text names the remote server; that outranks the wrapper it was pasted from.
    if delivery {
        Some(Direction::Delivery)
    } else if submission {
        Some(Direction::Submission)
    } else if incoming {
        Some(Direction::Incoming)
    } else {
        None
    }
}

/// How much a cause of each side counts, given the direction; 1.0 when it says nothing.
fn direction_factor(signatures: &Signatures, direction: Option<Direction>, cause: &str) -> f64 {
    if cause == "temporary-relay-deferral" || cause == vocabulary::NOT_RELAY {
        return 1.0;
    }
    match (direction, signatures.side_of(cause)) {
        (Some(Direction::Delivery), Some(Side::RecipientMx)) => 1.0,
        (Some(Direction::Delivery), Some(_)) => 0.35,
        (Some(Direction::Submission), Some(Side::RecipientMx)) => 0.3,
        (Some(Direction::Submission), Some(Side::SenderMx)) => 0.8,
        _ => 1.0,
    }
}

// ---------------------------------------------------------------------------------------------
// Ranking

fn rank_causes(
    hits: &[Hit],
    signatures: &Signatures,
    relay_denial: bool,
    direction: Option<Direction>,
) -> (Vec<RankedCause>, Option<usize>) {
    // cause → (best score, why of the best, number of distinct signatures supporting it)
    let mut scores: HashMap<&str, (f64, &str, usize)> = HashMap::new();
    // cause → (best score, signature) among signatures that decide (not a client's wrapper):
    // the evidence behind the top cause is the line the answer quotes.
    let mut evidence: HashMap<&str, (f64, usize)> = HashMap::new();
    let mut order: Vec<&str> = Vec::new();
    let mut seen_signatures: Vec<usize> = Vec::new();
    for hit in hits {
        if seen_signatures.contains(&hit.signature) {
            continue;
        }
        seen_signatures.push(hit.signature);
        let Some(signature) = signatures.get(hit.signature) else {
            continue;
        };
        for prior in &signature.causes {
            if relay_denial && prior.cause == vocabulary::NOT_RELAY {
                continue;
            }
            // A client's dialog around a look-alike says nothing about relay causes.
            if !relay_denial && signature.relay_denial.is_none() {
                continue;
            }
            // A signature that names the side already knows the direction; only the general
            // ones are weighed by what the rest of the text says.
            let factor = if signature.side.is_some() {
                1.0
            } else {
                direction_factor(signatures, direction, &prior.cause)
            };
            let score = prior.weight * factor;
            let entry = scores.entry(prior.cause.as_str()).or_insert_with(|| {
                order.push(prior.cause.as_str());
                (score, prior.why.as_str(), 0)
            });
            if score > entry.0 {
                entry.0 = score;
                entry.1 = prior.why.as_str();
            }
            entry.2 += 1;
            // Evidence is a line of the kind the answer is about: the refusal itself when it
            // is a relay denial, the look-alike when it is not.
            if signature.relay_denial == Some(relay_denial) {
                let best = evidence
                    .entry(prior.cause.as_str())
                    .or_insert((score, hit.signature));
                if score > best.0 {
                    *best = (score, hit.signature);
                }
            }
        }
    }
    let mut ranked: Vec<(f64, usize, RankedCause)> = order
        .iter()
        .enumerate()
        .filter_map(|(position, cause)| {
            let (score, why, support) = scores.get(cause)?;
            // Each further signature pointing the same way adds a little confidence.
            let score = score + 0.05 * (support.saturating_sub(1) as f64);
            Some((
                score,
                position,
                RankedCause {
                    id: (*cause).to_string(),
                    why: (*why).to_string(),
                    weight: score.min(1.0),
                },
            ))
        })
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut causes: Vec<RankedCause> = ranked.into_iter().map(|(_, _, cause)| cause).collect();
    let top_evidence = causes
        .iter()
        .find_map(|cause| evidence.get(cause.id.as_str()))
        .map(|(_, signature)| *signature);

    if relay_denial && causes.is_empty() {
        causes.push(RankedCause {
            id: "client-auth-off".into(),
            why: "Most relay denials come from a mail client that does not log in to its \
                  outgoing server."
                .into(),
            weight: 0.5,
        });
    }
    if !relay_denial {
        causes.retain(|c| c.id != vocabulary::NOT_RELAY);
        let why = if hits.is_empty() {
            "No relay-denial wording was found in this text, and it matches no known error."
        } else {
            "This error is about something else than relaying; see the summary for what it is."
        };
        let why = hits
            .iter()
            .filter_map(|hit| signatures.get(hit.signature))
            .filter(|s| s.relay_denial == Some(false))
            .flat_map(|s| s.causes.iter())
            .find(|c| c.cause == vocabulary::NOT_RELAY)
            .map_or(why, |c| c.why.as_str());
        // A known look-alike is firm evidence; text that matches nothing is only a hint.
        let weight = if hits.is_empty() { 0.5 } else { 0.9 };
        causes.insert(
            0,
            RankedCause {
                id: vocabulary::NOT_RELAY.into(),
                why: why.to_string(),
                weight,
            },
        );
    }
    (causes, top_evidence)
}

/// A 4xx relay refusal is, first of all, temporary; what it would be if permanent follows.
fn put_temporary_first(causes: &mut Vec<RankedCause>, reply: &str) {
    causes.retain(|c| c.id != "temporary-relay-deferral");
    causes.insert(
        0,
        RankedCause {
            id: "temporary-relay-deferral".into(),
            why: format!(
                "The code starts with 4 ({reply}): the server refused to relay for now and the \
                 sending side will retry; it keeps failing until the reason below is fixed."
            ),
            weight: 0.6,
        },
    );
}

// ---------------------------------------------------------------------------------------------
// What the text says: code, recipient, hosts, stage

static REPLY: LazyLock<Regex> = LazyLock::new(|| {
    compile_static(
        r#"(?:^|[^0-9A-Za-z._/#+-])(?P<code>[245][0-9]{2})(?:[ -]|$)(?:\s*\(?#?(?P<enhanced>[245]\.[0-9]{1,3}\.[0-9]{1,3})(?:$|[^0-9.]|\.(?:$|\s)))?"#,
    )
});

static ENHANCED: LazyLock<Regex> = LazyLock::new(|| {
    compile_static(
        r"(?:^|[^0-9.])(?P<enhanced>[245]\.[0-9]{1,3}\.[0-9]{1,3})(?:$|[^0-9.]|\.(?:$|\s))",
    )
});

static STAGE: LazyLock<Regex> = LazyLock::new(|| {
    compile_static(
        r"(?i)(?:in reply to|after|reject:|rejected|during|response to) (?P<stage>RCPT TO|RCPT|MAIL FROM|MAIL|end of data|END-OF-MESSAGE|DATA|HELO|EHLO|CONNECT|initial connection|connection)\b",
    )
});

/// A client command in a session transcript (swaks, PHPMailer debug, telnet notes).
static CLIENT_COMMAND: LazyLock<Regex> = LazyLock::new(|| {
    compile_static(
        r"(?i)(?:^|\s)(?:->|~>|>|C:|CLIENT -> SERVER:)\s*(?P<stage>RCPT TO|MAIL FROM|DATA|EHLO|HELO)\b",
    )
});

static RECIPIENT: LazyLock<Regex> = LazyLock::new(|| {
    compile_static(
        r"(?i)(?:RCPT TO:?\s*|RCPT\s+|\bto=|rejected e-mail address was\s+'?|rejected email address was\s+'?|Final-Recipient:\s*rfc822;\s*)<?(?P<recipient>[^<>\s@'()]+@[^<>\s@'()]+?)>?(?:[\s,:;'>)]|$)",
    )
});

static ANGLE_ADDRESS: LazyLock<Regex> =
    LazyLock::new(|| compile_static(r"<(?P<address>[^<>\s@]+@[^<>\s@]+)>"));

static REMOTE_HOST: LazyLock<Regex> = LazyLock::new(|| {
    compile_static(
        r"(?i)\bhost\s+(?P<host>[a-z0-9.-]+)\s*\[(?P<ip>[0-9a-f:.]+)\]|\brelay=(?P<relay>[a-z0-9.-]+\[[0-9a-f:.]+\](?::\d+)?)|Server:\s*'(?P<server>[^']+)'|\bserver\s+(?P<said>[a-z0-9.-]+\.[a-z]{2,})\s+(?:said|responded|returned)",
    )
});

static CLIENT: LazyLock<Regex> = LazyLock::new(|| {
    compile_static(
        r"(?i)\b(?:RCPT|MAIL|DATA|CONNECT|HELO|EHLO|END-OF-MESSAGE) from (?P<client>[a-z0-9.-]*\[[0-9a-f:.]+\])|\bH=(?P<exim>(?:[a-z0-9.-]+ )?(?:\([^)]*\) )?\[[0-9a-f:.]+\])",
    )
});

/// Compiles a pattern written in this file; a typo is a bug caught by the unit tests, and
/// the fallback (a pattern that never matches) keeps a release build from panicking.
fn compile_static(pattern: &str) -> Regex {
    signatures::compile(pattern).unwrap_or_else(|_| {
        debug_assert!(false, "built-in pattern does not compile: {pattern}");
        Regex::new(r"[^\s\S]").unwrap_or_else(|_| unreachable!())
    })
}

#[derive(Debug, Default)]
struct Found {
    code: Option<String>,
    enhanced: Option<String>,
    recipient: Option<String>,
    remote_host: Option<String>,
    client: Option<String>,
    stage: Option<Stage>,
    sender: Option<String>,
    helo: Option<String>,
}

impl Found {
    fn take_captures(&mut self, captures: &HashMap<String, String>) {
        let set = |slot: &mut Option<String>, key: &str| {
            if slot.is_none() {
                *slot = captures.get(key).cloned();
            }
        };
        set(&mut self.code, "code");
        set(&mut self.enhanced, "enhanced");
        set(&mut self.recipient, "recipient");
        set(&mut self.remote_host, "host");
        set(&mut self.sender, "sender");
        set(&mut self.helo, "helo");
        if self.client.is_none() {
            self.client = match (captures.get("client_host"), captures.get("client_ip")) {
                (Some(host), Some(ip)) => Some(format!("{host}[{ip}]")),
                (None, Some(ip)) => Some(format!("[{ip}]")),
                (Some(host), None) => Some(host.clone()),
                (None, None) => None,
            };
        }
        if self.stage.is_none() {
            self.stage = captures.get("stage").and_then(|s| parse_stage(s));
        }
    }

    fn read_line(&mut self, line: &str) {
        if (self.code.is_none() || self.enhanced.is_none())
            && let Some(reply) = REPLY.captures(line)
        {
            let code = reply.name("code").map(|m| m.as_str().to_string());
            if self.code.is_none() {
                self.code = code;
            }
            if self.enhanced.is_none() {
                self.enhanced = reply.name("enhanced").map(|m| m.as_str().to_string());
            }
        }
        if self.enhanced.is_none() {
            self.enhanced = ENHANCED
                .captures(line)
                .and_then(|c| c.name("enhanced"))
                .map(|m| m.as_str().to_string());
        }
        if self.stage.is_none() {
            self.stage = STAGE
                .captures(line)
                .and_then(|c| c.name("stage"))
                .and_then(|m| parse_stage(m.as_str()));
        }
        if self.recipient.is_none() {
            self.recipient = RECIPIENT
                .captures(line)
                .and_then(|c| c.name("recipient"))
                .or_else(|| ANGLE_ADDRESS.captures(line).and_then(|c| c.name("address")))
                .map(|m| clean(m.as_str()));
        }
        if self.remote_host.is_none()
            && let Some(found) = REMOTE_HOST.captures(line)
        {
            self.remote_host = match (found.name("host"), found.name("ip")) {
                (Some(host), Some(ip)) => Some(format!("{}[{}]", host.as_str(), ip.as_str())),
                _ => ["relay", "server", "said"]
                    .iter()
                    .find_map(|name| found.name(name))
                    .map(|m| m.as_str().to_string()),
            }
            .map(|h| clean(&h));
        }
        if self.client.is_none() {
            self.client = CLIENT.captures(line).and_then(|c| {
                c.name("client")
                    .or_else(|| c.name("exim"))
                    .map(|m| clean(m.as_str()))
            });
        }
        // A client dialog (Outlook, Thunderbird) says the recipient was refused: RCPT.
        if self.stage.is_none()
            && line
                .to_ascii_lowercase()
                .contains("recipients was rejected")
        {
            self.stage = Some(Stage::Rcpt);
        }
    }

    /// Fills stage, recipient and hosts from a secondary line, never the reply code.
    fn fill_details(&mut self, line: &str) {
        let (code, enhanced) = (self.code.take(), self.enhanced.take());
        self.code = Some(String::new());
        self.enhanced = Some(String::new());
        self.read_line(line);
        self.code = code;
        self.enhanced = enhanced;
    }

    fn read_document(&mut self, document: &Document) {
        if let Some(status) = document.delivery_status.first() {
            if self.enhanced.is_none() {
                self.enhanced = status.status.as_deref().map(clean);
            }
            if let Some(diagnostic) = &status.diagnostic_code {
                self.read_line(diagnostic);
            }
            if self.recipient.is_none() {
                self.recipient = status.final_recipient.as_deref().map(clean);
            }
            if self.remote_host.is_none() {
                self.remote_host = status.remote_mta.as_deref().map(clean);
            }
        }
        if self.recipient.is_none() {
            self.recipient = document.failed_recipients.as_deref().map(clean);
        }
        // An enhanced code must agree with the reply's class (5.x.x with 5yz).
        if let (Some(code), Some(enhanced)) = (&self.code, &self.enhanced)
            && code.get(..1) != enhanced.get(..1)
        {
            self.enhanced = None;
        }
    }

    fn is_temporary(&self) -> bool {
        match (&self.code, &self.enhanced) {
            (Some(code), _) => code.starts_with('4'),
            (None, Some(enhanced)) => enhanced.starts_with('4'),
            (None, None) => false,
        }
    }
}

fn parse_stage(text: &str) -> Option<Stage> {
    let lower = text.to_ascii_lowercase();
    Some(if lower.starts_with("rcpt") {
        Stage::Rcpt
    } else if lower.starts_with("mail") {
        Stage::Mail
    } else if lower.starts_with("data") || lower.starts_with("end") {
        Stage::Data
    } else if lower.starts_with("helo") || lower.starts_with("ehlo") {
        Stage::Helo
    } else if lower.contains("connect") {
        Stage::Connect
    } else {
        return None;
    })
}

// ---------------------------------------------------------------------------------------------
// Facts and summary

fn facts_of(
    document: &Document,
    hits: &[Hit],
    primary: Option<&Hit>,
    signatures: &Signatures,
    direction: Option<Direction>,
) -> BTreeMap<String, String> {
    let mut facts = BTreeMap::new();
    // The strongest hit's facts first; others fill what it leaves open.
    let ordered = primary.into_iter().chain(hits.iter());
    for hit in ordered {
        if let Some(signature) = signatures.get(hit.signature) {
            for (key, value) in &signature.facts {
                // In a bounce, a reply's wording names the *remote* server's software; only a
                // signature of the bounce itself speaks for the person's own server.
                if key == "server.software"
                    && direction == Some(Direction::Delivery)
                    && signature.side.is_none()
                {
                    continue;
                }
                facts.entry(key.clone()).or_insert_with(|| value.clone());
            }
        }
    }
    let place = match (document.kind, direction) {
        (InputKind::Log, _) | (_, Some(Direction::Incoming)) => Some("server-log"),
        (InputKind::Message, _) | (_, Some(Direction::Delivery)) => Some("bounce"),
        (_, Some(Direction::Submission)) => Some("client"),
        _ => None,
    };
    if let Some(place) = place {
        // The text's shape outranks a signature's guess (a client dialog quoting a bounce).
        facts.insert("error.where".into(), place.into());
    }
    if let Some(hit) = primary {
        facts.insert("error.text".into(), clean(&document.lines[hit.line].text));
    }
    facts
}

struct SummaryInput<'a> {
    relay_denial: bool,
    /// Read as a relay denial from a mail program's words alone (see `likely_relay_denial`).
    probable: bool,
    temporary: bool,
    direction: Option<Direction>,
    primary: Option<&'a Signature>,
    found: &'a Found,
    nothing_found: bool,
    log_lines: usize,
}

fn summarise(input: SummaryInput<'_>) -> String {
    let SummaryInput {
        relay_denial,
        probable,
        temporary,
        direction,
        primary,
        found,
        nothing_found,
        log_lines,
    } = input;
    let mut parts: Vec<String> = Vec::new();
    if nothing_found {
        parts.push(
            "relaydoc found no relay denial and no error it knows in this text. If you \
             copied only part of the message, paste the whole error or bounce."
                .to_string(),
        );
        return parts.join(" ");
    }
    if !relay_denial {
        parts.push("This is not a relay denial.".to_string());
        if let Some(meaning) = primary.and_then(|s| s.meaning.as_deref()) {
            parts.push(meaning.to_string());
        }
        return parts.join(" ");
    }
    if temporary {
        parts.push(
            "This is a temporary relay refusal (454 4.7.1): the server would not pass the \
             message on for now. Postfix answers this way by default since version 2.10 \
             (defer_unauth_destination) and when soft_bounce is on, so that a settings \
             mistake delays mail instead of bouncing it. The sending side keeps retrying for \
             a few days, but it will keep failing until the cause is fixed."
                .to_string(),
        );
    } else if probable {
        parts.push(
            "This is most likely a relay denial: the outgoing server refused a recipient, and \
             that most often means it would not pass the message on to a domain it does not \
             handle, because it did not recognise the sender as one of its own."
                .to_string(),
        );
    } else {
        parts.push(
            "This is a relay denial: a mail server refused to pass the message on to a domain \
             it does not handle, because it did not recognise the sender as one of its own \
             (no login, or not from a network it trusts)."
                .to_string(),
        );
        let permanent = found.code.as_deref().is_some_and(|c| c.starts_with('5'))
            || found
                .enhanced
                .as_deref()
                .is_some_and(|e| e.starts_with('5'));
        if permanent {
            parts.push(
                "The refusal is permanent (5xx, e.g. Postfix's reject_unauth_destination with \
                 relay_domains_reject_code 554): nothing retries it, so fix the cause, then \
                 send again."
                    .to_string(),
            );
        }
    }
    if let Some(meaning) = primary.and_then(|s| s.meaning.as_deref())
        && !temporary
    {
        parts.push(meaning.to_string());
    }
    match direction {
        Some(Direction::Delivery) => parts.push(
            "It came back from another server during delivery (not from your own mail \
             program): usually the server that received it does not take mail for the \
             recipient's domain, or the domain's MX record points at the wrong server."
                .to_string(),
        ),
        Some(Direction::Submission) => parts.push(
            "Your own mail program got this answer from its outgoing server, so the fix is \
             most likely in that program's outgoing-server settings."
                .to_string(),
        ),
        Some(Direction::Incoming) => parts.push(
            "This is your server's log of a client it refused: the client neither logged in \
             nor came from a trusted network, and the recipient is not local."
                .to_string(),
        ),
        None => {}
    }
    if log_lines > 1 {
        parts.push(format!("{log_lines} matching log lines were read."));
    }
    parts.join(" ")
}

impl Explanation {
    /// The wizard's facts this explanation answers, so the questions they settle are skipped:
    /// what kind of error it is, where it was seen, its code, what a bounce mentions, and the
    /// facts signatures carry (server software, POP-before-SMTP…).
    pub fn wizard_facts(&self) -> BTreeMap<String, String> {
        let mut facts: BTreeMap<String, String> = self
            .facts
            .iter()
            .filter(|(key, _)| key.as_str() != "error.text")
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        if self.relay_denial {
            facts.insert("error.kind".into(), "relay".into());
        } else if self.code.is_some() && !facts.contains_key("error.kind") {
            // A server's reply that no signature calls a relay denial, nor names as another
            // known kind: "something else" (only with a reply code, so that a paste that is
            // no error at all still lets the person say what it was).
            facts.insert("error.kind".into(), "other".into());
        }
        if let Some(account) = &self.account {
            facts.insert("account.email".into(), account.clone());
        }
        if let Some(server) = &self.account_server {
            facts.insert("client.server_host".into(), server.clone());
        }
        if let Some(code) = &self.code {
            let code = match code.as_str() {
                "554" | "454" | "550" => code.clone(),
                _ => "other".into(),
            };
            facts.insert("error.code".into(), code);
        }
        // What a bounce from the recipient's side mentions, read off the leading cause.
        if self.relay_denial && self.side == Some(Side::RecipientMx) {
            let mentions = self
                .causes
                .first()
                .and_then(|cause| match cause.id.as_str() {
                    "sender-blacklisted" => Some("blocklist"),
                    "sender-verify-failed" => Some("sender-verify"),
                    "recipient-account-invalid" => Some("mailbox"),
                    "recipient-domain-not-local" => Some("domain-not-local"),
                    _ => None,
                });
            if let Some(mentions) = mentions {
                facts.insert("bounce.mentions".into(), mentions.into());
            }
        }
        facts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_patterns_compile() {
        for regex in [
            &*DELIVERY_MARKERS,
            &*INCOMING_MARKERS,
            &*REPLY,
            &*ENHANCED,
            &*STAGE,
            &*RECIPIENT,
            &*CLIENT_COMMAND,
            &*ANGLE_ADDRESS,
            &*REMOTE_HOST,
            &*CLIENT,
        ] {
            assert!(!regex.as_str().is_empty());
            assert!(!regex.is_match("\u{0}"), "{}", regex.as_str());
        }
    }

    #[test]
    fn reply_code_and_enhanced_status() {
        let mut found = Found::default();
        found.read_line("host mx[192.0.2.1] said: 554 5.7.1 <a@b.example>: Relay access denied (in reply to RCPT TO command)");
        assert_eq!(found.code.as_deref(), Some("554"));
        assert_eq!(found.enhanced.as_deref(), Some("5.7.1"));
        assert_eq!(found.recipient.as_deref(), Some("a@b.example"));
        assert_eq!(found.remote_host.as_deref(), Some("mx[192.0.2.1]"));
        assert_eq!(found.stage, Some(Stage::Rcpt));
    }

    #[test]
    fn qmail_style_enhanced_code() {
        let mut found = Found::default();
        found.read_line("553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)");
        assert_eq!(found.code.as_deref(), Some("553"));
        assert_eq!(found.enhanced.as_deref(), Some("5.7.1"));
    }

    #[test]
    fn ip_addresses_are_not_status_codes() {
        let mut found = Found::default();
        found.read_line("connect from unknown[5.7.1.2] at 10:11:12");
        assert_eq!(found.code, None);
        assert_eq!(found.enhanced, None);
    }

    #[test]
    fn postfix_reject_names_the_client() {
        let mut found = Found::default();
        found.read_line("NOQUEUE: reject: RCPT from unknown[127.0.0.1]: 554 5.7.1 <someone@example.org>: Relay access denied; from=<alice@example.test> to=<someone@example.org>");
        assert_eq!(found.client.as_deref(), Some("unknown[127.0.0.1]"));
        assert_eq!(found.recipient.as_deref(), Some("someone@example.org"));
        assert_eq!(found.stage, Some(Stage::Rcpt));
    }
}

#[cfg(test)]
mod dialog_tests {
    use super::*;

    #[test]
    fn outlook_dialog_names_the_account_and_its_server() {
        let text = "The message could not be sent because one of the recipients was rejected by \
                    the server. The rejected e-mail address was 'bob@example.org'. Subject 'Test', \
                    Account: 'maria@gmx.de', Server: 'mail.gmx.net', Protocol: SMTP, Server \
                    Response: '554 5.7.1 <bob@example.org>: Relay access denied', Port: 25, \
                    Secure(SSL): No, Server Error: 554, Error Number: 0x800CCC79";
        let document = reader::read(text);
        let lines: Vec<&str> = document.lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(
            account_of(&document),
            (Some("maria@gmx.de".into()), Some("mail.gmx.net".into())),
            "{lines:?}"
        );
        // A display name is not an address: no account then.
        let named = reader::read("Account: 'Maria at work', Server: 'mail.gmx.net'");
        assert_eq!(account_of(&named).0, None);
    }
}
