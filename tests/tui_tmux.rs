//! The TUI in a real terminal: the real binary runs in tmux, keys are typed as a person would,
//! and the screen is read back with `capture-pane`.
//!
//! Each test has its own tmux server (`-L relaydoc-test-<pid>-<n>`, no user config) and its
//! own empty HOME and XDG dirs, and kills its server when done, even when it fails. Without
//! tmux the tests print SKIPPED, unless `RELAYDOC_REQUIRE_LAB=1` or `CI` is set: then a missing
//! tmux fails loudly (tests/run.sh installs it). Run: `cargo test --test tui_tmux`.

use std::path::Path;
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

    fn run_relaydoc(&self, args: &str) {
        let binary = Path::new(env!("CARGO_BIN_EXE_relaydoc"));
        self.text(&format!(
            "{} {args}; echo relaydoc-exited=$?",
            binary.display()
        ));
        self.keys(&["Enter"]);
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

/// After the TUI ends: the shell is back, the alternate screen is gone, the TUI is not drawn.
fn assert_restored(tmux: &Tmux, exit: &str) {
    tmux.wait_for(&format!("relaydoc-exited={exit}"));
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
    t.wait_for("Which mail program or app");
    // Thunderbird is the tenth program, just above "Another program, or I'm not sure".
    t.keys(&["End", "Up", "Enter"]);
    t.wait_for("What is your email address?");
    t.text("me@gmail.com");
    t.wait_for("me@gmail.com");
    t.keys(&["Enter"]);
    t.wait_for("only to you, or to everyone");
    t.keys(&["Enter"]);
    t.wait_for("Which messages fail?");
    t.keys(&["Enter"]);
    t.wait_for("Use user name and password");
    t.wait_for("Where to look");
    t.keys(&["Escape"]);
    t.wait_for("Which messages fail?");
    t.keys(&["Enter"]);
    t.wait_for("Use user name and password");
    t.keys(&["2", "Enter"]);
    // A capture can catch a frame half drawn, so each part is waited for.
    t.wait_for("Turn on sign-in for the outgoing server");
    t.wait_for("steps for Thunderbird");
    t.wait_for("Settings to use (Gmail");
    t.wait_for("smtp.gmail.com");

    // The client switcher: Apple Mail is the first program.
    t.keys(&["c"]);
    t.wait_for("Which program do you send with?");
    for _ in 0..9 {
        t.keys(&["Up"]);
    }
    t.keys(&["Enter"]);
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
    t.wait_for("Use user name and password");
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
    assert!(
        !t.alternate_screen_on(),
        "--plain must not take over the screen"
    );
    t.keys(&["C-c"]);
    t.wait_for("relaydoc-exited=130");
}
