//! What a command ends with: an [`Outcome`] after its normal output, or a [`CliError`] that
//! [`super::main`] tells the person once — plain words on stderr, or under `--json` one JSON
//! shape on stdout — and turns into the exit code of [`crate::exit`].
//!
//! Commands only return these; none prints its own error or picks an exit status, so every
//! failure reads the same and `--json` scripts always get JSON.

use crate::diagnostic::Diagnostics;
use crate::exit;
use crate::sanitize::for_terminal;

/// How a command that did its work ends: the exit status after its normal output (a report
/// that says "problem" or "could not check" is output too, not an error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Done; nothing wrong found (exit 0).
    Ok,
    /// A check or lint ran and found a problem, or the wizard ended without a cause (exit 1).
    Problem,
    /// The report printed says what is wrong with the input (`config check --json`, exit 2).
    Invalid,
    /// The report printed says a check could not run (exit 3).
    CouldNotCheck,
    /// The person stopped it (exit 130).
    Interrupted,
}

impl Outcome {
    pub fn exit_code(self) -> u8 {
        match self {
            Self::Ok => exit::OK,
            Self::Problem => exit::PROBLEM,
            Self::Invalid => exit::BAD_INPUT,
            Self::CouldNotCheck => exit::CHECK_ERROR,
            Self::Interrupted => exit::INTERRUPTED,
        }
    }

    /// `Ok` when `ok`, else `Problem`.
    pub fn ok_if(ok: bool) -> Self {
        if ok { Self::Ok } else { Self::Problem }
    }
}

impl From<crate::checks::Status> for Outcome {
    fn from(status: crate::checks::Status) -> Self {
        match status {
            crate::checks::Status::Ok => Self::Ok,
            crate::checks::Status::Problem => Self::Problem,
            crate::checks::Status::Error => Self::CouldNotCheck,
        }
    }
}

/// What every command returns.
pub type CommandResult = Result<Outcome, CliError>;

/// Where in a command's run it went wrong (`"phase"` in the JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The command line: flags and their values.
    Arguments,
    /// What the command reads: files, standard input, facts.
    Input,
    /// The bundled knowledge or a `--knowledge` folder.
    Knowledge,
    /// relaydoc's config file.
    Config,
    /// The saved sessions.
    Sessions,
    /// The OS keyring.
    Keyring,
    /// Servers and resolvers.
    Network,
    /// The async runtime the network work runs on.
    Runtime,
    /// The terminal the command needs.
    Terminal,
    /// Writing the command's output.
    Output,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Arguments => "arguments",
            Self::Input => "input",
            Self::Knowledge => "knowledge",
            Self::Config => "config",
            Self::Sessions => "sessions",
            Self::Keyring => "keyring",
            Self::Network => "network",
            Self::Runtime => "runtime",
            Self::Terminal => "terminal",
            Self::Output => "output",
        }
    }
}

/// Why a command could not do its work. The message is what the person reads (after
/// `relaydoc: `); `kind` is a stable word for scripts.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Something the person gave cannot be used: an argument, a file, a value (exit 2).
    #[error("{message}")]
    BadInput {
        phase: Phase,
        kind: &'static str,
        message: String,
    },
    /// Files that do not load, each problem pinned to its place (knowledge, config, facts):
    /// the problems are listed, then the message (exit 2).
    #[error("{message}")]
    Invalid {
        phase: Phase,
        problems: Vec<String>,
        message: String,
    },
    /// The work was done and the answer is "no", with nothing else to print: a server
    /// refused a test message (login, sender, recipient), no settings are known to export
    /// (exit 1).
    #[error("{message}")]
    Problem {
        phase: Phase,
        kind: &'static str,
        message: String,
    },
    /// The work could not be done: network, keyring, disk, runtime (exit 3).
    #[error("{message}")]
    CouldNotRun {
        phase: Phase,
        kind: &'static str,
        message: String,
    },
    /// The command asks a person, and there is no terminal (exit 4).
    #[error("{0}")]
    NoTerminal(String),
    /// The person cancelled at a prompt (exit 130).
    #[error("{0}")]
    Cancelled(String),
    /// Standard output cannot be written, for another reason than a closed pipe (exit 2).
    #[error("cannot write output: {0}")]
    Output(std::io::Error),
    /// The reader closed standard output (`relaydoc kb graph | head -1`): its choice, so the
    /// command stops and relaydoc exits 0 without a word.
    #[error("the reader closed the output")]
    ClosedPipe,
}

impl CliError {
    /// [`CliError::BadInput`] of kind `bad-input`.
    pub fn bad_input(phase: Phase, message: impl Into<String>) -> Self {
        Self::BadInput {
            phase,
            kind: "bad-input",
            message: message.into(),
        }
    }

    /// [`CliError::Invalid`] from diagnostics, each shown as `file:line:column: message`.
    pub fn invalid(phase: Phase, problems: &Diagnostics, message: impl Into<String>) -> Self {
        Self::Invalid {
            phase,
            problems: problems.iter().map(ToString::to_string).collect(),
            message: message.into(),
        }
    }

    /// The knowledge does not load.
    pub fn knowledge(problems: &Diagnostics) -> Self {
        Self::invalid(
            Phase::Knowledge,
            problems,
            format!(
                "the knowledge has {} problem(s); fix them or run without --knowledge \
                 (check with `relaydoc kb validate`)",
                problems.len()
            ),
        )
    }

