"""The Import screen driven through keys: open it from the Customers list,
check a file (the dry run's report), import it (asked first), cancel an
import (nothing imported), and its snapshots at 80×24 and 120×40."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from textual.widgets import Label, Static

from backroom import models
from backroom.screens import transfer
from backroom.screens.transfer import ImportScreen
from backroom.tui.dialogs import ConfirmModal
from tui_helpers import SIZES, burst, confirm, make_app, make_db, notifications, settle, take_snapshot, type_text

HEADER = ("Customer ID,First Name,Last Name,Email,Accepts Email Marketing,Default Address Company,"
          "Default Address Address1,Default Address Address2,Default Address City,Default Address Province Code,"
          "Default Address Country Code,Default Address Zip,Default Address Phone,Phone,Accepts SMS Marketing,"
          "Total Spent,Total Orders,Note,Tax Exempt,Tags")
ROWS = [
    "901,Zoë,Løvås,zoe.import@example.com,no,,1 Main St,,Oslo,,NO,0150,,,no,0,0,,no,wholesale",
    "902,Ana,\x1b[31mRed,ana.import@example.com,no,,,,,,,,,,no,0,0,,no,",
    "903,,,,no,,,,,,,,,+33 6 12,no,0,0,,no,",
    "904,Bad,Mail,not-an-email,no,,,,,,,,,,no,0,0,,no,",
]


@pytest.fixture
def shop_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the file is typed as "shop.csv": the same text on screen in every run
    (tmp_path / "shop.csv").write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    make_db(tmp_path, 20)
    return tmp_path / "shop.csv"


def status(screen) -> str:
    return str(screen.query_one("#import-status", Label).render())


def report(screen) -> str:
    return str(screen.query_one("#import-report", Static).render())


async def open_and_check(pilot) -> ImportScreen:
    await settle(pilot)
    await burst(pilot, "f2", "i", "shop.csv", "enter")
    screen = pilot.app.screen
    assert isinstance(screen, ImportScreen)
    return screen


async def test_check_then_import(shop_file):
    before = models.count_customers()
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_and_check(pilot)
        assert status(screen) == ("4 rows: 2 new, 0 changed, 0 unchanged, 2 rejected (would be imported). "
                                  "Ctrl+S imports the valid rows.")
        text = report(screen)
        assert "shop.csv: Shopify customers, utf-8, ','-separated" in text
        assert "line 3: last_name: holds a control character" in text
        assert "line 5: email: 'not-an-email' is not an email address" in text
        assert "Customer ID -> external_id" in text and "\x1b" not in text
        assert models.count_customers() == before  # the check wrote nothing
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await confirm(pilot)
        assert app.screen is screen
        assert status(screen).startswith("4 rows: 2 new, 0 changed, 0 unchanged, 2 rejected (imported); "
                                         "rejected rows in shop.rejects.csv")
        assert any("2 new" in n for n in notifications(app))
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.title == "Customers"
    assert models.count_customers() == before + 2
    zoe = models.Customer.get(models.Customer.external_id == "901")
    assert (zoe.first_name, zoe.email) == ("Zoë", "zoe.import@example.com")
    assert models.Customer.get(models.Customer.external_id == "903").phone == "+33 6 12"
    assert (shop_file.parent / "shop.rejects.csv").exists()


async def test_import_needs_a_check_of_the_same_file_and_options(shop_file):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await burst(pilot, "f2", "i", "shop.csv")
        screen = app.screen
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen and any("Check the file first" in n for n in notifications(app))
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("tab", "space")  # tick "Create missing groups": the check no longer holds
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
    assert models.Customer.get_or_none(models.Customer.external_id == "901") is None


async def test_a_missing_file_says_so(shop_file):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await burst(pilot, "f2", "i", "nope.csv", "enter")
        assert status(app.screen) == "No file nope.csv"


async def test_escape_cancels_an_import_and_nothing_is_imported(shop_file, monkeypatch):
    before = models.count_customers()
    real = models.import_customers
    started = threading.Event()

    def slow(path, **kwargs):
        if not kwargs.get("dry_run"):
            started.set()
            deadline = time.monotonic() + 10
            while not kwargs["cancelled"]() and time.monotonic() < deadline:
                time.sleep(0.01)
        return real(path, **kwargs)

    monkeypatch.setattr(transfer.models, "import_customers", slow)
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_and_check(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("tab")
        await asyncio.sleep(ConfirmModal.ARM_SECONDS + 0.05)
        await pilot.press("enter")
        while not started.is_set():
            await asyncio.sleep(0.01)
        assert screen.running == "import"
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen and screen.running is None
        assert status(screen) == "The import was cancelled: nothing was imported."
    assert models.count_customers() == before
    assert not (shop_file.parent / "shop.rejects.csv").exists()


@pytest.mark.parametrize("size", SIZES)
def test_import_screen_after_the_check(shop_file, snap_compare, size):
    async def check(pilot):
        await type_text(pilot, "shop.csv")
        await pilot.press("enter")

    take_snapshot(snap_compare, size, "f2", "i", check)


async def test_export_the_customers_the_filter_finds(shop_file):
    ada = models.create_customer({"first_name": "Zyxwa", "last_name": "Export", "email": "zyxwa@example.com"})
    target = shop_file.parent / "out.csv"
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await burst(pilot, "f2", "slash", "zyxw")
        await settle(pilot)
        await burst(pilot, "escape", "e")
        assert type(app.screen).__name__ == "ExportModal"
        await burst(pilot, "out.csv", "enter")
        assert any("Exported 1 customer to" in n for n in notifications(app))
        # A second export asks before replacing the file.
        await burst(pilot, "e", "out.csv", "enter")
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("escape")
        await settle(pilot)
    lines = target.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and lines[1].startswith(f",Zyxwa,Export,{ada.email},")


PRESTA_ADDRESSES = ("Address ID;Alias*;Active (0/1);Customer e-mail*;Customer ID;Manufacturer;Supplier;Company;"
                    "Lastname*;Firstname*;Address 1*;Address 2;Zipcode*;City*;Country*;State;Other;Phone;"
                    "Mobile Phone;VAT number;DNI\n")


async def test_addresses_are_checked_then_imported_from_the_screen(shop_file):
    ada = models.create_customer({"first_name": "Ada", "last_name": "L", "email": "ada.addr@example.com"})
    (shop_file.parent / "addresses.csv").write_text(PRESTA_ADDRESSES + "\n".join([
        "1;Home;1;ada.addr@example.com;;;;;Lovelace;Ada;12 St James Square;Flat 3;SW1Y 4JH;London;GB;;;;;;",
        "2;Work;1;ada.addr@example.com;;;;;Lovelace;Ada;1 Office Road;;EC1A 1BB;London;GB;;;;;;",
        "3;Home;1;nobody@example.com;;;;;Body;No;Via Roma;;00100;Rome;IT;;;;;;",
        "4;Home;1;ada.addr@example.com;;;;;Lovelace;Ada;\x1b[2J Third;;E1;London;GB;;;;;;",
    ]) + "\n", encoding="utf-8")
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await burst(pilot, "f2", "i")
        screen = app.screen
        assert isinstance(screen, ImportScreen) and screen.focused.id == "import-path"
        # Shift+Tab to the kind; Enter opens its choices, Down and Enter pick Addresses; Tab back to the file.
        await burst(pilot, "shift+tab", "enter", "down", "enter")
        await settle(pilot)
        assert screen.kind == "addresses" and screen.title == "Import addresses"
        assert screen.query_one("#create-groups").disabled
        await burst(pilot, "tab", "addresses.csv", "enter")
        await settle(pilot)
        assert status(screen) == ("4 rows: 2 new, 0 changed, 0 unchanged, 2 rejected (would be imported). "
                                  "Ctrl+S imports the valid rows.")
        text = report(screen)
        assert "addresses.csv: PrestaShop addresses, utf-8, ';'-separated" in text
        assert "line 4: email: no customer has this email or id" in text and "\x1b" not in text
        assert models.Address.select().where(models.Address.customer == ada.id).count() == 0  # the check wrote nothing
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await confirm(pilot)
        assert app.screen is screen
        assert status(screen).startswith("4 rows: 2 new, 0 changed, 0 unchanged, 2 rejected (imported)")
        assert any("2 new" in n for n in notifications(app))
    kept = models.Address.select().where(models.Address.customer == ada.id)
    assert sorted((a.kind, a.line1, a.city) for a in kept) == [("billing", "12 St James Square", "London"),
                                                             ("shipping", "1 Office Road", "London")]


async def test_export_the_customers_as_prestashop_from_the_dialog(shop_file):
    ada = models.create_customer({"first_name": "Zyxwa", "last_name": "=Export", "email": "zyxwa@example.com"})
    target = shop_file.parent / "presta.csv"
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await burst(pilot, "f2", "slash", "zyxw")
        await settle(pilot)
        await burst(pilot, "escape", "e")
        assert type(app.screen).__name__ == "ExportModal"
        # The file, then Tab to the format: Enter opens its choices, Down x3 and Enter pick PrestaShop.
        await burst(pilot, "presta.csv", "tab", "enter", "down", "down", "down", "enter")
        await settle(pilot)
        await burst(pilot, "shift+tab", "enter")
        await settle(pilot)
        assert any("Exported 1 customer to" in n for n in notifications(app))
    text = target.read_text(encoding="utf-8").splitlines()
    assert text == [
        "Customer ID;Active (0/1);Titles ID (Mr = 1, Ms = 2, else 0);Email *;Password *;Birthday (yyyy-mm-dd);"
        "Last Name *;First Name *;Newsletter (0/1);Opt-in (0/1);Registration date (yyyy-mm-dd);Groups (x,y,z...);"
        "Default group ID",
        f";1;0;{ada.email};;;'=Export;Zyxwa;0;0;{str(ada.registered_at)[:19]};3;3"]
