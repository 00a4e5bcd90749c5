//! The plain prompt driver: the wizard as a sequence of simple terminal prompts (inquire).
//!
//! It only renders the engine's state and turns key presses into [`Message`]s: Esc goes back,
//! Ctrl-C quits, every question offers "I don't know".

use std::io::Write;

use inquire::error::InquireError;
use inquire::ui::{RenderConfig, Styled};

use crate::engine::{Effect, Message, SecretInput, State};
use crate::knowledge::model::{Choice, NodeBody, NodeId};
use crate::present::{
    StepView, TargetSettings, pick_client, solution_text, solution_view, task_view,
};
use crate::sanitize::for_terminal;
use crate::session::mail::{Letter, StepsSender};
use crate::session::{Mode, Recorder};
use crate::vocab::Secret;

/// How a plain session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// Reached a conclusion (its node id).
    Concluded(String),
    /// The person quit (Ctrl-C, or Esc at the first question).
    Quit,
}

const KEYS_HINT: &str = "↑↓ move · Enter choose · Esc back · Ctrl-C quit";

/// The extra choice agent mode adds to every question.
const ADD_NOTE: &str = "✎ Add a note for the ticket…";

/// In agent mode, a line typed into an input that starts with this is a note, not an answer.
const NOTE_COMMAND: &str = "/note";

pub fn run(
    recorder: &mut Recorder<'_>,
    mut effects: Vec<Effect>,
    checks: &dyn crate::wizard::Checks,
    out: &mut dyn Write,
    width: usize,
    color: bool,
    sender: Option<&dyn StepsSender>,
) -> std::io::Result<Ending> {
    // Prompts put the terminal in raw mode; a kill from outside must not leave it so.
    crate::restore::install();
    let mut env_password = crate::wizard::password_from_env();
    let agent = recorder.mode() == Mode::Agent;
    let render = if color {
        RenderConfig::default_colored()
    } else {
        RenderConfig::empty()
    }
    .with_canceled_prompt_indicator(Styled::new("(back)"));
    loop {
        run_checks(recorder, &mut effects, checks, out, width)?;
        let knowledge = recorder.knowledge();
        let wizard = recorder.wizard();
        let node_id = match wizard.state().clone() {
            State::Asking(node) => node,
            State::Checking(_) => continue,
            State::Finished(node) => {
                show_solution(recorder, node, out, width)?;
                if agent {
                    wrap_up_call(recorder, sender, render, out)?;
                }
                return Ok(Ending::Concluded(knowledge.node(node).id.clone()));
            }
            State::Quit => {
                // A run the knowledge ended says why; a person who quit knows.
                if let Some(stopped) = wizard.stopped()
                    && *stopped != crate::engine::Stopped::ByPerson
                {
                    writeln!(
                        out,
                        "\nThe wizard stopped without an answer: {}.",
                        stopped.reason()
                    )?;
                }
                return Ok(Ending::Quit);
            }
        };
        show_question_context(recorder, node_id, out, width)?;
        let asked = ask(recorder, node_id, &mut env_password, render, out)?;
        let Asked::Answer(answer) = asked else {
            continue;
        };
        if kept_as_note(recorder, node_id, &answer, out)? {
            continue;
        }
        let message = match answer {
            Ok(Some(message)) => message,
            // Esc: back to the previous question (or nowhere, at the first one).
            Ok(None) => Message::Back,
            Err(InquireError::OperationInterrupted) => Message::Quit,
            Err(InquireError::OperationCanceled) => Message::Back,
            Err(error) => return Err(std::io::Error::other(error.to_string())),
        };
        effects = match recorder.update(message) {
            Ok(effects) => effects,
            Err(crate::engine::AnswerError::NotValid { reason }) => {
                // Asked again: the answer had the wrong form (e.g. not an IP address).
                writeln!(out, "  ✗ {}", for_terminal(&reason))?;
                Vec::new()
            }
            Err(_) => Vec::new(),
        };
        report_save_problem(recorder, out)?;
    }
}

