//! Where knowledge comes from: the folder compiled into the binary, then overlay folders.
//!
//! This module only finds and reads files (UTF-8, size-capped) and turns YAML into raw serde
//! structs with positioned errors. Meaning is checked later, in [`super::validate`].

use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};
use serde::de::DeserializeOwned;

use crate::diagnostic::{Diagnostic, Diagnostics, Position};

static BUNDLED: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/knowledge");

/// A knowledge file is small prose and structure; anything larger is a mistake or an attack.
pub const MAX_FILE_BYTES: u64 = 512 * 1024;

/// One file's text and the name errors should use for it.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// `bundled:tree/start.yaml` for compiled-in files, the real path for files on disk.
    pub name: String,
    /// Path below the knowledge root, with `/` separators: decides the file's kind.
    pub relative: String,
    pub text: String,
    /// Overlay layer: 0 for bundled, higher layers win on equal ids.
    pub layer: usize,
}

/// The bundled knowledge, then the user's own folder (platform config dir), then `--knowledge`
/// folders, in that order of precedence (later layers win on equal ids).
pub fn load_sources(extra: &[PathBuf]) -> (Vec<SourceFile>, Diagnostics) {
    let mut problems = Diagnostics::default();
    let mut files = bundled_files();
    let mut layer = 1;
    if let Some(user_dir) = user_knowledge_dir().filter(|dir| dir.is_dir()) {
        files.extend(read_dir_files(&user_dir, layer, &mut problems));
        layer += 1;
    }
    for dir in extra {
        if dir.is_dir() {
            files.extend(read_dir_files(dir, layer, &mut problems));
        } else {
            problems.push(Diagnostic::new(
                dir.display().to_string(),
                "--knowledge: no such folder",
            ));
        }
        layer += 1;
    }
    (files, problems)
}

/// `<config dir>/relaydoc/knowledge`, e.g. `~/.config/relaydoc/knowledge` on Linux.
pub fn user_knowledge_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "relaydoc")
        .map(|dirs| dirs.config_dir().join("knowledge"))
}

/// Every file of the bundled knowledge, in a stable order.
pub fn bundled_files() -> Vec<SourceFile> {
    let mut files = Vec::new();
    collect_bundled(&BUNDLED, &mut files);
    files.sort_by(|a, b| a.relative.cmp(&b.relative));
    files
}

fn collect_bundled(dir: &Dir<'static>, files: &mut Vec<SourceFile>) {
    for file in dir.files() {
        let relative = file.path().to_string_lossy().replace('\\', "/");
        if !is_yaml(&relative) {
            continue;
        }
        // Bundled files are checked by the test suite; a bad one would fail `kb validate`.
        let text = String::from_utf8_lossy(file.contents()).into_owned();
        files.push(SourceFile {
            name: format!("bundled:{relative}"),
            relative,
            text,
            layer: 0,
        });
    }
    for sub in dir.dirs() {
        collect_bundled(sub, files);
    }
}

fn is_yaml(path: &str) -> bool {
    path.ends_with(".yaml") || path.ends_with(".yml")
}

/// Reads every YAML file below `root`; problems (unreadable, too large, not UTF-8) are reported
/// per file and the rest still load.
pub fn read_dir_files(root: &Path, layer: usize, problems: &mut Diagnostics) -> Vec<SourceFile> {
    let mut paths = Vec::new();
    if let Err(error) = walk(root, &mut paths) {
        problems.push(Diagnostic::new(
            root.display().to_string(),
            format!("cannot read knowledge folder: {error}"),
        ));
        return Vec::new();
    }
    paths.sort();
    let mut files = Vec::new();
    for path in paths {
        let name = crate::files::shown(&path);
        let relative = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        match read_capped(&path) {
            Ok(text) => files.push(SourceFile {
                name,
                relative,
                text,
                layer,
            }),
            Err(message) => problems.push(Diagnostic::new(name, message)),
        }
    }
    files
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            walk(&path, out)?;
        } else if is_yaml(&path.to_string_lossy()) {
            out.push(path);
        }
    }
    Ok(())
}

fn read_capped(path: &Path) -> Result<String, String> {
    // Overlay files may be symbolic links (an organisation's shared folder); the reader still
    // refuses devices and FIFOs behind them, and caps what it reads.
    let bytes = crate::files::read(path, crate::files::Rules::regular(MAX_FILE_BYTES)).map_err(
        |e| match e.problem {
            crate::files::Problem::TooLarge(_) => format!(
                "file is larger than {}; knowledge files may be at most {MAX_FILE_BYTES} bytes",
                crate::files::size(MAX_FILE_BYTES)
            ),
            _ => e.reason(),
        },
    )?;
    String::from_utf8(bytes).map_err(|e| {
        let (line, column) = line_column(&e.as_bytes()[..e.utf8_error().valid_up_to()]);
        format!("not valid UTF-8 at line {line}, column {column}; save the file as UTF-8")
    })
}

fn line_column(valid_prefix: &[u8]) -> (usize, usize) {
    let text = String::from_utf8_lossy(valid_prefix);
    let line = text.matches('\n').count() + 1;
    let column = text.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Parses one YAML document into raw structs; errors carry the file, line and column.
pub fn parse_yaml<T: DeserializeOwned>(file: &SourceFile) -> Result<T, Diagnostic> {
    serde_saphyr::from_str_with_options::<T>(&file.text, yaml_options()).map_err(|error| {
        let position = error.location().as_ref().and_then(Position::from_saphyr);
        Diagnostic::new(&file.name, yaml_message(&error.to_string())).at(position)
    })
}

/// YAML 1.2 booleans only: `on`, `off`, `yes` and `no` are fact values here, not booleans.
pub fn yaml_options() -> serde_saphyr::Options {
    let mut options = serde_saphyr::Options::default();
    options.strict_booleans = true;
    options.with_snippet = false;
    options
}

/// A YAML parser's message as relaydoc shows it: the first line (serde-saphyr appends a source
/// snippet; the position already says where), with what the file says quoted only where it is
/// a short name (a field or variant, for "did you mean"). Anything else in quotes (a value, or
/// a whole line of a file that is not YAML at all, such as a secret file linked in by
/// mistake) becomes "…": the message says what is wrong and where, never the content.
pub fn yaml_message(message: &str) -> String {
    let line = message.lines().next().unwrap_or(message).trim();
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(open) = rest.find(['`', '"']) {
        let quote = &rest[open..open + 1];
        let Some(close) = rest[open + 1..].find(quote) else {
            break;
        };
        let inner = &rest[open + 1..open + 1 + close];
        out.push_str(&rest[..open]);
        out.push_str(quote);
        let name_like = quote == "`"
            && inner.len() <= 40
            && inner
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        out.push_str(if name_like { inner } else { "…" });
        out.push_str(quote);
        rest = &rest[open + 2 + close..];
    }
    out.push_str(rest);
    crate::sanitize::excerpt(&out, 300)
}
