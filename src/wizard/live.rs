//! Running the checks the decision tree asks for, for real: the implementation of the
//! [`Checks`](super::Checks) port every driver uses.
//!
//! Which checks exist, and what each may set, is data in [`crate::knowledge::checks`]; only
//! the facts a check's spec declares reach the wizard.

use std::net::IpAddr;
use std::sync::Arc;

use crate::checks::dns::{self, DnsClient, DnsSettings};
use crate::checks::{CheckReport, Status};
use crate::engine::{CheckRequest, Facts};
use crate::knowledge::Knowledge;
use crate::knowledge::checks::spec;

/// The checks that need no network (reading an error text); `None` for every other check.
pub(super) fn offline_report(knowledge: &Knowledge, request: &CheckRequest) -> Option<CheckReport> {
    match request.check.as_str() {
        "explain" => {
            let text = request.params.get("text")?;
            let signatures = crate::explain::signatures(knowledge).ok()?;
            let explanation = crate::explain::explain(text, signatures);
            let facts = keep_declared(request, explanation.wizard_facts());
            Some(CheckReport {
                check: request.check.clone(),
                status: if explanation.relay_denial {
                    Status::Problem
                } else {
                    Status::Ok
                },
                facts: facts.into_iter().collect(),
                details: serde_json::json!({
                    "summary": explanation.summary,
                    "explanation": explanation,
                }),
            })
        }
        "postfix-config" => Some(postfix_config_report(request)),
        _ => None,
    }
}

/// `postfix lint` (with `--log` when a log is given) as a wizard check: the relay policy the
/// configuration sets, and the cause its most serious finding points to.
fn postfix_config_report(request: &CheckRequest) -> CheckReport {
    use crate::postfix::config::{Settings, parse_main};
    use crate::postfix::lint::{Severity, lint};
    let could_not = |why: String| CheckReport {
        check: request.check.clone(),
        status: Status::Error,
        facts: Facts::new(),
        details: serde_json::json!({ "phase": "read", "error": why }),
    };
    let Some(path) = request.params.get("config") else {
        return could_not("no configuration file was given".into());
    };
    let path = std::path::Path::new(path.trim());
    let text = match crate::postfix::read_bounded(path) {
        Ok(text) => text,
        Err(why) => return could_not(why.to_string()),
    };
    let (main, _) = parse_main(&crate::files::shown(path), &text);
    if main.params.is_empty() {
        return could_not(format!(
            "{}: no `name = value` setting found; is this main.cf or `postconf -n` output?",
            crate::files::shown(path)
        ));
    }
    let settings = Settings::new(&main, None);
    let mut report = lint(&main, &[], &settings);
    let mut from_log = crate::postfix::lint::Report {
        findings: Vec::new(),
    };
    let mut refusals = 0;
    if let Some(log) = request.params.get("log") {
        let source = crate::logs::input::Source::from_arg(std::path::Path::new(log.trim()));
        let read = crate::logs::input::open(&source, None)
            .map_err(|error| error.to_string())
            .and_then(|opened| {
                crate::logs::refusals::read_refusals(opened.reader).map_err(|e| e.to_string())
            });
        match read {
            Ok(read) => {
                refusals = read.count;
                crate::logs::refusals::lint_with_log(
                    &mut from_log,
                    &settings,
                    &[],
                    &read,
                    &[],
                    false,
                );
            }
            Err(why) => return could_not(format!("the log: {why}")),
        }
    }
    // The most serious finding; failing any, what the log's refused clients show (a note
    // such as "they did not sign in" is about the very refusals the person asks about).
    let points_to = report
        .findings
        .iter()
        .chain(&from_log.findings)
        .filter(|finding| finding.severity != Severity::Info)
        .min_by_key(|finding| finding.severity)
        .or_else(|| {
            from_log
                .findings
                .iter()
                .find(|finding| finding.id != "refusals-from-unknown-service")
        })
        .map_or("nothing", |finding| finding.cause.as_str())
        .to_owned();
    report.findings.append(&mut from_log.findings);
    report.findings.sort_by_key(|finding| finding.severity);
    let mut facts = Facts::new();
    facts.insert("server.config_points_to".into(), points_to.clone());
    let problem = points_to != "nothing";
    CheckReport {
        check: request.check.clone(),
        status: if problem { Status::Problem } else { Status::Ok },
        facts: keep_declared(request, facts),
        details: serde_json::json!({
            "summary": match report.findings.iter().find(|f| f.severity != Severity::Info) {
                Some(finding) => crate::sanitize::single_line(&finding.message),
                None => "nothing in the configuration would refuse your own users".to_owned(),
            },
            "relay_denials_in_log": refusals,
            "findings": report.findings,
        }),
    }
}

