//! The wizard's solution stage: what to change, step by step for the person's mail program
//! (c picks another), with the settings beside or below; in helpdesk mode also the agent's
//! internal summary (Tab) and emailing the steps to the caller (e).

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph};

use super::{Session, Stage};
use crate::engine::Wizard;
use crate::knowledge::Knowledge;
use crate::sanitize::single_line;
use crate::session::mail::Letter;
use crate::tui::article::{self, Doc};
use crate::tui::email::{EmailJob, NOT_SET_UP};
use crate::tui::layout::{address_problem, edit_line, scrolled, solution_height, text_width};
use crate::tui::screens::{Ctx, Go, Paint};
use crate::tui::state::{Cmd, SolutionUi, StatusLine};
use crate::tui::theme::Theme;
use crate::tui::widgets::{centered, email_box, scrolled_doc};

/// Keys on the solution: scroll, the program picker, and in helpdesk mode the tabs and email.
pub fn key(session: &mut Session<'_>, key: KeyEvent, ctx: &mut Ctx<'_, '_>) -> Go {
    let knowledge = ctx.knowledge;
    let (width, _) = ctx.size;
    let agent = session.agent();
    let body_height = solution_height(ctx.size, agent);
    let Stage::Solution(ui) = &mut session.stage else {
        return Go::Stay;
    };
    match key.code {
        // Helpdesk: the caller's steps and the agent's own summary are two tabs.
        KeyCode::Tab | KeyCode::BackTab if agent => {
            ui.internal = !ui.internal;
            ui.scroll = 0;
        }
        KeyCode::Char('e') if agent => {
            if !ctx.can_email {
                ctx.say(StatusLine::problem(NOT_SET_UP));
            } else if session.sending.is_some() {
                ctx.say(StatusLine::info("The steps are being sent…"));
            } else {
                // The address the run learned is the likely one; the agent can change it.
                ui.email = Some(session.recorder.session().email().unwrap_or("").to_string());
            }
        }
        KeyCode::Char('c') => {
            // The switcher belongs to the caller's steps: show them.
            ui.internal = false;
            let current =
                article::solution_client(knowledge, session.recorder.wizard().facts(), ui)
                    .and_then(|client| knowledge.clients.iter().position(|c| c.id == client.id))
                    .unwrap_or(0);
            ui.picker = Some(current);
        }
        code => {
            let lines = if ui.internal {
                article::internal_doc(knowledge, session.recorder.session(), width, ctx.theme).len()
            } else {
                article::solution_len(
                    knowledge,
                    session.recorder.wizard().facts(),
                    ui,
                    width,
                    ctx.theme,
                )
            };
            let max = lines.saturating_sub(body_height);
            ui.scroll = scrolled(ui.scroll, code, max, body_height);
        }
    }
    Go::Stay
}

/// The "email the steps to" box (helpdesk): Enter sends, Esc closes.
pub fn email_key(session: &mut Session<'_>, key: KeyEvent, ctx: &mut Ctx<'_, '_>) -> Go {
    let knowledge = ctx.knowledge;
    let Stage::Solution(ui) = &mut session.stage else {
        return Go::Stay;
    };
    let Some(address) = ui.email.as_mut() else {
        return Go::Stay;
    };
    match key.code {
        KeyCode::Esc => ui.email = None,
        KeyCode::Enter => {
            let to = single_line(address).trim().to_string();
            if let Some(problem) = address_problem(&to) {
                ctx.say(StatusLine::problem(problem));
                return Go::Stay;
            }
            let Some(steps) = caller_steps(knowledge, session.recorder.wizard(), ui) else {
                ui.email = None;
                ctx.say(StatusLine::problem(
                    "There are no steps to send: relaydoc knows no mail programs.",
                ));
                return Go::Stay;
            };
            ui.email = None;
            let ticket = ctx.ticket();
            session.sending = Some(ticket);
            ctx.say(StatusLine::info(format!("Sending the steps to {to}…")));
            let record = session.recorder.session();
            return Go::Run(Cmd::EmailSteps(EmailJob {
                ticket,
                letter: Letter {
                    to,
                    steps,
                    reference: record.id.clone(),
                    agent: record.agent.clone(),
                },
            }));
        }
        _ => edit_line(address, &key),
    }
    Go::Stay
}

