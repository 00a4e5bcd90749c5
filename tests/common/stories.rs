//! The stories of `tests/fixtures/stories.yaml`, and what a driver at a terminal needs to play
//! one: which answer a question gets, and where the saved session says the run stands.
// Each test binary uses only some of these.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use relaydoc::knowledge::Knowledge;
use relaydoc::knowledge::model::NodeBody;

#[derive(Debug, serde::Deserialize)]
pub struct Story {
    pub name: String,
    #[serde(default)]
    pub given: BTreeMap<String, String>,
    #[serde(default)]
    pub paste: Option<String>,
    #[serde(default)]
    pub answers: BTreeMap<String, String>,
    pub cause: String,
    pub decided: bool,
    #[serde(default)]
    pub asks_after: Option<String>,
}

#[derive(serde::Deserialize)]
struct File {
    stories: Vec<Story>,
}

pub fn all() -> Vec<Story> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/stories.yaml");
    let text = std::fs::read_to_string(path).expect("stories.yaml");
    let file: File = serde_saphyr::from_str(&text).expect("stories.yaml parses");
    file.stories
}

/// `--fact k=v` arguments for what the person gives up front.
pub fn fact_args(story: &Story) -> Vec<String> {
    story
        .given
        .iter()
        .flat_map(|(key, value)| ["--fact".to_owned(), format!("{key}={value}")])
        .collect()
}

/// What the person does at a question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The choice at this position (0-based) in the question's list.
    Choice(usize),
    /// "I don't know" (or, at an input, nothing typed).
    DontKnow,
    Text(String),
}

pub fn answer(kb: &Knowledge, node: &str, story: &Story) -> Answer {
    let id = kb.node_id(node).unwrap_or_else(|| panic!("no node {node}"));
    match &kb.node(id).body {
        NodeBody::Question { fact, choices, .. } => match story.answers.get(fact) {
            Some(value) => Answer::Choice(
                choices
                    .iter()
                    .position(|choice| &choice.value == value)
                    .unwrap_or_else(|| panic!("{node}: no choice {value}")),
            ),
            None => Answer::DontKnow,
        },
        NodeBody::Input { fact, .. } => match story.answers.get(fact) {
            Some(text) => Answer::Text(text.clone()),
            None => Answer::DontKnow,
        },
        other => panic!("{}: {node} is no question: {other:?}", story.name),
    }
}

/// The fact a question asks, if it is one.
pub fn fact_of(kb: &Knowledge, node: &str) -> Option<String> {
    let id = kb.node_id(node)?;
    match &kb.node(id).body {
        NodeBody::Question { fact, .. } | NodeBody::Input { fact, .. } => Some(fact.clone()),
        _ => None,
    }
}

/// Where a run saved in `sessions` (its only session) stands: the number of events, the node,
/// and whether it finished. `None` while nothing is saved yet or a save is half written.
pub fn progress(sessions: &Path) -> Option<(usize, String, bool)> {
    let file = session_file(sessions)?;
    let session: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(file).ok()?).ok()?;
    Some((
        session["events"].as_array().map_or(0, Vec::len),
        session["status"]["node"].as_str()?.to_owned(),
        session["status"]["finished"].as_bool()?,
    ))
}

/// The run's session file (the folder holds only one), once it is saved.
fn session_file(sessions: &Path) -> Option<PathBuf> {
    std::fs::read_dir(sessions)
        .ok()?
        .flatten()
        .map(|entry| entry.path())
        .find(|path| path.extension().is_some_and(|ext| ext == "json"))
}

/// The saved session, whole.
pub fn session(sessions: &Path) -> serde_json::Value {
    let file = session_file(sessions).expect("a saved session");
    serde_json::from_str(&std::fs::read_to_string(file).expect("read")).expect("JSON")
}

/// The questions a run asked, in order, from its saved events.
pub fn asked(session: &serde_json::Value) -> Vec<String> {
    session["events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|event| event["kind"] == "answer")
        .filter_map(|event| event["node"].as_str().map(str::to_owned))
        .collect()
}

/// What every door must show at the end: the run ended at a solution of the story's cause,
/// decided or not as the story says, and never asked what the person had already said.
pub fn assert_ending(kb: &Knowledge, story: &Story, session: &serde_json::Value) {
    let status = &session["status"];
    assert_eq!(status["finished"], true, "{}: {session:#}", story.name);
    let node = status["node"].as_str().expect("node");
    let cause = kb
        .node_id(node)
        .and_then(|id| kb.cause_of(id))
        .map(|cause| cause.id.clone());
    assert_eq!(
        cause.as_deref(),
        Some(story.cause.as_str()),
        "{}: ended at {node}",
        story.name
    );
    let decided = status["cause"].as_str().is_some();
    assert_eq!(decided, story.decided, "{}: {status:#}", story.name);
    let asked = asked(session);
    for node in &asked {
        if let Some(fact) = fact_of(kb, node) {
            assert!(
                !story.given.contains_key(&fact),
                "{}: asked {node} ({fact}), which was given up front; asked {asked:?}",
                story.name
            );
        }
    }
    assert_asks_after(story, &asked);
    let mut seen = std::collections::BTreeSet::new();
    for node in &asked {
        assert!(
            seen.insert(node),
            "{}: asked {node} twice: {asked:?}",
            story.name
        );
    }
}

/// The story's `asks_after` question was asked, and at least one question after it.
pub fn assert_asks_after(story: &Story, asked: &[String]) {
    if let Some(node) = &story.asks_after {
        let at = asked
            .iter()
            .position(|asked| asked == node)
            .unwrap_or_else(|| panic!("{}: never asked {node}: {asked:?}", story.name));
        assert!(
            at + 1 < asked.len(),
            "{}: concluded right after {node}: {asked:?}",
            story.name
        );
    }
}
