"""Money as the shop writes it: a shop setting (a row of SchemaMeta, like
the default tax class) naming the currency and the number format, e.g.
``R$ 2.999,99``, ``2 999,99 €`` or ``$2,999.99``.

The setting is given as a sample amount (:func:`set_money_format`), read
once per database connection and kept (:func:`money_format`), so that
formatting an amount on a screen never waits on the database.  The default,
with no setting, is ``2,999.99`` with no currency: what Backroom always
showed.  Amounts in import files are read in the shop's format or plain
(:func:`plain_amount`)."""

from __future__ import annotations

import dataclasses
import json
import re
from decimal import Decimal
from typing import Any

from .admins import requires
from .audit import audit, resolve_actor
from .connection import db, settings_key
from .errors import ValidationError
from .parsing import has_control_chars, parse_money, quoted, typed_text
from .tables import SchemaMeta
from .transactions import retried

MONEY_KEY = "money_format"
CURRENCY_MAX = 8
GROUP_SEPARATORS = (",", ".", " ", "'", "\u00a0", "\u202f", "")
SPACES = (" ", "\u00a0", "\u202f")


@dataclasses.dataclass(frozen=True)
class MoneyFormat:
    """How the shop writes an amount."""

    currency: str = ""
    group: str = ","
    decimal: str = "."
    after: bool = False  # the currency after the number (2 999,99 €)
    space: bool = False  # a space between the currency and the number

    def format(self, value: Decimal | None) -> str:
        """``value`` as the shop writes it; "" for None."""
        if value is None:
            return ""
        q = Decimal(str(value)).quantize(Decimal("0.01"))
        digits = f"{abs(q):,.2f}".replace(",", "\0").replace(".", self.decimal).replace("\0", self.group)
        sign = "-" if q < 0 else ""
        if not self.currency:
            return sign + digits
        gap = " " if self.space else ""
        if self.after:
            return f"{sign}{digits}{gap}{self.currency}"
        return f"{sign}{self.currency}{gap}{digits}"

    @property
    def sample(self) -> str:
        return self.format(Decimal("1234.56"))

    def as_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), ensure_ascii=False, sort_keys=True)

    @property
    def is_default(self) -> bool:
        return self == DEFAULT_FORMAT


DEFAULT_FORMAT = MoneyFormat()

_SAMPLE_RE = re.compile(r"(?P<pre>[^\d-]*?)(?P<num>\d[\d.,' \u00a0\u202f]*\d)(?P<post>[^\d]*)")


def parse_sample(sample: Any) -> MoneyFormat:
    """The format a sample amount shows: ``R$ 1.234,56``, ``1 234,56 €``,
    ``$1,234.56``, ``1234.56``.  The sample has two decimals and, if it
    groups thousands, at least four digits before them."""
    text = typed_text(sample, "format").strip()
    bad = ValidationError({"format": f"{quoted(text)} is not a sample amount like R$ 1.234,56, "
                                     "1 234,56 € or $1,234.56"})
    m = _SAMPLE_RE.fullmatch(text)
    if not text or m is None or has_control_chars(text):
        raise bad
    num = m["num"]
    if len(num) < 4 or num[-3] not in ".," or not num[-2:].isdigit():
        raise bad
    decimal, whole = num[-3], num[:-3]
    seps = {ch for ch in whole if not ch.isdigit()}
    if len(seps) > 1:
        raise bad
    group = seps.pop() if seps else ""
    if group == decimal or group not in GROUP_SEPARATORS:
        raise bad
    if group and not re.fullmatch(rf"\d{{1,3}}({re.escape(group)}\d{{3}})+", whole):
        raise bad
    if group in SPACES[1:]:
        group = " "  # one space character, whichever the sample had
    pre, post = m["pre"], m["post"]
    if pre.strip() and post.strip():
        raise ValidationError({"format": "Put the currency before or after the amount, not both"})
    currency = (pre or post).strip()
    if len(currency) > CURRENCY_MAX:
        raise ValidationError({"format": f"A currency is at most {CURRENCY_MAX} characters"})
    after = bool(post.strip())
    space = bool(currency) and ((post[:1] in SPACES) if after else (pre[-1:] in SPACES))
    return MoneyFormat(currency=currency, group=group, decimal=decimal, after=after, space=space)


def _from_json(raw: str | None) -> MoneyFormat:
    if not raw:
        return DEFAULT_FORMAT
    try:
        data = json.loads(raw)
        fmt = MoneyFormat(**{f.name: data[f.name] for f in dataclasses.fields(MoneyFormat) if f.name in data})
        return parse_sample(fmt.sample)  # what was stored still makes sense
    except (ValueError, TypeError, ValidationError):
        return DEFAULT_FORMAT


