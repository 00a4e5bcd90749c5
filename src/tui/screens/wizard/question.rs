//! The wizard's question stage: a question with numbered choices and "I don't know", or a
//! box for an answer (one line, a hidden password, or a whole error message), with why we
//! ask, where to look in the person's program and, in helpdesk mode, the words to say.

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph, Wrap};

use super::{Session, Stage, agent_note_panel};
use crate::engine::{Message, SecretInput};
use crate::knowledge::model::{Node, NodeBody, NodeId};
use crate::present::{StepView, TargetSettings, pick_client, task_view};
use crate::sanitize::{for_terminal, single_line};
use crate::tui::article::Doc;
use crate::tui::layout::edit_line;
use crate::tui::screens::{Ctx, Go, Paint};
use crate::tui::theme::Theme;
use crate::tui::widgets::{SIDE_PANEL_FROM, text_box};
use crate::vocab::Secret;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionUi {
    pub node: NodeId,
    /// The highlighted choice; the last index is "I don't know".
    pub selected: usize,
    /// Text typed into an input.
    pub input: String,
    pub show_why: bool,
    /// The digit just typed and when, so a second digit soon after makes a two-digit choice
    /// ("1" then "0" is choice 10).
    pub digit: Option<(usize, Instant)>,
}

/// How long after a digit the next one still joins it into a two-digit choice.
pub const DIGIT_JOIN: Duration = Duration::from_millis(1500);

impl QuestionUi {
    pub(super) fn at(node: NodeId) -> Self {
        Self {
            node,
            selected: 0,
            input: String::new(),
            show_why: false,
            digit: None,
        }
    }
}

/// Keys on a question: Tab for why we ask, then choosing or typing the answer.
pub fn key(session: &mut Session<'_>, key: KeyEvent, ctx: &mut Ctx<'_, '_>) -> Go {
    let knowledge = ctx.knowledge;
    let now = ctx.now;
    let Stage::Question(ui) = &mut session.stage else {
        return Go::Stay;
    };
    // Any other key ends a two-digit number.
    let digit = ui.digit.take();
    if key.code == KeyCode::Tab {
        ui.show_why = !ui.show_why;
        return Go::Stay;
    }
    let message = match &knowledge.node(ui.node).body {
        NodeBody::Question { choices, .. } => {
            // The choices, then "I don't know" as the last entry.
            let count = choices.len() + 1;
            match key.code {
                KeyCode::Up | KeyCode::Char('k') => ui.selected = ui.selected.saturating_sub(1),
                KeyCode::Down | KeyCode::Char('j') => {
                    ui.selected = (ui.selected + 1).min(count - 1);
                }
                KeyCode::Home => ui.selected = 0,
                KeyCode::End => ui.selected = count - 1,
                KeyCode::Char(c @ '0'..='9') => {
                    ui.selected = typed_choice(ui, digit, c, choices.len(), now);
                }
                KeyCode::Char('d') => ui.selected = count - 1,
                KeyCode::Enter | KeyCode::Right | KeyCode::Char(' ') => {
                    let message = chosen(choices, ui.selected);
                    return session.engine(message, ctx);
                }
                _ => {}
            }
            None
        }
        NodeBody::Input {
            secret, multiline, ..
        } => input_key(ui, key, *secret, *multiline),
        _ => None,
    };
    match message {
        Some(message) => session.engine(message, ctx),
        None => Go::Stay,
    }
}

/// The answer for the highlighted entry: a choice, or "I don't know" past the last one.
fn chosen(choices: &[crate::knowledge::model::Choice], selected: usize) -> Message {
    choices.get(selected).map_or(Message::DontKnow, |choice| {
        Message::Answer(choice.value.clone())
    })
}

/// Typing into an answer box; Enter gives the message for the engine.
fn input_key(ui: &mut QuestionUi, key: KeyEvent, secret: bool, multiline: bool) -> Option<Message> {
    let new_line = (key.code == KeyCode::Enter && key.modifiers.contains(KeyModifiers::ALT))
        || (key.code == KeyCode::Char('j') && key.modifiers.contains(KeyModifiers::CONTROL));
    match key.code {
        // Alt-Enter or Ctrl-J adds a line to a box for a whole message, as on the
        // paste screen.
        _ if new_line && multiline => ui.input.push('\n'),
        KeyCode::Enter => {
            let value = std::mem::take(&mut ui.input);
            // An empty answer is the engine's "I don't know / skip". A password
            // becomes a `Secret` here, where it was typed, and stays one.
            return Some(if secret {
                Message::Secret(SecretInput::Typed(Secret::new(value)))
            } else {
                Message::Answer(value)
            });
        }
        _ => edit_line(&mut ui.input, &key),
    }
    None
}

