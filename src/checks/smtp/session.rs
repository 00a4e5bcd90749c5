//! One SMTP dialogue: banner, EHLO (with HELO fallback), STARTTLS, AUTH (PLAIN, LOGIN,
//! CRAM-MD5), MAIL/RCPT/RSET/QUIT, on top of [`LineConn`]'s limits and transcript.

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Serialize;

use super::conn::{CheckError, ErrorKind, Evidence, Limits, LineConn, Phase};
use super::ehlo::Capabilities;
use super::reply::{Reply, ReplyBuilder, parse_line};
use super::signin::{OAuthError, oauthbearer_payload, xoauth2_payload};
use super::tls::{Trust, TrustMode};

pub use crate::vocab::{Secret, Security};

/// Where to connect: the name (for TLS and for people) and the socket address (resolved by
/// the caller, so tests and users choose exactly what is contacted).
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub host: String,
    pub addr: SocketAddr,
    pub security: Security,
    /// Source address to connect from (POP-before-SMTP authorises by source address).
    pub local_ip: Option<IpAddr>,
}

/// Settings every SMTP check shares.
#[derive(Debug, Clone)]
pub struct Options {
    pub limits: Limits,
    pub trust: Trust,
    /// The name relaydoc gives in EHLO/HELO.
    pub helo_name: String,
}

/// An SASL mechanism relaydoc can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
pub enum Mechanism {
    #[value(name = "PLAIN", alias = "plain")]
    #[serde(rename = "PLAIN")]
    Plain,
    #[value(name = "LOGIN", alias = "login")]
    #[serde(rename = "LOGIN")]
    Login,
    #[value(name = "CRAM-MD5", alias = "cram-md5")]
    #[serde(rename = "CRAM-MD5")]
    CramMd5,
    /// OAuth2 access token, Google's and Microsoft's mechanism (needs a token, not a password).
    #[value(name = "XOAUTH2", alias = "xoauth2")]
    #[serde(rename = "XOAUTH2")]
    XOAuth2,
    /// OAuth2 access token, RFC 7628 (needs a token, not a password).
    #[value(name = "OAUTHBEARER", alias = "oauthbearer")]
    #[serde(rename = "OAUTHBEARER")]
    OAuthBearer,
}

impl Mechanism {
    pub fn as_str(self) -> &'static str {
        match self {
            Mechanism::Plain => "PLAIN",
            Mechanism::Login => "LOGIN",
            Mechanism::CramMd5 => "CRAM-MD5",
            Mechanism::XOAuth2 => "XOAUTH2",
            Mechanism::OAuthBearer => "OAUTHBEARER",
        }
    }

    /// Whether the secret is an OAuth2 access token rather than a password.
    pub fn takes_token(self) -> bool {
        matches!(self, Mechanism::XOAuth2 | Mechanism::OAuthBearer)
    }

    /// The mechanism to use among those offered. Over TLS, PLAIN (what mail clients use);
    /// without TLS, CRAM-MD5 first, because it never sends the password itself.
    pub fn choose(offered: &[String], encrypted: bool) -> Option<Mechanism> {
        let order: &[Mechanism] = if encrypted {
            &[Mechanism::Plain, Mechanism::Login, Mechanism::CramMd5]
        } else {
            &[Mechanism::CramMd5, Mechanism::Plain, Mechanism::Login]
        };
        order
            .iter()
            .copied()
            .find(|m| offered.iter().any(|o| o.eq_ignore_ascii_case(m.as_str())))
    }
}

/// What EHLO (or the HELO fallback) established.
#[derive(Debug, Clone, Serialize)]
pub struct Greeting {
    /// "EHLO", or "HELO" when the server refused EHLO.
    pub verb: &'static str,
    pub reply: Reply,
    pub capabilities: Capabilities,
}

/// An SMTP dialogue in progress.
#[derive(Debug)]
pub struct Session {
    conn: LineConn,
    host: String,
    port: u16,
}

