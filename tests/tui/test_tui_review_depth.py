"""Pilot tests of moderation beyond approve/reject, pressed as an admin
would (bursts too) and checked in the database: spam, the reject chooser's
canned reasons, the reasons' dialog, the public reply, the verified filter,
the auto-approve rule, undo, and the same keys in every view of the queue."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from textual.widgets import Label, Select
from tui_helpers import burst, clear_input, confirm, make_app, make_db, notifications, open_reviews, settle, type_text

from backroom import models
from backroom.models import ReviewFilter, Selection
from backroom.screens.reviewdialogs import ReasonsModal, RejectModal, ReplyModal, RuleModal
from backroom.screens.reviews import ReviewDetail, ReviewsScreen
from backroom.tui.dialogs import ConfirmModal
from backroom.tui.reviewtable import ReviewTable
from backroom.tui.safetextarea import SafeTextArea


@pytest.fixture
def shop(tmp_path):
    """30 reviews: the buyer bought the beans (one order cancelled: the mug),
    a few already approved, rejected or spam."""
    make_db(tmp_path, 0)
    cat = models.Category.create(name="Coffee", slug="coffee")
    beans = models.Product.create(sku="B1", name="Beans", category=cat, price=Decimal("9"))
    mug = models.Product.create(sku="M1", name="Mug", category=cat, price=Decimal("5"))
    buyer = models.create_customer({"first_name": "Buyer", "last_name": "One", "email": "buyer@example.com"})
    other = models.create_customer({"first_name": "Other", "last_name": "Two", "email": "other@example.com"})
    models.place_order(buyer.id, [(beans.id, 1)])
    cancelled = models.place_order(buyer.id, [(mug.id, 1)])
    models.Order.update(status="cancelled").where(models.Order.id == cancelled.id).execute()
    rows = []
    for i in range(30):
        status = {9: "approved", 19: "rejected", 29: "spam", 28: "spam"}.get(i, "pending")
        rows.append(models.Review.create(
            product=beans if i % 3 else mug, customer=(buyer if i % 2 else other).id, rating=1 + i % 5,
            title=f"Review {i:02d}", body=f"Body of review {i:02d}", status=status,
            created_at=dt.datetime(2024, 1, 1) + dt.timedelta(days=i)))
    return {"beans": beans, "mug": mug, "buyer": buyer, "other": other, "reviews": rows}


def status_of(review_id: int) -> str:
    return models.Review.get_by_id(review_id).status


def history(review_id: int) -> list[tuple]:
    return [(e.status, e.reason, e.prev_status) for e in models.review_history(review_id)]


async def show_status(pilot, screen: ReviewsScreen, status: str | None, verified: bool = False) -> None:
    screen.query_one("#rf-status", Select).value = status or Select.NULL
    screen.query_one("#rf-verified", Select).value = "yes" if verified else Select.NULL
    await settle(pilot)
    screen.query_one(ReviewTable).focus()
    await settle(pilot)


def detail_text(screen: ReviewsScreen) -> str:
    return screen.query_one("#review-detail", ReviewDetail).text.plain


async def test_spam_and_not_spam(shop):
    queue = [r.id for r in models.review_page(ReviewFilter(status="pending"), limit=100)]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_reviews(pilot)
        table = screen.query_one(ReviewTable)
        await burst(pilot, "s", "s", "s")  # three in a row, typed ahead
        assert [status_of(i) for i in queue[:4]] == ["spam", "spam", "spam", "pending"]
        assert history(queue[0]) == [("spam", None, "pending")]
        assert table.current().id == queue[3]
        assert "Spam 5" in str(screen.query_one("#review-counts", Label).render())
        await show_status(pilot, screen, "spam")
        assert table.total == 5
        first = table.current()
        assert first.status == "spam" and "[spam]" in detail_text(screen)
        await pilot.press("s")  # not spam: back to pending, out of this view
        await settle(pilot)
        assert status_of(first.id) == "pending" and table.total == 4
        assert history(first.id)[-1] == ("pending", None, "spam")


async def test_the_same_keys_in_every_view_and_while_reading(shop):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_reviews(pilot)
        table = screen.query_one(ReviewTable)
        for status, verified in ((None, False), ("pending", False), ("approved", False), ("rejected", False),
                                 ("spam", False), (None, True)):
            models.moderate_reviews(Selection.ids([r.id for r in models.review_page(limit=3)]), "approved")
            models.moderate_reviews(Selection.ids([r.id for r in models.review_page(limit=2, offset=3)]),
                                    "rejected")
            await show_status(pilot, screen, status, verified)
            view = f"{status} verified={verified}"
            assert table.total and table.total >= 2, view
            await pilot.press("j")
            await settle(pilot)
            assert table._pos == 1, view
            await pilot.press("k")
            await settle(pilot)
            assert table._pos == 0, view
            for key, wanted in (("s", "spam"), ("a", "approved")):
                row = table.current()
                if row.status == wanted:  # on a review already so: says so and moves on
                    await pilot.press("j")
                    await settle(pilot)
                    row = table.current()
                await pilot.press(key)
                await settle(pilot)
                expected = "pending" if key == "s" and row.status == "spam" else wanted
                assert status_of(row.id) == expected, (view, key)
            # r asks for a reason in every view (Esc: nothing changes).
            row = table.current()
            if row is not None and row.status != "rejected":
                await pilot.press("r")
                await settle(pilot)
                assert isinstance(app.screen, RejectModal), view
                await pilot.press("escape")
                await settle(pilot)
                assert status_of(row.id) == row.status
        # While reading the review in full (d): the same keys.
        await show_status(pilot, screen, "pending")
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(screen.focused, ReviewDetail)
        row = table.current()
        await pilot.press("a")
        await settle(pilot)
        assert status_of(row.id) == "approved"
        await pilot.press("d")
        await settle(pilot)
        row = table.current()
        await pilot.press("s")
        await settle(pilot)
        assert status_of(row.id) == "spam"
        await pilot.press("d")
        await settle(pilot)
        before = table._pos
        await pilot.press("j")
        await settle(pilot)
        assert table._pos == before + 1
        row = table.current()
        await pilot.press("d", "r")
        await settle(pilot)
        assert isinstance(app.screen, RejectModal)
        await pilot.press("enter")
        await settle(pilot)
        assert status_of(row.id) == "rejected"


async def test_reject_with_a_canned_reason_by_its_number(shop):
    for name in ("Off topic", "Advertising", "Rude"):
        models.add_review_reason(name)
    queue = [r.id for r in models.review_page(ReviewFilter(status="pending"), limit=100)]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_reviews(pilot)
        await pilot.press("r")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, RejectModal)
        shown = str(dialog.query_one("#reason-keys").render())
        assert "1 Off topic" in shown and "3 Rude" in shown
        await pilot.press("2")
        await settle(pilot)
        assert app.screen is screen
        assert (status_of(queue[0]), models.Review.get_by_id(queue[0]).reject_reason) == ("rejected", "Advertising")
        assert history(queue[0]) == [("rejected", "Advertising", "pending")]
        # A digit typed ahead with r never picks a reason: the chooser waits.
        await burst(pilot, "r", "1")
        assert isinstance(app.screen, RejectModal) and status_of(queue[1]) == "pending"
        await pilot.press("9")  # no ninth reason: nothing
        await settle(pilot)
        assert isinstance(app.screen, RejectModal)
        await pilot.press("enter")  # no reason
        await settle(pilot)
        got = models.Review.get_by_id(queue[1])
        assert (got.status, got.reject_reason) == ("rejected", None)
        # The reason shows in the detail of a rejected review.
        await show_status(pilot, screen, "rejected")
        assert screen.query_one(ReviewTable).current().id == queue[0]
        assert "Reason    Advertising" in detail_text(screen)


async def test_the_shop_manages_its_reasons(shop):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_reviews(pilot)
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(app.screen, ReasonsModal)
        for name in ("Off topic", "Spam link"):
            await pilot.press("n")
            await settle(pilot)
            await type_text(pilot, name)
            await pilot.press("enter")
            await settle(pilot)
        assert [r.name for r in models.list_review_reasons()] == ["Off topic", "Spam link"]
        await pilot.press("e")  # the new one is highlighted
        await settle(pilot)
        await clear_input(pilot)
        await type_text(pilot, "Advertising")
        await pilot.press("enter")
        await settle(pilot)
        assert [r.name for r in models.list_review_reasons()] == ["Off topic", "Advertising"]
        await pilot.press("up", "delete")
        await settle(pilot)
        await confirm(pilot)
        assert [r.name for r in models.list_review_reasons()] == ["Advertising"]
        # A name taken already: refused, said, nothing added.
        await pilot.press("n")
        await settle(pilot)
        await type_text(pilot, "ADVERTISING")
        await pilot.press("enter")
        await settle(pilot)
        assert [r.name for r in models.list_review_reasons()] == ["Advertising"]
        assert any("already" in n for n in notifications(app))
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
    actions = [e.action for e in models.AuditEntry.select().order_by(models.AuditEntry.id)]
    assert actions.count("review.reason.add") == 2 and "review.reason.delete" in actions


async def test_public_reply_is_saved_and_shown_inert(shop):
    queue = [r.id for r in models.review_page(ReviewFilter(status="pending"), limit=100)]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_reviews(pilot)
        await burst(pilot, "w", "Thanks")  # the text typed ahead goes into the box
        assert isinstance(app.screen, ReplyModal)
        assert app.screen.query_one("#reply", SafeTextArea).text == "Thanks"
        await type_text(pilot, " [bold]for[/bold] this!")
        await pilot.press("ctrl+s")
        await settle(pilot)
        got = models.Review.get_by_id(queue[0])
        assert (got.reply, got.reply_by, got.status) == ("Thanks [bold]for[/bold] this!", "tester", "pending")
        text = detail_text(screen)
        assert "Shop's reply" in text and "Thanks [bold]for[/bold] this!" in text
        # Emptied: the reply is removed.
        await pilot.press("w")
        await settle(pilot)
        await pilot.press("f7", "delete", "tab", "enter")  # select all, delete, Tab to Save, Enter
        await settle(pilot)
        assert models.Review.get_by_id(queue[0]).reply is None
        assert "Shop's reply" not in detail_text(screen)


async def test_verified_only_view(shop):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_reviews(pilot)
        table = screen.query_one(ReviewTable)
        await show_status(pilot, screen, "pending", verified=True)
        expected = models.count_reviews(ReviewFilter(status="pending", verified=True))
        assert table.total == expected > 0
        assert all(table._row_at(i).verified for i in range(expected))
        assert "verified purchase" in detail_text(screen)


async def test_auto_approve_rule_previewed_and_applied(shop):
    rule = models.ReviewRule(4, verified=True)
    would = models.preview_review_rule(rule)
    assert would > 0
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_reviews(pilot)
        await pilot.press("u")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, RuleModal)
        await type_text(pilot, "4")
        await settle(pilot)
        shown = str(dialog.query_one("#rule-preview", Label).render())
        assert f"would approve {would:,} pending review" in shown
        await pilot.press("tab", "tab", "tab")  # the checkbox, Save, Apply now
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await confirm(pilot)
        assert app.screen is screen
        assert models.review_rule() == rule
        assert models.count_reviews(ReviewFilter(status="pending", rating=4, verified=True)) == 0
        assert models.count_reviews(ReviewFilter(status="pending", rating=5, verified=True)) == 0
        # ctrl+z undoes the rule applied too (asked first: many reviews).
        await pilot.press("ctrl+z")
        await settle(pilot)
        await confirm(pilot)
        assert models.preview_review_rule(rule) == would


async def test_undo_a_decision_typed_ahead_and_a_bulk_one(shop):
    queue = [r.id for r in models.review_page(ReviewFilter(status="pending"), limit=100)]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_reviews(pilot)
        table = screen.query_one(ReviewTable)
        await burst(pilot, "a", "ctrl+z")  # undo waits for the approval to be saved
        assert status_of(queue[0]) == "pending"
        review = models.Review.get_by_id(queue[0])
        assert (review.moderated_at, review.moderated_by) == (None, None)
        assert history(queue[0]) == [("approved", None, "pending"), ("pending", None, "approved")]
        await pilot.press("ctrl+z")  # undone already: said, nothing changes
        await settle(pilot)
        assert any("undone already" in n for n in notifications(app))
        # Reject one with a reason, then approve every pending review; undo brings back both.
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("tab")  # typed once the chooser is up (before, it is dropped)
        await type_text(pilot, "Rude")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("t", "A")
        await settle(pilot)
        await confirm(pilot)
        assert models.count_reviews(ReviewFilter(status="pending")) == 0
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await confirm(pilot)
        assert models.count_reviews(ReviewFilter(status="pending")) == len(queue) - 1
        got = models.Review.get_by_id(queue[0])
        assert (got.status, got.reject_reason) == ("rejected", "Rude")
        assert table.total == len(queue) - 1
        # Changed by someone else since: refused, nothing undone.
        await pilot.press("a")
        await settle(pilot)
        target = models.review_page(ReviewFilter(status="approved"), limit=100)
        changed = [r.id for r in target if r.moderated_by == "tester"][-1]
        models.moderate_reviews(Selection.ids([changed]), "spam", actor="someone")
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert status_of(changed) == "spam"
        assert any("changed since" in n for n in notifications(app))
    undos = models.AuditEntry.select().where(models.AuditEntry.action == "review.undo").count()
    assert undos == 2
