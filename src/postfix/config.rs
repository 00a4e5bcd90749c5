//! main.cf and `postconf -n` output: the reader, `$name` expansion, and built-in defaults.
//!
//! Both inputs share one syntax (postconf(5)): `name = value` logical lines, a line that starts
//! with whitespace continues the previous one, `#` comment lines and blank lines are ignored.
//! Values stay raw until read, as in Postfix, which expands `$name` at use; [`Settings`] is one
//! service's view (main.cf, then its master.cf `-o` overrides, then the defaults of the Postfix
//! version and `compatibility_level` in force).

use std::fmt;

use crate::diagnostic::{Diagnostic, Diagnostics, Position};

/// One `name = value` setting, with the line it starts on (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    pub name: String,
    pub value: String,
    pub line: usize,
}

/// A parsed main.cf (or `postconf -n` output). A name given twice keeps its last value, as
/// Postfix does.
#[derive(Debug, Clone, Default)]
pub struct MainCf {
    /// How the source is named in messages: a path, or `-` for standard input.
    pub file: String,
    pub params: Vec<Param>,
}

impl MainCf {
    pub fn get(&self, name: &str) -> Option<&Param> {
        self.params.iter().rev().find(|param| param.name == name)
    }
}

/// Reads main.cf text. Bad lines are reported (file:line) and skipped, so one typo does not
/// hide every other finding.
pub fn parse_main(file: &str, text: &str) -> (MainCf, Diagnostics) {
    let mut main = MainCf {
        file: file.to_owned(),
        params: Vec::new(),
    };
    let mut problems = Diagnostics::default();
    // The logical line being collected: its first line number and its text.
    let mut current: Option<(usize, String)> = None;
    for (index, raw) in text.split('\n').enumerate() {
        let number = index + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            match current.as_mut() {
                Some((_, logical)) => {
                    logical.push(' ');
                    logical.push_str(trimmed);
                }
                None => problems.push(
                    Diagnostic::new(file, "a continuation line (it starts with whitespace) with no `name = value` line before it")
                        .at(Some(Position::new(number as u64, 1))),
                ),
            }
            continue;
        }
        if let Some((start, logical)) = current.take() {
            finish_line(file, start, &logical, &mut main, &mut problems);
        }
        // postconf's own messages, when its output is pasted with them, are not settings.
        if trimmed.starts_with("postconf:") || trimmed.starts_with("$ postconf") {
            continue;
        }
        current = Some((number, trimmed.to_owned()));
    }
    if let Some((start, logical)) = current.take() {
        finish_line(file, start, &logical, &mut main, &mut problems);
    }
    (main, problems)
}

fn finish_line(
    file: &str,
    line: usize,
    logical: &str,
    main: &mut MainCf,
    problems: &mut Diagnostics,
) {
    let at = Some(Position::new(line as u64, 1));
    let Some((name, value)) = logical.split_once('=') else {
        problems.push(
            Diagnostic::new(
                file,
                format!(
                    "expected `name = value`, found `{}`",
                    crate::sanitize::single_line(&clip(logical, 60))
                ),
            )
            .at(at),
        );
        return;
    };
    let name = name.trim();
    if name.is_empty() || !name.chars().all(is_name_char) {
        problems.push(
            Diagnostic::new(
                file,
                format!(
                    "`{}` is not a parameter name (letters, digits and _ only)",
                    crate::sanitize::single_line(&clip(name, 60))
                ),
            )
            .at(at),
        );
        return;
    }
    main.params.push(Param {
        name: name.to_owned(),
        value: value.trim().to_owned(),
        line,
    });
}

pub(crate) fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// At most `max` characters of `text`, with an ellipsis when cut (for messages).
pub(crate) fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max).collect();
    out.push('…');
    out
}

