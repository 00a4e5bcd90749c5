//! `check dnsbl IP [--zone Z]...`: is an address on DNS blacklists (DNSBLs)? The address is
//! reversed (IPv4 octets, IPv6 nibbles, RFC 5782 §2) in front of each list's zone; an A record
//! in 127.0.0.0/8 means "listed" with a return code, a TXT record may say why, NXDOMAIN means
//! "not listed". Answers in 127.255.255.0/24 are the list refusing the query (Spamhaus's error
//! codes), never a listing; answers outside 127/8 come from a resolver that rewrites
//! "no such name", and prove nothing either.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

use serde::Serialize;

use super::answer::{Answer, LookupView, RecordData, RecordKind};
use super::mx::status_word;
use super::names::dnsbl_query_name;
use super::{Resolve, join_all, list_words};
use crate::checks::{CheckReport, Status};

/// The lists checked when no `--zone` is given: widely used, free for low-volume queries, and
/// alive as of 2026.
///
/// Sources: Spamhaus zone and return-code documentation
/// (<https://docs.spamhaus.com/datasets/docs/source/10-data-type-documentation/datasets/040-zones.html>)
/// and its error-code notice (<https://www.spamhaus.org/news/article/788/>); the DNSBL
/// directory at <https://egressif.io/resources/reputation/dnsbl-directory> (checked
/// 2026-06-22) for SpamCop, Barracuda, PSBL and Mailspike. SORBS (dnsbl.sorbs.net) shut down in
/// 2024 and is deliberately absent: dead lists may answer "listed" for everything.
/// Spamhaus refuses queries that come through big public resolvers (8.8.8.8, 1.1.1.1…) with
/// 127.255.255.254; Barracuda answers only resolvers registered with it.
pub const DEFAULT_ZONES: [&str; 5] = [
    "zen.spamhaus.org",
    "bl.spamcop.net",
    "b.barracudacentral.org",
    "psbl.surriel.com",
    "bl.mailspike.net",
];

/// What a listing on a list means for the person, by the list's own description.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ListKind {
    /// The address belongs to a range that should not send mail straight to other servers
    /// (home and mobile connections): normal, and harmless for signing in to one's own
    /// provider; it matters only for sending directly to recipients' servers (MX).
    Policy,
    /// The address sent spam (spam traps, reports, reputation).
    Spam,
    /// A machine on the address is infected or hijacked (botnet, open proxy).
    Exploit,
}

impl ListKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Policy => "policy",
            Self::Spam => "spam",
            Self::Exploit => "exploit",
        }
    }
}

/// What relaydoc knows about a well-known list: its name and where to ask for removal.
///
/// Sources (checked 2026-12-03): Spamhaus's Blocklist Removal Center and PBL pages
/// (<https://check.spamhaus.org/>, <https://www.spamhaus.org/pbl/>); Barracuda's removal
/// form as its own 4xx replies name it (<http://www.barracudacentral.org/rbl/removal-request>,
/// quoted at <https://prospeo.io/s/barracuda-blacklist-removal>); PSBL's own site
/// (<http://spamtrap.surriel.com/>: "Remove an IP", lookups at <https://psbl.org/listing>,
/// per <https://domaincare.io/blacklists/psbl>); SpamCop's blocking-list page; Mailspike's
/// site. Return codes: [`meaning`].
#[derive(Debug, Clone, Copy)]
pub struct ListInfo {
    pub zone: &'static str,
    pub name: &'static str,
    pub delisting: &'static str,
}

pub const KNOWN_LISTS: [ListInfo; 5] = [
    ListInfo {
        zone: "zen.spamhaus.org",
        name: "Spamhaus ZEN (SBL, CSS, XBL and PBL together)",
        delisting: "https://check.spamhaus.org/",
    },
    ListInfo {
        zone: "bl.spamcop.net",
        name: "SpamCop Blocking List",
        delisting: "https://www.spamcop.net/bl.shtml",
    },
    ListInfo {
        zone: "b.barracudacentral.org",
        name: "Barracuda Reputation Block List",
        delisting: "https://www.barracudacentral.org/rbl/removal-request",
    },
    ListInfo {
        zone: "psbl.surriel.com",
        name: "Passive Spam Block List (PSBL)",
        delisting: "https://psbl.org/",
    },
    ListInfo {
        zone: "bl.mailspike.net",
        name: "Mailspike",
        delisting: "https://mailspike.org/",
    },
];

