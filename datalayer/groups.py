"""Customer groups and their memberships: validated create, edit, delete, and set-based assignment."""

from __future__ import annotations

import dataclasses
import re
from decimal import Decimal
from typing import Any, Callable, Iterable

import peewee as pw

from .admins import requires
from .access import (
    _clean_percent,
    category_discounts,
    set_category_access,
    set_category_discount,
)
from .audit import audit, resolve_actor
from .changes import begin_change, finish_change, not_undoable, undoable
from .connection import db, is_mysql, is_postgres
from .errors import ConflictError, LockedError, ValidationError
from .lookup import _check_unlocked, as_id, as_version, general_group, get_group, possible_id
from .parsing import clean_line, has_control_chars, typed_text
from .selection import Selection
from .tables import (
    CategoryAccess,
    Customer,
    CustomerGroup,
    Membership,
    MembershipEnd,
    TaxClass,
    utcnow,
)
from .taxes import default_tax_class_id, hold_tax_class
from .transactions import (
    Interfered,
    bulk,
    hold_group,
    is_small,
    lock_group_fields,
    lock_groups,
    lock_or_refuse,
    materialized,
    read_snapshot,
    references_kept,
    retried,
    share_rows,
)

CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


GROUP_FIELDS = ("code", "name", "description", "tax_class_id", "discount_percent",
                "free_shipping", "hidden")


@dataclasses.dataclass
class GroupRow:
    """A group as a list shows it."""

    id: int
    code: str
    name: str
    description: str
    tax_class: str
    tax_class_id: int | None
    discount_percent: Decimal
    free_shipping: bool
    hidden: bool
    is_system: bool
    version: int
    member_count: int


def _unchanged(value: Any, stored: Any) -> bool:
    """An update that hands back a field's stored value as it is: accepted
    whatever it holds (a storefront may have written control characters into
    it), as long as it is the very same text.  Only new values are checked."""
    return isinstance(value, str) and isinstance(stored, str) and value == stored


def _clean_group_fields(data: Any, *, creating: bool, current: CustomerGroup | None = None) -> dict[str, Any]:
    """The group's fields as typed, checked; ``current`` (an update) is the
    stored group: a value equal to its stored one is kept as it is."""
    if not isinstance(data, dict):
        raise ValidationError({"group": "A group's fields must be given as a mapping of field to value"})
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    unknown = {k for k in data if k not in GROUP_FIELDS}
    if unknown:
        raise ValidationError({clean_line(k): "Not a group field" for k in sorted(map(str, unknown))})
    for name, limit, multiline in (("code", 32, False), ("name", 100, False), ("description", 2000, True)):
        if not (creating and name != "description") and name not in data:
            continue
        if current is not None and _unchanged(data[name], getattr(current, name)):
            continue
        try:
            value = typed_text(data.get(name), name)
        except ValidationError as exc:
            errors.update(exc.errors)
            continue
        if name == "code":
            value = value.strip().lower()
            if not value:
                errors["code"] = "Code is required"
            elif not CODE_RE.fullmatch(value):
                errors["code"] = ("Code must be 1-32 characters: lower-case letters, digits, "
                                  "'-' or '_', starting with a letter or digit")
        elif name == "name":
            value = value.strip()
            if not value:
                errors["name"] = "Name is required"
        label = name.capitalize()
        if name in errors:
            pass
        elif len(value) > limit:
            errors[name] = f"{label} must be at most {limit} characters"
        elif has_control_chars(value, multiline=multiline):
            errors[name] = (f"{label} cannot contain control characters" if not multiline else
                            f"{label} cannot contain control characters (line breaks are fine)")
        out[name] = value
    if "discount_percent" in data:
        raw = data.get("discount_percent")
        try:
            out["discount_percent"] = _clean_percent("0" if raw is None or (isinstance(raw, str) and not raw.strip())
                                                     else raw, "discount_percent")
        except ValidationError as exc:
            errors.update(exc.errors)
    if "tax_class_id" in data:
        tid = data.get("tax_class_id")
        if tid is None or (isinstance(tid, str) and not tid.strip()):
            out["tax_class"] = None
        else:
            try:
                tax_id = as_id(tid, "tax_class_id", "A tax class")
            except ValidationError as exc:
                errors.update(exc.errors)
            else:
                if not possible_id(tax_id) or not TaxClass.select().where(TaxClass.id == tax_id).exists():
                    errors["tax_class_id"] = "No such tax class"
                else:
                    out["tax_class"] = tax_id
    for flag in ("free_shipping", "hidden"):
        if flag in data:
            if not isinstance(data[flag], bool):
                errors[flag] = f"{flag.replace('_', ' ').capitalize()} must be true or false"
            else:
                out[flag] = data[flag]
    if errors:
        raise ValidationError(errors)
    return out


