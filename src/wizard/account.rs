//! `check account`'s findings read as the decision tree's facts, and the cause they point to.
//!
//! The account check ([`crate::checks::account`]) finds and tests an account's settings and
//! knows nothing of the tree; here its facts become the tree's (see the table in that
//! module's doc) and the engine names the cause. The same diagnosis serves `relaydoc check
//! account`, the TUI's account screen and the wizard. This module also answers the check's
//! [`Catalogue`] questions from the knowledge's providers.

use crate::checks::account::{AccountReport, Candidate, Catalogue, CauseView, Settings, Source};
use crate::engine::{self, Facts};
use crate::knowledge::Knowledge;
use crate::knowledge::model::Provider;
use crate::knowledge::raw::{AuthKind, Protocol, Username};

impl Catalogue for Knowledge {
    fn by_domain(&self, domain: &str) -> Option<Settings> {
        self.provider_for_domain(domain).map(from_provider)
    }

    fn by_mx(&self, mx_hosts: &[String]) -> Option<(Settings, String)> {
        provider_for_mx(self, mx_hosts)
            .map(|provider| (from_provider(provider), provider.name.clone()))
    }
}

/// The provider whose incoming servers (MX) end in one of its `mx_suffixes`: hosted
/// domains (a company on Microsoft 365 or Google Workspace) use their provider's servers.
pub fn provider_for_mx<'k>(kb: &'k Knowledge, mx_hosts: &[String]) -> Option<&'k Provider> {
    mx_hosts.iter().find_map(|host| {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        kb.providers.iter().find(|provider| {
            provider.mx_suffixes.iter().any(|suffix| {
                let suffix = suffix.trim_start_matches('.').to_ascii_lowercase();
                host == suffix || host.ends_with(&format!(".{suffix}"))
            })
        })
    })
}

/// Settings from a provider's catalogue entry: its SMTP endpoints, the password one first.
pub fn from_provider(provider: &Provider) -> Settings {
    let smtp: Vec<_> = provider
        .outgoing
        .iter()
        .filter(|e| matches!(e.protocol, None | Some(Protocol::Smtp)))
        .collect();
    let mut ordered: Vec<_> = smtp
        .iter()
        .filter(|e| e.auth == AuthKind::Password)
        .chain(smtp.iter().filter(|e| e.auth != AuthKind::Password))
        .collect();
    ordered.dedup_by(|a, b| a.host == b.host && a.port == b.port);
    let candidates = ordered
        .iter()
        .map(|e| Candidate {
            host: e.host.clone(),
            port: e.port,
            security: e.security,
        })
        .collect();
    let oauth_only = !smtp.is_empty() && smtp.iter().all(|e| e.auth == AuthKind::Oauth2);
    Settings {
        source: Source::Catalogue,
        provider: Some(provider.id.clone()),
        candidates,
        warning: oauth_only.then(|| {
            format!(
                "{} signs mail programs in through the browser (OAuth2); a password login \
                 may be refused even when the password is right",
                provider.name
            )
        }),
        pop_before_smtp: smtp
            .first()
            .is_some_and(|e| e.auth == AuthKind::PopBeforeSmtp),
        local_part_user: provider.username == Username::LocalPart,
    }
}

/// Fills in what the findings point to: the tree's facts, the walk and the cause.
///
/// The tree is walked only on evidence of the person's problem: a relay denial reproduced,
/// or a login refused. Without either, every question would take its "don't know" branch and
/// the walk would name a cause no check supports (the server was not reached, or it relays
/// for this network without login and the error cannot be reproduced from here).
pub fn diagnose(kb: &Knowledge, report: &mut AccountReport) {
    let tree = tree_facts(
        kb,
        &report.facts,
        report.settings.source,
        report.settings.pop_before_smtp,
    );
    let evidence = tree.contains_key("error.kind") || tree.contains_key("client.smtp_auth");
    if evidence {
        let outcome = engine::walk(kb, tree.clone(), |_| None);
        // "What this points to": the conclusion, or, when the evidence does not single one
        // out, the cause the ranking puts first (the checks only ran on evidence of the
        // problem).
        report.cause = outcome
            .cause
            .as_deref()
            .or_else(|| outcome.causes.first().map(|ranked| ranked.id.as_str()))
            .and_then(|id| kb.cause(id))
            .map(|c| CauseView {
                id: c.id.clone(),
                title: c.title.clone(),
                summary: c.summary.clone(),
                side: c.side.as_str().to_owned(),
            });
        report.node = outcome.node;
        report.path = outcome.path;
        report.missing = outcome.missing;
    }
    report.tree_facts = tree;
}

