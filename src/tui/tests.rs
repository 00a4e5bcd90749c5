//! The TUI without a terminal: key handling through the pure `update`, and every screen
//! rendered into ratatui's `TestBackend` and compared with reviewed snapshots (80×24 and
//! 140×40). Live checks are canned reports, delivered as the event loop would deliver them.

use std::sync::OnceLock;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::checks::{CheckDone, CheckJob};
use super::model::{Cmd, Ending, Model, Msg, RowState, Screen, Stage, update};
use super::theme::Theme;
use super::view::view;
use crate::checks::{CheckReport, Status};
use crate::engine::{Facts, State};
use crate::knowledge::Knowledge;
use crate::knowledge::model::NodeBody;
use crate::knowledge::source::{SourceFile, bundled_files};

const SIZES: [(u16, u16); 2] = [(80, 24), (140, 40)];

fn bundled() -> &'static Knowledge {
    static KB: OnceLock<Knowledge> = OnceLock::new();
    KB.get_or_init(|| crate::knowledge::bundled().expect("bundled knowledge is valid"))
}

/// The bundled facts, causes and clients with a tiny tree that asks for a password and runs a
/// live check: the bundled tree has no check nodes yet.
const CHECK_TREE: &str = r#"
nodes:
  - id: start
    kind: input
    title: Your email address
    fact: account.email
    text: What is your email address?
    placeholder: you@example.com
    next: i-password
    unknown: s-auth-off
  - id: i-password
    kind: input
    title: Your password
    fact: account.password
    secret: true
    text: What is your email password? It is only used for the sign-in test.
    next: c-auth
    unknown: s-auth-off
  - id: c-auth
    kind: check
    title: Sign-in test
    text: Signing in to your outgoing server with your address and password.
    check: auth
    with: {user: account.email, password: account.password}
    sets: [server.auth_works]
    branches:
      - when: {server.auth_works: "no"}
        next: s-wrong-password
    otherwise: s-auth-off
  - id: s-auth-off
    kind: solution
    cause: client-auth-off
    title: Turn on sign-in
    text: Fixture solution.
    steps:
      - say: Turn it on.
  - id: s-wrong-password
    kind: solution
    cause: wrong-credentials
    title: Type the password again
    text: The server refused the password.
    steps:
      - say: Type it again.
"#;

fn with_checks() -> &'static Knowledge {
    static KB: OnceLock<Knowledge> = OnceLock::new();
    KB.get_or_init(|| {
        let mut files: Vec<SourceFile> = bundled_files()
            .into_iter()
            .filter(|file| !file.relative.starts_with("tree/"))
            .collect();
        files.push(SourceFile {
            name: "fixture:tree/check.yaml".into(),
            relative: "tree/check.yaml".into(),
            text: CHECK_TREE.into(),
            layer: 0,
        });
        crate::knowledge::build::build(&files).unwrap_or_else(|problems| {
            panic!(
                "fixture knowledge: {}",
                problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        })
    })
}

fn model(knowledge: &Knowledge, size: (u16, u16)) -> Model<'_> {
    Model::new(knowledge, Facts::new(), Theme::new(false), size)
}

fn key(model: &mut Model<'_>, code: KeyCode) -> Option<Cmd> {
    update(model, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn ctrl(model: &mut Model<'_>, c: char) -> Option<Cmd> {
    update(
        model,
        Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)),
    )
}

fn type_text(model: &mut Model<'_>, text: &str) {
    for c in text.chars() {
        key(model, KeyCode::Char(c));
    }
}

fn node_id(model: &Model<'_>) -> String {
    let session = model.session.as_ref().expect("a wizard run");
    session
        .wizard()
        .current()
        .map(|node| node.id.clone())
        .unwrap_or_default()
}

fn stage<'a>(model: &'a Model<'_>) -> &'a Stage {
    &model.session.as_ref().expect("a wizard run").stage
}

fn render(model: &Model<'_>) -> Terminal<TestBackend> {
    let (width, height) = model.size;
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    terminal.draw(|frame| view(model, frame)).expect("draw");
    terminal
}

fn snapshot(name: &str, model: &Model<'_>) {
    let (width, height) = model.size;
    let terminal = render(model);
    insta::assert_snapshot!(format!("{name}_{width}x{height}"), terminal.backend());
}

/// Start → relay → pop-up → Thunderbird → me@gmail.com → only me → all external → auth
/// off: the commonest path, ending at `s-client-auth-off`.
fn walk_to_solution(model: &mut Model<'_>) {
    key(model, KeyCode::Enter); // Home: start
    key(model, KeyCode::Enter); // relay access denied
    key(model, KeyCode::Enter); // a pop-up in my mail program
    key(model, KeyCode::Enter); // what is sending: a mail program
    // Thunderbird, wherever it stands in the list (guides are added over time).
    let thunderbird = {
        let kb = bundled();
        let node = kb.node(kb.node_id("q-client").expect("q-client"));
        match &node.body {
            NodeBody::Question { choices, .. } => choices
                .iter()
                .position(|choice| choice.value == "thunderbird")
                .expect("thunderbird is a choice"),
            _ => panic!("q-client is a question"),
        }
    };
    for _ in 0..thunderbird {
        key(model, KeyCode::Down);
    }
    key(model, KeyCode::Enter);
    type_text(model, "me@gmail.com");
    key(model, KeyCode::Enter);
    key(model, KeyCode::Enter); // only me
    key(model, KeyCode::Enter); // every outside address fails
    assert_eq!(node_id(model), "q-smtp-auth");
    key(model, KeyCode::Char('2')); // turned off
    key(model, KeyCode::Enter);
    assert_eq!(node_id(model), "s-client-auth-off");
}

fn canned(ticket: u64, status: Status, facts: &[(&str, &str)], details: serde_json::Value) -> Msg {
    Msg::CheckDone(CheckDone {
        ticket,
        report: CheckReport {
            check: "auth".into(),
            status,
            facts: facts
                .iter()
                .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
                .collect(),
            details,
        },
        elapsed: Duration::from_millis(1340),
    })
}

/// Email and password typed; the check is running. Returns its job.
fn start_check(model: &mut Model<'_>) -> CheckJob {
    key(model, KeyCode::Enter); // Home: start
    type_text(model, "me@example.test");
    key(model, KeyCode::Enter);
    type_text(model, "s3cret-pw");
    match key(model, KeyCode::Enter) {
        Some(Cmd::RunChecks(mut jobs)) => {
            assert_eq!(jobs.len(), 1);
            jobs.remove(0)
        }
        other => panic!("expected a check to run, got {other:?}"),
    }
}

// --- key handling ---------------------------------------------------------------------------

#[test]
fn home_moves_clamps_and_opens_each_entry() {
    let mut m = model(bundled(), (80, 24));
    key(&mut m, KeyCode::Up);
    assert_eq!(m.screen, Screen::Home { selected: 0 });
    for _ in 0..10 {
        key(&mut m, KeyCode::Down);
    }
    assert_eq!(m.screen, Screen::Home { selected: 6 });
    key(&mut m, KeyCode::Char('2'));
    assert!(matches!(m.screen, Screen::Paste { .. }));
    key(&mut m, KeyCode::Esc);
    assert_eq!(m.screen, Screen::Home { selected: 1 });
    key(&mut m, KeyCode::Char('3'));
    assert!(matches!(m.screen, Screen::Account(_)));
    key(&mut m, KeyCode::Esc);
    assert_eq!(m.screen, Screen::Home { selected: 2 });
    key(&mut m, KeyCode::Char('4'));
    assert!(matches!(m.screen, Screen::Browse(_)));
    key(&mut m, KeyCode::Esc);
    assert_eq!(m.screen, Screen::Home { selected: 3 });
    key(&mut m, KeyCode::Char('6'));
    assert!(matches!(m.screen, Screen::SavedSessions(_)));
    key(&mut m, KeyCode::Esc);
    assert_eq!(m.screen, Screen::Home { selected: 5 });
    assert_eq!(key(&mut m, KeyCode::Char('q')), Some(Cmd::Quit));
    assert_eq!(m.ending, Some(Ending::Quit));
}

#[test]
fn ctrl_c_interrupts_from_any_screen_even_while_typing() {
    let mut m = model(bundled(), (80, 24));
    key(&mut m, KeyCode::Char('2'));
    type_text(&mut m, "abc");
    assert_eq!(ctrl(&mut m, 'c'), Some(Cmd::Quit));
    assert_eq!(m.ending, Some(Ending::Interrupted));
}

#[test]
fn pasted_error_becomes_the_error_text_fact_without_control_sequences() {
    let mut m = model(bundled(), (80, 24));
    key(&mut m, KeyCode::Char('2'));
    update(
        &mut m,
        Msg::Paste("554 5.7.1 <a@b.test>: \u{1b}[31mRelay access denied\u{1b}]0;x\u{7}\n".into()),
    );
    type_text(&mut m, " q?");
    key(&mut m, KeyCode::Enter);
    assert_eq!(m.screen, Screen::Wizard);
    let facts = m.session.as_ref().expect("run").wizard().facts();
    assert_eq!(
        facts.get("error.text").map(String::as_str),
        Some("554 5.7.1 <a@b.test>: Relay access denied\n q?")
    );
}

#[test]
fn an_empty_paste_starts_without_error_text() {
    let mut m = model(bundled(), (80, 24));
    key(&mut m, KeyCode::Char('2'));
    key(&mut m, KeyCode::Enter);
    let facts = m.session.as_ref().expect("run").wizard().facts();
    // No text: the tree's own "paste it here" step is answered "don't know", not asked.
    assert_eq!(facts.get("error.text").map(String::as_str), Some("unknown"));
    assert_eq!(node_id(&m), "q-error-kind");
}

#[test]
fn question_keys_answer_dont_know_back_restart_and_why() {
    let mut m = model(bundled(), (80, 24));
    key(&mut m, KeyCode::Enter);
    assert_eq!(node_id(&m), "q-error-kind");
    key(&mut m, KeyCode::Tab);
    assert!(matches!(stage(&m), Stage::Question(ui) if ui.show_why));
    key(&mut m, KeyCode::Tab);
    assert!(matches!(stage(&m), Stage::Question(ui) if !ui.show_why));
    // 0 picks "I don't know": its unknown branch is q-where.
    key(&mut m, KeyCode::Char('0'));
    key(&mut m, KeyCode::Enter);
    assert_eq!(node_id(&m), "q-where");
    let facts = m.session.as_ref().expect("run").wizard().facts();
    assert_eq!(facts.get("error.kind").map(String::as_str), Some("unknown"));
    key(&mut m, KeyCode::Char('2'));
    key(&mut m, KeyCode::Enter);
    assert_eq!(node_id(&m), "q-bounce-code");
    key(&mut m, KeyCode::Esc);
    assert_eq!(node_id(&m), "q-where");
    assert!(
        matches!(stage(&m), Stage::Question(ui) if ui.selected == 1),
        "Back shows the answer given before"
    );
    key(&mut m, KeyCode::Backspace);
    assert_eq!(node_id(&m), "q-error-kind");
    key(&mut m, KeyCode::Enter);
    key(&mut m, KeyCode::Char('r'));
    assert_eq!(node_id(&m), "q-error-kind");
    assert!(!m.session.as_ref().expect("run").wizard().can_go_back());
    // Back from the first question goes home.
    key(&mut m, KeyCode::Esc);
    assert!(matches!(m.screen, Screen::Home { .. }));
    assert!(m.session.is_none());
}

#[test]
fn selection_stays_within_the_choices() {
    let mut m = model(bundled(), (80, 24));
    key(&mut m, KeyCode::Enter);
    for _ in 0..20 {
        key(&mut m, KeyCode::Down);
    }
    // The first question has five choices and "I don't know".
    assert!(matches!(stage(&m), Stage::Question(ui) if ui.selected == 5));
    key(&mut m, KeyCode::Char('9'));
    assert!(matches!(stage(&m), Stage::Question(ui) if ui.selected == 5));
    key(&mut m, KeyCode::Home);
    assert!(matches!(stage(&m), Stage::Question(ui) if ui.selected == 0));
}

#[test]
fn text_inputs_take_letters_as_text_and_empty_enter_skips() {
    let mut m = model(bundled(), (80, 24));
    key(&mut m, KeyCode::Enter);
    key(&mut m, KeyCode::Enter);
    key(&mut m, KeyCode::Enter);
    key(&mut m, KeyCode::Enter); // what is sending: a mail program
    key(&mut m, KeyCode::Down);
    key(&mut m, KeyCode::Enter); // Apple Mail, after Airmail
    assert_eq!(node_id(&m), "i-email");
    // q, r, b, / and ? are letters here, not commands.
    type_text(&mut m, "qrb/?x");
    assert!(m.ending.is_none());
    assert!(!m.help_open);
    assert!(matches!(stage(&m), Stage::Question(ui) if ui.input == "qrb/?x"));
    key(&mut m, KeyCode::Backspace);
    ctrl(&mut m, 'u');
    assert!(matches!(stage(&m), Stage::Question(ui) if ui.input.is_empty()));
    key(&mut m, KeyCode::Enter);
    assert_eq!(node_id(&m), "q-users");
    let session = m.session.as_ref().expect("run");
    assert!(
        session
            .wizard()
            .missing()
            .any(|fact| fact == "account.email")
    );
    key(&mut m, KeyCode::Esc);
    assert_eq!(node_id(&m), "i-email");
    type_text(&mut m, "me@example.test");
    key(&mut m, KeyCode::Enter);
    key(&mut m, KeyCode::Esc);
    assert!(
        matches!(stage(&m), Stage::Question(ui) if ui.input == "me@example.test"),
        "Back shows the address typed before"
    );
    // Ctrl-R restarts from inside a text box too.
    ctrl(&mut m, 'r');
    assert_eq!(node_id(&m), "q-error-kind");
}

