"""Text typed ahead of a dialog that opens on a box to write in: ``w`` and
the reply's words in one burst (type-ahead over SSH, a fast typist) put the
words in the reply box, not nowhere.  Only keys that can do nothing but
edit the text go in (printable characters, Backspace, Enter in a box of
several lines); a key typed ahead that would save, cancel, move focus or
answer is dropped, and so is everything after it.  Confirmations take
nothing typed ahead, not even into their box.  The text goes in as typed
text does: inert (tests/tui/test_tui_reply.py has the box itself)."""

from __future__ import annotations

import asyncio

import pytest
from textual._xterm_parser import XTermParser
from textual.widgets import Input

from backroom import models
from backroom.datalayer.text import is_inert
from backroom.screens.customer.dialogs import ResetPasswordModal
from backroom.screens.reviewdialogs import NameDialog, ReasonsModal, ReplyModal, RuleModal
from backroom.screens.reviews import ReviewsScreen
from backroom.tui.dialogs import ConfirmModal
from backroom.tui.safetextarea import SafeTextArea
from tui_helpers import (ADA, assert_clean_screen, burst, make_ada, make_app, make_db, open_customer, open_reviews, settle,
                         three_reviews_by_ada)

THANKS = "Thanks for the review, Ada! We've fixed the grinder."


@pytest.fixture
def shop(tmp_path):
    """Three pending reviews; the first (by date) is the one the queue opens on."""
    return three_reviews_by_ada(tmp_path)


def box(app) -> SafeTextArea:
    assert isinstance(app.screen, ReplyModal)
    area = app.screen.query_one("#reply", SafeTextArea)
    assert app.screen.focused is area
    return area


def reply_of(review) -> str | None:
    return models.Review.get_by_id(review.id).reply


def reply_audits() -> int:
    return models.AuditEntry.select().where(models.AuditEntry.action == "review.reply").count()


async def burst_bytes(pilot, raw: str) -> None:
    """``raw`` as the terminal sends it, read into keys by Textual's own
    parser as the driver reads it (an escape sequence it does not know is
    given up on after a moment: the ESC goes, the rest are keys), then all
    handed to the app in one burst."""
    parser = XTermParser()
    keys = list(parser.feed(raw))
    for _ in range(50):
        await asyncio.sleep(0.02)
        keys.extend(parser.tick())
    app = pilot.app
    for event in keys:
        event.set_sender(app)
        app.post_message(event)
    await settle(pilot)


async def test_w_and_the_reply_in_one_burst_is_written_and_saved(shop):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_reviews(pilot)
        await burst(pilot, "w", THANKS)
        assert box(app).text == THANKS
        assert reply_of(shop[0]) is None  # written, not saved
        assert f"{len(THANKS)} of 5,000 characters" in str(app.screen.query_one("#reply-count").render())
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert reply_of(shop[0]) == THANKS and reply_audits() == 1


async def test_lines_and_backspace_typed_ahead_edit_the_reply(shop):
    """Enter typed ahead is a new line, as in the box once it is up (it
    cannot save there); Backspace deletes, as typed."""
    models.set_review_reply(shop[0].id, "Dear Ada,")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_reviews(pilot)
        await burst(pilot, "w", "enter", "Thanks!!", "backspace", "enter", "enter", "The shop")
        assert box(app).text == "Dear Ada,\nThanks!\n\nThe shop"  # after the reply already there
        assert reply_of(shop[0]) == "Dear Ada,"


@pytest.mark.parametrize("keys, typed", [
    (("ctrl+s", "j"), "Thanks"),        # a save on its way: never saves, and the j is not for the box
    (("escape", "more"), "Thanks"),     # nor closes it
    (("tab", "enter"), "Thanks"),       # nor moves on to the Save button and presses it
    (("f7", "delete", "x"), "Thanks"),  # nor selects all and deletes it
], ids=["ctrl+s", "escape", "tab-enter", "select-delete"])
async def test_keys_typed_ahead_that_would_act_are_dropped_with_what_follows(shop, keys, typed):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_reviews(pilot)
        await burst(pilot, "w", "Thanks", *keys)
        assert box(app).text == typed
        assert reply_of(shop[0]) is None and reply_audits() == 0
        # Once the dialog is up, those keys act.
        await burst(pilot, "ctrl+s")
        assert isinstance(app.screen, ReviewsScreen)
        assert reply_of(shop[0]) == typed


