//! The provider catalogue as data: the bundled entries obey the catalogue's rules (sizes, kinds,
//! sources, sign-in rules, ports that agree with their security, one entry per domain), the
//! validator rejects each kind of broken entry with its file and entry, and `settings` /
//! `providers` report every setting with where it came from. Nothing here touches the network.

mod common;

use std::collections::{BTreeMap, HashMap};

use relaydoc::knowledge::catalogue::port_security_clash;
use relaydoc::knowledge::model::{PasswordLogin, Provider};
use relaydoc::knowledge::raw::{Protocol, ProviderKind};

fn bundled() -> relaydoc::knowledge::Knowledge {
    relaydoc::knowledge::bundled().expect("bundled knowledge is valid")
}

fn day(text: &str) -> jiff::civil::Date {
    text.parse().expect("a date")
}

/// At least 300 address domains; every kind present; every entry says its kind and region,
/// cites a source page, has dated sign-in rules, and is found somehow (an address domain or an
/// MX suffix).
#[test]
fn the_bundled_catalogue_is_at_real_scale_and_complete() {
    let kb = bundled();
    let domains: usize = kb.providers.iter().map(|p| p.domains.len()).sum();
    assert!(domains >= 300, "only {domains} address domains");
    let mut by_kind: BTreeMap<&str, usize> = BTreeMap::new();
    for provider in &kb.providers {
        let kind = provider
            .kind
            .unwrap_or_else(|| panic!("{} has no kind", provider.id));
        *by_kind.entry(kind.as_str()).or_default() += 1;
        assert!(provider.region.is_some(), "{} has no region", provider.id);
        assert!(
            !provider.sources.is_empty(),
            "{} cites no source",
            provider.id
        );
        assert!(
            !provider.signin.is_empty(),
            "{} has no sign-in rules",
            provider.id
        );
        assert!(
            !provider.domains.is_empty() || !provider.mx_suffixes.is_empty(),
            "{} can never be found: no address domain and no MX suffix",
            provider.id
        );
        if matches!(kind, ProviderKind::Hosting | ProviderKind::Business) {
            assert!(
                !provider.mx_suffixes.is_empty(),
                "{}: a host for your own domain is found by its MX",
                provider.id
            );
        }
    }
    for kind in ["free-mail", "isp", "hosting", "business"] {
        assert!(by_kind.get(kind).is_some_and(|&n| n > 0), "{by_kind:?}");
    }
}

/// Each address domain and each MX suffix belongs to one entry: a lookup never depends on
/// the order of files.
#[test]
fn no_domain_or_mx_suffix_is_claimed_twice() {
    let kb = bundled();
    let mut seen: HashMap<(&str, &str), &str> = HashMap::new();
    for provider in &kb.providers {
        let claims = provider
            .domains
            .iter()
            .map(|d| ("domain", d.as_str()))
            .chain(provider.mx_suffixes.iter().map(|s| ("mx", s.as_str())));
        for claim in claims {
            if let Some(other) = seen.insert(claim, &provider.id) {
                panic!("{claim:?} is claimed by {other} and {}", provider.id);
            }
        }
    }
}

/// 465/993/995 are SSL/TLS, 587/25/143/110 plain or STARTTLS, in every entry; incoming
/// servers say their protocol; no server name is a template.
#[test]
fn every_endpoint_is_consistent() {
    let kb = bundled();
    let mut endpoints = 0;
    for provider in &kb.providers {
        for endpoint in provider.outgoing.iter().chain(&provider.incoming) {
            endpoints += 1;
            assert!(
                port_security_clash(endpoint.port, endpoint.security).is_none(),
                "{}: {endpoint:?}",
                provider.id
            );
            assert!(
                !endpoint.host.contains('%') && endpoint.host.contains('.'),
                "{}: {}",
                provider.id,
                endpoint.host
            );
        }
        for endpoint in &provider.incoming {
            assert!(
                matches!(endpoint.protocol, Some(Protocol::Imap | Protocol::Pop3)),
                "{}: {endpoint:?}",
                provider.id
            );
        }
    }
    assert!(endpoints > 300, "{endpoints}");
}

