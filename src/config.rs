//! The user's configuration file: where sessions are kept, and the helpdesk's own outgoing
//! mail server (used to e-mail fix steps to a caller).
//!
//! `config.yaml` in the platform config dir (`~/.config/relaydoc/` on Linux), or the file named
//! by `--config` / `RELAYDOC_CONFIG`. A missing file means the defaults. The YAML is read into a
//! generic tree that keeps the position of every key and value, then checked key by key, so
//! every problem (unknown key, wrong type, bad value) is reported at once as
//! `FILE:LINE:COL: message` naming the key (serde's own messages name neither).
//!
//! Passwords never go in this file: a `password:` key is refused with where it belongs instead
//! (an environment variable, or the OS keyring; see the `password` module).

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use crate::diagnostic::{Diagnostic, Position};
use crate::vocab::Security;

/// The file name inside the platform config dir.
pub const FILE_NAME: &str = "config.yaml";

/// The environment variable that names another config file (like `--config`).
pub const CONFIG_ENV: &str = "RELAYDOC_CONFIG";

/// The environment variable that holds the SMTP password unless `password_env` names another.
pub const DEFAULT_PASSWORD_ENV: &str = "RELAYDOC_SMTP_PASSWORD";

/// A config file is a few lines; anything larger is a mistake (a log file given by accident).
pub const MAX_FILE_BYTES: u64 = 64 * 1024;

/// Seconds each step of talking to the helpdesk's SMTP server may take, unless set.
pub const DEFAULT_SMTP_TIMEOUT_SECS: u64 = 30;

/// The longest `timeout:` allowed: a hung server should not hold an agent for longer.
const MAX_TIMEOUT_SECS: f64 = 600.0;

/// A commented example of every key; `relaydoc config --help` and the README show it.
pub const SAMPLE: &str = "\
# relaydoc's config: ~/.config/relaydoc/config.yaml on Linux (`relaydoc config path`)
sessions:
  save: true            # record every wizard run (default true)
  dir: /some/path       # optional; default: the platform data dir + /sessions
helpdesk:
  agent: Sam            # optional: the agent's name on ticket summaries
  smtp:                 # the helpdesk's own outgoing server, to e-mail steps to callers
    host: smtp.example.com
    port: 587                 # default by security: 587 starttls, 465 tls, 25 none
    security: starttls        # starttls | tls | none (default: tls on port 465)
    username: helpdesk@example.com   # optional (no login without it)
    from: \"Example Helpdesk <helpdesk@example.com>\"
    password_env: RELAYDOC_SMTP_PASSWORD   # optional: the env var with the password
    ca_file: /etc/ssl/private-ca.pem       # optional: trust this CA too
    timeout: 20               # optional: seconds per step (default 30)
    # allow_plaintext_auth: false   # optional: log in even with security: none
    # source_address: 192.0.2.10    # optional: connect from this local address

# The SMTP password never goes in this file. Put it in the environment variable named by
# password_env, or store it in the OS keyring with `relaydoc config set-password`.
";

/// Everything the config file can set, with the defaults filled in.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Config {
    pub sessions: SessionsConfig,
    pub helpdesk: HelpdeskConfig,
}

/// `sessions:` — recording wizard runs.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionsConfig {
    /// Record every wizard run (default true).
    pub save: bool,
    /// Where; `None` means the platform data dir (see [`Config::sessions_dir`]).
    pub dir: Option<PathBuf>,
}

impl Default for SessionsConfig {
    fn default() -> Self {
        Self {
            save: true,
            dir: None,
        }
    }
}

/// `helpdesk:` — agent mode.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct HelpdeskConfig {
    /// The agent's name on ticket summaries.
    pub agent: Option<String>,
    /// The helpdesk's own outgoing server; `None` when not configured.
    pub smtp: Option<SmtpConfig>,
}

/// `helpdesk.smtp:` — the server relaydoc sends the caller's fix steps through.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SmtpConfig {
    /// Host name or IP address (IPv6 without brackets).
    pub host: String,
    pub port: u16,
    pub security: Security,
    /// Log in (SMTP AUTH) as this user; no login without it.
    pub username: Option<String>,
    /// The From header and envelope sender, e.g. `Example Helpdesk <helpdesk@example.com>`.
    pub from: String,
    /// The environment variable that holds the password.
    pub password_env: String,
    /// A CA certificate (PEM) to trust besides the system's roots.
    pub ca_file: Option<PathBuf>,
    /// How long each step (connect, TLS, each command) may take; shown in seconds, as written.
    #[serde(serialize_with = "as_seconds")]
    pub timeout: Duration,
    /// Log in even when `security: none` (the password then travels readable).
    pub allow_plaintext_auth: bool,
    /// Connect from this local address (machines with several networks).
    pub source_address: Option<IpAddr>,
}

