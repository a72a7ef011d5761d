"""Exporting customers, a group's members and reviews to CSV, streamed page by page.

Files are written as the outbox's are: created readable by the owner only
(0600) under a temporary name in the target's folder and renamed once
complete (an error leaves no half file), UTF-8 (with a BOM on request, for
spreadsheets), every cell made safe to open (:func:`.outbox.csv_cell`: a
cell a spreadsheet would run as a formula starts with ``'``, which an
import takes off again).  Backroom's own format re-imports to the same
data: export, import into an empty database, export again gives the same
file.

On PostgreSQL and MariaDB the customers are read a window of ids at a time
as a few long texts (every row's cells joined by control characters) and
written as CSV text, made safe as the Python rows are (:func:`_csv_text`);
a window whose cells hold a control character is written by the Python
rows, which escape it.  The bytes are the same either way.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import datetime as dt
import functools
import itertools
import json
import operator
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
from .csvtext import _R, _X, _csv_text
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
           memberships: bool = True, members: bool = False, after: int = 0, top: int | None = None) -> Iterator[_Page]:
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
    if top is None:
        top = Customer.select(pw.fn.MAX(Customer.id)).scalar() or 0
    span = PAGE
    while after < top:
        upto = min(after + span, top)
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

        def write_pages(pages: Iterable[_Page]) -> None:
            nonlocal written, read
            for page in pages:
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

        if not (is_postgres() or is_mysql()):
            write_pages(_pages(group_id, flt, address=address, memberships=groups, members=members))
            return written
        if is_mysql():  # a window's text is one value (MariaDB's default is 1 MB)
            db.execute_sql("SET SESSION group_concat_max_len = %s", (1 << 30,))
        expr = flt.expression() if flt else None
        codes = dict(CustomerGroup.select(CustomerGroup.id, CustomerGroup.code).tuples())
        width = len(header) + (len(MEMBER_COLUMNS) if members else 0)
        top = Customer.select(pw.fn.MAX(Customer.id)).scalar() or 0
        after, span = 0, PAGE
        while after < top:
            upto = min(after + span, top)
            n, lines = _window_lines(fmt, after, upto, group, group_id, members, expr, codes)
            text = _csv_text(lines, width, delimiter) if lines else "" if lines is not None else None
            if text is None:  # a control character somewhere: the Python rows make this window safe
                write_pages(_pages(group_id, flt, address=address, memberships=groups, members=members,
                                   after=after, top=upto))
            else:
                handle.write(text)
                read += n
                written += len(lines)
                if progress and n:
                    progress(read, max(total, read))
            after = upto
            # Wider over a thin selection (at most _MAX_SPAN pages of ids, so a
            # window's text stays small), back to a page over a dense one.
            span = min(span * 2, _MAX_SPAN * PAGE) if n < PAGE // 2 else PAGE
    return written


# -- the servers' export: each window's text read in a few cells --------------


_MAX_SPAN = 8
"""a window widens over thin selections to at most this many pages of ids"""


def _agg(expr: Any, sep: str = ",") -> pw.Node:
    """The window's values of ``expr`` as one text, ``sep`` between them, in
    the order the server reads the rows (checked and put right in Python:
    sorting in the aggregate cost the server more than the rest)."""
    if is_postgres():
        return pw.fn.string_agg(pw.Cast(expr, "text"), sep)
    return pw.fn.GROUP_CONCAT(pw.NodeList((expr, pw.SQL("SEPARATOR %s", [sep]))))


def _stamp_sql(field: pw.Field) -> pw.Node:
    """A stored time as its text ``2024-03-01 10:20:30`` (:func:`_stamp`)."""
    if is_postgres():
        return pw.fn.to_char(field, "YYYY-MM-DD HH24:MI:SS")
    return pw.fn.DATE_FORMAT(field, "%Y-%m-%d %H:%i:%s")


def _is_text(field: pw.Field, value: str) -> pw.Node:
    """``field`` is exactly ``value`` (as Python compares: MariaDB's own
    collation takes ACTIVE, or 'active ', for active)."""
    if is_postgres():
        return field == value
    return pw.NodeList((field, pw.SQL("= %s COLLATE utf8mb4_nopad_bin", [value])))


def _money_sql(field: pw.Field) -> pw.Node:
    """:func:`_money` of a stored amount (two decimals), in the shop's number
    format, without the currency."""
    fmt = money_format()
    if is_postgres():
        digits = pw.fn.to_char(pw.fn.abs(field), "FM999,999,999,999,990.00")
    else:
        digits = pw.fn.FORMAT(pw.fn.ABS(field), 2, "en_US")
    digits = pw.fn.REPLACE(pw.fn.REPLACE(pw.fn.REPLACE(digits, ",", "G"), ".", fmt.decimal), "G", fmt.group)
    return pw.fn.CONCAT(pw.Case(None, [(field < 0, "-")], ""), digits)


def _customer_parts(fmt: str) -> list[list[Any]]:
    """The cells a format takes from the customer's own columns, as the
    Python rows hold them before they are made safe, in the runs the
    format's row is built of (the address, the groups and the default group
    go between them: see _window_lines)."""
    c = Customer
    exempt = pw.Case(None, [(c.tax_exempt, "yes")], "no")
    registered = _stamp_sql(c.registered_at)
    external = pw.fn.COALESCE(c.external_id, "")
    if fmt == "backroom":
        return [[external, c.first_name, c.last_name, c.email, c.phone, c.status, c.account_type, exempt, c.language,
                 registered]]
    if fmt == "shopify":
        return [[external, c.first_name, c.last_name, c.email, "no", ""],
                ["", c.phone, "no", _money_sql(c.total_spent), c.order_count, "", exempt]]
    if fmt == "magento":
        return [[c.email, "base", "default", "", registered, "Default Store View", "0", "", c.first_name, ""],
                [c.last_name, "", "", "", "", "", "1", "", "", "1", ""]]
    return [[external, pw.Case(None, [(_is_text(c.status, "active"), "1")], "0"), "0", c.email, "", "", c.last_name,
             c.first_name, "0", "0", registered]]


_SHOPIFY_ADDRESS = ("line1", "line2", "city", "region", "country", "postcode")


class _Memo(dict):
    """A dict that makes what it lacks with ``make`` (and keeps it)."""

    def __init__(self, make: Callable[[str], str]):
        super().__init__()
        self.make = make

    def __missing__(self, key: str) -> str:
        value = self[key] = self.make(key)
        return value


def _sorted_ids(ids: list[str]) -> list[int] | None:
    """The order that puts a window's ids (as text) ascending, or None if
    they are already."""
    nums = list(map(int, ids))
    if all(map(operator.lt, nums, nums[1:])):
        return None
    return sorted(range(len(nums)), key=nums.__getitem__)


def _window_lines(fmt: str, lo: int, hi: int, group: str | None, group_id: int | None, members: bool,
                  expr: Any, codes: dict[int, str]) -> tuple[int, list[str] | None]:
    """The customers with ids in ``lo < id <= hi`` (of the group, that the
    filter finds) as the format's rows, each its cells (text, as the Python
    rows hold them before being made safe) joined by _X, read from the
    server as a few long texts (a window's every value in one cell: the
    drivers read a cell of a row in Python, the servers spend more on
    sending a row than on reading it) and put together by the ids.  Returns
    how many customers were read and the rows; None for the rows where a
    cell holds a control character (or a text would not come back whole),
    for the Python rows to take this window."""
    c = Customer
    where = (c.id > lo) & (c.id <= hi)
    if group_id is not None:
        where &= c.id.in_(Membership.select(Membership.customer).where(
            (Membership.group == group_id) & (Membership.customer > lo) & (Membership.customer <= hi)))
    if expr is not None:
        where &= expr
    parts = _customer_parts(fmt)
    if fmt in ("magento", "prestashop"):  # a customer without an email cannot be one: left out
        only = pw.fn.CHAR_LENGTH(c.email) > 0
        pick = lambda e: pw.Case(None, [(only, e)], None)  # noqa: E731 - (aggregates pass NULLs by)
    else:
        pick = lambda e: e  # noqa: E731
    q = c.select(pw.fn.COUNT(c.id), _agg(pick(c.id)), _agg(pick(c.default_group)),
                 *[_agg(pick(pw.fn.CONCAT_WS(_X, *cells)), _R) for cells in parts]).where(where)
    read, ids_text, defaults_text, *texts = db.execute_sql(*q.sql()).fetchone()
    if not read or ids_text is None:
        return read or 0, []
    ids = ids_text.split(",")
    n = len(ids)
    columns = [defaults_text.split(",")] + [t.split(_R) if t is not None else [] for t in texts]
    if any(len(col) != n for col in columns):
        return read, None
    order = _sorted_ids(ids)
    if order is not None:
        ids = [ids[i] for i in order]
        columns = [[col[i] for i in order] for col in columns]
    defaults, *runs = columns

    def by_customer(query: Any, missing: str) -> list[str] | None:
        keys, values = db.execute_sql(*query.sql()).fetchone()
        if keys is None:
            return [missing] * n
        keys, values = keys.split(","), values.split(_R)
        if len(keys) != len(values):
            return None
        return list(map(dict(zip(keys, values)).get, ids, itertools.repeat(missing, n)))

    address = groups = None
    if fmt in ("backroom", "shopify"):
        fields = ADDRESS_FIELDS if fmt == "backroom" else _SHOPIFY_ADDRESS
        address = by_customer(Address.select(_agg(Address.customer), _agg(pw.fn.CONCAT_WS(
            _X, *[getattr(Address, k) for k in fields]), _R)).where(
            (Address.kind == "billing") & (Address.customer > lo) & (Address.customer <= hi)),
            _X * (len(fields) - 1))
        if address is None:
            return read, None
    if fmt != "magento":
        # The window's memberships as two lists (customer, group), the groups
        # of a customer in several put together here: grouping them on
        # MariaDB cost it three times as much as reading them.
        customers, ids_of_groups = db.execute_sql(*Membership.select(
            _agg(Membership.customer), _agg(Membership.group)).where(
            (Membership.customer > lo) & (Membership.customer <= hi)).sql()).fetchone()
        customers = customers.split(",") if customers else []
        ids_of_groups = ids_of_groups.split(",") if ids_of_groups else []
        if len(customers) != len(ids_of_groups):
            return read, None
        gids = dict(zip(customers, ids_of_groups))
        if len(gids) < len(customers):  # some in more than one group
            gids = {}
            for cid, gid in zip(customers, ids_of_groups):
                gids[cid] = gids[cid] + "," + gid if cid in gids else gid
        groups = list(map(_Memo(functools.partial(_group_cell, fmt, codes)).__getitem__,
                          map(gids.get, ids, itertools.repeat("", n))))
    named = {"magento": MAGENTO_GROUPS, "prestashop": PRESTASHOP_GROUPS}.get(fmt, {})
    default = map(_Memo(lambda d: named.get(codes.get(int(d), ""), codes.get(int(d), ""))).__getitem__, defaults)
    out: list[Any]
    if fmt == "backroom":
        out = [runs[0], default, groups, address]
    elif fmt == "shopify":
        out = [runs[0], address, runs[1], groups]
    elif fmt == "magento":
        out = [runs[0], default, runs[1]]
    else:
        out = [runs[0], groups, default]
    if members:
        joined = by_customer(Membership.select(_agg(Membership.customer), _agg(pw.fn.CONCAT_WS(
            _X, Membership.source, Membership.added_by, _stamp_sql(Membership.added_at)), _R)).where(
            (Membership.group == group_id) & (Membership.customer > lo) & (Membership.customer <= hi)), _X * 2)
        if joined is None:
            return read, None
        out += [itertools.repeat(group, n), joined]
    return read, list(map(_X.join, zip(*out)))


def _group_cell(fmt: str, codes: dict[int, str], gids: str) -> str:
    """The groups' cell of a format from a customer's groups' ids ("2,1"):
    their codes sorted, by PrestaShop's ids in its file, joined as the
    Python rows join them."""
    if not gids:
        return ""
    names = sorted(codes.get(int(i), "") for i in gids.split(","))
    if fmt == "prestashop":
        names = [PRESTASHOP_GROUPS.get(g, g) for g in names]
    return (", " if fmt == "shopify" else ",").join(names)


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
