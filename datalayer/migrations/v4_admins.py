"""Admins and roles: the ``admin`` table, and who queued each notification.

Self-contained (it touches only the table it creates and one column it adds
to ``notification``), so it can run after any other step.  Safe to run
again, as MySQL commits schema changes as it goes.
"""

from __future__ import annotations

import peewee as pw

from ..connection import db
from .base import Frozen, ensure_indexes, frozen_now


class Admin(Frozen):
    name = pw.CharField(max_length=64, unique=True)
    role = pw.CharField(max_length=16)
    ssh_key = pw.TextField(null=True)
    added_at = pw.DateTimeField(default=frozen_now)
    added_by = pw.CharField(max_length=64, default="")


def upgrade() -> None:
    from playhouse.migrate import SchemaMigrator, migrate

    db.create_tables([Admin], safe=True)
    ensure_indexes(Admin)
    if "actor" not in {c.name for c in db.get_columns("notification")}:
        migrator = SchemaMigrator.from_database(db.obj)
        migrate(migrator.add_column("notification", "actor", pw.CharField(max_length=64, default="")))
