"""Snapshots of the review-moderation screen at 80×24 and 120×40.

Deterministic: a fixed seed and a fixed "today" for the demo data, a fixed
database label, and no clock on screen (no decision is taken, so no
moderation time of today shows).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from backroom import models
from tui_helpers import SIZES, take_snapshot, TODAY, make_db, type_text



@pytest.fixture
def seeded(tmp_path):
    make_db(tmp_path, 120)
    models.seed_reviews(400, rng_seed=5, today=TODAY)


def snap(snap_compare, size, *keys_and_steps):
    take_snapshot(snap_compare, size, "f4", *keys_and_steps)


@pytest.mark.parametrize("size", SIZES)
def test_queue_with_detail(seeded, snap_compare, size):
    snap(snap_compare, size, "down")


@pytest.mark.parametrize("size", SIZES)
def test_reject_modal(seeded, snap_compare, size):
    """The chooser: the shop's reasons by number, and one typed after Tab."""
    for name in ("Off topic", "Advertising or links", "Rude [bold]language[/bold]"):
        models.add_review_reason(name)

    async def reason(pilot):
        await type_text(pilot, "Off-topic")

    snap(snap_compare, size, "r", "tab", reason)


@pytest.mark.parametrize("size", SIZES)
def test_spam_with_reply(seeded, snap_compare, size):
    """A review marked spam, with the shop's reply in the detail (no clock:
    the reply's date is fixed)."""
    first = models.review_page(models.ReviewFilter(status="pending"), limit=1)[0]
    models.set_review_reply(first.id, "Thank you! [b]We[/b] fixed the grinder.", actor="shop")
    models.Review.update(reply_at=dt.datetime(2026, 11, 2, 9, 30)).where(models.Review.id == first.id).execute()

    async def spam_view(pilot):
        from textual.widgets import Select
        pilot.app.screen.query_one("#rf-status", Select).value = "spam"

    models.Review.update(status="spam", moderated_at=dt.datetime(2026, 11, 2, 9, 0), moderated_by="mod").where(
        models.Review.id == first.id).execute()
    snap(snap_compare, size, spam_view, "escape")


@pytest.mark.parametrize("size", SIZES)
def test_rule_dialog(seeded, snap_compare, size):
    models.add_review_reason("Off topic")

    async def stars(pilot):
        await type_text(pilot, "4")

    snap(snap_compare, size, "u", stars)


@pytest.mark.parametrize("size", SIZES)
def test_reasons_dialog(seeded, snap_compare, size):
    for name in ("Off topic", "Advertising or links", "Rude language"):
        models.add_review_reason(name)
    snap(snap_compare, size, "m")


@pytest.mark.parametrize("size", SIZES)
def test_bulk_ticks(seeded, snap_compare, size):
    snap(snap_compare, size, "space", "down", "space", "down", "down", "space")


@pytest.mark.parametrize("size", SIZES)
def test_filtered_with_product_chart(seeded, snap_compare, size):
    async def find(pilot):
        await pilot.press("slash")
        await type_text(pilot, "office")
        await pilot.press("enter")

    snap(snap_compare, size, find, "c")


@pytest.mark.parametrize("size", SIZES)
def test_hostile_review(tmp_path, snap_compare, size):
    make_db(tmp_path, 0)
    cat = models.Category.create(name="Tea", slug="tea")
    product = models.Product.create(sku="T1", name="Tea [bold]loud[/bold]", category=cat, price=Decimal("3"))
    c = models.create_customer({"first_name": "Mallory", "email": "m@example.com"})
    models.Customer.update(first_name="Mal\x1b[31mlory\x1b]0;title\x07", last_name="‮evil").where(
        models.Customer.id == c.id).execute()
    models.Review.create(
        product=product, customer=c.id, rating=1, title="[link=https://evil.example/]Click[/link] \x1b[2J",
        body="مرحبا — שלום 👍🏽🎉\n\x1b]8;;https://evil.example/\x1b\\link\x1b]8;;\x1b\\ \x9b31m\x00\n" + "W" * 300,
        created_at=dt.datetime(2024, 1, 1))
    snap(snap_compare, size)


@pytest.mark.parametrize("size", SIZES)
def test_status_drop_down_open(seeded, snap_compare, size):
    snap(snap_compare, size, "slash", "tab", "enter")
