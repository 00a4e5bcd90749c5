//! Sending one plain-text message through the helpdesk's own SMTP server (`helpdesk.smtp` in
//! the config): how an agent e-mails a caller the fix steps.
//!
//! lettre's connection, driven step by step (connect, STARTTLS, AUTH, MAIL, RCPT, DATA) rather
//! than through its transport, so each failure says which step failed and how: "cannot
//! connect", "certificate not trusted", "authentication failed (535)", "recipient refused",
//! each with the server's reply made safe for the terminal. Every step has the configured
//! timeout. STARTTLS is required when configured, never opportunistic; the password is only
//! sent over TLS unless the config explicitly allows otherwise.
//!
//! [`send`] is synchronous (the CLI and the TUI's worker threads call it); [`send_async`] is
//! the same on the caller's tokio runtime.

use std::error::Error as _;
use std::future::Future;
use std::net::IpAddr;
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, Certificate, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use lettre::transport::smtp::response::Response;
use lettre::{Address, Message};

use crate::checks::smtp::tls::CertVerdict;
use crate::config::SmtpConfig;
use crate::sanitize;
use crate::vocab::Secret;
use crate::vocab::Security;

/// One message to a caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    /// The caller's address: `caller@example.org` or `Caller Name <caller@example.org>`.
    pub to: String,
    pub subject: String,
    /// Plain text (UTF-8); line endings are normalised and the encoding chosen for the server.
    pub body: String,
}

/// What the server said when it took the message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Delivered {
    /// `host:port` the message went through.
    pub server: String,
    /// The recipient's address as given to the server.
    pub to: String,
    /// The Message-ID header of the message sent, with its angle brackets.
    pub message_id: String,
    /// The server's final reply (e.g. `250 2.0.0 Ok: queued as 4F2…`), safe to print.
    pub reply: String,
    /// Whether the connection was encrypted (STARTTLS or TLS).
    pub encrypted: bool,
    /// Whether relaydoc logged in (SMTP AUTH).
    pub authenticated: bool,
}

/// Why a message was not sent. Messages name the server, the step and the server's reply;
/// they never contain the password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    #[error("`{to}` is not an e-mail address (like caller@example.org): {reason}")]
    BadRecipient { to: String, reason: String },
    #[error("helpdesk.smtp.from `{from}` is not a sender address: {reason}")]
    BadSender { from: String, reason: String },
    #[error("cannot build the message: {0}")]
    BadMessage(String),
    #[error(
        "helpdesk.smtp.username is set ({user}) but no password was given; set the environment \
         variable named by password_env, or store it with `relaydoc config set-password`"
    )]
    PasswordNeeded { user: String },
    #[error("helpdesk.smtp.ca_file: {0}")]
    CaFile(String),
    #[error("cannot connect to {server}: {reason}")]
    Connect { server: String, reason: String },
    #[error("{server} did not answer within {seconds} s ({step}); is it the right host and port?")]
    Timeout {
        server: String,
        step: &'static str,
        seconds: u64,
    },
    #[error(
        "the certificate of {server} is not trusted: {problem}; if the server uses a private \
         CA, set helpdesk.smtp.ca_file to that CA's certificate"
    )]
    Certificate { server: String, problem: String },
    #[error("TLS with {server} failed: {reason} (is `security` right for port {port}?)")]
    Tls {
        server: String,
        port: u16,
        reason: String,
    },
    #[error(
        "{server} does not offer STARTTLS, and security: starttls requires it (nothing was \
         sent); check the port, or use security: tls for port 465"
    )]
    NoStarttls { server: String },
    #[error("{server} refused the connection: {reply}")]
    Refused { server: String, reply: String },
    #[error(
        "{server} offers no login (AUTH PLAIN or LOGIN){hint}; check the port (587 or 465 for \
         sending), or remove helpdesk.smtp.username if the server needs no login"
    )]
    NoLogin { server: String, hint: &'static str },
    #[error(
        "authentication failed for {user} at {server} ({code}): {reply}; check the user name \
         and the password"
    )]
    AuthFailed {
        server: String,
        user: String,
        code: String,
        reply: String,
    },
    #[error("{server} refused the sender {from}: {reply}")]
    SenderRefused {
        server: String,
        from: String,
        reply: String,
    },
    #[error("{server} refused the recipient {to}: {reply}")]
    RecipientRefused {
        server: String,
        to: String,
        reply: String,
    },
    #[error("{server} refused the message: {reply}")]
    MessageRefused { server: String, reply: String },
    #[error("the conversation with {server} broke off ({step}): {reason}")]
    Protocol {
        server: String,
        step: &'static str,
        reason: String,
    },
}

