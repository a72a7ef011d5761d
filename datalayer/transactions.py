"""Transactions under concurrency: an operation re-run when the database
gave up on it (deadlock, serialization failure, busy) or when it found rows
it had read changed meanwhile (:class:`Interfered`), consistent read
snapshots, the named lock that guards a group's members, one-row edits that
are refused rather than stuck, and temporary tables of ids.

Every operation that writes runs in one transaction (``db.atomic()``) and
is decorated with :func:`retried`: when the engine aborts that transaction
because of other admins' concurrent work — a deadlock or serialization
failure on PostgreSQL (40P01, 40001) or a lock that could not be had in
time (55P03), a deadlock, lock wait timeout or the auto-increment lock
(1213, 1205, 1467) on MySQL/MariaDB, a busy database on SQLite — the whole
transaction is rolled back and run again from the start, a bounded number
of times with a growing, jittered pause.  Only the outermost operation
retries (an operation called inside another's transaction lets the error
through to it).  What still cannot be done is refused with a
:class:`ConflictError` that says so; nothing was written.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import random
import time
from typing import Any, Callable, Iterator, TypeVar

import peewee as pw

from .connection import bulk_writer, db, is_mysql, is_postgres
from .errors import ConflictError
from .tables import CustomerGroup

F = TypeVar("F", bound=Callable[..., Any])

RETRY_ATTEMPTS = 10
"""How many times an operation runs at most."""

RETRY_BUDGET_S = 30.0
"""No new attempt starts after this many seconds."""

_PG_RETRYABLE = {"40P01", "40001", "55P03"}  # deadlock, serialization failure, lock not available
_MYSQL_RETRYABLE = {1213, 1205, 1467}  # deadlock, lock wait timeout, auto-increment lock failed
_SQLITE_BUSY = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED (extended codes keep these in the low byte)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and everything behind it: the driver's exception Peewee wraps
    (``orig``), the cause and the context (an error raised while rolling
    back hides the deadlock that made the rollback necessary)."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        e = todo.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        todo += [x for x in (e.__cause__, e.__context__, getattr(e, "orig", None)) if isinstance(x, BaseException)]


def is_retryable(exc: BaseException) -> bool:
    """Whether the database aborted the work because of concurrent work, so
    that running the transaction again may well succeed."""
    for e in _causes(exc):
        if isinstance(e, Interfered):
            return True
        module = type(e).__module__ or ""
        if getattr(e, "pgcode", None) in _PG_RETRYABLE:
            return True
        if module.startswith("pymysql") and e.args and e.args[0] in _MYSQL_RETRYABLE:
            return True
        if module == "sqlite3":
            code = getattr(e, "sqlite_errorcode", None)
            if (code is not None and code & 0xFF in _SQLITE_BUSY) or "database is locked" in str(e):
                return True
    return False


retries = 0
"""How many times, in this process, an operation's transaction was run
again (read by the benchmarks and the concurrency test)."""


BUSY_MESSAGE = ("Other admins are changing the same records right now, and this change could not get its "
                "turn: nothing was saved. Try again in a moment.")


def retried(fn: F) -> F:
    """Run the operation ``fn`` again, from the start, when the database
    aborts its transaction because of concurrent work (see the module's
    docstring); refuse it with :class:`ConflictError` once the attempts or
    the time budget run out."""

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        global retries
        if db.in_transaction():
            return fn(*args, **kwargs)  # the outermost operation retries
        deadline = time.monotonic() + RETRY_BUDGET_S
        attempt = 0
        while True:
            attempt += 1
            token = bulk_writer.set(False)
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                if db.in_transaction() or not is_retryable(exc):
                    raise
                if attempt >= RETRY_ATTEMPTS or time.monotonic() >= deadline:
                    raise ConflictError(BUSY_MESSAGE) from exc
            finally:
                bulk_writer.reset(token)
            retries += 1
            # Full jitter: a random pause up to 10 ms, 20, 40 … 640 ms, so
            # the admins who collided do not collide again in step.
            time.sleep(random.uniform(0, 0.01 * 2 ** min(attempt - 1, 6)))

    return run  # type: ignore[return-value]


def bulk(many: bool = True) -> None:
    """Say, before its transaction begins, that the operation running may
    change many rows (``many``): on SQLite one-row edits waiting for the
    database then go first (see ``connection._SqliteDatabase``).  Reset for
    each operation by :func:`retried`."""
    bulk_writer.set(bool(many))


def is_small(sel: Any) -> bool:
    """Whether a selection is a handful of explicit ids (or nobody).  What
    is not a selection at all is not small: the operation refuses it."""
    try:
        return sel is None or sel.op == "none" or (sel.op == "ids" and len(sel.args[0]) <= 20)
    except Exception:  # noqa: BLE001 - not a Selection
        return False


@contextlib.contextmanager
def read_snapshot() -> Iterator[None]:
    """Run the reads inside in one snapshot, so a page and its count (or a
    page's rows and their groups) agree while others write: a REPEATABLE
    READ transaction on the servers, a deferred (read) transaction on
    SQLite, which in WAL mode reads one snapshot and never blocks a writer.
    Inside another transaction it adds nothing.  Also a decorator:
    ``@read_snapshot()``."""
    if db.in_transaction():
        yield
        return
    if is_postgres() or is_mysql():
        ctx = db.atomic(isolation_level="REPEATABLE READ")
    else:
        ctx = db.atomic(lock_type="DEFERRED")
    with ctx:
        yield


NAMED_LOCK_WAIT_S = 10.0
"""How long MySQL waits for a members' lock before the operation runs again."""

_MEMBERS_LOCK = 0x6272_6D62  # PostgreSQL advisory lock class: "brmb", Backroom's memberships


class Interfered(Exception):
    """Another transaction changed some of the rows a bulk change had just
    read (e.g. one customer joined while a selection was being added): the
    bulk change runs again, so it reports exactly what it changed."""


def lock_groups(*group_ids: int, general_id: int | None = None) -> None:
    """Take, until the transaction ends, the lock that guards the
    memberships of ``group_ids`` (and of General, ``general_id``, taken
    last): bulk changes of one group's members run one after the other, so
    each sees, and reports, exactly what it changed.  Always in one order —
    groups by id, General last — so two operations never wait for each
    other in a circle.

    It is a named lock, not the group's row: an edit of the group's fields
    does not wait for a bulk change of its members (nor a single customer
    joining, whose foreign-key check shares the row): PostgreSQL's
    transaction-level advisory lock, MySQL's ``GET_LOCK`` (released when the
    transaction ends).  SQLite needs none: a write transaction holds the
    whole database."""
    if not (is_postgres() or is_mysql()):
        return
    ids = sorted({int(g) for g in group_ids} - {general_id})
    if general_id is not None:
        ids.append(int(general_id))
    for gid in ids:
        if is_postgres():
            db.execute_sql("SELECT pg_advisory_xact_lock(%s, %s)", (_MEMBERS_LOCK, _pg_key(gid)))
        elif not db.obj.named_lock(f"backroom.members.{gid}", NAMED_LOCK_WAIT_S):
            # Not had in time, maybe a circle of waits through a row lock that
            # MySQL cannot see: roll back (releasing what this holds) and retry.
            raise Interfered(f"the members' lock of group {gid} was not had within {NAMED_LOCK_WAIT_S:g} s")


def _pg_key(group_id: int) -> int:
    """A group id as the 32-bit key of an advisory lock (ids past 2**31, which
    BIGINT keys allow, wrap round: two groups sharing a key only wait for
    each other)."""
    return (int(group_id) + 2 ** 31) % 2 ** 32 - 2 ** 31


_FIELDS_LOCK = 0x6272_6667  # PostgreSQL advisory lock class: "brfg", a group's fields


def lock_group_fields(group_id: int, *, wait: bool = True) -> bool:
    """Take, until the transaction ends, the lock that guards the fields of
    group ``group_id`` while a save of the group's form with a bulk change
    of its members runs: that save writes the group's row last (customers
    joining or leaving alone meanwhile do not wait for it), so a one-row
    edit of the fields meanwhile, which would be lost, must not come in
    between.  The save waits for it (``wait``; a one-row edit holds it for
    milliseconds); a one-row edit only tries it and, False, is refused at
    once — the save would refuse it after the wait anyway.  Bulk changes of
    the members alone (assign, unassign) do not take it.  SQLite: always
    True (the write transaction holds the database)."""
    if is_postgres():
        fn = "pg_advisory_xact_lock" if wait else "pg_try_advisory_xact_lock"
        got = db.execute_sql(f"SELECT {fn}(%s, %s)", (_FIELDS_LOCK, _pg_key(group_id))).fetchone()[0]
        return got is None or bool(got)  # pg_advisory_xact_lock returns void (None)
    if is_mysql():
        if db.obj.named_lock(f"backroom.fields.{int(group_id)}", NAMED_LOCK_WAIT_S if wait else 0):
            return True
        if wait:
            raise Interfered(f"the fields' lock of group {group_id} was not had within {NAMED_LOCK_WAIT_S:g} s")
        return False
    return True


def share_group(group_id: int) -> None:
    """Hold the group's row, shared, until the transaction ends, so it is not
    deleted meanwhile (a customer joining it alone, without the members'
    lock).  Deleting a group waits for this; bulk changes and edits of its
    fields do not (on MySQL a field edit waits, briefly)."""
    if is_postgres() or is_mysql():
        mode = "FOR KEY SHARE" if is_postgres() else "LOCK IN SHARE MODE"
        list(CustomerGroup.select(CustomerGroup.id).where(CustomerGroup.id == group_id).for_update(mode).tuples())


def hold_group(group_id: int) -> None:
    """Hold the group's row until the transaction ends, for a handful of
    customers joining or leaving it alone: not deleted meanwhile, and ready
    for the version the change adds to it.  PostgreSQL: ``FOR KEY SHARE``
    (the version's ``UPDATE`` later takes ``FOR NO KEY UPDATE``, which
    others' key-share does not block).  MySQL has only shared and exclusive
    row locks: two joins that each held the row shared and then both wanted
    it exclusive for the version would deadlock, so the row is taken
    exclusive at once — joins of one group take turns, each a few
    milliseconds, and a bulk change holds this row only for its own
    version, at its end."""
    if is_postgres():
        share_group(group_id)
    elif is_mysql():
        list(CustomerGroup.select(CustomerGroup.id).where(CustomerGroup.id == group_id).for_update().tuples())


@contextlib.contextmanager
def references_kept() -> Iterator[None]:
    """Run set-based inserts of memberships and notifications without
    MySQL's foreign-key checks.  InnoDB checks each new row's references by
    locking the customer's and the group's rows, shared, until the
    transaction commits: a bulk change of 50,000 members held 50,000
    customers' rows and the group's row for its whole length, and every
    one-row edit of those (a customer's fields, a group's version after one
    customer joined) waited for it.  The references hold without the check:
    customers are never deleted (erasure blanks them), their ids come from
    the customer table in the same transaction, and a group is deleted only
    under its members' lock (:func:`lock_groups`) and an exclusive lock on
    its row, while every insert here holds the one or the other's row
    (:func:`hold_group`, :func:`share_group`).
    Elsewhere, and on the other engines, the checks stay as they are."""
    if not is_mysql():
        yield
        return
    db.execute_sql("SET SESSION foreign_key_checks = 0")
    try:
        yield
    finally:
        db.execute_sql("SET SESSION foreign_key_checks = 1")


NOTIFY_CHUNK_IDS = 5000
"""On MySQL, notifications are inserted this many customer ids at a time."""


def in_chunks(ids: pw.Table) -> Iterator[pw.Expression]:
    """Conditions on a temporary table of ids (:func:`materialized`) that
    cut it into ranges of at most :data:`NOTIFY_CHUNK_IDS` ids, for inserts
    into a table with an auto-increment key on MySQL: with the default
    ``innodb_autoinc_lock_mode`` (1), an ``INSERT … SELECT`` holds the
    table's auto-increment lock until the statement ends, and every other
    insert into that table — one customer joining a group queues one
    notification — waits for it; in chunks it waits for one chunk, not for
    50,000 rows.  Elsewhere, one condition: everything."""
    if not is_mysql():
        yield pw.SQL("1 = 1")
        return
    lo, hi = db.execute_sql(f"SELECT MIN(id), MAX(id) FROM {ids.__name__}").fetchone()
    if lo is None:
        return
    for start in range(int(lo), int(hi) + 1, NOTIFY_CHUNK_IDS):
        yield ids.id.between(start, start + NOTIFY_CHUNK_IDS - 1)


def share_rows(model: type[pw.Model], ids: Any) -> None:
    """Hold rows of ``model``, shared, until the transaction ends: others may
    read them and reference them, not change them (SQLite: nothing to do)."""
    if is_postgres() or is_mysql():
        key = model._meta.primary_key
        mode = "FOR SHARE" if is_postgres() else "LOCK IN SHARE MODE"
        list(model.select(key).where(key.in_(sorted(ids))).order_by(key).for_update(mode).tuples())


def lock_or_refuse(model: type[pw.Model], row_id: int, message: str, *, tries: int = 4,
                   pause: float = 0.05) -> None:
    """Lock one row for a one-row edit, or refuse the edit with
    :class:`ConflictError` (``message``) if another transaction keeps it
    locked through a few short tries (``SKIP LOCKED``: a locked row is not
    waited for, and no error aborts the transaction): used where whoever
    holds the row for long — a bulk change of a group's members — is about
    to change its version anyway, so the edit would be refused after the
    wait.  A row that does not exist is left to the caller to find missing.
    SQLite needs nothing: the write transaction already holds the database."""
    if not (is_postgres() or is_mysql()):
        return
    key = model._meta.primary_key
    mode = "FOR NO KEY UPDATE SKIP LOCKED" if is_postgres() else "FOR UPDATE SKIP LOCKED"
    for attempt in range(tries):
        if list(model.select(key).where(key == row_id).for_update(mode).tuples()):
            return
        if not model.select(key).where(key == row_id).exists():
            return
        if attempt + 1 < tries:
            time.sleep(pause * (attempt + 1))
    raise ConflictError(message)


_temp_names = itertools.count(1)


@contextlib.contextmanager
def materialized(query: pw.SelectBase) -> Iterator[pw.Table]:
    """The ids ``query`` yields, read once into a temporary table (yielded:
    one column, ``id``; how many, ``.rows``), so that one statement decides which rows an
    operation changes and every statement after it — the outbox, the
    history, the change itself, the count it reports — works on that same
    set.  (MySQL also refuses a DELETE whose subquery reads the table it
    deletes from.)

    The table goes with the transaction on PostgreSQL (``ON COMMIT DROP``);
    elsewhere it is dropped here.  If the work failed, the clean-up never
    hides the error: nothing is run in a failed PostgreSQL transaction, and
    elsewhere a failing DROP is ignored and the first error raised."""
    name = f"backroom_ids_{next(_temp_names)}"
    table = pw.Table(name, ("id",))
    suffix = " ON COMMIT DROP" if is_postgres() else ""
    db.execute_sql(f"CREATE TEMPORARY TABLE {name} (id BIGINT NOT NULL PRIMARY KEY){suffix}")
    try:
        sql, params = query.sql()
        table.rows = db.execute_sql(f"INSERT INTO {name} (id) {sql}", params).rowcount
        yield table
    except BaseException:
        if not is_postgres():
            with contextlib.suppress(Exception):
                _drop_temporary(name)
        raise
    if not is_postgres():
        _drop_temporary(name)


def _drop_temporary(name: str) -> None:
    # Only ever the temporary table: MySQL commits on a plain DROP TABLE.
    db.execute_sql(f"DROP TEMPORARY TABLE IF EXISTS {name}" if is_mysql() else f"DROP TABLE IF EXISTS temp.{name}")
