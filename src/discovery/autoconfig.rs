//! Reading a Thunderbird autoconfig file (`clientConfig` version 1.1), as a domain's own server
//! and Thunderbird's ISPDB publish it.
//!
//! The format: https://wiki.mozilla.org/Thunderbird:Autoconfiguration:ConfigFileFormat. Values
//! are read as Thunderbird's own reader (readFromXML) reads them: `socketType` `SSL` ·
//! `STARTTLS` · `plain`; `authentication` `password-cleartext`, `password-encrypted` (and the
//! old `plain`, `secure`), `NTLM`, `GSSAPI` are a password sign-in, `OAuth2` the provider's
//! sign-in page, `smtp-after-pop` POP-before-SMTP, `client-IP-address` and `none` no sign-in;
//! a server element may list several, best first. Hostnames may hold `%EMAILDOMAIN%`, user
//! names `%EMAILADDRESS%` or `%EMAILLOCALPART%`.
//!
//! The file comes from a server nobody here controls: it is parsed by quick-xml (which expands
//! no entities of its own), every host name is checked to be a host name, ports to be ports,
//! and at most [`MAX_SERVERS`] servers of each direction are kept.

use serde::Deserialize;

use super::{Auth, Protocol, Server, Username};
use crate::vocab::Security;

/// More than any real provider lists (the ISPDB's largest entries list six or so).
pub const MAX_SERVERS: usize = 16;

#[derive(Debug, Deserialize)]
struct ClientConfig {
    #[serde(rename = "emailProvider")]
    email_provider: EmailProvider,
}

#[derive(Debug, Deserialize)]
struct EmailProvider {
    #[serde(rename = "@id", default)]
    id: Option<String>,
    #[serde(rename = "displayName", default)]
    display_name: Option<String>,
    #[serde(rename = "incomingServer", default)]
    incoming: Vec<RawServer>,
    #[serde(rename = "outgoingServer", default)]
    outgoing: Vec<RawServer>,
}

#[derive(Debug, Deserialize)]
struct RawServer {
    #[serde(rename = "@type", default)]
    kind: String,
    #[serde(default)]
    hostname: Option<String>,
    #[serde(default)]
    port: Option<String>,
    #[serde(rename = "socketType", default)]
    socket_type: Vec<String>,
    #[serde(default)]
    authentication: Vec<String>,
    #[serde(default)]
    username: Option<String>,
}

/// What one autoconfig file says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// The provider's `displayName` (or its `id`), as the file gives it; not yet cleaned for
    /// a terminal.
    pub name: Option<String>,
    pub outgoing: Vec<Server>,
    pub incoming: Vec<Server>,
    /// The user name form of the first server that names one.
    pub username: Option<Username>,
}

/// Parses a `clientConfig` file for an address at `domain`. `Err` says in words why the file
/// is not one (not XML, not a clientConfig, no usable server).
pub fn parse(bytes: &[u8], domain: &str) -> Result<Parsed, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "it is not UTF-8 text".to_owned())?;
    let config: ClientConfig = quick_xml::de::from_str(text).map_err(|error| {
        format!(
            "it is not a valid autoconfig file ({})",
            crate::sanitize::excerpt(&error.to_string(), 160)
        )
    })?;
    let provider = config.email_provider;
    let mut outgoing = Vec::new();
    let mut incoming = Vec::new();
    let mut username = None;
    for raw in &provider.outgoing {
        if raw.kind != "smtp" {
            continue;
        }
        servers(raw, Protocol::Smtp, domain, &mut outgoing, &mut username);
    }
    for raw in &provider.incoming {
        let protocol = match raw.kind.as_str() {
            "imap" => Protocol::Imap,
            "pop3" => Protocol::Pop3,
            // Exchange, NNTP and the like are not mail programs' IMAP/POP settings.
            _ => continue,
        };
        servers(raw, protocol, domain, &mut incoming, &mut username);
    }
    outgoing.truncate(MAX_SERVERS);
    incoming.truncate(MAX_SERVERS);
    if outgoing.is_empty() && incoming.is_empty() {
        return Err("it names no usable SMTP, IMAP or POP3 server".to_owned());
    }
    Ok(Parsed {
        name: provider
            .display_name
            .or(provider.id)
            .map(|name| name.trim().to_owned())
            .filter(|name| !name.is_empty()),
        outgoing,
        incoming,
        username,
    })
}

/// The servers one element stands for: one per sign-in method it lists, in its order.
/// Elements with a host, port or encryption that is not one are skipped.
fn servers(
    raw: &RawServer,
    protocol: Protocol,
    domain: &str,
    out: &mut Vec<Server>,
    username: &mut Option<Username>,
) {
    let Some(host) = raw
        .hostname
        .as_deref()
        .map(|h| {
            h.trim()
                .replace("%EMAILDOMAIN%", domain)
                .to_ascii_lowercase()
        })
        .filter(|h| is_host_name(h))
    else {
        return;
    };
    let Some(port) = raw
        .port
        .as_deref()
        .and_then(|p| p.trim().parse::<u16>().ok())
        .filter(|p| *p != 0)
    else {
        return;
    };
    // Thunderbird takes the first value it knows.
    let Some(security) = raw.socket_type.iter().find_map(|s| match s.trim() {
        "SSL" => Some(Security::Tls),
        "STARTTLS" => Some(Security::Starttls),
        "plain" => Some(Security::None),
        _ => None,
    }) else {
        return;
    };
    let mut auths: Vec<Auth> = raw
        .authentication
        .iter()
        .filter_map(|a| auth_of(a.trim()))
        .collect();
    auths.dedup();
    if auths.is_empty() {
        // No method given (or none known): a mail program asks for a password.
        auths.push(Auth::Password);
    }
    if username.is_none() {
        *username = raw.username.as_deref().map(username_form);
    }
    for auth in auths {
        let server = Server {
            protocol,
            host: host.clone(),
            port,
            security,
            auth,
        };
        if !out.contains(&server) {
            out.push(server);
        }
    }
}

