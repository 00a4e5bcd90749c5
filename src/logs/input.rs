//! Opening one log input: a file (plain or gzip, told apart by its first bytes, not its name)
//! or standard input, counted as it is read so progress can be shown.

use std::cell::Cell;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use super::stamp::YearRule;
use crate::files::{self, FileError, Rules};

/// Where log lines come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Stdin,
    File(PathBuf),
}

impl Source {
    /// `-` is standard input; anything else a path.
    pub fn from_arg(path: &Path) -> Self {
        if path.as_os_str() == "-" {
            Self::Stdin
        } else {
            Self::File(path.to_path_buf())
        }
    }

    /// The name shown in reports and messages: one clean line.
    pub fn name(&self) -> String {
        match self {
            Self::Stdin => "-".to_owned(),
            Self::File(path) => files::shown(path),
        }
    }
}

/// An input ready to read.
pub struct Opened {
    pub reader: Box<dyn Read>,
    /// Bytes taken from the file or pipe so far (compressed bytes for gzip).
    pub consumed: Rc<Cell<u64>>,
    /// The file's size, when it is a regular file.
    pub size: Option<u64>,
    pub gzip: bool,
    /// The year syslog dates without one are placed in.
    pub years: YearRule,
}

impl std::fmt::Debug for Opened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opened")
            .field("size", &self.size)
            .field("gzip", &self.gzip)
            .field("years", &self.years)
            .finish_non_exhaustive()
    }
}

/// gzip's magic number (RFC 1952, section 2.3.1).
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// Large reads keep system calls few on multi-gigabyte logs.
const READ_BUFFER: usize = 256 * 1024;

/// Opens the source; `year` overrides the year syslog dates are placed in.
pub fn open(source: &Source, year: Option<u16>) -> Result<Opened, FileError> {
    let consumed = Rc::new(Cell::new(0));
    let (raw, size, modified): (Box<dyn Read>, Option<u64>, Option<std::time::SystemTime>) =
        match source {
            Source::Stdin => (Box::new(io::stdin().lock()), None, None),
            Source::File(path) => {
                // A pipe the person named (`<(journalctl …)`) is read too; a device never.
                let (file, metadata) = files::open_checked(path, Rules::input(u64::MAX))?;
                let size = metadata.is_file().then_some(metadata.len());
                (Box::new(file), size, metadata.modified().ok())
            }
        };
    let counted = Counted {
        inner: raw,
        consumed: Rc::clone(&consumed),
    };
    let mut buffered = BufReader::with_capacity(READ_BUFFER, counted);
    let gzip = match buffered.fill_buf() {
        Ok(head) => head.starts_with(&GZIP_MAGIC),
        Err(error) => {
            return Err(FileError {
                path: source.name(),
                problem: files::Problem::Io(error),
            });
        }
    };
    let reader: Box<dyn Read> = if gzip {
        // Rotated logs are sometimes several gzip members end to end (`cat a.gz b.gz`).
        Box::new(flate2::read::MultiGzDecoder::new(buffered))
    } else {
        Box::new(buffered)
    };
    let years = match year {
        Some(year) => YearRule::fixed(year),
        None => YearRule::at(modified.unwrap_or_else(std::time::SystemTime::now)),
    };
    Ok(Opened {
        reader,
        consumed,
        size,
        gzip,
        years,
    })
}

/// Counts the bytes read through it.
struct Counted {
    inner: Box<dyn Read>,
    consumed: Rc<Cell<u64>>,
}

impl Read for Counted {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.consumed.set(self.consumed.get() + n as u64);
        Ok(n)
    }
}