def _group_snapshot(g: CustomerGroup) -> dict[str, Any]:
    return {"code": g.code, "name": g.name, "description": g.description,
            "tax_class_id": g.tax_class_id, "discount_percent": g.discount_percent,
            "free_shipping": g.free_shipping, "hidden": g.hidden, "version": g.version}


@requires("groups")
@retried
def create_group(data: dict[str, Any], *, members: Selection | None = None,
                 access: Iterable[int] | None = None, discounts: dict[int, Any] | None = None,
                 actor: str | None = None) -> tuple[CustomerGroup, int]:
    """Create a group (and, optionally, its members, its Access ticks and
    its per-category discounts) in one transaction.
    Returns the group and how many customers joined it."""
    fields = _clean_group_fields(data, creating=True)
    clean_discounts = _clean_category_discounts(discounts)
    clean_access = _clean_access(access)
    _check_selection(members)
    actor = resolve_actor(actor)
    bulk(not is_small(members))
    with db.atomic():
        if CustomerGroup.select().where(CustomerGroup.code == fields["code"]).exists():
            raise ValidationError({"code": f"Code {clean_line(fields['code'])!r} is already used by another group"})
        if "tax_class" not in fields:
            fields["tax_class"] = default_tax_class_id()
        hold_tax_class(fields.get("tax_class"))
        try:
            with db.atomic():
                g = CustomerGroup.create(**fields)
        except pw.IntegrityError:
            raise ValidationError({"code": f"Code {clean_line(fields['code'])!r} is already used by another group"}) from None
        audit("group.create", "group", g.id, after=_group_snapshot(g), actor=actor)
        added = 0
        if members is not None and members.op != "none":
            with undoable() as op:
                added = _insert_members(g, members, actor=actor, new_group=True)
            audit("group.members", "group", g.id, after={"added": added, "removed": 0,
                                                          "selection": members.describe(), "change": op["op"]},
                  actor=actor)
        _set_grants(g, clean_access, clean_discounts, actor=actor)
    return g, added


@requires("groups")
@retried
def update_group(group_id: int, changes: dict[str, Any], *, expected_version: int,
                 members: Selection | None = None, access: Iterable[int] | None = None,
                 discounts: dict[int, Any] | None = None,
                 actor: str | None = None) -> tuple[CustomerGroup, int, int]:
    """Change a group's fields and, if ``members`` is given, make its
    membership exactly that selection; ``access`` (category ids) and
    ``discounts`` (category id -> percent, blank or None for none) are set
    in the same transaction.  Refused with :class:`ConflictError`
    if the group changed since ``expected_version`` was read.  Returns the
    group and how many customers joined and left."""
    if not isinstance(changes, dict):
        raise ValidationError({"group": "A group's changes must be given as a mapping of field to value"})
    group_id = as_id(group_id, "group_id", "A group's id")
    version = as_version(expected_version)
    clean_discounts = _clean_category_discounts(discounts)
    clean_access = _clean_access(access)
    _check_selection(members)
    actor = resolve_actor(actor)
    one_row = is_small(members) or members == Selection.members_of(group_id)
    bulk(not one_row)
    with db.atomic():
        if one_row:
            # Not behind another admin's change of its members: that change
            # bumps the version, so this edit would be refused after waiting.
            if not lock_group_fields(group_id, wait=False):
                raise ConflictError(_BUSY_GROUP)
            lock_or_refuse(CustomerGroup, group_id, _BUSY_GROUP)
        else:
            lock_groups(group_id)
            lock_group_fields(group_id)
        g = get_group(group_id)
        _check_unlocked(g)
        if "code" in changes and not _unchanged(changes["code"], g.code) and (
                not isinstance(changes["code"], str) or changes["code"].strip().lower() != g.code):
            raise ValidationError({"code": "A group's code cannot change after it is created"})
        changes = {k: v for k, v in changes.items() if k != "code"}
        fields = _changed_fields(g, _clean_group_fields(changes, creating=False, current=g))
        before = _group_snapshot(g)
        conflict = ConflictError(f"Someone else changed the group {clean_line(g.name)!r} since you opened it. "
                                 "Reload it to see their changes, then apply yours again.")
        if g.version != version:
            raise conflict
        if fields:
            hold_tax_class(fields.get("tax_class"))
        added = removed = 0
        op: dict = {"op": None}
        if members is not None:
            # The row last: lone joins and leaves (+1 version each) need not wait (see lock_group_fields).
            g.name, g.hidden = fields.get("name", g.name), fields.get("hidden", g.hidden)  # for notifications
            with undoable() as op:
                added, removed = _set_members(g, members, actor=actor)
        # A change of members alone is a new version too; nothing changed, the version stays as it was.
        if fields or added or removed:
            where = CustomerGroup.id == g.id
            if one_row:  # (a bulk save checked it under the fields' lock; lone joins bump it meanwhile)
                where &= CustomerGroup.version == version
            if CustomerGroup.update(**fields, version=CustomerGroup.version + 1, updated_at=utcnow()).where(
                    where).execute() != 1:
                raise conflict
            g = get_group(group_id)
        after = _group_snapshot(g)
        if fields:  # nothing changed, nothing recorded: the version stays as it was
            audit("group.update", "group", g.id, before=before, after=after, actor=actor)
        if members is not None and (added or removed):
            audit("group.members", "group", g.id, after={"added": added, "removed": removed,
                                                          "selection": members.describe(), "change": op["op"]},
                  actor=actor)
        _set_grants(g, clean_access, clean_discounts, actor=actor)
    return g, added, removed


