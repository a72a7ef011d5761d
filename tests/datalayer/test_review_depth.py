"""Review moderation beyond approve/reject: spam, canned reasons, replies,
verified purchases, the auto-approve rule and undo; on every engine."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest

from backroom import models
from backroom.datalayer.migrations import _set_schema_version, v8_reviewdepth
from backroom.models import ReviewFilter, Selection


@pytest.fixture
def shop(database):
    cat = models.Category.create(name="Coffee", slug="coffee")
    beans = models.Product.create(sku="B1", name="Beans", category=cat, price=Decimal("9"))
    mug = models.Product.create(sku="M1", name="Mug", category=cat, price=Decimal("5"))
    buyer = models.create_customer({"first_name": "Buyer", "email": "buyer@example.com"})
    other = models.create_customer({"first_name": "Other", "email": "other@example.com"})
    models.place_order(buyer.id, [(beans.id, 1)])
    # Other's only order of the mug was cancelled: not a verified purchase.
    models.place_order(other.id, [(mug.id, 1)])
    models.Order.update(status="cancelled").where(models.Order.customer == other.id).execute()
    made = {}
    for i, (product, who, rating, title) in enumerate([
            (beans, buyer, 5, "Superb"), (beans, other, 1, "Awful"), (mug, buyer, 3, "Fine"),
            (mug, other, 4, "Nice"), (beans, buyer, 4, "Again")]):
        made[title] = models.Review.create(product=product, customer=who.id, rating=rating, title=title,
                                           body=f"Body {i}", created_at=dt.datetime(2026, 11, i + 1))
    return {"beans": beans, "mug": mug, "buyer": buyer, "other": other, **made}


def status(review) -> str:
    return models.Review.get_by_id(review.id).status


def events(review) -> list[tuple]:
    return [(e.status, e.reason, e.prev_status) for e in models.review_history(review.id)]


def test_a_reply_keeps_its_lines_through_an_export_and_an_import(shop, tmp_path):
    """A reply of paragraphs as the reply box writes it (blank lines, lines
    starting with what a spreadsheet runs as a formula, leading spaces):
    out to CSV and back in, the same text, also into an empty shop."""
    letter = "Dear Buyer,\n\nThank you for the review.\nThe grinder is fixed now.\n\nThe shop"
    listed = "- Tea\n- Cake\n\n=SUM(A1)\n  indented\n@here +1\n\n\nThree breaks above.\nThe shop"
    models.set_review_reply(shop["Superb"].id, letter)
    models.set_review_reply(shop["Awful"].id, listed)
    path = tmp_path / "reviews.csv"
    assert models.export_reviews(path) == 5
    models.Review.update(reply=None, reply_at=None, reply_by=None).execute()
    assert models.import_reviews(path).summary() == "0 new, 2 changed, 3 unchanged, 0 rejected"
    replies = {r.title: r.reply for r in models.Review.select()}
    assert (replies["Superb"], replies["Awful"], replies["Fine"]) == (letter, listed, None)
    models.ReviewEvent.delete().execute()
    models.Review.delete().execute()
    assert models.import_reviews(path).summary() == "5 new, 0 changed, 0 unchanged, 0 rejected"
    assert {r.title: r.reply for r in models.Review.select()} == replies


def test_verified_means_a_non_cancelled_order_of_the_product(shop):
    rows = {r.title: r.verified for r in models.review_page(limit=10)}
    assert rows == {"Superb": True, "Awful": False, "Fine": False, "Nice": False, "Again": True}
    assert {r.title for r in models.review_page(ReviewFilter(verified=True))} == {"Superb", "Again"}
    assert models.count_reviews(models.build_review_filter(verified="yes", rating="5")) == 1


def test_spam_is_its_own_status_and_not_spam_goes_back_to_pending(shop):
    awful = shop["Awful"]
    assert models.moderate_reviews(Selection.ids([awful.id]), "spam", actor="mod") == 1
    assert models.review_status_counts()["spam"] == 1
    assert [r.title for r in models.review_page(ReviewFilter(status="spam"))] == ["Awful"]
    got = models.get_review(awful.id)
    assert (got.status, got.moderated_by, got.reject_reason) == ("spam", "mod", None)
    with pytest.raises(models.ValidationError):
        models.moderate_reviews(Selection.ids([awful.id]), "spam", reason="links")
    assert models.moderate_reviews(Selection.ids([awful.id]), "pending") == 1
    assert events(awful) == [("spam", None, "pending"), ("pending", None, "spam")]


def test_exactly_one_event_per_actual_change(shop):
    everything = Selection.matching(ReviewFilter())
    assert models.moderate_reviews(Selection.ids([shop["Superb"].id]), "approved") == 1
    assert models.moderate_reviews(everything, "approved") == 4
    assert models.moderate_reviews(everything, "approved") == 0
    assert models.ReviewEvent.select().count() == 5
    assert events(shop["Superb"]) == [("approved", None, "pending")]


def test_reasons_are_managed_and_a_rejection_keeps_the_words(shop):
    off = models.add_review_reason("  Off   topic ")
    models.add_review_reason("Advertising")
    with pytest.raises(models.ValidationError):
        models.add_review_reason("off topic")  # taken, case ignored
    with pytest.raises(models.ValidationError):
        models.add_review_reason("bad\x1b[2Jname")
    assert [r.name for r in models.list_review_reasons()] == ["Off topic", "Advertising"]
    models.moderate_reviews(Selection.ids([shop["Awful"].id]), "rejected", reason=off.name)
    models.rename_review_reason("OFF TOPIC", "Not about the product")
    with pytest.raises(models.ValidationError):
        models.rename_review_reason(off.id, "advertising")
    models.delete_review_reason("Advertising")
    with pytest.raises(models.NotFoundError):
        models.delete_review_reason("Advertising")
    assert [r.name for r in models.list_review_reasons()] == ["Not about the product"]
    assert models.get_review(shop["Awful"].id).reject_reason == "Off topic"
    assert events(shop["Awful"]) == [("rejected", "Off topic", "pending")]
    actions = [e.action for e in models.AuditEntry.select().order_by(models.AuditEntry.id)]
    assert actions.count("review.reason.add") == 2 and "review.reason.rename" in actions


def test_reply_is_stored_audited_and_removable(shop):
    nice = shop["Nice"]
    assert models.set_review_reply(nice.id, "Thanks!\r\nSee you  ", actor="shop") == "Thanks!\nSee you"
    got = models.get_review(nice.id)
    assert (got.reply, got.reply_by, got.status) == ("Thanks!\nSee you", "shop", "pending")
    with pytest.raises(models.ValidationError):
        models.set_review_reply(nice.id, "evil\x1b]0;x\x07")
    with pytest.raises(models.NotFoundError):
        models.set_review_reply(10**9, "hi")
    assert models.set_review_reply(nice.id, "") is None
    assert models.get_review(nice.id).reply is None
    assert models.ReviewEvent.select().count() == 0  # a reply is no change of status


def test_auto_approve_rule_preview_and_apply(shop):
    with pytest.raises(models.ValidationError):
        models.apply_review_rule()
    assert models.preview_review_rule() == 0
    models.set_review_rule(4, verified=True)
    assert models.review_rule() == models.ReviewRule(4, True)
    assert models.apply_review_rule(dry_run=True) == 2
    assert models.ReviewEvent.select().count() == 0
    models.moderate_reviews(Selection.ids([shop["Again"].id]), "rejected")
    assert models.preview_review_rule() == 1
    assert models.preview_review_rule(models.ReviewRule(3, verified=False)) == 3
    assert models.apply_review_rule(actor="robot") == 1
    assert status(shop["Superb"]) == "approved" and status(shop["Again"]) == "rejected"
    assert events(shop["Superb"]) == [("approved", None, "pending")]
    assert models.apply_review_rule() == 0
    with pytest.raises(models.ValidationError):
        models.set_review_rule(6)
    models.set_review_rule("")
    assert models.review_rule() is None


def test_undo_restores_exactly_and_refuses_when_changed_since(shop):
    superb, awful, fine = shop["Superb"], shop["Awful"], shop["Fine"]
    models.moderate_reviews(Selection.ids([awful.id]), "rejected", reason="Rude", actor="mod")
    before = models.get_review(awful.id)
    models.moderate_reviews(Selection.matching(ReviewFilter()), "approved", actor="mod")
    assert models.last_decision(actor="mod") == models.LastDecision("review.moderate", "approved", 5, False)
    assert models.undo_last_moderation(actor="mod") == 5
    got = models.get_review(awful.id)
    assert (got.status, got.reject_reason, got.moderated_at, got.moderated_by) == (
        "rejected", "Rude", before.moderated_at, "mod")
    assert status(superb) == "pending" and models.get_review(superb.id).moderated_by is None
    assert events(awful)[-1] == ("rejected", "Rude", "approved")
    with pytest.raises(models.ValidationError):
        models.undo_last_moderation(actor="mod")  # undone already
    with pytest.raises(models.ValidationError):
        models.undo_last_moderation(actor="nobody")  # nothing to undo
    # Someone else changed one of the reviews since: nothing is undone.
    models.moderate_reviews(Selection.ids([superb.id, fine.id]), "spam", actor="mod")
    models.moderate_reviews(Selection.ids([fine.id]), "approved", actor="other")
    with pytest.raises(models.ConflictError):
        models.undo_last_moderation(actor="mod")
    assert (status(superb), status(fine)) == ("spam", "approved")
    entry = models.AuditEntry.select().where(models.AuditEntry.action == "review.undo").get()
    assert entry.actor == "mod" and entry.after_data()["changed"] == 5


def test_undo_of_the_rule_applied(shop):
    models.set_review_rule(4)
    assert models.apply_review_rule(actor="mod") == 2
    assert models.undo_last_moderation(actor="mod") == 2
    assert models.review_status_counts()["pending"] == 5


def test_moderators_may_and_support_may_not(shop):
    models.add_admin("boss")
    models.use_admin("boss")
    models.add_admin("mo", "moderator")
    models.add_admin("helen", "support")
    models.use_admin("mo")
    models.add_review_reason("Fine by a moderator")
    models.use_admin("helen")
    for call in (lambda: models.add_review_reason("Nope"), lambda: models.set_review_reply(shop["Nice"].id, "x"),
                 lambda: models.set_review_rule(3), lambda: models.undo_last_moderation()):
        with pytest.raises(models.PermissionDenied):
            call()


def test_the_step_runs_again_and_upgrades_a_version_7_database(database):
    step = next(v for v, f in models.MIGRATIONS.items() if f is v8_reviewdepth.upgrade)
    _set_schema_version(step - 1)
    assert models.migrate_schema() == models.SCHEMA_VERSION
    assert "review_event_batch" in {ix.name for ix in models.db.get_indexes("review_event")}
    assert {"reply", "reply_at", "reply_by"} <= {c.name for c in models.db.get_columns("review")}
    models.add_review_reason("Works")


def test_undo_waits_for_a_change_in_flight_then_refuses(shop):
    """Another admin is changing one of the reviews as the undo starts: the
    undo waits for that change, sees it, and undoes nothing."""
    models.moderate_reviews(Selection.matching(ReviewFilter(status="pending")), "approved", actor="mod")
    fine = shop["Fine"]
    started, release = threading.Event(), threading.Event()

    def other() -> None:
        try:
            with models.db.atomic():
                models.moderate_reviews(Selection.ids([fine.id]), "spam", actor="other")
                started.set()
                release.wait(10)
        finally:
            models.release_connection()

    thread = threading.Thread(target=other)
    thread.start()
    assert started.wait(10)
    timer = threading.Timer(0.5, release.set)
    timer.start()
    try:
        with pytest.raises(models.ConflictError):
            models.undo_last_moderation(actor="mod")
    finally:
        release.set()
        thread.join(10)
    assert status(fine) == "spam" and status(shop["Superb"]) == "approved"
    assert not models.AuditEntry.select().where(models.AuditEntry.action == "review.undo").exists()
