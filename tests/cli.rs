//! The real binary end to end, with HOME and the platform dirs pointed at a temp dir so no
//! test reads or writes the developer's own configuration.

mod common;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

struct Sandbox {
    home: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Self {
        Self {
            home: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn cmd(&self) -> Command {
        common::isolated::relaydoc(self.home.path())
    }

    fn json(&self, args: &[&str]) -> Value {
        let output = self.cmd().args(args).output().expect("runs");
        serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
            panic!(
                "{args:?}: not JSON ({error}): {}\nstderr: {}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            )
        })
    }
}

#[test]
fn help_teaches_with_examples_on_every_level() {
    let sandbox = Sandbox::new();
    sandbox
        .cmd()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("Examples:").and(predicate::str::contains("Exit codes")));
    for sub in [
        &["wizard"][..],
        &["kb", "validate"],
        &["kb", "search"],
        &["settings"],
    ] {
        let mut args = sub.to_vec();
        args.push("--help");
        sandbox
            .cmd()
            .args(&args)
            .assert()
            .success()
            .stdout(predicate::str::contains("Example"));
    }
}

#[test]
fn wizard_says_how_the_persons_server_differs_from_the_providers() {
    let sandbox = Sandbox::new();
    let facts = [
        "--fact",
        "account.email=anna@gmx.de",
        "--fact",
        "client.server_host=smtp.gmx.de",
        "--fact",
        "client.smtp_auth=off",
    ];
    // Without a terminal: the solution in words, with the difference (`--json` keeps to the
    // contract's fields, see the contract test below).
    sandbox
        .cmd()
        .args([&["wizard"], &facts[..]].concat())
        .assert()
        .stdout(predicate::str::contains(
            "Your settings and your provider's:",
        ))
        .stdout(predicate::str::contains("publishes mail.gmx.net"));
}

#[test]
fn wizard_json_follows_the_contract() {
    let sandbox = Sandbox::new();
    let json = sandbox.json(&["wizard", "--fact", "client.smtp_auth=off", "--json"]);
    assert_eq!(json["cause"], "client-auth-off");
    assert_eq!(json["node"], "s-client-auth-off");
    assert_eq!(json["path"][0], "start");
    assert_eq!(
        json["path"].as_array().and_then(|p| p.last()),
        Some(&Value::from("s-client-auth-off"))
    );
    let missing: Vec<&str> = json["missing"]
        .as_array()
        .expect("missing is a list")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(missing.contains(&"error.kind"));
    assert!(!missing.contains(&"client.smtp_auth"));
    let keys: Vec<&String> = json.as_object().expect("object").keys().collect();
    assert_eq!(
        keys,
        [
            "cause", "causes", "missing", "node", "path", "solution", "stopped"
        ]
    );
    // It reached its conclusion: nothing to explain about stopping.
    assert_eq!(json["stopped"], Value::Null);
    // The ranking behind the conclusion: the cause first, with the evidence for it in words.
    let first = &json["causes"][0];
    assert_eq!(first["id"], "client-auth-off");
    let confidence = first["confidence"].as_f64().expect("a number");
    assert!((0.0..=1.0).contains(&confidence), "{confidence}");
    assert!(
        first["for"][0]
            .as_str()
            .is_some_and(|why| why.contains("without signing in")),
        "{first}"
    );
    assert!(first["against"].is_array());
    // The solution, rendered: its id, title and steps as sentences.
    assert_eq!(json["solution"]["id"], "s-client-auth-off");
    assert!(json["solution"]["title"].is_string());
    assert!(
        json["solution"]["steps"]
            .as_array()
            .is_some_and(|steps| !steps.is_empty() && steps.iter().all(Value::is_string)),
        "{}",
        json["solution"]
    );
}

#[test]
fn facts_file_is_read_and_fact_flags_win() {
    let sandbox = Sandbox::new();
    let file = sandbox.home.path().join("caller.yaml");
    std::fs::write(&file, "error.where: bounce\nerror.code: \"454\"\n").expect("write");
    let json = sandbox.json(&["wizard", "--facts", file.to_str().expect("utf-8"), "--json"]);
    assert_eq!(json["cause"], "temporary-relay-deferral");
    let json = sandbox.json(&[
        "wizard",
        "--facts",
        file.to_str().expect("utf-8"),
        "--fact",
        "error.code=554",
        "--fact",
        "bounce.mentions=blocklist",
        "--json",
    ]);
    assert_eq!(json["cause"], "sender-blacklisted");
}

