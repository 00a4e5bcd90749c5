//! `relaydoc check account EMAIL`: the command-line side of [`crate::checks::account`].
//! Validates the arguments, gets the password (never from an argument; without one the
//! sign-in tests are skipped, and the report says so), shows live progress on stderr while
//! the checks run side by side, and prints the report: plain words, or `--json` on stdout.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use tokio::sync::mpsc::UnboundedReceiver;

use super::input::{
    BadInput, PasswordArgs, address, can_prompt, given_password, prompt_password, warn_plaintext,
};
use super::{CliError, CommandResult, Phase};
use crate::checks::Status;
use crate::checks::account::{
    self, AccountCheck, AccountReport, AccountRequest, DEFAULT_OUTSIDE_RECIPIENT, Deadlines, Event,
};
use crate::checks::dns::{self, DnsClient};
use crate::checks::smtp::conn::Limits;
use crate::checks::smtp::session::{Options, Security};
use crate::checks::smtp::tls::Trust;
use crate::sanitize::{for_terminal, single_line};

#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  relaydoc check account me@example.com
  relaydoc check account me@example.com --server smtp.example.com --port 587
  RELAYDOC_PASSWORD=… relaydoc check account me@example.com --json
  relaydoc check account me@example.com --no-login      (no sign-in tests)

Where the settings come from, in this order: --server; the domain's SRV records
(_submission._tcp, _submissions._tcp); relaydoc's providers list (by address, or by
the domain's MX for hosted domains); the domain's MX (a guess: it is for receiving).
Every check runs at the same time, each with its own time limit. Nothing is sent:
the relay tests stop after naming the recipient.

Password: a hidden prompt (Enter skips the sign-in tests), RELAYDOC_PASSWORD, or
--password-stdin; never a command-line argument, never in the output.")]
pub struct AccountArgs {
    /// The e-mail address of the account, e.g. me@example.com
    pub email: String,

    /// The outgoing server to test instead of the one relaydoc finds
    #[arg(long, value_name = "HOST")]
    pub server: Option<String>,

    /// User name for signing in (default: the e-mail address, or what the provider uses)
    #[arg(long, value_name = "USER")]
    pub user: Option<String>,

    /// Test only this port
    #[arg(long, value_name = "N")]
    pub port: Option<u16>,

    /// Encryption for the sign-in and relay tests: none, starttls, tls (default: what the
    /// settings say, else from the port)
    #[arg(long, value_enum, value_name = "MODE")]
    pub security: Option<Security>,

    /// Trust only this CA certificate (PEM), e.g. a company's private CA
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,

    /// An outside recipient for the relay tests (nothing is sent)
    #[arg(long, value_name = "ADDR", default_value = DEFAULT_OUTSIDE_RECIPIENT)]
    pub to: String,

    /// Sender for the relay tests (default: the account's address)
    #[arg(long, value_name = "ADDR")]
    pub from: Option<String>,

    /// A blacklist zone for the server's addresses (repeatable; default: the usual lists)
    #[arg(long = "zone", value_name = "ZONE")]
    pub zones: Vec<String>,

    /// Skip the sign-in tests (no password is asked for)
    #[arg(long)]
    pub no_login: bool,

    /// Name to give in EHLO/HELO
    #[arg(long, value_name = "NAME", default_value = "relaydoc.invalid")]
    pub helo: String,

    /// Connect from this local address
    #[arg(long, value_name = "IP")]
    pub source_address: Option<IpAddr>,

    /// Print the report as JSON on stdout
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub password: PasswordArgs,
}

