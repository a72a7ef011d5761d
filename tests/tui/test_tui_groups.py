"""Pilot tests: the customer-group flows pressed through the UI, checked in the database."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest

from tui_helpers import (audit_actions, clear_input, confirm, group, highlight_group, make_app, make_db,
                         notifications, open_edit_form, queries_on_the_event_loop, settle, type_text,
                         until_quiet)

from backroom import models
from backroom.screens.customers import CustomerScreen
from backroom.screens.groups import form as group_form
from backroom.screens.groups import GroupFormScreen, GroupsScreen, GroupViewScreen
from textual import events
from textual.widgets import Footer, Input, Label, TabbedContent
from textual.widgets._footer import FooterKey
from backroom.tui.customertable import CustomerTable
from backroom.tui.dialogs import ConfirmModal


def first_ids(n: int, flt: models.CustomerFilter | None = None) -> list[int]:
    return [r.id for r in models.customer_page(flt or models.CustomerFilter(), sort="name", limit=n)]


async def test_add_group_flow(tmp_path):
    make_db(tmp_path, 80)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, GroupsScreen)
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, GroupFormScreen)
        assert form.focused.id == "code"
        await type_text(pilot, "vip")
        await pilot.press("tab")
        await type_text(pilot, "Very Important")
        await pilot.press("tab")
        await type_text(pilot, "Our best customers")
        await pilot.press("tab", "tab")  # past the tax class
        assert form.focused.id == "discount_percent"
        await clear_input(pilot)
        await type_text(pilot, "12.5")
        await pilot.press("tab", "space")  # free shipping
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert form.query_one(TabbedContent).active == "customers"
        table = form.query_one(CustomerTable)
        assert form.focused is table
        # Tick the first row, then extend the range down by one.
        await pilot.press("space", "shift+down")
        await settle(pilot)
        assert table.selected_count == 2
        # Filter, then tick every match (all pages, not just the visible one).
        await pilot.press("ctrl+f")
        await type_text(pilot, "s")
        await pilot.press("enter")
        await settle(pilot)
        assert form.focused is table
        flt = models.CustomerFilter(text="s")
        assert table.total == models.count_customers(flt)
        await pilot.press("a")
        await settle(pilot)
        expected = (models.Selection.ids(first_ids(2)) | models.Selection.matching(flt)).count()
        assert table.selected_count == expected
        status = str(form.query_one("#selection-status", Label).render())
        assert f"{expected} selected of {table.total} matching" in status
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, GroupViewScreen)
        details = str(app.screen.query_one("#group-details").render())
        assert "Very Important" in details and f"{expected}" in details

    g = group("vip")
    assert (g.name, g.description, g.discount_percent, g.free_shipping, g.hidden) == (
        "Very Important", "Our best customers", Decimal("12.5"), True, False)
    assert models.group_member_count(g.id) == expected
    assert audit_actions(g.id) == ["group.create", "group.members"]


async def test_edit_untick_and_deselect_all(tmp_path):
    make_db(tmp_path, 40)
    members = first_ids(5)
    g, _ = models.create_group({"code": "vip", "name": "VIP"}, members=models.Selection.ids(members))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        form = await open_edit_form(pilot, "vip")
        assert form.group.id == g.id
        assert form.query_one("#code", Input).disabled
        await pilot.press("ctrl+n")
        await settle(pilot)
        table = form.query_one(CustomerTable)
        assert table.selected_count == 5
        assert str(table.get_cell_at((0, 0))) == "[x]"
        await pilot.press("space")  # untick the first member
        await settle(pilot)
        assert table.selected_count == 4
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)  # a member leaves: it says so first
        assert "1 customer leaves" in str(app.screen.query_one(".dialog-body").render())
        await confirm(pilot)
        assert isinstance(app.screen, GroupViewScreen)
        assert models.group_member_count(g.id) == 4
        assert not models.Membership.select().where(
            (models.Membership.group == g.id) & (models.Membership.customer == members[0])).exists()

        # Edit again from the View screen: De-select All unassigns everyone.
        await open_edit_form(pilot, "vip")
        await pilot.press("ctrl+n")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen.query_one(CustomerTable).selected_count == 0
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "4 customers leave" in str(app.screen.query_one(".dialog-body").render())
        await confirm(pilot)
        assert isinstance(app.screen, GroupViewScreen)
    assert models.group_member_count(g.id) == 0
    assert group("vip").version == 3
    # Only the members changed: each save is a change of members, not of the group's fields.
    assert audit_actions(g.id).count("group.update") == 0
    assert audit_actions(g.id).count("group.members") == 3


async def test_invert_within_filter(tmp_path):
    make_db(tmp_path, 40)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        await type_text(pilot, "inv")
        await pilot.press("tab")
        await type_text(pilot, "Inverted")
        await pilot.press("ctrl+n")
        await settle(pilot)
        await pilot.press("space")  # tick the first customer overall
        await pilot.press("ctrl+f")
        await type_text(pilot, "a")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
    first = models.Selection.ids(first_ids(1))
    m = models.Selection.matching(models.CustomerFilter(text="a"))
    expected = ((first - m) | (m - first)).count()
    assert models.group_member_count(group("inv").id) == expected


async def test_view_and_open_member(tmp_path):
    make_db(tmp_path, 30)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await highlight_group(pilot, "general")
        await pilot.press("v")
        await settle(pilot)
        view = app.screen
        assert isinstance(view, GroupViewScreen)
        table = view.query_one(CustomerTable)
        assert table.total == 30
        await pilot.press("slash")
        await type_text(pilot, "zz-nobody")
        await pilot.press("enter")
        await settle(pilot)
        assert table.total == 0
        assert view.focused is table
        await pilot.press("slash")
        await clear_input(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert table.total == 30
        await pilot.press("enter")  # open the highlighted member: the customer screen
        await settle(pilot)
        customer = app.screen
        assert isinstance(customer, CustomerScreen)
        assert app.current_mode == "groups"  # on the Groups stack, above the view
        first = models.get_customer(first_ids(1)[0])
        assert customer.customer_id == first.id
        assert first.email in str(customer.query_one("#customer-summary").render())
        # Editable there: a new phone number, saved with Ctrl+S.
        assert customer.focused is customer.query_one("#first_name", Input)
        await pilot.press("tab", "tab", "tab")  # last name, email, phone
        assert customer.focused is customer.query_one("#phone", Input)
        await clear_input(pilot)
        await type_text(pilot, "555-0100")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert models.get_customer(first.id).phone == "555-0100"
        await pilot.press("escape")  # back to the group's view
        await settle(pilot)
        assert app.screen is view
        assert view.focused is table
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, GroupsScreen)


async def test_delete_with_confirmation(tmp_path):
    make_db(tmp_path, 20)
    g, added = models.create_group({"code": "gone", "name": "Going away"},
                                   members=models.Selection.ids(first_ids(3)))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await highlight_group(pilot, "gone")
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        question = str(app.screen.query_one(".dialog-body").render())
        assert "Going away" in question and "3 members" in question
        await pilot.press("escape")  # keep it
        await settle(pilot)
        assert models.CustomerGroup.get_or_none(models.CustomerGroup.id == g.id) is not None
        await pilot.press("d")
        await settle(pilot)
        await confirm(pilot)
        await settle(pilot)
        assert isinstance(app.screen, GroupsScreen)
        assert "gone" not in [r.code for r in app.screen.rows]
    assert models.CustomerGroup.get_or_none(models.CustomerGroup.id == g.id) is None
    assert models.Membership.select().where(models.Membership.group == g.id).count() == 0
    assert audit_actions(g.id)[-1] == "group.delete"


async def test_guest_cannot_be_changed(tmp_path):
    make_db(tmp_path, 10)
    guest = group("guest")
    audits = models.AuditEntry.select().count()
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await highlight_group(pilot, "guest")
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, GroupsScreen)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, GroupsScreen)
        said = notifications(app)
        assert len(said) == 2 and all("Guest is a system group" in m for m in said)
        # Viewing is fine, and Edit/Delete there explain too.
        await pilot.press("v")
        await settle(pilot)
        assert isinstance(app.screen, GroupViewScreen)
        await pilot.press("e", "d")
        await settle(pilot)
        assert isinstance(app.screen, GroupViewScreen)
        assert len(notifications(app)) == 4
    after = group("guest")
    assert (after.name, after.version) == (guest.name, guest.version)
    assert models.AuditEntry.select().count() == audits


async def test_conflicting_edit_keeps_the_form(tmp_path):
    make_db(tmp_path, 10)
    g, _ = models.create_group({"code": "vip", "name": "VIP"})
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        form = await open_edit_form(pilot, "vip")
        assert form.focused.id == "name"
        await pilot.press("end")
        await type_text(pilot, " Gold")
        # Someone else saves first.
        models.update_group(g.id, {"name": "Platinum"}, expected_version=g.version)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert form.query_one("#name", Input).value == "VIP Gold"
        assert any("Someone else changed" in m for m in notifications(app))
        assert "Someone else changed" in str(form.query_one("#form-status", Label).render())
    assert group("vip").name == "Platinum"


async def test_validation_is_inline_and_writes_nothing(tmp_path):
    make_db(tmp_path, 10)
    before = (models.CustomerGroup.select().count(), models.AuditEntry.select().count())
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        await type_text(pilot, "general")
        await pilot.press("tab")
        await type_text(pilot, "Another general")
        await pilot.press("tab", "tab", "tab")
        await clear_input(pilot)
        await type_text(pilot, "150")
        # Save from the Customers tab: it jumps back to the field in error.
        await pilot.press("ctrl+n")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert form.query_one(TabbedContent).active == "general"
        assert form.focused.id == "discount_percent"
        error = form.query_one("#err-discount_percent", Label)
        assert error.display and "Discount" in str(error.render()) and "100" in str(error.render())
        # Fix the discount: now the duplicate code is refused.
        await clear_input(pilot)
        await type_text(pilot, "5")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert not form.query_one("#err-discount_percent", Label).display
        assert form.query_one("#field-discount_percent").region.height == 1  # no blank line left behind
        error = form.query_one("#err-code", Label)
        assert error.display and "already used" in str(error.render())
        assert form.focused.id == "code"
        # Escape asks before discarding what was typed.
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await confirm(pilot)
        await settle(pilot)
        assert isinstance(app.screen, GroupsScreen)
    assert (models.CustomerGroup.select().count(), models.AuditEntry.select().count()) == before


async def test_escape_asks_only_when_the_form_differs_from_the_group(tmp_path):
    make_db(tmp_path, 10)
    tax = models.tax_classes()[-1]
    models.create_group({"code": "vip", "name": "VIP", "description": "Line one\nLine two",
                         "tax_class_id": tax.id, "discount_percent": "7.5", "free_shipping": True})
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        form = await open_edit_form(pilot, "vip")
        assert form.query_one("#description", Input).value == "Line one Line two"
        await pilot.press("escape")  # nothing changed: closes at once
        await settle(pilot)
        assert isinstance(app.screen, GroupsScreen)
        form = await open_edit_form(pilot, "vip")
        await pilot.press("tab", "tab", "tab", "tab", "tab")  # description, tax class, discount, the two ticks
        assert form.focused.id == "hidden"
        await pilot.press("space")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("escape")  # keep editing
        await settle(pilot)
        assert app.screen is form
        await pilot.press("space")  # unticked again: as saved, so nothing to discard
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, GroupsScreen)
        # Saved, the description keeps the line breaks the form shows as spaces.
        await open_edit_form(pilot, "vip")
        await pilot.press("tab", "tab", "tab", "tab", "tab", "space", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, GroupViewScreen)
    g = group("vip")
    assert (g.description, g.tax_class_id, g.discount_percent, g.free_shipping, g.hidden) == (
        "Line one\nLine two", tax.id, Decimal("7.5"), True, True)


async def test_list_filter_and_sort(tmp_path):
    make_db(tmp_path, 10)
    models.create_group({"code": "aaa", "name": "Zed"})
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert [r.code for r in screen.rows] == ["general", "guest", "wholesale", "aaa"]
        await pilot.press("s")  # sort by the next column: code ... wait, name -> members
        await settle(pilot)
        assert screen.sort == "members"
        await pilot.press("r")
        await settle(pilot)
        assert screen.descending and screen.rows[0].code == "general"
        await pilot.press("slash")
        await type_text(pilot, "whole")
        await settle(pilot)
        assert [r.code for r in screen.rows] == ["wholesale"]


async def test_areas_are_one_key_away(tmp_path):
    make_db(tmp_path, 0)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("a")  # open the Add form, then jump away and back
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert app.current_mode == "customers"
        assert type(app.screen).__name__ == "CustomersScreen"
        await pilot.press("f4")
        assert app.current_mode == "reviews"
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, GroupsScreen)  # the list: the form, with nothing typed, closed
        assert app.sub_title == "sqlite:///backroom-test.db"


async def test_palette_offers_areas_and_screen_actions(tmp_path):
    make_db(tmp_path, 0)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for wanted in ("Customers", "Groups", "Reviews", "Add", "Edit", "View", "Delete", "Sort", "Reverse"):
            assert wanted in titles
        await pilot.press("a")
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for wanted in ("Save", "Tick", "Tick range ↓", "Tick matching", "Deselect all", "Invert",
                       "Filter customers"):
            assert wanted in titles


async def test_untrusted_text_is_not_markup(tmp_path):
    make_db(tmp_path, 0)
    models.create_customer({"first_name": "[bold red]Evil", "last_name": "[/]Mallory",
                            "email": "evil@example.com"})
    models.create_group({"code": "x", "name": "[link=http://x]Trap[/link]"})
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await highlight_group(pilot, "general")
        await pilot.press("v")
        await settle(pilot)
        table = app.screen.query_one(CustomerTable)
        assert str(table.get_cell_at((0, 0))) == "[bold red]Evil [/]Mallory"
        await pilot.press("escape")
        await settle(pilot)
        assert any(r.name == "[link=http://x]Trap[/link]" for r in app.screen.rows)


async def test_no_color_is_honoured(tmp_path, monkeypatch):
    make_db(tmp_path, 0)
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.no_color


async def test_customer_table_is_a_window(tmp_path):
    make_db(tmp_path, 1500)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        table = app.screen.query_one(CustomerTable)
        page = table.size.height - 1
        assert 0 < table.row_count <= page
        assert len(table._window.rows) <= table._cache_size() < 1500
        everyone = models.CustomerFilter()

        def id_at(pos: int) -> int:
            return models.customer_page(everyone, sort="name", offset=pos, limit=1)[0].id

        await pilot.press("end")
        await settle(pilot)
        assert table.position == 1499 and table.current_id() == id_at(1499)
        await pilot.press("pageup", "up")
        await settle(pilot)
        assert table.position == 1499 - page - 1 and table.current_id() == id_at(1499 - page - 1)
        for _ in range(3):
            await pilot.press("pagedown")
        await settle(pilot)
        assert table.position == 1499
        await pilot.press("home")
        await settle(pilot)
        assert table.position == 0 and table.current_id() == id_at(0)
        for _ in range(40):  # walk down past the first cached block's margin
            await pilot.press("down")
        await settle(pilot)
        assert table.current_id() == id_at(40)
        assert table.row_count <= page


def footer_keys(screen) -> tuple[list[str], bool]:
    """The keys the footer shows, and whether they all fit left of the palette key."""
    footer = screen.query_one(Footer)
    keys = [k for k in footer.query(FooterKey) if not k.has_class("-command-palette")]
    palette = footer.query_one(".-command-palette", FooterKey)
    fits = all(k.region.right <= palette.region.x and k.region.width > 0 for k in keys)
    return [k.key for k in keys], fits


async def test_every_footer_fits_80_columns(tmp_path):
    """At 80×24 the footer of every main screen shows all its keys (the less
    used ones are in the command palette instead), pressed through as an admin."""
    make_db(tmp_path, 30)
    models.Review.create(product=models.Product.select().first(), customer=first_ids(1)[0], rating=4,
                         title="Good", body="Good beans", status="pending")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        seen = {}

        async def check(name: str) -> None:
            await settle(pilot)
            keys, fits = footer_keys(app.screen)
            assert fits, f"{name}: the footer is cut off ({keys})"
            seen[name] = keys

        await check("groups")
        await highlight_group(pilot, "general")
        await pilot.press("v")
        await check("group view")
        await pilot.press("enter")
        assert isinstance(app.screen, CustomerScreen)
        for _ in range(6):
            await check(f"customer {app.screen.tabs.active}")
            await pilot.press("ctrl+n")
        await pilot.press("escape", "escape")
        await settle(pilot)
        await pilot.press("a")
        for _ in range(3):
            await check(f"group form {app.screen.query_one(TabbedContent).active}")
            await pilot.press("ctrl+n")
        await pilot.press("escape")
        await pilot.press("f2")
        await check("customers")
        await pilot.press("f4")
        await check("reviews")
        # The keys left out of the footer are still offered by the palette.
        offered = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Approve ticked", "Reject ticked", "Untick all", "Chart scope", "Read", "Pending"} <= offered
    assert seen["group form customers"] == ["space", "a", "ctrl+s", "escape", "ctrl+n"]
    assert seen["reviews"] == ["space", "t", "a", "r", "s", "slash"]


@pytest.fixture
def slow_form(monkeypatch):
    """The Add/Edit form's data waits until the test sets the returned event."""
    gate = threading.Event()
    read = group_form.read_form

    def held_back(group_id):
        assert gate.wait(10), "the test never let the form load"
        return read(group_id)

    monkeypatch.setattr(group_form, "read_form", held_back)
    yield gate
    gate.set()