#[test]
fn help_overlay_opens_and_any_key_closes_it() {
    let mut m = model(bundled(), (80, 24));
    key(&mut m, KeyCode::Char('?'));
    assert!(m.help_open);
    key(&mut m, KeyCode::Char('q'));
    assert!(!m.help_open);
    assert!(m.ending.is_none(), "the closing key does nothing else");
    key(&mut m, KeyCode::F(1));
    assert!(m.help_open);
}

#[test]
fn solution_client_switcher_and_scrolling_stop_at_the_end() {
    let mut m = model(bundled(), (80, 24));
    walk_to_solution(&mut m);
    key(&mut m, KeyCode::Char('c'));
    let Stage::Solution(ui) = stage(&m) else {
        panic!("not on the solution")
    };
    let thunderbird = bundled()
        .clients
        .iter()
        .position(|c| c.id == "thunderbird")
        .expect("thunderbird");
    assert_eq!(
        ui.picker,
        Some(thunderbird),
        "opens on the person's program"
    );
    key(&mut m, KeyCode::Home);
    for _ in 0..thunderbird {
        key(&mut m, KeyCode::Up);
    }
    key(&mut m, KeyCode::Enter); // the first program
    let Stage::Solution(ui) = stage(&m) else {
        panic!("not on the solution")
    };
    assert_eq!(ui.client.as_deref(), Some(bundled().clients[0].id.as_str()));
    assert_eq!(ui.picker, None);
    for _ in 0..500 {
        key(&mut m, KeyCode::Down);
    }
    let Stage::Solution(ui) = stage(&m) else {
        panic!("not on the solution")
    };
    let scroll_at_end = ui.scroll;
    assert!(scroll_at_end > 0);
    key(&mut m, KeyCode::End);
    assert!(matches!(stage(&m), Stage::Solution(ui) if ui.scroll == scroll_at_end));
    key(&mut m, KeyCode::Char('g'));
    assert!(matches!(stage(&m), Stage::Solution(ui) if ui.scroll == 0));
    // Back returns to the last question.
    key(&mut m, KeyCode::Esc);
    assert_eq!(node_id(&m), "q-smtp-auth");
}

#[test]
fn quitting_on_a_solution_reports_the_conclusion() {
    let mut m = model(bundled(), (80, 24));
    walk_to_solution(&mut m);
    assert_eq!(key(&mut m, KeyCode::Char('q')), Some(Cmd::Quit));
    assert_eq!(
        m.ending,
        Some(Ending::Concluded("s-client-auth-off".into()))
    );
}

#[test]
fn browse_searches_as_you_type_opens_and_closes_articles() {
    let mut m = model(bundled(), (80, 24));
    key(&mut m, KeyCode::Char('4'));
    let Screen::Browse(browse) = &m.screen else {
        panic!("not browsing")
    };
    assert_eq!(
        browse.hits.len(),
        bundled().causes.len(),
        "empty query lists causes"
    );
    type_text(&mut m, "thunderbird");
    let Screen::Browse(browse) = &m.screen else {
        panic!("not browsing")
    };
    assert!(browse.hits.iter().any(|hit| hit.id == "thunderbird"));
    key(&mut m, KeyCode::Enter);
    let Screen::Browse(browse) = &m.screen else {
        panic!("not browsing")
    };
    assert!(browse.article.is_some());
    key(&mut m, KeyCode::PageDown);
    assert!(matches!(&m.screen, Screen::Browse(b) if b.article.as_ref().is_some_and(|a| a.1 > 0)));
    key(&mut m, KeyCode::Esc);
    assert!(matches!(&m.screen, Screen::Browse(b) if b.article.is_none()));
    key(&mut m, KeyCode::Esc);
    assert!(matches!(m.screen, Screen::Home { .. }));
}

#[test]
fn browse_from_the_wizard_returns_to_the_same_question() {
    let mut m = model(bundled(), (80, 24));
    key(&mut m, KeyCode::Enter);
    key(&mut m, KeyCode::Enter);
    key(&mut m, KeyCode::Char('/'));
    assert!(matches!(m.screen, Screen::Browse(_)));
    key(&mut m, KeyCode::Esc);
    assert_eq!(m.screen, Screen::Wizard);
    assert_eq!(node_id(&m), "q-where");
}

#[test]
fn the_password_from_the_environment_answers_the_first_password_question() {
    let mut m = model(with_checks(), (80, 24));
    m.env_password = Some(crate::vocab::Secret::new("from-env-pw"));
    key(&mut m, KeyCode::Enter); // Home: start
    type_text(&mut m, "me@example.test");
    let Some(Cmd::RunChecks(jobs)) = key(&mut m, KeyCode::Enter) else {
        panic!("the sign-in test starts without asking for the password")
    };
    assert_eq!(
        jobs[0]
            .request
            .secrets
            .get("password")
            .map(crate::vocab::Secret::expose),
        Some("from-env-pw")
    );
    assert!(m.env_password.is_none(), "used once");
    let status = m
        .status
        .as_ref()
        .map(|s| s.text.as_str())
        .unwrap_or_default();
    assert!(status.contains("RELAYDOC_PASSWORD"), "{status}");
}

#[test]
fn secrets_are_masked_never_facts_and_checks_run_off_the_update() {
    let mut m = model(with_checks(), (80, 24));
    let job = start_check(&mut m);
    assert_eq!(job.request.check, "auth");
    assert_eq!(
        job.request
            .secrets
            .get("password")
            .map(crate::vocab::Secret::expose),
        Some("s3cret-pw")
    );
    assert!(!job.request.params.contains_key("password"));
    assert!(!format!("{:?}", job.request).contains("s3cret-pw"));
    let session = m.session.as_ref().expect("run");
    assert!(
        !session
            .wizard()
            .facts()
            .values()
            .any(|v| v.contains("s3cret"))
    );
    assert!(matches!(session.wizard().state(), State::Checking(_)));
    assert!(m.animating());
    let screen = format!("{}", render(&m).backend());
    assert!(!screen.contains("s3cret"), "{screen}");

    // The report comes back; the screen stays on the results until the person continues.
    let before = m.spinner;
    let later = m.now + Duration::from_millis(100);
    update(&mut m, Msg::Tick(later));
    assert_eq!(m.spinner, before + 1);
    update(
        &mut m,
        canned(
            job.ticket,
            Status::Problem,
            &[("server.auth_works", "no")],
            serde_json::json!({
                "summary": "the server refused the password",
                // As a check delivers it: a server's echo of the password is masked by the
                // check's own connection (tests/signin.rs, an echoing server).
                "transcript": ["AUTH PLAIN", "535 5.7.8 bad password ********"],
            }),
        ),
    );
    assert!(!m.animating());
    assert!(matches!(stage(&m), Stage::Checks(_)));
    assert_eq!(node_id(&m), "s-wrong-password");
    let session = m.session.as_ref().expect("run");
    let RowState::Done {
        evidence, summary, ..
    } = &session.checks[0].state
    else {
        panic!("row not done")
    };
    assert_eq!(summary, "the server refused the password");
    assert!(evidence.iter().any(|line| line.contains("********")));
    assert!(!evidence.iter().any(|line| line.contains("s3cret")));

    key(&mut m, KeyCode::Enter);
    assert!(matches!(stage(&m), Stage::Checks(ui) if ui.evidence.is_some()));
    key(&mut m, KeyCode::Esc);
    assert!(matches!(stage(&m), Stage::Checks(ui) if ui.evidence.is_none()));
    key(&mut m, KeyCode::Char('c'));
    assert!(matches!(stage(&m), Stage::Solution(_)));
}

#[test]
fn a_check_that_cannot_run_takes_the_fallback() {
    let mut m = model(with_checks(), (80, 24));
    let job = start_check(&mut m);
    update(
        &mut m,
        canned(
            job.ticket,
            Status::Error,
            &[],
            serde_json::json!({"summary": "timed out"}),
        ),
    );
    key(&mut m, KeyCode::Right);
    assert_eq!(node_id(&m), "s-auth-off");
}

#[test]
fn esc_cancels_a_running_check_at_once_and_its_late_report_is_ignored() {
    let mut m = model(with_checks(), (80, 24));
    let job = start_check(&mut m);
    // Continue is refused while the check runs.
    key(&mut m, KeyCode::Char('c'));
    assert!(matches!(stage(&m), Stage::Checks(_)));
    key(&mut m, KeyCode::Esc);
    assert_eq!(node_id(&m), "i-password");
    assert!(matches!(stage(&m), Stage::Question(_)));
    assert!(!m.animating());
    let session = m.session.as_ref().expect("run");
    assert!(matches!(
        session.checks[0].state,
        RowState::Cancelled { .. }
    ));
    assert_eq!(session.wizard().secret("account.password"), None);
    assert_eq!(
        update(
            &mut m,
            canned(job.ticket, Status::Ok, &[], serde_json::Value::Null)
        ),
        None
    );
    assert_eq!(node_id(&m), "i-password");
}

// --- snapshots ------------------------------------------------------------------------------

#[test]
fn snapshot_home_and_help() {
    for size in SIZES {
        let mut m = model(bundled(), size);
        snapshot("home", &m);
        key(&mut m, KeyCode::Char('?'));
        snapshot("help", &m);
    }
}

#[test]
fn snapshot_too_small() {
    let m = model(bundled(), (60, 18));
    snapshot("too_small", &m);
}

#[test]
fn snapshot_paste() {
    for size in SIZES {
        let mut m = model(bundled(), size);
        key(&mut m, KeyCode::Char('2'));
        update(
            &mut m,
            Msg::Paste(
                "Sending failed: 554 5.7.1 <friend@example.org>: Relay access denied".into(),
            ),
        );
        snapshot("paste", &m);
    }
}

#[test]
fn snapshot_questions() {
    for size in SIZES {
        let mut m = model(bundled(), size);
        key(&mut m, KeyCode::Enter);
        snapshot("question_first", &m);
        key(&mut m, KeyCode::Tab);
        key(&mut m, KeyCode::Down);
        snapshot("question_why", &m);
        key(&mut m, KeyCode::Up);
        key(&mut m, KeyCode::Enter);
        key(&mut m, KeyCode::Enter);
        snapshot("question_sender_kind", &m);
        key(&mut m, KeyCode::Enter); // a mail program
        snapshot("question_clients", &m);
        for _ in 0..12 {
            key(&mut m, KeyCode::Down);
        }
        key(&mut m, KeyCode::Enter);
        type_text(&mut m, "me@gmail.com");
        snapshot("question_input", &m);
        key(&mut m, KeyCode::Enter);
        key(&mut m, KeyCode::Enter);
        key(&mut m, KeyCode::Enter);
        snapshot("question_where_to_look", &m);
        key(&mut m, KeyCode::Tab);
        snapshot("question_where_to_look_and_why", &m);
    }
}

#[test]
fn snapshot_secret_input_and_checks() {
    for size in SIZES {
        let mut m = model(with_checks(), size);
        key(&mut m, KeyCode::Enter);
        type_text(&mut m, "me@example.test");
        key(&mut m, KeyCode::Enter);
        type_text(&mut m, "s3cret-pw");
        snapshot("question_secret", &m);
        let Some(Cmd::RunChecks(jobs)) = key(&mut m, KeyCode::Enter) else {
            panic!("no check")
        };
        let later = m.now + Duration::from_millis(1200);
        update(&mut m, Msg::Tick(later));
        snapshot("checks_running", &m);
        update(
            &mut m,
            canned(
                jobs[0].ticket,
                Status::Problem,
                &[("server.auth_works", "no")],
                serde_json::json!({
                    "summary": "the server refused the user name or password",
                    "transcript": ["C: EHLO relaydoc", "S: 250-AUTH PLAIN LOGIN", "C: AUTH PLAIN ********", "S: 535 5.7.8 Authentication failed"],
                }),
            ),
        );
        snapshot("checks_done", &m);
        key(&mut m, KeyCode::Enter);
        snapshot("checks_evidence", &m);
    }
}

#[test]
fn snapshot_solutions() {
    for size in SIZES {
        let mut m = model(bundled(), size);
        walk_to_solution(&mut m);
        snapshot("solution", &m);
        key(&mut m, KeyCode::PageDown);
        key(&mut m, KeyCode::PageDown);
        snapshot("solution_scrolled", &m);
        key(&mut m, KeyCode::Char('c'));
        snapshot("solution_switcher", &m);
    }
}

