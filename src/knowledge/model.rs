//! Stage two: the validated knowledge the engine trusts.
//!
//! Every reference here has been resolved to an index, every cause and client id is known and
//! every fact value is allowed, so the engine never re-checks anything.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

pub use super::raw::InputFormat;
use super::raw::{AuthKind, Protocol, ProviderKind, Security, Username};
use crate::diagnostic::{Diagnostics, Position};

pub type NodeId = usize;

/// The id of the node every wizard run starts at.
pub const START_NODE: &str = "start";

/// The value every choice-valued fact takes when the person does not know.
pub const UNKNOWN: &str = "unknown";

/// The fact relaydoc sets itself to say who is at the keyboard: [`SESSION_AGENT`] when a
/// helpdesk agent guides a caller, [`SESSION_USER`] (or absent) when people help themselves.
/// What is sending (a mail program, a phone, a device, a website, a server): client guides
/// carry one of its values as their `kind`.
pub const SENDER_KIND: &str = "sender.kind";
/// In a condition: any value of a choice-valued fact but `unknown` ("already known").
pub const ANY_KNOWN: &str = "any-known";
pub const SESSION_MODE: &str = "session.mode";
pub const SESSION_AGENT: &str = "agent";
pub const SESSION_USER: &str = "user";

/// The most characters a `say` or `agent_note` may have: a few sentences read out on the
/// phone or glanced at beside a question, not an article.
pub const MAX_SPOKEN_CHARS: usize = 1200;

#[derive(Debug)]
pub struct Knowledge {
    pub nodes: Vec<Node>,
    pub(super) node_index: HashMap<String, NodeId>,
    pub start: NodeId,
    pub causes: Vec<Cause>,
    pub(super) cause_index: HashMap<String, usize>,
    pub clients: Vec<Client>,
    pub(super) client_index: HashMap<String, usize>,
    pub providers: Vec<Provider>,
    pub facts: FactCatalogue,
    /// What is sound but worth an author's attention (a question with no `say`, so agent mode
    /// reads the end-user text). Only `kb validate` shows them; nothing else depends on them.
    pub warnings: Diagnostics,
    /// The error-signature files, compiled on first use: their regexes cost more to build
    /// than the whole tree, and most commands never need them.
    pub(super) signature_files: Vec<super::source::SourceFile>,
    /// What a higher layer compiles from this knowledge once and keeps with it (explain's
    /// signatures). Knowledge does not name its type, so it depends on nothing above it.
    pub(super) compiled: std::sync::OnceLock<Box<dyn std::any::Any + Send + Sync>>,
    /// The nodes that can reveal each fact, see [`Knowledge::askers`].
    pub(super) askers: BTreeMap<String, Vec<Vec<NodeId>>>,
}

impl Knowledge {
    /// The error-signature files as read, for `explain` to compile.
    pub fn signature_files(&self) -> &[super::source::SourceFile] {
        &self.signature_files
    }

    /// The value `build` makes from this knowledge, made on first use and kept for the
    /// knowledge's lifetime. There is one such value per knowledge, and its one maker is
    /// `explain::signatures`: a second type asking would be a programming error.
    pub fn compiled_once<T: std::any::Any + Send + Sync>(&self, build: impl FnOnce() -> T) -> &T {
        self.compiled
            .get_or_init(|| Box::new(build()))
            .downcast_ref::<T>()
            .expect("knowledge keeps one compiled value, of one type")
    }

    /// For each fact, the nodes that can reveal it (its questions; the checks that set it, and
    /// the inputs that lead straight to such a check), grouped by the answers they offer, each
    /// group in tree order. Asking any node of a group tells the diagnosis the same thing, so
    /// it needs only the first one it may ask: a step costs the same in a tree ten times as
    /// large.
    pub fn askers(&self) -> impl Iterator<Item = (&str, &[Vec<NodeId>])> {
        self.askers
            .iter()
            .map(|(fact, groups)| (fact.as_str(), groups.as_slice()))
    }

