//! What people see, read for unfinished edges: every reviewed TUI snapshot and the steps of
//! every solution for every mail program with an unknown provider (the text plain mode and
//! emails print) must have no word cut at the right edge, no Markdown or JSON syntax, no
//! template placeholder and no doubled glue such as "(…) (".

use std::collections::HashSet;
use std::path::Path;

use relaydoc::engine::Facts;
use relaydoc::knowledge::model::NodeBody;

/// Signs of text not made for people; each with why it is wrong.
const NOT_FOR_PEOPLE: [(&str, &str); 12] = [
    ("**", "Markdown bold marks"),
    ("|---", "a Markdown table"),
    ("| |", "a Markdown table"),
    ("{\"", "JSON"),
    ("{host}", "a placeholder"),
    ("{port}", "a placeholder"),
    ("{security}", "a placeholder"),
    ("{username}", "a placeholder"),
    ("{auth_method}", "a placeholder"),
    ("{password_hint}", "a placeholder"),
    ("{oauth_fallback}", "a placeholder"),
    (") (", "two parenthesised phrases glued together"),
];

/// The rows of a snapshot: each drawn row is one quoted line.
fn rows(snapshot: &str) -> Vec<String> {
    snapshot
        .lines()
        .filter_map(|line| {
            line.strip_prefix('"')?
                .strip_suffix('"')
                .map(str::to_string)
        })
        .collect()
}

/// Characters that end a text region on a screen: borders and scrollbars.
fn is_edge(c: char) -> bool {
    matches!(
        c,
        '│' | '║' | '█' | '↑' | '↓' | '╮' | '╯' | '╗' | '╝' | '┐' | '┘' | '┃'
    )
}

/// Every word written somewhere in full: the knowledge files and every snapshot's words that
/// stand between spaces (not touching an edge). A word cut at an edge is in none of them.
fn known_words(snapshots: &[(String, Vec<String>)]) -> HashSet<String> {
    let mut words = HashSet::new();
    let mut add = |text: &str| {
        for word in text.split(|c: char| c.is_whitespace() || is_edge(c)) {
            let word = trimmed(word);
            if !word.is_empty() {
                words.insert(word.to_lowercase());
            }
        }
    };
    for entry in walk(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("knowledge")
            .as_path(),
    ) {
        if let Ok(text) = std::fs::read_to_string(&entry) {
            add(&text);
        }
    }
    for (_, rows) in snapshots {
        for row in rows {
            // Only words with a space after them: a word at an edge is what is being judged.
            let mut parts: Vec<&str> = row.split(' ').collect();
            parts.pop();
            add(&parts.join(" "));
        }
    }
    words
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                files.extend(walk(&path));
            } else {
                files.push(path);
            }
        }
    }
    files
}

/// A word without the punctuation around it.
fn trimmed(word: &str) -> &str {
    word.trim_matches(|c: char| !c.is_alphanumeric())
}

/// The words that end a text region at its right edge: the last word of the row, or the
/// last word before a border or scrollbar, when no space separates it from that edge.
fn edge_words(row: &str) -> Vec<String> {
    let chars: Vec<char> = row.chars().collect();
    let mut words = Vec::new();
    let mut ends: Vec<usize> = chars
        .iter()
        .enumerate()
        .filter(|(_, c)| is_edge(**c))
        .map(|(index, _)| index)
        .collect();
    ends.push(chars.len());
    for end in ends {
        let Some(last) = end.checked_sub(1) else {
            continue;
        };
        if !chars[last].is_alphanumeric() {
            continue;
        }
        let start = chars[..end]
            .iter()
            .rposition(|c| *c == ' ' || is_edge(*c))
            .map_or(0, |index| index + 1);
        words.push(chars[start..end].iter().collect());
    }
    words
}

/// Edges still known and left for later (issue 17), each with where it comes from; any other
/// finding fails. Remove an entry once its screen is fixed.
const KNOWN: [(&str, &str); 0] = [];

