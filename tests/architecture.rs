//! The directions between relaydoc's parts, as ARCHITECTURE.md draws them, held against the
//! code: every `crate::…` path in `src/` must point the way the table below allows, and the
//! table itself must have no circle. A new module fails here until it is given its place (in
//! this table and in ARCHITECTURE.md).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each top-level module of `src/` and the modules it may use. Lower floors first.
const ALLOWED: &[(&str, &[&str])] = &[
    // Floor 0: words and small tools everything may use; they use nothing of ours but each other.
    ("vocab", &[]),
    ("sanitize", &[]),
    ("exit", &[]),
    ("restore", &[]),
    ("runtime", &[]),
    ("diagnostic", &["sanitize"]),
    ("files", &["sanitize", "diagnostic"]),
    // Floor 1: libraries that know no wizard, no screen, no session.
    ("checks", &["vocab", "sanitize", "files", "diagnostic"]),
    ("postfix", &["vocab", "sanitize", "files", "diagnostic"]),
    // Exim's reader and lint share Postfix lint's findings and network patterns.
    (
        "exim",
        &["postfix", "vocab", "sanitize", "files", "diagnostic"],
    ),
    ("knowledge", &["vocab", "sanitize", "files", "diagnostic"]),
    (
        "discovery",
        &[
            "vocab",
            "sanitize",
            "files",
            "diagnostic",
            "checks",
            "runtime",
        ],
    ),
    // Floor 2: reading texts and settings with the knowledge.
    (
        "explain",
        &["knowledge", "vocab", "sanitize", "files", "diagnostic"],
    ),
    (
        "logs",
        &[
            "explain",
            "postfix",
            "knowledge",
            "vocab",
            "sanitize",
            "files",
            "diagnostic",
        ],
    ),
    (
        "config",
        &[
            "checks",
            "knowledge",
            "vocab",
            "sanitize",
            "files",
            "diagnostic",
        ],
    ),
    ("password", &["config", "vocab", "sanitize"]),
    (
        "mailer",
        &[
            "config", "password", "checks", "runtime", "vocab", "sanitize",
        ],
    ),
    // Floor 3: the pure reasoning.
    ("diagnosis", &["explain", "knowledge", "vocab", "sanitize"]),
    ("engine", &["diagnosis", "knowledge", "vocab", "sanitize"]),
    (
        "prefill",
        &["engine", "knowledge", "diagnostic", "files", "sanitize"],
    ),
    (
        "present",
        &[
            "engine",
            "diagnosis",
            "explain",
            "knowledge",
            "vocab",
            "sanitize",
        ],
    ),
    ("snippet", &["present", "knowledge", "vocab", "sanitize"]),
    // Floor 4: the driver side of the wizard, between the engine and the screens.
    (
        "wizard",
        &[
            "checks",
            "discovery",
            "engine",
            "diagnosis",
            "explain",
            "knowledge",
            "present",
            "postfix",
            "logs",
            "files",
            "runtime",
            "vocab",
            "sanitize",
        ],
    ),
    // Floor 5: what is kept of a run, and what is made of the knowledge for people.
    (
        "session",
        &[
            "wizard",
            "engine",
            "present",
            "knowledge",
            "config",
            "mailer",
            "password",
            "files",
            "vocab",
            "sanitize",
        ],
    ),
    (
        "website",
        &[
            "present",
            "engine",
            "explain",
            "postfix",
            "knowledge",
            "vocab",
            "sanitize",
            "files",
            "diagnostic",
        ],
    ),
    // Floor 6: the screens.
    (
        "plain",
        &[
            "session",
            "wizard",
            "engine",
            "present",
            "knowledge",
            "restore",
            "vocab",
            "sanitize",
        ],
    ),
    (
        "tui",
        &[
            "session",
            "wizard",
            "checks",
            "engine",
            "present",
            "knowledge",
            "restore",
            "vocab",
            "sanitize",
        ],
    ),
    // Floor 7: the command line, which puts it all together; main only calls it.
    (
        "cli",
        &[
            "snippet",
            "tui",
            "plain",
            "website",
            "session",
            "wizard",
            "prefill",
            "present",
            "engine",
            "diagnosis",
            "mailer",
            "password",
            "config",
            "logs",
            "explain",
            "discovery",
            "knowledge",
            "postfix",
            "exim",
            "checks",
            "files",
            "diagnostic",
            "runtime",
            "exit",
            "vocab",
            "sanitize",
        ],
    ),
    ("main", &["cli"]),
    ("lib", &[]),
];

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to: `src/checks/dns/mx.rs` → `checks`.
fn module_of(path: &Path) -> String {
    let relative = path.strip_prefix(src_dir()).expect("a file under src/");
    let first = relative
        .components()
        .next()
        .expect("a path")
        .as_os_str()
        .to_string_lossy()
        .into_owned();
    first.trim_end_matches(".rs").to_owned()
}

