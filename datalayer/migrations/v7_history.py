"""Version 7 (history): the audit log read by admin or by kind of change,
newest first, through an index: ``(actor, at)`` and ``(action, at)``.

The audit table is frozen as it is at this version.  Only indexes the table
lacks are made, so the step is safe to run again and works after any other
step.
"""

from __future__ import annotations

import peewee as pw

from .base import Frozen, ensure_indexes, frozen_now


class AuditEntry(Frozen):
    at = pw.DateTimeField(default=frozen_now, index=True)
    actor = pw.CharField(max_length=64)
    action = pw.CharField(max_length=64)
    entity = pw.CharField(max_length=32)
    entity_id = pw.CharField(max_length=64, null=True)
    before = pw.TextField(null=True)
    after = pw.TextField(null=True)

    class Meta:
        indexes = ((("entity", "entity_id", "at"), False),
                   (("actor", "at"), False),
                   (("action", "at"), False))


def upgrade() -> None:
    """Add the two indexes the history's filters read through."""
    ensure_indexes(AuditEntry)
