"""History: the audit log newest first (a window over it,
:class:`tui.historytable.HistoryTable`), filtered by admin, kind of change,
group, customer and date; Enter opens what an entry changed (the customer's
screen, the group's View) or shows its before and after.

Opened from every area with F6 or the palette's "History".  Nothing here
writes; what an entry holds is shown inert (``plain()``, ``markup=False``).
"""

from __future__ import annotations

import json

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Header, Input, Label, Static

from backroom import models
from backroom.screens.undo import confirm_undo
from backroom.tui.areas import AreaBar, Footer
from backroom.tui.background import Background, error_message
from backroom.tui.historytable import HistoryTable
from backroom.tui.keys import WaitsForLists
from backroom.tui.roles import RoleGated
from backroom.tui.safetext import SafeInput
from backroom.tui.statusline import show_status

FILTERS = (
    # id, placeholder, audit_filter's keyword
    ("h-actor", "admin", "actor"),
    ("h-kind", "kind (group…)", "kind"),
    ("h-group", "group code", "group"),
    ("h-customer", "customer email", "customer"),
    ("h-since", "since date", "since"),
)

APPLY_AFTER = 0.3
"""Seconds after the last key typed in a filter box before the filter applies."""


def entry_text(row: models.AuditRow) -> Text:
    """An entry in full, inert: who, when, what, then before and after."""
    def block(value: object) -> str:
        if value is None:
            return "(nothing)"
        return models.inert_block(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False))

    text = Text(no_wrap=False)
    text.append(f"#{row.id} · {row.at:%Y-%m-%d %H:%M:%S} UTC · {models.clean_line(row.actor)}\n", style="bold")
    text.append(f"{models.clean_line(row.action)} of {models.clean_line(row.entity)} "
                f"{models.clean_line(row.entity_id or '')}\n\n")
    text.append("Before\n", style="bold underline")
    text.append(block(row.before) + "\n\n")
    text.append("After\n", style="bold underline")
    text.append(block(row.after))
    return text


UNDOABLE = ("group.assign", "group.unassign", "group.move", "group.members")
"""The entries ``u`` undoes (``group.members``: a form's save): their ``after`` names the change."""


class EntryModal(ModalScreen[None]):
    """One audit entry's before and after.  Esc or Enter closes it."""

    BINDINGS = [Binding("escape,enter", "close", "Close", show=False)]

    def __init__(self, row: models.AuditRow, note: str = "") -> None:
        super().__init__()
        self.row = row
        self.note = note

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog summary entry-detail"):
            yield Label("Audit entry", classes="dialog-title", markup=False)
            if self.note:
                yield Label(self.note, classes="hint", markup=False)
            with VerticalScroll(id="entry-scroll"):
                yield Static(entry_text(self.row), id="entry-body", markup=False)
            yield Label("↑↓ scroll · Esc closes", classes="hint", markup=False)

    def on_mount(self) -> None:
        self.query_one("#entry-scroll").focus()

    def action_close(self) -> None:
        self.dismiss(None)


