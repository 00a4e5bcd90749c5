//! A fuzz smoke run on the stable toolchain, in CI: every fuzz target's body (`fuzz/bodies.rs`,
//! the same code the libFuzzer targets run) over its whole corpus in `fuzz/corpus/<target>/`,
//! then over deterministic mutations of it (bit flips, byte edits, deletions, duplicated and
//! spliced ranges, tokens that readers care about). Coverage-guided fuzzing needs nightly
//! (`fuzz/smoke.sh`, `cargo +nightly fuzz run`); this run needs nothing but `cargo test`, so a
//! reader that panics or hangs on a known input or a near miss fails CI.
//!
//! An input that panics or runs past the watchdog is written to
//! `target/fuzz-smoke/<target>-<n>` and named in the failure, to replay it with
//! `cargo +nightly fuzz run <target> <file>`. `FUZZ_SMOKE_SCALE=10` runs ten times as many
//! mutations (the seed is fixed, so a run is repeatable).

#[path = "../fuzz/bodies.rs"]
mod bodies;

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

/// Mutations per target at scale 1, by the cost of one run in a debug build (the knowledge
/// target rebuilds the whole bundled knowledge for each input).
fn mutations_for(target: &str) -> usize {
    match target {
        "knowledge_yaml" => 60,
        "explain_reader" | "session" | "facts" => 600,
        _ => 2000,
    }
}

/// Far above any honest run of one input here; a reader that loops forever trips it.
const WATCHDOG: Duration = Duration::from_secs(60);

/// Bytes readers give meaning to: separators, escapes, macros, MIME and YAML punctuation.
const TOKENS: &[&[u8]] = &[
    b"\n",
    b"\r\n",
    b"$",
    b"${",
    b"$(",
    b"=",
    b":",
    b",",
    b"/",
    b"[",
    b"]",
    b"{",
    b"}",
    b"- ",
    b"&a ",
    b"*a",
    b"!!",
    b"\"",
    b"'",
    b"\\",
    b"\x1b[",
    b"\x1b]",
    b"\0",
    b"\xff",
    b"\xc3",
    b"--",
    b"=?utf-8?B?",
    b"=?iso-2022-jp?Q?",
    b"Content-Type: multipart/mixed; boundary=x\r\n",
    b"Content-Transfer-Encoding: quoted-printable\r\n",
    b"=\r\n",
    b"554-",
    b"554 5.7.1 ",
    b"250-",
    b"0.0.0.0/0",
    b"::/0",
    b"-o ",
];

/// xorshift64*: small, fixed and fast; the run must be the same every time.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

fn mutate(rng: &mut Rng, input: &[u8], corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut data = input.to_vec();
    for _ in 0..=rng.below(4) {
        let len = data.len();
        match rng.below(8) {
            0 if len > 0 => {
                let at = rng.below(len);
                data[at] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let at = rng.below(len);
                data[at] = rng.next() as u8;
            }
            2 => {
                let at = rng.below(len + 1);
                let token = TOKENS[rng.below(TOKENS.len())];
                data.splice(at..at, token.iter().copied());
            }
            3 if len > 0 => {
                let from = rng.below(len);
                let to = (from + 1 + rng.below(64)).min(len);
                data.drain(from..to);
            }
            4 if len > 0 => {
                // A range repeated: nesting, long lines, many records.
                let from = rng.below(len);
                let to = (from + 1 + rng.below(256)).min(len);
                let piece = data[from..to].to_vec();
                let at = rng.below(len + 1);
                for _ in 0..=rng.below(8) {
                    data.splice(at..at, piece.iter().copied());
                }
            }
            5 if !corpus.is_empty() => {
                let other = &corpus[rng.below(corpus.len())];
                if !other.is_empty() {
                    let from = rng.below(other.len());
                    let to = (from + 1 + rng.below(512)).min(other.len());
                    let at = rng.below(len + 1);
                    data.splice(at..at, other[from..to].iter().copied());
                }
            }
            6 if len > 0 => data.truncate(rng.below(len)),
            _ => {
                let at = rng.below(len + 1);
                data.insert(at, rng.next() as u8);
            }
        }
    }
    data
}

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
        .map(|entry| entry.expect("corpus entry").path())
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|path| std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .collect()
}

