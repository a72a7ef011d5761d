"""Exporting customers, a group's members and reviews to CSV, streamed page by page.

Files are written as the outbox's are: created readable by the owner only
(0600) under a temporary name in the target's folder and renamed once
complete (an error leaves no half file), UTF-8 (with a BOM on request, for
spreadsheets), every cell made safe to open (:func:`.outbox.csv_cell`: a
cell a spreadsheet would run as a formula starts with ``'``, which an
import takes off again).  Backroom's own format re-imports to the same
data: export, import into an empty database, export again gives the same
file.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import datetime as dt
import json
import os
import re
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import peewee as pw

from .admins import requires
from .audit import audit, resolve_actor
from .connection import db, is_mysql, is_postgres
from .errors import ValidationError
from .imports.common import sql_in
from .imports.formats import (ADDRESS_FIELDS, BACKROOM_COLUMNS, MAGENTO_COLUMNS, PRESTASHOP_COLUMNS,
                              SHOPIFY_COLUMNS, format_named)
from .lookup import get_group_by_code
from .outbox import csv_cell
from .reviews import ReviewFilter
from .selection import CustomerFilter, Selection
from .shopmoney import money_format
from .tables import Address, Customer, CustomerGroup, Membership, Product, Review
from .text import inert_block
from .transactions import read_snapshot

EXPORT_FORMATS = ("backroom", "shopify", "magento", "prestashop")
PAGE = 10_000
MEMBER_COLUMNS = ("member_of", "member_source", "member_added_by", "member_added_at")


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike, *, bom: bool = False) -> Iterator[Any]:
    """A text file (UTF-8, ``newline=""`` for the csv module) written under
    a temporary name (mode 0600) beside ``path`` and renamed to it on
    success; removed on any error."""
    if not isinstance(path, (str, os.PathLike)) or not str(path).strip():
        raise ValidationError({"path": "Name the file to export to"})
    target = Path(path)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent if str(target.parent) else ".",
                                    prefix=f".{target.name}.", suffix=".partial")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _cell(value: Any) -> str:
    """:func:`.outbox.csv_cell`, with a quick way through for the common
    printable text that starts with no formula character."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if text.isprintable() and (not text or text[0] not in "=+-@ "):
        return text
    return csv_cell(text)


def _stamp(value: Any) -> str:
    """A stored time as ``2024-03-01 10:20:30`` (SQLite hands back the text
    it stored, the servers a datetime)."""
    if isinstance(value, dt.datetime):
        return value.replace(microsecond=0).isoformat(sep=" ")
    return "" if value is None else str(value)[:19]


_COLUMNS = ("id", "first_name", "last_name", "email", "phone", "status", "account_type", "tax_exempt", "language",
            "registered_at", "default_group", "external_id", "total_spent", "order_count")
(_ID, _FIRST, _LAST, _EMAIL, _PHONE, _STATUS, _TYPE, _EXEMPT, _LANGUAGE, _REGISTERED, _DEFAULT, _EXTERNAL, _SPENT,
 _ORDERS) = range(len(_COLUMNS))
_BILLING = len(_COLUMNS)
"""where a page's row holds the billing address's fields (NULL without one)"""


def _raw(query: Any) -> list[tuple]:
    """The rows of a query as the driver returns them: converting each value
    through Peewee costs more than the export's every other step."""
    return db.execute_sql(*query.sql()).fetchall()


def _raw_as_json(query: Any) -> list[list]:
    """The rows of a query read on MySQL/MariaDB as one JSON array each
    (``JSON_ARRAY(…)``, parsed a page at a time by the json module): PyMySQL
    reads every cell of a row in Python, which cost more than all the rest of
    an export; one cell a row takes a third of it.  Numbers with a fraction
    come back as Decimal, times as their text."""
    sql, params = query.sql()
    cells = db.execute_sql(sql, params).fetchall()
    return json.loads(f"[{','.join([c[0] for c in cells])}]", parse_float=Decimal)


@dataclasses.dataclass
class _Page:
    """A page of customers: their stored columns then their billing address
    (one row each), their groups' codes and, for a group's export, their
    membership of it."""
    rows: list
    groups: dict[int, list[str]]
    membership: dict[int, tuple]
    codes: dict[int, str]


