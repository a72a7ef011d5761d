"""The outbox: join/leave notifications waiting to be exported (a window
over them, :class:`tui.outboxtable.OutboxTable`: there may be a million),
and their export to CSV or mbox."""

from __future__ import annotations

import os
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Header, Input, Label, Select

from backroom import models
from backroom.tui.areas import AreaBar, Footer
from backroom.tui.background import Background
from backroom.tui.dialogs import ConfirmModal
from backroom.tui.outboxtable import OutboxTable
from backroom.tui.safetext import SafeInput
from backroom.tui.roles import RoleGated
from backroom.tui.statusline import show_status


class OutboxScreen(RoleGated, Screen[None], Background):
    """Join/leave notifications waiting to be exported, oldest first (only
    the rows around the cursor are read), and Export to a CSV file or an
    mbox."""

    ROLE_ACTIONS = {"export": "export", "path": "export"}

    TITLE = "Outbox"
    BINDINGS = [
        Binding("escape", "back", "Back", tooltip="Back to where you were"),
        Binding("ctrl+s", "export", "Export", tooltip="Write every pending notification to the file and mark "
                "them exported"),
        Binding("ctrl+l", "path", "Export path", show=False, tooltip="Type the file to export to"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.exporting = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield AreaBar()
        yield Label("Loading…", id="outbox-status", classes="status", markup=False)
        yield OutboxTable(id="outbox")
        with Horizontal(classes="outbox-export"):
            yield Label("Export to", classes="explain-label")
            yield SafeInput(placeholder="file path, e.g. ~/outbox.csv", id="export-path", compact=True)
            yield Select([("CSV", "csv"), ("mbox", "mbox")], value="csv", allow_blank=False, id="export-format",
                         compact=True)
        yield Footer(compact=True)

    @property
    def table(self) -> OutboxTable:
        return self.query_one("#outbox", OutboxTable)

    def on_mount(self) -> None:
        self.table.focus()

    def load(self) -> None:
        """Read the outbox again, from the top."""
        self.table.reload()

    @on(OutboxTable.Status, "#outbox")
    def status_changed(self, event: OutboxTable.Status) -> None:
        if not self.exporting:
            show_status(self.query_one("#outbox-status", Label), event.table.status_text())

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
            self.load()

        def failed(exc: BaseException) -> None:
            self.exporting = False
            self.load()
            self.job_failed(exc)

        self.run_job(lambda: models.export_outbox(path, fmt=fmt), done, name="export", failed=failed)

    def action_back(self) -> None:
        """Esc: from the file box to the list; from the list, back."""
        if self.focused is self.query_one("#export-path", Input):
            self.table.focus()
            return
        if self.exporting:
            self.notify("Exporting… please wait.", severity="warning")
            return
        self.dismiss(None)
