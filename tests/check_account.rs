//! `relaydoc check account` end to end: the real binary against the lab (NSD on
//! 127.0.0.1:5353 serving example.test with SRV records for the submission ports, Postfix +
//! Dovecot on loopback), plus scripted servers on 127.0.0.1:0 for the concurrency property.
//! Run with `tests/lab/run-with-lab.sh cargo test --test check_account`; without the lab the
//! lab tests say SKIPPED, unless RELAYDOC_REQUIRE_LAB=1 makes a missing lab fail.
//! Only loopback addresses are contacted.

mod common;

use common::isolated::relaydoc;

use std::net::{TcpListener, UdpSocket};
use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;
use common::lab::{Lab, fresh_source_address, lab};
use serde_json::Value;

const ALICE: &str = "alice@example.test";

/// `check account EMAIL` aimed at the lab's DNS, CA and test blacklist, with a timeout above
/// Dovecot's longest login penalty (15 s) so a slow answer is never mistaken for a dead one.
fn account(lab: &Lab, home: &Path, email: &str) -> Command {
    let mut command = relaydoc(home);
    command
        .args(["--dns-server", "127.0.0.1:5353", "--timeout", "20"])
        .args([
            "check",
            "account",
            email,
            "--json",
            "--zone",
            "bl.example.test",
        ])
        .arg("--ca-file")
        .arg(lab.ca_file());
    command
}

fn json(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

fn fact<'a>(report: &'a Value, key: &str) -> &'a str {
    report["facts"][key].as_str().unwrap_or("<absent>")
}

fn check<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["details"]["checks"]
        .as_array()
        .and_then(|checks| checks.iter().find(|c| c["id"] == id))
        .unwrap_or_else(|| panic!("no sub-check {id} in {report:#}"))
}

fn skipped_ids(report: &Value) -> Vec<&str> {
    report["details"]["skipped"]
        .as_array()
        .map(|s| s.iter().filter_map(|s| s["id"].as_str()).collect())
        .unwrap_or_default()
}

#[test]
fn srv_settings_login_works_so_the_client_does_not_sign_in() {
    let Some(lab) = lab("srv_settings_login_works_so_the_client_does_not_sign_in") else {
        return;
    };
    let home = tempfile::tempdir().expect("home");
    let output = account(&lab, home.path(), ALICE)
        .env("RELAYDOC_PASSWORD", "password")
        .output()
        .expect("run");
    let report = json(&output);
    assert_eq!(report["check"], "account");
    // A relay denial was reproduced: that is a problem found (exit 1), not a failure.
    assert_eq!(report["status"], "problem", "{report:#}");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(fact(&report, "settings.source"), "srv");
    assert_eq!(fact(&report, "client.server_host"), "mail.example.test");
    assert_eq!(fact(&report, "client.port"), "2587");
    assert_eq!(fact(&report, "client.security"), "starttls");
    assert_eq!(fact(&report, "server.auth_offered"), "tls-only");
    assert_eq!(fact(&report, "auth.result"), "ok");
    assert_eq!(fact(&report, "server.auth_works"), "yes");
    assert_eq!(fact(&report, "relay.unauthenticated"), "rejected-554");
    assert_eq!(fact(&report, "relay.authenticated"), "accepted");
    assert_eq!(fact(&report, "dnsbl.server_listed"), "no");
    assert_eq!(fact(&report, "dns.fcrdns"), "yes");
    // Both SRV endpoints were probed side by side.
    assert_eq!(fact(&report, "server.ports_open"), "2587 2465");
    // Relay refused without login and accepted with it, login works: the tree cannot blame
    // the account or the server, and with the client's own setting unknown it concludes
    // what that pattern means in practice: the mail program does not sign in.
    let details = &report["details"];
    assert_eq!(details["cause"]["id"], "client-auth-off", "{details:#}");
    assert_eq!(details["node"], "s-client-auth-off");
    assert_eq!(details["tree_facts"]["error.kind"], "relay");
    // Every sub-report keeps its own contract shape.
    for (id, name) in [
        ("mx", "mx"),
        ("srv", "srv"),
        ("host", "host"),
        ("smtp", "smtp"),
        ("relay", "relay"),
        // Sign-in and relay after it share one connection: one login, not two.
        ("login", "relay"),
        ("dnsbl:127.0.0.1", "dnsbl"),
    ] {
        let sub = check(&report, id);
        assert_eq!(sub["report"]["check"], name, "{id}");
        assert!(sub["report"]["facts"].is_object(), "{id}");
        assert!(sub["started_ms"].as_f64().is_some(), "{id}");
    }
    assert!(skipped_ids(&report).is_empty());
    assert!(details["timings"]["total_ms"].as_f64().is_some());
    assert!(details["timings"]["slowest"]["id"].is_string());
}

