//! "Yours vs theirs": what the person's program uses, set beside what the provider publishes,
//! one line per difference ("your program uses port 25 with no encryption; GMX publishes
//! mail.gmx.net port 587 with STARTTLS").
//!
//! [`differences`] is the pure comparison, over discovery's [`Server`] so settings from the
//! catalogue and from discovery online compare alike; [`for_account`] applies it to `check
//! account`'s report when the person gave their own server.

use crate::checks::account::{AccountReport, Source as AccountSource};
use crate::discovery::{Protocol, Server, Source};
use crate::knowledge::Knowledge;
use crate::vocab::Security;

/// The outgoing server a program uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Used {
    pub host: String,
    pub port: u16,
    pub security: Security,
}

/// One line per way `used` differs from every SMTP server `name` publishes; none when it is
/// one of them, or when nothing is published to compare with.
pub fn differences(used: &Used, name: &str, published: &[Server]) -> Vec<String> {
    let mut smtp: Vec<&Server> = Vec::new();
    for server in published.iter().filter(|s| s.protocol == Protocol::Smtp) {
        let seen = smtp.iter().any(|s| {
            same_host(&s.host, &server.host)
                && s.port == server.port
                && s.security == server.security
        });
        if !seen {
            smtp.push(server);
        }
    }
    let Some(first) = smtp.first() else {
        return Vec::new();
    };
    if smtp.iter().any(|s| {
        same_host(&s.host, &used.host) && s.port == used.port && s.security == used.security
    }) {
        return Vec::new();
    }
    let mut lines = Vec::new();
    let on_host: Vec<&&Server> = smtp
        .iter()
        .filter(|s| same_host(&s.host, &used.host))
        .collect();
    let host = if on_host.is_empty() {
        lines.push(format!(
            "your program sends through {}; {name} publishes {}",
            used.host, first.host
        ));
        first.host.as_str()
    } else {
        used.host.as_str()
    };
    let choices: Vec<&&Server> = smtp.iter().filter(|s| same_host(&s.host, host)).collect();
    let pair_published = choices
        .iter()
        .any(|s| s.port == used.port && s.security == used.security);
    if !pair_published {
        // The published setting on the same port, if any (then only the encryption differs).
        let best = choices
            .iter()
            .find(|s| s.port == used.port)
            .or_else(|| choices.first())
            .map_or(*first, |s| **s);
        let others: Vec<String> = choices
            .iter()
            .filter(|s| (s.port, s.security) != (best.port, best.security))
            .map(|s| format!("port {} with {}", s.port, words(s.security)))
            .collect();
        let or = if others.is_empty() {
            String::new()
        } else {
            format!(" (or {})", others.join(", or "))
        };
        lines.push(format!(
            "your program uses port {} with {}; {name} publishes {} port {} with {}{or}",
            used.port,
            words(used.security),
            best.host,
            best.port,
            words(best.security)
        ));
    }
    lines
}

/// Host names as DNS compares them: any case, with or without the final dot.
fn same_host(a: &str, b: &str) -> bool {
    a.trim_end_matches('.')
        .eq_ignore_ascii_case(b.trim_end_matches('.'))
}

fn words(security: Security) -> &'static str {
    match security {
        Security::None => "no encryption",
        Security::Starttls => "STARTTLS",
        Security::Tls => "SSL/TLS",
    }
}

/// The differences for `check account`: only when the person gave the server (`--server`),
/// against the catalogue entry of the address's domain, else the one its MX points to.
pub fn for_account(kb: &Knowledge, report: &AccountReport) -> Vec<String> {
    if report.settings.source != AccountSource::Given {
        return Vec::new();
    }
    let Some(candidate) = report.settings.primary() else {
        return Vec::new();
    };
    let domain = report
        .email
        .rsplit_once('@')
        .map(|(_, domain)| domain)
        .unwrap_or_default();
    let mx_hosts: Vec<String> = report
        .facts
        .get("dns.mx_hosts")
        .map(|hosts| hosts.split(',').map(str::to_owned).collect())
        .unwrap_or_default();
    let Some(provider) = kb
        .provider_for_domain(domain)
        .or_else(|| super::account::provider_for_mx(kb, &mx_hosts))
    else {
        return Vec::new();
    };
    let published = super::discovery::found_from_provider(provider, Source::Catalogue);
    let used = Used {
        host: candidate.host.clone(),
        port: candidate.port,
        security: candidate.security,
    };
    differences(&used, &provider.name, &published.outgoing)
}

/// The differences for the wizard, from what the person told it: the outgoing server their
/// program uses (`client.server_host`, with `client.port` and `client.security` when known)
/// against what the provider of `account.email` publishes. With the server alone, only a
/// different server is said; nothing when the provider or the server is unknown.
pub fn for_facts(kb: &Knowledge, facts: &crate::engine::Facts) -> Vec<String> {
    let known = |key: &str| {
        facts
            .get(key)
            .map(String::as_str)
            .filter(|value| !value.is_empty() && *value != crate::knowledge::model::UNKNOWN)
    };
    let (Some(host), Some(email)) = (known("client.server_host"), known("account.email")) else {
        return Vec::new();
    };
    let domain = email.rsplit_once('@').map_or("", |(_, domain)| domain);
    let Some(provider) = kb.provider_for_domain(domain) else {
        return Vec::new();
    };
    let published = super::discovery::found_from_provider(provider, Source::Catalogue);
    let port = known("client.port").and_then(|port| port.parse::<u16>().ok());
    let security = known("client.security").and_then(Security::from_name);
    match (port, security) {
        (Some(port), Some(security)) => differences(
            &Used {
                host: host.to_owned(),
                port,
                security,
            },
            &provider.name,
            &published.outgoing,
        ),
        _ => {
            let smtp: Vec<&Server> = published
                .outgoing
                .iter()
                .filter(|s| s.protocol == Protocol::Smtp)
                .collect();
            match smtp.first() {
                Some(first) if !smtp.iter().any(|s| same_host(&s.host, host)) => vec![format!(
                    "your program sends through {host}; {} publishes {}",
                    provider.name, first.host
                )],
                _ => Vec::new(),
            }
        }
    }
}

