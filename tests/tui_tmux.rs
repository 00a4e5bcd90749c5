//! The TUI in a real terminal: the real binary runs in tmux, keys are typed as a person would,
//! and the screen is read back with `capture-pane`.
//!
//! Each test has its own tmux server (`-L relaydoc-test-<pid>-<n>`, no user config) and its
//! own empty HOME and XDG dirs, and kills its server when done, even when it fails. Without
//! tmux the tests print SKIPPED, unless `RELAYDOC_REQUIRE_LAB=1` or `CI` is set: then a missing
//! tmux fails loudly (tests/run.sh installs it). Run: `cargo test --test tui_tmux`.
//!
//! No test here goes on the network: the paths walked ask questions only, and the one check a
//! helpdesk run may meet (reading the error text) is offline.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const PROMPT: &str = "tui-test-prompt$ ";
const WAIT: Duration = Duration::from_secs(15);

/// A private tmux server running a plain shell in an isolated home; killed on drop.
struct Tmux {
    socket: String,
    _home: tempfile::TempDir,
}

impl Tmux {
    /// `None` when tmux is missing and not required.
    fn start(width: u16, height: u16) -> Option<Self> {
        let found = Command::new("tmux")
            .arg("-V")
            .output()
            .is_ok_and(|output| output.status.success());
        if !found {
            let required = std::env::var("RELAYDOC_REQUIRE_LAB").is_ok_and(|v| v == "1")
                || std::env::var_os("CI").is_some();
            assert!(
                !required,
                "tmux is required for the terminal tests (install: apt-get install tmux)"
            );
            eprintln!("SKIPPED: tmux is not installed");
            return None;
        }
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let socket = format!(
            "relaydoc-test-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::SeqCst)
        );
        let home = tempfile::tempdir().expect("temp home");
        let tmux = Self {
            socket,
            _home: home,
        };
        let home = tmux._home.path();
        let shell = format!(
            "env -i PATH=/usr/bin:/bin HOME={home} XDG_CONFIG_HOME={home}/.config \
             XDG_DATA_HOME={home}/.local/share XDG_STATE_HOME={home}/.local/state \
             XDG_CACHE_HOME={home}/.cache TERM=tmux-256color PS1='{PROMPT}' sh",
            home = home.display()
        );
        let output = tmux.tmux(&[
            "new-session",
            "-d",
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
            &shell,
        ]);
        assert!(
            output.status.success(),
            "tmux new-session failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        tmux.wait_for(PROMPT.trim_end());
        Some(tmux)
    }

    fn tmux(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .expect("run tmux")
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.tmux(&["capture-pane", "-p", "-t", "0"]).stdout).into_owned()
    }

    /// Keys by tmux name (Enter, Escape, Down, C-c) or literal text with `-l`.
    fn keys(&self, keys: &[&str]) {
        for key in keys {
            self.tmux(&["send-keys", "-t", "0", key]);
        }
    }

    fn text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "0", "-l", text]);
    }

    fn wait_for(&self, needle: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let screen = self.screen();
            if screen.contains(needle) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "waited {WAIT:?} for {needle:?}; the screen shows:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn alternate_screen_on(&self) -> bool {
        let output = self.tmux(&["display-message", "-p", "-t", "0", "#{alternate_on}"]);
        String::from_utf8_lossy(&output.stdout).trim() == "1"
    }

    fn home(&self) -> &Path {
        self._home.path()
    }

    /// The sessions folder inside the isolated home (XDG_DATA_HOME/relaydoc/sessions).
    fn sessions_dir(&self) -> PathBuf {
        self.home().join(".local/share/relaydoc/sessions")
    }

    /// The pid of the relaydoc the pane's shell is running.
    fn relaydoc_pid(&self) -> u32 {
        let output = self.tmux(&["display-message", "-p", "-t", "0", "#{pane_pid}"]);
        let shell: u32 = String::from_utf8_lossy(&output.stdout)
            .trim()
            .parse()
            .expect("the pane's shell pid");
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(pid) = child_named(shell, "relaydoc") {
                return pid;
            }
            assert!(
                Instant::now() < deadline,
                "no relaydoc under the shell {shell}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn run_relaydoc(&self, args: &str) {
        let binary = Path::new(env!("CARGO_BIN_EXE_relaydoc"));
        self.text(&format!(
            "{} {args}; echo relaydoc-exited=$?",
            binary.display()
        ));
        self.keys(&["Enter"]);
    }
}

/// Whether the process still exists (Linux /proc).
fn child_named_pid_alive(pid: &str) -> bool {
    Path::new("/proc").join(pid).exists()
}

/// A child process of `parent` with this command name, read from /proc (Linux).
fn child_named(parent: u32, name: &str) -> Option<u32> {
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // "pid (comm) state ppid …": comm may hold spaces, so split at the last ')'.
        let Some((head, tail)) = stat.rsplit_once(')') else {
            continue;
        };
        let comm = head.split_once('(').map(|(_, comm)| comm);
        let ppid = tail
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse::<u32>().ok());
        if comm == Some(name) && ppid == Some(parent) {
            return Some(pid);
        }
    }
    None
}

