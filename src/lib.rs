//! relaydoc: find out why a mail server says "554 5.7.1 Relay access denied", and fix it.
//!
//! The library holds everything; `main.rs` is a thin shell around [`cli::main`].

pub mod checks;
pub mod cli;
pub mod config;
pub mod diagnosis;
pub mod diagnostic;
pub mod discovery;
pub mod engine;
pub mod exim;
pub mod exit;
pub mod explain;
pub mod files;
pub mod knowledge;
pub mod logs;
pub mod mailer;
pub mod password;
pub mod plain;
pub mod postfix;
pub mod prefill;
pub mod present;
pub mod restore;
pub mod runtime;
pub mod sanitize;
pub mod session;
pub mod snippet;
pub mod tui;
pub mod vocab;
pub mod website;
pub mod wizard;
