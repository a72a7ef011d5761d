"""A customer group's details and its members."""

from __future__ import annotations

import dataclasses

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Header, Input, Label, Static

from backroom import models
from backroom.screens.customers import CustomerScreen
from backroom.screens.groups.actions import GroupActions
from backroom.screens.undo import UNDO_BINDING, UNDO_ROLE_ACTIONS, UndoesMembershipChange
from backroom.tui.areas import AreaBar, Footer
from backroom.tui.customertable import CustomerTable
from backroom.tui.filters import FilterBar
from backroom.tui.formatters import percent, yes_no
from backroom.tui.keys import WaitsForLists
from backroom.tui.roles import RoleGated
from backroom.tui.statusline import show_status


class GroupViewScreen(RoleGated, UndoesMembershipChange, Screen, GroupActions, WaitsForLists):
    """A group's details and its members.  Keys typed for the members wait
    while they are being read (WaitsForLists)."""

    ROLE_ACTIONS = {"edit": "groups", "delete": "groups", "access": "groups", "rules": "rules",
                    "export_members": "export", **UNDO_ROLE_ACTIONS}

    keys_ready = True

    BINDINGS = [
        Binding("escape", "back", "Back", tooltip="Back to the list"),
        Binding("e", "edit", "Edit", tooltip="Edit this group"),
        Binding("d", "delete", "Delete", tooltip="Delete this group"),
        Binding("slash", "find", "Find", tooltip="Filter the members"),
        Binding("c", "access", "Access", show=False,
                tooltip="What this group may see and its category discounts (Guest: visitors)"),
        Binding("u", "rules", "Rules", tooltip="The rules that add and remove members automatically"),
        Binding("x", "export_members", "Export members", show=False,
                tooltip="Write this group's members (who added them, when) to a CSV file"),
        UNDO_BINDING,
    ]

    def __init__(self, group_id: int) -> None:
        super().__init__()
        self.group_id = group_id
        self.row: models.GroupRow | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield AreaBar()
        yield Static("Loading…", id="group-details", markup=False)
        yield Label("Members", classes="section-title")
        yield FilterBar(full=False, id="member-filter")
        yield Label("", id="members-status", classes="status", markup=False)
        yield CustomerTable(selectable=False, customer_filter=models.CustomerFilter(group_id=self.group_id),
                            id="members")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#members", CustomerTable).focus()
        self.load()

    def load(self) -> None:
        gid = self.group_id

        self.run_job(lambda: models.group_row(gid), self.show, name="group")

    def show(self, row: models.GroupRow) -> None:
        self.row = row
        self.title = f"Group: {models.clean_line(row.name)}"
        text = Text(no_wrap=False)
        text.append(f"{'Name':<14}", style="bold")
        text.append(models.clean_line(row.name))
        if row.is_system:
            text.append("  (system group: locked)", style="italic")
        if row.hidden:
            text.append("  (hidden: never shown to customers)", style="italic")
        pairs = [
            ("Code", row.code), ("Members", f"{row.member_count:,}"),
            ("Tax class", row.tax_class or "none"), ("Discount", percent(row.discount_percent)),
            ("Free shipping", yes_no(row.free_shipping)), ("Hidden", yes_no(row.hidden)),
        ]
        for i, (label, value) in enumerate(pairs):
            text.append("\n" if i % 2 == 0 else "  ")
            text.append(f"{label:<14}", style="bold")
            value = models.clean_line(value)
            text.append(value.ljust(24) if i % 2 == 0 else value)
        text.append("\n")
        text.append(f"{'Description':<14}", style="bold")
        text.append(models.clean_line(row.description.replace("\n", " ")))
        self.query_one("#group-details", Static).update(text)

    @on(FilterBar.Changed, "#member-filter")
    def filter_changed(self, event: FilterBar.Changed) -> None:
        flt = dataclasses.replace(event.filter, group_id=self.group_id)
        self.query_one("#members", CustomerTable).set_filter(flt)

    @on(FilterBar.Submitted, "#member-filter")
    def filter_submitted(self) -> None:
        self.query_one("#members", CustomerTable).focus()

    @on(CustomerTable.Status, "#members")
    def status_changed(self, event: CustomerTable.Status) -> None:
        show_status(self.query_one("#members-status", Label), event.table.status_text())

    @on(CustomerTable.Opened, "#members")
    def open_customer(self, event: CustomerTable.Opened) -> None:
        """Enter on a member: the customer screen, on this mode's stack (Esc comes back here)."""
        self.app.push_screen(CustomerScreen(event.customer_id))

    def action_back(self) -> None:
        self.dismiss(None)

    def action_find(self) -> None:
        self.query_one("#f-text", Input).focus()

    def action_edit(self) -> None:
        if self.row is not None:
            self.edit_group(self.row)

    def action_delete(self) -> None:
        if self.row is not None:
            self.delete_group(self.row)

    def action_access(self) -> None:
        if self.row is not None:
            self.edit_access(self.row)

    def action_export_members(self) -> None:
        from backroom.screens.transfer import export_members  # used rarely: loaded when first asked for

        if self.row is not None:
            export_members(self, self.row.code, models.clean_line(self.row.name))

    def action_rules(self) -> None:
        if self.row is not None:
            self.edit_rules(self.row)

    def on_screen_resume(self) -> None:
        if self.row is not None:  # back from rules or access: members may have changed
            self.load()
            self.query_one("#members", CustomerTable).reload()

    def undo_group_id(self) -> int:
        return self.group_id

    def undo_status(self) -> Label:
        return self.query_one("#members-status", Label)

    def after_undo(self) -> None:
        self.load()
        self.query_one("#members", CustomerTable).reload()

    def after_edit(self, group_id: int | None) -> None:
        if group_id is not None:
            self.load()
            self.query_one("#members", CustomerTable).reload()

    def deleted(self, row: models.GroupRow, removed: int) -> None:
        super().deleted(row, removed)
        self.dismiss(None)
