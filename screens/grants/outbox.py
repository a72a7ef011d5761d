"""The outbox: join/leave notifications waiting to be exported, and their
export to CSV or mbox."""

from __future__ import annotations

import os
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Label, Select

from backroom import models
from backroom.tui.areas import AreaBar
from backroom.tui.background import Background
from backroom.tui.dialogs import ConfirmModal
from backroom.tui.formatters import date_text, plain
from backroom.tui.safetext import SafeInput
from backroom.tui.roles import RoleGated


class OutboxScreen(RoleGated, Screen[None], Background):
    """Join/leave notifications waiting to be exported, a page at a time,
    and Export to a CSV file or an mbox."""

    ROLE_ACTIONS = {"export": "export", "path": "export"}

    TITLE = "Outbox"
    PAGE = 50
    BINDINGS = [
        Binding("escape", "back", "Back", tooltip="Back to where you were"),
        Binding("n", "next_page", "Next page", tooltip="The next page of notifications"),
        Binding("p", "prev_page", "Prev page", tooltip="The previous page of notifications"),
        Binding("ctrl+s", "export", "Export", tooltip="Write every pending notification to the file and mark "
                "them exported"),
        Binding("ctrl+l", "path", "Export path", show=False, tooltip="Type the file to export to"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.pages: list[int] = [0]  # the after_id of each page so far
        self.rows: list[models.OutboxRow] = []
        self.has_next = False
        self.total: int | None = None
        self.exporting = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield AreaBar()
        yield Label("Loading…", id="outbox-status", classes="status", markup=False)
        yield DataTable(id="outbox", cursor_type="row", zebra_stripes=True)
        with Horizontal(classes="outbox-export"):
            yield Label("Export to", classes="explain-label")
            yield SafeInput(placeholder="file path, e.g. ~/outbox.csv", id="export-path", compact=True)
            yield Select([("CSV", "csv"), ("mbox", "mbox")], value="csv", allow_blank=False, id="export-format",
                         compact=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#outbox", DataTable)
        table.add_column("Id", key="id")
        table.add_column("Queued", key="at")
        table.add_column("Customer", key="name", width=13)
        table.add_column("Email", key="email", width=20)
        table.add_column("Event", key="event", width=13)
        table.add_column("Group", key="group", width=10)
        table.focus()
        self.load()

    def load(self) -> None:
        after, limit = self.pages[-1], self.PAGE

        def job() -> tuple[list[models.OutboxRow], int]:
            return models.outbox(after_id=after, limit=limit + 1), models.outbox_count()

        self.run_job(job, self.show, name="outbox")

    def show(self, result: tuple[list[models.OutboxRow], int]) -> None:
        rows, total = result
        self.has_next = len(rows) > self.PAGE
        self.rows = rows[:self.PAGE]
        self.total = total
        table = self.query_one("#outbox", DataTable)
        table.clear()
        for r in self.rows:
            table.add_row(str(r.id), plain(date_text(r.created_at)), plain(r.name), plain(r.email),
                          plain(f"{r.event}·{r.source}"), plain(r.group), key=str(r.id))
        page = len(self.pages)
        if total == 0:
            status = "No notifications waiting: the outbox is empty."
        elif not self.rows:
            status = f"{total:,} pending · no more on this page"
        else:
            status = (f"{total:,} pending · page {page} · "
                      f"{'n: next page · ' if self.has_next else ''}{'p: previous · ' if page > 1 else ''}"
                      "ctrl+s export")
        self.query_one("#outbox-status", Label).update(status)
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.role_refusal(action) is not None:  # not for this admin's role (RoleGated)
            return False
        if action == "next_page":
            return self.has_next or None
        if action == "prev_page":
            return len(self.pages) > 1 or None
        return True

    def action_next_page(self) -> None:
        if self.has_next and self.rows:
            self.pages.append(self.rows[-1].id)
            self.load()

    def action_prev_page(self) -> None:
        if len(self.pages) > 1:
            self.pages.pop()
            self.load()

    def action_path(self) -> None:
        self.query_one("#export-path", Input).focus()

    @on(Input.Submitted, "#export-path")
    def path_submitted(self) -> None:
        self.action_export()

    def action_export(self) -> None:
        if self.exporting:
            return
        typed = self.query_one("#export-path", Input).value.strip()
        if not typed:
            self.notify("Type the file to export to first.", severity="warning")
            self.action_path()
            return
        path = os.path.expanduser(typed)
        fmt = str(self.query_one("#export-format", Select).value)
        if Path(path).is_dir():
            self.notify(f"{typed} is a folder: type a file name.", severity="error", markup=False)
            return
        if Path(path).exists():
            self.app.push_screen(ConfirmModal("Replace file?", Text(f"{models.clean_line(typed)} exists. Replace it?"),
                                              yes="Replace", no="Keep"),
                                 lambda yes: self._export(path, fmt) if yes else None)
            return
        self._export(path, fmt)

    def _export(self, path: str, fmt: str) -> None:
        self.exporting = True
        self.query_one("#outbox-status", Label).update("Exporting…")

        def done(n: int) -> None:
            self.exporting = False
            if n:
                self.notify(f"Exported {n:,} notification{'s' if n != 1 else ''} to {path} ({fmt}).",
                            title="Outbox exported", markup=False)
            else:
                self.notify("Nothing to export: the outbox is empty.", title="Outbox")
            self.pages = [0]
            self.load()

        def failed(exc: BaseException) -> None:
            self.exporting = False
            self.load()
            self.job_failed(exc)

        self.run_job(lambda: models.export_outbox(path, fmt=fmt), done, name="export", failed=failed)

    def action_back(self) -> None:
        """Esc: from the file box to the list; from the list, back."""
        if self.focused is self.query_one("#export-path", Input):
            self.query_one("#outbox", DataTable).focus()
            return
        if self.exporting:
            self.notify("Exporting… please wait.", severity="warning")
            return
        self.dismiss(None)
