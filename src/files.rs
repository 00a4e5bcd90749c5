//! One bounded reader for every file relaydoc reads: knowledge and overlays, `--facts`, the
//! config file, CA files, sessions, main.cf/master.cf and the files they name, `explain` input.
//!
//! Metadata cannot be trusted: `/dev/zero` reports a length of 0 and never ends, a FIFO blocks
//! the opening process until someone writes to it. So every read here
//! - accepts a regular file only, unless the caller allows a pipe because the user named it
//!   explicitly (an `explain` or `postfix lint` argument such as `<(postconf -n)`); never a
//!   device, a folder or a socket;
//! - opens with `O_NONBLOCK` (cleared again once the kind is known), so a file swapped for a
//!   FIFO between the check and the open cannot hang us, and checks the kind of what was
//!   actually opened;
//! - reads at most `cap + 1` bytes, whatever the file says its size is;
//! - follows symbolic links only where the caller says that makes sense (the session store
//!   reads only its own files, so it does not), and never into a device, since the kind checked
//!   is the target's;
//! - names the path in every error, as one sanitised line (a file name may hold a newline or
//!   an escape sequence).

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::path::Path;

/// How one file may be read.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// The most bytes to read; a longer file is [`Problem::TooLarge`].
    pub cap: u64,
    /// A FIFO (or a shell's `<(…)`) is read too: only for paths the user named as input.
    pub pipes: bool,
    /// Symbolic links are followed (to a regular file only).
    pub follow_symlinks: bool,
}

impl Rules {
    /// A regular file of at most `cap` bytes, symbolic links followed.
    pub const fn regular(cap: u64) -> Self {
        Self {
            cap,
            pipes: false,
            follow_symlinks: true,
        }
    }

    /// Input the user named on the command line: a pipe is fine too.
    pub const fn input(cap: u64) -> Self {
        Self {
            pipes: true,
            ..Self::regular(cap)
        }
    }

    /// A file the program wrote itself: regular, and not a symbolic link.
    pub const fn own(cap: u64) -> Self {
        Self {
            follow_symlinks: false,
            ..Self::regular(cap)
        }
    }
}

/// Why a file was not read.
#[derive(Debug)]
pub enum Problem {
    NotFound,
    /// A folder, device, socket, FIFO or symbolic link where that is not allowed.
    NotRegular(&'static str),
    TooLarge(u64),
    Io(io::Error),
}

/// A file that was not read, and its path.
#[derive(Debug)]
pub struct FileError {
    /// The path as given, as one line without control characters.
    pub path: String,
    pub problem: Problem,
}

impl FileError {
    /// What is wrong, without the path (for messages that name the file themselves).
    pub fn reason(&self) -> String {
        match &self.problem {
            Problem::NotFound => "no such file".to_owned(),
            Problem::NotRegular(kind) => format!("{kind}, not a regular file; not read"),
            Problem::TooLarge(cap) => format!("larger than {}; not read", size(*cap)),
            Problem::Io(error) => format!("cannot read: {error}"),
        }
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self.problem, Problem::NotFound)
    }
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.reason())
    }
}

impl std::error::Error for FileError {}

/// A path as it may be shown: one line, no control characters, at most a short excerpt.
pub fn shown(path: &Path) -> String {
    crate::sanitize::excerpt(&path.to_string_lossy(), crate::sanitize::EXCERPT_CHARS)
}

/// Reads the whole file, or says why not: more than `rules.cap` bytes is an error.
pub fn read(path: &Path, rules: Rules) -> Result<Vec<u8>, FileError> {
    let bytes = read_prefix(path, rules)?;
    if bytes.len() as u64 > rules.cap {
        return Err(error(path, Problem::TooLarge(rules.cap)));
    }
    Ok(bytes)
}

/// Reads the file as text (invalid UTF-8 replaced).
pub fn read_lossy(path: &Path, rules: Rules) -> Result<String, FileError> {
    read(path, rules).map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
}

/// Reads at most `rules.cap + 1` bytes, so a caller that cuts long input can tell it did.
pub fn read_prefix(path: &Path, rules: Rules) -> Result<Vec<u8>, FileError> {
    let fail = |problem| error(path, problem);
    let (file, _) = open_checked(path, rules)?;
    let mut bytes = Vec::new();
    file.take(rules.cap.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| fail(Problem::Io(e)))?;
    Ok(bytes)
}

/// Opens the file under the same rules for a caller that streams it (`rules.cap` is not
/// applied: the caller bounds what it keeps, not what it reads), with the metadata of what was
/// actually opened (its length is 0 for a pipe).
pub fn open_checked(path: &Path, rules: Rules) -> Result<(File, std::fs::Metadata), FileError> {
    let fail = |problem| error(path, problem);
    // The kind is checked before opening (opening some devices has effects), and again on what
    // was opened, in case the path changed in between.
    let metadata = if rules.follow_symlinks {
        std::fs::metadata(path)
    } else {
        std::fs::symlink_metadata(path)
    }
    .map_err(|e| fail(io_problem(e)))?;
    let fifo = check_kind(&metadata, rules).map_err(fail)?;
    let file = open(path, rules, fifo).map_err(|e| fail(io_problem(e)))?;
    let opened = file.metadata().map_err(|e| fail(Problem::Io(e)))?;
    check_kind(&opened, rules).map_err(fail)?;
    Ok((file, opened))
}

