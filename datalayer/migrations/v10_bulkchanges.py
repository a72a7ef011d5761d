"""Version 10 (bulk changes): a bulk assign or unassign writes its
memberships and one row of its own, not one outbox row per customer.

New tables ``membership_change`` (one row per statement's worth of
customers joining or leaving a group, what an undo takes back) and
``membership_end`` (who a "left" change removed, and the change that had
added them); ``membership.change`` names the change that added a membership
(indexed with the customer: a change's customers in order); the outbox's
``notification`` rows may stand for a whole change (``change``, ``size``;
``customer_id`` NULL).  Notifications queued before stay as they are, one
customer's each, and read as before.  Each change is checked before it is
made, so the step is safe to run again and works after any other step.
"""

from __future__ import annotations

import peewee as pw

from ..connection import db
from .base import Frozen, ensure_indexes, frozen_now, table_exists
from .v2 import Customer, CustomerGroup


class Membership(Frozen):
    customer = pw.ForeignKeyField(Customer, on_delete="CASCADE", index=False)
    group = pw.ForeignKeyField(CustomerGroup, on_delete="CASCADE", index=False)
    source = pw.CharField(max_length=8, default="manual")
    added_by = pw.CharField(max_length=64, default="")
    added_at = pw.DateTimeField(default=frozen_now)
    change = pw.IntegerField(null=True)

    class Meta:
        primary_key = pw.CompositeKey("customer", "group")
        indexes = ((("group", "customer"), True),
                   (("change", "customer"), False))


class MembershipChange(Frozen):
    group = pw.ForeignKeyField(CustomerGroup, null=True, on_delete="SET NULL", index=False)
    group_name = pw.CharField(max_length=100)
    kind = pw.CharField(max_length=8)
    source = pw.CharField(max_length=8, default="manual")
    actor = pw.CharField(max_length=64, default="")
    at = pw.DateTimeField(default=frozen_now)
    count = pw.IntegerField(default=0)
    op = pw.IntegerField(null=True)
    undoes = pw.IntegerField(null=True)
    undone_by = pw.IntegerField(null=True)

    class Meta:
        indexes = ((("op",), False), (("actor", "id"), False), (("group", "id"), False))


class MembershipEnd(Frozen):
    change = pw.IntegerField()
    customer = pw.ForeignKeyField(Customer, on_delete="CASCADE", index=False)
    joined_change = pw.IntegerField(null=True)

    class Meta:
        primary_key = pw.CompositeKey("change", "customer")
        indexes = ((("joined_change", "customer"), False),)


def upgrade() -> None:
    """Add the two tables, the membership's change and the outbox's change rows."""
    from playhouse.migrate import SchemaMigrator, migrate

    migrator = SchemaMigrator.from_database(db.obj)
    for model in (MembershipChange, MembershipEnd):
        if not table_exists(model._meta.table_name):
            db.create_tables([model])
        ensure_indexes(model)
    ops = []
    if "change" not in {c.name for c in db.get_columns("membership")}:
        ops.append(migrator.add_column("membership", "change", pw.IntegerField(null=True)))
    columns = {c.name: c for c in db.get_columns("notification")}
    if "change" not in columns:
        ops.append(migrator.add_column("notification", "change", pw.IntegerField(null=True)))
    if "size" not in columns:
        size = pw.IntegerField(default=1, constraints=[pw.SQL("DEFAULT 1")])
        ops.append(migrator.add_column("notification", "size", size))
    if not columns["customer_id"].null:
        # SQLite rebuilds the table for this, under the foreign keys'
        # deferral the migrations module takes around a step.
        ops.append(migrator.drop_not_null("notification", "customer_id"))
    migrate(*ops)
    ensure_indexes(Membership)
