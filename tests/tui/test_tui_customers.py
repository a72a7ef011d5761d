"""Pilot tests: the Customers flows pressed through the UI, checked in the database."""

from __future__ import annotations

import datetime as dt

import pytest
from textual import events
from textual.widgets import Input, Label, OptionList, Select, Static

from backroom import models
from backroom.screens.customers import (CustomerScreen, CustomersScreen, EraseModal, GroupPickerModal,
                               NewCustomerScreen, PasswordShownModal, ResetPasswordModal)
from backroom.screens.reviews import ReviewDetail, ReviewsScreen
from backroom.tui import window as window_module
from backroom.tui.customertable import CustomerTable
from backroom.tui.dialogs import ConfirmModal
from tui_helpers import (ADA, clear_input, confirm, go_tab, make_ada, make_app, make_db, notifications, open_customer,
                         open_list, settle, type_text)


def error_text(screen, key: str) -> str:
    label = screen.query_one(f"#err-{key.replace('.', '-')}", Label)
    return str(label.render()) if label.has_class("-shown") else ""


def counts() -> tuple[int, int, int]:
    return (models.Customer.select().count(), models.Address.select().count(),
            models.AuditEntry.select().count())


# -- the list ------------------------------------------------------------------

async def test_list_filter_sort_and_count(tmp_path):
    make_db(tmp_path, 80)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_list(pilot)
        table = screen.query_one(CustomerTable)
        assert table.total == 80
        assert table.row_count > 10 < 80  # a window, not every row
        await pilot.press("slash")
        await type_text(pilot, "a")
        await pilot.press("enter")
        await settle(pilot)
        expected = models.count_customers(models.CustomerFilter(text="a"))
        assert table.total == expected and screen.focused is table
        status = str(screen.query_one("#customers-status", Label).render())
        assert f"{expected} matching" in status and "sorted by name" in status
        # Registered from, as admins type it.
        await pilot.press("slash", "tab", "tab", "tab")
        assert screen.focused.id == "f-registered_from"
        await type_text(pilot, "2023-01-01")
        await pilot.press("enter")
        await settle(pilot)
        flt = models.build_filter(text="a", registered_from="2023-01-01")
        assert table.total == models.count_customers(flt)
        # An unreadable date says so and keeps the last good filter.
        await pilot.press("slash", "tab", "tab", "tab", "end", "ctrl+u")
        await type_text(pilot, "someday")
        await settle(pilot)
        assert "Cannot understand the date" in str(screen.query_one("#filter-error", Label).render())
        await clear_input(pilot)
        await type_text(pilot, "last 90 days")
        await pilot.press("enter")
        await settle(pilot)
        assert table.total == models.count_customers(models.build_filter(text="a", registered_from="last 90 days"))
        # Sort: the next column is email, then flip it.
        await pilot.press("slash", "end", "ctrl+u", "tab", "tab", "tab", "end", "ctrl+u")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert table.sort == "email"
        first = models.customer_page(sort="email", limit=1)[0]
        assert table.current_id() == first.id
        await pilot.press("r")
        await settle(pilot)
        last = models.customer_page(sort="email", descending=True, limit=1)[0]
        assert table.current_id() == last.id
        assert "sorted by email, descending" in str(screen.query_one("#customers-status", Label).render())