#[test]
fn snapshot_handoff() {
    for size in SIZES {
        let mut m = model(bundled(), size);
        key(&mut m, KeyCode::Enter);
        key(&mut m, KeyCode::Enter); // relay
        key(&mut m, KeyCode::Enter); // pop-up
        key(&mut m, KeyCode::Enter); // what is sending: a mail program
        key(&mut m, KeyCode::Down);
        key(&mut m, KeyCode::Enter); // Apple Mail, after Airmail
        key(&mut m, KeyCode::Enter); // no address
        key(&mut m, KeyCode::Char('2')); // everyone
        key(&mut m, KeyCode::Enter);
        key(&mut m, KeyCode::Char('2')); // someone else runs the server
        key(&mut m, KeyCode::Enter);
        assert_eq!(node_id(&m), "h-provider-server-side");
        key(&mut m, KeyCode::End);
        snapshot("handoff_end", &m);
    }
}

#[test]
fn snapshot_browse() {
    for size in SIZES {
        let mut m = model(bundled(), size);
        key(&mut m, KeyCode::Char('4'));
        snapshot("browse_start", &m);
        type_text(&mut m, "pop before smtp");
        snapshot("browse_results", &m);
        key(&mut m, KeyCode::Enter);
        snapshot("browse_article", &m);
    }
}

// --- checks off the UI thread ---------------------------------------------------------------

/// A runner that takes its time, like a real network check.
/// Holds a runner inside its check until the test opens it, so a test can see what the
/// caller got back while the check is still running — no clocks involved.
struct Gate(std::sync::Mutex<std::sync::mpsc::Receiver<()>>);

impl Gate {
    fn new() -> (std::sync::mpsc::Sender<()>, Self) {
        let (open, wait) = std::sync::mpsc::channel();
        (open, Self(std::sync::Mutex::new(wait)))
    }

    /// Waits for the test to open the gate; gives up after a while so a broken test fails
    /// instead of hanging.
    fn wait(&self) {
        if let Ok(receiver) = self.0.lock() {
            let _ = receiver.recv_timeout(Duration::from_secs(10));
        }
    }
}

struct SlowRunner(Gate);

impl crate::wizard::Checks for SlowRunner {
    fn run(&self, request: &crate::engine::CheckRequest) -> CheckReport {
        self.0.wait();
        CheckReport {
            check: request.check.clone(),
            status: Status::Ok,
            facts: [("server.auth_works".to_string(), "yes".to_string())].into(),
            details: serde_json::json!({"summary": "signed in"}),
        }
    }
}

#[test]
fn spawned_checks_report_back_on_the_channel_without_blocking_the_caller() {
    let mut m = model(with_checks(), (80, 24));
    let job = start_check(&mut m);
    let ticket = job.ticket;
    let (sender, receiver) = std::sync::mpsc::channel();
    let (open, gate) = Gate::new();
    super::checks::spawn(
        std::sync::Arc::new(SlowRunner(gate)),
        job,
        sender,
        Msg::CheckDone,
    );
    // spawn has returned while the check still waits at the gate: it did not block.
    assert!(receiver.try_recv().is_err(), "spawn waited for the check");
    open.send(()).expect("the check is waiting");
    let msg = receiver
        .recv_timeout(Duration::from_secs(5))
        .expect("the report arrives");
    assert!(matches!(&msg, Msg::CheckDone(done) if done.ticket == ticket));
    update(&mut m, msg);
    key(&mut m, KeyCode::Char('c'));
    assert_eq!(node_id(&m), "s-auth-off");
}

#[test]
fn without_live_checks_the_wizard_takes_the_fallback() {
    let mut m = model(with_checks(), (80, 24));
    let job = start_check(&mut m);
    let (sender, receiver) = std::sync::mpsc::channel();
    super::checks::spawn(
        std::sync::Arc::new(crate::wizard::NoChecks),
        job,
        sender,
        Msg::CheckDone,
    );
    let msg = receiver
        .recv_timeout(Duration::from_secs(5))
        .expect("the report arrives");
    update(&mut m, msg);
    let session = m.session.as_ref().expect("run");
    assert!(matches!(
        &session.checks[0].state,
        RowState::Done { status: Status::Error, summary, .. } if summary.contains("not available")
    ));
    key(&mut m, KeyCode::Char('c'));
    assert_eq!(node_id(&m), "s-auth-off");
}

// --- colour ---------------------------------------------------------------------------------

fn colours_used(m: &Model<'_>) -> bool {
    let terminal = render(m);
    terminal.backend().buffer().content().iter().any(|cell| {
        cell.fg != ratatui::style::Color::Reset || cell.bg != ratatui::style::Color::Reset
    })
}

#[test]
fn without_colour_no_cell_is_coloured_and_selection_still_shows() {
    let mut plain = model(bundled(), (80, 24));
    walk_to_solution(&mut plain);
    key(&mut plain, KeyCode::Char('c'));
    assert!(!colours_used(&plain));
    let terminal = render(&plain);
    assert!(
        terminal
            .backend()
            .buffer()
            .content()
            .iter()
            .any(|cell| cell.modifier.contains(ratatui::style::Modifier::REVERSED)),
        "the highlighted entry must show without colour"
    );
    let mut coloured = Model::new(bundled(), Facts::new(), Theme::new(true), (80, 24));
    walk_to_solution(&mut coloured);
    assert!(colours_used(&coloured));
}

// --- check my account -----------------------------------------------------------------------

use super::checks::{AccountDone, AccountJob, AccountProgress};
use super::model::{AccountOutcome, AccountRowState};
use crate::checks::account::{
    AccountReport, CauseView, Event as AccountEvent, Settings, Skipped, Source, SubCheck,
};

/// Home → "Check my account" → the address typed, not yet checked.
fn account_screen(size: (u16, u16), address: &str) -> Model<'static> {
    let mut m = model(bundled(), size);
    key(&mut m, KeyCode::Char('3'));
    type_text(&mut m, address);
    m
}

/// Enter on the address box: the job the event loop would start.
fn start_account(m: &mut Model<'_>) -> AccountJob {
    match key(m, KeyCode::Enter) {
        Some(Cmd::RunAccount(job)) => job,
        other => panic!("expected the account check to start, got {other:?}"),
    }
}

fn progress(ticket: u64, event: AccountEvent) -> Msg {
    Msg::AccountProgress(AccountProgress {
        ticket,
        event: Box::new(event),
    })
}

fn sub_check(id: &str, label: &str, status: Status, ms: f64, summary: &str) -> SubCheck {
    SubCheck {
        id: id.into(),
        label: label.into(),
        started_ms: 0.0,
        finished_ms: ms,
        elapsed_ms: ms,
        timed_out: false,
        report: CheckReport {
            check: id.into(),
            status,
            facts: Default::default(),
            details: serde_json::json!({
                "summary": summary,
                // Server text is untrusted: the escape must never reach the terminal.
                "transcript": ["S: 220 mail.example.com ESMTP\u{1b}[31m", "C: EHLO relaydoc.invalid"],
            }),
        },
    }
}

fn canned_settings() -> Settings {
    Settings {
        source: Source::Catalogue,
        provider: Some("example".into()),
        candidates: vec![crate::checks::account::Candidate {
            host: "smtp.example.com".into(),
            port: 587,
            security: crate::vocab::Security::Starttls,
        }],
        warning: None,
        pop_before_smtp: false,
        local_part_user: false,
    }
}

/// What `check account me@example.com` could report for a server that refuses to relay for
/// a sender who did not sign in.
fn canned_account_report() -> AccountReport {
    AccountReport {
        email: "me@example.com".into(),
        settings: canned_settings(),
        summary: vec![
            "The server refuses to pass mail on for someone who has not signed in.".into(),
        ],
        checks: vec![
            sub_check(
                "mx",
                "Where mail for example.com is delivered (MX)",
                Status::Ok,
                41.0,
                "mx1.example.com",
            ),
            sub_check(
                "srv",
                "Mail settings example.com publishes (SRV)",
                Status::Ok,
                38.0,
                "none published",
            ),
            sub_check(
                "host",
                "Address and reverse name of smtp.example.com",
                Status::Ok,
                55.0,
                "192.0.2.10, smtp.example.com",
            ),
            sub_check(
                "smtp",
                "Ports of smtp.example.com: answer, encryption, sign-in offered",
                Status::Ok,
                812.0,
                "587 answers, STARTTLS, sign-in offered",
            ),
            sub_check(
                "relay",
                "Sending to an outside address without signing in (nothing is sent)",
                Status::Problem,
                930.0,
                "554 5.7.1 Relay access denied",
            ),
            sub_check(
                "dnsbl",
                "smtp.example.com on spam blocklists",
                Status::Ok,
                240.0,
                "not listed",
            ),
        ],
        skipped: vec![Skipped {
            id: "login".into(),
            label: "Signing in, then sending to an outside address (nothing is sent)".into(),
            reason: "no password is asked for here".into(),
        }],
        total_ms: 1012.0,
        slowest: Some(("relay".into(), 930.0)),
        cause: Some(CauseView {
            id: "client-auth-off".into(),
            title: "Your mail program sends without signing in".into(),
            summary: "Your mail program is not set to sign in to the outgoing mail server, so \
                      the server does not know it is you and refuses to pass your message on."
                .into(),
            side: "client".into(),
        }),
        node: "s-client-auth-off".into(),
        path: Vec::new(),
        missing: Vec::new(),
        tree_facts: Facts::new(),
        facts: Facts::new(),
        status: Status::Problem,
    }
}

fn finish_account(m: &mut Model<'_>, ticket: u64, result: Result<AccountReport, String>) {
    update(
        m,
        Msg::AccountDone(AccountDone {
            ticket,
            result: result.map(Box::new),
            elapsed: Duration::from_millis(1012),
        }),
    );
}

fn account_run<'a>(m: &'a Model<'_>) -> &'a super::model::AccountRun {
    match &m.screen {
        Screen::Account(ui) => ui.run.as_ref().expect("a check started"),
        other => panic!("expected the account screen, got {other:?}"),
    }
}

#[test]
fn account_box_refuses_what_is_not_an_address_and_stays() {
    let mut m = account_screen((80, 24), "me at example");
    // Letters such as q are text here, not commands.
    assert_eq!(key(&mut m, KeyCode::Enter), None);
    let Screen::Account(ui) = &m.screen else {
        panic!("left the account screen");
    };
    assert_eq!(ui.input, "me at example");
    assert!(ui.run.is_none());
    assert!(
        ui.notice
            .as_deref()
            .is_some_and(|n| n.contains("no spaces"))
    );
    ctrl(&mut m, 'u');
    type_text(&mut m, "me@localhost");
    key(&mut m, KeyCode::Enter);
    assert!(
        matches!(&m.screen, Screen::Account(ui) if ui.notice.as_deref().is_some_and(|n| n.contains("dot")))
    );
    ctrl(&mut m, 'u');
    type_text(&mut m, "example.com");
    key(&mut m, KeyCode::Enter);
    assert!(
        matches!(&m.screen, Screen::Account(ui) if ui.notice.as_deref().is_some_and(|n| n.contains("@")))
    );
    key(&mut m, KeyCode::Esc);
    assert_eq!(m.screen, Screen::Home { selected: 2 });
}

#[test]
fn account_check_starts_off_the_update_and_shows_rows_as_they_come() {
    let mut m = account_screen((80, 24), " me@example.com ");
    let job = start_account(&mut m);
    assert_eq!(job.email, "me@example.com");
    assert!(
        m.animating(),
        "the spinner needs ticks while the check runs"
    );
    update(
        &mut m,
        progress(job.ticket, AccountEvent::Settings(canned_settings())),
    );
    update(
        &mut m,
        progress(
            job.ticket,
            AccountEvent::Started {
                id: "mx".into(),
                label: "Where mail goes (MX)".into(),
            },
        ),
    );
    update(
        &mut m,
        progress(
            job.ticket,
            AccountEvent::Started {
                id: "smtp".into(),
                label: "Ports".into(),
            },
        ),
    );
    update(
        &mut m,
        progress(
            job.ticket,
            AccountEvent::Finished {
                id: "mx".into(),
                status: Status::Ok,
                elapsed: Duration::from_millis(40),
                summary: "mx1.example.com".into(),
            },
        ),
    );
    let run = account_run(&m);
    assert!(run.settings[0].contains("smtp.example.com:587"));
    assert!(matches!(
        run.rows[0].state,
        AccountRowState::Done {
            status: Status::Ok,
            ..
        }
    ));
    assert_eq!(run.rows[1].state, AccountRowState::Running);
    // A running row has nothing to show yet.
    key(&mut m, KeyCode::Down);
    key(&mut m, KeyCode::Enter);
    assert!(account_run(&m).evidence.is_none());

    finish_account(&mut m, job.ticket, Ok(canned_account_report()));
    assert!(!m.animating());
    let run = account_run(&m);
    assert_eq!(
        run.rows.len(),
        7,
        "every sub-check and the skipped sign-in test"
    );
    assert!(
        matches!(&run.rows[6].state, AccountRowState::Skipped { reason } if reason.contains("password"))
    );
    assert!(matches!(
        &run.outcome,
        Some(AccountOutcome::Finished { cause: Some((title, _)), .. }) if title.contains("without signing in")
    ));
    // Evidence opens, is free of control characters, scrolls and closes.
    key(&mut m, KeyCode::Enter);
    let run = account_run(&m);
    assert_eq!(run.evidence, Some((1, 0)));
    let AccountRowState::Done { evidence, .. } = &run.rows[1].state else {
        panic!("row 1 finished");
    };
    assert!(evidence.iter().all(|line| !line.contains('\u{1b}')));
    key(&mut m, KeyCode::Esc);
    assert!(account_run(&m).evidence.is_none());
    // Another address.
    key(&mut m, KeyCode::Char('n'));
    assert!(
        matches!(&m.screen, Screen::Account(ui) if ui.run.is_none() && ui.input == " me@example.com ")
    );
}

