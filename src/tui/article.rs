//! Long texts laid out as wrapped, styled lines: the solution page and Browse's articles.
//!
//! Both the view (to draw) and `update` (to know where scrolling ends) lay out through here at
//! the same width, so what scrolls is exactly what is drawn. The words come from
//! [`crate::present`] (solutions, client steps, filled-in settings); this module only arranges
//! them. All knowledge text is sanitised on the way in.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::layout::{agent_note, text_width};
use super::state::SolutionUi;
use super::theme::Theme;
use crate::engine::Facts;
use crate::knowledge::Knowledge;
use crate::knowledge::model::{Client, NodeBody, NodeId};
use crate::knowledge::raw::AuthKind;
use crate::present::{StepView, TargetSettings, pick_client, solution_view, task_view};
use crate::sanitize::for_terminal;

/// Width from which the solution's settings block sits beside the steps instead of below.
const SETTINGS_ASIDE_FROM: u16 = 120;

/// Whether the solution shows a settings block at all: when it has steps in the mail
/// program, or the provider is known. Server-side hand-offs have no settings to change.
pub fn shows_settings(knowledge: &Knowledge, facts: &Facts, node: NodeId) -> bool {
    let has_client_steps = match &knowledge.node(node).body {
        NodeBody::Solution { steps, .. } | NodeBody::Handoff { steps, .. } => steps
            .iter()
            .any(|step| matches!(step, crate::knowledge::model::Step::ClientTask(_))),
        _ => false,
    };
    has_client_steps
        || TargetSettings::from_facts(knowledge, facts)
            .provider
            .is_some()
}

/// Whether the settings sit beside the solution (wide windows) rather than below it.
pub fn settings_aside(knowledge: &Knowledge, facts: &Facts, ui: &SolutionUi, width: u16) -> bool {
    width >= SETTINGS_ASIDE_FROM && shows_settings(knowledge, facts, ui.node)
}

/// The solution text's width: narrower when the settings sit beside it.
pub fn solution_width(aside: bool, width: u16) -> usize {
    if aside {
        usize::from(width).saturating_sub(50).clamp(20, 100)
    } else {
        text_width(width)
    }
}

/// Wrapped, styled lines, built paragraph by paragraph.
#[derive(Debug)]
pub struct Doc {
    width: usize,
    theme: Theme,
    pub lines: Vec<Line<'static>>,
}

impl Doc {
    pub fn new(width: usize, theme: Theme) -> Self {
        Self {
            width,
            theme,
            lines: Vec::new(),
        }
    }

    pub fn len(&self) -> u16 {
        u16::try_from(self.lines.len()).unwrap_or(u16::MAX)
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// One empty line, never two in a row and never at the top.
    pub fn gap(&mut self) {
        if self.lines.last().is_some_and(|line| line.width() > 0) {
            self.lines.push(Line::default());
        }
    }

    pub fn heading(&mut self, text: &str) {
        self.gap();
        let style = self.theme.heading();
        self.item("", "", text, style);
    }

    /// Paragraphs separated by blank lines; single newlines inside one are joined, as in the
    /// knowledge files' folded text.
    pub fn para(&mut self, text: &str, style: Style) {
        for (index, paragraph) in for_terminal(text).split("\n\n").enumerate() {
            let joined = paragraph.split_whitespace().collect::<Vec<_>>().join(" ");
            if !joined.is_empty() {
                if index > 0 {
                    self.gap();
                }
                self.item("", "", &joined, style);
            }
        }
    }

    /// Text with a hanging indent: `first` before the first line, `rest` before the others.
    /// `**bold**` marks in knowledge text become bold.
    pub fn item(&mut self, first: &str, rest: &str, text: &str, style: Style) {
        let text = for_terminal(text);
        // Never split words such as "sign-in" or "SSL/TLS" across lines: lines break at
        // spaces only.
        let options = textwrap::Options::new(self.width.max(10))
            .initial_indent(first)
            .subsequent_indent(rest)
            .word_separator(textwrap::WordSeparator::AsciiSpace)
            .word_splitter(textwrap::WordSplitter::NoHyphenation);
        // Marks are wrapped as text; that only makes lines shorter once they are removed.
        let mut bold = false;
        for line in textwrap::wrap(text.trim(), options) {
            self.lines
                .push(rich(&line, style, self.theme.strong(), &mut bold));
        }
    }

    /// Lines kept as they are (configuration snippets), cut to fit rather than re-flowed.
    pub fn verbatim(&mut self, text: &str, indent: &str, style: Style) {
        for line in for_terminal(text).lines() {
            let line = format!("{indent}{}", line.replace('\t', "    "));
            for piece in textwrap::wrap(&line, textwrap::Options::new(self.width.max(10))) {
                self.lines.push(Line::styled(piece.into_owned(), style));
            }
        }
    }

    /// A label and its value, aligned: the settings block.
    pub fn field(&mut self, label: &str, value: &str) {
        let label = format!("  {label:<17} ");
        let rest = " ".repeat(label.chars().count());
        let options = textwrap::Options::new(self.width.max(10))
            .initial_indent(&label)
            .subsequent_indent(&rest)
            .word_separator(textwrap::WordSeparator::AsciiSpace)
            .word_splitter(textwrap::WordSplitter::NoHyphenation);
        for (index, line) in textwrap::wrap(&for_terminal(value), options)
            .into_iter()
            .enumerate()
        {
            let (head, tail) = line.split_at(label.len().min(line.len()));
            let head_style = if index == 0 {
                self.theme.dim()
            } else {
                Style::new()
            };
            self.lines.push(Line::from(vec![
                Span::styled(head.to_string(), head_style),
                Span::styled(tail.to_string(), self.theme.strong()),
            ]));
        }
    }
}

/// Splits a line on `**` marks, toggling bold; `bold` carries across wrapped lines.
fn rich(line: &str, base: Style, strong: Style, bold: &mut bool) -> Line<'static> {
    let mut spans = Vec::new();
    for (index, part) in line.split("**").enumerate() {
        if index > 0 {
            *bold = !*bold;
        }
        if !part.is_empty() {
            let style = if *bold { base.patch(strong) } else { base };
            spans.push(Span::styled(part.to_string(), style));
        }
    }
    Line::from(spans)
}

