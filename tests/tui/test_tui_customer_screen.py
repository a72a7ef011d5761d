"""Pilot tests of the customer screen as a shell: it is up before the
database answers, composes each tab when first shown, reloads in place,
moves the version on only by its own writes, and shows names as text.
(The flows through each tab are in test_tui_customers.py.)"""

from __future__ import annotations

import threading

from textual.widgets import Input, Label, Select, Static

from backroom import models
from backroom.screens.customers import CustomerScreen
from backroom.tui.dialogs import ConfirmModal
from tui_helpers import (ADA, clear_input, confirm, go_tab, make_ada, make_app, make_db, open_customer, open_list,
                         queries_on_the_event_loop, settle, type_text)



async def test_customer_screen_shows_before_the_database_answers(tmp_path, monkeypatch):
    """The customer is read in a worker: the screen is up, saying Loading…,
    while the database has not answered; each tab is composed when first shown."""
    make_db(tmp_path, 5)
    ada = make_ada()
    gate = threading.Event()
    read = models.get_customer

    def slow_get_customer(customer_id):
        gate.wait(10)
        return read(customer_id)

    monkeypatch.setattr(models, "get_customer", slow_get_customer)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        try:
            await open_list(pilot)
            app.push_screen(CustomerScreen(ada.id))
            await pilot.pause(0.1)
            screen = app.screen
            assert isinstance(screen, CustomerScreen)
            assert "Loading…" in str(screen.query_one("#customer-summary", Static).render())
            assert not screen.query("#first_name")
        finally:
            gate.set()
        await settle(pilot)
        assert "ada@example.com" in str(screen.query_one("#customer-summary", Static).render())
        assert screen.focused.id == "first_name"
        # Only the tab shown so far is composed.
        assert not screen.query("#billing-name") and not screen.query("#orders-table")
        await go_tab(pilot, "cust-addresses")
        assert screen.query_one("#billing-city", Input).value == "London"
        assert screen.focused.id == "billing-name"
        assert not screen.query("#orders-table")


async def test_new_customer_escape_asks_before_discarding(tmp_path):
    make_db(tmp_path, 5)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        listing = await open_list(pilot)
        await pilot.press("a")
        await settle(pilot)
        await pilot.press("escape")  # nothing typed: straight back
        await settle(pilot)
        assert app.screen is listing
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        assert form.query_one("#group", Select).value == models.general_group().id
        await type_text(pilot, "Grace")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("escape")  # keep editing
        await settle(pilot)
        assert app.screen is form and form.query_one("#first_name", Input).value == "Grace"
        await pilot.press("escape")
        await settle(pilot)
        await confirm(pilot)  # discard
        await settle(pilot)
        assert app.screen is listing
    assert models.count_customers() == 5


async def test_reload_discards_edits_after_asking(tmp_path):
    make_db(tmp_path, 5)
    ada = make_ada()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_customer(pilot, "ada@example.com")
        await clear_input(pilot)
        await type_text(pilot, "Augusta")
        models.update_customer(ada.id, {"phone": "555 0111"}, expected_version=ada.version, actor="other")
        await pilot.press("f5")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await confirm(pilot)
        await settle(pilot)
        assert app.screen is screen
        assert screen.query_one("#first_name", Input).value == "Ada"
        assert screen.query_one("#phone", Input).value == "555 0111"  # someone else's change, read again
        assert screen.focused.id == "first_name"
        # Saved against the version read again: no conflict.
        screen.query_one("#last_name", Input).focus()
        await clear_input(pilot)
        await type_text(pilot, "King")
        await pilot.press("ctrl+s")
        await settle(pilot)
    c = models.get_customer(ada.id)
    assert (c.first_name, c.last_name, c.phone) == ("Ada", "King", "555 0111")


async def test_own_writes_move_the_version_on_but_not_someone_elses(tmp_path):
    """After a password reset (F6), a save is accepted; after another admin's
    edit, disabling (F7) does not hide it: the next save is refused."""
    make_db(tmp_path, 5)
    ada = make_ada()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_customer(pilot, "ada@example.com")
        await pilot.press("f6")
        await settle(pilot)
        await type_text(pilot, "Typed-temp-pass-1")
        await pilot.press("enter")
        await settle(pilot)
        screen.query_one("#phone", Input).focus()
        await clear_input(pilot)
        await type_text(pilot, "555 0222")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert models.get_customer(ada.id).phone == "555 0222"
        version = models.get_customer(ada.id).version
        models.update_customer(ada.id, {"last_name": "King"}, expected_version=version, actor="other")
        await pilot.press("f7")
        await settle(pilot)
        await confirm(pilot)
        await settle(pilot)
        assert "DISABLED" in str(screen.query_one("#customer-summary", Static).render())
        await clear_input(pilot)
        await type_text(pilot, "555 0333")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Someone else changed" in str(screen.query_one("#form-status", Label).render())
    c = models.get_customer(ada.id)
    assert (c.phone, c.last_name, c.status) == ("555 0222", "King", "disabled")


async def test_status_lines_show_names_literally(tmp_path):
    """A customer's name in a status line (here: the conflict message) is
    text, not markup: a stray closing tag neither styles nor breaks anything."""
    make_db(tmp_path, 5)
    ada = models.create_customer({**ADA, "last_name": "[/red] [bold]Lovelace"})
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_customer(pilot, "ada@example.com")
        models.update_customer(ada.id, {"phone": "555 0111"}, expected_version=ada.version, actor="other")
        await type_text(pilot, "x")
        await pilot.press("ctrl+s")
        await settle(pilot)
        status = str(screen.query_one("#form-status", Label).render())
        assert "Someone else changed Ada [/red] [bold]Lovelace" in status
        assert "[/red] [bold]Lovelace" in str(screen.query_one("#customer-summary", Static).render())


async def test_no_query_runs_on_the_event_loop(tmp_path, monkeypatch):
    """The Customers list, its filter, the New customer form and every tab of
    the customer screen read and write in worker threads: the event loop
    never waits on the database."""
    make_db(tmp_path, 30)
    make_ada()
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        on_the_loop = queries_on_the_event_loop(monkeypatch)
        steps = [
            ("f2",), ("s",), ("r",), ("slash", "a", "d", "a"), ("enter",), ("enter",),  # the list: sorted, filtered, opened
            ("ctrl+n",), ("ctrl+n",), ("a",), ("escape",), ("ctrl+n",), ("ctrl+n",), ("ctrl+n",),  # every tab
            ("ctrl+b",), ("f5",), ("escape",), ("escape",),
            ("a",), ("escape",),  # the New customer form
        ]
        seen = set()
        for step in steps:
            await pilot.press(*step)
            await settle(pilot)
            assert not on_the_loop, f"queried on the event loop after {step}: {on_the_loop}"
            seen.add(type(app.screen).__name__)
        assert {"CustomersScreen", "CustomerScreen", "NewCustomerScreen"} <= seen
