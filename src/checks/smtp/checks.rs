//! The SMTP checks themselves: each drives one or more dialogues and turns what the server said
//! into facts, findings in plain words, and a status.

use std::collections::BTreeMap;

use serde::Serialize;

use super::conn::{CheckError, ErrorKind, Evidence, Phase};
use super::ehlo::Capabilities;
use super::pop3::{self, Pop3Outcome};
use super::reply::Reply;
use super::session::{Endpoint, Greeting, Mechanism, Options, Secret, Security, Session};
use super::signin::{OAuthError, Refusal};
use super::tls::{CertVerdict, TlsInfo, TrustMode};
use crate::checks::{CheckReport, Status};

/// Something a check found, in plain words, with the cause it points to when there is one.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub id: &'static str,
    /// `problem` counts against the check's status; `info` explains without blaming.
    pub severity: Severity,
    /// A cause id from DESIGN.md.
    pub cause: Option<&'static str>,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Problem,
    Info,
}

fn finding(id: &'static str, cause: Option<&'static str>, message: impl Into<String>) -> Finding {
    Finding {
        id,
        severity: Severity::Problem,
        cause,
        message: message.into(),
    }
}

/// A finding that explains a possible relay denial without being wrong in itself.
fn info(id: &'static str, cause: Option<&'static str>, message: impl Into<String>) -> Finding {
    Finding {
        severity: Severity::Info,
        ..finding(id, cause, message)
    }
}

/// The record of one SMTP connection, filled step by step.
#[derive(Debug, Clone, Serialize)]
pub struct Dialogue {
    pub host: String,
    pub address: String,
    pub port: u16,
    pub security: Security,
    pub banner: Option<Reply>,
    pub ehlo_before_tls: Option<Greeting>,
    pub starttls: Option<Reply>,
    pub ehlo_after_tls: Option<Greeting>,
    pub tls: Option<TlsInfo>,
    pub auth: Option<AuthAttempt>,
    pub mail: Option<Reply>,
    pub rcpt: Option<Reply>,
    pub error: Option<CheckError>,
    pub evidence: Evidence,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuthAttempt {
    pub mechanism: Mechanism,
    pub reply: Reply,
    /// What a refusal means, read from its text (absent when the login worked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<Refusal>,
    /// For OAuth2: the server's JSON error continuation, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oauth_error: Option<OAuthError>,
}

impl Dialogue {
    fn new(endpoint: &Endpoint) -> Dialogue {
        Dialogue {
            host: endpoint.host.clone(),
            address: endpoint.addr.to_string(),
            port: endpoint.addr.port(),
            security: endpoint.security,
            banner: None,
            ehlo_before_tls: None,
            starttls: None,
            ehlo_after_tls: None,
            tls: None,
            auth: None,
            mail: None,
            rcpt: None,
            error: None,
            evidence: Evidence::default(),
        }
    }

    /// The capabilities that count: after TLS when TLS is up, else the plain ones.
    fn capabilities(&self) -> Option<&Capabilities> {
        self.ehlo_after_tls
            .as_ref()
            .or(self.ehlo_before_tls.as_ref())
            .map(|g| &g.capabilities)
    }

    fn encrypted(&self) -> bool {
        self.tls.is_some()
    }

    /// Ends the dialogue politely and keeps its evidence.
    async fn close(&mut self, mut session: Session) {
        session.quit().await;
        self.tls = session.tls().cloned().or(self.tls.take());
        self.evidence = session.into_evidence();
    }

