"""The imports' writer (imports.writer.insert_rows) with a big batch: on
MariaDB one LOAD DATA LOCAL INFILE, which must store every value as an
INSERT would, refuse what an INSERT would (LOCAL turns errors into
warnings), and let the server read no other file; on every engine the same
values go in."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import peewee as pw
import pytest

from backroom import models
from backroom.datalayer.imports import writer

AWKWARD = ["tab\there", "new\nline", "cr\rlf\r\n", "back\\slash", "\\N", "\\", "'quoted' \"twice\"", "",
           "Zoë Ó Súilleabháin", "😀 emoji", "end\\", "\\t not a tab", "NULL"]

FIELDS = [models.Customer.first_name, models.Customer.last_name, models.Customer.email, models.Customer.email_key,
          models.Customer.name_key, models.Customer.last_key, models.Customer.phone, models.Customer.tax_exempt,
          models.Customer.registered_at, models.Customer.default_group, models.Customer.total_spent,
          models.Customer.email_fold]


def rows(n: int, group: int) -> list[tuple]:
    out = []
    for i in range(n):
        word = AWKWARD[i % len(AWKWARD)]
        out.append((word, f"L{i}", f"{word}.{i}@example.com", f"c{i}@example.com", f"{word} l{i}", f"l{i}", word,
                    i % 3 == 0, dt.datetime(2024, 1, 1, 10, 0, 0) + dt.timedelta(seconds=i), group,
                    Decimal(i) / 100, None if i % 2 else word))
    return out


def stored() -> list[tuple]:
    got = []
    for c in models.Customer.select().order_by(models.Customer.id):
        got.append((c.first_name, c.last_name, c.email, c.email_key, c.name_key, c.last_key, c.phone,
                    bool(c.tax_exempt), c.registered_at, c.default_group_id, Decimal(c.total_spent), c.email_fold))
    return got


@pytest.fixture
def loads(monkeypatch):
    """The LOAD DATA statements run (MariaDB)."""
    seen: list[str] = []
    conn = models.db.connection()
    if models.is_mysql():
        original = conn.load_local

        def spy(sql, path):
            seen.append(sql)
            return original(sql, path)

        monkeypatch.setattr(conn, "load_local", spy)
    return seen


def test_a_big_batch_stores_every_value_as_written(database, loads):
    group = models.general_group().id
    batch = rows(writer.MYSQL_LOAD_FROM + 7, group)
    with models.db.atomic():
        writer.insert_rows(models.Customer, FIELDS, batch)
    assert stored() == batch
    assert len(loads) == (1 if models.is_mysql() else 0)


def test_the_ids_of_a_loaded_batch_are_its_rows(database, loads):
    group = models.general_group().id
    models.Customer.insert(first_name="A", last_name="B", email="first@example.com", email_key="first@example.com",
                           name_key="a b", last_key="b", default_group=group).execute()
    batch = rows(writer.MYSQL_LOAD_FROM, group)
    with models.db.atomic():
        ids = writer.insert_rows_ids(models.Customer, FIELDS, batch)
    if ids is None:  # SQLite: the caller reads them back
        assert not models.is_mysql() and not models.is_postgres()
        return
    assert [models.Customer.get_by_id(i).email_key for i in ids] == [r[3] for r in batch]
    assert len(loads) == (1 if models.is_mysql() else 0)


def test_a_duplicate_in_a_big_batch_is_refused_and_nothing_of_it_stays(database, loads):
    group = models.general_group().id
    batch = rows(writer.MYSQL_LOAD_FROM + 1, group)
    batch[-1] = batch[-1][:3] + (batch[0][3],) + batch[-1][4:]  # the first row's email key again
    with pytest.raises(pw.IntegrityError), models.db.atomic():
        writer.insert_rows(models.Customer, FIELDS, batch)
    assert models.Customer.select().count() == 0
    assert len(loads) == (1 if models.is_mysql() else 0)


@pytest.mark.servers
def test_a_value_too_long_in_a_big_batch_is_refused_and_nothing_of_it_stays(database, loads):
    group = models.general_group().id
    batch = rows(writer.MYSQL_LOAD_FROM, group)
    batch[5] = ("x" * 101,) + batch[5][1:]  # first_name holds 100
    with pytest.raises(pw.DataError), models.db.atomic():
        writer.insert_rows(models.Customer, FIELDS, batch)
    assert models.Customer.select().count() == 0
    assert len(loads) == (1 if models.is_mysql() else 0)


@pytest.mark.servers
def test_the_server_may_read_no_file_but_the_one_loaded(database, tmp_path):
    """PyMySQL sends whatever file the server names: here only the one the
    statement being run loads, and none outside it."""
    if not models.is_mysql():
        assert not hasattr(models.db.connection(), "load_local")
        return
    mine = tmp_path / "mine.tsv"
    mine.write_text("x\n")
    secret = tmp_path / "secret.tsv"
    secret.write_text("secret\n")
    models.db.execute_sql("CREATE TEMPORARY TABLE t_load (v VARCHAR(20))")
    conn = models.db.connection()
    with pytest.raises(Exception):
        conn.load_local(f"LOAD DATA LOCAL INFILE {conn.escape(str(secret))} INTO TABLE t_load", str(mine))
    models.db.close()
    models.db.connect()
    models.db.execute_sql("CREATE TEMPORARY TABLE t_load (v VARCHAR(20))")
    with pytest.raises(Exception):
        models.db.execute_sql(f"LOAD DATA LOCAL INFILE '{secret}' INTO TABLE t_load")
    models.db.close()
    models.db.connect()
    conn = models.db.connection()
    models.db.execute_sql("CREATE TEMPORARY TABLE t_load (v VARCHAR(20))")
    assert conn.load_local(f"LOAD DATA LOCAL INFILE {conn.escape(str(mine))} INTO TABLE t_load", str(mine)) == 1
    assert models.db.execute_sql("SELECT v FROM t_load").fetchall() == (("x",),)
