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

/// What the first bundled providers do with a normal password, on a fixed day, and around the
/// dated changes: Outlook.com on 16 September 2024, Exchange Online at the end of 2026.
#[test]
fn password_login_table_for_every_provider() {
    use relaydoc::knowledge::model::PasswordLogin::{self, *};
    let kb = relaydoc::knowledge::bundled().expect("bundled knowledge is valid");
    let day = |text: &str| text.parse::<jiff::civil::Date>().expect("a date");
    let expected: &[(&str, PasswordLogin)] = &[
        ("aol", OAuthOrAppPassword),
        ("att", AppPasswordOnly),
        ("comcast-xfinity", Accepted),
        ("fastmail", AppPasswordOnly),
        ("free-fr", Accepted),
        ("gmail", OAuthOrAppPassword),
        ("gmx-com", Accepted),
        ("gmx-de", Accepted),
        ("icloud", AppPasswordOnly),
        ("ionos", Accepted),
        ("libero-it", Accepted),
        ("mail-ru", Accepted),
        ("mailbox-org", Accepted),
        ("microsoft-365", Accepted),
        ("orange-fr", Accepted),
        ("outlook-com", OAuthOnly),
        ("ovh", Accepted),
        ("posteo", Accepted),
        ("proton", ProviderToken),
        ("t-online", AppPasswordOnly),
        ("web-de", Accepted),
        ("yahoo", OAuthOrAppPassword),
        ("yandex", AppPasswordOnly),
    ];
    let on = day("2026-06-01");
    // The first providers relaydoc knew; tests/catalogue.rs covers the whole catalogue.
    let mut table: Vec<(&str, PasswordLogin)> = kb
        .providers
        .iter()
        .filter(|provider| expected.iter().any(|(id, _)| *id == provider.id))
        .map(|provider| (provider.id.as_str(), provider.password_login(on)))
        .collect();
    table.sort_by_key(|(id, _)| *id);
    assert_eq!(table, expected, "the first bundled providers, on {on}");

    let provider = |id: &str| kb.provider(id).expect(id);
    let outlook = provider("outlook-com");
    assert_eq!(outlook.password_login(day("2024-09-15")), Accepted);
    assert_eq!(outlook.password_login(day("2024-09-16")), OAuthOnly);
    let m365 = provider("microsoft-365");
    assert_eq!(m365.password_login(day("2026-12-30")), Accepted);
    assert_eq!(m365.password_login(day("2026-12-31")), OAuthOnly);

    // The names people read, and what the diagnosis may conclude from them.
    assert_eq!(
        provider("gmail").working_methods_text(on).as_deref(),
        Some("app password or sign-in on the provider's page (OAuth2)")
    );
    assert!(OAuthOnly.refuses_normal_password() && !Accepted.refuses_normal_password());
    // JSON and the names scripts compare against are one spelling.
    for login in [
        Accepted,
        AppPasswordOnly,
        OAuthOnly,
        OAuthOrAppPassword,
        ProviderToken,
        Unknown,
    ] {
        assert_eq!(
            serde_json::to_value(login).ok(),
            Some(login.as_str().into())
        );
    }
    assert!(!Unknown.refuses_normal_password());
}

/// Every bundled provider has dated sign-in rules, each naming a web page as its source,
/// and every app password rule that gives a place to create one gives a web address.
#[test]
fn every_bundled_provider_has_sourced_signin_rules() {
    let kb = relaydoc::knowledge::bundled().expect("bundled knowledge is valid");
    for provider in &kb.providers {
        assert!(
            !provider.signin.is_empty(),
            "{} has no signin rules",
            provider.id
        );
        for rule in &provider.signin {
            assert!(rule.source.starts_with("http"), "{}: {rule:?}", provider.id);
        }
    }
    let google = kb.provider("gmail").expect("gmail");
    let refusals: Vec<&str> = google
        .signin
        .iter()
        .filter_map(|rule| rule.reply.as_deref())
        .collect();
    assert!(
        refusals
            .iter()
            .any(|reply| reply.starts_with("534-5.7.9 Application-specific password required")),
        "{refusals:?}"
    );
}

