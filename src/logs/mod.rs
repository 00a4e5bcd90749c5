//! `logs`: every refusal in whole mail logs, grouped by kind, with counts, times, the clients,
//! senders and recipient domains involved, and the cause the explain signatures give.
//!
//! Built to read logs of any size at close to the speed of `grep`, in bounded memory:
//! - input is read in fixed blocks ([`BLOCK`]); a line never has to fit anywhere but the block
//!   (longer lines are counted and skipped);
//! - one multi-pattern scan ([`formats::MARKERS`]) runs over each whole block, so the lines that
//!   cannot be refusals (most of a busy log) are never looked at one by one; only lines
//!   around a marker are split out and classified ([`formats::Classifier`]), without
//!   allocating;
//! - counts live in a bounded number of groups, each with bounded top-N tallies
//!   ([`tally::Tally`]: exact below 4096 distinct values per list, approximate above, and the
//!   report says so);
//! - the explain signatures (regular expressions) run once per group at the end, on its few
//!   example lines, not once per line.

pub mod formats;
pub mod input;
pub mod refusals;
pub mod report;
pub mod stamp;
pub mod tally;

use std::io::{self, Read};
use std::net::IpAddr;

use aho_corasick::Input;
use serde::Serialize;

use crate::explain::Signatures;
use formats::{Classifier, Columns};
use input::{Opened, Source};
pub use report::GroupReport;
use stamp::{Stamp, YearRule};

/// Bytes read and scanned at a time.
pub const BLOCK: usize = 1024 * 1024;

/// What to count.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Only refusals at or after this time.
    pub since: Option<Stamp>,
    /// Only refusals before this time.
    pub until: Option<Stamp>,
    /// Only refusals of these clients.
    pub clients: Vec<IpAddr>,
    /// The year for syslog dates, instead of the one each file's modification time suggests.
    pub year: Option<u16>,
    /// Entries in each top list.
    pub top: usize,
}

/// The `logs --json` contract (first seven fields), and what else a reader may want.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub inputs: Vec<String>,
    pub lines: u64,
    /// Bytes of log text read (after gzip decompression).
    pub bytes: u64,
    pub from: Option<Stamp>,
    pub to: Option<Stamp>,
    pub groups: Vec<GroupReport>,
    /// Refusals counted (the sum of the groups' counts).
    pub refusals: u64,
    /// Lines longer than a block, skipped unread.
    pub long_lines: u64,
    /// Refusal lines left out because they carry no time `--since`/`--until` could test.
    pub undated: u64,
}

/// How far the reading of one input has got, for a progress display.
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a> {
    pub input: &'a str,
    /// Bytes taken from the file or pipe (compressed bytes for gzip).
    pub consumed: u64,
    /// The file's size, when known.
    pub size: Option<u64>,
}

/// A log that could not be read to its end.
#[derive(Debug)]
pub struct ReadError {
    pub input: String,
    pub error: io::Error,
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.error.kind() == io::ErrorKind::InvalidInput
            || self.error.kind() == io::ErrorKind::InvalidData
        {
            write!(
                f,
                "{}: not readable as a log (corrupt gzip?): {}",
                self.input, self.error
            )
        } else {
            write!(f, "{}: cannot read: {}", self.input, self.error)
        }
    }
}

impl std::error::Error for ReadError {}

/// Counts refusals across inputs; [`Scanner::finish`] turns the counts into a [`Report`].
#[derive(Debug)]
pub struct Scanner {
    classifier: Classifier,
    options: Options,
    groups: report::Groups,
    inputs: Vec<String>,
    lines: u64,
    bytes: u64,
    from: Option<Stamp>,
    to: Option<Stamp>,
    long_lines: u64,
    undated: u64,
    block: Vec<u8>,
}

/// What the scanner knows about the input it is reading.
#[derive(Debug)]
struct InputState {
    years: YearRule,
    /// Set from the input's first block: an Exchange message-tracking file (CSV) rather than
    /// syslog-style lines.
    exchange: Option<bool>,
    /// An Exchange message-tracking file's columns, once its `#Fields:` header was read.
    columns: Option<Columns>,
}

/// How far into an input its format is looked for: Exchange writes its `#` header first.
const FORMAT_PROBE: usize = 64 * 1024;

impl Scanner {
    pub fn new(options: Options) -> Self {
        Self {
            classifier: Classifier::new(),
            options,
            groups: report::Groups::default(),
            inputs: Vec::new(),
            lines: 0,
            bytes: 0,
            from: None,
            to: None,
            long_lines: 0,
            undated: 0,
            block: vec![0; BLOCK],
        }
    }

