//! `check public-ip [--method M] [--server IP[:PORT]]`: the address the internet sees us
//! as, found by asking a DNS service that answers with the asker's own address. Needed for
//! the blacklist check and for POP-before-SMTP, where the server trusts an address.
//!
//! The methods (names from the services' own usage; see e.g. `dig @resolver1.opendns.com
//! myip.opendns.com`, `dig TXT o-o.myaddr.l.google.com @ns1.google.com`,
//! `dig @ns1-1.akamaitech.net whoami.akamai.net`): each must be asked directly at the
//! service's own server, never through a resolver, or it reports the resolver's address.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

use serde::Serialize;

use super::Resolve;
use super::answer::{Answer, LookupView, RecordData, RecordKind};
use super::mx::status_word;
use crate::checks::{CheckReport, Status};

/// A "what is my IP" service reachable over DNS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// OpenDNS: `myip.opendns.com` A/AAAA at resolver1.opendns.com
    Opendns,
    /// Google: `o-o.myaddr.l.google.com` TXT at ns1.google.com
    Google,
    /// Akamai: `whoami.akamai.net` A/AAAA at ns1-1.akamaitech.net
    Akamai,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Self::Opendns => "opendns",
            Self::Google => "google",
            Self::Akamai => "akamai",
        }
    }

    /// The name asked.
    pub fn query_name(self) -> &'static str {
        match self {
            Self::Opendns => "myip.opendns.com",
            Self::Google => "o-o.myaddr.l.google.com",
            Self::Akamai => "whoami.akamai.net",
        }
    }

    /// The server that must be asked (looked up through the normal resolver unless the user
    /// gives `--server`).
    pub fn server_host(self) -> &'static str {
        match self {
            Self::Opendns => "resolver1.opendns.com",
            Self::Google => "ns1.google.com",
            Self::Akamai => "ns1-1.akamaitech.net",
        }
    }

    /// The record type that carries the answer; address records follow the family of the
    /// server asked, since the service answers with the address the question came from.
    pub fn record_kind(self, server: SocketAddr) -> RecordKind {
        match (self, server) {
            (Self::Google, _) => RecordKind::Txt,
            (_, SocketAddr::V4(_)) => RecordKind::A,
            (_, SocketAddr::V6(_)) => RecordKind::Aaaa,
        }
    }
}

/// The outcome of `check public-ip`.
#[derive(Debug, Clone, Serialize)]
pub struct PublicIpReport {
    pub method: Method,
    pub dns_server: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<IpAddr>,
    pub status: Status,
    pub summary: String,
    pub lookups: Vec<LookupView>,
}

/// Finds the address of the method's server through the normal resolver (IPv4 first).
pub async fn locate_server<R: Resolve>(
    resolver: &R,
    method: Method,
) -> Result<SocketAddr, super::LookupError> {
    let host = method.server_host();
    let (v4, v6) = tokio::join!(
        resolver.query(host, RecordKind::A),
        resolver.query(host, RecordKind::Aaaa)
    );
    let mut addresses = v4.addresses();
    addresses.extend(v6.addresses());
    match addresses.first() {
        Some(ip) => Ok(SocketAddr::new(*ip, 53)),
        None => Err(super::LookupError::ServiceServer {
            host,
            service: method.name(),
            why: v4.explain(host, RecordKind::A),
        }),
    }
}

/// Asks `resolver`, which must point at the method's own server.
pub async fn check<R: Resolve>(resolver: &R, method: Method, server: SocketAddr) -> PublicIpReport {
    let name = method.query_name();
    let kind = method.record_kind(server);
    let answer = resolver.query(name, kind).await;
    let ip = answer
        .records()
        .iter()
        .find_map(|record| match &record.data {
            RecordData::A { address } => Some(IpAddr::V4(*address)),
            RecordData::Aaaa { address } => Some(IpAddr::V6(*address)),
            RecordData::Txt { text } => text.trim().parse::<IpAddr>().ok(),
            _ => None,
        });
    let (status, summary) = match (&answer, ip) {
        (_, Some(ip)) => (
            Status::Ok,
            format!(
                "The internet sees this computer as {ip} (according to {}).",
                method.name()
            ),
        ),
        (Answer::Failed(failure), None) => (
            Status::Error,
            format!(
                "Could not find the public IP address. {}",
                failure.explain(name)
            ),
        ),
        (_, None) => (
            Status::Error,
            format!(
                "The {} service gave no address: {} Ask it directly at its own server, not \
                 through a resolver.",
                method.name(),
                answer.explain(name, kind)
            ),
        ),
    };
    PublicIpReport {
        method,
        dns_server: resolver.source(),
        ip,
        status,
        summary,
        lookups: vec![LookupView::new(name, kind, &answer)],
    }
}

impl PublicIpReport {
    pub fn to_check_report(&self) -> CheckReport {
        let mut facts = BTreeMap::new();
        if let Some(ip) = self.ip {
            facts.insert("public.ip".to_owned(), ip.to_string());
        }
        facts.insert("public.ip_method".to_owned(), self.method.name().to_owned());
        CheckReport {
            check: "public-ip".to_owned(),
            status: self.status,
            facts,
            details: serde_json::to_value(self).unwrap_or(serde_json::Value::Null),
        }
    }

    pub fn human(&self) -> String {
        let mut out = format!(
            "Public IP address via {} (asked {}):\n",
            self.method.name(),
            self.dns_server
        );
        if let Some(ip) = self.ip {
            out.push_str(&format!("  {ip}\n"));
        }
        out.push('\n');
        out.push_str(&format!("{}: {}\n", status_word(self.status), self.summary));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_records_follow_the_server_family() {
        let v4: SocketAddr = "208.67.222.222:53".parse().expect("addr");
        let v6: SocketAddr = "[2001:db8::53]:53".parse().expect("addr");
        assert_eq!(Method::Opendns.record_kind(v4), RecordKind::A);
        assert_eq!(Method::Opendns.record_kind(v6), RecordKind::Aaaa);
        assert_eq!(Method::Google.record_kind(v6), RecordKind::Txt);
    }
}
