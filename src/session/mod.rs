//! Sessions: a timestamped record of one wizard run — answers, checks, notes, the outcome —
//! saved after every step so a helpdesk can pick a call up again and hand over a ticket.
//!
//! The record never holds a password: secret inputs are noted as "given" without their value,
//! check parameters that came from them are left out, and any text that contains a secret the
//! run knows is scrubbed before it is kept (see [`recorder`]).

pub mod export;
pub mod mail;
pub mod recorder;
pub mod stats;
pub mod store;

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::engine::Facts;

pub use recorder::{Clock, Recorder, SystemClock};
pub use store::{Listing, Store, StoreError};

/// The version of the session file format; readers refuse files from a newer one.
pub const FORMAT: u32 = 1;

/// Who is at the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// The person with the mail problem.
    User,
    /// A helpdesk agent guiding a caller on the phone.
    Agent,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::User => "user",
            Mode::Agent => "agent",
        }
    }
}

/// One saved wizard run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Session {
    pub format: u32,
    pub id: String,
    pub mode: Mode,
    pub started: Timestamp,
    pub updated: Timestamp,
    /// The agent's name (agent mode, from the config).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// Who is calling: a name or ticket reference the agent typed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller: Option<String>,
    /// Facts known before the first question (`--fact`, `--facts`, the mode).
    #[serde(default)]
    pub initial_facts: Facts,
    #[serde(default)]
    pub events: Vec<Event>,
    /// Where the run stands after the last event: what lists and stats read without
    /// replaying the tree.
    pub status: Status,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Status {
    /// The node the run is at (question asked, check running, or conclusion).
    pub node: String,
    pub finished: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// Every node visited, in order (what `sessions stats` counts).
    #[serde(default)]
    pub path: Vec<String>,
    #[serde(default)]
    pub facts: Facts,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub at: Timestamp,
    #[serde(flatten)]
    pub what: EventKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum EventKind {
    /// A question or input was answered. `value` is absent for "don't know" and for secret
    /// inputs (then `secret` is true and only the fact that something was given is kept).
    Answer {
        node: String,
        question: String,
        fact: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        value: Option<String>,
        /// What the answer reads as: the choice's label, the text given, "I don't know".
        answer: String,
        #[serde(default, skip_serializing_if = "is_false")]
        secret: bool,
    },
    Back {
        node: String,
    },
    Restart,
    /// A check ran (or could not run: `ran` false) and established these facts.
    Check {
        node: String,
        check: String,
        label: String,
        /// The check's parameters, except any that came from a secret input.
        #[serde(default)]
        params: BTreeMap<String, String>,
        ran: bool,
        #[serde(default)]
        facts: Facts,
    },
    Note {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        node: Option<String>,
        text: String,
    },
    Finished {
        node: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cause: Option<String>,
    },
    Quit {
        node: String,
    },
    Resumed {
        /// Steps of the saved run the current knowledge could not replay (it changed), not
        /// counting those an earlier resume already reported.
        #[serde(default, skip_serializing_if = "is_zero")]
        skipped: usize,
    },
    /// The caller was emailed the steps.
    Sent {
        to: String,
    },
}

fn is_false(value: &bool) -> bool {
    !value
}

fn is_zero(value: &usize) -> bool {
    *value == 0
}

/// The cause a finished run names: certain when the evidence singled it out, or only the
/// most likely one when the run ended at a solution without that.
#[derive(Debug, Clone, Copy)]
pub struct NamedCause<'k> {
    pub cause: &'k crate::knowledge::model::Cause,
    pub certain: bool,
}

