"""A screen shown for the first time keeps the styles its widgets were
mounted with (tui/firstshow.py), and so does an area's screen coming back
to the front, unless the app's own styles changed meanwhile: then it is
styled again, as Textual does.  How it looks is checked by the snapshots."""

from __future__ import annotations

from textual.color import Color
from tui_helpers import DB_LABEL, DrivenApp, burst, make_app, make_db, settle

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
        await burst(pilot, "f2")  # back again, nothing changed meanwhile: its styles stand
        assert isinstance(app.screen, CustomersScreen)
        assert restyled == []


class MarkedApp(DrivenApp):
    """Backroom with one style that depends on a class of the app."""

    CSS = "App.-marked #customer-list { background: #ff0000; }"


async def test_an_area_coming_back_is_styled_again_if_the_apps_styles_changed(tmp_path, monkeypatch):
    """Textual restyles only the screens in front when the app's classes or
    its focus change: an area behind is styled again when it comes back."""
    make_db(tmp_path, 20)
    restyled = count_restyles(monkeypatch, CustomersScreen)
    app = MarkedApp(db_label=DB_LABEL)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await burst(pilot, "f2")
        table = app.screen.query_one("#customer-list")
        assert table.styles.background != Color(255, 0, 0)
        await burst(pilot, "f3")
        app.add_class("-marked")
        await settle(pilot)
        await burst(pilot, "f2")
        assert isinstance(app.screen, CustomersScreen) and restyled == ["CustomersScreen"]
        assert table.styles.background == Color(255, 0, 0)
        await burst(pilot, "f3")
        app.app_focus = False  # the terminal's window lost focus (App:blur)
        await settle(pilot)
        await burst(pilot, "f2")
        assert restyled == ["CustomersScreen"] * 2
        await burst(pilot, "f3")
        await burst(pilot, "f2")
        assert restyled == ["CustomersScreen"] * 2


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
