"""Shared helpers for the TUI tests: a fresh seeded database, the app, and
waiting until background workers and debounce timers have finished."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import shutil
import threading
import time
import unicodedata
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any, Awaitable, Callable, Iterable

import pytest
from textual import events
from textual.app import App
from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key
from textual.widgets import DataTable, Input, TextArea
from textual.worker import WorkerState

from backroom import models
from backroom.screens.customers import CustomerScreen, CustomersScreen
from backroom.tui.app import BackroomApp
from backroom.tui.customertable import CustomerTable
from backroom.tui.dialogs import ConfirmModal
from backroom.tui.keys import HoldsKeys, WaitsForLists

# A snapshot must not depend on when it is taken: a blinking cursor is shown
# or not depending on how loaded the machine is (a CI run failed on that).
# In tests, a focused input's cursor stays visible.
Input._toggle_cursor = lambda self: None  # type: ignore[method-assign]
TextArea._toggle_cursor_blink_visible = lambda self: None  # type: ignore[method-assign]

TODAY = dt.datetime(2025, 1, 1, 12, 0, 0)
DB_LABEL = "sqlite:///backroom-test.db"


# Where make_db() keeps the databases it copies: set for the session by
# tests/tui/conftest.py.  None: every database is seeded afresh.
TEMPLATE_DIR: Path | None = None
_templates: dict[int, Path] = {}


def make_db(tmp_path: Path, customers: int = 60) -> None:
    """A fresh SQLite database with deterministic demo customers.  Seeding
    the same customers again gives the same file, so each size is seeded
    once per session and copied."""
    target = tmp_path / "tui.db"
    if TEMPLATE_DIR is None:
        _seed(target, customers)
        return
    template = _templates.get(customers)
    if template is None:
        template = TEMPLATE_DIR / f"customers-{customers}.db"
        _seed(template, customers)
        # Everything into the main file, the WAL emptied and the connection
        # closed (the last one out removes the -wal and -shm files): the one
        # file is the whole database.
        models.db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        models.db.close()
        leftovers = sorted(p.name for p in TEMPLATE_DIR.glob(template.name + "-*"))
        assert not leftovers, f"the template database left {leftovers}"
        _templates[customers] = template
    shutil.copyfile(template, target)
    models.connect(f"sqlite:///{target}")
    models.set_actor("tester")


def _seed(path: Path, customers: int) -> None:
    models.connect(f"sqlite:///{path}")
    models.set_actor("tester")
    if customers:
        models.seed(customers, rng_seed=1, today=TODAY)


class DrivenApp(BackroomApp):
    """Backroom as the tests drive it.  Textual's Pilot follows each key it
    presses with two pauses until the process looks idle, at least 20 ms
    each and more while anything renders; here a key is followed by waiting
    until the app has handled it: its messages, and the layout and render
    they need.  Workers and debounce timers a key starts run on, as they do
    for a typist; settle() waits for them."""

    async def _press_keys(self, keys: Iterable[str]) -> None:
        for key in keys:
            if key.startswith("wait:"):
                await super()._press_keys([key])
                continue
            event = key_event(key)
            event.set_sender(self)
            self.post_message(event)
            await self.animator.wait_until_complete()
            await until_quiet(self, workers=False, timers=False)


def key_event(key: str) -> events.Key:
    """The key event for ``key`` as Textual's Pilot makes it ("a", "tab",
    "/" or "slash", "ctrl+s")."""
    if len(key) == 1 and not key.isalnum():
        key = _character_to_key(key)
    try:
        char: str | None = unicodedata.lookup(_get_unicode_name_from_key(REPLACED_KEYS.get(key, key)))
    except KeyError:
        char = key if len(key) == 1 else None
    return events.Key(key, char)


def keys_of(*parts: str) -> list[str]:
    """Keys for :func:`burst`: a part of one character or a key name
    ("tab", "ctrl+s", "escape") is one key; a longer part that is not a key
    name is text, one key per character ("dyson", "Name 8")."""
    keys: list[str] = []
    for part in parts:
        if len(part) == 1 or part in _KEY_NAMES or "+" in part.strip("+"):
            keys.append(part)
        else:
            keys.extend(part)
    return keys


_KEY_NAMES = {"tab", "shift+tab", "enter", "escape", "space", "backspace", "delete", "up", "down", "left",
              "right", "home", "end", "pageup", "pagedown", "slash", "question_mark", "f1", "f2", "f3",
              "f4", "f5", "f6", "f7", "f8", "f9", "f10"}


async def burst(pilot: Any, *parts: str) -> None:
    """Keys as a terminal hands over a burst of them (type-ahead over a slow
    SSH link, a paste, a fast typist): every key event is posted to the app
    before it handles the first, then the app settles.  ``parts`` as for
    :func:`keys_of`."""
    app = pilot.app
    for key in keys_of(*parts):
        event = key_event(key)
        event.set_sender(app)
        app.post_message(event)
    await settle(pilot)


def make_app() -> BackroomApp:
    return DrivenApp(db_label=DB_LABEL)


# settle() waits for one-shot timers due within this many seconds (the
# screens' debounces, Textual's short effects) but not for longer ones: a
# notification expires after seconds, and the tests read notifications.
SHORT_TIMER = 1.0
SETTLE_TIMEOUT = 30.0


def pending_work(app: App, *, workers: bool = True,
                 timers: bool = True) -> tuple[str, Callable[[], Awaitable[Any]]] | None:
    """What the app still has to do, and how to wait for it; None when it is
    quiet.  Work is a message queued or being handled, a callback waiting
    for the next refresh, an animation running, and unless told otherwise a
    worker running or a short timer (a debounce) pending."""
    if workers:
        for worker in app.workers:
            if worker.state in (WorkerState.PENDING, WorkerState.RUNNING):
                return f"worker {worker.name!r}", worker.wait
    if app.animator._animations:
        return "an animation", app.animator.wait_for_idle
    key_queue = getattr(app, "key_queue", None)
    if key_queue is not None and key_queue.busy:
        return "the key queue", _a_moment
    screen = app.screen
    if isinstance(screen, WaitsForLists) and screen.has_held_keys() and HoldsKeys.ready_for_keys(screen):
        # Keys wait for a list being read: they are still being typed, as
        # it were (a screen still loading keeps its keys for the test to see).
        return "keys held for a list", _a_moment
    for node in (app, *app.screen_stack, *app._registry):
        queue = node.__dict__.get("_message_queue")
        if queue is not None:
            if queue.qsize():
                return f"messages of {node!r}", _next_turn
            # Between messages a node's loop waits for the next one; anywhere
            # else it is still handling one (or mounting).
            if node._running and not node._closed and not queue.ready_event._waiters:
                return f"{node!r} handling a message", _a_moment
        # A screen runs its after-refresh callbacks when it is next idle: one
        # under a dialog, sent nothing, keeps them for when it is back (a
        # burst that moved a table's cursor, then opened a dialog, left one).
        if node._next_callbacks or (node is screen and node._callbacks):
            return f"callbacks of {node!r}", _next_turn
        if isinstance(node, DataTable) and node._running and (
                node._require_update_dimensions or node._updated_cells):
            # A table measures new rows' columns when it is next idle: a
            # screen pushed over it first (a burst) leaves that for later.
            node.check_idle()
            return f"{node!r} measuring its rows", _a_moment
        if timers:
            for timer in list(node._timers):
                task = timer._task
                if timer._repeat == 0 and timer._interval <= SHORT_TIMER and task is not None and not task.done():
                    return f"timer {timer.name!r} of {node!r}", partial(asyncio.wait, [task])
    return None


async def _next_turn() -> None:
    await asyncio.sleep(0)


async def _a_moment() -> None:
    await asyncio.sleep(0.001)


async def until_quiet(app: App, *, workers: bool = True, timers: bool = True,
                      timeout: float = SETTLE_TIMEOUT) -> None:
    """Wait until :func:`pending_work` finds nothing, the screen laid out and
    rendered (which may start more work).  Fails after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        pending = pending_work(app, workers=workers, timers=timers)
        if pending is None:
            app.screen._on_timer_update()  # what Textual's refresh timer would do next
            pending = pending_work(app, workers=workers, timers=timers)
            if pending is None:
                return
        what, wait = pending
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"the app did not settle in {timeout:.0f}s: {what}")
        waiting = asyncio.ensure_future(wait())
        await asyncio.wait([waiting], timeout=left)
        if not waiting.done():
            waiting.cancel()
        elif not waiting.cancelled():
            waiting.exception()  # a failed worker is the app's to report, not this wait's


