//! `check host NAME|IP`: a host's addresses (A/AAAA), the reverse name (PTR) of each address,
//! and whether that reverse name leads back to the same address (forward-confirmed reverse
//! DNS, FCrDNS). Many receiving mail servers refuse or distrust senders without it.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::Serialize;

use super::answer::{Answer, LookupView, RecordData, RecordKind};
use super::mx::{addresses_of, status_word};
use super::names::reverse_name;
use super::{Resolve, join_all, list_words};
use crate::checks::{CheckReport, Status};

/// What to check: a host name, or an address typed directly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostTarget {
    Name(String),
    Address(IpAddr),
}

/// Reverse DNS of one address.
#[derive(Debug, Clone, Serialize)]
pub struct ReverseCheck {
    pub address: IpAddr,
    /// The names the PTR records give.
    pub ptr_names: Vec<String>,
    /// `yes`, `no` or `unknown`.
    pub fcrdns: &'static str,
    /// The PTR name whose addresses include this address, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirmed_by: Option<String>,
    pub explanation: String,
    pub lookups: Vec<LookupView>,
}

/// The outcome of `check host`.
#[derive(Debug, Clone, Serialize)]
pub struct HostReport {
    pub target: String,
    pub dns_server: String,
    /// `ok`, `none`, `nxdomain` or `error` (the `dns.host` fact).
    pub host: &'static str,
    pub status: Status,
    pub summary: String,
    pub addresses: Vec<ReverseCheck>,
    pub lookups: Vec<LookupView>,
}

pub async fn check<R: Resolve>(resolver: &R, target: &HostTarget) -> HostReport {
    let (label, addresses, lookups) = match target {
        HostTarget::Address(ip) => (ip.to_string(), vec![*ip], Vec::new()),
        HostTarget::Name(name) => {
            let (addresses, lookups) = addresses_of(resolver, name).await;
            (name.clone(), addresses, lookups)
        }
    };
    let mut report = HostReport {
        target: label.clone(),
        dns_server: resolver.source(),
        host: "ok",
        status: Status::Ok,
        summary: String::new(),
        addresses: Vec::new(),
        lookups,
    };
    if addresses.is_empty() {
        let nxdomain = report.lookups.iter().any(|l| l.result == "nxdomain");
        let failed: Vec<&LookupView> = report
            .lookups
            .iter()
            .filter(|l| l.failure.is_some())
            .collect();
        (report.host, report.status, report.summary) = if nxdomain {
            (
                "nxdomain",
                Status::Problem,
                format!("The name {label} does not exist in DNS: check it for typos."),
            )
        } else if let Some(failed) = failed.first() {
            (
                "error",
                Status::Error,
                format!(
                    "Could not look up the addresses of {label}. {}",
                    failed.explanation
                ),
            )
        } else {
            (
                "none",
                Status::Problem,
                format!("The name {label} exists, but has no address (no A or AAAA record)."),
            )
        };
        return report;
    }

    let reverse = addresses
        .iter()
        .map(|address| reverse_check(resolver, *address))
        .collect();
    report.addresses = join_all(reverse).await;

    let not_confirmed: Vec<String> = report
        .addresses
        .iter()
        .filter(|check| check.fcrdns == "no")
        .map(|check| check.address.to_string())
        .collect();
    let unknown = report
        .addresses
        .iter()
        .any(|check| check.fcrdns == "unknown");
    let shown: Vec<String> = addresses.iter().map(ToString::to_string).collect();
    let intro = match target {
        HostTarget::Name(_) => format!(
            "{label} has the address{} {}",
            plural_es(&shown),
            list_words(&shown)
        ),
        HostTarget::Address(_) => report
            .addresses
            .first()
            .map(|check| check.explanation.trim_end_matches('.').to_owned())
            .unwrap_or_else(|| label.clone()),
    };
    if !not_confirmed.is_empty() {
        report.status = Status::Problem;
        let which = match target {
            HostTarget::Name(_) => format!(
                " The reverse DNS (PTR) of {} is missing or does not lead back to it.",
                list_words(&not_confirmed)
            ),
            HostTarget::Address(_) => String::new(),
        };
        report.summary = format!(
            "{intro}.{which} Receiving mail servers often refuse or distrust mail from such \
             an address; its owner (the hosting or internet provider) must set the PTR \
             record to a name that resolves back to the address."
        );
    } else if unknown {
        report.summary = format!("{intro}. Its reverse DNS could not be fully checked.");
    } else if matches!(target, HostTarget::Name(_)) {
        report.summary = format!("{intro}, and the reverse DNS matches (forward-confirmed).");
    } else {
        report.summary = format!("{intro}: the reverse DNS is forward-confirmed.");
    }
    report
}