async def test_keys_typed_while_the_form_loads_are_kept(tmp_path, slow_form):
    make_db(tmp_path, 10)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("a")
        form = app.screen
        assert isinstance(form, GroupFormScreen) and not form.is_loaded
        await type_text(pilot, "gold")
        await pilot.press("tab")
        await type_text(pilot, "Gold members")
        await pilot.press("ctrl+s")
        assert app.screen is form and form.query_one("#code", Input).value == ""  # held, not lost
        slow_form.set()
        await settle(pilot)
        assert isinstance(app.screen, GroupViewScreen), (app.screen, notifications(app))  # saved by the Ctrl+S typed while loading
    g = group("gold")
    assert g.name == "Gold members"


async def test_editing_keys_typed_while_loading_land_after_the_values(tmp_path, slow_form):
    make_db(tmp_path, 10)
    g, _ = models.create_group({"code": "vip", "name": "VIP"})
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await highlight_group(pilot, "vip")
        await pilot.press("e", "end")
        await type_text(pilot, " Gold")
        await pilot.press("ctrl+s")
        slow_form.set()
        await settle(pilot)
        assert isinstance(app.screen, GroupViewScreen), (app.screen, notifications(app))
    assert group("vip").name == "VIP Gold"


async def test_escape_closes_a_form_still_loading_and_other_areas_stay_reachable(tmp_path, slow_form):
    make_db(tmp_path, 10)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("a", "escape")
        assert isinstance(app.screen, GroupsScreen)
        # Esc typed after other keys waits behind them; a second Esc does not.
        await pilot.press("a", "x", "escape")
        assert isinstance(app.screen, GroupFormScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, GroupsScreen)
        # Opened again: F2 works while it loads, and what was typed waits for it.
        await pilot.press("a")
        await type_text(pilot, "ab")
        await pilot.press("f2")
        assert app.current_mode == "customers"
        slow_form.set()
        await settle(pilot)
        await pilot.press("f3")  # to the list, but the form has "ab" typed: it asks first
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("escape")  # keep editing
        await settle(pilot)
        form = app.screen
        assert isinstance(form, GroupFormScreen)
        assert form.query_one("#code", Input).value == "ab"
        assert form.focused is form.query_one("#code", Input)


