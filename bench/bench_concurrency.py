"""Concurrency benchmark: several admins at once on SQLite, PostgreSQL and MariaDB.

For each engine, a database of its own (a SQLite file; on a server, a
database created for the run and dropped after it) is seeded with 100,000
customers; then 1, 2, 4 and 8 admins — each a process of its own — work at
once for a fixed time, doing what the concurrency test does
(``tests/datalayer/concurrency_workload.py``): one-row edits of customers
and groups with version checks, joins and leaves, default-group changes,
moderating one review; and bulk work — assigning and unassigning selections
of 1,000–50,000 customers, setting a group's members, moderating reviews in
bulk.  For each operation kind it reports operations per second and the
95th-percentile latency, and, per run, refusals (conflicts), transactions
retried and errors.  After each run the database's state is checked against
what succeeded (``--no-check`` skips that).

Prints a table per engine, then (last) one JSON line with every figure.

    python bench/bench_concurrency.py [--engines sqlite,postgresql,mysql]
        [--customers 100000] [--admins 1,2,4,8] [--seconds 20]
        [--postgres URL] [--mysql URL]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from common import print_table, remove_db

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "datalayer"))

import concurrency_workload as work  # noqa: E402

from backroom import models  # noqa: E402

SERVERS = {"postgresql": "postgresql://postgres@127.0.0.1:5432/test", "mysql": "mysql://root@127.0.0.1:3306/test"}


def run_engine(engine: str, server: str | None, args: argparse.Namespace, workdir: Path) -> dict:
    name = f"backroom_bench_conc_{os.getpid()}"
    path = workdir / "bench-concurrency.db"
    if server is None:
        remove_db(path)
        url = f"sqlite:///{path}"
    else:
        url = work.create_scratch_database(server, name)
    plan = work.Plan(customers=args.customers, bulk_min=args.bulk_min, bulk_max=args.bulk_max,
                     hot_customers=min(1000, args.customers), hot_reviews=500)
    out: dict = {"engine": engine, "customers": args.customers, "runs": []}
    try:
        t = time.perf_counter()
        work.prepare(url, args.customers)
        out["seed_s"] = round(time.perf_counter() - t, 1)
        for admins in args.admins:
            before = None
            if args.check:
                models.connect(url, upgrade=False)
                before = work.snapshot()
                models.db.close()
            log = work.run_admins(url, admins, args.seconds, plan, workdir)
            run = {"admins": admins, "seconds": args.seconds, "ops": len(log)}
            run["ops_per_s"] = round(len(log) / args.seconds, 1)
            per_kind = work.summary(log)
            for kind, figures in per_kind.items():
                run[f"{kind}_per_s"] = round((figures["ok"] + figures["conflicts"]) / args.seconds, 2)
                run[f"{kind}_p95_s"] = figures["p95_s"]
            one_row = sorted(e["s"] for e in log if e["kind"] in work.ONE_ROW_OPS)
            bulk = sorted(e["s"] for e in log if e["kind"] not in work.ONE_ROW_OPS)
            run["one_row_p95_s"] = work.percentile(one_row, 95)
            run["one_row_max_s"] = one_row[-1] if one_row else None
            run["bulk_p95_s"] = work.percentile(bulk, 95)
            run["bulk_rows_per_op"] = round(
                sum(e.get("added", 0) + e.get("removed", 0) for e in log if e.get("ok"))
                / max(1, sum(1 for e in log if e.get("ok") and e["kind"] in ("assign", "unassign", "set_members"))))
            run["conflicts"] = sum(1 for e in log if "conflict" in e)
            run["retries"] = sum(e.get("retries", 0) for e in log)
            run["errors"] = sum(1 for e in log if "error" in e)
            if args.check:
                models.connect(url, upgrade=False)
                after = work.snapshot()
                models.db.close()
                problems = work.verify(before, after, log)
                run["state_problems"] = len(problems)
                for p in problems[:5]:
                    print(f"{engine}, {admins} admins: {p.splitlines()[0]}", file=sys.stderr)
            out["runs"].append(run)
            print(f"{engine}: {admins} admins done, {run['ops']} operations", file=sys.stderr)
    finally:
        if not models.db.is_closed():
            models.db.close()
        if server is None:
            remove_db(path)
        else:
            work.drop_scratch_database(server, name)
    return out


COLUMNS = [
    ("admins", "admins", "{}"),
    ("ops_per_s", "operations/s", "{:.1f}"),
    *[(f"{kind}_per_s", f"{kind}/s", "{:.2f}") for kind in work.OPS],
    *[(f"{kind}_p95_s", f"{kind} p95 ms", "ms") for kind in work.OPS],
    ("one_row_p95_s", "one-row edits p95 ms", "ms"),
    ("one_row_max_s", "one-row edits max ms", "ms"),
    ("bulk_p95_s", "bulk changes p95 ms", "ms"),
    ("bulk_rows_per_op", "rows per bulk change", "{:,}"),
    ("conflicts", "refused (conflicts)", "{}"),
    ("retries", "transactions retried", "{}"),
    ("errors", "errors", "{}"),
    ("state_problems", "state problems", "{}"),
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--engines", default="sqlite,postgresql,mysql")
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--admins", default="1,2,4,8")
    ap.add_argument("--seconds", type=float, default=20.0, help="how long each run lasts (default 20)")
    ap.add_argument("--bulk-min", type=int, default=1_000)
    ap.add_argument("--bulk-max", type=int, default=50_000)
    ap.add_argument("--postgres", default=SERVERS["postgresql"], help="a server URL (a database is created on it)")
    ap.add_argument("--mysql", default=SERVERS["mysql"], help="a server URL (a database is created on it)")
    ap.add_argument("--no-check", dest="check", action="store_false", help="skip checking the final state")
    args = ap.parse_args()
    args.admins = [int(a) for a in args.admins.split(",")]
    servers = {"sqlite": None, "postgresql": args.postgres, "mysql": args.mysql}
    workdir = Path(tempfile.mkdtemp(prefix="backroom-bench-concurrency-"))
    results = [run_engine(e, servers[e], args, workdir) for e in args.engines.split(",")]
    print(f"Backroom, several admins at once: {args.customers:,} customers, bulk changes of "
          f"{args.bulk_min:,}-{args.bulk_max:,}, {args.seconds:g} s a run; Python {sys.version.split()[0]}, "
          f"SQLite {sqlite3.sqlite_version}, {os.cpu_count()} cores")
    for r in results:
        print(f"\n== {r['engine']} (seeded in {r['seed_s']} s)")
        print_table(COLUMNS, r["runs"])
    print(json.dumps({"bench": "concurrency", "results": results}))
    workdir.rmdir()
    return 0


if __name__ == "__main__":
    sys.exit(main())
