//! The small vocabularies `explain` speaks: sides, the `not-relay` id, and the named captures a
//! signature may use. Cause ids and fact keys come from the knowledge (causes.yaml,
//! facts.yaml), so signatures are checked against the same lists as the tree.

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

    /// The knowledge model's side; `none` (not a relay problem) has no side here.
    pub fn from_model(side: crate::knowledge::model::Side) -> Option<Self> {
        use crate::knowledge::model::Side as Model;
        match side {
            Model::Client => Some(Self::Client),
            Model::SenderMx => Some(Self::SenderMx),
            Model::RecipientMx => Some(Self::RecipientMx),
            Model::None => None,
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

/// The cause that says "this is not a relay denial at all".
pub const NOT_RELAY: &str = "not-relay";

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