impl MailError {
    /// A stable name for JSON output and tests.
    pub fn kind(&self) -> &'static str {
        match self {
            MailError::BadRecipient { .. } => "bad-recipient",
            MailError::BadSender { .. } => "bad-sender",
            MailError::BadMessage(_) => "bad-message",
            MailError::PasswordNeeded { .. } => "password-needed",
            MailError::CaFile(_) => "ca-file",
            MailError::Connect { .. } => "connect",
            MailError::Timeout { .. } => "timeout",
            MailError::Certificate { .. } => "certificate",
            MailError::Tls { .. } => "tls",
            MailError::NoStarttls { .. } => "no-starttls",
            MailError::Refused { .. } => "refused",
            MailError::NoLogin { .. } => "no-login",
            MailError::AuthFailed { .. } => "auth-failed",
            MailError::SenderRefused { .. } => "sender-refused",
            MailError::RecipientRefused { .. } => "recipient-refused",
            MailError::MessageRefused { .. } => "message-refused",
            MailError::Protocol { .. } => "protocol",
        }
    }

    /// True when the input (address, config, password) is at fault, not the server or network.
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            MailError::BadRecipient { .. }
                | MailError::BadSender { .. }
                | MailError::BadMessage(_)
                | MailError::PasswordNeeded { .. }
                | MailError::CaFile(_)
        )
    }
}

/// Sends `mail` through `smtp`, logging in with `password` when `smtp.username` is set.
///
/// Blocks until the server has taken the message or refused it. Safe to call from any thread,
/// also one that runs a tokio runtime (the work then happens on a short-lived thread of its own).
pub fn send(
    smtp: &SmtpConfig,
    password: Option<&Secret>,
    mail: &OutgoingMail,
) -> Result<Delivered, MailError> {
    crate::runtime::block_on_anywhere(send_async(smtp, password, mail)).unwrap_or_else(|reason| {
        Err(MailError::Protocol {
            server: smtp.server(),
            step: "start",
            reason: reason.to_string(),
        })
    })
}

/// [`send`] on the caller's tokio runtime.
pub async fn send_async(
    smtp: &SmtpConfig,
    password: Option<&Secret>,
    mail: &OutgoingMail,
) -> Result<Delivered, MailError> {
    let server = smtp.server();
    // Everything that can be wrong locally is found before any connection.
    let message = build_message(smtp, mail)?;
    let credentials = match &smtp.username {
        Some(user) => match password {
            Some(password) if !password.is_empty() => Some(Credentials::new(
                user.clone(),
                password.expose().to_string(),
            )),
            _ => return Err(MailError::PasswordNeeded { user: user.clone() }),
        },
        None => None,
    };
    if credentials.is_some() && smtp.security == Security::None && !smtp.allow_plaintext_auth {
        return Err(MailError::BadMessage(String::from(
            "refusing to send the password unencrypted (security: none); use starttls or tls, \
             or set allow_plaintext_auth: true",
        )));
    }
    let tls = match smtp.security {
        Security::None => None,
        Security::Starttls | Security::Tls => Some(tls_parameters(smtp)?),
    };
    let envelope = message.envelope().clone();
    let to = envelope
        .to()
        .first()
        .map(ToString::to_string)
        .unwrap_or_default();
    let message_id = message
        .headers()
        .get_raw("Message-ID")
        .unwrap_or_default()
        .to_string();
    let bytes = message.formatted();

    // What lettre sends for PLAIN and LOGIN, masked should a server echo it.
    let secrets = match (&smtp.username, password) {
        (Some(user), Some(password)) => sanitize::Secrets::for_login(user, password.expose()),
        _ => sanitize::Secrets::default(),
    };
    let session = Session {
        smtp,
        server: server.clone(),
        timeout: smtp.timeout,
        secrets,
    };
    let hello = ClientId::default();
    let implicit = if smtp.security == Security::Tls {
        tls.clone()
    } else {
        None
    };
    let mut connection = session
        .step(
            "connecting",
            AsyncSmtpConnection::connect_tokio1(
                (smtp.host.as_str(), smtp.port),
                Some(smtp.timeout),
                &hello,
                implicit,
                smtp.source_address,
            ),
            |error| session.connect_error(error),
        )
        .await?;

    let result = session
        .converse(&mut connection, tls, &hello, credentials, &envelope, &bytes)
        .await;
    match result {
        Ok(reply) => {
            // The message is taken; a failed QUIT changes nothing.
            let _ = tokio::time::timeout(smtp.timeout, connection.quit()).await;
            Ok(Delivered {
                server,
                to,
                message_id,
                reply,
                encrypted: connection.is_encrypted(),
                authenticated: smtp.username.is_some(),
            })
        }
        Err(error) => {
            // After a failed TLS handshake lettre has no stream left to say QUIT on (it
            // debug-panics if asked to); dropping the connection closes the socket.
            if !matches!(error, MailError::Certificate { .. } | MailError::Tls { .. }) {
                let _ = tokio::time::timeout(Duration::from_secs(2), connection.abort()).await;
            }
            Err(error)
        }
    }
}

