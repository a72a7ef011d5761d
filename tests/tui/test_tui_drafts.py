"""Drafts: a form's unsaved changes survive the app ending (a crash, a
dropped SSH connection) and are offered back when the form is opened again;
kept 0600, written off the event loop once typing pauses, removed on save
or discard."""

from __future__ import annotations

import json
import stat
import threading

from textual.widgets import Input, Select

from backroom import models
from backroom.screens.customers import CustomerScreen, NewCustomerScreen
from backroom.screens.grants import RulesScreen
from backroom.screens.groups import GroupFormScreen, GroupsScreen, GroupViewScreen
from backroom.tui import drafts
from backroom.tui.app import BackroomApp
from backroom.tui.dialogs import ConfirmModal
from tui_helpers import (ADA, burst, confirm, group, highlight_group, make_ada, make_app, make_db, open_list,
                         settle)


def draft_files(folder) -> list:
    return sorted(folder.glob("*.json")) if folder.exists() else []


async def start(pilot):
    await settle(pilot)
    assert isinstance(pilot.app.screen, GroupsScreen)


async def test_an_add_form_left_unsaved_is_offered_back_after_the_app_ends(tmp_path, drafts_in_tmp):
    make_db(tmp_path, 10)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await start(pilot)
        await burst(pilot, "a", "vip", "tab", "Very important", "tab", "Our best")
        await settle(pilot)  # the draft is written once typing pauses
    # The app ended with the form open (as when the connection drops).
    [path] = draft_files(drafts_in_tmp)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(drafts_in_tmp.stat().st_mode) == 0o700
    kept = json.loads(path.read_text())["values"]["general"]
    assert (kept["code"], kept["name"], kept["description"]) == ("vip", "Very important", "Our best")
    assert "vip" not in path.name and "Very" not in path.name

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await start(pilot)
        await burst(pilot, "a")
        question = app.screen
        assert isinstance(question, ConfirmModal)
        assert "never saved" in str(question.query_one(".dialog-body").render())
        await burst(pilot, "enter")  # the focused answer: Restore
        form = app.screen
        assert isinstance(form, GroupFormScreen)
        assert form.query_one("#code", Input).value == "vip"
        assert form.query_one("#name", Input).value == "Very important"
        await burst(pilot, "ctrl+s")
        assert isinstance(app.screen, GroupViewScreen)
    assert group("vip").description == "Our best"
    assert draft_files(drafts_in_tmp) == []  # saved: no draft


async def test_a_draft_can_be_discarded_and_discarding_the_form_removes_it(tmp_path, drafts_in_tmp):
    make_db(tmp_path, 10)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await start(pilot)
        await burst(pilot, "a", "vip")
        await settle(pilot)
        assert len(draft_files(drafts_in_tmp)) == 1
        await burst(pilot, "escape")
        await confirm(pilot)  # discard the changes: the draft goes with them
        assert isinstance(app.screen, GroupsScreen)
        assert draft_files(drafts_in_tmp) == []
        await burst(pilot, "a", "gold")
        await settle(pilot)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await start(pilot)
        await burst(pilot, "a")
        await confirm(pilot)  # "Discard them"
        form = app.screen
        assert isinstance(form, GroupFormScreen) and form.query_one("#code", Input).value == ""
        assert draft_files(drafts_in_tmp) == []


async def test_drafts_are_per_database_and_record(tmp_path, drafts_in_tmp):
    make_db(tmp_path, 10)
    models.create_group({"code": "vip", "name": "VIP"})
    models.create_group({"code": "gold", "name": "Gold"})
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await start(pilot)
        await highlight_group(pilot, "vip")
        await burst(pilot, "e", "ctrl+u", "VIP club")
        await settle(pilot)
    assert len(draft_files(drafts_in_tmp)) == 1
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await start(pilot)
        await highlight_group(pilot, "gold")
        await burst(pilot, "e")  # another group: nothing to offer
        assert isinstance(app.screen, GroupFormScreen)
        await burst(pilot, "escape", "a")  # the Add form: nothing either
        assert isinstance(app.screen, GroupFormScreen)
    other = BackroomApp(db_label="sqlite:///another.db")
    async with other.run_test(size=(80, 24)) as pilot:
        await start(pilot)
        await highlight_group(pilot, "vip")
        await burst(pilot, "e")  # the same group id on another database: nothing
        assert isinstance(other.screen, GroupFormScreen)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await start(pilot)
        await highlight_group(pilot, "vip")
        models.update_group(group("vip").id, {"description": "by someone else"},
                            expected_version=group("vip").version)
        await burst(pilot, "e")
        question = app.screen
        assert isinstance(question, ConfirmModal)
        assert "saved since" in str(question.query_one(".dialog-body").render())
        await burst(pilot, "enter")
        assert app.screen.query_one("#name", Input).value == "VIP club"