def _changed_fields(g: CustomerGroup, fields: dict[str, Any]) -> dict[str, Any]:
    """Of the cleaned ``fields``, those whose value differs from the stored one."""
    stored = {"tax_class": g.tax_class_id, "discount_percent": Decimal(g.discount_percent)}
    return {k: v for k, v in fields.items() if v != (stored[k] if k in stored else getattr(g, k))}


_BUSY_GROUP = ("Another admin is changing this group's members right now. Reload it in a moment to see their "
               "changes, then apply yours again.")


def _clean_category_discounts(discounts: dict[int, Any] | None) -> dict[int, Decimal | None] | None:
    """Per-category discounts as typed, checked before anything is written.
    Errors are keyed ``category_discounts[<category id>]``."""
    if discounts is None:
        return None
    if not isinstance(discounts, dict):
        raise ValidationError({"category_discounts": "Discounts must be given by category id"})
    errors: dict[str, str] = {}
    out: dict[int, Decimal | None] = {}
    for cid, raw in discounts.items():
        try:
            category = as_id(cid, "category_discounts", "A category's id")
        except ValidationError as exc:
            errors.update(exc.errors)
            continue
        key = f"category_discounts[{category}]"
        if raw is None or (isinstance(raw, str) and raw.strip() == ""):
            out[category] = None
            continue
        try:
            out[category] = _clean_percent(raw, key)
        except ValidationError as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationError(errors)
    return out


def _clean_access(access: Iterable[int] | None) -> set[int] | None:
    """The Access ticks as given (category ids), checked before anything is written."""
    if access is None:
        return None
    if isinstance(access, (str, bytes, dict)) or not hasattr(access, "__iter__"):
        raise ValidationError({"categories": "The Access ticks must be a list of category ids"})
    return {as_id(c, "categories", "A category's id") for c in access}


def _check_selection(members: Any) -> None:
    if members is not None and not isinstance(members, Selection):
        raise ValidationError({"members": "The members must be a selection of customers"})


def _set_grants(g: CustomerGroup, access: Iterable[int] | None, discounts: dict[int, Decimal | None] | None,
                *, actor: str | None) -> None:
    """A group's Access ticks and per-category discounts (inside the caller's
    transaction); only the discounts that change are written and audited."""
    if access is not None:
        set_category_access(g.id, access, actor=actor)
    if discounts:
        current = category_discounts(g.id)
        for cid, value in sorted(discounts.items()):
            if current.get(cid) != value:
                set_category_discount(g.id, cid, value, actor=actor)


