"""Snapshots of what a group grants: the Access tab, Guest's access, Explain,
the rules editor and the outbox, at 80×24 and 120×40.

Deterministic: a fixed seed and "today" for the demo data, a fixed database
label, fixed notification times, and rules that do not depend on the date.
"""

from __future__ import annotations

import datetime as dt

import pytest

from backroom import models
from tui_helpers import SIZES, take_snapshot, highlight_group, make_db, settle, type_text



@pytest.fixture
def seeded(tmp_path):
    make_db(tmp_path, 300)
    g, _ = models.create_group({"code": "vip", "name": "VIP", "discount_percent": "5", "hidden": True})
    coffee = models.Category.get(models.Category.slug == "coffee")
    sacks = models.Category.get(models.Category.slug == "wholesale-sacks")
    models.set_category_access(g.id, [sacks.id])
    models.set_category_discount(g.id, coffee.id, "12.5")
    models.set_rules(g.id, "any", [{"field": "total_spent", "op": ">=", "value": "300"},
                                   {"field": "order_count", "op": ">=", "value": "5"}])
    first = [r.id for r in models.customer_page(models.CustomerFilter(), sort="name", limit=3)]
    wholesale = models.get_group_by_code("wholesale")
    models.update_group(wholesale.id, {"discount_percent": "10"}, expected_version=wholesale.version)
    models.assign_customers(wholesale.id, models.Selection.ids(first))
    models.Notification.update(created_at=dt.datetime(2025, 1, 1, 12, 0)).execute()
    return g


def snap(snap_compare, size, *keys_and_steps):
    take_snapshot(snap_compare, size, *keys_and_steps)


def to(code):
    async def go(pilot):
        await highlight_group(pilot, code)

    return go


@pytest.mark.parametrize("size", SIZES)
def test_access_tab(seeded, snap_compare, size):
    snap(snap_compare, size, to("vip"), "c")


@pytest.mark.parametrize("size", SIZES)
def test_guest_access(seeded, snap_compare, size):
    snap(snap_compare, size, to("guest"), "c")


@pytest.mark.parametrize("size", SIZES)
def test_explain(seeded, snap_compare, size):
    customer = models.customer_page(models.CustomerFilter(group_id=models.get_group_by_code("wholesale").id),
                                    sort="name", limit=1)[0]

    async def pick(pilot):
        await type_text(pilot, customer.email)
        await settle(pilot)
        await pilot.press("enter")

    snap(snap_compare, size, "x", pick, "enter", "down", "down", "enter")


@pytest.mark.parametrize("size", SIZES)
def test_rules_editor(seeded, snap_compare, size):
    snap(snap_compare, size, to("vip"), "u")


@pytest.mark.parametrize("size", SIZES)
def test_rules_error(seeded, snap_compare, size):
    async def bad(pilot):
        await pilot.press("tab", "tab", "end", "ctrl+u")
        await type_text(pilot, "lots")

    snap(snap_compare, size, to("vip"), "u", bad, "ctrl+s")


@pytest.mark.parametrize("size", SIZES)
def test_outbox(seeded, snap_compare, size):
    snap(snap_compare, size, "o")
