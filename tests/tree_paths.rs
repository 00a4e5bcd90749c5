//! Every root-to-leaf path of the bundled tree, walked from facts alone.
//!
//! The paths are enumerated from the tree itself (each route out of each question, "I don't
//! know" included; choices that lead to the same node count as one route); for every path the
//! facts it implies are handed to the engine, which must not ask any of them again and must end
//! in a conclusion: a cause it names leads the ranking with evidence for it (the diagnosis may
//! name another cause than the tree's leaf, or none, when the evidence says so). Facts relaydoc sets itself (`session.mode`) are not routes of the tree: the
//! enumeration runs once for each session, people helping themselves and a helpdesk agent.
//! Separately, a table of real situations (the ones the product exists for) pins the cause each
//! must end in.

use std::collections::{BTreeMap, BTreeSet};

use relaydoc::engine::{Facts, walk};
use relaydoc::knowledge::Knowledge;
use relaydoc::knowledge::model::{NodeBody, NodeId, UNKNOWN};

fn knowledge() -> Knowledge {
    relaydoc::knowledge::bundled().expect("bundled knowledge is valid")
}

/// The sessions a walk can start in: no `session.mode` (people helping themselves, and
/// `wizard --json` without it) and agent mode.
fn sessions() -> [Facts; 2] {
    [Facts::new(), facts(&[("session.mode", "agent")])]
}

/// Every path from every session: (facts the path sets, the leaf it ends at, the node ids on it).
fn enumerate_all(kb: &Knowledge) -> Vec<(Facts, NodeId, Vec<NodeId>)> {
    sessions()
        .into_iter()
        .flat_map(|session| enumerate(kb, session))
        .collect()
}

/// (facts the path sets, the leaf it ends at, the nodes on the way)
fn enumerate(kb: &Knowledge, session: Facts) -> Vec<(Facts, NodeId, Vec<NodeId>)> {
    let mut paths = Vec::new();
    let mut stack = vec![(kb.start, session, Vec::new())];
    while let Some((node, facts, mut on_the_way)) = stack.pop() {
        assert!(
            on_the_way.len() < 200,
            "path too deep at {}",
            kb.node(node).id
        );
        on_the_way.push(node);
        match &kb.node(node).body {
            NodeBody::Question {
                fact,
                choices,
                unknown,
                ..
            } => {
                // A fact set earlier on the path is not asked again: follow its value.
                if let Some(value) = facts.get(fact) {
                    let next = choices
                        .iter()
                        .find(|choice| &choice.value == value)
                        .map_or(*unknown, |choice| choice.next);
                    stack.push((next, facts, on_the_way.clone()));
                    continue;
                }
                // Choices that lead to the same node (e.g. one per mail client) are one route.
                let mut routes = BTreeSet::new();
                // Every kind of sender (and "I don't know") leads to its own client question,
                // and all of them rejoin at the address (tests/senders.rs walks each): one kind
                // stands for all here, or every route after it would be walked six times over.
                let one_kind = fact == "sender.kind";
                for choice in choices
                    .iter()
                    .filter(|choice| !one_kind || choice.value == "program")
                    .filter(|choice| routes.insert(choice.next))
                {
                    let mut with = facts.clone();
                    with.insert(fact.clone(), choice.value.clone());
                    stack.push((choice.next, with, on_the_way.clone()));
                }
                if one_kind {
                    continue;
                }
                let mut with = facts.clone();
                with.insert(fact.clone(), UNKNOWN.to_string());
                stack.push((*unknown, with, on_the_way.clone()));
            }
            NodeBody::Input {
                fact,
                next,
                unknown,
                ..
            } => {
                if let Some(value) = facts.get(fact) {
                    let to = if value == UNKNOWN { *unknown } else { *next };
                    stack.push((to, facts, on_the_way.clone()));
                    continue;
                }
                // An answer nothing reads (no branch, no evidence) that goes where skipping
                // goes walks as skipping does: one route, the answer given, stands for both.
                let alike = next == unknown && !read_anywhere(kb, fact);
                if !alike {
                    let mut skipped = facts.clone();
                    skipped.insert(fact.clone(), UNKNOWN.to_string());
                    stack.push((*unknown, skipped, on_the_way.clone()));
                }
                // A given text routes on: the check it feeds then branches on its results.
                // (The error text is left out: what explain makes of it is the same facts the
                // questions after it enumerate anyway.) A given address is at a provider the
                // catalogue does not know, so the routes that ask for its server are walked.
                if fact != "error.text" {
                    let value = match fact.as_str() {
                        "account.email" => UNLISTED_ADDRESS,
                        _ => "given",
                    };
                    let mut given = facts.clone();
                    given.insert(fact.clone(), value.to_string());
                    if fact == "account.email" {
                        // What relaydoc derives from such an address.
                        given.insert("provider.catalogued".into(), "no".into());
                    }
                    stack.push((*next, given, on_the_way.clone()));
                }
            }
            NodeBody::Solution { .. } | NodeBody::Handoff { .. } => {
                paths.push((facts, node, on_the_way));
            }
            NodeBody::Check {
                sets,
                branches,
                otherwise,
                ..
            } => {
                // Known results are followed, as the engine does.
                if sets.iter().all(|fact| facts.contains_key(fact)) {
                    let next = branches
                        .iter()
                        .find(|branch| branch.holds(&facts))
                        .map_or(*otherwise, |branch| branch.next);
                    stack.push((next, facts, on_the_way.clone()));
                    continue;
                }
                // A check's results are facts too: one route per branch, and one where the
                // check told nothing (every fact it sets unknown).
                for branch in branches {
                    let mut with = facts.clone();
                    for condition in &branch.when {
                        with.insert(condition.fact.clone(), condition.any_of[0].clone());
                    }
                    stack.push((branch.next, with, on_the_way.clone()));
                }
                let mut with = facts.clone();
                for fact in sets {
                    with.entry(fact.clone())
                        .or_insert_with(|| UNKNOWN.to_string());
                }
                stack.push((*otherwise, with, on_the_way.clone()));
            }
            NodeBody::Decide {
                branches,
                otherwise,
            } => {
                let next = branches
                    .iter()
                    .find(|branch| branch.holds(&facts))
                    .map_or(*otherwise, |branch| branch.next);
                stack.push((next, facts, on_the_way.clone()));
            }
        }
    }
    paths
}

