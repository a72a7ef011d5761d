"""Pilot tests: ticking groups on the list and deleting them together,
checked in the database."""

from __future__ import annotations

import pytest

from tui_helpers import (SIZES, burst, confirm, group, highlight_group, make_app, make_db, notifications, settle,
                         take_snapshot, type_text)

from backroom import models
from backroom.screens.groups import GroupsScreen
from backroom.tui.dialogs import ConfirmModal


def exists(code: str) -> bool:
    return models.CustomerGroup.select().where(models.CustomerGroup.code == code).exists()


@pytest.fixture
def groups(tmp_path):
    make_db(tmp_path, 20)
    ids = [r.id for r in models.customer_page(models.CustomerFilter(), sort="name", limit=5)]
    models.create_group({"code": "bronze", "name": "Bronze"}, members=models.Selection.ids(ids[:2]))
    models.create_group({"code": "silver", "name": "Silver"}, members=models.Selection.ids(ids[:5]))
    models.create_group({"code": "gold", "name": "Gold"})


async def tick(pilot, *codes: str) -> None:
    for code in codes:
        await highlight_group(pilot, code)
        await pilot.press("space")
        await settle(pilot)


async def test_tick_two_and_delete_them_together(groups):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, GroupsScreen)
        await tick(pilot, "bronze", "silver")
        assert screen.ticked == {group("bronze").id, group("silver").id}
        assert "2 of 6 ticked" in str(screen.query_one("#groups-status").render())
        await pilot.press("d")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ConfirmModal) and dialog.typed == "2"
        question = str(dialog.query_one(".dialog-body").render())
        assert "Bronze (bronze): 2 members" in question and "Silver (silver): 5 members" in question
        assert "7 memberships" in question
        await pilot.press("escape")  # kept
        await settle(pilot)
        assert exists("bronze") and exists("silver")
        assert screen.ticked  # still ticked
        await pilot.press("d")
        await settle(pilot)
        await confirm(pilot)
        assert app.screen is screen
        assert not screen.ticked
        assert [r.code for r in screen.rows] == ["general", "gold", "guest", "wholesale"]
        assert any("Deleted 2 groups: 7 memberships removed" in m for m in notifications(app))
    assert not exists("bronze") and not exists("silver") and exists("gold")
    assert models.AuditEntry.select().where(models.AuditEntry.action == "group.delete").count() == 2


async def test_guest_and_general_are_not_ticked(groups):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        await tick(pilot, "guest", "general")
        assert screen.ticked == set()
        messages = notifications(app)
        assert any("Guest is a system group" in m for m in messages)
        assert any("General is the default group" in m for m in messages)
        # Space again on a ticked group unticks it; n unticks all.
        await tick(pilot, "gold", "gold", "bronze", "silver")
        assert screen.ticked == {group("bronze").id, group("silver").id}
        await pilot.press("n")
        await settle(pilot)
        assert screen.ticked == set()


async def test_a_burst_ticks_and_asks_but_the_keys_typed_ahead_do_not_answer(groups):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        await highlight_group(pilot, "bronze")  # by name: bronze, general, gold, guest, silver, wholesale
        # space ticks bronze and moves down to General; down to gold, ticked.
        await burst(pilot, "space", "down", "space", "d", "2", "enter")
        assert screen.ticked == {group("bronze").id, group("gold").id}
        assert isinstance(app.screen, ConfirmModal)  # "2" and Enter came before it was drawn: dropped
        assert exists("bronze") and exists("gold")
        await type_text(pilot, "2")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
    assert not exists("bronze") and not exists("gold") and exists("silver")


async def test_a_ticked_group_changed_meanwhile_deletes_none(groups):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await tick(pilot, "bronze", "gold")
        await pilot.press("d")
        await settle(pilot)
        gold = group("gold")
        models.update_group(gold.id, {"name": "Gold 2"}, expected_version=gold.version)  # another admin
        await confirm(pilot)
        assert any("Someone else changed" in m for m in notifications(app))
    assert exists("bronze") and exists("gold")


@pytest.mark.parametrize("size", SIZES)
def test_delete_ticked_question(groups, snap_compare, size):
    async def ticks(pilot):
        await tick(pilot, "bronze", "silver")

    take_snapshot(snap_compare, size, ticks, "d")
