#!/usr/bin/env bash
# postfix-matrix.sh -- the real Postfix (+ Dovecot for SASL) that tests/postfix_matrix.rs
# compares relaydoc's simulator with. One Postfix instance, one smtpd service per
# configuration under test on 127.0.0.1 ports 2600-2699 (postfix-matrix/services.txt), each
# with its own -o overrides; Dovecot only as the SASL backend (no IMAP/POP3 listeners).
# Everything lives in $RELAYDOC_LAB_DIR/postfix-matrix; nothing but loopback is contacted.
#
# Usage: postfix-matrix.sh start|stop|status
# Env:   RELAYDOC_LAB_DIR=/tmp/relaydoc-lab   lab directory (absolute path)
#        RELAYDOC_LAB_TIMEOUT=30              seconds to wait for the listeners
# Needs: root; postfix, dovecot-core, openssl, ss: `start` installs them from Debian's
#        packages when missing (as `install` does; postfix preseeded "No configuration").
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$HERE/postfix-matrix
LAB=${RELAYDOC_LAB_DIR:-/tmp/relaydoc-lab}
DIR=$LAB/postfix-matrix
TIMEOUT=${RELAYDOC_LAB_TIMEOUT:-30}
PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
PF_PID=$DIR/queue/pid/master.pid
DC_PID=$DIR/dovecot/run/master.pid