fn provider_for<'k>(kb: &'k relaydoc::knowledge::Knowledge, domain: &str) -> &'k Provider {
    kb.provider_for_domain(domain)
        .unwrap_or_else(|| panic!("no entry for {domain}"))
}

/// The cases the issue names: Verizon's mailboxes at AOL, Cox's at Yahoo, 1&1's freemail
/// domains, QQ's authorisation code from 1 November 2022, Tuta without SMTP, a company on
/// Google Workspace found by its MX.
#[test]
fn the_named_cases_resolve_to_their_sourced_settings() {
    let kb = bundled();
    let verizon = provider_for(&kb, "verizon.net");
    assert_eq!(verizon.id, "verizon");
    assert_eq!(verizon.outgoing[0].host, "smtp.aol.com");
    assert_eq!(provider_for(&kb, "cox.net").id, "yahoo");
    assert_eq!(provider_for(&kb, "online.de").id, "1und1-de");
    assert_eq!(provider_for(&kb, "ONLINEHOME.DE.").id, "1und1-de");
    assert_eq!(provider_for(&kb, "hotmail.co.jp").id, "outlook-com");

    let qq = provider_for(&kb, "qq.com");
    assert_eq!(
        qq.password_login(day("2022-10-31")),
        PasswordLogin::Accepted
    );
    assert_eq!(
        qq.password_login(day("2022-11-01")),
        PasswordLogin::AppPasswordOnly
    );

    let tuta = provider_for(&kb, "tutanota.com");
    assert!(tuta.outgoing.is_empty() && tuta.incoming.is_empty());
    assert_eq!(
        tuta.password_login(day("2026-06-01")),
        PasswordLogin::Unknown
    );

    let google = relaydoc::wizard::account::provider_for_mx(&kb, &["aspmx.l.google.com.".into()])
        .expect("Google's MX is known");
    assert_eq!(google.id, "google-workspace");
    let godaddy =
        relaydoc::wizard::account::provider_for_mx(&kb, &["smtp.secureserver.net".into()])
            .expect("GoDaddy's MX is known");
    assert_eq!(godaddy.outgoing[0].host, "smtpout.secureserver.net");
    assert!(
        relaydoc::wizard::account::provider_for_mx(&kb, &["notsecureserver.net".into()]).is_none()
    );
}

fn load_overlay(files: &[(&str, &str)]) -> (tempfile::TempDir, Vec<String>) {
    let dir = tempfile::tempdir().expect("temp dir");
    for (relative, content) in files {
        let path = dir.path().join(relative);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, content).expect("write");
    }
    let problems = match relaydoc::knowledge::load(&[dir.path().to_path_buf()]) {
        Ok(_) => Vec::new(),
        Err(problems) => problems.0.iter().map(ToString::to_string).collect(),
    };
    (dir, problems)
}

const SIGNIN: &str =
    "signin:\n  - {method: password, works: true, source: https://example.com/help}\n";

