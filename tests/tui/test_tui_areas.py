"""Switching areas (F2, F3, F4): an area shown before comes back in the
next frame, as it was, and then brings its data up to date; the Reviews
area is built ahead, behind the first screen, and reads its data when it
is first shown."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time

import pytest
from textual.widgets import DataTable, Label
from tui_helpers import burst, key_event, make_app, make_db, settle

from backroom import models
from backroom.screens.customers import CustomersScreen
from backroom.screens.groups import GroupFormScreen, GroupsScreen
from backroom.screens.reviews import ReviewDetail, ReviewFilterBar, ReviewsScreen
from backroom.tui import app as app_module
from backroom.tui.app import BackroomApp
from backroom.tui.areas import AreaBar
from backroom.tui.customertable import CustomerTable
from backroom.tui.reviewtable import RatingChart, ReviewTable


async def test_an_area_shown_before_comes_back_without_holding_frames(tmp_path, monkeypatch):
    """Textual holds every frame back for a moment when it switches modes,
    to hide a screen being built; one built already is drawn at once."""
    monkeypatch.setattr(app_module, "BUILT_AHEAD", ("reviews",))  # (the Customers list is not built ahead here)
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


class HeldCounts:
    """models.list_groups with the answer of the first read of member counts
    held back until :meth:`release` (the reads after it run at once)."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.real = models.list_groups
        self.held = 0

    def __call__(self, *args, **kwargs):
        rows = self.real(*args, **kwargs)
        if kwargs.get("with_counts", True) and not self.held:
            self.held += 1
            self.gate.wait(10)
        return rows

    def release(self) -> None:
        self.gate.set()


def cell_text(screen: GroupsScreen, code: str, column: str) -> str:
    table = screen.query_one("#groups", DataTable)
    row = next(r for r in screen.rows if r.code == code)
    return str(table.get_cell(str(row.id), column))


async def test_groups_shown_again_draw_only_the_counts_that_changed(tmp_path, monkeypatch):
    """Back to Groups with only member counts changed: the counts are
    written into their cells; the list is not built and laid out again (the
    cursor stays where it was)."""
    make_db(tmp_path, 20)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        wholesale = next(r for r in screen.rows if r.code == "wholesale")
        await burst(pilot, "down", "down")
        cursor = screen.query_one("#groups", DataTable).cursor_row
        await burst(pilot, "f2")
        models.assign_customers(wholesale.id, models.Selection.all())
        rebuilt: list[int] = []
        monkeypatch.setattr(DataTable, "clear", lambda self, columns=False: rebuilt.append(1))
        await burst(pilot, "f3")
        assert app.screen is screen and rebuilt == []
        assert cell_text(screen, "wholesale", "members") == "20"
        assert next(r for r in screen.rows if r.code == "wholesale").member_count == 20
        assert screen.query_one("#groups", DataTable).cursor_row == cursor
        assert "20" in "\n".join(str(line) for line in app.screen._compositor.render_strips())


async def test_groups_shown_again_show_a_group_added_meanwhile(tmp_path):
    make_db(tmp_path, 20)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        await burst(pilot, "f2")
        models.create_group({"code": "late", "name": "Late comers"})
        await burst(pilot, "f3")
        assert [r.code for r in screen.rows].count("late") == 1
        assert cell_text(screen, "late", "name") == "Late comers"
        assert str(screen.query_one("#groups-status", Label).render()).startswith("4 groups · sorted by")


async def test_keys_after_f3_act_on_the_groups_shown_while_the_counts_are_read(tmp_path, monkeypatch):
    """The counts read again on coming back do not hold the keys: the list
    shown is the list the admin acts on (a at once opens the Add form)."""
    make_db(tmp_path, 20)
    app = make_app()
    held = HeldCounts()
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await burst(pilot, "f2")
            monkeypatch.setattr(models, "list_groups", held)
            for key in ("f3", "a"):
                event = key_event(key)
                event.set_sender(app)
                app.post_message(event)
            await until(lambda: isinstance(app.screen, GroupFormScreen))
            # The counts are being read, and not answered: the form came first.
            # (The worker's thread may get to its read after the form shows.)
            await until(lambda: held.held == 1)
            assert not held.gate.is_set() and isinstance(app.screen, GroupFormScreen)
            held.release()
            await settle(pilot)
    finally:
        held.release()