/// The differences as a short block of text for a screen, or `None` when there are none.
pub fn text(lines: &[String]) -> Option<String> {
    if lines.is_empty() {
        return None;
    }
    let mut out = String::from("Your settings and your provider's:\n");
    for line in lines {
        out.push_str("  • ");
        out.push_str(&crate::sanitize::for_terminal(line));
        out.push('\n');
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::Auth;

    fn smtp(host: &str, port: u16, security: Security) -> Server {
        Server {
            protocol: Protocol::Smtp,
            host: host.into(),
            port,
            security,
            auth: Auth::Password,
        }
    }

    fn gmx() -> Vec<Server> {
        vec![
            smtp("mail.gmx.net", 587, Security::Starttls),
            smtp("mail.gmx.net", 465, Security::Tls),
        ]
    }

    fn used(host: &str, port: u16, security: Security) -> Used {
        Used {
            host: host.into(),
            port,
            security,
        }
    }

    #[test]
    fn a_published_setting_has_no_differences() {
        for (port, security) in [(587, Security::Starttls), (465, Security::Tls)] {
            let lines = differences(&used("MAIL.gmx.net.", port, security), "GMX", &gmx());
            assert!(lines.is_empty(), "{lines:?}");
        }
    }

    #[test]
    fn port_25_without_encryption_is_told_against_the_published_ones() {
        let lines = differences(&used("mail.gmx.net", 25, Security::None), "GMX", &gmx());
        assert_eq!(
            lines,
            [
                "your program uses port 25 with no encryption; GMX publishes mail.gmx.net port 587 \
              with STARTTLS (or port 465 with SSL/TLS)"
            ]
        );
    }

    #[test]
    fn the_right_port_with_the_wrong_encryption_names_that_port() {
        let lines = differences(
            &used("mail.gmx.net", 465, Security::Starttls),
            "GMX",
            &gmx(),
        );
        assert_eq!(
            lines,
            [
                "your program uses port 465 with STARTTLS; GMX publishes mail.gmx.net port 465 with \
              SSL/TLS (or port 587 with STARTTLS)"
            ]
        );
    }

    #[test]
    fn another_server_is_one_line_and_its_port_another() {
        let lines = differences(&used("smtp.isp.example", 25, Security::None), "GMX", &gmx());
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert_eq!(
            lines[0],
            "your program sends through smtp.isp.example; GMX publishes mail.gmx.net"
        );
        assert!(lines[1].starts_with("your program uses port 25 with no encryption; GMX"));
        // The other server on a published port and encryption: only the host differs.
        let lines = differences(
            &used("smtp.isp.example", 587, Security::Starttls),
            "GMX",
            &gmx(),
        );
        assert_eq!(lines.len(), 1, "{lines:?}");
    }

    #[test]
    fn nothing_published_means_nothing_to_say() {
        assert!(differences(&used("x", 25, Security::None), "Tuta", &[]).is_empty());
        let imap_only = [Server {
            protocol: Protocol::Imap,
            ..smtp("imap.x", 993, Security::Tls)
        }];
        assert!(differences(&used("x", 25, Security::None), "X", &imap_only).is_empty());
    }

    fn facts(pairs: &[(&str, &str)]) -> crate::engine::Facts {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_wizard_compares_what_the_person_told_it() {
        let kb = crate::knowledge::bundled().expect("bundled knowledge");
        let given = facts(&[
            ("account.email", "anna@gmx.de"),
            ("client.server_host", "smtp.gmx.de"),
        ]);
        let lines = for_facts(&kb, &given);
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(lines[0].contains("smtp.gmx.de") && lines[0].contains("mail.gmx.net"));

        let with_port = facts(&[
            ("account.email", "anna@gmx.de"),
            ("client.server_host", "mail.gmx.net"),
            ("client.port", "25"),
            ("client.security", "none"),
        ]);
        let lines = for_facts(&kb, &with_port);
        assert!(
            lines
                .iter()
                .any(|l| l.contains("port 25 with no encryption")),
            "{lines:?}"
        );
        let block = text(&lines).expect("something to say");
        assert!(block.starts_with("Your settings and your provider's:"));

        let published = facts(&[
            ("account.email", "anna@gmx.de"),
            ("client.server_host", "mail.gmx.net"),
        ]);
        assert!(for_facts(&kb, &published).is_empty());
        // Unknown server, or an address no provider in the catalogue serves: nothing said.
        assert!(for_facts(&kb, &facts(&[("account.email", "anna@gmx.de")])).is_empty());
        let unknown = facts(&[
            ("account.email", "anna@own-domain.test"),
            ("client.server_host", "mail.own-domain.test"),
        ]);
        assert!(for_facts(&kb, &unknown).is_empty());
        assert!(text(&[]).is_none());
    }
}