@pytest.mark.parametrize("raw, typed", [
    ("wHi\x1b]0;PWNED\x07 there", "Hi]0;PWNED"),  # OSC: the ESC goes, the rest is text; BEL is not
    ("wHi\x9b2J there", "Hi"),                     # C1 CSI: a key, not text
    ("wHi\x1b[2J there", "Hi[2J there"),           # CSI: the ESC goes, the rest is text
    ("wHi\x1b[31mred", "Hired"),                   # SGR: read by the parser, no key at all
    ("w\u202eevil", ""),                           # a bidi override is not text either
], ids=["osc", "c1-csi", "csi", "sgr", "bidi"])
async def test_escape_sequences_typed_ahead_stay_inert(shop, raw, typed):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_reviews(pilot)
        await burst_bytes(pilot, raw)
        area = box(app)
        assert area.text == typed and is_inert(area.text)
        assert_clean_screen(app, 80)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert reply_of(shop[0]) == (typed or None)
        assert reply_of(shop[0]) is None or is_inert(reply_of(shop[0]))


async def test_a_reasons_name_typed_ahead_goes_in_but_its_enter_does_not_save(shop):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_reviews(pilot)
        await burst(pilot, "m")
        assert isinstance(app.screen, ReasonsModal)
        await burst(pilot, "n", "Off topic", "enter")
        dialog = app.screen
        assert isinstance(dialog, NameDialog)
        assert dialog.query_one("#name", Input).value == "Off topic"
        assert models.list_review_reasons() == []
        await burst(pilot, "enter")
        assert isinstance(app.screen, ReasonsModal)
        assert [r.name for r in models.list_review_reasons()] == ["Off topic"]


@pytest.mark.parametrize("raw", [
    "\x1b[3~y\t\r\r",                          # Delete, y, Tab, Enter, Enter
    "\x1b[3~" + "\x1b[200~y\n\x1b[201~" + "y\r",  # Delete, a paste of "y", y, Enter
], ids=["keys", "paste"])
async def test_deleting_a_reason_is_not_confirmed_by_keys_or_a_paste_typed_ahead(shop, raw):
    models.add_review_reason("Off topic")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_reviews(pilot)
        await burst(pilot, "m")
        assert isinstance(app.screen, ReasonsModal)
        await burst_bytes(pilot, raw)
        assert isinstance(app.screen, ConfirmModal)
        assert all(not box.value for box in app.screen.query(Input))
        assert [r.name for r in models.list_review_reasons()] == ["Off topic"]


async def test_the_rules_stars_typed_ahead_go_in_but_are_not_saved(shop):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_reviews(pilot)
        await burst(pilot, "u", "4", "enter")
        dialog = app.screen
        assert isinstance(dialog, RuleModal)
        assert dialog.query_one("#rule-stars", Input).value == "4"
        assert models.review_rule() is None
        await burst(pilot, "enter")
        assert models.review_rule() == models.ReviewRule(4, verified=True)



# A paste (the terminal's bracketed paste) arrives as one event, not keys:
# it waits in the same line as the keys typed before it.
PASTED = "Thanks, Ada!\nWe've fixed the grinder."


def pasted(text: str) -> str:
    return f"\x1b[200~{text}\x1b[201~"


async def test_a_paste_right_behind_w_goes_to_the_reply_box(shop):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_reviews(pilot)
        await burst_bytes(pilot, "w" + pasted(PASTED))
        assert box(app).text == PASTED
        assert screen.query_one("#rf-text", Input).value == ""  # nothing went to the queue behind
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert reply_of(shop[0]) == PASTED


async def test_a_paste_right_behind_the_filter_key_goes_to_the_filter(shop):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_reviews(pilot)
        await burst_bytes(pilot, "/" + pasted("grinder"))
        assert screen.query_one("#rf-text", Input).value == "grinder"
        assert screen.focused is screen.query_one("#rf-text", Input)


async def test_a_pasted_escape_sequence_stays_inert_in_the_box(shop):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_reviews(pilot)
        # (Textual's parser ends a paste at an ESC: the rest arrives as keys)
        await burst_bytes(pilot, "w" + pasted("Hi\x07 \x9b2J\u202eevil\r\nnext"))
        area = box(app)
        assert area.text.startswith("Hi") and "evil" in area.text and area.text.endswith("next")
        assert is_inert(area.text)
        assert_clean_screen(app, 80)


# F6 on a customer's screen opens the password reset: a confirmation that
# takes the password typed ahead into its box, but not the Enter behind it.
async def test_f6_the_password_and_enter_in_one_burst_do_not_reset_it(tmp_path):
    make_db(tmp_path, 5)
    ada = make_ada()
    before = models.get_customer(ada.id)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_customer(pilot, ADA["email"])
        await burst(pilot, "f6", "Temp-pass-123", "enter", "enter")
        dialog = app.screen
        assert isinstance(dialog, ResetPasswordModal)
        assert dialog.query_one("#new-password", Input).value == "Temp-pass-123"
        after = models.get_customer(ada.id)
        assert (after.password_hash, after.version) == (before.password_hash, before.version)
        await burst(pilot, "enter")
        assert not isinstance(app.screen, ResetPasswordModal)
        assert models.get_customer(ada.id).version == before.version + 1
        assert models.get_customer(ada.id).password_hash != before.password_hash
