//! The command line: argument definitions and the dispatch to each command.
//!
//! Arguments are parsed by clap into these raw structs; each command module turns them into
//! validated requests before doing any work.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

/// `print!` for command output: `Err(CliError::ClosedPipe)` when the reader closed the pipe
/// early (`relaydoc kb graph | head`), which the command passes up with `?` so `main` exits
/// quietly with success instead of a panic.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::write_stdout(format_args!($($arg)*))
    };
}

/// `println!` with the same closed-pipe handling as [`out!`].
macro_rules! outln {
    () => {
        $crate::cli::write_stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::cli::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

use crate::diagnostic::Diagnostics;
use crate::exit;
use crate::knowledge::Knowledge;

pub mod error;
pub use error::{CliError, CommandResult, Outcome, Phase};

mod catalogue;
mod config;
mod discover;
mod exim;
mod kb;
mod postfix;
mod sessions;
mod snippet;
mod table;
mod wizard;

pub mod check_dns;

mod check_account;

mod explain;
mod input;

mod logs;

mod check;

const EXAMPLES: &str = "\
Examples:
  relaydoc                                   start the wizard
  relaydoc wizard --plain                    the wizard as simple prompts
  relaydoc wizard --fact client.smtp_auth=off --json
                                             answer from known facts, no questions
  relaydoc explain bounce.eml                what an error, bounce or log line means
  relaydoc check account you@example.com     find your server and test it, all at once
  postconf -n | relaydoc postfix lint        Postfix settings that cause relay denials
  relaydoc kb search \"port 587\"              search the knowledge offline
  relaydoc settings thunderbird --email me@gmail.com
                                             Thunderbird's steps with Gmail's settings
  relaydoc clients                           list the mail clients relaydoc knows
  relaydoc wizard --agent                    helpdesk mode: what to say to a caller, notes
  relaydoc sessions show last                the last run as a ticket summary
  relaydoc config check                      check your config file (helpdesk SMTP server…)

Exit codes: 0 ok, 1 a problem was found, 2 bad input, 3 a check could not run,
4 needs a terminal, 130 interrupted.";

#[derive(Debug, Parser)]
#[command(
    name = "relaydoc",
    version,
    about = "Find out why your mail server says \"Relay access denied\", and fix it",
    long_about = "relaydoc walks you through the error \"554 5.7.1 Relay access denied\" \
(and its temporary twin \"454 4.7.1\"): it asks plain questions, one at a time, and ends with \
the cause and the exact steps for your mail client.\n\nRun it without arguments to start.",
    after_help = EXAMPLES,
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every command understands.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// DNS server to ask instead of the system resolver (e.g. 9.9.9.9 or 127.0.0.1:5353)
    #[arg(long, global = true, value_name = "IP[:PORT]")]
    pub dns_server: Option<String>,

    /// A name that must exist, asked once to prove the DNS server tells the truth before any
    /// "does not exist" is believed (default: the root zone, ".")
    #[arg(
        long,
        global = true,
        value_name = "NAME",
        env = "RELAYDOC_DNS_KNOWN_NAME",
        hide_env_values = true
    )]
    pub dns_known_name: Option<String>,

    /// Seconds each network step may take before it is given up
    #[arg(long, global = true, value_name = "SECS")]
    pub timeout: Option<f64>,

    /// Config file to use instead of the platform one (also: RELAYDOC_CONFIG)
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Extra knowledge folder that overlays the bundled one (ids in it win)
    #[arg(long, global = true, value_name = "DIR")]
    pub knowledge: Option<PathBuf>,

    /// When to use colour; NO_COLOR in the environment also turns it off
    #[arg(long, global = true, value_enum, default_value_t = ColorWhen::Auto, value_name = "WHEN")]
    pub color: ColorWhen,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

impl ColorWhen {
    /// Whether to colour what goes to the terminal: `auto` means a terminal, and no
    /// `NO_COLOR` (https://no-color.org: any non-empty value turns colour off); the flag
    /// wins over the environment.
    pub fn enabled(self) -> bool {
        match self {
            Self::Always => true,
            Self::Never => false,
            Self::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
                    && (std::io::stdout().is_terminal() || std::io::stderr().is_terminal())
            }
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Walk through the questions to the cause and the fix (the default)
    Wizard(wizard::WizardArgs),
    /// Browse, search and validate the knowledge (offline)
    Kb(kb::KbArgs),
    /// List the mail clients relaydoc has step-by-step guides for
    Clients(catalogue::ListArgs),
    /// List the mail providers whose published settings relaydoc knows
    Providers(catalogue::ListArgs),
    /// A mail client's steps, filled with your provider's settings
    Settings(catalogue::SettingsArgs),
    /// Run a live check: DNS, blacklists, SMTP ports, login, relay, POP-before-SMTP, sending
    Check(check::CheckArgs),
    /// Explain an error text, bounce message or log lines: relay denial or not, and why
    Explain(explain::ExplainArgs),
    /// Every refusal in whole mail logs (Postfix, Exim, Sendmail, qmail, Dovecot, Exchange),
    /// grouped by kind, with counts, clients and causes
    Logs(logs::LogsArgs),
    /// Check a Postfix configuration (lint) or replay its relay decision (simulate)
    Postfix(postfix::PostfixArgs),
    /// Check an Exim configuration: who may relay, who is refused, with exact fixes
    Exim(exim::EximArgs),
    /// Saved wizard runs: list, show, resume, export a ticket summary, delete, stats
    Sessions(sessions::SessionsArgs),
    /// The config file (sessions, helpdesk SMTP server) and the SMTP password in the keyring
    Config(config::ConfigArgs),
    /// Print shell completions (bash, zsh, fish, elvish, powershell) to stdout
    #[command(
        after_help = "Example:\n  relaydoc completions bash > ~/.local/share/bash-completion/completions/relaydoc"
    )]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) to stdout
    #[command(after_help = "Example:\n  relaydoc man | man -l -")]
    Man,
}