#[test]
fn esc_leaves_a_running_account_check_and_its_late_report_is_ignored() {
    let mut m = account_screen((80, 24), "me@example.com");
    let job = start_account(&mut m);
    key(&mut m, KeyCode::Esc);
    assert_eq!(m.screen, Screen::Home { selected: 2 });
    update(
        &mut m,
        progress(
            job.ticket,
            AccountEvent::Started {
                id: "mx".into(),
                label: "MX".into(),
            },
        ),
    );
    finish_account(&mut m, job.ticket, Ok(canned_account_report()));
    assert_eq!(m.screen, Screen::Home { selected: 2 });
    // A new check does not take an old one's report either.
    key(&mut m, KeyCode::Enter);
    type_text(&mut m, "me@example.com");
    let second = start_account(&mut m);
    assert_ne!(second.ticket, job.ticket);
    finish_account(&mut m, job.ticket, Ok(canned_account_report()));
    assert!(account_run(&m).outcome.is_none());
}

#[test]
fn an_account_check_that_cannot_run_says_so_and_stops_spinning() {
    let mut m = account_screen((80, 24), "me@example.com");
    let job = start_account(&mut m);
    update(
        &mut m,
        progress(
            job.ticket,
            AccountEvent::Started {
                id: "mx".into(),
                label: "MX".into(),
            },
        ),
    );
    finish_account(
        &mut m,
        job.ticket,
        Err("cannot set up DNS: no resolv.conf".into()),
    );
    let run = account_run(&m);
    assert!(
        matches!(&run.outcome, Some(AccountOutcome::CouldNotRun(reason)) if reason.contains("DNS"))
    );
    assert!(
        run.rows
            .iter()
            .all(|row| row.state != AccountRowState::Running)
    );
    assert!(!m.animating());
}

/// A runner whose account check reports progress and a canned report, like the real one but
/// without the network.
struct CannedAccount(Gate);

impl crate::wizard::Checks for CannedAccount {
    fn run(&self, request: &crate::engine::CheckRequest) -> CheckReport {
        crate::wizard::NoChecks.run(request)
    }

    fn account(
        &self,
        email: &str,
        progress: &dyn Fn(AccountEvent),
    ) -> Result<AccountReport, String> {
        progress(AccountEvent::Settings(canned_settings()));
        progress(AccountEvent::Started {
            id: "mx".into(),
            label: "MX".into(),
        });
        self.0.wait();
        let mut report = canned_account_report();
        report.email = email.into();
        Ok(report)
    }
}

#[test]
fn spawned_account_check_reports_progress_then_the_result_without_blocking() {
    let mut m = account_screen((80, 24), "me@example.com");
    let job = start_account(&mut m);
    let (sender, receiver) = std::sync::mpsc::channel();
    let (open, gate) = Gate::new();
    super::checks::spawn_account(
        std::sync::Arc::new(CannedAccount(gate)),
        job,
        sender,
        Msg::AccountProgress,
        Msg::AccountDone,
    );
    // spawn_account has returned while the check waits at the gate: it did not block, so
    // no result can have arrived yet (progress may have).
    let mut seen = 0;
    while let Ok(msg) = receiver.try_recv() {
        assert!(
            !matches!(msg, Msg::AccountDone(_)),
            "spawn waited for the check"
        );
        seen += 1;
        update(&mut m, msg);
    }
    open.send(()).expect("the check is waiting");
    loop {
        let msg = receiver
            .recv_timeout(Duration::from_secs(5))
            .expect("the check reports");
        let done = matches!(msg, Msg::AccountDone(_));
        seen += 1;
        update(&mut m, msg);
        if done {
            break;
        }
    }
    assert_eq!(seen, 3, "settings, one start, then the report");
    assert!(matches!(
        account_run(&m).outcome,
        Some(AccountOutcome::Finished { .. })
    ));
}

#[test]
fn without_live_checks_the_account_check_says_it_cannot_run() {
    let mut m = account_screen((80, 24), "me@example.com");
    let job = start_account(&mut m);
    let (sender, receiver) = std::sync::mpsc::channel();
    super::checks::spawn_account(
        std::sync::Arc::new(crate::wizard::NoChecks),
        job,
        sender,
        Msg::AccountProgress,
        Msg::AccountDone,
    );
    let msg = receiver
        .recv_timeout(Duration::from_secs(5))
        .expect("the check reports");
    update(&mut m, msg);
    assert!(matches!(
        &account_run(&m).outcome,
        Some(AccountOutcome::CouldNotRun(reason)) if reason.contains("not available")
    ));
}

#[test]
fn snapshot_account() {
    for size in SIZES {
        let mut m = account_screen(size, "me@example");
        snapshot("account_input", &m);
        key(&mut m, KeyCode::Enter);
        snapshot("account_input_refused", &m);
        type_text(&mut m, ".com");
        let job = start_account(&mut m);
        update(
            &mut m,
            progress(job.ticket, AccountEvent::Settings(canned_settings())),
        );
        for (id, label) in [
            ("mx", "Where mail for example.com is delivered (MX)"),
            (
                "smtp",
                "Ports of smtp.example.com: answer, encryption, sign-in offered",
            ),
        ] {
            update(
                &mut m,
                progress(
                    job.ticket,
                    AccountEvent::Started {
                        id: id.into(),
                        label: label.into(),
                    },
                ),
            );
        }
        update(
            &mut m,
            progress(
                job.ticket,
                AccountEvent::Finished {
                    id: "mx".into(),
                    status: Status::Ok,
                    elapsed: Duration::from_millis(41),
                    summary: "mx1.example.com".into(),
                },
            ),
        );
        // The clock the view reads, moved on without waiting.
        m.now += Duration::from_millis(1500);
        snapshot("account_running", &m);
        finish_account(&mut m, job.ticket, Ok(canned_account_report()));
        snapshot("account_result", &m);
        key(&mut m, KeyCode::Down);
        key(&mut m, KeyCode::Down);
        key(&mut m, KeyCode::Down);
        key(&mut m, KeyCode::Enter);
        snapshot("account_evidence", &m);
    }
}

#[test]
fn a_long_account_result_scrolls_to_keep_the_highlighted_row_in_view() {
    let mut m = account_screen((80, 24), "me@example.com");
    let job = start_account(&mut m);
    let mut report = canned_account_report();
    report.cause = None;
    report.summary = (1..=8)
        .map(|n| format!("Finding number {n} about the server, in plain words."))
        .collect();
    finish_account(&mut m, job.ticket, Ok(report));
    for _ in 0..10 {
        key(&mut m, KeyCode::Down);
    }
    let screen = format!("{:?}", render(&m).backend());
    assert!(
        screen.contains("skipped"),
        "the last row is on screen:\n{screen}"
    );
    assert!(
        screen.contains("not run: no password"),
        "its finding too:\n{screen}"
    );
}

// --- helpdesk mode --------------------------------------------------------------------------

use super::email::{EmailDone, EmailJob, NOT_SET_UP};
use super::model::Recording;
use crate::session::recorder::Details;
use crate::session::{Clock, EventKind, Mode, Store};

/// A small tree with `say` scripts on some nodes (and none on `q-client`, to show the
/// fallback), over the bundled facts, causes and clients.
const AGENT_TREE: &str = r#"
nodes:
  - id: start
    kind: question
    title: Where the error appeared
    fact: error.where
    text: Where did you see the error?
    say: Ask the caller whether a box popped up right when they clicked Send, or whether an email came back to them later.
    help: A pop-up means the caller's own server refused the message.
    choices:
      - {value: client, label: A pop-up in my mail program, next: q-client}
      - {value: bounce, label: An email came back to me, next: s-auth-off}
    unknown: q-client
  - id: q-client
    kind: question
    title: Your mail program
    fact: client.id
    text: Which mail program or app do you send with?
    choices_from: clients
    next: i-email
    unknown: i-email
    unknown_label: Another program, or I'm not sure
  - id: i-email
    kind: input
    title: Your email address
    fact: account.email
    text: What is your email address?
    say: Ask for the full email address, and spell it back to the caller.
    placeholder: you@example.com
    next: s-auth-off
    unknown: s-auth-off
  - id: s-auth-off
    kind: solution
    cause: client-auth-off
    title: Turn on sign-in for the outgoing server
    text: The mail program sends without signing in, so the server refuses to pass mail on.
    agent_note: Stay on the line until the caller's test message has gone out.
    steps:
      - client_task: enable-smtp-auth
      - say: Send the message again.
"#;

const SAY_START: &str = "Ask the caller whether a box popped up";

fn agent_tree() -> &'static Knowledge {
    static KB: OnceLock<Knowledge> = OnceLock::new();
    KB.get_or_init(|| {
        let mut files: Vec<SourceFile> = bundled_files()
            .into_iter()
            .filter(|file| !file.relative.starts_with("tree/"))
            .collect();
        files.push(SourceFile {
            name: "fixture:tree/agent.yaml".into(),
            relative: "tree/agent.yaml".into(),
            text: AGENT_TREE.into(),
            layer: 0,
        });
        crate::knowledge::build::build(&files).unwrap_or_else(|problems| {
            panic!(
                "fixture knowledge: {}",
                problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        })
    })
}

/// Always the same moment, so session times are stable.
struct FixedClock;

impl Clock for FixedClock {
    fn now(&self) -> jiff::Timestamp {
        "2026-11-22T14:30:05Z".parse().expect("a timestamp")
    }
}

fn recording(mode: Mode, store: Option<Store>) -> Recording {
    Recording {
        store,
        mode,
        details: Details::default(),
        clock: std::sync::Arc::new(FixedClock),
    }
}

/// Home → Helpdesk mode → "Jane 4711" as the caller: the first question, in agent mode.
fn helpdesk(knowledge: &Knowledge, size: (u16, u16)) -> Model<'_> {
    let mut m = model(knowledge, size).recorded(recording(Mode::User, None));
    key(&mut m, KeyCode::Char('5'));
    assert!(matches!(m.screen, Screen::Caller { .. }));
    type_text(&mut m, "Jane 4711");
    key(&mut m, KeyCode::Enter);
    m
}

fn events(m: &Model<'_>) -> Vec<EventKind> {
    let session = m.session.as_ref().expect("a run");
    session
        .recorder
        .session()
        .events
        .iter()
        .map(|event| event.what.clone())
        .collect()
}

fn screen_text(m: &Model<'_>) -> String {
    let terminal = render(m);
    let text = terminal.backend().to_string();
    // Session ids end in a random tail; snapshots show a stable one of the same length.
    match &m.session {
        Some(session) => text.replace(&session.recorder.session().id, "20261122-143005-abcd"),
        None => text,
    }
}

fn snapshot_redacted(name: &str, m: &Model<'_>) {
    let (width, height) = m.size;
    insta::assert_snapshot!(format!("{name}_{width}x{height}"), screen_text(m));
}

/// The agent fixture from its first question to the solution: pop-up → Thunderbird →
/// me@gmail.com.
fn agent_to_solution(m: &mut Model<'_>) {
    key(m, KeyCode::Enter); // a pop-up
    assert_eq!(node_id(m), "q-client");
    let thunderbird = agent_tree()
        .clients
        .iter()
        .position(|client| client.id == "thunderbird")
        .expect("thunderbird");
    for _ in 0..thunderbird {
        key(m, KeyCode::Down);
    }
    key(m, KeyCode::Enter);
    assert_eq!(node_id(m), "i-email");
    type_text(m, "me@gmail.com");
    key(m, KeyCode::Enter);
    assert_eq!(node_id(m), "s-auth-off");
}

