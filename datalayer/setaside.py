"""MariaDB: a big load's secondary indexes set aside, crash-safely.

Keeping a dozen secondary indexes up to date row by row is most of what a
million-row load costs MariaDB once the tables outgrow its buffer pool:
each index's page for each row is read and written at random.  Built once
at the end (a sort an index, ``ALTER TABLE … ADD KEY``) they cost a
fraction of that.  But MariaDB commits before and after every ALTER TABLE:
an index dropped before the load's transaction does not come back when the
transaction rolls back, nor when the process dies in the middle.

So what is set aside is written down first, and put back by whoever comes
next:

- Before anything is dropped, one row of ``schema_meta`` a index
  (``set_aside:<table>:<position>:<index>``, its definition as SHOW
  CREATE TABLE writes it), committed.  Then the indexes are dropped.
- When the load ends, however it ends, they are added back from those rows
  and the rows deleted (:func:`set_aside`'s ``finally``).
- If the process died first, :func:`restore` puts them back the next time
  Backroom connects (``migrate_schema`` reads the markers in the query that
  reads the schema version: no round trip more on an ordinary launch).

A live load holds the named lock :data:`LOCK` (``GET_LOCK``, the
session's, released by the server when the session ends, a killed process
included) from before the first marker until its indexes are back: a
restore (an admin connecting meanwhile) that cannot have it at once never
adds the indexes back under a running load; it waits for the lock in a
thread of its own, not holding up the launch, since a killed load's
session ends only once the server has rolled its transaction back.
Both the restore and the load's own ``finally`` add only the indexes that
are missing and then delete the markers: run twice, or after a crash
between the two, they do the right thing.

What is set aside: plain (non-unique) and FULLTEXT indexes, not the
primary key, not a unique index (duplicates stay refused by the database
as rows go in), not the one index a foreign key needs (InnoDB refuses to
drop it).  An index whose marker would not fit ``schema_meta`` stays.
"""

from __future__ import annotations

import contextlib
import logging
import re
import sys
import threading
from typing import Any, Iterator, Sequence

import peewee as pw

from .connection import db, is_mysql

log = logging.getLogger("backroom.setaside")

PREFIX = "set_aside:"
"""The keys of the markers in ``schema_meta``: ``set_aside:<table>:<position>:<index>``."""

LOCK = "backroom.set_aside"
"""The named lock a load holds while its indexes are set aside."""

RESTORE_WAIT_S = 24 * 3600
"""How long a restore begun on connecting waits (in a thread: see
:func:`_restore_later`) for a load's lock."""

_DEFINITION = re.compile(r"^(?:FULLTEXT |SPATIAL )?KEY `((?:[^`]|``)+)` \(.*\)[^;]*$")

_KEY_LEN, _VALUE_LEN = 64, 255  # schema_meta's columns


def _lock(timeout: float, database: Any = db) -> bool:
    got = database.execute_sql("SELECT GET_LOCK(CONCAT(LEFT(MD5(DATABASE()), 16), '.', %s), %s)",
                         (LOCK, timeout)).fetchone()[0]
    return got == 1


def _unlock(database: Any = db) -> None:
    # GET_LOCK counts: taken twice by one session, released twice.
    while database.execute_sql("SELECT RELEASE_LOCK(CONCAT(LEFT(MD5(DATABASE()), 16), '.', %s))",
                         (LOCK,)).fetchone()[0] == 1:
        pass


