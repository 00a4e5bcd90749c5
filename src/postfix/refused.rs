//! `postfix lint --log`: the relay denials a log recorded, read next to the configuration.
//!
//! For each refused client address: whether `mynetworks` (as set, or as Postfix builds it
//! from `mynetworks_style`), a Docker or Podman network, or the server's own addresses cover
//! it; for each refused recipient domain: which address class it falls in (`mydestination`,
//! virtual domains, `relay_domains`), and whether only `transport_maps` routes it. The
//! restriction walk of [`simulate`](crate::postfix::simulate) replays each client, so a
//! finding never contradicts what the configuration would do. The log itself is read by the
//! caller (the `logs` scanner); this module gets the counted clients and domains.
//!
//! Container networks, as their projects document them:
//! - Docker: the default bridge `docker0` is 172.17.0.0/16; user-defined (and Compose)
//!   networks take the next pools of `default-address-pools`, 172.18.0.0/16 to
//!   172.31.0.0/16, then /20 blocks of 192.168.0.0/16
//!   (<https://docs.mirantis.com/mke/3.8/install/plan-deployment/mcr-considerations/default-address-pools.html>,
//!   <https://github.com/docker/docs/issues/8663>: libnetwork's ipamutils).
//! - Podman: the default network `podman` is 10.88.0.0/16
//!   (<https://docs.podman.io/en/stable/markdown/podman-network.1.html>, "Subnet notes").

use std::net::{IpAddr, Ipv4Addr};

use crate::postfix::config::{Origin, Settings};
use crate::postfix::lint::{Finding, Severity, set_line};
use crate::postfix::maps::{Lookup, Table};
use crate::postfix::master::Service;
use crate::postfix::net::{Match, Net, normalize};
use crate::postfix::simulate::{
    Client, Destination, Outcome, destination, effective_mynetworks, simulate,
};

/// A client the log shows refused for relaying, with how often.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedClient {
    /// The name the log gives (`unknown` when the address had none).
    pub host: String,
    pub ip: IpAddr,
    pub count: u64,
}

/// A recipient domain the log shows refused for relaying, with how often.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedDomain {
    pub domain: String,
    pub count: u64,
}

/// What the log says, counted.
#[derive(Debug, Clone, Default)]
pub struct Refusals {
    pub clients: Vec<RefusedClient>,
    pub domains: Vec<RefusedDomain>,
}

/// A container network range and what it is.
struct ContainerNet {
    net: &'static str,
    /// The network to add to `mynetworks` for a client in it (the pool's allocation size).
    prefix: u8,
    what: &'static str,
}

const CONTAINER_NETS: &[ContainerNet] = &[
    ContainerNet {
        net: "172.17.0.0/16",
        prefix: 16,
        what: "Docker's default bridge (docker0)",
    },
    ContainerNet {
        net: "172.16.0.0/12",
        prefix: 16,
        what: "a Docker user-defined or Compose network (Docker gives each a /16 from 172.18.0.0 up)",
    },
    ContainerNet {
        net: "192.168.0.0/16",
        prefix: 20,
        what: "a Docker user-defined network (Docker's later pools are /20 blocks of 192.168.0.0/16) or your LAN",
    },
    ContainerNet {
        net: "10.88.0.0/16",
        prefix: 16,
        what: "Podman's default network (podman)",
    },
];

