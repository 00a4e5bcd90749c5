//! Stage one of loading: the YAML files as written, before any meaning is checked.
//!
//! Every struct rejects unknown fields, so a misspelt key is an error with its position rather
//! than a silently ignored setting. Identifiers and references are `Spanned` so that later
//! checks (dangling reference, unknown cause…) can point at the exact line and column.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_saphyr::Spanned;

/// `knowledge/facts.yaml`: the fact keys the wizard knows, and the values each may take.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactsFile {
    pub facts: Vec<RawFact>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFact {
    pub key: Spanned<String>,
    /// Allowed values; absent for free text (a host name, an address). Choice-valued facts
    /// always accept `unknown` as well.
    #[serde(default)]
    pub values: Option<Vec<String>>,
    /// `clients` means: the allowed values are the ids of the known mail clients.
    #[serde(default)]
    pub values_from: Option<Spanned<String>>,
    pub about: String,
    /// `program`: relaydoc sets this fact itself (e.g. `session.mode`); no node asks for it.
    #[serde(default)]
    pub set_by: Option<Spanned<String>>,
}

/// `knowledge/causes.yaml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CausesFile {
    pub causes: Vec<RawCause>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCause {
    pub id: Spanned<String>,
    pub side: Spanned<String>,
    pub title: String,
    pub summary: String,
    pub explanation: String,
    #[serde(default)]
    pub signs: Vec<String>,
    #[serde(default)]
    pub sources: Vec<String>,
    /// How common this cause is among people who meet the error, before anything is known:
    /// `common`, `usual`, `occasional` or `rare`.
    #[serde(default)]
    pub prior: Option<Spanned<String>>,
    /// What supports this cause, what speaks against it and what rules it out.
    #[serde(default)]
    pub evidence: Vec<RawEvidence>,
    /// The one thing a person can try that shows whether this is the cause, for when the
    /// evidence runs out with several causes still possible.
    #[serde(default)]
    pub tell_apart: Option<String>,
}

/// One piece of evidence about a cause: when these facts hold, it counts with this strength.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEvidence {
    /// Fact key → the value (or any of the values) it must have; all must hold.
    pub when: Spanned<BTreeMap<String, OneOrMany>>,
    /// `strong`, `moderate`, `weak` (for), `against`, `strongly-against`, or `rules-out`.
    pub weight: Spanned<String>,
    /// One sentence in plain words, addressed to the person ("You said …").
    pub why: String,
}

/// `knowledge/tree/*.yaml`: nodes of the decision tree.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreeFile {
    pub nodes: Vec<RawNode>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RawKind {
    Question,
    Input,
    Decide,
    Check,
    Solution,
    Handoff,
}

