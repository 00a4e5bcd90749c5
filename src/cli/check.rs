//! `relaydoc check smtp|auth|relay|pop-before-smtp|send`: the SMTP live checks on the command
//! line. Parses and validates the arguments, finds the password (hidden prompt,
//! `RELAYDOC_PASSWORD` or `--password-stdin`, never an argument), runs the check on a tokio
//! runtime and prints the report: JSON on stdout with `--json`, plain words otherwise.
//! Diagnostics go to stderr; the exit code comes from [`crate::exit`].

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};

use super::{CliError, CommandResult, Outcome};
use crate::checks::dns::DnsSettings;
use crate::checks::smtp::conn::Limits;
use crate::checks::smtp::session::{Endpoint, Mechanism, Options, Secret, Security};
use crate::checks::smtp::tls::Trust;
use crate::checks::smtp::{self as smtp};
use crate::checks::{CheckReport, Status};
use crate::sanitize;

const CHECK_EXAMPLES: &str = "\
Examples:
  relaydoc check smtp mail.example.com              ports 587, 465 and 25 side by side
  relaydoc check smtp mail.example.com --port 587 --json
  relaydoc check auth mail.example.com --user me@example.com
  relaydoc check relay mail.example.com --from me@example.com --to someone@example.org --user me@example.com
  echo \"$PASS\" | relaydoc check auth mail.example.com --user me@example.com --password-stdin

Passwords: a hidden prompt, the RELAYDOC_PASSWORD environment variable, or --password-stdin;
never a command-line argument. They never appear in output, transcripts or JSON.

OAuth2 (auth and relay): --token-file FILE (or - for standard input) or the
RELAYDOC_OAUTH_TOKEN environment variable gives an access token, sent with SASL XOAUTH2
(default) or --mechanism OAUTHBEARER; never a command-line value, masked everywhere.";

#[derive(Debug, Args)]
#[command(after_help = CHECK_EXAMPLES)]
pub struct CheckArgs {
    #[command(subcommand)]
    pub command: CheckCommand,
}

#[derive(Debug, Subcommand)]
pub enum CheckCommand {
    /// Probe a mail server's SMTP ports: banner, EHLO keywords, STARTTLS, certificate, AUTH
    Smtp(SmtpArgs),
    /// Test a login (SMTP AUTH) with your user name and password
    Auth(AuthArgs),
    /// Test relaying to an outside address without and with login (nothing is sent)
    Relay(RelayArgs),
    /// Test whether the server allows sending for a while after a POP3 login
    PopBeforeSmtp(PopBeforeSmtpArgs),
    /// Log in and send one short test message (opt-in: this really sends mail)
    Send(SendArgs),
    /// Everything about one mail account at once: its settings, ports, login, relay, blocklists
    Account(super::check_account::AccountArgs),
    /// The DNS checks: mx, host, srv, dnsbl, public-ip
    #[command(flatten)]
    Dns(super::check_dns::DnsCheck),
}

/// Where and how to connect; shared by every SMTP check.
#[derive(Debug, Args)]
pub struct ServerArgs {
    /// The mail server: a host name, an IPv4 address or an IPv6 address
    pub host: String,

    /// Port to test (default: 587, 465 and 25 side by side for `check smtp`, else 587)
    #[arg(long, value_name = "N")]
    pub port: Option<u16>,

    /// Encryption: none, starttls, or tls (implicit TLS); default from the port (465: tls)
    #[arg(long, value_enum, value_name = "MODE")]
    pub security: Option<Security>,

    /// Trust only this CA certificate (PEM), e.g. a company's private CA
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,

    /// Name to give in EHLO/HELO
    #[arg(long, value_name = "NAME", default_value = "relaydoc.invalid")]
    pub helo: String,

    /// Connect from this local address (useful with several networks, and for POP-before-SMTP)
    #[arg(long, value_name = "IP")]
    pub source_address: Option<IpAddr>,

    /// Print the check report as JSON on stdout
    #[arg(long)]
    pub json: bool,

    /// Also print the full dialogue with the server (passwords masked)
    #[arg(long)]
    pub transcript: bool,
}

/// An OAuth2 access token instead of a password (`check auth`, `check relay`): never a
/// command-line value.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// Sign in with the OAuth2 access token in FILE (`-`: standard input), using SASL XOAUTH2
    /// or, with --mechanism OAUTHBEARER, RFC 7628; RELAYDOC_OAUTH_TOKEN also works
    #[arg(long, value_name = "FILE", conflicts_with = "password_stdin")]
    pub token_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SmtpArgs {
    #[command(flatten)]
    pub server: ServerArgs,
}

