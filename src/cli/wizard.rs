//! `relaydoc wizard` (and bare `relaydoc`): the full-screen TUI on a terminal, plain prompts
//! with `--plain`, or a non-interactive walk from known facts with `--json`.

use std::path::PathBuf;

use clap::Args;

use super::{
    CliError, CommandResult, GlobalArgs, Outcome, Phase, interactive, load_knowledge,
    terminal_width,
};
use crate::checks::smtp::tls::Trust;
use crate::engine::walk_on;
use crate::plain::{self, Ending};
use crate::prefill;
use crate::present::{pick_client, solution_text, solution_view};
use crate::session::recorder::Details;
use crate::session::{Mode, Recorder, Store, SystemClock};
use crate::wizard::live::LiveChecks;

#[derive(Debug, Default, Args)]
#[command(after_help = "\
Examples:
  relaydoc wizard                                   ask questions in this terminal
  relaydoc wizard --fact client.id=thunderbird      skip the questions you already answered
  relaydoc wizard --facts caller.yaml --json        no questions: walk from facts, print JSON
  relaydoc wizard --agent --caller \"J. Doe 4711\"   helpdesk: scripts to read out, notes

Every run is saved as a session after each step (see `relaydoc sessions --help`); --no-save
turns that off for one run. Passwords are never saved.

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

    /// Helpdesk mode: show what to say to the caller, take notes, give a ticket summary
    #[arg(long)]
    pub agent: bool,

    /// Who is calling (a name or ticket number), for the session record
    #[arg(long, value_name = "TEXT")]
    pub caller: Option<String>,

    /// Do not save this run as a session
    #[arg(long)]
    pub no_save: bool,
}

pub fn run(args: WizardArgs, global: &GlobalArgs) -> CommandResult {
    let knowledge = load_knowledge(global)?;
    let facts = prefill::collect(&knowledge.facts, args.facts_file.as_deref(), &args.facts)
        .map_err(|problems| {
            CliError::invalid(
                Phase::Input,
                &problems,
                "see the known facts and their values with `relaydoc kb show facts`",
            )
        })?;
    let given_facts = !facts.is_empty();
    let (_, config) = super::load_config(global)?;

    if args.json || !interactive() {
        if !args.json && !given_facts {
            return Err(CliError::NoTerminal(String::from(
                "the wizard asks questions and needs a terminal.\n\
                 Without one, give what you know as facts and ask for JSON, e.g.\n  \
                 relaydoc wizard --fact error.where=client --fact client.smtp_auth=off --json\n\
                 (see `relaydoc wizard --help`)",
            )));
        }
        let store = session_store(args.no_save, &config)?;
        let (mut recorder, effects) = Recorder::start(
            &knowledge,
            facts.clone(),
            mode_of(&args, &facts),
            details_of(&args, &config),
            store,
            Box::new(SystemClock),
        );
        // Without a person nothing goes over the network; reading the error text is offline.
        recorder.hold_saves();
        let stuck = walk_on(&mut recorder, effects, |request| {
            crate::wizard::run_offline(&knowledge, request)
        })
        .err();
        recorder.release_saves();
        if let Some(problem) = recorder.take_save_problem() {
            eprintln!("relaydoc: {problem}");
        }
        let mut outcome = recorder.wizard().outcome();
        if let Some(stuck) = &stuck {
            outcome.stopped = Some(stuck.reason());
        }
        let decided = recorder.wizard().decided();
        let node = knowledge.node_id(&outcome.node).unwrap_or(knowledge.start);
        let client = pick_client(&knowledge, &facts, None);
        if let Some(client) = client
            && knowledge.node(node).is_terminal()
        {
            let view = solution_view(&knowledge, node, recorder.wizard().facts(), client);
            outcome.solution = Some(crate::engine::SolutionSteps {
                id: view.node.to_string(),
                title: view.title.clone(),
                steps: crate::present::step_lines(&view),
            });
        }
        if args.json {
            super::print_json(&outcome)?;
            return Ok(Outcome::ok_if(outcome.cause.is_some()));
        }
        let known = recorder.wizard().facts();
        if let Some(client) = client {
            out!(
                "{}",
                solution_text(
                    &solution_view(&knowledge, node, known, client),
                    terminal_width()
                )
            )?;
            if let Some(reasoning) = crate::present::reasoning(&knowledge, node, known, decided) {
                out!(
                    "\n{}",
                    crate::present::reasoning_text(&reasoning, terminal_width())
                )?;
            }
            let differences = crate::wizard::yours::for_facts(&knowledge, known);
            if let Some(text) = crate::wizard::yours::text(&differences) {
                out!("\n{text}")?;
            }
        }
        if !outcome.missing.is_empty() {
            outln!(
                "\n(Answered \"don't know\" for: {})",
                outcome.missing.join(", ")
            )?;
        }
        if let Some(why) = &outcome.stopped {
            eprintln!("relaydoc: the wizard stopped without an answer: {why}");
            return Ok(Outcome::Problem);
        }
        return Ok(Outcome::Ok);
    }

    if !args.plain {
        return run_tui(knowledge, facts, &args, &config, global);
    }

    let (dns, ca) = live_settings(args.ca_file.as_deref(), global)?;
    let store = session_store(args.no_save, &config)?;
    let mode = mode_of(&args, &facts);
    let mut details = details_of(&args, &config);
    if mode == Mode::Agent {
        outln!(
            "relaydoc helpdesk mode — read out the \"Say to the caller\" lines; pick \
             \"Add a note\" at any question to note something for the ticket."
        )?;
        if details.caller.is_none() {
            details.caller = ask_caller();
        }
    } else {
        outln!(
            "relaydoc — let's find out why your mail is refused.\n\
             Answer one question at a time; \"I don't know\" is always fine."
        )?;
    }
    let knowledge = std::sync::Arc::new(knowledge);
    let checks = LiveChecks {
        knowledge: std::sync::Arc::clone(&knowledge),
        dns,
        ca,
    };
    let (mut recorder, effects) = Recorder::start(
        &knowledge,
        facts,
        mode,
        details,
        store,
        Box::new(SystemClock),
    );
    let sender = crate::session::mail::ConfiguredSender::from_config(&config);
    run_plain(&mut recorder, effects, checks, sender, global)
}

