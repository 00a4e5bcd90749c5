#!/usr/bin/env bash
# Benchmark of `relaydoc logs` on a generated Postfix log, side by side with
# `grep -c 'Relay access denied'` and pflogsumm (Debian package `pflogsumm`) on the same file.
#
#   benches/logs.sh [SIZE_MIB] [RUNS]        defaults: 1024 MiB, 3 runs
#
# The log is written to $BENCH_DIR (default /tmp/relaydoc-bench) by examples/gen_maillog.rs,
# with known counts of each kind of refusal; it is never part of the repository. Each command
# runs RUNS times after one warm-up (pflogsumm, being slow, once) under /usr/bin/time -v; the
# median wall time and the largest peak memory (maximum resident set size) are printed, then
# the ratios. The script also checks that relaydoc's relay-denial count equals grep's and the
# generator's, and prints the peak memory of relaydoc on a tenth of the file, to show memory
# does not grow with the input.
set -euo pipefail

size_mib=${1:-1024}
runs=${2:-3}
dir=${BENCH_DIR:-/tmp/relaydoc-bench}
root=$(cd "$(dirname "$0")/.." && pwd)

for tool in /usr/bin/time grep python3; do
    command -v "$tool" >/dev/null || { echo "benches/logs.sh: $tool is needed" >&2; exit 2; }
done
if ! command -v pflogsumm >/dev/null; then
    echo "benches/logs.sh: pflogsumm is needed (Debian: apt-get install pflogsumm)" >&2
    exit 2
fi

mkdir -p "$dir"
log=$dir/mail-${size_mib}M.log
small=$dir/mail-$((size_mib / 10))M.log
(cd "$root" && nice -n 10 cargo build --quiet --release --bin relaydoc --example gen_maillog)
relaydoc=$root/target/release/relaydoc
generator=$root/target/release/examples/gen_maillog
for target in "$log:$size_mib" "$small:$((size_mib / 10))"; do
    file=${target%%:*}
    mib=${target##*:}
    if [[ ! -s $file || ! -s $file.counts.json ]]; then
        echo "writing $file ($mib MiB)…" >&2
        "$generator" "$file" "$mib" > "$file.counts.json"
    fi
done
year=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["year"])' "$log.counts.json")

# Runs a command under /usr/bin/time -v; prints "wall_seconds max_rss_kib".
measure() {
    local out=$dir/time.$$ status=0
    # Not >/dev/null: GNU grep notices it and stops at the first match.
    /usr/bin/time -v -o "$out" "$@" >"$dir/stdout.$$" 2>&1 || status=$?
    rm -f "$dir/stdout.$$"
    if [[ $status -ne 0 ]]; then
        echo "benches/logs.sh: '$*' exited $status" >&2
    fi
    python3 - "$out" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", text).group(1)
seconds = 0.0
for part in wall.split(":"):
    seconds = seconds * 60 + float(part)
rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1)
print(f"{seconds:.3f} {rss}")
PY
    rm -f "$out"
}

# Median wall seconds and largest peak memory of RUNS runs after one warm-up.
series() {
    local n=$1
    shift
    measure "$@" >/dev/null
    local results=()
    for ((i = 0; i < n; i++)); do
        results+=("$(measure "$@")")
    done
    printf '%s\n' "${results[@]}" | python3 -c '
import statistics, sys
rows = [line.split() for line in sys.stdin if line.strip()]
print(f"{statistics.median(float(r[0]) for r in rows):.3f} {max(int(r[1]) for r in rows)}")'
}

echo "file: $log ($(du -h "$log" | cut -f1)), $runs runs each after a warm-up" >&2
read -r rd_wall rd_rss < <(series "$runs" "$relaydoc" logs "$log" --json --year "$year")
read -r grep_wall grep_rss < <(series "$runs" grep -c 'Relay access denied' "$log")
read -r pf_wall pf_rss < <(series 1 pflogsumm "$log")
read -r _ small_rss < <(series 1 "$relaydoc" logs "$small" --json --year "$year")

relaydoc_relay=$("$relaydoc" logs "$log" --json --year "$year" | python3 -c '
import json, sys
print(sum(g["count"] for g in json.load(sys.stdin)["groups"] if g["kind"] == "relay-denied"))')
grep_relay=$(grep -c 'Relay access denied' "$log" || true)
generated_relay=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["relay_access_denied_lines"])' "$log.counts.json")

python3 - <<PY
rd, gr, pf = $rd_wall, $grep_wall, $pf_wall
print(f"relaydoc logs --json   {rd:8.2f} s   peak {$rd_rss / 1024:7.1f} MiB ({$small_rss / 1024:.1f} MiB on a tenth of the file)")
print(f"grep -c                {gr:8.2f} s   peak {$grep_rss / 1024:7.1f} MiB")
print(f"pflogsumm              {pf:8.2f} s   peak {$pf_rss / 1024:7.1f} MiB")
print(f"relaydoc / grep        {rd / gr:8.2f}x   (goal: at most 4x)")
print(f"pflogsumm / relaydoc   {pf / rd:8.1f}x   (goal: at least 50x)")
print("relay denials: relaydoc $relaydoc_relay, grep -c $grep_relay, generator $generated_relay")
PY
[[ $relaydoc_relay == "$grep_relay" && $grep_relay == "$generated_relay" ]] || {
    echo "benches/logs.sh: relay-denial counts differ" >&2
    exit 1
}