/// Only the facts the check's spec declares reach the wizard.
fn keep_declared(request: &CheckRequest, facts: Facts) -> Facts {
    let keep = spec(&request.check).map_or(&[][..], |spec| spec.sets);
    facts
        .into_iter()
        .filter(|(key, _)| keep.contains(&key.as_str()))
        .collect()
}

/// Runs checks for real, over the network, with the user's resolver settings. The TUI runs
/// each on a worker thread, so the knowledge is shared, not borrowed.
#[derive(Debug, Clone)]
pub struct LiveChecks {
    pub knowledge: Arc<Knowledge>,
    pub dns: DnsSettings,
    /// A private CA to trust (`--ca-file`); `None` means the system's roots, loaded only
    /// when a check needs them (reading them would slow every start).
    pub ca: Option<crate::checks::smtp::tls::Trust>,
}

impl LiveChecks {
    fn trust(&self) -> crate::checks::smtp::tls::Trust {
        self.ca
            .clone()
            .unwrap_or_else(crate::checks::smtp::tls::Trust::system)
    }

    /// The whole report (evidence included), with only the facts the check declares;
    /// `None` when the check could not run at all.
    pub async fn report(&self, request: &CheckRequest) -> Option<CheckReport> {
        if let Some(report) = offline_report(&self.knowledge, request) {
            return Some(report);
        }
        let client = DnsClient::new(&self.dns).ok()?;
        let param = |name: &str| request.params.get(name).map(String::as_str);
        let report = match request.check.as_str() {
            "mx" => dns::mx::check(&client, &dns::normalize_name(param("domain")?).ok()?)
                .await
                .to_check_report(),
            "dnsbl" => {
                // The address may have been typed by an agent from what a caller read out:
                // a wrong one is reported in words, not dropped as "could not run".
                let ip = match crate::vocab::parse_public_ip(param("ip")?) {
                    Ok(ip) => ip,
                    Err(why) => return Some(super::not_run(request, &why.to_string())),
                };
                let listing = dns::dnsbl::check(&client, ip, &default_zones()).await;
                let mut report = listing.to_check_report();
                if self.node_sets(request, "client.ip_blacklisted") {
                    report
                        .facts
                        .insert("client.ip_blacklisted".into(), listing.blacklisted.into());
                }
                report
            }
            "public-ip" => match self.public_ip(&client).await {
                Ok(report) => report.to_check_report(),
                Err(why) => return Some(super::not_run(request, &why)),
            },
            "auth" => {
                let mut report = self
                    .auth(
                        param("host"),
                        param("user")?,
                        request.secrets.get("password")?,
                    )
                    .await?;
                let works = match report.facts.get("auth.result").map(String::as_str) {
                    Some("ok") => Some("yes"),
                    Some("failed") => Some("no"),
                    _ => None,
                };
                if let Some(works) = works {
                    report
                        .facts
                        .insert("server.auth_works".into(), works.into());
                }
                report
            }
            "smtp" => {
                let mut report = self.probe(param("host")?).await?;
                // The tree asks one question about AUTH: offered, only after STARTTLS, or not.
                let offered = match (
                    report.facts.get("server.auth_offered").map(String::as_str),
                    report
                        .facts
                        .get("server.auth_only_after_tls")
                        .map(String::as_str),
                ) {
                    (Some("yes"), Some("yes")) => Some("tls-only"),
                    (Some("yes"), _) => Some("yes"),
                    (Some("no"), _) => Some("no"),
                    _ => None,
                };
                match offered {
                    Some(value) => {
                        report
                            .facts
                            .insert("server.auth_offered".into(), value.into());
                    }
                    None => {
                        report.facts.remove("server.auth_offered");
                    }
                }
                report
            }
            "my-ip-blacklist" => {
                let ip = match self.public_ip(&client).await {
                    Ok(dns::public_ip::PublicIpReport { ip: Some(ip), .. }) => ip,
                    Ok(report) => return Some(super::not_run(request, &report.summary)),
                    Err(why) => return Some(super::not_run(request, &why)),
                };
                let listing = dns::dnsbl::check(&client, ip, &default_zones()).await;
                let mut report = listing.to_check_report();
                // The address is the person's own: that is what the tree asks about.
                report.facts.insert(
                    "client.ip_blacklisted".into(),
                    listing.blacklisted.to_string(),
                );
                report.facts.insert("public.ip".into(), ip.to_string());
                report
            }
            _ => return None,
        };
        let mut report = report;
        // A check that could not check sets no fact, not even "unknown" (DESIGN.md: `error`);
        // one rule here for every check the wizard runs.
        report.facts = match report.status {
            Status::Error => Default::default(),
            Status::Ok | Status::Problem => {
                keep_declared(request, report.facts.into_iter().collect())
                    .into_iter()
                    .collect()
            }
        };
        Some(report)
    }