/// Picks a saved session up again: its steps are replayed, then the questions go on.
pub(super) fn resume(
    store: &Store,
    config: &crate::config::Config,
    id: &str,
    plain: bool,
    ca_file: Option<PathBuf>,
    global: &GlobalArgs,
) -> CommandResult {
    let session = store
        .load(id)
        .map_err(|error| CliError::bad_input(Phase::Sessions, error.to_string()))?;
    if !interactive() {
        return Err(CliError::NoTerminal(format!(
            "resuming a session asks questions and needs a terminal; read it with \
             `relaydoc sessions show {}`",
            session.id
        )));
    }
    let knowledge = load_knowledge(global)?;
    if !plain {
        // The full-screen view replays the session through the same recorder and says what
        // it picked up on its status line.
        let start = TuiStart {
            store: Some(store.clone()),
            email: email_sender(config),
            mode: session.mode,
            // The resumed run keeps its own caller; a new call started from Home asks again.
            details: Details {
                agent: session.agent.clone(),
                caller: None,
            },
            resume: Some(session),
        };
        return tui(
            knowledge,
            crate::engine::Facts::new(),
            start,
            ca_file.as_deref(),
            global,
        );
    }
    let (dns, ca) = live_settings(ca_file.as_deref(), global)?;
    let knowledge = std::sync::Arc::new(knowledge);
    let checks = LiveChecks {
        knowledge: std::sync::Arc::clone(&knowledge),
        dns,
        ca,
    };
    let (mut recorder, effects, resumed) = Recorder::resume(
        &knowledge,
        session,
        Some(store.clone()),
        Box::new(SystemClock),
    );
    outln!(
        "Picked up session {} ({} step(s) replayed).",
        recorder.session().id,
        resumed.replayed
    )?;
    if resumed.skipped > 0 {
        outln!(
            "The knowledge changed since: {} later step(s) no longer fit and are asked again.",
            resumed.skipped
        )?;
    }
    let sender = crate::session::mail::ConfiguredSender::from_config(config);
    run_plain(&mut recorder, effects, checks, sender, global)
}

fn run_plain(
    recorder: &mut Recorder<'_>,
    effects: Vec<crate::engine::Effect>,
    checks: LiveChecks,
    sender: Option<crate::session::mail::ConfiguredSender>,
    global: &GlobalArgs,
) -> CommandResult {
    let mut stdout = std::io::stdout();
    let ending = plain::run(
        recorder,
        effects,
        &checks,
        &mut stdout,
        terminal_width(),
        global.color.enabled(),
        sender
            .as_ref()
            .map(|sender| sender as &dyn crate::session::mail::StepsSender),
    );
    let saved = recorder.saved_id().map(str::to_string);
    match ending {
        Ok(Ending::Concluded(_)) => {
            if let Some(id) = saved {
                outln!("\nSaved as session {id} (`relaydoc sessions show {id}`).")?;
            }
            Ok(Outcome::Ok)
        }
        Ok(Ending::Quit) => {
            match saved {
                Some(id) => {
                    outln!("Stopped. Continue later with `relaydoc sessions resume {id}`.")?
                }
                None => outln!("Stopped. Run `relaydoc` again any time.")?,
            }
            Ok(Outcome::Interrupted)
        }
        Err(error) => Err(CliError::from_output(error)),
    }
}

/// `--agent`, or a facts file from a helpdesk tool that already says `session.mode: agent`.
fn mode_of(args: &WizardArgs, facts: &crate::engine::Facts) -> Mode {
    let prefilled = facts
        .get(crate::knowledge::model::SESSION_MODE)
        .map(String::as_str);
    if args.agent || prefilled == Some(crate::knowledge::model::SESSION_AGENT) {
        Mode::Agent
    } else {
        Mode::User
    }
}