/// Parses the arguments and runs the command; the binary's whole body. The one place that
/// prints an error and picks the exit status.
pub fn main() -> ExitCode {
    let (cli, json) = match parse() {
        Ok(parsed) => parsed,
        Err(code) => return code,
    };
    match run(cli) {
        Ok(outcome) => exit::code(outcome.exit_code()),
        Err(error) => {
            report(&error, json);
            exit::code(error.exit_code())
        }
    }
}

/// The parsed arguments, and whether the command was asked for `--json`; `Err` is the exit
/// status after clap's help, version or usage error (under `--json` a usage error is the one
/// JSON error shape).
fn parse() -> Result<(Cli, bool), ExitCode> {
    use clap::FromArgMatches as _;
    let parsed = Cli::command()
        .try_get_matches()
        .and_then(|matches| Ok((Cli::from_arg_matches(&matches)?, wants_json(&matches))));
    match parsed {
        Ok((cli, json)) => Ok((without_shadowed_config(cli), json)),
        Err(error) if error.use_stderr() && std::env::args_os().any(|arg| arg == "--json") => {
            // clap's first line says what is wrong; the rest is usage for a person.
            let text = error.to_string();
            let first = text.lines().next().unwrap_or_default();
            let message = first.trim_start_matches("error: ").trim().to_string();
            let error = CliError::bad_input(Phase::Arguments, message);
            report(&error, true);
            Err(exit::code(error.exit_code()))
        }
        Err(error) => {
            // Help and version go to stdout and exit 0; a usage error to stderr, exit 2.
            let _ = error.print();
            Err(exit::code(if error.use_stderr() {
                exit::BAD_INPUT
            } else {
                exit::OK
            }))
        }
    }
}

/// True when the command that runs (the innermost subcommand) has `--json` set.
fn wants_json(matches: &clap::ArgMatches) -> bool {
    let mut leaf = matches;
    while let Some((_, inner)) = leaf.subcommand() {
        leaf = inner;
    }
    matches!(leaf.try_get_one::<bool>("json"), Ok(Some(true)))
}

/// Tells what went wrong, in one place: plain words on stderr, and under `--json` also the
/// one JSON shape on stdout (so scripts read JSON and a person watching still reads words);
/// nothing for a closed pipe.
fn report(error: &CliError, json: bool) {
    use std::io::Write as _;
    if matches!(error, CliError::ClosedPipe) {
        return;
    }
    // Nothing more can be said when the error cannot be written either.
    if json {
        let _ = writeln!(std::io::stdout().lock(), "{:#}", error.to_json());
    }
    let _ = std::io::stderr()
        .lock()
        .write_all(error.to_text().as_bytes());
}

/// Runs the command the arguments name.
fn run(cli: Cli) -> CommandResult {
    match cli.command {
        None => wizard::run(wizard::WizardArgs::default(), &cli.global),
        Some(Command::Wizard(args)) => wizard::run(args, &cli.global),
        Some(Command::Kb(args)) => kb::run(args, &cli.global),
        Some(Command::Clients(args)) => catalogue::clients(args, &cli.global),
        Some(Command::Providers(args)) => catalogue::providers(args, &cli.global),
        Some(Command::Settings(args)) => catalogue::settings(args, &cli.global),
        Some(Command::Check(args)) => check::run(args, &cli.global),
        Some(Command::Explain(args)) => explain::run(&args, &cli.global),
        Some(Command::Logs(args)) => logs::run(&args, &cli.global),
        Some(Command::Postfix(args)) => postfix::run(args),
        Some(Command::Exim(args)) => exim::run(args),
        Some(Command::Sessions(args)) => sessions::run(args, &cli.global),
        Some(Command::Config(args)) => config::run(args, &cli.global),
        Some(Command::Completions { shell }) => {
            let mut command = Cli::command();
            let mut text = Vec::new();
            clap_complete::generate(shell, &mut command, "relaydoc", &mut text);
            write_stdout_bytes(&text)?;
            Ok(Outcome::Ok)
        }
        Some(Command::Man) => {
            let mut text = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut text)
                .map_err(CliError::Output)?;
            write_stdout_bytes(&text)?;
            Ok(Outcome::Ok)
        }
    }
}

