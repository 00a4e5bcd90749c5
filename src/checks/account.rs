//! `check account EMAIL`: everything relaydoc can find out about one mail account, at once.
//!
//! This module owns three things:
//! 1. **Finding the settings to test** (`discover`): `--server` if given, else the domain's
//!    SRV records (RFC 6186 `_submission._tcp`, RFC 8314 `_submissions._tcp`), else a
//!    [`Catalogue`] of known providers (by address domain, then by MX host suffix for hosted
//!    domains), else the domain's MX, with a warning that an MX is meant for receiving.
//! 2. **Running every applicable check concurrently**, each as its own tokio task with its own
//!    deadline: MX and SRV of the domain, host/FCrDNS of the server, the port probe of the
//!    candidate endpoints, relay without login, sign-in (AUTH) followed by relay with login
//!    on one connection, DNSBL of the server's addresses.
//!    Only the real dependencies are waited for (the server checks need a server, from
//!    discovery, and an address); total time is discovery plus the slowest server check.
//!    Each task reports [`Event`]s for live progress, and its start and finish offsets, which
//!    the report keeps so concurrency can be verified from the outside.
//! 3. **Collecting the findings** into one [`AccountReport`] with plain-words summary lines.
//!
//! What the findings mean for the decision tree, and the cause they point to, is the
//! wizard's business (`wizard::account`): this module knows no tree, no knowledge files and
//! no screen, so it could live in a crate of its own.
//!
//! # Facts set (besides every sub-check's own facts, see `checks::dns` and `checks::smtp`)
//!
//! | key | values |
//! |---|---|
//! | `account.email` | the address |
//! | `settings.source` | `given` · `srv` · `catalogue` · `mx` · `none` |
//! | `settings.provider` | the catalogue provider id (only with `catalogue`) |
//! | `client.server_host`, `client.port`, `client.security` | the endpoint tested for AUTH and relay |
//! | `server.auth_offered` | `yes` · `tls-only` · `no` (the tree's values; overrides the probe's yes/no) |
//! | `server.auth_works` | `yes` when the login succeeded (never `no`: a wrong password is not a broken server) |
//! | `dnsbl.server_listed` | `yes` · `no` · `unknown` over all the server's addresses |
//! | `login.tested` | `yes` · `no` (no password was available) |
//!
//! # How check results become tree facts (done in `wizard::account`), and why
//!
//! | result | tree fact | why |
//! |---|---|---|
//! | relay without login refused (554/454) | `error.kind=relay`, `error.where=client`, `error.code` | we reproduced the person's error at submission, as their mail client gets it |
//! | login refused (535 etc.) | `client.smtp_auth=on`, `account.auth_scheme=smtp-auth`, `auth.refusal` | the person does sign in, and the server refuses: `auth.refusal` says whether the credentials are wrong or the provider refuses a right password by design |
//! | login accepted | `server.auth_works=yes` (`client.smtp_auth` stays unknown) | the account and server are fine; what the tree concludes for an unknown client setting (auth off) is then the likely cause |
//! | settings from SRV or catalogue | `client.server_owner=email-provider` | those name the provider's own server |
//! | catalogue says POP-before-SMTP | `account.auth_scheme=pop-before-smtp` | |

use std::collections::BTreeMap;
use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

use crate::checks::dns::{self, Resolve};
use crate::checks::smtp::session::{Endpoint, Mechanism, Options, Secret, Security};
use crate::checks::smtp::{self, RelayRequest};
use crate::checks::{CheckReport, Facts, Status};

/// The outside recipient the relay test names when the user gives none: `example.com` is
/// reserved (RFC 2606), and nothing is ever sent anyway (the test stops after RCPT).
pub const DEFAULT_OUTSIDE_RECIPIENT: &str = "relaydoc-test@example.com";

/// Known providers' published settings, for discovery. The wizard answers from the providers
/// catalogue in the knowledge; tests answer from a list of their own.
pub trait Catalogue: Send + Sync {
    /// The settings of the provider whose addresses end in `domain`.
    fn by_domain(&self, domain: &str) -> Option<Settings>;
    /// The settings of the provider whose incoming servers these are (a company's domain
    /// hosted at Microsoft 365 or Google Workspace), and its name.
    fn by_mx(&self, mx_hosts: &[String]) -> Option<(Settings, String)>;
}

/// What to test.
#[derive(Debug, Clone)]
pub struct AccountRequest {
    pub email: String,
    /// The user name for AUTH (usually the address).
    pub user: String,
    /// `--server`: a host name or an IP address.
    pub server: Option<String>,
    /// `--port`: test only this port.
    pub port: Option<u16>,
    /// `--security` for the endpoint AUTH and relay are tested on.
    pub security: Option<Security>,
    /// `None`: the login tests are skipped, and `no_password_reason` says why.
    pub password: Option<Secret>,
    pub no_password_reason: String,
    pub mechanism: Option<Mechanism>,
    pub allow_plaintext: bool,
    pub from: String,
    pub to: String,
    /// DNS blacklist zones for the server's addresses.
    pub zones: Vec<String>,
    pub local_ip: Option<IpAddr>,
}

/// Deadlines: each check gets its own, so one stuck server cannot hold up the report.
#[derive(Debug, Clone, Copy)]
pub struct Deadlines {
    pub dns: Duration,
    pub smtp: Duration,
}

impl Deadlines {
    /// From the per-question DNS timeout and the per-step SMTP timeout: a host check asks
    /// up to three questions in a row, an SMTP dialogue has about ten steps but a healthy
    /// server answers each at once, so three step timeouts bound a stuck one.
    pub fn from_timeouts(dns: Duration, smtp_step: Duration) -> Self {
        Self {
            dns: dns * 3,
            smtp: smtp_step * 3,
        }
    }
}

