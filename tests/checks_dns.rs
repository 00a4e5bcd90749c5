//! DNS checks against real servers: the lab's NSD (tests/lab/dns.sh) for every zone case, and
//! small scripted DNS servers on 127.0.0.1:0 for the hostile cases (SERVFAIL, silence,
//! truncation, garbage, escape sequences in answers). Only loopback is ever contacted.
//!
//! Run (as root, NSD installed: `apt-get install nsd bind9-dnsutils`):
//!
//! ```text
//! tests/lab/dns.sh start
//! RELAYDOC_REQUIRE_LAB=1 cargo test --test checks_dns
//! tests/lab/dns.sh stop
//! ```
//!
//! Without the lab the lab cases print "SKIPPED" and pass; the hostile cases always run.

mod common;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use assert_cmd::Command;
use relaydoc::checks::Status;
use relaydoc::checks::dns::host::HostTarget;
use relaydoc::checks::dns::public_ip::Method;
use relaydoc::checks::dns::{
    self, Answer, DnsClient, DnsSettings, Failure, RecordData, RecordKind, Resolve,
};
use serde_json::Value;

/// A guard against a hang: a test that needs longer than this is broken, not slow.
const HANG_GUARD: Duration = Duration::from_secs(60);

fn client(server: SocketAddr, timeout: Duration) -> DnsClient {
    DnsClient::new(&DnsSettings {
        server: Some(server),
        timeout,
        // The lab's NSD serves only its test zones: one of them is the name that must exist.
        known_name: "example.test".to_owned(),
    })
    .expect("a resolver for one given server always builds")
}

fn lab_client() -> Option<DnsClient> {
    let lab = common::lab::dns_lab("checks_dns")?;
    Some(client(lab.dns(), Duration::from_secs(5)))
}

fn ip(text: &str) -> IpAddr {
    text.parse().expect("test address")
}

async fn guarded<F: std::future::Future>(future: F) -> F::Output {
    tokio::time::timeout(HANG_GUARD, future)
        .await
        .expect("the check must end within its own timeouts")
}

// ---------------------------------------------------------------- mx

#[tokio::test]
async fn mx_of_a_good_domain_lists_the_host_and_its_addresses() {
    let Some(client) = lab_client() else { return };
    let report = guarded(dns::mx::check(&client, "example.test")).await;
    assert_eq!(report.status, Status::Ok, "{report:#?}");
    let facts = report.to_check_report().facts;
    assert_eq!(facts["dns.mx"], "ok");
    assert_eq!(facts["dns.mx_hosts"], "mail.example.test");
    assert_eq!(facts["dns.mx_implicit"], "no");
    assert_eq!(facts["dns.mx_flags"], "none");
    assert_eq!(
        report.exchanges[0].addresses,
        vec![ip("127.0.0.1"), ip("::1")]
    );
}

#[tokio::test]
async fn mx_hosts_are_sorted_by_preference() {
    let Some(client) = lab_client() else { return };
    let report = guarded(dns::mx::check(&client, "multimx.example.test")).await;
    let order: Vec<(u16, &str)> = report
        .exchanges
        .iter()
        .map(|e| (e.preference, e.host.as_str()))
        .collect();
    assert_eq!(
        order,
        [
            (10, "mail.example.test"),
            (20, "mx2.example.test"),
            (30, "backup.example.test")
        ]
    );
    assert_eq!(
        report.to_check_report().facts["dns.mx_hosts"],
        "mail.example.test,mx2.example.test,backup.example.test"
    );
}

#[tokio::test]
async fn mx_pointing_at_a_dead_address_is_still_valid_dns() {
    let Some(client) = lab_client() else { return };
    let report = guarded(dns::mx::check(&client, "wrongmx.test")).await;
    assert_eq!(report.status, Status::Ok);
    assert_eq!(report.exchanges[0].host, "mx.wrongmx.test");
    assert_eq!(report.exchanges[0].addresses, vec![ip("127.0.0.66")]);
}

#[tokio::test]
async fn mx_target_that_does_not_exist_is_flagged() {
    let Some(client) = lab_client() else { return };
    let report = guarded(dns::mx::check(&client, "dangling.wrongmx.test")).await;
    assert_eq!(report.status, Status::Problem);
    let facts = report.to_check_report().facts;
    assert_eq!(facts["dns.mx_flags"], "unresolvable-target");
    assert!(report.notes[0].contains("nothere.wrongmx.test"));
    assert!(report.notes[0].contains("does not exist"));
}

#[tokio::test]
async fn no_mx_falls_back_to_the_domains_address() {
    let Some(client) = lab_client() else { return };
    let report = guarded(dns::mx::check(&client, "nomx.test")).await;
    assert_eq!(report.status, Status::Problem);
    let facts = report.to_check_report().facts;
    assert_eq!(facts["dns.mx"], "none");
    assert_eq!(facts["dns.mx_implicit"], "yes");
    assert!(!facts.contains_key("dns.mx_hosts"));
    assert_eq!(
        report.implicit_addresses,
        Some(vec![ip("127.0.0.1"), ip("::1")])
    );
    assert!(report.summary.contains("RFC 5321"));
}