def _pages(group_id: int | None, flt: CustomerFilter | None = None, *, address: bool = True,
           memberships: bool = True, members: bool = False) -> Iterator[_Page]:
    """Customers (of ``group_id`` if given, that ``flt`` finds) by id, a page
    at a time, each read with its billing address (one query; none without
    ``address``), then the page's groups (a second; none without
    ``memberships``) and, with ``members``, its membership of the group (a
    third).

    Each page is a window of ids bounded on both sides (``after < id <=
    after + span``, the address and the group's members bounded alike), so
    that every engine reads it by its primary key whatever its statistics
    say: PostgreSQL, whose statistics a bulk import leaves stale until
    autovacuum comes, read ``id > after ORDER BY id LIMIT n`` by scanning
    and sorting the whole table, every page.  The window widens while pages
    come back thin (a selective filter) and narrows to a full page's width."""
    expr = flt.expression() if flt else None
    codes = dict(CustomerGroup.select(CustomerGroup.id, CustomerGroup.code).tuples())
    # The address's fields are "" for a customer without one: every cell a
    # format writes from them is text already (see _safe_page).
    fields = [getattr(Customer, c) for c in _COLUMNS] + [pw.fn.COALESCE(getattr(Address, k), "")
                                                         for k in ADDRESS_FIELDS if address]
    if is_postgres():  # the time as its text (as SQLite's is), not a datetime made and formatted again
        fields[_REGISTERED] = pw.fn.to_char(Customer.registered_at, "YYYY-MM-DD HH24:MI:SS")
    read = _raw_as_json if is_mysql() else _raw
    if is_mysql():
        fields = [pw.fn.JSON_ARRAY(*fields)]
    top = Customer.select(pw.fn.MAX(Customer.id)).scalar() or 0
    after, span = 0, PAGE
    while after < top:
        upto = after + span
        q = Customer.select(*fields)
        if address:
            q = q.join(Address, pw.JOIN.LEFT_OUTER, on=(Address.customer == Customer.id) & (Address.kind == "billing")
                       & (Address.customer > after) & (Address.customer <= upto))
        q = q.where((Customer.id > after) & (Customer.id <= upto))
        if group_id is not None:
            q = q.where(Customer.id.in_(Membership.select(Membership.customer).where(
                (Membership.group == group_id) & (Membership.customer > after) & (Membership.customer <= upto))))
        if expr is not None:
            q = q.where(expr)
        rows = read(q.order_by(Customer.id).limit(PAGE))
        if len(rows) == PAGE:  # the window held more: the next starts after this page, as wide as it was
            span = max(PAGE, rows[-1][_ID] - after)
            after = rows[-1][_ID]
        else:
            after = upto
            if len(rows) < PAGE // 2:
                span *= 2
        if not rows:
            continue
        first, last = rows[0][_ID], rows[-1][_ID]
        # The page's memberships by a range of the primary key when the page
        # is dense in ids (a whole table's export), else by its ids.
        within = (Membership.customer.between(first, last) if last - first < 2 * len(rows)
                  else sql_in(Membership.customer, [r[_ID] for r in rows]))
        groups: dict[int, list[str]] = {}
        membership: dict[int, tuple] = {}
        if memberships:
            for cid, gid in _raw(Membership.select(Membership.customer, Membership.group).where(within)):
                groups.setdefault(cid, []).append(codes.get(gid, ""))
        if members:
            for cid, source, added_by, added_at in _raw(
                    Membership.select(Membership.customer, Membership.source, Membership.added_by,
                                      Membership.added_at).where(within & (Membership.group == group_id))):
                membership[cid] = (source, added_by, added_at)
        yield _Page(rows, groups, membership, codes)


def _backroom_rows(page: _Page) -> list[list[str]]:
    groups, codes = page.groups, page.codes
    return [[r[_EXTERNAL] or "", r[_FIRST], r[_LAST], r[_EMAIL], r[_PHONE], r[_STATUS], r[_TYPE],
             "yes" if r[_EXEMPT] else "no", r[_LANGUAGE],
             r[_REGISTERED][:19] if type(r[_REGISTERED]) is str else _stamp(r[_REGISTERED]),
             codes.get(r[_DEFAULT], ""), ",".join(sorted(groups.get(r[_ID], ()))), *r[_BILLING:]]
            for r in page.rows]


def _shopify_rows(page: _Page) -> Iterator[list[Any]]:
    groups = page.groups
    for r in page.rows:
        name, line1, line2, city, region, postcode, country = r[_BILLING:]
        yield [r[_EXTERNAL] or "", r[_FIRST], r[_LAST], r[_EMAIL], "no", "", line1, line2, city, region, country,
               postcode, "", r[_PHONE], "no", _money(r[_SPENT]), str(r[_ORDERS]), "",
               "yes" if r[_EXEMPT] else "no", ", ".join(sorted(groups.get(r[_ID], ())))]


MAGENTO_GROUPS = {code: gid for gid, code in format_named("magento").group_values.items()}
PRESTASHOP_GROUPS = {code: gid for gid, code in format_named("prestashop").group_values.items()}


