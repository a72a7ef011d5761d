"""Several admins at once: the workload of the concurrency test and of
``bench/bench_concurrency.py``.

Each admin is a process of its own (multiprocessing, spawn: nothing is
inherited but the arguments) that, for a bounded time, does what admins do:
edits customers and groups with version checks, assigns and unassigns
overlapping selections (ranges of registration dates, so they overlap
often), sets a group's members, joins and leaves one customer, changes a
customer's default group (so leaving it falls back to General), and
moderates reviews one at a time and in bulk.  It logs every operation that
succeeded with what it returned, every refusal (:class:`ConflictError`) and
every other error, and each operation's latency.

:func:`verify` then checks that the database's final state is the initial
state plus the sum of the successful operations: group and customer
versions, members per group, one "joined"/"left" notification per customer
who actually joined/left (per group and customer), a review history that
steps through each change of status and ends at the review's status, and one
audit entry per successful operation with the figures it returned.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import json
import multiprocessing
import os
import random
import time
import traceback
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

from backroom import models
from backroom.datalayer import transactions
from backroom.models import CustomerFilter, ReviewFilter, Selection

TODAY = dt.datetime(2026, 11, 1)
GROUPS = (("conc-a", False), ("conc-b", False), ("conc-c", False), ("conc-h", True))  # code, hidden
SPAN_DAYS = 6 * 365  # the seed registers customers over six years before TODAY

# What an admin does, and how often (weights).  The one-row edits are the
# ones whose latency must stay low while the bulk changes run.
OPS = {
    "customer_edit": 20, "group_edit": 10, "join": 6, "leave": 6, "set_default": 4,
    "moderate_one": 14, "assign": 12, "unassign": 10, "set_members": 4, "moderate_bulk": 4,
}
ONE_ROW_OPS = ("customer_edit", "group_edit", "join", "leave", "set_default", "moderate_one")


@dataclasses.dataclass
class Plan:
    """How big the bulk changes are, in customers (ranges of registration days)."""

    customers: int
    bulk_min: int
    bulk_max: int
    hot_customers: int = 200  # one-row edits pick among these, so they collide
    hot_reviews: int = 100

    def days_for(self, n: int) -> int:
        return max(1, round(n * SPAN_DAYS / self.customers))


# -- databases of our own on a server ----------------------------------------

def engine_of(url: str) -> str:
    return urlparse(url).scheme.split("+")[0].replace("postgres", "postgresql").replace("postgresqlql", "postgresql")


def _admin_connection(server_url: str):
    db = models.make_database(server_url)
    db.connect()
    if engine_of(server_url) == "postgresql":
        db.connection().autocommit = True
    return db


def create_scratch_database(server_url: str, name: str) -> str:
    """Create database ``name`` on the server of ``server_url`` (dropping any
    leftover of that name) and return its URL."""
    db = _admin_connection(server_url)
    try:
        db.execute_sql(f"DROP DATABASE IF EXISTS {name}")
        db.execute_sql(f"CREATE DATABASE {name}")
    finally:
        db.close()
    return urlunparse(urlparse(server_url)._replace(path=f"/{name}"))


def drop_scratch_database(server_url: str, name: str) -> None:
    db = _admin_connection(server_url)
    try:
        if engine_of(server_url) == "postgresql":
            db.execute_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
        db.execute_sql(f"DROP DATABASE IF EXISTS {name}")
    finally:
        db.close()


# -- the initial and final state ---------------------------------------------

def prepare(url: str, customers: int, *, rng_seed: int = 7) -> None:
    """Seed ``customers`` and make the workload's groups (connects to ``url``)."""
    models.connect(url)
    models.set_actor("setup")
    models.seed(customers, rng_seed=rng_seed, today=TODAY)
    for code, hidden in GROUPS:
        models.create_group({"code": code, "name": code.replace("-", " ").title(), "hidden": hidden})
    models.db.close()