/// How an AUTH exchange ended.
#[derive(Debug, Clone)]
pub struct AuthOutcome {
    /// The final reply (235 success, 535 refused, …).
    pub reply: Reply,
    /// For XOAUTH2/OAUTHBEARER: what the server's JSON error continuation said.
    pub oauth_error: Option<OAuthError>,
}

impl Session {
    /// Connects (and for implicit TLS, handshakes) and reads the banner. The banner is
    /// returned whatever its code: a 421 or 554 greeting is evidence, not a failure to run.
    pub async fn open(
        endpoint: &Endpoint,
        options: &Options,
        mode: TrustMode,
    ) -> Result<(Session, Reply), (CheckError, Evidence)> {
        let conn = LineConn::connect(endpoint.addr, endpoint.local_ip, options.limits).await?;
        let mut session = Session {
            conn,
            host: endpoint.host.clone(),
            port: endpoint.addr.port(),
        };
        if endpoint.security == Security::Tls
            && let Err(error) = session
                .conn
                .start_tls(&endpoint.host, &options.trust, mode)
                .await
        {
            return Err((error, session.into_evidence()));
        }
        match session.read_reply(Phase::Banner).await {
            Ok(banner) => Ok((session, banner)),
            Err(error) => Err((error, session.into_evidence())),
        }
    }

    pub fn evidence(&self) -> &Evidence {
        &self.conn.evidence
    }

    pub fn into_evidence(self) -> Evidence {
        self.conn.evidence
    }

    pub fn tls(&self) -> Option<&super::tls::TlsInfo> {
        self.conn.tls.as_ref()
    }

    pub fn is_tls(&self) -> bool {
        self.conn.is_tls()
    }

    pub fn note(&mut self, text: &str) {
        self.conn.note(text);
    }

    /// Reads one complete reply within the step deadline and the reply-size limits.
    pub async fn read_reply(&mut self, phase: Phase) -> Result<Reply, CheckError> {
        let since = Instant::now();
        let deadline = self.conn.limits.step_timeout;
        let result = tokio::time::timeout(deadline, self.read_reply_unbounded(phase)).await;
        self.conn.record_step(phase, since);
        match result {
            Ok(reply) => reply,
            Err(_) => Err(self.conn.timeout(phase, "waiting for a complete reply")),
        }
    }

    async fn read_reply_unbounded(&mut self, phase: Phase) -> Result<Reply, CheckError> {
        let mut builder = ReplyBuilder::default();
        loop {
            let line = self.conn.read_line(phase).await?;
            let parsed = parse_line(&line).map_err(|e| protocol(phase, e.to_string()))?;
            if let Some(reply) = builder
                .push(parsed)
                .map_err(|e| protocol(phase, e.to_string()))?
            {
                return Ok(reply);
            }
            if builder.line_count() >= self.conn.limits.max_reply_lines {
                return Err(protocol(
                    phase,
                    format!(
                        "the reply went on for more than {} lines",
                        self.conn.limits.max_reply_lines
                    ),
                ));
            }
        }
    }

    /// Sends a command and reads its reply.
    pub async fn command(&mut self, phase: Phase, line: &str) -> Result<Reply, CheckError> {
        self.conn.send_line(phase, line, None).await?;
        self.read_reply(phase).await
    }

    /// Like [`Session::command`], with `shown` in the transcript instead of the line.
    async fn secret_command(
        &mut self,
        phase: Phase,
        line: &str,
        shown: &str,
    ) -> Result<Reply, CheckError> {
        self.conn.send_line(phase, line, Some(shown)).await?;
        self.read_reply(phase).await
    }

