//! `relaydoc check mx|host|srv|dnsbl|public-ip`: the DNS checks on the command line. Turns
//! raw arguments into validated requests (bad input: exit 2), runs the check on a
//! single-threaded tokio runtime, and prints either plain words or the `--json` report.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::time::Duration;

use super::CommandResult;
use super::input::BadInput;
use crate::checks::dns::public_ip::Method;
use crate::checks::dns::{self, DnsClient, DnsSettings, host::HostTarget};
use crate::checks::{CheckReport, Status};
use crate::sanitize;

/// The DNS checks. Every one takes the global `--dns-server IP[:PORT]` (default: the
/// system's resolvers) and `--timeout SECS` (per DNS question, retries included; default 5).
#[derive(Debug, clap::Subcommand)]
pub enum DnsCheck {
    /// Where mail for a domain is delivered (MX records, their addresses, and mistakes in them)
    #[command(after_help = "Example:\n  relaydoc check mx example.com")]
    Mx {
        /// The domain after the @ of an address, e.g. example.com
        domain: String,
        /// Print the report as JSON
        #[arg(long)]
        json: bool,
    },
    /// A host's addresses and reverse DNS (PTR), and whether they match (FCrDNS)
    #[command(
        after_help = "Examples:\n  relaydoc check host mail.example.com\n  relaydoc check host 192.0.2.25"
    )]
    Host {
        /// A host name, or an IP address for its reverse DNS
        name: String,
        /// Print the report as JSON
        #[arg(long)]
        json: bool,
    },
    /// The mail settings a domain publishes as SRV records (RFC 6186 / RFC 8314)
    #[command(after_help = "Example:\n  relaydoc check srv example.com")]
    Srv {
        /// The domain after the @ of an address
        domain: String,
        /// Print the report as JSON
        #[arg(long)]
        json: bool,
    },
    /// Whether an IP address is on DNS blacklists
    #[command(
        after_help = "Examples:\n  relaydoc check dnsbl 192.0.2.10\n  relaydoc check dnsbl 192.0.2.10 --zone zen.spamhaus.org --zone bl.spamcop.net\n\nWithout --zone: zen.spamhaus.org, bl.spamcop.net, b.barracudacentral.org,\npsbl.surriel.com, bl.mailspike.net. Spamhaus refuses queries sent through\npublic DNS resolvers (answer 127.255.255.254): that is reported as \"refused\",\nnever as a listing."
    )]
    Dnsbl {
        /// The IPv4 or IPv6 address to look up
        ip: String,
        /// A blacklist zone to ask (repeatable); replaces the default list
        #[arg(long = "zone", value_name = "ZONE")]
        zones: Vec<String>,
        /// Print the report as JSON
        #[arg(long)]
        json: bool,
    },
    /// This computer's public IP address, as a DNS service sees it
    #[command(
        after_help = "Examples:\n  relaydoc check public-ip\n  relaydoc check public-ip --method google\n\nThe service's own server is asked directly; without --server its address is\nlooked up through --dns-server or the system's resolvers."
    )]
    PublicIp {
        /// Which service to ask
        #[arg(long, value_enum, default_value_t = Method::Opendns)]
        method: Method,
        /// Ask this server instead of the service's own (e.g. a test server)
        #[arg(long, value_name = "IP[:PORT]")]
        server: Option<String>,
        /// Print the report as JSON
        #[arg(long)]
        json: bool,
    },
}

impl DnsCheck {
    fn json(&self) -> bool {
        match self {
            Self::Mx { json, .. }
            | Self::Host { json, .. }
            | Self::Srv { json, .. }
            | Self::Dnsbl { json, .. }
            | Self::PublicIp { json, .. } => *json,
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Self::Mx { .. } => "mx",
            Self::Host { .. } => "host",
            Self::Srv { .. } => "srv",
            Self::Dnsbl { .. } => "dnsbl",
            Self::PublicIp { .. } => "public-ip",
        }
    }
}

/// A validated request: everything parsed, nothing asked yet.
enum Request {
    Mx(String),
    Host(HostTarget),
    Srv(String),
    Dnsbl(std::net::IpAddr, Vec<String>),
    PublicIp(Method, Option<SocketAddr>),
}

/// A check's result, as plain words and as the JSON contract.
struct Output {
    report: CheckReport,
    human: String,
}

/// Runs one DNS check on the caller's async runtime (`check::run` provides it).
pub async fn run(cmd: DnsCheck, global: &super::GlobalArgs) -> CommandResult {
    let json = cmd.json();
    let name = cmd.name();
    let (request, settings) = validate(cmd, global)?;
    let progress = Progress::show(json, &settings);
    let output = execute(request, settings, name).await;
    drop(progress);
    print(&output, json)
}

/// The resolver settings from `--dns-server` and `--timeout`, checked.
pub fn settings_from(global: &super::GlobalArgs) -> Result<DnsSettings, BadInput> {
    let timeout = match global.timeout {
        None => dns::DEFAULT_TIMEOUT,
        Some(seconds) if seconds.is_finite() && seconds > 0.0 && seconds <= 3600.0 => {
            Duration::from_secs_f64(seconds)
        }
        Some(seconds) => {
            return Err(BadInput(format!(
                "--timeout {seconds}: give a number of seconds above 0 (at most 3600)"
            )));
        }
    };
    let server = global
        .dns_server
        .as_deref()
        .map(dns::parse_server)
        .transpose()
        .map_err(|message| BadInput(format!("--dns-server: {message}")))?;
    let known_name = match global.dns_known_name.as_deref() {
        None => dns::DEFAULT_KNOWN_NAME.to_owned(),
        Some(".") => ".".to_owned(),
        Some(name) => {
            dns::normalize_name(name).map_err(|m| BadInput(format!("--dns-known-name: {m}")))?
        }
    };
    Ok(DnsSettings {
        server,
        timeout,
        known_name,
    })
}