def three_reviews_by_ada(tmp_path: Path) -> list[Any]:
    """A new database holding three pending reviews of one product by Ada
    Lovelace, a day apart; the first (by date) is the one the queue opens on."""
    make_db(tmp_path, 0)
    cat = models.Category.create(name="Coffee", slug="coffee")
    beans = models.Product.create(sku="B1", name="Beans", category=cat, price=Decimal("9"))
    ada = models.create_customer({"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"})
    return [models.Review.create(product=beans, customer=ada.id, rating=4, title=f"Review {i}",
                                 body=f"Body {i}", created_at=dt.datetime(2024, 1, 1 + i)) for i in range(3)]


async def settle(pilot: Any) -> None:
    """Wait until the app is quiet: every queued message handled, every
    worker finished (a finished worker may start another), every debounce
    timer fired, and the screen laid out."""
    await until_quiet(pilot.app)


CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# The zero-width joiner and non-joiner (U+200D, U+200C) are not here: they
# join emoji into one and shape scripts, so they show as text.
INVISIBLE_RE = re.compile("[\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]")


def assert_clean_screen(app: Any, width: int) -> str:
    """Everything on screen is inert text: no control or invisible format
    character, no link or click the data made, every line ``width`` cells.
    Returns the screen's text."""
    strips = app.screen._compositor.render_strips()
    text = "\n".join("".join(seg.text for seg in strip) for strip in strips)
    for strip in strips:
        assert strip.cell_length == width  # emoji, RTL and long words do not push the layout
        for seg in strip:
            assert not CONTROL_RE.search(seg.text), repr(seg.text)
            assert not INVISIBLE_RE.search(seg.text), repr(seg.text)
            if seg.style is not None:
                assert not seg.style.link, seg.style.link  # [link=...] never became a link
                assert not (seg.style.meta or {}).get("@click"), seg.style.meta
    svg = app.export_screenshot()
    assert "\x1b" not in svg and "\x9b" not in svg and "\x07" not in svg
    return text