/// The system's roots plus `ca_file`, checking names against the configured host.
fn tls_parameters(smtp: &SmtpConfig) -> Result<TlsParameters, MailError> {
    let mut builder = TlsParameters::builder(smtp.host.clone());
    if let Some(path) = &smtp.ca_file {
        for der in
            crate::checks::smtp::tls::load_ca_certificates(path).map_err(MailError::CaFile)?
        {
            let certificate = Certificate::from_der(der.to_vec())
                .map_err(|e| MailError::CaFile(format!("{}: {e}", path.display())))?;
            builder = builder.add_root_certificate(certificate);
        }
    }
    builder.build_rustls().map_err(|e| MailError::Tls {
        server: smtp.server(),
        port: smtp.port,
        reason: sanitize::single_line(&e.to_string()),
    })
}

fn build_message(smtp: &SmtpConfig, mail: &OutgoingMail) -> Result<Message, MailError> {
    let from: Mailbox = smtp.from.trim().parse().map_err(|e| MailError::BadSender {
        from: sanitize::single_line(&smtp.from),
        reason: format!("{e}"),
    })?;
    let to = recipient(&mail.to)?;
    // A subject is one line: a line break would start a new header.
    let subject = sanitize::single_line(&mail.subject);
    let message_id = message_id(from.email.domain());
    Message::builder()
        .from(from)
        .to(to)
        .subject(subject)
        .message_id(Some(message_id))
        .date_now()
        .user_agent(format!("relaydoc {}", env!("CARGO_PKG_VERSION")))
        .header(ContentType::TEXT_PLAIN)
        .body(mail.body.clone())
        .map_err(|e| MailError::BadMessage(e.to_string()))
}

/// The caller's address, checked: one mailbox, nothing that could smuggle a header or command.
fn recipient(to: &str) -> Result<Mailbox, MailError> {
    let bad = |reason: &str| MailError::BadRecipient {
        to: sanitize::single_line(to),
        reason: reason.to_string(),
    };
    let trimmed = to.trim();
    if trimmed.is_empty() {
        return Err(bad("it is empty"));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(bad("it contains a line break or control character"));
    }
    if trimmed.len() > 320 {
        return Err(bad("it is too long"));
    }
    let mailbox: Mailbox = trimmed.parse().map_err(|e| bad(&format!("{e}")))?;
    if !mailbox.email.domain().contains('.') && mailbox.email.domain().parse::<IpAddr>().is_err() {
        // `user@localhost`-style names never reach a caller; a missing `.com` is a typo.
        return Err(bad("the domain after @ has no dot (like example.org)"));
    }
    Ok(mailbox)
}

/// `<relaydoc.TIME.RANDOM@DOMAIN>`: the sender's domain, not this machine's name (which a
/// caller has no business seeing).
fn message_id(domain: &str) -> String {
    use std::hash::{BuildHasher, Hasher};
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    // RandomState is seeded randomly per process; mixing in the time and pid makes ids unique.
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(now.as_nanos());
    hasher.write_u32(std::process::id());
    format!(
        "<relaydoc.{}.{:016x}@{domain}>",
        now.as_secs(),
        hasher.finish()
    )
}

