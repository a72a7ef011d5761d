"""What the list and the View screen both offer on a group: Edit, Delete,
Access and Rules."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from backroom import models
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


def delete_many_question(rows: list[models.GroupRow]) -> Text:
    """Deleting the ticked groups: each by name and code with its member count."""
    text = Text(f"Delete these {len(rows)} groups?\n\n")
    for r in rows:
        text.append("  ")
        text.append(safe_line(r.name), style="bold")
        members = f"{r.member_count:,} member{'s' if r.member_count != 1 else ''}"
        text.append(f" ({safe_line(r.code)}): {members}\n")
    total = sum(r.member_count for r in rows)
    text.append(f"\n{total:,} membership{'s' if total != 1 else ''} go with them; customers whose default group "
                "one is move to General. All of them or none. This cannot be undone.")
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
        from backroom.screens.groups.form import GroupFormScreen  # imported when first opened (tui/app.py)

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

    def delete_groups(self, rows: list[models.GroupRow]) -> None:
        """Ask, with the groups as they are now (their members counted
        afresh), and delete them together once their number is typed.
        Guest and General are refused before anything is asked."""
        screen: Any = self
        for row in rows:
            if self._refuse(models.group_permissions(row).delete_refused, "Cannot delete"):
                return
        ids = {r.id for r in rows}

        def fresh_rows() -> list[models.GroupRow]:
            return [r for r in models.list_groups(sort="name") if r.id in ids]

        def ask(fresh: list[models.GroupRow]) -> None:
            if len(fresh) != len(ids):
                gone = len(ids) - len(fresh)
                screen.notify(f"{gone} of the ticked groups {'is' if gone == 1 else 'are'} gone: look at the "
                              "list again.", title="Not deleted", severity="warning", markup=False)
                screen.load()
                return
            for row in fresh:
                if self._refuse(models.group_permissions(row).delete_refused, "Cannot delete"):
                    return
            versions = {r.id: r.version for r in fresh}

            def answered(yes: bool | None) -> None:
                if yes:
                    self.run_job(lambda: models.delete_groups(list(versions), expected_versions=versions),
                                 self.deleted_many, name="delete")

            screen.app.push_screen(ConfirmModal(f"Delete {len(fresh)} groups", delete_many_question(fresh),
                                                yes="Delete", no="Keep", typed=str(len(fresh))), answered)

        # The keys typed meanwhile are dropped by the question: they were not typed for it.
        self.run_job(fresh_rows, ask, name="delete", hold_keys=True)

    def deleted_many(self, done: list[models.DeletedGroup]) -> None:
        screen: Any = self
        removed = sum(d.memberships_removed for d in done)
        screen.notify(f"Deleted {len(done)} groups: {removed:,} memberships removed.", title="Groups deleted",
                      markup=False)

    def deleted(self, row: models.GroupRow, removed: int) -> None:
        screen: Any = self
        screen.notify(f"Deleted {safe_line(row.name)}: {removed:,} memberships removed.",
                      title="Group deleted", markup=False)

    def after_edit(self, group_id: int | None) -> None:
        """Called when the Add/Edit form closes with the saved group's id (or None)."""

    def edit_access(self, row: models.GroupRow) -> None:
        """The visitors' group (Guest, otherwise locked): the access-only
        editor; any other group: its form, on the Access tab."""
        from backroom.screens.grants.access import AccessScreen
        from backroom.screens.groups.form import GroupFormScreen

        screen: Any = self
        allowed = models.group_permissions(row)
        if allowed.visitors:
            screen.app.push_screen(AccessScreen(row.id))
        elif not self._refuse(allowed.edit_refused, "Cannot edit"):
            screen.app.push_screen(GroupFormScreen(row.id, tab="access"), self.after_edit)

    def edit_rules(self, row: models.GroupRow) -> None:
        if self._refuse(models.group_permissions(row).rules_refused, "Cannot edit"):
            return
        from backroom.screens.grants.rules import RulesScreen

        screen: Any = self
        screen.app.push_screen(RulesScreen(row.id))
