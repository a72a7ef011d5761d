"""Starting Backroom does only what its first screen needs, and F2 shows the
customers before it has counted them.

The first screen (the Groups list) needs the data layer's core (the
connection, the tables, the groups), not the imports, exports, audit log or
demo data, nor the other screens: those are imported when first used
(``models`` and the screen packages resolve their names on first use, PEP
562), or once the first screen is drawn (``tui/app.py``'s WARM_UP)."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import threading

from tui_helpers import make_app, make_db, settle

from backroom import models
from backroom.screens.customers import CustomersScreen
from backroom.tui import collector
from backroom.tui.customertable import CustomerTable

# Imported by what the first screen needs, they would cost its launch.
NOT_AT_START = (
    "backroom.screens.customers", "backroom.screens.customer", "backroom.screens.groups.form",
    "backroom.screens.groups.view", "backroom.screens.grants", "backroom.screens.reviews",
    "backroom.datalayer.imports", "backroom.datalayer.exports", "backroom.datalayer.auditlog",
    "backroom.datalayer.demo", "dateutil.parser",
    # The upgrades of older schemas (an up-to-date database needs none), and
    # Textual's TextArea (the reply and reason dialogs').
    "backroom.datalayer.migrations.v2", "backroom.datalayer.migrations.v12_namesort",
    "backroom.tui.safetextarea", "textual.widgets._text_area",
)

FIRST_SCREEN = """
import json, sys
from backroom import main
main.build_parser(["--db", "sqlite:///x.db"]).parse_args(["--db", "sqlite:///x.db"])
from backroom import models
models.connect, models.session_admin, models.list_groups, models.count_reviews, models.pool_connections
import backroom.tui.app, backroom.screens.groups.list, backroom.screens.groups
print(json.dumps(sorted(sys.modules)))
"""


def test_the_first_screen_imports_only_what_it_shows():
    out = subprocess.run([sys.executable, "-c", FIRST_SCREEN], capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout))
    assert "backroom.datalayer.groups" in loaded  # (what it does need: the check can fail)
    assert sorted(m for m in NOT_AT_START if m in loaded) == []


def test_every_name_of_models_is_its_modules():
    """The lazy names of ``models`` each name what their module holds."""
    for module, names in models._EXPORTS.items():
        held = importlib.import_module(f"backroom.datalayer.{module}")
        for entry in names:
            name, _, alias = entry.partition(" as ")
            assert getattr(models, alias or name) is getattr(held, name), entry
    assert set(models.__all__) <= set(dir(models))
    try:
        models.no_such_name
    except AttributeError:
        pass
    else:
        raise AssertionError("models.no_such_name resolved")


def test_the_command_line_builds_a_commands_options_when_it_is_named():
    from backroom import main

    args = main.build_parser(["audit", "--limit", "5"]).parse_args(["audit", "--limit", "5"])
    assert args.command == "audit" and args.limit == 5
    args = main.build_parser(["export", "customers", "x.csv"]).parse_args(["export", "customers", "x.csv"])
    assert args.export_what == "customers" and args.format == "backroom"
    short = main.build_parser(["--db", "sqlite:///x.db"]).format_help()
    assert all(command in short for command in ("import", "export", "audit"))


async def test_f2_shows_the_first_rows_before_the_count(tmp_path, monkeypatch):
    """The count of every customer (a moment at a million) comes after the
    rows, from a worker: held back here, the rows are on screen without it."""
    make_db(tmp_path, 300)  # more than the table reads at once: the rows alone do not tell the count
    release = threading.Event()
    counting = models.count_customers

    def held_back(*args, **kwargs):
        release.wait(30)
        return counting(*args, **kwargs)

    monkeypatch.setattr(models, "count_customers", held_back)
    app = make_app()
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press("f2")
            for _ in range(500):
                await pilot.pause(0.01)
                screen = app.screen
                if isinstance(screen, CustomersScreen) and screen.query_one(CustomerTable).row_count:
                    break
            table = app.screen.query_one(CustomerTable)
            assert table.row_count and table.total is None
            status = str(app.screen.query_one("#customers-status").render())
            assert "counting… matching · row 1 " in status
            release.set()
            await settle(pilot)
            assert table.total == 300
            assert "300 matching · row 1 " in str(app.screen.query_one("#customers-status").render())
    finally:
        release.set()


# -- the garbage collector, paused while the TUI starts (tui/collector.py) -------

def test_the_command_line_pauses_the_collector_while_the_tui_starts(tmp_path, monkeypatch):
    """``backroom`` with no command pauses the collector before the TUI is
    imported and built; whatever happens, it runs again once main() returns."""
    import gc

    from backroom import main

    make_db(tmp_path, 3)
    seen: list[bool] = []

    def tui(args, url):
        seen.append(gc.isenabled())
        raise models.BackroomError("stopped here")

    monkeypatch.setattr(main, "cmd_tui", tui)
    assert gc.isenabled()
    try:
        assert main.main(["--db", f"sqlite:///{tmp_path / 'tui.db'}"]) == main.EXIT_ERROR
        assert seen == [False]  # paused while the TUI started
        assert gc.isenabled() and not collector.paused()  # and running again after
        assert main.main(["--db", f"sqlite:///{tmp_path / 'tui.db'}", "groups", "list"]) == 0
        assert seen == [False] and gc.isenabled()  # another command: never paused
    finally:
        collector.resume(freeze=False)


async def test_the_app_resumes_the_collector_once_its_first_screen_is_shown(tmp_path):
    """Paused as the TUI starts, the collector runs again as soon as the first
    screen is drawn with its data (not only after the fallback's seconds)."""
    import gc

    from backroom.tui import app as app_module

    make_db(tmp_path, 3)
    app = make_app()
    collector.pause()
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            assert app._warming is not None  # the first screen was shown with its data
            assert gc.isenabled() and not collector.paused()
            assert app_module.COLLECTOR_PAUSED_AT_MOST > 1  # (not the fallback that resumed it)
    finally:
        collector.resume(freeze=False)


async def test_the_first_screens_follow_up_starts_before_the_member_counts(tmp_path, monkeypatch):
    """What the app does once the first screen is shown (resume the
    collector, build ahead, import: first_screen_shown) starts when the
    groups are drawn, not once their member counts (read after them, a
    moment at a million members) are in."""
    make_db(tmp_path, 3)
    release = threading.Event()
    listing = models.list_groups

    def counts_held_back(*args, **kwargs):
        if kwargs.get("with_counts", True):
            release.wait(30)
        return listing(*args, **kwargs)

    monkeypatch.setattr(models, "list_groups", counts_held_back)
    app = make_app()
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            for _ in range(500):
                await pilot.pause(0.01)
                if app._warming is not None:
                    break
            assert app._warming is not None
            assert "sorted by" in str(app.screen.query_one("#groups-status").render())
            assert "…" in [str(c) for c in app.screen.query_one("#groups").get_column("members")]  # not counted
            release.set()
            await settle(pilot)
            assert "…" not in [str(c) for c in app.screen.query_one("#groups").get_column("members")]
    finally:
        release.set()
