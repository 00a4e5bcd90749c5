//! "Check my account": an address box, then the account check (discovery and live checks of
//! the server found) as it runs, and what its results point to. Enter on a row shows what
//! that check saw.

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Wrap};

use super::{Ctx, Footer, Go, Paint};
use crate::checks::Status;
use crate::checks::account::{self, AccountReport, Event as AccountEvent, Settings};
use crate::sanitize::single_line;
use crate::tui::article::Doc;
use crate::tui::checks::{self as jobs, AccountDone, AccountJob, AccountProgress};
use crate::tui::layout::{address_problem, body_height, edit_line, scrolled, text_width};
use crate::tui::state::{Cmd, HomeEntry};
use crate::tui::theme::Theme;
use crate::tui::widgets::{
    SIDE_PANEL_FROM, SPINNER, clipped, format_elapsed, one_line, short_elapsed,
};

/// The "Check my account" screen: the address box until a check starts, then its run.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AccountUi {
    pub input: String,
    /// Why the address typed cannot be checked, shown under the box.
    pub notice: Option<String>,
    pub run: Option<AccountRun>,
}

/// One account check, from the moment Enter was pressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRun {
    pub ticket: u64,
    pub email: String,
    pub started: Instant,
    /// Where the settings under test came from, in plain words (known after discovery).
    pub settings: Vec<String>,
    pub rows: Vec<AccountRow>,
    /// `None` while the check runs.
    pub outcome: Option<AccountOutcome>,
    pub selected: usize,
    /// The row whose evidence is open, and its scroll position.
    pub evidence: Option<(usize, u16)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRow {
    pub id: String,
    pub label: String,
    pub started: Instant,
    pub state: AccountRowState,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountRowState {
    Running,
    Done {
        status: Status,
        elapsed: Duration,
        timed_out: bool,
        summary: String,
        /// Filled from the final report; empty while only progress has arrived.
        evidence: Vec<String>,
    },
    /// Not run (e.g. the sign-in test without a password), and why.
    Skipped {
        reason: String,
    },
}

/// What the finished check concluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountOutcome {
    Finished {
        /// The cause the results point to: its title and summary.
        cause: Option<(String, String)>,
        /// The report's own summary lines.
        summary: Vec<String>,
        elapsed: Duration,
    },
    /// Nothing could run at all, in plain words.
    CouldNotRun(String),
}

/// Where the settings under test came from, in plain words; a warning about them follows.
pub fn settings_words(settings: &Settings) -> Vec<String> {
    let mut lines = vec![match settings.primary() {
        Some(primary) => format!(
            "Testing {}:{} ({}), found in {}.",
            primary.host,
            primary.port,
            primary.security.as_str(),
            settings.source.words()
        ),
        None => String::from("No outgoing server was found to test."),
    }];
    lines.extend(settings.warning.clone());
    lines.iter().map(|line| single_line(line)).collect()
}

/// True while the check runs (a spinner is on screen).
pub fn animating(ui: &AccountUi) -> bool {
    ui.run.as_ref().is_some_and(|run| run.outcome.is_none())
}

/// Keys type into the address box until a check starts.
pub fn typing(ui: &AccountUi) -> bool {
    ui.run.is_none()
}

pub fn paste(ui: &mut AccountUi, pasted: &str) {
    if ui.run.is_none() {
        ui.input.push_str(single_line(pasted).trim());
    }
}

/// The run the screen shows, if `ticket` is its; a report for a run the person left (Esc, a
/// new address) finds none and is dropped.
fn current_run(ui: &mut AccountUi, ticket: u64) -> Option<&mut AccountRun> {
    ui.run
        .as_mut()
        .filter(|run| run.ticket == ticket && run.outcome.is_none())
}

/// A sub-check started, ended or was skipped.
pub fn progress(ui: &mut AccountUi, progress: AccountProgress, now: Instant) {
    if let Some(run) = current_run(ui, progress.ticket) {
        account_progress(run, *progress.event, now);
    }
}

/// The whole check finished.
pub fn done(ui: &mut AccountUi, done: AccountDone) {
    if let Some(run) = current_run(ui, done.ticket) {
        account_done(run, done);
    }
}

fn account_progress(run: &mut AccountRun, event: AccountEvent, now: Instant) {
    match event {
        AccountEvent::Settings(settings) => run.settings = settings_words(&settings),
        AccountEvent::Started { id, label } => run.rows.push(AccountRow {
            id,
            label,
            started: now,
            state: AccountRowState::Running,
        }),
        AccountEvent::Finished {
            id,
            status,
            elapsed,
            summary,
        } => {
            if let Some(row) = run.rows.iter_mut().find(|row| row.id == id) {
                row.state = AccountRowState::Done {
                    status,
                    elapsed,
                    timed_out: false,
                    summary: single_line(&summary),
                    evidence: Vec::new(),
                };
            }
        }
        AccountEvent::Skipped { id, label, reason } => run.rows.push(AccountRow {
            id,
            label,
            started: now,
            state: AccountRowState::Skipped { reason },
        }),
    }
}

