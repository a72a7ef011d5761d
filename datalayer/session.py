"""Opening a database by URL and bringing it to the current schema."""

from __future__ import annotations

import peewee as pw

from .connection import db, describe_database_error, make_database, redact_url
from .errors import BackroomError
from .migrations import migrate_schema


def connect(url: str, *, upgrade: bool = True) -> pw.Database:
    """Bind the models to ``url``, create or upgrade its schema, and return it."""
    database = make_database(url)
    db.initialize(database)
    try:
        database.connect(reuse_if_open=True)
        if upgrade:
            migrate_schema()
    except pw.PeeweeException as exc:
        # A damaged or foreign file, a read-only one that needs an upgrade, a
        # full disk: one line naming the problem, never a traceback.
        if not database.is_closed():
            database.close()
        raise BackroomError(f"Cannot open the database {redact_url(url)}: {describe_database_error(exc)}") from None
    return database
