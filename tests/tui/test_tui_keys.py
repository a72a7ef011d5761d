"""Type-ahead: keys handed to the app in one burst, as a terminal does over
a slow SSH link or in a paste, land where the admin meant them.  Every test
posts the keys before the app handles the first (tui_helpers.burst) and
checks what the database holds afterwards."""

from __future__ import annotations

import time
from decimal import Decimal

from textual.command import CommandPalette
from textual.widgets import Input

from backroom import models
from backroom.screens.customers import CustomerScreen, CustomersScreen, EraseModal, NewCustomerScreen
from backroom.screens.grants import ExplainScreen, OutboxScreen, RulesScreen
from backroom.screens.groups import GroupFormScreen, GroupsScreen, GroupViewScreen
from backroom.tui.dialogs import ConfirmModal, KeysScreen
from backroom.tui.filters import FilterBar
from backroom.tui.keys import KeyQueue
from tui_helpers import (burst, confirm, group, highlight_group, make_ada, make_app, make_db, open_customer,
                         open_list, settle)


def first_ids(n: int) -> list[int]:
    return [r.id for r in models.customer_page(models.CustomerFilter(), sort="name", limit=n)]


def customer(email: str) -> models.Customer:
    return models.Customer.get(models.Customer.email == email)


async def groups_app(pilot):
    await settle(pilot)
    assert isinstance(pilot.app.screen, GroupsScreen)
    return pilot.app.screen


async def test_find_burst_on_the_groups_list_only_filters(tmp_path):
    make_db(tmp_path, 10)
    models.create_group({"code": "dyson-fans", "name": "Dyson fans"})
    models.create_group({"code": "wholesale2", "name": "Wholesale 2"})
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await groups_app(pilot)
        await highlight_group(pilot, "wholesale2")
        await burst(pilot, "/dyson")
        assert app.screen is screen
        assert screen.query_one("#group-filter", Input).value == "dyson"
        assert [r.code for r in screen.rows] == ["dyson-fans"]
    assert models.get_group_by_code("wholesale2")


async def test_add_form_burst_fills_each_field(tmp_path):
    make_db(tmp_path, 10)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await groups_app(pilot)
        await burst(pilot, "a", "d8", "tab", "Name 8", "tab", "Desc 8", "ctrl+s")
        assert isinstance(app.screen, GroupViewScreen)
    g = group("d8")
    assert (g.name, g.description) == ("Name 8", "Desc 8")


async def test_edit_form_burst_tabs_to_the_discount(tmp_path):
    make_db(tmp_path, 10)
    models.create_group({"code": "vip", "name": "VIP"})
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await groups_app(pilot)
        await highlight_group(pilot, "vip")
        await burst(pilot, "e", "tab", "tab", "tab", "ctrl+u", "5.5", "ctrl+s")
        assert isinstance(app.screen, GroupViewScreen), app.screen
    g = group("vip")
    assert (g.name, g.discount_percent) == ("VIP", Decimal("5.5"))


async def test_new_customer_burst(tmp_path):
    make_db(tmp_path, 10)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_list(pilot)
        await burst(pilot, "a", "Grace", "tab", "Hopper", "tab", "grace@example.com", "ctrl+s")
        assert isinstance(app.screen, CustomerScreen), app.screen
    c = customer("grace@example.com")
    assert (c.first_name, c.last_name) == ("Grace", "Hopper")


async def test_new_customer_burst_past_the_group_box_while_groups_are_read(tmp_path, monkeypatch):
    """The Group box is disabled until the groups are read (in a worker; on
    a busy server that takes a moment): a Tab typed ahead skipped it, and
    the password went into the field after it.  The keys wait instead."""
    make_db(tmp_path, 10)
    read = models.assignable_groups

    def slow_read(*args, **kwargs):
        time.sleep(0.5)
        return read(*args, **kwargs)

    monkeypatch.setattr(models, "assignable_groups", slow_read)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_list(pilot)
        await burst(pilot, "a", "Grace", "tab", "Hopper", "tab", "grace@example.com", "tab", "tab", "tab",
                    "Secret-pass-123", "ctrl+s")
        assert isinstance(app.screen, CustomerScreen), app.screen
    c = customer("grace@example.com")
    assert (c.first_name, c.last_name) == ("Grace", "Hopper")
    assert models.verify_password("Secret-pass-123", c.password_hash)


