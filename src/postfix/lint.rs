//! `postfix lint`: findings about a configuration, each tied to a cause id from DESIGN.md,
//! the parameter, a plain message, and the exact lines that fix it.
//!
//! main.cf is judged as the port-25 service sees it; each master.cf smtpd service with `-o`
//! overrides is judged again as it sees the configuration, and reports only what differs.

use serde::Serialize;

use crate::postfix::config::{MainCf, Origin, Settings};
use crate::postfix::master::Service;
use crate::postfix::net::NetList;
use crate::postfix::simulate::{
    RELAY_GUARDS, effective_mynetworks, has_working_guard, join_restrictions, tls_level,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

/// One finding, in the `postfix lint --json` contract shape (`service` and `line` added).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub id: String,
    pub cause: String,
    pub severity: Severity,
    pub parameter: String,
    pub message: String,
    pub fix: String,
    /// The master.cf service the finding is about; absent for main.cf.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Where the parameter is set (main.cf, or master.cf for a service); absent for defaults.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

impl Finding {
    /// A finding whose message is made one line (it quotes configuration text).
    pub fn new(
        id: &str,
        cause: &str,
        severity: Severity,
        parameter: &str,
        message: &str,
        fix: String,
        line: Option<usize>,
    ) -> Self {
        Self {
            id: id.to_owned(),
            cause: cause.to_owned(),
            severity,
            parameter: parameter.to_owned(),
            message: crate::sanitize::single_line(message),
            fix,
            service: None,
            line,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub findings: Vec<Finding>,
}

/// DNS blacklists that are gone. Those that "list the world" reject every client; the others
/// only slow every connection down with timeouts.
const DEAD_DNSBLS: &[(&str, bool, &str)] = &[
    (
        "ordb.org",
        true,
        "ORDB closed in 2006 and later listed every address",
    ),
    (
        "dsbl.org",
        false,
        "DSBL closed in 2008; its name servers are gone",
    ),
    ("sorbs.net", false, "SORBS shut down in 2024"),
    (
        "ahbl.org",
        true,
        "AHBL closed and has listed every address since 1 January 2015",
    ),
    (
        "dul.ru",
        true,
        "dul.ru is gone and has listed every address since 2015",
    ),
    ("njabl.org", false, "NJABL closed in 2013"),
    ("inps.de", false, "dnsbl.inps.de closed in 2020"),
    ("unsubscore.com", false, "LashBack's UBL is offline"),
];

/// Lints main.cf and, when given, master.cf's smtpd services.
pub fn lint(main: &MainCf, services: &[Service], settings: &Settings<'_>) -> Report {
    let mut findings = Vec::new();
    unknown_parameters(main, services, &mut findings);
    let main_findings = lint_settings(settings, None);
    for service in services.iter().filter(|s| s.is_smtpd()) {
        for o in service.overrides.iter().filter(|o| {
            matches!(
                o.name.as_str(),
                "mydestination"
                    | "relay_domains"
                    | "virtual_alias_domains"
                    | "virtual_mailbox_domains"
            )
        }) {
            findings.push(Finding {
                id: "service-domain-override-ignored".into(),
                cause: "recipient-domain-not-local".into(),
                severity: Severity::Warning,
                parameter: o.name.clone(),
                message: crate::sanitize::single_line(&format!(
                    "master.cf service {} (line {}): -o {}= has no effect on which domains are \
                     local or relayed: trivial-rewrite decides that, and it reads main.cf only \
                     (the real Postfix in relaydoc's test matrix still answers \"Relay access \
                     denied\")",
                    service.name, o.line, o.name
                )),
                fix: format!(
                    "remove the -o {name}=… line from master.cf and set it in main.cf:\npostconf -e '{name} = {value}'\npostfix reload",
                    name = o.name,
                    value = o.value.replace(',', ", ")
                ),
                service: Some(service.name.clone()),
                line: Some(o.line),
            });
        }
        let view = settings.for_service(&service.name, service.overrides.clone());
        for finding in lint_settings(&view, Some(service)) {
            // Report a service only where it differs from main.cf (its own override, or a
            // finding main.cf does not have).
            let overridden = service
                .overrides
                .iter()
                .any(|o| o.name == finding.parameter);
            let same_as_main = main_findings.iter().any(|m| m.id == finding.id);
            if overridden || !same_as_main {
                findings.push(finding);
            }
        }
    }
    findings.extend(main_findings);
    findings.sort_by_key(|f| f.severity);
    Report { findings }
}

struct Ctx<'a, 'b> {
    settings: &'a Settings<'b>,
    service: Option<&'a Service>,
    findings: Vec<Finding>,
}

impl Ctx<'_, '_> {
    fn add(
        &mut self,
        id: &str,
        cause: &str,
        severity: Severity,
        parameter: &str,
        message: String,
        fix: String,
    ) {
        let origin = self.settings.origin(parameter);
        let line = match origin {
            Origin::Main(line) | Origin::Service(_, line) => Some(line),
            Origin::Default => None,
        };
        let message = match self.service {
            Some(service) => format!(
                "master.cf service {} (line {}): {message}",
                service.name, service.line
            ),
            None => message,
        };
        self.findings.push(Finding {
            service: self.service.map(|s| s.name.clone()),
            ..Finding::new(id, cause, severity, parameter, &message, fix, line)
        });
    }

    fn set(&self, name: &str, value: &str) -> String {
        set_line(self.service, name, value)
    }
}

/// How to set a parameter where a finding lives: `postconf -e` for main.cf, the `-o` line for
/// a master.cf service.
pub(crate) fn set_line(service: Option<&Service>, name: &str, value: &str) -> String {
    match service {
        Some(service) => {
            let compact = value.replace(", ", ",");
            // `-o name=value` cannot hold spaces; Postfix 3.0+ takes `-o { name = value }`.
            let option = if compact.contains(' ') {
                format!("-o {{ {name} = {value} }}")
            } else {
                format!("-o {name}={compact}")
            };
            format!(
                "in master.cf, under service {}:\n  {option}\nthen: postfix reload",
                service.name
            )
        }
        None => format!("postconf -e '{name} = {value}'\npostfix reload"),
    }
}

fn lint_settings(settings: &Settings<'_>, service: Option<&Service>) -> Vec<Finding> {
    let mut ctx = Ctx {
        settings,
        service,
        findings: Vec::new(),
    };
    expansion(&mut ctx);
    relay_rules(&mut ctx);
    sasl(&mut ctx);
    tls_auth(&mut ctx);
    malformed_networks(&mut ctx);
    mynetworks(&mut ctx);
    if service.is_none() {
        domains(&mut ctx);
    }
    client_reject_all(&mut ctx);
    dead_dnsbls(&mut ctx);
    soft_bounce(&mut ctx);
    ctx.findings
}

/// Whether a list, for an unauthenticated client outside mynetworks, stops relaying: the
/// first unconditional decision wins. `Some(true)` blocks, `Some(false)` is an unconditional
/// permit first, `None` decides nothing for such a client.
fn list_blocks(items: &[String]) -> (Option<bool>, Option<usize>) {
    for (index, item) in items.iter().enumerate() {
        match item.as_str() {
            "permit" => return (Some(false), Some(index)),
            guard if RELAY_GUARDS.contains(&guard) && guard != "defer_if_permit" => {
                return (Some(true), Some(index));
            }
            _ => {}
        }
    }
    (None, None)
}

fn position(items: &[String], name: &str) -> Option<usize> {
    items.iter().position(|item| item == name)
}

fn relay_rules(ctx: &mut Ctx<'_, '_>) {
    let s = ctx.settings;
    let relay_exists = s.raw("smtpd_relay_restrictions").is_some();
    let relay = if relay_exists {
        s.list("smtpd_relay_restrictions")
    } else {
        Vec::new()
    };
    let recipient = s.list("smtpd_recipient_restrictions");
    let sound = "permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination";
    let main_param = if relay_exists {
        "smtpd_relay_restrictions"
    } else {
        "smtpd_recipient_restrictions"
    };
    let (relay_blocks, relay_at) = list_blocks(&relay);
    let (rcpt_blocks, rcpt_at) = list_blocks(&recipient);
    // A guard after `permit` is ignored by Postfix ("restriction `reject_unauth_destination'
    // after `permit' is ignored"): find such lists first.
    let shadowed: Vec<(&str, &Vec<String>, usize)> = [
        ("smtpd_relay_restrictions", &relay, relay_blocks, relay_at),
        (
            "smtpd_recipient_restrictions",
            &recipient,
            rcpt_blocks,
            rcpt_at,
        ),
    ]
    .into_iter()
    .filter_map(|(param, items, blocks, at)| {
        let permit_at = at?;
        let guard_after = items[permit_at..]
            .iter()
            .any(|i| RELAY_GUARDS.contains(&i.as_str()));
        (blocks == Some(false) && guard_after).then_some((param, items, permit_at))
    })
    .collect();
    let without_permit = |items: &Vec<String>, at: usize| -> String {
        let kept = items
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != at)
            .map(|(_, item)| item.clone())
            .collect::<Vec<_>>();
        join_restrictions(&kept)
    };
    if !has_working_guard(s) {
        if let Some((param, items, at)) = shadowed.first() {
            ctx.add(
                "permit-before-guard",
                "relay-restrictions-misconfigured",
                Severity::Error,
                param,
                format!(
                    "`permit` comes before the relay guard in {param} (`{}`): Postfix ignores \
                     every rule after `permit`, finds no working reject_unauth_destination, and \
                     smtpd stops with a fatal error on every connection, so clients get no \
                     greeting at all (were it accepted, this would be an open relay)",
                    items.join(", ")
                ),
                ctx.set(param, &without_permit(items, *at)),
            );
        } else {
            ctx.add(
                "no-relay-guard",
                "relay-restrictions-misconfigured",
                Severity::Error,
                main_param,
                "neither smtpd_relay_restrictions nor smtpd_recipient_restrictions contains \
                 reject_unauth_destination (or defer_unauth_destination, reject, defer): smtpd \
                 stops with a fatal error (\"specify at least one working instance of …\") on \
                 every connection, so clients get no greeting at all"
                    .into(),
                ctx.set(main_param, sound),
            );
        }
        return;
    }
    for (param, items, at) in &shadowed {
        ctx.add(
            "permit-before-guard",
            "relay-restrictions-misconfigured",
            Severity::Warning,
            param,
            format!(
                "`permit` in {param} makes Postfix ignore every rule after it (`{}`); the other \
                 list still guards relaying, but this one lets everything through",
                items.join(", ")
            ),
            ctx.set(param, &without_permit(items, *at)),
        );
    }
    // Which list guards relaying, and is permit_sasl_authenticated before its guard there?
    // The list Postfix evaluates first decides the reply for refused relaying: the relay list
    // first only with smtpd_relay_before_recipient_restrictions (3.6+, level 3.6+).
    let relay_first = relay_exists && s.flag("smtpd_relay_before_recipient_restrictions");
    let relay_decides = relay_blocks == Some(true) && (relay_first || rcpt_blocks != Some(true));
    let (guard_param, guard_items, guard_at) = if relay_decides {
        ("smtpd_relay_restrictions", &relay, relay_at)
    } else {
        ("smtpd_recipient_restrictions", &recipient, rcpt_at)
    };
    let guard_at = guard_at.unwrap_or(0);
    let guard_name = guard_items.get(guard_at).cloned().unwrap_or_default();
    let sasl_on = s.flag("smtpd_sasl_auth_enable");
    // Both lists must let an authenticated client through: a reject in either ends it.
    for (param, items) in [
        ("smtpd_relay_restrictions", &relay),
        ("smtpd_recipient_restrictions", &recipient),
    ] {
        let (blocks, at) = list_blocks(items);
        if blocks != Some(true) || !sasl_on {
            continue;
        }
        let at = at.unwrap_or(0);
        match position(items, "permit_sasl_authenticated") {
            Some(sasl_at) if sasl_at < at => {}
            found => {
                let mut fixed: Vec<String> = items
                    .iter()
                    .filter(|i| *i != "permit_sasl_authenticated")
                    .cloned()
                    .collect();
                let insert_at = position(&fixed, &items[at]).unwrap_or(0);
                fixed.insert(insert_at, "permit_sasl_authenticated".into());
                let why = if found.is_some() {
                    format!("permit_sasl_authenticated comes after {}", items[at])
                } else {
                    "permit_sasl_authenticated is missing".to_owned()
                };
                ctx.add(
                    "sasl-permit-missing",
                    "server-sasl-disabled",
                    Severity::Error,
                    param,
                    format!(
                        "users can sign in (smtpd_sasl_auth_enable = yes), but {why} in {param}: \
                         signed-in users still get \"Relay access denied\" when they send to other domains"
                    ),
                    ctx.set(param, &join_restrictions(&fixed)),
                );
            }
        }
    }
    if guard_name == "defer_unauth_destination" {
        ctx.add(
            "defer-unauth-destination",
            "temporary-relay-deferral",
            Severity::Info,
            guard_param,
            format!(
                "{guard_param} ends relaying with defer_unauth_destination: refused relay is \
                 answered 454 4.7.1 (try again later), and mail clients retry instead of showing \
                 a permanent error{}",
                if s.origin(guard_param) == Origin::Default {
                    " (this is Postfix's built-in default)"
                } else {
                    ""
                }
            ),
            "nothing to fix if that is intended; for a permanent 554 instead:\n".to_owned()
                + &ctx.set(
                    guard_param,
                    &join_restrictions(guard_items)
                        .replace("defer_unauth_destination", "reject_unauth_destination"),
                ),
        );
    }
    if relay_exists && relay.is_empty() {
        ctx.add(
            "relay-restrictions-empty",
            "relay-restrictions-misconfigured",
            Severity::Info,
            "smtpd_relay_restrictions",
            format!(
                "smtpd_relay_restrictions is empty (compatibility_level {} keeps the pre-2.10 \
                 behaviour): relay control rests on smtpd_recipient_restrictions alone, where a \
                 later edit can easily open the server",
                s.level
            ),
            ctx.set("smtpd_relay_restrictions", sound),
        );
    }
}

fn sasl(ctx: &mut Ctx<'_, '_>) {
    let s = ctx.settings;
    let sasl_on = s.flag("smtpd_sasl_auth_enable");
    let lists: Vec<String> = [
        "smtpd_relay_restrictions",
        "smtpd_recipient_restrictions",
        "smtpd_client_restrictions",
    ]
    .iter()
    .flat_map(|p| s.list(p))
    .collect();
    let uses_sasl = lists.iter().any(|i| i == "permit_sasl_authenticated");
    let submission = ctx.service.is_some_and(Service::is_submission);
    if !sasl_on && (uses_sasl || submission) {
        let what = if submission {
            "this is a mail submission port, but SMTP AUTH is off"
        } else {
            "the restrictions permit signed-in users (permit_sasl_authenticated), but SMTP AUTH is off"
        };
        ctx.add(
            "sasl-disabled",
            "server-sasl-disabled",
            // On port 25 alone that is normal for a pure MX; on a submission port it is fatal.
            if submission {
                Severity::Error
            } else {
                Severity::Info
            },
            "smtpd_sasl_auth_enable",
            format!(
                "{what} (smtpd_sasl_auth_enable = no): the server never offers AUTH, so mail \
                 clients cannot sign in and relaying works only from mynetworks"
            ),
            ctx.set("smtpd_sasl_auth_enable", "yes"),
        );
    }
    if sasl_on {
        let kind = s.value("smtpd_sasl_type").trim().to_ascii_lowercase();
        let path = s.value("smtpd_sasl_path");
        if kind == "dovecot" && (path.trim().is_empty() || path.trim() == "smtpd") {
            ctx.add(
                "sasl-path-missing",
                "server-sasl-disabled",
                Severity::Error,
                "smtpd_sasl_path",
                "smtpd_sasl_type = dovecot, but smtpd_sasl_path is not set to Dovecot's auth \
                 socket: every AUTH attempt fails (\"SASL authentication failure\")"
                    .into(),
                ctx.set("smtpd_sasl_path", "private/auth")
                    + "\n(and in Dovecot: service auth { unix_listener /var/spool/postfix/private/auth { mode = 0660  user = postfix  group = postfix } })",
            );
        } else if kind != "dovecot" && kind != "cyrus" {
            ctx.add(
                "sasl-type-unknown",
                "server-sasl-disabled",
                Severity::Error,
                "smtpd_sasl_type",
                format!("smtpd_sasl_type = {kind}: Postfix knows only cyrus and dovecot"),
                ctx.set("smtpd_sasl_type", "dovecot"),
            );
        }
    }
}

fn tls_auth(ctx: &mut Ctx<'_, '_>) {
    let s = ctx.settings;
    if !s.flag("smtpd_sasl_auth_enable")
        || !s.flag("smtpd_tls_auth_only")
        || s.flag("smtpd_tls_wrappermode")
    {
        return;
    }
    let level = tls_level(s);
    let has_cert = [
        "smtpd_tls_cert_file",
        "smtpd_tls_chain_files",
        "smtpd_tls_eccert_file",
        "smtpd_tls_dcert_file",
    ]
    .iter()
    .any(|p| !s.value(p).trim().is_empty());
    if level == "none" || !has_cert {
        ctx.add(
            "tls-auth-only-without-tls",
            "server-sasl-disabled",
            Severity::Error,
            if level == "none" { "smtpd_tls_security_level" } else { "smtpd_tls_cert_file" },
            format!(
                "smtpd_tls_auth_only = yes offers AUTH only after STARTTLS, but {}: AUTH is never offered",
                if level == "none" { "this service offers no STARTTLS (smtpd_tls_security_level is empty or none)" } else { "no server certificate is configured, so STARTTLS is not offered" }
            ),
            if level == "none" { ctx.set("smtpd_tls_security_level", "may") } else { ctx.set("smtpd_tls_chain_files", "/etc/ssl/private/mail.key, /etc/ssl/certs/mail.pem") },
        );
    } else if level == "may" && ctx.service.is_some_and(Service::is_submission) {
        ctx.add(
            "submission-tls-optional",
            "tls-required-for-auth",
            Severity::Warning,
            "smtpd_tls_security_level",
            "smtpd_tls_auth_only = yes, but this submission port does not require TLS \
             (smtpd_tls_security_level = may): a client set to \"no encryption\" connects, sees no \
             AUTH, sends without signing in, and gets \"Relay access denied\""
                .into(),
            ctx.set("smtpd_tls_security_level", "encrypt"),
        );
    }
}

/// At most this many `$`-valued parameters are expanded to look for failures, and only while
/// the expansion steps spent stay under the budget: each failing value may cost a whole
/// expansion budget, and no real main.cf comes near either bound.
const MAX_EXPANSIONS_CHECKED: usize = 2_000;
const EXPANSION_CHECK_BUDGET: usize = 600_000;

/// Values Postfix itself cannot expand (a reference loop, nesting beyond its limit): Postfix
/// refuses such a configuration, so every verdict built on it would be wrong.
fn expansion(ctx: &mut Ctx<'_, '_>) {
    let s = ctx.settings;
    let mut names: Vec<String> = s
        .main
        .params
        .iter()
        .chain(
            ctx.service
                .iter()
                .flat_map(|service| service.overrides.iter()),
        )
        .filter(|param| param.value.contains('$'))
        .map(|param| param.name.clone())
        .collect();
    names.sort();
    names.dedup();
    let start = s.expansion_work();
    let mut checked = 0;
    for name in names.iter().take(MAX_EXPANSIONS_CHECKED) {
        if s.expansion_work() - start > EXPANSION_CHECK_BUDGET {
            break;
        }
        checked += 1;
        let _ = s.value(name);
        let Some(why) = s.expansion_problem(name) else {
            continue;
        };
        ctx.add(
            "expansion-failed",
            "relay-restrictions-misconfigured",
            Severity::Error,
            name,
            format!(
                "{name} cannot be expanded: {why}. Postfix stops with the same complaint, so \
                 this setting does not hold what it seems to (a reference loop such as a = $b, \
                 b = $a, or references nested too deep)"
            ),
            format!("postconf -n {name}   # then follow its $references and break the loop"),
        );
    }
    let unchecked = names.len() - checked;
    if unchecked > 0 {
        ctx.add(
            "expansion-not-checked",
            "relay-restrictions-misconfigured",
            Severity::Info,
            "",
            format!(
                "{unchecked} more parameters with $references were not expanded (the first \
                 {checked} were): this is not a configuration a person wrote"
            ),
            String::new(),
        );
    }
}

/// Entries of `mynetworks` that look like an address or network but are not one Postfix can
/// use: a prefix longer than the address (`10.0.0.0/33`, `[::]/129`) stops smtpd with
/// "bad net/mask pattern" (src/util/cidr_match.c; see
/// <https://github.com/vdukhovni/postfix/blob/master/src/util/cidr_match.c>), and an
/// incomplete address (`1.2.3`) is taken as a host name that never matches a client.
fn malformed_networks(ctx: &mut Ctx<'_, '_>) {
    let s = ctx.settings;
    if !s.is_set("mynetworks") {
        return;
    }
    let bad: Vec<String> = s
        .list("mynetworks")
        .into_iter()
        .map(|item| item.trim_start_matches('!').to_owned())
        .filter(|item| looks_like_network(item) && crate::postfix::net::Net::parse(item).is_none())
        .collect();
    if bad.is_empty() {
        return;
    }
    let shown: Vec<String> = bad
        .iter()
        .take(5)
        .map(|item| format!("\"{}\"", crate::sanitize::excerpt(item, 60)))
        .collect();
    let more = match bad.len().saturating_sub(shown.len()) {
        0 => String::new(),
        n => format!(" … {n} more"),
    };
    ctx.add(
        "mynetworks-malformed",
        "mynetworks-too-narrow",
        Severity::Error,
        "mynetworks",
        format!(
            "mynetworks has entries that are not valid addresses or networks: {}{more}. A \
             prefix longer than the address (over /32 for IPv4, /128 for IPv6) makes smtpd \
             stop with \"bad net/mask pattern\"; an incomplete address is read as a host name \
             and matches no client",
            shown.join(", ")
        ),
        "write each network as address/prefix, e.g. 192.0.2.0/24 or [2001:db8::]/32, then:\n"
            .to_owned()
            + &ctx.set("mynetworks", "127.0.0.0/8, [::1]/128, 192.0.2.0/24"),
    );
}

/// An entry written as an address: digits and dots (IPv4) or hex digits and colons (IPv6),
/// optionally in brackets and with a `/prefix`; not a host name, file or table.
fn looks_like_network(item: &str) -> bool {
    let bare = item.trim_start_matches('[');
    let v4 = !bare.is_empty()
        && bare.starts_with(|c: char| c.is_ascii_digit())
        && bare
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '/'));
    let v6 = bare.contains(':')
        && bare
            .chars()
            .all(|c| c.is_ascii_hexdigit() || matches!(c, ':' | '.' | '/' | ']'));
    v4 || v6
}

