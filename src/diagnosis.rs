//! The diagnosis: weighs everything known about a person's problem and ranks every cause.
//!
//! Evidence lives in the knowledge (`knowledge/causes.yaml`): each cause has a prior (how
//! common it is) and pieces of evidence, conditions on facts with a strength and a reason in
//! plain words. What `explain` reads in a pasted error counts too ([`TextClue`]). A cause's
//! score is its prior plus the strengths of its evidence that holds (log-odds); the
//! confidences are the scores' softmax. "I don't know" matches no evidence, so it moves
//! nothing.
//!
//! Pure and synchronous, like the engine that uses it: [`rank`] for the ranking behind an
//! answer, [`Ranking::verdict`] for whether one cause leads clearly, and [`weigh_questions`]
//! for the unanswered question (or check) whose answer best separates the causes still in
//! play, by expected information gain, and the one most likely to overturn a conclusion.

use std::collections::BTreeMap;

use crate::knowledge::Knowledge;
use crate::knowledge::model::{Cause, Condition, NodeBody, NodeId, UNKNOWN};

/// How much a signature's weight (0..1) in `explain`'s ranking counts on the evidence scale.
const TEXT_SCALE: f64 = 2.0;
/// A text clue at least this strong (a signature that names its cause, such as "Please turn
/// on SMTP Authentication") counts as support for a conclusion; weaker ones only rank.
const TEXT_SUPPORT: f64 = 0.75;
/// While questions that could change the answer remain, a cause must be this likely …
const CONCLUDE_EARLY: f64 = 0.75;
/// … once none remain, this likely and this far ahead of the runner-up.
const CONCLUDE_LAST: f64 = 0.5;
const CONCLUDE_GAP: f64 = 1.0;
/// Supporting evidence adding up to this much (a moderate piece, or two weak ones) is enough
/// to conclude on.
const SUPPORT_TO_CONCLUDE: f64 = 2.0;
/// How the reasons read from the pasted text begin.
const TEXT_PREFIX: &str = "The error message: ";
/// A question is worth asking only if its answer is expected to remove this much uncertainty
/// (nats).
const MIN_GAIN: f64 = 0.05;
/// A conclusion the evidence allows is still held back for one more question when the answer
/// has at least this chance of showing it wrong.
const WORTH_A_QUESTION: f64 = 0.05;

/// The facts as a diagnosis step sees them: what is known, plus perhaps one hypothetical
/// answer (what if the person answered `fact: value`?).
#[derive(Debug, Clone, Copy)]
struct View<'a> {
    facts: &'a BTreeMap<String, String>,
    answer: Option<(&'a str, &'a str)>,
}

impl<'a> View<'a> {
    fn get(&self, key: &str) -> Option<&'a str> {
        match self.answer {
            Some((fact, value)) if fact == key => Some(value),
            _ => self.facts.get(key).map(String::as_str),
        }
    }
}

/// What `explain` found in the pasted text about one cause.
#[derive(Debug, Clone, PartialEq)]
pub struct TextClue {
    pub cause: usize,
    /// The signature's weight, 0..1.
    pub weight: f64,
    pub why: String,
}

/// Reads a pasted error text into clues, strongest first; none when signatures cannot load.
pub fn read_text(knowledge: &Knowledge, text: &str) -> Vec<TextClue> {
    let Ok(signatures) = crate::explain::signatures(knowledge) else {
        return Vec::new();
    };
    crate::explain::explain(text, signatures)
        .causes
        .into_iter()
        .filter_map(|ranked| {
            let cause = knowledge.cause_index(&ranked.id)?;
            Some(TextClue {
                cause,
                weight: ranked.weight,
                why: ranked.why,
            })
        })
        .collect()
}

/// One reason for or against a cause.
#[derive(Debug, Clone, PartialEq)]
pub struct Reason {
    pub why: String,
    /// Its strength on the evidence scale (negative: against).
    pub weight: f64,
}

