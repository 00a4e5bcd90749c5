//! Exim's lists: splitting them, and matching a client address against a host list.
//!
//! As the specification's chapter "Domain, host, address, and local part lists" describes
//! (<https://docs.huihoo.com/exim/4/spec/ch10.html>): items are separated by `:`; `::` is a
//! literal colon (so `::1` is written `::::1`), unless the list starts with `<` and another
//! separator (`<; 127.0.0.1 ; ::1`). An item may be negated with `!`; the first item that
//! matches decides; when none does, the list matches if its last item was negated (checked
//! against Exim 4.96: `${if match_ip{12.1.2.3}{10.0.0.0/8 : !11.0.0.0/8}}` is yes).
//!
//! Items that need DNS, a lookup file or the local interfaces (host names, `@[]`,
//! `lsearch;/etc/relayhosts`, `${…}`) are not guessed at: matching says "unknown" with the item.

use std::net::IpAddr;

use crate::exim::config::EximConfig;
use crate::postfix::net::Net;

/// The items of a list, trimmed, empty ones dropped (an empty item matches only a message
/// submitted on the server itself, never a client address).
pub fn split(list: &str) -> Vec<String> {
    let list = list.trim();
    let (sep, body) = match list.strip_prefix('<') {
        Some(rest)
            if rest
                .chars()
                .next()
                .is_some_and(|c| !c.is_alphanumeric() && !c.is_whitespace()) =>
        {
            let sep = rest.chars().next().unwrap_or(':');
            (sep, &rest[sep.len_utf8()..])
        }
        _ => (':', list),
    };
    let mut items = Vec::new();
    let mut current = String::new();
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if c == sep {
            if chars.peek() == Some(&sep) {
                chars.next();
                current.push(sep);
            } else {
                items.push(std::mem::take(&mut current));
            }
        } else {
            current.push(c);
        }
    }
    items.push(current);
    items
        .into_iter()
        .map(|item| item.trim().to_owned())
        .filter(|item| !item.is_empty())
        .collect()
}

/// Writes items as a list Exim reads back: colon-separated, or `<;` when an item holds a
/// colon (an IPv6 address).
pub fn join(items: &[String]) -> String {
    if items.iter().any(|i| i.contains(':')) {
        format!("<; {}", items.join(" ; "))
    } else {
        items.join(" : ")
    }
}

/// The outcome of matching a client against a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostMatch {
    /// It matches; the item that did.
    Yes(String),
    No,
    /// Cannot tell offline; the item that needs DNS, a file or the server's interfaces.
    Unknown(String),
}

/// Matches `ip` against a host list (`+name` references resolved in `config`).
pub fn match_host(config: &EximConfig, list: &str, ip: IpAddr) -> HostMatch {
    match_host_depth(config, list, ip, 0)
}

fn match_host_depth(config: &EximConfig, list: &str, ip: IpAddr, depth: usize) -> HostMatch {
    let items = split(list);
    // Unknown items passed on the way, with the result they would give if they matched.
    let mut unsure: Vec<(String, bool)> = Vec::new();
    let last_negated = items.last().is_some_and(|i| i.starts_with('!'));
    for item in &items {
        let (negated, bare) = match item.strip_prefix('!') {
            Some(rest) => (true, rest.trim()),
            None => (false, item.as_str()),
        };
        let verdict = match item_matches(config, bare, ip, depth) {
            HostMatch::Yes(_) => true,
            HostMatch::No => continue,
            HostMatch::Unknown(why) => {
                unsure.push((why, !negated));
                continue;
            }
        };
        let result = verdict != negated;
        // An earlier unknown item would have decided the other way: cannot tell.
        if let Some((why, _)) = unsure.iter().find(|(_, would)| *would != result) {
            return HostMatch::Unknown(why.clone());
        }
        return if result {
            HostMatch::Yes(item.clone())
        } else {
            HostMatch::No
        };
    }
    let result = last_negated;
    if let Some((why, _)) = unsure.iter().find(|(_, would)| *would != result) {
        return HostMatch::Unknown(why.clone());
    }
    if result {
        HostMatch::Yes(format!(
            "the end of a list whose last item is negated ({list})"
        ))
    } else {
        HostMatch::No
    }
}

fn item_matches(config: &EximConfig, item: &str, ip: IpAddr, depth: usize) -> HostMatch {
    if item == "*" {
        return HostMatch::Yes(item.to_owned());
    }
    if let Some(name) = item.strip_prefix('+') {
        if depth > 20 {
            return HostMatch::Unknown(format!("+{name} refers to itself"));
        }
        return match config.list(name) {
            Some(list) if list.kind == "hostlist" => {
                match match_host_depth(config, &list.value, ip, depth + 1) {
                    HostMatch::Yes(_) => HostMatch::Yes(format!("+{name}")),
                    other => other,
                }
            }
            _ => HostMatch::Unknown(format!("+{name}, a host list this input does not define")),
        };
    }
    if let Some(net) = Net::parse(item) {
        return if net.contains(ip) {
            HostMatch::Yes(item.to_owned())
        } else {
            HostMatch::No
        };
    }
    // `localhost` is looked up like any name; every system's hosts file gives it the loopback
    // addresses, so it is judged as them.
    if item.eq_ignore_ascii_case("localhost") {
        return if crate::postfix::net::normalize(ip).is_loopback() {
            HostMatch::Yes(item.to_owned())
        } else {
            HostMatch::No
        };
    }
    // `net24-lsearch;/file`, `iplsearch;/file`, `${…}`, `/file`, `@[]`, host names.
    HostMatch::Unknown(item.to_owned())
}