async def test_customer_groups_tab_add_burst(tmp_path):
    make_db(tmp_path, 10)
    make_ada()
    models.create_group({"code": "vip", "name": "VIP"})
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_customer(pilot, "ada@example.com")
        # To the Groups tab (each tab loads when first shown), a opens the
        # picker once the groups are read: Guest, VIP, Wholesale.
        await burst(pilot, "ctrl+n", "ctrl+n", "a", "down", "enter")
        assert app.screen is screen
    ada = customer("ada@example.com")
    assert {g.code for g in models.customer_groups(ada.id)} == {"general", "vip"}


# -- confirmations: keys already on their way never answer them ------------------


async def test_delete_then_yes_in_one_burst_deletes_nothing(tmp_path):
    make_db(tmp_path, 10)
    models.create_group({"code": "vip", "name": "VIP"}, members=models.Selection.ids(first_ids(3)))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await groups_app(pilot)
        await highlight_group(pilot, "vip")
        # Even the group's code and Enter, typed before the question was drawn.
        await burst(pilot, "d", "y", "tab", "enter", "vip", "enter")
        dialog = app.screen
        assert isinstance(dialog, ConfirmModal)
        assert dialog.query_one("#typed", Input).value == ""
        question = str(dialog.query_one(".dialog-body").render())
        assert "VIP (vip)" in question and "3 members" in question
        assert models.get_group_by_code("vip")
        await pilot.press("enter")  # nothing typed: not deleted
        await settle(pilot)
        assert models.get_group_by_code("vip") and app.screen is dialog
        await confirm(pilot)  # the code typed, then Enter
        assert isinstance(app.screen, GroupsScreen)
    assert models.CustomerGroup.get_or_none(models.CustomerGroup.code == "vip") is None


async def test_a_confirm_button_is_armed_only_after_a_moment(tmp_path):
    make_db(tmp_path, 5)
    ada = make_ada()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_customer(pilot, "ada@example.com")
        await pilot.press("f7")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ConfirmModal) and dialog.focused.id == "no"
        await pilot.press("y", "enter")  # no letter answers; Enter on the safe button keeps things
        await settle(pilot)
        assert models.get_customer(ada.id).status == "active"
        await pilot.press("f7")
        await settle(pilot)
        dialog = app.screen
        dialog.ARM_SECONDS = 60  # as if Tab, Enter came right after the dialog was drawn
        await pilot.press("tab", "enter")
        await settle(pilot)
        assert app.screen is dialog and models.get_customer(ada.id).status == "active"
        dialog.ARM_SECONDS = 0
        await pilot.press("enter")
        await settle(pilot)
        assert models.get_customer(ada.id).status == "disabled"


async def test_erase_typed_ahead_is_not_taken(tmp_path):
    make_db(tmp_path, 5)
    ada = make_ada()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_customer(pilot, "ada@example.com")
        await burst(pilot, "f8", "ada@example.com", "enter")
        dialog = app.screen
        assert isinstance(dialog, EraseModal)
        assert dialog.query_one("#confirm_email", Input).value == ""
        assert models.get_customer(ada.id).email == "ada@example.com"
        await burst(pilot, "ada@example.com", "enter")  # typed once it is on screen: erased
        assert models.get_customer(ada.id).email != "ada@example.com"


async def test_removing_members_on_save_is_asked_with_the_count(tmp_path):
    make_db(tmp_path, 20)
    g, _ = models.create_group({"code": "vip", "name": "VIP"}, members=models.Selection.ids(first_ids(12)))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await groups_app(pilot)
        await highlight_group(pilot, "vip")
        # Edit, Customers tab, untick all, save and the count as if confirming: all in one burst.
        await burst(pilot, "e", "ctrl+n", "n", "ctrl+s", "12", "enter")
        dialog = app.screen
        assert isinstance(dialog, ConfirmModal) and dialog.typed == "12"
        assert "12 customers leave" in str(dialog.query_one(".dialog-body").render())
        assert models.group_member_count(g.id) == 12
        await pilot.press("escape")  # keep editing: the form, unticked, is still there
        await settle(pilot)
        assert isinstance(app.screen, GroupFormScreen)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await confirm(pilot)
        assert isinstance(app.screen, GroupViewScreen)
    assert models.group_member_count(g.id) == 0


