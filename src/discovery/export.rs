//! Found settings as files a person or a helpdesk can hand out: a Thunderbird autoconfig file
//! and an Apple configuration profile. Neither ever holds a password.
//!
//! - **autoconfig**: `clientConfig` version 1.1
//!   (https://wiki.mozilla.org/Thunderbird:Autoconfiguration:ConfigFileFormat), written with
//!   quick-xml's writer so every value is escaped. Servers that differ only in sign-in method
//!   become one element listing each method, as the ISPDB's files do.
//! - **mobileconfig**: a property list (plist crate) with one `com.apple.mail.managed` payload.
//!   Key names and values are Apple's (github.com/apple/device-management,
//!   mdm/profiles/com.apple.mail.managed.yaml and TopLevel.yaml): `EmailAccountType`
//!   `EmailTypeIMAP`/`EmailTypePOP`, `Incoming…`/`OutgoingMailServerHostName`,
//!   `…PortNumber`, `…UseSSL`, `…Username`, `…Authentication` (`EmailAuthPassword`,
//!   `EmailAuthNone`), `OutgoingPasswordSameAsIncomingPassword`; the profile `PayloadType`
//!   `Configuration`, `PayloadVersion` 1. `IncomingPassword`/`OutgoingPassword` are never
//!   written. Apple's mail payload has no OAuth2 method, so a provider that takes only OAuth2
//!   gets no profile (an explanation instead). `UseSSL` is set for STARTTLS as well as for
//!   TLS from the first byte: Mail then encrypts on either port, and never sends in the clear.

use std::io::Cursor;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use super::{Auth, Found, Protocol, Server, Username};
use crate::vocab::Security;

/// A Thunderbird autoconfig file for addresses at `domain`.
pub fn autoconfig(found: &Found, domain: &str) -> Result<String, String> {
    let mut writer = Writer::new_with_indent(Cursor::new(Vec::new()), b' ', 2);
    let io = |error: std::io::Error| format!("could not write the file: {error}");
    writer
        .write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
        .map_err(io)?;
    let name = found
        .name
        .clone()
        .unwrap_or_else(|| format!("{domain} mail"));
    let username = match found.username {
        Some(Username::LocalPart) => "%EMAILLOCALPART%",
        _ => "%EMAILADDRESS%",
    };
    writer
        .create_element("clientConfig")
        .with_attribute(("version", "1.1"))
        .write_inner_content(|w| {
            w.create_element("emailProvider")
                .with_attribute(("id", domain))
                .write_inner_content(|w| {
                    text(w, "domain", domain)?;
                    text(w, "displayName", &name)?;
                    text(w, "displayShortName", domain)?;
                    for group in grouped(&found.incoming) {
                        server(w, "incomingServer", &group, username, false)?;
                    }
                    for group in grouped(&found.outgoing) {
                        server(w, "outgoingServer", &group, username, true)?;
                    }
                    Ok(())
                })?;
            Ok(())
        })
        .map_err(io)?;
    String::from_utf8(writer.into_inner().into_inner())
        .map(|mut text| {
            text.push('\n');
            text
        })
        .map_err(|_| "could not write the file: not UTF-8".to_owned())
}

fn text<W: std::io::Write>(w: &mut Writer<W>, name: &str, value: &str) -> std::io::Result<()> {
    w.create_element(name)
        .write_text_content(BytesText::new(value))?;
    Ok(())
}

/// Consecutive servers with the same protocol, host, port and encryption: one element.
fn grouped(servers: &[Server]) -> Vec<Vec<&Server>> {
    let mut groups: Vec<Vec<&Server>> = Vec::new();
    for server in servers {
        match groups.last_mut() {
            Some(group)
                if group.first().is_some_and(|first| {
                    first.protocol == server.protocol
                        && first.host == server.host
                        && first.port == server.port
                        && first.security == server.security
                }) =>
            {
                group.push(server)
            }
            _ => groups.push(vec![server]),
        }
    }
    groups
}

