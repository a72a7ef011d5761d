"""Generated input thrown at every operation that takes what an admin types.

Hypothesis generates the input: text of any script with control, format,
bidi and surrogate characters mixed in, numbers written every way (``²``,
``①``, ``١``, 5,000 digits, exponents, ``NaN``), dates near and far
(``last 1000000 weeks``), and values of the wrong type (None, numbers,
lists, bytes, true/false); valid values most of the time, so that the
operations also succeed often.  Each call must either succeed within the
stated rules (checked after it) or raise the project's own error
(:class:`models.BackroomError`); and when it raises, nothing was written
(:func:`written.fingerprint` before and after: every table's row count,
versions, the last audit entry, the columns updated in place).

Over 10,000 inputs on SQLite (:data:`INPUTS`, ten to a Hypothesis example:
drawing an example costs more than most calls), a tenth of them on
PostgreSQL and MariaDB, where every call is a round trip.  Deterministic:
``derandomize=True`` and no example database.
"""

from __future__ import annotations

import datetime as dt
import string
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backroom import models
from backroom.models import Selection
from written import fingerprint

TODAY = dt.date(2026, 11, 23)

# -- what an admin (or a broken caller) might hand over ----------------------------

HOSTILE = ["\x1b[2J", "\x1b]0;owned\x07", "\x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\", "\x00", "\x9b31m",
           "\x7f", "\u202e", "\u2066", "\u200b", "\u2028", "\ufeff", "\ud800", "\udfff", "\t", "\r\n", "\n", "\x85"]
ODD_DIGITS = ["²", "①", "١٢", "１２", "৩", "Ⅻ", "⁹", "𝟙"]

# Characters of every kind, drawn from a fixed list (quicker to draw than all
# of Unicode, and every kind is certain to come up): every C0 control, DEL,
# C1, the invisible format and bidi characters, lone surrogates, and letters,
# digits, marks and emoji of many scripts.
ALPHABET = (string.printable + "".join(map(chr, range(0x20))) + "\x7f" + "".join(map(chr, range(0x80, 0xa0)))
            + "\xa0\xad\u061c\u180e\u200b\u200c\u200d\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e"
            + "\u2060\u2061\u2066\u2067\u2068\u2069\ufeff\ufff9\ufffb\ufffd\uffff\ud800\udbff\udc00\udfff"
            + "éøßÆœŁğ" + "ДЖя" + "αΩ" + "محمدی" + "עברית" + "हिन्दी" + "ไทย" + "日本語中文" + "한국어" + "\u0301\u0308"
            + "²③١٢１２Ⅻ⁹𝟙" + "😀👨👩👧🏴\U000e0067" + "＝＋－＠")
hostile = st.sampled_from(HOSTILE)
letters = st.text(alphabet=st.sampled_from(ALPHABET), max_size=30)
surrogates = st.text(alphabet=st.sampled_from("\ud800\udbff\udc00\udfff"), min_size=1, max_size=2)
plain = st.text(alphabet=string.ascii_letters + string.digits + " .-_'@+", max_size=30)
text = st.one_of(
    plain,
    letters,
    st.tuples(plain, hostile, plain).map("".join),
    st.tuples(plain, surrogates).map("".join),
    st.sampled_from(["", " ", "Ada", "  Ada  ", "Zoë", "محمد", "👨\u200d👩\u200d👧"]),
    st.integers(95, 5005).map(lambda k: "x" * k),  # over every limit
)
# What passes: letters of many scripts, marks, ZWJ emoji, spaces and punctuation.
OK_ALPHABET = (string.ascii_letters + string.digits + " .-'" + "éøßÆœŁğДЖяαΩمحمدیעבריתहिन्दीไทย日本語中文한국어"
               + "\u0301😀👨👩👧\u200d\u200c")


def ok_text(limit: int = 40) -> st.SearchStrategy[str]:
    return st.text(alphabet=st.sampled_from(OK_ALPHABET), min_size=1, max_size=min(limit, 40)).filter(str.strip)


ok_email = st.builds("{}@{}.example".format, st.text(alphabet=string.ascii_lowercase + string.digits + "._-",
                                                      min_size=3, max_size=12).filter(lambda t: t[0] not in "._-"),
                     st.sampled_from(["shop", "mail", "zoë"]))