/// The only saved session file in `dir`, parsed: it must be complete, valid JSON.
fn only_session(dir: &Path) -> serde_json::Value {
    let files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("the sessions folder exists")
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    assert_eq!(files.len(), 1, "one session file: {files:?}");
    let text = std::fs::read_to_string(&files[0]).expect("read the session file");
    serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("the session file is not valid JSON ({error}):\n{text}"))
}

/// The events of a session of this kind.
fn events_of<'a>(session: &'a serde_json::Value, kind: &str) -> Vec<&'a serde_json::Value> {
    session["events"]
        .as_array()
        .map(|events| events.iter().filter(|e| e["kind"] == kind).collect())
        .unwrap_or_default()
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

/// After the TUI ends: the shell is back, the alternate screen is gone, the TUI is not drawn.
fn assert_restored(tmux: &Tmux, exit: &str) {
    tmux.wait_for(&format!("relaydoc-exited={exit}"));
    assert_prompt_back(tmux);
}

/// The shell's prompt is the last line again, the alternate screen is gone, the TUI is not
/// drawn.
fn assert_prompt_back(tmux: &Tmux) {
    // The shell prints its prompt after the exit line: wait for it to be the last line.
    let deadline = Instant::now() + WAIT;
    let screen = loop {
        let screen = tmux.screen();
        let last = screen.lines().rev().find(|line| !line.trim().is_empty());
        if last.map(str::trim_end) == Some(PROMPT.trim_end()) {
            break screen;
        }
        assert!(
            Instant::now() < deadline,
            "no prompt after the TUI:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(!tmux.alternate_screen_on(), "still on the alternate screen");
    assert!(
        !screen.contains("help for \"Relay access denied\""),
        "the TUI is still drawn:\n{screen}"
    );
}

#[test]
fn a_person_walks_to_a_solution_switches_client_browses_goes_back_and_quits() {
    let Some(t) = Tmux::start(140, 40) else {
        return;
    };
    t.run_relaydoc("");
    t.wait_for("Start — answer a few questions");
    assert!(t.alternate_screen_on());
    t.keys(&["Enter"]);
    t.wait_for("What does the error message say?");
    t.keys(&["Tab"]);
    t.wait_for("Why we ask");
    t.keys(&["Enter"]);
    t.wait_for("Where did you see the error?");
    t.keys(&["Enter"]);
    t.wait_for("What is sending the email that is refused?");
    t.keys(&["Enter"]); // a mail program on a computer
    t.wait_for("Which mail program or app");
    // Thunderbird is the last program but one, above Windows Mail and "Another program".
    t.keys(&["End", "Up", "Up", "Enter"]);
    t.wait_for("What is your email address?");
    t.text("me@gmail.com");
    t.wait_for("me@gmail.com");
    t.keys(&["Enter"]);
    t.wait_for("only to you, or to everyone");
    t.keys(&["Enter"]);
    t.wait_for("Which messages fail?");
    t.keys(&["Enter"]);
    t.wait_for("is \"Authentication method\" set to");
    t.wait_for("Where to look");
    t.keys(&["Escape"]);
    t.wait_for("Which messages fail?");
    t.keys(&["Enter"]);
    t.wait_for("is \"Authentication method\" set to");
    t.keys(&["2", "Enter"]);
    // A capture can catch a frame half drawn, so each part is waited for.
    t.wait_for("Turn on sign-in for the outgoing server");
    t.wait_for("steps for Thunderbird");
    t.wait_for("Settings to use (Gmail");
    t.wait_for("smtp.gmail.com");

    // The client switcher: Apple Mail is the second guide, after Airmail.
    t.keys(&["c"]);
    t.wait_for("Which program do you send with?");
    // The switcher has no Home key: Up stops at the first guide.
    for _ in 0..60 {
        t.keys(&["Up"]);
    }
    t.keys(&["Down", "Enter"]);
    t.wait_for("steps for Mail on Mac (Apple Mail)");

    // Browse from the solution, read an article, come back.
    t.keys(&["/"]);
    t.wait_for("Search everything");
    t.text("pop before");
    t.wait_for("Your sending permission ran out");
    t.keys(&["Enter"]);
    t.wait_for("Cause · pop-before-smtp-expired");
    t.keys(&["Escape"]);
    t.wait_for("matches, best first");
    t.keys(&["Escape"]);
    t.wait_for("steps for Mail on Mac (Apple Mail)");

    // Back to the last question, then quit.
    t.keys(&["Escape"]);
    t.wait_for("is \"Authentication method\" set to");
    t.keys(&["q"]);
    assert_restored(&t, "0");
}

#[test]
fn ctrl_c_restores_the_terminal_and_exits_130() {
    let Some(t) = Tmux::start(80, 24) else {
        return;
    };
    t.run_relaydoc("wizard");
    t.wait_for("Start — answer a few questions");
    t.keys(&["2"]);
    t.wait_for("Paste the error message");
    t.text("554 5.7.1 Relay access denied");
    t.wait_for("554 5.7.1 Relay access denied");
    t.keys(&["C-c"]);
    assert_restored(&t, "130");
}

/// The terminal after relaydoc ended: cooked (`icanon`), echoing (`echo`), cursor shown.
fn assert_terminal_sane(tmux: &Tmux) {
    let output = tmux.tmux(&["display-message", "-p", "-t", "0", "#{cursor_flag}"]);
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "1",
        "the cursor is still hidden"
    );
    // In raw mode the shell would never see this line end: the wait below fails then.
    tmux.text(
        "stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e echo | tr '\\n' ' '; echo =st''ty",
    );
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("=stty");
    assert!(
        screen.contains("icanon echo =stty"),
        "the terminal is not back to cooked mode with echo:\n{screen}"
    );
}

/// A signal from outside (kill, a closed window, a service manager) to the TUI: the terminal
/// is restored and relaydoc ends by that signal (exit status 128 + its number).
#[test]
fn sigterm_sighup_sigint_and_sigquit_restore_the_terminal() {
    // A process that ends by SIGINT makes the interactive shell drop the rest of the command
    // line (the `echo` of the exit status), as it would after Ctrl-C: no status to check.
    for (signal, status) in [
        ("TERM", Some("143")),
        ("HUP", Some("129")),
        ("INT", None),
        ("QUIT", Some("131")),
    ] {
        let Some(t) = Tmux::start(80, 24) else {
            return;
        };
        t.run_relaydoc("wizard");
        t.wait_for("Start — answer a few questions");
        assert!(t.alternate_screen_on());
        let pid = t.relaydoc_pid().to_string();
        let killed = Command::new("kill")
            .args([&format!("-{signal}"), pid.as_str()])
            .status()
            .expect("kill runs");
        assert!(killed.success(), "kill -{signal} {pid}");
        match status {
            Some(status) => assert_restored(&t, status),
            None => {
                let deadline = Instant::now() + WAIT;
                while child_named_pid_alive(&pid) {
                    assert!(
                        Instant::now() < deadline,
                        "relaydoc still runs after SIG{signal}"
                    );
                    std::thread::sleep(Duration::from_millis(50));
                }
                assert_prompt_back(&t);
            }
        }
        assert_terminal_sane(&t);
    }
}

/// The plain wizard in raw mode (the paste prompt) and in an inquire prompt: a kill from
/// outside leaves the terminal cooked and echoing.
#[test]
fn a_killed_plain_wizard_leaves_the_terminal_cooked() {
    for (signal, status, at_choice) in [("TERM", "143", false), ("HUP", "129", true)] {
        let Some(t) = Tmux::start(100, 30) else {
            return;
        };
        t.run_relaydoc("wizard --plain");
        t.wait_for("press Enter on an empty line");
        if at_choice {
            // Skip the paste: the next question is a choice, in inquire's raw mode.
            t.keys(&["Enter"]);
            t.wait_for("Enter choose");
        }
        let pid = t.relaydoc_pid().to_string();
        let killed = Command::new("kill")
            .args([&format!("-{signal}"), pid.as_str()])
            .status()
            .expect("kill runs");
        assert!(killed.success(), "kill -{signal} {pid}");
        t.wait_for(&format!("relaydoc-exited={status}"));
        assert_terminal_sane(&t);
    }
}

#[test]
fn resizing_relays_out_and_says_plainly_when_too_small() {
    let Some(t) = Tmux::start(100, 30) else {
        return;
    };
    t.run_relaydoc("--color never");
    t.wait_for("Start — answer a few questions");
    t.tmux(&["resize-window", "-t", "0", "-x", "60", "-y", "20"]);
    t.wait_for("This window is too small");
    t.tmux(&["resize-window", "-t", "0", "-x", "140", "-y", "40"]);
    t.wait_for("Start — answer a few questions");
    t.keys(&["q"]);
    assert_restored(&t, "0");
}

#[test]
fn plain_flag_still_gives_the_line_prompts() {
    let Some(t) = Tmux::start(100, 30) else {
        return;
    };
    t.run_relaydoc("wizard --plain");
    t.wait_for("Answer one question at a time");
    // Ctrl-C is the prompt's own key only once the prompt reads keys; before that (the
    // session is being created) it is the terminal's SIGINT. Wait for the first prompt.
    t.wait_for("press Enter on an empty line");
    assert!(
        !t.alternate_screen_on(),
        "--plain must not take over the screen"
    );
    t.keys(&["C-c"]);
    t.wait_for("relaydoc-exited=130");
}

#[test]
fn a_helpdesk_call_is_recorded_with_its_answers_and_the_agents_note() {
    let Some(t) = Tmux::start(100, 30) else {
        return;
    };
    t.run_relaydoc("wizard --agent --color never");
    t.wait_for("Who is calling?");
    t.text("Jane 4711");
    t.wait_for("Jane 4711");
    t.keys(&["Enter"]);
    t.wait_for("Helpdesk · session");
    // The error text: skipped (the caller does not have it).
    t.wait_for("Say to the caller");
    t.wait_for("Do you still have the error message?");
    t.keys(&["Enter"]);
    t.wait_for("What do the words in the message say?");
    t.keys(&["Enter"]); // relay access denied
    t.wait_for("Where did you see the error?");
    t.keys(&["Enter"]); // a pop-up
    t.wait_for("What is sending the email that fails?");
    t.keys(&["Enter"]); // a mail program
    t.wait_for("Which program or app do you use");
    t.keys(&["End", "Up", "Up", "Enter"]); // Thunderbird
    t.wait_for("What is the email address that cannot send?");
    t.text("me@gmail.com");
    t.wait_for("me@gmail.com");
    t.keys(&["Enter"]);
    t.wait_for("Is it only you who has this problem?");
    t.keys(&["n"]);
    t.wait_for("Note for the ticket");
    t.text("caller is on hotel wifi");
    t.wait_for("caller is on hotel wifi");
    t.keys(&["Enter"]);
    t.wait_for("Note kept (1 in this session)");
    t.keys(&["Enter"]); // only me
    t.wait_for("Let's try one thing.");
    t.keys(&["Enter"]);
    t.wait_for("No — it is off or set to None");
    t.keys(&["2", "Enter"]);
    t.wait_for("Caller's steps (Thunderbird)");
    t.wait_for("Turn on sign-in for the outgoing server");
    t.keys(&["Tab"]);
    t.wait_for("For you — not for the caller");
    t.wait_for("Customer address: me@gmail.com");
    t.keys(&["e"]);
    t.wait_for("email is not set up: see `relaydoc config`");
    t.keys(&["q"]);
    assert_restored(&t, "0");
    t.wait_for("saved as session");

    let output = common::isolated::relaydoc(t.home())
        .args(["sessions", "show", "last", "--json"])
        .output()
        .expect("run relaydoc sessions show");
    assert!(output.status.success(), "{output:?}");
    let session: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("sessions show --json prints JSON");
    assert_eq!(session["mode"], "agent");
    assert_eq!(session["caller"], "Jane 4711");
    assert_eq!(session["status"]["finished"], true);
    assert_eq!(session["status"]["cause"], "client-auth-off");
    let answers = events_of(&session, "answer");
    let answered = |node: &str| answers.iter().find(|a| a["node"] == node).copied();
    assert_eq!(
        answered("q-error-kind").map(|a| &a["value"]),
        Some(&serde_json::json!("relay"))
    );
    assert_eq!(
        answered("q-client").map(|a| &a["value"]),
        Some(&serde_json::json!("thunderbird"))
    );
    assert_eq!(
        answered("i-email").map(|a| &a["value"]),
        Some(&serde_json::json!("me@gmail.com"))
    );
    assert_eq!(
        answered("q-smtp-auth").map(|a| &a["value"]),
        Some(&serde_json::json!("off"))
    );
    let notes = events_of(&session, "note");
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0]["text"], "caller is on hotel wifi");
    assert_eq!(notes[0]["node"], "q-users");
    assert_eq!(events_of(&session, "finished").len(), 1);
}

