//! The one place that knows hickory. It turns our settings into a name-server pool, and
//! hickory's responses and errors into our typed [`Answer`]. Nothing of hickory leaves this
//! module.
//!
//! We use hickory's name-server pool (UDP, TCP after truncation, retries) but not its
//! `Resolver` front end: that one answers every question about `localhost`, `127.in-addr.arpa`
//! and the reverse zone of `::1` itself, as RFC 6761 suggests for applications, without asking
//! any server. A diagnostic tool must report what the DNS server says, and the lab's reverse
//! zones live exactly there. The price is following CNAME chains ourselves.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::OnceCell;

use hickory_resolver::config::{NameServerConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::xfer::{DnsHandle, FirstAnswer, RetryDnsHandle};
use hickory_resolver::net::{DnsError, NetError, NoRecords};
use hickory_resolver::proto::op::{DnsRequestOptions, Query, ResponseCode};
use hickory_resolver::proto::rr::{Name, RData, RecordType};
use hickory_resolver::{NameServerPool, PoolContext, TlsConfig};

use super::answer::{Answer, Failure, Record, RecordData, RecordKind};
use super::names::{display_name, fqdn};
use super::{DnsSettings, Resolve};

/// hickory retries a question this many times after the first try. One retry rescues a lost
/// UDP packet; more would only stretch the wait on a dead server, since hickory waits out the
/// full per-try timeout each time (it does not fail fast on "port unreachable").
const RETRIES: usize = 1;

/// How many CNAME hops are followed before giving up (a loop, or a silly chain).
const MAX_ALIAS_HOPS: usize = 8;

/// A DNS resolver asking either the system's resolvers or one given server.
#[derive(Clone)]
pub struct DnsClient {
    servers: RetryDnsHandle<NameServerPool<TokioRuntimeProvider>>,
    /// The whole budget of one question, enforced on top of hickory's own timers, so no
    /// question can outlive it whatever hickory does.
    budget: Duration,
    source: String,
    /// The proof that this resolver tells the truth about names that do not exist, asked
    /// once and shared by every clone (see the module docs of `checks::dns`).
    proof: Arc<Proof>,
}

#[derive(Debug)]
struct Proof {
    known_name: String,
    started: AtomicBool,
    outcome: OnceCell<Result<(), Failure>>,
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
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot use the system's DNS settings (/etc/resolv.conf): {0}")]
pub struct SetupError(String);

impl DnsClient {
    /// Builds a resolver. Must be called inside a tokio runtime (hickory spawns its
    /// connection tasks on it).
    pub fn new(settings: &DnsSettings) -> Result<Self, SetupError> {
        let (name_servers, source) = match settings.server {
            Some(server) => (vec![single_server(server)], server.to_string()),
            None => {
                let (config, _their_options) = hickory_resolver::system_conf::read_system_conf()
                    .map_err(|error| SetupError(error.to_string()))?;
                let name_servers = config.name_servers().to_vec();
                if name_servers.is_empty() {
                    return Err(SetupError("no nameserver is configured".to_owned()));
                }
                let addresses: Vec<String> = name_servers
                    .iter()
                    .map(|server| server.ip.to_string())
                    .collect();
                (
                    name_servers,
                    format!("system resolver ({})", addresses.join(", ")),
                )
            }
        };
        let tls = TlsConfig::new().map_err(|error| SetupError(error.to_string()))?;
        let context = Arc::new(PoolContext::new(options(settings.timeout), tls));
        let pool =
            NameServerPool::from_config(name_servers, context, TokioRuntimeProvider::default());
        Ok(Self {
            servers: RetryDnsHandle::new(pool, RETRIES),
            budget: settings.timeout,
            source,
            proof: Arc::new(Proof {
                known_name: settings.known_name.clone(),
                started: AtomicBool::new(false),
                outcome: OnceCell::new(),
            }),
        })
    }

    /// Starts the proof in the background with the first question, so that a negative
    /// answer later finds it done (or nearly) instead of waiting for a second round trip.
    fn start_proof(&self) {
        if !self.proof.started.swap(true, Ordering::AcqRel) {
            let client = self.clone();
            tokio::spawn(async move {
                let _ = client.proven().await;
            });
        }
    }

    /// Whether this resolver answers the known name: `Ok` when it does, otherwise the
    /// failure every negative answer turns into. Asked once; later callers share the result.
    async fn proven(&self) -> Result<(), Failure> {
        self.proof
            .outcome
            .get_or_init(|| async {
                let known_name = self.proof.known_name.clone();
                let Ok(name) = Name::from_ascii(fqdn(&known_name)) else {
                    return Err(Failure::Protocol {
                        message: format!("\"{known_name}\" is not a valid DNS name"),
                    });
                };
                let answer = tokio::time::timeout(self.budget, self.ask(&name, RecordKind::Ns))
                    .await
                    .unwrap_or(Answer::Failed(Failure::Timeout));
                match answer {
                    Answer::Records(_) => Ok(()),
                    Answer::NxDomain | Answer::NoData => Err(Failure::LyingResolver { known_name }),
                    Answer::Failed(probe) => Err(Failure::Unproven {
                        known_name,
                        probe: Box::new(probe),
                    }),
                }
            })
            .await
            .clone()
    }

    /// One question to the server(s), no alias following.
    async fn ask(&self, name: &Name, kind: RecordKind) -> Answer {
        let mut request = DnsRequestOptions::default();
        // Needed with the system's resolvers; an authoritative server (the lab's NSD) just
        // answers without the RA bit, and nothing here treats that as an error.
        request.recursion_desired = true;
        request.use_edns = true;
        let query = Query::query(name.clone(), record_type(kind));
        match self.servers.lookup(query, request).first_answer().await {
            Ok(response) => {
                let records: Vec<Record> = response.answers.iter().map(convert).collect();
                if records.is_empty() {
                    Answer::NoData
                } else {
                    Answer::Records(records)
                }
            }
            Err(error) => classify(&error),
        }
    }

    /// Asks, then follows aliases: an authoritative server answers a CNAME pointing outside
    /// its zones with the CNAME alone; a recursive resolver usually sends the whole chain.
    async fn ask_following_aliases(&self, name: &Name, kind: RecordKind) -> Answer {
        let mut answer = self.ask(name, kind).await;
        let first = display_name(&name.to_ascii());
        for _ in 0..MAX_ALIAS_HOPS {
            let Answer::Records(records) = &answer else {
                return answer;
            };
            if let Some(chain) = alias_loop(&first, records) {
                return Answer::Failed(Failure::AliasLoop { chain });
            }
            let wanted = records
                .iter()
                .any(|record| kind_of(&record.data) == Some(kind));
            let next = records.iter().rev().find_map(|record| match &record.data {
                RecordData::Cname { target } => Some(target.clone()),
                _ => None,
            });
            let (false, Some(target)) = (wanted, next) else {
                return answer;
            };
            let Ok(target_name) = Name::from_ascii(fqdn(&target)) else {
                return answer;
            };
            let mut chain = records.clone();
            answer = match self.ask(&target_name, kind).await {
                Answer::Records(more) => {
                    chain.extend(more);
                    Answer::Records(chain)
                }
                // The alias leads nowhere: keep the chain, it is the evidence.
                Answer::NxDomain | Answer::NoData => return Answer::Records(chain),
                failed @ Answer::Failed(_) => return failed,
            };
        }
        // Still only aliases after every hop allowed: a chain this long is a loop in effect
        // (resolvers give up far sooner); say so instead of "no address".
        match &answer {
            Answer::Records(records)
                if !records
                    .iter()
                    .any(|record| kind_of(&record.data) == Some(kind)) =>
            {
                let chain = alias_chain(&first, records);
                Answer::Failed(Failure::AliasLoop { chain })
            }
            _ => answer,
        }
    }
}

/// The names an alias chain from `first` passes through, following the CNAME records given.
fn alias_chain(first: &str, records: &[Record]) -> Vec<String> {
    let mut chain = vec![first.to_owned()];
    let mut current = first.to_owned();
    while chain.len() <= records.len() {
        let next = records.iter().find_map(|record| match &record.data {
            RecordData::Cname { target } if record.name.eq_ignore_ascii_case(&current) => {
                Some(target.clone())
            }
            _ => None,
        });
        let Some(next) = next else { break };
        let seen = chain.iter().any(|name| name.eq_ignore_ascii_case(&next));
        chain.push(next.clone());
        if seen {
            break;
        }
        current = next;
    }
    chain
}

/// `Some(chain)` when the CNAME records from `first` come back to a name already passed.
pub(crate) fn alias_loop(first: &str, records: &[Record]) -> Option<Vec<String>> {
    let chain = alias_chain(first, records);
    let last = chain.last()?;
    chain[..chain.len() - 1]
        .iter()
        .any(|name| name.eq_ignore_ascii_case(last))
        .then_some(chain)
}

/// The answer a DNS reply on the wire gives: the parser boundary between hickory and the
/// checks, exposed for the fuzz target (`fuzz/fuzz_targets/dns_answer.rs`).
pub fn answer_from_wire(bytes: &[u8]) -> Answer {
    match hickory_resolver::proto::op::Message::from_vec(bytes) {
        Ok(message) => {
            let records: Vec<Record> = message.answers.iter().map(convert).collect();
            if records.is_empty() {
                Answer::NoData
            } else {
                Answer::Records(records)
            }
        }
        Err(error) => Answer::Failed(Failure::Protocol {
            message: error.to_string(),
        }),
    }
}

fn kind_of(data: &RecordData) -> Option<RecordKind> {
    match data {
        RecordData::A { .. } => Some(RecordKind::A),
        RecordData::Aaaa { .. } => Some(RecordKind::Aaaa),
        RecordData::Mx { .. } => Some(RecordKind::Mx),
        RecordData::Ptr { .. } => Some(RecordKind::Ptr),
        RecordData::Srv { .. } => Some(RecordKind::Srv),
        RecordData::Txt { .. } => Some(RecordKind::Txt),
        RecordData::Cname { .. } | RecordData::Other { .. } => None,
    }
}

/// Exactly one server, over UDP with TCP for truncated answers, on its own port. Nothing
/// else is configured, so there is no fallback to the system resolver.
fn single_server(server: SocketAddr) -> NameServerConfig {
    let mut name_server = NameServerConfig::udp_and_tcp(server.ip());
    for connection in &mut name_server.connections {
        connection.port = server.port();
    }
    name_server
}

fn options(budget: Duration) -> ResolverOpts {
    let mut options = ResolverOpts::default();
    // hickory's worst case is timeout × (attempts + 1); split the budget so that is the budget.
    options.timeout = (budget / (RETRIES as u32 + 1)).max(Duration::from_millis(50));
    options.attempts = RETRIES;
    options
}

impl Resolve for DnsClient {
    async fn query(&self, name: &str, kind: RecordKind) -> Answer {
        let Ok(name) = Name::from_ascii(fqdn(name)) else {
            return Answer::Failed(Failure::Protocol {
                message: format!("\"{name}\" is not a valid DNS name"),
            });
        };
        self.start_proof();
        let answer = tokio::time::timeout(self.budget, self.ask_following_aliases(&name, kind))
            .await
            .unwrap_or(Answer::Failed(Failure::Timeout));
        match answer {
            // Proof before verdict: "does not exist" counts only from a resolver that has
            // shown it answers a name that must exist.
            Answer::NxDomain | Answer::NoData => match self.proven().await {
                Ok(()) => answer,
                Err(failure) => Answer::Failed(failure),
            },
            other => other,
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
        RecordKind::Ns => RecordType::NS,
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

/// Checks and normalises a domain or host name typed by a user (see
/// [`crate::vocab::parse_host_name`], which the wizard's inputs share).
pub fn normalize_name(input: &str) -> Result<String, crate::vocab::ParseError> {
    crate::vocab::parse_host_name(input)
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

    fn no_records(code: ResponseCode) -> NetError {
        let query = Query::query(Name::root(), RecordType::A);
        NetError::from(DnsError::NoRecordsFound(NoRecords::new(query, code)))
    }

    #[test]
    fn hickory_outcomes_are_classified() {
        assert_eq!(
            classify(&no_records(ResponseCode::NXDomain)),
            Answer::NxDomain
        );
        assert_eq!(classify(&no_records(ResponseCode::NoError)), Answer::NoData);
        let code = |code| classify(&NetError::Dns(DnsError::ResponseCode(code)));
        assert_eq!(
            code(ResponseCode::ServFail),
            Answer::Failed(Failure::ServFail)
        );
        assert_eq!(
            code(ResponseCode::Refused),
            Answer::Failed(Failure::Refused)
        );
        assert!(matches!(
            code(ResponseCode::NotImp),
            Answer::Failed(Failure::ResponseCode { .. })
        ));
        assert_eq!(
            classify(&NetError::Timeout),
            Answer::Failed(Failure::Timeout)
        );
        assert_eq!(
            classify(&NetError::Truncated),
            Answer::Failed(Failure::Truncated)
        );
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert!(matches!(
            classify(&NetError::from(refused)),
            Answer::Failed(Failure::Network { .. })
        ));
    }

    #[test]
    fn budget_is_split_over_the_tries() {
        let options = options(Duration::from_secs(4));
        assert_eq!(options.timeout, Duration::from_secs(2));
        assert_eq!(options.attempts, RETRIES);
    }
}
