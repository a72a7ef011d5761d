"""Undo of a membership change: an assign, an unassign or a move, however
many customers it touched, taken back as one operation with its own audit
entry.

What an undo does, and when it refuses:

- Undoing an assign removes exactly the customers that change added (the
  memberships that still name it, :attr:`Membership.change`), queueing a
  "left" for each unless the group is hidden.  Refused if any of them has
  left the group since: their membership is no longer the one the change
  made, and whether they should be in the group is no longer clear.
- Undoing an unassign adds exactly the customers it removed back (queueing
  "joined").  Refused if any of them is a member of the group again.
- Undoing a move does both, in reverse order, and gives back the old
  default group to those whose default the move had changed.
- Refused if it was undone already, is itself an undo, is not an admin's
  operation (a rule's), or its group was deleted since.

Whoever fell back to General when removed from their default group stays
in General with General as default (that join was no part of the operation).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from .admins import requires
from .audit import audit, resolve_actor
from .changes import undoable
from .connection import db
from .errors import ConflictError, LockedError, NotFoundError
from .groups import _check_assignable, _insert_members_from, _remove_members_where
from .lookup import _check_unlocked, as_id, general_group, get_group, possible_id
from .tables import Customer, CustomerGroup, Membership, MembershipChange, MembershipEnd, utcnow
from .text import inert_line
from .transactions import bulk, lock_groups, retried


@dataclasses.dataclass
class ChangePart:
    change_id: int
    kind: str  # joined | left
    group_id: int | None
    group: str
    count: int


@dataclasses.dataclass
class MembershipOperation:
    """An operation's membership changes, as an undo names it."""

    op: int
    actor: str
    at: dt.datetime
    parts: list[ChangePart]
    undone: bool
    undoes: int | None

    def describe(self) -> str:
        """E.g. "1,000,000 customers added to Wholesale by ann at 14:02"."""
        def people(n: int) -> str:
            return f"{n:,} customer{'' if n == 1 else 's'}"

        joined = [p for p in self.parts if p.kind == "joined"]
        left = [p for p in self.parts if p.kind == "left"]
        if len(joined) == 1 and len(left) == 1:
            what = f"{people(joined[0].count)} moved from {inert_line(left[0].group)} to {inert_line(joined[0].group)}"
        else:
            what = "; ".join(f"{people(p.count)} {'added to' if p.kind == 'joined' else 'removed from'} "
                             f"{inert_line(p.group)}" for p in self.parts)
        when = self.at.strftime("%H:%M" if self.at.date() == utcnow().date() else "%Y-%m-%d %H:%M")
        return f"{what} by {inert_line(self.actor)} at {when}"


def _operation(op: int) -> MembershipOperation:
    rows = list(MembershipChange.select().where(MembershipChange.op == op).order_by(MembershipChange.id))
    if not rows:
        raise NotFoundError(f"No membership change {op}: nothing to undo.")
    return MembershipOperation(
        op=op, actor=rows[0].actor, at=rows[0].at, undone=any(r.undone_by is not None for r in rows),
        undoes=rows[0].undoes,
        parts=[ChangePart(r.id, r.kind, r.group_id, r.group_name, r.count) for r in rows])


def membership_change(change_id: int) -> MembershipOperation:
    """The operation the membership change ``change_id`` is part of."""
    change_id = as_id(change_id, "change_id", "A change's id")
    row = MembershipChange.get_or_none(MembershipChange.id == change_id) if possible_id(change_id) else None
    if row is None:
        raise NotFoundError(f"No membership change {change_id}: nothing to undo.")
    if row.op is None:
        raise LockedError("That membership change was not an admin's assign, unassign or move: "
                          "it cannot be undone.")
    return _operation(row.op)