    pub fn node_id(&self, id: &str) -> Option<NodeId> {
        self.node_index.get(id).copied()
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id]
    }

    pub fn cause(&self, id: &str) -> Option<&Cause> {
        self.cause_index.get(id).map(|&index| &self.causes[index])
    }

    /// A cause's position in [`Knowledge::causes`].
    pub fn cause_index(&self, id: &str) -> Option<usize> {
        self.cause_index.get(id).copied()
    }

    /// The solution nodes that conclude a cause, in the tree's order.
    pub fn solutions_of(&self, cause: usize) -> impl Iterator<Item = NodeId> + '_ {
        self.nodes
            .iter()
            .enumerate()
            .filter(move |(_, node)| match &node.body {
                NodeBody::Solution { cause: c, .. } => *c == cause,
                NodeBody::Handoff { cause: c, .. } => *c == Some(cause),
                _ => false,
            })
            .map(|(index, _)| index)
    }

    pub fn client(&self, id: &str) -> Option<&Client> {
        self.client_index.get(id).map(|&index| &self.clients[index])
    }

    pub fn provider(&self, id: &str) -> Option<&Provider> {
        self.providers.iter().find(|provider| provider.id == id)
    }

    /// The provider that serves an address's domain, by domain list.
    /// The program the facts name (`client.id`), if the knowledge has it.
    pub fn client_in(&self, facts: &BTreeMap<String, String>) -> Option<&Client> {
        facts.get("client.id").and_then(|id| self.client(id))
    }

    pub fn provider_for_domain(&self, domain: &str) -> Option<&Provider> {
        let domain = domain.trim_end_matches('.').to_ascii_lowercase();
        self.providers.iter().find(|provider| {
            provider
                .domains
                .iter()
                .any(|d| d.eq_ignore_ascii_case(&domain))
        })
    }

    /// The cause a terminal node concludes, if any.
    pub fn cause_of(&self, node: NodeId) -> Option<&Cause> {
        match &self.nodes[node].body {
            NodeBody::Solution { cause, .. } => Some(&self.causes[*cause]),
            NodeBody::Handoff { cause, .. } => cause.map(|index| &self.causes[index]),
            _ => None,
        }
    }
}

/// Where a knowledge item was defined, for `kb show` and error messages.
#[derive(Debug, Clone)]
pub struct Origin {
    pub file: String,
    pub position: Option<Position>,
}

#[derive(Debug)]
pub struct Node {
    pub id: String,
    pub title: Option<String>,
    pub text: String,
    pub help: Option<String>,
    /// What a helpdesk agent reads out to the caller (agent mode). Every question and input
    /// of the bundled tree has one; a user's overlay may leave it out (see [`Node::caller_words`]).
    pub say: Option<String>,
    /// Internal guidance for the helpdesk agent (caveats, ticket and escalation hints); never
    /// shown to the person with the problem.
    pub agent_note: Option<String>,
    pub client_task: Option<String>,
    /// `text` and `say` as written, when they hold words that differ per program
    /// (`{signin_question}`); `text` and `say` above have the general words filled in.
    pub per_client: Option<PerClientText>,
    /// When the diagnosis may ask this node out of the tree's order: any of these sets of
    /// conditions holds (empty: always) …
    pub ask_if: Vec<Vec<Condition>>,
    /// … and none of these.
    pub ask_unless: Vec<Vec<Condition>>,
    pub body: NodeBody,
    pub origin: Origin,
}

/// A node's texts before the per-program words were filled in (see [`Node::text_for`]).
#[derive(Debug, Clone)]
pub struct PerClientText {
    pub text: String,
    pub say: Option<String>,
}

/// The placeholder for the sign-in question in a program's own words.
pub const SIGNIN_QUESTION: &str = "{signin_question}";

/// The sign-in question for a program with no words of its own (and no `other` guide).
pub const GENERAL_SIGNIN_QUESTION: &str = "In its outgoing server settings, is sign-in turned \
    on: a setting such as \"My outgoing server requires authentication\", \"Use \
    authentication\" or \"Require sign-in\", or an Authentication list set to anything but \
    None?";

/// Fills `{signin_question}` with `words`; a program's `**label**` marks become quotes, since
/// questions are shown as plain text.
pub fn fill_signin_question(text: &str, words: &str) -> String {
    let mut plain = String::with_capacity(words.len());
    for (index, part) in words.split("**").enumerate() {
        if index > 0 {
            plain.push('"');
        }
        plain.push_str(part);
    }
    text.replace(SIGNIN_QUESTION, &plain)
}