#[tokio::test]
async fn no_mx_and_no_address_means_no_mail_at_all() {
    let Some(client) = lab_client() else { return };
    let report = guarded(dns::mx::check(&client, "empty.nomx.test")).await;
    assert_eq!(report.status, Status::Problem);
    let facts = report.to_check_report().facts;
    assert_eq!(facts["dns.mx"], "none");
    assert_eq!(facts["dns.mx_implicit"], "no");
}

#[tokio::test]
async fn null_mx_says_the_domain_takes_no_mail() {
    let Some(client) = lab_client() else { return };
    let report = guarded(dns::mx::check(&client, "nullmx.test")).await;
    assert_eq!(report.status, Status::Problem);
    assert_eq!(report.to_check_report().facts["dns.mx"], "null");
    assert!(report.summary.contains("RFC 7505"));
    assert!(report.exchanges.is_empty());
}

#[tokio::test]
async fn mx_pointing_at_an_alias_is_flagged() {
    let Some(client) = lab_client() else { return };
    let report = guarded(dns::mx::check(&client, "cnamemx.test")).await;
    assert_eq!(report.status, Status::Problem);
    assert_eq!(
        report.to_check_report().facts["dns.mx_flags"],
        "cname-target"
    );
    let exchange = &report.exchanges[0];
    assert_eq!(exchange.alias_for.as_deref(), Some("real.cnamemx.test"));
    assert_eq!(exchange.addresses, vec![ip("127.0.0.1")]);
}

#[tokio::test]
async fn mx_naming_an_ip_address_is_flagged() {
    let Some(client) = lab_client() else { return };
    let report = guarded(dns::mx::check(&client, "iplitmx.test")).await;
    assert_eq!(report.status, Status::Problem);
    assert_eq!(
        report.to_check_report().facts["dns.mx_flags"],
        "ip-literal-target"
    );
    assert!(report.notes[0].contains("IP address"));
}

#[tokio::test]
async fn mx_of_a_missing_domain_is_nxdomain() {
    let Some(client) = lab_client() else { return };
    let report = guarded(dns::mx::check(&client, "nxdomain.example.test")).await;
    assert_eq!(report.status, Status::Problem);
    assert_eq!(report.to_check_report().facts["dns.mx"], "nxdomain");
    assert_eq!(report.lookups[0].result, "nxdomain");
}

#[tokio::test]
async fn a_refusing_server_is_an_error_not_a_finding() {
    let Some(client) = lab_client() else { return };
    // The lab's NSD serves only the test zones: anything else is REFUSED.
    let report = guarded(dns::mx::check(&client, "example.org")).await;
    assert_eq!(report.status, Status::Error);
    assert_eq!(report.to_check_report().facts["dns.mx"], "error");
    assert_eq!(report.lookups[0].result, "refused");
    assert!(report.summary.contains("refused"));
}

#[tokio::test]
async fn the_lab_answers_over_ipv6_too() {
    let Some(_) = common::lab::dns_lab("the_lab_answers_over_ipv6_too") else {
        return;
    };
    let client = client("[::1]:5353".parse().expect("addr"), Duration::from_secs(5));
    let report = guarded(dns::mx::check(&client, "example.test")).await;
    assert_eq!(report.status, Status::Ok);
    assert_eq!(report.dns_server, "[::1]:5353");
}

// ---------------------------------------------------------------- host

#[tokio::test]
async fn host_with_forward_confirmed_reverse_dns() {
    let Some(client) = lab_client() else { return };
    let target = HostTarget::Name("mail.example.test".to_owned());
    let report = guarded(dns::host::check(&client, &target)).await;
    assert_eq!(report.status, Status::Ok, "{report:#?}");
    let facts = report.to_check_report().facts;
    assert_eq!(facts["dns.host"], "ok");
    assert_eq!(facts["dns.host_addresses"], "127.0.0.1,::1");
    assert_eq!(facts["dns.fcrdns"], "yes");
    for check in &report.addresses {
        assert_eq!(check.ptr_names, ["mail.example.test"]);
        assert_eq!(check.confirmed_by.as_deref(), Some("mail.example.test"));
    }
}

#[tokio::test]
async fn host_whose_reverse_name_points_elsewhere_is_not_confirmed() {
    let Some(client) = lab_client() else { return };
    let target = HostTarget::Name("badptr.example.test".to_owned());
    let report = guarded(dns::host::check(&client, &target)).await;
    assert_eq!(report.status, Status::Problem);
    assert_eq!(report.to_check_report().facts["dns.fcrdns"], "no");
    assert_eq!(report.addresses[0].ptr_names, ["elsewhere.example.test"]);
    assert!(report.addresses[0].confirmed_by.is_none());
}

#[tokio::test]
async fn host_without_reverse_name() {
    let Some(client) = lab_client() else { return };
    let target = HostTarget::Name("noptr.example.test".to_owned());
    let report = guarded(dns::host::check(&client, &target)).await;
    assert_eq!(report.status, Status::Problem);
    assert!(report.addresses[0].ptr_names.is_empty());
    assert!(report.addresses[0].explanation.contains("no PTR"));
}