@requires("groups")
@retried
def delete_group(group_id: int, *, expected_version: int | None = None,
                 actor: str | None = None) -> int:
    """Delete a group and its memberships.  Customers whose default group it
    was fall back to General.  Returns how many memberships were removed."""
    group_id = as_id(group_id, "group_id", "A group's id")
    version = None if expected_version is None else as_version(expected_version)
    actor = resolve_actor(actor)
    bulk()
    with db.atomic():
        general = general_group()
        lock_groups(group_id, general_id=general.id)
        if is_postgres() or is_mysql():  # and wait for whoever joins it alone
            list(CustomerGroup.select(CustomerGroup.id).where(CustomerGroup.id == group_id).for_update().tuples())
        g = get_group(group_id)
        _check_unlocked(g)
        if g.id == general.id:
            raise LockedError("General is the default group for new customers: it cannot be deleted.")
        if version is not None and g.version != version:
            raise ConflictError(f"Someone else changed the group {clean_line(g.name)!r} since you opened it.")
        # Its members are fixed while the lock is held.
        members = Membership.select(Membership.customer).where(Membership.group == g.id)
        moved = _fall_back_to_general(g, members, general)
        removed = _end_group(g, actor)
        CategoryAccess.delete().where(CategoryAccess.group == g.id).execute()
        g.delete_instance()
        audit("group.delete", "group", g.id, before=_group_snapshot(g),
              after={"memberships_removed": removed, "defaults_moved_to_general": moved}, actor=actor)
    return removed


def _fall_back_to_general(g: CustomerGroup, among: pw.Node, general: CustomerGroup) -> int:
    """Give the customers in ``among`` (a subquery of customer ids) whose
    default group is ``g`` General as their default group, and make them
    members of it if they are not.  Takes General's members' lock (always
    after any other group's; callers take it before writing rows).  Returns
    how many customers moved.  Their joining General is no part of the
    operation: undoing it leaves them there."""
    lock_groups(general_id=general.id)
    moved = (Customer.update(default_group=general.id)
             .where((Customer.default_group == g.id) & Customer.id.in_(among)).execute())
    if moved:
        # Those of them now defaulting to General who are not in it.
        with not_undoable():
            _insert_members_from(general, Customer.select(Customer.id).where(
                (Customer.default_group == general.id) & Customer.id.in_(among)), actor=None)
    return moved


def _end_memberships(g: CustomerGroup, cond: pw.Expression, change: int) -> int:
    """End the memberships of ``g`` matching ``cond`` (a condition on
    :class:`Membership` that includes ``group_id = g``) as ``change``'s:
    each is recorded (:class:`MembershipEnd`, with the change that had
    added it) and deleted; returns how many.

    The record is what decides who leaves, read once: no list of ids is
    built first.  PostgreSQL does both in one statement (the DELETE's
    RETURNING rows are the records).  Elsewhere the records are written
    first, then the DELETE reads them, each to its membership's key (MySQL:
    from the record to the key, so that only the members leaving are read
    and locked); a membership gone or changed meanwhile (someone left, or
    left and joined again, alone) leaves a record without its row, and the
    operation runs again."""
    ends, rows = MembershipEnd._meta.table_name, Membership._meta.table_name
    with references_kept():
        if is_postgres():
            sql, params = Membership.delete().where(cond).returning(Membership.customer, Membership.change).sql()
            return db.execute_sql(
                f'WITH gone AS ({sql}) INSERT INTO {ends} ("change", customer_id, joined_change) '
                f'SELECT %s, customer_id, "change" FROM gone', [*params, change]).rowcount
        ended = MembershipEnd.insert_from(
            Membership.select(pw.Value(change), Membership.customer, Membership.change).where(cond),
            [MembershipEnd.change, MembershipEnd.customer, MembershipEnd.joined_change]).as_rowcount().execute()
    if not ended:
        return 0
    if is_mysql():
        # (A DELETE's IN (subquery) runs once per member of the group on MariaDB < 11.1, and a join
        # the other way round reads and locks, until commit, every member: single leaves would wait.)
        removed = db.execute_sql(
            f"DELETE m FROM {ends} AS e STRAIGHT_JOIN {rows} AS m FORCE INDEX (PRIMARY) "
            f"ON m.customer_id = e.customer_id AND m.group_id = %s AND m.`change` <=> e.joined_change "
            f"WHERE e.`change` = %s", (g.id, change)).rowcount
    else:  # SQLite: the write transaction holds the database, nothing changes in between
        removed = Membership.delete().where((Membership.group == g.id) & Membership.customer.in_(
            MembershipEnd.select(MembershipEnd.customer).where(MembershipEnd.change == change))).execute()
    if removed != ended:  # someone left alone meanwhile: their leave, not this one's
        raise Interfered(f"{ended - removed} of the customers left {g.name!r} meanwhile")
    return removed


