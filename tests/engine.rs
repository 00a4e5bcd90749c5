//! The wizard engine driven by messages, with canned check outcomes: no terminal, no network.

use relaydoc::engine::{Effect, Facts, Message, State, Wizard, walk};
use relaydoc::knowledge::Knowledge;

fn knowledge() -> Knowledge {
    relaydoc::knowledge::bundled().expect("bundled knowledge is valid")
}

fn facts(pairs: &[(&str, &str)]) -> Facts {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Facts that lead straight to the webmail question, and "yes" to it.
fn up_to_the_blocklist_check() -> Facts {
    facts(&[
        ("error.text", "unknown"),
        ("error.kind", "relay"),
        ("error.where", "client"),
        ("client.id", "thunderbird"),
        ("account.email", "unknown"),
        ("users.affected", "one"),
        ("recipients.scope", "all-external"),
        ("client.smtp_auth", "on"),
        ("account.auth_scheme", "smtp-auth"),
        ("account.recently_changed", "no"),
        ("client.server_owner", "email-provider"),
        ("client.security", "starttls"),
        ("webmail.works", "yes"),
    ])
}

fn asking<'k>(wizard: &Wizard<'k>) -> &'k str {
    match wizard.state() {
        State::Asking(_) => &wizard.current().expect("a node").id,
        other => panic!("expected a question, got {other:?}"),
    }
}

#[test]
fn a_check_node_asks_its_driver_and_branches_on_the_result() {
    let kb = knowledge();
    let (mut wizard, effects) = Wizard::new(&kb, up_to_the_blocklist_check());
    let [Effect::RunCheck(request)] = effects.as_slice() else {
        panic!("expected one check, got {effects:?}");
    };
    assert_eq!(request.check, "my-ip-blacklist");
    assert!(matches!(wizard.state(), State::Checking(_)));

    let listed = facts(&[("client.ip_blacklisted", "yes"), ("public.ip", "192.0.2.7")]);
    let mut listed_wizard = wizard.clone();
    listed_wizard
        .update(Message::CheckFinished {
            node: request.node,
            facts: listed,
        })
        .expect("accepted");
    confirm_the_blocklist(&mut listed_wizard);
    assert_eq!(
        listed_wizard.facts().get("public.ip").map(String::as_str),
        Some("192.0.2.7")
    );

    let mut clean = wizard.clone();
    clean
        .update(Message::CheckFinished {
            node: request.node,
            facts: facts(&[("client.ip_blacklisted", "no")]),
        })
        .expect("accepted");
    assert_eq!(asking(&clean), "q-other-network");

    wizard
        .update(Message::CheckFailed { node: request.node })
        .expect("accepted");
    assert_eq!(asking(&wizard), "q-other-network");
}

#[test]
fn a_check_result_for_another_node_is_refused() {
    let kb = knowledge();
    let (mut wizard, _) = Wizard::new(&kb, up_to_the_blocklist_check());
    let wrong = kb.node_id("start").expect("start");
    assert!(wizard.update(Message::CheckFailed { node: wrong }).is_err());
}

#[test]
fn walk_uses_canned_check_results() {
    let kb = knowledge();
    let outcome = walk(&kb, up_to_the_blocklist_check(), |request| {
        assert_eq!(request.check, "my-ip-blacklist");
        Some(facts(&[("client.ip_blacklisted", "yes")]))
    });
    assert_eq!(outcome.cause.as_deref(), Some("client-ip-blacklisted"));
    assert!(outcome.path.contains(&"c-my-ip-listed".to_string()));

    let failed = walk(&kb, up_to_the_blocklist_check(), |_| None);
    assert_eq!(failed.cause.as_deref(), Some("wrong-credentials"));
    assert!(failed.missing.contains(&"network.other_works".to_string()));
}

#[test]
fn known_check_results_skip_the_check() {
    let kb = knowledge();
    let mut given = up_to_the_blocklist_check();
    given.insert("client.ip_blacklisted".into(), "yes".into());
    let (mut wizard, effects) = Wizard::new(&kb, given);
    assert!(effects.is_empty());
    confirm_the_blocklist(&mut wizard);
}

