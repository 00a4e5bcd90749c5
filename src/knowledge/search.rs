//! Offline fuzzy search over every question, cause, solution, client guide and provider, and
//! over items the caller adds (`explain`'s error signatures, which this floor cannot read).
//!
//! A query made only of error codes (`554`, `5.7.1`, `0x800CCC79`) is not matched fuzzily,
//! where "554" would match any text holding a 5, a 5 and a 4 in order: every code must appear
//! as a whole word.
//!
//! An item that holds every word of the query as typed ("iphone" in "Mail on iPhone and iPad")
//! ranks above any item matched only fuzzily (letters scattered through a long text, such as a
//! provider's host names), so the few real answers come first and the noise last.

use std::sync::LazyLock;

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};
use regex::Regex;
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

/// Something to search that the knowledge model does not hold (an error signature).
#[derive(Debug, Clone)]
pub struct Extra {
    pub kind: &'static str,
    pub id: String,
    pub title: String,
    pub body: String,
}

/// Items ranked by how well they match `query`; titles count more than body text.
pub fn search(knowledge: &Knowledge, query: &str, limit: usize) -> Vec<Hit> {
    search_with(knowledge, &[], query, limit)
}

/// An error code as people type it: a reply code, an enhanced status code (Exchange writes
/// `#5.7.1`), or a Windows mail program's HRESULT.
static CODE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:0x[0-9a-f]{8}|[2-5][0-9]{2}|#?[245]\.[0-9]{1,3}\.[0-9]{1,3})$")
        .unwrap_or_else(|error| panic!("built-in pattern: {error}"))
});

/// The codes of a query made only of codes; empty for any other query.
fn codes_of(query: &str) -> Vec<String> {
    let words: Vec<&str> = query.split_whitespace().collect();
    if words.is_empty() || !words.iter().all(|word| CODE.is_match(word)) {
        return Vec::new();
    }
    words
        .iter()
        .map(|word| word.trim_start_matches('#').to_ascii_lowercase())
        .collect()
}

/// Whether `code` (lower case) stands in `text` as a whole word: "5.7.1" is found in
/// "554 5.7.1 <a@b>" and "(#5.7.1)", not in "5.7.10" or "15.7.1".
fn holds_code(text: &str, code: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    lower.match_indices(code).any(|(start, found)| {
        let before = start.checked_sub(1).map(|i| bytes[i]);
        let after = bytes.get(start + found.len()).copied();
        let after_next = bytes.get(start + found.len() + 1).copied();
        let clean_before = before.is_none_or(|b| !b.is_ascii_alphanumeric() && b != b'.');
        let clean_after = match after {
            None => true,
            Some(b'.') => after_next.is_none_or(|b| !b.is_ascii_digit()),
            Some(b) => !b.is_ascii_alphanumeric(),
        };
        clean_before && clean_after
    })
}

/// What a literal match adds to a fuzzy score: more than any fuzzy score of these short texts
/// reaches, so every literal match ranks above every fuzzy-only one.
const LITERAL_BONUS: u32 = 10_000;

/// Whether every word of the query (lower case) appears in one of `texts`, case aside.
fn holds_words(words: &[String], texts: &[&str]) -> bool {
    let lower: Vec<String> = texts.iter().map(|text| text.to_lowercase()).collect();
    !words.is_empty()
        && words
            .iter()
            .all(|word| lower.iter().any(|text| text.contains(word.as_str())))
}

/// [`search`], with `extra` items searched alongside the knowledge.
pub fn search_with(knowledge: &Knowledge, extra: &[Extra], query: &str, limit: usize) -> Vec<Hit> {
    let codes = codes_of(query);
    let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
    let pattern = Pattern::parse(query, CaseMatching::Ignore, Normalization::Smart);
    let mut matcher = Matcher::new(Config::DEFAULT);
    let mut buffer = Vec::new();
    let mut score = |text: &str| -> u32 {
        if !codes.is_empty() {
            // Every code present counts the same; titles still weigh double.
            return if codes.iter().all(|code| holds_code(text, code)) {
                100
            } else {
                0
            };
        }
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
        let mut best = (score(title) * 2).max(score(id) * 2).max(score(&body));
        // Codes are already matched literally; their ranking stays as it is.
        if best > 0 && codes.is_empty() && holds_words(&words, &[title, id, &body]) {
            best += LITERAL_BONUS;
        }
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
    for item in extra {
        consider(
            item.kind,
            &item.id,
            &item.title,
            item.body.clone(),
            &mut score,
        );
    }
    if !codes.is_empty() {
        // For a code, the error texts that carry it come before prose that mentions it.
        for hit in &mut hits {
            if extra.iter().any(|item| item.kind == hit.kind) {
                hit.score += 1;
            }
        }
    }
    hits.sort_by(|a, b| b.score.cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
    hits.truncate(limit);
    hits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_query_of_codes_is_matched_as_codes() {
        assert_eq!(codes_of("0x800CCC79"), vec!["0x800ccc79"]);
        assert_eq!(codes_of("554 #5.7.1"), vec!["554", "5.7.1"]);
        assert!(codes_of("relay 554").is_empty());
        assert!(codes_of("pop before smtp").is_empty());
        assert!(codes_of("").is_empty());
    }

    #[test]
    fn every_word_must_be_held_for_a_literal_match() {
        let words = |query: &str| -> Vec<String> {
            query.split_whitespace().map(str::to_lowercase).collect()
        };
        assert!(holds_words(&words("iphone"), &["Mail on iPhone and iPad"]));
        assert!(holds_words(&words("pop smtp"), &["POP before", "SMTP"]));
        assert!(!holds_words(
            &words("iphone"),
            &["ssl0.ovh.net imap.mail.ovh.net"]
        ));
        assert!(!holds_words(&words("pop imap"), &["POP before SMTP"]));
        assert!(!holds_words(&[], &["anything"]));
    }

    #[test]
    fn a_code_must_stand_as_a_whole_word() {
        assert!(holds_code(
            "554 5.7.1 <a@b.example>: Relay access denied",
            "5.7.1"
        ));
        assert!(holds_code("(#5.7.1)", "5.7.1"));
        assert!(holds_code("ends with 5.7.1.", "5.7.1"));
        assert!(holds_code("Error Number: 0x800CCC79", "0x800ccc79"));
        assert!(!holds_code("550 5.7.10 nope", "5.7.1"));
        assert!(!holds_code("15.7.1", "5.7.1"));
        assert!(!holds_code("5.7.1.2", "5.7.1"));
        assert!(!holds_code("port 5540", "554"));
    }
}
