//! The wizard engine: a pure state machine over the validated knowledge.
//!
//! It does no I/O. Drivers (the plain prompt mode, the non-interactive runner, the TUI, the
//! tests) send it [`Message`]s and carry out the [`Effect`]s it returns — running a live check,
//! for instance — then feed the results back as facts. Every driver therefore walks exactly the
//! same tree the same way.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::diagnosis::{self, Ranking, TextClue, Verdict};
use crate::knowledge::Knowledge;
use crate::knowledge::model::{Node, NodeBody, NodeId, UNKNOWN};
use crate::vocab::Secret;

pub type Facts = BTreeMap<String, String>;

/// What the person (or a driver on their behalf) does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// Picks a choice by its value, or gives the text of an input.
    Answer(String),
    /// Answers a secret input (a password). Only this message can: the password keeps its
    /// type from the prompt to the check that sends it.
    Secret(SecretInput),
    /// "I don't know" / skip.
    DontKnow,
    Back,
    Restart,
    Quit,
    /// A check the engine asked for has finished; these are the facts it established.
    CheckFinished {
        node: NodeId,
        facts: Facts,
    },
    /// A check could not run; the engine follows the node's fallback.
    CheckFailed {
        node: NodeId,
    },
}

/// What a secret input holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretInput {
    /// What the person typed.
    Typed(Secret),
    /// Given once, but not kept: a resumed session knows a password was typed, never which.
    /// A check that needs it waits until the person types it again.
    Withheld,
}

/// Work the engine asks its driver to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    RunCheck(CheckRequest),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckRequest {
    pub node: NodeId,
    pub check: String,
    /// Check parameter → value, taken from facts.
    pub params: BTreeMap<String, String>,
    /// Check parameter → password, taken from secret inputs: apart from `params`, so nothing
    /// that records or shows parameters can meet one (and `Secret` prints as `****`).
    pub secrets: BTreeMap<String, Secret>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// Waiting for the person to answer this question or input.
    Asking(NodeId),
    /// Waiting for a check's result.
    Checking(CheckRequest),
    /// Reached a solution or hand-off.
    Finished(NodeId),
    /// Ended without a conclusion; [`Wizard::stopped`] says why.
    Quit,
}

/// Why a run ended without reaching a conclusion: every way out has one, so no screen and no
/// `wizard --json` ever just stops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stopped {
    /// The person quit.
    ByPerson,
    /// The knowledge led on from node to node without ever needing a person or reaching a
    /// conclusion (a broken overlay: `kb validate` refuses such loops).
    GoesInCircles { node: String, steps: usize },
    /// A non-interactive walk could go no further: the engine refused its "don't know" or a
    /// check result (a broken overlay), or the walk ran past its bound.
    Stuck { node: String, why: String },
}

impl Stopped {
    /// In words a person can act on.
    pub fn reason(&self) -> String {
        match self {
            Stopped::ByPerson => "you stopped the wizard before it reached an answer".into(),
            Stopped::GoesInCircles { node, steps } => format!(
                "the knowledge goes round in circles at `{node}`: after {steps} steps without a \
                 question or an answer relaydoc stopped; `relaydoc kb validate` names the loop"
            ),
            Stopped::Stuck { node, why } => format!(
                "the walk could not go on at `{node}` ({why}); `relaydoc kb validate` checks \
                 the knowledge"
            ),
        }
    }
}

/// An answer the current node cannot take.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    #[error("`{value}` is not one of the choices here; choose one of: {allowed}")]
    NotAChoice { value: String, allowed: String },
    /// An input that expects a certain form (an IP address, say) got something else.
    #[error("{reason}")]
    NotValid { reason: String },
    #[error("nothing is being asked right now")]
    NotAsking,
    #[error("that check result is for another node")]
    UnexpectedCheck,
    /// Text sent to a secret input, or a secret to any other: a driver's mistake.
    #[error("a password goes only into a password field")]
    SecretMismatch,
}

