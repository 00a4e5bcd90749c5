//! Turning a conclusion into what a person reads: the cause, the explanation, and steps for
//! their own mail client with their provider's settings filled in.
//!
//! Every driver (plain prompts, TUI, `settings`, exports) shows solutions through this module,
//! so the wording and the filled-in values are the same everywhere.

use crate::engine::Facts;
use crate::knowledge::Knowledge;
use crate::knowledge::model::{
    Cause, Client, Endpoint, NodeBody, NodeId, PasswordLogin, Provider, SigninMethod, Step, Task,
};
use crate::knowledge::raw::Username;
use crate::sanitize::for_terminal;

/// The settings the steps should put into the mail client.
#[derive(Debug, Clone)]
pub struct TargetSettings<'k> {
    pub provider: Option<&'k Provider>,
    pub email: Option<String>,
    /// The outgoing server the person typed (`account.outgoing_server`), for a provider the
    /// catalogue does not know; a catalogue entry's own server comes first.
    pub server: Option<String>,
    /// The day whose sign-in rules apply (today, except in tests).
    pub today: jiff::civil::Date,
}

/// Today's date where the person is, for reading dated sign-in rules.
pub fn today() -> jiff::civil::Date {
    jiff::Zoned::now().date()
}

impl<'k> TargetSettings<'k> {
    pub fn from_facts(knowledge: &'k Knowledge, facts: &Facts) -> Self {
        let email = facts
            .get("account.email")
            .filter(|email| email.contains('@'))
            .cloned();
        let server = facts
            .get("account.outgoing_server")
            .filter(|server| server.as_str() != crate::knowledge::model::UNKNOWN)
            .cloned();
        Self {
            server,
            ..Self::for_email(knowledge, email)
        }
    }

    pub fn for_email(knowledge: &'k Knowledge, email: Option<String>) -> Self {
        let provider = email
            .as_deref()
            .and_then(|email| email.rsplit_once('@'))
            .and_then(|(_, domain)| knowledge.provider_for_domain(domain));
        Self {
            provider,
            email,
            server: None,
            today: today(),
        }
    }

    /// The same settings as they apply on `day` (tests pin the day the rules are read on).
    pub fn on(self, day: jiff::civil::Date) -> Self {
        Self { today: day, ..self }
    }