async def test_end_with_a_count_held_is_placed_by_it_then_checked(tmp_path, monkeypatch):
    """End on a counted list reads the last rows placed by the count held,
    counting nothing on the key (a full count made End wait, 370-680 ms on
    MariaDB at a million customers); the count is read again once they are
    shown, and two customers added meanwhile by another admin put the last
    row at 402, not 400."""
    make_db(tmp_path, 400)  # more than the rows held: End reads the last ones
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_list(pilot)
        table = screen.query_one(CustomerTable)
        assert table.total == 400
        for last in ("Zzya", "Zzyb"):  # last by name, as the list is sorted
            models.create_customer({"first_name": "Late", "last_name": last, "email": f"{last}@example.com"})
        reads: list[tuple[int, int | None, bool]] = []  # (row, count held, counted with the rows)
        real_block = window_module.read_block

        def read_block(read, count, pos, size, total, *args):
            counted: list[int] = []

            def counting():
                counted.append(pos)
                return count()

            block = real_block(read, counting, pos, size, total, *args)
            reads.append((pos, total, bool(counted)))
            return block

        monkeypatch.setattr(window_module, "read_block", read_block)
        await pilot.press("end")
        await settle(pilot)
        # End: the last row by the count held, its rows placed by it; then (the check
        # found 402) read again, placed by the new count.  Neither counted.
        assert reads == [(399, 400, False), (-1, 402, False)]
        assert table.total == 402 and table._pos == 401
        assert table._row_at(401).last_name == "Zzyb" and table._row_at(400).last_name == "Zzya"
        assert table._window.placed_by == 402
        assert "402 matching · row 402" in str(screen.query_one("#customers-status", Label).render())


async def test_the_list_shown_again_reads_its_rows_by_the_count_held_then_counts(tmp_path, monkeypatch):
    """F2 back to the list (the cursor on its last row): the rows around the
    cursor are read placed by the count held (backwards from the end, not
    forwards from an offset of the whole list: MariaDB reads every row it
    skips), and the count once they are in, not beside them (it took the
    cores from the rows and the frame)."""
    make_db(tmp_path, 400)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_list(pilot)
        table = screen.query_one(CustomerTable)
        await pilot.press("end")
        await settle(pilot)
        assert (table.total, table._pos) == (400, 399)
        await pilot.press("f3")
        await settle(pilot)
        events: list[tuple] = []
        real_block, real_count = window_module.read_block, models.count_customers

        def read_block(read, count, pos, size, total, *args):
            events.append(("rows", pos, total))
            block = real_block(read, count, pos, size, total, *args)
            events.append(("rows in", block[0].placed_by))
            return block

        def count_customers(*args, **kwargs):
            events.append(("count",))
            return real_count(*args, **kwargs)

        monkeypatch.setattr(window_module, "read_block", read_block)
        monkeypatch.setattr(models, "count_customers", count_customers)
        await pilot.press("f2")
        await settle(pilot)
        assert events == [("rows", 399, 400), ("rows in", 400), ("count",)]
        assert (table.total, table._pos, table._row_at(399) is not None) == (400, 399, True)


async def test_list_spent_range_and_open(tmp_path):
    make_db(tmp_path, 60)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_list(pilot)
        table = screen.query_one(CustomerTable)
        await pilot.press("slash", *["tab"] * 5)
        assert screen.focused.id == "f-spent_min"
        await type_text(pilot, "100")
        await pilot.press("enter")
        await settle(pilot)
        assert table.total == models.count_customers(models.build_filter(spent_min="100"))
        cid = table.current_id()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CustomerScreen) and app.screen.customer_id == cid
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen


# -- create ----------------------------------------------------------------------

async def fill_new(pilot, first="Grace", last="Hopper", email="grace@example.com", phone="555 0100") -> None:
    await type_text(pilot, first)
    await pilot.press("tab")
    await type_text(pilot, last)
    await pilot.press("tab")
    await type_text(pilot, email)
    await pilot.press("tab")
    await type_text(pilot, phone)


async def test_create_customer_with_billing_address(tmp_path):
    make_db(tmp_path, 10)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_list(pilot)
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, NewCustomerScreen) and form.focused.id == "first_name"
        await fill_new(pilot)
        await pilot.press("tab", "tab", "tab", "tab")  # group, password, generate
        assert form.focused.id == "billing-name"
        await type_text(pilot, "Grace Hopper")
        await pilot.press("tab")
        await type_text(pilot, "1 Navy Yard")
        await pilot.press("tab", "tab")
        await type_text(pilot, "Arlington")
        await pilot.press("tab", "tab", "tab")
        await type_text(pilot, "us")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CustomerScreen)
    c = models.Customer.get(models.Customer.email_key == "grace@example.com")
    assert (c.first_name, c.last_name, c.phone, c.password_hash) == ("Grace", "Hopper", "555 0100", None)
    assert [g.code for g in models.customer_groups(c.id)] == ["general"]
    billing = models.get_addresses(c.id)["billing"]
    assert (billing.line1, billing.city, billing.country) == ("1 Navy Yard", "Arlington", "US")


