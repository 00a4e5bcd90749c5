//! Reads an Exim configuration as `exim -bP` prints it, or as it is written.
//!
//! Accepted, in one file or concatenated:
//! - `exim -bP`: main options, `name = value`, booleans as `name` / `no_name`;
//! - `exim -bP +relay_from_hosts`: `hostlist relay_from_hosts = …`;
//! - `exim -bP authenticators`: each authenticator as a `NAME authenticator:` line and its
//!   options (routers and transports printed the same way are skipped);
//! - `exim -bP config` or a configure file: the main section (named lists `hostlist`,
//!   `domainlist`, `addresslist`, `localpartlist`, each optionally `_cache`), `begin acl` with
//!   its ACLs (`name:` lines, statements starting with a verb, conditions `[!]name = value`),
//!   `begin authenticators`; other sections are skipped.
//!
//! Macros (`NAME = value`, a name starting with a capital letter) are substituted in later
//! lines, `.ifdef`/`.ifndef`/`.elifdef`/`.elifndef`/`.else`/`.endif` followed, and lines ending
//! in `\` joined with the next, as the Exim specification's chapter "The Exim run time
//! configuration file" describes (<https://docs.huihoo.com/exim/4/spec/ch06.html>). `.include`
//! is not followed: it is recorded, and the lint says to give `exim -bP config` instead.

use std::collections::HashMap;

use crate::diagnostic::{Diagnostic, Diagnostics, Position};

/// One `name = value` option, with the input line it came from (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    pub name: String,
    pub value: String,
    pub line: usize,
}

/// A named list: `hostlist relay_from_hosts = 127.0.0.1 : ::::1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedList {
    /// `hostlist`, `domainlist`, `addresslist` or `localpartlist`.
    pub kind: String,
    pub name: String,
    pub value: String,
    pub line: usize,
}

/// An ACL verb, as the specification lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Accept,
    Defer,
    Deny,
    Discard,
    Drop,
    Require,
    Warn,
}

impl Verb {
    fn parse(word: &str) -> Option<Self> {
        Some(match word {
            "accept" => Verb::Accept,
            "defer" => Verb::Defer,
            "deny" => Verb::Deny,
            "discard" => Verb::Discard,
            "drop" => Verb::Drop,
            "require" => Verb::Require,
            "warn" => Verb::Warn,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Accept => "accept",
            Verb::Defer => "defer",
            Verb::Deny => "deny",
            Verb::Discard => "discard",
            Verb::Drop => "drop",
            Verb::Require => "require",
            Verb::Warn => "warn",
        }
    }
}

/// A condition or modifier of a statement: `!hosts = +relay_from_hosts`, `endpass`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub negated: bool,
    pub name: String,
    pub value: String,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub verb: Verb,
    pub line: usize,
    pub conditions: Vec<Condition>,
}

