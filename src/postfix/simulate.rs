//! One RCPT through a Postfix configuration: the restriction walk and its verdict.
//!
//! The walk follows smtpd(8) and postconf(5): with `smtpd_delay_reject = yes` (the default)
//! the client, HELO and sender lists run at RCPT TO, in that order, each list on its own
//! (`permit` ends only its list, a reject ends everything); then `smtpd_relay_restrictions` and
//! `smtpd_recipient_restrictions`, relay first when `smtpd_relay_before_recipient_restrictions`
//! is on (Postfix 3.6+, compatibility level 3.6+), recipient first before that. Reply codes come
//! from the `*_reject_code` parameters; `soft_bounce` turns 5xx into 4xx.
//!
//! What cannot be known offline (DNS, policy servers, database tables, whether a mailbox
//! exists) is never guessed silently: each such step is listed in `approximations`.

use std::net::IpAddr;

use serde::Serialize;

use crate::postfix::config::Settings;
use crate::postfix::maps::{Lookup, Table};
use crate::postfix::net::{Match, NetList};

/// The client and the envelope to replay.
#[derive(Debug, Clone)]
pub struct Client {
    pub ip: IpAddr,
    pub sasl_user: Option<String>,
    pub tls: bool,
    pub helo: String,
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Accept,
    Reject,
    Defer,
    /// The server cannot run with this configuration: no reply at all.
    Error,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Connect,
    Auth,
    Helo,
    Mail,
    Rcpt,
}

impl Stage {
    fn name(self) -> &'static str {
        match self {
            Self::Connect => "connect",
            Self::Auth => "AUTH",
            Self::Helo => "HELO",
            Self::Mail => "MAIL FROM",
            Self::Rcpt => "RCPT TO",
        }
    }
}

/// Which rule decided, for the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rule {
    pub parameter: String,
    pub rule: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub outcome: Outcome,
    pub code: u16,
    pub enhanced: String,
    /// The reply line as Postfix would send it.
    pub reply: String,
    pub stage: Stage,
    pub decided_by: Option<Rule>,
}

/// One rule looked at, and what it did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub stage: Stage,
    pub parameter: String,
    pub rule: String,
    /// permit · dunno · reject · defer · skip
    pub result: String,
    pub why: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Simulation {
    pub service: Option<String>,
    pub postfix_version: String,
    pub version_assumed: bool,
    pub compatibility_level: String,
    pub verdict: Verdict,
    pub steps: Vec<Step>,
    pub approximations: Vec<String>,
}

/// A reply a rule produced, before `soft_bounce`.
#[derive(Debug, Clone)]
struct Reply {
    code: u16,
    enhanced: String,
    text: String,
}

enum ListResult {
    Permit,
    Dunno,
    Stop(Reply, Rule),
}

/// Where a list runs and what its rejects say.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Client,
    Helo,
    Sender,
    Relay,
    Recipient,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Self::Client => "Client host rejected",
            Self::Helo => "Helo command rejected",
            Self::Sender => "Sender address rejected",
            Self::Relay | Self::Recipient => "Recipient address rejected",
        }
    }
}

/// How deep restriction classes may nest (they can name each other).
const MAX_CLASS_DEPTH: usize = 8;

struct Walk<'a> {
    settings: &'a Settings<'a>,
    client: &'a Client,
    authenticated: bool,
    mynetworks: NetList,
    steps: Vec<Step>,
    approximations: Vec<String>,
    /// Set by defer_if_permit: the list it was in, for the reply text.
    defer_if_permit: Option<Kind>,
    defer_if_reject: bool,
    warn_if_reject: bool,
    stage: Stage,
}

/// Replays one RCPT for `client` against `settings` (already narrowed to a service).
pub fn simulate(settings: &Settings<'_>, client: &Client) -> Simulation {
    let mut approximations = Vec::new();
    if settings.version_assumed {
        approximations.push(format!(
            "Postfix version not given (no mail_version, no --postfix-version): assumed {}",
            settings.version
        ));
    }
    let (mynetworks, note) = effective_mynetworks(settings);
    approximations.extend(note);
    let mut walk = Walk {
        settings,
        client,
        authenticated: false,
        mynetworks,
        steps: Vec::new(),
        approximations,
        defer_if_permit: None,
        defer_if_reject: false,
        warn_if_reject: false,
        stage: Stage::Connect,
    };
    let verdict = walk.run();
    // A value Postfix could not expand makes the real server refuse to run; the verdict
    // above is then about a configuration that does not exist, and must say so.
    for (name, why) in settings.expansion_problems() {
        walk.note(&format!(
            "{name} could not be expanded ({why}): Postfix refuses this configuration, so \
             this verdict is not what the server would do"
        ));
    }
    Simulation {
        service: settings.service.as_ref().map(|(name, _)| name.clone()),
        postfix_version: settings.version.to_string(),
        version_assumed: settings.version_assumed,
        compatibility_level: settings.level.to_string(),
        verdict,
        steps: walk.steps,
        approximations: walk.approximations,
    }
}

