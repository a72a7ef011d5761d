"""Ctrl+Z on the Customers tab of the Add/Edit group form undoes the
admin's last step of ticks, again the one before, up to a bound, saying
what it undid; the steps are kept as selections, never as lists of the
customers they cover.  In a text box it changes no ticks.  Pressed as an
admin would (bursts too), checked in the database after saving."""

from __future__ import annotations

import time

import pytest
from textual.widgets import Input, TabbedContent

from backroom import models
from backroom.screens.groups import GroupFormScreen, GroupViewScreen
from backroom.tui.customertable import CustomerTable
from backroom.tui.dialogs import ConfirmModal
from backroom.tui.tickhistory import TickHistory
from tui_helpers import (SIZES, burst, confirm, group, make_app, make_db, notifications, open_edit_form, settle,
                         take_snapshot, type_text)


def by_name(n: int | None = None, flt: models.CustomerFilter | None = None) -> list[int]:
    """The customers' ids in the table's order (by name)."""
    return [r.id for r in models.customer_page(flt or models.CustomerFilter(), sort="name",
                                               limit=1000 if n is None else n)] if n != 0 else []


def members(code: str) -> set[int]:
    g = group(code)
    return {m.customer_id for m in models.Membership.select().where(models.Membership.group == g.id)}


def vip(first: int = 5) -> set[int]:
    """A group "vip" of the first customers by name."""
    ids = set(by_name(first))
    models.create_group({"code": "vip", "name": "VIP"}, members=models.Selection.ids(ids))
    return ids


async def customers_tab(pilot, form: GroupFormScreen) -> CustomerTable:
    await pilot.press("ctrl+n")
    await settle(pilot)
    assert form.query_one(TabbedContent).active == "customers"
    table = form.query_one(CustomerTable)
    assert form.focused is table
    return table


def slowed(monkeypatch, name: str) -> None:
    """``models.<name>`` takes 0.3 s more, as on a busy server."""
    real = getattr(models, name)

    def slowly(*args, **kwargs):
        time.sleep(0.3)
        return real(*args, **kwargs)

    monkeypatch.setattr(models, name, slowly)


def last_note(app) -> str:
    return notifications(app)[-1]


async def test_ctrl_z_undoes_the_last_steps_of_ticks_one_by_one(tmp_path):
    make_db(tmp_path, 40)
    old = vip()
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        form = await open_edit_form(pilot, "vip")
        table = await customers_tab(pilot, form)
        assert table.selected_count == 5
        first_name = models.customer_page(models.CustomerFilter(), sort="name", limit=1)[0].name

        await pilot.press("space")  # untick the first member
        await settle(pilot)
        await pilot.press("a")  # every customer
        await settle(pilot)
        assert table.selected_count == 40
        await pilot.press("n")  # none
        await settle(pilot)
        assert table.selected_count == 0 and form.is_dirty()

        await pilot.press("ctrl+z")
        await settle(pilot)
        assert last_note(app) == "Undid: unticked all 40."
        assert table.selected_count == 40
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert last_note(app) == "Undid: selected all 40 matching."
        assert table.selected_count == 4
        assert str(table.get_cell_at((0, 0))) == "[ ]"  # the first still unticked, as before "a"
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert last_note(app) == f"Undid: unticked {first_name}."
        assert table.selected_count == 5 and str(table.get_cell_at((0, 0))) == "[x]"
        assert not form.is_dirty()  # back to the group's members: nothing to save
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert last_note(app) == "Nothing to undo: the ticks are as the form opened them."
        assert table.selected_count == 5

        # A range past the members (shift+↓ from the fifth row ticks the sixth), undone; then
        # the seventh ticked, and saved.
        await pilot.press(*["down"] * 4, "shift+down")
        await settle(pilot)
        assert table.selected_count == 6
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert last_note(app).startswith("Undid: ticked ") and table.selected_count == 5
        await pilot.press("down", "down")
        await settle(pilot)
        target = table.current_id()
        assert target not in old
        await pilot.press("space", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, GroupViewScreen)
    assert members("vip") == old | {target}


async def test_a_burst_of_ticks_and_undos_lands_as_typed(tmp_path, monkeypatch):
    """Typed ahead in one burst: an undo of a bulk step reads again which
    rows show ticked (slowly here, as on a busy server), and the space typed
    after it waits for that, so it unticks the member it shows (without the
    wait it ticked it again, unseen, and nobody left)."""
    slowed(monkeypatch, "which_selected")
    make_db(tmp_path, 40)
    old = vip()
    first = by_name(1)[0]
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_edit_form(pilot, "vip")
        await burst(pilot, "ctrl+n", "a", "n", "i", "ctrl+z", "ctrl+z", "ctrl+z", "space", "ctrl+s")
        # One member leaves: asked first (nothing typed ahead answers it).
        assert isinstance(app.screen, ConfirmModal)
        assert "1 customer leaves" in str(app.screen.query_one(".dialog-body").render())
        await confirm(pilot)
        assert isinstance(app.screen, GroupViewScreen)
    assert members("vip") == old - {first}


