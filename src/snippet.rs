//! Ready-to-paste configuration and code for senders set up in a file (scripts, websites,
//! servers): a guide's `snippet:` template filled with the provider's published settings.
//!
//! The template language is `knowledge::snippet` (`{host}`, `{port}`, …). The secret is never
//! a value: a snippet names where it comes from — an environment variable
//! ([`SECRET_ENV`]) or a file only its owner can read ([`SECRET_FILE`]) — and the person puts
//! it there. Without a known provider the server fields are example values, and
//! [`Filled::guessed`] says so.

use crate::knowledge::model::{Client, Snippet};
use crate::knowledge::raw::Security;
use crate::knowledge::snippet;
use crate::present::TargetSettings;
use crate::sanitize::for_terminal;

/// The environment variable every snippet reads the password from.
pub const SECRET_ENV: &str = "SMTP_PASSWORD";
/// The file snippets for unattended senders (cron, msmtp) read the password from.
pub const SECRET_FILE: &str = "~/.smtp-password";

/// A snippet filled for one provider and address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filled {
    pub language: String,
    pub file: String,
    pub text: String,
    pub run: Option<String>,
    /// The provider is not known: host, port and security are examples to replace.
    pub guessed: bool,
}

/// The client's snippet, filled; `None` when its guide has none.
pub fn for_client(client: &Client, target: &TargetSettings<'_>) -> Option<Filled> {
    client.snippet.as_ref().map(|s| fill(s, target))
}

/// Fills every placeholder of `template` from `target` (made safe for a terminal: the
/// template comes from knowledge files, which may be a user's own).
pub fn fill(template: &Snippet, target: &TargetSettings<'_>) -> Filled {
    let outgoing = target.outgoing();
    let (port, security) = outgoing.map_or((587, Security::Starttls), |endpoint| {
        (endpoint.port, endpoint.security)
    });
    let host = target
        .host()
        .unwrap_or_else(|| "smtp.example.com".to_string());
    let from = target
        .email
        .clone()
        .unwrap_or_else(|| "you@example.com".into());
    // The user name form (full address or the part before the @) is present's rule.
    let username = match &target.email {
        Some(_) => target.fill("{username}"),
        None => from.clone(),
    };
    let value = |name: &str| -> Option<String> {
        let python = |yes: bool| if yes { "True" } else { "False" }.to_string();
        let on_off = |yes: bool| if yes { "on" } else { "off" }.to_string();
        Some(match name {
            "host" => host.clone(),
            "port" => port.to_string(),
            "security" => match security {
                Security::None => "none",
                Security::Starttls => "starttls",
                Security::Tls => "tls",
            }
            .to_string(),
            "starttls" => (security == Security::Starttls).to_string(),
            "implicit_tls" => (security == Security::Tls).to_string(),
            "starttls_py" => python(security == Security::Starttls),
            "starttls_onoff" => on_off(security == Security::Starttls),
            "tls_onoff" => on_off(security != Security::None),
            "implicit_tls_yesno" => if security == Security::Tls {
                "yes"
            } else {
                "no"
            }
            .to_string(),
            "implicit_tls_py" => python(security == Security::Tls),
            "scheme" => if security == Security::Tls {
                "smtps"
            } else {
                "smtp"
            }
            .to_string(),
            "username" => username.clone(),
            "from" => from.clone(),
            "secret_env" => SECRET_ENV.to_string(),
            "secret_file" => SECRET_FILE.to_string(),
            _ => return None,
        })
    };
    Filled {
        language: for_terminal(&template.language),
        file: for_terminal(&template.file),
        text: for_terminal(&snippet::fill(&template.text, value)),
        run: template.run.as_deref().map(for_terminal),
        guessed: outgoing.is_none(),
    }
}
