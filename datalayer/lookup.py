"""Finding one group or customer by id or code, and the system groups (General, Guest)."""

from __future__ import annotations

from .errors import LockedError, NotFoundError
from .tables import Customer, CustomerGroup


def general_group() -> CustomerGroup:
    return CustomerGroup.get(CustomerGroup.code == "general")


def guest_group() -> CustomerGroup:
    return CustomerGroup.get(CustomerGroup.code == "guest")


def get_group(group_id: int) -> CustomerGroup:
    g = CustomerGroup.get_or_none(CustomerGroup.id == group_id)
    if g is None:
        raise NotFoundError(f"No customer group with id {group_id}")
    return g


def get_group_by_code(code: str) -> CustomerGroup:
    g = CustomerGroup.get_or_none(CustomerGroup.code == code.strip().lower())
    if g is None:
        raise NotFoundError(f"No customer group with code {code!r}")
    return g


def _check_unlocked(g: CustomerGroup) -> None:
    if g.is_system:
        raise LockedError(f"{g.name} is a system group: it cannot be edited or deleted.")


def get_customer(customer_id: int) -> Customer:
    c = Customer.get_or_none(Customer.id == customer_id)
    if c is None:
        raise NotFoundError(f"No customer with id {customer_id}")
    return c