/// Each broken entry is reported with its file and entry id, all problems at once.
#[test]
fn the_validator_rejects_each_kind_of_broken_entry() {
    let entry = |id: &str, body: &str| {
        format!("id: {id}\nname: Test {id}\nusername: full-address\n{body}{SIGNIN}")
    };
    let files = [
        (
            "providers/dup.yaml",
            entry(
                "dup",
                "domains: [gmx.de]\noutgoing:\n  - {host: smtp.dup.test, port: 587, security: starttls, auth: password}\nsources: [https://example.com/dup]\n",
            ),
        ),
        (
            "providers/ports.yaml",
            entry(
                "ports",
                "domains: [ports.test]\noutgoing:\n  - {host: smtp.ports.test, port: 587, security: tls, auth: password}\nincoming:\n  - {protocol: imap, host: imap.ports.test, port: 993, security: starttls, auth: password}\nsources: [https://example.com/ports]\n",
            ),
        ),
        (
            "providers/shape.yaml",
            entry(
                "shape",
                "region: Europe\ndomains: [Shape.Test]\nmx_suffixes: [google.com]\noutgoing:\n  - {host: \"mail.%EMAILDOMAIN%\", port: 465, security: tls, auth: password}\nincoming:\n  - {host: in.shape.test, port: 995, security: tls, auth: password}\n",
            ),
        ),
    ];
    let owned: Vec<(&str, &str)> = files.iter().map(|(p, c)| (*p, c.as_str())).collect();
    let (dir, problems) = load_overlay(&owned);
    let has = |file: &str, id: &str, text: &str| {
        let path = dir.path().join(file).display().to_string();
        assert!(
            problems
                .iter()
                .any(|p| p.contains(&path) && p.contains(id) && p.contains(text)),
            "expected {file} [{id}] \"{text}\" among:\n{}",
            problems.join("\n")
        );
    };
    has(
        "providers/dup.yaml",
        "dup",
        "`gmx.de` is claimed by `gmx-de` too",
    );
    has("providers/ports.yaml", "ports", "port 587 with SSL/TLS");
    has("providers/ports.yaml", "ports", "port 993 with STARTTLS");
    has("providers/shape.yaml", "shape", "`region: Europe`");
    has(
        "providers/shape.yaml",
        "shape",
        "`Shape.Test` is not a lower-case domain",
    );
    has(
        "providers/shape.yaml",
        "shape",
        "MX suffix `google.com` is claimed by",
    );
    has(
        "providers/shape.yaml",
        "shape",
        "`mail.%EMAILDOMAIN%` is not a host name",
    );
    has(
        "providers/shape.yaml",
        "shape",
        "needs `protocol: imap` or `protocol: pop3`",
    );
    assert_eq!(problems.len(), 8, "{}", problems.join("\n"));
}

/// `settings --email --json` keeps the contract's fields and says where the settings came
/// from; the human output names the entry and its sources; `providers --json` lists every
/// entry with its name and domains.
#[test]
fn settings_and_providers_report_their_sources() {
    let home = tempfile::tempdir().expect("home");
    let run = |args: &[&str]| {
        let output = common::isolated::relaydoc(home.path())
            .args(args)
            .output()
            .expect("runs");
        assert!(output.status.success(), "{args:?}: {output:?}");
        String::from_utf8(output.stdout).expect("utf-8")
    };
    let json: serde_json::Value =
        serde_json::from_str(&run(&["settings", "--email", "me@verizon.net", "--json"]))
            .expect("json");
    assert_eq!(json["provider"], "verizon");
    assert_eq!(json["source"], "catalogue");
    assert_eq!(json["outgoing"][0]["host"], "smtp.aol.com");
    assert_eq!(json["outgoing"][0]["port"], 465);
    assert_eq!(json["outgoing"][0]["security"], "tls");
    assert_eq!(json["incoming"][0]["protocol"], "imap");
    assert_eq!(json["username"], "full-address");
    assert_eq!(json["origin"]["entry"], "verizon");
    let sources = json["origin"]["sources"].as_array().expect("sources");
    assert!(sources.iter().any(|s| {
        s.as_str()
            .is_some_and(|s| s.ends_with("ispdb/verizon.net.xml"))
    }));

    let text = run(&["settings", "--email", "me@seznam.cz"]);
    assert!(text.contains("smtp.seznam.cz:465"), "{text}");
    assert!(
        text.contains("Where these settings come from: relaydoc's catalogue, entry `seznam-cz`"),
        "{text}"
    );
    assert!(
        text.contains(
            "source: https://github.com/thunderbird/autoconfig/blob/HEAD/ispdb/seznam.cz.xml"
        ),
        "{text}"
    );

    let rows: serde_json::Value =
        serde_json::from_str(&run(&["providers", "--json"])).expect("json");
    let rows = rows.as_array().expect("a list");
    let kb = bundled();
    assert_eq!(rows.len(), kb.providers.len());
    let domains: usize = rows
        .iter()
        .map(|row| row["domains"].as_array().map_or(0, Vec::len))
        .sum();
    assert!(domains >= 300, "{domains}");
    assert!(
        rows.iter()
            .all(|row| row["name"].is_string() && row["provider"].is_string())
    );
    let workspace = rows
        .iter()
        .find(|row| row["provider"] == "google-workspace")
        .expect("listed");
    assert_eq!(workspace["kind"], "business");
    assert_eq!(workspace["mx_suffixes"][0], "google.com");
}