/// An answer as a driver gives it: text, or a secret for a secret input.
enum Given {
    Text(String),
    Secret(SecretInput),
}

/// One answered question, so Back can restore exactly what was known before it.
#[derive(Debug, Clone)]
struct Frame {
    node: NodeId,
    facts_before: Facts,
    path_len: usize,
    pending_before: Option<NodeId>,
    doubts_before: usize,
}

#[derive(Debug, Clone)]
pub struct Wizard<'k> {
    knowledge: &'k Knowledge,
    facts: Facts,
    /// Values of secret inputs: used for checks, never part of `facts`, never saved or shown.
    secrets: BTreeMap<String, SecretInput>,
    initial_facts: Facts,
    history: Vec<Frame>,
    path: Vec<NodeId>,
    /// Facts the walk needed but did not have ("I don't know" answers and skipped inputs).
    missing: BTreeSet<String>,
    state: State,
    /// What `explain` read in `error.text`, and the text it read (to notice a change).
    clues: Vec<TextClue>,
    clues_of: Option<String>,
    /// At a conclusion: whether the evidence singled its cause out.
    decided: bool,
    /// The conclusion the tree proposed while the diagnosis asks something aside first.
    pending: Option<NodeId>,
    /// Questions asked to test a conclusion the evidence already allowed (at most
    /// [`MAX_DOUBTS`]: a person answering "I don't know" to each is not asked everything).
    doubts: usize,
    /// Why the run ended without a conclusion, once it has.
    stopped: Option<Stopped>,
    /// The day providers' dated sign-in rules are read for.
    today: jiff::civil::Date,
}

/// How many questions may test a conclusion the evidence already allows.
const MAX_DOUBTS: usize = 2;

/// What the diagnosis makes of a conclusion the tree proposes.
enum Settle {
    /// Conclude here.
    Finish(NodeId),
    /// Ask this first: its answer tells the leading causes apart.
    Ask(NodeId),
}

impl<'k> Wizard<'k> {
    /// Starts at the knowledge's start node with facts already known (from `--fact`, a
    /// helpdesk, or a pasted error). Questions whose facts are known are skipped.
    pub fn new(knowledge: &'k Knowledge, facts: Facts) -> (Self, Vec<Effect>) {
        let mut wizard = Self {
            knowledge,
            initial_facts: facts.clone(),
            facts,
            secrets: BTreeMap::new(),
            history: Vec::new(),
            path: Vec::new(),
            missing: BTreeSet::new(),
            state: State::Quit,
            clues: Vec::new(),
            clues_of: None,
            decided: false,
            pending: None,
            doubts: 0,
            stopped: None,
            today: jiff::Zoned::now().date(),
        };
        let effects = wizard.enter(knowledge.start);
        (wizard, effects)
    }

    pub fn knowledge(&self) -> &'k Knowledge {
        self.knowledge
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    pub fn facts(&self) -> &Facts {
        &self.facts
    }

    pub fn path(&self) -> &[NodeId] {
        &self.path
    }

    pub fn missing(&self) -> impl Iterator<Item = &str> {
        self.missing.iter().map(String::as_str)
    }

    /// True when Back has something to go back to.
    pub fn can_go_back(&self) -> bool {
        !self.history.is_empty()
    }

