"""Importing customers: the files platforms export, awkward ones, the dry
run's report and the imported data, asserted exactly; on every engine."""

from __future__ import annotations

import codecs
import datetime as dt
import os
import stat

import pytest

from backroom import models

SHOPIFY_HEADER = ("Customer ID,First Name,Last Name,Email,Accepts Email Marketing,Default Address Company,"
                  "Default Address Address1,Default Address Address2,Default Address City,"
                  "Default Address Province Code,Default Address Country Code,Default Address Zip,"
                  "Default Address Phone,Phone,Accepts SMS Marketing,Total Spent,Total Orders,Note,Tax Exempt,Tags")


def shopify_row(cid, first, last, email, *, line1="", city="", country="", zip_="", phone="", tax="no", tags="",
                note=""):
    cells = [cid, first, last, email, "no", "", line1, "", city, "", country, zip_, "", phone, "no", "0.00", "0",
             note, tax, tags]
    return ",".join(f'"{c}"' if ("," in c or "\n" in c) else c for c in cells)


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def customers():
    """Every customer as (external_id, first, last, email, phone, tax_exempt, default group code, groups), by id."""
    codes = {g.id: g.code for g in models.CustomerGroup.select()}
    out = []
    for c in models.Customer.select().order_by(models.Customer.id):
        groups = sorted(codes[m.group_id] for m in models.Membership.select().where(models.Membership.customer == c.id))
        out.append((c.external_id, c.first_name, c.last_name, c.email, c.phone, c.tax_exempt,
                    codes[c.default_group_id], groups))
    return out


def billing(email):
    c = models.Customer.get(models.Customer.email_key == email.lower())
    a = models.Address.get_or_none((models.Address.customer == c.id) & (models.Address.kind == "billing"))
    return None if a is None else (a.name, a.line1, a.line2, a.city, a.region, a.postcode, a.country)


def problems(report):
    return [(p.line, p.field, p.message) for p in report.problems]


def counts(report):
    return (report.rows, report.new, report.changed, report.unchanged, report.rejected)


# -- Shopify, the awkward file --------------------------------------------------

def awkward_shopify(tmp_path):
    long_name = "x" * 10_000
    rows = [
        SHOPIFY_HEADER,
        shopify_row("101", "Zoë", "Løvås", "zoe@example.com", line1="1 Main St", city="Oslo",
                    country="no", zip_="0150", tags="wholesale", note="Leave at the door,\nnot with a neighbour"),
        shopify_row("102", "Ana", "Smith", "Ana.Smith@Example.com", phone="+44 20 7946 0000", tax="yes"),
        shopify_row("103", "", "", "", phone="+33 6 12 34 56 78"),
        shopify_row("104", "Bad", "Mail", "not-an-email"),
        shopify_row("105", "Ana", "Twin", "ana.smith@EXAMPLE.com"),
        shopify_row("106", long_name, "Long", "long@example.com"),
        shopify_row("107", "Nobody", "Reachable", ""),
        shopify_row("108", "Vera", "Vip", "vera@example.com", tags="VIP, Wholesale"),
        '109,Cut,Short,cut@example.com,no',  # a truncated last line
    ]
    # A BOM, CRLF line ends, a quoted newline (in 101's note: 101 is on lines 2-3).
    return write(tmp_path, "customers_export.csv", "\ufeff" + "\r\n".join(rows) + "\r\n")


SHOPIFY_PROBLEMS = [
    (6, "email", "'not-an-email' is not an email address"),
    (7, "email", "the same email as an earlier row (case ignored)"),
    (8, "first_name", "longer than 100 characters (10,000)"),
    (9, "email", "a customer needs an email or a phone; this row has neither"),
    (10, "groups", "no group has the code or name 'VIP' (--create-groups creates it)"),
    (11, "line", "5 cells where the header has 20 columns (a truncated line?)"),
]


