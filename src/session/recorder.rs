//! The recorder: the wizard engine with a session kept beside it.
//!
//! Drivers (plain prompts, the TUI, `wizard --json`) talk to a [`Recorder`] instead of the bare
//! [`Wizard`]: every message goes to the engine unchanged, and what it did is appended to the
//! session and saved before the next prompt. Resuming replays a saved session through the
//! same engine, so a resumed run is in exactly the state the saved one was.

use jiff::Timestamp;

use super::{Event, EventKind, FORMAT, Mode, Session, Status, Store};
use crate::engine::{AnswerError, Effect, Facts, Message, State, Wizard};
use crate::knowledge::Knowledge;
use crate::knowledge::model::{NodeBody, UNKNOWN};

/// Where the recorder gets the time from: the system clock, or a test's own.
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// The fact that tells the tree who is at the keyboard (`agent` or `user`).
pub use crate::knowledge::model::SESSION_MODE as MODE_FACT;

/// Who the session is for; all optional.
#[derive(Debug, Default, Clone)]
pub struct Details {
    pub agent: Option<String>,
    pub caller: Option<String>,
}

/// What resuming found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resumed {
    /// Saved steps replayed.
    pub replayed: usize,
    /// Saved steps the knowledge no longer fits (it changed since): the run continues from
    /// the last step that still fits.
    pub skipped: usize,
}

/// Stands in for a password during a replay: the saved session never had it, so a check
/// that would use it must not run; the replay goes back to ask for it again.
const WITHHELD: &str = "\u{0}withheld";

pub struct Recorder<'k> {
    wizard: Wizard<'k>,
    session: Session,
    store: Option<Store>,
    clock: Box<dyn Clock>,
    save_problem: Option<String>,
    save_problem_said: bool,
    /// False while a non-interactive walk runs: nobody waits between its steps, so one save
    /// at the end does (see [`Recorder::hold_saves`]).
    autosave: bool,
}

impl std::fmt::Debug for Recorder<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("session", &self.session.id)
            .field("saving", &self.store.is_some())
            .finish_non_exhaustive()
    }
}

impl<'k> Recorder<'k> {
    /// Starts a new run. With a store, the session is saved at once and after every step.
    pub fn start(
        knowledge: &'k Knowledge,
        mut facts: Facts,
        mode: Mode,
        details: Details,
        store: Option<Store>,
        clock: Box<dyn Clock>,
    ) -> (Self, Vec<Effect>) {
        // Only knowledge that reads the mode gets it: an overlay without the fact stays valid.
        if knowledge.facts.get(MODE_FACT).is_some() {
            facts.insert(MODE_FACT.to_string(), mode.as_str().to_string());
        }
        let now = clock.now();
        let (wizard, effects) = Wizard::new(knowledge, facts.clone());
        let session = Session {
            format: FORMAT,
            id: super::new_id(now),
            mode,
            started: now,
            updated: now,
            agent: details.agent,
            caller: details.caller,
            initial_facts: facts,
            events: Vec::new(),
            status: status_of(&wizard),
        };
        let mut recorder = Self {
            wizard,
            session,
            store,
            clock,
            save_problem: None,
            save_problem_said: false,
            autosave: true,
        };
        recorder.after_step(false);
        (recorder, effects)
    }

