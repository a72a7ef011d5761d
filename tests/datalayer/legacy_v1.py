"""Backroom's schema version 1, frozen, to test the upgrade to the current one.

Version 1 had no case-insensitive email key, no name search keys and no
version columns; the email itself was unique.  The other tables were as
they are now, so they are made from the current models.
"""

from __future__ import annotations

import datetime as dt

import peewee as pw

from backroom import models


class V1(pw.Model):
    class Meta:
        database = models.db
        legacy_table_names = False


class TaxClass(V1):
    name = pw.CharField(max_length=64, unique=True)
    rate_percent = pw.DecimalField(max_digits=5, decimal_places=2, default=0)

    class Meta:
        table_name = "tax_class"


class CustomerGroup(V1):
    code = pw.CharField(max_length=32, unique=True)
    name = pw.CharField(max_length=100)
    description = pw.TextField(default="")
    tax_class = pw.ForeignKeyField(TaxClass, null=True, on_delete="SET NULL")
    discount_percent = pw.DecimalField(max_digits=5, decimal_places=2, default=0)
    free_shipping = pw.BooleanField(default=False)
    hidden = pw.BooleanField(default=False)
    is_system = pw.BooleanField(default=False)
    created_at = pw.DateTimeField(default=dt.datetime(2023, 1, 1))
    updated_at = pw.DateTimeField(default=dt.datetime(2023, 1, 1))

    class Meta:
        table_name = "customer_group"


class Customer(V1):
    first_name = pw.CharField(max_length=100)
    last_name = pw.CharField(max_length=100)
    email = pw.CharField(max_length=254, unique=True)
    phone = pw.CharField(max_length=32, default="")
    status = pw.CharField(max_length=16, default="active", index=True)
    account_type = pw.CharField(max_length=16, default="personal")
    tax_exempt = pw.BooleanField(default=False)
    language = pw.CharField(max_length=8, default="en")
    password_hash = pw.CharField(max_length=255, null=True)
    registered_at = pw.DateTimeField(index=True)
    default_group = pw.ForeignKeyField(CustomerGroup, on_delete="RESTRICT")
    total_spent = pw.DecimalField(max_digits=12, decimal_places=2, default=0)
    order_count = pw.IntegerField(default=0)
    updated_at = pw.DateTimeField(default=dt.datetime(2023, 1, 1))

    class Meta:
        table_name = "customer"


class Membership(V1):
    customer = pw.ForeignKeyField(Customer, on_delete="CASCADE")
    group = pw.ForeignKeyField(CustomerGroup, on_delete="CASCADE")
    source = pw.CharField(max_length=8, default="manual")
    added_by = pw.CharField(max_length=64, default="")
    added_at = pw.DateTimeField(default=dt.datetime(2023, 1, 1))

    class Meta:
        table_name = "membership"
        primary_key = pw.CompositeKey("customer", "group")


class SchemaMeta(V1):
    key = pw.CharField(max_length=64, primary_key=True)
    value = pw.CharField(max_length=255)

    class Meta:
        table_name = "schema_meta"


V1_MODELS = [SchemaMeta, TaxClass, CustomerGroup, Customer, Membership]
UNCHANGED = [models.Address, models.Category, models.CategoryAccess, models.Product, models.Order,
             models.OrderLine, models.RewardPointEntry, models.Review, models.AuditEntry]


def create_v1_database(customers: list[tuple[str, str, str]]) -> dict[str, int]:
    """A version-1 database holding the three default groups, the given
    ``(first, last, email)`` customers in General, and one order."""
    models.db.create_tables(V1_MODELS)
    if models.is_mysql():
        # MySQL's default collation ignores case; a shop whose table used a
        # binary one could hold emails that differ only in case.
        models.db.execute_sql("ALTER TABLE customer MODIFY email VARCHAR(254) "
                              "CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL")
    models.db.create_tables(UNCHANGED)
    SchemaMeta.create(key="schema_version", value="1")
    tax = TaxClass.create(name="Standard", rate_percent=20)
    general = CustomerGroup.create(code="general", name="General", tax_class=tax)
    CustomerGroup.create(code="guest", name="Guest", is_system=True, tax_class=tax)
    wholesale = CustomerGroup.create(code="wholesale", name="Wholesale", discount_percent=15, tax_class=tax)
    ids = {}
    for i, (first, last, email) in enumerate(customers):
        c = Customer.create(first_name=first, last_name=last, email=email, default_group=general,
                            registered_at=dt.datetime(2023, 5, 1 + i), total_spent=12 * i, order_count=i)
        Membership.create(customer=c, group=general)
        ids[email] = c.id
    first_id = next(iter(ids.values()))
    Membership.create(customer=first_id, group=wholesale)
    cat = models.Category.create(name="Coffee", slug="coffee")
    product = models.Product.create(sku="C1", name="Beans", category=cat, price=12)
    order = models.Order.create(customer=first_id, number="BR1", total=12)
    models.OrderLine.create(order=order, product=product, quantity=1, unit_price=12)
    return ids
