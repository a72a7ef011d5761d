"""Finding one group or customer by id or code, and the system groups (General, Guest)."""

from __future__ import annotations

from typing import Any

from .errors import LockedError, NotFoundError, ValidationError
from .tables import Customer, CustomerGroup
from .text import inert_line

ID_MAX = 2 ** 31 - 1
"""The largest id a table's key (a 32-bit integer on every engine) holds."""


def as_id(value: Any, field: str, what: str = "An id") -> int:
    """A record's id: an int, or a string of the digits 0-9.  Anything else
    (None, true/false, "1e0", a list) is a :class:`ValidationError` naming
    ``field``; an id no record can have (0, negative, past :data:`ID_MAX`)
    is returned as it is, for the lookup to find nothing."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        t = value.strip()
        if t.isascii() and t.isdigit() and len(t) <= 12:
            return int(t)
    raise ValidationError({field: f"{what} must be a whole number, not {inert_line(repr(value))[:40]}"})


def as_version(value: Any) -> int:
    """The version a save names (see "Concurrent edits"), checked as an id
    is.  One no record can have (0, negative, past :data:`ID_MAX`) becomes
    -1, which matches no row: the save is refused as a conflict, and the
    query cannot overflow the engine's integer."""
    version = as_id(value, "expected_version", "The version")
    return version if possible_id(version) else -1


def possible_id(value: int) -> bool:
    """Whether a record could have this id (else a query with it could
    overflow the engine's integer)."""
    return 1 <= value <= ID_MAX


def general_group() -> CustomerGroup:
    return CustomerGroup.get(CustomerGroup.code == "general")


def guest_group() -> CustomerGroup:
    return CustomerGroup.get(CustomerGroup.code == "guest")


def get_group(group_id: int) -> CustomerGroup:
    gid = as_id(group_id, "group_id", "A group's id")
    g = CustomerGroup.get_or_none(CustomerGroup.id == gid) if possible_id(gid) else None
    if g is None:
        raise NotFoundError(f"No customer group with id {gid}")
    return g


def get_group_by_code(code: str) -> CustomerGroup:
    if not isinstance(code, str):
        raise ValidationError({"code": "A group's code must be text"})
    g = CustomerGroup.get_or_none(CustomerGroup.code == code.strip().lower())
    if g is None:
        raise NotFoundError(f"No customer group with code {inert_line(code)!r}")
    return g


def _check_unlocked(g: CustomerGroup) -> None:
    if g.is_system:
        raise LockedError(f"{inert_line(g.name)} is a system group: it cannot be edited or deleted.")


def get_customer(customer_id: int) -> Customer:
    cid = as_id(customer_id, "customer_id", "A customer's id")
    c = Customer.get_or_none(Customer.id == cid) if possible_id(cid) else None
    if c is None:
        raise NotFoundError(f"No customer with id {cid}")
    return c