/// The known list a zone belongs to, if any.
pub fn list_info(zone: &str) -> Option<&'static ListInfo> {
    KNOWN_LISTS.iter().find(|list| list.zone == zone)
}

/// What a listing code means for the person. Spamhaus's codes split ZEN into its lists; the
/// other default lists are spam lists by their own description. A list relaydoc does not
/// know (`--zone`) counts as a spam list: the person named it because it matters to them.
pub fn list_kind(zone: &str, code: Ipv4Addr) -> ListKind {
    if is_policy_code(zone, code) {
        ListKind::Policy
    } else if zone.ends_with("spamhaus.org") && matches!(code.octets(), [127, 0, 0, 4..=7]) {
        ListKind::Exploit
    } else {
        ListKind::Spam
    }
}

/// One list's verdict.
#[derive(Debug, Clone, Serialize)]
pub struct ZoneResult {
    pub zone: String,
    /// The list's name, for a list relaydoc knows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub list: Option<&'static str>,
    /// What each listing code says about the address: `policy`, `spam`, `exploit`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub kinds: Vec<ListKind>,
    /// Where to ask for removal, for a list relaydoc knows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delisting: Option<&'static str>,
    /// The name asked, e.g. `2.0.0.127.zen.spamhaus.org`.
    pub query: String,
    /// `listed`, `not-listed`, `refused` (the list declined to answer), `unexpected` (an
    /// answer that is no DNSBL code), `unproven` (the list does not list its own test entry,
    /// so "not listed" would prove nothing) or `error` (no answer).
    pub result: &'static str,
    /// The A records returned.
    pub codes: Vec<Ipv4Addr>,
    /// What each code means, where known.
    pub meanings: Vec<String>,
    /// The list's TXT text (a reason or a removal link), as the list sent it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub explanation: String,
    pub lookups: Vec<LookupView>,
}

/// The outcome of `check dnsbl`.
#[derive(Debug, Clone, Serialize)]
pub struct DnsblReport {
    pub ip: IpAddr,
    pub dns_server: String,
    /// `yes`, `no` or `unknown` (the `dnsbl.listed` fact).
    pub listed: &'static str,
    /// `yes` only for a spam or exploit listing; `no` when listed only on policy lists or
    /// proven not listed; else `unknown`. What `client.ip_blacklisted` means: a policy
    /// listing (home connections) does not stop signing in to one's provider.
    pub blacklisted: &'static str,
    pub status: Status,
    pub summary: String,
    pub zones: Vec<ZoneResult>,
}