async def test_the_answer_of_a_load_replaced_meanwhile_is_dropped(tmp_path, monkeypatch):
    """Back to Groups (sorted by members), the counts are read again; a
    group deleted meanwhile loads the list afresh: the older answer, coming
    last, does not bring the deleted group back."""
    make_db(tmp_path, 20)
    app = make_app()
    held = HeldCounts()
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            screen = app.screen
            models.create_group({"code": "gone", "name": "Soon gone"})
            screen.sort = "members"  # (groups and counts read together)
            screen.load()
            await settle(pilot)
            await burst(pilot, "f2")
            monkeypatch.setattr(models, "list_groups", held)
            await burst_nowait(app, "f3")
            await until(lambda: app.screen is screen and held.held == 1)
            models.delete_group(models.get_group_by_code("gone").id)
            screen.load()  # as after a delete
            await until(lambda: "gone" not in [r.code for r in screen.rows] and not screen.query(".-loading"))
            held.release()
            await settle(pilot)
            assert "gone" not in [r.code for r in screen.rows]
            assert str(screen.query_one("#groups-status", Label).render()).startswith("3 groups · sorted by")
    finally:
        held.release()


async def burst_nowait(app, *keys: str) -> None:
    for key in keys:
        event = key_event(key)
        event.set_sender(app)
        app.post_message(event)


async def until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        await asyncio.sleep(0.01)


# -- the Reviews screen, built ahead -------------------------------------------


def built_reviews(app) -> ReviewsScreen:
    """The Reviews screen built behind the first one (tui/app.py, BUILT_AHEAD)."""
    stack = app._screen_stacks.get("reviews")
    assert stack and isinstance(stack[0], ReviewsScreen) and stack[0].is_mounted
    return stack[0]


def a_review_older_than_all(title: str) -> int:
    """A pending review written before every other: the first in the queue."""
    product = models.Product.select().first()
    oldest = models.Review.select().order_by(models.Review.created_at).first().created_at
    return models.Review.create(product=product, customer=models.Customer.select().first().id, rating=4,
                                title=title, body="written while the screen waited", status="pending",
                                created_at=oldest - dt.timedelta(days=1)).id


@pytest.mark.built_ahead
async def test_the_reviews_screen_built_ahead_reads_the_queue_when_first_shown(tmp_path):
    """Built while the admin reads the first screen, it reads nothing until
    F4: the queue, the counts and the area bar are those of that moment."""
    make_db(tmp_path, 20)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, GroupsScreen)
        screen = built_reviews(app)
        table = screen.query_one(ReviewTable)
        assert table.total is None and table.current() is None and screen.counts is None  # nothing read yet
        bar = screen.query_one(AreaBar)
        assert bar.query_one("#area-reviews").has_class("-active")
        assert not bar.query_one("#area-groups").has_class("-active")
        late = a_review_older_than_all("Written after the screen was built")
        await burst(pilot, "f4")
        assert app.screen is screen
        assert table.current().id == late
        pending = models.count_reviews(models.ReviewFilter(status="pending"))
        assert table.total == pending and screen.counts["pending"] == pending
        status = str(screen.query_one("#review-position", Label).render())
        assert status.startswith(f"review 1 of {pending:,}"), status
        assert "Written after the screen was built" in screen.query_one(ReviewDetail).text.plain
        assert screen.focused is table


def page_reads(monkeypatch, name: str) -> list[bool]:
    """models.``name`` (a page of a list) recorded: one entry per read, True
    when it ran on the event loop's thread."""
    reads: list[bool] = []
    real = getattr(models, name)

    def page(*args, **kwargs):
        reads.append(threading.current_thread() is threading.main_thread())
        return real(*args, **kwargs)

    monkeypatch.setattr(models, name, page)
    return reads


@pytest.mark.built_ahead
async def test_the_reviews_screen_built_ahead_warms_its_first_read_and_reads_again_on_f4(tmp_path, monkeypatch):
    """Once built, it reads the first page of the queue once, off the event
    loop, and throws it away (the first read of a process is the slow one);
    F4 still reads the queue of that moment."""
    make_db(tmp_path, 20)
    reads = page_reads(monkeypatch, "review_page")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = built_reviews(app)
        table = screen.query_one(ReviewTable)
        assert reads == [False]  # warmed, in a worker
        assert table.total is None and table.current() is None  # nothing kept
        late = a_review_older_than_all("Written after the warm read")
        await burst(pilot, "f4")
        assert len(reads) > 1 and not any(reads)
        assert table.current().id == late


@pytest.mark.built_ahead
async def test_keys_right_after_f4_act_on_the_queue_as_it_is_then(tmp_path):
    """F4 then a, typed together: a approves the review first in the queue
    when F4 was pressed (one written after the screen was built)."""
    make_db(tmp_path, 20)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        built_reviews(app)
        late = a_review_older_than_all("Approve me")
        await burst(pilot, "f4", "a")
        assert models.Review.get_by_id(late).status == "approved"


