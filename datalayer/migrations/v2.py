"""Version 2: case-insensitive unique emails, name search keys, version
columns for detecting concurrent edits, and the tables for addresses,
catalogue, orders, reward points, reviews and the audit log.

The tables below are frozen as they were at version 2: never edit them to
follow the live models (``datalayer/tables.py``); a later schema change gets
a step of its own.
"""

from __future__ import annotations

import peewee as pw

from ..connection import db, is_mysql
from ..errors import SchemaError
from .base import Frozen, ensure_indexes, frozen_now


class TaxClass(Frozen):
    name = pw.CharField(max_length=64, unique=True)
    rate_percent = pw.DecimalField(max_digits=5, decimal_places=2, default=0)


class CustomerGroup(Frozen):
    code = pw.CharField(max_length=32, unique=True)
    name = pw.CharField(max_length=100)
    description = pw.TextField(default="")
    tax_class = pw.ForeignKeyField(TaxClass, null=True, on_delete="SET NULL")
    discount_percent = pw.DecimalField(max_digits=5, decimal_places=2, default=0)
    free_shipping = pw.BooleanField(default=False)
    hidden = pw.BooleanField(default=False)
    is_system = pw.BooleanField(default=False)
    version = pw.IntegerField(default=1)
    created_at = pw.DateTimeField(default=frozen_now)
    updated_at = pw.DateTimeField(default=frozen_now)


class Customer(Frozen):
    first_name = pw.CharField(max_length=100)
    last_name = pw.CharField(max_length=100)
    email = pw.CharField(max_length=254)
    # Lower-cased email: the unique key, and what searches run on.
    email_key = pw.CharField(max_length=254, unique=True)
    # Lower-cased "first last" and "last", for prefix search through indexes.
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
    # Kept up to date by the order operations, so lists filter and sort
    # on them through indexes instead of summing orders for a million rows.
    total_spent = pw.DecimalField(max_digits=12, decimal_places=2, default=0)
    order_count = pw.IntegerField(default=0)
    version = pw.IntegerField(default=1)
    updated_at = pw.DateTimeField(default=frozen_now)

    class Meta:
        indexes = (
            (("last_key", "name_key", "id"), False),
            (("registered_at", "id"), False),
            (("total_spent", "id"), False),
            (("order_count", "id"), False),
        )


class Address(Frozen):
    customer = pw.ForeignKeyField(Customer, backref="addresses", on_delete="CASCADE", index=False)
    kind = pw.CharField(max_length=16)
    name = pw.CharField(max_length=200, default="")
    line1 = pw.CharField(max_length=200, default="")
    line2 = pw.CharField(max_length=200, default="")
    city = pw.CharField(max_length=100, default="")
    region = pw.CharField(max_length=100, default="")
    postcode = pw.CharField(max_length=20, default="")
    country = pw.CharField(max_length=2, default="")

    class Meta:
        indexes = ((("customer", "kind"), True),)


class Membership(Frozen):
    # Both directions are covered by the primary key and the (group,
    # customer) index, so the foreign keys need no index of their own.
    customer = pw.ForeignKeyField(Customer, on_delete="CASCADE", index=False)
    group = pw.ForeignKeyField(CustomerGroup, on_delete="CASCADE", index=False)
    source = pw.CharField(max_length=8, default="manual")
    added_by = pw.CharField(max_length=64, default="")
    added_at = pw.DateTimeField(default=frozen_now)

    class Meta:
        primary_key = pw.CompositeKey("customer", "group")
        indexes = ((("group", "customer"), True),)


class Category(Frozen):
    name = pw.CharField(max_length=100)
    slug = pw.CharField(max_length=64, unique=True)
    parent = pw.ForeignKeyField("self", null=True, backref="children", on_delete="SET NULL")
    restricted = pw.BooleanField(default=False)


class CategoryAccess(Frozen):
    category = pw.ForeignKeyField(Category, on_delete="CASCADE", index=False)
    group = pw.ForeignKeyField(CustomerGroup, on_delete="CASCADE")

    class Meta:
        primary_key = pw.CompositeKey("category", "group")


class Product(Frozen):
    sku = pw.CharField(max_length=64, unique=True)
    name = pw.CharField(max_length=200)
    category = pw.ForeignKeyField(Category, backref="products", on_delete="RESTRICT")
    price = pw.DecimalField(max_digits=12, decimal_places=2)


class Order(Frozen):
    customer = pw.ForeignKeyField(Customer, backref="orders", on_delete="RESTRICT", index=False)
    number = pw.CharField(max_length=32, unique=True)
    placed_at = pw.DateTimeField(default=frozen_now)
    status = pw.CharField(max_length=16, default="complete")
    total = pw.DecimalField(max_digits=12, decimal_places=2, default=0)

    class Meta:
        table_name = "orders"
        indexes = ((("customer", "placed_at"), False),)


