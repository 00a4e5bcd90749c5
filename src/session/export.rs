//! Session exports: a Markdown ticket summary for people and ticketing systems, and the
//! session itself as JSON for scripts. Neither can hold a password: the session never does.

use std::fmt::Write as _;

use jiff::tz::TimeZone;

use super::{EventKind, Mode, Session, human_duration, time_in};
use crate::knowledge::Knowledge;
use crate::present::{pick_client, solution_text, solution_view};
use crate::sanitize::for_terminal;

/// The steps for the caller's own mail program, as plain text: what the solution screen
/// shows and what `sessions send` emails. `None` until the run reached a conclusion.
pub fn caller_steps(knowledge: &Knowledge, session: &Session) -> Option<CallerSteps> {
    if !session.status.finished {
        return None;
    }
    let node = knowledge.node_id(&session.status.node)?;
    let client = pick_client(knowledge, &session.status.facts, None)?;
    let view = solution_view(knowledge, node, &session.status.facts, client);
    Some(CallerSteps {
        client: for_terminal(&client.name),
        title: view.title.clone(),
        text: solution_text(&view, 76),
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerSteps {
    pub client: String,
    pub title: String,
    pub text: String,
}

/// The session as JSON, exactly as saved (the file format is the export format).
pub fn to_json(session: &Session) -> serde_json::Result<String> {
    serde_json::to_string_pretty(session)
}

/// What the agent needs for the ticket at a glance: the cause, the evidence the checks found,
/// where the caller is, the guidance for the conclusion, and the notes. Lines of plain text.
pub fn internal_summary(knowledge: &Knowledge, session: &Session) -> Vec<String> {
    summary_lines(knowledge, session, true)
}

/// [`internal_summary`] without the guidance line, for a screen that shows the conclusion's
/// agent note under its own heading (the same words twice would read as two notes).
pub fn internal_summary_without_guidance(knowledge: &Knowledge, session: &Session) -> Vec<String> {
    summary_lines(knowledge, session, false)
}

fn summary_lines(knowledge: &Knowledge, session: &Session, with_guidance: bool) -> Vec<String> {
    let mut lines = Vec::new();
    match session.named_cause(knowledge) {
        Some(named) => lines.push(format!(
            "{}: {} ({}), side: {}",
            if named.certain {
                "Cause"
            } else {
                // Finished at a solution the evidence did not single out.
                "Cause (most likely, not certain)"
            },
            named.cause.title,
            named.cause.id,
            named.cause.side.as_str()
        )),
        None if session.status.finished => lines.push("Cause: none named (hand-off)".into()),
        None => lines.push(format!("Not finished: at {}", session.status.node)),
    }
    if let Some(email) = session.email() {
        lines.push(format!("Customer address: {email}"));
    }
    if let Some(client) = session
        .status
        .facts
        .get("client.id")
        .and_then(|id| knowledge.client(id))
    {
        lines.push(format!("Mail program: {}", client.name));
    }
    for event in &session.events {
        if let EventKind::Check {
            label, ran, facts, ..
        } = &event.what
        {
            lines.push(format!("Check: {label}: {}", check_result(*ran, facts)));
        }
    }
    if with_guidance
        && session.status.finished
        && let Some(guidance) = knowledge
            .node_id(&session.status.node)
            .and_then(|node| knowledge.node(node).agent_note.as_deref())
    {
        lines.push(format!("Guidance: {}", guidance.replace('\n', " ").trim()));
    }
    let notes = session.notes().count();
    if notes > 0 {
        lines.push(format!("Notes: {notes}"));
    }
    lines.into_iter().map(|line| for_terminal(&line)).collect()
}

fn check_result(ran: bool, facts: &crate::engine::Facts) -> String {
    if !ran {
        return "could not run".into();
    }
    if facts.is_empty() {
        return "ran, nothing found".into();
    }
    facts
        .iter()
        .map(|(key, value)| format!("{key} = {value}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The Markdown ticket summary, with times in local time.
pub fn to_markdown(knowledge: &Knowledge, session: &Session) -> String {
    to_markdown_in(knowledge, session, &TimeZone::system())
}

/// The Markdown ticket summary, with times in `zone`.
pub fn to_markdown_in(knowledge: &Knowledge, session: &Session, zone: &TimeZone) -> String {
    let mut md = String::new();
    let clean = |text: &str| escape_md(&for_terminal(text));
    let _ = writeln!(md, "# Ticket summary: relaydoc session {}\n", session.id);
    let _ = writeln!(md, "| | |\n|---|---|");
    let _ = writeln!(md, "| Started | {} |", time_in(session.started, zone));
    let end = session.finished_at().unwrap_or(session.updated);
    let _ = writeln!(
        md,
        "| Duration | {} |",
        human_duration(end.as_second() - session.started.as_second())
    );
    let mode = match (session.mode, &session.agent) {
        (Mode::Agent, Some(agent)) => format!("Helpdesk call, agent {}", clean(agent)),
        (Mode::Agent, None) => "Helpdesk call".into(),
        (Mode::User, _) => "Self-service".into(),
    };
    let _ = writeln!(md, "| Mode | {mode} |");
    if let Some(caller) = &session.caller {
        let _ = writeln!(md, "| Customer | {} |", clean(caller));
    }
    if let Some(email) = session.email() {
        let _ = writeln!(md, "| Customer address | {} |", clean(email));
    }
    if let Some(client) = session
        .status
        .facts
        .get("client.id")
        .and_then(|id| knowledge.client(id))
    {
        let _ = writeln!(md, "| Mail program | {} |", clean(&client.name));
    }
    let outcome = match (
        session.status.cause.as_deref(),
        session.named_cause(knowledge),
    ) {
        (_, Some(named)) => format!(
            "{}**{}** (`{}`), side: {}",
            if named.certain {
                ""
            } else {
                "most likely, not certain: "
            },
            clean(&named.cause.title),
            named.cause.id,
            named.cause.side.as_str()
        ),
        (Some(id), None) => format!("`{}`", clean(id)),
        (None, None) if session.status.finished => "Handed off, no cause named".into(),
        (None, None) => format!(
            "Not finished; stopped at: {}",
            node_label(knowledge, &session.status.node)
        ),
    };
    let _ = writeln!(md, "| Outcome | {outcome} |");

    let known: Vec<_> = session
        .initial_facts
        .iter()
        .filter(|(key, _)| key.as_str() != crate::session::recorder::MODE_FACT)
        .collect();
    if !known.is_empty() {
        let _ = writeln!(md, "\n## Known at the start\n");
        for (key, value) in known {
            let _ = writeln!(md, "- {}: {}", clean(key), clean(value));
        }
    }

    let _ = writeln!(md, "\n## Questions and answers\n");
    let mut number = 0;
    for event in &session.events {
        let time = short_time(event.at, zone);
        match &event.what {
            EventKind::Answer {
                question, answer, ..
            } => {
                number += 1;
                let _ = writeln!(
                    md,
                    "{number}. `{time}` {} → **{}**",
                    clean(question),
                    clean(answer)
                );
            }
            EventKind::Back { node } => {
                let _ = writeln!(
                    md,
                    "   - `{time}` went back from: {}",
                    node_label(knowledge, node)
                );
            }
            EventKind::Restart => {
                let _ = writeln!(md, "   - `{time}` started over");
            }
            EventKind::Resumed { .. } => {
                let _ = writeln!(md, "   - `{time}` call picked up again");
            }
            _ => {}
        }
    }
    if number == 0 {
        let _ = writeln!(md, "(none)");
    }

    let checks: Vec<_> = session
        .events
        .iter()
        .filter_map(|event| match &event.what {
            EventKind::Check {
                label,
                params,
                ran,
                facts,
                ..
            } => Some((event.at, label, params, *ran, facts)),
            _ => None,
        })
        .collect();
    if !checks.is_empty() {
        let _ = writeln!(md, "\n## Checks (run from the agent's computer)\n");
        for (at, label, params, ran, facts) in checks {
            let target = params
                .iter()
                .map(|(key, value)| format!("{} {}", clean(key), clean(value)))
                .collect::<Vec<_>>()
                .join(", ");
            let target = if target.is_empty() {
                String::new()
            } else {
                format!(" ({target})")
            };
            let _ = writeln!(
                md,
                "- `{}` {}{target}: {}",
                short_time(at, zone),
                clean(label),
                clean(&check_result(ran, facts))
            );
        }
    }

    if let Some(named) = session.named_cause(knowledge) {
        let heading = if named.certain {
            "Cause"
        } else {
            "Most likely cause (not certain)"
        };
        let _ = writeln!(md, "\n## {heading}\n\n{}", clean(&named.cause.summary));
    }
    if let Some(steps) = caller_steps(knowledge, session) {
        let _ = writeln!(
            md,
            "\n## Steps for the customer ({})\n\n```text\n{}```",
            clean(&steps.client),
            for_terminal(&steps.text).replace("```", "'''")
        );
    }
    let sent: Vec<_> = session
        .events
        .iter()
        .filter_map(|event| match &event.what {
            EventKind::Sent { to } => Some((event.at, to)),
            _ => None,
        })
        .collect();
    for (at, to) in &sent {
        let _ = writeln!(
            md,
            "\nSteps emailed to {} at {}.",
            clean(to),
            time_in(*at, zone)
        );
    }
    let notes: Vec<_> = session.notes().collect();
    if !notes.is_empty() {
        let _ = writeln!(md, "\n## Internal notes\n");
        for (event, text) in notes {
            let at = match &event.what {
                EventKind::Note {
                    node: Some(node), ..
                } => format!(" (at: {})", node_label(knowledge, node)),
                _ => String::new(),
            };
            let _ = writeln!(md, "- `{}`{at} {}", short_time(event.at, zone), clean(text));
        }
    }
    md
}

fn node_label(knowledge: &Knowledge, id: &str) -> String {
    let label = knowledge
        .node_id(id)
        .map_or(id, |node| knowledge.node(node).label());
    escape_md(&for_terminal(label))
}

fn short_time(at: jiff::Timestamp, zone: &TimeZone) -> String {
    at.to_zoned(zone.clone()).strftime("%H:%M:%S").to_string()
}

/// Keeps text typed by people or servers from turning into Markdown structure (a table cell
/// broken by `|`, a link, a heading) in the ticket system.
/// The ticket summary as text for a screen: the same content as [`to_markdown_in`], without
/// Markdown's marks (headings underlined, the table as "Label: value" lines, no backticks,
/// bold marks, escapes or code fences).
pub fn to_text_in(knowledge: &Knowledge, session: &Session, zone: &TimeZone) -> String {
    let markdown = to_markdown_in(knowledge, session, zone);
    let mut text = String::with_capacity(markdown.len());
    for line in markdown.lines() {
        if line.starts_with("```") || line == "| | |" || line == "|---|---|" {
            continue;
        }
        if let Some(heading) = line.strip_prefix("# ").or_else(|| line.strip_prefix("## ")) {
            let heading = unescape_md(heading);
            text.push_str(&heading);
            text.push('\n');
            text.push_str(&"─".repeat(heading.chars().count()));
            text.push('\n');
            continue;
        }
        if let Some(row) = line.strip_prefix("| ").and_then(|r| r.strip_suffix(" |"))
            && let Some((label, value)) = row.split_once(" | ")
        {
            text.push_str(&format!("{label}: {}\n", unescape_md(value)));
            continue;
        }
        text.push_str(&unescape_md(line));
        text.push('\n');
    }
    text
}

/// Undoes [`escape_md`] and drops the marks the summary uses (`**`, backticks).
fn unescape_md(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next() {
                    out.push(next);
                }
            }
            '`' => {}
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}

fn escape_md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '~' | '[' | ']' | '<' | '>' | '|' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}