#[tokio::test]
async fn host_given_as_an_address_checks_its_reverse_dns() {
    let Some(client) = lab_client() else { return };
    for address in ["127.0.0.1", "::1"] {
        let report = guarded(dns::host::check(&client, &HostTarget::Address(ip(address)))).await;
        assert_eq!(report.status, Status::Ok, "{address}: {report:#?}");
        assert_eq!(report.addresses[0].ptr_names, ["mail.example.test"]);
    }
}

#[tokio::test]
async fn host_that_does_not_exist() {
    let Some(client) = lab_client() else { return };
    let target = HostTarget::Name("nope.example.test".to_owned());
    let report = guarded(dns::host::check(&client, &target)).await;
    assert_eq!(report.status, Status::Problem);
    assert_eq!(report.to_check_report().facts["dns.host"], "nxdomain");
}

// ---------------------------------------------------------------- srv

#[tokio::test]
async fn srv_finds_all_six_mail_services() {
    let Some(client) = lab_client() else { return };
    let report = guarded(dns::srv::check(&client, "example.test")).await;
    assert_eq!(report.status, Status::Ok);
    let facts = report.to_check_report().facts;
    assert_eq!(facts["dns.srv"], "found");
    for (service, port) in [
        ("submission", 2587),
        ("submissions", 2465),
        ("imap", 2143),
        ("imaps", 2993),
        ("pop3", 2110),
        ("pop3s", 2995),
    ] {
        assert_eq!(
            facts[&format!("dns.srv_{service}")],
            format!("mail.example.test:{port}")
        );
    }
}

#[tokio::test]
async fn srv_sorts_by_priority_then_weight_and_knows_not_offered() {
    let Some(client) = lab_client() else { return };
    let report = guarded(dns::srv::check(&client, "srv.example.test")).await;
    let submission = report
        .services
        .iter()
        .find(|s| s.service.name == "submission")
        .expect("submission is looked up");
    let order: Vec<(u16, u16, u16)> = submission
        .targets
        .iter()
        .map(|t| (t.priority, t.weight, t.port))
        .collect();
    assert_eq!(order, [(10, 60, 2525), (10, 10, 2587), (20, 0, 2587)]);
    let facts = report.to_check_report().facts;
    assert_eq!(facts["dns.srv_submission"], "mail.example.test:2525");
    assert_eq!(facts["dns.srv_submissions"], "not-offered");
    assert_eq!(facts["dns.srv_pop3"], "not-offered");
    assert_eq!(facts["dns.srv_imap"], "none");
}

#[tokio::test]
async fn srv_absent_is_not_a_problem() {
    let Some(client) = lab_client() else { return };
    let report = guarded(dns::srv::check(&client, "nomx.test")).await;
    assert_eq!(report.status, Status::Ok);
    assert_eq!(report.to_check_report().facts["dns.srv"], "none");
}

// ---------------------------------------------------------------- dnsbl

fn zones(list: &[&str]) -> Vec<String> {
    list.iter().map(|zone| (*zone).to_owned()).collect()
}

#[tokio::test]
async fn dnsbl_listed_address_with_reason() {
    let Some(client) = lab_client() else { return };
    let report = guarded(dns::dnsbl::check(
        &client,
        ip("127.0.0.2"),
        &zones(&["bl.example.test"]),
    ))
    .await;
    assert_eq!(report.status, Status::Problem);
    let zone = &report.zones[0];
    assert_eq!(zone.query, "2.0.0.127.bl.example.test");
    assert_eq!(zone.result, "listed");
    assert_eq!(
        zone.codes,
        ["127.0.0.2".parse::<std::net::Ipv4Addr>().expect("ip")]
    );
    assert!(
        zone.reason
            .as_deref()
            .is_some_and(|r| r.contains("lab test entry"))
    );
    let facts = report.to_check_report().facts;
    assert_eq!(facts["dnsbl.listed"], "yes");
    assert_eq!(facts["dnsbl.listed_on"], "bl.example.test");
    assert_eq!(facts["dnsbl.ip"], "127.0.0.2");
}

#[tokio::test]
async fn dnsbl_nxdomain_means_not_listed() {
    let Some(client) = lab_client() else { return };
    let report = guarded(dns::dnsbl::check(
        &client,
        ip("127.0.0.1"),
        &zones(&["bl.example.test"]),
    ))
    .await;
    assert_eq!(report.status, Status::Ok);
    assert_eq!(report.zones[0].result, "not-listed");
    assert_eq!(report.to_check_report().facts["dnsbl.listed"], "no");
}

#[tokio::test]
async fn dnsbl_return_code_is_reported() {
    let Some(client) = lab_client() else { return };
    let report = guarded(dns::dnsbl::check(
        &client,
        ip("127.0.0.5"),
        &zones(&["bl.example.test"]),
    ))
    .await;
    assert_eq!(report.zones[0].codes[0].to_string(), "127.0.0.4");
    assert!(
        report.zones[0]
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("spam source"))
    );
}