/// `postfix simulate --config FILE` names a Postfix main.cf and shadows the global `--config`
/// (same name, same id); clap then hands its value to the global one too. The relaydoc config
/// file is not used there, so that value is taken back (RELAYDOC_CONFIG still applies).
fn without_shadowed_config(mut cli: Cli) -> Cli {
    if let Some(Command::Postfix(args)) = &cli.command
        && matches!(args.command, postfix::PostfixCommand::Simulate(_))
    {
        cli.global.config = None;
    }
    cli
}

/// True when stdin and stdout are both terminals, i.e. a person can answer prompts.
pub fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stdout().is_terminal()
}

/// Loads the knowledge the command should use, or says why it cannot (exit 2).
pub fn load_knowledge(global: &GlobalArgs) -> Result<Knowledge, CliError> {
    let extra: Vec<PathBuf> = global.knowledge.iter().cloned().collect();
    crate::knowledge::load(&extra).map_err(|problems| CliError::knowledge(&problems))
}

/// Loads the config file the command should use (`--config`, `RELAYDOC_CONFIG`, or the
/// platform one; a missing platform file means the defaults), or says why it cannot (exit 2).
pub fn load_config(
    global: &GlobalArgs,
) -> Result<(crate::config::Location, crate::config::Config), CliError> {
    let location = crate::config::locate(global.config.as_deref())
        .map_err(|error| CliError::bad_input(Phase::Config, error.to_string()))?;
    let config = crate::config::load_at(&location).map_err(|problems| {
        CliError::invalid(
            Phase::Config,
            &Diagnostics(problems),
            "the config file has problems; fix them (`relaydoc config check`) or name another \
             with --config",
        )
    })?;
    Ok((location, config))
}

/// Prints a report as pretty JSON on stdout.
pub fn print_json(value: &impl serde::Serialize) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|error| CliError::Output(std::io::Error::other(error)))?;
    outln!("{text}")
}

/// Problems go to stderr, one per line, made safe for the terminal (warnings; an error's
/// problems travel in [`CliError::Invalid`]).
pub fn report_diagnostics(problems: &Diagnostics) {
    for problem in problems.iter() {
        eprintln!("{}", crate::sanitize::for_terminal(&problem.to_string()));
    }
}

/// Columns to wrap text at: the terminal's width, or 80.
pub fn terminal_width() -> usize {
    terminal_size::terminal_size()
        .map(|(width, _)| usize::from(width.0))
        .unwrap_or(80)
        .clamp(40, 120)
}

/// Writes command output; `Err(CliError::ClosedPipe)` when the reader closed the pipe.
pub fn write_stdout(args: std::fmt::Arguments<'_>) -> Result<(), CliError> {
    use std::io::Write;
    std::io::stdout()
        .lock()
        .write_fmt(args)
        .map_err(CliError::from_output)
}

/// [`write_stdout`] for bytes made elsewhere (completions, the manual page), flushed.
pub fn write_stdout_bytes(bytes: &[u8]) -> Result<(), CliError> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(bytes)
        .and_then(|()| stdout.flush())
        .map_err(CliError::from_output)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn global_config(args: &[&str]) -> Option<PathBuf> {
        let cli = Cli::try_parse_from(args).expect("parses");
        without_shadowed_config(cli).global.config
    }

    #[test]
    fn the_global_config_flag_works_before_and_after_the_command() {
        let want = Some(PathBuf::from("team.yaml"));
        assert_eq!(
            global_config(&["relaydoc", "--config", "team.yaml", "config", "path"]),
            want
        );
        assert_eq!(
            global_config(&["relaydoc", "config", "path", "--config", "team.yaml"]),
            want
        );
    }

    #[test]
    fn postfix_simulates_own_config_flag_is_not_the_relaydoc_config() {
        let args = [
            "relaydoc",
            "postfix",
            "simulate",
            "--config",
            "main.cf",
            "--client-ip",
            "192.0.2.1",
            "--helo",
            "pc",
            "--from",
            "a@example.com",
            "--to",
            "b@example.org",
        ];
        assert_eq!(global_config(&args), None);
        let cli = Cli::try_parse_from(args).expect("parses");
        let Some(Command::Postfix(postfix)) = cli.command else {
            panic!("postfix");
        };
        let postfix::PostfixCommand::Simulate(simulate) = postfix.command else {
            panic!("simulate");
        };
        assert_eq!(simulate.config, PathBuf::from("main.cf"));
    }
}
