"""Pilot tests: a review-moderation session pressed through the UI, checked
in the database (Review.status, ReviewEvent rows) and the audit log."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from textual.widgets import Input, Label, Select

from backroom import models
from backroom.models import ReviewFilter, Selection
from backroom.screens.reviews import RejectModal, ReviewDetail, ReviewsScreen
from tui_helpers import burst, confirm, make_app, make_db, notifications, open_reviews, settle, type_text
from backroom.tui.reviewtable import RatingChart, ReviewTable
from backroom.tui.dialogs import ConfirmModal

PENDING = ReviewFilter(status="pending")


@pytest.fixture
def shop(tmp_path):
    """A small shop: 40 customers and their orders, plus a known set of reviews."""
    make_db(tmp_path, 0)
    cat = models.Category.create(name="Coffee", slug="coffee")
    beans = models.Product.create(sku="B1", name="Beans", category=cat, price=Decimal("9"))
    mug = models.Product.create(sku="M1", name="Mug", category=cat, price=Decimal("5"))
    buyer = models.create_customer({"first_name": "Buyer", "last_name": "One", "email": "buyer@example.com"})
    other = models.create_customer({"first_name": "Other", "last_name": "Two", "email": "other@example.com"})
    models.place_order(buyer.id, [(beans.id, 1)])
    rows = []
    for i in range(30):
        product = beans if i % 3 else mug
        who = buyer if i % 2 else other
        status = "approved" if i % 10 == 9 else "pending"
        rows.append(models.Review.create(
            product=product, customer=who.id, rating=1 + i % 5, title=f"Review {i:02d}",
            body=f"Body of review {i:02d}{' office' if i % 4 == 0 else ''}\nsecond line",
            status=status, created_at=dt.datetime(2024, 1, 1) + dt.timedelta(days=i)))
    return {"beans": beans, "mug": mug, "buyer": buyer, "other": other, "reviews": rows}


def pending_ids(n: int = 100, flt: ReviewFilter = PENDING) -> list[int]:
    return [r.id for r in models.review_page(flt, limit=n)]


def status_of(review_id: int) -> str:
    return models.Review.get_by_id(review_id).status


def events(review_id: int) -> list[tuple[str, str | None, str]]:
    return [(e.status, e.reason, e.actor) for e in models.review_history(review_id)]


def moderation_audits() -> list[dict]:
    return [a.after_data() for a in models.AuditEntry.select()
            .where(models.AuditEntry.action == "review.moderate").order_by(models.AuditEntry.id)]


def detail_text(screen: ReviewsScreen) -> str:
    return screen.query_one("#review-detail", ReviewDetail).text.plain


async def test_moderation_session(shop):
    queue = pending_ids()
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_reviews(pilot)
        table = screen.query_one(ReviewTable)
        assert screen.focused is table
        assert table.current().id == queue[0]
        assert table.total == len(queue) == 27
        assert "Review 00" in detail_text(screen)
        counts = str(screen.query_one("#review-counts", Label).render())
        assert counts == "Pending 27 · Approved 3 · Rejected 0 · Spam 0"

        # Approve: saved, and the next pending review comes up by itself.
        await pilot.press("a")
        await settle(pilot)
        assert status_of(queue[0]) == "approved"
        assert events(queue[0]) == [("approved", None, "tester")]
        assert table.current().id == queue[1]
        assert "Review 01" in detail_text(screen)
        assert str(screen.query_one("#review-counts", Label).render()) == "Pending 26 · Approved 4 · Rejected 0 · Spam 0"

        # Reject with a reason typed in the modal (Tab: the shop has no canned one).
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, RejectModal)
        await pilot.press("tab")
        await type_text(pilot, "Spam link")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        review = models.Review.get_by_id(queue[1])
        assert (review.status, review.reject_reason, review.moderated_by) == ("rejected", "Spam link", "tester")
        assert events(queue[1]) == [("rejected", "Spam link", "tester")]
        assert table.current().id == queue[2]

        # Reject, then change one's mind: Escape cancels and nothing is written.
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert status_of(queue[2]) == "pending" and events(queue[2]) == []
        assert table.current().id == queue[2]

        # Next and previous.
        await pilot.press("j", "j")
        await settle(pilot)
        assert table.current().id == queue[4]
        await pilot.press("k")
        await settle(pilot)
        assert table.current().id == queue[3]

        # Show every status, find the approved one and put it back to pending.
        screen.query_one("#rf-status", Select).value = Select.NULL
        await settle(pilot)
        assert table.total == 30
        await pilot.press("slash")
        await type_text(pilot, "Review 00")
        await pilot.press("enter")
        await settle(pilot)
        assert screen.focused is table
        assert table.total == 1 and table.current().id == queue[0]
        assert "approved by tester" in detail_text(screen)  # the history
        await pilot.press("p")
        await settle(pilot)
        review = models.Review.get_by_id(queue[0])
        assert (review.status, review.moderated_at, review.moderated_by) == ("pending", None, None)
        assert events(queue[0]) == [("approved", None, "tester"), ("pending", None, "tester")]
        # With every status shown, the review stays in the list with its new status.
        assert table.total == 1 and table.current().status == "pending"

    audits = moderation_audits()
    assert [(a["status"], a["reason"], a["changed"], a["selection"]) for a in audits] == [
        ("approved", None, 1, {"ids": [queue[0]]}),
        ("rejected", "Spam link", 1, {"ids": [queue[1]]}),
        ("pending", None, 1, {"ids": [queue[0]]}),
    ]


async def test_auto_advance_skips_to_next_pending_when_all_statuses_show(shop):
    everything = [r.id for r in models.review_page(ReviewFilter(), limit=100)]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_reviews(pilot)
        table = screen.query_one(ReviewTable)
        screen.query_one("#rf-status", Select).value = Select.NULL
        await settle(pilot)
        # Rows 0..8 are pending, row 9 approved: approving row 8 jumps over 9 to 10.
        for _ in range(8):
            await pilot.press("j")
        await settle(pilot)
        assert table.current().id == everything[8]
        await pilot.press("a")
        await settle(pilot)
        assert status_of(everything[8]) == "approved"
        assert status_of(everything[9]) == "approved"
        assert table.current().id == everything[10]


async def test_bulk_approve_ticked(shop):
    queue = pending_ids()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_reviews(pilot)
        table = screen.query_one(ReviewTable)
        await pilot.press("space", "down", "down", "space", "down", "space")
        await settle(pilot)
        assert table.selected_count == 3
        assert "3 ticked" in str(screen.query_one("#review-position", Label).render())
        await pilot.press("A")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await confirm(pilot)
        await settle(pilot)
        assert app.screen is screen
        ticked = {queue[0], queue[2], queue[3]}
        for rid in queue:
            assert status_of(rid) == ("approved" if rid in ticked else "pending")
        assert all(events(rid) == [("approved", None, "tester")] for rid in ticked)
        assert table.selected_count == 0 and table.selection == Selection.none()
        assert table.total == len(queue) - 3
        assert table.current().id == queue[1]
        assert "Approved: 3 reviews." in notifications(app)
    audit = moderation_audits()[-1]
    assert audit["changed"] == 3 and audit["selection"] == {"ids": sorted(ticked)}


async def test_bulk_with_nothing_ticked_says_so(shop):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_reviews(pilot)
        await pilot.press("A")
        await settle(pilot)
        assert app.screen is screen
        assert any("Tick reviews first" in n for n in notifications(app))
    assert moderation_audits() == []


async def test_reject_every_review_matching_a_filter_but_one(shop):
    flt = ReviewFilter(status="pending", text="office")
    matching = pending_ids(flt=flt)
    assert len(matching) == 8
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_reviews(pilot)
        table = screen.query_one(ReviewTable)
        await pilot.press("slash")
        await type_text(pilot, "office")
        await pilot.press("enter")
        await settle(pilot)
        assert table.total == 8
        await pilot.press("t")  # every match, on every page
        await settle(pilot)
        assert table.selected_count == 8
        await pilot.press("space")  # ... except the first
        await settle(pilot)
        assert table.selected_count == 7
        await pilot.press("R")
        await settle(pilot)
        assert isinstance(app.screen, RejectModal)
        await pilot.press("tab")
        await type_text(pilot, "Duplicate")
        await pilot.press("enter")
        await settle(pilot)
        assert table.total == 1 and table.current().id == matching[0]
        assert str(screen.query_one("#review-counts", Label).render()) == "Pending 1 · Approved 0 · Rejected 7 · Spam 0"
    assert status_of(matching[0]) == "pending"
    for rid in matching[1:]:
        review = models.Review.get_by_id(rid)
        assert (review.status, review.reject_reason) == ("rejected", "Duplicate")
    assert models.count_reviews(ReviewFilter(status="pending")) == 27 - 7
    audit = moderation_audits()[-1]
    assert audit["changed"] == 7 and audit["reason"] == "Duplicate"
    assert audit["selection"] == {"and": [{"filter": {"status": "pending", "text": "office"}},
                                          {"not": [{"ids": [matching[0]]}]}]}


async def test_approve_every_match_of_a_product_filter(shop):
    mug_pending = pending_ids(flt=ReviewFilter(status="pending", product_id=shop["mug"].id))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_reviews(pilot)
        table = screen.query_one(ReviewTable)
        screen.query_one("#rf-product", Input).focus()
        await type_text(pilot, "M1")
        await pilot.press("enter")
        await settle(pilot)
        assert table.total == len(mug_pending)
        await pilot.press("t", "A")
        await settle(pilot)
        await confirm(pilot)
        await settle(pilot)
        assert table.total == 0
        assert "No review matches" in detail_text(screen)
    assert all(status_of(rid) == "approved" for rid in mug_pending)
    assert models.count_reviews(ReviewFilter(status="pending", product_id=shop["beans"].id)) == 27 - len(mug_pending)


async def test_filters_and_errors(shop):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_reviews(pilot)
        table = screen.query_one(ReviewTable)
        error = screen.query_one("#rf-error", Label)
        # Customer by email, dates typed as admins type them.
        screen.query_one("#rf-customer", Input).focus()
        await type_text(pilot, "buyer@example.com")
        screen.query_one("#rf-created_from", Input).focus()
        await type_text(pilot, "2024-01-05")
        screen.query_one("#rf-created_to", Input).focus()
        await type_text(pilot, "10 January 2024")
        await pilot.press("enter")
        await settle(pilot)
        expected = models.build_review_filter(status="pending", customer="buyer@example.com",
                                              created_from="2024-01-05", created_to="10 January 2024")
        assert screen.review_filter == expected
        assert table.total == models.count_reviews(expected) == 2
        assert [table._row_at(i).id for i in range(2)] == pending_ids(flt=expected)
        counts = models.review_status_counts(expected)
        assert str(screen.query_one("#review-counts", Label).render()) == (
            f"Pending {counts['pending']} · Approved {counts['approved']} · Rejected {counts['rejected']} · Spam 0")
        # Rating.
        screen.query_one("#rf-rating", Select).value = "2"
        await settle(pilot)
        assert table.total == models.count_reviews(dataclasses_replace(expected, rating=2))
        # A date that cannot be understood: an error, and the list keeps its filter.
        screen.query_one("#rf-created_to", Input).focus()
        await pilot.press("end", "ctrl+u")
        await settle(pilot)  # the emptied field applies: no end date
        before = screen.review_filter
        assert before.created_to is None
        await type_text(pilot, "whenever")
        await pilot.press("enter")
        await settle(pilot)
        assert "To: Cannot understand the date 'whenever'" in str(error.render())
        assert error.has_class("-shown")
        assert screen.review_filter == before
        # An unknown product.
        screen.query_one("#rf-created_to", Input).clear()
        screen.query_one("#rf-product", Input).focus()
        await type_text(pilot, "NOPE")
        await pilot.press("enter")
        await settle(pilot)
        assert "Product: No product with SKU 'NOPE'" in str(error.render())


def dataclasses_replace(flt: ReviewFilter, **changes) -> ReviewFilter:
    import dataclasses
    return dataclasses.replace(flt, **changes)


async def test_rating_chart_for_filter_and_product(shop):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_reviews(pilot)
        chart = screen.query_one(RatingChart)
        assert chart.distribution == models.rating_distribution(PENDING)
        assert chart.caption == "Ratings: pending"
        text = str(chart.render())
        for stars_n, n in models.rating_distribution(PENDING).items():
            assert f"{stars_n}★ " in text and f" {n}" in text
        assert "█" in text
        await pilot.press("c")
        await settle(pilot)
        current = screen.query_one(ReviewTable).current()
        assert chart.caption == f"Ratings: {current.product}"
        assert chart.distribution == models.rating_distribution(ReviewFilter(product_id=current.product_id))


async def test_narrow_terminal_puts_the_review_below_the_queue(shop):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_reviews(pilot)
        assert screen.has_class("-narrow")
        queue = screen.query_one(ReviewTable).region
        detail = screen.query_one("#review-detail").region
        assert detail.y >= queue.bottom
        await pilot.resize_terminal(120, 40)
        await settle(pilot)
        assert screen.has_class("-wide")
        queue = screen.query_one(ReviewTable).region
        detail = screen.query_one("#review-detail").region
        assert detail.x >= queue.right and detail.y == queue.y


async def test_every_action_has_a_described_binding(shop):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_reviews(pilot)
        for cls in (ReviewsScreen, ReviewTable, RejectModal):
            for b in cls.BINDINGS:
                assert b.description, (cls.__name__, b.key)
        described = {b.binding.action for b in screen.active_bindings.values()}
        for action in ("decide('approved')", "reject", "decide('pending')", "approve_ticked", "reject_ticked",
                       "move(1)", "move(-1)", "toggle", "tick_matching", "tick_none", "find"):
            assert action in described, action


async def test_a_read_racing_the_save_cannot_bring_the_review_back(shop, monkeypatch):
    import threading

    queue = pending_ids()
    gate = threading.Event()
    real = models.moderate_reviews

    def slow(*args, **kwargs):
        gate.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(models, "moderate_reviews", slow)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_reviews(pilot)
        table = screen.query_one(ReviewTable)
        await pilot.press("a")
        await pilot.pause(0.05)
        assert table.current().id == queue[1]
        table.reload(keep_position=True)  # reads the queue while the approval is not yet saved
        await pilot.pause(0.5)
        assert status_of(queue[0]) == "pending"
        assert queue[0] not in [r.id for r in table._window.rows]
        assert table.current().id == queue[1]
        gate.set()
        await settle(pilot)
        assert status_of(queue[0]) == "approved"
        assert table.current().id == queue[1] and not table._unsaved


async def test_closing_a_dialog_does_not_reload_the_queue(shop):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_reviews(pilot)
        table = screen.query_one(ReviewTable)
        calls = []
        real = table.reload
        table.reload = lambda **kw: (calls.append(kw), real(**kw))
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert calls == []
        # Back from another area: others may have moderated meanwhile.
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        assert calls == [{"keep_position": True}]


async def test_bulk_decisions_typed_ahead_are_not_taken(shop):
    """A, then the count and Enter in the same burst: the question ignores
    them (they were typed before it was drawn) and asks for the count."""
    queue = pending_ids()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_reviews(pilot)
        table = screen.query_one(ReviewTable)
        await pilot.press("t")  # every pending review
        await settle(pilot)
        assert table.selected_count == len(queue) == 27
        await burst(pilot, "A", "27", "enter")
        dialog = app.screen
        assert isinstance(dialog, ConfirmModal) and dialog.typed == "27"
        assert "27 reviews" in str(dialog.query_one(".dialog-body").render())
        await pilot.press("escape")
        await settle(pilot)
        await burst(pilot, "R", "Spam", "tab", "27", "enter")
        dialog = app.screen
        assert isinstance(dialog, RejectModal)
        assert dialog.query_one("#reason", Input).value == ""
        await pilot.press("escape")
        await settle(pilot)
        assert all(status_of(rid) == "pending" for rid in queue)
        # Typed once the questions are on screen, the reason and the count are taken.
        await burst(pilot, "R")
        await burst(pilot, "tab", "Spam", "enter")
        dialog = app.screen
        assert isinstance(dialog, ConfirmModal) and dialog.typed == "27"
        await burst(pilot, "27", "enter")
        assert app.screen is screen
    assert all(status_of(rid) == "rejected" for rid in queue)
