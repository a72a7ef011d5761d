"""The counts shown beside lists (a list's total, the member counts, the
review counts) run one at a time, in a thread of their own: the reads the
keys wait for (the rows of an area shown again) never wait behind them, and
a count made stale while it waited for its turn (the area left and shown
again meanwhile) is not run at all.  At a million customers a count takes
a second of a server core; switched between areas, the TUI had one running
for each switch, taking the machine's cores (and, past a few, every worker
thread) from the rows the next key read."""

from __future__ import annotations

import threading

from tui_helpers import burst, make_app, make_db, settle

from backroom import models
from backroom.screens.customers import CustomersScreen
from backroom.screens.groups import GroupsScreen
from test_tui_areas import burst_nowait, until


class HeldCount:
    """A count that waits for :meth:`release` (the calls are counted)."""

    def __init__(self, real, counts=lambda args, kwargs: True) -> None:
        self.real = real
        self.counts = counts
        self.gate = threading.Event()
        self.calls = 0

    def __call__(self, *args, **kwargs):
        if self.counts(args, kwargs):
            self.calls += 1
            self.gate.wait(30)
        return self.real(*args, **kwargs)

    def release(self) -> None:
        self.gate.set()


async def test_rows_shown_again_do_not_wait_behind_counts_and_stale_counts_are_not_run(tmp_path, monkeypatch):
    make_db(tmp_path, 20)
    app = make_app()
    customers = HeldCount(models.count_customers)
    members = HeldCount(models.list_groups, lambda args, kwargs: kwargs.get("with_counts", True))
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await burst(pilot, "f2")
            table = app.screen.table
            await burst(pilot, "f3")
            monkeypatch.setattr(models, "count_customers", customers)
            monkeypatch.setattr(models, "list_groups", members)
            # Back and forth, more times than there are worker threads: each
            # time back the Customers list reads its rows again (then its
            # count), the Groups list its member counts; no count answers.
            for _ in range(20):
                await burst_nowait(app, "f2")
                await until(lambda: isinstance(app.screen, CustomersScreen) and bool(table._window.rows))
                await burst_nowait(app, "f3")
                await until(lambda: isinstance(app.screen, GroupsScreen))
            assert customers.calls + members.calls == 1  # one count at a time: the first still waits
            customers.release()
            members.release()
            await settle(pilot)
            # Then the newest of each: the ones asked for in between were stale.
            assert (customers.calls, members.calls) == (2, 1), (customers.calls, members.calls)
            assert table.total == 20
    finally:
        customers.release()
        members.release()