    /// Continues a saved run: its steps are replayed through the engine, then new steps are
    /// appended to the same session.
    pub fn resume(
        knowledge: &'k Knowledge,
        session: Session,
        store: Option<Store>,
        clock: Box<dyn Clock>,
    ) -> (Self, Vec<Effect>, Resumed) {
        let (mut wizard, mut effects) = Wizard::new(knowledge, session.initial_facts.clone());
        let mut report = Resumed {
            replayed: 0,
            skipped: 0,
        };
        let mut withheld_in_use = false;
        let steps: Vec<&EventKind> = session
            .events
            .iter()
            .map(|event| &event.what)
            .filter(|what| {
                matches!(
                    what,
                    EventKind::Answer { .. }
                        | EventKind::Back { .. }
                        | EventKind::Restart
                        | EventKind::Check { .. }
                )
            })
            .collect();
        for (done, step) in steps.iter().enumerate() {
            let Some(message) = replay_message(&wizard, step) else {
                report.skipped = steps.len() - done;
                break;
            };
            if matches!(step, EventKind::Answer { secret: true, .. }) {
                withheld_in_use = true;
            }
            if matches!(message, Message::Restart) {
                withheld_in_use = false;
            }
            match wizard.update(message) {
                Ok(new_effects) => effects = new_effects,
                Err(_) => {
                    report.skipped = steps.len() - done;
                    break;
                }
            }
            report.replayed += 1;
        }
        // A check that was still running when the run stopped runs again, unless it would use
        // a password the session (rightly) never kept: then ask for the password again.
        if withheld_in_use && matches!(wizard.state(), State::Checking(_)) {
            let _ = wizard.update(Message::Back);
            effects = Vec::new();
        }
        if matches!(wizard.state(), State::Quit) {
            effects = Vec::new();
        }
        let mut recorder = Self {
            wizard,
            session,
            store,
            clock,
            save_problem: None,
            save_problem_said: false,
            autosave: true,
        };
        recorder.push(EventKind::Resumed {
            skipped: report.skipped,
        });
        recorder.after_step(false);
        (recorder, effects, report)
    }