impl SmtpConfig {
    /// A configuration with every optional key at its default: STARTTLS on 587, no login.
    pub fn new(host: impl Into<String>, from: impl Into<String>) -> Self {
        Self {
            host: host.into(),
            port: default_port(Security::Starttls),
            security: Security::Starttls,
            username: None,
            from: from.into(),
            password_env: DEFAULT_PASSWORD_ENV.to_string(),
            ca_file: None,
            timeout: Duration::from_secs(DEFAULT_SMTP_TIMEOUT_SECS),
            allow_plaintext_auth: false,
            source_address: None,
        }
    }

    /// `host:port` for messages, with brackets around an IPv6 address.
    pub fn server(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// The usual port for each kind of security.
pub fn default_port(security: Security) -> u16 {
    match security {
        Security::Starttls => 587,
        Security::Tls => 465,
        Security::None => 25,
    }
}

/// Why a path relaydoc needs cannot be worked out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "cannot find the platform folders (is HOME set?); set sessions.dir in the config file, \
         or set HOME"
    )]
    NoHome,
}

impl Config {
    /// Where sessions are saved: `sessions.dir`, else `<platform data dir>/sessions`
    /// (`~/.local/share/relaydoc/sessions` on Linux).
    pub fn sessions_dir(&self) -> Result<PathBuf, ConfigError> {
        if let Some(dir) = &self.sessions.dir {
            return Ok(dir.clone());
        }
        directories::ProjectDirs::from("", "", "relaydoc")
            .map(|dirs| dirs.data_dir().join("sessions"))
            .ok_or(ConfigError::NoHome)
    }
}

/// `<platform config dir>/config.yaml`, e.g. `~/.config/relaydoc/config.yaml` on Linux;
/// `None` without a home directory.
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "relaydoc").map(|dirs| dirs.config_dir().join(FILE_NAME))
}

/// Which config file is in use, and what chose it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub path: PathBuf,
    pub origin: Origin,
}

/// What chose the config file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `--config FILE`
    Flag,
    /// `RELAYDOC_CONFIG`
    Env,
    /// The platform config dir.
    Default,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Flag => "--config",
            Origin::Env => CONFIG_ENV,
            Origin::Default => "default",
        }
    }
}

impl Location {
    /// A file named on purpose (flag or environment) must exist; the default one may not.
    pub fn must_exist(&self) -> bool {
        self.origin != Origin::Default
    }
}

/// The config file to use: `--config`, else `RELAYDOC_CONFIG`, else [`default_path`].
pub fn locate(flag: Option<&Path>) -> Result<Location, ConfigError> {
    if let Some(path) = flag {
        return Ok(Location {
            path: path.to_path_buf(),
            origin: Origin::Flag,
        });
    }
    if let Some(path) = std::env::var_os(CONFIG_ENV).filter(|value| !value.is_empty()) {
        return Ok(Location {
            path: PathBuf::from(path),
            origin: Origin::Env,
        });
    }
    default_path()
        .map(|path| Location {
            path,
            origin: Origin::Default,
        })
        .ok_or(ConfigError::NoHome)
}

/// Reads the config at `location`: like [`load`], except that a file named by `--config` or
/// `RELAYDOC_CONFIG` must exist (a typo there should not silently mean "defaults").
pub fn load_at(location: &Location) -> Result<Config, Vec<Diagnostic>> {
    if location.must_exist() && !location.path.exists() {
        return Err(vec![Diagnostic::new(
            crate::files::shown(&location.path),
            format!(
                "no such config file (named by {})",
                location.origin.as_str()
            ),
        )]);
    }
    load(&location.path)
}

/// Reads and checks the config file; a missing file gives the defaults.
pub fn load(path: &Path) -> Result<Config, Vec<Diagnostic>> {
    let name = crate::files::shown(path);
    let text = match read_capped(path) {
        Ok(Some(text)) => text,
        Ok(None) => return Ok(Config::default()),
        Err(message) => return Err(vec![Diagnostic::new(name, message)]),
    };
    let base = path.parent().unwrap_or(Path::new("."));
    parse(&text, &name, base)
}

/// [`load`], then also the files the config names: the CA file must be readable PEM with at
/// least one certificate. `relaydoc config check` uses this; everyday loading does not, so a
/// CA file that moved breaks sending, not the whole program.
pub fn check(path: &Path) -> Result<Config, Vec<Diagnostic>> {
    let name = crate::files::shown(path);
    let text = match read_capped(path) {
        Ok(Some(text)) => text,
        Ok(None) => return Ok(Config::default()),
        Err(message) => return Err(vec![Diagnostic::new(name, message)]),
    };
    let base = path.parent().unwrap_or(Path::new("."));
    let mut reader = Reader::new(&name, base);
    let config = reader.read(&text);
    if let Some(ca) = &reader.ca_file
        && let Err(message) = crate::checks::smtp::tls::load_ca_certificates(&ca.value)
    {
        reader.problem(ca.at, format!("helpdesk.smtp.ca_file: {message}"));
    }
    reader.finish(config)
}