pub async fn check<R: Resolve>(resolver: &R, ip: IpAddr, zones: &[String]) -> DnsblReport {
    let lookups = zones
        .iter()
        .map(|zone| check_zone(resolver, ip, zone))
        .collect();
    let results: Vec<ZoneResult> = join_all(lookups).await;
    let zones_with = |result: &str| -> Vec<String> {
        results
            .iter()
            .filter(|z| z.result == result)
            .map(|z| z.zone.clone())
            .collect()
    };
    let listed_on = zones_with("listed");
    let not_listed = zones_with("not-listed");
    let refused = zones_with("refused");
    let unanswered: Vec<String> = results
        .iter()
        .filter(|z| matches!(z.result, "error" | "unexpected" | "refused" | "unproven"))
        .map(|z| z.zone.clone())
        .collect();
    let harmful = results
        .iter()
        .any(|z| z.result == "listed" && z.kinds.iter().any(|k| *k != ListKind::Policy));

    let (listed, status, mut summary) = if !listed_on.is_empty() {
        let policy_only = !harmful;
        let mut text = format!(
            "{ip} is LISTED on {}. Mail servers that use {} refuse or distrust mail sent \
             from this address; the list's page explains why and how to get removed.",
            list_words(&listed_on),
            if listed_on.len() == 1 {
                "that list"
            } else {
                "these lists"
            }
        );
        if policy_only {
            text.push_str(
                " This is a policy listing (Spamhaus PBL): the address belongs to a range \
                 that should not send mail directly, which is normal for home and mobile \
                 connections. It does not block sending through your provider's server with \
                 a password (SMTP AUTH, port 587 or 465).",
            );
        }
        ("yes", Status::Problem, text)
    } else if unanswered.is_empty() {
        (
            "no",
            Status::Ok,
            format!("{ip} is not listed on {}.", list_words(&not_listed)),
        )
    } else if not_listed.is_empty() {
        (
            "unknown",
            Status::Error,
            format!("Could not check {ip}: no blacklist gave a usable answer."),
        )
    } else {
        (
            "unknown",
            Status::Ok,
            format!(
                "{ip} is not listed on {}; {} gave no usable answer.",
                list_words(&not_listed),
                list_words(&unanswered)
            ),
        )
    };
    if !refused.is_empty() {
        summary.push_str(&format!(
            " {} refused to answer: this is NOT a listing. Lists like Spamhaus refuse \
             queries that come through public DNS resolvers (Google, Cloudflare, often your \
             internet provider's): check again with another DNS server (--dns-server), or \
             use the list's own lookup page.",
            list_words(&refused)
        ));
    }
    let blacklisted = match listed {
        "yes" if harmful => "yes",
        "yes" | "no" => "no",
        _ => "unknown",
    };
    DnsblReport {
        ip,
        dns_server: resolver.source(),
        listed,
        blacklisted,
        status,
        summary,
        zones: results,
    }
}

