//! The bundled knowledge: it loads, and it is sound.

#[test]
fn bundled_knowledge_is_valid() {
    if let Err(problems) = relaydoc::knowledge::bundled() {
        panic!(
            "bundled knowledge has {} problems:\n{problems}",
            problems.len()
        );
    }
}

/// Agent mode reads `say` out to the caller: the bundled tree has it on every node that asks
/// the caller something, so no agent ever reads end-user text off the screen.
#[test]
fn every_bundled_question_and_input_has_words_for_the_caller() {
    use relaydoc::knowledge::model::NodeBody;
    let kb = relaydoc::knowledge::bundled().expect("bundled knowledge is valid");
    let asks: Vec<_> = kb
        .nodes
        .iter()
        .filter(|node| {
            matches!(
                node.body,
                NodeBody::Question { .. } | NodeBody::Input { .. }
            )
        })
        .collect();
    assert!(asks.len() > 25, "only {} questions and inputs", asks.len());
    let without: Vec<&str> = asks
        .iter()
        .filter(|node| node.say.as_deref().is_none_or(|say| say.trim().is_empty()))
        .map(|node| node.id.as_str())
        .collect();
    assert!(without.is_empty(), "no `say` on: {without:?}");
    assert!(
        kb.warnings.is_empty(),
        "bundled knowledge has warnings:\n{}",
        kb.warnings
    );
    for node in &asks {
        let say = node.say.as_deref().unwrap_or_default();
        // Read aloud on the phone: no markdown for the agent to skip.
        assert!(
            !say.contains("**") && !say.contains('`') && !say.contains('\n'),
            "{}: `say` is not plain spoken text: {say:?}",
            node.id
        );
    }
}

/// The helpdesk caveats that matter most are where the agent meets them.
#[test]
fn checks_run_from_the_agents_machine_say_so_to_the_agent() {
    let kb = relaydoc::knowledge::bundled().expect("bundled knowledge is valid");
    let note = |id: &str| {
        kb.node(kb.node_id(id).expect(id))
            .agent_note
            .clone()
            .unwrap_or_default()
    };
    assert!(note("c-login").contains("from your machine"));
    assert!(note("c-server-probe").contains("from your network"));
    assert!(note("c-server-probe").contains("mynetworks"));
    assert!(note("i-password").contains("policy"));
    let password = kb.node(kb.node_id("i-password").expect("i-password"));
    let say = password.say.as_deref().unwrap_or_default();
    assert!(say.contains("do not read your password out"), "{say}");
}

#[test]
fn session_mode_is_set_by_the_program_with_agent_and_user() {
    let kb = relaydoc::knowledge::bundled().expect("bundled knowledge is valid");
    let spec = kb.facts.get("session.mode").expect("declared");
    assert!(spec.set_by_program);
    let values = spec.values.clone().unwrap_or_default();
    for value in ["agent", "user", "unknown"] {
        assert!(values.iter().any(|v| v == value), "{values:?}");
    }
    assert_eq!(
        relaydoc::knowledge::model::SESSION_MODE,
        spec.key,
        "the constant drivers use names the declared fact"
    );
}

/// The caller's address is typed by the agent from what the caller reads out: the input says
/// it expects an IP, so a driver can refuse a slip before the check runs.
#[test]
fn the_callers_address_input_expects_a_public_ip() {
    use relaydoc::knowledge::model::{InputFormat, NodeBody};
    let kb = relaydoc::knowledge::bundled().expect("bundled knowledge is valid");
    let node = kb.node(kb.node_id("i-caller-ip").expect("i-caller-ip"));
    let NodeBody::Input { fact, format, .. } = &node.body else {
        panic!("i-caller-ip is an input");
    };
    assert_eq!(fact, "public.ip");
    let format = format.expect("a format");
    assert_eq!(format, InputFormat::Ip);
    assert_eq!(format.check(" 203.0.113.7 "), Ok("203.0.113.7".to_string()));
    assert_eq!(format.check("2001:DB8::7"), Ok("2001:db8::7".to_string()));
    for slip in ["203.0.113", "192.168.0.10", "my router"] {
        assert!(format.check(slip).is_err(), "{slip}");
    }
}