    /// Whether the tree node that asked for `request` reads `fact` from it.
    fn node_sets(&self, request: &CheckRequest, fact: &str) -> bool {
        self.knowledge
            .nodes
            .get(request.node)
            .is_some_and(|node| node.sets().contains(&fact))
    }

    /// Probes ports 587, 465 and 25 of `host` side by side, or only the port given as
    /// `host:port`. A name is resolved as `relaydoc check smtp` does (the DNS server given,
    /// else the system's); an IP address is used as it is.
    async fn probe(&self, host: &str) -> Option<crate::checks::CheckReport> {
        use crate::checks::smtp::{self, conn::Limits, session};
        let (bare, port) = split_host_port(host.trim());
        let ip = self.address_of(bare).await?;
        let ports = match port {
            Some(port) => vec![port],
            None => vec![587, 465, 25],
        };
        let endpoints: Vec<session::Endpoint> = ports
            .into_iter()
            .map(|port| session::Endpoint {
                host: bare.to_string(),
                addr: std::net::SocketAddr::new(ip, port),
                security: session::Security::for_port(port),
                local_ip: None,
            })
            .collect();
        let options = session::Options {
            limits: Limits::with_timeout(self.dns.timeout),
            trust: self.trust(),
            helo_name: "relaydoc.invalid".into(),
        };
        Some(smtp::probe_ports_check(&endpoints, &options).await)
    }

    /// A real login at `host` (`host:port`; port 587 when none), or at the outgoing server
    /// the providers catalogue lists for the user's address. Never over an unencrypted
    /// connection: the password must not cross the network in the clear.
    async fn auth(
        &self,
        host: Option<&str>,
        user: &str,
        password: &crate::vocab::Secret,
    ) -> Option<crate::checks::CheckReport> {
        use crate::checks::smtp::{self, conn::Limits, session};
        let (name, port, security) = match host {
            Some(host) => {
                let (name, port) = split_host_port(host.trim());
                let port = port.unwrap_or(587);
                (name.to_string(), port, session::Security::for_port(port))
            }
            None => {
                let target = crate::present::TargetSettings::for_email(
                    &self.knowledge,
                    Some(user.to_string()),
                );
                let endpoint = target.outgoing()?;
                (endpoint.host.clone(), endpoint.port, endpoint.security)
            }
        };
        if security == session::Security::None {
            return None;
        }
        let ip = self.address_of(&name).await?;
        let request = smtp::AuthRequest {
            endpoint: session::Endpoint {
                host: name,
                addr: std::net::SocketAddr::new(ip, port),
                security,
                local_ip: None,
            },
            user: user.to_string(),
            password: password.clone(),
            mechanism: None,
            allow_plaintext: false,
        };
        let options = session::Options {
            limits: Limits::with_timeout(self.dns.timeout),
            trust: self.trust(),
            helo_name: "relaydoc.invalid".into(),
        };
        Some(smtp::auth_check(&request, &options).await)
    }