fn validate(cmd: DnsCheck, global: &super::GlobalArgs) -> Result<(Request, DnsSettings), BadInput> {
    let settings = settings_from(global)?;
    let request = match cmd {
        DnsCheck::Mx { domain, .. } => Request::Mx(dns::normalize_name(&domain)?),
        DnsCheck::Srv { domain, .. } => Request::Srv(dns::normalize_name(&domain)?),
        DnsCheck::Host { name, .. } => match crate::vocab::parse_ip(&name) {
            Ok(ip) => Request::Host(HostTarget::Address(ip)),
            Err(_) => Request::Host(HostTarget::Name(dns::normalize_name(&name)?)),
        },
        DnsCheck::Dnsbl { ip, zones, .. } => {
            let ip = crate::vocab::parse_ip(&ip)?;
            let zones = if zones.is_empty() {
                dns::dnsbl::DEFAULT_ZONES
                    .iter()
                    .map(|zone| (*zone).to_owned())
                    .collect()
            } else {
                zones
                    .iter()
                    .map(|zone| {
                        dns::normalize_name(zone).map_err(|m| BadInput(format!("--zone: {m}")))
                    })
                    .collect::<Result<Vec<_>, _>>()?
            };
            if crate::vocab::is_private(ip) {
                eprintln!(
                    "relaydoc: note: {ip} is a private address, which no public blacklist \
                     lists; to check the address the internet sees, run \
                     `relaydoc check public-ip` first."
                );
            }
            Request::Dnsbl(ip, zones)
        }
        DnsCheck::PublicIp { method, server, .. } => {
            let server = server
                .as_deref()
                .map(dns::parse_server)
                .transpose()
                .map_err(|message| BadInput(format!("--server: {message}")))?;
            Request::PublicIp(method, server)
        }
    };
    Ok((request, settings))
}

async fn execute(request: Request, settings: DnsSettings, name: &str) -> Output {
    let client = match DnsClient::new(&settings) {
        Ok(client) => client,
        Err(error) => return setup_failure(name, &error.to_string()),
    };
    match request {
        Request::Mx(domain) => {
            let report = dns::mx::check(&client, &domain).await;
            Output {
                report: report.to_check_report(),
                human: report.human(),
            }
        }
        Request::Host(target) => {
            let report = dns::host::check(&client, &target).await;
            Output {
                report: report.to_check_report(),
                human: report.human(),
            }
        }
        Request::Srv(domain) => {
            let report = dns::srv::check(&client, &domain).await;
            Output {
                report: report.to_check_report(),
                human: report.human(),
            }
        }
        Request::Dnsbl(ip, zones) => {
            let report = dns::dnsbl::check(&client, ip, &zones).await;
            Output {
                report: report.to_check_report(),
                human: report.human(),
            }
        }
        Request::PublicIp(method, server) => {
            let server = match server {
                Some(server) => server,
                None => match dns::public_ip::locate_server(&client, method).await {
                    Ok(server) => server,
                    Err(why) => return setup_failure(name, &why.to_string()),
                },
            };
            let service = DnsSettings {
                server: Some(server),
                ..settings.clone()
            };
            let service_client = match DnsClient::new(&service) {
                Ok(client) => client,
                Err(error) => return setup_failure(name, &error.to_string()),
            };
            let report = dns::public_ip::check(&service_client, method, server).await;
            Output {
                report: report.to_check_report(),
                human: report.human(),
            }
        }
    }
}

/// A one-line "working on it" note on stderr while the check runs, only when a person
/// watches (stderr is a terminal) and no JSON was asked for; erased when done.
struct Progress {
    shown: bool,
}

impl Progress {
    fn show(json: bool, settings: &DnsSettings) -> Self {
        let shown = !json && std::io::stderr().is_terminal();
        if shown {
            let server = settings
                .server
                .map_or_else(|| "the system's DNS resolver".to_owned(), |s| s.to_string());
            eprint!(
                "Asking {server} (up to {:.0} s per question)…",
                settings.timeout.as_secs_f64().ceil()
            );
        }
        Self { shown }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if self.shown {
            // Carriage return, then erase to the end of the line.
            eprint!("\r\x1b[K");
        }
    }
}

/// The check could not even start: still a report (status `error`), with the reason.
fn setup_failure(check: &str, message: &str) -> Output {
    Output {
        report: CheckReport {
            check: check.to_owned(),
            status: Status::Error,
            facts: Default::default(),
            details: serde_json::json!({ "phase": "setup", "error": message }),
        },
        human: format!("COULD NOT CHECK: {message}\n"),
    }
}

fn print(output: &Output, json: bool) -> CommandResult {
    let text = if json {
        super::check::report_json(&output.report)?
    } else {
        // Names, TXT reasons and error texts come from DNS servers: clean them first.
        sanitize::for_terminal(&output.human)
    };
    super::check::print_report(&text, output.report.status)
}
