//! `relaydoc sessions …`: the saved wizard runs — list, show, resume, export, delete, stats.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use super::{CliError, CommandResult, GlobalArgs, Outcome, Phase, load_knowledge, print_json};
use crate::sanitize::for_terminal;
use crate::session::{Store, StoreError, export, human_duration, local_time, stats};

#[derive(Debug, Args)]
#[command(after_help = "\
Every wizard run is saved as a session after each step (unless `wizard --no-save`, or
`sessions: {save: false}` in the config file), so nothing is lost if the program is stopped.
Sessions never contain passwords.

Examples:
  relaydoc sessions list                         all saved sessions, newest last
  relaydoc sessions show last                    the most recent one, as a ticket summary
  relaydoc sessions resume 20261122-1430         pick a call up again (an id prefix is enough)
  relaydoc sessions export last --format md > ticket.md
  relaydoc sessions send last --to caller@example.com   email the caller their steps
  relaydoc sessions stats --json                 causes, time to a solution, drop-off points")]
pub struct SessionsArgs {
    #[command(subcommand)]
    pub command: SessionsCommand,
}

#[derive(Debug, Subcommand)]
pub enum SessionsCommand {
    /// List saved sessions (unreadable files are reported and skipped)
    List {
        /// Print JSON: [{"id", "mode", "started", "updated", "finished", "cause", "node", ...}]
        #[arg(long)]
        json: bool,
    },
    /// Show a session as a ticket summary
    Show {
        /// Session id, a unique prefix of one, or `last`
        id: String,
        /// Print the session as JSON instead
        #[arg(long)]
        json: bool,
    },
    /// Continue a session where it stopped
    Resume {
        /// Session id, a unique prefix of one, or `last`
        id: String,
        /// Use simple line-by-line prompts instead of the full-screen view
        #[arg(long)]
        plain: bool,
        /// Trust this CA certificate (PEM) in live checks
        #[arg(long, value_name = "FILE")]
        ca_file: Option<PathBuf>,
    },
    /// Write a session as a Markdown ticket summary or as JSON
    Export {
        /// Session id, a unique prefix of one, or `last`
        id: String,
        #[arg(long, value_enum, default_value_t = ExportFormat::Md)]
        format: ExportFormat,
        /// Write to this file instead of standard output
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Delete a saved session
    Delete {
        /// Session id (a unique prefix is enough)
        id: String,
    },
    /// Delete sessions not touched for a while (sessions hold customers' addresses and notes)
    #[command(after_help = "\
Examples:
  relaydoc sessions prune --older-than 90d --dry-run   what would go
  relaydoc sessions prune --older-than 12w             delete sessions idle for 12 weeks")]
    Prune {
        /// How long since a session was last updated: e.g. 30d, 12w, 6mo, 1y
        #[arg(long, value_name = "AGE", value_parser = parse_age)]
        older_than: jiff::Span,
        /// Only list what would be deleted
        #[arg(long)]
        dry_run: bool,
    },
    /// Email the caller the steps for their mail program, through the helpdesk's SMTP server
    #[command(after_help = "\
The server, sender and login come from `helpdesk.smtp` in the config file (see
`relaydoc config --help`); the password from RELAYDOC_SMTP_PASSWORD (or the variable the config
names) or the OS keyring (`relaydoc config set-password`). Only finished sessions have steps.

Example:
  relaydoc sessions send last --to caller@example.com")]
    Send {
        /// Session id, a unique prefix of one, or `last`
        id: String,
        /// The caller's address (default: the address the session learned)
        #[arg(long, value_name = "ADDR")]
        to: Option<String>,
        /// Subject line (default: "Your email settings: <solution title>")
        #[arg(long, value_name = "TEXT")]
        subject: Option<String>,
    },
    /// What the saved sessions say: causes, time to a solution, drop-off points, busiest nodes
    Stats {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// A Markdown ticket summary
    Md,
    /// The session as JSON
    Json,
}

pub fn run(args: SessionsArgs, global: &GlobalArgs) -> CommandResult {
    let (_, config) = super::load_config(global)?;
    let store = Store::configured(&config)
        .map_err(|error| CliError::bad_input(Phase::Config, error.to_string()))?;
    match args.command {
        SessionsCommand::List { json } => list(&store, json),
        SessionsCommand::Show { id, json } => show(&store, &id, json, global),
        SessionsCommand::Resume { id, plain, ca_file } => {
            super::wizard::resume(&store, &config, &id, plain, ca_file, global)
        }
        SessionsCommand::Send { id, to, subject } => {
            send(&store, &config, &id, to, subject, global)
        }
        SessionsCommand::Export { id, format, output } => {
            export_session(&store, &id, format, output, global)
        }
        SessionsCommand::Delete { id } => {
            let id = store.delete(&id).map_err(store_error)?;
            outln!("Deleted session {id}.")?;
            Ok(Outcome::Ok)
        }
        SessionsCommand::Stats { json } => {
            // Names for the ids; without usable knowledge the ids alone still count.
            let extra: Vec<PathBuf> = global.knowledge.iter().cloned().collect();
            let knowledge = crate::knowledge::load(&extra).ok();
            show_stats(&store, json, knowledge.as_ref())
        }
        SessionsCommand::Prune {
            older_than,
            dry_run,
        } => prune(&store, older_than, dry_run),
    }
}

/// A session store error: the disk failing cannot be helped here (exit 3); anything else is
/// an id or a file the person can fix (exit 2).
pub(super) fn store_error(error: StoreError) -> CliError {
    match error {
        StoreError::Io { .. } => CliError::could_not_run(Phase::Sessions, "io", error.to_string()),
        StoreError::NotFound(_) => CliError::BadInput {
            phase: Phase::Sessions,
            kind: "not-found",
            message: error.to_string(),
        },
        _ => CliError::bad_input(Phase::Sessions, error.to_string()),
    }
}

/// Files that could not be read: named on stderr, so the rest still list.
fn report_problems(problems: &[StoreError]) {
    for problem in problems {
        eprintln!("relaydoc: skipped {}", for_terminal(&problem.to_string()));
    }
}

fn list(store: &Store, json: bool) -> CommandResult {
    let listing = store.list().map_err(store_error)?;
    report_problems(&listing.problems);
    if json {
        let rows: Vec<_> = listing
            .sessions
            .iter()
            .map(|session| {
                serde_json::json!({
                    "id": session.id,
                    "mode": session.mode.as_str(),
                    "started": session.started,
                    "updated": session.updated,
                    "caller": session.caller,
                    "email": session.email(),
                    "finished": session.status.finished,
                    "cause": session.status.cause,
                    "node": session.status.node,
                })
            })
            .collect();
        print_json(&rows)?;
        return Ok(Outcome::Ok);
    }
    if listing.sessions.is_empty() {
        outln!(
            "No saved sessions in {}. Every wizard run is saved here.",
            store.dir().display()
        )?;
        return Ok(Outcome::Ok);
    }
    outln!(
        "{:<21}  {:<19}  {:<5}  {:<24}  OUTCOME",
        "ID",
        "STARTED",
        "MODE",
        "CUSTOMER"
    )?;
    for session in &listing.sessions {
        let who = session.caller.as_deref().or(session.email()).unwrap_or("-");
        let outcome = match (&session.status.cause, session.status.finished) {
            (Some(cause), _) => cause.clone(),
            (None, true) => "(hand-off)".to_string(),
            (None, false) => format!("stopped at {}", session.status.node),
        };
        outln!(
            "{:<21}  {:<19}  {:<5}  {:<24}  {}",
            session.id,
            local_time(session.started),
            session.mode.as_str(),
            for_terminal(&crate::cli::table::fit(who, 24)),
            for_terminal(&outcome)
        )?;
    }
    Ok(Outcome::Ok)
}

fn show(store: &Store, id: &str, json: bool, global: &GlobalArgs) -> CommandResult {
    let session = store.load(id).map_err(store_error)?;
    if json {
        // The session as saved: the file format is the export format.
        print_json(&session)?;
        return Ok(Outcome::Ok);
    }
    let knowledge = load_knowledge(global)?;
    out!("{}", export::to_markdown(&knowledge, &session))?;
    Ok(Outcome::Ok)
}

fn export_session(
    store: &Store,
    id: &str,
    format: ExportFormat,
    output: Option<PathBuf>,
    global: &GlobalArgs,
) -> CommandResult {
    let session = store.load(id).map_err(store_error)?;
    let text = match format {
        ExportFormat::Json => {
            export::to_json(&session)
                .map_err(|error| CliError::Output(std::io::Error::other(error)))?
                + "\n"
        }
        ExportFormat::Md => export::to_markdown(&load_knowledge(global)?, &session),
    };
    match output {
        None => out!("{text}")?,
        Some(path) => {
            write_private(&path, text.as_bytes()).map_err(|error| {
                CliError::bad_input(
                    Phase::Output,
                    format!("cannot write {}: {error}", path.display()),
                )
            })?;
            eprintln!("relaydoc: wrote {}", path.display());
        }
    }
    Ok(Outcome::Ok)
}

fn show_stats(
    store: &Store,
    json: bool,
    knowledge: Option<&crate::knowledge::Knowledge>,
) -> CommandResult {
    let listing = store.list().map_err(store_error)?;
    report_problems(&listing.problems);
    let stats = stats::compute(&listing.sessions);
    if json {
        print_json(&stats)?;
        return Ok(Outcome::Ok);
    }
    outln!(
        "{} session(s), {} reached a solution.",
        stats.sessions,
        stats.finished
    )?;
    if let Some(median) = stats.median_seconds_to_solution {
        outln!(
            "Median time to a solution: {}",
            human_duration(median.round() as i64)
        )?;
    }
    let section = |title: &str, counts: &[stats::Count]| -> Result<(), CliError> {
        if counts.is_empty() {
            return Ok(());
        }
        outln!("\n{title}")?;
        for count in counts.iter().take(10) {
            outln!(
                "  {:>5}  {}",
                count.count,
                for_terminal(&stat_name(knowledge, &count.id))
            )?;
        }
        Ok(())
    };
    section("Most frequent causes:", &stats.causes)?;
    section(
        "Where sessions ended without a solution:",
        &stats.ended_without_solution,
    )?;
    section("Most visited steps:", &stats.most_visited)?;
    Ok(Outcome::Ok)
}

/// A cause's or a step's title for people, with its id in brackets for whoever reads the
/// knowledge files; the id alone when the knowledge does not know it.
fn stat_name(knowledge: Option<&crate::knowledge::Knowledge>, id: &str) -> String {
    if id == "(hand-off)" {
        return String::from("Handed on to someone else, no cause named");
    }
    let title = knowledge.and_then(|kb| {
        kb.cause(id).map(|cause| cause.title.clone()).or_else(|| {
            let node = kb.node(kb.node_id(id)?);
            Some(node.title.clone().unwrap_or_else(|| node.text.clone()))
        })
    });
    match title {
        Some(title) => format!("{} ({id})", crate::sanitize::excerpt(&title, 70)),
        None => id.to_owned(),
    }
}

fn send(
    store: &Store,
    config: &crate::config::Config,
    id: &str,
    to: Option<String>,
    subject: Option<String>,
    global: &GlobalArgs,
) -> CommandResult {
    let mut session = store.load(id).map_err(store_error)?;
    let knowledge = load_knowledge(global)?;
    let Some(to) = to.or_else(|| session.email().map(str::to_string)) else {
        return Err(CliError::bad_input(
            Phase::Arguments,
            format!(
                "session {} has no customer address; give one with --to ADDR",
                session.id
            ),
        ));
    };
    match crate::session::mail::send_steps(&knowledge, &session, config, &to, subject) {
        Ok(delivered) => {
            let at = jiff::Timestamp::now();
            crate::session::mail::record_sent(&mut session, &to, at);
            if let Err(error) = store.save(&session) {
                eprintln!("relaydoc: sent, but the session could not be updated: {error}");
            }
            outln!(
                "Sent the steps to {} through {} (message id {}).",
                for_terminal(&to),
                for_terminal(&delivered.server),
                for_terminal(&delivered.message_id)
            )?;
            Ok(Outcome::Ok)
        }
        Err(problem) if problem.bad_input => {
            Err(CliError::bad_input(Phase::Input, problem.message))
        }
        Err(problem) => Err(CliError::could_not_run(
            Phase::Network,
            "not-sent",
            problem.message,
        )),
    }
}

/// An export holds a customer's address and notes: readable by its owner only, like the
/// session files (an existing file keeps the permissions it has).
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// An age such as `90d`, `12w`, `6mo` or `1y` (jiff's friendly duration format).
fn parse_age(text: &str) -> Result<jiff::Span, String> {
    let span: jiff::Span = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not an age; write it like 30d, 12w, 6mo or 1y"))?;
    if span.is_negative() || span.is_zero() {
        return Err(format!("`{text}`: the age must be more than zero"));
    }
    Ok(span)
}

fn prune(store: &Store, older_than: jiff::Span, dry_run: bool) -> CommandResult {
    // Calendar units (months, years) need a calendar: count back in local time.
    let now = jiff::Zoned::now();
    let cutoff = now
        .checked_sub(older_than)
        .map_err(|error| CliError::bad_input(Phase::Arguments, format!("--older-than: {error}")))?
        .timestamp();
    let listing = store.list().map_err(store_error)?;
    report_problems(&listing.problems);
    let old: Vec<_> = listing
        .sessions
        .iter()
        .filter(|session| session.updated < cutoff)
        .collect();
    let mut failed = false;
    for session in &old {
        if dry_run {
            outln!(
                "would delete {}  (last updated {})",
                session.id,
                local_time(session.updated)
            )?;
            continue;
        }
        match store.delete(&session.id) {
            Ok(id) => outln!("deleted {id}")?,
            Err(error) => {
                failed = true;
                eprintln!("relaydoc: {}", for_terminal(&error.to_string()));
            }
        }
    }
    let verb = if dry_run {
        "would be deleted"
    } else {
        "deleted"
    };
    outln!(
        "{} session(s) {verb}; {} kept (updated since {}).",
        old.len(),
        listing.sessions.len() - old.len(),
        local_time(cutoff)
    )?;
    Ok(if failed {
        Outcome::CouldNotCheck
    } else {
        Outcome::Ok
    })
}
