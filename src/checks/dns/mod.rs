//! DNS checks: mail servers (MX), hosts and reverse DNS, service discovery (SRV), DNS
//! blacklists, and the public IP as DNS sees it.
//!
//! All lookups go through our own [`Resolve`] trait; the resolver library (hickory) lives in a
//! private module behind [`DnsClient`], so no hickory type leaks out and the checks can be run
//! against a scripted resolver in tests. Every question ends in a typed [`Answer`]: records,
//! NXDOMAIN, no data, or a [`Failure`] (SERVFAIL, REFUSED, timeout…) with plain words.
//!
//! **Proof before verdict.** [`DnsClient`] believes "does not exist" (NXDOMAIN) and "no such
//! data" only from a resolver that has proved it works: once per resolver per process it asks
//! for the NS records of [`DnsSettings::known_name`] (the root zone unless a test names its
//! own), started with the first question so it costs no extra wait. A resolver that says
//! "does not exist" of that name too, or cannot answer it, turns every negative answer into a
//! [`Failure`] (`lying-resolver`, `unproven`): the check says "could not check" (status
//! `error`) with a hint, never "does not exist".
//!
//! # Facts set by these checks
//!
//! | check | key | values |
//! |---|---|---|
//! | mx | `dns.mx` | `ok` (MX records) · `none` (no MX) · `null` (RFC 7505 null MX) · `nxdomain` · `alias-loop` (the domain is a CNAME loop) · `error` |
//! | mx | `dns.mx_hosts` | the MX hosts, best first, comma-separated (absent without MX) |
//! | mx | `dns.mx_implicit` | `yes` when there is no MX but the domain's own A/AAAA takes mail (RFC 5321 §5.1), else `no` |
//! | mx | `dns.mx_flags` | comma-separated: `cname-target`, `ip-literal-target`, `unresolvable-target`, `null-mx-mixed`; `none` |
//! | host | `dns.host` | `ok` (has addresses) · `none` (no address) · `nxdomain` · `error` |
//! | host | `dns.host_addresses` | comma-separated addresses |
//! | host | `dns.fcrdns` | `yes` (every address's PTR name resolves back to it) · `no` · `unknown` |
//! | srv | `dns.srv` | `found` (at least one service offered) · `none` · `error` |
//! | srv | `dns.srv_submission`, `…_submissions`, `…_imap`, `…_imaps`, `…_pop3`, `…_pop3s` | `HOST:PORT` of the first choice · `none` · `not-offered` · `error` |
//! | dnsbl | `dnsbl.ip` | the address checked |
//! | dnsbl | `dnsbl.listed` | `yes` · `no` · `unknown` (a list refused, failed or did not list its RFC 5782 test entry 127.0.0.2, while another answered); no dnsbl fact at all when no list could be checked (status `error`) |
//! | dnsbl | `dnsbl.listed_on` | comma-separated zones that list the address (absent when none) |
//! | dnsbl | `dnsbl.refused_by` | comma-separated zones that refused the query (absent when none) |
//! | public-ip | `public.ip` | the address the internet sees us as |
//! | public-ip | `public.ip_method` | `opendns` · `google` · `akamai` |
//!
//! # Use
//!
//! ```no_run
//! # async fn demo() -> Result<(), relaydoc::checks::dns::SetupError> {
//! use relaydoc::checks::dns::{self, DnsClient, DnsSettings};
//! // One client per resolver; it is cheap to clone and every check's future is `Send`, so
//! // checks can run side by side (`tokio::join!`, or spawned).
//! let client = DnsClient::new(&DnsSettings::default())?;
//! let (mx, srv) = tokio::join!(
//!     dns::mx::check(&client, "example.com"),
//!     dns::srv::check(&client, "example.com"),
//! );
//! let reports = [mx.to_check_report(), srv.to_check_report()];
//! # let _ = reports;
//! # Ok(())
//! # }
//! ```
//!
//! `dnsbl` does not know whose address it checks, so it does not set
//! `client.ip_blacklisted`; the wizard's runner sets that (from the report's `blacklisted`:
//! `yes` only for a spam or exploit listing, never for a policy list like the Spamhaus PBL,
//! which lists home connections by design) when the tree
//! node says the address is the person's own (it lists the fact in `sets`: the caller's
//! address in agent mode), and `my-ip-blacklist` does for the user's own public IP.

mod answer;
mod client;
pub mod dnsbl;
pub mod host;
pub mod mx;
pub mod names;
pub mod public_ip;
pub mod srv;

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

pub use answer::{Answer, Failure, LookupView, Record, RecordData, RecordKind};
pub use client::{DnsClient, SetupError, answer_from_wire, normalize_name};

