"""Opening a database by URL and bringing it to the current schema."""

from __future__ import annotations

import peewee as pw

from .connection import db, first_line, make_database, redact_url
from .errors import BackroomError
from .migrations import migrate_schema


def connect(url: str, *, upgrade: bool = True) -> pw.Database:
    """Bind the models to ``url``, create or upgrade its schema, and return it."""
    database = make_database(url)
    db.initialize(database)
    try:
        database.connect(reuse_if_open=True)
    except pw.OperationalError as exc:
        raise BackroomError(f"Cannot open the database {redact_url(url)}: {first_line(exc)}") from None
    if upgrade:
        migrate_schema()
    return database
