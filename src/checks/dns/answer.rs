//! What one DNS question got back, typed: records, "no such name", "no such data", or the
//! reason there is no answer (SERVFAIL, REFUSED, timeout, network or protocol trouble), each
//! with a plain-words explanation for people who have never heard of DNS.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use serde::Serialize;

/// The record types the checks ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RecordKind {
    A,
    Aaaa,
    Mx,
    Ptr,
    Srv,
    Txt,
    /// Name servers: asked only to prove the resolver works (see `DnsSettings::known_name`).
    Ns,
}

impl fmt::Display for RecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::A => "A",
            Self::Aaaa => "AAAA",
            Self::Mx => "MX",
            Self::Ptr => "PTR",
            Self::Srv => "SRV",
            Self::Txt => "TXT",
            Self::Ns => "NS",
        })
    }
}

/// One resource record of an answer. Names are lower-case, without the trailing dot, except
/// the root name, which is `"."` (a null MX, or an SRV record saying "not offered").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Record {
    /// The record's owner name (differs from the question after a CNAME).
    pub name: String,
    pub ttl: u32,
    #[serde(flatten)]
    pub data: RecordData,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "UPPERCASE")]
pub enum RecordData {
    A {
        address: Ipv4Addr,
    },
    Aaaa {
        address: Ipv6Addr,
    },
    /// An alias: the answer continues at `target`.
    Cname {
        target: String,
    },
    Mx {
        preference: u16,
        exchange: String,
    },
    Ptr {
        target: String,
    },
    Srv {
        priority: u16,
        weight: u16,
        port: u16,
        target: String,
    },
    /// The character-strings of one TXT record joined (RFC 7208 §3.3 joins them the same way).
    /// Bytes that are not UTF-8 are replaced; show it through `sanitize` before printing.
    Txt {
        text: String,
    },
    /// Anything else the server put in the answer section.
    Other {
        record_type: String,
    },
}

/// Why a question got no answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum Failure {
    /// SERVFAIL: the server tried and failed (broken DNSSEC, unreachable authoritative servers…).
    ServFail,
    /// REFUSED: the server will not answer this question for us.
    Refused,
    /// No reply in time.
    Timeout,
    /// The reply was cut short (TC bit) and the retry over TCP did not work either.
    Truncated,
    /// Another DNS error code (FORMERR, NOTIMP…).
    ResponseCode { code: String },
    /// Could not talk to the server at all (connection refused, network unreachable…).
    Network { message: String },
    /// The reply could not be understood (garbage, wrong format).
    Protocol { message: String },
    /// The server said "does not exist" (or "no such data"), and says the same of
    /// `known_name`, a name that must exist: it says so of every name (captive portals, hotel
    /// Wi-Fi, filters, broken routers), so its "does not exist" proves nothing.
    LyingResolver { known_name: String },
    /// The server said "does not exist", but could not answer about `known_name`, a name that
    /// must exist, either: without that proof its "does not exist" cannot be trusted.
    Unproven {
        known_name: String,
        probe: Box<Failure>,
    },
    /// The name is an alias (CNAME) whose chain comes back to itself: a definite fact about
    /// the DNS (the chain is the proof), not a failure to ask.
    AliasLoop { chain: Vec<String> },
}

impl Failure {
    /// `a → b → a` for an alias loop, at most a few names (a chain may be long).
    pub fn loop_text(chain: &[String]) -> String {
        const SHOWN: usize = 6;
        let mut names: Vec<&str> = chain.iter().take(SHOWN).map(String::as_str).collect();
        if chain.len() > SHOWN {
            names.push("…");
        }
        names.join(" → ")
    }
}

/// Everything one DNS question can end in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The server answered with records (possibly a CNAME chain, then the asked-for type).
    Records(Vec<Record>),
    /// NXDOMAIN: the name does not exist at all.
    NxDomain,
    /// The name exists, but has no records of the asked type ("NODATA").
    NoData,
    /// No answer: see the failure.
    Failed(Failure),
}