impl Statement {
    /// The `message =` of the statement, when it has one.
    pub fn message(&self) -> Option<&str> {
        self.conditions
            .iter()
            .find(|c| c.name == "message")
            .map(|c| c.value.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acl {
    pub name: String,
    pub line: usize,
    pub statements: Vec<Statement>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticator {
    pub name: String,
    pub line: usize,
    pub options: Vec<Setting>,
}

impl Authenticator {
    /// An option's value; `None` when not given.
    pub fn option(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .rev()
            .find(|o| o.name == name)
            .map(|o| o.value.as_str())
    }

    fn set(&self, name: &str) -> bool {
        self.option(name).is_some_and(|v| !v.trim().is_empty())
    }

    /// Whether this authenticator serves clients (not only Exim's own deliveries to a
    /// smarthost): each driver is a server when its server option is set, as the
    /// specification's driver chapters say (plaintext: `server_condition`; cram_md5:
    /// `server_secret`; dovecot: `server_socket`; spa: `server_password`; cyrus_sasl and
    /// gsasl are servers through `server_mech`/their defaults). Debian's default
    /// authenticators are client-only.
    pub fn is_server(&self) -> bool {
        let driver = self.option("driver").unwrap_or_default().trim();
        match driver {
            "plaintext" => self.set("server_condition"),
            "cram_md5" => self.set("server_secret"),
            "dovecot" => self.set("server_socket"),
            "spa" => self.set("server_password"),
            // cyrus_sasl, gsasl, heimdal_gssapi, external, tls: a server when any
            // server_ option beyond the generic ones is set.
            _ => self.options.iter().any(|o| {
                o.name.starts_with("server_")
                    && !matches!(
                        o.name.as_str(),
                        "server_advertise_condition"
                            | "server_debug_print"
                            | "server_set_id"
                            | "server_mail_auth_condition"
                    )
                    && !o.value.trim().is_empty()
            }),
        }
    }

    /// The mechanism it offers in EHLO (`public_name`, else its name).
    pub fn mechanism(&self) -> String {
        self.option("public_name")
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .unwrap_or(&self.name)
            .to_ascii_uppercase()
    }
}

/// What the input was: options only (`exim -bP`), or a whole configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `exim -bP` output: named lists and ACLs are absent unless printed on their own.
    Options,
    /// A configuration with sections (`begin acl`, …): what is not there is not set.
    Configuration,
}

#[derive(Debug, Clone)]
pub struct EximConfig {
    pub file: String,
    pub shape: Shape,
    pub main: Vec<Setting>,
    pub lists: Vec<NamedList>,
    pub acls: Vec<Acl>,
    pub authenticators: Vec<Authenticator>,
    /// Whether the input had an ACL section, or an authenticators section / `-bP
    /// authenticators` blocks: absent ones cannot be judged from `exim -bP` alone.
    pub saw_acl_section: bool,
    pub saw_authenticators: bool,
    /// `.include` lines not followed, with their line.
    pub includes: Vec<(usize, String)>,
    /// Whether macros decided anything (Debian's `MAIN_RELAY_NETS` shows a Debian config).
    pub macros: HashMap<String, String>,
}

impl EximConfig {
    /// A main option as set (the last setting wins, as in Exim); `None` when not in the input.
    pub fn option(&self, name: &str) -> Option<&Setting> {
        self.main.iter().rev().find(|s| s.name == name)
    }

    pub fn list(&self, name: &str) -> Option<&NamedList> {
        self.lists.iter().rev().find(|l| l.name == name)
    }

    pub fn acl(&self, name: &str) -> Option<&Acl> {
        self.acls.iter().find(|a| a.name == name)
    }

    pub fn server_authenticators(&self) -> impl Iterator<Item = &Authenticator> {
        self.authenticators.iter().filter(|a| a.is_server())
    }

    /// Whether this is Debian's packaged configuration (its macro for `dc_relay_nets`).
    pub fn is_debian(&self) -> bool {
        self.macros.contains_key("MAIN_RELAY_NETS")
            || self
                .option("exim_path")
                .is_some_and(|s| s.value.trim() == "/usr/sbin/exim4")
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Main,
    Acl,
    Authenticators,
    Other,
}

/// Reads the text; problems (lines that are no Exim syntax) come back as diagnostics naming
/// the line, and the caller decides whether what was read is enough.
pub fn parse(file: &str, text: &str) -> (EximConfig, Diagnostics) {
    let mut config = EximConfig {
        file: file.to_owned(),
        shape: Shape::Options,
        main: Vec::new(),
        lists: Vec::new(),
        acls: Vec::new(),
        authenticators: Vec::new(),
        saw_acl_section: false,
        saw_authenticators: false,
        includes: Vec::new(),
        macros: HashMap::new(),
    };
    let mut problems = Diagnostics::default();
    let mut section = Section::Main;
    // `.ifdef` nesting: for each level, whether its current branch is read, and whether a
    // branch of it was already taken.
    let mut conditionals: Vec<(bool, bool)> = Vec::new();
    let mut problem = |line: usize, message: String| {
        problems.push(Diagnostic::new(file, message).at(Some(Position::new(line as u64, 1))));
    };

    for (line_no, raw) in logical_lines(text) {
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let active = conditionals.iter().all(|(on, _)| *on);
        if let Some(directive) = trimmed.strip_prefix('.') {
            let (word, rest) = split_word(directive);
            let rest = rest.trim();
            match word {
                "ifdef" | "ifndef" => {
                    let defined = config.macros.contains_key(rest);
                    let on = if word == "ifdef" { defined } else { !defined };
                    conditionals.push((on, on));
                }
                "elifdef" | "elifndef" => {
                    if let Some((on, taken)) = conditionals.last_mut() {
                        let defined = config.macros.contains_key(rest);
                        let this = if word == "elifdef" { defined } else { !defined };
                        *on = !*taken && this;
                        *taken |= this;
                    }
                }
                "else" => {
                    if let Some((on, taken)) = conditionals.last_mut() {
                        *on = !*taken;
                        *taken = true;
                    }
                }
                "endif" => {
                    conditionals.pop();
                }
                "include" | "include_if_exists" if active => {
                    config.includes.push((line_no, rest.to_owned()));
                }
                _ if active => problem(
                    line_no,
                    format!("`.{word}`: not an Exim configuration directive"),
                ),
                _ => {}
            }
            continue;
        }
        if !active {
            continue;
        }
        // A macro definition: `NAME = value` or `NAME == value` (redefinition).
        if let Some((name, value)) = macro_definition(trimmed) {
            let value = substitute(value, &config.macros);
            config.macros.insert(name.to_owned(), value);
            continue;
        }
        let line = substitute(trimmed, &config.macros);
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("begin ") {
            config.shape = Shape::Configuration;
            section = match rest.trim() {
                "acl" => {
                    config.saw_acl_section = true;
                    Section::Acl
                }
                "authenticators" => {
                    config.saw_authenticators = true;
                    Section::Authenticators
                }
                _ => Section::Other,
            };
            continue;
        }
        // `exim -bP authenticators|routers|transports`: `NAME authenticator:` headers.
        if let Some(head) = line.strip_suffix(':')
            && let Some((name, kind)) = head.split_once(' ')
            && !name.is_empty()
            && !kind.contains(' ')
        {
            match kind {
                "authenticator" => {
                    config.saw_authenticators = true;
                    config.authenticators.push(Authenticator {
                        name: name.to_owned(),
                        line: line_no,
                        options: Vec::new(),
                    });
                    section = Section::Authenticators;
                    continue;
                }
                "router" | "transport" => {
                    section = Section::Other;
                    continue;
                }
                _ => {}
            }
        }
        match section {
            Section::Other => {}
            Section::Main => main_line(&mut config, line, line_no, &mut problem),
            Section::Acl => acl_line(&mut config, line, line_no, &mut problem),
            Section::Authenticators => {
                if let Some(name) = block_name(line) {
                    config.authenticators.push(Authenticator {
                        name: name.to_owned(),
                        line: line_no,
                        options: Vec::new(),
                    });
                } else if let Some(setting) = option_line(line, line_no) {
                    match config.authenticators.last_mut() {
                        Some(auth) => auth.options.push(setting),
                        None => problem(
                            line_no,
                            "an option before any authenticator's `name:` line".into(),
                        ),
                    }
                } else {
                    problem(
                        line_no,
                        "not an authenticator option (`name = value`) or `name:` line".into(),
                    );
                }
            }
        }
    }
    (config, problems)
}

fn main_line(
    config: &mut EximConfig,
    line: &str,
    line_no: usize,
    problem: &mut impl FnMut(usize, String),
) {
    let (word, rest) = split_word(line);
    let kind = word.strip_suffix("_cache").unwrap_or(word);
    if matches!(
        kind,
        "hostlist" | "domainlist" | "addresslist" | "localpartlist"
    ) {
        match rest.split_once('=') {
            Some((name, value)) if is_name(name.trim()) => config.lists.push(NamedList {
                kind: kind.to_owned(),
                name: name.trim().to_owned(),
                value: value.trim().to_owned(),
                line: line_no,
            }),
            _ => problem(line_no, format!("`{kind}` without `NAME = value`")),
        }
        return;
    }
    match option_line(line, line_no) {
        Some(setting) => config.main.push(setting),
        None => problem(
            line_no,
            "not an Exim option (`name = value`, `name`, `no_name`): is this `exim -bP` output \
             or an Exim configure file?"
                .into(),
        ),
    }
}

fn acl_line(
    config: &mut EximConfig,
    line: &str,
    line_no: usize,
    problem: &mut impl FnMut(usize, String),
) {
    if let Some(name) = block_name(line) {
        config.acls.push(Acl {
            name: name.to_owned(),
            line: line_no,
            statements: Vec::new(),
        });
        return;
    }
    let (word, rest) = split_word(line);
    let rest = rest.trim();
    if let Some(verb) = Verb::parse(word) {
        let Some(acl) = config.acls.last_mut() else {
            problem(line_no, format!("`{word}` before any ACL's `name:` line"));
            return;
        };
        acl.statements.push(Statement {
            verb,
            line: line_no,
            conditions: Vec::new(),
        });
        if rest.is_empty() {
            return;
        }
        return condition_line(config, rest, line_no, problem);
    }
    condition_line(config, line, line_no, problem);
}

fn condition_line(
    config: &mut EximConfig,
    text: &str,
    line_no: usize,
    problem: &mut impl FnMut(usize, String),
) {
    let Some(statement) = config
        .acls
        .last_mut()
        .and_then(|acl| acl.statements.last_mut())
    else {
        problem(
            line_no,
            "an ACL condition before any verb (accept, deny, require, …)".into(),
        );
        return;
    };
    let (negated, text) = match text.strip_prefix('!') {
        Some(rest) => (true, rest.trim_start()),
        None => (false, text),
    };
    let (name, value) = match text.split_once('=') {
        Some((name, value)) => (name.trim(), value.trim()),
        None => (text.trim(), ""),
    };
    if !is_name(name) {
        problem(
            line_no,
            "not an ACL condition (`name = value`) or verb".into(),
        );
        return;
    }
    statement.conditions.push(Condition {
        negated,
        name: name.to_owned(),
        value: value.to_owned(),
        line: line_no,
    });
}

/// `name = value`, `name` (true), `no_name`/`not_name` (false).
fn option_line(line: &str, line_no: usize) -> Option<Setting> {
    let (name, value) = match line.split_once('=') {
        Some((name, value)) => (name.trim(), value.trim().to_owned()),
        None => {
            let name = line.trim();
            match name
                .strip_prefix("no_")
                .or_else(|| name.strip_prefix("not_"))
            {
                Some(rest) => (rest, "false".to_owned()),
                None => (name, "true".to_owned()),
            }
        }
    };
    is_name(name).then(|| Setting {
        name: name.to_owned(),
        value,
        line: line_no,
    })
}

/// `name:` alone on a line: an ACL's or a driver's name.
fn block_name(line: &str) -> Option<&str> {
    let name = line.strip_suffix(':')?.trim();
    is_name(name).then_some(name)
}

fn is_name(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn split_word(text: &str) -> (&str, &str) {
    let text = text.trim_start();
    match text.find(char::is_whitespace) {
        Some(at) => (&text[..at], &text[at..]),
        None => (text, ""),
    }
}

/// `NAME = value` with a capital first letter: a macro definition (name, value).
fn macro_definition(line: &str) -> Option<(&str, &str)> {
    if !line.starts_with(|c: char| c.is_ascii_uppercase()) {
        return None;
    }
    let end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(line.len());
    let (name, rest) = line.split_at(end);
    let rest = rest.trim_start();
    let value = rest.strip_prefix("==").or_else(|| rest.strip_prefix('='))?;
    Some((name, value.trim()))
}

/// Replaces every defined macro name (a word starting with a capital letter) in `text`.
fn substitute(text: &str, macros: &HashMap<String, String>) -> String {
    if macros.is_empty() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(|c: char| c.is_ascii_uppercase()) {
        // A name starts a word: not right after a letter, digit or underscore.
        let previous = rest[..start]
            .chars()
            .next_back()
            .or_else(|| out.chars().next_back());
        let before_ok = !previous.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        let end = rest[start..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(rest.len(), |n| start + n);
        let word = &rest[start..end];
        out.push_str(&rest[..start]);
        match macros.get(word) {
            Some(value) if before_ok => out.push_str(value),
            _ => out.push_str(word),
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The input's logical lines with the number of their first physical line: a line ending in
/// `\` continues on the next, whose leading white space is dropped.
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for (index, line) in text.lines().enumerate() {
        let piece = match &pending {
            Some(_) => line.trim_start(),
            None => line,
        };
        let (piece, continues) = match piece.strip_suffix('\\') {
            Some(head) => (head, true),
            None => (piece, false),
        };
        match &mut pending {
            Some((_, joined)) => joined.push_str(piece),
            None => pending = Some((index + 1, piece.to_owned())),
        }
        if !continues && let Some(done) = pending.take() {
            out.push(done);
        }
    }
    out.extend(pending);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_and_booleans_as_exim_bp_prints_them() {
        let (config, problems) = parse(
            "bp.txt",
            "acl_smtp_rcpt = acl_check_rcpt\nno_gnutls_compat_mode\nauth_advertise_hosts = *\n\
             tls_certificate = \n",
        );
        assert!(problems.is_empty(), "{problems}");
        assert_eq!(config.shape, Shape::Options);
        assert_eq!(
            config.option("acl_smtp_rcpt").map(|s| s.value.as_str()),
            Some("acl_check_rcpt")
        );
        assert_eq!(
            config
                .option("gnutls_compat_mode")
                .map(|s| s.value.as_str()),
            Some("false")
        );
        assert_eq!(
            config.option("tls_certificate").map(|s| s.value.as_str()),
            Some("")
        );
    }

    #[test]
    fn macros_ifdef_and_continuations() {
        let text = "MAIN_RELAY_NETS = 192.168.1.0/24\n\
                    .ifndef CONFDIR\nCONFDIR = /etc/exim4\n.endif\n\
                    .ifdef MAIN_TLS_ENABLE\ntls_advertise_hosts = *\n.else\ntls_advertise_hosts =\n.endif\n\
                    hostlist relay_from_hosts = 127.0.0.1 : \\\n    MAIN_RELAY_NETS\n\
                    tls_certificate = CONFDIR/exim.crt\n";
        let (config, problems) = parse("template", text);
        assert!(problems.is_empty(), "{problems}");
        assert_eq!(
            config.list("relay_from_hosts").map(|l| l.value.as_str()),
            Some("127.0.0.1 : 192.168.1.0/24")
        );
        assert_eq!(config.list("relay_from_hosts").map(|l| l.line), Some(10));
        assert_eq!(
            config
                .option("tls_advertise_hosts")
                .map(|s| s.value.as_str()),
            Some("")
        );
        assert_eq!(
            config.option("tls_certificate").map(|s| s.value.as_str()),
            Some("/etc/exim4/exim.crt")
        );
        assert!(config.is_debian());
    }

    #[test]
    fn acl_statements_on_one_line_or_as_exim_bp_config_splits_them() {
        let text = "begin acl\nacl_check_rcpt:\n  accept  hosts = :\n  accept\n    hosts = +relay_from_hosts\n\
                    \n  require message = relay not permitted\n          !domains = +local_domains\n  accept\n";
        let (config, problems) = parse("c", text);
        assert!(problems.is_empty(), "{problems}");
        let acl = config.acl("acl_check_rcpt").expect("the ACL");
        assert_eq!(acl.statements.len(), 4);
        assert_eq!(acl.statements[1].conditions[0].value, "+relay_from_hosts");
        assert_eq!(acl.statements[2].verb, Verb::Require);
        assert_eq!(acl.statements[2].message(), Some("relay not permitted"));
        assert!(acl.statements[2].conditions[1].negated);
        assert!(acl.statements[3].conditions.is_empty());
    }

    #[test]
    fn authenticators_from_a_section_and_from_exim_bp_authenticators() {
        let section = "begin authenticators\nplain_server:\n  driver = plaintext\n  public_name = PLAIN\n  \
                       server_condition = ${if eq{$auth2}{a}}\ncram_md5:\n  driver = cram_md5\n  \
                       client_name = me\n";
        let (config, problems) = parse("c", section);
        assert!(problems.is_empty(), "{problems}");
        let servers: Vec<String> = config
            .server_authenticators()
            .map(|a| a.mechanism())
            .collect();
        assert_eq!(servers, ["PLAIN"]);
        let printed = "\nPLAIN authenticator:\nclient_condition = \ndriver = plaintext\npublic_name = PLAIN\n\
                       server_advertise_condition = \nserver_condition = \n\nremote_smtp transport:\nport = 25\n";
        let (config, problems) = parse("bp", printed);
        assert!(problems.is_empty(), "{problems}");
        assert!(config.saw_authenticators);
        assert_eq!(config.authenticators.len(), 1);
        assert!(!config.authenticators[0].is_server());
    }

    #[test]
    fn junk_is_reported_with_its_line() {
        let (_, problems) = parse(
            "mail.log",
            "Dec  3 10:00:00 host postfix/smtpd[1]: connect\n",
        );
        let shown = problems.to_string();
        assert!(shown.contains("mail.log:1:1"), "{shown}");
    }
}
