#!/usr/bin/env bash
# start.sh -- build and start relaydoc's loopback-only mail lab:
#   Postfix  SMTP 2525 (MX-like), 2587 (submission), 2465 (implicit TLS),
#            variants 2526-2531 (see mail/postfix/master.cf)
#   Dovecot  IMAP 2143, IMAPS 2993, POP3 2110, POP3S 2995, SASL for Postfix
#   DNS      tests/lab/dns.sh start (NSD on port 5353), when that script exists
# Everything lives under $RELAYDOC_LAB_DIR (default /tmp/relaydoc-lab): no
# system config file is touched, no systemd, no port below 1024, and every
# listener is on 127.0.0.1 / ::1 only. Run as root (the Postfix and Dovecot
# masters drop privileges themselves). Stop with stop.sh.
#
# Env: RELAYDOC_LAB_DIR=/tmp/relaydoc-lab   absolute path
#      RELAYDOC_LAB_TIMEOUT=30              seconds to wait for the listeners
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
LAB=${RELAYDOC_LAB_DIR:-/tmp/relaydoc-lab}
TIMEOUT=${RELAYDOC_LAB_TIMEOUT:-30}
PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
export RELAYDOC_LAB_DIR=$LAB

SMTP_PORTS="2525 2587 2465 2526 2527 2528 2529 2530 2531"
MAILBOX_PORTS="2143 2993 2110 2995"

