//! The relay denials a Postfix log recorded, read next to the configuration: what
//! `postfix lint --log` and the wizard's server branch both use.
//!
//! Each refusal line is read with the `logs` classifier and counted by client and recipient
//! domain, per syslog name (`postfix/submission`: which smtpd service refused); the counts then
//! go to [`crate::postfix::refused::lint_refusals`] with the view of the configuration that
//! service has.

use std::collections::HashMap;
use std::io::{self, BufRead, Read};
use std::net::IpAddr;

use crate::logs::formats::{Classifier, Direction, Kind};
use crate::postfix::config::Settings;
use crate::postfix::lint::{Finding, Report, Severity};
use crate::postfix::master::Service;
use crate::postfix::refused::{Refusals, RefusedClient, RefusedDomain, lint_refusals};

/// A refusal line longer than this is no Postfix log line: it is read in pieces, none of which
/// is taken for a refusal it is not (each piece is classified on its own).
const MAX_LINE: u64 = crate::logs::BLOCK as u64;
/// Clients and domains kept per service; a log of millions of distinct spammers would
/// otherwise grow without bound.
const MAX_KEPT: usize = 10_000;

/// What a log says about this server's relay denials.
#[derive(Debug, Clone, Default)]
pub struct RefusalLog {
    /// Per syslog name (empty when a line had none), the clients and domains refused, most
    /// often first.
    pub groups: Vec<(String, Refusals)>,
    /// Relay denials read in all.
    pub count: u64,
}

impl RefusalLog {
    pub fn clients(&self) -> usize {
        self.groups.iter().map(|(_, r)| r.clients.len()).sum()
    }
}

/// Reads every relay denial this server logged (`Direction::Incoming`); other lines are
/// skipped.
pub fn read_refusals(reader: impl Read) -> io::Result<RefusalLog> {
    struct Tally {
        refusals: Refusals,
        clients: HashMap<IpAddr, usize>,
        domains: HashMap<String, usize>,
    }
    let mut reader = io::BufReader::new(reader);
    let classifier = Classifier::new();
    let mut tallies: Vec<(String, Tally)> = Vec::new();
    let mut count = 0u64;
    let mut line = Vec::new();
    loop {
        line.clear();
        if (&mut reader).take(MAX_LINE).read_until(b'\n', &mut line)? == 0 {
            break;
        }
        let Some(event) = classifier.classify(&line) else {
            continue;
        };
        if event.kind != Some(Kind::RelayDenied) || event.direction != Some(Direction::Incoming) {
            continue;
        }
        let Some(ip) = event
            .client_ip
            .and_then(|ip| std::str::from_utf8(ip).ok())
            .and_then(|ip| ip.parse::<IpAddr>().ok())
        else {
            continue;
        };
        count += 1;
        let name = syslog_name(&line).unwrap_or_default();
        let at = match tallies.iter().position(|(known, _)| *known == name) {
            Some(at) => at,
            None => {
                tallies.push((
                    name,
                    Tally {
                        refusals: Refusals::default(),
                        clients: HashMap::new(),
                        domains: HashMap::new(),
                    },
                ));
                tallies.len() - 1
            }
        };
        let tally = &mut tallies[at].1;
        match tally.clients.get(&ip) {
            Some(&index) => tally.refusals.clients[index].count += 1,
            None if tally.clients.len() < MAX_KEPT => {
                tally.clients.insert(ip, tally.refusals.clients.len());
                tally.refusals.clients.push(RefusedClient {
                    host: event
                        .client_host
                        .map(|h| String::from_utf8_lossy(h).into_owned())
                        .unwrap_or_else(|| "unknown".into()),
                    ip,
                    count: 1,
                });
            }
            None => {}
        }
        if let Some(domain) = event.recipient_domain {
            let domain = String::from_utf8_lossy(domain).to_ascii_lowercase();
            match tally.domains.get(&domain) {
                Some(&index) => tally.refusals.domains[index].count += 1,
                None if tally.domains.len() < MAX_KEPT => {
                    tally
                        .domains
                        .insert(domain.clone(), tally.refusals.domains.len());
                    tally
                        .refusals
                        .domains
                        .push(RefusedDomain { domain, count: 1 });
                }
                None => {}
            }
        }
    }
    let mut groups: Vec<(String, Refusals)> = tallies
        .into_iter()
        .map(|(name, tally)| (name, tally.refusals))
        .collect();
    for (_, refusals) in &mut groups {
        refusals.clients.sort_by_key(|c| std::cmp::Reverse(c.count));
        refusals.domains.sort_by_key(|d| std::cmp::Reverse(d.count));
    }
    Ok(RefusalLog { groups, count })
}