#[derive(Debug, Args)]
pub struct AuthArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// User name, usually the full e-mail address
    #[arg(long, value_name = "USER")]
    pub user: String,
    #[command(flatten)]
    pub password: PasswordArgs,
    #[command(flatten)]
    pub token: TokenArgs,
}

#[derive(Debug, Args)]
pub struct RelayArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// Sender address for MAIL FROM
    #[arg(long, value_name = "ADDR")]
    pub from: String,
    /// An outside recipient for RCPT TO (nothing is sent)
    #[arg(long, value_name = "ADDR")]
    pub to: String,
    /// Also test with login as this user
    #[arg(long, value_name = "USER")]
    pub user: Option<String>,
    /// With --user: test only with login (one connection instead of two)
    #[arg(long, requires = "user")]
    pub login_only: bool,
    #[command(flatten)]
    pub password: PasswordArgs,
    #[command(flatten)]
    pub token: TokenArgs,
}

#[derive(Debug, Args)]
pub struct PopBeforeSmtpArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    #[arg(long, value_name = "ADDR")]
    pub from: String,
    #[arg(long, value_name = "ADDR")]
    pub to: String,
    /// POP3 user name
    #[arg(long, value_name = "USER")]
    pub user: String,
    /// POP3 server, when it is not the SMTP host
    #[arg(long, value_name = "HOST")]
    pub pop_host: Option<String>,
    /// POP3 port: 110 (STLS) or 995 (TLS)
    #[arg(long, value_name = "N", default_value_t = 110)]
    pub pop_port: u16,
    /// POP3 encryption (default: tls for 995, starttls otherwise)
    #[arg(long, value_enum, value_name = "MODE")]
    pub pop_security: Option<Security>,
    #[command(flatten)]
    pub password: PasswordArgs,
}

#[derive(Debug, Args)]
pub struct SendArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    #[arg(long, value_name = "USER")]
    pub user: String,
    #[arg(long, value_name = "ADDR")]
    pub from: String,
    #[arg(long, value_name = "ADDR")]
    pub to: String,
    #[command(flatten)]
    pub password: PasswordArgs,
}

/// Runs `relaydoc check …`.
pub fn run(args: CheckArgs, global: &super::GlobalArgs) -> CommandResult {
    crate::runtime::block_on(run_async(args, global))?
}

use super::input::{
    BadInput, PasswordArgs, address, can_prompt, given_password, prompt_password, warn_plaintext,
};