impl Node {
    /// The question as `client` shows it: in its own words where the node has words that
    /// differ per program and the client has them, else [`Node::text`].
    pub fn text_for(&self, client: Option<&Client>) -> std::borrow::Cow<'_, str> {
        match (
            &self.per_client,
            client.and_then(|c| c.signin_question.as_deref()),
        ) {
            (Some(written), Some(words)) => fill_signin_question(&written.text, words).into(),
            _ => self.text.as_str().into(),
        }
    }

    /// What the agent reads out, with `client`'s words (see [`Node::text_for`]).
    pub fn say_for(&self, client: Option<&Client>) -> std::borrow::Cow<'_, str> {
        let words = client.and_then(|c| c.signin_question.as_deref());
        match (&self.per_client, words) {
            (Some(PerClientText { say: Some(say), .. }), Some(words)) => {
                fill_signin_question(say, words).into()
            }
            (Some(PerClientText { say: None, text }), Some(words)) => {
                fill_signin_question(text, words).into()
            }
            _ => self.caller_words().into(),
        }
    }

    /// A short label for breadcrumbs and lists.
    pub fn label(&self) -> &str {
        self.title.as_deref().unwrap_or(&self.text)
    }

    /// What the agent reads out to the caller: `say`, or the end-user text when a node has
    /// none (an organisation's own node, say), so agent mode never has nothing to show.
    pub fn caller_words(&self) -> &str {
        self.say.as_deref().unwrap_or(&self.text)
    }

    pub fn kind_name(&self) -> &'static str {
        match self.body {
            NodeBody::Question { .. } => "question",
            NodeBody::Input { .. } => "input",
            NodeBody::Decide { .. } => "decide",
            NodeBody::Check { .. } => "check",
            NodeBody::Solution { .. } => "solution",
            NodeBody::Handoff { .. } => "handoff",
        }
    }

    pub fn is_terminal(&self) -> bool {
        matches!(
            self.body,
            NodeBody::Solution { .. } | NodeBody::Handoff { .. }
        )
    }

    /// Every way out of this node: on what, and where to. The one enumeration the engine's
    /// checks, `kb graph` and the website's tree drawing share.
    pub fn edges(&self) -> Vec<(EdgeOn<'_>, NodeId)> {
        match &self.body {
            NodeBody::Question {
                choices,
                unknown,
                unknown_label,
                ..
            } => choices
                .iter()
                .map(|choice| (EdgeOn::Choice(choice), choice.next))
                .chain([(EdgeOn::DontKnow(unknown_label), *unknown)])
                .collect(),
            NodeBody::Input { next, unknown, .. } => {
                vec![(EdgeOn::Given, *next), (EdgeOn::Skipped, *unknown)]
            }
            NodeBody::Decide {
                branches,
                otherwise,
            }
            | NodeBody::Check {
                branches,
                otherwise,
                ..
            } => branches
                .iter()
                .map(|branch| (EdgeOn::Branch(&branch.when), branch.next))
                .chain([(EdgeOn::Otherwise, *otherwise)])
                .collect(),
            NodeBody::Solution { .. } | NodeBody::Handoff { .. } => Vec::new(),
        }
    }

    /// Every node this one can lead to.
    pub fn successors(&self) -> Vec<NodeId> {
        self.edges().into_iter().map(|(_, next)| next).collect()
    }

    /// Facts this node sets when it is answered or run.
    pub fn sets(&self) -> Vec<&str> {
        match &self.body {
            NodeBody::Question { fact, .. } | NodeBody::Input { fact, .. } => vec![fact],
            NodeBody::Check { sets, .. } => sets.iter().map(String::as_str).collect(),
            _ => Vec::new(),
        }
    }
}