fn server<W: std::io::Write>(
    w: &mut Writer<W>,
    element: &str,
    group: &[&Server],
    username: &str,
    outgoing: bool,
) -> std::io::Result<()> {
    let Some(first) = group.first() else {
        return Ok(());
    };
    w.create_element(element)
        .with_attribute(("type", first.protocol.as_str()))
        .write_inner_content(|w| {
            text(w, "hostname", &first.host)?;
            text(w, "port", &first.port.to_string())?;
            let socket = match first.security {
                Security::Tls => "SSL",
                Security::Starttls => "STARTTLS",
                Security::None => "plain",
            };
            text(w, "socketType", socket)?;
            for server in group {
                let method = match server.auth {
                    Auth::Password => "password-cleartext",
                    Auth::Oauth2 => "OAuth2",
                    Auth::PopBeforeSmtp if outgoing => "smtp-after-pop",
                    Auth::PopBeforeSmtp => "password-cleartext",
                    Auth::None if outgoing => "client-IP-address",
                    Auth::None => "none",
                };
                text(w, "authentication", method)?;
            }
            let signs_in = group
                .iter()
                .any(|s| matches!(s.auth, Auth::Password | Auth::Oauth2));
            if signs_in || !outgoing {
                text(w, "username", username)?;
            }
            Ok(())
        })?;
    Ok(())
}

