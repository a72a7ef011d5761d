"""The real ``backroom`` command in a pseudo-terminal, every byte it writes
recorded: what a terminal emulator would receive.

``Terminal(argv, env)`` starts it at 120x40 with TERM=xterm-256color;
``send()`` types (bytes as a terminal sends keys), ``wait_for()`` waits
until a piece of text has been written since the last mark, ``finish()``
waits for the process to exit and returns its status.  ``output`` is
everything written so far; ``modes()`` the terminal's line settings now,
``initial_modes`` as they were before the program ran.
"""

from __future__ import annotations

import fcntl
import os
import select
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path
from typing import Mapping, Sequence

# Keys as xterm sends them.
F2, F3, F4, F5, F7, F8 = b"\x1bOQ", b"\x1bOR", b"\x1bOS", b"\x1b[15~", b"\x1b[18~", b"\x1b[19~"
ENTER, TAB, DOWN, END = b"\r", b"\t", b"\x1b[B", b"\x1b[F"
CTRL_N, CTRL_P, CTRL_Q, CTRL_S, CTRL_U = b"\x0e", b"\x10", b"\x11", b"\x13", b"\x15"
ESCAPE = b"\x1b"

BACKROOM = Path(sys.executable).with_name("backroom")


def terminal_env(home: Path, **extra: str) -> dict[str, str]:
    """A clean environment: a home of its own, nothing of the caller's
    Backroom or Textual settings."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("BACKROOM_", "TEXTUAL", "XDG_", "COLUMNS", "LINES", "NO_COLOR"))}
    env.update(TERM="xterm-256color", HOME=str(home), XDG_STATE_HOME=str(home / "state"),
               XDG_DATA_HOME=str(home / "data"), LANG="C.UTF-8", LC_ALL="C.UTF-8", **extra)
    return env


def _controlling_terminal() -> None:
    """In the child: a session of its own whose controlling terminal is the
    pseudo-terminal (on stdin), as in a terminal emulator or over SSH."""
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Terminal:
    def __init__(self, argv: Sequence[str], env: Mapping[str, str], *, size: tuple[int, int] = (120, 40)) -> None:
        columns, rows = size
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        self.initial_modes = termios.tcgetattr(slave)  # the line discipline before the program runs
        self.proc = subprocess.Popen(list(argv), stdin=slave, stdout=slave, stderr=slave, env=dict(env),
                                     preexec_fn=_controlling_terminal, close_fds=True)
        os.close(slave)
        self.output = bytearray()
        self.mark = 0
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                ready, _, _ = select.select([self.master], [], [], 0.1)
                if not ready:
                    if self.proc.poll() is not None and not select.select([self.master], [], [], 0.2)[0]:
                        return
                    continue
                data = os.read(self.master, 65536)
            except OSError:  # EIO: the other side is closed
                return
            if not data:
                return
            with self._lock:
                self.output += data

    def snapshot(self) -> bytes:
        with self._lock:
            return bytes(self.output)

    def send(self, *keys: bytes | str, pause: float = 0.05) -> None:
        """Type ``keys`` one after another (text is typed as UTF-8)."""
        for key in keys:
            os.write(self.master, key.encode() if isinstance(key, str) else key)
            time.sleep(pause)

    def wait_for(self, text: bytes | str, timeout: float = 15.0) -> None:
        """Wait until ``text`` is written after the mark; the mark moves past it."""
        needle = text.encode() if isinstance(text, str) else text
        deadline = time.monotonic() + timeout
        while True:
            out = self.snapshot()
            at = out.find(needle, self.mark)
            if at >= 0:
                self.mark = at + len(needle)
                return
            if time.monotonic() > deadline or self.proc.poll() is not None and not self._reader.is_alive():
                tail = out[-3000:].decode("utf-8", "replace")
                raise AssertionError(f"{needle!r} never appeared (exit status {self.proc.poll()}); "
                                     f"the last output was:\n{tail!r}")
            time.sleep(0.02)

    def settle(self, quiet: float = 0.3, timeout: float = 10.0) -> None:
        """Wait until nothing has been written for ``quiet`` seconds."""
        deadline = time.monotonic() + timeout
        size, since = len(self.snapshot()), time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.05)
            now = len(self.snapshot())
            if now != size:
                size, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet:
                return

    def modes(self) -> list:
        return termios.tcgetattr(self.master)

    def finish(self, timeout: float = 15.0) -> int:
        """Wait for the process to exit (and its last output); its status."""
        try:
            status = self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self._reader.join(5)
        return status

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        try:
            os.close(self.master)
        except OSError:
            pass