async fn run_async(args: CheckArgs, global: &super::GlobalArgs) -> CommandResult {
    let timeout = step_timeout(global)?;
    let dns = super::check_dns::settings_from(global)?;
    // A server name that cannot be resolved ends the check with its report (exit 3).
    macro_rules! endpoint_or_report {
        ($server:expr, $port:expr, $check:literal) => {
            match endpoint($server, $port, &dns).await {
                Ok(endpoint) => endpoint,
                Err(unresolved) => return print(&unresolved.report($check), $server),
            }
        };
    }
    match args.command {
        CheckCommand::Dns(dns) => super::check_dns::run(dns, global).await,
        CheckCommand::Account(a) => super::check_account::run(a, global, timeout).await,
        CheckCommand::Smtp(a) => {
            let options = options(&a.server, timeout)?;
            let report = match a.server.port {
                Some(port) => {
                    let endpoint = endpoint_or_report!(&a.server, port, "smtp");
                    smtp::probe_check(&endpoint, &options).await
                }
                None => {
                    let first = endpoint_or_report!(&a.server, 587, "smtp");
                    let endpoints: Vec<Endpoint> = [587, 465, 25]
                        .into_iter()
                        .map(|port| Endpoint {
                            addr: SocketAddr::new(first.addr.ip(), port),
                            security: a.server.security.unwrap_or(Security::for_port(port)),
                            ..first.clone()
                        })
                        .collect();
                    smtp::probe_ports_check(&endpoints, &options).await
                }
            };
            print(&report, &a.server)
        }
        CheckCommand::Auth(a) => {
            let options = options(&a.server, timeout)?;
            let (secret, mechanism) = credential(&a.user, &a.password, &a.token)?;
            let endpoint = endpoint_or_report!(&a.server, a.server.port.unwrap_or(587), "auth");
            let request = smtp::AuthRequest {
                endpoint,
                user: a.user.clone(),
                password: secret,
                mechanism,
                allow_plaintext: a.password.allow_plaintext_auth,
            };
            warn_plaintext(&a.password);
            print(&smtp::auth_check(&request, &options).await, &a.server)
        }
        CheckCommand::Relay(a) => {
            let options = options(&a.server, timeout)?;
            let endpoint = endpoint_or_report!(&a.server, a.server.port.unwrap_or(587), "relay");
            let (credentials, mechanism) = match &a.user {
                Some(user) => {
                    let (secret, mechanism) = credential(user, &a.password, &a.token)?;
                    (Some((user.clone(), secret)), mechanism)
                }
                None if a.token.token_file.is_some() => {
                    return Err(BadInput(String::from(
                        "--token-file needs --user: the token signs in as that user",
                    ))
                    .into());
                }
                None => (None, a.password.mechanism),
            };
            if credentials.is_some() {
                warn_plaintext(&a.password);
            }
            let request = smtp::RelayRequest {
                endpoint,
                from: address(&a.from, "--from")?,
                to: address(&a.to, "--to")?,
                credentials,
                mechanism,
                allow_plaintext: a.password.allow_plaintext_auth,
                login_only: a.login_only,
            };
            print(&smtp::relay_check(&request, &options).await, &a.server)
        }
        CheckCommand::PopBeforeSmtp(a) => {
            let options = options(&a.server, timeout)?;
            let password = password(&a.user, &a.password)?;
            let endpoint =
                endpoint_or_report!(&a.server, a.server.port.unwrap_or(25), "pop-before-smtp");
            let pop_host = a.pop_host.clone().unwrap_or_else(|| a.server.host.clone());
            let pop_security = a.pop_security.unwrap_or(if a.pop_port == 995 {
                Security::Tls
            } else {
                Security::Starttls
            });
            let pop3 = Endpoint {
                host: bare_host(&pop_host).to_string(),
                addr: match resolve(&pop_host, a.pop_port, &dns).await {
                    Ok(addr) => addr,
                    Err(unresolved) => {
                        return print(&unresolved.report("pop-before-smtp"), &a.server);
                    }
                },
                security: pop_security,
                local_ip: a.server.source_address,
            };
            let request = smtp::PopBeforeSmtpRequest {
                relay: smtp::RelayRequest {
                    endpoint,
                    from: address(&a.from, "--from")?,
                    to: address(&a.to, "--to")?,
                    credentials: None,
                    mechanism: None,
                    allow_plaintext: false,
                    login_only: false,
                },
                pop3,
                user: a.user.clone(),
                password,
            };
            print(
                &smtp::pop_before_smtp_check(&request, &options).await,
                &a.server,
            )
        }
        CheckCommand::Send(a) => {
            let options = options(&a.server, timeout)?;
            let password = password(&a.user, &a.password)?;
            let endpoint = endpoint_or_report!(&a.server, a.server.port.unwrap_or(587), "send");
            warn_plaintext(&a.password);
            let request = smtp::SendRequest {
                auth: smtp::AuthRequest {
                    endpoint,
                    user: a.user.clone(),
                    password,
                    mechanism: a.password.mechanism,
                    allow_plaintext: a.password.allow_plaintext_auth,
                },
                from: address(&a.from, "--from")?,
                to: address(&a.to, "--to")?,
                ca_file: a.server.ca_file.clone(),
            };
            print(&smtp::send_check(&request, &options).await, &a.server)
        }
    }
}

pub(super) fn step_timeout(global: &super::GlobalArgs) -> Result<Duration, BadInput> {
    match global.timeout {
        None => Ok(Duration::from_secs(10)),
        Some(secs) if secs.is_finite() && secs > 0.0 && secs <= 3600.0 => {
            Ok(Duration::from_secs_f64(secs))
        }
        Some(secs) => Err(BadInput(format!(
            "--timeout {secs}: give a number of seconds between 0 and 3600"
        ))),
    }
}

fn options(server: &ServerArgs, timeout: Duration) -> Result<Options, BadInput> {
    let trust = match &server.ca_file {
        Some(path) => Trust::from_ca_file(path).map_err(|e| BadInput(e.to_string()))?,
        None => Trust::system(),
    };
    Ok(Options {
        limits: Limits::with_timeout(timeout),
        trust,
        helo_name: server.helo.clone(),
    })
}

