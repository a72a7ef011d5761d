"""Loading a big file into a (nearly) empty table: its secondary indexes
and the foreign keys that point at it set aside while the rows go in, and
put back, the same, before the import's transaction commits.

Keeping ten secondary indexes up to date row by row, and checking every
address's and membership's customer with a row lock each, cost PostgreSQL
more than the rows themselves: at 100,000 customers 15 s of the server's
CPU, 10.5 s with the indexes built once at the end and the keys checked by
one join each (:func:`set_aside`).  PostgreSQL's DDL is transactional, so
the indexes and keys come back with the rows or, if the import is rolled
back (a bad row with all-or-nothing, a cancel, a failure, a crash), were
never gone.

What stays in place is what the import needs and what guards the data as
it goes in: the primary key and the unique indexes (a duplicate email or
source id is refused by the database, as always, whoever wrote it).

While the import runs it holds the tables it changed this way exclusively
(``LOCK TABLE … ACCESS EXCLUSIVE``): other admins' reads and writes of
customers wait for it.  That is why it is only done for a big file into a
shop with few customers (:func:`worth_it`): the first import of a shop.

MariaDB commits before and after every ALTER TABLE, so nothing can be set
aside inside the import's transaction there: an index dropped in it would
not come back if the import were rolled back or the process died in the
middle.  There :func:`mysql_set_aside` sets the plain and FULLTEXT
indexes of the customers, their addresses and memberships and the audit
log aside before the transaction, crash-safely (:mod:`..setaside`: a
marker each in schema_meta written first, put back in a ``finally`` or by
the next connection, never under a running import); unique indexes and
foreign keys stay, so the database still refuses duplicates and orphans.
While they are aside, other admins' reads of those tables scan them.  Nor is
InnoDB's own bulk insert into an empty table used (with ``unique_checks``
and ``foreign_key_checks`` off, MariaDB 10.11 logs one undo record for the
table and sorts each statement's rows before it adds them to the indexes):
it sorts one statement at a time, not the whole import, and at a million
customers in statements of 2,000 it cost the server more than row by row
(the customers' INSERTs 132 s of CPU against 72 s); what it saved, built
from one INSERT … SELECT of the million rows, was about a sixth (43 s
against 50 s), for keys and duplicates no longer checked by the database.
"""

from __future__ import annotations

import contextlib
from typing import Iterator

from .. import setaside
from ..connection import db, is_mysql, is_postgres

MIN_ROWS = 50_000
"""Rows a file must have (about) for its import to set indexes aside."""

MAX_SHARE = 10
"""…and the table must hold at most one row for this many the file adds."""


def worth_it(table: str, rows: int) -> bool:
    """Whether an import of about ``rows`` new rows into ``table`` should
    set its indexes aside: on PostgreSQL, ``rows`` of at least
    :data:`MIN_ROWS`, ``table`` holding at most one row for every
    :data:`MAX_SHARE` of them (counted no further than that)."""
    return is_postgres() and _few_rows(table, rows)


def _few_rows(table: str, rows: int) -> bool:
    if rows < MIN_ROWS:
        return False
    limit = rows // MAX_SHARE
    quote = "`" if is_mysql() else '"'
    held = db.execute_sql(f"SELECT COUNT(*) FROM (SELECT 1 FROM {quote}{table}{quote} LIMIT %s) AS t",
                          (limit + 1,)).fetchone()[0]
    return held <= limit


def mysql_set_aside(table: str, rows: int, others: tuple[str, ...]) -> contextlib.AbstractContextManager:
    """MariaDB, before the import's transaction: if an import of about
    ``rows`` new rows into ``table`` is worth it (as :func:`worth_it` on
    PostgreSQL), the plain indexes of ``table`` and of those of ``others``
    that hold as few rows set aside until the block ends
    (:func:`..setaside.set_aside`); else nothing."""
    if not is_mysql() or not _few_rows(table, rows):
        return contextlib.nullcontext(False)
    return setaside.set_aside([table, *(t for t in others if _few_rows(t, rows))])


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@contextlib.contextmanager
def set_aside(table: str, referencing: tuple[str, ...]) -> Iterator[None]:
    """Inside the current transaction (PostgreSQL): lock ``table`` and the
    ``referencing`` tables, drop ``table``'s indexes that are neither its
    primary key nor unique nor a constraint's, and the foreign keys of the
    ``referencing`` tables that point at ``table``; when the block ends
    without an error, create them all again from their own definitions
    (same names, same columns, same options; each key checked once, by
    one query, against every row).  On an error nothing is put back: the
    transaction's rollback does."""
    db.execute_sql(f"LOCK TABLE {', '.join(_ident(t) for t in (table, *referencing))} IN ACCESS EXCLUSIVE MODE")
    indexes = db.execute_sql(
        "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary AND NOT i.indisunique "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) ORDER BY c.relname",
        (_ident(table),)).fetchall()
    keys = db.execute_sql(
        "SELECT r.relname, k.conname, pg_get_constraintdef(k.oid) FROM pg_constraint k "
        "JOIN pg_class r ON r.oid = k.conrelid "
        "WHERE k.contype = 'f' AND k.confrelid = %s::regclass AND r.relname = ANY(%s) "
        "AND r.relnamespace = (SELECT relnamespace FROM pg_class WHERE oid = %s::regclass) ORDER BY 1, 2",
        (_ident(table), list(referencing), _ident(table))).fetchall()
    for referrer, name, _ in keys:
        db.execute_sql(f"ALTER TABLE {_ident(referrer)} DROP CONSTRAINT {_ident(name)}")
    if indexes:
        db.execute_sql(f"DROP INDEX {', '.join(_ident(name) for name, _ in indexes)}")
    yield
    for _, definition in indexes:
        db.execute_sql(definition)
    for referrer, name, definition in keys:
        db.execute_sql(f"ALTER TABLE {_ident(referrer)} ADD CONSTRAINT {_ident(name)} {definition}")