#[tokio::test]
async fn dnsbl_ipv6_in_nibble_form() {
    let Some(client) = lab_client() else { return };
    for (address, code) in [
        ("::ffff:127.0.0.2", "127.0.0.2"),
        ("2001:db8::2", "127.0.0.3"),
    ] {
        let report = guarded(dns::dnsbl::check(
            &client,
            ip(address),
            &zones(&["bl.example.test"]),
        ))
        .await;
        assert_eq!(report.zones[0].result, "listed", "{address}: {report:#?}");
        assert_eq!(report.zones[0].codes[0].to_string(), code);
        assert_eq!(report.zones[0].query.split('.').count(), 32 + 3);
    }
}

#[tokio::test]
async fn dnsbl_refusal_code_is_not_a_listing() {
    let Some(client) = lab_client() else { return };
    // 127.0.0.9 answers 127.255.255.254 in bl.example.test: the only list refused.
    let report = guarded(dns::dnsbl::check(
        &client,
        ip("127.0.0.9"),
        &zones(&["bl.example.test"]),
    ))
    .await;
    assert_eq!(report.zones[0].result, "refused");
    assert_eq!(report.status, Status::Error);
    // Could not check sets no fact (DESIGN.md); which list refused is in the details.
    let checked = report.to_check_report();
    assert!(checked.facts.is_empty(), "{:?}", checked.facts);
    assert_eq!(checked.details["listed"], "unknown");
    assert_eq!(checked.details["zones"][0]["result"], "refused");
    assert!(report.summary.contains("NOT a listing"));
}

#[tokio::test]
async fn dnsbl_mixed_lists_refused_and_rewritten_answers() {
    let Some(client) = lab_client() else { return };
    let report = guarded(dns::dnsbl::check(
        &client,
        ip("127.0.0.2"),
        &zones(&["bl.example.test", "refused.bl.test", "hijack.bl.test"]),
    ))
    .await;
    let results: Vec<&str> = report.zones.iter().map(|z| z.result).collect();
    assert_eq!(results, ["listed", "refused", "unexpected"]);
    assert_eq!(report.status, Status::Problem);
    let facts = report.to_check_report().facts;
    assert_eq!(facts["dnsbl.listed_on"], "bl.example.test");
    assert_eq!(facts["dnsbl.refused_by"], "refused.bl.test");

    let clean = guarded(dns::dnsbl::check(
        &client,
        ip("127.0.0.1"),
        &zones(&["bl.example.test", "refused.bl.test"]),
    ))
    .await;
    assert_eq!(clean.status, Status::Ok);
    assert_eq!(clean.to_check_report().facts["dnsbl.listed"], "unknown");
}

// ---------------------------------------------------------------- public ip

#[tokio::test]
async fn public_ip_by_each_method() {
    let Some(lab) = common::lab::dns_lab("public_ip_by_each_method") else {
        return;
    };
    let v6: SocketAddr = "[::1]:5353".parse().expect("addr");
    for (method, server, expected) in [
        (Method::Opendns, lab.dns(), "127.0.0.1"),
        (Method::Opendns, v6, "::1"),
        (Method::Google, lab.dns(), "127.0.0.1"),
        (Method::Akamai, lab.dns(), "127.0.0.1"),
    ] {
        let client = client(server, Duration::from_secs(5));
        let report = guarded(dns::public_ip::check(&client, method, server)).await;
        assert_eq!(report.status, Status::Ok, "{method:?} at {server}");
        assert_eq!(report.ip, Some(ip(expected)));
        let facts = report.to_check_report().facts;
        assert_eq!(facts["public.ip"], expected);
        assert_eq!(facts["public.ip_method"], method.name());
    }
}

#[tokio::test]
async fn public_ip_without_an_answer_is_an_error() {
    let Some(lab) = common::lab::dns_lab("public_ip_without_an_answer_is_an_error") else {
        return;
    };
    // Asked over IPv6, Akamai's stand-in has no AAAA record.
    let server: SocketAddr = "[::1]:5353".parse().expect("addr");
    let _ = lab;
    let client = client(server, Duration::from_secs(5));
    let report = guarded(dns::public_ip::check(&client, Method::Akamai, server)).await;
    assert_eq!(report.status, Status::Error);
    assert!(report.ip.is_none());
    assert!(!report.to_check_report().facts.contains_key("public.ip"));
}

// ---------------------------------------------------------------- hostile servers

use common::hostile_dns as hostile;

use hostile::Script;

/// A domain with 1,000 MX records: the first few hosts are looked up, the rest are counted,
/// and the questions asked stay bounded (not two per record).
#[tokio::test]
async fn a_thousand_mx_records_are_followed_only_up_to_a_limit() {
    use std::sync::atomic::Ordering;
    let server = hostile::start(Script::ManyMx);
    let client = client(server, Duration::from_secs(5));
    let report = guarded(dns::mx::check(&client, "many.test")).await;
    assert_eq!(report.mx, "ok", "{}", report.summary);
    assert_eq!(report.exchanges.len(), dns::mx::MAX_EXCHANGES);
    assert_eq!(
        report.not_followed,
        hostile::MANY_MX - dns::mx::MAX_EXCHANGES
    );
    let human = report.human();
    assert!(
        human.contains(&format!("… {} more MX records", report.not_followed)),
        "{human}"
    );
    let asked = hostile::MANY_MX_QUESTIONS.load(Ordering::SeqCst);
    // One MX question (over UDP, then TCP) and an A and AAAA question per followed host,
    // give or take retries: nowhere near 2,000.
    assert!(
        asked <= 4 * dns::mx::MAX_EXCHANGES + 4,
        "{asked} questions asked"
    );
    eprintln!(
        "questions for 1,000 MX records: {asked}; report {} bytes",
        human.len()
    );
}

