"""Switching areas (F2, F3, F4): an area shown before comes back in the
next frame, as it was, and then brings its data up to date."""

from __future__ import annotations

from tui_helpers import burst, make_app, make_db, settle

from backroom.screens.customers import CustomersScreen
from backroom.screens.groups import GroupsScreen


async def test_an_area_shown_before_comes_back_without_holding_frames(tmp_path):
    """Textual holds every frame back for a moment when it switches modes,
    to hide a screen being built; one built already is drawn at once."""
    make_db(tmp_path, 20)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.action_area("customers")  # built now: its frames are held while it is
        assert app._batch_count == 1
        await settle(pilot)
        assert isinstance(app.screen, CustomersScreen) and app._batch_count == 0
        app.action_area("groups")
        assert isinstance(app.screen, GroupsScreen) and app._batch_count == 0
        await settle(pilot)
        await burst(pilot, "f2")
        assert isinstance(app.screen, CustomersScreen) and app._batch_count == 0
