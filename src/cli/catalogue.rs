//! `relaydoc clients`, `relaydoc providers` and `relaydoc settings`: what relaydoc knows about
//! mail programs and providers, and one client's steps filled with a provider's settings.

use clap::Args;
use serde::Serialize;

use super::{CliError, CommandResult, GlobalArgs, Outcome, Phase, load_knowledge, print_json};
use crate::knowledge::Knowledge;
use crate::knowledge::model::{Endpoint, PasswordLogin, Provider, SigninMethod, SigninRule};
use crate::knowledge::raw::Username;
use crate::present::{StepView, TargetSettings, pick_client, task_view};
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
  relaydoc settings --email someone@example.com --export mobileconfig > example.mobileconfig
  relaydoc settings --email someone@example.com --offline   (no lookups online)

For an address relaydoc's catalogue does not know, the settings are looked up online, in the
order mail programs use: the domain's own autoconfig file, Thunderbird's ISPDB, Microsoft's
Autodiscover, the domain's SRV records, and a guess from its MX.
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
    /// Only relaydoc's own catalogue: look nothing up online (also RELAYDOC_OFFLINE=1)
    #[arg(long, env = "RELAYDOC_OFFLINE", value_parser = clap::builder::FalseyValueParser::new())]
    pub offline: bool,
    /// Write the settings as a file to hand out, on stdout: a Thunderbird autoconfig file or an
    /// Apple configuration profile (never with a password)
    #[arg(long, value_enum, value_name = "FORMAT", requires = "email")]
    pub export: Option<super::discover::ExportFormat>,
    #[command(flatten)]
    pub lookup: super::discover::LookupArgs,
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

pub fn clients(args: ListArgs, global: &GlobalArgs) -> CommandResult {
    let kb = load_knowledge(global)?;
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
        print_json(&rows)?;
        return Ok(Outcome::Ok);
    }
    crate::cli::snippet::print_clients_by_kind(&kb)?;
    outln!("See one client's steps: `relaydoc settings CLIENT --email you@example.com`.")?;
    Ok(Outcome::Ok)
}

pub fn providers(args: ListArgs, global: &GlobalArgs) -> CommandResult {
    let kb = load_knowledge(global)?;
    let today = crate::present::today();
    if args.json {
        let rows: Vec<ProviderRow<'_>> = kb
            .providers
            .iter()
            .map(|provider| ProviderRow {
                name: &provider.name,
                domains: &provider.domains,
                kind: provider.kind.map(|kind| kind.as_str()),
                region: provider.region.as_deref(),
                mx_suffixes: &provider.mx_suffixes,
                settings: report_for(provider, today),
            })
            .collect();
        print_json(&rows)?;
        return Ok(Outcome::Ok);
    }
    let rows: Vec<Vec<String>> = kb
        .providers
        .iter()
        .map(|provider| {
            let outgoing = provider
                .outgoing
                .first()
                .map(|e| format!("{}:{} {}", e.host, e.port, e.security.label()))
                .unwrap_or_default();
            vec![
                for_terminal(&provider.id),
                for_terminal(&provider.name),
                for_terminal(&outgoing),
                provider
                    .working_methods_text(today)
                    .map(|methods| for_terminal(&format!("sign-in: {methods}")))
                    .unwrap_or_default(),
            ]
        })
        .collect();
    let width = crate::cli::terminal_width();
    // id · name · outgoing server (kept whole while the name can give way) · sign-in.
    for line in crate::cli::table::layout(&[(18, 12), (30, 12), (36, 36)], &rows, width) {
        outln!("{line}")?;
    }
    outln!(
        "\nOne provider's settings and sign-in rules, with dates and sources:\n  \
         relaydoc settings --email you@example.com"
    )?;
    Ok(Outcome::Ok)
}

/// One `providers --json` entry: the `settings --json` shape plus the name and domains, and
/// (added) the kind, region and MX suffixes that find it.
#[derive(Debug, Serialize)]
struct ProviderRow<'k> {
    name: &'k str,
    domains: &'k [String],
    kind: Option<&'static str>,
    region: Option<&'k str>,
    mx_suffixes: &'k [String],
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
    /// (Added) the user name form: `full-address`, `local-part` or `other`; null when unknown.
    pub username: Option<Username>,
    /// (Added) where the settings come from: the catalogue entry's file and its source pages.
    pub origin: Option<OriginReport<'k>>,
    /// (Added) the online lookups, when the catalogue did not know the address: what was found
    /// and every source asked, with its outcome.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discovery: Option<&'k crate::discovery::Discovery>,
}

