//! The simulator against the real Postfix: every configuration (a master.cf service of the
//! matrix instance, `tests/lab/postfix-matrix.sh`) × every client situation is replayed by
//! `relaydoc::postfix::simulate` and sent, as a real SMTP session, to Postfix on 127.0.0.1;
//! verdict, stage and reply code must agree in every cell.
//!
//! Then `postfix lint --log` reads the instance's own log of those sessions: every refusal is
//! judged by the master.cf service that logged it, and says what that service's settings do.
//!
//! Run alone: `cargo test --test postfix_matrix -- --nocapture` (as root: the test starts the
//! instance itself when it is not running, and stops it again). Only loopback is contacted.

mod common;

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use relaydoc::postfix::config::{Settings, parse_main};
use relaydoc::postfix::master::parse_master;
use relaydoc::postfix::simulate::{self, Client, Outcome};

/// One client situation: who connects, how, and where the mail goes.
#[derive(Debug, Clone, Copy)]
struct Situation {
    name: &'static str,
    source: Ipv4Addr,
    tls: bool,
    sasl: bool,
    to: &'static str,
}

const SITUATIONS: &[Situation] = &[
    Situation {
        name: "anonymous, external recipient",
        source: Ipv4Addr::new(127, 0, 0, 1),
        tls: false,
        sasl: false,
        to: "someone@example.org",
    },
    Situation {
        name: "anonymous, local recipient",
        source: Ipv4Addr::new(127, 0, 0, 1),
        tls: false,
        sasl: false,
        to: "alice@example.test",
    },
    Situation {
        name: "TLS + SASL, external recipient",
        source: Ipv4Addr::new(127, 0, 0, 1),
        tls: true,
        sasl: true,
        to: "someone@example.org",
    },
    Situation {
        name: "mynetworks 127.0.0.2, external recipient",
        source: Ipv4Addr::new(127, 0, 0, 2),
        tls: false,
        sasl: false,
        to: "someone@example.org",
    },
    Situation {
        name: "TLS anonymous, to example.net (access map OK)",
        source: Ipv4Addr::new(127, 0, 0, 1),
        tls: true,
        sasl: false,
        to: "someone@example.net",
    },
    Situation {
        name: "SASL without TLS, external recipient",
        source: Ipv4Addr::new(127, 0, 0, 1),
        tls: false,
        sasl: true,
        to: "someone@example.org",
    },
];

const HELO: &str = "client.example.test";
const FROM: &str = "alice@example.test";
const USER: &str = "alice@example.test";
const PASSWORD: &str = "password";

/// What the real server did: the stage and reply that ended the session (or RCPT's reply).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Real {
    stage: &'static str,
    /// `None`: no reply at all (closed or silent).
    code: Option<u16>,
    enhanced: String,
    text: String,
}

trait Stream: Read + Write + Send {}
impl<T: Read + Write + Send> Stream for T {}

struct Session {
    stream: Box<dyn Stream>,
}

impl Session {
    /// One reply, multi-line included; `None` on EOF, timeout or garbage.
    fn reply(&mut self) -> Option<(u16, String)> {
        loop {
            let mut line = Vec::new();
            let mut byte = [0u8; 1];
            loop {
                match self.stream.read(&mut byte) {
                    Ok(1) if byte[0] == b'\n' => break,
                    Ok(1) => line.push(byte[0]),
                    _ => return None,
                }
                if line.len() > 4096 {
                    return None;
                }
            }
            let line = String::from_utf8_lossy(&line).trim_end().to_owned();
            let code: u16 = line.get(..3)?.parse().ok()?;
            if line.as_bytes().get(3) != Some(&b'-') {
                return Some((code, line));
            }
        }
    }

    fn command(&mut self, line: &str) -> Option<(u16, String)> {
        self.stream
            .write_all(format!("{line}\r\n").as_bytes())
            .ok()?;
        self.stream.flush().ok()?;
        self.reply()
    }
}

fn ended(stage: &'static str, reply: Option<(u16, String)>) -> Real {
    match reply {
        None => Real {
            stage,
            code: None,
            enhanced: String::new(),
            text: String::new(),
        },
        Some((code, text)) => {
            let enhanced = text
                .get(4..)
                .and_then(|rest| rest.split_whitespace().next())
                .filter(|word| word.matches('.').count() == 2 && word.starts_with(['2', '4', '5']))
                .unwrap_or_default()
                .to_owned();
            Real {
                stage,
                code: Some(code),
                enhanced,
                text,
            }
        }
    }
}

/// Connects from `source` (bound, so 127.0.0.2 is a real mynetworks client).
fn connect(source: Ipv4Addr, port: u16) -> std::io::Result<TcpStream> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()?;
    let stream = runtime.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.bind(SocketAddr::from((source, 0)))?;
        tokio::time::timeout(
            Duration::from_secs(5),
            socket.connect(SocketAddr::from(([127, 0, 0, 1], port))),
        )
        .await
        .map_err(|_| std::io::Error::other("connect timed out"))?
    })?;
    let stream = stream.into_std()?;
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(4)))?;
    stream.set_write_timeout(Some(Duration::from_secs(4)))?;
    Ok(stream)
}

