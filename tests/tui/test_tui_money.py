"""Pilot test: amounts on the screens are written as the shop writes them
(``backroom settings money``)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from textual.widgets import Label, Static

from backroom import models
from tui_helpers import (assert_clean_screen, go_tab, make_ada, make_app, make_db, open_customer, open_list, settle,
                         type_text)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_total_spent_shows_in_the_shops_format(tmp_path, size):
    make_db(tmp_path, 5)
    ada = make_ada()
    product = models.Product.select().order_by(models.Product.id).first()
    models.Product.update(price=Decimal("11499.50")).where(models.Product.id == product.id).execute()
    models.place_order(ada.id, [(product.id, 2)])
    models.set_money_format("R$ 1.234,56")
    spent = models.get_customer(ada.id).total_spent
    shown = models.parse_sample("R$ 1.234,56").format(spent)
    assert shown.startswith("R$ ") and "," in shown and "." in shown  # e.g. R$ 3.000,00
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await open_list(pilot)
        await settle(pilot)
        assert shown in assert_clean_screen(app, size[0])  # the list's Spent column, wide enough for it
        screen = await open_customer(pilot, "ada@example.com")
        summary = str(screen.query_one("#customer-summary", Static).render())
        assert f"spent {shown}" in summary
        await go_tab(pilot, "cust-orders")
        status = str(screen.query_one("#orders-status", Label).render())
        assert f"1 order · total spent {shown}" in status
        table = screen.query_one("#orders-table")
        assert [str(c) for c in table.get_row_at(0)][-1] == shown


async def test_the_spent_range_is_typed_in_the_shops_format(tmp_path):
    from backroom.tui.customertable import CustomerTable

    make_db(tmp_path, 40)
    models.set_money_format("R$ 1.234,56")
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_list(pilot)
        table = screen.query_one(CustomerTable)
        await pilot.press("slash", *["tab"] * 5)
        assert screen.focused.id == "f-spent_min"
        spent = sorted(c.total_spent for c in models.Customer.select())
        middle = spent[len(spent) // 2] + Decimal("1000.50")
        models.Customer.update(total_spent=models.Customer.total_spent + 1000).execute()  # thousands, to group
        typed = models.format_money(middle)
        assert typed.startswith("R$ 1.") and typed[-3] == ","
        await type_text(pilot, typed)
        await pilot.press("enter")
        await settle(pilot)
        expected = models.count_customers(models.build_filter(spent_min=str(middle)))
        assert 0 < expected < 40 and table.total == expected
        error = screen.query_one("#filter-error", Label)
        assert not error.display
        await pilot.press("slash", *["tab"] * 6)
        assert screen.focused.id == "f-spent_max"
        await type_text(pilot, "12,5,0")  # not an amount
        await pilot.press("enter")
        await settle(pilot)
        assert error.display
        assert "'12,5,0' is not an amount: write it as R$ 2.999,99 or plain (2999.99)" in str(error.render())


async def test_the_orders_tab_shows_currency_and_shipping(tmp_path):
    make_db(tmp_path, 3)
    make_ada()
    path = tmp_path / "orders.csv"
    path.write_text("order_number,customer_email,placed_at,status,total,currency,shipping,sku,quantity\n"
                    "X1,ada@example.com,2024-01-02,complete,2999.99,BRL,15.50,,\n"
                    "X2,ada@example.com,2024-01-03,refunded,10.00,USD,0,,\n", encoding="utf-8")
    assert models.import_orders(path).summary() == "2 new, 0 changed, 0 unchanged, 0 rejected"
    models.set_money_format("R$ 1.234,56")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_list(pilot)
        screen = await open_customer(pilot, "ada@example.com")
        await go_tab(pilot, "cust-orders")
        table = screen.query_one("#orders-table")
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert [r[:1] + r[2:] for r in rows] == [
            ["X2", "refunded (not counted)", "0", "USD", "R$ 0,00", "R$ 10,00"],
            ["X1", "complete", "0", "BRL", "R$ 15,50", "R$ 2.999,99"],
        ]
        status = str(screen.query_one("#orders-status", Label).render())
        assert "1 order · total spent R$ 2.999,99" in status