/// Where a setting came from: the catalogue file that holds it and the pages it cites.
#[derive(Debug, Serialize)]
pub struct OriginReport<'k> {
    pub entry: &'k str,
    pub file: &'k str,
    pub sources: &'k [String],
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
        username: Some(provider.username),
        origin: Some(OriginReport {
            entry: &provider.id,
            file: &provider.origin.file,
            sources: &provider.sources,
        }),
        discovery: None,
    }
}

/// The sign-in rules as people read them: what works today, then each rule with its dates,
/// the refusal the server gives, where to act, and the source.
fn print_signin(provider: &Provider, today: jiff::civil::Date) -> Result<(), CliError> {
    if provider.signin.is_empty() {
        return Ok(());
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
    outln!("Sign-in for sending (as of {today}): {verdict}.")?;
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
        )?;
        if let Some(when) = &rule.when {
            outln!("           when: {}", for_terminal(when))?;
        }
        if let Some(reply) = &rule.reply {
            outln!("           server says: {}", for_terminal(reply))?;
        }
        if let Some(url) = &rule.url {
            outln!("           where: {}", for_terminal(url))?;
        }
        outln!("           source: {}", for_terminal(&rule.source))?;
    }
    Ok(())
}

/// Where the settings above come from: the catalogue entry, its file, and the pages it cites.
fn print_origin(provider: &Provider) -> Result<(), CliError> {
    outln!(
        "Where these settings come from: relaydoc's catalogue, entry `{}` ({}).",
        provider.id,
        for_terminal(&provider.origin.file)
    )?;
    for source in &provider.sources {
        outln!("  source: {}", for_terminal(source))?;
    }
    Ok(())
}

pub fn print_provider(provider: &Provider) -> Result<(), CliError> {
    outln!("{} ({})", for_terminal(&provider.name), provider.id)?;
    if !provider.domains.is_empty() {
        outln!("Addresses: {}", provider.domains.join(", "))?;
    }
    print_servers(provider)?;
    print_signin(provider, crate::present::today())?;
    print_origin(provider)?;
    if let Some(notes) = &provider.notes {
        outln!(
            "\n{}",
            textwrap::fill(&for_terminal(notes).replace('\n', " "), 90)
        )?;
    }
    Ok(())
}

/// The outgoing and incoming servers, one line each, best first.
fn print_servers(provider: &Provider) -> Result<(), CliError> {
    let line = |e: &Endpoint| {
        format!(
            "{:<5} {}:{}  {}  auth: {}",
            e.protocol.map_or("smtp", |p| match p {
                crate::knowledge::raw::Protocol::Imap => "imap",
                crate::knowledge::raw::Protocol::Pop3 => "pop3",
                crate::knowledge::raw::Protocol::Smtp => "smtp",
            }),
            for_terminal(&e.host),
            e.port,
            e.security.label(),
            match e.auth {
                crate::knowledge::raw::AuthKind::Password => "password",
                crate::knowledge::raw::AuthKind::Oauth2 => "OAuth2 (sign in in the browser)",
                crate::knowledge::raw::AuthKind::PopBeforeSmtp => "check mail first",
                crate::knowledge::raw::AuthKind::None => "none",
            }
        )
    };
    outln!("Outgoing (best first):")?;
    for endpoint in &provider.outgoing {
        outln!("  {}", line(endpoint))?;
    }
    if !provider.incoming.is_empty() {
        outln!("Incoming:")?;
        for endpoint in &provider.incoming {
            outln!("  {}", line(endpoint))?;
        }
    }
    if provider.outgoing.is_empty() {
        outln!("  (none: this provider offers no outgoing server for mail programs)")?;
    }
    Ok(())
}

