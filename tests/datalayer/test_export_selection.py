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


def test_the_pages_of_an_export_change_nothing_of_its_file(db_url, tmp_path, monkeypatch):
    """An export reads windows of ids, widened over gaps and thin selections
    and narrowed to full pages: whatever the page's size, the same files."""
    from backroom.datalayer import exports

    ids = [models.create_customer({"first_name": f"C{i}", "email": f"c{i}@example.com"},
                                  billing={"line1": f"{i} Road", "city": "Oslo", "country": "NO"} if i % 3 else None).id
           for i in range(40)]
    gone = ids[5:22]  # a gap wider than several pages
    models.Membership.delete().where(models.Membership.customer.in_(gone)).execute()
    models.Customer.delete().where(models.Customer.id.in_(gone)).execute()
    kept = [i for i in ids if i not in gone]
    g, _ = models.create_group({"code": "club", "name": "Club"},
                               members=models.Selection.ids([kept[0], kept[1], kept[9], kept[-1]]))
    cases = [dict(), dict(fmt="shopify"), dict(group="club", members=True), dict(fmt="magento", group="club"),
             dict(flt=models.CustomerFilter(text="C3"))]
    for size in (10_000, 2, 3):
        monkeypatch.setattr(exports, "PAGE", size)
        for n, case in enumerate(cases):
            out = tmp_path / f"{size}-{n}.csv"
            models.export_customers(out, **case)
            assert out.read_bytes() == (tmp_path / f"10000-{n}.csv").read_bytes(), (size, case)
    assert len(rows(tmp_path / "10000-0.csv")) == len(kept)
    assert len(rows(tmp_path / "10000-2.csv")) == 4 and rows(tmp_path / "10000-2.csv")[0]["member_of"] == "club"
    assert [r["first_name"] for r in rows(tmp_path / "10000-4.csv")] == ["C3", "C30", "C31", "C32", "C33", "C34",
                                                                       "C35", "C36", "C37", "C38", "C39"]