fn tls_config(ca_der: &[u8]) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from(ca_der.to_vec()))
        .expect("the matrix CA certificate");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Arc::new(
        rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

/// The real session: banner, EHLO, [STARTTLS, EHLO], [AUTH PLAIN], MAIL, RCPT.
fn probe(port: u16, situation: Situation, tls: &Arc<rustls::ClientConfig>) -> Real {
    let tcp = match connect(situation.source, port) {
        Ok(tcp) => tcp,
        Err(_) => return ended("connect", None),
    };
    let mut session = Session {
        stream: Box::new(tcp.try_clone().expect("clone socket")),
    };
    match session.reply() {
        Some((220, _)) => {}
        other => return ended("connect", other),
    }
    match session.command(&format!("EHLO {HELO}")) {
        Some((250, _)) => {}
        other => return ended("helo", other),
    }
    if situation.tls {
        match session.command("STARTTLS") {
            Some((220, _)) => {}
            other => return ended("helo", other),
        }
        let name = rustls::pki_types::ServerName::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST).into());
        let connection = rustls::ClientConnection::new(tls.clone(), name).expect("TLS client");
        session.stream = Box::new(rustls::StreamOwned::new(connection, tcp));
        match session.command(&format!("EHLO {HELO}")) {
            Some((250, _)) => {}
            other => return ended("helo", other),
        }
    }
    if situation.sasl {
        let token =
            base64::engine::general_purpose::STANDARD.encode(format!("\0{USER}\0{PASSWORD}"));
        match session.command(&format!("AUTH PLAIN {token}")) {
            Some((235, _)) => {}
            other => return ended("auth", other),
        }
    }
    match session.command(&format!("MAIL FROM:<{FROM}>")) {
        Some((250, _)) => {}
        other => return ended("mail", other),
    }
    let rcpt = session.command(&format!("RCPT TO:<{}>", situation.to));
    let _ = session.command("QUIT");
    ended("rcpt", rcpt)
}