/// Runs `check account` on the caller's runtime.
pub(super) async fn run(
    args: AccountArgs,
    global: &super::GlobalArgs,
    step_timeout: Duration,
) -> CommandResult {
    let email = address(&args.email, "EMAIL")?;
    account::domain_of(&email).map_err(BadInput)?;
    let to = address(&args.to, "--to")?;
    let from = address(args.from.as_deref().unwrap_or(&email), "--from")?;
    let dns_settings = super::check_dns::settings_from(global)?;
    let zones = if args.zones.is_empty() {
        dns::dnsbl::DEFAULT_ZONES
            .iter()
            .map(|zone| (*zone).to_owned())
            .collect()
    } else {
        args.zones
            .iter()
            .map(|zone| dns::normalize_name(zone).map_err(|m| BadInput(format!("--zone: {m}"))))
            .collect::<Result<Vec<_>, _>>()?
    };
    let trust = match &args.ca_file {
        Some(path) => Trust::from_ca_file(path).map_err(|e| BadInput(e.to_string()))?,
        None => Trust::system(),
    };
    let kb = super::load_knowledge(global)?;
    let user = args.user.clone().unwrap_or_else(|| email.clone());
    if let Some(mechanism) = args
        .password
        .mechanism
        .filter(|m| crate::checks::smtp::session::Mechanism::takes_token(*m))
    {
        return Err(BadInput(format!(
            "--mechanism {} signs in with an OAuth2 access token, which `check account` does              not take; `check auth` and `check relay` do (--token-file)",
            mechanism.as_str()
        ))
        .into());
    }
    let (password, no_password_reason) = if args.no_login {
        (None, String::from("--no-login was given"))
    } else if let Some(password) = given_password(&args.password)? {
        (Some(password), String::new())
    } else if can_prompt() {
        let typed = prompt_password(&format!(
            "Password for {user} (press Enter to skip the sign-in tests):"
        ))?;
        if typed.is_empty() {
            (None, String::from("no password was typed"))
        } else {
            (Some(typed), String::new())
        }
    } else {
        (
            None,
            String::from(
                "no password was given (set RELAYDOC_PASSWORD or use --password-stdin to test \
                 signing in)",
            ),
        )
    };
    if password.is_some() {
        warn_plaintext(&args.password);
    }
    let request = AccountRequest {
        email,
        user,
        server: args.server.clone(),
        port: args.port,
        security: args.security,
        password,
        no_password_reason,
        mechanism: args.password.mechanism,
        allow_plaintext: args.password.allow_plaintext_auth,
        from,
        to,
        zones,
        local_ip: args.source_address,
    };
    let resolver = DnsClient::new(&dns_settings).map_err(|error| {
        CliError::could_not_run(
            Phase::Network,
            "dns-setup",
            format!("cannot set up DNS: {error}"),
        )
    })?;
    let (events, receiver) = tokio::sync::mpsc::unbounded_channel();
    let check = AccountCheck {
        resolver: Arc::new(resolver),
        options: Options {
            limits: Limits::with_timeout(step_timeout),
            trust,
            helo_name: args.helo.clone(),
        },
        deadlines: Deadlines::from_timeouts(dns_settings.timeout, step_timeout),
        events: Some(events),
        system_fallback: dns_settings.server.is_none(),
    };
    let live = std::io::stderr().is_terminal();
    let (report, ()) = tokio::join!(
        async move {
            let mut report = check.run(&kb, &request).await;
            crate::wizard::account::diagnose(&kb, &mut report);
            // Dropping the last sender ends the progress display.
            drop(check);
            (report, kb)
        },
        show_progress(receiver, live),
    );
    let (report, kb) = report;
    print(&report, &kb, args.json)
}

/// One line of the live display.
struct Line {
    id: String,
    label: String,
    started: Instant,
    state: LineState,
}

enum LineState {
    Running,
    Done(Status, Duration),
    Skipped(String),
}

impl Line {
    fn text(&self) -> String {
        let label = single_line(&self.label);
        match &self.state {
            LineState::Running => format!(
                "  …        {:>6}  {label}",
                format!("{:.1} s", self.started.elapsed().as_secs_f64())
            ),
            LineState::Done(status, elapsed) => {
                format!(
                    "  {:<8} {:>6}  {label}",
                    status_word(*status),
                    duration(*elapsed)
                )
            }
            LineState::Skipped(reason) => {
                format!("  skipped          {label}: {}", single_line(reason))
            }
        }
    }
}

