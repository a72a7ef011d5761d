"""The Orders tab: the newest orders (their shipping, total in the shop's
money format and the currency they were paid in; a cancelled or refunded
order says it counts toward no total), with the customer's totals."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable, Label

from backroom import models
from backroom.screens.customer.base import CustomerTab
from backroom.tui.formatters import date_text, money, plain

ORDERS_SHOWN = 200


class OrdersTab(CustomerTab):
    TITLE = "Orders"
    PANE_ID = "cust-orders"
    FIRST = "#orders-table"

    def __init__(self, customer_id: int) -> None:
        super().__init__(customer_id)
        self.more = False

    def fetch(self) -> list[models.OrderRow]:
        return models.customer_orders(self.customer_id, limit=ORDERS_SHOWN + 1)

    def compose_content(self) -> ComposeResult:
        yield Label("", id="orders-status", classes="status", markup=False)
        yield DataTable(id="orders-table", cursor_type="row", zebra_stripes=True)

    def show_data(self, rows: list[models.OrderRow]) -> None:
        table = self.query_one("#orders-table", DataTable)
        table.clear(columns=True)
        table.add_column("Order", key="number")
        table.add_column("Placed", key="placed")
        table.add_column("Status", key="status")
        table.add_column(Text("Items", justify="right"), key="items")
        table.add_column("Cur.", key="currency")
        table.add_column(Text("Shipping", justify="right"), key="shipping")
        table.add_column(Text("Total", justify="right"), key="total")
        for r in rows[:ORDERS_SHOWN]:
            status = f"{r.status} (not counted)" if r.status in models.NOT_COUNTED else r.status
            table.add_row(plain(r.number), plain(date_text(r.placed_at)), plain(status),
                          Text(f"{r.items:,}", justify="right"), plain(r.currency),
                          Text(money(r.shipping), justify="right"), Text(money(r.total), justify="right"),
                          key=str(r.id))
        self.more = len(rows) > ORDERS_SHOWN
        self.customer_updated()

    def customer_updated(self) -> None:
        c = self.customer
        assert c is not None
        more = f" · newest {ORDERS_SHOWN} shown" if self.more else ""
        self.query_one("#orders-status", Label).update(
            f"{c.order_count:,} order{'s' if c.order_count != 1 else ''} · total spent "
            f"{money(models.money(c.total_spent))}{more}")
