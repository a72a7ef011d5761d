"""The Groups tab: the customer's groups; ``a`` add, ``x`` remove, ``m`` make default."""

from __future__ import annotations

from typing import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable, Label

from backroom import models
from backroom.screens.customer.base import CustomerTab
from backroom.screens.customer.dialogs import GroupPickerModal
from backroom.tui.background import error_message
from backroom.tui.dialogs import ConfirmModal
from backroom.tui.safetext import safe_line
from backroom.tui.formatters import plain


class GroupsTab(CustomerTab):
    TITLE = "Groups"
    PANE_ID = "cust-groups"
    FIRST = "#groups-table"

    def __init__(self, customer_id: int) -> None:
        super().__init__(customer_id)
        self.groups: list[models.CustomerGroup] = []
        self._highlight: int | None = None  # the group the cursor goes to once the list is read again

    def fetch(self) -> list[models.CustomerGroup]:
        return models.customer_groups(self.customer_id)

    def compose_content(self) -> ComposeResult:
        yield Label("", id="member-of-status", classes="status", markup=False)
        yield DataTable(id="groups-table", cursor_type="row", zebra_stripes=True)
        yield Label("a add · x remove · m make default", classes="hint keys")

    @property
    def table(self) -> DataTable:
        return self.query_one("#groups-table", DataTable)

    def show_data(self, groups: list[models.CustomerGroup]) -> None:
        current = self.current_group()
        wanted, self._highlight = self._highlight, None
        self.groups = groups
        if wanted is not None:
            current = next((g for g in groups if g.id == wanted), current)
        self._show(current)

    def customer_updated(self) -> None:
        self._show(self.current_group())  # the default group may have changed

    def _show(self, current: models.CustomerGroup | None) -> None:
        assert self.customer is not None
        default_id = self.customer.default_group_id
        table = self.table
        table.clear(columns=True)
        table.add_column("Name", key="name")
        table.add_column("Code", key="code")
        table.add_column("Default", key="default")
        table.add_column("Hidden", key="hidden")
        for g in self.groups:
            table.add_row(plain(g.name), plain(g.code), "default" if g.id == default_id else "",
                          "hidden" if g.hidden else "", key=str(g.id))
        if current is not None:
            for i, g in enumerate(self.groups):
                if g.id == current.id:
                    table.move_cursor(row=i)
        n = len(self.groups)
        default = next((g for g in self.groups if g.id == default_id), None)
        self.query_one("#member-of-status", Label).update(
            f"{n} group{'s' if n != 1 else ''} · default: {models.clean_line(default.name) if default else '?'}")

    def current_group(self) -> models.CustomerGroup | None:
        if not self.loaded or not self.groups or self.table.row_count == 0:
            return None
        row = self.table.cursor_row
        return self.groups[row] if 0 <= row < len(self.groups) else None

    def _group_op(self, job: Callable[[], models.CustomerWrite], message: str, *,
                  highlight: int | None = None) -> None:
        """Run a membership operation; then the list again, the cursor on
        group ``highlight`` when given (the one just added)."""
        def done(write: models.CustomerWrite) -> None:
            self.changed(write)
            self.notify(message, markup=False)
            self.status(message)
            if highlight is not None:
                self._highlight = highlight
            self.load()

        def failed(exc: BaseException) -> None:
            self.status(f"Not changed: {error_message(exc)}")
            self.notify(error_message(exc), title="Not changed", severity="error", markup=False)
            self.load()

        self.run_job(job, done, name="group-op", failed=failed)

    def add(self) -> None:
        cid = self.customer_id

        def offer(candidates: list[models.GroupRow]) -> None:
            if not candidates:
                self.notify("The customer is already in every group.")
                return

            def chosen(group_id: int | None) -> None:
                if group_id is None:
                    return
                g = next(g for g in candidates if g.id == group_id)
                self._group_op(lambda: models.join_group(cid, group_id), f"Added to {models.clean_line(g.name)}.",
                               highlight=group_id)

            self.app.push_screen(GroupPickerModal(candidates), chosen)

        # System groups are offered too, marked: choosing one shows the operation's refusal.
        # The keys typed meanwhile are for the picker (e.g. a, ↓, Enter).
        self.run_job(lambda: models.assignable_groups(cid, include_locked=True), offer, name="candidates",
                     hold_keys=True)

    def remove(self) -> None:
        g = self.current_group()
        if g is None:
            self.notify("No group is highlighted.", severity="warning")
            return
        cid, gid = self.customer_id, g.id

        def remove() -> None:
            self._group_op(lambda: models.leave_group(cid, gid), f"Removed from {models.clean_line(g.name)}.")

        c = self.customer
        if c is None or g.id != c.default_group_id or g.code == "general":
            remove()  # (General, while it is the default group, is refused by the operation)
            return
        question = Text("Remove ")
        question.append(safe_line(c.full_name or c.email), style="bold")
        question.append(" from ")
        question.append(safe_line(g.name), style="bold")
        question.append("? It is their default group: General becomes their default group, "
                        "with its prices and tax class.")
        self.app.push_screen(ConfirmModal("Remove from default group", question, yes="Remove", no="Keep"),
                             lambda yes: remove() if yes else None)

    def make_default(self) -> None:
        g = self.current_group()
        if g is None:
            self.notify("No group is highlighted.", severity="warning")
            return
        cid, gid, version = self.customer_id, g.id, self.version

        def job() -> models.CustomerWrite:
            # set_default_group writes over exactly the version it is given.
            return models.CustomerWrite(models.set_default_group(cid, gid, expected_version=version), version)

        self._group_op(job, f"{models.clean_line(g.name)} is now the default group.")
