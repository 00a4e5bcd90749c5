//! Hostile files: devices behind symbolic links, FIFOs, other people's files in the sessions
//! folder, secret files linked into the knowledge, file names that carry a line break. Every
//! case runs the real binary in an isolated home; each must end promptly (a generous timeout
//! guards against a hang: it is no timing assertion), with an error that names the path, and
//! must never echo what such a file holds.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

/// Long enough for a slow, shared machine; a read of /dev/zero or a FIFO never ends at all.
const HANG: Duration = Duration::from_secs(60);

fn run(home: &Path, args: &[&str]) -> Output {
    let mut command = common::isolated::relaydoc(home);
    command.args(args).timeout(HANG);
    let output = command.output().expect("relaydoc runs");
    assert!(
        output.status.code().is_some(),
        "{args:?} did not finish (killed after {HANG:?}): it hung or ate memory; stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success(), "mkfifo {}", path.display());
}

fn zero_link(path: &Path) {
    std::os::unix::fs::symlink("/dev/zero", path).expect("symlink to /dev/zero");
}

/// A FIFO and a link to /dev/zero in `dir`, named `stem`-fifo.EXT and `stem`-zero.EXT.
fn special_files(dir: &Path, stem: &str, ext: &str) -> [PathBuf; 2] {
    std::fs::create_dir_all(dir).expect("folder");
    let fifo = dir.join(format!("{stem}-fifo.{ext}"));
    let zero = dir.join(format!("{stem}-zero.{ext}"));
    mkfifo(&fifo);
    zero_link(&zero);
    [fifo, zero]
}

#[test]
fn facts_files_that_are_fifos_or_devices_are_refused_by_name() {
    let home = tempfile::tempdir().expect("home");
    for path in special_files(home.path(), "facts", "yaml") {
        let shown = path.display().to_string();
        let output = run(home.path(), &["wizard", "--json", "--facts", &shown]);
        assert_eq!(output.status.code(), Some(2), "{}", text(&output));
        let said = text(&output);
        assert!(said.contains(&shown), "names the path: {said}");
        assert!(said.contains("not a regular file"), "{said}");
    }
}

#[test]
fn ca_files_that_are_fifos_or_devices_are_refused_by_name() {
    let home = tempfile::tempdir().expect("home");
    for path in special_files(home.path(), "ca", "pem") {
        let shown = path.display().to_string();
        // Port 9 on loopback: nothing is contacted anyway, the CA file is read first.
        let output = run(
            home.path(),
            &[
                "check",
                "smtp",
                "127.0.0.1",
                "--port",
                "9",
                "--ca-file",
                &shown,
                "--json",
            ],
        );
        assert_eq!(output.status.code(), Some(2), "{}", text(&output));
        assert!(text(&output).contains(&shown), "{}", text(&output));
    }
}

#[test]
fn session_files_that_are_fifos_or_device_links_are_listed_as_unreadable() {
    let home = tempfile::tempdir().expect("home");
    let dir = home.path().join(".local/share/relaydoc/sessions");
    std::fs::create_dir_all(&dir).expect("sessions folder");
    mkfifo(&dir.join("20260101-000000-aaaa.json"));
    zero_link(&dir.join("20260101-000001-bbbb.json"));
    let output = run(home.path(), &["sessions", "list"]);
    let said = text(&output);
    assert!(said.contains("20260101-000000-aaaa.json"), "{said}");
    assert!(said.contains("20260101-000001-bbbb.json"), "{said}");
    let output = run(home.path(), &["sessions", "show", "20260101-000001-bbbb"]);
    assert_ne!(output.status.code(), Some(0));
    assert!(text(&output).contains("symbolic link"), "{}", text(&output));
}

#[test]
fn knowledge_overlay_files_that_are_fifos_or_devices_are_refused_by_name() {
    let home = tempfile::tempdir().expect("home");
    let tree = home.path().join(".config/relaydoc/knowledge/tree");
    let paths = special_files(&tree, "overlay", "yaml");
    let output = run(home.path(), &["kb", "validate"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    for path in paths {
        assert!(
            text(&output).contains(&path.display().to_string()),
            "{}",
            text(&output)
        );
    }
}

#[test]
fn config_explain_and_postfix_inputs_that_are_devices_are_refused() {
    let home = tempfile::tempdir().expect("home");
    let zero = home.path().join("zero.yaml");
    zero_link(&zero);
    let shown = zero.display().to_string();
    let output = run(home.path(), &["--config", &shown, "config", "check"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(text(&output).contains(&shown), "{}", text(&output));
    for args in [
        &["explain", shown.as_str()][..],
        &["postfix", "lint", shown.as_str()],
    ] {
        let output = run(home.path(), args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", text(&output));
        assert!(text(&output).contains("a device"), "{}", text(&output));
    }
}

#[test]
fn a_fifo_the_user_names_as_input_is_read() {
    let home = tempfile::tempdir().expect("home");
    let fifo = home.path().join("bounce.fifo");
    mkfifo(&fifo);
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            std::fs::write(
                &fifo,
                "554 5.7.1 <friend@example.org>: Relay access denied\n",
            )
        })
    };
    let output = run(
        home.path(),
        &["explain", "--json", &fifo.display().to_string()],
    );
    writer.join().expect("writer").expect("write to the FIFO");
    let answer: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(answer["relay_denial"], true, "{}", text(&output));
}

#[test]
fn reading_sessions_never_removes_files_and_writing_removes_only_our_own_stale_ones() {
    let home = tempfile::tempdir().expect("home");
    let dir = home.path().join(".local/share/relaydoc/sessions");
    std::fs::create_dir_all(&dir).expect("sessions folder");
    let old = std::time::SystemTime::now() - Duration::from_secs(3600);
    let make_old = |name: &str| {
        let path = dir.join(name);
        std::fs::write(&path, b"draft").expect("write");
        std::fs::File::options()
            .write(true)
            .open(&path)
            .and_then(|file| file.set_modified(old))
            .expect("age the file");
        path
    };
    let theirs = make_old(".draft.tmp");
    let also_theirs = make_old(".relaydoc-notes.tmp");
    let ours = make_old(".relaydoc-20260101-000000-abcd.Ab3dE9.tmp");
    for args in [
        &["sessions", "list"][..],
        &["sessions", "stats"],
        &["sessions", "show", "last"],
        &["sessions", "export", "last"],
    ] {
        run(home.path(), args);
        assert!(
            ours.exists(),
            "{args:?} is read-only and removed a temporary"
        );
    }
    let output = run(
        home.path(),
        &["wizard", "--json", "--fact", "client.smtp_auth=off"],
    );
    assert!(
        output.status.code().is_some_and(|code| code < 2),
        "{}",
        text(&output)
    );
    assert!(!ours.exists(), "our stale temporary stays after a run");
    assert!(theirs.exists(), "another program's file was removed");
    assert!(also_theirs.exists(), "another program's file was removed");
}

#[test]
fn a_secret_file_linked_into_the_knowledge_is_named_never_shown() {
    let home = tempfile::tempdir().expect("home");
    let secret = home.path().join("shadow");
    std::fs::write(
        &secret,
        "root:$6$SECRETHASH:19000:0:99999:7:::\ndaemon:NOTSHOWN:19000:0:99999:7:::\n\
         password: \"hunter2-SECRET\"\n",
    )
    .expect("secret");
    let knowledge = home.path().join("kb");
    std::fs::create_dir_all(knowledge.join("tree")).expect("kb");
    for name in ["tree/x.yaml", "causes.yaml", "facts.yaml"] {
        std::os::unix::fs::symlink(&secret, knowledge.join(name)).expect("link");
    }
    let output = run(
        home.path(),
        &["kb", "validate", &knowledge.display().to_string()],
    );
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let said = text(&output);
    assert!(said.contains("tree/x.yaml"), "names the file: {said}");
    for secret in ["SECRETHASH", "NOTSHOWN", "hunter2", "root:"] {
        assert!(!said.contains(secret), "{secret} shown: {said}");
    }
}

#[test]
fn a_file_name_with_a_line_break_cannot_forge_a_second_error_line() {
    let home = tempfile::tempdir().expect("home");
    let forged = home
        .path()
        .join("bounce\nrelaydoc: everything is fine\x1b[2J.txt");
    let output = run(home.path(), &["explain", &forged.display().to_string()]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr:?}");
    assert!(!stderr.contains('\x1b'), "{stderr:?}");
}

#[test]
fn a_huge_id_is_quoted_as_a_short_excerpt() {
    let home = tempfile::tempdir().expect("home");
    // One argument may hold at most 128 KiB on Linux; a file may hold more.
    let id = "a".repeat(100 * 1024);
    let output = run(home.path(), &["sessions", "show", &id]);
    assert_ne!(output.status.code(), Some(0));
    let said = text(&output);
    assert!(said.len() < 2_000, "{} bytes of output", said.len());
    assert!(said.contains('…'), "{said}");

    let knowledge = home.path().join("kb/tree");
    std::fs::create_dir_all(&knowledge).expect("kb");
    let id = "b".repeat(400 * 1024);
    std::fs::write(
        knowledge.join("huge.yaml"),
        format!("nodes:\n  - id: {id}\n    kind: handoff\n    title: t\n    text: x\n"),
    )
    .expect("write");
    let output = run(
        home.path(),
        &[
            "kb",
            "validate",
            &home.path().join("kb").display().to_string(),
        ],
    );
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let said = text(&output);
    assert!(said.len() < 20_000, "{} bytes of output", said.len());
    assert!(said.contains('…'), "{said}");
}