@pytest.mark.built_ahead
async def test_f4_holds_the_frames_until_the_queue_is_read(tmp_path, monkeypatch):
    """The first F4 leaves the Groups list on the terminal until the queue
    is read, then draws the Reviews screen with it, in one frame; a read
    that takes long is not waited for more than a moment."""
    make_db(tmp_path, 20)
    app = make_app()
    gate = threading.Event()
    real = models.review_page

    def held(*args, **kwargs):
        gate.wait(10)
        return real(*args, **kwargs)

    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            screen = built_reviews(app)
            a_review_older_than_all("Waiting")
            monkeypatch.setattr(models, "review_page", held)
            most = BackroomApp.hold_frames.__defaults__
            BackroomApp.hold_frames.__defaults__ = (30.0,)  # (here only the queue read can end the hold)
            try:
                await burst_nowait(app, "f4")
                await until(lambda: app.screen is screen)
                assert app._batch_count == 1  # nothing drawn yet
                await asyncio.sleep(0.2)
                assert app._batch_count == 1
                gate.set()
                await until(lambda: app._batch_count == 0)
                assert screen.query_one(ReviewTable).current() is not None
                assert str(screen.query_one("#review-position", Label).render()).startswith("review 1 of")
            finally:
                BackroomApp.hold_frames.__defaults__ = most
            await settle(pilot)

            # Once more, with a read that does not come: drawn all the same.
            await burst(pilot, "f3")
            app._screen_stacks.pop("reviews")  # (gone: built anew)
            app.build_ahead("reviews")
            await settle(pilot)  # (its warm-up read done)
            gate.clear()
            screen = built_reviews(app)
            await burst_nowait(app, "f4")
            await until(lambda: app.screen is screen)
            assert app._batch_count == 1
            await asyncio.sleep(0.3)
            assert app._batch_count == 0 and screen.query_one(ReviewTable).current() is None
            gate.set()
            await settle(pilot)
            assert screen.query_one(ReviewTable).current() is not None
    finally:
        gate.set()


def frames_drawn(screen, table) -> list[bool]:
    """The frames ``screen`` draws from now on: one entry per frame, True
    when ``table`` had the row under its cursor then."""
    frames: list[bool] = []
    draw = screen._compositor_refresh

    def drawn() -> None:
        frames.append(table.current() is not None)
        draw()

    screen._compositor_refresh = drawn
    return frames


@pytest.mark.built_ahead
async def test_f4_draws_the_queue_first_and_reads_its_counts_and_chart_after(tmp_path, monkeypatch):
    """The first F4 reads the queue alone and draws it; the counts by
    status and the chart of the ratings are read once that frame is drawn
    (read beside the rows, they took the machine's cores from them), and
    then show those of the queue.  The chart was drawn ahead with its
    caption."""
    make_db(tmp_path, 20)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = built_reviews(app)
        table = screen.query_one(ReviewTable)
        chart = screen.query_one(RatingChart)
        assert chart.caption == "Ratings: pending" and chart.distribution is None
        a_review_older_than_all("Written after the screen was built")
        frames = frames_drawn(screen, table)
        reads: list[tuple[str, list[bool]]] = []
        real = {name: getattr(models, name) for name in ("review_status_counts", "rating_distribution")}
        for name in real:
            def read(*args, _name=name, **kwargs):
                reads.append((_name, list(frames)))  # the frames drawn when it was read
                return real[_name](*args, **kwargs)

            monkeypatch.setattr(models, name, read)
        await burst(pilot, "f4")
        assert app.screen is screen and frames and frames[0]  # its first frame: with the queue's rows
        assert sorted(name for name, _ in reads) == ["rating_distribution", "review_status_counts"]
        assert all(drawn and drawn[0] for _, drawn in reads), reads  # read after that frame
        pending = models.ReviewFilter(status="pending")
        counts = real["review_status_counts"](pending)
        assert screen.counts == counts
        assert str(screen.query_one("#review-counts", Label).render()) == (
            " · ".join(f"{s.capitalize()} {counts[s]:,}" for s in models.REVIEW_STATUSES))
        assert chart.distribution == real["rating_distribution"](pending)
        assert chart.caption == "Ratings: pending"


