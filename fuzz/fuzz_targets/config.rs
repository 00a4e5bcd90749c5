//! Fuzz target: any bytes as the config file (`config.yaml`): an answer or positioned
//! diagnostics, never a panic, each diagnostic one line.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(problems) =
        relaydoc::config::parse(text, "config.yaml", std::path::Path::new("/nonexistent"))
    {
        for problem in problems {
            assert!(!problem.to_string().contains('\n'));
        }
    }
});
