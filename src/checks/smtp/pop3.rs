//! A minimal POP3 login (RFC 1939, STLS from RFC 2595) for the POP-before-SMTP test: greeting,
//! STLS or implicit TLS, USER/PASS, QUIT. Same limits, transcript and masking as SMTP.

use std::time::Instant;

use serde::Serialize;

use super::conn::{CheckError, ErrorKind, Evidence, LineConn, Phase};
use super::session::{Endpoint, Options, Secret, Security};
use super::tls::{TlsInfo, TrustMode};

/// How a POP3 login went.
#[derive(Debug, Clone, Serialize)]
pub struct Pop3Outcome {
    pub address: String,
    pub security: Security,
    pub greeting: Option<String>,
    pub logged_in: bool,
    /// The server's answer to PASS (or to USER when it refused the user name).
    pub answer: Option<String>,
    pub tls: Option<TlsInfo>,
    pub error: Option<CheckError>,
    pub evidence: Evidence,
}

impl Pop3Outcome {
    pub fn summary(&self) -> String {
        match (&self.error, self.logged_in) {
            (Some(error), _) => format!("POP3 login could not run: {error}"),
            (None, true) => String::from("POP3 login succeeded"),
            (None, false) => format!(
                "POP3 login refused: {}",
                self.answer.as_deref().unwrap_or("")
            ),
        }
    }
}

/// One POP3 status line: `+OK …` or `-ERR …`.
fn parse_status(line: &str) -> Result<(bool, String), CheckError> {
    if let Some(rest) = line.strip_prefix("+OK") {
        return Ok((true, rest.trim().to_string()));
    }
    if let Some(rest) = line.strip_prefix("-ERR") {
        return Ok((false, rest.trim().to_string()));
    }
    Err(CheckError::new(
        Phase::Pop3,
        ErrorKind::Protocol,
        "the server's answer is not a POP3 status line (+OK or -ERR)",
    ))
}

async fn status(conn: &mut LineConn) -> Result<(bool, String), CheckError> {
    let since = Instant::now();
    let result = tokio::time::timeout(conn.limits.step_timeout, conn.read_line(Phase::Pop3)).await;
    conn.record_step(Phase::Pop3, since);
    match result {
        Ok(line) => parse_status(&line?),
        Err(_) => Err(conn.timeout(Phase::Pop3, "waiting for the POP3 answer")),
    }
}

async fn command(
    conn: &mut LineConn,
    line: &str,
    shown: Option<&str>,
) -> Result<(bool, String), CheckError> {
    conn.send_line(Phase::Pop3, line, shown).await?;
    status(conn).await
}

/// Logs in to POP3 at `endpoint` (security `starttls` = STLS on 110, `tls` = 995). The
/// certificate is checked strictly: a password follows.
pub async fn login(
    endpoint: &Endpoint,
    options: &Options,
    user: &str,
    password: &Secret,
) -> Pop3Outcome {
    let mut outcome = Pop3Outcome {
        address: endpoint.addr.to_string(),
        security: endpoint.security,
        greeting: None,
        logged_in: false,
        answer: None,
        tls: None,
        error: None,
        evidence: Evidence::default(),
    };
    let mut conn = match LineConn::connect(endpoint.addr, endpoint.local_ip, options.limits).await {
        Ok(conn) => conn,
        Err((mut error, evidence)) => {
            // The phase for the report is "pop3": this is the POP3 part of the check.
            error.message = format!("POP3 {}: {}", error.phase.as_str(), error.message);
            error.phase = Phase::Pop3;
            outcome.error = Some(error);
            outcome.evidence = evidence;
            return outcome;
        }
    };
    let result = dialogue(&mut conn, endpoint, options, user, password, &mut outcome).await;
    if let Err(error) = result {
        outcome.error = Some(error);
    } else {
        let _ = command(&mut conn, "QUIT", None).await;
    }
    conn.shutdown().await;
    outcome.tls = conn.tls.clone();
    outcome.evidence = conn.evidence;
    outcome
}

async fn dialogue(
    conn: &mut LineConn,
    endpoint: &Endpoint,
    options: &Options,
    user: &str,
    password: &Secret,
    outcome: &mut Pop3Outcome,
) -> Result<(), CheckError> {
    let pop3 = |mut e: CheckError| {
        if e.phase == Phase::Tls {
            e.message = format!("POP3 TLS: {}", e.message);
        }
        e
    };
    if endpoint.security == Security::Tls {
        conn.start_tls(&endpoint.host, &options.trust, TrustMode::Strict)
            .await
            .map_err(pop3)?;
    }
    let (ok, text) = status(conn).await?;
    outcome.greeting = Some(crate::sanitize::single_line(&text));
    if !ok {
        return Err(CheckError::new(
            Phase::Pop3,
            ErrorKind::Protocol,
            format!(
                "the POP3 server refused the connection: {}",
                outcome.greeting.as_deref().unwrap_or("")
            ),
        ));
    }
    if endpoint.security == Security::Starttls {
        let (ok, text) = command(conn, "STLS", None).await?;
        if !ok {
            return Err(CheckError::new(
                Phase::Pop3,
                ErrorKind::Refusal,
                format!(
                    "the POP3 server refused STLS ({}); relaydoc will not send a password unencrypted",
                    crate::sanitize::single_line(&text)
                ),
            ));
        }
        conn.start_tls(&endpoint.host, &options.trust, TrustMode::Strict)
            .await
            .map_err(pop3)?;
    }
    if endpoint.security == Security::None {
        return Err(CheckError::new(
            Phase::Pop3,
            ErrorKind::Refusal,
            "relaydoc logs in to POP3 only over TLS (STLS on 110 or TLS on 995)",
        ));
    }
    let (ok, text) = command(conn, &format!("USER {user}"), None).await?;
    if !ok {
        outcome.answer = Some(crate::sanitize::single_line(&text));
        return Ok(());
    }
    conn.secrets.add_secret(password.expose());
    let (ok, text) = command(
        conn,
        &format!("PASS {}", password.expose()),
        Some("PASS **** (password, masked)"),
    )
    .await?;
    outcome.logged_in = ok;
    outcome.answer = Some(crate::sanitize::single_line(&text));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines() {
        assert_eq!(
            parse_status("+OK Logged in.").ok(),
            Some((true, "Logged in.".to_string()))
        );
        assert_eq!(
            parse_status("-ERR [AUTH] Authentication failed.").ok(),
            Some((false, "[AUTH] Authentication failed.".to_string()))
        );
        assert!(parse_status("220 smtp").is_err());
    }
}