/// One cause as the evidence stands.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    pub cause: usize,
    pub score: f64,
    /// 0..1; all confidences add up to 1 (0 for a cause that is ruled out).
    pub confidence: f64,
    pub support: Vec<Reason>,
    pub against: Vec<Reason>,
    /// The reason it is ruled out, if a known fact rules it out.
    pub ruled_out: Option<String>,
    /// True when some evidence strong enough to conclude on supports it.
    pub supported: bool,
}

/// Every cause, most likely first.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranking {
    pub assessments: Vec<Assessment>,
}

/// Whether the evidence singles out one cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Clear(usize),
    Open,
}

impl Ranking {
    pub fn leader(&self) -> Option<&Assessment> {
        self.assessments.first().filter(|a| a.ruled_out.is_none())
    }

    pub fn runner_up(&self) -> Option<&Assessment> {
        self.assessments.get(1).filter(|a| a.ruled_out.is_none())
    }

    /// Clear when the leader is supported, not ruled out, and likely enough: very likely
    /// while more questions could change it (`questions_left`), or likely and well ahead of
    /// the runner-up once nothing is left to ask.
    pub fn verdict(&self, questions_left: bool) -> Verdict {
        let Some(leader) = self.leader() else {
            return Verdict::Open;
        };
        if !leader.supported {
            return Verdict::Open;
        }
        let gap = self
            .runner_up()
            .map_or(f64::INFINITY, |second| leader.score - second.score);
        let clear = if questions_left {
            leader.confidence >= CONCLUDE_EARLY
        } else {
            leader.confidence >= CONCLUDE_LAST && gap >= CONCLUDE_GAP
        };
        if clear {
            Verdict::Clear(leader.cause)
        } else {
            Verdict::Open
        }
    }

    /// The causes still in play: the leader and those within reach of it, at most `limit`.
    pub fn contenders(&self, limit: usize) -> impl Iterator<Item = &Assessment> {
        let floor = self.leader().map_or(1.0, |leader| leader.confidence / 8.0);
        self.assessments
            .iter()
            .filter(move |a| a.ruled_out.is_none() && a.confidence >= floor)
            .take(limit)
    }
}

/// Ranks every cause on the facts and text clues.
pub fn rank(
    knowledge: &Knowledge,
    facts: &BTreeMap<String, String>,
    clues: &[TextClue],
) -> Ranking {
    let view = View {
        facts,
        answer: None,
    };
    let mut assessments: Vec<Assessment> = knowledge
        .causes
        .iter()
        .enumerate()
        .map(|(index, cause)| assess(index, cause, view, clues))
        .collect();
    let scores: Vec<f64> = assessments
        .iter()
        .map(|a| {
            if a.ruled_out.is_some() {
                f64::NEG_INFINITY
            } else {
                a.score
            }
        })
        .collect();
    for (assessment, confidence) in assessments.iter_mut().zip(softmax(&scores)) {
        assessment.confidence = confidence;
    }
    assessments.sort_by(|a, b| {
        let key = |x: &Assessment| {
            if x.ruled_out.is_some() {
                f64::NEG_INFINITY
            } else {
                x.score
            }
        };
        key(b).total_cmp(&key(a)).then(a.cause.cmp(&b.cause))
    });
    Ranking { assessments }
}