#[test]
fn helpdesk_from_home_asks_who_is_calling_then_runs_in_agent_mode() {
    let mut m = model(agent_tree(), (80, 24));
    key(&mut m, KeyCode::Char('5'));
    assert!(matches!(m.screen, Screen::Caller { .. }));
    // q and ? are letters in the caller box.
    type_text(&mut m, "q?");
    assert!(m.ending.is_none() && !m.help_open);
    key(&mut m, KeyCode::Esc);
    assert_eq!(m.screen, Screen::Home { selected: 4 });
    assert!(m.session.is_none());

    let m = helpdesk(agent_tree(), (80, 24));
    assert_eq!(m.screen, Screen::Wizard);
    assert_eq!(node_id(&m), "start");
    let session = m.session.as_ref().expect("a run");
    assert!(session.agent());
    assert_eq!(session.recorder.mode(), Mode::Agent);
    assert_eq!(
        session.recorder.session().caller.as_deref(),
        Some("Jane 4711")
    );

    // Enter on an empty caller box skips it.
    let mut m = model(agent_tree(), (80, 24));
    key(&mut m, KeyCode::Char('5'));
    key(&mut m, KeyCode::Enter);
    let session = m.session.as_ref().expect("a run");
    assert_eq!(session.recorder.session().caller, None);
    assert!(session.agent());
}

#[test]
fn agent_mode_on_the_command_line_opens_helpdesk_and_a_given_caller_skips_the_box() {
    let mut m = model(agent_tree(), (80, 24)).recorded(recording(Mode::Agent, None));
    m.open_helpdesk();
    assert!(matches!(m.screen, Screen::Caller { .. }));

    let mut with_caller = recording(Mode::Agent, None);
    with_caller.details.caller = Some("Ticket 99".into());
    let mut m = model(agent_tree(), (80, 24)).recorded(with_caller);
    m.open_helpdesk();
    assert_eq!(m.screen, Screen::Wizard);
    let session = m.session.as_ref().expect("a run");
    assert!(session.agent());
    assert_eq!(
        session.recorder.session().caller.as_deref(),
        Some("Ticket 99")
    );
    // The next call from Home is someone else: it asks again.
    key(&mut m, KeyCode::Esc);
    assert!(matches!(m.screen, Screen::Home { .. }));
    key(&mut m, KeyCode::Char('5'));
    assert!(matches!(m.screen, Screen::Caller { .. }));
}

#[test]
fn a_note_that_gives_a_password_is_kept_with_a_warning() {
    let mut m = helpdesk(agent_tree(), (80, 24));
    key(&mut m, KeyCode::Char('n'));
    type_text(&mut m, "caller says password is Winter2026");
    key(&mut m, KeyCode::Enter);
    let status = m.status.as_ref().expect("a status line");
    assert!(status.problem, "{}", status.text);
    assert!(
        status.text.contains("seems to hold a password"),
        "{}",
        status.text
    );
}

#[test]
fn a_note_typed_in_the_tui_lands_in_the_session_events() {
    let mut m = helpdesk(agent_tree(), (80, 24));
    key(&mut m, KeyCode::Char('n'));
    assert!(m.session.as_ref().is_some_and(|s| s.note.is_some()));
    // While the note is open, command letters are text.
    type_text(&mut m, "caller on hotel wifi, q r b");
    assert!(m.ending.is_none());
    key(&mut m, KeyCode::Enter);
    assert_eq!(node_id(&m), "start", "keeping a note does not answer");
    let notes: Vec<EventKind> = events(&m)
        .into_iter()
        .filter(|event| matches!(event, EventKind::Note { .. }))
        .collect();
    assert_eq!(
        notes,
        vec![EventKind::Note {
            node: Some("start".into()),
            text: "caller on hotel wifi, q r b".into(),
        }]
    );
    assert!(
        m.status
            .as_ref()
            .is_some_and(|status| status.text.contains("Note kept (1 in this session)"))
    );

    // Esc drops a note; nothing is recorded.
    key(&mut m, KeyCode::Char('n'));
    type_text(&mut m, "never mind");
    key(&mut m, KeyCode::Esc);
    assert_eq!(node_id(&m), "start", "Esc in the note editor is not Back");
    assert_eq!(
        m.session
            .as_ref()
            .expect("run")
            .recorder
            .session()
            .notes()
            .count(),
        1
    );

    // In a text box `n` is a letter and Ctrl-N opens the note.
    agent_to_solution_stop_at_email(&mut m);
    type_text(&mut m, "n");
    assert!(matches!(stage(&m), Stage::Question(ui) if ui.input == "n"));
    ctrl(&mut m, 'n');
    type_text(&mut m, "spelled back twice");
    key(&mut m, KeyCode::Enter);
    assert!(matches!(stage(&m), Stage::Question(ui) if ui.input == "n"));
    let last = events(&m)
        .into_iter()
        .rev()
        .find(|e| matches!(e, EventKind::Note { .. }));
    assert_eq!(
        last,
        Some(EventKind::Note {
            node: Some("i-email".into()),
            text: "spelled back twice".into(),
        })
    );

    // And on the solution.
    key(&mut m, KeyCode::Backspace);
    type_text(&mut m, "me@gmail.com");
    key(&mut m, KeyCode::Enter);
    assert_eq!(node_id(&m), "s-auth-off");
    key(&mut m, KeyCode::Char('n'));
    type_text(&mut m, "fixed on the call");
    key(&mut m, KeyCode::Enter);
    let session = m.session.as_ref().expect("run").recorder.session();
    assert_eq!(session.notes().count(), 3);
    assert!(session.events.iter().any(|event| matches!(
        &event.what,
        EventKind::Note { node: Some(node), text } if node == "s-auth-off" && text == "fixed on the call"
    )));
}

/// From the agent fixture's first question to the email input.
fn agent_to_solution_stop_at_email(m: &mut Model<'_>) {
    key(m, KeyCode::Enter);
    key(m, KeyCode::Enter); // the first program
    assert_eq!(node_id(m), "i-email");
}

#[test]
fn a_note_can_be_taken_while_a_check_runs() {
    let mut m = model(with_checks(), (80, 24)).recorded(recording(Mode::User, None));
    key(&mut m, KeyCode::Char('5'));
    key(&mut m, KeyCode::Enter); // no caller
    type_text(&mut m, "me@example.test");
    key(&mut m, KeyCode::Enter);
    type_text(&mut m, "s3cret-pw");
    let Some(Cmd::RunChecks(jobs)) = key(&mut m, KeyCode::Enter) else {
        panic!("no check")
    };
    assert!(matches!(stage(&m), Stage::Checks(_)));
    key(&mut m, KeyCode::Char('n'));
    // A password pasted into a note is never kept.
    type_text(&mut m, "caller read out s3cret-pw");
    key(&mut m, KeyCode::Enter);
    update(
        &mut m,
        canned(
            jobs[0].ticket,
            Status::Ok,
            &[("server.auth_works", "yes")],
            serde_json::json!({"summary": "signed in"}),
        ),
    );
    let session = m.session.as_ref().expect("run").recorder.session();
    let notes: Vec<&str> = session.notes().map(|(_, text)| text).collect();
    assert_eq!(notes, vec!["caller read out [password removed]"]);
    assert!(
        session
            .events
            .iter()
            .any(|event| matches!(&event.what, EventKind::Check { ran: true, .. })),
        "the check result is recorded too"
    );
}

#[test]
fn user_mode_never_shows_the_say_text_or_takes_notes() {
    for size in SIZES {
        let mut m = model(agent_tree(), size).recorded(recording(Mode::User, None));
        key(&mut m, KeyCode::Enter); // Home: Start
        assert_eq!(node_id(&m), "start");
        let screen = screen_text(&m);
        assert!(screen.contains("Where did you see the error?"));
        assert!(!screen.contains(SAY_START), "{screen}");
        assert!(!screen.contains("Say to the caller"), "{screen}");
        assert!(!screen.contains("Helpdesk"), "{screen}");
        key(&mut m, KeyCode::Char('n'));
        assert!(m.session.as_ref().is_some_and(|s| s.note.is_none()));
        agent_to_solution(&mut m);
        let screen = screen_text(&m);
        assert!(!screen.contains("internal summary"), "{screen}");
        key(&mut m, KeyCode::Char('e'));
        key(&mut m, KeyCode::Tab);
        assert!(m.status.is_none());
        assert!(matches!(stage(&m), Stage::Solution(ui) if !ui.internal && ui.email.is_none()));
        assert!(
            events(&m)
                .iter()
                .all(|e| !matches!(e, EventKind::Note { .. }))
        );
        assert_eq!(
            m.session.as_ref().expect("run").recorder.mode(),
            Mode::User,
            "a user-mode run is recorded too"
        );
    }
}

#[test]
fn agent_mode_shows_the_say_text_or_falls_back_to_the_question() {
    let mut m = helpdesk(agent_tree(), (80, 24));
    let screen = screen_text(&m);
    assert!(screen.contains("Say to the caller"), "{screen}");
    assert!(screen.contains(SAY_START), "{screen}");
    assert!(
        screen.contains("Helpdesk · session 20261122-143005-abcd"),
        "{screen}"
    );
    key(&mut m, KeyCode::Enter);
    assert_eq!(node_id(&m), "q-client");
    let screen = screen_text(&m);
    assert!(screen.contains("Say to the caller"), "{screen}");
    assert!(
        screen.contains("Which mail program or app do you send with?"),
        "no script: the question itself is read out\n{screen}"
    );
}

#[test]
fn every_tui_run_is_recorded_and_saved_after_each_step() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path().join("sessions")).expect("store");
    let mut m = model(agent_tree(), (80, 24)).recorded(recording(Mode::User, Some(store.clone())));
    key(&mut m, KeyCode::Enter); // Home: Start, user mode
    let id = m
        .session
        .as_ref()
        .expect("run")
        .recorder
        .session()
        .id
        .clone();
    let saved_id = |m: &Model<'_>| {
        m.session
            .as_ref()
            .and_then(|session| session.recorder.saved_id().map(str::to_string))
    };
    // Saved from the start: a run left at once still tells `sessions stats` where it ended.
    assert_eq!(saved_id(&m).as_deref(), Some(id.as_str()));
    assert_eq!(m.saved.as_deref(), Some(id.as_str()));
    key(&mut m, KeyCode::Enter); // a pop-up
    let saved = store.load(&id).expect("saved after the step");
    assert_eq!(saved.mode, Mode::User);
    assert!(saved.events.iter().any(|event| matches!(
        &event.what,
        EventKind::Answer { node, value: Some(value), .. } if node == "start" && value == "client"
    )));
    assert_eq!(saved.status.node, "q-client");
    // Back and Restart are recorded as they happen.
    key(&mut m, KeyCode::Esc);
    key(&mut m, KeyCode::Char('r'));
    let saved = store.load(&id).expect("saved");
    assert!(
        saved
            .events
            .iter()
            .any(|e| matches!(e.what, EventKind::Back { .. }))
    );
    assert!(
        saved
            .events
            .iter()
            .any(|e| matches!(e.what, EventKind::Restart))
    );
}

#[test]
fn a_save_problem_is_shown_once_on_the_status_line_and_the_run_goes_on() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sessions = dir.path().join("sessions");
    let store = Store::open(&sessions).expect("store");
    let mut m = helpdesk_with(agent_tree(), recording(Mode::User, Some(store)));
    std::fs::remove_dir_all(&sessions).expect("remove the sessions folder");
    key(&mut m, KeyCode::Enter);
    assert_eq!(node_id(&m), "q-client", "the run goes on");
    let status = m.status.clone().expect("a status line");
    assert!(status.problem);
    assert!(
        status.text.contains("could not be saved"),
        "{}",
        status.text
    );
    let screen = screen_text(&m);
    assert!(
        screen.contains("! the session could not be saved"),
        "{screen}"
    );
    key(&mut m, KeyCode::Down);
    assert_eq!(m.status, None, "said once");
    key(&mut m, KeyCode::Enter);
    assert_eq!(m.status, None, "and not again");
}

fn helpdesk_with(knowledge: &Knowledge, recording: Recording) -> Model<'_> {
    let mut m = model(knowledge, (80, 24)).recorded(recording);
    key(&mut m, KeyCode::Char('5'));
    key(&mut m, KeyCode::Enter);
    m
}

#[test]
fn resuming_picks_up_at_the_next_question_and_says_so() {
    let mut m = helpdesk(agent_tree(), (80, 24));
    key(&mut m, KeyCode::Enter); // a pop-up
    key(&mut m, KeyCode::Enter); // the first program
    assert_eq!(node_id(&m), "i-email");
    let saved = m.session.as_ref().expect("run").recorder.session().clone();

    let mut again = model(agent_tree(), (80, 24)).recorded(recording(Mode::User, None));
    assert_eq!(again.resume(saved.clone()), None);
    assert_eq!(again.screen, Screen::Wizard);
    assert_eq!(node_id(&again), "i-email");
    let session = again.session.as_ref().expect("run");
    assert!(session.agent(), "the saved mode, not the default one");
    assert_eq!(session.recorder.session().id, saved.id);
    let status = again.status.clone().expect("status");
    assert_eq!(
        status.text,
        format!("Picked up session {} (2 steps replayed).", saved.id)
    );
    assert!(screen_text(&again).contains("Picked up session 20261122-143005-abcd"));
    key(&mut again, KeyCode::Esc);
    assert_eq!(
        node_id(&again),
        "q-client",
        "the replayed answers can be gone back over"
    );
}

