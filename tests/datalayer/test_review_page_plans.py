"""The first page of the review queue reads the page's reviews, not every
review the filter matches.

At 1,000,000 customers (30,000 pending reviews) MariaDB took over 9 minutes
for the first page of the pending queue (F4): asked for the rows with their
product and the verified-purchase test at once, it joined from the products
(19 of them, cheaper by its estimate than the status index), sorted every
pending review in a temporary table and ran the verified-purchase test for
each, through every order line of the review's product.  The plans of the
statements a page runs are checked here on a seeded shop of a few thousand
customers, where MariaDB chose that same plan.
"""

from __future__ import annotations

import datetime as dt

import pytest

from backroom import models
from backroom.models import ReviewFilter


@pytest.fixture
def shop(database):
    models.seed(3000, rng_seed=3)
    # Seeded reviewers all bought what they review: one review in each status
    # by a visitor (no customer, not verified), at the head of its queue.
    product = models.Product.select().first()
    for status in ("pending", "approved"):
        models.Review.insert(product=product, author_name="Visitor", rating=3, title="Hm", body="Fine",
                             status=status, created_at=dt.datetime(2001, 1, 1)).execute()
    models.db.execute_sql("ANALYZE TABLE review, product, orders, order_line" if models.is_mysql() else "ANALYZE")
    return database


def _statements(run) -> tuple[object, list[tuple[str, tuple]]]:
    """What ``run()`` returns, and the SELECTs it ran."""
    seen: list[tuple[str, tuple]] = []
    database = models.db.obj
    original = database.execute_sql

    def execute_sql(sql, params=None, *args, **kwargs):
        if sql.lstrip().upper().startswith("SELECT"):
            seen.append((sql, tuple(params or ())))
        return original(sql, params, *args, **kwargs)

    database.execute_sql = execute_sql
    try:
        return run(), seen
    finally:
        del database.execute_sql


def _whole_queue_steps(sql: str, params: tuple) -> list[str]:
    """The steps of ``sql``'s plan that read or sort every matching review:
    a scan of a real table, or (MariaDB) a temporary table, (SQLite) a
    temporary B-tree for the order."""
    db = models.db
    if models.is_sqlite():
        details = [r[-1] for r in db.execute_sql(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()]
        return [d for d in details if "TEMP B-TREE" in d or (d.startswith("SCAN") and "INDEX" not in d)]
    if models.is_postgres():
        with db.atomic():  # too few rows for the planner to prefer an index by itself
            db.execute_sql("SET LOCAL enable_seqscan = off")
            lines = [r[0] for r in db.execute_sql(f"EXPLAIN {sql}", params).fetchall()]
        return [line for line in lines if "Seq Scan" in line or line.strip().startswith("->  Sort")]
    cursor = db.execute_sql(f"EXPLAIN {sql}", params)
    names = [d[0] for d in cursor.description]
    steps = [dict(zip(names, r)) for r in cursor.fetchall()]
    return [str(s) for s in steps
            if "Using temporary" in str(s["Extra"] or "")
            or (s["type"] == "ALL" and not str(s["table"]).startswith("<"))]


@pytest.mark.parametrize("flt", [ReviewFilter(status="pending"), ReviewFilter(status="approved")],
                         ids=["pending", "approved"])
def test_the_first_page_reads_only_the_page(shop, flt):
    everything = models.review_page(flt, limit=10_000)
    assert len(everything) > 40  # the queue is longer than the page
    assert everything[0].anonymous and not everything[0].verified and everything[1].verified
    page, statements = _statements(lambda: models.review_page(flt, limit=20))
    assert [(r.id, r.verified, r.product, r.customer) for r in page] == [
        (r.id, r.verified, r.product, r.customer) for r in everything[:20]]
    assert statements
    for sql, params in statements:
        assert _whole_queue_steps(sql, params) == [], sql