/// How long one question may take, retries included, when the user sets no `--timeout`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// Where to ask, and how long to wait.
#[derive(Debug, Clone)]
pub struct DnsSettings {
    /// A specific server (`--dns-server`); `None` means the system's resolvers from
    /// /etc/resolv.conf. A given server is the only one asked: no fallback.
    pub server: Option<SocketAddr>,
    /// The whole budget of one question, retries included.
    pub timeout: Duration,
    /// A name that must exist (it must have NS records). Before any answer "does not exist"
    /// or "no such data" is believed, the resolver must answer this name: a resolver that
    /// says "does not exist" of everything (captive portals, filters) is told apart from a
    /// working one. The root zone by default; tests name a zone their own server serves.
    pub known_name: String,
}

/// The name every working resolver answers: the root zone's name servers.
pub const DEFAULT_KNOWN_NAME: &str = ".";

impl Default for DnsSettings {
    fn default() -> Self {
        Self {
            server: None,
            timeout: DEFAULT_TIMEOUT,
            known_name: DEFAULT_KNOWN_NAME.to_owned(),
        }
    }
}

/// A DNS server address a person gave (`--dns-server`, `--server`) that is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// Not `IP`, `IP:PORT` or `[IPv6]:PORT` (the text as given, trimmed).
    #[error(
        "\"{0}\" is not a DNS server address: give an IP address, optionally with a port, \
         e.g. 9.9.9.9, 127.0.0.1:5353 or [::1]:5353"
    )]
    NotAServer(String),
}

/// DNS could not tell the address a check needs before it can start; the words are the
/// resolver's own explanation (a failing or lying resolver is named as such), never "does
/// not exist" without proof.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    /// An address question (A or AAAA) about `host` failed, and neither found an address.
    #[error("{}", .failure.explain(.host))]
    Addresses { host: String, failure: Failure },
    /// The operating system found no address for `host`; it does not say why in a way that
    /// proves anything, so the words say what to try.
    #[error(
        "could not find the address of {host} ({why}). Check the spelling; if it is right, \
         the DNS may not be working: is the network down? `relaydoc check host {host}` tells \
         more"
    )]
    System { host: String, why: String },
    /// The DNS server given (named in `asked`) says `host` has no address, with proof.
    #[error("{host} has no address in DNS (asked {asked}): check the name")]
    NoAddress { host: String, asked: String },
    /// The resolver could not be set up.
    #[error(transparent)]
    Setup(#[from] SetupError),
    /// The server of a public-IP `service` (its `host`) has no address we could find;
    /// `why` explains the IPv4 answer.
    #[error("Could not find the address of {host}, the {service} service's server. {why}")]
    ServiceServer {
        host: &'static str,
        service: &'static str,
        why: String,
    },
}

/// Something that answers DNS questions. [`DnsClient`] asks real servers; tests may script it.
pub trait Resolve: Send + Sync {
    /// Asks for `kind` records of `name` (a name without trailing dot; it is always asked as
    /// an absolute name). Never fails: every outcome is an [`Answer`], and it ends within the
    /// resolver's timeout.
    fn query(&self, name: &str, kind: RecordKind) -> impl Future<Output = Answer> + Send;

    /// Where the answers come from, for reports ("127.0.0.1:5353", "system resolver").
    fn source(&self) -> String;
}

/// The A and AAAA addresses of `host`, asked side by side, for connecting to it. `Err`
/// (plain words) when there are none and DNS could not say so for sure: "no address" only
/// with proof.
pub async fn addresses<R: Resolve>(resolver: &R, host: &str) -> Result<Vec<IpAddr>, LookupError> {
    let (v4, v6) = tokio::join!(
        resolver.query(host, RecordKind::A),
        resolver.query(host, RecordKind::Aaaa)
    );
    let failure = [&v4, &v6].into_iter().find_map(|answer| match answer {
        Answer::Failed(failure) => Some(failure.clone()),
        _ => None,
    });
    let mut out: Vec<IpAddr> = [v4, v6].iter().flat_map(Answer::addresses).collect();
    out.dedup();
    match failure {
        Some(failure) if out.is_empty() => Err(LookupError::Addresses {
            host: host.to_owned(),
            failure,
        }),
        _ => Ok(out),
    }
}

