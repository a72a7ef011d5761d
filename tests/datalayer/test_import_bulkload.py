"""A big customers' import into a (nearly) empty shop: on PostgreSQL the
customers' secondary indexes and the keys pointing at them are set aside
while the rows go in and built again before the commit, on MariaDB the
plain indexes before the transaction and after it (imports.bulkload).
The imported rows, the indexes and the constraints are those of the import
row by row, a bad row with all-or-nothing or a cancel leaves the shop as it
was, indexes included; on every engine."""

from __future__ import annotations

import threading

import peewee as pw
import pytest

from backroom import models
from backroom.datalayer.imports import bulkload

from .test_imports import (SHOPIFY_HEADER, SHOPIFY_PROBLEMS, awkward_shopify, billing, counts, customers, problems,
                           shopify_row, write)

TABLES = ("customer", "address", "membership")


def schema(tables: tuple[str, ...] = TABLES):
    """Every index and foreign key of ``tables`` (by default those the
    customers' import fills), as the engine describes them (on PostgreSQL
    with their definitions)."""
    db = models.db
    out = []
    for table in tables:
        out += sorted((table, i.name, tuple(i.columns), i.unique) for i in db.get_indexes(table))
        out += sorted((table, k.column, k.dest_table, k.dest_column) for k in db.get_foreign_keys(table))
    if models.is_postgres():
        out += db.execute_sql("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) ORDER BY 1",
                              (list(tables),)).fetchall()
        out += db.execute_sql("SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                              "WHERE conrelid = ANY(%s::regclass[]) ORDER BY 1, 2", (list(tables),)).fetchall()
    return out


def customer_indexes():
    return sorted(i.name for i in models.db.get_indexes("customer"))


@pytest.fixture
def big(monkeypatch):
    """Any file is big enough to set the indexes aside."""
    monkeypatch.setattr(bulkload, "MIN_ROWS", 1)


class Watch:
    """The customers' indexes as the import saw them, in its transaction,
    each time it reported its progress."""

    def __init__(self):
        self.seen: list[list[str]] = []

    def __call__(self, done, size):
        self.seen.append(customer_indexes())


def set_aside(before, watch):
    """Whether the import ran without the customers' secondary indexes (and
    only those): the primary key and the unique keys stay in place."""
    during = {tuple(s) for s in watch.seen}
    assert len(during) == 1
    kept = sorted(i.name for i in models.db.get_indexes("customer") if i.unique)
    (names,) = during
    assert set(kept) <= set(names)
    return list(names) != before


def test_a_big_import_into_an_empty_shop_gives_the_rows_indexes_and_keys_of_one_row_at_a_time(
        db_url, tmp_path, big):
    before, indexes = schema(), customer_indexes()
    watch = Watch()
    path = awkward_shopify(tmp_path)
    report = models.import_customers(path, progress=watch)
    assert set_aside(indexes, watch) == (not models.is_sqlite())
    assert schema() == before
    assert counts(report) == (9, 3, 0, 0, 6) and report.applied
    assert problems(report) == SHOPIFY_PROBLEMS  # the same email twice in the file is still refused
    assert customers() == [
        ("101", "Zoë", "Løvås", "zoe@example.com", "", False, "general", ["general", "wholesale"]),
        ("102", "Ana", "Smith", "Ana.Smith@Example.com", "+44 20 7946 0000", True, "general", ["general"]),
        ("103", "", "", "", "+33 6 12 34 56 78", False, "general", ["general"]),
    ]
    assert billing("zoe@example.com") == ("", "1 Main St", "", "Oslo", "", "0150", "NO")
    assert [(r.email, r.group, r.event) for r in models.outbox()] == [("zoe@example.com", "Wholesale", "joined")]
    assert models.AuditEntry.select().where(models.AuditEntry.action == "customer.import").count() == 3
    # The unique keys hold: the database refuses a second customer with Ana's email.
    ana = models.Customer.get(models.Customer.external_id == "102")
    with pytest.raises(pw.IntegrityError), models.db.atomic():
        models.Customer.insert(first_name="X", last_name="Y", email="ana.smith@example.com",
                               email_key="ana.smith@example.com", name_key="x y", last_key="y",
                               default_group=ana.default_group_id).execute()
    # …and the keys the import set aside: no address for a customer who does not exist.
    with pytest.raises(pw.IntegrityError), models.db.atomic():
        models.Address.insert(customer=ana.id + 1000, kind="billing").execute()
    again = models.import_customers(path, progress=Watch())
    assert (again.new, again.changed, again.unchanged) == (0, 0, 3)


def test_a_bad_row_with_all_or_nothing_or_a_cancel_leaves_the_shop_and_its_indexes(db_url, tmp_path, big):
    first = write(tmp_path, "one.csv", "\n".join([SHOPIFY_HEADER, shopify_row("1", "Ada", "Byron", "ada@example.com",
                                                                              line1="1 Lane", city="Leeds")]) + "\n")
    assert models.import_customers(first).new == 1
    before, indexes, shop = schema(), customer_indexes(), customers()
    audits = models.AuditEntry.select().count()
    watch = Watch()
    path = awkward_shopify(tmp_path)
    report = models.import_customers(path, all_or_nothing=True, progress=watch)
    assert set_aside(indexes, watch) == (not models.is_sqlite())  # one customer: the shop is nearly empty
    assert not report.applied and report.new == 0 and report.rejected == 6
    assert schema() == before and customers() == shop and models.AuditEntry.select().count() == audits
    assert models.outbox_count() == 0 and not models.rejects_path_for(path).exists()
    watch = Watch()
    calls = iter(range(1))

    def cancelled():
        return next(calls, None) is None  # cancelled at the last tick, every row written

    with pytest.raises(models.ImportCancelled):
        models.import_customers(path, progress=watch, cancelled=cancelled)
    assert schema() == before and customers() == shop and models.AuditEntry.select().count() == audits


def test_a_shop_with_customers_imports_row_by_row(db_url, tmp_path, big, monkeypatch):
    rows = [shopify_row(str(i), "Ada", f"N{i}", f"ada{i}@example.com") for i in range(1, 31)]
    models.import_customers(write(tmp_path, "shop.csv", "\n".join([SHOPIFY_HEADER, *rows]) + "\n"))
    indexes = customer_indexes()
    monkeypatch.setattr(bulkload, "MAX_SHARE", 10)
    watch = Watch()
    report = models.import_customers(awkward_shopify(tmp_path), progress=watch)  # about 140 rows by its size
    assert report.new == 3 and not set_aside(indexes, watch)


def test_in_an_empty_shop_a_row_with_only_a_phone_still_finds_the_customer_an_earlier_row_made(
        db_url, tmp_path, big, monkeypatch):
    """Into an empty shop the import looks no row up by id or email (only a
    duplicate in the file could match, and it is refused first), but a row
    with neither is still the customer without an email who has its phone
    (imported by an earlier batch: a batch is looked up before it is written)."""
    from backroom.datalayer.imports import customers as imports

    monkeypatch.setattr(imports, "BATCH", 1)
    path = write(tmp_path, "phones.csv", "\n".join([
        SHOPIFY_HEADER,
        shopify_row("1", "Ada", "Byron", "", phone="+44 1"),
        shopify_row("2", "Bob", "Stone", "bob@example.com"),
        shopify_row("", "Ada", "Lovelace", "", phone="+44 1"),
        shopify_row("3", "Cy", "Twin", "BOB@example.com"),
    ]) + "\n")
    report = models.import_customers(path)
    assert counts(report) == (4, 2, 1, 0, 1)
    assert problems(report) == [(5, "email", "the same email as an earlier row (case ignored)")]
    assert customers() == [
        ("1", "Ada", "Lovelace", "", "+44 1", False, "general", ["general"]),
        ("2", "Bob", "Stone", "bob@example.com", "", False, "general", ["general"]),
    ]


@pytest.mark.servers
def test_a_customer_another_admin_adds_during_an_import_into_an_empty_shop_is_still_matched(
        db_url, tmp_path, big, monkeypatch):
    """Into an empty shop the import looks no row up by id or email.  On
    MariaDB nothing stops another admin from adding a customer meanwhile:
    when the database then refuses a row of the file as that customer, the
    import runs again and finds it, as an import into a shop with customers
    does, instead of failing.  On PostgreSQL the import locks the table: the
    other admin waits for it, then finds the email taken.  (SQLite has one
    writer at a time: the test is not run there.)"""
    from backroom.datalayer.imports import customers as imports

    monkeypatch.setattr(imports, "BATCH", 1)
    path = write(tmp_path, "two.csv", "\n".join([
        SHOPIFY_HEADER,
        shopify_row("1", "Ada", "Byron", "ada@example.com"),
        shopify_row("2", "Bob", "Stone", "bob@example.com", phone="+44 2"),
    ]) + "\n")
    outcome: list = []
    threads: list[threading.Thread] = []

    def other_admin():
        try:
            outcome.append(models.create_customer({"first_name": "Robert", "last_name": "Stone",
                                                   "email": "Bob@Example.com"}, actor="other").id)
        except models.ValidationError as exc:
            outcome.append(exc)
        finally:
            models.release_connection()

    def progress(done, size):
        if not threads:
            threads.append(threading.Thread(target=other_admin))
            threads[0].start()
            threads[0].join(2)

    report = models.import_customers(path, progress=progress)
    threads[0].join(10)
    assert report.applied and len(outcome) == 1
    if models.is_postgres():
        assert counts(report) == (2, 2, 0, 0, 0)
        assert isinstance(outcome[0], models.ValidationError)
        assert [c[:4] for c in customers()] == [("1", "Ada", "Byron", "ada@example.com"),
                                                 ("2", "Bob", "Stone", "bob@example.com")]
        return
    assert counts(report) == (2, 1, 1, 0, 0)
    assert [c[:5] for c in customers()] == [("2", "Bob", "Stone", "bob@example.com", "+44 2"),
                                             ("1", "Ada", "Byron", "ada@example.com", "")]
    assert models.Customer.get(models.Customer.email_key == "bob@example.com").id == outcome[0]
