//! `relaydoc postfix lint|simulate`: reads the configuration files (bounded), hands them to
//! [`crate::postfix`], and prints plain words or the `--json` report.

use std::io::{IsTerminal, Read};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use super::{CliError, CommandResult, Outcome, Phase};
use crate::postfix::config::{self, MainCf, Settings, Version};
use crate::postfix::master::{self, Service};
use crate::postfix::{MAX_FILE_BYTES, lint, simulate};

#[derive(Debug, Args)]
pub struct PostfixArgs {
    #[command(subcommand)]
    pub command: PostfixCommand,
}

#[derive(Debug, Subcommand)]
pub enum PostfixCommand {
    /// Find settings that cause "Relay access denied" (or an open relay), with exact fixes
    #[command(after_help = "\
Examples:
  postconf -n | relaydoc postfix lint
  relaydoc postfix lint /etc/postfix/main.cf --master /etc/postfix/master.cf
  relaydoc postfix lint main.cf --json
  postconf -n | relaydoc postfix lint - --log /var/log/mail.log --server-ip 203.0.113.10

Reads `postconf -n` output or main.cf itself. With --log, the relay denials in the
log (plain, .gz or journalctl output) are read next to it: for each refused client
whether mynetworks, a Docker or Podman network or the server's own addresses
(--server-ip, inet_interfaces, proxy_interfaces) cover it, and for each refused
recipient domain which address class it falls in. Give the Postfix release with
--postfix-version when the input does not set mail_version (postconf -n never
shows it): defaults such as smtpd_relay_restrictions depend on it.

Exit codes: 0 nothing wrong (notes only), 1 errors or warnings found, 2 bad input.")]
    Lint(LintArgs),
    /// Replay one RCPT through the restrictions and show the verdict, rule by rule
    #[command(after_help = "\
Examples:
  relaydoc postfix simulate --config main.cf --client-ip 203.0.113.5 \\
      --helo laptop --from me@example.com --to friend@example.org
  relaydoc postfix simulate --config main.cf --master master.cf --service submission \\
      --client-ip 203.0.113.5 --sasl-user me --tls --helo laptop \\
      --from me@example.com --to friend@example.org --json

Follows Postfix's order (client, HELO, sender, then relay and recipient
restrictions, relay first since 3.6 at compatibility_level 3.6), its reply codes
and soft_bounce. DNS, policy servers and databases are not consulted: such steps
are listed as approximations.

Exit codes: 0 accepted, 1 rejected or deferred, 2 bad input.")]
    Simulate(SimulateArgs),
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// `postconf -n` output or main.cf; `-` or nothing for standard input
    #[arg(value_name = "FILE|-")]
    pub file: Option<PathBuf>,
    /// master.cf, to check each smtpd service's -o overrides too
    #[arg(long, value_name = "FILE")]
    pub master: Option<PathBuf>,
    /// The Postfix release (e.g. 3.7.11), when the input has no mail_version
    #[arg(long, value_name = "VERSION")]
    pub postfix_version: Option<String>,
    /// A mail log whose relay denials are read next to the configuration
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// One of this server's own addresses (its public IP), to recognise mail a program on the
    /// server hands back through it; repeatable
    #[arg(long, value_name = "IP", requires = "log")]
    pub server_ip: Vec<IpAddr>,
    /// Print the findings as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// `postconf -n` output or main.cf (`-` for standard input)
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// master.cf, for a service's -o overrides (with --service)
    #[arg(long, value_name = "FILE", requires = "service")]
    pub master: Option<PathBuf>,
    /// The master.cf service the client connects to: smtp, submission, 127.0.0.1:2600, 587…
    #[arg(long, value_name = "NAME", requires = "master")]
    pub service: Option<String>,
    /// The client's IP address
    #[arg(long, value_name = "IP")]
    pub client_ip: String,
    /// The client signs in (SMTP AUTH) as this user; the password is assumed right
    #[arg(long, value_name = "USER")]
    pub sasl_user: Option<String>,
    /// The client uses TLS (STARTTLS, or the port's implicit TLS)
    #[arg(long)]
    pub tls: bool,
    /// The name the client gives in EHLO/HELO
    #[arg(long, value_name = "NAME")]
    pub helo: String,
    /// Envelope sender (MAIL FROM); empty for a bounce
    #[arg(long, value_name = "ADDRESS")]
    pub from: String,
    /// Envelope recipient (RCPT TO)
    #[arg(long, value_name = "ADDRESS")]
    pub to: String,
    /// The Postfix release (e.g. 3.7.11), when the configuration has no mail_version
    #[arg(long, value_name = "VERSION")]
    pub postfix_version: Option<String>,
    /// Print the verdict and the walk as JSON
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: PostfixArgs) -> CommandResult {
    match args.command {
        PostfixCommand::Lint(args) => lint_command(args),
        PostfixCommand::Simulate(args) => simulate_command(args),
    }
}

