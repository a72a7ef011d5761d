"""Undo of a membership change: ctrl+z on a group's View and on the
Customers list undoes the admin's own last change of members there (a
form's save, an assign, an unassign or a move; of that group's members, on
the list any), ``u`` on a History entry that is one undoes that one.

The change is read in a worker, then a :class:`ConfirmModal` (DropsEarlyKeys:
keys typed before it are not its answer) says what will be undone, e.g.
"Undo: 1,000,000 customers added to Wholesale by ann at 14:02?"; the undo
runs in a worker while the status line says so.  The data layer refuses an
undo that is no longer clear (see ``datalayer/undo.py``): its message is
shown as it is.
"""

from __future__ import annotations

from typing import Any, Callable

from rich.text import Text
from textual.binding import Binding
from textual.widgets import Label

from backroom import models
from backroom.tui.dialogs import ConfirmModal
from backroom.tui.statusline import show_status

UNDO_BINDING = Binding("ctrl+z", "undo_membership", "Undo", show=False,
                       tooltip="Undo your last change of members here: an assign, an unassign or a move")
UNDO_ROLE_ACTIONS = {"undo_membership": "bulk"}


def confirm_undo(screen: Any, op: models.MembershipOperation, *, status: Label | None = None,
                 then: Callable[[], Any] | None = None) -> None:
    """Ask, then undo ``op`` in a worker (``status`` says so meanwhile), then ``then()``."""
    if op.undone:
        screen.notify(f"Already undone: {op.describe()}.", severity="warning", markup=False)
        return
    what = op.describe()

    def answered(go: bool | None) -> None:
        if not go:
            return
        if status is not None:
            show_status(status, f"Undoing: {what}…")

        def done(_: object) -> None:
            screen.notify(f"Undone: {what}.", title="Undo", markup=False)
            if then is not None:
                then()

        def failed(exc: BaseException) -> None:
            if then is not None:
                then()
            screen.job_failed(exc)

        screen.run_job(lambda: models.undo_membership_change(op.op), done, name="undo", failed=failed)

    screen.app.push_screen(ConfirmModal("Undo", Text(f"Undo: {what}?"), yes="Undo", no="Cancel"), answered)


class UndoesMembershipChange:
    """Mixin: ctrl+z undoes the admin's own last membership change here
    (needs ``run_job``; override the hooks)."""

    def undo_group_id(self) -> int | None:
        """The group whose changes ctrl+z undoes (None: any)."""
        return None

    def undo_status(self) -> Label | None:
        return None

    def after_undo(self) -> None:
        """Read again what the undo changed."""

    def action_undo_membership(self) -> None:
        screen: Any = self
        gid = self.undo_group_id()

        def found(op: models.MembershipOperation | None) -> None:
            if op is None:
                screen.notify("You have made no change of members here to undo.", severity="warning")
                return
            confirm_undo(screen, op, status=self.undo_status(), then=self.after_undo)

        screen.run_job(lambda: models.last_membership_change(group_id=gid), found, name="undo-read", hold_keys=True)
