//! The EHLO keywords a server announces (RFC 5321 §4.1.1.1), parsed into what the diagnosis
//! needs: AUTH mechanisms, STARTTLS, SIZE and the other extensions, plus every raw keyword.

use serde::Serialize;

use super::reply::Reply;

/// What a server said it supports in one EHLO reply.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Capabilities {
    /// The name the server gave for itself on the first line.
    pub greeting: String,
    /// AUTH mechanisms, upper case, in the server's order; empty when AUTH is not offered.
    pub auth: Vec<String>,
    pub starttls: bool,
    /// SIZE's limit in bytes; `Some(0)` means "no fixed limit", `None` means no SIZE keyword.
    pub size: Option<u64>,
    pub pipelining: bool,
    pub eight_bit_mime: bool,
    pub smtputf8: bool,
    pub enhanced_status_codes: bool,
    pub chunking: bool,
    pub dsn: bool,
    /// Every keyword line as sent (after the greeting).
    pub keywords: Vec<String>,
}

impl Capabilities {
    pub fn from_reply(reply: &Reply) -> Capabilities {
        let mut caps = Capabilities {
            greeting: reply.lines.first().cloned().unwrap_or_default(),
            ..Capabilities::default()
        };
        for line in reply.lines.iter().skip(1) {
            caps.keywords.push(line.clone());
            let mut words = line.split_whitespace();
            let Some(keyword) = words.next() else {
                continue;
            };
            // Old servers (and Outlook-era clients) also announce "AUTH=LOGIN PLAIN".
            let (keyword, first_param) = match keyword.split_once('=') {
                Some((k, p)) => (k, Some(p)),
                None => (keyword, None),
            };
            let params: Vec<&str> = first_param.into_iter().chain(words).collect();
            match keyword.to_ascii_uppercase().as_str() {
                "AUTH" => {
                    for mechanism in params {
                        let mechanism = mechanism.to_ascii_uppercase();
                        if !mechanism.is_empty() && !caps.auth.contains(&mechanism) {
                            caps.auth.push(mechanism);
                        }
                    }
                }
                "STARTTLS" => caps.starttls = true,
                "SIZE" => {
                    caps.size = Some(params.first().and_then(|p| p.parse().ok()).unwrap_or(0));
                }
                "PIPELINING" => caps.pipelining = true,
                "8BITMIME" => caps.eight_bit_mime = true,
                "SMTPUTF8" => caps.smtputf8 = true,
                "ENHANCEDSTATUSCODES" => caps.enhanced_status_codes = true,
                "CHUNKING" => caps.chunking = true,
                "DSN" => caps.dsn = true,
                _ => {}
            }
        }
        caps
    }

    pub fn offers_auth(&self) -> bool {
        !self.auth.is_empty()
    }

    pub fn offers_mechanism(&self, mechanism: &str) -> bool {
        self.auth.iter().any(|m| m.eq_ignore_ascii_case(mechanism))
    }
}

#[cfg(test)]
mod tests {
    use super::super::reply::parse_reply;
    use super::*;

    #[test]
    fn postfix_after_starttls() {
        let reply = parse_reply(
            "250-mail.example.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-ETRN\r\n\
             250-AUTH PLAIN LOGIN\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n\
             250-SMTPUTF8\r\n250 CHUNKING",
        )
        .expect("reply");
        let caps = Capabilities::from_reply(&reply);
        assert_eq!(caps.greeting, "mail.example.test");
        assert_eq!(caps.auth, vec!["PLAIN", "LOGIN"]);
        assert!(!caps.starttls);
        assert_eq!(caps.size, Some(10_240_000));
        assert!(caps.pipelining && caps.eight_bit_mime && caps.smtputf8);
        assert!(caps.enhanced_status_codes && caps.chunking && caps.dsn);
        assert_eq!(caps.keywords.len(), 9);
    }

    #[test]
    fn starttls_without_auth() {
        let reply = parse_reply("250-mx\r\n250-STARTTLS\r\n250 8BITMIME").expect("reply");
        let caps = Capabilities::from_reply(&reply);
        assert!(caps.starttls);
        assert!(!caps.offers_auth());
        assert_eq!(caps.size, None);
    }

    #[test]
    fn old_style_auth_equals_and_duplicates_merge() {
        let reply =
            parse_reply("250-mx\r\n250-AUTH login PLAIN\r\n250-AUTH=LOGIN CRAM-MD5\r\n250 SIZE")
                .expect("reply");
        let caps = Capabilities::from_reply(&reply);
        assert_eq!(caps.auth, vec!["LOGIN", "PLAIN", "CRAM-MD5"]);
        assert!(caps.offers_mechanism("cram-md5"));
        assert_eq!(caps.size, Some(0));
    }

    #[test]
    fn greeting_only() {
        let reply = parse_reply("250 mx.example").expect("reply");
        let caps = Capabilities::from_reply(&reply);
        assert_eq!(caps.greeting, "mx.example");
        assert!(caps.keywords.is_empty());
    }
}
