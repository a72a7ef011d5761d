"""Pilot test: amounts on the screens are written as the shop writes them
(``backroom settings money``)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from textual.widgets import Label, Static

from backroom import models
from tui_helpers import assert_clean_screen, go_tab, make_ada, make_app, make_db, open_customer, open_list, settle


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
