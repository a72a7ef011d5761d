"""What a page of customers says of their groups: the codes, and which of
them are hidden from customers (the Customers list marks those)."""

from __future__ import annotations

from backroom import models


def test_a_page_says_which_of_a_customers_groups_are_hidden(database):
    a = models.create_customer({"first_name": "Ann", "last_name": "A", "email": "ann@example.com"})
    b = models.create_customer({"first_name": "Bob", "last_name": "B", "email": "bob@example.com"})
    trade, _ = models.create_group({"code": "trade", "name": "Trade", "hidden": True})
    vip, _ = models.create_group({"code": "vip", "name": "VIP"})
    models.assign_customers(trade.id, models.Selection.ids([a.id]))
    models.assign_customers(vip.id, models.Selection.ids([a.id, b.id]))
    rows = {r.email: r for r in models.customer_page(models.CustomerFilter(), sort="email")}
    assert rows["ann@example.com"].groups == ["general", "trade", "vip"]
    assert rows["ann@example.com"].hidden_groups == ("trade",)
    assert rows["bob@example.com"].groups == ["general", "vip"] and rows["bob@example.com"].hidden_groups == ()
    # Hidden later (and shown again): the next page read says so.
    models.update_group(vip.id, {"hidden": True}, expected_version=models.get_group(vip.id).version)
    rows = {r.email: r for r in models.customer_page(models.CustomerFilter(), sort="email")}
    assert rows["ann@example.com"].hidden_groups == ("trade", "vip")
    assert rows["bob@example.com"].hidden_groups == ("vip",)
