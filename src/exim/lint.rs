//! `exim lint`: findings about who may relay through an Exim server, each with the cause id
//! from DESIGN.md, the option or list it is about, a plain message, and the exact lines to
//! write. With `--log`, the clients a log shows refused ("relay not permitted") are read next
//! to `relay_from_hosts` and the RCPT ACL.
//!
//! Debian builds `relay_from_hosts` from `dc_relay_nets` in
//! `/etc/exim4/update-exim4.conf.conf` (its `update-exim4.conf` appends `127.0.0.1 : ::::1`),
//! so on Debian the fix names that file; on cPanel the "always relay" addresses are the file
//! `/etc/alwaysrelay` (WHM » Exim Configuration Manager;
//! <https://docs.cpanel.net/whm/service-configuration/exim-configuration-manager-basic-editor/>).

use std::net::{IpAddr, Ipv4Addr};

use crate::exim::acl::{Client, Outcome, rcpt_verdict};
use crate::exim::config::{Authenticator, EximConfig, Shape};
use crate::exim::lists::{HostMatch, join, match_host, split};
use crate::postfix::lint::{Finding, Report, Severity};
use crate::postfix::net::{Net, normalize};
use crate::postfix::refused::RefusedClient;

/// A client from nowhere in particular (TEST-NET-2, RFC 5737): the open-relay probe.
const STRANGER: IpAddr = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 7));

/// Refused clients given a finding each; the rest are counted in one.
const MAX_CLIENTS: usize = 20;

/// Debian's plaintext authenticator from its exim4.conf.template (exim4-config 4.96),
/// checking `/etc/exim4/passwd`, offered only inside TLS. Works with exim4-daemon-light,
/// which has no dovecot driver.
const PLAIN_SERVER: &str = "begin authenticators
plain_server:
  driver = plaintext
  public_name = PLAIN
  server_condition = \"${if crypteq{$auth3}{${extract{1}{:}{${lookup{$auth2}lsearch{/etc/exim4/passwd}{$value}{*:*}}}}}{1}{0}}\"
  server_set_id = $auth2
  server_prompts = :
  server_advertise_condition = ${if eq{$tls_in_cipher}{}{}{*}}";

