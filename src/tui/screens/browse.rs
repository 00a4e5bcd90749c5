//! Browse: search everything relaydoc knows, offline, and read an article (a cause, a
//! solution, a question's help) from the results.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::{Ctx, Footer, Go, Paint};
use crate::knowledge::Knowledge;
use crate::knowledge::search::{Hit, search};
use crate::sanitize::single_line;
use crate::tui::article;
use crate::tui::layout::{body_height, edit_line, list_moved, scrolled};
use crate::tui::widgets::{query_box, scrolled_doc};

/// How many search results Browse lists.
pub const SEARCH_LIMIT: usize = 50;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Browse {
    pub query: String,
    pub hits: Vec<Hit>,
    pub selected: usize,
    /// The article open, by id, and how far it is scrolled.
    pub article: Option<(String, u16)>,
    /// Whether Esc returns to a wizard run (true) or Home.
    pub from_wizard: bool,
}

impl Browse {
    /// Browse with an empty query (the causes listed); Esc returns to a wizard run when
    /// `from_wizard`.
    pub fn open(knowledge: &Knowledge, from_wizard: bool) -> Self {
        let mut browse = Self {
            query: String::new(),
            hits: Vec::new(),
            selected: 0,
            article: None,
            from_wizard,
        };
        refresh_search(knowledge, &mut browse);
        browse
    }
}

/// Keys type into the search box while no article is open.
pub fn typing(browse: &Browse) -> bool {
    browse.article.is_none()
}

pub fn paste(knowledge: &Knowledge, browse: &mut Browse, pasted: &str) {
    if browse.article.is_none() {
        browse.query.push_str(&single_line(pasted));
        refresh_search(knowledge, browse);
    }
}

/// Runs the search for the current query; an empty query lists the causes, a good first read.
pub fn refresh_search(knowledge: &Knowledge, browse: &mut Browse) {
    browse.hits = if browse.query.trim().is_empty() {
        knowledge
            .causes
            .iter()
            .map(|cause| Hit {
                kind: "cause",
                id: cause.id.clone(),
                title: cause.title.clone(),
                score: 0,
            })
            .collect()
    } else {
        search(knowledge, &browse.query, SEARCH_LIMIT)
    };
    browse.selected = 0;
}

/// Keys on the results (type, pick, open) or in an article (scroll, back).
pub fn key(browse: &mut Browse, key: KeyEvent, ctx: &mut Ctx<'_, '_>) -> Go {
    let knowledge = ctx.knowledge;
    let body_height = body_height(ctx.size);
    if let Some((id, scroll)) = &mut browse.article {
        let lines = article::article_len(knowledge, id, ctx.size.0, ctx.theme);
        let max = lines.saturating_sub(body_height.saturating_sub(2));
        match key.code {
            KeyCode::Esc | KeyCode::Backspace | KeyCode::Left | KeyCode::Char('b') => {
                browse.article = None;
            }
            KeyCode::Char('q') => return Go::Quit,
            code => *scroll = scrolled(*scroll, code, max, body_height.saturating_sub(2)),
        }
        return Go::Stay;
    }
    if let Some(selected) = list_moved(browse.selected, key.code, browse.hits.len(), body_height) {
        browse.selected = selected;
        return Go::Stay;
    }
    match key.code {
        KeyCode::Esc if browse.from_wizard => return Go::Wizard,
        KeyCode::Esc => return Go::Home(crate::tui::state::HomeEntry::Browse),
        KeyCode::Enter => {
            if let Some(hit) = browse.hits.get(browse.selected) {
                browse.article = Some((hit.id.clone(), 0));
            }
        }
        _ => {
            let before = browse.query.clone();
            edit_line(&mut browse.query, &key);
            if browse.query != before {
                refresh_search(knowledge, browse);
            }
        }
    }
    Go::Stay
}

/// The results or the article open; returns the header context and the footer keys.
pub fn draw(paint: Paint<'_>, frame: &mut Frame<'_>, area: Rect, browse: &Browse) -> Footer {
    draw_body(paint, frame, area, browse);
    let keys = if browse.article.is_some() {
        vec![
            ("↑↓ PgUp PgDn", "scroll"),
            ("Esc", "back to results"),
            ("?", "help"),
            ("q", "quit"),
        ]
    } else {
        vec![
            ("type", "search"),
            ("↑↓", "pick"),
            ("Enter", "read"),
            ("Esc", "back"),
            ("F1", "help"),
            ("Ctrl-C", "quit"),
        ]
    };
    ("Browse".into(), keys)
}

fn draw_body(paint: Paint<'_>, frame: &mut Frame<'_>, area: Rect, browse: &Browse) {
    let theme = paint.theme;
    if let Some((id, scroll)) = &browse.article {
        let block = Block::new()
            .borders(Borders::TOP | Borders::BOTTOM)
            .border_style(theme.border())
            .title(" Esc: back to the results ");
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let doc = article::article_doc(paint.knowledge, id, paint.size.0, theme);
        scrolled_doc(frame, inner, doc, *scroll);
        return;
    }
    let [search_area, list_area] =
        Layout::vertical([Constraint::Length(3), Constraint::Min(0)]).areas(area);
    query_box(
        theme,
        frame,
        search_area,
        " Search everything (works offline) ",
        &browse.query,
        "Type a word: outlook, port 587, password, blacklist…",
    );

    let heading = if browse.query.trim().is_empty() {
        "The causes relaydoc knows — type to search everything".to_string()
    } else if browse.hits.is_empty() {
        "Nothing found. Try fewer or other words.".to_string()
    } else {
        format!("{} matches, best first", browse.hits.len())
    };
    let rows = usize::from(list_area.height.saturating_sub(1));
    let offset = browse.selected.saturating_sub(rows.saturating_sub(1));
    let mut lines = vec![Line::styled(heading, theme.heading())];
    for (index, hit) in browse.hits.iter().enumerate().skip(offset).take(rows) {
        let kind = match hit.kind {
            "question" | "input" => "question",
            "handoff" => "solution",
            kind => kind,
        };
        let title: String = single_line(&hit.title);
        let text = format!(" {kind:<9} {title}");
        let text: String = text.chars().take(usize::from(list_area.width)).collect();
        lines.push(if index == browse.selected {
            Line::styled(text, theme.selected())
        } else {
            Line::from(vec![
                Span::styled(format!(" {kind:<9} "), theme.dim()),
                Span::raw(text.chars().skip(11).collect::<String>()),
            ])
        });
    }
    frame.render_widget(Paragraph::new(lines), list_area);
}