async def test_removing_the_default_group_typed_ahead_is_asked(tmp_path):
    make_db(tmp_path, 5)
    ada = make_ada()
    vip, _ = models.create_group({"code": "vip", "name": "VIP"})
    models.join_group(ada.id, vip.id)
    models.set_default_group(ada.id, vip.id, expected_version=models.get_customer(ada.id).version)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_customer(pilot, "ada@example.com")
        await burst(pilot, "ctrl+n", "ctrl+n")
        assert screen.active_tab.current_group().code == "general"
        await burst(pilot, "down", "x", "tab", "enter")
        assert isinstance(app.screen, ConfirmModal)
        assert {g.code for g in models.customer_groups(ada.id)} == {"general", "vip"}


async def test_escape_then_discard_typed_ahead_keeps_the_form(tmp_path):
    make_db(tmp_path, 5)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await groups_app(pilot)
        await burst(pilot, "a", "vip", "escape", "tab", "enter")
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("escape")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, GroupFormScreen) and form.query_one("#code", Input).value == "vip"


# -- Esc: out of a text box to its list, then back a screen -------------------------


async def test_escape_leaves_the_groups_find_box_for_the_list(tmp_path):
    make_db(tmp_path, 10)
    models.create_group({"code": "vip", "name": "VIP"})
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await groups_app(pilot)
        await burst(pilot, "/vi", "escape", "s")
        assert screen.query_one("#group-filter", Input).value == "vi"
        assert screen.focused is screen.query_one("#groups")
        assert screen.sort == "members"  # the s after Esc sorted the list
        await burst(pilot, "escape", "/", "escape", "escape", "a")  # Esc on the list: nothing to go back to
        assert isinstance(app.screen, GroupFormScreen)


async def test_escape_leaves_the_customers_find_box(tmp_path):
    make_db(tmp_path, 10)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        listing = await open_list(pilot)
        await burst(pilot, "/ab", "escape", "a")
        assert listing.query_one("#f-text", Input).value == "ab"
        assert isinstance(app.screen, NewCustomerScreen)


async def test_escape_twice_from_the_members_filter_goes_back(tmp_path):
    make_db(tmp_path, 20)
    models.create_group({"code": "vip", "name": "VIP"}, members=models.Selection.ids(first_ids(5)))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        listing = await groups_app(pilot)
        await highlight_group(pilot, "vip")
        await burst(pilot, "v", "/zz", "escape")
        view = app.screen
        assert isinstance(view, GroupViewScreen)
        assert view.query_one("#f-text", Input).value == "zz"
        assert view.focused is view.query_one("#members")
        await burst(pilot, "escape")
        assert app.screen is listing


async def test_escape_from_the_form_members_filter_then_keys_for_the_table(tmp_path):
    make_db(tmp_path, 20)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await groups_app(pilot)
        # Add, code, Customers tab, filter, Esc, tick every match, save.
        await burst(pilot, "a", "vip", "tab", "VIP", "ctrl+n", "ctrl+f", "zz", "escape", "a", "ctrl+s")
        assert isinstance(app.screen, GroupViewScreen), app.screen
    assert models.group_member_count(group("vip").id) == 0  # nobody matches zz: nobody ticked
    assert models.count_customers(models.build_filter(text="zz")) == 0


async def test_escape_from_the_explain_and_outbox_boxes(tmp_path):
    make_db(tmp_path, 10)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        listing = await groups_app(pilot)
        await burst(pilot, "x", "ada", "escape")
        explain = app.screen
        assert isinstance(explain, ExplainScreen)
        assert explain.focused is explain.query_one("#explain-matches")
        await burst(pilot, "escape", "o", "ctrl+l", "out.csv", "escape")
        outbox = app.screen
        assert isinstance(outbox, OutboxScreen)
        assert outbox.focused is outbox.query_one("#outbox")
        await burst(pilot, "escape")
        assert app.screen is listing


async def test_escape_from_the_review_filter(tmp_path):
    make_db(tmp_path, 10)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await groups_app(pilot)
        await burst(pilot, "f4", "/zz", "escape", "t")
        screen = app.screen
        assert screen.query_one("#rf-text", Input).value == "zz"
        assert screen.focused is screen.query_one("#queue")