/// Findings from the refusals, read next to `settings`: main.cf as the port-25 service sees it,
/// or, with `service`, as that master.cf service sees it (`Settings::for_service`), fixes then
/// written as its `-o` lines. `own` are the server's own addresses the caller knows
/// (`--server-ip`); the addresses the configuration names (`inet_interfaces`,
/// `proxy_interfaces`, `smtp_bind_address`) count too.
pub fn lint_refusals(
    settings: &Settings<'_>,
    service: Option<&Service>,
    refusals: &Refusals,
    own: &[IpAddr],
) -> Vec<Finding> {
    let set = |name: &str, value: &str| set_line(service, name, value);
    let mut findings = Vec::new();
    let (mynetworks, assumed) = effective_mynetworks(settings);
    let networks_shown = shown_value(settings, "mynetworks", assumed.as_deref());
    let own = own_addresses(settings, own);
    let sasl_on = settings.flag("smtpd_sasl_auth_enable");
    let relay_items: Vec<String> = ["smtpd_relay_restrictions", "smtpd_recipient_restrictions"]
        .iter()
        .flat_map(|p| settings.list(p))
        .collect();
    let sasl_relay = sasl_on && relay_items.iter().any(|i| i == "permit_sasl_authenticated");
    let domain = refusals
        .domains
        .first()
        .map_or("example.org", |d| d.domain.as_str());
    let mut outside: Vec<&RefusedClient> = Vec::new();
    for client in &refusals.clients {
        let ip = normalize(client.ip);
        let shown = format!(
            "{}[{}] ({} refusal{})",
            crate::sanitize::excerpt(&client.host, 80),
            client.ip,
            client.count,
            if client.count == 1 { "" } else { "s" }
        );
        // The configuration's own verdict for this client, unauthenticated, as the log shows.
        let replay = simulate(
            settings,
            &Client {
                ip,
                sasl_user: None,
                tls: false,
                helo: client.host.clone(),
                from: String::new(),
                to: format!("postmaster@{domain}"),
            },
        );
        let mut add = |id: &str, cause: &str, severity, parameter: &str, message: String, fix| {
            findings.push(finding(
                settings, id, cause, severity, parameter, message, fix,
            ));
        };
        match mynetworks.matches(ip) {
            Match::Yes(entry) => {
                add(
                    "refused-client-in-mynetworks",
                    "relay-restrictions-misconfigured",
                    Severity::Warning,
                    "mynetworks",
                    format!(
                        "{shown} was refused for relaying although mynetworks ({networks_shown}) \
                         covers it ({entry}): {}",
                        if replay.verdict.outcome == Outcome::Accept {
                            "this configuration would let it relay, so the log is older than \
                             the configuration, or the client used a master.cf service that \
                             overrides mynetworks or the restrictions (lint it with --master)"
                                .to_owned()
                        } else {
                            format!(
                                "the restrictions refuse it before permit_mynetworks ({})",
                                replay.verdict.decided_by.as_ref().map_or_else(
                                    String::new,
                                    |r| format!("{}: {}", r.parameter, r.rule)
                                )
                            )
                        }
                    ),
                    "put permit_mynetworks first in the relay rules:\n".to_owned()
                        + &set(
                            "smtpd_relay_restrictions",
                            "permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination",
                        ),
                );
                continue;
            }
            Match::Unknown(why) => {
                add(
                    "refused-client-unknown",
                    "mynetworks-too-narrow",
                    Severity::Info,
                    "mynetworks",
                    format!("{shown}: relaydoc cannot tell whether mynetworks covers it ({why})"),
                    format!("postconf mynetworks   # and check it holds {}", client.ip),
                );
                continue;
            }
            Match::No => {}
        }
        let covered_by_replay = replay.verdict.outcome == Outcome::Accept;
        if let Some(source) = own.iter().find(|(addr, _)| *addr == ip).map(|(_, s)| s) {
            add(
                "reinjection-from-own-address",
                "mynetworks-too-narrow",
                Severity::Error,
                "mynetworks",
                format!(
                    "{shown} is this server's own address ({source}): a program on the server \
                     (a web application, a script, a content filter) hands mail back to \
                     Postfix through the public address, so the connection comes from {ip}, \
                     not from 127.0.0.1, and mynetworks ({networks_shown}) does not cover it"
                ),
                set("mynetworks", &widened(settings, &host_net(ip)))
                    + "\n(or let the program connect to 127.0.0.1 instead of the public name)",
            );
            continue;
        }
        if let Some(container) = container_net(ip) {
            let covered_other: Vec<String> = CONTAINER_NETS
                .iter()
                .filter_map(|c| Net::parse(c.net))
                .filter(|net| {
                    mynetworks
                        .nets()
                        .any(|m| m.contains(net.addr) && !m.is_internet_wide())
                })
                .map(|net| format!("{}/{}", net.addr, net.prefix))
                .collect();
            let add_net = block(ip, container.prefix);
            add(
                "container-network-not-in-mynetworks",
                "mynetworks-too-narrow",
                Severity::Error,
                "mynetworks",
                format!(
                    "{shown} comes from {add_net}, {}, which mynetworks ({networks_shown}) does \
                     not cover{}: a container sending through this server is refused like a \
                     stranger",
                    container.what,
                    if covered_other.is_empty() {
                        String::new()
                    } else {
                        format!(
                            " (it covers {} only: the client is in another container network)",
                            covered_other.join(", ")
                        )
                    }
                ),
                set("mynetworks", &widened(settings, &add_net))
                    + "\n(or have the container sign in with SMTP AUTH on port 587)",
            );
            continue;
        }
        if covered_by_replay {
            continue;
        }
        outside.push(client);
    }
    // Findings about the refused domains come first: when every refused domain is one of this
    // server's own (routed, or its own name), the refused clients are servers delivering mail
    // to it, and telling them to sign in would be wrong.
    let mut domain_found = Vec::new();
    let mut own_domains = 0;
    for refused in &refusals.domains {
        let before = domain_found.len();
        domain_findings(settings, refused, &mut domain_found);
        own_domains += usize::from(
            domain_found[before..]
                .iter()
                .any(|f| f.severity == Severity::Error),
        );
    }
    let all_own = !refusals.domains.is_empty() && own_domains == refusals.domains.len();
    if !outside.is_empty() && !all_own {
        let shown: Vec<String> = outside
            .iter()
            .take(5)
            .map(|c| {
                format!(
                    "{}[{}] ×{}",
                    crate::sanitize::excerpt(&c.host, 60),
                    c.ip,
                    c.count
                )
            })
            .collect();
        let more = match outside.len().saturating_sub(shown.len()) {
            0 => String::new(),
            n => format!(" and {n} more"),
        };
        let clients = format!("{}{more}", shown.join(", "));
        let private: Vec<&&RefusedClient> = outside.iter().filter(|c| is_private(c.ip)).collect();
        if sasl_relay {
            findings.push(finding(
                settings,
                "refused-clients-did-not-sign-in",
                "client-auth-off",
                Severity::Info,
                "smtpd_sasl_auth_enable",
                format!(
                    "{clients}: neither in mynetworks nor signed in. SMTP AUTH is on \
                     (smtpd_sasl_auth_enable = yes, permit_sasl_authenticated in the relay \
                     rules), so nothing on the server needs to change for them: their mail \
                     programs must sign in (port 587 with STARTTLS, or 465)"
                ),
                "nothing to change on the server; set each mail program's outgoing server to \
                 sign in with the account's user name and password (`relaydoc settings CLIENT \
                 --email ADDRESS` gives the steps)"
                    .to_owned(),
            ));
        } else if sasl_on {
            // SASL is on but the relay rules do not let signed-in users through: the lint's
            // sasl-permit-missing finding names the fix; say how it shows in the log.
            findings.push(finding(
                settings,
                "refused-clients-sasl-not-permitted",
                "server-sasl-disabled",
                Severity::Warning,
                "smtpd_relay_restrictions",
                format!(
                    "{clients}: neither in mynetworks nor let through by a signed-in rule: SMTP \
                     AUTH is on (smtpd_sasl_auth_enable = yes), but the relay rules lack \
                     permit_sasl_authenticated, so even users who sign in are refused"
                ),
                set(
                    "smtpd_relay_restrictions",
                    "permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination",
                ),
            ));
        } else {
            let lan = private.first().map(|c| block(normalize(c.ip), 24));
            findings.push(finding(
                settings,
                "refused-clients-no-way-to-relay",
                if lan.is_some() {
                    "mynetworks-too-narrow"
                } else {
                    "server-sasl-disabled"
                },
                Severity::Warning,
                if lan.is_some() {
                    "mynetworks"
                } else {
                    "smtpd_sasl_auth_enable"
                },
                format!(
                    "{clients}: neither in mynetworks ({networks_shown}) nor able to sign in: \
                     SMTP AUTH is off ({}), so this server relays only for mynetworks",
                    shown_value(settings, "smtpd_sasl_auth_enable", None)
                ),
                {
                    let sasl = [
                        set("smtpd_sasl_auth_enable", "yes"),
                        set("smtpd_sasl_type", "dovecot"),
                        set("smtpd_sasl_path", "private/auth"),
                        set(
                            "smtpd_relay_restrictions",
                            "permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination",
                        ),
                    ]
                    .map(|line| match service {
                        // One `postfix reload` after the four lines.
                        None => line.replace("\npostfix reload", ""),
                        Some(_) => line.replace("\nthen: postfix reload", ""),
                    })
                    .join("\n")
                        + "\npostfix reload";
                    match &lan {
                        Some(lan) => format!(
                            "if they are machines on your own network:\n{}\nor let users sign \
                             in instead (Dovecot SASL):\n{sasl}",
                            set("mynetworks", &widened(settings, lan))
                        ),
                        None => format!("let users sign in (Dovecot SASL):\n{sasl}"),
                    }
                },
            ));
        }
    }
    if let Some(service) = service {
        for found in &mut findings {
            found.message = format!(
                "master.cf service {} (line {}): {}",
                service.name, service.line, found.message
            );
            found.service = Some(service.name.clone());
        }
        for found in &mut domain_found {
            found.service = Some(service.name.clone());
        }
    }
    findings.extend(domain_found);
    findings
}