/// An address at a domain no catalogue entry serves (relaydoc then asks for its server).
const UNLISTED_ADDRESS: &str = "someone@unlisted.example";

/// True when a condition anywhere (a branch, an `ask_if`/`ask_unless`, a solution's `fits`, a
/// cause's evidence) reads `fact`.
fn read_anywhere(kb: &Knowledge, fact: &str) -> bool {
    use relaydoc::knowledge::model::Condition;
    let reads = |conditions: &[Condition]| conditions.iter().any(|c| c.fact == fact);
    let nodes = kb.nodes.iter().any(|node| {
        node.ask_if
            .iter()
            .chain(&node.ask_unless)
            .any(|set| reads(set))
            || match &node.body {
                NodeBody::Decide { branches, .. } | NodeBody::Check { branches, .. } => {
                    branches.iter().any(|branch| reads(&branch.when))
                }
                NodeBody::Solution { fits, .. } => reads(fits),
                _ => false,
            }
    });
    nodes
        || kb
            .causes
            .iter()
            .flat_map(|cause| &cause.evidence)
            .any(|evidence| reads(&evidence.when))
}

#[test]
fn every_path_walked_from_its_facts_ends_in_a_conclusion_the_evidence_supports() {
    let kb = knowledge();
    let paths = enumerate_all(&kb);
    assert!(paths.len() > 80, "only {} paths", paths.len());
    let mut per_cause: BTreeMap<String, usize> = BTreeMap::new();
    let (mut same_leaf, mut undecided) = (0usize, 0usize);
    for (facts, leaf, _) in &paths {
        let outcome = walk(&kb, facts.clone(), |_| None);
        // Always a conclusion (a solution or a hand-off), never a stop without one.
        let node = kb
            .node_id(&outcome.node)
            .unwrap_or_else(|| panic!("facts {facts:?}: ended at no node"));
        assert!(
            kb.node(node).is_terminal(),
            "facts {facts:?}: ended at {}",
            outcome.node
        );
        // Every fact the path gives counts, so the tree asks none of its questions again;
        // the diagnosis may ask a few more to tell the leading causes apart.
        let asked_again: Vec<&String> = outcome
            .missing
            .iter()
            .filter(|fact| facts.contains_key(*fact))
            .collect();
        assert!(
            asked_again.is_empty(),
            "facts {facts:?}: asked {asked_again:?}"
        );
        assert!(
            outcome.missing.len() <= 16,
            "facts {facts:?}: {} more questions",
            outcome.missing.len()
        );
        // A named cause leads the ranking and has evidence for it.
        if let Some(cause) = &outcome.cause {
            let first = outcome.causes.first().expect("a ranking");
            assert_eq!(&first.id, cause, "facts {facts:?}");
            assert!(
                !first.support.is_empty(),
                "facts {facts:?}: {cause} without evidence"
            );
            assert_eq!(kb.cause_of(node).map(|c| &c.id), Some(cause));
        } else {
            undecided += 1;
        }
        same_leaf += usize::from(node == *leaf);
        *per_cause
            .entry(
                outcome
                    .cause
                    .unwrap_or_else(|| "(undecided or hand-off)".into()),
            )
            .or_default() += 1;
    }
    eprintln!(
        "{} paths; {same_leaf} end at the tree's own leaf, {undecided} undecided; per cause:",
        paths.len()
    );
    for (cause, count) in &per_cause {
        eprintln!("  {cause:<34} {count}");
    }
}

