//! Settings discovery against real servers on loopback: small HTTP servers written here (good,
//! malformed, huge, slow and redirect-looping autoconfig files, an ISPDB, an Autodiscover
//! endpoint), a scripted resolver for the DNS side of the HTTP cases, and the lab's NSD
//! (127.0.0.1:5353) for SRV and MX. Then `relaydoc settings` end to end, and its exports
//! parsed back. Only loopback is ever contacted.
//!
//! The lab cases need the lab's DNS (`RELAYDOC_REQUIRE_LAB=1` makes a missing lab fail).

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use relaydoc::checks::dns::{
    Answer, DnsClient, DnsSettings, Record, RecordData, RecordKind, Resolve,
};
use relaydoc::discovery::{
    self, Auth, Catalogue, Discovery, Endpoints, Found, Options, Outcome, Protocol, Server, Source,
    Username,
};
use relaydoc::vocab::Security;
use serde_json::Value;

/// A guard against a hang: a lookup that needs longer than this is broken, not slow.
const HANG_GUARD: Duration = Duration::from_secs(60);

// ------------------------------------------------------------------ a loopback HTTP server

/// What a path answers.
#[derive(Clone)]
enum Reply {
    Body(&'static str, String),
    Status(u16),
    /// A redirect back to the same path: a loop.
    Loop,
    /// A body far larger than any settings file, sent as fast as the client reads.
    Huge,
    /// Headers, then one byte every 100 ms.
    Slow,
}

/// A canned-answer HTTP/1.1 server on 127.0.0.1:0; every request's path is recorded. It stops
/// when dropped, and every connection ends by itself within seconds.
struct HttpServer {
    addr: SocketAddr,
    hits: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
}

impl HttpServer {
    fn start(routes: HashMap<String, Reply>) -> HttpServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = listener.local_addr().expect("address");
        let hits = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (thread_hits, thread_stop) = (hits.clone(), stop.clone());
        let routes = Arc::new(routes);
        thread::spawn(move || {
            for stream in listener.incoming() {
                if thread_stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (hits, routes) = (thread_hits.clone(), routes.clone());
                thread::spawn(move || answer(stream, &routes, &hits, addr));
            }
        });
        HttpServer { addr, hits, stop }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn hits(&self) -> Vec<String> {
        self.hits.lock().expect("hits").clone()
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
    }
}

fn answer(
    stream: TcpStream,
    routes: &HashMap<String, Reply>,
    hits: &Mutex<Vec<String>>,
    addr: SocketAddr,
) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(clone) => clone,
        Err(_) => return,
    });
    let mut first = String::new();
    if reader.read_line(&mut first).is_err() {
        return;
    }
    // The rest of the head, up to the blank line (bounded).
    for _ in 0..100 {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) if line == "\r\n" => break,
            Ok(_) => {}
        }
    }
    let target = first.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let path = target.split('?').next().unwrap_or("/").to_owned();
    hits.lock().expect("hits").push(target.clone());
    let mut stream = stream;
    let reply = routes.get(&path).cloned().unwrap_or(Reply::Status(404));
    let head = |status: &str, extra: &str, length: usize| {
        format!("HTTP/1.1 {status}\r\nContent-Length: {length}\r\nConnection: close\r\n{extra}\r\n")
    };
    match reply {
        Reply::Body(content_type, body) => {
            let text = head(
                "200 OK",
                &format!("Content-Type: {content_type}\r\n"),
                body.len(),
            ) + &body;
            let _ = stream.write_all(text.as_bytes());
        }
        Reply::Status(code) => {
            let _ = stream.write_all(head(&format!("{code} Nope"), "", 0).as_bytes());
        }
        Reply::Loop => {
            let location = format!("Location: http://{addr}{target}\r\n");
            let _ = stream.write_all(head("302 Found", &location, 0).as_bytes());
        }
        Reply::Huge => {
            let _ = stream.write_all(head("200 OK", "", 50_000_000).as_bytes());
            let chunk = vec![b'x'; 64 * 1024];
            // At most 8 MiB: the client stops reading long before.
            for _ in 0..128 {
                if stream.write_all(&chunk).is_err() {
                    break;
                }
            }
        }
        Reply::Slow => {
            let _ = stream.write_all(head("200 OK", "", 1000).as_bytes());
            // At most 10 s, then the server gives up by itself.
            for _ in 0..100 {
                thread::sleep(Duration::from_millis(100));
                if stream.write_all(b"<").is_err() {
                    break;
                }
            }
        }
    }
    let _ = stream.flush();
}

