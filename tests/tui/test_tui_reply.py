"""The shop's public reply, written in a box of several lines: typed as an
admin types (bursts too), saved with Ctrl+S or the Save button, Esc keeping
the reply as it was, and a reply another program stored with terminal
control sequences shown inert in the box and in the review's detail.  The
box itself (SafeTextArea): whatever enters it is escaped, pastes and undo
included.  (Its lines through an export and an import: tests/datalayer/test_review_depth.py.)"""

from __future__ import annotations

import datetime as dt

import pytest
from textual import events
from textual.app import App, ComposeResult
from textual.widgets import Label

from backroom import models
from backroom.datalayer.text import inert_block
from backroom.screens.reviewdialogs import ReplyModal
from backroom.screens.reviews import ReviewDetail, ReviewsScreen
from backroom.tui.safetextarea import SafeTextArea
from tui_helpers import (SIZES, assert_clean_screen, burst, make_app, make_db, notifications, open_reviews, settle,
                         take_snapshot, three_reviews_by_ada, TODAY, type_text)

ESC = "\x1b"
TITLE = f"{ESC}]0;PWNED\x07"
CLEAR = f"{ESC}[2J"
LINK = f"{ESC}]8;;http://evil.example/\x07"
# Every way text can drive a terminal or split or hide lines: OSC, CSI, C1
# CSI and NEL, NUL, BEL, vertical tab and form feed, the Unicode line and
# paragraph separators, a bidi override and an isolate.
HOSTILE_REPLY = (f"Dear {TITLE}customer,{CLEAR}\n\nWe are {LINK}sorry\x07\x00.\x0bfeed\x0cnext\x9b31m"
                 f"\x85nel\u2028sep\u2029para \u202eevil\u202c \u2066iso\u2069\r\nThe shop")

LETTER = ("Dear Ada,", "", "Thank you for the review.", "The grinder is fixed now.", "", "The shop")


@pytest.fixture
def shop(tmp_path):
    """Three pending reviews; the first (by date) is the one the queue opens on."""
    return three_reviews_by_ada(tmp_path)


def box(app) -> SafeTextArea:
    assert isinstance(app.screen, ReplyModal)
    return app.screen.query_one("#reply", SafeTextArea)


def reply_of(review) -> str | None:
    return models.Review.get_by_id(review.id).reply


def reply_audits() -> int:
    return models.AuditEntry.select().where(models.AuditEntry.action == "review.reply").count()


def detail_text(screen: ReviewsScreen) -> str:
    return screen.query_one("#review-detail", ReviewDetail).text.plain


def letter_keys() -> list[str]:
    """The keys that type LETTER (for burst: one a character), Enter between its lines."""
    keys: list[str] = []
    for i, line in enumerate(LETTER):
        if i:
            keys.append("enter")
        keys.extend(line)
    return keys


async def test_a_reply_of_several_lines_typed_in_a_burst_is_saved(shop):
    first = shop[0]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_reviews(pilot)
        # Typed ahead of the dialog: the text goes into the box (Enter a new
        # line), the ctrl+s is dropped: nothing is saved.
        await burst(pilot, "w", "x", "enter", "ctrl+s")
        assert box(app).text == "x\n" and app.screen.focused is box(app)
        assert reply_of(first) is None and reply_audits() == 0
        await burst(pilot, "backspace", "backspace")

        # Once it is up, a burst of keys goes into the box, in order; Enter is a new line.
        await burst(pilot, *letter_keys())
        assert box(app).text == "\n".join(LETTER)
        assert f"{len(chr(10).join(LETTER)):,} of 5,000 characters" in str(
            app.screen.query_one("#reply-count", Label).render())
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        got = models.Review.get_by_id(first.id)
        assert (got.reply, got.reply_by, got.status) == ("\n".join(LETTER), "tester", "pending")
        assert "Reply saved: review #%d." % first.id in notifications(app)
        # The detail shows it line by line.
        text = detail_text(screen)
        assert "Shop's reply" in text and "\n".join(LETTER) in text
        assert_clean_screen(app, 120)

        # Edited again, keys pressed one by one (pilot.press): a line added at the end, saved by
        # Tab to the Save button and Enter.
        await pilot.press("w")
        await settle(pilot)
        assert box(app).text == "\n".join(LETTER)
        await pilot.press("ctrl+end", "enter", *"PS", "tab")
        await settle(pilot)
        assert app.screen.focused.id == "save"
        await pilot.press("enter")
        await settle(pilot)
        assert reply_of(first) == "\n".join(LETTER) + "\nPS"
        assert reply_audits() == 2


