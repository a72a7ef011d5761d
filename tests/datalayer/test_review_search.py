"""Review text search through the trigram index (schema step 11) finds
exactly what the plain folded scan finds, on every engine, and the index is
what the database reads.

The corpus mixes scripts and cases (Portuguese, Spanish, Greek, Cyrillic,
Turkish, CJK, emoji), LIKE's wildcards and quotes; a few reviews were
written by another program (no search_text, or on MariaDB no words).
"""

from __future__ import annotations

import logging
import random

import before_v11
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from backroom import models
from backroom.datalayer import textsearch
from backroom.datalayer.migrations import _set_schema_version, v11_textindex
from backroom.datalayer.text import fold
from backroom.models import Review, ReviewFilter

PIECES = ["NÃO", "não", "Núñez", "nunez", "NUNEZ", "Ωραίο", "ΠΟΛΥ ΚΑΛΌ", "πολύς", "Привет", "ПРИВЕТ мир",
          "Ёлка", "中文评论", "日本語のレビュー", "한국어", "kız", "KIZ", "Straße", "😀", "🍕", "50%", "5_0",
          "a\\b", '"quoted"', "it's", "office", "late", "x", "ab", " ", "\n", "café", "CAFÉ", "ǅ", "ﬁne"]
QUERIES = ["não", "NÃO", "nao", "nunez", "Núñez", "ÑU", "ωραιο", "ΠΟΛΥ", "πολυσ", "привет", "ПРИВ", "ёлк",
           "елк", "中文", "评论", "日本語", "のレ", "kiz", "kız", "strasse", "😀", "🍕", "50%", "%", "_", "5_0",
           "a\\b", "\\", '"', '"quoted"', "it's", "'", "n", "ã", "ab", "x", "fin", "office late", "zzq",
           '" OR "', "NEAR(a b)", "* ^", "e", "café"]


def _write(rows: list[tuple[str, str]], product: int) -> list[int]:
    """Reviews as Backroom writes them (search_text, and the words on MariaDB)."""
    ids = []
    for title, body in rows:
        ids.append(Review.insert(product=product, author_name="Someone", rating=3, title=title, body=body,
                                 **textsearch.search_columns(title, body)).execute())
    return ids


@pytest.fixture
def corpus(database):
    cat = models.Category.create(name="Coffee", slug="coffee")
    product = models.Product.create(sku="C1", name="Beans", category=cat, price=1).id
    rng = random.Random(11)
    rows = [(" ".join(rng.choice(PIECES) for _ in range(rng.randint(0, 3))),
             "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 6)))) for _ in range(160)]
    ids = _write(rows, product)
    # Written by another program: no search_text (found by its own words) ...
    for title, body in (("NÃO", "Plain 50% words"), ("Núñez", "ΠΟΛΥ")):
        Review.insert(product=product, author_name="Other", rating=1, title=title, body=body).execute()
    # ... or (MariaDB) search_text but no words.
    Review.insert(product=product, author_name="Other", rating=1, title="x", body="y",
                  search_text=fold("x\nNão kız 😀")).execute()
    if models.is_mysql():
        models.db.execute_sql("ANALYZE TABLE review")
    return {"product": product, "ids": ids}


def indexed_and_scanned(text: str, status: str | None = None) -> tuple[list[int], list[int]]:
    flt = ReviewFilter(status=status, text=text)
    got = [r.id for r in models.review_page(flt, limit=1000)]
    assert models.count_reviews(flt) == len(got)
    with textsearch.scan_only():
        expected = [r.id for r in models.review_page(flt, limit=1000)]
        assert models.count_reviews(flt) == len(expected)
    return got, expected


def python_expected(text: str) -> set[int]:
    """What the folded scan finds, worked out in Python (exact substring of
    the folded text): every engine finds at least these."""
    needle = fold(text.strip())
    return {rid for rid, st_ in Review.select(Review.id, Review.search_text).tuples()
            if st_ is not None and needle in st_}


@pytest.mark.parametrize("text", QUERIES)
def test_the_index_finds_what_the_scan_finds(corpus, text):
    got, expected = indexed_and_scanned(text)
    assert got == expected
    assert set(got) >= python_expected(text)
    assert indexed_and_scanned(text, "pending") == (got, expected)


def test_case_and_accents_are_ignored_through_the_index(corpus):
    for a, b in (("não", "NAO"), ("nunez", "NÚÑEZ"), ("ПРИВЕТ", "привет"), ("πολυ", "ΠΌΛΥ"), ("cafe", "CAFÉ")):
        got_a, _ = indexed_and_scanned(a)
        got_b, _ = indexed_and_scanned(b)
        assert got_a == got_b and got_a


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet="".join(sorted(set("".join(PIECES)))) + "AEIOUzq", min_size=1, max_size=6))
@example("ão")
@example("%_")
@example('"')
def test_generated_texts_find_the_same_reviews(corpus, text):
    got, expected = indexed_and_scanned(text)
    assert got == expected


