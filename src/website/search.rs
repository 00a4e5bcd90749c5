//! The search index of the offline website: one document per page, written as a script that
//! sets `window.RELAYDOC_INDEX` (a `<script src>` loads from `file://`; `fetch` does not).
//!
//! The text is cleaned of terminal sequences here; the page's script shows it only through
//! `textContent`, never as HTML.

use serde::Serialize;

use crate::sanitize::{excerpt, single_line};

/// The most body text a document keeps for matching: the start of an article says what it
/// is about, and the index stays small enough to load at once.
const MAX_BODY_CHARS: usize = 3000;

/// One page as the search sees it (short keys: the file is loaded on every search page).
#[derive(Debug, Clone, Serialize)]
pub struct Doc {
    /// The page's file name, relative to the site's root.
    pub u: String,
    /// What kind of page: "Cause", "Mail program", "Error text", …
    pub k: &'static str,
    /// The id the knowledge gives it (searchable: `0x800CCC79`, `thunderbird`).
    pub i: String,
    /// Title.
    pub t: String,
    /// One line shown under the title in the results.
    pub s: String,
    /// More text to match on.
    pub b: String,
}

impl Doc {
    pub fn new(u: String, k: &'static str, i: &str, t: &str, s: &str, body: &str) -> Self {
        Self {
            u,
            k,
            i: single_line(i),
            t: single_line(t),
            s: excerpt(s, 180),
            b: excerpt(body, MAX_BODY_CHARS),
        }
    }
}

/// The index as a script.
pub fn script(docs: &[Doc]) -> String {
    // Serialising strings and plain structs cannot fail; an empty index is still a valid page.
    let json = serde_json::to_string(docs).unwrap_or_else(|_| "[]".into());
    format!("window.RELAYDOC_INDEX = {json};\n")
}