fn details_of(args: &WizardArgs, config: &crate::config::Config) -> Details {
    Details {
        agent: config.helpdesk.agent.clone(),
        caller: args
            .caller
            .as_deref()
            .map(str::trim)
            .filter(|caller| !caller.is_empty())
            .map(str::to_string),
    }
}

/// Agent mode asks who is calling once, before the first question.
fn ask_caller() -> Option<String> {
    inquire::Text::new("Who is calling? (name or ticket number)")
        .with_help_message("Enter to skip")
        .prompt_skippable()
        .ok()
        .flatten()
        .map(|caller| caller.trim().to_string())
        .filter(|caller| !caller.is_empty())
}

/// Where this run is saved: nowhere with --no-save or `sessions: {save: false}`.
fn session_store(no_save: bool, config: &crate::config::Config) -> Result<Option<Store>, CliError> {
    if no_save || !config.sessions.save {
        return Ok(None);
    }
    Store::configured(config)
        .map(Some)
        .map_err(|error| CliError::bad_input(Phase::Config, error.to_string()))
}

/// The full-screen wizard. Nothing is printed while it owns the screen; one closing line after.
fn run_tui(
    knowledge: crate::knowledge::Knowledge,
    facts: crate::engine::Facts,
    args: &WizardArgs,
    config: &crate::config::Config,
    global: &GlobalArgs,
) -> CommandResult {
    let store = session_store(args.no_save, config)?;
    let start = TuiStart {
        store,
        email: email_sender(config),
        mode: mode_of(args, &facts),
        details: details_of(args, config),
        resume: None,
    };
    tui(knowledge, facts, start, args.ca_file.as_deref(), global)
}

/// The `e` key's mailer, when the config names a helpdesk server.
fn email_sender(
    config: &crate::config::Config,
) -> Option<std::sync::Arc<dyn crate::session::mail::StepsSender>> {
    crate::session::mail::ConfiguredSender::from_config(config).map(|sender| {
        std::sync::Arc::new(sender) as std::sync::Arc<dyn crate::session::mail::StepsSender>
    })
}

/// What the TUI opens on, and where its runs are saved.
struct TuiStart {
    store: Option<Store>,
    email: Option<std::sync::Arc<dyn crate::session::mail::StepsSender>>,
    mode: Mode,
    details: Details,
    resume: Option<crate::session::Session>,
}

fn tui(
    knowledge: crate::knowledge::Knowledge,
    facts: crate::engine::Facts,
    start: TuiStart,
    ca_file: Option<&std::path::Path>,
    global: &GlobalArgs,
) -> CommandResult {
    let (dns, ca) = live_settings(ca_file, global)?;
    // Checks run on worker threads, so they share the knowledge (explain needs its signatures).
    let knowledge = std::sync::Arc::new(knowledge);
    let options = crate::tui::Options {
        color: global.color.enabled(),
        checks: std::sync::Arc::new(LiveChecks {
            knowledge: std::sync::Arc::clone(&knowledge),
            dns,
            ca,
        }),
        store: start.store,
        mode: start.mode,
        details: start.details,
        resume: start.resume.map(Box::new),
        email: start.email,
    };
    let finish = match crate::tui::run(&knowledge, facts, options) {
        Ok(finish) => finish,
        Err(error) => {
            return Err(CliError::NoTerminal(format!(
                "the screen could not be drawn: {error}\n\
                 relaydoc: try `relaydoc wizard --plain` for simple prompts."
            )));
        }
    };
    match (&finish.ending, &finish.saved) {
        (crate::tui::Ending::Concluded(node), saved) => {
            outln!("relaydoc: read the answer again any time with `relaydoc kb show {node}`.")?;
            if let Some(id) = saved {
                outln!("relaydoc: saved as session {id} (`relaydoc sessions show {id}`).")?;
            }
        }
        (_, Some(id)) => {
            outln!(
                "relaydoc: saved as session {id}; continue it with `relaydoc sessions resume {id}`."
            )?;
        }
        (_, None) => {}
    }
    match finish.ending {
        crate::tui::Ending::Concluded(_) | crate::tui::Ending::Quit => Ok(Outcome::Ok),
        crate::tui::Ending::Interrupted => Ok(Outcome::Interrupted),
    }
}

/// The resolver and TLS trust live checks use, from `--dns-server`, `--timeout` and
/// `--ca-file`; bad values are reported here, before any question is asked.
fn live_settings(
    ca_file: Option<&std::path::Path>,
    global: &GlobalArgs,
) -> Result<(crate::checks::dns::DnsSettings, Option<Trust>), CliError> {
    let dns = super::check_dns::settings_from(global)?;
    let ca = ca_file
        .map(Trust::from_ca_file)
        .transpose()
        .map_err(|error| CliError::bad_input(Phase::Arguments, format!("--ca-file: {error}")))?;
    Ok((dns, ca))
}
