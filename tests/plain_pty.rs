//! The plain wizard in a real pseudo-terminal: a person's keystrokes through a whole path,
//! including Esc to go back, and Ctrl-C to quit.

use std::process::Command;

use rexpect::session::{PtySession, spawn_command};

const ENTER: &str = "\r";
const DOWN: &str = "\x1b[B";
const ESC: &str = "\x1b";

fn spawn(home: &std::path::Path) -> PtySession {
    let mut command = Command::new(env!("CARGO_BIN_EXE_relaydoc"));
    command
        .args(["wizard", "--plain"])
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env("TERM", "xterm-256color")
        .env("NO_COLOR", "1");
    spawn_command(command, Some(20_000)).expect("spawn in a pty")
}

fn key(session: &mut PtySession, key: &str) {
    session.send(key).expect("send key");
    session.flush().expect("flush");
}

#[test]
fn a_full_path_with_back_ends_in_the_solution_for_the_chosen_client() {
    let home = tempfile::tempdir().expect("temp dir");
    let mut s = spawn(home.path());
    s.exp_string("What does the error message say?")
        .expect("first question");
    key(&mut s, ENTER); // Relay access denied
    s.exp_string("Where did you see the error?").expect("where");
    key(&mut s, ENTER); // a pop-up in my mail program
    s.exp_string("Which mail program").expect("client");
    key(&mut s, ENTER); // the first client in the list: Apple Mail
    s.exp_string("What is your email address?").expect("email");
    s.send("me@gmail.com").expect("type");
    key(&mut s, ENTER);
    s.exp_string("only to you, or to everyone").expect("users");
    key(&mut s, ENTER); // only me
    s.exp_string("Which messages fail?").expect("recipients");
    key(&mut s, ENTER); // all external
    s.exp_string("requires authentication")
        .expect("smtp auth question");
    key(&mut s, ESC); // back
    s.exp_string("Which messages fail?")
        .expect("back at the previous question");
    key(&mut s, ENTER);
    s.exp_string("requires authentication")
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
    s.exp_string("What does the error message say?")
        .expect("first question");
    s.send_control('c').expect("ctrl-c");
    s.exp_string("Stopped.").expect("says it stopped");
    s.exp_eof().expect("exits");
}
