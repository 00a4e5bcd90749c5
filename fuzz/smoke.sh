#!/bin/sh
# Builds every fuzz target (the flags cargo-fuzz uses, without a sanitizer: the crate forbids
# unsafe code) and runs each for a few seconds over its corpus in fuzz/corpus/<target>.
# CI calls it; the run part takes about 9 × SECONDS_EACH seconds (default 5: 45 s).
#   fuzz/smoke.sh              # every target, 5 s each
#   SECONDS_EACH=240 fuzz/smoke.sh postconf dns_answer   # longer runs of some targets
# Needs a nightly toolchain (rustup toolchain install nightly). New inputs found are kept in
# a scratch copy of the corpus, so a smoke run never changes the repository; a crash leaves
# its input in fuzz/artifacts/<target>/ and fails the script.
set -eu
cd "$(dirname "$0")"
TARGETS="${*:-explain_reader postconf master_cf knowledge_yaml facts config session smtp_reply dns_answer}"
SECONDS_EACH="${SECONDS_EACH:-5}"
TRIPLE="$(rustc +nightly -vV | sed -n 's/^host: //p')"
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Coverflow-checks"
cargo +nightly build --release --target "$TRIPLE" --bins
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
for target in $TARGETS; do
    mkdir -p "artifacts/$target" "$scratch/$target"
    cp -R "corpus/$target/." "$scratch/$target/"
    echo "== $target (${SECONDS_EACH}s)"
    "target/$TRIPLE/release/$target" "$scratch/$target" \
        -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -artifact_prefix="artifacts/$target/" -print_final_stats=1 2>&1 |
        grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+== ERROR|.*panicked|SUMMARY)' || true
    if ls "artifacts/$target/" | grep -q .; then
        echo "fuzz: $target found a crash: fuzz/artifacts/$target/" >&2
        exit 1
    fi
done