    fn fail(&mut self, error: CheckError, evidence: Evidence) {
        self.error = Some(error);
        self.evidence = evidence;
    }
}

/// Connects, reads the banner, EHLO, and (for `starttls`) STARTTLS and EHLO again when the
/// server offers it. Returns the open session, or `None` after recording the error.
async fn establish(
    dialogue: &mut Dialogue,
    endpoint: &Endpoint,
    options: &Options,
    mode: TrustMode,
) -> Option<Session> {
    let (mut session, banner) = match Session::open(endpoint, options, mode).await {
        Ok(opened) => opened,
        Err((mut error, evidence)) => {
            // A silent server on a plain connection is often an implicit-TLS port (465)
            // waiting for our TLS hello while we wait for its banner.
            if error.phase == Phase::Banner
                && error.kind == ErrorKind::Timeout
                && endpoint.security != Security::Tls
            {
                error.message.push_str(
                    "; a server that stays silent may expect TLS from the first byte \
                     (port 465): try --security tls",
                );
            }
            dialogue.fail(error, evidence);
            return None;
        }
    };
    let banner_ok = banner.code == 220;
    dialogue.tls = session.tls().cloned();
    dialogue.banner = Some(banner);
    if !banner_ok {
        // A 421/554 greeting means "go away": the answer itself is the finding.
        dialogue.close(session).await;
        return None;
    }
    let greeting = match session.greet(&options.helo_name).await {
        Ok(greeting) => greeting,
        Err(error) => {
            dialogue.fail(error, session.into_evidence());
            return None;
        }
    };
    let offers_starttls = greeting.capabilities.starttls;
    if endpoint.security == Security::Tls {
        dialogue.ehlo_after_tls = Some(greeting);
        return Some(session);
    }
    dialogue.ehlo_before_tls = Some(greeting);
    if endpoint.security == Security::None || !offers_starttls {
        return Some(session);
    }
    match session.starttls(&options.trust, mode).await {
        Ok(reply) => {
            let started = reply.code == 220;
            dialogue.starttls = Some(reply);
            if !started {
                return Some(session);
            }
        }
        Err(error) => {
            dialogue.tls = session.tls().cloned();
            dialogue.fail(error, session.into_evidence());
            return None;
        }
    }
    dialogue.tls = session.tls().cloned();
    match session.greet(&options.helo_name).await {
        Ok(greeting) => {
            dialogue.ehlo_after_tls = Some(greeting);
            Some(session)
        }
        Err(error) => {
            dialogue.fail(error, session.into_evidence());
            None
        }
    }
}

fn yes_no(value: bool) -> String {
    String::from(if value { "yes" } else { "no" })
}

/// Facts every dialogue yields: where, how, what was offered, what TLS showed.
fn dialogue_facts(dialogue: &Dialogue, facts: &mut BTreeMap<String, String>) {
    facts.insert("client.server_host".into(), dialogue.host.clone());
    facts.insert("client.port".into(), dialogue.port.to_string());
    facts.insert("client.security".into(), dialogue.security.as_str().into());
    let reachable = dialogue.banner.is_some();
    facts.insert("server.reachable".into(), yes_no(reachable));
    if let Some(banner) = &dialogue.banner {
        facts.insert("server.banner_code".into(), banner.code.to_string());
    }
    let before = dialogue.ehlo_before_tls.as_ref().map(|g| &g.capabilities);
    let after = dialogue.ehlo_after_tls.as_ref().map(|g| &g.capabilities);
    if let Some(before) = before {
        facts.insert("server.starttls_offered".into(), yes_no(before.starttls));
        facts.insert(
            "server.auth_before_tls".into(),
            yes_no(before.offers_auth()),
        );
    }
    if before.is_some() || after.is_some() {
        let auth_before = before.is_some_and(Capabilities::offers_auth);
        let auth_after = after.is_some_and(Capabilities::offers_auth);
        facts.insert(
            "server.auth_offered".into(),
            yes_no(auth_before || auth_after),
        );
        if before.is_some() && after.is_some() {
            facts.insert(
                "server.auth_only_after_tls".into(),
                yes_no(auth_after && !auth_before),
            );
        }
        if let Some(caps) = dialogue.capabilities().filter(|c| c.offers_auth()) {
            facts.insert("server.auth_mechanisms".into(), caps.auth.join(" "));
        }
    }
    if let Some(tls) = &dialogue.tls {
        facts.insert("tls.version".into(), tls.version.clone());
        facts.insert("tls.cipher".into(), tls.cipher.clone());
        facts.insert("tls.certificate".into(), tls.certificate.as_str().into());
        if let Some(days) = tls.days_to_expiry {
            facts.insert("tls.days_to_expiry".into(), days.to_string());
        }
    }
}

/// Findings about the connection itself (banner, TLS, AUTH availability).
fn connection_findings(dialogue: &Dialogue, findings: &mut Vec<Finding>) {
    if let Some(banner) = dialogue.banner.as_ref().filter(|b| b.code != 220) {
        findings.push(finding(
            "banner-refused",
            None,
            format!(
                "the server refused the connection at once: {}",
                banner.summary()
            ),
        ));
    }
    if let Some(tls) = &dialogue.tls {
        if tls.certificate != CertVerdict::Valid {
            findings.push(finding(
                "certificate",
                None,
                format!(
                    "{} (checked against {:?}); mail clients will refuse or warn",
                    tls.certificate.plain_words(),
                    tls.checked_name
                ),
            ));
        } else if let Some(days) = tls.days_to_expiry.filter(|d| *d < 14) {
            findings.push(finding(
                "certificate-expires-soon",
                None,
                format!("the server's certificate expires in {days} days"),
            ));
        }
    }
    if dialogue.security == Security::Starttls
        && let Some(before) = &dialogue.ehlo_before_tls
    {
        if !before.capabilities.starttls {
            findings.push(finding(
                "no-starttls",
                None,
                "the server does not offer STARTTLS: passwords would travel unencrypted",
            ));
        } else if let Some(reply) = dialogue.starttls.as_ref().filter(|r| r.code != 220) {
            findings.push(finding(
                "starttls-refused",
                None,
                format!("the server refused STARTTLS: {}", reply.summary()),
            ));
        }
    }
    let before = dialogue.ehlo_before_tls.as_ref().map(|g| &g.capabilities);
    let after = dialogue.ehlo_after_tls.as_ref().map(|g| &g.capabilities);
    let auth_before = before.is_some_and(Capabilities::offers_auth);
    let auth_after = after.is_some_and(Capabilities::offers_auth);
    if before.is_some() && after.is_some() && auth_after && !auth_before {
        findings.push(info(
            "auth-only-after-tls",
            Some("tls-required-for-auth"),
            "the server offers AUTH only after STARTTLS: a mail client set to no encryption \
             cannot log in, and then gets \"Relay access denied\"",
        ));
    }
    if (before.is_some() || after.is_some()) && !auth_before && !auth_after {
        let has_tls_left = before.is_some_and(|c| c.starttls) && after.is_none();
        findings.push(finding(
            "auth-not-offered",
            Some(if has_tls_left {
                "tls-required-for-auth"
            } else {
                "server-sasl-disabled"
            }),
            if has_tls_left {
                "the server offers no AUTH without encryption; it may offer it after STARTTLS"
            } else {
                "the server offers no AUTH at all: nobody can log in to send through it \
                 (fine for a pure MX, wrong for an outgoing server)"
            },
        ));
    }
}

fn error_details(dialogue: &Dialogue) -> Option<String> {
    dialogue.error.as_ref().map(ToString::to_string)
}

fn report(
    check: &str,
    status: Status,
    facts: BTreeMap<String, String>,
    details: serde_json::Value,
) -> CheckReport {
    CheckReport {
        check: check.to_string(),
        status,
        facts,
        details,
    }
}

fn to_json<T: Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

// ------------------------------------------------------------------ probe

#[derive(Debug, Serialize)]
struct ProbeDetails<'a> {
    summary: String,
    findings: &'a [Finding],
    error: Option<&'a CheckError>,
    dialogue: &'a Dialogue,
}