fn status_word(status: Status) -> &'static str {
    match status {
        Status::Ok => "ok",
        Status::Problem => "problem",
        Status::Error => "error",
    }
}

fn duration(elapsed: Duration) -> String {
    if elapsed < Duration::from_secs(1) {
        format!("{} ms", elapsed.as_millis())
    } else {
        format!("{:.1} s", elapsed.as_secs_f64())
    }
}

fn settings_line(settings: &account::Settings) -> String {
    match settings.primary() {
        Some(primary) => format!(
            "Testing {}:{} ({}), from {}",
            primary.host,
            primary.port,
            primary.security.as_str(),
            settings.source.words()
        ),
        None => String::from("No outgoing server found to test"),
    }
}

/// Shows the checks as they start and end: a block of lines redrawn in place on a terminal,
/// plain lines otherwise (a log, a CI job). Everything on stderr.
async fn show_progress(mut receiver: UnboundedReceiver<Event>, live: bool) {
    let mut lines: Vec<Line> = Vec::new();
    let mut header: Option<String> = None;
    let mut drawn = 0usize;
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let width = super::terminal_width();
    loop {
        let event = tokio::select! {
            event = receiver.recv() => match event {
                Some(event) => Some(event),
                None => break,
            },
            _ = tick.tick(), if live => None,
        };
        // Everything that arrived together is drawn once, not once per event.
        let mut batch: Vec<Event> = event.into_iter().collect();
        while let Ok(more) = receiver.try_recv() {
            batch.push(more);
        }
        for event in batch {
            if !live {
                plain_line(&event, &lines);
            }
            apply(&mut lines, &mut header, event);
        }
        if live {
            drawn = redraw(&lines, header.as_deref(), drawn, width);
        }
    }
    if live {
        redraw(&lines, header.as_deref(), drawn, width);
        eprintln!();
    }
}

fn apply(lines: &mut Vec<Line>, header: &mut Option<String>, event: Event) {
    match event {
        Event::Settings(settings) => *header = Some(settings_line(&settings)),
        Event::Started { id, label } => lines.push(Line {
            id,
            label,
            started: Instant::now(),
            state: LineState::Running,
        }),
        Event::Finished {
            id,
            status,
            elapsed,
            ..
        } => {
            if let Some(line) = lines.iter_mut().find(|l| l.id == id) {
                line.state = LineState::Done(status, elapsed);
            }
        }
        Event::Skipped { id, label, reason } => lines.push(Line {
            id,
            label,
            started: Instant::now(),
            state: LineState::Skipped(reason),
        }),
    }
}

fn plain_line(event: &Event, lines: &[Line]) {
    let text = match event {
        Event::Settings(settings) => settings_line(settings),
        Event::Started { label, .. } => format!("started: {label}"),
        Event::Finished {
            id,
            status,
            elapsed,
            ..
        } => {
            let label = lines
                .iter()
                .find(|l| &l.id == id)
                .map_or(id.as_str(), |l| l.label.as_str());
            format!(
                "{} after {}: {label}",
                status_word(*status),
                duration(*elapsed)
            )
        }
        Event::Skipped { label, reason, .. } => format!("skipped: {label}: {reason}"),
    };
    eprintln!("relaydoc: {}", single_line(&text));
}

