"""Backroom's stylesheets (.tcss), one per area; loaded by backroom.tui.app."""
