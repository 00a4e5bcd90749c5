#!/usr/bin/env python3
"""Start-to-first-prompt of the plain wizard, in a real pseudo-terminal.

Usage: benches/first_prompt.py [RUNS] [BINARY]   (default 30 runs, target/release/relaydoc)

Spawns `relaydoc wizard --plain` in a pty with an empty HOME, and times from the spawn until
the first question's text is on the screen. Prints min, median and max in milliseconds.
"""
import os
import pty
import select
import statistics
import sys
import tempfile
import time

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 30
BINARY = sys.argv[2] if len(sys.argv) > 2 else "target/release/relaydoc"
MARK = b"paste it here"


def one_run(home):
    started = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:
        os.environ.update({"HOME": home, "XDG_CONFIG_HOME": home + "/.config", "TERM": "xterm"})
        os.execv(BINARY, [BINARY, "wizard", "--plain"])
    seen = b""
    deadline = started + 10
    while MARK not in seen and time.perf_counter() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:
                break
    elapsed = time.perf_counter() - started
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    os.close(fd)
    if MARK not in seen:
        sys.exit(f"the first prompt never appeared: {seen[-200:]!r}")
    return elapsed * 1000


with tempfile.TemporaryDirectory() as home:
    times = [one_run(home) for _ in range(RUNS)]
print(
    f"start to first prompt over {RUNS} runs: min {min(times):.1f} ms, "
    f"median {statistics.median(times):.1f} ms, max {max(times):.1f} ms"
)
