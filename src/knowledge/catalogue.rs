//! The provider catalogue's own rules, checked once every entry is built: what `kb validate`
//! adds for `knowledge/providers/`.
//!
//! Each entry on its own: server names that are host names (no templates such as
//! `%EMAILDOMAIN%`), address domains and MX suffixes written as lower-case domain names, a
//! region that is a two-letter country code, `eu` or `global`, incoming servers that say IMAP
//! or POP3, a port and security that agree (465, 993 and 995 are SSL/TLS from the first byte;
//! 587, 25, 143 and 110 are plain or STARTTLS), and at least one source page in the bundled
//! entries (an organisation's own entries are their own source). Across entries:
//! no address domain and no MX suffix claimed twice, since a lookup would then depend on file
//! order.

use std::collections::HashMap;

use super::model::{Endpoint, Provider};
use super::raw::{Protocol, Security};
use crate::diagnostic::{Diagnostic, Diagnostics};

/// How the files compiled into relaydoc are named in diagnostics (see `source.rs`).
const BUNDLED: &str = "bundled:";

/// Checks every provider entry and the catalogue as a whole; problems carry the entry's file
/// and position.
pub(super) fn check(providers: &[Provider], problems: &mut Diagnostics) {
    let mut domains: HashMap<String, &str> = HashMap::new();
    let mut suffixes: HashMap<String, &str> = HashMap::new();
    for provider in providers {
        let mut report = |message: String| {
            problems.push(
                Diagnostic::new(&provider.origin.file, message)
                    .at(provider.origin.position)
                    .item(&provider.id),
            );
        };
        for domain in &provider.domains {
            if !is_domain(domain) {
                report(format!(
                    "address domain `{domain}` is not a lower-case domain name (like example.com)"
                ));
            }
            if let Some(other) = domains.insert(domain.clone(), &provider.id)
                && other != provider.id
            {
                report(format!(
                    "address domain `{domain}` is claimed by `{other}` too: a domain belongs to \
                     one entry"
                ));
            }
        }
        for suffix in &provider.mx_suffixes {
            if !is_domain(suffix) {
                report(format!(
                    "MX suffix `{suffix}` is not a lower-case domain name (like mail.example.com)"
                ));
            }
            if let Some(other) = suffixes.insert(suffix.clone(), &provider.id)
                && other != provider.id
            {
                report(format!(
                    "MX suffix `{suffix}` is claimed by `{other}` too: an MX suffix belongs to \
                     one entry"
                ));
            }
        }
        if let Some(region) = &provider.region
            && !is_region(region)
        {
            report(format!(
                "`region: {region}` is not a two-letter country code in lower case (de, us, \
                 gb …), `eu` or `global`"
            ));
        }
        // An organisation's own entries are their own source; bundled ones cite a page.
        if provider.sources.is_empty() && provider.origin.file.starts_with(BUNDLED) {
            report("the entry has no `sources`: every setting names the page it comes from".into());
        }
        for source in &provider.sources {
            if !(source.starts_with("https://") || source.starts_with("http://")) {
                report(format!(
                    "source `{source}` is not a web address (https://…)"
                ));
            }
        }
        for endpoint in &provider.outgoing {
            if matches!(endpoint.protocol, Some(Protocol::Imap | Protocol::Pop3)) {
                report(format!(
                    "outgoing server {} says it is {}: outgoing servers speak SMTP",
                    endpoint.host,
                    protocol_name(endpoint.protocol)
                ));
            }
            check_endpoint(endpoint, &mut report);
        }
        for endpoint in &provider.incoming {
            if !matches!(endpoint.protocol, Some(Protocol::Imap | Protocol::Pop3)) {
                report(format!(
                    "incoming server {} needs `protocol: imap` or `protocol: pop3`",
                    endpoint.host
                ));
            }
            check_endpoint(endpoint, &mut report);
        }
    }
}

fn check_endpoint(endpoint: &Endpoint, report: &mut impl FnMut(String)) {
    if !is_host(&endpoint.host) {
        report(format!(
            "server `{}` is not a host name (letters, digits, dots and hyphens, like \
             smtp.example.com)",
            endpoint.host
        ));
    }
    if let Some(expected) = port_security_clash(endpoint.port, endpoint.security) {
        report(format!(
            "{} port {} with {}: {expected}",
            endpoint.host,
            endpoint.port,
            security_name(endpoint.security)
        ));
    }
}