def snapshot() -> dict[str, Any]:
    """What verify compares (on the connected database)."""
    groups = {g.id: {"code": g.code, "version": g.version, "hidden": g.hidden}
              for g in models.CustomerGroup.select()}
    members: dict[int, set[int]] = collections.defaultdict(set)
    for c, g in models.Membership.select(models.Membership.customer, models.Membership.group).tuples():
        members[g].add(c)
    customers = {c: (v, d) for c, v, d in models.Customer.select(
        models.Customer.id, models.Customer.version, models.Customer.default_group).tuples()}
    notes: dict[tuple[int, int], list[str]] = collections.defaultdict(list)
    box = models.outbox(include_exported=True, limit=10_000_000)
    assert len(box) == models.outbox_count(include_exported=True)
    for r in box:
        notes[(r.group_id, r.customer_id)].append(r.event)
    reviews = dict(models.Review.select(models.Review.id, models.Review.status).tuples())
    events: dict[int, list[str]] = collections.defaultdict(list)
    for r, s in (models.ReviewEvent.select(models.ReviewEvent.review, models.ReviewEvent.status)
                 .order_by(models.ReviewEvent.id).tuples()):
        events[r].append(s)
    audit = [(i, actor, action, entity_id, json.loads(after) if after else None)
             for i, actor, action, entity_id, after in models.AuditEntry.select(
                 models.AuditEntry.id, models.AuditEntry.actor, models.AuditEntry.action,
                 models.AuditEntry.entity_id, models.AuditEntry.after).order_by(models.AuditEntry.id).tuples()]
    return {"groups": groups, "members": members, "customers": customers, "notes": notes,
            "reviews": reviews, "events": events, "audit": audit}


# -- one admin ---------------------------------------------------------------

