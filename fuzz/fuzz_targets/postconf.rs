//! Fuzz target: any bytes as main.cf / `postconf -n` output and as master.cf, through the
//! reader, the linter and the simulator. Nothing may panic, and everything must finish.
#![no_main]

use libfuzzer_sys::fuzz_target;
use relaydoc::postfix::config::{Settings, parse_main};
use relaydoc::postfix::master::parse_master;
use relaydoc::postfix::simulate::{Client, simulate};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (main, _) = parse_main("fuzz.cf", &text);
    let (services, _) = parse_master("fuzz.master.cf", &text);
    let settings = Settings::new(&main, None);
    let _ = relaydoc::postfix::lint::lint(&main, &services, &settings);
    let client = Client {
        ip: std::net::IpAddr::from([203, 0, 113, 9]),
        sasl_user: Some("user@example.com".into()),
        tls: data.first().is_some_and(|b| b & 1 == 1),
        helo: "client.example.net".into(),
        from: "user@example.com".into(),
        to: "friend@example.org".into(),
    };
    let _ = simulate(&settings, &client);
    for service in services.iter().take(4) {
        let view = settings.for_service(&service.name, service.overrides.clone());
        let _ = simulate(&view, &client);
    }
});