die() { echo "start.sh: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root"
case $LAB in /*) ;; *) die "RELAYDOC_LAB_DIR must be an absolute path" ;; esac
for b in postfix postconf postmap dovecot openssl ss flock; do
    command -v "$b" >/dev/null || die "missing $b -- run tests/lab/install.sh first"
done

# A pid file counts only if its pid is alive AND runs the expected program:
# pid files outlive their daemons and pids get reused.
running() {  # running PIDFILE EXPECTED-COMMAND
    local pid
    [ -s "$1" ] || return 1
    pid=$(tr -d ' \n' < "$1")
    [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -- "$2"
}
for pf in "postfix/sbin/master:$LAB/postfix/queue/pid/master.pid" "dovecot:$LAB/dovecot/run/master.pid"; do
    if running "${pf#*:}" "${pf%%:*}"; then die "already running (${pf#*:}) -- run tests/lab/stop.sh first"; fi
done
for p in $SMTP_PORTS $MAILBOX_PORTS; do
    if ss -Hltn "sport = :$p" | grep -q .; then die "TCP port $p is already in use by another program"; fi
done

# If anything below fails, stop whatever this run already started.
trap 'echo "start.sh: failed, stopping what was started" >&2; "$here/stop.sh" >&2 || true' ERR

mkdir -p "$LAB"/{postfix/etc,dovecot/run,dovecot/state,log,tls,mail,bin}
chmod 755 "$LAB" "$LAB"/{postfix,postfix/etc,dovecot,log,tls,bin}
: > "$LAB/log/postfix.log"; : > "$LAB/log/dovecot.log"

# Copy a template, replacing @LAB@ with the lab directory.
render() { sed "s#@LAB@#$LAB#g" "$1" > "$2"; }

# Daemons inherit the caller's stdout/stderr; if that is a pipe (cargo test
# capturing output), the reader would never see EOF. So each gets /dev/null
# and a log file, shown only when the start fails.
launch() {  # launch NAME COMMAND...
    local name=$1; shift
    if ! "$@" </dev/null >"$LAB/log/$name.start.out" 2>&1; then
        echo "start.sh: $name failed to start:" >&2; cat "$LAB/log/$name.start.out" >&2
        return 1
    fi
}

# ---------------------------------------------------------------- TLS
# Lab CA plus a server certificate for mail.example.test, localhost,
# 127.0.0.1 and ::1. Kept across restarts; delete $LAB/tls to regenerate.
if [ ! -s "$LAB/tls/server.crt" ]; then
    (
        cd "$LAB/tls"
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
            -keyout ca.key -out ca.crt -days 3650 -subj "/CN=relaydoc lab test CA" \
            -addext "basicConstraints=critical,CA:TRUE" \
            -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
        openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
            -keyout server.key -out server.csr -subj "/CN=mail.example.test" 2>/dev/null
        printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature" \
            "extendedKeyUsage=serverAuth" \
            "subjectAltName=DNS:mail.example.test,DNS:localhost,IP:127.0.0.1,IP:::1" > server.ext
        openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
            -out server.crt -days 825 -extfile server.ext 2>/dev/null
        rm -f server.csr server.ext
        chmod 644 ca.crt server.crt; chmod 600 ca.key server.key
    )
fi

# ---------------------------------------------------------------- DNS
# The DNS part belongs to dns.sh (NSD, zones under tests/lab/dns/); it waits
# until its server answers and fails otherwise.
if [ -x "$here/dns.sh" ] || [ -f "$here/dns.sh" ]; then
    bash "$here/dns.sh" start </dev/null >"$LAB/log/dns.start.out" 2>&1 \
        || { cat "$LAB/log/dns.start.out" >&2; die "dns.sh start failed"; }
fi

# ---------------------------------------------------------------- Dovecot
render "$here/mail/dovecot/dovecot.conf" "$LAB/dovecot/dovecot.conf"
render "$here/mail/bin/pop-before-smtp.sh" "$LAB/bin/pop-before-smtp.sh"
chmod 755 "$LAB/bin/pop-before-smtp.sh"
cat > "$LAB/dovecot/users" <<'USERS'
alice@example.test:{PLAIN}password::::::
bob@example.test:{PLAIN}secret::::::
USERS
chmod 640 "$LAB/dovecot/users"; chgrp dovecot "$LAB/dovecot/users"
mkdir -p "$LAB/mail/example.test"
chown -R 65534:65534 "$LAB/mail"
launch dovecot dovecot -c "$LAB/dovecot/dovecot.conf"

# ---------------------------------------------------------------- Postfix
# The config dir must be entirely root-owned (postfix-script checks it), so
# the queue and data directories (owned by postfix) live beside it.
PF="$LAB/postfix/etc"
install -d -o root -m 755 "$LAB/postfix/queue"
install -d -o postfix -m 700 "$LAB/postfix/data"
render "$here/mail/postfix/main.cf" "$PF/main.cf"
render "$here/mail/postfix/master.cf" "$PF/master.cf"
printf '%s\n' 'alice@example.test example.test/alice/Maildir/' \
               'bob@example.test   example.test/bob/Maildir/' > "$PF/vmailbox"
# Postfix sleeps ~2 s on a main.cf/texthash written within the last second
# ("hot" file); back-dating them keeps the start well under a second.
touch -d '1 minute ago' "$PF/main.cf" "$PF/master.cf" "$PF/vmailbox"
# POP-before-SMTP map: empty at start; Dovecot's post-login script fills it.
rm -f "$PF/pop-before-smtp.new" "$PF/pop-before-smtp.new.db"
: > "$PF/pop-before-smtp"
postmap -c "$PF" "hash:$PF/pop-before-smtp"
launch postfix postfix -c "$PF" start

# ---------------------------------------------------------------- wait
ready() {
    local p listening
    listening=$(ss -Hltn)
    for p in $SMTP_PORTS $MAILBOX_PORTS; do
        grep -q "127.0.0.1:$p " <<<"$listening" || return 1
        grep -q "\[::1\]:$p " <<<"$listening" || return 1
    done
    [ -S "$LAB/dovecot/run/auth-postfix" ]
}
deadline=$(( $(date +%s) + TIMEOUT ))
until ready; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
        ss -Hltn >&2
        false   # fires the ERR trap: stop what started
    fi
    sleep 0.05
done
trap - ERR

# Anything of ours listening outside loopback would be a bug: show and fail.
if ss -Hltn | awk '{print $4}' | grep -E ":($(echo $SMTP_PORTS $MAILBOX_PORTS | tr ' ' '|'))$" \
        | grep -vE '^(127\.0\.0\.1|\[::1\]):'; then
    "$here/stop.sh" >&2 || true
    die "a lab port listens on a non-loopback address"
fi

cat <<INFO
relaydoc lab is up in $LAB
  SMTP      2525 (MX-like, AUTH after STARTTLS), 2587 (submission, STARTTLS required),
            2465 (implicit TLS); 2526 no permit_sasl_authenticated, 2527 defer (454),
            2528 soft_bounce (454), 2529 AUTH before STARTTLS, 2530 no AUTH, 2531 POP-before-SMTP
  POP/IMAP  2110 / 2995 (pop3s), 2143 / 2993 (imaps)
  users     alice@example.test / password, bob@example.test / secret
  trusted   source 127.0.0.2 (mynetworks)
  TLS CA    $LAB/tls/ca.crt
  logs      $LAB/log/
INFO