#[test]
fn a_run_resumed_at_a_check_starts_the_check_again() {
    // Helpdesk runs ask for the error text; reading it is a check (offline).
    let mut m = helpdesk(bundled(), (80, 24));
    assert_eq!(node_id(&m), "start");
    type_text(
        &mut m,
        "554 5.7.1 <friend@example.org>: Relay access denied",
    );
    let Some(Cmd::RunChecks(jobs)) = key(&mut m, KeyCode::Enter) else {
        panic!("no check")
    };
    assert_eq!(jobs[0].request.check, "explain");
    let saved = m.session.as_ref().expect("run").recorder.session().clone();
    let mut again = model(bundled(), (80, 24));
    let Some(Cmd::RunChecks(jobs)) = again.resume(saved) else {
        panic!("the check does not start again")
    };
    assert_eq!(jobs[0].request.check, "explain");
    assert!(matches!(stage(&again), Stage::Checks(_)));
}

#[test]
fn a_run_resumed_at_a_check_that_needs_the_password_asks_for_it_again() {
    let mut m = model(with_checks(), (80, 24));
    let _job = start_check(&mut m);
    let saved = m.session.as_ref().expect("run").recorder.session().clone();
    let mut again = model(with_checks(), (80, 24));
    // The password was never saved, so the check cannot run without asking again.
    assert_eq!(again.resume(saved), None);
    assert_eq!(node_id(&again), "i-password");
}

#[test]
fn solution_in_agent_mode_has_the_callers_steps_and_the_internal_summary() {
    let mut m = helpdesk(agent_tree(), (80, 24));
    agent_to_solution(&mut m);
    let screen = screen_text(&m);
    assert!(screen.contains("Caller's steps (Thunderbird)"), "{screen}");
    assert!(
        screen.contains("Turn on sign-in for the outgoing server"),
        "{screen}"
    );
    key(&mut m, KeyCode::Tab);
    assert!(matches!(stage(&m), Stage::Solution(ui) if ui.internal));
    let screen = screen_text(&m);
    // The fixture's tree reaches its solution without evidence for the cause: the summary
    // names it as the most likely one, not as certain.
    assert!(
        screen.contains("Cause (most likely, not certain): "),
        "{screen}"
    );
    assert!(screen.contains("client-auth-off"), "{screen}");
    assert!(
        screen.contains("Customer address: me@gmail.com"),
        "{screen}"
    );
    assert!(screen.contains("caller: Jane 4711"), "{screen}");
    // The conclusion's guidance shows once, under its own heading.
    assert_eq!(
        screen.matches("Stay on the line until").count(),
        1,
        "{screen}"
    );
    assert!(screen.contains("Agent note"), "{screen}");
    key(&mut m, KeyCode::Tab);
    assert!(matches!(stage(&m), Stage::Solution(ui) if !ui.internal));
    // The program switcher shows on the caller's steps, from either tab.
    key(&mut m, KeyCode::Tab);
    key(&mut m, KeyCode::Char('c'));
    assert!(matches!(stage(&m), Stage::Solution(ui) if !ui.internal && ui.picker.is_some()));
}

#[test]
fn email_without_a_sender_says_where_to_set_it_up() {
    let mut m = helpdesk(agent_tree(), (80, 24));
    agent_to_solution(&mut m);
    assert_eq!(key(&mut m, KeyCode::Char('e')), None);
    let status = m.status.clone().expect("status");
    assert!(status.problem);
    assert_eq!(status.text, NOT_SET_UP);
    assert!(screen_text(&m).contains("email is not set up: see `relaydoc config`"));
}

#[test]
fn email_with_a_sender_sends_the_callers_steps_and_records_it() {
    let mut m = helpdesk(agent_tree(), (80, 24));
    m.can_email = true;
    agent_to_solution(&mut m);
    key(&mut m, KeyCode::Char('e'));
    assert!(
        matches!(stage(&m), Stage::Solution(ui) if ui.email.as_deref() == Some("me@gmail.com")),
        "the address the run learned is offered"
    );
    ctrl(&mut m, 'u');
    type_text(&mut m, "not an address");
    assert_eq!(key(&mut m, KeyCode::Enter), None);
    assert!(m.status.as_ref().is_some_and(|s| s.problem));
    ctrl(&mut m, 'u');
    type_text(&mut m, "jane@example.test");
    let Some(Cmd::EmailSteps(EmailJob {
        ticket,
        letter: crate::session::mail::Letter { to, steps, .. },
    })) = key(&mut m, KeyCode::Enter)
    else {
        panic!("no email to send")
    };
    assert_eq!(to, "jane@example.test");
    assert_eq!(steps.client, "Thunderbird");
    assert!(
        steps.text.contains("Send the message again."),
        "{}",
        steps.text
    );
    assert!(matches!(stage(&m), Stage::Solution(ui) if ui.email.is_none()));
    update(
        &mut m,
        Msg::EmailDone(EmailDone {
            ticket,
            to: to.clone(),
            result: Ok("through smtp.example.test".into()),
        }),
    );
    assert!(events(&m).contains(&EventKind::Sent { to }));
    assert_eq!(
        m.status.as_ref().map(|s| s.text.as_str()),
        Some("Sent the steps to jane@example.test (through smtp.example.test).")
    );

    // A failure is said, not recorded.
    key(&mut m, KeyCode::Char('e'));
    let Some(Cmd::EmailSteps(job)) = key(&mut m, KeyCode::Enter) else {
        panic!("no email to send")
    };
    update(
        &mut m,
        Msg::EmailDone(EmailDone {
            ticket: job.ticket,
            to: job.letter.to,
            result: Err("recipient refused (550)".into()),
        }),
    );
    assert!(
        m.status
            .as_ref()
            .is_some_and(|s| s.problem && s.text.contains("550"))
    );
    let sent = events(&m)
        .iter()
        .filter(|e| matches!(e, EventKind::Sent { .. }))
        .count();
    assert_eq!(sent, 1);
}

struct FakeSender;

impl crate::session::mail::StepsSender for FakeSender {
    fn send(&self, letter: &crate::session::mail::Letter) -> Result<String, String> {
        Ok(format!("{}: {}", letter.to, letter.steps.title))
    }
}

#[test]
fn spawned_email_reports_back_on_the_channel() {
    let (sender, receiver) = std::sync::mpsc::channel();
    super::email::spawn(
        std::sync::Arc::new(FakeSender),
        EmailJob {
            ticket: 7,
            letter: crate::session::mail::Letter {
                to: "jane@example.test".into(),
                steps: crate::session::export::CallerSteps {
                    client: "Thunderbird".into(),
                    title: "Turn on sign-in".into(),
                    text: "1. …".into(),
                },
                reference: "20261122-101500-abcd".into(),
                agent: None,
            },
        },
        sender,
        Msg::EmailDone,
    );
    let msg = receiver
        .recv_timeout(Duration::from_secs(5))
        .expect("the result arrives");
    assert!(matches!(
        msg,
        Msg::EmailDone(EmailDone { ticket: 7, result: Ok(text), .. })
            if text == "jane@example.test: Turn on sign-in"
    ));
}

#[test]
fn snapshot_helpdesk() {
    for size in SIZES {
        let mut m = model(agent_tree(), size).recorded(recording(Mode::User, None));
        key(&mut m, KeyCode::Char('5'));
        type_text(&mut m, "Jane 4711");
        snapshot_redacted("helpdesk_caller", &m);
        key(&mut m, KeyCode::Enter);
        snapshot_redacted("agent_question", &m);
        key(&mut m, KeyCode::Char('n'));
        type_text(&mut m, "Caller is on hotel wifi");
        snapshot_redacted("agent_note_editor", &m);
        key(&mut m, KeyCode::Enter);
        snapshot_redacted("agent_note_kept", &m);
        key(&mut m, KeyCode::Enter);
        snapshot_redacted("agent_question_fallback", &m);
        agent_to_solution_from_client(&mut m);
        snapshot_redacted("agent_solution", &m);
        key(&mut m, KeyCode::Tab);
        snapshot_redacted("agent_solution_summary", &m);
    }
}

fn agent_to_solution_from_client(m: &mut Model<'_>) {
    let thunderbird = agent_tree()
        .clients
        .iter()
        .position(|client| client.id == "thunderbird")
        .expect("thunderbird");
    for _ in 0..thunderbird {
        key(m, KeyCode::Down);
    }
    key(m, KeyCode::Enter);
    type_text(m, "me@gmail.com");
    key(m, KeyCode::Enter);
    assert_eq!(node_id(m), "s-auth-off");
}

// --- saved sessions -------------------------------------------------------------------------

use super::screens::saved::{ListSource, Overlay, SavedSessions};
use crate::engine::Message;

/// A clock stopped at one moment: each saved run below starts at a time of its own.
struct StoppedAt(jiff::Timestamp);

impl Clock for StoppedAt {
    fn now(&self) -> jiff::Timestamp {
        self.0
    }
}

/// A run of the agent fixture made through the Recorder at `started`, saved under `id` (real
/// ids end in a random tail; a fixed one keeps the screens stable).
fn save_run(
    store: &Store,
    id: &str,
    started: &str,
    mode: Mode,
    caller: Option<&str>,
    answers: &[Message],
) {
    let clock = StoppedAt(started.parse().expect("a timestamp"));
    let details = Details {
        agent: None,
        caller: caller.map(str::to_string),
    };
    let (mut recorder, _) = crate::session::Recorder::start(
        agent_tree(),
        Facts::new(),
        mode,
        details,
        None,
        Box::new(clock),
    );
    for answer in answers {
        recorder
            .update(answer.clone())
            .expect("the fixture takes the answer");
    }
    let mut session = recorder.session().clone();
    session.id = id.to_string();
    store.save(&session).expect("save the session");
}

const FINISHED_CALL: &str = "20261121-091500-0a01";
const STOPPED_RUN: &str = "20261122-104000-0b02";
const BOUNCE_CALL: &str = "20261123-080500-0c03";

/// A store with three runs: a helpdesk call that reached its solution, a self-service run
/// stopped at the mail program question, and a short helpdesk call about a bounce.
fn three_sessions() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path().join("sessions")).expect("store");
    let answer = |value: &str| Message::Answer(value.to_string());
    save_run(
        &store,
        FINISHED_CALL,
        "2026-11-21T09:15:00Z",
        Mode::Agent,
        Some("Jane 4711"),
        &[
            answer("client"),
            answer("thunderbird"),
            answer("me@gmail.com"),
        ],
    );
    save_run(
        &store,
        STOPPED_RUN,
        "2026-11-22T10:40:00Z",
        Mode::User,
        None,
        &[answer("client")],
    );
    save_run(
        &store,
        BOUNCE_CALL,
        "2026-11-23T08:05:00Z",
        Mode::Agent,
        Some("Ticket 99"),
        &[answer("bounce")],
    );
    (dir, store)
}

/// Home → Saved sessions over `store`, with times in UTC so the screens are the same anywhere.
fn saved_sessions(store: Option<Store>, size: (u16, u16)) -> Model<'static> {
    let mut m = model(agent_tree(), size).recorded(recording(Mode::User, store));
    m.time_zone = jiff::tz::TimeZone::UTC;
    key(&mut m, KeyCode::Char('6'));
    assert!(matches!(m.screen, Screen::SavedSessions(_)));
    m
}

fn saved<'a>(m: &'a Model<'_>) -> &'a SavedSessions {
    match &m.screen {
        Screen::SavedSessions(saved) => saved,
        other => panic!("not on Saved sessions: {other:?}"),
    }
}

/// The ids the list shows, top to bottom.
fn listed(m: &Model<'_>) -> Vec<String> {
    let saved = saved(m);
    saved
        .shown
        .iter()
        .map(|index| saved.rows[*index].id.clone())
        .collect()
}

fn overlay(m: &Model<'_>) -> Option<Overlay> {
    saved(m).open.as_ref().and_then(|open| open.overlay.clone())
}

/// Narrows the list to one session and opens it.
fn open_saved(m: &mut Model<'_>, id: &str) {
    ctrl(m, 'u');
    type_text(m, id);
    assert_eq!(listed(m), vec![id.to_string()]);
    key(m, KeyCode::Enter);
    let open = saved(m).open.as_ref().expect("the session opened");
    assert_eq!(open.session.id, id);
}

/// The sessions folder of a test store shows as the same path everywhere.
fn stable_folder(m: &mut Model<'_>) {
    if let Screen::SavedSessions(saved) = &mut m.screen
        && matches!(saved.source, ListSource::Folder(_))
    {
        saved.source = ListSource::Folder("~/.local/share/relaydoc/sessions".into());
    }
}

