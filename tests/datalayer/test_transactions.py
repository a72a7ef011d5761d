"""Transactions under concurrency, on every configured engine: a deadlock or
a busy database is retried inside the operation and never reaches the
caller; what cannot be done is a ConflictError; a failure is reported as
itself, not as the clean-up's error; reads of a page and its count share one
snapshot."""

from __future__ import annotations

import sqlite3
import threading
import time

import peewee as pw
import pytest

from backroom import models
from backroom.datalayer import groups as groups_module
from backroom.datalayer import transactions
from backroom.models import Selection


def make_customers(n: int) -> list[models.Customer]:
    return [models.create_customer({"first_name": f"F{i}", "last_name": f"L{i}", "email": f"c{i}@example.com"})
            for i in range(n)]


def in_thread(fn, *args):
    """Run ``fn`` in a thread with its own connection; the thread object,
    with ``.error`` set if it raised."""
    def run():
        try:
            fn(*args)
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            thread.error = exc
        finally:
            models.release_connection()

    thread = threading.Thread(target=run)
    thread.error = None
    thread.start()
    return thread


def test_a_deadlock_is_retried_not_reported(database):
    """Two operations lock two customers in opposite orders.  On a server
    one of them is chosen as the deadlock's victim and run again; on SQLite
    the second waits for the first's write lock.  Both succeed, and the
    retried one's first attempt left nothing behind."""
    a, b = make_customers(2)
    barrier = threading.Barrier(2, timeout=5)
    attempts: list[int] = []

    @transactions.retried
    def edit_both(first: int, second: int) -> None:
        with models.db.atomic():
            attempts.append(first)
            models.Customer.update(version=models.Customer.version + 1).where(models.Customer.id == first).execute()
            models.audit("test.edit", "customer", first)
            if not models.is_sqlite() and len(attempts) <= 2:
                barrier.wait()  # both hold their first row
            models.Customer.update(version=models.Customer.version + 1).where(models.Customer.id == second).execute()

    retries = transactions.retries
    threads = [in_thread(edit_both, a.id, b.id), in_thread(edit_both, b.id, a.id)]
    for t in threads:
        t.join(30)
    assert [t.error for t in threads] == [None, None]
    if not models.is_sqlite():
        assert transactions.retries > retries and len(attempts) >= 3  # a victim ran again
    assert models.get_customer(a.id).version == a.version + 2
    assert models.get_customer(b.id).version == b.version + 2
    assert models.AuditEntry.select().where(models.AuditEntry.action == "test.edit").count() == 2


