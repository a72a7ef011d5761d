"""What every Backroom database starts with: the Standard tax class and the General, Guest and Wholesale groups."""

from __future__ import annotations

from decimal import Decimal

from .tables import CustomerGroup, TaxClass

DEFAULT_GROUPS = (
    # code, name, description, system, hidden
    ("general", "General", "The default group for new customers.", False, False),
    ("guest", "Guest", "Visitors who are not logged in.", True, False),
    ("wholesale", "Wholesale", "Trade customers buying in bulk.", False, False),
)


def ensure_defaults() -> None:
    """The groups and tax class every Backroom database starts with."""
    tax = TaxClass.get_or_none(TaxClass.name == "Standard")
    if tax is None:
        tax = TaxClass.create(name="Standard", rate_percent=Decimal("20.00"))
    for code, name, desc, system, hidden in DEFAULT_GROUPS:
        if not CustomerGroup.select().where(CustomerGroup.code == code).exists():
            CustomerGroup.create(code=code, name=name, description=desc, is_system=system,
                                 hidden=hidden, tax_class=tax)
