//! Sessions driven through the real binary in a pseudo-terminal: an agent's call from the
//! first question to the ticket, `kill -9` at any moment losing nothing that was answered,
//! and a password typed during a live sign-in test (against the lab) that ends up nowhere.

mod common;

use std::path::{Path, PathBuf};

use relaydoc::session::{EventKind, Session};
use rexpect::process::Signal;
use rexpect::session::{PtySession, spawn_command};

const ENTER: &str = "\r";
const DOWN: &str = "\x1b[B";
const UP: &str = "\x1b[A";

/// `relaydoc ARGS` in a pty with everything it reads and writes inside `home`.
fn spawn(home: &Path, args: &[&str]) -> PtySession {
    let mut command = common::isolated::relaydoc_std(home);
    command.args(args).env("TERM", "xterm-256color");
    spawn_command(command, Some(30_000)).expect("spawn in a pty")
}

fn key(session: &mut PtySession, key: &str) {
    session.send(key).expect("send key");
    session.flush().expect("flush");
}

/// Agent mode ends with "Before you close the call:" (notes, email); Esc is done.
fn close_the_call(session: &mut PtySession) {
    expect(session, "Before you close the call:", "the wrap-up");
    key(session, "\x1b");
}

fn type_line(session: &mut PtySession, text: &str) {
    session.send(text).expect("type");
    key(session, ENTER);
}

fn expect(session: &mut PtySession, text: &str, what: &str) -> String {
    session
        .exp_string(text)
        .unwrap_or_else(|error| panic!("{what}: expected `{text}`: {error}"))
}

fn sessions_dir(home: &Path) -> PathBuf {
    home.join(".local/share/relaydoc/sessions")
}

/// Every session file in the folder, each of which must be a whole session; the only other
/// files allowed are the temporary files of an interrupted write.
fn saved_sessions(home: &Path) -> Vec<Session> {
    let dir = sessions_dir(home);
    let mut sessions = Vec::new();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return sessions;
    };
    for entry in entries {
        let entry = entry.expect("dir entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".json") && !name.starts_with('.') {
            let text = std::fs::read_to_string(entry.path()).expect("readable");
            let session: Session = serde_json::from_str(&text)
                .unwrap_or_else(|error| panic!("{name} is not a whole session ({error}):\n{text}"));
            assert_eq!(format!("{}.json", session.id), name);
            sessions.push(session);
        } else {
            assert!(
                name.starts_with('.') && name.ends_with(".tmp"),
                "unexpected file in the sessions folder: {name}"
            );
        }
    }
    sessions.sort_by_key(|session| session.started);
    sessions
}

/// The answers of a session as (node, what was answered), in order.
fn answers(session: &Session) -> Vec<(String, String)> {
    session
        .events
        .iter()
        .filter_map(|event| match &event.what {
            EventKind::Answer { node, answer, .. } => Some((node.clone(), answer.clone())),
            _ => None,
        })
        .collect()
}

fn nodes(answers: &[(String, String)]) -> Vec<&str> {
    answers.iter().map(|(node, _)| node.as_str()).collect()
}

fn kill(session: &mut PtySession) {
    session
        .process_mut()
        .kill(Signal::SIGKILL)
        .expect("kill -9");
}

fn relaydoc(home: &Path, args: &[&str]) -> std::process::Output {
    common::isolated::relaydoc(home)
        .args(args)
        .output()
        .expect("relaydoc runs")
}

/// The questions of the client path, in order, as the plain prompts ask them.
const ERROR_KIND: &str = "What does the error message say?";
const WHERE: &str = "Where did you see the error?";
const SENDER: &str = "What is sending";
const CLIENT: &str = "Which mail program";
const EMAIL: &str = "What is your email address?";
const USERS: &str = "only to you, or to everyone";
const RECIPIENTS: &str = "Which messages fail?";
const SMTP_AUTH: &str = "sign in to the server it sends";

fn skip_the_paste(s: &mut PtySession) {
    expect(s, "empty line", "the error text is asked first");
    key(s, ENTER);
}