/// A Postfix release, `major.minor.patch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl Version {
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        Self {
            major,
            minor,
            patch,
        }
    }

    /// `3.7.11`, `3.10`, `3.9-20240101` (snapshots): the numeric part.
    pub fn parse(text: &str) -> Option<Self> {
        let core = text.trim().split(['-', ' ']).next()?;
        let mut parts = core.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next().map_or(Some(0), |p| p.parse().ok())?;
        let patch = parts.next().map_or(Some(0), |p| p.parse().ok())?;
        Some(Self::new(major, minor, patch))
    }

    fn at_least(self, major: u32, minor: u32) -> bool {
        (self.major, self.minor) >= (major, minor)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// The release assumed when the input does not say (`postconf -n` never prints `mail_version`):
/// Debian 12's, a current stable line.
pub const ASSUMED_VERSION: Version = Version::new(3, 7, 0);

/// A `compatibility_level` (`0`, `1`, `2`, `3.6`, …), compared as major.minor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Level(pub u32, pub u32);

impl Level {
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let (major, minor) = text.split_once('.').unwrap_or((text, "0"));
        Some(Self(major.parse().ok()?, minor.parse().ok()?))
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.1 == 0 {
            write!(f, "{}", self.0)
        } else {
            write!(f, "{}.{}", self.0, self.1)
        }
    }
}

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// main.cf (or `postconf -n`) at this line.
    Main(usize),
    /// a `-o` override of the named master.cf service, at this line of master.cf.
    Service(String, usize),
    /// Postfix's built-in default for this version and compatibility level.
    Default,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Main(line) => write!(f, "main.cf line {line}"),
            Self::Service(service, line) => {
                write!(f, "master.cf service {service} (-o, line {line})")
            }
            Self::Default => write!(f, "built-in default"),
        }
    }
}

/// One service's view of the configuration: overrides, then main.cf, then the defaults.
#[derive(Debug, Clone)]
pub struct Settings<'a> {
    pub main: &'a MainCf,
    /// The master.cf service these settings are for, with its `-o` overrides.
    pub service: Option<(String, Vec<Param>)>,
    pub version: Version,
    /// True when `version` was assumed, not read from `mail_version` or given.
    pub version_assumed: bool,
    pub level: Level,
    /// Expanded values already computed: lint and simulate read the same lists many times,
    /// and a hostile chain of `$a $a` references is costly to expand even once.
    cache: std::cell::RefCell<std::collections::HashMap<String, String>>,
    /// How many `value()` calls are under way: a default computed from another parameter
    /// (mydomain from myhostname) starts a new expansion, and `myhostname = $mydomain` would
    /// otherwise recurse forever (found by the fuzzer).
    active: std::cell::Cell<usize>,
    /// Expansion steps spent on the current top-level `value()`: a chain like `a = $b $b`,
    /// `b = $c $c`, … doubles at each level, so the steps are budgeted, not only the depth.
    work: std::cell::Cell<usize>,
    /// The last setting of each name in main.cf, by name: expansion looks names up at every
    /// step, and a linear search made a 5,000-line chain quadratic.
    index: std::rc::Rc<std::collections::HashMap<String, usize>>,
    /// Expansion steps spent in all, for callers that expand many values (lint) and budget
    /// their total.
    spent: std::cell::Cell<usize>,
    /// Why the current top-level expansion stopped early, when it did.
    cut: std::cell::RefCell<Option<String>>,
    /// Parameters whose value could not be expanded whole, and why: a finding for lint and an
    /// approximation for simulate, never a silently shorter value.
    incomplete: std::cell::RefCell<std::collections::BTreeMap<String, String>>,
}

/// Postfix's own limit (src/util/mac_expand.c, `mac_expand_callback`: `if (mc->level++ >
/// 100)` warns "unreasonable macro call nesting" and fails the expansion): text nested deeper
/// than 100 references is an error there, so it is one here, with the same words.
/// <https://github.com/vdukhovni/postfix/blob/master/src/util/mac_expand.c>
const MAX_EXPANSION_DEPTH: usize = 100;
/// Defaults computed from other parameters nest `value()` calls; real ones nest twice.
const MAX_VALUE_NESTING: usize = 8;
/// Expansion steps for one value: far beyond any real configuration, small enough to answer
/// at once for a hostile one.
const MAX_EXPANSION_WORK: usize = 200_000;
/// An expanded value longer than this is cut; no real setting comes near it.
const MAX_EXPANDED_BYTES: usize = 256 * 1024;

