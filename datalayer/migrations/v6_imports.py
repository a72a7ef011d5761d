"""Version 6 (imports): a customer may have a phone and no email, and keeps
the id they had in the system they were imported from.

``customer.email_key`` takes NULL (a customer without an email; the unique
index takes any number of NULLs on every engine) and ``customer.external_id``
is new, unique.  The customer table is frozen as it is at this version.
Each change is checked before it is made, so the step is safe to run again
(MySQL commits schema changes as it goes) and works after any other step.
"""

from __future__ import annotations

import peewee as pw

from ..connection import db
from .base import Frozen, ensure_indexes, frozen_now
from .v2 import CustomerGroup


class Customer(Frozen):
    first_name = pw.CharField(max_length=100)
    last_name = pw.CharField(max_length=100)
    email = pw.CharField(max_length=254)
    email_key = pw.CharField(max_length=254, unique=True, null=True)
    name_key = pw.CharField(max_length=201, index=True)
    last_key = pw.CharField(max_length=100)
    phone = pw.CharField(max_length=32, default="")
    status = pw.CharField(max_length=16, default="active", index=True)
    account_type = pw.CharField(max_length=16, default="personal")
    tax_exempt = pw.BooleanField(default=False)
    language = pw.CharField(max_length=8, default="en")
    password_hash = pw.CharField(max_length=255, null=True)
    registered_at = pw.DateTimeField(default=frozen_now)
    default_group = pw.ForeignKeyField(CustomerGroup, on_delete="RESTRICT", index=True)
    total_spent = pw.DecimalField(max_digits=12, decimal_places=2, default=0)
    order_count = pw.IntegerField(default=0)
    version = pw.IntegerField(default=1)
    updated_at = pw.DateTimeField(default=frozen_now)
    external_id = pw.CharField(max_length=64, null=True, unique=True)

    class Meta:
        indexes = (
            (("last_key", "name_key", "id"), False),
            (("registered_at", "id"), False),
            (("total_spent", "id"), False),
            (("order_count", "id"), False),
        )


def upgrade() -> None:
    """Let ``email_key`` be NULL and add ``external_id`` with its unique index."""
    from playhouse.migrate import SchemaMigrator, migrate

    migrator = SchemaMigrator.from_database(db.obj)
    columns = {c.name: c for c in db.get_columns("customer")}
    ops = []
    if "external_id" not in columns:
        ops.append(migrator.add_column("customer", "external_id", pw.CharField(max_length=64, null=True)))
    if not columns["email_key"].null:
        # SQLite rebuilds the table for this (with its indexes), under the
        # foreign keys' deferral the migrations module takes around a step.
        ops.append(migrator.drop_not_null("customer", "email_key"))
    migrate(*ops)
    ensure_indexes(Customer)