fn mynetworks(ctx: &mut Ctx<'_, '_>) {
    let s = ctx.settings;
    let (list, _) = effective_mynetworks(s);
    if let Some(wide) = list.nets().find(|n| n.is_internet_wide()) {
        let kept: Vec<String> = s
            .list("mynetworks")
            .into_iter()
            .filter(|item| {
                NetList::parse(std::slice::from_ref(item))
                    .nets()
                    .all(|n| !n.is_internet_wide())
            })
            .collect();
        let kept = if kept.is_empty() {
            "127.0.0.0/8, [::1]/128".to_owned()
        } else {
            kept.join(", ")
        };
        ctx.add(
            "mynetworks-internet",
            "relay-restrictions-misconfigured",
            Severity::Error,
            "mynetworks",
            format!(
                "OPEN RELAY: mynetworks contains {wide}, i.e. the whole internet, and \
                 permit_mynetworks lets every client in it relay"
            ),
            ctx.set("mynetworks", &kept),
        );
        return;
    }
    // Relay only by network: SASL off and nothing but loopback trusted.
    let relay_items: Vec<String> = ["smtpd_relay_restrictions", "smtpd_recipient_restrictions"]
        .iter()
        .flat_map(|p| s.list(p))
        .collect();
    let sasl_relay = s.flag("smtpd_sasl_auth_enable")
        && relay_items.iter().any(|i| i == "permit_sasl_authenticated");
    let only_loopback = list.nets().all(|n| match n.addr {
        std::net::IpAddr::V4(v4) => v4.is_loopback(),
        std::net::IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    });
    // With SMTP AUTH on but not permitted in the relay rules, sasl-permit-missing says what
    // to fix; "turn SMTP AUTH on" would contradict the settings.
    let sasl_on = s.flag("smtpd_sasl_auth_enable");
    if !sasl_relay
        && !sasl_on
        && only_loopback
        && relay_items.iter().any(|i| i == "permit_mynetworks")
    {
        ctx.add(
            "relay-only-from-localhost",
            "mynetworks-too-narrow",
            Severity::Info,
            "mynetworks",
            format!(
                "relaying is allowed only from mynetworks ({}), which holds only this machine, \
                 and there is no SMTP AUTH relay: every mail client elsewhere gets \"Relay \
                 access denied\" when sending to other domains",
                if s.is_set("mynetworks") { s.value("mynetworks") } else { format!("from mynetworks_style = {}", s.value("mynetworks_style")) }
            ),
            "let users sign in instead of widening mynetworks:\n".to_owned()
                + &ctx.set("smtpd_sasl_auth_enable", "yes")
                + "\n(and put permit_sasl_authenticated before reject_unauth_destination); or add the office network:\n"
                + &ctx.set("mynetworks", "127.0.0.0/8, [::1]/128, 192.0.2.0/24"),
        );
    }
}

