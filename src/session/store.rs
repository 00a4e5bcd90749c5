//! Session files on disk: one JSON file a session, written atomically.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::{FORMAT, Session};

/// A session file larger than this is not one of ours (a long call is a few hundred KiB).
const MAX_SESSION_BYTES: u64 = 16 * 1024 * 1024;

const EXTENSION: &str = "json";

/// Temporary files of a write in progress: `.relaydoc-<id>.<random>.tmp`. The store removes
/// stale temporaries of this exact shape only, so other programs' files in a shared
/// `sessions.dir` are never touched.
const TEMP_PREFIX: &str = ".relaydoc-";
const TEMP_SUFFIX: &str = ".tmp";
/// tempfile's random part.
const TEMP_RANDOM_CHARS: usize = 6;

#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    // Ids as typed are quoted as short excerpts: a 400 KB argument is not echoed whole.
    #[error("no saved session `{}` (see `relaydoc sessions list`)", shown_id(.0))]
    NotFound(String),
    #[error("`{}` matches several sessions: {}; give more of the id", shown_id(.given), .matches.join(", "))]
    Ambiguous { given: String, matches: Vec<String> },
    #[error("{}: {message}", crate::files::shown(.path))]
    Unreadable { path: PathBuf, message: String },
    #[error("`{}` is not a session id (ids look like 20261122-143005-3fa1)", shown_id(.0))]
    BadId(String),
    #[error("{}: {source}", crate::files::shown(.path))]
    Io { path: PathBuf, source: io::Error },
    /// [`Store::create`] found a session with that id already saved.
    #[error("a session `{0}` is already saved")]
    Exists(String),
    /// The config names no sessions folder, and there is no home directory for the default.
    #[error(transparent)]
    NoFolder(#[from] crate::config::ConfigError),
    /// The sessions folder cannot be made or opened.
    #[error("cannot open the sessions folder: {0}")]
    CannotOpen(Box<StoreError>),
}

/// Every readable session, and a problem for each file that is not.
#[derive(Debug, Default)]
pub struct Listing {
    /// Oldest first.
    pub sessions: Vec<Session>,
    pub problems: Vec<StoreError>,
}

impl Store {
    /// The sessions folder the config names (`sessions.dir`), or the platform data dir
    /// (`~/.local/share/relaydoc/sessions` on Linux).
    pub fn configured(config: &crate::config::Config) -> Result<Self, StoreError> {
        let dir = config.sessions_dir()?;
        Store::open(dir).map_err(|error| StoreError::CannotOpen(Box::new(error)))
    }

    /// The store in `dir`, created (private to the user) if missing.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, StoreError> {
        let dir = dir.into();
        create_private_dir(&dir).map_err(|source| StoreError::Io {
            path: dir.clone(),
            source,
        })?;
        Ok(Self { dir })
    }

    /// A write killed between its temporary file and the rename leaves the temporary behind
    /// (the session itself is intact). One that old is no write in progress: remove it. Only
    /// files named as ours, and only when a new session is created, never when reading.
    fn remove_stale_temporaries(&self) {
        const STALE: std::time::Duration = std::time::Duration::from_secs(600);
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if !is_our_temporary(name) {
                continue;
            }
            // A symbolic link or folder so named is not one of ours either.
            if !entry.file_type().is_ok_and(|kind| kind.is_file()) {
                continue;
            }
            let age = entry
                .metadata()
                .and_then(|meta| meta.modified())
                .ok()
                .and_then(|modified| modified.elapsed().ok());
            if age.is_some_and(|age| age > STALE) {
                let _ = fs::remove_file(entry.path());
            }
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn path_of(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.{EXTENSION}"))
    }

    /// Writes the session so that a crash at any moment leaves either the previous complete
    /// file or the new complete file: temporary file, fsync, rename, fsync of the folder.
    pub fn save(&self, session: &Session) -> Result<(), StoreError> {
        self.write(session, true)
    }

    /// Saves a new session, never over another one: two runs that drew the same id (started
    /// in the same second) get [`StoreError::Exists`] instead of overwriting each other.
    pub fn create(&self, session: &Session) -> Result<(), StoreError> {
        self.remove_stale_temporaries();
        self.write(session, false)
    }

    fn write(&self, session: &Session, replace: bool) -> Result<(), StoreError> {
        if !valid_id(&session.id) {
            return Err(StoreError::BadId(session.id.clone()));
        }
        let path = self.path_of(&session.id);
        let io_error = |source| StoreError::Io {
            path: path.clone(),
            source,
        };
        let json = serde_json::to_vec_pretty(session).map_err(|error| io_error(error.into()))?;
        // Created 0600 by tempfile: sessions hold customers' addresses.
        let mut temporary = tempfile::Builder::new()
            .prefix(&format!("{TEMP_PREFIX}{}.", session.id))
            .suffix(TEMP_SUFFIX)
            .rand_bytes(TEMP_RANDOM_CHARS)
            .tempfile_in(&self.dir)
            .map_err(io_error)?;
        temporary.write_all(&json).map_err(io_error)?;
        temporary.write_all(b"\n").map_err(io_error)?;
        temporary.as_file().sync_all().map_err(io_error)?;
        if replace {
            temporary
                .persist(&path)
                .map_err(|error| io_error(error.error))?;
        } else {
            match temporary.persist_noclobber(&path) {
                Ok(_) => {}
                Err(error) if error.error.kind() == io::ErrorKind::AlreadyExists => {
                    return Err(StoreError::Exists(session.id.clone()));
                }
                Err(error) => return Err(io_error(error.error)),
            }
        }
        sync_dir(&self.dir).map_err(io_error)?;
        Ok(())
    }

    /// The session with this id, or the one session whose id starts with it; `last` is the
    /// most recently updated one.
    pub fn load(&self, id: &str) -> Result<Session, StoreError> {
        let id = self.resolve(id)?;
        read_session(&self.path_of(&id))
    }

    /// The full id for an id, a unique prefix of one, or `last`.
    pub fn resolve(&self, given: &str) -> Result<String, StoreError> {
        if given == "last" {
            let listing = self.list()?;
            return listing
                .sessions
                .iter()
                .max_by_key(|session| session.updated)
                .map(|session| session.id.clone())
                .ok_or_else(|| StoreError::NotFound(given.to_string()));
        }
        if !valid_id(given) {
            return Err(StoreError::BadId(given.to_string()));
        }
        if self.path_of(given).is_file() {
            return Ok(given.to_string());
        }
        let mut matches: Vec<String> = self
            .ids()?
            .into_iter()
            .filter(|id| id.starts_with(given))
            .collect();
        match matches.len() {
            0 => Err(StoreError::NotFound(given.to_string())),
            1 => Ok(matches.remove(0)),
            _ => {
                matches.sort();
                Err(StoreError::Ambiguous {
                    given: given.to_string(),
                    matches,
                })
            }
        }
    }

    /// Every session in the folder; files that cannot be read are reported, not fatal.
    pub fn list(&self) -> Result<Listing, StoreError> {
        let mut listing = Listing::default();
        for id in self.ids()? {
            match read_session(&self.path_of(&id)) {
                Ok(session) => listing.sessions.push(session),
                Err(problem) => listing.problems.push(problem),
            }
        }
        listing
            .sessions
            .sort_by(|a, b| a.started.cmp(&b.started).then_with(|| a.id.cmp(&b.id)));
        Ok(listing)
    }

    pub fn delete(&self, given: &str) -> Result<String, StoreError> {
        let id = self.resolve(given)?;
        let path = self.path_of(&id);
        fs::remove_file(&path).map_err(|source| StoreError::Io {
            path: path.clone(),
            source,
        })?;
        let _ = sync_dir(&self.dir);
        Ok(id)
    }

    /// Ids of the session files present (temporary files of a write in progress excluded).
    fn ids(&self) -> Result<Vec<String>, StoreError> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(StoreError::Io {
                    path: self.dir.clone(),
                    source,
                });
            }
        };
        let mut ids = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().and_then(|e| e.to_str()) != Some(EXTENSION) {
                continue;
            }
            if let Some(stem) = path.file_stem().and_then(|s| s.to_str())
                && !stem.starts_with('.')
            {
                ids.push(stem.to_string());
            }
        }
        ids.sort();
        Ok(ids)
    }
}

