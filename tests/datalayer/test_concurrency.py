"""Several admins at once, each a process of its own, on every configured
engine: every operation succeeds or is refused as a conflict, and the final
state is the initial state plus what the successful operations did
(versions, members, the outbox, review history, the audit log).  The
workload and the checks are in ``concurrency_workload``; the longer run with
figures is ``bench/bench_concurrency.py``."""

from __future__ import annotations

import os

import pytest

import concurrency_workload as work
from backroom import models
from conftest import ENGINES, _engine_id

ADMINS = 4
SECONDS = 4.0
PLAN = work.Plan(customers=1500, bulk_min=50, bulk_max=700, hot_customers=60, hot_reviews=60)


@pytest.fixture(params=ENGINES, ids=_engine_id)
def scratch_url(request, tmp_path):
    """A database of this test's own: a fresh SQLite file, or a database
    created for it on the server (others' tests use the server's test
    database at the same time) and dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'concurrency.db'}"
        return
    name = f"backroom_conc_{os.getpid()}"
    url = work.create_scratch_database(request.param, name)
    try:
        yield url
    finally:
        if not models.db.is_closed():
            models.db.close()
        work.drop_scratch_database(request.param, name)


def test_admins_at_once_add_up(scratch_url, tmp_path):
    work.prepare(scratch_url, PLAN.customers)
    models.connect(scratch_url, upgrade=False)
    before = work.snapshot()
    models.db.close()

    log = work.run_admins(scratch_url, ADMINS, SECONDS, PLAN, tmp_path)

    models.connect(scratch_url, upgrade=False)
    after = work.snapshot()
    models.db.close()
    problems = work.verify(before, after, log)
    ok = [e for e in log if e.get("ok")]
    kinds = {e["kind"] for e in ok}
    assert not problems, "\n".join(problems)
    # The run did something worth checking: every kind of operation succeeded.
    assert kinds >= {"customer_edit", "group_edit", "assign", "unassign", "moderate_one"}, sorted(kinds)
    assert sum(e.get("added", 0) for e in ok) > 0 and sum(e.get("removed", 0) for e in ok) > 0


def test_the_check_sees_drift():
    """verify finds a duplicate notification, a missing history event and an
    operation that failed, so a clean result means something."""
    before = {"groups": {1: {"code": "general", "version": 1, "hidden": False},
                         2: {"code": "vip", "version": 1, "hidden": False}},
              "members": {1: {10, 11}, 2: set()}, "customers": {10: (1, 1), 11: (1, 1)},
              "notes": {}, "reviews": {5: "pending"}, "events": {}, "audit": []}
    log = [{"kind": "assign", "admin": 0, "ok": True, "group": 2, "added": 1},
           {"kind": "moderate_one", "admin": 0, "ok": True, "review": 5, "status": "approved", "changed": 1},
           {"kind": "customer_edit", "admin": 1, "error": "OperationalError: deadlock detected"}]
    after = {**before, "groups": {1: before["groups"][1], 2: {"code": "vip", "version": 2, "hidden": False}},
             "members": {1: {10, 11}, 2: {10}},
             "notes": {(2, 10): ["joined", "joined"]}, "reviews": {5: "approved"}, "events": {},
             "audit": [(1, "admin0", "group.assign", "2", {"added": 1}),
                       (2, "admin0", "review.moderate", None, {"changed": 1})]}
    problems = "\n".join(work.verify(before, after, log))
    assert "deadlock detected" in problems
    assert "customer 10: member before False, after True, notifications ['joined', 'joined']" in problems
    assert "the history grew by 0" in problems
    after["notes"] = {(2, 10): ["joined"]}
    after["events"] = {5: ["approved"]}
    assert work.verify(before, after, log[:2]) == []
