//! `relaydoc logs [FILE…|-] [--json]`: every refusal in whole mail logs, grouped, with causes.
//!
//! The report goes to stdout (sanitised: log lines come from strangers); progress goes to
//! stderr, only when stderr is a terminal. An input that cannot be opened or read is named in
//! the error and ends the run with a [`CliError`] (exit 2), before any report is printed.

use std::io::IsTerminal;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Args;

use super::{CliError, CommandResult, GlobalArgs, Outcome, Phase};
use crate::logs::input::Source;
use crate::logs::stamp::{self, Stamp};
use crate::logs::{self, GroupReport, Options, Progress, Report};
use crate::sanitize::single_line;

const EXAMPLES: &str = "\
Examples:
  relaydoc logs /var/log/mail.log /var/log/mail.log.1 /var/log/mail.log.2.gz
  journalctl -u postfix --since today | relaydoc logs -
  relaydoc logs mail.log --since 2026-12-03 --until 2026-12-04T12:00
  relaydoc logs mail.log --client 203.0.113.7 --json

Reads Postfix, Exim (mainlog, rejectlog), Sendmail, qmail (chkuser), Dovecot and Exchange
message-tracking logs, plain or gzip-compressed, and journalctl output. Syslog dates carry no
year: each is placed in the year of the file's modification time (today's for standard
input), or the year before when that would put it in the future; --year sets it.";

#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct LogsArgs {
    /// Log files (plain or .gz); `-` or nothing reads standard input
    #[arg(value_name = "FILE|-")]
    pub files: Vec<PathBuf>,

    /// Print the report as JSON (inputs, lines, bytes, from, to, groups)
    #[arg(long)]
    pub json: bool,

    /// Only refusals at or after this time (2026-12-03 or 2026-12-03T10:00[:00])
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,

    /// Only refusals before this time; a date alone includes that whole day
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,

    /// Only refusals of this client address (repeat for more)
    #[arg(long, value_name = "IP")]
    pub client: Vec<IpAddr>,

    /// The year of syslog dates (which have none), instead of the file's modification year
    #[arg(long, value_name = "YEAR", value_parser = clap::value_parser!(u16).range(1970..=9999))]
    pub year: Option<u16>,

    /// Entries in each top list (clients, senders, recipient domains)
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub top: u16,
}

/// Runs `logs`: check the arguments, read every input, print the report.
pub fn run(args: &LogsArgs, global: &GlobalArgs) -> CommandResult {
    let options = options(args)?;
    let sources = sources(&args.files);
    if sources.iter().filter(|s| **s == Source::Stdin).count() > 1 {
        return Err(CliError::bad_input(
            Phase::Arguments,
            "logs: standard input (-) can be read only once",
        ));
    }
    if sources.contains(&Source::Stdin) && std::io::stdin().is_terminal() {
        eprintln!(
            "relaydoc logs: reading log lines from the terminal; paste them, then Ctrl-D \
             (or name log files: relaydoc logs /var/log/mail.log)"
        );
    }
    // The knowledge (its signatures compile at load) is read on another thread while the logs
    // are scanned: on a small log it would otherwise be most of the run.
    let (knowledge, scanned) = std::thread::scope(|scope| {
        let knowledge = scope.spawn(|| super::load_knowledge(global));
        let mut meter = Meter::new(std::io::stderr().is_terminal());
        let scanned = logs::scan(&sources, options, &mut |progress| meter.show(progress));
        meter.clear();
        (knowledge.join(), scanned)
    });
    let knowledge = knowledge.map_err(|_| {
        CliError::bad_input(Phase::Knowledge, "logs: loading the knowledge failed")
    })??;
    let signatures = crate::explain::signatures(&knowledge).map_err(|problems| {
        CliError::invalid(
            Phase::Knowledge,
            problems,
            "logs: the error signatures above have problems; fix them and run again",
        )
    })?;
    let scanner =
        scanned.map_err(|error| CliError::bad_input(Phase::Input, format!("logs: {error}")))?;
    let report = scanner.finish(signatures);
    if args.json {
        super::print_json(&report)?;
    } else {
        print_human(&report)?;
    }
    Ok(Outcome::Ok)
}

fn sources(files: &[PathBuf]) -> Vec<Source> {
    if files.is_empty() {
        return vec![Source::Stdin];
    }
    files.iter().map(|path| Source::from_arg(path)).collect()
}

fn options(args: &LogsArgs) -> Result<Options, CliError> {
    let bound = |flag: &str, value: &Option<String>| -> Result<Option<(Stamp, bool)>, CliError> {
        value
            .as_deref()
            .map(|text| {
                stamp::parse_bound(text).ok_or_else(|| {
                    CliError::bad_input(
                        Phase::Arguments,
                        format!(
                            "logs: {flag} {}: not a date or time; write 2026-12-03, \
                             2026-12-03T10:00 or 2026-12-03T10:00:00",
                            single_line(text)
                        ),
                    )
                })
            })
            .transpose()
    };
    let since = bound("--since", &args.since)?.map(|(at, _)| at);
    // "--until 2026-12-03" means up to the end of that day.
    let until = bound("--until", &args.until)?
        .map(|(at, date_only)| if date_only { stamp::next_day(at) } else { at });
    if let (Some(since), Some(until)) = (since, until)
        && until <= since
    {
        return Err(CliError::bad_input(
            Phase::Arguments,
            format!("logs: --until ({until}) is not after --since ({since})"),
        ));
    }
    Ok(Options {
        since,
        until,
        clients: args.client.iter().copied().map(logs::canonical).collect(),
        year: args.year,
        top: usize::from(args.top),
    })
}