/// Probes one port: banner, EHLO, STARTTLS, EHLO again. Certificates are inspected, not
/// enforced (nothing secret is sent), so a bad certificate is a finding.
pub async fn probe_dialogue(endpoint: &Endpoint, options: &Options) -> Dialogue {
    let mut dialogue = Dialogue::new(endpoint);
    if let Some(session) = establish(&mut dialogue, endpoint, options, TrustMode::Inspect).await {
        dialogue.close(session).await;
    }
    dialogue
}

fn probe_status(dialogue: &Dialogue, findings: &[Finding]) -> Status {
    if dialogue.error.is_some() {
        Status::Error
    } else if findings.iter().all(|f| f.severity == Severity::Info) {
        Status::Ok
    } else {
        Status::Problem
    }
}

fn probe_summary(dialogue: &Dialogue, status: Status) -> String {
    match status {
        Status::Error => format!(
            "port {}: could not finish: {}",
            dialogue.port,
            error_details(dialogue).unwrap_or_default()
        ),
        Status::Ok => format!(
            "port {}: answers, {}, AUTH {}",
            dialogue.port,
            dialogue
                .tls
                .as_ref()
                .map_or(String::from("no TLS"), |t| format!(
                    "{} {}",
                    t.version, t.cipher
                )),
            dialogue
                .capabilities()
                .map(|c| c.auth.join(" "))
                .unwrap_or_default()
        ),
        Status::Problem => format!("port {}: answers, with problems", dialogue.port),
    }
}

/// `check smtp HOST --port N`.
pub async fn probe_check(endpoint: &Endpoint, options: &Options) -> CheckReport {
    let dialogue = probe_dialogue(endpoint, options).await;
    let mut findings = Vec::new();
    connection_findings(&dialogue, &mut findings);
    let status = probe_status(&dialogue, &findings);
    let mut facts = BTreeMap::new();
    dialogue_facts(&dialogue, &mut facts);
    let details = ProbeDetails {
        summary: probe_summary(&dialogue, status),
        findings: &findings,
        error: dialogue.error.as_ref(),
        dialogue: &dialogue,
    };
    report("smtp", status, facts, to_json(&details))
}

#[derive(Debug, Serialize)]
struct PortResult {
    port: u16,
    status: Status,
    summary: String,
    findings: Vec<Finding>,
    error: Option<CheckError>,
    dialogue: Dialogue,
}

