"""Snapshots of each groups screen at 80×24 and 120×40.

Deterministic: a fixed seed and a fixed "today" for the demo data, a fixed
database label, and no clock on screen.
"""

from __future__ import annotations

import pytest

from tui_helpers import SIZES, take_snapshot, highlight_group, make_db, type_text



@pytest.fixture
def seeded(tmp_path):
    make_db(tmp_path, 300)


def snap(snap_compare, size, *keys_and_steps):
    take_snapshot(snap_compare, size, *keys_and_steps)


@pytest.mark.parametrize("size", SIZES)
def test_groups_list(seeded, snap_compare, size):
    snap(snap_compare, size)


@pytest.mark.parametrize("size", SIZES)
def test_add_general_tab(seeded, snap_compare, size):
    async def fill(pilot):
        await type_text(pilot, "vip")
        await pilot.press("tab")
        await type_text(pilot, "Very important")

    snap(snap_compare, size, "a", fill)


@pytest.mark.parametrize("size", SIZES)
def test_add_customers_tab(seeded, snap_compare, size):
    snap(snap_compare, size, "a", "ctrl+n", "space", "shift+down", "down")


@pytest.mark.parametrize("size", SIZES)
def test_view(seeded, snap_compare, size):
    async def go(pilot):
        await highlight_group(pilot, "wholesale")

    snap(snap_compare, size, go, "v")


@pytest.mark.parametrize("size", SIZES)
def test_delete_confirm(seeded, snap_compare, size):
    async def go(pilot):
        await highlight_group(pilot, "wholesale")

    snap(snap_compare, size, go, "d")


@pytest.mark.parametrize("size", SIZES)
def test_validation_errors(seeded, snap_compare, size):
    async def fill(pilot):
        await type_text(pilot, "Bad Code")
        await pilot.press("tab", "tab", "tab", "tab", "end", "ctrl+u")
        await type_text(pilot, "150")

    snap(snap_compare, size, "a", fill, "ctrl+s")
