#!/usr/bin/env bash
# The whole test suite, as the README gives it: installs what the tests need when missing
# (tmux for terminal tests; chromium and npm packages for the website's browser tests; the mail
# lab's Debian packages), starts the loopback mail lab,
# runs every test, and stops the lab again. Needs root for apt-get and the lab daemons.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here/.."

# The terminal tests (tests/tui_tmux.rs) drive the real binary in tmux.
if ! command -v tmux >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y --no-install-recommends tmux
fi

# The offline website's browser tests (tests/website.rs): Debian's chromium and the locked
# npm packages (puppeteer-core, axe-core); a missing piece then fails the test, never skips it.
tests/website/install.sh
export RELAYDOC_REQUIRE_BROWSER=1

# The language runtimes tests/snippets.rs runs the `settings --snippet` code with (Go and a
# JDK included; about a minute from nothing).
if [ -x tests/snippets/install.sh ]; then
    tests/snippets/install.sh
fi

# A real Exim for tests/exim_matrix.rs: Debian's packages downloaded and unpacked into
# /tmp/relaydoc-exim, not installed (exim4-daemon-light conflicts with postfix).
tests/lab/exim.sh install

if [ -x tests/lab/run-with-lab.sh ]; then
    exec tests/lab/run-with-lab.sh cargo test --all-targets --locked "$@"
fi
exec cargo test --all-targets --locked "$@"
