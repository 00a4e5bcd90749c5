//! Each kind of broken knowledge, laid over the bundled knowledge as a user's folder would be,
//! must be reported with its exact file, line, column and node — all problems at once.

use std::path::Path;

use relaydoc::diagnostic::{Diagnostic, Position};

fn load_overlay(files: &[(&str, &[u8])]) -> (tempfile::TempDir, Vec<Diagnostic>) {
    let dir = tempfile::tempdir().expect("temp dir");
    for (relative, content) in files {
        let path = dir.path().join(relative);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, content).expect("write");
    }
    let problems = match relaydoc::knowledge::load(&[dir.path().to_path_buf()]) {
        Ok(_) => Vec::new(),
        Err(problems) => problems.0,
    };
    (dir, problems)
}

/// Asserts one problem is in `file` at `line:column`, about `item`, saying `message`.
fn expect(
    problems: &[Diagnostic],
    dir: &Path,
    file: &str,
    at: Option<(u64, u64)>,
    item: Option<&str>,
    message: &str,
) {
    let path = dir.join(file).display().to_string();
    let found = problems.iter().any(|p| {
        p.file == path
            && p.position == at.map(|(line, column)| Position::new(line, column))
            && p.item.as_deref() == item
            && p.message.contains(message)
    });
    assert!(
        found,
        "expected {path}:{at:?} [{item:?}] \"{message}\" among:\n{}",
        problems
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn yaml_syntax_error() {
    let (dir, problems) =
        load_overlay(&[("tree/bad.yaml", b"nodes:\n  - id: x\n    kind: [unclosed\n")]);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(
        problems[0].file,
        dir.path().join("tree/bad.yaml").display().to_string()
    );
    assert!(
        problems[0].position.is_some_and(|p| p.line >= 3),
        "{problems:?}"
    );
}

#[test]
fn unknown_field_with_its_position() {
    let (dir, problems) = load_overlay(&[(
        "tree/typo.yaml",
        b"nodes:\n  - id: s-extra\n    kind: solution\n    cause: not-relay\n    text: hi\n    stesp: []\n",
    )]);
    expect(
        &problems,
        dir.path(),
        "tree/typo.yaml",
        Some((6, 5)),
        None,
        "stesp",
    );
}

#[test]
fn wrong_type() {
    let (dir, problems) = load_overlay(&[(
        "providers/p.yaml",
        b"id: p\nname: P\nusername: full-address\noutgoing:\n  - {host: h, port: lots, security: tls, auth: password}\n",
    )]);
    expect(
        &problems,
        dir.path(),
        "providers/p.yaml",
        Some((5, 21)),
        None,
        "invalid u16",
    );
}

#[test]
fn duplicate_ids_in_one_layer() {
    let node = "  - id: s-twice\n    kind: solution\n    cause: not-relay\n    text: once\n";
    let (dir, problems) = load_overlay(&[
        ("tree/a.yaml", format!("nodes:\n{node}").as_bytes()),
        ("tree/b.yaml", format!("nodes:\n{node}").as_bytes()),
    ]);
    expect(
        &problems,
        dir.path(),
        "tree/b.yaml",
        Some((2, 9)),
        Some("s-twice"),
        "duplicate node id `s-twice`",
    );
}

#[test]
fn dangling_reference_with_a_suggestion() {
    let (dir, problems) = load_overlay(&[(
        "tree/override.yaml",
        b"nodes:\n  - id: q-other-network\n    kind: question\n    fact: network.other_works\n    text: Other network?\n    choices:\n      - {value: \"yes\", label: Yes, next: s-client-ip-blacklistd}\n    unknown: s-wrong-credentials\n",
    )]);
    expect(
        &problems,
        dir.path(),
        "tree/override.yaml",
        Some((7, 42)),
        Some("q-other-network"),
        "refers to node `s-client-ip-blacklistd`, which does not exist (did you mean `s-client-ip-blacklisted`?)",
    );
}

#[test]
fn unreachable_node() {
    let (dir, problems) = load_overlay(&[(
        "tree/orphan.yaml",
        // A solution is reached whenever another solution of its cause is (the diagnosis may
        // conclude a cause at any of them), so the orphan here is a hand-off.
        b"nodes:\n  - id: h-orphan\n    kind: handoff\n    contact: nobody\n    tell: nothing\n    text: nobody comes here\n",
    )]);
    expect(
        &problems,
        dir.path(),
        "tree/orphan.yaml",
        Some((2, 9)),
        Some("h-orphan"),
        "unreachable",
    );
}

#[test]
fn loop_without_a_way_out() {
    let (dir, problems) = load_overlay(&[(
        "tree/loop.yaml",
        b"nodes:
  - id: q-other-network
    kind: question
    fact: network.other_works
    text: Other network?
    choices:
      - {value: \"yes\", label: Yes, next: s-client-ip-blacklisted}
    unknown: d-a
  - id: d-a
    kind: decide
    text: a
    branches:
      - when: {webmail.works: \"yes\"}
        next: d-b
    otherwise: d-b
  - id: d-b
    kind: decide
    text: b
    branches:
      - when: {webmail.works: \"no\"}
        next: d-a
    otherwise: d-a
",
    )]);
    expect(
        &problems,
        dir.path(),
        "tree/loop.yaml",
        Some((9, 9)),
        Some("d-a"),
        "loop without a way out: d-a → d-b → d-a",
    );
    expect(
        &problems,
        dir.path(),
        "tree/loop.yaml",
        Some((9, 9)),
        Some("d-a"),
        "no path from this node ends",
    );
}

/// Answering "I don't know" at every question must not lead round in a circle: the engine asks
/// each fact once, so such a loop would spin without a question and stop with no reason.
#[test]
fn a_loop_through_i_dont_know_is_rejected() {
    let (dir, problems) = load_overlay(&[(
        "tree/dont-know.yaml",
        b"nodes:
  - id: q-other-network
    kind: question
    fact: network.other_works
    text: Other network?
    choices:
      - {value: \"yes\", label: Yes, next: s-client-ip-blacklisted}
    unknown: q-webmail-loop
  - id: q-webmail-loop
    kind: question
    fact: webmail.works
    text: Webmail?
    choices:
      - {value: \"yes\", label: Yes, next: s-client-ip-blacklisted}
    unknown: d-back
  - id: d-back
    kind: decide
    text: back
    branches:
      - when: {webmail.works: \"no\"}
        next: s-client-ip-blacklisted
    otherwise: q-other-network
",
    )]);
    expect(
        &problems,
        dir.path(),
        "tree/dont-know.yaml",
        Some((2, 9)),
        Some("q-other-network"),
        "\"I don't know\" can loop: q-other-network → q-webmail-loop → d-back → q-other-network",
    );
}

#[test]
fn condition_reading_a_fact_nothing_upstream_sets() {
    let (dir, problems) = load_overlay(&[(
        "tree/facts.yaml",
        b"nodes:
  - id: q-other-network
    kind: question
    fact: network.other_works
    text: Other network?
    choices:
      - {value: \"yes\", label: Yes, next: s-client-ip-blacklisted}
    unknown: d-server-only
  - id: d-server-only
    kind: decide
    text: decides on a server fact
    branches:
      - when: {server.relay_policy: network}
        next: s-mynetworks-too-narrow
    otherwise: s-wrong-credentials
",
    )]);
    expect(
        &problems,
        dir.path(),
        "tree/facts.yaml",
        Some((9, 9)),
        Some("d-server-only"),
        "reads fact `server.relay_policy`, but no question, input or check on any path to this node sets it",
    );
}

#[test]
fn unknown_cause_and_unknown_client_ids() {
    let (dir, problems) = load_overlay(&[(
        "tree/ids.yaml",
        b"nodes:
  - id: s-client-auth-off
    kind: solution
    cause: client-auth-of
    text: steps
  - id: q-client
    kind: question
    fact: client.id
    text: Which client?
    choices:
      - {value: nokia-mail, label: Nokia, next: i-email}
    unknown: i-email
",
    )]);
    expect(
        &problems,
        dir.path(),
        "tree/ids.yaml",
        Some((4, 12)),
        Some("s-client-auth-off"),
        "unknown cause `client-auth-of` (did you mean `client-auth-off`?)",
    );
    expect(
        &problems,
        dir.path(),
        "tree/ids.yaml",
        Some((11, 17)),
        Some("q-client"),
        "`nokia-mail` is not a value of fact `client.id`",
    );
}

#[test]
fn client_lacking_a_task_the_tree_uses() {
    let (dir, problems) = load_overlay(&[(
        "clients/tiny.yaml",
        b"id: tiny-mail\nname: Tiny Mail\nplatform: Linux\ntasks:\n  find-outgoing-settings:\n    title: Open settings\n    steps: [Open it.]\n",
    )]);
    expect(
        &problems,
        dir.path(),
        "clients/tiny.yaml",
        Some((1, 5)),
        Some("tiny-mail"),
        "has no task `enable-smtp-auth`",
    );
}

#[test]
fn oversized_and_non_utf8_files() {
    let big = vec![b'#'; 600 * 1024];
    let (dir, problems) = load_overlay(&[
        ("tree/huge.yaml", &big),
        ("tree/latin1.yaml", b"nodes: []\n# caf\xe9\n"),
    ]);
    expect(
        &problems,
        dir.path(),
        "tree/huge.yaml",
        None,
        None,
        "knowledge files may be at most",
    );
    expect(
        &problems,
        dir.path(),
        "tree/latin1.yaml",
        None,
        None,
        "not valid UTF-8 at line 2, column 6",
    );
}

#[test]
fn all_problems_are_reported_at_once() {
    let (dir, problems) = load_overlay(&[
        (
            "tree/a.yaml",
            b"nodes:\n  - id: s-a\n    kind: solution\n    cause: no-such-cause\n    text: x\n",
        ),
        (
            "tree/b.yaml",
            b"nodes:\n  - id: s-b\n    kind: solution\n    cause: not-relay\n",
        ),
        ("tree/c.yaml", b"nodes: [\n"),
    ]);
    expect(
        &problems,
        dir.path(),
        "tree/a.yaml",
        Some((4, 12)),
        Some("s-a"),
        "unknown cause `no-such-cause`",
    );
    expect(
        &problems,
        dir.path(),
        "tree/b.yaml",
        Some((2, 9)),
        Some("s-b"),
        "a solution node needs `text`",
    );
    assert!(
        problems.iter().any(|p| p.file.ends_with("tree/c.yaml")),
        "{problems:?}"
    );
}

#[test]
fn a_sound_overlay_replaces_bundled_items_by_id() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("tree")).expect("mkdir");
    std::fs::write(
        dir.path().join("tree/ours.yaml"),
        "nodes:\n  - id: s-wrong-server-isp\n    kind: solution\n    cause: wrong-outgoing-server\n    title: Use smtp.example-corp.test\n    text: Our company's outgoing server is smtp.example-corp.test.\n",
    )
    .expect("write");
    let kb = relaydoc::knowledge::load(&[dir.path().to_path_buf()]).expect("overlay is sound");
    let node = kb.node(kb.node_id("s-wrong-server-isp").expect("exists"));
    assert_eq!(node.title.as_deref(), Some("Use smtp.example-corp.test"));
    assert!(node.origin.file.ends_with("tree/ours.yaml"));
}

#[test]
fn check_nodes_are_held_to_their_check() {
    let (dir, problems) = load_overlay(&[(
        "tree/checks.yaml",
        b"nodes:
  - id: c-my-ip-listed
    kind: check
    check: my-ip-blacklist
    text: checks
    with: {domain: account.email}
    sets: [client.ip_blacklisted, webmail.works]
    branches:
      - when: {client.ip_blacklisted: \"yes\"}
        next: s-client-ip-blacklisted
    otherwise: q-other-network
  - id: c-unknown
    kind: check
    check: telepathy
    text: reads minds
    sets: [webmail.works]
    otherwise: q-other-network
",
    )]);
    let file = "tree/checks.yaml";
    expect(
        &problems,
        dir.path(),
        file,
        Some((6, 20)),
        Some("c-my-ip-listed"),
        "check `my-ip-blacklist` takes no parameter `domain`",
    );
    expect(
        &problems,
        dir.path(),
        file,
        Some((7, 35)),
        Some("c-my-ip-listed"),
        "check `my-ip-blacklist` never sets `webmail.works`",
    );
    expect(
        &problems,
        dir.path(),
        file,
        Some((14, 12)),
        Some("c-unknown"),
        "unknown check `telepathy`; known checks: explain, mx, dnsbl",
    );
}

/// `q-other-network` as an organisation might rewrite it, with the helpdesk fields given.
fn other_network_question(helpdesk_fields: &str) -> Vec<u8> {
    format!(
        "nodes:
  - id: q-other-network
    kind: question
    fact: network.other_works
    text: Other network?
{helpdesk_fields}    choices:
      - {{value: \"yes\", label: Yes, next: s-client-ip-blacklisted}}
    unknown: s-wrong-credentials
"
    )
    .into_bytes()
}

#[test]
fn say_and_agent_note_are_read_on_any_node() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("tree")).expect("mkdir");
    std::fs::write(
        dir.path().join("tree/ours.yaml"),
        other_network_question(
            "    say: Could you try it on your phone's mobile data?\n    agent_note: >-\n      Our VPN users: ask them to\n      disconnect first.\n",
        ),
    )
    .expect("write");
    std::fs::write(
        dir.path().join("tree/solution.yaml"),
        "nodes:\n  - id: s-wrong-server-isp\n    kind: solution\n    cause: wrong-outgoing-server\n    text: Use our server.\n    agent_note: Escalate to team Mail-2.\n",
    )
    .expect("write");
    let kb = relaydoc::knowledge::load(&[dir.path().to_path_buf()]).expect("overlay is sound");
    let question = kb.node(kb.node_id("q-other-network").expect("exists"));
    assert_eq!(
        question.say.as_deref(),
        Some("Could you try it on your phone's mobile data?")
    );
    assert_eq!(
        question.agent_note.as_deref(),
        Some("Our VPN users: ask them to disconnect first.")
    );
    assert_eq!(
        question.caller_words(),
        "Could you try it on your phone's mobile data?"
    );
    let solution = kb.node(kb.node_id("s-wrong-server-isp").expect("exists"));
    assert_eq!(
        solution.agent_note.as_deref(),
        Some("Escalate to team Mail-2.")
    );
    assert!(kb.warnings.is_empty(), "{}", kb.warnings);
}

#[test]
fn empty_say_and_agent_note_are_rejected_where_they_are() {
    let (dir, problems) = load_overlay(&[(
        "tree/blank.yaml",
        &other_network_question("    say: \"  \"\n    agent_note: \"\"\n"),
    )]);
    let file = "tree/blank.yaml";
    expect(
        &problems,
        dir.path(),
        file,
        Some((6, 10)),
        Some("q-other-network"),
        "`say` is empty",
    );
    expect(
        &problems,
        dir.path(),
        file,
        Some((7, 17)),
        Some("q-other-network"),
        "`agent_note` is empty",
    );
}

#[test]
fn an_overlong_say_is_rejected() {
    let long = "Please read this out. ".repeat(60);
    let (dir, problems) = load_overlay(&[(
        "tree/long.yaml",
        &other_network_question(&format!("    say: {long}\n")),
    )]);
    expect(
        &problems,
        dir.path(),
        "tree/long.yaml",
        Some((6, 10)),
        Some("q-other-network"),
        "`say` is 1319 characters; at most 1200",
    );
}

/// An organisation's own question without `say` still works: agent mode shows its text.
/// Loading succeeds; the warning is kept for `kb validate` (see tests/cli.rs).
#[test]
fn a_question_without_say_is_a_warning_not_an_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("tree")).expect("mkdir");
    let path = dir.path().join("tree/ours.yaml");
    std::fs::write(&path, other_network_question("")).expect("write");
    let kb = relaydoc::knowledge::load(&[dir.path().to_path_buf()])
        .expect("a missing say does not stop the wizard");
    let node = kb.node(kb.node_id("q-other-network").expect("exists"));
    assert_eq!(node.say, None);
    assert_eq!(node.caller_words(), "Other network?");
    let warnings: Vec<String> = kb.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        [format!(
            "{}:2:9: [q-other-network] this question has no `say`; agent mode will show the \
             end-user text instead of words to read out to the caller",
            path.display()
        )]
    );
}

#[test]
fn facts_the_program_sets_cannot_be_asked_and_set_by_is_checked() {
    let (dir, problems) = load_overlay(&[
        (
            "tree/mode.yaml",
            b"nodes:
  - id: q-other-network
    kind: question
    fact: session.mode
    text: Are you an agent?
    say: Are you an agent?
    choices:
      - {value: agent, label: Yes, next: s-client-ip-blacklisted}
    unknown: s-wrong-credentials
",
        ),
        (
            "facts.yaml",
            b"facts:\n  - key: org.tier\n    values: [gold]\n    set_by: agent\n    about: The customer's tier.\n",
        ),
    ]);
    expect(
        &problems,
        dir.path(),
        "tree/mode.yaml",
        Some((4, 11)),
        Some("q-other-network"),
        "fact `session.mode` is set by relaydoc itself",
    );
    expect(
        &problems,
        dir.path(),
        "facts.yaml",
        Some((4, 13)),
        Some("org.tier"),
        "set_by `agent` is not known; the only value is `program`",
    );
}

#[test]
fn input_format_is_for_inputs_and_must_be_known() {
    let (dir, problems) = load_overlay(&[
        (
            "tree/format.yaml",
            &other_network_question("    say: Other network?\n    format: ip\n"),
        ),
        (
            "tree/unknown-format.yaml",
            b"nodes:\n  - id: i-caller-ip\n    kind: input\n    fact: public.ip\n    format: phone\n    text: IP?\n    say: IP?\n    next: c-caller-ip-listed\n    unknown: q-other-network\n",
        ),
    ]);
    expect(
        &problems,
        dir.path(),
        "tree/format.yaml",
        Some((2, 9)),
        Some("q-other-network"),
        "`format` has no meaning on a question node",
    );
    assert!(
        problems
            .iter()
            .any(|p| p.file.ends_with("tree/unknown-format.yaml")
                && p.position.is_some_and(|at| at.line == 5)
                && p.message.contains("phone")),
        "{problems:?}"
    );
}

/// A provider whose sign-in rules are broken in every way the validator knows, each problem
/// reported at its own line and column: an unknown method (with a suggestion), a day that does
/// not exist, a date in the wrong form, a rule that ends before it starts, a rule with no
/// source, and a source that is not a web page.
#[test]
fn broken_signin_rules_are_each_named_with_their_position() {
    let (dir, problems) = load_overlay(&[(
        "providers/p.yaml",
        b"id: p\nname: P\nusername: full-address\noutgoing:\n  - {host: h, port: 587, security: starttls, auth: password}\nsignin:\n  - method: oauth\n    works: true\n    source: https://example.com/a\n  - method: password\n    works: false\n    since: 2024-02-30\n    source: https://example.com/b\n  - method: app-password\n    works: true\n    since: 16.09.2024\n    source: https://example.com/c\n  - method: password\n    works: true\n    since: 2025-01-01\n    until: 2024-01-01\n    source: https://example.com/d\n  - method: bridge\n    works: true\n  - method: provider-token\n    works: true\n    source: the vendor's page\n",
    )]);
    let file = "providers/p.yaml";
    let at = |line, column| Some((line, column));
    expect(
        &problems,
        dir.path(),
        file,
        at(7, 13),
        Some("p"),
        "sign-in method `oauth` is not known (did you mean `oauth2`?)",
    );
    expect(
        &problems,
        dir.path(),
        file,
        at(12, 12),
        Some("p"),
        "`since: 2024-02-30` is not a date",
    );
    expect(
        &problems,
        dir.path(),
        file,
        at(16, 12),
        Some("p"),
        "`since: 16.09.2024` is not a date; write it as YYYY-MM-DD",
    );
    expect(
        &problems,
        dir.path(),
        file,
        at(21, 12),
        Some("p"),
        "`until: 2024-01-01` is not after `since: 2025-01-01`",
    );
    expect(
        &problems,
        dir.path(),
        file,
        at(23, 13),
        Some("p"),
        "the `bridge` rule has no `source`",
    );
    expect(
        &problems,
        dir.path(),
        file,
        at(27, 13),
        Some("p"),
        "is not a web address",
    );
    assert_eq!(problems.len(), 6, "{problems:?}");
}

/// A misspelt key in a rule is refused like everywhere else in knowledge/, and a rule
/// without `works` says what is missing.
#[test]
fn signin_rule_keys_are_checked() {
    let (dir, problems) = load_overlay(&[(
        "providers/p.yaml",
        b"id: p\nname: P\nusername: full-address\noutgoing:\n  - {host: h, port: 587, security: starttls, auth: password}\nsignin:\n  - method: password\n    works: true\n    sorce: https://example.com\n",
    )]);
    expect(
        &problems,
        dir.path(),
        "providers/p.yaml",
        Some((9, 5)),
        None,
        "sorce",
    );
}
