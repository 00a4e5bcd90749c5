//! `check send`: after our own AUTH test has succeeded, one short test message through lettre.
//! Opt-in only: it is the one check that really delivers something.

use std::collections::BTreeMap;
use std::path::PathBuf;

use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::Serialize;

use super::checks::{AuthRequest, auth_check};
use super::conn::{CheckError, ErrorKind, Phase};
use super::session::{Options, Security};
use crate::checks::{CheckReport, Status};

#[derive(Debug, Clone)]
pub struct SendRequest {
    pub auth: AuthRequest,
    pub from: String,
    pub to: String,
    /// The private CA to trust (the same file the AUTH test used), or the system roots.
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug, Serialize)]
struct SendDetails {
    summary: String,
    error: Option<CheckError>,
    server_reply: Option<String>,
    auth: serde_json::Value,
}

fn send_error(message: impl Into<String>) -> CheckError {
    CheckError::new(Phase::Send, ErrorKind::Network, message)
}

/// Builds lettre's transport for the request's endpoint: the socket address's IP as the
/// server (no name lookup), the host name for certificate checks.
fn transport(
    request: &SendRequest,
    options: &Options,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, CheckError> {
    let endpoint = &request.auth.endpoint;
    let mut tls = TlsParameters::builder(endpoint.host.clone());
    if let Some(path) = &request.ca_file {
        let input = |message: String| CheckError::new(Phase::Send, ErrorKind::Input, message);
        tls = tls.certificate_store(CertificateStore::None);
        for der in super::tls::load_ca_certificates(path).map_err(input)? {
            let certificate =
                Certificate::from_der(der.to_vec()).map_err(|e| input(e.to_string()))?;
            tls = tls.add_root_certificate(certificate);
        }
    }
    let parameters = tls
        .build_rustls()
        .map_err(|e| CheckError::new(Phase::Tls, ErrorKind::Tls, e.to_string()))?;
    let tls = match endpoint.security {
        Security::Tls => Tls::Wrapper(parameters),
        Security::Starttls => Tls::Required(parameters),
        Security::None => Tls::None,
    };
    let credentials = Credentials::new(
        request.auth.user.clone(),
        request.auth.password.expose().to_string(),
    );
    Ok(
        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(endpoint.addr.ip().to_string())
            .port(endpoint.addr.port())
            .tls(tls)
            .credentials(credentials)
            .hello_name(lettre::transport::smtp::extension::ClientId::Domain(
                options.helo_name.clone(),
            ))
            .timeout(Some(options.limits.step_timeout))
            .build(),
    )
}

/// `check send`: AUTH test first (typed reasons when the login fails), then the message.
pub async fn send_check(request: &SendRequest, options: &Options) -> CheckReport {
    let auth = auth_check(&request.auth, options).await;
    let mut facts = auth.facts.clone();
    if auth.status != Status::Ok {
        let summary = String::from("not sent: the login test did not succeed (see auth)");
        return report(auth.status, facts, summary, None, None, auth.details);
    }
    let message = Message::builder()
        .from(match request.from.parse() {
            Ok(mailbox) => mailbox,
            Err(e) => {
                return input_error(
                    facts,
                    format!("--from {:?}: {e}", request.from),
                    auth.details,
                );
            }
        })
        .to(match request.to.parse() {
            Ok(mailbox) => mailbox,
            Err(e) => {
                return input_error(facts, format!("--to {:?}: {e}", request.to), auth.details);
            }
        })
        .subject("relaydoc test message")
        .header(ContentType::TEXT_PLAIN)
        .body(String::from(
            "This is a test message sent by relaydoc to prove that sending works.\r\n",
        ));
    let message = match message {
        Ok(message) => message,
        Err(e) => return input_error(facts, e.to_string(), auth.details),
    };
    let transport = match transport(request, options) {
        Ok(transport) => transport,
        Err(error) => {
            return report(
                Status::Error,
                facts,
                error.to_string(),
                Some(error),
                None,
                auth.details,
            );
        }
    };
    // lettre signs in again with PLAIN or LOGIN: a server may echo any form of the password.
    let secrets =
        crate::sanitize::Secrets::for_login(&request.auth.user, request.auth.password.expose());
    let shown = |text: &str| secrets.clean_line(text);
    match transport.send(message).await {
        Ok(response) => {
            let reply = format!(
                "{} {}",
                response.code(),
                shown(&response.message().collect::<Vec<_>>().join(" "))
            );
            facts.insert("send.result".into(), "sent".into());
            report(
                Status::Ok,
                facts,
                format!("sent one test message to {}: {reply}", request.to),
                None,
                Some(reply),
                auth.details,
            )
        }
        Err(error) if error.status().is_some() => {
            // The server answered with a refusal: a finding.
            facts.insert("send.result".into(), "refused".into());
            let text = shown(&error.to_string());
            report(
                Status::Problem,
                facts,
                format!("the server refused the message: {text}"),
                None,
                Some(text),
                auth.details,
            )
        }
        Err(error) => {
            let error = if error.is_timeout() {
                CheckError::new(Phase::Send, ErrorKind::Timeout, shown(&error.to_string()))
            } else {
                send_error(shown(&error.to_string()))
            };
            report(
                Status::Error,
                facts,
                error.to_string(),
                Some(error),
                None,
                auth.details,
            )
        }
    }
}

fn input_error(
    facts: BTreeMap<String, String>,
    message: String,
    auth: serde_json::Value,
) -> CheckReport {
    let error = CheckError::new(Phase::Send, ErrorKind::Input, message);
    report(
        Status::Error,
        facts,
        error.to_string(),
        Some(error),
        None,
        auth,
    )
}

fn report(
    status: Status,
    facts: BTreeMap<String, String>,
    summary: String,
    error: Option<CheckError>,
    server_reply: Option<String>,
    auth: serde_json::Value,
) -> CheckReport {
    let details = SendDetails {
        summary,
        error,
        server_reply,
        auth,
    };
    CheckReport {
        check: String::from("send"),
        status,
        facts,
        details: serde_json::to_value(&details).unwrap_or(serde_json::Value::Null),
    }
}
