//! Scripted DNS servers on 127.0.0.1 (UDP and TCP on one port), each misbehaving in one
//! way. Plain threads with blocking sockets, so they do not depend on the test's runtime.
// Each test binary uses only some of the scripts.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::thread;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script {
    ServFail,
    Refused,
    /// Reads every question, never answers (UDP), holds TCP connections open.
    Silent,
    /// UDP answers with the TC bit; TCP then answers A 192.0.2.1.
    TruncatedThenTcpAnswers,
    /// UDP answers with the TC bit; TCP then sends garbage and closes.
    TruncatedThenTcpGarbage,
    /// Bytes that are no DNS message at all, over both transports.
    Garbage,
    /// Answers "listed" (A 127.0.0.2) with a TXT reason full of terminal escapes.
    ListsWithEscapes,
    /// NXDOMAIN for every name, as captive portals, filters and broken routers do.
    NxDomainForEverything,
    /// 1,000 MX records (UDP: truncated; TCP: all), A 192.0.2.1 for every host; counts
    /// the questions it gets in [`MANY_MX_QUESTIONS`].
    ManyMx,
    /// Every name is an alias (CNAME) of the other: victim.test ↔ loop.test.
    CnameLoop,
}

pub const MANY_MX: usize = 1_000;
pub static MANY_MX_QUESTIONS: std::sync::atomic::AtomicUsize =
    std::sync::atomic::AtomicUsize::new(0);

pub const ESCAPE_REASON: &[u8] = b"\x1b[2J\x1b]0;pwned\x07listed: see \x1b[31mhttp://x\x1b[0m";

/// Starts a server; returns its address. It runs until the test process ends.
pub fn start(script: Script) -> SocketAddr {
    // UDP and TCP must share a port: retry until a UDP port is also free for TCP.
    let (udp, tcp) = loop {
        let udp = UdpSocket::bind("127.0.0.1:0").expect("bind udp");
        let port = udp.local_addr().expect("udp addr").port();
        if let Ok(tcp) = TcpListener::bind(("127.0.0.1", port)) {
            break (udp, tcp);
        }
    };
    let address = udp.local_addr().expect("udp addr");
    thread::spawn(move || serve_udp(udp, script));
    thread::spawn(move || serve_tcp(tcp, script));
    address
}

fn serve_udp(socket: UdpSocket, script: Script) {
    let mut buffer = [0u8; 4096];
    while let Ok((length, peer)) = socket.recv_from(&mut buffer) {
        let reply = match script {
            Script::Silent => None,
            Script::Garbage => Some(b"\xde\xad not dns at all".to_vec()),
            Script::TruncatedThenTcpAnswers | Script::TruncatedThenTcpGarbage => {
                respond(&buffer[..length], 0, true, &[])
            }
            Script::ManyMx if question(&buffer[..length]).map(|(_, t)| t) == Some(15) => {
                MANY_MX_QUESTIONS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                respond(&buffer[..length], 0, true, &[])
            }
            other => reply_for(other, &buffer[..length]),
        };
        if let Some(reply) = reply {
            let _ = socket.send_to(&reply, peer);
        }
    }
}

fn serve_tcp(listener: TcpListener, script: Script) {
    let mut held = Vec::new();
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        if script == Script::Silent {
            held.push(stream);
            continue;
        }
        thread::spawn(move || serve_tcp_connection(stream, script));
    }
}

fn serve_tcp_connection(mut stream: TcpStream, script: Script) {
    loop {
        let mut length = [0u8; 2];
        if stream.read_exact(&mut length).is_err() {
            return;
        }
        let mut query = vec![0u8; usize::from(u16::from_be_bytes(length))];
        if stream.read_exact(&mut query).is_err() {
            return;
        }
        let reply = match script {
            Script::Garbage | Script::TruncatedThenTcpGarbage => {
                let _ = stream.write_all(b"\x00\x0cgarbage!\xff\xfe\x00\x01");
                return;
            }
            Script::TruncatedThenTcpAnswers => {
                let qtype = question(&query).map(|(_, qtype)| qtype);
                let answers: Vec<(u16, Vec<u8>)> = if qtype == Some(1) {
                    vec![(1, vec![192, 0, 2, 1])]
                } else {
                    Vec::new()
                };
                respond(&query, 0, false, &answers)
            }
            other => reply_for(other, &query),
        };
        let Some(reply) = reply else { return };
        let Ok(length) = u16::try_from(reply.len()) else {
            return;
        };
        let mut framed = length.to_be_bytes().to_vec();
        framed.extend(reply);
        if stream.write_all(&framed).is_err() {
            return;
        }
    }
}

