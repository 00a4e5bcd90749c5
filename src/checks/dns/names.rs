//! Name arithmetic with no network: the reversed forms of addresses used by reverse DNS and
//! DNS blacklists, and recognising names that are really IP addresses.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The reversed form of an address as DNSBLs and reverse DNS use it (RFC 5782 §2.1, §2.4):
/// IPv4 octets in reverse order (`192.0.2.99` → `99.2.0.192`), IPv6 as 32 reversed hex
/// nibbles (`2001:db8::1` → `1.0.0.0.…8.b.d.0.1.0.0.2`). An IPv4-mapped IPv6 address stays
/// IPv6: RFC 5782 lists `::FFFF:7F00:2` in nibble form in IPv6 lists.
pub fn reversed(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => reversed_v4(v4),
        IpAddr::V6(v6) => nibbles(v6),
    }
}

fn reversed_v4(ip: Ipv4Addr) -> String {
    let [a, b, c, d] = ip.octets();
    format!("{d}.{c}.{b}.{a}")
}

fn nibbles(ip: Ipv6Addr) -> String {
    let mut labels = Vec::with_capacity(32);
    for byte in ip.octets().iter().rev() {
        labels.push(format!("{:x}", byte & 0x0f));
        labels.push(format!("{:x}", byte >> 4));
    }
    labels.join(".")
}

/// The name to ask for the PTR record of `ip` (`1.0.0.127.in-addr.arpa`, `….ip6.arpa`).
pub fn reverse_name(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(_) => format!("{}.in-addr.arpa", reversed(ip)),
        IpAddr::V6(_) => format!("{}.ip6.arpa", reversed(ip)),
    }
}

/// The name to ask a DNSBL `zone` about `ip` (`2.0.0.127.zen.spamhaus.org`).
pub fn dnsbl_query_name(ip: IpAddr, zone: &str) -> String {
    format!("{}.{}", reversed(ip), zone.trim_end_matches('.'))
}

/// True when a host name is really an IP address written as a name, like an MX target of
/// `127.0.0.1.` or `[192.0.2.1]`. RFC 5321 §5.1 needs a host name there, so such an MX does
/// not work: senders look the "name" up, and it does not exist.
pub fn looks_like_ip_literal(name: &str) -> bool {
    let bare = name.trim_end_matches('.');
    let bare = bare
        .strip_prefix('[')
        .and_then(|inner| inner.strip_suffix(']'))
        .unwrap_or(bare);
    let bare = bare.strip_prefix("IPv6:").unwrap_or(bare);
    bare.parse::<IpAddr>().is_ok()
}

/// A name as relaydoc shows and compares it: lower case, without the trailing dot; the root
/// stays `"."`.
pub fn display_name(name: &str) -> String {
    if name == "." {
        return ".".to_owned();
    }
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// The absolute form of a name for a query: exactly one trailing dot, so no search domain
/// from resolv.conf is ever appended.
pub fn fqdn(name: &str) -> String {
    format!("{}.", name.trim_end_matches('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("test address")
    }

    #[test]
    fn ipv4_octets_are_reversed() {
        assert_eq!(reversed(ip("192.0.2.99")), "99.2.0.192");
        assert_eq!(reversed(ip("127.0.0.2")), "2.0.0.127");
        assert_eq!(reversed(ip("10.20.30.255")), "255.30.20.10");
    }

    #[test]
    fn ipv6_becomes_32_reversed_nibbles() {
        // RFC 5782 §2.4's own example.
        assert_eq!(
            reversed(ip("2001:db8:1:2:3:4:567:89ab")),
            "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2"
        );
        assert_eq!(
            reversed(ip("::1")),
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0"
        );
    }

    #[test]
    fn ipv4_mapped_ipv6_stays_in_nibble_form() {
        // RFC 5782 §5: IPv6 lists carry ::FFFF:7F00:2 as their "listed" test entry.
        assert_eq!(
            reversed(ip("::ffff:127.0.0.2")),
            "2.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0"
        );
    }

    #[test]
    fn reverse_and_dnsbl_names() {
        assert_eq!(reverse_name(ip("127.0.0.1")), "1.0.0.127.in-addr.arpa");
        assert!(reverse_name(ip("::1")).ends_with(".0.ip6.arpa"));
        assert_eq!(
            dnsbl_query_name(ip("127.0.0.2"), "zen.spamhaus.org."),
            "2.0.0.127.zen.spamhaus.org"
        );
    }

    #[test]
    fn ip_literals_are_recognised_in_any_spelling() {
        assert!(looks_like_ip_literal("127.0.0.1"));
        assert!(looks_like_ip_literal("127.0.0.1."));
        assert!(looks_like_ip_literal("[192.0.2.1]"));
        assert!(looks_like_ip_literal("[IPv6:2001:db8::1]"));
        assert!(looks_like_ip_literal("::1"));
        assert!(!looks_like_ip_literal("mail.example.test"));
        assert!(!looks_like_ip_literal("1.example"));
        assert!(!looks_like_ip_literal("."));
    }

    #[test]
    fn names_are_shown_lower_case_without_trailing_dot() {
        assert_eq!(display_name("Mail.Example.TEST."), "mail.example.test");
        assert_eq!(display_name("."), ".");
        assert_eq!(fqdn("example.test"), "example.test.");
        assert_eq!(fqdn("example.test."), "example.test.");
    }
}