fn domains(ctx: &mut Ctx<'_, '_>) {
    let s = ctx.settings;
    // Only when the domain is named on purpose (mydomain set, or mail sent as @$mydomain):
    // a host whose domain's mail is handled by another server is normal.
    let origin_uses_domain = s
        .raw("myorigin")
        .is_some_and(|(v, _)| v.contains("mydomain"));
    if !s.is_set("mydomain") && !origin_uses_domain {
        return;
    }
    let domain = s.value("mydomain").trim().to_ascii_lowercase();
    if domain.is_empty() || domain == "localdomain" || !domain.contains('.') {
        return;
    }
    let mut notes = Vec::new();
    let dest = crate::postfix::simulate::destination(s, &domain, &mut notes);
    // A table relaydoc could not read may well list it: no finding then.
    if dest == crate::postfix::simulate::Destination::Unauthorized && notes.is_empty() {
        let dest_value = s.raw("mydestination").map(|(v, _)| v).unwrap_or_default();
        ctx.add(
            "domain-not-local",
            "recipient-domain-not-local",
            Severity::Warning,
            "mydestination",
            format!(
                "mail for {domain} (mydomain) is not taken as local: it is in none of \
                 mydestination, virtual_alias_domains, virtual_mailbox_domains or relay_domains, \
                 so senders outside get \"Relay access denied\" for addresses @{domain}"
            ),
            format!(
                "if this server holds the mailboxes for {domain}:\n{}\n(or add {domain} to virtual_mailbox_domains if its mailboxes are virtual)",
                ctx.set("mydestination", &format!("{}, $mydomain", dest_value.trim().trim_end_matches(',')))
            ),
        );
    }
}