    /// The provider's preferred outgoing server that takes a password.
    pub fn outgoing(&self) -> Option<&'k Endpoint> {
        let provider = self.provider?;
        provider
            .outgoing
            .iter()
            .find(|endpoint| endpoint.auth == crate::knowledge::raw::AuthKind::Password)
            .or_else(|| provider.outgoing.first())
    }

    /// The outgoing server's name: the catalogue entry's, else the one the person typed.
    pub fn host(&self) -> Option<String> {
        self.outgoing()
            .map(|endpoint| endpoint.host.clone())
            .or_else(|| self.server.clone())
    }

    /// What the provider does with a normal password today; `Unknown` without a provider.
    pub fn password_login(&self) -> PasswordLogin {
        self.provider
            .map_or(PasswordLogin::Unknown, |p| p.password_login(self.today))
    }

    /// Fills `{host}`, `{port}`, `{security}` and `{username}` in a step, and the sign-in
    /// placeholders with general wording (see [`TargetSettings::fill_for`]).
    pub fn fill(&self, text: &str) -> String {
        self.fill_for(text, None)
    }

    /// Fills every placeholder, with `client`'s own words for the sign-in choice:
    /// `{auth_method}` is what to pick in the program (its word for OAuth2 when the provider
    /// wants that, for a password otherwise), `{password_hint}` what to type as the password
    /// (the normal one, or an app password and where to create it).
    pub fn fill_for(&self, text: &str, client: Option<&Client>) -> String {
        let outgoing = self.outgoing();
        let host = self.host().unwrap_or_else(|| {
            "the outgoing server name your provider lists (often smtp. and your address's part after the @)".into()
        });
        let port = outgoing.map_or_else(
            || "the port your provider lists (usually 587)".into(),
            |endpoint| endpoint.port.to_string(),
        );
        let security = outgoing.map_or_else(
            || "the encryption your provider lists (usually STARTTLS)".into(),
            |endpoint| endpoint.security.label().to_string(),
        );
        let username = match (&self.email, self.provider.map(|p| p.username)) {
            (Some(email), Some(Username::LocalPart)) => {
                email.split('@').next().unwrap_or(email).to_string()
            }
            (Some(email), _) => email.clone(),
            (None, _) => "your full email address".into(),
        };
        let mut filled = text
            .replace("{host}", &host)
            .replace("{port}", &port)
            .replace("{security}", &security)
            .replace("{username}", &username);
        // Built only where used: most steps have neither.
        if filled.contains("{auth_method}") {
            filled = filled.replace("{auth_method}", &self.auth_method(client));
        }
        if filled.contains("{password_hint}") {
            filled = filled.replace("{password_hint}", &self.password_hint());
        }
        if filled.contains("{oauth_fallback}") {
            filled = filled.replace("{oauth_fallback}", &self.oauth_fallback(client));
        }
        filled
    }

    /// One sentence for OAuth2 steps: what to do when the program has no OAuth2 choice
    /// (an app password where the provider takes one; otherwise, that it cannot send).
    fn oauth_fallback(&self, client: Option<&Client>) -> String {
        let name = self.short_name();
        let words = client.and_then(|client| client.auth_words.as_ref());
        // Programs without an OAuth2 choice in their server settings sign in on the
        // provider's page only for an account added under the provider's name.
        let missing = match words.and_then(|words| words.oauth2.as_deref()) {
            Some(oauth2) => format!("If {oauth2} is not offered"),
            None => "If your provider is not offered by name".to_string(),
        };
        match (self.password_login(), words) {
            (PasswordLogin::OAuthOrAppPassword, Some(words)) => format!(
                "{missing}, choose {} instead and type {} as the password.",
                words.password,
                self.password_hint()
            ),
            (PasswordLogin::OAuthOrAppPassword, None) => format!(
                "{missing}, set the account up by hand (IMAP) and type {} as the password.",
                self.password_hint()
            ),
            _ => format!(
                "{missing}, this version of the program cannot send through {name}, which \
                 refuses every password from mail programs: update the program or use another \
                 one."
            ),
        }
    }

    /// The provider's name without its bracketed aside ("Gmail", not "Gmail (Google)").
    fn short_name(&self) -> &str {
        self.provider.map_or("your provider", |provider| {
            provider
                .name
                .split(" (")
                .next()
                .unwrap_or(&provider.name)
                .trim()
        })
    }

    /// The sign-in choice to pick in `client`, in its own words where known.
    fn auth_method(&self, client: Option<&Client>) -> String {
        let words = client.and_then(|client| client.auth_words.as_ref());
        if self.password_login().wants_oauth() {
            let provider = self.provider.map_or("your provider", |p| p.name.as_str());
            return match words.and_then(|words| words.oauth2.as_deref()) {
                Some(oauth2) => oauth2.to_string(),
                None => format!("the choice that signs in on {provider}'s own page (OAuth2)"),
            };
        }
        words.map_or_else(|| "password".to_string(), |words| words.password.clone())
    }

    /// What to type as the password, in a phrase that fits "type …".
    fn password_hint(&self) -> String {
        if self.provider.is_none() {
            return "your email password (or the app password your provider gave you for mail \
                    programs, if it did)"
                .into();
        }
        let name = self.short_name();
        match (
            self.password_login(),
            self.provider.and_then(|p| p.code_rule(self.today)),
        ) {
            (PasswordLogin::Accepted | PasswordLogin::Unknown, _) => {
                "the same password you use for incoming mail".into()
            }
            (PasswordLogin::OAuthOnly, _) => format!(
                "no password at all: {name} refuses every password from mail programs, so the \
                 program must sign in on {name}'s own page (OAuth2)"
            ),
            (_, Some(rule)) => {
                let at = rule
                    .url
                    .as_deref()
                    .map(|url| format!(" you create at {url}"))
                    .unwrap_or_else(|| format!(" you create in your {name} account settings"));
                match rule.method {
                    SigninMethod::Bridge | SigninMethod::ProviderToken => {
                        let works = self
                            .provider
                            .map(|p| p.working_methods(self.today))
                            .unwrap_or_default();
                        let bridge = works.contains(&SigninMethod::Bridge).then(|| {
                            format!("the password the {name} bridge program shows for this mailbox")
                        });
                        let token = works
                            .contains(&SigninMethod::ProviderToken)
                            .then(|| format!("a token you create in your {name} settings"));
                        let ways: Vec<String> = bridge.into_iter().chain(token).collect();
                        format!(
                            "{} (your {name} account password is refused)",
                            ways.join(", or ")
                        )
                    }
                    method => format!(
                        "an {}{at} (your normal {name} password is refused)",
                        method.label()
                    ),
                }
            }
            (_, None) => format!("the password {name} gives you for mail programs"),
        }
    }
}

