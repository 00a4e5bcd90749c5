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
        let name = path.display().to_string();
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
    let size = std::fs::metadata(path)
        .map_err(|e| format!("cannot read: {e}"))?
        .len();
    if size > MAX_FILE_BYTES {
        return Err(format!(
            "file is {size} bytes; knowledge files may be at most {MAX_FILE_BYTES} bytes"
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
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
        Diagnostic::new(&file.name, first_line_of(&error.to_string())).at(position)
    })
}

/// YAML 1.2 booleans only: `on`, `off`, `yes` and `no` are fact values here, not booleans.
pub fn yaml_options() -> serde_saphyr::Options {
    let mut options = serde_saphyr::Options::default();
    options.strict_booleans = true;
    options.with_snippet = false;
    options
}

/// serde-saphyr appends a source snippet to its message; the position already says where.
fn first_line_of(message: &str) -> String {
    message.lines().next().unwrap_or(message).trim().to_string()
}