fn client_reject_all(ctx: &mut Ctx<'_, '_>) {
    let s = ctx.settings;
    for param in [
        "smtpd_client_restrictions",
        "smtpd_helo_restrictions",
        "smtpd_sender_restrictions",
    ] {
        let items = s.list(param);
        let Some(reject_at) = position(&items, "reject") else {
            continue;
        };
        let before = &items[..reject_at];
        let only_conditional = before
            .iter()
            .all(|i| i == "permit_mynetworks" || i == "permit_sasl_authenticated");
        // On a submission port, "signed-in users only" is the point; anywhere else (port 25)
        // it also turns away every server delivering mail to this server's own domains.
        let sasl_first = before.iter().any(|i| i == "permit_sasl_authenticated")
            && s.flag("smtpd_sasl_auth_enable")
            && s.flag("smtpd_delay_reject");
        if !only_conditional || sasl_first && ctx.service.is_some_and(Service::is_submission) {
            continue;
        }
        ctx.add(
            "client-restrictions-reject-all",
            "mynetworks-too-narrow",
            Severity::Error,
            param,
            format!(
                "{param} = {} turns away every client outside mynetworks{}, even servers \
                 delivering mail to this server's own domains (\"Access denied\")",
                join_restrictions(&items),
                if sasl_first {
                    " that has not signed in"
                } else {
                    ""
                }
            ),
            ctx.set(
                param,
                &join_restrictions(
                    &items
                        .iter()
                        .filter(|i| *i != "reject")
                        .cloned()
                        .collect::<Vec<_>>(),
                ),
            ) + "\n(relay control belongs in smtpd_relay_restrictions)",
        );
    }
}

