"""What the list and the View screen both offer on a group: Edit, Delete,
Access and Rules."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from backroom import models
from backroom.screens.grants import AccessScreen, RulesScreen
from backroom.screens.groups.form import GroupFormScreen
from backroom.tui.background import Background
from backroom.tui.dialogs import ConfirmModal
from backroom.tui.safetext import safe_line


def delete_question(row: models.GroupRow) -> Text:
    text = Text("Delete the group ")
    text.append(safe_line(row.name), style="bold")
    text.append(f" ({safe_line(row.code)})?\n\n")
    members = f"{row.member_count:,} member{'s' if row.member_count != 1 else ''}"
    text.append(f"Its {members} will leave it; customers whose default group it is move to General. "
                "What it may see and its category discounts go with it. This cannot be undone.")
    return text


class GroupActions(Background):
    """Edit, Delete, Access and Rules as the list and the View screen both
    offer them; what a group allows is the data layer's to say."""

    def _refuse(self, reason: str, title: str) -> bool:
        """Say why not, if there is a reason; True if there was."""
        if reason:
            screen: Any = self
            screen.notify(reason, title=title, severity="warning", markup=False)
        return bool(reason)

    def edit_group(self, row: models.GroupRow) -> None:
        if self._refuse(models.group_permissions(row).edit_refused, "Cannot edit"):
            return
        screen: Any = self
        screen.app.push_screen(GroupFormScreen(row.id), self.after_edit)

    def delete_group(self, row: models.GroupRow) -> None:
        """Ask, with the group as it is now (its members counted afresh),
        and delete it once its code is typed."""
        screen: Any = self
        if self._refuse(models.group_permissions(row).delete_refused, "Cannot delete"):
            return
        gid = row.id

        def ask(fresh: models.GroupRow) -> None:
            if self._refuse(models.group_permissions(fresh).delete_refused, "Cannot delete"):
                return

            def answered(yes: bool | None) -> None:
                if not yes:
                    return
                version = fresh.version
                self.run_job(lambda: models.delete_group(gid, expected_version=version),
                             lambda removed: self.deleted(fresh, removed), name="delete")

            screen.app.push_screen(ConfirmModal("Delete group", delete_question(fresh), yes="Delete",
                                                no="Keep", typed=fresh.code), answered)

        # The keys typed meanwhile are dropped by the question: they were not typed for it.
        self.run_job(lambda: models.group_row(gid), ask, name="delete", hold_keys=True)

    def deleted(self, row: models.GroupRow, removed: int) -> None:
        screen: Any = self
        screen.notify(f"Deleted {safe_line(row.name)}: {removed:,} memberships removed.",
                      title="Group deleted", markup=False)

    def after_edit(self, group_id: int | None) -> None:
        """Called when the Add/Edit form closes with the saved group's id (or None)."""

    def edit_access(self, row: models.GroupRow) -> None:
        """The visitors' group (Guest, otherwise locked): the access-only
        editor; any other group: its form, on the Access tab."""
        screen: Any = self
        allowed = models.group_permissions(row)
        if allowed.visitors:
            screen.app.push_screen(AccessScreen(row.id))
        elif not self._refuse(allowed.edit_refused, "Cannot edit"):
            screen.app.push_screen(GroupFormScreen(row.id, tab="access"), self.after_edit)

    def edit_rules(self, row: models.GroupRow) -> None:
        if self._refuse(models.group_permissions(row).rules_refused, "Cannot edit"):
            return
        screen: Any = self
        screen.app.push_screen(RulesScreen(row.id))