fn domain_findings(settings: &Settings<'_>, refused: &RefusedDomain, findings: &mut Vec<Finding>) {
    // The address class is trivial-rewrite's (main.cf only): its fixes go to main.cf.
    let set = |name: &str, value: &str| set_line(None, name, value);
    let name = refused.domain.trim_end_matches('.').to_ascii_lowercase();
    if name.is_empty() {
        return;
    }
    let shown = crate::sanitize::excerpt(&name, 80);
    let mut notes = Vec::new();
    if let Destination::Authorized(class) = destination(settings, &name, &mut notes) {
        findings.push(finding(
            settings,
            "refused-domain-is-local",
            "relay-restrictions-misconfigured",
            Severity::Info,
            "mydestination",
            format!(
                "mail for {shown} ({} refusals) was refused as relaying, but this configuration \
                 takes {shown} as {class}: the log is older than the configuration, or another \
                 Postfix instance wrote it",
                refused.count
            ),
            "postconf -n   # compare with the configuration that was running then".to_owned(),
        ));
        return;
    }
    // Routed by transport_maps but in no address class: Postfix knows where to send it and
    // still refuses it to everyone outside mynetworks.
    let mut route = None;
    for spec in settings.list("transport_maps") {
        if let Lookup::Found(nexthop) = Table::open(&spec).get(&name) {
            route = Some((spec, nexthop));
            break;
        }
    }
    if let Some((spec, nexthop)) = route {
        findings.push(finding(
            settings,
            "transport-only-domain",
            "recipient-domain-not-local",
            Severity::Error,
            "relay_domains",
            format!(
                "mail for {shown} ({} refusals) has a route in transport_maps ({} → {}), but \
                 {shown} is in no address class ({}), and it is in neither \
                 mydestination nor the virtual domains, so Postfix refuses it to every sender \
                 outside mynetworks with \"Relay access denied\"",
                refused.count,
                crate::sanitize::excerpt(&spec, 80),
                crate::sanitize::excerpt(&nexthop, 80),
                shown_value(settings, "relay_domains", None)
            ),
            set("relay_domains", &appended(settings, "relay_domains", &name)),
        ));
        return;
    }
    let own_domain = ["mydomain", "myhostname"].iter().any(|param| {
        settings.is_set(param) && {
            let value = settings.value(param).trim().to_ascii_lowercase();
            value == name || value.ends_with(&format!(".{name}"))
        }
    });
    if own_domain && notes.is_empty() {
        findings.push(finding(
            settings,
            "refused-own-domain",
            "recipient-domain-not-local",
            Severity::Error,
            "mydestination",
            format!(
                "mail for {shown} ({} refusals), this server's own domain, was refused as \
                 relaying: {shown} is in none of mydestination ({}), virtual_alias_domains, \
                 virtual_mailbox_domains or relay_domains",
                refused.count,
                shown_value(settings, "mydestination", None)
            ),
            format!(
                "if this server holds the mailboxes for {shown}:\n{}\n(or add it to \
                 virtual_mailbox_domains when its mailboxes are virtual)",
                set("mydestination", &appended(settings, "mydestination", &name))
            ),
        ));
    }
}