fn account_done(run: &mut AccountRun, done: AccountDone) {
    match done.result {
        Ok(report) => account_report(run, &report, done.elapsed),
        Err(reason) => {
            // Rows still spinning will never hear back.
            for row in &mut run.rows {
                if row.state == AccountRowState::Running {
                    row.state = AccountRowState::Skipped {
                        reason: String::from("did not finish"),
                    };
                }
            }
            run.outcome = Some(AccountOutcome::CouldNotRun(single_line(&reason)));
        }
    }
}

/// The final report replaces what progress showed: it has every row, with its evidence.
fn account_report(run: &mut AccountRun, report: &AccountReport, elapsed: Duration) {
    let started = run.started;
    let mut rows: Vec<AccountRow> = report
        .checks
        .iter()
        .map(|check| AccountRow {
            id: check.id.clone(),
            label: check.label.clone(),
            started,
            state: AccountRowState::Done {
                status: check.report.status,
                elapsed: Duration::from_secs_f64((check.elapsed_ms / 1000.0).max(0.0)),
                timed_out: check.timed_out,
                summary: single_line(&account::summary_of(&check.report).join(" ")),
                evidence: jobs::evidence(&check.report),
            },
        })
        .collect();
    rows.extend(report.skipped.iter().map(|skip| AccountRow {
        id: skip.id.clone(),
        label: skip.label.clone(),
        started,
        state: AccountRowState::Skipped {
            reason: skip.reason.clone(),
        },
    }));
    run.rows = rows;
    run.selected = run.selected.min(run.rows.len().saturating_sub(1));
    run.settings = settings_words(&report.settings);
    run.outcome = Some(AccountOutcome::Finished {
        cause: report
            .cause
            .as_ref()
            .map(|cause| (cause.title.clone(), cause.summary.clone())),
        summary: report.summary.clone(),
        elapsed,
    });
}

/// Keys on the screen: the address box, the rows of a run, or a row's evidence.
pub fn key(ui: &mut AccountUi, key: KeyEvent, ctx: &mut Ctx<'_, '_>) -> Go {
    let body_height = body_height(ctx.size);
    let Some(run) = &mut ui.run else {
        return input_key(ui, key, ctx);
    };
    if let Some((row, scroll)) = &mut run.evidence {
        let lines = run.rows.get(*row).map_or(0, |row| match &row.state {
            AccountRowState::Done { evidence, .. } => evidence.len(),
            _ => 1,
        });
        let max = u16::try_from(lines)
            .unwrap_or(u16::MAX)
            .saturating_sub(body_height.saturating_sub(2));
        match key.code {
            KeyCode::Esc | KeyCode::Enter | KeyCode::Backspace | KeyCode::Char('q') => {
                run.evidence = None;
            }
            code => *scroll = scrolled(*scroll, code, max, body_height.saturating_sub(2)),
        }
        return Go::Stay;
    }
    match key.code {
        // Leaving never waits: a report that arrives later finds no run and is dropped.
        KeyCode::Esc => return Go::Home(HomeEntry::Account),
        KeyCode::Char('q') => return Go::Quit,
        KeyCode::Up | KeyCode::Char('k') => run.selected = run.selected.saturating_sub(1),
        KeyCode::Down | KeyCode::Char('j') => {
            run.selected = (run.selected + 1).min(run.rows.len().saturating_sub(1));
        }
        KeyCode::Enter => {
            let finished = run
                .rows
                .get(run.selected)
                .is_some_and(|row| row.state != AccountRowState::Running);
            if finished {
                run.evidence = Some((run.selected, 0));
            }
        }
        // Another address, once this check is over.
        KeyCode::Char('n') if run.outcome.is_some() => {
            ui.run = None;
            ui.notice = None;
        }
        _ => {}
    }
    Go::Stay
}

/// The address box: Enter starts the check when the address looks like one.
fn input_key(ui: &mut AccountUi, key: KeyEvent, ctx: &mut Ctx<'_, '_>) -> Go {
    match key.code {
        KeyCode::Esc => return Go::Home(HomeEntry::Account),
        KeyCode::Enter => {
            let email = single_line(&ui.input).trim().to_string();
            if let Some(problem) = address_problem(&email) {
                ui.notice = Some(problem);
                return Go::Stay;
            }
            ui.notice = None;
            let ticket = ctx.ticket();
            ui.run = Some(AccountRun {
                ticket,
                email: email.clone(),
                started: ctx.now,
                settings: Vec::new(),
                rows: Vec::new(),
                outcome: None,
                selected: 0,
                evidence: None,
            });
            return Go::Run(Cmd::RunAccount(AccountJob { ticket, email }));
        }
        _ => {
            let before = ui.input.clone();
            edit_line(&mut ui.input, &key);
            if ui.input != before {
                ui.notice = None;
            }
        }
    }
    Go::Stay
}

