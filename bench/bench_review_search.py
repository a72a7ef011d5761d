"""Review text search: through the trigram index vs the plain scan, side by side.

On a database with reviews (``--db``: an existing one, upgraded first if
older, the upgrade timed; otherwise a new SQLite database seeded with
``--customers`` customers, their reviews and ``--reviews`` more), measures
for each typed text the moderation queue's first page (50 rows, oldest
first; all reviews, then the pending ones) and the count, once through the
index (``ReviewFilter``, as the Reviews screen asks) and once by the plain
scan (``textsearch.scan_only``), alternating, median of ``--repeat``; then
the index's build time (built again from the stored text: SQLite refills
the FTS table, PostgreSQL creates the GIN index, MariaDB writes the words
and creates the FULLTEXT index) and its size.  Both searches must return the
same reviews.

Prints a table, then (last) one JSON line with every figure.

    python bench/bench_review_search.py [--db URL] [--customers 1000000] [--reviews 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

from common import timed

from backroom import models  # noqa: E402
from backroom.datalayer import textsearch  # noqa: E402
from backroom.datalayer.migrations import v11_textindex  # noqa: E402
from backroom.models import ReviewFilter  # noqa: E402

TODAY = dt.datetime(2026, 11, 1)
TEXTS = ["office", "LATE", "não", "arrived", "zzq", "ok"]


def side_by_side(flt: ReviewFilter, repeat: int) -> dict:
    page = lambda: [r.id for r in models.review_page(flt, limit=50)]  # noqa: E731
    count = lambda: models.count_reviews(flt)  # noqa: E731
    out: dict = {}
    for name, fn in (("page", page), ("count", count)):
        indexed, scanned = [], []
        for _ in range(repeat):  # alternating: the machine's noise falls on both
            s, got = timed(fn)
            indexed.append(s)
            with textsearch.scan_only():
                s, expected = timed(fn)
            scanned.append(s)
            assert got == expected, (flt, name)
        out[f"{name}_index_s"], out[f"{name}_scan_s"] = sorted(indexed)[repeat // 2], sorted(scanned)[repeat // 2]
        if name == "count":
            out["matches"] = got
    return out


def index_size_mb() -> float | None:
    db = models.db
    if models.is_sqlite():
        try:
            (size,) = db.execute_sql("SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'review_search%' "
                                     "OR name = 'review_unfolded'").fetchone()
        except Exception:  # no dbstat in this SQLite
            return None
        return round((size or 0) / 2**20, 1)
    if models.is_postgres():
        (size,) = db.execute_sql("SELECT COALESCE(pg_relation_size(to_regclass('review_search_trgm')), 0)").fetchone()
        return round(size / 2**20, 1)
    (schema,) = db.execute_sql("SELECT DATABASE()").fetchone()
    (size,) = db.execute_sql("SELECT COALESCE(SUM(allocated_size), 0) FROM information_schema.innodb_sys_tablespaces "
                             "WHERE name LIKE %s", (f"{schema}/FTS\\_%",)).fetchone()
    return round(int(size) / 2**20, 1)


def rebuild() -> dict:
    """Take the index away and build it again from the stored text, timed."""
    db = models.db
    out: dict = {}
    if models.is_sqlite():
        out["build_s"], _ = timed(lambda: models.db.atomic()(v11_textindex.build)())
    elif models.is_postgres():
        db.execute_sql("DROP INDEX IF EXISTS review_search_trgm")
        out["build_s"], _ = timed(v11_textindex.build)
    else:
        db.execute_sql("DROP INDEX review_search_tokens ON review")
        db.execute_sql("UPDATE review SET search_tokens = NULL")
        t = time.perf_counter()
        v11_textindex.build()
        out["build_s"] = time.perf_counter() - t
        (out["tokens_mb"],) = db.execute_sql("SELECT ROUND(SUM(LENGTH(search_tokens)) / 1048576, 1) "
                                             "FROM review").fetchone()
        out["tokens_mb"] = float(out["tokens_mb"] or 0)
    out["index_mb"] = index_size_mb()
    return out


def measure(url: str | None, customers: int, reviews: int, repeat: int, workdir: Path) -> dict:
    out: dict = {}
    if url is None:
        path = workdir / f"bench-review-search-{customers}-{reviews}.db"
        url = f"sqlite:///{path}"
        models.connect(url)
        models.set_actor("bench")
        t = time.perf_counter()
        models.seed(customers, rng_seed=1, today=TODAY)
        if reviews:
            models.seed_reviews(reviews, rng_seed=2, today=TODAY)
        out["seed_s"] = time.perf_counter() - t
    else:
        models.connect(url, upgrade=False)
        t = time.perf_counter()
        models.migrate_schema()
        out["upgrade_s"] = time.perf_counter() - t
        models.set_actor("bench")
    out["engine"] = url.split(":", 1)[0]
    models.db.execute_sql("ANALYZE TABLE review" if models.is_mysql() else "ANALYZE")
    out["reviews"] = models.count_reviews()
    for text in TEXTS:
        for status in (None, "pending"):
            key = f"{textsearch.fold(text)}{'_pending' if status else ''}"
            for k, v in side_by_side(ReviewFilter(status=status, text=text), repeat).items():
                out[f"{key}.{k}"] = v
    out.update(rebuild())
    models.db.close()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", metavar="URL", help="an existing database (else a new SQLite one, seeded)")
    ap.add_argument("--customers", type=int, default=1_000_000, help="customers to seed (default 1,000,000)")
    ap.add_argument("--reviews", type=int, default=1_000_000, help="more reviews to seed (default 1,000,000)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", metavar="DIR", help="seed in DIR instead of a temporary directory")
    args = ap.parse_args(argv)
    if args.db or args.keep:
        if args.keep:
            Path(args.keep).mkdir(parents=True, exist_ok=True)
        out = measure(args.db, args.customers, args.reviews, args.repeat, Path(args.keep or "."))
    else:
        with tempfile.TemporaryDirectory(prefix="backroom-bench-") as tmp:
            out = measure(None, args.customers, args.reviews, args.repeat, Path(tmp))
    print(f"{out['reviews']:,} reviews, {out['engine']}; median of {args.repeat}, index and scan alternating")
    print(f"{'text':<10} {'queue':<8} {'matches':>9} {'page idx ms':>12} {'page scan ms':>13} "
          f"{'count idx ms':>13} {'count scan ms':>14}")
    for text in TEXTS:
        for status in (None, "pending"):
            key = f"{textsearch.fold(text)}{'_pending' if status else ''}"
            print(f"{text:<10} {status or 'all':<8} {out[key + '.matches']:>9,} "
                  f"{out[key + '.page_index_s'] * 1000:>12.1f} {out[key + '.page_scan_s'] * 1000:>13.1f} "
                  f"{out[key + '.count_index_s'] * 1000:>13.1f} {out[key + '.count_scan_s'] * 1000:>14.1f}")
    extra = f", words {out['tokens_mb']} MB" if "tokens_mb" in out else ""
    upgrade = f"; upgrade to v11 {out['upgrade_s']:.1f} s" if "upgrade_s" in out else ""
    print(f"index build {out['build_s']:.1f} s, index {out['index_mb']} MB{extra}{upgrade}")
    print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in out.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