die() { echo "postfix-matrix.sh: $*" >&2; exit 1; }
case $LAB in /*) ;; *) die "RELAYDOC_LAB_DIR must be an absolute path" ;; esac

ports() { grep -v '^#' "$SRC/services.txt" | cut -d'|' -f1; }

# Pid files outlive daemons and pids get reused: a pid counts only while alive (not a
# zombie) and running the expected program with our directory.
alive() { [ -r "/proc/$1/stat" ] && ! sed 's/.*) //' "/proc/$1/stat" | grep -q '^Z'; }
our_pid() {  # our_pid PIDFILE PATTERN
    local pid
    [ -s "$1" ] || return 1
    pid=$(tr -dc '0-9' < "$1")
    [ -n "$pid" ] && alive "$pid" || return 1
    tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$2" || return 1
    echo "$pid"
}

install_packages() {
    [ "$(id -u)" = 0 ] || die "install must run as root"
    export DEBIAN_FRONTEND=noninteractive
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    local policy=/usr/sbin/policy-rc.d added=""
    # Keep the packages from starting their system services on 0.0.0.0.
    if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod 755 "$policy"; added=1; fi
    apt-get update -q
    apt-get install -y -q --no-install-recommends --no-upgrade postfix dovecot-core openssl iproute2 || { [ -n "$added" ] && rm -f "$policy"; exit 1; }
    [ -n "$added" ] && rm -f "$policy"
    return 0
}

ready() {
    local listening p
    listening=$(ss -Hltn)
    for p in $(ports); do grep -q "127.0.0.1:$p " <<<"$listening" || return 1; done
    [ -S "$DIR/dovecot/run/auth-postfix" ]
}

start() {
    [ "$(id -u)" = 0 ] || die "must run as root (the Postfix and Dovecot masters drop privileges themselves)"
    # Debian's packages are installed when missing (postfix preseeded "No configuration").
    for b in postfix postconf dovecot openssl ss; do
        command -v "$b" >/dev/null || { echo "postfix-matrix.sh: $b missing, installing packages" >&2; install_packages >&2; break; }
    done
    for b in postfix postconf dovecot openssl ss; do
        command -v "$b" >/dev/null || die "missing $b (run: $0 install)"
    done
    if pid=$(our_pid "$PF_PID" "master"); then die "already running (postfix master $pid); run '$0 stop' first"; fi
    for p in $(ports); do
        if ss -Hltn "sport = :$p" | grep -q .; then die "TCP port $p is already in use"; fi
    done
    trap 'echo "postfix-matrix.sh: start failed, stopping what was started" >&2; stop >&2 || true' ERR

    mkdir -p "$DIR"/{etc,log,tls,mail,dovecot/run,dovecot/state}
    chmod 755 "$LAB" "$DIR" "$DIR"/{etc,log,tls,dovecot}
    : > "$DIR/log/postfix.log"; : > "$DIR/log/dovecot.log"
    render() { sed "s#@DIR@#$DIR#g" "$1"; }

    if [ ! -s "$DIR/tls/server.crt" ]; then
        ( cd "$DIR/tls"
          openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt \
              -days 3650 -subj "/CN=relaydoc matrix CA" -addext "basicConstraints=critical,CA:TRUE" \
              -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
          openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key -out server.csr \
              -subj "/CN=mail.example.test" 2>/dev/null
          printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" \
              "subjectAltName=DNS:mail.example.test,DNS:localhost,IP:127.0.0.1" > server.ext
          openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 825 \
              -extfile server.ext 2>/dev/null
          openssl x509 -in ca.crt -outform der -out ca.der
          rm -f server.csr server.ext; chmod 644 ca.crt ca.der server.crt; chmod 600 ca.key server.key )
    fi

    # Dovecot: SASL only (protocols = none: no IMAP/POP3 listener at all).
    cat > "$DIR/dovecot/dovecot.conf" <<CONF
protocols = none
listen = 127.0.0.1
base_dir = $DIR/dovecot/run
state_dir = $DIR/dovecot/state
instance_name = relaydoc-matrix-dovecot
log_path = $DIR/log/dovecot.log
ssl = no
auth_mechanisms = plain login
disable_plaintext_auth = no
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $DIR/dovecot/users
}
userdb {
  driver = static
  args = uid=65534 gid=65534 home=$DIR/mail/%d/%n
}
service auth {
  unix_listener auth-postfix {
    mode = 0660
    user = postfix
    group = postfix
  }
}
CONF
    printf '%s\n' 'alice@example.test:{PLAIN}password::::::' > "$DIR/dovecot/users"
    chmod 640 "$DIR/dovecot/users"; chgrp dovecot "$DIR/dovecot/users"
    dovecot -c "$DIR/dovecot/dovecot.conf" </dev/null >"$DIR/log/dovecot.start.out" 2>&1 \
        || { cat "$DIR/log/dovecot.start.out" >&2; die "dovecot failed to start"; }

    # Postfix: the config dir must be root-owned throughout; queue and data live beside it.
    install -d -o root -m 755 "$DIR/queue"
    install -d -o postfix -m 700 "$DIR/data"
    render "$SRC/main.cf" > "$DIR/etc/main.cf"
    {
        cat "$SRC/master.cf.head"
        grep -v '^#' "$SRC/services.txt" | while IFS='|' read -r port name rest; do
            [ -n "$port" ] || continue
            echo "127.0.0.1:$port inet n - n - - smtpd"
            echo "  -o syslog_name=relaydoc-matrix/$name"
            IFS='|' read -ra overrides <<<"$rest"
            for o in "${overrides[@]}"; do [ -n "$o" ] && echo "  -o $(sed "s#@DIR@#$DIR#g" <<<"$o")"; done
        done
        cat "$SRC/master.cf.tail"
    } > "$DIR/etc/master.cf"
    printf '%s\n' 'alice@example.test example.test/alice/Maildir/' > "$DIR/etc/vmailbox"
    printf '%s\n' 'example.net OK' 'example.org REJECT no mail for example.org here' > "$DIR/etc/rcpt_access"
    printf '%s\n' '127.0.0.2 550 5.7.1 this address may not send here' > "$DIR/etc/client_access"
    printf '%s\n' '127.0.0.1 OK' > "$DIR/etc/pop_before_smtp"
    printf '%s\n' '127.0.0.0/30 OK' > "$DIR/etc/trusted.cidr"
    printf '%s\n' 'example.test 553 5.7.1 sign in first' > "$DIR/etc/sender_access"
    # Postfix waits ~2 s for a "hot" (just written) main.cf or table to cool down.
    touch -d '1 minute ago' "$DIR/etc/"*
    postmap -c "$DIR/etc" "hash:$DIR/etc/pop_before_smtp"
    touch -d '1 minute ago' "$DIR/etc/"*
    postfix -c "$DIR/etc" start </dev/null >"$DIR/log/postfix.start.out" 2>&1 \
        || { cat "$DIR/log/postfix.start.out" >&2; die "postfix failed to start (log: $DIR/log/postfix.log)"; }

    local deadline=$(( $(date +%s) + TIMEOUT ))
    until ready; do
        if [ "$(date +%s)" -ge "$deadline" ]; then
            tail -20 "$DIR/log/postfix.log" "$DIR/log/dovecot.log" >&2 || true
            die "not ready after ${TIMEOUT}s"
        fi
        sleep 0.05
    done
    trap - ERR
    if ss -Hltn | awk '{print $4}' | grep -E ":26[0-9][0-9]$" | grep -v '^127\.0\.0\.1:' ; then
        stop; die "a matrix port listens on a non-loopback address"
    fi
    echo "postfix-matrix is up in $DIR: ports $(ports | head -1)-$(ports | tail -1) on 127.0.0.1"
}

stop() {
    local pf dc
    pf=$(our_pid "$PF_PID" "master") || pf=""
    dc=$(our_pid "$DC_PID" "dovecot") || dc=""
    if [ -n "$pf" ]; then postfix -c "$DIR/etc" stop </dev/null >/dev/null 2>&1 || kill -TERM "$pf" 2>/dev/null || true; fi
    if [ -n "$dc" ]; then kill -TERM "$dc" 2>/dev/null || true; fi
    for pid in $pf $dc; do
        for _ in $(seq 300); do alive "$pid" || break; sleep 0.05; done
        if alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
    done
    for _ in $(seq 100); do
        busy=""
        for p in $(ports); do ss -Hltn "sport = :$p" | grep -q . && busy="$busy $p"; done
        [ -z "$busy" ] && break
        sleep 0.05
    done
    [ -z "${busy:-}" ] || die "still listening on:$busy"
    echo "postfix-matrix stopped"
}

status() {
    if pid=$(our_pid "$PF_PID" "master") && ready; then echo "running (postfix master $pid)"; else echo "not running"; return 1; fi
}

case ${1:-} in
    install) install_packages ;;
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: $0 install|start|stop|status" >&2; exit 2 ;;
esac