/// The choice highlighted after digit `c`: choices are numbered from 1, "I don't know" is 0.
/// A digit typed within [`DIGIT_JOIN`] of another joins it when the two make a choice's
/// number, so "1" then "0" is choice 10; otherwise it stands alone. `ui.digit` keeps the
/// digit for the next key only when a two-digit number could start with it.
fn typed_choice(
    ui: &mut QuestionUi,
    before: Option<(usize, Instant)>,
    c: char,
    options: usize,
    now: Instant,
) -> usize {
    let value = c as usize - '0' as usize;
    let joined = before
        .filter(|(_, at)| now.saturating_duration_since(*at) <= DIGIT_JOIN)
        .map(|(first, _)| first * 10 + value)
        .filter(|number| (10..=options).contains(number));
    if let Some(number) = joined {
        return number - 1;
    }
    if value != 0 && value * 10 <= options {
        ui.digit = Some((value, now));
    }
    match value {
        0 => options,
        _ if value <= options => value - 1,
        _ => ui.selected,
    }
}

/// The footer's keys on a question. Helpdesk mode trades the restart key (still in the help)
/// for the note key.
pub fn keys(typing: bool, agent: bool) -> Vec<(&'static str, &'static str)> {
    match (typing, agent) {
        (true, false) => vec![
            ("Enter", "ok"),
            ("Tab", "why we ask"),
            ("Esc", "back"),
            ("Ctrl-R", "restart"),
            ("F1", "keys"),
            ("Ctrl-C", "quit"),
        ],
        (true, true) => vec![
            ("Enter", "ok"),
            ("Tab", "why we ask"),
            ("Esc", "back"),
            ("Ctrl-N", "note"),
            ("F1", "keys"),
            ("Ctrl-C", "quit"),
        ],
        (false, false) => vec![
            ("↑↓", "choose"),
            ("Enter", "ok"),
            ("Tab", "why we ask"),
            ("Esc", "back"),
            ("r", "restart"),
            ("q", "quit"),
            ("?", "keys"),
        ],
        (false, true) => vec![
            ("↑↓", "choose"),
            ("Enter", "ok"),
            ("Tab", "why we ask"),
            ("Esc", "back"),
            ("n", "note"),
            ("q", "quit"),
            ("?", "keys"),
        ],
    }
}

/// Rows of the answer box for a whole message (its frame included).
const MULTILINE_BOX: u16 = 7;

/// An answer box to draw: the text as shown (dots for a password), its placeholder, and
/// whether it hides what is typed or takes several lines.
struct AnswerBox {
    shown: String,
    placeholder: Option<String>,
    secret: bool,
    multiline: bool,
}

impl AnswerBox {
    /// The box a node asks for; `None` for a question with choices.
    fn of(node: &Node, ui: &QuestionUi) -> Option<Self> {
        let NodeBody::Input {
            secret,
            placeholder,
            multiline,
            ..
        } = &node.body
        else {
            return None;
        };
        let shown = if *secret {
            "•".repeat(ui.input.chars().count())
        } else if *multiline {
            for_terminal(&ui.input)
        } else {
            single_line(&ui.input)
        };
        Some(Self {
            shown,
            placeholder: placeholder.clone(),
            secret: *secret,
            multiline: *multiline,
        })
    }

    /// Its rows, frame included: a box for a whole error message shows several lines.
    fn height(&self) -> u16 {
        if self.multiline { MULTILINE_BOX } else { 3 }
    }
}