/// A name that is an alias of an alias of itself is reported as that loop, not as "no MX and
/// no address".
#[tokio::test]
async fn a_cname_loop_is_reported_as_a_loop() {
    let server = hostile::start(Script::CnameLoop);
    let client = client(server, Duration::from_secs(5));
    let report = guarded(dns::mx::check(&client, "victim.test")).await;
    assert_eq!(report.mx, "alias-loop", "{}", report.summary);
    assert_eq!(report.status, Status::Problem);
    assert!(report.summary.contains("loops"), "{}", report.summary);
    assert!(
        report
            .summary
            .contains("victim.test → loop.test → victim.test"),
        "{}",
        report.summary
    );
    let answer = guarded(client.query("victim.test", RecordKind::A)).await;
    assert!(answer.alias_loop().is_some(), "{answer:?}");
    assert!(answer.is_definite());
}

/// A short budget: the hostile cases that end in a timeout take about this long.
const HOSTILE_TIMEOUT: Duration = Duration::from_millis(800);

async fn ask_hostile(script: Script, kind: RecordKind) -> Answer {
    let server = hostile::start(script);
    let client = client(server, HOSTILE_TIMEOUT);
    guarded(client.query("victim.test", kind)).await
}

#[tokio::test]
async fn servfail_is_told_apart() {
    let answer = ask_hostile(Script::ServFail, RecordKind::Mx).await;
    assert_eq!(answer, Answer::Failed(Failure::ServFail));
    assert!(
        answer
            .explain("victim.test", RecordKind::Mx)
            .contains("SERVFAIL")
    );
}

#[tokio::test]
async fn refused_is_told_apart() {
    let answer = ask_hostile(Script::Refused, RecordKind::A).await;
    assert_eq!(answer, Answer::Failed(Failure::Refused));
}

#[tokio::test]
async fn a_silent_server_ends_in_a_timeout() {
    let answer = ask_hostile(Script::Silent, RecordKind::A).await;
    assert_eq!(answer, Answer::Failed(Failure::Timeout));
    assert!(
        answer
            .explain("victim.test", RecordKind::A)
            .contains("in time")
    );
}

#[tokio::test]
async fn a_truncated_answer_is_retried_over_tcp() {
    let answer = ask_hostile(Script::TruncatedThenTcpAnswers, RecordKind::A).await;
    let Answer::Records(records) = &answer else {
        panic!("expected the TCP answer, got {answer:?}");
    };
    assert_eq!(
        records[0].data,
        RecordData::A {
            address: "192.0.2.1".parse().expect("ip")
        }
    );
}

#[tokio::test]
async fn truncated_then_garbage_over_tcp_is_a_clear_failure() {
    let answer = ask_hostile(Script::TruncatedThenTcpGarbage, RecordKind::A).await;
    let Answer::Failed(failure) = &answer else {
        panic!("expected a failure, got {answer:?}");
    };
    assert!(!failure.explain("victim.test").is_empty());
}

#[tokio::test]
async fn garbage_is_a_clear_failure() {
    let answer = ask_hostile(Script::Garbage, RecordKind::A).await;
    assert!(matches!(answer, Answer::Failed(_)), "{answer:?}");
}

#[tokio::test]
async fn a_resolver_that_says_nxdomain_for_everything_is_caught() {
    let answer = ask_hostile(Script::NxDomainForEverything, RecordKind::Mx).await;
    assert_eq!(
        answer,
        Answer::Failed(Failure::LyingResolver {
            known_name: "example.test".to_owned()
        })
    );
    let words = answer.explain("gmail.com", RecordKind::Mx);
    assert!(words.contains("Wi-Fi that needs a login"), "{words}");
    assert!(!words.contains("expired"), "{words}");
}

#[tokio::test]
async fn a_resolver_that_cannot_answer_the_known_name_proves_nothing() {
    // The lab's NSD answers its own zones and REFUSED for every other name: with a known
    // name outside them, its (true) NXDOMAIN cannot be trusted, and is not.
    let Some(lab) = common::lab::dns_lab("a_resolver_that_cannot_answer_the_known_name") else {
        return;
    };
    let client = DnsClient::new(&DnsSettings {
        server: Some(lab.dns()),
        timeout: Duration::from_secs(5),
        known_name: ".".to_owned(),
    })
    .expect("builds");
    let answer = guarded(client.query("nxdomain.example.test", RecordKind::A)).await;
    let Answer::Failed(Failure::Unproven { probe, .. }) = &answer else {
        panic!("expected an unproven answer, got {answer:?}");
    };
    assert_eq!(**probe, Failure::Refused);
    // A positive answer needs no proof.
    let found = guarded(client.query("mail.example.test", RecordKind::A)).await;
    assert!(matches!(found, Answer::Records(_)), "{found:?}");
}