fn dead_zone(zone: &str) -> Option<&'static (&'static str, bool, &'static str)> {
    let zone = zone
        .split(['=', '*'])
        .next()
        .unwrap_or(zone)
        .to_ascii_lowercase();
    DEAD_DNSBLS
        .iter()
        .find(|(dead, _, _)| zone == *dead || zone.ends_with(&format!(".{dead}")))
}

fn dead_dnsbls(ctx: &mut Ctx<'_, '_>) {
    let s = ctx.settings;
    for param in [
        "smtpd_client_restrictions",
        "smtpd_helo_restrictions",
        "smtpd_sender_restrictions",
        "smtpd_relay_restrictions",
        "smtpd_recipient_restrictions",
        "postscreen_dnsbl_sites",
    ] {
        let items = s.list(param);
        let postscreen = param == "postscreen_dnsbl_sites";
        // (index of the zone, index of its restriction if any)
        let dead: Vec<(usize, Option<usize>)> = items
            .iter()
            .enumerate()
            .filter_map(|(index, item)| {
                if postscreen {
                    return dead_zone(item).map(|_| (index, None));
                }
                let is_dnsbl = item.starts_with("reject_rbl_client")
                    || item.starts_with("reject_rhsbl")
                    || item.starts_with("permit_dnswl");
                let zone = items.get(index + 1).filter(|_| is_dnsbl)?;
                dead_zone(zone).map(|_| (index + 1, Some(index)))
            })
            .collect();
        if dead.is_empty() {
            continue;
        }
        // One fix for the list: every dead zone removed, with its restriction.
        let drop: Vec<usize> = dead
            .iter()
            .flat_map(|(zone, rule)| [Some(*zone), *rule])
            .flatten()
            .collect();
        let kept: Vec<String> = items
            .iter()
            .enumerate()
            .filter(|(i, _)| !drop.contains(i))
            .map(|(_, item)| item.clone())
            .collect();
        let fix = ctx.set(param, &join_restrictions(&kept));
        for (zone_at, _) in dead {
            let zone = items[zone_at].clone();
            let Some((_, lists_world, why)) = dead_zone(&zone) else {
                continue;
            };
            ctx.add(
                "dead-dnsbl",
                "client-ip-blacklisted",
                if *lists_world { Severity::Error } else { Severity::Warning },
                param,
                format!(
                    "{param} uses the DNS blacklist {zone}, which is dead ({why}): {}",
                    if *lists_world {
                        "it answers \"listed\" for every address, so every client is rejected as blacklisted"
                    } else {
                        "every lookup waits for a timeout"
                    }
                ),
                fix.clone(),
            );
        }
    }
}

