#!/usr/bin/env bash
# dns.sh -- the lab's DNS server: NSD, authoritative for the test zones in
# tests/lab/dns/, on 127.0.0.1 and ::1 port 5353 (UDP and TCP), REFUSED for
# every other name. Its files live in $RELAYDOC_LAB_DIR/dns.
#
# Usage: dns.sh start|stop|restart|status
# Env:   RELAYDOC_LAB_DIR=/tmp/relaydoc-lab   lab directory (absolute path)
#        RELAYDOC_LAB_TIMEOUT=30              seconds to wait for NSD to answer
# Needs: root (NSD binds, then drops to the nsd user), nsd, nsd-checkconf, dig
#        (Debian: apt-get install nsd bind9-dnsutils; tests/lab/install.sh does it).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
LAB=${RELAYDOC_LAB_DIR:-/tmp/relaydoc-lab}
DIR=$LAB/dns
TIMEOUT=${RELAYDOC_LAB_TIMEOUT:-30}
PORT=5353
PIDFILE=$DIR/nsd.pid
PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

die() { echo "dns.sh: $*" >&2; exit 1; }
case $LAB in /*) ;; *) die "RELAYDOC_LAB_DIR must be an absolute path" ;; esac

# Pid files outlive their daemons and pids get reused, so a pid counts only
# while it is alive, not a zombie (a stopped daemon re-parented to a slow
# PID 1 lingers as one, and kill -0 still succeeds on it), and is an nsd
# started with OUR config file.
alive() { [ -r "/proc/$1/stat" ] && ! sed 's/.*) //' "/proc/$1/stat" | grep -q '^Z'; }
our_nsd_pid() {
    local pid
    [ -s "$PIDFILE" ] || return 1
    pid=$(tr -dc '0-9' < "$PIDFILE")
    [ -n "$pid" ] && alive "$pid" || return 1
    tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q -- "nsd.*$DIR/nsd.conf" || return 1
    echo "$pid"
}

# True when NSD answers authoritatively on both addresses.
answers() {
    local addr
    for addr in 127.0.0.1 ::1; do
        dig +norecurse +time=1 +tries=1 +short @"$addr" -p "$PORT" mail.example.test A 2>/dev/null \
            | grep -qx 127.0.0.1 || return 1
    done
}

start() {
    for b in nsd nsd-checkconf dig ss; do
        command -v "$b" >/dev/null || die "missing $b (apt-get install nsd bind9-dnsutils iproute2, or tests/lab/install.sh)"
    done
    [ "$(id -u)" = 0 ] || die "must run as root (NSD binds as root, then drops to user nsd)"
    if pid=$(our_nsd_pid); then die "already running (pid $pid); run 'dns.sh stop' first"; fi
    if ss -Hlun "sport = :$PORT" | grep -q . || ss -Hltn "sport = :$PORT" | grep -q .; then
        die "port $PORT is already in use: $(ss -Hltunp "sport = :$PORT" | head -3)"
    fi

    mkdir -p "$DIR/zones" "$DIR/state"
    chmod 755 "$LAB" "$DIR" "$DIR/zones"
    rm -f "$DIR/zones/"*.zone "$DIR/state/"*
    cp "$HERE/dns/"*.zone "$DIR/zones/"
    chmod 644 "$DIR/zones/"*.zone
    sed "s#@DIR@#$DIR#g" "$HERE/dns/nsd.conf" > "$DIR/nsd.conf"
    chown nsd "$DIR/state"            # NSD writes its zone list and xfrd state here
    : > "$DIR/nsd.log"; chown nsd "$DIR/nsd.log"
    nsd-checkconf "$DIR/nsd.conf" || die "nsd-checkconf rejected $DIR/nsd.conf"

    # A daemon inherits its caller's stdout/stderr: if that is a pipe (a test
    # harness capturing our output), the reader never sees EOF and hangs for as
    # long as NSD runs. So NSD gets /dev/null and a file.
    if ! nsd -c "$DIR/nsd.conf" </dev/null >"$DIR/nsd.start.out" 2>&1; then
        cat "$DIR/nsd.start.out" >&2; die "nsd failed to start (log: $DIR/nsd.log)"
    fi

    local deadline=$(( $(date +%s) + TIMEOUT ))
    until answers; do
        if [ "$(date +%s)" -ge "$deadline" ]; then
            tail -20 "$DIR/nsd.log" >&2 || true
            stop >&2 || true
            die "NSD did not answer on 127.0.0.1 and ::1 port $PORT within ${TIMEOUT}s"
        fi
        sleep 0.05
    done
    echo "dns: NSD up (pid $(our_nsd_pid || echo '?')) on 127.0.0.1 and ::1 port $PORT; files in $DIR"
}

stop() {
    local pid
    if ! pid=$(our_nsd_pid); then echo "dns: not running"; return 0; fi
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 200); do alive "$pid" || break; sleep 0.05; done
    if alive "$pid"; then
        echo "dns: NSD (pid $pid) ignored SIGTERM for 10 s, sending SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null || true
    fi
    # NSD's server child closes its sockets right after the main process exits.
    for _ in $(seq 100); do
        ss -Hlun "sport = :$PORT" | grep -q . || ss -Hltn "sport = :$PORT" | grep -q . || break
        sleep 0.05
    done
    echo "dns: NSD (pid $pid) stopped"
}

case ${1:-} in
    start) start ;;
    stop) stop ;;
    restart) stop; start ;;
    status) if pid=$(our_nsd_pid); then echo "dns: running (pid $pid)"; else echo "dns: not running"; exit 1; fi ;;
    *) echo "usage: $0 start|stop|restart|status" >&2; exit 2 ;;
esac
