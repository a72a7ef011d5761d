"""The group form's Customers tab is built when it is first shown: keys typed
in a burst right after opening the form land on its contents once built, and
the members are kept (a draft's too) while it has not been shown."""

from __future__ import annotations

from tui_helpers import burst, group, highlight_group, make_app, make_db, settle

from backroom import models
from backroom.screens.groups import GroupFormScreen, GroupsScreen, GroupViewScreen
from backroom.tui.customertable import CustomerTable
from textual.widgets import TabbedContent


def by_name(n: int, flt: models.CustomerFilter | None = None) -> list[int]:
    return [r.id for r in models.customer_page(flt or models.CustomerFilter(), sort="name", limit=n)]


async def test_the_customers_tab_is_built_when_first_shown(tmp_path):
    make_db(tmp_path, 20)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await burst(pilot, "a")
        form = app.screen
        assert isinstance(form, GroupFormScreen) and form.is_loaded
        assert not form.query(CustomerTable) and not form.query("#member-filter")
        await burst(pilot, "ctrl+n")
        assert form.query_one(TabbedContent).active == "customers"
        table = form.query_one("#members", CustomerTable)
        assert form.focused is table and table.row_count > 0
        assert form.query_one("#member-filter").group_codes  # the codes read with the form


async def test_keys_typed_in_a_burst_after_opening_the_form_tick_the_rows(tmp_path):
    make_db(tmp_path, 30)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, GroupsScreen)
        # One burst: open the form, name the group, go to the customers,
        # tick the first and third rows, save.
        await burst(pilot, "a", "vip", "tab", "VIP", "ctrl+n", "space", "down", "down", "space", "ctrl+s")
        assert isinstance(app.screen, GroupViewScreen)
    first = by_name(3)
    assert set(models.Selection.members_of(group("vip").id).query().scalars()) == {first[0], first[2]}


async def test_a_filter_typed_in_a_burst_after_opening_the_form_applies_to_the_new_table(tmp_path):
    make_db(tmp_path, 40)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await burst(pilot, "a", "vip", "tab", "VIP", "ctrl+f", "s", "enter", "a", "ctrl+s")
        assert isinstance(app.screen, GroupViewScreen)
    flt = models.CustomerFilter(text="s")
    assert 0 < models.count_customers(flt) < 40
    assert models.group_member_count(group("vip").id) == models.count_customers(flt)


async def test_editing_without_showing_the_customers_tab_keeps_the_members(tmp_path):
    make_db(tmp_path, 20)
    members = by_name(4)
    g, _ = models.create_group({"code": "vip", "name": "VIP"}, members=models.Selection.ids(members))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await highlight_group(pilot, "vip")
        await burst(pilot, "e", "ctrl+u", "Very important", "ctrl+s")
        assert isinstance(app.screen, GroupViewScreen)
    assert group("vip").name == "Very important"
    assert set(models.Selection.members_of(g.id).query().scalars()) == set(members)


async def test_a_drafts_members_are_kept_until_the_tab_is_shown_and_then_ticked(tmp_path, drafts_in_tmp):
    make_db(tmp_path, 20)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await burst(pilot, "a", "vip", "tab", "VIP", "ctrl+n", "space", "down", "space")
        await settle(pilot)  # the draft is written once typing pauses
    first = by_name(2)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await burst(pilot, "a")
        await burst(pilot, "enter")  # the question's focused answer: Restore
        form = app.screen
        assert isinstance(form, GroupFormScreen) and not form.query(CustomerTable)
        assert form.members_changed and form.is_dirty()
        await burst(pilot, "ctrl+n")
        table = form.query_one("#members", CustomerTable)
        assert table.changed and table.selected_count == 2
        assert table._ticked == set(first)
        await burst(pilot, "ctrl+s")
        assert isinstance(app.screen, GroupViewScreen)
    assert set(models.Selection.members_of(group("vip").id).query().scalars()) == set(first)