    pub fn wizard(&self) -> &Wizard<'k> {
        &self.wizard
    }

    pub fn knowledge(&self) -> &'k Knowledge {
        self.wizard.knowledge()
    }

    pub fn session(&self) -> &Session {
        &self.session
    }

    pub fn mode(&self) -> Mode {
        self.session.mode
    }

    /// True when the session is being saved to disk.
    pub fn saving(&self) -> bool {
        self.store.is_some()
    }

    /// The last problem saving the session, once: drivers show it, the run goes on.
    pub fn take_save_problem(&mut self) -> Option<String> {
        if self.save_problem_said {
            return None;
        }
        let problem = self.save_problem.take();
        self.save_problem_said = problem.is_some();
        problem
    }

    /// Holds saving until [`Recorder::release_saves`]: for walks without a person, whose
    /// steps follow each other in microseconds (a save with fsync takes milliseconds).
    pub fn hold_saves(&mut self) {
        self.autosave = false;
    }

    /// Saves now and after every step again.
    pub fn release_saves(&mut self) {
        self.autosave = true;
        self.save();
    }

    /// Sends a message to the engine and records what it did.
    pub fn update(&mut self, message: Message) -> Result<Vec<Effect>, AnswerError> {
        let event = self.describe(&message);
        let was_finished = matches!(self.wizard.state(), State::Finished(_));
        let effects = self.wizard.update(message)?;
        if let Some(event) = event {
            self.push(event);
        }
        let finished = matches!(self.wizard.state(), State::Finished(_));
        self.after_step(finished && !was_finished);
        Ok(effects)
    }

    /// An internal note from the agent, kept with the step it was made at.
    pub fn note(&mut self, text: &str) {
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        let node = self.wizard.current().map(|node| node.id.clone());
        self.push(EventKind::Note {
            node,
            text: text.to_string(),
        });
        self.after_step(false);
    }

    /// Records that the caller was emailed the steps.
    pub fn record_sent(&mut self, to: &str) {
        self.push(EventKind::Sent { to: to.to_string() });
        self.after_step(false);
    }

    /// The event a message will make, read off the state before the engine moves.
    fn describe(&self, message: &Message) -> Option<EventKind> {
        let current = self.wizard.current();
        match message {
            Message::Answer(_) | Message::DontKnow => {
                let node = current?;
                let State::Asking(_) = self.wizard.state() else {
                    return None;
                };
                let given = match message {
                    Message::Answer(value) => Some(value.as_str()),
                    _ => None,
                };
                Some(answer_event(node, given))
            }
            Message::Back if self.wizard.can_go_back() => Some(EventKind::Back {
                node: current?.id.clone(),
            }),
            Message::Back => None,
            Message::Restart => Some(EventKind::Restart),
            Message::Quit => Some(EventKind::Quit {
                node: current.map(|node| node.id.clone()).unwrap_or_default(),
            }),
            Message::CheckFinished { node, facts } => {
                Some(self.check_event(*node, Some(facts.clone())))
            }
            Message::CheckFailed { node } => Some(self.check_event(*node, None)),
        }
    }

    fn check_event(&self, node_id: usize, facts: Option<Facts>) -> EventKind {
        let node = self.wizard.knowledge().node(node_id);
        let (check, params): (String, &[(String, String)]) = match &node.body {
            NodeBody::Check { check, params, .. } => (check.clone(), params),
            _ => (String::new(), &[]),
        };
        let label = crate::checks::runner::spec(&check)
            .map_or_else(|| check.clone(), |spec| spec.label.to_string());
        // Parameters that come from a secret input are never recorded, whatever their name.
        let params = params
            .iter()
            .filter(|(_, fact)| self.wizard.secret(fact).is_none())
            .filter_map(|(param, fact)| {
                let value = self.wizard.facts().get(fact)?;
                Some((param.clone(), value.clone()))
            })
            .collect();
        EventKind::Check {
            node: node.id.clone(),
            check,
            label,
            params,
            ran: facts.is_some(),
            facts: facts.unwrap_or_default(),
        }
    }

    fn push(&mut self, what: EventKind) {
        let at = self.clock.now();
        let event = scrub(Event { at, what }, &self.secrets());
        self.session.events.push(event);
    }

    /// Every secret value the run knows (passwords typed into secret inputs).
    fn secrets(&self) -> Vec<String> {
        self.wizard
            .knowledge()
            .nodes
            .iter()
            .filter_map(|node| match &node.body {
                NodeBody::Input {
                    fact, secret: true, ..
                } => self.wizard.secret(fact),
                _ => None,
            })
            .filter(|value| *value != WITHHELD)
            .map(str::to_string)
            .collect()
    }

    fn after_step(&mut self, just_finished: bool) {
        if just_finished && let State::Finished(node) = self.wizard.state() {
            let knowledge = self.wizard.knowledge();
            let cause = knowledge.cause_of(*node).map(|cause| cause.id.clone());
            self.push(EventKind::Finished {
                node: knowledge.node(*node).id.clone(),
                cause,
            });
        }
        self.session.updated = self.clock.now();
        // Quitting leaves the run where it was (finished or at its question), not nowhere.
        if !matches!(self.wizard.state(), State::Quit) {
            self.session.status = scrub(status_of(&self.wizard), &self.secrets());
        }
        if self.autosave {
            self.save();
        }
    }

    fn save(&mut self) {
        // A run left before anything was answered, checked or noted is not worth a file.
        let worth_keeping = self.session.events.iter().any(|event| {
            matches!(
                event.what,
                EventKind::Answer { .. }
                    | EventKind::Check { .. }
                    | EventKind::Note { .. }
                    | EventKind::Finished { .. }
            )
        });
        if !worth_keeping {
            return;
        }
        if let Some(store) = &self.store {
            match store.save(&self.session) {
                Ok(()) => self.save_problem = None,
                Err(error) => {
                    self.save_problem = Some(format!("the session could not be saved: {error}"));
                }
            }
        }
    }
}

impl crate::engine::Drive for Recorder<'_> {
    fn state(&self) -> &State {
        self.wizard.state()
    }
    fn update(&mut self, message: Message) -> Result<Vec<Effect>, AnswerError> {
        Recorder::update(self, message)
    }
}

fn status_of(wizard: &Wizard<'_>) -> Status {
    let outcome = wizard.outcome();
    Status {
        node: outcome.node,
        finished: matches!(wizard.state(), State::Finished(_)),
        cause: outcome.cause,
        path: outcome.path,
        facts: wizard.facts().clone(),
    }
}

