"""Text inputs showing stored values another program wrote: the value is
shown with its control characters escaped, nothing raw reaches the screen,
and a field the admin did not edit is written back as it was stored (or
not at all), never as its escaped copy."""

from __future__ import annotations

from textual import events
from textual.app import App, ComposeResult

from backroom import models
from backroom.screens.customers import CustomerScreen, EraseModal
from backroom.screens.groups import GroupFormScreen, GroupViewScreen
from backroom.tui.safetext import SafeInput, confirmed_value, safe_line
from tui_helpers import (ADA, assert_clean_screen, clear_input, highlight_group, make_ada, make_app, make_db,
                         open_customer, settle, type_text)

TITLE = "\x1b]0;PWNED\x07"
CLEAR = "\x1b[2J"
HOSTILE_NAME = f"Ada{TITLE}{CLEAR}\x00\u202e"
SHOWN_NAME = "Ada\\x1b]0;PWNED\\x07\\x1b[2J\\x00\\u202e"


def store(model, row_id: int, **fields) -> None:
    """Write as another program would, past the operations' checks."""
    model.update(**fields).where(model.id == row_id).execute()


class OneInput(App[None]):
    def compose(self) -> ComposeResult:
        yield SafeInput(HOSTILE_NAME, id="box")


async def test_a_safe_input_shows_escapes_and_keeps_the_stored_value():
    app = OneInput()
    async with app.run_test(size=(80, 5)) as pilot:
        box = app.query_one(SafeInput)
        assert SHOWN_NAME == safe_line(HOSTILE_NAME)
        assert box.value == SHOWN_NAME and box.stored == HOSTILE_NAME
        assert box.real_value == HOSTILE_NAME and not box.edited
        assert_clean_screen(app, 80)

        box.focus()
        await pilot.press("end", "x")
        assert box.edited and box.real_value == SHOWN_NAME + "x"
        await pilot.press("backspace")  # the text is again what was shown: unedited
        assert not box.edited and box.real_value == HOSTILE_NAME

        # Pasted (or typed) control characters arrive escaped: the admin sees what they would save.
        box.post_message(events.Paste(f"!{TITLE}\u202e"))
        await pilot.pause()
        assert box.value == SHOWN_NAME + "!\\x1b]0;PWNED\\x07\\u202e"
        assert box.real_value == box.value
        assert_clean_screen(app, 80)

        # A value the program sets is the new stored value.
        box.value = "Grace\x07"
        assert box.value == "Grace\\x07" and box.real_value == "Grace\x07"


def test_confirming_a_stored_value_by_typing_it_as_shown():
    stored = f"evil{CLEAR}@example.com"
    assert confirmed_value("EVIL\\x1b[2J@example.com ", stored) == stored
    assert confirmed_value("evil[2J@example.com", stored) == "evil[2J@example.com"
    assert confirmed_value("x@example.com", None) == "x@example.com"


async def test_the_account_tab_writes_back_only_what_was_edited(tmp_path):
    make_db(tmp_path, 5)
    ada = make_ada()
    store(models.Customer, ada.id, first_name=HOSTILE_NAME)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_customer(pilot, ADA["email"])
        first = screen.query_one("#first_name", SafeInput)
        assert first.value == SHOWN_NAME
        assert SHOWN_NAME in assert_clean_screen(app, 120)
        assert screen.active_tab.form.values()["first_name"] == HOSTILE_NAME  # not its escaped copy

        # Only the phone edited: the first name stays as stored, byte for byte.
        phone = screen.query_one("#phone", SafeInput)
        screen.set_focus(phone)
        await clear_input(pilot)
        await type_text(pilot, "+44 20 7946 0001")
        await pilot.press("ctrl+s")
        await settle(pilot)
        saved = models.Customer.get_by_id(ada.id)
        assert (saved.first_name, saved.phone) == (HOSTILE_NAME, "+44 20 7946 0001")
        assert "Account saved." in str(screen.query_one("#form-status").render())
        assert not screen.is_dirty()

        # The first name edited: the new one is saved.
        screen.set_focus(first)
        await clear_input(pilot)
        await type_text(pilot, "Ada")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert models.Customer.get_by_id(ada.id).first_name == "Ada"
        assert isinstance(app.screen, CustomerScreen) and not app.screen.is_dirty()


async def test_the_group_form_writes_back_only_what_was_edited(tmp_path):
    make_db(tmp_path, 5)
    g, _ = models.create_group({"code": "vip", "name": "VIP", "description": "Best"})
    store(models.CustomerGroup, g.id, name=HOSTILE_NAME)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await highlight_group(pilot, "vip")
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, GroupFormScreen)
        assert form.query_one("#name", SafeInput).value == SHOWN_NAME
        assert SHOWN_NAME in assert_clean_screen(app, 120)
        assert form.form.values()["name"] == HOSTILE_NAME and not form.is_dirty()
        form.set_focus(form.query_one("#description", SafeInput))
        await clear_input(pilot)
        await type_text(pilot, "Better")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, GroupViewScreen)
        saved = models.CustomerGroup.get_by_id(g.id)
        assert (saved.name, saved.description) == (HOSTILE_NAME, "Better")

        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        form.set_focus(form.query_one("#name", SafeInput))
        await clear_input(pilot)
        await type_text(pilot, "Very important")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, GroupViewScreen)
        assert models.CustomerGroup.get_by_id(g.id).name == "Very important"


async def test_an_email_with_control_characters_can_be_confirmed_as_shown(tmp_path):
    """Erasing asks for the email typed again: typed as the screen shows it,
    escapes and all, it confirms the email as stored."""
    make_db(tmp_path, 5)
    ada = make_ada()
    email = f"ada{CLEAR}@example.com"
    store(models.Customer, ada.id, email=email, email_key=email.lower())
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_customer(pilot, "ada")
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, EraseModal)
        assert "ada\\x1b[2J@example.com" in assert_clean_screen(app, 120)
        await type_text(pilot, "ada\\x1b[2J@example.com")
        await pilot.press("enter")
        await settle(pilot)
    erased = models.Customer.get_by_id(ada.id)
    assert (erased.first_name, erased.email) == ("Erased", f"erased-{ada.id}@erased.invalid")