    /// The node the wizard is at (the question asked, the check running, the conclusion).
    pub fn current(&self) -> Option<&'k Node> {
        match &self.state {
            State::Asking(node) | State::Finished(node) => Some(self.knowledge.node(*node)),
            State::Checking(request) => Some(self.knowledge.node(request.node)),
            State::Quit => None,
        }
    }

    /// The questions answered so far, oldest first, with the answer given: for breadcrumbs.
    pub fn answered(&self) -> Vec<(&'k Node, String)> {
        self.history
            .iter()
            .map(|frame| {
                let node = self.knowledge.node(frame.node);
                let answer = match &node.body {
                    NodeBody::Question { fact, .. } | NodeBody::Input { fact, .. } => {
                        self.facts.get(fact).cloned()
                    }
                    _ => None,
                };
                (node, answer.unwrap_or_else(|| UNKNOWN.to_string()))
            })
            .collect()
    }

    pub fn update(&mut self, message: Message) -> Result<Vec<Effect>, AnswerError> {
        match message {
            Message::Quit => {
                self.state = State::Quit;
                self.stopped.get_or_insert(Stopped::ByPerson);
                Ok(Vec::new())
            }
            Message::Restart => {
                let facts = self.initial_facts.clone();
                let (fresh, effects) = Self::new(self.knowledge, facts);
                *self = fresh;
                Ok(effects)
            }
            Message::Back => Ok(self.back()),
            Message::Answer(value) => self.answer(Some(Given::Text(value))),
            Message::Secret(secret) => self.answer(Some(Given::Secret(secret))),
            Message::DontKnow => self.answer(None),
            Message::CheckFinished { node, facts } => {
                let State::Checking(request) = &self.state else {
                    return Err(AnswerError::UnexpectedCheck);
                };
                if request.node != node {
                    return Err(AnswerError::UnexpectedCheck);
                }
                let NodeBody::Check { sets, .. } = &self.knowledge.node(node).body else {
                    return Err(AnswerError::UnexpectedCheck);
                };
                // What the person said stands: a check fills in what is not known yet (or
                // was answered "I don't know"), never overrides an answer.
                let _ = sets;
                for (key, value) in facts {
                    let open = self.facts.get(&key).is_none_or(|known| known == UNKNOWN);
                    if open {
                        self.facts.insert(key, value);
                    }
                }
                Ok(self.leave_check(node))
            }
            Message::CheckFailed { node } => {
                match &self.state {
                    State::Checking(request) if request.node == node => {}
                    _ => return Err(AnswerError::UnexpectedCheck),
                }
                Ok(self.leave_check(node))
            }
        }
    }

    fn answer(&mut self, given: Option<Given>) -> Result<Vec<Effect>, AnswerError> {
        let State::Asking(node_id) = self.state else {
            return Err(AnswerError::NotAsking);
        };
        let node = self.knowledge.node(node_id);
        // A secret input takes only a secret, and a secret goes nowhere else.
        let (value, typed_secret) = match (&node.body, given) {
            // Nothing typed is a skip, as for any input.
            (
                NodeBody::Input { secret: true, .. },
                Some(Given::Secret(SecretInput::Typed(typed))),
            ) if typed.is_empty() => (None, None),
            (NodeBody::Input { secret: true, .. }, Some(Given::Secret(secret))) => {
                (Some(String::new()), Some(secret))
            }
            (NodeBody::Input { secret: true, .. }, Some(Given::Text(_)))
            | (_, Some(Given::Secret(_))) => return Err(AnswerError::SecretMismatch),
            (_, Some(Given::Text(text))) => (Some(text), None),
            (_, None) => (None, None),
        };
        let (fact, next, secret) = match (&node.body, value) {
            (NodeBody::Input { fact, next, .. }, Some(_)) if typed_secret.is_some() => {
                (fact, (*next, Some(String::new())), true)
            }
            (NodeBody::Question { fact, choices, .. }, Some(value)) => {
                let Some(choice) = choices.iter().find(|choice| choice.value == value) else {
                    let allowed = choices
                        .iter()
                        .map(|choice| choice.value.as_str())
                        .chain([UNKNOWN])
                        .collect::<Vec<_>>()
                        .join(", ");
                    if value == UNKNOWN {
                        return self.answer(None);
                    }
                    return Err(AnswerError::NotAChoice { value, allowed });
                };
                (fact, (choice.next, Some(value)), false)
            }
            (NodeBody::Question { fact, unknown, .. }, None) => (fact, (*unknown, None), false),
            (
                NodeBody::Input {
                    fact,
                    next,
                    unknown,
                    secret,
                    format,
                    ..
                },
                value,
            ) => {
                let value = value
                    .map(|v| v.trim().to_string())
                    .filter(|v| !v.is_empty());
                // Every driver gets the same check and the same words for a wrong answer.
                let value = match (value, format) {
                    (Some(value), Some(format)) => Some(
                        format
                            .check(&value)
                            .map_err(|reason| AnswerError::NotValid { reason })?,
                    ),
                    (value, _) => value,
                };
                match value {
                    Some(value) => (fact, (*next, Some(value)), *secret),
                    None => (fact, (*unknown, None), *secret),
                }
            }
            _ => return Err(AnswerError::NotAsking),
        };
        self.history.push(Frame {
            node: node_id,
            facts_before: self.facts.clone(),
            path_len: self.path.len(),
            pending_before: self.pending,
            doubts_before: self.doubts,
        });
        let (mut next, value) = next;
        // A question the diagnosis asked aside returns to the conclusion it was weighing,
        // whatever the answer; an input given for a check goes on to that check first.
        let feeds_check =
            value.is_some() && matches!(self.knowledge.node(next).body, NodeBody::Check { .. });
        if !feeds_check && let Some(pending) = self.pending.take() {
            next = pending;
        }
        match (value, secret) {
            (Some(_), true) => {
                if let Some(secret) = typed_secret {
                    self.secrets.insert(fact.clone(), secret);
                }
            }
            (Some(value), false) => {
                self.facts.insert(fact.clone(), value);
            }
            (None, _) => {
                self.missing.insert(fact.clone());
                if !secret {
                    self.facts.insert(fact.clone(), UNKNOWN.to_string());
                }
            }
        }
        Ok(self.enter(next))
    }

    fn back(&mut self) -> Vec<Effect> {
        let Some(frame) = self.history.pop() else {
            return Vec::new();
        };
        if let NodeBody::Question { fact, .. } | NodeBody::Input { fact, .. } =
            &self.knowledge.node(frame.node).body
        {
            self.missing.remove(fact);
            self.secrets.remove(fact);
        }
        self.facts = frame.facts_before;
        self.path.truncate(frame.path_len);
        self.pending = frame.pending_before;
        self.doubts = frame.doubts_before;
        self.state = State::Asking(frame.node);
        Vec::new()
    }

    /// Moves to `node` and on through every node that needs no one: questions whose fact is
    /// known, decisions, checks whose results are known. Stops where a person or a check is
    /// needed, or at a conclusion.
    fn enter(&mut self, mut node_id: NodeId) -> Vec<Effect> {
        self.derive_facts();
        // The validator rejects loops of automatic nodes; every detour the diagnosis takes
        // asks a node not visited before; this bound only keeps a broken overlay from
        // hanging the program.
        let bound = 2 * self.knowledge.nodes.len();
        for _ in 0..=bound {
            self.path.push(node_id);
            let node = self.knowledge.node(node_id);
            let next = match &node.body {
                NodeBody::Question {
                    fact,
                    choices,
                    unknown,
                    ..
                } => match self.facts.get(fact) {
                    Some(value) => choices
                        .iter()
                        .find(|choice| &choice.value == value)
                        .map_or(*unknown, |choice| choice.next),
                    None => {
                        self.state = State::Asking(node_id);
                        return Vec::new();
                    }
                },
                NodeBody::Input {
                    fact,
                    next,
                    unknown,
                    ..
                } => match self.facts.get(fact).map(String::as_str) {
                    Some(UNKNOWN) => *unknown,
                    Some(_) => *next,
                    None if self.secrets.contains_key(fact) => *next,
                    None => {
                        self.state = State::Asking(node_id);
                        return Vec::new();
                    }
                },
                NodeBody::Decide {
                    branches,
                    otherwise,
                } => branches
                    .iter()
                    .find(|branch| branch.holds(&self.facts))
                    .map_or(*otherwise, |branch| branch.next),
                NodeBody::Check {
                    check,
                    params,
                    sets,
                    branches,
                    otherwise,
                } => {
                    if sets.iter().all(|fact| self.facts.contains_key(fact)) {
                        branches
                            .iter()
                            .find(|branch| branch.holds(&self.facts))
                            .map_or(*otherwise, |branch| branch.next)
                    } else {
                        let mut values = BTreeMap::new();
                        let mut secrets = BTreeMap::new();
                        let mut complete = true;
                        for (param, fact) in params {
                            match (self.facts.get(fact), self.secrets.get(fact)) {
                                (Some(value), _) if value != UNKNOWN => {
                                    values.insert(param.clone(), value.clone());
                                }
                                (_, Some(SecretInput::Typed(secret))) => {
                                    secrets.insert(param.clone(), secret.clone());
                                }
                                // The check waits for the password to be typed again (the
                                // session recorder goes back to ask for it).
                                (_, Some(SecretInput::Withheld)) => {}
                                // An optional input the person skipped: the check runs without.
                                _ if crate::knowledge::checks::spec(check).is_some_and(
                                    |spec| spec.optional.contains(&param.as_str()),
                                ) => {}
                                _ => complete = false,
                            }
                        }
                        if complete {
                            let request = CheckRequest {
                                node: node_id,
                                check: check.clone(),
                                params: values,
                                secrets,
                            };
                            self.state = State::Checking(request.clone());
                            return vec![Effect::RunCheck(request)];
                        }
                        // Without its inputs the check cannot run: take the fallback.
                        *otherwise
                    }
                }
                NodeBody::Solution { .. } | NodeBody::Handoff { .. } => {
                    match self.settle(node_id) {
                        Settle::Finish(conclusion) => {
                            if conclusion != node_id {
                                // The diagnosis concluded elsewhere than the tree proposed.
                                self.path.pop();
                                self.path.push(conclusion);
                            }
                            self.state = State::Finished(conclusion);
                            return Vec::new();
                        }
                        Settle::Ask(question) => {
                            // Not a conclusion yet: the path shows where the person went.
                            self.path.pop();
                            self.pending = Some(node_id);
                            question
                        }
                    }
                }
            };
            node_id = next;
        }
        self.state = State::Quit;
        self.stopped = Some(Stopped::GoesInCircles {
            node: self.knowledge.node(node_id).id.clone(),
            steps: bound + 1,
        });
        Vec::new()
    }

    fn leave_check(&mut self, node_id: NodeId) -> Vec<Effect> {
        let NodeBody::Check {
            branches,
            otherwise,
            ..
        } = &self.knowledge.node(node_id).body
        else {
            return Vec::new();
        };
        let next = branches
            .iter()
            .find(|branch| branch.holds(&self.facts))
            .map_or(*otherwise, |branch| branch.next);
        // A check run aside returns to the conclusion the diagnosis was weighing.
        let next = self.pending.take().unwrap_or(next);
        self.enter(next)
    }

    /// The tree proposes a conclusion: keep it, replace it with the leading cause's solution,
    /// or ask first what tells the leading causes apart.
    fn settle(&mut self, proposal: NodeId) -> Settle {
        self.refresh_clues();
        let ranking = self.ranking();
        // A hand-off is the tree's own "it takes someone else to tell": it stands unless the
        // evidence clearly names a cause, and is no reason to ask more.
        if matches!(self.knowledge.node(proposal).body, NodeBody::Handoff { .. }) {
            return match ranking.verdict(false) {
                Verdict::Clear(cause) => {
                    self.decided = true;
                    Settle::Finish(self.solution_for(cause, proposal))
                }
                _ => {
                    self.decided = false;
                    Settle::Finish(proposal)
                }
            };
        }
        let candidates = self.candidates();
        let questions =
            diagnosis::weigh_questions(self.knowledge, &self.facts, &self.clues, &candidates);
        let next_question = questions.best().map(|(node, _)| node);
        let leader = ranking.leader().map(|leader| leader.cause);
        match ranking.verdict(next_question.is_some()) {
            Verdict::Clear(cause) => {
                let doubt = questions.overturning(cause);
                if let Some((question, _)) = doubt.filter(|_| self.doubts < MAX_DOUBTS) {
                    self.doubts += 1;
                    return Settle::Ask(question);
                }
                self.decided = true;
                Settle::Finish(self.solution_for(cause, proposal))
            }
            Verdict::Open => match next_question {
                Some(question) => Settle::Ask(question),
                None => {
                    // The most likely cause's steps, shown as undecided.
                    self.decided = false;
                    match leader {
                        Some(cause) => Settle::Finish(self.solution_for(cause, proposal)),
                        None => Settle::Finish(proposal),
                    }
                }
            },
        }
    }

    /// The solution to show for `cause`: the tree's proposal when it is one of the cause's,
    /// else the first of the cause's solutions whose `fits` hold (or that has none).
    fn solution_for(&self, cause: usize, proposal: NodeId) -> NodeId {
        if self.knowledge.cause_of(proposal).map(|c| c.id.as_str())
            == Some(self.knowledge.causes[cause].id.as_str())
        {
            return proposal;
        }
        let fits = |node: &NodeId| match &self.knowledge.node(*node).body {
            NodeBody::Solution { fits, .. } => Some(fits.as_slice()),
            _ => None,
        };
        let solutions: Vec<NodeId> = self.knowledge.solutions_of(cause).collect();
        // A solution whose `fits` hold, else one meant for any situation (no `fits`).
        let specific = solutions.iter().find(|node| {
            fits(node).is_some_and(|fits| {
                !fits.is_empty() && crate::knowledge::model::all_hold(fits, &self.facts)
            })
        });
        let general = solutions
            .iter()
            .find(|node| fits(node).is_none_or(<[_]>::is_empty));
        specific
            .or(general)
            .or(solutions.first())
            .copied()
            .unwrap_or(proposal)
    }

    /// The nodes that may be asked now, one for each thing they would reveal.
    fn candidates(&self) -> Vec<(NodeId, diagnosis::Reveals<'k>)> {
        let secret_known = |fact: &str| self.secrets.contains_key(fact);
        // The first node of each group that may be asked now: the others would reveal the
        // same, and the tree's order breaks ties, so this is the whole choice.
        let mut candidates: Vec<_> = self
            .knowledge
            .askers()
            .filter(|(fact, _)| !self.facts.contains_key(*fact))
            .flat_map(|(_, groups)| groups)
            .filter_map(|group| {
                group.iter().find_map(|&node| {
                    if self.path.contains(&node) {
                        return None;
                    }
                    diagnosis::reveals(self.knowledge, node, &self.facts, &secret_known)
                        .map(|reveals| (node, reveals))
                })
            })
            .collect();
        candidates.sort_by_key(|(node, _)| *node);
        candidates.dedup_by_key(|(node, _)| *node);
        candidates
    }

    /// Reads the pasted error again when it changed.
    fn refresh_clues(&mut self) {
        let text = self
            .facts
            .get("error.text")
            .filter(|text| text.as_str() != UNKNOWN);
        if text != self.clues_of.as_ref() {
            self.clues = text
                .map(|text| diagnosis::read_text(self.knowledge, text))
                .unwrap_or_default();
            self.clues_of = text.cloned();
        }
    }

    /// Facts that follow from others without asking: how the provider of a known address
    /// wants sending authorised, and what it does today with an account's normal password.
    fn derive_facts(&mut self) {
        const SCHEME: &str = "account.auth_scheme";
        const PASSWORD_LOGIN: &str = "provider.password_login";
        // "In the log of a mail server that I run": the person runs the server.
        if self.facts.get("error.where").map(String::as_str) == Some("server-log") {
            self.facts
                .entry("user.role".into())
                .or_insert_with(|| "server-admin".into());
        }
        let domain = self
            .facts
            .get("account.email")
            .and_then(|email| email.rsplit_once('@'))
            .map(|(_, domain)| domain.to_owned());
        let provider = domain
            .as_deref()
            .and_then(|domain| self.knowledge.provider_for_domain(domain));
        // An address whose provider the catalogue lacks: the tree asks for its server.
        if domain.is_some_and(|domain| !domain.is_empty()) {
            let listed = if provider.is_some() { "yes" } else { "no" };
            self.facts
                .entry("provider.catalogued".into())
                .or_insert_with(|| listed.into());
        }
        let Some(provider) = provider else {
            return;
        };
        if !self.facts.contains_key(PASSWORD_LOGIN) {
            let login = provider.password_login(self.today);
            if login != crate::knowledge::model::PasswordLogin::Unknown {
                self.facts
                    .insert(PASSWORD_LOGIN.into(), login.as_str().into());
            }
        }
        if self.facts.contains_key(SCHEME) {
            return;
        }
        if !provider.outgoing.is_empty() {
            let pop_first = provider
                .outgoing
                .iter()
                .any(|endpoint| endpoint.auth == crate::knowledge::raw::AuthKind::PopBeforeSmtp);
            if !pop_first {
                self.facts.insert(SCHEME.into(), "smtp-auth".into());
            }
        }
    }

    /// Every cause ranked on what is known now.
    pub fn ranking(&self) -> Ranking {
        let clues = match (&self.clues_of, self.facts.get("error.text")) {
            (Some(read), Some(text)) if read == text => self.clues.clone(),
            (_, Some(text)) if text != UNKNOWN => diagnosis::read_text(self.knowledge, text),
            _ => Vec::new(),
        };
        diagnosis::rank(self.knowledge, &self.facts, &clues)
    }

    /// At a conclusion: true when the evidence singled its cause out.
    pub fn decided(&self) -> bool {
        matches!(self.state, State::Finished(_)) && self.decided
    }

    /// Why the run ended without a conclusion; `None` while it runs or once it concluded.
    pub fn stopped(&self) -> Option<&Stopped> {
        match self.state {
            State::Quit => self.stopped.as_ref(),
            _ => None,
        }
    }

    /// What a secret input holds, for the session recorder. Never serialised.
    pub fn secret(&self, fact: &str) -> Option<&SecretInput> {
        self.secrets.get(fact)
    }
}

