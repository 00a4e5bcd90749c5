//! A line-oriented connection to a mail server (SMTP or POP3) with hard limits, a timed
//! transcript and phase-named errors.
//!
//! Everything a hostile or broken server could do to a client is bounded here: every step has
//! a deadline (a slow drip of bytes cannot stretch it), a line longer than the limit, too many
//! reply lines or too many bytes in total end the dialogue with a protocol error, and invalid
//! UTF-8 is read lossily. Text from the server is stripped of terminal control sequences
//! before it enters the transcript; what the client sends can be masked (AUTH payloads), and
//! every form of a secret the connection carries is masked in what the server sends back
//! ([`LineConn::secrets`]), before anyone else sees the line.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpSocket, TcpStream};
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::tls::{TlsInfo, Trust, TrustMode};
use crate::sanitize;

/// The step of a dialogue; every error names the one it happened in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    Connect,
    Banner,
    Ehlo,
    Helo,
    Starttls,
    Tls,
    Auth,
    Mail,
    Rcpt,
    Rset,
    Quit,
    Pop3,
    Send,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Connect => "connect",
            Phase::Banner => "banner",
            Phase::Ehlo => "ehlo",
            Phase::Helo => "helo",
            Phase::Starttls => "starttls",
            Phase::Tls => "tls",
            Phase::Auth => "auth",
            Phase::Mail => "mail",
            Phase::Rcpt => "rcpt",
            Phase::Rset => "rset",
            Phase::Quit => "quit",
            Phase::Pop3 => "pop3",
            Phase::Send => "send",
        }
    }
}

/// What kind of failure stopped a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    /// The step's deadline passed.
    Timeout,
    /// Nothing listens there (connection refused).
    Refused,
    /// The server closed or reset the connection.
    Closed,
    /// Another network failure.
    Network,
    /// The server broke the protocol (or one of our limits).
    Protocol,
    /// The TLS handshake failed.
    Tls,
    /// relaydoc refused to continue (e.g. a password over an unencrypted connection).
    Refusal,
    /// The request itself is unusable (bad name, unreadable file).
    Input,
}

/// A check could not run to the end.
#[derive(Debug, Clone, Serialize, thiserror::Error)]
#[error("{phase}: {message}", phase = phase.as_str())]
pub struct CheckError {
    pub phase: Phase,
    pub kind: ErrorKind,
    pub message: String,
}

impl CheckError {
    pub fn new(phase: Phase, kind: ErrorKind, message: impl Into<String>) -> CheckError {
        CheckError {
            phase,
            kind,
            message: message.into(),
        }
    }

    fn from_io(phase: Phase, error: &io::Error) -> CheckError {
        let kind = match error.kind() {
            io::ErrorKind::ConnectionRefused => ErrorKind::Refused,
            io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::UnexpectedEof => ErrorKind::Closed,
            io::ErrorKind::TimedOut => ErrorKind::Timeout,
            _ => ErrorKind::Network,
        };
        let message = match kind {
            ErrorKind::Refused => String::from("connection refused: nothing listens on that port"),
            ErrorKind::Closed => format!("the server closed the connection ({error})"),
            _ => error.to_string(),
        };
        CheckError::new(phase, kind, message)
    }
}

/// The bounds every dialogue runs within.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Deadline for each step (connect, handshake, each reply).
    pub step_timeout: Duration,
    /// Longest accepted line, in bytes (RFC 5321 allows 512 for replies; real servers stay
    /// far below 4 KiB).
    pub max_line: usize,
    /// Most lines in one reply (a real EHLO reply has about 15).
    pub max_reply_lines: usize,
    /// Most bytes read over the whole connection.
    pub max_total_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            step_timeout: Duration::from_secs(10),
            max_line: 4096,
            max_reply_lines: 200,
            max_total_bytes: 1 << 20,
        }
    }
}

impl Limits {
    pub fn with_timeout(step_timeout: Duration) -> Limits {
        Limits {
            step_timeout,
            ..Limits::default()
        }
    }
}