/// Live progress, for a display.
#[derive(Debug, Clone)]
pub enum Event {
    /// Which settings will be tested (after discovery).
    Settings(Settings),
    Started {
        id: String,
        label: String,
    },
    Finished {
        id: String,
        status: Status,
        elapsed: Duration,
        summary: String,
    },
    Skipped {
        id: String,
        label: String,
        reason: String,
    },
}

/// Where the settings under test came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Given,
    Srv,
    Catalogue,
    Mx,
    None,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Given => "given",
            Self::Srv => "srv",
            Self::Catalogue => "catalogue",
            Self::Mx => "mx",
            Self::None => "none",
        }
    }

    /// Plain words for "from …".
    pub fn words(self) -> &'static str {
        match self {
            Self::Given => "the server you gave",
            Self::Srv => "the mail settings the domain publishes in DNS (SRV records)",
            Self::Catalogue => "relaydoc's list of known providers",
            Self::Mx => "the domain's incoming mail server (MX)",
            Self::None => "nowhere",
        }
    }
}

/// One server, port and encryption to test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    pub host: String,
    pub port: u16,
    pub security: Security,
}

/// The outcome of discovery.
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    pub source: Source,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// Every endpoint to probe, best first; the first is the one AUTH and relay use.
    pub candidates: Vec<Candidate>,
    /// Something the person should know about these settings (e.g. an MX as a guess).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
    /// The catalogue says sending is authorised by a POP login first.
    #[serde(skip)]
    pub pop_before_smtp: bool,
    /// The catalogue's user name rule wants the local part, not the full address.
    #[serde(skip)]
    pub local_part_user: bool,
}

impl Settings {
    pub fn primary(&self) -> Option<&Candidate> {
        self.candidates.first()
    }
}

/// One sub-check as it ran.
#[derive(Debug, Clone, Serialize)]
pub struct SubCheck {
    pub id: String,
    pub label: String,
    /// Offsets from the start of `check account`: when the task was started and when it
    /// ended. Every check starts before the first one finishes unless it waits for a result
    /// it needs (the server from discovery, its address).
    pub started_ms: f64,
    pub finished_ms: f64,
    pub elapsed_ms: f64,
    pub timed_out: bool,
    pub report: CheckReport,
}

/// A check that did not run, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub id: String,
    pub label: String,
    pub reason: String,
}

/// The cause the findings point to, with its words (filled in by the wizard's diagnosis).
#[derive(Debug, Clone, Serialize)]
pub struct CauseView {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub side: String,
}

/// Everything `check account` found.
#[derive(Debug, Clone, Serialize)]
pub struct AccountReport {
    pub email: String,
    pub settings: Settings,
    pub summary: Vec<String>,
    pub checks: Vec<SubCheck>,
    pub skipped: Vec<Skipped>,
    pub total_ms: f64,
    /// The longest single check, for comparing with the total.
    pub slowest: Option<(String, f64)>,
    /// The diagnosis (`wizard::account::diagnose`); empty as the checks leave it.
    pub cause: Option<CauseView>,
    pub node: String,
    pub path: Vec<String>,
    pub missing: Vec<String>,
    /// The facts that went into the tree walk.
    pub tree_facts: Facts,
    #[serde(skip)]
    pub facts: Facts,
    #[serde(skip)]
    pub status: Status,
}

impl AccountReport {
    /// The `check --json` contract: `details` keeps every sub-report in its own shape.
    pub fn to_check_report(&self) -> CheckReport {
        let slowest = self
            .slowest
            .as_ref()
            .map(|(id, ms)| serde_json::json!({"id": id, "elapsed_ms": ms}));
        let details = serde_json::json!({
            "summary": self.summary,
            "email": self.email,
            "settings": self.settings,
            "checks": self.checks,
            "skipped": self.skipped,
            "timings": {
                "total_ms": self.total_ms,
                "slowest": slowest,
            },
            "cause": self.cause,
            "node": self.node,
            "path": self.path,
            "missing": self.missing,
            "tree_facts": self.tree_facts,
        });
        CheckReport {
            check: "account".to_owned(),
            status: self.status,
            facts: self.facts.clone(),
            details,
        }
    }
}

/// Runs the checks; one per account. Generic over the resolver so the reasoning can be
/// tested with a scripted one.
#[derive(Debug)]
pub struct AccountCheck<R> {
    pub resolver: Arc<R>,
    pub options: Options,
    pub deadlines: Deadlines,
    pub events: Option<UnboundedSender<Event>>,
    /// When DNS gives the server no address, ask the operating system too (it also reads
    /// /etc/hosts, where `localhost` and private names live). Only for the system resolver:
    /// with `--dns-server` the answers must come from that server alone.
    pub system_fallback: bool,
}

/// Starts checks as tasks and remembers when.
struct Launcher {
    t0: Instant,
    events: Option<UnboundedSender<Event>>,
}

impl Launcher {
    fn emit(&self, event: Event) {
        if let Some(events) = &self.events {
            // A display that went away is no reason to stop checking.
            let _ = events.send(event);
        }
    }

