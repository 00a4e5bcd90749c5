//! Soak: 1,000 `check account` runs in one process against the lab and against injected
//! faults, counting what the process holds. Ignored by default (it takes a minute or two);
//! run it by hand with the lab up:
//!
//! ```text
//! RELAYDOC_LAB_DIR=/tmp/relaydoc-lab RELAYDOC_REQUIRE_LAB=1 \
//!     cargo test --test soak -- --ignored --nocapture
//! ```
//!
//! The runs cycle through four situations, four at a time: the lab's real account
//! (NSD + Postfix + Dovecot), an SMTP server that accepts and never speaks, one that resets
//! every connection, and a DNS server that answers SERVFAIL to everything. Every run must end
//! within its own deadlines (a guard far above them catches a hang); after a warm-up, open
//! file descriptors and threads must come back to where they were, and the resident memory
//! must stay flat. The figures are printed. Bounded: `SOAK_RUNS` (default 1,000) runs, each
//! with sub-second step timeouts. Only loopback addresses are contacted.

mod common;

use std::net::{Ipv4Addr, SocketAddr, TcpListener, UdpSocket};
use std::sync::Arc;
use std::time::{Duration, Instant};

use relaydoc::checks::account::{AccountCheck, AccountRequest, Deadlines};
use relaydoc::checks::dns::{DnsClient, DnsSettings};
use relaydoc::checks::smtp::conn::Limits;
use relaydoc::checks::smtp::session::{Options, Secret};
use relaydoc::checks::smtp::tls::Trust;

/// Far above every deadline of one run: reaching it means a hang.
const HANG_GUARD: Duration = Duration::from_secs(60);
const STEP: Duration = Duration::from_millis(300);
const PARALLEL: usize = 4;

#[derive(Debug, Clone, Copy)]
enum Fault {
    /// The lab's account, as in tests/check_account.rs.
    None,
    StallingSmtp,
    ResettingSmtp,
    ServFailDns,
}

/// Accepts connections and holds them without a word, until the client gives up.
fn stalling_smtp() -> SocketAddr {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
    let address = listener.local_addr().expect("address");
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut stream = stream;
                let mut sink = [0u8; 512];
                // Reads until the client closes; never answers.
                while std::io::Read::read(&mut stream, &mut sink).is_ok_and(|n| n > 0) {}
            });
        }
    });
    address
}

/// Accepts connections, sends half a banner, and resets them (RST, linger 0).
fn resetting_smtp() -> SocketAddr {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
    let address = listener.local_addr().expect("address");
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let _ = std::io::Write::write_all(&mut &stream, b"220 half a ban");
            let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
            drop(stream);
        }
    });
    address
}

/// Answers every question with SERVFAIL (over UDP; hickory does not retry over TCP then).
fn servfail_dns() -> SocketAddr {
    let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
    let address = socket.local_addr().expect("address");
    std::thread::spawn(move || {
        let mut buffer = [0u8; 1500];
        while let Ok((length, peer)) = socket.recv_from(&mut buffer) {
            if length < 12 {
                continue;
            }
            let mut reply = buffer[..length].to_vec();
            reply[2] = 0x80 | (buffer[2] & 0x01);
            reply[3] = 0x02;
            let _ = socket.send_to(&reply, peer);
        }
    });
    address
}

/// Open file descriptors, threads and resident memory (KiB) of this process (Linux).
fn census() -> (usize, usize, u64) {
    let fds = std::fs::read_dir("/proc/self/fd").map_or(0, |dir| dir.count());
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    (fds, field("Threads:") as usize, field("VmRSS:"))
}

fn request(email: &str, server: Option<SocketAddr>, password: bool) -> AccountRequest {
    AccountRequest {
        email: email.to_owned(),
        user: email.to_owned(),
        server: server.map(|s| s.ip().to_string()),
        port: server.map(|s| s.port()),
        security: None,
        password: password.then(|| Secret::new("password".to_owned())),
        no_password_reason: "soak".to_owned(),
        mechanism: None,
        allow_plaintext: false,
        from: email.to_owned(),
        to: "relaydoc-test@example.com".to_owned(),
        zones: vec!["bl.example.test".to_owned()],
        local_ip: None,
    }
}

