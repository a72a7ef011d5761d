"""Customers pages deep in the list, on a database already seeded: the page
the Customers window reads when the admin jumps there (End, PageDown held,
the scrollbar dragged), read as a deferred join (``customer_page`` from
``DEFERRED_JOIN_FROM`` on) and, beside it in the same run, as the plain
OFFSET query it replaced (the anchor).

For each sort, offsets 0, n/4 and n/2 (the window reads past the middle
backwards from the end, so n/2 is the deepest it reads), a page of 120 rows
(the window's block at 40 lines), the median of ``--repeat`` reads.  The
count of the customers is measured too (the window counts before it places
a block past the middle).

    python bench/bench_pages.py --db URL [--sorts name,registered] [--repeat 3]

Prints a table, then (last) one JSON line with every figure.
"""

from __future__ import annotations

import argparse
import json

from common import timed

from backroom import models
from backroom.datalayer import customers as customers_module

BLOCK = 120


def page(deferred: bool, sort: str, offset: int) -> list:
    customers_module.DEFERRED_JOIN_FROM = 0 if deferred else 10 ** 12
    return models.customer_page(sort=sort, offset=offset, limit=BLOCK)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True, help="a database URL (seeded: backroom --db URL seed --customers N)")
    ap.add_argument("--sorts", default="name,registered")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-plain", action="store_true", help="leave the plain OFFSET query out (slow)")
    args = ap.parse_args()
    models.connect(args.db, upgrade=False)
    saved = customers_module.DEFERRED_JOIN_FROM
    count_s, n = timed(models.count_customers, args.repeat)
    engine = args.db.split(":", 1)[0]
    results = {"bench": "pages", "engine": engine, "customers": n, "count_s": count_s, "pages": []}
    print(f"Customers pages of {BLOCK} rows on {engine}, {n:,} customers; count {count_s * 1000:.1f} ms")
    print(f"{'sort':<12}{'offset':>10}{'deferred ms':>14}{'plain ms':>14}")
    for sort in args.sorts.split(","):
        for offset in (0, n // 4, n // 2):
            d_s, d_rows = timed(lambda s=sort, o=offset: page(True, s, o), args.repeat)
            p_s = None
            if not args.no_plain:
                p_s, p_rows = timed(lambda s=sort, o=offset: page(False, s, o), 1 if offset else args.repeat)
                assert [r.id for r in p_rows] == [r.id for r in d_rows], (sort, offset)
            results["pages"].append({"sort": sort, "offset": offset, "deferred_s": d_s, "plain_s": p_s})
            plain = "-" if p_s is None else f"{p_s * 1000:.1f}"
            print(f"{sort:<12}{offset:>10,}{d_s * 1000:>14.1f}{plain:>14}")
    customers_module.DEFERRED_JOIN_FROM = saved
    print(json.dumps(results))


if __name__ == "__main__":
    main()
