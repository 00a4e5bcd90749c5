//! The one place that knows hickory-resolver. It turns our settings into a resolver, and
//! hickory's results and errors into our typed [`Answer`]. Nothing of hickory leaves this
//! module.

use std::net::SocketAddr;
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError, NoRecords};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{Name, RData, RecordType};

use super::answer::{Answer, Failure, Record, RecordData, RecordKind};
use super::names::{display_name, fqdn};
use super::{DnsSettings, Resolve};

/// hickory retries a question this many times after the first try. One retry rescues a lost
/// UDP packet; more would only stretch the wait on a dead server, since hickory waits out the
/// full per-try timeout each time (it does not fail fast on "port unreachable").
const RETRIES: usize = 1;

/// A DNS resolver asking either the system's resolvers or one given server.
#[derive(Clone)]
pub struct DnsClient {
    resolver: TokioResolver,
    /// The whole budget of one question; enforced on top of hickory's own timers, so no
    /// question can outlive it whatever hickory does.
    budget: Duration,
    source: String,
}

impl std::fmt::Debug for DnsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DnsClient")
            .field("source", &self.source)
            .field("budget", &self.budget)
            .finish_non_exhaustive()
    }
}

/// The resolver could not be set up (only the system configuration can fail to load).
#[derive(Debug, thiserror::Error)]
#[error("cannot use the system's DNS settings (/etc/resolv.conf): {0}")]
pub struct SetupError(String);

impl DnsClient {
    /// Builds a resolver. Must be called inside a tokio runtime (hickory spawns its
    /// connection tasks on it).
    pub fn new(settings: &DnsSettings) -> Result<Self, SetupError> {
        let (config, source) = match settings.server {
            Some(server) => (single_server(server), server.to_string()),
            None => {
                let (config, _their_options) = hickory_resolver::system_conf::read_system_conf()
                    .map_err(|error| SetupError(error.to_string()))?;
                if config.name_servers().is_empty() {
                    return Err(SetupError("no nameserver is configured".to_owned()));
                }
                let servers: Vec<String> = config
                    .name_servers()
                    .iter()
                    .map(|server| server.ip.to_string())
                    .collect();
                (config, format!("system resolver ({})", servers.join(", ")))
            }
        };
        let mut builder =
            TokioResolver::builder_with_config(config, TokioRuntimeProvider::default());
        *builder.options_mut() = options(settings.timeout);
        let resolver = builder
            .build()
            .map_err(|error| SetupError(error.to_string()))?;
        Ok(Self {
            resolver,
            budget: settings.timeout,
            source,
        })
    }
}

/// Exactly one server, over UDP with TCP for truncated answers, on its own port. Nothing
/// else is configured, so there is no fallback to the system resolver.
fn single_server(server: SocketAddr) -> ResolverConfig {
    let mut name_server = NameServerConfig::udp_and_tcp(server.ip());
    for connection in &mut name_server.connections {
        connection.port = server.port();
    }
    ResolverConfig::from_name_servers(vec![name_server])
}

fn options(budget: Duration) -> ResolverOpts {
    let mut options = ResolverOpts::default();
    // hickory's worst case is timeout × (attempts + 1); split the budget so that is the budget.
    options.timeout = (budget / (RETRIES as u32 + 1)).max(Duration::from_millis(50));
    options.attempts = RETRIES;
    // A diagnosis is about what DNS says, not what /etc/hosts says.
    options.use_hosts_file = ResolveHosts::Never;
    // Ask for recursion: needed with the system's resolvers, and an authoritative server
    // (the lab's NSD) simply answers without the RA bit, which hickory accepts.
    options.recursion_desired = true;
    // Keep CNAME records in answers: an MX pointing at an alias is a finding.
    options.preserve_intermediates = true;
    options.cache_size = 256;
    options
}

impl Resolve for DnsClient {
    async fn query(&self, name: &str, kind: RecordKind) -> Answer {
        let Ok(name) = Name::from_ascii(fqdn(name)) else {
            return Answer::Failed(Failure::Protocol {
                message: format!("\"{name}\" is not a valid DNS name"),
            });
        };
        let lookup = self.resolver.lookup(name, record_type(kind));
        match tokio::time::timeout(self.budget, lookup).await {
            Err(_elapsed) => Answer::Failed(Failure::Timeout),
            Ok(Ok(lookup)) => {
                let records: Vec<Record> = lookup.answers().iter().map(convert).collect();
                if records.is_empty() {
                    Answer::NoData
                } else {
                    Answer::Records(records)
                }
            }
            Ok(Err(error)) => classify(&error),
        }
    }