#[test]
#[ignore = "a soak of 1,000 runs against the lab: run by hand (see the module docs)"]
fn a_thousand_account_checks_leak_nothing_and_never_hang() {
    let Some(lab) = common::lab::lab("soak") else {
        return;
    };
    let runs: usize = std::env::var("SOAK_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000);
    let kb = Arc::new(relaydoc::knowledge::bundled().expect("bundled knowledge"));
    let trust = Trust::from_ca_file(&lab.ca_file()).expect("the lab's CA");
    let stalling = stalling_smtp();
    let resetting = resetting_smtp();
    let servfail = servfail_dns();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");

    let one = |index: usize| {
        let fault = [
            Fault::None,
            Fault::StallingSmtp,
            Fault::ResettingSmtp,
            Fault::ServFailDns,
        ][index % 4];
        let dns = match fault {
            Fault::ServFailDns => servfail,
            _ => lab.dns(),
        };
        let (email, server) = match fault {
            Fault::None => ("alice@example.test", None),
            Fault::StallingSmtp => ("alice@example.test", Some(stalling)),
            Fault::ResettingSmtp => ("alice@example.test", Some(resetting)),
            Fault::ServFailDns => ("bob@fault.test", None),
        };
        let settings = DnsSettings {
            server: Some(dns),
            timeout: Duration::from_millis(500),
            // The lab's zones: a name that must exist there proves the resolver.
            known_name: "example.test".to_owned(),
        };
        let resolver = DnsClient::new(&settings).expect("resolver");
        let check = AccountCheck {
            resolver: Arc::new(resolver),
            options: Options {
                limits: Limits::with_timeout(STEP),
                trust: trust.clone(),
                helo_name: "relaydoc-soak.example".to_owned(),
            },
            deadlines: Deadlines::from_timeouts(settings.timeout, STEP),
            events: None,
            system_fallback: false,
        };
        // Every tenth lab run (every 40th run) signs in too: a real login through Dovecot.
        let request = request(email, server, index.is_multiple_of(40));
        let kb = kb.clone();
        async move {
            let started = Instant::now();
            let report = tokio::time::timeout(HANG_GUARD, check.run(&*kb, &request))
                .await
                .unwrap_or_else(|_| panic!("run {index} ({fault:?}) hung"));
            (fault, report.status, started.elapsed())
        }
    };

    let started = Instant::now();
    let mut baseline = None;
    let mut samples = Vec::new();
    let mut slowest = [Duration::ZERO; 4];
    let mut statuses = std::collections::BTreeMap::new();
    let mut done = 0;
    while done < runs {
        let batch: Vec<_> = (done..(done + PARALLEL).min(runs)).map(one).collect();
        let results = runtime.block_on(async { futures_join(batch).await });
        for (fault, status, elapsed) in results {
            let slot = fault as usize;
            slowest[slot] = slowest[slot].max(elapsed);
            *statuses
                .entry(format!("{fault:?} → {status:?}"))
                .or_insert(0usize) += 1;
        }
        done = (done + PARALLEL).min(runs);
        if done == 40 {
            baseline = Some(census());
        }
        if done.is_multiple_of(100) || done == runs {
            samples.push((done, census()));
        }
    }
    // Idle connections the servers still hold, and tokio's blocking threads, wind down.
    std::thread::sleep(Duration::from_secs(2));
    let end = census();
    let baseline = baseline.unwrap_or(end);

    eprintln!(
        "soak: {runs} runs in {:.1} s, {PARALLEL} at a time",
        started.elapsed().as_secs_f64()
    );
    for (outcome, count) in &statuses {
        eprintln!("  {count:>5}  {outcome}");
    }
    for (fault, slowest) in ["none", "stalling smtp", "resetting smtp", "servfail dns"]
        .iter()
        .zip(slowest)
    {
        eprintln!("  slowest run, {fault}: {:.2} s", slowest.as_secs_f64());
    }
    eprintln!(
        "  after 40 runs: {} fds, {} threads, {} KiB resident",
        baseline.0, baseline.1, baseline.2
    );
    for (at, (fds, threads, rss)) in &samples {
        eprintln!("  after {at:>5} runs: {fds} fds, {threads} threads, {rss} KiB resident");
    }
    eprintln!(
        "  at the end (2 s idle): {} fds, {} threads, {} KiB resident",
        end.0, end.1, end.2
    );

    assert!(
        end.0 <= baseline.0 + 4,
        "file descriptors grew from {} to {}",
        baseline.0,
        end.0
    );
    assert!(
        end.1 <= baseline.1 + 4,
        "threads grew from {} to {}",
        baseline.1,
        end.1
    );
    // Flat: allocator slack, not growth per run (1,000 runs leaking 32 KiB each would show).
    assert!(
        end.2 <= baseline.2 + 16 * 1024,
        "resident memory grew from {} KiB to {} KiB",
        baseline.2,
        end.2
    );
}

/// Runs the futures of one batch together.
async fn futures_join<F: std::future::Future + Send + 'static>(batch: Vec<F>) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = batch.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.expect("a run panicked"));
    }
    out
}
