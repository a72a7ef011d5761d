"""Tax classes (from the Groups list's palette): the classes groups are
charged by, how many groups use each and which is the shop's default; add,
rename, delete (only an unused one) and make default."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, DataTable, Header, Input, Label

from backroom import models
from backroom.tui.areas import AreaBar, Footer
from backroom.tui.background import Background, error_message
from backroom.tui.dialogs import ConfirmModal, InputDialog
from backroom.tui.formatters import percent, plain
from backroom.tui.keys import WaitsForLists
from backroom.tui.roles import RoleGated
from backroom.tui.safetext import SafeInput, safe_line


class TaxClassDialog(Background, InputDialog):
    """Add a tax class (name and rate) or rename one (``row`` given).  It
    runs the operation itself, so a refused name is said under the field
    and the dialog stays; dismisses with the class's id once saved."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", tooltip="Close without saving")]

    def __init__(self, row: models.TaxClassRow | None = None) -> None:
        super().__init__()
        self.row = row
        self.saving = False

    def compose(self) -> ComposeResult:
        adding = self.row is None
        with Vertical(id="dialog", classes="dialog summary tax-dialog"):
            title = "Add a tax class" if adding else f"Rename {safe_line(self.row.name)}"
            yield Label(title, classes="dialog-title", markup=False)
            yield Label("Name", markup=False)
            yield SafeInput(self.row.name if self.row else "", id="tax-name", max_length=models.TAX_NAME_MAX,
                            compact=True)
            yield Label("", id="tax-name-error", classes="error", markup=False)
            if adding:
                yield Label("Rate % (0 to 100)", markup=False)
                yield SafeInput("0", id="tax-rate", compact=True)
                yield Label("", id="tax-rate-error", classes="error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (enter)", id="save", variant="primary")
                yield Button("Cancel (esc)", id="cancel")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "tax-name" and self.row is None:  # Enter in the name: on to the rate
            event.stop()
            event.prevent_default()
            self.query_one("#tax-rate", Input).focus()

    def _errors(self, errors: dict[str, str]) -> None:
        for field, key in (("name", "#tax-name-error"), ("rate_percent", "#tax-rate-error")):
            for label in self.query(key).results(Label):
                label.update(errors.get(field, ""))
                label.set_class(field in errors, "-shown")
        if "rate_percent" in errors and "name" not in errors:
            self.query_one("#tax-rate", Input).focus()
        elif "name" in errors:
            self.query_one("#tax-name", Input).focus()

    def action_submit(self) -> None:
        if self.saving:
            return
        name = self.query_one("#tax-name", Input).value
        row = self.row
        if row is None:
            rate = self.query_one("#tax-rate", Input).value

            def job() -> int:
                return models.add_tax_class(name, rate).id
        else:
            def job() -> int:
                return models.rename_tax_class(row.id, name).id
        self.saving = True
        # The keys typed meanwhile wait: they are for the list once it is saved (or the field it refused).
        self.run_job(job, self._saved, name="save", failed=self._failed, hold_keys=True)

    def _saved(self, tax_id: int) -> None:
        self.saving = False
        self.dismiss(tax_id)

    def _failed(self, exc: BaseException) -> None:
        self.saving = False
        if isinstance(exc, models.ValidationError):
            self._errors({k: models.clean_line(v) for k, v in exc.errors.items()})
        else:
            self._errors({"name": error_message(exc)})


def delete_question(row: models.TaxClassRow) -> Text:
    text = Text("Delete the tax class ")
    text.append(safe_line(row.name), style="bold")
    text.append("? No group uses it.")
    return text