def _magento_rows(page: _Page) -> Iterator[list[Any]]:
    """Magento 2's customer main file: no password (hash or plain) ever
    leaves Backroom; the default group by Magento's id where Magento has one
    (General 1, Wholesale 2, Retailer 3), else by its code.  A customer
    without an email cannot be one: left out."""
    codes = page.codes
    for r in page.rows:
        code = codes.get(r[_DEFAULT], "")
        yield [r[_EMAIL], "base", "default", "", _stamp(r[_REGISTERED]), "Default Store View", "0", "",
               r[_FIRST], "", MAGENTO_GROUPS.get(code, code), r[_LAST], "", "", "", "", "", "1", "", "", "1", ""]


def _prestashop_rows(page: _Page) -> Iterator[list[Any]]:
    """PrestaShop's customer CSV: groups by PrestaShop's id where it has one
    (Customer 3), else by code; no password.  A customer without an email
    cannot be one: left out."""
    groups, codes = page.groups, page.codes
    for r in page.rows:
        code = codes.get(r[_DEFAULT], "")
        yield [r[_EXTERNAL] or "", "1" if r[_STATUS] == "active" else "0", "0", r[_EMAIL], "", "", r[_LAST],
               r[_FIRST], "0", "0", _stamp(r[_REGISTERED]),
               ",".join(PRESTASHOP_GROUPS.get(g, g) for g in sorted(groups.get(r[_ID], ()))),
               PRESTASHOP_GROUPS.get(code, code)]


_FORMATS: dict[str, tuple[tuple[str, ...], Callable[[_Page], Iterable[list[Any]]], str, bool, bool]] = {
    "backroom": (BACKROOM_COLUMNS, _backroom_rows, ",", True, True),
    "shopify": (SHOPIFY_COLUMNS, _shopify_rows, ",", True, True),
    "magento": (MAGENTO_COLUMNS, _magento_rows, ",", False, False),
    "prestashop": (PRESTASHOP_COLUMNS, _prestashop_rows, ";", False, True),
}
"""format -> (header, the rows of a page, delimiter, whether it has the
billing address, whether it has the groups)"""


def _money(value: Any) -> str:
    """An amount in the shop's number format (2.999,99), without the
    currency, so a spreadsheet in the shop's locale reads it as a number;
    the import reads it back in that format."""
    return dataclasses.replace(money_format(), currency="").format(Decimal(str(value)))


_FORMULA = ("=", "+", "-", "@")
_FORMULA_AT_START = re.compile(r"^ *[=+\-@]", re.MULTILINE)


def _safe_row(row: list[str]) -> list[str]:
    """A row of text cells made safe (:func:`.outbox.csv_cell`)."""
    if not "".join(row).isprintable():
        return [_cell(v) for v in row]
    return ["'" + v if v.lstrip(" ").startswith(_FORMULA) else v for v in row]


def _safe_page(rows: list[list[str]]) -> list[list[str]]:
    """A page of rows of text cells (all as wide) made safe as
    :func:`.outbox.csv_cell` makes a cell, a column at a time: in a page of
    printable text, the cells that start as a formula would (``+44 20…``)
    are looked for one by one only in a column where one search of the
    whole column found one, and get their ``'``; a page with a control
    character somewhere is made safe row by row."""
    if not rows:
        return rows
    columns = list(zip(*rows))
    if not "".join(map("".join, columns)).isprintable():
        return [_safe_row(r) for r in rows]
    for j, column in enumerate(columns):
        if _FORMULA_AT_START.search("\n".join(column)):
            for i, v in enumerate(column):
                if v.lstrip(" ").startswith(_FORMULA):
                    rows[i][j] = "'" + v
    return rows


@requires("export")
def export_customers(path: str | os.PathLike, *, fmt: str = "backroom", group: str | None = None,
                     members: bool = False, flt: CustomerFilter | None = None, bom: bool = False,
                     actor: str | None = None, progress: Callable[[int, int], None] | None = None,
                     selection: Selection | None = None) -> int:
    """Write the customers (of the group with code ``group``, if given, and
    that the filter ``flt`` finds, as on the Customers screen) to ``path``
    in ``fmt`` (:data:`EXPORT_FORMATS`: Backroom's, or the customer file
    Shopify, Magento 2 or PrestaShop imports); ``members`` adds the
    membership's columns (who added them, when, by hand or by rule) and
    needs ``group``.  ``selection`` (the customers ticked in a list) takes
    the place of ``flt``.  Returns how many were written (Magento and
    PrestaShop files leave out the customers without an email)."""
    if selection is not None:
        flt = selection  # type: ignore[assignment]  # a selection is read as a filter is: expression(), describe()
    if fmt not in EXPORT_FORMATS:
        raise ValidationError({"format": f"Export as {', '.join(EXPORT_FORMATS[:-1])} or {EXPORT_FORMATS[-1]}"})
    if members and not group:
        raise ValidationError({"group": "Name the group whose members to export (--group CODE)"})
    actor = resolve_actor(actor)
    group_id = get_group_by_code(group).id if group else None
    total = 0
    if progress:
        q = Customer.select()
        if group_id is not None:
            q = q.where(Customer.id.in_(Membership.select(Membership.customer).where(Membership.group == group_id)))
        if flt is not None and flt.expression() is not None:
            q = q.where(flt.expression())
        total = q.count()
    written = _write(path, fmt, group, group_id, members, flt, bom, progress, total)
    with db.atomic():
        audit("customers.export", "export", None, after={
            "count": written, "format": fmt, "group": group, "members": members, "file": Path(path).name,
            "filter": flt.describe() if flt else {}}, actor=actor)
    return written