/// `[::1]` and `::1` both mean the IPv6 address.
pub(super) fn bare_host(host: &str) -> &str {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

/// A server name that could not be resolved: the check could not run (exit 3), which is
/// not bad input, and says so with what to try.
#[derive(Debug)]
struct Unresolved(String);

impl Unresolved {
    /// The report of the check that could not start, so `--json` still gets the contract.
    fn report(&self, check: &str) -> CheckReport {
        CheckReport {
            check: check.to_string(),
            status: Status::Error,
            facts: Default::default(),
            details: serde_json::json!({
                "summary": format!("could not run: {}", self.0),
                "error": { "phase": "resolve", "kind": "dns", "message": self.0 },
            }),
        }
    }
}

/// The first address of `host` (IPv4 first): IP literals as they are; names through
/// `--dns-server` when given, else the operating system's resolver.
async fn resolve(host: &str, port: u16, dns: &DnsSettings) -> Result<SocketAddr, Unresolved> {
    let bare = bare_host(host);
    let addresses = crate::checks::dns::addresses_for_connect(dns, bare)
        .await
        .map_err(|why| Unresolved(why.to_string()))?;
    addresses
        .iter()
        .find(|ip| ip.is_ipv4())
        .or(addresses.first())
        .map(|ip| SocketAddr::new(*ip, port))
        .ok_or_else(|| Unresolved(format!("{bare} has no address")))
}

async fn endpoint(
    server: &ServerArgs,
    port: u16,
    dns: &DnsSettings,
) -> Result<Endpoint, Unresolved> {
    Ok(Endpoint {
        host: bare_host(&server.host).to_string(),
        addr: resolve(&server.host, port, dns).await?,
        security: server.security.unwrap_or(Security::for_port(port)),
        local_ip: server.source_address,
    })
}

/// The longest access token read from a file: real ones are a few kilobytes; the cap keeps
/// a wrong path (a device, a huge file) from eating memory.
const MAX_TOKEN_BYTES: u64 = 16 * 1024;

/// The secret to sign in with and the mechanism: an OAuth2 access token when `--token-file`
/// is given, an OAuth2 mechanism is asked for, or only `RELAYDOC_OAUTH_TOKEN` is set; else
/// the password. A token never comes from the command line.
fn credential(
    user: &str,
    args: &PasswordArgs,
    token: &TokenArgs,
) -> Result<(Secret, Option<Mechanism>), BadInput> {
    let env_token = std::env::var_os("RELAYDOC_OAUTH_TOKEN");
    let wants_token = token.token_file.is_some()
        || args.mechanism.is_some_and(Mechanism::takes_token)
        || (env_token.is_some()
            && !args.password_stdin
            && std::env::var_os("RELAYDOC_PASSWORD").is_none());
    if !wants_token {
        return Ok((password(user, args)?, args.mechanism));
    }
    let mechanism = match args.mechanism {
        None => Mechanism::XOAuth2,
        Some(mechanism) if mechanism.takes_token() => mechanism,
        Some(other) => {
            return Err(BadInput(format!(
                "--mechanism {} signs in with a password, not an access token: use                  --mechanism XOAUTH2 or OAUTHBEARER with a token",
                other.as_str()
            )));
        }
    };
    let text = match &token.token_file {
        Some(path) => read_token(path)?,
        None => env_token
            .ok_or_else(|| {
                BadInput(format!(
                    "--mechanism {} needs an OAuth2 access token: --token-file FILE (or - for                      standard input) or RELAYDOC_OAUTH_TOKEN",
                    mechanism.as_str()
                ))
            })?
            .into_string()
            .map_err(|_| BadInput(String::from("RELAYDOC_OAUTH_TOKEN is not valid UTF-8")))?,
    };
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(BadInput(String::from("the OAuth2 access token is empty")));
    }
    // A token is one line of URL-safe characters; anything else would break the SASL line.
    if trimmed.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(BadInput(String::from(
            "the OAuth2 access token holds spaces or control characters: give the token alone",
        )));
    }
    Ok((Secret::new(trimmed.to_owned()), Some(mechanism)))
}