/// Moves the cursor back over the last drawing and draws every line again; lines are cut
/// to the terminal's width, because a wrapped line would throw the count off.
fn redraw(lines: &[Line], header: Option<&str>, drawn: usize, width: usize) -> usize {
    let mut out = String::new();
    if drawn > 0 {
        out.push_str(&format!("\x1b[{drawn}A"));
    }
    let mut count = 0;
    let mut row = |text: &str| {
        let cut: String = single_line(text)
            .chars()
            .take(width.saturating_sub(1))
            .collect();
        out.push_str(&format!("\r\x1b[K{cut}\n"));
        count += 1;
    };
    if let Some(header) = header {
        row(header);
    }
    for line in lines {
        row(&line.text());
    }
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(out.as_bytes());
    let _ = stderr.flush();
    count
}

fn print(report: &AccountReport, kb: &crate::knowledge::Knowledge, json: bool) -> CommandResult {
    let text = if json {
        super::check::report_json(&report.to_check_report())?
    } else {
        human(report, kb, super::terminal_width()) + "\n"
    };
    super::check::print_report(&text, report.status)
}

/// The report in plain words. Server and DNS text passes through [`for_terminal`].
fn human(report: &AccountReport, kb: &crate::knowledge::Knowledge, width: usize) -> String {
    use std::fmt::Write as _;
    let wrap = |text: &str, indent: &str| {
        let options = textwrap::Options::new(width.max(40))
            .initial_indent(indent)
            .subsequent_indent(indent);
        textwrap::fill(&single_line(text), options)
    };
    let mut out = String::new();
    let _ = writeln!(out, "Account {}\n", single_line(&report.email));
    for line in &report.summary {
        let _ = writeln!(out, "{}", wrap(line, "  "));
    }
    let differences = crate::wizard::yours::for_account(kb, report);
    if !differences.is_empty() {
        let _ = writeln!(out, "\nYours vs theirs:");
        for line in &differences {
            let _ = writeln!(out, "{}", wrap(line, "  "));
        }
    }
    let slowest = report
        .slowest
        .as_ref()
        .map(|(_, ms)| format!("; the slowest took {}", duration(ms_duration(*ms))))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "\nChecks (run side by side: {} in all{slowest}):",
        duration(ms_duration(report.total_ms))
    );
    for check in &report.checks {
        let _ = writeln!(
            out,
            "  {:<8} {:>7}  {}",
            if check.timed_out {
                "timeout"
            } else {
                status_word(check.report.status)
            },
            duration(ms_duration(check.elapsed_ms)),
            single_line(&check.label)
        );
        for line in account::summary_of(&check.report) {
            let _ = writeln!(out, "{}", wrap(&line, "                     "));
        }
    }
    for skip in &report.skipped {
        let _ = writeln!(
            out,
            "  skipped           {}: {}",
            single_line(&skip.label),
            single_line(&skip.reason)
        );
    }
    match &report.cause {
        Some(cause) => {
            let _ = writeln!(
                out,
                "\nWhat this points to: {} ({})",
                single_line(&cause.title),
                cause.id
            );
            let _ = writeln!(out, "{}", wrap(&cause.summary, "  "));
            if kb.node_id(&report.node).is_some() {
                let _ = writeln!(
                    out,
                    "  The fix, step by step: relaydoc kb show {}",
                    single_line(&report.node)
                );
            }
        }
        None if report.node.is_empty() => {
            let _ = writeln!(
                out,
                "\nThe checks did not reproduce the error (no relay refusal, no refused \
                 login), so they point to no cause on their own. See what stopped them above, \
                 or run `relaydoc` (the wizard), which asks what the checks could not find out."
            );
        }
        None => {
            let _ = writeln!(
                out,
                "\nThese results do not point to one cause on their own; `relaydoc` (the \
                 wizard) asks the questions that remain."
            );
        }
    }
    let _ = writeln!(out, "\nFacts found:");
    let shown: BTreeMap<&String, &String> = report.facts.iter().collect();
    for (key, value) in shown {
        let _ = writeln!(out, "  {key} = {}", single_line(value));
    }
    for_terminal(out.trim_end())
}

fn ms_duration(ms: f64) -> Duration {
    Duration::from_secs_f64((ms / 1000.0).max(0.0))
}
