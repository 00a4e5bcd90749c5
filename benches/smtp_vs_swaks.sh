#!/usr/bin/env bash
# smtp_vs_swaks.sh -- benchmark (not a test): the AUTH+relay probe against the lab,
# relaydoc vs swaks doing the same steps, N runs each, medians and their ratio.
#
# Steps, both tools: connect 127.0.0.1:2587, EHLO, STARTTLS (certificate verified against
# the lab CA), EHLO, AUTH PLAIN, MAIL FROM, RCPT TO (outside address), QUIT. relaydoc also
# sends RSET before QUIT; nothing is ever sent.
#   relaydoc check relay --login-only (one connection) with RELAYDOC_PASSWORD
#   swaks --tls --tls-verify --auth PLAIN --quit-after RCPT
#
# Usage: benches/smtp_vs_swaks.sh [N]        (default N=30; needs a running lab:
#        tests/lab/run-with-lab.sh benches/smtp_vs_swaks.sh)
# Env:   RELAYDOC_BIN  binary to measure (default: build target/release/relaydoc)
#        RELAYDOC_LAB_DIR=/tmp/relaydoc-lab
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
N=${1:-30}
LAB=${RELAYDOC_LAB_DIR:-/tmp/relaydoc-lab}
CA=$LAB/tls/ca.crt
PORT=2587
USER_NAME=alice@example.test
# The lab's public test password; swaks takes it only as an argument.
LAB_PASSWORD=password

[ -s "$CA" ] || { echo "no lab CA at $CA: start the lab (tests/lab/start.sh)" >&2; exit 1; }
command -v swaks >/dev/null || { echo "swaks missing: tests/lab/install.sh" >&2; exit 1; }
if [ -z "${RELAYDOC_BIN:-}" ]; then
    (cd "$here" && cargo build --release --quiet)
    RELAYDOC_BIN=$here/target/release/relaydoc
fi

relaydoc_run() {
    RELAYDOC_PASSWORD=$LAB_PASSWORD "$RELAYDOC_BIN" check relay 127.0.0.1 --port $PORT \
        --ca-file "$CA" --from $USER_NAME --to someone@example.org \
        --user $USER_NAME --login-only --json
}
swaks_run() {
    swaks --server 127.0.0.1:$PORT --helo relaydoc.invalid --tls --tls-verify --tls-ca-path "$CA" \
        --auth PLAIN --auth-user $USER_NAME --auth-password $LAB_PASSWORD \
        --from $USER_NAME --to someone@example.org --quit-after RCPT
}

# Both must really do the job before their time means anything.
# (Captured first: grep -q closing the pipe early would fail the pipeline under pipefail.)
out=$(relaydoc_run || true)
grep -q '"relay.authenticated": "accepted"' <<<"$out" \
    || { echo "relaydoc did not get its RCPT accepted" >&2; exit 1; }
out=$(swaks_run 2>&1 || true)
grep -q '250 2.1.5' <<<"$out" || { echo "swaks did not get its RCPT accepted" >&2; exit 1; }

# time_runs NAME FUNCTION: N wall-clock times in ms, one warm-up first.
time_runs() {
    local fn=$1 i start end
    "$fn" >/dev/null 2>&1
    for i in $(seq "$N"); do
        start=$EPOCHREALTIME
        "$fn" >/dev/null 2>&1
        end=$EPOCHREALTIME
        awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f\n", (e - s) * 1000 }'
    done
}
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

r=$(time_runs relaydoc_run | median)
s=$(time_runs swaks_run | median)
echo "runs per tool: $N (after one warm-up each)"
echo "relaydoc median: $r ms"
echo "swaks    median: $s ms"
awk -v r="$r" -v s="$s" 'BEGIN { printf "ratio relaydoc/swaks: %.3f (aim <= 0.2)\n", r / s }'
