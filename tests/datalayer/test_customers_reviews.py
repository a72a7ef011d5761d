"""Customer accounts (addresses, points, passwords, erasure) and review moderation."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import peewee as pw
import pytest

from backroom import models
from backroom.models import ReviewFilter, Selection

TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def customer(database):
    return models.create_customer({"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com",
                                   "phone": "+44 20 7946 0000"},
                                  billing={"name": "Ada Lovelace", "line1": "12 St James's Square",
                                           "city": "London", "postcode": "SW1Y 4JH", "country": "gb"})


# -- create ------------------------------------------------------------------

def test_create_with_billing_address_and_password(database):
    c = models.create_customer({"first_name": "Bo", "email": "bo@example.com"}, password="temporary-1",
                               billing={"line1": "1 Main Street", "city": "Leeds", "country": "GB"})
    assert models.verify_password("temporary-1", models.get_customer(c.id).password_hash)
    addresses = models.get_addresses(c.id)
    assert addresses["billing"].city == "Leeds" and addresses["shipping"] is None
    entry = models.AuditEntry.get(models.AuditEntry.action == "customer.create")
    assert "temporary-1" not in (entry.after or "") and entry.after_data()["password_set"] is True


def test_create_reports_every_bad_field_and_writes_nothing(database):
    models.create_customer({"first_name": "A", "email": "taken@example.com"})
    before = (models.Customer.select().count(), models.Address.select().count(), models.AuditEntry.select().count())
    with pytest.raises(models.ValidationError) as exc:
        models.create_customer({"first_name": "B", "email": "nope"}, password="short",
                               billing={"line1": "x", "country": "Britain"})
    assert set(exc.value.errors) == {"email", "password", "billing.country"}
    with pytest.raises(models.ValidationError) as exc:
        models.create_customer({"first_name": "B", "email": "TAKEN@example.com"},
                               billing={"line1": "1 Road", "country": "GB"})
    assert "already used" in exc.value.errors["email"]
    after = (models.Customer.select().count(), models.Address.select().count(), models.AuditEntry.select().count())
    assert after == before


# -- addresses ---------------------------------------------------------------

def test_shipping_same_as_billing_then_independent(customer):
    c = customer
    assert models.get_addresses(c.id)["billing"].country == "GB"
    billing = {"name": "Ada Lovelace", "line1": "12 St James's Square", "city": "London",
               "postcode": "SW1Y 4JH", "country": "GB"}
    # Shipping differs: the two are independent.
    c = models.save_addresses(c.id, billing=billing, shipping={**billing, "line1": "Ockham Park", "city": "Surrey"},
                              shipping_same_as_billing=False, expected_version=c.version)
    c = models.save_addresses(c.id, billing={**billing, "city": "Westminster"}, shipping=None,
                              shipping_same_as_billing=False, expected_version=c.version)
    got = models.get_addresses(c.id)
    assert (got["billing"].city, got["shipping"].city) == ("Westminster", "Surrey")
    # Back to "same as billing": the separate shipping address goes.
    c = models.save_addresses(c.id, billing=billing, shipping={"city": "ignored"}, shipping_same_as_billing=True,
                              expected_version=c.version)
    assert models.get_addresses(c.id)["shipping"] is None
    assert models.AuditEntry.select().where(models.AuditEntry.action == "customer.addresses").count() == 3


def test_address_save_refuses_a_stale_version(customer):
    models.update_customer(customer.id, {"phone": "555 0101"}, expected_version=customer.version)
    with pytest.raises(models.ConflictError):
        models.save_addresses(customer.id, billing={"city": "Paris"}, shipping=None,
                              shipping_same_as_billing=True, expected_version=customer.version)
    assert models.get_addresses(customer.id)["billing"].city == "London"


def test_set_default_group(customer):
    wholesale = models.get_group_by_code("wholesale")
    c = models.set_default_group(customer.id, wholesale.id, expected_version=customer.version)
    assert c.default_group_id == wholesale.id
    assert {g.code for g in models.customer_groups(c.id)} == {"general", "wholesale"}
    with pytest.raises(models.LockedError):
        models.set_default_group(c.id, models.guest_group().id, expected_version=c.version)


# -- orders and points -------------------------------------------------------------

def test_order_history_and_totals(customer):
    cat = models.Category.create(name="Tea", slug="tea")
    p1 = models.Product.create(sku="T1", name="Assam", category=cat, price=Decimal("4.50"))
    p2 = models.Product.create(sku="T2", name="Sencha", category=cat, price=Decimal("7.25"))
    models.place_order(customer.id, [(p1.id, 2)], placed_at=dt.datetime(2026, 1, 1))
    models.place_order(customer.id, [(p1.id, 1), (p2.id, 3)], placed_at=dt.datetime(2026, 2, 1))
    orders = models.customer_orders(customer.id)
    assert [(o.total, o.items) for o in orders] == [(Decimal("26.25"), 4), (Decimal("9.00"), 2)]
    c = models.get_customer(customer.id)
    assert (models.money(c.total_spent), c.order_count) == (Decimal("35.25"), 2)
    with pytest.raises(models.ValidationError):
        models.place_order(customer.id, [(999, 1)])
    with pytest.raises(models.ValidationError):
        models.place_order(customer.id, [(p1.id, 0)])


def test_reward_points_need_a_reason_and_never_go_negative(customer):
    models.adjust_reward_points(customer.id, "250", "Welcome bonus", actor="alice")
    models.adjust_reward_points(customer.id, -100, "Redeemed on order BR1")
    assert models.reward_balance(customer.id) == 150
    for delta, reason, field in [(10, "  ", "reason"), (0, "x", "delta"), ("ten", "x", "delta"),
                                 (-151, "Too much", "delta"), (5, "bad\x1b[2J", "reason")]:
        with pytest.raises(models.ValidationError) as exc:
            models.adjust_reward_points(customer.id, delta, reason)
        assert field in exc.value.errors
    assert models.reward_balance(customer.id) == 150
    ledger = models.reward_ledger(customer.id)
    assert [e.delta for e in ledger] == [-100, 250] or [e.delta for e in ledger] == [250, -100]
    assert models.AuditEntry.select().where(models.AuditEntry.action == "customer.reward_points").count() == 2


# -- passwords -------------------------------------------------------------------------

def test_reset_password_typed_or_generated_and_never_stored_in_clear(customer):
    assert models.reset_password(customer.id, "correct horse") == "correct horse"
    assert models.verify_password("correct horse", models.get_customer(customer.id).password_hash)
    generated = models.reset_password(customer.id)
    assert len(generated) >= 12 and not set(generated) & set("lIO01")
    stored = models.get_customer(customer.id).password_hash
    assert generated not in stored and models.verify_password(generated, stored)
    audit_text = "".join((e.before or "") + (e.after or "") for e in models.AuditEntry.select())
    assert "correct horse" not in audit_text and generated not in audit_text
    with pytest.raises(models.ValidationError):
        models.reset_password(customer.id, "short")


# -- erasure --------------------------------------------------------------------------

def test_erase_replaces_personal_data_and_keeps_the_books(customer):
    cat = models.Category.create(name="Tea", slug="tea")
    p = models.Product.create(sku="T1", name="Assam", category=cat, price=Decimal("4.50"))
    order = models.place_order(customer.id, [(p.id, 1)])
    models.Review.create(product=p, customer=customer.id, rating=5, title="Lovely", body="Great tea")
    with pytest.raises(models.ValidationError) as exc:
        models.erase_customer(customer.id, "someone@else.com")
    assert "confirm_email" in exc.value.errors
    assert models.get_customer(customer.id).first_name == "Ada"
    c = models.erase_customer(customer.id, " ADA@example.com ", actor="dpo")
    assert (c.first_name, c.phone, c.password_hash, c.status) == ("Erased", "", None, "disabled")
    assert c.email.endswith("@erased.invalid") and "ada" not in c.email
    assert models.Address.select().where(models.Address.customer == c.id).count() == 0
    assert models.Order.get_by_id(order.id).customer_id == c.id
    assert models.Review.select().where(models.Review.customer == c.id).count() == 1
    entries = list(models.AuditEntry.select().where(models.AuditEntry.entity_id == str(c.id)))
    assert entries[-1].action == "customer.erase" and entries[-1].actor == "dpo"
    blob = json.dumps([(e.before, e.after) for e in entries])
    assert "Lovelace" not in blob and "ada@example.com" not in blob and "7946" not in blob
    # The address is free for a new account.
    models.create_customer({"first_name": "Ada", "email": "ada@example.com"})


# -- reviews ---------------------------------------------------------------------------

@pytest.fixture
def reviews(database):
    cat = models.Category.create(name="Coffee", slug="coffee")
    beans = models.Product.create(sku="B1", name="Beans", category=cat, price=Decimal("9"))
    mug = models.Product.create(sku="M1", name="Mug", category=cat, price=Decimal("5"))
    buyer = models.create_customer({"first_name": "Buyer", "email": "buyer@example.com"})
    other = models.create_customer({"first_name": "Other", "email": "other@example.com"})
    models.place_order(buyer.id, [(beans.id, 1)])
    made = {}
    for i, (product, who, rating, title, day) in enumerate([
            (beans, buyer, 5, "Superb", 1), (beans, other, 1, "Awful [bold]stuff[/bold]", 2),
            (mug, buyer, 3, "Fine mug", 3), (mug, other, 4, "Nice mug", 4)]):
        made[title.split()[0]] = models.Review.create(
            product=product, customer=who.id, rating=rating, title=title, body=f"Body {i}\nsecond line",
            created_at=dt.datetime(2026, 11, day))
    return {"beans": beans, "mug": mug, "buyer": buyer, "other": other, **made}


def test_queue_is_oldest_first_with_verified_purchase(reviews):
    rows = models.review_page(ReviewFilter(status="pending"))
    assert [r.title.split()[0] for r in rows] == ["Superb", "Awful", "Fine", "Nice"]
    assert [r.verified for r in rows] == [True, False, False, False]
    assert rows[0].first_line == "Body 0" and rows[0].product == "Beans" and rows[0].customer == "Buyer"


def test_review_filters(reviews):
    assert models.count_reviews(ReviewFilter(rating=5)) == 1
    assert models.count_reviews(ReviewFilter(product_id=reviews["mug"].id)) == 2
    assert models.count_reviews(ReviewFilter(customer_id=reviews["other"].id)) == 2
    assert models.count_reviews(ReviewFilter(text="MUG")) == 2
    assert models.count_reviews(ReviewFilter(created_from=dt.date(2026, 11, 2),
                                             created_to=dt.date(2026, 11, 3))) == 2
    f = models.build_review_filter(status="Pending", rating="4", product="M1", customer="OTHER@example.com",
                                   created_from="1 November 2026", today=TODAY)
    assert models.count_reviews(f) == 1
    with pytest.raises(models.ValidationError) as exc:
        models.build_review_filter(rating="6", product="nope", customer="x@y.z", created_to="whenever",
                                   status="lost")
    assert set(exc.value.errors) == {"rating", "product", "customer", "created_to", "status"}


def test_moderation_history_counts_and_distribution(reviews):
    sup, awful = reviews["Superb"], reviews["Awful"]
    assert models.moderate_reviews(Selection.ids([sup.id]), "approved", actor="mod") == 1
    assert models.moderate_reviews(Selection.ids([awful.id]), "rejected", reason="Abusive", actor="mod") == 1
    assert models.review_status_counts(ReviewFilter(status="pending")) == {
        "pending": 2, "approved": 1, "rejected": 1, "spam": 0}
    got = models.get_review(awful.id)
    assert (got.status, got.reject_reason, got.moderated_by) == ("rejected", "Abusive", "mod")
    assert models.moderate_reviews(Selection.ids([awful.id]), "pending") == 1
    got = models.get_review(awful.id)
    assert (got.status, got.reject_reason, got.moderated_at) == ("pending", None, None)
    assert [(e.status, e.reason) for e in models.review_history(awful.id)] == [
        ("rejected", "Abusive"), ("pending", None)]
    assert models.rating_distribution() == {1: 1, 2: 0, 3: 1, 4: 1, 5: 1}
    assert models.rating_distribution(ReviewFilter(product_id=reviews["mug"].id)) == {1: 0, 2: 0, 3: 1, 4: 1, 5: 0}


def test_bulk_moderation_is_set_based_and_skips_unchanged(reviews):
    pending = Selection.matching(ReviewFilter(status="pending"), except_ids=[reviews["Nice"].id])
    assert models.moderate_reviews(pending, "approved") == 3
    assert models.moderate_reviews(Selection.all(), "approved") == 1  # only "Nice" still differed
    assert models.review_status_counts() == {"pending": 0, "approved": 4, "rejected": 0, "spam": 0}
    entry = models.AuditEntry.select().where(models.AuditEntry.action == "review.moderate").order_by(
        models.AuditEntry.id.desc()).get()
    assert entry.after_data()["changed"] == 1


def test_moderation_rejects_bad_input_and_is_all_or_nothing(reviews, monkeypatch):
    with pytest.raises(models.ValidationError):
        models.moderate_reviews(Selection.all(), "published")
    with pytest.raises(models.ValidationError):
        models.moderate_reviews(Selection.all(), "approved", reason="Because")
    with pytest.raises(models.ValidationError):
        models.moderate_reviews(Selection.all(), "rejected", reason="x" * 501)

    def boom(*a, **k):
        raise RuntimeError("audit down")

    monkeypatch.setattr(models.AuditEntry, "create", boom)  # the audit write fails
    with pytest.raises(RuntimeError):
        models.moderate_reviews(Selection.all(), "approved")
    assert models.review_status_counts()["pending"] == 4
    assert models.ReviewEvent.select().count() == 0


def test_review_pages_deep_in_the_queue_match_the_whole_list(database):
    models.seed(20, rng_seed=3, today=dt.datetime(2026, 11, 1))
    models.seed_reviews(300, rng_seed=4, today=dt.datetime(2026, 11, 1))
    pending = ReviewFilter(status="pending")
    everything = [r.id for r in models.review_page(pending, limit=10_000)]
    assert len(everything) == models.count_reviews(pending) > 50
    for offset in (1, 37, len(everything) - 5, len(everything) + 3):
        page = models.review_page(pending, offset=offset, limit=10)
        assert [r.id for r in page] == everything[offset:offset + 10]
        assert all(r.product and r.customer for r in page)
    newest = [r.id for r in models.review_page(pending, offset=7, limit=10, newest_first=True)]
    assert newest == list(reversed(everything))[7:17]


def test_review_position_is_the_index_in_the_queue(database):
    models.seed(20, rng_seed=3, today=dt.datetime(2026, 11, 1))
    models.seed_reviews(300, rng_seed=4, today=dt.datetime(2026, 11, 1))
    first = models.review_page(limit=1)[0]
    models.Review.update(created_at=first.created_at).where(  # a tie on the date: the id decides
        models.Review.id == models.review_page(offset=5, limit=1)[0].id).execute()
    for flt in (ReviewFilter(), ReviewFilter(status="pending"), ReviewFilter(rating=4)):
        everything = [r.id for r in models.review_page(flt, limit=10_000)]
        for i in (0, 1, len(everything) // 2, len(everything) - 1):
            assert models.review_position(flt, everything[i]) == i
    rejected = models.review_page(ReviewFilter(status="rejected"), limit=1)[0]
    assert models.review_position(ReviewFilter(status="pending"), rejected.id) is None
    assert models.review_position(ReviewFilter(), 10**9) is None


def test_seeded_reviews_arrive_oldest_first(database):
    models.seed(10, rng_seed=3, today=dt.datetime(2026, 11, 1))
    start = models.Review.select(pw.fn.MAX(models.Review.id)).scalar() or 0
    models.seed_reviews(200, rng_seed=4, today=dt.datetime(2026, 11, 1), batch=64)
    seeded = list(models.Review.select(models.Review.id, models.Review.created_at)
                  .where(models.Review.id > start).order_by(models.Review.id).tuples())
    assert len(seeded) == 200
    dates = [d for _, d in seeded]
    assert dates == sorted(dates)
    assert dates[-1] - dates[0] > dt.timedelta(days=2 * 365)
