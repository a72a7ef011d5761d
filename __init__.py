"""Backroom: the back office of an online shop, run in a terminal.

Installed, this folder is the one package ``backroom``: ``backroom.models``
is the data layer's face (its parts live in ``backroom.datalayer``),
``backroom.tui`` the App and shared widgets, ``backroom.screens`` one module
per area, and ``backroom.main`` the command line (also ``python -m backroom``).
"""
