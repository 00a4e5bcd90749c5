#!/usr/bin/env bash
# account_latency.sh -- benchmark (not a test): `relaydoc check account` with 200 ms added to
# every reply of the lab, total time vs the slowest single check (aim: total <= 1.3 x slowest,
# because the checks run side by side; run one after another they would take the sum).
#
# Set-up, all on loopback: benches/latency_proxy.py holds back every reply by DELAY_MS --
# DNS (UDP 127.0.0.1:5354 -> NSD on 5353) and SMTP (3587 -> 2587 submission, 3465 -> 2465
# implicit TLS). A knowledge overlay names 127.0.0.1:3587/3465 as the provider of nomx.test
# (which has no SRV records), so the whole path runs: SRV lookup (delayed), catalogue, then
# MX, SRV, host, port probe of both ports, AUTH, relay without and with login, DNSBL.
#
# Usage: benches/account_latency.sh [N]      (default N=5; needs a running lab:
#        tests/lab/run-with-lab.sh benches/account_latency.sh)
# Env:   RELAYDOC_BIN  binary to measure (default: build target/release/relaydoc)
#        DELAY_MS=200  RELAYDOC_LAB_DIR=/tmp/relaydoc-lab
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
N=${1:-5}
DELAY_MS=${DELAY_MS:-200}
LAB=${RELAYDOC_LAB_DIR:-/tmp/relaydoc-lab}
CA=$LAB/tls/ca.crt
DNS_PORT=5354 SUB_PORT=3587 SUBS_PORT=3465
# The lab's public test password.
export RELAYDOC_PASSWORD=password

[ -s "$CA" ] || { echo "no lab CA at $CA: start the lab (tests/lab/start.sh)" >&2; exit 1; }
for port in $DNS_PORT $SUB_PORT $SUBS_PORT; do
    if ss -Hlntu "( sport = :$port )" | grep -q .; then
        echo "port $port is in use; the proxy needs it" >&2; exit 1
    fi
done
if [ -z "${RELAYDOC_BIN:-}" ]; then
    (cd "$here" && cargo build --release --quiet)
    RELAYDOC_BIN=$here/target/release/relaydoc
fi

work=$(mktemp -d)
proxy_pid=
cleanup() {
    [ -n "$proxy_pid" ] && kill "$proxy_pid" 2>/dev/null && wait "$proxy_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/knowledge/providers" "$work/home"
cat > "$work/knowledge/providers/bench.yaml" <<YAML
id: bench-lab
name: The lab behind a ${DELAY_MS} ms proxy
domains: [nomx.test]
username: full-address
outgoing:
  - {host: 127.0.0.1, port: $SUB_PORT, security: starttls, auth: password}
  - {host: 127.0.0.1, port: $SUBS_PORT, security: tls, auth: password}
YAML

python3 "$here/benches/latency_proxy.py" "$DELAY_MS" \
    "udp:$DNS_PORT:5353" "tcp:$SUB_PORT:2587" "tcp:$SUBS_PORT:2465" > "$work/proxy.out" 2>&1 &
proxy_pid=$!
for _ in $(seq 50); do grep -q ready "$work/proxy.out" 2>/dev/null && break; sleep 0.1; done
grep -q ready "$work/proxy.out" || { echo "the proxy did not start" >&2; cat "$work/proxy.out" >&2; exit 1; }

run() {
    HOME=$work/home XDG_CONFIG_HOME=$work/home/config "$RELAYDOC_BIN" \
        --dns-server 127.0.0.1:$DNS_PORT --dns-known-name example.test --timeout 20 --knowledge "$work/knowledge" \
        check account alice@nomx.test --user alice@example.test --ca-file "$CA" --zone bl.example.test --json 2>/dev/null || true
}

# The run must really do the job before its time means anything.
first=$(run)
[ "$(jq -r '.facts["settings.source"]' <<<"$first")" = catalogue ] \
    || { echo "the settings did not come from the catalogue overlay" >&2; exit 1; }
[ "$(jq -r '.facts["relay.authenticated"]' <<<"$first")" = accepted ] \
    || { echo "relay with login was not accepted: $(jq -c .details.summary <<<"$first")" >&2; exit 1; }

echo "check account alice@nomx.test, ${DELAY_MS} ms added to every DNS and SMTP reply, $N runs"
printf '%-4s %10s %10s %-14s %10s %8s\n' run wall_ms total_ms slowest slowest_ms ratio
: > "$work/ratios"
for i in $(seq "$N"); do
    start=$EPOCHREALTIME
    out=$(run)
    end=$EPOCHREALTIME
    wall=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.0f", (e - s) * 1000 }')
    total=$(jq -r '.details.timings.total_ms' <<<"$out")
    slowest=$(jq -r '.details.timings.slowest.id' <<<"$out")
    slowest_ms=$(jq -r '.details.timings.slowest.elapsed_ms' <<<"$out")
    ratio=$(awk -v t="$total" -v s="$slowest_ms" 'BEGIN { printf "%.2f", t / s }')
    echo "$total $slowest_ms $wall $ratio" >> "$work/ratios"
    printf '%-4s %10s %10s %-14s %10s %8s\n' "$i" "$wall" "$total" "$slowest" "$slowest_ms" "$ratio"
    last=$out
done

echo
echo "per check, last run (started_ms -> finished_ms):"
jq -r '.details.checks[] | "  \(.id | . + " " * (16 - length)) \(.started_ms) -> \(.finished_ms)  (\(.elapsed_ms) ms, \(.report.status))"' <<<"$last"
sum=$(jq '[.details.checks[].elapsed_ms] | add | round' <<<"$last")
echo "  sum of all checks: $sum ms (what running them one after another would take)"
echo
sort -n -k4 "$work/ratios" | awk -v n="$N" '
    { total[NR] = $1; slow[NR] = $2; wall[NR] = $3; ratio[NR] = $4 }
    END {
        m = int((n + 1) / 2)
        printf "median total/slowest: %.2f x (aim <= 1.30): %s\n", ratio[m], (ratio[m] <= 1.3 ? "met" : "NOT met")
    }'