/// `mynetworks` as set, or as `mynetworks_style` builds it from the server's own addresses,
/// which relaydoc cannot see: it assumes loopback and says so.
pub fn effective_mynetworks(settings: &Settings<'_>) -> (NetList, Option<String>) {
    if settings.is_set("mynetworks") {
        return (NetList::parse(&settings.list("mynetworks")), None);
    }
    let style = settings.value("mynetworks_style");
    let (items, note) = match style.trim() {
        "host" => (
            vec!["127.0.0.1/32", "[::1]/128"],
            "mynetworks is not set; with mynetworks_style = host it holds the server's own \
             addresses, assumed here to be 127.0.0.1 and ::1",
        ),
        _ => (
            vec!["127.0.0.0/8", "[::1]/128"],
            "mynetworks is not set; with mynetworks_style = subnet (or class) it also holds the \
             server's own LAN subnets, which relaydoc cannot see: only loopback is assumed",
        ),
    };
    let items: Vec<String> = items.into_iter().map(String::from).collect();
    (NetList::parse(&items), Some(note.to_owned()))
}

/// The kind of destination a recipient domain is to this server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// Local, virtual or relay domain: `reject_unauth_destination` lets it through.
    Authorized(&'static str),
    Unauthorized,
}

/// Whether mail for `domain` is for this server (`mydestination`, virtual domains,
/// `relay_domains`), with notes for lists relaydoc could not read.
pub fn destination(settings: &Settings<'_>, domain: &str, notes: &mut Vec<String>) -> Destination {
    // The address class is resolved by trivial-rewrite(8), which reads main.cf only: a
    // master.cf `-o relay_domains=…` on an smtpd service changes nothing (seen in the matrix).
    let main_only = settings.main_only();
    let settings = &main_only;
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    let subdomains_match = |param: &str| {
        settings
            .list("parent_domain_matches_subdomains")
            .iter()
            .any(|p| p == param)
    };
    for (param, class) in [
        ("mydestination", "local (mydestination)"),
        ("virtual_alias_domains", "virtual alias domain"),
        ("virtual_mailbox_domains", "virtual mailbox domain"),
        ("relay_domains", "relay domain (relay_domains)"),
    ] {
        if domain_list_matches(settings, param, &domain, subdomains_match(param), notes) {
            return Destination::Authorized(class);
        }
    }
    Destination::Unauthorized
}

fn domain_list_matches(
    settings: &Settings<'_>,
    param: &str,
    domain: &str,
    parent_matches: bool,
    notes: &mut Vec<String>,
) -> bool {
    // A hostile list can hold thousands of tables and the domain can be long: the notes name
    // a few, each with a short excerpt, and count the rest.
    const NOTES_PER_LIST: usize = 5;
    let shown = crate::sanitize::excerpt(domain, 80);
    let mut unread = 0usize;
    let mut note = |text: String| {
        unread += 1;
        if unread <= NOTES_PER_LIST {
            notes.push(text);
        }
    };
    for item in settings.list(param) {
        let item = item.to_ascii_lowercase();
        if item.contains(':') && !item.starts_with('[') {
            let table = Table::open(&item);
            match table.get(domain) {
                Lookup::Found(_) => return true,
                Lookup::NotFound => {}
                Lookup::Unknown(why) => note(format!(
                    "{param}: {}: assumed not to list {shown}",
                    crate::sanitize::excerpt(&why, 200)
                )),
            }
            continue;
        }
        if item.starts_with('/') {
            note(format!(
                "{param}: the file {} is not read: assumed not to list {shown}",
                crate::sanitize::excerpt(&item, 80)
            ));
            continue;
        }
        let item = item.trim_end_matches('.');
        if item == domain {
            return true;
        }
        if let Some(parent) = item.strip_prefix('.') {
            if domain.ends_with(&format!(".{parent}")) {
                return true;
            }
        } else if parent_matches && domain.ends_with(&format!(".{item}")) {
            return true;
        }
    }
    if unread > NOTES_PER_LIST {
        notes.push(format!(
            "{param}: … {} more tables or files not read",
            unread - NOTES_PER_LIST
        ));
    }
    false
}

fn domain_of(address: &str) -> Option<&str> {
    address
        .rsplit_once('@')
        .map(|(_, domain)| domain)
        .filter(|d| !d.is_empty())
}

fn bracketed(address: &str) -> String {
    format!("<{address}>")
}

