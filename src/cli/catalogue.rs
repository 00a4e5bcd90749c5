//! `relaydoc clients`, `relaydoc providers` and `relaydoc settings`: what relaydoc knows about
//! mail programs and providers, and one client's steps filled with a provider's settings.

use std::process::ExitCode;

use clap::Args;
use serde::Serialize;

use super::{GlobalArgs, load_knowledge, print_json};
use crate::exit;
use crate::knowledge::Knowledge;
use crate::knowledge::model::{Endpoint, PasswordLogin, Provider, SigninMethod, SigninRule};
use crate::present::{StepView, TargetSettings, pick_client, security_label, task_view};
use crate::sanitize::for_terminal;

/// The tasks `settings` prints, in the order a person does them.
const SETTINGS_TASKS: &[&str] = &[
    "find-outgoing-settings",
    "set-server-port-security",
    "enable-smtp-auth",
];

#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  relaydoc settings thunderbird --email someone@gmail.com
  relaydoc settings --email someone@gmx.de --json
  relaydoc settings python-smtplib --email ops@example.com --snippet > send_test.py
  relaydoc clients          (the client ids)")]
pub struct SettingsArgs {
    /// The mail client (an id from `relaydoc clients`)
    pub client: Option<String>,
    /// Your email address: its provider's published settings are filled into the steps
    #[arg(long, value_name = "ADDR")]
    pub email: Option<String>,
    /// Print the provider's settings as JSON
    #[arg(long)]
    pub json: bool,
    /// Print only the client's ready-to-paste configuration or code (scripts, websites,
    /// servers), filled with the provider's settings
    #[arg(long, conflicts_with = "json", requires = "client")]
    pub snippet: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print as JSON
    #[arg(long)]
    pub json: bool,
}

pub fn clients(args: ListArgs, global: &GlobalArgs) -> ExitCode {
    let kb = match load_knowledge(global) {
        Ok(kb) => kb,
        Err(code) => return code,
    };
    if args.json {
        #[derive(Serialize)]
        struct Row<'a> {
            id: &'a str,
            name: &'a str,
            platform: &'a str,
            kind: Option<&'a str>,
        }
        let rows: Vec<Row<'_>> = kb
            .clients
            .iter()
            .map(|c| Row {
                id: &c.id,
                name: &c.name,
                platform: &c.platform,
                kind: c.kind.as_deref(),
            })
            .collect();
        return print_json(&rows);
    }
    crate::cli::snippet::print_clients_by_kind(&kb);
    outln!("See one client's steps: `relaydoc settings CLIENT --email you@example.com`.");
    exit::code(exit::OK)
}

pub fn providers(args: ListArgs, global: &GlobalArgs) -> ExitCode {
    let kb = match load_knowledge(global) {
        Ok(kb) => kb,
        Err(code) => return code,
    };
    let today = crate::present::today();
    if args.json {
        let rows: Vec<ProviderRow<'_>> = kb
            .providers
            .iter()
            .map(|provider| ProviderRow {
                name: &provider.name,
                domains: &provider.domains,
                settings: report_for(provider, today),
            })
            .collect();
        return print_json(&rows);
    }
    for provider in &kb.providers {
        let outgoing = provider
            .outgoing
            .first()
            .map(|e| format!("{}:{} {}", e.host, e.port, security_label(e.security)))
            .unwrap_or_default();
        outln!(
            "{:<18} {:<34} {:<36} {}",
            provider.id,
            for_terminal(&provider.name),
            outgoing,
            provider
                .working_methods_text(today)
                .map(|methods| format!("sign-in: {methods}"))
                .unwrap_or_default()
        );
    }
    outln!(
        "\nOne provider's settings and sign-in rules, with dates and sources: \
         `relaydoc settings --email you@example.com`."
    );
    exit::code(exit::OK)
}

/// One `providers --json` entry: the `settings --json` shape plus the name and domains.
#[derive(Debug, Serialize)]
struct ProviderRow<'k> {
    name: &'k str,
    domains: &'k [String],
    #[serde(flatten)]
    settings: SettingsReport<'k>,
}

/// The `settings --json` contract.
#[derive(Debug, Serialize)]
pub struct SettingsReport<'k> {
    pub provider: Option<&'k str>,
    pub source: Option<&'static str>,
    pub outgoing: Vec<&'k Endpoint>,
    pub incoming: Vec<&'k Endpoint>,
    /// How mail programs sign in to send, as of `signin.on`; null when nothing is known.
    pub signin: Option<SigninReport<'k>>,
}

/// The sign-in part of the settings report (added to the contract, nothing renamed).
#[derive(Debug, Serialize)]
pub struct SigninReport<'k> {
    /// The day the rules were read for.
    pub on: jiff::civil::Date,
    pub password_login: PasswordLogin,
    /// The methods that work that day.
    pub works: Vec<SigninMethod>,
    /// Every rule, dated, with its source.
    pub rules: &'k [SigninRule],
}

fn report_for(provider: &Provider, today: jiff::civil::Date) -> SettingsReport<'_> {
    SettingsReport {
        provider: Some(&provider.id),
        source: Some("catalogue"),
        outgoing: provider.outgoing.iter().collect(),
        incoming: provider.incoming.iter().collect(),
        signin: (!provider.signin.is_empty()).then(|| SigninReport {
            on: today,
            password_login: provider.password_login(today),
            works: provider.working_methods(today),
            rules: &provider.signin,
        }),
    }
}

