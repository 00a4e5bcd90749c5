//! Problems found in input the user or a knowledge author controls, each pinned to where it is.
//!
//! One type serves knowledge validation, fact parsing and signature loading, so every "bad
//! input" message in relaydoc reads the same: `file:line:column: [node] what is wrong`.

use std::fmt;

/// Where in a source file something is: 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Position {
    pub line: u64,
    pub column: u64,
}

impl Position {
    pub fn new(line: u64, column: u64) -> Self {
        Self { line, column }
    }

    /// serde-saphyr reports 0/0 for "unknown"; treat that as no position at all.
    pub fn from_saphyr(location: &serde_saphyr::Location) -> Option<Self> {
        (location.line() > 0).then(|| Self::new(location.line(), location.column()))
    }
}

/// One problem, with enough context for the author to go straight to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    pub position: Option<Position>,
    /// The knowledge item (node, cause, client…) the problem belongs to, when there is one.
    pub item: Option<String>,
    pub message: String,
}

impl Diagnostic {
    pub fn new(file: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            position: None,
            item: None,
            message: message.into(),
        }
    }

    pub fn at(mut self, position: Option<Position>) -> Self {
        self.position = position;
        self
    }

    pub fn item(mut self, item: impl Into<String>) -> Self {
        self.item = Some(item.into());
        self
    }
}

/// What a diagnostic may quote of its item and message: one line each, cut with "…". The
/// file name, the item id and parts of the message come from files the user (or someone else)
/// controls: a 400 KB id or a name with a line break must not flood or forge the output.
const ITEM_CHARS: usize = 80;
const MESSAGE_CHARS: usize = 1_000;

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::sanitize::{EXCERPT_CHARS, excerpt};
        write!(f, "{}", excerpt(&self.file, 2 * EXCERPT_CHARS))?;
        if let Some(position) = self.position {
            write!(f, ":{}:{}", position.line, position.column)?;
        }
        write!(f, ": ")?;
        if let Some(item) = &self.item {
            write!(f, "[{}] ", excerpt(item, ITEM_CHARS))?;
        }
        write!(f, "{}", excerpt(&self.message, MESSAGE_CHARS))
    }
}

/// Several problems reported together: authors fix them all in one pass, not one per run.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }

    /// Sorted by file and position so output is stable and reads top to bottom.
    pub fn sorted(mut self) -> Self {
        self.0.sort_by(|a, b| {
            (&a.file, a.position, &a.message).cmp(&(&b.file, b.position, &b.message))
        });
        self
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for diagnostic in &self.0 {
            writeln!(f, "{diagnostic}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

impl From<Diagnostic> for Diagnostics {
    fn from(diagnostic: Diagnostic) -> Self {
        Self(vec![diagnostic])
    }
}
