"""An unexpected error in the TUI stops it loudly and safely: return code
non-zero, nothing printed by Textual (whose report shows every frame's
variables), and a report file, mode 0600, that names the error's type and
where it happened but holds neither its message nor any value.  (The same
in a real terminal, exit status and all: test_terminal_output.py.)"""

from __future__ import annotations

import asyncio
import stat
import threading

import pytest
from textual import events
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Label
from textual.worker import WorkerFailed

from backroom import main as cli
from backroom import models
from backroom.screens.groups import GroupsScreen
from backroom.tui import crash
from backroom.tui.app import BackroomApp
from backroom.tui.background import Background
from tui_helpers import make_ada, make_app, make_db, open_list, settle, type_text

SECRET = "Ada Lovelace <ada@example.com>"


@pytest.fixture
def state_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return tmp_path / "state" / "backroom" / "crashes"


async def crash_on_key(app, key: str) -> None:
    """Press ``key``, which breaks the app: wait for it to stop (not for
    it to settle, which it never will)."""
    app.post_message(events.Key(key, key if len(key) == 1 else None))
    for _ in range(500):
        if app.crash is not None:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{key} did not break the app")


def assert_safe_report(path, *where: str) -> str:
    assert path is not None and path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert "Error:" in text
    for frame in where:
        assert f"in {frame}" in text, text
    for private in ("Ada", "Lovelace", "ada@example.com"):  # the values; the code may say anything
        assert private not in text, text
    return text


async def test_an_error_in_a_key_handler_stops_the_app_with_a_report(tmp_path, state_dir, monkeypatch):
    make_db(tmp_path, 5)

    def action_sort(self):
        customer = SECRET  # a local that Textual's report would print
        raise ValueError(f"boom: {customer}")

    monkeypatch.setattr(GroupsScreen, "action_sort", action_sort)
    app = make_app()
    with pytest.raises(ValueError):  # run_test raises it again, for the tests
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await crash_on_key(app, "s")
    assert app.return_code == 1
    assert app._exit_renderables == []  # Textual prints nothing on the way out
    assert isinstance(app.crash, ValueError)
    assert app.crash_report is not None and app.crash_report.parent == state_dir
    assert stat.S_IMODE(state_dir.stat().st_mode) == 0o700
    text = assert_safe_report(app.crash_report, "action_sort")
    assert "Error:    ValueError" in text and "Screen:   GroupsScreen (in groups)" in text


class WaitingScreen(Screen[None], Background):
    """Reads in a worker until the test lets it go, then breaks as it shows."""

    def __init__(self, gate: threading.Event) -> None:
        super().__init__()
        self.gate = gate
        self.shown = False

    def compose(self) -> ComposeResult:
        yield Label("waiting", id="waiting")

    def on_mount(self) -> None:
        self.run_job(lambda: self.gate.wait(10), self.show_result, name="read")

    def show_result(self, _ready: bool) -> None:
        self.shown = True
        self.query_one("#waiting", Label).update(f"{SECRET} {1 / 0}")


async def test_an_error_in_what_a_worker_hands_back_stops_the_app(tmp_path, state_dir):
    """Before, such an error only failed the worker, unseen, the screen left half-done."""
    make_db(tmp_path, 5)
    gate = threading.Event()
    app = make_app()
    with pytest.raises(ZeroDivisionError):
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            screen = WaitingScreen(gate)
            app.push_screen(screen)
            await pilot.pause()
            gate.set()
            await settle(pilot)
    assert screen.shown and app.return_code == 1
    assert_safe_report(app.crash_report, "show_result", "deliver")


async def test_a_result_for_a_screen_already_closed_is_dropped(tmp_path, state_dir):
    make_db(tmp_path, 5)
    gate = threading.Event()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = WaitingScreen(gate)
        app.push_screen(screen)
        await pilot.pause()
        app.pop_screen()
        gate.set()
        await settle(pilot)
        assert isinstance(app.screen, GroupsScreen)
    assert not screen.shown and not app.return_code and app.crash is None


async def test_a_customer_screen_that_breaks_leaves_no_customer_data_in_the_report(tmp_path, state_dir,
                                                                                     monkeypatch):
    make_db(tmp_path, 5)
    make_ada()

    def summary(self):
        raise RuntimeError(f"boom {self.customer.first_name} {self.customer.email}")

    from backroom.screens.customer import CustomerScreen
    monkeypatch.setattr(CustomerScreen, "summary", summary)
    app = make_app()
    with pytest.raises(RuntimeError):
        async with app.run_test(size=(80, 24)) as pilot:
            await open_list(pilot)
            await pilot.press("slash")
            await type_text(pilot, "ada")
            await pilot.press("enter")
            await settle(pilot)
            await crash_on_key(app, "enter")  # open Ada
    text = assert_safe_report(app.crash_report, "summary", "show_customer")
    assert "backroom/screens/customer/__init__.py:" in text  # where, relative to the package


def test_the_report_names_types_and_frames_only():
    def inner(value):
        raise KeyError(value)

    try:
        try:
            inner(SECRET)
        except KeyError as exc:
            raise RuntimeError(f"boom {SECRET}") from exc
    except RuntimeError as exc:
        error = exc
    text = crash.report_text(WorkerFailed(error), screen="CustomersScreen (in customers)")
    assert "Error:    RuntimeError" in text  # the worker's error, not Textual's wrapper
    assert "It was caused by: KeyError" in text and "in inner" in text
    assert "tests/tui/test_crash.py" in text or "test_crash.py" in text
    assert SECRET not in text and "WorkerFailed" not in text


def test_without_a_state_directory_the_report_goes_to_the_temporary_directory(tmp_path, monkeypatch):
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocked))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    import tempfile
    monkeypatch.setattr(tempfile, "tempdir", None)  # read TMPDIR again
    path = crash.write_report(RuntimeError(SECRET))
    assert path is not None and path.parent == tmp_path / "tmp" and path.name.startswith("backroom-crash-")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and SECRET not in path.read_text()


def test_the_command_line_exits_non_zero_and_names_the_report(tmp_path, state_dir, monkeypatch, capsys):
    """Even an error that escapes Textual (starting or stopping the terminal)."""
    def run(self, **kwargs):
        raise OSError(f"boom {SECRET}")

    monkeypatch.setattr(BackroomApp, "run", run)
    assert cli.main(["--db", f"sqlite:///{tmp_path / 'x.db'}", "init"]) == 0
    status = cli.main(["--db", f"sqlite:///{tmp_path / 'x.db'}"])
    err = capsys.readouterr().err
    assert status == cli.EXIT_CRASH == 70
    assert err.startswith("backroom: the TUI stopped on an unexpected error (OSError); a report")
    assert SECRET not in err and "Traceback" not in err
    report = next(state_dir.iterdir())
    assert str(report) in err
    assert_safe_report(report, "cmd_tui")
    models.db.close()


def test_the_command_line_exits_with_the_apps_status(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(BackroomApp, "run", lambda self, **kwargs: None)
    assert cli.main(["--db", f"sqlite:///{tmp_path / 'x.db'}", "init"]) == 0
    assert cli.main(["--db", f"sqlite:///{tmp_path / 'x.db'}"]) == 0
    assert capsys.readouterr().err == ""
    models.db.close()
