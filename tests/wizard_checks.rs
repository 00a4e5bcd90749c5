//! The wizard's check nodes run for real against the lab: the server owner's branch connects
//! to the server and the question "does it offer AUTH?" is answered by the probe.

mod common;

use relaydoc::checks::dns::DnsSettings;
use std::sync::Arc;

use relaydoc::engine::{Facts, walk};
use relaydoc::knowledge::Knowledge;
use relaydoc::wizard::Checks as _;
use relaydoc::wizard::live::LiveChecks;

fn server_owner(host: &str) -> Facts {
    [
        ("error.text", "unknown"),
        ("error.kind", "relay"),
        ("error.where", "server-log"),
        ("server.software", "postfix"),
        ("server.relay_policy", "sasl"),
        ("client.server_host", host),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn live(kb: &Arc<Knowledge>) -> LiveChecks {
    LiveChecks {
        knowledge: Arc::clone(kb),
        dns: DnsSettings {
            server: Some("127.0.0.1:5353".parse().expect("address")),
            timeout: std::time::Duration::from_secs(5),
            // The lab's DNS server serves only its test zones: they prove it answers.
            known_name: "example.test".to_owned(),
        },
        ca: None,
    }
}

fn run(host: &str) -> relaydoc::engine::Outcome {
    let kb = Arc::new(relaydoc::knowledge::bundled().expect("bundled knowledge"));
    let checks = live(&kb);
    walk(&kb, server_owner(host), |request| {
        relaydoc::wizard::established(&checks.run(request))
    })
}

fn probe(host: &str) -> Facts {
    let kb = Arc::new(relaydoc::knowledge::bundled().expect("bundled knowledge"));
    let request = relaydoc::engine::CheckRequest {
        node: kb.node_id("c-server-probe").expect("node"),
        check: "smtp".into(),
        params: [("host".to_string(), host.to_string())]
            .into_iter()
            .collect(),
        secrets: Default::default(),
    };
    relaydoc::wizard::established(&live(&kb).run(&request)).expect("the probe runs")
}

#[test]
fn auth_only_after_starttls_is_found_by_the_probe() {
    if common::lab::mail_lab("auth_only_after_starttls_is_found_by_the_probe").is_none() {
        return;
    }
    assert_eq!(
        probe("127.0.0.1:2525")
            .get("server.auth_offered")
            .map(String::as_str),
        Some("tls-only")
    );
    assert_eq!(
        probe("127.0.0.1:2529")
            .get("server.auth_offered")
            .map(String::as_str),
        Some("yes")
    );
    let outcome = run("127.0.0.1:2525");
    assert!(outcome.path.contains(&"c-server-probe".to_string()));
    // Answered by the probe, so not asked (and not missing).
    assert!(
        !outcome.missing.contains(&"server.auth_offered".to_string()),
        "{outcome:?}"
    );
    assert!(outcome.path.contains(&"q-server-auth-works".to_string()));
}

#[test]
fn a_server_without_sasl_leads_to_turning_it_on() {
    if common::lab::mail_lab("a_server_without_sasl_leads_to_turning_it_on").is_none() {
        return;
    }
    let outcome = run("127.0.0.1:2530");
    assert_eq!(
        outcome.cause.as_deref(),
        Some("server-sasl-disabled"),
        "{outcome:?}"
    );
    assert!(!outcome.missing.contains(&"server.auth_offered".to_string()));
}

#[test]
fn an_unreachable_server_falls_back_to_asking() {
    if common::lab::mail_lab("an_unreachable_server_falls_back_to_asking").is_none() {
        return;
    }
    // Nothing listens on this loopback port: the probe finds no AUTH answer to give.
    let outcome = run("127.0.0.1:2999");
    assert!(
        outcome.missing.contains(&"server.auth_offered".to_string()),
        "{outcome:?}"
    );
}

/// The lab's mail server as a provider, so the sign-in test finds it from the address.
fn knowledge_with_lab_provider() -> (tempfile::TempDir, relaydoc::knowledge::Knowledge) {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("providers")).expect("mkdir");
    std::fs::write(
        dir.path().join("providers/lab.yaml"),
        "id: lab\nname: The test lab\ndomains: [example.test]\nusername: full-address\n\
         outgoing:\n  - {host: 127.0.0.1, port: 2587, security: starttls, auth: password}\n",
    )
    .expect("write");
    let kb = relaydoc::knowledge::load(&[dir.path().to_path_buf()]).expect("overlay loads");
    (dir, kb)
}

fn up_to_the_sign_in_test() -> Facts {
    [
        ("error.text", "unknown"),
        ("error.kind", "relay"),
        ("error.where", "client"),
        ("client.id", "thunderbird"),
        ("account.email", "alice@example.test"),
        ("users.affected", "one"),
        ("recipients.scope", "all-external"),
        ("client.smtp_auth", "on"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// Types `password` at the sign-in step and runs the login against the lab; returns the
/// wizard's node afterwards and everything that could have carried the password.
fn sign_in(password: &str) -> (String, String) {
    use relaydoc::engine::{Effect, Message, SecretInput, Wizard};
    use relaydoc::vocab::Secret;
    let lab = common::lab::mail_lab("sign_in").expect("checked by the caller");
    let (_dir, kb) = knowledge_with_lab_provider();
    let kb = Arc::new(kb);
    let checks = LiveChecks {
        ca: Some(relaydoc::checks::smtp::tls::Trust::from_ca_file(&lab.ca_file()).expect("lab CA")),
        ..live(&kb)
    };
    let (mut wizard, _) = Wizard::new(&kb, up_to_the_sign_in_test());
    assert_eq!(wizard.current().map(|n| n.id.as_str()), Some("i-password"));
    let effects = wizard
        .update(Message::Secret(SecretInput::Typed(Secret::new(password))))
        .expect("typed");
    let [Effect::RunCheck(request)] = effects.as_slice() else {
        panic!("expected the sign-in check, got {effects:?}");
    };
    let report = checks.run(request);
    let mut seen = format!(
        "{request:?}\n{}\n{:?}\n",
        serde_json::to_string(&report).expect("json"),
        wizard.facts()
    );
    wizard
        .update(Message::CheckFinished {
            node: request.node,
            facts: report.facts.into_iter().collect(),
        })
        .expect("accepted");
    let outcome = wizard.outcome();
    seen.push_str(&serde_json::to_string(&outcome).expect("json"));
    seen.push_str(&format!("{:?}", wizard.facts()));
    (
        wizard.current().map(|n| n.id.clone()).unwrap_or_default(),
        seen,
    )
}

#[test]
fn the_sign_in_test_logs_in_and_never_keeps_the_password() {
    if common::lab::mail_lab("the_sign_in_test_logs_in_and_never_keeps_the_password").is_none() {
        return;
    }
    // The lab's real password for alice; the wizard moves on to the next question.
    let (node, seen) = sign_in("password");
    // Signed in: the questions go on (the sign-in scheme comes from the provider's
    // published settings, so the next one asked is about recent changes).
    assert_eq!(node, "q-recently-changed", "{seen}");

    // A wrong password, as a canary: refused, and it appears in nothing the wizard keeps.
    let canary = "canary-Zq8v-not-a-real-password";
    let (node, seen) = sign_in(canary);
    assert_eq!(node, "s-wrong-credentials", "{seen}");
    assert!(!seen.contains(canary), "the password leaked: {seen}");
}

/// The wizard's checks behind a resolver that lies (NXDOMAIN for every name), one that fails
/// (SERVFAIL) and one that never answers: every check the tree can run says "could not
/// check" (status `error`), sets no fact, says nothing false, and the wizard takes the check's
/// fallback as if it had not run. None of these need the lab.
fn checks_behind(dns: std::net::SocketAddr, kb: &Arc<Knowledge>) -> LiveChecks {
    LiveChecks {
        knowledge: Arc::clone(kb),
        dns: DnsSettings {
            server: Some(dns),
            timeout: std::time::Duration::from_secs(2),
            // A name that exists everywhere: the lying resolver says it does not.
            known_name: "example.test".to_owned(),
        },
        ca: None,
    }
}

/// Each check node of the bundled tree, with facts that reach it and what the check needs.
fn facts_for_every_check() -> Vec<(&'static str, Facts, Option<&'static str>)> {
    let owned = |pairs: &[(&str, &str)]| -> Facts {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let client_side = [
        ("error.text", "unknown"),
        ("error.kind", "relay"),
        ("error.where", "client"),
        ("client.id", "thunderbird"),
        ("users.affected", "one"),
        ("recipients.scope", "all-external"),
        ("client.smtp_auth", "on"),
    ];
    let mut signing_in = owned(&client_side);
    signing_in.insert("account.email".into(), "someone@example.org".into());
    let mut caller_ip = owned(&client_side);
    caller_ip.insert("session.mode".into(), "agent".into());
    caller_ip.insert("public.ip".into(), "192.0.2.7".into());
    caller_ip.insert("webmail.works".into(), "yes".into());
    let mut my_ip = owned(&client_side);
    my_ip.insert("webmail.works".into(), "yes".into());
    vec![
        ("c-login", signing_in, Some("a-password-that-may-be-right")),
        ("c-caller-ip-listed", caller_ip, None),
        ("c-my-ip-listed", my_ip, None),
        ("c-server-probe", server_owner("mail.example.com"), None),
    ]
}

#[test]
fn every_wizard_check_behind_a_lying_or_broken_resolver_says_it_could_not_check() {
    use common::hostile_dns::{self, Script};
    use relaydoc::checks::Status;
    use relaydoc::engine::{Effect, Message, SecretInput, State, Wizard};
    use relaydoc::vocab::Secret;
    let kb = Arc::new(relaydoc::knowledge::bundled().expect("bundled knowledge"));
    for script in [
        Script::NxDomainForEverything,
        Script::ServFail,
        Script::Silent,
    ] {
        let checks = checks_behind(hostile_dns::start(script), &kb);
        for (node, facts, password) in facts_for_every_check() {
            let (mut wizard, mut effects) = Wizard::new(&kb, facts);
            // Walk with "don't know" (and the password, when asked) until the check runs.
            let mut steps = 0;
            while effects.is_empty() {
                let message = match wizard.current().map(|n| n.id.as_str()) {
                    Some("i-password") => Message::Secret(SecretInput::Typed(Secret::new(
                        password.expect("only the sign-in test asks for a password"),
                    ))),
                    _ => Message::DontKnow,
                };
                assert!(
                    matches!(wizard.state(), State::Asking(_)),
                    "{script:?}: ended before {node}: {:?}",
                    wizard.outcome().path
                );
                effects = wizard.update(message).expect("accepted");
                steps += 1;
                assert!(
                    steps < 40,
                    "{script:?}: never reached {node}: {wizard:?}",
                    wizard = wizard.outcome()
                );
            }
            let [Effect::RunCheck(request)] = effects.as_slice() else {
                panic!("{script:?}: expected one check, got {effects:?}");
            };
            assert_eq!(kb.node(request.node).id, node, "{script:?}");
            let report = checks.run(request);
            let shown = serde_json::to_string(&report).expect("json").to_lowercase();
            assert_eq!(report.status, Status::Error, "{script:?} {node}: {shown}");
            assert!(
                shown.contains("\"facts\":{}"),
                "{script:?} {node}: an error sets no facts: {shown}"
            );
            // The hint quotes what the lying resolver says; that is no claim of ours.
            let claims = shown.replace(r#"answers \"does not exist\" for every name"#, "");
            for false_fact in [
                "does not exist",
                "not listed",
                "wrong password",
                "no address",
            ] {
                assert!(
                    !claims.contains(false_fact),
                    "{script:?} {node} says {false_fact:?}: {shown}"
                );
            }
            // No evidence: the wizard goes on to the check's fallback, as if it had not run.
            assert_eq!(relaydoc::wizard::established(&report), None);
            let fallback = match &kb.node(request.node).body {
                relaydoc::knowledge::model::NodeBody::Check { otherwise, .. } => *otherwise,
                other => panic!("{node} is not a check: {other:?}"),
            };
            wizard
                .update(relaydoc::wizard::message_for(request, &report))
                .expect("accepted");
            let went = wizard
                .path()
                .iter()
                .map(|&n| kb.node(n).id.clone())
                .collect::<Vec<_>>();
            assert!(
                went.contains(&kb.node(fallback).id)
                    || matches!(wizard.state(), State::Finished(_)),
                "{script:?} {node}: {went:?}"
            );
        }
    }
}