fn answer_event(node: &crate::knowledge::model::Node, given: Option<&str>) -> EventKind {
    let question = node.text.clone();
    match &node.body {
        NodeBody::Question {
            fact,
            choices,
            unknown_label,
            ..
        } => {
            let choice = given.and_then(|value| choices.iter().find(|c| c.value == value));
            EventKind::Answer {
                node: node.id.clone(),
                question,
                fact: fact.clone(),
                value: choice.map(|c| c.value.clone()),
                answer: choice.map_or_else(|| unknown_label.clone(), |c| c.label.clone()),
                secret: false,
            }
        }
        NodeBody::Input { fact, secret, .. } => {
            let given = given.map(str::trim).filter(|value| !value.is_empty());
            let (value, answer, secret) = match (given, *secret) {
                (Some(_), true) => (None, "(given; not recorded)".to_string(), true),
                (Some(value), false) => (Some(value.to_string()), value.to_string(), false),
                (None, _) => (None, "(skipped)".to_string(), false),
            };
            EventKind::Answer {
                node: node.id.clone(),
                question,
                fact: fact.clone(),
                value,
                answer,
                secret,
            }
        }
        _ => EventKind::Answer {
            node: node.id.clone(),
            question,
            fact: String::new(),
            value: None,
            answer: UNKNOWN.to_string(),
            secret: false,
        },
    }
}

/// The engine message a saved step stands for, if the wizard is where the step was taken.
fn replay_message(wizard: &Wizard<'_>, step: &EventKind) -> Option<Message> {
    let here = wizard.current().map(|node| node.id.as_str());
    match step {
        EventKind::Answer {
            node,
            value,
            secret,
            ..
        } => {
            if !matches!(wizard.state(), State::Asking(_)) || here != Some(node) {
                return None;
            }
            Some(match (value, secret) {
                (_, true) => Message::Answer(WITHHELD.to_string()),
                (Some(value), false) => Message::Answer(value.clone()),
                (None, false) => Message::DontKnow,
            })
        }
        EventKind::Back { node } => (here == Some(node)).then_some(Message::Back),
        EventKind::Restart => Some(Message::Restart),
        EventKind::Check {
            node, ran, facts, ..
        } => {
            let State::Checking(request) = wizard.state() else {
                return None;
            };
            if here != Some(node) {
                return None;
            }
            Some(if *ran {
                Message::CheckFinished {
                    node: request.node,
                    facts: facts.clone(),
                }
            } else {
                Message::CheckFailed { node: request.node }
            })
        }
        _ => None,
    }
}

/// Replaces every secret inside any text of `value` — a password someone pasted into a note,
/// a server echoing it back — before it is kept.
fn scrub<T: serde::Serialize + serde::de::DeserializeOwned>(value: T, secrets: &[String]) -> T {
    // Very short secrets would blank out ordinary words; a password that short is no secret.
    let secrets: Vec<&str> = secrets
        .iter()
        .map(String::as_str)
        .filter(|secret| secret.chars().count() >= 3)
        .collect();
    if secrets.is_empty() {
        return value;
    }
    let Ok(mut json) = serde_json::to_value(&value) else {
        return value;
    };
    scrub_json(&mut json, &secrets);
    serde_json::from_value(json).unwrap_or(value)
}

fn scrub_json(value: &mut serde_json::Value, secrets: &[&str]) {
    match value {
        serde_json::Value::String(text) => {
            for secret in secrets {
                if text.contains(secret) {
                    *text = text.replace(secret, "[password removed]");
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(|v| scrub_json(v, secrets)),
        serde_json::Value::Object(map) => {
            // Keys can carry text too (facts reported by a check).
            let entries = std::mem::take(map);
            for (mut key, mut item) in entries {
                for secret in secrets {
                    if key.contains(secret) {
                        key = key.replace(secret, "[password removed]");
                    }
                }
                scrub_json(&mut item, secrets);
                map.insert(key, item);
            }
        }
        _ => {}
    }
}