async def test_esc_keeps_the_reply_and_an_unchanged_one_is_not_saved_again(shop):
    first = shop[0]
    models.set_review_reply(first.id, "Old\n\nreply")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_reviews(pilot)
        await pilot.press("w")
        await settle(pilot)
        assert box(app).text == "Old\n\nreply"
        await pilot.press("ctrl+end", "enter", *"new", "escape")
        await settle(pilot)
        assert app.screen is screen
        assert reply_of(first) == "Old\n\nreply" and reply_audits() == 1

        # Typed into and typed back: nothing to save, nothing written.
        await pilot.press("w")
        await settle(pilot)
        await pilot.press("ctrl+end", "x", "backspace", "ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert reply_of(first) == "Old\n\nreply" and reply_audits() == 1
        assert "The reply is unchanged: nothing to save." in notifications(app)

        # Emptied (select all, delete): removed.
        await pilot.press("w")
        await settle(pilot)
        await pilot.press("f7", "delete", "ctrl+s")
        await settle(pilot)
        assert reply_of(first) is None and reply_audits() == 2
        assert "Shop's reply" not in detail_text(screen)


async def test_a_reply_too_long_is_refused_in_the_dialog(shop):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_reviews(pilot)
        await pilot.press("w")
        await settle(pilot)
        app.post_message(events.Paste("x" * (models.REPLY_MAX + 1)))
        await settle(pilot)
        count = app.screen.query_one("#reply-count", Label)
        assert "5,001 of 5,000 characters" in str(count.render()) and count.has_class("-over")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ReplyModal)  # still open, saying why
        error = app.screen.query_one("#reply-error", Label)
        assert error.has_class("-shown") and "at most 5,000 characters" in str(error.render())
        await pilot.press("backspace", "ctrl+s")
        await settle(pilot)
        assert reply_of(shop[0]) == "x" * models.REPLY_MAX


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
async def test_a_hostile_reply_shows_inert_in_the_box_and_the_detail(shop, size):
    """A reply stored past every check (another program), full of control
    sequences: the box and the detail show it escaped, with its lines."""
    first = shop[0]
    models.Review.update(reply=HOSTILE_REPLY, reply_by=f"api{CLEAR}", reply_at=dt.datetime(2024, 2, 1)).where(
        models.Review.id == first.id).execute()
    app = make_app()
    async with app.run_test(size=size) as pilot:
        screen = await open_reviews(pilot)
        text = detail_text(screen)
        assert "Dear \\x1b]0;PWNED\\x07customer,\\x1b[2J\n\nWe are \\x1b]8;;http://evil" in text
        assert "\\x0bfeed\\x0cnext\\x9b31m\\x85nel\\u2028sep\\u2029para \\u202eevil" in text
        assert "by api\\x1b[2J" in text
        assert_clean_screen(app, size[0])

        await pilot.press("w")
        await settle(pilot)
        area = box(app)
        assert area.text == inert_block(HOSTILE_REPLY)
        assert area.document.line_count == 4  # its own line breaks only: none from \x0b, \x85, \u2028…
        assert area.stored == HOSTILE_REPLY and not area.edited
        seen = assert_clean_screen(app, size[0])
        assert "customer,\\x1b[2J" in seen and "\\u202eevil" in seen

        # Saved unchanged: nothing written (the data layer would refuse it as stored).
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert reply_of(first) == HOSTILE_REPLY and reply_audits() == 0

        # Pasted control sequences arrive escaped; what the box shows is what is saved.
        await pilot.press("w")
        await settle(pilot)
        await pilot.press("ctrl+end")
        app.post_message(events.Paste(f"\n{TITLE}bye\u202e"))
        await settle(pilot)
        assert box(app).text.endswith("The shop\n\\x1b]0;PWNED\\x07bye\\u202e")
        assert_clean_screen(app, size[0])
        await pilot.press("ctrl+s")
        await settle(pilot)
        saved = reply_of(first)
        assert saved == inert_block(HOSTILE_REPLY) + "\n\\x1b]0;PWNED\\x07bye\\u202e"
        assert not models.has_control_chars(saved, multiline=True)
        assert_clean_screen(app, size[0])