// ------------------------------------------------------------------ canned answers

fn client_config(host: &str, port: u16, socket: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="test">
    <domain>%EMAILDOMAIN%</domain>
    <displayName>Test Mail</displayName>
    <incomingServer type="imap">
      <hostname>imap.{host}</hostname>
      <port>993</port>
      <socketType>SSL</socketType>
      <authentication>password-cleartext</authentication>
      <username>%EMAILLOCALPART%</username>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.{host}</hostname>
      <port>{port}</port>
      <socketType>{socket}</socketType>
      <authentication>password-cleartext</authentication>
      <username>%EMAILLOCALPART%</username>
    </outgoingServer>
  </emailProvider>
</clientConfig>"#
    )
}

fn xml(body: String) -> Reply {
    Reply::Body("application/xml", body)
}

const TENANT: &str = r#"{"Protocol":"ActiveSync","Url":"https://outlook.office365.com/Microsoft-Server-ActiveSync"}"#;
const NOT_A_TENANT: &str =
    r#"{"ErrorCode":"InternalServerError","ErrorMessage":"Failed to find the mailbox"}"#;

/// The endpoints of one test server: the domain's own files at /own/…, the ISPDB at /ispdb/,
/// Autodiscover at /autodiscover/.
fn endpoints(server: &HttpServer, own: &[&str]) -> Endpoints {
    Endpoints {
        autoconfig: own
            .iter()
            .map(|path| server.url(&format!("{path}?emailaddress={{email}}")))
            .collect(),
        ispdb: server.url("/ispdb/{domain}"),
        autodiscover: server.url("/autodiscover/{email}"),
    }
}

fn options() -> Options {
    Options {
        timeout: Duration::from_secs(1),
        max_bytes: 64 * 1024,
        max_redirects: 3,
        allow_http: true,
    }
}

// ------------------------------------------------------------------ DNS and catalogue stand-ins

/// Answers from a table; NXDOMAIN for anything else.
#[derive(Default)]
struct Table(HashMap<(String, RecordKind), Vec<RecordData>>);

impl Table {
    fn with(mut self, name: &str, kind: RecordKind, data: RecordData) -> Self {
        self.0
            .entry((name.to_owned(), kind))
            .or_default()
            .push(data);
        self
    }
}

impl Resolve for Table {
    async fn query(&self, name: &str, kind: RecordKind) -> Answer {
        match self.0.get(&(name.to_owned(), kind)) {
            Some(data) => Answer::Records(
                data.iter()
                    .map(|data| Record {
                        name: name.to_owned(),
                        ttl: 60,
                        data: data.clone(),
                    })
                    .collect(),
            ),
            None => Answer::NxDomain,
        }
    }

    fn source(&self) -> String {
        "table".into()
    }
}

fn srv(port: u16, target: &str) -> RecordData {
    RecordData::Srv {
        priority: 0,
        weight: 1,
        port,
        target: target.into(),
    }
}

fn mx(exchange: &str) -> RecordData {
    RecordData::Mx {
        preference: 10,
        exchange: exchange.into(),
    }
}

/// A catalogue of two: "Hosted Mail", whose MX hosts end in `mx.hosted.test` (and, for the
/// lab, `mail.example.test`), and Microsoft 365.
struct TwoProviders;