def test_the_dry_run_reports_every_bad_row_and_writes_nothing(db_url, tmp_path):
    path = awkward_shopify(tmp_path)
    before = models.AuditEntry.select().count()
    report = models.import_customers(path, dry_run=True)
    p = report.preview
    assert (p.format, p.encoding, p.delimiter) == ("shopify", "utf-8-sig", ",")
    assert p.mapping[:4] == [("Customer ID", "external_id"), ("First Name", "first_name"),
                             ("Last Name", "last_name"), ("Email", "email")]
    assert "Total Spent" in p.ignored and "Note" in p.ignored
    assert problems(report) == SHOPIFY_PROBLEMS
    assert counts(report) == (9, 3, 0, 0, 6)
    assert report.unknown_groups == {"VIP": 1}
    assert not report.applied and report.rejects_path is None
    assert models.Customer.select().count() == 0 and models.AuditEntry.select().count() == before
    assert not models.rejects_path_for(path).exists()


def test_apply_imports_the_valid_rows_and_writes_the_rejects_beside_the_file(db_url, tmp_path):
    path = awkward_shopify(tmp_path)
    report = models.import_customers(path)
    assert counts(report) == (9, 3, 0, 0, 6) and report.applied
    assert problems(report) == SHOPIFY_PROBLEMS
    assert customers() == [
        ("101", "Zoë", "Løvås", "zoe@example.com", "", False, "general", ["general", "wholesale"]),
        ("102", "Ana", "Smith", "Ana.Smith@Example.com", "+44 20 7946 0000", True, "general", ["general"]),
        ("103", "", "", "", "+33 6 12 34 56 78", False, "general", ["general"]),
    ]
    assert billing("zoe@example.com") == ("", "1 Main St", "", "Oslo", "", "0150", "NO")
    assert billing("ana.smith@example.com") is None
    phone_only = models.Customer.get(models.Customer.external_id == "103")
    assert phone_only.email_key is None
    rejects = models.rejects_path_for(path)
    assert report.rejects_path == str(rejects)
    assert stat.S_IMODE(os.stat(rejects).st_mode) == 0o600
    lines = rejects.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "line,problems," + SHOPIFY_HEADER
    assert [int(r.split(",", 1)[0]) for r in lines[1:] if r[:1].isdigit()] == [6, 7, 8, 9, 10, 11]
    # Joining Wholesale queued a notification; joining General as a new customer did not.
    assert [(r.email, r.group, r.event) for r in models.outbox()] == [("zoe@example.com", "Wholesale", "joined")]
    audit = models.AuditEntry.select().where(models.AuditEntry.action == "customer.import").count()
    assert audit == 3
    summary = models.AuditEntry.get(models.AuditEntry.action == "customers.import").after_data()
    assert summary["new"] == 3 and summary["rejected"] == 6 and summary["file"] == "customers_export.csv"


def test_importing_the_same_file_again_changes_nothing(db_url, tmp_path):
    path = awkward_shopify(tmp_path)
    models.import_customers(path, create_groups=True)
    version = {c.id: c.version for c in models.Customer.select()}
    notes = models.outbox_count()
    report = models.import_customers(path, create_groups=True)
    assert report.summary() == "0 new, 0 changed, 4 unchanged, 5 rejected"
    assert {c.id: c.version for c in models.Customer.select()} == version
    assert models.outbox_count() == notes


def test_create_groups_makes_the_unknown_group_and_joins_it(db_url, tmp_path):
    path = awkward_shopify(tmp_path)
    dry = models.import_customers(path, dry_run=True, create_groups=True)
    assert dry.groups_created == ["vip"] and models.CustomerGroup.get_or_none(models.CustomerGroup.code == "vip") is None
    report = models.import_customers(path, create_groups=True)
    assert report.groups_created == ["vip"] and counts(report) == (9, 4, 0, 0, 5)
    vip = models.get_group_by_code("vip")
    assert vip.name == "VIP"
    assert customers()[-1] == ("108", "Vera", "Vip", "vera@example.com", "", False, "general",
                               ["general", "vip", "wholesale"])
    assert models.AuditEntry.select().where(models.AuditEntry.action == "group.create").count() == 1