fn finding(
    settings: &Settings<'_>,
    id: &str,
    cause: &str,
    severity: Severity,
    parameter: &str,
    message: String,
    fix: String,
) -> Finding {
    let line = match settings.origin(parameter) {
        Origin::Main(line) | Origin::Service(_, line) => Some(line),
        Origin::Default => None,
    };
    Finding::new(id, cause, severity, parameter, &message, fix, line)
}

/// A parameter as the message shows it: `name = value` as set, or that it is not set and
/// what Postfix assumes then.
fn shown_value(settings: &Settings<'_>, name: &str, assumed: Option<&str>) -> String {
    if settings.is_set(name) {
        return format!(
            "{name} = {}",
            settings
                .raw(name)
                .map(|(v, _)| v)
                .unwrap_or_default()
                .trim()
        );
    }
    let value = settings.value(name);
    let value = value.trim();
    match assumed {
        Some(note) => note.to_owned(),
        None if value.is_empty() => {
            format!("{name} is not set, and Postfix's default for it is empty here")
        }
        None => format!("{name} is not set: Postfix's default here is \"{value}\""),
    }
}

/// `mynetworks` with `net` added: the list as set, or the default as written out.
fn widened(settings: &Settings<'_>, net: &str) -> String {
    let base = if settings.is_set("mynetworks") {
        settings
            .raw("mynetworks")
            .map(|(value, _)| value)
            .unwrap_or_default()
    } else {
        // Postfix's own default (mynetworks_style = subnet/host) cannot be written out
        // offline; loopback is what every style holds.
        "127.0.0.0/8, [::1]/128".to_owned()
    };
    format!("{}, {net}", base.trim().trim_end_matches(','))
}

