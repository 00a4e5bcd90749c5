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
//! - [`simulate`]: the restriction walk for one RCPT (`relaydoc postfix simulate`).
//!
//! Nothing here does I/O except reading the files a configuration names (lookup tables,
//! `/file` lists), each bounded in size.

pub mod config;
pub mod lint;
pub mod maps;
pub mod master;
pub mod names;
pub mod net;
pub mod simulate;

/// The most bytes relaydoc reads from any one configuration or table file. Real main.cf files
/// are a few KiB; the bound keeps a mistaken argument (a log, a disk image) from eating memory.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// Reads at most [`MAX_FILE_BYTES`] of a file as text (invalid UTF-8 replaced), or says why not.
pub fn read_bounded(path: &std::path::Path) -> Result<String, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|error| format!("cannot open: {error}"))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| format!("cannot read: {error}"))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(format!(
            "larger than {} MiB; that is not a Postfix configuration file",
            MAX_FILE_BYTES / (1024 * 1024)
        ));
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Like [`read_bounded`], for files a configuration names (lookup tables, `/file` lists): only
/// regular files, so a setting such as `mynetworks = /dev/stdin` or a FIFO can never block.
pub fn read_named_file(path: &std::path::Path) -> Result<String, String> {
    let metadata = std::fs::metadata(path).map_err(|error| format!("cannot open: {error}"))?;
    if !metadata.is_file() {
        return Err("not a regular file; not read".to_owned());
    }
    read_bounded(path)
}
