"""Snapshots of the Customers screens at 80×24 and 120×40.

Deterministic: a fixed seed and "today" for the demo data, and one customer
(Ada) whose orders, points and reviews carry fixed dates.
"""

from __future__ import annotations

import datetime as dt

import pytest

from backroom import models
from backroom.datalayer import passwords
from tui_helpers import SIZES, take_snapshot, TODAY, make_db, settle, type_text

AT = dt.datetime(2024, 6, 1, 9, 30)


@pytest.fixture
def seeded(tmp_path):
    make_db(tmp_path, 300)
    ada = models.create_customer(
        {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "phone": "+44 20 7946 0000"},
        billing={"name": "Ada Lovelace", "line1": "12 St James Square", "city": "London", "postcode": "SW1Y 4JH",
                 "country": "GB"}, registered_at=TODAY - dt.timedelta(days=400))
    hidden, _ = models.create_group({"code": "insiders", "name": "Insiders", "hidden": True})
    models.assign_customers(hidden.id, models.Selection.ids([ada.id]))
    products = list(models.Product.select().order_by(models.Product.id).limit(3))
    for i, p in enumerate(products):
        models.place_order(ada.id, [(p.id, i + 1)], placed_at=AT + dt.timedelta(days=30 * i))
    # Orders get random numbers: make them fixed.
    for i, o in enumerate(models.Order.select().where(models.Order.customer == ada.id).order_by(models.Order.id)):
        models.Order.update(number=f"BR-ADA-{i + 1:03d}").where(models.Order.id == o.id).execute()
    models.adjust_reward_points(ada.id, 120, "Welcome bonus")
    models.adjust_reward_points(ada.id, -20, "Returned a parcel")
    for i, e in enumerate(models.RewardPointEntry.select().where(models.RewardPointEntry.customer == ada.id)
                          .order_by(models.RewardPointEntry.id)):
        models.RewardPointEntry.update(created_at=AT + dt.timedelta(days=i)).where(
            models.RewardPointEntry.id == e.id).execute()
    for i, (status, title) in enumerate((("approved", "Lovely beans"), ("pending", "[bold]Not markup[/]"),
                                         ("rejected", "Arrived late"))):
        models.Review.create(product=products[i].id, customer=ada.id, rating=5 - i, title=title,
                             body="Very good.\nWould buy again.", status=status,
                             created_at=AT + dt.timedelta(days=i))


def snap(snap_compare, size, *keys_and_steps):
    take_snapshot(snap_compare, size, "f2", *keys_and_steps)


async def find_ada(pilot):
    await pilot.press("slash")
    await type_text(pilot, "ada@")
    await pilot.press("enter")
    await settle(pilot)


OPEN_ADA = (find_ada, "enter")


@pytest.mark.parametrize("size", SIZES)
def test_customers_list(seeded, snap_compare, size):
    snap(snap_compare, size, "down", "down")


@pytest.mark.parametrize("size", SIZES)
def test_customers_list_sorted_by_spent(seeded, snap_compare, size):
    snap(snap_compare, size, *["s"] * 6, "r")


@pytest.mark.parametrize("size", SIZES)
def test_new_customer_form(seeded, snap_compare, size):
    async def fill(pilot):
        await type_text(pilot, "Grace")
        await pilot.press("tab", "tab")
        await type_text(pilot, "not-an-email")

    snap(snap_compare, size, "a", fill, "ctrl+s")


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("tab", [0, 1, 2, 3, 4, 5], ids=["account", "addresses", "groups", "orders", "rewards",
                                                          "reviews"])
def test_customer_tab(seeded, snap_compare, size, tab):
    snap(snap_compare, size, *OPEN_ADA, *["ctrl+n"] * tab)


@pytest.mark.parametrize("size", SIZES)
def test_password_shown_once(seeded, snap_compare, size, monkeypatch):
    # The data layer generates it (datalayer/passwords.py): a fixed one for the snapshot.
    monkeypatch.setattr(passwords, "generate_password", lambda length=14: "Tmp9pass7word3")
    snap(snap_compare, size, *OPEN_ADA, "f6", "enter")


@pytest.mark.parametrize("size", SIZES)
def test_erase_dialog(seeded, snap_compare, size):
    snap(snap_compare, size, *OPEN_ADA, "f8")
