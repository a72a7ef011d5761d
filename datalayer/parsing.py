"""Text, dates and amounts as admins type them, checked and turned into values."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from dateutil import parser as date_parser
from dateutil.relativedelta import relativedelta

from .errors import DateParseError, ValidationError
from .text import has_control_chars, inert_line  # noqa: F401 - has_control_chars: for the modules after


def clean_line(text: object) -> str:
    """One printable line (see :func:`.text.inert_line`): for quoting what
    was typed in an error message."""
    return inert_line(text)


_RELATIVE_RE = re.compile(
    r"^(?:(?P<last>last|past)\s+)?(?P<n>\d+)\s*(?P<unit>day|week|month|year)s?(?:\s+(?P<ago>ago))?$")


_UNIT_DELTA = {"day": "days", "week": "weeks", "month": "months", "year": "years"}


def parse_date(text: str, *, today: dt.date | None = None) -> dt.date:
    """A date as an admin types it: "2024-03-01", "1 March 2024", "3 months ago",
    "last 90 days" (the first day of that period), "today", "yesterday"."""
    today = today or dt.date.today()
    raw = (text or "").strip()
    t = " ".join(raw.lower().split())
    if not t:
        raise DateParseError("No date given.")
    if t == "today":
        return today
    if t == "yesterday":
        return today - dt.timedelta(days=1)
    m = _RELATIVE_RE.match(t)
    if m and (m.group("last") or m.group("ago")):
        return today - relativedelta(**{_UNIT_DELTA[m.group("unit")]: int(m.group("n"))})
    try:
        # A default far from today makes "March 2024" mean 1 March 2024.
        return date_parser.parse(raw, default=dt.datetime(today.year, 1, 1), dayfirst=False).date()
    except (ValueError, OverflowError):
        raise DateParseError(
            f"Cannot understand the date {raw!r}: try 2024-03-01, 1 March 2024 or 3 months ago."
        ) from None


def money(value: Any) -> Decimal:
    """An amount as Decimal cents, whatever the engine returned (SQLite
    hands back sums of DECIMAL columns as floats)."""
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def parse_money(text: str | None, field: str = "amount") -> Decimal | None:
    t = (text or "").strip().replace(",", "")
    if not t:
        return None
    try:
        value = Decimal(t)
    except InvalidOperation:
        raise ValidationError({field: f"{text!r} is not an amount"}) from None
    if not value.is_finite():
        raise ValidationError({field: f"{text!r} is not an amount"})
    return value