    fn launch<F>(&self, id: String, label: String, deadline: Duration, check: F) -> Running
    where
        F: Future<Output = CheckReport> + Send + 'static,
    {
        let t0 = self.t0;
        let started = t0.elapsed();
        self.emit(Event::Started {
            id: id.clone(),
            label: label.clone(),
        });
        let events = self.events.clone();
        let task_id = id.clone();
        let task_label = label.clone();
        let handle = tokio::spawn(async move {
            let (report, timed_out) = match tokio::time::timeout(deadline, check).await {
                Ok(report) => (report, false),
                Err(_) => (deadline_report(&task_id, deadline), true),
            };
            let finished = t0.elapsed();
            if let Some(events) = &events {
                let _ = events.send(Event::Finished {
                    id: task_id.clone(),
                    status: report.status,
                    elapsed: finished.saturating_sub(started),
                    summary: summary_of(&report).join("; "),
                });
            }
            SubCheck {
                id: task_id,
                label: task_label,
                started_ms: ms(started),
                finished_ms: ms(finished),
                elapsed_ms: ms(finished.saturating_sub(started)),
                timed_out,
                report,
            }
        });
        Running { id, label, handle }
    }

    fn skip(&self, skipped: &mut Vec<Skipped>, id: &str, label: String, reason: String) {
        self.emit(Event::Skipped {
            id: id.to_owned(),
            label: label.clone(),
            reason: reason.clone(),
        });
        skipped.push(Skipped {
            id: id.to_owned(),
            label,
            reason,
        });
    }
}

/// A check discovery may or may not have waited for.
enum Pending {
    Done(SubCheck),
    Running(Running),
}

/// A started check.
struct Running {
    id: String,
    label: String,
    handle: JoinHandle<SubCheck>,
}

impl Running {
    async fn finish(self) -> SubCheck {
        match self.handle.await {
            Ok(sub) => sub,
            // A panic in a check is a bug; the report still comes out, with the check failed.
            Err(error) => SubCheck {
                report: failed_report(&self.id, "internal", &error.to_string()),
                id: self.id,
                label: self.label,
                started_ms: 0.0,
                finished_ms: 0.0,
                elapsed_ms: 0.0,
                timed_out: false,
            },
        }
    }
}

fn ms(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1000.0 * 10.0).round() / 10.0
}

fn failed_report(check: &str, phase: &str, message: &str) -> CheckReport {
    CheckReport {
        check: check.to_owned(),
        status: Status::Error,
        facts: BTreeMap::new(),
        details: serde_json::json!({
            "summary": message,
            "error": {"phase": phase, "message": message},
        }),
    }
}

fn deadline_report(check: &str, deadline: Duration) -> CheckReport {
    failed_report(
        check,
        "deadline",
        &format!(
            "gave up after {:.0} s without a complete answer",
            deadline.as_secs_f64().ceil()
        ),
    )
}