#[test]
fn saved_sessions_list_newest_first_and_typing_filters() {
    let (_dir, store) = three_sessions();
    let mut m = saved_sessions(Some(store), (80, 24));
    assert_eq!(listed(&m), vec![BOUNCE_CALL, STOPPED_RUN, FINISHED_CALL]);
    let rows = &saved(&m).rows;
    assert_eq!(rows[0].who, "Ticket 99");
    assert_eq!(rows[1].who, "", "a self-service run has neither");
    assert_eq!(rows[1].outcome, "stopped at Your mail program");
    assert_eq!(rows[2].who, "Jane 4711 · me@gmail.com");
    // The fixture's run ends at its solution without evidence singling the cause out.
    assert_eq!(
        rows[2].outcome,
        "maybe: Your mail program sends without signing in"
    );
    assert_eq!(rows[2].started, "2026-11-21 09:15");

    // Caller, case-insensitive.
    type_text(&mut m, "JANE");
    assert_eq!(listed(&m), vec![FINISHED_CALL]);
    // Address.
    ctrl(&mut m, 'u');
    type_text(&mut m, "gmail");
    assert_eq!(listed(&m), vec![FINISHED_CALL]);
    // Cause id and title.
    ctrl(&mut m, 'u');
    type_text(&mut m, "auth-off");
    assert_eq!(listed(&m), vec![BOUNCE_CALL, FINISHED_CALL]);
    ctrl(&mut m, 'u');
    type_text(&mut m, "SIGNING");
    assert_eq!(listed(&m), vec![BOUNCE_CALL, FINISHED_CALL]);
    // Part of an id.
    ctrl(&mut m, 'u');
    type_text(&mut m, "0b02");
    assert_eq!(listed(&m), vec![STOPPED_RUN]);
    // Nothing: the list says so, Enter opens nothing.
    type_text(&mut m, "x");
    assert!(listed(&m).is_empty());
    key(&mut m, KeyCode::Enter);
    assert!(saved(&m).open.is_none());
    assert!(screen_text(&m).contains("No session matches \"0b02x\""));
    // Letters are text here: q and ? filter, they do not quit or open the help.
    ctrl(&mut m, 'u');
    type_text(&mut m, "q?");
    assert!(m.ending.is_none() && !m.help_open);
    assert_eq!(saved(&m).filter, "q?");
    ctrl(&mut m, 'u');
    key(&mut m, KeyCode::Char('/'));
    assert_eq!(saved(&m).filter, "", "`/` only says \"find\"");
    assert_eq!(listed(&m).len(), 3);

    // The highlight moves and stays within the list.
    key(&mut m, KeyCode::End);
    assert_eq!(saved(&m).selected, 2);
    key(&mut m, KeyCode::Down);
    assert_eq!(saved(&m).selected, 2);
    key(&mut m, KeyCode::PageUp);
    assert_eq!(saved(&m).selected, 0);
    key(&mut m, KeyCode::PageDown);
    assert_eq!(saved(&m).selected, 2);
    key(&mut m, KeyCode::Home);
    key(&mut m, KeyCode::Down);
    assert_eq!(saved(&m).selected, 1);

    // Enter opens the highlighted one; Esc goes back to the list, then Home.
    key(&mut m, KeyCode::Enter);
    assert_eq!(
        saved(&m).open.as_ref().map(|open| open.session.id.as_str()),
        Some(STOPPED_RUN)
    );
    key(&mut m, KeyCode::Esc);
    assert!(saved(&m).open.is_none());
    assert_eq!(saved(&m).selected, 1, "the list is where it was");
    key(&mut m, KeyCode::Esc);
    assert_eq!(m.screen, Screen::Home { selected: 5 });
}

#[test]
fn enter_then_r_resumes_a_saved_session_at_its_question_with_the_answers_replayed() {
    let (_dir, store) = three_sessions();
    let mut m = saved_sessions(Some(store.clone()), (80, 24));
    open_saved(&mut m, STOPPED_RUN);
    assert_eq!(key(&mut m, KeyCode::Char('r')), None);
    assert_eq!(m.screen, Screen::Wizard);
    assert_eq!(node_id(&m), "q-client");
    let run = m.session.as_ref().expect("a run");
    assert_eq!(run.recorder.session().id, STOPPED_RUN);
    assert!(!run.agent(), "a self-service run stays one");
    let answered: Vec<(String, String)> = run
        .wizard()
        .answered()
        .iter()
        .map(|(node, value)| (node.id.clone(), value.clone()))
        .collect();
    assert_eq!(answered, vec![("start".to_string(), "client".to_string())]);
    assert_eq!(
        m.status.as_ref().map(|status| status.text.as_str()),
        Some("Picked up session 20261122-104000-0b02 (1 steps replayed).")
    );
    // The same recorder path as `sessions resume`: the next answer lands in the same file.
    key(&mut m, KeyCode::Enter);
    assert_eq!(node_id(&m), "i-email");
    let saved = store.load(STOPPED_RUN).expect("still saved");
    assert_eq!(saved.status.node, "i-email");
    assert!(
        saved
            .events
            .iter()
            .any(|event| matches!(event.what, EventKind::Resumed { .. }))
    );

    // A finished helpdesk call opens at its solution, in helpdesk mode.
    let mut m = saved_sessions(Some(store), (80, 24));
    open_saved(&mut m, FINISHED_CALL);
    key(&mut m, KeyCode::Char('r'));
    assert_eq!(node_id(&m), "s-auth-off");
    assert!(matches!(stage(&m), Stage::Solution(_)));
    assert!(m.agent());
}

#[test]
fn d_then_y_deletes_the_session_file_and_d_then_n_keeps_it() {
    let (_dir, store) = three_sessions();
    let file = store.path_of(FINISHED_CALL);
    let mut m = saved_sessions(Some(store.clone()), (80, 24));
    open_saved(&mut m, FINISHED_CALL);
    key(&mut m, KeyCode::Char('d'));
    assert_eq!(overlay(&m), Some(Overlay::ConfirmDelete));
    assert!(screen_text(&m).contains("Delete session 20261121-091500-0a01? y/n"));
    // Only y deletes: other keys wait for an answer.
    key(&mut m, KeyCode::Enter);
    key(&mut m, KeyCode::Char('r'));
    assert_eq!(overlay(&m), Some(Overlay::ConfirmDelete));
    assert!(matches!(m.screen, Screen::SavedSessions(_)), "r waits too");
    key(&mut m, KeyCode::Char('n'));
    assert_eq!(overlay(&m), None);
    assert!(file.is_file(), "n keeps it");
    assert_eq!(
        m.status.as_ref().map(|status| status.text.as_str()),
        Some("Kept session 20261121-091500-0a01.")
    );
    key(&mut m, KeyCode::Char('d'));
    key(&mut m, KeyCode::Esc);
    assert!(file.is_file(), "Esc keeps it too");

    key(&mut m, KeyCode::Char('d'));
    key(&mut m, KeyCode::Char('y'));
    assert!(!file.exists(), "y deletes the file");
    assert!(saved(&m).open.is_none(), "back on the list");
    assert_eq!(
        m.status.as_ref().map(|status| status.text.as_str()),
        Some("Deleted session 20261121-091500-0a01.")
    );
    assert!(
        listed(&m).is_empty(),
        "the filter stays: nothing matches now"
    );
    ctrl(&mut m, 'u');
    assert_eq!(listed(&m), vec![BOUNCE_CALL, STOPPED_RUN]);
    assert_eq!(store.list().expect("list").sessions.len(), 2);
}

#[test]
fn e_on_a_saved_session_without_a_sender_says_email_is_not_set_up() {
    let (_dir, store) = three_sessions();
    let mut m = saved_sessions(Some(store), (80, 24));
    open_saved(&mut m, FINISHED_CALL);
    assert_eq!(key(&mut m, KeyCode::Char('e')), None);
    let status = m.status.clone().expect("status");
    assert!(status.problem);
    assert_eq!(status.text, NOT_SET_UP);
    assert_eq!(overlay(&m), None);
    assert!(screen_text(&m).contains("email is not set up: see `relaydoc config`"));
}

#[test]
fn e_on_a_saved_session_emails_the_steps_and_notes_it_in_the_file() {
    let (_dir, store) = three_sessions();
    let mut m = saved_sessions(Some(store.clone()), (80, 24));
    m.can_email = true;
    // A run without a solution has no steps to send.
    open_saved(&mut m, STOPPED_RUN);
    key(&mut m, KeyCode::Char('e'));
    assert!(
        m.status
            .as_ref()
            .is_some_and(|s| s.problem && s.text.contains("not reached a solution"))
    );
    assert_eq!(overlay(&m), None);
    key(&mut m, KeyCode::Esc);

    open_saved(&mut m, FINISHED_CALL);
    key(&mut m, KeyCode::Char('e'));
    assert_eq!(
        overlay(&m),
        Some(Overlay::Email("me@gmail.com".into())),
        "the address the session learned is offered"
    );
    // Letters are text in the box: d does not delete, q does not quit.
    type_text(&mut m, "dq");
    assert_eq!(overlay(&m), Some(Overlay::Email("me@gmail.comdq".into())));
    ctrl(&mut m, 'u');
    type_text(&mut m, "not an address");
    assert_eq!(key(&mut m, KeyCode::Enter), None);
    assert!(m.status.as_ref().is_some_and(|s| s.problem));
    ctrl(&mut m, 'u');
    update(&mut m, Msg::Paste("jane@example.test\n".into()));
    let Some(Cmd::EmailSteps(job)) = key(&mut m, KeyCode::Enter) else {
        panic!("no email to send")
    };
    assert_eq!(job.letter.to, "jane@example.test");
    assert_eq!(job.letter.reference, FINISHED_CALL);
    assert_eq!(job.letter.steps.client, "Thunderbird");
    assert_eq!(overlay(&m), None);
    // A second e while it is on its way only says so.
    key(&mut m, KeyCode::Char('e'));
    assert_eq!(overlay(&m), None);
    update(
        &mut m,
        Msg::EmailDone(EmailDone {
            ticket: job.ticket,
            to: job.letter.to.clone(),
            result: Ok("through smtp.example.test".into()),
        }),
    );
    assert_eq!(
        m.status.as_ref().map(|s| s.text.as_str()),
        Some("Sent the steps to jane@example.test (through smtp.example.test).")
    );
    let saved_file = store.load(FINISHED_CALL).expect("saved");
    assert_eq!(
        saved_file.events.last().map(|event| &event.what),
        Some(&EventKind::Sent {
            to: "jane@example.test".into()
        })
    );
    let open = saved(&m).open.as_ref().expect("still open");
    assert!(
        open.summary.contains("Steps emailed to jane@example.test"),
        "{}",
        open.summary
    );
}

#[test]
fn the_saved_session_summary_scrolls_and_stops_at_its_end() {
    let (_dir, store) = three_sessions();
    let mut m = saved_sessions(Some(store), (80, 24));
    open_saved(&mut m, FINISHED_CALL);
    let scroll = |m: &Model<'_>| saved(m).open.as_ref().map_or(0, |open| open.scroll);
    key(&mut m, KeyCode::Down);
    assert_eq!(scroll(&m), 1);
    key(&mut m, KeyCode::End);
    let end = scroll(&m);
    assert!(end > 1, "the summary is longer than a page");
    key(&mut m, KeyCode::PageDown);
    assert_eq!(scroll(&m), end);
    assert!(screen_text(&m).contains("Send the message again."));
    key(&mut m, KeyCode::Home);
    assert_eq!(scroll(&m), 0);
}

#[test]
fn without_a_store_saved_sessions_says_nothing_is_being_saved() {
    let mut m = saved_sessions(None, (80, 24));
    assert_eq!(saved(&m).source, ListSource::NotSaving);
    assert!(screen_text(&m).contains("Sessions are not being saved in this run."));
    key(&mut m, KeyCode::Enter);
    assert!(saved(&m).open.is_none());
}

#[test]
fn text_from_a_session_file_reaches_the_screen_without_control_sequences() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path().join("sessions")).expect("store");
    save_run(
        &store,
        FINISHED_CALL,
        "2026-11-21T09:15:00Z",
        Mode::Agent,
        Some("\u{1b}]0;owned\u{7}Eve\u{1b}[2J\nSmith"),
        &[Message::Answer("bounce".into())],
    );
    let mut m = saved_sessions(Some(store), (80, 24));
    assert_eq!(saved(&m).rows[0].who, "Eve Smith");
    type_text(&mut m, "eve");
    key(&mut m, KeyCode::Enter);
    let open = saved(&m).open.as_ref().expect("opened");
    assert!(!open.summary.contains('\u{1b}'), "{}", open.summary);
    assert!(open.summary.contains("Eve"), "{}", open.summary);
    assert!(!screen_text(&m).contains('\u{1b}'));
}

/// Two files in the folder that are not readable sessions.
fn add_unreadable_files(store: &Store) {
    std::fs::write(store.dir().join("broken.json"), "{not json").expect("write");
    std::fs::write(
        store.path_of("20261124-120000-ffff"),
        r#"{"format": 99, "id": "20261124-120000-ffff"}"#,
    )
    .expect("write");
}

