//! The cost of recording: one step of a recorded wizard run (the engine step plus the atomic
//! save with fsync and rename), resuming a long session by replay, and `sessions stats` over
//! many saved sessions.
//!
//! Run: `cargo bench --bench sessions`. Files go to a temporary folder on the same disk as the
//! system's temp dir, so the save figure includes a real fsync there.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use relaydoc::engine::{Drive, Message, State, walk_on};
use relaydoc::knowledge::Knowledge;
use relaydoc::session::recorder::Details;
use relaydoc::session::{Mode, Recorder, Store, SystemClock, stats};

fn knowledge() -> Knowledge {
    relaydoc::knowledge::bundled().expect("the bundled knowledge loads")
}

/// A run that answers "don't know" everywhere and goes back and forth: many events.
fn long_run<'k>(knowledge: &'k Knowledge, store: Option<Store>) -> Recorder<'k> {
    let (mut recorder, effects) = Recorder::start(
        knowledge,
        Default::default(),
        Mode::Agent,
        Details::default(),
        store,
        Box::new(SystemClock),
    );
    drop(effects);
    for round in 0..20 {
        let _ = recorder.update(Message::DontKnow);
        if let State::Checking(request) = recorder.state().clone() {
            let _ = recorder.update(Message::CheckFailed { node: request.node });
        }
        recorder.note(&format!("note {round}"));
        let _ = recorder.update(Message::Back);
    }
    walk_on(&mut recorder, Vec::new(), |_| None).expect("the bundled tree walks to an end");
    recorder
}

fn recording(c: &mut Criterion) {
    let knowledge = knowledge();
    let dir = tempfile::tempdir().expect("a temp dir");
    let store = Store::open(dir.path()).expect("a store");

    c.bench_function("session/step+atomic save", |b| {
        let (mut recorder, _) = Recorder::start(
            &knowledge,
            Default::default(),
            Mode::Agent,
            Details::default(),
            Some(store.clone()),
            Box::new(SystemClock),
        );
        b.iter(|| recorder.note(black_box("the caller uses a hotel Wi-Fi")));
    });

    let session = long_run(&knowledge, None).session().clone();
    println!("long session: {} events", session.events.len());
    c.bench_function("session/resume by replay (long run)", |b| {
        b.iter_batched(
            || session.clone(),
            |session| {
                let (recorder, _, resumed) =
                    Recorder::resume(&knowledge, session, None, Box::new(SystemClock));
                black_box((recorder.session().events.len(), resumed))
            },
            BatchSize::SmallInput,
        );
    });

    // 1,000 saved sessions: list + stats, as `relaydoc sessions stats` does.
    let many = tempfile::tempdir().expect("a temp dir");
    let many_store = Store::open(many.path()).expect("a store");
    for _ in 0..1000 {
        let mut session = session.clone();
        session.id = relaydoc::session::new_id(jiff::Timestamp::now());
        many_store.save(&session).expect("saved");
    }
    c.bench_function("session/list+stats of 1000 sessions", |b| {
        b.iter(|| {
            let listing = many_store.list().expect("listed");
            black_box(stats::compute(&listing.sessions))
        });
    });
}

criterion_group!(benches, recording);
criterion_main!(benches);