#[test]
fn wrong_password_points_to_wrong_credentials() {
    let Some(lab) = lab("wrong_password_points_to_wrong_credentials") else {
        return;
    };
    let home = tempfile::tempdir().expect("home");
    let output = account(&lab, home.path(), ALICE)
        .arg("--source-address")
        .arg(fresh_source_address().to_string())
        .arg("--password-stdin")
        .write_stdin("not-the-password\n")
        .output()
        .expect("run");
    let report = json(&output);
    assert_eq!(report["status"], "problem");
    assert_eq!(fact(&report, "auth.result"), "failed");
    assert_eq!(fact(&report, "auth.code"), "535");
    assert_eq!(fact(&report, "server.auth_works"), "<absent>");
    assert_eq!(fact(&report, "relay.unauthenticated"), "rejected-554");
    // The login failed before MAIL FROM, so relaying with login was never reached.
    assert_eq!(fact(&report, "relay.authenticated"), "not-tested");
    let details = &report["details"];
    // A refused login means the person does sign in, with credentials the server refuses.
    assert_eq!(details["tree_facts"]["client.smtp_auth"], "on");
    assert_eq!(details["cause"]["id"], "wrong-credentials", "{details:#}");
}

#[test]
fn without_a_password_the_login_tests_are_skipped_and_said_so() {
    let Some(lab) = lab("without_a_password_the_login_tests_are_skipped_and_said_so") else {
        return;
    };
    let home = tempfile::tempdir().expect("home");
    let output = account(&lab, home.path(), ALICE).output().expect("run");
    let report = json(&output);
    assert_eq!(skipped_ids(&report), vec!["login"]);
    assert_eq!(fact(&report, "login.tested"), "no");
    assert_eq!(fact(&report, "relay.authenticated"), "not-tested");
    assert_eq!(fact(&report, "relay.unauthenticated"), "rejected-554");
    let summary = report["details"]["summary"].to_string();
    assert!(summary.contains("Sign-in was not tested"), "{summary}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("skipped: Signing in as"), "{stderr}");
    assert!(stderr.contains("RELAYDOC_PASSWORD"), "{stderr}");
    // Without the login result the tree still reads the reproduced relay denial.
    assert_eq!(report["details"]["cause"]["id"], "client-auth-off");

    // The plain-words report says the same.
    let output = relaydoc(home.path())
        .args(["--dns-server", "127.0.0.1:5353", "--timeout", "20"])
        .args(["check", "account", ALICE, "--zone", "bl.example.test"])
        .arg("--ca-file")
        .arg(lab.ca_file())
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("Sign-in was not tested"), "{text}");
    assert!(text.contains("What this points to:"), "{text}");
    assert!(text.contains("client-auth-off"), "{text}");
}

#[test]
fn from_a_trusted_network_the_error_is_not_reproduced_and_no_cause_is_claimed() {
    let Some(lab) = lab("from_a_trusted_network_the_error_is_not_reproduced") else {
        return;
    };
    let home = tempfile::tempdir().expect("home");
    // 127.0.0.2 is in the lab Postfix's mynetworks: on the MX-like port 2525 it may relay
    // without login (the submission port 2587 insists on a login from everyone).
    let output = account(&lab, home.path(), ALICE)
        .args([
            "--no-login",
            "--source-address",
            "127.0.0.2",
            "--port",
            "2525",
        ])
        .output()
        .expect("run");
    let report = json(&output);
    assert_eq!(fact(&report, "relay.unauthenticated"), "accepted");
    assert!(report["details"]["cause"].is_null(), "{report:#}");
    let summary = report["details"]["summary"].to_string();
    assert!(summary.contains("could not be reproduced"), "{summary}");
}

