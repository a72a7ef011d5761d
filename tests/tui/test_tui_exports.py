"""Pilot tests: exports from the screens — the Customers list's ticked
customers, a group's members (its View screen), the reviews queue — each
through the export operations, in a worker behind a progress bar; the
files are 0600 and hold what was asked for."""

from __future__ import annotations

import csv
import stat

import pytest

from backroom import models
from backroom.screens.groups import GroupViewScreen
from backroom.screens.transfer import ExportingModal
from backroom.tui.customertable import CustomerTable
from tui_helpers import burst, make_app, make_db, notifications, open_list, settle


@pytest.fixture
def here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # files typed as "out.csv"
    make_db(tmp_path, 30)
    return tmp_path


def rows(path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def private(path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_the_ticked_customers_are_exported_rather_than_the_filter(here):
    picked = [c.id for c in models.Customer.select().order_by(models.Customer.id.desc()).limit(2)]
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_list(pilot)
        table = screen.query_one(CustomerTable)
        # The ticks of the list's mass actions (a selection, not a list of rows).
        table.selectable = True
        for cid in picked:
            table.ticks.set(cid, True)
        await burst(pilot, "e")
        assert "the ticked customers" in str(app.screen.query_one(".dialog-title").render())
        await burst(pilot, "ticked.csv", "enter")
        assert any("Exported 2 customers to ticked.csv" in n for n in notifications(app))
    out = here / "ticked.csv"
    assert sorted(r["email"] for r in rows(out)) == sorted(models.Customer.get_by_id(c).email for c in picked)
    assert private(out)
    entry = models.AuditEntry.select().where(models.AuditEntry.action == "customers.export").get()
    assert entry.after_data()["filter"] == {"ids": sorted(picked)}


async def test_a_groups_members_from_its_view_screen(here):
    g, _ = models.create_group({"code": "vip", "name": "VIP"},
                               members=models.Selection.ids([c.id for c in models.Customer.select().limit(3)]))
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.push_screen(GroupViewScreen(g.id))
        await settle(pilot)
        await burst(pilot, "x")
        assert "the members of VIP" in str(app.screen.query_one(".dialog-title").render())
        await burst(pilot, "vip.csv", "enter")
        assert isinstance(app.screen, GroupViewScreen)
        assert any("Exported 3 members to vip.csv" in n for n in notifications(app))
    got = rows(here / "vip.csv")
    assert len(got) == 3 and {r["member_of"] for r in got} == {"vip"} and private(here / "vip.csv")


async def test_the_reviews_queue_as_filtered(here):
    pending = models.Review.select().where(models.Review.status == "pending").count()
    assert 0 < pending < models.Review.select().count()
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        await burst(pilot, "e")
        assert "the reviews the filter finds" in str(app.screen.query_one(".dialog-title").render())
        await burst(pilot, "reviews.csv", "enter")
        assert any(f"Exported {pending:,} review{'s' if pending != 1 else ''} to reviews.csv" in n for n in notifications(app))
    got = rows(here / "reviews.csv")
    assert len(got) == pending and {r["status"] for r in got} == {"pending"} and private(here / "reviews.csv")


async def test_progress_is_shown_and_a_failure_writes_nothing(here):
    seen: list[tuple[int, int]] = []

    def job(progress):
        progress(1, 2)
        seen.append((1, 2))
        raise models.ValidationError({"group": "No group has the code nope"})

    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        results: list = []
        app.push_screen(ExportingModal("a test", job), results.append)
        await settle(pilot)
        assert seen == [(1, 2)] and results == [None]
        assert any("No group has the code nope" in n for n in notifications(app))
        assert not isinstance(app.screen, ExportingModal)