/// The client the solution's steps are written for.
pub fn solution_client<'k>(
    knowledge: &'k Knowledge,
    facts: &Facts,
    ui: &SolutionUi,
) -> Option<&'k Client> {
    pick_client(knowledge, facts, ui.client.as_deref())
}

/// The solution page: cause, explanation, the client's steps, settings, hand-off.
pub fn solution_doc(
    knowledge: &Knowledge,
    facts: &Facts,
    ui: &SolutionUi,
    width: u16,
    theme: Theme,
) -> Doc {
    let aside = settings_aside(knowledge, facts, ui, width);
    let mut doc = Doc::new(solution_width(aside, width), theme);
    let Some(client) = solution_client(knowledge, facts, ui) else {
        doc.para(
            "relaydoc knows no mail programs; its knowledge is incomplete.",
            Style::new(),
        );
        return doc;
    };
    let view = solution_view(knowledge, ui.node, facts, client);
    doc.item("", "", &view.title, theme.title());
    if let Some(cause) = view.cause {
        doc.gap();
        doc.item(
            "Most likely cause: ",
            "  ",
            &format!("{} — {}", cause.title, cause.summary),
            theme.strong(),
        );
        doc.item(
            "Where it was refused: ",
            "  ",
            cause.side.describe(),
            Style::new(),
        );
    }
    doc.gap();
    doc.para(&view.text, Style::new());

    let has_client_steps = view
        .steps
        .iter()
        .any(|step| matches!(step, StepView::ClientTask { .. }));
    if !view.steps.is_empty() {
        let heading = if has_client_steps {
            format!("What to do — steps for {}  (c: other program)", client.name)
        } else {
            "What to do".to_string()
        };
        doc.heading(&heading);
        for (index, step) in view.steps.iter().enumerate() {
            let number = format!("{:>2}. ", index + 1);
            match step {
                StepView::Say(text) => doc.item(&number, "    ", text, Style::new()),
                StepView::ClientTask {
                    client,
                    title,
                    steps,
                    note,
                } => {
                    doc.item(
                        &number,
                        "    ",
                        &format!("{title} — in {client}:"),
                        theme.strong(),
                    );
                    for (letter, step) in (b'a'..=b'z').cycle().zip(steps) {
                        let marker = format!("    {}) ", char::from(letter));
                        doc.item(&marker, "       ", step, Style::new());
                    }
                    if let Some(note) = note {
                        doc.item("    Note: ", "          ", note, theme.dim());
                    }
                }
            }
        }
    }

    if let Some(reasoning) = ui
        .decided
        .and_then(|decided| crate::present::reasoning(knowledge, ui.node, facts, decided))
    {
        reasoning_section(&mut doc, &reasoning, theme);
    }
    let differences = crate::wizard::yours::for_facts(knowledge, facts);
    if !differences.is_empty() {
        doc.heading("Your settings and your provider's");
        for line in &differences {
            doc.item("  • ", "    ", line, Style::new());
        }
    }

    let target = TargetSettings::from_facts(knowledge, facts);
    if !aside && (has_client_steps || target.provider.is_some()) {
        settings_block(&mut doc, &target);
    }
    if let Some(fix) = &view.server_fix {
        doc.heading("For the server's administrator");
        doc.verbatim(fix, "  ", Style::new());
    }
    if let Some(contact) = &view.contact {
        doc.heading("Who to contact");
        doc.para(contact, Style::new());
    }
    if let Some(tell) = &view.tell {
        doc.heading("What to tell them (you can copy this)");
        for paragraph in tell.split("\n\n") {
            let joined = paragraph.split_whitespace().collect::<Vec<_>>().join(" ");
            doc.item("  ", "  ", &joined, Style::new());
        }
    }
    doc
}