    fn source(&self) -> String {
        self.source.clone()
    }
}

fn record_type(kind: RecordKind) -> RecordType {
    match kind {
        RecordKind::A => RecordType::A,
        RecordKind::Aaaa => RecordType::AAAA,
        RecordKind::Mx => RecordType::MX,
        RecordKind::Ptr => RecordType::PTR,
        RecordKind::Srv => RecordType::SRV,
        RecordKind::Txt => RecordType::TXT,
    }
}

fn convert(record: &hickory_resolver::proto::rr::Record) -> Record {
    let name_text = |name: &Name| display_name(&name.to_ascii());
    let data = match &record.data {
        RData::A(a) => RecordData::A { address: a.0 },
        RData::AAAA(aaaa) => RecordData::Aaaa { address: aaaa.0 },
        RData::CNAME(cname) => RecordData::Cname {
            target: name_text(&cname.0),
        },
        RData::MX(mx) => RecordData::Mx {
            preference: mx.preference,
            exchange: name_text(&mx.exchange),
        },
        RData::PTR(ptr) => RecordData::Ptr {
            target: name_text(&ptr.0),
        },
        RData::SRV(srv) => RecordData::Srv {
            priority: srv.priority,
            weight: srv.weight,
            port: srv.port,
            target: name_text(&srv.target),
        },
        RData::TXT(txt) => RecordData::Txt {
            text: txt
                .txt_data
                .iter()
                .map(|part| String::from_utf8_lossy(part))
                .collect(),
        },
        other => RecordData::Other {
            record_type: other.record_type().to_string(),
        },
    };
    Record {
        name: name_text(&record.name),
        ttl: record.ttl,
        data,
    }
}

fn classify(error: &NetError) -> Answer {
    match error {
        NetError::Dns(DnsError::NoRecordsFound(NoRecords { response_code, .. })) => {
            if *response_code == ResponseCode::NXDomain {
                Answer::NxDomain
            } else {
                Answer::NoData
            }
        }
        NetError::Dns(DnsError::ResponseCode(code)) => Answer::Failed(match code {
            ResponseCode::ServFail => Failure::ServFail,
            ResponseCode::Refused => Failure::Refused,
            other => Failure::ResponseCode {
                code: other.to_string(),
            },
        }),
        NetError::Timeout => Answer::Failed(Failure::Timeout),
        NetError::Truncated => Answer::Failed(Failure::Truncated),
        NetError::Io(io) => Answer::Failed(Failure::Network {
            message: io.to_string(),
        }),
        NetError::NoConnections => Answer::Failed(Failure::Network {
            message: "no connection to the DNS server could be made".to_owned(),
        }),
        NetError::Busy => Answer::Failed(Failure::Network {
            message: "the DNS connection is overloaded".to_owned(),
        }),
        other => Answer::Failed(Failure::Protocol {
            message: other.to_string(),
        }),
    }
}

/// Checks and normalises a domain or host name typed by a user: international names become
/// their ASCII (punycode) form; the result is lower case without trailing dot.
pub fn normalize_name(input: &str) -> Result<String, String> {
    let trimmed = input.trim();
    let invalid = |why: &str| format!("\"{trimmed}\" is not a valid domain name: {why}");
    if trimmed.is_empty() || trimmed == "." {
        return Err(invalid("it is empty"));
    }
    let name = Name::from_utf8(trimmed).map_err(|error| invalid(&error.to_string()))?;
    let ascii = display_name(&name.to_ascii());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalised() {
        assert_eq!(
            normalize_name(" Example.TEST. ").as_deref(),
            Ok("example.test")
        );
        assert_eq!(
            normalize_name("bücher.example").as_deref(),
            Ok("xn--bcher-kva.example")
        );
        assert!(normalize_name("").is_err());
        assert!(normalize_name("a..b").is_err());
        assert!(normalize_name("has space.example").is_err());
        assert!(normalize_name(&"a".repeat(64)).is_err());
    }

    #[test]
    fn budget_is_split_over_the_tries() {
        let options = options(Duration::from_secs(4));
        assert_eq!(options.timeout, Duration::from_secs(2));
        assert_eq!(options.attempts, RETRIES);
    }
}
