#!/usr/bin/env bash
# TUI speed of the real (release) binary in a real terminal (tmux): start to first drawn
# frame, idle CPU over 10 s, and peak memory (VmHWM) after walking to a solution and searching.
# A benchmark, not a test: it prints figures and the aims next to them.
#
#   benches/tui.sh            (needs tmux; builds the release binary first)
#
# In-process figures (first frame without process start, time per frame) come from
# `cargo bench --bench tui`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v tmux >/dev/null || { echo "benches/tui.sh needs tmux (apt-get install tmux)" >&2; exit 2; }
cargo build --release --quiet
bin="$PWD/target/release/relaydoc"
sock="relaydoc-bench-$$"
home="$(mktemp -d)"
t() { tmux -L "$sock" -f /dev/null "$@"; }
cleanup() { t kill-server 2>/dev/null || true; rm -rf "$home"; }
trap cleanup EXIT
env_cmd="env -i PATH=/usr/bin:/bin HOME=$home XDG_CONFIG_HOME=$home/.config TERM=tmux-256color"

now_ns() { date +%s%N; }
pane=0
wait_for() { # text, timeout seconds
    local deadline=$(( $(now_ns) + ${2:-10} * 1000000000 ))
    until t capture-pane -p -t "$pane" | grep -qF -- "$1"; do
        [ "$(now_ns)" -lt "$deadline" ] || { echo "timed out waiting for: $1" >&2; t capture-pane -p -t "$pane" >&2; exit 1; }
    done
}
# One fresh session per run, on one server (restarting the server races with its shutdown).
t new-session -d -s keep "sleep 600"
measure() { # name, command
    pane="$1"
    t new-session -d -s "$1" -x 80 -y 24 "sleep 60"
    local start end
    start=$(now_ns)
    t respawn-pane -k -t "$1" "$2"
    wait_for "Start — answer a few questions" 10
    end=$(now_ns)
    t kill-session -t "$1"
    echo $(( (end - start) / 1000 ))
}

# 1. Start to first frame: launch, then poll the screen as fast as tmux answers. Each poll
#    takes a millisecond or two, so this is an upper bound; the best of 10 runs is reported.
times=()
for run in $(seq 1 10); do
    times+=( "$(measure "relaydoc$run" "exec $env_cmd $bin")" )
done
# The same measurement for a program that prints the same words at once: what tmux's
# respawn and polling cost by themselves.
base=()
for run in $(seq 1 10); do
    base+=( "$(measure "printf$run" "printf 'Start — answer a few questions'; exec sleep 60")" )
done
median_of() { printf '%s\n' "$@" | sort -n | sed -n 5p; }
best_of() { printf '%s\n' "$@" | sort -n | head -1; }
printf 'start to first frame: best %.1f ms, median %.1f ms, as seen through tmux\n' \
    "$(echo "$(best_of "${times[@]}") / 1000" | bc -l)" "$(echo "$(median_of "${times[@]}") / 1000" | bc -l)"
printf '  tmux alone (printf instead of relaydoc): best %.1f ms, median %.1f ms\n' \
    "$(echo "$(best_of "${base[@]}") / 1000" | bc -l)" "$(echo "$(median_of "${base[@]}") / 1000" | bc -l)"
printf '  => relaydoc itself: about %.1f ms (median difference; aim <= 20 ms)\n' \
    "$(echo "($(median_of "${times[@]}") - $(median_of "${base[@]}")) / 1000" | bc -l)"

# 2. Idle CPU (relaydoc again, on its home screen)
pane=idle
t new-session -d -s idle -x 80 -y 24 "exec $env_cmd $bin"
wait_for "Start — answer a few questions" 10
# The process's user+system ticks over 10 s on its home screen.
pid=$(t display-message -p -t idle '#{pane_pid}')
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
before=$(ticks); sleep 10; after=$(ticks)
printf 'idle CPU over 10 s: %d ticks = %.2f %% of one core (aim ~0 %%)\n' \
    "$((after - before))" "$(echo "($after - $before) * 100 / $hz / 10" | bc -l)"

# 3. Peak memory after a whole path to a solution, a client switch and a search.
k() { t send-keys -t idle "$@"; }
k Enter; wait_for "What does the error message say?"
k Enter; wait_for "Where did you see the error?"
k Enter; wait_for "Which mail program"
k End Up Enter; wait_for "What is your email address?"
k -l me@gmail.com; k Enter; wait_for "only to you"
k Enter; wait_for "Which messages fail?"
k Enter; wait_for "Use user name"
k 2 Enter; wait_for "Turn on sign-in"
k c; wait_for "Which program do you send with?"
k Up Enter; k /; wait_for "Search everything"
k -l "pop before smtp"; wait_for "best first"
k Enter; sleep 0.3
rss=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
printf 'peak RSS (VmHWM): %.1f MB (aim <= 30 MB)\n' "$(echo "$rss / 1024" | bc -l)"
k q
