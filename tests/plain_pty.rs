//! The plain wizard in a real pseudo-terminal: a person's keystrokes through a whole path,
//! including Esc to go back, and Ctrl-C to quit.

mod common;

use rexpect::session::{PtySession, spawn_command};

const ENTER: &str = "\r";
const DOWN: &str = "\x1b[B";
const ESC: &str = "\x1b";

fn spawn(home: &std::path::Path) -> PtySession {
    let mut command = common::isolated::relaydoc_std(home);
    command
        .args(["wizard", "--plain"])
        .env("TERM", "xterm-256color");
    spawn_command(command, Some(20_000)).expect("spawn in a pty")
}

/// One line of typed or pasted text at the paste prompt (which reads whole lines).
fn line(session: &mut PtySession, text: &str) {
    session.send_line(text).expect("send line");
    session.flush().expect("flush");
}

/// The first prompt asks for the error text; an empty line skips it.
fn skip_the_paste(session: &mut PtySession) {
    session
        .exp_string("paste it here")
        .expect("asks for the error first");
    session
        .exp_string("empty line")
        .expect("says how to finish");
    line(session, "");
}

fn key(session: &mut PtySession, key: &str) {
    session.send(key).expect("send key");
    session.flush().expect("flush");
}

#[test]
fn a_full_path_with_back_ends_in_the_solution_for_the_chosen_client() {
    let home = tempfile::tempdir().expect("temp dir");
    let mut s = spawn(home.path());
    skip_the_paste(&mut s);
    // "Why we ask" comes under the title of the question it explains, before its prompt.
    let before = s
        .exp_string("What does the error message say?")
        .expect("first question");
    let title = before
        .rfind("What the message says")
        .expect("the question's title");
    let why = before.rfind("Why we ask:").expect("why we ask");
    assert!(title < why, "why we ask follows its title: {before:?}");
    key(&mut s, ENTER); // Relay access denied
    s.exp_string("Where did you see the error?").expect("where");
    key(&mut s, ENTER); // a pop-up in my mail program
    s.exp_string("What is sending").expect("sender kind");
    key(&mut s, ENTER); // a mail program on a computer
    s.exp_string("Which mail program").expect("client");
    key(&mut s, DOWN); // the second program in the list (after Airmail): Apple Mail
    key(&mut s, ENTER);
    s.exp_string("What is your email address?").expect("email");
    s.send("me@gmail.com").expect("type");
    key(&mut s, ENTER);
    s.exp_string("only to you, or to everyone").expect("users");
    key(&mut s, ENTER); // only me
    s.exp_string("Which messages fail?").expect("recipients");
    key(&mut s, ENTER); // all external
    s.exp_string("sign in to the server it sends")
        .expect("smtp auth question");
    key(&mut s, ESC); // back
    s.exp_string("Which messages fail?")
        .expect("back at the previous question");
    key(&mut s, ENTER);
    s.exp_string("sign in to the server it sends")
        .expect("smtp auth question again");
    key(&mut s, DOWN);
    key(&mut s, ENTER); // turned off
    s.exp_string("Turn on sign-in for the outgoing server")
        .expect("solution");
    s.exp_string("in Mail on Mac (Apple Mail)")
        .expect("steps for the chosen client");
    s.exp_string("smtp.gmail.com")
        .expect("provider settings filled in");
    s.exp_eof().expect("exits");
}

#[test]
fn ctrl_c_quits_cleanly() {
    let home = tempfile::tempdir().expect("temp dir");
    let mut s = spawn(home.path());
    skip_the_paste(&mut s);
    s.exp_string("What does the error message say?")
        .expect("first question");
    s.send_control('c').expect("ctrl-c");
    s.exp_string("Stopped.").expect("says it stopped");
    s.exp_eof().expect("exits");
}