    /// The address to connect to `host` at (IPv4 first), or `None`: the check cannot run.
    async fn address_of(&self, host: &str) -> Option<IpAddr> {
        let found = dns::addresses_for_connect(&self.dns, host).await.ok()?;
        found
            .iter()
            .find(|ip| ip.is_ipv4())
            .or(found.first())
            .copied()
    }

    /// The person's public address as the resolver service sees it; `Err` says in words why
    /// it could not be asked (the resolver's own explanation: a lying or failing resolver is
    /// named as such, with what to try).
    async fn public_ip(
        &self,
        client: &DnsClient,
    ) -> Result<dns::public_ip::PublicIpReport, String> {
        let method = dns::public_ip::Method::Opendns;
        let server = dns::public_ip::locate_server(client, method)
            .await
            .map_err(|why| why.to_string())?;
        let service = DnsClient::new(&DnsSettings {
            server: Some(server),
            ..self.dns.clone()
        })
        .map_err(|error| error.to_string())?;
        Ok(dns::public_ip::check(&service, method, server).await)
    }
}

/// `host`, `host:port`, `[v6]:port` or a bare IPv6 address.
fn split_host_port(text: &str) -> (&str, Option<u16>) {
    if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest.split_once(']').unwrap_or((rest, ""));
        return (host, after.strip_prefix(':').and_then(|p| p.parse().ok()));
    }
    match text.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => match port.parse() {
            Ok(port) => (host, Some(port)),
            Err(_) => (text, None),
        },
        _ => (text, None),
    }
}

fn default_zones() -> Vec<String> {
    dns::dnsbl::DEFAULT_ZONES
        .iter()
        .map(|zone| (*zone).to_string())
        .collect()
}

impl super::Checks for LiveChecks {
    fn run(&self, request: &CheckRequest) -> CheckReport {
        match crate::runtime::block_on(self.report(request)) {
            Ok(Some(report)) => report,
            Ok(None) => super::not_run(
                request,
                "could not run (no network answer, or nothing to check)",
            ),
            Err(why) => super::not_run(request, &why.to_string()),
        }
    }