async def type_text(pilot: Any, text: str) -> None:
    await pilot.press(*[_key(ch) for ch in text])


def _key(ch: str) -> str:
    return {" ": "space", "/": "slash", ".": "full_stop", "-": "minus", "_": "underscore",
            "@": "at"}.get(ch, ch)


async def confirm(pilot: Any) -> None:
    """Go ahead in the confirmation in front, as an admin does: type what it
    asks for and Enter, or Tab to its yes button and, once the button is
    armed, Enter."""
    dialog = pilot.app.screen
    assert isinstance(dialog, ConfirmModal), f"no confirmation in front but {dialog!r}"
    if dialog.typed is not None:
        await type_text(pilot, dialog.typed)
    else:
        await pilot.press("tab")
        assert dialog.drawn_at is not None
        await asyncio.sleep(max(0.0, dialog.drawn_at + dialog.ARM_SECONDS - time.monotonic()) + 0.01)
    await pilot.press("enter")
    await settle(pilot)


async def clear_input(pilot: Any) -> None:
    """Empty the focused input."""
    await pilot.press("end", "ctrl+u")


async def highlight_group(pilot: Any, code: str) -> None:
    """Move the groups list's cursor to ``code`` with the arrow keys."""
    screen = pilot.app.screen
    await pilot.press("ctrl+home")
    for _ in range(len(screen.rows) + 1):
        row = screen.current()
        if row is not None and row.code == code:
            return
        await pilot.press("down")
    raise AssertionError(f"group {code!r} not in the list")