#[test]
fn a_pasted_error_skips_what_it_answers() {
    let home = tempfile::tempdir().expect("temp dir");
    let mut s = spawn(home.path());
    s.exp_string("empty line")
        .expect("asks for the error first");
    // Thunderbird's dialog, as a person would copy it.
    line(&mut s, "Sending of the message failed.");
    line(
        &mut s,
        "An error occurred while sending mail. The mail server responded: 554 5.7.1 \
         <friend@example.org>: Relay access denied. Please check the message recipient \
         \"friend@example.org\" and try again.",
    );
    line(&mut s, "");
    s.exp_string("Reading the error message")
        .expect("explains it");
    // Then says in a line what it found.
    let found = s.exp_string("\n").expect("a line");
    let found = s
        .exp_string("\n")
        .map(|line| found + &line)
        .expect("the finding");
    assert!(
        found.to_lowercase().contains("relay denial"),
        "says what it read: {found:?}"
    );
    // What it says, where it appeared and the program (Thunderbird's own words) come from
    // the paste: next is the address, and the program is never asked.
    let before = s
        .exp_string("What is your email address")
        .expect("skips to the address");
    assert!(
        !before.contains("Which mail program"),
        "asked for the program the paste names: {before:?}"
    );
    s.send_control('c').expect("ctrl-c");
    s.exp_eof().expect("exits");
}

#[test]
fn no_color_means_no_colour_codes() {
    let home = tempfile::tempdir().expect("temp dir");
    let mut s = spawn(home.path());
    skip_the_paste(&mut s);
    let (before, _) = s
        .exp_regex("I don't know / I don't have the message any more")
        .expect("the choices");
    // Cursor movement is fine; SGR colour sequences (ESC [ … m) are not.
    let colour = regex::Regex::new(r"\x1b\[[0-9;]*m").expect("regex");
    assert!(
        !colour.is_match(&before),
        "colour codes despite NO_COLOR: {before:?}"
    );
    s.send_control('c').expect("ctrl-c");
    s.exp_eof().expect("exits");
}

#[test]
fn the_password_from_relaydoc_password_answers_the_sign_in_test() {
    const PASSWORD: &str = "Env-Canary-pw-4d1e";
    let home = tempfile::tempdir().expect("temp dir");
    let mut command = common::isolated::relaydoc_std(home.path());
    command
        .args(["wizard", "--plain", "--no-save"])
        .env("TERM", "xterm-256color")
        .env("RELAYDOC_PASSWORD", PASSWORD);
    let mut s = spawn_command(command, Some(20_000)).expect("spawn in a pty");
    let mut seen = String::new();
    skip_the_paste(&mut s);
    seen += &s
        .exp_string("What does the error message say?")
        .expect("first");
    key(&mut s, ENTER);
    seen += &s.exp_string("Where did you see the error?").expect("where");
    key(&mut s, ENTER);
    seen += &s.exp_string("What is sending").expect("sender kind");
    key(&mut s, ENTER); // a mail program on a computer
    seen += &s.exp_string("Which mail program").expect("client");
    key(&mut s, ENTER);
    seen += &s.exp_string("What is your email address?").expect("email");
    // A domain no provider in the catalogue serves: the sign-in test has no server to try,
    // so nothing is contacted.
    s.send("me@own-domain.test").expect("type");
    key(&mut s, ENTER);
    // The steps need that provider's server: asked for, and skipped here.
    seen += &s
        .exp_string("Your provider's server for sending")
        .expect("server");
    key(&mut s, ENTER);
    seen += &s.exp_string("only to you, or to everyone").expect("users");
    key(&mut s, ENTER);
    seen += &s.exp_string("Which messages fail?").expect("recipients");
    key(&mut s, ENTER);
    seen += &s
        .exp_string("sign in to the server it sends")
        .expect("auth");
    key(&mut s, ENTER); // turned on
    seen += &s
        .exp_string("(using the password from RELAYDOC_PASSWORD)")
        .expect("the password is taken from the environment, not asked for");
    seen += &s.exp_string("Signing in").expect("the sign-in test runs");
    key(&mut s, "\x03");
    seen += &s.exp_eof().expect("exits");
    assert!(!seen.contains(PASSWORD), "the password was shown: {seen}");
}

