//! The RCPT ACL walked for one client and a recipient in a domain this server does not
//! handle: is the mail relayed or refused, and by which statement.
//!
//! Exim's rules, from the specification's chapter "Access control lists"
//! (<https://www.chiark.greenend.org.uk/doc/exim4-doc-html/spec_html/ch-access_control_lists.html>):
//! statements are tried in order; the conditions of one are all required (the first false one
//! ends it); `accept`/`discard` accept when all hold, `deny`/`drop` refuse, `defer` refuses for
//! now, `require` refuses when one fails, `warn` never decides; the end of the ACL refuses.
//!
//! Conditions about who the client is and where the mail goes (`hosts`, `authenticated`,
//! `domains`, `local_parts`, `encrypted`) are judged; conditions about the message or the
//! client's behaviour (`verify`, `dnslists`, `ratelimit`, `senders`, `condition`, `acl`, …)
//! are assumed to go the well-behaved way (a `deny` for them does not fire, a `require` for
//! them holds) and are listed in [`Verdict::assumed`]. What needs DNS, a lookup file or the
//! server's interfaces gives [`Outcome::Unknown`], never a guess.

use std::net::IpAddr;

use serde::Serialize;

use crate::exim::config::{Condition, EximConfig, Shape, Statement, Verb};
use crate::exim::lists::{HostMatch, foreign_domain_matches, match_host, split};

/// The local part the walk's recipient has: a plain name, as a person's address would be.
pub const LOCAL_PART: &str = "friend";

/// Who connects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Client {
    pub ip: IpAddr,
    /// Signed in (SMTP AUTH succeeded).
    pub authenticated: bool,
    /// The session is encrypted (STARTTLS or TLS on connect).
    pub tls: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Accept,
    Refuse,
    Defer,
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub outcome: Outcome,
    /// The ACL walked (`acl_smtp_rcpt`), when there is one.
    pub acl: Option<String>,
    /// The input line of the statement that decided (or could not be judged).
    pub line: Option<usize>,
    /// Why, in words: the statement, or what could not be judged.
    pub reason: String,
    /// The statement's `message =`, when it refused with one.
    pub message: Option<String>,
    /// Conditions assumed to go the well-behaved way, as `name (line N)`.
    pub assumed: Vec<String>,
}

/// The verdict for `client` sending to a recipient in a domain this server does not handle.
pub fn rcpt_verdict(config: &EximConfig, client: &Client) -> Verdict {
    let mut verdict = Verdict {
        outcome: Outcome::Unknown,
        acl: None,
        line: None,
        reason: String::new(),
        message: None,
        assumed: Vec::new(),
    };
    let setting = config.option("acl_smtp_rcpt");
    let name = setting.map(|s| s.value.trim()).unwrap_or_default();
    if name.is_empty() {
        if setting.is_none() && config.shape == Shape::Options {
            verdict.reason = "acl_smtp_rcpt is not in this input".into();
            return verdict;
        }
        // Exim refuses every RCPT over SMTP when no RCPT ACL is set (measured: Exim 4.96
        // answers "550 Administrative prohibition"; tests/exim_matrix.rs).
        verdict.outcome = Outcome::Refuse;
        verdict.line = setting.map(|s| s.line);
        verdict.reason = "acl_smtp_rcpt is not set, so Exim refuses every recipient".into();
        return verdict;
    }
    verdict.acl = Some(name.to_owned());
    let Some(acl) = config.acl(name) else {
        verdict.line = setting.map(|s| s.line);
        verdict.reason = if config.saw_acl_section {
            format!("acl_smtp_rcpt names {name}, which is not an ACL in this input")
        } else {
            format!(
                "the ACL {name} is not in this input (give `exim -bP config` output to judge it)"
            )
        };
        return verdict;
    };
    // Statements that could not be judged, with what they would decide if they fired: the
    // verdict stands only when it is the same either way.
    let mut pending: Vec<(Outcome, String, usize)> = Vec::new();
    let mut decided = None;
    for statement in &acl.statements {
        let held = conditions_hold(config, statement, client, &mut verdict.assumed);
        let fired = match statement.verb {
            Verb::Warn => continue,
            Verb::Accept | Verb::Discard => Outcome::Accept,
            Verb::Deny | Verb::Drop | Verb::Require => Outcome::Refuse,
            Verb::Defer => Outcome::Defer,
        };
        let fires = match held {
            Held::Unknown(why) => {
                pending.push((
                    fired,
                    format!(
                        "`{}` on line {} depends on {}, which relaydoc cannot judge offline",
                        statement.verb.as_str(),
                        statement.line,
                        crate::sanitize::excerpt(&why, 120)
                    ),
                    statement.line,
                ));
                continue;
            }
            // `require` refuses when a condition fails; the others act when all hold.
            Held::Yes => statement.verb != Verb::Require,
            Held::No => statement.verb == Verb::Require,
        };
        if fires {
            decided = Some((
                fired,
                statement.line,
                statement.message().map(str::to_owned),
                format!(
                    "`{}` on line {}{}",
                    statement.verb.as_str(),
                    statement.line,
                    describe(statement)
                ),
            ));
            break;
        }
    }
    let (outcome, line, message, reason) = decided.unwrap_or_else(|| {
        (
            Outcome::Refuse,
            acl.line,
            None,
            format!("the end of the ACL {name} (an implicit deny)"),
        )
    });
    if let Some((_, why, at)) = pending.into_iter().find(|(would, _, _)| *would != outcome) {
        verdict.line = Some(at);
        verdict.reason = why;
        return verdict;
    }
    verdict.outcome = outcome;
    verdict.line = Some(line);
    verdict.message = message;
    verdict.reason = reason;
    verdict
}

