"""Hostile text: reviews, customer names and group names written to attack
the terminal or the markup, driven through the moderation screen, the
customer screens and the group screens.  Whatever a shopper typed must show
as plain text — markup literally, control characters escaped — and must not
break the layout.  (What reaches a real terminal, byte for byte:
test_terminal_output.py.)"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from rich.text import Text
from textual import events
from textual.widgets import Input

from backroom import models
from backroom.screens.customer import TABS, CustomerScreen
from backroom.screens.customers import EraseModal, ResetPasswordModal
from backroom.screens.groups import GroupFormScreen, GroupViewScreen
from backroom.screens.reviews import RejectModal, ReviewsScreen, review_detail
from backroom.tui.dialogs import ConfirmModal
from backroom.tui.reviewtable import ReviewTable
from backroom.tui.safetext import SafeInput, is_safe, safe_block, safe_line
from tui_helpers import CONTROL_RE, INVISIBLE_RE, assert_clean_screen, go_tab, make_app, make_db, open_list, settle

ESC = "\x1b"
HOSTILE = {
    "markup": "[bold red]shout[/] [link=https://evil.example/]click me[/link] [@click=app.quit]quit[/]",
    "csi": f"{ESC}[31mred{ESC}[0m {ESC}[2J{ESC}[H{ESC}[10;10Hmoved {ESC}[?1049h",
    "osc8": f"{ESC}]8;;https://evil.example/{ESC}\\innocent link{ESC}]8;;{ESC}\\",
    "osc0": f"{ESC}]0;pwned title\x07 after title",
    "bel_nul": "ring\x07ring\x00nul\x08back\x7fdel",
    "c1": "c1 csi \x9b31m and \x9d0;osc\x9c and nel\x85end",
    "invisible": "zero\u200bwidth\u200d joiner \u2066isolate\u2069 \u202eevil override\u202c \ufeffbom",
    "rtl": "مرحبا بالعالم — שלום עולם — mixed עברית and English",
    "emoji": "👍🏽 great 🎉🎉 family 👨\u200d👩\u200d👧 flags 🇬🇧",
    "long": "A" * 5000,
}


@pytest.fixture
def hostile(tmp_path):
    make_db(tmp_path, 0)
    cat = models.Category.create(name="Tea", slug="tea")
    product = models.Product.create(sku="T1", name=f"Tea {HOSTILE['markup']}", category=cat, price=Decimal("3"))
    made = []
    for i, (kind, text) in enumerate(HOSTILE.items()):
        c = models.create_customer({"first_name": f"Cust{i}", "email": f"c{i}@example.com"})
        # Names as an import or an older version might have stored them.
        models.Customer.update(first_name=text[:100], last_name=kind).where(models.Customer.id == c.id).execute()
        made.append(models.Review.create(
            product=product, customer=c.id, rating=1 + i % 5, title=text[:200],
            body=f"{kind}:\n{text}\nline three {text[:50]}\r\nwindows line\ttabbed",
            created_at=dt.datetime(2024, 1, 1) + dt.timedelta(days=i)))
    return made


def test_safe_text_helpers():
    for text in HOSTILE.values():
        line, block = safe_line(text), safe_block(text)
        assert not CONTROL_RE.search(line) and not INVISIBLE_RE.search(line)
        assert not CONTROL_RE.search(block.replace("\n", "")) and not INVISIBLE_RE.search(block)
        assert is_safe(block)
    assert safe_line(f"{ESC}[31mred") == "\\x1b[31mred"
    assert safe_line("a\u202eb") == "a\\u202eb"
    assert safe_block("one\r\ntwo\rthree\tfour\x9b") == "one\ntwo\nthree    four\\x9b"
    assert safe_line("one\ntwo") == "one\\x0atwo"
    # RTL text, emoji and markup-like brackets are left alone.
    for kind in ("rtl", "markup"):
        assert safe_line(HOSTILE[kind]) == HOSTILE[kind]
    assert safe_line("👍🏽 great") == "👍🏽 great"
    # Emoji joined by ZWJ (a family, a rainbow flag) stay one emoji, not "\u200d".
    assert safe_line(HOSTILE["emoji"]) == HOSTILE["emoji"]
    assert safe_line("🏳\ufe0f\u200d🌈") == "🏳\ufe0f\u200d🌈"
    # A lone surrogate (which no terminal can show, and no encoder can write) is escaped.
    assert safe_line("a\ud800b") == "a\\ud800b"


def test_detail_keeps_markup_literal(hostile):
    row = models.get_review(hostile[0].id)
    detail = review_detail(row, [])
    assert isinstance(detail, Text)
    assert "[bold red]shout[/]" in detail.plain and "[link=https://evil.example/]" in detail.plain
    assert not any(span.style and "link" in str(span.style) for span in detail.spans)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
async def test_hostile_reviews_render_as_plain_text(hostile, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ReviewsScreen)
        table = screen.query_one(ReviewTable)
        assert table.total == len(HOSTILE)
        seen = []
        for i, review in enumerate(hostile):
            assert table.current().id == review.id
            text = assert_clean_screen(app, size[0])
            seen.append(text)
            await pilot.press("down")
            await settle(pilot)
        # Markup shown literally, escapes visible.
        assert "[bold red]shout[/]" in seen[0]
        assert "[link=https://evil.example/]" in seen[0] or "[link=https://evil.exa" in seen[0]
        assert "\\x1b[31mred" in seen[1]
        assert "\\x1b]8;;https://evil" in seen[2]
        assert "\\x1b]0;pwned title\\x07" in seen[3]
        assert "ring\\x07ring\\x00nul" in seen[4]
        assert "\\x9b31m" in seen[5]
        assert "\\u202eevil override" in seen[6]
        assert "AAAAAAAAAA" in seen[9]

        # The reject dialog shows the title safely too; rejecting with a reason works.
        await pilot.press("home")
        await settle(pilot)
        await pilot.press("down", "down")  # the CSI review
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, RejectModal)
        assert_clean_screen(app, size[0])
        await pilot.press("escape")
        await settle(pilot)

        # Every status shown, after the first is approved: the history lines stay clean.
        await pilot.press("home")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert models.Review.get_by_id(hostile[0].id).status == "approved"
        assert_clean_screen(app, size[0])


async def test_long_word_wraps_in_the_detail(hostile):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        screen = app.screen
        table = screen.query_one(ReviewTable)
        while table.current().id != hostile[-1].id:
            await pilot.press("down")
            await settle(pilot)
        detail = screen.query_one("#review-detail")
        # 5,000 characters folded over many lines of the pane, none wider than it.
        assert detail.virtual_size.height > 5000 // detail.size.width
        assert_clean_screen(app, 120)


@pytest.fixture
def hostile_groups(hostile):
    """A group named with each hostile text, every hostile customer a member."""
    members = models.Selection.ids([r.customer_id for r in hostile])
    made = []
    for i, (kind, text) in enumerate(HOSTILE.items()):
        g, _ = models.create_group({"code": f"h{i}", "name": f"Group {i}", "description": kind}, members=members)
        models.CustomerGroup.update(name=text[:100], description=f"{kind}\n{text}").where(
            models.CustomerGroup.id == g.id).execute()
        made.append(g)
    return made


# The texts holding control or invisible characters, or joined emoji (the
# others are in the lists and in the review tests).
CONTROLS = ("csi", "osc8", "osc0", "bel_nul", "c1", "invisible", "emoji")


async def test_hostile_names_render_as_plain_text_on_every_screen(hostile, hostile_groups):
    """The same corpus as customers' first names and groups' names, through
    the customers list, each customer's header and Account tab (its inputs),
    every tab of one customer and the dialogs that name them, and the groups
    list, each group's View screen and Edit form (its inputs) and the delete
    confirmation."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_list(pilot)
        assert_clean_screen(app, 120)
        for (kind, text), review in zip(HOSTILE.items(), hostile):
            if kind not in CONTROLS:
                continue
            screen = CustomerScreen(review.customer_id)
            app.push_screen(screen)
            await settle(pilot)
            assert screen.query_one("#first_name", SafeInput).value == safe_line(text[:100])
            seen = assert_clean_screen(app, 120)
            if kind == "osc0":
                assert "\\x1b]0;pwned title\\x07" in seen
                for tab in TABS[1:]:
                    await go_tab(pilot, tab)
                    assert_clean_screen(app, 120)
                for key, dialog in (("f7", ConfirmModal), ("f8", EraseModal), ("f6", ResetPasswordModal)):
                    await pilot.press(key)
                    await settle(pilot)
                    assert isinstance(app.screen, dialog)
                    assert "pwned title" in assert_clean_screen(app, 120)
                    await pilot.press("escape")
                    await settle(pilot)
            if kind == "emoji":  # joined emoji stay whole in the input
                assert "👨\u200d👩\u200d👧" in screen.query_one("#first_name", SafeInput).value
            await pilot.press("escape")
            await settle(pilot)

        await pilot.press("f3")
        await settle(pilot)
        assert_clean_screen(app, 120)
        for (kind, text), g in zip(HOSTILE.items(), hostile_groups):
            if kind not in CONTROLS:
                continue
            app.push_screen(GroupViewScreen(g.id))
            await settle(pilot)
            assert_clean_screen(app, 120)
            await pilot.press("e")
            await settle(pilot)
            form = app.screen
            assert isinstance(form, GroupFormScreen)
            assert form.query_one("#name", SafeInput).value == safe_line(text[:100])
            assert_clean_screen(app, 120)
            if kind in ("osc0", "invisible"):
                await pilot.press("escape")
                await settle(pilot)
                await pilot.press("d")
                await settle(pilot)
                assert isinstance(app.screen, ConfirmModal)
                assert_clean_screen(app, 120)
                await pilot.press("n")
                await settle(pilot)
            await pilot.press("escape")
            await settle(pilot)
            if isinstance(app.screen, GroupViewScreen):
                await pilot.press("escape")
                await settle(pilot)


async def test_notifications_titles_and_pastes_are_inert(tmp_path):
    """What every screen goes through: notifications, the header's title and
    pasted text (into any input, the command palette's too)."""
    make_db(tmp_path, 0)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.notify(f"Deleted {HOSTILE['osc0']}\nnext line", title=f"T{ESC}[2J", markup=False)
        app.screen.title = f"Group: {HOSTILE['invisible']}"
        await settle(pilot)
        note = list(app._notifications)[-1]  # what the toast shows
        assert note.message == "Deleted \\x1b]0;pwned title\\x07 after title\nnext line"
        assert note.title == "T\\x1b[2J"
        assert "Group: zero\\u200bwidth" in str(app.format_title(app.screen.title, app.sub_title))
        assert_clean_screen(app, 120)

        await pilot.press("ctrl+p")
        await settle(pilot)
        palette = app.screen
        app.post_message(events.Paste(f"x{ESC}]0;PWNED\x07\u202e"))
        await settle(pilot)
        typed = palette.query_one(Input).value
        assert typed == "x\\x1b]0;PWNED\\x07\\u202e"
        assert_clean_screen(app, 120)