/// One step as shown: plain advice, or a block of client-specific steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepView {
    Say(String),
    ClientTask {
        client: String,
        title: String,
        steps: Vec<String>,
        note: Option<String>,
    },
}

/// A conclusion, ready to show.
#[derive(Debug, Clone)]
pub struct SolutionView<'k> {
    pub node: &'k str,
    pub title: String,
    pub cause: Option<&'k Cause>,
    pub text: String,
    pub steps: Vec<StepView>,
    pub server_fix: Option<String>,
    /// Hand-offs: who to contact and what to tell them.
    pub contact: Option<String>,
    pub tell: Option<String>,
    pub client: &'k Client,
}

/// The client to write steps for: the one asked for, the one in the facts, or the generic one.
pub fn pick_client<'k>(
    knowledge: &'k Knowledge,
    facts: &Facts,
    wanted: Option<&str>,
) -> Option<&'k Client> {
    wanted
        .or(facts.get("client.id").map(String::as_str))
        .and_then(|id| knowledge.client(id))
        .or_else(|| knowledge.client("other"))
        .or_else(|| knowledge.clients.first())
}

/// A client's tasks in the order a person works through them, then any others a folder adds
/// (`kb show CLIENT` and the offline website list them so).
pub fn ordered_tasks(client: &Client) -> Vec<&str> {
    const ORDER: [&str; 6] = [
        "find-outgoing-settings",
        "enable-smtp-auth",
        "set-server-port-security",
        "update-password",
        "check-mail-first",
        "disable-pop-before-smtp",
    ];
    ORDER
        .iter()
        .copied()
        .filter(|task| client.tasks.contains_key(*task))
        .chain(
            client
                .tasks
                .keys()
                .map(String::as_str)
                .filter(|task| !ORDER.contains(task)),
        )
        .collect()
}

/// The steps of one client task, filled in and made safe to print.
pub fn task_view(client: &Client, task: &str, target: &TargetSettings<'_>) -> Option<StepView> {
    let task = client.tasks.get(task)?;
    let (steps, note) = task_variant(task, target.password_login());
    Some(StepView::ClientTask {
        client: for_terminal(&client.name),
        title: for_terminal(&task.title),
        steps: steps
            .iter()
            .map(|step| for_terminal(&target.fill_for(step, Some(client))))
            .collect(),
        note: note.map(|note| for_terminal(&target.fill_for(note, Some(client)))),
    })
}

/// The steps to show: the OAuth2 ones when the provider wants sign-in on its own page and
/// the task has them, the password ones otherwise.
fn task_variant(task: &Task, login: PasswordLogin) -> (&[String], Option<&str>) {
    match (&task.oauth2_steps, login.wants_oauth()) {
        (Some(steps), true) => (steps, task.oauth2_note.as_deref()),
        _ => (&task.steps, task.note.as_deref()),
    }
}