impl Catalogue for TwoProviders {
    fn by_mx(&self, mx_hosts: &[String]) -> Option<Found> {
        let smtp = |host: &str, auth| Server {
            protocol: Protocol::Smtp,
            host: host.into(),
            port: 587,
            security: Security::Starttls,
            auth,
        };
        let found = |id: &str, name: &str, outgoing| Found {
            source: Source::Mx,
            provider: Some(id.into()),
            name: Some(name.into()),
            outgoing,
            incoming: Vec::new(),
            username: Some(Username::FullAddress),
            origin: "test catalogue".into(),
            note: None,
        };
        mx_hosts.iter().find_map(|host| {
            if host.ends_with("mx.hosted.test") || host == "mail.example.test" {
                Some(found(
                    "hosted",
                    "Hosted Mail",
                    vec![smtp("smtp.hosted.test", Auth::Password)],
                ))
            } else if host.ends_with(discovery::MICROSOFT_365_MX) {
                Some(found(
                    "microsoft-365",
                    "Microsoft 365",
                    vec![smtp("smtp.office365.com", Auth::Oauth2)],
                ))
            } else {
                None
            }
        })
    }
}

fn run<R: Resolve>(resolver: &R, endpoints: &Endpoints, email: &str) -> Discovery {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        tokio::time::timeout(
            HANG_GUARD,
            discovery::discover(
                resolver,
                &TwoProviders,
                endpoints,
                &options(),
                email,
                &|_| {},
            ),
        )
        .await
        .expect("discovery ends within its own timeouts")
        .expect("a valid address")
    })
}

fn outcome(discovery: &Discovery, source: Source) -> Vec<(Outcome, String)> {
    discovery
        .attempts
        .iter()
        .filter(|a| a.source == source)
        .map(|a| (a.outcome, a.detail.clone()))
        .collect()
}

/// example.test's DNS in the table: SRV submission and an MX at Hosted Mail.
fn full_dns() -> Table {
    Table::default()
        .with(
            "_submission._tcp.d.test",
            RecordKind::Srv,
            srv(587, "srv-smtp.d.test."),
        )
        .with("d.test", RecordKind::Mx, mx("in1.mx.hosted.test."))
}

// ------------------------------------------------------------------ precedence

#[test]
fn the_domains_own_file_wins_over_every_other_source() {
    let server = HttpServer::start(HashMap::from([
        (
            "/own".into(),
            xml(client_config("own.test", 587, "STARTTLS")),
        ),
        (
            "/ispdb/d.test".into(),
            xml(client_config("ispdb.test", 465, "SSL")),
        ),
        (
            "/autodiscover/me%40d.test".into(),
            Reply::Body("application/json", TENANT.into()),
        ),
    ]));
    let found = run(&full_dns(), &endpoints(&server, &["/own"]), "me@d.test");
    let settings = found.found.as_ref().expect("settings");
    assert_eq!(settings.source, Source::Autoconfig);
    assert_eq!(settings.outgoing[0].host, "smtp.own.test");
    assert_eq!(settings.outgoing[0].security, Security::Starttls);
    assert_eq!(settings.username, Some(Username::LocalPart));
    assert!(
        settings.origin.contains("/own?emailaddress=me%40d.test"),
        "{}",
        settings.origin
    );
    // The lower sources still answered, and say so.
    assert_eq!(outcome(&found, Source::Ispdb)[0].0, Outcome::Found);
    assert_eq!(outcome(&found, Source::Srv)[0].0, Outcome::Found);
    assert_eq!(outcome(&found, Source::Mx)[0].0, Outcome::Found);
    // The address was not sent to Autodiscover: a file had answered.
    assert_eq!(outcome(&found, Source::Autodiscover)[0].0, Outcome::Skipped);
    assert!(
        !server
            .hits()
            .iter()
            .any(|hit| hit.starts_with("/autodiscover")),
        "{:?}",
        server.hits()
    );
}