/// A domain list with `item` added, written as set (its `$references` kept).
fn appended(settings: &Settings<'_>, name: &str, item: &str) -> String {
    let base = settings
        .raw(name)
        .map(|(value, _)| value)
        .unwrap_or_default();
    let base = base.trim().trim_end_matches(',');
    if base.is_empty() {
        item.to_owned()
    } else {
        format!("{base}, {item}")
    }
}

/// The server's own addresses, with where each was learnt.
fn own_addresses(settings: &Settings<'_>, given: &[IpAddr]) -> Vec<(IpAddr, String)> {
    let mut own: Vec<(IpAddr, String)> = given
        .iter()
        .map(|ip| (normalize(*ip), "given with --server-ip".to_owned()))
        .collect();
    for param in [
        "inet_interfaces",
        "proxy_interfaces",
        "smtp_bind_address",
        "smtp_bind_address6",
    ] {
        if !settings.is_set(param) {
            continue;
        }
        for item in settings.list(param) {
            let bare = item.trim_start_matches('[').trim_end_matches(']');
            if let Ok(ip) = bare.parse::<IpAddr>()
                && !ip.is_loopback()
            {
                own.push((normalize(ip), format!("named in {param}")));
            }
        }
    }
    own
}

fn container_net(ip: IpAddr) -> Option<&'static ContainerNet> {
    CONTAINER_NETS
        .iter()
        .find(|c| Net::parse(c.net).is_some_and(|net| net.contains(ip)))
}

/// RFC 1918 and unique-local addresses: a LAN, not the internet.
fn is_private(ip: IpAddr) -> bool {
    match normalize(ip) {
        IpAddr::V4(v4) => v4.is_private(),
        IpAddr::V6(v6) => (v6.segments()[0] & 0xfe00) == 0xfc00,
    }
}

/// The `/prefix` network holding `ip`, as Postfix writes it.
fn block(ip: IpAddr, prefix: u8) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let bits = u32::from(v4);
            let mask = if prefix == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(prefix.min(32)))
            };
            format!("{}/{prefix}", Ipv4Addr::from(bits & mask))
        }
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            let prefix = prefix.min(128);
            let mask = if prefix == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(prefix))
            };
            format!("[{}]/{prefix}", std::net::Ipv6Addr::from(bits & mask))
        }
    }
}

/// One address as a network.
fn host_net(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(_) => format!("{ip}/32"),
        IpAddr::V6(_) => format!("[{ip}]/128"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_written_as_postfix_reads_them() {
        let ip: IpAddr = "172.18.0.5"
            .parse()
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        assert_eq!(block(ip, 16), "172.18.0.0/16");
        assert_eq!(block(ip, 24), "172.18.0.0/24");
        let ip: IpAddr = "192.168.37.9"
            .parse()
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        assert_eq!(block(ip, 20), "192.168.32.0/20");
        let ip: IpAddr = "2001:db8::7"
            .parse()
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        assert_eq!(host_net(ip), "[2001:db8::7]/128");
    }

    #[test]
    fn container_networks_are_told_apart() {
        let find = |text: &str| {
            text.parse::<IpAddr>()
                .ok()
                .and_then(container_net)
                .map(|c| c.net)
        };
        assert_eq!(find("172.17.0.2"), Some("172.17.0.0/16"));
        assert_eq!(find("172.19.0.1"), Some("172.16.0.0/12"));
        assert_eq!(find("10.88.0.4"), Some("10.88.0.0/16"));
        assert_eq!(find("203.0.113.9"), None);
    }
}