/// An Apple configuration profile for `email`: the first IMAP (else POP3) and the first SMTP
/// server that take a password, or no sign-in. `Err` (words) when the settings cannot be one.
pub fn mobileconfig(found: &Found, email: &str) -> Result<String, String> {
    use plist::{Dictionary, Value};

    let domain = super::domain_of(email)?;
    let usable = |s: &&Server| !matches!(s.auth, Auth::Oauth2);
    let incoming = found
        .incoming
        .iter()
        .filter(usable)
        .find(|s| s.protocol == Protocol::Imap)
        .or_else(|| {
            found
                .incoming
                .iter()
                .filter(usable)
                .find(|s| s.protocol == Protocol::Pop3)
        });
    let outgoing = found
        .outgoing
        .iter()
        .filter(usable)
        .find(|s| s.protocol == Protocol::Smtp);
    let oauth_only = found.outgoing.iter().any(|s| s.auth == Auth::Oauth2) && outgoing.is_none();
    let (incoming, outgoing) = match (incoming, outgoing) {
        (Some(incoming), Some(outgoing)) => (incoming, outgoing),
        _ if oauth_only
            || found.incoming.iter().any(|s| s.auth == Auth::Oauth2) && incoming.is_none() =>
        {
            return Err(
                "this provider lets mail programs sign in only on its own page (OAuth2), which \
                 Apple's mail profiles cannot describe: add the account in Mail with the \
                 provider's own sign-in instead"
                    .to_owned(),
            );
        }
        (None, _) => {
            return Err(
                "an Apple mail profile needs an incoming (IMAP or POP3) server, and none was \
                 found for this address"
                    .to_owned(),
            );
        }
        (_, None) => {
            return Err(
                "an Apple mail profile needs an outgoing (SMTP) server, and none was found for \
                 this address"
                    .to_owned(),
            );
        }
    };
    let user = match found.username {
        Some(Username::LocalPart) => email
            .rsplit_once('@')
            .map_or(email, |(local, _)| local)
            .to_owned(),
        _ => email.to_owned(),
    };
    let auth = |server: &Server| match server.auth {
        Auth::Password => "EmailAuthPassword",
        // POP-before-SMTP and "no sign-in" send without a login of their own.
        Auth::PopBeforeSmtp | Auth::None | Auth::Oauth2 => "EmailAuthNone",
    };
    let name = found.name.clone().unwrap_or_else(|| domain.clone());
    let identifier = format!(
        "{}.relaydoc.mail",
        domain.split('.').rev().collect::<Vec<_>>().join(".")
    );
    let string = |s: &str| Value::String(s.to_owned());

    let mut mail = Dictionary::new();
    mail.insert("EmailAccountDescription".into(), string(&name));
    mail.insert(
        "EmailAccountType".into(),
        string(if incoming.protocol == Protocol::Imap {
            "EmailTypeIMAP"
        } else {
            "EmailTypePOP"
        }),
    );
    mail.insert("EmailAddress".into(), string(email));
    mail.insert(
        "IncomingMailServerAuthentication".into(),
        string(auth(incoming)),
    );
    mail.insert("IncomingMailServerHostName".into(), string(&incoming.host));
    mail.insert(
        "IncomingMailServerPortNumber".into(),
        Value::Integer(incoming.port.into()),
    );
    mail.insert(
        "IncomingMailServerUseSSL".into(),
        Value::Boolean(incoming.security != Security::None),
    );
    mail.insert("IncomingMailServerUsername".into(), string(&user));
    mail.insert(
        "OutgoingMailServerAuthentication".into(),
        string(auth(outgoing)),
    );
    mail.insert("OutgoingMailServerHostName".into(), string(&outgoing.host));
    mail.insert(
        "OutgoingMailServerPortNumber".into(),
        Value::Integer(outgoing.port.into()),
    );
    mail.insert(
        "OutgoingMailServerUseSSL".into(),
        Value::Boolean(outgoing.security != Security::None),
    );
    if outgoing.auth == Auth::Password {
        mail.insert("OutgoingMailServerUsername".into(), string(&user));
        mail.insert(
            "OutgoingPasswordSameAsIncomingPassword".into(),
            Value::Boolean(true),
        );
    }
    mail.insert(
        "PayloadDescription".into(),
        string(&format!("Mail settings for {email}")),
    );
    mail.insert("PayloadDisplayName".into(), string(&format!("{name} mail")));
    mail.insert(
        "PayloadIdentifier".into(),
        string(&format!("{identifier}.account")),
    );
    mail.insert("PayloadType".into(), string("com.apple.mail.managed"));
    mail.insert("PayloadUUID".into(), string(&uuid(email, "account")));
    mail.insert("PayloadVersion".into(), Value::Integer(1.into()));

    let mut profile = Dictionary::new();
    profile.insert(
        "PayloadContent".into(),
        Value::Array(vec![Value::Dictionary(mail)]),
    );
    profile.insert(
        "PayloadDescription".into(),
        string(&format!(
            "Sets up {email} in Apple Mail. Your password is asked for when the profile is \
             installed; it is not in this file."
        )),
    );
    profile.insert("PayloadDisplayName".into(), string(&format!("{name} mail")));
    profile.insert("PayloadIdentifier".into(), string(&identifier));
    profile.insert("PayloadType".into(), string("Configuration"));
    profile.insert("PayloadUUID".into(), string(&uuid(email, "profile")));
    profile.insert("PayloadVersion".into(), Value::Integer(1.into()));

    let mut out = Vec::new();
    Value::Dictionary(profile)
        .to_writer_xml(&mut out)
        .map_err(|error| format!("could not write the profile: {error}"))?;
    String::from_utf8(out)
        .map(|mut text| {
            text.push('\n');
            text
        })
        .map_err(|_| "could not write the profile: not UTF-8".to_owned())
}

/// A name-based UUID (RFC 4122 version 3, MD5) of the address and part: the same address
/// gives the same profile, so installing it again replaces the old one instead of adding one.
fn uuid(email: &str, part: &str) -> String {
    use md5::{Digest, Md5};
    let mut digest: [u8; 16] = Md5::new()
        .chain_update(b"relaydoc mobileconfig\0")
        .chain_update(email.to_ascii_lowercase().as_bytes())
        .chain_update(b"\0")
        .chain_update(part.as_bytes())
        .finalize()
        .into();
    digest[6] = (digest[6] & 0x0f) | 0x30;
    digest[8] = (digest[8] & 0x3f) | 0x80;
    let hex: String = digest.iter().map(|b| format!("{b:02X}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_stable_version_3_and_differ_by_part() {
        let a = uuid("Me@Example.com", "profile");
        assert_eq!(a, uuid("me@example.com", "profile"));
        assert_ne!(a, uuid("me@example.com", "account"));
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "3");
        assert!(matches!(&a[19..20], "8" | "9" | "A" | "B"));
    }
}
