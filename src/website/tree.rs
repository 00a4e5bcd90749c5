//! The decision tree drawn as nested lists: each node with its kind, each branch with the
//! answer or condition that leads there. A node reached again (the tree is a graph) is drawn
//! once and linked to from the other places, so the drawing stays finite and readable.

use std::collections::HashSet;

use super::html::{Shell, esc, slug};
use super::site::{Site, cause_href, node_href};
use crate::knowledge::Knowledge;
use crate::knowledge::model::{Condition, EdgeOn, NodeId};

/// Deeper than this, a branch links to the node's page instead of drawing on: a generated
/// overlay with a long chain would otherwise nest without end.
const MAX_DEPTH: usize = 40;

/// A node's anchor in the drawing.
pub fn anchor(id: &str) -> String {
    format!("t-{}", slug(id))
}

/// `fact = a or b`, and `… and …` between conditions.
pub fn conditions(when: &[Condition]) -> String {
    when.iter()
        .map(|condition| format!("{} = {}", condition.fact, condition.any_of.join(" or ")))
        .collect::<Vec<_>>()
        .join(" and ")
}

/// Every branch out of a node: (what leads there, where).
pub fn edges(knowledge: &Knowledge, node: NodeId) -> Vec<(String, NodeId)> {
    knowledge
        .node(node)
        .edges()
        .into_iter()
        .map(|(on, next)| {
            let label = match on {
                EdgeOn::Choice(choice) => choice.label.clone(),
                EdgeOn::DontKnow(label) => label.to_owned(),
                EdgeOn::Given => "answered".into(),
                EdgeOn::Skipped => "skipped".into(),
                EdgeOn::Branch(when) => conditions(when),
                EdgeOn::Otherwise => "otherwise".into(),
            };
            (label, next)
        })
        .collect()
}

/// The nodes in the order the drawing first shows them (depth first from the start).
pub fn order(knowledge: &Knowledge) -> Vec<NodeId> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let mut stack = vec![knowledge.start];
    while let Some(node) = stack.pop() {
        if !seen.insert(node) {
            continue;
        }
        out.push(node);
        let next: Vec<NodeId> = edges(knowledge, node).into_iter().map(|(_, n)| n).collect();
        stack.extend(next.into_iter().rev());
    }
    out
}

struct Drawing<'k> {
    knowledge: &'k Knowledge,
    drawn: HashSet<NodeId>,
    out: String,
}

impl Drawing<'_> {
    fn node(&mut self, node: NodeId, depth: usize) {
        let kb = self.knowledge;
        let found = kb.node(node);
        let kind = found.kind_name();
        let first = self.drawn.insert(node);
        let label = esc(found.label());
        if !first || depth > MAX_DEPTH {
            let (target, hint) = if first {
                (node_href(kb, node), "continues on its page")
            } else {
                (format!("#{}", anchor(&found.id)), "drawn above")
            };
            self.out.push_str(&format!(
                "<span class=\"node again kind-{kind}\"><span class=\"kind\">{kind}</span> \
                 <a href=\"{}\">{label}</a> <span class=\"hint\">({hint})</span></span>",
                esc(&target)
            ));
            if first {
                // Not drawn here after all: it may still be drawn where it is reached higher up.
                self.drawn.remove(&node);
            }
            return;
        }
        self.out.push_str(&format!(
            "<span class=\"node kind-{kind}\" id=\"{}\"><span class=\"kind\">{kind}</span> \
             <a href=\"{}\">{label}</a>",
            esc(&anchor(&found.id)),
            esc(&node_href(kb, node))
        ));
        if let Some(cause) = kb.cause_of(node) {
            self.out.push_str(&format!(
                " <span class=\"cause\">cause: <a href=\"{}\">{}</a></span>",
                esc(&cause_href(&cause.id)),
                esc(&cause.title)
            ));
        }
        self.out.push_str("</span>");
        let edges = edges(kb, node);
        if edges.is_empty() {
            return;
        }
        self.out.push_str("\n<ul>\n");
        for (label, next) in edges {
            self.out
                .push_str(&format!("<li><span class=\"edge\">{}</span> ", esc(&label)));
            self.node(next, depth + 1);
            self.out.push_str("</li>\n");
        }
        self.out.push_str("</ul>\n");
    }
}

pub fn page(site: &mut Site, knowledge: &Knowledge) {
    let mut drawing = Drawing {
        knowledge,
        drawn: HashSet::new(),
        out: String::new(),
    };
    drawing.node(knowledge.start, 0);
    // Nodes only an overlay's side door reaches (none in a sound tree) still get drawn.
    let rest: Vec<NodeId> = (0..knowledge.nodes.len())
        .filter(|node| !drawing.drawn.contains(node))
        .collect();
    let mut body = String::from(
        "<h1>The decision tree</h1>\n<p>How the wizard goes from the first question to a cause \
         and its fix. Each box is a step (question, live check, decision, solution); the \
         words in grey on a branch are the answer or the condition that leads there. A step \
         reached from several places is drawn once; the other places link to it.</p>\n\
         <ul class=\"legend\" aria-label=\"Legend\"><li><span class=\"kind kind-question\">question</span></li>\
         <li><span class=\"kind kind-input\">input</span></li>\
         <li><span class=\"kind kind-check\">check</span></li>\
         <li><span class=\"kind kind-decide\">decide</span></li>\
         <li><span class=\"kind kind-solution\">solution</span></li>\
         <li><span class=\"kind kind-handoff\">handoff</span></li></ul>\n\
         <div class=\"tree\"><ul>\n<li>",
    );
    body.push_str(&drawing.out);
    body.push_str("</li>\n");
    for node in rest {
        if drawing.drawn.contains(&node) {
            continue;
        }
        drawing.out.clear();
        drawing.node(node, 0);
        body.push_str(&format!("<li>{}</li>\n", drawing.out));
    }
    body.push_str("</ul></div>\n");
    site.pages.push((
        "tree.html".into(),
        super::html::page(
            &Shell {
                title: "Decision tree",
                ..Shell::default()
            },
            &body,
        ),
    ));
}