/// Killed with SIGKILL right after an answer, at a prompt, and during a resume: every file
/// left is a whole session holding every answer acknowledged before the kill; the resumed
/// run goes on at the next question, and the finished call is one session with everything.
#[test]
fn kill_9_at_any_point_loses_no_acknowledged_answer() {
    let home = tempfile::tempdir().expect("temp home");
    let args = ["wizard", "--plain", "--agent", "--caller", "Kill Test"];

    // 1. Killed right after the second answer was sent, before it was acknowledged.
    let mut s = spawn(home.path(), &args);
    skip_the_paste(&mut s);
    expect(&mut s, ERROR_KIND, "first question");
    key(&mut s, ENTER); // relay
    kill(&mut s);
    let saved = saved_sessions(home.path());
    assert_eq!(saved.len(), 1, "{saved:#?}");
    let got = answers(&saved[0]);
    assert_eq!(
        got[0].0, "start",
        "the acknowledged answer is there: {got:?}"
    );
    assert!(got.len() <= 2, "{got:?}");
    let relay_saved = got.len() == 2;

    // 2. Resumed at the next unanswered question; killed at a prompt after two answers.
    let mut s = spawn(home.path(), &["sessions", "resume", "last", "--plain"]);
    expect(&mut s, "Picked up session", "resume says so");
    if !relay_saved {
        expect(&mut s, ERROR_KIND, "asked again: its answer was not saved");
        key(&mut s, ENTER);
    }
    expect(&mut s, WHERE, "the next unanswered question");
    key(&mut s, ENTER); // a pop-up in the mail program
    expect(&mut s, SENDER, "what is sending");
    key(&mut s, ENTER); // a mail program
    expect(&mut s, CLIENT, "client");
    key(&mut s, ENTER); // the first client
    expect(&mut s, EMAIL, "email");
    kill(&mut s);
    let saved = saved_sessions(home.path());
    assert_eq!(saved.len(), 1, "still one session: {saved:#?}");
    let got = answers(&saved[0]);
    assert_eq!(
        nodes(&got),
        [
            "start",
            "q-error-kind",
            "q-where",
            "q-sender-kind",
            "q-client"
        ],
        "every acknowledged answer: {got:?}"
    );

    // 3. Killed while the resume itself is starting (before any question is drawn).
    let mut s = spawn(home.path(), &["sessions", "resume", "last", "--plain"]);
    kill(&mut s);
    let saved = saved_sessions(home.path());
    assert_eq!(saved.len(), 1);
    assert_eq!(answers(&saved[0]), got, "a resume adds no answer");

    // 4. Resumed again and finished.
    let mut s = spawn(home.path(), &["sessions", "resume", "last", "--plain"]);
    expect(&mut s, EMAIL, "continues at the address");
    type_line(&mut s, "kill.test@gmail.com");
    expect(&mut s, USERS, "users");
    key(&mut s, ENTER);
    expect(&mut s, RECIPIENTS, "recipients");
    key(&mut s, ENTER);
    expect(&mut s, SMTP_AUTH, "smtp auth");
    key(&mut s, DOWN);
    key(&mut s, ENTER); // turned off
    close_the_call(&mut s);
    expect(&mut s, "Saved as session", "finished");
    s.exp_eof().expect("exits");

    let saved = saved_sessions(home.path());
    assert_eq!(saved.len(), 1, "one session for the whole call: {saved:#?}");
    let session = &saved[0];
    assert!(session.status.finished);
    assert_eq!(session.status.cause.as_deref(), Some("client-auth-off"));
    assert_eq!(
        nodes(&answers(session)),
        [
            "start",
            "q-error-kind",
            "q-where",
            "q-sender-kind",
            "q-client",
            "i-email",
            "q-users",
            "q-recipients",
            "q-smtp-auth"
        ]
    );
    let resumes = session
        .events
        .iter()
        .filter(|event| matches!(event.what, EventKind::Resumed { .. }))
        .count();
    // The third start may have been killed before it saved its resume.
    assert!((2..=3).contains(&resumes), "{:#?}", session.events);
    assert_eq!(session.caller.as_deref(), Some("Kill Test"));

    let list = relaydoc(home.path(), &["sessions", "list", "--json"]);
    assert!(list.status.success());
    assert!(
        list.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&list.stderr)
    );
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&list.stdout).expect("JSON");
    assert_eq!(rows.len(), 1, "leftover temporary files are not sessions");
}