async fn check_zone<R: Resolve>(resolver: &R, ip: IpAddr, zone: &str) -> ZoneResult {
    let zone = zone.trim_end_matches('.').to_ascii_lowercase();
    let query = dnsbl_query_name(ip, &zone);
    // RFC 5782 §5: 127.0.0.1 (::FFFF:7F00:1) must never be listed. A list that says it is
    // listed "lists the world" (typical of a dead list) and its answers mean nothing.
    let test_point = dnsbl_query_name(
        match ip {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(_) => IpAddr::V6(Ipv4Addr::LOCALHOST.to_ipv6_mapped()),
        },
        &zone,
    );
    // RFC 5782 §5: 127.0.0.2 (::FFFF:7F00:2) must always be listed. A list that does not
    // list it is not working (shut down, misspelt, or not a list at all), and its "not
    // listed" means nothing. Asked side by side with the real question: no extra wait.
    let listed_point = dnsbl_query_name(
        match ip {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)),
            IpAddr::V6(_) => IpAddr::V6(Ipv4Addr::new(127, 0, 0, 2).to_ipv6_mapped()),
        },
        &zone,
    );
    let (a, txt, test, listed_test) = tokio::join!(
        resolver.query(&query, RecordKind::A),
        resolver.query(&query, RecordKind::Txt),
        resolver.query(&test_point, RecordKind::A),
        resolver.query(&listed_point, RecordKind::A),
    );
    let lists_its_test_entry = listed_test.records().iter().any(
        |record| matches!(record.data, RecordData::A { address } if classify_code(address) == Code::Listed),
    );
    let codes: Vec<Ipv4Addr> = a
        .records()
        .iter()
        .filter_map(|record| match record.data {
            RecordData::A { address } => Some(address),
            _ => None,
        })
        .collect();
    let reason: Option<String> = {
        let texts: Vec<String> = txt
            .records()
            .iter()
            .filter_map(|record| match &record.data {
                RecordData::Txt { text } => Some(text.clone()),
                _ => None,
            })
            .collect();
        (!texts.is_empty()).then(|| texts.join(" / "))
    };
    let mut lookups = vec![
        LookupView::new(&query, RecordKind::A, &a),
        LookupView::new(&query, RecordKind::Txt, &txt),
    ];
    let lists_the_world = test
        .records()
        .iter()
        .any(|record| matches!(record.data, RecordData::A { address } if classify_code(address) == Code::Listed));
    if lists_the_world && test_point != query {
        lookups.push(LookupView::new(&test_point, RecordKind::A, &test));
    }
    let meanings: Vec<String> = codes.iter().map(|code| meaning(&zone, *code)).collect();

    let unproven = |lookups: &mut Vec<LookupView>| {
        lookups.push(LookupView::new(&listed_point, RecordKind::A, &listed_test));
        match &listed_test {
            Answer::Failed(failure) => ("error", failure.explain(&listed_point)),
            _ => (
                "unproven",
                format!(
                    "{zone} does not list its own test entry 127.0.0.2, which every working \
                     list must (RFC 5782 §5): the list is shut down, misspelt or not a \
                     blocklist, so relaydoc cannot say whether {ip} is listed there."
                ),
            ),
        }
    };
    let (result, explanation) = match &a {
        Answer::Failed(failure) => ("error", failure.explain(&query)),
        Answer::NxDomain | Answer::NoData if !lists_its_test_entry => unproven(&mut lookups),
        Answer::NxDomain | Answer::NoData => {
            ("not-listed", format!("{ip} is not listed on {zone}."))
        }
        Answer::Records(_) => {
            let kinds: Vec<Code> = codes.iter().map(|code| classify_code(*code)).collect();
            if kinds.contains(&Code::Listed) && lists_the_world && test_point != query {
                (
                    "unexpected",
                    format!(
                        "{zone} answers \"listed\" even for the test address 127.0.0.1, which \
                         no working list may list (RFC 5782 §5): the list is broken or shut \
                         down, and its answer means nothing. Stop using it."
                    ),
                )
            } else if kinds.contains(&Code::Listed) {
                (
                    "listed",
                    format!("{ip} is listed on {zone}: {}.", meanings.join("; ")),
                )
            } else if kinds.contains(&Code::Refused) {
                (
                    "refused",
                    format!("{zone} refused the query: {}.", meanings.join("; ")),
                )
            } else if codes.is_empty() && !lists_its_test_entry {
                unproven(&mut lookups)
            } else if codes.is_empty() {
                ("not-listed", format!("{ip} is not listed on {zone}."))
            } else {
                (
                    "unexpected",
                    format!(
                        "{zone} answered {}, which is not a blacklist code (those are \
                         127.x.x.x). The DNS resolver in use probably rewrites \"no such \
                         name\" into an address of its own (an advert or search page), so \
                         no blacklist answer can be trusted through it: use another DNS \
                         server (--dns-server).",
                        codes
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            }
        }
    };
    let kinds = if result == "listed" {
        let mut kinds: Vec<ListKind> = codes
            .iter()
            .filter(|code| classify_code(**code) == Code::Listed)
            .map(|code| list_kind(&zone, *code))
            .collect();
        kinds.dedup();
        kinds
    } else {
        Vec::new()
    };
    let info = list_info(&zone);
    ZoneResult {
        list: info.map(|list| list.name),
        kinds,
        delisting: info.map(|list| list.delisting),
        zone,
        query,
        result,
        codes,
        meanings,
        reason,
        explanation,
        lookups,
    }
}

/// How to read one A record from a DNSBL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// 127.0.0.0/8 outside the error range: listed.
    Listed,
    /// 127.255.255.0/24: the list refused or could not answer the query; not a listing.
    Refused,
    /// Outside 127.0.0.0/8: not a DNSBL code at all.
    Foreign,
}

pub fn classify_code(code: Ipv4Addr) -> Code {
    let [a, b, c, _] = code.octets();
    match (a, b, c) {
        (127, 255, 255) => Code::Refused,
        (127, _, _) => Code::Listed,
        _ => Code::Foreign,
    }
}

