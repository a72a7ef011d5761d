"""Text, dates, amounts and counts as admins type them, checked and turned into values.

Everything here is bounded: a date is between :data:`DATE_MIN` and
:data:`DATE_MAX`, an amount between 0 and :data:`MONEY_MAX` with at most two
decimals, a count between stated limits, written with the ASCII digits 0-9
(not ``²``, ``①`` or ``١``), and a value of the wrong type (None where text is
required, a number or a list where text is expected) is refused.  Every
refusal is a :class:`ValidationError` naming the field (or, from
:func:`parse_date`, a :class:`DateParseError`), never a Python error.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any


from .errors import DateParseError, ValidationError
from .text import has_control_chars, inert_line  # noqa: F401 - has_control_chars: for the modules after


def clean_line(text: object) -> str:
    """One printable line (see :func:`.text.inert_line`): for quoting what
    was typed in an error message."""
    return inert_line(text)


def quoted(value: object, limit: int = 40) -> str:
    """What was typed, quoted for an error message: inert and cut short."""
    text = inert_line(value)
    return repr(text if len(text) <= limit else text[:limit] + "…")


# -- types -------------------------------------------------------------------

def typed_text(value: Any, field: str, label: str | None = None) -> str:
    """``value`` if it is text; None counts as blank.  Anything else (a
    number, a list, bytes…) is refused, naming the field."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    raise ValidationError({field: f"{label or _label(field)} must be text, not {_kind(value)}"})


def _label(field: str) -> str:
    name = field.rsplit(".", 1)[-1].replace("_", " ")
    return name[:1].upper() + name[1:]


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float, Decimal)):
        return "a number"
    if isinstance(value, (list, tuple, set, frozenset, dict)):
        return "a list"
    return f"a {type(value).__name__}"


# -- dates -------------------------------------------------------------------

DATE_MIN = dt.date(1900, 1, 1)
DATE_MAX = dt.date(2200, 12, 31)
"""The dates Backroom reads: typed by an admin, stored in a rule, anywhere."""

DATE_TEXT_MAX = 64

_RELATIVE_RE = re.compile(
    r"^(?:(?P<last>last|past)\s+)?(?P<n>[0-9]+)\s*(?P<unit>day|week|month|year)s?(?:\s+(?P<ago>ago))?$")


_UNIT_DELTA = {"day": "days", "week": "weeks", "month": "months", "year": "years"}


_EXAMPLES = "try 2024-03-01, 1 March 2024 or 3 months ago"


def _non_ascii_digit(text: str) -> bool:
    return any((ch.isdigit() or ch.isnumeric()) and not ch.isascii() for ch in text)


def _in_range(day: dt.date, raw: str) -> dt.date:
    if not DATE_MIN <= day <= DATE_MAX:
        raise DateParseError(f"{quoted(raw)} is {day.isoformat()}: dates must be between "
                             f"{DATE_MIN.isoformat()} and {DATE_MAX.isoformat()}.")
    return day


def parse_date(text: str, *, today: dt.date | None = None) -> dt.date:
    """A date as an admin types it: "2024-03-01", "1 March 2024", "3 months ago",
    "last 90 days" (the first day of that period), "today", "yesterday";
    between :data:`DATE_MIN` and :data:`DATE_MAX`, else :class:`DateParseError`."""
    if text is not None and not isinstance(text, str):
        raise DateParseError(f"A date must be text, not {_kind(text)}: {_EXAMPLES}.")
    today = today or dt.date.today()
    if isinstance(today, dt.datetime):
        today = today.date()
    if not isinstance(today, dt.date):
        raise DateParseError("Today must be a date.")
    raw = (text or "").strip()
    t = " ".join(raw.lower().split())
    if not t:
        raise DateParseError("No date given.")
    if len(raw) > DATE_TEXT_MAX or has_control_chars(raw):
        raise DateParseError(f"Cannot understand the date {quoted(raw)}: {_EXAMPLES}.")
    if _non_ascii_digit(raw):
        raise DateParseError(f"Cannot understand the date {quoted(raw)}: write its numbers with the digits 0-9.")
    if t == "today":
        return today
    if t == "yesterday":
        return _in_range(today - dt.timedelta(days=1), raw)
    # dateutil is imported here, not with this module: starting Backroom
    # (its first screen parses no date) skips it.
    from dateutil import parser as date_parser
    from dateutil.relativedelta import relativedelta

    m = _RELATIVE_RE.match(t)
    if m and (m.group("last") or m.group("ago")):
        n = m.group("n")
        try:
            if len(n) > 7:
                raise OverflowError
            day = today - relativedelta(**{_UNIT_DELTA[m.group("unit")]: int(n)})
        except (OverflowError, ValueError):
            raise DateParseError(f"{quoted(raw)} is too far back: dates must be between "
                                 f"{DATE_MIN.isoformat()} and {DATE_MAX.isoformat()}.") from None
        return _in_range(day, raw)
    try:
        # A default far from today makes "March 2024" mean 1 March 2024.
        day = date_parser.parse(raw, default=dt.datetime(today.year, 1, 1), dayfirst=False,
                                ignoretz=True).date()  # a time zone says nothing about a day
    except Exception:  # noqa: BLE001 - whatever dateutil raises, the text is not a date it knows
        raise DateParseError(f"Cannot understand the date {quoted(raw)}: {_EXAMPLES}.") from None
    return _in_range(day, raw)