#[test]
fn a_killed_helpdesk_call_resumes_in_the_tui_at_the_next_question() {
    let Some(t) = Tmux::start(100, 30) else {
        return;
    };
    t.run_relaydoc("wizard --agent --caller T-1 --color never");
    t.wait_for("Do you still have the error message?");
    t.keys(&["Enter"]); // first: no error text
    t.wait_for("What do the words in the message say?");
    t.keys(&["Enter"]); // second: relay access denied
    t.wait_for("Where did you see the error?");

    // No chance to clean up: the session on disk is what the last step saved.
    let pid = t.relaydoc_pid();
    let killed = Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(killed.success());
    t.wait_for("relaydoc-exited=137");
    let saved = only_session(&t.sessions_dir());
    assert_eq!(events_of(&saved, "answer").len(), 2, "{saved:#}");
    assert_eq!(saved["status"]["node"], "q-where");
    assert_eq!(saved["status"]["finished"], false);

    // The killed TUI left the terminal raw: Enter is a bare CR there, Ctrl-J a newline.
    t.text("stty sane; echo terminal-sane");
    t.keys(&["C-j"]);
    t.wait_for("terminal-sane");
    t.run_relaydoc("sessions resume last --color never");
    t.wait_for("Picked up session");
    let screen = t.wait_for("(2 steps replayed)");
    assert!(
        screen.contains(saved["id"].as_str().unwrap_or("?")),
        "the same session:\n{screen}"
    );
    t.wait_for("Where did you see the error?");
    t.wait_for("Helpdesk · session");
    t.keys(&["Enter"]); // a pop-up
    t.wait_for("What is sending the email that fails?");
    t.keys(&["q"]);
    assert_restored(&t, "0");

    let resumed = only_session(&t.sessions_dir());
    assert_eq!(resumed["id"], saved["id"]);
    assert_eq!(events_of(&resumed, "resumed").len(), 1);
    assert!(
        events_of(&resumed, "answer")
            .iter()
            .any(|a| a["node"] == "q-where" && a["value"] == "client"),
        "{resumed:#}"
    );
    assert_eq!(resumed["status"]["node"], "q-sender-kind");
}