class OneBox(App[None]):
    def compose(self) -> ComposeResult:
        yield SafeTextArea(HOSTILE_REPLY, id="box")


async def test_a_safe_text_area_escapes_whatever_enters_it():
    app = OneBox()
    async with app.run_test(size=(60, 12)) as pilot:
        area = app.query_one(SafeTextArea)
        assert area.text == inert_block(HOSTILE_REPLY) and area.real_value == HOSTILE_REPLY
        assert area.soft_wrap and area.tab_behavior == "focus"
        assert_clean_screen(app, 60)
        area.focus()
        await pilot.press("ctrl+end", "x")
        assert area.edited and area.real_value == area.text
        await pilot.press("backspace")
        assert not area.edited and area.real_value == HOSTILE_REPLY

        # A terminal's paste, ctrl+v (the app's clipboard), insert(): each escaped, \r\n a line break.
        states = [area.text]
        app.post_message(events.Paste(f"\r\n{CLEAR}a\tb\x85c"))
        await pilot.pause()
        assert area.text.endswith("The shop\n\\x1b[2Ja    b\\x85c")
        states.append(area.text)
        app.copy_to_clipboard(f"{LINK}!")
        await pilot.press("ctrl+v")
        assert area.text.endswith("\\x85c\\x1b]8;;http://evil.example/\\x07!")
        states.append(area.text)
        area.insert(f"\u2028{TITLE}", area.document.end)
        assert area.text.endswith("!\\u2028\\x1b]0;PWNED\\x07")
        assert_clean_screen(app, 60)
        # Undo and redo replay what entered (a batch of edits at a time): escaped still.
        last = area.text
        await pilot.press("ctrl+z")
        assert area.text in states
        await pilot.press("ctrl+y")
        assert area.text == last
        assert not models.has_control_chars(area.text, multiline=True)

        # Text the program loads is the new stored text.
        area.load_text("one\x07\r\ntwo")
        assert area.text == "one\\x07\ntwo" and area.real_value == "one\x07\r\ntwo"
        assert_clean_screen(app, 60)


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_reply_dialog(tmp_path, snap_compare, size):
    """The dialog on a review with a reply of paragraphs, a line added."""
    make_db(tmp_path, 120)
    models.seed_reviews(400, rng_seed=5, today=TODAY)
    first = models.review_page(models.ReviewFilter(status="pending"), limit=1)[0]
    models.set_review_reply(first.id, "Dear customer,\n\nThank you! [b]We[/b] fixed the grinder, and the "
                                      "next bag is on us: it ships on Monday with the rest of the order.",
                            actor="shop")
    # (the detail behind shows the reply's date: fixed, not the clock's)
    models.Review.update(reply_at=dt.datetime(2026, 11, 2, 9, 30)).where(models.Review.id == first.id).execute()

    async def more(pilot):
        await pilot.press("ctrl+end", "enter", "enter")
        await type_text(pilot, "The shop")

    take_snapshot(snap_compare, size, "f4", "w", more)