fn read_session(path: &Path) -> Result<Session, StoreError> {
    let unreadable = |message: String| StoreError::Unreadable {
        path: path.to_path_buf(),
        message,
    };
    // The store reads only files it wrote: regular, not a link, bounded whatever the size
    // says (a link to /dev/zero reports 0 bytes).
    let bytes =
        crate::files::read(path, crate::files::Rules::own(MAX_SESSION_BYTES)).map_err(|error| {
            match error.problem {
                crate::files::Problem::TooLarge(_) => {
                    unreadable(format!("{}: too large for a session file", error.reason()))
                }
                _ => unreadable(error.reason()),
            }
        })?;
    // Check the version first, so a newer file says so instead of failing on a new field.
    #[derive(serde::Deserialize)]
    struct Version {
        format: Option<u32>,
    }
    match serde_json::from_slice::<Version>(&bytes) {
        Ok(Version {
            format: Some(format),
        }) if format > FORMAT => {
            return Err(unreadable(format!(
                "written by a newer relaydoc (session format {format}; this one reads {FORMAT})"
            )));
        }
        Ok(_) => {}
        Err(error) => return Err(unreadable(format!("not a session file: {error}"))),
    }
    let session: Session = serde_json::from_slice(&bytes)
        .map_err(|error| unreadable(format!("not a session file: {error}")))?;
    let expected = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    // A name no session is saved under (hand-made, or built to carry escape sequences into
    // `sessions list`) is reported, not shown.
    if !valid_id(expected) {
        return Err(unreadable("the file name is not a session id".to_string()));
    }
    if session.id != expected {
        return Err(unreadable(format!(
            "the file says it is session `{}`",
            crate::sanitize::for_terminal(&session.id)
        )));
    }
    Ok(session)
}

fn shown_id(id: &str) -> String {
    crate::sanitize::excerpt(id, 60)
}

/// `.relaydoc-<valid id>.<6 letters or digits>.tmp`, as [`Store::write`] names them.
fn is_our_temporary(name: &str) -> bool {
    let Some(middle) = name
        .strip_prefix(TEMP_PREFIX)
        .and_then(|rest| rest.strip_suffix(TEMP_SUFFIX))
    else {
        return false;
    };
    let Some((id, random)) = middle.rsplit_once('.') else {
        return false;
    };
    valid_id(id)
        && random.len() == TEMP_RANDOM_CHARS
        && random.chars().all(|c| c.is_ascii_alphanumeric())
}

/// Ids are file names: letters, digits, `-` and `_` only, so none can reach outside the
/// folder or carry control characters.
fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Makes a rename in `dir` durable (on Unix a folder is synced like a file).
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        fs::File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}