/// Keeps a failing input where a person can find it, and says where.
fn keep(target: &str, n: usize, data: &[u8]) -> String {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let dir = tmp.parent().unwrap_or(tmp).join("fuzz-smoke");
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(format!("{target}-{n}"));
    match std::fs::write(&path, data) {
        Ok(()) => path.display().to_string(),
        Err(error) => format!("(could not keep it: {error})"),
    }
}

/// Runs every input on a worker thread, so a panic is caught with its input and a hang is
/// named instead of stalling CI.
fn smoke(target: &'static str) {
    let corpus = corpus(target);
    assert!(!corpus.is_empty(), "fuzz/corpus/{target} is empty");
    let mut rng =
        Rng(0x9e37_79b9_7f4a_7c15 ^ target.len() as u64 ^ (target.as_bytes()[0] as u64) << 32);
    let scale: usize = std::env::var("FUZZ_SMOKE_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let mut inputs: Vec<Vec<u8>> = corpus.clone();
    for _ in 0..mutations_for(target) * scale {
        let seed = &corpus[rng.below(corpus.len())];
        inputs.push(mutate(&mut rng, seed, &corpus));
    }
    let count = inputs.len();
    let (done_tx, done_rx) = mpsc::channel::<(usize, bool)>();
    let (work_tx, work_rx) = mpsc::channel::<(usize, Vec<u8>)>();
    let worker = std::thread::spawn(move || {
        for (n, data) in work_rx {
            let ok =
                std::panic::catch_unwind(|| bodies::run(target, &data)).is_ok_and(|known| known);
            if done_tx.send((n, ok)).is_err() {
                return;
            }
        }
    });
    for (n, data) in inputs.iter().enumerate() {
        work_tx.send((n, data.clone())).expect("worker alive");
        match done_rx.recv_timeout(WATCHDOG) {
            Ok((_, true)) => {}
            Ok((_, false)) => panic!(
                "fuzz smoke {target}: input {n} of {count} panicked; kept as {}",
                keep(target, n, data)
            ),
            Err(_) => panic!(
                "fuzz smoke {target}: input {n} of {count} ran longer than {WATCHDOG:?}; kept as {}",
                keep(target, n, data)
            ),
        }
    }
    drop(work_tx);
    worker.join().expect("worker");
    eprintln!(
        "fuzz smoke {target}: {count} inputs ({} corpus), no panic, no hang",
        corpus.len()
    );
}

#[test]
fn every_fuzz_target_has_a_smoke_test_and_a_corpus() {
    let here = include_str!("fuzz_smoke.rs");
    for target in bodies::TARGETS {
        assert!(
            here.contains(&format!("fn {target}()")),
            "tests/fuzz_smoke.rs has no smoke test for the fuzz target {target}"
        );
        assert!(!corpus(target).is_empty());
        let wrapper = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fuzz/fuzz_targets")
            .join(format!("{target}.rs"));
        assert!(wrapper.is_file(), "{} is missing", wrapper.display());
    }
}

#[test]
fn the_mutator_changes_inputs_and_an_unknown_target_is_refused() {
    // The harness itself: mutations differ from their seed, and a name without a body fails.
    let mut rng = Rng(1);
    let seed = b"mynetworks = 127.0.0.0/8\n".to_vec();
    let changed = (0..100)
        .filter(|_| mutate(&mut rng, &seed, &[]) != seed)
        .count();
    assert!(
        changed > 90,
        "only {changed} of 100 mutations changed the input"
    );
    assert!(!bodies::run("no-such-target", b""));
}

#[test]
fn explain_reader() {
    smoke("explain_reader");
}

#[test]
fn postconf() {
    smoke("postconf");
}

#[test]
fn master_cf() {
    smoke("master_cf");
}

#[test]
fn knowledge_yaml() {
    smoke("knowledge_yaml");
}

#[test]
fn facts() {
    smoke("facts");
}

#[test]
fn config() {
    smoke("config");
}

#[test]
fn session() {
    smoke("session");
}

#[test]
fn smtp_reply() {
    smoke("smtp_reply");
}

#[test]
fn dns_answer() {
    smoke("dns_answer");
}
