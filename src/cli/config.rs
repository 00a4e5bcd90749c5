//! `relaydoc config path | show | check | set-password | delete-password | send-test`: the
//! configuration file, and the helpdesk SMTP password kept in the OS keyring.

use std::io::{BufRead, IsTerminal};

use clap::{Args, Subcommand};
use serde::Serialize;

use super::{CliError, CommandResult, GlobalArgs, Outcome, Phase, report_diagnostics};
use crate::config::{self, Config, Location, SmtpConfig};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::mailer::{self, MailError, OutgoingMail};
use crate::password;
use crate::sanitize::single_line;
use crate::vocab::Secret;

const CONFIG_HELP: &str = "\
Examples:
  relaydoc config path                 which file is used, and whether it exists
  relaydoc config show                 the effective settings, defaults filled in
  relaydoc config check                find mistakes, and where the SMTP password comes from
  relaydoc config set-password         store the helpdesk SMTP password in the OS keyring
  relaydoc config send-test --to me@example.com
                                       send a test message through the helpdesk server
  relaydoc --config ./team.yaml config check

The file: --config FILE, else $RELAYDOC_CONFIG, else config.yaml in the platform config dir
(~/.config/relaydoc/config.yaml on Linux). No file means the defaults. Every key:
";

#[derive(Debug, Args)]
#[command(after_help = config_help())]
pub struct ConfigArgs {
    #[command(subcommand)]
    pub command: ConfigCommand,
}

fn config_help() -> String {
    let sample: String = config::SAMPLE
        .lines()
        .map(|line| {
            if line.is_empty() {
                String::from("\n")
            } else {
                format!("  {line}\n")
            }
        })
        .collect();
    format!(
        "{CONFIG_HELP}\n{sample}\nExit codes: 0 ok, 1 the server refused (send-test), 2 mistakes in \
         the file or the arguments, 3 the server or the keyring could not be used, 4 needs a \
         terminal."
    )
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the config file's path, and whether it exists
    #[command(after_help = "Examples:\n  relaydoc config path\n  relaydoc config path --json")]
    Path {
        /// Print {"path", "exists", "origin"} as JSON
        #[arg(long)]
        json: bool,
    },
    /// Print the effective configuration (the file with defaults filled in) as YAML
    #[command(after_help = "Examples:\n  relaydoc config show\n  relaydoc config show --json")]
    Show {
        /// Print it as JSON instead
        #[arg(long)]
        json: bool,
    },
    /// Check the config file; for the SMTP server, also where the password would come from
    #[command(after_help = "\
Examples:
  relaydoc config check
  relaydoc --config ./team.yaml config check --json

Mistakes are listed as FILE:LINE:COLUMN: message (exit code 2). The password is never
printed: only whether the environment variable is set and whether the keyring holds one.")]
    Check {
        /// Print the result as JSON
        #[arg(long)]
        json: bool,
    },
    /// Store the helpdesk SMTP password in the OS keyring (asked without echo, never an argument)
    #[command(after_help = "\
Examples:
  relaydoc config set-password
  printf '%s\\n' \"$PASS\" | relaydoc config set-password --password-stdin

Stored under service relaydoc-smtp and helpdesk.smtp.username. The environment variable named
by helpdesk.smtp.password_env (default RELAYDOC_SMTP_PASSWORD) is used first when it is set.
On Linux the kernel keyring keeps the password until reboot (and drops it after some days
unused); the environment variable suits a lasting setup.")]
    SetPassword {
        /// Read the password from the first line of standard input
        #[arg(long)]
        password_stdin: bool,
    },
    /// Remove the helpdesk SMTP password from the OS keyring
    #[command(after_help = "Example:\n  relaydoc config delete-password")]
    DeletePassword,
    /// Send a short test message through the helpdesk SMTP server (this really sends mail)
    #[command(after_help = "\
Examples:
  relaydoc config send-test --to me@example.com
  relaydoc config send-test --to me@example.com --json

Uses helpdesk.smtp from the config file and its password (environment variable, then keyring).
Exit codes: 0 sent, 1 the server refused (login, sender, recipient), 2 bad input, 3 could not
connect (network, TLS, certificate, timeout).")]
    SendTest {
        /// The address to send the test message to
        #[arg(long, value_name = "ADDR")]
        to: String,
        /// Print the result as JSON
        #[arg(long)]
        json: bool,
    },
}

