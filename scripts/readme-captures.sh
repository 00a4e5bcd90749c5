#!/usr/bin/env bash
# Captures a few TUI screens at 80x24 from tmux, as the text README.md shows under "What it
# looks like". Run it after a change to the screens and paste its output over that section:
#
#   scripts/readme-captures.sh [path/to/relaydoc]   (default: target/debug/relaydoc)
#
# Needs tmux. Runs in an empty HOME, offline, with nothing saved.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin="${1:-target/debug/relaydoc}"
[ -x "$bin" ] || { echo "readme-captures: build first (cargo build), or name the binary" >&2; exit 2; }
command -v tmux >/dev/null || { echo "readme-captures: needs tmux" >&2; exit 2; }
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
sock="relaydoc-captures-$$"
home="$(mktemp -d)"
t() { tmux -L "$sock" -f /dev/null "$@"; }
trap 't kill-server 2>/dev/null || true; rm -rf "$home"' EXIT
t new-session -d -x 80 -y 24 "env -i PATH=/usr/bin:/bin HOME=$home TERM=tmux-256color \
    RELAYDOC_OFFLINE=1 $bin wizard --no-save --color never; sleep 60"
wait_for() {
    for _ in $(seq 1 200); do
        t capture-pane -p -t 0 | grep -qF -- "$1" && return 0
        sleep 0.05
    done
    echo "readme-captures: never saw: $1" >&2
    t capture-pane -p -t 0 >&2
    exit 1
}
shot() { # title
    echo "**$1**"
    echo
    echo '```text'
    t capture-pane -p -t 0 | sed -e 's/[[:space:]]*$//'
    echo '```'
    echo
}
wait_for "Start — answer a few questions"
shot "Home"
t send-keys -t 0 Enter
wait_for "What does the error message say?"
shot "A question (the answers so far are listed beside it on wider screens)"
t send-keys -t 0 Enter; wait_for "Where did you see the error?"
t send-keys -t 0 Enter; wait_for "What is sending"
t send-keys -t 0 Enter; wait_for "Which mail program"
t send-keys -t 0 End; t send-keys -t 0 Up; t send-keys -t 0 Up; t send-keys -t 0 Enter
wait_for "What is your email address?"
t send-keys -t 0 -l "me@gmail.com"; t send-keys -t 0 Enter
wait_for "only to you, or to everyone"
t send-keys -t 0 Enter; wait_for "Which messages fail?"
t send-keys -t 0 Enter; wait_for "outgoing server"
t send-keys -t 0 2; t send-keys -t 0 Enter
wait_for "Turn on sign-in for the outgoing server"
sleep 0.3
shot "The answer, with the steps for the person's own program and provider"
