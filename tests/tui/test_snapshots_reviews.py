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
    async def reason(pilot):
        await type_text(pilot, "Off-topic")

    snap(snap_compare, size, "r", reason)


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
