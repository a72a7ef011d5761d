"""What may be done with a group, and why not: the rules the screens show
and the operations enforce (Guest and the other system groups are locked,
General cannot be deleted).  Reads nothing."""

from __future__ import annotations

import dataclasses
from typing import Any

from .parsing import clean_line


@dataclasses.dataclass(frozen=True)
class GroupPermissions:
    """What an admin may do with a group.  Each ``*_refused`` is "" when they
    may, else why not, in a sentence for them; the operations refuse the same
    things (with :class:`LockedError`)."""

    edit_refused: str = ""  # its fields and members
    delete_refused: str = ""
    rules_refused: str = ""
    # The group stands for the visitors who are not logged in (Guest): its
    # Access ticks, which say what visitors may see, are all that may change.
    visitors: bool = False

    @property
    def can_edit(self) -> bool:
        return not self.edit_refused

    @property
    def can_delete(self) -> bool:
        return not self.delete_refused

    @property
    def can_have_rules(self) -> bool:
        return not self.rules_refused


def group_permissions(group: Any) -> GroupPermissions:
    """What may be done with ``group`` (a row of :func:`list_groups` or
    :func:`group_row`, or a group) and why not.  Reads nothing."""
    name = clean_line(group.name)
    if group.is_system:
        locked = f"{name} is a system group: it can be viewed but not edited or deleted."
        return GroupPermissions(edit_refused=locked, delete_refused=locked,
                                rules_refused=f"{name} is a system group: it takes no rules.",
                                visitors=group.code == "guest")
    if group.code == "general":
        return GroupPermissions(
            delete_refused="General is the default group for new customers: it cannot be deleted.")
    return GroupPermissions()
