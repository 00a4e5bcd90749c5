//! The plain prompt driver: the wizard as a sequence of simple terminal prompts (inquire).
//!
//! It only renders the engine's state and turns key presses into [`Message`]s: Esc goes back,
//! Ctrl-C quits, every question offers "I don't know".

use std::io::Write;

use inquire::error::InquireError;
use inquire::ui::{RenderConfig, Styled};

use crate::engine::{Effect, Facts, Message, State, Wizard};
use crate::knowledge::model::NodeBody;
use crate::present::{
    StepView, TargetSettings, pick_client, solution_text, solution_view, task_view,
};
use crate::sanitize::for_terminal;

/// How a plain session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// Reached a conclusion (its node id).
    Concluded(String),
    /// The person quit (Ctrl-C, or Esc at the first question).
    Quit,
}

/// Runs checks for the wizard; `None` means the check could not run.
pub trait CheckRunner {
    fn run(&mut self, request: &crate::engine::CheckRequest) -> Option<Facts>;
}

/// For builds and tests without live checks: every check falls back.
#[derive(Debug, Default)]
pub struct NoChecks;

impl CheckRunner for NoChecks {
    fn run(&mut self, _request: &crate::engine::CheckRequest) -> Option<Facts> {
        None
    }
}

const KEYS_HINT: &str = "↑↓ move · Enter choose · Esc back · Ctrl-C quit";

pub fn run(
    wizard: &mut Wizard<'_>,
    mut effects: Vec<Effect>,
    checks: &mut dyn CheckRunner,
    out: &mut dyn Write,
    width: usize,
    color: bool,
) -> std::io::Result<Ending> {
    let knowledge = wizard.knowledge();
    let render = if color {
        RenderConfig::default_colored()
    } else {
        RenderConfig::empty()
    }
    .with_canceled_prompt_indicator(Styled::new("(back)"));
    loop {
        for Effect::RunCheck(request) in std::mem::take(&mut effects) {
            let label = crate::checks::runner::spec(&request.check)
                .map_or(request.check.as_str(), |spec| spec.label);
            writeln!(out, "{} …", for_terminal(label))?;
            let message = match checks.run(&request) {
                Some(facts) => Message::CheckFinished {
                    node: request.node,
                    facts,
                },
                None => Message::CheckFailed { node: request.node },
            };
            effects.extend(wizard.update(message).unwrap_or_default());
        }
        let node_id = match wizard.state().clone() {
            State::Asking(node) => node,
            State::Checking(_) => continue,
            State::Finished(node) => {
                let client = pick_client(knowledge, wizard.facts(), None);
                if let Some(client) = client {
                    let view = solution_view(knowledge, node, wizard.facts(), client);
                    writeln!(out, "\n{}", "─".repeat(width.min(72)))?;
                    write!(out, "{}", solution_text(&view, width.min(100)))?;
                }
                return Ok(Ending::Concluded(knowledge.node(node).id.clone()));
            }
            State::Quit => return Ok(Ending::Quit),
        };
        let node = knowledge.node(node_id);
        writeln!(out)?;
        if let Some(help) = &node.help {
            let wrapped = textwrap::fill(&for_terminal(help).replace('\n', " "), width.min(100));
            writeln!(out, "{wrapped}")?;
        }
        if let (Some(task), Some(client)) = (
            &node.client_task,
            pick_client(knowledge, wizard.facts(), None),
        ) {
            let target = TargetSettings::from_facts(knowledge, wizard.facts());
            if let Some(StepView::ClientTask {
                client,
                title,
                steps,
                ..
            }) = task_view(client, task, &target)
            {
                writeln!(out, "Where to look — {title} ({client}):")?;
                for step in steps {
                    writeln!(out, "  • {}", step.replace("**", ""))?;
                }
            }
        }
        out.flush()?;
        let text = for_terminal(&node.text);
        let answer: Result<Option<Message>, InquireError> = match &node.body {
            NodeBody::Question {
                choices,
                unknown_label,
                ..
            } => {
                let mut labels: Vec<String> =
                    choices.iter().map(|c| for_terminal(&c.label)).collect();
                labels.push(for_terminal(unknown_label));
                inquire::Select::new(&text, labels.clone())
                    .with_render_config(render)
                    .with_help_message(KEYS_HINT)
                    .with_page_size(12)
                    .raw_prompt_skippable()
                    .map(|picked| {
                        picked.map(|option| {
                            choices
                                .get(option.index)
                                .map_or(Message::DontKnow, |choice| {
                                    Message::Answer(choice.value.clone())
                                })
                        })
                    })
            }
            NodeBody::Input {
                secret,
                placeholder,
                multiline,
                ..
            } => {
                let hint = "Enter to continue (empty = skip) · Esc back · Ctrl-C quit";
                if *multiline {
                    read_pasted_lines(&text, out).map(|value| Some(Message::Answer(value)))
                } else if *secret {
                    inquire::Password::new(&text)
                        .with_render_config(render)
                        .with_help_message(hint)
                        .without_confirmation()
                        .with_display_mode(inquire::PasswordDisplayMode::Masked)
                        .prompt_skippable()
                        .map(|value| value.map(Message::Answer))
                } else {
                    let mut prompt = inquire::Text::new(&text)
                        .with_render_config(render)
                        .with_help_message(hint);
                    if let Some(placeholder) = placeholder {
                        prompt = prompt.with_placeholder(placeholder);
                    }
                    prompt
                        .prompt_skippable()
                        .map(|value| value.map(Message::Answer))
                }
            }
            _ => Ok(Some(Message::Quit)),
        };
        let message = match answer {
            Ok(Some(message)) => message,
            // Esc: back to the previous question (or nowhere, at the first one).
            Ok(None) => Message::Back,
            Err(InquireError::OperationInterrupted) => Message::Quit,
            Err(InquireError::OperationCanceled) => Message::Back,
            Err(error) => return Err(std::io::Error::other(error.to_string())),
        };
        effects = wizard.update(message).unwrap_or_default();
    }
}

/// A pasted block of text: line prompts cannot take it (the first newline would end the
/// answer), so lines are read as they come until an empty line.
fn read_pasted_lines(question: &str, out: &mut dyn Write) -> Result<String, InquireError> {
    writeln!(
        out,
        "{question}\n(Paste it, then press Enter on an empty line. Just Enter to skip.)"
    )
    .and_then(|()| out.flush())
    .map_err(InquireError::IO)?;
    let mut text = String::new();
    let stdin = std::io::stdin();
    loop {
        let mut line = String::new();
        // A cap keeps a runaway paste from filling memory; explain reads at most this much.
        if stdin.read_line(&mut line).map_err(InquireError::IO)? == 0
            || line.trim().is_empty()
            || text.len() > MAX_PASTE_BYTES
        {
            break;
        }
        text.push_str(&line);
    }
    Ok(text)
}

const MAX_PASTE_BYTES: usize = 1024 * 1024;
