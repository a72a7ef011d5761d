"""The Customers list's mass actions: with rows ticked (or every customer
the filter finds: ``a`` on the list), add them to a group, remove them from
one, move them from one group to another, disable or enable them.

Each is one data-layer operation (set-based, all or nothing, audited),
asked for with a :class:`ConfirmModal` (DropsEarlyKeys: the keys typed
before it are not its answer) that says how many customers, and run in a
worker while the status line says what is being done.  The groups to pick
from and the count are read in a worker too, holding the keys typed
meanwhile for the picker.
"""

from __future__ import annotations

from typing import Any, Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from backroom import models
from backroom.tui.dialogs import ConfirmModal
from backroom.tui.statusline import show_status

MASS_BINDINGS = [
    Binding("ctrl+a", "mass_tick_matching", "Tick matching", show=False,
            tooltip="Tick every customer the filter finds (space ticks one, n none)"),
    Binding("g", "mass_add", "Add to group", show=False, tooltip="Add the ticked customers to a group"),
    Binding("u", "mass_remove", "Remove from group", show=False,
            tooltip="Remove the ticked customers from a group"),
    Binding("m", "mass_move", "Move to group", show=False,
            tooltip="Move the ticked customers from one group to another"),
    Binding("d", "mass_disable", "Disable ticked", show=False, tooltip="Disable the ticked customers"),
    Binding("D", "mass_enable", "Enable ticked", show=False, tooltip="Enable the ticked customers"),
]

MASS_ROLE_ACTIONS = {"mass_add": "bulk", "mass_remove": "bulk", "mass_move": "bulk", "mass_disable": "bulk",
                     "mass_enable": "bulk"}


def customers(n: int) -> str:
    return f"{n:,} customer{'' if n == 1 else 's'}"