enum Held {
    Yes,
    No,
    Unknown(String),
}

fn conditions_hold(
    config: &EximConfig,
    statement: &Statement,
    client: &Client,
    assumed: &mut Vec<String>,
) -> Held {
    let mut unknown = None;
    let mut after_endpass = false;
    for condition in &statement.conditions {
        if condition.name == "endpass" {
            after_endpass = true;
            continue;
        }
        let value = match judge(config, condition, client) {
            Judged::Modifier => continue,
            Judged::Known(value) => value != condition.negated,
            Judged::Unknown(why) => {
                unknown.get_or_insert(why);
                continue;
            }
            Judged::Behaviour => {
                // The well-behaved way: the statement does not refuse for it.
                let value = match statement.verb {
                    Verb::Deny | Verb::Drop | Verb::Defer => false,
                    Verb::Accept | Verb::Discard
                        if !after_endpass
                            && matches!(condition.name.as_str(), "condition" | "acl") =>
                    {
                        unknown.get_or_insert(format!(
                            "{}{} = {}",
                            if condition.negated { "!" } else { "" },
                            condition.name,
                            condition.value
                        ));
                        continue;
                    }
                    _ => true,
                };
                assumed.push(format!("{} (line {})", condition.name, condition.line));
                value
            }
        };
        if !value {
            return Held::No;
        }
    }
    match unknown {
        Some(why) => Held::Unknown(why),
        None => Held::Yes,
    }
}

enum Judged {
    Known(bool),
    Unknown(String),
    Behaviour,
    Modifier,
}

fn judge(config: &EximConfig, condition: &Condition, client: &Client) -> Judged {
    let value = condition.value.trim();
    match condition.name.as_str() {
        "message" | "log_message" | "logwrite" | "control" | "set" | "add_header"
        | "remove_header" | "delay" | "udpsend" | "queue" | "continue" | "debug"
        | "log_reject_target" => Judged::Modifier,
        "hosts" => match match_host(config, value, client.ip) {
            HostMatch::Yes(_) => Judged::Known(true),
            HostMatch::No => Judged::Known(false),
            HostMatch::Unknown(item) => Judged::Unknown(format!("hosts = {value} ({item})")),
        },
        "authenticated" => {
            if !client.authenticated {
                Judged::Known(false)
            } else if split(value).iter().any(|i| i == "*") {
                Judged::Known(true)
            } else {
                Judged::Unknown(format!("authenticated = {value}"))
            }
        }
        "encrypted" => Judged::Known(client.tls && split(value).iter().any(|i| i == "*")),
        "domains" => match foreign_domain_matches(config, value) {
            Some(known) => Judged::Known(known),
            None => Judged::Unknown(format!("domains = {value}")),
        },
        "local_parts" => local_part_matches(value),
        _ => Judged::Behaviour,
    }
}

/// `local_parts` against [`LOCAL_PART`]: names compare, `^` items are regular expressions
/// (written as in the configuration, `\\` for one backslash).
fn local_part_matches(list: &str) -> Judged {
    let items = split(list);
    let last_negated = items.last().is_some_and(|i| i.starts_with('!'));
    for item in &items {
        let (negated, bare) = match item.strip_prefix('!') {
            Some(rest) => (true, rest.trim()),
            None => (false, item.as_str()),
        };
        let matched = if bare.starts_with('^') {
            match regex::Regex::new(&bare.replace("\\\\", "\\")) {
                Ok(re) => re.is_match(LOCAL_PART),
                Err(_) => return Judged::Unknown(format!("local_parts = {list}")),
            }
        } else if bare.contains(';') || bare.starts_with("${") || bare.starts_with('/') {
            return Judged::Unknown(format!("local_parts = {list}"));
        } else {
            bare.eq_ignore_ascii_case(LOCAL_PART)
        };
        if matched {
            return Judged::Known(!negated);
        }
    }
    Judged::Known(last_negated)
}

