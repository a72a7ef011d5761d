"""Reading the audit log: newest first, filtered by admin, kind of change,
group, customer and date, a page at a time.

Pages are keyset pages (:class:`AuditCursor`: the ``at`` and ``id`` of the
last entry shown), never an OFFSET over the whole log: the next page starts
where the last one ended, through the ``(at, id)`` order and the indexes on
``(actor, at)`` and ``(action, at)`` (migration step v7).  A list's window
that jumps into the middle (the History screen's scrollbar) reads by offset
from whichever end is nearer, as the other long lists do.

Nothing here writes; the text of an entry is returned as stored (the caller
makes it inert where it shows it: :func:`.text.inert_line`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

import peewee as pw

from .customers import normalize_email
from .errors import NotFoundError, ValidationError
from .lookup import get_group_by_code
from .parsing import parse_date, parse_whole, typed_text
from .tables import AuditEntry, Customer
from .text import inert_line
from .transactions import read_snapshot

AUDIT_PAGE_MAX = 10_000
"""The most entries one page holds."""

FILTER_TEXT_MAX = 254


@dataclasses.dataclass(frozen=True)
class AuditFilter:
    """Which entries to read; every field optional.  Build one from what an
    admin typed with :func:`audit_filter`."""

    since: dt.date | None = None
    until: dt.date | None = None
    actor: str | None = None
    kind: str | None = None
    group_id: int | None = None
    customer_id: int | None = None

    def is_empty(self) -> bool:
        return self == AuditFilter()


@dataclasses.dataclass(frozen=True)
class AuditCursor:
    """Where a page ended: the next page reads the entries after this one."""

    at: dt.datetime
    id: int


@dataclasses.dataclass(frozen=True)
class AuditRow:
    id: int
    at: dt.datetime
    actor: str
    action: str
    entity: str
    entity_id: str | None
    before: Any
    after: Any

    @property
    def cursor(self) -> AuditCursor:
        return AuditCursor(self.at, self.id)

    @property
    def target_id(self) -> int | None:
        """The id of the record changed, when it is a number."""
        text = self.entity_id or ""
        return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else None

    def summary(self, limit: int = 200) -> str:
        """One inert line saying what changed (the keys of before/after)."""
        return inert_line(describe_change(self.before, self.after))[:limit]


def _loads(text: str | None) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text  # written by something else: shown as the text it is


def describe_change(before: Any, after: Any) -> str:
    """``key: old → new`` for the keys that differ, else the after's keys."""
    parts: list[str] = []
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after)):
            if before.get(key) != after.get(key):
                parts.append(f"{key}: {_short(before.get(key))} → {_short(after.get(key))}")
    elif isinstance(after, dict):
        parts = [f"{k}={_short(v)}" for k, v in sorted(after.items())]
    elif isinstance(before, dict):
        parts = [f"{k}={_short(v)}" for k, v in sorted(before.items())]
    elif after is not None or before is not None:
        parts = [_short(after if after is not None else before)]
    return "; ".join(parts)


def _short(value: Any, limit: int = 40) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = inert_line(text)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _text(value: Any, field: str, label: str) -> str | None:
    text = typed_text(value, field, label).strip()
    if len(text) > FILTER_TEXT_MAX:
        raise ValidationError({field: f"{label} is at most {FILTER_TEXT_MAX} characters"})
    return text or None


def audit_filter(*, since: Any = None, until: Any = None, actor: Any = None, kind: Any = None,
                 group: Any = None, customer: Any = None, today: dt.date | None = None) -> AuditFilter:
    """An :class:`AuditFilter` from text as an admin types it: dates as the
    screens read them (:func:`.parsing.parse_date`: "2024-03-01", "3 days
    ago"…), a group's code, a customer's email (or id).  An unknown group or
    customer is a :class:`NotFoundError`; a bad date a :class:`DateParseError`."""
    since_text = _text(since, "since", "The first date")
    until_text = _text(until, "until", "The last date")
    group_code = _text(group, "group", "The group's code")
    customer_text = _text(customer, "customer", "The customer")
    customer_id = None
    if customer_text:
        if customer_text.isascii() and customer_text.isdigit():
            customer_id = parse_whole(customer_text, "customer", label="A customer's id", minimum=1,
                                      maximum=2**53)
        else:
            row = Customer.get_or_none(Customer.email_key == normalize_email(customer_text))
            if row is None:
                raise NotFoundError(f"No customer with the email {inert_line(customer_text)!r}")
            customer_id = row.id
    return AuditFilter(
        since=parse_date(since_text, today=today) if since_text else None,
        until=parse_date(until_text, today=today) if until_text else None,
        actor=_text(actor, "actor", "The admin's name"),
        kind=(_text(kind, "kind", "The kind of change") or "").lower() or None,
        group_id=get_group_by_code(group_code).id if group_code else None,
        customer_id=customer_id,
    )