impl Session {
    /// The cause this run names, if it named one (a hand-off names none).
    pub fn named_cause<'k>(
        &self,
        knowledge: &'k crate::knowledge::Knowledge,
    ) -> Option<NamedCause<'k>> {
        if let Some(cause) = self
            .status
            .cause
            .as_deref()
            .and_then(|id| knowledge.cause(id))
        {
            return Some(NamedCause {
                cause,
                certain: true,
            });
        }
        if !self.status.finished {
            return None;
        }
        let node = knowledge.node_id(&self.status.node)?;
        knowledge.cause_of(node).map(|cause| NamedCause {
            cause,
            certain: false,
        })
    }

    /// The first time the run reached a conclusion, if it did.
    pub fn finished_at(&self) -> Option<Timestamp> {
        self.events.iter().find_map(|event| match event.what {
            EventKind::Finished { .. } => Some(event.at),
            _ => None,
        })
    }

    pub fn notes(&self) -> impl Iterator<Item = (&Event, &str)> {
        self.events.iter().filter_map(|event| match &event.what {
            EventKind::Note { text, .. } => Some((event, text.as_str())),
            _ => None,
        })
    }

    /// The customer's address, if the run learned it.
    pub fn email(&self) -> Option<&str> {
        self.status
            .facts
            .get("account.email")
            .map(String::as_str)
            .filter(|email| *email != crate::knowledge::model::UNKNOWN)
    }
}

/// A new session id: sortable by start time, with a random tail so two runs in the same
/// second never collide.
/// What an agent is told when a note seems to hold a password: notes are saved with the
/// session and go into tickets, and only a password typed into the sign-in field is known to
/// be one (and removed everywhere). `None` when the note looks harmless.
pub fn note_warning(note: &str) -> Option<&'static str> {
    const WORDS: [&str; 8] = [
        "password",
        "passwort",
        "passwd",
        "kennwort",
        "pwd",
        "pw",
        "pin",
        "mot de passe",
    ];
    let lower = note.to_lowercase();
    let is_word_char = |c: char| c.is_alphanumeric();
    // "password is X", "pw: X", "Kennwort = X": the word on its own, then a value after it.
    let gives_one = WORDS.iter().any(|word| {
        lower.match_indices(word).any(|(at, _)| {
            let before = lower[..at].chars().next_back();
            let rest = &lower[at + word.len()..];
            if before.is_some_and(is_word_char) || rest.chars().next().is_some_and(is_word_char) {
                return false;
            }
            let rest = rest.trim_start();
            let value = rest
                .strip_prefix("is ")
                .or_else(|| rest.strip_prefix("ist "))
                .or_else(|| rest.strip_prefix(':'))
                .or_else(|| rest.strip_prefix('='))
                .map(str::trim_start);
            value.is_some_and(|value| value.split_whitespace().next().is_some())
        })
    });
    gives_one.then_some(
        "This note seems to hold a password. Notes are saved with the session and go into \
         the ticket: if it does, add a new note without it and ask the caller to change that \
         password.",
    )
}

pub fn new_id(now: Timestamp) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(now.as_nanosecond().unsigned_abs());
    hasher.write_u32(std::process::id());
    let tail = hasher.finish() & 0xffff;
    let utc = now.to_zoned(jiff::tz::TimeZone::UTC);
    format!("{}-{tail:04x}", utc.strftime("%Y%m%d-%H%M%S"))
}

/// A time for people: local time, to the second.
pub fn local_time(at: Timestamp) -> String {
    time_in(at, &jiff::tz::TimeZone::system())
}

/// A time for people in `zone`, to the second: the TUI's tests pin the zone so their screens
/// do not depend on where they run.
pub fn time_in(at: Timestamp, zone: &jiff::tz::TimeZone) -> String {
    at.to_zoned(zone.clone())
        .strftime("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// A duration for people: "4 min 05 s".
pub fn human_duration(seconds: i64) -> String {
    let seconds = seconds.max(0);
    match seconds {
        0..60 => format!("{seconds} s"),
        60..3600 => format!("{} min {:02} s", seconds / 60, seconds % 60),
        _ => format!("{} h {:02} min", seconds / 3600, (seconds % 3600) / 60),
    }
}

#[cfg(test)]
mod note_tests {
    use super::note_warning;

    #[test]
    fn a_note_that_gives_a_password_is_warned_about() {
        for note in [
            "Password is Secret123",
            "caller says pw: hunter2",
            "Kennwort = Sommer2026",
            "new password: Tr0ub4dor",
        ] {
            assert!(note_warning(note).is_some(), "{note}");
        }
        for note in [
            "Caller reset her password yesterday",
            "Uses an app password now",
            "Outlook asks for the password again and again",
            "Port 587, STARTTLS",
        ] {
            assert!(note_warning(note).is_none(), "{note}");
        }
    }
}
