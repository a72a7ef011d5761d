"""The data-layer operations the group, grants and review screens and the
command line call instead of reading the models themselves: on SQLite and
on every server in BACKROOM_TEST_DATABASES (the ``database`` fixture)."""

from __future__ import annotations

import threading
from decimal import Decimal

import peewee as pw
import pytest

from backroom import models


@pytest.fixture
def shop(database):
    """Three customers, two categories with products, a review."""
    models.set_actor("tester")
    coffee = models.Category.create(name="Coffee", slug="coffee")
    gear = models.Category.create(name="Brewing gear", slug="gear", restricted=True)
    kettle = models.Product.create(sku="K1", name="Kettle", category=gear, price=Decimal("30"))
    beans = models.Product.create(sku="B1", name="Beans", category=coffee, price=Decimal("9"))
    mug = models.Product.create(sku="M1", name="Beans", category=gear, price=Decimal("5"))  # same name
    people = [models.create_customer({"first_name": f, "last_name": "Doe", "email": f"{f.lower()}@example.com"})
              for f in ("Ann", "Bob", "Cy")]
    review = models.Review.create(product=beans, customer=people[0].id, rating=5, title="Good", body="Good",
                                  status="pending")
    return {"coffee": coffee, "gear": gear, "products": [kettle, beans, mug], "people": people,
            "review": review}


def test_has_customers(database):
    assert not models.has_customers()
    models.create_customer({"first_name": "Ann", "last_name": "Doe", "email": "ann@example.com"})
    assert models.has_customers()


def test_product_choices_by_name_with_their_category(shop):
    kettle, beans, mug = shop["products"]
    assert models.product_choices() == [
        models.ProductChoice(beans.id, "Beans", "Coffee"),
        models.ProductChoice(mug.id, "Beans", "Brewing gear"),
        models.ProductChoice(kettle.id, "Kettle", "Brewing gear"),
    ]


def test_find_customer_by_id_as_typed(shop):
    ann = shop["people"][0]
    for key in (str(ann.id), f"#{ann.id}", f"  #{ann.id} "):
        row = models.find_customer(key)
        assert row is not None and (row.id, row.email) == (ann.id, "ann@example.com")
        assert row == models.customer_page(models.build_filter(text="ann@"), limit=1)[0]
    for key in ("", "#", "ann", "12a", "-1", "²", "1" * 40, str(max(p.id for p in shop["people"]) + 1)):
        assert models.find_customer(key) is None, key


def test_group_row_matches_the_list(shop):
    wholesale = models.get_group_by_code("wholesale")
    models.update_group(wholesale.id, {"discount_percent": "7.5"}, expected_version=wholesale.version)
    models.assign_customers(wholesale.id, models.Selection.ids([p.id for p in shop["people"][:2]]))
    for listed in models.list_groups():
        assert models.group_row(listed.id) == listed
    row = models.group_row(wholesale.id)
    assert (row.member_count, row.discount_percent, row.tax_class) == (2, Decimal("7.5"), "Standard")
    models.update_group(wholesale.id, {"tax_class_id": None}, expected_version=row.version)
    assert models.group_row(wholesale.id).tax_class == ""
    with pytest.raises(models.NotFoundError):
        models.group_row(10 ** 6)


def test_group_permissions_say_what_the_operations_refuse(shop):
    guest, general = models.guest_group(), models.general_group()
    vip, _ = models.create_group({"code": "vip", "name": "VIP"})
    rows = {r.code: r for r in models.list_groups()}

    g = models.group_permissions(rows["guest"])
    assert g == models.group_permissions(guest)  # a row or the group itself
    assert g.visitors and not (g.can_edit or g.can_delete or g.can_have_rules)
    assert g.edit_refused == g.delete_refused == "Guest is a system group: it can be viewed but not edited or deleted."
    assert g.rules_refused == "Guest is a system group: it takes no rules."
    with pytest.raises(models.LockedError):
        models.update_group(guest.id, {"name": "Visitors"}, expected_version=guest.version)
    with pytest.raises(models.LockedError):
        models.delete_group(guest.id)
    with pytest.raises(models.LockedError):
        models.set_rules(guest.id, "all", [{"field": "status", "op": "=", "value": "active"}])
    # ...but what visitors may see can be set.
    models.set_category_access(guest.id, [shop["gear"].id])

    p = models.group_permissions(rows["general"])
    assert p.can_edit and p.can_have_rules and not p.visitors
    assert not p.can_delete and "cannot be deleted" in p.delete_refused
    with pytest.raises(models.LockedError, match="cannot be deleted"):
        models.delete_group(general.id)

    assert models.group_permissions(rows["vip"]) == models.GroupPermissions()
    assert models.group_permissions(rows["vip"]).can_delete
    models.delete_group(vip.id)


def test_group_permissions_show_names_as_plain_text(database):
    guest = models.guest_group()
    models.CustomerGroup.update(name="Gu\x1best").where(models.CustomerGroup.id == guest.id).execute()
    assert models.group_permissions(models.get_group(guest.id)).edit_refused.startswith("Gu\\x1best is")


def test_selections_of_customers_and_of_reviews(shop):
    people, review = shop["people"], shop["review"]
    ids = [p.id for p in people]
    everyone_but_first = models.Selection.all() - models.Selection.ids(ids[:1])
    assert models.count_selection(everyone_but_first) == 2
    assert models.count_selection(everyone_but_first, "customers") == 2
    assert models.which_selected(everyone_but_first, ids) == set(ids[1:])
    pending = models.Selection.matching(models.ReviewFilter(status="pending"))
    assert models.count_selection(pending, "reviews") == 1
    assert models.which_selected(pending, [review.id, review.id + 1], "reviews") == {review.id}
    assert models.count_selection(models.Selection.none(), "reviews") == 0
    with pytest.raises(KeyError):
        models.count_selection(pending, "orders")


def test_database_errors_are_told_apart(database):
    with pytest.raises(Exception) as caught:
        models.db.execute_sql("SELECT * FROM no_such_table")
    assert models.is_database_error(caught.value)
    assert isinstance(caught.value, models.DATABASE_ERRORS)
    assert models.is_database_error(pw.IntegrityError("duplicate"))
    for exc in (models.ValidationError({"name": "Name is required"}), models.NotFoundError("gone"),
                ValueError("x"), OSError("disk")):
        assert not models.is_database_error(exc)


def test_release_connection_closes_only_the_calling_threads(database):
    models.has_customers()
    assert not models.db.is_closed()
    seen = {}

    def worker():
        models.has_customers()
        seen["open"] = not models.db.is_closed()
        models.release_connection()
        seen["closed"] = models.db.is_closed()
        models.release_connection()  # nothing open: still fine

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert seen == {"open": True, "closed": True}
    assert not models.db.is_closed()  # this thread's connection is untouched
    assert models.has_customers() in (True, False)
