"""Seeding a big shop: the demo data's arithmetic holds past 32-bit integers."""

from __future__ import annotations

import datetime as dt

import pytest

from backroom import models

TODAY = dt.datetime(2026, 11, 1)


def test_seed_past_271000_customers(database):
    """The addresses are made in SQL from the customer's id (id * 7919 and
    so on): on PostgreSQL that overflowed a 32-bit integer once ids passed
    about 271,000, so a seed of a million customers failed."""
    general = models.general_group()
    models.Customer.insert(id=999_990, first_name="Ada", last_name="Lovelace", email="ada@example.com",
                           email_key="ada@example.com", name_key="ada lovelace", last_key="lovelace",
                           default_group=general.id).execute()
    counts = models.seed(20, rng_seed=3, today=TODAY)
    assert counts["customers"] == 20 and counts["addresses"] >= 40
    ids = [c.id for c in models.Customer.select().where(models.Customer.id > 999_990)]
    assert ids == list(range(999_991, 1_000_011))
    postcodes = {a.customer_id: a.postcode for a in models.Address.select().where(models.Address.kind == "billing")}
    # The same postcode SQLite always computed: (id * 7919) mod 89999 + 10000.
    assert all(postcodes[i] == str(i * 7919 % 89999 + 10000) for i in ids)


BULK_TABLES = ("customer", "address", "membership", "orders", "order_line", "review")


def keys_of_bulk_tables() -> dict[str, tuple[list, list]]:
    """Each bulk table's indexes and foreign keys, as the catalogue has them."""
    return {t: (sorted((i.name, tuple(i.columns), i.unique) for i in models.db.get_indexes(t)),
                sorted((k.column, k.dest_table, k.dest_column) for k in models.db.get_foreign_keys(t)))
            for t in BULK_TABLES}


def test_a_big_seed_into_a_new_database_builds_its_indexes_at_the_end(database, monkeypatch):
    """Into a database without customers, a big seed inserts its rows
    without the bulk tables' secondary indexes (and, on PostgreSQL, their
    foreign keys) and makes them again once at the end, the same as they
    were; the data is what a seed that kept them makes."""
    from backroom.datalayer import demo

    before = keys_of_bulk_tables()
    kept = models.seed(300, rng_seed=3, today=TODAY, batch=100)
    expected = list(models.Customer.select(models.Customer.email, models.Customer.total_spent)
                    .order_by(models.Customer.id).tuples())
    from conftest import wipe_rows
    wipe_rows()
    monkeypatch.setattr(demo, "DEFER_FROM", 300)
    during = []
    counts = models.seed(300, rng_seed=3, today=TODAY, batch=100,
                         progress=lambda done, total: during.append(keys_of_bulk_tables()["customer"]))
    assert counts == kept
    assert list(models.Customer.select(models.Customer.email, models.Customer.total_spent)
                .order_by(models.Customer.id).tuples()) == expected
    assert keys_of_bulk_tables() == before
    # While the rows went in, the customer table had its primary key only
    # (MySQL, set aside before the seed's transaction: its primary key, its
    # unique keys and the index its foreign key needs).
    names = {i[0] for i in during[0][0]}
    secondary = {i[0] for i in before["customer"][0] if not i[0].endswith("_pkey")}
    assert len(secondary) >= 10
    if models.is_mysql():
        assert names == {"PRIMARY", "customer_email_key", "customer_external_id", "customer_default_group_id"}
    else:
        assert names == names - secondary
    assert models.Membership.select().count() == 300 + models.Customer.select().where(
        models.Customer.account_type == "business").count()


def test_a_big_seed_that_fails_leaves_the_indexes_and_no_rows(database, monkeypatch):
    from backroom.datalayer import demo

    before = keys_of_bulk_tables()
    monkeypatch.setattr(demo, "DEFER_FROM", 1)

    def fail(done: int, total: int) -> None:
        if done >= 200:
            raise RuntimeError("cancelled")

    with pytest.raises(RuntimeError):
        models.seed(300, rng_seed=3, today=TODAY, batch=100, progress=fail)
    assert keys_of_bulk_tables() == before
    assert models.Customer.select().count() == 0 and models.Order.select().count() == 0


def test_batches_made_ahead_come_in_order_and_stop_with_the_seed(database):
    """On a server the next batch is made in a thread while the seed writes
    the one before: the batches come in their order, the maker's error is
    raised in the seed, and a seed that stops early stops the maker."""
    import threading

    from backroom.datalayer.imports.common import made_ahead

    def batches(fail_at=None):
        for i in range(5):
            if i == fail_at:
                raise ValueError("no more")
            yield i

    assert list(made_ahead(batches(), name="seed-rows")) == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError):
        list(made_ahead(batches(fail_at=3), name="seed-rows"))
    made = made_ahead(batches(), name="seed-rows")
    assert next(made) == 0
    made.close()
    assert not [t for t in threading.enumerate() if t.name == "seed-rows"]


def test_the_thread_making_the_rows_opens_no_connection(database, monkeypatch):
    """The rows are made in a thread of their own on a server: it must not
    open a connection of its own (outside the seed's transaction), as asking
    MariaDB for its collation's weights for review search words would."""
    import threading

    from backroom.datalayer import textsearch

    monkeypatch.setattr(textsearch, "_weights", {})
    opened = []
    connect = models.db.obj._connect
    monkeypatch.setattr(models.db.obj, "_connect", lambda *a, **k: (
        opened.append(threading.current_thread().name), connect(*a, **k))[1])
    counts = models.seed(200, rng_seed=7, today=TODAY)
    assert counts["reviews"] > 0
    assert "seed-rows" not in opened


@pytest.mark.servers
def test_seed_writes_the_defaults_a_table_an_upgrade_made_lacks_on_the_server(database):
    """A database upgraded from before orders had a currency may hold that
    column without a server default (MariaDB's upgrade leaves none): the
    seed's rows still go in, with the model's default."""
    models.db.execute_sql("ALTER TABLE orders ALTER COLUMN currency DROP DEFAULT")
    models.seed(20, rng_seed=5)
    assert models.Order.select().count() > 0
    assert {o.currency for o in models.Order.select()} == {""}
