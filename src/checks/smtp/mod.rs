//! SMTP checks on relaydoc's own client (tokio + rustls): the port probe (`check smtp`), the
//! AUTH test (`check auth`), the relay test (`check relay`), POP-before-SMTP and the send test.
//!
//! Each check takes socket addresses (never resolving names itself), runs within
//! [`conn::Limits`], and returns a [`CheckReport`](crate::checks::CheckReport). "The server said 554" is a finding (status
//! `problem`); status `error` means the check could not run, and `details.error.phase` names
//! where it stopped. Transcripts mask every AUTH payload.
//!
//! Facts set by these checks (besides DESIGN.md's `client.server_host`, `client.port`,
//! `client.security`, `account.auth_scheme`):
//!
//! | key | values |
//! |---|---|
//! | `server.reachable` | yes · no |
//! | `server.banner_code` | the greeting's code, e.g. 220 |
//! | `server.starttls_offered` | yes · no (EHLO before TLS) |
//! | `server.auth_offered` | yes · no (before or after TLS) |
//! | `server.auth_before_tls` | yes · no: AUTH announced on the unencrypted connection |
//! | `server.auth_only_after_tls` | yes · no: AUTH appears only after STARTTLS |
//! | `server.auth_mechanisms` | e.g. `PLAIN LOGIN` |
//! | `server.ports_open` | ports that answered, e.g. `587 465` (`check smtp` without `--port`) |
//! | `tls.version`, `tls.cipher` | e.g. `TLSv1.3`, `TLS13_AES_256_GCM_SHA384` |
//! | `tls.certificate` | valid · expired · not-yet-valid · name-mismatch · untrusted · invalid |
//! | `tls.days_to_expiry` | whole days, negative when expired |
//! | `auth.result` | ok · failed (the credentials are wrong, proven by the reply) · temporary-failure · tls-required · not-enabled · mechanism-rejected · not-offered · other |
//! | `auth.refusal` | bad-credentials · app-password-required · basic-auth-disabled · smtp-auth-disabled · web-login-required · account-locked · other: a refused login read from the reply text (see [`signin`]) |
//! | `auth.mechanism`, `auth.code` | the mechanism used, the final reply code |
//! | `relay.unauthenticated`, `relay.authenticated` | accepted · rejected-554 · deferred-454 · rejected-other · deferred-other · refused-at-mail · not-tested |
//! | `relay.code` | the RCPT reply code of the last attempt |
//! | `relay.after_pop3` | the relay verdict right after the POP3 login (same values) |
//! | `pop_before_smtp` | yes · no · unknown |
//! | `pop3.login` | ok · failed |
//! | `send.result` | sent · refused |
//!
//! `rejected-554` is what Postfix's `reject_unauth_destination` answers; `deferred-454` is its
//! built-in default `defer_unauth_destination` (since 2.10), or any 554 under `soft_bounce`.

pub mod conn;
pub mod ehlo;
pub mod pop3;
pub mod reply;
pub mod session;
pub mod signin;
pub mod tls;

mod checks;
mod send;

pub use checks::{
    AuthRequest, PopBeforeSmtpRequest, RelayRequest, auth_check, pop_before_smtp_check,
    probe_check, probe_ports_check, relay_check,
};
pub use send::{SendRequest, send_check};