async def test_a_group_deleted_while_its_form_loads(tmp_path, slow_form):
    make_db(tmp_path, 10)
    g, _ = models.create_group({"code": "vip", "name": "VIP"})
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await highlight_group(pilot, "vip")
        await pilot.press("e", "x")
        models.delete_group(g.id)  # by another admin, before the form has read it
        slow_form.set()
        await settle(pilot)
        assert isinstance(app.screen, GroupsScreen)  # the form said why and closed
        assert any(f"No customer group with id {g.id}" in m for m in notifications(app))
        assert app.screen.focused is app.screen.query_one("#groups")  # the x held for the form is dropped
        assert app.screen.query_one("#group-filter", Input).value == ""


def burst(app, *keys: str) -> None:
    """Keys as a terminal sends a burst of them (type-ahead over a slow SSH
    link, a paste): all at once, none waiting for the one before."""
    for key in keys:
        event = events.Key(key, " " if key == "space" else key if len(key) == 1 else None)
        event.set_sender(app)
        app.post_message(event)


async def test_a_burst_of_keys_lands_where_it_was_typed(tmp_path):
    make_db(tmp_path, 10)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        # "a" opens the form; the rest must reach it, not the list behind it.
        burst(app, "a", *"vip", "tab", *"VIP", "space", *"test", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, GroupViewScreen)
    assert group("vip").name == "VIP test"