#[derive(Debug)]
pub enum NodeBody {
    Question {
        fact: String,
        choices: Vec<Choice>,
        unknown: NodeId,
        unknown_label: String,
    },
    Input {
        fact: String,
        secret: bool,
        multiline: bool,
        placeholder: Option<String>,
        /// What the answer must be; drivers call [`InputFormat::check`] before taking it.
        format: Option<InputFormat>,
        next: NodeId,
        unknown: NodeId,
    },
    Decide {
        branches: Vec<Branch>,
        otherwise: NodeId,
    },
    Check {
        check: String,
        /// Check parameter → fact key supplying it.
        params: Vec<(String, String)>,
        sets: Vec<String>,
        branches: Vec<Branch>,
        otherwise: NodeId,
    },
    Solution {
        cause: usize,
        steps: Vec<Step>,
        server_fix: Option<String>,
        /// The facts that make this the right solution among its cause's solutions.
        fits: Vec<Condition>,
    },
    Handoff {
        cause: Option<usize>,
        contact: String,
        tell: String,
        steps: Vec<Step>,
    },
}

impl InputFormat {
    /// The answer in its normal form, or why it cannot be taken, in words for the person
    /// typing it.
    pub fn check(self, answer: &str) -> Result<String, String> {
        match self {
            Self::Ip => crate::vocab::parse_public_ip(answer)
                .map(|ip| ip.to_string())
                .map_err(|why| why.to_string()),
            Self::Host => server_name(answer),
        }
    }
}

/// A server name as a person copies it from a settings page, or why it is not one: the
/// usual slips (an email address, a port or a web address pasted with it) are named.
fn server_name(answer: &str) -> Result<String, String> {
    let text = answer.trim();
    if let Ok(ip) = crate::vocab::parse_ip(text) {
        return Ok(ip.to_string());
    }
    let slip = if text.contains('@') {
        Some("That is an email address; a server name has no @ and looks")
    } else if text.contains("://") || text.contains('/') {
        Some("Type the server name only, without http:// or a slash,")
    } else if text.contains(':') || text.contains(char::is_whitespace) {
        Some("Type the server name only, without a port or spaces,")
    } else {
        None
    };
    if let Some(slip) = slip {
        return Err(format!("{slip} like smtp.example.com."));
    }
    let name = crate::vocab::parse_host_name(text).map_err(|why| why.to_string())?;
    if !name.contains('.') {
        return Err(format!(
            "\"{name}\" is not a full server name: it has at least one dot, like \
             smtp.example.com."
        ));
    }
    Ok(name)
}

/// What takes a walk along one edge out of a node ([`Node::edges`]).
#[derive(Debug, Clone, Copy)]
pub enum EdgeOn<'k> {
    /// A question's choice.
    Choice(&'k Choice),
    /// "I don't know" at a question, with the words the question gives it.
    DontKnow(&'k str),
    /// An input answered.
    Given,
    /// An input skipped.
    Skipped,
    /// A decision's or a check's branch whose conditions hold.
    Branch(&'k [Condition]),
    /// A decision or check where no branch holds.
    Otherwise,
}

#[derive(Debug)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub help: Option<String>,
    pub next: NodeId,
}

#[derive(Debug)]
pub struct Branch {
    pub when: Vec<Condition>,
    pub next: NodeId,
}

/// `fact` has one of `any_of`.
#[derive(Debug)]
pub struct Condition {
    pub fact: String,
    pub any_of: Vec<String>,
}

impl Branch {
    pub fn holds(&self, facts: &BTreeMap<String, String>) -> bool {
        all_hold(&self.when, facts)
    }
}

impl Condition {
    /// True when the fact is known and has one of the values; an absent fact never holds.
    pub fn holds(&self, facts: &BTreeMap<String, String>) -> bool {
        facts
            .get(&self.fact)
            .is_some_and(|value| self.any_of.iter().any(|allowed| allowed == value))
    }
}

/// True when every condition holds.
pub fn all_hold(conditions: &[Condition], facts: &BTreeMap<String, String>) -> bool {
    conditions.iter().all(|condition| condition.holds(facts))
}

#[derive(Debug, Clone)]
pub enum Step {
    Say(String),
    ClientTask(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Side {
    Client,
    SenderMx,
    RecipientMx,
    None,
}

impl Side {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "client" => Some(Self::Client),
            "sender-mx" => Some(Self::SenderMx),
            "recipient-mx" => Some(Self::RecipientMx),
            "none" => Some(Self::None),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Client => "client",
            Self::SenderMx => "sender-mx",
            Self::RecipientMx => "recipient-mx",
            Self::None => "none",
        }
    }

    /// Plain words for where the mail was refused.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Client => "your own mail program or device",
            Self::SenderMx => "your outgoing mail server",
            Self::RecipientMx => "the recipient's mail server",
            Self::None => "not a relay problem",
        }
    }
}

