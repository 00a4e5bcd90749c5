//! The stories of issue 11 (`tests/fixtures/stories.yaml`) through `wizard --json`: each must
//! end at a solution of its cause, decided or not as the story says. The same stories run in
//! plain mode (tests/plain_pty.rs) and in the TUI (tests/tui_tmux.rs).

mod common;

use common::stories::{self, Story};

fn json_walk(story: &Story) -> serde_json::Value {
    json_walk_with(story, &story.answers)
}

/// `wizard --json` given the story's facts and these of its answers.
fn json_walk_with(
    story: &Story,
    answers: &std::collections::BTreeMap<String, String>,
) -> serde_json::Value {
    let home = tempfile::tempdir().expect("temp home");
    let mut command = common::isolated::relaydoc(home.path());
    command.args(["wizard", "--json", "--no-save"]);
    command.args(stories::fact_args(story));
    for (key, value) in answers {
        command.args(["--fact", &format!("{key}={value}")]);
    }
    if let Some(paste) = &story.paste {
        command.args(["--fact", &format!("error.text={paste}")]);
    }
    let output = command.output().expect("runs");
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{}: not JSON ({e}): {output:?}", story.name))
}

/// The questions a run's path went through.
fn asked(kb: &relaydoc::knowledge::Knowledge, outcome: &serde_json::Value) -> Vec<String> {
    outcome["path"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|node| node.as_str())
        .filter(|node| stories::fact_of(kb, node).is_some())
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_story_ends_at_its_cause_through_wizard_json() {
    let kb = relaydoc::knowledge::bundled().expect("bundled knowledge");
    let all = stories::all();
    assert!(all.len() >= 4, "the four stories of issue 11");
    for story in &all {
        let outcome = json_walk(story);
        let node = outcome["node"].as_str().expect("node");
        let cause = kb
            .node_id(node)
            .and_then(|id| kb.cause_of(id))
            .map(|cause| cause.id.as_str());
        assert_eq!(
            cause,
            Some(story.cause.as_str()),
            "{}: {outcome:#}",
            story.name
        );
        assert_eq!(
            outcome["cause"].as_str().is_some(),
            story.decided,
            "{}: {outcome:#}",
            story.name
        );
        // The ranking leads with the story's cause either way.
        assert_eq!(
            outcome["causes"][0]["id"],
            story.cause.as_str(),
            "{}",
            story.name
        );
        assert_eq!(
            outcome["stopped"],
            serde_json::Value::Null,
            "{}",
            story.name
        );
        // What the wizard asks after `asks_after` shows only where the person has not said it
        // up front: a run given just the answers the full run's path used (an answer the
        // wizard asked for only aside, such as "does it send after checking mail", is left
        // for the wizard to ask).
        let asked_in_full = asked(&kb, &outcome);
        let on_the_path: std::collections::BTreeMap<String, String> = story
            .answers
            .iter()
            .filter(|(fact, _)| {
                asked_in_full
                    .iter()
                    .any(|node| stories::fact_of(&kb, node).as_deref() == Some(fact.as_str()))
            })
            .map(|(fact, value)| (fact.clone(), value.clone()))
            .collect();
        let shorter = json_walk_with(story, &on_the_path);
        stories::assert_asks_after(story, &asked(&kb, &shorter));
        for missing in outcome["missing"].as_array().into_iter().flatten() {
            let missing = missing.as_str().unwrap_or_default();
            assert!(
                !story.given.contains_key(missing) && !story.answers.contains_key(missing),
                "{}: {missing} was known: {outcome:#}",
                story.name
            );
        }
    }
}