/// One conversation's fixed facts, for the steps and their error messages.
struct Session<'a> {
    smtp: &'a SmtpConfig,
    server: String,
    timeout: Duration,
    /// The password's forms, masked in every reply the server sends back.
    secrets: sanitize::Secrets,
}

type LettreError = lettre::transport::smtp::Error;

impl Session<'_> {
    /// Runs one step with the timeout; a lettre error becomes a [`MailError`] through `map`.
    async fn step<T>(
        &self,
        step: &'static str,
        future: impl Future<Output = Result<T, LettreError>>,
        map: impl FnOnce(LettreError) -> MailError,
    ) -> Result<T, MailError> {
        match tokio::time::timeout(self.timeout, future).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) if error.is_timeout() => Err(self.timed_out(step)),
            Ok(Err(error)) => Err(map(error)),
            Err(_) => Err(self.timed_out(step)),
        }
    }

    fn timed_out(&self, step: &'static str) -> MailError {
        MailError::Timeout {
            server: self.server.clone(),
            step,
            seconds: self.timeout.as_secs().max(1),
        }
    }

    /// After connect + greeting + EHLO: STARTTLS, AUTH, MAIL, RCPT, DATA. Returns the final
    /// reply, made safe.
    async fn converse(
        &self,
        connection: &mut AsyncSmtpConnection,
        tls: Option<TlsParameters>,
        hello: &ClientId,
        credentials: Option<Credentials>,
        envelope: &lettre::address::Envelope,
        bytes: &[u8],
    ) -> Result<String, MailError> {
        if self.smtp.security == Security::Starttls {
            if !connection
                .server_info()
                .supports_feature(Extension::StartTls)
            {
                return Err(MailError::NoStarttls {
                    server: self.server.clone(),
                });
            }
            let Some(parameters) = tls else {
                return Err(MailError::NoStarttls {
                    server: self.server.clone(),
                });
            };
            self.step(
                "STARTTLS",
                connection.starttls(parameters, hello),
                |error| self.tls_error(error, "STARTTLS"),
            )
            .await?;
        }

        if let Some(credentials) = credentials {
            let mechanisms = [Mechanism::Plain, Mechanism::Login];
            if connection
                .server_info()
                .get_auth_mechanism(&mechanisms)
                .is_none()
            {
                return Err(MailError::NoLogin {
                    server: self.server.clone(),
                    hint: if connection.is_encrypted() {
                        ""
                    } else {
                        " on this unencrypted connection"
                    },
                });
            }
            let user = self.smtp.username.clone().unwrap_or_default();
            self.step(
                "logging in",
                connection.auth(&mechanisms, &credentials),
                |error| match reply_of(&error, &self.secrets) {
                    Some((code, reply)) => MailError::AuthFailed {
                        server: self.server.clone(),
                        user: user.clone(),
                        code,
                        reply,
                    },
                    None => self.protocol(error, "logging in"),
                },
            )
            .await?;
        }

        let mut parameters = Vec::new();
        let non_ascii_address = envelope
            .from()
            .is_some_and(|a| !AsRef::<str>::as_ref(a).is_ascii())
            || envelope
                .to()
                .iter()
                .any(|a| !AsRef::<str>::as_ref(a).is_ascii());
        if non_ascii_address {
            if !connection
                .server_info()
                .supports_feature(Extension::SmtpUtfEight)
            {
                return Err(MailError::BadMessage(format!(
                    "{} does not accept addresses with non-ASCII characters (no SMTPUTF8)",
                    self.server
                )));
            }
            parameters.push(MailParameter::SmtpUtfEight);
        }
        if !bytes.is_ascii() {
            // lettre encodes bodies as 7-bit; only non-ASCII headers (addresses) get here.
            parameters.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        let from = envelope.from().cloned();
        let sender = from.as_ref().map(ToString::to_string).unwrap_or_default();
        self.step(
            "MAIL FROM",
            connection.command(Mail::new(from, parameters)),
            |error| match reply_of(&error, &self.secrets) {
                Some((code, reply)) => MailError::SenderRefused {
                    server: self.server.clone(),
                    from: sender.clone(),
                    reply: format!("{code} {reply}"),
                },
                None => self.protocol(error, "MAIL FROM"),
            },
        )
        .await?;
        for address in envelope.to() {
            self.step(
                "RCPT TO",
                connection.command(Rcpt::new(address.clone(), vec![])),
                |error| self.recipient_error(error, address),
            )
            .await?;
        }
        self.step("DATA", connection.command(Data), |error| {
            self.message_error(error, "DATA")
        })
        .await?;
        let reply = self
            .step("sending the message", connection.message(bytes), |error| {
                self.message_error(error, "sending the message")
            })
            .await?;
        Ok(shown_reply(&reply, &self.secrets))
    }

    fn recipient_error(&self, error: LettreError, address: &Address) -> MailError {
        match reply_of(&error, &self.secrets) {
            Some((code, reply)) => MailError::RecipientRefused {
                server: self.server.clone(),
                to: address.to_string(),
                reply: format!("{code} {reply}"),
            },
            None => self.protocol(error, "RCPT TO"),
        }
    }

    fn message_error(&self, error: LettreError, step: &'static str) -> MailError {
        match reply_of(&error, &self.secrets) {
            Some((code, reply)) => MailError::MessageRefused {
                server: self.server.clone(),
                reply: format!("{code} {reply}"),
            },
            None => self.protocol(error, step),
        }
    }

    /// Connect, greeting and EHLO (and the TLS handshake for implicit TLS) all fail here.
    fn connect_error(&self, error: LettreError) -> MailError {
        if let Some(tls) = rustls_error(&error) {
            return self.tls_failure(tls);
        }
        if let Some((code, reply)) = reply_of(&error, &self.secrets) {
            return MailError::Refused {
                server: self.server.clone(),
                reply: format!("{code} {reply}"),
            };
        }
        if error.is_response() {
            // Something answered, but not SMTP (e.g. TLS expected, or a different service).
            let hint = match self.smtp.security {
                Security::Tls => "",
                _ => " (if this port expects TLS from the start, e.g. 465, use security: tls)",
            };
            return MailError::Protocol {
                server: self.server.clone(),
                step: "greeting",
                reason: format!("{}{hint}", cause(&error, &self.secrets)),
            };
        }
        MailError::Connect {
            server: self.server.clone(),
            reason: cause(&error, &self.secrets),
        }
    }

    fn tls_error(&self, error: LettreError, step: &'static str) -> MailError {
        if let Some(tls) = rustls_error(&error) {
            return self.tls_failure(tls);
        }
        match reply_of(&error, &self.secrets) {
            Some((code, reply)) => MailError::Tls {
                server: self.server.clone(),
                port: self.smtp.port,
                reason: format!("{step} refused: {code} {reply}"),
            },
            None => MailError::Tls {
                server: self.server.clone(),
                port: self.smtp.port,
                reason: cause(&error, &self.secrets),
            },
        }
    }

    fn tls_failure(&self, error: &rustls::Error) -> MailError {
        match error {
            rustls::Error::InvalidCertificate(_) => MailError::Certificate {
                server: self.server.clone(),
                problem: CertVerdict::from_error(error).plain_words().to_string(),
            },
            other => MailError::Tls {
                server: self.server.clone(),
                port: self.smtp.port,
                reason: sanitize::single_line(&other.to_string()),
            },
        }
    }

    fn protocol(&self, error: LettreError, step: &'static str) -> MailError {
        MailError::Protocol {
            server: self.server.clone(),
            step,
            reason: cause(&error, &self.secrets),
        }
    }
}