/// `relaydoc sessions list --json` in the test's home: the saved sessions, oldest first.
fn sessions_listed(home: &Path) -> Vec<serde_json::Value> {
    let output = common::isolated::relaydoc(home)
        .args(["sessions", "list", "--json"])
        .output()
        .expect("run relaydoc sessions list");
    assert!(output.status.success(), "{output:?}");
    serde_json::from_slice(&output.stdout).expect("sessions list --json prints a JSON list")
}

#[test]
fn saved_sessions_from_home_are_opened_deleted_and_resumed() {
    let Some(t) = Tmux::start(100, 30) else {
        return;
    };
    // Two runs without a terminal: they are saved like any other.
    for args in [
        &[
            "wizard",
            "--json",
            "--agent",
            "--caller",
            "Jane 4711",
            "--fact",
            "error.where=client",
            "--fact",
            "client.id=thunderbird",
            "--fact",
            "account.email=me@gmail.com",
            "--fact",
            "client.smtp_auth=off",
        ][..],
        &["wizard", "--json", "--fact", "error.where=bounce"][..],
    ] {
        let output = common::isolated::relaydoc(t.home())
            .args(args)
            .output()
            .expect("run relaydoc wizard --json");
        // 0: a cause named; 1: the run ended without one (a bounce alone names none).
        assert!(matches!(output.status.code(), Some(0 | 1)), "{output:?}");
        let json: serde_json::Value =
            serde_json::from_slice(&output.stdout).expect("the outcome as JSON");
        assert!(json["node"].as_str().is_some_and(|node| !node.is_empty()));
    }
    let before = sessions_listed(t.home());
    assert_eq!(before.len(), 2, "{before:#?}");
    let jane = before
        .iter()
        .find(|session| session["caller"] == "Jane 4711")
        .expect("Jane's call");
    let other = before
        .iter()
        .find(|session| session["caller"].is_null())
        .expect("the self-service run");

    t.run_relaydoc("--color never");
    t.wait_for("Saved sessions — look up or pick up an earlier run");
    t.keys(&["6"]);
    let screen = t.wait_for("2 saved sessions, newest first");
    assert!(screen.contains("Jane 4711"), "{screen}");
    assert!(screen.contains("helpdesk"), "{screen}");
    assert!(screen.contains("self"), "{screen}");

    // Jane's call: filter, open, delete.
    t.text("jane");
    t.wait_for("1 of 2 sessions match");
    t.keys(&["Enter"]);
    t.wait_for("Ticket summary: relaydoc session");
    t.wait_for("Customer: Jane 4711");
    t.keys(&["d"]);
    t.wait_for("? y/n");
    t.keys(&["y"]);
    t.wait_for("Deleted session");
    t.wait_for("No session matches \"jane\"");

    // The other run: picked up again, at its end (it reached one without questions).
    t.keys(&["C-u"]);
    t.wait_for("1 saved session, newest first");
    t.keys(&["Enter"]);
    t.wait_for("Ticket summary: relaydoc session");
    t.keys(&["r"]);
    t.wait_for("Picked up session");
    t.keys(&["q"]);
    assert_restored(&t, "0");

    let after = sessions_listed(t.home());
    assert_eq!(after.len(), 1, "{after:#?}");
    assert_eq!(after[0]["id"], other["id"]);
    assert_ne!(after[0]["id"], jane["id"]);
    assert_ne!(
        after[0]["updated"], other["updated"],
        "resuming saved the session again"
    );
    assert!(
        !t.sessions_dir()
            .join(format!("{}.json", jane["id"].as_str().unwrap_or("?")))
            .exists()
    );
}

