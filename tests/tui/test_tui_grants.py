"""Pilot tests: what a group grants (Access tab, Guest's access), Explain,
the rules editor and the outbox, pressed through the UI and checked in the
database."""

from __future__ import annotations

import csv
import threading
from decimal import Decimal

import pytest

from backroom import models
from backroom.screens.grants import access as access_screen
from backroom.screens.grants import AccessScreen, ExplainScreen, OutboxScreen, RulesScreen
from backroom.screens.groups import GroupFormScreen, GroupsScreen
from tui_helpers import confirm, highlight_group, make_app, make_db, notifications, settle, type_text
from textual.widgets import Label, Static, TabbedContent
from backroom.tui.dialogs import ConfirmModal


def category(slug: str) -> models.Category:
    return models.Category.get(models.Category.slug == slug)


async def open_for(pilot, code: str, key: str) -> None:
    await settle(pilot)
    await highlight_group(pilot, code)
    await pilot.press(key)
    await settle(pilot)


async def test_access_tab_saves_ticks_and_discounts(tmp_path):
    make_db(tmp_path, 40)
    g, _ = models.create_group({"code": "vip", "name": "VIP"})
    brewing, coffee = category("brewing-gear"), category("coffee")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_for(pilot, "vip", "c")
        form = app.screen
        assert isinstance(form, GroupFormScreen)
        assert form.query_one(TabbedContent).active == "access"
        assert form.focused.id == f"access-{brewing.id}"  # categories by name: Brewing gear first
        await pilot.press("space", "tab")  # tick Brewing gear, on to its discount
        assert form.focused.id == f"cat-discount-{brewing.id}"
        await type_text(pilot, "150")
        await pilot.press("ctrl+s")
        await settle(pilot)
        # Refused, beside the category, and nothing written.
        assert app.screen is form
        error = str(form.query_one(f"#err-cat-{brewing.id}", Label).render())
        assert "0 to 100" in error
        assert models.group_category_access(g.id) == set() and models.category_discounts(g.id) == {}
        await pilot.press("end", "ctrl+u")
        await type_text(pilot, "12.5")
        await pilot.press("tab", "tab")  # Coffee's tick, then its discount
        await type_text(pilot, "5")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, GroupFormScreen)
    assert models.group_category_access(g.id) == {brewing.id}
    assert models.category_discounts(g.id) == {brewing.id: Decimal("12.5"), coffee.id: Decimal("5")}
    assert models.CategoryAccess.select().where(models.CategoryAccess.group == g.id).count() == 1


async def test_restrict_a_category_from_the_access_tab(tmp_path):
    make_db(tmp_path, 10)
    tea = category("tea")
    assert not tea.restricted
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_for(pilot, "wholesale", "e")
        await pilot.press("ctrl+n", "ctrl+n")  # General -> Customers -> Access
        await settle(pilot)
        assert app.screen.query_one(TabbedContent).active == "access"
        for _ in range(6):  # down the rows (tick, discount) to Tea's tick
            if app.screen.focused.id == f"access-{tea.id}":
                break
            await pilot.press("tab")
        assert app.screen.focused.id == f"access-{tea.id}"
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert "restricted" in str(app.screen.query_one(f"#restricted-{tea.id}", Label).render())
    assert category("tea").restricted


async def test_guest_access_editor(tmp_path):
    make_db(tmp_path, 10)
    guest, sacks = models.guest_group(), category("wholesale-sacks")
    assert not models.explain(None, category_id=sacks.id).visible
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_for(pilot, "guest", "c")
        assert isinstance(app.screen, AccessScreen)
        assert not app.screen.query(".access-discount")  # Guest has no discounts to set
        for _ in range(5):
            if app.screen.focused.id == f"access-{sacks.id}":
                break
            await pilot.press("tab")
        await pilot.press("space", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, GroupsScreen)
        # Guest itself stays locked.
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, GroupsScreen)
    assert models.group_category_access(guest.id) == {sacks.id}
    assert models.explain(None, category_id=sacks.id).visible
    assert models.get_group(guest.id).version == guest.version


async def test_explain_view_shows_what_models_explain_says(tmp_path):
    make_db(tmp_path, 40)
    wholesale = models.get_group_by_code("wholesale")
    models.update_group(wholesale.id, {"discount_percent": "10"}, expected_version=wholesale.version)
    member = models.customer_page(models.CustomerFilter(group_id=wholesale.id), sort="name", limit=1)[0]
    first_product = models.Product.select().order_by(models.Product.name).first()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ExplainScreen)
        await type_text(pilot, member.email)
        await settle(pilot)
        await pilot.press("enter")  # the best match
        await settle(pilot)
        assert screen.customer_id == member.id
        assert screen.focused.id == "explain-product"
        await pilot.press("enter", "down", "enter")  # the first product
        await settle(pilot)
        e = screen.explanation
        expected = models.explain(member.id, product_id=first_product.id)
        assert e == expected
        assert expected.discount_percent == 10 and expected.discount_group == "Wholesale"
        shown = str(screen.query_one("#explain-result", Static).content)
        assert f"{expected.price:,.2f}" in shown and "Wholesale" in shown
        assert ("Can see it     yes" if expected.visible else "Can see it     NO") in shown
        # A visitor who is not logged in.
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert screen.customer_id is None
        assert screen.explanation == models.explain(None, product_id=first_product.id)
        assert "visitor" in str(screen.query_one("#explain-result", Static).content)