#[test]
fn the_ispdb_answers_when_the_domain_publishes_no_file() {
    let server = HttpServer::start(HashMap::from([(
        "/ispdb/d.test".into(),
        xml(client_config("ispdb.test", 465, "SSL")),
    )]));
    let found = run(
        &full_dns(),
        &endpoints(&server, &["/own", "/well-known"]),
        "me@d.test",
    );
    let settings = found.found.as_ref().expect("settings");
    assert_eq!(settings.source, Source::Ispdb);
    assert_eq!(settings.outgoing[0].host, "smtp.ispdb.test");
    assert_eq!(settings.outgoing[0].port, 465);
    assert_eq!(settings.outgoing[0].security, Security::Tls);
    // Both of the domain's own places were asked, in order, and had nothing (404 is proof).
    let own = outcome(&found, Source::Autoconfig);
    assert_eq!(own.len(), 2);
    assert!(own.iter().all(|(o, _)| *o == Outcome::Nothing), "{own:?}");
}

#[test]
fn autodiscover_names_microsoft_365_when_no_file_answers() {
    let server = HttpServer::start(HashMap::from([(
        "/autodiscover/me%40d.test".into(),
        Reply::Body("application/json", TENANT.into()),
    )]));
    let found = run(&full_dns(), &endpoints(&server, &["/own"]), "me@d.test");
    let settings = found.found.as_ref().expect("settings");
    assert_eq!(settings.source, Source::Autodiscover);
    assert_eq!(settings.provider.as_deref(), Some("microsoft-365"));
    assert_eq!(settings.outgoing[0].host, "smtp.office365.com");
    assert!(
        settings
            .note
            .as_deref()
            .is_some_and(|n| n.contains("Microsoft 365"))
    );
}

#[test]
fn srv_beats_the_mx_guess_when_no_web_source_answers() {
    let server = HttpServer::start(HashMap::from([(
        "/autodiscover/me%40d.test".into(),
        Reply::Body("application/json", NOT_A_TENANT.into()),
    )]));
    let found = run(&full_dns(), &endpoints(&server, &["/own"]), "me@d.test");
    let settings = found.found.as_ref().expect("settings");
    assert_eq!(settings.source, Source::Srv);
    assert_eq!(settings.outgoing[0].host, "srv-smtp.d.test");
    assert_eq!(settings.outgoing[0].port, 587);
    let autodiscover = outcome(&found, Source::Autodiscover);
    assert_eq!(autodiscover[0].0, Outcome::Nothing);
    assert!(
        autodiscover[0].1.contains("Failed to find the mailbox"),
        "{autodiscover:?}"
    );
}

#[test]
fn the_mx_guess_is_the_last_resort() {
    let server = HttpServer::start(HashMap::new());
    let dns = Table::default().with("d.test", RecordKind::Mx, mx("in1.mx.hosted.test."));
    let found = run(&dns, &endpoints(&server, &["/own"]), "me@d.test");
    let settings = found.found.as_ref().expect("settings");
    assert_eq!(settings.source, Source::Mx);
    assert_eq!(settings.provider.as_deref(), Some("hosted"));
    assert!(
        settings.origin.contains("in1.mx.hosted.test"),
        "{}",
        settings.origin
    );
    assert!(
        settings
            .note
            .as_deref()
            .is_some_and(|n| n.contains("a guess"))
    );
}

#[test]
fn nothing_anywhere_is_said_as_nothing_not_as_could_not_check() {
    let server = HttpServer::start(HashMap::new());
    let found = run(
        &Table::default(),
        &endpoints(&server, &["/own"]),
        "me@d.test",
    );
    assert!(found.found.is_none());
    assert!(!found.could_not_check(), "{:#?}", found.attempts);
    assert_eq!(found.attempts.len(), 5);
}

#[test]
fn the_domains_autoconfig_host_is_looked_up_in_dns_first() {
    // The default templates' autoconfig.d.test does not exist in the table's DNS: that is
    // "nothing there", said from DNS's answer, without any web request.
    let server = HttpServer::start(HashMap::new());
    let mut endpoints = endpoints(&server, &[]);
    endpoints.autoconfig = Endpoints::default().autoconfig;
    let found = run(&Table::default(), &endpoints, "me@d.test");
    let own = outcome(&found, Source::Autoconfig);
    assert_eq!(own.len(), 2);
    assert!(
        own.iter()
            .all(|(o, why)| *o == Outcome::Nothing && why.contains("does not exist in DNS")),
        "{own:?}"
    );
}

