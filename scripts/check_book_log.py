"""Fail if the book's build log shows a warning or an error.

Usage: python scripts/check_book_log.py _build/book-build.log   (run by `make book`)

`jupyter-book build --warningiserror` fails on Sphinx warnings, but not on
everything a build can print: Python warnings from the tools ("...Warning:"),
or a Sphinx warning logged in a way --warningiserror does not count. So the log
itself is checked: a line with WARNING, ERROR or "<Name>Warning:" is a problem.

Two messages are not: they come from the notebooks' kernel processes (ipykernel
7.4), which write their own log to the build's stderr, and say nothing about the
book:
- "[IPKernelApp] WARNING | Kernel is running over TCP without encryption...":
  logged by every kernel at start-up, because jupyter-cache (through nbclient)
  starts kernels without CurveZMQ keys and has no setting for it. The kernels
  listen on 127.0.0.1 for the length of one notebook.
- "ERROR:tornado.general:Uncaught exception in ZMQStream callback", with a
  traceback through ipykernel ending in "ZMQError: Socket operation on
  non-socket": a race in the kernel's own shutdown (its control thread flushes
  stdout after the IOPub socket is closed), after the notebook has run and its
  outputs have been received. It happens now and then, not every build.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

PROBLEM = re.compile(r"WARNING|ERROR|[A-Za-z]+Warning:")
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

KERNEL_TCP_NOTICE = "[IPKernelApp] WARNING | Kernel is running over TCP without encryption."
SHUTDOWN_RACE_START = "ERROR:tornado.general:Uncaught exception in ZMQStream callback"
SHUTDOWN_RACE_END = "zmq.error.ZMQError: Socket operation on non-socket"
TRACEBACK_LINE = re.compile(r"^(Traceback \(most recent call last\):|  .*|\s*\^+\s*)$")


def problems(text: str) -> list[str]:
    """The lines of a build log that fail the build, as 'line N: text'."""
    lines = ANSI.sub("", text).splitlines()
    found = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith(SHUTDOWN_RACE_START):
            # Skip the traceback if it is the kernel's shutdown race and nothing else.
            j = i + 1
            while j < len(lines) and TRACEBACK_LINE.match(lines[j]):
                j += 1
            block = lines[i:j]
            if (j < len(lines) and lines[j] == SHUTDOWN_RACE_END
                    and any("/ipykernel/" in frame for frame in block)):
                i = j + 1
                continue
        if PROBLEM.search(line) and KERNEL_TCP_NOTICE not in line:
            found.append(f"line {i + 1}: {line}")
        i += 1
    return found


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.splitlines()[2], file=sys.stderr)
        return 2
    log = Path(argv[1])
    found = problems(log.read_text(encoding="utf-8", errors="replace"))
    if found:
        print(f"\n{log} has {len(found)} warning or error line(s); the book must build without any:",
              file=sys.stderr)
        for line in found:
            print(f"  {line}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