/// A listing leads, but a listed address does not always explain a *relay* refusal (and
/// sign-in trouble is still possible): before concluding, the wizard asks the one question
/// whose answer would overturn it, whether sending works from another network. "Yes" there
/// confirms the listing.
fn confirm_the_blocklist(wizard: &mut Wizard<'_>) {
    assert_eq!(asking(wizard), "q-other-network");
    let mut fails_there_too = wizard.clone();
    wizard
        .update(Message::Answer("yes".into()))
        .expect("accepted");
    assert_eq!(
        wizard.outcome().cause.as_deref(),
        Some("client-ip-blacklisted")
    );
    assert!(wizard.decided());
    // Failing from another network too overturns it: the listing was not the reason.
    fails_there_too
        .update(Message::Answer("no".into()))
        .expect("accepted");
    relaydoc::engine::walk_on(&mut fails_there_too, Vec::new(), |_| None).expect("it ends");
    assert_ne!(
        fails_there_too.outcome().cause.as_deref(),
        Some("client-ip-blacklisted")
    );
}

#[test]
fn answer_back_and_restart() {
    let kb = knowledge();
    let (mut wizard, _) = Wizard::new(
        &kb,
        facts(&[("error.text", "unknown"), ("error.kind", "relay")]),
    );
    assert_eq!(asking(&wizard), "q-where");
    assert!(
        !wizard.can_go_back(),
        "prefilled facts are not answers to undo"
    );

    wizard
        .update(Message::Answer("client".into()))
        .expect("a choice");
    assert_eq!(asking(&wizard), "q-sender-kind");
    wizard
        .update(Message::Answer("program".into()))
        .expect("a choice");
    assert_eq!(asking(&wizard), "q-client");
    wizard.update(Message::DontKnow).expect("don't know");
    assert_eq!(asking(&wizard), "i-email");
    assert_eq!(
        wizard.facts().get("client.id").map(String::as_str),
        Some("unknown")
    );

    wizard.update(Message::Back).expect("back");
    assert_eq!(asking(&wizard), "q-client");
    assert!(
        !wizard.facts().contains_key("client.id"),
        "back forgets the answer"
    );
    assert!(wizard.missing().next().is_none());
    wizard.update(Message::Back).expect("back");
    assert_eq!(asking(&wizard), "q-sender-kind");
    wizard.update(Message::Back).expect("back");
    assert_eq!(asking(&wizard), "q-where");
    assert_eq!(
        wizard.path().last().map(|&n| kb.node(n).id.as_str()),
        Some("q-where")
    );

    let refused = wizard.update(Message::Answer("fax".into()));
    assert!(refused.is_err(), "not a choice of q-where");
    assert_eq!(asking(&wizard), "q-where", "a bad answer changes nothing");

    wizard
        .update(Message::Answer("bounce".into()))
        .expect("a choice");
    wizard.update(Message::Restart).expect("restart");
    assert_eq!(
        asking(&wizard),
        "q-where",
        "restart keeps the facts given up front"
    );
    assert!(!wizard.can_go_back());

    wizard.update(Message::Quit).expect("quit");
    assert_eq!(wizard.state(), &State::Quit);
}

#[test]
fn inputs_take_text_and_empty_means_skip() {
    let kb = knowledge();
    let (mut wizard, _) = Wizard::new(
        &kb,
        facts(&[
            ("error.text", "unknown"),
            ("error.kind", "relay"),
            ("error.where", "client"),
            ("client.id", "ios-mail"),
        ]),
    );
    assert_eq!(asking(&wizard), "i-email");
    wizard
        .update(Message::Answer("   ".into()))
        .expect("empty is a skip");
    assert_eq!(asking(&wizard), "q-users");
    assert!(wizard.missing().any(|fact| fact == "account.email"));
    wizard.update(Message::Back).expect("back");
    wizard
        .update(Message::Answer(" me@icloud.com ".into()))
        .expect("text");
    assert_eq!(
        wizard.facts().get("account.email").map(String::as_str),
        Some("me@icloud.com")
    );
}

