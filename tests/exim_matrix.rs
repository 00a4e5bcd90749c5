//! `exim lint`'s model against the real Exim: each configuration below × client address ×
//! signed in or not. The configuration goes through the real binary twice: `exim -C CFG -bP
//! config` is what relaydoc reads (as a user would give it), and `exim -C CFG -bh IP` answers
//! an SMTP conversation (EHLO, AUTH PLAIN when signing in, MAIL, RCPT to a domain the server
//! does not handle) against its ACLs, delivering nothing. relaydoc's verdict (relayed or
//! refused) must be Exim's answer to RCPT (250 or 5xx) in every cell.
//!
//! Then `exim lint --log` reads Exim's own log lines of those refusals and must name each
//! refused client with the line that adds it to relay_from_hosts.
//!
//! The Exim is Debian's exim4-daemon-light unpacked by `tests/lab/exim.sh install` (into
//! `$RELAYDOC_EXIM_DIR`, default /tmp/relaydoc-exim). Missing: SKIPPED, or a failure with
//! `RELAYDOC_REQUIRE_LAB=1`. `-bh` runs inside `unshare -n` when it can (no network at all);
//! the configurations need no DNS either way (`host_lookup` unset, IP-only lists).

use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine;
use relaydoc::exim::acl::{Client, Outcome, rcpt_verdict};
use relaydoc::exim::config::parse;
use relaydoc::exim::lint::sign_in_offered;

/// The options every configuration shares; `@DIR@` is the test's directory.
const HEAD: &str = "\
primary_hostname = mail.example.test
spool_directory = @DIR@/spool
log_file_path = @DIR@/log/%slog
host_lookup =
rfc1413_query_timeout = 0s
domainlist local_domains = example.test
domainlist relay_to_domains =
";

/// The RCPT ACL of Exim's default configuration, reduced to its relay decision.
const ACL: &str = "
begin acl
acl_check_rcpt:
  accept  hosts = :
  accept  hosts = +relay_from_hosts
  accept  authenticated = *
  require message = relay not permitted
          domains = +local_domains : +relay_to_domains
  accept
";

const ACL_NO_AUTHENTICATED: &str = "
begin acl
acl_check_rcpt:
  accept  hosts = :
  accept  hosts = +relay_from_hosts
  require message = relay not permitted
          domains = +local_domains : +relay_to_domains
  accept
";

/// One user, alice / password, checked by the configuration itself.
const AUTH: &str = "
begin authenticators
plain_server:
  driver = plaintext
  public_name = PLAIN
  server_prompts = :
  server_condition = ${if and {{eq{$auth2}{alice}}{eq{$auth3}{password}}}}
  server_set_id = $auth2
";

/// The same, offered only inside TLS (Debian's template does this), with TLS switched off.
const AUTH_TLS_ONLY: &str = "
begin authenticators
plain_server:
  driver = plaintext
  public_name = PLAIN
  server_prompts = :
  server_condition = ${if and {{eq{$auth2}{alice}}{eq{$auth3}{password}}}}
  server_set_id = $auth2
  server_advertise_condition = ${if eq{$tls_in_cipher}{}{}{*}}
";

struct Case {
    name: &'static str,
    body: String,
}

fn cases() -> Vec<Case> {
    let rcpt = "acl_smtp_rcpt = acl_check_rcpt\n";
    vec![
        Case {
            name: "debian-like",
            body: format!("{rcpt}hostlist relay_from_hosts = 127.0.0.1 : ::::1\n{ACL}{AUTH}"),
        },
        Case {
            name: "extra-network",
            body: format!(
                "{rcpt}hostlist relay_from_hosts = <; 127.0.0.1 ; ::1 ; 192.0.2.0/24\n{ACL}{AUTH}"
            ),
        },
        Case {
            name: "no-authenticators",
            body: format!("{rcpt}hostlist relay_from_hosts = 127.0.0.1\n{ACL}"),
        },
        Case {
            name: "open-relay",
            body: format!("{rcpt}hostlist relay_from_hosts = 127.0.0.1 : 0.0.0.0/0\n{ACL}"),
        },
        Case {
            name: "auth-only-after-tls-without-tls",
            body: format!(
                "{rcpt}tls_advertise_hosts =\nhostlist relay_from_hosts = 127.0.0.1\n{ACL}{AUTH_TLS_ONLY}"
            ),
        },
        Case {
            name: "no-accept-authenticated",
            body: format!(
                "{rcpt}hostlist relay_from_hosts = 127.0.0.1\n{ACL_NO_AUTHENTICATED}{AUTH}"
            ),
        },
        Case {
            name: "negated-network",
            body: format!(
                "{rcpt}hostlist relay_from_hosts = !192.0.2.10 : 192.0.2.0/24 : 127.0.0.1\n{ACL}{AUTH}"
            ),
        },
        Case {
            name: "no-rcpt-acl",
            body: format!("hostlist relay_from_hosts = 127.0.0.1\n{ACL}{AUTH}"),
        },
    ]
}