#[test]
fn every_cause_is_the_conclusion_of_at_least_one_path() {
    let kb = knowledge();
    let concluded: BTreeSet<String> = enumerate_all(&kb)
        .into_iter()
        .filter_map(|(facts, _, _)| walk(&kb, facts, |_| None).cause)
        .collect();
    let all: BTreeSet<String> = kb.causes.iter().map(|cause| cause.id.clone()).collect();
    let never: Vec<_> = all.difference(&concluded).collect();
    assert!(never.is_empty(), "causes no path concludes: {never:?}");
    assert_eq!(all.len(), 18);
}

/// An address at a provider the catalogue does not know is asked for its outgoing server (the
/// steps need it); without an address, or at a known provider, it is not.
#[test]
fn only_an_address_at_an_unknown_provider_is_asked_for_its_server() {
    let kb = knowledge();
    let asks = kb.node_id("i-outgoing-server").expect("i-outgoing-server");
    let paths = enumerate_all(&kb);
    assert!(paths.iter().any(|(_, _, on)| on.contains(&asks)));
    for (facts, _, on) in &paths {
        let unlisted = facts.get("account.email").map(String::as_str) == Some(UNLISTED_ADDRESS);
        assert_eq!(on.contains(&asks), unlisted, "{facts:?}");
    }
    let known = walk(
        &kb,
        facts(&[("error.kind", "relay"), ("account.email", "me@gmx.de")]),
        |_| None,
    );
    assert!(!known.path.iter().any(|node| node == "i-outgoing-server"));
    let unknown = walk(
        &kb,
        facts(&[("error.kind", "relay"), ("account.email", UNLISTED_ADDRESS)]),
        |_| None,
    );
    assert!(unknown.path.iter().any(|node| node == "i-outgoing-server"));
    assert!(
        unknown
            .missing
            .iter()
            .any(|fact| fact == "account.outgoing_server")
    );
}

/// The blocklist check is about the connection the mail is sent from: the machine running
/// relaydoc for people helping themselves, the caller's (read out) for an agent.
#[test]
fn an_agent_checks_the_callers_address_never_their_own() {
    let kb = knowledge();
    let id = |name: &str| kb.node_id(name).expect(name);
    let (own, callers_input, callers_check) = (
        id("c-my-ip-listed"),
        id("i-caller-ip"),
        id("c-caller-ip-listed"),
    );
    let [user, agent] = sessions().map(|session| enumerate(&kb, session));

    assert!(user.iter().any(|(_, _, on)| on.contains(&own)));
    assert!(
        user.iter()
            .all(|(_, _, on)| !on.contains(&callers_input) && !on.contains(&callers_check)),
        "a session without agent mode asked for the caller's address"
    );

    assert!(
        agent.iter().all(|(_, _, on)| !on.contains(&own)),
        "agent mode looked up the agent's own address"
    );
    let listed = id("s-client-ip-blacklisted");
    assert!(
        agent
            .iter()
            .any(|(_, leaf, on)| *leaf == listed && on.contains(&callers_check)),
        "no agent route concludes a listed caller address from the check"
    );
    // Skipping the address goes where a failed lookup of one's own address goes.
    let NodeBody::Input { unknown, .. } = &kb.node(callers_input).body else {
        panic!("i-caller-ip is an input");
    };
    let NodeBody::Check { otherwise, .. } = &kb.node(own).body else {
        panic!("c-my-ip-listed is a check");
    };
    assert_eq!(unknown, otherwise);
}

fn facts(pairs: &[(&str, &str)]) -> Facts {
    pairs
        .iter()
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect()
}

/// A situation: what it is, the facts that describe it, the cause it must end in.
type Situation = (
    &'static str,
    Vec<(&'static str, &'static str)>,
    &'static str,
);

