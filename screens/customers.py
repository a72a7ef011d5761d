"""Customers: built in a later issue; for now a placeholder."""

from __future__ import annotations

from screens.placeholder import PlaceholderScreen


class CustomersScreen(PlaceholderScreen):
    TITLE = "Customers"
    AREA = "Customers"
    MESSAGE = ("The Customers screen comes in a later issue.\n"
               "Meanwhile, F3 opens Customer groups, where you can pick customers for a group.")