#[derive(Debug)]
pub struct Cause {
    pub id: String,
    pub side: Side,
    pub title: String,
    pub summary: String,
    pub explanation: String,
    pub signs: Vec<String>,
    pub sources: Vec<String>,
    /// How common the cause is before anything is known, on the evidence scale.
    pub prior: f64,
    pub evidence: Vec<Evidence>,
    /// The one thing to try that shows whether this is the cause.
    pub tell_apart: Option<String>,
    pub origin: Origin,
}

/// One piece of evidence about a cause (see `knowledge/causes.yaml`).
#[derive(Debug)]
pub struct Evidence {
    pub when: Vec<Condition>,
    pub weight: Weight,
    pub why: String,
}

impl Evidence {
    pub fn holds(&self, facts: &BTreeMap<String, String>) -> bool {
        all_hold(&self.when, facts)
    }
}

/// Builds [`Knowledge::askers`] from the resolved nodes.
pub(super) fn index_askers(nodes: &[Node]) -> BTreeMap<String, Vec<Vec<NodeId>>> {
    // (fact, the answers offered; `None` for a check, whose answers the fact catalogue gives).
    let mut grouped: BTreeMap<(String, Option<Vec<String>>), Vec<NodeId>> = BTreeMap::new();
    let check_facts = |node: &Node| match &node.body {
        NodeBody::Check { sets, .. } => sets.clone(),
        _ => Vec::new(),
    };
    for (id, node) in nodes.iter().enumerate() {
        let keys: Vec<(String, Option<Vec<String>>)> = match &node.body {
            NodeBody::Question { fact, choices, .. } => vec![(
                fact.clone(),
                Some(choices.iter().map(|choice| choice.value.clone()).collect()),
            )],
            NodeBody::Check { .. } => check_facts(node).into_iter().map(|f| (f, None)).collect(),
            NodeBody::Input { next, .. } => check_facts(&nodes[*next])
                .into_iter()
                .map(|f| (f, None))
                .collect(),
            _ => Vec::new(),
        };
        for key in keys {
            grouped.entry(key).or_default().push(id);
        }
    }
    let mut askers: BTreeMap<String, Vec<Vec<NodeId>>> = BTreeMap::new();
    for ((fact, _), ids) in grouped {
        askers.entry(fact).or_default().push(ids);
    }
    askers
}

/// How much a piece of evidence counts, on a log-odds scale: `strong` multiplies a cause's odds
/// by about e³ ≈ 20, `weak` by e ≈ 2.7; `rules-out` removes the cause from the ranking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weight {
    Strong,
    Moderate,
    Weak,
    Against,
    StronglyAgainst,
    RulesOut,
}

impl Weight {
    pub const NAMES: &'static str = "strong, moderate, weak, against, strongly-against, rules-out";

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "strong" => Self::Strong,
            "moderate" => Self::Moderate,
            "weak" => Self::Weak,
            "against" => Self::Against,
            "strongly-against" => Self::StronglyAgainst,
            "rules-out" => Self::RulesOut,
            _ => return None,
        })
    }

    /// The change to the cause's score; `None` for `rules-out`.
    pub fn score(self) -> Option<f64> {
        match self {
            Self::Strong => Some(3.0),
            Self::Moderate => Some(2.0),
            Self::Weak => Some(1.0),
            Self::Against => Some(-1.5),
            Self::StronglyAgainst => Some(-3.0),
            Self::RulesOut => None,
        }
    }

    pub fn supports(self) -> bool {
        matches!(self, Self::Strong | Self::Moderate | Self::Weak)
    }
}

/// How common a cause is before anything is known.
pub fn prior_score(name: &str) -> Option<f64> {
    Some(match name {
        "common" => 1.5,
        "usual" => 0.5,
        "occasional" => 0.0,
        "rare" => -1.0,
        _ => return None,
    })
}
pub const PRIOR_NAMES: &str = "common, usual, occasional, rare";

