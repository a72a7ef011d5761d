"""Text search ignores case and accents, for every script, on every engine:
customers by name and email (still a prefix through indexes), reviews by
their words."""

from __future__ import annotations

import before_v11
import pytest

from backroom import models
from backroom.models import CustomerFilter


@pytest.fixture
def people(database):
    made = {}
    for first, last, email in (("María", "Núñez", "maria.nunez@example.com"),
                               ("José", "Álvarez", "josé.alvarez@exämple.com"),
                               ("Ἀλέξανδρος", "Παπαδόπουλος", "alex@example.gr"),
                               ("Jürgen", "Straße", "j.strasse@example.de"),
                               ("Nuno", "Silva", "nuno@example.pt")):
        made[first] = models.create_customer({"first_name": first, "last_name": last, "email": email}).id
    return made


def found(text: str) -> set[int]:
    flt = models.build_filter(text=text)
    return {r.id for r in models.customer_page(flt, sort="name", limit=50)}


@pytest.mark.parametrize("text, who", [
    ("nunez", {"María"}), ("NÚÑEZ", {"María"}), ("Nunez", {"María"}), ("maria nu", {"María"}),
    ("MARÍA", {"María"}), ("nu", {"María", "Nuno"}), ("alvarez", {"José"}), ("jose", {"José"}),
    ("josé.alvarez@exä", {"José"}), ("jose.alvarez@exa", {"José"}), ("JOSÉ.ALV", {"José"}),
    ("παπαδοπουλος", {"Ἀλέξανδρος"}), ("ΑΛΕΞ", {"Ἀλέξανδρος"}), ("alex@", {"Ἀλέξανδρος"}),
    ("strasse", {"Jürgen"}), ("STRASSE", {"Jürgen"}), ("jurgen", {"Jürgen"}), ("straß", {"Jürgen"}),
    ("nuñoz", set()),
])
def test_customers_are_found_whatever_the_case_and_accents(people, text, who):
    assert found(text) == {people[w] for w in who}
    assert models.count_customers(models.build_filter(text=text)) == len(who)


def test_a_selection_inverted_within_a_folded_filter_keeps_everyone_else(people):
    """Customers whose email needs no folding (email_fold NULL) are not lost inside a NOT."""
    m = models.Selection.matching(CustomerFilter(text="nunez"))
    rest = models.Selection.all() - m
    assert {r[0] for r in rest.query(models.Customer.id).tuples()} == set(people.values()) - {people["María"]}


def test_renaming_refolds_the_keys(people):
    c = models.get_customer(people["Nuno"])
    models.update_customer(c.id, {"last_name": "Gonçalves", "email": "nuno@exämple.pt"}, expected_version=c.version)
    assert found("goncalves") == {c.id} and found("nuno@exa") == {c.id}
    assert found("silva") == set()


@pytest.fixture
def reviews(database):
    cat = models.Category.create(name="Coffee", slug="coffee")
    p = models.Product.create(sku="C1", name="Beans", category=cat, price=1)
    c = models.create_customer({"first_name": "A", "last_name": "B", "email": "a@example.com"})
    rows = {}
    for key, title, body in (("pt", "Café", "Eu NÃO gostei."), ("pt2", "Bom", "não recomendo"),
                             ("en", "Great", "Nothing to add"), ("gr", "Ωραίο", "ΠΟΛΥ ΚΑΛΌ")):
        r = models.Review.create(product=p.id, customer=c.id, rating=3, title=title, body=body,
                                 search_text=models.review_search_text(title, body))
        rows[key] = r.id
    # One another program wrote since: not folded; found by its own words, ignoring ASCII case.
    rows["raw"] = models.Review.create(product=p.id, customer=c.id, rating=3, title="NAO", body="plain").id
    return rows


@pytest.mark.parametrize("text, keys", [
    ("não", {"pt", "pt2", "raw"}), ("NÃO", {"pt", "pt2", "raw"}), ("nao", {"pt", "pt2", "raw"}),
    ("cafe", {"pt"}), ("CAFÉ", {"pt"}), ("nothing", {"en"}), ("πολυ καλο", {"gr"}), ("ωραιο", {"gr"}),
    ("plain", {"raw"}),
])
def test_reviews_are_found_whatever_the_case_and_accents(reviews, text, keys):
    flt = models.build_review_filter(text=text)
    assert {r.id for r in models.review_page(flt, limit=50)} == {reviews[k] for k in keys}
    assert models.count_reviews(flt) == len(keys)


def test_the_upgrade_folds_what_an_older_version_wrote(database):
    from backroom.datalayer.migrations import _set_schema_version, v5_search

    cat = models.Category.create(name="Tea", slug="tea")
    p = models.Product.create(sku="T1", name="Tea", category=cat, price=1)
    c = models.create_customer({"first_name": "María", "last_name": "Núñez", "email": "maría@exämple.com"})
    plain = models.create_customer({"first_name": "Bo", "last_name": "Lee", "email": "bo@example.com"})
    r = models.Review.create(product=p.id, customer=c.id, rating=3, title="Chá", body="NÃO gostei")
    # As the previous version left them: keys only lower-cased, no folded email, no search text.
    models.Customer.update(name_key="maría núñez", last_key="núñez").where(models.Customer.id == c.id).execute()
    db = models.db
    before_v11.undo_v11()  # the later step's index reads search_text
    if models.is_mysql():
        db.execute_sql("DROP INDEX customer_email_fold ON customer")
    else:
        db.execute_sql("DROP INDEX customer_email_fold")
    db.execute_sql("ALTER TABLE customer DROP COLUMN email_fold")
    db.execute_sql("ALTER TABLE review DROP COLUMN search_text")
    step = next(v for v, f in models.MIGRATIONS.items() if f is v5_search.upgrade)
    _set_schema_version(step - 1)  # as it was before the search step (the steps after it run again)
    assert models.migrate_schema() == models.SCHEMA_VERSION
    assert "customer_email_fold" in {ix.name for ix in db.get_indexes("customer")}
    got = models.get_customer(c.id)
    assert (got.name_key, got.last_key, got.email_fold) == ("maria nunez", "nunez", "maria@example.com")
    assert models.get_customer(plain.id).email_fold is None
    assert models.Review.get_by_id(r.id).search_text == "cha\nnao gostei"
    assert found("nunez") == {c.id} and found("maria@exa") == {c.id}
    assert models.count_reviews(models.build_review_filter(text="nao")) == 1
    models.migrate_schema()  # again: nothing to do, nothing changes
    assert models.get_customer(c.id).name_key == "maria nunez"