#[tokio::test]
async fn every_check_refuses_a_verdict_from_a_lying_resolver() {
    let server = hostile::start(Script::NxDomainForEverything);
    let client = client(server, HOSTILE_TIMEOUT);
    let mx = guarded(dns::mx::check(&client, "gmail.com")).await;
    assert_eq!(mx.status, Status::Error);
    assert!(
        !mx.human().contains("does not exist in DNS"),
        "{}",
        mx.human()
    );
    let host = guarded(dns::host::check(
        &client,
        &HostTarget::Name("smtp.gmail.com".to_owned()),
    ))
    .await;
    assert_eq!(host.status, Status::Error);
    let srv = guarded(dns::srv::check(&client, "gmail.com")).await;
    assert_eq!(srv.status, Status::Error);
    let dnsbl = guarded(dns::dnsbl::check(
        &client,
        ip("192.0.2.7"),
        &zones(&["zen.spamhaus.org", "bl.spamcop.net"]),
    ))
    .await;
    assert_eq!(dnsbl.status, Status::Error);
    assert_eq!(dnsbl.listed, "unknown");
    assert!(
        !dnsbl.human().contains("is not listed"),
        "{}",
        dnsbl.human()
    );
}

#[tokio::test]
async fn every_check_ends_against_a_silent_server() {
    let server = hostile::start(Script::Silent);
    let client = client(server, HOSTILE_TIMEOUT);
    let mx = guarded(dns::mx::check(&client, "victim.test")).await;
    assert_eq!(mx.status, Status::Error);
    let host = guarded(dns::host::check(
        &client,
        &HostTarget::Name("victim.test".to_owned()),
    ))
    .await;
    assert_eq!(host.status, Status::Error);
    let srv = guarded(dns::srv::check(&client, "victim.test")).await;
    assert_eq!(srv.status, Status::Error);
    let dnsbl = guarded(dns::dnsbl::check(
        &client,
        ip("192.0.2.1"),
        &zones(&["bl.test"]),
    ))
    .await;
    assert_eq!(dnsbl.status, Status::Error);
    assert!(dnsbl.to_check_report().facts.is_empty());
    let public = guarded(dns::public_ip::check(&client, Method::Google, server)).await;
    assert_eq!(public.status, Status::Error);
}

// ---------------------------------------------------------------- the command line

fn relaydoc(home: &tempfile::TempDir) -> Command {
    let mut command = common::isolated::relaydoc(home.path());
    command.timeout(HANG_GUARD);
    command
}

fn json_of(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stdout).expect("stdout is one JSON document")
}

#[test]
fn cli_mx_json_is_the_check_report_contract() {
    let Some(lab) = common::lab::dns_lab("cli_mx_json_is_the_check_report_contract") else {
        return;
    };
    let home = tempfile::tempdir().expect("temp dir");
    let output = relaydoc(&home)
        .args([
            "--dns-server",
            &lab.dns().to_string(),
            "check",
            "mx",
            "example.test",
            "--json",
        ])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0));
    let report = json_of(&output);
    let keys: Vec<&str> = report
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["check", "details", "facts", "status"]);
    assert_eq!(report["check"], "mx");
    assert_eq!(report["status"], "ok");
    assert_eq!(report["facts"]["dns.mx"], "ok");
    assert_eq!(
        report["details"]["exchanges"][0]["host"],
        "mail.example.test"
    );
}

#[test]
fn cli_exit_codes_follow_the_status() {
    let Some(lab) = common::lab::dns_lab("cli_exit_codes_follow_the_status") else {
        return;
    };
    let home = tempfile::tempdir().expect("temp dir");
    let server = lab.dns().to_string();
    for (args, code, status) in [
        (vec!["check", "mx", "nullmx.test"], 1, "problem"),
        (vec!["check", "mx", "example.org"], 3, "error"),
        (vec!["check", "host", "badptr.example.test"], 1, "problem"),
        (vec!["check", "srv", "example.test"], 0, "ok"),
        (
            vec!["check", "dnsbl", "127.0.0.2", "--zone", "bl.example.test"],
            1,
            "problem",
        ),
        (
            vec!["check", "dnsbl", "127.0.0.1", "--zone", "bl.example.test"],
            0,
            "ok",
        ),
        (
            vec![
                "check",
                "public-ip",
                "--method",
                "google",
                "--server",
                "127.0.0.1:5353",
            ],
            0,
            "ok",
        ),
    ] {
        let output = relaydoc(&home)
            .args(["--dns-server", &server])
            .args(&args)
            .arg("--json")
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(code), "{args:?}");
        assert_eq!(json_of(&output)["status"], status, "{args:?}");
    }
}