/// `check smtp HOST` without a port: all `endpoints` (587, 465, 25) side by side; the facts
/// describe the best port (the first in the given order that is ok, else the first that
/// answered).
pub async fn probe_ports_check(endpoints: &[Endpoint], options: &Options) -> CheckReport {
    let probes = endpoints.iter().map(|e| probe_dialogue(e, options));
    let dialogues = futures_join_all(probes).await;
    let results: Vec<PortResult> = dialogues
        .into_iter()
        .map(|dialogue| {
            let mut findings = Vec::new();
            connection_findings(&dialogue, &mut findings);
            let status = probe_status(&dialogue, &findings);
            PortResult {
                port: dialogue.port,
                status,
                summary: probe_summary(&dialogue, status),
                findings,
                error: dialogue.error.clone(),
                dialogue,
            }
        })
        .collect();
    let best = results
        .iter()
        .find(|r| r.status == Status::Ok)
        .or_else(|| results.iter().find(|r| r.dialogue.banner.is_some()))
        .or(results.first());
    let mut facts = BTreeMap::new();
    if let Some(best) = best {
        dialogue_facts(&best.dialogue, &mut facts);
    }
    let open: Vec<String> = results
        .iter()
        .filter(|r| r.dialogue.banner.is_some())
        .map(|r| r.port.to_string())
        .collect();
    facts.insert("server.ports_open".into(), open.join(" "));
    let status = if results.iter().any(|r| r.status == Status::Ok) {
        Status::Ok
    } else if results.iter().all(|r| r.status == Status::Error) {
        Status::Error
    } else {
        Status::Problem
    };
    let details = serde_json::json!({
        "summary": results.iter().map(|r| r.summary.clone()).collect::<Vec<_>>(),
        "best_port": best.map(|b| b.port),
        "ports": to_json(&results),
    });
    report("smtp", status, facts, details)
}