fn error(path: &Path, problem: Problem) -> FileError {
    FileError {
        path: shown(path),
        problem,
    }
}

fn io_problem(error: io::Error) -> Problem {
    match error.kind() {
        io::ErrorKind::NotFound => Problem::NotFound,
        _ => match loop_error(&error) {
            true => Problem::NotRegular("a symbolic link"),
            false => Problem::Io(error),
        },
    }
}

/// `O_NOFOLLOW` on a symbolic link fails with `ELOOP`.
fn loop_error(error: &io::Error) -> bool {
    #[cfg(unix)]
    {
        error.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error())
    }
    #[cfg(not(unix))]
    {
        let _ = error;
        false
    }
}

/// Ok(true) for an allowed FIFO, Ok(false) for a regular file.
fn check_kind(metadata: &std::fs::Metadata, rules: Rules) -> Result<bool, Problem> {
    let kind = metadata.file_type();
    if kind.is_file() {
        return Ok(false);
    }
    if kind.is_dir() {
        return Err(Problem::NotRegular("a folder"));
    }
    if kind.is_symlink() {
        return Err(Problem::NotRegular("a symbolic link"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return if rules.pipes {
                Ok(true)
            } else {
                Err(Problem::NotRegular("a FIFO (named pipe)"))
            };
        }
        if kind.is_char_device() || kind.is_block_device() {
            return Err(Problem::NotRegular("a device"));
        }
        if kind.is_socket() {
            return Err(Problem::NotRegular("a socket"));
        }
    }
    let _ = rules;
    Err(Problem::NotRegular("a special file"))
}

#[cfg(unix)]
fn open(path: &Path, rules: Rules, fifo: bool) -> io::Result<File> {
    use rustix::fs::OFlags;
    use std::os::unix::fs::OpenOptionsExt;
    let mut flags = OFlags::NOCTTY;
    if !rules.follow_symlinks {
        flags |= OFlags::NOFOLLOW;
    }
    // A FIFO the user named is opened as `cat` would: waiting for its writer is what they
    // asked for (a non-blocking open would read an empty pipe whose writer has not started).
    if !fifo {
        flags |= OFlags::NONBLOCK;
    }
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(flags.bits() as i32)
        .open(path)?;
    if !fifo {
        // Reads from what turned out to be a regular file block as usual again.
        let current = rustix::fs::fcntl_getfl(&file)?;
        rustix::fs::fcntl_setfl(&file, current - OFlags::NONBLOCK)?;
    }
    Ok(file)
}

#[cfg(not(unix))]
fn open(path: &Path, _rules: Rules, _fifo: bool) -> io::Result<File> {
    OpenOptions::new().read(true).open(path)
}

/// `512 KiB`, `8 MiB`: sizes as people read them.
pub fn size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    if bytes >= KIB * KIB && bytes.is_multiple_of(KIB * KIB) {
        format!("{} MiB", bytes / (KIB * KIB))
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_regular_file_is_read_whole_and_a_longer_one_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("a.txt");
        std::fs::write(&path, b"0123456789").expect("write");
        assert_eq!(
            read(&path, Rules::regular(10)).expect("read"),
            b"0123456789"
        );
        let error = read(&path, Rules::regular(9)).expect_err("too large");
        assert!(matches!(error.problem, Problem::TooLarge(9)), "{error}");
        assert_eq!(
            read_prefix(&path, Rules::regular(4)).expect("prefix").len(),
            5
        );
    }

    #[cfg(unix)]
    #[test]
    fn devices_folders_and_dangling_names_are_named_not_read() {
        let dir = tempfile::tempdir().expect("temp dir");
        let link = dir.path().join("zero.yaml");
        std::os::unix::fs::symlink("/dev/zero", &link).expect("symlink");
        let error = read(&link, Rules::regular(1 << 20)).expect_err("device");
        assert!(
            error.to_string().starts_with(&link.display().to_string()),
            "{error}"
        );
        assert!(error.to_string().contains("a device"), "{error}");
        let error = read(dir.path(), Rules::regular(1)).expect_err("folder");
        assert!(error.to_string().contains("a folder"), "{error}");
        let error = read(&dir.path().join("none"), Rules::regular(1)).expect_err("missing");
        assert!(error.is_not_found());
    }

    #[cfg(unix)]
    #[test]
    fn own_files_are_not_followed_through_links() {
        let dir = tempfile::tempdir().expect("temp dir");
        let target = dir.path().join("target.json");
        std::fs::write(&target, b"{}").expect("write");
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink(&target, &link).expect("symlink");
        assert!(read(&link, Rules::regular(10)).is_ok());
        let error = read(&link, Rules::own(10)).expect_err("a link");
        assert!(error.to_string().contains("symbolic link"), "{error}");
    }

    #[test]
    fn a_path_with_a_newline_stays_on_one_line() {
        let error = read(
            Path::new("/nonexistent\nrelaydoc: forged"),
            Rules::regular(1),
        )
        .expect_err("missing");
        assert!(!error.to_string().contains('\n'), "{error}");
    }

    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(size(512 * 1024), "512 KiB");
        assert_eq!(size(8 * 1024 * 1024), "8 MiB");
        assert_eq!(size(1000), "1000 bytes");
    }
}
