"""A screen shown for the first time keeps the styles its widgets were
mounted with (tui/firstshow.py); coming back to it styles it again, as
Textual does.  How it looks is checked by the snapshots."""

from __future__ import annotations

from tui_helpers import burst, make_app, make_db, settle

from backroom.screens.customers import CustomersScreen
from backroom.screens.groups import GroupFormScreen, GroupsScreen


def count_restyles(monkeypatch, screen_class) -> list[str]:
    """The screens of ``screen_class`` styled again as a whole (by name)."""
    seen: list[str] = []
    original = screen_class.update_node_styles

    def counted(self, animate: bool = True) -> None:
        seen.append(type(self).__name__)
        original(self, animate)

    monkeypatch.setattr(screen_class, "update_node_styles", counted)
    return seen


async def test_the_customers_list_is_styled_once_when_first_shown(tmp_path, monkeypatch):
    make_db(tmp_path, 20)
    restyled = count_restyles(monkeypatch, CustomersScreen)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await burst(pilot, "f2")
        assert isinstance(app.screen, CustomersScreen) and app.screen.query_one("#customer-list").row_count
        assert restyled == []
        await burst(pilot, "f3")
        await burst(pilot, "f2")  # back again: styled again, as Textual does
        assert isinstance(app.screen, CustomersScreen)
        assert restyled == ["CustomersScreen"]


async def test_the_group_form_is_styled_once_when_first_shown(tmp_path, monkeypatch):
    make_db(tmp_path, 20)
    restyled = count_restyles(monkeypatch, GroupFormScreen)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, GroupsScreen)
        await burst(pilot, "a")
        assert isinstance(app.screen, GroupFormScreen) and app.screen.focused.id == "code"
        assert restyled == []