/// The operating system's addresses for `host` (which also reads /etc/hosts), within
/// `timeout`. The system does not say why a lookup failed in a way that proves anything, so
/// the error says what to try, never "does not exist".
pub async fn system_addresses(host: &str, timeout: Duration) -> Result<Vec<IpAddr>, LookupError> {
    let could_not = |why: String| LookupError::System {
        host: host.to_owned(),
        why,
    };
    match tokio::time::timeout(timeout, tokio::net::lookup_host((host, 0))).await {
        Ok(Ok(found)) => {
            let mut out: Vec<IpAddr> = found.map(|a| a.ip()).collect();
            out.dedup();
            if out.is_empty() {
                Err(could_not("no address returned".to_owned()))
            } else {
                Ok(out)
            }
        }
        Ok(Err(error)) => Err(could_not(error.to_string())),
        Err(_) => Err(could_not(format!(
            "no answer within {:.0} s",
            timeout.as_secs_f64()
        ))),
    }
}

/// The addresses to connect to `host` at: an IP address as it is; a name through the DNS
/// server given (`--dns-server`, with its proof), else through the operating system.
pub async fn addresses_for_connect(
    settings: &DnsSettings,
    host: &str,
) -> Result<Vec<IpAddr>, LookupError> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![ip]);
    }
    if settings.server.is_none() {
        return system_addresses(host, settings.timeout).await;
    }
    let client = DnsClient::new(settings)?;
    match addresses(&client, host).await {
        Ok(found) if found.is_empty() => Err(LookupError::NoAddress {
            host: host.to_owned(),
            asked: client.source(),
        }),
        result => result,
    }
}

/// Parses `--dns-server`: `IP`, `IP:PORT`, `[IPv6]:PORT` or a bare IPv6 address; port 53
/// when none is given.
pub fn parse_server(text: &str) -> Result<SocketAddr, InputError> {
    let text = text.trim();
    if let Ok(address) = text.parse::<SocketAddr>() {
        return Ok(address);
    }
    let bare = text
        .strip_prefix('[')
        .and_then(|inner| inner.strip_suffix(']'))
        .unwrap_or(text);
    match bare.parse::<IpAddr>() {
        Ok(ip) => Ok(SocketAddr::new(ip, 53)),
        Err(_) => Err(InputError::NotAServer(text.to_owned())),
    }
}

/// Runs all `futures` concurrently on the current task and returns their outputs in order.
/// (A few lines instead of a dependency on `futures` for one function.)
pub(crate) async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut pending: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = pending.iter().map(|_| None).collect();
    std::future::poll_fn(move |cx| {
        let mut all_done = true;
        for (future, output) in pending.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(value) => *output = Some(value),
                    Poll::Pending => all_done = false,
                }
            }
        }
        if all_done {
            Poll::Ready(outputs.drain(..).flatten().collect())
        } else {
            Poll::Pending
        }
    })
    .await
}

/// "a, b and c" for a person.
pub(crate) fn list_words(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [head @ .., last] => format!("{} and {last}", head.join(", ")),
    }
}

/// A scripted resolver for unit tests of the checks' reasoning: answers from a table,
/// NXDOMAIN for anything not in it.
#[cfg(test)]
pub(crate) mod fake {
    use std::collections::HashMap;
    use std::net::IpAddr;

    use super::{Answer, Record, RecordData, RecordKind, Resolve};

    #[derive(Debug, Default)]
    pub struct FakeResolver {
        answers: HashMap<(String, RecordKind), Answer>,
    }

    impl FakeResolver {
        pub fn answer(mut self, name: &str, kind: RecordKind, answer: Answer) -> Self {
            self.answers.insert((name.to_owned(), kind), answer);
            self
        }

        pub fn records(self, name: &str, kind: RecordKind, data: Vec<RecordData>) -> Self {
            let records = data
                .into_iter()
                .map(|data| Record {
                    name: name.to_owned(),
                    ttl: 60,
                    data,
                })
                .collect();
            self.answer(name, kind, Answer::Records(records))
        }

        pub fn address(self, name: &str, ip: &str) -> Self {
            let data = match ip.parse::<IpAddr>() {
                Ok(IpAddr::V4(address)) => RecordData::A { address },
                Ok(IpAddr::V6(address)) => RecordData::Aaaa { address },
                Err(_) => panic!("test address {ip}"),
            };
            let kind = match data {
                RecordData::A { .. } => RecordKind::A,
                _ => RecordKind::Aaaa,
            };
            self.records(name, kind, vec![data])
        }
    }

    impl Resolve for FakeResolver {
        async fn query(&self, name: &str, kind: RecordKind) -> Answer {
            self.answers
                .get(&(name.to_owned(), kind))
                .cloned()
                .unwrap_or(Answer::NxDomain)
        }

