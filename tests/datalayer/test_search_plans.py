"""The customers' text filter ("starts with" on the folded name, last name and
email) is read through indexes on every engine, and finds the same customers
on every engine.

At 1,000,000 customers MariaDB read every row for it (574 ms a page, 1.2 s to
count): peewee writes LIKE as LIKE BINARY on MySQL, which no index of the
table's case-insensitive collation serves, and the OR of four columns was
not merged.  The plans are checked here on a few thousand customers (the
SQLite plans of every page are in test_schema.py).
"""

from __future__ import annotations

import peewee as pw
import pytest

from backroom import models
from backroom.datalayer.text import fold
from backroom.models import Customer, CustomerFilter, Selection


def _explain(query: pw.Query) -> list[dict]:
    sql, params = query.sql()
    if models.is_sqlite():
        rows = models.db.execute_sql(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
        return [{"detail": r[-1]} for r in rows]
    cursor = models.db.execute_sql(f"EXPLAIN {sql}", params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r)) for r in cursor.fetchall()]


def _full_scans(query: pw.Query) -> list[str]:
    """The steps of ``query``'s plan that read the whole customer table."""
    if models.is_sqlite():
        return [r["detail"] for r in _explain(query)
                if r["detail"].startswith("SCAN") and "customer" in r["detail"] and "INDEX" not in r["detail"]]
    if models.is_postgres():
        # Too few rows for the planner to prefer the indexes by itself: is
        # there a plan through them at all?
        with models.db.atomic():
            models.db.execute_sql("SET LOCAL enable_seqscan = off")
            lines = [r["QUERY PLAN"] for r in _explain(query)]
        return [line for line in lines if "Seq Scan on customer" in line]
    # MySQL/MariaDB: a real table read with type ALL (not a derived or
    # materialised temporary table, whose names are in <...>).
    return [str(r) for r in _explain(query)
            if r["type"] == "ALL" and not str(r["table"]).startswith("<")]


@pytest.fixture
def shop(database):
    models.seed(3000, rng_seed=3)
    models.db.execute_sql("ANALYZE TABLE customer" if models.is_mysql() else "ANALYZE")
    return database


@pytest.mark.parametrize("text", ["smi", "NÚÑ", "j", "a.b@"])
def test_the_text_filter_pages_and_counts_through_indexes(shop, text):
    flt = CustomerFilter(text=text)
    page = (models.customer_query(flt).select(Customer.id)
            .order_by(Customer.registered_at, Customer.id).limit(50))
    assert _full_scans(page) == []
    assert _full_scans(Selection.matching(flt).query()) == []
    # Inside a NOT (everyone but the matching), still the same customers.
    rest = Selection.all() - Selection.matching(flt)
    assert rest.count() == models.count_customers() - models.count_customers(flt)


def _expected(text: str) -> set[int]:
    """Who the filter finds, worked out in Python from the stored keys."""
    text = " ".join(text.lower().split())
    folded = fold(text)
    rows = Customer.select(Customer.id, Customer.email_key, Customer.email_fold, Customer.name_key,
                           Customer.last_key).tuples()
    return {cid for cid, email_key, email_fold, name_key, last_key in rows
            if (email_key or "").startswith(text) or (email_fold or "").startswith(folded)
            or name_key.startswith(folded) or last_key.startswith(folded)}


@pytest.mark.parametrize("text", ["nu", "núñ", "NUN", "nun@", "ñ", "a_b", "a%", "smi", "jo"])
def test_the_text_filter_finds_the_same_customers_on_every_engine(database, text):
    """A case- and accent-blind collation (MariaDB's) must not widen the
    match: "núñ" does not find the email nun@…, as on SQLite and PostgreSQL."""
    for first, last, email in (("Ada", "Lovelace", "nun@example.com"), ("Nuno", "Smith", "a_b@example.com"),
                               ("Núñez", "Jones", "a%c@example.com"), ("Joan", "Ñandú", "núñ@exämple.es"),
                               ("Bob", "Nunn", "bob@example.com")):
        models.create_customer({"first_name": first, "last_name": last, "email": email})
    flt = CustomerFilter(text=text)
    got = {r.id for r in models.customer_page(flt, sort="name", limit=100)}
    assert got == _expected(text)
    assert models.count_customers(flt) == len(got)


def _generic_name_page(flt: CustomerFilter, offset: int, limit: int, descending: bool) -> list[int]:
    """The page as every engine reads it without :meth:`CustomerFilter.first_by_name`."""
    keys = (Customer.last_key, Customer.name_key, Customer.id)
    return list(models.customer_query(flt).select(Customer.id)
                .order_by(*[k.desc() if descending else k.asc() for k in keys])
                .offset(offset).limit(limit).scalars())


@pytest.mark.parametrize("text", ["smi", "j", "a", "NÚÑ", "zzq"])
def test_a_text_filter_s_pages_in_name_order_and_count_are_those_of_all_its_matches(shop, text):
    """MariaDB takes a page from each range scan's first matches in name
    order (and counts their UNION): the same customers, in the same order,
    as sorting every match, at the top, in the middle and the end."""
    flt = CustomerFilter(text=text)
    total = models.customer_query(flt).count()
    assert models.count_customers(flt) == total
    for descending in (False, True):
        for offset, limit in ((0, 50), (0, 1), (37, 20), (max(0, total - 10), 30), (total + 5, 10), (0, 0)):
            got = [r.id for r in models.customer_page(flt, sort="name", descending=descending,
                                                      offset=offset, limit=limit)]
            assert got == _generic_name_page(flt, offset, limit, descending), (descending, offset, limit)
    if text == "j":
        assert total > 100  # deep enough for the pages above to be taken from several scans


def test_mariadb_reads_a_name_page_of_a_text_filter_from_indexes_alone(shop):
    if not models.is_mysql():
        assert CustomerFilter(text="j").first_by_name(0, 50, False) is None
        return
    for query in (CustomerFilter(text="j").first_by_name(0, 50, False),
                  CustomerFilter(text="smi").first_by_name(20, 50, True)):
        reads = [r for r in _explain(query.bind(models.db.obj)) if r["table"] == "ft"]
        assert len(reads) == 4
        # "Using index": the index alone ("Using index condition" reads the rows).
        plan = [(r["key"], r["Extra"]) for r in reads]
        # The email scans read v12's indexes, which hold the name keys; the
        # full name's never the old index without last_key.  (Which of the
        # indexes holding the keys the other two scans take depends on the
        # table's statistics.)
        assert [key for key, _ in plan[:2]] == ["customer_email_key_names", "customer_email_fold_names"], plan
        assert plan[2][0] != "customer_name_key", plan
    # Not for a filter by more than text, nor outside MariaDB's first pages.
    assert CustomerFilter(text="j", status="active").first_by_name(0, 50, False) is None
    assert CustomerFilter(text="j", status="active").count_by_text() is None


def test_the_name_order_indexes_step_can_run_again(database):
    from backroom.datalayer.migrations import v12_namesort

    names = set(v12_namesort.INDEXES)
    have = {ix.name for ix in models.db.get_indexes("customer")}
    if not models.is_mysql():
        v12_namesort.upgrade()
        assert not names & {ix.name for ix in models.db.get_indexes("customer")}
        return
    assert names <= have  # a new database has them
    models.db.execute_sql("ALTER TABLE customer DROP INDEX customer_name_key_last")
    v12_namesort.upgrade()
    v12_namesort.upgrade()
    after = [ix.name for ix in models.db.get_indexes("customer")]
    assert names <= set(after) and len(after) == len(set(after)) == len(have)
