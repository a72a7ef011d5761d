"""Version 8 (review depth): spam, canned rejection reasons, a public reply,
and a history that can be undone.

- ``review.reply`` (with ``reply_at`` and ``reply_by``): the shop's public
  answer to a review.
- ``review_event`` keeps what each change replaced (``prev_status``,
  ``prev_reason``, ``prev_at``, ``prev_by``) and the operation it was part
  of (``batch``, indexed), so the last change can be undone exactly.
- ``review_reason``: the shop's canned rejection reasons.

"spam" is a new value of ``review.status`` (no schema change).  The tables
are frozen as they are at this version; each change is checked before it
is made, so the step is safe to run again (MySQL commits schema changes as
it goes) and works after any other step.
"""

from __future__ import annotations

import peewee as pw

from ..connection import db
from .base import Frozen, ensure_indexes


class ReviewReason(Frozen):
    name = pw.CharField(max_length=100, unique=True)


class ReviewEvent(Frozen):
    # Only what this step indexes: the index is named after the table and column.
    batch = pw.CharField(max_length=32, null=True, index=True)


REVIEW_COLUMNS = {
    "reply": pw.TextField(null=True),
    "reply_at": pw.DateTimeField(null=True),
    "reply_by": pw.CharField(max_length=64, null=True),
}
EVENT_COLUMNS = {
    "prev_status": pw.CharField(max_length=16, null=True),
    "prev_reason": pw.CharField(max_length=500, null=True),
    "prev_at": pw.DateTimeField(null=True),
    "prev_by": pw.CharField(max_length=64, null=True),
    "batch": pw.CharField(max_length=32, null=True),
}


def upgrade() -> None:
    """Add the reply and history columns, the batch index and the reasons' table."""
    from playhouse.migrate import SchemaMigrator, migrate

    migrator = SchemaMigrator.from_database(db.obj)
    ops = []
    for table, wanted in (("review", REVIEW_COLUMNS), ("review_event", EVENT_COLUMNS)):
        have = {c.name for c in db.get_columns(table)}
        ops += [migrator.add_column(table, name, field) for name, field in wanted.items() if name not in have]
    if ops:
        migrate(*ops)
    ensure_indexes(ReviewEvent)
    db.create_tables([ReviewReason], safe=True)