/// Who a transcript line is from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Client,
    Server,
    /// relaydoc's own remark (connected, TLS started, …).
    Note,
}

#[derive(Debug, Clone, Serialize)]
pub struct TranscriptLine {
    /// Milliseconds since the connection attempt began.
    pub at_ms: u64,
    pub from: Direction,
    pub text: String,
}

/// One timed step.
#[derive(Debug, Clone, Serialize)]
pub struct StepTiming {
    pub phase: Phase,
    pub ms: f64,
}

/// What a dialogue leaves behind as evidence: the transcript (secrets masked) and timings.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Evidence {
    pub transcript: Vec<TranscriptLine>,
    pub steps: Vec<StepTiming>,
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
    /// Between taking the TCP stream out for a TLS upgrade and putting the TLS stream back.
    Gone,
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Stream::Plain(_) => "Plain",
            Stream::Tls(_) => "Tls",
            Stream::Gone => "Gone",
        })
    }
}

fn gone() -> io::Error {
    io::Error::new(
        io::ErrorKind::NotConnected,
        "connection lost during TLS upgrade",
    )
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            Stream::Gone => Poll::Ready(Err(gone())),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            Stream::Gone => Poll::Ready(Err(gone())),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
            Stream::Gone => Poll::Ready(Err(gone())),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            Stream::Gone => Poll::Ready(Err(gone())),
        }
    }
}

/// A connection that reads and writes lines within [`Limits`] and keeps [`Evidence`].
#[derive(Debug)]
pub struct LineConn {
    stream: Stream,
    buffer: Vec<u8>,
    total_read: usize,
    pub limits: Limits,
    started: Instant,
    pub evidence: Evidence,
    pub tls: Option<TlsInfo>,
    /// The secrets this connection carries (added before they are sent), masked in every
    /// line the server sends: the one place server text enters relaydoc.
    pub secrets: sanitize::Secrets,
}

impl LineConn {
    /// Opens a TCP connection to `addr`, optionally from the source address `local_ip`.
    /// On failure the error carries the evidence gathered so far.
    pub async fn connect(
        addr: SocketAddr,
        local_ip: Option<IpAddr>,
        limits: Limits,
    ) -> Result<LineConn, (CheckError, Evidence)> {
        let started = Instant::now();
        let mut evidence = Evidence::default();
        let attempt = async {
            let socket = if addr.is_ipv4() {
                TcpSocket::new_v4()
            } else {
                TcpSocket::new_v6()
            }?;
            if let Some(ip) = local_ip {
                socket.bind(SocketAddr::new(ip, 0))?;
            }
            socket.connect(addr).await
        };
        let result = tokio::time::timeout(limits.step_timeout, attempt).await;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        evidence.steps.push(StepTiming {
            phase: Phase::Connect,
            ms,
        });
        let stream = match result {
            Ok(Ok(stream)) => stream,
            Ok(Err(error)) => return Err((CheckError::from_io(Phase::Connect, &error), evidence)),
            Err(_) => {
                let error = CheckError::new(
                    Phase::Connect,
                    ErrorKind::Timeout,
                    format!(
                        "no answer to the connection attempt within {}",
                        seconds(limits.step_timeout)
                    ),
                );
                return Err((error, evidence));
            }
        };
        // Replies are small and interactive; waiting for more to fill a segment only adds
        // latency to every step.
        let _ = stream.set_nodelay(true);
        let mut conn = LineConn {
            stream: Stream::Plain(stream),
            buffer: Vec::new(),
            total_read: 0,
            limits,
            started,
            evidence,
            tls: None,
            secrets: sanitize::Secrets::default(),
        };
        conn.note(&format!("connected to {addr}"));
        Ok(conn)
    }

    pub fn is_tls(&self) -> bool {
        matches!(self.stream, Stream::Tls(_))
    }

    fn elapsed_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    pub fn note(&mut self, text: &str) {
        let at_ms = self.elapsed_ms();
        self.evidence.transcript.push(TranscriptLine {
            at_ms,
            from: Direction::Note,
            text: text.to_string(),
        });
    }

