//! Writes a realistic Postfix log of a given size whose true counts are known, for the
//! `relaydoc logs` benchmark (`benches/logs.sh`):
//!
//!     cargo run --release --example gen_maillog -- /tmp/mail.log 1024
//!
//! The counts (lines, refusals per kind, lines with "Relay access denied") are printed as JSON
//! on stdout. The syslog dates are in the year `maillog::YEAR` (pass it as `--year`).

#[path = "../tests/common/maillog.rs"]
mod maillog;

use std::io::{BufWriter, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(path), Some(megabytes)) = (
        args.first(),
        args.get(1).and_then(|m| m.parse::<u64>().ok()),
    ) else {
        eprintln!("usage: gen_maillog OUTPUT SIZE_MIB [SEED]");
        return ExitCode::from(2);
    };
    let seed = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(14);
    let written = std::fs::File::create(path).and_then(|file| {
        let mut out = BufWriter::with_capacity(1 << 20, file);
        let counts = maillog::write_postfix_log(&mut out, megabytes << 20, seed)?;
        out.flush()?;
        Ok(counts)
    });
    match written {
        Ok(counts) => {
            let json = serde_json::json!({
                "year": maillog::YEAR,
                "lines": counts.lines,
                "bytes": counts.bytes,
                "kinds": counts.kinds,
                "relay": counts.relay,
                "relay_access_denied_lines": counts.relay_text,
                "first": counts.first,
                "last": counts.last,
            });
            println!("{json:#}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("gen_maillog: {path}: {error}");
            ExitCode::from(1)
        }
    }
}