/// A knowledge folder with one provider, laid over the bundled knowledge.
fn overlay(dir: &Path, yaml: &str) {
    let providers = dir.join("providers");
    std::fs::create_dir_all(&providers).expect("mkdir");
    std::fs::write(providers.join("lab.yaml"), yaml).expect("write");
}

#[test]
fn a_domain_without_srv_uses_the_catalogue() {
    let Some(lab) = lab("a_domain_without_srv_uses_the_catalogue") else {
        return;
    };
    let home = tempfile::tempdir().expect("home");
    let knowledge = tempfile::tempdir().expect("knowledge");
    // nomx.test publishes no SRV records; the catalogue knows its (lab) server.
    overlay(
        knowledge.path(),
        "id: lab-nomx\nname: Lab provider\ndomains: [nomx.test]\nusername: full-address\n\
         outgoing:\n  - {host: 127.0.0.1, port: 2587, security: starttls, auth: password}\n",
    );
    let output = account(&lab, home.path(), "alice@nomx.test")
        .arg("--knowledge")
        .arg(knowledge.path())
        .arg("--no-login")
        .output()
        .expect("run");
    let report = json(&output);
    assert_eq!(fact(&report, "dns.srv"), "none");
    assert_eq!(fact(&report, "settings.source"), "catalogue");
    assert_eq!(fact(&report, "settings.provider"), "lab-nomx");
    assert_eq!(fact(&report, "client.server_host"), "127.0.0.1");
    assert_eq!(fact(&report, "client.port"), "2587");
    assert_eq!(fact(&report, "relay.unauthenticated"), "rejected-554");
    assert!(skipped_ids(&report).contains(&"login"));
}

#[test]
fn a_hosted_domain_is_found_by_its_mx() {
    let Some(lab) = lab("a_hosted_domain_is_found_by_its_mx") else {
        return;
    };
    let home = tempfile::tempdir().expect("home");
    let knowledge = tempfile::tempdir().expect("knowledge");
    // multimx.example.test has no SRV and is in no provider's domain list; its MX hosts end
    // in example.test, which this provider names as its MX suffix.
    overlay(
        knowledge.path(),
        "id: lab-hosting\nname: Lab hosting\nmx_suffixes: [example.test]\n\
         username: full-address\noutgoing:\n  \
         - {host: mail.example.test, port: 2587, security: starttls, auth: password}\n",
    );
    let output = account(&lab, home.path(), "alice@multimx.example.test")
        .arg("--knowledge")
        .arg(knowledge.path())
        .arg("--no-login")
        .output()
        .expect("run");
    let report = json(&output);
    assert_eq!(fact(&report, "settings.source"), "catalogue");
    assert_eq!(fact(&report, "settings.provider"), "lab-hosting");
    assert_eq!(fact(&report, "client.server_host"), "mail.example.test");
    let warning = report["details"]["settings"]["warning"]
        .as_str()
        .unwrap_or("");
    assert!(warning.contains("found from its MX"), "{warning}");
}

#[test]
fn without_srv_or_catalogue_the_mx_is_tried_with_a_warning() {
    let Some(lab) = lab("without_srv_or_catalogue_the_mx_is_tried_with_a_warning") else {
        return;
    };
    let home = tempfile::tempdir().expect("home");
    // The MX (mail.example.test, preference 10) on the lab's submission port.
    let output = account(&lab, home.path(), "alice@multimx.example.test")
        .args(["--port", "2587", "--no-login"])
        .output()
        .expect("run");
    let report = json(&output);
    assert_eq!(fact(&report, "settings.source"), "mx");
    assert_eq!(fact(&report, "client.server_host"), "mail.example.test");
    assert_eq!(fact(&report, "client.port"), "2587");
    let warning = report["details"]["settings"]["warning"]
        .as_str()
        .unwrap_or("");
    assert!(warning.contains("for receiving mail"), "{warning}");
    assert_eq!(fact(&report, "relay.unauthenticated"), "rejected-554");
}

// ------------------------------------------------------------------ concurrency

/// A server that accepts every connection and says nothing for `stall`, then hangs up:
/// every SMTP check against it lasts about `stall`.
fn slow_smtp_server(stall: Duration) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                std::thread::sleep(stall);
                drop(stream);
            });
        }
    });
    port
}

