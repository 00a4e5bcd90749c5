//! Network patterns as Postfix writes them: `mynetworks`, CIDR tables, `[ipv6]/len`.
//!
//! A pattern relaydoc cannot judge offline (a host name needs DNS, a database table needs the
//! database) is not guessed at: matching says "unknown", with the reason, and the caller names
//! it as an approximation.

use std::net::IpAddr;
use std::path::Path;

/// One network: an address and a prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Net {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl Net {
    /// `1.2.3.0/24`, `1.2.3.4`, `[::1]/128`, `[fe80::]/10`, `::1/128`.
    pub fn parse(text: &str) -> Option<Self> {
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix.parse::<u8>().ok()?)),
            None => (text, None),
        };
        let addr = addr
            .strip_prefix('[')
            .and_then(|a| a.strip_suffix(']'))
            .unwrap_or(addr);
        let addr: IpAddr = addr.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(Self { addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, normalize(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }

    /// The whole address space, or nearly (a /0–/7): an open relay if trusted.
    pub fn is_internet_wide(&self) -> bool {
        self.prefix < 8
    }
}

impl std::fmt::Display for Net {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.addr {
            IpAddr::V4(addr) => write!(f, "{addr}/{}", self.prefix),
            IpAddr::V6(addr) => write!(f, "[{addr}]/{}", self.prefix),
        }
    }
}

/// Postfix shows an IPv4 client on a dual-stack socket as plain IPv4.
pub fn normalize(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The outcome of matching a client against a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    Yes(String),
    No,
    /// The list has entries relaydoc cannot evaluate offline; the text says which.
    Unknown(String),
}

/// A parsed `mynetworks`-style list.
#[derive(Debug, Clone, Default)]
pub struct NetList {
    /// (negated, entry): `!` before a pattern excludes it (first match wins, as in Postfix).
    pub entries: Vec<(bool, Entry)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Net(Net),
    /// Something relaydoc cannot evaluate: a host name, a database table, an unreadable file.
    Opaque(String),
}

impl NetList {
    /// Parses list items; `/file` items and `cidr:` tables are read (bounded), nested once.
    pub fn parse(items: &[String]) -> Self {
        let mut list = Self::default();
        for item in items {
            list.add(item, None);
        }
        list
    }

