//! Offline fuzzy search over every question, cause, solution, client guide and provider.

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};
use serde::Serialize;

use super::Knowledge;
use super::model::NodeBody;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hit {
    pub kind: &'static str,
    pub id: String,
    pub title: String,
    pub score: u32,
}

/// Items ranked by how well they match `query`; titles count more than body text.
pub fn search(knowledge: &Knowledge, query: &str, limit: usize) -> Vec<Hit> {
    let pattern = Pattern::parse(query, CaseMatching::Ignore, Normalization::Smart);
    let mut matcher = Matcher::new(Config::DEFAULT);
    let mut buffer = Vec::new();
    let mut score = |text: &str| -> u32 {
        pattern
            .score(Utf32Str::new(text, &mut buffer), &mut matcher)
            .unwrap_or(0)
    };
    let mut hits = Vec::new();
    let mut consider = |kind: &'static str,
                        id: &str,
                        title: &str,
                        body: String,
                        score: &mut dyn FnMut(&str) -> u32| {
        let best = (score(title) * 2).max(score(id) * 2).max(score(&body));
        if best > 0 {
            hits.push(Hit {
                kind,
                id: id.to_string(),
                title: title.to_string(),
                score: best,
            });
        }
    };
    for node in &knowledge.nodes {
        let mut body = format!("{} {}", node.text, node.help.as_deref().unwrap_or(""));
        if let NodeBody::Question { choices, .. } = &node.body {
            for choice in choices {
                body.push(' ');
                body.push_str(&choice.label);
            }
        }
        if let NodeBody::Solution {
            server_fix: Some(fix),
            ..
        } = &node.body
        {
            body.push(' ');
            body.push_str(fix);
        }
        consider(node.kind_name(), &node.id, node.label(), body, &mut score);
    }
    for cause in &knowledge.causes {
        let body = format!(
            "{} {} {}",
            cause.summary,
            cause.explanation,
            cause.signs.join(" ")
        );
        consider("cause", &cause.id, &cause.title, body, &mut score);
    }
    for client in &knowledge.clients {
        let mut body = format!("{} {}", client.platform, client.aliases.join(" "));
        for task in client.tasks.values() {
            body.push(' ');
            body.push_str(&task.title);
            body.push(' ');
            body.push_str(&task.steps.join(" "));
        }
        consider("client", &client.id, &client.name, body, &mut score);
    }
    for provider in &knowledge.providers {
        let mut body = provider.domains.join(" ");
        for endpoint in provider.outgoing.iter().chain(&provider.incoming) {
            body.push_str(&format!(" {} {}", endpoint.host, endpoint.port));
        }
        consider("provider", &provider.id, &provider.name, body, &mut score);
    }
    hits.sort_by(|a, b| b.score.cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
    hits.truncate(limit);
    hits
}