async def test_create_with_generated_password_shown_once(tmp_path):
    make_db(tmp_path, 5)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_list(pilot)
        await pilot.press("a")
        await settle(pilot)
        await fill_new(pilot)
        await pilot.press("tab", "tab", "tab", "space")  # generate a password
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PasswordShownModal)
        shown = str(app.screen.query_one("#password-body", Static).render())
        c = models.Customer.get(models.Customer.email_key == "grace@example.com")
        password = shown.split("is:")[1].split()[0]
        assert models.verify_password(password, c.password_hash)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CustomerScreen)
        for widget in app.screen.query("*"):
            assert password not in str(getattr(widget, "renderable", "") or "")
            assert password not in str(getattr(widget, "value", "") or "")
    entry = models.AuditEntry.get(models.AuditEntry.action == "customer.create")
    assert password not in (entry.after or "")


async def test_create_refuses_duplicate_email_in_other_case(tmp_path):
    make_db(tmp_path, 5)
    make_ada()
    before = counts()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_list(pilot)
        await pilot.press("a")
        await settle(pilot)
        await fill_new(pilot, "Other", "Ada", "ADA@Example.COM")
        await pilot.press("ctrl+s")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, NewCustomerScreen)
        assert "Email:" in error_text(form, "email") and "already used" in error_text(form, "email")
        assert form.focused.id == "email"
    assert counts() == before


async def test_create_refuses_invalid_email_and_keeps_the_form(tmp_path):
    make_db(tmp_path, 5)
    before = counts()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_list(pilot)
        await pilot.press("a")
        await settle(pilot)
        await fill_new(pilot, email="not-an-email")
        await pilot.press("tab", "tab")
        await type_text(pilot, "short")  # too short a password
        await pilot.press("ctrl+s")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, NewCustomerScreen)
        assert "is not an email address" in error_text(form, "email")
        assert "at least 8 characters" in error_text(form, "password")
        assert form.query_one("#first_name", Input).value == "Grace"
        # Corrected, it saves.
        form.query_one("#email", Input).focus()
        await clear_input(pilot)
        await type_text(pilot, "grace@example.com")
        form.query_one("#password", Input).focus()
        await clear_input(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CustomerScreen)
    assert counts()[0] == before[0] + 1


async def test_create_shows_pasted_control_characters_escaped_and_refuses_overlong_names(tmp_path):
    """A control character pasted into a field arrives escaped, as the
    admin sees it: it never reaches the screen or the database raw."""
    make_db(tmp_path, 5)
    before = counts()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_list(pilot)
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        form.query_one("#first_name", Input).post_message(events.Paste("Evil\x1b[31mName"))
        await settle(pilot)
        assert form.query_one("#first_name", Input).value == "Evil\\x1b[31mName"
        await pilot.press("tab")
        await type_text(pilot, "x" * 101)
        await pilot.press("tab")
        await type_text(pilot, "evil@example.com")
        await pilot.press("tab")
        form.query_one("#phone", Input).post_message(events.Paste("555\x07"))
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, NewCustomerScreen)
        assert "at most 100 characters" in error_text(form, "last_name")
        assert not form.query("#err-first_name.-shown")
        assert "only the digits" in error_text(form, "phone")  # its escaped copy is no phone number
        assert counts() == before

        form.set_focus(form.query_one("#last_name", Input))
        await clear_input(pilot)
        await type_text(pilot, "Mallory")
        form.set_focus(form.query_one("#phone", Input))
        await clear_input(pilot)
        await type_text(pilot, "555 0100")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, NewCustomerScreen)
    made = models.Customer.get(models.Customer.email == "evil@example.com")
    assert (made.first_name, made.phone) == ("Evil\\x1b[31mName", "555 0100")