impl Walk<'_> {
    fn run(&mut self) -> Verdict {
        let s = self.settings;
        // Postfix refuses to run without a working relay guard in one of the two RCPT lists.
        let guarded = has_working_guard(s);
        if !guarded {
            // smtpd checks this when it starts, before the greeting, and exits (seen in
            // the matrix: "fatal: in parameter smtpd_relay_restrictions or
            // smtpd_recipient_restrictions, specify at least one working instance of …").
            self.stage = Stage::Connect;
            self.push("smtpd_relay_restrictions", "(no relay guard)", "error", "neither smtpd_relay_restrictions nor smtpd_recipient_restrictions has reject_unauth_destination, defer_unauth_destination, reject, defer, defer_if_permit or check_relay_domains");
            return Verdict {
                outcome: Outcome::Error,
                code: 421,
                enhanced: "4.3.0".into(),
                reply: "(no reply: smtpd stops with a fatal configuration error before the greeting; the client sees the connection hang or close)".into(),
                stage: Stage::Connect,
                decided_by: Some(Rule {
                    parameter: "smtpd_relay_restrictions".into(),
                    rule: "(no relay guard)".into(),
                }),
            };
        }
        // --- connection level: TLS and AUTH, which decide what the client may do later.
        let wrapper = s.flag("smtpd_tls_wrappermode");
        let level = tls_level(s);
        let mut tls = self.client.tls || wrapper;
        if wrapper && !self.client.tls {
            self.note(
                "smtpd_tls_wrappermode = yes: this port speaks TLS from the start; TLS assumed",
            );
        }
        if tls && level == "none" && !wrapper {
            self.note("--tls given, but this service offers no STARTTLS (smtpd_tls_security_level is empty or none): continuing without TLS");
            tls = false;
        }
        // With smtpd_delay_reject = no, the client list runs at connect and the HELO list at
        // EHLO, both before AUTH; otherwise everything waits for RCPT TO.
        let delay = s.flag("smtpd_delay_reject");
        if !delay {
            for list in [
                (Kind::Client, "smtpd_client_restrictions", Stage::Connect),
                (Kind::Helo, "smtpd_helo_restrictions", Stage::Helo),
            ] {
                if let Some(verdict) = self.run_list(list) {
                    return verdict;
                }
            }
        }
        if let Some(user) = &self.client.sasl_user {
            self.stage = Stage::Auth;
            let user = crate::sanitize::single_line(user);
            if !s.flag("smtpd_sasl_auth_enable") {
                return self.early(
                    503,
                    "5.5.1",
                    "Error: authentication not enabled",
                    "smtpd_sasl_auth_enable",
                    "no",
                    "AUTH is not offered: smtpd_sasl_auth_enable is off",
                );
            }
            if !tls && level == "encrypt" {
                return self.early(
                    530,
                    "5.7.0",
                    "Must issue a STARTTLS command first",
                    "smtpd_tls_security_level",
                    "encrypt",
                    "TLS is required before anything else on this service",
                );
            }
            if !tls && s.flag("smtpd_tls_auth_only") {
                return self.early(
                    503,
                    "5.5.1",
                    "Error: authentication not enabled",
                    "smtpd_tls_auth_only",
                    "yes",
                    "AUTH is offered only after STARTTLS, and this client does not use TLS",
                );
            }
            self.authenticated = true;
            self.push(
                "smtpd_sasl_auth_enable",
                "yes",
                "permit",
                &format!("signed in as {user} (the password is assumed right)"),
            );
        }
        self.stage = Stage::Mail;
        if !tls && level == "encrypt" {
            return self.early(
                530,
                "5.7.0",
                "Must issue a STARTTLS command first",
                "smtpd_tls_security_level",
                "encrypt",
                "TLS is required before MAIL FROM on this service",
            );
        }

        // --- the restriction lists.
        if !delay {
            let sender = (Kind::Sender, "smtpd_sender_restrictions", Stage::Mail);
            if let Some(verdict) = self.run_list(sender) {
                return verdict;
            }
        }
        let mut lists = Vec::new();
        if delay {
            lists.extend([
                (Kind::Client, "smtpd_client_restrictions", Stage::Rcpt),
                (Kind::Helo, "smtpd_helo_restrictions", Stage::Rcpt),
                (Kind::Sender, "smtpd_sender_restrictions", Stage::Rcpt),
            ]);
        }
        let has_relay_list = s.raw("smtpd_relay_restrictions").is_some();
        let relay_first = has_relay_list && s.flag("smtpd_relay_before_recipient_restrictions");
        let relay = (Kind::Relay, "smtpd_relay_restrictions", Stage::Rcpt);
        let recipient = (Kind::Recipient, "smtpd_recipient_restrictions", Stage::Rcpt);
        match (has_relay_list, relay_first) {
            (false, _) => lists.push(recipient),
            (true, true) => lists.extend([relay, recipient]),
            (true, false) => lists.extend([recipient, relay]),
        }
        for list in lists {
            if let Some(verdict) = self.run_list(list) {
                return verdict;
            }
        }
        self.stage = Stage::Rcpt;
        if let Some(domain) = domain_of(&self.client.to) {
            let mut notes = Vec::new();
            if let Destination::Authorized(class) = destination(s, domain, &mut notes)
                && s.flag("smtpd_reject_unlisted_recipient")
            {
                self.note(&format!(
                    "{domain} is a {class}: Postfix then checks that the mailbox exists \
                     (smtpd_reject_unlisted_recipient); relaydoc assumes it does"
                ));
            }
        }
        if let Some(kind) = self.defer_if_permit {
            let code = s.number("defer_code", 450);
            // The reply text as the matrix saw it: "450 4.7.0 <rcpt>: Recipient address
            // rejected: defer_if_permit requested".
            let reply = Reply {
                code,
                enhanced: "4.7.0".into(),
                text: format!(
                    "{}: {}: defer_if_permit requested",
                    self.subject(kind),
                    kind.label()
                ),
            };
            return self.finish(
                reply,
                Some(Rule {
                    parameter: "(defer_if_permit)".into(),
                    rule: "defer_if_permit".into(),
                }),
            );
        }
        Verdict {
            outcome: Outcome::Accept,
            code: 250,
            enhanced: "2.1.5".into(),
            reply: "250 2.1.5 Ok".into(),
            stage: Stage::Rcpt,
            decided_by: None,
        }
    }

    /// Runs one restriction list; `Some` when it ends the session.
    fn run_list(&mut self, (kind, param, stage): (Kind, &str, Stage)) -> Option<Verdict> {
        self.stage = stage;
        let items = self.settings.list(param);
        if items.is_empty() {
            self.push(param, "(empty)", "dunno", "the list is empty");
            return None;
        }
        self.warn_if_reject = false;
        match self.eval_list(kind, param, &items, 0) {
            ListResult::Stop(reply, rule) => Some(self.finish(reply, Some(rule))),
            ListResult::Permit | ListResult::Dunno => None,
        }
    }

    fn early(
        &mut self,
        code: u16,
        enhanced: &str,
        text: &str,
        parameter: &str,
        rule: &str,
        why: &str,
    ) -> Verdict {
        self.push(
            parameter,
            rule,
            if code >= 500 { "reject" } else { "defer" },
            why,
        );
        // soft_bounce softens these too (the matrix saw AUTH's 503 5.5.1 become 403 4.5.1).
        self.finish(
            Reply {
                code,
                enhanced: enhanced.into(),
                text: text.into(),
            },
            Some(Rule {
                parameter: parameter.into(),
                rule: rule.into(),
            }),
        )
    }

    /// Applies `soft_bounce` and builds the verdict for a reject or defer.
    fn finish(&mut self, mut reply: Reply, rule: Option<Rule>) -> Verdict {
        if reply.code >= 500 && self.settings.flag("soft_bounce") {
            reply.code -= 100;
            reply.enhanced.replace_range(0..1, "4");
            self.push(
                "soft_bounce",
                "yes",
                "defer",
                "soft_bounce turns every 5xx reject into 4xx (try again later)",
            );
        }
        let outcome = if reply.code >= 500 {
            Outcome::Reject
        } else if reply.code >= 400 {
            Outcome::Defer
        } else {
            Outcome::Accept
        };
        Verdict {
            outcome,
            code: reply.code,
            enhanced: reply.enhanced.clone(),
            reply: format!("{} {} {}", reply.code, reply.enhanced, reply.text),
            stage: self.stage,
            decided_by: rule,
        }
    }

    fn note(&mut self, text: &str) {
        if !self.approximations.iter().any(|n| n == text) {
            self.approximations.push(text.to_owned());
        }
    }

    fn push(&mut self, parameter: &str, rule: &str, result: &str, why: &str) {
        self.steps.push(Step {
            stage: self.stage,
            parameter: parameter.to_owned(),
            rule: crate::sanitize::single_line(rule),
            result: result.to_owned(),
            why: crate::sanitize::single_line(why),
        });
    }

    fn subject(&self, kind: Kind) -> String {
        match kind {
            Kind::Client => format!("<unknown[{}]>", self.client.ip),
            Kind::Helo => bracketed(&self.client.helo),
            Kind::Sender => bracketed(&self.client.from),
            Kind::Relay | Kind::Recipient => bracketed(&self.client.to),
        }
    }

    fn eval_list(&mut self, kind: Kind, param: &str, items: &[String], depth: usize) -> ListResult {
        let mut i = 0;
        while i < items.len() {
            let item = items[i].as_str();
            i += 1;
            let takes_arg = takes_argument(item);
            let arg = if takes_arg {
                let arg = items.get(i).cloned();
                i += 1;
                arg
            } else {
                None
            };
            let shown = match &arg {
                Some(arg) => format!("{item} {arg}"),
                None => item.to_owned(),
            };
            if takes_arg && arg.is_none() {
                self.push(
                    param,
                    &shown,
                    "reject",
                    "this restriction needs an argument",
                );
                return self.config_error(param, &shown);
            }
            match self.eval_item(kind, param, item, arg.as_deref(), depth) {
                ItemResult::Permit(why) => {
                    self.push(param, &shown, "permit", &why);
                    return ListResult::Permit;
                }
                ItemResult::Dunno(why) => self.push(param, &shown, "dunno", &why),
                ItemResult::Reject(reply, why) => {
                    if std::mem::take(&mut self.warn_if_reject) {
                        self.push(
                            param,
                            &shown,
                            "dunno",
                            &format!("{why} (only logged: warn_if_reject)"),
                        );
                        continue;
                    }
                    let reply = if std::mem::take(&mut self.defer_if_reject) && reply.code >= 500 {
                        Reply {
                            code: self.settings.number("defer_code", 450),
                            enhanced: reply.enhanced.replacen('5', "4", 1),
                            text: reply.text,
                        }
                    } else {
                        reply
                    };
                    let result = if reply.code >= 500 { "reject" } else { "defer" };
                    self.push(param, &shown, result, &why);
                    return ListResult::Stop(
                        reply,
                        Rule {
                            parameter: param.to_owned(),
                            rule: crate::sanitize::single_line(&shown),
                        },
                    );
                }
                ItemResult::Nested(result) => match result {
                    ListResult::Dunno => {}
                    other => return other,
                },
                ItemResult::ConfigError(why) => {
                    self.push(param, &shown, "defer", &why);
                    return self.config_error(param, &shown);
                }
            }
        }
        ListResult::Dunno
    }

    fn config_error(&mut self, param: &str, rule: &str) -> ListResult {
        ListResult::Stop(
            Reply {
                code: 451,
                enhanced: "4.3.5".into(),
                text: "Server configuration error".into(),
            },
            Rule {
                parameter: param.to_owned(),
                rule: crate::sanitize::single_line(rule),
            },
        )
    }

    fn reject(&self, kind: Kind, code_param: &str, fallback: u16, text: &str) -> Reply {
        let code = self.settings.number(code_param, fallback);
        Reply {
            code,
            enhanced: if code >= 500 { "5.7.1" } else { "4.7.1" }.into(),
            text: format!("{}: {}: {}", self.subject(kind), kind.label(), text),
        }
    }

    fn eval_item(
        &mut self,
        kind: Kind,
        param: &str,
        item: &str,
        arg: Option<&str>,
        depth: usize,
    ) -> ItemResult {
        let s = self.settings;
        let to = self.client.to.clone();
        match item {
            "permit" => ItemResult::Permit("permit: unconditional".into()),
            "reject" => ItemResult::Reject(
                self.reject(kind, "reject_code", 554, "Access denied"),
                "reject: unconditional".into(),
            ),
            "defer" => ItemResult::Reject(
                self.reject(kind, "defer_code", 450, "Access denied"),
                "defer: unconditional".into(),
            ),
            "defer_if_permit" => {
                self.defer_if_permit = Some(kind);
                ItemResult::Dunno("a later permit becomes a 450 defer".into())
            }
            "defer_if_reject" => {
                self.defer_if_reject = true;
                ItemResult::Dunno("a later reject becomes a 450 defer".into())
            }
            "warn_if_reject" => {
                self.warn_if_reject = true;
                ItemResult::Dunno("the next reject is only logged".into())
            }
            "permit_mynetworks" => match self.mynetworks.matches(self.client.ip) {
                Match::Yes(net) => {
                    ItemResult::Permit(format!("{} is in mynetworks ({net})", self.client.ip))
                }
                Match::No => ItemResult::Dunno(format!("{} is not in mynetworks", self.client.ip)),
                Match::Unknown(what) => {
                    self.note(&format!("mynetworks has entries relaydoc cannot evaluate offline ({what}); assumed not to hold {}", self.client.ip));
                    ItemResult::Dunno(format!(
                        "{} is not in the mynetworks entries relaydoc can read",
                        self.client.ip
                    ))
                }
            },
            "permit_sasl_authenticated" => {
                if !s.flag("smtpd_sasl_auth_enable") {
                    ItemResult::Dunno(
                        "SASL is off here (smtpd_sasl_auth_enable = no), so nobody is signed in"
                            .into(),
                    )
                } else if self.authenticated {
                    ItemResult::Permit("the client signed in (SASL)".into())
                } else {
                    ItemResult::Dunno("the client did not sign in".into())
                }
            }
            "reject_unauth_destination"
            | "defer_unauth_destination"
            | "check_relay_domains"
            | "permit_auth_destination" => {
                let Some(domain) = domain_of(&to).map(str::to_owned) else {
                    return ItemResult::Dunno("the recipient has no domain: local".into());
                };
                let mut notes = Vec::new();
                let dest = destination(s, &domain, &mut notes);
                for note in notes {
                    self.note(&note);
                }
                match (item, dest) {
                    (_, Destination::Authorized(class))
                        if item == "permit_auth_destination" || item == "check_relay_domains" =>
                    {
                        ItemResult::Permit(format!("{domain} is a {class}"))
                    }
                    (_, Destination::Authorized(class)) => {
                        ItemResult::Dunno(format!("{domain} is a {class}: not relaying"))
                    }
                    ("permit_auth_destination", Destination::Unauthorized) => {
                        ItemResult::Dunno(format!("{domain} is not a domain of this server"))
                    }
                    (_, Destination::Unauthorized) => {
                        let code = s.number("relay_domains_reject_code", 554);
                        let (code, enhanced) = if item == "defer_unauth_destination" {
                            // defer_unauth_destination answers like reject_…, as a 4xx.
                            (if code >= 500 { code - 100 } else { code }, "4.7.1")
                        } else {
                            (code, if code >= 500 { "5.7.1" } else { "4.7.1" })
                        };
                        ItemResult::Reject(
                            Reply {
                                code,
                                enhanced: enhanced.into(),
                                text: format!("{}: Relay access denied", bracketed(&to)),
                            },
                            format!(
                                "{domain} is not in mydestination, virtual domains or relay_domains, and nothing before this permitted relaying"
                            ),
                        )
                    }
                }
            }
            "reject_non_fqdn_recipient"
            | "reject_non_fqdn_sender"
            | "reject_non_fqdn_helo_hostname"
            | "reject_non_fqdn_hostname" => {
                let (subject_kind, value, what) = match item {
                    "reject_non_fqdn_recipient" => (
                        Kind::Recipient,
                        domain_of(&to).unwrap_or("").to_owned(),
                        "address",
                    ),
                    "reject_non_fqdn_sender" => (
                        Kind::Sender,
                        domain_of(&self.client.from).unwrap_or("x.y").to_owned(),
                        "address",
                    ),
                    _ => (Kind::Helo, self.client.helo.clone(), "hostname"),
                };
                if value.trim_end_matches('.').contains('.') || value.starts_with('[') {
                    ItemResult::Dunno("fully qualified".into())
                } else {
                    let code = s.number("non_fqdn_reject_code", 504);
                    ItemResult::Reject(
                        Reply {
                            code,
                            enhanced: if code >= 500 { "5.5.2" } else { "4.5.2" }.into(),
                            text: format!(
                                "{}: {}: need fully-qualified {what}",
                                self.subject(subject_kind),
                                subject_kind.label()
                            ),
                        },
                        "not fully qualified".into(),
                    )
                }
            }
            "reject_unknown_client_hostname"
            | "reject_unknown_client"
            | "reject_unknown_reverse_client_hostname" => {
                if s.value("smtpd_peername_lookup")
                    .trim()
                    .eq_ignore_ascii_case("no")
                {
                    let code = s.number("unknown_client_reject_code", 450);
                    ItemResult::Reject(
                        Reply {
                            code,
                            enhanced: if code >= 500 { "5.7.25" } else { "4.7.25" }.into(),
                            text: format!(
                                "{}: Client host rejected: cannot find your hostname, [{}]",
                                self.subject(Kind::Client),
                                self.client.ip
                            ),
                        },
                        "smtpd_peername_lookup = no: every client's name is unknown".into(),
                    )
                } else {
                    self.note(&format!("{item} needs DNS: relaydoc assumes the client's address has a matching name"));
                    ItemResult::Dunno("approximation: assumed to have a name (no DNS here)".into())
                }
            }
            "reject_unknown_sender_domain"
            | "reject_unknown_recipient_domain"
            | "reject_unknown_helo_hostname"
            | "reject_unknown_hostname" => {
                self.note(&format!(
                    "{item} needs DNS: relaydoc assumes the name resolves"
                ));
                ItemResult::Dunno("approximation: assumed to resolve (no DNS here)".into())
            }
            "reject_invalid_helo_hostname" | "reject_invalid_hostname" => {
                let helo = &self.client.helo;
                let valid = !helo.is_empty()
                    && (helo.starts_with('[')
                        || helo.chars().all(|c| {
                            c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_'
                        }));
                if valid {
                    ItemResult::Dunno("valid syntax".into())
                } else {
                    let code = s.number("invalid_hostname_reject_code", 501);
                    ItemResult::Reject(
                        Reply {
                            code,
                            enhanced: "5.5.2".into(),
                            text: format!(
                                "{}: Helo command rejected: Invalid name",
                                self.subject(Kind::Helo)
                            ),
                        },
                        "invalid HELO name".into(),
                    )
                }
            }
            "reject_rbl_client"
            | "reject_rhsbl_client"
            | "reject_rhsbl_sender"
            | "reject_rhsbl_helo"
            | "reject_rhsbl_recipient"
            | "reject_rhsbl_reverse_client"
            | "permit_dnswl_client"
            | "permit_rhswl_client" => {
                self.note(&format!(
                    "{item} {}: DNS blacklists are not queried; assumed not listed",
                    arg.unwrap_or("")
                ));
                ItemResult::Dunno("approximation: assumed not listed".into())
            }
            "check_policy_service" => {
                self.note(&format!(
                    "check_policy_service {}: the policy server is not asked; assumed DUNNO",
                    arg.unwrap_or("")
                ));
                ItemResult::Dunno("approximation: policy server not asked".into())
            }
            "sleep"
            | "reject_unauth_pipelining"
            | "permit_tls_clientcerts"
            | "permit_tls_all_clientcerts"
            | "reject_multi_recipient_bounce"
            | "reject_sender_login_mismatch"
            | "reject_known_sender_login_mismatch"
            | "reject_unauthenticated_sender_login_mismatch"
            | "reject_authenticated_sender_login_mismatch"
            | "reject_unverified_recipient"
            | "reject_unverified_sender"
            | "reject_unlisted_recipient"
            | "reject_unlisted_sender"
            | "reject_unknown_recipient"
            | "reject_unauth_sender_login_mismatch"
            | "permit_mx_backup"
            | "reject_plaintext_session"
            | "permit_naked_ip_address"
            | "reject_non_fqdn_address" => {
                if item != "sleep" && item != "reject_unauth_pipelining" {
                    self.note(&format!("{item} is not modelled: assumed not to decide"));
                }
                ItemResult::Dunno("does not decide here".into())
            }
            _ if item.starts_with("check_") && item.ends_with("_access") => {
                let table = arg.unwrap_or_default();
                self.access(kind, param, item, table, depth)
            }
            // A bare table in a list is check_<list>_access on it.
            _ if item.contains(':') => {
                let implied = match kind {
                    Kind::Client => "check_client_access",
                    Kind::Helo => "check_helo_access",
                    Kind::Sender => "check_sender_access",
                    Kind::Relay | Kind::Recipient => "check_recipient_access",
                };
                self.access(kind, param, implied, item, depth)
            }
            _ if s
                .list("smtpd_restriction_classes")
                .iter()
                .any(|c| c == item) =>
            {
                if depth >= MAX_CLASS_DEPTH {
                    return ItemResult::ConfigError(
                        "restriction classes nested too deep (a loop?)".into(),
                    );
                }
                let items = s.list(item);
                ItemResult::Nested(self.eval_list(kind, item, &items, depth + 1))
            }
            _ => ItemResult::ConfigError(format!(
                "unknown restriction `{item}`: Postfix answers 451 4.3.5 Server configuration error"
            )),
        }
    }

    /// `check_*_access TABLE`: look the keys up in order; the first found decides.
    fn access(
        &mut self,
        kind: Kind,
        param: &str,
        item: &str,
        spec: &str,
        depth: usize,
    ) -> ItemResult {
        let table = Table::open(&self.settings.expand(spec));
        if let Some(note) = table.note() {
            self.note(&note);
        }
        let keys = match item {
            "check_client_access" => client_keys(self.client.ip),
            "check_recipient_access" => address_keys(&self.client.to),
            "check_sender_access" => {
                if self.client.from.is_empty() {
                    vec!["<>".to_owned()]
                } else {
                    address_keys(&self.client.from)
                }
            }
            "check_helo_access" => domain_keys(&self.client.helo),
            other => {
                self.note(&format!(
                    "{other} needs DNS or data relaydoc does not have: assumed DUNNO"
                ));
                return ItemResult::Dunno("approximation: not looked up".into());
            }
        };
        for key in &keys {
            match table.get(key) {
                Lookup::Found(value) => return self.access_action(kind, param, &value, key, depth),
                Lookup::NotFound => {}
                Lookup::Unknown(_) => {
                    return ItemResult::Dunno(format!(
                        "{} could not be read: assumed not found",
                        table.spec()
                    ));
                }
            }
        }
        ItemResult::Dunno(format!("no entry for {}", keys.join(", ")))
    }

    /// An access(5) action.
    fn access_action(
        &mut self,
        kind: Kind,
        param: &str,
        value: &str,
        key: &str,
        depth: usize,
    ) -> ItemResult {
        let value = value.trim();
        let (word, text) = value.split_once(char::is_whitespace).unwrap_or((value, ""));
        let text = text.trim();
        let upper = word.to_ascii_uppercase();
        let found = format!("{key} → {value}");
        let with_text = |default: &str| {
            if text.is_empty() {
                default.to_owned()
            } else {
                text.to_owned()
            }
        };
        match upper.as_str() {
            "OK" | "RELAY" => ItemResult::Permit(found),
            "DUNNO" => ItemResult::Dunno(found),
            "REJECT" => ItemResult::Reject(
                self.reject(
                    kind,
                    "access_map_reject_code",
                    554,
                    &with_text("Access denied"),
                ),
                found,
            ),
            "DEFER" => ItemResult::Reject(
                self.reject(
                    kind,
                    "access_map_defer_code",
                    450,
                    &with_text("Access denied"),
                ),
                found,
            ),
            "DEFER_IF_PERMIT" => {
                self.defer_if_permit = Some(kind);
                ItemResult::Dunno(found)
            }
            "DEFER_IF_REJECT" => {
                self.defer_if_reject = true;
                ItemResult::Dunno(found)
            }
            "HOLD" | "DISCARD" | "FILTER" | "REDIRECT" | "PREPEND" | "WARN" | "INFO" | "BCC"
            | "DELAY" => {
                self.note(&format!(
                    "access action {upper} does not decide the relay verdict here"
                ));
                ItemResult::Dunno(found)
            }
            _ if word.len() == 3
                && word.starts_with(['4', '5'])
                && word.chars().all(|c| c.is_ascii_digit()) =>
            {
                let code: u16 = word.parse().unwrap_or(554);
                let (enhanced, rest) = match text.split_once(' ') {
                    Some((dsn, rest))
                        if dsn.starts_with(['4', '5']) && dsn.matches('.').count() == 2 =>
                    {
                        (dsn.to_owned(), rest.to_owned())
                    }
                    _ => (format!("{}.7.1", &word[..1]), text.to_owned()),
                };
                ItemResult::Reject(
                    Reply {
                        code,
                        enhanced,
                        text: format!(
                            "{}: {}: {}",
                            self.subject(kind),
                            kind.label(),
                            if rest.is_empty() {
                                "Access denied".to_owned()
                            } else {
                                rest
                            }
                        ),
                    },
                    found,
                )
            }
            // Anything else is a restriction (or restriction class) to apply now.
            _ => {
                let items = crate::postfix::config::split_list(value);
                if depth >= MAX_CLASS_DEPTH {
                    return ItemResult::ConfigError("access actions nested too deep".into());
                }
                self.push(
                    param,
                    &found,
                    "dunno",
                    "the table names restrictions to apply",
                );
                ItemResult::Nested(self.eval_list(kind, param, &items, depth + 1))
            }
        }
    }
}

