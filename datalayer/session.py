"""Opening a database by URL and bringing it to the current schema.

A database is created on purpose only: :func:`connect` with ``create``
off (what the command line passes, except for the commands that make one)
refuses a SQLite path where there is no file, and a server database that
holds no Backroom tables, instead of quietly starting an empty shop there.
"""

from __future__ import annotations

from pathlib import Path

import peewee as pw

from . import setaside
from .connection import _sqlite_path, db, describe_database_error, make_database, redact_url
from .errors import BackroomError
from .migrations import migrate_schema, schema_version
from .text import inert_line

CREATE_HINT = "`backroom init` creates one (`backroom demo` a demo)"


class NoDatabaseError(BackroomError):
    """The URL names no existing Backroom database, and none was to be created."""


def _missing_sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names, if it does not exist."""
    if not url.lower().startswith("sqlite:"):
        return None
    path = _sqlite_path(url)
    if not path or path == ":memory:":
        return None
    p = Path(path).expanduser()
    return None if p.exists() else p


def database_exists(url: str) -> bool:
    """False for a SQLite URL naming no file; True otherwise (a server's
    database is found out by connecting)."""
    return _missing_sqlite_file(url) is None


def connect(url: str, *, upgrade: bool = True, create: bool = True) -> pw.Database:
    """Bind the models to ``url``, create or upgrade its schema, and return it.

    With ``create`` off, a database that does not exist yet is an error
    (:class:`NoDatabaseError`) and nothing is made: no file, no tables."""
    if not create:
        missing = _missing_sqlite_file(url)
        if missing is not None:
            raise NoDatabaseError(f"No database at {inert_line(str(missing.resolve()))}: check the path "
                                  f"(sqlite:////absolute/path.db has four slashes), or {CREATE_HINT}.")
    database = make_database(url)
    db.initialize(database)
    try:
        database.connect(reuse_if_open=True)
        if not create and schema_version() is None:
            database.close()
            raise NoDatabaseError(f"The database {redact_url(url)} holds no Backroom data: {CREATE_HINT}.")
        if upgrade:
            migrate_schema()
        else:
            setaside.restore()  # (migrate_schema does it too)
        _load_settings(upgrade)
    except pw.PeeweeException as exc:
        # A damaged or foreign file, a read-only one that needs an upgrade, a
        # full disk: one line naming the problem, never a traceback.
        if not database.is_closed():
            database.close()
        raise BackroomError(f"Cannot open the database {redact_url(url)}: {describe_database_error(exc)}") from None
    return database


def _load_settings(upgraded: bool) -> None:
    """Read the shop settings screens show on every line (the money
    format) once, now, rather than on the event loop."""
    from .shopmoney import load_money_format

    if upgraded or schema_version() is not None:
        load_money_format()


def share_with_group(url: str, gid: int) -> str:
    """Create (or open) the SQLite database at ``url`` for a team of OS users
    in group ``gid``: its folder becomes the group's and setgid (files made
    in it, like SQLite's -wal and -shm, belong to the group), the folder and
    the files group-readable and writable.  SQLite gives a new -wal or -shm
    file the database file's permissions whatever the umask of the process
    that makes it, so they stay so.  Returns the
    database file's path."""
    import os
    from pathlib import Path

    if not url.startswith("sqlite:"):
        raise BackroomError("--shared is for a SQLite file: a database server has accounts of its own")
    path = Path(make_database(url).database)  # makes the folder and an empty file, mode 0600
    if str(path) == ":memory:":
        raise BackroomError("--shared needs a database file, not :memory:")
    folder = path.parent
    os.chown(folder, -1, gid)
    os.chmod(folder, (folder.stat().st_mode & 0o7777) | 0o2070)
    os.chown(path, -1, gid)
    os.chmod(path, 0o660)
    database = connect(url)
    database.execute_sql("PRAGMA wal_checkpoint")
    for f in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if f.exists():
            os.chown(f, -1, gid)
            os.chmod(f, 0o660)
    return str(path)
