"""F2: the Customers list's first rows, read while the screen is built.

The rows are asked for as the screen composes its table (not once the table
has mounted, after the filter bar's widgets), a screen and the next at first
(the rest of the cache as the cursor nears it), and the count of every
match once the rows are drawn.  (Here F2 builds the list: pressed before
it was built ahead, behind the first screen; test_tui_areas.py has the list
built ahead.)"""

from __future__ import annotations

import asyncio

import pytest
from tui_helpers import make_app, make_db, open_list, settle

from backroom import models
from backroom.screens.customers import CustomersScreen
from backroom.tui.customertable import CustomerTable
from backroom.tui.safetext import SafeInput
from backroom.tui import app as app_module
from backroom.tui.window import WindowedTable


@pytest.fixture(autouse=True)
def list_not_built_ahead(monkeypatch):
    monkeypatch.setattr(app_module, "BUILT_AHEAD", ("reviews",))


def recorded_reads(monkeypatch) -> list[dict]:
    """Every page of customers read, with its arguments."""
    reads: list[dict] = []
    page = models.customer_page

    def recording(*args, **kwargs):
        reads.append(kwargs)
        return page(*args, **kwargs)

    monkeypatch.setattr(models, "customer_page", recording)
    return reads


async def test_f2_asks_for_the_rows_before_the_table_is_mounted(tmp_path, monkeypatch):
    make_db(tmp_path, 300)
    reads = recorded_reads(monkeypatch)
    started_at_mount: list[int] = []
    mount = WindowedTable.on_mount

    def noting(self):
        if isinstance(self, CustomerTable):
            started_at_mount.append(self._fetch_seq)
        mount(self)

    monkeypatch.setattr(WindowedTable, "on_mount", noting)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_list(pilot)
        table = app.screen.query_one(CustomerTable)
        assert started_at_mount == [1]  # the read was on its way when the table mounted
        assert len(reads) == 1 and reads[0]["offset"] == 0  # and it was not asked for again
        assert table.row_count == table._page and table.total == 300
        assert table.current_id() == models.customer_page(sort="name", limit=1)[0].id


async def test_rows_read_before_the_table_mounts_are_shown_when_it_does(tmp_path, monkeypatch):
    """The table's mount held back until its rows are in: they wait for it,
    and it shows them without reading them again."""
    make_db(tmp_path, 300)
    reads = recorded_reads(monkeypatch)
    mount = WindowedTable.on_mount
    waited: list[bool] = []

    async def late(self):
        if isinstance(self, CustomerTable):
            for _ in range(3000):
                if self._before_mount:
                    break
                await asyncio.sleep(0.01)
            waited.append(bool(self._before_mount))
        mount(self)

    monkeypatch.setattr(WindowedTable, "on_mount", late)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_list(pilot)
        table = screen.query_one(CustomerTable)
        assert waited == [True]
        assert len(reads) == 1
        assert table.row_count == table._page and table.total == 300
        assert "300 matching · row 1 " in str(screen.query_one("#customers-status").render())
        await pilot.press("down", "down")
        await settle(pilot)
        assert table.position == 2
        assert table.current_id() == models.customer_page(sort="name", offset=2, limit=1)[0].id


async def test_the_first_read_is_two_screens_and_the_rest_comes_as_the_cursor_nears_it(tmp_path, monkeypatch):
    make_db(tmp_path, 300)
    reads = recorded_reads(monkeypatch)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_list(pilot)
        table = app.screen.query_one(CustomerTable)
        page = table._page
        assert page < reads[0]["limit"] <= 2 * 40 + 2 < table.CACHE_MIN  # the app's height: 40 lines
        assert len(table._window.rows) == reads[0]["limit"]
        for _ in range(6):  # page by page through what the first read held, and past it
            await pilot.press("pagedown")
            await settle(pilot)
            assert table.row_count == page  # no placeholder left on screen
        assert table.position == 6 * page
        assert max(r["limit"] for r in reads) == table._cache_size()  # the cache, read ahead
        assert table.current_id() == models.customer_page(sort="name", offset=6 * page, limit=1)[0].id
        # A new filter reads two screens of its own from the top.
        await pilot.press("slash")
        await pilot.press("a")
        await pilot.press("enter")
        await settle(pilot)
        assert reads[-1]["offset"] == 0 and reads[-1]["limit"] == 2 * page + 2
        assert table.total == models.count_customers(models.CustomerFilter(text="a"))


async def test_the_count_starts_once_the_first_rows_are_drawn(tmp_path, monkeypatch):
    """Counting every match (a moment at a million) is not run beside the
    frame that draws the first rows."""
    make_db(tmp_path, 300)
    counting = models.count_customers
    drawn_when_counted: list[bool] = []
    app = make_app()

    def count(*args, **kwargs):
        screen = app.screen
        if isinstance(screen, CustomersScreen):
            table = screen.query_one(CustomerTable)
            drawn = [line for (pos, _), line in list(table._lines.items()) if table._row_at(pos) is not None]
            drawn_when_counted.append(bool(drawn))
        return counting(*args, **kwargs)

    monkeypatch.setattr(models, "count_customers", count)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_list(pilot)
        assert drawn_when_counted == [True]
        assert screen.query_one(CustomerTable).total == 300


async def test_the_filter_box_is_not_focused_on_the_way_to_the_list(tmp_path, monkeypatch):
    """The list has the focus from the first (focusing the filter's text box
    and taking it back restyled it twice, and the footer with it)."""
    make_db(tmp_path, 60)
    focused: list[str] = []
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        watch = SafeInput.watch_has_focus

        def noting(self, focus):
            if focus:
                focused.append(self.id or "")
            return watch(self, focus)

        monkeypatch.setattr(SafeInput, "watch_has_focus", noting)
        screen = await open_list(pilot)
        assert focused == []
        assert screen.focused is screen.query_one(CustomerTable)
        await pilot.press("slash")  # the filter is a key away, as before
        await settle(pilot)
        assert focused == ["f-text"]
