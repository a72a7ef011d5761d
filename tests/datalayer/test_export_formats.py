"""Exporting customers as Magento 2's customer main file and PrestaShop's
customer CSV: the exact files, untrusted text made inert, and the round
trip through the importer (export, import into an empty database, export
again gives the same file); on every engine."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from backroom import models

SOURCE = (
    "external_id,first_name,last_name,email,phone,status,account_type,tax_exempt,language,registered_at,"
    "default_group,groups,billing_name,billing_line1,billing_line2,billing_city,billing_region,billing_postcode,"
    "billing_country\n"
    "A1,Zoë,Løvås,zoe@example.com,,active,personal,no,en,2021-02-03 04:05:06,general,,,,,,,,\n"
    "A2,Bo,Trade,bo@example.com,,disabled,business,no,en,2022-03-04 05:06:07,wholesale,\"general,vip\",,,,,,,\n"
    ",=HYPERLINK(\"http://x\"),+Plus,eve@example.com,,active,personal,no,en,2023-04-05 06:07:08,vip,,,,,,,,\n"
    "A4,Phone,Only,,+44 20 7946 0000,active,personal,no,en,2023-05-06 07:08:09,general,,,,,,,,\n"
    "A5,Semi;colon,\"Quote\"\"d\",semi@example.com,,active,personal,no,en,2024-06-07 08:09:10,general,,,,,,,,\n"
)

MAGENTO = [
    "email,_website,_store,confirmation,created_at,created_in,disable_auto_group_change,dob,firstname,gender,"
    "group_id,lastname,middlename,password_hash,prefix,rp_token,rp_token_created_at,store_id,suffix,taxvat,"
    "website_id,password",
    "zoe@example.com,base,default,,2021-02-03 04:05:06,Default Store View,0,,Zoë,,1,Løvås,,,,,,1,,,1,",
    "bo@example.com,base,default,,2022-03-04 05:06:07,Default Store View,0,,Bo,,2,Trade,,,,,,1,,,1,",
    "eve@example.com,base,default,,2023-04-05 06:07:08,Default Store View,0,,\"'=HYPERLINK(\"\"http://x\"\")\",,vip,"
    "'+Plus,,,,,,1,,,1,",
    "semi@example.com,base,default,,2024-06-07 08:09:10,Default Store View,0,,Semi;colon,,1,\"Quote\"\"d\",,,,,,1,"
    ",,1,",
]

PRESTASHOP = [
    "Customer ID;Active (0/1);Titles ID (Mr = 1, Ms = 2, else 0);Email *;Password *;Birthday (yyyy-mm-dd);"
    "Last Name *;First Name *;Newsletter (0/1);Opt-in (0/1);Registration date (yyyy-mm-dd);Groups (x,y,z...);"
    "Default group ID",
    "A1;1;0;zoe@example.com;;;Løvås;Zoë;0;0;2021-02-03 04:05:06;3;3",
    "A2;0;0;bo@example.com;;;Trade;Bo;0;0;2022-03-04 05:06:07;3,vip,wholesale;wholesale",
    ";1;0;eve@example.com;;;'+Plus;\"'=HYPERLINK(\"\"http://x\"\")\";0;0;2023-04-05 06:07:08;vip;vip",
    "A5;1;0;semi@example.com;;;\"Quote\"\"d\";\"Semi;colon\";0;0;2024-06-07 08:09:10;3;3",
]


@pytest.fixture
def shop(db_url, tmp_path):
    models.create_group({"code": "vip", "name": "VIP"})
    source = tmp_path / "source.csv"
    source.write_text(SOURCE, encoding="utf-8")
    report = models.import_customers(source, fmt="backroom")
    assert report.summary() == "5 new, 0 changed, 0 unchanged, 0 rejected"
    return tmp_path


def empty_shop() -> None:
    """Every customer gone (the groups stay): an empty database to import into."""
    for model in (models.Notification, models.Membership, models.Address, models.Customer):
        model.delete().execute()


@pytest.mark.parametrize("fmt, expected", [("magento", MAGENTO), ("prestashop", PRESTASHOP)])
def test_the_exact_file_and_its_round_trip(shop, fmt, expected):
    first = shop / f"{fmt}-1.csv"
    assert models.export_customers(first, fmt=fmt) == 4  # the customer without an email cannot be one
    assert first.read_bytes().decode("utf-8").split("\r\n") == [*expected, ""]
    entry = (models.AuditEntry.select().where(models.AuditEntry.action == "customers.export")
             .order_by(models.AuditEntry.id.desc()).get())
    assert entry.after_data()["format"] == fmt and entry.after_data()["count"] == 4
    empty_shop()
    report = models.import_customers(first)
    assert (report.preview.format, report.summary()) == (fmt, "4 new, 0 changed, 0 unchanged, 0 rejected")
    second = shop / f"{fmt}-2.csv"
    assert models.export_customers(second, fmt=fmt) == 4
    assert second.read_bytes() == first.read_bytes()
    assert models.import_customers(first).summary() == "0 new, 0 changed, 4 unchanged, 0 rejected"


def test_an_unknown_format_is_refused(shop):
    with pytest.raises(models.ValidationError, match="Export as backroom, shopify, magento or prestashop"):
        models.export_customers(shop / "x.csv", fmt="csv")
    assert not (shop / "x.csv").exists()


def test_a_group_and_a_filter_narrow_a_prestashop_export(shop):
    out = shop / "vip.csv"
    assert models.export_customers(out, fmt="prestashop", group="vip") == 2
    assert [line.split(";")[3] for line in out.read_text(encoding="utf-8").splitlines()[1:]] == [
        "bo@example.com", "eve@example.com"]
    assert models.export_customers(out, fmt="magento", flt=models.build_filter(status="disabled")) == 1
    assert out.read_text(encoding="utf-8").splitlines()[1].startswith("bo@example.com,")


PRINTABLE = st.text(alphabet=st.sampled_from(list("=+-@ 'a1é,;\"")), max_size=6)
CELL_TEXT = st.one_of(PRINTABLE, PRINTABLE, PRINTABLE,
                      st.text(alphabet=st.sampled_from(list("=+- a\t\r\n\x1b\u202e\u00a0")), max_size=4))


PAGES = st.integers(min_value=1, max_value=4).flatmap(
    lambda width: st.lists(st.lists(CELL_TEXT, min_size=width, max_size=width), min_size=1, max_size=12))
PRINTABLE_PAGES = st.integers(min_value=1, max_value=4).flatmap(
    lambda width: st.lists(st.lists(PRINTABLE, min_size=width, max_size=width), min_size=1, max_size=12))


@settings(max_examples=300, deadline=None)
@given(st.one_of(PAGES, PRINTABLE_PAGES))
@example([[" =a", "x"], ["b", "  -1"]])
@example([["+44 20", ""], ["@x", "ok"]])
def test_a_page_is_made_safe_exactly_as_each_cell_would_be(rows):
    """The export looks at a page whole; what it writes is what csv_cell
    makes of each cell, whatever the page holds."""
    from backroom.datalayer.exports import _safe_page
    from backroom.datalayer.outbox import csv_cell

    expected = [[csv_cell(v) for v in row] for row in rows]
    assert _safe_page([list(row) for row in rows]) == expected


def test_the_command_line_exports_magento_and_prestashop(shop, db_url, capsys):
    from backroom import main

    for fmt, expected in (("magento", MAGENTO), ("prestashop", PRESTASHOP)):
        out = shop / f"cli-{fmt}.csv"
        models.db.close()
        code = main.main(["--db", db_url, "export", "customers", str(out), "--format", fmt])
        assert (code, capsys.readouterr().out) == (0, f"Exported 4 customers to {out}\n")
        assert out.read_bytes().decode("utf-8").split("\r\n") == [*expected, ""]
        models.connect(db_url)


def test_members_in_magento_format_leave_out_who_has_no_email_and_keep_each_row_its_own(shop):
    out = shop / "members.csv"
    assert models.export_customers(out, fmt="magento", group="general", members=True) == 3
    rows = [line.split(",") for line in out.read_text(encoding="utf-8").splitlines()]
    assert rows[0][-4:] == ["member_of", "member_source", "member_added_by", "member_added_at"]
    assert [(r[0], r[-4], r[-3]) for r in rows[1:]] == [
        ("zoe@example.com", "general", "manual"), ("bo@example.com", "general", "manual"),
        ("semi@example.com", "general", "manual")]
