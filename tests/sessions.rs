//! Sessions end to end: a recorded run saved and loaded back, resumed by replay to exactly the
//! same state, the store's ids, damaged files next to good ones, statistics over generated
//! sessions, and a Markdown export that neither breaks the ticket nor the terminal.
//!
//! The pseudo-terminal tests (kill -9, the agent flow, the password canary) are in
//! `tests/sessions_pty.rs`.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use jiff::Timestamp;
use relaydoc::engine::{Effect, Facts, Message, State};
use relaydoc::knowledge::Knowledge;
use relaydoc::session::recorder::Details;
use relaydoc::session::{Clock, EventKind, Mode, Recorder, Session, Store, StoreError};
use relaydoc::vocab::Secret;

/// 2026-03-01 09:00:00 UTC: every test run starts its sessions here, so times are known.
const T0: i64 = 1_772_355_600;

/// A clock the test owns: it moves `step` seconds at every reading, and the test can also
/// set it outright.
#[derive(Clone)]
struct TestClock {
    seconds: Arc<AtomicI64>,
    step: i64,
}

impl TestClock {
    fn stepping(start: i64, step: i64) -> Self {
        Self {
            seconds: Arc::new(AtomicI64::new(start)),
            step,
        }
    }

    fn set(&self, seconds: i64) {
        self.seconds.store(seconds, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> Timestamp {
        let seconds = self.seconds.fetch_add(self.step, Ordering::SeqCst);
        Timestamp::from_second(seconds).expect("a valid test time")
    }
}

fn bundled() -> Knowledge {
    relaydoc::knowledge::bundled().expect("bundled knowledge")
}

fn facts(pairs: &[(&str, &str)]) -> Facts {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// One thing a person (or a check) does in a scripted run.
#[derive(Debug, Clone, Copy)]
enum Step<'a> {
    Answer(&'a str),
    /// Typed into a password field.
    Password(&'a str),
    DontKnow,
    Back,
    Restart,
    /// The running check finished with these facts.
    Check(&'a [(&'a str, &'a str)]),
    /// The running check could not run.
    CheckFails,
    Note(&'a str),
}

/// Plays `steps` on the recorder; every step must be accepted.
fn play(recorder: &mut Recorder<'_>, steps: &[Step<'_>]) -> Vec<Effect> {
    let mut effects = Vec::new();
    for (n, step) in steps.iter().enumerate() {
        let message = match *step {
            Step::Answer(value) => Message::Answer(value.to_string()),
            Step::Password(typed) => {
                Message::Secret(relaydoc::engine::SecretInput::Typed(Secret::new(typed)))
            }
            Step::DontKnow => Message::DontKnow,
            Step::Back => Message::Back,
            Step::Restart => Message::Restart,
            Step::Check(found) => Message::CheckFinished {
                node: checking(recorder, n, step),
                facts: facts(found),
            },
            Step::CheckFails => Message::CheckFailed {
                node: checking(recorder, n, step),
            },
            Step::Note(text) => {
                recorder.note(text);
                continue;
            }
        };
        effects = recorder.update(message).unwrap_or_else(|error| {
            panic!(
                "step {n} {step:?} refused at {:?}: {error}",
                recorder.wizard().current().map(|node| &node.id)
            )
        });
    }
    effects
}

fn checking(recorder: &Recorder<'_>, n: usize, step: &Step<'_>) -> usize {
    match recorder.wizard().state() {
        State::Checking(request) => request.node,
        other => panic!("step {n} {step:?}: no check is running ({other:?})"),
    }
}

fn here(recorder: &Recorder<'_>) -> String {
    recorder
        .wizard()
        .current()
        .map(|node| node.id.clone())
        .unwrap_or_default()
}

fn start<'k>(
    kb: &'k Knowledge,
    initial: Facts,
    store: Option<Store>,
    clock: &TestClock,
) -> (Recorder<'k>, Vec<Effect>) {
    // User mode: these runs take the routes where relaydoc itself checks the public IP (in
    // agent mode the caller reads theirs out instead; tests/tree_paths.rs walks both).
    Recorder::start(
        kb,
        initial,
        Mode::User,
        Details {
            agent: Some("Agent A".into()),
            caller: Some("Test Caller".into()),
        },
        store,
        Box::new(clock.clone()),
    )
}

/// Everything about where a run stands that a resumed run must match.
fn same_place(original: &Recorder<'_>, resumed: &Recorder<'_>, what: &str) {
    let (a, b) = (original.wizard(), resumed.wizard());
    assert_eq!(a.state(), b.state(), "{what}: state");
    assert_eq!(a.facts(), b.facts(), "{what}: facts");
    assert_eq!(a.path(), b.path(), "{what}: path");
    assert_eq!(a.outcome(), b.outcome(), "{what}: outcome");
    assert_eq!(a.can_go_back(), b.can_go_back(), "{what}: history");
    let answered = |w: &relaydoc::engine::Wizard<'_>| {
        w.answered()
            .into_iter()
            .map(|(node, answer)| (node.id.clone(), answer))
            .collect::<Vec<_>>()
    };
    assert_eq!(answered(a), answered(b), "{what}: answers");
}

const PASTED: &str = "554 5.7.1 <friend@example.org>: Relay access denied";

/// Up to "does your program sign in" from the start, by hand.
const TO_SMTP_AUTH: &[Step<'static>] = &[
    Step::Answer("relay"),
    Step::Answer("client"),
    Step::Answer("program"),
    Step::Answer("thunderbird"),
    Step::Answer("alice@example.test"),
    Step::Answer("mail.example.test"),
    Step::Answer("one"),
    Step::Answer("all-external"),
];

fn no_error_text() -> Facts {
    facts(&[("error.text", "unknown")])
}

fn temp_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path().join("sessions")).expect("store opens");
    (dir, store)
}

#[test]
fn a_recorded_run_is_saved_after_every_step_and_loads_back_equal() {
    let kb = bundled();
    let (_dir, store) = temp_store();
    let clock = TestClock::stepping(T0, 7);
    let (mut recorder, _) = start(&kb, no_error_text(), Some(store.clone()), &clock);
    let id = recorder.session().id.clone();
    assert_eq!(
        store.load(&id).expect("saved at once"),
        *recorder.session(),
        "saved before the first question"
    );
    for (n, step) in TO_SMTP_AUTH.iter().enumerate() {
        play(&mut recorder, &[*step]);
        let saved = store.load(&id).expect("saved after the step");
        assert_eq!(saved, *recorder.session(), "after step {n}");
        let answers = saved
            .events
            .iter()
            .filter(|event| matches!(event.what, EventKind::Answer { .. }))
            .count();
        assert_eq!(answers, n + 1, "every answer is on disk at once");
    }
    play(
        &mut recorder,
        &[Step::Note("caller on a train"), Step::Answer("off")],
    );
    let saved = store.load(&id).expect("saved");
    assert_eq!(saved, *recorder.session());
    assert!(saved.status.finished);
    assert_eq!(saved.status.cause.as_deref(), Some("client-auth-off"));
    assert_eq!(saved.caller.as_deref(), Some("Test Caller"));
    assert_eq!(saved.started, Timestamp::from_second(T0).expect("time"));
    // The test clock moves at every reading: event times are strictly increasing.
    let times: Vec<_> = saved.events.iter().map(|event| event.at).collect();
    assert!(
        times.windows(2).all(|pair| pair[0] < pair[1]),
        "times: {times:?}"
    );
    assert!(saved.finished_at().is_some());
    // Loaded by prefix and as `last` too.
    assert_eq!(store.load(&id[..12]).expect("by prefix"), saved);
    assert_eq!(store.load("last").expect("last"), saved);
}

/// Scripted runs with every kind of step; each one resumed from its saved file must stand
/// exactly where the original stands, and keep doing the same when both go on.
#[test]
fn resume_replays_to_the_same_state() {
    let kb = bundled();
    let runs: Vec<(&str, Facts, Vec<Step<'static>>)> = vec![
        (
            "answers, back and don't know",
            no_error_text(),
            [
                TO_SMTP_AUTH,
                &[
                    Step::Back,
                    Step::Back,
                    Step::Answer("one"),
                    Step::DontKnow,
                    Step::Answer("on"),
                    Step::DontKnow,
                    Step::DontKnow,
                ],
            ]
            .concat(),
        ),
        (
            "restart half-way",
            no_error_text(),
            [
                &[
                    Step::Answer("relay"),
                    Step::Answer("bounce"),
                    Step::Restart,
                    Step::Answer("auth-failed"),
                    Step::Back,
                    Step::Restart,
                ][..],
                TO_SMTP_AUTH,
            ]
            .concat(),
        ),
        (
            "checks with results, a password, and on to the blocklist check",
            Facts::new(),
            vec![
                Step::Answer(PASTED),
                Step::Check(&[("error.kind", "relay"), ("error.where", "client")]),
                Step::Answer("program"),
                Step::Answer("thunderbird"),
                Step::Answer("alice@example.test"),
                Step::Answer("mail.example.test"),
                Step::Answer("one"),
                Step::Answer("all-external"),
                Step::Answer("on"),
                Step::Password("Not-the-real-pw-1"),
                Step::Check(&[("server.auth_works", "yes"), ("auth.mechanisms", "PLAIN")]),
                Step::Answer("smtp-auth"),
                Step::Answer("no"),
                Step::Answer("email-provider"),
                Step::Answer("starttls"),
                Step::Answer("yes"),
                Step::Check(&[("client.ip_blacklisted", "no")]),
            ],
        ),
        (
            "a check that could not run",
            Facts::new(),
            vec![
                Step::Answer(PASTED),
                Step::CheckFails,
                Step::Answer("relay"),
                Step::Answer("client"),
                Step::DontKnow,
            ],
        ),
        (
            "stopped while the error text is read",
            Facts::new(),
            vec![Step::Answer(PASTED)],
        ),
        (
            "finished",
            no_error_text(),
            [TO_SMTP_AUTH, &[Step::Answer("off")]].concat(),
        ),
    ];
    for (what, initial, steps) in runs {
        let (_dir, store) = temp_store();
        let clock = TestClock::stepping(T0, 3);
        let (mut original, _) = start(&kb, initial, Some(store.clone()), &clock);
        let effects = play(&mut original, &steps);
        let saved = store.load(&original.session().id).expect("saved");
        let (mut resumed, resumed_effects, report) =
            Recorder::resume(&kb, saved, Some(store.clone()), Box::new(clock.clone()));
        same_place(&original, &resumed, what);
        assert_eq!(report.skipped, 0, "{what}: nothing skipped");
        let steps_taken = steps
            .iter()
            .filter(|step| !matches!(step, Step::Note(_)))
            .count();
        assert_eq!(report.replayed, steps_taken, "{what}: every step replayed");
        // A check still running when the run stopped is asked for again.
        assert_eq!(
            resumed_effects,
            effects_if_checking(&original, effects),
            "{what}"
        );
        assert!(
            matches!(
                resumed.session().events.last().map(|event| &event.what),
                Some(EventKind::Resumed { skipped: 0 })
            ),
            "{what}: the resume is recorded"
        );
        // Both go on the same way: history, facts and all.
        if original.wizard().can_go_back() {
            original.update(Message::Back).expect("back");
            resumed.update(Message::Back).expect("back");
            same_place(&original, &resumed, &format!("{what}, then back"));
        }
    }
}

fn effects_if_checking(recorder: &Recorder<'_>, effects: Vec<Effect>) -> Vec<Effect> {
    match recorder.wizard().state() {
        State::Checking(_) => effects,
        _ => Vec::new(),
    }
}

/// The password is never saved, so a run stopped during the sign-in test cannot run it again
/// on resume: it asks for the password again, and answering goes on exactly as before.
#[test]
fn resume_during_a_check_that_needs_the_password_asks_for_it_again() {
    let kb = bundled();
    let (_dir, store) = temp_store();
    let clock = TestClock::stepping(T0, 1);
    let password = "Resume-Canary-7f3a";
    let (mut original, _) = start(&kb, no_error_text(), Some(store.clone()), &clock);
    play(&mut original, TO_SMTP_AUTH);
    play(&mut original, &[Step::Answer("on")]);
    assert_eq!(here(&original), "i-password");
    let effects = play(&mut original, &[Step::Password(password)]);
    let [Effect::RunCheck(request)] = effects.as_slice() else {
        panic!("the sign-in test starts: {effects:?}");
    };
    assert_eq!(
        request.secrets.get("password").map(Secret::expose),
        Some(password)
    );
    // Stopped here (the program was killed while the check ran).
    let file = std::fs::read_to_string(store.path_of(&original.session().id)).expect("file");
    assert!(!file.contains(password), "the password was saved: {file}");

    let saved = store.load("last").expect("saved");
    let (mut resumed, effects, report) =
        Recorder::resume(&kb, saved, Some(store.clone()), Box::new(clock.clone()));
    assert_eq!(report.skipped, 0);
    assert_eq!(here(&resumed), "i-password", "asks for the password again");
    assert!(matches!(resumed.wizard().state(), State::Asking(_)));
    assert!(effects.is_empty(), "no check runs without the password");
    assert_eq!(resumed.wizard().secret("account.password"), None);

    // Typed again: the check runs with the new password; then a second resume of the same
    // session replays the whole story, the first resume included.
    let effects = play(&mut resumed, &[Step::Password("Typed-again-pw")]);
    let [Effect::RunCheck(request)] = effects.as_slice() else {
        panic!("the sign-in test starts again: {effects:?}");
    };
    assert_eq!(
        request.secrets.get("password").map(Secret::expose),
        Some("Typed-again-pw")
    );
    play(
        &mut resumed,
        &[
            Step::Check(&[("server.auth_works", "yes")]),
            Step::Answer("smtp-auth"),
        ],
    );
    assert_eq!(here(&resumed), "q-recently-changed");
    let saved = store.load("last").expect("saved");
    let (again, effects, report) = Recorder::resume(&kb, saved, None, Box::new(clock.clone()));
    assert_eq!(report.skipped, 0, "{:#?}", again.session().events);
    assert!(effects.is_empty());
    same_place(&resumed, &again, "second resume");
    let file = std::fs::read_to_string(store.path_of(&resumed.session().id)).expect("file");
    assert!(!file.contains("Typed-again-pw"), "the password was saved");
}

/// A password typed long before does not stop a later check that does not use it from
/// running again on resume.
#[test]
fn resume_during_a_check_without_the_password_runs_it_again() {
    let kb = bundled();
    let clock = TestClock::stepping(T0, 1);
    let (_dir, store) = temp_store();
    let (mut original, _) = start(&kb, no_error_text(), Some(store.clone()), &clock);
    play(&mut original, TO_SMTP_AUTH);
    let effects = play(
        &mut original,
        &[
            Step::Answer("on"),
            Step::Password("Some-password-1"),
            Step::Check(&[("server.auth_works", "yes")]),
            Step::Answer("smtp-auth"),
            Step::Answer("no"),
            Step::Answer("email-provider"),
            Step::Answer("starttls"),
            Step::Answer("yes"),
        ],
    );
    assert_eq!(here(&original), "c-my-ip-listed");
    assert_eq!(effects.len(), 1, "the blocklist check starts");
    let saved = store.load("last").expect("saved");
    let (resumed, resumed_effects, _) = Recorder::resume(&kb, saved, None, Box::new(clock.clone()));
    same_place(&original, &resumed, "stopped in the blocklist check");
    assert_eq!(resumed_effects, effects, "the blocklist check runs again");
}

/// A password in a note is taken out, whether the note was made before the password was
/// typed or after; and a short password that is also part of ids, times or choice values
/// ("2026", "smtp") takes out only itself, never the record's structure.
#[test]
fn passwords_are_scrubbed_from_notes_and_only_from_free_text() {
    let kb = bundled();
    for password in ["Note-Canary-91x", "2026", "smtp", "one"] {
        let (_dir, store) = temp_store();
        let clock = TestClock::stepping(T0, 1);
        let (mut original, _) = start(&kb, no_error_text(), Some(store.clone()), &clock);
        let before = format!("caller spells the password: {password}!");
        let after = format!("typed {password} as told");
        let reply = format!("535 5.7.8 {password} rejected");
        play(&mut original, &[Step::Note(&before)]);
        play(&mut original, TO_SMTP_AUTH);
        play(
            &mut original,
            &[
                Step::Answer("on"),
                Step::Password(password),
                Step::Check(&[("server.auth_works", "yes"), ("auth.reply", &reply)]),
                Step::Note(&after),
                Step::Answer("smtp-auth"),
            ],
        );
        let saved = store.load("last").expect("saved");
        assert_eq!(saved, *original.session());
        let notes: Vec<&str> = saved.notes().map(|(_, text)| text).collect();
        assert_eq!(
            notes,
            [
                "caller spells the password: [password removed]!",
                "typed [password removed] as told"
            ],
            "{password}"
        );
        let check_reply = saved.events.iter().find_map(|event| match &event.what {
            EventKind::Check { facts, .. } => facts.get("auth.reply").cloned(),
            _ => None,
        });
        assert_eq!(
            check_reply.as_deref(),
            Some("535 5.7.8 [password removed] rejected")
        );
        // The structure is whole: same id, times, nodes and choices, and it replays.
        assert!(saved.id.starts_with("20260301-0900"), "{}", saved.id);
        assert_eq!(saved.started, Timestamp::from_second(T0).expect("time"));
        assert_eq!(saved.status.node, "q-recently-changed");
        assert_eq!(
            saved
                .status
                .facts
                .get("account.auth_scheme")
                .map(String::as_str),
            Some("smtp-auth")
        );
        assert_eq!(
            saved.status.facts.get("users.affected").map(String::as_str),
            Some("one")
        );
        let facts_saved = saved.status.facts.clone();
        let (resumed, _, report) = Recorder::resume(&kb, saved, None, Box::new(clock.clone()));
        assert_eq!(report.skipped, 0, "{password}");
        assert_eq!(resumed.wizard().state(), original.wizard().state());
        assert_eq!(resumed.wizard().path(), original.wizard().path());
        // The server's reply is kept as saved, scrubbed.
        assert_eq!(*resumed.wizard().facts(), facts_saved);
        if password.len() > 4 {
            let file =
                std::fs::read_to_string(store.path_of(&original.session().id)).expect("file");
            assert!(!file.contains(password), "{file}");
        }
    }
}

/// The overlay sends "all external mail fails" somewhere else than the saved run went.
fn changed_knowledge() -> (tempfile::TempDir, Knowledge) {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("tree")).expect("mkdir");
    std::fs::write(
        dir.path().join("tree/ours.yaml"),
        r#"nodes:
  - id: q-recipients
    kind: question
    title: Which messages fail
    fact: recipients.scope
    text: Which messages fail?
    choices:
      - value: all-external
        label: Every message to outside addresses fails
        next: q-server-owner-local
      - value: some
        label: Only messages to certain addresses
        next: q-bounce-mentions
      - value: local-too
        label: Even messages to colleagues fail
        next: q-server-owner-local
    unknown: q-smtp-auth
"#,
    )
    .expect("write");
    let kb = relaydoc::knowledge::load(&[dir.path().to_path_buf()]).expect("overlay is sound");
    (dir, kb)
}

