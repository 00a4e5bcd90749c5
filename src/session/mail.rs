//! Emailing the caller their steps: the solution for their own mail program, as plain text,
//! through the helpdesk's SMTP server from the config. The CLI (`sessions send`), the plain
//! wizard and the TUI all send through here.

use jiff::Timestamp;

use super::export::CallerSteps;
use super::{Event, EventKind, Session};
use crate::config::Config;
use crate::knowledge::Knowledge;
use crate::mailer::{Delivered, OutgoingMail};
use crate::vocab::Secret;

/// Why the steps could not be sent, in words for the agent, and whose doing it was: what
/// was asked for (`bad_input`), or the server or network (the CLI picks the exit code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendProblem {
    pub message: String,
    pub bad_input: bool,
}

impl SendProblem {
    fn bad_input(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            bad_input: true,
        }
    }
}

/// The steps for one caller, with what the letter around them needs: the session to quote
/// when they call back and the agent to sign with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    pub to: String,
    pub steps: CallerSteps,
    pub reference: String,
    pub agent: Option<String>,
}

impl Letter {
    /// The letter for a finished session: the steps for the mail program it names.
    pub fn for_session(
        knowledge: &Knowledge,
        session: &Session,
        to: &str,
    ) -> Result<Self, SendProblem> {
        let steps = super::export::caller_steps(knowledge, session).ok_or_else(|| {
            SendProblem::bad_input(format!(
                "session {} has not reached a solution yet, so there are no steps to send \
                 (continue it with `relaydoc sessions resume {}`)",
                session.id, session.id
            ))
        })?;
        Ok(Self {
            to: to.trim().to_string(),
            steps,
            reference: session.id.clone(),
            agent: session.agent.clone(),
        })
    }

    /// The message itself: greeting, the steps, the reference to quote, the signature.
    pub fn mail(&self, subject: Option<String>) -> OutgoingMail {
        let body = format!(
            "Hello,\n\n\
             here are the steps we talked about, for {client}.\n\n\
             {text}\n\
             If sending still fails afterwards, reply to this message or call us again and \
             mention the reference {reference}.\n\n\
             {signature}\n",
            client = self.steps.client,
            text = self.steps.text,
            reference = self.reference,
            signature = self.agent.as_deref().unwrap_or("Your helpdesk"),
        );
        OutgoingMail {
            to: self.to.clone(),
            subject: subject
                .unwrap_or_else(|| format!("Your email settings: {}", self.steps.title)),
            body,
        }
    }
}

/// Sends a composed letter through `helpdesk.smtp`, with the password from the environment
/// or the OS keyring (or the one given).
pub fn send_letter(
    config: &Config,
    mail: &OutgoingMail,
    given_password: Option<&Secret>,
) -> Result<Delivered, SendProblem> {
    let smtp = config.helpdesk.smtp.as_ref().ok_or_else(|| {
        SendProblem::bad_input(
            "no helpdesk SMTP server is set up: add `helpdesk: smtp:` to the config file \
             (see `relaydoc config path` and `relaydoc config --help`)",
        )
    })?;
    let found = match given_password {
        Some(_) => None,
        None => crate::password::find(smtp)
            .map_err(|error| SendProblem::bad_input(error.to_string()))?
            .map(|(password, _source)| password),
    };
    crate::mailer::send(smtp, given_password.or(found.as_ref()), mail).map_err(|error| {
        SendProblem {
            message: error.to_string(),
            bad_input: error.is_bad_input(),
        }
    })
}

/// Sends the caller's steps; the password comes from the environment or the OS keyring.
pub fn send_steps(
    knowledge: &Knowledge,
    session: &Session,
    config: &Config,
    to: &str,
    subject: Option<String>,
) -> Result<Delivered, SendProblem> {
    let letter = Letter::for_session(knowledge, session, to)?;
    send_letter(config, &letter.mail(subject), None)
}

/// Notes in a saved session that the steps went out (for runs no longer open).
pub fn record_sent(session: &mut Session, to: &str, at: Timestamp) {
    session.events.push(Event {
        at,
        what: EventKind::Sent { to: to.to_string() },
    });
    session.updated = at;
}

/// Something that can email a caller their steps: the configured SMTP server in the program,
/// a double in tests. The plain wizard and the TUI hold one when the config has a helpdesk
/// server. It may block (it talks to a server): the TUI calls it on a worker thread.
pub trait StepsSender: Send + Sync {
    /// `Ok` holds a short confirmation ("sent through smtp.example.com:587"), `Err` plain
    /// words for why it failed. Neither may contain a password.
    fn send(&self, letter: &Letter) -> Result<String, String>;
}

/// Sends through `helpdesk.smtp` of the config.
#[derive(Debug, Clone)]
pub struct ConfiguredSender {
    pub config: Config,
    /// A password from the embedding program; `None` looks it up (environment, keyring) at
    /// each send, so a password stored meanwhile is picked up.
    pub password: Option<Secret>,
}

impl ConfiguredSender {
    /// A sender when the config names a helpdesk server; `None` otherwise.
    pub fn from_config(config: &Config) -> Option<Self> {
        config.helpdesk.smtp.as_ref().map(|_| Self {
            config: config.clone(),
            password: None,
        })
    }
}

impl StepsSender for ConfiguredSender {
    fn send(&self, letter: &Letter) -> Result<String, String> {
        send_letter(&self.config, &letter.mail(None), self.password.as_ref())
            .map(|delivered| format!("sent through {}", delivered.server))
            .map_err(|problem| problem.message)
    }
}