def test_wildcards_are_plain_characters(corpus):
    product = corpus["product"]
    pct, under, slash, plain = _write([("50% off", ""), ("a_b", ""), ("c\\d", ""), ("500 axb cd", "")], product)
    assert set(indexed_and_scanned("50%")[0]) & {pct, plain} == {pct}
    assert set(indexed_and_scanned("a_b")[0]) & {under, plain} == {under}
    assert set(indexed_and_scanned("c\\d")[0]) & {slash, plain} == {slash}
    assert set(indexed_and_scanned("%")[0]) & {pct, plain} == {pct}


def test_changed_and_deleted_reviews_leave_the_index(corpus):
    first, second = corpus["ids"][:2]
    Review.update(**textsearch.search_columns("Zebra crossing", "")).where(Review.id == first).execute()
    Review.delete().where(Review.id == second).execute()
    assert indexed_and_scanned("zebra")[0] == [first]
    Review.update(**textsearch.search_columns("Quokka", "")).where(Review.id == first).execute()
    assert indexed_and_scanned("zebra")[0] == []
    assert indexed_and_scanned("QUOKKA")[0] == [first]
    got, expected = indexed_and_scanned("nao")
    assert got == expected and second not in got


def _plan(flt: ReviewFilter) -> str:
    from backroom.datalayer.reviews import _review_query

    query = _review_query(flt).select(Review.id).order_by(Review.created_at, Review.id).limit(50)
    sql, params = query.sql()
    db = models.db
    if models.is_sqlite():
        return "\n".join(r[-1] for r in db.execute_sql(f"EXPLAIN QUERY PLAN {sql}", params).fetchall())
    if models.is_postgres():
        with db.atomic():  # too few rows for the planner to prefer an index by itself
            db.execute_sql("SET LOCAL enable_seqscan = off")
            return "\n".join(r[0] for r in db.execute_sql(f"EXPLAIN {sql}", params).fetchall())
    cursor = db.execute_sql(f"EXPLAIN {sql}", params)
    names = [d[0] for d in cursor.description]
    return "\n".join(str(dict(zip(names, r))) for r in cursor.fetchall())


@pytest.mark.parametrize("text", ["office", "NÃO", "中文评"])
def test_the_search_reads_the_index(corpus, text):
    plan = _plan(ReviewFilter(text=text))
    if models.is_sqlite():
        assert "review_search VIRTUAL TABLE INDEX" in plan and "USING INTEGER PRIMARY KEY" in plan, plan
        assert "SCAN t1" not in plan and "USING INDEX review_unfolded" in plan, plan
    elif models.is_postgres():
        assert "review_search_trgm" in plan and "Seq Scan on review" not in plan, plan
    else:
        assert "'type': 'fulltext'" in plan and "review_search_tokens" in plan, plan
        assert "review_untokenized" in plan, plan
    with textsearch.scan_only():
        assert "review_search" not in _plan(ReviewFilter(text=text))
    # Shorter than a trigram: the scan.
    assert "review_search VIRTUAL" not in _plan(ReviewFilter(text="ão"))


def test_the_step_indexes_what_an_older_version_wrote_and_can_run_again(corpus):
    """From version 10: reviews another program wrote (no search_text) are
    folded, every review indexed; running the step again changes nothing."""
    before_v11.undo_v11()
    Review.update(search_text=None).where(Review.id.in_(corpus["ids"][:2])).execute()
    _set_schema_version(10)
    assert models.migrate_schema() == models.SCHEMA_VERSION  # through v11 and every later step
    assert Review.select().where(Review.search_text.is_null()).count() == 0
    results = {q: indexed_and_scanned(q) for q in ("nao", "nunez", "привет", "😀", "50%")}
    assert all(got == expected and got for got, expected in results.values())
    v11_textindex.upgrade()
    assert {q: indexed_and_scanned(q) for q in results} == results
    if models.is_sqlite():
        (indexed,) = models.db.execute_sql("SELECT COUNT(*) FROM review_search").fetchone()
        assert indexed == Review.select().count()
    if models.is_mysql():
        assert Review.select().where(Review.search_tokens.is_null()).count() == 0