/// Lints the configuration; `refused` are the clients a log shows refused for relaying.
pub fn lint(config: &EximConfig, refused: &[RefusedClient]) -> Report {
    let mut findings = Vec::new();
    let mut add =
        |id: &str, cause: &str, severity, parameter: &str, message: String, fix: String, line| {
            findings.push(Finding::new(
                id, cause, severity, parameter, &message, fix, line,
            ));
        };
    let restart = if config.is_debian() {
        "update-exim4.conf && systemctl restart exim4"
    } else {
        "systemctl restart exim   # or exim4: the name of Exim's service here"
    };

    // What the input holds.
    if config.shape == Shape::Options && config.lists.is_empty() && config.acls.is_empty() {
        add(
            "options-only",
            "relay-restrictions-misconfigured",
            Severity::Info,
            "relay_from_hosts",
            "this is `exim -bP` output: it has Exim's options but neither relay_from_hosts nor \
             the RCPT ACL, which decide who may relay; relaydoc judged only what is here"
                .into(),
            "exim -bP config > exim.txt && relaydoc exim lint exim.txt".into(),
            None,
        );
    }
    for (line, target) in &config.includes {
        add(
            "include-not-read",
            "relay-restrictions-misconfigured",
            Severity::Info,
            ".include",
            format!(
                "line {line} includes {}, which relaydoc does not read; settings in it are not judged",
                crate::sanitize::excerpt(target, 120)
            ),
            "exim -bP config > exim.txt && relaydoc exim lint exim.txt   # Exim resolves the includes"
                .into(),
            Some(*line),
        );
    }

    // The RCPT ACL itself.
    let rcpt = config.option("acl_smtp_rcpt");
    let rcpt_name = rcpt.map(|s| s.value.trim()).unwrap_or_default();
    if rcpt_name.is_empty() && (rcpt.is_some() || config.shape == Shape::Configuration) {
        add(
            "rcpt-acl-unset",
            "relay-restrictions-misconfigured",
            Severity::Error,
            "acl_smtp_rcpt",
            "acl_smtp_rcpt is not set: Exim then refuses every recipient over SMTP, even for \
             its own domains and its own users"
                .into(),
            "in the main section:\nacl_smtp_rcpt = acl_check_rcpt\nand in `begin acl` the RCPT \
             ACL of Exim's default configuration (acl_check_rcpt), then:\n"
                .to_owned()
                + restart,
            rcpt.map(|s| s.line),
        );
    } else if !rcpt_name.is_empty() && config.saw_acl_section && config.acl(rcpt_name).is_none() {
        add(
            "rcpt-acl-missing",
            "relay-restrictions-misconfigured",
            Severity::Error,
            "acl_smtp_rcpt",
            format!(
                "acl_smtp_rcpt names {}, but no ACL of that name is defined under `begin acl`",
                crate::sanitize::excerpt(rcpt_name, 80)
            ),
            format!(
                "define `{}:` under `begin acl`, or set acl_smtp_rcpt to the name of the RCPT ACL that is there",
                crate::sanitize::excerpt(rcpt_name, 80)
            ),
            rcpt.map(|s| s.line),
        );
    }

    // relay_from_hosts: empty, or the whole internet.
    let relay_hosts = config.list("relay_from_hosts");
    let servers: Vec<&Authenticator> = config.server_authenticators().collect();
    let mut open_reported = false;
    if let Some(list) = relay_hosts {
        let items = split(&list.value);
        let wide: Vec<&String> = items
            .iter()
            .filter(|i| i.as_str() == "*" || Net::parse(i).is_some_and(|n| n.is_internet_wide()))
            .collect();
        if let Some(item) = wide.first() {
            open_reported = true;
            let kept: Vec<String> = items
                .iter()
                .filter(|i| !wide.contains(i))
                .cloned()
                .collect();
            let kept = if kept.is_empty() {
                vec!["127.0.0.1".to_owned(), "::1".to_owned()]
            } else {
                kept
            };
            add(
                "relay-from-hosts-open",
                "relay-restrictions-misconfigured",
                Severity::Error,
                "relay_from_hosts",
                format!(
                    "relay_from_hosts holds {}: every address on the internet may relay through \
                     this server without signing in. This is an open relay; spammers find such \
                     servers within hours and the server's address lands on blocklists",
                    crate::sanitize::excerpt(item, 40)
                ),
                relay_fix(config, &kept, restart),
                Some(list.line),
            );
        } else if items.is_empty() && config.saw_authenticators && servers.is_empty() {
            add(
                "nobody-may-relay",
                "server-sasl-disabled",
                Severity::Warning,
                "relay_from_hosts",
                "relay_from_hosts is empty and no authenticator lets mail programs sign in: \
                 nobody can send mail through this server to other domains (\"relay not \
                 permitted\")"
                    .into(),
                format!(
                    "for machines on your own network, list them:\n{}\nor let users sign in \
                     (see the finding about authenticators)",
                    relay_fix(config, &["192.168.1.0/24".to_owned()], restart)
                ),
                Some(list.line),
            );
        }
    }

    // The ACL walked for a stranger: an open relay however it is built.
    let stranger = rcpt_verdict(
        config,
        &Client {
            ip: STRANGER,
            authenticated: false,
            tls: true,
        },
    );
    if stranger.outcome == Outcome::Accept && !open_reported {
        add(
            "open-relay",
            "relay-restrictions-misconfigured",
            Severity::Error,
            "acl_smtp_rcpt",
            format!(
                "a client from anywhere ({STRANGER}), not signed in, may send mail to other \
                 domains: the RCPT ACL {} accepts it ({}). This is an open relay",
                crate::sanitize::excerpt(stranger.acl.as_deref().unwrap_or_default(), 60),
                crate::sanitize::excerpt(&stranger.reason, 200)
            ),
            "make the RCPT ACL end its relay checks with (before any unconditional accept):\n  \
             accept  hosts = +relay_from_hosts\n  accept  authenticated = *\n  require message = \
             relay not permitted\n          domains = +local_domains : +relay_to_domains"
                .to_owned(),
            stranger.line,
        );
    }

    // Authenticators.
    if config.saw_authenticators && servers.is_empty() {
        let client_only = config.authenticators.len();
        add(
            "no-server-authenticators",
            "server-sasl-disabled",
            Severity::Warning,
            "authenticators",
            format!(
                "no authenticator lets mail programs sign in{}: only the addresses in \
                 relay_from_hosts may send mail to other domains, and every other mail program \
                 gets \"relay not permitted\"",
                if client_only > 0 {
                    format!(
                        " (the {client_only} defined only sign this server in to another one: \
                         they have no server_ options)"
                    )
                } else {
                    String::new()
                }
            ),
            format!(
                "{}\n{PLAIN_SERVER}\nthen add users to /etc/exim4/passwd (user:crypted-password) \
                 and:\n{restart}",
                if config.is_debian() {
                    "in /etc/exim4/exim4.conf.template (or conf.d/auth/30_exim4-config_examples), \
                     uncomment plain_server; it is:"
                } else {
                    "add to the configure file:"
                }
            ),
            None,
        );
    } else if config.shape == Shape::Options && !config.saw_authenticators {
        add(
            "authenticators-not-given",
            "server-sasl-disabled",
            Severity::Info,
            "authenticators",
            "the input has no authenticators section: relaydoc cannot tell whether mail \
             programs can sign in"
                .into(),
            "exim -bP authenticators >> exim.txt   # or give `exim -bP config`".into(),
            None,
        );
    }
    if !servers.is_empty() {
        let tls_only = servers
            .iter()
            .all(|a| needs_tls(a.option("server_advertise_condition")))
            || config
                .option("auth_advertise_hosts")
                .is_some_and(|s| mentions_tls(&s.value));
        let advertise = config.option("tls_advertise_hosts");
        let certificate = config.option("tls_certificate");
        let no_tls = advertise.is_some_and(|s| s.value.trim().is_empty())
            || certificate.is_some_and(|s| s.value.trim().is_empty())
            || (config.shape == Shape::Configuration && certificate.is_none());
        if tls_only && no_tls {
            add(
                "tls-auth-only-without-tls",
                "server-sasl-disabled",
                Severity::Error,
                if advertise.is_some_and(|s| s.value.trim().is_empty()) {
                    "tls_advertise_hosts"
                } else {
                    "tls_certificate"
                },
                format!(
                    "the authenticators ({}) are offered only inside TLS, but TLS is not set up \
                     ({}): no mail program can sign in, so everyone outside relay_from_hosts gets \
                     \"relay not permitted\"",
                    servers
                        .iter()
                        .map(|a| crate::sanitize::excerpt(&a.mechanism(), 20))
                        .collect::<Vec<_>>()
                        .join(", "),
                    if advertise.is_some_and(|s| s.value.trim().is_empty()) {
                        "tls_advertise_hosts is empty"
                    } else {
                        "tls_certificate is not set"
                    }
                ),
                if config.is_debian() {
                    format!(
                        "in /etc/exim4/exim4.conf.localmacros:\nMAIN_TLS_ENABLE = yes\nand a \
                         certificate in /etc/exim4/exim.crt and exim.key \
                         (/usr/share/doc/exim4-base/examples/exim-gencert, or your CA's), then:\n{restart}"
                    )
                } else {
                    format!(
                        "tls_advertise_hosts = *\ntls_certificate = /etc/exim/exim.crt\n\
                         tls_privatekey = /etc/exim/exim.key\nthen:\n{restart}"
                    )
                },
                advertise
                    .filter(|s| s.value.trim().is_empty())
                    .or(certificate)
                    .map(|s| s.line),
            );
        }
        // Signed-in users refused anyway: no `accept authenticated = *` before the relay
        // check (judged with TLS, so the TLS-only finding above does not hide it).
        let signed_in = rcpt_verdict(
            config,
            &Client {
                ip: STRANGER,
                authenticated: true,
                tls: true,
            },
        );
        if signed_in.outcome == Outcome::Refuse {
            add(
                "authenticated-not-accepted",
                "server-sasl-disabled",
                Severity::Warning,
                "acl_smtp_rcpt",
                format!(
                    "mail programs can sign in ({}), but the RCPT ACL {} refuses them anyway: it \
                     has no `accept authenticated = *` before {}",
                    servers
                        .iter()
                        .map(|a| crate::sanitize::excerpt(&a.mechanism(), 20))
                        .collect::<Vec<_>>()
                        .join(", "),
                    crate::sanitize::excerpt(signed_in.acl.as_deref().unwrap_or_default(), 60),
                    crate::sanitize::excerpt(&signed_in.reason, 200)
                ),
                format!(
                    "add this line to the ACL {} before line {}:\n  accept  authenticated = *\nthen:\n{restart}",
                    crate::sanitize::excerpt(signed_in.acl.as_deref().unwrap_or_default(), 60),
                    signed_in.line.unwrap_or_default()
                ),
                signed_in.line,
            );
        }
    }

    // The refused clients of the log.
    let mut outside = 0usize;
    for client in refused {
        let ip = normalize(client.ip);
        let shown = format!(
            "{}[{}] ({} refusal{})",
            crate::sanitize::excerpt(&client.host, 80),
            client.ip,
            client.count,
            if client.count == 1 { "" } else { "s" }
        );
        let covered = relay_hosts.map(|list| match_host(config, &list.value, ip));
        match covered {
            None => {
                add(
                    "refused-client-unknown",
                    "mynetworks-too-narrow",
                    Severity::Info,
                    "relay_from_hosts",
                    format!(
                        "{shown} was refused for relaying; relay_from_hosts is not in this input"
                    ),
                    "exim -bP config > exim.txt   # then lint that with --log again".into(),
                    None,
                );
            }
            Some(HostMatch::Unknown(item)) => add(
                "refused-client-unknown",
                "mynetworks-too-narrow",
                Severity::Info,
                "relay_from_hosts",
                format!(
                    "{shown} was refused for relaying; relaydoc cannot tell whether \
                     relay_from_hosts covers it: {} needs DNS, a file or the server's interfaces",
                    crate::sanitize::excerpt(&item, 120)
                ),
                lookup_fix(&item, ip),
                relay_hosts.map(|l| l.line),
            ),
            Some(HostMatch::Yes(item)) => {
                let replay = rcpt_verdict(
                    config,
                    &Client {
                        ip,
                        authenticated: false,
                        tls: false,
                    },
                );
                add(
                    "refused-client-in-relay-from-hosts",
                    "relay-restrictions-misconfigured",
                    Severity::Warning,
                    "relay_from_hosts",
                    format!(
                        "{shown} was refused for relaying although relay_from_hosts covers it \
                         ({}): {}",
                        crate::sanitize::excerpt(&item, 80),
                        if replay.outcome == Outcome::Accept {
                            "this configuration lets it relay, so the log is older than the \
                             configuration (was Exim restarted after the change?)"
                                .to_owned()
                        } else {
                            format!(
                                "the RCPT ACL decides before its `hosts = +relay_from_hosts` \
                                 line: {}",
                                crate::sanitize::excerpt(&replay.reason, 200)
                            )
                        }
                    ),
                    if replay.outcome == Outcome::Accept {
                        restart.to_owned()
                    } else {
                        "move `accept  hosts = +relay_from_hosts` above that line in the RCPT ACL"
                            .to_owned()
                    },
                    replay.line.or(relay_hosts.map(|l| l.line)),
                );
            }
            Some(HostMatch::No) => {
                outside += 1;
                if outside > MAX_CLIENTS {
                    continue;
                }
                let list = relay_hosts.map(|l| l.value.as_str()).unwrap_or_default();
                let mut items = split(list);
                items.push(ip.to_string());
                let private = is_private(ip);
                let relay_line = relay_fix(config, &items, restart);
                let sign_in = !servers.is_empty();
                add(
                    "refused-client-not-in-relay-from-hosts",
                    if private || !sign_in {
                        "mynetworks-too-narrow"
                    } else {
                        "client-auth-off"
                    },
                    if private || !sign_in {
                        Severity::Warning
                    } else {
                        Severity::Info
                    },
                    "relay_from_hosts",
                    format!(
                        "{shown} was refused for relaying: relay_from_hosts ({}) does not cover \
                         it{}",
                        if list.trim().is_empty() {
                            "empty".to_owned()
                        } else {
                            crate::sanitize::excerpt(list, 120)
                        },
                        if sign_in {
                            ", and it did not sign in"
                        } else {
                            ", and this server lets nobody sign in"
                        }
                    ),
                    match (private, sign_in) {
                        (true, _) | (false, false) => format!(
                            "if {ip} is a machine of yours (a printer, an application, a \
                             server):\n{relay_line}{}",
                            if sign_in {
                                "\nor have it sign in with a user name and password"
                            } else {
                                ""
                            }
                        ),
                        (false, true) => format!(
                            "nothing to change on the server: the mail program must sign in \
                             (port 587 with STARTTLS); only if {ip} is a fixed address of your \
                             own:\n{relay_line}"
                        ),
                    },
                    relay_hosts.map(|l| l.line),
                );
            }
        }
    }
    if outside > MAX_CLIENTS {
        add(
            "refused-clients-more",
            "mynetworks-too-narrow",
            Severity::Info,
            "relay_from_hosts",
            format!(
                "{} more refused clients are outside relay_from_hosts (--json lists the first {MAX_CLIENTS})",
                outside - MAX_CLIENTS
            ),
            "they need the same fix as the ones above".into(),
            None,
        );
    }
    findings.sort_by_key(|f| f.severity);
    Report { findings }
}