impl<'a> Settings<'a> {
    /// main.cf's own view; `version` overrides `mail_version` from the file when given.
    pub fn new(main: &'a MainCf, version: Option<Version>) -> Self {
        let from_file = main
            .get("mail_version")
            .and_then(|p| Version::parse(&p.value));
        let (version, version_assumed) = match version.or(from_file) {
            Some(version) => (version, false),
            None => (ASSUMED_VERSION, true),
        };
        // compatibility_level exists since 3.0; before that, every default is the old one.
        let level = if version.at_least(3, 0) {
            main.get("compatibility_level")
                .and_then(|p| Level::parse(&p.value))
                .unwrap_or(Level(0, 0))
        } else {
            Level(0, 0)
        };
        Self {
            main,
            service: None,
            version,
            version_assumed,
            level,
            cache: Default::default(),
            active: Default::default(),
            work: Default::default(),
            index: std::rc::Rc::new(
                main.params
                    .iter()
                    .enumerate()
                    .map(|(at, param)| (param.name.clone(), at))
                    .collect(),
            ),
            spent: Default::default(),
            cut: Default::default(),
            incomplete: Default::default(),
        }
    }

    /// The same configuration as seen by a master.cf service with these `-o` overrides.
    pub fn for_service(&self, name: &str, overrides: Vec<Param>) -> Self {
        let mut settings = self.clone();
        settings.service = Some((name.to_owned(), overrides));
        settings.cache = Default::default();
        settings.incomplete = Default::default();
        settings
    }

    /// main.cf's own view, without the service's overrides (what daemons other than smtpd,
    /// such as trivial-rewrite, see).
    pub fn main_only(&self) -> Self {
        let mut settings = self.clone();
        settings.service = None;
        settings.cache = Default::default();
        settings.incomplete = Default::default();
        settings
    }

    /// The raw (unexpanded) value and where it came from; `None` for a name with no value
    /// and no default relaydoc knows.
    pub fn raw(&self, name: &str) -> Option<(String, Origin)> {
        if let Some((service, overrides)) = &self.service
            && let Some(param) = overrides.iter().rev().find(|p| p.name == name)
        {
            return Some((
                param.value.clone(),
                Origin::Service(service.clone(), param.line),
            ));
        }
        if let Some(param) = self.index.get(name).map(|&at| &self.main.params[at]) {
            return Some((param.value.clone(), Origin::Main(param.line)));
        }
        self.default(name).map(|value| (value, Origin::Default))
    }

    /// True when main.cf or the service sets the name (not a default).
    pub fn is_set(&self, name: &str) -> bool {
        matches!(
            self.raw(name),
            Some((_, Origin::Main(_) | Origin::Service(..)))
        )
    }

    pub fn origin(&self, name: &str) -> Origin {
        self.raw(name).map_or(Origin::Default, |(_, origin)| origin)
    }

    /// The value with every `$name` expanded.
    pub fn value(&self, name: &str) -> String {
        if let Some(value) = self.cache.borrow().get(name) {
            return value.clone();
        }
        if self.active.get() > MAX_VALUE_NESTING {
            self.stop(format!(
                "unreasonable default nesting: \"{}\"",
                crate::sanitize::excerpt(name, 60)
            ));
            return String::new();
        }
        if self.active.get() == 0 {
            self.work.set(0);
            self.cut.borrow_mut().take();
        }
        self.active.set(self.active.get() + 1);
        let raw = self.raw(name).map(|(value, _)| value).unwrap_or_default();
        let mut out = String::new();
        self.expand_into(&raw, 0, &mut out);
        self.active.set(self.active.get() - 1);
        if self.active.get() == 0 {
            if let Some(why) = self.cut.borrow_mut().take() {
                self.incomplete.borrow_mut().insert(name.to_owned(), why);
            }
            self.cache.borrow_mut().insert(name.to_owned(), out.clone());
        }
        out
    }

    /// Why `name`'s value could not be expanded whole (after [`Settings::value`] read it).
    pub fn expansion_problem(&self, name: &str) -> Option<String> {
        self.incomplete.borrow().get(name).cloned()
    }