/// The reply code and text of a refusal (4xx/5xx), made safe to print (secrets masked).
fn reply_of(error: &LettreError, secrets: &sanitize::Secrets) -> Option<(String, String)> {
    let code = error.status()?;
    let text = error.source().map(ToString::to_string).unwrap_or_default();
    Some((code.to_string(), limit(&secrets.clean_line(&text))))
}

fn shown_reply(response: &Response, secrets: &sanitize::Secrets) -> String {
    let text = response.message().collect::<Vec<_>>().join(" ");
    limit(&format!(
        "{} {}",
        response.code(),
        secrets.clean_line(&text)
    ))
}

/// Server text is shown, but not without end.
fn limit(text: &str) -> String {
    if text.chars().count() > 300 {
        format!("{}…", text.chars().take(300).collect::<String>())
    } else {
        text.to_string()
    }
}

/// The innermost useful reason of a lettre error ("Connection refused (os error 111)").
fn cause(error: &LettreError, secrets: &sanitize::Secrets) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        text = inner.to_string();
        source = inner.source();
    }
    limit(&secrets.clean_line(&text))
}

/// The rustls error inside a lettre error, if a TLS handshake failed. tokio-rustls wraps it in
/// an `io::Error`, whose `source()` skips it, so the io error is opened by hand.
fn rustls_error(error: &LettreError) -> Option<&rustls::Error> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = error.source();
    while let Some(inner) = source {
        if let Some(tls) = inner.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        if let Some(io) = inner.downcast_ref::<std::io::Error>()
            && let Some(tls) = io.get_ref().and_then(|e| e.downcast_ref::<rustls::Error>())
        {
            return Some(tls);
        }
        source = inner.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn smtp() -> SmtpConfig {
        SmtpConfig::new("127.0.0.1", "Example Helpdesk <helpdesk@example.com>")
    }

    fn mail(to: &str) -> OutgoingMail {
        OutgoingMail {
            to: to.to_string(),
            subject: String::from("Your mail settings"),
            body: String::from("Turn on \"My server requires authentication\".\nGrüße\n"),
        }
    }

    #[test]
    fn bad_recipients_are_refused_before_any_connection() {
        for to in [
            "",
            "not an address",
            "caller@",
            "a@b.c\r\nBcc: x@evil.example",
            "caller@localhost",
        ] {
            let error = build_message(&smtp(), &mail(to)).expect_err(to);
            assert_eq!(error.kind(), "bad-recipient", "{to:?}: {error}");
            assert!(error.is_bad_input());
            assert!(!error.to_string().contains('\n'));
        }
    }

    #[test]
    fn the_message_has_date_message_id_and_utf8_text() {
        let message = build_message(&smtp(), &mail("Caller <caller@example.org>")).expect("ok");
        let text = String::from_utf8(message.formatted()).expect("ascii");
        assert!(
            text.contains("From: \"Example Helpdesk\" <helpdesk@example.com>"),
            "{text}"
        );
        assert!(text.contains("To: Caller <caller@example.org>"), "{text}");
        assert!(text.contains("Subject: Your mail settings"), "{text}");
        assert!(text.contains("Date: "), "{text}");
        assert!(text.contains("Message-ID: <relaydoc."), "{text}");
        assert!(text.contains("@example.com>"), "{text}");
        assert!(text.contains("charset=utf-8"), "{text}");
        // Encoded for any server: the raw message is 7-bit.
        assert!(text.is_ascii());
    }

    #[test]
    fn a_subject_cannot_add_headers() {
        let mut hostile = mail("caller@example.org");
        hostile.subject = String::from("Hi\r\nBcc: victim@example.org");
        let message = build_message(&smtp(), &hostile).expect("ok");
        let text = String::from_utf8(message.formatted()).expect("ascii");
        assert!(!text.contains("\r\nBcc:"), "{text}");
    }

    #[test]
    fn a_login_needs_a_password() {
        let mut config = smtp();
        config.username = Some(String::from("helpdesk@example.com"));
        let error = send(&config, None, &mail("caller@example.org")).expect_err("no password");
        assert_eq!(error.kind(), "password-needed");
        assert!(error.to_string().contains("relaydoc config set-password"));
    }

    #[test]
    fn a_missing_ca_file_is_named() {
        let mut config = smtp();
        config.ca_file = Some(std::path::PathBuf::from("/nonexistent/relaydoc-ca.pem"));
        let error = send(&config, None, &mail("caller@example.org")).expect_err("no CA");
        assert_eq!(error.kind(), "ca-file");
        assert!(error.to_string().contains("/nonexistent/relaydoc-ca.pem"));
    }

    #[test]
    fn message_ids_differ() {
        assert_ne!(message_id("example.com"), message_id("example.com"));
    }

    #[test]
    fn send_works_from_inside_a_runtime_too() {
        // The address is refused before any connection, so this only proves no panic.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let error = runtime
            .block_on(async { send(&smtp(), None, &mail("nope")) })
            .expect_err("bad address");
        assert_eq!(error.kind(), "bad-recipient");
    }
}
