"""Pilot tests for the small things of issue 16: what the Customers list's
Groups column shows, the pending reviews count on every screen, the
outbox's columns, the Reviews filter's drop-down and Explain's wrapping."""

from __future__ import annotations

import asyncio
import threading

from textual.widgets import Select, Static
from textual.widgets._select import SelectOverlay
from tui_helpers import TODAY, assert_clean_screen, burst, confirm, make_app, make_db, open_edit_form, settle, type_text

from backroom import models
from backroom.screens.customers import CustomerScreen, CustomersScreen
from backroom.screens.grants import ExplainScreen, OutboxScreen
from backroom.tui import statusline
from backroom.tui.dialogs import ConfirmModal


def screen_lines(app) -> list[str]:
    """The lines on the terminal, as the admin reads them."""
    return ["".join(seg.text for seg in strip) for strip in app.screen._compositor.render_strips()]


async def test_explain_wraps_a_long_reason_under_its_value(tmp_path):
    make_db(tmp_path, 40)
    wholesale = models.get_group_by_code("wholesale")
    models.update_group(wholesale.id, {"discount_percent": "10", "name": "Wholesale partners of the north"},
                        expected_version=wholesale.version)
    member = models.customer_page(models.CustomerFilter(group_id=wholesale.id), sort="name", limit=1)[0]
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ExplainScreen)
        await type_text(pilot, member.email)
        await settle(pilot)
        await pilot.press("enter", "enter", "down", "enter")
        await settle(pilot)
        assert screen.explanation is not None
        reason = screen.explanation.discount_reason
        assert "Wholesale partners of the north" in reason
        assert reason in str(screen.query_one("#explain-result", Static).content)
        lines = screen_lines(app)
        at = next(i for i, line in enumerate(lines) if line.lstrip().startswith("Discount "))
        label_col = lines[at].index("Discount")
        value_col = label_col + 15
        assert lines[at][value_col] != " "  # the value starts in its own column
        wrapped = lines[at + 1]
        assert wrapped[:value_col].strip() == "", wrapped  # the reason goes on under the value…
        assert wrapped[value_col] != " ", wrapped  # …not back at column 1
        assert lines[at + 2].lstrip().startswith(("Tax class", "north"))
        together = " ".join(line[value_col:].strip() for line in lines[at:at + 3]
                            if not line.lstrip().startswith("Tax class"))
        assert " ".join(reason.split()) in " ".join(together.split())


async def test_outbox_columns_fit_what_they_show_at_120_columns(tmp_path):
    make_db(tmp_path, 40)
    g, _ = models.create_group({"code": "nordic", "name": "Nordic wholesale (EU)"})
    ids = [r.id for r in models.customer_page(models.CustomerFilter(), sort="name", limit=12)]
    models.assign_customers(g.id, models.Selection.ids(ids))
    queued = models.outbox_page(limit=12)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, OutboxScreen)
        lines = screen_lines(app)
        for row in queued:  # every name, email and group whole, none cut with an ellipsis
            line = next(line for line in lines if line.lstrip().startswith(f"{row.id} ") and "joined" in line)
            for value in (row.name, row.email, "Nordic wholesale (EU)"):
                assert f" {value} " in line, (value, line)
            assert "…" not in line
        # Narrower, the columns share what there is: cut, but every line fits.
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        lines = screen_lines(app)
        assert all(len(line) == 80 for line in lines)
        assert any("Nordic" in line for line in lines)