/// Reads a token from a regular file, or from standard input for `-`, with a hard cap.
fn read_token(path: &std::path::Path) -> Result<String, BadInput> {
    use std::io::Read;
    let shown = path.display();
    let mut bytes = Vec::new();
    let read = if path.as_os_str() == "-" {
        std::io::stdin()
            .lock()
            .take(MAX_TOKEN_BYTES + 1)
            .read_to_end(&mut bytes)
    } else {
        // A FIFO or device would block or never end: only regular files are read.
        let file = std::fs::File::open(path)
            .map_err(|e| BadInput(format!("--token-file {shown}: {e}")))?;
        let kind = file
            .metadata()
            .map_err(|e| BadInput(format!("--token-file {shown}: {e}")))?;
        if !kind.is_file() {
            return Err(BadInput(format!(
                "--token-file {shown}: not a regular file (use - for standard input)"
            )));
        }
        file.take(MAX_TOKEN_BYTES + 1).read_to_end(&mut bytes)
    };
    read.map_err(|e| BadInput(format!("--token-file {shown}: {e}")))?;
    if bytes.len() as u64 > MAX_TOKEN_BYTES {
        return Err(BadInput(format!(
            "--token-file {shown}: longer than {MAX_TOKEN_BYTES} bytes, which is no access token"
        )));
    }
    String::from_utf8(bytes).map_err(|_| BadInput(format!("--token-file {shown}: not UTF-8 text")))
}

/// The password: `--password-stdin`, else `RELAYDOC_PASSWORD`, else a hidden prompt when a
/// person is at a terminal.
fn password(user: &str, args: &PasswordArgs) -> Result<Secret, BadInput> {
    if args.mechanism.is_some_and(Mechanism::takes_token) {
        return Err(BadInput(format!(
            "--mechanism {} signs in with an OAuth2 access token, which this check does not              take; `check auth` and `check relay` do (--token-file)",
            args.mechanism.map(Mechanism::as_str).unwrap_or_default()
        )));
    }
    if let Some(password) = given_password(args)? {
        return Ok(password);
    }
    if can_prompt() {
        return prompt_password(&format!("Password for {user}:"));
    }
    Err(BadInput(String::from(
        "a password is needed: use --password-stdin or set RELAYDOC_PASSWORD \
         (there is no terminal to ask on)",
    )))
}

fn print(report: &CheckReport, server: &ServerArgs) -> CommandResult {
    let text = if server.json {
        report_json(report)?
    } else {
        human(report, server.transcript) + "\n"
    };
    print_report(&text, report.status)
}

/// A report as pretty JSON, one line break after.
pub(super) fn report_json(report: &impl serde::Serialize) -> Result<String, CliError> {
    serde_json::to_string_pretty(report)
        .map(|json| json + "\n")
        .map_err(|error| CliError::Output(std::io::Error::other(error)))
}

/// Writes a check's report and ends with its verdict (exit 0, 1 or 3), which stands when the
/// reader closed the pipe early (`relaydoc check … | head -1`).
pub(super) fn print_report(text: &str, status: Status) -> CommandResult {
    match super::write_stdout_bytes(text.as_bytes()) {
        Ok(()) | Err(CliError::ClosedPipe) => Ok(Outcome::from(status)),
        Err(error) => Err(error),
    }
}

/// The report in plain words. Everything from the server passes through
/// [`sanitize::for_terminal`].
fn human(report: &CheckReport, with_transcript: bool) -> String {
    use std::fmt::Write as _;
    let mut text = String::new();
    let verdict = match report.status {
        Status::Ok => "OK",
        Status::Problem => "PROBLEM",
        Status::Error => "COULD NOT RUN",
    };
    let _ = writeln!(text, "check {}: {verdict}", report.check);
    let details = &report.details;
    let summaries: Vec<String> = match details.get("summary") {
        Some(serde_json::Value::String(s)) => vec![s.clone()],
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    };
    for line in summaries {
        let _ = writeln!(text, "  {}", sanitize::single_line(&line));
    }
    let mut findings = Vec::new();
    collect_findings(details, &mut findings);
    if !findings.is_empty() {
        let _ = writeln!(text, "\nFindings:");
        for (message, cause) in findings {
            match cause {
                Some(cause) => {
                    let _ = writeln!(
                        text,
                        "  - {} [points to: {cause}]",
                        sanitize::single_line(&message)
                    );
                }
                None => {
                    let _ = writeln!(text, "  - {}", sanitize::single_line(&message));
                }
            }
        }
    }
    if let Some(error) = details.get("error").filter(|e| !e.is_null()) {
        let phase = error.get("phase").and_then(|p| p.as_str()).unwrap_or("?");
        let message = error.get("message").and_then(|m| m.as_str()).unwrap_or("");
        let _ = writeln!(
            text,
            "\nStopped in phase {phase}: {}",
            sanitize::single_line(message)
        );
    }
    if !report.facts.is_empty() {
        let _ = writeln!(text, "\nFacts:");
        for (key, value) in &report.facts {
            let _ = writeln!(text, "  {key} = {}", sanitize::single_line(value));
        }
    }
    if with_transcript {
        let mut transcripts = Vec::new();
        collect_transcripts(details, "dialogue", &mut transcripts);
        for (label, lines) in transcripts {
            let _ = writeln!(text, "\nTranscript ({label}):");
            for line in lines {
                let from = line.get("from").and_then(|f| f.as_str()).unwrap_or("");
                let arrow = match from {
                    "client" => "C:",
                    "server" => "S:",
                    _ => "--",
                };
                let at = line
                    .get("at_ms")
                    .and_then(serde_json::Value::as_u64)
                    .unwrap_or(0);
                let body = line.get("text").and_then(|t| t.as_str()).unwrap_or("");
                let _ = writeln!(text, "  {at:>6} ms {arrow} {}", sanitize::single_line(body));
            }
        }
    }
    text.trim_end().to_string()
}