# -- account ----------------------------------------------------------------------

async def test_edit_account_then_conflict_keeps_the_form(tmp_path):
    make_db(tmp_path, 5)
    ada = make_ada()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_customer(pilot, "ada@example.com")
        assert screen.focused.id == "first_name"
        screen.query_one("#phone", Input).focus()
        await clear_input(pilot)
        await type_text(pilot, "020 1234")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert models.get_customer(ada.id).phone == "020 1234"
        assert models.get_customer(ada.id).version == ada.version + 1
        # Another admin saves meanwhile.
        models.update_customer(ada.id, {"last_name": "King"}, expected_version=ada.version + 1, actor="other")
        await clear_input(pilot)
        await type_text(pilot, "020 9999")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert any("Someone else changed" in n for n in notifications(app))
        assert "Someone else changed" in str(screen.query_one("#form-status", Label).render())
        assert screen.query_one("#phone", Input).value == "020 9999"  # the form is kept
        assert isinstance(app.screen, CustomerScreen)
    c = models.get_customer(ada.id)
    assert (c.phone, c.last_name) == ("020 1234", "King")


async def test_edit_account_refuses_bad_email(tmp_path):
    make_db(tmp_path, 5)
    ada = make_ada()
    models.create_customer({"first_name": "Bo", "email": "bo@example.com"})
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_customer(pilot, "ada@example.com")
        screen.query_one("#email", Input).focus()
        await clear_input(pilot)
        await type_text(pilot, "BO@example.com")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "already used" in error_text(screen, "email")
    assert models.get_customer(ada.id).email == "ada@example.com"
    assert models.get_customer(ada.id).version == ada.version


# -- addresses ----------------------------------------------------------------------

async def test_addresses_same_then_different(tmp_path):
    make_db(tmp_path, 5)
    ada = make_ada()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_customer(pilot, "ada@example.com")
        await go_tab(pilot, "cust-addresses")
        same = screen.query_one("#same")
        assert same.value is True
        assert screen.query_one("#shipping-city", Input).disabled
        assert screen.query_one("#shipping-city", Input).value == "London"
        # Untick: shipping starts as a copy of billing, then is its own.
        same.focus()
        await pilot.press("space")
        assert not screen.query_one("#shipping-city", Input).disabled
        screen.query_one("#shipping-city", Input).focus()
        await clear_input(pilot)
        await type_text(pilot, "Ockham")
        await pilot.press("ctrl+s")
        await settle(pilot)
        got = models.get_addresses(ada.id)
        assert (got["billing"].city, got["shipping"].city) == ("London", "Ockham")
        assert got["shipping"].line1 == "12 St James Square"
        # Editing billing now leaves shipping alone.
        screen.query_one("#billing-city", Input).focus()
        await clear_input(pilot)
        await type_text(pilot, "Westminster")
        assert screen.query_one("#shipping-city", Input).value == "Ockham"
        await pilot.press("ctrl+s")
        await settle(pilot)
        got = models.get_addresses(ada.id)
        assert (got["billing"].city, got["shipping"].city) == ("Westminster", "Ockham")
        # Same as billing again: the separate address goes.
        screen.query_one("#same").focus()
        await pilot.press("space")
        assert screen.query_one("#shipping-city", Input).value == "Westminster"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert models.get_addresses(ada.id)["shipping"] is None
        # A bad country is refused, naming the field.
        screen.query_one("#billing-country", Input).focus()
        await clear_input(pilot)
        await type_text(pilot, "Britain")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Billing country: Country must be" in error_text(screen, "billing.country")
    assert models.get_addresses(ada.id)["billing"].country == "GB"


# -- groups -----------------------------------------------------------------------