/// Runs futures concurrently on the current task and keeps their order.
async fn futures_join_all<F: std::future::Future>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output> {
    let mut set = Vec::new();
    for future in futures {
        set.push(Box::pin(future));
    }
    let mut outputs: Vec<Option<F::Output>> = (0..set.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (index, future) in set.iter_mut().enumerate() {
            if outputs[index].is_some() {
                continue;
            }
            match future.as_mut().poll(cx) {
                std::task::Poll::Ready(output) => outputs[index] = Some(output),
                std::task::Poll::Pending => pending = true,
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

// ------------------------------------------------------------------ auth

/// `check auth`: log in with the user's credentials.
#[derive(Debug, Clone)]
pub struct AuthRequest {
    pub endpoint: Endpoint,
    pub user: String,
    pub password: Secret,
    /// A mechanism to insist on; otherwise the best one offered.
    pub mechanism: Option<Mechanism>,
    /// Allow AUTH on a connection without TLS.
    pub allow_plaintext: bool,
}

/// How an AUTH attempt ended: `auth.result`, a cause and words with the next step. The
/// reply text is read first ([`Refusal::read`]): a provider that refuses a right password by
/// design is not "wrong credentials". Otherwise the final reply code (RFC 4954 §6) decides.
fn auth_result(reply: &Reply) -> (&'static str, Option<&'static str>, String) {
    if reply.code != 235
        && let Some(reading) = Refusal::read(reply).reading(reply)
    {
        return reading;
    }
    let (result, cause, words) = auth_result_by_code(reply);
    (result, cause, words.to_owned())
}

fn auth_result_by_code(reply: &Reply) -> (&'static str, Option<&'static str>, &'static str) {
    match reply.code {
        235 => ("ok", None, "the server accepted the sign-in"),
        535 => (
            "other",
            None,
            "the server refused the sign-in (535) without saying why: the user name or \
             password may be wrong, or the account may not sign in with a password here \
             (ask the provider which sign-in it wants)",
        ),
        534 => (
            "mechanism-rejected",
            Some("auth-method-changed"),
            "the server refuses this login method (534): the account may need an app password \
             or a stronger method",
        ),
        530 => (
            "tls-required",
            Some("tls-required-for-auth"),
            "the server wants encryption before login (530): use STARTTLS on 587 or TLS on 465",
        ),
        538 => (
            "tls-required",
            Some("tls-required-for-auth"),
            "the server accepts this method only over an encrypted connection (538)",
        ),
        503 => (
            "not-enabled",
            Some("server-sasl-disabled"),
            "the server does not accept AUTH here (503): login is not enabled on this \
             connection, often until STARTTLS",
        ),
        504 => (
            "mechanism-rejected",
            None,
            "the server does not know this login method (504)",
        ),
        454 | 432 => (
            "temporary-failure",
            None,
            "the server could not check the password just now (temporary failure): try later; \
             if it persists the server's password database is broken",
        ),
        _ => ("other", None, "the server answered AUTH unexpectedly"),
    }
}

#[derive(Debug, Serialize)]
struct AuthDetails<'a> {
    summary: String,
    findings: &'a [Finding],
    error: Option<&'a CheckError>,
    dialogue: &'a Dialogue,
}

/// Performs AUTH on an established session, recording the attempt in the dialogue. Returns
/// `Err` (already recorded) when the check cannot go on.
async fn authenticate_in(
    dialogue: &mut Dialogue,
    session: &mut Session,
    user: &str,
    password: &Secret,
    mechanism: Option<Mechanism>,
    allow_plaintext: bool,
    findings: &mut Vec<Finding>,
) -> Result<bool, ()> {
    let offered = dialogue
        .capabilities()
        .map(|c| c.auth.clone())
        .unwrap_or_default();
    if !dialogue.encrypted() && !allow_plaintext {
        dialogue.error = Some(CheckError::new(
            Phase::Auth,
            ErrorKind::Refusal,
            "the connection is not encrypted; relaydoc will not send a password over it. \
             Anyone on the network path could read it. Use --allow-plaintext-auth only on a \
             network you trust, or test port 587 (STARTTLS) or 465 (TLS)",
        ));
        return Err(());
    }
    // A mechanism the user insists on is tried even when the server does not announce it:
    // that reproduces what a misconfigured mail client gets (503, 530, 504).
    let chosen = match mechanism {
        Some(wanted) => {
            if !offered
                .iter()
                .any(|o| o.eq_ignore_ascii_case(wanted.as_str()))
            {
                session.note(&format!(
                    "the server did not offer {}; trying it anyway, as a mail client set to it would",
                    wanted.as_str()
                ));
            }
            Some(wanted)
        }
        None => Mechanism::choose(&offered, dialogue.encrypted()).filter(|_| !offered.is_empty()),
    };
    let Some(chosen) = chosen else {
        // No AUTH on a plain connection that could be upgraded: the server keeps AUTH for
        // encrypted sessions (Postfix smtpd_tls_auth_only), which is a client-side fix.
        let tls_would_help = !dialogue.encrypted()
            && dialogue
                .ehlo_before_tls
                .as_ref()
                .is_some_and(|g| g.capabilities.starttls);
        let (cause, message) = if !offered.is_empty() {
            (
                None,
                format!(
                    "the server offers only {}, which relaydoc does not speak",
                    offered.join(" ")
                ),
            )
        } else if tls_would_help {
            (
                Some("tls-required-for-auth"),
                String::from(
                    "the server offers no AUTH without encryption: the mail client must use \
                     STARTTLS (or TLS on 465) to log in",
                ),
            )
        } else {
            (
                Some("server-sasl-disabled"),
                String::from(
                    "the server offers no AUTH on this connection: it cannot check a password here",
                ),
            )
        };
        findings.push(finding("auth-not-offered", cause, message));
        return Ok(false);
    };
    match session.authenticate(chosen, user, password).await {
        Ok(outcome) => {
            let reply = outcome.reply;
            let (_, cause, words) = auth_result(&reply);
            let accepted = reply.code == 235;
            if let Some(oauth) = &outcome.oauth_error {
                findings.push(finding(
                    "oauth-token-refused",
                    cause,
                    oauth.explanation.clone(),
                ));
            }
            if !accepted {
                findings.push(finding(
                    "auth-refused",
                    cause,
                    format!("{words}: {}", reply.summary()),
                ));
            }
            dialogue.auth = Some(AuthAttempt {
                mechanism: chosen,
                refusal: (!accepted).then(|| Refusal::read(&reply)),
                oauth_error: outcome.oauth_error,
                reply,
            });
            Ok(accepted)
        }
        Err(error) => {
            dialogue.error = Some(error);
            Err(())
        }
    }
}

fn auth_facts(dialogue: &Dialogue, facts: &mut BTreeMap<String, String>) {
    match &dialogue.auth {
        Some(attempt) => {
            facts.insert(
                "auth.result".into(),
                auth_result(&attempt.reply).0.to_string(),
            );
            facts.insert("auth.mechanism".into(), attempt.mechanism.as_str().into());
            if let Some(refusal) = attempt.refusal {
                facts.insert("auth.refusal".into(), refusal.as_str().into());
            }
            facts.insert("auth.code".into(), attempt.reply.code.to_string());
        }
        None if dialogue.error.is_none()
            && dialogue.capabilities().is_some_and(|c| !c.offers_auth()) =>
        {
            facts.insert("auth.result".into(), "not-offered".into());
        }
        None => {}
    }
}

/// `check auth HOST --user U`.
pub async fn auth_check(request: &AuthRequest, options: &Options) -> CheckReport {
    let endpoint = &request.endpoint;
    let mut dialogue = Dialogue::new(endpoint);
    let mut findings = Vec::new();
    // Strict: a password is about to be sent, so a bad certificate stops the check.
    if let Some(mut session) = establish(&mut dialogue, endpoint, options, TrustMode::Strict).await
    {
        let _ = authenticate_in(
            &mut dialogue,
            &mut session,
            &request.user,
            &request.password,
            request.mechanism,
            request.allow_plaintext,
            &mut findings,
        )
        .await;
        if dialogue.error.is_some() {
            dialogue.evidence = session.into_evidence();
        } else {
            dialogue.close(session).await;
        }
    }
    connection_findings(&dialogue, &mut findings);
    let mut facts = BTreeMap::new();
    dialogue_facts(&dialogue, &mut facts);
    auth_facts(&dialogue, &mut facts);
    let status = if dialogue.error.is_some() {
        Status::Error
    } else if dialogue.auth.as_ref().is_some_and(|a| a.reply.code == 235) {
        Status::Ok
    } else {
        Status::Problem
    };
    let summary = match (&dialogue.error, &dialogue.auth) {
        (Some(error), _) => format!("could not test the login: {error}"),
        (None, Some(attempt)) => format!(
            "AUTH {}: {} ({})",
            attempt.mechanism.as_str(),
            auth_result(&attempt.reply).2,
            attempt.reply.summary()
        ),
        (None, None) => String::from("the login could not be tried"),
    };
    let details = AuthDetails {
        summary,
        findings: &findings,
        error: dialogue.error.as_ref(),
        dialogue: &dialogue,
    };
    report("auth", status, facts, to_json(&details))
}

// ------------------------------------------------------------------ relay

/// `check relay`: MAIL FROM / RCPT TO to an outside address, without and (with a user) with
/// AUTH; stops after RCPT with RSET and QUIT, so nothing is ever sent.
#[derive(Debug, Clone)]
pub struct RelayRequest {
    pub endpoint: Endpoint,
    pub from: String,
    pub to: String,
    /// User name and password for the authenticated attempt.
    pub credentials: Option<(String, Secret)>,
    pub mechanism: Option<Mechanism>,
    pub allow_plaintext: bool,
    /// Skip the attempt without login (when credentials are given): one connection instead
    /// of two, for someone who already knows the unauthenticated answer.
    pub login_only: bool,
}

/// What RCPT TO said about relaying.
fn relay_verdict(dialogue: &Dialogue) -> &'static str {
    match (&dialogue.mail, &dialogue.rcpt) {
        (Some(mail), _) if !mail.is_positive() => "refused-at-mail",
        (_, Some(rcpt)) if rcpt.is_positive() => "accepted",
        (_, Some(rcpt)) if rcpt.code == 554 => "rejected-554",
        (_, Some(rcpt)) if rcpt.code == 454 => "deferred-454",
        (_, Some(rcpt)) if rcpt.is_transient() => "deferred-other",
        (_, Some(_)) => "rejected-other",
        _ => "not-tested",
    }
}

/// One relay attempt on a fresh connection.
async fn relay_attempt(
    request: &RelayRequest,
    options: &Options,
    authenticate: bool,
    findings: &mut Vec<Finding>,
) -> Dialogue {
    let endpoint = &request.endpoint;
    let mut dialogue = Dialogue::new(endpoint);
    let mode = if authenticate {
        TrustMode::Strict
    } else {
        TrustMode::Inspect
    };
    let Some(mut session) = establish(&mut dialogue, endpoint, options, mode).await else {
        return dialogue;
    };
    if authenticate && let Some((user, password)) = &request.credentials {
        match authenticate_in(
            &mut dialogue,
            &mut session,
            user,
            password,
            request.mechanism,
            request.allow_plaintext,
            findings,
        )
        .await
        {
            Ok(true) => {}
            Ok(false) => {
                dialogue.close(session).await;
                return dialogue;
            }
            Err(()) => {
                dialogue.evidence = session.into_evidence();
                return dialogue;
            }
        }
    }
    let steps: [(Phase, String); 2] = [
        (Phase::Mail, format!("MAIL FROM:<{}>", request.from)),
        (Phase::Rcpt, format!("RCPT TO:<{}>", request.to)),
    ];
    for (phase, line) in steps {
        match session.command(phase, &line).await {
            Ok(reply) => {
                let positive = reply.is_positive();
                if phase == Phase::Mail {
                    dialogue.mail = Some(reply);
                } else {
                    dialogue.rcpt = Some(reply);
                }
                if !positive {
                    break;
                }
            }
            Err(error) => {
                dialogue.fail(error, session.into_evidence());
                return dialogue;
            }
        }
    }
    // RSET undoes the transaction; the reply does not matter.
    let _ = session.command(Phase::Rset, "RSET").await;
    dialogue.close(session).await;
    dialogue
}

fn relay_words(verdict: &str, rcpt: Option<&Reply>) -> String {
    let said = rcpt.map(Reply::summary).unwrap_or_default();
    match verdict {
        "accepted" => format!("the server accepted the outside recipient ({said})"),
        "rejected-554" => format!(
            "refused for good: {said}. Postfix sends 554 5.7.1 from reject_unauth_destination: \
             the client is neither logged in (AUTH) nor in mynetworks"
        ),
        "deferred-454" => format!(
            "refused for now: {said}. 454 4.7.1 is Postfix's built-in default since 2.10 \
             (defer_unauth_destination) or soft_bounce: the client would retry, but it will \
             not succeed until it logs in"
        ),
        "refused-at-mail" => String::from("the server refused MAIL FROM already"),
        "not-tested" => String::from("not tested"),
        _ => format!("refused: {said}"),
    }
}

#[derive(Debug, Serialize)]
struct RelayDetails<'a> {
    summary: Vec<String>,
    findings: &'a [Finding],
    error: Option<&'a CheckError>,
    unauthenticated: &'a Dialogue,
    authenticated: Option<&'a Dialogue>,
}

/// `check relay HOST --from A --to B [--user U]`.
pub async fn relay_check(request: &RelayRequest, options: &Options) -> CheckReport {
    let mut findings = Vec::new();
    let plain = if request.login_only && request.credentials.is_some() {
        Dialogue::new(&request.endpoint)
    } else {
        relay_attempt(request, options, false, &mut findings).await
    };
    let authed = if request.credentials.is_some() && plain.error.is_none() {
        Some(relay_attempt(request, options, true, &mut findings).await)
    } else {
        None
    };
    connection_findings(authed.as_ref().unwrap_or(&plain), &mut findings);
    let mut facts = BTreeMap::new();
    dialogue_facts(authed.as_ref().unwrap_or(&plain), &mut facts);
    let plain_verdict = relay_verdict(&plain);
    facts.insert("relay.unauthenticated".into(), plain_verdict.into());
    let mut summary = vec![format!(
        "without login: {}",
        relay_words(plain_verdict, plain.rcpt.as_ref())
    )];
    let mut last_code = plain.rcpt.as_ref().map(|r| r.code);
    let mut status = Status::Ok;
    match plain_verdict {
        "accepted" => {
            findings.push(finding(
                "open-relay",
                None,
                "the server relays for a client that did not log in: it is an open relay for \
                 this address, or this address is in its trusted networks (mynetworks)",
            ));
            status = Status::Problem;
        }
        "rejected-554" | "deferred-454" if authed.is_none() => {
            // The user's error, reproduced: that is the finding this check exists for.
            status = Status::Problem;
            findings.push(finding(
                "relay-needs-login",
                Some(if plain_verdict == "deferred-454" {
                    "temporary-relay-deferral"
                } else {
                    "client-auth-off"
                }),
                "this is the \"Relay access denied\" a client gets when it does not log in; \
                 run again with --user to prove that logging in fixes it",
            ));
        }
        _ => {}
    }
    if let Some(authed) = &authed {
        let verdict = relay_verdict(authed);
        facts.insert("relay.authenticated".into(), verdict.into());
        auth_facts(authed, &mut facts);
        last_code = authed.rcpt.as_ref().map(|r| r.code).or(last_code);
        if authed.error.is_some() {
            status = Status::Error;
        } else if authed.auth.as_ref().is_some_and(|a| a.reply.code == 235) {
            summary.push(format!(
                "with login: {}",
                relay_words(verdict, authed.rcpt.as_ref())
            ));
            if verdict == "accepted" {
                if plain_verdict != "accepted" {
                    findings.push(info(
                        "login-fixes-relay",
                        Some("client-auth-off"),
                        "logging in fixes it: turn on \"outgoing server requires \
                         authentication\" in the mail client",
                    ));
                }
            } else {
                findings.push(finding(
                    "relay-denied-after-login",
                    Some("relay-restrictions-misconfigured"),
                    "even after a successful login the server refuses to relay: its relay \
                     rules do not honour logins (Postfix: permit_sasl_authenticated missing \
                     from smtpd_relay_restrictions, or placed after reject_unauth_destination)",
                ));
                status = Status::Problem;
            }
        } else {
            summary.push(String::from("with login: the login itself did not succeed"));
            status = Status::Problem;
        }
    } else {
        facts.insert("relay.authenticated".into(), "not-tested".into());
    }
    if let Some(code) = last_code {
        facts.insert("relay.code".into(), code.to_string());
    }
    if plain.error.is_some() {
        status = Status::Error;
    }
    let error = plain
        .error
        .as_ref()
        .or(authed.as_ref().and_then(|a| a.error.as_ref()));
    if let Some(error) = error {
        summary.push(format!("could not finish: {error}"));
    }
    let details = RelayDetails {
        summary,
        findings: &findings,
        error,
        unauthenticated: &plain,
        authenticated: authed.as_ref(),
    };
    report("relay", status, facts, to_json(&details))
}

// ------------------------------------------------------------------ POP-before-SMTP

/// `check pop-before-smtp`: relay test, POP3 login, relay test again.
#[derive(Debug, Clone)]
pub struct PopBeforeSmtpRequest {
    pub relay: RelayRequest,
    /// The POP3 server (port 110 with STLS, or 995 with TLS).
    pub pop3: Endpoint,
    pub user: String,
    pub password: Secret,
}

#[derive(Debug, Serialize)]
struct PopDetails<'a> {
    summary: Vec<String>,
    findings: &'a [Finding],
    error: Option<&'a CheckError>,
    before: &'a Dialogue,
    pop3: Option<&'a Pop3Outcome>,
    after: Option<&'a Dialogue>,
}