// ------------------------------------------------------------------ hostile servers

/// Each hostile answer ends as "could not check" in words, and the next source still answers.
#[test]
fn broken_huge_slow_and_looping_files_fail_cleanly_and_the_ispdb_still_answers() {
    let server = HttpServer::start(HashMap::from([
        (
            "/malformed".into(),
            xml("<clientConfig><emailProvider><outgoingServer".into()),
        ),
        ("/huge".into(), Reply::Huge),
        ("/slow".into(), Reply::Slow),
        ("/loop".into(), Reply::Loop),
        (
            "/ispdb/d.test".into(),
            xml(client_config("ispdb.test", 587, "STARTTLS")),
        ),
    ]));
    let started = Instant::now();
    let found = run(
        &Table::default(),
        &endpoints(&server, &["/malformed", "/huge", "/slow", "/loop"]),
        "me@d.test",
    );
    let own = outcome(&found, Source::Autoconfig);
    let expect = [
        "not a valid autoconfig file",
        "larger than 64 KiB",
        "no complete answer within 1 s",
        "redirected more than 3 times",
    ];
    for ((result, why), words) in own.iter().zip(expect) {
        assert_eq!(*result, Outcome::Failed, "{why}");
        assert!(why.contains(words), "{why:?} should say {words:?}");
    }
    assert_eq!(
        found.found.as_ref().map(|f| f.source),
        Some(Source::Ispdb),
        "{:#?}",
        found.attempts
    );
    // Only a sanity bound against a hang; the time itself is not the test.
    assert!(started.elapsed() < HANG_GUARD);
    // The loop was cut at the cap: the first request and three redirects.
    let loops = server
        .hits()
        .iter()
        .filter(|h| h.starts_with("/loop"))
        .count();
    assert_eq!(loops, 4);
}

#[test]
fn a_redirect_to_plain_http_is_not_followed_for_real_use() {
    let server = HttpServer::start(HashMap::from([("/loop".into(), Reply::Loop)]));
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let mut options = options();
    options.allow_http = false;
    let endpoints = endpoints(&server, &["/loop"]);
    let found = runtime.block_on(async {
        discovery::discover(
            &Table::default(),
            &TwoProviders,
            &endpoints,
            &options,
            "me@d.test",
            &|_| {},
        )
        .await
        .expect("valid")
    });
    let own = outcome(&found, Source::Autoconfig);
    assert_eq!(own[0].0, Outcome::Failed);
    assert!(
        server.hits().is_empty(),
        "an http address is not even asked"
    );
}

// ------------------------------------------------------------------ the lab's DNS: SRV and MX

fn lab_resolver() -> Option<DnsClient> {
    common::lab::dns_lab("discovery")?;
    Some(
        DnsClient::new(&DnsSettings {
            server: Some(SocketAddr::from(([127, 0, 0, 1], 5353))),
            timeout: Duration::from_secs(5),
            known_name: "example.test".into(),
        })
        .expect("a resolver for one server"),
    )
}

#[test]
fn srv_records_in_real_dns_give_settings_with_implicit_tls_first() {
    let Some(resolver) = lab_resolver() else {
        return;
    };
    let server = HttpServer::start(HashMap::new());
    let found = run(&resolver, &endpoints(&server, &["/own"]), "me@example.test");
    let settings = found.found.as_ref().expect("settings");
    assert_eq!(settings.source, Source::Srv);
    let outgoing: Vec<(&str, u16, Security)> = settings
        .outgoing
        .iter()
        .map(|s| (s.host.as_str(), s.port, s.security))
        .collect();
    assert_eq!(
        outgoing,
        [
            ("mail.example.test", 2465, Security::Tls),
            ("mail.example.test", 2587, Security::Starttls)
        ]
    );
    assert_eq!(settings.incoming[0].protocol, Protocol::Imap);
    assert_eq!(settings.incoming[0].port, 2993);
}