async def pick_group(pilot, code: str) -> None:
    picker = pilot.app.screen
    assert isinstance(picker, GroupPickerModal)
    index = [g.code for g in picker.groups].index(code)
    options = picker.query_one(OptionList)
    options.highlighted = index
    await pilot.press("enter")
    await settle(pilot)


async def test_groups_add_remove_default_and_guest_refused(tmp_path):
    make_db(tmp_path, 5)
    ada = make_ada()
    g, _ = models.create_group({"code": "secret", "name": "Secret club", "hidden": True})
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_customer(pilot, "ada@example.com")
        await go_tab(pilot, "cust-groups")
        await pilot.press("a")
        await settle(pilot)
        await pick_group(pilot, "secret")
        assert {x.code for x in models.customer_groups(ada.id)} == {"general", "secret"}
        assert screen.active_tab.current_group().code == "secret"  # the cursor on the row added
        table = screen.query_one("#groups-table")
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert ["Secret club", "secret", "", "hidden"] in rows
        # Guest: the model refuses, and its message is shown.
        await pilot.press("a")
        await settle(pilot)
        await pick_group(pilot, "guest")
        assert any("system group" in n for n in notifications(app))
        assert {x.code for x in models.customer_groups(ada.id)} == {"general", "secret"}
        # Make Secret club the default, then remove it: back to General.
        table.focus()
        table.move_cursor(row=[r[1] for r in rows].index("secret"))
        await pilot.press("m")
        await settle(pilot)
        assert models.get_customer(ada.id).default_group_id == g.id
        await pilot.press("x")  # the default group: it asks first
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        question = str(app.screen.query_one(".dialog-body").render())
        assert "Ada Lovelace" in question and "Secret club" in question and "default group" in question
        await pilot.press("enter")  # the focused answer keeps it
        await settle(pilot)
        assert {x.code for x in models.customer_groups(ada.id)} == {"general", "secret"}
        await pilot.press("x")
        await settle(pilot)
        await confirm(pilot)
        assert [x.code for x in models.customer_groups(ada.id)] == ["general"]
        assert models.get_customer(ada.id).default_group_id == models.general_group().id


# -- reward points -------------------------------------------------------------------

async def test_reward_adjustment_needs_a_reason(tmp_path):
    make_db(tmp_path, 5)
    ada = make_ada()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_customer(pilot, "ada@example.com")
        await go_tab(pilot, "cust-rewards")
        assert screen.focused.id == "delta"
        await type_text(pilot, "50")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Reason: A reason is required" in error_text(screen, "reason")
        assert models.reward_balance(ada.id) == 0
        screen.query_one("#reason", Input).focus()
        await type_text(pilot, "Goodwill for a late parcel")
        await pilot.press("enter")
        await settle(pilot)
        assert models.reward_balance(ada.id) == 50
        assert "Balance: 50 points" in str(screen.query_one("#rewards-status", Label).render())
        # Below zero is refused with the model's message.
        screen.query_one("#delta", Input).focus()
        await type_text(pilot, "-80")
        await pilot.press("tab")
        await type_text(pilot, "Oops")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "cannot go below zero" in error_text(screen, "delta")
    assert [e.reason for e in models.reward_ledger(ada.id)] == ["Goodwill for a late parcel"]


# -- password, disable, erase -------------------------------------------------------

async def test_password_reset_typed_and_generated(tmp_path):
    make_db(tmp_path, 5)
    ada = models.create_customer(ADA, password="first-password")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_customer(pilot, "ada@example.com")
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, ResetPasswordModal)
        await type_text(pilot, "short")
        await pilot.press("enter")
        await settle(pilot)
        assert "at least 8 characters" in str(app.screen.query_one("#err-password", Label).render())
        await clear_input(pilot)
        await type_text(pilot, "Typed-temp-pass-1")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CustomerScreen)
        assert models.verify_password("Typed-temp-pass-1", models.get_customer(ada.id).password_hash)
        hash_before = models.get_customer(ada.id).password_hash
        await pilot.press("f6")
        await settle(pilot)
        await pilot.press("enter")  # empty: generate one
        await settle(pilot)
        assert isinstance(app.screen, PasswordShownModal)
        password = str(app.screen.query_one("#password-body", Static).render()).split("is:")[1].split()[0]
        stored = models.get_customer(ada.id).password_hash
        assert stored != hash_before and models.verify_password(password, stored)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, CustomerScreen)
        for widget in app.screen.query("*"):
            assert password not in str(getattr(widget, "value", "") or "")
    audit = " ".join((a.before or "") + (a.after or "") for a in models.AuditEntry.select())
    assert "Typed-temp-pass-1" not in audit and password not in audit
    assert models.AuditEntry.select().where(models.AuditEntry.action == "customer.password_reset").count() == 2


