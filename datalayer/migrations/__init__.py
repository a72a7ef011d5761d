"""Schema versions and in-place upgrades.

A new database gets the live tables (``datalayer/tables.py``) at
:data:`SCHEMA_VERSION`.  An older one is upgraded one step at a time; step
``n`` lives in module ``v<n>`` and works on frozen copies of the tables as
they were at version ``n``, so changing the live models never changes what
an old upgrade does.  Adding a version: bump :data:`SCHEMA_VERSION`, write
``v<n>.py`` with its tables frozen, and register its ``upgrade``.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Mapping
from typing import Callable, Iterator

import peewee as pw

from .. import setaside
from ..connection import db, is_sqlite
from ..defaults import ensure_defaults
from ..errors import SchemaError
from ..tables import ALL_MODELS
from ..text import inert_line
from .base import SchemaMeta, table_exists

SCHEMA_VERSION = 12
"""The schema this code writes.  See :data:`MIGRATIONS` for the steps up to it."""


def schema_version() -> int | None:
    """The version recorded in the database, or None for an empty database."""
    return _schema_state()[0]


def _schema_state() -> tuple[int | None, list[tuple[str, str]]]:
    """The recorded version, and the markers of indexes a bulk load set
    aside on MariaDB (:mod:`..setaside`), read by one query."""
    if not table_exists(SchemaMeta._meta.table_name):
        return None, []
    rows = list(SchemaMeta.select(SchemaMeta.key, SchemaMeta.value)
                .where((SchemaMeta.key == "schema_version")
                       | (pw.fn.SUBSTR(SchemaMeta.key, 1, len(setaside.PREFIX)) == setaside.PREFIX)).tuples())
    markers = [(k, v) for k, v in rows if k != "schema_version"]
    version = [v for k, v in rows if k == "schema_version"]
    if not version:
        return None, markers
    value = str(version[0]).strip()
    if not (value.isascii() and value.isdigit()) or int(value) < 1 or len(value) > 9:
        raise SchemaError(
            f"The database's schema version is {inert_line(value)!r}, not a version Backroom knows: "
            "the database was not made by Backroom, or it is damaged. Nothing was changed.")
    return int(value), markers


def _set_schema_version(version: int) -> None:
    updated = (SchemaMeta.update(value=str(version))
               .where(SchemaMeta.key == "schema_version").execute())
    if not updated:
        SchemaMeta.create(key="schema_version", value=str(version))


# The module of each step.  A step's module is imported when the step is
# looked up: opening a database that is up to date (every start of the TUI)
# imported all eleven, their frozen tables some 7% of the imports before the
# first screen.
_STEPS = {2: "v2", 3: "v3", 4: "v4_admins", 5: "v5_search", 6: "v6_imports", 7: "v7_history",
          8: "v8_reviewdepth", 9: "v9_ordermoney", 10: "v10_bulkchanges", 11: "v11_textindex",
          12: "v12_namesort"}


def _step_module(name: str):
    return importlib.import_module(f"{__name__}.{name}")


class _Steps(Mapping[int, Callable[[], None]]):
    """The upgrade of each step, its module imported on first look-up."""

    def __getitem__(self, step: int) -> Callable[[], None]:
        return _step_module(_STEPS[step]).upgrade

    def __iter__(self) -> Iterator[int]:
        return iter(_STEPS)

    def __len__(self) -> int:
        return len(_STEPS)


MIGRATIONS: Mapping[int, Callable[[], None]] = _Steps()
"""Step ``n`` upgrades a database from version ``n - 1`` to ``n``."""


@contextlib.contextmanager
def _foreign_keys_deferred() -> Iterator[None]:
    """SQLite rebuilds a table to change a column; its documented procedure is
    to switch foreign keys off around that (outside any transaction) and
    check them before committing."""
    if not is_sqlite():
        yield
        return
    db.execute_sql("PRAGMA foreign_keys = OFF")
    try:
        yield
    finally:
        db.execute_sql("PRAGMA foreign_keys = ON")


def migrate_schema() -> int:
    """Create a fresh schema, or upgrade an older one in place, with any
    indexes a bulk load that died set aside put back.  Returns the version."""
    found, markers = _schema_state()
    if markers and found is not None:
        setaside.restore(markers)
    if found is None:
        existing = set(db.get_tables())
        known = {m._meta.table_name for m in ALL_MODELS}
        if existing & known:
            raise SchemaError("The database has Backroom tables but no schema version; refusing to touch it.")
        with db.atomic():
            db.create_tables(ALL_MODELS)
            _step_module("v11_textindex").build()  # what no model declares: the text search's index
            _step_module("v12_namesort").build()  # and MariaDB's name-order indexes
            _set_schema_version(SCHEMA_VERSION)
            ensure_defaults()
        return SCHEMA_VERSION
    if found > SCHEMA_VERSION:
        raise SchemaError(
            f"This database uses schema version {found}, newer than this Backroom "
            f"understands ({SCHEMA_VERSION}). Upgrade Backroom to open it.")
    with _foreign_keys_deferred():
        for step in range(found + 1, SCHEMA_VERSION + 1):
            # PostgreSQL and SQLite roll a failed step back whole; MySQL commits
            # DDL implicitly, so each step is written to be safe to run again.
            with db.atomic():
                MIGRATIONS[step]()
                if is_sqlite() and db.execute_sql("PRAGMA foreign_key_check").fetchall():
                    raise SchemaError("The upgrade would break references between tables; nothing was changed.")
                _set_schema_version(step)
    if found < SCHEMA_VERSION:
        with db.atomic():
            ensure_defaults()
    return SCHEMA_VERSION