    /// Every parameter read so far whose expansion stopped early, and why.
    pub fn expansion_problems(&self) -> Vec<(String, String)> {
        self.incomplete
            .borrow()
            .iter()
            .map(|(name, why)| (name.clone(), why.clone()))
            .collect()
    }

    /// Records the first reason the current expansion stopped.
    fn stop(&self, why: String) {
        self.cut.borrow_mut().get_or_insert(why);
    }

    /// Expands `$name` references in any text, against these settings.
    pub fn expand(&self, text: &str) -> String {
        let mut out = String::new();
        self.expand_into(text, 0, &mut out);
        out
    }

    /// The expanded value split as Postfix splits lists: on commas and whitespace, keeping
    /// `{ … }` groups (inline tables, quoted texts) whole.
    pub fn list(&self, name: &str) -> Vec<String> {
        split_list(&self.value(name))
    }

    /// A yes/no parameter (Postfix takes `yes`/`no`, case-insensitively; anything else is no).
    pub fn flag(&self, name: &str) -> bool {
        self.value(name).trim().eq_ignore_ascii_case("yes")
    }

    /// A numeric parameter such as a reply code, or `fallback` when it does not parse.
    pub fn number(&self, name: &str, fallback: u16) -> u16 {
        self.value(name).trim().parse().unwrap_or(fallback)
    }

    /// Expansion steps spent so far by these settings.
    pub fn expansion_work(&self) -> usize {
        self.spent.get()
    }

    fn expand_into(&self, text: &str, depth: usize, out: &mut String) {
        self.work.set(self.work.get() + 1);
        self.spent.set(self.spent.get() + 1);
        if text.is_empty() {
            return;
        }
        if depth > MAX_EXPANSION_DEPTH {
            // Postfix quotes the text at the level that failed.
            self.stop(format!(
                "unreasonable macro call nesting: \"{}\"",
                crate::sanitize::excerpt(text, 60)
            ));
            return;
        }
        if self.work.get() > MAX_EXPANSION_WORK {
            self.stop(format!(
                "the expansion takes more than {MAX_EXPANSION_WORK} steps (references that \
                 multiply at every level)"
            ));
            return;
        }
        let bytes = text.as_bytes();
        // Brace partners, found once per text: scanning for each `${` separately would be
        // quadratic on a value full of unclosed braces.
        let mut partners: Option<std::collections::HashMap<usize, usize>> = None;
        let mut i = 0;
        while i < bytes.len() {
            if out.len() > MAX_EXPANDED_BYTES {
                self.stop(format!(
                    "the expanded value is longer than {}",
                    crate::files::size(MAX_EXPANDED_BYTES as u64)
                ));
                return;
            }
            let Some(offset) = text[i..].find('$') else {
                out.push_str(&text[i..]);
                return;
            };
            out.push_str(&text[i..i + offset]);
            i += offset + 1;
            match bytes.get(i) {
                Some(b'$') => {
                    out.push('$');
                    i += 1;
                }
                Some(b'{' | b'(') => {
                    let pairs = partners.get_or_insert_with(|| brace_partners(text));
                    let Some(&end) = pairs.get(&i) else {
                        // Unbalanced: keep the text as it is.
                        out.push('$');
                        continue;
                    };
                    let inner = &text[i + 1..end];
                    i = end + 1;
                    self.expand_braced(inner, depth, out);
                }
                Some(c) if is_name_char(*c as char) => {
                    let end = text[i..]
                        .find(|c: char| !is_name_char(c))
                        .map_or(text.len(), |n| i + n);
                    let name = &text[i..end];
                    i = end;
                    if let Some((raw, _)) = self.raw(name) {
                        self.expand_into(&raw, depth + 1, out);
                    }
                }
                _ => out.push('$'),
            }
        }
    }