/// Runs the checks the engine asked for, one after the other, each with its finding on a
/// line; what they establish goes back to the engine, whose next checks join `effects`.
fn run_checks(
    recorder: &mut Recorder<'_>,
    effects: &mut Vec<Effect>,
    checks: &dyn crate::wizard::Checks,
    out: &mut dyn Write,
    width: usize,
) -> std::io::Result<()> {
    let knowledge = recorder.knowledge();
    let agent = recorder.mode() == Mode::Agent;
    for Effect::RunCheck(request) in std::mem::take(effects) {
        let label = crate::knowledge::checks::spec(&request.check)
            .map_or(request.check.as_str(), |spec| spec.label);
        if agent && let Some(note) = &knowledge.node(request.node).agent_note {
            write_agent_note(out, note, width)?;
        }
        writeln!(out, "{} …", for_terminal(label))?;
        let report = checks.run(&request);
        // Its status as a word ("ok", "problem", "error"): the check types are not this
        // module's to name.
        let status = serde_json::to_value(report.status).unwrap_or_default();
        writeln!(
            out,
            "{}",
            found_line(&report.details, status.as_str().unwrap_or(""), width)
        )?;
        let message = crate::wizard::message_for(&request, &report);
        effects.extend(recorder.update(message).unwrap_or_default());
        report_save_problem(recorder, out)?;
    }
    Ok(())
}

/// The conclusion: the steps for the person's program, why, what differs from the
/// provider's settings, and in agent mode the internal summary.
fn show_solution(
    recorder: &Recorder<'_>,
    node: NodeId,
    out: &mut dyn Write,
    width: usize,
) -> std::io::Result<()> {
    let knowledge = recorder.knowledge();
    let wizard = recorder.wizard();
    let agent = recorder.mode() == Mode::Agent;
    if let Some(client) = pick_client(knowledge, wizard.facts(), None) {
        let view = solution_view(knowledge, node, wizard.facts(), client);
        writeln!(out, "\n{}", "─".repeat(width.min(72)))?;
        if agent {
            writeln!(
                out,
                "Steps for the caller ({}):\n",
                for_terminal(&client.name)
            )?;
        }
        write!(out, "{}", solution_text(&view, width.min(100)))?;
        if let Some(reasoning) =
            crate::present::reasoning(knowledge, node, wizard.facts(), wizard.decided())
        {
            write!(
                out,
                "\n{}",
                crate::present::reasoning_text(&reasoning, width.min(100))
            )?;
        }
        let differences = crate::wizard::yours::for_facts(knowledge, wizard.facts());
        if let Some(text) = crate::wizard::yours::text(&differences) {
            write!(out, "\n{text}")?;
        }
    }
    if agent {
        writeln!(out, "\n{}", "─".repeat(width.min(72)))?;
        writeln!(out, "For you (internal summary):")?;
        let summary = crate::session::export::internal_summary(knowledge, recorder.session());
        for line in summary {
            let options = textwrap::Options::new(width.min(100))
                .initial_indent("  • ")
                .subsequent_indent("    ");
            writeln!(out, "{}", textwrap::fill(&line, options))?;
        }
    }
    Ok(())
}