pub fn solution_view<'k>(
    knowledge: &'k Knowledge,
    node: NodeId,
    facts: &Facts,
    client: &'k Client,
) -> SolutionView<'k> {
    let target = TargetSettings::from_facts(knowledge, facts);
    let node = knowledge.node(node);
    let (steps, server_fix, contact, tell) = match &node.body {
        NodeBody::Solution {
            steps, server_fix, ..
        } => (steps.as_slice(), server_fix.clone(), None, None),
        NodeBody::Handoff {
            steps,
            contact,
            tell,
            ..
        } => (
            steps.as_slice(),
            None,
            Some(contact.clone()),
            Some(tell.clone()),
        ),
        _ => (&[][..], None, None, None),
    };
    let steps = steps
        .iter()
        .filter_map(|step| match step {
            Step::Say(text) => Some(StepView::Say(for_terminal(
                &target.fill_for(text, Some(client)),
            ))),
            Step::ClientTask(task) => task_view(client, task, &target),
        })
        .collect();
    SolutionView {
        node: &node.id,
        title: for_terminal(node.label()),
        cause: knowledge.cause_of(knowledge.node_id(&node.id).unwrap_or_default()),
        text: for_terminal(&node.text),
        steps,
        server_fix: server_fix.map(|fix| for_terminal(&fix)),
        contact: contact.map(|c| for_terminal(&c)),
        tell: tell.map(|t| for_terminal(&t)),
        client,
    }
}

/// Renders a solution as plain text (for the plain wizard and `kb show`).
pub fn solution_text(view: &SolutionView<'_>, width: usize) -> String {
    let mut out = String::new();
    let wrap = |text: &str, indent: &str| -> String {
        let options = textwrap::Options::new(width.max(20))
            .initial_indent(indent)
            .subsequent_indent(indent);
        textwrap::fill(text.trim(), options)
    };
    out.push_str(&format!("{}\n", view.title));
    if let Some(cause) = view.cause {
        out.push_str(&wrap(
            &format!("Cause: {} ({}) — {}", cause.title, cause.id, cause.summary),
            "",
        ));
        out.push('\n');
    }
    out.push('\n');
    for paragraph in view.text.split("\n\n") {
        out.push_str(&wrap(&paragraph.replace('\n', " "), ""));
        out.push_str("\n\n");
    }
    let mut number = 0;
    for step in &view.steps {
        number += 1;
        match step {
            StepView::Say(text) => {
                out.push_str(&wrap(text, "    ").replacen("    ", &format!("{number:>2}. "), 1));
                out.push('\n');
            }
            StepView::ClientTask {
                client,
                title,
                steps,
                note,
            } => {
                out.push_str(&format!("{number:>2}. {title} — in {client}:\n"));
                for (index, step) in steps.iter().enumerate() {
                    let letter = char::from(b'a' + (index % 26) as u8);
                    let text = wrap(&step.replace("**", ""), "       ");
                    out.push_str(&text.replacen("       ", &format!("    {letter}) "), 1));
                    out.push('\n');
                }
                if let Some(note) = note {
                    out.push_str(&wrap(
                        &format!("Note: {}", note.replace("**", "")),
                        "       ",
                    ));
                    out.push('\n');
                }
            }
        }
    }
    if let Some(fix) = &view.server_fix {
        out.push_str("\nServer configuration:\n");
        for line in fix.lines() {
            out.push_str(&format!("    {line}\n"));
        }
    }
    if let Some(contact) = &view.contact {
        out.push_str(&format!("\nWho to contact: {contact}\n"));
    }
    if let Some(tell) = &view.tell {
        out.push_str("What to tell them (copy this):\n");
        out.push_str(&wrap(&tell.replace('\n', " "), "    "));
        out.push('\n');
    }
    out
}

/// Why the wizard concluded what it did, for the solution screens: the evidence for the
/// cause shown, anything against it, and the runner-up; or, when the evidence did not single
/// one cause out, the causes still possible, each with the one thing that tells it apart.
#[derive(Debug, Clone, PartialEq)]
pub struct Reasoning {
    pub decided: bool,
    pub support: Vec<String>,
    pub against: Vec<String>,
    /// Title and confidence (0..1) of the next most likely cause.
    pub runner_up: Option<(String, f64)>,
    /// Undecided: (title, confidence, what to try) of the causes still in play.
    pub contenders: Vec<(String, f64, Option<String>)>,
}