/// Killed at random moments around a save, many times: never a half-written session.
#[test]
fn kill_9_during_a_save_never_leaves_a_broken_file() {
    let home = tempfile::tempdir().expect("temp home");
    let rounds = 8;
    for round in 0..rounds {
        let mut s = spawn(
            home.path(),
            &["wizard", "--plain", "--agent", "--caller", "x"],
        );
        skip_the_paste(&mut s);
        expect(&mut s, ERROR_KIND, "first question");
        key(&mut s, ENTER);
        // From at once to a few milliseconds: somewhere in the write, the fsyncs, the rename.
        std::thread::sleep(std::time::Duration::from_micros(round * 700));
        kill(&mut s);
        let saved = saved_sessions(home.path());
        assert_eq!(saved.len(), round as usize + 1);
        for session in &saved {
            let got = answers(session);
            assert!(
                got.first().is_some_and(|(node, _)| node == "start"),
                "{got:?}"
            );
        }
    }
    let list = relaydoc(home.path(), &["sessions", "list"]);
    assert!(list.status.success());
    assert!(
        list.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&list.stderr)
    );
    let stdout = String::from_utf8_lossy(&list.stdout);
    assert_eq!(stdout.lines().count(), rounds as usize + 1, "{stdout}");
}

/// An SMTP server that accepts connections and never says a word, on 127.0.0.1: a sign-in
/// test against it hangs until its timeout. Reports each connection on the channel.
fn stalling_server() -> (u16, std::sync::mpsc::Receiver<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let port = listener.local_addr().expect("address").port();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
            if tx.send(()).is_err() {
                break;
            }
        }
    });
    (port, rx)
}

/// Killed while the sign-in test runs: the password was never saved, so the resumed run
/// does not run the test again (with what?) but asks for the password; the server sees one
/// connection per password typed, and neither password is in the file.
#[test]
fn resume_after_a_kill_during_the_sign_in_test_asks_for_the_password_again() {
    let (port, connections) = stalling_server();
    let home = tempfile::tempdir().expect("temp home");
    let providers = home.path().join(".config/relaydoc/knowledge/providers");
    std::fs::create_dir_all(&providers).expect("mkdir");
    std::fs::write(
        providers.join("stall.yaml"),
        format!(
            "id: stall\nname: A server that never answers\ndomains: [stall.test]\n\
             username: full-address\noutgoing:\n  - {{host: 127.0.0.1, port: {port}, \
             security: starttls, auth: password}}\n"
        ),
    )
    .expect("write");
    let facts = [
        "error.text=unknown",
        "error.kind=relay",
        "error.where=client",
        "client.id=thunderbird",
        "account.email=someone@stall.test",
        "users.affected=one",
        "recipients.scope=all-external",
        "client.smtp_auth=on",
    ];
    let mut args = vec![
        "--timeout",
        "30",
        "wizard",
        "--plain",
        "--agent",
        "--caller",
        "x",
    ];
    for fact in &facts {
        args.extend(["--fact", fact]);
    }
    let mut s = spawn(home.path(), &args);
    expect(
        &mut s,
        "type your email password",
        "straight to the sign-in test",
    );
    type_line(&mut s, "First-Typed-pw-1");
    expect(
        &mut s,
        "Signing in to the outgoing server",
        "the check runs",
    );
    connections
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("the sign-in test connects");
    kill(&mut s);
    let saved = saved_sessions(home.path());
    assert_eq!(saved[0].status.node, "c-login", "killed during the check");

    let mut s = spawn(
        home.path(),
        &["--timeout", "1", "sessions", "resume", "last", "--plain"],
    );
    expect(&mut s, "Picked up session", "resumed");
    expect(
        &mut s,
        "type your email password",
        "the password is asked again",
    );
    assert!(
        connections.try_recv().is_err(),
        "the check ran again without the password"
    );
    type_line(&mut s, "Second-Typed-pw-2");
    expect(
        &mut s,
        "Signing in to the outgoing server",
        "the check runs again",
    );
    connections
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("with the new password");
    expect(
        &mut s,
        // The provider's published settings already say how it wants sign-in, so that
        // question is skipped.
        "Did anything change shortly before this started",
        "the check timed out and the questions go on",
    );
    s.send_control('c').expect("ctrl-c");
    s.exp_eof().expect("exits");

    let saved = saved_sessions(home.path());
    let kinds: Vec<String> = saved[0]
        .events
        .iter()
        .map(|event| match &event.what {
            EventKind::Answer { node, secret, .. } => format!("answer {node} secret={secret}"),
            EventKind::Back { node } => format!("back {node}"),
            EventKind::Check { node, .. } => format!("check {node}"),
            EventKind::Resumed { .. } => "resumed".into(),
            EventKind::Quit { node } => format!("quit {node}"),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "answer i-password secret=true",
            "resumed",
            "back c-login",
            "answer i-password secret=true",
            "check c-login",
            "quit q-recently-changed",
        ]
    );
    assert_eq!(saved[0].status.node, "q-recently-changed");
    let file =
        std::fs::read_to_string(sessions_dir(home.path()).join(format!("{}.json", saved[0].id)))
            .expect("file");
    for password in ["First-Typed-pw-1", "Second-Typed-pw-2"] {
        assert!(!file.contains(password), "{file}");
    }
}

