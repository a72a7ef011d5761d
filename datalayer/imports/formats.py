"""The customer file formats Backroom reads, told apart by their header:
which column holds which customer field.

A format maps header names (compared with case, spacing and a trailing
``*`` ignored: :func:`header_key`) to Backroom's import fields
(:data:`CUSTOMER_IMPORT_FIELDS`).  Columns a format does not map (Shopify's
"Total Spent", Magento's password hash…) are left out, and said so in the
mapping shown before an import.  ``--map`` maps any other CSV, or
overrides a detected format's mapping (``'Tags='`` leaves a column out).
"""

from __future__ import annotations

import dataclasses
import re

from ..errors import ValidationError
from ..text import inert_line

CUSTOMER_IMPORT_FIELDS = (
    "external_id", "first_name", "last_name", "full_name", "email", "phone", "status", "active",
    "account_type", "tax_exempt", "language", "registered_at", "groups", "default_group",
    "billing_name", "billing_line1", "billing_line2", "billing_city", "billing_region", "billing_postcode",
    "billing_country",
)
"""What a column can be imported as.  ``full_name`` is split at its last
space into first and last name (when neither is mapped); ``active`` is
``1``/``0`` (PrestaShop) where ``status`` is ``active``/``disabled``."""

ADDRESS_FIELDS = ("name", "line1", "line2", "city", "region", "postcode", "country")


def header_key(name: str) -> str:
    """A header cell as compared: BOM, case, spacing and a trailing ``*`` (a
    required column in PrestaShop) ignored."""
    text = name.replace("\ufeff", "").strip().rstrip("*").strip().lower()
    return re.sub(r"\s+", " ", text)


@dataclasses.dataclass(frozen=True)
class CustomerFormat:
    name: str
    label: str
    columns: dict[str, str]
    """header key -> import field"""
    signature: frozenset[str]
    """header keys that all appear in this format's files"""
    group_values: dict[str, str] = dataclasses.field(default_factory=dict)
    """the source system's group ids -> Backroom group codes (Magento's group_id 1 is General…)"""
    list_separator: str = ","

    def mapping(self, header: list[str]) -> dict[int, str]:
        """Column index -> import field, for the columns of ``header`` this format maps."""
        keys = [header_key(h) for h in header]
        return {i: self.columns[k] for i, k in enumerate(keys) if k in self.columns}


def _fmt(name: str, label: str, columns: dict[str, str], signature: tuple[str, ...], **kw) -> CustomerFormat:
    cols = {header_key(k): v for k, v in columns.items()}
    return CustomerFormat(name, label, cols, frozenset(header_key(s) for s in signature), **kw)


BACKROOM_COLUMNS = ("external_id", "first_name", "last_name", "email", "phone", "status", "account_type",
                    "tax_exempt", "language", "registered_at", "default_group", "groups", "billing_name",
                    "billing_line1", "billing_line2", "billing_city", "billing_region", "billing_postcode",
                    "billing_country")
"""The columns of Backroom's own customer file, in order (what ``export`` writes)."""

SHOPIFY_COLUMNS = ("Customer ID", "First Name", "Last Name", "Email", "Accepts Email Marketing",
                   "Default Address Company", "Default Address Address1", "Default Address Address2",
                   "Default Address City", "Default Address Province Code", "Default Address Country Code",
                   "Default Address Zip", "Default Address Phone", "Phone", "Accepts SMS Marketing",
                   "Total Spent", "Total Orders", "Note", "Tax Exempt", "Tags")
"""Shopify's customer export (2023 on), in order."""

MAGENTO_COLUMNS = ("email", "_website", "_store", "confirmation", "created_at", "created_in",
                   "disable_auto_group_change", "dob", "firstname", "gender", "group_id", "lastname", "middlename",
                   "password_hash", "prefix", "rp_token", "rp_token_created_at", "store_id", "suffix", "taxvat",
                   "website_id", "password")
"""Magento 2's customer main file, in order."""

PRESTASHOP_COLUMNS = ("Customer ID", "Active (0/1)", "Titles ID (Mr = 1, Ms = 2, else 0)", "Email *", "Password *",
                      "Birthday (yyyy-mm-dd)", "Last Name *", "First Name *", "Newsletter (0/1)", "Opt-in (0/1)",
                      "Registration date (yyyy-mm-dd)", "Groups (x,y,z...)", "Default group ID")
"""PrestaShop's customer CSV (``;``-separated; ``*`` marks a required column), in order."""