    /// EHLO, falling back to HELO when the server does not know EHLO (5xx).
    pub async fn greet(&mut self, name: &str) -> Result<Greeting, CheckError> {
        let reply = self.command(Phase::Ehlo, &format!("EHLO {name}")).await?;
        if reply.is_positive() {
            let capabilities = Capabilities::from_reply(&reply);
            return Ok(Greeting {
                verb: "EHLO",
                reply,
                capabilities,
            });
        }
        if reply.is_permanent() {
            let helo = self.command(Phase::Helo, &format!("HELO {name}")).await?;
            let capabilities = Capabilities {
                greeting: helo.lines.first().cloned().unwrap_or_default(),
                ..Capabilities::default()
            };
            return Ok(Greeting {
                verb: "HELO",
                reply: helo,
                capabilities,
            });
        }
        Ok(Greeting {
            verb: "EHLO",
            reply,
            capabilities: Capabilities::default(),
        })
    }

    /// Sends STARTTLS; on 220 performs the handshake. Returns the server's reply to STARTTLS
    /// (anything but 220 means no TLS, and the caller decides what that means).
    pub async fn starttls(&mut self, trust: &Trust, mode: TrustMode) -> Result<Reply, CheckError> {
        let reply = self.command(Phase::Starttls, "STARTTLS").await?;
        if reply.code == 220 {
            let host = self.host.clone();
            self.conn.start_tls(&host, trust, mode).await?;
        }
        Ok(reply)
    }

    /// Authenticates with `mechanism`; `password` is the access token for XOAUTH2 and
    /// OAUTHBEARER. Payloads never enter the transcript, and every form of the secret is
    /// masked in what the server sends back.
    pub async fn authenticate(
        &mut self,
        mechanism: Mechanism,
        user: &str,
        password: &Secret,
    ) -> Result<AuthOutcome, CheckError> {
        // Before anything is sent: a server may echo it in any reply from now on.
        self.conn.secrets.add_secret(password.expose());
        if mechanism.takes_token() {
            return self.authenticate_oauth(mechanism, user, password).await;
        }
        let reply = self.authenticate_sasl(mechanism, user, password).await?;
        Ok(AuthOutcome {
            reply,
            oauth_error: None,
        })
    }

    /// XOAUTH2 or OAUTHBEARER: the initial response, and on a 334 JSON error continuation
    /// the answer the specifications require, so the server sends its final refusal.
    async fn authenticate_oauth(
        &mut self,
        mechanism: Mechanism,
        user: &str,
        token: &Secret,
    ) -> Result<AuthOutcome, CheckError> {
        let (payload, finish) = if mechanism == Mechanism::OAuthBearer {
            let payload = oauthbearer_payload(user, &self.host, self.port, token.expose());
            // RFC 7628 §3.2.3: a single ^A ends a failed exchange.
            (payload, BASE64.encode("\x01"))
        } else {
            // Google's XOAUTH2: an empty response ends a failed exchange.
            (xoauth2_payload(user, token.expose()), String::new())
        };
        self.conn.secrets.add_payload(payload.as_bytes());
        let name = mechanism.as_str();
        let reply = self
            .secret_command(
                Phase::Auth,
                &format!("AUTH {name} {}", BASE64.encode(&payload)),
                &format!("AUTH {name} **** (user name and access token, masked)"),
            )
            .await?;
        if reply.code != 334 {
            return Ok(AuthOutcome {
                reply,
                oauth_error: None,
            });
        }
        let challenge = reply.lines.first().map(String::as_str).unwrap_or("");
        let oauth_error = OAuthError::from_challenge(challenge);
        self.note(&format!(
            "the server refused the token: {}",
            oauth_error.explanation
        ));
        let reply = self.command(Phase::Auth, &finish).await?;
        Ok(AuthOutcome {
            reply,
            oauth_error: Some(oauth_error),
        })
    }