/// Something given that cannot be used (exit 2).
fn bad_input(phase: Phase, message: impl Into<String>) -> CliError {
    CliError::bad_input(phase, message)
}

/// Reads a configuration the person named, or standard input for `-`, at most `max` bytes;
/// `what` names what it should be ("a Postfix configuration") when it is far too large.
pub(super) fn read_config(path: &Path, max: u64, what: &str) -> Result<(String, String), CliError> {
    use crate::files::{Problem, Rules, read_lossy, shown};
    if path == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .take(max + 1)
            .read_to_end(&mut bytes)
            .map_err(|error| bad_input(Phase::Input, format!("standard input: {error}")))?;
        if bytes.len() as u64 > max {
            return Err(bad_input(
                Phase::Input,
                format!(
                    "standard input: more than {} MiB; that is not {what}",
                    max / (1024 * 1024)
                ),
            ));
        }
        return Ok(("-".into(), String::from_utf8_lossy(&bytes).into_owned()));
    }
    read_lossy(path, Rules::input(max))
        .map(|text| (shown(path), text))
        .map_err(|error| {
            let message = match error.problem {
                Problem::TooLarge(_) => {
                    format!("{}: {}; that is not {what}", error.path, error.reason())
                }
                _ => error.to_string(),
            };
            bad_input(Phase::Input, message)
        })
}

fn read_input(path: &Path) -> Result<(String, String), CliError> {
    read_config(path, MAX_FILE_BYTES, "a Postfix configuration")
}

/// Prints parse problems (at most a screenful: junk input has one per line).
pub(super) fn report_problems(problems: &crate::diagnostic::Diagnostics) {
    const SHOWN: usize = 20;
    for problem in problems.iter().take(SHOWN) {
        eprintln!("{}", crate::sanitize::for_terminal(&problem.to_string()));
    }
    if problems.len() > SHOWN {
        eprintln!("… and {} more problem(s)", problems.len() - SHOWN);
    }
}

/// Reads main.cf (and master.cf); parse problems are shown on stderr as they are found.
fn load(file: &Path, master_file: Option<&Path>) -> Result<(MainCf, Vec<Service>), CliError> {
    let (name, text) = read_input(file)?;
    let (main, problems) = config::parse_main(&name, &text);
    report_problems(&problems);
    if main.params.is_empty() && !problems.is_empty() {
        return Err(bad_input(
            Phase::Input,
            format!(
                "{name}: no `name = value` setting found; is this `postconf -n` output or main.cf?"
            ),
        ));
    }
    let services = match master_file {
        Some(path) => {
            let (name, text) = read_input(path)?;
            let (services, problems) = master::parse_master(&name, &text);
            report_problems(&problems);
            if services.is_empty() && !problems.is_empty() {
                return Err(bad_input(
                    Phase::Input,
                    format!("{name}: no service line found; is this master.cf?"),
                ));
            }
            services
        }
        None => Vec::new(),
    };
    Ok((main, services))
}

fn parse_version(text: Option<&str>) -> Result<Option<Version>, CliError> {
    match text {
        None => Ok(None),
        Some(text) => Version::parse(text).map(Some).ok_or_else(|| {
            bad_input(
                Phase::Arguments,
                format!("--postfix-version {text}: expected a release such as 3.7.11"),
            )
        }),
    }
}

/// The relay denials a log recorded (this server refusing clients), per smtpd service: what
/// `postfix lint --log` and `exim lint --log` read next to the configuration.
pub(super) fn read_refusals(path: &Path) -> Result<crate::logs::refusals::RefusalLog, CliError> {
    use crate::logs::input::{Source, open};
    let source = Source::from_arg(path);
    let opened =
        open(&source, None).map_err(|error| bad_input(Phase::Input, format!("--log: {error}")))?;
    crate::logs::refusals::read_refusals(opened.reader)
        .map_err(|error| bad_input(Phase::Input, format!("--log {}: {error}", source.name())))
}

