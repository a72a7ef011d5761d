"""Pilot tests: the History screen (F9 or the palette, from every area): the
audit log newest first, its filters, Enter opening what an entry changed, and
hostile text in entries staying inert; snapshots at 80×24 and 120×40."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tui_helpers import SIZES, assert_clean_screen, burst, make_app, make_db, settle, take_snapshot

from backroom import models
from backroom.screens.customer import CustomerScreen
from backroom.screens.groups.view import GroupViewScreen
from backroom.screens.history import EntryModal, HistoryScreen

T0 = dt.datetime(2026, 3, 10, 9, 30)
HOSTILE = "[red]x[/red]\x1b[2J\x1b]8;;http://evil\x07\u202eevil\r\nforged"


def put(minutes: int, actor: str, action: str, entity: str, entity_id, before=None, after=None):
    return models.AuditEntry.create(
        at=T0 + dt.timedelta(minutes=minutes), actor=actor, action=action, entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        before=None if before is None else json.dumps(before),
        after=None if after is None else json.dumps(after))


@pytest.fixture
def log(tmp_path):
    """A fixed log: times, admins and changes do not depend on today."""
    make_db(tmp_path, 20)
    models.AuditEntry.delete().execute()
    wholesale = models.get_group_by_code("wholesale")
    ada = models.Customer.select().order_by(models.Customer.id).first()
    gone, _ = models.create_group({"code": "gone", "name": "Gone"})
    models.delete_group(gone.id)
    models.AuditEntry.delete().execute()
    rows = {
        "rename": put(1, "alice", "group.update", "group", wholesale.id, {"name": "Trade"}, {"name": "Wholesale"}),
        "phone": put(2, "bob", "customer.update", "customer", ada.id, {"phone": ""}, {"phone": "+1 555 0100"}),
        "assign": put(3, "alice", "group.assign", "group", wholesale.id, None, {"added": 12}),
        "gone": put(4, "carol", "group.delete", "group", gone.id, {"code": "gone", "name": "Gone"}, None),
        "review": put(5, "bob", "review.moderate", "review", 3, {"status": "pending"}, {"status": "approved"}),
        "hostile": put(6, HOSTILE[:60], "customer.update", "customer", ada.id, {"note": ""}, {"note": HOSTILE}),
    }
    return rows, wholesale, ada


async def open_history(pilot) -> HistoryScreen:
    await settle(pilot)
    await pilot.press("f9")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, HistoryScreen)
    return screen


def shown_ids(screen: HistoryScreen) -> list[int]:
    table = screen.table
    return [table._row_at(i).id for i in range(table.total or 0)]


async def test_newest_first_and_filters_typed_in_a_burst(log):
    rows, wholesale, ada = log
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_history(pilot)
        order = ["hostile", "review", "gone", "assign", "phone", "rename"]
        assert shown_ids(screen) == [rows[k].id for k in order]
        # "/" to the admin box, typed with everything after it in one burst.
        await burst(pilot, "/", "alice", "enter")
        assert shown_ids(screen) == [rows["assign"].id, rows["rename"].id]
        assert screen.focused is screen.table
        await burst(pilot, "/", "tab", "group.assign", "enter")  # admin and kind
        assert shown_ids(screen) == [rows["assign"].id]
        await burst(pilot, "/", "ctrl+u", "tab", "ctrl+u", "tab", "tab", ada.email, "enter")
        assert shown_ids(screen) == [rows["hostile"].id, rows["phone"].id]
        await burst(pilot, "/", "tab", "tab", "tab", "ctrl+u", "tab", "2026-03-10", "enter")
        assert len(shown_ids(screen)) == 6
        await burst(pilot, "/", "tab", "tab", "tab", "tab", "ctrl+u", "in a while", "enter")
        status = str(screen.query_one("#history-status").content)
        assert "Cannot understand the date" in status
        await burst(pilot, "/", "tab", "tab", "wholesale", "tab", "tab", "ctrl+u", "enter")  # group; no date
        assert shown_ids(screen) == [rows["assign"].id, rows["rename"].id]


async def test_enter_opens_what_changed_or_shows_before_and_after(log):
    rows, wholesale, ada = log
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_history(pilot)
        # newest first: hostile (customer), review, gone (group deleted), assign (group)
        await burst(pilot, "enter")
        assert isinstance(app.screen, CustomerScreen) and app.screen.customer_id == ada.id
        await burst(pilot, "escape")
        assert app.screen is screen
        await burst(pilot, "down", "enter")  # a review: its before and after
        assert isinstance(app.screen, EntryModal) and app.screen.row.id == rows["review"].id
        body = str(app.screen.query_one("#entry-body").render())
        assert "pending" in body and "approved" in body
        await burst(pilot, "escape", "down", "enter")  # a group deleted since
        assert isinstance(app.screen, EntryModal) and app.screen.row.id == rows["gone"].id
        await burst(pilot, "escape", "down", "enter")
        assert isinstance(app.screen, GroupViewScreen) and app.screen.group_id == wholesale.id


async def test_hostile_text_stays_inert(log):
    rows, _, _ = log
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_history(pilot)
        text = assert_clean_screen(app, 80)
        assert "customer.update" in text and "review.moderate" in text
        await burst(pilot, "d")
        assert isinstance(app.screen, EntryModal) and app.screen.row.id == rows["hostile"].id
        text = assert_clean_screen(app, 80)
        assert "[red]x[/red]" in text and "forged" in text  # shown as typed, not as markup
        await burst(pilot, "escape", "escape")
        assert app.screen is not screen and not isinstance(app.screen, HistoryScreen)


async def test_history_from_every_area_and_the_palette(log):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for area in ("f2", "f3", "f4"):
            await burst(pilot, area, "f9")
            assert isinstance(app.screen, HistoryScreen)
            await burst(pilot, "escape")
            assert not isinstance(app.screen, HistoryScreen)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "History" in titles


@pytest.mark.parametrize("size", SIZES)
def test_snapshot(log, snap_compare, size):
    take_snapshot(snap_compare, size, "f9")


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_entry(log, snap_compare, size):
    async def details(pilot):
        await pilot.press("down", "d")

    take_snapshot(snap_compare, size, "f9", details)


async def test_scrolling_on_reads_keyset_pages(tmp_path, monkeypatch):
    make_db(tmp_path, 0)
    models.AuditEntry.delete().execute()
    made = [put(i, "alice", "group.update", "group", i, {"n": i}, {"n": i + 1}) for i in range(700)]
    offsets: list[int] = []
    keyset: list[int] = []
    window, page = models.audit_window, models.audit_page
    monkeypatch.setattr(models, "audit_window", lambda f, **kw: offsets.append(kw["offset"]) or window(f, **kw))
    monkeypatch.setattr(models, "audit_page", lambda f, **kw: keyset.append(1) or page(f, **kw))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_history(pilot)
        for _ in range(20):
            await pilot.press("pagedown")
        await settle(pilot)
        pos = screen.table._pos
        assert pos > 300
        assert screen.table.current().id == made[-1 - pos].id  # newest first, none skipped
        assert keyset  # read on from rows fetched: keyset pages
        assert max(offsets) == 0  # never an OFFSET into the log
