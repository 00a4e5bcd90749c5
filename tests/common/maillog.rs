//! A generator of realistic Postfix logs whose true counts are known: the tests of
//! `relaydoc logs` compare its counts with these, and `examples/gen_maillog.rs` writes the
//! 1 GB file the benchmark (`benches/logs.sh`) reads.
//!
//! Every line form is one Postfix writes, copied from public logs (sources in
//! `tests/fixtures/logs/postfix.log`); only names, addresses and times are made up. Sessions
//! are interleaved as a busy server's are not (each session's lines are written together),
//! which changes nothing for a reader that looks at one line at a time.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{self, Write};

/// What the generator wrote.
#[derive(Debug, Default, Clone)]
pub struct Counts {
    pub lines: u64,
    pub bytes: u64,
    /// Refusal lines per `relaydoc logs` kind (`relay-denied`, `blocklist`, …).
    pub kinds: BTreeMap<&'static str, u64>,
    /// Relay denials by reply code (`554`, `454`) and those of another server (`outgoing`).
    pub relay: BTreeMap<&'static str, u64>,
    /// Lines that contain "Relay access denied" (what `grep -c` counts).
    pub relay_text: u64,
    /// Refusal lines per client IP, for the `--client` filter.
    pub by_client: BTreeMap<String, u64>,
    /// The time of the first and last line, as `relaydoc logs` prints them (year given).
    pub first: String,
    pub last: String,
}

/// A small deterministic generator (SplitMix64): the same seed writes the same log.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The year the generated syslog dates belong to (pass `--year` to relaydoc).
pub const YEAR: u16 = 2025;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const DAYS_IN: [u64; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/// Seconds since New Year → (syslog stamp, ISO stamp).
fn stamps(seconds: u64) -> (String, String) {
    let mut day = seconds / 86_400;
    let mut month = 0;
    while month < 11 && day >= DAYS_IN[month] {
        day -= DAYS_IN[month];
        month += 1;
    }
    let rest = seconds % 86_400;
    let (h, m, s) = (rest / 3600, rest / 60 % 60, rest % 60);
    (
        format!("{} {:>2} {h:02}:{m:02}:{s:02}", MONTHS[month], day + 1),
        format!(
            "{YEAR}-{:02}-{:02}T{h:02}:{m:02}:{s:02}",
            month + 1,
            day + 1
        ),
    )
}

const QUEUE_CHARS: &[u8] = b"0123456789ABCDEF";

fn queue_id(rng: &mut Rng) -> String {
    (0..10)
        .map(|_| QUEUE_CHARS[rng.below(16) as usize] as char)
        .collect()
}

fn ip(rng: &mut Rng) -> String {
    format!(
        "{}.{}.{}.{}",
        11 + rng.below(212),
        rng.below(256),
        rng.below(256),
        1 + rng.below(254)
    )
}

/// Session kinds and their weights (out of 1000): most of a log is ordinary traffic.
const MIX: &[(Session, u64)] = &[
    (Session::Delivered, 700),
    (Session::Deferred, 30),
    (Session::Relay554, 80),
    (Session::Relay454, 10),
    (Session::RelayOutgoing, 5),
    (Session::Blocklist, 40),
    (Session::Sender, 15),
    (Session::Recipient, 30),
    (Session::Greylisted, 20),
    (Session::SaslFailed, 35),
    (Session::AuthAborted, 10),
    (Session::Tls, 10),
    (Session::RateLimited, 5),
    (Session::Helo, 10),
];

#[derive(Debug, Clone, Copy)]
enum Session {
    Delivered,
    Deferred,
    Relay554,
    Relay454,
    RelayOutgoing,
    Blocklist,
    Sender,
    Recipient,
    Greylisted,
    SaslFailed,
    AuthAborted,
    Tls,
    RateLimited,
    Helo,
}

struct Writer<'a, W: Write> {
    out: &'a mut W,
    counts: Counts,
    stamp: String,
}

impl<W: Write> Writer<'_, W> {
    fn line(&mut self, text: std::fmt::Arguments<'_>) -> io::Result<()> {
        let line = format!("{} mail {text}\n", self.stamp);
        self.counts.lines += 1;
        self.counts.bytes += line.len() as u64;
        if line.contains("Relay access denied") {
            self.counts.relay_text += 1;
        }
        self.out.write_all(line.as_bytes())
    }

    fn refusal(&mut self, kind: &'static str, client: Option<&str>) {
        *self.counts.kinds.entry(kind).or_default() += 1;
        if let Some(client) = client {
            *self.counts.by_client.entry(client.to_owned()).or_default() += 1;
        }
    }
}

