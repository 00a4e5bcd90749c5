//! `relaydoc wizard` (and bare `relaydoc`): the full-screen TUI on a terminal, plain prompts
//! with `--plain`, or a non-interactive walk from known facts with `--json`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::{GlobalArgs, interactive, load_knowledge, report_diagnostics, terminal_width};
use crate::checks::runner::{LiveChecks, SharedLiveChecks};
use crate::checks::smtp::tls::Trust;
use crate::engine::{Wizard, walk};
use crate::exit;
use crate::plain::{self, Ending};
use crate::prefill;
use crate::present::{pick_client, solution_text, solution_view};

#[derive(Debug, Default, Args)]
#[command(after_help = "\
Examples:
  relaydoc wizard                                   ask questions in this terminal
  relaydoc wizard --fact client.id=thunderbird      skip the questions you already answered
  relaydoc wizard --facts caller.yaml --json        no questions: walk from facts, print JSON

A facts file is a YAML mapping, e.g.:
  error.where: client
  client.smtp_auth: off

With --json (or without a terminal) nothing is asked: a question whose fact is missing takes
its \"I don't know\" branch, and the fact is listed under \"missing\".")]
pub struct WizardArgs {
    /// Use simple line-by-line prompts
    #[arg(long)]
    pub plain: bool,

    /// A fact already known, as KEY=VALUE (repeatable); see `relaydoc kb show facts`
    #[arg(long = "fact", value_name = "KEY=VALUE")]
    pub facts: Vec<String>,

    /// A YAML file of known facts (`key: value` lines)
    #[arg(long = "facts", value_name = "FILE")]
    pub facts_file: Option<PathBuf>,

    /// Do not ask anything: walk from the facts and print the result as JSON
    #[arg(long)]
    pub json: bool,

    /// Trust this CA certificate (PEM) in live checks, e.g. a company's private CA
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
}

pub fn run(args: WizardArgs, global: &GlobalArgs) -> ExitCode {
    let knowledge = match load_knowledge(global) {
        Ok(knowledge) => knowledge,
        Err(code) => return code,
    };
    let facts = match prefill::collect(&knowledge.facts, args.facts_file.as_deref(), &args.facts) {
        Ok(facts) => facts,
        Err(problems) => {
            report_diagnostics(&problems);
            eprintln!(
                "relaydoc: see the known facts and their values with `relaydoc kb show facts`"
            );
            return exit::code(exit::BAD_INPUT);
        }
    };
    let given_facts = !facts.is_empty();

    if args.json || !interactive() {
        if !args.json && !given_facts {
            eprintln!(
                "relaydoc: the wizard asks questions and needs a terminal.\n\
                 Without one, give what you know as facts and ask for JSON, e.g.\n  \
                 relaydoc wizard --fact error.where=client --fact client.smtp_auth=off --json\n\
                 (see `relaydoc wizard --help`)"
            );
            return exit::code(exit::NO_TERMINAL);
        }
        // Without a person nothing goes over the network; reading the error text is offline.
        let outcome = walk(&knowledge, facts.clone(), |request| {
            crate::checks::runner::run_offline(&knowledge, request)
        });
        if args.json {
            return match serde_json::to_string_pretty(&outcome) {
                Ok(json) => {
                    outln!("{json}");
                    exit::code(if outcome.cause.is_some() {
                        exit::OK
                    } else {
                        exit::PROBLEM
                    })
                }
                Err(error) => {
                    eprintln!("relaydoc: {error}");
                    exit::code(exit::BAD_INPUT)
                }
            };
        }
        let node = knowledge.node_id(&outcome.node).unwrap_or(knowledge.start);
        if let Some(client) = pick_client(&knowledge, &facts, None) {
            out!(
                "{}",
                solution_text(
                    &solution_view(&knowledge, node, &facts, client),
                    terminal_width()
                )
            );
        }
        if !outcome.missing.is_empty() {
            outln!(
                "\n(Answered \"don't know\" for: {})",
                outcome.missing.join(", ")
            );
        }
        return exit::code(exit::OK);
    }

    if !args.plain {
        return run_tui(knowledge, facts, &args, global);
    }

    let (mut wizard, effects) = Wizard::new(&knowledge, facts);
    outln!(
        "relaydoc — let's find out why your mail is refused.\n\
         Answer one question at a time; \"I don't know\" is always fine."
    );
    let (dns, ca) = match live_settings(&args, global) {
        Ok(settings) => settings,
        Err(code) => return code,
    };
    let mut checks = LiveChecks {
        knowledge: &knowledge,
        dns,
        ca,
    };
    let mut stdout = std::io::stdout();
    match plain::run(
        &mut wizard,
        effects,
        &mut checks,
        &mut stdout,
        terminal_width(),
        global.color.enabled(),
    ) {
        Ok(Ending::Concluded(_)) => exit::code(exit::OK),
        Ok(Ending::Quit) => {
            outln!("Stopped. Run `relaydoc` again any time.");
            exit::code(exit::INTERRUPTED)
        }
        Err(error) => super::report_io(error),
    }
}

/// The full-screen wizard. Nothing is printed while it owns the screen; one closing line after.
fn run_tui(
    knowledge: crate::knowledge::Knowledge,
    facts: crate::engine::Facts,
    args: &WizardArgs,
    global: &GlobalArgs,
) -> ExitCode {
    let (dns, ca) = match live_settings(args, global) {
        Ok(settings) => settings,
        Err(code) => return code,
    };
    // Checks run on worker threads, so they share the knowledge (explain needs its signatures).
    let knowledge = std::sync::Arc::new(knowledge);
    let options = crate::tui::Options {
        color: global.color.enabled(),
        checks: std::sync::Arc::new(SharedLiveChecks {
            knowledge: std::sync::Arc::clone(&knowledge),
            dns,
            ca,
        }),
    };
    match crate::tui::run(&knowledge, facts, options) {
        Ok(crate::tui::Ending::Concluded(node)) => {
            outln!("relaydoc: read the answer again any time with `relaydoc kb show {node}`.");
            exit::code(exit::OK)
        }
        Ok(crate::tui::Ending::Quit) => exit::code(exit::OK),
        Ok(crate::tui::Ending::Interrupted) => exit::code(exit::INTERRUPTED),
        Err(error) => {
            eprintln!("relaydoc: the screen could not be drawn: {error}");
            eprintln!("relaydoc: try `relaydoc wizard --plain` for simple prompts.");
            exit::code(exit::NO_TERMINAL)
        }
    }
}

/// The resolver and TLS trust live checks use, from `--dns-server`, `--timeout` and
/// `--ca-file`; bad values are reported here, before any question is asked.
fn live_settings(
    args: &WizardArgs,
    global: &GlobalArgs,
) -> Result<(crate::checks::dns::DnsSettings, Option<Trust>), ExitCode> {
    let dns = super::check_dns::settings_from(global).map_err(|message| {
        eprintln!("relaydoc: {message}");
        exit::code(exit::BAD_INPUT)
    })?;
    let ca = args
        .ca_file
        .as_deref()
        .map(Trust::from_ca_file)
        .transpose()
        .map_err(|error| {
            eprintln!("relaydoc: --ca-file: {error}");
            exit::code(exit::BAD_INPUT)
        })?;
    Ok((dns, ca))
}