/// What goes above a question's prompt: the words for the caller and the agent's note (agent
/// mode), why we ask, and where to look in the person's program.
fn show_question_context(
    recorder: &Recorder<'_>,
    node_id: NodeId,
    out: &mut dyn Write,
    width: usize,
) -> std::io::Result<()> {
    let knowledge = recorder.knowledge();
    let wizard = recorder.wizard();
    let agent = recorder.mode() == Mode::Agent;
    let node = knowledge.node(node_id);
    writeln!(out)?;
    if agent {
        // The agent reads this out; the end-user text is the fallback for overlays
        // written without a script.
        let say = node.say_for(knowledge.client_in(wizard.facts()));
        let wrapped = indented(&say, width, "  ");
        writeln!(out, "Say to the caller:\n{wrapped}")?;
        if let Some(note) = &node.agent_note {
            write_agent_note(out, note, width)?;
        }
    }
    // An agent's note replaces the end-user "why we ask": one explanation, for its reader.
    let help = if agent && node.agent_note.is_some() {
        None
    } else {
        node.help.as_ref()
    };
    // Said under the question's own title, so it is read with the prompt that follows and
    // not as a remark on the answer just given above it.
    if let Some(help) = help {
        writeln!(out, "{}", for_terminal(node.label()))?;
        let wrapped = indented(help, width, "  Why we ask: ");
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
    out.flush()
}

/// Knowledge text made safe and filled to the reading width, its first line after `first`,
/// the rest indented two spaces.
fn indented(text: &str, width: usize, first: &str) -> String {
    textwrap::fill(
        &for_terminal(text).replace('\n', " "),
        textwrap::Options::new(width.min(100))
            .initial_indent(first)
            .subsequent_indent("  "),
    )
}

/// What a prompt gave: an answer (or Esc, or Ctrl-C), or nothing to act on and the question
/// is asked again (a note was added from the choices).
enum Asked {
    Answer(Result<Option<Message>, InquireError>),
    Again,
}

/// Asks the question at `node_id`: a choice, a line, a password or a pasted message.
fn ask(
    recorder: &mut Recorder<'_>,
    node_id: NodeId,
    env_password: &mut Option<Secret>,
    render: RenderConfig<'_>,
    out: &mut dyn Write,
) -> std::io::Result<Asked> {
    let knowledge = recorder.knowledge();
    let node = knowledge.node(node_id);
    let text = for_terminal(&node.text_for(knowledge.client_in(recorder.wizard().facts())));
    let answer = match &node.body {
        NodeBody::Question {
            choices,
            unknown_label,
            ..
        } => return choose(recorder, &text, choices, unknown_label, render, out),
        NodeBody::Input {
            secret,
            placeholder,
            multiline,
            ..
        } => {
            let agent = recorder.mode() == Mode::Agent;
            let hint = if agent && !*secret && !*multiline {
                "Enter to continue (empty = skip) · /note TEXT adds a note · Esc back"
            } else {
                "Enter to continue (empty = skip) · Esc back · Ctrl-C quit"
            };
            if *multiline {
                read_pasted_lines(&text, out).map(|value| Some(Message::Answer(value)))
            } else if *secret && let Some(password) = env_password.take() {
                writeln!(out, "(using the password from RELAYDOC_PASSWORD)")?;
                Ok(Some(Message::Secret(SecretInput::Typed(password))))
            } else if *secret {
                inquire::Password::new(&text)
                    .with_render_config(render)
                    .with_help_message(hint)
                    .without_confirmation()
                    .with_display_mode(inquire::PasswordDisplayMode::Masked)
                    .prompt_skippable()
                    .map(|value| {
                        // A `Secret` from here on, to the check that sends it.
                        value.map(|typed| Message::Secret(SecretInput::Typed(Secret::new(typed))))
                    })
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
    Ok(Asked::Answer(answer))
}

/// A question with choices, "I don't know" and, in agent mode, "add a note".
fn choose(
    recorder: &mut Recorder<'_>,
    text: &str,
    choices: &[Choice],
    unknown_label: &str,
    render: RenderConfig<'_>,
    out: &mut dyn Write,
) -> std::io::Result<Asked> {
    let agent = recorder.mode() == Mode::Agent;
    let mut labels: Vec<String> = choices.iter().map(|c| for_terminal(&c.label)).collect();
    labels.push(for_terminal(unknown_label));
    if agent {
        labels.push(ADD_NOTE.to_string());
    }
    let picked = inquire::Select::new(text, labels.clone())
        .with_render_config(render)
        .with_help_message(KEYS_HINT)
        .with_page_size(12)
        .raw_prompt_skippable();
    let answer = match picked {
        Ok(Some(option)) if agent && option.index == labels.len() - 1 => {
            if !ask_note(recorder, render, out)? {
                return Ok(Asked::Again);
            }
            // Ctrl-C in the note prompt quits, as in every other prompt.
            Err(InquireError::OperationInterrupted)
        }
        picked => picked.map(|picked| {
            picked.map(|option| {
                choices
                    .get(option.index)
                    .map_or(Message::DontKnow, |choice| {
                        Message::Answer(choice.value.clone())
                    })
            })
        }),
    };
    Ok(Asked::Answer(answer))
}

/// In agent mode a line typed as `/note TEXT` is kept as a note, not sent as the answer; true
/// when it was (the question is then asked again).
fn kept_as_note(
    recorder: &mut Recorder<'_>,
    node_id: NodeId,
    answer: &Result<Option<Message>, InquireError>,
    out: &mut dyn Write,
) -> std::io::Result<bool> {
    let agent = recorder.mode() == Mode::Agent;
    // A password field takes passwords only: what is typed there is never kept as a note.
    let takes_notes = agent
        && matches!(
            recorder.knowledge().node(node_id).body,
            NodeBody::Input { secret: false, .. }
        );
    let Ok(Some(Message::Answer(text))) = answer else {
        return Ok(false);
    };
    let Some(note) = note_command(text).filter(|_| takes_notes) else {
        return Ok(false);
    };
    if note.is_empty() {
        writeln!(out, "(nothing noted: type /note and then the note)")?;
    } else {
        recorder.note(note);
        writeln!(out, "(note kept)")?;
        if let Some(warning) = crate::session::note_warning(note) {
            writeln!(out, "  ⚠ {warning}")?;
        }
        report_save_problem(recorder, out)?;
    }
    Ok(true)
}

/// Agent mode, at the solution: notes and the email to the caller, as often as needed, until
/// the agent is done.
fn wrap_up_call(
    recorder: &mut Recorder<'_>,
    sender: Option<&dyn StepsSender>,
    render: RenderConfig<'_>,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    const NOTE: &str = "Add a note for the ticket";
    const EMAIL: &str = "Email the steps to the caller";
    const DONE: &str = "Done";
    loop {
        let mut options = vec![NOTE];
        if sender.is_some() {
            options.push(EMAIL);
        }
        options.push(DONE);
        let picked = inquire::Select::new("Before you close the call:", options)
            .with_render_config(render)
            .with_help_message("↑↓ move · Enter choose · Esc done")
            .prompt_skippable();
        match picked {
            Ok(Some(NOTE)) => {
                if ask_note(recorder, render, out)? {
                    return Ok(());
                }
            }
            Ok(Some(EMAIL)) => {
                if let Some(sender) = sender {
                    offer_email(recorder, sender, render, out)?;
                }
            }
            Ok(_) | Err(InquireError::OperationCanceled | InquireError::OperationInterrupted) => {
                return Ok(());
            }
            Err(error) => return Err(std::io::Error::other(error.to_string())),
        }
    }
}

/// Agent mode, at the solution: email the caller their steps (Enter without an address = no).
fn offer_email(
    recorder: &mut Recorder<'_>,
    sender: &dyn StepsSender,
    render: RenderConfig<'_>,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let known = recorder.session().email().unwrap_or("").to_string();
    let mut prompt = inquire::Text::new("Email these steps to the caller? Address:")
        .with_render_config(render)
        .with_help_message("Enter to send · empty or Esc = don't send");
    if !known.is_empty() {
        prompt = prompt.with_initial_value(&known);
    }
    let to = match prompt.prompt_skippable() {
        Ok(Some(to)) if !to.trim().is_empty() => to.trim().to_string(),
        Ok(_) | Err(InquireError::OperationCanceled | InquireError::OperationInterrupted) => {
            return Ok(());
        }
        Err(error) => return Err(std::io::Error::other(error.to_string())),
    };
    let letter = match Letter::for_session(recorder.knowledge(), recorder.session(), &to) {
        Ok(letter) => letter,
        Err(problem) => {
            writeln!(out, "Not sent: {}", for_terminal(&problem.message))?;
            return Ok(());
        }
    };
    writeln!(out, "Sending …")?;
    match sender.send(&letter) {
        Ok(confirmation) => {
            recorder.record_sent(&to);
            writeln!(
                out,
                "Sent to {}: {}.",
                for_terminal(&to),
                for_terminal(&confirmation)
            )?;
        }
        Err(problem) => writeln!(
            out,
            "Not sent: {}\n(Try again later with `relaydoc sessions send {} --to ADDR`.)",
            for_terminal(&problem),
            recorder.session().id
        )?,
    }
    report_save_problem(recorder, out)
}

/// Internal guidance for the agent, never read out (and never shown in user mode).
fn write_agent_note(out: &mut dyn Write, note: &str, width: usize) -> std::io::Result<()> {
    let wrapped = textwrap::fill(
        &for_terminal(note).replace('\n', " "),
        textwrap::Options::new(width.min(100))
            .initial_indent("  ")
            .subsequent_indent("  "),
    );
    writeln!(out, "For you (not to read out):\n{wrapped}")
}

/// The note in `/note TEXT` (empty for a bare `/note`); `None` for an ordinary answer.
fn note_command(text: &str) -> Option<&str> {
    let rest = text.trim_start().strip_prefix(NOTE_COMMAND)?;
    (rest.is_empty() || rest.starts_with(char::is_whitespace)).then(|| rest.trim())
}

/// Asks for an agent's note and keeps it with the current step. True when the agent pressed
/// Ctrl-C: quit.
fn ask_note(
    recorder: &mut Recorder<'_>,
    render: RenderConfig<'_>,
    out: &mut dyn Write,
) -> std::io::Result<bool> {
    let note = inquire::Text::new("Note for the ticket:")
        .with_render_config(render)
        .with_help_message("Enter to keep it · Esc to drop it · Ctrl-C quit")
        .prompt_skippable();
    match note {
        Ok(Some(text)) if !text.trim().is_empty() => {
            recorder.note(&text);
            writeln!(out, "(note kept)")?;
            if let Some(warning) = crate::session::note_warning(&text) {
                writeln!(out, "  ⚠ {warning}")?;
            }
            report_save_problem(recorder, out)?;
            Ok(false)
        }
        Ok(_) | Err(InquireError::OperationCanceled) => Ok(false),
        Err(InquireError::OperationInterrupted) => Ok(true),
        Err(error) => Err(std::io::Error::other(error.to_string())),
    }
}

/// One line under a check's name saying what it found: the report's own summary (a text or
/// a list in `details.summary`), or its outcome in plain words when it has none.
fn found_line(details: &serde_json::Value, status: &str, width: usize) -> String {
    let summary = match details.get("summary") {
        Some(serde_json::Value::String(text)) => text.clone(),
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(serde_json::Value::as_str)
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    };
    let summary = crate::sanitize::single_line(&summary);
    let summary = if summary.trim().is_empty() {
        match status {
            "ok" => "Nothing wrong found.".to_string(),
            "problem" => "Found a problem.".to_string(),
            _ => "Could not check this; the next questions cover it.".to_string(),
        }
    } else {
        summary
    };
    textwrap::fill(
        summary.trim(),
        textwrap::Options::new(width.min(100))
            .initial_indent("  → ")
            .subsequent_indent("    "),
    )
}

/// A failed save does not stop the call; it is said once so nobody relies on the record.
fn report_save_problem(recorder: &mut Recorder<'_>, out: &mut dyn Write) -> std::io::Result<()> {
    if let Some(problem) = recorder.take_save_problem() {
        writeln!(out, "relaydoc: {}", for_terminal(&problem))?;
    }
    Ok(())
}

/// A pasted block of text: line prompts cannot take it (the first newline would end the
/// answer), so keys are read raw until Enter on an empty line. Bracketed paste arrives whole;
/// Ctrl-C quits and Esc goes back, as in every other prompt.
fn read_pasted_lines(question: &str, out: &mut dyn Write) -> Result<String, InquireError> {
    use crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
    use crossterm::terminal;

    writeln!(
        out,
        "{question}\n(Paste it, then press Enter on an empty line. Just Enter to skip.)"
    )
    .and_then(|()| out.flush())
    .map_err(InquireError::IO)?;
    terminal::enable_raw_mode().map_err(InquireError::IO)?;
    let _ = crossterm::execute!(std::io::stdout(), event::EnableBracketedPaste);
    let result = (|| {
        let mut text = String::new();
        let mut line = String::new();
        let mut echo = std::io::stdout();
        loop {
            match event::read().map_err(InquireError::IO)? {
                Event::Paste(pasted) => {
                    let pasted = pasted.replace("\r\n", "\n").replace('\r', "\n");
                    let _ = write!(
                        echo,
                        "{}",
                        crate::sanitize::for_terminal(&pasted).replace('\n', "\r\n")
                    );
                    let (complete, rest) = pasted.rsplit_once('\n').unwrap_or(("", &pasted));
                    if !complete.is_empty() || pasted.contains('\n') {
                        text.push_str(&line);
                        text.push_str(complete);
                        text.push('\n');
                        line.clear();
                    }
                    line.push_str(rest);
                }
                Event::Key(key) if key.kind != KeyEventKind::Release => match key.code {
                    KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                        return Err(InquireError::OperationInterrupted);
                    }
                    KeyCode::Esc => return Err(InquireError::OperationCanceled),
                    // Ctrl-J is a line feed: what some terminals and pipes send for Enter.
                    KeyCode::Enter | KeyCode::Char('j')
                        if key.code == KeyCode::Enter
                            || key.modifiers.contains(KeyModifiers::CONTROL) =>
                    {
                        let _ = write!(echo, "\r\n");
                        if line.trim().is_empty() {
                            return Ok(text);
                        }
                        text.push_str(&line);
                        text.push('\n');
                        line.clear();
                    }
                    KeyCode::Backspace if line.pop().is_some() => {
                        let _ = write!(echo, "\u{8} \u{8}");
                    }
                    KeyCode::Char(c) => {
                        line.push(c);
                        let _ = write!(echo, "{c}");
                    }
                    _ => {}
                },
                _ => {}
            }
            let _ = echo.flush();
            // A cap keeps a runaway paste from filling memory; explain reads less than this.
            if text.len() + line.len() > MAX_PASTE_BYTES {
                return Ok(text);
            }
        }
    })();
    let _ = crossterm::execute!(std::io::stdout(), event::DisableBracketedPaste);
    let _ = terminal::disable_raw_mode();
    result
}

const MAX_PASTE_BYTES: usize = 1024 * 1024;

#[cfg(test)]
mod tests {
    use super::note_command;

    #[test]
    fn a_note_is_slash_note_and_a_space_or_nothing() {
        assert_eq!(
            note_command("/note caller on a train"),
            Some("caller on a train")
        );
        assert_eq!(note_command("  /note   spaced out  "), Some("spaced out"));
        assert_eq!(note_command("/note\ttabbed"), Some("tabbed"));
        assert_eq!(note_command("/note"), Some(""));
        assert_eq!(note_command("/note   "), Some(""));
        assert_eq!(note_command("/notes are not notes"), None);
        assert_eq!(note_command("me@example.test"), None);
        assert_eq!(note_command("a /note in the middle"), None);
    }
}
