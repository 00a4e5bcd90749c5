//! `relaydoc clients`, `relaydoc providers` and `relaydoc settings`: what relaydoc knows about
//! mail programs and providers, and one client's steps filled with a provider's settings.

use std::process::ExitCode;

use clap::Args;
use serde::Serialize;

use super::{GlobalArgs, load_knowledge, print_json};
use crate::exit;
use crate::knowledge::Knowledge;
use crate::knowledge::model::{Endpoint, Provider};
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
        }
        let rows: Vec<Row<'_>> = kb
            .clients
            .iter()
            .map(|c| Row {
                id: &c.id,
                name: &c.name,
                platform: &c.platform,
            })
            .collect();
        return print_json(&rows);
    }
    for client in &kb.clients {
        outln!(
            "{:<24} {} — {}",
            client.id,
            for_terminal(&client.name),
            for_terminal(&client.platform)
        );
    }
    outln!("\nSee one client's steps: `relaydoc settings CLIENT --email you@example.com`.");
    exit::code(exit::OK)
}

pub fn providers(args: ListArgs, global: &GlobalArgs) -> ExitCode {
    let kb = match load_knowledge(global) {
        Ok(kb) => kb,
        Err(code) => return code,
    };
    if args.json {
        let rows: Vec<SettingsReport<'_>> = kb.providers.iter().map(report_for).collect();
        return print_json(&rows);
    }
    for provider in &kb.providers {
        let outgoing = provider
            .outgoing
            .first()
            .map(|e| format!("{}:{} {}", e.host, e.port, security_label(e.security)))
            .unwrap_or_default();
        outln!(
            "{:<18} {:<28} {}",
            provider.id,
            for_terminal(&provider.name),
            outgoing
        );
    }
    exit::code(exit::OK)
}

/// The `settings --json` contract.
#[derive(Debug, Serialize)]
pub struct SettingsReport<'k> {
    pub provider: Option<&'k str>,
    pub source: Option<&'static str>,
    pub outgoing: Vec<&'k Endpoint>,
    pub incoming: Vec<&'k Endpoint>,
}

fn report_for(provider: &Provider) -> SettingsReport<'_> {
    SettingsReport {
        provider: Some(&provider.id),
        source: Some("catalogue"),
        outgoing: provider.outgoing.iter().collect(),
        incoming: provider.incoming.iter().collect(),
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
    if args.json {
        let report = match target.provider {
            Some(provider) => report_for(provider),
            None => SettingsReport {
                provider: None,
                source: None,
                outgoing: Vec::new(),
                incoming: Vec::new(),
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
}