/// The sign-in rules as people read them: what works today, then each rule with its dates,
/// the refusal the server gives, where to act, and the source.
fn print_signin(provider: &Provider, today: jiff::civil::Date) {
    if provider.signin.is_empty() {
        return;
    }
    let verdict = match provider.password_login(today) {
        PasswordLogin::Accepted => "your normal password works",
        PasswordLogin::AppPasswordOnly => "your normal password is refused; use an app password",
        PasswordLogin::OAuthOnly => {
            "no password works; the program must sign in on the provider's page (OAuth2)"
        }
        PasswordLogin::OAuthOrAppPassword => {
            "your normal password is refused; sign in on the provider's page (OAuth2) or use an app password"
        }
        PasswordLogin::ProviderToken => {
            "your normal password is refused; use the password or token the provider gives you"
        }
        PasswordLogin::Unknown => "not known for today",
    };
    outln!("Sign-in for sending (as of {today}): {verdict}.");
    for rule in &provider.signin {
        let dates = match (rule.since, rule.until) {
            (Some(since), Some(until)) => format!("from {since} until {until}"),
            (Some(since), None) => format!("since {since}"),
            (None, Some(until)) => format!("until {until}"),
            (None, None) => String::new(),
        };
        let state = if rule.works { "works" } else { "refused" };
        let now = if rule.holds_on(today) {
            ""
        } else {
            " [not in force today]"
        };
        outln!(
            "  {:<8} {}{}{now}",
            state,
            rule.method.label(),
            if dates.is_empty() {
                String::new()
            } else {
                format!(" — {dates}")
            },
        );
        if let Some(when) = &rule.when {
            outln!("           when: {}", for_terminal(when));
        }
        if let Some(reply) = &rule.reply {
            outln!("           server says: {}", for_terminal(reply));
        }
        if let Some(url) = &rule.url {
            outln!("           where: {}", for_terminal(url));
        }
        outln!("           source: {}", for_terminal(&rule.source));
    }
}

pub fn print_provider(provider: &Provider) {
    outln!("{} ({})", for_terminal(&provider.name), provider.id);
    if !provider.domains.is_empty() {
        outln!("Addresses: {}", provider.domains.join(", "));
    }
    let line = |e: &Endpoint| {
        format!(
            "{:<5} {}:{}  {}  auth: {}",
            e.protocol.map_or("smtp", |p| match p {
                crate::knowledge::raw::Protocol::Imap => "imap",
                crate::knowledge::raw::Protocol::Pop3 => "pop3",
                crate::knowledge::raw::Protocol::Smtp => "smtp",
            }),
            e.host,
            e.port,
            security_label(e.security),
            match e.auth {
                crate::knowledge::raw::AuthKind::Password => "password",
                crate::knowledge::raw::AuthKind::Oauth2 => "OAuth2 (sign in in the browser)",
                crate::knowledge::raw::AuthKind::PopBeforeSmtp => "check mail first",
                crate::knowledge::raw::AuthKind::None => "none",
            }
        )
    };
    outln!("Outgoing (best first):");
    for endpoint in &provider.outgoing {
        outln!("  {}", line(endpoint));
    }
    if !provider.incoming.is_empty() {
        outln!("Incoming:");
        for endpoint in &provider.incoming {
            outln!("  {}", line(endpoint));
        }
    }
    print_signin(provider, crate::present::today());
    if let Some(notes) = &provider.notes {
        outln!(
            "\n{}",
            textwrap::fill(&for_terminal(notes).replace('\n', " "), 90)
        );
    }
}

pub fn settings(args: SettingsArgs, global: &GlobalArgs) -> ExitCode {
    let kb = match load_knowledge(global) {
        Ok(kb) => kb,
        Err(code) => return code,
    };
    if let Some(email) = &args.email
        && !email.contains('@')
    {
        eprintln!(
            "relaydoc: --email `{}` is not an email address (it needs an @)",
            for_terminal(email)
        );
        return exit::code(exit::BAD_INPUT);
    }
    if let Some(id) = &args.client
        && kb.client(id).is_none()
    {
        let hint = crate::knowledge::model::closest(id, kb.clients.iter().map(|c| c.id.as_str()))
            .map(|close| format!(" Did you mean `{close}`?"))
            .unwrap_or_default();
        eprintln!(
            "relaydoc: no mail client has the id `{}`.{hint} See `relaydoc clients`.",
            for_terminal(id)
        );
        return exit::code(exit::BAD_INPUT);
    }
    let target = TargetSettings::for_email(&kb, args.email.clone());
    if args.snippet {
        return crate::cli::snippet::print_only(&kb, &target, args.client.as_deref());
    }
    if args.json {
        let report = match target.provider {
            Some(provider) => report_for(provider, target.today),
            None => SettingsReport {
                provider: None,
                source: None,
                outgoing: Vec::new(),
                incoming: Vec::new(),
                signin: None,
            },
        };
        return print_json(&report);
    }
    print_settings(&kb, &target, args.client.as_deref());
    exit::code(exit::OK)
}

fn print_settings(kb: &Knowledge, target: &TargetSettings<'_>, client: Option<&str>) {
    match (target.provider, &target.email) {
        (Some(provider), _) => {
            print_provider(provider);
            outln!();
        }
        (None, Some(email)) => outln!(
            "relaydoc does not know the provider of {}; the steps use general wording. Your \
             provider's help pages list the exact server names.\n",
            for_terminal(email)
        ),
        (None, None) => {}
    }
    let facts = Default::default();
    let Some(client) = pick_client(kb, &facts, client) else {
        return;
    };
    for task in SETTINGS_TASKS {
        if let Some(StepView::ClientTask {
            client,
            title,
            steps,
            note,
        }) = task_view(client, task, target)
        {
            outln!("{title} — {client}");
            for (index, step) in steps.iter().enumerate() {
                outln!("  {}. {}", index + 1, step.replace("**", ""));
            }
            if let Some(note) = note {
                outln!("  Note: {}", note.replace("**", ""));
            }
            outln!();
        }
    }
    crate::cli::snippet::print_with_steps(client, target);
}