@pytest.mark.built_ahead
async def test_f4_draws_the_reviews_screen_built_ahead_without_laying_it_out_again(tmp_path):
    """Built ahead, the Reviews screen is laid out as it comes on F4 (its
    toast rack, the scrollbar of a queue longer than the screen, what its
    widgets asked for once they had their sizes): the frame that brings
    it with its rows is drawn without laying the whole screen out again
    (at a million reviews that was a third of the key's time on the event
    loop).  Nor does its filter, applied once more after it was built
    (its fields' first values apply after a pause, and that can come after
    the screen was laid out ahead) with nothing to change."""
    make_db(tmp_path, 20)
    product = models.Product.select().first()
    customer = models.Customer.select().first().id
    oldest = models.Review.select().order_by(models.Review.created_at).first().created_at
    for n in range(60):  # a queue longer than the screen
        models.Review.create(product=product, customer=customer, rating=1 + n % 5, title=f"Waiting {n}",
                             body="in the queue", status="pending", created_at=oldest - dt.timedelta(days=n + 1))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = built_reviews(app)
        screen.query_one(ReviewFilterBar).apply()
        await settle(pilot)
        table = screen.query_one(ReviewTable)
        frames = frames_drawn(screen, table)
        layouts: list[list[bool]] = []
        lay_out = screen._refresh_layout

        def laid_out(*args, **kwargs):
            layouts.append(list(frames))
            return lay_out(*args, **kwargs)

        screen._refresh_layout = laid_out
        await burst(pilot, "f4")
        assert app.screen is screen and frames and frames[0]
        assert not [drawn for drawn in layouts if not drawn], layouts  # none before its first frame
        assert table.current().title == "Waiting 59" and table.total > table._page


# -- the Customers list, built ahead --------------------------------------------


def built_customers(app) -> CustomersScreen:
    stack = app._screen_stacks.get("customers")
    assert stack and isinstance(stack[0], CustomersScreen) and stack[0].is_mounted
    return stack[0]


@pytest.mark.built_ahead
async def test_the_customers_list_built_ahead_reads_its_rows_when_first_shown(tmp_path, monkeypatch):
    """Built behind the first screen, it reads its first rows once, off the
    event loop, and keeps none of them: F2 reads the list of that moment,
    and Enter typed with F2 opens the customer first in it then."""
    make_db(tmp_path, 20)
    reads = page_reads(monkeypatch, "customer_page")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, GroupsScreen)
        screen = built_customers(app)
        table = screen.query_one(CustomerTable)
        assert reads == [False]  # warmed, in a worker
        assert table.total is None and table.current_id() is None  # nothing kept
        assert screen.query_one(AreaBar).query_one("#area-customers").has_class("-active")
        first = models.create_customer({"first_name": "Aaron", "last_name": "Aardvark",
                                        "email": "aaron@example.com"}).id
        await burst(pilot, "f2", "enter")
        assert len(reads) > 1 and not any(reads)
        assert table.current_id() == first
        assert table.total == models.Customer.select().count()
        assert getattr(app.screen, "customer_id", None) == first


async def test_f2_while_the_customers_list_is_being_built_ahead_shows_its_rows(tmp_path, monkeypatch):
    """F2 pressed while the list is being mounted behind the first screen
    (a mount cannot be paused): it comes up with the rows of that moment."""
    monkeypatch.setattr(app_module, "BUILT_AHEAD", ())
    make_db(tmp_path, 20)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert not app._screen_stacks.get("customers")
        app.build_ahead("customers")
        await burst_nowait(app, "f2")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CustomersScreen) and screen.built_ahead
        table = screen.query_one(CustomerTable)
        assert table.current_id() is not None and table.total == models.Customer.select().count()
        assert "matching · row 1 " in str(screen.query_one("#customers-status", Label).render())


@pytest.mark.built_ahead
async def test_the_customers_list_is_built_ahead_without_waiting_for_the_pause(tmp_path, monkeypatch):
    """The Customers list (BUILT_AT_ONCE) is built behind the first screen as
    soon as no key is coming, not after AHEAD_AFTER_SHOWN: F2 pressed a
    moment after the first screen finds it built.  The Reviews screen still
    waits for the admin's pause."""
    monkeypatch.setattr(app_module, "AHEAD_AFTER_SHOWN", 60.0)
    make_db(tmp_path, 20)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await until(lambda: bool(app._screen_stacks.get("customers"))
                    and app._screen_stacks["customers"][0].is_mounted)
        screen = app._screen_stacks["customers"][0]
        assert isinstance(app.screen, GroupsScreen) and isinstance(screen, CustomersScreen)
        assert screen.built_ahead and not app._screen_stacks.get("reviews")  # (Reviews: after the pause)
        table = screen.query_one(CustomerTable)
        assert table.total is None and table.current_id() is None  # nothing read until shown
        monkeypatch.setattr(app_module, "AHEAD_AFTER_SHOWN", 0.0)
        await burst(pilot, "f2")
        assert app.screen is screen
        assert table.current_id() is not None and table.total == models.Customer.select().count()
