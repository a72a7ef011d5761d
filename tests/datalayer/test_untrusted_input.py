"""Typed input the data layer refuses, and stored data it lets be.

- Every write refuses control characters (C0, C1, DEL, bidi overrides and
  isolates, zero-width and other invisible format characters, lone
  surrogates) in names, emails, codes, phones, reasons, addresses and rule
  values; a description may hold line breaks, nothing else of those.
- An update that hands a field back with its stored value, unchanged, is
  accepted whatever that value holds (a storefront may have written it):
  only new values are checked.
- Dates, amounts, counts and percentages are bounded and written with the
  digits 0-9; a value of the wrong type is the project's own error naming
  the field, never a Python error.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from backroom import models
from backroom.models import Selection
from written import fingerprint

TODAY = dt.date(2026, 11, 23)

HOSTILE = {
    "esc": "Ada\x1b[2J",
    "osc-title": "Ada\x1b]0;owned\x07",
    "nul": "Ada\x00",
    "c1-csi": "Ada\x9b31m",
    "del": "Ada\x7f",
    "rlo": "Ada\u202egnp.exe",
    "isolate": "Ada\u2066x\u2069",
    "zero-width-space": "A\u200bda",
    "line-separator": "Ada\u2028Lovelace",
    "lone-surrogate": "Ada\ud800",
    "tab": "Ada\tLovelace",
    "cr": "Ada\rLovelace",
    "lf": "Ada\nLovelace",
}


def short(value: object) -> str:
    """A test id that stays readable for a 5,000-digit value."""
    text = ascii(value)
    return text if len(text) <= 24 else f"{text[:12]}…({len(text)} chars)"


def refused(call, field: str) -> models.ValidationError:
    """``call()`` raises ValidationError naming ``field``, and writes nothing."""
    before = fingerprint()
    with pytest.raises(models.ValidationError) as exc:
        call()
    assert field in exc.value.errors, exc.value.errors
    assert fingerprint() == before
    return exc.value


@pytest.fixture
def shop(database):
    c = models.create_customer({"first_name": "Grace", "last_name": "Hopper", "email": "grace@example.com",
                                "phone": "+1 555 0100"},
                               billing={"name": "Grace Hopper", "line1": "1 Navy Way", "city": "Arlington",
                                        "country": "US"})
    g, _ = models.create_group({"code": "vip", "name": "VIP", "discount_percent": "5"})
    cat = models.Category.create(name="Coffee", slug="coffee")
    product = models.Product.create(sku="K1", name="Kenya AA", category=cat, price=Decimal("12.00"))
    review = models.Review.create(product=product, customer=c.id, rating=4, title="Nice", body="Good.\nReally.")
    return {"customer": models.get_customer(c.id), "group": models.get_group(g.id), "category": cat,
            "product": product, "review": review}


# -- writes refuse control characters, on every path ------------------------------

WRITES = {
    "create_group.code": (lambda s, v: models.create_group({"code": v, "name": "X"}), "code"),
    "create_group.name": (lambda s, v: models.create_group({"code": "x", "name": v}), "name"),
    "update_group.name": (lambda s, v: models.update_group(s["group"].id, {"name": v},
                                                           expected_version=s["group"].version), "name"),
    "create_customer.first_name": (lambda s, v: models.create_customer({"first_name": v, "email": "n@example.com"}),
                                   "first_name"),
    "create_customer.last_name": (lambda s, v: models.create_customer({"last_name": v, "email": "n@example.com"}),
                                  "last_name"),
    "create_customer.email": (lambda s, v: models.create_customer({"first_name": "N", "email": f"{v}@example.com"}),
                              "email"),
    "create_customer.phone": (lambda s, v: models.create_customer({"first_name": "N", "email": "n@example.com",
                                                                   "phone": v}), "phone"),
    "create_customer.billing": (lambda s, v: models.create_customer({"first_name": "N", "email": "n@example.com"},
                                                                    billing={"line1": v}), "billing.line1"),
    "update_customer.first_name": (lambda s, v: models.update_customer(
        s["customer"].id, {"first_name": v}, expected_version=s["customer"].version), "first_name"),
    "update_customer.email": (lambda s, v: models.update_customer(
        s["customer"].id, {"email": f"{v}@example.com"}, expected_version=s["customer"].version), "email"),
    "update_customer.phone": (lambda s, v: models.update_customer(
        s["customer"].id, {"phone": v}, expected_version=s["customer"].version), "phone"),
    "save_addresses.billing": (lambda s, v: models.save_addresses(
        s["customer"].id, billing={"city": v}, shipping=None, shipping_same_as_billing=True,
        expected_version=s["customer"].version), "billing.city"),
    "save_addresses.shipping": (lambda s, v: models.save_addresses(
        s["customer"].id, billing=None, shipping={"name": v}, shipping_same_as_billing=False,
        expected_version=s["customer"].version), "shipping.name"),
    "adjust_reward_points.reason": (lambda s, v: models.adjust_reward_points(s["customer"].id, 10, v), "reason"),
    "moderate_reviews.reason": (lambda s, v: models.moderate_reviews(Selection.ids([s["review"].id]), "rejected",
                                                                     reason=v), "reason"),
    "set_rules.value": (lambda s, v: models.set_rules(s["group"].id, "all", [{"field": "status", "op": "=",
                                                                              "value": v}]), "rules[0]"),
    "reset_password": (lambda s, v: models.reset_password(s["customer"].id, v + "-long-enough"), "password"),
}


@pytest.mark.parametrize("path", sorted(WRITES))
def test_every_write_refuses_control_characters(shop, path):
    call, field = WRITES[path]
    for kind, value in sorted(HOSTILE.items()):
        try:
            refused(lambda: call(shop, value), field)
        except BaseException as exc:
            raise AssertionError(f"{path} with {kind} ({value!r}): {exc}") from exc


def test_a_description_keeps_its_line_breaks_and_nothing_else(shop):
    g = shop["group"]
    for kind, value in sorted(HOSTILE.items()):
        if kind != "lf":
            refused(lambda: models.update_group(g.id, {"description": "Line 1\n" + value},
                                                expected_version=g.version), "description")
    models.update_group(g.id, {"description": "Line 1\nLine 2"}, expected_version=g.version)
    assert models.get_group(g.id).description == "Line 1\nLine 2"


def test_what_may_be_written_still_is(shop):
    """Letters of every script, combining marks, emoji joined by ZWJ and
    ZWNJ in Persian are text, not control characters."""
    names = ["Zoë", "Søren", "José", "محمد", "עברית", "Ngọc", "e\u0301", "👨\u200d👩\u200d👧", "می\u200cخواهم"]
    for i, name in enumerate(names):
        c = models.create_customer({"first_name": name, "last_name": name, "email": f"u{i}@example.com"},
                                   billing={"name": name, "city": name})
        assert models.get_customer(c.id).first_name == name
    g, _ = models.create_group({"code": "intl", "name": "👨\u200d👩\u200d👧 محمد"})
    assert models.get_group(g.id).name == "👨\u200d👩\u200d👧 محمد"


# -- unchanged stored values are accepted (the contract with the screens) -------------

STORED = "Ada\x1b]0;owned\x07\u202e\x9b"  # no NUL: PostgreSQL cannot store one


def storefront_customer() -> models.Customer:
    """A customer a storefront wrote, as it wrote them: no checks."""
    c = models.Customer.create(first_name=STORED, last_name="Lovelace\x9b", email="ada\x1b@example.com",
                               email_key="ada\x1b@example.com", name_key="x", last_key="x", phone="+44\x07",
                               default_group=models.general_group().id)
    models.Membership.create(customer=c.id, group=models.general_group().id)
    models.Address.create(customer=c.id, kind="billing", name=STORED, line1="1 Road\x1b[2J", city="London",
                          country="GB")
    return models.get_customer(c.id)


def test_an_update_may_hand_back_stored_values_unchanged(database):
    c = storefront_customer()
    # The Account form sends every field; only the phone was edited.
    changes = {"first_name": c.first_name, "last_name": c.last_name, "email": c.email, "phone": "+44 20 7946 0000",
               "status": c.status, "account_type": c.account_type, "language": c.language,
               "tax_exempt": c.tax_exempt}
    c2 = models.update_customer(c.id, changes, expected_version=c.version)
    assert (c2.first_name, c2.last_name, c2.email) == (STORED, "Lovelace\x9b", "ada\x1b@example.com")
    assert c2.phone == "+44 20 7946 0000"
    # A new value is checked, though: another hostile name is refused.
    refused(lambda: models.update_customer(c.id, {"first_name": STORED + "!"}, expected_version=c2.version),
            "first_name")
    refused(lambda: models.update_customer(c.id, {"first_name": c2.first_name, "phone": "+44\x07"},
                                           expected_version=c2.version), "phone")


def test_addresses_may_hand_back_stored_values_unchanged(database):
    c = storefront_customer()
    billing = {"name": STORED, "line1": "1 Road\x1b[2J", "line2": "", "city": "Paris", "region": "",
               "postcode": "", "country": "FR"}
    c2 = models.save_addresses(c.id, billing=billing, shipping=None, shipping_same_as_billing=True,
                               expected_version=c.version)
    stored = models.get_addresses(c.id)["billing"]
    assert (stored.name, stored.line1, stored.city) == (STORED, "1 Road\x1b[2J", "Paris")
    # Shipping starting as a copy of billing: the values are already stored.
    c3 = models.save_addresses(c.id, billing=billing, shipping=dict(billing, city="Lyon"),
                               shipping_same_as_billing=False, expected_version=c2.version)
    assert models.get_addresses(c.id)["shipping"].line1 == "1 Road\x1b[2J"
    refused(lambda: models.save_addresses(c.id, billing=dict(billing, line2="\x1b[1m"), shipping=None,
                                          shipping_same_as_billing=True, expected_version=c3.version),
            "billing.line2")


def test_a_group_may_hand_back_its_stored_name_unchanged(database):
    g = models.CustomerGroup.create(code="evil", name=STORED, description="x\x1b[2J",
                                    tax_class=models.TaxClass.select().first())
    # The Edit form sends every general field; only the discount was edited.
    data = {"name": g.name, "description": g.description, "tax_class_id": g.tax_class_id,
            "discount_percent": "12.5", "free_shipping": False, "hidden": False}
    g2, _, _ = models.update_group(g.id, data, expected_version=g.version)
    assert (g2.name, g2.description, g2.discount_percent) == (STORED, "x\x1b[2J", Decimal("12.5"))
    refused(lambda: models.update_group(g.id, {"name": "New\x1b[2J"}, expected_version=g2.version), "name")


# -- bounded parsing -----------------------------------------------------------------

@pytest.mark.parametrize("text", ["last 2030 years", "9999 years ago", "last 1000000 weeks", "1 January 1899",
                                  "2201-01-01", "0001-01-01", "last 99999999999999999999 days",
                                  "２０２４-03-01", "2024-0٣-01", "soon", "1" * 5000, "2024-03-01\x1b[2J"], ids=short)
def test_dates_out_of_bounds_or_unreadable_are_a_clear_error(text):
    with pytest.raises(models.DateParseError) as exc:
        models.parse_date(text, today=TODAY)
    assert str(exc.value) and len(str(exc.value)) < 200 and models.is_inert(str(exc.value), multiline=False)


def test_date_bounds_are_inclusive():
    assert models.parse_date("1900-01-01", today=TODAY) == dt.date(1900, 1, 1)
    assert models.parse_date("2200-12-31", today=TODAY) == dt.date(2200, 12, 31)
    assert models.parse_date("last 126 years", today=TODAY) == dt.date(1900, 11, 23)
    with pytest.raises(models.DateParseError):
        models.parse_date("1899-12-31", today=TODAY)


@pytest.mark.parametrize("value", [None, 5, 2024.5, ["2024-03-01"], b"2024-03-01", {"d": 1}])
def test_a_date_of_the_wrong_type_is_a_date_error(value):
    with pytest.raises(models.DateParseError):
        models.parse_date(value, today=TODAY)


def test_filters_with_dates_out_of_bounds_name_the_field(shop):
    for text in ("last 2030 years", "9999 years ago", "last 1000000 weeks"):
        refused(lambda: models.build_filter(registered_from=text, today=TODAY), "registered_from")
        refused(lambda: models.build_review_filter(created_to=text, today=TODAY), "created_to")
        refused(lambda: models.set_rules(shop["group"].id, "all", [{"field": "registered", "op": "within",
                                                                     "value": text}]), "rules[0]")
        refused(lambda: models.set_rules(shop["group"].id, "all", [{"field": "registered", "op": "after",
                                                                     "value": text}]), "rules[0]")


@pytest.mark.parametrize("text, message", [
    ("-1", "negative"), ("10000000000", "at most"), ("1" * 5000, "at most"), ("1.234", "two decimal"),
    ("1e3", "not an amount"), ("NaN", "not an amount"), ("Infinity", "not an amount"), ("²", "not an amount"),
    ("١٢", "not an amount"), ("1_000", "not an amount"), ("12\x1b", "control"),
], ids=short)
def test_amounts_are_bounded_with_clear_messages(shop, text, message):
    exc = refused(lambda: models.build_filter(spent_min=text), "spent_min")
    assert message in exc.errors["spent_min"]


def test_amounts_that_are_fine():
    assert models.parse_money("1,250.50", "x") == Decimal("1250.50")
    assert models.parse_money(" 0 ", "x") == 0
    assert models.parse_money("9999999999.99", "x") == models.MONEY_MAX
    assert models.parse_money("", "x") is None and models.parse_money(None, "x") is None


@pytest.mark.parametrize("value", ["²", "①", "٣", "１２", "1" * 5000, "-1", "1e3", "1.5", "", "2000000", "0x10"], ids=short)
def test_an_order_count_rule_takes_plain_digits_within_bounds(shop, value):
    refused(lambda: models.set_rules(shop["group"].id, "all", [{"field": "order_count", "op": ">=",
                                                                 "value": value}]), "rules[0]")


def test_an_order_count_rule_within_bounds_is_saved_and_evaluates(shop):
    rules = models.set_rules(shop["group"].id, "all", [{"field": "order_count", "op": ">=", "value": " 12 "},
                                                       {"field": "total_spent", "op": "<=", "value": "1,000"}])
    assert [r.value for r in rules] == ["12", "1,000"]
    assert models.preview_rules(shop["group"].id).joining == 0


@pytest.mark.parametrize("value", ["²", "①", "1" * 5000, "1000001", "-1000001", "1.5", "1e3", "0", "", None,
                                   [5], True], ids=short)
def test_points_are_whole_numbers_within_bounds(shop, value):
    refused(lambda: models.adjust_reward_points(shop["customer"].id, value, "goodwill"), "delta")


@pytest.mark.parametrize("value", ["１０", "1e1", "10.555", "12,5", "101", "-0.01", "NaN", "²", [10], True])
def test_percentages_are_bounded(shop, value):
    refused(lambda: models.create_group({"code": "p", "name": "P", "discount_percent": value}), "discount_percent")
    refused(lambda: models.set_category_discount(shop["group"].id, shop["category"].id, value), "discount_percent")


def test_a_rule_that_cannot_be_evaluated_cannot_be_saved(shop):
    refused(lambda: models.set_rules(shop["group"].id, "most", [{"field": "status", "op": "=", "value": "active"}]),
            "match")
    refused(lambda: models.set_rules(shop["group"].id, "all", [{"field": "country", "op": "=", "value": "G\u0301B"}]),
            "rules[0]")
    refused(lambda: models.set_rules(shop["group"].id, "all", [{"field": "order_count", "op": ">=", "value": 5}]),
            "rules[0]")
    refused(lambda: models.set_rules(shop["group"].id, "all", ["order_count >= 5"]), "rules[0]")
    refused(lambda: models.set_rules(shop["group"].id, "all", "order_count >= 5"), "rules")


@pytest.mark.parametrize("stored", [
    [{"field": "order_count", "op": ">=", "value": "²"}],
    [{"field": "order_count", "op": ">=", "value": "9" * 5000}],
    [{"field": "registered", "op": "within", "value": "1000000 weeks"}],
    [{"field": "total_spent", "op": ">=", "value": "lots"}],
    [{"field": "shoe_size", "op": ">=", "value": "9"}],
    [{"field": "status", "op": "=", "value": None}],
])
def test_a_bad_stored_rule_is_an_error_naming_the_group(shop, stored):
    """Rules stored by an older Backroom that checked less, or by hand."""
    g = shop["group"]
    models.GroupRuleSet.create(group=g.id, match="all", rules=json.dumps(stored))
    before = fingerprint()
    for call in (lambda: models.preview_rules(g.id), lambda: models.apply_rules(),
                 lambda: models.apply_rules(g.id, dry_run=True)):
        with pytest.raises(models.BackroomError) as exc:
            call()
        assert "'vip'" in str(exc.value) and not isinstance(exc.value, models.ConflictError)
    assert fingerprint() == before
    assert models.get_rules(g.id)[1]  # still readable, for an admin to fix
    models.set_rules(g.id, "all", [])  # and replaceable
    assert models.apply_rules() == []


# -- wrong types: the project's own error, naming the field ------------------------------

WRONG_TEXT = [None, 5, 1.5, ["Ada"], b"Ada", {"a": 1}, True]


@pytest.mark.parametrize("value", WRONG_TEXT[1:])
def test_text_fields_refuse_other_types(shop, value):
    c, g = shop["customer"], shop["group"]
    refused(lambda: models.create_customer({"first_name": value, "email": "n@example.com"}), "first_name")
    refused(lambda: models.create_customer({"first_name": "N", "email": value}), "email")
    refused(lambda: models.update_customer(c.id, {"phone": value}, expected_version=c.version), "phone")
    refused(lambda: models.create_group({"code": value, "name": "N"}), "code")
    refused(lambda: models.update_group(g.id, {"name": value}, expected_version=g.version), "name")
    refused(lambda: models.save_addresses(c.id, billing={"city": value}, shipping=None,
                                          shipping_same_as_billing=True, expected_version=c.version), "billing.city")
    refused(lambda: models.adjust_reward_points(c.id, 5, value), "reason")
    refused(lambda: models.moderate_reviews(Selection.ids([shop["review"].id]), "rejected", reason=value), "reason")
    refused(lambda: models.build_filter(text=value), "text")
    refused(lambda: models.build_filter(spent_max=value), "spent_max")
    refused(lambda: models.build_review_filter(customer=value), "customer")
    refused(lambda: models.set_rules(g.id, "all", [{"field": "status", "op": "=", "value": value}]), "rules[0]")


def test_none_is_blank_where_a_field_may_be_blank(shop):
    c = models.create_customer({"first_name": "N", "last_name": None, "email": "n@example.com", "phone": None})
    assert (c.last_name, c.phone) == ("", "")
    assert models.build_filter(text=None, registered_from=None).is_empty()
    refused(lambda: models.create_customer({"first_name": None, "email": "m@example.com"}), "first_name")
    refused(lambda: models.create_group({"code": "n", "name": None}), "name")


@pytest.mark.parametrize("value, field", [
    ("1e0", "tax_class_id"), ("1.0", "tax_class_id"), ([1], "tax_class_id"), (True, "tax_class_id"),
    ("\ud800", "name"),
])
def test_group_fields_of_the_wrong_kind(shop, value, field):
    refused(lambda: models.create_group({"code": "t", "name": "T", field: value}), field)


@pytest.mark.parametrize("value", [None, "1e0", [1], 1.0, "one", True])
def test_ids_of_the_wrong_type(shop, value):
    c, g = shop["customer"], shop["group"]
    refused(lambda: models.update_customer(c.id, {"phone": "1"}, expected_version=value), "expected_version")
    refused(lambda: models.update_group(g.id, {"name": "N"}, expected_version=value), "expected_version")
    if value is not None:  # None is "General" for a new customer
        refused(lambda: models.create_customer({"first_name": "N", "email": "n@example.com"}, group_id=value),
                "group")
    refused(lambda: models.assign_customers(g.id, Selection.ids([value])), "ids")
    refused(lambda: models.set_category_access(g.id, [value]), "categories")
    with pytest.raises(models.BackroomError):
        models.get_customer(value)
    with pytest.raises(models.BackroomError):
        models.get_group(value)


@pytest.mark.parametrize("value", [0, -1, 2 ** 31, 2 ** 63, 2 ** 70, "99999999999"])
def test_ids_no_record_can_have_are_not_found(shop, value):
    with pytest.raises(models.NotFoundError):
        models.get_customer(value)
    with pytest.raises(models.NotFoundError):
        models.update_group(value, {"name": "N"}, expected_version=1)
    assert Selection.ids([value]).count() == 0
    assert models.find_customer(str(value)) is None


def test_fields_that_are_no_fields(shop):
    c = shop["customer"]
    refused(lambda: models.create_customer({"first_name": "N", "email": "n@example.com", "password_hash": "x"}),
            "password_hash")
    refused(lambda: models.update_customer(c.id, ["first_name"], expected_version=c.version), "customer")
    refused(lambda: models.update_customer(c.id, {"tax_exempt": "yes"}, expected_version=c.version), "tax_exempt")
    refused(lambda: models.update_customer(c.id, {"status": ["active"]}, expected_version=c.version), "status")
    refused(lambda: models.create_group({"code": "x", "name": "X", "free_shipping": "no"}), "free_shipping")
    refused(lambda: models.create_group({"code": "x", "name": "X"}, discounts={"coffee": "5"}), "category_discounts")
    refused(lambda: models.save_addresses(c.id, billing="1 Road", shipping=None, shipping_same_as_billing=True,
                                          expected_version=c.version), "billing")
    refused(lambda: models.moderate_reviews(Selection.members_of(shop["group"].id), "approved"), "selection")