/// The stories of issue 11 (tests/fixtures/stories.yaml) played in the TUI as a person would:
/// the paste on Home, then each question answered by its number (or `d`, "I don't know"), a
/// finished check passed with `c`. Which question is on screen is read from the session the
/// TUI saves after every step; the run must end at the story's cause, as `wizard --json`
/// (tests/stories.rs) and plain mode (tests/plain_pty.rs) do.
#[test]
fn the_stories_of_issue_11_end_at_their_cause_in_the_tui() {
    use common::stories::{self, Answer};
    let kb = relaydoc::knowledge::bundled().expect("bundled knowledge");
    for story in stories::all() {
        let Some(t) = Tmux::start(200, 50) else {
            return;
        };
        let binary = Path::new(env!("CARGO_BIN_EXE_relaydoc"));
        // Offline, and any check the run meets asks only the loopback (nothing on port 9).
        t.text(&format!(
            "RELAYDOC_OFFLINE=1 {} wizard --dns-server 127.0.0.1:9 {}; echo relaydoc-exited=$?",
            binary.display(),
            stories::fact_args(&story).join(" ")
        ));
        t.keys(&["Enter"]);
        t.wait_for("Start — answer a few questions");
        match &story.paste {
            Some(paste) => {
                t.keys(&["2"]);
                t.wait_for("Paste the error message");
                t.text(paste);
                t.keys(&["Enter"]);
            }
            None => t.keys(&["Enter"]),
        }
        let sessions = t.sessions_dir();
        let mut events = 0;
        let mut finished = false;
        let mut answered_any = false;
        for _ in 0..80 {
            let deadline = Instant::now() + WAIT;
            let (count, node) = loop {
                // The first question may come with no event before it (no paste).
                let first = |count: usize, node: &str| {
                    !answered_any
                        && count == 0
                        && story.paste.is_none()
                        && node != kb.node(kb.start).id
                        && stories::fact_of(&kb, node).is_some()
                };
                if let Some((count, node, done)) = stories::progress(&sessions)
                    && (count > events || first(count, &node))
                {
                    finished = done;
                    break (count, node);
                }
                let screen = t.screen();
                if screen.contains("Checks finished. Press c to continue.") {
                    t.keys(&["c"]);
                }
                assert!(
                    Instant::now() < deadline,
                    "{}: the session never moved past {events} events:\n{screen}",
                    story.name
                );
                std::thread::sleep(Duration::from_millis(50));
            };
            // The first question without an event: wait for the answer's event next.
            events = count.max(events);
            if finished {
                break;
            }
            let Some(_) = stories::fact_of(&kb, &node) else {
                // A check is running: its result comes as the next event.
                continue;
            };
            let id = kb.node_id(&node).expect("a node of the bundled tree");
            let prefix: String = kb.node(id).text.chars().take(30).collect();
            wait_past_checks(&t, &prefix);
            answered_any = true;
            match stories::answer(&kb, &node, &story) {
                Answer::Choice(index) => t.keys(&[&(index + 1).to_string(), "Enter"]),
                Answer::DontKnow => match &kb.node(id).body {
                    relaydoc::knowledge::model::NodeBody::Question { .. } => {
                        t.keys(&["d", "Enter"]);
                    }
                    _ => t.keys(&["Enter"]),
                },
                Answer::Text(text) => {
                    t.text(&text);
                    t.keys(&["Enter"]);
                }
            }
        }
        assert!(finished, "{}: no ending", story.name);
        let session = only_session(&sessions);
        let node = session["status"]["node"].as_str().expect("node").to_owned();
        let id = kb.node_id(&node).expect("node");
        let title = kb
            .node(id)
            .title
            .clone()
            .or_else(|| kb.cause_of(id).map(|cause| cause.title.clone()))
            .expect("a solution has a title");
        wait_past_checks(&t, &title);
        stories::assert_ending(&kb, &story, &session);
        t.keys(&["q"]);
        assert_restored(&t, "0");
    }
}

