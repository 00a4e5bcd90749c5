//! Finding a mail address's server settings online, the way mail programs do, each answer
//! naming where it came from.
//!
//! The order (the first that answers wins; the `source` words are `settings --json`'s):
//! 1. `catalogue` — relaydoc's own list of providers. Asked by the caller before this module
//!    runs (the catalogue is knowledge, which a leaf module does not read).
//! 2. `autoconfig` — the domain's own autoconfig file, where Thunderbird looks for it:
//!    `https://autoconfig.DOMAIN/mail/config-v1.1.xml?emailaddress=ADDRESS`, then
//!    `https://DOMAIN/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=ADDRESS`
//!    (the URLs Thunderbird asks: github.com/richard-keasley/autoconfig readme; the format:
//!    https://wiki.mozilla.org/Thunderbird:Autoconfiguration:ConfigFileFormat).
//! 3. `ispdb` — Thunderbird's public database: `https://autoconfig.thunderbird.net/v1.1/DOMAIN`.
//! 4. `autodiscover` — Microsoft's Autodiscover v2, which says whether the mailbox is at
//!    Microsoft 365 (see [`autodiscover`]); the settings are then the catalogue's Microsoft 365
//!    entry's. It is the one source that is sent the whole address, to Microsoft, so it is only
//!    asked when neither the domain's own file nor the ISPDB answered (either would win anyway).
//! 5. `srv` — the domain's SRV records (RFC 6186, RFC 8314), through [`checks::dns::srv`]. SRV
//!    carries no sign-in method; mail programs then sign in with a password.
//! 6. `mx` — a guess from the domain's MX hosts: a company's domain whose mail arrives at
//!    `*.mail.protection.outlook.com` is at Microsoft 365, at `aspmx.l.google.com` at Google
//!    Workspace… The caller's [`Catalogue`] knows which MX hosts are whose.
//!
//! Steps 2, 3, 5 and 6 run side by side; each web request has a deadline, a size cap and a
//! redirect cap ([`Options`]), so a huge, slow or looping server cannot hang relaydoc or fill
//! its memory. Every URL is a template in [`Endpoints`] and the resolver a parameter, so tests
//! run all of it against loopback servers. A web request finds its server through the
//! operating system's resolver; whether `autoconfig.DOMAIN` exists at all is asked of the
//! given resolver first, so "no autoconfig server" is said only with that resolver's proof.
//!
//! Nothing here is printed: [`Discovery`] holds what was found and every attempt with its
//! outcome in words; server text in it is not yet cleaned for a terminal.
//!
//! This module imports only the floor (`vocab`, `sanitize`) and `checks::dns`.

pub mod autoconfig;
pub mod autodiscover;
pub mod export;
mod http;

use std::time::Duration;

use serde::Serialize;

use crate::checks::dns::{self, Resolve};
use crate::vocab::Security;

/// Where settings came from; the words are the `source` values of `settings --json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Catalogue,
    Autoconfig,
    Ispdb,
    Autodiscover,
    Srv,
    Mx,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Catalogue => "catalogue",
            Self::Autoconfig => "autoconfig",
            Self::Ispdb => "ispdb",
            Self::Autodiscover => "autodiscover",
            Self::Srv => "srv",
            Self::Mx => "mx",
        }
    }

    /// Plain words for "found in …".
    pub fn words(self) -> &'static str {
        match self {
            Self::Catalogue => "relaydoc's list of known providers",
            Self::Autoconfig => "the domain's own autoconfig file",
            Self::Ispdb => "Thunderbird's provider database (ISPDB)",
            Self::Autodiscover => "Microsoft's Autodiscover",
            Self::Srv => "the domain's mail service records in DNS (SRV)",
            Self::Mx => "the domain's incoming mail servers (MX)",
        }
    }
}

/// What a server is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Smtp,
    Imap,
    Pop3,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Smtp => "smtp",
            Self::Imap => "imap",
            Self::Pop3 => "pop3",
        }
    }
}