/// The helpdesk's call: what to say, notes both ways, the solution with the caller's steps
/// and the internal summary; then the ticket.
#[test]
fn an_agent_call_from_first_question_to_ticket() {
    let home = tempfile::tempdir().expect("temp home");
    let mut s = spawn(
        home.path(),
        &["wizard", "--plain", "--agent", "--caller", "Test Caller"],
    );
    expect(&mut s, "helpdesk mode", "agent mode says so");
    expect(&mut s, "Say to the caller:", "a script for the first step");
    skip_the_paste(&mut s);
    let before = expect(&mut s, ERROR_KIND, "first question");
    assert!(before.contains("Say to the caller:"), "{before}");
    assert!(before.contains("For you (not to read out):"), "{before}");
    // The agent's note stands in for the end-user "why we ask" text: one explanation.
    assert!(
        !before.contains("Mail servers word the same refusal"),
        "{before}"
    );
    expect(&mut s, "Add a note for the ticket", "the note choice");
    key(&mut s, UP); // wraps to the last choice: the note
    key(&mut s, ENTER);
    expect(&mut s, "Note for the ticket:", "asks for the note");
    type_line(&mut s, "Caller | is *on* a train");
    expect(&mut s, "(note kept)", "kept");
    expect(&mut s, ERROR_KIND, "the same question again");
    key(&mut s, ENTER); // relay
    expect(&mut s, WHERE, "where");
    key(&mut s, ENTER);
    expect(&mut s, SENDER, "what is sending");
    key(&mut s, ENTER); // a mail program
    expect(&mut s, CLIENT, "client");
    key(&mut s, DOWN); // Apple Mail, after Airmail
    key(&mut s, ENTER);
    expect(&mut s, EMAIL, "email");
    expect(&mut s, "/note TEXT adds a note", "the hint says how");
    type_line(&mut s, "/note");
    expect(&mut s, "(nothing noted", "a bare /note keeps nothing");
    expect(&mut s, EMAIL, "and is not the address");
    type_line(&mut s, "/note spells the address slowly");
    expect(&mut s, "(note kept)", "kept");
    expect(&mut s, EMAIL, "the address is asked again");
    type_line(&mut s, "test.caller@gmail.com");
    expect(&mut s, USERS, "users");
    key(&mut s, ENTER);
    expect(&mut s, RECIPIENTS, "recipients");
    key(&mut s, ENTER);
    expect(&mut s, SMTP_AUTH, "smtp auth");
    key(&mut s, DOWN);
    key(&mut s, ENTER); // off
    expect(&mut s, "Steps for the caller (", "the caller's steps");
    expect(&mut s, "smtp.gmail.com", "with the provider's settings");
    expect(&mut s, "For you (internal summary):", "the summary");
    expect(&mut s, "client-auth-off", "the cause");
    expect(&mut s, "Notes: 2", "the notes counted");
    close_the_call(&mut s);
    expect(&mut s, "Saved as session", "saved");
    s.exp_eof().expect("exits");

    let saved = saved_sessions(home.path());
    assert_eq!(saved.len(), 1);
    let session = &saved[0];
    let notes: Vec<&str> = session.notes().map(|(_, text)| text).collect();
    assert_eq!(
        notes,
        ["Caller | is *on* a train", "spells the address slowly"]
    );

    let show = relaydoc(home.path(), &["sessions", "show", "last"]);
    assert!(show.status.success());
    let md = String::from_utf8_lossy(&show.stdout);
    for wanted in [
        "| Customer | Test Caller |",
        "| Customer address | test.caller@gmail.com |",
        "Helpdesk call",
        "What does the error message say?",
        "→ **A pop-up in my mail program",
        "test.caller@gmail.com",
        "## Internal notes",
        "Caller \\| is \\*on\\* a train",
        "spells the address slowly",
        "client-auth-off",
        "## Cause",
        "## Steps for the customer (Mail on Mac (Apple Mail))",
        "smtp.gmail.com",
    ] {
        assert!(md.contains(wanted), "`{wanted}` missing from:\n{md}");
    }
    // Each note with the time it was made.
    let time = regex::Regex::new(r"(?m)^- `\d\d:\d\d:\d\d` \(at: [^)]+\) .*train").expect("re");
    assert!(time.is_match(&md), "{md}");

    let export = relaydoc(
        home.path(),
        &["sessions", "export", "last", "--format", "json"],
    );
    assert!(export.status.success());
    let json: serde_json::Value = serde_json::from_slice(&export.stdout).expect("JSON export");
    let kinds: Vec<&str> = json["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|event| event["kind"].as_str())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "answer").count(),
        9, // "what is sending" included
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| **k == "note").count(),
        2,
        "{kinds:?}"
    );
    assert_eq!(kinds.last(), Some(&"finished"), "{kinds:?}");
    assert_eq!(json["caller"], "Test Caller");
    assert_eq!(json["status"]["cause"], "client-auth-off");
}

