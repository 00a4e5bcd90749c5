//! The real binary with nothing of the developer's own setup: an empty environment but PATH,
//! and HOME plus every platform dir inside one temporary folder, so nothing is read from the
//! developer's config and everything relaydoc writes lands there.

#![allow(dead_code)]

use std::path::Path;

use assert_cmd::Command;

/// `relaydoc` with `home` as HOME and the XDG dirs in their usual places below it
/// (so `home/.config/relaydoc/knowledge` is the user's knowledge folder).
pub fn relaydoc(home: &Path) -> Command {
    let mut command = Command::cargo_bin("relaydoc").expect("the relaydoc binary");
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env("XDG_STATE_HOME", home.join(".local/state"))
        .env("XDG_CACHE_HOME", home.join(".cache"))
        .env("NO_COLOR", "1");
    command
}