/// The reasoning behind the conclusion at `node`, from the facts the wizard holds; none for a
/// hand-off the evidence did not override (it says itself who can tell).
pub fn reasoning(
    knowledge: &Knowledge,
    node: NodeId,
    facts: &Facts,
    decided: bool,
) -> Option<Reasoning> {
    if !decided && matches!(knowledge.node(node).body, NodeBody::Handoff { .. }) {
        return None;
    }
    let clues = facts
        .get("error.text")
        .filter(|text| text.as_str() != crate::knowledge::model::UNKNOWN)
        .map(|text| crate::diagnosis::read_text(knowledge, text))
        .unwrap_or_default();
    let ranking = crate::diagnosis::rank(knowledge, facts, &clues);
    let shown = knowledge
        .cause_of(node)
        .and_then(|cause| knowledge.cause_index(&cause.id));
    let title = |index: usize| for_terminal(&knowledge.causes[index].title);
    let own = ranking.assessments.iter().find(|a| Some(a.cause) == shown);
    let runner_up = ranking
        .assessments
        .iter()
        .filter(|a| a.ruled_out.is_none() && Some(a.cause) != shown)
        .find(|a| a.confidence > 0.0)
        .map(|a| (title(a.cause), a.confidence));
    let contenders = if decided {
        Vec::new()
    } else {
        ranking
            .contenders(3)
            .map(|a| {
                let cause = &knowledge.causes[a.cause];
                (
                    title(a.cause),
                    a.confidence,
                    cause.tell_apart.as_deref().map(for_terminal),
                )
            })
            .collect()
    };
    Some(Reasoning {
        decided,
        support: own
            .map(|a| a.support.iter().map(|r| for_terminal(&r.why)).collect())
            .unwrap_or_default(),
        against: own
            .map(|a| a.against.iter().map(|r| for_terminal(&r.why)).collect())
            .unwrap_or_default(),
        runner_up,
        contenders,
    })
}

/// A confidence as a person reads it.
pub fn percent(confidence: f64) -> String {
    format!("{:.0} %", (confidence * 100.0).round())
}

/// The reasoning as plain text, wrapped to `width` (plain wizard, `wizard` without a terminal).
pub fn reasoning_text(reasoning: &Reasoning, width: usize) -> String {
    let options = |indent: &'static str| {
        textwrap::Options::new(width.max(20))
            .initial_indent(indent)
            .subsequent_indent("     ")
    };
    let bullet = |text: &str| textwrap::fill(text, options("   • ")) + "\n";
    let mut out = String::new();
    if reasoning.decided {
        out.push_str("Why this answer\n");
        for why in reasoning.support.iter().take(4) {
            out.push_str(&bullet(why));
        }
        for why in reasoning.against.iter().take(2) {
            out.push_str(&bullet(&format!("Against it: {why}")));
        }
        if let Some((title, confidence)) = &reasoning.runner_up {
            out.push_str(&bullet(&format!(
                "Next most likely: {title} ({})",
                percent(*confidence)
            )));
        }
    } else {
        out.push_str("Not sure yet\n");
        out.push_str(&textwrap::fill(
            "Your answers do not single out one cause. These are still possible, most likely \
             first, each with one thing to try that tells it apart:",
            options("   "),
        ));
        out.push('\n');
        for (title, confidence, try_this) in &reasoning.contenders {
            out.push_str(&bullet(&format!("{title} ({})", percent(*confidence))));
            if let Some(try_this) = try_this {
                out.push_str(&textwrap::fill(try_this, options("     ")));
                out.push('\n');
            }
        }
    }
    out
}

/// A solution's steps as plain sentences, in order (a client task's own steps one by one),
/// for `wizard --json`.
pub fn step_lines(view: &SolutionView<'_>) -> Vec<String> {
    view.steps
        .iter()
        .flat_map(|step| match step {
            StepView::Say(text) => vec![text.clone()],
            StepView::ClientTask { steps, .. } => {
                steps.iter().map(|step| step.replace("**", "")).collect()
            }
        })
        .collect()
}
