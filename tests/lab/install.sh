#!/usr/bin/env bash
# install.sh -- install the Debian packages the relaydoc test lab needs, when
# missing: no prompt, no upgrade of what is already there, and no service
# autostart (the packages' own daemons would listen on 0.0.0.0 and on the
# standard ports). Debian 12 (bookworm); run as root. Idempotent.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

[ "$(id -u)" = 0 ] || { echo "install.sh: must run as root" >&2; exit 1; }

PKGS=(
    postfix                          # MTA (>= 3.4 for maillog_file)
    dovecot-core dovecot-imapd dovecot-pop3d   # SASL for Postfix, POP3/IMAP
    nsd                              # authoritative DNS for tests/lab/dns.sh
    swaks                            # SMTP cross-checks and the benchmark
    libio-socket-inet6-perl          # swaks over IPv6
    libio-socket-ssl-perl libnet-ssleay-perl libauthen-sasl-perl   # swaks --tls / --auth
    bind9-dnsutils                   # dig
    openssl                          # the lab CA and certificates
    tmux                             # driving the real binary in a terminal
    iproute2                         # ss: waiting for listeners
)

# Only what is not installed yet; dpkg-query is cheap, apt-get update is not.
missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "install.sh: everything is installed"
    exit 0
fi
echo "install.sh: installing ${missing[*]}"

# "No configuration": postfix's postinst asks nothing and writes no
# /etc/postfix/main.cf; the lab brings its own config directory.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections

# Keep packages from starting their system services during the install.
POLICY=/usr/sbin/policy-rc.d
added_policy=""
if [ ! -e "$POLICY" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$POLICY"; chmod 755 "$POLICY"; added_policy=1
fi
cleanup() { if [ -n "$added_policy" ]; then rm -f "$POLICY"; fi; }
trap cleanup EXIT

apt-get update -q
# --no-upgrade: an installed openssl must not be upgraded as a side effect.
apt-get install -y -q --no-install-recommends --no-upgrade "${missing[@]}"
echo "install.sh: done"