def test_quiet_joins_queue_no_notification(db_url, tmp_path):
    models.import_customers(awkward_shopify(tmp_path), quiet=True)
    assert models.outbox_count() == 0
    assert ["wholesale" in groups for *_, groups in customers()] == [True, False, False]


def test_all_or_nothing_imports_nothing_when_a_row_is_bad(db_url, tmp_path):
    path = awkward_shopify(tmp_path)
    report = models.import_customers(path, all_or_nothing=True)
    assert not report.applied and report.rejected == 6 and report.new == 0
    assert models.Customer.select().count() == 0 and models.outbox_count() == 0
    assert not models.rejects_path_for(path).exists()
    assert models.AuditEntry.select().where(models.AuditEntry.action.startswith("customer")).count() == 0


def test_a_changed_row_updates_the_customer_and_audits_it(db_url, tmp_path):
    first = write(tmp_path, "a.csv", "\n".join([SHOPIFY_HEADER, shopify_row("7", "Ada", "Byron", "ada@example.com",
                                                                              city="London", country="GB")]))
    models.import_customers(first)
    second = write(tmp_path, "b.csv", "\n".join([
        SHOPIFY_HEADER,
        shopify_row("7", "Ada", "Lovelace", "ADA@example.com", city="London", country="GB", tags="wholesale"),
        shopify_row("8", "", "", "", phone="+1 555"),
    ]))
    report = models.import_customers(second)
    assert report.summary() == "1 new, 1 changed, 0 unchanged, 0 rejected"
    ada = models.Customer.get(models.Customer.external_id == "7")
    assert (ada.last_name, ada.email, ada.version) == ("Lovelace", "ADA@example.com", 2)
    assert models.customer_page(models.build_filter(text="lovel"))[0].id == ada.id
    entry = models.AuditEntry.select().where((models.AuditEntry.action == "customer.import")
                                             & (models.AuditEntry.entity_id == str(ada.id))).order_by(
        models.AuditEntry.id.desc()).first()
    assert entry.before_data() == {"last_name": "Byron", "email": "ada@example.com"}
    assert entry.after_data()["last_name"] == "Lovelace"
    # A row with only a phone matches the customer without an email who has it.
    again = write(tmp_path, "c.csv", "phone,first_name\n+1 555,Phoebe\n")
    report = models.import_customers(again, mapping="phone=phone,first_name=first_name")
    assert report.summary() == "0 new, 1 changed, 0 unchanged, 0 rejected"
    assert models.Customer.get(models.Customer.external_id == "8").first_name == "Phoebe"


def test_an_email_taken_by_another_customer_is_a_row_problem(db_url, tmp_path):
    models.create_customer({"first_name": "Old", "email": "taken@example.com"})
    models.import_customers(write(tmp_path, "a.csv", "\n".join([SHOPIFY_HEADER, shopify_row("1", "A", "B", "a@example.com")])))
    report = models.import_customers(write(tmp_path, "b.csv", "\n".join([
        SHOPIFY_HEADER, shopify_row("1", "A", "B", "Taken@example.com")])), dry_run=True)
    assert problems(report) == [(2, "email", "already the email of another customer")]


# -- the other formats --------------------------------------------------------