fn assert_situations(kb: &Knowledge, base: &[(&str, &str)], table: Vec<Situation>) {
    let mut wrong = Vec::new();
    for (situation, extra, expected) in table {
        let mut given = facts(base);
        given.extend(facts(&extra));
        let outcome = walk(kb, given, |_| None);
        // `?cause`: the evidence must not single a cause out, and this one leads.
        let right = match expected.strip_prefix('?') {
            Some(leader) => {
                outcome.cause.is_none()
                    && outcome.causes.first().map(|c| c.id.as_str()) == Some(leader)
            }
            None => outcome.cause.as_deref() == Some(expected),
        };
        if !right {
            wrong.push(format!(
                "{situation}: expected {expected}, got {:?} at {} (ranking {:?})",
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
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The situations the product exists for, and the cause each must end in.
#[test]
fn real_situations_end_in_the_right_cause() {
    let kb = knowledge();
    let client = [
        ("error.kind", "relay"),
        ("error.where", "client"),
        ("users.affected", "one"),
    ];
    let table: Vec<Situation> = vec![
        // "I don't know" is no evidence: the most common cause leads, but is not concluded.
        ("nothing known", vec![], "?client-auth-off"),
        (
            "a provider relaydoc does not know, its server looked up",
            vec![
                ("account.email", UNLISTED_ADDRESS),
                ("account.outgoing_server", "smtp.unlisted.example"),
                ("recipients.scope", "all-external"),
                ("client.smtp_auth", "off"),
            ],
            "client-auth-off",
        ),
        (
            "auth switched off",
            vec![
                ("recipients.scope", "all-external"),
                ("client.smtp_auth", "off"),
            ],
            "client-auth-off",
        ),
        (
            "phone switches Wi-Fi and mobile data with POP-before-SMTP",
            vec![
                ("client.smtp_auth", "on"),
                ("account.auth_scheme", "pop-before-smtp"),
                ("network.changes", "yes"),
            ],
            "pop-before-smtp-expired",
        ),
        (
            "works right after checking mail",
            vec![
                ("client.smtp_auth", "on"),
                ("account.auth_scheme", "pop-before-smtp"),
                ("network.changes", "no"),
                ("sending.works_after_checking_mail", "yes"),
            ],
            "pop-before-smtp-expired",
        ),
        (
            "ISP's outgoing server",
            vec![
                ("client.smtp_auth", "on"),
                ("account.auth_scheme", "smtp-auth"),
                ("account.recently_changed", "no"),
                ("client.server_owner", "internet-provider"),
            ],
            "wrong-outgoing-server",
        ),
        (
            "old host after a move",
            vec![
                ("client.smtp_auth", "on"),
                ("account.recently_changed", "yes"),
                ("account.change", "moved-host"),
                ("client.server_owner", "old-host"),
            ],
            "wrong-outgoing-server",
        ),
        (
            "new account not set up yet",
            vec![
                ("client.smtp_auth", "on"),
                ("account.recently_changed", "yes"),
                ("account.change", "new-account"),
            ],
            "wrong-outgoing-server",
        ),
        (
            "provider migration changed the auth method",
            vec![
                ("client.smtp_auth", "on"),
                ("account.recently_changed", "yes"),
                ("account.change", "moved-host"),
                ("client.server_owner", "email-provider"),
            ],
            "auth-method-changed",
        ),
        (
            "port 25 without encryption",
            vec![
                ("client.smtp_auth", "on"),
                ("account.recently_changed", "no"),
                ("client.server_owner", "email-provider"),
                ("client.security", "none"),
            ],
            "tls-required-for-auth",
        ),
        (
            "webmail works, other networks work",
            vec![
                ("client.smtp_auth", "on"),
                ("account.recently_changed", "no"),
                ("client.server_owner", "email-provider"),
                ("client.security", "starttls"),
                ("webmail.works", "yes"),
                ("network.other_works", "yes"),
            ],
            "client-ip-blacklisted",
        ),
        (
            "fails everywhere with auth on",
            vec![
                ("client.smtp_auth", "on"),
                ("account.recently_changed", "no"),
                ("client.server_owner", "email-provider"),
                ("client.security", "tls"),
                ("webmail.works", "yes"),
                ("network.other_works", "no"),
            ],
            "wrong-credentials",
        ),
        (
            "changed password",
            vec![
                ("client.smtp_auth", "on"),
                ("account.recently_changed", "yes"),
                ("account.change", "password"),
            ],
            "wrong-credentials",
        ),
        (
            "agent call: the caller's address is on a blocklist",
            vec![
                ("session.mode", "agent"),
                ("client.smtp_auth", "on"),
                ("account.recently_changed", "no"),
                ("client.server_owner", "email-provider"),
                ("client.security", "starttls"),
                ("webmail.works", "yes"),
                ("public.ip", "203.0.113.7"),
                ("client.ip_blacklisted", "yes"),
            ],
            "client-ip-blacklisted",
        ),
        (
            "agent call: the caller's address is clean, sending fails everywhere",
            vec![
                ("session.mode", "agent"),
                ("client.smtp_auth", "on"),
                ("account.recently_changed", "no"),
                ("client.server_owner", "email-provider"),
                ("client.security", "tls"),
                ("webmail.works", "yes"),
                ("public.ip", "203.0.113.7"),
                ("client.ip_blacklisted", "no"),
                ("network.other_works", "no"),
            ],
            "wrong-credentials",
        ),
        (
            "agent call: the caller cannot find their address, other networks work",
            vec![
                ("session.mode", "agent"),
                ("client.smtp_auth", "on"),
                ("account.recently_changed", "no"),
                ("client.server_owner", "email-provider"),
                ("client.security", "starttls"),
                ("webmail.works", "yes"),
                ("public.ip", "unknown"),
                ("network.other_works", "yes"),
            ],
            "client-ip-blacklisted",
        ),
        (
            "even colleagues refused, provider's server",
            vec![
                ("recipients.scope", "local-too"),
                ("client.server_owner", "email-provider"),
            ],
            "recipient-domain-not-local",
        ),
    ];
    assert_situations(&kb, &client, table);

    let server: Vec<Situation> = vec![
        (
            "relay by network only",
            vec![("server.relay_policy", "network")],
            "mynetworks-too-narrow",
        ),
        (
            "no AUTH offered",
            vec![("server.auth_offered", "no")],
            "server-sasl-disabled",
        ),
        (
            "good accounts cannot log in (Plesk)",
            vec![("server.software", "plesk"), ("server.auth_works", "no")],
            "auth-database-corrupt",
        ),
        (
            "auth works, relay still denied after an upgrade",
            vec![
                ("server.auth_works", "yes"),
                ("recipients.scope", "all-external"),
                ("server.recently_changed", "yes"),
            ],
            "relay-restrictions-misconfigured",
        ),
        (
            "own domain refused",
            vec![
                ("server.auth_works", "yes"),
                ("recipients.scope", "local-too"),
            ],
            "recipient-domain-not-local",
        ),
    ];
    assert_situations(
        &kb,
        &[("error.kind", "relay"), ("error.where", "server-log")],
        server,
    );

    let bounce: Vec<Situation> = vec![
        (
            "454 4.7.1",
            vec![("error.code", "454")],
            "temporary-relay-deferral",
        ),
        (
            "blocklisted sending server",
            vec![("error.code", "554"), ("bounce.mentions", "blocklist")],
            "sender-blacklisted",
        ),
        (
            "sender verify",
            vec![("bounce.mentions", "sender-verify")],
            "sender-verify-failed",
        ),
        (
            "inactive mailbox",
            vec![("bounce.mentions", "mailbox")],
            "recipient-account-invalid",
        ),
        (
            "rcpthosts",
            vec![("bounce.mentions", "domain-not-local")],
            "recipient-domain-not-local",
        ),
        (
            "recipient moved, MX stale",
            vec![
                ("bounce.mentions", "nothing-else"),
                ("recipient.recently_moved", "yes"),
            ],
            "recipient-mx-wrong",
        ),
    ];
    assert_situations(
        &kb,
        &[("error.kind", "relay"), ("error.where", "bounce")],
        bounce,
    );

    for (kind, expected_node) in [
        ("auth-failed", "s-not-relay-auth-failed"),
        ("unknown-user", "s-not-relay-unknown-user"),
        ("blocked", "s-not-relay-blocked"),
    ] {
        let outcome = walk(&kb, facts(&[("error.kind", kind)]), |_| None);
        assert_eq!(outcome.cause.as_deref(), Some("not-relay"));
        assert_eq!(outcome.node, expected_node);
    }

    let everyone = walk(
        &kb,
        facts(&[("users.affected", "all"), ("user.role", "sender")]),
        |_| None,
    );
    assert_eq!(everyone.node, "h-provider-server-side");
    assert_eq!(everyone.cause, None);
}