async def test_rules_editor_save_preview_apply(tmp_path):
    make_db(tmp_path, 60)
    g, _ = models.create_group({"code": "big", "name": "Big spenders"})
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_for(pilot, "big", "u")
        screen = app.screen
        assert isinstance(screen, RulesScreen)
        assert "rule-field" in screen.focused.classes
        await pilot.press("enter", "down", "enter")  # Total spent
        await settle(pilot)
        await pilot.press("tab", "tab")  # the operator is "at least" already
        await type_text(pilot, "200")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert models.get_rules(g.id) == ("all", [models.Rule("total_spent", ">=", "200")])
        preview = models.preview_rules(g.id)
        assert preview.joining > 0
        shown = str(screen.query_one("#rules-preview", Static).render())
        assert f"{preview.joining:,} would join, 0 would leave" in shown
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        assert f"{preview.joining:,} customers join" in str(app.screen.query_one(".dialog-body").render())
        await confirm(pilot)
        await settle(pilot)
        assert app.screen is screen
        assert f"{preview.joining:,} joined, 0 left." in notifications(app)
        assert "0 would join, 0 would leave" in str(screen.query_one("#rules-preview", Static).render())
    rule_made = models.Membership.select().where((models.Membership.group == g.id)
                                                 & (models.Membership.source == "rule"))
    assert rule_made.count() == preview.joining == models.group_member_count(g.id)
    assert models.count_customers(models.build_filter(spent_min="200")) == preview.joining


async def test_invalid_rule_shows_an_error_and_writes_nothing(tmp_path):
    make_db(tmp_path, 10)
    g, _ = models.create_group({"code": "big", "name": "Big spenders"})
    audits = models.AuditEntry.select().count()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_for(pilot, "big", "u")
        screen = app.screen
        await pilot.press("ctrl+n")  # a second rule
        await settle(pilot)
        await pilot.press("enter", "down", "down", "down", "enter")  # Registered
        await settle(pilot)
        await pilot.press("tab", "tab")
        await type_text(pilot, "someday")
        await pilot.press("ctrl+s")
        await settle(pilot)
        errors = [str(label.render()) for label in screen.query(".rule-error")]
        assert errors[0] == ""  # the blank first rule is dropped, not refused
        assert errors[1].startswith("Rule 2: ") and "someday" in errors[1]
        assert screen.focused.has_class("rule-value")
        # Preview and apply use saved rules only.
        await pilot.press("f6")
        await settle(pilot)
        assert app.screen is screen
    assert models.get_rules(g.id) == ("all", [])
    assert not models.GroupRuleSet.select().exists()
    assert models.AuditEntry.select().count() == audits