fn soft_bounce(ctx: &mut Ctx<'_, '_>) {
    if ctx.settings.flag("soft_bounce") {
        ctx.add(
            "soft-bounce-on",
            "temporary-relay-deferral",
            Severity::Info,
            "soft_bounce",
            "soft_bounce = yes turns every permanent reject into a temporary one: \"Relay access \
             denied\" is answered 454 4.7.1 instead of 554 5.7.1, and senders keep retrying"
                .into(),
            ctx.set("soft_bounce", "no"),
        );
    }
}

/// Names Postfix does not know, unless something refers to them as `$name` (a user-defined
/// restriction class or list is legal).
fn unknown_parameters(main: &MainCf, services: &[Service], findings: &mut Vec<Finding>) {
    // Every name referred to as $name, ${name} or $(name), collected in one pass.
    let mut referenced = std::collections::HashSet::new();
    let values = main.params.iter().map(|p| p.value.as_str()).chain(
        services
            .iter()
            .flat_map(|s| s.overrides.iter().map(|o| o.value.as_str())),
    );
    for value in values {
        for (index, _) in value.match_indices('$') {
            let rest = value[index + 1..].trim_start_matches(['{', '(']);
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            if end > 0 {
                referenced.insert(rest[..end].to_owned());
            }
        }
    }
    // Restriction class names are user-defined parameters, in main.cf or in a service's -o.
    let classes: String = main
        .params
        .iter()
        .chain(services.iter().flat_map(|s| s.overrides.iter()))
        .filter(|p| p.name == "smtpd_restriction_classes")
        .map(|p| format!("{} ", p.value))
        .collect();
    let class_names = crate::postfix::config::split_list(&classes);
    let mut unreported = 0usize;
    let mut report = |name: &str, line: usize, service: Option<&Service>| {
        if crate::postfix::names::is_known(name)
            || referenced.contains(name)
            || class_names.iter().any(|c| c == name)
        {
            return;
        }
        // Past a screenful of typos the file is not a main.cf a person wrote: count, do not
        // spend a "did you mean" on each.
        if findings.len() >= MAX_UNKNOWN_REPORTED {
            unreported += 1;
            return;
        }
        let suggestion = crate::postfix::names::suggest(name);
        let cause = match suggestion.unwrap_or(name) {
            n if n.starts_with("smtpd_sasl") => "server-sasl-disabled",
            n if n.starts_with("mynetworks") => "mynetworks-too-narrow",
            n if n.starts_with("mydestination")
                || n.starts_with("relay_domains")
                || n.starts_with("virtual_") =>
            {
                "recipient-domain-not-local"
            }
            n if n.contains("restrictions") => "relay-restrictions-misconfigured",
            _ => "not-relay",
        };
        let shown = crate::sanitize::excerpt(name, 80);
        let (message, fix) = match suggestion {
            Some(known) => (
                format!(
                    "unknown parameter {shown} (not in Postfix {}'s postconf(5)): did you mean {known}? Postfix ignores the line, so the setting has no effect",
                    crate::postfix::names::TABLE_RELEASE
                ),
                format!(
                    "rename it: {known} = …  (postconf -X {shown}; postconf -e '{known} = <value>')"
                ),
            ),
            None => (
                format!(
                    "unknown parameter {shown} (not in Postfix {}'s postconf(5), and nothing refers to it as ${shown}): Postfix ignores it",
                    crate::postfix::names::TABLE_RELEASE
                ),
                format!("remove it (postconf -X {shown}) or check its spelling in postconf(5)"),
            ),
        };
        findings.push(Finding {
            id: "unknown-parameter".into(),
            cause: cause.into(),
            severity: Severity::Warning,
            parameter: shown,
            message: match service {
                Some(s) => format!("master.cf service {} (line {line}): {message}", s.name),
                None => message,
            },
            fix,
            service: service.map(|s| s.name.clone()),
            line: Some(line),
        });
    };
    for param in &main.params {
        report(&param.name, param.line, None);
    }
    for service in services {
        for o in &service.overrides {
            report(&o.name, o.line, Some(service));
        }
    }
    if unreported > 0 {
        findings.push(Finding {
            id: "unknown-parameter".into(),
            cause: "not-relay".into(),
            severity: Severity::Warning,
            parameter: String::new(),
            message: format!(
                "… {unreported} more unknown parameter names (the first {MAX_UNKNOWN_REPORTED} \
                 are listed): is this file a Postfix configuration?"
            ),
            fix: "compare the file with `postconf -n` on the server".into(),
            service: None,
            line: None,
        });
    }
}

