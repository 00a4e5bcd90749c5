//! The Postfix reference page: what relaydoc knows of Postfix parameters.
//!
//! Nothing here is written twice: the defaults come from [`crate::postfix::config::Settings`]
//! (the table `postfix lint` and `simulate` reason with), read for three kinds of server; the
//! names from [`crate::postfix::names`]; the fixes and causes that mention a parameter from
//! the knowledge.

use super::html::{Shell, esc};
use super::search::Doc;
use super::site::{Site, cause_href, node_href};
use crate::knowledge::Knowledge;
use crate::knowledge::model::NodeBody;
use crate::postfix::config::{Origin, Settings, Version, parse_main};
use crate::postfix::names;

/// Whether `name` appears in `text` as a whole word (`mynetworks`, not `mynetworks_style`).
fn mentions(text: &str, name: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(name).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + name.len()..].chars().next();
        !before.is_some_and(word) && !after.is_some_and(word)
    })
}

pub fn page(site: &mut Site, knowledge: &Knowledge) {
    let (current, _) = parse_main("main.cf", "compatibility_level = 3.6\n");
    let (upgraded, _) = parse_main("main.cf", "");
    let views = [
        Settings::new(&current, Some(Version::new(3, 7, 0))),
        Settings::new(&upgraded, Some(Version::new(3, 7, 0))),
        Settings::new(&upgraded, Some(Version::new(2, 9, 0))),
    ];
    let default = |settings: &Settings<'_>, name: &str| match settings.raw(name) {
        Some((value, Origin::Default)) if value.is_empty() => "(empty)".to_string(),
        Some((value, Origin::Default)) => value,
        Some((value, _)) => value,
        None => "—".to_string(),
    };
    let known: Vec<&str> = names::all()
        .filter(|name| *name != "compatibility_level" && *name != "mail_version")
        .filter(|name| views.iter().any(|view| view.raw(name).is_some()))
        .collect();

    // The safety net: https://www.postfix.org/COMPATIBILITY_README.html
    let mut body = String::from(
        "<h1>Postfix reference</h1>\n<p>The Postfix parameters relaydoc reasons about when it \
         reads a configuration (<code>relaydoc postfix lint</code>, <code>relaydoc postfix \
         simulate</code>), with Postfix's built-in defaults as relaydoc applies them, and the \
         fixes and causes that name each one. Defaults depend on the release and on \
         <code>compatibility_level</code>: a configuration that does not set the level runs \
         with the backwards-compatible defaults of older releases (Postfix's \
         <a href=\"https://www.postfix.org/COMPATIBILITY_README.html\" rel=\"noopener noreferrer\">\
         COMPATIBILITY_README</a>).</p>\n\
         <table class=\"reference\">\n<caption>Built-in defaults</caption>\n<thead><tr>\
         <th scope=\"col\">Parameter</th>\
         <th scope=\"col\">Postfix 3.7, compatibility_level 3.6</th>\
         <th scope=\"col\">Postfix 3.7, no compatibility_level</th>\
         <th scope=\"col\">Postfix 2.9</th>\
         <th scope=\"col\">In relaydoc's knowledge</th></tr></thead>\n<tbody>\n",
    );
    let mut text = String::new();
    for name in &known {
        let mut refs = Vec::new();
        for cause in &knowledge.causes {
            if mentions(&cause.explanation, name) || mentions(&cause.summary, name) {
                refs.push(format!(
                    "<a href=\"{}\">{}</a>",
                    esc(&cause_href(&cause.id)),
                    esc(&cause.title)
                ));
            }
        }
        for (index, node) in knowledge.nodes.iter().enumerate() {
            if let NodeBody::Solution {
                server_fix: Some(fix),
                ..
            } = &node.body
                && mentions(fix, name)
            {
                refs.push(format!(
                    "<a href=\"{}\">{}</a>",
                    esc(&node_href(knowledge, index)),
                    esc(node.label())
                ));
            }
        }
        let cells: Vec<String> = views
            .iter()
            .map(|view| format!("<td><code>{}</code></td>", esc(&default(view, name))))
            .collect();
        body.push_str(&format!(
            "<tr id=\"p-{name}\"><th scope=\"row\"><a href=\"https://www.postfix.org/postconf.5.html#{name}\" \
             rel=\"noopener noreferrer\"><code>{name}</code></a></th>{}<td>{}</td></tr>\n",
            cells.join(""),
            if refs.is_empty() {
                "—".to_string()
            } else {
                refs.join("<br>")
            }
        ));
        text.push_str(name);
        text.push(' ');
    }
    body.push_str("</tbody>\n</table>\n");
    body.push_str(&format!(
        "<h2>Every parameter name</h2>\n<p>relaydoc knows the {count} parameter names of \
         Postfix {release} (<code>postconf -d</code>), to tell a typing mistake in main.cf \
         from a real setting. Names added in later releases are not in the list, so an \
         unknown name is a warning, not an error.</p>\n<details><summary>Show all \
         {count} names</summary>\n<ul class=\"names\">\n",
        count = names::all().count(),
        release = names::TABLE_RELEASE
    ));
    for name in names::all() {
        body.push_str(&format!("<li><code>{}</code></li>\n", esc(name)));
    }
    body.push_str("</ul>\n</details>\n");
    site.docs.push(Doc::new(
        "postfix.html".into(),
        "Reference",
        "postfix",
        "Postfix reference",
        "Postfix parameters relaydoc reasons about, with their defaults",
        &text,
    ));
    site.pages.push((
        "postfix.html".into(),
        super::html::page(
            &Shell {
                title: "Postfix reference",
                ..Shell::default()
            },
            &body,
        ),
    ));
}