/// How a mail program signs in; the words are the `auth` values of `settings --json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Auth {
    Password,
    Oauth2,
    PopBeforeSmtp,
    None,
}

/// The user name a provider expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Username {
    FullAddress,
    LocalPart,
    Other,
}

/// One server setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Server {
    pub protocol: Protocol,
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub auth: Auth,
}

/// Settings found for a domain, best first.
#[derive(Debug, Clone, Serialize)]
pub struct Found {
    pub source: Source,
    /// The catalogue entry these settings are (found by MX or Autodiscover), if any.
    pub provider: Option<String>,
    /// A name for people: the file's `displayName`, the catalogue entry's name.
    pub name: Option<String>,
    pub outgoing: Vec<Server>,
    pub incoming: Vec<Server>,
    pub username: Option<Username>,
    /// Exactly where: the URL that answered, the DNS names, the MX hosts.
    pub origin: String,
    /// Something a person should know about these settings (a guess from MX…).
    pub note: Option<String>,
}

/// How one attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// It answered with settings.
    Found,
    /// It answered, with proof: nothing there.
    Nothing,
    /// No answer to rely on (network, timeout, broken file): could not check.
    Failed,
    /// Not asked (a better source had answered, or it could not apply).
    Skipped,
}

/// One source asked, and what came of it.
#[derive(Debug, Clone, Serialize)]
pub struct Attempt {
    pub source: Source,
    /// The URL or DNS name asked.
    pub asked: String,
    pub outcome: Outcome,
    /// What happened, in words.
    pub detail: String,
}

/// Everything discovery did for one address.
#[derive(Debug, Clone, Serialize)]
pub struct Discovery {
    pub domain: String,
    /// The settings of the best source that answered.
    pub found: Option<Found>,
    /// Every source, in the order of precedence.
    pub attempts: Vec<Attempt>,
}

impl Discovery {
    /// Nothing found, and no source answered at all: the network or DNS is likely down, so
    /// "nothing published" cannot be said.
    pub fn could_not_check(&self) -> bool {
        self.found.is_none() && !self.attempts.iter().any(|a| a.outcome == Outcome::Nothing)
    }
}

/// Every web address discovery asks, as templates: `{domain}` becomes the address's domain,
/// `{email}` the address (percent-encoded). Tests point them at loopback servers.
#[derive(Debug, Clone)]
pub struct Endpoints {
    /// The domain's own autoconfig files, in the order asked.
    pub autoconfig: Vec<String>,
    pub ispdb: String,
    pub autodiscover: String,
}

impl Default for Endpoints {
    fn default() -> Self {
        Self {
            autoconfig: vec![
                "https://autoconfig.{domain}/mail/config-v1.1.xml?emailaddress={email}".into(),
                "https://{domain}/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress={email}"
                    .into(),
            ],
            ispdb: "https://autoconfig.thunderbird.net/v1.1/{domain}".into(),
            autodiscover: "https://outlook.office365.com/autodiscover/autodiscover.json/v1.0/{email}?Protocol=ActiveSync".into(),
        }
    }
}

/// Limits of every web request.
#[derive(Debug, Clone)]
pub struct Options {
    /// The whole exchange of one request, redirects included.
    pub timeout: Duration,
    /// The largest answer read; a settings file is a few KiB.
    pub max_bytes: u64,
    /// Redirects followed before giving up.
    pub max_redirects: u32,
    /// Follow and ask plain `http` addresses (tests' loopback servers); off for real use, so
    /// settings are never taken from an address anyone on the way could answer for.
    pub allow_http: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            max_bytes: 256 * 1024,
            max_redirects: 5,
            allow_http: false,
        }
    }
}

/// The MX host every Microsoft 365 domain's mail arrives at ends in this; the catalogue entry
/// that claims it is Microsoft 365's. (Autodiscover names the tenant's service host, not an
/// MX, so the catalogue is asked with this name.)
pub const MICROSOFT_365_MX: &str = "mail.protection.outlook.com";

