//! Reading Microsoft's Autodiscover v2 answer: is this mailbox at Microsoft 365?
//!
//! Autodiscover v2 is a JSON endpoint, `…/autodiscover/autodiscover.json/v1.0/ADDRESS?Protocol=P`,
//! answering `{"Protocol": P, "Url": URL}`: the address of one Exchange service for that
//! mailbox, or an error body (`{"ErrorCode": …, "ErrorMessage": …}`). It does not hand out
//! SMTP, IMAP or POP settings at all ("there is no way to obtain MAPI, IMAP or SMTP information
//! in Autodiscover V2", https://docs.grommunio.com/kb/autodiscover.html; `Protocol=IMAP` is not
//! accepted). What it does tell is where the mailbox lives: asked with `Protocol=ActiveSync`,
//! Microsoft's endpoint answers a service URL at `outlook.office365.com` for a Microsoft 365
//! mailbox, and an error otherwise. Microsoft's own sample uses
//! `https://outlook.office365.com/autodiscover/autodiscover.json/v1.0/USER?Protocol=...`
//! (github.com/David-Barrett-MS/PowerShell, Miscellaneous/Get-AutoDiscover.ps1); the
//! ActiveSync probe is described in a mail client's design notes that checked it against a
//! live tenant. So relaydoc reads the answer as "hosted at Microsoft 365, or not", and takes
//! Microsoft 365's published settings from the catalogue.

use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Answer {
    #[serde(rename = "Protocol", default)]
    protocol: Option<String>,
    #[serde(rename = "Url", default)]
    url: Option<String>,
    #[serde(rename = "ErrorCode", default)]
    error_code: Option<String>,
    #[serde(rename = "ErrorMessage", default)]
    error_message: Option<String>,
}

/// What an Autodiscover v2 answer says about the mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The service is at Microsoft 365 (the URL's host).
    Microsoft365(String),
    /// The service is on another Exchange server (its host): no SMTP settings follow from it.
    OtherExchange(String),
    /// An error answer: not a mailbox this endpoint knows. The message, if any.
    NotKnown(Option<String>),
}

/// Reads an answer body. `Err` when it is not Autodiscover's JSON at all.
pub fn parse(bytes: &[u8]) -> Result<Verdict, String> {
    let answer: Answer = serde_json::from_slice(bytes).map_err(|error| {
        format!(
            "the answer is not Autodiscover's JSON ({})",
            crate::sanitize::excerpt(&error.to_string(), 120)
        )
    })?;
    if answer.error_code.is_some() || answer.error_message.is_some() {
        return Ok(Verdict::NotKnown(
            answer.error_message.or(answer.error_code),
        ));
    }
    let (Some(_), Some(url)) = (answer.protocol, answer.url) else {
        return Err("the answer names no service URL".to_owned());
    };
    let host = url
        .parse::<ureq::http::Uri>()
        .ok()
        .filter(|uri| uri.scheme_str() == Some("https"))
        .and_then(|uri| uri.host().map(str::to_ascii_lowercase))
        .filter(|host| super::autoconfig::is_host_name(host))
        .ok_or_else(|| "the service URL in the answer is not an https address".to_owned())?;
    if host == "outlook.office365.com" || host.ends_with(".office365.com") {
        Ok(Verdict::Microsoft365(host))
    } else {
        Ok(Verdict::OtherExchange(host))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read() {
        assert_eq!(
            parse(br#"{"Protocol":"ActiveSync","Url":"https://outlook.office365.com/Microsoft-Server-ActiveSync"}"#),
            Ok(Verdict::Microsoft365("outlook.office365.com".into()))
        );
        assert_eq!(
            parse(br#"{"Protocol":"ActiveSync","Url":"https://mail.example.com/Microsoft-Server-ActiveSync"}"#),
            Ok(Verdict::OtherExchange("mail.example.com".into()))
        );
        assert_eq!(
            parse(br#"{"ErrorCode":"InternalServerError","ErrorMessage":"Failed to resolve"}"#),
            Ok(Verdict::NotKnown(Some("Failed to resolve".into())))
        );
        assert!(parse(b"<html>").is_err());
        assert!(parse(br#"{"Protocol":"ActiveSync","Url":"javascript:alert(1)"}"#).is_err());
    }
}