# -- amounts and counts ------------------------------------------------------

MONEY_MAX = Decimal("9999999999.99")
"""The largest amount a customer's total spent (DECIMAL(12, 2)) can hold."""

_DECIMAL_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_NUMBER_TEXT_MAX = 40


def typed_decimal(raw: Any, *, thousands: bool = True) -> Decimal | None:
    """A number written ``12``, ``-3.5`` or (with ``thousands``) ``1,250.00``
    (ASCII digits, no exponent, no ``NaN``), or given as an int, float or
    Decimal; None when ``raw`` is not such a number (bounds are the caller's)."""
    if isinstance(raw, bool):
        return None
    try:
        if isinstance(raw, Decimal):
            return raw if raw.is_finite() else None
        if isinstance(raw, (int, float)):
            value = Decimal(str(raw))
            return value if value.is_finite() else None
    except (ValueError, InvalidOperation):  # an int too long to write out
        return None
    if not isinstance(raw, str):
        return None
    t = raw.strip().replace(",", "") if thousands else raw.strip()
    if len(t) > _NUMBER_TEXT_MAX or not _DECIMAL_RE.fullmatch(t):
        return None
    return Decimal(t)


def money(value: Any) -> Decimal:
    """An amount as Decimal cents, whatever the engine returned (SQLite
    hands back sums of DECIMAL columns as floats)."""
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def parse_money(text: str | None, field: str = "amount") -> Decimal | None:
    """An amount as typed ("1,250.50"), None when blank; from 0 to
    :data:`MONEY_MAX` with at most two decimals, else :class:`ValidationError`
    naming ``field``."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    value = typed_decimal(text)
    if value is None:
        if isinstance(text, str) and _DECIMAL_RE.fullmatch(text.strip().replace(",", "")):
            raise ValidationError({field: f"An amount is at most {MONEY_MAX:,}"})  # too many digits
        what = quoted(text) if isinstance(text, str) else _kind(text)
        raise ValidationError({field: f"{what} is not an amount"})
    if value < 0:
        raise ValidationError({field: "An amount cannot be negative"})
    if value > MONEY_MAX:
        raise ValidationError({field: f"An amount is at most {MONEY_MAX:,}"})
    if value != value.quantize(Decimal("0.01")):
        raise ValidationError({field: "An amount has at most two decimal places"})
    return value


_WHOLE_RE = re.compile(r"[+-]?[0-9]+")


def parse_whole(raw: Any, field: str, *, label: str, minimum: int, maximum: int) -> int:
    """A whole number from ``minimum`` to ``maximum``, typed with the ASCII
    digits 0-9 (a sign and thousands commas allowed) or given as an int."""
    value: int | None = None
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, str):
        t = raw.strip().replace(",", "")
        if len(t) <= _NUMBER_TEXT_MAX and _WHOLE_RE.fullmatch(t):
            value = int(t)
        elif len(t) > _NUMBER_TEXT_MAX and _WHOLE_RE.fullmatch(t):
            raise ValidationError({field: f"{label} must be from {minimum:,} to {maximum:,}"})
    if value is None:
        raise ValidationError({field: f"{label} must be a whole number written with the digits 0-9, "
                                      f"not {quoted(raw) if isinstance(raw, str) else _kind(raw)}"})
    if not minimum <= value <= maximum:
        raise ValidationError({field: f"{label} must be from {minimum:,} to {maximum:,}"})
    return value