/// Checks config text; `name` is what errors call the file, `base` the folder relative
/// paths in it are taken from.
pub fn parse(text: &str, name: &str, base: &Path) -> Result<Config, Vec<Diagnostic>> {
    let mut reader = Reader::new(name, base);
    let config = reader.read(text);
    reader.finish(config)
}

/// The text of the file, `None` when there is no file.
fn read_capped(path: &Path) -> Result<Option<String>, String> {
    let bytes = match crate::files::read(path, crate::files::Rules::regular(MAX_FILE_BYTES)) {
        Ok(bytes) => bytes,
        Err(error) if error.is_not_found() => return Ok(None),
        Err(error) => match error.problem {
            crate::files::Problem::NotRegular(_) => {
                return Err(format!(
                    "{} (the config must be a YAML file)",
                    error.reason()
                ));
            }
            crate::files::Problem::TooLarge(_) => {
                return Err(format!("{} (is it the right file?)", error.reason()));
            }
            _ => return Err(format!("the config file: {}", error.reason())),
        },
    };
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| String::from("is not valid UTF-8; save it as UTF-8"))
}

// ---------------------------------------------------------------------------------------------
// The generic tree: every key and value with its position.

/// One YAML value as written.
#[derive(Debug)]
enum Node {
    Map(Vec<(Spanned<String>, Spanned<Node>)>),
    List,
    Text(String),
    Bool(bool),
    Int(i128),
    Float(f64),
    Null,
}