fn known_problem(name: &str, line: &str) -> bool {
    KNOWN
        .iter()
        .any(|(what, _)| name.contains(what) || line.contains(what))
}

/// A password mask ("****") is not Markdown: bold marks touch a word.
fn shows(line: &str, mark: &str) -> bool {
    if mark != "**" {
        return line.contains(mark);
    }
    line.match_indices("**").any(|(at, _)| {
        let before = line[..at].chars().next_back();
        let after = line[at + 2..].chars().next();
        [before, after]
            .into_iter()
            .flatten()
            .any(char::is_alphanumeric)
    })
}

fn problems_in(name: &str, text: &str, problems: &mut Vec<String>) {
    for (mark, why) in NOT_FOR_PEOPLE {
        if let Some(line) = text
            .lines()
            .find(|line| shows(line, mark) && !known_problem(name, line))
        {
            problems.push(format!("{name}: {why} ({mark:?}) in {line:?}"));
        }
    }
}

fn snapshots() -> Vec<(String, Vec<String>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/tui/snapshots");
    let mut all: Vec<(String, Vec<String>)> = walk(&dir)
        .into_iter()
        .filter(|path| path.extension().is_some_and(|ext| ext == "snap"))
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("read snapshot");
            let name = path
                .file_name()
                .map_or_else(String::new, |name| name.to_string_lossy().into_owned());
            (name, rows(&text))
        })
        .collect();
    all.sort();
    all
}

#[test]
fn no_snapshot_shows_a_cut_word_markup_or_a_placeholder() {
    let snapshots = snapshots();
    assert!(snapshots.len() > 50, "the TUI snapshots are read");
    let known = known_words(&snapshots);
    let mut problems = Vec::new();
    for (name, rows) in &snapshots {
        problems_in(name, &rows.join("\n"), &mut problems);
        for row in rows {
            for word in edge_words(row) {
                let bare = trimmed(&word).to_lowercase();
                // Numbers, ids and one-letter words at an edge are not judged.
                if bare.chars().count() < 3 || bare.chars().all(|c| c.is_ascii_digit()) {
                    continue;
                }
                if !known.contains(&bare) {
                    problems.push(format!("{name}: {word:?} cut at the edge in {row:?}"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn steps_for_an_unknown_provider_read_as_whole_sentences() {
    let knowledge = relaydoc::knowledge::bundled().expect("bundled knowledge");
    let mut problems = Vec::new();
    for node in &knowledge.nodes {
        if !matches!(
            node.body,
            NodeBody::Solution { .. } | NodeBody::Handoff { .. }
        ) {
            continue;
        }
        let node_id = knowledge.node_id(&node.id).expect("the node's own id");
        for client in &knowledge.clients {
            // An address at no provider relaydoc knows: every setting is "what it lists".
            let mut facts = Facts::new();
            facts.insert("account.email".into(), "me@unknown-provider.test".into());
            facts.insert("client.id".into(), client.id.clone());
            let view = relaydoc::present::solution_view(&knowledge, node_id, &facts, client);
            let text = relaydoc::present::solution_text(&view, 76);
            problems_in(
                &format!("{} in {}", node.id, client.id),
                &text,
                &mut problems,
            );
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_rules_find_a_cut_word_and_markup() {
    assert_eq!(edge_words("  Reading the error messag"), vec!["messag"]);
    assert_eq!(
        edge_words("  User name maria.rossi@gmail.co│ ok "),
        vec!["maria.rossi@gmail.co"]
    );
    assert!(edge_words("  a line that ends early      │").is_empty());
    let mut problems = Vec::new();
    problems_in("x", "Tick **Use SSL** for {security}", &mut problems);
    assert_eq!(problems.len(), 2, "{problems:?}");
    problems.clear();
    problems_in("x", "C: AUTH PLAIN ********", &mut problems);
    assert!(problems.is_empty(), "a password mask is not Markdown");
}
