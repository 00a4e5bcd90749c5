//! The closed vocabularies `explain` speaks: cause ids, sides and fact keys from DESIGN.md.
//!
//! These are contracts (scripts and the wizard read them), so signatures are checked against
//! them at load time rather than trusting whatever a knowledge file spells.

use serde::Serialize;

/// Where the mail was refused, from the point of view of the person asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Side {
    /// The person's own mail client, talking to its outgoing server.
    Client,
    /// The outgoing (submission) server of the sender.
    SenderMx,
    /// The server that receives mail for the recipient's domain.
    RecipientMx,
}

impl Side {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "client" => Some(Self::Client),
            "sender-mx" => Some(Self::SenderMx),
            "recipient-mx" => Some(Self::RecipientMx),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Client => "client",
            Self::SenderMx => "sender-mx",
            Self::RecipientMx => "recipient-mx",
        }
    }
}

/// The cause ids of DESIGN.md, each with the side it belongs to (`None` for `not-relay`).
pub const CAUSES: &[(&str, Option<Side>)] = &[
    ("client-auth-off", Some(Side::Client)),
    ("wrong-credentials", Some(Side::Client)),
    ("pop-before-smtp-expired", Some(Side::Client)),
    ("wrong-outgoing-server", Some(Side::Client)),
    ("auth-method-changed", Some(Side::Client)),
    ("tls-required-for-auth", Some(Side::Client)),
    ("client-ip-blacklisted", Some(Side::Client)),
    ("server-sasl-disabled", Some(Side::SenderMx)),
    ("relay-restrictions-misconfigured", Some(Side::SenderMx)),
    ("mynetworks-too-narrow", Some(Side::SenderMx)),
    ("auth-database-corrupt", Some(Side::SenderMx)),
    ("recipient-domain-not-local", Some(Side::RecipientMx)),
    ("recipient-mx-wrong", Some(Side::RecipientMx)),
    ("recipient-account-invalid", Some(Side::RecipientMx)),
    ("sender-verify-failed", Some(Side::RecipientMx)),
    ("sender-blacklisted", Some(Side::RecipientMx)),
    ("temporary-relay-deferral", Some(Side::RecipientMx)),
    (NOT_RELAY, None),
];

/// The cause that says "this is not a relay denial at all".
pub const NOT_RELAY: &str = "not-relay";

pub fn is_cause(id: &str) -> bool {
    CAUSES.iter().any(|(known, _)| *known == id)
}

/// The side a cause belongs to; `None` for `not-relay` and unknown ids.
pub fn side_of(cause: &str) -> Option<Side> {
    CAUSES
        .iter()
        .find(|(known, _)| *known == cause)
        .and_then(|(_, side)| *side)
}

/// Fact keys of DESIGN.md with their allowed values; `None` means free text.
pub const FACTS: &[(&str, Option<&[&str]>)] = &[
    ("error.text", None),
    (
        "error.where",
        Some(&["client", "bounce", "server-log", "unknown"]),
    ),
    ("client.id", None),
    ("client.smtp_auth", Some(&["on", "off", "unknown"])),
    ("client.server_host", None),
    ("client.port", None),
    (
        "client.security",
        Some(&["none", "starttls", "tls", "unknown"]),
    ),
    ("account.email", None),
    (
        "account.auth_scheme",
        Some(&["smtp-auth", "pop-before-smtp", "unknown"]),
    ),
    ("account.recently_changed", Some(YES_NO)),
    ("network.changes", Some(YES_NO)),
    ("webmail.works", Some(YES_NO)),
    ("receiving.works", Some(YES_NO)),
    ("sending.works_after_checking_mail", Some(YES_NO)),
    (
        "client.server_owner",
        Some(&["email-provider", "internet-provider", "old-host", "unknown"]),
    ),
    (
        "recipients.scope",
        Some(&["all-external", "some", "local-too", "unknown"]),
    ),
    ("users.affected", Some(&["one", "all", "unknown"])),
    (
        "server.software",
        Some(&[
            "postfix", "exim", "exchange", "qmail", "plesk", "cpanel", "other", "unknown",
        ]),
    ),
];

const YES_NO: &[&str] = &["yes", "no", "unknown"];

/// `Ok(())` when `key` is a known fact and `value` one it may take; else what is wrong.
pub fn check_fact(key: &str, value: &str) -> Result<(), String> {
    let Some((_, allowed)) = FACTS.iter().find(|(known, _)| *known == key) else {
        let known: Vec<&str> = FACTS.iter().map(|(k, _)| *k).collect();
        return Err(format!(
            "unknown fact key `{key}`; known keys: {}",
            known.join(", ")
        ));
    };
    match allowed {
        Some(values) if !values.contains(&value) => Err(format!(
            "fact `{key}` cannot be `{value}`; it takes one of: {}",
            values.join(", ")
        )),
        _ => Ok(()),
    }
}

/// Named regex groups a signature may use, and what `explain` does with each.
pub const CAPTURES: &[&str] = &[
    "recipient",
    "sender",
    "client_ip",
    "client_host",
    "helo",
    "host",
    "code",
    "enhanced",
    "stage",
    "text",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cause_but_not_relay_has_a_side() {
        for (id, side) in CAUSES {
            assert_eq!(side.is_none(), *id == NOT_RELAY, "{id}");
        }
    }

    #[test]
    fn facts_are_checked_by_key_and_value() {
        assert!(check_fact("server.software", "postfix").is_ok());
        assert!(check_fact("error.text", "anything").is_ok());
        assert!(check_fact("server.software", "sendmail").is_err());
        assert!(check_fact("server.flavour", "x").is_err());
    }
}