ok_amount = st.decimals(0, 100_000, places=2).map(str)
ok_percent = st.decimals(0, 100, places=2).map(str)
ok_date = st.one_of(st.dates(dt.date(1950, 1, 1), dt.date(2150, 1, 1)).map(dt.date.isoformat),
                    st.builds("last {} {}".format, st.integers(0, 99), st.sampled_from(["days", "weeks", "months"])),
                    st.sampled_from(["today", "yesterday", "", "1 March 2024"]))

wrong_type = st.one_of(st.none(), st.integers(), st.floats(), st.decimals(), st.booleans(),
                       st.lists(st.integers(), max_size=2), st.binary(max_size=4),
                       st.dictionaries(st.text(max_size=2), st.integers(), max_size=1))
anything = st.one_of(text, text, text, wrong_type)

numbers = st.one_of(
    st.integers(-10 ** 12, 10 ** 12).map(str),
    st.integers().map(str),
    st.decimals(allow_nan=True, allow_infinity=True, places=None).map(str),
    st.floats().map(str),
    st.integers(0, 10 ** 7).map(lambda n: f"{n:,}"),
    st.builds(lambda n, d: f"{n}.{d}", st.integers(0, 10 ** 6), st.integers(0, 10 ** 4)),
    st.sampled_from(ODD_DIGITS + ["1e3", "NaN", "-0", "+5", " 12 ", "1_000", "0x10", "12,5", "100.00", "100.001",
                                  "-0.01", ".5", "5."]),
    st.integers(38, 5005).map(lambda k: "9" * k),  # digits past every bound, and int()'s 4,300
    st.tuples(st.integers(0, 999).map(str), hostile).map("".join),
)
number_or_anything = st.one_of(numbers, numbers, anything, st.integers(), st.decimals())

units = st.sampled_from(["day", "days", "week", "weeks", "month", "months", "year", "years", "fortnight"])
dates = st.one_of(
    st.builds(lambda form, n, unit: form.format(n=n, unit=unit),
              st.sampled_from(["last {n} {unit}", "{n} {unit} ago", "past {n} {unit}", "{n}{unit} ago", "{n} {unit}"]),
              st.one_of(st.integers(0, 10 ** 13), st.sampled_from(ODD_DIGITS), st.just("9" * 5000)), units),
    st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)).flatmap(
        lambda d: st.sampled_from([d.isoformat(), d.strftime("%d %B %Y"), d.strftime("%B %d, %Y"),
                                   d.strftime("%d/%m/%Y"), d.strftime("%Y")])),
    st.sampled_from(["today", "Yesterday", "", "soon", "32 March 2024", "2024-02-30", "０１/０２/２０２４"]),
    text,
)
date_or_anything = st.one_of(dates, dates, dates, wrong_type)

RULE_OPS = sorted({op for ops in models.RULE_FIELDS.values() for op in ops})
wild_rule = st.fixed_dictionaries({
    "field": st.one_of(st.sampled_from(sorted(models.RULE_FIELDS)), anything),
    "op": st.one_of(st.sampled_from(RULE_OPS), anything),
    "value": st.one_of(numbers, dates, st.sampled_from(["active", "disabled", "GB", "de", "G\u0301B"]), anything),
})
ok_rule = st.one_of(
    st.fixed_dictionaries({"field": st.just("total_spent"), "op": st.sampled_from([">=", "<="]),
                           "value": st.decimals(0, 100_000, places=2).map(str)}),
    st.fixed_dictionaries({"field": st.just("order_count"), "op": st.sampled_from([">=", "<="]),
                           "value": st.integers(0, 1000).map(str)}),
    st.fixed_dictionaries({"field": st.just("registered"), "op": st.sampled_from(["before", "after"]),
                           "value": st.dates(dt.date(1950, 1, 1), dt.date(2150, 1, 1)).map(dt.date.isoformat)}),
    st.fixed_dictionaries({"field": st.just("registered"), "op": st.just("within"),
                           "value": st.builds("{} {}".format, st.integers(0, 99), units)}),
    st.fixed_dictionaries({"field": st.just("status"), "op": st.just("="),
                           "value": st.sampled_from(models.CUSTOMER_STATUSES)}),
    st.fixed_dictionaries({"field": st.just("country"), "op": st.just("="), "value": st.sampled_from(["GB", "de"])}),
)
rule = st.integers(0, 3).flatmap(lambda i: ok_rule if i else wild_rule)


