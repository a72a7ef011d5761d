"""Search that ignores case and accents: customers' name keys folded
(``text.fold``), an ``email_fold`` column (indexed) for emails whose folded
form differs from their key, and a review's ``search_text``.

Self-contained: the tables are frozen here with only the columns this step
reads and writes; safe to run again (MySQL commits DDL as it goes).
"""

from __future__ import annotations

import peewee as pw

from ..connection import db
from ..text import fold
from .base import Frozen

BATCH = 5000


class Customer(Frozen):
    first_name = pw.CharField(max_length=100)
    last_name = pw.CharField(max_length=100)
    email = pw.CharField(max_length=254)
    email_key = pw.CharField(max_length=254)
    email_fold = pw.CharField(max_length=254, null=True, index=True)
    name_key = pw.CharField(max_length=201)
    last_key = pw.CharField(max_length=100)

    class Meta:
        table_name = "customer"


class Review(Frozen):
    title = pw.CharField(max_length=200, default="")
    body = pw.TextField(default="")
    search_text = pw.TextField(null=True)

    class Meta:
        table_name = "review"


def customer_keys(first: str, last: str, email: str, email_key: str) -> tuple[str, str, str | None]:
    """name_key, last_key and email_fold of a customer, as this version makes them."""
    folded_email = fold(email.strip())[:254]
    return (fold(f"{first} {last}".strip())[:201], fold(last.strip())[:100],
            None if folded_email == email_key else folded_email)


def review_search_text(title: str, body: str) -> str:
    return fold(f"{title}\n{body}")


def upgrade() -> None:
    from playhouse.migrate import SchemaMigrator, migrate

    migrator = SchemaMigrator.from_database(db.obj)
    ops = []
    if "email_fold" not in {c.name for c in db.get_columns("customer")}:
        ops.append(migrator.add_column("customer", "email_fold", pw.CharField(max_length=254, null=True)))
    if "search_text" not in {c.name for c in db.get_columns("review")}:
        ops.append(migrator.add_column("review", "search_text", pw.TextField(null=True)))
    if ops:
        migrate(*ops)
    if "customer_email_fold" not in {ix.name for ix in db.get_indexes("customer")}:
        db.execute_sql("CREATE INDEX customer_email_fold ON customer (email_fold)")
    _fold_customers()
    _fold_reviews()


def _fold_customers() -> None:
    """Only the customers whose keys change are written (non-ASCII names and emails)."""
    after = 0
    while True:
        rows = list(Customer.select(Customer.id, Customer.first_name, Customer.last_name, Customer.email,
                                    Customer.email_key, Customer.name_key, Customer.last_key, Customer.email_fold)
                    .where(Customer.id > after).order_by(Customer.id).limit(BATCH).tuples())
        if not rows:
            return
        after = rows[-1][0]
        for cid, first, last, email, email_key, name_key, last_key, email_fold in rows:
            keys = customer_keys(first or "", last or "", email or "", email_key)
            if keys != (name_key, last_key, email_fold):
                Customer.update(name_key=keys[0], last_key=keys[1], email_fold=keys[2]).where(
                    Customer.id == cid).execute()


def _fold_reviews() -> None:
    """Every review not folded yet, a batch at a time, one statement a batch."""
    sql = f"UPDATE review SET search_text = {db.obj.param} WHERE id = {db.obj.param}"
    while True:
        rows = list(Review.select(Review.id, Review.title, Review.body).where(Review.search_text.is_null())
                    .order_by(Review.id).limit(BATCH).tuples())
        if not rows:
            return
        cursor = db.cursor()
        cursor.executemany(sql, [(review_search_text(title or "", body or ""), rid) for rid, title, body in rows])