pub fn run(args: ConfigArgs, global: &GlobalArgs) -> CommandResult {
    let location = config::locate(global.config.as_deref())
        .map_err(|error| CliError::bad_input(Phase::Config, error.to_string()))?;
    match args.command {
        ConfigCommand::Path { json } => path(&location, json),
        ConfigCommand::Show { json } => show(&location, json),
        ConfigCommand::Check { json } => check(&location, json),
        ConfigCommand::SetPassword { password_stdin } => set_password(&location, password_stdin),
        ConfigCommand::DeletePassword => delete_password(&location),
        ConfigCommand::SendTest { to, json } => send_test(&location, global, &to, json),
    }
}

fn shown_path(location: &Location) -> String {
    single_line(&location.path.display().to_string())
}

fn path(location: &Location, json: bool) -> CommandResult {
    let exists = location.path.exists();
    if json {
        let value = serde_json::json!({
            "path": location.path.display().to_string(),
            "exists": exists,
            "origin": location.origin.as_str(),
        });
        outln!("{value:#}")?;
    } else {
        let note = match (exists, location.origin) {
            (true, _) => String::from("exists"),
            (false, config::Origin::Default) => String::from("not there: the defaults apply"),
            (false, origin) => format!("not there, but named by {}", origin.as_str()),
        };
        outln!("{}  ({note})", shown_path(location))?;
    }
    Ok(Outcome::Ok)
}

/// The config, or its problems (exit 2).
fn load(location: &Location) -> Result<Config, CliError> {
    config::load_at(location).map_err(|problems| config_problems(&problems))
}

fn config_problems(problems: &[Diagnostic]) -> CliError {
    CliError::invalid(
        Phase::Config,
        &Diagnostics(problems.to_vec()),
        format!(
            "the config file has {} problem(s); `relaydoc config --help` shows every key",
            problems.len()
        ),
    )
}

fn show(location: &Location, json: bool) -> CommandResult {
    let config = load(location)?;
    let effective = config.effective();
    if json {
        super::print_json(&effective)?;
        return Ok(Outcome::Ok);
    }
    let origin = if location.path.exists() {
        String::from("from")
    } else {
        String::from("defaults only; no file at")
    };
    match serde_saphyr::to_string(&effective) {
        Ok(yaml) => {
            outln!(
                "# effective configuration ({origin} {})",
                shown_path(location)
            )?;
            out!("{}", crate::sanitize::for_terminal(&yaml))?;
            Ok(Outcome::Ok)
        }
        Err(error) => Err(CliError::Output(std::io::Error::other(format!(
            "cannot write YAML: {error}"
        )))),
    }
}

#[derive(Debug, Serialize)]
struct CheckReport {
    file: String,
    exists: bool,
    ok: bool,
    problems: Vec<ProblemView>,
    sessions_dir: Option<String>,
    smtp: Option<SmtpView>,
    password: Option<password::PasswordStatus>,
}

#[derive(Debug, Serialize)]
struct ProblemView {
    file: String,
    line: Option<u64>,
    column: Option<u64>,
    message: String,
}

#[derive(Debug, Serialize)]
struct SmtpView {
    server: String,
    security: &'static str,
    username: Option<String>,
    from: String,
}

