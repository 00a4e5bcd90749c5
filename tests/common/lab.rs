//! Access to the loopback mail lab (Postfix + Dovecot + NSD) started by `tests/lab/start.sh`.
//!
//! The test command in the README starts the lab and sets `RELAYDOC_REQUIRE_LAB=1`; then a lab
//! that is not up fails the test loudly. A developer running bare `cargo test` without the lab
//! gets a clear "skipped" line on stderr instead.

#![allow(dead_code)]

use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::time::Duration;

/// Where the lab lives and listens. Every address is loopback.
#[derive(Debug, Clone)]
pub struct Lab {
    pub dir: PathBuf,
}

impl Lab {
    pub fn ca_file(&self) -> PathBuf {
        self.dir.join("tls/ca.crt")
    }

    pub fn dns(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 5353))
    }

    pub fn smtp(&self, port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }
}

/// The lab's SMTP (Postfix, port 2525) and DNS (NSD, port 5353) listeners on 127.0.0.1.
const SMTP: (&str, u16) = ("smtp", 2525);
const DNS: (&str, u16) = ("dns", 5353);

/// The whole lab: mail servers and DNS.
pub fn lab(test: &str) -> Option<Lab> {
    require(test, &[SMTP, DNS])
}

/// Only the mail servers (Postfix + Dovecot), for tests that need no DNS.
pub fn mail_lab(test: &str) -> Option<Lab> {
    require(test, &[SMTP])
}

/// Only the lab's DNS server (`tests/lab/dns.sh start`), for tests that need nothing else.
pub fn dns_lab(test: &str) -> Option<Lab> {
    require(test, &[DNS])
}

/// The lab when every listed service answers; otherwise `None` with a "skipped" line — or a
/// panic when `RELAYDOC_REQUIRE_LAB=1`: in CI a missing lab must fail the run, never skip.
fn require(test: &str, services: &[(&str, u16)]) -> Option<Lab> {
    let dir = std::env::var_os("RELAYDOC_LAB_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp/relaydoc-lab"));
    let down: Vec<String> = services
        .iter()
        .filter(|(_, port)| {
            TcpStream::connect_timeout(
                &SocketAddr::from(([127, 0, 0, 1], *port)),
                Duration::from_secs(2),
            )
            .is_err()
        })
        .map(|(name, port)| format!("{name} 127.0.0.1:{port}"))
        .collect();
    if down.is_empty() {
        return Some(Lab { dir });
    }
    let required = std::env::var("RELAYDOC_REQUIRE_LAB").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "{test}: the lab is required (RELAYDOC_REQUIRE_LAB=1) but does not answer on {}; \
         start it with tests/lab/start.sh",
        down.join(", ")
    );
    eprintln!(
        "{test}: SKIPPED: the lab is not running ({} down; start it with tests/lab/start.sh)",
        down.join(", ")
    );
    None
}

/// The simulator-vs-Postfix matrix instance (`tests/lab/postfix-matrix.sh`, ports 2600-2699):
/// its directory, starting it when it is not running (root, Debian's postfix and dovecot-core
/// installed). Returns the directory and whether this call started it (so the caller stops
/// it again), or `None` with a SKIPPED line when it cannot run and is not required.
pub fn postfix_matrix(test: &str) -> Option<(PathBuf, bool)> {
    let lab = std::env::var_os("RELAYDOC_LAB_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp/relaydoc-lab"));
    let dir = lab.join("postfix-matrix");
    let up = || {
        TcpStream::connect_timeout(
            &SocketAddr::from(([127, 0, 0, 1], 2600)),
            Duration::from_secs(2),
        )
        .is_ok()
    };
    if up() {
        return Some((dir, false));
    }
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/lab/postfix-matrix.sh");
    // Output goes to a file, not a pipe: daemons inherit it, and a pipe would never close.
    let log = dir.with_extension("start.log");
    let started = std::fs::create_dir_all(&lab).is_ok()
        && std::fs::File::create(&log).is_ok_and(|file| {
            let err = file.try_clone();
            err.is_ok_and(|err| {
                std::process::Command::new(&script)
                    .arg("start")
                    .env("RELAYDOC_LAB_DIR", &lab)
                    .stdin(std::process::Stdio::null())
                    .stdout(file)
                    .stderr(err)
                    .status()
                    .is_ok_and(|status| status.success())
            })
        })
        && up();
    if started {
        return Some((dir, true));
    }
    let why = std::fs::read_to_string(&log).unwrap_or_default();
    let required = std::env::var("RELAYDOC_REQUIRE_LAB").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "{test}: the Postfix matrix is required (RELAYDOC_REQUIRE_LAB=1) but could not start \
         ({} start): {why}",
        script.display()
    );
    eprintln!("{test}: SKIPPED: the Postfix matrix cannot start here: {why}");
    None
}

/// Stops the matrix instance when the test started it.
pub fn stop_postfix_matrix(started: bool) {
    if started {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/lab/postfix-matrix.sh");
        let _ = std::process::Command::new(script)
            .arg("stop")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
    }
}

/// A source address (127.100–199.x.y) no other test, or earlier run against the same lab, has
/// used. Two lab features remember client addresses: the POP-before-SMTP map keeps every
/// address until the lab restarts, and Dovecot slows down every login from an address with
/// recent failures (up to 15 s). Tests that log in with a wrong password, or test
/// POP-before-SMTP, connect from one.
pub fn fresh_source_address() -> std::net::IpAddr {
    use std::sync::atomic::{AtomicU8, Ordering};
    static NEXT: AtomicU8 = AtomicU8::new(1);
    let pid = std::process::id();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    std::net::IpAddr::from([
        127,
        100 + (pid % 100) as u8,
        NEXT.fetch_add(1, Ordering::Relaxed).max(1),
        1 + (nanos % 250) as u8,
    ])
}
