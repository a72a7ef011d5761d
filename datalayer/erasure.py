"""Erasing a customer's personal data, everywhere it is stored (a data-protection request).

What is erased, in one transaction:

- the customer's row: names, email, phone and password become placeholders
  (the row stays, so orders keep their customer);
- their addresses and their queued or exported notifications (the outbox);
- the title and body of their reviews (the rating and status stay, for the
  product's figures);
- every copy of their personal values in free text: the reasons of reward
  points and of review moderation (theirs and anyone's), and the audit log,
  whose entries may quote them anywhere (a filter's text, a reason, an
  address): entries about the customer lose every personal field by name,
  and in every entry each of their personal values (names, email, phone,
  address lines, postcode; city and region too in entries about them) is
  replaced by ``[erased]`` wherever it stands as a word, ignoring case. A
  filter's text that found them (their email, name or last name starts with
  it, three characters or more) is erased whole, even if it found others
  too: erring on their side.

Other customers' own fields are never touched, even where they hold the
same value (two customers called Smith). Orders and amounts stay, for the
books. ``tests/datalayer/test_erasure.py`` seeds a customer with distinctive
values in every personal field, runs every operation that could copy them,
erases them, and scans every column of every table for those values.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterable

import peewee as pw

from .admins import requires
from .audit import audit
from .changes import forget_customer
from .connection import db
from .customers import ADDRESS_LIMITS, normalize_email
from .errors import ValidationError
from .lookup import get_customer
from .tables import (
    Address,
    AuditEntry,
    Customer,
    Notification,
    Review,
    ReviewEvent,
    RewardPointEntry,
    utcnow,
)
from .text import fold
from .textsearch import search_columns
from .transactions import retried

PERSONAL_FIELDS = ("first_name", "last_name", "email", "phone")

ERASED = "[erased]"

_PERSONAL_KEYS = frozenset(PERSONAL_FIELDS) | frozenset(ADDRESS_LIMITS) | {"email_key", "name_key", "last_key"}

# Address parts too common to erase from text that is not about the customer.
_COMMON = ("city", "region", "country")


@requires("erase")
@retried
def erase_customer(customer_id: int, confirm_email: str, *, actor: str | None = None) -> Customer:
    """Erase a customer's personal data (a data-protection request): see the
    module's doc for everything it reaches.  ``confirm_email`` must be the
    customer's email, typed again."""
    with db.atomic():
        c = get_customer(customer_id)
        # A customer without an email (imported with a phone only) is confirmed by their phone.
        expected = c.email_key if c.email_key is not None else normalize_email(c.phone or "")
        if not isinstance(confirm_email, str) or not expected or normalize_email(confirm_email) != expected:
            raise ValidationError({"confirm_email": "Type the customer's email exactly to confirm the erasure"
                                   if c.email_key is not None else
                                   "Type the customer's phone exactly to confirm the erasure"})
        addresses = list(Address.select().where(Address.customer == c.id))
        own = _Values(_personal_values(c, addresses, common=True), _search_keys(c))
        anywhere = _Values(_personal_values(c, addresses, common=False), _search_keys(c))
        placeholder = f"erased-{c.id}@erased.invalid"
        Customer.update(first_name="Erased", last_name="customer", email=placeholder, email_key=placeholder,
                        email_fold=None, name_key="erased customer", last_key="customer", phone="", password_hash=None,
                        status="disabled", version=Customer.version + 1,
                        updated_at=utcnow()).where(Customer.id == c.id).execute()
        Address.delete().where(Address.customer == c.id).execute()
        Notification.delete().where(Notification.customer == c.id).execute()
        forget_customer(c.id)
        Review.update(title="", body="", **search_columns("", "")).where(Review.customer == c.id).execute()
        theirs = Review.select(Review.id).where(Review.customer == c.id)
        _scrub_column(RewardPointEntry.reason, own, RewardPointEntry.customer == c.id)
        _scrub_column(RewardPointEntry.reason, anywhere)
        _scrub_column(Review.reject_reason, own, Review.customer == c.id)
        _scrub_column(Review.reject_reason, anywhere)
        _scrub_column(ReviewEvent.reason, own, ReviewEvent.review.in_(theirs))
        _scrub_column(ReviewEvent.reason, anywhere)
        _scrub_column(ReviewEvent.prev_reason, own, ReviewEvent.review.in_(theirs))
        _scrub_column(ReviewEvent.prev_reason, anywhere)
        _scrub_column(Review.reply, own, Review.customer == c.id)  # the shop's reply may greet them by name
        _scrub_column(Review.reply, anywhere)
        _scrub_audit(c.id, own, anywhere)
        audit("customer.erase", "customer", c.id, after={"erased": True}, actor=actor)
        return get_customer(c.id)


