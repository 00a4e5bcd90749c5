#!/usr/bin/env bash
# run-with-lab.sh CMD... -- run CMD with the lab up, and always stop it after.
# Installs the packages when missing, starts the lab, exports
# RELAYDOC_LAB_DIR and RELAYDOC_REQUIRE_LAB=1 (so a test that finds no lab
# fails instead of skipping), runs CMD, stops the lab whatever happened, and
# exits with CMD's status. A lab that cannot start is an error, not a skip.
#
# Example: tests/lab/run-with-lab.sh cargo test --test checks_smtp
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
[ $# -gt 0 ] || { echo "usage: run-with-lab.sh CMD [ARG...]" >&2; exit 2; }
export RELAYDOC_LAB_DIR=${RELAYDOC_LAB_DIR:-/tmp/relaydoc-lab}
export RELAYDOC_REQUIRE_LAB=1

if ! "$here/install.sh" >&2; then
    echo "run-with-lab.sh: the lab's packages could not be installed (see above)" >&2
    exit 1
fi
if ! "$here/start.sh" >&2; then
    # start.sh stops whatever it started itself; a lab that was already running
    # belongs to someone else and is left alone.
    echo "run-with-lab.sh: the lab could not start (see above); not running: $*" >&2
    exit 1
fi

# Stop on every way out, Ctrl-C and termination included.
cleanup() { "$here/stop.sh" >&2 || echo "run-with-lab.sh: stop.sh reported a problem" >&2; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$@"
status=$?
exit $status