def test_prestashop_semicolons_latin1_and_group_ids(db_url, tmp_path):
    text = ("Customer ID;Active (0/1);Titles ID (Mr = 1, Ms = 2, else 0);Email *;Password *;Birthday (yyyy-mm-dd);"
            "Last Name *;First Name *;Newsletter (0/1);Opt-in (0/1);Registration date (yyyy-mm-dd);"
            "Groups (x,y,z...);Default group ID;ID / Name of shop\n"
            "7;1;2;rene@example.fr;x;1980-01-01;Müller;René;0;0;2021-03-04 10:20:30;3;3;1\n"
            "8;0;1;jose@example.es;x;;Peña;José;0;0;2022-05-06;3,wholesale;wholesale;1\n"
            "9;1;1;noel@example.fr;x;;Noël;Père;0;0;someday;3;3;1\n")
    path = write(tmp_path, "customers.csv", text, encoding="latin-1")
    with pytest.raises(models.FileProblem, match="is not utf-8 text .*--encoding latin-1"):
        models.import_customers(path, dry_run=True)
    report = models.import_customers(path, encoding="latin-1")
    assert (report.preview.format, report.preview.delimiter, report.preview.encoding) == ("prestashop", ";", "iso8859-1")
    assert problems(report) == [(4, "registered_at", "'someday' is not a date (2024-03-01 or 2024-03-01 10:20:30)")]
    assert customers() == [
        ("7", "René", "Müller", "rene@example.fr", "", False, "general", ["general"]),
        ("8", "José", "Peña", "jose@example.es", "", False, "wholesale", ["general", "wholesale"]),
    ]
    jose = models.Customer.get(models.Customer.external_id == "8")
    assert jose.status == "disabled" and jose.registered_at == dt.datetime(2022, 5, 6)


def test_magento_main_file_in_utf16(db_url, tmp_path):
    text = ("email,_website,_store,confirmation,created_at,created_in,disable_auto_group_change,dob,firstname,"
            "gender,group_id,lastname,middlename,password_hash,prefix,rp_token,rp_token_created_at,store_id,"
            "suffix,taxvat,website_id,password\n"
            "kim@example.com,base,default,,2020-02-03 04:05:06,Default Store View,0,,Kim,0,2,Lee,,,,,,1,,,1,\n")
    path = write(tmp_path, "customer_main.csv", "\ufeff" + text, encoding="utf-16-le")
    report = models.import_customers(path)
    assert (report.preview.format, report.preview.encoding) == ("magento", "utf-16")
    assert customers() == [(None, "Kim", "Lee", "kim@example.com", "", False, "wholesale", ["wholesale"])]


def test_woocommerce_report_and_tabs(db_url, tmp_path):
    text = ("Name\tUsername\tLast active\tDate registered\tEmail\tOrders\tTotal spend\tAOV\tCountry / Region\tCity\t"
            "Region\tPostal code\n"
            "Mary Ann Jones\tmaryj\t2024-01-01\t2023-06-07 08:09:10\tmary@example.com\t2\t30.00\t15.00\tUS\tAustin\tTX\t73301\n")
    report = models.import_customers(write(tmp_path, "wc.csv", text))
    assert (report.preview.format, report.preview.delimiter) == ("woocommerce", "\t")
    assert customers() == [("maryj", "Mary Ann", "Jones", "mary@example.com", "", False, "general", ["general"])]
    assert billing("mary@example.com") == ("", "", "", "Austin", "TX", "73301", "US")


def test_shopify_legacy_layout_and_header_spacing(db_url, tmp_path):
    text = ("first name , LAST NAME,Email,Company,Address1,Address2,City,Province,Province Code,Country,"
            "Country Code,Zip,Phone,Accepts Marketing,Total Spent,Total Orders,Tags,Note,Tax Exempt\n"
            "Ola,Nordmann,ola@example.no,,Gate 1,,Bergen,,,Norway,NO,5003,,no,0,0,,,no\n")
    report = models.import_customers(write(tmp_path, "old.csv", text))
    assert report.preview.format == "shopify-legacy"
    assert customers() == [(None, "Ola", "Nordmann", "ola@example.no", "", False, "general", ["general"])]