/// A report's summary lines (`details.summary`, a string or a list).
pub fn summary_of(report: &CheckReport) -> Vec<String> {
    match report.details.get("summary") {
        Some(serde_json::Value::String(text)) => vec![text.clone()],
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|item| item.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// The domain of an address, normalised for DNS; `Err` with plain words otherwise.
pub fn domain_of(email: &str) -> Result<String, String> {
    let Some((local, domain)) = email.rsplit_once('@') else {
        return Err(format!(
            "{email:?} is not an e-mail address (it needs an @, like you@example.com)"
        ));
    };
    if local.is_empty() {
        return Err(format!("{email:?} has nothing before the @"));
    }
    dns::normalize_name(domain).map_err(|why| why.to_string())
}

/// What an SRV service says it uses; anything else is taken as STARTTLS, submission's own.
fn security_of(text: &str) -> Security {
    Security::from_name(text).unwrap_or(Security::Starttls)
}

/// Settings from SRV: `_submission._tcp` (STARTTLS) first, then `_submissions._tcp`.
/// RFC 8314 would rank implicit TLS first; submission with STARTTLS is what every mail
/// client offers and what the tree's solutions describe first, so it is the one tested.
pub fn from_srv(report: &dns::srv::SrvReport) -> Option<Settings> {
    let mut candidates = Vec::new();
    for name in ["submission", "submissions"] {
        let offered = report
            .services
            .iter()
            .find(|s| s.service.name == name && s.result == "offered");
        if let Some(target) = offered.and_then(|s| s.targets.first()) {
            candidates.push(Candidate {
                host: target.host.clone(),
                port: target.port,
                security: security_of(offered.map_or("starttls", |s| s.service.security)),
            });
        }
    }
    (!candidates.is_empty()).then_some(Settings {
        source: Source::Srv,
        provider: None,
        candidates,
        warning: None,
        pop_before_smtp: false,
        local_part_user: false,
    })
}

/// The usual submission ports of one host: 587 STARTTLS, 465 TLS, 25 STARTTLS.
fn usual_ports(host: &str) -> Vec<Candidate> {
    [587, 465, 25]
        .into_iter()
        .map(|port| Candidate {
            host: host.to_owned(),
            port,
            security: Security::for_port(port),
        })
        .collect()
}

/// Applies `--port` and `--security`: one port only, and the encryption the person gave
/// (else what the source said for that port, else the port's usual one).
fn restrict(mut settings: Settings, port: Option<u16>, security: Option<Security>) -> Settings {
    if let Some(port) = port {
        let known = settings
            .candidates
            .iter()
            .find(|c| c.port == port)
            .map(|c| c.security);
        let host = settings
            .primary()
            .map(|c| c.host.clone())
            .unwrap_or_default();
        settings.candidates = vec![Candidate {
            host,
            port,
            security: known.unwrap_or(Security::for_port(port)),
        }];
    }
    if let (Some(security), Some(first)) = (security, settings.candidates.first_mut()) {
        first.security = security;
    }
    settings
}

fn label_for(id: &str, request: &AccountRequest, domain: &str, host: &str) -> String {
    match id {
        "mx" => format!("Where mail for {domain} is delivered (MX)"),
        "srv" => format!("Mail settings {domain} publishes (SRV)"),
        // No server to name (none was found): the check is described, not addressed.
        "host" if host.is_empty() => {
            String::from("Address and reverse name of the outgoing server")
        }
        "smtp" if host.is_empty() => String::from("Ports of the outgoing server"),
        "host" => format!("Address and reverse name of {host}"),
        "smtp" => format!("Ports of {host}: answer, encryption, sign-in offered"),
        "relay" => {
            String::from("Sending to an outside address without signing in (nothing is sent)")
        }
        "login" => format!(
            "Signing in as {}, then sending to an outside address (nothing is sent)",
            request.user
        ),
        _ => id.to_owned(),
    }
}

impl<R: Resolve + 'static> AccountCheck<R> {
    /// Runs everything; the settings come from `catalogue` when neither a server nor SRV
    /// records name them.
    pub async fn run(&self, catalogue: &dyn Catalogue, request: &AccountRequest) -> AccountReport {
        let launcher = Launcher {
            t0: Instant::now(),
            events: self.events.clone(),
        };
        let domain = domain_of(&request.email).unwrap_or_default();
        let mut skipped = Vec::new();
        let mut done: Vec<SubCheck> = Vec::new();

        // The domain's own records: needed for discovery unless a server was given, and
        // evidence either way.
        let mx_task = {
            let resolver = Arc::clone(&self.resolver);
            let domain = domain.clone();
            launcher.launch(
                "mx".into(),
                label_for("mx", request, &domain, ""),
                self.deadlines.dns,
                async move { dns::mx::check(&*resolver, &domain).await.to_check_report() },
            )
        };
        let srv_task = {
            let resolver = Arc::clone(&self.resolver);
            let domain = domain.clone();
            let (tx, rx) = tokio::sync::oneshot::channel();
            let running = launcher.launch(
                "srv".into(),
                label_for("srv", request, &domain, ""),
                self.deadlines.dns,
                async move {
                    let report = dns::srv::check(&*resolver, &domain).await;
                    let _ = tx.send(report.clone());
                    report.to_check_report()
                },
            );
            (running, rx)
        };

        let (srv_task, srv_report) = srv_task;
        let (settings, mx_task) = self
            .discover(catalogue, request, &domain, mx_task, srv_report)
            .await;
        let mut settings = restrict(settings, request.port, request.security);
        launcher.emit(Event::Settings(settings.clone()));

        let user = if settings.local_part_user && request.user == request.email {
            request
                .email
                .split('@')
                .next()
                .unwrap_or(&request.email)
                .to_owned()
        } else {
            request.user.clone()
        };
        let request = &AccountRequest {
            user,
            ..request.clone()
        };

        let mut running: Vec<Running> = Vec::new();
        if let Some(primary) = settings.primary().cloned() {
            let host = primary.host.clone();
            let literal = host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<IpAddr>()
                .ok();
            // The name check starts with the address lookup, not after it.
            {
                let resolver = Arc::clone(&self.resolver);
                let target = match literal {
                    Some(ip) => dns::host::HostTarget::Address(ip),
                    None => dns::host::HostTarget::Name(host.clone()),
                };
                running.push(launcher.launch(
                    "host".into(),
                    label_for("host", request, &domain, &host),
                    self.deadlines.dns,
                    async move {
                        dns::host::check(&*resolver, &target)
                            .await
                            .to_check_report()
                    },
                ));
            }
            // `unresolved`: why DNS could not say, which is not "it has no address".
            let (addresses, unresolved) = match literal {
                Some(ip) => (vec![ip], None),
                None => {
                    let (found, unresolved) = match dns::addresses(&*self.resolver, &host).await {
                        Ok(found) => (found, None),
                        Err(why) => (Vec::new(), Some(why.to_string())),
                    };
                    if found.is_empty() && self.system_fallback {
                        let system = dns::system_addresses(&host, self.deadlines.dns).await;
                        (system.unwrap_or_default(), unresolved)
                    } else {
                        (found, unresolved)
                    }
                }
            };
            if let Some(&address) = addresses.iter().find(|a| a.is_ipv4()).or(addresses.first()) {
                self.launch_server_checks(
                    &launcher,
                    request,
                    &settings,
                    address,
                    &domain,
                    &mut running,
                    &mut skipped,
                );
                for ip in addresses.iter().copied() {
                    let resolver = Arc::clone(&self.resolver);
                    let zones = request.zones.clone();
                    running.push(launcher.launch(
                        format!("dnsbl:{ip}"),
                        format!("Spam blocklists for the server's address {ip}"),
                        self.deadlines.dns,
                        async move {
                            dns::dnsbl::check(&*resolver, ip, &zones)
                                .await
                                .to_check_report()
                        },
                    ));
                }
            } else {
                let reason = match unresolved {
                    Some(why) => format!(
                        "could not look up the address of the server {host}, so it could not \
                         be contacted: {}",
                        why.trim_end_matches('.')
                    ),
                    None => format!(
                        "the server name {host} has no address in DNS, so it cannot be contacted"
                    ),
                };
                settings.warning = Some(match settings.warning.take() {
                    Some(w) => format!("{w}. {reason}"),
                    None => reason.clone(),
                });
                for id in ["smtp", "relay", "login"] {
                    launcher.skip(
                        &mut skipped,
                        id,
                        label_for(id, request, &domain, &host),
                        reason.clone(),
                    );
                }
            }
        } else {
            let reason = format!(
                "no outgoing server found for {domain}: give it with --server (it is in your \
                 mail program's outgoing server settings or your provider's help pages)"
            );
            for id in ["host", "smtp", "relay", "login"] {
                launcher.skip(
                    &mut skipped,
                    id,
                    label_for(id, request, &domain, ""),
                    reason.clone(),
                );
            }
        }

        done.push(srv_task.finish().await);
        done.push(match mx_task {
            Pending::Done(sub) => sub,
            Pending::Running(task) => task.finish().await,
        });
        for task in running {
            done.push(task.finish().await);
        }
        // Report in the order they were started: the order a person reads them in.
        done.sort_by(|a, b| a.started_ms.total_cmp(&b.started_ms));
        let total = launcher.t0.elapsed();
        assemble(request, settings, done, skipped, total)
    }

    /// Decides the settings to test, waiting only for what the decision needs: nothing for
    /// a given server, the SRV answer otherwise, and the MX answer only when neither SRV
    /// nor the address's domain in the catalogue settles it.
    async fn discover(
        &self,
        catalogue: &dyn Catalogue,
        request: &AccountRequest,
        domain: &str,
        mx: Running,
        srv_report: tokio::sync::oneshot::Receiver<dns::srv::SrvReport>,
    ) -> (Settings, Pending) {
        let plain = |source, candidates, warning| Settings {
            source,
            provider: None,
            candidates,
            warning,
            pop_before_smtp: false,
            local_part_user: false,
        };
        if let Some(server) = &request.server {
            return (
                plain(Source::Given, usual_ports(server), None),
                Pending::Running(mx),
            );
        }
        if let Ok(report) = srv_report.await
            && let Some(settings) = from_srv(&report)
        {
            return (settings, Pending::Running(mx));
        }
        if let Some(settings) = catalogue.by_domain(domain) {
            return (settings, Pending::Running(mx));
        }
        let mx = mx.finish().await;
        let hosts: Vec<String> = mx
            .report
            .facts
            .get("dns.mx_hosts")
            .map(|h| h.split(',').map(str::to_owned).collect())
            .unwrap_or_default();
        if let Some((mut settings, name)) = catalogue.by_mx(&hosts) {
            settings.warning = Some(format!(
                "{domain}'s mail is hosted by {name} (found from its MX); its published \
                 settings are tested"
            ));
            return (settings, Pending::Done(mx));
        }
        let implicit = mx.report.facts.get("dns.mx_implicit").map(String::as_str) == Some("yes");
        let host = hosts
            .first()
            .cloned()
            .or_else(|| implicit.then(|| domain.to_owned()));
        let settings = match host {
            Some(host) => plain(
                Source::Mx,
                usual_ports(&host),
                Some(format!(
                    "{domain} publishes no sending settings, so relaydoc tries its incoming \
                     mail server ({host}). That server is for receiving mail and may not accept \
                     mail programs at all: your provider's help pages name the right outgoing \
                     server"
                )),
            ),
            None => plain(Source::None, Vec::new(), None),
        };
        (settings, Pending::Done(mx))
    }

    #[allow(clippy::too_many_arguments)]
    fn launch_server_checks(
        &self,
        launcher: &Launcher,
        request: &AccountRequest,
        settings: &Settings,
        address: IpAddr,
        domain: &str,
        running: &mut Vec<Running>,
        skipped: &mut Vec<Skipped>,
    ) {
        let endpoint = |candidate: &Candidate| Endpoint {
            host: candidate
                .host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            addr: std::net::SocketAddr::new(address, candidate.port),
            security: candidate.security,
            local_ip: request.local_ip,
        };
        let endpoints: Vec<Endpoint> = settings.candidates.iter().map(endpoint).collect();
        let Some(primary) = endpoints.first().cloned() else {
            return;
        };
        let host = primary.host.clone();
        {
            let options = self.options.clone();
            let endpoints = endpoints.clone();
            running.push(launcher.launch(
                "smtp".into(),
                label_for("smtp", request, domain, &host),
                self.deadlines.smtp,
                async move {
                    // One port gets `check smtp --port`'s report; several, the side-by-side one.
                    match endpoints.as_slice() {
                        [one] => smtp::probe_check(one, &options).await,
                        several => smtp::probe_ports_check(several, &options).await,
                    }
                },
            ));
        }
        let relay = RelayRequest {
            endpoint: primary.clone(),
            from: request.from.clone(),
            to: request.to.clone(),
            credentials: None,
            mechanism: request.mechanism,
            allow_plaintext: request.allow_plaintext,
            login_only: false,
        };
        {
            let options = self.options.clone();
            let relay = relay.clone();
            running.push(launcher.launch(
                "relay".into(),
                label_for("relay", request, domain, &host),
                self.deadlines.smtp,
                async move { smtp::relay_check(&relay, &options).await },
            ));
        }
        match &request.password {
            Some(password) => {
                // One connection signs in and then names the outside recipient, as a mail
                // client does. A separate AUTH test beside it would log in twice: with a
                // wrong password that is two failures towards the server's lock-out
                // (fail2ban, Dovecot's growing delay), and the second one comes back late.
                let relay = RelayRequest {
                    credentials: Some((request.user.clone(), password.clone())),
                    login_only: true,
                    ..relay
                };
                let options = self.options.clone();
                running.push(launcher.launch(
                    "login".into(),
                    label_for("login", request, domain, &host),
                    self.deadlines.smtp,
                    async move {
                        let mut report = smtp::relay_check(&relay, &options).await;
                        // The "without login" half is the other task's job, so its "not
                        // tested" line would only confuse.
                        if let Some(serde_json::Value::Array(lines)) =
                            report.details.get_mut("summary")
                        {
                            lines.retain(|line| {
                                line.as_str()
                                    .is_none_or(|l| !l.starts_with("without login"))
                            });
                        }
                        report
                    },
                ));
            }
            None => {
                launcher.skip(
                    skipped,
                    "login",
                    label_for("login", request, domain, &host),
                    request.no_password_reason.clone(),
                );
            }
        }
    }
}

fn find<'a>(checks: &'a [SubCheck], id: &str) -> Option<&'a SubCheck> {
    checks.iter().find(|c| c.id == id)
}

