//! Error signatures: the YAML under `knowledge/signatures/`, loaded in two stages.
//!
//! Raw serde structs reject unknown fields; [`Signatures::load`] then compiles every pattern,
//! checks cause ids, capture names and fact keys against DESIGN.md, proves each signature's
//! `example` matches, and applies overlays (a higher layer replaces a signature with the same
//! id). Every problem is reported at once, each at its file, line and column.

use std::collections::{BTreeMap, HashMap};

use regex::{Regex, RegexSet};
use serde::Deserialize;
use serde_saphyr::Spanned;

use super::vocabulary::{self, Side};
use crate::diagnostic::{Diagnostic, Diagnostics, Position};
use crate::knowledge::Knowledge;
use crate::knowledge::source::{SourceFile, parse_yaml};

/// Files below this folder of the knowledge tree hold signatures.
pub const FOLDER: &str = "signatures/";

/// A signature file: a family of related error texts.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    /// What the family is, for people reading the file.
    #[serde(default)]
    #[allow(dead_code)]
    family: Option<String>,
    signatures: Vec<RawSignature>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSignature {
    id: Spanned<String>,
    /// Rust `regex` syntax; `(?i)` for case-insensitive. Named groups must be known captures.
    pattern: Spanned<String>,
    /// `client`, `sender-mx`, `recipient-mx`, or null when the text alone does not say.
    side: Option<Spanned<String>>,
    /// true: a relay denial; false: a look-alike; null: a wrapper (a client's dialog) that
    /// carries some other reply and decides nothing by itself.
    relay_denial: Option<bool>,
    /// Only for a wrapper: true when its words alone, with no server reply relaydoc knows
    /// beside them, most often mean a relay denial (Outlook's 0x800CCC79: a refused recipient).
    #[serde(default)]
    likely_relay_denial: Option<Spanned<bool>>,
    #[serde(default)]
    causes: Vec<RawCause>,
    #[serde(default)]
    facts: HashMap<Spanned<String>, Spanned<String>>,
    /// What the text means, in one plain sentence for the person reading the answer.
    #[serde(default)]
    meaning: Option<String>,
    /// Where this exact text was seen publicly (URL or reference).
    source: String,
    /// A real text the pattern must match; checked at load so a pattern cannot rot silently.
    example: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCause {
    cause: Spanned<String>,
    weight: Spanned<f64>,
    why: String,
}

/// One cause a signature points to, with how strongly and why.
#[derive(Debug, Clone)]
pub struct CausePrior {
    pub cause: String,
    pub weight: f64,
    pub why: String,
}

/// A validated signature, ready to match.
#[derive(Debug, Clone)]
pub struct Signature {
    pub id: String,
    pub regex: Regex,
    pub side: Option<Side>,
    pub relay_denial: Option<bool>,
    /// A wrapper whose words alone most often mean a relay denial (see the README).
    pub likely_relay_denial: bool,
    pub causes: Vec<CausePrior>,
    pub facts: BTreeMap<String, String>,
    pub meaning: Option<String>,
    pub source: String,
    /// The real text the pattern was proved on at load (shown by the offline website).
    pub example: String,
    /// File the signature came from, for messages about it.
    pub file: String,
}

/// All signatures, with one [`RegexSet`] so each line is scanned once for all of them.
#[derive(Debug, Clone)]
pub struct Signatures {
    list: Vec<Signature>,
    set: RegexSet,
    /// Each cause's side, from the knowledge's causes: the one place sides are defined.
    sides: HashMap<String, Option<Side>>,
}

/// Patterns are small; a huge one is a mistake, and regex memory grows with it.
const MAX_PATTERN_CHARS: usize = 4096;
/// Compiled-size limit per pattern, so an overlay cannot make loading eat memory.
const REGEX_SIZE_LIMIT: usize = 4 * 1024 * 1024;
/// Lazy-DFA cache for the combined set (regex's default is 2 MiB).
const DFA_CACHE_BYTES: usize = 16 * 1024 * 1024;

impl Signatures {
    /// Loads every file whose `relative` path starts with `signatures/`, checking cause ids
    /// and facts against the knowledge's own causes and fact catalogue.
    pub fn load(files: &[SourceFile], knowledge: &Knowledge) -> Result<Self, Diagnostics> {
        let mut problems = Diagnostics::default();
        let mut ordered: Vec<&SourceFile> = files
            .iter()
            .filter(|file| file.relative.starts_with(FOLDER))
            .collect();
        // Lower layers first, so a later (overlay) signature replaces an earlier one.
        ordered.sort_by(|a, b| (a.layer, &a.relative).cmp(&(b.layer, &b.relative)));

        let mut list: Vec<Signature> = Vec::new();
        // id → (index in list, layer, file, position) of the signature that holds it now.
        let mut by_id: HashMap<String, (usize, usize, String, Option<Position>)> = HashMap::new();
        for file in ordered {
            let raw: RawFile = match parse_yaml(file) {
                Ok(raw) => raw,
                Err(diagnostic) => {
                    problems.push(diagnostic);
                    continue;
                }
            };
            for raw_signature in raw.signatures {
                let position = position_of(&raw_signature.id.referenced);
                let Some(signature) = validate(raw_signature, file, knowledge, &mut problems)
                else {
                    continue;
                };
                match by_id.get(&signature.id) {
                    Some((_, layer, first_file, first_at)) if *layer == file.layer => {
                        let at = first_at
                            .map(|p| format!(":{}:{}", p.line, p.column))
                            .unwrap_or_default();
                        problems.push(
                            Diagnostic::new(
                                &file.name,
                                format!(
                                    "duplicate signature id; first defined at {first_file}{at}"
                                ),
                            )
                            .at(position)
                            .item(&signature.id),
                        );
                    }
                    Some((index, _, _, _)) => {
                        let index = *index;
                        by_id.insert(
                            signature.id.clone(),
                            (index, file.layer, file.name.clone(), position),
                        );
                        list[index] = signature;
                    }
                    None => {
                        by_id.insert(
                            signature.id.clone(),
                            (list.len(), file.layer, file.name.clone(), position),
                        );
                        list.push(signature);
                    }
                }
            }
        }
        if !problems.is_empty() {
            return Err(problems.sorted());
        }
        // A roomier lazy-DFA cache keeps the one-pass scan fast on long, varied input.
        let set = regex::RegexSetBuilder::new(list.iter().map(|s| s.regex.as_str()))
            .size_limit(REGEX_SIZE_LIMIT * 8)
            .dfa_size_limit(DFA_CACHE_BYTES)
            .build()
            .map_err(|error| {
                Diagnostics::from(Diagnostic::new(
                    FOLDER,
                    format!("the signatures together are too large to compile: {error}"),
                ))
            })?;
        let sides = knowledge
            .causes
            .iter()
            .map(|cause| (cause.id.clone(), Side::from_model(cause.side)))
            .collect();
        Ok(Self { list, set, sides })
    }

    /// The side a cause belongs to; `None` for `not-relay` and unknown ids.
    pub fn side_of(&self, cause: &str) -> Option<Side> {
        self.sides.get(cause).copied().flatten()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Signature> {
        self.list.iter()
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn get(&self, index: usize) -> Option<&Signature> {
        self.list.get(index)
    }

    /// Indices of the signatures that match `text`, in file order.
    pub fn matching(&self, text: &str) -> Vec<usize> {
        self.set.matches(text).into_iter().collect()
    }
}

fn position_of(location: &serde_saphyr::Location) -> Option<Position> {
    Position::from_saphyr(location)
}

/// Checks one raw signature; pushes every problem found and returns it only when sound.
fn validate(
    raw: RawSignature,
    file: &SourceFile,
    knowledge: &Knowledge,
    problems: &mut Diagnostics,
) -> Option<Signature> {
    let before = problems.len();
    let id = raw.id.value.clone();
    let at = |location: &serde_saphyr::Location| position_of(location);
    let report = |problems: &mut Diagnostics, position: Option<Position>, message: String| {
        problems.push(Diagnostic::new(&file.name, message).at(position).item(&id));
    };

    if !is_slug(&id) {
        report(
            problems,
            at(&raw.id.referenced),
            "signature ids are lower-case words joined by `-` (e.g. postfix-relay-access-denied)"
                .to_string(),
        );
    }

    let regex = compile(&raw.pattern.value);
    let regex = match regex {
        Ok(regex) => {
            for name in regex.capture_names().flatten() {
                if !vocabulary::CAPTURES.contains(&name) {
                    report(
                        problems,
                        at(&raw.pattern.referenced),
                        format!(
                            "unknown capture name `{name}`; known: {}",
                            vocabulary::CAPTURES.join(", ")
                        ),
                    );
                }
            }
            if !regex.is_match(&raw.example.value) {
                report(
                    problems,
                    at(&raw.example.referenced),
                    "the pattern does not match this example".to_string(),
                );
            }
            Some(regex)
        }
        Err(message) => {
            report(problems, at(&raw.pattern.referenced), message);
            None
        }
    };

    let side = match &raw.side {
        None => None,
        Some(side) => match Side::parse(&side.value) {
            Some(parsed) => Some(parsed),
            None => {
                report(
                    problems,
                    at(&side.referenced),
                    format!(
                        "unknown side `{}`; use client, sender-mx, recipient-mx or null",
                        side.value
                    ),
                );
                None
            }
        },
    };

    if raw.causes.is_empty() {
        report(
            problems,
            at(&raw.id.referenced),
            "a signature needs at least one cause".to_string(),
        );
    }
    let mut causes = Vec::with_capacity(raw.causes.len());
    for cause in raw.causes {
        if knowledge.cause(&cause.cause.value).is_none() {
            report(
                problems,
                at(&cause.cause.referenced),
                format!(
                    "unknown cause id `{}`; the causes are listed in causes.yaml",
                    cause.cause.value
                ),
            );
        }
        let weight = cause.weight.value;
        if !(0.0..=1.0).contains(&weight) {
            report(
                problems,
                at(&cause.weight.referenced),
                format!("weight {weight} is outside 0..1"),
            );
        }
        if cause.why.trim().is_empty() {
            report(
                problems,
                at(&cause.cause.referenced),
                "`why` is empty: say in one plain sentence why this cause fits".to_string(),
            );
        }
        causes.push(CausePrior {
            cause: cause.cause.value,
            weight,
            why: cause.why.trim().to_string(),
        });
    }
    if raw.relay_denial == Some(false)
        && causes.first().map(|c| c.cause.as_str()) != Some(vocabulary::NOT_RELAY)
    {
        report(
            problems,
            at(&raw.id.referenced),
            "a look-alike (relay_denial: false) lists `not-relay` as its first cause".to_string(),
        );
    }

    let likely_relay_denial = raw
        .likely_relay_denial
        .as_ref()
        .is_some_and(|flag| flag.value);
    if let Some(flag) = &raw.likely_relay_denial
        && raw.relay_denial.is_some()
    {
        report(
            problems,
            at(&flag.referenced),
            "`likely_relay_denial` is only for wrappers (relay_denial: null)".to_string(),
        );
    }

    let mut facts = BTreeMap::new();
    for (key, value) in raw.facts {
        if let Err(message) = knowledge.facts.check(&key.value, &value.value) {
            report(problems, at(&key.referenced), message);
        }
        facts.insert(key.value, value.value);
    }

    if raw.source.trim().is_empty() {
        report(
            problems,
            at(&raw.id.referenced),
            "`source` is empty: say where this exact text was seen".to_string(),
        );
    }

    if problems.len() > before {
        return None;
    }
    Some(Signature {
        id: raw.id.value,
        regex: regex?,
        side,
        relay_denial: raw.relay_denial,
        likely_relay_denial,
        causes,
        facts,
        meaning: raw.meaning.map(|m| m.trim().to_string()),
        source: raw.source,
        example: raw.example.value,
        file: file.name.clone(),
    })
}

fn is_slug(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Compiles a pattern with bounded size; the error is one line naming what is wrong.
pub(crate) fn compile(pattern: &str) -> Result<Regex, String> {
    if pattern.chars().count() > MAX_PATTERN_CHARS {
        return Err(format!(
            "pattern is longer than {MAX_PATTERN_CHARS} characters"
        ));
    }
    let build = |pattern: &str| {
        regex::RegexBuilder::new(pattern)
            .size_limit(REGEX_SIZE_LIMIT)
            .build()
    };
    // Errors are reported against the pattern as written, so positions match the file.
    build(pattern).map_err(|error| format!("invalid pattern: {}", regex_error_summary(&error)))?;
    build(&ascii_word_boundaries(pattern))
        .map_err(|error| format!("invalid pattern: {}", regex_error_summary(&error)))
}

/// Rewrites `\b` and `\B` as ASCII word boundaries (`(?-u:\b)`).
///
/// A Unicode `\b` makes regex's fast engine give up on any non-ASCII text and fall back to a
/// far slower one: a pasted bounce with binary junk took a minute per MiB. Mail replies are
/// ASCII words, so the ASCII boundary is what a pattern author means.
fn ascii_word_boundaries(pattern: &str) -> String {
    use regex_syntax::ast::{self, AssertionKind, Ast, Visitor};

    struct Boundaries(Vec<(usize, usize, bool)>);
    impl Visitor for Boundaries {
        type Output = Vec<(usize, usize, bool)>;
        type Err = std::convert::Infallible;
        fn finish(self) -> Result<Self::Output, Self::Err> {
            Ok(self.0)
        }
        fn visit_pre(&mut self, node: &Ast) -> Result<(), Self::Err> {
            if let Ast::Assertion(assertion) = node {
                let negated = match assertion.kind {
                    AssertionKind::WordBoundary => false,
                    AssertionKind::NotWordBoundary => true,
                    _ => return Ok(()),
                };
                self.0.push((
                    assertion.span.start.offset,
                    assertion.span.end.offset,
                    negated,
                ));
            }
            Ok(())
        }
    }

    let Ok(parsed) = ast::parse::Parser::new().parse(pattern) else {
        return pattern.to_string();
    };
    let Ok(mut spans) = ast::visit(&parsed, Boundaries(Vec::new()));
    spans.sort_unstable();
    let mut out = String::with_capacity(pattern.len() + spans.len() * 6);
    let mut last = 0;
    for (start, end, negated) in spans {
        if start < last || end > pattern.len() {
            continue;
        }
        out.push_str(&pattern[last..start]);
        out.push_str(if negated { "(?-u:\\B)" } else { "(?-u:\\b)" });
        last = end;
    }
    out.push_str(&pattern[last..]);
    out
}

/// regex's message spans several lines (the pattern, a caret, the reason); keep the reason
/// and say where in the pattern it points.
fn regex_error_summary(error: &regex::Error) -> String {
    let text = error.to_string();
    let reason = text
        .lines()
        .find_map(|line| line.trim().strip_prefix("error: "))
        .unwrap_or_else(|| text.lines().last().unwrap_or("unknown error").trim());
    let caret = text
        .lines()
        .find(|line| line.trim_start().starts_with('^'))
        .map(|line| line.len() - line.trim_start().len());
    // The pattern line is indented by the same amount as the caret line.
    let indent = text
        .lines()
        .nth(1)
        .map(|line| line.len() - line.trim_start().len());
    match (caret, indent) {
        (Some(caret), Some(indent)) if caret >= indent => {
            format!("{reason} (at pattern character {})", caret - indent + 1)
        }
        _ => reason.to_string(),
    }
}

#[cfg(test)]
mod tests {

    fn knowledge() -> crate::knowledge::Knowledge {
        crate::knowledge::bundled().expect("bundled knowledge is valid")
    }

    use super::*;

    fn file(text: &str) -> SourceFile {
        SourceFile {
            name: "test:signatures/t.yaml".into(),
            relative: "signatures/t.yaml".into(),
            text: text.into(),
            layer: 0,
        }
    }

    const GOOD: &str = "\
signatures:
  - id: relay
    pattern: '(?i)relay access denied'
    side: sender-mx
    relay_denial: true
    causes:
      - cause: client-auth-off
        weight: 0.8
        why: The client did not log in.
    facts:
      server.software: postfix
    source: lab
    example: '554 5.7.1 <a@b>: Relay access denied'
";

    #[test]
    fn a_sound_file_loads() {
        let signatures = Signatures::load(&[file(GOOD)], &knowledge()).expect("loads");
        assert_eq!(signatures.len(), 1);
        assert_eq!(signatures.matching("x RELAY ACCESS DENIED"), vec![0]);
    }

    #[test]
    fn bad_regex_names_its_position() {
        let text = GOOD.replace("'(?i)relay access denied'", "'(relay'");
        let problems = Signatures::load(&[file(&text)], &knowledge()).expect_err("bad regex");
        let first = problems.iter().next().expect("one problem").to_string();
        assert!(
            first.starts_with(
                "test:signatures/t.yaml:3:14: [relay] invalid pattern: unclosed group"
            ),
            "{first}"
        );
    }

    #[test]
    fn overlay_replaces_equal_ids() {
        let mut overlay = file(
            &GOOD
                .replace("relay access denied'", "relaying denied'")
                .replace(
                    "example: '554 5.7.1 <a@b>: Relay access denied'",
                    "example: 550 Relaying denied",
                ),
        );
        overlay.layer = 1;
        overlay.name = "mine/signatures/t.yaml".into();
        let signatures = Signatures::load(&[file(GOOD), overlay], &knowledge()).expect("loads");
        assert_eq!(signatures.len(), 1);
        assert!(signatures.matching("Relay access denied").is_empty());
        assert_eq!(signatures.matching("Relaying denied"), vec![0]);
    }
}

#[cfg(test)]
mod boundary_tests {
    use super::*;

    #[test]
    fn word_boundaries_become_ascii() {
        assert_eq!(
            ascii_word_boundaries(r"\b554\B x"),
            r"(?-u:\b)554(?-u:\B) x"
        );
        assert_eq!(ascii_word_boundaries(r"[\b]\\b"), r"[\b]\\b");
        let regex = compile(r"(?i)\brelay\b").expect("compiles");
        assert!(regex.is_match("é relay é"));
        assert!(!regex.is_match("xrelay"));
    }
}