async def test_outbox_window_and_export(tmp_path):
    make_db(tmp_path, 80)
    g, _ = models.create_group({"code": "vip", "name": "VIP"})
    ids = [r.id for r in models.customer_page(models.CustomerFilter(), limit=60)]
    models.assign_customers(g.id, models.Selection.ids(ids))
    queued = models.outbox_count()
    assert queued >= 60
    everything = [r.id for r in models.outbox(limit=queued)]
    target = tmp_path / "out.csv"
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, OutboxScreen)
        table = screen.table
        assert f"{queued:,} pending · row 1" in str(screen.query_one("#outbox-status", Label).render())
        # The rows on screen are the first notifications queued, in order; a window, not all of them.
        shown = table.row_count
        assert 0 < shown < queued
        assert [int(str(table.get_row_at(i)[0])) for i in range(shown)] == everything[:shown]
        await pilot.press("pagedown")
        await settle(pilot)
        assert table.position == shown and table.current().id == everything[shown]
        await pilot.press("end")
        await settle(pilot)
        assert table.position == queued - 1 and table.current().id == everything[-1]
        await pilot.press("home")
        await settle(pilot)
        assert table.position == 0 and table.current().id == everything[0]
        await pilot.press("ctrl+l")
        await type_text(pilot, str(target))
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert any(f"Exported {queued:,} notifications" in n for n in notifications(app))
        assert "empty" in str(screen.query_one("#outbox-status", Label).render())
        assert table.total == 0 and table.row_count == 0
    with open(target, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == queued and {r["group"] for r in rows} >= {"VIP"}
    assert models.outbox_count() == 0


async def test_palette_offers_the_grants_screens(tmp_path):
    make_db(tmp_path, 0)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for wanted in ("Access", "Rules", "Explain a price", "Outbox"):
            assert wanted in titles
        # Less-used actions stay out of the busy footer.
        shown = {b.binding.description for b in app.screen.active_bindings.values() if b.binding.show}
        assert not shown & {"Access", "Rules", "Explain a price", "Outbox"}


async def test_hidden_group_is_marked_in_list_and_view(tmp_path):
    make_db(tmp_path, 10)
    g, _ = models.create_group({"code": "secret", "name": "Secret", "hidden": True})
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_for(pilot, "secret", "v")
        details = str(app.screen.query_one("#group-details", Static).render())
        assert "hidden: never shown to customers" in details
        await pilot.press("escape")
        await settle(pilot)
        table = app.screen.query_one("#groups")
        row = [r.code for r in app.screen.rows].index("secret")
        assert str(table.get_cell_at((row, 6))) == "yes"


@pytest.fixture
def held_back(monkeypatch):
    """Hold back the reads of the Access and Rules screens until the test
    sets the returned event."""
    gate = threading.Event()

    def slow(read):
        def wrapper(*args):
            assert gate.wait(10), "the test never let the screen load"
            return read(*args)
        return wrapper

    monkeypatch.setattr(access_screen, "read_grants", slow(access_screen.read_grants))
    monkeypatch.setattr(models, "get_rules", slow(models.get_rules))
    yield gate
    gate.set()


async def test_keys_typed_while_guest_access_loads_are_kept(tmp_path, held_back):
    make_db(tmp_path, 10)
    brewing = category("brewing-gear")  # by name, the first category
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await highlight_group(pilot, "guest")
        await pilot.press("c")
        screen = app.screen
        assert isinstance(screen, AccessScreen) and not screen.is_loaded
        await pilot.press("space", "ctrl+s")
        assert app.screen is screen
        held_back.set()
        await settle(pilot)
        assert isinstance(app.screen, GroupsScreen)
    assert models.group_category_access(models.guest_group().id) == {brewing.id}


async def test_keys_typed_while_the_rules_load_are_kept(tmp_path, held_back):
    make_db(tmp_path, 30)
    g, _ = models.create_group({"code": "big", "name": "Big spenders"})
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await highlight_group(pilot, "big")
        await pilot.press("u")
        screen = app.screen
        assert isinstance(screen, RulesScreen) and not screen.is_loaded
        await pilot.press("enter", "down", "enter", "tab", "tab")  # Total spent, at least
        await type_text(pilot, "200")
        await pilot.press("ctrl+s")
        held_back.set()
        await settle(pilot)
        assert app.screen is screen
    assert models.get_rules(g.id) == ("all", [models.Rule("total_spent", ">=", "200")])


async def test_access_rows_come_with_their_tab_and_keys_typed_ahead_reach_them(tmp_path):
    """The form mounts the Access rows only when their tab is first shown;
    a burst of keys typed before (a code, a name, Ctrl+N twice, space) still
    ticks the first category, and a form saved without ever showing the tab
    keeps a draft's ticks."""
    from test_tui_groups import burst

    make_db(tmp_path, 10)
    brewing = category("brewing-gear")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        burst(app, "a", *"lazy", "tab", *"Lazy")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, GroupFormScreen)
        assert form.access_editor.rows_pending and not form.query(access_screen.AccessRow)
        assert form.access_editor.values() == (set(), {c.id: "" for c in models.categories()})
        burst(app, "ctrl+n", "ctrl+n", "space", "tab", *"7", "ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, GroupFormScreen)
    g = models.get_group_by_code("lazy")
    assert models.group_category_access(g.id) == {brewing.id}
    assert models.category_discounts(g.id) == {brewing.id: Decimal(7)}


async def test_a_discount_refused_before_the_access_tab_was_shown_shows_there(tmp_path):
    """Values put in while the rows are not mounted (a draft) and an error on
    them come up on the Access tab when it is first shown."""
    make_db(tmp_path, 10)
    brewing = category("brewing-gear")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, GroupFormScreen) and form.access_editor.rows_pending
        await type_text(pilot, "bad")
        await pilot.press("tab")
        await type_text(pilot, "Bad")
        form.access_editor.set_values({brewing.id}, {brewing.id: "150"})  # as a draft puts them back
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert form.query_one(TabbedContent).active == "access"
        assert not form.access_editor.rows_pending
        assert "0 to 100" in str(form.query_one(f"#err-cat-{brewing.id}", Label).render())
        assert form.focused.id == f"cat-discount-{brewing.id}"
    with pytest.raises(models.NotFoundError):
        models.get_group_by_code("bad")
