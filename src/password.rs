//! The helpdesk's SMTP password: where it comes from, and the OS keyring that can keep it.
//!
//! Order: the environment variable named by `helpdesk.smtp.password_env` (default
//! `RELAYDOC_SMTP_PASSWORD`), then the OS keyring (service `relaydoc-smtp`, user = the SMTP
//! user name). Never the config file, never an argument. The value lives in a [`Secret`](crate::vocab::Secret),
//! whose Debug output is `Secret(****)`; nothing here logs, prints or writes it anywhere but the keyring.
//!
//! Keyrings are pure-Rust stores only (no D-Bus): the kernel's keyutils on Linux, the Keychain
//! on macOS, the Credential Manager on Windows. On Linux the kernel keeps a key until reboot,
//! and its per-user persistent keyring expires after some days unused
//! (`/proc/sys/kernel/keys/persistent_keyring_expiry`). A process without a login session
//! (containers, cron, services) is given a session keyring first, see
//! [`prepare_kernel_keyring`]. The environment variable always works.

use std::fmt;

use crate::config::SmtpConfig;
use crate::vocab::Secret;

/// The keyring service name relaydoc stores the SMTP password under.
pub const KEYRING_SERVICE: &str = "relaydoc-smtp";

/// Where a password came from (never the password itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordSource {
    /// The named environment variable.
    Env(String),
    /// The OS keyring, under [`KEYRING_SERVICE`] and this user.
    Keyring { user: String },
}

impl fmt::Display for PasswordSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PasswordSource::Env(name) => write!(f, "the environment variable {name}"),
            PasswordSource::Keyring { user } => {
                write!(f, "the OS keyring ({KEYRING_SERVICE}, user {user})")
            }
        }
    }
}

/// Why no password could be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error(
        "no SMTP password for {user}: set the environment variable {env_var}, or store it in \
         the OS keyring with `relaydoc config set-password`{keyring_note}"
    )]
    Missing {
        user: String,
        env_var: String,
        /// Why the keyring could not help, when that is known (starts with "; ").
        keyring_note: String,
    },
    #[error("the environment variable {0} does not hold valid UTF-8 text")]
    NotUnicode(String),
}

/// Why the keyring could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct KeyringError(pub String);

/// The password for `smtp`'s user: `Ok(None)` when no login is configured (no `username`).
pub fn find(smtp: &SmtpConfig) -> Result<Option<(Secret, PasswordSource)>, PasswordError> {
    let Some(user) = &smtp.username else {
        return Ok(None);
    };
    match std::env::var(&smtp.password_env) {
        Ok(value) if !value.is_empty() => {
            return Ok(Some((
                Secret::new(value),
                PasswordSource::Env(smtp.password_env.clone()),
            )));
        }
        Ok(_) | Err(std::env::VarError::NotPresent) => {}
        Err(std::env::VarError::NotUnicode(_)) => {
            return Err(PasswordError::NotUnicode(smtp.password_env.clone()));
        }
    }
    let keyring_note = match keyring_get(user) {
        Ok(Some(password)) => {
            return Ok(Some((
                password,
                PasswordSource::Keyring { user: user.clone() },
            )));
        }
        Ok(None) => String::new(),
        Err(error) => format!("; the OS keyring cannot be used here: {error}"),
    };
    Err(PasswordError::Missing {
        user: user.clone(),
        env_var: smtp.password_env.clone(),
        keyring_note,
    })
}

/// What `relaydoc config check` says about the password, without reading it out.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PasswordStatus {
    /// The variable consulted first.
    pub env_var: String,
    /// Whether it is set (and not empty).
    pub env_set: bool,
    /// `present`, `absent`, or `unavailable`.
    pub keyring: &'static str,
    /// Why the keyring is unavailable.
    pub keyring_problem: Option<String>,
    /// `env`, `keyring`, or `None` when there is no password.
    pub source: Option<&'static str>,
}

/// Where the password for `user` would come from.
pub fn status(smtp: &SmtpConfig, user: &str) -> PasswordStatus {
    let env_set = std::env::var_os(&smtp.password_env).is_some_and(|v| !v.is_empty());
    let (keyring, keyring_problem) = match keyring_get(user) {
        Ok(Some(_)) => ("present", None),
        Ok(None) => ("absent", None),
        Err(error) => ("unavailable", Some(error.0)),
    };
    let source = if env_set {
        Some("env")
    } else if keyring == "present" {
        Some("keyring")
    } else {
        None
    };
    PasswordStatus {
        env_var: smtp.password_env.clone(),
        env_set,
        keyring,
        keyring_problem,
        source,
    }
}

fn entry(user: &str) -> Result<keyring::Entry, KeyringError> {
    prepare_kernel_keyring()?;
    keyring::Entry::new(KEYRING_SERVICE, user).map_err(|e| describe(&e))
}

/// The stored password for `user`, `None` when there is none.
pub fn keyring_get(user: &str) -> Result<Option<Secret>, KeyringError> {
    match entry(user)?.get_password() {
        Ok(password) => Ok(Some(Secret::new(password))),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(error) => Err(describe(&error)),
    }
}

/// Stores `password` for `user`, replacing what was there.
pub fn keyring_set(user: &str, password: &Secret) -> Result<(), KeyringError> {
    if password.is_empty() {
        return Err(KeyringError(String::from(
            "an empty password cannot be stored",
        )));
    }
    entry(user)?
        .set_password(password.expose())
        .map_err(|e| describe(&e))
}