async def test_undo_in_the_add_form_then_save(tmp_path):
    make_db(tmp_path, 40)
    flt = models.CustomerFilter(text="a")
    matching = set(by_name(flt=flt))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        await type_text(pilot, "fans")
        await pilot.press("tab")
        await type_text(pilot, "Fans")
        form = app.screen
        table = await customers_tab(pilot, form)
        await pilot.press("ctrl+f")
        await type_text(pilot, "a")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("a", "i")  # all matching "a", then inverted among them: none
        await settle(pilot)
        assert table.selected_count == 0
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert last_note(app) == f"Undid: inverted the ticks of {len(matching):,} matching."
        assert table.selected_count == len(matching)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, GroupViewScreen)
    assert members("fans") == matching


async def test_ctrl_z_in_a_text_box_changes_no_ticks(tmp_path):
    """Textual's Input has no undo (8.2): in a text box ctrl+z says where it
    works, and the ticks (on a tab not in sight) stay as they are."""
    make_db(tmp_path, 40)
    vip()
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        form = await open_edit_form(pilot, "vip")
        table = await customers_tab(pilot, form)
        await pilot.press("n")
        await settle(pilot)
        assert table.selected_count == 0

        # The filter's text box, on the Customers tab.
        await pilot.press("ctrl+f", "z", "ctrl+z")
        await settle(pilot)
        assert isinstance(form.focused, Input) and form.focused.value == "z"
        assert table.selected_count == 0
        assert last_note(app).startswith("Nothing undone: a text box has no undo.")

        # The Name box on the General tab.
        form.query_one(TabbedContent).active = "general"
        await settle(pilot)
        form.query_one("#name", Input).focus()
        await pilot.press("end", "!", "ctrl+z")
        await settle(pilot)
        assert form.query_one("#name", Input).value == "VIP!"
        assert table.selected_count == 0 and len(table.tick_history) == 1

        # Not in a text box but not on the Customers tab: the same, said so.
        form.query_one("#free_shipping").focus()
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert last_note(app).startswith("Nothing undone: not on this tab.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)  # five leave
        await confirm(pilot)
        assert isinstance(app.screen, GroupViewScreen)
    assert members("vip") == set() and group("vip").name == "VIP!"


async def test_the_steps_kept_are_bounded_and_set_based(tmp_path, monkeypatch):
    monkeypatch.setattr(TickHistory, "LIMIT", 3)
    make_db(tmp_path, 40)
    old = vip(0)
    order = by_name()
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        form = await open_edit_form(pilot, "vip")
        table = await customers_tab(pilot, form)
        await pilot.press("a", "n", "i")
        await settle(pilot)
        for _ in range(3):
            await pilot.press("space", "down")
        await settle(pilot)
        assert table.selected_count == 37
        steps = list(table.tick_history)
        assert len(steps) == 3  # the three spaces; a, n and i are forgotten
        # Each keeps one customer's place, not the 40 the inversion ticked.
        assert [len(s.singles) for s in steps] == [1, 1, 1] and not any(s.bulk for s in steps)
        for _ in range(3):
            await pilot.press("ctrl+z")
            await settle(pilot)
        assert table.selected_count == 40
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert last_note(app) == "Nothing more to undo: the last 3 steps are kept."
        await pilot.press("home", "space", "ctrl+s")  # the first unticked
        await settle(pilot)
        assert isinstance(app.screen, GroupViewScreen)
    assert members("vip") == old | set(order[1:])


async def test_a_bulk_step_keeps_a_selection_not_its_customers(tmp_path):
    make_db(tmp_path, 40)
    vip()
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        form = await open_edit_form(pilot, "vip")
        table = await customers_tab(pilot, form)
        for key in ("space", "a", "n", "i"):
            await pilot.press(key)
            await settle(pilot)
        first, *bulk = list(table.tick_history)
        assert first.singles and len(first.singles) == 1
        assert [s.what for s in bulk] == ["selected all 40 matching", "unticked all 40",
                                          "inverted the ticks of 40 matching"]
        for step in bulk:  # the selections replaced, a tree of a few nodes, and at most the one single tick
            assert isinstance(step.base, models.Selection) and len(step.added | step.removed) <= 1
        assert bulk[0].base == models.Selection.members_of(group("vip").id)


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_customers_tab_after_an_undo(tmp_path, snap_compare, size):
    make_db(tmp_path, 40)
    vip()

    async def open_form(pilot):
        await open_edit_form(pilot, "vip")

    async def quiet(pilot):
        pilot.app.clear_notifications()

    take_snapshot(snap_compare, size, "f3", open_form, "ctrl+n", "down", "space", "a", "ctrl+z", quiet)


async def test_a_tick_while_the_ticks_are_counted_is_counted(tmp_path, monkeypatch):
    """"a" then space at once: the count of every customer arrives after the
    space untick one, and is not taken (it was one off); the ticks are
    counted again.  An undo lands on counts that are right."""
    slowed(monkeypatch, "count_selection")
    make_db(tmp_path, 40)
    vip()
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        form = await open_edit_form(pilot, "vip")
        table = await customers_tab(pilot, form)
        await burst(pilot, "a", "space")
        assert table.selected_count == 39
        await burst(pilot, "ctrl+z")
        assert table.selected_count == 40
        await burst(pilot, "ctrl+z")
        assert table.selected_count == 5
