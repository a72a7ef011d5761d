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

import datetime as dt
import sys
from pathlib import Path

from common import db_mb, peak_rss_mb, remove_db, sizes_main, timed

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
    return sizes_main(__file__, __doc__, name="rules", what="rules", sizes="10000,100000,1000000", kept="databases",
                      columns=COLUMNS, measure=measure)


if __name__ == "__main__":
    sys.exit(main())