/// The report's facts: every sub-check's facts, then the account's own on top.
fn collect_facts(request: &AccountRequest, settings: &Settings, checks: &[SubCheck]) -> Facts {
    let mut facts = Facts::new();
    // Order matters where two checks set the same key: the probe describes the server, the
    // relay checks their own verdicts, the login check the login.
    for id in ["mx", "srv", "host", "smtp"] {
        if let Some(check) = find(checks, id) {
            facts.extend(check.report.facts.clone());
        }
    }
    if let Some(check) = find(checks, "relay") {
        for key in ["relay.unauthenticated", "relay.code"] {
            if let Some(value) = check.report.facts.get(key) {
                facts.insert(key.to_owned(), value.clone());
            }
        }
    }
    if let Some(check) = find(checks, "login") {
        for (key, value) in &check.report.facts {
            if key.starts_with("auth.") || key == "relay.authenticated" {
                facts.insert(key.clone(), value.clone());
            }
        }
    }
    facts
        .entry("relay.authenticated".to_owned())
        .or_insert_with(|| "not-tested".to_owned());
    let dnsbl: Vec<&SubCheck> = checks
        .iter()
        .filter(|c| c.id.starts_with("dnsbl:"))
        .collect();
    if let Some(first) = dnsbl.first() {
        facts.extend(first.report.facts.clone());
        let listed: Vec<&str> = dnsbl
            .iter()
            .filter_map(|c| c.report.facts.get("dnsbl.listed").map(String::as_str))
            .collect();
        let verdict = if listed.contains(&"yes") {
            "yes"
        } else if !listed.is_empty() && listed.iter().all(|l| *l == "no") {
            "no"
        } else {
            "unknown"
        };
        facts.insert("dnsbl.server_listed".to_owned(), verdict.to_owned());
    }
    facts.insert("account.email".to_owned(), request.email.clone());
    facts.insert(
        "settings.source".to_owned(),
        settings.source.as_str().into(),
    );
    if let Some(provider) = &settings.provider {
        facts.insert("settings.provider".to_owned(), provider.clone());
    }
    if let Some(primary) = settings.primary() {
        facts.insert("client.server_host".to_owned(), primary.host.clone());
        facts.insert("client.port".to_owned(), primary.port.to_string());
        facts.insert(
            "client.security".to_owned(),
            primary.security.as_str().to_owned(),
        );
    }
    // The tree's three-valued AUTH fact, from the probe's finer facts.
    let auth_offered = match (
        facts.get("server.auth_only_after_tls").map(String::as_str),
        facts.get("server.auth_offered").map(String::as_str),
    ) {
        (Some("yes"), _) => Some("tls-only"),
        (_, Some("yes")) => Some("yes"),
        (_, Some("no")) => Some("no"),
        _ => None,
    };
    if let Some(value) = auth_offered {
        facts.insert("server.auth_offered".to_owned(), value.to_owned());
    }
    if facts.get("auth.result").map(String::as_str) == Some("ok") {
        facts.insert("server.auth_works".to_owned(), "yes".to_owned());
    }
    facts.insert(
        "login.tested".to_owned(),
        if request.password.is_some() {
            "yes"
        } else {
            "no"
        }
        .to_owned(),
    );
    facts
}

