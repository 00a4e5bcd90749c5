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
    let same_host = |a: &str, b: &str| {
        a.trim_end_matches('.')
            .eq_ignore_ascii_case(b.trim_end_matches('.'))
    };
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
}