#[test]
fn resume_after_the_knowledge_changed_skips_what_no_longer_fits() {
    let old = bundled();
    let (_dir, store) = temp_store();
    let clock = TestClock::stepping(T0, 1);
    let (mut original, _) = start(&old, no_error_text(), Some(store.clone()), &clock);
    play(&mut original, TO_SMTP_AUTH);
    play(&mut original, &[Step::Answer("on")]);
    assert_eq!(here(&original), "i-password");

    let (_overlay, new) = changed_knowledge();
    let saved = store.load("last").expect("saved");
    let (mut resumed, effects, report) =
        Recorder::resume(&new, saved, Some(store.clone()), Box::new(clock.clone()));
    assert_eq!(report.replayed, TO_SMTP_AUTH.len(), "what still fits");
    assert_eq!(report.skipped, 1, "the sign-in answer no longer fits");
    assert!(effects.is_empty());
    assert_eq!(
        here(&resumed),
        "q-server-owner-local",
        "the last step that fits"
    );
    assert_eq!(
        resumed
            .wizard()
            .facts()
            .get("recipients.scope")
            .map(String::as_str),
        Some("all-external"),
        "answers before the change are kept"
    );
    assert!(
        resumed
            .session()
            .events
            .iter()
            .any(|event| matches!(event.what, EventKind::Resumed { skipped: 1 }))
    );
    play(&mut resumed, &[Step::Answer("old-host")]);
    // The diagnosis may ask a few questions aside before it concludes: "don't know" to each.
    for _ in 0..20 {
        if resumed.session().status.finished {
            break;
        }
        let step = match resumed.wizard().state() {
            relaydoc::engine::State::Checking(_) => Step::CheckFails,
            _ => Step::DontKnow,
        };
        play(&mut resumed, &[step]);
    }
    // Where it concludes is the diagnosis's business (tests/tree_paths.rs); here it must
    // conclude, and resuming again must land on the same place.
    assert!(resumed.session().status.finished);
    assert!(resumed.session().status.node.starts_with("s-"));

    // Picked up once more with the same knowledge: the answer given after the first resume
    // counts; the step already known not to fit is not reported again.
    let saved = store.load("last").expect("saved");
    let (again, _, report) = Recorder::resume(&new, saved, None, Box::new(clock.clone()));
    same_place(&resumed, &again, "resumed twice after a change");
    assert_eq!(report.skipped, 0, "nothing new to skip");
}