def _ended(change: int) -> pw.ModelSelect:
    """The customers whose membership ``change`` ended (a subquery)."""
    return MembershipEnd.select(MembershipEnd.customer).where(MembershipEnd.change == change)


def _end_group(g: CustomerGroup, actor: str | None) -> int:
    """Remove every member of ``g`` (being deleted, under its lock) as one
    "left" change; returns how many."""
    with not_undoable():
        change = begin_change(g, "left", "manual", actor)
    removed = _end_memberships(g, Membership.group == g.id, change)
    finish_change(change, g, removed, notify=_notifies(g))
    return removed


_MEMBERSHIP_FIELDS = [Membership.customer, Membership.group, Membership.source, Membership.added_by,
                      Membership.added_at, Membership.change]


def _notifies(g: CustomerGroup) -> bool:
    return not (g.hidden or g.is_system)


def _insert_members_from(g: CustomerGroup, customer_ids: pw.ModelSelect, *, actor: str | None,
                         source: str = "manual", at: pw.Node | None = None, new_group: bool = False,
                         notify: bool = True) -> int:
    """Add to ``g`` the customers in ``customer_ids`` (a query on
    :class:`Customer`) who are not yet members, as one
    :class:`MembershipChange`, queueing one outbox row for all of them
    (unless ``notify`` is off or ``g`` is hidden): the outbox reads who
    joined as the memberships this change added.  Returns how many joined.

    One statement: ``INSERT … ON CONFLICT DO NOTHING`` (``OR IGNORE``,
    ``IGNORE``) skips the members already there with the unique-index probe
    the insert makes anyway, and each membership it adds carries this
    change's id, so whoever joins alone meanwhile (their row, their change)
    is never counted twice, and nothing has to run again.  A membership that
    exists already is never an error (a ``new_group`` has none)."""
    notify = notify and _notifies(g)
    if is_mysql() and not new_group:
        # InnoDB's duplicate check holds each existing member's row shared
        # until commit (even READ COMMITTED): one leaving alone meanwhile
        # would wait, and its group version then close a circle.  So MySQL
        # skips the members already there first, one index probe each.
        customer_ids = customer_ids.where(~pw.fn.EXISTS(Membership.select(pw.SQL("1")).where(
            (Membership.group == g.id) & (Membership.customer == Customer.id))))
    change = begin_change(g, "joined", source, actor)
    values = (pw.Value(g.id), pw.Value(source), pw.Value(resolve_actor(actor)),
              at if at is not None else pw.Value(utcnow()), pw.Value(change))
    with references_kept():
        added = (Membership.insert_from(customer_ids.select(Customer.id, *values), _MEMBERSHIP_FIELDS)
                 .on_conflict_ignore().as_rowcount().execute())
    finish_change(change, g, added, notify=notify)
    return added


def _check_assignable(g: CustomerGroup) -> None:
    if g.is_system:
        raise LockedError(f"{clean_line(g.name)} is a system group: customers cannot be assigned to it.")


def _insert_members(g: CustomerGroup, sel: Selection, *, actor: str | None, new_group: bool = False) -> int:
    _check_assignable(g)
    return _insert_members_from(g, sel.query(), actor=actor, new_group=new_group)


def _set_members(g: CustomerGroup, sel: Selection, *, actor: str | None) -> tuple[int, int]:
    """Make ``g``'s members exactly ``sel``, touching only the difference.
    The caller holds ``g``'s membership lock."""
    if sel == Selection.members_of(g.id):
        return 0, 0
    with materialized(sel.query(Customer.id)) as chosen:
        removed = _remove_members_where(g, Membership.customer.not_in(chosen.select(chosen.id)), actor=actor)
        if sel.op != "none":
            _check_assignable(g)
        added = _insert_members_from(g, Customer.select(Customer.id).where(Customer.id.in_(chosen.select(chosen.id))),
                                     actor=actor) if sel.op != "none" else 0
    return added, removed