def test_any_csv_through_a_mapping(db_url, tmp_path):
    path = write(tmp_path, "crm.csv", "Mail;Given;Family;Mobile;Segment\nx@example.com;Xi;Yu;+86 1;wholesale\n")
    with pytest.raises(models.FileProblem, match="matches no customer format"):
        models.import_customers(path, dry_run=True)
    with pytest.raises(models.ValidationError, match="no column 'nope'"):
        models.import_customers(path, mapping="nope=email")
    with pytest.raises(models.ValidationError, match="'shoe_size' is not a field"):
        models.import_customers(path, mapping="Mail=shoe_size")
    report = models.import_customers(path, mapping="Mail=email, Given=first_name, Family=last_name, "
                                                   "Mobile=phone, Segment=groups")
    assert report.preview.format_label == "custom mapping"
    assert customers() == [(None, "Xi", "Yu", "x@example.com", "+86 1", False, "general", ["general", "wholesale"])]


def test_file_level_problems_are_one_line(db_url, tmp_path):
    with pytest.raises(models.FileProblem, match="No file"):
        models.import_customers(tmp_path / "missing.csv")
    with pytest.raises(models.FileProblem, match="empty: no header"):
        models.import_customers(write(tmp_path, "empty.csv", ""))
    with pytest.raises(models.ValidationError, match="'ebcdic-9' is not an encoding|not a customer format"):
        models.import_customers(write(tmp_path, "x.csv", "email\n"), fmt="excel")


def test_a_truncated_quoted_cell_is_a_row_problem(db_url, tmp_path):
    text = "email,first_name\na@example.com,Ann\nb@example.com,\"Bo"
    report = models.import_customers(write(tmp_path, "t.csv", text), fmt="backroom", dry_run=True)
    assert problems(report) == [(3, "line", "the file ends inside a quoted cell (a truncated file?)")]
    assert counts(report) == (2, 1, 0, 0, 1)


def test_cancel_leaves_nothing(db_url, tmp_path):
    path = awkward_shopify(tmp_path)
    with pytest.raises(models.ImportCancelled):
        models.import_customers(path, cancelled=lambda: True)
    assert models.Customer.select().count() == 0 and not models.rejects_path_for(path).exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]


def test_an_upgraded_database_takes_customers_with_only_a_phone(empty_db_url, tmp_path):
    import legacy_v1
    legacy_v1.create_v1_database([("Ada", "Lovelace", "ada@example.com")])
    models.migrate_schema()
    report = models.import_customers(write(tmp_path, "p.csv", "external_id,phone\nP1,+1 555\nP2,+1 556\n"),
                                     fmt="backroom")
    assert report.summary() == "2 new, 0 changed, 0 unchanged, 0 rejected"
    assert models.Customer.select().where(models.Customer.email_key.is_null()).count() == 2


# -- export, and the round trip -------------------------------------------------

def test_export_round_trip_gives_the_same_file(db_url, tmp_path):
    models.import_customers(awkward_shopify(tmp_path), create_groups=True)
    models.create_customer({"first_name": "=HYPERLINK(\"x\")", "last_name": "Ng", "email": "ng@example.com",
                            "phone": "+1 (555) 010"}, billing={"line1": "2 Rue", "city": "Paris", "country": "FR"})
    first = tmp_path / "one.csv"
    assert models.export_customers(first) == 5
    assert stat.S_IMODE(os.stat(first).st_mode) == 0o600
    text = first.read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text and "'+1 (555) 010" in text
    # Into an empty database, then out again.
    for model in reversed(models.ALL_MODELS):
        if model not in (models.SchemaMeta, models.CustomerGroup, models.TaxClass):
            model.delete().execute()
    models.CustomerGroup.delete().where(models.CustomerGroup.code == "vip").execute()
    report = models.import_customers(first, create_groups=True)
    assert report.summary() == "5 new, 0 changed, 0 unchanged, 0 rejected"
    assert models.Customer.get(models.Customer.email_key == "ng@example.com").first_name == '=HYPERLINK("x")'
    second = tmp_path / "two.csv"
    models.export_customers(second)
    assert second.read_bytes() == first.read_bytes()
    again = models.import_customers(second)
    assert again.summary() == "0 new, 0 changed, 5 unchanged, 0 rejected"