#[derive(Debug)]
pub struct Client {
    pub id: String,
    pub name: String,
    pub platform: String,
    pub aliases: Vec<String>,
    pub sources: Vec<String>,
    /// The program's own words for the sign-in choices; `None` for a program that has none
    /// (general wording is used then).
    pub auth_words: Option<AuthWords>,
    /// "Does it sign in for sending?" asked in the program's own words (its setting's label
    /// and where it is), filling a node's `{signin_question}`; `None`: the general words.
    pub signin_question: Option<String>,
    pub tasks: BTreeMap<String, Task>,
    /// What is sending (a `sender.kind` value); `None` for a general guide.
    pub kind: Option<String>,
    pub kind_position: Option<crate::diagnostic::Position>,
    /// The versions, models or firmware the steps were written for.
    pub version: Option<String>,
    /// What this sender cannot do, one plain sentence each.
    pub cannot: Vec<String>,
    /// Ready-to-paste configuration or code, for senders set up in a file.
    pub snippet: Option<Snippet>,
    pub origin: Origin,
}

/// A configuration or code template (see `knowledge::snippet` for its placeholders).
#[derive(Debug, Clone)]
pub struct Snippet {
    pub language: String,
    pub file: String,
    pub text: String,
    pub run: Option<String>,
}

/// What a program calls "type a password" and "sign in on the provider's page" in its
/// outgoing-server settings (Thunderbird: **Normal password**, **OAuth2**).
#[derive(Debug, Clone)]
pub struct AuthWords {
    pub password: String,
    pub oauth2: Option<String>,
}

#[derive(Debug)]
pub struct Task {
    pub title: String,
    pub steps: Vec<String>,
    pub note: Option<String>,
    /// Used instead of `steps`/`note` when the provider's main sign-in is OAuth2.
    pub oauth2_steps: Option<Vec<String>>,
    pub oauth2_note: Option<String>,
}

#[derive(Debug)]
pub struct Provider {
    pub id: String,
    pub name: String,
    pub kind: Option<ProviderKind>,
    /// A two-letter country code (lower case), `eu` or `global`.
    pub region: Option<String>,
    pub domains: Vec<String>,
    pub mx_suffixes: Vec<String>,
    pub username: Username,
    pub outgoing: Vec<Endpoint>,
    pub incoming: Vec<Endpoint>,
    pub notes: Option<String>,
    pub sources: Vec<String>,
    /// The dated sign-in rules, in file order; empty when nothing is known.
    pub signin: Vec<SigninRule>,
    pub origin: Origin,
}

/// A way a mail program can prove who it is when it sends through a provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SigninMethod {
    /// The account's normal password.
    Password,
    /// A separate password the provider generates for one program.
    AppPassword,
    /// A separate code for mail programs that some providers (QQ, 163) call an authorisation
    /// code; used exactly like an app password.
    AuthorisationCode,
    /// Signing in on the provider's own page in a browser window (OAuth2, "modern
    /// authentication", "Sign in with Google").
    Oauth2,
    /// A provider-issued token typed as the password (Proton's SMTP tokens).
    ProviderToken,
    /// A local bridge program that is the mail server for the program (Proton Mail Bridge),
    /// with a password of its own.
    Bridge,
}

impl SigninMethod {
    pub const ALL: [Self; 6] = [
        Self::Password,
        Self::AppPassword,
        Self::AuthorisationCode,
        Self::Oauth2,
        Self::ProviderToken,
        Self::Bridge,
    ];

    /// The name used in knowledge files and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::AppPassword => "app-password",
            Self::AuthorisationCode => "authorisation-code",
            Self::Oauth2 => "oauth2",
            Self::ProviderToken => "provider-token",
            Self::Bridge => "bridge",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|method| method.as_str() == text)
    }

    /// The method in plain words, for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Password => "normal password",
            Self::AppPassword => "app password",
            Self::AuthorisationCode => "authorisation code",
            Self::Oauth2 => "sign-in on the provider's page (OAuth2)",
            Self::ProviderToken => "token from the provider",
            Self::Bridge => "bridge program",
        }
    }

    /// Typed into the program's password field, like a password.
    fn is_typed_code(self) -> bool {
        matches!(self, Self::AppPassword | Self::AuthorisationCode)
    }
}

