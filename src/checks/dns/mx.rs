//! `check mx DOMAIN`: where mail for a domain goes. MX records sorted by preference with each
//! host's addresses; the implicit MX of a domain without MX records (RFC 5321 §5.1); the
//! null MX of a domain that takes no mail (RFC 7505); MX hosts that are aliases (CNAME, which
//! RFC 2181 §10.3 forbids), IP addresses written as names, or names that do not resolve.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::Serialize;

use super::answer::{Answer, Failure, LookupView, RecordData, RecordKind};
use super::names::looks_like_ip_literal;
use super::{Resolve, join_all, list_words};
use crate::checks::{CheckReport, Status};

/// One MX host and what its name resolves to.
#[derive(Debug, Clone, Serialize)]
pub struct Exchange {
    pub preference: u16,
    pub host: String,
    pub addresses: Vec<IpAddr>,
    /// The name the alias (CNAME) finally points at, when the MX host is an alias.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias_for: Option<String>,
    /// Machine words: `cname-target`, `ip-literal-target`, `unresolvable-target`,
    /// `lookup-failed`.
    pub flags: Vec<&'static str>,
    /// Plain words about each flag.
    pub notes: Vec<String>,
    pub lookups: Vec<LookupView>,
}

/// The outcome of `check mx`.
#[derive(Debug, Clone, Serialize)]
pub struct MxReport {
    pub domain: String,
    /// Where the answers came from.
    pub dns_server: String,
    /// `ok`, `none`, `null`, `nxdomain`, `alias-loop` or `error` (the `dns.mx` fact).
    pub mx: &'static str,
    pub status: Status,
    /// One or two sentences for a person.
    pub summary: String,
    /// MX hosts, best (lowest preference) first.
    pub exchanges: Vec<Exchange>,
    /// Without MX: the domain's own addresses, which senders use instead (RFC 5321 §5.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub implicit_addresses: Option<Vec<IpAddr>>,
    pub notes: Vec<String>,
    pub lookups: Vec<LookupView>,
    /// MX hosts named but not looked up (beyond [`MAX_EXCHANGES`]).
    #[serde(skip_serializing_if = "is_zero")]
    pub not_followed: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// MX hosts whose addresses are looked up: senders try a handful (Postfix's
/// smtp_mx_address_limit is 5 addresses); a thousand records must not cost two thousand
/// queries. The rest are counted and named as not followed.
pub const MAX_EXCHANGES: usize = 10;

/// Looks up where mail for `domain` (a normalised name) is delivered.
pub async fn check<R: Resolve>(resolver: &R, domain: &str) -> MxReport {
    let answer = resolver.query(domain, RecordKind::Mx).await;
    let mut report = MxReport {
        domain: domain.to_owned(),
        dns_server: resolver.source(),
        mx: "error",
        status: Status::Error,
        summary: String::new(),
        exchanges: Vec::new(),
        implicit_addresses: None,
        notes: Vec::new(),
        lookups: vec![LookupView::new(domain, RecordKind::Mx, &answer)],
        not_followed: 0,
    };
    let mut records: Vec<(u16, String)> = answer
        .records()
        .iter()
        .filter_map(|record| match &record.data {
            RecordData::Mx {
                preference,
                exchange,
            } => Some((*preference, exchange.clone())),
            _ => None,
        })
        .collect();
    records.sort();
    records.dedup_by(|a, b| a.1.eq_ignore_ascii_case(&b.1));

    match &answer {
        Answer::Failed(Failure::AliasLoop { chain }) => {
            report.mx = "alias-loop";
            report.status = Status::Problem;
            report.summary = format!(
                "{domain} is an alias (CNAME) that loops ({}): there is no MX and no address \
                 behind it, so no mail can be delivered to it. Fix the CNAME records.",
                Failure::loop_text(chain)
            );
        }
        Answer::Failed(failure) => {
            report.summary = format!(
                "Could not find out where mail for {domain} goes. {}",
                failure.explain(domain)
            );
        }
        Answer::NxDomain => {
            report.mx = "nxdomain";
            report.status = Status::Problem;
            report.summary = format!(
                "The domain {domain} does not exist in DNS, so no mail can be delivered to \
                 it. Check the address for typos; if the domain is yours, it may have expired."
            );
        }
        _ if records.is_empty() => implicit_mx(resolver, domain, &mut report).await,
        _ if records.iter().any(|(_, exchange)| exchange == ".") => {
            report.mx = "null";
            report.status = Status::Problem;
            report.summary = format!(
                "{domain} publishes a \"null MX\" (RFC 7505): it declares that it accepts no \
                 mail at all. Mail to it is refused by design."
            );
            if records.len() > 1 {
                report.notes.push(
                    "The null MX is mixed with other MX records, which RFC 7505 forbids: \
                     senders may treat the domain as taking no mail, or try the other hosts."
                        .to_owned(),
                );
            }
            report.exchanges = records
                .iter()
                .filter(|(_, exchange)| exchange != ".")
                .map(|(preference, host)| bare_exchange(*preference, host))
                .collect();
        }
        _ => explicit_mx(resolver, domain, &records, &mut report).await,
    }
    report
}

async fn implicit_mx<R: Resolve>(resolver: &R, domain: &str, report: &mut MxReport) {
    report.mx = "none";
    let (addresses, lookups) = addresses_of(resolver, domain).await;
    let failed = lookups.iter().all(|lookup| lookup.failure.is_some());
    let looped = lookups.iter().find_map(alias_loop_of);
    report.lookups.extend(lookups);
    if let (true, Some(chain)) = (addresses.is_empty(), looped) {
        report.status = Status::Problem;
        report.summary = format!(
            "{domain} has no MX record, and its name is an alias (CNAME) that loops ({}), so \
             it has no address either: mail to it cannot be delivered. Fix the CNAME records.",
            Failure::loop_text(&chain)
        );
        report.implicit_addresses = Some(Vec::new());
    } else if !addresses.is_empty() {
        report.status = Status::Problem;
        report.summary = format!(
            "{domain} has no MX record, so senders deliver its mail straight to the \
             domain's own address ({}), as RFC 5321 §5.1 says. That is often a web server \
             that does not take mail for the domain, and a server that does not consider the \
             domain its own answers \"Relay access denied\". Publish an MX record.",
            list_words(
                &addresses
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
            )
        );
        report.implicit_addresses = Some(addresses);
    } else if failed {
        report.status = Status::Error;
        report.mx = "error";
        report.summary =
            format!("{domain} has no MX record, and its addresses could not be looked up.");
    } else {
        report.status = Status::Problem;
        report.summary =
            format!("{domain} has no MX record and no address, so mail to it cannot be delivered.");
        report.implicit_addresses = Some(Vec::new());
    }
}

async fn explicit_mx<R: Resolve>(
    resolver: &R,
    domain: &str,
    records: &[(u16, String)],
    report: &mut MxReport,
) {
    report.mx = "ok";
    let lookups = records
        .iter()
        .take(MAX_EXCHANGES)
        .map(|(preference, host)| exchange(resolver, *preference, host))
        .collect();
    report.exchanges = join_all(lookups).await;
    report.not_followed = records.len().saturating_sub(MAX_EXCHANGES);

    let usable: Vec<&Exchange> = report
        .exchanges
        .iter()
        .filter(|exchange| !exchange.addresses.is_empty())
        .collect();
    let flagged = report
        .exchanges
        .iter()
        .any(|exchange| exchange.flags.iter().any(|flag| *flag != "lookup-failed"));
    let all_failed = report
        .exchanges
        .iter()
        .all(|exchange| exchange.flags.contains(&"lookup-failed"));
    let hosts: Vec<String> = report
        .exchanges
        .iter()
        .map(|exchange| exchange.host.clone())
        .collect();

    report.status = if usable.is_empty() && all_failed {
        Status::Error
    } else if usable.is_empty() || flagged {
        Status::Problem
    } else {
        Status::Ok
    };
    report.summary = match report.status {
        Status::Ok => format!("Mail for {domain} goes to {}.", list_words(&hosts)),
        Status::Problem if usable.is_empty() => format!(
            "{domain} names {} as its mail server{}, but no mail can reach {}: see the notes.",
            list_words(&hosts),
            if hosts.len() == 1 { "" } else { "s" },
            if hosts.len() == 1 {
                "it"
            } else {
                "any of them"
            }
        ),
        Status::Problem => format!(
            "Mail for {domain} goes to {}, but its MX records have mistakes: see the notes.",
            list_words(&usable.iter().map(|e| e.host.clone()).collect::<Vec<_>>())
        ),
        Status::Error => format!(
            "{domain} names {} as its mail server{}, but the addresses could not be looked up.",
            list_words(&hosts),
            if hosts.len() == 1 { "" } else { "s" }
        ),
    };
    for exchange in &report.exchanges {
        report.notes.extend(exchange.notes.iter().cloned());
    }
    if report.not_followed > 0 {
        report.notes.push(format!(
            "… {} more MX records, not looked up: senders try only the best few, and {} \
             records are far more than any domain needs.",
            report.not_followed,
            records.len()
        ));
    }
}

/// The alias chain of a lookup that looped.
fn alias_loop_of(lookup: &LookupView) -> Option<Vec<String>> {
    match &lookup.failure {
        Some(Failure::AliasLoop { chain }) => Some(chain.clone()),
        _ => None,
    }
}

fn bare_exchange(preference: u16, host: &str) -> Exchange {
    Exchange {
        preference,
        host: host.to_owned(),
        addresses: Vec::new(),
        alias_for: None,
        flags: Vec::new(),
        notes: Vec::new(),
        lookups: Vec::new(),
    }
}

async fn exchange<R: Resolve>(resolver: &R, preference: u16, host: &str) -> Exchange {
    let mut exchange = bare_exchange(preference, host);
    if looks_like_ip_literal(host) {
        // Not looked up: it is not a host name, and what a resolver says about "127.0.0.1."
        // as a name only obscures the mistake.
        exchange.flags.push("ip-literal-target");
        exchange.notes.push(format!(
            "The MX host \"{host}\" is an IP address, not a host name. MX records must name a \
             host (RFC 5321 §5.1); senders look \"{host}\" up as a name, find nothing, and \
             cannot deliver. Point the MX at a name (e.g. mail.DOMAIN) that has this address."
        ));
        return exchange;
    }
    let (addresses, lookups) = addresses_of(resolver, host).await;
    // The end of the alias chain: the last CNAME's target.
    let alias_target = lookups
        .iter()
        .flat_map(|lookup| lookup.records.iter())
        .filter_map(|record| match &record.data {
            RecordData::Cname { target } => Some(target.clone()),
            _ => None,
        })
        .next_back();
    if let Some(target) = alias_target {
        exchange.flags.push("cname-target");
        exchange.notes.push(format!(
            "The MX host {host} is an alias (CNAME) for {target}. RFC 2181 §10.3 forbids \
             that; many senders follow the alias anyway, but some refuse or misbehave. Point \
             the MX straight at {target}."
        ));
        exchange.alias_for = Some(target);
    }
    let failed = lookups.iter().any(|lookup| lookup.failure.is_some());
    let looped = lookups.iter().find_map(alias_loop_of);
    if addresses.is_empty() {
        if let Some(chain) = looped {
            exchange.flags.push("alias-loop-target");
            exchange.notes.push(format!(
                "The MX host {host} is an alias (CNAME) that loops ({}), so it has no address \
                 and no mail can be delivered to it. Fix the CNAME records or point the MX at \
                 a host with an address.",
                Failure::loop_text(&chain)
            ));
        } else if failed {
            exchange.flags.push("lookup-failed");
            exchange.notes.push(format!(
                "The addresses of the MX host {host} could not be looked up: {}",
                lookups
                    .iter()
                    .map(|lookup| lookup.explanation.clone())
                    .collect::<Vec<_>>()
                    .join(" ")
            ));
        } else {
            exchange.flags.push("unresolvable-target");
            exchange.notes.push(format!(
                "The MX host {host} has no address (no A or AAAA record{}), so no mail can \
                 be delivered to it. Fix the name in the MX record or add the address.",
                if lookups.iter().any(|lookup| lookup.result == "nxdomain") {
                    ": the name does not exist"
                } else {
                    ""
                }
            ));
        }
    }
    exchange.addresses = addresses;
    exchange.lookups = lookups;
    exchange
}

/// A and AAAA of `name`, asked concurrently.
pub(crate) async fn addresses_of<R: Resolve>(
    resolver: &R,
    name: &str,
) -> (Vec<IpAddr>, Vec<LookupView>) {
    let (v4, v6) = tokio::join!(
        resolver.query(name, RecordKind::A),
        resolver.query(name, RecordKind::Aaaa)
    );
    let mut addresses = v4.addresses();
    addresses.extend(v6.addresses());
    let lookups = vec![
        LookupView::new(name, RecordKind::A, &v4),
        LookupView::new(name, RecordKind::Aaaa, &v6),
    ];
    (addresses, lookups)
}

impl MxReport {
    /// The `check --json` contract form.
    pub fn to_check_report(&self) -> CheckReport {
        let mut facts = BTreeMap::new();
        facts.insert("dns.mx".to_owned(), self.mx.to_owned());
        if !self.exchanges.is_empty() {
            let hosts: Vec<&str> = self.exchanges.iter().map(|e| e.host.as_str()).collect();
            facts.insert("dns.mx_hosts".to_owned(), hosts.join(","));
        }
        if self.mx == "error" {
            // Nothing was learnt: "no implicit MX" or "no flags" would be claims without proof.
            return CheckReport {
                check: "mx".to_owned(),
                status: self.status,
                facts,
                details: serde_json::to_value(self).unwrap_or(serde_json::Value::Null),
            };
        }
        let implicit = self
            .implicit_addresses
            .as_ref()
            .is_some_and(|addresses| !addresses.is_empty());
        facts.insert(
            "dns.mx_implicit".to_owned(),
            if implicit { "yes" } else { "no" }.to_owned(),
        );
        let mut flags: Vec<&str> = self
            .exchanges
            .iter()
            .flat_map(|exchange| exchange.flags.iter().copied())
            .filter(|flag| *flag != "lookup-failed")
            .collect();
        if self.mx == "null" && !self.exchanges.is_empty() {
            flags.push("null-mx-mixed");
        }
        flags.sort_unstable();
        flags.dedup();
        facts.insert(
            "dns.mx_flags".to_owned(),
            if flags.is_empty() {
                "none".to_owned()
            } else {
                flags.join(",")
            },
        );
        CheckReport {
            check: "mx".to_owned(),
            status: self.status,
            facts,
            details: serde_json::to_value(self).unwrap_or(serde_json::Value::Null),
        }
    }

