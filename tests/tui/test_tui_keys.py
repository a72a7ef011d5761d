"""Type-ahead: keys handed to the app in one burst, as a terminal does over
a slow SSH link or in a paste, land where the admin meant them.  Every test
posts the keys before the app handles the first (tui_helpers.burst) and
checks what the database holds afterwards."""

from __future__ import annotations

from decimal import Decimal

from textual.widgets import Input

from backroom import models
from backroom.screens.customers import CustomerScreen, CustomersScreen, NewCustomerScreen
from backroom.screens.groups import GroupFormScreen, GroupsScreen, GroupViewScreen
from tui_helpers import (burst, group, highlight_group, make_ada, make_app, make_db, open_customer, open_list,
                         settle)


def customer(email: str) -> models.Customer:
    return models.Customer.get(models.Customer.email == email)


async def groups_app(pilot):
    await settle(pilot)
    assert isinstance(pilot.app.screen, GroupsScreen)
    return pilot.app.screen


async def test_find_burst_on_the_groups_list_only_filters(tmp_path):
    make_db(tmp_path, 10)
    models.create_group({"code": "dyson-fans", "name": "Dyson fans"})
    models.create_group({"code": "wholesale2", "name": "Wholesale 2"})
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await groups_app(pilot)
        await highlight_group(pilot, "wholesale2")
        await burst(pilot, "/dyson")
        assert app.screen is screen
        assert screen.query_one("#group-filter", Input).value == "dyson"
        assert [r.code for r in screen.rows] == ["dyson-fans"]
    assert models.get_group_by_code("wholesale2")


async def test_add_form_burst_fills_each_field(tmp_path):
    make_db(tmp_path, 10)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await groups_app(pilot)
        await burst(pilot, "a", "d8", "tab", "Name 8", "tab", "Desc 8", "ctrl+s")
        assert isinstance(app.screen, GroupViewScreen)
    g = group("d8")
    assert (g.name, g.description) == ("Name 8", "Desc 8")


async def test_edit_form_burst_tabs_to_the_discount(tmp_path):
    make_db(tmp_path, 10)
    models.create_group({"code": "vip", "name": "VIP"})
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await groups_app(pilot)
        await highlight_group(pilot, "vip")
        await burst(pilot, "e", "tab", "tab", "tab", "ctrl+u", "5.5", "ctrl+s")
        assert isinstance(app.screen, GroupViewScreen), app.screen
    g = group("vip")
    assert (g.name, g.discount_percent) == ("VIP", Decimal("5.5"))


async def test_new_customer_burst(tmp_path):
    make_db(tmp_path, 10)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_list(pilot)
        await burst(pilot, "a", "Grace", "tab", "Hopper", "tab", "grace@example.com", "ctrl+s")
        assert isinstance(app.screen, CustomerScreen), app.screen
    c = customer("grace@example.com")
    assert (c.first_name, c.last_name) == ("Grace", "Hopper")


async def test_customer_groups_tab_add_burst(tmp_path):
    make_db(tmp_path, 10)
    make_ada()
    models.create_group({"code": "vip", "name": "VIP"})
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_customer(pilot, "ada@example.com")
        # To the Groups tab (each tab loads when first shown), a opens the
        # picker once the groups are read: Guest, VIP, Wholesale.
        await burst(pilot, "ctrl+n", "ctrl+n", "a", "down", "enter")
        assert app.screen is screen
    ada = customer("ada@example.com")
    assert {g.code for g in models.customer_groups(ada.id)} == {"general", "vip"}