#[test]
fn a_pasted_error_answers_the_questions_it_settles() {
    let kb = knowledge();
    let (mut wizard, effects) = Wizard::new(&kb, Facts::new());
    assert!(effects.is_empty());
    assert_eq!(asking(&wizard), "start");
    let effects = wizard
        .update(Message::Answer(
            "Oct  3 10:00:01 mx postfix/smtpd[42]: NOQUEUE: reject: RCPT from unknown[192.0.2.9]: \
             554 5.7.1 <a@example.org>: Relay access denied; from=<b@example.net> \
             to=<a@example.org> proto=ESMTP helo=<pc>"
                .into(),
        ))
        .expect("text");
    let [Effect::RunCheck(request)] = effects.as_slice() else {
        panic!("expected the explain check, got {effects:?}");
    };
    assert_eq!(request.check, "explain");
    let found = relaydoc::wizard::run_offline(&kb, request).expect("explain runs offline");
    assert_eq!(found.get("error.kind").map(String::as_str), Some("relay"));
    assert_eq!(
        found.get("error.where").map(String::as_str),
        Some("server-log")
    );
    wizard
        .update(Message::CheckFinished {
            node: request.node,
            facts: found,
        })
        .expect("accepted");
    // What kind of error, where it was seen and the server software are not asked again.
    assert_eq!(
        wizard.facts().get("server.software").map(String::as_str),
        Some("postfix")
    );
    // A Postfix server: its configuration and log are asked for next (to read them).
    assert_eq!(asking(&wizard), "i-postfix-config");
}

/// Agent mode: the blocklist check is about the caller's connection, so the address is asked
/// for (the caller reads it out) and checked with `dnsbl`, never looked up from this machine.
#[test]
fn in_agent_mode_the_callers_address_is_asked_for_and_checked() {
    let kb = knowledge();
    let mut given = up_to_the_blocklist_check();
    given.insert("session.mode".into(), "agent".into());
    let (mut wizard, effects) = Wizard::new(&kb, given);
    assert!(
        effects.is_empty(),
        "nothing runs before the address: {effects:?}"
    );
    assert_eq!(asking(&wizard), "i-caller-ip");
    let node = wizard.current().expect("a node");
    assert!(
        node.say
            .as_deref()
            .is_some_and(|say| say.contains("what is my IP"))
    );

    let mut skipped = wizard.clone();
    skipped.update(Message::DontKnow).expect("accepted");
    assert_eq!(asking(&skipped), "q-other-network");
    assert!(skipped.missing().any(|fact| fact == "public.ip"));

    let effects = wizard
        .update(Message::Answer(" 203.0.113.7 ".into()))
        .expect("accepted");
    let [Effect::RunCheck(request)] = effects.as_slice() else {
        panic!("expected one check, got {effects:?}");
    };
    assert_eq!(request.check, "dnsbl");
    assert_eq!(
        request.params.get("ip").map(String::as_str),
        Some("203.0.113.7")
    );
    let mut listed = wizard.clone();
    listed
        .update(Message::CheckFinished {
            node: request.node,
            facts: facts(&[("client.ip_blacklisted", "yes"), ("dnsbl.listed", "yes")]),
        })
        .expect("accepted");
    confirm_the_blocklist(&mut listed);
    // A check that could not run (e.g. a mistyped address) goes on as skipping would.
    wizard
        .update(Message::CheckFailed { node: request.node })
        .expect("accepted");
    assert_eq!(asking(&wizard), "q-other-network");
}

#[test]
fn without_agent_mode_the_route_is_unchanged() {
    let kb = knowledge();
    for mode in [None, Some("user"), Some("unknown")] {
        let mut given = up_to_the_blocklist_check();
        if let Some(mode) = mode {
            given.insert("session.mode".into(), mode.into());
        }
        let (_, effects) = Wizard::new(&kb, given);
        let [Effect::RunCheck(request)] = effects.as_slice() else {
            panic!("{mode:?}: expected one check, got {effects:?}");
        };
        assert_eq!(request.check, "my-ip-blacklist", "{mode:?}");
    }
}

/// A driver that wraps the real wizard but refuses (or ignores) what the walk sends, the way
/// a broken overlay or a buggy driver could: the walk must end, and say why.
struct Refusing<'k> {
    wizard: Wizard<'k>,
    /// Refuse every "don't know" (a walk can then go nowhere).
    refuse_dont_know: bool,
}