/// ` (hosts = +relay_from_hosts)`: the statement's judged conditions, for messages.
fn describe(statement: &Statement) -> String {
    let shown: Vec<String> = statement
        .conditions
        .iter()
        .filter(|c| {
            matches!(
                c.name.as_str(),
                "hosts" | "authenticated" | "domains" | "encrypted" | "message"
            )
        })
        .map(|c| {
            format!(
                "{}{} = {}",
                if c.negated { "!" } else { "" },
                c.name,
                crate::sanitize::excerpt(&c.value, 80)
            )
        })
        .collect();
    if shown.is_empty() {
        String::new()
    } else {
        format!(" ({})", shown.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exim::config::parse;

    /// Exim's default configure file's RCPT ACL, as in the specification's chapter "The
    /// default configuration file"
    /// (<https://www.chiark.greenend.org.uk/doc/exim4-doc-html/spec_html/ch-the_default_configuration_file.html>).
    const DEFAULT: &str = "\
domainlist local_domains = @
domainlist relay_to_domains =
hostlist   relay_from_hosts = localhost : 127.0.0.1 : ::::1
acl_smtp_rcpt = acl_check_rcpt
begin acl
acl_check_rcpt:
  accept  hosts = :
          control = dkim_disable_verify
  deny    domains       = +local_domains
          local_parts   = ^[.] : ^.*[@%!/|]
          message       = Restricted characters in address
  deny    domains       = !+local_domains
          local_parts   = ^[./|] : ^.*[@%!] : ^.*/\\\\.\\\\./
          message       = Restricted characters in address
  accept  local_parts   = postmaster
          domains       = +local_domains
  require verify        = sender
  accept  hosts         = +relay_from_hosts
          control       = submission
  accept  authenticated = *
          control       = submission
  require message = relay not permitted
          domains = +local_domains : +relay_to_domains
  require verify = recipient
  accept
";

    fn client(ip: &str, authenticated: bool) -> Client {
        Client {
            ip: ip
                .parse()
                .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED)),
            authenticated,
            tls: false,
        }
    }

    #[test]
    fn the_default_acl_relays_for_its_hosts_and_signed_in_users_only() {
        let (config, problems) = parse("default", DEFAULT);
        assert!(problems.is_empty(), "{problems}");
        let stranger = rcpt_verdict(&config, &client("203.0.113.9", false));
        assert_eq!(stranger.outcome, Outcome::Refuse, "{stranger:?}");
        assert_eq!(stranger.message.as_deref(), Some("relay not permitted"));
        assert!(stranger.assumed.iter().any(|a| a.starts_with("verify")));
        // `localhost` is judged as the loopback addresses (lists.rs).
        let local = rcpt_verdict(&config, &client("127.0.0.1", false));
        assert_eq!(local.outcome, Outcome::Accept, "{local:?}");
        let signed_in = rcpt_verdict(&config, &client("203.0.113.9", true));
        assert_eq!(signed_in.outcome, Outcome::Accept, "{signed_in:?}");
    }

    #[test]
    fn no_rcpt_acl_refuses_everything_and_bare_options_say_unknown() {
        let (config, _) = parse("c", "begin acl\n");
        assert_eq!(
            rcpt_verdict(&config, &client("127.0.0.1", true)).outcome,
            Outcome::Refuse
        );
        let (options, _) = parse("bp", "acl_smtp_rcpt = acl_check_rcpt\n");
        let verdict = rcpt_verdict(&options, &client("127.0.0.1", true));
        assert_eq!(verdict.outcome, Outcome::Unknown);
        assert!(
            verdict.reason.contains("exim -bP config"),
            "{}",
            verdict.reason
        );
    }

    #[test]
    fn a_lookup_before_the_decision_is_unknown_not_guessed() {
        let (config, _) = parse(
            "c",
            "acl_smtp_rcpt = r\nbegin acl\nr:\n  accept hosts = net32-lsearch;/etc/alwaysrelay\n  \
             require message = relay not permitted\n          domains = example.test\n  accept\n",
        );
        let verdict = rcpt_verdict(&config, &client("203.0.113.9", false));
        assert_eq!(verdict.outcome, Outcome::Unknown);
        assert!(
            verdict.reason.contains("/etc/alwaysrelay"),
            "{}",
            verdict.reason
        );
    }
}