def test_export_shopify_members_and_bom(db_url, tmp_path):
    models.import_customers(awkward_shopify(tmp_path))
    out = tmp_path / "wholesale.csv"
    assert models.export_customers(out, fmt="shopify", group="wholesale", bom=True) == 1
    raw = out.read_bytes()
    assert raw.startswith(codecs.BOM_UTF8)
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0] == SHOPIFY_HEADER
    assert lines[1].startswith("101,Zoë,Løvås,zoe@example.com,no,,1 Main St")
    # Shopify's own format re-imports: the same customer, unchanged.
    assert models.import_customers(out).summary() == "0 new, 0 changed, 1 unchanged, 0 rejected"
    members = tmp_path / "members.csv"
    assert models.export_customers(members, group="wholesale", members=True) == 1
    header = members.read_text().splitlines()[0]
    assert header.endswith("member_of,member_source,member_added_by,member_added_at")
    with pytest.raises(models.ValidationError, match="Name the group"):
        models.export_customers(members, members=True)
    with pytest.raises(models.NotFoundError):
        models.export_customers(tmp_path / "none.csv", group="nope")
    assert not (tmp_path / "none.csv").exists()


def test_an_imported_customer_is_erased_everywhere_even_with_only_a_phone(db_url, tmp_path):
    models.import_customers(write(tmp_path, "p.csv", "external_id,first_name,last_name,phone,email\n"
                                                     "P1,Quentin,Zyxwv,+1 555 0199,\n"), fmt="backroom")
    c = models.Customer.get(models.Customer.external_id == "P1")
    with pytest.raises(models.ValidationError, match="phone exactly"):
        models.erase_customer(c.id, "")
    models.erase_customer(c.id, "+1 555 0199")
    for entry in models.AuditEntry.select():
        text = f"{entry.before} {entry.after}"
        assert "Zyxwv" not in text and "0199" not in text and "Quentin" not in text


def test_control_characters_and_formula_quotes(db_url, tmp_path):
    text = ("email,first_name,last_name,phone\n"
            "a@example.com,\x1b[2JAnn,Lee,\n"
            "b@example.com,Bo,\u202eeviL,\n"
            "c@example.com,'=SUM(A1),'-Dash,'+44 1\n")
    report = models.import_customers(write(tmp_path, "c.csv", text), fmt="backroom")
    assert problems(report) == [(2, "first_name", "holds a control character"),
                                (3, "last_name", "holds a control character")]
    assert customers() == [(None, "=SUM(A1)", "-Dash", "c@example.com", "+44 1", False, "general", ["general"])]