fn check(location: &Location, json: bool) -> CommandResult {
    let exists = location.path.exists();
    let result = if location.must_exist() && !exists {
        config::load_at(location)
    } else {
        config::check(&location.path)
    };
    let mut report = CheckReport {
        file: location.path.display().to_string(),
        exists,
        ok: result.is_ok(),
        problems: Vec::new(),
        sessions_dir: None,
        smtp: None,
        password: None,
    };
    let config = match result {
        Ok(config) => config,
        Err(problems) => {
            report.problems = problems
                .iter()
                .map(|p| ProblemView {
                    file: p.file.clone(),
                    line: p.position.map(|at| at.line),
                    column: p.position.map(|at| at.column),
                    message: p.message.clone(),
                })
                .collect();
            if !json {
                return Err(config_problems(&problems));
            }
            // The report is the answer, with the problems in it; stderr still lists them.
            super::print_json(&report)?;
            report_diagnostics(&Diagnostics(problems.to_vec()));
            return Ok(Outcome::Invalid);
        }
    };
    let sessions_dir = config.sessions_dir();
    report.sessions_dir = sessions_dir
        .as_ref()
        .ok()
        .map(|dir| dir.display().to_string());
    if let Some(smtp) = &config.helpdesk.smtp {
        report.smtp = Some(SmtpView {
            server: smtp.server(),
            security: smtp.security.as_str(),
            username: smtp.username.clone(),
            from: smtp.from.clone(),
        });
        report.password = smtp
            .username
            .as_deref()
            .map(|user| password::status(smtp, user));
    }
    if json {
        super::print_json(&report)?;
        return Ok(Outcome::Ok);
    }
    if exists {
        outln!("{}: ok", shown_path(location))?;
    } else {
        outln!(
            "{}: not there; the defaults apply: ok",
            shown_path(location)
        )?;
    }
    match (&sessions_dir, config.sessions.save) {
        (Ok(dir), true) => outln!(
            "  sessions: saved in {}",
            single_line(&dir.display().to_string())
        )?,
        (Ok(dir), false) => outln!(
            "  sessions: not saved (sessions.save: false); folder {}",
            single_line(&dir.display().to_string())
        )?,
        (Err(error), _) => outln!("  sessions: {error}")?,
    }
    match &config.helpdesk.smtp {
        None => outln!("  helpdesk smtp: not configured (needed to e-mail steps to callers)")?,
        Some(smtp) => {
            let login = match &smtp.username {
                Some(user) => format!("login as {}", single_line(user)),
                None => String::from("no login"),
            };
            outln!(
                "  helpdesk smtp: {} ({}), {login}, from {}",
                single_line(&smtp.server()),
                smtp.security.as_str(),
                single_line(&smtp.from)
            )?;
            if let Some(status) = &report.password {
                outln!("  password: {}", password_words(status))?;
            }
        }
    }
    Ok(Outcome::Ok)
}

/// Where the password would come from, in words; never the password.
fn password_words(status: &password::PasswordStatus) -> String {
    let keyring = match (status.keyring, &status.keyring_problem) {
        ("present", _) => String::from("the OS keyring holds one"),
        (_, Some(problem)) => format!("the OS keyring cannot be used: {problem}"),
        _ => String::from("the OS keyring holds none"),
    };
    match status.source {
        Some("env") => format!(
            "from the environment variable {} (set); {keyring}",
            status.env_var
        ),
        Some(_) => format!("from the OS keyring ({} is not set)", status.env_var),
        None => format!(
            "warning: none found: {} is not set and {keyring}; set the variable or run \
             `relaydoc config set-password`",
            status.env_var
        ),
    }
}

/// The SMTP settings and the user the keyring entry belongs to, or why there are none.
fn smtp_user(location: &Location) -> Result<(SmtpConfig, String), CliError> {
    let smtp = configured_smtp(location, load(location)?)?;
    let Some(user) = smtp.username.clone() else {
        return Err(CliError::bad_input(
            Phase::Config,
            format!(
                "{}: helpdesk.smtp.username is not set; the server is used without a login, so \
                 there is no password to store",
                shown_path(location)
            ),
        ));
    };
    Ok((smtp, user))
}

/// The helpdesk SMTP server of the config, or why there is none.
fn configured_smtp(location: &Location, config: Config) -> Result<SmtpConfig, CliError> {
    config.helpdesk.smtp.ok_or_else(|| {
        CliError::bad_input(
            Phase::Config,
            format!(
                "{}: helpdesk.smtp is not configured (see `relaydoc config --help`)",
                shown_path(location)
            ),
        )
    })
}

fn set_password(location: &Location, from_stdin: bool) -> CommandResult {
    let (smtp, user) = smtp_user(location)?;
    let password = if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|error| {
                CliError::bad_input(
                    Phase::Input,
                    format!("cannot read the password from standard input: {error}"),
                )
            })?;
        Secret::new(line.trim_end_matches(['\r', '\n']))
    } else if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
        let prompt = inquire::Password::new(&format!("SMTP password for {}:", single_line(&user)))
            .with_display_mode(inquire::PasswordDisplayMode::Hidden)
            .with_custom_confirmation_message("The same again:")
            .with_custom_confirmation_error_message("The two differ; try again.")
            .prompt();
        match prompt {
            Ok(text) => Secret::new(text),
            Err(
                inquire::InquireError::OperationCanceled
                | inquire::InquireError::OperationInterrupted,
            ) => {
                return Err(CliError::Cancelled(String::from(
                    "cancelled; nothing was stored",
                )));
            }
            Err(error) => {
                return Err(CliError::bad_input(
                    Phase::Input,
                    format!("no password: {error}"),
                ));
            }
        }
    } else {
        return Err(CliError::NoTerminal(String::from(
            "set-password asks on a terminal, and there is none; pipe the password in with \
             --password-stdin",
        )));
    };
    if password.is_empty() {
        return Err(CliError::bad_input(
            Phase::Input,
            "the password is empty; nothing was stored",
        ));
    }
    if let Err(error) = password::keyring_set(&user, &password) {
        return Err(CliError::could_not_run(
            Phase::Keyring,
            "keyring",
            format!(
                "cannot store the password in the OS keyring: {error}; instead, set the \
                 environment variable {}",
                smtp.password_env
            ),
        ));
    }
    outln!(
        "Stored the SMTP password for {} in the OS keyring (service {}).",
        single_line(&user),
        password::KEYRING_SERVICE
    )?;
    outln!("Note: {}.", password::keyring_persistence())?;
    if std::env::var_os(&smtp.password_env).is_some_and(|v| !v.is_empty()) {
        outln!(
            "Note: {} is set, and is used before the keyring.",
            smtp.password_env
        )?;
    }
    Ok(Outcome::Ok)
}