/// The outcome of a non-interactive walk: the `wizard --json` contract
/// `{"cause": CAUSE|null, "node": ID, "path": [ID…], "missing": [FACT…], "causes": […],
/// "solution": {…}|null, "stopped": TEXT|null}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    /// The conclusion; `None` when the evidence does not single one cause out.
    pub cause: Option<String>,
    pub node: String,
    pub path: Vec<String>,
    pub missing: Vec<String>,
    /// The ranking behind it, most likely first (causes ruled out are left out).
    pub causes: Vec<RankedCause>,
    /// The steps for the person's client and provider; filled in by the driver, which
    /// knows how to render them.
    pub solution: Option<SolutionSteps>,
    /// Why the walk ended without reaching a conclusion, in words; `None` when it reached one
    /// (decided or not: an undecided conclusion says why in `causes`).
    pub stopped: Option<String>,
}

/// One cause in the ranking of [`Outcome`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RankedCause {
    pub id: String,
    pub confidence: f64,
    #[serde(rename = "for")]
    pub support: Vec<String>,
    pub against: Vec<String>,
}

/// A solution as rendered steps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SolutionSteps {
    pub id: String,
    pub title: String,
    pub steps: Vec<String>,
}

/// Walks the tree from facts alone: every question whose fact is absent takes its "don't
/// know" branch and is listed in `missing`; a check is answered by `run_check` (a driver
/// that runs it live, or canned results in tests), or skipped when that returns `None`.
pub fn walk(
    knowledge: &Knowledge,
    facts: Facts,
    run_check: impl FnMut(&CheckRequest) -> Option<Facts>,
) -> Outcome {
    let (mut wizard, effects) = Wizard::new(knowledge, facts);
    let stuck = walk_on(&mut wizard, effects, run_check).err();
    let mut outcome = wizard.outcome();
    if let Some(stuck) = stuck {
        outcome.stopped = Some(stuck.reason());
    }
    outcome
}

