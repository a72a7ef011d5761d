"""Import customers, or their addresses, from a file: the detected format
and column mapping, the dry run's report (every bad row: its line, field
and problem), then the import itself with a progress bar, which Esc
cancels (nothing is imported then).  Opened from the Customers list
(``i``, or the palette).

Exports from the screens (the Customers list's ticked customers or filter,
``e``; a group's members from its View screen, ``e``; the reviews queue,
``e`` on Reviews) ask for a file, then run the export operation in a
worker behind a progress bar (:func:`export_to_file`)."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Checkbox, Header, Input, Label, ProgressBar, Select, Static

from backroom import models
from backroom.tui.areas import AreaBar, Footer
from backroom.tui.background import Background, error_message
from backroom.tui.dialogs import ConfirmModal, InputDialog, count_to_type
from backroom.tui.safetext import SafeInput

REPORT_LINES = 200
"""Problems listed on screen (the rejects file holds every rejected row)."""

IMPORT_KINDS = {"customers": "Customers", "addresses": "Addresses (Magento 2, PrestaShop)"}
"""What a file can be imported as: kind -> label in the screen's choice."""


def run_import(kind: str, path: str, *, dry_run: bool, create_groups: bool, quiet: bool, all_or_nothing: bool,
               progress: Callable[[int, int], None], cancelled: Callable[[], bool]) -> models.ImportReport:
    """The import operation of ``kind`` (see :data:`IMPORT_KINDS`), checking
    (``dry_run``) or applying the file at ``path``."""
    if kind == "addresses":
        return models.import_addresses(path, dry_run=dry_run, all_or_nothing=all_or_nothing, progress=progress,
                                       cancelled=cancelled)
    return models.import_customers(path, dry_run=dry_run, create_groups=create_groups, quiet=quiet,
                                   all_or_nothing=all_or_nothing, progress=progress, cancelled=cancelled)


def report_text(report: models.ImportReport) -> str:
    """The report as shown: what the file is, its bad rows (line, field,
    problem), then its columns and what each is imported as.  Inert: every
    line comes from ``models.import_report_lines``."""
    lines = list(models.import_report_lines(report))
    p = report.preview
    columns = len(p.mapping) + (1 if p.ignored else 0)
    head, mapping, problems = lines[:1], lines[1:1 + columns], lines[1 + columns:]
    if len(problems) > REPORT_LINES:
        problems = problems[:REPORT_LINES] + [f"… {len(problems) - REPORT_LINES:,} more"]
    return "\n".join(head + problems + ["", "Columns:"] + mapping)