@read_snapshot()
def _write(path: str | os.PathLike, fmt: str, group: str | None, group_id: int | None,
           members: bool, flt: CustomerFilter | None, bom: bool, progress: Callable[[int, int], None] | None,
           total: int) -> int:
    header, rows_of, delimiter, address, groups = _FORMATS[fmt]
    needs_email = fmt in ("magento", "prestashop")
    written = read = 0
    with atomic_file(path, bom=bom) as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow([*header, *(MEMBER_COLUMNS if members else ())])
        for page in _pages(group_id, flt, address=address, memberships=groups, members=members):
            read += len(page.rows)
            if needs_email:  # a Magento or PrestaShop customer cannot be one without
                page.rows = [r for r in page.rows if r[_EMAIL]]
            out = _safe_page(list(rows_of(page)))
            if members:
                for r, row in zip(page.rows, out):
                    source, added_by, added_at = page.membership.get(r[_ID]) or ("", "", None)
                    row += [_cell(group), _cell(source), _cell(added_by), _stamp(added_at)]
            writer.writerows(out)
            written += len(out)
            if progress:
                progress(read, max(total, read))
    return written


# -- reviews -------------------------------------------------------------------

REVIEW_COLUMNS = ("review_id", "product_sku", "product_name", "customer_email", "customer_external_id",
                  "customer_name", "rating", "title", "body", "status", "created_at", "moderated_at",
                  "moderated_by", "reject_reason", "reply", "author_name")


def _block_cell(value: Any) -> str:
    """A multi-line cell (a review's body): line breaks kept, every other
    control character escaped, a formula's start made text."""
    text = inert_block(value)
    return "'" + text if text.lstrip(" ").startswith(("=", "+", "-", "@")) else text


@requires("export")
def export_reviews(path: str | os.PathLike, *, flt: ReviewFilter | None = None, bom: bool = False,
                   actor: str | None = None, progress: Callable[[int, int], None] | None = None) -> int:
    """Write the reviews (those ``flt`` finds, oldest first) to ``path``,
    with their product and customer; the body keeps its line breaks.
    ``progress(written, total)`` is called a page at a time.  Returns how
    many were written."""
    actor = resolve_actor(actor)
    total = 0
    if progress:
        expr = flt.expression() if flt else None
        total = (Review.select().where(expr) if expr is not None else Review.select()).count()
    written = _write_reviews(path, flt, bom, progress, total)
    with db.atomic():
        audit("reviews.export", "export", None, after={
            "count": written, "filter": flt.describe() if flt else {}, "file": Path(path).name}, actor=actor)
    return written


@read_snapshot()
def _write_reviews(path: str | os.PathLike, flt: ReviewFilter | None, bom: bool,
                   progress: Callable[[int, int], None] | None = None, total: int = 0) -> int:
    expr = flt.expression() if flt else None
    written, after = 0, 0
    with atomic_file(path, bom=bom) as handle:
        writer = csv.writer(handle)
        writer.writerow(REVIEW_COLUMNS)
        while True:
            q = (Review.select(Review.id, Product.sku, Product.name, Customer.email, Customer.external_id,
                               Customer.first_name, Customer.last_name, Review.rating, Review.title, Review.body,
                               Review.status, Review.created_at, Review.moderated_at, Review.moderated_by,
                               Review.reject_reason, Review.reply, Review.author_name)
                 .join(Product, on=(Review.product == Product.id))
                 .switch(Review).join(Customer, pw.JOIN.LEFT_OUTER, on=(Review.customer == Customer.id))
                 .where(Review.id > after))
            if expr is not None:
                q = q.where(expr)
            page = _raw(q.order_by(Review.id).limit(PAGE))
            if not page:
                return written
            for (rid, sku, pname, email, ext, first, last, rating, title, body, status, created, moderated,
                 moderator, reason, reply, author) in page:
                writer.writerow([rid, _cell(sku), _cell(pname), _cell(email), _cell(ext or ""),
                                 _cell(f"{first or ''} {last or ''}".strip()), rating, _cell(title), _block_cell(body),
                                 status, _stamp(created), _stamp(moderated), _cell(moderator),
                                 _block_cell(reason), _block_cell(reply or ""), _cell(author)])
            written += len(page)
            after = page[-1][0]
            if progress:
                progress(written, max(total, written))
