#!/usr/bin/env python3
"""Runs a program with its standard output on a pseudo-terminal, for the
hostile cases marked "tty": emrcost writes data bytes exactly to a pipe or a
file, and keeps control characters off a terminal, so what reaches a
terminal can only be seen through one.

    python3 tests/hostile/tty_run.py TIMEOUT_S PROGRAM ARGS...

Copies what the program wrote to the terminal to stdout (with the
terminal's \\r\\n line ends); the program's stderr is passed through as it
is. Exits with the program's exit code, 128 + N if signal N killed it, or
124 if it was still running after TIMEOUT_S seconds (it is then killed).
Python 3 standard library only.
"""

import os
import pty
import select
import subprocess
import sys
import time


def main():
    timeout = float(sys.argv[1])
    argv = sys.argv[2:]
    master, slave = pty.openpty()
    child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=slave)
    os.close(slave)
    deadline = time.monotonic() + timeout
    out = sys.stdout.buffer
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            child.kill()
            child.wait()
            out.flush()
            sys.exit(124)
        ready, _, _ = select.select([master], [], [], min(left, 0.2))
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: every writer closed the terminal
                data = b""
            if not data:
                break
            out.write(data)
        elif child.poll() is not None:
            break
    code = child.wait()
    out.flush()
    sys.exit(128 - code if code < 0 else code)


if __name__ == "__main__":
    main()