#[test]
fn bad_facts_are_named_with_what_is_allowed() {
    let sandbox = Sandbox::new();
    sandbox
        .cmd()
        .args(["wizard", "--fact", "client.smtp_auth=maybe", "--json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "`maybe` is not a value of `client.smtp_auth`; allowed: on, off, unknown",
        ));
    sandbox
        .cmd()
        .args(["wizard", "--fact", "client.smtp_aut=on", "--json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean `client.smtp_auth`?"));
    sandbox
        .cmd()
        .args(["wizard", "--fact", "account.password=hunter2", "--json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("looks like a password"));
    let file = sandbox.home.path().join("facts.yaml");
    std::fs::write(&file, "error.where: client\nusers.affected: several\n").expect("write");
    sandbox
        .cmd()
        .args(["wizard", "--facts", file.to_str().expect("utf-8"), "--json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "facts.yaml:2:17: `several` is not a value of `users.affected`",
        ));
}

#[test]
fn without_a_terminal_or_facts_it_says_how_to_run_non_interactively() {
    let sandbox = Sandbox::new();
    sandbox
        .cmd()
        .write_stdin("")
        .assert()
        .code(4)
        .stderr(predicate::str::contains("--json"));
}

#[test]
fn kb_search_lists_the_closest_first_and_says_how_many_more() {
    let sandbox = Sandbox::new();
    let ids = |hits: &Value| -> Vec<String> {
        hits.as_array()
            .map(|hits| {
                hits.iter()
                    .filter_map(|h| h["id"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let place = |ids: &[String], id: &str| {
        ids.iter()
            .position(|found| found == id)
            .unwrap_or_else(|| panic!("{id} not found in {ids:?}"))
    };
    // Every result: the iPhone guides come before a provider matched by scattered letters.
    let all = ids(&sandbox.json(&["kb", "search", "iphone", "--all", "--json"]));
    let ovh = place(&all, "ovh");
    for iphone in ["ios-mail", "gmail-ios", "outlook-mobile", "q-client-phone"] {
        assert!(place(&all, iphone) < ovh, "{iphone} after ovh: {all:?}");
    }
    assert!(all.len() > 15, "too few to test the limit: {all:?}");
    // By default, 15 best first and a line that counts the rest.
    let output = sandbox
        .cmd()
        .args(["kb", "search", "iphone"])
        .output()
        .expect("runs");
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    let listed: Vec<&str> = text
        .lines()
        .filter_map(|line| line.split_whitespace().nth(1))
        .filter(|id| all.iter().any(|found| found == id))
        .collect();
    assert_eq!(
        listed,
        all[..15].iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert!(listed.contains(&"ios-mail"), "{text}");
    assert!(!listed.contains(&"ovh"), "{text}");
    let more = format!("… {} more", all.len() - 15);
    assert!(text.contains(&more), "no \"{more}\" line in:\n{text}");
    assert!(text.contains("--all"), "{text}");
    // --limit is kept, and JSON lists as many as asked.
    assert_eq!(
        ids(&sandbox.json(&["kb", "search", "iphone", "--limit", "3", "--json"])),
        all[..3]
    );
}

#[test]
fn kb_validate_search_show_and_graph() {
    let sandbox = Sandbox::new();
    sandbox
        .cmd()
        .args(["kb", "validate"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("knowledge is sound")
                .and(predicate::str::contains("18 causes")),
        );
    sandbox
        .cmd()
        .args(["kb", "search", "pop before smtp"])
        .assert()
        .success()
        .stdout(predicate::str::contains("pop-before-smtp-expired"));
    let hits = sandbox.json(&["kb", "search", "thunderbird", "--json"]);
    assert_eq!(hits[0]["id"], "thunderbird");
    // Error codes are found whole, in the error signatures first.
    let hits = sandbox.json(&["kb", "search", "0x800CCC79", "--json"]);
    assert_eq!(hits[0]["kind"], "signature");
    assert_eq!(hits[0]["id"], "outlook-recipient-rejected-dialog");
    let hits = sandbox.json(&["kb", "search", "435", "--json"]);
    assert!(
        hits.as_array()
            .is_some_and(|hits| hits.iter().any(|h| h["id"] == "auth-backend-unavailable")),
        "{hits}"
    );
    let hits = sandbox.json(&["kb", "search", "5.7.1", "--json", "--limit", "50"]);
    let ids: Vec<&str> = hits
        .as_array()
        .map(|hits| hits.iter().filter_map(|h| h["id"].as_str()).collect())
        .unwrap_or_default();
    assert!(ids.contains(&"postfix-relay-access-denied"), "{ids:?}");
    // "5.7.1" is not found inside "5.7.10" or by fuzzy digits: the Exchange 5.7.54 entry has
    // no 5.7.1 in it.
    assert!(
        !ids.contains(&"exchange-online-non-accepted-domain"),
        "{ids:?}"
    );
    sandbox
        .cmd()
        .args(["kb", "show", "outlook-recipient-rejected-dialog"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("alone, most likely a relay denial")
                .and(predicate::str::contains("Example:"))
                .and(predicate::str::contains("Source: https://")),
        );
    sandbox
        .cmd()
        .args(["kb", "show", "client-auth-off"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Concluded by: s-client-auth-off"));
    sandbox
        .cmd()
        .args(["kb", "show", "s-client-auth-off", "--client", "ios-mail"])
        .assert()
        .success()
        .stdout(predicate::str::contains("in Mail on iPhone and iPad"));
    sandbox
        .cmd()
        .args(["kb", "show", "client-auth-of"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("Did you mean `client-auth-off`?"));
    sandbox
        .cmd()
        .args(["kb", "graph", "--format", "dot"])
        .assert()
        .success()
        .stdout(
            predicate::str::starts_with("digraph relaydoc {")
                .and(predicate::str::contains("\"q-error-kind\" -> \"q-where\"")),
        );
    sandbox
        .cmd()
        .args(["kb", "graph", "--format", "mermaid"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("flowchart LR"));
}

#[test]
fn kb_validate_reports_a_broken_folder_with_exit_2() {
    let sandbox = Sandbox::new();
    let dir = sandbox.home.path().join("mine");
    std::fs::create_dir_all(dir.join("tree")).expect("mkdir");
    std::fs::write(
        dir.join("tree/x.yaml"),
        "nodes:\n  - id: s-x\n    kind: solution\n    cause: nope\n    text: x\n",
    )
    .expect("write");
    sandbox
        .cmd()
        .args(["kb", "validate", dir.to_str().expect("utf-8")])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "tree/x.yaml:4:12: [s-x] unknown cause `nope`",
        ));
}

#[test]
fn kb_validate_warns_of_a_question_without_say_and_still_succeeds() {
    let sandbox = Sandbox::new();
    let dir = sandbox.home.path().join("mine");
    std::fs::create_dir_all(dir.join("tree")).expect("mkdir");
    std::fs::write(
        dir.join("tree/ours.yaml"),
        "nodes:\n  - id: q-other-network\n    kind: question\n    fact: network.other_works\n    text: Other network?\n    choices:\n      - {value: \"yes\", label: Yes, next: s-client-ip-blacklisted}\n    unknown: s-wrong-credentials\n",
    )
    .expect("write");
    sandbox
        .cmd()
        .args(["kb", "validate", dir.to_str().expect("utf-8")])
        .assert()
        .success()
        .stdout(predicate::str::contains("knowledge is sound"))
        .stderr(
            predicate::str::contains("warning: ")
                .and(predicate::str::contains(
                    "tree/ours.yaml:2:9: [q-other-network] this question has no `say`",
                ))
                .and(predicate::str::contains("1 warning(s)")),
        );
    // The bundled knowledge alone has nothing to warn about.
    sandbox
        .cmd()
        .args(["kb", "validate"])
        .assert()
        .success()
        .stderr(predicate::str::contains("warning").not());
}

#[test]
fn kb_show_labels_what_the_agent_says_and_reads() {
    let sandbox = Sandbox::new();
    sandbox
        .cmd()
        .args(["kb", "show", "i-caller-ip"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("Say to the caller:\n  On the same device").and(
                predicate::str::contains("For the agent:\n  relaydoc runs on your machine"),
            ),
        );
    sandbox
        .cmd()
        .args(["kb", "show", "s-client-ip-blacklisted"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("For the agent:")
                .and(predicate::str::contains("Say to the caller:").not()),
        );
    sandbox
        .cmd()
        .args(["kb", "show", "facts"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "session.mode\n    Who is at the keyboard",
        ));
}

#[test]
fn wizard_json_takes_the_agent_route_only_with_session_mode_agent() {
    let sandbox = Sandbox::new();
    let webmail_works = [
        "error.kind=relay",
        "error.where=client",
        "users.affected=one",
        "recipients.scope=all-external",
        "client.smtp_auth=on",
        "account.auth_scheme=smtp-auth",
        "account.recently_changed=no",
        "client.server_owner=email-provider",
        "client.security=starttls",
        "webmail.works=yes",
    ];
    let run = |extra: &[&str]| {
        let mut args = vec!["wizard", "--json"];
        for fact in webmail_works.iter().chain(extra) {
            args.extend(["--fact", fact]);
        }
        sandbox.json(&args)
    };
    let path = |json: &Value| -> Vec<String> {
        json["path"]
            .as_array()
            .expect("path is a list")
            .iter()
            .filter_map(|id| id.as_str().map(String::from))
            .collect()
    };
    let user = run(&[]);
    assert!(
        path(&user).contains(&"c-my-ip-listed".to_string()),
        "{user}"
    );
    assert!(!path(&user).contains(&"i-caller-ip".to_string()), "{user}");

    let agent = run(&["session.mode=agent"]);
    assert!(path(&agent).contains(&"i-caller-ip".to_string()), "{agent}");
    assert!(
        !path(&agent).contains(&"c-my-ip-listed".to_string()),
        "{agent}"
    );
    let missing = agent["missing"].as_array().expect("missing is a list");
    assert!(missing.contains(&Value::from("public.ip")), "{agent}");
    assert!(!missing.contains(&Value::from("session.mode")), "{agent}");

    let listed = run(&[
        "session.mode=agent",
        "public.ip=203.0.113.7",
        "client.ip_blacklisted=yes",
    ]);
    assert_eq!(listed["cause"], "client-ip-blacklisted", "{listed}");
    assert!(path(&listed).contains(&"c-caller-ip-listed".to_string()));
}

#[test]
fn clients_providers_and_settings() {
    let sandbox = Sandbox::new();
    sandbox.cmd().arg("clients").assert().success().stdout(
        predicate::str::contains("outlook-classic-windows")
            .and(predicate::str::contains("thunderbird-android")),
    );
    let clients = sandbox.json(&["clients", "--json"]);
    assert!(clients.as_array().is_some_and(|c| c.len() >= 9));
    sandbox
        .cmd()
        .arg("providers")
        .assert()
        .success()
        .stdout(predicate::str::contains("smtp.gmail.com"));

    let settings = sandbox.json(&["settings", "--email", "someone@gmail.com", "--json"]);
    assert_eq!(settings["provider"], "gmail");
    assert_eq!(settings["source"], "catalogue");
    let outgoing = settings["outgoing"].as_array().expect("outgoing list");
    assert!(
        outgoing.iter().any(|e| e["host"] == "smtp.gmail.com"
            && e["port"] == 587
            && e["security"] == "starttls")
    );
    assert!(
        settings["incoming"]
            .as_array()
            .expect("incoming")
            .iter()
            .all(|e| e["protocol"].is_string())
    );

    let unknown = sandbox.json(&["settings", "--email", "someone@unknown.example", "--json"]);
    assert_eq!(unknown["provider"], Value::Null);

    sandbox
        .cmd()
        .args(["settings", "thunderbird", "--email", "someone@gmail.com"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("smtp.gmail.com")
                .and(predicate::str::contains("{host}").not()),
        );
    sandbox
        .cmd()
        .args(["settings", "thunderbrid"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("Did you mean `thunderbird`?"));
}

#[test]
fn completions_and_man_page() {
    let sandbox = Sandbox::new();
    sandbox
        .cmd()
        .args(["completions", "bash"])
        .assert()
        .success()
        .stdout(predicate::str::contains("relaydoc"));
    sandbox
        .cmd()
        .arg("man")
        .assert()
        .success()
        .stdout(predicate::str::contains(".TH relaydoc"));
}

#[test]
fn user_folder_overlays_bundled_and_knowledge_flag_overlays_both() {
    let sandbox = Sandbox::new();
    let user = sandbox.home.path().join(".config/relaydoc/knowledge/tree");
    std::fs::create_dir_all(&user).expect("mkdir");
    let solution = |title: &str| {
        format!(
            "nodes:\n  - id: s-wrong-server-isp\n    kind: solution\n    cause: wrong-outgoing-server\n    title: {title}\n    text: Use our server.\n"
        )
    };
    std::fs::write(user.join("org.yaml"), solution("Use smtp.user-layer.test")).expect("write");
    let facts = ["kb", "show", "s-wrong-server-isp"];
    sandbox
        .cmd()
        .args(facts)
        .assert()
        .success()
        .stdout(predicate::str::contains("Use smtp.user-layer.test"));

    let flag_dir = sandbox.home.path().join("flag/tree");
    std::fs::create_dir_all(&flag_dir).expect("mkdir");
    std::fs::write(
        flag_dir.join("org.yaml"),
        solution("Use smtp.flag-layer.test"),
    )
    .expect("write");
    sandbox
        .cmd()
        .args([
            "--knowledge",
            sandbox.home.path().join("flag").to_str().expect("utf-8"),
        ])
        .args(facts)
        .assert()
        .success()
        .stdout(predicate::str::contains("Use smtp.flag-layer.test"));
}

#[test]
fn knowledge_text_is_stripped_of_control_sequences() {
    let sandbox = Sandbox::new();
    let dir = sandbox.home.path().join("evil/tree");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(
        dir.join("x.yaml"),
        "nodes:\n  - id: s-wrong-server-isp\n    kind: solution\n    cause: wrong-outgoing-server\n    title: \"Safe\\e]0;pwned\\aTitle\\e[2J\"\n    text: fine\n",
    )
    .expect("write");
    let output = sandbox
        .cmd()
        .args([
            "--knowledge",
            sandbox.home.path().join("evil").to_str().expect("utf-8"),
            "kb",
            "show",
            "s-wrong-server-isp",
        ])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("SafeTitle"), "{stdout}");
    assert!(!stdout.contains('\u{1b}'), "{stdout:?}");
}

/// `settings --email` shows each provider's sign-in rule with its date and source, in text and
/// in JSON (the contract's fields unchanged, `signin` added); `providers --json` carries the
/// same block with each entry's name and domains.
#[test]
fn settings_show_the_sign_in_rules_with_dates_and_sources() {
    let sandbox = Sandbox::new();
    let cases = [
        ("someone@gmail.com", "gmail", "oauth-or-app-password"),
        ("someone@outlook.com", "outlook-com", "oauth-only"),
        ("someone@icloud.com", "icloud", "app-password-only"),
        ("someone@yahoo.com", "yahoo", "oauth-or-app-password"),
        ("someone@gmx.de", "gmx-de", "accepted"),
    ];
    for (email, id, login) in cases {
        let json = sandbox.json(&["settings", "--email", email, "--json"]);
        assert_eq!(json["provider"], id, "{json}");
        assert!(json["outgoing"].as_array().is_some_and(|o| !o.is_empty()));
        let signin = &json["signin"];
        assert_eq!(signin["password_login"], login, "{email}: {signin}");
        assert!(signin["on"].as_str().is_some_and(|on| on.len() == 10));
        let rules = signin["rules"].as_array().expect("rules");
        assert!(!rules.is_empty());
        for rule in rules {
            assert!(
                rule["source"]
                    .as_str()
                    .is_some_and(|s| s.starts_with("http"))
            );
            assert!(rule["method"].is_string() && rule["works"].is_boolean());
        }
    }
    let outlook = sandbox.json(&["settings", "--email", "someone@outlook.com", "--json"]);
    let rules = outlook["signin"]["rules"].as_array().expect("rules");
    assert!(rules.iter().any(|rule| {
        rule["method"] == "password"
            && rule["works"] == false
            && rule["since"] == "2024-09-16"
            && rule["reply"]
                .as_str()
                .is_some_and(|reply| reply.contains("5.7.139"))
    }));
    assert_eq!(outlook["signin"]["works"], serde_json::json!(["oauth2"]));

    sandbox
        .cmd()
        .args(["settings", "--email", "someone@outlook.com"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("no password works")
                .and(predicate::str::contains("since 2024-09-16"))
                .and(predicate::str::contains(
                    "source: https://support.microsoft.com/en-us/office/modern-authentication",
                )),
        );
    sandbox
        .cmd()
        .args(["settings", "--email", "someone@icloud.com"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("where: https://account.apple.com")
                .and(predicate::str::contains("appleid.apple.com").not()),
        );

    let unknown = sandbox.json(&["settings", "--email", "someone@unknown.example", "--json"]);
    assert_eq!(unknown["signin"], Value::Null);

    let providers = sandbox.json(&["providers", "--json"]);
    let gmail = providers
        .as_array()
        .and_then(|rows| rows.iter().find(|row| row["provider"] == "gmail"))
        .expect("gmail listed");
    assert_eq!(gmail["name"], "Gmail (Google)");
    assert!(
        gmail["domains"]
            .as_array()
            .is_some_and(|d| d.contains(&Value::from("gmail.com")))
    );
    assert_eq!(gmail["signin"]["password_login"], "oauth-or-app-password");
    sandbox
        .cmd()
        .arg("providers")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "sign-in: app password or sign-in on the provider's page (OAuth2)",
        ));
}

/// `providers` keeps its columns whatever the names' lengths: every line within the width
/// (80 without a terminal), every outgoing server starting in the same column, and the
/// longest names cut with "…" rather than pushing the columns after them.
#[test]
fn the_providers_table_keeps_its_columns_within_the_width() {
    let sandbox = Sandbox::new();
    let output = sandbox.cmd().arg("providers").output().expect("runs");
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).expect("utf-8");
    let long: Vec<&str> = text.lines().filter(|l| l.chars().count() > 80).collect();
    assert!(long.is_empty(), "{long:#?}");
    let providers = sandbox.json(&["providers", "--json"]);
    let providers = providers.as_array().expect("a list");
    let mut columns = std::collections::BTreeSet::new();
    for provider in providers {
        let Some(host) = provider["outgoing"][0]["host"].as_str() else {
            continue;
        };
        let line = text
            .lines()
            .find(|line| line.contains(&format!(" {host}:")))
            .unwrap_or_else(|| panic!("{host} not in a row:\n{text}"));
        let at = line.find(&format!(" {host}:")).expect("found");
        columns.insert(line[..at].chars().count());
    }
    assert_eq!(
        columns.len(),
        1,
        "servers start in columns {columns:?}:\n{text}"
    );
    assert!(text.contains('…'), "no long name was cut:\n{text}");
}

/// Bad input under `--json`, one command of each family: stdout holds exactly one JSON value
/// of the one error shape, whose `exit_code` is the process's, and the words are on stderr.
#[test]
fn every_command_family_reports_bad_input_as_the_one_json_error_shape() {
    let sandbox = Sandbox::new();
    let broken = sandbox.home.path().join("broken-knowledge");
    std::fs::create_dir_all(broken.join("tree")).expect("dir");
    std::fs::write(
        broken.join("tree/bad.yaml"),
        "nodes:\n  - id: x\n    kind: [\n",
    )
    .expect("write");
    let broken = broken.to_str().expect("utf-8").to_owned();
    let bad_config = sandbox.home.path().join("bad-config.yaml");
    std::fs::write(&bad_config, "sessions: [not, a, map]\n").expect("write");
    let bad_config = bad_config.to_str().expect("utf-8").to_owned();
    let cases: Vec<(Vec<&str>, u8, &str)> = vec![
        (
            vec!["--knowledge", &broken, "kb", "search", "port", "--json"],
            2,
            "knowledge",
        ),
        (
            vec!["explain", "/nonexistent/bounce.eml", "--json"],
            2,
            "input",
        ),
        (
            vec!["postfix", "lint", "/nonexistent/main.cf", "--json"],
            2,
            "input",
        ),
        (
            vec!["logs", "--since", "yesterday-ish", "--json", "-"],
            2,
            "arguments",
        ),
        (
            vec!["--timeout", "-1", "check", "smtp", "127.0.0.1", "--json"],
            2,
            "arguments",
        ),
        (
            vec![
                "--dns-server",
                "not-an-ip",
                "check",
                "mx",
                "example.test",
                "--json",
            ],
            2,
            "arguments",
        ),
        (
            vec!["sessions", "show", "20990101-000000-abcd", "--json"],
            2,
            "sessions",
        ),
        (
            vec!["--config", &bad_config, "config", "show", "--json"],
            2,
            "config",
        ),
        (
            vec!["wizard", "--fact", "client.smtp_auth=maybe", "--json"],
            2,
            "input",
        ),
        (
            vec!["settings", "--email", "no-at-sign", "--json"],
            2,
            "arguments",
        ),
        (
            vec!["providers", "--json", "--no-such-flag"],
            2,
            "arguments",
        ),
    ];
    for (args, code, phase) in cases {
        let output = sandbox.cmd().args(&args).output().expect("runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(i32::from(code)),
            "{args:?}: {stderr}"
        );
        // The whole of stdout is one JSON value: nothing before or after it.
        let json: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
            panic!(
                "{args:?}: stdout is not one JSON value ({error}): {}",
                String::from_utf8_lossy(&output.stdout)
            )
        });
        let keys = |value: &Value| -> Vec<String> {
            let mut keys: Vec<String> = value
                .as_object()
                .map(|map| map.keys().cloned().collect())
                .unwrap_or_default();
            keys.sort();
            keys
        };
        assert_eq!(keys(&json), ["error", "exit_code"], "{args:?}: {json:#}");
        assert_eq!(
            keys(&json["error"]),
            ["kind", "message", "phase", "problems"],
            "{args:?}: {json:#}"
        );
        assert_eq!(json["exit_code"], code, "{args:?}: {json:#}");
        assert_eq!(json["error"]["phase"], phase, "{args:?}: {json:#}");
        assert!(
            json["error"]["kind"]
                .as_str()
                .is_some_and(|k| !k.is_empty()),
            "{args:?}"
        );
        assert!(json["error"]["problems"].is_array(), "{args:?}: {json:#}");
        let message = json["error"]["message"].as_str().expect("a message");
        assert!(!message.is_empty(), "{args:?}: {json:#}");
        // The same words for a person on stderr.
        assert!(
            stderr.contains(message.lines().next().unwrap_or_default()),
            "{args:?}: {stderr}"
        );
    }
}

/// Files that do not load list each problem in `problems`, as they are listed on stderr.
#[test]
fn a_broken_knowledge_folder_lists_its_problems_in_the_json_error() {
    let sandbox = Sandbox::new();
    let broken = sandbox.home.path().join("broken");
    std::fs::create_dir_all(broken.join("tree")).expect("dir");
    std::fs::write(
        broken.join("tree/bad.yaml"),
        "nodes:\n  - id: x\n    kind: [\n",
    )
    .expect("write");
    let output = sandbox
        .cmd()
        .arg("--knowledge")
        .arg(&broken)
        .args(["explain", "--json", "-"])
        .write_stdin("554 5.7.1 Relay access denied")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let json: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(json["error"]["kind"], "invalid", "{json:#}");
    let problems = json["error"]["problems"].as_array().expect("problems");
    assert!(
        problems
            .iter()
            .any(|p| p.as_str().is_some_and(|p| p.contains("bad.yaml"))),
        "{json:#}"
    );
}

/// A reader that closes the pipe before relaydoc writes (`relaydoc kb graph | head -1` when
/// head is quick) is its choice: exit 0, and not a word on stderr.
#[test]
fn a_closed_stdout_ends_quietly_with_success() {
    use std::io::Read as _;
    let sandbox = Sandbox::new();
    for args in [
        &["kb", "graph"][..],
        &["kb", "search", "port", "--json"],
        &["providers"],
        &["man"],
    ] {
        let mut child = common::isolated::relaydoc_std(sandbox.home.path())
            .args(args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("starts");
        // Closed at once: the knowledge loads first, so every write meets a closed pipe.
        drop(child.stdout.take());
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .expect("stderr")
            .read_to_string(&mut stderr)
            .expect("reads stderr");
        let status = child.wait().expect("ends");
        assert_eq!(status.code(), Some(0), "{args:?}: {stderr}");
        assert_eq!(stderr, "", "{args:?}");
    }
}