/// End users see neither the agent's script nor the note choice.
#[test]
fn user_mode_has_no_script_and_no_notes() {
    let home = tempfile::tempdir().expect("temp home");
    let mut s = spawn(home.path(), &["wizard", "--plain"]);
    skip_the_paste(&mut s);
    key(&mut s, ENTER); // relay
    key(&mut s, ENTER); // client
    expect(&mut s, SENDER, "what is sending");
    key(&mut s, ENTER); // a mail program
    let shown = expect(&mut s, CLIENT, "client question");
    key(&mut s, ENTER);
    let shown = shown + &expect(&mut s, EMAIL, "email");
    // End users get the "why we ask" text the agent sees only without a note of its own.
    assert!(
        shown.contains("The steps at the end are written for your program"),
        "{shown}"
    );
    for agent_only in [
        "Say to the caller",
        "For you (not to read out)",
        "Add a note",
        "/note",
    ] {
        assert!(
            !shown.contains(agent_only),
            "`{agent_only}` in user mode:\n{shown}"
        );
    }
    s.send_control('c').expect("ctrl-c");
    expect(&mut s, "sessions resume", "says how to continue");
    s.exp_eof().expect("exits");
    let saved = saved_sessions(home.path());
    assert_eq!(saved.len(), 1);
    assert_eq!(saved[0].mode, relaydoc::session::Mode::User);
    assert_eq!(saved[0].status.node, "i-email", "stopped at the address");
}