fn assemble(
    request: &AccountRequest,
    settings: Settings,
    checks: Vec<SubCheck>,
    skipped: Vec<Skipped>,
    total: Duration,
) -> AccountReport {
    let facts = collect_facts(request, &settings, &checks);
    let slowest = checks
        .iter()
        .max_by(|a, b| a.elapsed_ms.total_cmp(&b.elapsed_ms))
        .map(|c| (c.id.clone(), c.elapsed_ms));
    let status = if settings.candidates.is_empty()
        || checks
            .iter()
            .filter(|c| matches!(c.id.as_str(), "smtp" | "relay"))
            .all(|c| c.report.status == Status::Error)
    {
        Status::Error
    } else if checks.iter().any(|c| c.report.status != Status::Ok) {
        Status::Problem
    } else {
        Status::Ok
    };
    let refusal_words = find(&checks, "login")
        .and_then(|login| finding_message(&login.report.details, "auth-refused"));
    let summary = summarise(request, &settings, &facts, &skipped, refusal_words);
    AccountReport {
        email: request.email.clone(),
        settings,
        summary,
        checks,
        skipped,
        total_ms: ms(total),
        slowest,
        cause: None,
        node: String::new(),
        path: Vec::new(),
        missing: Vec::new(),
        tree_facts: Facts::new(),
        facts,
        status,
    }
}

/// The findings in plain words, most telling first.
/// The message of the first finding `id` anywhere in a check's details.
fn finding_message(details: &serde_json::Value, id: &str) -> Option<String> {
    match details {
        serde_json::Value::Object(map) => {
            if map.get("id").and_then(|v| v.as_str()) == Some(id) {
                return map
                    .get("message")
                    .and_then(|m| m.as_str())
                    .map(str::to_owned);
            }
            map.values().find_map(|child| finding_message(child, id))
        }
        serde_json::Value::Array(items) => items.iter().find_map(|item| finding_message(item, id)),
        _ => None,
    }
}

