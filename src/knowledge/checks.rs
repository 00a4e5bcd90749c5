//! The catalogue of live checks the decision tree may ask for, as data.
//!
//! A check node names a check from [`SPECS`], gives its parameters from facts, and lists the
//! facts it reads back; validation holds each node to its spec, so a tree can never ask for a
//! check that does not exist or wait for a fact the check never sets. The code that runs
//! them lives with the wizard's driver (`wizard::checks`), which a test holds to this list.

/// A check the wizard can run: its parameters and the facts it can set.
#[derive(Debug, Clone, Copy)]
pub struct CheckSpec {
    pub name: &'static str,
    /// What the person sees while it runs.
    pub label: &'static str,
    /// Parameters the node must give.
    pub params: &'static [&'static str],
    /// Parameters it may give.
    pub optional: &'static [&'static str],
    pub sets: &'static [&'static str],
}

pub const SPECS: &[CheckSpec] = &[
    CheckSpec {
        name: "explain",
        label: "Reading the error message",
        params: &["text"],
        optional: &[],
        sets: &[
            "error.kind",
            "error.where",
            "error.code",
            "bounce.mentions",
            "server.software",
            "account.auth_scheme",
            "account.email",
            "client.server_host",
            "client.id",
            "sender.kind",
        ],
    },
    CheckSpec {
        name: "mx",
        label: "Looking up where mail for the domain goes (MX)",
        params: &["domain"],
        optional: &[],
        sets: &["dns.mx", "dns.mx_hosts", "dns.mx_implicit", "dns.mx_flags"],
    },
    CheckSpec {
        name: "dnsbl",
        label: "Checking the address against spam blocklists",
        params: &["ip"],
        optional: &[],
        sets: &[
            "dnsbl.ip",
            "dnsbl.listed",
            "dnsbl.listed_on",
            "dnsbl.refused_by",
            // Only for a node that declares it: the tree knows whose address it checks.
            "client.ip_blacklisted",
        ],
    },
    CheckSpec {
        name: "public-ip",
        label: "Finding the address the internet sees you as",
        params: &[],
        optional: &[],
        sets: &["public.ip", "public.ip_method"],
    },
    CheckSpec {
        name: "smtp",
        label: "Connecting to the mail server on ports 587, 465 and 25",
        params: &["host"],
        optional: &[],
        sets: &[
            "server.auth_offered",
            "server.reachable",
            "server.starttls_offered",
            "server.ports_open",
        ],
    },
    CheckSpec {
        name: "auth",
        label: "Signing in to the outgoing server with your user name and password",
        params: &["user", "password"],
        // Without a host, the outgoing server comes from the providers catalogue.
        optional: &["host"],
        sets: &["auth.result", "auth.refusal", "server.auth_works"],
    },
    CheckSpec {
        name: "my-ip-blacklist",
        label: "Finding your internet address and checking it against spam blocklists",
        params: &[],
        optional: &[],
        sets: &["public.ip", "client.ip_blacklisted", "dnsbl.listed_on"],
    },
    CheckSpec {
        name: "postfix-config",
        label: "Reading your Postfix configuration and mail log",
        // `config`: main.cf or saved `postconf -n` output; `log`: a mail log (plain or .gz).
        params: &["config"],
        optional: &["log"],
        sets: &["server.config_points_to"],
    },
];

pub fn spec(name: &str) -> Option<&'static CheckSpec> {
    SPECS.iter().find(|spec| spec.name == name)
}