#[test]
fn an_mx_at_a_known_provider_in_real_dns_is_the_guess() {
    let Some(resolver) = lab_resolver() else {
        return;
    };
    let server = HttpServer::start(HashMap::new());
    // multimx.example.test has MX records (mail.example.test first) and no SRV.
    let found = run(
        &resolver,
        &endpoints(&server, &["/own"]),
        "me@multimx.example.test",
    );
    let settings = found.found.as_ref().expect("settings");
    assert_eq!(settings.source, Source::Mx, "{:#?}", found.attempts);
    assert_eq!(settings.provider.as_deref(), Some("hosted"));
    assert_eq!(outcome(&found, Source::Srv)[0].0, Outcome::Nothing);
}

// ------------------------------------------------------------------ `relaydoc settings`

fn relaydoc() -> Command {
    let mut command = Command::cargo_bin("relaydoc").expect("binary");
    command.env_remove("RELAYDOC_OFFLINE");
    command
}

/// `settings` pointed at one test server and the lab's DNS.
fn settings(server: &HttpServer, email: &str, extra: &[&str]) -> Command {
    let mut command = relaydoc();
    command.args(["settings", "--email", email]);
    command.args([
        "--dns-server",
        "127.0.0.1:5353",
        "--dns-known-name",
        "example.test",
    ]);
    command.args(["--timeout", "2", "--allow-http"]);
    command.args(["--autoconfig-url", &server.url("/own?emailaddress={email}")]);
    command.args(["--ispdb-url", &server.url("/ispdb/{domain}")]);
    command.args(["--autodiscover-url", &server.url("/autodiscover/{email}")]);
    command.args(extra);
    command.timeout(HANG_GUARD);
    command
}

fn json(output: &[u8]) -> Value {
    serde_json::from_slice(output).expect("JSON on stdout")
}

#[test]
fn settings_json_names_the_source_that_answered() {
    if common::lab::dns_lab("discovery").is_none() {
        return;
    }
    let server = HttpServer::start(HashMap::from([(
        "/own".into(),
        xml(client_config("example.test", 587, "STARTTLS")),
    )]));
    let output = settings(&server, "me@example.test", &["--json"])
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    let report = json(&output.stdout);
    assert_eq!(report["source"], "autoconfig");
    assert_eq!(report["provider"], Value::Null);
    assert_eq!(report["outgoing"][0]["host"], "smtp.example.test");
    assert_eq!(report["outgoing"][0]["port"], 587);
    assert_eq!(report["outgoing"][0]["security"], "starttls");
    assert_eq!(report["outgoing"][0]["auth"], "password");
    assert_eq!(report["incoming"][0]["protocol"], "imap");
    assert_eq!(report["username"], "local-part");
    let attempts = report["discovery"]["attempts"]
        .as_array()
        .expect("attempts");
    let sources: Vec<&str> = attempts
        .iter()
        .filter_map(|a| a["source"].as_str())
        .collect();
    assert_eq!(
        sources,
        ["autoconfig", "ispdb", "autodiscover", "srv", "mx"]
    );
    // The person's steps are filled with the found server.
    let text = settings(&server, "me@example.test", &[])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("Found in the domain's own autoconfig file"),
        "{text}"
    );
    assert!(
        text.contains("Set the outgoing server (SMTP) name to smtp.example.test"),
        "{text}"
    );
}

#[test]
fn a_hosted_domain_is_found_by_its_mx_in_the_real_catalogue() {
    // Needs hosted.example.test in the lab's example.test zone (MX at Microsoft 365).
    if common::lab::dns_lab("discovery").is_none() {
        return;
    }
    let server = HttpServer::start(HashMap::new());
    let output = settings(&server, "me@hosted.example.test", &["--json"])
        .output()
        .expect("runs");
    let report = json(&output.stdout);
    assert_eq!(report["source"], "mx", "{report:#}");
    assert_eq!(report["provider"], "microsoft-365");
    assert_eq!(report["outgoing"][0]["host"], "smtp.office365.com");
}