/// Adds to `report` what the log's refusals say next to the configuration: each group judged
/// by the view of the configuration its smtpd service has. `master_given`: whether master.cf
/// was read (the hint for refusals of a service it would explain).
pub fn lint_with_log(
    report: &mut Report,
    settings: &Settings<'_>,
    services: &[Service],
    log: &RefusalLog,
    own: &[IpAddr],
    master_given: bool,
) {
    let mut unmatched = Vec::new();
    for (name, refusals) in &log.groups {
        let service = service_for(name, services, settings);
        if service.is_none() && !name.is_empty() && name != settings.value("syslog_name").trim() {
            unmatched.push(crate::sanitize::excerpt(name, 80));
        }
        let view = service.map(|s| settings.for_service(&s.name, s.overrides.clone()));
        report.findings.extend(lint_refusals(
            view.as_ref().unwrap_or(settings),
            service,
            refusals,
            own,
        ));
    }
    if !unmatched.is_empty() {
        let message = format!(
            "some refusals were logged as {}, which is no master.cf smtpd service given here: \
             they were judged by main.cf alone, while that service may override it{}",
            unmatched.join(", "),
            if master_given {
                ""
            } else {
                " (give --master FILE)"
            }
        );
        report.findings.push(Finding::new(
            "refusals-from-unknown-service",
            "relay-restrictions-misconfigured",
            Severity::Info,
            "syslog_name",
            &message,
            "relaydoc postfix lint main.cf --master /etc/postfix/master.cf --log …".into(),
            None,
        ));
    }
    report.findings.sort_by_key(|f| f.severity);
}

/// The syslog name of a Postfix log line (`postfix/submission` in `… postfix/submission/smtpd[12]:
/// NOQUEUE: …`): the tag before `[pid]:`, without the program.
fn syslog_name(line: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(line);
    let end = text.find("]: ")?;
    let open = text[..end].rfind('[')?;
    let tag = text[..open].rsplit(char::is_whitespace).next()?;
    let (name, _program) = tag.rsplit_once('/')?;
    Some(name.to_owned())
}

/// The master.cf service a syslog name belongs to: the smtpd service whose `-o syslog_name` it
/// is; none (main.cf, the port-25 view) for main.cf's own `syslog_name` or an unknown name.
fn service_for<'a>(
    name: &str,
    services: &'a [Service],
    settings: &Settings<'_>,
) -> Option<&'a Service> {
    if name == settings.value("syslog_name").trim() {
        return None;
    }
    services.iter().filter(|s| s.is_smtpd()).find(|service| {
        service
            .overrides
            .iter()
            .any(|o| o.name == "syslog_name" && settings.expand(&o.value).trim() == name)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_this_servers_relay_denials_by_service_client_and_domain() {
        let log = "\
Dec  3 10:00:01 mx postfix/smtpd[11]: NOQUEUE: reject: RCPT from unknown[172.18.0.5]: 554 5.7.1 <a@example.org>: Relay access denied; from=<app@corp.example> to=<a@example.org> proto=ESMTP helo=<app>
Dec  3 10:00:02 mx postfix/smtpd[11]: NOQUEUE: reject: RCPT from unknown[172.18.0.5]: 554 5.7.1 <b@example.org>: Relay access denied; from=<app@corp.example> to=<b@example.org> proto=ESMTP helo=<app>
Dec  3 10:00:03 mx postfix/submission/smtpd[12]: NOQUEUE: reject: RCPT from pc.lan[192.0.2.9]: 554 5.7.1 <c@example.net>: Relay access denied; from=<me@corp.example> to=<c@example.net> proto=ESMTP helo=<pc>
Dec  3 10:00:04 mx postfix/smtpd[11]: connect from unknown[172.18.0.5]
";
        let read = read_refusals(log.as_bytes()).expect("reads");
        assert_eq!(read.count, 3);
        assert_eq!(read.clients(), 2);
        let names: Vec<&str> = read.groups.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["postfix", "postfix/submission"]);
        let port25 = &read.groups[0].1;
        assert_eq!(port25.clients[0].count, 2);
        assert_eq!(port25.domains[0].domain, "example.org");
    }
}
