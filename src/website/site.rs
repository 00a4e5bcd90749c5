//! The site as it is built: its pages and search documents, and the file name every kind of
//! page has, so the page builders and the drawings can link to each other without knowing
//! each other.

use super::html::{Shell, page, slug};
use super::search::Doc;
use crate::knowledge::Knowledge;
use crate::knowledge::model::NodeId;

/// Everything the export writes besides the fixed assets.
#[derive(Debug, Default)]
pub struct Site {
    pub pages: Vec<(String, String)>,
    pub docs: Vec<Doc>,
}

impl Site {
    pub(super) fn add(&mut self, name: String, shell: &Shell<'_>, body: &str) {
        self.pages.push((name, page(shell, body)));
    }
}

pub fn cause_href(id: &str) -> String {
    format!("cause-{}.html", slug(id))
}

pub fn client_href(id: &str) -> String {
    format!("client-{}.html", slug(id))
}

pub fn provider_href(id: &str) -> String {
    format!("provider-{}.html", slug(id))
}

pub fn signature_href(id: &str) -> String {
    format!("error-{}.html", slug(id))
}

/// Solutions and hand-offs are "solution-", every other node "question-".
pub fn node_href(knowledge: &Knowledge, node: NodeId) -> String {
    let node = knowledge.node(node);
    let kind = if node.is_terminal() {
        "solution"
    } else {
        "question"
    };
    format!("{kind}-{}.html", slug(&node.id))
}

/// A task's anchor on a client page.
pub fn task_anchor(task: &str) -> String {
    format!("task-{}", slug(task))
}