/// Whether a domain list takes a domain this server does not handle at all (named nowhere):
/// only `*`, or a list that ends in a negated item, does. Regular expressions are not judged.
pub fn foreign_domain_matches(config: &EximConfig, list: &str) -> Option<bool> {
    foreign_depth(config, list, 0)
}

fn foreign_depth(config: &EximConfig, list: &str, depth: usize) -> Option<bool> {
    let items = split(list);
    let last_negated = items.last().is_some_and(|i| i.starts_with('!'));
    for item in &items {
        let (negated, bare) = match item.strip_prefix('!') {
            Some(rest) => (true, rest.trim()),
            None => (false, item.as_str()),
        };
        let matched = if bare == "*" {
            true
        } else if let Some(name) = bare.strip_prefix('+') {
            match config.list(name) {
                Some(list) if depth < 20 => foreign_depth(config, &list.value, depth + 1)?,
                // An undefined list: Exim refuses the configuration; a foreign domain is in
                // no list anyway.
                _ => false,
            }
        } else if bare.starts_with('^') || bare.starts_with("${") {
            return None;
        } else {
            // A name, `*.suffix`, `@`, `@mx_any`, a lookup of this server's domains: a
            // domain named nowhere is in none of them.
            false
        };
        if matched {
            return Some(!negated);
        }
    }
    Some(last_negated)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exim::config::parse;

    fn ip(text: &str) -> IpAddr {
        text.parse()
            .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
    }

    #[test]
    fn separators_as_exim_writes_them() {
        assert_eq!(split("127.0.0.1 : ::::1"), ["127.0.0.1", "::1"]);
        assert_eq!(split("<; 127.0.0.1 ; ::1 ; "), ["127.0.0.1", "::1"]);
        assert_eq!(split(":"), Vec::<String>::new());
        assert_eq!(split(" : 192.168.1.0/24 :"), ["192.168.1.0/24"]);
        assert_eq!(
            join(&["127.0.0.1".into(), "::1".into()]),
            "<; 127.0.0.1 ; ::1"
        );
        assert_eq!(
            join(&["127.0.0.1".into(), "10.0.0.0/8".into()]),
            "127.0.0.1 : 10.0.0.0/8"
        );
    }

    #[test]
    fn matching_follows_exims_rules() {
        let (config, _) = parse(
            "c",
            "hostlist lan = 192.168.1.0/24\nhostlist relay_from_hosts = 127.0.0.1 : +lan\n\
             hostlist looked_up = net32-lsearch;/etc/relayhosts : 10.0.0.0/8\n",
        );
        let m = |list: &str, addr: &str| match_host(&config, list, ip(addr));
        assert_eq!(
            m("+relay_from_hosts", "192.168.1.7"),
            HostMatch::Yes("+relay_from_hosts".into())
        );
        assert_eq!(m("+relay_from_hosts", "192.168.2.7"), HostMatch::No);
        // Checked against Exim 4.96's match_ip (see the module docs).
        assert_eq!(m("!10.0.0.0/8 : *", "10.1.2.3"), HostMatch::No);
        assert!(matches!(m("!10.0.0.0/8", "11.1.2.3"), HostMatch::Yes(_)));
        assert_eq!(m("10.0.0.0/8 : !11.0.0.0/8", "11.1.2.3"), HostMatch::No);
        assert!(matches!(
            m("10.0.0.0/8 : !11.0.0.0/8", "12.1.2.3"),
            HostMatch::Yes(_)
        ));
        // A lookup file decides before 10/8 only if it could say no: it cannot (it is
        // positive), so a 10/8 client matches; another client is unknown.
        assert!(matches!(m("+looked_up", "10.9.9.9"), HostMatch::Yes(_)));
        assert!(matches!(
            m("+looked_up", "203.0.113.9"),
            HostMatch::Unknown(_)
        ));
        assert!(matches!(m("+nowhere", "127.0.0.1"), HostMatch::Unknown(_)));
        assert!(matches!(m("<; ::1", "::1"), HostMatch::Yes(_)));
    }

    #[test]
    fn a_foreign_domain_is_in_no_list_of_names() {
        let (config, _) = parse(
            "c",
            "domainlist local_domains = @ : localhost : example.test : lsearch;/etc/localdomains\n\
             domainlist relay_to_domains =\n",
        );
        assert_eq!(
            foreign_domain_matches(&config, "+local_domains : +relay_to_domains"),
            Some(false)
        );
        assert_eq!(
            foreign_domain_matches(&config, "!+local_domains"),
            Some(true)
        );
        assert_eq!(foreign_domain_matches(&config, "*"), Some(true));
        assert_eq!(foreign_domain_matches(&config, "^.*\\.test$"), None);
    }
}