class GroupChoiceModal(ModalScreen["int | None"]):
    """Pick a group (Enter), or Esc."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", tooltip="Close without doing anything")]

    def __init__(self, title: str, groups: list[models.GroupRow]) -> None:
        super().__init__()
        self.title_text = title
        self.groups = groups

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog summary", id="dialog"):
            yield Label(self.title_text, classes="dialog-title", markup=False)
            options = []
            for g in self.groups:
                text = Text(models.clean_line(g.name))
                text.append(f" ({models.clean_line(g.code)})", style="dim")
                if g.hidden:
                    text.append("  hidden", style="italic")
                options.append(Option(text, id=str(g.id)))
            yield OptionList(*options, id="mass-group-options")
            yield Label("↑↓ choose · enter pick · esc cancel", classes="hint", markup=False)

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(event.option.id or 0))

    def action_cancel(self) -> None:
        self.dismiss(None)


class CustomerMassActions:
    """Mixin for the Customers list (needs ``table``, ``run_job``, a
    ``#customers-status`` label)."""

    mass_busy = False

    def _mass_start(self, what: str, then: Callable[[int, list[models.GroupRow]], Any]) -> None:
        screen: Any = self
        if self.mass_busy:
            screen.notify("A change is being made… please wait.", severity="warning")
            return
        sel = screen.table.selection
        if sel.op == "none":
            screen.notify(f"Tick the customers to {what} first: space ticks one, ctrl+a every one the filter finds.",
                          severity="warning", markup=False)
            return

        def read() -> tuple[int, list[models.GroupRow]]:
            groups = [g for g in models.list_groups(with_counts=False, sort="name") if not g.is_system]
            return models.count_selection(sel), groups

        def done(result: tuple[int, list[models.GroupRow]]) -> None:
            n, groups = result
            if n == 0:
                screen.notify("None of the ticked customers is left.", severity="warning")
                return
            then(n, groups)

        screen.run_job(read, done, name="mass-read", hold_keys=True)

    def _pick(self, title: str, groups: list[models.GroupRow], picked: Callable[[models.GroupRow], Any],
              *, exclude: int | None = None) -> None:
        screen: Any = self
        choices = [g for g in groups if g.id != exclude]
        if not choices:
            screen.notify("There is no group to choose.", severity="warning")
            return
        by_id = {g.id: g for g in choices}
        screen.app.push_screen(GroupChoiceModal(title, choices),
                               lambda gid: picked(by_id[gid]) if gid in by_id else None)

    def _confirm_and_run(self, title: str, question: str, yes: str, doing: str,
                         op: Callable[[], int], said: Callable[[int], str]) -> None:
        screen: Any = self

        def answered(go: bool | None) -> None:
            if not go:
                return
            self.mass_busy = True
            show_status(screen.query_one("#customers-status", Label), doing)

            def done(n: int) -> None:
                self.mass_busy = False
                screen.notify(said(n), title=title, markup=False)
                screen.table.refresh_rows()

            def failed(exc: BaseException) -> None:
                self.mass_busy = False
                screen.table.refresh_rows()
                screen.job_failed(exc)

            screen.run_job(op, done, name="mass-change", failed=failed)

        screen.app.push_screen(ConfirmModal(title, Text(question), yes=yes, no="Cancel"), answered)

    # -- the actions -------------------------------------------------------------
    def action_mass_tick_matching(self) -> None:
        self.table.action_tick_matching_anyway()  # type: ignore[attr-defined]

    def action_mass_add(self) -> None:
        def then(n: int, groups: list[models.GroupRow]) -> None:
            sel = self.table.selection  # type: ignore[attr-defined]

            def picked(g: models.GroupRow) -> None:
                name = models.clean_line(g.name)
                self._confirm_and_run(
                    "Add to group", f"Add {customers(n)} to {name}? Those already in it stay as they are.",
                    "Add", f"Adding {customers(n)} to {name}…", lambda: models.assign_customers(g.id, sel),
                    lambda k: f"{customers(k)} joined {name}.")

            self._pick(f"Add {customers(n)} to", groups, picked)

        self._mass_start("add to a group", then)

    def action_mass_remove(self) -> None:
        def then(n: int, groups: list[models.GroupRow]) -> None:
            sel = self.table.selection  # type: ignore[attr-defined]

            def picked(g: models.GroupRow) -> None:
                name = models.clean_line(g.name)
                self._confirm_and_run(
                    "Remove from group", f"Remove {customers(n)} from {name}? Those not in it are left alone.",
                    "Remove", f"Removing {customers(n)} from {name}…", lambda: models.unassign_customers(g.id, sel),
                    lambda k: f"{customers(k)} left {name}.")

            self._pick(f"Remove {customers(n)} from", groups, picked)

        self._mass_start("remove from a group", then)

    def action_mass_move(self) -> None:
        def then(n: int, groups: list[models.GroupRow]) -> None:
            sel = self.table.selection  # type: ignore[attr-defined]

            def source(src: models.GroupRow) -> None:
                def target(dst: models.GroupRow) -> None:
                    a, b = models.clean_line(src.name), models.clean_line(dst.name)
                    self._confirm_and_run(
                        "Move to group", f"Move the members of {a} among {customers(n)} ticked to {b}? "
                        "They join one and leave the other in one step.",
                        "Move", f"Moving from {a} to {b}…", lambda: models.move_customers(src.id, dst.id, sel),
                        lambda k: f"{customers(k)} moved from {a} to {b}.")

                self._pick(f"Move from {models.clean_line(src.name)} to", groups, target, exclude=src.id)

            self._pick(f"Move {customers(n)} from", groups, source)

        self._mass_start("move", then)

    def _mass_status(self, status: str, verb: str, done_word: str) -> None:
        def then(n: int, groups: list[models.GroupRow]) -> None:
            sel = self.table.selection  # type: ignore[attr-defined]
            self._confirm_and_run(
                f"{verb} customers", f"{verb} {customers(n)}?", verb, f"{verb[:-1]}ing {customers(n)}…",
                lambda: models.set_customers_status(sel, status), lambda k: f"{customers(k)} {done_word}.")

        self._mass_start(verb.lower(), then)

    def action_mass_disable(self) -> None:
        self._mass_status("disabled", "Disable", "disabled")

    def action_mass_enable(self) -> None:
        self._mass_status("active", "Enable", "enabled")