def _personal_values(c: Customer, addresses: Iterable[Address], *, common: bool) -> list[str]:
    values = [c.first_name, c.last_name, f"{c.first_name} {c.last_name}", c.email, c.email_key, c.phone]
    for a in addresses:
        values += [getattr(a, k) for k in ADDRESS_LIMITS if k != "country" and (common or k not in _COMMON)]
    # One letter identifies nobody, and would erase every word it starts.
    return sorted({v.strip() for v in values if isinstance(v, str) and len(v.strip()) >= 2}, key=len, reverse=True)


def _search_keys(c: Customer) -> list[str]:
    """What a customer filter's text is matched against (see CustomerFilter)."""
    return [k for k in (c.email_key, c.email_fold, c.name_key, c.last_key) if k]


class _Values:
    """A customer's personal values, found in text as words, ignoring case."""

    def __init__(self, values: list[str], search_keys: list[str]):
        self.values = values
        self.search_keys = search_keys
        self._re = (re.compile("(?<!\\w)(?:" + "|".join(map(re.escape, values)) + ")(?!\\w)", re.IGNORECASE)
                    if values else None)
        # Their JSON spellings (the audit log stores ensure_ascii JSON), in
        # the cases a LIKE that ignores only ASCII case could miss.
        self.needles = sorted({json.dumps(variant)[1:-1].lower() for v in values
                               for variant in (v, v.lower(), v.upper())})

    def scrub(self, text: str) -> str:
        return self._re.sub(ERASED, text) if self._re is not None else text

    def found_by(self, filter_text: str) -> bool:
        """Whether a customer filter with this text found the customer."""
        t = " ".join(filter_text.lower().split())
        f = fold(t)
        return len(t) >= 3 and any(k.startswith(t) or k.startswith(f) for k in self.search_keys)


def _scrub_column(field: pw.Field, values: _Values, where: pw.Expression | None = None) -> None:
    """Replace the customer's personal values in a text column, in the rows
    (matching ``where``) that hold one."""
    if not values.values:
        return
    model = field.model
    holds = _any(field.contains(v) for v in _case_variants(values.values))
    cond = holds if where is None else (where & holds)
    for pk, text in list(model.select(model._meta.primary_key, field).where(cond).tuples()):
        if text:
            new = values.scrub(text)
            if new != text:
                model.update({field: new}).where(model._meta.primary_key == pk).execute()


def _case_variants(values: list[str]) -> list[str]:
    return sorted({variant for v in values for variant in (v, v.lower(), v.upper())})


def _any(conds: Iterable[pw.Expression]) -> pw.Expression:
    out: pw.Expression | None = None
    for cond in conds:
        out = cond if out is None else (out | cond)
    assert out is not None
    return out


def _scrub_audit(customer_id: int, own: _Values, anywhere: _Values) -> None:
    """Every audit entry that may quote the customer, scrubbed (see the
    module's doc).  Read in batches by id; only entries whose JSON could
    hold one of their values, or a filter's text, are parsed."""
    mine = str(customer_id)
    last = 0
    while True:
        batch = list(AuditEntry.select(AuditEntry.id, AuditEntry.entity, AuditEntry.entity_id, AuditEntry.before,
                                       AuditEntry.after)
                     .where(AuditEntry.id > last).order_by(AuditEntry.id).limit(2000).tuples())
        if not batch:
            return
        for entry_id, entity, entity_id, before, after in batch:
            about_them = entity == "customer" and entity_id == mine
            values = own if about_them else anywhere
            # Another customer's own fields are theirs, whatever they hold.
            protect = entity == "customer" and not about_them
            new = [_scrub_json(payload, values, erase_keys=about_them, protect_keys=protect)
                   for payload in (before, after)]
            if new != [before, after]:
                AuditEntry.update(before=new[0], after=new[1]).where(AuditEntry.id == entry_id).execute()
        last = batch[-1][0]


def _scrub_json(payload: str | None, values: _Values, *, erase_keys: bool, protect_keys: bool) -> str | None:
    if not payload:
        return payload
    lowered = payload.lower()
    if not erase_keys and '"text"' not in lowered and not any(n in lowered for n in values.needles):
        return payload  # cannot hold any of their values: not parsed
    try:
        data = json.loads(payload)
    except ValueError:  # not ours: scrub it as text
        return values.scrub(payload)

    def walk(node: Any, key: str | None) -> Any:
        if isinstance(node, dict):
            return {k: _personal(k, v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, key) for v in node]
        if isinstance(node, str):
            if key == "text" and values.found_by(node):
                return ERASED
            return values.scrub(node)
        return node

    def _personal(k: str, v: Any) -> Any:
        if k in _PERSONAL_KEYS:
            if erase_keys:
                return ERASED if v not in (None, "") else v
            if protect_keys:
                return v
        return walk(v, k)

    scrubbed = json.dumps(walk(data, None), sort_keys=True)
    return payload if scrubbed == json.dumps(data, sort_keys=True) else scrubbed