INPUTS = {
    "parse_date": 1600,
    "parse_money": 1200,
    "build_filter": 900,
    "build_review_filter": 700,
    "create_group": 800,
    "update_group": 600,
    "assign_and_unassign": 500,
    "category_access_and_discounts": 400,
    "create_customer": 800,
    "update_customer": 600,
    "save_addresses": 500,
    "memberships_and_lookups": 500,
    "reward_points": 600,
    "reset_password": 40,
    "moderate_reviews": 600,
    "set_and_preview_rules": 900,
    "lists_explain_and_delete": 400,
}
"""Inputs thrown by each test, on SQLite: over 10,000 in all (a tenth on a server)."""


def mostly(valid: st.SearchStrategy, odd: st.SearchStrategy | None = None, *, one_in: int = 4) -> st.SearchStrategy:
    """A valid value, and one time in ``one_in`` anything at all: so that
    successes, and the checks after them, happen often too."""
    odd = odd if odd is not None else anything
    # Not one_of(valid, valid, valid, odd): one_of flattens nested one_ofs,
    # so the many branches of "anything" would outweigh the valid one.
    return st.integers(0, one_in - 1).flatmap(lambda i: valid if i else odd)


def field(valid: st.SearchStrategy, odd: st.SearchStrategy | None = None) -> st.SearchStrategy:
    """One field of several: odd one time in twelve, so that a whole set of
    fields is valid often enough."""
    return mostly(valid, odd, one_in=12)