#[test]
fn ctrl_c_in_the_note_prompt_quits() {
    let home = tempfile::tempdir().expect("temp home");
    let mut s = spawn(
        home.path(),
        &["wizard", "--plain", "--agent", "--caller", "x"],
    );
    skip_the_paste(&mut s);
    expect(&mut s, ERROR_KIND, "first question");
    key(&mut s, UP);
    key(&mut s, ENTER);
    expect(&mut s, "Note for the ticket:", "note prompt");
    s.send("half a no").expect("type");
    s.send_control('c').expect("ctrl-c");
    expect(&mut s, "Stopped. Continue later", "quits like every prompt");
    s.exp_eof().expect("exits");
    let saved = saved_sessions(home.path());
    assert_eq!(saved[0].status.node, "q-error-kind");
    assert_eq!(saved[0].notes().count(), 0);
}

#[test]
fn no_save_leaves_no_file() {
    let home = tempfile::tempdir().expect("temp home");
    let mut s = spawn(
        home.path(),
        &[
            "wizard",
            "--plain",
            "--agent",
            "--caller",
            "Nobody",
            "--no-save",
        ],
    );
    skip_the_paste(&mut s);
    expect(&mut s, ERROR_KIND, "first question");
    key(&mut s, UP);
    key(&mut s, ENTER);
    type_line(&mut s, "a note that goes nowhere");
    expect(&mut s, "(note kept)", "kept for the summary");
    key(&mut s, DOWN);
    key(&mut s, ENTER); // auth failed: not a relay denial, finished
    expect(&mut s, "For you (internal summary):", "the summary");
    close_the_call(&mut s);
    s.exp_eof().expect("exits");
    let files: Vec<_> = walk(home.path());
    assert!(files.is_empty(), "--no-save wrote {files:?}");
}

/// Every file below `dir`, recursively.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(dir) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            match entry.file_type() {
                Ok(kind) if kind.is_dir() => todo.push(path),
                Ok(_) => files.push(path),
                Err(_) => {}
            }
        }
    }
    files
}

