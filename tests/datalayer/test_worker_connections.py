"""The TUI's worker threads share a pool of connections on PostgreSQL and
MariaDB (``models.pool_connections``, which the TUI calls as it starts): a job in a new thread reuses
the connection an earlier job gave back, instead of opening one (20-40 ms on
PostgreSQL, 110-230 ms on MariaDB, on every list's first rows and every
form), and what a job left uncommitted is not seen by the next."""

from __future__ import annotations

import threading

import pytest

from backroom import models


def in_a_thread(job):
    """Run ``job`` in a new thread as the TUI's workers do (the connection
    released at the end); its result."""
    out = {}

    def run():
        try:
            out["value"] = job()
        finally:
            models.release_connection()

    t = threading.Thread(target=run)
    t.start()
    t.join()
    return out["value"]


def session_id() -> int:
    sql = ("SELECT pg_backend_pid()" if models.is_postgres() else "SELECT CONNECTION_ID()" if models.is_mysql()
           else "SELECT 1")
    return models.db.execute_sql(sql).fetchone()[0]


@pytest.fixture
def pooled(db_url):
    original = models.db.obj
    models.pool_connections()
    if models.is_sqlite():
        assert models.db.obj is original  # a SQLite connection opens in well under a millisecond
    yield models.db.obj
    if models.db.obj is not original:
        models.db.obj.close_all()
        models.db.initialize(original)


def test_jobs_in_new_threads_reuse_one_connection(pooled):
    first = in_a_thread(session_id)
    second = in_a_thread(session_id)
    if not models.is_sqlite():
        assert "Pooled" in type(pooled).__name__
        assert first == second
    assert in_a_thread(lambda: models.count_customers()) == 0  # the operations work through it


def test_what_a_job_left_uncommitted_is_rolled_back_before_the_next(pooled):
    g, _ = models.create_group({"code": "vip", "name": "VIP"}, actor="test")

    def leave_open():
        models.db.begin()
        models.CustomerGroup.update(name="Changed").where(models.CustomerGroup.id == g.id).execute()
        return session_id()

    left = in_a_thread(leave_open)
    seen = in_a_thread(lambda: (session_id(), models.get_group(g.id).name))
    assert seen[1] == "VIP"
    if not models.is_sqlite():
        assert seen[0] == left  # the same connection, rolled back
    assert models.get_group(g.id).name == "VIP"


def test_mysql_connections_share_the_default_tls_context(db_url):
    """PyMySQL built a new TLS context for each connection when given no TLS
    options (70-180 ms loading the system's certificate authorities, on
    each worker's first connection as Backroom starts): made once, shared,
    and still offered to the server as PyMySQL's default mode does."""
    from backroom.datalayer.connection import _mysql_connection_class

    connection = _mysql_connection_class()
    first, second = (connection(host="127.0.0.1", defer_connect=True) for _ in range(2))
    if not first.ssl:  # PyMySQL before 1.2 offers no TLS unless told to: nothing to share
        assert not hasattr(first, "ctx")
        return
    assert first.ctx is second.ctx
    assert not first._ssl_required  # offered if the server takes it, as before
    # TLS options of one's own: PyMySQL's own context, TLS required.
    own = connection(host="127.0.0.1", ssl={"check_hostname": False}, defer_connect=True)
    assert own.ctx is not first.ctx and own._ssl_required
    if models.is_mysql():  # the TUI's pooled connections are made this way
        models.pool_connections()
        try:
            contexts = {in_a_thread(lambda: id(models.db.connection().ctx)) for _ in range(2)}
            other = threading.Thread(target=lambda: contexts.add(id(models.db.connection().ctx)))
            models.db.connection()  # held here: the thread opens a connection of its own
            other.start()
            other.join()
            assert contexts == {id(first.ctx)}
        finally:
            models.db.obj.close_all()


def test_the_settings_read_when_connecting_are_kept_through_the_pool(db_url):
    """The shop's money format, read when connecting, is not read again once
    the pool is in front of the same database: it was, by the first amount
    drawn (F2's list, on the event loop), through a connection opened for it."""
    from decimal import Decimal

    models.set_money_format("R$ 1.234,56", actor="test")
    original = models.db.obj
    models.pool_connections()
    statements = []
    database = models.db.obj
    run = database.execute_sql
    database.execute_sql = lambda sql, params=None, *a, **k: statements.append(sql) or run(sql, params, *a, **k)
    try:
        assert models.format_money(Decimal("2999.5")) == "R$ 2.999,50"
        assert statements == []
    finally:
        del database.execute_sql
        if models.db.obj is not original:
            models.db.obj.close_all()
            models.db.initialize(original)
        models.set_money_format("1,234.56", actor="test")  # (the format is kept for the process)


def test_the_tuis_queries_take_one_core_each(pooled):
    """PostgreSQL plans no parallel workers for the TUI's queries: its counts
    took both cores of a small machine from the keys' reads."""
    if models.is_postgres():
        setting = in_a_thread(lambda: models.db.execute_sql("SHOW max_parallel_workers_per_gather").fetchone()[0])
        assert setting == "0"
    assert in_a_thread(lambda: models.count_customers()) == 0