async def test_enter_in_a_find_box_then_list_keys(tmp_path):
    """Enter leaves the Find box through messages (Input.Submitted, then the
    screen focuses its list): the keys after it wait for that."""
    make_db(tmp_path, 10)
    models.create_group({"code": "vip", "name": "VIP"})
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await groups_app(pilot)
        await burst(pilot, "/vi", "enter", "s")
        assert screen.query_one("#group-filter", Input).value == "vi"
        assert screen.sort == "members"
        listing = await open_list(pilot)
        await burst(pilot, "/ab", "enter", "a")
        assert listing.query_one("#f-text", Input).value == "ab"
        assert isinstance(app.screen, NewCustomerScreen)


async def test_a_key_behind_enter_waits_for_the_focus_move_through_a_stall(tmp_path, monkeypatch):
    """The messages Enter sets off in the Find box (Submitted, then the
    screen's focus on its list) can be held up by work that blocks the
    event loop for a moment: a garbage collection, a heavy frame on a busy
    machine.  The key behind Enter still waits for them: a stall is not the
    messages failing to arrive."""
    make_db(tmp_path, 10)
    stalled = []
    apply = FilterBar.apply

    def apply_then_stall(self) -> None:
        apply(self)
        if self.values()["text"] == "ab" and not stalled:  # Enter's apply, on the way to the focus move
            stalled.append(True)
            time.sleep(KeyQueue.QUIET_WAIT * 1.5)  # the loop blocked past the wait for quiet

    monkeypatch.setattr(FilterBar, "apply", apply_then_stall)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        listing = await open_list(pilot)
        await burst(pilot, "/ab", "enter", "a")
        assert stalled
        assert listing.query_one("#f-text", Input).value == "ab"
        assert isinstance(app.screen, NewCustomerScreen)


# -- F2/F3/F4, ? and the palette ---------------------------------------------------


async def test_f3_from_a_customer_opened_out_of_a_group_view_goes_to_the_groups_list(tmp_path):
    make_db(tmp_path, 20)
    models.create_group({"code": "vip", "name": "VIP"}, members=models.Selection.ids(first_ids(3)))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        listing = await groups_app(pilot)
        await highlight_group(pilot, "vip")
        await burst(pilot, "v", "enter")
        assert isinstance(app.screen, CustomerScreen)
        await burst(pilot, "f3")
        assert app.screen is listing and len(app.screen_stack) == 1


async def test_f_keys_ask_before_closing_a_form_with_changes(tmp_path):
    make_db(tmp_path, 10)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        listing = await groups_app(pilot)
        await burst(pilot, "a", "vip", "f2")
        assert isinstance(app.screen, CustomersScreen)
        await burst(pilot, "f3")  # not silently back on the Add form: it asks, in front of it
        dialog = app.screen
        assert isinstance(dialog, ConfirmModal) and "unsaved changes" in str(dialog.query_one(".dialog-body").render())
        await pilot.press("escape")  # keep editing
        await settle(pilot)
        form = app.screen
        assert isinstance(form, GroupFormScreen) and form.query_one("#code", Input).value == "vip"
        await burst(pilot, "f3")
        await confirm(pilot)  # discard
        assert app.screen is listing
        await burst(pilot, "a", "f2", "f3")  # nothing typed: closed without a question
        assert app.screen is listing
    assert models.CustomerGroup.get_or_none(models.CustomerGroup.code == "vip") is None


async def test_palette_then_area_key_then_palette_again(tmp_path):
    make_db(tmp_path, 5)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await groups_app(pilot)
        await burst(pilot, "ctrl+p")
        assert CommandPalette.is_open(app)
        await burst(pilot, "f2")
        assert isinstance(app.screen, CustomersScreen)
        await burst(pilot, "ctrl+p")  # once raised DuplicateIds: '--command-palette'
        assert CommandPalette.is_open(app)
        await burst(pilot, "escape", "f3", "ctrl+p", "escape")
        assert isinstance(app.screen, GroupsScreen)
        assert app.return_code is None  # still running


