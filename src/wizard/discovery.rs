//! Discovery ([`crate::discovery`]) joined to the knowledge: the catalogue answers discovery's
//! MX and Microsoft 365 questions, and settings found online become a provider the steps and
//! the `settings` report can be filled from.
//!
//! Discovery is a leaf and knows no knowledge files; the knowledge knows no network. The
//! conversions between their two small vocabularies (discovery's [`Server`], the catalogue's
//! [`Endpoint`]) live here, once.

use crate::discovery::{self, Auth, Found, Protocol, Server, Source, Username};
use crate::knowledge::Knowledge;
use crate::knowledge::model::{Endpoint, Origin, Provider};
use crate::knowledge::raw::{self, AuthKind};

impl discovery::Catalogue for Knowledge {
    fn by_mx(&self, mx_hosts: &[String]) -> Option<Found> {
        super::account::provider_for_mx(self, mx_hosts)
            .map(|provider| found_from_provider(provider, Source::Mx))
    }
}

/// A catalogue entry's settings in discovery's words.
pub fn found_from_provider(provider: &Provider, source: Source) -> Found {
    let server = |endpoint: &Endpoint, default: Protocol| Server {
        protocol: match endpoint.protocol {
            Some(raw::Protocol::Imap) => Protocol::Imap,
            Some(raw::Protocol::Pop3) => Protocol::Pop3,
            Some(raw::Protocol::Smtp) => Protocol::Smtp,
            None => default,
        },
        host: endpoint.host.clone(),
        port: endpoint.port,
        security: endpoint.security,
        auth: match endpoint.auth {
            AuthKind::Password => Auth::Password,
            AuthKind::Oauth2 => Auth::Oauth2,
            AuthKind::PopBeforeSmtp => Auth::PopBeforeSmtp,
            AuthKind::None => Auth::None,
        },
    };
    Found {
        source,
        provider: Some(provider.id.clone()),
        name: Some(provider.name.clone()),
        outgoing: provider
            .outgoing
            .iter()
            .map(|e| server(e, Protocol::Smtp))
            .collect(),
        incoming: provider
            .incoming
            .iter()
            .map(|e| server(e, Protocol::Imap))
            .collect(),
        username: Some(match provider.username {
            raw::Username::FullAddress => Username::FullAddress,
            raw::Username::LocalPart => Username::LocalPart,
            raw::Username::Other => Username::Other,
        }),
        origin: format!("relaydoc's catalogue, entry `{}`", provider.id),
        note: None,
    }
}

/// Settings found online as a provider, so the client steps and the report read them as they
/// read a catalogue entry. Its id is `discovered:SOURCE`; it has no sign-in rules (no source
/// online publishes dated ones) and its one "source" is where the settings were found.
pub fn provider_from_found(found: &Found, domain: &str) -> Provider {
    let endpoint = |server: &Server| Endpoint {
        protocol: Some(match server.protocol {
            Protocol::Smtp => raw::Protocol::Smtp,
            Protocol::Imap => raw::Protocol::Imap,
            Protocol::Pop3 => raw::Protocol::Pop3,
        }),
        host: server.host.clone(),
        port: server.port,
        security: server.security,
        auth: match server.auth {
            Auth::Password => AuthKind::Password,
            Auth::Oauth2 => AuthKind::Oauth2,
            Auth::PopBeforeSmtp => AuthKind::PopBeforeSmtp,
            Auth::None => AuthKind::None,
        },
    };
    Provider {
        id: format!("discovered:{}", found.source.as_str()),
        name: found
            .name
            .clone()
            .unwrap_or_else(|| format!("The mail service of {domain}")),
        kind: None,
        region: None,
        domains: vec![domain.to_owned()],
        mx_suffixes: Vec::new(),
        username: match found.username {
            Some(Username::LocalPart) => raw::Username::LocalPart,
            Some(Username::Other) => raw::Username::Other,
            _ => raw::Username::FullAddress,
        },
        outgoing: found.outgoing.iter().map(endpoint).collect(),
        incoming: found.incoming.iter().map(endpoint).collect(),
        notes: found.note.clone(),
        sources: vec![found.origin.clone()],
        signin: Vec::new(),
        origin: Origin {
            file: found.origin.clone(),
            position: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::Catalogue;

    #[test]
    fn the_catalogue_answers_discoverys_microsoft_365_question() {
        let kb = crate::knowledge::bundled().expect("bundled knowledge");
        let found = kb
            .by_mx(&[discovery::MICROSOFT_365_MX.to_owned()])
            .expect("the catalogue has Microsoft 365");
        assert_eq!(found.provider.as_deref(), Some("microsoft-365"));
        assert_eq!(found.source, Source::Mx);
        assert!(found.outgoing.iter().all(|s| s.protocol == Protocol::Smtp));
        assert!(
            found
                .outgoing
                .iter()
                .any(|s| s.host == "smtp.office365.com")
        );
        assert!(kb.by_mx(&["mx.unknown.example".to_owned()]).is_none());
    }

    #[test]
    fn a_provider_and_its_found_form_carry_the_same_servers() {
        let kb = crate::knowledge::bundled().expect("bundled knowledge");
        let gmx = kb.provider_for_domain("gmx.de").expect("gmx");
        let found = found_from_provider(gmx, Source::Catalogue);
        let back = provider_from_found(&found, "gmx.de");
        let hosts = |p: &Provider| {
            p.outgoing
                .iter()
                .chain(&p.incoming)
                .map(|e| (e.host.clone(), e.port, e.security, e.auth))
                .collect::<Vec<_>>()
        };
        assert_eq!(hosts(gmx), hosts(&back));
        assert_eq!(back.username, gmx.username);
    }
}