/// Known providers, for the MX guess and for Autodiscover's answer. The wizard answers from
/// the knowledge's catalogue; tests answer from a table.
pub trait Catalogue: Send + Sync {
    /// The published settings of the provider whose incoming servers (MX) these are, with
    /// `provider` and `name` filled in; the source is set by the caller.
    fn by_mx(&self, mx_hosts: &[String]) -> Option<Found>;
}

/// What `progress` hears: an attempt as it ends.
pub type Progress<'a> = &'a (dyn Fn(&Attempt) + Sync);

/// Finds the settings of `email` online, in the order of the module doc. `Err` only when the
/// address has no usable domain (words for the person).
pub async fn discover<R: Resolve, C: Catalogue + ?Sized>(
    resolver: &R,
    catalogue: &C,
    endpoints: &Endpoints,
    options: &Options,
    email: &str,
    progress: Progress<'_>,
) -> Result<Discovery, String> {
    let domain = domain_of(email)?;
    let encoded = percent_encode(email.trim());
    let fill = |template: &str| {
        template
            .replace("{domain}", &domain)
            .replace("{email}", &encoded)
    };
    let report = |ended: (Attempt, Option<Found>)| {
        progress(&ended.0);
        ended
    };

    // The first wave: everything that sends nothing but the domain (and the address to the
    // domain's own server), side by side.
    let autoconfig_urls: Vec<String> = endpoints.autoconfig.iter().map(|t| fill(t)).collect();
    let ispdb_url = fill(&endpoints.ispdb);
    let autoconfigs = dns::join_all(
        autoconfig_urls
            .iter()
            .map(|url| async {
                report(autoconfig_file(resolver, url, Source::Autoconfig, &domain, options).await)
            })
            .collect(),
    );
    let ispdb = async {
        report(autoconfig_file(resolver, &ispdb_url, Source::Ispdb, &domain, options).await)
    };
    let srv = async { report(srv_settings(resolver, &domain).await) };
    let mx = async { report(mx_guess(resolver, catalogue, &domain).await) };
    let (autoconfigs, ispdb, srv, mx) = tokio::join!(autoconfigs, ispdb, srv, mx);

    let mut ranked: Vec<(Attempt, Option<Found>)> = autoconfigs;
    ranked.push(ispdb);
    let file_answered = ranked.iter().any(|(_, found)| found.is_some());
    let autodiscover_url = fill(&endpoints.autodiscover);
    let autodiscover = if file_answered {
        (
            Attempt {
                source: Source::Autodiscover,
                asked: autodiscover_url,
                outcome: Outcome::Skipped,
                detail: "not asked: a settings file answered (and the address is not sent to \
                         Microsoft without need)"
                    .into(),
            },
            None,
        )
    } else {
        report(microsoft_365(catalogue, &autodiscover_url, options).await)
    };
    ranked.push(autodiscover);
    ranked.push(srv);
    ranked.push(mx);

    let mut found = None;
    let mut attempts = Vec::with_capacity(ranked.len());
    for (attempt, settings) in ranked {
        if found.is_none() {
            found = settings;
        }
        attempts.push(attempt);
    }
    Ok(Discovery {
        domain,
        found,
        attempts,
    })
}

/// The domain of an address, checked to be a DNS name (it goes into URLs and DNS questions).
pub fn domain_of(email: &str) -> Result<String, String> {
    let email = email.trim();
    let Some((local, domain)) = email.rsplit_once('@') else {
        return Err(format!(
            "`{}` is not an email address (it needs an @, like you@example.com)",
            crate::sanitize::excerpt(email, 80)
        ));
    };
    if local.is_empty() {
        return Err("the address has nothing before the @".to_owned());
    }
    let domain = dns::normalize_name(domain).map_err(|why| why.to_string())?;
    if !autoconfig::is_host_name(&domain) {
        return Err(format!(
            "`{}` is not a domain name",
            crate::sanitize::excerpt(&domain, 80)
        ));
    }
    Ok(domain)
}