/// Unknown names reported one by one; the rest are counted in one finding.
const MAX_UNKNOWN_REPORTED: usize = 50;

/// Findings printed in the human report; `--json` lists them all (they are bounded where they
/// are made).
const MAX_FINDINGS_PRINTED: usize = 100;

/// Each finding as people read it (at most [`MAX_FINDINGS_PRINTED`]): severity, id, parameter
/// and cause; the message with `location` (where it is set); the fix. Postfix's and Exim's
/// lint print alike.
pub fn render_findings(
    out: &mut String,
    findings: &[Finding],
    location: impl Fn(&Finding) -> String,
) {
    use std::fmt::Write as _;
    for finding in findings.iter().take(MAX_FINDINGS_PRINTED) {
        let tag = match finding.severity {
            Severity::Error => "ERROR",
            Severity::Warning => "WARNING",
            Severity::Info => "NOTE",
        };
        let _ = writeln!(
            out,
            "\n{tag} [{}] {} (cause: {})",
            finding.id, finding.parameter, finding.cause
        );
        let _ = writeln!(out, "  {}{}", finding.message, location(finding));
        let _ = writeln!(out, "  Fix:");
        for line in finding.fix.lines() {
            let _ = writeln!(out, "    {line}");
        }
    }
    if let Some(more) = findings.len().checked_sub(MAX_FINDINGS_PRINTED)
        && more > 0
    {
        let _ = writeln!(out, "\n… {more} more findings (--json lists them all)");
    }
}

/// The findings as plain words for a server owner.
pub fn render(report: &Report, source: &str, settings: &Settings<'_>) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let errors = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let warnings = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .count();
    let _ = writeln!(
        out,
        "{source}: Postfix {}{}, compatibility_level {} — {} error(s), {} warning(s), {} note(s)",
        settings.version,
        if settings.version_assumed {
            " (assumed; say --postfix-version)"
        } else {
            ""
        },
        settings.level,
        errors,
        warnings,
        report.findings.len() - errors - warnings
    );
    if report.findings.is_empty() {
        let _ = writeln!(
            out,
            "\nNo findings: nothing here would cause \"Relay access denied\" or an open relay."
        );
    }
    render_findings(&mut out, &report.findings, |finding| {
        match (&finding.service, finding.line) {
            (Some(_), Some(line)) => format!(" — master.cf line {line}"),
            (None, Some(line)) => format!(" — {source} line {line}"),
            _ => " — built-in default".to_owned(),
        }
    });
    crate::sanitize::for_terminal(&out)
}
