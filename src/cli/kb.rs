//! `relaydoc kb`: validate, search, show and draw the knowledge, all offline.

use clap::{Args, Subcommand, ValueEnum};
use std::path::PathBuf;

use super::{CliError, CommandResult, GlobalArgs, Outcome, Phase, load_knowledge, terminal_width};
use crate::knowledge::model::{EdgeOn, NodeBody};
use crate::knowledge::{self, Knowledge, search};
use crate::present::{
    StepView, TargetSettings, ordered_tasks, pick_client, solution_text, solution_view, task_view,
};
use crate::sanitize::for_terminal;

#[derive(Debug, Args)]
pub struct KbArgs {
    #[command(subcommand)]
    pub command: KbCommand,
}

#[derive(Debug, Subcommand)]
pub enum KbCommand {
    /// Prove a knowledge folder sound, laid over the bundled knowledge
    #[command(after_help = "\
Examples:
  relaydoc kb validate                 the bundled knowledge (and your own folder, if any)
  relaydoc kb validate ./my-knowledge  your folder laid over the bundled one

Every problem is listed as FILE:LINE:COLUMN: [ID] message. Exit code 2 when there are any.
Warnings (\"warning: FILE:LINE:COLUMN: [ID] message\", e.g. a question with no `say` for agent
mode) are shown once the knowledge is sound; they do not change the exit code.")]
    Validate {
        /// Folder to lay over the bundled knowledge
        dir: Option<PathBuf>,
    },
    /// Search questions, causes, solutions, client guides, providers and error signatures
    /// (fuzzy, offline; a query of error codes such as 0x800CCC79 or 5.7.1 matches them exactly)
    #[command(
        after_help = "Examples:\n  relaydoc kb search \"pop before smtp\"\n  relaydoc kb search thunderbird\n  relaydoc kb search 0x800CCC79\n  relaydoc kb search 554 5.7.1"
    )]
    Search {
        /// Words to look for
        #[arg(required = true)]
        query: Vec<String>,
        /// How many results at most, best first; a line says how many more there are
        #[arg(long, default_value_t = 15)]
        limit: usize,
        /// Show every result
        #[arg(long, conflicts_with = "limit")]
        all: bool,
        /// Print the results as JSON
        #[arg(long)]
        json: bool,
    },
    /// Show one item by id: a node, a cause, a client, a provider, an error signature, or `facts`
    #[command(
        after_help = "Examples:\n  relaydoc kb show client-auth-off\n  relaydoc kb show thunderbird\n  relaydoc kb show s-client-auth-off --client ios-mail\n  relaydoc kb show facts"
    )]
    Show {
        id: String,
        /// For solutions: write the steps for this mail client
        #[arg(long, value_name = "CLIENT")]
        client: Option<String>,
    },
    /// Write everything relaydoc knows as a static website that works offline
    #[command(after_help = "\
Examples:
  relaydoc kb export --html ./relaydoc-site            then open ./relaydoc-site/index.html
  relaydoc --knowledge ./ours kb export --html /srv/intranet/relaydoc

The site works from file:// (or any web server) and loads nothing from elsewhere: search runs
in the page. Your own knowledge (--knowledge, or the config folder) is included. Files of the
same name in DIR are replaced; nothing else there is touched.")]
    Export {
        /// Folder to write the website into (created when missing)
        #[arg(long, value_name = "DIR", required = true)]
        html: PathBuf,
    },
    /// Draw the decision tree as Graphviz dot or Mermaid
    #[command(after_help = "Example:\n  relaydoc kb graph --format dot | dot -Tsvg > tree.svg")]
    Graph {
        #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
        format: GraphFormat,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    Dot,
    Mermaid,
}

