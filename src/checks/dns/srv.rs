//! `check srv DOMAIN`: mail service discovery by SRV records (RFC 6186, RFC 8314): which
//! servers and ports a domain publishes for sending (submission) and reading mail (IMAP,
//! POP3), with and without implicit TLS. A target of "." means "service not offered"
//! (RFC 2782).

use std::collections::BTreeMap;

use serde::Serialize;

use super::answer::{Answer, LookupView, RecordData, RecordKind};
use super::mx::status_word;
use super::{Resolve, join_all};
use crate::checks::{CheckReport, Status};

/// One of the mail services RFC 6186 and RFC 8314 define.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Service {
    /// The short name used in facts: `submission`, `imaps`…
    pub name: &'static str,
    /// `_submission._tcp` etc.
    pub label: &'static str,
    /// `smtp`, `imap` or `pop3`.
    pub protocol: &'static str,
    /// `starttls` (upgrade on the plain port) or `tls` (implicit TLS).
    pub security: &'static str,
    /// `outgoing` or `incoming`.
    pub direction: &'static str,
}

/// The services looked up, in the order shown. RFC 8314 §5.1 prefers implicit TLS where both
/// exist; each SRV record's priority decides among servers of one service.
pub const SERVICES: [Service; 6] = [
    Service {
        name: "submissions",
        label: "_submissions._tcp",
        protocol: "smtp",
        security: "tls",
        direction: "outgoing",
    },
    Service {
        name: "submission",
        label: "_submission._tcp",
        protocol: "smtp",
        security: "starttls",
        direction: "outgoing",
    },
    Service {
        name: "imaps",
        label: "_imaps._tcp",
        protocol: "imap",
        security: "tls",
        direction: "incoming",
    },
    Service {
        name: "imap",
        label: "_imap._tcp",
        protocol: "imap",
        security: "starttls",
        direction: "incoming",
    },
    Service {
        name: "pop3s",
        label: "_pop3s._tcp",
        protocol: "pop3",
        security: "tls",
        direction: "incoming",
    },
    Service {
        name: "pop3",
        label: "_pop3._tcp",
        protocol: "pop3",
        security: "starttls",
        direction: "incoming",
    },
];

/// One server of a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    pub priority: u16,
    pub weight: u16,
    pub host: String,
    pub port: u16,
}

/// What a domain publishes for one service.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceResult {
    #[serde(flatten)]
    pub service: Service,
    /// `offered`, `not-offered`, `none` or `error`.
    pub result: &'static str,
    /// Servers, first choice first: lowest priority, then highest weight. (RFC 2782 picks
    /// among equal priorities at random, weighted; the heaviest is shown first.)
    pub targets: Vec<Target>,
    pub explanation: String,
    pub lookup: LookupView,
}

/// The outcome of `check srv`.
#[derive(Debug, Clone, Serialize)]
pub struct SrvReport {
    pub domain: String,
    pub dns_server: String,
    /// `found`, `none` or `error` (the `dns.srv` fact).
    pub srv: &'static str,
    pub status: Status,
    pub summary: String,
    pub services: Vec<ServiceResult>,
}

pub async fn check<R: Resolve>(resolver: &R, domain: &str) -> SrvReport {
    let lookups = SERVICES
        .iter()
        .map(|service| lookup_service(resolver, domain, *service))
        .collect();
    let services: Vec<ServiceResult> = join_all(lookups).await;
    let offered: Vec<&ServiceResult> = services.iter().filter(|s| s.result == "offered").collect();
    let errors = services.iter().filter(|s| s.result == "error").count();
    let (srv, status, summary) = if !offered.is_empty() {
        let first = |direction: &str| {
            offered
                .iter()
                .find(|s| s.service.direction == direction)
                .and_then(|s| s.targets.first().map(|t| (s, t)))
        };
        let mut parts = Vec::new();
        if let Some((service, target)) = first("outgoing") {
            parts.push(format!(
                "send mail via {}:{} ({})",
                target.host,
                target.port,
                security_words(service.service.security)
            ));
        }
        if let Some((service, target)) = first("incoming") {
            parts.push(format!(
                "read mail via {} at {}:{} ({})",
                service.service.protocol.to_uppercase(),
                target.host,
                target.port,
                security_words(service.service.security)
            ));
        }
        (
            "found",
            Status::Ok,
            format!(
                "{domain} publishes its mail settings: {}.",
                parts.join("; ")
            ),
        )
    } else if errors == services.len() {
        (
            "error",
            Status::Error,
            format!(
                "Could not look up the service records of {domain}. {}",
                services
                    .first()
                    .map(|s| s.explanation.clone())
                    .unwrap_or_default()
            ),
        )
    } else {
        (
            "none",
            Status::Ok,
            format!(
                "{domain} publishes no mail service records (SRV). That is common: the mail \
                 settings have to come from the provider's instructions instead."
            ),
        )
    };
    SrvReport {
        domain: domain.to_owned(),
        dns_server: resolver.source(),
        srv,
        status,
        summary,
        services,
    }
}