/// One node, all kinds in one flat shape: which fields a kind needs is checked in stage two,
/// with messages that name the node and the field (serde's own tagged-enum errors do not).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNode {
    pub id: Spanned<String>,
    pub kind: Spanned<RawKind>,
    /// Short label: breadcrumbs, search results, solution headline.
    #[serde(default)]
    pub title: Option<String>,
    /// The question as the user reads it, or the body of a solution or hand-off.
    #[serde(default)]
    pub text: Option<String>,
    /// Why the question is asked / how to find the answer.
    #[serde(default)]
    pub help: Option<String>,
    /// What a helpdesk agent reads out to the caller (agent mode): plain words, on the phone.
    #[serde(default)]
    pub say: Option<Spanned<String>>,
    /// Internal guidance for the agent only (caveats, what it means for the ticket); any kind.
    #[serde(default)]
    pub agent_note: Option<Spanned<String>>,
    /// A client task that shows the user where to look (question help).
    #[serde(default)]
    pub client_task: Option<Spanned<String>>,
    /// Question, input or check: the diagnosis may also ask it out of the tree's order, to
    /// tell the leading causes apart, only when one of these fact sets holds.
    #[serde(default)]
    pub ask_if: Option<Vec<Spanned<BTreeMap<String, OneOrMany>>>>,
    /// … and never when one of these holds.
    #[serde(default)]
    pub ask_unless: Option<Vec<Spanned<BTreeMap<String, OneOrMany>>>>,
    /// Solution: the facts that make it the right one of its cause's solutions, when the
    /// diagnosis arrives at the cause from elsewhere in the tree.
    #[serde(default)]
    pub fits: Option<Spanned<BTreeMap<String, OneOrMany>>>,

    // question / input
    #[serde(default)]
    pub fact: Option<Spanned<String>>,
    #[serde(default)]
    pub choices: Option<Vec<RawChoice>>,
    /// `clients`: one choice per known mail client, all leading to `next`.
    #[serde(default)]
    pub choices_from: Option<Spanned<String>>,
    /// Where "I don't know" leads.
    #[serde(default)]
    pub unknown: Option<Spanned<String>>,
    #[serde(default)]
    pub unknown_label: Option<String>,
    #[serde(default)]
    pub next: Option<Spanned<String>>,
    /// Input whose value is masked and never stored.
    #[serde(default)]
    pub secret: Option<bool>,
    /// Input that takes several lines (a pasted error message).
    #[serde(default)]
    pub multiline: Option<bool>,
    #[serde(default)]
    pub placeholder: Option<String>,
    /// Input whose answer must have a shape (`ip`).
    #[serde(default)]
    pub format: Option<InputFormat>,

    // decide / check
    #[serde(default)]
    pub branches: Option<Vec<RawBranch>>,
    #[serde(default)]
    pub otherwise: Option<Spanned<String>>,
    #[serde(default)]
    pub check: Option<Spanned<String>>,
    /// Check parameter name → the fact key its value comes from.
    #[serde(default)]
    pub with: Option<BTreeMap<String, Spanned<String>>>,
    /// Facts the check sets.
    #[serde(default)]
    pub sets: Option<Vec<Spanned<String>>>,

    // solution / hand-off
    #[serde(default)]
    pub cause: Option<Spanned<String>>,
    #[serde(default)]
    pub steps: Option<Vec<RawStep>>,
    /// Exact server configuration to apply (for server owners).
    #[serde(default)]
    pub server_fix: Option<String>,
    /// Hand-off: who to contact.
    #[serde(default)]
    pub contact: Option<String>,
    /// Hand-off: what to tell them, ready to copy.
    #[serde(default)]
    pub tell: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawChoice {
    pub value: Spanned<String>,
    pub label: String,
    #[serde(default)]
    pub help: Option<String>,
    pub next: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBranch {
    /// Fact key → the value (or any of the values) it must have; all must hold.
    pub when: Spanned<BTreeMap<String, OneOrMany>>,
    pub next: Spanned<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn into_vec(self) -> Vec<String> {
        match self {
            Self::One(value) => vec![value],
            Self::Many(values) => values,
        }
    }
}

/// A solution step: plain text, or a task whose steps depend on the person's mail client.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStep {
    #[serde(default)]
    pub say: Option<String>,
    #[serde(default)]
    pub client_task: Option<Spanned<String>>,
}

/// `knowledge/clients/*.yaml`: one mail client and its step-by-step tasks.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawClient {
    pub id: Spanned<String>,
    pub name: String,
    pub platform: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub sources: Vec<String>,
    /// The program's own words for each sign-in method in its settings (`{auth_method}`).
    #[serde(default)]
    pub auth_words: Option<RawAuthWords>,
    /// The tree's sign-in question in the program's own words (`{signin_question}`).
    #[serde(default)]
    pub signin_question: Option<String>,
    pub tasks: BTreeMap<String, RawTask>,
    /// What is sending: a value of fact `sender.kind` (program, phone, device, website,
    /// server); absent for a general guide offered whatever is sending.
    #[serde(default)]
    pub kind: Option<Spanned<String>>,
    /// The versions, models or firmware the steps were written for, in plain words.
    #[serde(default)]
    pub version: Option<String>,
    /// What this sender cannot do (no OAuth2, no modern TLS, no editing of server settings…).
    #[serde(default)]
    pub cannot: Vec<String>,
    /// Ready-to-paste configuration or code, filled with the provider's settings by
    /// `relaydoc settings CLIENT` (placeholders: see `knowledge::snippet`).
    #[serde(default)]
    pub snippet: Option<RawSnippet>,
}

/// A configuration or code template for senders that are set up in a file, not a dialog.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSnippet {
    /// The language or format (`python`, `php`, `ini`, …): shown, and used by the tests.
    pub language: String,
    /// Where the text goes (a file name or a place in the program), in plain words.
    pub file: String,
    /// The template: every `{name}` (lower-case letters and `_` between braces) is a
    /// placeholder and must be a known one; other braces are literal.
    pub text: Spanned<String>,
    /// How to run or apply it, one line (`python3 send_test.py`).
    #[serde(default)]
    pub run: Option<String>,
}

