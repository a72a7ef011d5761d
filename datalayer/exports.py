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
import os
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterator

from .admins import requires
from .audit import audit, resolve_actor
from .connection import db
from .errors import ValidationError
from .imports.common import sql_in
from .imports.formats import ADDRESS_FIELDS, BACKROOM_COLUMNS, SHOPIFY_COLUMNS
from .lookup import get_group_by_code
from .outbox import csv_cell
from .reviews import ReviewFilter
from .selection import CustomerFilter, Selection
from .shopmoney import money_format
from .tables import Address, Customer, CustomerGroup, Membership, Product, Review
from .text import inert_block
from .transactions import read_snapshot

EXPORT_FORMATS = ("backroom", "shopify")
PAGE = 5_000
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


def _raw(query: Any) -> list[tuple]:
    """The rows of a query as the driver returns them: converting each value
    through Peewee costs more than the export's every other step."""
    return db.execute_sql(*query.sql()).fetchall()


def _pages(group_id: int | None, flt: CustomerFilter | None = None) -> Iterator[list[dict[str, Any]]]:
    """Customers (of ``group_id`` if given, that ``flt`` finds) by id, a page
    at a time, with their group codes, default group and billing address."""
    expr = flt.expression() if flt else None
    codes = dict(CustomerGroup.select(CustomerGroup.id, CustomerGroup.code).tuples())
    fields = [getattr(Customer, c) for c in _COLUMNS]
    after = 0
    while True:
        q = Customer.select(*fields).where(Customer.id > after)
        if group_id is not None:
            q = q.where(Customer.id.in_(Membership.select(Membership.customer).where(Membership.group == group_id)))
        if expr is not None:
            q = q.where(expr)
        page = [dict(zip(_COLUMNS, r)) for r in _raw(q.order_by(Customer.id).limit(PAGE))]
        if not page:
            return
        ids = [c["id"] for c in page]
        groups: dict[int, list[str]] = {}
        membership: dict[int, dict[str, Any]] = {}
        for cid, gid, source, added_by, added_at in _raw(
                Membership.select(Membership.customer, Membership.group, Membership.source, Membership.added_by,
                                  Membership.added_at).where(sql_in(Membership.customer, ids))):
            groups.setdefault(cid, []).append(codes.get(gid, ""))
            if gid == group_id:
                membership[cid] = {"source": source, "added_by": added_by, "added_at": added_at}
        billing = {r[0]: dict(zip(ADDRESS_FIELDS, r[1:])) for r in _raw(
            Address.select(Address.customer, *(getattr(Address, k) for k in ADDRESS_FIELDS))
            .where(sql_in(Address.customer, ids) & (Address.kind == "billing")))}
        for c in page:
            c["group_codes"] = sorted(groups.get(c["id"], []))
            c["default_code"] = codes.get(c["default_group"], "")
            c["billing"] = billing.get(c["id"], {})
            c["membership"] = membership.get(c["id"])
        yield page
        after = ids[-1]


def _backroom_row(c: dict[str, Any]) -> list[Any]:
    b = c["billing"]
    return [c["external_id"] or "", c["first_name"], c["last_name"], c["email"], c["phone"], c["status"],
            c["account_type"], "yes" if c["tax_exempt"] else "no", c["language"], _stamp(c["registered_at"]),
            c["default_code"], ",".join(c["group_codes"]), *(b.get(k, "") for k in ADDRESS_FIELDS)]


def _shopify_row(c: dict[str, Any]) -> list[Any]:
    b = c["billing"]
    return [c["external_id"] or "", c["first_name"], c["last_name"], c["email"], "no", "", b.get("line1", ""),
            b.get("line2", ""), b.get("city", ""), b.get("region", ""), b.get("country", ""),
            b.get("postcode", ""), "", c["phone"], "no", _money(c["total_spent"]), c["order_count"], "",
            "yes" if c["tax_exempt"] else "no", ", ".join(c["group_codes"])]


def _money(value: Any) -> str:
    """An amount in the shop's number format (2.999,99), without the
    currency, so a spreadsheet in the shop's locale reads it as a number;
    the import reads it back in that format."""
    return dataclasses.replace(money_format(), currency="").format(Decimal(str(value)))


@requires("export")
def export_customers(path: str | os.PathLike, *, fmt: str = "backroom", group: str | None = None,
                     members: bool = False, flt: CustomerFilter | None = None, bom: bool = False,
                     actor: str | None = None, progress: Callable[[int, int], None] | None = None,
                     selection: Selection | None = None) -> int:
    """Write the customers (of the group with code ``group``, if given, and
    that the filter ``flt`` finds, as on the Customers screen) to ``path``
    in ``fmt`` (``backroom`` or ``shopify``); ``members`` adds the
    membership's columns (who added them, when, by hand or by rule) and
    needs ``group``.  ``selection`` (the customers ticked in a list) takes
    the place of ``flt``.  Returns how many were written."""
    if selection is not None:
        flt = selection  # type: ignore[assignment]  # a selection is read as a filter is: expression(), describe()
    if fmt not in EXPORT_FORMATS:
        raise ValidationError({"format": f"Export as {' or '.join(EXPORT_FORMATS)}"})
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
    header = list(BACKROOM_COLUMNS if fmt == "backroom" else SHOPIFY_COLUMNS)
    if members:
        header += MEMBER_COLUMNS
    written = _write(path, fmt, header, group, group_id, members, flt, bom, progress, total)
    with db.atomic():
        audit("customers.export", "export", None, after={
            "count": written, "format": fmt, "group": group, "members": members, "file": Path(path).name,
            "filter": flt.describe() if flt else {}}, actor=actor)
    return written


@read_snapshot()
def _write(path: str | os.PathLike, fmt: str, header: list[str], group: str | None, group_id: int | None,
           members: bool, flt: CustomerFilter | None, bom: bool, progress: Callable[[int, int], None] | None,
           total: int) -> int:
    row_of = _backroom_row if fmt == "backroom" else _shopify_row
    written = 0
    with atomic_file(path, bom=bom) as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for page in _pages(group_id, flt):
            for c in page:
                row = row_of(c)
                if members:
                    m = c["membership"] or {}
                    row += [group, m.get("source", ""), m.get("added_by", ""), _stamp(m.get("added_at"))]
                writer.writerow([_cell(v) for v in row])
            written += len(page)
            if progress:
                progress(written, total)
    return written


# -- reviews -------------------------------------------------------------------

REVIEW_COLUMNS = ("review_id", "product_sku", "product_name", "customer_email", "customer_external_id",
                  "customer_name", "rating", "title", "body", "status", "created_at", "moderated_at",
                  "moderated_by", "reject_reason", "reply")


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
                               Review.reject_reason, Review.reply)
                 .join(Product, on=(Review.product == Product.id))
                 .switch(Review).join(Customer, on=(Review.customer == Customer.id))
                 .where(Review.id > after))
            if expr is not None:
                q = q.where(expr)
            page = _raw(q.order_by(Review.id).limit(PAGE))
            if not page:
                return written
            for (rid, sku, pname, email, ext, first, last, rating, title, body, status, created, moderated,
                 moderator, reason, reply) in page:
                writer.writerow([rid, _cell(sku), _cell(pname), _cell(email), _cell(ext or ""),
                                 _cell(f"{first} {last}".strip()), rating, _cell(title), _block_cell(body),
                                 status, _stamp(created), _stamp(moderated), _cell(moderator),
                                 _block_cell(reason), _block_cell(reply or "")])
            written += len(page)
            after = page[-1][0]
            if progress:
                progress(written, max(total, written))