/// Writes sessions until at least `target_bytes` are written.
pub fn write_postfix_log(out: &mut impl Write, target_bytes: u64, seed: u64) -> io::Result<Counts> {
    let mut rng = Rng(seed);
    // A few clients send most relay attempts, as in a real flood; the rest is a long tail.
    let abusers: Vec<String> = (0..8).map(|_| ip(&mut rng)).collect();
    let mut w = Writer {
        out,
        counts: Counts::default(),
        stamp: String::new(),
    };
    let total: u64 = MIX.iter().map(|(_, weight)| weight).sum();
    let mut clock = 0u64;
    let mut first = None;
    let mut last_iso = String::new();
    while w.counts.bytes < target_bytes {
        clock += rng.below(3);
        let (syslog, iso) = stamps(clock.min(364 * 86_400));
        w.stamp = syslog;
        if first.is_none() {
            first = Some(iso.clone());
        }
        last_iso = iso;
        let mut pick = rng.below(total);
        let session = MIX
            .iter()
            .find(|(_, weight)| {
                let hit = pick < *weight;
                pick = pick.saturating_sub(*weight);
                hit
            })
            .map_or(Session::Delivered, |(s, _)| *s);
        let pid = 1000 + rng.below(60_000);
        let client_ip =
            if matches!(session, Session::Relay554 | Session::Relay454) && rng.below(10) < 7 {
                abusers[rng.below(abusers.len() as u64) as usize].clone()
            } else {
                ip(&mut rng)
            };
        let host = if rng.below(3) == 0 {
            "unknown".to_owned()
        } else {
            format!("host-{}.example.net", rng.below(5000))
        };
        let client = format!("{host}[{client_ip}]");
        let qid = queue_id(&mut rng);
        let user = format!("user{}", rng.below(2000));
        let local = format!("{user}@example.org");
        let remote_domain = format!("dest{}.example.com", rng.below(300));
        let remote = format!("{user}@{remote_domain}");
        let sender = format!("sender{}@mail{}.example", rng.below(500), rng.below(50));
        w.line(format_args!("postfix/smtpd[{pid}]: connect from {client}"))?;
        match session {
            Session::Delivered => {
                w.line(format_args!("postfix/smtpd[{pid}]: {qid}: client={client}"))?;
                w.line(format_args!(
                    "postfix/cleanup[{}]: {qid}: message-id=<{}.{}@mail.example>",
                    pid + 1,
                    rng.next(),
                    clock
                ))?;
                w.line(format_args!(
                    "postfix/qmgr[812]: {qid}: from=<{sender}>, size={}, nrcpt=1 (queue active)",
                    500 + rng.below(90_000)
                ))?;
                w.line(format_args!(
                    "postfix/smtpd[{pid}]: disconnect from {client} ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5"
                ))?;
                w.line(format_args!(
                    "postfix/lmtp[{}]: {qid}: to=<{local}>, relay=mail.example.org[private/dovecot-lmtp], delay=0.{}, delays=0.05/0.01/0.01/0.04, dsn=2.0.0, status=sent (250 2.0.0 <{local}> Saved)",
                    pid + 2,
                    rng.below(90) + 10
                ))?;
                w.line(format_args!("postfix/qmgr[812]: {qid}: removed"))?;
            }
            Session::Deferred => {
                w.line(format_args!(
                    "postfix/smtpd[{pid}]: disconnect from {client} ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5"
                ))?;
                w.line(format_args!(
                    "postfix/smtp[{}]: {qid}: to=<{remote}>, relay=none, delay=30, delays=0.01/0/30/0, dsn=4.4.1, status=deferred (connect to mx.{remote_domain}[{}]:25: Connection timed out)",
                    pid + 3,
                    ip(&mut rng)
                ))?;
            }
            Session::Relay554 | Session::Relay454 => {
                let (code, enhanced, label) = match session {
                    Session::Relay554 => ("554", "5.7.1", "554"),
                    _ => ("454", "4.7.1", "454"),
                };
                w.line(format_args!(
                    "postfix/smtpd[{pid}]: NOQUEUE: reject: RCPT from {client}: {code} {enhanced} <{remote}>: Relay access denied; from=<{sender}> to=<{remote}> proto=ESMTP helo=<{host}>"
                ))?;
                w.refusal("relay-denied", Some(&client_ip));
                *w.counts.relay.entry(label).or_default() += 1;
                w.line(format_args!(
                    "postfix/smtpd[{pid}]: lost connection after RCPT from {client}"
                ))?;
                w.line(format_args!(
                    "postfix/smtpd[{pid}]: disconnect from {client} ehlo=1 mail=1 rcpt=0/1 commands=2/3"
                ))?;
            }
            Session::RelayOutgoing => {
                w.line(format_args!("postfix/smtpd[{pid}]: {qid}: client={client}"))?;
                w.line(format_args!(
                    "postfix/smtpd[{pid}]: disconnect from {client} ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5"
                ))?;
                w.line(format_args!(
                    "postfix/smtp[{}]: {qid}: to=<{remote}>, relay=mx.{remote_domain}[{}]:25, delay=0.4, delays=0.01/0/0.2/0.1, dsn=5.7.1, status=bounced (host mx.{remote_domain}[{}] said: 554 5.7.1 <{remote}>: Relay access denied (in reply to RCPT TO command))",
                    pid + 3,
                    ip(&mut rng),
                    ip(&mut rng)
                ))?;
                w.refusal("relay-denied", None);
                *w.counts.relay.entry("outgoing").or_default() += 1;
            }
            Session::Blocklist => {
                w.line(format_args!(
                    "postfix/smtpd[{pid}]: NOQUEUE: reject: RCPT from {client}: 554 5.7.1 Service unavailable; Client host [{client_ip}] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/{client_ip}; from=<{sender}> to=<{local}> proto=ESMTP helo=<{host}>"
                ))?;
                w.refusal("blocklist", Some(&client_ip));
                w.line(format_args!(
                    "postfix/smtpd[{pid}]: disconnect from {client} ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4"
                ))?;
            }
            Session::Sender => {
                w.line(format_args!(
                    "postfix/smtpd[{pid}]: NOQUEUE: reject: RCPT from {client}: 450 4.1.8 <{sender}>: Sender address rejected: Domain not found; from=<{sender}> to=<{local}> proto=ESMTP helo=<{host}>"
                ))?;
                w.refusal("sender-rejected", Some(&client_ip));
            }
            Session::Recipient => {
                w.line(format_args!(
                    "postfix/smtpd[{pid}]: NOQUEUE: reject: RCPT from {client}: 550 5.1.1 <nobody{}@example.org>: Recipient address rejected: User unknown in local recipient table; from=<{sender}> to=<nobody{}@example.org> proto=ESMTP helo=<{host}>",
                    pid, pid
                ))?;
                w.refusal("recipient-rejected", Some(&client_ip));
            }
            Session::Greylisted => {
                w.line(format_args!(
                    "postfix/smtpd[{pid}]: NOQUEUE: reject: RCPT from {client}: 450 4.2.0 <{local}>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.org.html; from=<{sender}> to=<{local}> proto=ESMTP helo=<{host}>"
                ))?;
                w.refusal("greylisted", Some(&client_ip));
            }
            Session::SaslFailed => {
                w.line(format_args!(
                    "postfix/smtpd[{pid}]: warning: {client}: SASL LOGIN authentication failed: UGFzc3dvcmQ6"
                ))?;
                w.refusal("auth-failed", Some(&client_ip));
                w.line(format_args!(
                    "postfix/smtpd[{pid}]: disconnect from {client} ehlo=1 auth=0/1 quit=1 commands=2/3"
                ))?;
            }
            Session::AuthAborted => {
                w.line(format_args!(
                    "postfix/smtpd[{pid}]: lost connection after AUTH from {client}"
                ))?;
                w.refusal("auth-aborted", Some(&client_ip));
                w.line(format_args!(
                    "postfix/smtpd[{pid}]: disconnect from {client}"
                ))?;
            }
            Session::Tls => {
                w.line(format_args!(
                    "postfix/smtpd[{pid}]: SSL_accept error from {client}: -1"
                ))?;
                w.refusal("tls", Some(&client_ip));
                w.line(format_args!(
                    "postfix/smtpd[{pid}]: warning: TLS library problem: error:0A000126:SSL routines::unexpected eof while reading:../ssl/record/rec_layer_s3.c:308:"
                ))?;
                w.line(format_args!(
                    "postfix/smtpd[{pid}]: lost connection after STARTTLS from {client}"
                ))?;
            }
            Session::RateLimited => {
                w.line(format_args!(
                    "postfix/smtpd[{pid}]: warning: Connection rate limit exceeded: {} from {client} for service smtp",
                    31 + rng.below(40)
                ))?;
                w.refusal("rate-limited", Some(&client_ip));
            }
            Session::Helo => {
                w.line(format_args!(
                    "postfix/smtpd[{pid}]: NOQUEUE: reject: RCPT from {client}: 504 5.5.2 <WIN-{}>: Helo command rejected: need fully-qualified hostname; from=<{sender}> to=<{local}> proto=ESMTP helo=<WIN-{}>",
                    pid, pid
                ))?;
                w.refusal("client-rejected", Some(&client_ip));
            }
        }
    }
    w.counts.first = first.unwrap_or_default();
    w.counts.last = last_iso;
    Ok(w.counts)
}
