//! What `relaydoc check …` reads from the person besides its flags: a password (never an
//! argument: a hidden prompt, `--password-stdin` or `RELAYDOC_PASSWORD`) and addresses that
//! must not smuggle SMTP commands. Shared by `check` and `check account`.

use std::io::{BufRead as _, IsTerminal as _};

use clap::Args;

use crate::checks::smtp::session::Mechanism;
use crate::vocab::Secret;

/// How to get the password: never from an argument.
#[derive(Debug, Args)]
pub struct PasswordArgs {
    /// Read the password from the first line of standard input
    #[arg(long)]
    pub password_stdin: bool,

    /// Allow sending the password over an unencrypted connection (anyone on the way can read it)
    #[arg(long)]
    pub allow_plaintext_auth: bool,

    /// Login method to use (default: the best one the server offers); one you name is tried
    /// even when the server does not announce it, to reproduce what a mail client set to it gets
    #[arg(long, value_enum, value_name = "MECH")]
    pub mechanism: Option<Mechanism>,
}

/// A problem with what the user asked for, found before contacting anything; a
/// [`super::CliError`] of phase `arguments` (exit 2).
#[derive(Debug)]
pub struct BadInput(pub String);

/// The words of a lower layer's check are already the message.
impl From<String> for BadInput {
    fn from(message: String) -> Self {
        Self(message)
    }
}

/// An address or name a person typed that is not one: its words are the message.
impl From<crate::vocab::ParseError> for BadInput {
    fn from(error: crate::vocab::ParseError) -> Self {
        Self(error.to_string())
    }
}

/// A mail address for MAIL FROM / RCPT TO: no spaces, brackets or line breaks, which would
/// let an argument smuggle extra SMTP commands.
pub(super) fn address(value: &str, flag: &str) -> Result<String, BadInput> {
    let bad = value.is_empty()
        || value.len() > 254
        || value
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || matches!(c, '<' | '>'));
    if bad || !value.contains('@') {
        return Err(BadInput(format!(
            "{flag} {value:?} is not a plain e-mail address (like someone@example.org)"
        )));
    }
    Ok(value.to_string())
}

pub(super) fn warn_plaintext(args: &PasswordArgs) {
    if args.allow_plaintext_auth {
        eprintln!(
            "relaydoc: warning: --allow-plaintext-auth: if the connection is not encrypted, \
             the password travels readable for anyone on the network path"
        );
    }
}

/// A password given without asking: `--password-stdin`, else `RELAYDOC_PASSWORD`.
pub(super) fn given_password(args: &PasswordArgs) -> Result<Option<Secret>, BadInput> {
    if args.password_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| BadInput(format!("cannot read the password from stdin: {e}")))?;
        let password = line.trim_end_matches(['\r', '\n']).to_string();
        if password.is_empty() {
            return Err(BadInput(String::from(
                "--password-stdin: standard input held no password",
            )));
        }
        return Ok(Some(Secret::new(password)));
    }
    if let Some(password) = std::env::var_os("RELAYDOC_PASSWORD") {
        return password
            .into_string()
            .map(|p| Some(Secret::new(p)))
            .map_err(|_| BadInput(String::from("RELAYDOC_PASSWORD is not valid UTF-8")));
    }
    Ok(None)
}

/// True when a person can answer a hidden prompt.
pub(super) fn can_prompt() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Asks for a password without echoing it.
pub(super) fn prompt_password(question: &str) -> Result<Secret, BadInput> {
    inquire::Password::new(question)
        .without_confirmation()
        .with_display_mode(inquire::PasswordDisplayMode::Hidden)
        .prompt()
        .map(Secret::new)
        .map_err(|e| BadInput(format!("no password: {e}")))
}