/// Waits for `needle` on screen, passing a finished checks screen on the way (`c`), as a
/// person who has read the results would.
fn wait_past_checks(t: &Tmux, needle: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        let screen = t.screen();
        if screen.contains(needle) {
            return;
        }
        if screen.contains("Checks finished. Press c to continue.") {
            t.keys(&["c"]);
        }
        assert!(
            Instant::now() < deadline,
            "waited {WAIT:?} for {needle:?}; the screen shows:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Behind a resolver that says "does not exist" of every name (a captive portal, a filter),
/// the TUI's checks say they could not check, and nothing false: no "does not exist", no "not
/// listed", no "wrong password" (issue 12). The checks run for real, against the lying DNS
/// server this test runs on 127.0.0.1.
#[test]
fn behind_a_lying_resolver_the_tuis_checks_say_they_could_not_check() {
    use common::hostile_dns::{self, Script};
    let Some(t) = Tmux::start(160, 40) else {
        return;
    };
    let dns = hostile_dns::start(Script::NxDomainForEverything);
    let facts = [
        "error.kind=relay",
        "error.where=client",
        "sender.kind=program",
        "client.id=thunderbird",
        "account.email=max@firma.example",
        "users.affected=one",
        "recipients.scope=all-external",
        "client.smtp_auth=on",
        "account.auth_scheme=smtp-auth",
        "account.recently_changed=no",
        "client.server_owner=email-provider",
        "client.security=starttls",
        "webmail.works=yes",
    ];
    let binary = Path::new(env!("CARGO_BIN_EXE_relaydoc"));
    t.text(&format!(
        "RELAYDOC_OFFLINE=1 RELAYDOC_DNS_KNOWN_NAME=example.test {} wizard --dns-server {dns} {}; \
         echo relaydoc-exited=$?",
        binary.display(),
        facts.map(|fact| format!("--fact {fact}")).join(" ")
    ));
    t.keys(&["Enter"]);
    t.wait_for("Start — answer a few questions");
    t.keys(&["Enter"]);
    // Inputs on the way (the password for the sign-in test, the outgoing server) are skipped
    // with Enter, so nothing is tried with them.
    let mut screen = String::new();
    let deadline = Instant::now() + WAIT;
    while !screen.contains("Checks finished") {
        screen = t.screen();
        if screen.contains("Enter skips this question") {
            t.keys(&["Enter"]);
            // One Enter per input: wait for that screen to go before reading the next, so a
            // slow frame never takes a second Enter (which would open a check's details).
            let gone = Instant::now() + WAIT;
            while t.screen() == screen {
                assert!(Instant::now() < gone, "Enter did not skip:\n{screen}");
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        assert!(Instant::now() < deadline, "no check ran:\n{screen}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let screen = t.wait_for("Is your internet address");
    assert!(screen.contains("error"), "{screen}");
    let lower = screen.to_lowercase();
    for false_fact in [
        "does not exist",
        "not listed",
        "wrong password",
        "no address",
    ] {
        assert!(
            !lower.contains(false_fact),
            "says {false_fact:?}:\n{screen}"
        );
    }
    // What the check saw: the reason in words a person can act on.
    t.keys(&["Enter"]);
    let evidence = t.wait_for("for every name");
    assert!(
        evidence.contains("login") || evidence.contains("filter"),
        "{evidence}"
    );
    t.keys(&["Escape", "c"]);
    t.keys(&["q"]);
    assert_restored(&t, "0");
}

// Issue 17: the keys as a person presses them, in a real terminal.

/// The error text as a mail program shows it: three lines.
const THREE_LINE_ERROR: &str = "Delivery to the following recipient failed.\n\
An error occurred while sending.\n\
554 5.7.1 <bob@example.org>: Relay access denied";

impl Tmux {
    /// Pastes `text` as a terminal does, in bracketed-paste markers (`paste-buffer -p`), so
    /// the program gets it as one paste with its line breaks.
    fn paste(&self, text: &str) {
        let set = self.tmux(&["set-buffer", "-b", "relaydoc-test", text]);
        assert!(set.status.success(), "tmux set-buffer: {set:?}");
        self.tmux(&["paste-buffer", "-p", "-d", "-b", "relaydoc-test", "-t", "0"]);
    }

    /// A paste as a terminal without bracketed paste sends it: the bare keys, each line
    /// break as a carriage return (Enter).
    fn paste_unbracketed(&self, text: &str) {
        let set = self.tmux(&["set-buffer", "-b", "relaydoc-test", text]);
        assert!(set.status.success(), "tmux set-buffer: {set:?}");
        self.tmux(&["paste-buffer", "-d", "-b", "relaydoc-test", "-t", "0"]);
    }
}

/// Whether a screen row inside a box starts with `text` (the box's border is `│`).
fn row_starts_with(screen: &str, text: &str) -> bool {
    screen
        .lines()
        .any(|line| line.trim_start().trim_start_matches('│').starts_with(text))
}

#[test]
fn a_multi_line_paste_into_the_helpdesk_error_box_keeps_its_lines() {
    let Some(t) = Tmux::start(80, 24) else {
        return;
    };
    t.run_relaydoc("wizard --agent --caller T-17 --color never");
    t.wait_for("Do you still have the error message?");
    t.paste(THREE_LINE_ERROR);
    let screen = t.wait_for("Relay access denied");
    for line in THREE_LINE_ERROR.lines() {
        assert!(
            row_starts_with(&screen, line),
            "{line:?} is not a row of its own:\n{screen}"
        );
    }
    assert_eq!(submit_and_quit(&t), [THREE_LINE_ERROR]);
}

#[test]
fn one_then_zero_typed_quickly_picks_choice_ten() {
    let kb = relaydoc::knowledge::bundled().expect("bundled knowledge");
    let node = kb.node(kb.node_id("q-client").expect("q-client"));
    let relaydoc::knowledge::model::NodeBody::Question { choices, .. } = &node.body else {
        panic!("q-client is a question");
    };
    assert!(
        choices.len() >= 10,
        "the program list has {}",
        choices.len()
    );
    let tenth = &choices[9];

    let Some(t) = Tmux::start(80, 24) else {
        return;
    };
    t.run_relaydoc("wizard --agent --caller T-17 --color never");
    t.wait_for("Do you still have the error message?");
    t.keys(&["Enter"]); // no error text
    t.wait_for("What do the words in the message say?");
    t.keys(&["Enter"]); // relay access denied
    t.wait_for("Where did you see the error?");
    t.keys(&["Enter"]); // a pop-up
    t.wait_for("What is sending the email that fails?");
    t.keys(&["Enter"]); // a mail program
    t.wait_for("Which program or app do you use");
    // Both digits in one write, as fast typing gives them.
    t.text("10");
    t.wait_for("› 10. ");
    t.keys(&["Enter"]);
    // The next question is drawn once the answer is recorded.
    let deadline = Instant::now() + WAIT;
    while t.screen().contains("Which program or app do you use") {
        assert!(Instant::now() < deadline, "still at the program list");
        std::thread::sleep(Duration::from_millis(50));
    }
    // The next question may be a text box, where q is typed: Ctrl-C quits anywhere.
    t.keys(&["C-c"]);
    assert_restored(&t, "130");
    let saved = only_session(&t.sessions_dir());
    let picked: Vec<&serde_json::Value> = events_of(&saved, "answer")
        .into_iter()
        .filter(|a| a["node"] == "q-client")
        .map(|a| &a["value"])
        .collect();
    assert_eq!(picked, [&serde_json::json!(tenth.value)], "{saved:#}");
}

#[test]
fn esc_on_the_first_question_keeps_the_paste_and_leaves_no_second_session() {
    let Some(t) = Tmux::start(80, 24) else {
        return;
    };
    t.run_relaydoc("--color never");
    t.wait_for("Start — answer a few questions");
    t.keys(&["2"]);
    t.wait_for("Paste the error message");
    t.paste(THREE_LINE_ERROR);
    t.wait_for("Relay access denied");
    t.keys(&["Enter"]);
    t.wait_for("Checks finished");
    t.keys(&["c"]);
    t.wait_for("Where did you see the error?");
    // Esc on the first question: back in the paste box, the text still there.
    t.keys(&["Escape"]);
    t.wait_for("Paste the error message");
    let screen = t.wait_for("Relay access denied");
    for line in THREE_LINE_ERROR.lines() {
        assert!(row_starts_with(&screen, line), "{line:?} lost:\n{screen}");
    }
    // The run left untouched is not kept as a session "stopped at" its first question.
    let saved: Vec<PathBuf> = std::fs::read_dir(t.sessions_dir())
        .map(|dir| dir.flatten().map(|entry| entry.path()).collect())
        .unwrap_or_default();
    assert!(
        saved
            .iter()
            .all(|path| path.extension().is_none_or(|ext| ext != "json")),
        "{saved:?}"
    );
    // Going on from the same text: one session in the end, with the whole text.
    t.keys(&["Enter"]);
    t.wait_for("Checks finished");
    t.keys(&["c"]);
    t.wait_for("Where did you see the error?");
    t.keys(&["Enter"]); // a pop-up
    t.wait_for("What is sending the email");
    t.keys(&["q"]);
    assert_restored(&t, "0");
    let session = only_session(&t.sessions_dir());
    assert!(
        events_of(&session, "answer")
            .iter()
            .any(|a| a["node"] == "q-where" && a["value"] == "client"),
        "{session:#}"
    );
    assert_eq!(
        session["initial_facts"]["error.text"], THREE_LINE_ERROR,
        "{session:#}"
    );
}

/// The scrolling text of a full-screen page: the rows between the title line (and the blank
/// row under it) and the key line, without the scroll bar at the right edge.
fn page_rows(screen: &str) -> Vec<String> {
    let lines: Vec<&str> = screen.lines().collect();
    let end = lines.len().saturating_sub(1);
    lines
        .get(2..end)
        .unwrap_or_default()
        .iter()
        .map(|line| {
            line.trim_end()
                .trim_end_matches(['↑', '↓', '█', '║'])
                .trim_end()
                .to_string()
        })
        .collect()
}

#[test]
fn page_down_on_a_long_solution_moves_by_a_visible_page() {
    let Some(t) = Tmux::start(80, 24) else {
        return;
    };
    t.run_relaydoc(
        "--color never wizard --fact client.id=thunderbird --fact account.email=anna@gmx.de \
         --fact client.smtp_auth=off --fact sender.kind=program --fact error.kind=relay \
         --fact error.where=client --fact users.affected=one",
    );
    t.wait_for("Start — answer a few questions");
    t.keys(&["Enter"]);
    t.wait_for("Which messages fail?");
    t.keys(&["Enter"]);
    t.wait_for("Turn on sign-in for the outgoing server");
    let before = page_rows(&t.wait_for("PgDn scroll"));
    let last = before
        .iter()
        .rev()
        .find(|row| !row.is_empty())
        .cloned()
        .expect("the solution shows text");
    assert!(
        before.iter().filter(|row| **row == last).count() == 1,
        "the last row is not unique: {before:#?}"
    );
    t.keys(&["PageDown"]);
    let deadline = Instant::now() + WAIT;
    // A capture can catch tmux mid-redraw under load: the page counts once two captures in a
    // row agree.
    let mut previous: Option<Vec<String>> = None;
    let after = loop {
        let rows = page_rows(&t.screen());
        if rows != before && rows.iter().any(|row| !row.is_empty()) {
            if previous.as_ref() == Some(&rows) {
                break rows;
            }
            previous = Some(rows);
            std::thread::sleep(Duration::from_millis(100));
            continue;
        }
        previous = None;
        assert!(
            Instant::now() < deadline,
            "PgDn did not scroll: {before:#?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    // A page: what was the last row is now at the top (at most two rows kept for context),
    // or just above it, one Up away.
    let kept = after.iter().position(|row| *row == last);
    let moved_a_page = match kept {
        Some(row) => row <= 2,
        None => {
            t.keys(&["Up"]);
            let deadline = Instant::now() + WAIT;
            loop {
                let rows = page_rows(&t.screen());
                if rows != after {
                    std::thread::sleep(Duration::from_millis(100));
                    if page_rows(&t.screen()) != rows {
                        continue;
                    }
                    break rows.iter().position(|row| *row == last) == Some(0);
                }
                assert!(Instant::now() < deadline, "Up did not scroll");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    };
    assert!(
        moved_a_page,
        "PgDn did not move by the page shown.\nBefore: {before:#?}\nAfter: {after:#?}"
    );
    t.keys(&["q"]);
    assert_restored(&t, "0");
}

/// The helpdesk case where the TUI once "closed by itself": a bounce pasted from a terminal
/// without bracketed paste arrives as bare keys. Its first line break must not submit the box
/// and the rest must not act as commands (a `q` in the text would quit): the burst is read as
/// one paste, kept whole in the box.
#[test]
fn an_unbracketed_multi_line_paste_stays_text_and_never_quits() {
    let Some(t) = Tmux::start(80, 24) else {
        return;
    };
    t.run_relaydoc("wizard --agent --caller T-17 --color never");
    t.wait_for("Do you still have the error message?");
    // "q" alone on a line, and digits: as commands they would quit or answer questions.
    let bounce = "Sending failed.\nq\n554 5.7.1 <bob@example.org>: Relay access denied\n2";
    t.paste_unbracketed(bounce);
    let screen = t.wait_for("Relay access denied");
    assert!(row_starts_with(&screen, "Sending failed."), "{screen}");
    assert!(row_starts_with(&screen, "554 5.7.1"), "{screen}");
    // Still in the box, still running: Enter now submits the whole text.
    assert!(
        screen.contains("Do you still have the error message?"),
        "{screen}"
    );
    assert_eq!(submit_and_quit(&t), [bounce]);
}

/// Enter in the helpdesk error box, then quit once the text was read: the error texts the
/// saved session kept.
fn submit_and_quit(t: &Tmux) -> Vec<String> {
    t.keys(&["Enter"]);
    t.wait_for("Checks finished");
    t.keys(&["q"]);
    assert_restored(t, "0");
    let saved = only_session(&t.sessions_dir());
    events_of(&saved, "answer")
        .iter()
        .filter(|a| a["fact"] == "error.text")
        .filter_map(|a| a["value"].as_str().map(str::to_owned))
        .collect()
}