    /// `${name}`, `${name?text}`, `${name:text}`, `${name?{a}:{b}}`.
    fn expand_braced(&self, inner: &str, depth: usize, out: &mut String) {
        let name_end = inner
            .find(|c: char| !is_name_char(c))
            .unwrap_or(inner.len());
        let (name, rest) = inner.split_at(name_end);
        let value = if name.is_empty() {
            String::new()
        } else {
            let mut value = String::new();
            if let Some((raw, _)) = self.raw(name) {
                self.expand_into(&raw, depth + 1, &mut value);
            }
            value
        };
        let rest = rest.trim_start();
        let Some(op) = rest.chars().next() else {
            out.push_str(&value);
            return;
        };
        let operand = rest[op.len_utf8()..].trim();
        let (when_set, when_unset) = match op {
            '?' | ':' => split_alternatives(operand),
            _ => {
                out.push_str(&value);
                return;
            }
        };
        let nonempty = !value.trim().is_empty();
        let chosen = match (op, nonempty) {
            ('?', true) => Some(when_set),
            ('?', false) => when_unset,
            (':', false) => Some(when_set),
            _ => None,
        };
        if let Some(text) = chosen {
            self.expand_into(text, depth + 1, out);
        }
    }

    /// Postfix's built-in default for the parameters relaydoc reasons about, by version and
    /// compatibility level (postconf(5); COMPATIBILITY_README; checked against `postconf -d`
    /// of Postfix 3.7.11).
    fn default(&self, name: &str) -> Option<String> {
        let v = self.version;
        let level = self.level;
        let value = match name {
            "mail_version" => return Some(self.version.to_string()),
            "compatibility_level" => return Some(level.to_string()),
            // smtpd_relay_restrictions exists since 2.10; with compatibility_level < 1 (an
            // upgraded 3.x that never set it) it is empty, as before 2.10.
            "smtpd_relay_restrictions" => {
                if !v.at_least(2, 10) {
                    return None;
                }
                if v.at_least(3, 0) && level < Level(1, 0) {
                    ""
                } else {
                    "permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination"
                }
            }
            "relay_domains" => {
                if v.at_least(3, 0) && level >= Level(2, 0) {
                    ""
                } else {
                    "$mydestination"
                }
            }
            "mynetworks_style" => {
                if v.at_least(3, 0) && level >= Level(2, 0) {
                    "host"
                } else {
                    "subnet"
                }
            }
            // Since 3.6, and only from compatibility level 3.6 on, the relay list comes first.
            "smtpd_relay_before_recipient_restrictions" => {
                if v.at_least(3, 6) && level >= Level(3, 6) {
                    "yes"
                } else {
                    "no"
                }
            }
            "mydestination" => "$myhostname, localhost.$mydomain, localhost",
            "myhostname" => "localhost.localdomain",
            "mydomain" => {
                let host = self.value("myhostname");
                return Some(match host.split_once('.') {
                    Some((_, domain)) if domain.contains('.') => domain.to_owned(),
                    _ => "localdomain".to_owned(),
                });
            }
            "myorigin" => "$myhostname",
            "smtpd_delay_reject" => "yes",
            "smtpd_helo_required" => "no",
            "soft_bounce" => "no",
            "smtpd_tls_auth_only" => "no",
            "smtpd_sasl_auth_enable" => "no",
            "smtpd_sasl_type" => "cyrus",
            "smtpd_sasl_path" => "smtpd",
            "smtpd_tls_security_level" => "",
            "smtpd_use_tls" | "smtpd_enforce_tls" | "smtpd_tls_wrappermode" => "no",
            "smtpd_client_restrictions"
            | "smtpd_helo_restrictions"
            | "smtpd_sender_restrictions"
            | "smtpd_recipient_restrictions"
            | "smtpd_restriction_classes"
            | "virtual_alias_maps"
            | "virtual_mailbox_maps" => "",
            "virtual_alias_domains" => "$virtual_alias_maps",
            "virtual_mailbox_domains" => "$virtual_mailbox_maps",
            "relay_domains_reject_code"
            | "reject_code"
            | "access_map_reject_code"
            | "maps_rbl_reject_code" => "554",
            "defer_code" | "access_map_defer_code" => "450",
            "unknown_relay_recipient_reject_code" => "550",
            "unknown_client_reject_code"
            | "unknown_hostname_reject_code"
            | "unknown_address_reject_code" => "450",
            "non_fqdn_reject_code" => "504",
            "invalid_hostname_reject_code" => "501",
            "parent_domain_matches_subdomains" => {
                "debug_peer_list, fast_flush_domains, mynetworks, permit_mx_backup_networks, \
                 qmqpd_authorized_clients, relay_domains, smtpd_access_maps"
            }
            "inet_interfaces" => "all",
            _ => return None,
        };
        Some(value.to_owned())
    }
}