fn delete_password(location: &Location) -> CommandResult {
    let (_, user) = smtp_user(location)?;
    match password::keyring_delete(&user) {
        Ok(true) => {
            outln!(
                "Removed the SMTP password for {} from the OS keyring.",
                single_line(&user)
            )?;
            Ok(Outcome::Ok)
        }
        Ok(false) => {
            outln!(
                "The OS keyring holds no SMTP password for {}; nothing to remove.",
                single_line(&user)
            )?;
            Ok(Outcome::Ok)
        }
        Err(error) => Err(CliError::could_not_run(
            Phase::Keyring,
            "keyring",
            format!("cannot use the OS keyring: {error}"),
        )),
    }
}

const TEST_BODY: &str = "\
This is a test message from relaydoc.

It was sent through the helpdesk's own outgoing mail server (helpdesk.smtp in relaydoc's
config file) to prove that relaydoc can e-mail fix steps to callers. No reply is needed.
";

fn send_test(location: &Location, global: &GlobalArgs, to: &str, json: bool) -> CommandResult {
    let mut smtp = configured_smtp(location, load(location)?)?;
    if let Some(seconds) = global.timeout {
        if !(seconds.is_finite() && seconds > 0.0 && seconds <= 3600.0) {
            return Err(CliError::bad_input(
                Phase::Arguments,
                format!("--timeout {seconds}: give a number of seconds between 0 and 3600"),
            ));
        }
        smtp.timeout = std::time::Duration::from_secs_f64(seconds);
    }
    let (password, source) = match password::find(&smtp) {
        Ok(Some((password, source))) => (Some(password), Some(source)),
        Ok(None) => (None, None),
        Err(error) => return Err(CliError::bad_input(Phase::Config, error.to_string())),
    };
    let mail = OutgoingMail {
        to: to.to_string(),
        subject: String::from("relaydoc test message"),
        body: String::from(TEST_BODY),
    };
    let delivered = mailer::send(&smtp, password.as_ref(), &mail).map_err(mail_error)?;
    if json {
        super::print_json(&serde_json::json!({
            "sent": true,
            "delivered": delivered,
            "password_source": source.as_ref().map(ToString::to_string),
        }))?;
        return Ok(Outcome::Ok);
    }
    let how = match (&smtp.username, &source) {
        (Some(user), Some(source)) => {
            format!(
                "logged in as {} (password from {source})",
                single_line(user)
            )
        }
        _ => String::from("no login"),
    };
    outln!(
        "Sent a test message to {} through {} ({}, {how}).",
        single_line(&delivered.to),
        single_line(&delivered.server),
        if delivered.encrypted {
            smtp.security.as_str()
        } else {
            "unencrypted"
        }
    )?;
    outln!("The server said: {}", delivered.reply)?;
    Ok(Outcome::Ok)
}

/// A test message not sent: bad input (exit 2), a refusal (exit 1), or no way to tell (3).
fn mail_error(error: MailError) -> CliError {
    let (kind, message) = (
        error.kind(),
        format!("not sent: {}", single_line(&error.to_string())),
    );
    match error {
        _ if error.is_bad_input() => CliError::BadInput {
            phase: Phase::Input,
            kind,
            message,
        },
        MailError::AuthFailed { .. }
        | MailError::NoLogin { .. }
        | MailError::Refused { .. }
        | MailError::SenderRefused { .. }
        | MailError::RecipientRefused { .. }
        | MailError::MessageRefused { .. } => CliError::Problem {
            phase: Phase::Network,
            kind,
            message,
        },
        _ => CliError::CouldNotRun {
            phase: Phase::Network,
            kind,
            message,
        },
    }
}