/// A whole agent call with the sign-in test run against the lab, a canary password typed
/// into the password input and into notes: afterwards it is in no file under HOME and in
/// nothing `sessions show/export/list/stats` print — nor is its base64 (AUTH PLAIN/LOGIN).
#[test]
fn a_canary_password_is_nowhere_after_an_agent_call_with_the_sign_in_test() {
    let test = "a_canary_password_is_nowhere_after_an_agent_call_with_the_sign_in_test";
    let Some(lab) = common::lab::mail_lab(test) else {
        return;
    };
    let canary = format!(
        "Canary-{:016x}-pw",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("time")
            .as_nanos() as u64
            ^ u64::from(std::process::id()).rotate_left(32)
    );
    let home = tempfile::tempdir().expect("temp home");
    // The lab's submission port as the provider for example.test, in the user's own
    // knowledge folder (what an organisation would do for its own server).
    let providers = home.path().join(".config/relaydoc/knowledge/providers");
    std::fs::create_dir_all(&providers).expect("mkdir");
    std::fs::write(
        providers.join("lab.yaml"),
        "id: lab\nname: The test lab\ndomains: [example.test]\nusername: full-address\n\
         outgoing:\n  - {host: 127.0.0.1, port: 2587, security: starttls, auth: password}\n",
    )
    .expect("write");
    let ca = lab.ca_file();
    let ca = ca.to_str().expect("utf-8 path");
    let mut s = spawn(
        home.path(),
        &[
            "--dns-server",
            "127.0.0.1:5353",
            "--timeout",
            "30",
            "wizard",
            "--plain",
            "--agent",
            "--caller",
            "Canary Caller",
            "--ca-file",
            ca,
            "--fact",
            "error.text=unknown",
            "--fact",
            "error.kind=relay",
            "--fact",
            "error.where=client",
            "--fact",
            "client.id=thunderbird",
        ],
    );
    expect(&mut s, EMAIL, "the prefilled facts skip to the address");
    // Notes before the password is typed: the recorder cannot know yet that it is one.
    type_line(
        &mut s,
        &format!("/note caller reads out her password: {canary}"),
    );
    expect(&mut s, "(note kept)", "kept");
    expect(&mut s, EMAIL, "asked again");
    type_line(&mut s, "alice@example.test");
    expect(&mut s, USERS, "users");
    key(&mut s, UP);
    key(&mut s, ENTER);
    expect(&mut s, "Note for the ticket:", "note prompt");
    type_line(&mut s, &format!("she spelled {canary} twice"));
    expect(&mut s, "(note kept)", "kept");
    expect(&mut s, USERS, "users again");
    key(&mut s, ENTER); // only me
    expect(&mut s, RECIPIENTS, "recipients");
    key(&mut s, ENTER);
    expect(&mut s, SMTP_AUTH, "smtp auth");
    key(&mut s, ENTER); // on
    expect(&mut s, "type your email password", "the sign-in test asks");
    type_line(&mut s, &canary);
    expect(
        &mut s,
        "Signing in to the outgoing server",
        "the check runs",
    );
    expect(&mut s, "For you (internal summary):", "the run ends");
    expect(
        &mut s,
        "server.auth_works = no",
        "the lab refused the canary",
    );
    close_the_call(&mut s);
    expect(&mut s, "Saved as session", "saved");
    s.exp_eof().expect("exits");

    let session = &saved_sessions(home.path())[0];
    assert_eq!(session.status.node, "s-wrong-credentials", "{session:#?}");
    assert!(
        session.events.iter().any(|event| matches!(
            &event.what,
            EventKind::Check { check, ran: true, .. } if check == "auth"
        )),
        "the sign-in test ran: {:#?}",
        session.events
    );
    let notes: Vec<&str> = session.notes().map(|(_, text)| text).collect();
    assert_eq!(
        notes,
        [
            "caller reads out her password: [password removed]",
            "she spelled [password removed] twice"
        ]
    );

    // Everything the sessions commands print, and the exports written to files.
    let mut printed = Vec::new();
    let ticket_md = home.path().join("ticket.md");
    let ticket_json = home.path().join("exports/ticket.json");
    std::fs::create_dir_all(home.path().join("exports")).expect("mkdir");
    let commands: Vec<Vec<&str>> = vec![
        vec!["sessions", "list"],
        vec!["sessions", "list", "--json"],
        vec!["sessions", "show", "last"],
        vec!["sessions", "show", "last", "--json"],
        vec!["sessions", "export", "last", "--format", "md"],
        vec!["sessions", "export", "last", "--format", "json"],
        vec![
            "sessions",
            "export",
            "last",
            "--format",
            "md",
            "-o",
            ticket_md.to_str().expect("utf-8"),
        ],
        vec![
            "sessions",
            "export",
            "last",
            "--format",
            "json",
            "-o",
            ticket_json.to_str().expect("utf-8"),
        ],
        vec!["sessions", "stats"],
        vec!["sessions", "stats", "--json"],
    ];
    for args in &commands {
        let output = relaydoc(home.path(), args);
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        printed.push((format!("{args:?} stdout"), output.stdout));
        printed.push((format!("{args:?} stderr"), output.stderr));
    }
    assert!(ticket_md.is_file() && ticket_json.is_file());
    let md = std::fs::read_to_string(&ticket_md).expect("ticket");
    // Notes are escaped for Markdown: `\[password removed\]`.
    assert_eq!(md.matches("password removed").count(), 2, "{md}");

    let files = walk(home.path());
    assert!(files.len() >= 4, "{files:?}");
    for file in &files {
        printed.push((
            file.display().to_string(),
            std::fs::read(file).expect("readable"),
        ));
    }
    let needles = canary_forms(&canary);
    for (what, bytes) in &printed {
        for needle in &needles {
            assert!(
                !contains(bytes, needle.as_bytes()),
                "the password (as `{needle}`) is in {what}:\n{}",
                String::from_utf8_lossy(bytes)
            );
        }
    }
}

/// The canary as typed, and as it would go over the wire in AUTH PLAIN and AUTH LOGIN.
fn canary_forms(canary: &str) -> Vec<String> {
    use base64::Engine as _;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    vec![
        canary.to_string(),
        b64(canary.as_bytes()),
        b64(format!("\0alice@example.test\0{canary}").as_bytes()),
        b64(format!("alice@example.test\0alice@example.test\0{canary}").as_bytes()),
    ]
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}