        fn source(&self) -> String {
            "fake".to_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_addresses_parse_with_and_without_port() {
        assert_eq!(
            parse_server("9.9.9.9"),
            Ok("9.9.9.9:53".parse().expect("addr"))
        );
        assert_eq!(
            parse_server("127.0.0.1:5353"),
            Ok("127.0.0.1:5353".parse().expect("addr"))
        );
        assert_eq!(parse_server("::1"), Ok("[::1]:53".parse().expect("addr")));
        assert_eq!(parse_server("[::1]"), Ok("[::1]:53".parse().expect("addr")));
        assert_eq!(
            parse_server("[::1]:5353"),
            Ok("[::1]:5353".parse().expect("addr"))
        );
        assert!(parse_server("dns.google").is_err());
        assert!(parse_server("127.0.0.1:99999").is_err());
        assert!(parse_server("").is_err());
    }

    #[test]
    fn a_wrong_server_address_is_named_in_the_old_words() {
        assert_eq!(
            parse_server(" dns.google ").map_err(|why| why.to_string()),
            Err(
                "\"dns.google\" is not a DNS server address: give an IP address, optionally \
                 with a port, e.g. 9.9.9.9, 127.0.0.1:5353 or [::1]:5353"
                    .to_owned()
            )
        );
    }

    /// A failed lookup keeps the failure (for a caller to tell apart) and says it in the
    /// resolver's words; a name that does not exist is no failure, just no address.
    #[tokio::test]
    async fn a_failed_address_lookup_carries_its_failure() {
        let resolver = fake::FakeResolver::default()
            .answer("down.test", RecordKind::A, Answer::Failed(Failure::Timeout))
            .address("up.test", "192.0.2.1");
        let failed = addresses(&resolver, "down.test")
            .await
            .expect_err("timeout");
        assert_eq!(
            failed,
            LookupError::Addresses {
                host: "down.test".to_owned(),
                failure: Failure::Timeout
            }
        );
        assert_eq!(failed.to_string(), Failure::Timeout.explain("down.test"));
        assert_eq!(
            addresses(&resolver, "up.test").await,
            Ok(vec![IpAddr::from([192, 0, 2, 1])])
        );
        assert_eq!(addresses(&resolver, "gone.test").await, Ok(Vec::new()));
    }

    #[test]
    fn lookup_errors_for_connecting_keep_their_words() {
        let system = LookupError::System {
            host: "mail.test".to_owned(),
            why: "no address returned".to_owned(),
        };
        assert_eq!(
            system.to_string(),
            "could not find the address of mail.test (no address returned). Check the \
             spelling; if it is right, the DNS may not be working: is the network down? \
             `relaydoc check host mail.test` tells more"
        );
        let none = LookupError::NoAddress {
            host: "mail.test".to_owned(),
            asked: "127.0.0.1:5353".to_owned(),
        };
        assert_eq!(
            none.to_string(),
            "mail.test has no address in DNS (asked 127.0.0.1:5353): check the name"
        );
    }

    #[tokio::test]
    async fn a_public_ip_service_without_an_address_is_named() {
        let method = public_ip::Method::Opendns;
        let resolver = fake::FakeResolver::default();
        let failed = public_ip::locate_server(&resolver, method)
            .await
            .expect_err("no address");
        let host = method.server_host();
        assert_eq!(
            failed.to_string(),
            format!(
                "Could not find the address of {host}, the opendns service's server. {}",
                Answer::NxDomain.explain(host, RecordKind::A)
            )
        );
    }

    #[tokio::test]
    async fn join_all_keeps_order() {
        let futures = (0..5u64)
            .map(|n| async move {
                tokio::time::sleep(Duration::from_millis(10 * (5 - n))).await;
                n
            })
            .collect();
        assert_eq!(join_all(futures).await, vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn clients_and_check_futures_can_cross_threads() {
        fn send_sync_static<T: Send + Sync + 'static>() {}
        fn send<F: Future + Send>(_: F) {}
        send_sync_static::<DnsClient>();
        let resolver = fake::FakeResolver::default();
        send(mx::check(&resolver, "d.test"));
        send(host::check(
            &resolver,
            &host::HostTarget::Name("d.test".to_owned()),
        ));
        send(srv::check(&resolver, "d.test"));
        send(dnsbl::check(&resolver, IpAddr::from([192, 0, 2, 1]), &[]));
        let server = SocketAddr::from(([127, 0, 0, 1], 53));
        send(public_ip::check(
            &resolver,
            public_ip::Method::Google,
            server,
        ));
    }

    #[test]
    fn words_are_listed_naturally() {
        let items = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(list_words(&items(&[])), "");
        assert_eq!(list_words(&items(&["a"])), "a");
        assert_eq!(list_words(&items(&["a", "b", "c"])), "a, b and c");
    }
}