#[test]
fn snapshot_saved_sessions() {
    for size in SIZES {
        let (_dir, store) = three_sessions();
        let mut m = saved_sessions(Some(store.clone()), size);
        snapshot("saved_list", &m);
        type_text(&mut m, "ticket");
        snapshot("saved_list_filtered", &m);
        open_saved(&mut m, FINISHED_CALL);
        snapshot("saved_session", &m);
        key(&mut m, KeyCode::Char('d'));
        snapshot("saved_session_delete", &m);
        key(&mut m, KeyCode::Char('n'));
        key(&mut m, KeyCode::Esc);
        open_saved(&mut m, STOPPED_RUN);
        snapshot("saved_session_unfinished", &m);

        add_unreadable_files(&store);
        let m = saved_sessions(Some(store), size);
        snapshot("saved_list_unreadable", &m);

        let empty = tempfile::tempdir().expect("temp dir");
        let store = Store::open(empty.path().join("sessions")).expect("store");
        let mut m = saved_sessions(Some(store), size);
        stable_folder(&mut m);
        snapshot("saved_list_empty", &m);

        let m = saved_sessions(None, size);
        snapshot("saved_list_not_saving", &m);
    }
}

/// The bundled facts, causes and clients with `tree` as the whole tree.
fn with_tree(tree: &str) -> Knowledge {
    let mut files: Vec<SourceFile> = bundled_files()
        .into_iter()
        .filter(|file| !file.relative.starts_with("tree/"))
        .collect();
    files.push(SourceFile {
        name: "fixture:tree/fixture.yaml".into(),
        relative: "tree/fixture.yaml".into(),
        text: tree.into(),
        layer: 0,
    });
    crate::knowledge::build::build(&files).unwrap_or_else(|problems| {
        panic!(
            "fixture knowledge: {}",
            problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        )
    })
}

/// A first question with ten choices (every mail program), so choice 10 needs two digits.
fn ten_choices() -> &'static Knowledge {
    static KB: OnceLock<Knowledge> = OnceLock::new();
    KB.get_or_init(|| {
        // The first ten mail programs: the test needs exactly ten choices.
        let choices: String = bundled()
            .clients
            .iter()
            .take(10)
            .map(|client| {
                format!(
                    "      - {{value: {}, label: {}, next: s-end}}\n",
                    client.id, client.id
                )
            })
            .collect();
        with_tree(&format!(
            "nodes:
  - id: start
    kind: question
    title: Many choices
    fact: client.id
    text: Which one?
    choices:
{choices}    unknown: s-end
  - id: s-end
    kind: solution
    cause: client-auth-off
    title: The end
    text: Fixture solution.
    steps:
      - say: Done.
"
        ))
    })
}

fn selected(m: &Model<'_>) -> usize {
    match stage(m) {
        Stage::Question(ui) => ui.selected,
        other => panic!("not a question: {other:?}"),
    }
}

#[test]
fn two_digits_typed_together_pick_choices_ten_and_up() {
    let mut m = model(ten_choices(), (80, 24));
    m.start_wizard(Facts::new());
    assert_eq!(node_id(&m), "start");
    // "1" highlights choice 1 at once, then "0" makes it choice 10.
    key(&mut m, KeyCode::Char('1'));
    assert_eq!(selected(&m), 0);
    key(&mut m, KeyCode::Char('0'));
    assert_eq!(selected(&m), 9);
    assert!(
        bundled().clients.len() >= 10,
        "the fixture needs ten choices"
    );
    // Two digits that make no choice: the second stands alone ("1", "5" is 5).
    key(&mut m, KeyCode::Char('1'));
    key(&mut m, KeyCode::Char('5'));
    assert_eq!(selected(&m), 4);
    // A digit no two-digit choice starts with is never held: "2" then "0" is "I don't know".
    key(&mut m, KeyCode::Char('2'));
    assert_eq!(selected(&m), 1);
    key(&mut m, KeyCode::Char('0'));
    assert_eq!(selected(&m), 10);
    // Another key between the digits keeps them apart.
    key(&mut m, KeyCode::Char('1'));
    key(&mut m, KeyCode::Tab);
    key(&mut m, KeyCode::Char('0'));
    assert_eq!(selected(&m), 10);
    // So does a pause longer than the join window.
    key(&mut m, KeyCode::Char('1'));
    let later = m.now + super::model::DIGIT_JOIN + Duration::from_millis(1);
    update(&mut m, Msg::Tick(later));
    key(&mut m, KeyCode::Char('1'));
    assert_eq!(selected(&m), 0);
    // Enter answers with the choice picked by two digits.
    key(&mut m, KeyCode::Char('1'));
    key(&mut m, KeyCode::Char('0'));
    key(&mut m, KeyCode::Enter);
    let tenth = bundled().clients[9].id.clone();
    let facts = m.session.as_ref().expect("run").wizard().facts();
    assert_eq!(facts.get("client.id"), Some(&tenth));
}

fn solution_scroll(m: &Model<'_>) -> u16 {
    match stage(m) {
        Stage::Solution(ui) => ui.scroll,
        other => panic!("not on the solution: {other:?}"),
    }
}

#[test]
fn page_keys_turn_a_whole_visible_page_on_lists_and_documents() {
    for size in SIZES {
        let page = super::layout::body_height(size);
        // The solution page: a page is what the screen shows of it.
        let mut m = model(bundled(), size);
        walk_to_solution(&mut m);
        key(&mut m, KeyCode::End);
        let end = solution_scroll(&m);
        key(&mut m, KeyCode::Home);
        key(&mut m, KeyCode::PageDown);
        assert_eq!(
            solution_scroll(&m),
            page.min(end),
            "solution PgDn at {size:?}"
        );
        key(&mut m, KeyCode::Char(' '));
        let further = solution_scroll(&m);
        assert_eq!(further, (2 * page).min(end), "Space turns a page too");
        key(&mut m, KeyCode::PageUp);
        assert_eq!(
            solution_scroll(&m),
            further.saturating_sub(page),
            "solution PgUp at {size:?}"
        );

        // Browse: the list moves by a page, and an article scrolls by its window (the page
        // less its rules above and below).
        let mut m = model(bundled(), size);
        open_browse_list(&mut m);
        key(&mut m, KeyCode::PageDown);
        let Screen::Browse(browse) = &m.screen else {
            panic!("not browsing")
        };
        let expected = usize::from(page).min(browse.hits.len() - 1);
        assert_eq!(browse.selected, expected, "list PgDn at {size:?}");
        key(&mut m, KeyCode::PageUp);
        assert!(matches!(&m.screen, Screen::Browse(b) if b.selected == 0));
        type_text(&mut m, "thunderbird");
        key(&mut m, KeyCode::Enter);
        key(&mut m, KeyCode::PageDown);
        let Screen::Browse(browse) = &m.screen else {
            panic!("not browsing")
        };
        let scroll = browse.article.as_ref().map(|(_, scroll)| *scroll);
        assert_eq!(scroll, Some(page - 2), "article PgDn at {size:?}");
    }
}

fn open_browse_list(m: &mut Model<'_>) {
    key(m, KeyCode::Char('4'));
    assert!(matches!(m.screen, Screen::Browse(_)));
}

#[test]
fn esc_on_the_first_question_goes_back_to_the_paste_with_the_text_and_keeps_no_stray_session() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path().join("sessions")).expect("store");
    let mut m = model(bundled(), (80, 24)).recorded(recording(Mode::User, Some(store.clone())));
    key(&mut m, KeyCode::Char('2')); // Home: paste the error
    let pasted = "Sending of the message failed.\nAn error occurred while sending mail.";
    update(&mut m, Msg::Paste(pasted.into()));
    let job = match key(&mut m, KeyCode::Enter) {
        Some(Cmd::RunChecks(mut jobs)) => jobs.remove(0),
        other => panic!("expected the error to be read, got {other:?}"),
    };
    update(
        &mut m,
        canned(job.ticket, Status::Ok, &[], serde_json::json!({})),
    );
    key(&mut m, KeyCode::Char('c')); // on from the check's result
    assert_eq!(node_id(&m), "q-error-kind");
    assert_eq!(
        store.list().expect("list").sessions.len(),
        1,
        "saved as it runs"
    );
    key(&mut m, KeyCode::Esc);
    assert_eq!(
        m.screen,
        Screen::Paste {
            text: pasted.into()
        },
        "back in the paste box, the text still there"
    );
    assert!(m.session.is_none());
    assert!(
        store.list().expect("list").sessions.is_empty(),
        "a run left before any answer leaves no session behind"
    );
    // Enter again starts one run, saved once.
    key(&mut m, KeyCode::Enter);
    assert_eq!(store.list().expect("list").sessions.len(), 1);

    // Started from Home, Esc goes back to Home's Start entry.
    let mut m = model(bundled(), (80, 24)).recorded(recording(Mode::User, Some(store.clone())));
    key(&mut m, KeyCode::Enter);
    key(&mut m, KeyCode::Esc);
    assert_eq!(m.screen, Screen::Home { selected: 0 });
    assert_eq!(store.list().expect("list").sessions.len(), 1);

    // A run with an answer in it is the person's: Back to the first question, then Esc,
    // keeps its file.
    key(&mut m, KeyCode::Enter);
    key(&mut m, KeyCode::Enter); // relay access denied
    key(&mut m, KeyCode::Esc);
    key(&mut m, KeyCode::Esc);
    assert!(matches!(m.screen, Screen::Home { .. }));
    assert_eq!(store.list().expect("list").sessions.len(), 2);
}

#[test]
fn esc_on_the_helpdesk_first_question_goes_back_to_the_caller_box() {
    let m = &mut helpdesk(bundled(), (80, 24));
    assert_eq!(m.screen, Screen::Wizard);
    assert_eq!(node_id(m), "start", "the error text is asked first");
    key(m, KeyCode::Esc);
    assert_eq!(
        m.screen,
        Screen::Caller {
            text: "Jane 4711".into()
        }
    );
}

#[test]
fn pasted_line_breaks_stay_on_screen_and_in_the_saved_session() {
    // Terminals send a pasted line break as a carriage return.
    let pasted = "Sending of the message failed.\rAn error occurred while sending mail.\r\n554 5.7.1 Relay access denied";
    let kept = "Sending of the message failed.\nAn error occurred while sending mail.\n554 5.7.1 Relay access denied";
    let mut m = model(bundled(), (80, 24));
    key(&mut m, KeyCode::Char('2'));
    update(&mut m, Msg::Paste(pasted.into()));
    assert_eq!(m.screen, Screen::Paste { text: kept.into() });
    let text = screen_text(&m);
    assert!(text.contains("│Sending of the message failed."), "{text}");
    assert!(
        text.contains("│An error occurred while sending mail."),
        "{text}"
    );
    assert!(!text.contains("failed.An"), "{text}");

    // Helpdesk: the agent's box for the error shows several lines, and the answer keeps them.
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path().join("sessions")).expect("store");
    let mut m = model(bundled(), (80, 24)).recorded(recording(Mode::User, Some(store.clone())));
    key(&mut m, KeyCode::Char('5'));
    key(&mut m, KeyCode::Enter); // no caller name
    assert_eq!(node_id(&m), "start");
    update(&mut m, Msg::Paste(pasted.into()));
    update(
        &mut m,
        Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::ALT)),
    );
    type_text(&mut m, "typed on");
    let text = screen_text(&m);
    for line in [
        "Sending of the message failed.",
        "An error occurred while sending mail.",
        "554 5.7.1 Relay access denied",
        "typed on",
    ] {
        assert!(
            text.lines().any(|row| row.contains(&format!("│{line}"))),
            "{line:?} on a row of its own:\n{text}"
        );
    }
    snapshot_redacted("agent_error_box", &m);
    key(&mut m, KeyCode::Enter);
    let id = m.saved.clone().expect("saved");
    let saved = store.load(&id).expect("load");
    let answer = saved.events.iter().find_map(|event| match &event.what {
        EventKind::Answer {
            node,
            value: Some(value),
            ..
        } if node == "start" => Some(value.clone()),
        _ => None,
    });
    assert_eq!(answer, Some(format!("{kept}\ntyped on")));
}

#[test]
fn a_burst_of_keys_holding_several_lines_is_a_paste_and_nothing_else_is() {
    use crossterm::event::Event;
    let keys = |text: &str| -> Vec<Event> {
        text.chars()
            .map(|c| match c {
                '\r' => Event::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
                '\x0a' => Event::Key(KeyEvent::new(KeyCode::Char('j'), KeyModifiers::CONTROL)),
                c => Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)),
            })
            .collect()
    };
    // A pasted bounce: Enter or a bare line feed between lines.
    assert_eq!(
        super::pasted_text(&keys("Sending failed.\rq\r554 Relay access denied")).as_deref(),
        Some("Sending failed.\nq\n554 Relay access denied")
    );
    assert_eq!(
        super::pasted_text(&keys("first line\x0asecond")).as_deref(),
        Some("first line\nsecond")
    );
    // What a person or a test driver sends as keys stays keys.
    for typed in [
        "1\r",
        "10",
        "q",
        "me@example.com\r",
        "me@example.com",
        "a\rb",
    ] {
        assert_eq!(super::pasted_text(&keys(typed)), None, "{typed:?}");
    }
    let mut arrows = keys("Sending failed.\rmore text");
    arrows.push(Event::Key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE)));
    assert_eq!(super::pasted_text(&arrows), None);
    let mut ctrl_c = keys("Sending failed.\rmore text");
    ctrl_c.push(Event::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::CONTROL,
    )));
    assert_eq!(super::pasted_text(&ctrl_c), None);
}