pub async fn pop_before_smtp_check(
    request: &PopBeforeSmtpRequest,
    options: &Options,
) -> CheckReport {
    let mut findings = Vec::new();
    let plain_relay = RelayRequest {
        credentials: None,
        ..request.relay.clone()
    };
    let before = relay_attempt(&plain_relay, options, false, &mut findings).await;
    let before_verdict = relay_verdict(&before);
    let mut facts = BTreeMap::new();
    dialogue_facts(&before, &mut facts);
    facts.insert("relay.unauthenticated".into(), before_verdict.into());
    let mut summary = vec![format!(
        "before the POP3 login: {}",
        relay_words(before_verdict, before.rcpt.as_ref())
    )];
    let mut pop = None;
    let mut after = None;
    let mut error = before.error.clone();
    if error.is_none() {
        let outcome = pop3::login(&request.pop3, options, &request.user, &request.password).await;
        facts.insert(
            "pop3.login".into(),
            String::from(if outcome.logged_in { "ok" } else { "failed" }),
        );
        summary.push(outcome.summary());
        error = outcome.error.clone();
        if outcome.logged_in {
            let again = relay_attempt(&plain_relay, options, false, &mut findings).await;
            error = again.error.clone();
            after = Some(again);
        } else if outcome.error.is_none() {
            findings.push(finding(
                "pop3-login-failed",
                Some("wrong-credentials"),
                "the POP3 login failed, so POP-before-SMTP could not be tested",
            ));
        }
        pop = Some(outcome);
    }
    let mut status = Status::Problem;
    if let Some(after) = &after {
        let verdict = relay_verdict(after);
        facts.insert("relay.after_pop3".into(), verdict.into());
        summary.push(format!(
            "right after the POP3 login: {}",
            relay_words(verdict, after.rcpt.as_ref())
        ));
        let pop_before_smtp = match (before_verdict, verdict) {
            ("accepted", _) => "unknown",
            (_, "accepted") => "yes",
            _ => "no",
        };
        facts.insert("pop_before_smtp".into(), pop_before_smtp.into());
        if pop_before_smtp == "yes" {
            facts.insert("account.auth_scheme".into(), "pop-before-smtp".into());
            findings.push(info(
                "pop-before-smtp",
                Some("pop-before-smtp-expired"),
                "the server lets this address send for a while after a POP3 login \
                 (POP-before-SMTP). A phone or laptop that changes its address, or waits too \
                 long after checking mail, gets \"Relay access denied\"; SMTP AUTH avoids it",
            ));
        }
        if verdict == "accepted" {
            status = Status::Ok;
        }
    }
    if error.is_some() {
        status = Status::Error;
    }
    let details = PopDetails {
        summary,
        findings: &findings,
        error: error.as_ref(),
        before: &before,
        pop3: pop.as_ref(),
        after: after.as_ref(),
    };
    report("pop-before-smtp", status, facts, to_json(&details))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::smtp::reply::parse_reply;

    #[test]
    fn auth_replies_are_explained_and_mapped_to_causes() {
        let cases = [
            ("235 2.7.0 Authentication successful", "ok", None),
            (
                "535 5.7.8 Error: authentication failed",
                "failed",
                Some("wrong-credentials"),
            ),
            (
                "534 5.7.9 Please log in with your web browser",
                "mechanism-rejected",
                Some("auth-method-changed"),
            ),
            (
                "530 5.7.0 Must issue a STARTTLS command first",
                "tls-required",
                Some("tls-required-for-auth"),
            ),
            (
                "538 5.7.11 Encryption required",
                "tls-required",
                Some("tls-required-for-auth"),
            ),
            (
                "503 5.5.1 Error: authentication not enabled",
                "not-enabled",
                Some("server-sasl-disabled"),
            ),
            (
                "504 5.5.4 Unrecognized authentication type",
                "mechanism-rejected",
                None,
            ),
            (
                "454 4.7.0 Temporary authentication failure",
                "temporary-failure",
                None,
            ),
            ("500 5.5.2 what", "other", None),
        ];
        for (text, result, cause) in cases {
            let reply = parse_reply(text).expect("reply");
            let (got_result, got_cause, words) = auth_result(&reply);
            assert_eq!((got_result, got_cause), (result, cause), "{text}");
            assert!(!words.is_empty());
        }
    }

    #[test]
    fn relay_verdicts_follow_the_rcpt_reply() {
        let endpoint = Endpoint {
            host: String::from("mx"),
            addr: std::net::SocketAddr::from(([127, 0, 0, 1], 25)),
            security: Security::None,
            local_ip: None,
        };
        let mut dialogue = Dialogue::new(&endpoint);
        assert_eq!(relay_verdict(&dialogue), "not-tested");
        dialogue.mail = parse_reply("250 2.1.0 Ok").ok();
        for (rcpt, verdict) in [
            ("250 2.1.5 Ok", "accepted"),
            (
                "554 5.7.1 <x@example.org>: Relay access denied",
                "rejected-554",
            ),
            (
                "454 4.7.1 <x@example.org>: Relay access denied",
                "deferred-454",
            ),
            ("450 4.2.0 greylisted", "deferred-other"),
            ("550 5.7.1 relay not permitted", "rejected-other"),
        ] {
            dialogue.rcpt = parse_reply(rcpt).ok();
            assert_eq!(relay_verdict(&dialogue), verdict, "{rcpt}");
        }
        dialogue.mail = parse_reply("530 5.7.0 Must issue a STARTTLS command first").ok();
        assert_eq!(relay_verdict(&dialogue), "refused-at-mail");
    }
}