#[test]
fn the_store_resolves_ids_prefixes_and_last_and_refuses_paths() {
    let kb = bundled();
    let (_dir, store) = temp_store();
    let mut ids = Vec::new();
    for (n, start_at) in [T0, T0 + 1, T0 + 3600].into_iter().enumerate() {
        let clock = TestClock::stepping(start_at, 0);
        let (mut recorder, _) = start(&kb, no_error_text(), Some(store.clone()), &clock);
        // The most recently updated is not the most recently started.
        clock.set(T0 + 10_000 - n as i64 * 1000);
        play(&mut recorder, &[Step::Answer("relay")]);
        ids.push(recorder.session().id.clone());
    }
    for bad in [
        "../x",
        "..",
        "a/b",
        "x.json",
        "",
        " ",
        "id\u{1b}[31m",
        "/etc/passwd",
    ] {
        assert!(
            matches!(store.resolve(bad), Err(StoreError::BadId(_))),
            "`{bad}` is refused: {:?}",
            store.resolve(bad)
        );
        assert!(matches!(store.delete(bad), Err(StoreError::BadId(_))));
    }
    // 20260301-090000-xxxx and 20260301-090001-xxxx share "20260301-0900".
    assert!(ids[0].starts_with("20260301-090000-"), "{ids:?}");
    match store.resolve("20260301-0900") {
        Err(StoreError::Ambiguous { matches, .. }) => {
            assert_eq!(matches, vec![ids[0].clone(), ids[1].clone()]);
        }
        other => panic!("ambiguous prefix: {other:?}"),
    }
    assert_eq!(store.resolve("20260301-10").expect("unique prefix"), ids[2]);
    assert_eq!(store.resolve(&ids[1]).expect("full id"), ids[1]);
    assert!(matches!(
        store.resolve("2027"),
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(store.resolve("last").expect("last"), ids[0], "updated last");
    assert_eq!(store.delete(&ids[0][..17]).expect("deleted"), ids[0]);
    assert_eq!(store.resolve("last").expect("last"), ids[1]);
    let (_empty_dir, empty) = temp_store();
    assert!(matches!(
        empty.resolve("last"),
        Err(StoreError::NotFound(_))
    ));
}

#[test]
fn runs_started_in_the_same_second_never_share_an_id() {
    let kb = bundled();
    let (_dir, store) = temp_store();
    let clock = TestClock::stepping(T0, 0);
    // Ids have a 16-bit random tail: among 150 runs in one second, two draw the same one
    // about once in six test runs. None may overwrite another.
    let count = 150;
    let ids: BTreeSet<String> = (0..count)
        .map(|_| {
            let (recorder, _) = start(&kb, no_error_text(), Some(store.clone()), &clock);
            recorder.session().id.clone()
        })
        .collect();
    assert_eq!(ids.len(), count, "ids collided");
    let listing = store.list().expect("list");
    assert_eq!(listing.sessions.len(), count, "a session overwrote another");

    // The mechanism, deterministically: creating never replaces; saving does.
    let mut session = listing.sessions[0].clone();
    let before = std::fs::read(store.path_of(&session.id)).expect("file");
    session.caller = Some("someone else".into());
    assert!(matches!(store.create(&session), Err(StoreError::Exists(_))));
    assert_eq!(
        std::fs::read(store.path_of(&session.id)).expect("file"),
        before
    );
    store.save(&session).expect("saved over");
    assert_eq!(store.load(&session.id).expect("loads"), session);
    session.id = "../escape".into();
    assert!(matches!(store.save(&session), Err(StoreError::BadId(_))));
}

/// A run the person quits still says where it stopped.
#[test]
fn a_quit_run_keeps_the_question_it_stopped_at() {
    let kb = bundled();
    let (_dir, store) = temp_store();
    let clock = TestClock::stepping(T0, 1);
    let (mut recorder, _) = start(&kb, no_error_text(), Some(store.clone()), &clock);
    play(&mut recorder, &[Step::Answer("relay")]);
    recorder.update(Message::Quit).expect("quit");
    let saved = store.load("last").expect("saved");
    assert_eq!(saved.status.node, "q-where");
    assert!(!saved.status.finished);
    let (resumed, _, _) = Recorder::resume(&kb, saved, None, Box::new(clock.clone()));
    assert_eq!(here(&resumed), "q-where");
}

/// Facts that answer everything: the run is finished before the first question, and that
/// counts as a solution reached at once.
#[test]
fn a_run_finished_by_its_facts_alone_has_a_finish_time() {
    let kb = bundled();
    let clock = TestClock::stepping(T0, 0);
    let mut all = no_error_text();
    all.extend(facts(&[
        ("error.kind", "relay"),
        ("error.where", "client"),
        ("client.id", "thunderbird"),
        ("account.email", "unknown"),
        ("users.affected", "one"),
        ("recipients.scope", "all-external"),
        ("client.smtp_auth", "off"),
    ]));
    let (recorder, _) = start(&kb, all, None, &clock);
    let session = recorder.session();
    assert!(session.status.finished);
    assert_eq!(session.finished_at(), Some(session.started));
}

// ---------------------------------------------------------------------------------------
// The command line on a sessions folder: damaged files, statistics, the Markdown export.
// ---------------------------------------------------------------------------------------

fn sessions_dir(home: &Path) -> std::path::PathBuf {
    home.join(".local/share/relaydoc/sessions")
}

fn home_store(home: &Path) -> Store {
    Store::open(sessions_dir(home)).expect("store in the isolated home")
}

struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(home: &Path, args: &[&str]) -> Output {
    let output = common::isolated::relaydoc(home)
        .args(args)
        .output()
        .expect("relaydoc runs");
    Output {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[test]
fn damaged_files_are_named_and_the_good_sessions_still_list() {
    let kb = bundled();
    let home = tempfile::tempdir().expect("temp home");
    let store = home_store(home.path());
    let clock = TestClock::stepping(T0, 5);
    let mut good = Vec::new();
    for answers in [&TO_SMTP_AUTH[..2], TO_SMTP_AUTH] {
        let (mut recorder, _) = start(&kb, no_error_text(), Some(store.clone()), &clock);
        play(&mut recorder, answers);
        good.push(recorder.session().clone());
    }
    let dir = sessions_dir(home.path());
    let full = std::fs::read_to_string(store.path_of(&good[0].id)).expect("a good file");
    let mut newer: serde_json::Value = serde_json::from_str(&full).expect("json");
    newer["format"] = serde_json::json!(99);
    newer["id"] = serde_json::json!("20260301-120000-0003");
    newer["hologram"] = serde_json::json!(true);
    let mut renamed: serde_json::Value = serde_json::from_str(&full).expect("json");
    renamed["id"] = serde_json::json!("20260301-120000-ffff");
    let bad: [(&str, String); 6] = [
        (
            "20260301-120000-0001.json",
            full[..full.len() / 2].to_string(),
        ),
        ("20260301-120000-0002.json", "not json at all\n".to_string()),
        ("20260301-120000-0003.json", newer.to_string()),
        ("20260301-120000-0004.json", String::new()),
        ("20260301-120000-0005.json", renamed.to_string()),
        ("20260301-120000-0006.json", "[1, 2, 3]".to_string()),
    ];
    for (name, content) in &bad {
        std::fs::write(dir.join(name), content).expect("write a bad file");
    }
    // What an interrupted write leaves behind, and a stray file: neither is a session.
    std::fs::write(dir.join(format!(".{}.a1B2c3.tmp", good[1].id)), &full[..40]).expect("tmp");
    std::fs::write(dir.join("README.txt"), "hello").expect("stray");

    let named = |output: &Output| {
        for (name, _) in &bad {
            assert_eq!(
                output.stderr.matches(name).count(),
                1,
                "{name} is named once on stderr:\n{}",
                output.stderr
            );
        }
        assert!(!output.stderr.contains("a1B2c3"), "{}", output.stderr);
        assert!(
            output.stderr.contains("newer relaydoc"),
            "{}",
            output.stderr
        );
        assert!(
            output.stderr.contains("20260301-120000-ffff"),
            "says which id the file claims: {}",
            output.stderr
        );
        assert_eq!(output.code, 0, "{}", output.stderr);
    };

    let list = run(home.path(), &["sessions", "list"]);
    named(&list);
    for session in &good {
        assert!(list.stdout.contains(&session.id), "{}", list.stdout);
    }
    assert_eq!(
        list.stdout.lines().count(),
        1 + good.len(),
        "{}",
        list.stdout
    );

    let json = run(home.path(), &["sessions", "list", "--json"]);
    named(&json);
    let rows: Vec<serde_json::Value> = serde_json::from_str(&json.stdout).expect("list JSON");
    let ids: Vec<&str> = rows.iter().filter_map(|row| row["id"].as_str()).collect();
    assert_eq!(ids, good.iter().map(|s| s.id.as_str()).collect::<Vec<_>>());

    let stats = run(home.path(), &["sessions", "stats", "--json"]);
    named(&stats);
    let stats: serde_json::Value = serde_json::from_str(&stats.stdout).expect("stats JSON");
    assert_eq!(stats["sessions"], 2);

    // The damaged file itself is refused by name, not half read.
    let show = run(home.path(), &["sessions", "show", "20260301-120000-0001"]);
    assert_ne!(show.code, 0);
    assert!(
        show.stderr.contains("20260301-120000-0001.json"),
        "{}",
        show.stderr
    );
    // `last` still finds the newest good session.
    let last = run(home.path(), &["sessions", "show", "last", "--json"]);
    assert_eq!(last.code, 0, "{}", last.stderr);
    let shown: Session = serde_json::from_str(&last.stdout).expect("session JSON");
    assert_eq!(shown.id, good[1].id);
}

#[test]
fn a_file_whose_name_is_not_an_id_is_reported_not_printed() {
    let home = tempfile::tempdir().expect("temp home");
    let kb = bundled();
    let store = home_store(home.path());
    let clock = TestClock::stepping(T0, 5);
    let (recorder, _) = start(&kb, no_error_text(), Some(store.clone()), &clock);
    let mut evil: serde_json::Value =
        serde_json::to_value(recorder.session()).expect("session as JSON");
    let name = "x\u{1b}]0;pwned\u{7}\u{1b}[2J";
    evil["id"] = serde_json::json!(name);
    std::fs::write(
        sessions_dir(home.path()).join(format!("{name}.json")),
        evil.to_string(),
    )
    .expect("write");
    let list = run(home.path(), &["sessions", "list"]);
    assert_eq!(list.code, 0, "{}", list.stderr);
    assert!(list.stdout.contains(&recorder.session().id));
    for text in [&list.stdout, &list.stderr] {
        assert!(
            !text.contains('\u{1b}'),
            "escape sequence printed: {text:?}"
        );
    }
    assert!(list.stderr.contains("skipped"), "{}", list.stderr);
}

// ---------------------------------------------------------------------------------------
// Statistics over many generated sessions.
// ---------------------------------------------------------------------------------------

/// Where a generated session starts (beyond the facts) and how it is answered.
struct Profile {
    facts: &'static [(&'static str, &'static str)],
    /// Answers in order; the run stops (unfinished) when they run out before a conclusion.
    answers: &'static [Step<'static>],
}

const PROFILES: &[Profile] = &[
    // Finished by the facts alone.
    Profile {
        facts: &[
            ("error.kind", "relay"),
            ("error.where", "client"),
            ("client.id", "thunderbird"),
            ("account.email", "unknown"),
            ("users.affected", "one"),
            ("recipients.scope", "all-external"),
            ("client.smtp_auth", "off"),
        ],
        answers: &[],
    },
    // Client side, to "turn on sign-in".
    Profile {
        facts: &[],
        answers: &[
            Step::Answer("relay"),
            Step::Answer("client"),
            Step::Answer("phone"),
            Step::Answer("ios-mail"),
            Step::DontKnow,
            Step::Answer("one"),
            Step::Answer("all-external"),
            Step::Answer("off"),
        ],
    },
    // With a back step and a password that is refused.
    Profile {
        facts: &[("error.kind", "relay"), ("error.where", "client")],
        answers: &[
            Step::Answer("program"),
            Step::Answer("outlook-mac"),
            Step::Answer("bob@example.test"),
            Step::DontKnow,
            Step::Answer("all"),
            Step::Back,
            Step::Answer("one"),
            Step::Answer("all-external"),
            Step::Answer("on"),
            Step::Password("Wrong-password-9"),
            Step::Check(&[("server.auth_works", "no")]),
        ],
    },
    // Not a relay denial.
    Profile {
        facts: &[],
        answers: &[Step::Answer("auth-failed")],
    },
    // Stops at the client question.
    Profile {
        facts: &[],
        answers: &[Step::Answer("relay"), Step::Answer("client")],
    },
    // Stops at the sign-in question, after a note.
    Profile {
        facts: &[("error.kind", "relay")],
        answers: &[
            Step::Answer("client"),
            Step::Answer("program"),
            Step::Answer("thunderbird"),
            Step::Note("calls back later"),
            Step::DontKnow,
            Step::Answer("one"),
            Step::Answer("all-external"),
        ],
    },
    // Old host after a move.
    Profile {
        facts: &[("error.kind", "relay"), ("error.where", "client")],
        answers: &[
            Step::Answer("program"),
            Step::Answer("apple-mail-macos"),
            Step::DontKnow,
            Step::Answer("one"),
            Step::Answer("all-external"),
            Step::Answer("on"),
            Step::Answer("smtp-auth"),
            Step::Answer("yes"),
            Step::Answer("moved-host"),
            Step::Answer("old-host"),
        ],
    },
];

/// What the test itself knows about a generated session, independent of the session file.
struct Generated {
    finished: bool,
    cause: Option<String>,
    /// Where it stopped, when unfinished.
    stopped_at: String,
    seconds: i64,
    /// Every node the wizard stood at while asking, plus the final path.
    visited: BTreeSet<String>,
}

fn generate(kb: &Knowledge, store: &Store, n: usize) -> Generated {
    let profile = &PROFILES[n % PROFILES.len()];
    // Unfinished runs also stop part-way through a finishing profile now and then.
    let cut = if n % 11 == 5 { 2 } else { usize::MAX };
    let started = T0 + n as i64 * 3600;
    let per_step = 5 + (n as i64 * 37) % 113;
    let clock = TestClock::stepping(started, 0);
    let mut initial = no_error_text();
    initial.extend(facts(profile.facts));
    // Saved once at the end: saving after every step is proven above, and fsyncs are slow.
    let (mut recorder, _) = start(kb, initial, None, &clock);
    let mut visited = BTreeSet::new();
    let mut at = started;
    for (taken, step) in profile.answers.iter().enumerate() {
        if taken >= cut {
            break;
        }
        if let State::Asking(node) | State::Checking(relaydoc::engine::CheckRequest { node, .. }) =
            recorder.wizard().state()
        {
            visited.insert(kb.node(*node).id.clone());
        }
        if !matches!(step, Step::Note(_)) {
            at += per_step;
        }
        clock.set(at);
        play(&mut recorder, &[*step]);
    }
    // Some quit with Ctrl-C, others were simply left.
    if n.is_multiple_of(3) && !matches!(recorder.wizard().state(), State::Finished(_)) {
        recorder.update(Message::Quit).expect("quit");
    }
    store.save(recorder.session()).expect("saved");
    let outcome = recorder.wizard().outcome();
    visited.extend(outcome.path.iter().cloned());
    let finished =
        outcome.cause.is_some() || matches!(recorder.wizard().state(), State::Finished(_));
    let stopped_at = recorder
        .wizard()
        .path()
        .last()
        .map(|&node| kb.node(node).id.clone())
        .unwrap_or_default();
    Generated {
        finished,
        cause: outcome.cause,
        stopped_at,
        seconds: at - started,
        visited,
    }
}

fn ranked(counts: BTreeMap<String, usize>) -> Vec<serde_json::Value> {
    let mut ranked: Vec<(String, usize)> = counts.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    ranked
        .into_iter()
        .map(|(id, count)| serde_json::json!({"id": id, "count": count}))
        .collect()
}

#[test]
fn stats_over_generated_sessions_match_what_was_generated() {
    let kb = bundled();
    let home = tempfile::tempdir().expect("temp home");
    let store = home_store(home.path());
    let generated: Vec<Generated> = (0..210).map(|n| generate(&kb, &store, n)).collect();

    let mut causes = BTreeMap::new();
    let mut stopped = BTreeMap::new();
    let mut visited = BTreeMap::new();
    let mut durations = Vec::new();
    for session in &generated {
        if session.finished {
            let cause = session.cause.clone().unwrap_or_else(|| "(hand-off)".into());
            *causes.entry(cause).or_insert(0) += 1;
            durations.push(session.seconds);
        } else {
            *stopped.entry(session.stopped_at.clone()).or_insert(0) += 1;
        }
        for node in &session.visited {
            *visited.entry(node.clone()).or_insert(0) += 1;
        }
    }
    durations.sort_unstable();
    let middle = durations.len() / 2;
    let median = if durations.len().is_multiple_of(2) {
        (durations[middle - 1] + durations[middle]) as f64 / 2.0
    } else {
        durations[middle] as f64
    };
    let finished = durations.len();
    assert!(finished > 50 && generated.len() - finished > 50, "a mix");
    assert!(stopped.keys().all(|node| !node.is_empty()), "{stopped:?}");

    let output = run(home.path(), &["sessions", "stats", "--json"]);
    assert_eq!(output.code, 0, "{}", output.stderr);
    assert!(
        output.stderr.is_empty(),
        "no damaged files: {}",
        output.stderr
    );
    let stats: serde_json::Value = serde_json::from_str(&output.stdout).expect("stats JSON");
    assert_eq!(stats["sessions"], generated.len());
    assert_eq!(stats["finished"], finished);
    assert_eq!(stats["causes"], serde_json::Value::Array(ranked(causes)));
    assert_eq!(
        stats["median_seconds_to_solution"].as_f64(),
        Some(median),
        "durations: {durations:?}"
    );
    assert_eq!(
        stats["ended_without_solution"],
        serde_json::Value::Array(ranked(stopped))
    );
    let most_visited = ranked(visited);
    assert_eq!(
        stats["most_visited"],
        serde_json::Value::Array(most_visited.clone())
    );
    // Everyone passes the start; the top entry says so.
    assert_eq!(most_visited[0]["count"], generated.len());

    // The text form says the same numbers, with names a person knows (ids in brackets).
    let text = run(home.path(), &["sessions", "stats"]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    let top_cause = stats["causes"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if let Some(cause) = bundled().cause(&top_cause) {
        assert!(
            text.stdout
                .contains(&format!("{} ({top_cause})", cause.title)),
            "{}",
            text.stdout
        );
    }
    assert!(
        text.stdout.contains(&format!(
            "{} session(s), {finished} reached a solution.",
            generated.len()
        )),
        "{}",
        text.stdout
    );
}

// ---------------------------------------------------------------------------------------
// The Markdown export: text from people and servers cannot break it.
// ---------------------------------------------------------------------------------------

const HOSTILE: &str = "a|b *bold* _it_ `code` [link](http://x.test) <b>#1</b> ~~gone~~ \
                       \u{1b}[31mred\u{1b}[0m \u{1b}]0;title\u{7}end\u{9b}2J\rline2\nline3";

fn hostile_session(kb: &Knowledge, store: &Store) -> Session {
    let clock = TestClock::stepping(T0, 2);
    let (mut recorder, _) = Recorder::start(
        kb,
        Facts::new(),
        Mode::Agent,
        Details {
            agent: Some(format!("Agent {HOSTILE}")),
            caller: Some(format!("Caller {HOSTILE}")),
        },
        Some(store.clone()),
        Box::new(clock),
    );
    let pasted = format!("554 5.7.1 Relay access denied {HOSTILE}");
    play(&mut recorder, &[Step::Answer(&pasted)]);
    let server = format!("server said {HOSTILE}");
    let found = [
        ("error.kind", "relay"),
        ("error.where", "client"),
        ("server.reply", server.as_str()),
    ];
    let note = format!("note {HOSTILE}");
    let email = format!("x|y*@example.test{HOSTILE}");
    play(
        &mut recorder,
        &[
            Step::Check(&found),
            Step::Note(&note),
            Step::Answer("program"),
            Step::Answer("thunderbird"),
            Step::Answer(&email),
            Step::DontKnow,
            Step::Answer("one"),
            Step::Answer("all-external"),
            Step::Answer("off"),
        ],
    );
    recorder.session().clone()
}

fn assert_markdown_is_clean(md: &str) {
    assert!(!md.contains('\u{1b}'), "ESC in the export: {md:?}");
    assert!(!md.contains('\u{9b}'), "CSI in the export: {md:?}");
    assert!(!md.contains('\r'), "CR in the export: {md:?}");
    assert!(!md.contains("]0;title"), "OSC parameters leaked: {md:?}");
    let mut in_fence = false;
    for line in md.lines() {
        // The customer's steps are a code block: shown as typed, markup and all.
        if line.starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        // Table rows keep exactly their three cell borders.
        if line.starts_with('|') {
            let unescaped = line
                .char_indices()
                .filter(|&(i, c)| c == '|' && (i == 0 || !line[..i].ends_with('\\')))
                .count();
            assert_eq!(unescaped, 3, "a cell was split: {line}");
        }
        if line.contains("bold") || line.contains("link") {
            for raw in ["*bold*", "[link]", "`code`", "<b>", "_it_", "~~gone~~"] {
                assert!(!line.contains(raw), "`{raw}` unescaped in: {line}");
            }
        }
    }
    // Hostile text never starts a heading or a list of its own: a line break in it is gone.
    assert!(
        !md.lines()
            .any(|line| line.starts_with("line2") || line.starts_with("line3"))
    );
}

#[test]
fn the_markdown_export_escapes_markup_and_strips_terminal_controls() {
    let kb = bundled();
    let home = tempfile::tempdir().expect("temp home");
    let store = home_store(home.path());
    let session = hostile_session(&kb, &store);
    let md = relaydoc::session::export::to_markdown(&kb, &session);
    assert_markdown_is_clean(&md);
    // A hand-edited (or overlay-made) file: even parameter names are text.
    let mut edited = session.clone();
    for event in &mut edited.events {
        if let EventKind::Check { params, .. } = &mut event.what {
            params.insert(format!("param {HOSTILE}"), "value".into());
        }
    }
    let edited_md = relaydoc::session::export::to_markdown(&kb, &edited);
    assert_markdown_is_clean(&edited_md);
    assert!(edited_md.contains("param a\\|b"), "{edited_md}");
    assert!(md.contains("| Customer | Caller a\\|b \\*bold\\*"), "{md}");
    assert!(
        md.contains("server said a\\|b"),
        "the check's finding is there: {md}"
    );
    assert!(md.contains("note a\\|b"), "the note is there: {md}");
    // The same ticket as text for a screen: the person's text as typed, no Markdown marks.
    let text = relaydoc::session::export::to_text_in(&kb, &session, &jiff::tz::TimeZone::UTC);
    assert!(text.contains("Customer: Caller a|b *bold*"), "{text}");
    for mark in ["|---", "| |", "**", "\\|", "```text"] {
        assert!(!text.contains(mark), "`{mark}` in: {text}");
    }
    assert!(!text.contains('\u{1b}'));
    for line in relaydoc::session::export::internal_summary(&kb, &session) {
        assert!(!line.contains('\u{1b}'), "{line:?}");
    }

    // The same through the command line, to the terminal and to a file.
    let show = run(home.path(), &["sessions", "show", "last"]);
    assert_eq!(show.code, 0, "{}", show.stderr);
    assert_eq!(show.stdout, md);
    let file = home.path().join("ticket.md");
    let export = run(
        home.path(),
        &["sessions", "export", "last", "--format", "md", "-o"],
    );
    assert_ne!(export.code, 0, "-o needs a file name");
    let export = common::isolated::relaydoc(home.path())
        .args(["sessions", "export", "last", "--format", "md", "-o"])
        .arg(&file)
        .output()
        .expect("runs");
    assert!(export.status.success());
    assert_eq!(std::fs::read_to_string(&file).expect("written"), md);
    let list = run(home.path(), &["sessions", "list"]);
    assert!(!list.stdout.contains('\u{1b}'), "{:?}", list.stdout);
    assert!(list.stdout.contains("Caller a|b"), "{}", list.stdout);
}

/// Temporary files of writes killed long ago are cleaned up when a new session is created
/// (never when the store is only opened or read); one of a write that may still be in progress
/// (recent) is left alone, and sessions are untouched.
#[test]
fn stale_temporary_files_are_removed_fresh_ones_kept() {
    let dir = tempfile::tempdir().expect("temp dir");
    let kb = relaydoc::knowledge::bundled().expect("bundled knowledge");
    let clock = TestClock::stepping(1_795_000_000, 1);
    let store = Store::open(dir.path()).expect("store");
    let (recorder, _) = start(&kb, Facts::new(), Some(store), &clock);
    let id = recorder.session().id.clone();
    let stale = dir.path().join(format!(".relaydoc-{id}.Old123.tmp"));
    let fresh = dir.path().join(format!(".relaydoc-{id}.New123.tmp"));
    std::fs::write(&stale, b"{\"half\": ").expect("write");
    std::fs::write(&fresh, b"{\"half\": ").expect("write");
    let an_hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&stale)
        .and_then(|file| file.set_modified(an_hour_ago))
        .expect("age the stale file");

    let reopened = Store::open(dir.path()).expect("store");
    assert!(
        stale.exists(),
        "opening the store (to read) removes nothing"
    );
    assert_eq!(reopened.load(&id).expect("the session").id, id);
    let clock = TestClock::stepping(1_795_100_000, 1);
    let _second = start(&kb, Facts::new(), Some(reopened), &clock);
    assert!(!stale.exists(), "a temporary an hour old is removed");
    assert!(
        fresh.exists(),
        "a recent temporary may be a write in progress"
    );
}

/// `sessions export -o` writes a file only its owner can read, as the session files are.
#[cfg(unix)]
#[test]
fn exports_are_private_files() {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().expect("home");
    let walk = common::isolated::relaydoc(home.path())
        .args(["wizard", "--json", "--fact", "client.smtp_auth=off"])
        .output()
        .expect("run the wizard");
    assert!(walk.status.code().is_some_and(|code| code <= 1), "{walk:?}");
    for format in ["md", "json"] {
        let target = home.path().join(format!("ticket.{format}"));
        let export = common::isolated::relaydoc(home.path())
            .args(["sessions", "export", "last", "--format", format, "-o"])
            .arg(&target)
            .output()
            .expect("run sessions export");
        assert!(export.status.success(), "{export:?}");
        let mode = std::fs::metadata(&target)
            .expect("the export exists")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{format}: {mode:o}");
    }
}

/// `sessions prune` deletes what was not touched for the given age, and only that; `--dry-run`
/// deletes nothing.
#[test]
fn prune_deletes_only_sessions_older_than_the_age() {
    let home = tempfile::tempdir().expect("home");
    let dir = home.path().join(".local/share/relaydoc/sessions");
    let kb = relaydoc::knowledge::bundled().expect("bundled knowledge");
    let now = Timestamp::now().as_second();
    let mut ids = Vec::new();
    for days_ago in [200, 100, 10] {
        let clock = TestClock::stepping(now - days_ago * 86_400, 1);
        let store = Store::open(&dir).expect("store");
        let (mut recorder, _) = start(&kb, Facts::new(), Some(store), &clock);
        recorder.update(Message::DontKnow).expect("an answer");
        ids.push(recorder.session().id.clone());
    }
    let run = |args: &[&str]| {
        let output = common::isolated::relaydoc(home.path())
            .args(args)
            .output()
            .expect("run relaydoc");
        assert!(output.status.success(), "{output:?}");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let dry = run(&["sessions", "prune", "--older-than", "90d", "--dry-run"]);
    assert!(dry.contains(&format!("would delete {}", ids[0])), "{dry}");
    assert!(dry.contains(&format!("would delete {}", ids[1])), "{dry}");
    assert!(!dry.contains(&ids[2]), "{dry}");
    assert_eq!(
        Store::open(&dir)
            .expect("store")
            .list()
            .expect("list")
            .sessions
            .len(),
        3
    );

    let pruned = run(&["sessions", "prune", "--older-than", "150d"]);
    assert!(pruned.contains("1 session(s) deleted; 2 kept"), "{pruned}");
    let left: Vec<String> = Store::open(&dir)
        .expect("store")
        .list()
        .expect("list")
        .sessions
        .into_iter()
        .map(|session| session.id)
        .collect();
    assert_eq!(left, vec![ids[1].clone(), ids[2].clone()]);
}