def test_export_reviews_keeps_bodies_whole_and_safe(db_url, tmp_path):
    import csv
    models.seed(20, rng_seed=2)
    review = models.Review.select().order_by(models.Review.id).first()
    models.Review.update(title="=cmd|' /C calc'!A0", body="Line one\nLine two\x1b[2J").where(
        models.Review.id == review.id).execute()
    out = tmp_path / "reviews.csv"
    n = models.export_reviews(out, flt=models.build_review_filter(status=review.status))
    assert n == models.count_reviews(models.build_review_filter(status=review.status))
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    with open(out, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == list(models.REVIEW_COLUMNS) and len(rows) == n
    first = rows[0]
    assert first["review_id"] == str(review.id)
    assert first["title"] == "'=cmd|' /C calc'!A0"
    assert first["body"] == "Line one\nLine two\\x1b[2J"
    assert {r["status"] for r in rows} == {review.status}
    assert models.AuditEntry.get(models.AuditEntry.action == "reviews.export").after_data()["count"] == n


def test_reviews_round_trip_and_reimport(db_url, tmp_path):
    models.seed(30, rng_seed=4)
    models.import_customers(write(tmp_path, "c.csv", "external_id,email,first_name\nX9,x9@example.com,Xena\n"),
                            fmt="backroom")
    product = models.Product.select().order_by(models.Product.id).first()
    extra = write(tmp_path, "extra.csv",
                  "product_sku,customer_external_id,customer_email,rating,title,body,status,created_at,"
                  "moderated_at,moderated_by,reject_reason\n"
                  f'{product.sku},X9,,4,Good,"Two\nlines",approved,2024-05-06 07:08:09,2024-05-07 00:00:00,mod,\n'
                  f"{product.sku},,nobody@example.com,5,Who,x,pending,2024-05-06,,,\n"
                  "NOPE,X9,,6,Bad,x,maybe,2024-05-06,,,\n")
    dry = models.import_reviews(extra, dry_run=True)
    assert problems(dry) == [(4, "customer_email", "no customer has this email or id"),
                             (5, "rating", "'6' is not a rating from 1 to 5"),
                             (5, "status", "'maybe' is not one of pending, approved, rejected, spam")]
    assert counts(dry) == (3, 1, 0, 0, 2)
    report = models.import_reviews(extra)
    assert report.summary() == "1 new, 0 changed, 0 unchanged, 2 rejected"
    xena = models.Customer.get(models.Customer.external_id == "X9")
    review = models.Review.get(models.Review.customer == xena.id)
    assert (review.rating, review.title, review.body, review.status, review.moderated_by) == (
        4, "Good", "Two\nlines", "approved", "mod")
    assert [e.status for e in models.review_history(review.id)] == ["approved"]
    models.set_review_reply(review.id, "Thank you!\nSee you soon")  # the shop's reply goes out and back in
    first = tmp_path / "r1.csv"
    n = models.export_reviews(first)
    again = models.import_reviews(first)
    assert again.summary() == f"0 new, 0 changed, {n:,} unchanged, 0 rejected"
    models.ReviewEvent.delete().execute()
    models.Review.delete().execute()
    assert models.import_reviews(first).summary() == f"{n:,} new, 0 changed, 0 unchanged, 0 rejected"
    assert models.Review.get(models.Review.customer == xena.id).reply == "Thank you!\nSee you soon"
    second = tmp_path / "r2.csv"
    models.export_reviews(second)
    strip_ids = [line.split(",", 1)[1] for line in second.read_text(encoding="utf-8").splitlines()]
    assert strip_ids == [line.split(",", 1)[1] for line in first.read_text(encoding="utf-8").splitlines()]


def test_the_set_of_keys_seen_grows_and_never_forgets():
    seen = models.Seen(bits=3)
    keys = [("e", f"customer.{i}@example.com") for i in range(5_000)] + [0, ("x", "")]
    for k in keys:
        assert k not in seen
        seen.add(k)
        seen.add(k)
    assert len(seen) == len(keys) and all(k in seen for k in keys)
    assert ("e", "someone.else@example.com") not in seen


def test_export_the_customers_a_filter_finds(db_url, tmp_path):
    models.import_customers(awkward_shopify(tmp_path))
    out = tmp_path / "ana.csv"
    assert models.export_customers(out, flt=models.build_filter(text="ana")) == 1
    assert out.read_text(encoding="utf-8").splitlines()[1].startswith("102,Ana,Smith,Ana.Smith@Example.com,")
    assert models.export_customers(out, group="wholesale", flt=models.build_filter(text="ana")) == 0
    assert models.AuditEntry.select().where(models.AuditEntry.action == "customers.export").order_by(
        models.AuditEntry.id.desc()).first().after_data()["filter"]["text"] == "ana"


def test_the_report_is_inert_whatever_the_file_holds(db_url, tmp_path):
    path = write(tmp_path, "evil\x1b]0;x\x07.csv", "email,\x1b[2Jnote\u202e\nz@example.com,x\n")
    report = models.import_customers(path, fmt="backroom", dry_run=True)
    text = "\n".join([*models.import_report_lines(report), models.describe_import(report)])
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "\\x1b[2Jnote\\u202e" in text


def test_imported_customers_are_found_whatever_the_case_and_accents(db_url, tmp_path):
    path = write(tmp_path, "accents.csv", "\r\n".join([
        SHOPIFY_HEADER,
        shopify_row("201", "María", "Núñez", "María@Exämple.com"),
        shopify_row("202", "", "", "", phone="+33 6 12 34 56 78"),
    ]) + "\r\n")
    models.import_customers(path)

    def found(text):
        return {c.first_name for c in models.customer_page(models.build_filter(text=text), sort="name", limit=50)}

    assert found("nunez") == found("NÚÑEZ") == found("maria nu") == found("maria@exa") == {"María"}
    phone_only = models.Customer.get(models.Customer.external_id == "202")
    assert phone_only.email_key is None and phone_only.email_fold is None
    # Changed by a second import: the keys follow the new name.
    path.write_text("\r\n".join([SHOPIFY_HEADER, shopify_row("201", "Zoë", "Løvås", "maría@exämple.com")]) + "\r\n")
    models.import_customers(path)
    assert found("ZOE") == {"Zoë"} and found("nunez") == set()


def test_bulk_inserts_keep_every_character_on_every_engine(db_url):
    """The imports' bulk insert (on PostgreSQL a COPY, whose text format
    escapes tabs, line breaks and backslashes; on MariaDB a multi-row INSERT
    written out, quotes doubled and backslashes escaped) stores every value
    as it was."""
    from backroom.datalayer.imports.writer import insert_rows

    entry = models.AuditEntry
    odd = ["tab\there", "line\nbreak", "cr\rlf", "back\\slash", "\\N", "\\", "a\\Nb", "", "Zoë ✓ 🙂", "end\\",
           "plain", "O'Brien", "''", "\\'", "say \"hi\"", "%s %(x)s", "\x1a\\0", "{\"a\": \"Zo\\u00eb\"}"]
    rows = [(dt.datetime(2024, 1, 2, 3, 4, 5), "bench", "test.copy", "x", str(i), None if i % 2 else v, v)
            for i, v in enumerate(odd)]
    with models.db.atomic():
        insert_rows(entry, [entry.at, entry.actor, entry.action, entry.entity, entry.entity_id, entry.before,
                            entry.after], rows)
        insert_rows(entry, [entry.at, entry.actor, entry.action, entry.entity, entry.entity_id, entry.before,
                            entry.after], [(dt.datetime(2024, 1, 2), "bench", "test.copy", "x", "plain", None, "")])
    got = [(e.entity_id, e.before, e.after) for e in entry.select().where(entry.action == "test.copy")
           .order_by(entry.id)]
    assert got == [(str(i), None if i % 2 else v, v) for i, v in enumerate(odd)] + [("plain", None, "")]


def test_copy_text_escapes_only_when_a_value_needs_it():
    from backroom.datalayer.imports.writer import copy_text

    assert copy_text([("a", None, True, 3), ("", "b", False, 1.5)], 4) == "a\t\\N\tt\t3\n\tb\tf\t1.5\n"
    assert copy_text([("a\tb", "\\N"), ("c\\", "d\ne\r")], 2) == "a\\tb\t\\\\N\nc\\\\\td\\ne\\r\n"
    assert copy_text([("x\\N", None)], 2) == "x\\\\N\t\\N\n"


@pytest.mark.servers
def test_an_import_writes_the_defaults_a_table_an_upgrade_made_lacks_on_the_server(db_url, tmp_path):
    """A column an upgrade added may have no server default (MariaDB's
    upgrade leaves none): the import's rows that leave it out still go in,
    with the model's default (the queued notification's size, here)."""
    models.db.execute_sql("ALTER TABLE notification ALTER COLUMN size DROP DEFAULT")
    try:
        models.import_customers(awkward_shopify(tmp_path))
        assert [(r.email, r.group, r.event) for r in models.outbox()] == [("zoe@example.com", "Wholesale", "joined")]
        assert [n.size for n in models.Notification.select()] == [1]
    finally:
        models.db.execute_sql("ALTER TABLE notification ALTER COLUMN size SET DEFAULT 1")
