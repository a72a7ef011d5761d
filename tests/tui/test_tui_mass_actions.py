"""Pilot tests: the Customers list's mass actions (add to a group, remove
from one, move between two, disable, enable) on the rows ticked or on every
customer the filter finds, asserted in the database; keys typed in a burst
never answer the confirmation."""

from __future__ import annotations

from tui_helpers import burst, confirm, make_app, make_db, notifications, open_list, settle

from backroom import models
from backroom.screens.customers import CustomersScreen
from backroom.screens.massactions import GroupChoiceModal
from backroom.tui.dialogs import ConfirmModal


def members(code: str) -> set[int]:
    g = models.get_group_by_code(code)
    return {m.customer_id for m in models.Membership.select().where(models.Membership.group == g.id)}


def disabled_ids() -> set[int]:
    return {c.id for c in models.Customer.select().where(models.Customer.status == "disabled")}


async def pick(pilot, code: str) -> None:
    dialog = pilot.app.screen
    assert isinstance(dialog, GroupChoiceModal), dialog
    index = [g.code for g in dialog.groups].index(code)
    await pilot.press(*(["down"] * index), "enter")
    await settle(pilot)


async def tick_first(pilot, screen: CustomersScreen, n: int) -> list[int]:
    await pilot.press("ctrl+home")
    ids = []
    for _ in range(n):
        ids.append(screen.table._row_at(screen.table._pos).id)
        await pilot.press("space", "down")
    await settle(pilot)
    return ids


async def test_add_then_remove_ticked_rows(tmp_path):
    make_db(tmp_path, 30)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_list(pilot)
        ids = await tick_first(pilot, screen, 3)
        assert len(set(ids)) == 3
        before = members("wholesale")
        await pilot.press("g")
        await settle(pilot)
        await pick(pilot, "wholesale")
        assert isinstance(app.screen, ConfirmModal) and "3 customers" in str(app.screen.question)
        await confirm(pilot)
        assert members("wholesale") == before | set(ids)
        assert any("joined" in n for n in notifications(app))
        await pilot.press("u")
        await settle(pilot)
        await pick(pilot, "wholesale")
        await confirm(pilot)
        assert members("wholesale") == before - set(ids)
        actions = [a.action for a in models.AuditEntry.select().order_by(models.AuditEntry.id)]
        assert actions[-2:] == ["group.assign", "group.unassign"]


async def test_move_ticked_rows_in_one_step(tmp_path):
    make_db(tmp_path, 30)
    vip, _ = models.create_group({"code": "vip", "name": "VIP"})
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_list(pilot)
        ids = await tick_first(pilot, screen, 4)
        models.assign_customers(vip.id, models.Selection.ids(ids[:3]))
        await burst(pilot, "m")
        await pick(pilot, "vip")
        await pick(pilot, "wholesale")
        assert isinstance(app.screen, ConfirmModal)
        await confirm(pilot)
        assert members("vip") == set()
        assert set(ids[:3]) <= members("wholesale")
        (entry,) = models.AuditEntry.select().where(models.AuditEntry.action == "group.move")
        assert entry.after_data()["moved"] == 3


async def test_disable_all_matching_with_a_burst_that_cannot_confirm(tmp_path):
    make_db(tmp_path, 30)
    target = models.Customer.select().order_by(models.Customer.id).first()
    last = target.last_name
    matching = {c.id for c in models.Customer.select().where(models.Customer.last_name == last)}
    was_disabled = disabled_ids()
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_list(pilot)
        # Filter, tick all matching, ask to disable, and an Enter and a Tab Enter typed ahead:
        # the dialog drops what came before it was up.
        await burst(pilot, "slash", last, "enter", "ctrl+a", "d", "tab", "enter", "enter")
        assert isinstance(app.screen, ConfirmModal), app.screen
        assert f"{len(matching):,} customer" in str(app.screen.question)
        assert disabled_ids() == was_disabled  # nothing typed ahead confirmed it
        await confirm(pilot)
        assert app.screen is screen
        assert disabled_ids() == was_disabled | matching
        await burst(pilot, "D")
        await confirm(pilot)
        assert disabled_ids() == was_disabled - matching


async def test_nothing_ticked_asks_for_ticks(tmp_path):
    make_db(tmp_path, 10)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_list(pilot)
        await burst(pilot, "g")
        assert app.screen is screen
        assert any("Tick the customers" in n for n in notifications(app))
        await burst(pilot, "escape")  # a dialog would need it; nothing to close