class ImportScreen(Screen[None], Background):
    """Choose what the file holds (customers, addresses), type its path and
    Enter: the file is checked (a dry run) and its report shown; Ctrl+S
    imports it, asking first."""

    TITLE = "Import customers"
    BINDINGS = [
        Binding("escape", "back", "Back", tooltip="Back to the customers (while importing: cancel the import)"),
        Binding("ctrl+r", "check", "Check file", tooltip="Read the file and report every bad row; write nothing"),
        Binding("ctrl+s", "apply", "Import", tooltip="Import the valid rows of the checked file (asks first)"),
        Binding("ctrl+l", "path", "File", show=False, tooltip="Type the path of the file to import"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.checked: models.ImportReport | None = None
        self.checked_with: tuple[str, bool, bool, bool, str] | None = None
        self.running: str | None = None  # "check" | "import"
        self.cancel = threading.Event()

    def compose(self) -> ComposeResult:
        yield Header()
        yield AreaBar()
        with Horizontal(classes="import-file"):  # before the file: Shift+Tab from the file's box reaches it
            yield Label("Kind", classes="import-label")
            yield Select([(label, kind) for kind, label in IMPORT_KINDS.items()], value="customers",
                         allow_blank=False, compact=True, id="import-kind")
        with Horizontal(classes="import-file"):
            yield Label("File", classes="import-label")
            yield SafeInput(placeholder="a CSV file, e.g. ~/customers_export.csv", id="import-path", compact=True)
        with Horizontal(classes="import-options"):
            yield Checkbox("Create missing groups", id="create-groups", compact=True)
            yield Checkbox("No join notifications", id="quiet", compact=True)
            yield Checkbox("All or nothing", id="all-or-nothing", compact=True)
        yield Label("Type the file's path and press Enter to check it: nothing is imported until Ctrl+S.",
                    id="import-status", classes="status", markup=False)
        yield ProgressBar(id="import-progress", show_eta=False)
        with VerticalScroll(id="import-report-box"):
            yield Static("", id="import-report", markup=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#import-progress", ProgressBar).display = False
        self.query_one("#import-path", Input).focus()

    # -- state -------------------------------------------------------------

    def options(self) -> tuple[str, bool, bool, bool, str]:
        return (os.path.expanduser(self.query_one("#import-path", Input).value.strip()),
                self.query_one("#create-groups", Checkbox).value, self.query_one("#quiet", Checkbox).value,
                self.query_one("#all-or-nothing", Checkbox).value, self.kind)

    @property
    def kind(self) -> str:
        return str(self.query_one("#import-kind", Select).value)

    @on(Select.Changed, "#import-kind")
    def kind_changed(self) -> None:
        """Groups and join notifications are the customers' import's alone."""
        customers = self.kind == "customers"
        self.query_one("#create-groups", Checkbox).disabled = not customers
        self.query_one("#quiet", Checkbox).disabled = not customers
        self.title = "Import customers" if customers else "Import addresses"

    def status(self, text: str) -> None:
        self.query_one("#import-status", Label).update(text)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("check", "apply"):
            return self.running is None or None
        return True

    def _progress(self, done: int, total: int) -> None:
        """From the worker: move the bar (on the event loop)."""
        def move() -> None:
            self.query_one("#import-progress", ProgressBar).update(total=max(total, 1), progress=done)

        try:
            self.app.call_from_thread(move)
        except RuntimeError:  # the app closed meanwhile
            pass

    def _start(self, what: str, label: str) -> None:
        self.running = what
        self.cancel.clear()
        bar = self.query_one("#import-progress", ProgressBar)
        bar.update(total=None, progress=0)
        bar.display = True
        self.status(label)
        self.refresh_bindings()

    def _stop(self) -> None:
        self.running = None
        self.query_one("#import-progress", ProgressBar).display = False
        self.refresh_bindings()

    # -- check -------------------------------------------------------------

    def action_path(self) -> None:
        self.query_one("#import-path", Input).focus()

    @on(Input.Submitted, "#import-path")
    def path_submitted(self) -> None:
        self.action_check()

    def action_check(self) -> None:
        if self.running:
            return
        opts = self.options()
        path, create_groups, quiet, _, kind = opts
        if not path:
            self.notify("Type the path of the file to import first.", severity="warning")
            self.action_path()
            return
        self._start("check", "Checking the file…")

        def job() -> models.ImportReport:
            return run_import(kind, path, dry_run=True, create_groups=create_groups, quiet=quiet,
                              all_or_nothing=False, progress=self._progress, cancelled=self.cancel.is_set)

        def done(report: models.ImportReport) -> None:
            self._stop()
            self.checked, self.checked_with = report, opts
            self.query_one("#import-report", Static).update(report_text(report))
            self.status(f"{models.describe_import(report)}. "
                        + ("Ctrl+S imports the valid rows." if report.new or report.changed else ""))

        def failed(exc: BaseException) -> None:
            self._stop()
            self.checked = self.checked_with = None
            self.query_one("#import-report", Static).update("")
            self.status(error_message(exc))

        self.run_job(job, done, name="import-check", failed=failed)

    # -- import ------------------------------------------------------------

    def action_apply(self) -> None:
        if self.running:
            return
        report = self.checked
        if report is None or self.checked_with != self.options():
            self.notify("Check the file first (Enter in the file box, or Ctrl+R): the import does what the "
                        "check reported.", severity="warning")
            return
        path, create_groups, quiet, all_or_nothing, kind = self.checked_with
        n = report.new + report.changed
        if not n:
            self.notify("Nothing to import: every valid row is already as the file says.", severity="warning")
            return
        question = Text(f"Import {Path(path).name}? ")
        question.append(f"{report.new:,} new and {report.changed:,} changed {kind}", style="bold")
        if report.rejected:
            question.append(f"; {report.rejected:,} bad rows "
                            + ("stop the import: nothing will be imported." if all_or_nothing
                               else "are left out, written to a rejects file beside it."))
        self.app.push_screen(ConfirmModal(f"Import {kind}", question, yes="Import", no="Cancel",
                                          typed=count_to_type(n)),
                             lambda yes: self._import(path, create_groups, quiet, all_or_nothing, kind)
                             if yes else None)

    def _import(self, path: str, create_groups: bool, quiet: bool, all_or_nothing: bool, kind: str) -> None:
        self._start("import", "Importing… (Esc cancels: nothing is imported then)")

        def job() -> models.ImportReport:
            return run_import(kind, path, dry_run=False, create_groups=create_groups, quiet=quiet,
                              all_or_nothing=all_or_nothing, progress=self._progress, cancelled=self.cancel.is_set)

        def done(report: models.ImportReport) -> None:
            self._stop()
            self.checked = self.checked_with = None
            self.query_one("#import-report", Static).update(report_text(report))
            self.status(models.describe_import(report))
            if report.applied:
                self.notify(models.describe_import(report), title=f"{kind.capitalize()} imported", markup=False)

        def failed(exc: BaseException) -> None:
            self._stop()
            self.checked = self.checked_with = None
            self.status(error_message(exc))
            if not isinstance(exc, models.ImportCancelled):
                self.job_failed(exc)

        self.run_job(job, done, name="import-apply", failed=failed)

    def action_back(self) -> None:
        """Esc: while checking or importing, cancel; from a box, to the
        report; else back to the customers."""
        if self.running:
            self.cancel.set()
            self.status("Cancelling…")
            return
        if isinstance(self.focused, (Input, Checkbox, Select)) and self.focused.id != "import-path":
            self.query_one("#import-path", Input).focus()
            return
        self.dismiss(None)


FORMAT_LABELS = {"backroom": "Backroom (re-imports to the same data)", "shopify": "Shopify customers",
                 "magento": "Magento 2 customer main file", "prestashop": "PrestaShop customers (;-separated)"}


class ExportModal(InputDialog):
    """Ask for the file to export to (and, for customers, its format);
    dismisses with ``(path, format)`` (``~`` expanded; the format None when
    there was no choice), or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", tooltip="Export nothing")]

    def __init__(self, what: str, formats: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.what, self.formats = what, formats

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label(f"Export {self.what}", classes="dialog-title", markup=False)
            yield Label("To the file (CSV, mode 0600):" if self.formats else "To the file (Backroom's CSV, mode 0600):",
                        markup=False)
            yield SafeInput(placeholder="e.g. ~/customers.csv", id="export-path")
            if self.formats:
                with Horizontal(classes="export-format"):
                    yield Label("Format ", markup=False)
                    yield Select([(FORMAT_LABELS.get(f, f), f) for f in self.formats], value=self.formats[0],
                                 allow_blank=False, compact=True, id="export-format")
            yield Label("", id="export-error", classes="error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Export (enter)", id="export", variant="primary")
                yield Button("Cancel (esc)", id="cancel")

    def action_submit(self) -> None:
        typed = self.query_one("#export-path", Input).value.strip()
        error = self.query_one("#export-error", Label)
        if not typed:
            error.update("Type the file to export to.")
            error.add_class("-shown")
            return
        path = os.path.expanduser(typed)
        if Path(path).is_dir():
            error.update("That is a folder: type a file name.")
            error.add_class("-shown")
            return
        fmt = str(self.query_one("#export-format", Select).value) if self.formats else None
        self.dismiss((path, fmt))


class ExportingModal(ModalScreen[Any], Background):
    """An export running in a worker: a progress bar, closed when the file
    is written (dismissed with how many rows were, or None if it failed)."""

    BINDINGS = [Binding("escape", "noop", "Exporting…", show=False)]  # runs to its end: it is quick

    def __init__(self, what: str, job: Callable[[Callable[[int, int], None]], int]) -> None:
        super().__init__()
        self.what, self.job = what, job

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label(f"Exporting {self.what}…", classes="dialog-title", markup=False)
            yield ProgressBar(id="export-progress", show_eta=False)

    def on_mount(self) -> None:
        self.run_job(lambda: self.job(self._progress), self.dismiss, name="export", failed=self._failed)

    def action_noop(self) -> None:
        pass

    def _progress(self, done: int, total: int) -> None:
        """From the worker: move the bar (on the event loop)."""
        def move() -> None:
            self.query_one("#export-progress", ProgressBar).update(total=max(total, 1), progress=done)

        try:
            self.app.call_from_thread(move)
        except RuntimeError:  # the app closed meanwhile
            pass

    def _failed(self, exc: BaseException) -> None:
        self.app.notify(error_message(exc), title="Nothing exported", severity="error", markup=False)
        self.dismiss(None)


def export_to_file(screen: Any, what: str, job: Callable[..., int], noun: str = "customer",
                   formats: tuple[str, ...] = ()) -> None:
    """Ask for a file (asking before replacing one) and, given ``formats``,
    its format, then run ``job(path, progress)`` (``job(path, progress,
    format)`` with ``formats``: one of the export operations) in a worker
    with a progress bar, and say how many were written (``noun``: what a row
    is).  The operation writes the file 0600, under a temporary name renamed
    when complete."""
    def export(path: str, fmt: str | None) -> None:
        def done(n: int | None) -> None:
            if n is not None:
                screen.notify(f"Exported {n:,} {noun}{'s' if n != 1 else ''} to {models.inert_line(path)}.",
                              title="Exported", markup=False)

        run = (lambda progress: job(path, progress, fmt)) if formats else (lambda progress: job(path, progress))
        screen.app.push_screen(ExportingModal(what, run), done)

    def chosen(answer: tuple[str, str | None] | None) -> None:
        if not answer:
            return
        path, fmt = answer
        if Path(path).exists():
            screen.app.push_screen(ConfirmModal("Replace file?", Text(f"{models.inert_line(path)} exists. Replace it?"),
                                                yes="Replace", no="Keep"),
                                   lambda yes: export(path, fmt) if yes else None)
            return
        export(path, fmt)

    screen.app.push_screen(ExportModal(what, formats), chosen)


def export_customers(screen: Background, flt: models.CustomerFilter, what: str,
                     selection: models.Selection | None = None) -> None:
    """Ask for a file, then export the customers ``flt`` finds (or the
    ``selection`` ticked) to it; see :func:`export_to_file`."""
    export_to_file(screen, what, lambda path, progress, fmt: models.export_customers(
        path, fmt=fmt, flt=flt, selection=selection, progress=progress), formats=models.EXPORT_FORMATS)


def export_members(screen: Background, group_code: str, group_name: str) -> None:
    """Ask for a file, then export a group's members (with who added them
    and when) to it."""
    export_to_file(screen, f"the members of {group_name}", lambda path, progress: models.export_customers(
        path, group=group_code, members=True, progress=progress), noun="member")


def export_reviews(screen: Background, flt: models.ReviewFilter, what: str) -> None:
    """Ask for a file, then export the reviews ``flt`` finds to it."""
    export_to_file(screen, what, lambda path, progress: models.export_reviews(path, flt=flt, progress=progress),
                   noun="review")