/// Spamhaus PBL codes: "this range should not send mail directly", not bad behaviour.
fn is_policy_code(zone: &str, code: Ipv4Addr) -> bool {
    zone.ends_with("spamhaus.org") && matches!(code.octets(), [127, 0, 0, 10 | 11])
}

/// Plain words for a return code; Spamhaus's codes from its zone documentation (see
/// [`DEFAULT_ZONES`]), the 127.255.255.x errors from its 2019 notice.
pub fn meaning(zone: &str, code: Ipv4Addr) -> String {
    match (classify_code(code), code.octets()[3]) {
        (Code::Refused, 252) => format!("{code}: the list name is misspelt or does not exist"),
        (Code::Refused, 254) => {
            format!("{code}: query refused because it came through a public or open DNS resolver")
        }
        (Code::Refused, 255) => {
            format!("{code}: query refused because too many queries came from this resolver")
        }
        (Code::Refused, _) => format!("{code}: the list reports an error with the query"),
        (Code::Foreign, _) => format!("{code}: not a blacklist code"),
        (Code::Listed, last)
            if zone.ends_with("spamhaus.org") && code.octets()[..3] == [127, 0, 0] =>
        {
            match last {
                2 => format!("{code}: Spamhaus SBL, a known spam source or spam operation"),
                3 => format!("{code}: Spamhaus CSS, sending low-reputation (snowshoe) spam"),
                4..=7 => format!(
                    "{code}: Spamhaus XBL, a computer on this address is infected or hijacked"
                ),
                9 => format!("{code}: Spamhaus DROP, a network controlled by spammers"),
                10 => format!(
                    "{code}: Spamhaus PBL (set by the provider), an address that should not \
                     send mail directly"
                ),
                11 => {
                    format!("{code}: Spamhaus PBL, an address that should not send mail directly")
                }
                _ => format!("{code}: listed"),
            }
        }
        (Code::Listed, _) => format!("{code}: listed"),
    }
}

/// What a kind of listing means for someone fixing a mail program.
fn kind_words(kind: ListKind) -> &'static str {
    match kind {
        ListKind::Policy => {
            "policy listing: the address is a home or mobile connection, listed by design; it \
             matters only for sending straight to recipients' servers, not for signing in to \
             your provider's outgoing server"
        }
        ListKind::Spam => {
            "spam listing: mail from this address was seen as spam; servers that use the list \
             refuse it"
        }
        ListKind::Exploit => {
            "exploit listing: a device on this connection is infected or hijacked; clean it, \
             then ask for removal"
        }
    }
}

pub use crate::vocab::{is_private, parse_ip, parse_public_ip};

impl DnsblReport {
    pub fn to_check_report(&self) -> CheckReport {
        let mut facts = BTreeMap::new();
        facts.insert("dnsbl.ip".to_owned(), self.ip.to_string());
        facts.insert("dnsbl.listed".to_owned(), self.listed.to_owned());
        let zones_with = |result: &str| -> Vec<&str> {
            self.zones
                .iter()
                .filter(|z| z.result == result)
                .map(|z| z.zone.as_str())
                .collect()
        };
        let listed_on = zones_with("listed");
        if !listed_on.is_empty() {
            facts.insert("dnsbl.listed_on".to_owned(), listed_on.join(","));
        }
        let refused_by = zones_with("refused");
        if !refused_by.is_empty() {
            facts.insert("dnsbl.refused_by".to_owned(), refused_by.join(","));
        }
        // Could not check: no fact at all (DESIGN.md), not even "unknown"; details say why.
        if self.status == Status::Error {
            facts.clear();
        }
        CheckReport {
            check: "dnsbl".to_owned(),
            status: self.status,
            facts,
            details: serde_json::to_value(self).unwrap_or(serde_json::Value::Null),
        }
    }

