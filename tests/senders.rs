//! The wizard's "what is sending" branch (issue 16): the kind of sender is asked right after
//! a pop-up error, skipped when a pasted error or a helpdesk already told it, and the client
//! question that follows offers only that kind's guides; every guide of a kind is offered.

use std::collections::BTreeMap;

use relaydoc::engine::{Facts, Message, State, Wizard};
use relaydoc::knowledge::Knowledge;
use relaydoc::knowledge::model::NodeBody;

fn knowledge() -> Knowledge {
    relaydoc::knowledge::bundled().expect("bundled knowledge is valid")
}

fn facts(pairs: &[(&str, &str)]) -> Facts {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn asking<'k>(wizard: &Wizard<'k>) -> &'k str {
    match wizard.state() {
        State::Asking(_) => &wizard.current().expect("a node").id,
        other => panic!("expected a question, got {other:?}"),
    }
}

/// The client ids the question at hand offers.
fn offered(wizard: &Wizard<'_>) -> Vec<String> {
    match &wizard.current().expect("a node").body {
        NodeBody::Question { choices, .. } => choices.iter().map(|c| c.value.clone()).collect(),
        other => panic!("not a question: {other:?}"),
    }
}

const START: &[(&str, &str)] = &[("error.text", "unknown"), ("error.kind", "relay")];

#[test]
fn a_popup_asks_what_is_sending_then_offers_that_kinds_senders() {
    let kb = knowledge();
    let mut by_kind: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for client in &kb.clients {
        if let Some(kind) = &client.kind {
            by_kind.entry(kind).or_default().push(client.id.clone());
        }
    }
    for (kind, question) in [
        ("program", "q-client"),
        ("phone", "q-client-phone"),
        ("device", "q-client-device"),
        ("website", "q-client-website"),
        ("server", "q-client-server"),
    ] {
        let (mut wizard, _) = Wizard::new(&kb, facts(START));
        wizard
            .update(Message::Answer("client".into()))
            .expect("pop-up");
        assert_eq!(asking(&wizard), "q-sender-kind");
        wizard.update(Message::Answer(kind.into())).expect(kind);
        assert_eq!(asking(&wizard), question, "{kind}");
        let mut got = offered(&wizard);
        got.sort();
        let mut want = by_kind[kind].clone();
        want.sort();
        assert_eq!(got, want, "{kind}: exactly that kind's guides");
        assert!(want.len() >= 4, "{kind}: only {want:?}");
        // Picking one goes on to the address, with the sender known.
        wizard
            .update(Message::Answer(want[0].clone()))
            .expect("a sender");
        assert_eq!(asking(&wizard), "i-email");
        assert_eq!(wizard.facts()["sender.kind"], kind);
    }
}

#[test]
fn not_knowing_what_sends_offers_every_guide() {
    let kb = knowledge();
    let (mut wizard, _) = Wizard::new(&kb, facts(START));
    wizard
        .update(Message::Answer("client".into()))
        .expect("pop-up");
    wizard.update(Message::DontKnow).expect("don't know");
    assert_eq!(asking(&wizard), "q-client-any");
    assert_eq!(offered(&wizard).len(), kb.clients.len());
}

#[test]
fn a_known_sender_kind_is_not_asked_again() {
    let kb = knowledge();
    let mut given = facts(START);
    given.insert("error.where".into(), "client".into());
    given.insert("sender.kind".into(), "device".into());
    let (wizard, _) = Wizard::new(&kb, given);
    assert_eq!(asking(&wizard), "q-client-device");
    let path: Vec<&str> = wizard
        .path()
        .iter()
        .map(|&n| kb.node(n).id.as_str())
        .collect();
    assert!(path.contains(&"q-sender-kind"), "passed through: {path:?}");
    assert!(
        !wizard
            .answered()
            .iter()
            .any(|(n, _)| n.id == "q-sender-kind"),
        "skipped, not asked"
    );
}

#[test]
fn every_sender_kind_has_enough_guides_and_all_together_at_least_forty() {
    let kb = knowledge();
    let with_kind = kb.clients.iter().filter(|c| c.kind.is_some()).count();
    assert!(with_kind >= 40, "{with_kind} sender guides");
    for client in kb.clients.iter().filter(|c| c.kind.is_some()) {
        assert!(!client.sources.is_empty(), "{}: no source", client.id);
    }
}

#[test]
fn a_known_client_skips_the_sender_question_too() {
    let kb = knowledge();
    let mut given = facts(START);
    given.insert("error.where".into(), "client".into());
    given.insert("client.id".into(), "printer-brother".into());
    let (wizard, _) = Wizard::new(&kb, given);
    assert_eq!(asking(&wizard), "i-email");
    assert!(
        !wizard
            .path()
            .iter()
            .any(|&n| kb.node(n).id == "q-sender-kind"),
        "a helpdesk's --fact client.id (or a pasted error) already names the sender"
    );
}