def n(examples: int) -> int:
    """Examples for one test: all of them on SQLite, a tenth on a server."""
    return examples if models.is_sqlite() else max(20, examples // 10)


BATCH = 10
"""Inputs per Hypothesis example: drawing one example costs more than most
calls it makes, so each example is a list of inputs, each checked alone."""

CALLS: dict[str, int] = {}


def throw(name: str, arguments: st.SearchStrategy[tuple], check) -> None:
    """``check(*args)`` for :data:`INPUTS` [name] generated argument tuples
    (a tenth on a server), :data:`BATCH` per Hypothesis example;
    deterministic, no example database, no deadline (a server's round
    trips vary)."""
    inputs = n(INPUTS[name])

    @settings(max_examples=-(-inputs // BATCH), derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck), print_blob=False)
    @given(st.lists(arguments, min_size=BATCH, max_size=BATCH))
    def run(batch):
        for args in batch:
            CALLS[name] = CALLS.get(name, 0) + 1
            check(*args)

    run()
    # Hypothesis stops early when a strategy runs out of new values: none should.
    assert CALLS.get(name, 0) >= inputs, (name, CALLS.get(name), inputs)


def attempt(call, name: str):
    """Call; return its result, or None if it raised the project's error,
    having checked that nothing was written.  Any other error fails."""
    before = fingerprint()
    try:
        return call()
    except models.BackroomError as exc:
        assert str(exc), f"{name}: an error with no message"
        after = fingerprint()
        assert after == before, f"{name} raised {exc!r} but wrote something"
        return None


def clean_line_ok(value: str, limit: int) -> bool:
    return isinstance(value, str) and len(value) <= limit and not models.has_control_chars(value)


@pytest.fixture
def shop(database):
    cat = models.Category.create(name="Coffee", slug="coffee")
    models.Category.create(name="Sacks", slug="sacks", restricted=True)
    product = models.Product.create(sku="K1", name="Kenya AA", category=cat, price=Decimal("12.00"))
    people = [models.create_customer({"first_name": f"P{i}", "last_name": "Person", "email": f"p{i}@example.com"},
                                     billing={"line1": f"{i} Road", "city": "Leeds", "country": "GB"})
              for i in range(3)]
    g, _ = models.create_group({"code": "vip", "name": "VIP"})
    for i, c in enumerate(people):
        models.Review.create(product=product, customer=c.id, rating=i + 1, title="T", body="B\nb")
    ids = {"customers": [c.id for c in people], "group": g.id, "general": models.general_group().id,
           "guest": models.guest_group().id, "category": cat.id,
           "groups": [g.id, models.general_group().id, models.guest_group().id],
           "categories": [c.id for c in models.Category.select(models.Category.id)],
           "reviews": [r.id for r in models.Review.select(models.Review.id)]}
    return ids


def picked(shop: dict, kind: str, value):
    """``("#", i)``: the i-th of the shop's ``kind`` (customers, reviews,
    groups: their ids differ between engines); anything else as it is."""
    if isinstance(value, tuple) and len(value) == 2 and value[0] == "#":
        return shop[kind][value[1]]
    return value


customer_pick = st.integers(0, 2).map(lambda i: ("#", i))
review_pick = customer_pick
group_pick = st.sampled_from([("#", 0), ("#", 0), ("#", 1), ("#", 2)])  # vip (often), general, guest
category_pick = st.integers(0, 1).map(lambda i: ("#", i))

ids_like = st.one_of(st.integers(-3, 12), st.integers(), st.sampled_from(["1", "2", "1e0", " 3 ", "x", "#1"]),
                     wrong_type)
hashable_ids = st.one_of(st.integers(-3, 12), st.integers(), st.sampled_from(["1", "2", "1e0", " 3 ", "x", None,
                                                                              True, 1.5]))


# -- the parsers (no database writes) -------------------------------------------------

def test_parse_date(database):
    def check(value):
        try:
            day = models.parse_date(value, today=TODAY)
        except models.DateParseError as exc:
            assert str(exc) and models.is_inert(str(exc), multiline=False)
            return
        assert models.DATE_MIN <= day <= models.DATE_MAX

    throw("parse_date", st.tuples(date_or_anything), check)


def test_parse_money(database):
    def check(value):
        try:
            amount = models.parse_money(value, "amount")
        except models.ValidationError as exc:
            assert set(exc.errors) == {"amount"}
            return
        assert amount is None or (0 <= amount <= models.MONEY_MAX and amount == amount.quantize(Decimal("0.01")))

    throw("parse_money", st.tuples(number_or_anything), check)


# -- filters: read only, and a filter that is built can be counted --------------------

def test_build_filter(shop):
    def check(typed):
        flt = attempt(lambda: models.build_filter(**typed, today=TODAY), "build_filter")
        if flt is not None:
            assert models.count_customers(flt) >= 0
            assert len(models.customer_page(flt, limit=5)) <= 5

    throw("build_filter", st.tuples(st.fixed_dictionaries({}, optional={
        "text": field(st.one_of(ok_text(30), st.just(""))),
        "status": field(st.sampled_from(["active", "DISABLED", "gone", ""])),
        "group": field(st.sampled_from(["vip", "general", "nope", ""])),
        "registered_from": field(ok_date, date_or_anything), "registered_to": field(ok_date, date_or_anything),
        "spent_min": field(ok_amount, number_or_anything), "spent_max": field(ok_amount, number_or_anything)})), check)


def test_build_review_filter(shop):
    def check(typed):
        flt = attempt(lambda: models.build_review_filter(**typed, today=TODAY), "build_review_filter")
        if flt is not None:
            assert models.count_reviews(flt) >= 0
            assert models.review_status_counts(flt)

    throw("build_review_filter", st.tuples(st.fixed_dictionaries({}, optional={
        "status": field(st.sampled_from(["pending", "Approved", "x", ""])),
        "rating": field(st.sampled_from(["1", "5", "6", "²", ""])),
        "product": field(st.sampled_from(["K1", "K2", ""])),
        "customer": field(st.sampled_from(["p1@example.com", "P2@Example.com ", "nobody@example.com"])),
        "created_from": field(ok_date, date_or_anything), "created_to": field(ok_date, date_or_anything),
        "text": field(st.one_of(ok_text(30), st.just("")))})), check)


# -- groups ------------------------------------------------------------------------------

ok_code = st.text(alphabet=string.ascii_lowercase + string.digits + "_-", min_size=1, max_size=20).filter(
    lambda t: t[0] not in "_-")
group_fields = st.one_of(*[st.fixed_dictionaries(required, optional={
    "description": field(st.one_of(ok_text(200), st.just("Line 1\nLine 2"))),
    "tax_class_id": field(st.sampled_from([1, "1", "", None]), ids_like),
    "discount_percent": field(ok_percent, number_or_anything), "free_shipping": field(st.booleans()),
    "hidden": field(st.booleans())}) for required in (
    {"code": field(ok_code), "name": field(ok_text(100))},
    {"name": field(ok_text(100))},
    {"code": anything, "name": anything, "sneaky": anything},
)])
new_group = st.integers(0, 5).flatmap(lambda i: group_fields if i == 0 else st.fixed_dictionaries(
    {"code": ok_code, "name": ok_text(100)}, optional={
        "description": field(st.one_of(ok_text(200), st.just("Line 1\nLine 2"))),
        "tax_class_id": field(st.sampled_from([1, "1", "", None]), ids_like),
        "discount_percent": field(ok_percent, number_or_anything), "free_shipping": field(st.booleans()),
        "hidden": field(st.booleans())}))


def check_group(gid: int) -> None:
    g = models.get_group(gid)
    assert models.CODE_RE.fullmatch(g.code) and clean_line_ok(g.name, 100) and g.name.strip()
    assert not models.has_control_chars(g.description, multiline=True) and len(g.description) <= 2000
    assert 0 <= Decimal(g.discount_percent) <= 100


def test_create_group(shop):
    made_codes = iter(range(10 ** 9))

    def check(data, discounts, access):
        if isinstance(data.get("code"), str) and models.CODE_RE.fullmatch(data["code"]) and len(data["code"]) < 20:
            data = dict(data, code=f"{data['code']}-{next(made_codes)}")  # new, mostly (see create_customer)
        if isinstance(discounts, dict):
            discounts = {picked(shop, "categories", k): v for k, v in discounts.items()}
        if isinstance(access, list):
            access = [picked(shop, "categories", c) for c in access]
        made = attempt(lambda: models.create_group(data, discounts=discounts, access=access), "create_group")
        if made is not None:
            check_group(made[0].id)

    discounts = mostly(st.one_of(st.none(), st.dictionaries(category_pick, ok_percent, max_size=2)),
                       st.dictionaries(hashable_ids, number_or_anything, max_size=2))
    access = mostly(st.one_of(st.none(), st.lists(category_pick, max_size=2)), st.lists(ids_like, max_size=3))
    throw("create_group", st.tuples(new_group, discounts, access), check)


def test_update_group(shop):
    without_code = group_fields.map(lambda d: {k: v for k, v in d.items() if k != "code"})

    def check(changes, version, which):
        gid = picked(shop, "groups", which)
        if version == "current":
            version = models.get_group(shop["group"]).version
        if attempt(lambda: models.update_group(gid, changes, expected_version=version), "update_group"):
            check_group(shop["group"])

    throw("update_group", st.tuples(mostly(without_code, group_fields), mostly(st.just("current"), ids_like),
                                    mostly(group_pick, ids_like)), check)


def test_assign_and_unassign(shop):
    def check(customer_ids, which, assign):
        gid = picked(shop, "groups", which)
        customer_ids = [picked(shop, "customers", i) for i in customer_ids]
        op = models.assign_customers if assign else models.unassign_customers
        attempt(lambda: op(gid, Selection.ids(customer_ids)), op.__name__)

    throw("assign_and_unassign", st.tuples(st.lists(mostly(customer_pick, ids_like), max_size=4),
                                           mostly(group_pick, ids_like), st.booleans()), check)


def test_category_access_and_discounts(shop):
    def check(category, access, percent):
        category = picked(shop, "categories", category)
        if isinstance(access, list):
            access = [picked(shop, "categories", c) for c in access]
        attempt(lambda: models.set_category_access(shop["group"], access), "set_category_access")
        attempt(lambda: models.set_category_discount(shop["group"], category, percent), "set_category_discount")

    throw("category_access_and_discounts",
          st.tuples(mostly(category_pick, ids_like), mostly(st.lists(mostly(category_pick, ids_like), max_size=3)),
                    mostly(st.one_of(ok_percent, st.just("")), number_or_anything)), check)


# -- customers ------------------------------------------------------------------------------

customer_fields = st.one_of(*[st.fixed_dictionaries(required, optional={
    "last_name": field(ok_text(100)),
    "phone": field(st.text(alphabet="0123456789 +-()", max_size=20)),
    "status": field(st.sampled_from(["active", "disabled"])), "account_type": field(st.sampled_from(["business"])),
    "language": field(st.sampled_from(models.LANGUAGES)), "tax_exempt": field(st.booleans())}) for required in (
    *[{"first_name": field(ok_text(100)), "email": field(ok_email)}] * 5,
    {"first_name": anything, "email": field(ok_email), "sneaky": anything},
)])
address = mostly(one_in=8, valid=st.one_of(st.none(), st.fixed_dictionaries({}, optional={
    k: field(st.sampled_from(["GB", "de", ""]) if k == "country" else ok_text(limit))
    for k, limit in models.ADDRESS_LIMITS.items()})))


def check_customer(cid: int) -> None:
    c = models.get_customer(cid)
    limits = {"first_name": 100, "last_name": 100, "phone": 32, "email": 254}
    for name, limit in limits.items():
        assert clean_line_ok(getattr(c, name), limit), (name, getattr(c, name))
    assert models.EMAIL_RE.fullmatch(c.email) and c.email_key == models.normalize_email(c.email)
    assert c.status in models.CUSTOMER_STATUSES and c.language in models.LANGUAGES
    for a in models.get_addresses(cid).values():
        if a is not None:
            for name, limit in models.ADDRESS_LIMITS.items():
                assert clean_line_ok(getattr(a, name), limit), (name, getattr(a, name))


def test_create_customer(shop):
    made = iter(range(10 ** 9))

    def check(data, billing, password, group_id):
        group_id = picked(shop, "groups", group_id)
        if isinstance(data.get("email"), str) and data["email"].endswith(".example"):
            # Hypothesis draws the same simple addresses again and again:
            # numbered, most are new, so that creating succeeds often.
            data = dict(data, email=f"{next(made)}.{data['email']}")
        c = attempt(lambda: models.create_customer(data, billing=billing, password=password, group_id=group_id),
                    "create_customer")
        if c is not None:
            check_customer(c.id)

    # A password is hashed with scrypt (tens of milliseconds): seldom one.
    password = st.integers(0, 19).flatmap(lambda i: anything if i == 0 else st.none())
    throw("create_customer", st.tuples(customer_fields, address, password,
                                       mostly(st.one_of(st.none(), group_pick), ids_like)), check)


def test_update_customer(shop):
    def check(changes, version, which):
        cid = shop["customers"][which]
        if version == "current":
            version = models.get_customer(cid).version
        if attempt(lambda: models.update_customer(cid, changes, expected_version=version), "update_customer"):
            check_customer(cid)

    throw("update_customer", st.tuples(mostly(customer_fields), mostly(st.just("current"), ids_like),
                                       st.sampled_from([0, 1, 2])), check)


def test_save_addresses(shop):
    def check(billing, shipping, same, which):
        cid = shop["customers"][which]
        version = models.get_customer(cid).version
        if attempt(lambda: models.save_addresses(cid, billing=billing, shipping=shipping,
                                                 shipping_same_as_billing=same, expected_version=version),
                   "save_addresses"):
            check_customer(cid)

    throw("save_addresses", st.tuples(address, address, mostly(st.booleans()), st.sampled_from([0, 1, 2])), check)


def test_memberships_and_lookups(shop):
    def check(customer_id, group_id, op, typed):
        customer_id, group_id = picked(shop, "customers", customer_id), picked(shop, "groups", group_id)

        def version():
            try:
                return models.get_customer(customer_id).version
            except models.BackroomError:
                return 1

        calls = {
            "join": lambda: models.join_group(customer_id, group_id),
            "leave": lambda: models.leave_group(customer_id, group_id),
            "default": lambda: models.set_default_group(customer_id, group_id, expected_version=version()),
            "get": lambda: (models.get_customer(customer_id), models.get_group(group_id)),
            "find": lambda: models.find_customer(typed),
            "erase": lambda: models.erase_customer(customer_id, typed),
        }
        done = attempt(calls[op], op)
        if op == "erase" and done is not None:
            assert done.first_name == "Erased" and done.email.endswith("@erased.invalid")

    throw("memberships_and_lookups",
          st.tuples(mostly(customer_pick, ids_like), mostly(group_pick, ids_like),
                    st.sampled_from(["join", "leave", "default", "get", "find", "erase"]),
                    st.one_of(anything, st.sampled_from(["1", "#2", "p0@example.com", "P1@EXAMPLE.COM "]))), check)


def test_reward_points(shop):
    def check(delta, reason, which):
        cid = picked(shop, "customers", which)
        entry = attempt(lambda: models.adjust_reward_points(cid, delta, reason), "adjust_reward_points")
        if entry is not None:
            assert entry.delta != 0 and abs(entry.delta) <= models.POINTS_MAX
            assert clean_line_ok(entry.reason, 255) and entry.reason
            assert models.reward_balance(cid) >= 0

    throw("reward_points", st.tuples(mostly(st.integers(-1000, 1000).map(str), number_or_anything),
                                     mostly(ok_text(255)), mostly(customer_pick, ids_like)), check)


def test_reset_password(shop):
    # Each success hashes with scrypt (tens of milliseconds): fewer examples.
    def check(password):
        if attempt(lambda: models.reset_password(shop["customers"][0], password), "reset_password"):
            assert models.get_customer(shop["customers"][0]).password_hash

    typed = st.text(alphabet=st.sampled_from(OK_ALPHABET), min_size=8, max_size=12)
    throw("reset_password", st.tuples(mostly(st.one_of(st.none(), typed))), check)


# -- reviews and rules -----------------------------------------------------------------------------

def test_moderate_reviews(shop):
    def check(review_ids, status, reason):
        review_ids = [picked(shop, "reviews", i) for i in review_ids]
        sel = attempt(lambda: Selection.ids(review_ids), "Selection.ids")
        if sel is None:
            return
        changed = attempt(lambda: models.moderate_reviews(sel, status, reason=reason), "moderate_reviews")
        if changed:
            for r in models.review_page(limit=50):
                assert r.reject_reason is None or clean_line_ok(r.reject_reason, 500)

    throw("moderate_reviews", st.tuples(st.lists(mostly(review_pick, ids_like), max_size=3),
                                        mostly(st.sampled_from(["approved", "rejected", "pending"])),
                                        mostly(st.one_of(st.none(), ok_text(500)))), check)


def test_set_and_preview_rules(shop):
    def check(match, rules):
        saved = attempt(lambda: models.set_rules(shop["group"], match, rules), "set_rules")
        if saved is not None:
            # What was saved can be evaluated.
            assert models.preview_rules(shop["group"], today=TODAY, sample=1).joining >= 0
            for r in saved:
                assert clean_line_ok(r.value, 5000)

    throw("set_and_preview_rules", st.tuples(mostly(st.sampled_from(["all", "any"])),
                                             mostly(st.lists(rule, max_size=3))), check)


def test_lists_explain_and_delete(shop):
    def check(op, a, b):
        calls = {
            "list_groups": lambda: models.list_groups(a, sort=b),
            "explain": lambda: models.explain(picked(shop, "customers", a), product_id=b),
            "explain_category": lambda: models.explain(None, category_id=picked(shop, "categories", b)),
            "review_position": lambda: models.review_position(None, picked(shop, "reviews", a)),
            "get_review": lambda: models.get_review(picked(shop, "reviews", b)),
            "customer_page": lambda: models.customer_page(sort=a, limit=b),
            "delete_group": lambda: models.delete_group(picked(shop, "groups", a), expected_version=b),
        }
        attempt(calls[op], op)

    throw("lists_explain_and_delete",
          st.tuples(st.sampled_from(["list_groups", "explain", "explain_category", "review_position", "get_review",
                                     "customer_page", "delete_group"]),
                    mostly(st.one_of(customer_pick, ok_text(10), st.sampled_from(["name", "code", "members"])),
                           st.one_of(anything, ids_like)),
                    mostly(st.one_of(category_pick, st.integers(0, 60), st.sampled_from(["name", "code"])),
                           st.one_of(anything, ids_like))), check)


def test_over_ten_thousand_inputs_in_all():
    """Each test above checks that it threw its INPUTS (throw)."""
    assert sum(INPUTS.values()) >= 10_000