/// Percent-encodes everything but RFC 3986's unreserved characters, so an address is one safe
/// query value or path segment.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn attempt(source: Source, asked: &str, outcome: Outcome, detail: impl Into<String>) -> Attempt {
    Attempt {
        source,
        asked: asked.to_owned(),
        outcome,
        detail: detail.into(),
    }
}

/// One autoconfig file (the domain's own or the ISPDB's).
async fn autoconfig_file<R: Resolve>(
    resolver: &R,
    url: &str,
    source: Source,
    domain: &str,
    options: &Options,
) -> (Attempt, Option<Found>) {
    // A domain's autoconfig host usually does not exist: say so only with DNS's proof.
    if source == Source::Autoconfig
        && let Some(host) = url_host(url)
        && host.parse::<std::net::IpAddr>().is_err()
    {
        match dns::addresses(resolver, &host).await {
            Ok(found) if found.is_empty() => {
                return (
                    attempt(
                        source,
                        url,
                        Outcome::Nothing,
                        format!("{host} does not exist in DNS: no autoconfig server there"),
                    ),
                    None,
                );
            }
            Ok(_) => {}
            Err(why) => {
                return (attempt(source, url, Outcome::Failed, why.to_string()), None);
            }
        }
    }
    let what = if source == Source::Ispdb {
        format!("the ISPDB has no entry for {domain}")
    } else {
        "no autoconfig file there".to_owned()
    };
    match http::get(
        url.to_owned(),
        "application/xml, text/xml",
        options.max_redirects,
        options,
    )
    .await
    {
        Ok(http::Fetched::Body(body)) => match autoconfig::parse(&body, domain) {
            Ok(parsed) => {
                let found = Found {
                    source,
                    provider: None,
                    name: parsed.name,
                    outgoing: parsed.outgoing,
                    incoming: parsed.incoming,
                    username: parsed.username,
                    origin: url.to_owned(),
                    note: None,
                };
                (
                    attempt(source, url, Outcome::Found, summary(&found)),
                    Some(found),
                )
            }
            Err(why) => (attempt(source, url, Outcome::Failed, why), None),
        },
        Ok(http::Fetched::Missing(status)) => (
            attempt(
                source,
                url,
                Outcome::Nothing,
                format!("{what} (HTTP {status})"),
            ),
            None,
        ),
        Ok(http::Fetched::Other(status, location)) => (
            attempt(
                source,
                url,
                Outcome::Failed,
                match location {
                    Some(to) => format!("the server answered HTTP {status}, pointing to {to}"),
                    None => format!("the server answered HTTP {status}"),
                },
            ),
            None,
        ),
        Err(why) => (attempt(source, url, Outcome::Failed, why), None),
    }
}