def _date_window(rng: random.Random, plan: Plan) -> CustomerFilter:
    n = rng.randint(plan.bulk_min, plan.bulk_max)
    days = plan.days_for(n)
    # Windows start on a coarse grid, so two admins' selections often overlap.
    grid = max(1, days // 2)
    start = TODAY.date() - dt.timedelta(days=SPAN_DAYS + 1)
    offset = rng.randrange(0, max(1, SPAN_DAYS + 1 - days), grid)
    frm = start + dt.timedelta(days=offset)
    return CustomerFilter(registered_from=frm, registered_to=frm + dt.timedelta(days=days - 1))


def _do(kind: str, rng: random.Random, plan: Plan, ctx: dict[str, Any]) -> dict[str, Any]:
    """Run one operation of ``kind``; return what to log about its success."""
    groups, general = ctx["groups"], ctx["general"]
    hot = rng.randrange(1, plan.hot_customers + 1)
    if kind == "customer_edit":
        c = models.get_customer(hot)
        models.update_customer(c.id, {"phone": f"+44 {rng.randrange(10 ** 9):09d}"}, expected_version=c.version)
        return {"customer": c.id}
    if kind == "group_edit":
        gid = rng.choice(groups)
        version = models.group_row(gid).version
        models.update_group(gid, {"description": f"edited {rng.random():.6f}"}, expected_version=version)
        return {"group": gid}
    if kind == "join":
        gid = rng.choice(groups)
        models.join_group(hot, gid)
        return {"group": gid, "customer": hot}
    if kind == "leave":
        gid = rng.choice(groups + [general])
        models.leave_group(hot, gid)
        return {"group": gid, "customer": hot}
    if kind == "set_default":
        gid = rng.choice(groups + [general])
        c = models.get_customer(hot)
        models.set_default_group(c.id, gid, expected_version=c.version)
        return {"group": gid, "customer": c.id}
    if kind == "assign":
        gid = rng.choice(groups)
        sel = Selection.matching(_date_window(rng, plan)) | Selection.ids([hot])
        return {"group": gid, "added": models.assign_customers(gid, sel)}
    if kind == "unassign":
        gid = rng.choice(groups + [general])
        sel = Selection.matching(_date_window(rng, plan)) | Selection.ids([hot])
        return {"group": gid, "removed": models.unassign_customers(gid, sel)}
    if kind == "set_members":
        gid = rng.choice(groups)
        version = models.group_row(gid).version
        sel = Selection.matching(_date_window(rng, plan))
        _, added, removed = models.update_group(gid, {}, expected_version=version, members=sel)
        return {"group": gid, "added": added, "removed": removed}
    if kind == "moderate_one":
        rid = rng.randrange(1, plan.hot_reviews + 1)
        status = rng.choice(models.REVIEW_STATUSES)
        reason = "Off-topic" if status == "rejected" and rng.random() < 0.5 else None
        return {"review": rid, "status": status,
                "changed": models.moderate_reviews(Selection.ids([rid]), status, reason=reason)}
    if kind == "moderate_bulk":
        status = rng.choice(models.REVIEW_STATUSES)
        flt = ReviewFilter(rating=rng.randint(1, 5))
        sel = Selection.matching(flt) & Selection.ids(range(1, plan.hot_reviews * 2 + 1)) \
            if rng.random() < 0.5 else Selection.matching(flt)
        return {"status": status, "changed": models.moderate_reviews(sel, status)}
    raise ValueError(kind)


def admin(url: str, index: int, seconds: float, plan: Plan, out: str, start_at: float) -> None:
    """One admin's session: operations for ``seconds`` from ``start_at``
    (a wall-clock time, so the admins start together); the log goes to
    ``out`` as JSON."""
    models.connect(url, upgrade=False)
    models.set_actor(f"admin{index}")
    rng = random.Random(1000 + index)
    ctx = {"groups": [models.get_group_by_code(code).id for code, _ in GROUPS],
           "general": models.general_group().id}
    kinds, weights = zip(*OPS.items())
    log: list[dict[str, Any]] = []
    time.sleep(max(0.0, start_at - time.time()))
    end = time.time() + seconds
    while time.time() < end:
        kind = rng.choices(kinds, weights)[0]
        t, retried_before = time.perf_counter(), transactions.retries
        entry: dict[str, Any] = {"kind": kind, "admin": index}
        try:
            entry.update(_do(kind, rng, plan, ctx))
            entry["ok"] = True
        except models.ConflictError as exc:
            entry["conflict"] = str(exc)
        except Exception as exc:  # noqa: BLE001 - every other error is a finding
            entry["error"] = f"{type(exc).__name__}: {exc}"
            entry["trace"] = traceback.format_exc(limit=6)
        entry["s"] = time.perf_counter() - t
        entry["retries"] = transactions.retries - retried_before
        log.append(entry)
    models.db.close()
    Path(out).write_text(json.dumps(log))


def run_admins(url: str, admins: int, seconds: float, plan: Plan, workdir: Path) -> list[dict[str, Any]]:
    """Run ``admins`` processes at once; every entry of every log."""
    ctx = multiprocessing.get_context("spawn")
    start_at = time.time() + 2.0 + 0.25 * admins  # time for the processes to start
    outs = [workdir / f"admin-{os.getpid()}-{i}.json" for i in range(admins)]
    procs = [ctx.Process(target=admin, args=(url, i, seconds, plan, str(outs[i]), start_at))
             for i in range(admins)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=seconds + 300)
    logs = []
    for p, out in zip(procs, outs):
        if p.exitcode != 0 or not out.exists():
            raise RuntimeError(f"an admin process failed (exit code {p.exitcode})")
        logs += json.loads(out.read_text())
        out.unlink()
    return logs


# -- checking ----------------------------------------------------------------

def _expected_audit(entry: dict[str, Any]) -> list[tuple]:
    """The audit entries one successful operation writes: (action, entity id, figures)."""
    kind = entry["kind"]
    if kind == "customer_edit":
        return [("customer.update", entry["customer"], {})]
    if kind == "set_default":
        return [("customer.default_group", entry["customer"], {})]
    if kind == "group_edit":
        return [("group.update", entry["group"], {})]
    if kind in ("join", "assign"):
        return [("group.assign", entry["group"], {"added": entry["added"]} if kind == "assign" else {})]
    if kind in ("leave", "unassign"):
        return [("group.unassign", entry["group"], {"removed": entry["removed"]} if kind == "unassign" else {})]
    if kind == "set_members":
        # No field changes: a save that changes no member records nothing.
        out = []
        if entry["added"] or entry["removed"]:
            out.append(("group.members", entry["group"], {"added": entry["added"], "removed": entry["removed"]}))
        return out
    return [("review.moderate", None, {"changed": entry["changed"]})]


def verify(before: dict[str, Any], after: dict[str, Any], log: list[dict[str, Any]]) -> list[str]:
    """Every way the final state differs from the initial state plus the
    successful operations (an empty list when it does not)."""
    problems: list[str] = []

    def problem(text: str) -> None:
        if len(problems) < 30:
            problems.append(text)
        elif len(problems) == 30:
            problems.append("... and more")

    failed = [e for e in log if "error" in e]
    for i, e in enumerate(failed):
        # The first one's traceback; the others' first lines.
        problem(f"{e['kind']} failed: {e['error'].splitlines()[0]}" + (f"\n{e.get('trace', '')}" if i == 0 else ""))
    ok = [e for e in log if e.get("ok")]
    groups = after["groups"]

    # Versions: one step per successful operation on the group or customer.
    bumps = collections.Counter(e["group"] for e in ok
                                if e["kind"] in ("group_edit", "join", "leave", "assign", "unassign")
                                or (e["kind"] == "set_members" and (e["added"] or e["removed"])))
    for g, row in groups.items():
        want = before["groups"][g]["version"] + bumps[g]
        if row["version"] != want:
            problem(f"group {row['code']}: version {row['version']}, expected {want}")
    cbumps = collections.Counter(e["customer"] for e in ok if e["kind"] in ("customer_edit", "set_default"))
    for c, (version, default) in after["customers"].items():
        want = before["customers"][c][0] + cbumps[c]
        if version != want:
            problem(f"customer {c}: version {version}, expected {want}")
        if c not in after["members"].get(default, ()):
            problem(f"customer {c} is not a member of their default group {default}")

    # The audit log: each admin's entries, in order, are those of its
    # successful operations, with the figures the operations returned.
    first_new = before["audit"][-1][0] if before["audit"] else 0
    new_audit = [a for a in after["audit"] if a[0] > first_new]
    by_actor: dict[str, list[tuple]] = collections.defaultdict(list)
    for _, actor, action, entity_id, data in new_audit:
        by_actor[actor].append((action, entity_id, data))
    ok_by_admin = collections.defaultdict(list)
    for e in ok:
        ok_by_admin[f"admin{e['admin']}"].append(e)
    for actor in sorted(set(by_actor) | set(ok_by_admin)):
        want_entries = [w for e in ok_by_admin[actor] for w in _expected_audit(e)]
        got_entries = by_actor[actor]
        if len(got_entries) != len(want_entries):
            problem(f"audit: {len(got_entries)} entries by {actor} for {len(want_entries)} expected")
            continue
        for (action, eid, figures), (g_action, g_eid, g_data) in zip(want_entries, got_entries):
            if (action != g_action or (eid is not None and str(eid) != g_eid)
                    or any((g_data or {}).get(k) != v for k, v in figures.items())):
                problem(f"audit by {actor}: {g_action} {g_eid} {g_data}, expected {action} {eid} {figures}")
                break

    # Members and the outbox, per group: for each customer the notifications
    # alternate, starting from whether they were a member and ending at
    # whether they are; and they add up to what the operations reported.
    audited = collections.defaultdict(lambda: [0, 0])  # group -> [added, removed]
    for _, _, action, entity_id, data in new_audit:
        if action in ("group.assign", "group.members"):
            audited[int(entity_id)][0] += data["added"]
        if action in ("group.unassign", "group.members"):
            audited[int(entity_id)][1] += data["removed"]
        if action == "customer.default_group":  # joining the new default group if need be
            audited[data["default_group_id"]][0] += data["joined"]
    for g, row in groups.items():
        b, a = before["members"].get(g, set()), after["members"].get(g, set())
        notes = {c: ev for (ng, c), ev in after["notes"].items() if ng == g}
        old = {c: ev for (ng, c), ev in before["notes"].items() if ng == g}
        if row["hidden"] or row["code"] == "guest":
            if notes != old:
                problem(f"group {row['code']}: notifications queued for a hidden or system group")
        else:
            joined = left = 0
            for c in b | a | set(notes):
                events = notes.get(c, [])[len(old.get(c, [])):]
                joined += events.count("joined")
                left += events.count("left")
                expect = ["left" if (c in b) == (i % 2 == 0) else "joined" for i in range(len(events))]
                if events != expect or (c in b) != ((c in a) if len(events) % 2 == 0 else (c not in a)):
                    problem(f"group {row['code']}, customer {c}: member before {c in b}, after {c in a}, "
                            f"notifications {events}")
            if row["code"] != "general" and (joined, left) != tuple(audited[g]):
                problem(f"group {row['code']}: operations reported {audited[g][0]} joined and {audited[g][1]} "
                        f"left, the outbox holds {joined} joined and {left} left")
        if row["code"] != "general" and len(a) != len(b) + audited[g][0] - audited[g][1]:
            problem(f"group {row['code']}: {len(a)} members, expected {len(b)} + {audited[g][0]} "
                    f"- {audited[g][1]}")

    # Reviews: each change of status is one history event, in order.
    changed = sum(e["changed"] for e in ok if e["kind"] in ("moderate_one", "moderate_bulk"))
    grown = sum(len(v) for v in after["events"].values()) - sum(len(v) for v in before["events"].values())
    if grown != changed:
        problem(f"reviews: the operations changed {changed} statuses, the history grew by {grown}")
    for r, status in after["reviews"].items():
        history, old = after["events"].get(r, []), before["events"].get(r, [])
        steps = [before["reviews"][r]] + history[len(old):]
        if history[:len(old)] != old:
            problem(f"review {r}: its earlier history changed")
        if any(x == y for x, y in zip(steps, steps[1:])):
            problem(f"review {r}: a history event that changed nothing: {steps}")
        if steps[-1] != status:
            problem(f"review {r}: status {status}, but its history ends at {steps[-1]}")
    for e in ok:
        if e["kind"] == "moderate_one" and e["changed"] not in (0, 1):
            problem(f"moderating review {e['review']} changed {e['changed']} reviews")
    return problems


def summary(log: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per operation kind: how many succeeded, were refused, failed; p50/p95/max seconds."""
    out: dict[str, dict[str, Any]] = {}
    for kind in OPS:
        entries = [e for e in log if e["kind"] == kind]
        times = sorted(e["s"] for e in entries)
        out[kind] = {
            "ok": sum(1 for e in entries if e.get("ok")),
            "conflicts": sum(1 for e in entries if "conflict" in e),
            "retries": sum(e.get("retries", 0) for e in entries),
            "errors": sum(1 for e in entries if "error" in e),
            "p50_s": percentile(times, 50), "p95_s": percentile(times, 95),
            "max_s": times[-1] if times else None,
        }
    return out


def percentile(sorted_values: list[float], p: float) -> float | None:
    if not sorted_values:
        return None
    k = max(0, min(len(sorted_values) - 1, int(round(p / 100 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]