async def test_reviews_status_drop_down_is_framed_without_colour(tmp_path, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    make_db(tmp_path, 60)
    models.seed_reviews(80, rng_seed=5, today=TODAY)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.no_color
        await burst(pilot, "f4", "slash", "tab", "enter")
        select = app.screen.query_one("#rf-status", Select)
        assert select.expanded
        overlay = select.query_one(SelectOverlay)
        box = overlay.region
        lines = screen_lines(app)
        # A frame around the choices, drawn in characters: it shows with no colour at all.
        assert lines[box.y][box.x] == "╭" and lines[box.y][box.right - 1] == "╮", lines[box.y]
        assert lines[box.bottom - 1][box.x] == "╰" and lines[box.bottom - 1][box.right - 1] == "╯"
        inside = [line[box.x + 1:box.right - 1].strip() for line in lines[box.y + 1:box.bottom - 1]]
        assert inside == ["any", *models.REVIEW_STATUSES]
        for y in range(box.y + 1, box.bottom - 1):
            assert lines[y][box.x] == "│" and lines[y][box.right - 1] == "│"
        # The choice is still taken with the keys, and filters the queue.
        await burst(pilot, "down", "enter")  # from pending, the one below
        assert not select.expanded and select.value == "approved"
        assert app.screen.review_filter.status == "approved"


def customers_row(app, customer: models.CustomerRow) -> str:
    """The Customers list's line of ``customer`` on screen."""
    assert isinstance(app.screen, CustomersScreen)
    return next(line for line in screen_lines(app) if customer.email[:12] in line)


async def test_customers_groups_column_follows_the_group_form_and_marks_hidden_groups(tmp_path):
    make_db(tmp_path, 40)
    models.create_group({"code": "vip", "name": "VIP"})
    first = models.customer_page(models.CustomerFilter(), sort="name", limit=1)[0]
    assert "vip" not in first.groups
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await burst(pilot, "f2")
        assert "vip" not in customers_row(app, first)
        # In the Groups area, the first customer joins VIP through its Edit form.
        await burst(pilot, "f3")
        form = await open_edit_form(pilot, "vip")
        await burst(pilot, "ctrl+n", "space", "ctrl+s")
        if isinstance(app.screen, ConfirmModal):
            await confirm(pilot)
        assert not isinstance(app.screen, type(form))
        assert "vip" in models.customer_page(models.CustomerFilter(), sort="name", limit=1)[0].groups
        # Back in the Customers list: the Groups column says so.
        await burst(pilot, "f2")
        line = customers_row(app, first)
        assert "general, vip" in line and "[vip]" not in line, line
        # The group hidden from customers (the form again): in brackets, as the heading says.
        await burst(pilot, "f3")
        await open_edit_form(pilot, "vip")
        await burst(pilot, "tab", "tab", "tab", "tab", "tab")
        assert app.screen.focused.id == "hidden"
        await burst(pilot, "space", "ctrl+s")
        assert models.get_group_by_code("vip").hidden
        await burst(pilot, "f2")
        assert "general, [vip]" in customers_row(app, first)


async def test_customers_groups_column_shows_another_admins_change_when_shown_again(tmp_path):
    make_db(tmp_path, 40)
    g, _ = models.create_group({"code": "trade", "name": "Trade", "hidden": True})
    first = models.customer_page(models.CustomerFilter(), sort="name", limit=1)[0]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await burst(pilot, "f2", "enter")  # the first customer, and back
        await burst(pilot, "escape")
        assert "trade" not in customers_row(app, first)
        await burst(pilot, "f3")
        models.assign_customers(g.id, models.Selection.ids([first.id]), actor="another admin")
        await burst(pilot, "f2")
        assert "general, [trade]" in customers_row(app, first)
        assert any("Groups [hidden]" in line for line in screen_lines(app))  # what the brackets mean
        # A dialog of the list's own (the keys) does not read the list again.
        reads = app.screen.table._fetch_seq
        await burst(pilot, "question_mark")
        await burst(pilot, "escape")
        assert isinstance(app.screen, CustomersScreen) and app.screen.table._fetch_seq == reads


def pending_now() -> int:
    return models.Review.select().where(models.Review.status == "pending").count()


def area_bar(app) -> str:
    return screen_lines(app)[1]


async def test_pending_reviews_count_on_every_screen(tmp_path, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setattr(statusline, "PENDING_EVERY", 0.2)  # another admin's work shows this soon
    counted_in: list[threading.Thread] = []
    count_reviews = models.count_reviews

    def counting(*args, **kwargs):
        counted_in.append(threading.current_thread())
        return count_reviews(*args, **kwargs)

    monkeypatch.setattr(models, "count_reviews", counting)
    make_db(tmp_path, 60)
    models.seed_reviews(80, rng_seed=5, today=TODAY)
    n = pending_now()
    assert n > 2
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.no_color
        assert area_bar(app).startswith(f" F2 Customers   F3 Groups   F4 Reviews · {n} pending ")
        assert area_bar(app).rstrip().endswith("Ctrl+P: all commands")  # all of it fits in 80 columns
        assert counted_in and threading.main_thread() not in counted_in  # never on the event loop
        # Every screen: the Customers list, a group's Edit form, a customer.
        await burst(pilot, "f2")
        assert f"F4 Reviews · {n} pending" in area_bar(app)
        await burst(pilot, "enter")
        assert isinstance(app.screen, CustomerScreen)
        assert f"F4 Reviews · {n} pending" in area_bar(app)
        await burst(pilot, "f3")
        await open_edit_form(pilot, "wholesale")
        assert f"F4 Reviews · {n} pending" in area_bar(app)
        await burst(pilot, "escape")
        # A moderation: counted again at once.
        await burst(pilot, "f4", "a")
        assert pending_now() == n - 1
        assert f"F4 Reviews · {n - 1} pending" in area_bar(app)
        # Another admin approves two: shown when it is next counted.
        queue = models.review_page(models.ReviewFilter(status="pending"), limit=2)
        models.moderate_reviews(models.Selection.ids([r.id for r in queue]), "approved", actor="another admin")
        await burst(pilot, "f2")
        for _ in range(50):
            if f"F4 Reviews · {n - 3} pending" in area_bar(app):
                break
            await asyncio.sleep(0.05)
            await settle(pilot)
        assert f"F4 Reviews · {n - 3} pending" in area_bar(app)
        assert_clean_screen(app, 80)


def test_pending_count_is_short_enough_for_80_columns():
    assert statusline.pending_text(None) == ""
    assert statusline.pending_text(0) == " · 0 pending"
    assert statusline.pending_text(9_999) == " · 9,999 pending"
    assert statusline.pending_text(12_345) == " · 12k pending"
    assert statusline.pending_text(999_999) == " · 999k pending"
    assert statusline.pending_text(1_000_000) == " · 1M pending"
    assert statusline.pending_text(1_234_567) == " · 1.2M pending"
    widest = max(len(statusline.pending_text(k)) for k in (9_999, 999_999, 12_345_678))
    # The area keys, the widest count, and the palette's hint, in 80 columns.
    assert len(" F2 Customers   F3 Groups   F4 Reviews ") + widest + len("  Ctrl+P: all commands ") <= 80
