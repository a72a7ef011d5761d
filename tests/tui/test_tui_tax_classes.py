"""Pilot tests: the tax classes screen (from the Groups list) and the
default class the Add group form preselects, checked in the database."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tui_helpers import (SIZES, burst, clear_input, confirm, make_app, make_db, notifications, settle,
                         take_snapshot, type_text)
from textual.widgets import Select

from backroom import models
from backroom.screens.groups import GroupFormScreen, GroupsScreen, TaxClassDialog, TaxClassesScreen
from backroom.tui.dialogs import ConfirmModal


def tax(name: str) -> models.TaxClass | None:
    return models.TaxClass.get_or_none(models.TaxClass.name == name)


async def highlight(pilot, name: str) -> None:
    screen = pilot.app.screen
    assert isinstance(screen, TaxClassesScreen)
    await pilot.press("ctrl+home")
    for _ in range(len(screen.rows) + 1):
        if (row := screen.current()) is not None and row.name == name:
            return
        await pilot.press("down")
    raise AssertionError(f"no tax class {name!r}")


async def test_add_make_default_rename_delete(tmp_path):
    make_db(tmp_path, 10)
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, GroupsScreen)
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, TaxClassesScreen)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, TaxClassDialog)
        await type_text(pilot, "Reduced")
        await pilot.press("enter")  # on to the rate
        await clear_input(pilot)
        await type_text(pilot, "5.5")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TaxClassesScreen)
        reduced = tax("Reduced")
        assert reduced is not None and Decimal(reduced.rate_percent) == Decimal("5.5")
        assert app.screen.current().name == "Reduced"  # the new one is highlighted

        await pilot.press("m")
        await settle(pilot)
        assert models.default_tax_class_id() == reduced.id
        assert [r.is_default for r in app.screen.rows] == [True, False]

        await pilot.press("e")
        await settle(pilot)
        await clear_input(pilot)
        await type_text(pilot, "Low")
        await pilot.press("enter")
        await settle(pilot)
        assert tax("Reduced") is None and tax("Low").id == reduced.id

        # Standard is used by the three default groups: refused, saying so.
        await highlight(pilot, "Standard")
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, TaxClassesScreen)
        assert any("used by 3 groups" in m for m in notifications(app))
        # Low is the default: refused too.
        await highlight(pilot, "Low")
        await pilot.press("d")
        await settle(pilot)
        assert any("default tax class" in m for m in notifications(app))
        assert tax("Low") is not None and tax("Standard") is not None

        await pilot.press("a")
        await settle(pilot)
        await type_text(pilot, "Spare")
        await pilot.press("enter", "enter")
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("escape")  # kept
        await settle(pilot)
        assert tax("Spare") is not None
        await pilot.press("d")
        await settle(pilot)
        await confirm(pilot)
        await settle(pilot)
        assert tax("Spare") is None
        assert [r.name for r in app.screen.rows] == ["Low", "Standard"]
    actions = [a.action for a in models.AuditEntry.select().where(models.AuditEntry.entity == "tax_class")
               .order_by(models.AuditEntry.id)]
    assert actions == ["tax_class.create", "tax_class.default", "tax_class.rename", "tax_class.create",
                       "tax_class.delete"]


async def test_a_refused_name_is_said_in_the_dialog_which_stays(tmp_path):
    make_db(tmp_path, 0)
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        await type_text(pilot, "standard")
        await pilot.press("enter", "enter")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, TaxClassDialog)
        assert "already exists" in str(dialog.query_one("#tax-name-error").render())
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, TaxClassesScreen)
    assert [t.name for t in models.TaxClass.select()] == ["Standard"]


async def test_add_group_form_preselects_the_default_not_the_first_by_name(tmp_path):
    make_db(tmp_path, 0)
    models.add_tax_class("Aardvark")
    zero = models.add_tax_class("Zero rate", make_default=True)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, GroupFormScreen)
        assert form.query_one("#tax_class_id", Select).value == zero.id
        await type_text(pilot, "vip")
        await pilot.press("tab")
        await type_text(pilot, "VIP")
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert models.get_group_by_code("vip").tax_class_id == zero.id


async def test_a_burst_of_keys_adds_a_class(tmp_path):
    make_db(tmp_path, 0)
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await burst(pilot, "t", "a", "Zero", "enter", "0", "enter", "m")
        assert isinstance(app.screen, TaxClassesScreen)
    zero = tax("Zero")
    assert zero is not None and models.default_tax_class_id() == zero.id


@pytest.fixture
def two_classes(tmp_path):
    make_db(tmp_path, 20)
    models.add_tax_class("Reduced", "5")
    models.add_tax_class("Zero", "0", make_default=True)


@pytest.mark.parametrize("size", SIZES)
def test_tax_classes_screen(two_classes, snap_compare, size):
    take_snapshot(snap_compare, size, "t")


@pytest.mark.parametrize("size", SIZES)
def test_tax_class_dialog(two_classes, snap_compare, size):
    take_snapshot(snap_compare, size, "t", "a")