fn lint_command(args: LintArgs) -> CommandResult {
    let file = match &args.file {
        Some(file) => file.clone(),
        None if std::io::stdin().is_terminal() => {
            return Err(bad_input(
                Phase::Arguments,
                "give main.cf, or pipe `postconf -n` into `relaydoc postfix lint -`",
            ));
        }
        None => PathBuf::from("-"),
    };
    let version = parse_version(args.postfix_version.as_deref())?;
    let (main, services) = load(&file, args.master.as_deref())?;
    let settings = Settings::new(&main, version);
    let mut report = lint::lint(&main, &services, &settings);
    let mut log_summary = String::new();
    if let Some(log) = &args.log {
        if log == Path::new("-") && file == Path::new("-") {
            return Err(bad_input(
                Phase::Arguments,
                "standard input can hold the configuration or the log, not both: name the log file",
            ));
        }
        let read = read_refusals(log)?;
        log_summary = format!(
            "{}: {} relay denial(s) by this server, from {} client(s), in {} service(s).\n\n",
            crate::files::shown(log),
            read.count,
            read.clients(),
            read.groups.len()
        );
        crate::logs::refusals::lint_with_log(
            &mut report,
            &settings,
            &services,
            &read,
            &args.server_ip,
            args.master.is_some(),
        );
    }
    let problem = report
        .findings
        .iter()
        .any(|f| f.severity != lint::Severity::Info);
    if args.json {
        super::print_json(&report)?;
    } else {
        out!(
            "{log_summary}{}",
            lint::render(&report, &main.file, &settings)
        )?;
    }
    Ok(Outcome::ok_if(!problem))
}

fn simulate_command(args: SimulateArgs) -> CommandResult {
    let ip: IpAddr = match args
        .client_ip
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
    {
        Ok(ip) => ip,
        Err(_) => {
            return Err(bad_input(
                Phase::Arguments,
                format!("--client-ip {}: not an IP address", args.client_ip),
            ));
        }
    };
    for (flag, value) in [
        ("--helo", &args.helo),
        ("--from", &args.from),
        ("--to", &args.to),
    ] {
        if value.len() > 1000 || value.chars().any(|c| c.is_control() || c == ' ') {
            return Err(bad_input(
                Phase::Arguments,
                format!(
                    "{flag}: not a plausible value (spaces, control characters, or over 1000 characters)"
                ),
            ));
        }
    }
    if !args.to.contains('@') {
        return Err(bad_input(
            Phase::Arguments,
            "--to: give the full recipient address, user@domain",
        ));
    }
    let version = parse_version(args.postfix_version.as_deref())?;
    let (main, services) = load(&args.config, args.master.as_deref())?;
    let base = Settings::new(&main, version);
    let settings = match &args.service {
        None => base,
        Some(name) => match find_service(&services, name) {
            Some(service) if service.is_smtpd() => {
                base.for_service(&service.name, service.overrides.clone())
            }
            Some(service) => {
                return Err(bad_input(
                    Phase::Arguments,
                    format!(
                        "service {} runs {}, not an smtpd that clients talk to",
                        service.name, service.command
                    ),
                ));
            }
            None => {
                let names: Vec<&str> = services
                    .iter()
                    .filter(|s| s.is_smtpd())
                    .map(|s| s.name.as_str())
                    .collect();
                return Err(bad_input(
                    Phase::Arguments,
                    format!(
                        "no service {name} in master.cf; its smtpd services: {}",
                        names.join(", ")
                    ),
                ));
            }
        },
    };
    let client = simulate::Client {
        ip,
        sasl_user: args.sasl_user,
        tls: args.tls,
        helo: args.helo,
        from: args.from,
        to: args.to,
    };
    let sim = simulate::simulate(&settings, &client);
    let accepted = sim.verdict.outcome == simulate::Outcome::Accept;
    if args.json {
        super::print_json(&sim)?;
    } else {
        out!("{}", simulate::render(&sim))?;
    }
    Ok(Outcome::ok_if(accepted))
}

/// A service by its master.cf name, or by port (`587` finds `submission`).
fn find_service<'a>(services: &'a [Service], name: &str) -> Option<&'a Service> {
    services.iter().find(|s| s.name == name).or_else(|| {
        let port: u16 = name.parse().ok()?;
        services
            .iter()
            .find(|s| s.is_smtpd() && s.port() == Some(port))
    })
}