def last_membership_change(*, actor: str | None = None, group_id: int | None = None) -> MembershipOperation | None:
    """The last assign, unassign or move ``actor`` made (of ``group_id``'s
    members, if given), undone or not; undos themselves are skipped."""
    q = MembershipChange.select(MembershipChange.op).where(
        (MembershipChange.actor == resolve_actor(actor)) & MembershipChange.op.is_null(False)
        & MembershipChange.undoes.is_null())
    if group_id is not None:
        q = q.where(MembershipChange.group == as_id(group_id, "group_id", "A group's id"))
    found = q.order_by(MembershipChange.id.desc()).limit(1).scalar()
    return None if found is None else _operation(found)


def _check_undoable(done: MembershipOperation) -> None:
    if done.undoes is not None:
        raise LockedError("That change was itself an undo: make the change again instead.")
    if done.undone:
        raise ConflictError(f"Already undone: {done.describe()}.")
    for p in done.parts:
        if p.group_id is None:
            raise LockedError(f"{inert_line(p.group)} was deleted since: the change cannot be undone.")
        if p.kind == "joined":
            gone = MembershipEnd.select().where(MembershipEnd.joined_change == p.change_id).count()
            if gone:
                raise ConflictError(f"{gone:,} of the customers it added have left {inert_line(p.group)} since: "
                                    "undoing it would not restore the group as it was. Nothing was changed.")
        else:
            back = (MembershipEnd.select().join(Membership, on=(
                (Membership.customer == MembershipEnd.customer) & (Membership.group == p.group_id)))
                .where(MembershipEnd.change == p.change_id).count())
            if back:
                raise ConflictError(f"{back:,} of the customers it removed are members of {inert_line(p.group)} "
                                    "again: undoing it would not restore the group as it was. Nothing was changed.")


@requires("bulk")
@retried
def undo_membership_change(change_id: int, *, actor: str | None = None) -> MembershipOperation:
    """Undo the operation (assign, unassign or move) the membership change
    ``change_id`` is part of, as one transaction with its own audit entry
    (see the module's notes for what it refuses).  Returns the undo."""
    change_id = as_id(change_id, "change_id", "A change's id")
    bulk()
    with db.atomic():
        done = membership_change(change_id)
        groups = sorted({p.group_id for p in done.parts if p.group_id is not None})
        general = general_group()
        lock_groups(*[g for g in groups if g != general.id], general_id=general.id)
        done = _operation(done.op)  # again, under the locks
        _check_undoable(done)
        left = [p for p in done.parts if p.kind == "left"]
        added = removed = 0
        with undoable(undoes=done.op) as state:
            for p in reversed(done.parts):
                g = get_group(p.group_id)
                if p.kind == "left":
                    _check_assignable(g)
                    added += _insert_members_from(g, Customer.select(Customer.id).where(Customer.id.in_(
                        MembershipEnd.select(MembershipEnd.customer).where(MembershipEnd.change == p.change_id))),
                        actor=actor)
                    continue
                _check_unlocked(g)
                theirs = Membership.select(Membership.customer).where(Membership.change == p.change_id)
                for src in left:  # a move: its default goes back where it was
                    (Customer.update(default_group=src.group_id, version=Customer.version + 1, updated_at=utcnow())
                     .where((Customer.default_group == g.id) & Customer.id.in_(theirs) & Customer.id.in_(
                         MembershipEnd.select(MembershipEnd.customer).where(MembershipEnd.change == src.change_id)))
                     .execute())
                removed += _remove_members_where(g, Membership.change == p.change_id, actor=actor)
        MembershipChange.update(undone_by=state["op"] or 0).where(MembershipChange.op == done.op).execute()
        for g_id in groups:
            CustomerGroup.update(version=CustomerGroup.version + 1).where(CustomerGroup.id == g_id).execute()
        audit("membership.undo", "group", groups[0] if groups else None, actor=actor,
              after={"undid": done.op, "what": done.describe(), "added": added, "removed": removed,
                     "change": state["op"]})
    if state["op"] is None:
        return MembershipOperation(op=0, actor=resolve_actor(actor), at=utcnow(), parts=[], undone=False,
                                   undoes=done.op)
    return _operation(state["op"])
