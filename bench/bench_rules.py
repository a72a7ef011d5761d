"""Rules benchmark: previewing and applying a group's rules on SQLite.

For each size (10k, 100k and 1M customers by default) a fresh process seeds a
new SQLite database (``models.seed``) and, for two rules — total spent at
least 200, and registered within the last 6 months — each on its own group,
measures:

- ``preview_rules`` (counts and a 10-customer sample of who joins and leaves);
- the first ``apply_rules`` (everyone matching joins, a notification each);
- a second ``apply_rules`` that changes nothing;
- the process's peak memory (max RSS).

Prints a table, then (last) one JSON line with every figure.

    python bench/bench_rules.py [--sizes 10000,100000,1000000] [--keep DIR]
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

from common import db_mb, peak_rss_mb, per_size, print_table, remove_db, timed

from backroom import models  # noqa: E402

TODAY = dt.datetime(2026, 11, 1)
RULES = {
    # name: (match, rules)
    "spent": ("all", [{"field": "total_spent", "op": ">=", "value": "200"}]),
    "recent": ("all", [{"field": "registered", "op": "within", "value": "last 6 months"}]),
}


def measure(size: int, workdir: Path, keep: bool) -> dict:
    path = workdir / f"bench-rules-{size}.db"
    remove_db(path)
    models.connect(f"sqlite:///{path}")
    models.set_actor("bench")
    out: dict = {"customers": size}
    out["seed_s"], _ = timed(lambda: models.seed(size, rng_seed=1, today=TODAY))
    today = TODAY.date()
    for name, (match, rules) in RULES.items():
        g, _ = models.create_group({"code": f"rule-{name}", "name": f"Rule {name}"})
        models.set_rules(g.id, match, rules)
        out[f"{name}_preview_s"], preview = timed(lambda: models.preview_rules(g.id, today=today))
        out[f"{name}_matching"] = preview.joining
        out[f"{name}_apply_s"], first = timed(lambda: models.apply_rules(g.id, today=today))
        out[f"{name}_joined"] = first[0].joining
        out[f"{name}_apply_noop_s"], again = timed(lambda: models.apply_rules(g.id, today=today))
        assert again[0].joining == again[0].leaving == 0, again
        assert first[0].joining == preview.joining
    out["outbox"] = models.outbox_count()
    models.db.close()
    out["db_mb"] = db_mb(path)
    out["peak_rss_mb"] = peak_rss_mb()
    if not keep:
        remove_db(path)
    return out


COLUMNS = [
    ("customers", "customers", "{:,}"),
    ("seed_s", "seed s", "{:.1f}"),
    ("spent_matching", "spent>=200: matching", "{:,}"),
    ("spent_preview_s", "  preview s", "{:.3f}"),
    ("spent_apply_s", "  first apply s", "{:.3f}"),
    ("spent_apply_noop_s", "  no-op apply s", "{:.3f}"),
    ("recent_matching", "last 6 months: matching", "{:,}"),
    ("recent_preview_s", "  preview s", "{:.3f}"),
    ("recent_apply_s", "  first apply s", "{:.3f}"),
    ("recent_apply_noop_s", "  no-op apply s", "{:.3f}"),
    ("outbox", "outbox rows", "{:,}"),
    ("peak_rss_mb", "peak RSS MB", "{:.0f}"),
    ("db_mb", "db MB", "{:.0f}"),
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--keep", metavar="DIR", help="keep the databases in this folder (default: a temporary "
                                                  "folder, emptied as it goes)")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--dir", help=argparse.SUPPRESS)
    args = ap.parse_args()
    workdir = Path(args.keep or args.dir or tempfile.mkdtemp(prefix="backroom-bench-rules-"))
    workdir.mkdir(parents=True, exist_ok=True)
    if args.one:
        print(json.dumps(measure(args.one, workdir, keep=bool(args.keep))))
        return 0
    results = per_size(__file__, [int(s) for s in args.sizes.split(",")],
                       ["--dir", str(workdir)] + (["--keep", args.keep] if args.keep else []))
    print(f"Backroom rules on SQLite {sqlite3.sqlite_version}, Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} cores")
    print_table(COLUMNS, results)
    print(json.dumps({"bench": "rules", "results": results}))
    if not args.keep:
        workdir.rmdir()
    return 0


if __name__ == "__main__":
    sys.exit(main())
