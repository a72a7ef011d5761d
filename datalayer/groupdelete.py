"""Deleting several customer groups at once: all or nothing, in one
transaction, with set-based statements whatever their sizes."""

from __future__ import annotations

import dataclasses
from typing import Any

import peewee as pw

from .admins import requires
from .audit import audit, resolve_actor
from .connection import db, is_mysql, is_postgres
from .errors import ConflictError, LockedError, NotFoundError, ValidationError
from .grouppolicy import group_permissions
from .groups import _end_group, _group_snapshot, _insert_members_from
from .lookup import as_id, as_version, general_group, possible_id
from .parsing import clean_line
from .tables import CategoryAccess, Customer, CustomerGroup, Membership
from .transactions import Interfered, bulk, lock_groups, materialized, retried

DELETE_MANY_MAX = 1000
"""The most groups one call deletes (a shop has a handful)."""


@dataclasses.dataclass(frozen=True)
class DeletedGroup:
    """One group :func:`delete_groups` deleted, and what went with it."""

    id: int
    code: str
    name: str
    memberships_removed: int
    defaults_moved_to_general: int


def _clean_ids(group_ids: Any) -> list[int]:
    if isinstance(group_ids, (str, bytes, dict)) or not hasattr(group_ids, "__iter__"):
        raise ValidationError({"group_ids": "The groups must be a list of group ids"})
    ids = sorted({as_id(g, "group_ids", "A group's id") for g in group_ids})
    if not ids:
        raise ValidationError({"group_ids": "Choose at least one group to delete"})
    if len(ids) > DELETE_MANY_MAX:
        raise ValidationError({"group_ids": f"At most {DELETE_MANY_MAX:,} groups can be deleted at once"})
    return ids


def _clean_versions(versions: Any, ids: list[int]) -> dict[int, int] | None:
    if versions is None:
        return None
    if not isinstance(versions, dict):
        raise ValidationError({"expected_versions": "The versions must be given by group id"})
    out = {as_id(k, "expected_versions", "A group's id"): as_version(v) for k, v in versions.items()}
    if set(out) - set(ids):
        raise ValidationError({"expected_versions": "A version was given for a group not being deleted"})
    return out


@requires("groups")
@retried
def delete_groups(group_ids: Any, *, expected_versions: dict[int, int] | None = None,
                  actor: str | None = None) -> list[DeletedGroup]:
    """Delete several groups and their memberships in one transaction: all
    of them, or (a system group, General, one gone or changed since
    ``expected_versions`` was read) none, with a message naming why.
    Customers whose default group one of them was fall back to General.
    Each member who leaves a group that notifies queues a "left"
    notification, as :func:`delete_group` does; each group deleted has its
    own ``group.delete`` audit entry.  Returns the groups deleted, by id."""
    ids = _clean_ids(group_ids)
    versions = _clean_versions(expected_versions, ids)
    actor = resolve_actor(actor)
    bulk()
    with db.atomic():
        general = general_group()
        lock_groups(*ids, general_id=general.id)
        known = [i for i in ids if possible_id(i)]
        if is_postgres() or is_mysql():  # and wait for whoever joins one alone
            list(CustomerGroup.select(CustomerGroup.id).where(CustomerGroup.id.in_(known))
                 .order_by(CustomerGroup.id).for_update().tuples())
        groups = list(CustomerGroup.select().where(CustomerGroup.id.in_(known)).order_by(CustomerGroup.id))
        found = {g.id for g in groups}
        if missing := [i for i in ids if i not in found]:
            raise NotFoundError(f"No customer group with id {missing[0]}"
                                + (f" (nor {len(missing) - 1:,} more)" if len(missing) > 1 else "")
                                + ": nothing was deleted.")
        for g in groups:
            if refused := group_permissions(g).delete_refused:
                raise LockedError(f"{refused} Nothing was deleted.")
        changed = [g for g in groups if versions is not None and g.id in versions and g.version != versions[g.id]]
        if changed:
            raise ConflictError(f"Someone else changed the group {clean_line(changed[0].name)!r} since you "
                                "opened the list: nothing was deleted. Look at it again, then delete.")
        in_them = Membership.group.in_(ids)
        members = dict(Membership.select(Membership.group, pw.fn.COUNT(Membership.customer))
                       .where(in_them).group_by(Membership.group).tuples())
        defaults = dict(Customer.select(Customer.default_group, pw.fn.COUNT(Customer.id))
                        .where(Customer.default_group.in_(ids)).group_by(Customer.default_group).tuples())
        if sum(defaults.values()):
            # Whoever's default group goes falls back to General (joining it if not a member).
            with materialized(Customer.select(Customer.id).where(Customer.default_group.in_(ids))) as moving:
                Customer.update(default_group=general.id).where(
                    Customer.id.in_(moving.select(moving.id))).execute()
                _insert_members_from(general, Customer.select(Customer.id).where(
                    Customer.id.in_(moving.select(moving.id))), actor=None)
        # One "left" change each, queued for the groups that notify (not hidden, not system).
        removed = sum(_end_group(g, actor) for g in groups)
        if removed != sum(members.values()):  # someone joined or left alone meanwhile
            raise Interfered("the members of the groups being deleted changed meanwhile")
        CategoryAccess.delete().where(CategoryAccess.group.in_(ids)).execute()
        CustomerGroup.delete().where(CustomerGroup.id.in_(ids)).execute()
        out = []
        for g in groups:
            done = DeletedGroup(id=g.id, code=g.code, name=g.name, memberships_removed=members.get(g.id, 0),
                                defaults_moved_to_general=defaults.get(g.id, 0))
            audit("group.delete", "group", g.id, before=_group_snapshot(g),
                  after={"memberships_removed": done.memberships_removed,
                         "defaults_moved_to_general": done.defaults_moved_to_general,
                         "deleted_together": len(ids)}, actor=actor)
            out.append(done)
    return out