async def test_general_cannot_be_deleted(tmp_path):
    make_db(tmp_path, 5)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await highlight_group(pilot, "general")
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, GroupsScreen)  # no question asked: it could only fail
        assert any("cannot be deleted" in m for m in notifications(app))
    assert models.get_group_by_code("general")


async def test_no_query_runs_on_the_event_loop(tmp_path, monkeypatch):
    """Every read and write of the group and grants screens (and the reviews
    queue) runs in a worker thread: the event loop never waits on the database."""
    make_db(tmp_path, 30)
    g, _ = models.create_group({"code": "vip", "name": "VIP"})
    models.set_rules(g.id, "all", [{"field": "total_spent", "op": ">=", "value": "100"}])
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        on_the_loop = queries_on_the_event_loop(monkeypatch)
        steps = [
            ("a",), ("ctrl+n",), ("ctrl+f", "x"), ("ctrl+n",), ("escape",),  # the Add form, every tab
            (highlight_group, "vip"), ("e",), ("escape",), ("v",), ("slash", "a"), ("escape", "escape"),
            ("c",), ("escape",), ("u",), ("escape",), ("s",), ("slash", "w"), ("backspace", "enter"),
            (highlight_group, "guest"), ("c",), ("escape",), ("d",), (highlight_group, "vip"), ("d",), ("escape",),
            ("x",), ("a",), ("ctrl+g",), ("escape",), ("o",), ("escape",),
            ("f4",), ("slash", "x"), ("escape",),
        ]
        for step in steps:
            if callable(step[0]):
                await step[0](pilot, *step[1:])
            else:
                await pilot.press(*step)
            await settle(pilot)
            assert not on_the_loop, f"queried on the event loop after {step}: {on_the_loop}"


