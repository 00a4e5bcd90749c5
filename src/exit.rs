//! Exit codes: the one place that says what relaydoc's exit status means.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success (for checks: ran, and found nothing wrong) |
//! | 1 | a check ran and found a problem, or the wizard ended without a cause |
//! | 2 | bad input: arguments, facts, knowledge files, configuration |
//! | 3 | a check could not run (network, timeout, TLS, protocol) |
//! | 4 | needs a terminal, and there is none |
//! | 130 | interrupted by the user (Ctrl-C) |

use std::process::ExitCode;

pub const OK: u8 = 0;
pub const PROBLEM: u8 = 1;
pub const BAD_INPUT: u8 = 2;
pub const CHECK_ERROR: u8 = 3;
pub const NO_TERMINAL: u8 = 4;
pub const INTERRUPTED: u8 = 130;

pub fn code(value: u8) -> ExitCode {
    ExitCode::from(value)
}
