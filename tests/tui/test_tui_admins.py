"""Pilot tests: what the session's admin may not do is not offered, and its
key, pressed anyway, says which role it needs; what they may do works and
is recorded under their name."""

from __future__ import annotations

from textual.widgets import Footer
from textual.widgets._footer import FooterKey
from tui_helpers import DB_LABEL, DrivenApp, confirm, make_db, notifications, settle

from backroom import models
from backroom.screens.customers import CustomerScreen, CustomersScreen
from backroom.screens.groups import GroupsScreen
from backroom.screens.reviews import ReviewsScreen
from backroom.tui.dialogs import ConfirmModal


def as_admin(tmp_path, role: str) -> DrivenApp:
    make_db(tmp_path, 60)
    models.add_admin("olga")
    models.use_admin("olga")
    models.add_admin("sam", role)
    models.use_admin("sam")
    return DrivenApp(db_label=DB_LABEL, admin=models.session_admin())


def footer_descriptions(screen) -> list[str]:
    return [k.description for k in screen.query_one(Footer).query(FooterKey)]


def palette(app) -> list[str]:
    return [c.title for c in app.get_system_commands(app.screen)]


async def test_a_moderator_moderates_and_is_offered_no_group_change(tmp_path):
    app = as_admin(tmp_path, "moderator")
    groups_before = models.CustomerGroup.select().count()
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            assert isinstance(app.screen, ReviewsScreen)  # a moderator starts where their work is
            assert "sam (moderator)" in app.sub_title
            assert "Approve" in footer_descriptions(app.screen)
            pending = models.review_status_counts()["pending"]
            await pilot.press("a")
            await settle(pilot)
            assert models.review_status_counts()["pending"] == pending - 1
            event = models.ReviewEvent.select().order_by(models.ReviewEvent.id.desc()).get()
            assert (event.status, event.actor) == ("approved", "sam")

            await pilot.press("f3")
            await settle(pilot)
            assert isinstance(app.screen, GroupsScreen)
            shown = footer_descriptions(app.screen)
            assert "View" in shown and not {"Add", "Edit", "Delete"} & set(shown)
            assert not {"Add", "Edit", "Delete", "Rules", "Access", "Outbox"} & set(palette(app))
            await pilot.press("d")
            await settle(pilot)
            assert not isinstance(app.screen, ConfirmModal)
            assert any("needs the owner or manager role; sam's role is moderator" in n for n in notifications(app))
            await pilot.press("a")
            await settle(pilot)
            assert isinstance(app.screen, GroupsScreen)
            assert models.CustomerGroup.select().count() == groups_before

            await pilot.press("f2")
            await settle(pilot)
            assert isinstance(app.screen, CustomersScreen)
            assert "New" not in footer_descriptions(app.screen)
    finally:
        models.use_admin(None)


async def test_support_edits_customers_but_neither_erases_nor_changes_groups(tmp_path):
    app = as_admin(tmp_path, "support")
    models.Customer.update(status="active").execute()
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            assert isinstance(app.screen, GroupsScreen)
            assert "sam (support)" in app.sub_title
            assert app.db_label == f"{DB_LABEL} as sam"  # drafts of their own, though the OS account is shared
            assert "Add" not in footer_descriptions(app.screen)
            await pilot.press("f2")
            await settle(pilot)
            assert "New" in footer_descriptions(app.screen)
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, CustomerScreen)
            titles = palette(app)
            assert "Reset password" in titles and "Disable" in titles
            assert "Erase personal data" not in titles
            hints = " ".join(str(label.render()) for label in app.screen.query(".form-hint"))
            assert "F6 reset password" in hints and "F8" not in hints
            customer_id = app.screen.customer_id
            await pilot.press("f8")
            await settle(pilot)
            assert isinstance(app.screen, CustomerScreen)  # no erase dialog
            assert any("Erasing a customer's personal data needs the owner or manager role; sam's role is support"
                       in n for n in notifications(app))
            await pilot.press("f7")
            await settle(pilot)
            assert isinstance(app.screen, ConfirmModal)
            await confirm(pilot)
            await settle(pilot)
            assert models.get_customer(customer_id).status == "disabled"
            last = models.AuditEntry.select().order_by(models.AuditEntry.id.desc()).get()
            assert (last.actor, last.entity_id) == ("sam", str(customer_id))
    finally:
        models.use_admin(None)
