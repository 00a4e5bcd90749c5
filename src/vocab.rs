//! The floor everything stands on: words every part of relaydoc shares, and nothing else.
//!
//! This module imports nothing of relaydoc's, so any module may use it (the directions test,
//! `tests/architecture.rs`, holds it to that). What belongs here: how a connection is
//! protected ([`Security`]), a password or token ([`Secret`]), and reading an IP address a
//! person typed ([`parse_ip`], [`parse_public_ip`]) and a host name ([`parse_host_name`]),
//! with why one was not taken ([`ParseError`]).

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};

use serde::{Deserialize, Serialize};

/// How a mail connection is protected. The same words serve the checks, the providers
/// catalogue and the config file, so a catalogue entry can be probed as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// Plain SMTP, no TLS at all.
    None,
    /// Plain connect, then STARTTLS (ports 587 and 25).
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
}

impl Security {
    pub fn as_str(self) -> &'static str {
        match self {
            Security::None => "none",
            Security::Starttls => "starttls",
            Security::Tls => "tls",
        }
    }

    /// The security a settings file or fact names: `none`, `starttls` or `tls`.
    pub fn from_name(name: &str) -> Option<Security> {
        match name {
            "none" => Some(Security::None),
            "starttls" => Some(Security::Starttls),
            "tls" => Some(Security::Tls),
            _ => None,
        }
    }

    /// The word mail programs show for it.
    pub fn label(self) -> &'static str {
        match self {
            Security::None => "None",
            Security::Starttls => "STARTTLS",
            Security::Tls => "SSL/TLS",
        }
    }

    /// The usual security of a well-known port: 465 implicit TLS, everything else STARTTLS.
    pub fn for_port(port: u16) -> Security {
        if port == 465 {
            Security::Tls
        } else {
            Security::Starttls
        }
    }
}

/// A password or token, from the prompt that read it to the one command that sends it.
///
/// `Debug` prints `Secret(****)`; there is no `Display` and no `Serialize`, so a secret cannot
/// slip into a message, a log, a saved session or JSON by accident: the only way to its text
/// is [`Secret::expose`], which a reviewer can search for.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The text, for the places that must have it: the AUTH command and the masking of
    /// transcripts.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(****)")
    }
}

/// Why a person's typed address or host name was not taken. The text is the message shown
/// to them, in the words the CLI and the wizard have always used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Not an IP address at all (the text as typed, trimmed).
    #[error("\"{0}\" is not an IP address (e.g. 192.0.2.10 or 2001:db8::10)")]
    NotAnIp(String),
    /// An IP address no public list can know: private, link-local or loopback.
    #[error(
        "{0} is a private address, used only inside a home or office network; the address \
         the internet sees is the one a \"what is my IP\" page shows"
    )]
    PrivateIp(IpAddr),
    /// Not a valid domain or host name: the name as typed (trimmed) and what is wrong.
    #[error("\"{name}\" is not a valid domain name: {why}")]
    BadHostName { name: String, why: String },
}

/// Parses an IP address as people write it. IPv4-mapped IPv6 stays IPv6 (RFC 5782 test
/// entries use it); `[…]` brackets are accepted.
pub fn parse_ip(text: &str) -> Result<IpAddr, ParseError> {
    let text = text.trim();
    let bare = text
        .strip_prefix('[')
        .and_then(|inner| inner.strip_suffix(']'))
        .unwrap_or(text);
    bare.parse::<IpAddr>()
        .map_err(|_| ParseError::NotAnIp(text.to_owned()))
}

/// Parses an address someone read off a "what is my IP" page: an IP address, and one the
/// internet can see. A private or loopback address (a router page, `ipconfig`) is refused
/// with what to look at instead, since no public list can know it.
pub fn parse_public_ip(text: &str) -> Result<IpAddr, ParseError> {
    let ip = parse_ip(text)?;
    if is_private(ip) || ip.is_loopback() {
        return Err(ParseError::PrivateIp(ip));
    }
    Ok(ip)
}

/// Checks and normalises a domain or host name typed by a person: international names become
/// their ASCII (punycode) form; the result is lower case without trailing dot. Letters,
/// digits, `-` and `_` only, labels of 1–63 characters, at most 253 in all.
pub fn parse_host_name(input: &str) -> Result<String, ParseError> {
    let trimmed = input.trim();
    let invalid = |why: &str| ParseError::BadHostName {
        name: trimmed.to_owned(),
        why: why.to_owned(),
    };
    if trimmed.is_empty() || trimmed == "." {
        return Err(invalid("it is empty"));
    }
    let name = hickory_resolver::proto::rr::Name::from_utf8(trimmed)
        .map_err(|error| invalid(&error.to_string()))?;
    let ascii = name.to_ascii().trim_end_matches('.').to_ascii_lowercase();
    if ascii.len() > 253 {
        return Err(invalid("it is longer than 253 characters"));
    }
    for label in ascii.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(invalid(
                "each part between dots must have 1 to 63 characters",
            ));
        }
        if !label
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(invalid("only letters, digits, '-' and '_' may be used"));
        }
    }
    Ok(ascii)
}

/// Addresses that no public list can know: a lookup would only leak a private address.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_private() || v4.is_link_local() || v4.is_unspecified(),
        IpAddr::V6(v6) => {
            let unique_local = (v6.segments()[0] & 0xfe00) == 0xfc00;
            let link_local = (v6.segments()[0] & 0xffc0) == 0xfe80;
            unique_local || link_local || v6 == Ipv6Addr::UNSPECIFIED
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_never_shows_in_debug_output() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret:?}"), "Secret(****)");
        assert_eq!(format!("{:?}", Some(&secret)), "Some(Secret(****))");
        assert_eq!(secret.expose(), "hunter2");
    }

    #[test]
    fn ip_addresses_as_people_type_them() {
        assert_eq!(
            parse_ip(" [2001:db8::1] ").map(|ip| ip.to_string()),
            Ok("2001:db8::1".into())
        );
        assert!(parse_ip("two oh three").is_err());
        assert!(matches!(
            parse_public_ip("192.168.1.20"),
            Err(ParseError::PrivateIp(_))
        ));
        assert!(parse_public_ip("127.0.0.1").is_err());
        assert!(parse_public_ip("203.0.113.7").is_ok());
    }

    /// The typed errors keep the words the CLI and the wizard showed before they were typed.
    #[test]
    fn parse_errors_say_what_was_wrong_in_the_old_words() {
        assert_eq!(
            parse_ip(" 300.1.2.3 ").map_err(|why| why.to_string()),
            Err("\"300.1.2.3\" is not an IP address (e.g. 192.0.2.10 or 2001:db8::10)".to_owned())
        );
        assert_eq!(
            parse_public_ip("10.0.0.5").map_err(|why| why.to_string()),
            Err(
                "10.0.0.5 is a private address, used only inside a home or office network; \
                 the address the internet sees is the one a \"what is my IP\" page shows"
                    .to_owned()
            )
        );
        assert_eq!(
            parse_host_name(" . ").map_err(|why| why.to_string()),
            Err("\".\" is not a valid domain name: it is empty".to_owned())
        );
        assert!(matches!(
            parse_host_name(" "),
            Err(ParseError::BadHostName { why, .. }) if why == "it is empty"
        ));
    }
}