/// "Why this answer" (or "Not sure yet") on the solution page.
fn reasoning_section(doc: &mut Doc, reasoning: &crate::present::Reasoning, theme: Theme) {
    use crate::present::percent;
    if reasoning.decided {
        doc.heading("Why this answer");
        for why in reasoning.support.iter().take(4) {
            doc.item("  • ", "    ", why, Style::new());
        }
        for why in reasoning.against.iter().take(2) {
            doc.item("  • ", "    ", &format!("Against it: {why}"), theme.dim());
        }
        if let Some((title, confidence)) = &reasoning.runner_up {
            doc.item(
                "  • ",
                "    ",
                &format!("Next most likely: {title} ({})", percent(*confidence)),
                theme.dim(),
            );
        }
    } else {
        doc.heading("Not sure yet");
        doc.para(
            "Your answers do not single out one cause. These are still possible, most likely \
             first, each with one thing to try that tells it apart:",
            Style::new(),
        );
        for (title, confidence, try_this) in &reasoning.contenders {
            doc.item(
                "  • ",
                "    ",
                &format!("{title} ({})", percent(*confidence)),
                theme.strong(),
            );
            if let Some(try_this) = try_this {
                doc.item("    ", "    ", try_this, Style::new());
            }
        }
    }
}

/// The outgoing server settings, one per line, easy to read out and copy.
pub fn settings_block(doc: &mut Doc, target: &TargetSettings<'_>) {
    let heading = match target.provider {
        Some(provider) => format!("Settings to use ({})", provider.name),
        None => "Settings to use".to_string(),
    };
    doc.heading(&heading);
    doc.field("Outgoing server", &target.fill("{host}"));
    doc.field("Port", &target.fill("{port}"));
    doc.field("Encryption", &target.fill("{security}"));
    let auth = target
        .outgoing()
        .map_or(AuthKind::Password, |endpoint| endpoint.auth);
    doc.field("Sign-in", auth_label(auth));
    doc.field("User name", &target.fill("{username}"));
}

fn auth_label(auth: AuthKind) -> &'static str {
    match auth {
        AuthKind::Password => "yes — with your user name and password",
        AuthKind::Oauth2 => "yes — through the provider's own login window (OAuth)",
        AuthKind::PopBeforeSmtp => "check for new mail first, then send (POP-before-SMTP)",
        AuthKind::None => "none",
    }
}

pub fn solution_len(
    knowledge: &Knowledge,
    facts: &Facts,
    ui: &SolutionUi,
    width: u16,
    theme: Theme,
) -> u16 {
    solution_doc(knowledge, facts, ui, width, theme).len()
}

/// Helpdesk mode's second view of a solution: what the agent needs for the ticket — the
/// internal summary, the node's agent note, the notes taken, what was emailed. Never shown to
/// the caller, never in user mode.
pub fn internal_doc(
    knowledge: &Knowledge,
    session: &crate::session::Session,
    width: u16,
    theme: Theme,
) -> Doc {
    use crate::session::EventKind;

    let mut doc = Doc::new(text_width(width), theme);
    doc.item("", "", "For you — not for the caller", theme.title());
    let mut who = format!("Session {}", session.id);
    if let Some(caller) = &session.caller {
        who.push_str(&format!(" · caller: {caller}"));
    }
    if let Some(agent) = &session.agent {
        who.push_str(&format!(" · agent: {agent}"));
    }
    doc.item("", "", &crate::sanitize::single_line(&who), theme.dim());
    doc.gap();
    // The conclusion's guidance has its own heading below, so the list leaves it out.
    for line in crate::session::export::internal_summary_without_guidance(knowledge, session) {
        doc.item("• ", "  ", &line, Style::new());
    }
    let note = knowledge
        .node_id(&session.status.node)
        .and_then(|node| agent_note(knowledge.node(node)));
    if let Some(note) = note {
        doc.heading("Agent note");
        doc.para(note, Style::new());
    }
    let notes: Vec<&str> = session.notes().map(|(_, text)| text).collect();
    if !notes.is_empty() {
        doc.heading("Your notes");
        for text in notes {
            doc.item(
                "• ",
                "  ",
                &crate::sanitize::single_line(text),
                Style::new(),
            );
        }
    }
    for event in &session.events {
        if let EventKind::Sent { to } = &event.what {
            doc.gap();
            doc.item("", "", &format!("Emailed the steps to {to}."), theme.ok());
        }
    }
    doc.gap();
    doc.para(
        "e emails the caller's steps · n adds a note · the ticket summary: relaydoc sessions \
         show ID (or export ID --format md).",
        theme.dim(),
    );
    doc
}