    /// `from` is the file and line an item was read from: such an item is never quoted (the
    /// file may be anything, `/etc/shadow` included), only named by file and line.
    fn add(&mut self, item: &str, from: Option<(&str, usize)>) {
        let (negated, item) = match item.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, item),
        };
        let opaque = |what: &str| match from {
            Some((file, line)) => Entry::Opaque(format!(
                "{}, line {line}: an entry relaydoc cannot match offline",
                crate::sanitize::excerpt(file, 80)
            )),
            None => Entry::Opaque(crate::sanitize::excerpt(what, 80)),
        };
        if let Some(net) = Net::parse(item) {
            self.entries.push((negated, Entry::Net(net)));
        } else if item.starts_with('/') && from.is_none() {
            match crate::postfix::read_named_file(Path::new(item)) {
                Ok(text) => {
                    for (index, line) in text.lines().enumerate() {
                        let line = line.trim();
                        if line.is_empty() || line.starts_with('#') {
                            continue;
                        }
                        for word in crate::postfix::config::split_list(line) {
                            self.add(&word, Some((item, index + 1)));
                        }
                    }
                }
                Err(why) => self
                    .entries
                    .push((negated, opaque(&format!("{item} ({})", why.reason())))),
            }
        } else if let Some(path) = item.strip_prefix("cidr:").filter(|_| from.is_none()) {
            match crate::postfix::read_named_file(Path::new(path)) {
                Ok(text) => {
                    for line in text.lines() {
                        let mut words = line.split_whitespace();
                        if let Some(net) = words.next().and_then(Net::parse) {
                            self.entries.push((negated, Entry::Net(net)));
                        }
                    }
                }
                Err(why) => self
                    .entries
                    .push((negated, opaque(&format!("{item} ({})", why.reason())))),
            }
        } else {
            self.entries.push((negated, opaque(item)));
        }
    }

    pub fn matches(&self, ip: IpAddr) -> Match {
        let mut unknown = Vec::new();
        for (negated, entry) in &self.entries {
            match entry {
                Entry::Net(net) if net.contains(ip) => {
                    return if *negated {
                        Match::No
                    } else {
                        Match::Yes(net.to_string())
                    };
                }
                Entry::Net(_) => {}
                Entry::Opaque(what) => unknown.push(what.clone()),
            }
        }
        // Named, not listed whole: a list read from a file may have thousands of entries.
        const NAMED: usize = 5;
        unknown.dedup();
        match unknown.len() {
            0 => Match::No,
            n if n <= NAMED => Match::Unknown(unknown.join(", ")),
            n => Match::Unknown(format!(
                "{} … {} more",
                unknown[..NAMED].join(", "),
                n - NAMED
            )),
        }
    }

    pub fn nets(&self) -> impl Iterator<Item = &Net> {
        self.entries
            .iter()
            .filter_map(|(negated, entry)| match entry {
                Entry::Net(net) if !negated => Some(net),
                _ => None,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("test address")
    }

    #[test]
    fn cidr_v4_and_v6_in_brackets() {
        let list = NetList::parse(
            &[
                "127.0.0.0/8",
                "[::1]/128",
                "192.168.1.10",
                "[fd00::]/64",
                "!10.1.0.0/16",
                "10.0.0.0/8",
            ]
            .map(String::from),
        );
        assert_eq!(
            list.matches(ip("127.9.9.9")),
            Match::Yes("127.0.0.0/8".into())
        );
        assert_eq!(list.matches(ip("::1")), Match::Yes("[::1]/128".into()));
        assert_eq!(
            list.matches(ip("::ffff:127.0.0.2")),
            Match::Yes("127.0.0.0/8".into())
        );
        assert_eq!(
            list.matches(ip("192.168.1.10")),
            Match::Yes("192.168.1.10/32".into())
        );
        assert_eq!(list.matches(ip("192.168.1.11")), Match::No);
        assert_eq!(
            list.matches(ip("fd00::5")),
            Match::Yes("[fd00::]/64".into())
        );
        assert_eq!(list.matches(ip("10.1.2.3")), Match::No);
        assert_eq!(
            list.matches(ip("10.2.2.3")),
            Match::Yes("10.0.0.0/8".into())
        );
    }

    #[test]
    fn whole_internet_and_opaque_entries() {
        let list = NetList::parse(&["0.0.0.0/0".to_owned()]);
        assert!(list.nets().any(Net::is_internet_wide));
        assert!(matches!(list.matches(ip("203.0.113.9")), Match::Yes(_)));
        let list = NetList::parse(&["mail.example.com".to_owned(), "mysql:/etc/x.cf".to_owned()]);
        assert!(matches!(list.matches(ip("203.0.113.9")), Match::Unknown(_)));
        assert!(Net::parse("1.2.3.4/33").is_none());
        assert!(Net::parse("[::1]/129").is_none());
    }

    #[test]
    fn a_file_of_patterns_is_named_by_line_never_quoted() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("networks");
        std::fs::write(
            &path,
            "192.0.2.0/24\nroot:$6$SECRET:19000::\nhost.example\n",
        )
        .expect("write");
        let list = NetList::parse(&[path.display().to_string()]);
        let Match::Unknown(what) = list.matches(ip("203.0.113.9")) else {
            panic!("the two patterns that are not networks are unknown");
        };
        assert!(
            !what.contains("SECRET") && !what.contains("host.example"),
            "{what}"
        );
        assert!(what.contains("line 2") && what.contains("line 3"), "{what}");
        assert!(matches!(list.matches(ip("192.0.2.7")), Match::Yes(_)));
    }
}