/// Anything that takes the engine's messages: the wizard itself, or the session recorder
/// wrapped around it.
pub trait Drive {
    fn state(&self) -> &State;
    fn update(&mut self, message: Message) -> Result<Vec<Effect>, AnswerError>;
    /// The node it is at, by id, to name where a walk got stuck.
    fn node_id(&self) -> String;
}

impl Drive for Wizard<'_> {
    fn state(&self) -> &State {
        Wizard::state(self)
    }
    fn node_id(&self) -> String {
        self.current()
            .map(|node| node.id.clone())
            .unwrap_or_default()
    }
    fn update(&mut self, message: Message) -> Result<Vec<Effect>, AnswerError> {
        Wizard::update(self, message)
    }
}

/// The non-interactive walk of [`walk`] on a wizard already started: to a conclusion, with
/// "don't know" for every question. Never loops for ever: a message the engine refuses, or
/// more steps than the tree could honestly take, ends the walk with [`Stopped::Stuck`] (the
/// wizard is told to quit, so it saves and shows as stopped).
pub fn walk_on<D: Drive>(
    wizard: &mut D,
    mut effects: Vec<Effect>,
    mut run_check: impl FnMut(&CheckRequest) -> Option<Facts>,
) -> Result<(), Stopped> {
    // Each step answers a question or a check; a tree asks each at most once, and the
    // diagnosis asks each aside question once, so this bound is never met by sound knowledge.
    const MAX_STEPS: usize = 10_000;
    fn refused<D: Drive>(wizard: &mut D, error: &AnswerError) -> Stopped {
        let stuck = Stopped::Stuck {
            node: wizard.node_id(),
            why: error.to_string(),
        };
        let _ = wizard.update(Message::Quit);
        stuck
    }
    for _ in 0..MAX_STEPS {
        for Effect::RunCheck(request) in std::mem::take(&mut effects) {
            let message = match run_check(&request) {
                Some(facts) => Message::CheckFinished {
                    node: request.node,
                    facts,
                },
                None => Message::CheckFailed { node: request.node },
            };
            match wizard.update(message) {
                Ok(more) => effects.extend(more),
                Err(error) => return Err(refused(wizard, &error)),
            }
        }
        let message = match wizard.state() {
            State::Asking(_) => Message::DontKnow,
            State::Checking(_) if !effects.is_empty() => continue,
            State::Checking(request) => Message::CheckFailed { node: request.node },
            State::Finished(_) | State::Quit => return Ok(()),
        };
        match wizard.update(message) {
            Ok(more) => effects = more,
            Err(error) => return Err(refused(wizard, &error)),
        }
    }
    let stuck = Stopped::Stuck {
        node: wizard.node_id(),
        why: format!("{MAX_STEPS} steps without an answer"),
    };
    let _ = wizard.update(Message::Quit);
    Err(stuck)
}

impl Wizard<'_> {
    /// Where the walk stands, in the contract's shape.
    pub fn outcome(&self) -> Outcome {
        let node = self
            .current()
            .map(|node| node.id.clone())
            .unwrap_or_default();
        let cause = match &self.state {
            State::Finished(node) if self.decided => {
                self.knowledge.cause_of(*node).map(|cause| cause.id.clone())
            }
            _ => None,
        };
        let causes = self
            .ranking()
            .assessments
            .into_iter()
            .filter(|assessment| assessment.ruled_out.is_none())
            .map(|assessment| RankedCause {
                id: self.knowledge.causes[assessment.cause].id.clone(),
                // Three decimals: enough to rank, stable to read.
                confidence: (assessment.confidence * 1000.0).round() / 1000.0,
                support: assessment.support.into_iter().map(|r| r.why).collect(),
                against: assessment.against.into_iter().map(|r| r.why).collect(),
            })
            .collect();
        Outcome {
            cause,
            causes,
            solution: None,
            node,
            path: self
                .path
                .iter()
                .map(|&node| self.knowledge.node(node).id.clone())
                .collect(),
            missing: self.missing.iter().cloned().collect(),
            stopped: self.stopped().map(Stopped::reason),
        }
    }
}