pub fn run(args: KbArgs, global: &GlobalArgs) -> CommandResult {
    match args.command {
        KbCommand::Validate { dir } => validate(dir, global),
        KbCommand::Search {
            query,
            limit,
            all,
            json,
        } => with_knowledge(global, |kb| {
            let limit = if all { usize::MAX } else { limit };
            search_command(kb, &query.join(" "), limit, json)
        }),
        KbCommand::Show { id, client } => {
            with_knowledge(global, |kb| show(kb, &id, client.as_deref()))
        }
        KbCommand::Export { html } => with_knowledge(global, |kb| export(kb, &html)),
        KbCommand::Graph { format } => with_knowledge(global, |kb| {
            out!("{}", graph(kb, format))?;
            Ok(Outcome::Ok)
        }),
    }
}

fn with_knowledge(
    global: &GlobalArgs,
    f: impl FnOnce(&Knowledge) -> CommandResult,
) -> CommandResult {
    f(&load_knowledge(global)?)
}

fn validate(dir: Option<PathBuf>, global: &GlobalArgs) -> CommandResult {
    let mut extra: Vec<PathBuf> = global.knowledge.iter().cloned().collect();
    extra.extend(dir);
    let loaded = knowledge::load(&extra).and_then(|kb| match crate::explain::signatures(&kb) {
        Ok(_) => Ok(kb),
        Err(problems) => Err(problems.clone()),
    });
    match loaded {
        Ok(kb) => {
            for warning in kb.warnings.iter() {
                eprintln!(
                    "warning: {}",
                    crate::sanitize::for_terminal(&warning.to_string())
                );
            }
            let count = |kind: &str| kb.nodes.iter().filter(|n| n.kind_name() == kind).count();
            outln!(
                "knowledge is sound: {} nodes ({} questions, {} inputs, {} decisions, {} checks, \
                 {} solutions, {} hand-offs), {} causes, {} clients, {} providers, {} facts, \
                 {} error signatures",
                kb.nodes.len(),
                count("question"),
                count("input"),
                count("decide"),
                count("check"),
                count("solution"),
                count("handoff"),
                kb.causes.len(),
                kb.clients.len(),
                kb.providers.len(),
                kb.facts.facts.len(),
                crate::explain::signatures(&kb).map_or(0, |signatures| signatures.len())
            )?;
            if !kb.warnings.is_empty() {
                eprintln!("{} warning(s)", kb.warnings.len());
            }
            Ok(Outcome::Ok)
        }
        Err(problems) => Err(CliError::invalid(
            Phase::Knowledge,
            &problems,
            format!("{} problem(s) found", problems.len()),
        )),
    }
}

/// `explain`'s error signatures as search items, so `kb search` finds error texts and codes
/// (`0x800CCC79`, `5.7.1`) as well; none when the signatures do not load (`kb validate`
/// reports why).
fn signature_items(kb: &Knowledge) -> Vec<search::Extra> {
    let Ok(signatures) = crate::explain::signatures(kb) else {
        return Vec::new();
    };
    signatures
        .iter()
        .map(|signature| {
            let meaning = signature.meaning.clone().unwrap_or_default();
            let causes: Vec<&str> = signature.causes.iter().map(|c| c.cause.as_str()).collect();
            search::Extra {
                kind: "signature",
                id: signature.id.clone(),
                title: short(&meaning, 90),
                // The pattern's literal codes ("5\\.7\\.1") are found as typed ("5.7.1").
                body: format!(
                    "{} {} {} {}",
                    signature.example,
                    meaning,
                    causes.join(" "),
                    signature.regex.as_str().replace("\\.", ".")
                ),
            }
        })
        .collect()
}

/// `text` cut to about `max` characters at a word boundary.
fn short(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{cut}…")
}

