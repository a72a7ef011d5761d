"""One row of a customer file checked: the cells a mapping picks, cleaned
into an :class:`ImportedCustomer`, or the list of its problems, each naming
the field.  The rules are the data layer's (lengths, control characters,
an email's shape, bounded dates), with what real exports need besides: a
customer has an email or a phone; names may be blank; yes/no, 1/0 and
true/false are all read as flags.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import unicodedata

from ..customers import EMAIL_RE
from ..parsing import DATE_MAX, DATE_MIN, has_control_chars, quoted
from ..tables import ACCOUNT_TYPES, CUSTOMER_STATUSES, LANGUAGES
from .formats import ADDRESS_FIELDS

TEXT_LIMITS = {"first_name": 100, "last_name": 100, "phone": 32, "external_id": 64, "email": 254}
ADDRESS_LIMITS = {"name": 200, "line1": 200, "line2": 200, "city": 100, "region": 100, "postcode": 20,
                  "country": 2}
GROUP_NAME_MAX = 100

_TRUE = {"1", "yes", "y", "true", "t", "on"}
_FALSE = {"0", "no", "n", "false", "f", "off", ""}



@dataclasses.dataclass
class ImportedCustomer:
    line: int
    fields: dict[str, object]
    """customer columns given by the file (first_name, email, email_key, phone, status, …)"""
    billing: dict[str, str] | None
    """the billing address, when the file maps any of its columns"""
    groups: list[str]
    """group names or codes as written in the file"""
    default_group: str | None
    external_id: str | None = dataclasses.field(init=False)
    """the source system's id, None when blank (read once: looked at many times a row)"""
    email_key: str | None = dataclasses.field(init=False)
    """the email lower-cased, None when blank"""

    def __post_init__(self) -> None:
        self.external_id = self.fields.get("external_id") or None  # type: ignore[assignment]
        self.email_key = self.fields.get("email_key") or None  # type: ignore[assignment]


Problem = tuple[str, str]
"""(field, what is wrong)"""


_FORMULA_START = ("=", "+", "-", "@")
_BILLING = tuple((k, f"billing_{k}") for k in ADDRESS_FIELDS)
_BILLING_FIELDS = frozenset(column for _, column in _BILLING)


def _unquoted(cell: str) -> str:
    """A cell as it was before an export made it safe for spreadsheets:
    ``'+44 20…`` was ``+44 20…`` (``'`` before what would start a formula)."""
    if cell.startswith("'") and cell[1:].lstrip(" ").startswith(_FORMULA_START):
        return cell[1:]
    return cell


def _flag(value: str) -> bool | None:
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    return None


def parse_timestamp(value: str) -> dt.datetime | None:
    """An ISO date or date-time (``2024-03-01``, ``2024-03-01 10:20:30``,
    ``…T10:20:30Z``, ``…+02:00``) as naive UTC, or None."""
    text = value.strip()
    if not text:
        return None
    try:
        stamp = dt.datetime.fromisoformat(text.replace(" UTC", "Z"))
    except ValueError:
        return None
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return stamp.replace(microsecond=0)


