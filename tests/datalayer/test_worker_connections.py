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
