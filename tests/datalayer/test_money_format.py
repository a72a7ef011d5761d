"""Money as the shop writes it: the setting (owner only, audited, kept per
database), how amounts are shown and exported, and how amounts in import
files are read (in the shop's format or plain); ``backroom settings money``."""

from __future__ import annotations

import csv
from decimal import Decimal

import pytest

from backroom import main, models

D = Decimal


@pytest.mark.parametrize(("sample", "shown"), [
    ("R$ 1.234,56", "R$ 2.999,99"),
    ("1 234,56 €", "2 999,99 €"),
    ("$1,234.56", "$2,999.99"),
    ("1.234,56", "2.999,99"),
    ("1234.56", "2999.99"),
    ("1'234.56 CHF", "2'999.99 CHF"),
    ("€1234,56", "€2999,99"),
])
def test_a_sample_gives_the_format(sample, shown):
    fmt = models.parse_sample(sample)
    assert fmt.format(D("2999.99")) == shown
    assert fmt.sample == sample
    assert fmt.format(None) == ""


def test_the_default_is_what_backroom_always_showed():
    fmt = models.DEFAULT_FORMAT
    assert [fmt.format(D(v)) for v in ("0", "2999.99", "1234567.5", "-3")] == [
        "0.00", "2,999.99", "1,234,567.50", "-3.00"]
    assert models.parse_sample("1,234.56").is_default


@pytest.mark.parametrize(("sample", "problem"), [
    ("abc", "is not a sample amount"),
    ("12", "is not a sample amount"),
    ("1.2345,6", "is not a sample amount"),
    ("1,23,45.00", "is not a sample amount"),
    ("1.234.56", "is not a sample amount"),
    ("R$ 1.234,56 €", "not both"),
    ("VERYLONGCUR 1,234.56", "at most 8 characters"),
    ("R$\x1b 1.234,56", "is not a sample amount"),
    ("", "is not a sample amount"),
])
def test_a_bad_sample_is_refused_in_one_line(sample, problem):
    with pytest.raises(models.ValidationError) as exc:
        models.parse_sample(sample)
    assert problem in exc.value.errors["format"] and "\n" not in exc.value.errors["format"]


def test_the_setting_is_stored_audited_and_read_back(db_url):
    assert models.money_format().is_default
    fmt = models.set_money_format("R$ 1.234,56")
    assert models.format_money(D("2999.99")) == "R$ 2.999,99"
    models.set_money_format("R$ 1.234,56")  # unchanged: no second audit entry
    entries = list(models.AuditEntry.select().where(models.AuditEntry.action == "settings.money"))
    assert len(entries) == 1 and entries[0].after_data() == {"sample": "R$ 1.234,56"}
    # Read again from the database (another process, a restart).
    assert models.load_money_format() == fmt
    models.set_money_format("1,234.56")
    assert models.load_money_format().is_default
    assert not models.SchemaMeta.select().where(models.SchemaMeta.key == "money_format").exists()


def test_changing_it_needs_the_owner(db_url):
    models.add_admin("olga")
    models.use_admin("olga")
    models.add_admin("sam", "manager")
    models.use_admin("sam")
    with pytest.raises(models.PermissionDenied):
        models.set_money_format("R$ 1.234,56")
    assert models.load_money_format().is_default
    models.use_admin("olga")
    models.set_money_format("R$ 1.234,56")
    assert models.load_money_format().currency == "R$"


@pytest.mark.parametrize(("text", "plain"), [
    ("R$ 2.999,99", "2999.99"), ("2.999,99", "2999.99"), ("2999,99", "2999.99"), ("R$2999,99", "2999.99"),
    ("2999.99", "2999.99"), ("12.50", "12.50"), ("1.234", "1234"), ("7", "7"),
])
def test_amounts_are_read_in_the_shops_format_or_plain(text, plain):
    assert models.plain_amount(text, models.parse_sample("R$ 1.234,56")) == plain


def test_spaces_of_any_kind_group_thousands():
    fmt = models.parse_sample("1 234,56 €")
    for text in ("2 999,99 €", "2\u00a0999,99", "2\u202f999,99 €", "2999,99"):
        assert models.plain_amount(text, fmt) == "2999.99"


def test_orders_import_reads_the_shops_format_and_exports_write_it(db_url, tmp_path):
    models.set_money_format("R$ 1.234,56")
    customers = tmp_path / "c.csv"
    customers.write_text("external_id,email,first_name\nC1,ada@example.com,Ada\n", encoding="utf-8")
    models.import_customers(customers, fmt="backroom")
    orders = tmp_path / "o.csv"
    orders.write_text("order_number,customer_email,status,total,sku,product_name,quantity,unit_price\n"
                      'A1,ada@example.com,complete,"R$ 2.999,99",MUG,Mug,1,"2.999,99"\n'
                      "A2,ada@example.com,complete,1000.01,,,,\n"
                      'A3,ada@example.com,complete,2.999.99,,,,\n', encoding="utf-8")
    report = models.import_orders(orders)
    assert [(p.line, p.field) for p in report.problems] == [(4, "total")]
    ada = models.Customer.get(models.Customer.email_key == "ada@example.com")
    assert ada.total_spent == D("4000.00")
    assert models.OrderLine.get().unit_price == D("2999.99")
    out = tmp_path / "shopify.csv"
    models.export_customers(out, fmt="shopify")
    with out.open(encoding="utf-8", newline="") as handle:
        row = next(csv.DictReader(handle))
    assert row["Total Spent"] == "4.000,00"  # the shop's number, no currency: a spreadsheet's number


def test_settings_money_command(tmp_path, capsys):
    db_url = f"sqlite:///{tmp_path / 'cli.db'}"  # the command line, on a file of its own
    models.use_admin(None)
    models.connect(db_url)
    run = lambda *argv: main.main(["--db", db_url, "settings", "money", *argv])  # noqa: E731
    assert run() == 0
    assert capsys.readouterr().out == "Amounts are written 1,234.56 (the default).\n"
    assert run("R$ 1.234,56") == 0
    assert capsys.readouterr().out == "Amounts are now written R$ 1.234,56.\n"
    assert run("--format", "1 234,56", "--currency", "€", "--after") == 0
    assert capsys.readouterr().out == "Amounts are now written 1 234,56 €.\n"
    assert run("--currency", "") == 0
    assert capsys.readouterr().out == "Amounts are now written 1 234,56.\n"
    assert run("1.2.3") == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "is not a sample amount" in err
    assert models.load_money_format().sample == "1 234,56"