/// One dated rule: `method` works (or, with `works: false`, is refused) on the days from
/// `since` up to the day before `until`.
#[derive(Debug, Clone, Serialize)]
pub struct SigninRule {
    pub method: SigninMethod,
    pub works: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<jiff::civil::Date>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<jiff::civil::Date>,
    /// A condition in plain words; the rule holds only then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    /// The server's reply when the method is refused, as documented.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply: Option<String>,
    /// Where to create the app password or token, or switch the method on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The provider's page the rule comes from.
    pub source: String,
}

impl SigninRule {
    /// Whether the rule is in force on `day`.
    pub fn holds_on(&self, day: jiff::civil::Date) -> bool {
        self.since.is_none_or(|since| since <= day) && self.until.is_none_or(|until| day < until)
    }
}

/// What a provider does with a mail program that signs in with the account's normal password,
/// on a given day: the answer [`Provider::password_login`] gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PasswordLogin {
    /// The normal password works (perhaps after switching mail-program access on).
    Accepted,
    /// The normal password is refused; an app password (or authorisation code) works.
    AppPasswordOnly,
    /// Only sign-in on the provider's page (OAuth2) works: no password of any kind.
    #[serde(rename = "oauth-only")]
    OAuthOnly,
    /// The normal password is refused; OAuth2 works, and so does an app password.
    #[serde(rename = "oauth-or-app-password")]
    OAuthOrAppPassword,
    /// The normal password is refused; a token or bridge password from the provider works.
    ProviderToken,
    /// No rule in force says (no `signin` data, or none for that day).
    Unknown,
}

impl PasswordLogin {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::AppPasswordOnly => "app-password-only",
            Self::OAuthOnly => "oauth-only",
            Self::OAuthOrAppPassword => "oauth-or-app-password",
            Self::ProviderToken => "provider-token",
            Self::Unknown => "unknown",
        }
    }

    /// Whether the program should sign in on the provider's page as the main step.
    pub fn wants_oauth(self) -> bool {
        matches!(self, Self::OAuthOnly | Self::OAuthOrAppPassword)
    }

    /// Whether a check that signs in with the normal password would be refused by design,
    /// so a refusal says nothing about whether the password is right.
    pub fn refuses_normal_password(self) -> bool {
        !matches!(self, Self::Accepted | Self::Unknown)
    }
}

impl Provider {
    /// The rules in force on `day`, in file order.
    pub fn signin_rules_on(&self, day: jiff::civil::Date) -> impl Iterator<Item = &SigninRule> {
        self.signin.iter().filter(move |rule| rule.holds_on(day))
    }

    /// The rule in force on `day` for `method`, refusals first (a refusal with no condition
    /// overrides a rule that says the method works).
    pub fn signin_rule(&self, method: SigninMethod, day: jiff::civil::Date) -> Option<&SigninRule> {
        let mut rules = self
            .signin_rules_on(day)
            .filter(|rule| rule.method == method);
        let all: Vec<&SigninRule> = rules.by_ref().collect();
        all.iter()
            .find(|rule| !rule.works && rule.when.is_none())
            .or_else(|| all.iter().find(|rule| rule.works))
            .or_else(|| all.first())
            .copied()
    }

    /// The methods that work on `day` (under their conditions, if any), in the order of
    /// [`SigninMethod::ALL`].
    pub fn working_methods(&self, day: jiff::civil::Date) -> Vec<SigninMethod> {
        SigninMethod::ALL
            .into_iter()
            .filter(|&method| self.signin_rule(method, day).is_some_and(|rule| rule.works))
            .collect()
    }

    /// The working methods on `day`, in words for people: "app password or sign-in on the
    /// provider's page (OAuth2)". `None` when nothing is known.
    pub fn working_methods_text(&self, day: jiff::civil::Date) -> Option<String> {
        let labels: Vec<&str> = self
            .working_methods(day)
            .into_iter()
            .map(SigninMethod::label)
            .collect();
        match labels.as_slice() {
            [] => None,
            [one] => Some((*one).to_string()),
            [rest @ .., last] => Some(format!("{} or {last}", rest.join(", "))),
        }
    }