    /// PLAIN, LOGIN or CRAM-MD5 with a password; the final reply.
    async fn authenticate_sasl(
        &mut self,
        mechanism: Mechanism,
        user: &str,
        password: &Secret,
    ) -> Result<Reply, CheckError> {
        match mechanism {
            Mechanism::XOAuth2 | Mechanism::OAuthBearer => Err(protocol(
                Phase::Auth,
                "an OAuth2 mechanism needs an access token, not a password",
            )),
            Mechanism::Plain => {
                let plain = format!("\0{user}\0{}", password.expose());
                self.conn.secrets.add_payload(plain.as_bytes());
                let payload = BASE64.encode(plain);
                self.secret_command(
                    Phase::Auth,
                    &format!("AUTH PLAIN {payload}"),
                    "AUTH PLAIN **** (user name and password, masked)",
                )
                .await
            }
            Mechanism::Login => {
                let first = self.command(Phase::Auth, "AUTH LOGIN").await?;
                if first.code != 334 {
                    return Ok(first);
                }
                self.conn.secrets.add_payload(user.as_bytes());
                let second = self
                    .secret_command(
                        Phase::Auth,
                        &BASE64.encode(user),
                        "**** (user name, masked)",
                    )
                    .await?;
                if second.code != 334 {
                    return Ok(second);
                }
                self.secret_command(
                    Phase::Auth,
                    &BASE64.encode(password.expose()),
                    "**** (password, masked)",
                )
                .await
            }
            Mechanism::CramMd5 => {
                let challenge = self.command(Phase::Auth, "AUTH CRAM-MD5").await?;
                if challenge.code != 334 {
                    return Ok(challenge);
                }
                let encoded = challenge.lines.first().map(String::as_str).unwrap_or("");
                let Ok(decoded) = BASE64.decode(encoded.trim()) else {
                    // Cancel the exchange (RFC 4954 §4) before reporting the broken challenge.
                    let _ = self.command(Phase::Auth, "*").await;
                    return Err(protocol(
                        Phase::Auth,
                        "the CRAM-MD5 challenge is not valid base64",
                    ));
                };
                let digest = cram_md5_digest(password.expose().as_bytes(), &decoded);
                let answer = format!("{user} {digest}");
                self.conn.secrets.add_payload(answer.as_bytes());
                let response = BASE64.encode(answer);
                self.secret_command(
                    Phase::Auth,
                    &response,
                    "**** (user name and CRAM-MD5 digest, masked)",
                )
                .await
            }
        }
    }

    /// QUIT, waiting briefly for the 221; a server that has already gone is fine.
    pub async fn quit(&mut self) {
        if self.conn.send_line(Phase::Quit, "QUIT", None).await.is_ok() {
            let _ = self.read_reply(Phase::Quit).await;
        }
        self.conn.shutdown().await;
    }
}

fn protocol(phase: Phase, message: impl Into<String>) -> CheckError {
    CheckError::new(phase, ErrorKind::Protocol, message)
}

/// HMAC-MD5 of the challenge keyed with the password, in lower-case hex (RFC 2195).
pub fn cram_md5_digest(password: &[u8], challenge: &[u8]) -> String {
    use hmac::{KeyInit, Mac};
    type HmacMd5 = hmac::Hmac<md5::Md5>;
    // HMAC accepts keys of any length, so this cannot fail; an empty digest would simply be
    // refused by the server.
    let Ok(mut mac) = <HmacMd5 as KeyInit>::new_from_slice(password) else {
        return String::new();
    };
    mac.update(challenge);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cram_md5_matches_rfc_2195_example() {
        let digest = cram_md5_digest(
            b"tanstaaftanstaaf",
            b"<1896.697170952@postoffice.reston.mci.net>",
        );
        assert_eq!(digest, "b913a602c7eda7a495b4e6e7334d3890");
    }

    #[test]
    fn mechanism_choice_prefers_cram_md5_without_tls() {
        let offered = vec![
            String::from("PLAIN"),
            String::from("LOGIN"),
            String::from("CRAM-MD5"),
        ];
        assert_eq!(Mechanism::choose(&offered, true), Some(Mechanism::Plain));
        assert_eq!(Mechanism::choose(&offered, false), Some(Mechanism::CramMd5));
        assert_eq!(Mechanism::choose(&[String::from("XOAUTH2")], true), None);
    }

    #[test]
    fn secrets_do_not_show_in_debug_output() {
        let secret = Secret::new(String::from("hunter2"));
        assert!(!format!("{secret:?}").contains("hunter2"));
    }
}
