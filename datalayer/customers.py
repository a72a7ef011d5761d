"""Customers: create, edit, disable, find and page through them; addresses and default group."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import unicodedata
from decimal import Decimal
from typing import Any, Sequence

import peewee as pw

from .admins import requires
from .audit import audit, resolve_actor
from .connection import db
from .errors import ConflictError, ValidationError
from .groups import (
    GroupRow,
    _check_assignable,
    _ensure_member,
    _notifies,
    _unchanged,
    assign_customers,
    list_groups,
    unassign_customers,
)
from .lookup import as_id, as_version, general_group, get_customer, get_group, possible_id
from .parsing import DATE_MAX, DATE_MIN, clean_line, has_control_chars, money, quoted, typed_text
from .text import fold
from .passwords import _check_password, hash_password, reset_password
from .selection import CustomerFilter, Selection, _IdsIn
from .tables import (
    ACCOUNT_TYPES,
    ADDRESS_KINDS,
    CUSTOMER_STATUSES,
    LANGUAGES,
    Address,
    Customer,
    CustomerGroup,
    Membership,
    Notification,
    utcnow,
)
from .transactions import read_snapshot, retried, share_group

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


CUSTOMER_SORTS: dict[str, tuple[pw.Field, ...]] = {
    "name": (Customer.last_key, Customer.name_key),
    "email": (Customer.email_key,),
    "registered": (Customer.registered_at,),
    "total_spent": (Customer.total_spent,),
    "orders": (Customer.order_count,),
    "status": (Customer.status,),
    # Groups customers by default group (in the order groups were created), through its index.
    "default_group": (Customer.default_group,),
}


def normalize_email(email: str) -> str:
    if not isinstance(email, str):
        raise ValidationError({"email": "An email must be text"})
    return unicodedata.normalize("NFC", email.strip()).lower()


CUSTOMER_FIELDS = ("first_name", "last_name", "email", "phone", "status", "account_type", "language",
                   "tax_exempt")
"""What :func:`create_customer` (the first four) and :func:`update_customer` take."""

_TEXT_LIMITS = {"first_name": 100, "last_name": 100, "phone": 32}

PHONE_RE = re.compile(r"^[0-9 +\-().]+$")
PHONE_DIGITS = (5, 20)
"""How many digits a phone number has, at least and at most (with the
country code and an extension)."""


def _phone_error(phone: str) -> str:
    """Why ``phone`` (stripped, not blank) is no phone number; "" if it is one."""
    if not PHONE_RE.fullmatch(phone):
        return "Phone can hold only the digits 0-9, spaces and + - ( ) ."
    digits = sum(ch.isdigit() for ch in phone)
    if not PHONE_DIGITS[0] <= digits <= PHONE_DIGITS[1]:
        return f"Phone must have {PHONE_DIGITS[0]} to {PHONE_DIGITS[1]} digits"
    return ""
_CHOICES = {"status": CUSTOMER_STATUSES, "account_type": ACCOUNT_TYPES, "language": LANGUAGES}


def _clean_customer_fields(data: Any, *, creating: bool, current: Customer | None = None) -> dict[str, Any]:
    """The account fields as typed, checked; ``current`` (an update) is the
    stored customer: a value equal to its stored one is kept as it is."""
    if not isinstance(data, dict):
        raise ValidationError({"customer": "A customer's fields must be given as a mapping of field to value"})
    unknown = {k for k in data if k not in CUSTOMER_FIELDS}
    if unknown:
        raise ValidationError({clean_line(k): "Not a customer field" for k in sorted(map(str, unknown))})
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}

    def given(name: str) -> bool:
        if not (creating or name in data):
            return False
        return current is None or name not in data or not _unchanged(data[name], getattr(current, name))

    for name, limit in _TEXT_LIMITS.items():
        if not given(name):
            continue
        label = name.replace("_", " ").capitalize()
        try:
            value = typed_text(data.get(name), name, label).strip()
        except ValidationError as exc:
            errors.update(exc.errors)
            continue
        if len(value) > limit:
            errors[name] = f"{label} must be at most {limit} characters"
        elif has_control_chars(value):
            errors[name] = f"{label} cannot contain control characters"
        elif name == "phone" and value and (why := _phone_error(value)):
            errors[name] = why
        elif name == "last_name" and not value and current is not None and current.last_name.strip():
            errors[name] = "Last name cannot be cleared"
        out[name] = value
    if creating and not out.get("first_name") and not out.get("last_name") and not (
            {"first_name", "last_name"} & set(errors)):
        errors["first_name"] = "First or last name is required"
    if given("email"):
        try:
            email = unicodedata.normalize("NFC", typed_text(data.get("email"), "email").strip())
        except ValidationError as exc:
            errors.update(exc.errors)
        else:
            if not email:
                errors["email"] = "Email is required"
            elif len(email) > 254:
                errors["email"] = "Email must be at most 254 characters"
            elif has_control_chars(email) or not EMAIL_RE.fullmatch(email):
                errors["email"] = f"{quoted(email, 60)} is not an email address"
            out["email"] = email
    for name, choices in _CHOICES.items():
        if name in data and given(name):
            value = data[name]
            if not isinstance(value, str) or value not in choices:
                errors[name] = f"{name.replace('_', ' ').capitalize()} must be one of {', '.join(choices)}"
            out[name] = value
    if "tax_exempt" in data:
        if not isinstance(data["tax_exempt"], bool):
            errors["tax_exempt"] = "Tax exempt must be true or false"
        out["tax_exempt"] = data["tax_exempt"]
    if errors:
        raise ValidationError(errors)
    if "email" in out:
        out["email_key"] = normalize_email(out["email"])
        out["email_fold"] = customer_keys("", "", out["email"], out["email_key"])[2]
    return out


def customer_keys(first: str, last: str, email: str, email_key: str | None) -> tuple[str, str, str | None]:
    """What a customer is found by (see CustomerFilter): the folded full
    name and last name (``text.fold``: case and accents dropped), and the
    folded email where it differs from ``email_key`` (else None; None too
    for a customer with no email, found by phone)."""
    folded_email = fold(email.strip())[:254]
    return (fold(f"{first} {last}".strip())[:201], fold(last.strip())[:100],
            None if folded_email in ("", email_key) else folded_email)


def _with_name_keys(fields: dict[str, Any], current: Customer | None = None) -> dict[str, Any]:
    first = fields.get("first_name", current.first_name if current else "")
    last = fields.get("last_name", current.last_name if current else "")
    fields["name_key"], fields["last_key"], _ = customer_keys(first, last, "", "")
    return fields


def _email_taken(email_key: str, exclude_id: int | None = None) -> bool:
    q = Customer.select().where(Customer.email_key == email_key)
    if exclude_id is not None:
        q = q.where(Customer.id != exclude_id)
    return q.exists()


def _customer_snapshot(c: Customer) -> dict[str, Any]:
    return {k: getattr(c, k) for k in ("first_name", "last_name", "email", "phone", "status",
                                       "account_type", "tax_exempt", "language", "default_group_id",
                                       "version")}


@requires("customers")
@retried
def create_customer(data: dict[str, Any], *, group_id: int | None = None, password: str | None = None,
                    billing: dict[str, Any] | None = None, registered_at: dt.datetime | None = None,
                    actor: str | None = None) -> Customer:
    """Create a customer in General (or ``group_id``), optionally with a
    temporary password and a billing address.  Email is required and unique
    whatever its case; nothing is saved unless everything is valid."""
    errors: dict[str, str] = {}
    fields: dict[str, Any] = {}
    address = None
    try:
        fields = _with_name_keys(_clean_customer_fields(data, creating=True))
    except ValidationError as exc:
        errors.update(exc.errors)
    if billing is not None and not isinstance(billing, dict):
        errors["billing"] = "An address must be given as a mapping of field to value"
    elif billing is not None and any(not isinstance(v, str) or v.strip() for v in billing.values() if v is not None):
        try:
            address = _clean_address(billing, "billing")
        except ValidationError as exc:
            errors.update(exc.errors)
    if password is not None:
        try:
            _check_password(password)
        except ValidationError as exc:
            errors.update(exc.errors)
    if group_id is not None:
        try:
            group_id = as_id(group_id, "group", "A group's id")
        except ValidationError as exc:
            errors.update(exc.errors)
    if registered_at is not None and not (isinstance(registered_at, dt.datetime)
                                          and DATE_MIN <= registered_at.date() <= DATE_MAX):
        errors["registered_at"] = f"A registration time must be between {DATE_MIN} and {DATE_MAX}"
    if errors:
        raise ValidationError(errors)
    actor = resolve_actor(actor)
    # Hashed before the transaction: scrypt takes a while, and on SQLite a
    # write transaction holds the whole database.
    password_hash = hash_password(password) if password is not None else None
    with db.atomic():
        if _email_taken(fields["email_key"]):
            raise ValidationError({"email": f"{clean_line(fields['email'])} is already used by another customer"})
        if group_id is not None:
            share_group(group_id)  # not deleted meanwhile
        group = get_group(group_id) if group_id is not None else general_group()
        _check_assignable(group)
        if password_hash is not None:
            fields["password_hash"] = password_hash
        try:
            with db.atomic():
                c = Customer.create(default_group=group.id, registered_at=registered_at or utcnow(), **fields)
        except pw.IntegrityError:
            raise ValidationError(
                {"email": f"{clean_line(fields['email'])} is already used by another customer"}) from None
        Membership.create(customer=c.id, group=group.id, added_by=resolve_actor(actor))
        if group.code != "general" and _notifies(group):
            # Created straight into a group: a join like any other (General is where every account starts).
            Notification.create(customer=c.id, group=group.id, group_name=group.name, event="joined",
                                source="manual", actor=resolve_actor(actor))
        if address is not None:
            Address.create(customer=c.id, kind="billing", **address)
        audit("customer.create", "customer", c.id,
              after={**_customer_snapshot(c), "password_set": password is not None,
                     "billing": address}, actor=actor)
    return c


@requires("customers")
@retried
def update_customer(customer_id: int, changes: dict[str, Any], *, expected_version: int,
                    actor: str | None = None) -> Customer:
    """Change a customer's account fields, refusing a concurrent edit.  A
    field handed back with its stored value, unchanged, is accepted whatever
    it holds (see :func:`_unchanged`); only new values are checked."""
    version = as_version(expected_version)
    actor = resolve_actor(actor)
    if not isinstance(changes, dict):
        raise ValidationError({"customer": "A customer's changes must be given as a mapping of field to value"})
    with db.atomic():
        c = get_customer(customer_id)
        fields = _clean_customer_fields(changes, creating=False, current=c)
        if "email_key" in fields and _email_taken(fields["email_key"], exclude_id=c.id):
            raise ValidationError({"email": f"{clean_line(fields['email'])} is already used by another customer"})
        if "first_name" in fields or "last_name" in fields:
            _with_name_keys(fields, c)
        before = _customer_snapshot(c)
        fields.update(version=Customer.version + 1, updated_at=utcnow())
        n = (Customer.update(**fields)
             .where((Customer.id == c.id) & (Customer.version == version)).execute())
        if n != 1:
            raise ConflictError(
                f"Someone else changed {clean_line(c.full_name or c.email)} since you opened it. "
                "Reload to see their changes, then apply yours again.")
        c = get_customer(c.id)
        audit("customer.update", "customer", c.id, before=before, after=_customer_snapshot(c), actor=actor)
    return c


@requires("customers")
@retried
def disable_customer(customer_id: int, *, actor: str | None = None) -> Customer:
    c = get_customer(customer_id)
    return update_customer(customer_id, {"status": "disabled"}, expected_version=c.version, actor=actor)


@dataclasses.dataclass
class CustomerRow:
    id: int
    first_name: str
    last_name: str
    email: str
    status: str
    registered_at: dt.datetime
    total_spent: Decimal
    order_count: int
    default_group: str
    groups: list[str]
    hidden_groups: tuple[str, ...] = ()  # those of ``groups`` never shown to customers

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


def customer_query(flt: CustomerFilter | None = None) -> pw.ModelSelect:
    q = Customer.select()
    expr = flt.expression() if flt else None
    return q.where(expr) if expr is not None else q


def count_customers(flt: CustomerFilter | None = None) -> int:
    counted = flt.count_by_text() if isinstance(flt, CustomerFilter) else None
    return counted if counted is not None else customer_query(flt).count()


DEFERRED_JOIN_FROM = 1000
"""From this offset on, a page is read by a deferred join (see :func:`customer_page`)."""


@read_snapshot()
def customer_page(flt: CustomerFilter | None = None, *, sort: str = "registered", descending: bool = False,
                  offset: int = 0, limit: int = 50) -> list[CustomerRow]:
    """One page of customers, with their group codes, in two indexed queries.

    Deep in the list (from :data:`DEFERRED_JOIN_FROM`) the page is a deferred
    join: the page's ids are skipped to and read from the sort's index alone
    (which holds the id), and only the ``limit`` rows found are read whole.
    An OFFSET on the whole rows reads every row it skips: MariaDB took 23 to
    28 s for a page in the middle of 1,000,000 customers, PostgreSQL up to
    2 s, SQLite 130 ms."""
    if not isinstance(sort, str) or sort not in CUSTOMER_SORTS:
        raise ValidationError({"sort": f"Cannot sort customers by {clean_line(sort)!r}"})
    offset, limit = _page_bounds(offset, limit)
    order = [f.desc() if descending else f.asc() for f in CUSTOMER_SORTS[sort]]
    order.append(Customer.id.desc() if descending else Customer.id.asc())
    columns = (Customer.id, Customer.first_name, Customer.last_name, Customer.email, Customer.status,
               Customer.registered_at, Customer.total_spent, Customer.order_count, Customer.default_group)
    first = (flt.first_by_name(offset, limit, descending)
             if isinstance(flt, CustomerFilter) and sort == "name" and offset < DEFERRED_JOIN_FROM else None)
    if first is not None:
        page = first.alias("page")
        q = Customer.select(*columns).join(page, on=(Customer.id == page.c.id)).order_by(*order)
    elif offset < DEFERRED_JOIN_FROM:
        q = customer_query(flt).select(*columns).order_by(*order).offset(offset).limit(limit)
    else:
        page = customer_query(flt).select(Customer.id).order_by(*order).offset(offset).limit(limit).alias("page")
        q = Customer.select(*columns).join(page, on=(Customer.id == page.c.id)).order_by(*order)
    rows = list(q.tuples())
    ids = [r[0] for r in rows]
    codes: dict[int, str] = {}
    hidden: set[str] = set()
    for gid, code, is_hidden in CustomerGroup.select(CustomerGroup.id, CustomerGroup.code,
                                                     CustomerGroup.hidden).tuples():
        codes[gid] = code
        if is_hidden:
            hidden.add(code)
    groups: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        for cid, gid in (Membership.select(Membership.customer, Membership.group)
                         .where(Membership.customer.in_(ids)).tuples()):
            groups[cid].append(codes.get(gid, "?"))
    return [CustomerRow(id=r[0], first_name=r[1], last_name=r[2], email=r[3], status=r[4],
                        registered_at=r[5], total_spent=money(r[6]), order_count=r[7] or 0,
                        default_group=codes.get(r[8], "?"), groups=sorted(groups[r[0]]),
                        hidden_groups=tuple(sorted(hidden.intersection(groups[r[0]]))))
            for r in rows]


def _page_bounds(offset: Any, limit: Any) -> tuple[int, int]:
    """A page's offset and size, as whole numbers the engines accept."""
    for name, value in (("offset", offset), ("limit", limit)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValidationError({name: f"A page's {name} must be a whole number"})
    return min(max(0, offset), 2 ** 62), min(max(0, limit), 100_000)


def customer_groups(customer_id: int) -> list[CustomerGroup]:
    return list(CustomerGroup.select().join(Membership, on=(Membership.group == CustomerGroup.id))
                .where(Membership.customer == customer_id).order_by(CustomerGroup.name))


ADDRESS_LIMITS = {"name": 200, "line1": 200, "line2": 200, "city": 100, "region": 100,
                  "postcode": 20, "country": 2}


def _clean_address(data: Any, kind: str, stored: Sequence[Address] = ()) -> dict[str, str]:
    """An address as typed, checked.  A value equal to the same field's
    stored value in one of the customer's addresses (``stored``) is kept as
    it is, whatever it holds: it is not new (see :func:`_unchanged`)."""
    if not isinstance(data, dict):
        raise ValidationError({kind: "An address must be given as a mapping of field to value"})
    errors: dict[str, str] = {}
    out: dict[str, str] = {}
    unknown = {k for k in data if k not in ADDRESS_LIMITS}
    if unknown:
        raise ValidationError({f"{kind}.{clean_line(k)}": "Not an address field" for k in sorted(map(str, unknown))})
    for name, limit in ADDRESS_LIMITS.items():
        key, label = f"{kind}.{name}", name.capitalize()
        raw = data.get(name)
        if any(_unchanged(raw, getattr(a, name)) for a in stored):
            out[name] = raw
            continue
        try:
            value = typed_text(raw, key, label).strip()
        except ValidationError as exc:
            errors.update(exc.errors)
            continue
        if name == "country":
            value = value.upper()
            if value and not re.fullmatch(r"[A-Z]{2}", value):
                errors[key] = "Country must be a two-letter code such as GB or DE"
                continue
        if len(value) > limit:
            errors[key] = f"{label} must be at most {limit} characters"
        elif has_control_chars(value):
            errors[key] = f"{label} cannot contain control characters"
        out[name] = value
    if errors:
        raise ValidationError(errors)
    return out


def _address_snapshot(customer_id: int) -> dict[str, Any]:
    return {a.kind: {k: getattr(a, k) for k in ADDRESS_LIMITS}
            for a in Address.select().where(Address.customer == customer_id)}


def get_addresses(customer_id: int) -> dict[str, Address | None]:
    """The billing and shipping addresses.  No shipping address means
    "ship to the billing address"."""
    found = {a.kind: a for a in Address.select().where(Address.customer == customer_id)}
    return {kind: found.get(kind) for kind in ADDRESS_KINDS}


def _bump_customer_version(c: Customer, expected_version: int) -> None:
    n = (Customer.update(version=Customer.version + 1, updated_at=utcnow())
         .where((Customer.id == c.id) & (Customer.version == expected_version)).execute())
    if n != 1:
        raise ConflictError(
            f"Someone else changed {clean_line(c.full_name or c.email)} since you opened it. "
            "Reload to see their changes, then apply yours again.")


@requires("customers")
@retried
def save_addresses(customer_id: int, *, billing: dict[str, Any] | None, shipping: dict[str, Any] | None,
                   shipping_same_as_billing: bool, expected_version: int,
                   actor: str | None = None) -> Customer:
    """Replace a customer's addresses.  With ``shipping_same_as_billing`` the
    separate shipping address is removed, so shipping follows billing; without
    it the two are independent and editing one never changes the other.
    A value equal to one stored in the customer's addresses is accepted
    unchanged, whatever it holds; only new values are checked."""
    if not isinstance(shipping_same_as_billing, bool):
        raise ValidationError({"shipping_same_as_billing": "Shipping same as billing must be true or false"})
    version = as_version(expected_version)
    actor = resolve_actor(actor)
    with db.atomic():
        c = get_customer(customer_id)
        stored = list(Address.select().where(Address.customer == c.id))
        errors: dict[str, str] = {}
        clean: dict[str, dict[str, str] | None] = {"billing": None, "shipping": None}
        for kind, data in (("billing", billing), ("shipping", None if shipping_same_as_billing else shipping)):
            if data is not None:
                try:
                    clean[kind] = _clean_address(data, kind, stored)
                except ValidationError as exc:
                    errors.update(exc.errors)
        if errors:
            raise ValidationError(errors)
        before = _address_snapshot(c.id)
        _bump_customer_version(c, version)
        for kind in ADDRESS_KINDS:
            data = clean[kind]
            if kind == "shipping" and shipping_same_as_billing:
                Address.delete().where((Address.customer == c.id) & (Address.kind == "shipping")).execute()
            elif data is not None:
                updated = (Address.update(**data)
                           .where((Address.customer == c.id) & (Address.kind == kind)).execute())
                if not updated:
                    Address.create(customer=c.id, kind=kind, **data)
        audit("customer.addresses", "customer", c.id, before=before, after=_address_snapshot(c.id), actor=actor)
        return get_customer(c.id)


@requires("customers")
@retried
def set_default_group(customer_id: int, group_id: int, *, expected_version: int,
                      actor: str | None = None) -> Customer:
    """Make ``group_id`` the customer's default group (joining it if needed)."""
    group_id = as_id(group_id, "group_id", "A group's id")
    version = as_version(expected_version)
    actor = resolve_actor(actor)
    with db.atomic():
        # The group's row, shared, before the customer's: not deleted
        # meanwhile; a bulk change of its members is not waited for (see
        # _ensure_member), not even one taking customers out of General (it
        # runs again if one of them made General their default meanwhile).
        share_group(group_id)
        c = get_customer(customer_id)
        g = get_group(group_id)
        _check_assignable(g)
        before = c.default_group_id
        _bump_customer_version(c, version)
        Customer.update(default_group=g.id).where(Customer.id == c.id).execute()
        joined = _ensure_member(g, c.id, actor=actor)
        audit("customer.default_group", "customer", c.id, before={"default_group_id": before},
              after={"default_group_id": g.id, "joined": joined}, actor=actor)
        return get_customer(c.id)


def has_customers() -> bool:
    """Whether the database has any customer at all."""
    return Customer.select(Customer.id).exists()


def find_customer(key: str) -> CustomerRow | None:
    """The customer an admin means by an id typed as ``12`` or ``#12``, as a
    list row; None when ``key`` is not an id or nobody has it."""
    if not isinstance(key, str):
        return None
    key = key.strip().lstrip("#")
    if not (key.isascii() and key.isdigit()) or len(key) > 12 or not possible_id(int(key)):
        return None
    rows = customer_page(_IdsIn(Customer.select(Customer.id).where(Customer.id == int(key))),  # type: ignore[arg-type]
                         limit=1)
    return rows[0] if rows else None


@dataclasses.dataclass(frozen=True)
class CustomerWrite:
    """What an operation wrote to one customer: the customer as it left them
    and the version it replaced (``customer.version`` itself when the
    operation did not change the customer's row)."""

    customer: Customer
    replaced_version: int

    def version_after(self, held: int) -> int:
        """The version a form loaded at ``held`` saves against from now on:
        this write's own when it replaced ``held``; else ``held``, so a change
        someone else made in between is still refused, not overwritten."""
        return self.customer.version if self.replaced_version == held else held


def assignable_groups(customer_id: int | None = None, *, include_locked: bool = False) -> list[GroupRow]:
    """The groups, by name, a customer may be added to: no system group
    (Guest) and, given ``customer_id``, none the customer already belongs to.
    ``include_locked`` keeps the system groups they are not in, for a picker
    that shows them marked (assigning one is refused with a message)."""
    member: set[int] = set()
    if customer_id is not None:
        member = set(Membership.select(Membership.group).where(Membership.customer == customer_id).scalars())
    return [g for g in list_groups(with_counts=False, sort="name")
            if g.id not in member and (include_locked or not g.is_system)]


@requires("customers")
@retried
def join_group(customer_id: int, group_id: int, *, actor: str | None = None) -> CustomerWrite:
    """Add one customer to a group (see :func:`assign_customers`)."""
    with db.atomic():
        get_customer(customer_id)
        assign_customers(group_id, Selection.ids([customer_id]), actor=actor)
        c = get_customer(customer_id)
    return CustomerWrite(c, c.version)


@requires("customers")
@retried
def leave_group(customer_id: int, group_id: int, *, actor: str | None = None) -> CustomerWrite:
    """Remove one customer from a group (see :func:`unassign_customers`):
    leaving their default group moves them back to General."""
    with db.atomic():
        get_customer(customer_id)
        unassign_customers(group_id, Selection.ids([customer_id]), actor=actor)
        c = get_customer(customer_id)
    return CustomerWrite(c, c.version)


@requires("customers")
@retried
def disable_account(customer_id: int, *, actor: str | None = None) -> CustomerWrite:
    """:func:`disable_customer`, saying which version it replaced."""
    with db.atomic():
        before = get_customer(customer_id)
        c = update_customer(customer_id, {"status": "disabled"}, expected_version=before.version, actor=actor)
    return CustomerWrite(c, before.version)


@requires("customers")
@retried
def reset_account_password(customer_id: int, password: str | None = None, *,
                           actor: str | None = None) -> tuple[str, CustomerWrite]:
    """:func:`reset_password` (the password to show once), saying which
    version it replaced."""
    with db.atomic():
        password = reset_password(customer_id, password, actor=actor)
        c = get_customer(customer_id)
    # reset_password adds one to the version, and this transaction holds the
    # row from that update until it commits: the version replaced is one less.
    return password, CustomerWrite(c, c.version - 1)