enum ItemResult {
    Permit(String),
    Dunno(String),
    Reject(Reply, String),
    Nested(ListResult),
    ConfigError(String),
}

/// Restrictions that count as a relay guard for smtpd's start-up check.
pub const RELAY_GUARDS: &[&str] = &[
    "reject_unauth_destination",
    "defer_unauth_destination",
    "reject",
    "defer",
    "defer_if_permit",
    "check_relay_domains",
];

/// smtpd's start-up check (seen in the matrix): smtpd_relay_restrictions or
/// smtpd_recipient_restrictions must hold a *working* guard. Rules after an unconditional
/// `permit` are ignored ("restriction `reject_unauth_destination' after `permit' is ignored"),
/// and a guard inside a restriction class counts. Without one, smtpd exits with a fatal error.
pub fn has_working_guard(settings: &Settings<'_>) -> bool {
    fn working(settings: &Settings<'_>, items: &[String], depth: usize) -> bool {
        let classes = settings.list("smtpd_restriction_classes");
        for item in items {
            if item == "permit" {
                return false;
            }
            if RELAY_GUARDS.contains(&item.as_str()) {
                return true;
            }
            if depth < MAX_CLASS_DEPTH
                && classes.iter().any(|c| c == item)
                && working(settings, &settings.list(item), depth + 1)
            {
                return true;
            }
        }
        false
    }
    ["smtpd_relay_restrictions", "smtpd_recipient_restrictions"]
        .iter()
        .filter(|p| settings.raw(p).is_some())
        .any(|p| working(settings, &settings.list(p), 0))
}

