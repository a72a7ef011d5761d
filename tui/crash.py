"""An unexpected error in the TUI: a short report that holds no personal data.

Textual's own report of an unexpected error is a traceback with the local
variables of every frame, printed on the terminal: a customer's name, email
or address as often as not.  Backroom writes this instead, to a file only its
owner can read (mode 0600):

- when, and the versions of Backroom, Python and Textual;
- the screen in front;
- the type of the error (and of the errors that led to it), never its
  message, which may quote any value;
- the traceback's frames: file, line, function and the line of code.

No local variable, argument or message.  The file is in
``$XDG_STATE_HOME/backroom/crashes/`` (``~/.local/state/backroom/crashes/``),
or, if that cannot be written, in the temporary directory.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import sys
import tempfile
import traceback
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
MAX_CHAIN = 5


def crash_dir() -> Path:
    """Where reports go: the XDG state directory."""
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "backroom" / "crashes"


def _version(name: str) -> str:
    from importlib import metadata  # only when a report is written: not at every start

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "unknown"


def _where(filename: str) -> str:
    """A frame's file, short: inside Backroom relative to the package,
    inside an installed library relative to site-packages."""
    path = Path(filename)
    if not path.is_absolute():  # "<string>", "<frozen …>"
        return filename
    parts = path.parts
    for marker in ("site-packages", "dist-packages"):
        if marker in parts:
            return str(Path(*parts[parts.index(marker) + 1:]))
    try:
        return str(Path("backroom") / path.resolve().relative_to(PACKAGE_ROOT))
    except (ValueError, OSError):
        return filename


def _type_name(exc: BaseException) -> str:
    cls = type(exc)
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


def unwrap(exc: BaseException) -> BaseException:
    """The error itself, not the wrapper Textual puts around a worker's."""
    from textual.worker import WorkerFailed

    while isinstance(exc, WorkerFailed) and isinstance(exc.error, BaseException):
        exc = exc.error
    return exc


def _frames(exc: BaseException) -> list[str]:
    lines = []
    for frame in traceback.extract_tb(exc.__traceback__):
        lines.append(f"  {_where(frame.filename)}:{frame.lineno} in {frame.name}")
        if frame.line:
            lines.append(f"      {frame.line.strip()}")
    return lines or ["  (no frames)"]


def report_text(exc: BaseException, *, screen: str = "", now: dt.datetime | None = None) -> str:
    """The report on ``exc``: types, frames and context; no values."""
    exc = unwrap(exc)
    now = now or dt.datetime.now(dt.timezone.utc)
    lines = [
        "Backroom crash report",
        "",
        f"When:     {now.isoformat(timespec='seconds')}",
        f"Versions: backroom {_version('backroom')}, Python {platform.python_version()}, "
        f"Textual {_version('textual')}, {platform.system()}",
        f"Screen:   {screen or 'unknown'}",
        f"Error:    {_type_name(exc)}",
        "",
        "The error's message and the program's variables are left out: they may",
        "hold customers' personal data.",
        "",
        "Traceback, most recent call last:",
        *_frames(exc),
    ]
    seen = {id(exc)}
    current: BaseException | None = exc
    for _ in range(MAX_CHAIN):
        assert current is not None
        if current.__cause__ is not None:
            cause, how = current.__cause__, "It was caused by"
        elif current.__context__ is not None and not current.__suppress_context__:
            cause, how = current.__context__, "It happened while handling"
        else:
            break
        if id(cause) in seen:
            break
        seen.add(id(cause))
        lines += ["", f"{how}: {_type_name(cause)}", *_frames(cause)]
        current = cause
    return "\n".join(lines) + "\n"


def _write_new(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        os.fchmod(out.fileno(), 0o600)
        out.write(text)


def write_report(exc: BaseException, *, screen: str = "") -> Path | None:
    """Write the report on ``exc``; its path, or None if no file could be written."""
    now = dt.datetime.now(dt.timezone.utc)
    try:
        text = report_text(exc, screen=screen, now=now)
    except Exception:  # noqa: BLE001 - the report must not fail the way out
        text = f"Backroom crash report\n\nError: {_type_name(exc)}\n(the traceback could not be read)\n"
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    name = f"crash-{stamp}-{os.getpid()}.txt"
    try:
        folder = crash_dir()
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = folder / name
        _write_new(path, text)
        return path
    except OSError:
        pass
    try:
        fd, tmp = tempfile.mkstemp(prefix="backroom-crash-", suffix=".txt")  # 0600
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        return Path(tmp)
    except OSError:
        return None


def crash_message(report: Path | None, exc: BaseException) -> str:
    """The line for standard error once the terminal is restored."""
    what = _type_name(unwrap(exc))
    where = f"a report (no personal data) is in {report}" if report else "no report could be written"
    return f"backroom: the TUI stopped on an unexpected error ({what}); {where}"


def print_crash(report: Path | None, exc: BaseException) -> None:
    print(crash_message(report, exc), file=sys.stderr, flush=True)
