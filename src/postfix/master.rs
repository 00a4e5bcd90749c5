//! master.cf: the services, and the `-o name=value` overrides that make a submission port
//! behave differently from port 25.
//!
//! master(5): a service line starts in column one with eight fields (service, type, private,
//! unpriv, chroot, wakeup, maxproc, command + args); lines that start with whitespace continue
//! it; `#` lines and blank lines are ignored. Overrides are `-o name=value` or, since Postfix
//! 3.0, `-o { name = value }` (which may hold spaces).

use crate::diagnostic::{Diagnostic, Diagnostics, Position};
use crate::postfix::config::{Param, clip, is_name_char};

/// One master.cf service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// `smtp`, `submission`, `127.0.0.1:2600`, …
    pub name: String,
    /// `inet`, `unix`, `pass`, …
    pub kind: String,
    /// The program: `smtpd`, `postscreen`, `qmgr`, …
    pub command: String,
    pub overrides: Vec<Param>,
    pub line: usize,
}

impl Service {
    /// An SMTP server a client can talk to directly (or through postscreen's hand-off).
    pub fn is_smtpd(&self) -> bool {
        self.command == "smtpd" && (self.kind == "inet" || self.kind == "pass")
    }

    /// The TCP port this service listens on, when its name says (`smtp` 25, `submission` 587,
    /// `smtps`/`submissions` 465, `2600`, `127.0.0.1:2600`, `[::1]:2600`).
    pub fn port(&self) -> Option<u16> {
        let port = self.name.rsplit(':').next().unwrap_or(&self.name);
        match port {
            "smtp" => Some(25),
            "submission" => Some(587),
            "smtps" | "submissions" => Some(465),
            other => other.parse().ok(),
        }
    }

    /// Mail submission by users (587, 465), where signing in is the point.
    pub fn is_submission(&self) -> bool {
        matches!(self.port(), Some(587 | 465))
            || self.name.contains("submission")
            || self.name == "smtps"
    }
}

/// Reads master.cf text; bad lines are reported with file:line and skipped.
pub fn parse_master(file: &str, text: &str) -> (Vec<Service>, Diagnostics) {
    let mut services = Vec::new();
    let mut problems = Diagnostics::default();
    // Each logical line: its starting line and its words, each word with the line it is on.
    let mut current: Option<(usize, Vec<(String, usize)>)> = None;
    for (index, raw) in text.split('\n').enumerate() {
        let number = index + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let words = words_of(trimmed).into_iter().map(|word| (word, number));
        if line.starts_with([' ', '\t']) {
            match current.as_mut() {
                Some((_, all)) => all.extend(words),
                None => problems.push(
                    Diagnostic::new(file, "a continuation line with no service line before it")
                        .at(Some(Position::new(number as u64, 1))),
                ),
            }
            continue;
        }
        if let Some((start, all)) = current.take() {
            finish_service(file, start, all, &mut services, &mut problems);
        }
        current = Some((number, words.collect()));
    }
    if let Some((start, all)) = current.take() {
        finish_service(file, start, all, &mut services, &mut problems);
    }
    (services, problems)
}

/// Words split on whitespace, keeping `{ … }` groups whole.
fn words_of(text: &str) -> Vec<String> {
    crate::postfix::config::split_outside_braces(text, char::is_whitespace)
}

fn finish_service(
    file: &str,
    start: usize,
    words: Vec<(String, usize)>,
    services: &mut Vec<Service>,
    problems: &mut Diagnostics,
) {
    let at = |line: usize| Some(Position::new(line as u64, 1));
    if words.len() < 8 {
        problems.push(
            Diagnostic::new(
                file,
                format!(
                    "a service line needs 8 fields (service type private unpriv chroot wakeup \
                     maxproc command), found {}",
                    words.len()
                ),
            )
            .at(at(start)),
        );
        return;
    }
    let mut service = Service {
        name: words[0].0.clone(),
        kind: words[1].0.clone(),
        command: words[7].0.rsplit('/').next().unwrap_or_default().to_owned(),
        overrides: Vec::new(),
        line: start,
    };
    let mut rest = words[8..].iter();
    while let Some((word, line)) = rest.next() {
        let setting = if word == "-o" {
            match rest.next() {
                Some((next, line)) => (next.clone(), *line),
                None => {
                    problems.push(
                        Diagnostic::new(
                            file,
                            format!("`-o` at the end of service {}", service.name),
                        )
                        .at(at(*line)),
                    );
                    break;
                }
            }
        } else if let Some(glued) = word.strip_prefix("-o").filter(|w| !w.is_empty()) {
            (glued.to_owned(), *line)
        } else {
            continue;
        };
        match parse_override(&setting.0) {
            Some((name, value)) => service.overrides.push(Param {
                name,
                value,
                line: setting.1,
            }),
            None => problems.push(
                Diagnostic::new(
                    file,
                    format!(
                        "`-o {}` of service {}: expected name=value",
                        crate::sanitize::single_line(&clip(&setting.0, 60)),
                        crate::sanitize::single_line(&service.name)
                    ),
                )
                .at(at(setting.1)),
            ),
        }
    }
    services.push(service);
}

/// `name=value` or `{ name = value }`.
fn parse_override(text: &str) -> Option<(String, String)> {
    let inner = match text.strip_prefix('{') {
        Some(rest) => rest.strip_suffix('}')?.trim(),
        None => text,
    };
    let (name, value) = inner.split_once('=')?;
    let name = name.trim();
    if name.is_empty() || !name.chars().all(is_name_char) {
        return None;
    }
    Some((name.to_owned(), value.trim().to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MASTER: &str = "\
# comment
smtp      inet  n       -       y       -       -       smtpd
submission inet n       -       y       -       -       smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o { smtpd_client_restrictions = permit_sasl_authenticated, reject }
#  -o commented_out=yes
127.0.0.1:2600 inet n - n - - smtpd -o smtpd_relay_restrictions=permit_mynetworks,reject_unauth_destination
pickup    unix  n       -       y       60      1       pickup
";

    #[test]
    fn services_and_overrides() {
        let (services, problems) = parse_master("master.cf", MASTER);
        assert!(problems.is_empty(), "{problems}");
        assert_eq!(services.len(), 4);
        let submission = &services[1];
        assert!(submission.is_smtpd() && submission.is_submission());
        assert_eq!(submission.port(), Some(587));
        assert_eq!(submission.overrides.len(), 3);
        assert_eq!(submission.overrides[2].name, "smtpd_client_restrictions");
        assert_eq!(
            submission.overrides[2].value,
            "permit_sasl_authenticated, reject"
        );
        assert_eq!(submission.overrides[2].line, 6);
        assert_eq!(services[2].port(), Some(2600));
        assert_eq!(
            services[2].overrides[0].value,
            "permit_mynetworks,reject_unauth_destination"
        );
        assert!(!services[3].is_smtpd());
    }

    #[test]
    fn bad_lines_are_reported_with_their_line() {
        let (services, problems) =
            parse_master("m.cf", "smtp inet n\n  -o\nx inet n - n - - smtpd -o bad\n");
        let text = problems.to_string();
        assert!(
            text.contains("m.cf:1:1: a service line needs 8 fields"),
            "{text}"
        );
        assert!(text.contains("m.cf:3:1: `-o bad` of service x"), "{text}");
        assert_eq!(services.len(), 1);
    }
}
