//! The knowledge base: loading, overlaying and validating the YAML under `knowledge/`.
//!
//! Loading happens in two stages: [`raw`] structs exactly as written (unknown fields rejected),
//! then [`build`] into the validated [`model::Knowledge`] the engine trusts.

pub mod build;
pub mod catalogue;
pub mod checks;
pub mod model;
pub mod raw;
pub mod search;
pub mod snippet;
pub mod source;

use std::path::PathBuf;

pub use model::Knowledge;

use crate::diagnostic::Diagnostics;

/// Loads the bundled knowledge with the user's folder and `extra` folders laid over it.
pub fn load(extra: &[PathBuf]) -> Result<Knowledge, Diagnostics> {
    let (files, problems) = source::load_sources(extra);
    from_files(&files, problems)
}

/// Only the bundled knowledge, as compiled in.
pub fn bundled() -> Result<Knowledge, Diagnostics> {
    from_files(&source::bundled_files(), Diagnostics::default())
}

/// The tree, causes, clients and providers; every problem together. Error signatures are
/// compiled on first use (`explain::signatures`); `kb validate` asks for them at once.
fn from_files(
    files: &[source::SourceFile],
    mut problems: Diagnostics,
) -> Result<Knowledge, Diagnostics> {
    match build::build(files) {
        Ok(knowledge) if problems.is_empty() => Ok(knowledge),
        Ok(_) => Err(problems.sorted()),
        Err(more) => {
            problems.0.extend(more.0);
            Err(problems.sorted())
        }
    }
}
