"""A big seed's indexes set aside (MariaDB: before its transaction, with a
marker each in schema_meta, see datalayer.setaside) come back, the same as
a fresh database's, however the seed ends: killed midway (the next
connection puts them back), failing, or done; and never under a seed that
is still running."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from backroom import models
from backroom.datalayer import demo, setaside

BULK = [m._meta.table_name for m in demo._BULK_MODELS]  # (MariaDB sets the customers' aside)

def schema() -> list:
    """The bulk tables as the engine describes them: on MariaDB SHOW CREATE
    TABLE (without its AUTO_INCREMENT counter, the key lines apart and
    sorted: a foreign key's index, never set aside, comes before those put
    back) and information_schema's columns of every index."""
    db = models.db
    out: list = []
    if models.is_mysql():
        for table in BULK:
            text = re.sub(r" AUTO_INCREMENT=\d+", "", db.execute_sql(f"SHOW CREATE TABLE `{table}`").fetchone()[1])
            lines = [line.strip().rstrip(",") for line in text.splitlines()]
            keys = sorted(line for line in lines if re.match(r"(FULLTEXT |SPATIAL |UNIQUE )?KEY ", line))
            out.append((table, [line for line in lines if line not in keys], keys))
        out += db.execute_sql(
            "SELECT TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, NON_UNIQUE, SUB_PART, INDEX_TYPE "
            "FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ("
            + ", ".join("%s" for _ in BULK) + ") ORDER BY 1, 2, 3", BULK).fetchall()
    elif models.is_postgres():
        out += db.execute_sql("SELECT tablename, indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) "
                              "ORDER BY 1, 2", (BULK,)).fetchall()
        out += db.execute_sql("SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                              "WHERE conrelid = ANY(%s::regclass[]) ORDER BY 1, 2", (BULK,)).fetchall()
    else:
        out += db.execute_sql("SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'index' "
                              "ORDER BY 1, 2").fetchall()
    return out


def markers() -> list:
    param = models.db.obj.param
    quote = "`" if models.is_mysql() else '"'
    return list(models.db.execute_sql(f"SELECT {quote}key{quote} FROM schema_meta WHERE {quote}key{quote} LIKE {param}",
                                      ("set_aside:%",)).fetchall())


# A real seed, in a process of its own: every batch a big seed's (the
# indexes set aside on MariaDB, deferred elsewhere), and after its first
# batch it says so and waits to be killed.
CHILD = textwrap.dedent("""
    import sys, time
    from backroom import models
    from backroom.datalayer import demo
    demo.DEFER_FROM = 1
    models.connect(sys.argv[1])
    def progress(done, total):
        print("batch", flush=True)
        time.sleep(600)
    models.seed(3000, batch=1000, progress=progress)
""")


@pytest.fixture
def fresh_url(empty_db_url):
    models.migrate_schema()
    return empty_db_url


def test_a_seed_killed_after_its_indexes_were_set_aside_gets_them_back_when_backroom_next_connects(fresh_url):
    fresh = schema()
    child = subprocess.Popen([sys.executable, "-c", CHILD, fresh_url], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline() == "batch\n"
        if models.is_mysql():
            assert markers()
            assert schema() != fresh
            # An admin connecting meanwhile leaves the running seed's indexes aside.
            models.connect(fresh_url)
            assert markers()
            assert schema() != fresh
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    models.connect(fresh_url)
    # Put back as it connects, or (the server still rolling the killed
    # seed's transaction back, its session and lock not yet gone) by the
    # thread it left waiting for the lock.
    deadline = time.monotonic() + 60
    while (schema() != fresh or markers()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert schema() == fresh
    assert markers() == []
    assert models.Customer.select().count() == 0  # the seed's transaction rolled back


def test_a_seed_that_fails_puts_its_indexes_back(fresh_url, monkeypatch):
    fresh = schema()
    monkeypatch.setattr(demo, "DEFER_FROM", 1)
    seen = []

    def progress(done, total):
        seen.append(schema())
        raise RuntimeError("stop")

    with pytest.raises(RuntimeError, match="stop"):
        models.seed(2000, batch=1000, progress=progress)
    if models.is_mysql():
        assert seen[0] != fresh  # they were set aside
    assert schema() == fresh
    assert markers() == []


def test_a_big_seed_leaves_the_indexes_of_a_fresh_database(fresh_url, monkeypatch):
    fresh = schema()
    monkeypatch.setattr(demo, "DEFER_FROM", 1)
    counts = models.seed(2000, batch=1000)
    assert counts["customers"] == 2000 == models.Customer.select().count()
    assert schema() == fresh
    assert markers() == []


@pytest.mark.servers
def test_a_transaction_committing_inside_a_load_keeps_the_loads_lock(database):
    """The named locks a transaction took are released when it commits,
    but not the lock a load holds while its indexes are aside."""
    with setaside.set_aside(["audit_entry"]) as aside:
        assert aside == models.is_mysql()
        if not aside:
            return
        with models.db.atomic():
            assert models.db.obj.named_lock("backroom.test", 1)
        import pymysql

        params = dict(models.db.obj.connect_params)
        conn = pymysql.connect(database=models.db.obj.database, **params)
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT IS_FREE_LOCK(CONCAT(LEFT(MD5(DATABASE()), 16), '.', %s)), "
                            "IS_FREE_LOCK(CONCAT(LEFT(MD5(DATABASE()), 16), '.', 'backroom.test'))", (setaside.LOCK,))
                assert cur.fetchone() == (0, 1)
        finally:
            conn.close()