#[test]
fn cli_human_output_speaks_plainly() {
    let Some(lab) = common::lab::dns_lab("cli_human_output_speaks_plainly") else {
        return;
    };
    let home = tempfile::tempdir().expect("temp dir");
    let output = relaydoc(&home)
        .args([
            "--dns-server",
            &lab.dns().to_string(),
            "check",
            "dnsbl",
            "127.0.0.9",
        ])
        .args(["--zone", "bl.example.test"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("refused to answer (not a listing)"), "{text}");
    assert!(text.contains("NOT a listing"), "{text}");
    assert_eq!(output.status.code(), Some(3));
}

#[test]
fn cli_rejects_bad_input_with_exit_2() {
    let home = tempfile::tempdir().expect("temp dir");
    for args in [
        vec!["check", "mx", "not a domain"],
        vec!["check", "mx", "example.test", "--json"],
        vec!["check", "dnsbl", "example.test"],
        vec!["check", "dnsbl", "192.0.2.1", "--zone", "bad zone"],
        vec!["check", "public-ip", "--server", "resolver.example"],
    ] {
        let mut command = relaydoc(&home);
        if args.len() == 4 && args[3] == "--json" {
            command.args(["--timeout", "0"]);
        } else {
            command.args(["--dns-server", "127.0.0.1:9"]);
        }
        let output = command.args(&args).output().expect("runs");
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        if args.contains(&"--json") {
            // Under --json stdout holds the one JSON error shape, and nothing else.
            let json: serde_json::Value =
                serde_json::from_slice(&output.stdout).expect("one JSON value");
            assert_eq!(json["exit_code"], 2, "{json:#}");
            assert_eq!(json["error"]["phase"], "arguments", "{json:#}");
            assert!(
                json["error"]["message"]
                    .as_str()
                    .is_some_and(|m| m.starts_with("--timeout 0")),
                "{json:#}"
            );
        } else {
            assert!(output.stdout.is_empty(), "{args:?}");
        }
        assert!(String::from_utf8_lossy(&output.stderr).starts_with("relaydoc: "));
    }
    let output = relaydoc(&home)
        .args(["--dns-server", "dns.google", "check", "mx", "example.test"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
}

/// Phrases that state a fact a broken resolver cannot prove.
const FALSE_FACTS: [&str; 6] = [
    "does not exist in DNS",
    "may have expired",
    "is not listed on",
    "has no address in DNS",
    "has no MX",
    "wrong password",
];

/// An address where no DNS server answers: a UDP port bound and released again.
fn unreachable_dns_server() -> SocketAddr {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    socket.local_addr().expect("address")
}

#[test]
fn cli_never_states_a_false_fact_through_a_broken_resolver() {
    let home = tempfile::tempdir().expect("temp dir");
    let servers = [
        ("lying", hostile::start(Script::NxDomainForEverything)),
        ("servfail", hostile::start(Script::ServFail)),
        ("unreachable", unreachable_dns_server()),
    ];
    let commands: [&[&str]; 6] = [
        &["check", "mx", "gmail.com"],
        &["check", "host", "smtp.gmail.com"],
        &["check", "srv", "gmail.com"],
        &["check", "dnsbl", "192.0.2.7"],
        &["check", "smtp", "smtp.gmail.com"],
        &["check", "account", "someone@gmail.com"],
    ];
    for (label, server) in servers {
        for args in commands {
            for json in [false, true] {
                let mut command = relaydoc(&home);
                command
                    .args(["--dns-server", &server.to_string(), "--timeout", "0.5"])
                    .args(args);
                if json {
                    command.arg("--json");
                }
                let output = command.output().expect("runs");
                let stdout = String::from_utf8_lossy(&output.stdout);
                let stderr = String::from_utf8_lossy(&output.stderr);
                assert_eq!(
                    output.status.code(),
                    Some(3),
                    "{label} {args:?}: {stdout}{stderr}"
                );
                if json {
                    assert_eq!(json_of(&output)["status"], "error", "{label} {args:?}");
                }
                for phrase in FALSE_FACTS {
                    assert!(
                        !stdout.contains(phrase) && !stderr.contains(phrase),
                        "{label} {args:?} says {phrase:?}: {stdout}{stderr}"
                    );
                }
                if label == "lying" && !json {
                    assert!(
                        stdout.contains("Wi-Fi that needs a login"),
                        "{args:?}: {stdout}"
                    );
                }
            }
        }
    }
}

#[test]
fn cli_a_blocklist_that_lists_nothing_cannot_say_not_listed() {
    let Some(lab) = common::lab::dns_lab("cli_a_blocklist_that_lists_nothing") else {
        return;
    };
    let home = tempfile::tempdir().expect("temp dir");
    // nomx.test is a zone of the lab, but no blocklist: its test entry 127.0.0.2 is absent.
    let output = relaydoc(&home)
        .args(["--dns-server", &lab.dns().to_string()])
        .args([
            "check",
            "dnsbl",
            "192.0.2.7",
            "--zone",
            "nomx.test",
            "--json",
        ])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(3));
    let report = json_of(&output);
    assert_eq!(report["status"], "error");
    // Could not check: no fact at all (DESIGN.md: `error` sets no facts); details say why.
    assert_eq!(report["facts"], serde_json::json!({}));
    assert_eq!(report["details"]["listed"], "unknown");
    assert_eq!(report["details"]["zones"][0]["result"], "unproven");
    // The same address on a working list of the lab is proven not listed.
    let output = relaydoc(&home)
        .args(["--dns-server", &lab.dns().to_string()])
        .args(["check", "dnsbl", "192.0.2.7", "--zone", "bl.example.test"])
        .args(["--zone", "nomx.test"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("192.0.2.7 is not listed on bl.example.test"),
        "{text}"
    );
    assert!(text.contains("does not list its own test entry"), "{text}");
}

#[test]
fn cli_check_smtp_resolves_through_the_dns_server_given() {
    let Some(lab) = common::lab::lab("cli_check_smtp_resolves_through_the_dns_server_given") else {
        return;
    };
    let home = tempfile::tempdir().expect("temp dir");
    // mail.example.test exists only in the lab's DNS: found there, the probe runs.
    let output = relaydoc(&home)
        .args(["--dns-server", &lab.dns().to_string()])
        .args([
            "check",
            "smtp",
            "mail.example.test",
            "--port",
            "2525",
            "--json",
        ])
        .output()
        .expect("runs");
    let report = json_of(&output);
    assert_eq!(report["facts"]["server.reachable"], "yes", "{report}");
    // A name the lab proves absent: the check could not run (3), not bad input (2).
    let output = relaydoc(&home)
        .args(["--dns-server", &lab.dns().to_string()])
        .args(["check", "smtp", "nxdomain.example.test"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(3));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("COULD NOT RUN"), "{text}");
}

#[test]
fn cli_against_a_servfail_server_reports_an_error() {
    let server = hostile::start(Script::ServFail);
    let home = tempfile::tempdir().expect("temp dir");
    let output = relaydoc(&home)
        .args(["--dns-server", &server.to_string(), "--timeout", "1"])
        .args(["check", "mx", "victim.test", "--json"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(3));
    let report = json_of(&output);
    assert_eq!(report["status"], "error");
    assert_eq!(report["facts"]["dns.mx"], "error");
    assert_eq!(report["details"]["lookups"][0]["result"], "servfail");
}

#[test]
fn cli_against_a_silent_server_ends_in_a_timeout() {
    let server = hostile::start(Script::Silent);
    let home = tempfile::tempdir().expect("temp dir");
    let output = relaydoc(&home)
        .args(["--dns-server", &server.to_string(), "--timeout", "0.5"])
        .args(["check", "host", "victim.test"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(3));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("COULD NOT CHECK"), "{text}");
    assert!(text.contains("in time"), "{text}");
}

#[test]
fn cli_strips_escape_sequences_from_server_text() {
    let server = hostile::start(Script::ListsWithEscapes);
    let home = tempfile::tempdir().expect("temp dir");
    let output = relaydoc(&home)
        .args(["--dns-server", &server.to_string(), "--timeout", "2"])
        .args(["check", "dnsbl", "192.0.2.1", "--zone", "evil.test"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(!text.contains('\u{1b}'), "{text:?}");
    assert!(!text.contains('\u{7}'), "{text:?}");
    assert!(text.contains("list says: listed: see http://x"), "{text}");
    // JSON keeps the server's text as data (escaped by JSON itself).
    let output = relaydoc(&home)
        .args(["--dns-server", &server.to_string(), "--timeout", "2"])
        .args([
            "check",
            "dnsbl",
            "192.0.2.1",
            "--zone",
            "evil.test",
            "--json",
        ])
        .output()
        .expect("runs");
    let reason = json_of(&output)["details"]["zones"][0]["reason"]
        .as_str()
        .expect("a reason")
        .as_bytes()
        .to_vec();
    assert_eq!(reason, hostile::ESCAPE_REASON);
}

#[test]
fn cli_public_ip_without_server_looks_the_service_up_first() {
    let Some(lab) = common::lab::dns_lab("cli_public_ip_without_server_looks_the_service_up_first")
    else {
        return;
    };
    // The lab refuses resolver1.opendns.com, so finding the service's server fails: a clear
    // "could not run", still in the JSON contract.
    let home = tempfile::tempdir().expect("temp dir");
    let output = relaydoc(&home)
        .args(["--dns-server", &lab.dns().to_string()])
        .args(["check", "public-ip", "--json"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(3));
    let report = json_of(&output);
    assert_eq!(report["check"], "public-ip");
    assert_eq!(report["status"], "error");
    let error = report["details"]["error"].as_str().expect("an error text");
    assert!(error.contains("resolver1.opendns.com"), "{error}");
    assert!(error.contains("refused"), "{error}");
}

#[test]
fn cli_help_lists_the_dns_checks() {
    let home = tempfile::tempdir().expect("temp dir");
    let output = relaydoc(&home)
        .args(["check", "--help"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8_lossy(&output.stdout);
    for check in ["mx", "host", "srv", "dnsbl", "public-ip"] {
        assert!(text.contains(check), "{check} missing from:\n{text}");
    }
    let output = relaydoc(&home)
        .args(["check", "dnsbl", "--help"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("zen.spamhaus.org"), "{text}");
    assert!(text.contains("127.255.255.254"), "{text}");
}