def _q(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def index_lines(table: str) -> dict[str, str]:
    """Each secondary index of ``table`` (name → its line of SHOW CREATE
    TABLE, without the comma), the primary key and unique ones left out."""
    text = db.execute_sql(f"SHOW CREATE TABLE {_q(table)}").fetchone()[1]
    lines = {}
    for line in text.splitlines():
        line = line.strip().rstrip(",")
        m = _DEFINITION.match(line)
        if m:
            lines[m.group(1).replace("``", "`")] = line
    return lines


def _needed_by_keys(table: str) -> set[str]:
    """The indexes of ``table`` a foreign key needs: for each key whose
    columns begin no primary or unique index, every index they begin."""
    keys: dict[str, list[str]] = {}
    for name, column in db.execute_sql(
            "SELECT CONSTRAINT_NAME, COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE "
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s AND REFERENCED_TABLE_NAME IS NOT NULL "
            "ORDER BY CONSTRAINT_NAME, ORDINAL_POSITION", (table,)).fetchall():
        keys.setdefault(name, []).append(column)
    indexes: dict[str, tuple[bool, list[str]]] = {}
    for name, non_unique, column in db.execute_sql(
            "SELECT INDEX_NAME, NON_UNIQUE, COLUMN_NAME FROM information_schema.STATISTICS "
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s ORDER BY INDEX_NAME, SEQ_IN_INDEX",
            (table,)).fetchall():
        indexes.setdefault(name, (not int(non_unique), []))[1].append(column)
    needed: set[str] = set()
    for columns in keys.values():
        begins = [name for name, (_, cols) in indexes.items() if cols[:len(columns)] == columns]
        if not any(indexes[name][0] for name in begins):
            needed.update(begins)
    return needed


def _marker(table: str, position: int, index: str) -> str:
    # The position keeps the indexes' order (SHOW CREATE TABLE's) when they are added back.
    return f"{PREFIX}{table}:{position:02d}:{index}"


@contextlib.contextmanager
def set_aside(tables: Sequence[str]) -> Iterator[bool]:
    """MariaDB, outside any transaction: drop the secondary indexes of
    ``tables`` (see the module's docstring for which), each written down
    first, and add them back when the block ends, however it ends.  Yields
    whether anything was set aside: nothing if another load holds
    :data:`LOCK` (the block then runs with the indexes in place)."""
    if not is_mysql():
        yield False
        return
    if db.in_transaction():
        raise RuntimeError("indexes are set aside outside a transaction: MariaDB's DDL would commit it")
    if not _lock(0):
        yield False
        return
    try:
        _restore_locked()  # what a load that died left
        aside: dict[str, list[str]] = {}
        rows: list[tuple[str, str]] = []
        for table in tables:
            needed = _needed_by_keys(table)
            for i, (name, line) in enumerate(index_lines(table).items()):
                key = _marker(table, i, name)
                if (name not in needed and ":" not in table and i < 100
                        and len(key) <= _KEY_LEN and len(line) <= _VALUE_LEN):
                    aside.setdefault(table, []).append(name)
                    rows.append((key, line))
        if rows:
            with db.atomic():
                db.execute_sql("INSERT INTO schema_meta (`key`, value) VALUES "
                               + ", ".join("(%s, %s)" for _ in rows), [v for r in rows for v in r])
        for table, chosen in aside.items():
            db.execute_sql(f"ALTER TABLE {_q(table)} " + ", ".join(f"DROP INDEX {_q(n)}" for n in chosen))
        yield bool(aside)
    finally:
        failing = sys.exc_info()[0] is not None
        try:
            # The load's own transaction may have released every named lock
            # of the session (a commit does, see connection._MySQLDatabase):
            # taken again, waiting for a restore begun meanwhile.
            _lock(3600)
            try:
                _restore_locked()
            finally:
                _unlock()
        except pw.PeeweeException:
            if not failing:
                raise
            # The load failed already (its connection lost, say): its error
            # is the one to see; the markers stay for the next connection.
            log.warning("The indexes set aside for a bulk load are put back when Backroom next connects",
                        exc_info=True)


def restore(markers: Sequence[tuple[str, str]] | None = None) -> bool:
    """Put back the indexes the markers in ``schema_meta`` name (read here
    if ``markers`` is None), unless a load holds :data:`LOCK`.  Whether
    nothing is left set aside."""
    if not is_mysql():
        return True
    try:
        if markers is None:
            if "schema_meta" not in db.get_tables():
                return True
            markers = read_markers()
        if not markers:
            return True
        if not _lock(0):
            _restore_later()
            return False
        try:
            _restore_locked()
        finally:
            _unlock()
    except pw.DatabaseError:
        # The indexes only make reads fast: the shop opens without them, and
        # the markers stay for the next connection to try again.
        log.warning("The indexes a bulk load set aside could not be put back", exc_info=True)
        return False
    return True


def _restore_later() -> threading.Thread:
    """Wait for the lock in a thread of its own (its own connection) and
    restore then: a load is running (it puts its indexes back itself, and
    the thread finds nothing left to do), or one was just killed and the
    server has not yet rolled its transaction back and ended its session
    (which releases the lock): the restore waits for that, not the caller."""
    database = db.obj  # this one, whatever the proxy is bound to meanwhile

    def run() -> None:
        try:
            if _lock(RESTORE_WAIT_S, database):
                try:
                    _restore_locked(database)
                finally:
                    _unlock(database)
        except Exception:  # noqa: BLE001 - a thread of its own: logged, the markers stay
            log.warning("The indexes a bulk load set aside could not be put back", exc_info=True)
        finally:
            with contextlib.suppress(Exception):
                database.close()  # this thread's connection

    thread = threading.Thread(target=run, name="set-aside-restore", daemon=True)
    thread.start()
    return thread


def read_markers(database: Any = db) -> list[tuple[str, str]]:
    return [tuple(r) for r in database.execute_sql(
        "SELECT `key`, value FROM schema_meta WHERE LEFT(`key`, %s) = %s ORDER BY `key`",
        (len(PREFIX), PREFIX)).fetchall()]


def _restore_locked(database: Any = db) -> None:
    """Add the missing indexes the markers name, a table at a time (one
    ALTER TABLE, one pass over its rows), then delete the markers.  The
    caller holds :data:`LOCK`."""
    markers = read_markers(database)
    if not markers:
        return
    wanted: dict[str, list[tuple[str, str]]] = {}
    for key, line in markers:
        table, _, rest = key[len(PREFIX):].partition(":")
        name = rest.partition(":")[2]
        m = _DEFINITION.match(line)
        if not m or m.group(1).replace("``", "`") != name:
            raise pw.IntegrityError(f"schema_meta's {key!r} is not an index's definition: {line!r}")
        wanted.setdefault(table, []).append((name, line))
    for table, indexes in wanted.items():
        if table not in database.get_tables():
            continue
        have = {r[0] for r in database.execute_sql(
            "SELECT DISTINCT INDEX_NAME FROM information_schema.STATISTICS "
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s", (table,)).fetchall()}
        missing = [line for name, line in indexes if name not in have]
        if missing:
            database.execute_sql(f"ALTER TABLE {_q(table)} " + ", ".join(f"ADD {line}" for line in missing))
    database.execute_sql("DELETE FROM schema_meta WHERE `key` IN (" + ", ".join("%s" for _ in markers) + ")",
                   [k for k, _ in markers])