    /// Reads one opened input to its end.
    pub fn read(
        &mut self,
        source: &Source,
        opened: Opened,
        progress: &mut dyn FnMut(Progress<'_>),
    ) -> Result<(), ReadError> {
        let name = source.name();
        self.inputs.push(name.clone());
        let Opened {
            mut reader,
            consumed,
            size,
            years,
            ..
        } = opened;
        let mut state = InputState {
            years,
            exchange: None,
            columns: None,
        };
        self.read_from(&mut reader, &mut state, &mut || {
            progress(Progress {
                input: &name,
                consumed: consumed.get(),
                size,
            })
        })
        .map_err(|error| ReadError {
            input: name.clone(),
            error,
        })
    }

    fn read_from(
        &mut self,
        reader: &mut dyn Read,
        state: &mut InputState,
        progress: &mut dyn FnMut(),
    ) -> io::Result<()> {
        let mut block = std::mem::take(&mut self.block);
        let result = self.read_blocks(reader, state, progress, &mut block);
        self.block = block;
        result
    }

    fn read_blocks(
        &mut self,
        reader: &mut dyn Read,
        state: &mut InputState,
        progress: &mut dyn FnMut(),
        block: &mut [u8],
    ) -> io::Result<()> {
        let mut filled = 0;
        // Inside a line longer than the block: its bytes are dropped up to its end.
        let mut skipping = false;
        loop {
            let n = match reader.read(&mut block[filled..]) {
                Ok(n) => n,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(error),
            };
            if n == 0 {
                if filled > 0 {
                    if skipping {
                        self.lines += 1;
                    } else {
                        // The last line, without a final newline.
                        self.lines += 1;
                        self.scan(&block[..filled], state);
                    }
                }
                progress();
                return Ok(());
            }
            self.bytes += n as u64;
            filled += n;
            match memchr::memrchr(b'\n', &block[..filled]) {
                Some(last) => {
                    let mut start = 0;
                    if skipping {
                        // The long line ends at the first newline.
                        if let Some(end) = memchr::memchr(b'\n', &block[..=last]) {
                            start = end + 1;
                            self.lines += 1;
                            skipping = false;
                        }
                    }
                    self.lines += memchr::memchr_iter(b'\n', &block[start..=last]).count() as u64;
                    self.scan(&block[start..=last], state);
                    block.copy_within(last + 1..filled, 0);
                    filled -= last + 1;
                }
                None if filled == block.len() => {
                    if !skipping {
                        self.long_lines += 1;
                        skipping = true;
                    }
                    filled = 0;
                }
                None => {}
            }
            progress();
        }
    }

    /// Scans whole lines: the time span from the block's first and last lines, then each line
    /// around a marker.
    fn scan(&mut self, block: &[u8], state: &mut InputState) {
        let body = block.strip_suffix(b"\n").unwrap_or(block);
        if body.is_empty() {
            return;
        }
        // The first dated line among the first few (a file may open with headers).
        for line in body.split(|&b| b == b'\n').take(16) {
            if self.span(line, state.years) {
                break;
            }
        }
        if let Some(last_start) = memchr::memrchr(b'\n', body) {
            let _ = self.span(&body[last_start + 1..], state.years);
        }
        let exchange = *state.exchange.get_or_insert_with(|| {
            let head = &body[..body.len().min(FORMAT_PROBE)];
            head.starts_with(b"#Software: Microsoft Exchange")
                || memchr::memmem::find(head, b"\n#Fields: date-time,").is_some()
                || head.starts_with(b"#Fields: date-time,")
        });
        let mut at = 0;
        while at < body.len() {
            let markers = if exchange {
                &self.classifier.exchange_markers
            } else {
                &self.classifier.markers
            };
            let Some(found) = markers.find(Input::new(body).span(at..body.len())) else {
                break;
            };
            let start = memchr::memrchr(b'\n', &body[..found.start()]).map_or(0, |i| i + 1);
            let end =
                memchr::memchr(b'\n', &body[found.end()..]).map_or(body.len(), |i| found.end() + i);
            let line = &body[start..end];
            self.line(line.strip_suffix(b"\r").unwrap_or(line), state);
            at = end + 1;
        }
    }

    /// Widens the time span to the line's time; false when it has none.
    fn span(&mut self, line: &[u8], years: YearRule) -> bool {
        let Some(time) = stamp::parse(line, years) else {
            return false;
        };
        self.from = Some(self.from.map_or(time, |t| t.min(time)));
        self.to = Some(self.to.map_or(time, |t| t.max(time)));
        true
    }

    fn line(&mut self, line: &[u8], state: &mut InputState) {
        if line.starts_with(b"#Fields:") {
            state.columns = Columns::from_header(line);
            return;
        }
        let event = match &state.columns {
            Some(columns) => self.classifier.exchange(line, columns),
            None => self.classifier.classify(line),
        };
        let Some(event) = event else {
            return;
        };
        let time = stamp::parse(line, state.years);
        if let Some(time) = time {
            self.from = Some(self.from.map_or(time, |t| t.min(time)));
            self.to = Some(self.to.map_or(time, |t| t.max(time)));
        }
        if self.options.since.is_some() || self.options.until.is_some() {
            let Some(time) = time else {
                self.undated += 1;
                return;
            };
            if self.options.since.is_some_and(|since| time < since)
                || self.options.until.is_some_and(|until| time >= until)
            {
                return;
            }
        }
        if !self.options.clients.is_empty() {
            let ip = event
                .client_ip
                .and_then(|ip| std::str::from_utf8(ip).ok())
                .and_then(|ip| ip.parse::<IpAddr>().ok())
                .map(canonical);
            if !ip.is_some_and(|ip| self.options.clients.contains(&ip)) {
                return;
            }
        }
        self.groups.add(&event, time, line);
    }

    /// Refusals counted so far.
    pub fn refusals(&self) -> u64 {
        self.groups.total()
    }

    /// The report: groups largest first, each with its cause.
    pub fn finish(self, signatures: &Signatures) -> Report {
        let refusals = self.groups.total();
        let top = if self.options.top == 0 {
            5
        } else {
            self.options.top
        };
        Report {
            inputs: self.inputs,
            lines: self.lines,
            bytes: self.bytes,
            from: self.from,
            to: self.to,
            groups: self.groups.finish(signatures, top),
            refusals,
            long_lines: self.long_lines,
            undated: self.undated,
        }
    }
}

/// An address as compared: IPv4-mapped IPv6 (`::ffff:192.0.2.1`, as Dovecot may log) is IPv4.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// Opens and reads every source in turn.
pub fn scan(
    sources: &[Source],
    options: Options,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<Scanner, ScanError> {
    // Every input is opened first, so a missing file is reported before hours of reading.
    let opened = sources
        .iter()
        .map(|source| input::open(source, options.year))
        .collect::<Result<Vec<_>, _>>()
        .map_err(ScanError::Open)?;
    let mut scanner = Scanner::new(options);
    for (source, opened) in sources.iter().zip(opened) {
        scanner
            .read(source, opened, progress)
            .map_err(ScanError::Read)?;
    }
    Ok(scanner)
}

/// Why a scan stopped.
#[derive(Debug)]
pub enum ScanError {
    Open(crate::files::FileError),
    Read(ReadError),
}

impl std::fmt::Display for ScanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Open(error) => error.fmt(f),
            Self::Read(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for ScanError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan_text(text: &[u8], options: Options) -> Scanner {
        let mut scanner = Scanner::new(options);
        let mut state = InputState {
            years: YearRule::fixed(2026),
            exchange: None,
            columns: None,
        };
        let mut reader = text;
        scanner
            .read_from(&mut reader, &mut state, &mut || {})
            .expect("reads");
        scanner
    }

    const RELAY: &str = "Aug 13 12:23:49 casanas postfix/smtpd[29547]: NOQUEUE: reject: RCPT from unknown[172.19.0.3]: 554 5.7.1 <philip@yewtreeapps.com>: Relay access denied; from=<rockstor@fastmail.co.uk> to=<philip@yewtreeapps.com> proto=SMTP helo=<d0c53e054ff4>";

    #[test]
    fn lines_are_counted_with_or_without_a_final_newline() {
        let text = format!("a\nb\n{RELAY}");
        let scanner = scan_text(text.as_bytes(), Options::default());
        assert_eq!(scanner.lines, 3);
        assert_eq!(scanner.refusals(), 1);
    }

    #[test]
    fn a_line_longer_than_a_block_is_skipped_and_the_next_one_read() {
        let mut text = vec![b'x'; BLOCK * 2 + 10];
        text.push(b'\n');
        text.extend_from_slice(RELAY.as_bytes());
        text.push(b'\n');
        let scanner = scan_text(&text, Options::default());
        assert_eq!(scanner.long_lines, 1);
        assert_eq!(scanner.lines, 2);
        assert_eq!(scanner.refusals(), 1);
    }

    #[test]
    fn lines_split_across_blocks_are_read_whole() {
        let mut text = Vec::new();
        let mut count = 0;
        while text.len() < BLOCK * 3 {
            text.extend_from_slice(RELAY.as_bytes());
            text.extend_from_slice(b"\nJun 1 00:00:00 mx postfix/qmgr[1]: ABC: removed\n");
            count += 1;
        }
        let scanner = scan_text(&text, Options::default());
        assert_eq!(scanner.refusals(), count);
        assert_eq!(scanner.lines, count * 2);
    }
}