/// Every module named by a `crate::NAME` path in code (comments left out), with the line
/// where it is first used. Groups are read whole: `crate::{a::X, b::{Y, Z}}` names `a`, `b`.
fn uses(text: &str) -> BTreeMap<String, usize> {
    // Code only, with each character's line number.
    let mut code = String::new();
    let mut line_of = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let kept = line.split("//").next().unwrap_or_default();
        code.push_str(kept);
        code.push('\n');
        line_of.extend(std::iter::repeat_n(number + 1, kept.len() + 1));
    }
    let mut found = BTreeMap::new();
    let mut from = 0;
    while let Some(at) = code[from..].find("crate::") {
        let start = from + at;
        from = start + "crate::".len();
        // `other_crate::` is not ours.
        if code[..start]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
        {
            continue;
        }
        let rest = &code[from..];
        let names: Vec<String> = if let Some(group) = rest.strip_prefix('{') {
            // Top-level items of the group, up to its closing brace.
            let mut depth = 0;
            let mut items = vec![String::new()];
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => items.push(String::new()),
                    _ => {}
                }
                if let Some(item) = items.last_mut()
                    && c != ','
                {
                    item.push(c);
                }
            }
            items
                .iter()
                .map(|item| {
                    item.trim()
                        .split("::")
                        .next()
                        .unwrap_or_default()
                        .to_owned()
                })
                .filter(|name| !name.is_empty())
                .collect()
        } else {
            vec![
                rest.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
            ]
        };
        for name in names {
            found.entry(name).or_insert(line_of[start]);
        }
    }
    found
}