    /// Text for a person; server-provided text is cleaned by the caller.
    pub fn human(&self) -> String {
        let mut out = format!(
            "Mail servers (MX) of {} (asked {}):\n",
            self.domain, self.dns_server
        );
        for exchange in &self.exchanges {
            let addresses = if exchange.flags.contains(&"ip-literal-target") {
                "(an IP address written as a name)".to_owned()
            } else if exchange.addresses.is_empty() {
                "no address".to_owned()
            } else {
                exchange
                    .addresses
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            out.push_str(&format!(
                "  {:>5}  {}  ->  {addresses}\n",
                exchange.preference, exchange.host
            ));
        }
        if self.mx == "null" {
            out.push_str("      0  .  (null MX: no mail accepted)\n");
        }
        if let Some(addresses) = &self.implicit_addresses {
            out.push_str("  (no MX records)\n");
            for address in addresses {
                out.push_str(&format!("  implicit MX: {} -> {address}\n", self.domain));
            }
        }
        out.push('\n');
        out.push_str(&format!("{}: {}\n", status_word(self.status), self.summary));
        for note in &self.notes {
            out.push_str(&format!("  - {note}\n"));
        }
        out
    }
}

/// The word in front of a check's summary line.
pub(crate) fn status_word(status: Status) -> &'static str {
    match status {
        Status::Ok => "OK",
        Status::Problem => "PROBLEM",
        Status::Error => "COULD NOT CHECK",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::dns::Failure;
    use crate::checks::dns::fake::FakeResolver;

    fn mx(preference: u16, exchange: &str) -> RecordData {
        RecordData::Mx {
            preference,
            exchange: exchange.to_owned(),
        }
    }

    #[tokio::test]
    async fn a_backup_mx_whose_lookup_fails_is_noted_but_mail_still_flows() {
        let resolver = FakeResolver::default()
            .records(
                "d.test",
                RecordKind::Mx,
                vec![mx(20, "b.d.test"), mx(10, "a.d.test")],
            )
            .address("a.d.test", "192.0.2.1")
            .answer("a.d.test", RecordKind::Aaaa, Answer::NoData)
            .answer("b.d.test", RecordKind::A, Answer::Failed(Failure::Timeout))
            .answer(
                "b.d.test",
                RecordKind::Aaaa,
                Answer::Failed(Failure::Timeout),
            );
        let report = check(&resolver, "d.test").await;
        assert_eq!(report.status, Status::Ok);
        assert_eq!(report.exchanges[0].host, "a.d.test");
        assert_eq!(report.exchanges[1].flags, ["lookup-failed"]);
        assert!(report.notes[0].contains("could not be looked up"));
        assert_eq!(report.to_check_report().facts["dns.mx_flags"], "none");
    }

    #[tokio::test]
    async fn every_mx_lookup_failing_is_an_error() {
        let resolver = FakeResolver::default()
            .records("d.test", RecordKind::Mx, vec![mx(10, "a.d.test")])
            .answer("a.d.test", RecordKind::A, Answer::Failed(Failure::ServFail))
            .answer(
                "a.d.test",
                RecordKind::Aaaa,
                Answer::Failed(Failure::ServFail),
            );
        let report = check(&resolver, "d.test").await;
        assert_eq!(report.status, Status::Error);
    }

    #[tokio::test]
    async fn a_null_mx_mixed_with_real_ones_is_flagged() {
        let resolver = FakeResolver::default().records(
            "d.test",
            RecordKind::Mx,
            vec![mx(0, "."), mx(10, "a.d.test")],
        );
        let report = check(&resolver, "d.test").await;
        assert_eq!(report.mx, "null");
        assert_eq!(report.status, Status::Problem);
        assert_eq!(
            report.to_check_report().facts["dns.mx_flags"],
            "null-mx-mixed"
        );
    }

    #[tokio::test]
    async fn no_mx_with_failing_address_lookups_is_an_error() {
        let resolver = FakeResolver::default()
            .answer("d.test", RecordKind::Mx, Answer::NoData)
            .answer("d.test", RecordKind::A, Answer::Failed(Failure::Timeout))
            .answer("d.test", RecordKind::Aaaa, Answer::Failed(Failure::Timeout));
        let report = check(&resolver, "d.test").await;
        assert_eq!(report.status, Status::Error);
        assert_eq!(report.mx, "error");
    }
}
