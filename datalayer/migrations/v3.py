"""Version 3: review moderation history, the notification outbox, and what
groups grant (category discounts, membership rules).

The new tables are frozen as they were at version 3, referring to the
version-2 tables they point at: never edit them to follow the live models.
"""

from __future__ import annotations

import peewee as pw

from ..connection import db
from .base import Frozen, ensure_indexes, frozen_now
from .v2 import Category, Customer, CustomerGroup, Review


class CategoryDiscount(Frozen):
    group = pw.ForeignKeyField(CustomerGroup, on_delete="CASCADE", index=False)
    category = pw.ForeignKeyField(Category, on_delete="CASCADE")
    discount_percent = pw.DecimalField(max_digits=5, decimal_places=2)

    class Meta:
        primary_key = pw.CompositeKey("group", "category")


class GroupRuleSet(Frozen):
    group = pw.ForeignKeyField(CustomerGroup, primary_key=True, on_delete="CASCADE")
    match = pw.CharField(max_length=3, default="all")
    rules = pw.TextField(default="[]")
    updated_at = pw.DateTimeField(default=frozen_now)


class ReviewEvent(Frozen):
    review = pw.ForeignKeyField(Review, backref="events", on_delete="CASCADE", index=False)
    status = pw.CharField(max_length=16)
    reason = pw.CharField(max_length=500, null=True)
    at = pw.DateTimeField(default=frozen_now)
    actor = pw.CharField(max_length=64)

    class Meta:
        indexes = ((("review", "at"), False),)


class Notification(Frozen):
    customer = pw.ForeignKeyField(Customer, on_delete="CASCADE", index=False)
    group = pw.ForeignKeyField(CustomerGroup, null=True, on_delete="SET NULL", index=False)
    group_name = pw.CharField(max_length=100)
    event = pw.CharField(max_length=8)  # joined | left
    source = pw.CharField(max_length=8)  # manual | rule
    created_at = pw.DateTimeField(default=frozen_now)
    exported_at = pw.DateTimeField(null=True)


TABLES: list[type[Frozen]] = [ReviewEvent, Notification, CategoryDiscount, GroupRuleSet]


def upgrade() -> None:
    """Create the version-3 tables and their indexes (safe to run again)."""
    db.create_tables(TABLES, safe=True)
    for model in TABLES:
        ensure_indexes(model)