def _remove_members_where(g: CustomerGroup, where: pw.Expression, *, actor: str | None,
                          source: str = "manual") -> int:
    """Remove the members of ``g`` matching ``where`` (a condition on
    :class:`Membership`) as one :class:`MembershipChange`, each recorded
    (:class:`MembershipEnd`: what the outbox's "left" rows and an undo
    read), with one outbox row for them all unless ``g`` is hidden; those
    whose default group ``g`` is fall back to General.  Who leaves is read
    once, as the records (:func:`_end_memberships`), so the record, the
    DELETE and the fall-back agree; if fewer rows are deleted than were
    recorded, someone removed one meanwhile and the operation runs again.
    Returns how many left.

    The fall-back comes after the DELETE and reads the customers' default
    group again: someone making ``g`` a customer's default meanwhile
    (:func:`_ensure_member`, without ``g``'s lock) either committed before
    that read, and the customer falls back here (leaving General: the
    change runs again without them), or holds the membership row this
    DELETE removes, and adds it again once this commits."""
    general = general_group()
    cond = (Membership.group == g.id) & where
    if g.id == general.id:
        # Nobody leaves General while it is their default group.
        cond &= ~pw.fn.EXISTS(Customer.select(pw.SQL("1")).where(
            (Customer.id == Membership.customer) & (Customer.default_group == general.id)))

    # Anyone leaving their default group?  Asked first, before any row is
    # written, so that General's lock is taken before any row lock: taken
    # after row locks, it could close a circle of waits that MySQL, whose
    # named locks and row locks have separate deadlock detectors, never sees.
    general_locked = g.id != general.id and Customer.select(Customer.id).where(
        (Customer.default_group == g.id)
        & Customer.id.in_(Membership.select(Membership.customer).where(cond))).exists()
    if general_locked:
        lock_groups(general_id=general.id)
    change = begin_change(g, "left", source, actor)
    removed = _end_memberships(g, cond, change)
    finish_change(change, g, removed, notify=_notifies(g))
    if removed and Customer.select(Customer.id).where(
            (Customer.default_group == g.id) & Customer.id.in_(_ended(change))).exists():
        # (For General: someone made it their default meanwhile, again without them.)
        if not general_locked:  # a default changed meanwhile: again, with General's lock
            raise Interfered(f"a customer leaving {g.name!r} made it their default group meanwhile")
        # Whoever leaves their default group falls back to General.
        _fall_back_to_general(g, _ended(change), general)
    return removed


def _ensure_member(g: CustomerGroup, customer_id: int, *, actor: str | None) -> int:
    """Make one customer a member of ``g`` if they are not (for making ``g``
    their default group, without ``g``'s members' lock); 1 if they joined.
    Their membership row is read locked: a bulk change removing it meanwhile
    is waited for, and the row added again (see
    :func:`_remove_members_where`)."""
    row = Membership.select(Membership.customer).where(
        (Membership.group == g.id) & (Membership.customer == customer_id))
    if is_postgres() or is_mysql():
        row = row.for_update("FOR KEY SHARE" if is_postgres() else "LOCK IN SHARE MODE")
    if list(row.tuples()):
        return 0
    return _insert_members_from(g, Customer.select(Customer.id).where(Customer.id == customer_id), actor=actor)


def _lock_for(group_id: int, sel: Selection) -> None:
    """The lock a change of ``sel``'s membership of a group takes.  A bulk
    change takes the group's members' lock (:func:`lock_groups`).  A
    handful of customers joining or leaving alone do not queue behind bulk
    changes: each row they add or remove is theirs alone (a bulk change
    that finds one of its rows changed meanwhile runs again), and the
    group's row, held (:func:`hold_group`), keeps the group from being
    deleted under them and is ready for the version they add to it.
    Who may leave General depends on their default group: leaving it alone
    holds those customers' rows, shared, so their default cannot change
    meanwhile (a bulk change of General holds General's lock, which every
    move to General as default takes)."""
    if not is_small(sel):
        lock_groups(group_id)
        return
    hold_group(group_id)
    if sel.op == "ids" and group_id == general_group().id:
        share_rows(Customer, sel.args[0])


@requires("bulk")
@retried
def assign_customers(group_id: int, sel: Selection, *, actor: str | None = None) -> int:
    """Add a selection of customers to a group.  Returns how many joined."""
    group_id = as_id(group_id, "group_id", "A group's id")
    if not isinstance(sel, Selection):
        raise ValidationError({"selection": "The customers must be a selection of customers"})
    bulk(not is_small(sel))
    with db.atomic():
        _lock_for(group_id, sel)
        g = get_group(group_id)
        _check_assignable(g)
        with undoable() as op:
            added = _insert_members(g, sel, actor=actor)
        CustomerGroup.update(version=CustomerGroup.version + 1).where(CustomerGroup.id == g.id).execute()
        audit("group.assign", "group", g.id, after={"added": added, "selection": sel.describe(), "change": op["op"]},
              actor=actor)
    return added