/// A name in wire form, uncompressed.
fn wire_name(name: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for label in name.split('.') {
        out.push(u8::try_from(label.len()).unwrap_or(63));
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    out
}

fn reply_for(script: Script, query: &[u8]) -> Option<Vec<u8>> {
    match script {
        Script::ManyMx => {
            let (name, qtype) = question(query)?;
            if qtype != 15 {
                MANY_MX_QUESTIONS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
            let answers = match qtype {
                15 => (0..MANY_MX)
                    .map(|n| {
                        let mut data = u16::try_from(n % 50).ok()?.to_be_bytes().to_vec();
                        data.extend(wire_name(&format!("mx{n}.many.test")));
                        Some((15, data))
                    })
                    .collect::<Option<Vec<_>>>()?,
                1 if name.len() > 4 => vec![(1, vec![192, 0, 2, 1])],
                _ => Vec::new(),
            };
            respond(query, 0, false, &answers)
        }
        Script::CnameLoop => {
            let (name, _) = question(query)?;
            let target = if name.starts_with(b"\x06victim") {
                "loop.test"
            } else {
                "victim.test"
            };
            respond(query, 0, false, &[(5, wire_name(target))])
        }
        Script::ServFail => respond(query, 2, false, &[]),
        Script::Refused => respond(query, 5, false, &[]),
        Script::NxDomainForEverything => respond(query, 3, false, &[]),
        Script::ListsWithEscapes => {
            let (name, qtype) = question(query)?;
            // RFC 5782's "never listed" test point 127.0.0.1 must stay unlisted, or the
            // check rightly distrusts the list.
            if name.starts_with(b"\x011\x010\x010\x03127") {
                return respond(query, 3, false, &[]);
            }
            let answers = match qtype {
                1 => vec![(1, vec![127, 0, 0, 2])],
                16 => {
                    let mut text = vec![u8::try_from(ESCAPE_REASON.len()).ok()?];
                    text.extend_from_slice(ESCAPE_REASON);
                    vec![(16, text)]
                }
                _ => Vec::new(),
            };
            respond(query, 0, false, &answers)
        }
        _ => None,
    }
}

/// The question section (raw) and its type, if the query is well formed.
fn question(query: &[u8]) -> Option<(&[u8], u16)> {
    let mut at = 12;
    loop {
        let length = usize::from(*query.get(at)?);
        at += 1;
        if length == 0 {
            break;
        }
        at += length;
    }
    let qtype = u16::from_be_bytes([*query.get(at)?, *query.get(at + 1)?]);
    Some((query.get(12..at + 4)?, qtype))
}

/// A response to `query`: same id and question, the given rcode and answers (each with
/// a pointer to the question's name), TC bit if asked.
fn respond(
    query: &[u8],
    rcode: u8,
    truncated: bool,
    answers: &[(u16, Vec<u8>)],
) -> Option<Vec<u8>> {
    let (question, _) = question(query)?;
    let recursion_desired = query.get(2)? & 0x01;
    let mut reply = vec![query[0], query[1]];
    // QR=1, AA=1, TC as asked, RD copied; RA=0 like an authoritative server.
    reply.push(0x84 | if truncated { 0x02 } else { 0 } | recursion_desired);
    reply.push(rcode & 0x0f);
    reply.extend_from_slice(&1u16.to_be_bytes());
    reply.extend_from_slice(&u16::try_from(answers.len()).ok()?.to_be_bytes());
    reply.extend_from_slice(&[0, 0, 0, 0]);
    reply.extend_from_slice(question);
    for (rtype, rdata) in answers {
        reply.extend_from_slice(&[0xc0, 0x0c]);
        reply.extend_from_slice(&rtype.to_be_bytes());
        reply.extend_from_slice(&1u16.to_be_bytes());
        reply.extend_from_slice(&60u32.to_be_bytes());
        reply.extend_from_slice(&u16::try_from(rdata.len()).ok()?.to_be_bytes());
        reply.extend_from_slice(rdata);
    }
    Some(reply)
}
