#!/usr/bin/env bash
# install.sh -- the language runtimes and mail libraries tests/snippets.rs runs the
# `relaydoc settings CLIENT` snippets with, from Debian 12's packages, when missing: no
# prompt, no upgrade of what is already there. Idempotent; run as root.
#
# Measured here (2 cores, Debian mirror): 29 s from nothing for the first six (apt-get
# update included); golang-go from nothing 10.5 s more (81 MB fetched, 464 MB installed,
# update included); the headless JDK was already on the test machine: its 116 MB of packages
# fetched and unpacked in 7 s, so count about 20 s with dpkg's configure step. About a
# minute in all on a fast mirror; a slow one (10 MB/s) adds ~20 s -- well inside CI's budget.
# Left out: .NET (not in Debian's archive; the MailKit and System.Net.Mail snippets are
# rendered and checked for leftover placeholders only).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

[ "$(id -u)" = 0 ] || { echo "snippets/install.sh: must run as root" >&2; exit 1; }

PKGS=(
    python3                  # smtplib snippet (the standard library)
    php-cli libphp-phpmailer # PHPMailer snippet
    nodejs node-nodemailer   # Nodemailer snippet
    ruby                     # Ruby net/smtp (Rails' Action Mailer speaks through it)
    msmtp                    # the cron / msmtp snippet
    golang-go                # Go net/smtp snippet (`go run`, standard library only)
    libjakarta-mail-java     # JavaMail snippet (with a JDK, below)
)

missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# nodejs may come from another repository under the same name; a working `node` is enough.
if command -v node >/dev/null 2>&1; then
    missing=("${missing[@]/nodejs}")
fi
# JavaMail snippet: `java` runs the source file (which needs a JDK's compiler, `javac`, not a
# JRE), `keytool` trusts the lab's CA. Any JDK will do; Debian's default headless one if none.
if ! command -v javac >/dev/null 2>&1 || ! command -v keytool >/dev/null 2>&1; then
    missing+=(default-jdk-headless)
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
if [ ${#missing[@]} -eq 0 ]; then
    echo "snippets/install.sh: everything is installed"
    exit 0
fi
echo "snippets/install.sh: installing ${missing[*]}"
apt-get update -q
apt-get install -y -q --no-install-recommends --no-upgrade "${missing[@]}"
echo "snippets/install.sh: done"
