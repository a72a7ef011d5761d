"""Schema step 8 and what it keeps: an order's currency and shipping (read
from Shopify's order export and Backroom's own, shown with the shop's money
format), a review by a named author who is not a customer; on every engine."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from backroom import models
from backroom.datalayer.migrations import _set_schema_version, v9_ordermoney

SHOPIFY = ("Name,Email,Financial Status,Currency,Subtotal,Shipping,Taxes,Total,Created at,Lineitem quantity,"
           "Lineitem name,Lineitem price,Lineitem sku,Cancelled at\n")


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def shop(db_url, tmp_path):
    models.import_customers(_write(tmp_path, "c.csv", "external_id,email,first_name\n"
                                                      "C1,ada@example.com,Ada\nC2,bob@example.com,Bob\n"),
                            fmt="backroom")
    return tmp_path


def orders():
    return [(o.number, o.status, o.total, o.currency, o.shipping)
            for o in models.Order.select().order_by(models.Order.number)]


def test_shopify_orders_keep_currency_and_shipping(shop):
    path = _write(shop, "orders_export.csv", SHOPIFY + (
        "#1001,ada@example.com,paid,EUR,25.00,5.00,0,30.00,2024-01-02 10:00:00,2,Mug,12.50,MUG-1,\n"
        "#1002,ada@example.com,refunded,brl,10.00,2.50,0,12.50,2024-02-03,1,Mug,10.00,MUG-1,\n"
        "#1003,bob@example.com,paid,,5.00,,0,5.00,2024-03-04,,,,,\n"
        "#1004,bob@example.com,paid,EURO,5.00,0,0,5.00,2024-03-04,,,,,\n"
        "#1005,bob@example.com,paid,USD,5.00,9.00,0,5.00,2024-03-04,,,,,\n"
        "#1006,bob@example.com,paid,USD,5.00,free,0,5.00,2024-03-04,,,,,\n"))
    report = models.import_orders(path)
    assert [(p.line, p.field, p.message) for p in report.problems] == [
        (5, "currency", "'EURO' is not a currency code (USD, EUR, BRL…)"),
        (6, "shipping", "9.00 is more than the order's total, 5.00"),
        (7, "shipping", "'free' is not an amount"),
    ]
    assert report.summary() == "3 new, 0 changed, 0 unchanged, 3 rejected"
    assert orders() == [("#1001", "complete", Decimal("30.00"), "EUR", Decimal("5.00")),
                        ("#1002", "refunded", Decimal("12.50"), "BRL", Decimal("2.50")),
                        ("#1003", "complete", Decimal("5.00"), "", Decimal("0.00"))]
    ada = models.Customer.get(models.Customer.email_key == "ada@example.com")
    assert (ada.total_spent, ada.order_count) == (Decimal("30.00"), 1)  # the refunded order counts toward nothing
    assert models.import_orders(path).summary() == "0 new, 0 changed, 3 unchanged, 3 rejected"
    rows = models.customer_orders(ada.id)
    assert [(r.number, r.currency, r.shipping, r.total) for r in rows] == [
        ("#1002", "BRL", Decimal("2.50"), Decimal("12.50")), ("#1001", "EUR", Decimal("5.00"), Decimal("30.00"))]


def test_backroom_orders_change_currency_and_shipping_and_blank_keeps_them(shop):
    head = "order_number,customer_external_id,customer_email,placed_at,status,total,currency,shipping,sku,quantity\n"
    models.import_orders(_write(shop, "o1.csv", head + "B1,C1,,2024-01-01,complete,20.00,EUR,4.00,,\n"
                                                       "B2,C2,,2024-01-01,cancelled,8.00,EUR,1.00,,\n"))
    report = models.import_orders(_write(shop, "o2.csv", head + "B1,C1,,2024-01-01,complete,20.00,USD,3.00,,\n"
                                                                 "B2,C2,,2024-01-01,cancelled,8.00,,,,\n"))
    assert report.summary() == "0 new, 1 changed, 1 unchanged, 0 rejected"
    assert orders() == [("B1", "complete", Decimal("20.00"), "USD", Decimal("3.00")),
                        ("B2", "cancelled", Decimal("8.00"), "EUR", Decimal("1.00"))]
    entry = (models.AuditEntry.select().where(models.AuditEntry.action == "order.import")
             .order_by(models.AuditEntry.id.desc()).get())
    assert (entry.before, entry.after) == ('{"currency": "EUR", "shipping": "4.00"}',
                                           '{"currency": "USD", "shipping": "3.00"}')
    bob = models.Customer.get(models.Customer.external_id == "C2")
    assert (bob.total_spent, bob.order_count) == (Decimal("0.00"), 0)  # cancelled


def test_the_orders_of_a_file_without_those_columns_keep_none(shop):
    head = "order_number,customer_external_id,customer_email,placed_at,status,total,sku,quantity\n"
    models.import_orders(_write(shop, "o.csv", head + "B9,C1,,2024-01-01,complete,20.00,,\n"))
    assert orders() == [("B9", "complete", Decimal("20.00"), "", Decimal("0.00"))]


def test_step_8_upgrades_a_version_7_database(database):
    """As version 7 left it: no currency, shipping nor author, a review's
    customer required; the step adds them, keeps every row, and runs again
    harmlessly."""
    from playhouse.migrate import SchemaMigrator, migrate

    cat = models.Category.create(name="Tea", slug="tea")
    p = models.Product.create(sku="T1", name="Tea", category=cat, price=1)
    c = models.create_customer({"first_name": "Ada", "last_name": "L", "email": "ada@example.com"})
    o = models.place_order(c.id, [(p.id, 2)])
    r = models.Review.create(product=p.id, customer=c.id, rating=4, title="Good", body="Nice tea")
    migrator = SchemaMigrator.from_database(models.db.obj)
    migrate(migrator.drop_column("orders", "currency"), migrator.drop_column("orders", "shipping"),
            migrator.drop_column("review", "author_name"), migrator.add_not_null("review", "customer_id"))
    assert not [col for col in models.db.get_columns("review") if col.name == "customer_id"][0].null
    step = next(v for v, f in models.MIGRATIONS.items() if f is v9_ordermoney.upgrade)
    _set_schema_version(step - 1)
    assert models.migrate_schema() == models.SCHEMA_VERSION
    assert [col for col in models.db.get_columns("review") if col.name == "customer_id"][0].null
    got = models.Order.get_by_id(o.id)
    assert (got.currency, got.shipping, got.total) == ("", Decimal("0.00"), Decimal("2.00"))
    assert models.Review.get_by_id(r.id).customer_id == c.id
    indexes = {ix.name for ix in models.db.get_indexes("review")}
    assert {"review_status_created_at_id", "review_product_id_status", "review_customer_id_created_at"} <= indexes
    guest = models.Review.create(product=p.id, customer=None, author_name="A guest", rating=5,
                                 created_at=dt.datetime(2024, 1, 1))
    assert models.Review.get_by_id(guest.id).customer_id is None
    _set_schema_version(step - 1)
    assert models.migrate_schema() == models.SCHEMA_VERSION  # again: nothing to do, nothing changes
    assert models.Review.select().count() == 2


# -- reviews by someone who is not a customer -----------------------------------

REVIEW_HEAD = "product_sku,customer_email,rating,title,body,status,created_at,author_name\n"


def test_reviews_by_authors_who_are_not_customers_import_export_and_show(shop):
    cat = models.Category.create(name="Tea", slug="tea")
    models.Product.create(sku="T1", name="Green tea", category=cat, price=1)
    path = _write(shop, "reviews.csv", REVIEW_HEAD + (
        "T1,ada@example.com,4,Mine,Good,pending,2024-05-06 07:08:09,\n"
        "T1,,5,Guest,Lovely,pending,2024-05-07 08:00:00,Guest Person\n"
        "T1,stranger@example.com,2,=HYPERLINK(1),Meh,pending,2024-05-08 09:00:00,\"=cmd|' /C calc'!A0\"\n"
        "T1,nobody@example.com,3,Lost,x,pending,2024-05-09,\n"
        "T1,,3,Nameless,x,pending,2024-05-09,\n"
        "T1,,3,Control,x,pending,2024-05-09,\"Bad\x1b[31m\"\n"))
    report = models.import_reviews(path)
    assert [(p.line, p.field, p.message) for p in report.problems] == [
        (5, "customer_email", "no customer has this email or id"),
        (6, "customer_email", "a review needs its customer's email or id, or its author's name"),
        (7, "author_name", "holds a control character"),
    ]
    assert report.summary() == "3 new, 0 changed, 0 unchanged, 3 rejected"
    rows = models.review_page(models.build_review_filter(product="T1"))
    assert [(r.title, r.customer, r.customer_id is None, r.anonymous, r.verified) for r in rows] == [
        ("Mine", "Ada", False, False, False),
        ("Guest", "Guest Person", True, True, False),
        ("=HYPERLINK(1)", "=cmd|' /C calc'!A0", True, True, False),
    ]
    assert models.import_reviews(path).summary() == "0 new, 0 changed, 3 unchanged, 3 rejected"
    out = shop / "r1.csv"
    assert models.export_reviews(out) == 3
    text = out.read_text(encoding="utf-8").splitlines()
    assert text[0] == ("review_id,product_sku,product_name,customer_email,customer_external_id,customer_name,rating,"
                       "title,body,status,created_at,moderated_at,moderated_by,reject_reason,reply,author_name")
    assert [line.split(",", 1)[1] for line in text[1:]] == [
        "T1,Green tea,ada@example.com,C1,Ada,4,Mine,Good,pending,2024-05-06 07:08:09,,,,,",
        "T1,Green tea,,,,5,Guest,Lovely,pending,2024-05-07 08:00:00,,,,,Guest Person",
        "T1,Green tea,,,,2,'=HYPERLINK(1),Meh,pending,2024-05-08 09:00:00,,,,,'=cmd|' /C calc'!A0",
    ]
    # Into an empty database (the product and customer only): the same file again.
    models.ReviewEvent.delete().execute()
    models.Review.delete().execute()
    assert models.import_reviews(out).summary() == "3 new, 0 changed, 0 unchanged, 0 rejected"
    again = shop / "r2.csv"
    models.export_reviews(again)
    strip = [line.split(",", 1)[1] for line in again.read_text(encoding="utf-8").splitlines()[1:]]
    assert strip == [line.split(",", 1)[1] for line in text[1:]]