/// The exact lines that set relay_from_hosts to `items`, where this configuration takes it.
fn relay_fix(config: &EximConfig, items: &[String], restart: &str) -> String {
    if config.is_debian() {
        // update-exim4.conf adds the loopback addresses itself.
        let own: Vec<String> = items
            .iter()
            .filter(|i| !matches!(i.as_str(), "127.0.0.1" | "::1"))
            .cloned()
            .collect();
        return format!(
            "in /etc/exim4/update-exim4.conf.conf:\ndc_relay_nets='{}'\nthen:\n{restart}",
            join(&own)
        );
    }
    format!(
        "hostlist relay_from_hosts = {}\nthen:\n{restart}",
        join(items)
    )
}

/// For a lookup item: the line that adds `ip` to its file (cPanel's `/etc/alwaysrelay`).
fn lookup_fix(item: &str, ip: IpAddr) -> String {
    match item.split_once(';') {
        Some((kind, file)) if kind.contains("search") && file.trim().starts_with('/') => {
            format!("echo '{ip}' >> {}", file.trim())
        }
        _ => format!("exim -bh {ip}   # shows which ACL line decides, as the server sees it"),
    }
}

/// Whether a mail program can sign in: a server authenticator is offered to it (inside TLS
/// when `tls`), as `auth_advertise_hosts` and each `server_advertise_condition` allow.
pub fn sign_in_offered(config: &EximConfig, tls: bool) -> bool {
    let hosts_allow = config.option("auth_advertise_hosts").is_none_or(|s| {
        let value = s.value.trim();
        if mentions_tls(value) {
            tls
        } else {
            !value.is_empty()
        }
    });
    hosts_allow
        && config
            .server_authenticators()
            .any(|a| tls || !needs_tls(a.option("server_advertise_condition")))
}

