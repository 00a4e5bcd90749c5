#!/usr/bin/env bash
# Installs what the browser tests of the offline website need (tests/website.rs with
# RELAYDOC_REQUIRE_BROWSER=1): Debian's chromium, and puppeteer-core + axe-core from npm at the
# versions in package-lock.json. Idempotent: does nothing that is already done.
# Needs root (or sudo) for apt-get when chromium is missing; node and npm must be installed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# apt may be busy (another install, unattended upgrades): wait for its lock instead of failing.
apt_get() {
    local tries=0
    until as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 "$@"; do
        tries=$((tries + 1))
        if [ "$tries" -ge 3 ]; then
            echo "install.sh: apt-get $* failed $tries times" >&2
            return 1
        fi
        sleep 10
    done
}

if ! command -v chromium >/dev/null 2>&1; then
    echo "install.sh: installing chromium from Debian's packages"
    apt_get update -q
    apt_get install -y -q --no-install-recommends chromium fonts-dejavu-core
fi

for tool in node npm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "install.sh: $tool is missing; install Node.js 18 or newer" >&2
        exit 1
    fi
done

# Exactly the locked versions; puppeteer-core downloads no browser of its own.
if [ ! -d "$here/node_modules/puppeteer-core" ] || [ ! -d "$here/node_modules/axe-core" ] \
    || [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
    (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi
echo "install.sh: chromium $(chromium --version 2>/dev/null | awk '{print $2}'), node $(node --version)"