/// The effective TLS level: `smtpd_tls_security_level`, or the older `smtpd_enforce_tls` /
/// `smtpd_use_tls` switches when it is empty.
pub fn tls_level(settings: &Settings<'_>) -> String {
    let level = settings
        .value("smtpd_tls_security_level")
        .trim()
        .to_ascii_lowercase();
    if !level.is_empty() {
        return level;
    }
    if settings.flag("smtpd_enforce_tls") {
        "encrypt".into()
    } else if settings.flag("smtpd_use_tls") {
        "may".into()
    } else {
        "none".into()
    }
}

/// A restriction list as a person writes it: `, ` between restrictions, a space before a
/// restriction's argument (`reject_rbl_client zen.spamhaus.org`).
pub fn join_restrictions(items: &[String]) -> String {
    let mut out = String::new();
    let mut after_taker = false;
    for item in items {
        if !out.is_empty() {
            out.push_str(if after_taker { " " } else { ", " });
        }
        out.push_str(item);
        after_taker = !after_taker && takes_argument(item);
    }
    out
}

/// Restrictions that take the next list item as their argument.
fn takes_argument(item: &str) -> bool {
    (item.starts_with("check_") && (item.ends_with("_access") || item == "check_policy_service"))
        || matches!(
            item,
            "reject_rbl_client"
                | "reject_rhsbl_client"
                | "reject_rhsbl_sender"
                | "reject_rhsbl_helo"
                | "reject_rhsbl_recipient"
                | "reject_rhsbl_reverse_client"
                | "permit_dnswl_client"
                | "permit_rhswl_client"
                | "sleep"
        )
}