/// Whether a `server_advertise_condition` offers the authenticator only inside TLS.
fn needs_tls(condition: Option<&str>) -> bool {
    condition.is_some_and(mentions_tls)
}

fn mentions_tls(text: &str) -> bool {
    text.contains("tls_in_cipher") || text.contains("tls_cipher")
}

fn is_private(ip: IpAddr) -> bool {
    match normalize(ip) {
        IpAddr::V4(v4) => v4.is_private() || v4.is_loopback(),
        IpAddr::V6(v6) => (v6.segments()[0] & 0xfe00) == 0xfc00 || v6.is_loopback(),
    }
}

/// The findings as plain words for a server owner.
pub fn render(report: &Report, source: &str) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let count = |s| report.findings.iter().filter(|f| f.severity == s).count();
    let (errors, warnings) = (count(Severity::Error), count(Severity::Warning));
    let _ = writeln!(
        out,
        "{source}: Exim — {errors} error(s), {warnings} warning(s), {} note(s)",
        report.findings.len() - errors - warnings
    );
    if report.findings.is_empty() {
        let _ = writeln!(
            out,
            "\nNo findings: nothing here would cause \"relay not permitted\" for signed-in users \
             or make an open relay."
        );
    }
    crate::postfix::lint::render_findings(&mut out, &report.findings, |finding| {
        finding
            .line
            .map_or_else(String::new, |line| format!(" — {source} line {line}"))
    });
    crate::sanitize::for_terminal(&out)
}