/// A Browse article by id: a cause, a node, a client guide or a provider.
pub fn article_doc(knowledge: &Knowledge, id: &str, width: u16, theme: Theme) -> Doc {
    let mut doc = Doc::new(text_width(width), theme);
    if let Some(cause) = knowledge.cause(id) {
        doc.item("", "", &cause.title, theme.title());
        doc.item("Cause · ", "  ", &cause.id, theme.dim());
        doc.gap();
        doc.para(&cause.summary, theme.strong());
        doc.item(
            "Where it is refused: ",
            "  ",
            cause.side.describe(),
            Style::new(),
        );
        doc.gap();
        doc.para(&cause.explanation, Style::new());
        if !cause.signs.is_empty() {
            doc.heading("Signs");
            for sign in &cause.signs {
                doc.item("  • ", "    ", sign, Style::new());
            }
        }
        return doc;
    }
    if let Some(node_id) = knowledge.node_id(id) {
        let node = knowledge.node(node_id);
        if node.is_terminal() {
            let ui = SolutionUi {
                node: node_id,
                client: None,
                scroll: 0,
                picker: None,
                internal: false,
                email: None,
                decided: None,
            };
            return solution_doc(knowledge, &Facts::new(), &ui, width, theme);
        }
        doc.item("", "", node.label(), theme.title());
        doc.item("Question · ", "  ", &node.id, theme.dim());
        doc.gap();
        doc.para(&node.text, theme.strong());
        if let NodeBody::Question {
            choices,
            unknown_label,
            ..
        } = &node.body
        {
            doc.gap();
            for choice in choices {
                doc.item("  • ", "    ", &choice.label, Style::new());
            }
            doc.item("  • ", "    ", unknown_label, Style::new());
        }
        if let Some(help) = &node.help {
            doc.heading("Why it is asked");
            doc.para(help, Style::new());
        }
        return doc;
    }
    if let Some(client) = knowledge.client(id) {
        doc.item("", "", &client.name, theme.title());
        doc.item("Mail program · ", "  ", &client.platform, theme.dim());
        let target = TargetSettings::for_email(knowledge, None);
        for task in client.tasks.keys() {
            if let Some(StepView::ClientTask {
                title, steps, note, ..
            }) = task_view(client, task, &target)
            {
                doc.heading(&title);
                for (index, step) in steps.iter().enumerate() {
                    doc.item(&format!("{:>3}. ", index + 1), "     ", step, Style::new());
                }
                if let Some(note) = note {
                    doc.item("     Note: ", "           ", &note, theme.dim());
                }
            }
        }
        return doc;
    }
    if let Some(provider) = knowledge.provider(id) {
        doc.item("", "", &provider.name, theme.title());
        doc.item(
            "Provider · ",
            "  ",
            &provider.domains.join(", "),
            theme.dim(),
        );
        for (heading, endpoints) in [
            ("Outgoing mail (SMTP)", &provider.outgoing),
            ("Incoming mail", &provider.incoming),
        ] {
            if endpoints.is_empty() {
                continue;
            }
            doc.heading(heading);
            for endpoint in endpoints {
                let protocol = endpoint
                    .protocol
                    .map(|protocol| format!("{protocol:?} ").to_uppercase())
                    .unwrap_or_default();
                doc.item(
                    "  • ",
                    "    ",
                    &format!(
                        "{protocol}{} port {} · {} · sign-in: {}",
                        endpoint.host,
                        endpoint.port,
                        endpoint.security.label(),
                        auth_label(endpoint.auth)
                    ),
                    Style::new(),
                );
            }
        }
        if let Some(notes) = &provider.notes {
            doc.heading("Notes");
            doc.para(notes, Style::new());
        }
        return doc;
    }
    doc.para("Nothing with that name.", Style::new());
    doc
}

pub fn article_len(knowledge: &Knowledge, id: &str, width: u16, theme: Theme) -> u16 {
    article_doc(knowledge, id, width, theme).len()
}
