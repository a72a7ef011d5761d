"""A program in a pseudo-terminal, timed as a person at a terminal sees it.

:class:`PtyApp` starts a command in a pty of 120×40 (TERM=xterm-256color),
records every chunk of output with the time it arrived, and keeps a
terminal emulator's view of the screen (pyte, a benchmark-only extra) so a
run can wait for text to show.  :meth:`PtyApp.key_latency` sends one key
and answers how long until the program's answer was on the terminal: its
first frame (the first output after the key) and its last byte before the
output went quiet.  So it counts reading the
key, handling it, drawing and writing the frame — what a key costs — and
not only the handler.

Keys as xterm sends them are in :data:`KEYS`.
"""

from __future__ import annotations

import fcntl
import os
import select
import struct
import subprocess
import termios
import threading
import time
from typing import Mapping, Sequence

import pyte

KEYS = {
    "down": b"\x1b[B", "up": b"\x1b[A", "pagedown": b"\x1b[6~", "pageup": b"\x1b[5~",
    "home": b"\x1b[H", "end": b"\x1b[F", "f2": b"\x1bOQ", "f3": b"\x1bOR", "f4": b"\x1bOS",
    "ctrl+q": b"\x11", "enter": b"\r", "escape": b"\x1b", "ctrl+n": b"\x0e",
}

QUIET = 0.08  # no output for this long: the program has answered the key
BURST = 0.003  # output this close together is one frame (a pty passes a frame in pieces of 4 kB)


def _controlling_terminal() -> None:
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def terminal_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TEXTUAL", "COLUMNS", "LINES", "NO_COLOR"))}
    env.update(TERM="xterm-256color", COLORTERM="truecolor", LANG="C.UTF-8", LC_ALL="C.UTF-8", **extra)
    return env


class PtyApp:
    def __init__(self, argv: Sequence[str], env: Mapping[str, str] | None = None, *,
                 size: tuple[int, int] = (120, 40)) -> None:
        columns, rows = size
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(list(argv), stdin=slave, stdout=slave, stderr=slave,
                                     env=dict(env or terminal_env()), preexec_fn=_controlling_terminal,
                                     close_fds=True)
        os.close(slave)
        self.screen = pyte.Screen(columns, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.chunks: list[tuple[float, bytes]] = []  # (arrived, bytes)
        # With sample_cpu set, the program's cpu_s() read as each chunk
        # arrived (None otherwise), and at the chunk wait_for() last found.
        self.sample_cpu = False
        self.chunk_cpu: list[tuple[float, float] | None] = []
        self.found_cpu: tuple[float, float] | None = None
        self._pending: list[bytes] = []
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                ready, _, _ = select.select([self.master], [], [], 0.1)
                if not ready:
                    if self.proc.poll() is not None:
                        return
                    continue
                data = os.read(self.master, 1 << 16)
            except OSError:  # the other side has closed
                return
            if not data:
                return
            now = time.perf_counter()
            cpu = self.cpu_s() if self.sample_cpu else None
            with self._lock:
                self.chunks.append((now, data))
                self.chunk_cpu.append(cpu)
                self._pending.append(data)

    # -- the screen ----------------------------------------------------------
    def text(self) -> str:
        """The screen as a terminal shows it now."""
        with self._lock:
            pending, self._pending = self._pending, []
        for data in pending:
            self.stream.feed(data)
        return "\n".join(self.screen.display)

    def wait_for(self, needle: str, timeout: float = 120.0) -> float:
        """Wait until ``needle`` is on screen; the time it first showed (the
        arrival of the chunk that drew it, to a few ms)."""
        deadline = time.perf_counter() + timeout
        while True:
            if needle in self.text():
                with self._lock:
                    self.found_cpu = self.chunk_cpu[-1] if self.chunk_cpu else None
                    return self.chunks[-1][0] if self.chunks else time.perf_counter()
            if time.perf_counter() > deadline or self.proc.poll() is not None:
                raise TimeoutError(f"{needle!r} never showed; the screen:\n{self.text()}")
            time.sleep(0.005)

    def settle(self, quiet: float = 0.3, timeout: float = 30.0) -> None:
        """Wait until nothing has been written for ``quiet`` seconds."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            with self._lock:
                last = self.chunks[-1][0] if self.chunks else self.started
            if time.perf_counter() - last >= quiet:
                return
            time.sleep(0.01)

    # -- keys ----------------------------------------------------------------
    def send(self, key: str | bytes) -> float:
        data = KEYS.get(key, key.encode()) if isinstance(key, str) else key
        sent = time.perf_counter()
        os.write(self.master, data)
        return sent

    def key_latency(self, key: str | bytes, *, quiet: float = QUIET, timeout: float = 30.0) -> tuple[float, float]:
        """Send ``key`` (the terminal quiet) and return the seconds until its
        first frame was on the terminal (the first burst of output after the
        key, to its last byte), and until all of the answer was (the output
        up to ``quiet`` seconds of silence: a status line drawn a frame
        later counts here)."""
        with self._lock:
            seen = len(self.chunks)
        sent = self.send(key)
        deadline = sent + timeout
        while True:
            time.sleep(0.002)
            now = time.perf_counter()
            with self._lock:
                arrived = [t for t, _ in self.chunks[seen:]]
            if arrived and now - arrived[-1] >= quiet:
                drawn = arrived[0]
                for t in arrived[1:]:
                    if t - drawn > BURST:
                        break
                    drawn = t
                return drawn - sent, arrived[-1] - sent
            if now > deadline:
                raise TimeoutError(f"no answer to {key!r} in {timeout} s")

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                os.write(self.master, KEYS["ctrl+q"])
                self.proc.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        try:
            os.close(self.master)
        except OSError:
            pass

    def cpu_s(self) -> tuple[float, float] | None:
        """The program's CPU time so far, in seconds: its main thread's (the
        event loop's, from the kernel's run time of that thread, in
        nanoseconds) and the whole process's (threads ended meanwhile
        included, in clock ticks: to 10 ms); None if not readable."""
        pid = self.proc.pid
        try:
            with open(f"/proc/{pid}/task/{pid}/schedstat") as f:
                main = int(f.read().split()[0]) / 1e9
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            return None
        return main, total

    def peak_rss_mb(self) -> float | None:
        """The program's peak resident memory (VmHWM), while it runs."""
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        return round(int(line.split()[1]) / 1024, 1)
        except OSError:
            return None
        return None
