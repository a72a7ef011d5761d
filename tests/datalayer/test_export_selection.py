"""The export operations the screens use: customers by a selection (the
ticks of a list), reviews with progress; on every engine."""

from __future__ import annotations

import csv

from backroom import models


def rows(path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_a_selection_takes_the_place_of_the_filter(db_url, tmp_path):
    ids = [models.create_customer({"first_name": n, "email": f"{n.lower()}@example.com"}).id
           for n in ("Ada", "Bob", "Cy", "Di")]
    g, _ = models.create_group({"code": "club", "name": "Club"}, members=models.Selection.ids(ids[2:]))
    chosen = models.Selection.ids(ids[:2]) | models.Selection.members_of(g.id)
    chosen = chosen - models.Selection.ids([ids[1]])
    seen: list[tuple[int, int]] = []
    out = tmp_path / "ticked.csv"
    n = models.export_customers(out, flt=models.CustomerFilter(text="zzz"), selection=chosen,
                                progress=lambda done, total: seen.append((done, total)))
    assert n == 3 and sorted(r["email"] for r in rows(out)) == ["ada@example.com", "cy@example.com",
                                                               "di@example.com"]
    assert seen[-1] == (3, 3)


def test_reviews_export_reports_progress(db_url, tmp_path):
    models.seed(20, rng_seed=3)
    product = models.Product.select().order_by(models.Product.id).first()
    for c in models.Customer.select().order_by(models.Customer.id).limit(5):
        models.Review.create(product=product.id, customer=c.id, rating=4, title="Fine", body="Good\nbeans",
                             status="pending")
    flt = models.ReviewFilter(status="pending")
    expected = models.Review.select().where(models.Review.status == "pending").count()
    seen: list[tuple[int, int]] = []
    n = models.export_reviews(tmp_path / "r.csv", flt=flt, progress=lambda done, total: seen.append((done, total)))
    assert n == expected == len(rows(tmp_path / "r.csv")) > 0
    assert seen[-1] == (expected, expected)