/// A question: breadcrumb, the question, the words for the caller (helpdesk), the choices or
/// the answer box, then the help panels; on wide screens the answers so far beside it.
pub fn draw(
    paint: Paint<'_>,
    session: &Session<'_>,
    ui: &QuestionUi,
    frame: &mut Frame<'_>,
    area: Rect,
) {
    let theme = paint.theme;
    let node = paint.knowledge.node(ui.node);
    let answers = answers(session);
    let (main, side) = split_side(area);
    let width = usize::from(main.width).min(100);
    // Breadcrumb, question, then choices: always on screen.
    let top = top_doc(paint, session, node, &answers, side.is_none(), width);
    let say_box = say_lines(paint, session, node, width, main.height);
    let answer_box = AnswerBox::of(node, ui);
    let choices = choices_doc(theme, session, node, ui, width);
    let choices_height = match &answer_box {
        Some(answer) => answer.height() + 2,
        None => choices.len(),
    };
    let say_height = say_box.as_ref().map_or(0, |lines| {
        u16::try_from(lines.len() + 3).unwrap_or(u16::MAX)
    });
    let [top_area, say_area, choices_area, rest] = Layout::vertical([
        Constraint::Length(top.len()),
        Constraint::Length(say_height),
        Constraint::Length(choices_height),
        Constraint::Min(0),
    ])
    .areas(main);
    frame.render_widget(Paragraph::new(top.lines), top_area);
    if let Some(lines) = say_box {
        say_panel(theme, frame, say_area, lines, width);
    }
    match answer_box {
        Some(answer) => draw_answer_box(theme, frame, choices_area, answer),
        None => frame.render_widget(Paragraph::new(choices.lines), choices_area),
    }
    let panels = help_panels(paint, session, node, ui, width, rest.height);
    frame.render_widget(Paragraph::new(panels.lines), rest);
    if let Some(side) = side {
        answers_panel(theme, frame, side, &answers);
    }
}

/// The question's column, and on wide screens the side panel beside it.
fn split_side(area: Rect) -> (Rect, Option<Rect>) {
    if area.width < SIDE_PANEL_FROM {
        return (area, None);
    }
    let [main, _, side] = Layout::horizontal([
        Constraint::Min(60),
        Constraint::Length(2),
        Constraint::Length(40),
    ])
    .areas(area);
    (main, Some(side))
}

/// What was answered so far (when there is no side panel for it), and the question.
fn top_doc(
    paint: Paint<'_>,
    session: &Session<'_>,
    node: &Node,
    answers: &[(String, String)],
    breadcrumb_here: bool,
    width: usize,
) -> Doc {
    let theme = paint.theme;
    let mut top = Doc::new(width, theme);
    if breadcrumb_here && !answers.is_empty() {
        // What was answered, not only what was asked: the answers are what a person checks.
        let pairs: Vec<String> = answers
            .iter()
            .map(|(title, answer)| format!("{title}: {answer}"))
            .collect();
        let trail: Vec<&str> = pairs.iter().map(String::as_str).collect();
        let trail = breadcrumb(&trail, width.saturating_sub(10));
        top.item("So far: ", "        ", &trail, theme.dim());
    }
    top.gap();
    // The question in the person's own program's words, where it has them.
    let client = paint.knowledge.client_in(session.wizard().facts());
    if session.agent() {
        // The words to read out are in the panel below; the agent's own heading is the
        // question's short label.
        top.item("", "", node.label(), theme.title());
    } else {
        top.item("", "", &node.text_for(client), theme.title());
    }
    top.gap();
    top
}

/// Helpdesk mode: the words to say to the caller, cut short on a small screen.
fn say_lines(
    paint: Paint<'_>,
    session: &Session<'_>,
    node: &Node,
    width: usize,
    height: u16,
) -> Option<Vec<Line<'static>>> {
    if !session.agent() {
        return None;
    }
    let theme = paint.theme;
    let client = paint.knowledge.client_in(session.wizard().facts());
    let mut doc = Doc::new(width.saturating_sub(4).max(10), theme);
    doc.para(&node.say_for(client), theme.strong());
    let mut lines = doc.lines;
    // A long script must not push the choices off a small screen.
    let most = if height < 30 { 4 } else { 8 };
    if lines.len() > most {
        lines.truncate(most - 1);
        lines.push(Line::styled(
            "… (the rest: make the window taller)",
            theme.dim(),
        ));
    }
    Some(lines)
}