pub fn settings(args: SettingsArgs, global: &GlobalArgs) -> CommandResult {
    let kb = load_knowledge(global)?;
    if let Some(email) = &args.email
        && !email.contains('@')
    {
        return Err(CliError::bad_input(
            Phase::Arguments,
            format!(
                "--email `{}` is not an email address (it needs an @)",
                for_terminal(email)
            ),
        ));
    }
    if let Some(id) = &args.client
        && kb.client(id).is_none()
    {
        let hint = crate::knowledge::model::closest(id, kb.clients.iter().map(|c| c.id.as_str()))
            .map(|close| format!(" Did you mean `{close}`?"))
            .unwrap_or_default();
        return Err(CliError::bad_input(
            Phase::Arguments,
            format!(
                "no mail client has the id `{}`.{hint} See `relaydoc clients`.",
                for_terminal(id)
            ),
        ));
    }
    let mut target = TargetSettings::for_email(&kb, args.email.clone());
    // The catalogue first; online only for an address it does not know.
    let discovery = match (&args.email, target.provider) {
        (Some(email), None) if !args.offline => {
            let quiet = args.json || args.export.is_some();
            Some(super::discover::run(
                &kb,
                email,
                &args.lookup,
                global,
                quiet,
            )?)
        }
        _ => None,
    };
    let found = discovery.as_ref().and_then(|d| d.found.as_ref());
    // Settings found online that are a catalogue entry (by MX or Autodiscover) are shown as
    // that entry, with its sign-in rules; others as a provider of their own.
    let own = found
        .filter(|found| found.provider.is_none())
        .and_then(|found| {
            let domain = crate::discovery::domain_of(args.email.as_deref()?).ok()?;
            Some(crate::wizard::discovery::provider_from_found(
                found, &domain,
            ))
        });
    let entry = found
        .and_then(|found| found.provider.as_ref())
        .and_then(|id| kb.providers.iter().find(|p| &p.id == id));
    if let Some(provider) = entry.or(own.as_ref()) {
        target.provider = Some(provider);
    }
    if args.snippet {
        return crate::cli::snippet::print_only(&kb, &target, args.client.as_deref());
    }
    if let (Some(format), Some(email)) = (args.export, &args.email) {
        let from_catalogue = match (found, target.provider) {
            (None, Some(provider)) => Some(crate::wizard::discovery::found_from_provider(
                provider,
                crate::discovery::Source::Catalogue,
            )),
            _ => None,
        };
        return super::discover::export(
            format,
            found.or(from_catalogue.as_ref()),
            email,
            discovery.as_ref().is_some_and(|d| d.could_not_check()),
        );
    }
    let could_not_check = discovery.as_ref().is_some_and(|d| d.could_not_check());
    if args.json {
        let mut report = match target.provider {
            Some(provider) => report_for(provider, target.today),
            None => SettingsReport {
                provider: None,
                source: None,
                outgoing: Vec::new(),
                incoming: Vec::new(),
                signin: None,
                username: None,
                origin: None,
                discovery: None,
            },
        };
        if let Some(found) = found {
            report.source = Some(found.source.as_str());
            if found.provider.is_none() {
                // Not a catalogue entry: no entry, file or cited pages to name.
                report.provider = None;
                report.origin = None;
            }
        }
        report.discovery = discovery.as_ref();
        print_json(&report)?;
    } else {
        print_settings(&kb, &target, args.client.as_deref(), discovery.as_ref())?;
    }
    Ok(if could_not_check {
        Outcome::CouldNotCheck
    } else {
        Outcome::Ok
    })
}

fn print_settings(
    kb: &Knowledge,
    target: &TargetSettings<'_>,
    client: Option<&str>,
    discovery: Option<&crate::discovery::Discovery>,
) -> Result<(), CliError> {
    let found = discovery.and_then(|d| d.found.as_ref());
    match (target.provider, found, &target.email) {
        (Some(provider), Some(found), _) => {
            super::discover::print_found_header(found)?;
            outln!()?;
            if found.provider.is_some() {
                print_provider(provider)?;
            } else {
                outln!("{}", for_terminal(&provider.name))?;
                print_servers(provider)?;
            }
            outln!()?;
        }
        (Some(provider), None, _) => {
            print_provider(provider)?;
            outln!()?;
        }
        (None, _, Some(email)) => {
            let looked = match discovery {
                Some(d) if d.could_not_check() => {
                    " The online lookups could not be done (is the network up?); see below."
                }
                Some(_) => " Nothing was found online either (see below).",
                None => "",
            };
            outln!(
                "relaydoc does not know the provider of {};{looked} the steps use general \
                 wording. Your provider's help pages list the exact server names.\n",
                for_terminal(email)
            )?;
        }
        (None, _, None) => {}
    }
    if let Some(discovery) = discovery {
        super::discover::print_attempts(discovery)?;
        outln!()?;
    }
    let facts = Default::default();
    let Some(client) = pick_client(kb, &facts, client) else {
        return Ok(());
    };
    for task in SETTINGS_TASKS {
        if let Some(StepView::ClientTask {
            client,
            title,
            steps,
            note,
        }) = task_view(client, task, target)
        {
            outln!("{title} — {client}")?;
            for (index, step) in steps.iter().enumerate() {
                outln!("  {}. {}", index + 1, step.replace("**", ""))?;
            }
            if let Some(note) = note {
                outln!("  Note: {}", note.replace("**", ""))?;
            }
            outln!()?;
        }
    }
    crate::cli::snippet::print_with_steps(client, target)?;
    Ok(())
}
