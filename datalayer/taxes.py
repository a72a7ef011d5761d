"""Tax classes: list, add, rename, delete (only when no group uses one) and
the shop's default class, which new groups get unless told otherwise."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import peewee as pw

from .admins import requires
from .audit import audit, resolve_actor
from .connection import db, is_mysql, is_postgres
from .errors import LockedError, NotFoundError, ValidationError
from .lookup import as_id, possible_id
from .parsing import clean_line, has_control_chars, quoted, typed_decimal, typed_text
from .tables import CustomerGroup, SchemaMeta, TaxClass
from .transactions import read_snapshot, retried, share_rows

TAX_NAME_MAX = 64

_DEFAULT_KEY = "default_tax_class"
"""The shop setting (a row of SchemaMeta, like the outbox's mark) naming the
default tax class by id."""


@dataclasses.dataclass
class TaxClassRow:
    """A tax class as the list shows it."""

    id: int
    name: str
    rate_percent: Decimal
    is_default: bool
    group_count: int


def _clean_name(raw: Any) -> str:
    name = typed_text(raw, "name").strip()
    if not name:
        raise ValidationError({"name": "Name is required"})
    if len(name) > TAX_NAME_MAX:
        raise ValidationError({"name": f"Name must be at most {TAX_NAME_MAX} characters"})
    if has_control_chars(name):
        raise ValidationError({"name": "Name cannot contain control characters"})
    return name


def _clean_rate(raw: Any) -> Decimal:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return Decimal("0")
    value = typed_decimal(raw, thousands=False)
    if value is None:
        what = quoted(raw) if isinstance(raw, str) else "a " + type(raw).__name__
        raise ValidationError({"rate_percent": f"Rate must be a number from 0 to 100, not {what}"})
    if not 0 <= value <= 100:
        raise ValidationError({"rate_percent": "Rate must be from 0 to 100 percent"})
    if value != value.quantize(Decimal("0.01")):
        raise ValidationError({"rate_percent": "Rate can have at most two decimal places"})
    return value


def _check_name_free(name: str, *, except_id: int | None = None) -> None:
    """Names are unique whatever their case ("Reduced" and "reduced" are one)."""
    q = TaxClass.select(TaxClass.id).where(pw.fn.LOWER(TaxClass.name) == name.lower())
    if except_id is not None:
        q = q.where(TaxClass.id != except_id)
    if q.exists():
        raise ValidationError({"name": f"A tax class named {quoted(name)} already exists"})


def get_tax_class(tax_class_id: Any) -> TaxClass:
    tid = as_id(tax_class_id, "tax_class_id", "A tax class's id")
    t = TaxClass.get_or_none(TaxClass.id == tid) if possible_id(tid) else None
    if t is None:
        raise NotFoundError(f"No tax class with id {tid}")
    return t


def find_tax_class(name: Any) -> TaxClass:
    """A tax class by its name, whatever its case."""
    text = typed_text(name, "name").strip()
    t = TaxClass.get_or_none(pw.fn.LOWER(TaxClass.name) == text.lower())
    if t is None:
        raise NotFoundError(f"No tax class named {quoted(text)}")
    return t


def default_tax_class_id() -> int | None:
    """The shop's default tax class: the one set (:func:`set_default_tax_class`)
    if it still exists, else the oldest (Standard on a new shop); None when
    there is none at all."""
    row = SchemaMeta.get_or_none(SchemaMeta.key == _DEFAULT_KEY)
    if row is not None and row.value.isdigit() and possible_id(int(row.value)):
        if TaxClass.select().where(TaxClass.id == int(row.value)).exists():
            return int(row.value)
    return TaxClass.select(TaxClass.id).order_by(TaxClass.id).scalar()


@read_snapshot()
def list_tax_classes() -> list[TaxClassRow]:
    """Every tax class (a shop has a handful) by name, with how many groups use each."""
    default = default_tax_class_id()
    counts = dict(CustomerGroup.select(CustomerGroup.tax_class, pw.fn.COUNT(CustomerGroup.id))
                  .where(CustomerGroup.tax_class.is_null(False))
                  .group_by(CustomerGroup.tax_class).tuples())
    rows = [TaxClassRow(id=t.id, name=t.name, rate_percent=Decimal(t.rate_percent).quantize(Decimal("0.01")), is_default=t.id == default,
                        group_count=counts.get(t.id, 0))
            for t in TaxClass.select()]
    rows.sort(key=lambda r: (r.name.lower(), r.id))
    return rows


def hold_tax_class(tax_class_id: int | None) -> None:
    """A group's tax class, held (shared) until the transaction ends so it
    is not deleted meanwhile; gone already, it is an error on the field."""
    if tax_class_id is None:
        return
    share_rows(TaxClass, [tax_class_id])
    if not TaxClass.select().where(TaxClass.id == tax_class_id).exists():
        raise ValidationError({"tax_class_id": "No such tax class"})


def _lock_tax_class(tid: int) -> None:
    """Hold the class's row until the transaction ends (SQLite: the write
    transaction holds the database already)."""
    if is_postgres() or is_mysql():
        list(TaxClass.select(TaxClass.id).where(TaxClass.id == tid).for_update().tuples())


@requires("admins")
@retried
def add_tax_class(name: Any, rate_percent: Any = None, *, make_default: bool = False,
                  actor: str | None = None) -> TaxClass:
    """A new tax class (the shop's default too, if ``make_default``); its
    name must be new, whatever its case."""
    clean = _clean_name(name)
    rate = _clean_rate(rate_percent)
    if not isinstance(make_default, bool):
        raise ValidationError({"make_default": "Make default must be true or false"})
    actor = resolve_actor(actor)
    with db.atomic():
        _check_name_free(clean)
        try:
            with db.atomic():
                t = TaxClass.create(name=clean, rate_percent=rate)
        except pw.IntegrityError:
            raise ValidationError({"name": f"A tax class named {quoted(clean)} already exists"}) from None
        audit("tax_class.create", "tax_class", t.id, after={"name": clean, "rate_percent": rate}, actor=actor)
        if make_default:
            _set_default(t, actor)
    return t


@requires("admins")
@retried
def rename_tax_class(tax_class_id: Any, name: Any, *, actor: str | None = None) -> TaxClass:
    """Give a tax class another name (new, whatever its case).  Renaming it
    to the name it has already changes and records nothing."""
    clean = _clean_name(name)
    actor = resolve_actor(actor)
    with db.atomic():
        t = get_tax_class(tax_class_id)
        _lock_tax_class(t.id)
        if clean == t.name:
            return t
        _check_name_free(clean, except_id=t.id)
        before = t.name
        try:
            with db.atomic():
                TaxClass.update(name=clean).where(TaxClass.id == t.id).execute()
        except pw.IntegrityError:
            raise ValidationError({"name": f"A tax class named {quoted(clean)} already exists"}) from None
        audit("tax_class.rename", "tax_class", t.id, before={"name": before}, after={"name": clean}, actor=actor)
        t.name = clean
    return t


def tax_class_delete_refused(row: TaxClassRow) -> str:
    """Why ``row`` (as :func:`list_tax_classes` read it) cannot be deleted,
    in a sentence for the admin; "" if it can.  Reads nothing: the
    operation asks the same of the class as it is when it runs."""
    name = clean_line(row.name)
    if row.group_count:
        n = row.group_count
        return f"{name} is used by {n:,} group{'s' if n != 1 else ''}: give them another tax class before deleting it."
    if row.is_default:
        return f"{name} is the shop's default tax class: make another the default before deleting it."
    return ""


@requires("admins")
@retried
def delete_tax_class(tax_class_id: Any, *, actor: str | None = None) -> None:
    """Delete a tax class no group uses and that is not the shop's default."""
    actor = resolve_actor(actor)
    with db.atomic():
        t = get_tax_class(tax_class_id)
        _lock_tax_class(t.id)
        used = CustomerGroup.select().where(CustomerGroup.tax_class == t.id).count()
        refused = tax_class_delete_refused(TaxClassRow(id=t.id, name=t.name, rate_percent=Decimal(t.rate_percent),
                                                       is_default=default_tax_class_id() == t.id,
                                                       group_count=used))
        if refused:
            raise LockedError(refused)
        TaxClass.delete().where(TaxClass.id == t.id).execute()
        audit("tax_class.delete", "tax_class", t.id, before={"name": t.name, "rate_percent": t.rate_percent},
              actor=actor)


@requires("admins")
@retried
def set_default_tax_class(tax_class_id: Any, *, actor: str | None = None) -> TaxClass:
    """Make a tax class the shop's default: the one new groups get."""
    actor = resolve_actor(actor)
    with db.atomic():
        t = get_tax_class(tax_class_id)
        _lock_tax_class(t.id)
        _set_default(t, actor)
    return t


def _set_default(t: TaxClass, actor: str) -> None:
    before = default_tax_class_id()
    if before != t.id:
        if not SchemaMeta.update(value=str(t.id)).where(SchemaMeta.key == _DEFAULT_KEY).execute():
            SchemaMeta.create(key=_DEFAULT_KEY, value=str(t.id))
        audit("tax_class.default", "tax_class", t.id, before={"default_id": before}, after={"default_id": t.id},
              actor=actor)