async def test_palette_has_one_quit_and_one_keys(tmp_path):
    make_db(tmp_path, 5)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await groups_app(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert titles.count("Quit") == 1 and titles.count("Keys") == 1


async def test_question_mark_shows_the_keys_of_the_screen_in_front(tmp_path):
    make_db(tmp_path, 5)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await groups_app(pilot)
        await burst(pilot, "?")
        keys = app.screen
        assert isinstance(keys, KeysScreen)
        shown = str(keys.query_one("#keys-body").render())
        assert "Delete the highlighted group" in shown and "d / del" in shown
        assert "Open Customers" in shown and "The keys of this screen" in shown
        await burst(pilot, "escape", "a", "f1")  # the Add form's keys, F1 as well as ?
        shown = str(app.screen.query_one("#keys-body").render())
        assert "Save the group" in shown and "Delete the highlighted group" not in shown
        await burst(pilot, "escape", "?")  # typed in a text box, ? is text
        form = app.screen
        assert isinstance(form, GroupFormScreen) and form.query_one("#code", Input).value == "?"


async def test_esc_and_a_key_in_one_packet_leave_the_box(tmp_path):
    """Over a link that delivers Esc and the next key together, the terminal
    parser reads them as Alt+key: Backroom binds no Alt key, so it is Esc,
    then the key."""
    make_db(tmp_path, 10)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await groups_app(pilot)
        await burst(pilot, "/vi", "alt+s")
        assert screen.query_one("#group-filter", Input).value == "vi"
        assert screen.sort == "members"


# -- keys for a list wait for the rows its filter finds ------------------------------


async def test_enter_after_a_filter_opens_what_the_filter_found(tmp_path):
    make_db(tmp_path, 60)
    ada = make_ada()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_list(pilot)
        # The second Enter must open Ada, not the row that was first before the filter applied.
        await burst(pilot, "/", "ada@example.com", "enter", "enter")
        screen = app.screen
        assert isinstance(screen, CustomerScreen) and screen.customer_id == ada.id


async def test_a_list_key_after_find_acts_on_the_rows_found(tmp_path):
    make_db(tmp_path, 10)
    models.create_group({"code": "vip", "name": "VIP"})
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await groups_app(pilot)
        await highlight_group(pilot, "vip")
        await burst(pilot, "/zzz", "enter", "e")  # nothing matches: nothing to edit
        assert isinstance(app.screen, GroupsScreen)
        await burst(pilot, "/", "ctrl+u", "vi", "enter", "e")
        form = app.screen
        assert isinstance(form, GroupFormScreen) and form.group_id == group("vip").id


# -- the other text boxes and forms, in bursts ---------------------------------------


async def test_explain_customer_typed_ahead_then_enter_picks_that_customer(tmp_path):
    make_db(tmp_path, 40)
    ada = make_ada()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await groups_app(pilot)
        await burst(pilot, "x", "ada@example.com", "enter")
        screen = app.screen
        assert isinstance(screen, ExplainScreen)
        assert screen.customer_id == ada.id


async def test_reward_points_typed_ahead(tmp_path):
    make_db(tmp_path, 5)
    ada = make_ada()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_customer(pilot, "ada@example.com")
        # To the Reward points tab (loaded when first shown), amount, reason, save.
        await burst(pilot, "ctrl+b", "ctrl+b", "75", "tab", "Birthday", "ctrl+s")
    assert models.reward_balance(ada.id) == 75
    assert [e.reason for e in models.reward_ledger(ada.id)] == ["Birthday"]


async def test_account_edit_typed_ahead(tmp_path):
    make_db(tmp_path, 5)
    ada = make_ada()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_list(pilot)
        # Open Ada from the list and edit two fields, before any of it is on screen.
        await burst(pilot, "/", "ada@example.com", "enter", "enter", "ctrl+u", "Augusta", "tab", "tab", "ctrl+u",
                    "augusta@example.com", "ctrl+s")
    c = models.get_customer(ada.id)
    assert (c.first_name, c.email) == ("Augusta", "augusta@example.com")


async def test_rules_typed_ahead(tmp_path):
    make_db(tmp_path, 10)
    g, _ = models.create_group({"code": "vip", "name": "VIP"})
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await groups_app(pilot)
        await highlight_group(pilot, "vip")
        # Rules, the field (a select: Enter opens it, Down, Enter picks "Total spent"), the
        # operator follows, Tab Tab to the value, save.
        await burst(pilot, "u", "enter", "down", "enter", "tab", "tab", "250", "ctrl+s")
        assert isinstance(app.screen, RulesScreen)
    assert [(r.field, r.op, r.value) for r in models.get_rules(g.id)[1]] == [("total_spent", ">=", "250")]
