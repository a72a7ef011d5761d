"""Review-moderation benchmark on SQLite.

Seeds a new SQLite database with a few customers and products
(``models.seed``) and ``--reviews`` reviews (``models.seed_reviews``,
1,000,000 by default), then measures what the moderation screen asks of
the database:

- the queue's first page (pending, oldest first, 50 rows);
- a filtered page: text found in the title or body, and a rating;
- a page deep in the queue (offset = half of the pending reviews);
- the counts per status, and counting the pending reviews;
- the rating distribution of the pending reviews;
- ``models.moderate_reviews`` approving 10,000 reviews that match a filter
  ("every review matching this filter except these": one set-based,
  all-or-nothing statement, with a history row for each): pending reviews of
  a few weeks, then 1-star pending reviews spread over months;
- undoing that last approval (``models.undo_last_moderation``), then a big
  bulk approval (every pending 5-star review) and undoing it;
- the verified-purchase view (first page, count) and the auto-approve rule
  (verified purchases, 4 stars or more): its preview, then applying it.

Prints a table, then (last) one JSON line with every figure.

    python bench/bench_reviews.py [--reviews 1000000] [--customers 2000] [--keep DIR]
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
from backroom.models import ReviewFilter, Selection  # noqa: E402

TODAY = dt.datetime(2026, 11, 1)
APPROVE = 10_000


def approve_filter(target: int, rating: int | None = None) -> tuple[ReviewFilter, int]:
    """A filter on pending reviews (of one rating, if given) created within a
    span of days that matches at least ``target`` reviews (or all pending
    ones), and how many it matches."""
    start = TODAY.date() - dt.timedelta(days=3 * 365 + 1)
    days = 8
    while True:
        flt = ReviewFilter(status="pending", rating=rating, created_from=start,
                           created_to=start + dt.timedelta(days=days))
        n = models.count_reviews(flt)
        if n >= target or days > 4 * 365:
            return flt, n
        days = days * 2 if n == 0 else int(days * target / n) + 2


def measure(reviews: int, customers: int, workdir: Path) -> dict:
    path = workdir / f"bench-reviews-{reviews}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    models.connect(f"sqlite:///{path}")
    models.set_actor("bench")
    out: dict = {"reviews": reviews, "customers": customers}

    t = time.perf_counter()
    models.seed(customers, rng_seed=1, today=TODAY)
    models.seed_reviews(reviews, rng_seed=2, today=TODAY)
    models.db.execute_sql("ANALYZE")
    out["seed_s"] = time.perf_counter() - t
    out["total_reviews"] = models.count_reviews()

    pending = ReviewFilter(status="pending")
    out["first_page_s"], rows = timed(lambda: models.review_page(pending, limit=50), repeat=5)
    assert len(rows) == 50
    text = ReviewFilter(status="pending", text="office")
    out["text_page_s"], rows = timed(lambda: models.review_page(text, limit=50), repeat=5)
    rating = ReviewFilter(status="pending", rating=1)
    out["rating_page_s"], rows = timed(lambda: models.review_page(rating, limit=50), repeat=5)
    both = ReviewFilter(status="pending", rating=2, text="late")
    out["text_rating_page_s"], rows = timed(lambda: models.review_page(both, limit=50), repeat=5)
    out["status_counts_s"], counts = timed(lambda: models.review_status_counts(pending), repeat=3)
    out["pending"] = counts["pending"]
    out["count_pending_s"], _ = timed(lambda: models.count_reviews(pending), repeat=3)
    out["count_text_s"], out["text_matches"] = timed(lambda: models.count_reviews(text), repeat=1)
    half = counts["pending"] // 2
    out["deep_page_s"], rows = timed(lambda: models.review_page(pending, offset=half, limit=50), repeat=3)
    out["rating_distribution_s"], _ = timed(lambda: models.rating_distribution(pending), repeat=1)

    flt, matching = approve_filter(APPROVE)
    # "Every review matching the filter, except these": the exceptions bring it to exactly 10,000.
    extra = max(0, matching - APPROVE)
    except_ids = [r.id for r in models.review_page(flt, limit=extra)] if extra else []
    sel = Selection.matching(flt, except_ids=except_ids)
    out["approve_matching_s"], changed = timed(lambda: models.moderate_reviews(sel, "approved", actor="bench"))
    out["approved"] = changed
    assert models.count_reviews(ReviewFilter(status="pending", created_from=flt.created_from,
                                              created_to=flt.created_to)) == extra
    # The same, but the 10,000 are spread thinly over the table: one rating
    # among the pending reviews of a longer period (rows on many more pages).
    flt, matching = approve_filter(APPROVE, rating=1)
    extra = max(0, matching - APPROVE)
    except_ids = [r.id for r in models.review_page(flt, limit=extra)] if extra else []
    sel = Selection.matching(flt, except_ids=except_ids)
    out["approve_scattered_s"], out["approved_scattered"] = timed(
        lambda: models.moderate_reviews(sel, "approved", actor="bench"))
    out["undo_scattered_s"], out["undone_scattered"] = timed(lambda: models.undo_last_moderation(actor="bench"))
    five = Selection.matching(ReviewFilter(status="pending", rating=5))
    out["approve_big_s"], out["approved_big"] = timed(lambda: models.moderate_reviews(five, "approved", actor="bench"))
    out["undo_big_s"], out["undone_big"] = timed(lambda: models.undo_last_moderation(actor="bench"))
    assert out["undone_big"] == out["approved_big"]

    verified = ReviewFilter(status="pending", verified=True)
    out["verified_page_s"], rows = timed(lambda: models.review_page(verified, limit=50), repeat=3)
    out["count_verified_s"], out["verified"] = timed(lambda: models.count_reviews(verified))
    models.set_review_rule(4, verified=True, actor="bench")
    out["rule_preview_s"], out["rule_would"] = timed(lambda: models.preview_review_rule())
    out["rule_apply_s"], out["rule_approved"] = timed(lambda: models.apply_review_rule(actor="bench"))
    assert out["rule_approved"] == out["rule_would"]
    out["history_rows"] = models.ReviewEvent.select().count()
    models.db.close()
    return out


ROWS = [
    ("seed_s", "seed customers + reviews"),
    ("first_page_s", "queue: first page (pending, oldest first)"),
    ("text_page_s", "queue: text filter 'office'"),
    ("rating_page_s", "queue: rating = 1"),
    ("text_rating_page_s", "queue: rating = 2 and text 'late'"),
    ("deep_page_s", "queue: page at offset = half"),
    ("status_counts_s", "counts per status"),
    ("count_pending_s", "count pending"),
    ("count_text_s", "count text matches"),
    ("rating_distribution_s", "rating distribution (pending)"),
    ("approve_matching_s", "approve 10,000 matching (filter minus exceptions)"),
    ("approve_scattered_s", "approve 10,000 matching 1-star reviews (spread out)"),
    ("undo_scattered_s", "undo that approval (ctrl+z)"),
    ("approve_big_s", "approve every pending 5-star review"),
    ("undo_big_s", "undo that big approval"),
    ("verified_page_s", "queue: verified purchases only, first page"),
    ("count_verified_s", "count pending verified purchases"),
    ("rule_preview_s", "auto-approve rule: preview (count)"),
    ("rule_apply_s", "auto-approve rule: apply"),
]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reviews", type=int, default=1_000_000, help="reviews to seed (default 1,000,000)")
    ap.add_argument("--customers", type=int, default=2_000, help="customers to seed (default 2,000)")
    ap.add_argument("--keep", metavar="DIR", help="keep the database in DIR instead of a temporary directory")
    args = ap.parse_args(argv)
    if args.keep:
        Path(args.keep).mkdir(parents=True, exist_ok=True)
        out = measure(args.reviews, args.customers, Path(args.keep))
    else:
        with tempfile.TemporaryDirectory(prefix="backroom-bench-") as tmp:
            out = measure(args.reviews, args.customers, Path(tmp))
    print(f"{out['total_reviews']:,} reviews ({out['pending']:,} pending), {out['customers']:,} customers, SQLite")
    print(f"{'measure':<55} {'ms':>10}")
    for key, label in ROWS:
        print(f"{label:<55} {out[key] * 1000:>10.1f}")
    print(f"approved {out['approved']:,} + {out['approved_scattered']:,} reviews (undone {out['undone_scattered']:,}); "
          f"big approval {out['approved_big']:,} (undone {out['undone_big']:,}); "
          f"rule approved {out['rule_approved']:,} of {out['verified']:,} verified; "
          f"{out['history_rows']:,} history rows")
    print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in out.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
