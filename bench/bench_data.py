"""Data-layer benchmark: seeding, bulk assignment and page fetches, on SQLite, PostgreSQL or MariaDB.

For each size (10k, 100k and 1M customers by default) a fresh process seeds a
new database — a SQLite file, or with ``--db URL`` of a PostgreSQL or
MySQL/MariaDB server a database created on that server for the run (named
``backroom_bench_data_<size>``, dropped after it unless ``--keep``) — and
measures:

- seeding time;
- assigning every customer matching a filter to a group through
  ``models.assign_customers`` (set-based: the memberships, each naming the
  change, and one outbox row for the whole change), the same to a hidden
  group (which queues nothing), and the membership INSERT ... SELECT run
  through the raw driver (sqlite3, psycopg2, PyMySQL) for comparison, and
  their ratio (``assign_vs_raw``);
- undoing that assign (``models.undo_membership_change``: every membership
  it added removed, each recorded for the outbox and a later undo, one
  "left" outbox row for them all), then, after assigning them again,
  unassigning them; the plain DELETE of the same memberships (from the raw
  group) through the raw driver, once before the undo and once after the
  unassign, their mean the anchor; and the ratios ``undo_vs_raw`` and
  ``unassign_vs_raw`` (``remove_raw_spread``: how far the two raw runs
  were apart, relative to their mean: the noise of the run);
- the outbox: counting it, and a page of it at its far end and halfway;
- fetching a 50-row page, without a filter, with a text filter, with a
  status + registered-date filter, and deep in the list (offset = half);
- counting the customers matching a filter;
- the process's peak memory (max RSS).

Prints a table, then (last) one JSON line with every figure.

    python bench/bench_data.py [--sizes 10000,100000,1000000] [--keep DIR] [--db URL]
                               [--reuse] [--prefix NAME]

With ``--keep DIR --reuse`` a database a previous ``--keep`` run left (with
the right number of customers) is measured again without seeding: the
groups that run made are removed first.  ``--prefix`` names the server
databases (``NAME_<size>``), so that two people on one server do not drop
each other's.

``--db`` names the server (``postgresql://postgres@127.0.0.1:5432/postgres``,
``mysql://root@127.0.0.1:3306/mysql``: the database in it is only where to
connect to create the run's own); ``sqlite:`` or nothing means SQLite files.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sqlite3
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import peewee as pw

from common import (LOAD_COLUMNS, db_mb, engine_version, is_server, peak_rss_mb, per_size, print_table, remove_db,
                    server_db_mb, timed)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "datalayer"))

import concurrency_workload as work  # noqa: E402

from backroom import models  # noqa: E402
from backroom.models import CustomerFilter, Selection  # noqa: E402

TODAY = dt.datetime(2026, 11, 1)


def measure(size: int, workdir: Path, server: str | None = None) -> dict:
    path = workdir / f"bench-{size}.db"
    name = f"{PREFIX}_{size}"
    if REUSE and (path.exists() if not server else _server_has(server, name)):
        url = (urlunparse(urlparse(server)._replace(path=f"/{name}")) if server else f"sqlite:///{path}")
    elif server:
        url = work.create_scratch_database(server, name)
    else:
        remove_db(path)
        url = f"sqlite:///{path}"
    try:
        return _measure(size, url, path)
    finally:
        if not models.db.is_closed():
            models.db.close()
        if server and not KEEP:
            work.drop_scratch_database(server, name)


KEEP = False
REUSE = False
PREFIX = "backroom_bench_data"
BENCH_GROUPS = ("bench", "raw", "quiet")


def _server_has(server: str, name: str) -> bool:
    db = work._admin_connection(server)
    try:
        if work.engine_of(server) == "postgresql":
            return db.execute_sql("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None
        return db.execute_sql("SELECT 1 FROM information_schema.schemata WHERE schema_name = %s",
                              (name,)).fetchone() is not None
    finally:
        db.close()


def _seeded(size: int) -> bool:
    """A database a previous ``--reuse`` run seeded with ``size`` customers;
    the groups that run made are removed (with their members and outbox)."""
    if "customer" not in models.db.get_tables() or models.Customer.select().count() != size:
        return False
    gids = [g.id for g in models.CustomerGroup.select().where(models.CustomerGroup.code.in_(BENCH_GROUPS))]
    if gids:
        with models.db.atomic():
            models.Notification.delete().where(models.Notification.group.in_(gids)).execute()
            changes = models.MembershipChange.select(models.MembershipChange.id).where(
                models.MembershipChange.group.in_(gids))
            models.MembershipEnd.delete().where(models.MembershipEnd.change.in_(changes)).execute()
            models.MembershipChange.delete().where(models.MembershipChange.group.in_(gids)).execute()
            models.Membership.delete().where(models.Membership.group.in_(gids)).execute()
            models.CustomerGroup.delete().where(models.CustomerGroup.id.in_(gids)).execute()
    return True


def run_raw(url: str, path: Path, sql: str, params: list) -> int:
    """Run one statement through the raw driver, in its own transaction, committed; its row count."""
    if models.is_sqlite():
        models.db.close()
        raw = sqlite3.connect(path)
        try:
            with raw:
                return raw.execute(sql, params).rowcount
        finally:
            raw.close()
            models.connect(url)
    conn = models.db.connection()  # the driver's own connection, its own transaction
    with conn.cursor() as cur:
        cur.execute(sql, params)
        n = cur.rowcount
    conn.commit()
    return n


def raw_delete(group_id: int, flt: CustomerFilter) -> tuple[str, list]:
    """The plain DELETE of a group's members that ``flt`` matches, the
    selection as the same subquery the application's statements use.  (On
    MariaDB 10.11 this, which reads the group's members by its index and
    looks each up in the customers, was as fast as the join from the
    customers, ``DELETE m FROM customer c STRAIGHT_JOIN membership m ...``,
    and as ``DELETE ... WHERE change = ?``, within the noise.)"""
    sel, params = Selection.matching(flt).query(models.Customer.id).sql()
    return (f"DELETE FROM membership WHERE group_id = {int(group_id)} AND customer_id IN ({sel})", list(params))


def _measure(size: int, url: str, path: Path) -> dict:
    models.connect(url)
    models.set_actor("bench")
    out: dict = {"customers": size}

    if not (REUSE and _seeded(size)):
        out["seed_s"], _ = timed(lambda: models.seed(size, rng_seed=1, today=TODAY))

    active = CustomerFilter(status="active")
    group, _ = models.create_group({"code": "bench", "name": "Bench"})
    out["assign_s"], added = timed(lambda: models.assign_customers(group.id, Selection.matching(active)))
    out["assigned"] = added

    # The same statement through the raw sqlite3 module, on a second group.
    raw_group, _ = models.create_group({"code": "raw", "name": "Raw"})
    query = (models.Membership.insert_from(
        Selection.matching(active).query().select(
            models.Customer.id, pw.Value(raw_group.id), pw.Value("manual"),
            pw.Value("bench"), pw.Value(models.utcnow())),
        [models.Membership.customer, models.Membership.group, models.Membership.source,
         models.Membership.added_by, models.Membership.added_at]))
    assign_raw = "assign_raw_sqlite3_s" if models.is_sqlite() else "assign_raw_driver_s"
    out[assign_raw], raw_added = timed(lambda: run_raw(url, path, *query.sql()))
    assert raw_added == added, (raw_added, added)
    out["assign_vs_raw"] = round(out["assign_s"] / out[assign_raw], 2)

    # A hidden group queues no notifications: the membership statement
    # alone, comparable with the raw sqlite3 figure above.
    quiet, _ = models.create_group({"code": "quiet", "name": "Quiet", "hidden": True})
    out["assign_hidden_s"], _ = timed(lambda: models.assign_customers(quiet.id, Selection.matching(active)))

    # Removing the same memberships through the raw driver (a plain DELETE from the raw group): once
    # before the undo and once after the unassign (the raw group filled again in between, untimed),
    # so that neither removal always runs in the other's wake (InnoDB purges a removal in the
    # background); the anchor is their mean.
    remove_raw = "remove_raw_sqlite3_s" if models.is_sqlite() else "remove_raw_driver_s"
    raw_removals = [timed(lambda: run_raw(url, path, *raw_delete(raw_group.id, active)))]
    assert raw_removals[0][1] == added, (raw_removals[0][1], added)
    assert run_raw(url, path, *query.sql()) == added

    done = models.last_membership_change(actor="bench", group_id=group.id)
    out["undo_assign_s"], _ = timed(lambda: models.undo_membership_change(done.op))
    assert models.group_member_count(group.id) == 0
    out["outbox_count_s"], queued = timed(models.outbox_count, 5)
    assert queued >= 2 * added, queued
    out["outbox_far_end_s"], _ = timed(lambda: models.outbox_page(offset=0, limit=50, newest_first=True), 5)
    out["outbox_halfway_s"], _ = timed(lambda: models.outbox_page(offset=queued // 2, limit=50), 5)
    models.assign_customers(group.id, Selection.matching(active))
    out["unassign_s"], removed = timed(lambda: models.unassign_customers(group.id, Selection.matching(active)))
    assert removed == added, (removed, added)
    raw_removals.append(timed(lambda: run_raw(url, path, *raw_delete(raw_group.id, active))))
    assert raw_removals[1][1] == added, (raw_removals[1][1], added)
    out[remove_raw] = (raw_removals[0][0] + raw_removals[1][0]) / 2
    out["remove_raw_spread"] = round(abs(raw_removals[0][0] - raw_removals[1][0]) / out[remove_raw], 2)
    out["undo_vs_raw"] = round(out["undo_assign_s"] / out[remove_raw], 2)
    out["unassign_vs_raw"] = round(out["unassign_s"] / out[remove_raw], 2)

    repeat = 15
    out["page_s"], rows = timed(lambda: models.customer_page(sort="registered", limit=50), repeat)
    assert len(rows) == 50
    text = CustomerFilter(text="smi")
    out["page_text_filter_s"], _ = timed(lambda: models.customer_page(text, sort="registered", limit=50), repeat)
    since = CustomerFilter(status="disabled", registered_from=dt.date(2024, 1, 1))
    out["page_status_date_filter_s"], _ = timed(
        lambda: models.customer_page(since, sort="registered", limit=50), repeat)
    out["page_sorted_by_spent_s"], _ = timed(
        lambda: models.customer_page(sort="total_spent", descending=True, limit=50), repeat)
    out["page_deep_offset_s"], _ = timed(
        lambda: models.customer_page(sort="registered", offset=size // 2, limit=50), 5)
    out["count_text_filter_s"], out["count_text_filter"] = timed(lambda: models.count_customers(text), 5)
    out["count_all_s"], _ = timed(models.count_customers, 5)
    out["db_mb"] = db_mb(path) if models.is_sqlite() else server_db_mb()
    models.db.close()
    out["peak_rss_mb"] = peak_rss_mb()
    return out


COLUMNS = [
    ("customers", "customers", "{:,}"),
    ("seed_s", "seed s", "{:.1f}"),
    ("assign_s", "assign all matching s", "{:.3f}"),
    ("assign_hidden_s", "same, no outbox s", "{:.3f}"),
    ("assign_raw_sqlite3_s", "same, raw sqlite3 s", "{:.3f}"),
    ("assign_raw_driver_s", "same, raw driver s", "{:.3f}"),
    ("assign_vs_raw", "assign/raw", "{:.2f}"),
    ("undo_assign_s", "undo assign s", "{:.3f}"),
    ("unassign_s", "unassign s", "{:.3f}"),
    ("remove_raw_sqlite3_s", "remove raw sqlite3 s", "{:.3f}"),
    ("remove_raw_driver_s", "remove raw driver s", "{:.3f}"),
    ("remove_raw_spread", "raw spread", "{:.2f}"),
    ("undo_vs_raw", "undo/raw", "{:.2f}"),
    ("unassign_vs_raw", "unassign/raw", "{:.2f}"),
    ("outbox_count_s", "outbox count ms", "ms"),
    ("outbox_far_end_s", "outbox end ms", "ms"),
    ("outbox_halfway_s", "outbox n/2 ms", "ms"),
    ("page_s", "page ms", "ms"),
    ("page_text_filter_s", "page text ms", "ms"),
    ("page_status_date_filter_s", "page status+date ms", "ms"),
    ("page_sorted_by_spent_s", "page by spent ms", "ms"),
    ("page_deep_offset_s", "page at n/2 ms", "ms"),
    ("count_text_filter_s", "count text ms", "ms"),
    ("count_all_s", "count all ms", "ms"),
    ("peak_rss_mb", "peak RSS MB", "{:.0f}"),
    ("db_mb", "db MB", "{:.0f}"),
]


def main() -> int:
    global KEEP, REUSE, PREFIX
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--keep", metavar="DIR", help="put the databases here (default: a temporary folder)")
    ap.add_argument("--db", metavar="URL", help="a PostgreSQL or MySQL/MariaDB server to run on (default: SQLite)")
    ap.add_argument("--reuse", action="store_true",
                    help="with --keep: measure on the databases a previous --keep run seeded (no seeding)")
    ap.add_argument("--prefix", default=PREFIX, help=f"server databases are PREFIX_<size> (default {PREFIX})")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--dir", help=argparse.SUPPRESS)
    args = ap.parse_args()
    KEEP = bool(args.keep)
    REUSE = bool(args.reuse and args.keep)
    PREFIX = args.prefix
    server = args.db if is_server(args.db) else None
    workdir = Path(args.dir or args.keep or tempfile.mkdtemp(prefix="backroom-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    if args.one:
        print(json.dumps(measure(args.one, workdir, server)))
        return 0
    extra = ["--dir", str(workdir), "--prefix", PREFIX] + (["--keep", str(workdir)] if args.keep else []) + (
        ["--db", server] if server else []) + (["--reuse"] if REUSE else [])
    results = per_size(__file__, [int(s) for s in args.sizes.split(",")], extra)
    print(f"Backroom data layer on {engine_version(server)}, Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} cores")
    print_table([*COLUMNS, *LOAD_COLUMNS], results)
    print(json.dumps({"bench": "data", "results": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