def test_a_busy_sqlite_database_waits_for_its_turn(tmp_path):
    """SQLite: another connection holds the write lock; the operation waits
    for it (trying again every few milliseconds, not SQLite's busy handler)
    and then succeeds."""
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    models.connect(url)
    g, _ = models.create_group({"code": "vip", "name": "VIP"})
    holder = sqlite3.connect(tmp_path / "busy.db", isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    threading.Timer(0.6, lambda: holder.execute("COMMIT")).start()
    try:
        started = time.monotonic()
        models.update_group(g.id, {"name": "Very important"}, expected_version=g.version)
        assert 0.5 <= time.monotonic() - started < 5
        assert models.get_group(g.id).name == "Very important"
        # SQLite's own busy timeout is back for everything else.
        assert models.db.execute_sql("PRAGMA busy_timeout").fetchone()[0] == 10_000
    finally:
        time.sleep(0.1)
        holder.close()
        models.db.close()


def test_running_out_of_attempts_is_a_conflict(database, monkeypatch):
    calls = []
    busy = sqlite3.OperationalError("database is locked")

    @transactions.retried
    def always_busy() -> None:
        with models.db.atomic():
            calls.append(1)
            models.audit("test.busy", "test")
            raise pw.OperationalError(busy)

    monkeypatch.setattr(transactions.time, "sleep", lambda s: None)
    with pytest.raises(models.ConflictError) as exc:
        always_busy()
    assert "nothing was saved" in str(exc.value)
    assert len(calls) == transactions.RETRY_ATTEMPTS
    assert models.AuditEntry.select().where(models.AuditEntry.action == "test.busy").count() == 0


def test_only_the_outermost_operation_retries_and_other_errors_pass(database, monkeypatch):
    calls = []
    busy = sqlite3.OperationalError("database is locked")

    @transactions.retried
    def inner() -> None:
        calls.append("inner")
        raise pw.OperationalError(busy)

    @transactions.retried
    def outer() -> None:
        with models.db.atomic():
            calls.append("outer")
            if calls.count("outer") == 1:
                inner()

    monkeypatch.setattr(transactions.time, "sleep", lambda s: None)
    outer()
    assert calls == ["outer", "inner", "outer"]

    @transactions.retried
    def broken() -> None:
        calls.append("broken")
        raise pw.IntegrityError("duplicate key")

    with pytest.raises(pw.IntegrityError):
        broken()
    assert calls.count("broken") == 1


def test_retryable_errors_are_recognised():
    class PgError(Exception):
        def __init__(self, code):
            super().__init__("error")
            self.pgcode = code

    import pymysql

    assert transactions.is_retryable(pw.OperationalError(PgError("40P01")))
    assert transactions.is_retryable(PgError("40001"))
    assert not transactions.is_retryable(pw.IntegrityError(PgError("23505")))
    assert transactions.is_retryable(pw.OperationalError(pymysql.err.OperationalError(1213, "Deadlock found")))
    assert transactions.is_retryable(pw.OperationalError(pymysql.err.OperationalError(1467, "auto-increment")))
    assert not transactions.is_retryable(pw.OperationalError(pymysql.err.OperationalError(1054, "Unknown column")))
    assert transactions.is_retryable(pw.OperationalError(sqlite3.OperationalError("database is locked")))
    # MariaDB rolls back the whole transaction on a deadlock, so rolling back
    # to a savepoint then fails: the deadlock is found behind that error.
    try:
        try:
            raise pw.OperationalError(pymysql.err.OperationalError(1213, "Deadlock found"))
        except pw.OperationalError:
            raise pw.OperationalError(pymysql.err.OperationalError(1305, "SAVEPOINT s1 does not exist"))
    except pw.OperationalError as exc:
        assert transactions.is_retryable(exc)


def test_a_failure_is_reported_as_itself_not_as_the_clean_up(database, monkeypatch):
    """An error while a temporary table is in use (on PostgreSQL it aborts
    the transaction) is what the caller sees; the operation wrote nothing;
    the next one works."""
    g, _ = models.create_group({"code": "vip", "name": "VIP"})
    customers = make_customers(3)
    models.assign_customers(g.id, Selection.ids([c.id for c in customers]))

    def failing_record(*args, **kwargs):
        models.db.execute_sql("SELECT no_such_column FROM customer")

    monkeypatch.setattr(groups_module, "_end_memberships", failing_record)
    with pytest.raises(pw.DatabaseError) as exc:
        models.unassign_customers(g.id, Selection.all())
    assert "no_such_column" in str(exc.value)
    monkeypatch.undo()
    assert models.group_member_count(g.id) == 3
    assert models.unassign_customers(g.id, Selection.all()) == 3
    assert models.outbox_count() == 6


def test_a_page_and_its_count_read_one_snapshot(database):
    """While another admin adds a customer, a count and a page read in one
    snapshot (models.read_snapshot) still agree."""
    make_customers(3)
    with models.read_snapshot():
        n = models.count_customers()
        t = in_thread(lambda: models.create_customer({"first_name": "New", "email": "new@example.com"}))
        t.join(15)
        assert t.error is None
        rows = models.customer_page(limit=100)
        groups = models.list_groups()
    assert len(rows) == n == 3
    assert next(g for g in groups if g.code == "general").member_count == 3
    assert models.count_customers() == 4


def test_a_list_window_reads_its_rows_and_its_count_in_one_snapshot(database):
    """The windowed list's fetch (tui.window.read_block, what its worker
    runs): a block placed from the end of a list not counted yet is counted
    and read in one snapshot, so while another admin adds a customer between
    the count and the read, the block is still the last rows as counted —
    not shifted by the newcomer.  With a count held (End once the list is
    counted, a page past the middle) the block is placed by it and nothing
    is counted: a full count made each of those keys wait (MariaDB, a
    million customers: 370-680 ms); the block says so, and the table checks
    the count once it is shown (test_tui_customers)."""
    from backroom.tui.window import read_block

    customers = make_customers(30)
    ids = [c.id for c in customers]
    added: list[int] = []

    def read(offset, limit, backwards):
        return models.customer_page(sort="registered", descending=backwards, offset=offset, limit=limit)

    def count_then_someone_joins():
        n = models.count_customers()
        t = in_thread(lambda: added.append(models.create_customer(
            {"first_name": "Late", "email": f"late{len(added)}@example.com"}).id))
        t.join(15)
        assert t.error is None
        return n

    ticks = Selection.ids([ids[-1], ids[0]])
    window, ticked, n, target, fresh = read_block(read, count_then_someone_joins, -1, 10, None, ticks, "customers")
    assert (n, target, window.offset, window.at_end, window.placed_by, fresh) == (30, 29, 20, True, 30, True)
    assert [r.id for r in window.rows] == ids[20:]
    assert ticked == {ids[-1]}

    def not_counted():
        raise AssertionError("counted with a count held")

    # Past the middle with a count held (30, one short now): placed by it,
    # the last rows as they are now, and not fresh.
    window, _, n, target, fresh = read_block(read, not_counted, 25, 10, 30, None, "customers")
    assert (n, target, window.offset, window.at_end, window.placed_by, fresh) == (30, 25, 20, True, 30, False)
    assert [r.id for r in window.rows] == ids[21:] + added
    # From the start: no count needed, none made, nothing to check.
    window, _, n, target, fresh = read_block(read, not_counted, 0, 10, 30, None, "customers")
    assert (window.offset, [r.id for r in window.rows], window.placed_by, fresh) == (0, ids[:10], None, True)
    assert models.count_customers() == 31


def test_a_group_edit_is_not_stuck_behind_a_change_of_its_members(database):
    """While another admin's bulk change of a group's members holds the
    group (for 10 s here), a one-field edit of the group is refused at once
    on a server — that change bumps the version, so the edit would be
    refused after the wait anyway.  (On SQLite the edit waits for the
    database's write lock, released after 0.5 s here, and is then refused.)"""
    g, _ = models.create_group({"code": "vip", "name": "VIP"})
    holding, release = threading.Event(), threading.Event()

    def bulk_change() -> None:
        with models.db.atomic():
            transactions.lock_groups(g.id)
            models.CustomerGroup.update(version=models.CustomerGroup.version + 1).where(
                models.CustomerGroup.id == g.id).execute()
            holding.set()
            release.wait(10)

    t = in_thread(bulk_change)
    assert holding.wait(5)
    if models.is_sqlite():
        threading.Timer(0.5, release.set).start()
    started = time.monotonic()
    try:
        with pytest.raises(models.ConflictError):
            models.update_group(g.id, {"name": "Very important"}, expected_version=g.version)
        assert time.monotonic() - started < 2
    finally:
        release.set()
        t.join(15)
    assert t.error is None
    assert models.get_group(g.id).name == "VIP"


def test_one_row_edits_are_not_stuck_behind_a_bulk_change_of_members(database, monkeypatch):
    """While another admin saves a group's form with a bulk change of its
    members (paused for 10 s here, halfway: its members added, not yet
    committed), a customer it added is edited, one customer joins the group
    and another leaves it, each at once on a server: the bulk change holds
    neither the group's row (it writes it last) nor, on MySQL, the rows it
    references or the members it keeps; an edit of the group's fields
    meanwhile, which that save would overwrite, is refused at once.  Then the bulk change commits, and every change is there,
    each counted once in the version.  (On SQLite the edits wait for the
    database's write lock, released after 0.5 s here.)"""
    customers = make_customers(30)
    ids = [c.id for c in customers]
    g, _ = models.create_group({"code": "vip", "name": "VIP"})
    models.assign_customers(g.id, Selection.ids(ids[-2:]))
    version = models.get_group(g.id).version
    holding, release = threading.Event(), threading.Event()
    set_members = groups_module._set_members

    def paused(*args, **kwargs):
        out = set_members(*args, **kwargs)
        holding.set()
        release.wait(10)
        return out

    monkeypatch.setattr(groups_module, "_set_members", paused)
    saved = []
    t = in_thread(lambda: saved.append(models.update_group(
        g.id, {"name": "Very important"}, expected_version=version,
        members=(Selection.ids(ids[:20]) | Selection.members_of(g.id)) - Selection.ids([ids[-2]]))))
    assert holding.wait(15)
    if models.is_sqlite():
        threading.Timer(0.5, release.set).start()
    started = time.monotonic()
    try:
        c = models.get_customer(ids[0])
        models.update_customer(c.id, {"phone": "+44 20 7946 0001"}, expected_version=c.version)
        models.join_group(ids[25], g.id)
        models.leave_group(ids[-1], g.id)
        if not models.is_sqlite():  # an edit of its fields would be lost: refused at once
            with pytest.raises(models.ConflictError):
                models.update_group(g.id, {"description": "Mine"}, expected_version=models.get_group(g.id).version)
        took = time.monotonic() - started
    finally:
        release.set()
        t.join(15)
    assert t.error is None and saved
    assert took < 3
    members = set(models.Membership.select(models.Membership.customer).where(
        models.Membership.group == g.id).tuples())
    assert members == {(i,) for i in ids[:20] + [ids[25]]}
    after = models.get_group(g.id)
    assert (after.name, after.version) == ("Very important", version + 3)
    box = models.outbox(include_exported=True, limit=10_000)
    assert len([r for r in box if r.group_id == g.id and r.event == "joined"]) == 2 + 20 + 1
    assert len([r for r in box if r.group_id == g.id and r.event == "left"]) == 2


def test_the_members_lock_lasts_as_long_as_the_transaction(database):
    """A bulk change waits for another transaction holding the group's
    members' lock, and gets it as soon as that one commits — or rolls back
    (MySQL's named locks outlive a transaction unless released)."""
    g, _ = models.create_group({"code": "vip", "name": "VIP"})
    make_customers(3)

    def hold(release: threading.Event, holding: threading.Event, done: threading.Event, fail: bool) -> None:
        try:
            with models.db.atomic():
                transactions.lock_groups(g.id)
                holding.set()
                release.wait(10)
                if fail:
                    raise RuntimeError("the holder fails")
        finally:
            done.wait(10)  # its connection stays open (closing one drops its locks)

    for fail in (False, True):
        holding, release, done = threading.Event(), threading.Event(), threading.Event()
        t = in_thread(hold, release, holding, done, fail)
        try:
            assert holding.wait(5)
            threading.Timer(0.5, release.set).start()
            started = time.monotonic()
            models.assign_customers(g.id, Selection.all())
            assert time.monotonic() - started >= 0.4
            started = time.monotonic()
            assert models.unassign_customers(g.id, Selection.all()) == 3
            assert time.monotonic() - started < 2
        finally:
            release.set()
            done.set()
            t.join(15)
        assert isinstance(t.error, RuntimeError) if fail else t.error is None