/// The steps the solution screen shows the caller, for the program chosen there, as text.
pub fn caller_steps(
    knowledge: &Knowledge,
    wizard: &Wizard<'_>,
    ui: &SolutionUi,
) -> Option<crate::session::export::CallerSteps> {
    let facts = wizard.facts();
    let client = article::solution_client(knowledge, facts, ui)?;
    let view = crate::present::solution_view(knowledge, ui.node, facts, client);
    Some(crate::session::export::CallerSteps {
        client: crate::sanitize::for_terminal(&client.name),
        title: view.title.clone(),
        text: crate::present::solution_text(&view, 76),
    })
}

/// The mail program switcher: pick, Enter uses it, Esc closes.
pub fn picker_key(session: &mut Session<'_>, key: KeyEvent, ctx: &Ctx<'_, '_>) -> Go {
    let knowledge = ctx.knowledge;
    let count = knowledge.clients.len();
    let Stage::Solution(ui) = &mut session.stage else {
        return Go::Stay;
    };
    let Some(selected) = ui.picker.as_mut() else {
        return Go::Stay;
    };
    match key.code {
        KeyCode::Up | KeyCode::Char('k') => *selected = selected.saturating_sub(1),
        KeyCode::Down | KeyCode::Char('j') => {
            *selected = (*selected + 1).min(count.saturating_sub(1));
        }
        KeyCode::Enter => {
            ui.client = knowledge.clients.get(*selected).map(|c| c.id.clone());
            ui.picker = None;
            ui.scroll = 0;
        }
        KeyCode::Esc | KeyCode::Char('c' | 'q') => ui.picker = None,
        _ => {}
    }
    Go::Stay
}

/// The footer's keys on the solution.
pub fn keys(ui: &SolutionUi, agent: bool) -> Vec<(&'static str, &'static str)> {
    if ui.picker.is_some() {
        vec![
            ("↑↓", "choose"),
            ("Enter", "use this one"),
            ("Esc", "close"),
        ]
    } else if ui.email.is_some() {
        vec![("Enter", "send"), ("Esc", "close"), ("Ctrl-C", "quit")]
    } else if agent {
        vec![
            (
                "Tab",
                if ui.internal {
                    "caller's steps"
                } else {
                    "your summary"
                },
            ),
            ("e", "email steps"),
            ("n", "note"),
            ("c", "program"),
            ("Esc", "back"),
            ("q", "quit"),
        ]
    } else {
        vec![
            ("↑↓ PgDn", "scroll"),
            ("c", "mail program"),
            ("Esc", "back"),
            ("r", "restart"),
            ("q", "quit"),
            ("?", "help"),
        ]
    }
}

/// The solution page: in helpdesk mode under its two tabs (the internal summary on the
/// second), with the settings beside it on wide screens, the program picker and the email
/// box over it.
pub fn draw(
    paint: Paint<'_>,
    session: &Session<'_>,
    ui: &SolutionUi,
    frame: &mut Frame<'_>,
    area: Rect,
) {
    let theme = paint.theme;
    let page = if session.agent() {
        let [tabs, _, page] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Min(0),
        ])
        .areas(area);
        solution_tabs(paint, session, ui, frame, tabs);
        if ui.internal {
            internal_page(paint, session, ui, frame, page);
            if let Some(address) = &ui.email {
                email_box(theme, frame, area, address);
            }
            return;
        }
        page
    } else {
        area
    };
    steps_page(paint, session, ui, frame, page);
    if let Some(selected) = ui.picker {
        picker(theme, paint.knowledge, frame, page, selected);
    }
    if let Some(address) = &ui.email {
        email_box(theme, frame, page, address);
    }
}

