//! Facts given up front: `--fact key=value` and `--facts FILE` (a YAML mapping).
//!
//! Every key and value is checked against the fact catalogue, and a bad one is reported with
//! what is allowed, so a helpdesk script fails loudly instead of walking the wrong branch.

use std::collections::BTreeMap;
use std::path::Path;

use serde_saphyr::Spanned;

use crate::diagnostic::{Diagnostic, Diagnostics, Position};
use crate::engine::Facts;
use crate::knowledge::model::FactCatalogue;
use crate::knowledge::source::{SourceFile, parse_yaml};

/// Facts a person must never pass on a command line or in a file.
const SECRET_WORDS: &[&str] = &["password", "secret", "passwd"];

/// Reads `--facts FILE` first, then `--fact` pairs (which win), all checked.
pub fn collect(
    catalogue: &FactCatalogue,
    file: Option<&Path>,
    pairs: &[String],
) -> Result<Facts, Diagnostics> {
    let mut facts = Facts::new();
    let mut problems = Diagnostics::default();
    if let Some(path) = file {
        read_file(catalogue, path, &mut facts, &mut problems);
    }
    for pair in pairs {
        let Some((key, value)) = pair.split_once('=') else {
            problems.push(Diagnostic::new(
                "--fact",
                format!("`{pair}` is not KEY=VALUE (for example client.smtp_auth=off)"),
            ));
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        match check(catalogue, key, value) {
            Ok(()) => {
                facts.insert(key.to_string(), value.to_string());
            }
            Err(message) => problems.push(Diagnostic::new("--fact", message)),
        }
    }
    if problems.is_empty() {
        Ok(facts)
    } else {
        Err(problems)
    }
}

fn check(catalogue: &FactCatalogue, key: &str, value: &str) -> Result<(), String> {
    if SECRET_WORDS
        .iter()
        .any(|word| key.to_ascii_lowercase().contains(word))
    {
        return Err(format!(
            "`{key}` looks like a password; passwords are never given as facts (relaydoc asks \
             for them in a hidden prompt)"
        ));
    }
    catalogue.check(key, value)
}

/// A facts file is a handful of `key: value` lines; more is not a facts file.
const MAX_FACTS_BYTES: u64 = 256 * 1024;

fn read_file(
    catalogue: &FactCatalogue,
    path: &Path,
    facts: &mut Facts,
    problems: &mut Diagnostics,
) {
    let name = crate::files::shown(path);
    let text = match crate::files::read(path, crate::files::Rules::regular(MAX_FACTS_BYTES)) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(_) => {
                problems.push(Diagnostic::new(name, "not valid UTF-8"));
                return;
            }
        },
        Err(error) => {
            problems.push(Diagnostic::new(name, error.reason()));
            return;
        }
    };
    parse_text(catalogue, &name, text, facts, problems);
}

/// Checks the text of a facts file (`name` is what errors call it) into `facts`.
pub fn parse_text(
    catalogue: &FactCatalogue,
    name: &str,
    text: String,
    facts: &mut Facts,
    problems: &mut Diagnostics,
) {
    let source = SourceFile {
        name: name.to_owned(),
        relative: name.to_owned(),
        text,
        layer: 0,
    };
    let mapping: BTreeMap<String, Spanned<String>> = match parse_yaml(&source) {
        Ok(mapping) => mapping,
        Err(problem) => {
            problems.push(Diagnostic {
                message: format!(
                    "{} (a facts file is a YAML mapping of `key: value` lines)",
                    problem.message
                ),
                ..problem
            });
            return;
        }
    };
    for (key, value) in mapping {
        match check(catalogue, &key, &value.value) {
            Ok(()) => {
                facts.insert(key, value.value);
            }
            Err(message) => problems
                .push(Diagnostic::new(name, message).at(Position::from_saphyr(&value.referenced))),
        }
    }
}
