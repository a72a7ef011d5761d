"""Opening a database by URL and bringing it to the current schema.

A database is created on purpose only: :func:`connect` with ``create``
off (what the command line passes, except for the commands that make one)
refuses a SQLite path where there is no file, and a server database that
holds no Backroom tables, instead of quietly starting an empty shop there.
"""

from __future__ import annotations

from pathlib import Path

import peewee as pw

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
    except pw.PeeweeException as exc:
        # A damaged or foreign file, a read-only one that needs an upgrade, a
        # full disk: one line naming the problem, never a traceback.
        if not database.is_closed():
            database.close()
        raise BackroomError(f"Cannot open the database {redact_url(url)}: {describe_database_error(exc)}") from None
    return database
