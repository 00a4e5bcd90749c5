//! Fuzz target: any bytes as what an SMTP server says: a whole reply, and the same text fed
//! line by line to the multi-line reply builder the probes use.
#![no_main]

use libfuzzer_sys::fuzz_target;
use relaydoc::checks::smtp::reply::{ReplyBuilder, parse_line, parse_reply};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(reply) = parse_reply(&text) {
        let _ = reply.summary();
        let _ = (reply.is_positive(), reply.is_permanent());
    }
    let mut builder = ReplyBuilder::default();
    for line in text.split("\r\n") {
        let Ok(line) = parse_line(line) else {
            break;
        };
        match builder.push(line) {
            Ok(Some(reply)) => {
                let _ = reply.summary();
                builder = ReplyBuilder::default();
            }
            Ok(None) => {}
            Err(_) => break,
        }
    }
});