#[test]
fn every_check_starts_before_the_first_one_ends() {
    let port = slow_smtp_server(Duration::from_millis(800));
    // A DNS server that never answers: the DNS checks last their whole timeout.
    let silent_dns = UdpSocket::bind("127.0.0.1:0").expect("bind udp");
    let dns = silent_dns.local_addr().expect("addr");
    let home = tempfile::tempdir().expect("home");
    let output = relaydoc(home.path())
        .args(["--dns-server", &dns.to_string(), "--timeout", "1"])
        .args(["check", "account", "alice@concurrency.test", "--json"])
        .args(["--server", "127.0.0.1", "--port", &port.to_string()])
        .args(["--zone", "bl.concurrency.test"])
        .env("RELAYDOC_PASSWORD", "not-used-the-server-never-greets")
        .output()
        .expect("run");
    let report = json(&output);
    let checks = report["details"]["checks"].as_array().expect("checks");
    let ids: Vec<&str> = checks.iter().filter_map(|c| c["id"].as_str()).collect();
    for id in [
        "mx",
        "srv",
        "host",
        "smtp",
        "relay",
        "login",
        "dnsbl:127.0.0.1",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    let latest_start = checks
        .iter()
        .filter_map(|c| c["started_ms"].as_f64())
        .fold(f64::MIN, f64::max);
    let first_end = checks
        .iter()
        .filter_map(|c| c["finished_ms"].as_f64())
        .fold(f64::MAX, f64::min);
    assert!(
        latest_start < first_end,
        "a check started ({latest_start} ms) after another had finished ({first_end} ms): \
         they ran one after another, not side by side\n{ids:?}"
    );
    // Every SMTP check really waited for the slow server (so the ordering above is not
    // trivially true), and each ended as an error, not a hang.
    for id in ["smtp", "relay", "login"] {
        let sub = check(&report, id);
        assert_eq!(sub["report"]["status"], "error", "{id}: {sub:#}");
        assert!(
            sub["finished_ms"].as_f64().unwrap_or(0.0) > latest_start,
            "{id}"
        );
    }
    assert_eq!(fact(&report, "settings.source"), "given");
    // Nothing got as far as sending: no cause is claimed on no evidence.
    assert!(report["details"]["cause"].is_null(), "{report:#}");
    assert_eq!(report["status"], "error");
    drop(silent_dns);
}

/// An SMTP server that takes `pause` over every reply: each step stays within the step
/// timeout, so only a check's own deadline can end a dialogue of many steps.
fn sluggish_smtp_server(pause: Duration) -> u16 {
    use std::io::{BufRead, BufReader, Write};
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let Ok(reader) = stream.try_clone() else {
                    return;
                };
                let mut writer = stream;
                std::thread::sleep(pause);
                if writer.write_all(b"220 sluggish.test ESMTP\r\n").is_err() {
                    return;
                }
                for line in BufReader::new(reader).lines() {
                    let Ok(line) = line else { return };
                    std::thread::sleep(pause);
                    let reply: &[u8] = if line.to_ascii_uppercase().starts_with("QUIT") {
                        b"221 bye\r\n"
                    } else {
                        b"250 ok\r\n"
                    };
                    if writer.write_all(reply).is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}

#[test]
fn a_dialogue_that_drags_on_ends_at_the_checks_deadline() {
    // Step timeout 2 s, so each check's deadline is 6 s; every reply takes 1.5 s, so the
    // relay test (banner, EHLO, MAIL, RCPT, RSET, QUIT: 9 s) can only end at its deadline.
    let port = sluggish_smtp_server(Duration::from_millis(1500));
    let silent_dns = UdpSocket::bind("127.0.0.1:0").expect("bind udp");
    let dns = silent_dns.local_addr().expect("addr");
    let home = tempfile::tempdir().expect("home");
    let output = relaydoc(home.path())
        .args(["--dns-server", &dns.to_string(), "--timeout", "2"])
        .args([
            "check",
            "account",
            "alice@sluggish.test",
            "--json",
            "--no-login",
        ])
        .args(["--server", "127.0.0.1", "--port", &port.to_string()])
        .args(["--security", "none", "--zone", "bl.sluggish.test"])
        .timeout(Duration::from_secs(60))
        .output()
        .expect("run");
    let report = json(&output);
    let relay = check(&report, "relay");
    assert_eq!(relay["timed_out"], true, "{relay:#}");
    assert_eq!(relay["report"]["status"], "error");
    assert_eq!(relay["report"]["details"]["error"]["phase"], "deadline");
    // The port probe (banner, EHLO, QUIT: 4.5 s) ended on its own, within its deadline.
    assert_eq!(check(&report, "smtp")["timed_out"], false);
    drop(silent_dns);
}

#[test]
fn an_address_without_a_domain_is_bad_input() {
    let home = tempfile::tempdir().expect("home");
    let output = relaydoc(home.path())
        .args(["check", "account", "nobody", "--no-login"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
}

// ------------------------------------------------------------------ canary password

fn files_under(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn canary_password_never_leaks_from_check_account() {
    let Some(lab) = lab("canary_password_never_leaks_from_check_account") else {
        return;
    };
    use base64::Engine as _;
    let canary = format!("canary-{}-Ac9", std::process::id());
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let needles = [
        canary.clone(),
        b64(&canary),
        b64(&format!("\0{ALICE}\0{canary}")),
    ];
    let home = tempfile::tempdir().expect("home");
    for json_mode in [true, false] {
        for via_stdin in [false, true] {
            let mut command = relaydoc(home.path());
            command
                .args(["--dns-server", "127.0.0.1:5353", "--timeout", "20"])
                .args(["check", "account", ALICE, "--zone", "bl.example.test"])
                .arg("--ca-file")
                .arg(lab.ca_file())
                .arg("--source-address")
                .arg(fresh_source_address().to_string());
            if json_mode {
                command.arg("--json");
            }
            if via_stdin {
                command
                    .arg("--password-stdin")
                    .write_stdin(format!("{canary}\n"));
            } else {
                command.env("RELAYDOC_PASSWORD", &canary);
            }
            let output = command.output().expect("run");
            let stdout = String::from_utf8_lossy(&output.stdout);
            // The password was really used: the login was tried and refused.
            assert!(stdout.contains("535"), "{stdout}");
            for needle in &needles {
                for (what, text) in [
                    ("stdout", stdout.to_string()),
                    (
                        "stderr",
                        String::from_utf8_lossy(&output.stderr).to_string(),
                    ),
                ] {
                    assert!(
                        !text.contains(needle.as_str()),
                        "{what} (json {json_mode}, stdin {via_stdin}) holds the canary {needle:?}"
                    );
                }
            }
        }
    }
    let mut files = Vec::new();
    files_under(home.path(), &mut files);
    for file in files {
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap_or_default()).to_string();
        for needle in &needles {
            assert!(
                !text.contains(needle.as_str()),
                "{} holds the canary",
                file.display()
            );
        }
    }
}

// ------------------------------------------------------------------ live progress

#[test]
fn on_a_terminal_progress_is_redrawn_in_place() {
    use rexpect::session::spawn_command;
    let port = slow_smtp_server(Duration::from_millis(800));
    let silent_dns = UdpSocket::bind("127.0.0.1:0").expect("bind udp");
    let dns = silent_dns.local_addr().expect("addr");
    let home = tempfile::tempdir().expect("home");
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_relaydoc"));
    command
        .env_clear()
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("TERM", "xterm-256color")
        .env("NO_COLOR", "1")
        .args(["--dns-server", &dns.to_string(), "--timeout", "1"])
        .args(["check", "account", "alice@pty.test", "--no-login"])
        .args(["--server", "127.0.0.1", "--port", &port.to_string()])
        .args(["--zone", "bl.pty.test"]);
    let mut session = spawn_command(command, Some(30_000)).expect("spawn in a pty");
    // Everything the display drew before the report began.
    let progress = session
        .exp_string("Account alice@pty.test")
        .expect("the report follows the progress");
    // Pending checks are shown as running, then the block is redrawn over itself (cursor
    // up, erase line) with each check's result and time.
    assert!(
        progress.contains("0.0 s  Ports of 127.0.0.1"),
        "no running line: {progress:?}"
    );
    assert!(progress.contains("A\r\x1b[K"), "no redraw: {progress:?}");
    assert!(
        progress.contains("ms  Ports of 127.0.0.1") && progress.contains("error  "),
        "no finished line with its time: {progress:?}"
    );
    session.exp_eof().expect("ends");
    drop(silent_dns);
}