_cache: tuple[Any, MoneyFormat] | None = None


def load_money_format() -> MoneyFormat:
    """Read the shop's money format from the database and keep it for
    :func:`money_format` (called when connecting)."""
    global _cache
    row = SchemaMeta.get_or_none(SchemaMeta.key == MONEY_KEY)
    fmt = _from_json(row.value if row is not None else None)
    _cache = (settings_key(), fmt)
    return fmt


def money_format() -> MoneyFormat:
    """The shop's money format, as read when connecting (or last set in
    this process)."""
    if _cache is not None and _cache[0] is settings_key():
        return _cache[1]
    return load_money_format()


def format_money(value: Decimal | None) -> str:
    """An amount as the shop writes it."""
    return money_format().format(value)


@requires("admins")
@retried
def set_money_format(sample: Any, *, actor: str | None = None) -> MoneyFormat:
    """Set how the shop writes amounts, from a sample (see
    :func:`parse_sample`); ``"1,234.56"`` goes back to the default."""
    global _cache
    actor = resolve_actor(actor)
    fmt = parse_sample(sample)
    with db.atomic():
        row = SchemaMeta.get_or_none(SchemaMeta.key == MONEY_KEY)
        before = _from_json(row.value if row is not None else None)
        if before != fmt:
            if fmt.is_default:
                SchemaMeta.delete().where(SchemaMeta.key == MONEY_KEY).execute()
            elif not SchemaMeta.update(value=fmt.as_json()).where(SchemaMeta.key == MONEY_KEY).execute():
                SchemaMeta.create(key=MONEY_KEY, value=fmt.as_json())
            audit("settings.money", "setting", None, before={"sample": before.sample},
                  after={"sample": fmt.sample}, actor=actor)
    _cache = (settings_key(), fmt)
    return fmt


def plain_amount(text: str, fmt: MoneyFormat | None = None) -> str:
    """An amount from a file as plain text (``2999.99``) when it is written
    in the shop's format (``R$ 2.999,99``); otherwise the text as it was
    (less the shop's currency), for the plain reading (``2999.99``,
    ``2,999.99``)."""
    fmt = fmt or money_format()
    t = text.strip()
    if fmt.currency:
        if t.startswith(fmt.currency):
            t = t[len(fmt.currency):].strip()
        elif t.endswith(fmt.currency):
            t = t[:-len(fmt.currency)].strip()
    if fmt.is_default:
        return t
    d = re.escape(fmt.decimal)
    if fmt.group == " ":
        g = "[ \u00a0\u202f]"
    else:
        g = re.escape(fmt.group) if fmt.group else None
    whole = rf"\d{{1,3}}(?:{g}\d{{3}})+|\d+" if g else r"\d+"
    if re.fullmatch(rf"(?:{whole})(?:{d}\d{{1,2}})?", t):
        body = re.sub(g, "", t) if g else t
        return body.replace(fmt.decimal, ".")
    return t


def parse_amount(text: Any, field: str = "amount", fmt: MoneyFormat | None = None) -> Decimal | None:
    """An amount typed in a box (a filter's spent range), in the shop's
    format (``R$ 2.999,99``, ``2 999,99 €``, with or without the currency)
    or plain (``2999.99``, ``2,999.99``); None when blank.  Otherwise a
    :class:`ValidationError` naming ``field`` that shows how to write one."""
    if not isinstance(text, str) or not text.strip():
        return parse_money(text, field)
    fmt = fmt or money_format()
    example = fmt.format(Decimal("2999.99"))
    bad = ValidationError({field: f"{quoted(text.strip())} is not an amount: write it as {example}"
                                  + ("" if fmt.is_default else " or plain (2999.99)")})
    plain = plain_amount(text, fmt)
    # A comma left is a plain amount's thousands (2,999.99): anywhere else
    # (1,5 or 2.999,99 where the shop writes 2,999.99) it is no amount,
    # rather than the amount its digits would make.
    # Where the shop's decimals follow a comma, 1,234 is no amount either:
    # only 2,999.99 reads as a plain amount with thousands.
    if "," in plain and (not _PLAIN_GROUPED.fullmatch(plain) or (fmt.decimal == "," and "." not in plain)):
        raise bad
    try:
        return parse_money(plain, field)
    except ValidationError as exc:
        if "is not an amount" not in str(exc.errors.get(field, "")):
            raise
        raise bad from None


_PLAIN_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")