fn assess(index: usize, cause: &Cause, view: View<'_>, clues: &[TextClue]) -> Assessment {
    let mut assessment = Assessment {
        cause: index,
        score: cause.prior,
        confidence: 0.0,
        support: Vec::new(),
        against: Vec::new(),
        ruled_out: None,
        supported: false,
    };
    for evidence in &cause.evidence {
        if !holds(&evidence.when, view) {
            continue;
        }
        match evidence.weight.score() {
            None => {
                assessment
                    .ruled_out
                    .get_or_insert_with(|| evidence.why.clone());
            }
            Some(weight) => {
                assessment.score += weight;
                let reason = Reason {
                    why: evidence.why.clone(),
                    weight,
                };
                if evidence.weight.supports() {
                    assessment.support.push(reason);
                } else {
                    assessment.against.push(reason);
                }
            }
        }
    }
    // Several signatures may name the same cause; the strongest speaks for the text.
    if let Some(clue) = clues
        .iter()
        .filter(|clue| clue.cause == index)
        .max_by(|a, b| a.weight.total_cmp(&b.weight))
    {
        let weight = TEXT_SCALE * clue.weight;
        assessment.score += weight;
        assessment.supported |= clue.weight >= TEXT_SUPPORT;
        assessment.support.push(Reason {
            why: format!("{TEXT_PREFIX}{}", clue.why),
            weight,
        });
    }
    // Enough to conclude on: a moderate piece of evidence, or two weak ones.
    let supporting: f64 = assessment
        .support
        .iter()
        .filter(|reason| !reason.why.starts_with(TEXT_PREFIX))
        .map(|reason| reason.weight)
        .sum();
    assessment.supported |= supporting >= SUPPORT_TO_CONCLUDE;
    assessment
        .support
        .sort_by(|a, b| b.weight.total_cmp(&a.weight));
    assessment
        .against
        .sort_by(|a, b| a.weight.total_cmp(&b.weight));
    assessment
}

fn holds(conditions: &[Condition], view: View<'_>) -> bool {
    conditions.iter().all(|condition| {
        view.get(&condition.fact)
            .is_some_and(|value| condition.any_of.iter().any(|allowed| allowed == value))
    })
}

/// Scores only (ruled-out causes at −∞): the inner loop of [`best_question`].
fn scores(knowledge: &Knowledge, view: View<'_>, clues: &[TextClue], out: &mut Vec<f64>) {
    out.clear();
    for (index, cause) in knowledge.causes.iter().enumerate() {
        let mut score = cause.prior;
        for evidence in &cause.evidence {
            if holds(&evidence.when, view) {
                match evidence.weight.score() {
                    Some(weight) => score += weight,
                    None => {
                        score = f64::NEG_INFINITY;
                        break;
                    }
                }
            }
        }
        if score.is_finite()
            && let Some(best) = clues
                .iter()
                .filter(|clue| clue.cause == index)
                .map(|clue| clue.weight)
                .reduce(f64::max)
        {
            score += TEXT_SCALE * best;
        }
        out.push(score);
    }
}

fn softmax(scores: &[f64]) -> Vec<f64> {
    let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !max.is_finite() {
        return vec![0.0; scores.len()];
    }
    let exps: Vec<f64> = scores.iter().map(|s| (s - max).exp()).collect();
    let sum: f64 = exps.iter().sum();
    exps.into_iter().map(|e| e / sum).collect()
}

fn entropy(probabilities: &[f64]) -> f64 {
    probabilities
        .iter()
        .filter(|&&p| p > 0.0)
        .map(|&p| -p * p.ln())
        .sum()
}

/// What asking a node would reveal: the fact and the values it can take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reveals<'k> {
    pub fact: &'k str,
    pub values: Vec<&'k str>,
}