fn search_command(kb: &Knowledge, query: &str, limit: usize, json: bool) -> CommandResult {
    // All of them, to say how many the limit leaves out.
    let mut hits = search::search_with(kb, &signature_items(kb), query, usize::MAX);
    let more = hits.len().saturating_sub(limit);
    hits.truncate(limit);
    if json {
        super::print_json(&hits)?;
    } else if hits.is_empty() {
        outln!("Nothing matches \"{}\".", for_terminal(query))?;
    } else {
        for hit in &hits {
            outln!(
                "{:<9} {:<34} {}",
                hit.kind,
                hit.id,
                for_terminal(&hit.title)
            )?;
        }
        if more > 0 {
            outln!(
                "… {more} more, less close (see them with --limit {} or --all)",
                hits.len() + more
            )?;
        }
        outln!("\nShow one with `relaydoc kb show ID`.")?;
    }
    Ok(Outcome::ok_if(!hits.is_empty()))
}

fn wrap(text: &str) -> String {
    let width = terminal_width().min(100);
    for_terminal(text)
        .split("\n\n")
        .map(|paragraph| textwrap::fill(&paragraph.replace('\n', " "), width))
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// A node's helpdesk text, labelled so it is never mistaken for what the person reads; empty
/// when the node has none, else ending in one newline.
fn for_the_agent(node: &crate::knowledge::model::Node) -> String {
    let mut parts = Vec::new();
    if let Some(say) = &node.say {
        parts.push(format!("Say to the caller:\n{}\n", wrap_indented(say)));
    }
    if let Some(note) = &node.agent_note {
        parts.push(format!("For the agent:\n{}\n", wrap_indented(note)));
    }
    parts.join("\n")
}

/// [`wrap`], two spaces in.
fn wrap_indented(text: &str) -> String {
    let options = textwrap::Options::new(terminal_width().min(100))
        .initial_indent("  ")
        .subsequent_indent("  ");
    for_terminal(text)
        .split("\n\n")
        .map(|paragraph| textwrap::fill(&paragraph.replace('\n', " "), &options))
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn show(kb: &Knowledge, id: &str, client: Option<&str>) -> CommandResult {
    if id == "facts" {
        for spec in kb.facts.facts.values() {
            let values = spec
                .values
                .as_ref()
                .map_or_else(|| "free text".to_string(), |values| values.join(" · "));
            let set_by = if spec.set_by_program {
                "\n    set by relaydoc itself, never asked"
            } else {
                ""
            };
            outln!(
                "{}\n    {}\n    values: {}{set_by}",
                spec.key,
                for_terminal(&spec.about),
                values
            )?;
        }
        return Ok(Outcome::Ok);
    }
    if let Some(node_id) = kb.node_id(id) {
        let node = kb.node(node_id);
        outln!("{} {} ({})", node.kind_name(), node.id, node.origin.file)?;
        match &node.body {
            NodeBody::Solution { .. } | NodeBody::Handoff { .. } => {
                let facts = Default::default();
                let Some(client) = pick_client(kb, &facts, client) else {
                    return Ok(Outcome::Ok);
                };
                let view = solution_view(kb, node_id, &facts, client);
                out!("{}", solution_text(&view, terminal_width().min(100)))?;
                let agent = for_the_agent(node);
                if !agent.is_empty() {
                    out!("\n{agent}")?;
                }
            }
            NodeBody::Question {
                fact,
                choices,
                unknown,
                unknown_label,
            } => {
                outln!("\n{}\n", wrap(&node.text))?;
                if let Some(help) = &node.help {
                    outln!("{}\n", wrap(help))?;
                }
                let agent = for_the_agent(node);
                if !agent.is_empty() {
                    outln!("{agent}")?;
                }
                outln!("sets fact: {fact}")?;
                for choice in choices {
                    outln!(
                        "  {} → {}",
                        for_terminal(&choice.label),
                        kb.node(choice.next).id
                    )?;
                }
                outln!(
                    "  {} → {}",
                    for_terminal(unknown_label),
                    kb.node(*unknown).id
                )?;
            }
            _ => {
                outln!("\n{}", wrap(&node.text))?;
                let agent = for_the_agent(node);
                if !agent.is_empty() {
                    outln!("\n{agent}")?;
                }
                for next in node.successors() {
                    outln!("  → {}", kb.node(next).id)?;
                }
            }
        }
        return Ok(Outcome::Ok);
    }
    if let Some(cause) = kb.cause(id) {
        outln!(
            "cause {} — side: {} ({})\n",
            cause.id,
            cause.side.as_str(),
            cause.side.describe()
        )?;
        outln!(
            "{}\n\n{}\n\n{}",
            for_terminal(&cause.title),
            wrap(&cause.summary),
            wrap(&cause.explanation)
        )?;
        if !cause.signs.is_empty() {
            outln!("\nSigns:")?;
            for sign in &cause.signs {
                outln!("  • {}", for_terminal(sign))?;
            }
        }
        let concluded_by: Vec<&str> = kb
            .nodes
            .iter()
            .enumerate()
            .filter(|(index, _)| kb.cause_of(*index).is_some_and(|c| c.id == cause.id))
            .map(|(_, node)| node.id.as_str())
            .collect();
        outln!("\nConcluded by: {}", concluded_by.join(", "))?;
        return Ok(Outcome::Ok);
    }
    if let Some(found) = kb.client(id) {
        outln!(
            "{} — {} ({})",
            for_terminal(&found.name),
            for_terminal(&found.platform),
            found.id
        )?;
        let target = TargetSettings::for_email(kb, None);
        let ordered = ordered_tasks(found);
        for task in ordered {
            if let Some(StepView::ClientTask {
                title, steps, note, ..
            }) = task_view(found, task, &target)
            {
                outln!("\n{title}  [{task}]")?;
                for (index, step) in steps.iter().enumerate() {
                    outln!("  {}. {}", index + 1, step.replace("**", ""))?;
                }
                if let Some(note) = note {
                    outln!("  Note: {}", note.replace("**", ""))?;
                }
            }
        }
        if !found.sources.is_empty() {
            outln!("\nSources: {}", found.sources.join(", "))?;
        }
        return Ok(Outcome::Ok);
    }
    if let Some(provider) = kb.provider(id) {
        super::catalogue::print_provider(provider)?;
        return Ok(Outcome::Ok);
    }
    if let Ok(signatures) = crate::explain::signatures(kb)
        && let Some(signature) = signatures.iter().find(|s| s.id == id)
    {
        print_signature(signature)?;
        return Ok(Outcome::Ok);
    }
    let mut known: Vec<&str> = kb.nodes.iter().map(|n| n.id.as_str()).collect();
    known.extend(kb.causes.iter().map(|c| c.id.as_str()));
    known.extend(kb.clients.iter().map(|c| c.id.as_str()));
    known.extend(kb.providers.iter().map(|p| p.id.as_str()));
    let hint = crate::knowledge::model::closest(id, known.into_iter())
        .map(|close| format!(" Did you mean `{close}`?"))
        .unwrap_or_default();
    Err(CliError::bad_input(
        Phase::Arguments,
        format!(
            "no node, cause, client or provider has the id `{}`.{hint} Try `relaydoc kb search`.",
            for_terminal(id)
        ),
    ))
}

/// One error signature: what the text means, the causes it points to, a real example.
fn print_signature(signature: &crate::explain::Signature) -> Result<(), CliError> {
    let verdict = match signature.relay_denial {
        Some(true) => "a relay denial",
        Some(false) => "not a relay denial (a look-alike)",
        None if signature.likely_relay_denial => {
            "a mail program's words; alone, most likely a relay denial"
        }
        None => "a mail program's words around the server's reply",
    };
    outln!("{} — {verdict}", signature.id)?;
    if let Some(meaning) = &signature.meaning {
        outln!("\n{}", wrap(meaning))?;
    }
    outln!("\nCauses it points to:")?;
    for cause in &signature.causes {
        outln!("  {} ({:.2})", cause.cause, cause.weight)?;
        outln!("{}", wrap_indented(&cause.why))?;
    }
    outln!("\nExample:\n{}", wrap_indented(&signature.example))?;
    outln!("\nSource: {}", for_terminal(&signature.source))?;
    outln!("Defined in: {}", for_terminal(&signature.file))
}

fn export(kb: &Knowledge, dir: &std::path::Path) -> CommandResult {
    match crate::website::export(kb, dir) {
        Ok(done) => {
            outln!(
                "wrote {} pages ({} KB) to {}; open {}",
                done.pages,
                done.bytes.div_ceil(1024),
                for_terminal(&dir.display().to_string()),
                for_terminal(&dir.join("index.html").display().to_string())
            )?;
            Ok(Outcome::Ok)
        }
        Err(crate::website::ExportError::Knowledge(problems)) => Err(CliError::invalid(
            Phase::Knowledge,
            &problems,
            "the knowledge has problems; check with `relaydoc kb validate`",
        )),
        Err(error) => Err(CliError::bad_input(Phase::Output, error.to_string())),
    }
}

/// The tree as a graph; solutions show their cause, edges their answer.
pub fn graph(kb: &Knowledge, format: GraphFormat) -> String {
    let mut out = String::new();
    let quote = |text: &str| text.replace('"', "'");
    let mut edges: Vec<(usize, usize, String)> = Vec::new();
    for (index, node) in kb.nodes.iter().enumerate() {
        for (on, next) in node.edges() {
            let label = match on {
                EdgeOn::Choice(choice) => choice.value.clone(),
                EdgeOn::DontKnow(_) => "unknown".into(),
                EdgeOn::Given => "given".into(),
                EdgeOn::Skipped => "skipped".into(),
                EdgeOn::Branch(when) => when
                    .iter()
                    .map(|c| format!("{}={}", c.fact, c.any_of.join("|")))
                    .collect::<Vec<_>>()
                    .join(" & "),
                EdgeOn::Otherwise => "otherwise".into(),
            };
            edges.push((index, next, label));
        }
    }
    let label = |index: usize| {
        let node = &kb.nodes[index];
        match kb.cause_of(index) {
            Some(cause) => format!("{}\\n[{}]", node.id, cause.id),
            None => node.id.clone(),
        }
    };
    match format {
        GraphFormat::Dot => {
            out.push_str("digraph relaydoc {\n  rankdir=LR;\n  node [fontname=\"sans-serif\"];\n");
            for (index, node) in kb.nodes.iter().enumerate() {
                let shape = match node.body {
                    NodeBody::Solution { .. } => "box, style=filled, fillcolor=\"#d9f2d9\"",
                    NodeBody::Handoff { .. } => "box, style=filled, fillcolor=\"#fde9c9\"",
                    NodeBody::Check { .. } => "hexagon",
                    NodeBody::Decide { .. } => "diamond",
                    _ => "ellipse",
                };
                out.push_str(&format!(
                    "  \"{}\" [label=\"{}\", shape={shape}];\n",
                    node.id,
                    quote(&label(index))
                ));
            }
            for (from, to, text) in &edges {
                out.push_str(&format!(
                    "  \"{}\" -> \"{}\" [label=\"{}\"];\n",
                    kb.nodes[*from].id,
                    kb.nodes[*to].id,
                    quote(text)
                ));
            }
            out.push_str("}\n");
        }
        GraphFormat::Mermaid => {
            out.push_str("flowchart LR\n");
            let key = |index: usize| format!("n{index}");
            for (index, node) in kb.nodes.iter().enumerate() {
                let text = quote(&label(index)).replace("\\n", "<br/>");
                let shape = match node.body {
                    NodeBody::Solution { .. } | NodeBody::Handoff { .. } => format!("[\"{text}\"]"),
                    NodeBody::Decide { .. } | NodeBody::Check { .. } => format!("{{\"{text}\"}}"),
                    _ => format!("(\"{text}\")"),
                };
                out.push_str(&format!("  {}{shape}\n", key(index)));
            }
            for (from, to, text) in &edges {
                out.push_str(&format!(
                    "  {} -->|\"{}\"| {}\n",
                    key(*from),
                    quote(text),
                    key(*to)
                ));
            }
        }
    }
    out
}