/// Autodiscover: Microsoft 365 or not; the settings come from the catalogue.
async fn microsoft_365<C: Catalogue + ?Sized>(
    catalogue: &C,
    url: &str,
    options: &Options,
) -> (Attempt, Option<Found>) {
    // No redirects: an answer that sends the client elsewhere is not Microsoft 365's.
    let fetched = http::get(url.to_owned(), "application/json", 0, options).await;
    let body = match fetched {
        Ok(http::Fetched::Body(body)) => body,
        Ok(http::Fetched::Missing(status)) => {
            return (
                attempt(
                    Source::Autodiscover,
                    url,
                    Outcome::Nothing,
                    format!("not a Microsoft 365 mailbox (HTTP {status})"),
                ),
                None,
            );
        }
        Ok(http::Fetched::Other(status @ 300..=499, _)) => {
            return (
                attempt(
                    Source::Autodiscover,
                    url,
                    Outcome::Nothing,
                    format!("Microsoft does not know this mailbox (HTTP {status})"),
                ),
                None,
            );
        }
        Ok(http::Fetched::Other(status, _)) => {
            return (
                attempt(
                    Source::Autodiscover,
                    url,
                    Outcome::Failed,
                    format!("the server answered HTTP {status}"),
                ),
                None,
            );
        }
        Err(why) => {
            return (
                attempt(Source::Autodiscover, url, Outcome::Failed, why),
                None,
            );
        }
    };
    match autodiscover::parse(&body) {
        Ok(autodiscover::Verdict::Microsoft365(host)) => {
            match catalogue.by_mx(&[MICROSOFT_365_MX.to_owned()]) {
                Some(mut found) => {
                    found.source = Source::Autodiscover;
                    found.origin = url.to_owned();
                    found.note = Some(format!(
                        "Autodiscover places this mailbox at Microsoft 365 ({host}); these are \
                         Microsoft 365's published settings"
                    ));
                    (
                        attempt(Source::Autodiscover, url, Outcome::Found, summary(&found)),
                        Some(found),
                    )
                }
                None => (
                    attempt(
                        Source::Autodiscover,
                        url,
                        Outcome::Nothing,
                        format!(
                            "the mailbox is at Microsoft 365 ({host}), but relaydoc's catalogue \
                             has no Microsoft 365 entry"
                        ),
                    ),
                    None,
                ),
            }
        }
        Ok(autodiscover::Verdict::OtherExchange(host)) => (
            attempt(
                Source::Autodiscover,
                url,
                Outcome::Nothing,
                format!(
                    "the mailbox is on an Exchange server at {host}, not Microsoft 365; \
                     Autodiscover publishes no SMTP settings for it"
                ),
            ),
            None,
        ),
        Ok(autodiscover::Verdict::NotKnown(message)) => (
            attempt(
                Source::Autodiscover,
                url,
                Outcome::Nothing,
                match message {
                    Some(message) => format!(
                        "not a Microsoft 365 mailbox (Microsoft says: {})",
                        crate::sanitize::excerpt(&message, 120)
                    ),
                    None => "not a Microsoft 365 mailbox".to_owned(),
                },
            ),
            None,
        ),
        Err(why) => (
            attempt(Source::Autodiscover, url, Outcome::Failed, why),
            None,
        ),
    }
}

/// The domain's SRV records as settings: implicit TLS first (RFC 8314 §5.1).
async fn srv_settings<R: Resolve>(resolver: &R, domain: &str) -> (Attempt, Option<Found>) {
    let report = dns::srv::check(resolver, domain).await;
    let asked = format!("_submissions._tcp.{domain} and the other mail SRV names");
    let mut outgoing = Vec::new();
    let mut incoming = Vec::new();
    for service in report.services.iter().filter(|s| s.result == "offered") {
        let protocol = match service.service.protocol {
            "smtp" => Protocol::Smtp,
            "imap" => Protocol::Imap,
            _ => Protocol::Pop3,
        };
        let security = if service.service.security == "tls" {
            Security::Tls
        } else {
            Security::Starttls
        };
        for target in &service.targets {
            let host = target.host.trim_end_matches('.').to_ascii_lowercase();
            if target.port == 0 || !autoconfig::is_host_name(&host) {
                continue;
            }
            let server = Server {
                protocol,
                host,
                port: target.port,
                security,
                // SRV says nothing of sign-in; mail programs use a password.
                auth: Auth::Password,
            };
            let list = if protocol == Protocol::Smtp {
                &mut outgoing
            } else {
                &mut incoming
            };
            if !list.contains(&server) && list.len() < autoconfig::MAX_SERVERS {
                list.push(server);
            }
        }
    }
    match report.srv {
        "found" if !(outgoing.is_empty() && incoming.is_empty()) => {
            let found = Found {
                source: Source::Srv,
                provider: None,
                name: None,
                outgoing,
                incoming,
                username: None,
                origin: format!("DNS SRV records of {domain} (asked {})", report.dns_server),
                note: None,
            };
            (
                attempt(Source::Srv, &asked, Outcome::Found, summary(&found)),
                Some(found),
            )
        }
        "error" => (
            attempt(Source::Srv, &asked, Outcome::Failed, report.summary),
            None,
        ),
        _ => (
            attempt(
                Source::Srv,
                &asked,
                Outcome::Nothing,
                format!("{domain} publishes no mail SRV records"),
            ),
            None,
        ),
    }
}