fn plural_es(items: &[String]) -> &'static str {
    if items.len() == 1 { "" } else { "es" }
}

async fn reverse_check<R: Resolve>(resolver: &R, address: IpAddr) -> ReverseCheck {
    let ptr_query = reverse_name(address);
    let ptr = resolver.query(&ptr_query, RecordKind::Ptr).await;
    let mut lookups = vec![LookupView::new(&ptr_query, RecordKind::Ptr, &ptr)];
    let ptr_names: Vec<String> = ptr
        .records()
        .iter()
        .filter_map(|record| match &record.data {
            RecordData::Ptr { target } => Some(target.clone()),
            _ => None,
        })
        .collect();
    let mut check = ReverseCheck {
        address,
        ptr_names: ptr_names.clone(),
        fcrdns: "unknown",
        confirmed_by: None,
        explanation: String::new(),
        lookups: Vec::new(),
    };
    if ptr_names.is_empty() {
        (check.fcrdns, check.explanation) = match &ptr {
            Answer::Failed(failure) => ("unknown", failure.explain(&ptr_query)),
            _ => (
                "no",
                format!("{address} has no reverse DNS name (no PTR record)."),
            ),
        };
        check.lookups = lookups;
        return check;
    }

    let kind = match address {
        IpAddr::V4(_) => RecordKind::A,
        IpAddr::V6(_) => RecordKind::Aaaa,
    };
    let forward = join_all(
        ptr_names
            .iter()
            .map(|name| resolver.query(name, kind))
            .collect(),
    )
    .await;
    let mut any_failed = false;
    for (name, answer) in ptr_names.iter().zip(&forward) {
        lookups.push(LookupView::new(name, kind, answer));
        any_failed |= !answer.is_definite();
        if check.confirmed_by.is_none() && answer.addresses().contains(&address) {
            check.confirmed_by = Some(name.clone());
        }
    }
    (check.fcrdns, check.explanation) = match &check.confirmed_by {
        Some(name) => (
            "yes",
            format!("{address} is named {name}, and {name} has the address {address}."),
        ),
        None if any_failed => (
            "unknown",
            format!(
                "{address} is named {}, but that name's addresses could not be looked up.",
                list_words(&ptr_names)
            ),
        ),
        None => (
            "no",
            format!(
                "{address} is named {}, but that name does not have the address {address}: \
                 the reverse DNS is not forward-confirmed.",
                list_words(&ptr_names)
            ),
        ),
    };
    check.lookups = lookups;
    check
}

impl HostReport {
    pub fn to_check_report(&self) -> CheckReport {
        let mut facts = BTreeMap::new();
        facts.insert("dns.host".to_owned(), self.host.to_owned());
        if !self.addresses.is_empty() {
            let addresses: Vec<String> = self
                .addresses
                .iter()
                .map(|a| a.address.to_string())
                .collect();
            facts.insert("dns.host_addresses".to_owned(), addresses.join(","));
        }
        let fcrdns = if self.addresses.is_empty() {
            "unknown"
        } else if self.addresses.iter().any(|a| a.fcrdns == "no") {
            "no"
        } else if self.addresses.iter().all(|a| a.fcrdns == "yes") {
            "yes"
        } else {
            "unknown"
        };
        facts.insert("dns.fcrdns".to_owned(), fcrdns.to_owned());
        CheckReport {
            check: "host".to_owned(),
            status: self.status,
            facts,
            details: serde_json::to_value(self).unwrap_or(serde_json::Value::Null),
        }
    }

    pub fn human(&self) -> String {
        let mut out = format!("Host {} (asked {}):\n", self.target, self.dns_server);
        for check in &self.addresses {
            let names = if check.ptr_names.is_empty() {
                "(no reverse name)".to_owned()
            } else {
                check.ptr_names.join(", ")
            };
            let mark = match check.fcrdns {
                "yes" => "confirmed",
                "no" => "NOT confirmed",
                _ => "unknown",
            };
            out.push_str(&format!(
                "  {}  reverse: {names}  [{mark}]\n",
                check.address
            ));
            out.push_str(&format!("      {}\n", check.explanation));
        }
        out.push('\n');
        out.push_str(&format!("{}: {}\n", status_word(self.status), self.summary));
        out
    }
}