    /// [`CliError::CouldNotRun`].
    pub fn could_not_run(phase: Phase, kind: &'static str, message: impl Into<String>) -> Self {
        Self::CouldNotRun {
            phase,
            kind,
            message: message.into(),
        }
    }

    /// An I/O error writing standard output: a closed pipe, or [`CliError::Output`].
    pub fn from_output(error: std::io::Error) -> Self {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            Self::ClosedPipe
        } else {
            Self::Output(error)
        }
    }

    /// The exit status, from the table in [`crate::exit`].
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::BadInput { .. } | Self::Invalid { .. } | Self::Output(_) => exit::BAD_INPUT,
            Self::Problem { .. } => exit::PROBLEM,
            Self::CouldNotRun { .. } => exit::CHECK_ERROR,
            Self::NoTerminal(_) => exit::NO_TERMINAL,
            Self::Cancelled(_) => exit::INTERRUPTED,
            Self::ClosedPipe => exit::OK,
        }
    }

    pub fn phase(&self) -> Phase {
        match self {
            Self::BadInput { phase, .. }
            | Self::Invalid { phase, .. }
            | Self::Problem { phase, .. }
            | Self::CouldNotRun { phase, .. } => *phase,
            Self::NoTerminal(_) | Self::Cancelled(_) => Phase::Terminal,
            Self::Output(_) | Self::ClosedPipe => Phase::Output,
        }
    }

    /// A stable word for scripts (`"kind"` in the JSON).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::BadInput { kind, .. }
            | Self::Problem { kind, .. }
            | Self::CouldNotRun { kind, .. } => kind,
            Self::Invalid { .. } => "invalid",
            Self::NoTerminal(_) => "no-terminal",
            Self::Cancelled(_) => "cancelled",
            Self::Output(_) => "output",
            Self::ClosedPipe => "closed-pipe",
        }
    }

    /// The problems listed before the message (empty for most errors).
    pub fn problems(&self) -> &[String] {
        match self {
            Self::Invalid { problems, .. } => problems,
            _ => &[],
        }
    }

    /// The one JSON shape of an error, for every command:
    /// `{"error": {"kind", "phase", "message", "problems": [TEXT…]}, "exit_code": N}`; the
    /// texts are cleaned of control sequences like everything relaydoc shows.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "error": {
                "kind": self.kind(),
                "phase": self.phase().as_str(),
                "message": for_terminal(&self.to_string()),
                "problems": self.problems().iter().map(|p| for_terminal(p)).collect::<Vec<_>>(),
            },
            "exit_code": self.exit_code(),
        })
    }

    /// The error in plain words for stderr: the problems one a line, then `relaydoc: message`
    /// (every line of a message that has several).
    pub fn to_text(&self) -> String {
        let mut text = String::new();
        for problem in self.problems() {
            text.push_str(&for_terminal(problem));
            text.push('\n');
        }
        text.push_str("relaydoc: ");
        text.push_str(&for_terminal(&self.to_string()));
        text.push('\n');
        text
    }
}

impl From<super::input::BadInput> for CliError {
    fn from(error: super::input::BadInput) -> Self {
        Self::bad_input(Phase::Arguments, error.0)
    }
}

impl From<crate::runtime::RuntimeError> for CliError {
    fn from(error: crate::runtime::RuntimeError) -> Self {
        Self::could_not_run(Phase::Runtime, "runtime", error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_has_the_one_shape_and_no_control_sequences() {
        let error = CliError::bad_input(Phase::Input, "file \u{1b}[31mred\u{1b}[0m: no such file");
        let json = error.to_json();
        assert_eq!(json["exit_code"], 2);
        assert_eq!(json["error"]["kind"], "bad-input");
        assert_eq!(json["error"]["phase"], "input");
        assert_eq!(json["error"]["problems"], serde_json::json!([]));
        let message = json["error"]["message"].as_str().expect("message");
        assert!(message.contains("no such file") && !message.contains('\u{1b}'));
    }

    #[test]
    fn every_error_has_the_documented_exit_code() {
        let cases = [
            (CliError::bad_input(Phase::Arguments, "x"), 2),
            (CliError::could_not_run(Phase::Network, "timeout", "x"), 3),
            (
                CliError::Problem {
                    phase: Phase::Network,
                    kind: "auth-failed",
                    message: "x".into(),
                },
                1,
            ),
            (CliError::NoTerminal("x".into()), 4),
            (CliError::Cancelled("x".into()), 130),
            (CliError::Output(std::io::Error::other("x")), 2),
            (CliError::ClosedPipe, 0),
        ];
        for (error, code) in cases {
            assert_eq!(error.exit_code(), code, "{error:?}");
            assert_eq!(error.to_json()["exit_code"], code, "{error:?}");
        }
        let pipe = std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        assert!(matches!(CliError::from_output(pipe), CliError::ClosedPipe));
    }

    #[test]
    fn problems_come_before_the_message_in_text() {
        let problems = Diagnostics(vec![crate::diagnostic::Diagnostic::new("a.yaml", "broken")]);
        let text = CliError::knowledge(&problems).to_text();
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[0].contains("a.yaml") && lines[0].contains("broken"),
            "{text}"
        );
        assert!(
            lines[1].starts_with("relaydoc: the knowledge has 1 problem(s)"),
            "{text}"
        );
    }
}
