#!/usr/bin/env bash
# install.sh -- the language runtimes and mail libraries tests/snippets.rs runs the
# `relaydoc settings CLIENT` snippets with, from Debian 12's packages, when missing: no
# prompt, no upgrade of what is already there. Idempotent; run as root.
#
# Measured here (2 cores, Debian mirror): 29 s from nothing (apt-get update included).
# Left out on purpose: Go (golang-1.19-go is 335 MB installed, minutes to fetch and unpack;
# the Go snippet is checked with `gofmt` only when Go happens to be there), a full JDK
# (javac/java are used when present, with the 1.4 MB jakarta-mail jar), .NET (not in
# Debian's archive).
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
    libjakarta-mail-java     # JavaMail snippet (java itself only when already installed)
)

missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# nodejs may come from another repository under the same name; a working `node` is enough.
if command -v node >/dev/null 2>&1; then
    missing=("${missing[@]/nodejs}")
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
