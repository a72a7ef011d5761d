"""Erasing a customer's personal data, everywhere it is stored (a data-protection request)."""

from __future__ import annotations

import json
from typing import Any

from .audit import audit
from .connection import db
from .customers import ADDRESS_LIMITS, normalize_email
from .errors import ValidationError
from .lookup import get_customer
from .tables import Address, AuditEntry, Customer, utcnow
from .transactions import retried

PERSONAL_FIELDS = ("first_name", "last_name", "email", "phone")


@retried
def erase_customer(customer_id: int, confirm_email: str, *, actor: str | None = None) -> Customer:
    """Erase a customer's personal data (a data-protection request).

    Personal fields become placeholders, the password and addresses go, and
    personal values are scrubbed from earlier audit entries about the
    customer.  Orders and reviews stay, for the books.  ``confirm_email``
    must be the customer's email, typed again."""
    with db.atomic():
        c = get_customer(customer_id)
        if normalize_email(confirm_email or "") != c.email_key:
            raise ValidationError({"confirm_email": "Type the customer's email exactly to confirm the erasure"})
        placeholder = f"erased-{c.id}@erased.invalid"
        Customer.update(first_name="Erased", last_name="customer", email=placeholder, email_key=placeholder,
                        name_key="erased customer", last_key="customer", phone="", password_hash=None,
                        status="disabled", version=Customer.version + 1,
                        updated_at=utcnow()).where(Customer.id == c.id).execute()
        Address.delete().where(Address.customer == c.id).execute()
        for entry in AuditEntry.select().where((AuditEntry.entity == "customer")
                                               & (AuditEntry.entity_id == str(c.id))):
            AuditEntry.update(before=_scrub(entry.before), after=_scrub(entry.after)).where(
                AuditEntry.id == entry.id).execute()
        audit("customer.erase", "customer", c.id, after={"erased": True}, actor=actor)
        return get_customer(c.id)


def _scrub(payload: str | None) -> str | None:
    if not payload:
        return payload
    data = json.loads(payload)

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: "[erased]" if k in PERSONAL_FIELDS or k in ADDRESS_LIMITS else walk(v)
                    for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return json.dumps(walk(data), sort_keys=True)