/// For every `{` and `(` in `text`, the byte index of the brace that closes it (one pass).
fn brace_partners(text: &str) -> std::collections::HashMap<usize, usize> {
    let mut partners = std::collections::HashMap::new();
    let mut curly = Vec::new();
    let mut round = Vec::new();
    for (index, byte) in text.bytes().enumerate() {
        match byte {
            b'{' => curly.push(index),
            b'(' => round.push(index),
            b'}' => {
                if let Some(open) = curly.pop() {
                    partners.insert(open, index);
                }
            }
            b')' => {
                if let Some(open) = round.pop() {
                    partners.insert(open, index);
                }
            }
            _ => {}
        }
    }
    partners
}

/// Length up to (not including) the brace that closes the one `text` starts with.
fn matching_close(text: &str, open: char, close: char) -> Option<usize> {
    let mut depth = 0usize;
    for (index, c) in text.char_indices() {
        if c == open {
            depth += 1;
        } else if c == close {
            depth = depth.checked_sub(1)?;
            if depth == 0 {
                return Some(index);
            }
        }
    }
    None
}

/// `{a}:{b}` → (a, Some(b)); `{a}` or `a` → (a, None).
fn split_alternatives(operand: &str) -> (&str, Option<&str>) {
    if operand.starts_with('{')
        && let Some(end) = matching_close(operand, '{', '}')
    {
        let first = &operand[1..end];
        let rest = operand[end + 1..].trim_start();
        if let Some(second) = rest.strip_prefix(':') {
            let second = second.trim();
            if second.starts_with('{')
                && let Some(close) = matching_close(second, '{', '}')
            {
                return (first, Some(&second[1..close]));
            }
            return (first, Some(second));
        }
        return (first, None);
    }
    (operand, None)
}

/// Splits a list on commas and whitespace, keeping `{ … }` groups whole.
pub fn split_list(text: &str) -> Vec<String> {
    split_outside_braces(text, |c| c == ',' || c.is_whitespace())
}