impl relaydoc::engine::Drive for Refusing<'_> {
    fn state(&self) -> &State {
        self.wizard.state()
    }
    fn update(&mut self, message: Message) -> Result<Vec<Effect>, relaydoc::engine::AnswerError> {
        match message {
            Message::DontKnow if self.refuse_dont_know => {
                Err(relaydoc::engine::AnswerError::NotAsking)
            }
            // Swallowed: the state never moves, as in an endless tree.
            Message::DontKnow => Ok(Vec::new()),
            other => self.wizard.update(other),
        }
    }
    fn node_id(&self) -> String {
        relaydoc::engine::Drive::node_id(&self.wizard)
    }
}

#[test]
fn a_walk_that_cannot_go_on_stops_and_says_why_instead_of_hanging() {
    use relaydoc::engine::{Stopped, walk_on};
    let kb = knowledge();
    for refuse_dont_know in [true, false] {
        let (wizard, effects) = Wizard::new(&kb, Facts::new());
        let first = asking(&wizard).to_owned();
        let mut driver = Refusing {
            wizard,
            refuse_dont_know,
        };
        let stuck = walk_on(&mut driver, effects, |_| None).expect_err("the walk cannot finish");
        match &stuck {
            Stopped::Stuck { node, why } => {
                assert_eq!(node, &first);
                if refuse_dont_know {
                    assert!(why.contains("nothing is being asked"), "{why}");
                } else {
                    assert!(why.contains("steps without an answer"), "{why}");
                }
            }
            other => panic!("expected Stuck, got {other:?}"),
        }
        let reason = stuck.reason();
        assert!(
            reason.contains(&first) && reason.contains("kb validate"),
            "{reason}"
        );
        // The walk told the wizard to stop: it is no longer waiting for an answer.
        assert!(matches!(driver.wizard.state(), State::Quit));
    }
}

#[test]
fn every_ending_says_why_a_conclusion_none_and_a_quit_its_reason() {
    use relaydoc::engine::Stopped;
    let kb = knowledge();
    let concluded = walk(&kb, facts(&[("client.smtp_auth", "off")]), |_| None);
    assert_eq!(concluded.stopped, None, "{concluded:?}");
    let (mut wizard, _) = Wizard::new(&kb, Facts::new());
    assert_eq!(wizard.stopped(), None);
    wizard.update(Message::Quit).expect("quit");
    assert_eq!(wizard.stopped(), Some(&Stopped::ByPerson));
    let outcome = wizard.outcome();
    assert_eq!(outcome.cause, None);
    assert_eq!(
        outcome.stopped.as_deref(),
        Some("you stopped the wizard before it reached an answer")
    );
    // Restart forgets the quit.
    wizard.update(Message::Restart).expect("restart");
    assert_eq!(wizard.stopped(), None);
}