def _where(f: AuditFilter) -> list[pw.Expression]:
    a = AuditEntry
    conds: list[pw.Expression] = []
    if f.since:
        conds.append(a.at >= dt.datetime.combine(f.since, dt.time()))
    if f.until:
        conds.append(a.at < dt.datetime.combine(f.until + dt.timedelta(days=1), dt.time()))
    if f.actor:
        conds.append(a.actor == f.actor)
    if f.kind:
        # "group" finds every group.* change; "group.assign" that kind only; no
        # wildcard typed counts, and "grou" finds nothing.
        kind = f.kind
        if "." in kind:  # one kind: the index gives its entries newest first
            conds.append(a.action == kind)
        else:  # an area's kinds: read newest first through the (at) index, those of the area kept
            # (a range over the action index would sort all of the area's entries for each page)
            conds.append((a.action == kind) | (pw.fn.SUBSTR(a.action, 1, len(kind) + 1) == kind + "."))
    if f.group_id is not None:
        conds.append((a.entity == "group") & (a.entity_id == str(f.group_id)))
    if f.customer_id is not None:
        conds.append((a.entity == "customer") & (a.entity_id == str(f.customer_id)))
    return conds


def _query(f: AuditFilter) -> pw.ModelSelect:
    q = AuditEntry.select(AuditEntry.id, AuditEntry.at, AuditEntry.actor, AuditEntry.action,
                          AuditEntry.entity, AuditEntry.entity_id, AuditEntry.before, AuditEntry.after)
    for cond in _where(f):
        q = q.where(cond)
    return q


def _rows(q: pw.ModelSelect) -> list[AuditRow]:
    return [AuditRow(r[0], r[1], r[2], r[3], r[4], r[5], _loads(r[6]), _loads(r[7])) for r in q.tuples()]


def _limit(limit: Any) -> int:
    return parse_whole(limit, "limit", label="The number of entries", minimum=1, maximum=AUDIT_PAGE_MAX)


@read_snapshot()
def audit_page(f: AuditFilter | None = None, *, after: AuditCursor | None = None,
               limit: int = 100) -> list[AuditRow]:
    """Up to ``limit`` entries matching ``f``, newest first, starting after
    ``after`` (the last entry of the page before: a keyset page)."""
    f = f or AuditFilter()
    q = _query(f)
    if after is not None:
        a = AuditEntry
        q = q.where((a.at < after.at) | ((a.at == after.at) & (a.id < after.id)))
    return _rows(q.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(_limit(limit)))


def audit_window(f: AuditFilter | None = None, *, offset: int = 0, limit: int = 100,
                 oldest_first: bool = False) -> list[AuditRow]:
    """``limit`` entries from ``offset`` newest first (or oldest first: a
    list's window reads its far end that way, so offsets stay under half)."""
    q = _query(f or AuditFilter())
    order = (AuditEntry.at, AuditEntry.id) if oldest_first else (AuditEntry.at.desc(), AuditEntry.id.desc())
    return _rows(q.order_by(*order).offset(max(0, int(offset))).limit(_limit(limit)))


def audit_count(f: AuditFilter | None = None) -> int:
    return _query(f or AuditFilter()).count()


def audit_entry(entry_id: int) -> AuditRow:
    rows = _rows(_query(AuditFilter()).where(AuditEntry.id == entry_id))
    if not rows:
        raise NotFoundError(f"No audit entry with id {entry_id}")
    return rows[0]