    pub fn record_step(&mut self, phase: Phase, since: Instant) {
        self.evidence.steps.push(StepTiming {
            phase,
            ms: since.elapsed().as_secs_f64() * 1000.0,
        });
    }

    /// Sends one line (CRLF added). `shown` replaces the line in the transcript: pass it for
    /// anything carrying a secret.
    pub async fn send_line(
        &mut self,
        phase: Phase,
        line: &str,
        shown: Option<&str>,
    ) -> Result<(), CheckError> {
        let at_ms = self.elapsed_ms();
        self.evidence.transcript.push(TranscriptLine {
            at_ms,
            from: Direction::Client,
            text: shown.unwrap_or(line).to_string(),
        });
        let mut bytes = Vec::with_capacity(line.len() + 2);
        bytes.extend_from_slice(line.as_bytes());
        bytes.extend_from_slice(b"\r\n");
        let write = async {
            self.stream.write_all(&bytes).await?;
            self.stream.flush().await
        };
        match tokio::time::timeout(self.limits.step_timeout, write).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(CheckError::from_io(phase, &error)),
            Err(_) => Err(self.timeout(phase, "sending a command")),
        }
    }

    pub(crate) fn timeout(&self, phase: Phase, what: &str) -> CheckError {
        CheckError::new(
            phase,
            ErrorKind::Timeout,
            format!(
                "the server did not answer ({what}) within {}",
                seconds(self.limits.step_timeout)
            ),
        )
    }

    /// Reads one line without its line ending, within the line and byte limits but with no
    /// deadline of its own: callers put a deadline around a whole reply.
    pub async fn read_line(&mut self, phase: Phase) -> Result<String, CheckError> {
        use tokio::io::AsyncReadExt;
        loop {
            if let Some(end) = self.buffer.iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = self.buffer.drain(..=end).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                if line.len() > self.limits.max_line {
                    return Err(self.line_too_long(phase));
                }
                let mut text = String::from_utf8_lossy(&line).into_owned();
                if !self.secrets.is_empty() {
                    text = self.secrets.clean_line(&text);
                }
                let at_ms = self.elapsed_ms();
                self.evidence.transcript.push(TranscriptLine {
                    at_ms,
                    from: Direction::Server,
                    text: sanitize::single_line(&text),
                });
                return Ok(text);
            }
            if self.buffer.len() > self.limits.max_line {
                return Err(self.line_too_long(phase));
            }
            self.ask_for_quick_acks();
            let mut chunk = [0u8; 4096];
            let read = self
                .stream
                .read(&mut chunk)
                .await
                .map_err(|e| CheckError::from_io(phase, &e))?;
            if read == 0 {
                return Err(CheckError::new(
                    phase,
                    ErrorKind::Closed,
                    "the server closed the connection",
                ));
            }
            self.total_read += read;
            if self.total_read > self.limits.max_total_bytes {
                return Err(CheckError::new(
                    phase,
                    ErrorKind::Protocol,
                    format!(
                        "the server sent more than {} bytes; giving up",
                        self.limits.max_total_bytes
                    ),
                ));
            }
            self.buffer.extend_from_slice(&chunk[..read]);
        }
    }

    /// Asks the kernel to acknowledge the server's next segments at once instead of after
    /// the delayed-ACK timer (40 ms on Linux). Why: after a TLS 1.3 handshake the server sends
    /// session tickets, then the reply to our EHLO; without TCP_NODELAY on the server (Postfix
    /// and many others), Nagle holds that reply until the tickets are acknowledged, so every
    /// probe would wait out the timer once per TLS session. Linux resets the flag on its own,
    /// hence before every read. Best effort: other systems simply keep their timer.
    fn ask_for_quick_acks(&self) {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            let tcp = match &self.stream {
                Stream::Plain(tcp) => tcp,
                Stream::Tls(tls) => tls.get_ref().0,
                Stream::Gone => return,
            };
            let _ = socket2::SockRef::from(tcp).set_tcp_quickack(true);
        }
    }

    fn line_too_long(&self, phase: Phase) -> CheckError {
        CheckError::new(
            phase,
            ErrorKind::Protocol,
            format!(
                "the server sent a line longer than {} bytes",
                self.limits.max_line
            ),
        )
    }

    /// True when the server has sent bytes nobody asked for yet.
    pub fn has_buffered_input(&self) -> bool {
        !self.buffer.is_empty()
    }

    /// Upgrades the connection to TLS (STARTTLS, or right after connecting for implicit TLS)
    /// and records what the handshake showed.
    pub async fn start_tls(
        &mut self,
        server_name: &str,
        trust: &Trust,
        mode: TrustMode,
    ) -> Result<(), CheckError> {
        let since = Instant::now();
        // Bytes already read before the handshake would be plaintext injected into the TLS
        // session (the STARTTLS injection attack, CVE-2011-0411 and kin): refuse.
        if self.has_buffered_input() {
            return Err(CheckError::new(
                Phase::Tls,
                ErrorKind::Protocol,
                "the server sent data before the TLS handshake (possible command injection)",
            ));
        }
        let name =
            rustls::pki_types::ServerName::try_from(server_name.to_string()).map_err(|_| {
                CheckError::new(
                    Phase::Tls,
                    ErrorKind::Input,
                    format!("{server_name:?} is not a valid server name for TLS"),
                )
            })?;
        let (config, verdict) = trust
            .client_config(mode)
            .map_err(|e| CheckError::new(Phase::Tls, ErrorKind::Tls, e.to_string()))?;
        let tcp = match std::mem::replace(&mut self.stream, Stream::Gone) {
            Stream::Plain(tcp) => tcp,
            other => {
                self.stream = other;
                return Err(CheckError::new(
                    Phase::Tls,
                    ErrorKind::Protocol,
                    "TLS is already active on this connection",
                ));
            }
        };
        let connector = TlsConnector::from(Arc::new(config));
        let handshake = connector.connect(name, tcp);
        let result = tokio::time::timeout(self.limits.step_timeout, handshake).await;
        self.record_step(Phase::Tls, since);
        let recorded = verdict.lock().ok().and_then(|slot| *slot);
        let stream = match result {
            Ok(Ok(stream)) => stream,
            Ok(Err(error)) => {
                let message = tls_failure(&error, recorded);
                self.note(&format!("TLS handshake failed: {message}"));
                return Err(CheckError::new(Phase::Tls, ErrorKind::Tls, message));
            }
            Err(_) => return Err(self.timeout(Phase::Tls, "TLS handshake")),
        };
        let info = TlsInfo::from_connection(stream.get_ref().1, recorded, server_name, trust);
        self.note(&format!(
            "TLS started: {} {}, certificate {}",
            info.version,
            info.cipher,
            info.certificate.as_str()
        ));
        self.tls = Some(info);
        self.stream = Stream::Tls(Box::new(stream));
        Ok(())
    }

    /// Closes the write side politely; errors do not matter any more at this point.
    pub async fn shutdown(&mut self) {
        let _ = tokio::time::timeout(Duration::from_millis(500), self.stream.shutdown()).await;
    }
}

fn tls_failure(error: &io::Error, verdict: Option<super::tls::CertVerdict>) -> String {
    if let Some(verdict) = verdict.filter(|v| *v != super::tls::CertVerdict::Valid) {
        return format!("{} ({error})", verdict.plain_words());
    }
    if let Some(rustls_error) = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        return match rustls_error {
            rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
                format!("the server did not answer with TLS ({rustls_error})")
            }
            other => other.to_string(),
        };
    }
    match error.kind() {
        io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset => {
            format!("the server closed the connection during the handshake ({error})")
        }
        _ => error.to_string(),
    }
}

/// "10 s", "0.5 s": a duration as people read it.
pub fn seconds(duration: Duration) -> String {
    let secs = duration.as_secs_f64();
    if secs.fract() == 0.0 {
        format!("{secs:.0} s")
    } else {
        format!("{secs} s")
    }
}
