"""Importing addresses: Magento 2's customer address file and PrestaShop's
address CSV, matched to customers by id or email; on every engine."""

from __future__ import annotations

import pytest

from backroom import models

MAGENTO = ("_website,_email,_entity_id,city,company,country_id,fax,firstname,lastname,middlename,postcode,prefix,"
           "region,region_id,street,suffix,telephone,vat_id,_address_default_billing_,"
           "_address_default_shipping_\n")
PRESTA = ("Address ID;Alias*;Active (0/1);Customer e-mail*;Customer ID;Manufacturer;Supplier;Company;Lastname*;"
          "Firstname*;Address 1*;Address 2;Zipcode*;City*;Country*;State;Other;Phone;Mobile Phone;VAT number;DNI\n")


@pytest.fixture
def shop(db_url, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("external_id,email,first_name\nC1,ada@example.com,Ada\nC2,bob@example.com,Bob\n"
                    "C3,cy@example.com,Cy\n", encoding="utf-8")
    models.import_customers(path, fmt="backroom")
    return tmp_path


def addresses(email):
    c = models.Customer.get(models.Customer.email_key == email)
    return {a.kind: (a.name, a.line1, a.line2, a.city, a.region, a.postcode, a.country)
            for a in models.Address.select().where(models.Address.customer == c.id)}


def test_magento_address_file(shop):
    path = shop / "customer_address.csv"
    path.write_text(MAGENTO + "\n".join([
        'base,ADA@example.com,1,London,,GB,,Ada,Lovelace,,SW1Y 4JH,,,,"12 St James Square\nFlat 3",,,,1,1',
        "base,bob@example.com,2,Paris,,FR,,Bob,Martin,,75001,,Île-de-France,,1 rue Émile,,,,1,0",
        "base,bob@example.com,3,Lyon,,FR,,Bob,Martin,,69001,,,,2 rue X,,,,0,0",
        "base,nobody@example.com,4,Rome,,IT,,No,Body,,00100,,,,Via Roma,,,,1,1",
        "base,cy@example.com,5,Oslo,,Norway,,Cy,,,0150,,,,Gate 1,,,,0,1",
    ]) + "\n", encoding="utf-8")
    dry = models.import_addresses(path, dry_run=True)
    assert dry.preview.format == "magento-addresses"
    assert [(p.line, p.field, p.message) for p in dry.problems] == [
        (5, "address", "neither the default billing nor the default shipping address: Backroom keeps those two"),
        (6, "email", "no customer has this email or id"),
        (7, "country", "'Norway' is not a two-letter country code"),
    ]
    assert (dry.rows, dry.new, dry.rejected) == (5, 2, 3)
    assert models.Address.select().count() == 0
    report = models.import_addresses(path)
    assert report.summary() == "2 new, 0 changed, 0 unchanged, 3 rejected"
    ada = ("Ada Lovelace", "12 St James Square", "Flat 3", "London", "", "SW1Y 4JH", "GB")
    assert addresses("ada@example.com") == {"billing": ada, "shipping": ada}
    assert addresses("bob@example.com") == {
        "billing": ("Bob Martin", "1 rue Émile", "", "Paris", "Île-de-France", "75001", "FR")}
    assert report.rejects_path and (shop / "customer_address.rejects.csv").exists()
    assert models.AuditEntry.select().where(models.AuditEntry.action == "address.import").count() == 3
    again = models.import_addresses(path)
    assert again.summary() == "0 new, 0 changed, 2 unchanged, 3 rejected"


def test_prestashop_address_csv_by_id_or_email(shop):
    path = shop / "addresses.csv"
    path.write_text(PRESTA + "\n".join([
        "1;Home;1;ada@example.com;;;;;Lovelace;Ada;12 St James Square;;SW1Y 4JH;London;gb;;;;;;",
        "2;Work;1;;C1;;;;Lovelace;Ada;1 Work Street;Floor 2;EC1A 1BB;London;GB;;;;;;",
        "3;Other;1;ADA@EXAMPLE.COM;;;;;Lovelace;Ada;3 Third Road;;N1 1AA;London;GB;;;;;;",
        "4;Home;1;bob@example.com;;;;;Martin;Bob;;;;;FR;;;;;;",
    ]) + "\n", encoding="utf-8")
    report = models.import_addresses(path)
    assert report.preview.format == "prestashop-addresses" and report.preview.delimiter == ";"
    assert [(p.line, p.field, p.message) for p in report.problems] == [
        (4, "address", "a third address for this customer: Backroom keeps a billing and a shipping one"),
        (5, "line1", "an address needs its street or city"),
    ]
    assert report.summary() == "2 new, 0 changed, 0 unchanged, 2 rejected"
    assert addresses("ada@example.com") == {
        "billing": ("Ada Lovelace", "12 St James Square", "", "London", "", "SW1Y 4JH", "GB"),
        "shipping": ("Ada Lovelace", "1 Work Street", "Floor 2", "London", "", "EC1A 1BB", "GB")}
    # A changed address is changed, the rest unchanged.
    path.write_text(path.read_text(encoding="utf-8").replace("Floor 2", "Floor 3"), encoding="utf-8")
    assert models.import_addresses(path).summary() == "0 new, 1 changed, 1 unchanged, 2 rejected"
    assert addresses("ada@example.com")["shipping"][2] == "Floor 3"


def test_all_or_nothing_and_a_file_that_is_no_address_file(shop):
    path = shop / "a.csv"
    path.write_text(PRESTA + "1;Home;1;ada@example.com;;;;;L;A;1 Road;;X;London;GB;;;;;;\n"
                             "2;Home;1;ghost@example.com;;;;;L;A;1 Road;;X;London;GB;;;;;;\n", encoding="utf-8")
    report = models.import_addresses(path, all_or_nothing=True)
    assert not report.applied and models.Address.select().count() == 0
    assert not (shop / "a.rejects.csv").exists()
    other = shop / "b.csv"
    other.write_text("email,first_name\nada@example.com,Ada\n", encoding="utf-8")
    with pytest.raises(models.FileProblem, match="matches no address format"):
        models.import_addresses(other)