/// The provider the domain's MX hosts belong to, if the catalogue knows them.
async fn mx_guess<R: Resolve, C: Catalogue + ?Sized>(
    resolver: &R,
    catalogue: &C,
    domain: &str,
) -> (Attempt, Option<Found>) {
    let report = dns::mx::check(resolver, domain).await;
    let hosts: Vec<String> = report
        .exchanges
        .iter()
        .map(|exchange| exchange.host.trim_end_matches('.').to_ascii_lowercase())
        .filter(|host| !host.is_empty())
        .collect();
    let asked = format!("MX of {domain}");
    match report.mx {
        "error" | "alias-loop" => (
            attempt(Source::Mx, &asked, Outcome::Failed, report.summary),
            None,
        ),
        _ if hosts.is_empty() => (
            attempt(
                Source::Mx,
                &asked,
                Outcome::Nothing,
                format!("{domain} names no incoming mail server (MX)"),
            ),
            None,
        ),
        _ => match catalogue.by_mx(&hosts) {
            Some(mut found) => {
                let name = found
                    .name
                    .clone()
                    .unwrap_or_else(|| "a known provider".into());
                found.source = Source::Mx;
                found.origin = format!("MX of {domain}: {}", hosts.join(", "));
                found.note = Some(format!(
                    "{domain}'s mail arrives at {name} ({}), so these are {name}'s published \
                     settings: a guess, as a domain can receive at one provider and send through \
                     another",
                    hosts.first().map_or("", String::as_str)
                ));
                (
                    attempt(Source::Mx, &asked, Outcome::Found, summary(&found)),
                    Some(found),
                )
            }
            None => (
                attempt(
                    Source::Mx,
                    &asked,
                    Outcome::Nothing,
                    format!(
                        "its MX ({}) belongs to no provider relaydoc knows",
                        hosts.join(", ")
                    ),
                ),
                None,
            ),
        },
    }
}

/// "smtp.example.com:587 STARTTLS" for an attempt's detail.
fn summary(found: &Found) -> String {
    let first = found.outgoing.first().or(found.incoming.first());
    match first {
        Some(server) => format!(
            "{} {}:{} {}",
            server.protocol.as_str().to_uppercase(),
            server.host,
            server.port,
            server.security.label()
        ),
        None => "settings found".to_owned(),
    }
}

/// The host of a URL, lower case; `None` when it has none.
fn url_host(url: &str) -> Option<String> {
    url.parse::<ureq::http::Uri>().ok().and_then(|uri| {
        uri.host()
            .map(|h| h.trim_matches(['[', ']']).to_ascii_lowercase())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_become_safe_url_parts() {
        assert_eq!(percent_encode("a.b+c@ex.com"), "a.b%2Bc%40ex.com");
        assert_eq!(percent_encode("x&y=1@d"), "x%26y%3D1%40d");
    }

    #[test]
    fn only_real_domains_pass() {
        assert_eq!(domain_of("Me@Example.COM").as_deref(), Ok("example.com"));
        assert!(domain_of("nobody").is_err());
        assert!(domain_of("@example.com").is_err());
        assert!(domain_of("me@exa mple.com").is_err());
        assert!(domain_of("me@example.com/evil?x=").is_err());
    }

    #[test]
    fn the_default_endpoints_are_the_published_ones() {
        let endpoints = Endpoints::default();
        assert!(endpoints.autoconfig[0].starts_with("https://autoconfig.{domain}/mail/"));
        assert!(
            endpoints
                .ispdb
                .starts_with("https://autoconfig.thunderbird.net/v1.1/")
        );
        assert!(
            endpoints
                .autodiscover
                .contains("autodiscover.json/v1.0/{email}")
        );
        assert!(!Options::default().allow_http);
    }
}