const CLIENTS: &[&str] = &[
    "127.0.0.1",
    "::1",
    "192.0.2.10",
    "192.0.2.77",
    "203.0.113.5",
];

fn exim_binary() -> Option<PathBuf> {
    let dir = std::env::var_os("RELAYDOC_EXIM_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp/relaydoc-exim"));
    let exim = dir.join("bin/exim");
    if exim.is_file() {
        return Some(exim);
    }
    let required = std::env::var("RELAYDOC_REQUIRE_LAB").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "exim_matrix: the real Exim is required (RELAYDOC_REQUIRE_LAB=1) but {} is missing: \
         run tests/lab/exim.sh install",
        exim.display()
    );
    eprintln!(
        "exim_matrix: SKIPPED: no Exim at {} (tests/lab/exim.sh install unpacks Debian's)",
        exim.display()
    );
    None
}

/// `unshare -n` when this machine allows it: Exim then has no network at all.
fn isolated() -> bool {
    Command::new("unshare")
        .args(["-n", "true"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn exim(binary: &Path, isolate: bool, args: &[&str], stdin: &str) -> (String, String) {
    let mut command = if isolate {
        let mut c = Command::new("unshare");
        c.arg("-n").arg(binary);
        c
    } else {
        Command::new(binary)
    };
    let mut child = command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("exim runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write the conversation");
    let output = child.wait_with_output().expect("exim ends");
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Exim's final reply to RCPT: the last reply line before QUIT's 221.
fn rcpt_reply(stdout: &str) -> String {
    let finals: Vec<&str> = stdout
        .lines()
        .map(str::trim_end)
        .filter(|l| {
            l.len() >= 4
                && l.as_bytes()[..3].iter().all(u8::is_ascii_digit)
                && l.as_bytes()[3] == b' '
        })
        .collect();
    assert!(
        finals.len() >= 2 && finals[finals.len() - 1].starts_with("221"),
        "no complete conversation:\n{stdout}"
    );
    finals[finals.len() - 2].to_owned()
}

#[test]
fn the_lint_agrees_with_the_real_exim() {
    let Some(binary) = exim_binary() else {
        return;
    };
    let isolate = isolated();
    let dir = tempfile::tempdir().expect("a temp dir");
    for sub in ["spool", "log"] {
        std::fs::create_dir_all(dir.path().join(sub)).expect("dirs");
    }
    // Exim drops to its own user for the spool when it was started as root.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for sub in ["spool", "log"] {
            let _ = std::fs::set_permissions(
                dir.path().join(sub),
                std::fs::Permissions::from_mode(0o777),
            );
        }
    }
    let token = base64::engine::general_purpose::STANDARD.encode("\0alice\0password");
    let mut cells = 0;
    let mut disagreements = Vec::new();
    let mut log = String::new();
    for case in cases() {
        let path = dir.path().join(format!("{}.conf", case.name));
        let text = HEAD.replace("@DIR@", &dir.path().display().to_string()) + &case.body;
        std::fs::write(&path, text).expect("write the configuration");
        let cfg = path.display().to_string();
        let (printed, errors) = exim(&binary, false, &["-C", &cfg, "-bP", "config"], "");
        assert!(
            printed.contains("acl_check_rcpt") || case.name == "no-rcpt-acl",
            "{}: exim -bP config printed no ACL:\n{printed}\n{errors}",
            case.name
        );
        let (config, problems) = parse(&format!("{}: exim -bP config", case.name), &printed);
        assert!(problems.is_empty(), "{}: {problems}", case.name);
        for ip in CLIENTS {
            for sign_in in [false, true] {
                let mut talk = String::from("EHLO client.example.test\r\n");
                if sign_in {
                    talk.push_str(&format!("AUTH PLAIN {token}\r\n"));
                }
                talk.push_str(
                    "MAIL FROM:<alice@example.test>\r\nRCPT TO:<friend@example.net>\r\nQUIT\r\n",
                );
                let (out, err) = exim(&binary, isolate, &["-C", &cfg, "-bh", ip], &talk);
                let reply = rcpt_reply(&out);
                let refused = reply.starts_with('5');
                assert!(
                    refused || reply.starts_with("250"),
                    "{}: {ip}: {reply}",
                    case.name
                );
                for line in err.lines().filter_map(|l| l.strip_prefix("LOG: ")) {
                    if line.contains("rejected RCPT") {
                        log.push_str(&format!("2026-12-03 10:00:00 {line}\n"));
                    }
                }
                let client = Client {
                    ip: ip.parse::<IpAddr>().expect("an address"),
                    authenticated: sign_in && sign_in_offered(&config, false),
                    tls: false,
                };
                let verdict = rcpt_verdict(&config, &client);
                cells += 1;
                let predicted_refused = match verdict.outcome {
                    Outcome::Refuse | Outcome::Defer => true,
                    Outcome::Accept => false,
                    Outcome::Unknown => {
                        disagreements.push(format!(
                            "{} {ip} sign_in={sign_in}: relaydoc cannot tell ({}); Exim: {reply}",
                            case.name, verdict.reason
                        ));
                        continue;
                    }
                };
                eprintln!(
                    "{:32} {:12} sign_in={:5} Exim: {:40} relaydoc: {:?} ({})",
                    case.name, ip, sign_in, reply, verdict.outcome, verdict.reason
                );
                if predicted_refused != refused {
                    disagreements.push(format!(
                        "{} {ip} sign_in={sign_in}: relaydoc {:?} ({}), Exim {reply}",
                        case.name, verdict.outcome, verdict.reason
                    ));
                }
            }
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} of {cells} cells disagree:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
    assert_eq!(cells, 8 * CLIENTS.len() * 2);

    // The refusals Exim logged, read by `exim lint --log` next to the debian-like
    // configuration: every refused client outside 127.0.0.1 gets the line that adds it.
    assert!(
        log.contains("relay not permitted"),
        "Exim logged no relay refusal:\n{log}"
    );
    let log_path = dir.path().join("mainlog");
    std::fs::write(&log_path, &log).expect("write the log");
    let (printed, _) = exim(
        &binary,
        false,
        &[
            "-C",
            &dir.path().join("debian-like.conf").display().to_string(),
            "-bP",
            "config",
        ],
        "",
    );
    let config_path = dir.path().join("debian-like.txt");
    std::fs::write(&config_path, printed).expect("write the -bP config output");
    let output = Command::new(env!("CARGO_BIN_EXE_relaydoc"))
        .args(["exim", "lint"])
        .arg(&config_path)
        .arg("--log")
        .arg(&log_path)
        .arg("--json")
        .output()
        .expect("relaydoc runs");
    let json: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("exim lint --json prints JSON");
    let findings = json["findings"].as_array().expect("findings");
    for ip in ["192.0.2.10", "203.0.113.5"] {
        let finding = findings
            .iter()
            .find(|f| {
                f["id"] == "refused-client-not-in-relay-from-hosts"
                    && f["message"].as_str().is_some_and(|m| m.contains(ip))
            })
            .unwrap_or_else(|| panic!("no finding for {ip}: {json:#}"));
        let fix = finding["fix"].as_str().unwrap_or_default();
        assert!(
            fix.contains(&format!(
                "hostlist relay_from_hosts = <; 127.0.0.1 ; ::1 ; {ip}"
            )),
            "{ip}: {fix}"
        );
    }
    assert!(
        !findings.iter().any(|f| f["message"]
            .as_str()
            .is_some_and(|m| m.contains("[127.0.0.1]"))),
        "127.0.0.1 was never refused: {json:#}"
    );
}