@requires("bulk")
@retried
def unassign_customers(group_id: int, sel: Selection, *, actor: str | None = None) -> int:
    """Remove a selection of customers from a group.  Returns how many left."""
    group_id = as_id(group_id, "group_id", "A group's id")
    if not isinstance(sel, Selection):
        raise ValidationError({"selection": "The customers must be a selection of customers"})
    bulk(not is_small(sel))
    with db.atomic():
        _lock_for(group_id, sel)
        g = get_group(group_id)
        _check_unlocked(g)
        with undoable() as op:
            removed = 0 if sel.op == "none" else _remove_members_where(
                g, Membership.customer.in_(sel.query(Customer.id)), actor=actor)
        CustomerGroup.update(version=CustomerGroup.version + 1).where(CustomerGroup.id == g.id).execute()
        audit("group.unassign", "group", g.id, after={"removed": removed, "selection": sel.describe(),
                                                      "change": op["op"]}, actor=actor)
    return removed


@read_snapshot()
def list_groups(text: str = "", *, sort: str = "name", descending: bool = False,
                with_counts: bool = True) -> list[GroupRow]:
    """Every group (a shop has a handful), with member counts."""
    text = typed_text(text, "text")
    if has_control_chars(text):
        raise ValidationError({"text": "Text cannot contain control characters"})
    q = (CustomerGroup.select(CustomerGroup, TaxClass.name.alias("tax_name"))
         .join(TaxClass, pw.JOIN.LEFT_OUTER, on=(CustomerGroup.tax_class == TaxClass.id)))
    t = text.strip().lower()
    if t:
        q = q.where(CustomerGroup.code.contains(t) | CustomerGroup.name.contains(t))
    counts: dict[int, int] = {}
    if with_counts:
        counts = dict(Membership.select(Membership.group, pw.fn.COUNT(Membership.customer))
                      .group_by(Membership.group).tuples())
    rows = [GroupRow(id=g.id, code=g.code, name=g.name, description=g.description,
                     tax_class=getattr(g, "tax_name", None) or "", tax_class_id=g.tax_class_id,
                     discount_percent=Decimal(g.discount_percent), free_shipping=g.free_shipping,
                     hidden=g.hidden, is_system=g.is_system, version=g.version,
                     member_count=counts.get(g.id, 0))
            for g in q.objects()]
    key_funcs: dict[str, Callable[[GroupRow], Any]] = {
        "code": lambda r: r.code, "name": lambda r: r.name.lower(),
        "members": lambda r: r.member_count, "tax_class": lambda r: r.tax_class.lower(),
        "discount": lambda r: r.discount_percent, "free_shipping": lambda r: r.free_shipping,
        "hidden": lambda r: r.hidden, "system": lambda r: r.is_system,
    }
    if not isinstance(sort, str) or sort not in key_funcs:
        raise ValidationError({"sort": f"Cannot sort groups by {clean_line(repr(sort))}"})
    rows.sort(key=lambda r: (key_funcs[sort](r), r.id), reverse=descending)
    return rows


def group_member_count(group_id: int) -> int:
    return Membership.select().where(Membership.group == group_id).count()


def tax_classes() -> list[TaxClass]:
    return list(TaxClass.select().order_by(TaxClass.name))


@read_snapshot()
def group_row(group_id: int) -> GroupRow:
    """One group as :func:`list_groups` shows it, with its member count.
    :class:`NotFoundError` if it is gone."""
    g = get_group(group_id)
    tax = TaxClass.get_or_none(TaxClass.id == g.tax_class_id) if g.tax_class_id is not None else None
    return GroupRow(id=g.id, code=g.code, name=g.name, description=g.description,
                    tax_class=tax.name if tax is not None else "", tax_class_id=g.tax_class_id,
                    discount_percent=Decimal(g.discount_percent), free_shipping=g.free_shipping,
                    hidden=g.hidden, is_system=g.is_system, version=g.version,
                    member_count=group_member_count(g.id))
