//! `relaydoc kb export --html DIR`: the whole knowledge as a static website that works from
//! `file://` with no network — a home page with search and the three ways in, one page per
//! cause, solution, question, mail program, provider and error text, the decision tree drawn
//! as nested lists, and the Postfix reference.
//!
//! Pages are built as strings by plain Rust functions ([`pages`], [`tree`], [`reference`]);
//! every piece of knowledge text goes through [`html::esc`]. Steps are filled by
//! [`crate::present`], the same code the terminal uses. The search index is a script
//! (`assets/search-index.js`, loaded with `<script src>`, which browsers allow from `file://`
//! where `fetch` is not) read by the site's own small fuzzy search in `assets/site.js`.

pub mod html;
mod pages;
mod reference;
mod search;
mod site;
mod tree;

use std::path::{Path, PathBuf};

use crate::diagnostic::Diagnostics;
use crate::knowledge::Knowledge;

const CSS: &str = include_str!("site.css");
const JS: &str = include_str!("site.js");

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    pub pages: usize,
    pub bytes: u64,
}

/// Why an export did not complete.
#[derive(Debug)]
pub enum ExportError {
    /// The error signatures of the knowledge do not load.
    Knowledge(Diagnostics),
    /// A file or folder could not be written.
    Write(PathBuf, std::io::Error),
}

impl std::fmt::Display for ExportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Knowledge(problems) => {
                write!(f, "the error signatures have {} problem(s)", problems.len())
            }
            Self::Write(path, error) => write!(f, "cannot write {}: {error}", path.display()),
        }
    }
}

/// Writes through a temporary file renamed over `path`: a link already at `path` is replaced,
/// never followed, and a reader never sees half a page.
fn write_replacing(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    let folder = path.parent().unwrap_or(Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(folder)?;
    file.write_all(content.as_bytes())?;
    // Temporary files are private (0600); pages are for anyone who may read the folder.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    file.persist(path).map_err(|error| error.error)?;
    Ok(())
}

/// Writes the site into `dir` (created when missing). Files of the same name are replaced;
/// nothing else in the folder is touched.
pub fn export(knowledge: &Knowledge, dir: &Path) -> Result<Exported, ExportError> {
    let signatures = crate::explain::signatures(knowledge)
        .map_err(|problems| ExportError::Knowledge(problems.clone()))?;
    let site = pages::build(knowledge, signatures, crate::present::today());
    let assets = dir.join("assets");
    std::fs::create_dir_all(&assets).map_err(|error| ExportError::Write(assets.clone(), error))?;
    let mut files: Vec<(String, String)> = site.pages;
    files.push(("assets/site.css".into(), CSS.into()));
    files.push(("assets/site.js".into(), JS.into()));
    files.push(("assets/search-index.js".into(), search::script(&site.docs)));
    let mut bytes = 0;
    for (name, content) in &files {
        let path = dir.join(name);
        write_replacing(&path, content).map_err(|error| ExportError::Write(path.clone(), error))?;
        bytes += content.len() as u64;
    }
    Ok(Exported {
        pages: files
            .iter()
            .filter(|(name, _)| name.ends_with(".html"))
            .count(),
        bytes,
    })
}