async def open_edit_form(pilot: Any, code: str) -> Any:
    """From the groups list (or a group's View screen, ``code`` its group):
    e on group ``code``, and the Edit form once it has loaded."""
    from backroom.screens.groups import GroupFormScreen, GroupsScreen

    if isinstance(pilot.app.screen, GroupsScreen):
        await highlight_group(pilot, code)
    await pilot.press("e")
    await settle(pilot)
    form = pilot.app.screen
    assert isinstance(form, GroupFormScreen), f"no Edit form in front but {form!r}"
    assert form.group is not None and form.group.code == code
    return form


def notifications(app: Any) -> list[str]:
    return [n.message for n in app._notifications]


def group(code: str) -> models.CustomerGroup:
    return models.CustomerGroup.get(models.CustomerGroup.code == code)


def audit_actions(entity_id: int) -> list[str]:
    return [a.action for a in models.AuditEntry.select()
            .where((models.AuditEntry.entity == "group") & (models.AuditEntry.entity_id == str(entity_id)))
            .order_by(models.AuditEntry.id)]


SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


def take_snapshot(snap_compare: Any, size: tuple[int, int], *steps: Any) -> None:
    """Assert the snapshot of the app after ``steps``: keys to press, or
    async callables taking the pilot; everything settles after each."""

    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        for step in steps:
            if callable(step):
                await step(pilot)
            else:
                await pilot.press(step)
            await settle(pilot)

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)


def queries_on_the_event_loop(monkeypatch: Any) -> list[str]:
    """From now on, every SQL statement the app runs on the main thread (the
    event loop) is appended to the returned list: it should stay empty."""
    database = models.db.obj
    seen: list[str] = []
    execute = database.execute_sql

    def watched(sql: str, *args: Any, **kwargs: Any) -> Any:
        if threading.current_thread() is threading.main_thread():
            seen.append(sql)
        return execute(sql, *args, **kwargs)

    monkeypatch.setattr(database, "execute_sql", watched)
    return seen


# -- customers -----------------------------------------------------------------

ADA = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "phone": "+44 20 7946 0000"}
ADA_BILLING = {"name": "Ada Lovelace", "line1": "12 St James Square", "city": "London", "postcode": "SW1Y 4JH",
               "country": "GB"}


def make_ada() -> models.Customer:
    return models.create_customer(ADA, billing=ADA_BILLING)


async def open_list(pilot: Any) -> CustomersScreen:
    """F2: the customers list."""
    await settle(pilot)
    await pilot.press("f2")
    await settle(pilot)
    assert isinstance(pilot.app.screen, CustomersScreen)
    return pilot.app.screen


async def open_customer(pilot: Any, email: str) -> CustomerScreen:
    """Find the customer by email in the list and open them with Enter."""
    await open_list(pilot)
    await pilot.press("slash")
    await clear_input(pilot)
    await type_text(pilot, email)
    await pilot.press("enter")
    await settle(pilot)
    assert pilot.app.screen.query_one(CustomerTable).total == 1
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, CustomerScreen)
    return pilot.app.screen


async def go_tab(pilot: Any, tab: str) -> None:
    """Ctrl+N through the customer screen's tabs until ``tab`` is in front."""
    screen = pilot.app.screen
    for _ in range(6):
        if screen.tabs.active == tab:
            return
        await pilot.press("ctrl+n")
        await settle(pilot)
    raise AssertionError(f"no tab {tab}")


async def open_reviews(pilot: Any) -> Any:
    """F4 from the first screen: the Reviews screen, settled."""
    from backroom.screens.reviews import ReviewsScreen

    await settle(pilot)
    await pilot.press("f4")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ReviewsScreen)
    return screen