/// An address whose provider the catalogue does not know: the wizard asks for the server its
/// steps need, takes only a server name, and the steps then name it.
#[test]
fn an_unknown_provider_is_asked_for_its_outgoing_server_and_the_steps_use_it() {
    let kb = knowledge();
    let start = facts(&[
        ("error.text", "unknown"),
        ("error.kind", "relay"),
        ("error.where", "client"),
        ("client.id", "thunderbird"),
    ]);

    // A catalogued provider: its server is known, nothing more is asked.
    let (mut known, _) = Wizard::new(&kb, start.clone());
    known
        .update(Message::Answer("me@gmx.de".into()))
        .expect("text");
    assert_eq!(asking(&known), "q-users");
    assert_eq!(
        known.facts().get("provider.catalogued").map(String::as_str),
        Some("yes")
    );

    let (mut wizard, _) = Wizard::new(&kb, start);
    wizard
        .update(Message::Answer("maria@small-host.example".into()))
        .expect("text");
    assert_eq!(asking(&wizard), "i-outgoing-server");
    for slip in [
        "maria@small-host.example",
        "smtp.small-host.example:587",
        "https://small-host.example/help",
        "smtp",
        "smtp server",
    ] {
        let refused = wizard.update(Message::Answer(slip.into()));
        assert!(
            matches!(refused, Err(relaydoc::engine::AnswerError::NotValid { .. })),
            "{slip:?} was taken: {refused:?}"
        );
        assert_eq!(asking(&wizard), "i-outgoing-server", "after {slip:?}");
    }

    let mut skipped = wizard.clone();
    skipped.update(Message::DontKnow).expect("skip");
    assert_eq!(asking(&skipped), "q-users");
    assert!(
        skipped
            .missing()
            .any(|fact| fact == "account.outgoing_server")
    );

    wizard
        .update(Message::Answer(" SMTP.Small-Host.example ".into()))
        .expect("a server name");
    assert_eq!(asking(&wizard), "q-users");
    assert_eq!(
        wizard
            .facts()
            .get("account.outgoing_server")
            .map(String::as_str),
        Some("smtp.small-host.example")
    );

    // The steps put the typed server where a catalogue entry's would go.
    let mut concluded = wizard.facts().clone();
    concluded.extend(facts(&[
        ("users.affected", "one"),
        ("recipients.scope", "all-external"),
        ("client.smtp_auth", "on"),
        ("account.recently_changed", "no"),
        ("client.server_owner", "email-provider"),
        ("client.security", "none"),
    ]));
    let outcome = walk(&kb, concluded.clone(), |_| None);
    assert_eq!(outcome.cause.as_deref(), Some("tls-required-for-auth"));
    let node = kb.node_id(&outcome.node).expect("a node");
    let client = kb.client("thunderbird").expect("thunderbird");
    let view = relaydoc::present::solution_view(&kb, node, &concluded, client);
    let text = relaydoc::present::solution_text(&view, 200);
    assert!(
        text.contains("In Server Name, type smtp.small-host.example."),
        "{text}"
    );
    assert!(
        !text.contains("the outgoing server name your provider lists"),
        "{text}"
    );
}

/// A conclusion the evidence allows is tested by a question only when a rival at least 5%
/// likely could show it wrong, and by two at most: "sign-in is off" on a phone at a company
/// server could be POP-before-SMTP (whose outgoing server has no user name either), so the
/// wizard asks what tells them apart; "authentication failed" is no relay denial, and nothing
/// is asked; a person answering "I don't know" to every test still gets a conclusion.
#[test]
fn a_conclusion_is_tested_only_by_a_question_that_could_overturn_it() {
    let kb = knowledge();
    let phone = facts(&[
        ("sender.kind", "phone"),
        ("client.id", "ios-mail"),
        ("account.email", "maria@firma.example"),
        ("error.where", "client"),
        ("error.kind", "relay"),
        ("users.affected", "one"),
        ("recipients.scope", "all-external"),
        ("client.smtp_auth", "off"),
    ]);
    // Walked with "I don't know" for everything else: both tests are asked (and stay
    // unanswered), then the leader stands.
    let unsure = walk(&kb, phone.clone(), |_| None);
    let position = |node: &str| unsure.path.iter().position(|n| n == node);
    let smtp_auth = position("q-smtp-auth").expect("the sign-in question is on the path");
    assert!(
        position("q-auth-scheme").is_some_and(|at| at > smtp_auth),
        "{:?}",
        unsure.path
    );
    assert!(
        position("q-works-after-check").is_some_and(|at| at > smtp_auth),
        "{:?}",
        unsure.path
    );
    assert!(
        unsure
            .missing
            .contains(&"sending.works_after_checking_mail".to_string())
    );
    assert_eq!(unsure.cause.as_deref(), Some("client-auth-off"));
    // Sending works right after checking mail: POP-before-SMTP.
    let mut after_checking = phone;
    after_checking.insert("sending.works_after_checking_mail".into(), "yes".into());
    let outcome = walk(&kb, after_checking, |_| None);
    assert_eq!(outcome.cause.as_deref(), Some("pop-before-smtp-expired"));

    let not_relay = walk(&kb, facts(&[("error.kind", "auth-failed")]), |_| None);
    assert_eq!(not_relay.cause.as_deref(), Some("not-relay"));
    let after_the_kind = not_relay
        .path
        .iter()
        .skip_while(|node| *node != "q-error-kind")
        .skip(1)
        .collect::<Vec<_>>();
    assert_eq!(
        after_the_kind,
        ["s-not-relay-auth-failed"],
        "nothing more asked"
    );
}