fn auth_of(value: &str) -> Option<Auth> {
    match value {
        "password-cleartext" | "plain" | "password-encrypted" | "secure" | "NTLM" | "GSSAPI" => {
            Some(Auth::Password)
        }
        "OAuth2" => Some(Auth::Oauth2),
        "smtp-after-pop" | "SMTP-after-POP" => Some(Auth::PopBeforeSmtp),
        "client-IP-address" | "none" => Some(Auth::None),
        _ => None,
    }
}

fn username_form(value: &str) -> Username {
    match value.trim() {
        "%EMAILADDRESS%" => Username::FullAddress,
        "%EMAILLOCALPART%" => Username::LocalPart,
        _ => Username::Other,
    }
}

/// A DNS host name (the checks' own rules: letters, digits, `-`, `_`, labels of 1–63
/// characters, at most 253). Server text ends up in a mail program's settings and on a
/// terminal: nothing else passes.
pub fn is_host_name(host: &str) -> bool {
    crate::checks::dns::normalize_name(host).is_ok_and(|name| name == host.trim_end_matches('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FREENET: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="freenet.de">
    <domain>freenet.de</domain>
    <displayName>Freenet Mail</displayName>
    <incomingServer type="imap">
      <hostname>imap.freenet.de</hostname>
      <port>993</port>
      <socketType>SSL</socketType>
      <authentication>password-encrypted</authentication>
      <username>%EMAILADDRESS%</username>
    </incomingServer>
    <incomingServer type="exchange">
      <hostname>ex.freenet.de</hostname>
      <port>443</port>
      <socketType>SSL</socketType>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.%EMAILDOMAIN%</hostname>
      <port>587</port>
      <socketType>STARTTLS</socketType>
      <authentication>OAuth2</authentication>
      <authentication>password-cleartext</authentication>
      <username>%EMAILADDRESS%</username>
    </outgoingServer>
    <documentation url="http://kundenservice.freenet.de/"><descr lang="de">x</descr></documentation>
  </emailProvider>
</clientConfig>"#;

    #[test]
    fn a_real_shaped_file_is_read_as_thunderbird_reads_it() {
        let parsed = parse(FREENET.as_bytes(), "freenet.de").expect("parses");
        assert_eq!(parsed.name.as_deref(), Some("Freenet Mail"));
        assert_eq!(parsed.username, Some(Username::FullAddress));
        let outgoing: Vec<(&str, u16, Security, Auth)> = parsed
            .outgoing
            .iter()
            .map(|s| (s.host.as_str(), s.port, s.security, s.auth))
            .collect();
        assert_eq!(
            outgoing,
            [
                ("smtp.freenet.de", 587, Security::Starttls, Auth::Oauth2),
                ("smtp.freenet.de", 587, Security::Starttls, Auth::Password),
            ]
        );
        // The Exchange server is not an IMAP/POP setting.
        assert_eq!(parsed.incoming.len(), 1);
        assert_eq!(parsed.incoming[0].protocol, Protocol::Imap);
    }

    #[test]
    fn broken_and_hostile_files_are_refused_in_words() {
        let not_xml = parse(b"<clientConfig><emailProvider>", "d.test").expect_err("refused");
        assert!(not_xml.contains("not a valid autoconfig file"), "{not_xml}");
        let html = parse(b"<html><body>Welcome</body></html>", "d.test").expect_err("refused");
        assert!(html.contains("not a valid autoconfig file"), "{html}");
        let entity = parse(
            br#"<!DOCTYPE x [<!ENTITY a "aaaa">]><clientConfig><emailProvider><outgoingServer type="smtp"><hostname>&a;</hostname><port>587</port><socketType>STARTTLS</socketType></outgoingServer></emailProvider></clientConfig>"#,
            "d.test",
        );
        assert!(entity.is_err(), "{entity:?}");
        let bad_host = parse(
            br#"<clientConfig><emailProvider><outgoingServer type="smtp"><hostname>evil host;rm</hostname><port>587</port><socketType>STARTTLS</socketType></outgoingServer></emailProvider></clientConfig>"#,
            "d.test",
        )
        .expect_err("refused");
        assert!(bad_host.contains("no usable"), "{bad_host}");
        let bad_port = parse(
            br#"<clientConfig><emailProvider><outgoingServer type="smtp"><hostname>smtp.d.test</hostname><port>99999</port><socketType>STARTTLS</socketType></outgoingServer></emailProvider></clientConfig>"#,
            "d.test",
        );
        assert!(bad_port.is_err());
    }

    #[test]
    fn host_names_are_checked() {
        assert!(is_host_name("smtp.example.com"));
        assert!(is_host_name("mail.example.com."));
        assert!(!is_host_name(""));
        assert!(!is_host_name("a b.example"));
        assert!(!is_host_name("x..example"));
        assert!(!is_host_name("\u{1b}[31mred"));
    }
}