/// Every `findings` list anywhere in the details (one per port for `check smtp`).
fn collect_findings(value: &serde_json::Value, out: &mut Vec<(String, Option<String>)>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, child) in map {
                if key == "findings" {
                    for item in child.as_array().into_iter().flatten() {
                        let message = item.get("message").and_then(|m| m.as_str());
                        let cause = item.get("cause").and_then(|c| c.as_str());
                        // Notes explain without blaming the server; say so in the text.
                        let note = item.get("severity").and_then(|s| s.as_str()) == Some("info");
                        if let Some(message) = message
                            && !out.iter().any(|(m, _)| m.ends_with(message))
                        {
                            let shown = if note {
                                format!("note: {message}")
                            } else {
                                message.to_string()
                            };
                            out.push((shown, cause.map(str::to_string)));
                        }
                    }
                } else {
                    collect_findings(child, out);
                }
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                collect_findings(item, out);
            }
        }
        _ => {}
    }
}

/// Dialogues in the order they happened, whatever order the JSON map keeps its keys in.
const DIALOGUE_ORDER: [&str; 8] = [
    "auth",
    "dialogue",
    "ports",
    "unauthenticated",
    "authenticated",
    "before",
    "pop3",
    "after",
];

fn collect_transcripts<'a>(
    value: &'a serde_json::Value,
    label: &str,
    out: &mut Vec<(String, &'a Vec<serde_json::Value>)>,
) {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(lines) = map.get("transcript").and_then(|t| t.as_array()) {
                out.push((label.to_string(), lines));
            }
            let mut keys: Vec<&String> = map.keys().filter(|k| *k != "transcript").collect();
            keys.sort_by_key(|k| {
                DIALOGUE_ORDER
                    .iter()
                    .position(|o| o == k)
                    .unwrap_or(DIALOGUE_ORDER.len())
            });
            for key in keys {
                let child_label = if DIALOGUE_ORDER.contains(&key.as_str()) {
                    key.clone()
                } else {
                    label.to_string()
                };
                collect_transcripts(&map[key.as_str()], &child_label, out);
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                collect_transcripts(item, label, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_that_could_smuggle_commands_are_refused() {
        assert!(address("a@b.example", "--to").is_ok());
        for bad in ["a@b>\r\nDATA", "a b@c", "<a@b>", "", "nobody"] {
            assert!(address(bad, "--to").is_err(), "{bad:?}");
        }
    }

    #[test]
    fn check_arguments_are_consistent() {
        use clap::CommandFactory;
        crate::cli::Cli::command().debug_assert();
    }

    #[test]
    fn password_is_never_an_argument() {
        use clap::CommandFactory;
        let command = crate::cli::Cli::command();
        let check = command.find_subcommand("check").expect("check");
        for sub in check.get_subcommands() {
            for arg in sub.get_arguments() {
                let long = arg.get_long().unwrap_or_default();
                assert!(
                    !long.contains("password") || long == "password-stdin",
                    "{} takes --{long}",
                    sub.get_name()
                );
            }
        }
    }

    #[test]
    fn bracketed_ipv6_hosts_are_bare_for_tls() {
        assert_eq!(bare_host("[::1]"), "::1");
        assert_eq!(bare_host("::1"), "::1");
        assert_eq!(bare_host("mail.example.test"), "mail.example.test");
    }
}