def clean_row(line: int, cells: list[str], mapping: dict[int, str], width: int, *,
              separator: str = ",", group_values: dict[str, str] | None = None,
              unterminated: bool = False) -> ImportedCustomer | list[Problem]:
    """Check one record against ``mapping`` (column -> field); ``width`` is
    the header's number of columns."""
    problems: list[Problem] = []
    if unterminated:
        return [("line", "the file ends inside a quoted cell (a truncated file?)")]
    if len(cells) != width:
        return [("line", f"{len(cells)} cells where the header has {width} columns"
                         + (" (a truncated line?)" if len(cells) < width else ""))]
    raw = {field: cells[i].strip() for i, field in mapping.items()}
    whole = "".join(raw.values())
    if "'" in whole:
        for field, value in raw.items():
            if value[:1] == "'":
                raw[field] = _unquoted(value)
    # One look for a control character in the whole row, then per field only if there is one.
    controls = has_control_chars(whole)
    ascii_row = whole.isascii()  # then nothing needs normalizing
    fields: dict[str, object] = {}
    for name, limit in TEXT_LIMITS.items():
        value = raw.get(name)
        if value is None:
            continue
        if not ascii_row and not value.isascii():
            value = unicodedata.normalize("NFC", value)
        if len(value) > limit:
            problems.append((name, f"longer than {limit} characters ({len(value):,})"))
        elif controls and has_control_chars(value):
            problems.append((name, "holds a control character"))
        else:
            fields[name] = value
    if "full_name" in raw and "first_name" not in raw and "last_name" not in raw:
        first, _, last = raw["full_name"].rpartition(" ")
        first, last = (first, last) if first else (last, "")
        for name, value in (("first_name", first.strip()), ("last_name", last.strip())):
            if len(value) > 100:
                problems.append(("full_name", f"longer than 100 characters ({len(raw['full_name']):,})"))
                break
            if has_control_chars(value):
                problems.append(("full_name", "holds a control character"))
                break
            fields[name] = unicodedata.normalize("NFC", value)
    email = fields.get("email")
    if email:
        if not EMAIL_RE.fullmatch(str(email)):
            problems.append(("email", f"{quoted(email, 60)} is not an email address"))
        fields["email_key"] = str(email).lower()
    elif "email" in fields:
        fields["email_key"] = None
    if not fields.get("email") and not fields.get("phone") and not {"email", "phone"} & {p[0] for p in problems}:
        problems.append(("email", "a customer needs an email or a phone; this row has neither"))
    if "status" in raw:
        v = raw["status"].lower() or "active"
        if v in ("enabled", "1"):
            v = "active"
        elif v == "0":
            v = "disabled"
        if v not in CUSTOMER_STATUSES:
            problems.append(("status", f"{quoted(raw['status'])} is not one of {', '.join(CUSTOMER_STATUSES)}"))
        fields["status"] = v
    if "active" in raw:
        flag = _flag(raw["active"] or "1")
        if flag is None:
            problems.append(("active", f"{quoted(raw['active'])} is not 1 or 0"))
        fields["status"] = "active" if flag or flag is None else "disabled"
    for name, choices in (("account_type", ACCOUNT_TYPES), ("language", LANGUAGES)):
        if name in raw:
            v = raw[name].lower() or choices[0]
            if v not in choices:
                problems.append((name, f"{quoted(raw[name])} is not one of {', '.join(choices)}"))
            fields[name] = v
    if "tax_exempt" in raw:
        flag = _flag(raw["tax_exempt"])
        if flag is None:
            problems.append(("tax_exempt", f"{quoted(raw['tax_exempt'])} is not yes or no"))
        fields["tax_exempt"] = bool(flag)
    if raw.get("registered_at"):
        stamp = parse_timestamp(raw["registered_at"])
        if stamp is None:
            problems.append(("registered_at", f"{quoted(raw['registered_at'])} is not a date (2024-03-01 or "
                                              "2024-03-01 10:20:30)"))
        elif not DATE_MIN <= stamp.date() <= DATE_MAX:
            problems.append(("registered_at", f"{stamp.date()} is not between {DATE_MIN} and {DATE_MAX}"))
        else:
            fields["registered_at"] = stamp
    billing = None
    if not _BILLING_FIELDS.isdisjoint(raw):
        billing = {}
        for k, column in _BILLING:
            v = raw.get(column, "")
            if not ascii_row and not v.isascii():
                v = unicodedata.normalize("NFC", v)
            if k == "country":
                v = v.upper()
                if v and not (len(v) == 2 and v.isascii() and v.isalpha()):
                    problems.append(("billing_country", f"{quoted(v)} is not a two-letter country code"))
                    continue
            if len(v) > ADDRESS_LIMITS[k]:
                problems.append((f"billing_{k}", f"longer than {ADDRESS_LIMITS[k]} characters ({len(v):,})"))
            elif controls and has_control_chars(v):
                problems.append((f"billing_{k}", "holds a control character"))
            billing[k] = v
        if not any(billing.values()):
            billing = None
    values = group_values or {}
    groups: list[str] = []
    if raw.get("groups"):
        for name in raw["groups"].split(separator):
            name = values.get(name.strip(), name.strip())
            if not name:
                continue
            if len(name) > GROUP_NAME_MAX or has_control_chars(name):
                problems.append(("groups", f"{quoted(name)} cannot be a group's name or code"))
            elif name.lower() not in {g.lower() for g in groups}:
                groups.append(name)
    default = None
    if raw.get("default_group"):
        default = values.get(raw["default_group"], raw["default_group"])
        if len(default) > GROUP_NAME_MAX or has_control_chars(default):
            problems.append(("default_group", f"{quoted(default)} cannot be a group's name or code"))
            default = None
    if problems:
        return problems
    return ImportedCustomer(line, fields, billing, groups, default)
