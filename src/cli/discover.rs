//! `settings --email` beyond the catalogue: discovery online (with progress on a terminal),
//! `--offline`, and `--export autoconfig|mobileconfig`.
//!
//! `catalogue::settings` asks the catalogue first; only for an address it does not know does
//! it call [`run`] here. The lookups themselves are [`crate::discovery`]'s.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use clap::{Args, ValueEnum};

use super::{CliError, CommandResult, GlobalArgs, Phase};
use crate::checks::dns::DnsClient;
use crate::discovery::{self, Attempt, Discovery, Endpoints, Found, Options, Outcome};
use crate::knowledge::Knowledge;
use crate::sanitize::for_terminal;

/// The files `--export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// A Thunderbird autoconfig file (config-v1.1.xml)
    Autoconfig,
    /// An Apple configuration profile for iPhone, iPad and Mac Mail (.mobileconfig)
    Mobileconfig,
}

/// Where discovery asks: every address is a parameter, so tests can use loopback servers.
/// Hidden: people never need them.
#[derive(Debug, Clone, Default, Args)]
pub struct LookupArgs {
    /// A domain autoconfig URL template ({domain}, {email}); repeat for several, in order
    #[arg(long = "autoconfig-url", value_name = "TEMPLATE", hide = true)]
    pub autoconfig: Vec<String>,
    /// The ISPDB URL template ({domain})
    #[arg(long = "ispdb-url", value_name = "TEMPLATE", hide = true)]
    pub ispdb: Option<String>,
    /// The Autodiscover v2 URL template ({email})
    #[arg(long = "autodiscover-url", value_name = "TEMPLATE", hide = true)]
    pub autodiscover: Option<String>,
    /// Allow plain http addresses (loopback test servers)
    #[arg(long = "allow-http", hide = true)]
    pub allow_http: bool,
}

impl LookupArgs {
    fn endpoints(&self) -> Endpoints {
        let mut endpoints = Endpoints::default();
        if !self.autoconfig.is_empty() {
            endpoints.autoconfig = self.autoconfig.clone();
        }
        if let Some(ispdb) = &self.ispdb {
            endpoints.ispdb = ispdb.clone();
        }
        if let Some(autodiscover) = &self.autodiscover {
            endpoints.autodiscover = autodiscover.clone();
        }
        endpoints
    }
}

/// Looks `email` up online. `quiet`: no progress line (JSON or an export goes to stdout).
pub fn run(
    kb: &Knowledge,
    email: &str,
    lookup: &LookupArgs,
    global: &GlobalArgs,
    quiet: bool,
) -> Result<Discovery, CliError> {
    let dns = super::check_dns::settings_from(global)?;
    let resolver = DnsClient::new(&dns)
        .map_err(|error| CliError::could_not_run(Phase::Network, "dns-setup", error.to_string()))?;
    let mut options = Options {
        allow_http: lookup.allow_http,
        ..Options::default()
    };
    if let Some(seconds) = global.timeout {
        // Checked by `settings_from` above: finite, above 0, at most an hour.
        options.timeout = Duration::from_secs_f64(seconds);
    }
    let endpoints = lookup.endpoints();
    let progress = ProgressLine::new(!quiet && std::io::stderr().is_terminal(), email);
    let on_attempt = |attempt: &Attempt| progress.ended(attempt);
    let outcome = crate::runtime::block_on(discovery::discover(
        &resolver,
        kb,
        &endpoints,
        &options,
        email,
        &on_attempt,
    ));
    drop(progress);
    outcome?.map_err(|error| CliError::bad_input(Phase::Arguments, error.to_string()))
}

/// One line on stderr while the lookups run, only for a person at a terminal; erased after.
struct ProgressLine {
    shown: bool,
    ended: AtomicUsize,
}

impl ProgressLine {
    fn new(shown: bool, email: &str) -> Self {
        if shown {
            eprint!(
                "Looking up the settings of {} online (autoconfig, ISPDB, DNS)…",
                for_terminal(email)
            );
        }
        Self {
            shown,
            ended: AtomicUsize::new(0),
        }
    }

    fn ended(&self, attempt: &Attempt) {
        let count = self.ended.fetch_add(1, Ordering::Relaxed) + 1;
        if self.shown {
            eprint!(
                "\r\x1b[KLooking up the settings online… {count} answered, last: {} ({})",
                attempt.source.as_str(),
                outcome_word(attempt.outcome)
            );
        }
    }
}

impl Drop for ProgressLine {
    fn drop(&mut self) {
        if self.shown {
            eprint!("\r\x1b[K");
        }
    }
}

fn outcome_word(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Found => "found",
        Outcome::Nothing => "nothing there",
        Outcome::Failed => "could not check",
        Outcome::Skipped => "not asked",
    }
}

/// How each source answered, for the text output.
pub fn print_attempts(discovery: &Discovery) -> Result<(), CliError> {
    outln!("Asked online, best source first:")?;
    for attempt in &discovery.attempts {
        outln!(
            "  {:<12} {:<16} {}",
            attempt.source.as_str(),
            outcome_word(attempt.outcome),
            for_terminal(&attempt.detail)
        )?;
        outln!("  {:<12} {:<16} ({})", "", "", for_terminal(&attempt.asked))?;
    }
    Ok(())
}

/// The first lines for settings found online: where they came from.
pub fn print_found_header(found: &Found) -> Result<(), CliError> {
    outln!(
        "Found in {}: {}.",
        found.source.words(),
        for_terminal(&found.origin)
    )?;
    if let Some(note) = &found.note {
        outln!("{}", textwrap::fill(&for_terminal(note), 90))?;
    }
    Ok(())
}

/// `--export`: the file on stdout. `found` is `None` when nothing is known of the address.
pub fn export(
    format: ExportFormat,
    found: Option<&Found>,
    email: &str,
    could_not_check: bool,
) -> CommandResult {
    let Some(found) = found else {
        let message = format!(
            "no settings are known for {}, so there is nothing to export{}",
            for_terminal(email),
            if could_not_check {
                " (the online lookups could not be done: is the network up?)"
            } else {
                ""
            }
        );
        return Err(if could_not_check {
            CliError::could_not_run(Phase::Network, "no-settings", message)
        } else {
            CliError::Problem {
                phase: Phase::Network,
                kind: "no-settings",
                message,
            }
        });
    };
    let written = match format {
        ExportFormat::Autoconfig => discovery::domain_of(email)
            .and_then(|domain| discovery::export::autoconfig(found, &domain)),
        ExportFormat::Mobileconfig => discovery::export::mobileconfig(found, email),
    };
    let text = written.map_err(|why| CliError::Problem {
        phase: Phase::Output,
        kind: "export",
        message: format!("cannot export: {why}"),
    })?;
    out!("{text}")?;
    Ok(super::Outcome::Ok)
}
