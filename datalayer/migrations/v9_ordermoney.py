"""Version 9 (order money, review authors): an order keeps the currency it
was paid in and its shipping; a review may be by someone who is not a
customer, named by ``author_name``.

``orders.currency`` (an ISO 4217 code, "" when unknown) and
``orders.shipping`` are new; ``review.customer_id`` takes NULL and
``review.author_name`` is new.  The two tables are frozen as they are at
this version.  Each change is checked before it is made, so the step is
safe to run again (MySQL commits schema changes as it goes) and works after
any other step.
"""

from __future__ import annotations

import peewee as pw

from ..connection import db
from .base import Frozen, ensure_indexes, frozen_now
from .v2 import Customer, Product


class Order(Frozen):
    customer = pw.ForeignKeyField(Customer, on_delete="RESTRICT", index=False)
    number = pw.CharField(max_length=32, unique=True)
    placed_at = pw.DateTimeField(default=frozen_now)
    status = pw.CharField(max_length=16, default="complete")
    total = pw.DecimalField(max_digits=12, decimal_places=2, default=0)
    currency = pw.CharField(max_length=3, default="", constraints=[pw.SQL("DEFAULT ''")])
    shipping = pw.DecimalField(max_digits=12, decimal_places=2, default=0, constraints=[pw.SQL("DEFAULT 0")])

    class Meta:
        table_name = "orders"
        indexes = ((("customer", "placed_at"), False),)


class Review(Frozen):
    product = pw.ForeignKeyField(Product, on_delete="CASCADE", index=False)
    customer = pw.ForeignKeyField(Customer, on_delete="CASCADE", index=False, null=True)
    author_name = pw.CharField(max_length=100, null=True)
    rating = pw.SmallIntegerField()
    title = pw.CharField(max_length=200, default="")
    body = pw.TextField(default="")
    status = pw.CharField(max_length=16, default="pending")
    created_at = pw.DateTimeField(default=frozen_now)
    moderated_at = pw.DateTimeField(null=True)
    moderated_by = pw.CharField(max_length=64, null=True)
    reject_reason = pw.CharField(max_length=500, null=True)
    search_text = pw.TextField(null=True)

    class Meta:
        indexes = (
            (("status", "created_at", "id"), False),
            (("product", "status"), False),
            (("customer", "created_at"), False),
        )


def upgrade() -> None:
    """Add the orders' currency and shipping, the reviews' author name, and
    let a review's customer be NULL."""
    from playhouse.migrate import SchemaMigrator, migrate

    migrator = SchemaMigrator.from_database(db.obj)
    orders = {c.name for c in db.get_columns("orders")}
    ops = []
    if "currency" not in orders:
        ops.append(migrator.add_column("orders", "currency", Order.currency))
    if "shipping" not in orders:
        ops.append(migrator.add_column("orders", "shipping", Order.shipping))
    reviews = {c.name: c for c in db.get_columns("review")}
    if "author_name" not in reviews:
        ops.append(migrator.add_column("review", "author_name", Review.author_name))
    if not reviews["customer_id"].null:
        # SQLite rebuilds the table for this (with its indexes), under the
        # foreign keys' deferral the migrations module takes around a step.
        ops.append(migrator.drop_not_null("review", "customer_id"))
    migrate(*ops)
    ensure_indexes(Order)
    ensure_indexes(Review)