/// The screen: the address box, or the run; returns the header context and the footer keys.
pub fn draw(paint: Paint<'_>, frame: &mut Frame<'_>, area: Rect, ui: &AccountUi) -> Footer {
    let keys = match &ui.run {
        None => vec![
            ("Enter", "check"),
            ("Esc", "back"),
            ("F1", "help"),
            ("Ctrl-C", "quit"),
        ],
        Some(run) if run.evidence.is_some() => vec![
            ("↑↓ PgUp PgDn", "scroll"),
            ("Esc", "close"),
            ("Ctrl-C", "quit"),
        ],
        Some(run) if run.outcome.is_none() => vec![
            ("↑↓", "pick"),
            ("Enter", "what it saw"),
            ("Esc", "stop and go back"),
            ("Ctrl-C", "quit"),
        ],
        Some(_) => vec![
            ("↑↓", "pick"),
            ("Enter", "what it saw"),
            ("n", "another address"),
            ("Esc", "back"),
            ("q", "quit"),
        ],
    };
    match &ui.run {
        None => draw_input(paint.theme, frame, area, ui),
        Some(run) => draw_run(paint, frame, area, run),
    }
    ("Check my account".into(), keys)
}

/// The address box, like the error message box, one line high.
fn draw_input(theme: Theme, frame: &mut Frame<'_>, area: Rect, ui: &AccountUi) {
    let [intro, input, notice, hint, _] = Layout::vertical([
        Constraint::Length(7),
        Constraint::Length(3),
        Constraint::Length(2),
        Constraint::Length(2),
        Constraint::Min(0),
    ])
    .areas(area);
    let mut doc = Doc::new(text_width(area.width + 4), theme);
    doc.gap();
    doc.item("", "", "Check my account", theme.title());
    doc.para(
        "Type your email address. relaydoc finds the server your mail program should send \
         through and tests it: does it answer, does it encrypt, does it ask you to sign in, \
         is it on a spam blocklist. No password is asked for, so the sign-in test is skipped. \
         Nothing is sent.",
        Style::new(),
    );
    frame.render_widget(Paragraph::new(doc.lines), intro);
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.border())
        .title(" Your email address ");
    let inner = block.inner(input);
    frame.render_widget(block, input);
    one_line(frame, inner, &ui.input);
    if let Some(message) = &ui.notice {
        frame.render_widget(
            Paragraph::new(single_line(message))
                .style(theme.problem())
                .wrap(Wrap { trim: true }),
            notice,
        );
    }
    frame.render_widget(
        Paragraph::new("Example: me@example.com").style(theme.dim()),
        hint,
    );
}

/// The checks as they run, then what they found; Enter opens a check's evidence.
fn draw_run(paint: Paint<'_>, frame: &mut Frame<'_>, area: Rect, run: &AccountRun) {
    let theme = paint.theme;
    let width = usize::from(area.width);
    let mut doc = Doc::new(width, theme);
    run_heading(&mut doc, run, theme);
    run_outcome(&mut doc, run, theme);
    doc.gap();
    let first_row = doc.lines.len();
    let selected_summary = run_rows(&mut doc, run, paint, area.width);
    if run.rows.is_empty() && run.outcome.is_none() {
        doc.para("Finding your outgoing server…", theme.dim());
    }
    doc.gap();
    match selected_summary {
        Some(summary) => doc.para(&format!("› {summary}"), Style::new()),
        None => doc.para(
            "Enter shows what a check saw (server replies, DNS answers).",
            theme.dim(),
        ),
    }
    // A long result can push the rows below a small window: scroll just enough to keep the
    // highlighted row (and the line under the list) in view.
    let height = usize::from(area.height);
    let overflow = doc.lines.len().saturating_sub(height);
    let wanted = (first_row + run.selected + 3).saturating_sub(height);
    let scroll = u16::try_from(wanted.min(overflow)).unwrap_or(0);
    frame.render_widget(Paragraph::new(doc.lines).scroll((scroll, 0)), area);
    if let Some((index, scroll)) = run.evidence
        && let Some(row) = run.rows.get(index)
    {
        evidence_popup(theme, frame, area, row, scroll);
    }
}

/// What is being checked, or how it ended, and where the settings came from.
fn run_heading(doc: &mut Doc, run: &AccountRun, theme: Theme) {
    doc.gap();
    let email = single_line(&run.email);
    let title = match &run.outcome {
        None => format!("Checking {email}… this takes a few seconds."),
        Some(AccountOutcome::Finished { elapsed, .. }) => format!(
            "Checks for {email} finished in {}.",
            format_elapsed(*elapsed)
        ),
        Some(AccountOutcome::CouldNotRun(_)) => {
            format!("The checks for {email} could not run.")
        }
    };
    doc.item("", "", &title, theme.title());
    for line in &run.settings {
        doc.para(line, theme.dim());
    }
}