async def test_disable_keeps_everything(tmp_path):
    make_db(tmp_path, 5)
    ada = make_ada()
    models.adjust_reward_points(ada.id, 10, "Welcome")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_customer(pilot, "ada@example.com")
        await pilot.press("f7")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await confirm(pilot)
        await settle(pilot)
        assert screen.query_one("#status", Select).value == "disabled"
        assert "DISABLED" in str(screen.query_one("#customer-summary", Static).render())
    c = models.get_customer(ada.id)
    assert (c.status, c.email, c.first_name) == ("disabled", "ada@example.com", "Ada")
    assert models.get_addresses(ada.id)["billing"] is not None and models.reward_balance(ada.id) == 10


async def test_erase_needs_the_email_typed(tmp_path):
    make_db(tmp_path, 5)
    ada = make_ada()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_customer(pilot, "ada@example.com")
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, EraseModal)
        await type_text(pilot, "someone@example.com")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, EraseModal)
        assert "Type the customer's email" in str(app.screen.query_one("#err-confirm_email", Label).render())
        assert models.get_customer(ada.id).email == "ada@example.com"
        await clear_input(pilot)
        await type_text(pilot, "ada@example.com")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CustomerScreen)
        assert app.screen.query_one("#email", Input).value == f"erased-{ada.id}@erased.invalid"
    c = models.get_customer(ada.id)
    assert (c.first_name, c.phone, c.password_hash, c.status) == ("Erased", "", None, "disabled")
    assert models.get_addresses(ada.id) == {"billing": None, "shipping": None}


# -- orders and reviews -------------------------------------------------------------

async def test_orders_totals_and_review_opens_in_moderation(tmp_path):
    make_db(tmp_path, 5)
    ada = make_ada()
    product = models.Product.select().order_by(models.Product.id).first()
    models.place_order(ada.id, [(product.id, 2)])
    review = models.Review.create(product=product.id, customer=ada.id, rating=4, title="[bold]Not markup[/]",
                                  body="Good\x1b[31m beans", status="pending")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_customer(pilot, "ada@example.com")
        await go_tab(pilot, "cust-orders")
        c = models.get_customer(ada.id)
        status = str(screen.query_one("#orders-status", Label).render())
        assert f"1 order · total spent {c.total_spent:,.2f}" in status
        assert screen.query_one("#orders-table").row_count == 1
        await go_tab(pilot, "cust-reviews")
        assert screen.query_one("#reviews-table").row_count == 1
        await pilot.press("enter")  # into moderation: the Reviews area, on that review
        await settle(pilot)
        assert app.current_mode == "reviews"
        reviews = app.screen
        assert isinstance(reviews, ReviewsScreen)
        assert reviews.table.current().id == review.id
        detail = reviews.query_one("#review-detail", ReviewDetail).text.plain
        assert "[bold]Not markup[/]" in detail and "\x1b" not in detail  # shown literally, escaped
        assert models.Review.get_by_id(review.id).status == "pending"  # nothing decided by opening it
        await pilot.press("a")
        await settle(pilot)
        assert models.Review.get_by_id(review.id).status == "approved"
        await pilot.press("f2")  # the Customers list (the customer, unchanged, closed)
        await settle(pilot)
        assert isinstance(app.screen, CustomersScreen) and not screen.is_attached