impl Node {
    /// What the value is, for "must be X, not Y" messages.
    fn kind(&self) -> &'static str {
        match self {
            Node::Map(_) => "a mapping",
            Node::List => "a list",
            Node::Text(_) => "text",
            Node::Bool(_) => "true/false",
            Node::Int(_) => "a number",
            Node::Float(_) => "a number",
            Node::Null => "empty",
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a YAML value")
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Node, E> {
        Ok(Node::Bool(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Node, E> {
        Ok(Node::Int(i128::from(value)))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Node, E> {
        Ok(Node::Int(i128::from(value)))
    }

    fn visit_i128<E: de::Error>(self, value: i128) -> Result<Node, E> {
        Ok(Node::Int(value))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Node, E> {
        Ok(Node::Float(value))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Node, E> {
        Ok(Node::Text(value.to_string()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Node, E> {
        Ok(Node::Text(value))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        Node::deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        // No key takes a list: the contents only need to be consumed.
        while seq.next_element::<de::IgnoredAny>()?.is_some() {}
        Ok(Node::List)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<String>>()? {
            let value = map.next_value::<Spanned<Node>>()?;
            entries.push((key, value));
        }
        Ok(Node::Map(entries))
    }
}

// ---------------------------------------------------------------------------------------------
// Checking the tree, key by key.

/// Keys that would hold a password: refused wherever they appear.
const SECRET_KEYS: &[&str] = &["password", "passwd", "pass", "secret", "smtp_password"];

const ROOT_KEYS: &[&str] = &["sessions", "helpdesk"];
const SESSIONS_KEYS: &[&str] = &["save", "dir"];
const HELPDESK_KEYS: &[&str] = &["agent", "smtp"];
const SMTP_KEYS: &[&str] = &[
    "host",
    "port",
    "security",
    "username",
    "from",
    "password_env",
    "ca_file",
    "timeout",
    "allow_plaintext_auth",
    "source_address",
];

/// A value with the position it was written at.
#[derive(Debug)]
struct At<T> {
    value: T,
    at: Option<Position>,
}

struct Reader<'a> {
    name: &'a str,
    base: &'a Path,
    problems: Vec<Diagnostic>,
    /// Kept for [`check`], which reads the file it names.
    ca_file: Option<At<PathBuf>>,
}

/// Where a value is: its first use (aliases point at the alias, which is what the author sees).
fn position(node: &Spanned<Node>) -> Option<Position> {
    Position::from_saphyr(&node.referenced).or_else(|| Position::from_saphyr(&node.defined))
}

fn key_position(key: &Spanned<String>) -> Option<Position> {
    Position::from_saphyr(&key.referenced).or_else(|| Position::from_saphyr(&key.defined))
}

/// A value shown in a message: one line, no control characters, not too long.
fn shown(text: &str) -> String {
    crate::sanitize::excerpt(text, 60)
}

impl<'a> Reader<'a> {
    fn new(name: &'a str, base: &'a Path) -> Self {
        Self {
            name,
            base,
            problems: Vec::new(),
            ca_file: None,
        }
    }

    fn problem(&mut self, at: Option<Position>, message: impl Into<String>) {
        self.problems
            .push(Diagnostic::new(self.name, message.into()).at(at));
    }

    fn finish(self, config: Config) -> Result<Config, Vec<Diagnostic>> {
        if self.problems.is_empty() {
            Ok(config)
        } else {
            let mut problems = self.problems;
            problems.sort_by(|a, b| (a.position, &a.message).cmp(&(b.position, &b.message)));
            Err(problems)
        }
    }

    fn read(&mut self, text: &str) -> Config {
        let mut config = Config::default();
        // A file of only comments (or nothing) is the defaults.
        if text
            .lines()
            .all(|line| line.trim().is_empty() || line.trim_start().starts_with('#'))
        {
            return config;
        }
        let root: Spanned<Node> = match serde_saphyr::from_str_with_options(
            text,
            crate::knowledge::source::yaml_options(),
        ) {
            Ok(root) => root,
            Err(error) => {
                let at = error.location().as_ref().and_then(Position::from_saphyr);
                self.problem(
                    at,
                    crate::knowledge::source::yaml_message(&error.to_string()),
                );
                return config;
            }
        };
        let at = position(&root);
        let entries = match root.value {
            Node::Map(entries) => entries,
            Node::Null => return config,
            other => {
                self.problem(
                    at,
                    format!(
                        "the config must be a mapping of keys (sessions:, helpdesk:), not {}",
                        other.kind()
                    ),
                );
                return config;
            }
        };
        for (key, value) in self.known(entries, "", ROOT_KEYS) {
            match key.value.as_str() {
                "sessions" => config.sessions = self.sessions(value),
                "helpdesk" => config.helpdesk = self.helpdesk(value),
                _ => {}
            }
        }
        config
    }

    /// The entries whose keys are in `allowed`; the others are reported (passwords with where
    /// they belong instead), as are keys given twice.
    fn known(
        &mut self,
        entries: Vec<(Spanned<String>, Spanned<Node>)>,
        section: &str,
        allowed: &[&str],
    ) -> Vec<(Spanned<String>, Spanned<Node>)> {
        let mut seen = BTreeSet::new();
        let mut kept = Vec::new();
        for (key, value) in entries {
            let at = key_position(&key);
            let path = format!("{section}{}", key.value);
            if SECRET_KEYS.contains(&key.value.to_ascii_lowercase().as_str()) {
                self.problem(
                    at,
                    format!(
                        "`{}`: passwords never go in the config file (anyone who can read it \
                         would have them); put the SMTP password in the environment variable \
                         named by helpdesk.smtp.password_env (default {DEFAULT_PASSWORD_ENV}), \
                         or store it in the OS keyring with `relaydoc config set-password`",
                        shown(&path)
                    ),
                );
                continue;
            }
            if !allowed.contains(&key.value.as_str()) {
                let place = if section.is_empty() {
                    String::from("at the top level")
                } else {
                    format!("in `{}`", section.trim_end_matches('.'))
                };
                self.problem(
                    at,
                    format!(
                        "unknown key `{}` {place}; known keys: {}",
                        shown(&key.value),
                        allowed.join(", ")
                    ),
                );
                continue;
            }
            if !seen.insert(key.value.clone()) {
                self.problem(at, format!("`{path}` is given twice"));
                continue;
            }
            kept.push((key, value));
        }
        kept
    }

    /// The entries of a section that must be a mapping; `None` (after reporting) otherwise.
    fn section(
        &mut self,
        value: Spanned<Node>,
        path: &str,
    ) -> Option<Vec<(Spanned<String>, Spanned<Node>)>> {
        let at = position(&value);
        match value.value {
            Node::Map(entries) => Some(entries),
            Node::Null => Some(Vec::new()),
            other => {
                self.problem(
                    at,
                    format!("`{path}` must be a mapping of keys, not {}", other.kind()),
                );
                None
            }
        }
    }

    fn sessions(&mut self, value: Spanned<Node>) -> SessionsConfig {
        let mut sessions = SessionsConfig::default();
        let Some(entries) = self.section(value, "sessions") else {
            return sessions;
        };
        for (key, value) in self.known(entries, "sessions.", SESSIONS_KEYS) {
            match key.value.as_str() {
                "save" => {
                    if let Some(save) = self.boolean(value, "sessions.save") {
                        sessions.save = save;
                    }
                }
                "dir" => sessions.dir = self.path(value, "sessions.dir").map(|p| p.value),
                _ => {}
            }
        }
        sessions
    }

    fn helpdesk(&mut self, value: Spanned<Node>) -> HelpdeskConfig {
        let mut helpdesk = HelpdeskConfig::default();
        let Some(entries) = self.section(value, "helpdesk") else {
            return helpdesk;
        };
        for (key, value) in self.known(entries, "helpdesk.", HELPDESK_KEYS) {
            match key.value.as_str() {
                "agent" => {
                    helpdesk.agent = self
                        .text(value, "helpdesk.agent", 100)
                        .map(|agent| agent.value);
                }
                "smtp" => {
                    let at = key_position(&key);
                    if matches!(value.value, Node::Null) {
                        continue;
                    }
                    helpdesk.smtp = self.smtp(at, value);
                }
                _ => {}
            }
        }
        helpdesk
    }

    fn smtp(&mut self, key_at: Option<Position>, value: Spanned<Node>) -> Option<SmtpConfig> {
        let entries = self.section(value, "helpdesk.smtp")?;
        let mut host = None;
        let mut port = None;
        let mut security = None;
        let mut username = None;
        let mut from = None;
        let mut password_env = None;
        let mut ca_file = None;
        let mut timeout = None;
        let mut allow_plaintext_auth = None;
        let mut source_address = None;
        let mut bad = false;
        let mut given = BTreeSet::new();
        for (key, value) in self.known(entries, "helpdesk.smtp.", SMTP_KEYS) {
            let before = self.problems.len();
            given.insert(key.value.clone());
            match key.value.as_str() {
                "host" => host = self.host(value),
                "port" => port = self.port(value),
                "security" => security = self.security(value),
                "username" => username = self.text(value, "helpdesk.smtp.username", 320),
                "from" => from = self.from(value),
                "password_env" => password_env = self.env_name(value),
                "ca_file" => ca_file = self.path(value, "helpdesk.smtp.ca_file"),
                "timeout" => timeout = self.timeout(value),
                "allow_plaintext_auth" => {
                    allow_plaintext_auth =
                        self.boolean(value, "helpdesk.smtp.allow_plaintext_auth");
                }
                "source_address" => source_address = self.ip(value),
                _ => {}
            }
            bad |= self.problems.len() > before;
        }
        for (name, example) in [
            ("host", "smtp.example.com"),
            ("from", "\"Example Helpdesk <helpdesk@example.com>\""),
        ] {
            // A key given with a bad value is reported as such, not also as missing.
            if !given.contains(name) {
                bad = true;
                self.problem(
                    key_at,
                    format!("`helpdesk.smtp` needs `{name}:` (for example `{name}: {example}`)"),
                );
            }
        }
        let security_value = security.map(|s: At<Security>| s.value);
        let port_value = port.map(|p: At<u16>| p.value);
        let security = security_value.unwrap_or(match port_value {
            Some(465) => Security::Tls,
            _ => Security::Starttls,
        });
        let allow_plaintext_auth = allow_plaintext_auth.unwrap_or(false);
        if security == Security::None
            && !allow_plaintext_auth
            && let Some(user) = &username
        {
            bad = true;
            self.problem(
                user.at,
                "`helpdesk.smtp.username` with `security: none` would send the password \
                 unencrypted; use `security: starttls` or `tls`, drop `username` (a server that \
                 relays for your network needs no login), or set `allow_plaintext_auth: true`",
            );
        }
        if bad {
            return None;
        }
        self.ca_file = ca_file.as_ref().map(|ca: &At<PathBuf>| At {
            value: ca.value.clone(),
            at: ca.at,
        });
        Some(SmtpConfig {
            host: host?.value,
            port: port_value.unwrap_or_else(|| default_port(security)),
            security,
            username: username.map(|u| u.value),
            from: from?.value,
            password_env: password_env
                .map(|e| e.value)
                .unwrap_or_else(|| DEFAULT_PASSWORD_ENV.to_string()),
            ca_file: ca_file.map(|c| c.value),
            timeout: timeout
                .map(|t| t.value)
                .unwrap_or(Duration::from_secs(DEFAULT_SMTP_TIMEOUT_SECS)),
            allow_plaintext_auth,
            source_address: source_address.map(|s| s.value),
        })
    }

    // --- leaf values ------------------------------------------------------------------------

    fn boolean(&mut self, value: Spanned<Node>, path: &str) -> Option<bool> {
        let at = position(&value);
        match value.value {
            Node::Bool(b) => Some(b),
            Node::Text(text) => {
                self.problem(
                    at,
                    format!("`{path}` must be true or false, not `{}`", shown(&text)),
                );
                None
            }
            other => {
                self.problem(
                    at,
                    format!("`{path}` must be true or false, not {}", other.kind()),
                );
                None
            }
        }
    }

    /// One line of text, trimmed, at most `max` characters; empty means "not set".
    fn text(&mut self, value: Spanned<Node>, path: &str, max: usize) -> Option<At<String>> {
        let at = position(&value);
        let text = match value.value {
            Node::Text(text) => text,
            Node::Null => return None,
            other => {
                self.problem(at, format!("`{path}` must be text, not {}", other.kind()));
                return None;
            }
        };
        let text = text.trim().to_string();
        if text.chars().any(char::is_control) {
            self.problem(
                at,
                format!("`{path}` must be one line of text without control characters"),
            );
            return None;
        }
        if text.chars().count() > max {
            self.problem(at, format!("`{path}` is longer than {max} characters"));
            return None;
        }
        if text.is_empty() {
            return None;
        }
        Some(At { value: text, at })
    }

    /// A path: `~/` is the home folder, a relative path is taken from the config file's folder.
    fn path(&mut self, value: Spanned<Node>, path: &str) -> Option<At<PathBuf>> {
        let text = self.text(value, path, 4096)?;
        let at = text.at;
        let raw = text.value;
        let resolved = if let Some(rest) = raw.strip_prefix("~/") {
            match directories::BaseDirs::new() {
                Some(dirs) => dirs.home_dir().join(rest),
                None => {
                    self.problem(
                        at,
                        format!("`{path}` starts with ~/ but there is no home folder (HOME)"),
                    );
                    return None;
                }
            }
        } else {
            let candidate = PathBuf::from(&raw);
            if candidate.is_absolute() {
                candidate
            } else {
                self.base.join(candidate)
            }
        };
        Some(At {
            value: resolved,
            at,
        })
    }

    fn host(&mut self, value: Spanned<Node>) -> Option<At<String>> {
        let text = self.text(value, "helpdesk.smtp.host", 253)?;
        // `[::1]` is how people write an IPv6 server; the bare address is what connects.
        let host = text
            .value
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(&text.value)
            .to_string();
        let is_ip = host.parse::<IpAddr>().is_ok();
        let is_name = !host.is_empty()
            && host.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                    && !label.starts_with('-')
                    && !label.ends_with('-')
            });
        if !is_ip && !is_name {
            self.problem(
                text.at,
                format!(
                    "`helpdesk.smtp.host`: `{}` is not a host name or IP address (like \
                     smtp.example.com; no scheme, port or path)",
                    shown(&text.value)
                ),
            );
            return None;
        }
        Some(At {
            value: host,
            at: text.at,
        })
    }

    fn port(&mut self, value: Spanned<Node>) -> Option<At<u16>> {
        let at = position(&value);
        let port = match &value.value {
            Node::Int(n) => u16::try_from(*n).ok().filter(|p| *p > 0),
            Node::Text(text) => text.trim().parse::<u16>().ok().filter(|p| *p > 0),
            _ => None,
        };
        if port.is_none() {
            let what = match &value.value {
                Node::Text(text) => format!("`{}`", shown(text)),
                Node::Int(n) => n.to_string(),
                other => other.kind().to_string(),
            };
            self.problem(
                at,
                format!(
                    "`helpdesk.smtp.port` must be a port number from 1 to 65535 (usually 587, \
                     465 or 25), not {what}"
                ),
            );
        }
        port.map(|value| At { value, at })
    }

    fn security(&mut self, value: Spanned<Node>) -> Option<At<Security>> {
        let at = position(&value);
        let parsed = match &value.value {
            Node::Text(text) => Security::from_name(&text.trim().to_ascii_lowercase()),
            _ => None,
        };
        if parsed.is_none() {
            let what = match &value.value {
                Node::Text(text) => format!("`{}`", shown(text)),
                Node::Bool(b) => b.to_string(),
                other => other.kind().to_string(),
            };
            let hint = match &value.value {
                Node::Text(text) if text.eq_ignore_ascii_case("ssl") => {
                    " (\"SSL\" on port 465 is `tls`)"
                }
                _ => "",
            };
            self.problem(
                at,
                format!("`helpdesk.smtp.security` must be starttls, tls or none, not {what}{hint}"),
            );
        }
        parsed.map(|value| At { value, at })
    }

    fn from(&mut self, value: Spanned<Node>) -> Option<At<String>> {
        let text = self.text(value, "helpdesk.smtp.from", 320)?;
        match text.value.parse::<lettre::message::Mailbox>() {
            Ok(_) => Some(text),
            Err(error) => {
                self.problem(
                    text.at,
                    format!(
                        "`helpdesk.smtp.from`: `{}` is not a sender address ({error}); write it \
                         like `helpdesk@example.com` or `\"Example Helpdesk <helpdesk@example.com>\"` \
                         (quoted, because of the <>)",
                        shown(&text.value)
                    ),
                );
                None
            }
        }
    }

    fn env_name(&mut self, value: Spanned<Node>) -> Option<At<String>> {
        let text = self.text(value, "helpdesk.smtp.password_env", 100)?;
        let valid = text
            .value
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && text
                .value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            // The value is not repeated: someone may have put the password itself here.
            self.problem(
                text.at,
                "`helpdesk.smtp.password_env` must be the NAME of an environment variable \
                 (letters, digits and _, like RELAYDOC_SMTP_PASSWORD), not the password",
            );
            return None;
        }
        Some(text)
    }

    fn timeout(&mut self, value: Spanned<Node>) -> Option<At<Duration>> {
        let at = position(&value);
        let seconds = match &value.value {
            Node::Int(n) => Some(*n as f64),
            Node::Float(f) => Some(*f),
            Node::Text(text) => text.trim().parse::<f64>().ok(),
            _ => None,
        };
        match seconds {
            Some(s) if s > 0.0 && s <= MAX_TIMEOUT_SECS => Some(At {
                value: Duration::from_secs_f64(s),
                at,
            }),
            _ => {
                self.problem(
                    at,
                    format!(
                        "`helpdesk.smtp.timeout` must be a number of seconds above 0 and at \
                         most {MAX_TIMEOUT_SECS}"
                    ),
                );
                None
            }
        }
    }

    fn ip(&mut self, value: Spanned<Node>) -> Option<At<IpAddr>> {
        let text = self.text(value, "helpdesk.smtp.source_address", 64)?;
        match text.value.parse::<IpAddr>() {
            Ok(ip) => Some(At {
                value: ip,
                at: text.at,
            }),
            Err(_) => {
                self.problem(
                    text.at,
                    format!(
                        "`helpdesk.smtp.source_address`: `{}` is not an IP address",
                        shown(&text.value)
                    ),
                );
                None
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Showing the effective configuration.

/// The configuration as `relaydoc config show` prints it: every key, defaults filled in.
#[derive(Debug, Serialize)]
pub struct EffectiveConfig<'a> {
    pub sessions: EffectiveSessions,
    pub helpdesk: &'a HelpdeskConfig,
}

#[derive(Debug, Serialize)]
pub struct EffectiveSessions {
    pub save: bool,
    /// The resolved folder; `None` only without a home directory.
    pub dir: Option<String>,
}

impl Config {
    /// Every key with its effective value.
    pub fn effective(&self) -> EffectiveConfig<'_> {
        EffectiveConfig {
            sessions: EffectiveSessions {
                save: self.sessions.save,
                dir: self
                    .sessions_dir()
                    .ok()
                    .map(|dir| dir.display().to_string()),
            },
            helpdesk: &self.helpdesk,
        }
    }
}

fn as_seconds<S: serde::Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64(duration.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> Config {
        match parse(text, "config.yaml", Path::new("/etc/relaydoc")) {
            Ok(config) => config,
            Err(problems) => panic!("{problems:?}"),
        }
    }

    fn problems(text: &str) -> Vec<String> {
        match parse(text, "config.yaml", Path::new("/etc/relaydoc")) {
            Ok(config) => panic!("expected problems, got {config:?}"),
            Err(problems) => problems.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn empty_and_comment_only_files_are_the_defaults() {
        assert_eq!(parse_ok(""), Config::default());
        assert_eq!(parse_ok("# nothing yet\n\n"), Config::default());
        assert!(Config::default().sessions.save);
    }

    #[test]
    fn the_sample_parses() {
        let config = parse_ok(SAMPLE);
        let smtp = config.helpdesk.smtp.expect("smtp");
        assert_eq!(smtp.host, "smtp.example.com");
        assert_eq!(smtp.port, 587);
        assert_eq!(smtp.security, Security::Starttls);
        assert_eq!(smtp.username.as_deref(), Some("helpdesk@example.com"));
        assert_eq!(smtp.from, "Example Helpdesk <helpdesk@example.com>");
        assert_eq!(smtp.password_env, DEFAULT_PASSWORD_ENV);
        assert_eq!(smtp.timeout, Duration::from_secs(20));
        assert_eq!(config.helpdesk.agent.as_deref(), Some("Sam"));
        assert_eq!(config.sessions.dir, Some(PathBuf::from("/some/path")));
    }

    #[test]
    fn port_follows_security_and_security_follows_port() {
        let smtp = |body: &str| {
            parse_ok(&format!(
                "helpdesk:\n  smtp:\n    host: mail.example.com\n    from: a@example.com\n{body}"
            ))
            .helpdesk
            .smtp
            .expect("smtp")
        };
        assert_eq!(smtp("").port, 587);
        assert_eq!(smtp("    security: tls\n").port, 465);
        assert_eq!(smtp("    security: none\n").port, 25);
        assert_eq!(smtp("    port: 465\n").security, Security::Tls);
        assert_eq!(smtp("    port: 2525\n").security, Security::Starttls);
        assert_eq!(smtp("    port: \"2587\"\n").port, 2587);
    }

    #[test]
    fn relative_paths_are_taken_from_the_config_folder() {
        let config = parse_ok(
            "sessions:\n  dir: sessions\nhelpdesk:\n  smtp:\n    host: h.example\n    from: a@example.com\n    ca_file: ca.pem\n",
        );
        assert_eq!(
            config.sessions.dir,
            Some(PathBuf::from("/etc/relaydoc/sessions"))
        );
        assert_eq!(
            config.helpdesk.smtp.and_then(|s| s.ca_file),
            Some(PathBuf::from("/etc/relaydoc/ca.pem"))
        );
    }

    #[test]
    fn a_password_key_is_refused_with_where_it_goes() {
        let found = problems(
            "helpdesk:\n  smtp:\n    host: h.example\n    from: a@example.com\n    password: hunter2\n",
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("config.yaml:5:5: "), "{found:?}");
        assert!(found[0].contains("helpdesk.smtp.password"));
        assert!(found[0].contains("RELAYDOC_SMTP_PASSWORD"));
        assert!(found[0].contains("relaydoc config set-password"));
        assert!(!found[0].contains("hunter2"));
        // Anywhere, not only under smtp.
        let top = problems("password: x\n");
        assert!(top[0].contains("passwords never go in the config file"));
    }

    #[test]
    fn every_problem_is_reported_at_once_with_its_key_and_position() {
        let found = problems(
            "sessions:\n  save: maybe\n  colour: red\nhelpdesk:\n  smtp:\n    host: smtp.example.com\n    port: 99999\n    security: ssl\n    from: not an address\n    timeout: -1\n",
        );
        let joined = found.join("\n");
        assert!(
            joined.contains("config.yaml:2:9: `sessions.save` must be true or false, not `maybe`"),
            "{joined}"
        );
        assert!(
            joined.contains(
                "config.yaml:3:3: unknown key `colour` in `sessions`; known keys: save, dir"
            ),
            "{joined}"
        );
        assert!(
            joined.contains("config.yaml:7:11: `helpdesk.smtp.port`"),
            "{joined}"
        );
        assert!(joined.contains("config.yaml:8:15: `helpdesk.smtp.security` must be starttls, tls or none, not `ssl`"), "{joined}");
        assert!(
            joined.contains("config.yaml:9:11: `helpdesk.smtp.from`"),
            "{joined}"
        );
        assert!(
            joined.contains("config.yaml:10:14: `helpdesk.smtp.timeout`"),
            "{joined}"
        );
        assert_eq!(found.len(), 6, "{joined}");
    }

    #[test]
    fn missing_required_keys_point_at_the_section() {
        let found = problems("helpdesk:\n  smtp:\n    port: 587\n");
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found.iter().all(|p| p.starts_with("config.yaml:2:3: ")),
            "{found:?}"
        );
        assert!(found[0].contains("`from:`") || found[1].contains("`from:`"));
    }

    #[test]
    fn yaml_syntax_errors_have_a_position() {
        let found = problems("helpdesk:\n  smtp: [unclosed\n");
        assert!(found[0].starts_with("config.yaml:"), "{found:?}");
        assert!(
            found[0]
                .split(':')
                .nth(1)
                .is_some_and(|l| l.parse::<u32>().is_ok())
        );
    }

    #[test]
    fn login_without_encryption_needs_an_explicit_yes() {
        let base = "helpdesk:\n  smtp:\n    host: h.example\n    from: a@example.com\n    security: none\n    username: u\n";
        let found = problems(base);
        assert!(found[0].contains("unencrypted"), "{found:?}");
        let allowed = parse_ok(&format!("{base}    allow_plaintext_auth: true\n"));
        assert!(
            allowed
                .helpdesk
                .smtp
                .is_some_and(|s| s.allow_plaintext_auth)
        );
    }

    #[test]
    fn wrong_types_are_named() {
        let found = problems("helpdesk: [1, 2]\n");
        assert!(found[0].contains("`helpdesk` must be a mapping of keys, not a list"));
        let found = problems("- a\n- b\n");
        assert!(found[0].contains("must be a mapping of keys"));
        let found = problems("helpdesk:\n  agent:\n    name: x\n");
        assert!(found[0].contains("`helpdesk.agent` must be text, not a mapping"));
    }

    #[test]
    fn password_env_errors_do_not_repeat_the_value() {
        let found = problems(
            "helpdesk:\n  smtp:\n    host: h.example\n    from: a@example.com\n    password_env: \"s3cr3t pass!\"\n",
        );
        assert!(found[0].contains("NAME of an environment variable"));
        assert!(!found[0].contains("s3cr3t"));
    }

    #[test]
    fn duplicate_keys_are_an_error() {
        let found = problems("sessions:\n  save: true\n  save: false\n");
        assert!(found[0].starts_with("config.yaml:3:"), "{found:?}");
    }

    #[test]
    fn ipv6_hosts_lose_their_brackets() {
        let config = parse_ok("helpdesk:\n  smtp:\n    host: \"[::1]\"\n    from: a@example.com\n");
        let smtp = config.helpdesk.smtp.expect("smtp");
        assert_eq!(smtp.host, "::1");
        assert_eq!(smtp.server(), "[::1]:587");
    }

    #[test]
    fn hosts_with_a_scheme_or_port_are_refused() {
        for host in ["smtp://mail.example.com", "mail.example.com:587", "a b"] {
            let found = problems(&format!(
                "helpdesk:\n  smtp:\n    host: \"{host}\"\n    from: a@example.com\n"
            ));
            assert!(
                found[0].contains("`helpdesk.smtp.host`"),
                "{host}: {found:?}"
            );
        }
    }
}