def test_without_the_index_search_scans_and_finds_the_same(corpus, monkeypatch, caplog):
    """PostgreSQL: without the right to create pg_trgm (an extension this
    server lacks stands in for a refusal), the step still succeeds, says
    so, and search scans.  SQLite without its FTS table, MariaDB with no
    words written: the same reviews."""
    results = {q: indexed_and_scanned(q) for q in ("nao", "nunez", "привет", "😀", "50%")}
    if models.is_postgres():
        models.db.execute_sql("DROP INDEX review_search_trgm")
        monkeypatch.setattr(v11_textindex, "EXTENSION", "pg_trgm_not_installed_here")
        with caplog.at_level(logging.WARNING, logger="backroom.migrations"), models.db.atomic():
            v11_textindex.build()
        assert "pg_trgm_not_installed_here" in caplog.text and "read every review" in caplog.text
        assert "review_search_trgm" not in {ix.name for ix in models.db.get_indexes("review")}
        assert "review_search_trgm" not in _plan(ReviewFilter(text="nao"))
    elif models.is_sqlite():
        before_v11.undo_v11()
        models.db.execute_sql("ALTER TABLE review ADD COLUMN search_tokens TEXT")
        assert "VIRTUAL TABLE" not in _plan(ReviewFilter(text="nao"))
    else:
        Review.update(search_tokens=None).execute()
    assert {q: indexed_and_scanned(q) for q in results} == results


def test_common_text_within_a_narrower_filter_finds_the_same(corpus, monkeypatch):
    """Text most reviews hold, with a status: read by the scan's condition
    along the status index (here "most" is 1 candidate; MariaDB: any text
    a review of the sample holds, whatever the filter)."""
    monkeypatch.setattr(textsearch, "COMMON", 1)
    for text in ("nao", "nunez", "привет", "zzq", "50%"):
        got, expected = indexed_and_scanned(text, "pending")
        assert got == expected
        assert indexed_and_scanned(text) == (got, expected)
    assert "VIRTUAL TABLE" not in _plan(ReviewFilter(status="pending", text="nao"))
    assert "fulltext" not in _plan(ReviewFilter(status="pending", text="nao"))


def test_imported_reviews_are_searched_by_their_folded_words(corpus, tmp_path):
    models.create_customer({"first_name": "Ana", "last_name": "Lima", "email": "ana@example.com"})
    header = "product_sku,customer_email,rating,title,body,status,created_at\n"
    path = tmp_path / "reviews.csv"
    path.write_text(header + "C1,ana@example.com,2,Péssimo,ENTREGA ATRASADA,pending,2024-05-06 07:08:09\n",
                    encoding="utf-8")
    assert models.import_reviews(path).summary() == "1 new, 0 changed, 0 unchanged, 0 rejected"
    (new,) = indexed_and_scanned("atrasada")[0]
    assert indexed_and_scanned("PESSIMO")[0] == [new]
    # The same review again with other words: the search follows them.
    path.write_text(header + "C1,ana@example.com,2,Ótimo,Chegou rápido,pending,2024-05-06 07:08:09\n",
                    encoding="utf-8")
    assert models.import_reviews(path).summary() == "0 new, 1 changed, 0 unchanged, 0 rejected"
    assert indexed_and_scanned("atrasada")[0] == [] and indexed_and_scanned("rapido")[0] == [new]
    assert indexed_and_scanned("otimo") == ([new], [new])


def test_seeded_reviews_are_indexed(database):
    """The demo's seeds fill the index once at the end (SQLite: not by the
    insert trigger row by row), and leave the trigger in place."""
    models.seed(40, rng_seed=5)
    models.seed_reviews(300, rng_seed=6)
    for text in ("office", "late", "arrived", "zzq"):
        got, expected = indexed_and_scanned(text)
        assert got == expected
    assert indexed_and_scanned("arrived")[0]
    if models.is_sqlite():
        (indexed,) = models.db.execute_sql("SELECT COUNT(*) FROM review_search").fetchone()
        assert indexed == Review.select().count()
        assert models.db.execute_sql("SELECT 1 FROM sqlite_master WHERE name = 'review_search_insert'").fetchone()
    if models.is_mysql():
        assert Review.select().where(Review.search_tokens.is_null()).count() == 0


def test_a_seed_that_fails_leaves_the_index_and_its_trigger(database, monkeypatch):
    from backroom.datalayer import demo

    models.seed(20, rng_seed=5)
    before = Review.select().count()

    def fail(*args, **kwargs):
        raise models.ValidationError({"disk": "full"})

    monkeypatch.setattr(demo, "_insert_rows", fail)
    with pytest.raises(models.ValidationError):
        models.seed_reviews(10, rng_seed=6)
    monkeypatch.undo()
    assert Review.select().count() == before
    _write([("Trigger still there", "")], models.Product.select().first().id)
    assert len(indexed_and_scanned("still there")[0]) == 1
    assert indexed_and_scanned("still there")[0] == indexed_and_scanned("still there")[1]
