//! Fuzz target: any bytes as master.cf, through the reader and each service's view of a
//! small main.cf (its `-o` overrides applied). Nothing may panic, and everything must finish.
#![no_main]

use libfuzzer_sys::fuzz_target;
use relaydoc::postfix::config::{Settings, parse_main};
use relaydoc::postfix::master::parse_master;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (services, _) = parse_master("fuzz.master.cf", &text);
    let (main, _) = parse_main(
        "main.cf",
        "mynetworks = 127.0.0.0/8\nsmtpd_relay_restrictions = permit_mynetworks, reject\n",
    );
    let settings = Settings::new(&main, None);
    for service in services.iter().take(16) {
        let view = settings.for_service(&service.name, service.overrides.clone());
        let _ = relaydoc::postfix::lint::lint(&main, std::slice::from_ref(service), &view);
    }
});