/// Splits `text` at every character `separates` says, except inside `{ … }` groups (Postfix
/// keeps those whole in lists and in master.cf's words).
pub fn split_outside_braces(text: &str, separates: impl Fn(char) -> bool) -> Vec<String> {
    let mut items = Vec::new();
    let mut current = String::new();
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '{' => {
                depth += 1;
                current.push(c);
            }
            '}' => {
                depth = depth.saturating_sub(1);
                current.push(c);
            }
            c if depth == 0 && separates(c) => {
                if !current.is_empty() {
                    items.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        items.push(current);
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    fn main_of(text: &str) -> MainCf {
        let (main, problems) = parse_main("main.cf", text);
        assert!(problems.is_empty(), "{problems}");
        main
    }

    #[test]
    fn reads_odd_spacing_comments_and_continuations() {
        let main = main_of(
            "# comment\nmyhostname=mail.example.com\n  \nmydestination   =   $myhostname,\n    localhost\n\t# indented comment\n\texample.com\nempty =\n",
        );
        assert_eq!(
            main.get("myhostname").map(|p| p.value.as_str()),
            Some("mail.example.com")
        );
        let dest = main.get("mydestination").expect("set");
        assert_eq!(dest.value, "$myhostname, localhost example.com");
        assert_eq!(dest.line, 4);
        assert_eq!(main.get("empty").map(|p| p.value.as_str()), Some(""));
    }

    #[test]
    fn bad_lines_name_file_and_line() {
        let (main, problems) = parse_main(
            "x.cf",
            "a = 1\nno equals here\nb c = 3\n  \n continued = 2\n",
        );
        let text = problems.to_string();
        assert!(text.contains("x.cf:2:1: expected `name = value`"), "{text}");
        // The indented line continues `b c = 3`, so the logical line is reported where it starts.
        assert!(
            text.contains("x.cf:3:1: `b c` is not a parameter name"),
            "{text}"
        );
        assert!(
            parse_main("y.cf", "  lone = 1")
                .1
                .to_string()
                .contains("y.cf:1:1: a continuation line")
        );
        assert_eq!(main.params.len(), 1);
    }

    #[test]
    fn expands_every_form() {
        let main = main_of(
            "myhostname = mail.example.com\nmydomain = example.com\na = $myhostname\nb = ${mydomain}\nc = $(a)\nd = ${mydomain?yes}${nothing?no}\ne = ${nothing:fallback}\nf = ${mydomain?{x}:{y}} ${nothing?{x}:{y}}\ng = $$literal\nloop = $loop\n",
        );
        let s = Settings::new(&main, None);
        assert_eq!(s.value("a"), "mail.example.com");
        assert_eq!(s.value("b"), "example.com");
        assert_eq!(s.value("c"), "mail.example.com");
        assert_eq!(s.value("d"), "yes");
        assert_eq!(s.value("e"), "fallback");
        assert_eq!(s.value("f"), "x y");
        assert_eq!(s.value("g"), "$literal");
        assert_eq!(s.value("loop"), "");
        assert_eq!(
            s.value("mydestination"),
            "mail.example.com, localhost.example.com, localhost"
        );
    }

    #[test]
    fn defaults_follow_version_and_compatibility_level() {
        let old = main_of("");
        let s = Settings::new(&old, None);
        assert_eq!(s.level, Level(0, 0));
        assert_eq!(s.value("smtpd_relay_restrictions"), "");
        assert_eq!(
            s.value("relay_domains"),
            "$mydestination".replace("$mydestination", &s.value("mydestination"))
        );
        assert_eq!(s.value("mynetworks_style"), "subnet");
        let new = main_of("compatibility_level = 3.6");
        let s = Settings::new(&new, None);
        assert_eq!(
            s.value("smtpd_relay_restrictions"),
            "permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination"
        );
        assert_eq!(s.value("relay_domains"), "");
        assert_eq!(s.value("mynetworks_style"), "host");
        assert!(s.flag("smtpd_relay_before_recipient_restrictions"));
        let pre_210 = Settings::new(&new, Version::parse("2.9.4"));
        assert_eq!(pre_210.raw("smtpd_relay_restrictions"), None);
        assert!(!pre_210.flag("smtpd_relay_before_recipient_restrictions"));
        let v35 = Settings::new(&new, Version::parse("3.5.1"));
        assert!(!v35.flag("smtpd_relay_before_recipient_restrictions"));
    }

    #[test]
    fn defaults_that_refer_back_do_not_recurse_forever() {
        // Found by the fuzzer: mydomain's default is computed from myhostname.
        let main = main_of("myhostname = $mydomain\nmydestination = $myhostname\n");
        let s = Settings::new(&main, None);
        assert_eq!(s.value("mydestination"), "localdomain");
    }

    #[test]
    fn lists_keep_brace_groups() {
        assert_eq!(
            split_list(
                "permit_mynetworks,  check_client_access inline:{ 1.2.3.4=OK, {5.6.7.8 = REJECT go away} },reject"
            ),
            vec![
                "permit_mynetworks",
                "check_client_access",
                "inline:{ 1.2.3.4=OK, {5.6.7.8 = REJECT go away} }",
                "reject"
            ]
        );
    }

    #[test]
    fn versions_and_levels_parse() {
        assert_eq!(Version::parse("3.7.11"), Some(Version::new(3, 7, 11)));
        assert_eq!(
            Version::parse("3.10-20240101"),
            Some(Version::new(3, 10, 0))
        );
        assert_eq!(Version::parse("x"), None);
        assert!(Level::parse("3.6") > Level::parse("2"));
        assert_eq!(Level::parse("junk"), None);
    }
}