async def test_groups_shown_again_keep_their_list_until_the_fresh_counts_come(tmp_path, monkeypatch):
    """F3 back to Groups: the list as it was shows at once (no "loading…"
    while the groups are read again with their counts, a moment at a million
    customers), then the counts as they are now."""
    make_db(tmp_path, 20)
    gate = threading.Event()
    real = models.list_groups

    def held(*args, **kwargs):
        if kwargs.get("with_counts", True):
            gate.wait(10)
        return real(*args, **kwargs)

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, GroupsScreen)
        wholesale = next(r for r in screen.rows if r.code == "wholesale")
        before = wholesale.member_count
        await pilot.press("f2")
        await settle(pilot)
        models.assign_customers(wholesale.id, models.Selection.all())
        monkeypatch.setattr(models, "list_groups", held)
        await pilot.press("f3")
        await until_quiet(app, workers=False)
        assert app.screen is screen
        status = str(screen.query_one("#groups-status", Label).render())
        assert status.startswith("3 groups · sorted by"), status
        assert next(r for r in screen.rows if r.code == "wholesale").member_count == before
        gate.set()
        await settle(pilot)
        assert str(screen.query_one("#groups-status", Label).render()).startswith("3 groups · sorted by")
        now = next(r for r in screen.rows if r.code == "wholesale").member_count
        assert now == models.group_member_count(wholesale.id) == 20 and before < 20