    pub fn human(&self) -> String {
        let mut out = format!("Blacklists for {} (asked {}):\n", self.ip, self.dns_server);
        for zone in &self.zones {
            let verdict = match zone.result {
                "listed" => "LISTED",
                "not-listed" => "not listed",
                "refused" => "refused to answer (not a listing)",
                "unexpected" => "answer cannot be trusted",
                "unproven" => "could not check (the list does not answer its test entry)",
                _ => "could not check (no answer)",
            };
            out.push_str(&format!("  {:<24} {verdict}\n", zone.zone));
            if let Some(list) = zone.list {
                out.push_str(&format!("      {list}\n"));
            }
            if zone.result != "not-listed" {
                out.push_str(&format!("      {}\n", zone.explanation));
            }
            for kind in &zone.kinds {
                out.push_str(&format!("      {}\n", kind_words(*kind)));
            }
            if let (Some(page), "listed") = (zone.delisting, zone.result) {
                out.push_str(&format!("      removal: {page}\n"));
            }
            if let Some(reason) = &zone.reason {
                out.push_str(&format!("      list says: {reason}\n"));
            }
        }
        out.push('\n');
        out.push_str(&format!("{}: {}\n", status_word(self.status), self.summary));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::dns::fake::FakeResolver;

    fn code(address: &str) -> RecordData {
        RecordData::A {
            address: address.parse().expect("test code"),
        }
    }

    #[tokio::test]
    async fn a_list_that_lists_the_world_is_not_believed() {
        let resolver = FakeResolver::default()
            .records(
                "10.2.0.192.dead.test",
                RecordKind::A,
                vec![code("127.0.0.2")],
            )
            .records(
                "1.0.0.127.dead.test",
                RecordKind::A,
                vec![code("127.0.0.2")],
            );
        let report = check(
            &resolver,
            "192.0.2.10".parse().expect("ip"),
            &["dead.test".to_owned()],
        )
        .await;
        assert_eq!(report.zones[0].result, "unexpected");
        assert!(report.zones[0].explanation.contains("RFC 5782"));
        assert_eq!(report.listed, "unknown");
    }

    #[tokio::test]
    async fn a_policy_listing_says_authenticated_sending_still_works() {
        let resolver = FakeResolver::default().records(
            "10.2.0.192.zen.spamhaus.org",
            RecordKind::A,
            vec![code("127.0.0.10")],
        );
        let report = check(
            &resolver,
            "192.0.2.10".parse().expect("ip"),
            &["zen.spamhaus.org".to_owned()],
        )
        .await;
        assert_eq!(report.listed, "yes");
        assert!(report.summary.contains("PBL"));
        assert!(report.summary.contains("SMTP AUTH"));
    }

    #[tokio::test]
    async fn a_list_without_its_test_entry_cannot_say_not_listed() {
        // Everything is NXDOMAIN, 127.0.0.2 included: a dead list, or no list at all.
        let resolver = FakeResolver::default();
        let report = check(
            &resolver,
            "192.0.2.10".parse().expect("ip"),
            &["empty.test".to_owned()],
        )
        .await;
        assert_eq!(report.zones[0].result, "unproven");
        assert!(report.zones[0].explanation.contains("127.0.0.2"));
        assert_eq!(report.listed, "unknown");
        assert_eq!(report.blacklisted, "unknown");
        assert_eq!(report.status, Status::Error);
        assert!(!report.summary.contains("not listed"), "{}", report.summary);
    }

    #[tokio::test]
    async fn a_working_list_proves_not_listed() {
        let resolver = FakeResolver::default().records(
            "2.0.0.127.good.test",
            RecordKind::A,
            vec![code("127.0.0.2")],
        );
        let report = check(
            &resolver,
            "192.0.2.10".parse().expect("ip"),
            &["good.test".to_owned()],
        )
        .await;
        assert_eq!(report.zones[0].result, "not-listed");
        assert_eq!((report.listed, report.blacklisted), ("no", "no"));
        assert_eq!(report.status, Status::Ok);
    }

    #[tokio::test]
    async fn only_spam_and_exploit_listings_count_as_blacklisted() {
        let listed = |code_text: &str| {
            FakeResolver::default().records(
                "10.2.0.192.zen.spamhaus.org",
                RecordKind::A,
                vec![code(code_text)],
            )
        };
        let ip: IpAddr = "192.0.2.10".parse().expect("ip");
        let zen = ["zen.spamhaus.org".to_owned()];
        let pbl = check(&listed("127.0.0.11"), ip, &zen).await;
        assert_eq!((pbl.listed, pbl.blacklisted), ("yes", "no"));
        assert_eq!(pbl.zones[0].kinds, [ListKind::Policy]);
        assert_eq!(pbl.zones[0].delisting, Some("https://check.spamhaus.org/"));
        assert!(
            pbl.human().contains("not for signing in"),
            "{}",
            pbl.human()
        );
        let xbl = check(&listed("127.0.0.4"), ip, &zen).await;
        assert_eq!((xbl.listed, xbl.blacklisted), ("yes", "yes"));
        assert_eq!(xbl.zones[0].kinds, [ListKind::Exploit]);
        let sbl = check(&listed("127.0.0.2"), ip, &zen).await;
        assert_eq!(sbl.zones[0].kinds, [ListKind::Spam]);
        assert!(sbl.human().contains("removal: https://check.spamhaus.org/"));
    }

    fn v4(text: &str) -> Ipv4Addr {
        text.parse().expect("test address")
    }

    #[test]
    fn return_codes_are_told_apart() {
        assert_eq!(classify_code(v4("127.0.0.2")), Code::Listed);
        assert_eq!(classify_code(v4("127.0.0.11")), Code::Listed);
        assert_eq!(classify_code(v4("127.255.255.254")), Code::Refused);
        assert_eq!(classify_code(v4("127.255.255.255")), Code::Refused);
        assert_eq!(classify_code(v4("192.0.2.80")), Code::Foreign);
    }

    #[test]
    fn spamhaus_codes_have_meanings() {
        assert!(meaning("zen.spamhaus.org", v4("127.0.0.4")).contains("XBL"));
        assert!(meaning("zen.spamhaus.org", v4("127.0.0.10")).contains("PBL"));
        assert!(meaning("any.example", v4("127.255.255.254")).contains("public"));
        assert!(meaning("any.example", v4("127.255.255.252")).contains("misspelt"));
        assert_eq!(
            meaning("bl.spamcop.net", v4("127.0.0.2")),
            "127.0.0.2: listed"
        );
        assert!(is_policy_code("zen.spamhaus.org", v4("127.0.0.10")));
        assert!(!is_policy_code("zen.spamhaus.org", v4("127.0.0.4")));
    }

    #[test]
    fn ip_arguments_parse() {
        assert_eq!(parse_ip("127.0.0.2"), Ok(IpAddr::V4(v4("127.0.0.2"))));
        assert!(parse_ip("[2001:db8::2]").is_ok());
        assert!(matches!(parse_ip("::ffff:127.0.0.2"), Ok(IpAddr::V6(_))));
        assert!(parse_ip("example.test").is_err());
    }

    #[test]
    fn public_ip_refuses_what_a_caller_might_read_by_mistake() {
        assert_eq!(
            parse_public_ip(" 203.0.113.7 ").map(|ip| ip.to_string()),
            Ok("203.0.113.7".to_owned())
        );
        assert!(parse_public_ip("[2001:db8::7]").is_ok());
        for wrong in [
            "192.168.1.20",
            "10.0.0.5",
            "127.0.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
        ] {
            let refused = parse_public_ip(wrong).expect_err(wrong);
            assert!(
                refused.to_string().contains("private address"),
                "{wrong}: {refused}"
            );
        }
        let refused = parse_public_ip("my router").expect_err("not an address");
        assert!(
            refused.to_string().contains("is not an IP address"),
            "{refused}"
        );
    }

    #[test]
    fn private_addresses_are_recognised() {
        assert!(is_private("192.168.1.20".parse().expect("ip")));
        assert!(is_private("fd00::1".parse().expect("ip")));
        assert!(!is_private("192.0.2.1".parse().expect("ip")));
        assert!(!is_private("127.0.0.2".parse().expect("ip")));
    }
}