/// What the finished check points to, or why it could not run.
fn run_outcome(doc: &mut Doc, run: &AccountRun, theme: Theme) {
    match &run.outcome {
        Some(AccountOutcome::Finished {
            cause: Some((title, summary)),
            ..
        }) => {
            doc.gap();
            doc.item(
                "",
                "",
                &format!("What this points to: {}", single_line(title)),
                theme.heading(),
            );
            doc.para(&single_line(summary), Style::new());
        }
        Some(AccountOutcome::Finished {
            cause: None,
            summary,
            ..
        }) => {
            doc.gap();
            doc.item(
                "",
                "",
                "These results point to no single cause.",
                theme.heading(),
            );
            for line in summary {
                doc.para(&single_line(line), Style::new());
            }
        }
        Some(AccountOutcome::CouldNotRun(reason)) => {
            doc.gap();
            doc.para(&single_line(reason), theme.problem());
        }
        None => {}
    }
}

/// One line a check; returns the highlighted check's finding when it is not on its row.
fn run_rows(doc: &mut Doc, run: &AccountRun, paint: Paint<'_>, area_width: u16) -> Option<String> {
    let theme = paint.theme;
    let width = usize::from(area_width);
    // Wide windows show each check's finding beside it; narrow ones give the name the room
    // and show the highlighted check's finding under the list.
    let wide = area_width >= SIDE_PANEL_FROM;
    let name_width = if wide { 56 } else { width.saturating_sub(24) };
    let mut selected_summary = None;
    for (index, row) in run.rows.iter().enumerate() {
        let name = clipped(&single_line(&row.label), name_width);
        let (symbol, word, style, elapsed, summary) = row_look(row, paint);
        let marker = if index == run.selected { "›" } else { " " };
        let elapsed = elapsed.unwrap_or_default();
        let head = format!("{marker} {symbol} {word:<9} {name:<name_width$} {elapsed:>7}  ");
        let room = width.saturating_sub(head.chars().count());
        let mut spans = vec![Span::styled(head, style)];
        if wide {
            spans.push(Span::raw(clipped(&summary, room)));
        } else if index == run.selected {
            selected_summary = Some(summary);
        }
        let mut line = Line::from(spans);
        if index == run.selected {
            line = line.patch_style(theme.selected());
        }
        doc.lines.push(line);
    }
    selected_summary
}

/// A row's symbol, word, style, time taken and finding.
fn row_look(
    row: &AccountRow,
    paint: Paint<'_>,
) -> (&'static str, &'static str, Style, Option<String>, String) {
    let theme = paint.theme;
    match &row.state {
        AccountRowState::Running => (
            SPINNER[paint.spinner % SPINNER.len()],
            "checking",
            theme.strong(),
            Some(format_elapsed(
                paint.now.saturating_duration_since(row.started),
            )),
            String::from("…"),
        ),
        AccountRowState::Done {
            status,
            elapsed,
            timed_out,
            summary,
            ..
        } => {
            let (symbol, word, style) = match (status, timed_out) {
                (_, true) => ("✗", "too slow", theme.error()),
                (Status::Ok, _) => ("✓", "ok", theme.ok()),
                (Status::Problem, _) => ("!", "problem", theme.problem()),
                (Status::Error, _) => ("✗", "error", theme.error()),
            };
            (
                symbol,
                word,
                style,
                Some(short_elapsed(*elapsed)),
                summary.clone(),
            )
        }
        AccountRowState::Skipped { reason } => (
            "–",
            "skipped",
            theme.dim(),
            None,
            format!("not run: {}", single_line(reason)),
        ),
    }
}

/// What one check saw, over the whole screen.
fn evidence_popup(theme: Theme, frame: &mut Frame<'_>, area: Rect, row: &AccountRow, scroll: u16) {
    let width = usize::from(area.width);
    let lines: Vec<Line<'_>> = match &row.state {
        AccountRowState::Done { evidence, .. } if !evidence.is_empty() => {
            evidence.iter().map(|l| Line::raw(l.as_str())).collect()
        }
        AccountRowState::Done { summary, .. } => vec![Line::raw(summary.as_str())],
        AccountRowState::Skipped { reason } => {
            vec![Line::raw(format!("Not run: {}", single_line(reason)))]
        }
        AccountRowState::Running => vec![Line::raw("This check has not finished.")],
    };
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.border())
        .title(format!(
            " What the check saw: {} ",
            clipped(&single_line(&row.label), width.saturating_sub(24))
        ));
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(lines).block(block).scroll((scroll, 0)), area);
}