/// The words for the caller, clearly apart from everything else: a framed panel, and a
/// blank line under it.
fn say_panel(
    theme: Theme,
    frame: &mut Frame<'_>,
    area: Rect,
    lines: Vec<Line<'static>>,
    width: usize,
) {
    let [framed, _] = Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(area);
    let framed = Rect {
        width: framed.width.min(u16::try_from(width).unwrap_or(u16::MAX)),
        ..framed
    };
    let block = Block::bordered()
        .border_type(BorderType::Double)
        .border_style(theme.heading())
        .title(Span::styled(" Say to the caller ", theme.heading()));
    let inner = block
        .inner(framed)
        .inner(ratatui::layout::Margin::new(1, 0));
    frame.render_widget(block, framed);
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The numbered choices and "I don't know" (0), and the notice about the last answer.
fn choices_doc(
    theme: Theme,
    session: &Session<'_>,
    node: &Node,
    ui: &QuestionUi,
    width: usize,
) -> Doc {
    let mut choices = Doc::new(width, theme);
    if let NodeBody::Question {
        choices: options,
        unknown_label,
        ..
    } = &node.body
    {
        let labels = options
            .iter()
            .map(|choice| choice.label.as_str())
            .chain([unknown_label.as_str()]);
        // Numbers line up even past nine choices.
        let digits = (options.len() + 1).to_string().len();
        let rest = " ".repeat(digits + 4);
        for (index, label) in labels.enumerate() {
            let number = if index == options.len() {
                format!("{:>digits$}", 0)
            } else {
                format!("{:>digits$}", index + 1)
            };
            let (marker, style) = if index == ui.selected {
                ("› ", theme.selected())
            } else {
                ("  ", Style::new())
            };
            choices.item(&format!("{marker}{number}. "), &rest, label, style);
        }
    }
    if let Some(notice) = &session.notice {
        choices.gap();
        choices.item("! ", "  ", notice, theme.error());
    }
    choices
}

/// The answer box, its text (or placeholder) and cursor, and the hint under it.
fn draw_answer_box(theme: Theme, frame: &mut Frame<'_>, area: Rect, answer: AnswerBox) {
    let [box_area, hint_area] =
        Layout::vertical([Constraint::Length(answer.height()), Constraint::Length(2)]).areas(area);
    let box_area = Rect {
        width: box_area.width.min(72),
        ..box_area
    };
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.border())
        .title(if answer.secret {
            " Hidden as you type "
        } else {
            " Your answer "
        });
    let inner = block.inner(box_area);
    frame.render_widget(block, box_area);
    let hint = if answer.multiline {
        "Press Enter to continue; Alt-Enter or Ctrl-J starts a new line. Nothing typed? \
         Enter skips this question (\"I don't know\")."
    } else {
        "Press Enter to continue. Nothing typed? Enter skips this question (\"I don't know\")."
    };
    let visible_width = usize::from(inner.width.saturating_sub(1));
    let count = answer.shown.chars().count();
    // Long text scrolls left so the end, where typing happens, stays visible.
    let tail: String = answer
        .shown
        .chars()
        .skip(count.saturating_sub(visible_width))
        .collect();
    let tail_width = u16::try_from(tail.chars().count()).unwrap_or(0);
    if tail.is_empty() {
        if let Some(placeholder) = &answer.placeholder {
            frame.render_widget(
                Paragraph::new(format!("for example: {}", single_line(placeholder)))
                    .style(theme.dim()),
                inner,
            );
        }
    } else if answer.multiline {
        text_box(frame, inner, &answer.shown);
    } else {
        frame.render_widget(Paragraph::new(tail), inner);
    }
    if !answer.multiline || answer.shown.is_empty() {
        frame.set_cursor_position(Position::new(inner.x + tail_width, inner.y));
    }
    frame.render_widget(
        Paragraph::new(hint)
            .style(theme.dim())
            .wrap(Wrap { trim: true }),
        hint_area,
    );
}

