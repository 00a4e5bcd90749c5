//! The recorder: the wizard engine with a session kept beside it.
//!
//! Drivers (plain prompts, the TUI, `wizard --json`) talk to a [`Recorder`] instead of the bare
//! [`Wizard`]: every message goes to the engine unchanged, and what it did is appended to the
//! session and saved before the next prompt. Resuming replays a saved session through the
//! same engine, so a resumed run is in exactly the state the saved one was.

use jiff::Timestamp;

use super::{Event, EventKind, FORMAT, Mode, Session, Status, Store, StoreError};
use crate::engine::{AnswerError, Effect, Facts, Message, SecretInput, State, Wizard};
use crate::knowledge::Knowledge;
use crate::knowledge::model::{NodeBody, UNKNOWN};
use crate::vocab::Secret;

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
    /// the last step that still fits. Steps an earlier resume already reported are not
    /// counted again.
    pub skipped: usize,
}

pub struct Recorder<'k> {
    wizard: Wizard<'k>,
    session: Session,
    store: Option<Store>,
    clock: Box<dyn Clock>,
    /// Every password typed in this run, also ones since taken back: text that contains one is
    /// scrubbed, whenever it was written (a note made before the password was typed too).
    /// Kept in memory only.
    secrets_seen: Vec<Secret>,
    save_problem: Option<String>,
    save_problem_said: bool,
    /// True once the session has a file (a resumed one always has).
    on_disk: bool,
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
        let mut recorder = Self::assemble(wizard, session, store, clock, false);
        // Facts alone can answer everything: then the run is finished before it began.
        let finished = matches!(recorder.wizard.state(), State::Finished(_));
        recorder.refresh(finished);
        recorder.save();
        (recorder, effects)
    }

    /// The first save of a new run, under an id no other saved session has.
    fn create(&mut self) {
        let Some(store) = &self.store else {
            return;
        };
        for _ in 0..64 {
            match store.create(&self.session) {
                Ok(()) => {
                    self.save_problem = None;
                    self.on_disk = true;
                    return;
                }
                Err(StoreError::Exists(_)) => {
                    self.session.id = super::new_id(self.session.started);
                }
                Err(error) => {
                    self.save_problem = Some(format!("the session could not be saved: {error}"));
                    return;
                }
            }
        }
        self.save_problem = Some("the session could not be saved: no free session id".into());
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
        // The steps between two resumes form a segment. A step the knowledge no longer fits
        // skips the rest of its segment: the run went on from there when it was resumed (or
        // goes on from there now), so the next segment fits again.
        let mut skipping = false;
        let mut skipped_here: usize = 0;
        for event in &session.events {
            let step = &event.what;
            match step {
                EventKind::Resumed { skipped } => {
                    // What that resume already reported skipped is not news.
                    report.skipped += skipped_here.saturating_sub(*skipped);
                    skipped_here = 0;
                    skipping = false;
                    continue;
                }
                EventKind::Answer { .. }
                | EventKind::Back { .. }
                | EventKind::Restart
                | EventKind::Check { .. } => {}
                _ => continue,
            }
            if skipping {
                skipped_here += 1;
                continue;
            }
            let replayed =
                replay_message(&wizard, step).and_then(|message| wizard.update(message).ok());
            match replayed {
                Some(new_effects) => {
                    effects = new_effects;
                    report.replayed += 1;
                }
                None => {
                    skipping = true;
                    skipped_here += 1;
                }
            }
        }
        report.skipped += skipped_here;
        if !matches!(wizard.state(), State::Checking(_)) {
            effects = Vec::new();
        }
        // A resumed session already has its file.
        let on_disk = store.is_some();
        let mut recorder = Self::assemble(wizard, session, store, clock, on_disk);
        recorder.push(EventKind::Resumed {
            skipped: report.skipped,
        });
        // A check that was still running when the run stopped runs again, unless it would use
        // a password the session (rightly) never kept: then the run goes back to ask for it.
        if recorder.ask_withheld_again() {
            effects = Vec::new();
        }
        recorder.refresh(false);
        recorder.save();
        (recorder, effects, report)
    }

    fn assemble(
        wizard: Wizard<'k>,
        session: Session,
        store: Option<Store>,
        clock: Box<dyn Clock>,
        on_disk: bool,
    ) -> Self {
        Self {
            wizard,
            session,
            store,
            clock,
            secrets_seen: Vec::new(),
            save_problem: None,
            save_problem_said: false,
            on_disk,
            autosave: true,
        }
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

    /// The session's id once it has a file (from its start, unless saving is off or failed).
    pub fn saved_id(&self) -> Option<&str> {
        self.on_disk.then_some(self.session.id.as_str())
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
        let mut effects = self.wizard.update(message)?;
        if let Some(event) = event {
            self.push(event);
        }
        if self.ask_withheld_again() {
            effects = Vec::new();
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
            Message::Answer(_) | Message::Secret(_) | Message::DontKnow => {
                let node = current?;
                let State::Asking(_) = self.wizard.state() else {
                    return None;
                };
                let given = match message {
                    Message::Answer(value) => Some(value.as_str()),
                    Message::Secret(SecretInput::Typed(typed)) if typed.is_empty() => None,
                    // Only that a password was given is recorded, never which.
                    Message::Secret(_) => Some("given"),
                    _ => None,
                };
                let client = self.wizard.knowledge().client_in(self.wizard.facts());
                Some(answer_event(node, client, given))
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
        let label = crate::knowledge::checks::spec(&check)
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

    /// When the wizard waits for a check that needs a password a resumed run does not have,
    /// goes back (recorded, so a later replay does the same) until that password is asked
    /// for again. True when it went back.
    fn ask_withheld_again(&mut self) -> bool {
        let State::Checking(request) = self.wizard.state() else {
            return false;
        };
        let NodeBody::Check { params, .. } = &self.wizard.knowledge().node(request.node).body
        else {
            return false;
        };
        let withheld: Vec<String> = params
            .iter()
            .filter(|(_, fact)| self.wizard.secret(fact) == Some(&SecretInput::Withheld))
            .map(|(_, fact)| fact.clone())
            .collect();
        let mut went_back = false;
        while withheld
            .iter()
            .any(|fact| self.wizard.secret(fact) == Some(&SecretInput::Withheld))
            && self.wizard.can_go_back()
        {
            let node = self
                .wizard
                .current()
                .map(|node| node.id.clone())
                .unwrap_or_default();
            if self.wizard.update(Message::Back).is_err() {
                break;
            }
            self.push(EventKind::Back { node });
            went_back = true;
        }
        went_back
    }

    fn push(&mut self, what: EventKind) {
        let at = self.clock.now();
        let mut event = Event { at, what };
        if let Some(scrubber) = Scrubber::new(self.wizard.knowledge(), &self.secrets_seen) {
            scrubber.event(&mut event.what);
        }
        self.session.events.push(event);
        self.scrub();
    }

    /// When a password was just typed, scrubs all the session: it may already be in an
    /// earlier note ("the caller says the password is …").
    fn scrub(&mut self) {
        if self.learn_secrets()
            && let Some(scrubber) = Scrubber::new(self.wizard.knowledge(), &self.secrets_seen)
        {
            scrubber.session(&mut self.session);
        }
    }

    /// Adds the passwords the wizard now holds to those seen; true when there is a new one.
    fn learn_secrets(&mut self) -> bool {
        let knowledge = self.wizard.knowledge();
        let mut learned = false;
        for node in &knowledge.nodes {
            if let NodeBody::Input {
                fact, secret: true, ..
            } = &node.body
                && let Some(SecretInput::Typed(value)) = self.wizard.secret(fact)
                && !self.secrets_seen.contains(value)
            {
                self.secrets_seen.push(value.clone());
                learned = true;
            }
        }
        learned
    }

    fn after_step(&mut self, just_finished: bool) {
        self.refresh(just_finished);
        if self.autosave {
            self.save();
        }
    }

    /// Records a conclusion just reached, and where the run stands now.
    fn refresh(&mut self, just_finished: bool) {
        if just_finished && let State::Finished(node) = self.wizard.state() {
            let knowledge = self.wizard.knowledge();
            let cause = knowledge.cause_of(*node).map(|cause| cause.id.clone());
            self.push(EventKind::Finished {
                node: knowledge.node(*node).id.clone(),
                cause,
            });
        }
        self.session.updated = self.clock.now();
        // Quitting is not a place: the run stays where it was (at its question, or finished).
        if !matches!(self.wizard.state(), State::Quit) {
            self.session.status = status_of(&self.wizard);
        }
        if let Some(scrubber) = Scrubber::new(self.wizard.knowledge(), &self.secrets_seen) {
            scrubber.facts(&mut self.session.status.facts);
        }
        self.scrub();
    }

    fn save(&mut self) {
        if !self.on_disk {
            self.create();
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
    fn node_id(&self) -> String {
        crate::engine::Drive::node_id(&self.wizard)
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

fn answer_event(
    node: &crate::knowledge::model::Node,
    client: Option<&crate::knowledge::model::Client>,
    given: Option<&str>,
) -> EventKind {
    // The question as it was shown, in the person's program's words.
    let question = node.text_for(client).into_owned();
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
                (_, true) => Message::Secret(SecretInput::Withheld),
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

/// Takes every password the run has seen out of the free text a session keeps — a note the
/// agent typed it into, an answer typed into the wrong field, a server echoing it back. The
/// tree's own words (node ids, fact names, choice values, times) are never touched, so a
/// short password that happens to be "smtp" or "2026" cannot break the record.
struct Scrubber<'a> {
    knowledge: &'a Knowledge,
    secrets: Vec<&'a str>,
}

impl<'a> Scrubber<'a> {
    /// `None` when there is nothing to scrub.
    fn new(knowledge: &'a Knowledge, secrets: &'a [Secret]) -> Option<Self> {
        // Very short secrets would blank out ordinary words; a password that short is no secret.
        let secrets: Vec<&str> = secrets
            .iter()
            .map(Secret::expose)
            .filter(|secret| secret.chars().count() >= 3)
            .collect();
        (!secrets.is_empty()).then_some(Self { knowledge, secrets })
    }

    fn text(&self, text: &mut String) {
        for secret in &self.secrets {
            if text.contains(secret) {
                *text = text.replace(secret, "[password removed]");
            }
        }
    }

    /// Fact values, except the declared choices of a fact (`smtp-auth`, `thunderbird`).
    fn facts(&self, facts: &mut Facts) {
        for (key, value) in facts.iter_mut() {
            let choice = self
                .knowledge
                .facts
                .get(key)
                .and_then(|spec| spec.values.as_ref())
                .is_some_and(|values| values.contains(value));
            if !choice && value != UNKNOWN {
                self.text(value);
            }
        }
    }

    fn event(&self, what: &mut EventKind) {
        match what {
            EventKind::Answer {
                node,
                value,
                answer,
                ..
            } => {
                // A choice's value and label are the tree's words; typed answers are free text.
                let picked = self.knowledge.node_id(node).is_some_and(|id| {
                    matches!(self.knowledge.node(id).body, NodeBody::Question { .. })
                });
                if !picked {
                    if let Some(value) = value {
                        self.text(value);
                    }
                    self.text(answer);
                }
            }
            EventKind::Check { params, facts, .. } => {
                self.facts(params);
                self.facts(facts);
            }
            EventKind::Note { text, .. } => self.text(text),
            EventKind::Sent { to } => self.text(to),
            EventKind::Back { .. }
            | EventKind::Restart
            | EventKind::Finished { .. }
            | EventKind::Quit { .. }
            | EventKind::Resumed { .. } => {}
        }
    }

    fn session(&self, session: &mut Session) {
        for text in [&mut session.agent, &mut session.caller]
            .into_iter()
            .flatten()
        {
            self.text(text);
        }
        self.facts(&mut session.initial_facts);
        for event in &mut session.events {
            self.event(&mut event.what);
        }
        self.facts(&mut session.status.facts);
    }
}