class HistoryScreen(RoleGated, Screen[None], Background, WaitsForLists):
    """The audit log, newest first; the filter boxes narrow it as typed."""

    keys_ready = True

    TITLE = "History"
    ROLE_ACTIONS = {"undo_change": "bulk"}
    BINDINGS = [
        Binding("escape", "back", "Back", tooltip="Back to where you were (from a filter box: to the list)"),
        Binding("slash", "find", "Filter", tooltip="Type in the filter boxes (Tab to the next)"),
        Binding("d", "details", "Before/after", tooltip="Show this entry's before and after"),
        Binding("u", "undo_change", "Undo", tooltip="Undo this entry's assign, unassign or move of customers"),
        Binding("f5", "refresh", "Refresh", show=False, tooltip="Read the log again"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.applying_soon = False  # a filter waits to apply what was typed (WaitsForLists)
        self._apply_timer = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield AreaBar()
        with Horizontal(id="history-filter"):
            for fid, placeholder, _ in FILTERS:
                yield SafeInput(placeholder=placeholder, id=fid, compact=True)
        yield Label("Loading…", id="history-status", classes="status", markup=False)
        yield HistoryTable(id="history")
        yield Footer(compact=True)

    @property
    def table(self) -> HistoryTable:
        return self.query_one("#history", HistoryTable)

    def on_mount(self) -> None:
        self.table.focus()

    @on(HistoryTable.Status, "#history")
    def status_changed(self, event: HistoryTable.Status) -> None:
        if not self.applying_soon:
            show_status(self.query_one("#history-status", Label), event.table.status_text())

    # -- the filter ------------------------------------------------------------
    @on(Input.Changed)
    def filter_typed(self, event: Input.Changed) -> None:
        if event.input.id not in {fid for fid, _, _ in FILTERS}:
            return
        self.applying_soon = True
        if self._apply_timer is not None:
            self._apply_timer.stop()
        self._apply_timer = self.set_timer(APPLY_AFTER, self.apply_filter, name="history filter")

    @on(Input.Submitted)
    def filter_submitted(self, event: Input.Submitted) -> None:
        if self.applying_soon:
            self.apply_filter()
        self.table.focus()

    def typed(self) -> dict[str, str]:
        return {key: self.query_one(f"#{fid}", Input).value for fid, _, key in FILTERS}

    def apply_filter(self) -> None:
        """Read what the boxes say (a group's code and a customer's email are
        looked up in a worker) and show the entries it finds."""
        if self._apply_timer is not None:
            self._apply_timer.stop()
            self._apply_timer = None
        typed = self.typed()

        def done(f: models.AuditFilter) -> None:
            self.applying_soon = False
            self.table.set_filter(f)
            show_status(self.query_one("#history-status", Label), self.table.status_text())

        def failed(exc: BaseException) -> None:
            self.applying_soon = False
            show_status(self.query_one("#history-status", Label), error_message(exc))

        self.run_job(lambda: models.audit_filter(**typed), done, name="filter", failed=failed)

    def action_find(self) -> None:
        self.query_one(f"#{FILTERS[0][0]}", Input).focus()

    def action_refresh(self) -> None:
        self.table.reload()

    def action_back(self) -> None:
        if isinstance(self.focused, Input):
            self.table.focus()
            return
        self.dismiss(None)

    # -- opening an entry ----------------------------------------------------------
    def action_details(self) -> None:
        if isinstance(self.focused, Input):
            return
        row = self.table.current()
        if row is not None:
            self.app.push_screen(EntryModal(row))

    def action_undo_change(self) -> None:
        if isinstance(self.focused, Input):
            return
        row = self.table.current()
        change = row.after.get("change") if row is not None and isinstance(row.after, dict) else None
        if row is None or row.action not in UNDOABLE or not isinstance(change, int):
            self.notify("Only a change of members (a save, an assign, an unassign or a move) can be undone.",
                        severity="warning")
            return
        status = self.query_one("#history-status", Label)
        self.run_job(lambda: models.membership_change(change),
                     lambda op: confirm_undo(self, op, status=status, then=self.table.reload),
                     name="undo-read", hold_keys=True)

    @on(HistoryTable.Opened, "#history")
    def open_entry(self, event: HistoryTable.Opened) -> None:
        """The customer's screen or the group's View when the entry is about
        one that still exists; else the entry's before and after."""
        row = event.row
        target = row.target_id
        if row.entity not in ("customer", "group") or target is None:
            self.app.push_screen(EntryModal(row))
            return

        def exists() -> bool:
            try:
                (models.get_customer if row.entity == "customer" else models.get_group)(target)
            except models.NotFoundError:
                return False
            return True

        def found(yes: bool) -> None:
            if not yes:
                self.app.push_screen(EntryModal(row, f"That {row.entity} no longer exists."))
            elif row.entity == "customer":
                from backroom.screens.customer import CustomerScreen

                self.app.push_screen(CustomerScreen(target))
            else:
                from backroom.screens.groups.view import GroupViewScreen

                self.app.push_screen(GroupViewScreen(target))

        self.run_job(exists, found, name="open", hold_keys=True)