/// check_client_access keys for an address: itself, then its networks (1.2.3, 1.2, 1).
fn client_keys(ip: IpAddr) -> Vec<String> {
    let ip = crate::postfix::net::normalize(ip);
    let full = ip.to_string();
    let mut keys = vec![full.clone()];
    let sep = if ip.is_ipv4() { '.' } else { ':' };
    let mut rest = full.as_str();
    while let Some((head, _)) = rest.rsplit_once(sep) {
        if head.is_empty() {
            break;
        }
        keys.push(head.to_owned());
        rest = head;
    }
    keys
}

/// check_*_access keys for an address: user@domain, the domain and its parents, user@.
fn address_keys(address: &str) -> Vec<String> {
    let address = address.to_ascii_lowercase();
    let mut keys = vec![address.clone()];
    if let Some((local, domain)) = address.rsplit_once('@') {
        keys.extend(domain_keys(domain));
        keys.push(format!("{local}@"));
    }
    keys
}

/// A domain and its parent domains (as `parent_domain_matches_subdomains` does for access
/// maps, the default).
fn domain_keys(domain: &str) -> Vec<String> {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    let mut keys = vec![domain.clone()];
    let mut rest = domain.as_str();
    while let Some((_, parent)) = rest.split_once('.') {
        if parent.is_empty() {
            break;
        }
        keys.push(parent.to_owned());
        rest = parent;
    }
    keys
}