class OrderLine(Frozen):
    order = pw.ForeignKeyField(Order, backref="lines", on_delete="CASCADE")
    product = pw.ForeignKeyField(Product, on_delete="RESTRICT", index=False)
    quantity = pw.IntegerField()
    unit_price = pw.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        indexes = ((("product", "order"), False),)


class RewardPointEntry(Frozen):
    customer = pw.ForeignKeyField(Customer, backref="reward_points", on_delete="CASCADE", index=False)
    delta = pw.IntegerField()
    reason = pw.CharField(max_length=255)
    created_at = pw.DateTimeField(default=frozen_now)
    created_by = pw.CharField(max_length=64, default="")

    class Meta:
        indexes = ((("customer", "created_at"), False),)


class Review(Frozen):
    product = pw.ForeignKeyField(Product, backref="reviews", on_delete="CASCADE", index=False)
    customer = pw.ForeignKeyField(Customer, backref="reviews", on_delete="CASCADE", index=False)
    rating = pw.SmallIntegerField()
    title = pw.CharField(max_length=200, default="")
    body = pw.TextField(default="")
    status = pw.CharField(max_length=16, default="pending")
    created_at = pw.DateTimeField(default=frozen_now)
    moderated_at = pw.DateTimeField(null=True)
    moderated_by = pw.CharField(max_length=64, null=True)
    reject_reason = pw.CharField(max_length=500, null=True)

    class Meta:
        indexes = (
            (("status", "created_at", "id"), False),
            (("product", "status"), False),
            (("customer", "created_at"), False),
        )


class AuditEntry(Frozen):
    at = pw.DateTimeField(default=frozen_now, index=True)
    actor = pw.CharField(max_length=64)
    action = pw.CharField(max_length=64)
    entity = pw.CharField(max_length=32)
    entity_id = pw.CharField(max_length=64, null=True)
    before = pw.TextField(null=True)
    after = pw.TextField(null=True)

    class Meta:
        indexes = ((("entity", "entity_id", "at"), False),)


TABLES: list[type[Frozen]] = [TaxClass, CustomerGroup, Customer, Address, Membership, Category, CategoryAccess,
                              Product, Order, OrderLine, RewardPointEntry, Review, AuditEntry]


def upgrade() -> None:
    """Version 2: case-insensitive unique emails, name search keys, and version
    columns for detecting concurrent edits."""
    from playhouse.migrate import SchemaMigrator, migrate

    migrator = SchemaMigrator.from_database(db.obj)
    cols = {c.name for c in db.get_columns("customer")}
    ops = []
    if "email_key" not in cols:
        ops.append(migrator.add_column("customer", "email_key", pw.CharField(max_length=254, default="")))
    if "name_key" not in cols:
        ops.append(migrator.add_column("customer", "name_key", pw.CharField(max_length=201, default="")))
    if "last_key" not in cols:
        ops.append(migrator.add_column("customer", "last_key", pw.CharField(max_length=100, default="")))
    if "version" not in cols:
        ops.append(migrator.add_column("customer", "version", pw.IntegerField(default=1)))
    if "version" not in {c.name for c in db.get_columns("customer_group")}:
        ops.append(migrator.add_column("customer_group", "version", pw.IntegerField(default=1)))
    # Version 1 made the email itself unique, which let "A@x" and "a@x" in.
    for index in db.get_indexes("customer"):
        if index.columns == ["email"]:
            ops.append(migrator.drop_index("customer", index.name))
    migrate(*ops)
    # Backfill in SQL, then check that lower-cased emails are still unique
    # before the unique index goes on: a clear message beats a failed upgrade.
    Customer.update(
        email_key=pw.fn.LOWER(pw.fn.TRIM(Customer.email)),
        last_key=pw.fn.LOWER(Customer.last_name),
        name_key=pw.fn.LOWER(pw.fn.CONCAT(Customer.first_name, " ", Customer.last_name))
        if is_mysql() else
        pw.fn.LOWER(Customer.first_name.concat(" ").concat(Customer.last_name)),
    ).execute()
    dupes = (Customer.select(Customer.email_key, pw.fn.COUNT(Customer.id))
             .group_by(Customer.email_key).having(pw.fn.COUNT(Customer.id) > 1).limit(3).tuples())
    dupes = [d[0] for d in dupes]
    if dupes:
        raise SchemaError(
            "Cannot upgrade: these emails differ only in case and must be merged first: "
            + ", ".join(dupes))
    # Everything new in version 2 (tables and indexes) is created safely.
    db.create_tables(TABLES, safe=True)
    for model in (Customer, CustomerGroup):
        ensure_indexes(model)
