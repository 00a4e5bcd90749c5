#!/usr/bin/env bash
# stop.sh -- stop the lab started by start.sh: only the pids in the daemons'
# own pid files (checked against /proc/PID/cmdline), never by process name;
# then dns.sh stop when that script exists; then wait until the ports close.
# Harmless when nothing runs.
#
# Usage: stop.sh [--purge]   --purge also deletes the lab directory
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
LAB=${RELAYDOC_LAB_DIR:-/tmp/relaydoc-lab}
PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
export RELAYDOC_LAB_DIR=$LAB
PORTS="2525 2587 2465 2526 2527 2528 2529 2530 2531 2143 2993 2110 2995"

PIDFILES=(
    "postfix:postfix/sbin/master:$LAB/postfix/queue/pid/master.pid"
    "dovecot:dovecot:$LAB/dovecot/run/master.pid"
)

# True while the process exists and is not a zombie (re-parented daemons may
# linger as zombies, and kill -0 succeeds on a zombie).
alive() { [ -r "/proc/$1/stat" ] && ! sed 's/.*) //' "/proc/$1/stat" | grep -q '^Z'; }

declare -A PID=()
for entry in "${PIDFILES[@]}"; do
    IFS=: read -r name expect pidf <<<"$entry"
    [ -s "$pidf" ] || continue
    pid=$(tr -d ' \n' < "$pidf")
    alive "$pid" || continue
    if ! tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -- "$expect"; then
        echo "stop.sh: $name: pid $pid is not $expect (stale pid file), not touching it" >&2
        continue
    fi
    PID[$name]=$pid
done
# Signal all at once: Dovecot's master needs ~1 s to exit, so in parallel.
for name in "${!PID[@]}"; do
    if [ "$name" = postfix ]; then
        postfix -c "$LAB/postfix/etc" stop </dev/null >/dev/null 2>&1 || kill -TERM "${PID[$name]}" 2>/dev/null
    else
        kill -TERM "${PID[$name]}" 2>/dev/null || true
    fi
done

status=0
if [ -f "$here/dns.sh" ]; then
    bash "$here/dns.sh" stop </dev/null >/dev/null 2>&1 || { echo "stop.sh: dns.sh stop failed" >&2; status=1; }
fi

for name in "${!PID[@]}"; do
    pid=${PID[$name]}
    for _ in $(seq 300); do alive "$pid" || break; sleep 0.05; done
    if alive "$pid"; then
        echo "stop.sh: $name (pid $pid) ignored SIGTERM, sending SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null || true
    fi
done

for _ in $(seq 100); do
    busy=""
    for p in $PORTS; do ss -Hltn "sport = :$p" | grep -q . && busy="$busy $p"; done
    [ -z "$busy" ] && break
    sleep 0.05
done
if [ -n "$busy" ]; then echo "stop.sh: still listening on:$busy" >&2; exit 1; fi

if [ "${1:-}" = "--purge" ]; then
    case $LAB in /tmp/*) rm -rf "$LAB" ;; *) echo "stop.sh: not purging $LAB (not under /tmp)" >&2 ;; esac
fi
exit $status