    fn account(
        &self,
        email: &str,
        progress: &dyn Fn(crate::checks::account::Event),
    ) -> Result<crate::checks::account::AccountReport, String> {
        use crate::checks::account::{self, AccountCheck, AccountRequest, Deadlines};
        use crate::checks::smtp::{conn::Limits, session};
        account::domain_of(email)?;
        let resolver =
            DnsClient::new(&self.dns).map_err(|error| format!("cannot set up DNS: {error}"))?;
        let request = AccountRequest {
            email: email.to_owned(),
            user: email.to_owned(),
            server: None,
            port: None,
            security: None,
            // The TUI asks for no password: a password typed into a screen of results is
            // one more thing to keep safe, and the other tests find most causes without it.
            password: None,
            no_password_reason: String::from(
                "no password is asked for here (run `relaydoc check account` to test signing in)",
            ),
            mechanism: None,
            allow_plaintext: false,
            from: email.to_owned(),
            to: account::DEFAULT_OUTSIDE_RECIPIENT.to_owned(),
            zones: default_zones(),
            local_ip: None,
        };
        let (events, mut receiver) = tokio::sync::mpsc::unbounded_channel();
        let check = AccountCheck {
            resolver: std::sync::Arc::new(resolver),
            // The same time limits the wizard's own checks use.
            options: session::Options {
                limits: Limits::with_timeout(self.dns.timeout),
                trust: self
                    .ca
                    .clone()
                    .unwrap_or_else(crate::checks::smtp::tls::Trust::system),
                helo_name: "relaydoc.invalid".into(),
            },
            deadlines: Deadlines::from_timeouts(self.dns.timeout, self.dns.timeout),
            events: Some(events),
            system_fallback: self.dns.server.is_none(),
        };
        let knowledge: &Knowledge = &self.knowledge;
        crate::runtime::block_on(async move {
            let run = async move {
                let mut report = check.run(knowledge, &request).await;
                super::account::diagnose(knowledge, &mut report);
                // Dropping the last sender ends the forwarding below.
                drop(check);
                report
            };
            let forward = async move {
                while let Some(event) = receiver.recv().await {
                    progress(event);
                }
            };
            tokio::join!(run, forward).0
        })
        .map_err(|why| why.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::split_host_port;

    fn postfix_config(config: &str, log: Option<&str>) -> crate::checks::CheckReport {
        let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/postfix/");
        let mut params = std::collections::BTreeMap::new();
        params.insert("config".to_owned(), format!("{fixtures}{config}"));
        if let Some(log) = log {
            params.insert("log".to_owned(), format!("{fixtures}{log}"));
        }
        super::postfix_config_report(&crate::engine::CheckRequest {
            node: 0,
            check: "postfix-config".into(),
            params,
            secrets: Default::default(),
        })
    }

    #[test]
    fn the_postfix_check_names_what_the_configuration_and_its_log_point_to() {
        let report = postfix_config("logs/docker-network.cf", Some("logs/docker-network.log"));
        assert_eq!(report.status, crate::checks::Status::Problem, "{report:?}");
        assert_eq!(
            report
                .facts
                .get("server.config_points_to")
                .map(String::as_str),
            Some("mynetworks-too-narrow")
        );
        assert_eq!(report.details["relay_denials_in_log"], 1);
        // Without the log, the configuration alone has nothing wrong for its own users.
        let alone = postfix_config("logs/docker-network.cf", None);
        assert_eq!(
            alone
                .facts
                .get("server.config_points_to")
                .map(String::as_str),
            Some("nothing"),
            "{alone:?}"
        );
        // A note about the refused clients themselves names their cause.
        let signed_in = postfix_config("logs/sasl-on.cf", Some("logs/sasl-on.log"));
        assert_eq!(
            signed_in
                .facts
                .get("server.config_points_to")
                .map(String::as_str),
            Some("client-auth-off"),
            "{signed_in:?}"
        );
    }

    #[test]
    fn the_postfix_check_that_cannot_read_says_so_and_sets_nothing() {
        for (config, log) in [
            ("no-such-file.cf", None),
            ("logs/docker-network.cf", Some("logs/no-such.log")),
            ("README.md", None),
        ] {
            let report = postfix_config(config, log);
            assert_eq!(report.status, crate::checks::Status::Error, "{report:?}");
            assert!(report.facts.is_empty(), "{report:?}");
            assert!(
                report.details["error"]
                    .as_str()
                    .is_some_and(|e| !e.is_empty())
            );
        }
    }
    use crate::wizard::Checks as _;

    #[test]
    fn the_tui_account_check_refuses_a_non_address_before_any_network() {
        let checks = super::LiveChecks {
            knowledge: std::sync::Arc::new(
                crate::knowledge::bundled().expect("bundled knowledge is valid"),
            ),
            // A port nothing listens on: were it asked, the test would fail by timing out.
            dns: super::DnsSettings {
                server: Some("127.0.0.1:9".parse().expect("a socket address")),
                timeout: std::time::Duration::from_millis(200),
                ..super::DnsSettings::default()
            },
            ca: None,
        };
        let progress = std::cell::Cell::new(0);
        let result = checks.account("not-an-address", &|_| progress.set(progress.get() + 1));
        assert!(result.is_err_and(|reason| reason.contains("@")));
        assert_eq!(progress.get(), 0, "nothing ran");
    }

    /// Live checks aimed at a port nothing listens on: any DNS question fails at once, so a
    /// test can tell what the runner did before (or without) the network.
    fn offline_checks(
        knowledge: &std::sync::Arc<crate::knowledge::Knowledge>,
    ) -> super::LiveChecks {
        super::LiveChecks {
            knowledge: std::sync::Arc::clone(knowledge),
            dns: super::DnsSettings {
                server: Some("127.0.0.1:9".parse().expect("a socket address")),
                timeout: std::time::Duration::from_millis(200),
                ..super::DnsSettings::default()
            },
            ca: None,
        }
    }

    fn dnsbl_request(
        knowledge: &crate::knowledge::Knowledge,
        node: &str,
        ip: &str,
    ) -> crate::engine::CheckRequest {
        crate::engine::CheckRequest {
            node: knowledge.node_id(node).expect("a bundled node"),
            check: "dnsbl".into(),
            params: [("ip".to_string(), ip.to_string())].into(),
            secrets: Default::default(),
        }
    }

    #[test]
    fn an_address_that_is_no_public_ip_is_reported_in_words() {
        let knowledge =
            std::sync::Arc::new(crate::knowledge::bundled().expect("bundled knowledge is valid"));
        let checks = offline_checks(&knowledge);
        for (typed, says) in [
            ("two oh three dot nought", "is not an IP address"),
            ("192.168.1.20", "private address"),
            ("", "is not an IP address"),
        ] {
            let request = dnsbl_request(&knowledge, "c-caller-ip-listed", typed);
            let report = checks.run(&request);
            assert_eq!(report.status, crate::checks::Status::Error, "{typed:?}");
            assert!(report.facts.is_empty(), "{typed:?}: {:?}", report.facts);
            let summary = report.details["summary"].as_str().unwrap_or_default();
            assert!(summary.contains(says), "{typed:?}: {summary}");
        }
    }

    #[test]
    fn a_dnsbl_lookup_that_could_not_check_sets_no_fact_for_any_node() {
        let knowledge =
            std::sync::Arc::new(crate::knowledge::bundled().expect("bundled knowledge is valid"));
        let checks = offline_checks(&knowledge);
        // No list can answer here: could not check, so no fact at all, not even "unknown"
        // (an error sets no facts; DESIGN.md).
        let callers = checks.run(&dnsbl_request(
            &knowledge,
            "c-caller-ip-listed",
            "203.0.113.7",
        ));
        assert_eq!(callers.status, crate::checks::Status::Error);
        assert!(callers.facts.is_empty(), "{:?}", callers.facts);
        // A node that does not say the address is the person's own gets no such fact.
        let other = checks
            .run(&dnsbl_request(&knowledge, "start", "203.0.113.7"))
            .facts;
        assert!(other.is_empty(), "{other:?}");
    }

    #[test]
    fn host_and_port_forms() {
        assert_eq!(
            split_host_port("mail.example.com"),
            ("mail.example.com", None)
        );
        assert_eq!(
            split_host_port("mail.example.com:2525"),
            ("mail.example.com", Some(2525))
        );
        assert_eq!(split_host_port("127.0.0.1:587"), ("127.0.0.1", Some(587)));
        assert_eq!(split_host_port("[::1]:465"), ("::1", Some(465)));
        assert_eq!(split_host_port("::1"), ("::1", None));
        assert_eq!(split_host_port("[::1]"), ("::1", None));
        assert_eq!(split_host_port("host:notaport"), ("host:notaport", None));
    }
}
