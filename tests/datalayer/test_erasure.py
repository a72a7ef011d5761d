"""Erasure is complete: after erasing a customer, none of their personal
values is left in any column of any table.

The check: a customer is given a distinctive token in every personal field
(names, email, phone, each address line, postcode, city and region, one of
them non-ASCII, so the audit log's JSON escapes it); every operation that
could copy those values somewhere runs (filters by their email, names and
full name used to assign, unassign and set a group's members, notes and
reasons naming them, reviews, moderation, the outbox and its export, points,
a password reset, addresses, account edits); the customer is erased; then
every column of every table the database has (``db.get_tables()``, not just
the ones Backroom knows) is read raw and searched for each token, ignoring
case, as written and as JSON escapes it.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from backroom import models
from backroom.models import Selection

PERSON = {"first_name": "Qzfirstxa", "last_name": "Qzlastxb", "email": "qzmailxc@qzdomainxd.example",
          "phone": "+99 7788 6655"}
BILLING = {"name": "Qzbillnamexe", "line1": "12 Qzlinexf Street", "line2": "Flat Qzflatxg", "city": "Qzcityxé",
           "region": "Qzregionxh", "postcode": "QZ9 9XJ", "country": "ZZ"}
SHIPPING = {"name": "Qzshipnamexk", "line1": "7 Qzshiplinexl Road", "line2": "", "city": "Qzshipcityxm",
            "region": "", "postcode": "QZ1 1XN", "country": "ZZ"}
NEW_PHONE = "+99 1234 0987"
TOKENS = ["qzfirstxa", "qzlastxb", "qzmailxc", "qzdomainxd", "7788 6655", "1234 0987", "qzbillnamexe",
          "qzlinexf", "qzflatxg", "qzcityxé", "qzregionxh", "qz9 9xj", "qzshipnamexk", "qzshiplinexl",
          "qzshipcityxm", "qz1 1xn"]


def spellings(token: str) -> set[str]:
    """The token as text and as JSON escapes it (the audit log's ensure_ascii)."""
    return {token, json.dumps(token)[1:-1]}


def scan_every_column(tokens: list[str]) -> list[str]:
    """Every (table, column, row) holding one of ``tokens``, reading every
    table the database has, raw."""
    db = models.db
    found = []
    for table in sorted(db.get_tables()):
        columns = [c.name for c in db.get_columns(table)]
        quote = "`" if models.is_mysql() else '"'
        sql = "SELECT {} FROM {}{}{}".format(", ".join(f"{quote}{c}{quote}" for c in columns), quote, table, quote)
        for row in db.execute_sql(sql).fetchall():
            for column, value in zip(columns, row):
                if isinstance(value, (bytes, memoryview)):
                    value = bytes(value).decode("utf-8", "replace")
                if not isinstance(value, str):
                    continue
                lowered = value.lower()
                for token in tokens:
                    if any(s.lower() in lowered for s in spellings(token)):
                        found.append(f"{table}.{column}: {token!r} in {value[:120]!r}")
    return found


@pytest.fixture
def shop(database):
    cat = models.Category.create(name="Coffee", slug="coffee")
    product = models.Product.create(sku="K1", name="Kenya AA", category=cat, price=Decimal("12.00"))
    other = models.create_customer({"first_name": "Olive", "last_name": "Other", "email": "olive@example.com"},
                                   billing={"line1": "1 Elsewhere", "city": "Leeds", "country": "GB"})
    vip, _ = models.create_group({"code": "vip", "name": "VIP"})
    club, _ = models.create_group({"code": "club", "name": "Club"})
    return {"product": product, "other": other, "vip": vip, "club": club}


def copy_them_everywhere(shop) -> models.Customer:
    """Every operation that could copy the customer's personal values."""
    vip, club, product, other = shop["vip"], shop["club"], shop["product"], shop["other"]
    c = models.create_customer(PERSON, billing=BILLING, password="first-password-1")
    c = models.update_customer(c.id, {"phone": NEW_PHONE}, expected_version=c.version)
    c = models.update_customer(c.id, {"phone": PERSON["phone"], "language": "de"}, expected_version=c.version)
    c = models.save_addresses(c.id, billing=BILLING, shipping=SHIPPING, shipping_same_as_billing=False,
                              expected_version=c.version)
    # Filters whose text is their email, names, full name: in audit entries of other records.
    for text in (PERSON["email"], PERSON["first_name"], PERSON["last_name"].upper(),
                 f"{PERSON['first_name']} {PERSON['last_name']}", "qzmailxc@qzdom"):
        flt = models.build_filter(text=text)
        models.assign_customers(vip.id, Selection.matching(flt))
        models.unassign_customers(vip.id, Selection.matching(flt))
    club, _ = models.create_group({"code": "friends", "name": "Friends"},
                                  members=Selection.matching(models.build_filter(text=PERSON["email"])))
    g = models.get_group(shop["club"].id)
    models.update_group(g.id, {"description": "Loyal"}, expected_version=g.version,
                        members=Selection.matching(models.build_filter(text=PERSON["last_name"])))
    models.join_group(c.id, vip.id)
    c = models.set_default_group(c.id, vip.id, expected_version=models.get_customer(c.id).version)
    # Notes and reasons naming them, theirs and someone else's.
    models.adjust_reward_points(c.id, 500, f"Goodwill for {PERSON['first_name']} {PERSON['last_name']}, "
                                           f"call {PERSON['phone']}")
    models.adjust_reward_points(other.id, 50, f"Referred by {PERSON['email']}")
    # Orders, reviews and their moderation.
    models.place_order(c.id, [(product.id, 2)])
    mine = models.Review.create(product=product, customer=c.id, rating=2, title=f"{PERSON['first_name']} says",
                                body=f"I, {PERSON['first_name']} {PERSON['last_name']} of {BILLING['line1']},\n"
                                     f"write to {PERSON['email']}.")
    second = models.Review.create(product=product, customer=c.id, rating=5, title="Fine", body="Good beans")
    models.moderate_reviews(Selection.ids([mine.id]), "rejected",
                            reason=f"Names {PERSON['last_name']} and {PERSON['phone']}")
    flt = models.build_review_filter(customer=PERSON["email"], text=PERSON["first_name"])
    models.moderate_reviews(Selection.matching(flt), "approved")
    models.moderate_reviews(Selection.ids([second.id]), "approved")
    # The outbox: some exported, some still queued.
    models.export_outbox(shop["export_dir"] / "outbox.csv")
    models.leave_group(c.id, club.id)
    models.reset_account_password(c.id)
    models.reset_account_password(c.id, "typed-password-2")
    models.disable_account(c.id)
    assert scan_every_column(TOKENS), "the tokens should be all over the database before the erasure"
    return models.get_customer(c.id)


def test_erasure_leaves_no_copy_of_their_personal_data_anywhere(shop, tmp_path):
    shop["export_dir"] = tmp_path
    c = copy_them_everywhere(shop)
    orders_before = models.Order.select().count()
    models.erase_customer(c.id, PERSON["email"].upper(), actor="dpo")
    assert scan_every_column(TOKENS) == []
    tables = set(models.db.get_tables())
    assert {m._meta.table_name for m in models.ALL_MODELS} <= tables  # every table was read
    # The books stay: the customer's row (as a placeholder), orders, review ratings.
    erased = models.get_customer(c.id)
    assert erased.first_name == "Erased" and erased.password_hash is None
    assert models.Order.select().count() == orders_before
    assert sorted(r.rating for r in models.Review.select().where(models.Review.customer == c.id)) == [2, 5]
    box = models.outbox(include_exported=True, limit=10_000)
    assert models.outbox_count(include_exported=True) == len(box)
    assert c.id not in {r.customer_id for r in box}
    # Someone else's data is theirs: untouched.
    other = models.get_customer(shop["other"].id)
    assert (other.first_name, other.email) == ("Olive", "olive@example.com")
    assert models.get_addresses(other.id)["billing"].city == "Leeds"
    assert models.reward_ledger(other.id)[0].reason == "Referred by [erased]"


def test_erasure_leaves_others_with_the_same_values_alone(database):
    """Two customers called Smith: erasing one leaves the other's name in
    their own row and their own audit entries."""
    a = models.create_customer({"first_name": "Anna", "last_name": "Smith", "email": "anna@example.com"},
                               billing={"line1": "1 High Street", "city": "York", "country": "GB"})
    b = models.create_customer({"first_name": "Ben", "last_name": "Smith", "email": "ben@example.com"},
                               billing={"line1": "1 High Street", "city": "York", "country": "GB"})
    models.erase_customer(a.id, "anna@example.com")
    b = models.get_customer(b.id)
    assert (b.first_name, b.last_name) == ("Ben", "Smith")
    assert models.get_addresses(b.id)["billing"].line1 == "1 High Street"
    created = models.AuditEntry.get((models.AuditEntry.action == "customer.create")
                                    & (models.AuditEntry.entity_id == str(b.id))).after_data()
    assert created["last_name"] == "Smith" and created["billing"]["line1"] == "1 High Street"
    mine = models.AuditEntry.get((models.AuditEntry.action == "customer.create")
                                 & (models.AuditEntry.entity_id == str(a.id))).after_data()
    assert mine["last_name"] == "[erased]" and mine["billing"]["city"] == "[erased]"


def test_the_scan_finds_a_token_wherever_it_is(database):
    """The check itself: a token in any column, of any table (even one
    Backroom does not know), as text or JSON-escaped, is found."""
    models.db.execute_sql("CREATE TABLE stray_copy (note VARCHAR(100))")
    try:
        models.db.execute_sql("INSERT INTO stray_copy (note) VALUES ('to QZCITYXÉ')")
        models.audit("x", "y", after={"city": "Qzcityxé"})
        found = scan_every_column(["qzcityxé"])
        assert any(f.startswith("stray_copy.note") for f in found)
        assert any(f.startswith("audit_entry.after") for f in found)
    finally:
        models.db.execute_sql("DROP TABLE stray_copy")


def test_erasure_is_one_transaction(database, monkeypatch):
    c = models.create_customer(PERSON, billing=BILLING)
    models.adjust_reward_points(c.id, 5, f"For {PERSON['first_name']}")

    def fail(*args, **kwargs):
        raise RuntimeError("the disk went away")

    from backroom.datalayer import erasure
    monkeypatch.setattr(erasure, "audit", fail)
    with pytest.raises(RuntimeError):
        models.erase_customer(c.id, PERSON["email"])
    assert models.get_customer(c.id).first_name == PERSON["first_name"]
    assert PERSON["first_name"] in models.reward_ledger(c.id)[0].reason
    assert models.get_addresses(c.id)["billing"] is not None

