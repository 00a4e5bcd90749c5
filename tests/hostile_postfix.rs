//! Hostile Postfix configurations: expansion exactly as Postfix does it (its nesting limit and
//! words, never a silently shorter value), malformed networks, files named in settings that
//! are never echoed, and output bounded for any input.

mod common;

use relaydoc::postfix::config::{Settings, parse_main};
use relaydoc::postfix::lint::{Severity, lint};
use relaydoc::postfix::simulate::{Client, Outcome, simulate};

fn client(ip: &str) -> Client {
    Client {
        ip: ip.parse().expect("test address"),
        sasl_user: None,
        tls: false,
        helo: "pc.example.net".into(),
        from: "me@example.net".into(),
        to: "friend@example.org".into(),
    }
}

/// `mynetworks` reached through a chain of `depth` references, the last holding 192.0.2.0/24.
fn chain(depth: usize) -> String {
    let mut text = String::from(
        "mail_version = 3.7.11\ncompatibility_level = 3.6\n\
         smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination\n\
         mynetworks = 127.0.0.0/8 $n1\n",
    );
    for level in 1..depth {
        text.push_str(&format!("n{level} = $n{}\n", level + 1));
    }
    text.push_str(&format!("n{depth} = 192.0.2.0/24\n"));
    text
}

#[test]
fn a_reference_loop_is_an_error_in_postfixs_words() {
    let (main, _) = parse_main("main.cf", "a = $b\nb = $a\nmynetworks = $a\n");
    let settings = Settings::new(&main, None);
    let report = lint(&main, &[], &settings);
    for name in ["a", "b", "mynetworks"] {
        let finding = report
            .findings
            .iter()
            .find(|f| f.id == "expansion-failed" && f.parameter == name)
            .unwrap_or_else(|| panic!("no expansion finding for {name}: {:#?}", report.findings));
        assert_eq!(finding.severity, Severity::Error);
        assert!(
            finding.message.contains("unreasonable macro call nesting"),
            "{}",
            finding.message
        );
    }
}

#[test]
fn expansion_goes_as_deep_as_postfix_and_no_deeper() {
    // Postfix's mac_expand fails once a text is nested more than 100 references deep.
    for (depth, fails) in [(30, false), (100, false), (101, true)] {
        let text = chain(depth);
        let (main, _) = parse_main("main.cf", &text);
        let settings = Settings::new(&main, None);
        let report = lint(&main, &[], &settings);
        let failed = report
            .findings
            .iter()
            .any(|f| f.id == "expansion-failed" && f.parameter == "mynetworks");
        assert_eq!(failed, fails, "depth {depth}: {:#?}", report.findings);
        let sim = simulate(&settings, &client("192.0.2.5"));
        if fails {
            assert!(
                sim.approximations
                    .iter()
                    .any(|note| note.contains("could not be expanded")),
                "depth {depth}: the verdict must say it is not Postfix's: {:?}",
                sim.approximations
            );
        } else {
            // The whole chain is followed: the client is in mynetworks and may relay.
            assert_eq!(sim.verdict.outcome, Outcome::Accept, "depth {depth}");
        }
    }
}

#[test]
fn malformed_networks_in_mynetworks_are_errors_naming_the_parameter() {
    let (main, _) = parse_main(
        "main.cf",
        "mynetworks = 127.0.0.0/8, 10.0.0.0/33, [::]/129, ::/129, 1.2.3, mail.example.com\n",
    );
    let settings = Settings::new(&main, None);
    let report = lint(&main, &[], &settings);
    let finding = report
        .findings
        .iter()
        .find(|f| f.id == "mynetworks-malformed")
        .unwrap_or_else(|| panic!("no malformed-network finding: {:#?}", report.findings));
    assert_eq!(finding.severity, Severity::Error);
    assert_eq!(finding.parameter, "mynetworks");
    for bad in ["10.0.0.0/33", "[::]/129", "::/129", "\"1.2.3\""] {
        assert!(finding.message.contains(bad), "{bad}: {}", finding.message);
    }
    assert!(!finding.message.contains("mail.example.com"));
    assert!(!finding.message.contains("127.0.0.0/8"));
}

#[test]
fn a_file_named_in_mynetworks_is_named_never_echoed() {
    let home = tempfile::tempdir().expect("home");
    let secret = home.path().join("shadow");
    let mut lines = String::new();
    for n in 0..40 {
        lines.push_str(&format!("user{n}:$6$SECRET{n}:19000:0:99999:7:::\n"));
    }
    std::fs::write(&secret, lines).expect("secret");
    let main = home.path().join("main.cf");
    std::fs::write(
        &main,
        format!(
            "mail_version = 3.7.11\ncompatibility_level = 3.6\n\
             smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination\n\
             mynetworks = 127.0.0.0/8 {}\n",
            secret.display()
        ),
    )
    .expect("main.cf");
    let output = common::isolated::relaydoc(home.path())
        .args(["postfix", "simulate", "--config"])
        .arg(&main)
        .args([
            "--client-ip",
            "203.0.113.5",
            "--helo",
            "pc",
            "--from",
            "me@example.com",
            "--to",
            "friend@example.org",
        ])
        .output()
        .expect("runs");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        !said.contains("SECRET") && !said.contains("user1"),
        "{said}"
    );
    assert!(said.contains(&secret.display().to_string()), "{said}");
}

#[test]
fn thousands_of_unknown_names_give_bounded_output() {
    let home = tempfile::tempdir().expect("home");
    let mut text = String::new();
    for n in 0..20_000 {
        text.push_str(&format!("unknown_name_{n} = value\n"));
    }
    let main = home.path().join("main.cf");
    std::fs::write(&main, text).expect("main.cf");
    for json in [false, true] {
        let mut command = common::isolated::relaydoc(home.path());
        command.args(["postfix", "lint"]).arg(&main);
        if json {
            command.arg("--json");
        }
        let output = command.output().expect("runs");
        assert_eq!(output.status.code(), Some(1));
        assert!(
            output.stdout.len() < 100_000,
            "{} bytes for 20,000 unknown names",
            output.stdout.len()
        );
        let said = String::from_utf8_lossy(&output.stdout);
        assert!(
            said.contains("19950 more unknown parameter names"),
            "{said}"
        );
    }
}

/// Found by the fuzzer (fuzz/corpus/postconf/self-doubling-mydomain.cf): a 256 KiB domain
/// and thousands of unreadable tables made a note each quoting the whole domain (850 MB).
/// The notes name a few tables, with a short excerpt of the domain, and count the rest.
#[test]
fn notes_about_unreadable_domain_tables_are_few_and_short() {
    let tables: Vec<String> = (0..2_000).map(|n| format!("mysql:/etc/t{n}.cf")).collect();
    let (main, _) = parse_main(
        "main.cf",
        &format!("mydestination = {}\n", tables.join(", ")),
    );
    let settings = Settings::new(&main, None);
    let domain = format!("{}.example", "d".repeat(200_000));
    let mut notes = Vec::new();
    let verdict = relaydoc::postfix::simulate::destination(&settings, &domain, &mut notes);
    assert_eq!(
        verdict,
        relaydoc::postfix::simulate::Destination::Unauthorized
    );
    // At most six notes for each of the four domain lists.
    assert!(notes.len() <= 24, "{} notes", notes.len());
    let bytes: usize = notes.iter().map(String::len).sum();
    assert!(bytes < 10_000, "{bytes} bytes of notes");
    assert!(notes.iter().any(|n| n.contains("1995 more")), "{notes:?}");
}