/// The fact a node would reveal if the diagnosis went there now, or `None` when it cannot be
/// asked out of the tree's order: its fact is known, its `ask_if`/`ask_unless` rule it out,
/// or (a check) its inputs are missing. An input whose next node is a check stands for that
/// check (the sign-in test needs the password first).
pub fn reveals<'k>(
    knowledge: &'k Knowledge,
    node: NodeId,
    facts: &BTreeMap<String, String>,
    secrets_known: &dyn Fn(&str) -> bool,
) -> Option<Reveals<'k>> {
    let candidate = knowledge.node(node);
    let any_holds = |sets: &[Vec<Condition>]| {
        sets.iter()
            .any(|set| set.iter().all(|condition| condition.holds(facts)))
    };
    if (!candidate.ask_if.is_empty() && !any_holds(&candidate.ask_if))
        || any_holds(&candidate.ask_unless)
    {
        return None;
    }
    let known = |fact: &str| facts.contains_key(fact) || secrets_known(fact);
    let params_ready = |params: &[(String, String)], except: Option<&str>| {
        params.iter().all(|(_, fact)| {
            Some(fact.as_str()) == except
                || facts.get(fact).is_some_and(|value| value != UNKNOWN)
                || secrets_known(fact)
        })
    };
    let check_reveals = |sets: &'k [String]| {
        let fact = sets.iter().find(|fact| !facts.contains_key(*fact))?;
        let values = knowledge
            .facts
            .get(fact)?
            .values
            .as_ref()?
            .iter()
            .map(String::as_str)
            .filter(|value| *value != UNKNOWN)
            .collect();
        Some(Reveals { fact, values })
    };
    match &candidate.body {
        NodeBody::Question { fact, choices, .. } if !known(fact) => Some(Reveals {
            fact,
            values: choices.iter().map(|choice| choice.value.as_str()).collect(),
        }),
        NodeBody::Check { params, sets, .. } if params_ready(params, None) => check_reveals(sets),
        NodeBody::Input { fact, next, .. } if !known(fact) => match &knowledge.node(*next).body {
            NodeBody::Check { params, sets, .. } if params_ready(params, Some(fact)) => {
                check_reveals(sets)
            }
            _ => None,
        },
        _ => None,
    }
}

/// How the people behind each cause would answer a question: `likelihood[answer][cause]`, and
/// the scores every answer would leave (`after[answer][cause]`).
#[derive(Debug)]
struct AnswerModel {
    likelihood: Vec<Vec<f64>>,
    after: Vec<Vec<f64>>,
}

/// Each cause's answers in proportion to how they move its score: an answer that speaks for a
/// cause is what its people tend to give, one that speaks against it is rare among them, and
/// a cause the answer does not touch gives every answer alike.
fn answer_model(
    knowledge: &Knowledge,
    facts: &BTreeMap<String, String>,
    clues: &[TextClue],
    reveals: &Reveals<'_>,
    current: &[f64],
) -> Option<AnswerModel> {
    if reveals.values.is_empty() {
        return None;
    }
    let mut after = Vec::with_capacity(reveals.values.len());
    for value in &reveals.values {
        let with_answer = View {
            facts,
            answer: Some((reveals.fact, value)),
        };
        let mut shifted = Vec::new();
        scores(knowledge, with_answer, clues, &mut shifted);
        after.push(shifted);
    }
    let answers = after.len();
    let mut likelihood = vec![vec![0.0; current.len()]; answers];
    for (cause, before) in current.iter().enumerate() {
        let column: Vec<f64> = after
            .iter()
            .map(|row| {
                if before.is_finite() {
                    row[cause] - before
                } else {
                    0.0
                }
            })
            .collect();
        let weights = softmax(&column);
        let total: f64 = weights.iter().sum();
        for (answer, weight) in weights.into_iter().enumerate() {
            likelihood[answer][cause] = if total > 0.0 {
                weight
            } else {
                1.0 / answers as f64
            };
        }
    }
    Some(AnswerModel { likelihood, after })
}

/// The open questions weighed once: how each cause's people would answer each, from which
/// both the most telling question ([`Questions::best`]) and the one most likely to overturn a
/// conclusion ([`Questions::overturning`]) are read.
#[derive(Debug)]
pub struct Questions {
    /// The causes' chances now.
    prior: Vec<f64>,
    models: Vec<(NodeId, AnswerModel)>,
}