/// Below the choices: the agent's note (helpdesk), why we ask, and where to look in the
/// person's program; never cut off silently within `room` rows.
fn help_panels(
    paint: Paint<'_>,
    session: &Session<'_>,
    node: &Node,
    ui: &QuestionUi,
    width: usize,
    room: u16,
) -> Doc {
    let theme = paint.theme;
    let mut panels = Doc::new(width, theme);
    panels.lines.push(Line::default());
    if session.agent() {
        agent_note_panel(&mut panels, node);
    }
    if ui.show_why {
        panels.heading("Why we ask");
        match &node.help {
            Some(help) => panels.para(help, Style::new()),
            None => panels.para(
                "This answer decides which question comes next.",
                Style::new(),
            ),
        }
    } else if node.help.is_some() {
        panels.gap();
        panels.item("", "", "Press Tab to see why we ask.", theme.dim());
    }
    // "Where to look" goes below the choices, where there is the most room.
    where_to_look(paint, session, node, &mut panels);
    // Never cut the help off silently: say there is more, and how to see it.
    let room = usize::from(room);
    if panels.lines.len() > room && room > 0 {
        panels.lines.truncate(room - 1);
        let hint = if ui.show_why {
            "… more below: press Tab to hide \"Why we ask\", or make the window taller"
        } else {
            "… more below: make the window taller to see it all"
        };
        panels.lines.push(Line::styled(hint, theme.strong()));
    }
    panels
}

/// Where the question's answer is found in the person's program, step by step.
fn where_to_look(paint: Paint<'_>, session: &Session<'_>, node: &Node, doc: &mut Doc) {
    let knowledge = paint.knowledge;
    let facts = session.wizard().facts();
    let (Some(task), Some(client)) = (&node.client_task, pick_client(knowledge, facts, None))
    else {
        return;
    };
    let target = TargetSettings::from_facts(knowledge, facts);
    let Some(StepView::ClientTask {
        client,
        title,
        steps,
        ..
    }) = task_view(client, task, &target)
    else {
        return;
    };
    doc.lines.push(Line::default());
    doc.item(
        "",
        "",
        &format!("Where to look — {title} ({client})"),
        paint.theme.heading(),
    );
    for (index, step) in steps.iter().enumerate() {
        doc.item(&format!("{:>2}. ", index + 1), "    ", step, Style::new());
    }
}

/// Wide screens: the answers so far, beside the question.
fn answers_panel(theme: Theme, frame: &mut Frame<'_>, side: Rect, answers: &[(String, String)]) {
    let block = Block::new()
        .borders(Borders::LEFT)
        .border_style(theme.border())
        .title(Span::styled(" Your answers so far", theme.heading()));
    let inner = block.inner(side).inner(ratatui::layout::Margin::new(1, 1));
    let mut panel = Doc::new(usize::from(inner.width), theme);
    if answers.is_empty() {
        panel.para("Your answers will be listed here.", theme.dim());
    }
    for (title, answer) in answers {
        panel.item("", "", title, theme.dim());
        panel.item("  ", "  ", answer, Style::new());
    }
    frame.render_widget(block, side);
    frame.render_widget(Paragraph::new(panel.lines), inner);
}

/// What the person answered so far, as "title: answer" pairs for the breadcrumb.
fn answers(session: &Session<'_>) -> Vec<(String, String)> {
    session
        .wizard()
        .answered()
        .into_iter()
        .map(|(node, value)| {
            let answer = match &node.body {
                NodeBody::Question {
                    choices,
                    unknown_label,
                    ..
                } => choices
                    .iter()
                    .find(|choice| choice.value == value)
                    .map_or_else(|| unknown_label.clone(), |choice| choice.label.clone()),
                NodeBody::Input { secret: true, .. } => "(hidden)".to_string(),
                NodeBody::Input { .. } if value == crate::knowledge::model::UNKNOWN => {
                    "(skipped)".to_string()
                }
                _ => value,
            };
            (single_line(node.label()), single_line(&answer))
        })
        .collect()
}

/// "a › b › c" for "So far:", dropping the oldest entries while it needs more than two
/// lines of `width`; one entry longer than that ends at a word with "…".
fn breadcrumb(entries: &[&str], width: usize) -> String {
    let room = width.saturating_mul(2).saturating_sub(4);
    let mut kept: Vec<&str> = entries.to_vec();
    let joined = |kept: &[&str]| kept.join(" › ");
    let mut dropped = false;
    while kept.len() > 1 && joined(&kept).chars().count() + 4 > room {
        kept.remove(0);
        dropped = true;
    }
    let mut text = joined(&kept);
    if dropped {
        text = format!("… › {text}");
    }
    if text.chars().count() > room {
        let mut cut = String::new();
        for word in text.split(' ') {
            if cut.chars().count() + word.chars().count() + 2 > room {
                break;
            }
            if !cut.is_empty() {
                cut.push(' ');
            }
            cut.push_str(word);
        }
        text = format!("{cut} …");
    }
    text
}
