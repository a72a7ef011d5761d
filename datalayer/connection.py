"""Connecting: the database proxy the tables are bound to, URLs, and which engine is behind it."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlparse

import peewee as pw

from .errors import BackroomError

db = pw.DatabaseProxy()


SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10_000,
    "synchronous": "normal",
    # 8 MB of page cache per connection: each worker thread has its own
    # connection, and the OS's file cache serves re-reads anyway.  At 64 MB
    # the TUI peaked at 413 MB resident on a million customers; at 8 MB, 123.
    "cache_size": -8_000,
}


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(Path.home(), ".local", "share")
    return Path(base) / "backroom"


def default_url() -> str:
    return f"sqlite:///{default_data_dir() / 'backroom.db'}"


def redact_url(url: str) -> str:
    """The URL with any password replaced, for showing on screen."""
    parsed = urlparse(url)
    if parsed.password:
        netloc = parsed.netloc.replace(f":{parsed.password}@", ":***@")
        return parsed._replace(netloc=netloc).geturl()
    return url


def _sqlite_path(url: str) -> str:
    path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else url[len("sqlite://"):]
    return unquote(path.split("?", 1)[0])


def make_database(url: str) -> pw.Database:
    """A (not yet connected) Peewee database for ``url``."""
    parsed = urlparse(url)
    scheme = parsed.scheme.lower()
    if scheme == "sqlite":
        path = _sqlite_path(url)
        if not path:
            raise BackroomError("A SQLite URL needs a file path: sqlite:///path/to/backroom.db")
        if path != ":memory:":
            p = Path(path).expanduser()
            p.parent.mkdir(parents=True, exist_ok=True)
            # A new database file is readable by its owner only.
            with contextlib.suppress(FileExistsError):
                os.close(os.open(p, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
            path = str(p)
        # IMMEDIATE: a transaction takes the write lock when it begins, so a
        # second admin waits (busy timeout) instead of failing when a
        # transaction that read first tries to write.
        return pw.SqliteDatabase(path, pragmas=SQLITE_PRAGMAS, timeout=10, lock_type="IMMEDIATE")
    options = dict(parse_qsl(parsed.query))
    kwargs: dict[str, Any] = {
        "host": parsed.hostname or "localhost",
        "user": unquote(parsed.username) if parsed.username else None,
    }
    if parsed.password:
        kwargs["password"] = unquote(parsed.password)
    if parsed.port:
        kwargs["port"] = parsed.port
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    name = parsed.path.lstrip("/")
    if not name:
        raise BackroomError(f"The database URL names no database: {redact_url(url)}")
    if scheme in ("postgres", "postgresql"):
        try:
            import psycopg2  # noqa: F401
        except ImportError:
            raise BackroomError(
                "PostgreSQL needs its driver: pip install 'backroom[postgres]'") from None
        kwargs.update(options)
        return pw.PostgresqlDatabase(name, **kwargs)
    if scheme in ("mysql", "mariadb"):
        try:
            import pymysql  # noqa: F401
        except ImportError:
            raise BackroomError(
                "MySQL/MariaDB needs its driver: pip install 'backroom[mysql]'") from None
        from pymysql.constants import CLIENT

        kwargs.setdefault("charset", "utf8mb4")
        # Row counts mean "rows matched", as on the other engines, not
        # "rows whose values changed".
        kwargs.setdefault("client_flag", CLIENT.FOUND_ROWS)
        # READ COMMITTED, as on PostgreSQL: each statement reads what is
        # committed when it starts (after the locks an operation waited
        # for), without the gap locks REPEATABLE READ takes on every row an
        # INSERT ... SELECT reads, which deadlock overlapping bulk changes.
        # Reads that need one snapshot ask for REPEATABLE READ.
        kwargs.setdefault("init_command", "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
        kwargs.update(options)
        return pw.MySQLDatabase(name, **kwargs)
    raise BackroomError(
        f"Unknown database URL {redact_url(url)!r}: use sqlite:///file.db, "
        "postgresql://user@host/name or mysql://user@host/name")


def first_line(exc: BaseException) -> str:
    text = str(exc.args[-1] if len(exc.args) > 1 else exc).strip()
    return text.splitlines()[0] if text else exc.__class__.__name__


def is_sqlite() -> bool:
    return isinstance(db.obj, pw.SqliteDatabase)


def is_mysql() -> bool:
    return isinstance(db.obj, pw.MySQLDatabase)


def is_postgres() -> bool:
    return isinstance(db.obj, pw.PostgresqlDatabase)


DATABASE_ERRORS: tuple[type[BaseException], ...] = (pw.PeeweeException,)
"""What a failing database (or its driver, as Peewee wraps it) raises, as
opposed to an operation's own :class:`BackroomError`: for ``except``."""


def is_database_error(exc: BaseException) -> bool:
    """Whether ``exc`` came from the database rather than an operation's checks."""
    return isinstance(exc, DATABASE_ERRORS)


def release_connection() -> None:
    """Close the calling thread's connection, if it has one (Peewee keeps one
    per thread, so a worker thread's would stay open after it ends).  Best
    effort: never raises."""
    try:
        db.close()
    except Exception:  # noqa: BLE001 - not connected, or closed meanwhile
        pass
