//! Running the checks the decision tree asks for, and the catalogue of which exist.
//!
//! A check node names a check from [`SPECS`], gives its parameters from facts, and lists the
//! facts it reads back; validation holds each node to its spec, so a tree can never ask for a
//! check that does not exist or wait for a fact the check never sets.

use std::net::IpAddr;

use crate::checks::dns::{self, DnsClient, DnsSettings};
use crate::engine::{CheckRequest, Facts};
use crate::knowledge::Knowledge;

/// A check the wizard can run: its parameters and the facts it can set.
#[derive(Debug, Clone, Copy)]
pub struct CheckSpec {
    pub name: &'static str,
    /// What the person sees while it runs.
    pub label: &'static str,
    pub params: &'static [&'static str],
    pub sets: &'static [&'static str],
}

pub const SPECS: &[CheckSpec] = &[
    CheckSpec {
        name: "explain",
        label: "Reading the error message",
        params: &["text"],
        sets: &[
            "error.kind",
            "error.where",
            "error.code",
            "bounce.mentions",
            "server.software",
            "account.auth_scheme",
        ],
    },
    CheckSpec {
        name: "mx",
        label: "Looking up where mail for the domain goes (MX)",
        params: &["domain"],
        sets: &["dns.mx", "dns.mx_hosts", "dns.mx_implicit", "dns.mx_flags"],
    },
    CheckSpec {
        name: "dnsbl",
        label: "Checking the address against spam blocklists",
        params: &["ip"],
        sets: &[
            "dnsbl.ip",
            "dnsbl.listed",
            "dnsbl.listed_on",
            "dnsbl.refused_by",
        ],
    },
    CheckSpec {
        name: "public-ip",
        label: "Finding the address the internet sees you as",
        params: &[],
        sets: &["public.ip", "public.ip_method"],
    },
    CheckSpec {
        name: "my-ip-blacklist",
        label: "Finding your internet address and checking it against spam blocklists",
        params: &[],
        sets: &["public.ip", "client.ip_blacklisted", "dnsbl.listed_on"],
    },
];

pub fn spec(name: &str) -> Option<&'static CheckSpec> {
    SPECS.iter().find(|spec| spec.name == name)
}

/// Runs the checks that need no network (reading an error text), for any driver, including
/// the non-interactive walk; `None` for every other check.
pub fn run_offline(knowledge: &Knowledge, request: &CheckRequest) -> Option<Facts> {
    match request.check.as_str() {
        "explain" => {
            let text = request.params.get("text")?;
            let signatures = knowledge.signatures().ok()?;
            let facts = crate::explain::explain(text, signatures).wizard_facts();
            Some(keep_declared(request, facts))
        }
        _ => None,
    }
}

/// Only the facts the check's spec declares reach the wizard.
fn keep_declared(request: &CheckRequest, facts: Facts) -> Facts {
    let keep = spec(&request.check).map_or(&[][..], |spec| spec.sets);
    facts
        .into_iter()
        .filter(|(key, _)| keep.contains(&key.as_str()))
        .collect()
}

/// Runs checks for real, over the network, with the user's resolver settings.
#[derive(Debug, Clone)]
pub struct LiveChecks<'k> {
    pub knowledge: &'k Knowledge,
    pub dns: DnsSettings,
}

impl LiveChecks<'_> {
    /// Runs one request to the end; `None` when the check could not run at all.
    pub fn run_blocking(&self, request: &CheckRequest) -> Option<Facts> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .ok()?;
        runtime.block_on(self.run(request))
    }

    pub async fn run(&self, request: &CheckRequest) -> Option<Facts> {
        if let Some(facts) = run_offline(self.knowledge, request) {
            return Some(facts);
        }
        let client = DnsClient::new(&self.dns).ok()?;
        let param = |name: &str| request.params.get(name).map(String::as_str);
        let report = match request.check.as_str() {
            "mx" => dns::mx::check(&client, &dns::normalize_name(param("domain")?).ok()?)
                .await
                .to_check_report(),
            "dnsbl" => {
                let ip: IpAddr = dns::dnsbl::parse_ip(param("ip")?).ok()?;
                dns::dnsbl::check(&client, ip, &default_zones())
                    .await
                    .to_check_report()
            }
            "public-ip" => self.public_ip(&client).await?.to_check_report(),
            "my-ip-blacklist" => {
                let ip = self.public_ip(&client).await?.ip?;
                let listing = dns::dnsbl::check(&client, ip, &default_zones()).await;
                let mut report = listing.to_check_report();
                // The address is the person's own: that is what the tree asks about.
                report
                    .facts
                    .insert("client.ip_blacklisted".into(), listing.listed.to_string());
                report.facts.insert("public.ip".into(), ip.to_string());
                report
            }
            _ => return None,
        };
        Some(keep_declared(request, report.facts.into_iter().collect()))
    }

    async fn public_ip(&self, client: &DnsClient) -> Option<dns::public_ip::PublicIpReport> {
        let method = dns::public_ip::Method::Opendns;
        let server = dns::public_ip::locate_server(client, method).await.ok()?;
        let service = DnsClient::new(&DnsSettings {
            server: Some(server),
            timeout: self.dns.timeout,
        })
        .ok()?;
        Some(dns::public_ip::check(&service, method, server).await)
    }
}

fn default_zones() -> Vec<String> {
    dns::dnsbl::DEFAULT_ZONES
        .iter()
        .map(|zone| (*zone).to_string())
        .collect()
}

impl crate::plain::CheckRunner for LiveChecks<'_> {
    fn run(&mut self, request: &CheckRequest) -> Option<Facts> {
        self.run_blocking(request)
    }
}
