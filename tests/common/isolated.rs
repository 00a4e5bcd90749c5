//! The real binary with nothing of the developer's own setup: an empty environment but PATH,
//! and HOME plus every platform dir inside one temporary folder, so nothing is read from the
//! developer's config and everything relaydoc writes lands there.

#![allow(dead_code)]

use std::path::Path;

/// `relaydoc` with `home` as HOME and the XDG dirs in their usual places below it
/// (so `home/.config/relaydoc/knowledge` is the user's knowledge folder), for assert_cmd.
pub fn relaydoc(home: &Path) -> assert_cmd::Command {
    assert_cmd::Command::from_std(relaydoc_std(home))
}

/// The same isolated `relaydoc` as a std command: for pseudo-terminals (rexpect) and spawned
/// processes a test kills.
pub fn relaydoc_std(home: &Path) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_relaydoc"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env("XDG_STATE_HOME", home.join(".local/state"))
        .env("XDG_CACHE_HOME", home.join(".cache"))
        .env("NO_COLOR", "1")
        // The lab's DNS server serves only its test zones, so one of them is the name that
        // must exist, which proves a resolver works before "does not exist" is believed.
        .env("RELAYDOC_DNS_KNOWN_NAME", "example.test")
        // `settings` looks unknown addresses up on the internet; tests contact only loopback
        // (tests/discovery.rs points every lookup at its own servers instead).
        .env("RELAYDOC_OFFLINE", "1");
    command
}