/// Bytes read so far, on one stderr line redrawn at most twice a second.
struct Meter {
    enabled: bool,
    started: Instant,
    last: Option<Instant>,
    shown: bool,
}

impl Meter {
    const EVERY: Duration = Duration::from_millis(500);

    fn new(enabled: bool) -> Self {
        Self {
            enabled,
            started: Instant::now(),
            last: None,
            shown: false,
        }
    }

    fn show(&mut self, progress: Progress<'_>) {
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        // Small inputs finish before the first redraw: they show nothing.
        let due = match self.last {
            None => now.duration_since(self.started) >= Self::EVERY,
            Some(last) => now.duration_since(last) >= Self::EVERY,
        };
        if !due {
            return;
        }
        self.last = Some(now);
        let read = crate::files::size(progress.consumed);
        let text = match progress.size.filter(|size| *size > 0) {
            Some(size) => format!(
                "reading {}: {read} of {} ({}%)",
                progress.input,
                crate::files::size(size),
                progress.consumed.saturating_mul(100) / size
            ),
            None => format!("reading {}: {read}", progress.input),
        };
        eprint!("\r\x1b[K{}", single_line(&text));
        self.shown = true;
    }

    fn clear(&mut self) {
        if self.shown {
            eprint!("\r\x1b[K");
            self.shown = false;
        }
    }
}

fn print_human(report: &Report) -> Result<(), CliError> {
    let width = super::terminal_width();
    let inputs = report.inputs.join(", ");
    outln!(
        "{} ({} lines, {})",
        single_line(&inputs),
        thousands(report.lines),
        crate::files::size(report.bytes)
    )?;
    if let (Some(from), Some(to)) = (report.from, report.to) {
        outln!("from {from} to {to}")?;
    }
    if report.groups.is_empty() {
        outln!()?;
        outln!("No refusals found.")?;
        return notes(report);
    }
    outln!()?;
    outln!(
        "{} refusals in {} groups, largest first:",
        thousands(report.refusals),
        report.groups.len()
    )?;
    for (rank, group) in report.groups.iter().enumerate() {
        outln!()?;
        print_group(rank + 1, group, width)?;
    }
    notes(report)
}

fn print_group(rank: usize, group: &GroupReport, width: usize) -> Result<(), CliError> {
    let code = [group.code.as_deref(), group.enhanced.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let direction = match group.direction {
        logs::formats::Direction::Incoming => "refused by this server",
        logs::formats::Direction::Outgoing => "refused by another server",
    };
    let code = if code.is_empty() {
        String::new()
    } else {
        format!(" {code}")
    };
    outln!(
        "{rank}. {}{code}: {} times, {direction}",
        group.kind.as_str(),
        thousands(group.count)
    )?;
    if let (Some(first), Some(last)) = (group.first, group.last) {
        outln!("   first {first}, last {last}")?;
    }
    let cause = match &group.cause {
        Some(cause) => format!(
            "Cause: {} – {}",
            single_line(cause),
            single_line(&group.why)
        ),
        None => format!("What it is: {}", single_line(&group.why)),
    };
    outln!("{}", wrap(&cause, width, "   "))?;
    let lists: [(&str, Vec<(String, u64)>); 3] = [
        (
            "Clients",
            group
                .top_clients
                .iter()
                .map(|c| (c.client.clone(), c.count))
                .collect(),
        ),
        (
            "Senders",
            group
                .top_senders
                .iter()
                .map(|c| (c.sender.clone(), c.count))
                .collect(),
        ),
        (
            "Recipient domains",
            group
                .top_recipient_domains
                .iter()
                .map(|c| (c.domain.clone(), c.count))
                .collect(),
        ),
    ];
    for (label, entries) in lists {
        if entries.is_empty() {
            continue;
        }
        let text = entries
            .iter()
            .map(|(value, count)| format!("{} ({})", single_line(value), thousands(*count)))
            .collect::<Vec<_>>()
            .join(", ");
        outln!("{}", wrap(&format!("{label}: {text}"), width, "   "))?;
    }
    if group.approximate {
        outln!("   (top lists approximate: too many distinct values to count them all)")?;
    }
    outln!(
        "{}",
        wrap(&format!("Example: {}", group.example), width, "   ")
    )
}

fn notes(report: &Report) -> Result<(), CliError> {
    if report.long_lines > 0 {
        outln!()?;
        outln!(
            "Note: {} line(s) longer than {} were skipped.",
            thousands(report.long_lines),
            crate::files::size(logs::BLOCK as u64)
        )?;
    }
    if report.undated > 0 {
        outln!()?;
        outln!(
            "Note: {} refusal line(s) without a readable time were left out by --since/--until.",
            thousands(report.undated)
        )?;
    }
    Ok(())
}

fn wrap(text: &str, width: usize, indent: &str) -> String {
    let next = format!("{indent}  ");
    let options = textwrap::Options::new(width)
        .initial_indent(indent)
        .subsequent_indent(&next);
    textwrap::fill(text, options)
}

/// `1234567` → `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