#[test]
fn every_import_points_the_allowed_way() {
    let allowed: BTreeMap<&str, BTreeSet<&str>> = ALLOWED
        .iter()
        .map(|(module, may)| (*module, may.iter().copied().collect()))
        .collect();
    let mut files = Vec::new();
    rust_files(&src_dir(), &mut files);
    files.sort();
    let mut wrong = Vec::new();
    for file in &files {
        let module = module_of(file);
        let Some(may) = allowed.get(module.as_str()) else {
            wrong.push(format!(
                "{}: the module `{module}` has no place in tests/architecture.rs (and \
                 ARCHITECTURE.md): give it one",
                file.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(file).expect("a readable source file");
        for (used, line) in uses(&text) {
            if used == module || !allowed.contains_key(used.as_str()) {
                // Itself, or not a module (`crate::Foo` re-exports do not exist here).
                continue;
            }
            if !may.contains(used.as_str()) {
                wrong.push(format!(
                    "{}:{line}: `{module}` uses `{used}`, against the directions in \
                     ARCHITECTURE.md",
                    file.display()
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "\n{}\n", wrong.join("\n"));
}

#[test]
fn the_allowed_directions_have_no_circle() {
    let graph: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    // Depth-first search with colours: grey on the current path, black when done.
    fn visit<'a>(
        node: &'a str,
        graph: &BTreeMap<&'a str, &'a [&'a str]>,
        grey: &mut Vec<&'a str>,
        black: &mut BTreeSet<&'a str>,
    ) -> Result<(), String> {
        if black.contains(node) {
            return Ok(());
        }
        if let Some(at) = grey.iter().position(|n| *n == node) {
            return Err(format!("{} → {node}", grey[at..].join(" → ")));
        }
        grey.push(node);
        for next in graph.get(node).copied().unwrap_or_default() {
            visit(next, graph, grey, black)?;
        }
        grey.pop();
        black.insert(node);
        Ok(())
    }
    let mut black = BTreeSet::new();
    for node in graph.keys() {
        visit(node, &graph, &mut Vec::new(), &mut black).unwrap_or_else(|circle| {
            panic!("the table allows a circle: {circle}");
        });
    }
}

#[test]
fn the_checker_sees_a_wrong_import() {
    // The parser is what the other tests stand on: it must find paths in every form.
    let found = uses(
        "use crate::engine::Facts;\n\
         use crate::{tui::Model, wizard};\n\
         use crate::{\n    plain::{A, B},\n    present,\n};\n\
         let x = crate::session::Store::open(dir); // crate::cli in a comment\n\
         let y = other_crate::thing;\n",
    );
    let names: Vec<&str> = found.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        ["engine", "plain", "present", "session", "tui", "wizard"]
    );
}

#[test]
fn architecture_md_names_every_module() {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("ARCHITECTURE.md"))
            .expect("ARCHITECTURE.md at the top level");
    let mut files = Vec::new();
    rust_files(&src_dir(), &mut files);
    let modules: BTreeSet<String> = files
        .iter()
        .map(|file| module_of(file))
        .filter(|module| module != "lib" && module != "main")
        .collect();
    let missing: Vec<&String> = modules
        .iter()
        .filter(|module| !doc.contains(&format!("`{module}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md does not name: {missing:?}"
    );
}

/// The TUI's screens (`src/tui/screens/NAME.rs` or `NAME/`): each knows itself and the shared
/// helpers, never another screen nor the model or the view that put them together.
fn screen_names() -> BTreeSet<String> {
    let dir = src_dir().join("tui").join("screens");
    std::fs::read_dir(&dir)
        .expect("src/tui/screens is readable")
        .map(|entry| entry.expect("a directory entry").path())
        .filter_map(|path| {
            let name = path.file_stem()?.to_string_lossy().into_owned();
            (name != "mod").then_some(name)
        })
        .collect()
}

/// Every path a `use` or an expression names through `crate::` or `super::`, with braces
/// expanded (`super::{a, b::{c}}` gives `super::a`, `super::b::c`). Comments left out.
fn paths(text: &str) -> Vec<String> {
    fn expand(path: &str) -> Vec<String> {
        let Some(open) = path.find('{') else {
            return vec![path.trim().to_owned()];
        };
        let close = path.rfind('}').unwrap_or(path.len());
        let (prefix, inner) = (&path[..open], &path[open + 1..close]);
        let mut items = vec![String::new()];
        let mut depth = 0;
        for c in inner.chars() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    items.push(String::new());
                    continue;
                }
                _ => {}
            }
            if let Some(item) = items.last_mut() {
                item.push(c);
            }
        }
        items
            .iter()
            .filter(|item| !item.trim().is_empty())
            .flat_map(|item| expand(&format!("{prefix}{}", item.trim())))
            .collect()
    }
    let code: String = text
        .lines()
        .map(|line| line.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    let mut found = Vec::new();
    for start in ["crate::", "super::"] {
        let mut from = 0;
        while let Some(at) = code[from..].find(start) {
            let begin = from + at;
            from = begin + start.len();
            if code[..begin]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':')
            {
                continue;
            }
            // The path runs on through names, `::`, and brace groups.
            let mut depth = 0;
            let mut end = begin;
            for (offset, c) in code[begin..].char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    c if depth > 0 || c.is_alphanumeric() || c == '_' || c == ':' => {}
                    _ => break,
                }
                end = begin + offset + c.len_utf8();
            }
            found.extend(expand(&code[begin..end]));
        }
    }
    found
}

/// What a file in screen `screen`, at module path `module` (`["tui", "screens", "home"]`),
/// imports against the rule: another screen, the model or the view.
fn screen_import_problems(
    screen: &str,
    module: &[&str],
    text: &str,
    screens: &BTreeSet<String>,
) -> Vec<String> {
    let mut wrong = Vec::new();
    for path in paths(text) {
        let mut segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
        // Resolved from the crate root: `crate::` drops, each `super::` climbs one module.
        let mut resolved: Vec<&str> = if segments.first() == Some(&"crate") {
            segments.remove(0);
            Vec::new()
        } else {
            module.to_vec()
        };
        for segment in segments {
            if segment == "super" {
                resolved.pop();
            } else {
                resolved.push(segment);
            }
        }
        let other_screen = matches!(resolved.as_slice(), ["tui", "screens", name, ..]
            if *name != screen && screens.contains(*name));
        let the_model = matches!(resolved.as_slice(), ["tui", "model" | "view", ..]);
        if other_screen || the_model {
            wrong.push(path);
        }
    }
    wrong
}

#[test]
fn tui_screens_import_no_other_screen_nor_the_model() {
    let screens = screen_names();
    assert!(screens.contains("home") && screens.contains("wizard"));
    let mut files = Vec::new();
    rust_files(&src_dir().join("tui").join("screens"), &mut files);
    let mut wrong = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(src_dir()).expect("a file under src/");
        let mut module: Vec<String> = relative
            .with_extension("")
            .components()
            .map(|part| part.as_os_str().to_string_lossy().into_owned())
            .collect();
        if module.last().is_some_and(|last| last == "mod") {
            module.pop();
        }
        // `screens/mod.rs` itself is the screens' shared ground, not a screen.
        let Some(screen) = module.get(2).cloned() else {
            continue;
        };
        let module: Vec<&str> = module.iter().map(String::as_str).collect();
        let text = std::fs::read_to_string(file).expect("a readable source file");
        for path in screen_import_problems(&screen, &module, &text, &screens) {
            wrong.push(format!(
                "{}: the screen `{screen}` uses `{path}`: a screen imports no other screen, \
                 nor the model or the view (ARCHITECTURE.md)",
                file.display()
            ));
        }
    }
    assert!(wrong.is_empty(), "\n{}\n", wrong.join("\n"));
}

#[test]
fn the_screen_checker_sees_a_wrong_import() {
    let screens: BTreeSet<String> = ["home", "wizard", "browse"].map(String::from).into();
    let text = "use super::{Ctx, Go, browse::Browse};\n\
                use super::super::model::Model;\n\
                use crate::tui::screens::{wizard::{self, Session}, home};\n\
                use crate::tui::layout::edit_line; // crate::tui::view in a comment\n\
                let x = crate::tui::view::view;\n";
    let found = screen_import_problems("home", &["tui", "screens", "home"], text, &screens);
    assert_eq!(
        found,
        [
            "crate::tui::screens::wizard::self",
            "crate::tui::screens::wizard::Session",
            "crate::tui::view::view",
            "super::browse::Browse",
            "super::super::model::Model",
        ]
    );
    // Inside a screen's own folder, `super` is that screen.
    let own = "use super::{Session, Stage};\nuse crate::tui::screens::{Ctx, wizard::Stage};\n";
    let module = ["tui", "screens", "wizard", "question"];
    assert!(screen_import_problems("wizard", &module, own, &screens).is_empty());
}