/// Helpdesk mode's second tab: the agent's summary of the call.
fn internal_page(
    paint: Paint<'_>,
    session: &Session<'_>,
    ui: &SolutionUi,
    frame: &mut Frame<'_>,
    page: Rect,
) {
    let doc = article::internal_doc(
        paint.knowledge,
        session.recorder.session(),
        paint.size.0,
        paint.theme,
    );
    let page = Rect {
        width: u16::try_from(text_width(paint.size.0))
            .unwrap_or(page.width)
            .min(page.width),
        ..page
    };
    scrolled_doc(frame, page, doc, ui.scroll);
}

/// The caller's steps, and on wide screens the settings beside them.
fn steps_page(
    paint: Paint<'_>,
    session: &Session<'_>,
    ui: &SolutionUi,
    frame: &mut Frame<'_>,
    area: Rect,
) {
    let theme = paint.theme;
    let knowledge = paint.knowledge;
    let facts = session.wizard().facts();
    let doc = article::solution_doc(knowledge, facts, ui, paint.size.0, theme);
    let aside = article::settings_aside(knowledge, facts, ui, paint.size.0);
    let doc_width =
        u16::try_from(article::solution_width(aside, paint.size.0)).unwrap_or(area.width);
    let text_area = Rect {
        width: doc_width.min(area.width),
        ..area
    };
    scrolled_doc(frame, text_area, doc, ui.scroll);
    if !aside {
        return;
    }
    // Wide: the settings stay in view beside the steps, for reading out and copying.
    let side = Rect {
        x: text_area.right() + 3,
        width: area.right().saturating_sub(text_area.right() + 3),
        ..area
    };
    let mut panel = Doc::new(usize::from(side.width.saturating_sub(2)), theme);
    article::settings_block(
        &mut panel,
        &crate::present::TargetSettings::from_facts(knowledge, facts),
    );
    let block = Block::new()
        .borders(Borders::LEFT)
        .border_style(theme.border());
    let inner = block.inner(side).inner(ratatui::layout::Margin::new(1, 0));
    frame.render_widget(block, side);
    frame.render_widget(Paragraph::new(panel.lines), inner);
}

/// "Which program do you send with?", in the middle of `area`.
fn picker(theme: Theme, knowledge: &Knowledge, frame: &mut Frame<'_>, area: Rect, selected: usize) {
    let clients = &knowledge.clients;
    let height = u16::try_from(clients.len() + 4)
        .unwrap_or(u16::MAX)
        .min(area.height);
    let longest = clients
        .iter()
        .map(|client| single_line(&client.name).chars().count())
        .max()
        .unwrap_or(0);
    let width = u16::try_from(longest + 6)
        .unwrap_or(u16::MAX)
        .max(36)
        .min(area.width);
    let popup = centered(area, width, height);
    let mut lines = vec![Line::styled(
        "Which program do you send with?",
        theme.strong(),
    )];
    lines.push(Line::default());
    for (index, client) in clients.iter().enumerate() {
        let name = single_line(&client.name);
        lines.push(if index == selected {
            Line::styled(format!("› {name}"), theme.selected())
        } else {
            Line::raw(format!("  {name}"))
        });
    }
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.border())
        .title(" Mail program ");
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}

/// Helpdesk mode's two views of a solution: what the caller does, and the agent's summary.
fn solution_tabs(
    paint: Paint<'_>,
    session: &Session<'_>,
    ui: &SolutionUi,
    frame: &mut Frame<'_>,
    area: Rect,
) {
    let theme = paint.theme;
    let client = article::solution_client(paint.knowledge, session.wizard().facts(), ui)
        .map(|client| single_line(&client.name));
    let steps = match client {
        Some(client) => format!(" Caller's steps ({client}) "),
        None => " Caller's steps ".to_string(),
    };
    let summary = " Internal summary ";
    let hint = "  Tab switches";
    let (steps_style, summary_style) = if ui.internal {
        (theme.dim(), theme.selected())
    } else {
        (theme.selected(), theme.dim())
    };
    let mut spans = vec![
        Span::styled(steps.clone(), steps_style),
        Span::raw(" "),
        Span::styled(summary, summary_style),
    ];
    // The hint goes first when a long program name leaves no room (the footer says it too).
    let used = steps.chars().count() + 1 + summary.chars().count();
    if used + hint.chars().count() <= usize::from(area.width) {
        spans.push(Span::styled(hint, theme.dim()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