/// What is wrong when a well-known port is paired with the other kind of security; `None`
/// when they agree or the port is not one whose security is fixed by convention.
pub fn port_security_clash(port: u16, security: Security) -> Option<&'static str> {
    match (port, security) {
        (465 | 993 | 995, Security::Tls) => None,
        (465 | 993 | 995, _) => Some("this port is SSL/TLS from the first byte (security: tls)"),
        (587 | 25 | 143 | 110, Security::Tls) => {
            Some("this port starts plain (security: starttls, or none)")
        }
        _ => None,
    }
}

fn security_name(security: Security) -> &'static str {
    match security {
        Security::None => "no encryption",
        Security::Starttls => "STARTTLS",
        Security::Tls => "SSL/TLS",
    }
}

fn protocol_name(protocol: Option<Protocol>) -> &'static str {
    match protocol {
        Some(Protocol::Imap) => "IMAP",
        Some(Protocol::Pop3) => "POP3",
        Some(Protocol::Smtp) | None => "SMTP",
    }
}

/// A lower-case domain name with at least two labels.
fn is_domain(text: &str) -> bool {
    text.contains('.') && is_host(text) && text == text.to_ascii_lowercase()
}

/// Labels of letters, digits and inner hyphens, separated by dots, no empty label.
fn is_host(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 253
        && text.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

fn is_region(text: &str) -> bool {
    text == "global" || (text.len() == 2 && text.chars().all(|c| c.is_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_ports_fix_their_security() {
        assert!(port_security_clash(465, Security::Tls).is_none());
        assert!(port_security_clash(465, Security::Starttls).is_some());
        assert!(port_security_clash(993, Security::None).is_some());
        assert!(port_security_clash(587, Security::Starttls).is_none());
        assert!(port_security_clash(587, Security::None).is_none());
        assert!(port_security_clash(587, Security::Tls).is_some());
        assert!(port_security_clash(25, Security::Tls).is_some());
        assert!(port_security_clash(143, Security::Tls).is_some());
        // Ports without a convention (Rediffmail's 586, Runbox's 26) are left alone.
        assert!(port_security_clash(586, Security::Tls).is_none());
    }

    fn entry(file: &str, sources: &[&str]) -> Provider {
        Provider {
            id: "p".into(),
            name: "P".into(),
            kind: None,
            region: None,
            domains: vec!["p.test".into()],
            mx_suffixes: Vec::new(),
            username: crate::knowledge::raw::Username::FullAddress,
            outgoing: Vec::new(),
            incoming: Vec::new(),
            notes: None,
            sources: sources.iter().map(|s| s.to_string()).collect(),
            signin: Vec::new(),
            origin: crate::knowledge::model::Origin {
                file: file.into(),
                position: None,
            },
        }
    }

    #[test]
    fn bundled_entries_cite_a_source_and_an_organisations_need_not() {
        let problems = |providers: &[Provider]| {
            let mut problems = Diagnostics::default();
            check(providers, &mut problems);
            problems
                .iter()
                .map(|p| p.message.clone())
                .collect::<Vec<_>>()
        };
        let missing = problems(&[entry("bundled:providers/p.yaml", &[])]);
        assert!(
            missing.iter().any(|m| m.contains("has no `sources`")),
            "{missing:?}"
        );
        assert!(
            problems(&[entry(
                "/home/me/.config/relaydoc/knowledge/providers/p.yaml",
                &[]
            )])
            .is_empty()
        );
        assert!(
            problems(&[entry("bundled:providers/p.yaml", &["https://p.test/help"])]).is_empty()
        );
        let bad = problems(&[entry("bundled:providers/p.yaml", &["the help page"])]);
        assert!(
            bad.iter().any(|m| m.contains("is not a web address")),
            "{bad:?}"
        );
    }

    #[test]
    fn host_and_domain_shapes() {
        assert!(is_host("smtp.example.com") && is_domain("example.co.uk"));
        assert!(!is_host("mail.%EMAILDOMAIN%") && !is_host("a..b") && !is_host("-a.b"));
        assert!(!is_domain("Example.com") && !is_domain("localhost"));
        assert!(is_region("de") && is_region("global") && is_region("eu"));
        assert!(!is_region("DE") && !is_region("europe"));
    }
}