FORMATS: tuple[CustomerFormat, ...] = (
    _fmt("backroom", "Backroom customers", {c: c for c in BACKROOM_COLUMNS},
         ("external_id", "first_name", "last_name", "email", "phone", "groups")),
    _fmt("shopify", "Shopify customers", {
        "Customer ID": "external_id", "First Name": "first_name", "Last Name": "last_name", "Email": "email",
        "Default Address Address1": "billing_line1", "Default Address Address2": "billing_line2",
        "Default Address City": "billing_city", "Default Address Province Code": "billing_region",
        "Default Address Country Code": "billing_country", "Default Address Zip": "billing_postcode",
        "Phone": "phone", "Tax Exempt": "tax_exempt", "Tags": "groups"},
        ("Customer ID", "First Name", "Email", "Default Address Address1")),
    _fmt("shopify-legacy", "Shopify customers (older layout)", {
        "First Name": "first_name", "Last Name": "last_name", "Email": "email", "Address1": "billing_line1",
        "Address2": "billing_line2", "City": "billing_city", "Province Code": "billing_region",
        "Country Code": "billing_country", "Zip": "billing_postcode", "Phone": "phone",
        "Tax Exempt": "tax_exempt", "Tags": "groups"},
        ("First Name", "Last Name", "Email", "Address1", "Province Code", "Tax Exempt")),
    _fmt("magento", "Magento 2 customers (main file)", {
        "email": "email", "firstname": "first_name", "lastname": "last_name", "created_at": "registered_at",
        "group_id": "default_group"},
        ("email", "_website", "firstname", "lastname", "group_id"),
        group_values={"1": "general", "2": "wholesale", "3": "retailer"}),
    _fmt("prestashop", "PrestaShop customers", {
        "Customer ID": "external_id", "Active (0/1)": "active", "Email": "email", "Last Name": "last_name",
        "First Name": "first_name", "Registration date (yyyy-mm-dd)": "registered_at",
        "Groups (x,y,z...)": "groups", "Default group ID": "default_group"},
        ("Email", "Last Name", "First Name", "Groups (x,y,z...)", "Default group ID"),
        group_values={"3": "general"}),
    _fmt("woocommerce", "WooCommerce customers report", {
        "Name": "full_name", "Username": "external_id", "Date registered": "registered_at", "Email": "email",
        "Country / Region": "billing_country", "City": "billing_city", "Region": "billing_region",
        "Postal code": "billing_postcode"},
        ("Name", "Username", "Email", "Total spend")),
)

FORMAT_NAMES = tuple(f.name for f in FORMATS)


def format_named(name: str) -> CustomerFormat:
    for f in FORMATS:
        if f.name == name:
            return f
    raise ValidationError({"format": f"{inert_line(name)!r} is not a customer format: "
                                     f"one of {', '.join(FORMAT_NAMES)}"})


def detect_format(header: list[str]) -> CustomerFormat | None:
    """The format whose signature the header holds (the one that maps most
    of its columns when several do), or None."""
    keys = {header_key(h) for h in header}
    fits = [f for f in FORMATS if f.signature <= keys]
    if not fits:
        return None
    return max(fits, key=lambda f: len(keys & set(f.columns)))


def parse_map(text: str, fields: tuple[str, ...] = CUSTOMER_IMPORT_FIELDS) -> dict[str, str]:
    """``'source column=field,…'`` -> {header key: field} (an empty field
    leaves the column out; a column's name may hold commas)."""
    out: dict[str, str] = {}
    parts: list[str] = []
    for piece in text.split(","):
        # A column's name may hold commas ("Groups (x,y,z...)"): a piece
        # before the "=" belongs to the part it began.
        if parts and "=" not in parts[-1]:
            parts[-1] += "," + piece
        else:
            parts.append(piece)
    for part in parts:
        if not part.strip():
            continue
        column, sep, field = part.rpartition("=")
        if not sep or not column.strip():
            raise ValidationError({"map": f"{inert_line(part.strip())!r} is not 'column=field'"})
        field = field.strip()
        if field and field not in fields:
            raise ValidationError({"map": f"{inert_line(field)!r} is not a field a column can be imported as: "
                                          f"one of {', '.join(fields)}"})
        out[header_key(column)] = field
    return out


def resolve_mapping(header: list[str], fmt: CustomerFormat | None, overrides: dict[str, str]) -> dict[int, str]:
    """Column index -> import field: the format's, changed by ``overrides``.
    A column named in ``overrides`` that the header lacks, or two columns
    mapped to one field, is an error."""
    keys = [header_key(h) for h in header]
    missing = [k for k in overrides if k not in keys]
    if missing:
        raise ValidationError({"map": f"The file has no column {inert_line(missing[0])!r}"})
    mapping = fmt.mapping(header) if fmt else {}
    for i, k in enumerate(keys):
        if k in overrides:
            if overrides[k]:
                mapping[i] = overrides[k]
            else:
                mapping.pop(i, None)
    seen: dict[str, int] = {}
    for i, field in sorted(mapping.items()):
        if field in seen:
            raise ValidationError({"map": f"Two columns are imported as {field}: "
                                          f"{inert_line(header[seen[field]])!r} and {inert_line(header[i])!r}"})
        seen[field] = i
    if not ({"email", "phone"} & set(mapping.values())):
        raise ValidationError({"map": "No column is imported as email or phone: a customer needs one of them"})
    return mapping
