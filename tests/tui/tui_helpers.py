"""Shared helpers for the TUI tests: a fresh seeded database, the app, and
waiting until background workers and debounce timers have finished."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any


import pytest
from textual.widgets import Input

from backroom import models
from backroom.tui.app import BackroomApp

# A snapshot must not depend on when it is taken: a blinking cursor is shown
# or not depending on how loaded the machine is (a CI run failed on that).
# In tests, a focused input's cursor stays visible.
Input._toggle_cursor = lambda self: None  # type: ignore[method-assign]

TODAY = dt.datetime(2025, 1, 1, 12, 0, 0)
DB_LABEL = "sqlite:///backroom-test.db"


def make_db(tmp_path: Path, customers: int = 60) -> None:
    """A fresh SQLite database with deterministic demo customers."""
    models.connect(f"sqlite:///{tmp_path / 'tui.db'}")
    models.set_actor("tester")
    if customers:
        models.seed(customers, rng_seed=1, today=TODAY)


def make_app() -> BackroomApp:
    return BackroomApp(db_label=DB_LABEL)


async def settle(pilot: Any, rounds: int = 3, wait: float = 0.0) -> None:
    """Let debounce timers fire and every worker finish, a few times over,
    since a finished worker may start another."""
    if wait:
        await pilot.pause(wait)
    for _ in range(rounds):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def type_text(pilot: Any, text: str) -> None:
    await pilot.press(*[_key(ch) for ch in text])


def _key(ch: str) -> str:
    return {" ": "space", "/": "slash", ".": "full_stop", "-": "minus", "_": "underscore",
            "@": "at"}.get(ch, ch)


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


def notifications(app: Any) -> list[str]:
    return [n.message for n in app._notifications]


def group(code: str) -> models.CustomerGroup:
    return models.CustomerGroup.get(models.CustomerGroup.code == code)


def audit_actions(entity_id: int) -> list[str]:
    return [a.action for a in models.AuditEntry.select()
            .where((models.AuditEntry.entity == "group") & (models.AuditEntry.entity_id == str(entity_id)))
            .order_by(models.AuditEntry.id)]


SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


def take_snapshot(snap_compare: Any, size: tuple[int, int], *steps: Any, wait: float = 0.0) -> None:
    """Assert the snapshot of the app after ``steps``: keys to press, or
    async callables taking the pilot; everything settles after each."""

    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        for step in steps:
            if callable(step):
                await step(pilot)
            else:
                await pilot.press(step)
            await settle(pilot, wait=wait)

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)