#[test]
fn offline_asks_nothing_and_says_so() {
    let server = HttpServer::start(HashMap::new());
    for (flag, env) in [(Some("--offline"), None), (None, Some("1"))] {
        let mut command = settings(&server, "me@example.test", &["--json"]);
        if let Some(flag) = flag {
            command.arg(flag);
        }
        if let Some(env) = env {
            command.env("RELAYDOC_OFFLINE", env);
        }
        let output = command.output().expect("runs");
        assert!(output.status.success(), "{output:?}");
        let report = json(&output.stdout);
        assert_eq!(report["source"], Value::Null);
        assert!(report.get("discovery").is_none(), "{report:#}");
    }
    assert!(server.hits().is_empty(), "{:?}", server.hits());
}

// ------------------------------------------------------------------ exports, parsed back

#[test]
fn the_autoconfig_export_is_a_clientconfig_thunderbird_can_read() {
    if common::lab::dns_lab("discovery").is_none() {
        return;
    }
    let server = HttpServer::start(HashMap::from([(
        "/own".into(),
        xml(client_config("example.test", 465, "SSL")),
    )]));
    let output = settings(&server, "me@example.test", &["--export", "autoconfig"])
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8(output.stdout).expect("UTF-8");
    // Read back with the same reader discovery uses for the domain's own files…
    let parsed = discovery::autoconfig::parse(text.as_bytes(), "example.test").expect("parses");
    assert_eq!(parsed.outgoing[0].host, "smtp.example.test");
    assert_eq!(parsed.outgoing[0].port, 465);
    assert_eq!(parsed.outgoing[0].security, Security::Tls);
    assert_eq!(parsed.username, Some(Username::LocalPart));
    // …and check the required shape element by element.
    let mut reader = quick_xml::Reader::from_str(&text);
    let mut path: Vec<String> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    loop {
        match reader.read_event().expect("well-formed XML") {
            quick_xml::events::Event::Start(start) => {
                path.push(start.name().into_inner().to_owned());
                seen.push(path.join("/"));
            }
            quick_xml::events::Event::End(_) => {
                path.pop();
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    for required in [
        "clientConfig/emailProvider/domain",
        "clientConfig/emailProvider/displayName",
        "clientConfig/emailProvider/incomingServer/hostname",
        "clientConfig/emailProvider/outgoingServer/hostname",
        "clientConfig/emailProvider/outgoingServer/port",
        "clientConfig/emailProvider/outgoingServer/socketType",
        "clientConfig/emailProvider/outgoingServer/authentication",
        "clientConfig/emailProvider/outgoingServer/username",
    ] {
        assert!(
            seen.iter().any(|s| s == required),
            "{required} missing in {text}"
        );
    }
    assert!(text.contains(r#"<clientConfig version="1.1">"#), "{text}");
    assert!(!text.to_lowercase().contains("<password"), "{text}");
}

#[test]
fn the_mobileconfig_export_is_an_apple_profile_without_a_password() {
    // A catalogue address: offline, no server needed.
    let output = relaydoc()
        .args([
            "settings",
            "--email",
            "someone@gmx.de",
            "--offline",
            "--export",
            "mobileconfig",
        ])
        .timeout(HANG_GUARD)
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    let profile = plist::Value::from_reader_xml(output.stdout.as_slice()).expect("a plist");
    let top = profile.as_dictionary().expect("a dictionary");
    assert_eq!(
        top.get("PayloadType").and_then(|v| v.as_string()),
        Some("Configuration")
    );
    assert_eq!(
        top.get("PayloadVersion")
            .and_then(|v| v.as_signed_integer()),
        Some(1)
    );
    assert!(top.get("PayloadUUID").and_then(|v| v.as_string()).is_some());
    assert!(
        top.get("PayloadIdentifier")
            .and_then(|v| v.as_string())
            .is_some()
    );
    let content = top
        .get("PayloadContent")
        .and_then(|v| v.as_array())
        .expect("content");
    let mail = content[0].as_dictionary().expect("payload");
    let string = |key: &str| mail.get(key).and_then(|v| v.as_string()).map(str::to_owned);
    let integer = |key: &str| mail.get(key).and_then(|v| v.as_signed_integer());
    let boolean = |key: &str| mail.get(key).and_then(|v| v.as_boolean());
    assert_eq!(
        string("PayloadType").as_deref(),
        Some("com.apple.mail.managed")
    );
    assert_eq!(string("EmailAddress").as_deref(), Some("someone@gmx.de"));
    assert_eq!(string("EmailAccountType").as_deref(), Some("EmailTypeIMAP"));
    assert_eq!(
        string("OutgoingMailServerHostName").as_deref(),
        Some("mail.gmx.net")
    );
    assert_eq!(integer("OutgoingMailServerPortNumber"), Some(465));
    assert_eq!(boolean("OutgoingMailServerUseSSL"), Some(true));
    assert_eq!(
        string("OutgoingMailServerAuthentication").as_deref(),
        Some("EmailAuthPassword")
    );
    assert_eq!(
        string("IncomingMailServerHostName").as_deref(),
        Some("imap.gmx.net")
    );
    assert_eq!(integer("IncomingMailServerPortNumber"), Some(993));
    assert_eq!(
        string("IncomingMailServerUsername").as_deref(),
        Some("someone@gmx.de")
    );
    for (key, _) in top.iter().chain(mail.iter()) {
        assert!(
            !key.to_lowercase().contains("password")
                || key == "OutgoingPasswordSameAsIncomingPassword",
            "{key}"
        );
    }
}

#[test]
fn an_oauth_only_provider_gets_no_apple_profile_but_a_reason() {
    // Apple's mail payload knows no OAuth2: a profile with a password method would not work.
    let found = Found {
        source: Source::Catalogue,
        provider: None,
        name: Some("Only OAuth".into()),
        outgoing: vec![Server {
            protocol: Protocol::Smtp,
            host: "smtp.oauth.test".into(),
            port: 587,
            security: Security::Starttls,
            auth: Auth::Oauth2,
        }],
        incoming: vec![Server {
            protocol: Protocol::Imap,
            host: "imap.oauth.test".into(),
            port: 993,
            security: Security::Tls,
            auth: Auth::Oauth2,
        }],
        username: None,
        origin: "test".into(),
        note: None,
    };
    let why = discovery::export::mobileconfig(&found, "me@oauth.test").expect_err("no profile");
    assert!(why.contains("OAuth2"), "{why}");
}

#[test]
fn exports_need_an_address_and_something_to_export() {
    let output = relaydoc()
        .args(["settings", "--export", "autoconfig"])
        .timeout(HANG_GUARD)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let output = relaydoc()
        .args([
            "settings",
            "--email",
            "me@unknown.invalid",
            "--offline",
            "--export",
            "autoconfig",
        ])
        .timeout(HANG_GUARD)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("nothing to export"));
}

// ------------------------------------------------------------------ yours vs theirs

#[test]
fn check_account_says_how_the_given_server_differs_from_the_published_one() {
    // The lab's Postfix stands in for "your program's" server; gmx.de's published settings
    // come from the catalogue.
    if common::lab::lab("discovery").is_none() {
        return;
    }
    let output = relaydoc()
        .args([
            "check",
            "account",
            "someone@gmx.de",
            "--server",
            "127.0.0.1",
        ])
        .args(["--port", "2525", "--security", "none", "--no-login"])
        .args([
            "--dns-server",
            "127.0.0.1:5353",
            "--dns-known-name",
            "example.test",
        ])
        .args(["--zone", "bl.example.test"])
        .env("COLUMNS", "200")
        .timeout(HANG_GUARD)
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&output.stdout).replace("\n  ", " ");
    assert!(text.contains("Yours vs theirs:"), "{text}");
    assert!(
        text.contains("your program sends through 127.0.0.1; GMX"),
        "{text}"
    );
    assert!(
        text.contains("your program uses port 2525 with no encryption; GMX")
            && text.contains(
                "publishes mail.gmx.net port 465 with SSL/TLS (or port 587 with STARTTLS)"
            ),
        "{text}"
    );
}
