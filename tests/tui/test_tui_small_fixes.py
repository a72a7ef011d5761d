"""Pilot tests of small things that were wrong: an unchanged group save,
an error left up after its field was fixed, the phone and last name on the
Account tab, the customer header at 80 columns."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Input, Label, Static

from backroom import models
from backroom.screens.groups import GroupFormScreen, GroupsScreen
from tui_helpers import (audit_actions, clear_input, group, highlight_group, make_app, make_db, notifications,
                         open_customer, settle, type_text)


async def test_saving_an_unchanged_group_says_no_changes_and_writes_nothing(tmp_path):
    make_db(tmp_path, 10)
    g, _ = models.create_group({"code": "vip", "name": "VIP", "discount_percent": "10"})
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await highlight_group(pilot, "vip")
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, GroupFormScreen)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form  # nothing to save: the form stays
        assert "No changes to save." in notifications(app)
        assert not any(m.startswith("Saved") for m in notifications(app))
        # Typed as stored ("10.00" for 10%): a change to the form, none to the group.
        form.query_one("#discount_percent", Input).focus()
        await clear_input(pilot)
        await type_text(pilot, "10.00")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "No changes: nothing was saved." in notifications(app)
        assert not any(m.startswith("Saved") for m in notifications(app))
    assert group("vip").version == g.version
    assert "group.update" not in audit_actions(g.id)


async def test_a_field_error_goes_once_the_field_is_changed(tmp_path):
    make_db(tmp_path, 0)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, GroupsScreen)
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        await type_text(pilot, "Bad Code")
        await pilot.press("tab")
        await type_text(pilot, "VIP")
        await pilot.press("ctrl+s")
        await settle(pilot)
        error = form.query_one("#err-code", Label)
        assert error.has_class("-shown") and "Code must be" in str(error.render())
        assert form.focused.id == "code"
        await clear_input(pilot)
        await type_text(pilot, "vip")
        await settle(pilot)
        assert not error.has_class("-shown")  # fixed: the old error is gone before saving
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert models.get_group_by_code("vip").name == "VIP"


async def test_the_account_tab_refuses_a_phone_that_is_no_number_and_a_cleared_last_name(tmp_path):
    make_db(tmp_path, 5)
    ada = models.create_customer({"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"})
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_customer(pilot, "ada@example.com")
        screen.query_one("#phone", Input).focus()
        await type_text(pilot, "call me")
        screen.query_one("#last_name", Input).focus()
        await clear_input(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "only the digits" in str(screen.query_one("#err-phone", Label).render())
        assert "cannot be cleared" in str(screen.query_one("#err-last_name", Label).render())
        assert models.get_customer(ada.id).version == ada.version
        await type_text(pilot, "King")
        screen.query_one("#phone", Input).focus()
        await clear_input(pilot)
        await type_text(pilot, "+44 20 7946 0958")
        await pilot.press("ctrl+s")
        await settle(pilot)
    c = models.get_customer(ada.id)
    assert (c.last_name, c.phone) == ("King", "+44 20 7946 0958")


async def test_the_header_keeps_orders_and_spent_at_80_columns(tmp_path):
    make_db(tmp_path, 5)
    long = models.create_customer({"first_name": "Maximiliana Wilhelmina", "last_name": "von Hohenzollern-Sigmaringen",
                                   "email": "maximiliana.wilhelmina.von.hohenzollern@example.com"})
    product = models.Product.select().order_by(models.Product.id).first()
    models.place_order(long.id, [(product.id, 1)])
    spent = models.money(models.get_customer(long.id).total_spent)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_customer(pilot, "maximiliana.wilhelmina.von.hohenzollern@example.com")
        summary = screen.query_one("#customer-summary", Static)
        line = summary.render()
        text = line.plain if isinstance(line, Text) else str(line)
        assert text.rstrip().endswith(f"· 1 order · spent {spent:,.2f}"), text
        assert text.startswith("Maximiliana Wilhelmina von") and "…" in text
        assert Text(text).cell_len <= 78
        await pilot.resize_terminal(120, 40)
        await settle(pilot)
        text = summary.render().plain
        assert "maximiliana.wilhelmina" in text  # wider: more of it shown, and still the amount
        assert text.rstrip().endswith(f"· 1 order · spent {spent:,.2f}") and Text(text).cell_len <= 118