async def test_a_filter_read_in_flight_does_not_undo_a_review_opened_meanwhile(tmp_path, monkeypatch):
    """The filter bar reads what its fields held (the pending queue) in a
    worker; a review opened for moderation meanwhile shows new values in
    them: the older read, arriving after, must not bring the pending queue
    back over it (under load it put the cursor on the first pending review)."""
    import threading

    make_db(tmp_path, 5)
    ada = make_ada()
    product = models.Product.select().order_by(models.Product.id).first()
    models.Review.insert_many([
        {"product": product.id, "customer": ada.id, "rating": 4, "title": f"Ada review {i:03d}", "body": "b",
         "status": ("pending", "approved")[i % 2], "created_at": dt.datetime(2023, 1, 1) + dt.timedelta(hours=i)}
        for i in range(40)]).execute()
    target = models.Review.get(models.Review.title == "Ada review 037")  # approved: not in the pending queue
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        reviews = app.screen
        assert isinstance(reviews, ReviewsScreen)
        gate, real = threading.Event(), models.build_review_filter

        def held(**values):
            if values.get("status") == "pending":  # the fields as they were: held until the review is open
                assert gate.wait(10)
            return real(**values)

        monkeypatch.setattr(models, "build_review_filter", held)
        reviews.query_one("#review-filter").apply()  # the debounce's read, in flight
        reviews.show_review(target.id, "ada@example.com")
        for _ in range(200):
            if reviews.table.review_filter.customer_id == ada.id:
                break
            await pilot.pause(0.02)
        gate.set()
        await settle(pilot)
        assert reviews.table.review_filter == models.ReviewFilter(customer_id=ada.id)
        assert reviews.table.current().id == target.id


@pytest.mark.parametrize("reviews_open_before", [False, True])
async def test_review_opens_deep_in_the_customers_queue(tmp_path, reviews_open_before):
    """Enter on one of a customer's many reviews: the Reviews area (made now,
    or already open on the pending queue) filtered to the customer, any status,
    with the cursor on that review, and only the rows around it read."""
    make_db(tmp_path, 5)
    ada = make_ada()
    product = models.Product.select().order_by(models.Product.id).first()
    start = dt.datetime(2023, 1, 1)
    statuses = ("pending", "approved", "rejected")
    models.Review.insert_many([
        {"product": product.id, "customer": ada.id, "rating": 1 + i % 5, "title": f"Ada review {i:03d}",
         "body": f"body {i}", "status": statuses[i % 3], "created_at": start + dt.timedelta(hours=i)}
        for i in range(450)]).execute()
    target = models.Review.get(models.Review.title == "Ada review 447")  # approved
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        if reviews_open_before:
            await settle(pilot)
            await pilot.press("f4")
            await settle(pilot)
            assert app.screen.table.review_filter == models.ReviewFilter(status="pending")
        screen = await open_customer(pilot, "ada@example.com")
        await go_tab(pilot, "cust-reviews")
        await pilot.press("down", "down")  # newest first: the third newest
        await pilot.press("enter")
        await settle(pilot)
        assert app.current_mode == "reviews"
        reviews = app.screen
        assert isinstance(reviews, ReviewsScreen)
        table = reviews.table
        assert table.current().id == target.id
        assert table.position == 447 and table.total == 450
        assert len(table._window.rows) < 450  # windowed: not the whole queue
        assert table.review_filter == models.ReviewFilter(customer_id=ada.id)
        assert reviews.query_one("#rf-customer", Input).value == "ada@example.com"
        assert reviews.query_one("#rf-status", Select).value == Select.NULL
        assert reviews.focused is table
        assert "Ada review 447" in reviews.query_one("#review-detail", ReviewDetail).text.plain
        await settle(pilot)  # the filter fields' own debounce changes nothing
        assert table.current().id == target.id and table.position == 447
        await pilot.press("p")  # back to pending, from the keyboard
        await settle(pilot)
        assert models.Review.get_by_id(target.id).status == "pending"
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, CustomersScreen)