async def test_a_draft_is_written_once_typing_pauses_and_off_the_event_loop(tmp_path, drafts_in_tmp, monkeypatch):
    make_db(tmp_path, 10)
    writes = []
    real = drafts.write_draft

    def watched(path, values, **kw):
        writes.append((threading.current_thread() is threading.main_thread(), values["general"]["name"]))
        real(path, values, **kw)

    monkeypatch.setattr(drafts, "write_draft", watched)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await start(pilot)
        await burst(pilot, "a", "vip", "tab", "A long name typed in one go")
        await settle(pilot)
    # Written off the event loop, with what was typed last, and not once a
    # key: a machine stalled for longer than the pause between two keys of
    # the burst may write once more, mid-burst (a pause, as far as the form
    # can tell), never once per key.
    assert writes[-1] == (False, "A long name typed in one go")
    assert all(not on_loop for on_loop, _ in writes) and len(writes) <= 2


async def test_new_customer_draft_keeps_everything_but_the_password(tmp_path, drafts_in_tmp):
    make_db(tmp_path, 10)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_list(pilot)
        await burst(pilot, "a", "Grace", "tab", "Hopper", "tab", "grace@example.com", "tab", "tab", "tab",
                    "Secret-pass-123")
        assert app.screen.query_one("#password", Input).value == "Secret-pass-123"
        await settle(pilot)
    [path] = draft_files(drafts_in_tmp)
    assert "Secret-pass-123" not in path.read_text() and "password" not in json.loads(path.read_text())["values"]
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_list(pilot)
        await burst(pilot, "a")
        await burst(pilot, "enter")  # restore
        form = app.screen
        assert isinstance(form, NewCustomerScreen)
        assert form.query_one("#email", Input).value == "grace@example.com"
        assert form.query_one("#password", Input).value == ""
        await burst(pilot, "ctrl+s")
        assert isinstance(app.screen, CustomerScreen)
    assert models.Customer.get(models.Customer.email == "grace@example.com").last_name == "Hopper"
    assert draft_files(drafts_in_tmp) == []


async def test_customer_edits_on_two_tabs_are_offered_back(tmp_path, drafts_in_tmp):
    make_db(tmp_path, 5)
    ada = make_ada()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_list(pilot)
        await burst(pilot, "/", ADA["email"], "enter", "enter")
        assert isinstance(app.screen, CustomerScreen)
        await burst(pilot, "ctrl+u", "Augusta", "ctrl+n", "ctrl+u", "Lady Lovelace")
        await settle(pilot)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_list(pilot)
        await burst(pilot, "/", ADA["email"], "enter", "enter")
        assert isinstance(app.screen, ConfirmModal)
        await burst(pilot, "enter")  # restore
        screen = app.screen
        assert isinstance(screen, CustomerScreen)
        assert screen.query_one("#first_name", Input).value == "Augusta"
        assert screen.query_one("#billing-name", Input).value == "Lady Lovelace"  # the tab loaded to take it
        await burst(pilot, "ctrl+s")  # the account: the draft keeps the addresses
        assert models.get_customer(ada.id).first_name == "Augusta"
        assert len(draft_files(drafts_in_tmp)) == 1
        await burst(pilot, "ctrl+n", "ctrl+s")
        assert models.get_addresses(ada.id)["billing"].name == "Lady Lovelace"
        await settle(pilot)
        assert draft_files(drafts_in_tmp) == []


async def test_unsaved_rules_are_offered_back(tmp_path, drafts_in_tmp):
    make_db(tmp_path, 10)
    g, _ = models.create_group({"code": "vip", "name": "VIP"})
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await start(pilot)
        await highlight_group(pilot, "vip")
        await burst(pilot, "u")
        assert isinstance(app.screen, RulesScreen)
        app.screen.query_one(".rule-field", Select).value = "total_spent"
        await settle(pilot)
        app.screen.query_one(".rule-value", Input).focus()
        await burst(pilot, "500")
        await settle(pilot)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await start(pilot)
        await highlight_group(pilot, "vip")
        await burst(pilot, "u")
        await burst(pilot, "enter")  # restore
        rules = app.screen
        assert isinstance(rules, RulesScreen)
        assert rules.query_one(".rule-value", Input).value == "500"
        await burst(pilot, "ctrl+s")
    assert [(r.field, r.op, r.value) for r in models.get_rules(g.id)[1]] == [("total_spent", ">=", "500")]
    assert draft_files(drafts_in_tmp) == []


async def test_guest_access_ticks_are_offered_back(tmp_path, drafts_in_tmp):
    make_db(tmp_path, 5)
    guest = models.guest_group()
    before = models.group_category_access(guest.id)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await start(pilot)
        await highlight_group(pilot, "guest")
        await burst(pilot, "c", "space")  # Access, tick the first category
        await settle(pilot)
    assert len(draft_files(drafts_in_tmp)) == 1
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await start(pilot)
        await highlight_group(pilot, "guest")
        await burst(pilot, "c")
        await burst(pilot, "enter", "ctrl+s")  # restore, save
    assert models.group_category_access(guest.id) != before
    assert draft_files(drafts_in_tmp) == []
