//! Honest personas (`tests/fixtures/personas.yaml`): for every cause, at least two different
//! answer sets that real people give, "I don't know" included where they would not know.
//! Each is walked through the wizard as `wizard --facts … --json` would (every question not
//! answered is "I don't know"), and must end in its cause.

use std::collections::BTreeMap;

use relaydoc::engine::{Facts, walk};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct File {
    personas: Vec<Persona>,
}

#[derive(Debug, Deserialize)]
struct Persona {
    cause: String,
    who: String,
    facts: BTreeMap<String, String>,
}

#[test]
fn every_persona_reaches_its_cause() {
    let kb = relaydoc::knowledge::bundled().expect("bundled knowledge is valid");
    let path = format!(
        "{}/tests/fixtures/personas.yaml",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).expect("personas");
    let file: File = serde_saphyr::from_str(&text).expect("personas parse");

    let mut per_cause: BTreeMap<&str, usize> = BTreeMap::new();
    let mut wrong = Vec::new();
    for persona in &file.personas {
        for (key, value) in &persona.facts {
            kb.facts
                .check(key, value)
                .unwrap_or_else(|problem| panic!("{}: {key}: {problem}", persona.who));
        }
        let facts: Facts = persona.facts.clone().into_iter().collect();
        let outcome = walk(&kb, facts, |request| {
            relaydoc::wizard::run_offline(&kb, request)
        });
        *per_cause.entry(&persona.cause).or_default() += 1;
        if outcome.cause.as_deref() != Some(persona.cause.as_str()) {
            wrong.push(format!(
                "{} — expected {}, got {:?} at {} (ranking {:?})",
                persona.who,
                persona.cause,
                outcome.cause,
                outcome.node,
                outcome
                    .causes
                    .iter()
                    .take(3)
                    .map(|c| format!("{} {:.2}", c.id, c.confidence))
                    .collect::<Vec<_>>()
            ));
        }
    }
    for cause in &kb.causes {
        assert!(
            per_cause.get(cause.id.as_str()).copied().unwrap_or(0) >= 2,
            "fewer than two personas for {}",
            cause.id
        );
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
