"""Membership changes: each statement that adds customers to a group, or
removes them, is one :class:`MembershipChange` row however many customers it
touched, and (for a group that notifies) one outbox row standing for all of
them, expanded when the outbox is read (see :mod:`.outbox`).  The changes of
one operation an admin made share an ``op``, what an undo takes back."""

from __future__ import annotations

import contextlib
import contextvars
from typing import Iterator

from .audit import resolve_actor
from .tables import CustomerGroup, Membership, MembershipChange, MembershipEnd, Notification, utcnow
from .transactions import references_kept

_op: contextvars.ContextVar[dict | None] = contextvars.ContextVar("membership_op", default=None)


@contextlib.contextmanager
def undoable(undoes: int | None = None) -> Iterator[dict]:
    """The membership changes made inside are one operation that can be
    undone (its ``op`` is its first change's id: ``state["op"]`` once one was
    made); ``undoes``: it is the undo of that operation."""
    state: dict = {"op": None, "undoes": undoes}
    token = _op.set(state)
    try:
        yield state
    finally:
        _op.reset(token)


@contextlib.contextmanager
def not_undoable() -> Iterator[None]:
    """Changes made inside belong to no operation (a fall-back to General
    an operation causes: its undo leaves them)."""
    token = _op.set(None)
    try:
        yield
    finally:
        _op.reset(token)


def begin_change(g: CustomerGroup, kind: str, source: str, actor: str | None) -> int:
    """A new change of ``g``'s members, part of the current operation; its id."""
    state = _op.get()
    with references_kept():  # (MySQL: not holding the group's row shared until commit)
        change_id = MembershipChange.insert(group=g.id, group_name=g.name, kind=kind, source=source,
                                            actor=resolve_actor(actor), at=utcnow(), count=0,
                                            undoes=state["undoes"] if state else None).execute()
    if state is not None:
        if state["op"] is None:
            state["op"] = change_id
        MembershipChange.update(op=state["op"]).where(MembershipChange.id == change_id).execute()
    return change_id


def finish_change(change_id: int, g: CustomerGroup, count: int, *, notify: bool) -> None:
    """Record how many customers the change touched, and queue its one
    outbox row if ``notify``; a change that touched nobody is no change."""
    if not count:
        MembershipChange.delete().where(MembershipChange.id == change_id).execute()
        state = _op.get()
        if state is not None and state["op"] == change_id:
            state["op"] = None
        return
    MembershipChange.update(count=count).where(MembershipChange.id == change_id).execute()
    if notify:
        row = MembershipChange.get_by_id(change_id)
        with references_kept():
            Notification.insert(customer=None, group=g.id, group_name=row.group_name, event=row.kind,
                                source=row.source,
                                created_at=row.at, actor=row.actor, change=change_id, size=count).execute()


def forget_customer(customer_id: int) -> None:
    """An erased customer leaves no row in the outbox: the changes' rows no
    longer count them, and their memberships no longer name a change."""
    joined = (Membership.select(Membership.change).where((Membership.customer == customer_id)
                                                         & Membership.change.is_null(False))
              | MembershipEnd.select(MembershipEnd.joined_change).where(
                  (MembershipEnd.customer == customer_id) & MembershipEnd.joined_change.is_null(False)))
    left = MembershipEnd.select(MembershipEnd.change).where(MembershipEnd.customer == customer_id)
    changes = {c for (c,) in joined.tuples()} | {c for (c,) in left.tuples()}
    if changes:
        Notification.update(size=Notification.size - 1).where(Notification.change.in_(sorted(changes))).execute()
    Membership.update(change=None).where(Membership.customer == customer_id).execute()
    MembershipEnd.delete().where(MembershipEnd.customer == customer_id).execute()