/// What a program calls the sign-in choices in its outgoing-server settings, in its own words
/// (Thunderbird: "Normal password" and "OAuth2").
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAuthWords {
    /// The choice for typing a password (a normal one or an app password).
    pub password: String,
    /// The choice for signing in on the provider's own page, where the program has one.
    #[serde(default)]
    pub oauth2: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTask {
    pub title: String,
    pub steps: Vec<String>,
    #[serde(default)]
    pub note: Option<String>,
    /// The steps instead, when the provider wants the program to sign in on its own page
    /// (OAuth2) rather than take a password.
    #[serde(default)]
    pub oauth2_steps: Option<Vec<String>>,
    #[serde(default)]
    pub oauth2_note: Option<String>,
}

/// `knowledge/providers/*.yaml`: a mail provider's published settings.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProvider {
    pub id: Spanned<String>,
    pub name: String,
    /// What sort of provider it is; absent in a user's own entries.
    #[serde(default)]
    pub kind: Option<ProviderKind>,
    /// Where it serves: a two-letter country code, `eu` or `global`.
    #[serde(default)]
    pub region: Option<Spanned<String>>,
    #[serde(default)]
    pub domains: Vec<String>,
    #[serde(default)]
    pub mx_suffixes: Vec<String>,
    pub username: Username,
    pub outgoing: Vec<RawEndpoint>,
    #[serde(default)]
    pub incoming: Vec<RawEndpoint>,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default)]
    pub sources: Vec<String>,
    /// How mail programs may sign in to send, rule by rule, with dates and sources.
    #[serde(default)]
    pub signin: Vec<RawSigninRule>,
}

/// One dated sign-in rule: `method` works (or is refused) from `since` until the day before
/// `until`. Method, dates and source are checked in stage two, with their positions.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSigninRule {
    pub method: Spanned<String>,
    pub works: bool,
    /// First day the rule holds (YYYY-MM-DD); absent: as far back as is known.
    #[serde(default)]
    pub since: Option<Spanned<String>>,
    /// First day the rule no longer holds (YYYY-MM-DD); absent: still in force.
    #[serde(default)]
    pub until: Option<Spanned<String>>,
    /// A condition in plain words ("with two-factor authentication on").
    #[serde(default)]
    pub when: Option<String>,
    /// The server's reply when this method is refused, as the provider documents it.
    #[serde(default)]
    pub reply: Option<String>,
    /// Where a person creates the app password or token, or switches the method on.
    #[serde(default)]
    pub url: Option<Spanned<String>>,
    /// The provider's own page for this rule.
    #[serde(default)]
    pub source: Option<Spanned<String>>,
}

/// The sort of mail provider a catalogue entry describes.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, serde::Serialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum ProviderKind {
    /// Mailboxes anyone can open at the provider's own domains, free or paid (Gmail, GMX,
    /// Fastmail, QQ …).
    FreeMail,
    /// The mailbox that comes with an internet or phone contract (BT, Comcast, Telstra …).
    Isp,
    /// Mail on the customer's own domain at a web host (IONOS, OVH, GoDaddy, Strato …).
    Hosting,
    /// Business mail suites on the customer's own domain (Microsoft 365, Google Workspace).
    Business,
}

impl ProviderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FreeMail => "free-mail",
            Self::Isp => "isp",
            Self::Hosting => "hosting",
            Self::Business => "business",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Username {
    FullAddress,
    LocalPart,
    Other,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEndpoint {
    #[serde(default)]
    pub protocol: Option<Protocol>,
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub auth: AuthKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Imap,
    Pop3,
    Smtp,
}

pub use crate::vocab::Security;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthKind {
    Password,
    Oauth2,
    PopBeforeSmtp,
    None,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse<T: serde::de::DeserializeOwned>(yaml: &str) -> Result<T, serde_saphyr::Error> {
        serde_saphyr::from_str_with_options(yaml, crate::knowledge::source::yaml_options())
    }

    #[test]
    fn yaml_1_1_booleans_stay_strings_where_strings_are_expected() {
        let branch: RawBranch = parse("when: {client.smtp_auth: off}\nnext: x\n").expect("parses");
        let values: Vec<_> = branch
            .when
            .value
            .into_values()
            .flat_map(OneOrMany::into_vec)
            .collect();
        assert_eq!(values, ["off"]);
        let choice: RawChoice = parse("value: no\nlabel: No\nnext: x\n").expect("parses");
        assert_eq!(choice.value.value, "no");
    }

    #[test]
    fn spanned_references_carry_their_line_and_column() {
        let choice: RawChoice = parse("value: yes\nlabel: Yes\nnext:   target\n").expect("parses");
        assert_eq!(choice.next.referenced.line(), 3);
        assert_eq!(choice.next.referenced.column(), 9);
    }

    #[test]
    fn unknown_fields_are_rejected_with_a_position() {
        let error =
            parse::<RawChoice>("value: a\nlabel: b\nnext: c\nnxet: d\n").expect_err("rejects");
        let location = error.location().expect("has a location");
        assert_eq!(location.line(), 4);
    }
}

/// The shape an input's answer must have, where free text is not enough.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputFormat {
    /// A public IPv4 or IPv6 address, as a "what is my IP" page shows it.
    Ip,
    /// A server's name (`smtp.example.com`) or IP address, as a settings page shows it.
    Host,
}