/// The facts the decision tree reads, derived as `checks::account`'s module doc table says;
/// only keys and values the knowledge declares are passed on.
pub fn tree_facts(kb: &Knowledge, facts: &Facts, source: Source, pop_before_smtp: bool) -> Facts {
    let mut tree = Facts::new();
    let get = |key: &str| facts.get(key).map(String::as_str);
    for key in [
        "account.email",
        "client.server_host",
        "client.port",
        "client.security",
        "server.auth_offered",
        "server.auth_works",
        // What a refused sign-in means: a tree can tell a right password refused by design
        // (app password, OAuth2, SMTP AUTH off) from a wrong one.
        "auth.refusal",
    ] {
        if let Some(value) = get(key) {
            tree.insert(key.to_owned(), value.to_owned());
        }
    }
    if let Some(verdict @ ("rejected-554" | "deferred-454")) = get("relay.unauthenticated") {
        tree.insert("error.kind".into(), "relay".into());
        tree.insert("error.where".into(), "client".into());
        let code = if verdict == "rejected-554" {
            "554"
        } else {
            "454"
        };
        tree.insert("error.code".into(), code.into());
    }
    let login_refused = matches!(
        get("auth.result"),
        Some("failed" | "mechanism-rejected" | "temporary-failure")
    );
    if login_refused {
        tree.insert("client.smtp_auth".into(), "on".into());
        tree.insert("account.auth_scheme".into(), "smtp-auth".into());
    }
    // Only a plain refusal of name and password says they are wrong; a refused mechanism or
    // a temporary failure says nothing about the password.
    if get("auth.result") == Some("failed") {
        tree.insert("server.auth_works".into(), "no".into());
    }
    if pop_before_smtp {
        tree.insert("account.auth_scheme".into(), "pop-before-smtp".into());
    }
    if matches!(source, Source::Srv | Source::Catalogue) {
        tree.insert("client.server_owner".into(), "email-provider".into());
    }
    tree.retain(|key, value| kb.facts.get(key).is_some() && kb.facts.check(key, value).is_ok());
    tree
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kb() -> Knowledge {
        crate::knowledge::bundled().expect("bundled knowledge")
    }

    #[test]
    fn hosted_domains_are_found_by_mx_suffix() {
        let kb = kb();
        let google = provider_for_mx(&kb, &["alt1.aspmx.l.google.com".into()]);
        assert!(google.is_some());
        assert!(provider_for_mx(&kb, &["notgoogle.com".into()]).is_none());
    }

    #[test]
    fn catalogue_settings_put_a_password_endpoint_first() {
        let kb = kb();
        let provider = kb
            .provider_for_domain("gmx.de")
            .expect("gmx in the catalogue");
        let settings = from_provider(provider);
        assert_eq!(settings.source, Source::Catalogue);
        let primary = settings.primary().expect("an endpoint");
        assert_eq!(primary.host, "mail.gmx.net");
        assert!(settings.candidates.len() >= 2);
        assert!(settings.candidates.iter().all(|c| c.port != 0));
    }

    fn facts(pairs: &[(&str, &str)]) -> Facts {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// The tree's conclusions for the situations `check account` meets most.
    #[test]
    fn facts_lead_to_the_expected_causes() {
        let kb = kb();
        type Case<'a> = (&'a [(&'a str, &'a str)], Source, &'a str);
        let cases: &[Case<'_>] = &[
            // Relay refused without login, login works: the client does not sign in.
            (
                &[
                    ("relay.unauthenticated", "rejected-554"),
                    ("auth.result", "ok"),
                    ("server.auth_works", "yes"),
                    ("server.auth_offered", "tls-only"),
                    ("client.security", "starttls"),
                ],
                Source::Srv,
                "client-auth-off",
            ),
            // The login is refused: the credentials are wrong.
            (
                &[
                    ("relay.unauthenticated", "rejected-554"),
                    ("auth.result", "failed"),
                    ("server.auth_offered", "tls-only"),
                    ("client.security", "starttls"),
                ],
                Source::Srv,
                "wrong-credentials",
            ),
        ];
        for (known, source, expected) in cases {
            let tree = tree_facts(&kb, &facts(known), *source, false);
            let outcome = engine::walk(&kb, tree.clone(), |_| None);
            assert_eq!(
                outcome.cause.as_deref(),
                Some(*expected),
                "{tree:?} → {:?}",
                outcome.path
            );
        }
    }

    #[test]
    fn undeclared_fact_values_never_reach_the_tree() {
        let kb = kb();
        let tree = tree_facts(
            &kb,
            &facts(&[("server.auth_offered", "maybe"), ("relay.code", "554")]),
            Source::Given,
            false,
        );
        assert!(tree.is_empty(), "{tree:?}");
    }
}
