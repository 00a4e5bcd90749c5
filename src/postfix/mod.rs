//! Postfix configuration: reading it, judging it, and replaying its relay decision.
//!
//! This module owns everything relaydoc knows about Postfix itself:
//! - [`config`]: the main.cf / `postconf -n` reader, `$name` expansion, and the defaults that
//!   apply for a given `mail_version` and `compatibility_level`;
//! - [`master`]: the master.cf reader (services and their `-o` overrides);
//! - [`names`]: the table of known parameter names, for "did you mean";
//! - [`net`]: address patterns (`mynetworks`, CIDR tables);
//! - [`maps`]: the lookup tables relaydoc can read itself (`texthash:`, `hash:` sources,
//!   `inline:`, `cidr:`);
//! - [`lint`]: findings about a configuration (`relaydoc postfix lint`);
//! - [`simulate`]: the restriction walk for one RCPT (`relaydoc postfix simulate`);
//! - [`refused`]: the relay denials of a log read next to the configuration
//!   (`relaydoc postfix lint --log`).
//!
//! Nothing here does I/O except reading the files a configuration names (lookup tables,
//! `/file` lists), each bounded in size.

pub mod config;
pub mod lint;
pub mod maps;
pub mod master;
pub mod names;
pub mod net;
pub mod refused;
pub mod simulate;

/// The most bytes relaydoc reads from any one configuration or table file. Real main.cf files
/// are a few KiB; the bound keeps a mistaken argument (a log, a disk image) from eating memory.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// A configuration file that was not read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Bigger than any configuration: the words say it is probably the wrong file.
    #[error("{}: {}; that is not a Postfix configuration file", .0.path, .0.reason())]
    TooLarge(crate::files::FileError),
    #[error(transparent)]
    File(crate::files::FileError),
}

/// Reads a configuration file the user named (a pipe such as `<(postconf -n)` too) as text,
/// invalid UTF-8 replaced; at most [`MAX_FILE_BYTES`]. The error names the path.
pub fn read_bounded(path: &std::path::Path) -> Result<String, ReadError> {
    crate::files::read_lossy(path, crate::files::Rules::input(MAX_FILE_BYTES)).map_err(|e| match e
        .problem
    {
        crate::files::Problem::TooLarge(_) => ReadError::TooLarge(e),
        _ => ReadError::File(e),
    })
}

/// Like [`read_bounded`], for files a configuration names (lookup tables, `/file` lists): only
/// regular files, so a setting such as `mynetworks = /dev/stdin` or a FIFO can never block.
/// The caller names the setting and the file; [`crate::files::FileError::reason`] says why.
pub fn read_named_file(path: &std::path::Path) -> Result<String, crate::files::FileError> {
    crate::files::read_lossy(path, crate::files::Rules::regular(MAX_FILE_BYTES))
}