/// The steps a person reads: for Thunderbird and a Gmail address, choosing OAuth2 is the main
/// step and no step says "Normal password" or "the same password you use for incoming mail";
/// the app password is the way out where OAuth2 is missing. iCloud gets the app password and
/// where to create it; an unknown provider gets whole sentences.
#[test]
fn thunderbird_steps_follow_the_providers_signin_rules() {
    use relaydoc::present::{StepView, TargetSettings, task_view};
    let kb = relaydoc::knowledge::bundled().expect("bundled knowledge is valid");
    let thunderbird = kb.client("thunderbird").expect("thunderbird");
    let on = "2026-06-01".parse::<jiff::civil::Date>().expect("a date");
    let render = |email: &str, task: &str| -> (Vec<String>, String) {
        let target = TargetSettings::for_email(&kb, Some(email.to_string())).on(on);
        match task_view(thunderbird, task, &target) {
            Some(StepView::ClientTask { steps, note, .. }) => (steps, note.unwrap_or_default()),
            other => panic!("{task}: {other:?}"),
        }
    };

    let (steps, note) = render("someone@gmail.com", "enable-smtp-auth");
    let all = steps.join("\n");
    assert!(
        steps[1].contains("Authentication method") && steps[1].contains("**OAuth2**"),
        "{all}"
    );
    assert!(!all.contains("Normal password"), "{all}");
    assert!(!all.contains("same password"), "{all}");
    assert!(
        note.contains("https://myaccount.google.com/apppasswords"),
        "{note}"
    );
    let (steps, _) = render("someone@gmail.com", "set-server-port-security");
    assert!(
        steps.iter().any(|s| s.contains("is **OAuth2**")),
        "{steps:?}"
    );

    let (steps, note) = render("someone@outlook.com", "enable-smtp-auth");
    assert!(steps[1].contains("**OAuth2**"), "{steps:?}");
    assert!(note.contains("cannot send through Outlook.com"), "{note}");
    assert!(!note.contains("app password"), "{note}");

    let (steps, _) = render("someone@icloud.com", "enable-smtp-auth");
    let all = steps.join("\n");
    assert!(all.contains("**Normal password**"), "{all}");
    assert!(
        all.contains("an app password you create at https://account.apple.com"),
        "{all}"
    );
    assert!(!all.contains("appleid.apple.com"), "{all}");

    let (steps, _) = render("someone@unknown.example", "set-server-port-security");
    let all = steps.join("\n");
    assert!(!all.contains('{'), "{all}");
    assert!(!all.contains("(or "), "{all}");
    assert!(
        all.contains("the port your provider lists (usually 587)"),
        "{all}"
    );
}

/// The sign-in question is asked in the person's own program's words (its setting's label,
/// as its steps name it), and in general words where the program is unknown or has none.
#[test]
fn the_sign_in_question_uses_the_programs_own_words() {
    let kb = relaydoc::knowledge::bundled().expect("bundled knowledge");
    let node = kb.node(kb.node_id("q-smtp-auth").expect("q-smtp-auth"));
    let text = |client: Option<&str>| {
        node.text_for(client.map(|id| kb.client(id).expect(id)))
            .into_owned()
    };
    let thunderbird = text(Some("thunderbird"));
    assert!(
        thunderbird.contains("\"Authentication method\"")
            && thunderbird.contains("\"No authentication\""),
        "{thunderbird}"
    );
    assert!(
        !thunderbird.contains("requires authentication"),
        "{thunderbird}"
    );
    let outlook = text(Some("outlook-classic-windows"));
    assert!(
        outlook.contains("\"My outgoing server (SMTP) requires authentication\""),
        "{outlook}"
    );
    // Unknown, or a program without words of its own: the general words, the same as
    // everywhere no program is known (kb show, the website).
    for general in [text(None), text(Some("airmail"))] {
        assert_eq!(general, node.text);
        assert!(general.contains("requires authentication"), "{general}");
    }
    let say = node.say_for(kb.client("thunderbird")).into_owned();
    assert!(say.contains("\"Authentication method\""), "{say}");
    // Every program's words fit the question: one question, no placeholder, no mark-up left.
    for client in &kb.clients {
        let shown = node.text_for(Some(client));
        assert!(
            !shown.contains('{') && !shown.contains("**"),
            "{}: {shown}",
            client.id
        );
        if let Some(words) = &client.signin_question {
            assert!(words.ends_with('?'), "{}: {words}", client.id);
        }
    }
}

/// Every question and choice a person reads says it in plain words first, the technical term
/// after it in brackets (or quoted, as the program or message shows it, or as a command).
#[test]
fn technical_terms_in_questions_come_in_brackets_after_plain_words() {
    use relaydoc::knowledge::model::NodeBody;
    const TERMS: [&str; 8] = [
        "STARTTLS",
        "SSL/TLS",
        "SMTP",
        "AUTH",
        "POP-before-SMTP",
        "EHLO",
        "SASL",
        "mynetworks",
    ];
    /// True when every occurrence of `term` is inside (…), "…" or `…`.
    fn sheltered(text: &str, term: &str) -> bool {
        text.match_indices(term).all(|(at, _)| {
            let before = &text[..at];
            let open = before.matches('(').count() > before.matches(')').count();
            let quoted = before.matches('"').count() % 2 == 1;
            let code = before.matches('`').count() % 2 == 1;
            open || quoted || code
        })
    }
    let kb = relaydoc::knowledge::bundled().expect("bundled knowledge");
    let mut bare = Vec::new();
    for node in &kb.nodes {
        let mut texts = vec![node.text.clone()];
        if let NodeBody::Question {
            choices,
            unknown_label,
            fact,
            ..
        } = &node.body
        {
            // Program names are names ("Google Workspace SMTP relay service"), not jargon.
            if fact != "client.id" {
                texts.extend(choices.iter().map(|choice| choice.label.clone()));
            }
            texts.push(unknown_label.clone());
        }
        if !matches!(
            node.body,
            NodeBody::Question { .. } | NodeBody::Input { .. }
        ) {
            continue;
        }
        for text in texts {
            for term in TERMS {
                if !sheltered(&text, term) {
                    bare.push(format!("{}: {term} in {text:?}", node.id));
                }
            }
        }
    }
    assert!(bare.is_empty(), "{}", bare.join("\n"));
}
