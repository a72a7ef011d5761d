"""What the Customers list does to the customers ticked (or every one the
filter finds): move them from one group to another, disable or enable them.

Each is one operation: validated, one transaction, set-based statements
over the selection (a :class:`Selection` compiles to one SQL condition, so
a million customers are never listed), all or nothing, one audit entry.
Adding to and removing from one group are :func:`.groups.assign_customers`
and :func:`.groups.unassign_customers`.
"""

from __future__ import annotations

import peewee as pw

from .admins import requires
from .audit import audit
from .changes import undoable
from .connection import db
from .errors import LockedError, ValidationError
from .groups import _check_assignable, _insert_members_from, _remove_members_where
from .lookup import _check_unlocked, as_id, general_group, get_group
from .selection import Selection
from .tables import CUSTOMER_STATUSES, Customer, CustomerGroup, Membership, utcnow
from .transactions import bulk, is_small, lock_groups, materialized, retried

BULK_STATUSES = ("active", "disabled")
"""What a selection of customers can be set to at once."""


def _selection(sel: object) -> Selection:
    if not isinstance(sel, Selection):
        raise ValidationError({"selection": "The customers must be a selection of customers"})
    return sel


@requires("bulk")
@retried
def move_customers(from_group_id: int, to_group_id: int, sel: Selection, *, actor: str | None = None) -> int:
    """Move the customers of ``sel`` who are members of one group to another,
    in one transaction: they join the second and leave the first; those
    whose default group was the first get the second as default.  Returns
    how many moved.  One audit entry, on the group they left."""
    src_id = as_id(from_group_id, "from_group_id", "The group to move from")
    dst_id = as_id(to_group_id, "to_group_id", "The group to move to")
    sel = _selection(sel)
    if src_id == dst_id:
        raise ValidationError({"to_group_id": "Choose another group to move them to"})
    bulk(not is_small(sel))
    with db.atomic():
        lock_groups(src_id, dst_id)
        src, dst = get_group(src_id), get_group(dst_id)
        if src.id == general_group().id:
            raise LockedError("Every customer stays in General: add them to the other group instead.")
        _check_unlocked(src)
        _check_assignable(dst)
        moving_q = sel.query(Customer.id).where(pw.fn.EXISTS(Membership.select(pw.SQL("1")).where(
            (Membership.customer == Customer.id) & (Membership.group == src.id))))
        with materialized(moving_q) as moving, undoable() as op:
            ids = moving.select(moving.id)
            moved = moving.rows
            if moved:
                _insert_members_from(dst, Customer.select(Customer.id).where(Customer.id.in_(ids)), actor=actor)
                # Their default follows them: nobody falls back to General on the way.
                (Customer.update(default_group=dst.id, version=Customer.version + 1, updated_at=utcnow())
                 .where((Customer.default_group == src.id) & Customer.id.in_(ids)).execute())
                _remove_members_where(src, Membership.customer.in_(ids), actor=actor)
        for g in (src, dst):
            CustomerGroup.update(version=CustomerGroup.version + 1).where(CustomerGroup.id == g.id).execute()
        audit("group.move", "group", src.id, actor=actor,
              after={"moved": moved, "to_group": dst.code, "to_group_id": dst.id, "selection": sel.describe(),
                     "change": op["op"]})
    return moved


@requires("bulk")
@retried
def set_customers_status(sel: Selection, status: str, *, actor: str | None = None) -> int:
    """Disable (or enable) every customer of ``sel`` not already so, in one
    statement.  Returns how many changed."""
    sel = _selection(sel)
    if status not in BULK_STATUSES or status not in CUSTOMER_STATUSES:
        raise ValidationError({"status": f"A selection of customers can be made {' or '.join(BULK_STATUSES)}"})
    bulk(not is_small(sel))
    with db.atomic():
        # Who changes is read once (MySQL cannot UPDATE a table its subquery reads).
        with materialized(sel.query(Customer.id).where(Customer.status != status)) as chosen:
            changed = (Customer.update(status=status, version=Customer.version + 1, updated_at=utcnow())
                       .where(Customer.id.in_(chosen.select(chosen.id))).execute()) if chosen.rows else 0
        audit("customer.bulk_status", "selection", None, actor=actor,
              after={"status": status, "changed": changed, "selection": sel.describe()})
    return changed
