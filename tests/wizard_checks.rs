//! The wizard's check nodes run for real against the lab: the server owner's branch connects
//! to the server and the question "does it offer AUTH?" is answered by the probe.

mod common;

use relaydoc::checks::dns::DnsSettings;
use relaydoc::checks::runner::LiveChecks;
use relaydoc::engine::{Facts, walk};

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

fn live(kb: &relaydoc::knowledge::Knowledge) -> LiveChecks<'_> {
    LiveChecks {
        knowledge: kb,
        dns: DnsSettings {
            server: Some("127.0.0.1:5353".parse().expect("address")),
            timeout: std::time::Duration::from_secs(5),
        },
    }
}

fn run(host: &str) -> relaydoc::engine::Outcome {
    let kb = relaydoc::knowledge::bundled().expect("bundled knowledge");
    let checks = live(&kb);
    walk(&kb, server_owner(host), |request| {
        checks.run_blocking(request)
    })
}

fn probe(host: &str) -> Facts {
    let kb = relaydoc::knowledge::bundled().expect("bundled knowledge");
    let request = relaydoc::engine::CheckRequest {
        node: kb.node_id("c-server-probe").expect("node"),
        check: "smtp".into(),
        params: [("host".to_string(), host.to_string())]
            .into_iter()
            .collect(),
    };
    live(&kb).run_blocking(&request).expect("the probe runs")
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