/// Removes the stored password for `user`; `false` when there was none.
pub fn keyring_delete(user: &str) -> Result<bool, KeyringError> {
    match entry(user)?.delete_credential() {
        Ok(()) => Ok(true),
        Err(keyring::Error::NoEntry) => Ok(false),
        Err(error) => Err(describe(&error)),
    }
}

/// How long the OS keyring keeps a password, in words for the person who stored it.
pub fn keyring_persistence() -> String {
    if !cfg!(target_os = "linux") {
        return String::from(
            "the system keychain keeps it until you remove it (`relaydoc config delete-password`)",
        );
    }
    // The kernel's expiry for an unused persistent keyring, in seconds (default 3 days).
    let days = std::fs::read_to_string("/proc/sys/kernel/keys/persistent_keyring_expiry")
        .ok()
        .and_then(|text| text.trim().parse::<u64>().ok())
        .map(|secs| secs.div_ceil(86_400));
    let unused = match days {
        Some(days) => format!("after {days} day(s) without use"),
        None => String::from("after some days without use"),
    };
    format!(
        "the Linux kernel keyring keeps it until the next reboot, and drops it {unused}; for a \
         lasting setup put it in the environment variable instead"
    )
}

fn describe(error: &keyring::Error) -> KeyringError {
    // keyring's own messages never include the secret; they name the platform failure.
    let text = match error {
        keyring::Error::NoStorageAccess(inner) => {
            format!("the keyring refused access: {inner}")
        }
        keyring::Error::PlatformFailure(inner) => format!("the keyring failed: {inner}"),
        keyring::Error::NoEntry => String::from("no password is stored"),
        other => other.to_string(),
    };
    KeyringError(crate::sanitize::single_line(&text))
}

/// On Linux: makes the kernel keyring usable by this process, or says why it cannot be.
///
/// keyring-rs keeps each key in the session keyring and links it into the per-user persistent
/// keyring, which is what lets a later process find it. A process that never joined a session
/// keyring (no PAM login: containers, `docker exec`, cron, many services) falls back to the
/// shared user-session keyring `_uid_ses.UID`, where the kernel refuses that link and
/// keyring-rs reports every key as missing. Asking for the persistent keyring on behalf of the
/// session keyring first (what `keyctl get_persistent @s` does) makes the kernel give the
/// process a session keyring of its own with the persistent keyring linked into it; after that
/// keyring-rs works as in a login session. Without persistent keyrings in the kernel a stored
/// password would vanish when relaydoc exits, so that is refused.
#[cfg(target_os = "linux")]
fn prepare_kernel_keyring() -> Result<(), KeyringError> {
    use linux_keyutils::{KeyRing, KeyRingIdentifier};
    KeyRing::get_persistent(KeyRingIdentifier::Session).map_err(|error| {
        KeyringError(format!(
            "the kernel keyring cannot keep a password beyond this process (no persistent \
             keyring: {error:?})"
        ))
    })?;
    let session = KeyRing::from_special_id(KeyRingIdentifier::Session, false).map_err(|error| {
        KeyringError(format!("the kernel keyring is not available ({error:?})"))
    })?;
    let shared = session
        .metadata()
        .map(|m| m.get_description().starts_with("_uid_ses."))
        .unwrap_or(false);
    if shared {
        return Err(KeyringError(String::from(
            "this process has no kernel session keyring (usual in containers, cron jobs and \
             services), so the keyring cannot keep or find passwords; run relaydoc inside one \
             (`keyctl session - relaydoc …`)",
        )));
    }
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn prepare_kernel_keyring() -> Result<(), KeyringError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_password() {
        let password = Secret::new("hunter2");
        assert_eq!(format!("{password:?}"), "Secret(****)");
        let wrapped = Some((password, PasswordSource::Env("X".into())));
        assert!(!format!("{wrapped:?}").contains("hunter2"));
    }

    #[test]
    fn no_username_means_no_password_needed() {
        let smtp = SmtpConfig::new("smtp.example.com", "a@example.com");
        assert_eq!(find(&smtp), Ok(None));
    }

    #[test]
    fn the_named_environment_variable_comes_first() {
        let mut smtp = SmtpConfig::new("smtp.example.com", "a@example.com");
        smtp.username = Some(String::from("nobody-unit-test@example.test"));
        // A variable the test process surely has: `set_var` is unsafe in edition 2024, and
        // tests share one process.
        smtp.password_env = String::from("PATH");
        let path = std::env::var("PATH").expect("PATH is set for tests");
        let (password, source) = find(&smtp).expect("ok").expect("some");
        assert_eq!(password.expose(), path);
        assert_eq!(source, PasswordSource::Env(String::from("PATH")));
    }

    #[test]
    fn a_missing_password_says_both_ways_to_give_it() {
        let mut smtp = SmtpConfig::new("smtp.example.com", "a@example.com");
        smtp.username = Some(String::from("nobody-unit-test-missing@example.test"));
        smtp.password_env = String::from("RELAYDOC_UNIT_TEST_PASSWORD_UNSET");
        let error = find(&smtp).expect_err("missing");
        let text = error.to_string();
        assert!(text.contains("RELAYDOC_UNIT_TEST_PASSWORD_UNSET"), "{text}");
        assert!(text.contains("relaydoc config set-password"), "{text}");
    }
}