#[test]
fn simulator_agrees_with_real_postfix_in_every_cell() {
    let Some((dir, started)) = common::lab::postfix_matrix("postfix_matrix") else {
        return;
    };
    let result = std::panic::catch_unwind(|| {
        run_matrix(&dir);
        lint_reads_the_matrix_log(&dir);
    });
    common::lab::stop_postfix_matrix(started);
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

fn run_matrix(dir: &Path) {
    let main_text = std::fs::read_to_string(dir.join("etc/main.cf")).expect("matrix main.cf");
    let master_text = std::fs::read_to_string(dir.join("etc/master.cf")).expect("matrix master.cf");
    let (main, problems) = parse_main("main.cf", &main_text);
    assert!(problems.is_empty(), "{problems}");
    let (services, problems) = parse_master("master.cf", &master_text);
    assert!(problems.is_empty(), "{problems}");
    // The version is read from the real binary, as a server owner would give it.
    let version = std::process::Command::new("postconf")
        .args(["-d", "-h", "mail_version"])
        .output()
        .ok()
        .and_then(|out| {
            relaydoc::postfix::config::Version::parse(&String::from_utf8_lossy(&out.stdout))
        });
    let settings = Settings::new(&main, version);
    let ca = std::fs::read(dir.join("tls/ca.der")).expect("matrix CA");
    let tls = tls_config(&ca);
    let matrix: Vec<_> = services
        .iter()
        .filter(|s| s.is_smtpd() && s.port().is_some_and(|p| (2600..2700).contains(&p)))
        .collect();
    assert!(
        matrix.len() >= 20,
        "expected the matrix services in master.cf, found {}",
        matrix.len()
    );

    let cells: Vec<_> = matrix
        .iter()
        .flat_map(|service| {
            SITUATIONS
                .iter()
                .map(move |situation| (*service, *situation))
        })
        .collect();
    // A few cells at a time: the machine is small and shared.
    let results: Vec<_> = std::thread::scope(|scope| {
        cells
            .chunks(cells.len().div_ceil(4))
            .map(|chunk| {
                let tls = tls.clone();
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|(service, situation)| {
                            let port = service.port().unwrap_or_default();
                            (*service, *situation, probe(port, *situation, &tls))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .flat_map(|handle| handle.join().expect("probe thread"))
            .collect()
    });

    let mut failures = Vec::new();
    for (service, situation, real) in &results {
        let view = settings.for_service(&service.name, service.overrides.clone());
        let client = Client {
            ip: IpAddr::V4(situation.source),
            sasl_user: situation.sasl.then(|| USER.to_owned()),
            tls: situation.tls,
            helo: HELO.into(),
            from: FROM.into(),
            to: situation.to.into(),
        };
        let sim = simulate::simulate(&view, &client);
        let v = &sim.verdict;
        let sim_stage = serde_json::to_value(v.stage)
            .expect("stage")
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let agree = match real.code {
            // No reply at all is what a fatal configuration error looks like.
            None => v.outcome == Outcome::Error && sim_stage == real.stage,
            Some(code) => {
                v.outcome != Outcome::Error
                    && v.code == code
                    && sim_stage == real.stage
                    && (v.enhanced == real.enhanced || code == 250)
            }
        };
        let syslog = service
            .overrides
            .iter()
            .find(|o| o.name == "syslog_name")
            .map(|o| o.value.clone())
            .unwrap_or_default();
        println!(
            "{} {:<38} {:<45} real: {:<5} {:<4} {:<7}  sim: {:<5} {:<4} {:<7}",
            if agree { "ok  " } else { "FAIL" },
            syslog.trim_start_matches("relaydoc-matrix/"),
            situation.name,
            real.stage,
            real.code.map_or("none".into(), |c| c.to_string()),
            real.enhanced,
            sim_stage,
            v.code,
            v.enhanced,
        );
        if !agree {
            failures.push(format!(
                "{} × {}:\n  real: {} {:?} {}\n  sim:  {} {} {} ({:?})\n  steps: {:?}",
                service.name,
                situation.name,
                real.stage,
                real.code,
                real.text,
                sim_stage,
                v.code,
                v.reply,
                v.outcome,
                sim.steps
                    .iter()
                    .map(|s| format!("{}:{}={}", s.parameter, s.rule, s.result))
                    .collect::<Vec<_>>()
            ));
        }
    }
    println!(
        "matrix: {} cells agree, {} disagree",
        results.len() - failures.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} cells disagree:\n{}",
        failures.len(),
        results.len(),
        failures.join("\n")
    );
}

/// `postfix lint --log` on the matrix's own log, with its main.cf and master.cf: each service
/// that refused relaying is judged by its own `-o` settings (the services differ only there).
fn lint_reads_the_matrix_log(dir: &Path) {
    let home = tempfile::tempdir().expect("temp dir");
    let output = common::isolated::relaydoc(home.path())
        .args(["postfix", "lint"])
        .arg(dir.join("etc/main.cf"))
        .arg("--master")
        .arg(dir.join("etc/master.cf"))
        .arg("--log")
        .arg(dir.join("log/postfix.log"))
        .arg("--json")
        .timeout(Duration::from_secs(60))
        .output()
        .expect("runs");
    let value: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stderr)));
    let findings = value["findings"].as_array().cloned().unwrap_or_default();
    let master_text = std::fs::read_to_string(dir.join("etc/master.cf")).expect("master.cf");
    let (services, _) = parse_master("master.cf", &master_text);
    // The service a matrix name belongs to (its `-o syslog_name=relaydoc-matrix/NAME`).
    let service_of = |name: &str| {
        services
            .iter()
            .find(|s| {
                s.overrides
                    .iter()
                    .any(|o| o.name == "syslog_name" && o.value.ends_with(&format!("/{name}")))
            })
            .map(|s| s.name.clone())
            .unwrap_or_else(|| panic!("no matrix service {name}"))
    };
    let ids_for = |name: &str| -> Vec<String> {
        let service = service_of(name);
        findings
            .iter()
            .filter(|f| f["service"] == service.as_str())
            .filter_map(|f| f["id"].as_str().map(str::to_owned))
            .collect()
    };
    let log = std::fs::read_to_string(dir.join("log/postfix.log")).expect("matrix log");
    let mut checked = 0;
    for (name, id) in [
        // Both lists lack permit_sasl_authenticated while SMTP AUTH is on.
        ("no-sasl-permit", "refused-clients-sasl-not-permitted"),
        // SMTP AUTH off: the lines that turn it on.
        ("sasl-off", "refused-clients-no-way-to-relay"),
        // 127.0.0.2 is in mynetworks, but the relay rules have no permit_mynetworks.
        ("unknown-client", "refused-client-in-mynetworks"),
        // Sound: the refused client only had to sign in.
        ("classic", "refused-clients-did-not-sign-in"),
    ] {
        if !log.contains(&format!("relaydoc-matrix/{name}/smtpd")) {
            continue;
        }
        checked += 1;
        let ids = ids_for(name);
        assert!(
            ids.iter().any(|i| i == id),
            "{name}: expected {id}, got {ids:?}"
        );
        if name == "classic" {
            assert!(
                !ids.iter().any(|i| i == "refused-clients-no-way-to-relay"),
                "{name}: SMTP AUTH is on, nothing may say it is off: {ids:?}"
            );
        }
    }
    assert!(
        checked >= 3,
        "the matrix log holds too few of the expected refusals"
    );
    assert!(
        !findings
            .iter()
            .any(|f| f["id"] == "refusals-from-unknown-service"),
        "every refusal belongs to a matrix service: {findings:#?}"
    );
    // Fixes for a service are its own -o lines.
    let sasl_off = service_of("sasl-off");
    let fix = findings
        .iter()
        .find(|f| f["service"] == sasl_off.as_str() && f["id"] == "refused-clients-no-way-to-relay")
        .and_then(|f| f["fix"].as_str())
        .unwrap_or_default();
    assert!(fix.contains("-o smtpd_sasl_auth_enable=yes"), "{fix}");
}