/// Weighs every candidate on the facts and clues.
pub fn weigh_questions(
    knowledge: &Knowledge,
    facts: &BTreeMap<String, String>,
    clues: &[TextClue],
    candidates: &[(NodeId, Reveals<'_>)],
) -> Questions {
    let known = View {
        facts,
        answer: None,
    };
    let mut current = Vec::new();
    scores(knowledge, known, clues, &mut current);
    let models = candidates
        .iter()
        .filter_map(|(node, reveals)| {
            answer_model(knowledge, facts, clues, reveals, &current).map(|model| (*node, model))
        })
        .collect();
    Questions {
        prior: softmax(&current),
        models,
    }
}

impl Questions {
    /// The candidate whose answer is expected to tell the causes apart best, with its expected
    /// information gain (nats), if any is worth asking. Ties go to the earlier candidate, so
    /// the tree's own order decides between equals.
    pub fn best(&self) -> Option<(NodeId, f64)> {
        let now = entropy(&self.prior);
        let mut best: Option<(NodeId, f64)> = None;
        for (node, model) in &self.models {
            let mut expected = 0.0;
            for row in &model.likelihood {
                let joint: Vec<f64> = row.iter().zip(&self.prior).map(|(l, p)| l * p).collect();
                let p_answer: f64 = joint.iter().sum();
                if p_answer <= 0.0 {
                    continue;
                }
                let posterior: Vec<f64> = joint.iter().map(|j| j / p_answer).collect();
                expected += p_answer * entropy(&posterior);
            }
            let gain = now - expected;
            if gain >= MIN_GAIN && best.is_none_or(|(_, best_gain)| gain > best_gain + 1e-9) {
                best = Some((*node, gain));
            }
        }
        best
    }

    /// Before concluding on `leader`: the candidate most likely to show it is not the cause,
    /// with that chance, when it is at least [`WORTH_A_QUESTION`]. The chance is the share of
    /// the rivals (other causes at least that likely themselves) whose people would give an
    /// answer that leaves another cause ahead, or the leader no longer likely enough to
    /// conclude on: the leader's own people, answering as they tend to, do not count. One
    /// answer that overturns a conclusion the evidence made early is worth a question; a
    /// remote doubt is not, so a clear case is not kept waiting.
    pub fn overturning(&self, leader: usize) -> Option<(NodeId, f64)> {
        let mut best: Option<(NodeId, f64)> = None;
        for (node, model) in &self.models {
            let mut chance = 0.0;
            for (row, after) in model.likelihood.iter().zip(&model.after) {
                let posterior = softmax(after);
                let ahead = posterior
                    .iter()
                    .enumerate()
                    .max_by(|a, b| a.1.total_cmp(b.1))
                    .map(|(cause, _)| cause);
                let overturned = ahead != Some(leader) || posterior[leader] < CONCLUDE_EARLY;
                if overturned {
                    chance += row
                        .iter()
                        .zip(&self.prior)
                        .enumerate()
                        // Only a rival at least that likely by itself: many remote causes
                        // adding up are no reason to keep a clear case waiting.
                        .filter(|(cause, (_, p))| *cause != leader && **p >= WORTH_A_QUESTION)
                        .map(|(_, (l, p))| l * p)
                        .sum::<f64>();
                }
            }
            if chance >= WORTH_A_QUESTION && best.is_none_or(|(_, most)| chance > most + 1e-9) {
                best = Some((*node, chance));
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_sums_to_one_and_ignores_ruled_out() {
        let p = softmax(&[1.0, f64::NEG_INFINITY, 1.0]);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert_eq!(p[1], 0.0);
        assert!((p[0] - 0.5).abs() < 1e-12);
        assert_eq!(softmax(&[f64::NEG_INFINITY; 2]), vec![0.0, 0.0]);
    }

    #[test]
    fn entropy_of_certainty_is_zero() {
        assert_eq!(entropy(&[1.0, 0.0]), 0.0);
        assert!((entropy(&[0.5, 0.5]) - 2f64.ln()).abs() < 1e-12);
    }
}