/// `refusal_words`: what the sign-in check read the refusal as, with the next step.
fn summarise(
    request: &AccountRequest,
    settings: &Settings,
    facts: &Facts,
    skipped: &[Skipped],
    refusal_words: Option<String>,
) -> Vec<String> {
    let mut lines = Vec::new();
    let get = |key: &str| facts.get(key).map(String::as_str);
    match settings.primary() {
        Some(primary) => lines.push(format!(
            "Tested {} port {} ({}), found from {}.",
            primary.host,
            primary.port,
            primary.security.label(),
            settings.source.words()
        )),
        None => lines.push(format!(
            "relaydoc found no outgoing server for {}: give it with --server.",
            request.email
        )),
    }
    if let Some(warning) = &settings.warning {
        lines.push(format!("Note: {warning}."));
    }
    match get("relay.unauthenticated") {
        Some("rejected-554") => lines.push(
            "Without signing in, the server refuses outside addresses with \"554 5.7.1 Relay \
             access denied\": the same error a mail program gets when it does not sign in."
                .into(),
        ),
        Some("deferred-454") => lines.push(
            "Without signing in, the server defers outside addresses (454 4.7.1): a mail \
             program that does not sign in gets this \"try again later\" refusal."
                .into(),
        ),
        Some("accepted") => lines.push(
            "From this computer the server takes outside addresses even without signing in, so \
             the error could not be reproduced from here (your own network may be trusted)."
                .into(),
        ),
        _ => {}
    }
    match get("auth.result") {
        Some("ok") => lines.push("Signing in with your user name and password works.".into()),
        // The sign-in check's reading: "wrong password" only when the reply proves it.
        Some(other) => match refusal_words {
            Some(words) => lines.push(format!("Signing in did not work: {words}.")),
            None => lines.push(format!("Signing in did not work ({other}).")),
        },
        None => {}
    }
    match get("relay.authenticated") {
        Some("accepted") => lines.push(
            "After signing in, the server accepts outside addresses: signing in fixes it.".into(),
        ),
        Some("not-tested") | None => {}
        Some(verdict) => lines.push(format!(
            "Even after signing in, the outside address was not accepted ({verdict})."
        )),
    }
    if get("dnsbl.server_listed") == Some("yes") {
        lines.push(
            "The server's address is on a spam blocklist: other servers may refuse its mail."
                .into(),
        );
    }
    for skip in skipped.iter().filter(|s| s.id == "login") {
        lines.push(format!("Sign-in was not tested: {}.", skip.reason));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_taken_from_addresses() {
        assert_eq!(
            domain_of("Alice@Example.TEST").as_deref(),
            Ok("example.test")
        );
        assert!(domain_of("nobody").is_err());
        assert!(domain_of("@example.test").is_err());
    }

    #[test]
    fn a_port_given_keeps_the_sources_encryption_for_it() {
        let settings = Settings {
            source: Source::Srv,
            provider: None,
            candidates: vec![
                Candidate {
                    host: "mail.example.test".into(),
                    port: 2587,
                    security: Security::Starttls,
                },
                Candidate {
                    host: "mail.example.test".into(),
                    port: 2465,
                    security: Security::Tls,
                },
            ],
            warning: None,
            pop_before_smtp: false,
            local_part_user: false,
        };
        let one = restrict(settings.clone(), Some(2465), None);
        assert_eq!(one.candidates.len(), 1);
        assert_eq!(one.candidates[0].security, Security::Tls);
        let forced = restrict(settings, None, Some(Security::None));
        assert_eq!(forced.candidates[0].security, Security::None);
        assert_eq!(forced.candidates[1].security, Security::Tls);
    }

    #[test]
    fn srv_settings_test_submission_first_and_skip_services_not_offered() {
        use crate::checks::dns::fake::FakeResolver;
        use crate::checks::dns::{Answer, RecordData, RecordKind};
        let srv = |port, target: &str| RecordData::Srv {
            priority: 0,
            weight: 1,
            port,
            target: target.to_owned(),
        };
        let resolver = FakeResolver::default()
            .records(
                "_submissions._tcp.d.test",
                RecordKind::Srv,
                vec![srv(465, "smtp.d.test")],
            )
            .records(
                "_submission._tcp.d.test",
                RecordKind::Srv,
                vec![srv(587, "smtp.d.test")],
            )
            .answer("_imap._tcp.d.test", RecordKind::Srv, Answer::NoData);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let report = runtime.block_on(dns::srv::check(&resolver, "d.test"));
        let settings = from_srv(&report).expect("SRV settings");
        let ports: Vec<(u16, Security)> = settings
            .candidates
            .iter()
            .map(|c| (c.port, c.security))
            .collect();
        assert_eq!(ports, vec![(587, Security::Starttls), (465, Security::Tls)]);

        let only_not_offered = FakeResolver::default().records(
            "_submission._tcp.e.test",
            RecordKind::Srv,
            vec![srv(0, ".")],
        );
        let report = runtime.block_on(dns::srv::check(&only_not_offered, "e.test"));
        assert!(from_srv(&report).is_none());
    }

    /// Discovery end to end on a scripted resolver: no network is touched (every server
    /// either has no address or is 127.0.0.1 port 1, where nothing listens).
    mod discovery {
        use super::*;
        use crate::checks::dns::fake::FakeResolver;
        use crate::checks::dns::{RecordData, RecordKind};
        use crate::checks::smtp::conn::Limits;
        use crate::checks::smtp::tls::Trust;

        fn request(email: &str) -> AccountRequest {
            AccountRequest {
                email: email.to_owned(),
                user: email.to_owned(),
                server: None,
                port: None,
                security: None,
                password: None,
                no_password_reason: "test".to_owned(),
                mechanism: None,
                allow_plaintext: false,
                from: email.to_owned(),
                to: DEFAULT_OUTSIDE_RECIPIENT.to_owned(),
                zones: vec!["bl.invalid".to_owned()],
                local_ip: None,
            }
        }

        async fn run(resolver: FakeResolver, request: &AccountRequest) -> AccountReport {
            let check = AccountCheck {
                resolver: Arc::new(resolver),
                options: Options {
                    limits: Limits::with_timeout(Duration::from_secs(2)),
                    trust: Trust::system(),
                    helo_name: "relaydoc.invalid".to_owned(),
                },
                deadlines: Deadlines::from_timeouts(Duration::from_secs(2), Duration::from_secs(2)),
                events: None,
                system_fallback: false,
            };
            check.run(&TestCatalogue, request).await
        }

        /// Two providers, as a catalogue would list them: one by address domain, one hosted
        /// by MX (the real catalogue's answers are tested with the wizard's diagnosis).
        struct TestCatalogue;

        impl Catalogue for TestCatalogue {
            fn by_domain(&self, domain: &str) -> Option<Settings> {
                (domain == "gmx.de").then(|| Settings {
                    source: Source::Catalogue,
                    provider: Some("gmx-de".to_owned()),
                    candidates: vec![Candidate {
                        host: "mail.gmx.net".to_owned(),
                        port: 587,
                        security: Security::Starttls,
                    }],
                    warning: None,
                    pop_before_smtp: false,
                    local_part_user: false,
                })
            }

            fn by_mx(&self, mx_hosts: &[String]) -> Option<(Settings, String)> {
                mx_hosts
                    .iter()
                    .any(|host| host.ends_with("aspmx.l.google.com"))
                    .then(|| {
                        let settings = Settings {
                            source: Source::Catalogue,
                            provider: Some("google-workspace".to_owned()),
                            candidates: Vec::new(),
                            warning: None,
                            pop_before_smtp: false,
                            local_part_user: false,
                        };
                        (settings, "Google Workspace".to_owned())
                    })
            }
        }

        fn mx(host: &str) -> Vec<RecordData> {
            vec![RecordData::Mx {
                preference: 10,
                exchange: host.to_owned(),
            }]
        }

        #[tokio::test]
        async fn srv_comes_before_the_catalogue_and_the_mx() {
            let resolver = FakeResolver::default()
                .records(
                    "_submission._tcp.gmx.de",
                    RecordKind::Srv,
                    vec![RecordData::Srv {
                        priority: 0,
                        weight: 0,
                        port: 1,
                        target: "smtp.gmx.de".to_owned(),
                    }],
                )
                .address("smtp.gmx.de", "127.0.0.1");
            let report = run(resolver, &request("me@gmx.de")).await;
            assert_eq!(report.settings.source, Source::Srv);
            assert_eq!(report.facts["client.server_host"], "smtp.gmx.de");
            assert_eq!(report.facts["client.port"], "1");
            // Nothing listens on port 1: no verdict, so no cause.
            assert!(report.cause.is_none());
            assert_eq!(report.status, Status::Error);
        }

        #[tokio::test]
        async fn the_catalogue_knows_the_address_domain() {
            let report = run(FakeResolver::default(), &request("me@gmx.de")).await;
            assert_eq!(report.settings.source, Source::Catalogue);
            assert_eq!(report.settings.provider.as_deref(), Some("gmx-de"));
            // mail.gmx.net has no address in the scripted DNS: said, and nothing contacted.
            assert!(
                report
                    .skipped
                    .iter()
                    .any(|s| s.id == "smtp" && s.reason.contains("no address"))
            );
        }

        #[tokio::test]
        async fn a_hosted_domain_is_found_through_its_mx() {
            let resolver = FakeResolver::default().records(
                "corp.test",
                RecordKind::Mx,
                mx("aspmx.l.google.com"),
            );
            let report = run(resolver, &request("me@corp.test")).await;
            assert_eq!(report.settings.source, Source::Catalogue);
            assert_eq!(
                report.settings.provider.as_deref(),
                Some("google-workspace")
            );
        }

        #[tokio::test]
        async fn the_mx_is_the_last_resort_and_says_so() {
            let resolver =
                FakeResolver::default().records("own.test", RecordKind::Mx, mx("mx.own.test"));
            let report = run(resolver, &request("me@own.test")).await;
            assert_eq!(report.settings.source, Source::Mx);
            assert_eq!(report.facts["client.server_host"], "mx.own.test");
            assert_eq!(report.facts["client.port"], "587");
            let warning = report.settings.warning.unwrap_or_default();
            assert!(warning.contains("for receiving mail"), "{warning}");
        }

        #[tokio::test]
        async fn a_given_server_wins_and_the_domain_is_still_checked() {
            let mut given = request("me@gmx.de");
            given.server = Some("127.0.0.1".to_owned());
            given.port = Some(1);
            let report = run(FakeResolver::default(), &given).await;
            assert_eq!(report.settings.source, Source::Given);
            let ids: Vec<&str> = report.checks.iter().map(|c| c.id.as_str()).collect();
            for id in ["mx", "srv", "host", "smtp", "relay", "dnsbl:127.0.0.1"] {
                assert!(ids.contains(&id), "{id} in {ids:?}");
            }
            assert!(report.skipped.iter().any(|s| s.id == "login"));
        }
    }
}
