"""The customers export on the servers writes a window's rows as text read
from a few long cells (datalayer/exports.py, _window_lines and _csv_text):
the same bytes as the Python rows, cell by cell made safe, write; on every
engine, with generated customers whose text is as awkward as a storefront's."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from backroom import models
from backroom.datalayer import exports
from backroom.datalayer.outbox import csv_cell

X, R = exports._X, exports._R

CELL = st.text(alphabet=st.sampled_from(list("=+-@ 'a1é😀,;\"\t\r\n\x1b\u202e\u00a0") + [X, R]), max_size=6)
PRINTABLE = st.text(alphabet=st.sampled_from(list("=+-@ 'a1é😀,;\"")), max_size=6)


def written(rows: list[list[str]], delimiter: str) -> str:
    """What the Python rows write: each cell made safe, then the csv module."""
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(exports._safe_page([list(r) for r in rows]))
    return out.getvalue()


@settings(max_examples=400, deadline=None)
@given(st.integers(min_value=2, max_value=4).flatmap(lambda width: st.lists(  # (a format's row: 13 cells or more)
    st.lists(st.one_of(PRINTABLE, PRINTABLE, CELL), min_size=width, max_size=width), min_size=1, max_size=8)),
    st.sampled_from([",", ";"]))
@example([[" =a", "x,y", '"q"'], ["+44 20", "", "-"]], ",")
@example([["@x;", "a;b", "=1"]], ";")
@example([["", ""]], ",")
def test_a_windows_text_is_what_the_csv_module_writes_of_its_safe_cells(rows, delimiter):
    assert exports._csv_text([""], 1, ",") is None  # the csv module writes a lone empty cell as ""
    text = exports._csv_text([X.join(r) for r in rows], len(rows[0]), delimiter)
    if all(v.isprintable() for r in rows for v in r):
        assert text == written(rows, delimiter)
    else:  # a control character (a separator too): the Python rows take the window
        assert text is None


AWKWARD = ["Ada", "Zoë", "José", "Søren 😀", "O'Brien", "Smith, Jr.", 'The "Boss"', "=HYPERLINK(\"http://x\")",
           "+44 20 7946 0000", "-5", "@home", "  =1+1", " plain", "semi;colon", "a\"b,c", "", "Ünïcödé, \"q\"",
           "tab\there", "line\nbreak", "cr\rhere", "\x1b[2J", "\u202eevil", "sep\x1fin", "row\x1ein", "  ", "'quoted"]


def awkward(rng: random.Random, clean: bool) -> str:
    """A value from AWKWARD (only the printable ones when ``clean``)."""
    pool = [v for v in AWKWARD if v.isprintable()] if clean else AWKWARD
    return rng.choice(pool)


@pytest.fixture
def awkward_shop(db_url):
    """80 customers as a storefront wrote them (no checks): awkward text in
    every column a format writes, some without a billing address, an
    external id or an email, in one, two or three groups; a control
    character only in some (so that some windows are written by the Python
    rows, the others as text); the shop writing money as R$ 1.234,56."""
    rng = random.Random(13)
    models.set_money_format("R$ 1.234,56")
    general = models.general_group().id
    groups = [general] + [models.create_group({"code": code, "name": code.title()})[0].id
                          for code in ("vip", "club", "wholesale_eu")]
    for i in range(80):
        clean = i % 7 != 3
        email = "" if i % 11 == 5 else f"c{i}@example.com" if i % 3 else f"  ={i}@example.com"
        c = models.Customer.create(
            first_name=awkward(rng, clean), last_name=awkward(rng, clean), email=email,
            email_key=email.lower() or None, name_key=f"k{i}", last_key="", phone=awkward(rng, True),
            status=["active", "disabled", "active", "Active", "active "][i % 5],
            account_type=rng.choice(["personal", "business"]),
            tax_exempt=bool(i % 5 == 0), language=rng.choice(["en", "fr"]),
            registered_at=dt.datetime(2020, 1, 2, 3, 4, 5) + dt.timedelta(days=i, seconds=i * 37),
            default_group=rng.choice(groups), external_id=None if i % 6 == 0 else f"{awkward(rng, True)}{i}",
            total_spent=Decimal(rng.choice(["0", "12.5", "-3.25", "1234.56", "1234567.89", "999.99"])),
            order_count=rng.randrange(0, 5000))
        for gid in rng.sample(groups, rng.randrange(0, 4)):
            models.Membership.create(customer=c.id, group=gid, source=rng.choice(["manual", "rule"]),
                                     added_by=awkward(rng, clean), added_at=dt.datetime(2024, 5, 6, 7, 8, 9))
        if i % 4 != 1:
            models.Address.create(customer=c.id, kind="billing", name=awkward(rng, clean),
                                  line1=awkward(rng, True), line2=awkward(rng, clean), city=awkward(rng, True),
                                  region="", postcode=awkward(rng, True)[:20], country=rng.choice(["FR", "GB"]))
    gone = models.Customer.select(models.Customer.id).order_by(models.Customer.id).limit(9).offset(20)
    models.Customer.delete().where(models.Customer.id.in_([c.id for c in gone])).execute()  # a gap of ids
    return db_url


CASES = [dict(fmt="backroom"), dict(fmt="shopify"), dict(fmt="magento"), dict(fmt="prestashop"),
         dict(fmt="backroom", group="vip", members=True), dict(fmt="prestashop", group="club", members=True),
         dict(fmt="shopify", flt="status"), dict(fmt="magento", group="wholesale_eu")]


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(str(v) for v in c.values()))
def test_every_format_writes_the_bytes_the_python_rows_write(awkward_shop, tmp_path, monkeypatch, case):
    case = dict(case)
    if case.pop("flt", None):
        case["flt"] = models.build_filter(status="active")
    as_text = []
    real = exports._csv_text

    def spy(*args):
        as_text.append(real(*args))
        return as_text[-1]

    for size in (3, 10_000):
        monkeypatch.setattr(exports, "PAGE", size)
        monkeypatch.setattr(exports, "_csv_text", spy)
        fast = tmp_path / f"text-{size}.csv"
        n = models.export_customers(fast, **case)
        monkeypatch.setattr(exports, "_csv_text", lambda *args: None)  # every window by the Python rows
        rows = tmp_path / f"rows-{size}.csv"
        assert models.export_customers(rows, **case) == n > 0
        assert fast.read_bytes() == rows.read_bytes(), (size, case)
    if not models.is_sqlite():  # the servers wrote windows both ways
        assert any(t for t in as_text) and any(t is None for t in as_text)


def test_the_awkward_cells_are_safe_and_read_back_as_stored(awkward_shop, tmp_path):
    """What the text says, read by the csv module: every cell as csv_cell
    makes the stored value, the groups sorted, the money in the shop's
    format, NULLs empty."""
    out = tmp_path / "shop.csv"
    models.export_customers(out, fmt="shopify")
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    customers = list(models.Customer.select().order_by(models.Customer.id))
    assert len(rows) == len(customers) == 71
    for c, row in zip(customers, rows):
        billing = models.Address.get_or_none((models.Address.customer == c.id) & (models.Address.kind == "billing"))
        codes = sorted(m.group.code for m in models.Membership.select().where(models.Membership.customer == c.id))
        expected = [c.external_id or "", c.first_name, c.last_name, c.email, "no", "",
                    *(getattr(billing, k) if billing else "" for k in
                      ("line1", "line2", "city", "region", "country", "postcode")),
                    "", c.phone, "no", exports._money(c.total_spent), str(c.order_count), "",
                    "yes" if c.tax_exempt else "no", ", ".join(codes)]
        assert row == [csv_cell(v) for v in expected], c.id
    spent = {r[15] for r in rows}
    assert {"R$ 1.234,56"} & spent == set() and {"1.234.567,89", "'-3,25", "0,00", "12,50"} <= spent