    /// What the provider does on `day` with a mail program that signs in to send with the
    /// account's normal password, read from the `signin` rules in force that day.
    ///
    /// - [`PasswordLogin::Accepted`] when a rule says the password works (a rule with a
    ///   condition counts: GMX takes the password once mail-program access is switched on),
    ///   unless a rule without a condition says it is refused;
    /// - otherwise, by what does work: OAuth2 and an app password (or authorisation code)
    ///   → [`PasswordLogin::OAuthOrAppPassword`]; OAuth2 alone → [`PasswordLogin::OAuthOnly`];
    ///   an app password alone → [`PasswordLogin::AppPasswordOnly`]; a provider token or
    ///   bridge → [`PasswordLogin::ProviderToken`];
    /// - [`PasswordLogin::Unknown`] with no rules for that day.
    ///
    /// The diagnosis uses it to tell "wrong password" from "this provider refuses every
    /// normal password", and the solutions to make the working method the main step.
    pub fn password_login(&self, day: jiff::civil::Date) -> PasswordLogin {
        let works = self.working_methods(day);
        if works.contains(&SigninMethod::Password) {
            return PasswordLogin::Accepted;
        }
        let oauth = works.contains(&SigninMethod::Oauth2);
        let code = works.iter().any(|method| method.is_typed_code());
        let token = works
            .iter()
            .any(|method| matches!(method, SigninMethod::ProviderToken | SigninMethod::Bridge));
        match (oauth, code, token) {
            (true, true, _) => PasswordLogin::OAuthOrAppPassword,
            (true, false, _) => PasswordLogin::OAuthOnly,
            (false, true, _) => PasswordLogin::AppPasswordOnly,
            (false, false, true) => PasswordLogin::ProviderToken,
            (false, false, false) => PasswordLogin::Unknown,
        }
    }

    /// The rule people should follow to get the code they type as the password (app
    /// password, authorisation code, token or bridge) on `day`, if any works.
    pub fn code_rule(&self, day: jiff::civil::Date) -> Option<&SigninRule> {
        [
            SigninMethod::AppPassword,
            SigninMethod::AuthorisationCode,
            SigninMethod::ProviderToken,
            SigninMethod::Bridge,
        ]
        .into_iter()
        .filter_map(|method| self.signin_rule(method, day))
        .find(|rule| rule.works)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Endpoint {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<Protocol>,
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub auth: AuthKind,
}

/// The fact keys and their allowed values.
#[derive(Debug, Default)]
pub struct FactCatalogue {
    pub facts: BTreeMap<String, FactSpec>,
}

#[derive(Debug, Clone)]
pub struct FactSpec {
    pub key: String,
    /// `None` for free text; otherwise the allowed values, `unknown` included.
    pub values: Option<Vec<String>>,
    pub about: String,
    /// Set by relaydoc itself (e.g. [`SESSION_MODE`]), never asked: conditions may read it
    /// without any node setting it, and no node may ask for it.
    pub set_by_program: bool,
}

impl FactCatalogue {
    pub fn get(&self, key: &str) -> Option<&FactSpec> {
        self.facts.get(key)
    }

    /// Checks a `key`/`value` pair, explaining what is allowed when it is not.
    pub fn check(&self, key: &str, value: &str) -> Result<(), String> {
        let Some(spec) = self.facts.get(key) else {
            let known: Vec<&str> = self.facts.keys().map(String::as_str).collect();
            let hint = closest(key, known.iter().copied())
                .map(|close| format!(" (did you mean `{close}`?)"))
                .unwrap_or_default();
            return Err(format!(
                "unknown fact `{key}`{hint}; known facts: {}",
                known.join(", ")
            ));
        };
        match &spec.values {
            Some(values) if !values.iter().any(|allowed| allowed == value) => Err(format!(
                "`{value}` is not a value of `{key}`; allowed: {}",
                values.join(", ")
            )),
            _ => Ok(()),
        }
    }
}

/// The known word closest to `word` by edit distance, if it is close enough to be a typo.
pub fn closest<'a>(word: &str, known: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    known
        .map(|candidate| (edit_distance(word, candidate), candidate))
        .filter(|(distance, candidate)| *distance <= (candidate.len() / 3).max(2))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}
