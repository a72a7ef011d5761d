"""Pilot tests: ctrl+z on the Customers list and on a group's View undoes
the admin's own last change of members there, after a confirmation that
says what; ``u`` on a History entry undoes that one — asserted in the
database; keys typed in a burst never answer the confirmation."""

from __future__ import annotations

import datetime as dt

import pytest
from tui_helpers import SIZES, burst, confirm, make_app, make_db, notifications, open_list, settle, take_snapshot

from backroom import models
from backroom.screens.groups.view import GroupViewScreen
from backroom.screens.history import HistoryScreen
from backroom.tui.dialogs import ConfirmModal


def members(code: str) -> set[int]:
    g = models.get_group_by_code(code)
    return {m for (m,) in models.Membership.select(models.Membership.customer)
            .where(models.Membership.group == g.id).tuples()}


def undos() -> list[models.AuditEntry]:
    return list(models.AuditEntry.select().where(models.AuditEntry.action == "membership.undo"))


def ids(n: int) -> list[int]:
    return [c for (c,) in models.Customer.select(models.Customer.id).order_by(models.Customer.id).limit(n).tuples()]


async def test_ctrl_z_on_the_customers_list_undoes_my_last_assign(tmp_path):
    make_db(tmp_path, 30)
    wholesale = models.get_group_by_code("wholesale")
    before = members("wholesale")
    chosen = [c for c in ids(30) if c not in before][:5]
    models.assign_customers(wholesale.id, models.Selection.ids(chosen[:2]), actor="someone-else")
    models.assign_customers(wholesale.id, models.Selection.ids(chosen[2:]))  # mine ("tester")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_list(pilot)
        await burst(pilot, "ctrl+z", "tab", "enter")  # typed ahead: never the answer
        dialog = app.screen
        assert isinstance(dialog, ConfirmModal)
        assert str(dialog.question).startswith("Undo: 3 customers added to Wholesale by tester at ")
        assert members("wholesale") == before | set(chosen)
        await confirm(pilot)
        assert not isinstance(app.screen, ConfirmModal)
        assert members("wholesale") == before | set(chosen[:2])  # only mine went
        assert len(undos()) == 1 and undos()[0].actor == "tester"
        assert any(n.startswith("Undone: 3 customers added to Wholesale") for n in notifications(app))
        await burst(pilot, "ctrl+z")  # undone already: said, nothing asked
        assert not isinstance(app.screen, ConfirmModal)
        assert any(n.startswith("Already undone") for n in notifications(app))
        assert len(undos()) == 1


async def test_ctrl_z_on_a_group_view_asks_and_escape_keeps_it(tmp_path):
    make_db(tmp_path, 30)
    wholesale = models.get_group_by_code("wholesale")
    vip, _ = models.create_group({"code": "vip", "name": "VIP"})
    models.assign_customers(vip.id, models.Selection.all())
    models.unassign_customers(wholesale.id, models.Selection.ids(ids(30)))  # mine, of another group
    everyone = members("vip")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await app.push_screen(GroupViewScreen(vip.id))
        await settle(pilot)
        await burst(pilot, "ctrl+z")
        assert isinstance(app.screen, ConfirmModal)
        assert "30 customers added to VIP" in str(app.screen.question)  # this group's, not the last one
        await burst(pilot, "escape")
        assert isinstance(app.screen, GroupViewScreen) and members("vip") == everyone and not undos()
        await burst(pilot, "ctrl+z")
        await confirm(pilot)
        assert members("vip") == set() and len(undos()) == 1


async def test_u_on_a_history_entry_undoes_that_change(tmp_path):
    make_db(tmp_path, 30)
    wholesale = models.get_group_by_code("wholesale")
    gone = [c for c in ids(30) if c in members("wholesale")][:3]
    assert len(gone) == 3
    models.unassign_customers(wholesale.id, models.Selection.ids(gone), actor="ann")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f9")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, HistoryScreen)
        assert screen.table.current().action == "group.unassign"
        await burst(pilot, "u", "enter")
        assert isinstance(app.screen, ConfirmModal)
        assert str(app.screen.question).startswith("Undo: 3 customers removed from Wholesale by ann at ")
        await confirm(pilot)
        assert set(gone) <= members("wholesale") and len(undos()) == 1
        await pilot.press("ctrl+home")
        await settle(pilot)
        assert screen.table.current().action == "membership.undo"
        await burst(pilot, "u")  # an undo is not undone
        assert not isinstance(app.screen, ConfirmModal)
        assert any("Only a change of members" in n for n in notifications(app))


@pytest.fixture
def undo_ready(tmp_path):
    make_db(tmp_path, 300)
    wholesale = models.get_group_by_code("wholesale")
    models.assign_customers(wholesale.id, models.Selection.all())
    models.MembershipChange.update(at=dt.datetime(2024, 6, 1, 14, 2)).execute()


@pytest.mark.parametrize("size", SIZES)
def test_undo_confirmation(undo_ready, snap_compare, size):
    take_snapshot(snap_compare, size, "f2", "ctrl+z")


async def test_ctrl_z_on_the_view_an_add_form_saved_to_undoes_its_members(tmp_path):
    make_db(tmp_path, 30)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        # Add a group with every customer ticked, as an admin would, and land on its View.
        await burst(pilot, "a", "vip", "tab", "VIP", "ctrl+n", "a", "ctrl+s")
        assert isinstance(app.screen, GroupViewScreen)
        assert len(members("vip")) == 30
        await burst(pilot, "ctrl+z", "enter")  # the enter typed ahead is not the answer
        assert isinstance(app.screen, ConfirmModal)
        assert str(app.screen.question).startswith("Undo: 30 customers added to VIP by tester at ")
        await confirm(pilot)
        assert isinstance(app.screen, GroupViewScreen)
        assert members("vip") == set() and len(undos()) == 1
        assert models.get_group_by_code("vip").name == "VIP"  # the group stays; its members went