/// The stories of issue 11 (tests/fixtures/stories.yaml) typed into the plain wizard as a
/// person would: the paste, then each question answered (by arrow keys) as the story says or
/// "I don't know". Where the run stands is read from the session it saves after every step;
/// the run must end at the story's cause, as `wizard --json` does (tests/stories.rs).
#[test]
fn the_stories_of_issue_11_end_at_their_cause_in_plain_mode() {
    use common::stories::{self, Answer};
    let kb = relaydoc::knowledge::bundled().expect("bundled knowledge");
    for story in stories::all() {
        let home = tempfile::tempdir().expect("temp dir");
        let sessions = home.path().join(".local/share/relaydoc/sessions");
        let mut command = common::isolated::relaydoc_std(home.path());
        command
            .args(["wizard", "--plain"])
            .args(stories::fact_args(&story))
            // Any check the run meets asks only the loopback (nothing listens on port 9).
            .args(["--dns-server", "127.0.0.1:9"])
            .env("TERM", "xterm-256color");
        let mut s = spawn_command(command, Some(20_000)).expect("spawn in a pty");
        s.exp_string("empty line")
            .expect("asks for the error first");
        if let Some(paste) = &story.paste {
            line(&mut s, paste);
        }
        line(&mut s, "");
        // Every question's first words, to tell from the screen which one is asked.
        let prompts: Vec<(String, usize)> = (0..kb.nodes.len())
            .filter_map(|id| {
                let node = kb.node(id);
                stories::fact_of(&kb, &node.id)?;
                // ASCII only: rexpect reads the bytes as Latin-1.
                let prefix: String = node
                    .text
                    .chars()
                    .take_while(char::is_ascii)
                    .take(40)
                    .collect();
                Some((prefix, id))
            })
            .collect();
        let pattern = format!(
            r"\? ({})|(Saved as session)",
            prompts
                .iter()
                .map(|(prefix, _)| regex::escape(prefix))
                .collect::<Vec<_>>()
                .join("|")
        );
        let mut ending = None;
        let mut last = None;
        for _ in 0..80 {
            let (before, shown) = s
                .exp_regex(&pattern)
                .unwrap_or_else(|e| panic!("{}: no question and no ending ({e})", story.name));
            if shown.contains("Saved as session") {
                ending = Some(before);
                break;
            }
            let (_, id) = prompts
                .iter()
                .find(|(prefix, _)| shown.ends_with(prefix.as_str()))
                .expect("a known question");
            let id = *id;
            // A prompt prints itself again with the answer given: that is no new question.
            if last == Some(id) {
                continue;
            }
            let node = kb.node(id).id.clone();
            match stories::answer(&kb, &node, &story) {
                Answer::Choice(index) => {
                    for _ in 0..index {
                        key(&mut s, DOWN);
                    }
                    key(&mut s, ENTER);
                }
                Answer::DontKnow => match &kb.node(id).body {
                    relaydoc::knowledge::model::NodeBody::Question { choices, .. } => {
                        // "I don't know" is the last entry, below the choices.
                        for _ in 0..choices.len() {
                            key(&mut s, DOWN);
                        }
                        key(&mut s, ENTER);
                    }
                    _ => key(&mut s, ENTER),
                },
                Answer::Text(text) => {
                    s.send(&text).expect("type");
                    key(&mut s, ENTER);
                }
            }
            last = Some(id);
        }
        let ending =
            ending.unwrap_or_else(|| panic!("{}: no ending after 40 questions", story.name));
        let title = {
            let session = stories::session(&sessions);
            let node = session["status"]["node"].as_str().expect("node").to_owned();
            let id = kb.node_id(&node).expect("node");
            let cause = kb.cause_of(id).map(|cause| cause.title.clone());
            kb.node(id)
                .title
                .clone()
                .or(cause)
                .expect("a solution has a title")
        };
        // rexpect reads bytes as Latin-1: compare the title up to its first non-ASCII letter.
        let title = title
            .split(|c: char| !c.is_ascii())
            .next()
            .unwrap_or_default();
        assert!(
            ending.contains(title.trim()),
            "{}: the solution {title:?} was not shown:\n{ending}",
            story.name
        );
        s.exp_eof().expect("exits");
        let session = stories::session(&sessions);
        let answers: Vec<String> = session["events"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|event| event["kind"] == "answer")
            .map(|event| format!("{}={}", event["node"], event["value"]))
            .collect();
        eprintln!("{}: {answers:?}", story.name);
        stories::assert_ending(&kb, &story, &session);
    }
}