impl Answer {
    /// A short machine-readable word for JSON: answer, nxdomain, nodata, servfail, refused,
    /// timeout, truncated, rcode, network, protocol, alias-loop.
    pub fn result_word(&self) -> &'static str {
        match self {
            Self::Records(_) => "answer",
            Self::NxDomain => "nxdomain",
            Self::NoData => "nodata",
            Self::Failed(Failure::ServFail) => "servfail",
            Self::Failed(Failure::Refused) => "refused",
            Self::Failed(Failure::Timeout) => "timeout",
            Self::Failed(Failure::Truncated) => "truncated",
            Self::Failed(Failure::ResponseCode { .. }) => "rcode",
            Self::Failed(Failure::Network { .. }) => "network",
            Self::Failed(Failure::Protocol { .. }) => "protocol",
            Self::Failed(Failure::LyingResolver { .. }) => "lying-resolver",
            Self::Failed(Failure::Unproven { .. }) => "unproven",
            Self::Failed(Failure::AliasLoop { .. }) => "alias-loop",
        }
    }

    /// The records, or an empty slice when there were none.
    pub fn records(&self) -> &[Record] {
        match self {
            Self::Records(records) => records,
            _ => &[],
        }
    }

    /// True when the server gave a definite answer (records, NXDOMAIN or NODATA), i.e. what it
    /// says can be trusted as the state of the DNS.
    pub fn is_definite(&self) -> bool {
        matches!(
            self,
            Self::Records(_)
                | Self::NxDomain
                | Self::NoData
                | Self::Failed(Failure::AliasLoop { .. })
        )
    }

    /// The alias chain, when the name is an alias that loops.
    pub fn alias_loop(&self) -> Option<&[String]> {
        match self {
            Self::Failed(Failure::AliasLoop { chain }) => Some(chain),
            _ => None,
        }
    }

    /// IPv4 and IPv6 addresses in the answer, in answer order.
    pub fn addresses(&self) -> Vec<std::net::IpAddr> {
        self.records()
            .iter()
            .filter_map(|record| match record.data {
                RecordData::A { address } => Some(address.into()),
                RecordData::Aaaa { address } => Some(address.into()),
                _ => None,
            })
            .collect()
    }

    /// Plain words for a person: what the answer means for `name` (`kind` records).
    pub fn explain(&self, name: &str, kind: RecordKind) -> String {
        match self {
            Self::Records(records) => format!(
                "{name} has {} {kind} record{}.",
                records.len(),
                if records.len() == 1 { "" } else { "s" }
            ),
            Self::NxDomain => format!(
                "The name {name} does not exist in DNS (NXDOMAIN): check it for typos, or the \
                 domain has expired or was never set up."
            ),
            Self::NoData => {
                format!("The name {name} exists, but has no {kind} record (no data of that type).")
            }
            Self::Failed(failure) => failure.explain(name),
        }
    }
}

impl Failure {
    /// Plain words for a person: why there is no answer about `name`, and what it means.
    pub fn explain(&self, name: &str) -> String {
        match self {
            Self::ServFail => format!(
                "The DNS server failed to look up {name} (SERVFAIL). The domain's own DNS \
                 servers may be down or misconfigured (often broken DNSSEC); this says \
                 nothing about whether the name exists."
            ),
            Self::Refused => format!(
                "The DNS server refused to answer about {name} (REFUSED): it does not serve \
                 that name and will not look it up for us. Ask another DNS server."
            ),
            Self::Timeout => format!(
                "No answer about {name} arrived in time: the DNS server is unreachable, \
                 overloaded, or a firewall drops DNS traffic."
            ),
            Self::Truncated => format!(
                "The answer about {name} was too long for UDP and the retry over TCP failed: \
                 a firewall may block DNS over TCP."
            ),
            Self::ResponseCode { code } => {
                format!("The DNS server answered the question about {name} with the error {code}.")
            }
            Self::Network { message } => {
                format!("Could not reach the DNS server to ask about {name}: {message}.")
            }
            Self::Protocol { message } => {
                format!("The DNS server's reply about {name} could not be understood: {message}.")
            }
            Self::LyingResolver { known_name } => format!(
                "Could not check {name}: your DNS answers \"does not exist\" for every name, \
                 even for {}, which must exist. Are you on a Wi-Fi that needs a login (open \
                 any web page first), or behind a filter? Try again on another network or \
                 with another DNS server (--dns-server).",
                shown_name(known_name)
            ),
            Self::Unproven { known_name, probe } => format!(
                "Could not check {name}: the DNS server said there is no such name or \
                 record, but it could not answer about {} either, a name that must exist, so \
                 that answer cannot be trusted. {}",
                shown_name(known_name),
                probe.hint()
            ),
            Self::AliasLoop { chain } => format!(
                "The name {name} is an alias (CNAME) whose chain loops back on itself ({}), so \
                 it leads to no address at all. Fix the CNAME records.",
                Self::loop_text(chain)
            ),
        }
    }

    /// One plain sentence on what to do when the resolver itself failed.
    pub fn hint(&self) -> &'static str {
        match self {
            Self::Timeout | Self::Network { .. } => {
                "The DNS server did not answer: is the network down?"
            }
            Self::ServFail => "The DNS server failed (SERVFAIL): try another DNS server.",
            Self::Refused => {
                "The DNS server refuses to look names up for us: ask another one (--dns-server); \
                 for a server that answers only its own zones, name one of them with \
                 --dns-known-name."
            }
            Self::LyingResolver { .. } => {
                "Your DNS answers \"does not exist\" for every name: are you on a Wi-Fi that \
                 needs a login?"
            }
            _ => "The DNS server's answers cannot be used: try another DNS server (--dns-server).",
        }
    }
}

/// The root zone is shown in words: "." alone reads like a typo.
fn shown_name(name: &str) -> String {
    if name.trim_end_matches('.').is_empty() {
        "the root of the DNS (\".\")".to_owned()
    } else {
        name.trim_end_matches('.').to_owned()
    }
}

/// One question and its outcome, as shown in JSON `details`.
#[derive(Debug, Clone, Serialize)]
pub struct LookupView {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: RecordKind,
    /// answer, nxdomain, nodata, servfail, refused, timeout, truncated, rcode, network,
    /// protocol, alias-loop
    pub result: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub records: Vec<Record>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
    pub explanation: String,
}

impl LookupView {
    pub fn new(name: &str, kind: RecordKind, answer: &Answer) -> Self {
        Self {
            name: name.to_owned(),
            kind,
            result: answer.result_word(),
            records: answer.records().to_vec(),
            failure: match answer {
                Answer::Failed(failure) => Some(failure.clone()),
                _ => None,
            },
            explanation: answer.explain(name, kind),
        }
    }
}