/// The verdict and walk as plain words.
pub fn render(sim: &Simulation) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let v = &sim.verdict;
    let headline = match v.outcome {
        Outcome::Accept => "ACCEPTED".to_owned(),
        Outcome::Reject => format!("REJECTED ({})", v.code),
        Outcome::Defer => format!("DEFERRED ({}, try again later)", v.code),
        Outcome::Error => "SERVER ERROR (Postfix cannot run this configuration)".to_owned(),
    };
    let _ = writeln!(out, "Verdict: {headline} at {}", v.stage.name());
    let _ = writeln!(out, "  reply: {}", v.reply);
    match &v.decided_by {
        Some(rule) => {
            let _ = writeln!(out, "  decided by: {} in {}", rule.rule, rule.parameter);
        }
        None => {
            let _ = writeln!(out, "  decided by: no rule rejected, so Postfix accepts");
        }
    }
    let _ = writeln!(
        out,
        "  Postfix {}{}, compatibility_level {}{}",
        sim.postfix_version,
        if sim.version_assumed {
            " (assumed)"
        } else {
            ""
        },
        sim.compatibility_level,
        sim.service
            .as_ref()
            .map(|s| format!(", service {s}"))
            .unwrap_or_default()
    );
    // Bounded for any input: a restriction list of thousands of entries is cut in print.
    const STEPS_PRINTED: usize = 200;
    const NOTES_PRINTED: usize = 20;
    let _ = writeln!(out, "\nRule by rule:");
    let mut last = String::new();
    for step in sim.steps.iter().take(STEPS_PRINTED) {
        if step.parameter != last {
            let _ = writeln!(out, "  {} (at {}):", step.parameter, step.stage.name());
            last.clone_from(&step.parameter);
        }
        let _ = writeln!(out, "    {:<7} {}  — {}", step.result, step.rule, step.why);
    }
    if sim.steps.len() > STEPS_PRINTED {
        let _ = writeln!(
            out,
            "  … {} more steps (--json lists them all)",
            sim.steps.len() - STEPS_PRINTED
        );
    }
    if !sim.approximations.is_empty() {
        let _ = writeln!(
            out,
            "\nApproximations (what relaydoc could not know offline):"
        );
        for note in sim.approximations.iter().take(NOTES_PRINTED) {
            let _ = writeln!(out, "  - {note}");
        }
        if sim.approximations.len() > NOTES_PRINTED {
            let _ = writeln!(
                out,
                "  … {} more (--json lists them all)",
                sim.approximations.len() - NOTES_PRINTED
            );
        }
    }
    crate::sanitize::for_terminal(&out)
}