class TaxClassesScreen(RoleGated, Screen[None], Background, WaitsForLists):
    """Every tax class with its rate, how many groups use it and which is
    the default new groups get.  Changing them is the owner's (a setting)."""

    ROLE_ACTIONS = {"add": "admins", "rename": "admins", "delete": "admins", "make_default": "admins"}

    keys_ready = True
    TITLE = "Tax classes"
    BINDINGS = [
        Binding("escape", "back", "Back", tooltip="Back to the groups"),
        Binding("a", "add", "Add", tooltip="Add a tax class"),
        Binding("e", "rename", "Rename", tooltip="Rename the highlighted tax class"),
        Binding("d,delete", "delete", "Delete", tooltip="Delete the highlighted tax class (only one no group uses)"),
        Binding("m", "make_default", "Make default", tooltip="Make the highlighted tax class the one new groups get"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[models.TaxClassRow] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield AreaBar()
        yield Label("loading…", id="tax-status", classes="status", markup=False)
        yield DataTable(id="tax-classes", cursor_type="row", zebra_stripes=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#tax-classes", DataTable)
        table.add_column("Name", key="name")
        table.add_column(Text("Rate", justify="right"), key="rate")
        table.add_column(Text("Groups", justify="right"), key="groups")
        table.add_column("Default", key="default")
        table.focus()
        self.load()

    def load(self, select: int | None = None) -> None:
        self.run_job(models.list_tax_classes, lambda rows: self.show(rows, select), name="rows")

    def show(self, rows: list[models.TaxClassRow], select: int | None = None) -> None:
        table = self.query_one("#tax-classes", DataTable)
        current = self.current()
        keep = select if select is not None else (current.id if current else None)
        self.rows = rows
        table.clear()
        cells = [(plain(r.name), Text(percent(r.rate_percent), justify="right"),
                  Text(f"{r.group_count:,}", justify="right"), Text("default" if r.is_default else ""))
                 for r in rows]
        # Each column as wide as its widest cell, set here: the table's own
        # measuring of new rows, left to when it is next idle, was sometimes
        # not done before the screen was drawn (twice in CI), leaving every
        # column at its header's width and the names cut ("Red…").
        for i, column in enumerate(table.ordered_columns):
            column.auto_width = False
            column.width = max([column.label.cell_len, *(row[i].cell_len for row in cells)])
        for r, row in zip(rows, cells):
            table.add_row(*row, key=str(r.id))
        for i, r in enumerate(rows):
            if r.id == keep:
                table.move_cursor(row=i)
        n = len(rows)
        self.query_one("#tax-status", Label).update(
            f"{n} tax class{'es' if n != 1 else ''} · new groups get the default · "
            "a class in use cannot be deleted")

    def current(self) -> models.TaxClassRow | None:
        table = self.query_one("#tax-classes", DataTable)
        if not self.rows or table.row_count == 0:
            return None
        i = table.cursor_row
        return self.rows[i] if 0 <= i < len(self.rows) else None

    def _need_row(self) -> models.TaxClassRow | None:
        row = self.current()
        if row is None:
            self.notify("No tax class is highlighted.", severity="warning")
        return row

    def _done(self, message: str, select: int | None = None) -> None:
        self.notify(message, markup=False)
        self.load(select)

    def _refused(self, exc: BaseException) -> None:
        self.notify(error_message(exc), title="Not done", severity="error", markup=False)
        self.load()

    def action_back(self) -> None:
        self.dismiss(None)

    def action_add(self) -> None:
        def added(tax_id: Any) -> None:
            if tax_id is not None:
                self._done("Tax class added.", tax_id)

        self.app.push_screen(TaxClassDialog(), added)

    def action_rename(self) -> None:
        if (row := self._need_row()) is None:
            return

        def renamed(tax_id: Any) -> None:
            if tax_id is not None:
                self._done("Tax class renamed.", tax_id)

        self.app.push_screen(TaxClassDialog(row), renamed)

    def action_delete(self) -> None:
        if (row := self._need_row()) is None:
            return
        tid = row.id

        def ask(fresh: models.TaxClassRow | None) -> None:
            if fresh is None:
                self.notify("That tax class is gone.", severity="warning")
                self.load()
                return
            refused = models.tax_class_delete_refused(fresh)
            if refused:
                self.notify(refused, title="Cannot delete", severity="warning", markup=False)
                return

            def answered(yes: bool | None) -> None:
                if yes:
                    name = safe_line(fresh.name)
                    self.run_job(lambda: models.delete_tax_class(tid),
                                 lambda _: self._done(f"Deleted the tax class {name}."), name="delete",
                                 failed=self._refused)

            self.app.push_screen(ConfirmModal("Delete tax class", delete_question(fresh), yes="Delete", no="Keep"),
                                 answered)

        def fresh_row() -> models.TaxClassRow | None:
            return next((r for r in models.list_tax_classes() if r.id == tid), None)

        # The keys typed meanwhile are dropped by the question: they were not typed for it.
        self.run_job(fresh_row, ask, name="delete", hold_keys=True)

    def action_make_default(self) -> None:
        if (row := self._need_row()) is None:
            return
        tid, name = row.id, safe_line(row.name)
        self.run_job(lambda: models.set_default_tax_class(tid),
                     lambda _: self._done(f"{name} is now the default tax class."), name="default",
                     failed=self._refused)