fn security_words(security: &str) -> &'static str {
    if security == "tls" {
        "encrypted from the start, SSL/TLS"
    } else {
        "STARTTLS"
    }
}

async fn lookup_service<R: Resolve>(resolver: &R, domain: &str, service: Service) -> ServiceResult {
    let name = format!("{}.{domain}", service.label);
    let answer = resolver.query(&name, RecordKind::Srv).await;
    let mut targets: Vec<Target> = answer
        .records()
        .iter()
        .filter_map(|record| match &record.data {
            RecordData::Srv {
                priority,
                weight,
                port,
                target,
            } => Some(Target {
                priority: *priority,
                weight: *weight,
                host: target.clone(),
                port: *port,
            }),
            _ => None,
        })
        .collect();
    sort_targets(&mut targets);
    let lookup = LookupView::new(&name, RecordKind::Srv, &answer);
    let not_offered = !targets.is_empty() && targets.iter().all(|t| t.host == ".");
    targets.retain(|target| target.host != ".");
    let (result, explanation) = match &answer {
        Answer::Failed(failure) => ("error", failure.explain(&name)),
        _ if not_offered => (
            "not-offered",
            format!(
                "{domain} says it does not offer {} ({}) at all.",
                service.name, service.label
            ),
        ),
        _ if targets.is_empty() => ("none", format!("No {} record for {domain}.", service.label)),
        _ => (
            "offered",
            format!(
                "{} is offered at {}.",
                service.name,
                targets
                    .iter()
                    .map(|t| format!("{}:{}", t.host, t.port))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
    };
    ServiceResult {
        service,
        result,
        targets,
        explanation,
        lookup,
    }
}

/// First choice first: priority ascending, then weight descending, then name and port so the
/// order is stable.
pub fn sort_targets(targets: &mut [Target]) {
    targets.sort_by(|a, b| {
        a.priority
            .cmp(&b.priority)
            .then(b.weight.cmp(&a.weight))
            .then(a.host.cmp(&b.host))
            .then(a.port.cmp(&b.port))
    });
}

impl SrvReport {
    pub fn to_check_report(&self) -> CheckReport {
        let mut facts = BTreeMap::new();
        facts.insert("dns.srv".to_owned(), self.srv.to_owned());
        for service in &self.services {
            let value = match (service.result, service.targets.first()) {
                ("offered", Some(target)) => format!("{}:{}", target.host, target.port),
                (result, _) => result.to_owned(),
            };
            facts.insert(format!("dns.srv_{}", service.service.name), value);
        }
        CheckReport {
            check: "srv".to_owned(),
            status: self.status,
            facts,
            details: serde_json::to_value(self).unwrap_or(serde_json::Value::Null),
        }
    }

    pub fn human(&self) -> String {
        let mut out = format!(
            "Mail service records (SRV) of {} (asked {}):\n",
            self.domain, self.dns_server
        );
        for service in &self.services {
            let what = match service.result {
                "offered" => service
                    .targets
                    .iter()
                    .map(|t| {
                        format!(
                            "{}:{} (priority {}, weight {})",
                            t.host, t.port, t.priority, t.weight
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
                "not-offered" => "not offered".to_owned(),
                "none" => "-".to_owned(),
                _ => format!("lookup failed: {}", service.explanation),
            };
            out.push_str(&format!("  {:<18} {what}\n", service.service.label));
        }
        out.push('\n');
        out.push_str(&format!("{}: {}\n", status_word(self.status), self.summary));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(priority: u16, weight: u16, host: &str) -> Target {
        Target {
            priority,
            weight,
            host: host.to_owned(),
            port: 587,
        }
    }

    #[test]
    fn targets_sort_by_priority_then_heaviest_weight() {
        let mut targets = vec![
            target(20, 0, "backup"),
            target(10, 10, "light"),
            target(10, 60, "heavy"),
        ];
        sort_targets(&mut targets);
        let hosts: Vec<&str> = targets.iter().map(|t| t.host.as_str()).collect();
        assert_eq!(hosts, ["heavy", "light", "backup"]);
    }
}
