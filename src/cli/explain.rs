//! `relaydoc explain [FILE|-] [--json]`: read an error text, bounce or log excerpt and print
//! what it means.
//!
//! Human output goes to stdout, sanitised (the text came from strangers' servers); `--json`
//! prints exactly the [`Explanation`] contract. Problems (unreadable input, broken signature
//! knowledge) are returned as a [`CliError`] (exit 2).

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;

use clap::Args;

use super::{CliError, ColorWhen, CommandResult, GlobalArgs, Outcome, Phase};
use crate::explain::reader::MAX_INPUT_BYTES;
use crate::explain::{self, Direction, Explanation, Side};
use crate::sanitize::{for_terminal, single_line};

const EXAMPLES: &str = "\
Examples:
  relaydoc explain bounce.eml               a whole bounce message (MIME, DSN)
  relaydoc explain - < /var/log/mail.log    log lines from stdin
  relaydoc explain                          paste the error, then Ctrl-D
  relaydoc explain error.txt --json         the answer as JSON for scripts";

#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct ExplainArgs {
    /// File with the error text, bounce (.eml) or log lines; `-` or nothing reads stdin
    #[arg(value_name = "FILE|-")]
    pub file: Option<PathBuf>,

    /// Print the answer as JSON (relay_denial, code, enhanced, side, causes, …)
    #[arg(long)]
    pub json: bool,
}

/// Runs `explain`: load signatures, read the input, print the answer.
pub fn run(args: &ExplainArgs, global: &GlobalArgs) -> CommandResult {
    let knowledge = super::load_knowledge(global)?;
    let signatures = crate::explain::signatures(&knowledge).map_err(|problems| {
        CliError::invalid(
            Phase::Knowledge,
            problems,
            "explain: the error signatures above have problems; fix them and run again",
        )
    })?;
    let input = read_input(args.file.as_deref())?;
    let explanation = explain::explain_bytes(&input, signatures);
    if args.json {
        super::print_json(&explanation)?;
    } else {
        // `relaydoc explain x | head` closing early is the reader's choice.
        print_human(&explanation, global.color).map_err(CliError::from_output)?;
    }
    Ok(Outcome::Ok)
}

/// Reads the file, or stdin (with a prompt when a person is typing); at most
/// [`MAX_INPUT_BYTES`] plus one byte, so the reader can tell it was cut.
fn read_input(file: Option<&std::path::Path>) -> Result<Vec<u8>, CliError> {
    let limit = (MAX_INPUT_BYTES + 1) as u64;
    let mut bytes = Vec::new();
    match file {
        Some(path) if path.as_os_str() != "-" => {
            // A pipe the person named (`explain <(journalctl …)`) is read too; a device never.
            bytes = crate::files::read_prefix(path, crate::files::Rules::input(limit - 1))
                .map_err(|error| CliError::bad_input(Phase::Input, format!("explain: {error}")))?;
        }
        _ => {
            let stdin = std::io::stdin();
            if stdin.is_terminal() {
                eprintln!(
                    "Paste the error message, bounce or log lines, then press Ctrl-D on a new \
                     line (Ctrl-Z then Enter on Windows)."
                );
            }
            stdin
                .lock()
                .take(limit)
                .read_to_end(&mut bytes)
                .map_err(|error| {
                    CliError::bad_input(
                        Phase::Input,
                        format!("explain: cannot read standard input: {error}"),
                    )
                })?;
        }
    }
    Ok(bytes)
}

fn print_human(explanation: &Explanation, color: ColorWhen) -> std::io::Result<()> {
    let choice = match color {
        ColorWhen::Auto => anstream::ColorChoice::Auto,
        ColorWhen::Always => anstream::ColorChoice::Always,
        ColorWhen::Never => anstream::ColorChoice::Never,
    };
    let mut out = anstream::AutoStream::new(std::io::stdout().lock(), choice);
    let bold = anstyle::Style::new().bold();
    let headline = if explanation.probable {
        "Most likely a relay denial"
    } else if explanation.relay_denial {
        "Relay denial"
    } else {
        "Not a relay denial"
    };
    let mut details = Vec::new();
    match (&explanation.code, &explanation.enhanced) {
        (Some(code), Some(enhanced)) => details.push(format!("{code} {enhanced}")),
        (Some(code), None) => details.push(code.clone()),
        (None, Some(enhanced)) => details.push(enhanced.clone()),
        (None, None) => {}
    }
    // A server's own log is read by its owner: the client is whoever connected, and the
    // outgoing server is the one that wrote the log.
    let server_log = explanation.direction == Some(Direction::Incoming);
    if let Some(side) = explanation.side {
        let place = match (side, server_log) {
            (Side::Client, false) => "your mail program",
            (Side::Client, true) => "the client that connected",
            (Side::SenderMx, false) => "the outgoing mail server",
            (Side::SenderMx, true) => "this server's settings",
            (Side::RecipientMx, _) => "the recipient's mail server",
        };
        details.push(format!("look at {place} [{}]", side.as_str()));
    }
    let details = if details.is_empty() {
        String::new()
    } else {
        format!(" ({})", single_line(&details.join(", ")))
    };
    writeln!(out, "{bold}{headline}{bold:#}{details}")?;
    writeln!(out)?;
    writeln!(out, "{}", wrap(&for_terminal(&explanation.summary), ""))?;
    writeln!(out)?;
    writeln!(out, "{bold}Likely causes, most likely first:{bold:#}")?;
    for (rank, cause) in explanation.causes.iter().enumerate() {
        writeln!(out, "  {}. {}", rank + 1, single_line(&cause.id))?;
        writeln!(out, "{}", wrap(&single_line(&cause.why), "     "))?;
    }
    let found: Vec<(&str, String)> = [
        (
            if server_log {
                "Log line"
            } else if explanation.probable {
                "Error text"
            } else {
                "Server reply"
            },
            explanation.reply.clone(),
        ),
        ("Recipient", explanation.recipient.clone()),
        ("Sender", explanation.sender.clone()),
        ("Remote server", explanation.remote_host.clone()),
        ("Refused client", explanation.client.clone()),
        ("Client's HELO name", explanation.helo.clone()),
        (
            "SMTP stage",
            explanation.stage.map(|s| s.as_str().to_uppercase()),
        ),
        (
            "Direction",
            explanation.direction.map(|d| d.as_str().to_string()),
        ),
    ]
    .into_iter()
    .filter_map(|(label, value)| value.map(|v| (label, v)))
    .collect();
    if !found.is_empty() {
        writeln!(out)?;
        writeln!(out, "{bold}What relaydoc found:{bold:#}")?;
        for (label, value) in found {
            writeln!(out, "  {label}: {}", single_line(&value))?;
        }
    }
    if !explanation.notes.is_empty() {
        writeln!(out)?;
        for note in &explanation.notes {
            writeln!(out, "Note: {}", single_line(note))?;
        }
    }
    Ok(())
}

fn wrap(text: &str, indent: &str) -> String {
    let width = terminal_size::terminal_size()
        .map_or(80, |(width, _)| usize::from(width.0))
        .clamp(40, 100);
    let options = textwrap::Options::new(width)
        .initial_indent(indent)
        .subsequent_indent(indent);
    textwrap::fill(text, options)
}
