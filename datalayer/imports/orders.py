"""Importing orders: Shopify's order export or Backroom's own, one row per
line item, the order's own columns on its first row; streamed and in
batches, with the customers' import's report, rejects file, dry run and
all-or-nothing (:mod:`.common`).

An order keeps the number it had (Shopify's ``#1001``), its status, when
it was placed, its total (an order may have no item lines: a total is
enough) and each line's price as it was then.  Its customer must exist
(by the id they were imported with, else by email).  A product named by
a SKU that does not exist is created (an audited operation) in the
category "Imported", at the line's price.  An order whose number exists
is the same order: its status, total, currency and shipping are updated if
they differ (a blank currency or shipping keeps the stored one), its lines
left as they are; importing a file again changes nothing.  An order keeps
the currency it was paid in (Shopify's ``Currency``, an ISO code) and its
shipping (``Shipping``, part of its total).
Cancelled and refunded orders count toward no customer's total spent or
order count, which are recomputed for every customer an import touches.
"""

from __future__ import annotations

import contextlib
import json
import operator
import os
import re
from array import array
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Iterator

import peewee as pw

from ..admins import requires
from ..audit import resolve_actor
from ..catalogue import create_category, create_product
from ..connection import db, is_mysql, is_postgres
from ..shopmoney import MoneyFormat, money_format, plain_amount
from ..parsing import DATE_MAX, DATE_MIN, MONEY_MAX, has_control_chars, quoted
from ..tables import AuditEntry, Category, Customer, Order, OrderLine, Product, utcnow
from ..transactions import Interfered, bulk, retried
from . import bulkload
from .common import (
    apply_import,
    ImportCancelled,
    ImportPreview,
    ImportReport,
    Rejects,
    RowProblem,
    Seen,
    audit_json,
    made_ahead,
    raw_rows,
    rejects_path_for,
    sql_in,
)
from .formats import header_key
from .rows import parse_timestamp
from .sniff import CsvSource, FileProblem, Record
from .writer import insert_rows, insert_rows_ids, mysql_list

ORDER_STATUSES = ("pending", "processing", "complete", "cancelled", "refunded")
NOT_COUNTED = ("cancelled", "refunded")
ORDER_FIELDS = ("order_number", "customer_external_id", "customer_email", "placed_at", "status", "total",
                "sku", "product_name", "quantity", "unit_price", "currency", "shipping")
BATCH_ORDERS = 1_000
RECOUNT_CHUNK = 5_000
"""Customers recounted by one statement, once the orders are in."""
ORDER_BYTES = 100
"""About the bytes of one order in a file (Backroom's format, 1-2 lines):
how many orders a file holds, guessed from its size (see .bulkload)."""

FORMATS = {
    "backroom-orders": ({f: f for f in ORDER_FIELDS}, {"order_number", "status", "total", "sku", "quantity"}),
    "shopify-orders": ({"name": "order_number", "email": "customer_email", "created at": "placed_at",
                        "financial status": "status", "total": "total", "lineitem sku": "sku",
                        "lineitem name": "product_name", "lineitem quantity": "quantity",
                        "lineitem price": "unit_price", "cancelled at": "cancelled_at", "currency": "currency",
                        "shipping": "shipping"},
                       {"name", "email", "financial status", "lineitem quantity", "lineitem name"}),
}
_SHOPIFY_STATUS = {"paid": "complete", "partially_paid": "processing", "pending": "pending",
                   "authorized": "processing", "partially_refunded": "complete", "refunded": "refunded",
                   "voided": "cancelled"}


def _money(text: str, fmt: MoneyFormat | None = None) -> Decimal | None:
    """An amount written as the shop writes it (R$ 2.999,99) or plain
    (2999.99, 2,999.99); None when it is not one."""
    try:
        value = Decimal(plain_amount(text, fmt).replace(",", "")) if text.strip() else Decimal(0)
    except InvalidOperation:
        return None
    if value < 0 or value > MONEY_MAX or value != value.quantize(Decimal("0.01")):
        return None
    return value


class _Amounts(dict):
    """The amounts of one file read so far, text to :func:`_money`'s value
    (at most :data:`AMOUNTS_KEPT`): a file's prices and totals repeat, and
    reading one in the shop's format costs more than looking it up."""

    def __init__(self) -> None:
        super().__init__()
        self.fmt = money_format()

    def __missing__(self, text: str) -> Decimal | None:
        value = _money(text, self.fmt)
        if len(self) < AMOUNTS_KEPT:
            self[text] = value
        return value


AMOUNTS_KEPT = 50_000


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-")[:64] or "item"


class _Order:
    def __init__(self, first: Record, head: dict[str, str]):
        self.line = first.line
        self.records = [first]
        self.head = head
        self.lines: list[tuple[str, str, int, Decimal]] = []
        self.problems: list[tuple[int, str, str]] = []


def _orders(src: CsvSource, cols: dict[int, str], fmt: str, amounts: _Amounts | None = None) -> Iterator[_Order]:
    """The orders of the file, each with its rows, checked (``amounts``
    made beforehand where this runs in another thread: the shop's money
    format is read through the connection)."""
    width = len(src.header)
    current: _Order | None = None
    amounts = _Amounts() if amounts is None else amounts
    names = list(cols.values())
    picked = operator.itemgetter(*cols) if len(cols) > 1 else (lambda cells: (cells[next(iter(cols))],))
    for record in src.records():
        if record.unterminated or len(record.cells) != width:
            bad = _Order(record, {})
            bad.problems.append((record.line, "line", "the file ends inside a quoted cell (a truncated file?)"
                                 if record.unterminated else
                                 f"{len(record.cells)} cells where the header has {width} columns"))
            if current is not None:
                yield current
                current = None
            yield bad
            continue
        raw = dict(zip(names, map(str.strip, picked(record.cells))))
        number = raw.get("order_number", "")
        if current is not None and number == current.head.get("order_number"):
            current.records.append(record)
        else:
            if current is not None:
                yield current
            current = _Order(record, raw)
            _check_head(current, fmt, amounts)
        _check_line(current, record.line, raw, amounts)
    if current is not None:
        yield current


def _check_head(order: _Order, fmt: str, amounts: _Amounts) -> None:
    h, line = order.head, order.line
    problems = order.problems
    number = h.get("order_number", "")
    if not number:
        problems.append((line, "order_number", "an order needs its number"))
    elif len(number) > 32 or has_control_chars(number):
        problems.append((line, "order_number", f"{quoted(number)} cannot be an order number"))
    if not h.get("customer_email") and not h.get("customer_external_id"):
        problems.append((line, "customer_email", "an order needs its customer's email or id"))
    status = h.get("status", "").lower() or "complete"
    if fmt == "shopify-orders":
        status = "cancelled" if h.get("cancelled_at") else _SHOPIFY_STATUS.get(status, status)
    if status not in ORDER_STATUSES:
        problems.append((line, "status", f"{quoted(h.get('status', ''))} is not one of {', '.join(ORDER_STATUSES)}"))
    h["status"] = status
    total = amounts[h.get("total", "")]
    if total is None:
        problems.append((line, "total", f"{quoted(h.get('total', ''))} is not an amount"))
    h["total_value"] = total  # type: ignore[assignment]
    stamp = parse_timestamp(h.get("placed_at", "")) if h.get("placed_at") else None
    if h.get("placed_at") and (stamp is None or not DATE_MIN <= stamp.date() <= DATE_MAX):
        problems.append((line, "placed_at", f"{quoted(h['placed_at'])} is not a date (2024-03-01 10:20:30)"))
    h["placed_value"] = stamp  # type: ignore[assignment]
    currency = h.get("currency", "").upper()
    if currency and not (len(currency) == 3 and currency.isascii() and currency.isalpha()):
        problems.append((line, "currency", f"{quoted(h['currency'])} is not a currency code (USD, EUR, BRL…)"))
    h["currency"] = currency
    shipping = amounts[h.get("shipping", "")]
    if shipping is None:
        problems.append((line, "shipping", f"{quoted(h.get('shipping', ''))} is not an amount"))
    elif total is not None and shipping > total:
        problems.append((line, "shipping", f"{shipping} is more than the order's total, {total}"))
    h["shipping_value"] = shipping  # type: ignore[assignment]


def _check_line(order: _Order, line: int, raw: dict[str, str], amounts: _Amounts) -> None:
    get = raw.get
    sku, name, qty = get("sku", ""), get("product_name", ""), get("quantity", "")
    if not (sku or name or qty):
        return  # an order without item lines: its total is enough
    sku = sku or _slug(name)
    problems = order.problems
    if len(sku) > 64 or len(name) > 200 or has_control_chars(sku + name):  # one look for the usual line
        if len(sku) > 64 or has_control_chars(sku):
            problems.append((line, "sku", f"{quoted(sku)} cannot be a SKU"))
        if len(name) > 200 or has_control_chars(name):
            problems.append((line, "product_name", "longer than 200 characters or holds a control character"))
    quantity = int(qty) if qty.isascii() and qty.isdigit() else 0
    if not 1 <= quantity <= 100_000:
        problems.append((line, "quantity", f"{quoted(qty)} is not a quantity from 1 to 100,000"))
        return
    price = get("unit_price", "")
    amount = amounts[price]
    if amount is None:
        problems.append((line, "unit_price", f"{quoted(price)} is not an amount"))
        return
    order.lines.append((sku, name or sku, quantity, amount))


def _mapping(header: list[str], fmt: str | None) -> tuple[str, dict[int, str]]:
    keys = [header_key(h) for h in header]
    for name, (columns, signature) in FORMATS.items():
        if (fmt is None and signature <= set(keys)) or fmt == name:
            return name, {i: columns[k] for i, k in enumerate(keys) if k in columns}
    if fmt is not None:
        raise FileProblem(f"{fmt!r} is not an order format: one of {', '.join(FORMATS)}")
    raise FileProblem("The header matches no order format Backroom knows (Shopify's order export, Backroom's)")


@requires("import")
@retried
def import_orders(path: str | os.PathLike, *, dry_run: bool = False, fmt: str | None = None,
                  encoding: str | None = None, all_or_nothing: bool = False,
                  progress: Callable[[int, int], None] | None = None,
                  cancelled: Callable[[], bool] | None = None, actor: str | None = None) -> ImportReport:
    """Import (or check, ``dry_run``) the orders in the CSV file at ``path``."""
    actor = resolve_actor(actor)
    with CsvSource(path, encoding=encoding) as src:
        name, cols = _mapping(src.header, fmt)
        preview = ImportPreview.of(src, name, "Shopify orders" if name == "shopify-orders" else "Backroom orders",
                                   cols)
        report = ImportReport(preview, dry_run)
        run = _OrderRun(src, cols, name, report, actor, not dry_run, progress, cancelled)
        if dry_run:
            run.run()
            return report
        bulk()
        run.rejects = Rejects(rejects_path_for(path), src.header)
        apply_import(report, run.rejects, run.run, all_or_nothing=all_or_nothing, actor=actor, action="orders.import",
                     summary=lambda: {"file": src.path.name, "orders": report.rows, "new": report.new,
                                      "changed": report.changed, "unchanged": report.unchanged,
                                      "rejected": report.rejected})
    return report


class _OrderRun:
    def __init__(self, src: CsvSource, cols: dict[int, str], fmt: str, report: ImportReport, actor: str,
                 write: bool, progress: Callable[[int, int], None] | None, cancelled: Callable[[], bool] | None):
        self.src, self.cols, self.fmt, self.report, self.actor, self.write = src, cols, fmt, report, actor, write
        self.progress, self.cancelled = progress, cancelled
        self.rejects: Any = None
        self.category: int | None = None
        self.sequence: str | None = None
        self.now = utcnow()
        self.touched = array("q")  # the customers whose orders were added or changed, 8 bytes each
        self.empty = False
        """The orders' table held no order when the import began: no batch
        looks its numbers up (see _set_aside)."""
        self.written = 0
        """Orders this import inserted."""
        self.products: dict[str, int] = {}
        """SKU to product, of the products this import's lines name: looked
        up (or created) once, not once a batch.  On a server each line
        written holds its product's row until the import commits (the
        foreign key's lock, which also holds the unique SKU), so nobody
        deletes it or changes its SKU meanwhile; SQLite has one writer."""

    def run(self) -> None:
        if self.write and is_postgres() and db.connection().server_version >= 110000:  # (no JIT before 11)
            # PostgreSQL compiles a statement (JIT) its planner thinks costly:
            # with the statistics of tables being filled, every batch's
            # recount, 0.7 s of compiling for a statement that runs in 0.05.
            db.execute_sql("SET LOCAL jit = off")
        # The file is read and checked a batch ahead, in a thread of its own,
        # while this one writes the batch before: the database's work and the
        # reading (a third of the import's CPU) overlap.
        batches = made_ahead(self._read(_Amounts()), depth=2, name="import-reader")
        try:
            with self._set_aside():
                for rejected, batch, position in batches:
                    for order in rejected:
                        self._reject(order)
                    if batch:
                        self._batch(batch, position)
        except pw.IntegrityError as exc:
            if self.empty and is_mysql() and self._others():
                raise Interfered("an order was placed while the file was imported into a shop without orders") \
                    from exc
            raise
        finally:
            batches.close()  # the reader stopped before the file is closed, whatever happened
        # After the indexes are back: the recount reads the orders by customer.
        self._recount_touched()
        self.report.problems.sort(key=lambda p: p.line)
        if self.progress:
            self.progress(self.src.size, self.src.size)

    def _others(self) -> bool:
        """Whether the orders' table holds orders this import did not write."""
        return raw_rows(Order.select(pw.fn.COUNT(Order.id)))[0][0] > self.written

    def _set_aside(self) -> contextlib.AbstractContextManager:
        """A big file into a shop with (nearly) no orders, on PostgreSQL:
        the orders' and lines' secondary indexes, and the lines' key to
        their order, set aside while the rows go in and built again once
        (see .bulkload), both tables locked until the import commits.  The
        unique order number, the primary keys and the keys to the customer
        and the product stay in place: the database still refuses what it
        refused row by row.  Elsewhere, or into a shop with orders, nothing
        is set aside (on MariaDB each of those indexes is a foreign key's,
        which InnoDB does not let go).  Sets :attr:`empty`."""
        orders, lines = Order._meta.table_name, OrderLine._meta.table_name
        if not (self.write and bulkload.worth_it(orders, self.src.size // ORDER_BYTES)):
            # MariaDB has no lock for the table that does not commit: an
            # admin may place an order meanwhile, whose number, if the file
            # holds it too, the database refuses; the import then runs
            # again, looking the numbers up (see run).
            self.empty = self.write and is_mysql() and not raw_rows(Order.select(Order.id).limit(1))
            return contextlib.nullcontext()
        stack = contextlib.ExitStack()
        stack.enter_context(bulkload.set_aside(orders, (lines,)))
        stack.enter_context(bulkload.set_aside(lines, ()))
        # Locked and without a row, the table can hold no order of the file
        # but this import's own, and a number the file repeats is refused
        # before it is looked up (see _read): no batch looks its numbers up.
        self.empty = not raw_rows(Order.select(Order.id).limit(1))
        return stack

    def _read(self, amounts: _Amounts) -> Iterator[tuple[list[_Order], list[_Order], int]]:
        """The file's orders in batches of :data:`BATCH_ORDERS` good ones,
        each after the orders rejected as read since the batch before, and
        with how far into the file it ends.  Touches nothing but the file
        (it runs in another thread): no database, no report but its count."""
        batch: list[_Order] = []
        rejected: list[_Order] = []
        seen = Seen.sized(self.src.size // 60)  # a 64-bit hash an order number: 8 bytes, not a string's 60
        for order in _orders(self.src, self.cols, self.fmt, amounts):
            self.report.rows += 1  # an order, not a row
            number = order.head.get("order_number", "")
            key = hash(("o", number))
            if key in seen and not order.problems:
                order.problems.append((order.line, "order_number", "the same order as earlier rows, "
                                                                   "not next to them"))
            seen.add(key)
            if order.problems:
                rejected.append(order)
                continue
            batch.append(order)
            if len(batch) >= BATCH_ORDERS:
                yield rejected, batch, self.src.position()
                batch, rejected = [], []
        if batch or rejected:
            yield rejected, batch, self.src.position()

    def _reject(self, order: _Order) -> None:
        self.report.rejected += 1
        if len(self.report.problems) < 1000:
            self.report.problems += [RowProblem(*p) for p in order.problems]
        if self.rejects is not None:
            text = "; ".join(f"line {n}: {f}: {m}" for n, f, m in order.problems)
            for record in order.records:
                self.rejects.writerow([record.line, text, *record.cells])

    def _batch(self, batch: list[_Order], position: int) -> None:
        self._check_cancelled()
        if self.progress:
            self.progress(min(position, self.src.size - 1), self.src.size)
        exts = sorted({o.head["customer_external_id"] for o in batch if o.head.get("customer_external_id")})
        emails = sorted({o.head["customer_email"].lower() for o in batch if o.head.get("customer_email")})
        # Read as the driver returns them: Peewee's conversion of each value
        # cost more than the queries.
        by_ext = dict(_rows_in(Customer.external_id, exts, Customer.id))
        by_email = dict(_rows_in(Customer.email_key, emails, Customer.id))
        numbers = [o.head["order_number"] for o in batch]
        existing = {} if self.empty else {
            r[0]: r for r in _rows_in(Order.number, numbers, Order.id, Order.customer, Order.status, Order.total,
                                      Order.currency, Order.shipping)}
        held = self.products
        skus = sorted({sku for o in batch for sku, *_ in o.lines if sku not in held})
        products = {**held, **dict(_rows_in(Product.sku, skus, Product.id))} if skus else held
        new: list[tuple[_Order, int]] = []
        changed: list[tuple[_Order, tuple]] = []
        touched: set[int] = set()
        for order in batch:
            h = order.head
            cid = (by_ext.get(h.get("customer_external_id") or "")
                   or by_email.get((h.get("customer_email") or "").lower()))
            if cid is None:
                order.problems.append((order.line, "customer_email", "no customer has this email or id"))
                self._reject(order)
                continue
            found = existing.get(h["order_number"])
            if found is None:
                new.append((order, cid))
                touched.add(cid)
            elif found[2] != cid:
                order.problems.append((order.line, "order_number", "already the number of another customer's order"))
                self._reject(order)
            elif _stored(found) != _given(h, found):
                changed.append((order, found))
                touched.add(cid)
            else:
                self.report.unchanged += 1
        self.report.new += len(new)
        self.report.changed += len(changed)
        if self.write:
            self._write(new, changed, products, touched)

    def _recount_touched(self) -> None:
        """Recount, once, every customer whose orders the import added or
        changed, in id order, :data:`RECOUNT_CHUNK` at a time.  Recounted
        with each batch, a customer whose orders span batches was recounted
        (their row rewritten, in every index) once a batch.  The import is
        one transaction: nobody else sees its orders before these counters."""
        if not self.touched:
            return
        ids = sorted(self.touched)
        self.touched = array("q")
        chunk: list[int] = []
        last = None
        for cid in ids:
            if cid != last:
                chunk.append(cid)
                last = cid
                if len(chunk) >= RECOUNT_CHUNK:
                    self._check_cancelled()
                    _recount(chunk)
                    chunk = []
        if chunk:
            _recount(chunk)

    def _check_cancelled(self) -> None:
        if self.cancelled is not None and self.cancelled():
            raise ImportCancelled("The import was cancelled: nothing was imported.")

    def _order_ids(self, count: int) -> list[int]:
        """``count`` new ids from the orders' sequence (PostgreSQL)."""
        if self.sequence is None:
            self.sequence = db.execute_sql("SELECT pg_get_serial_sequence(%s, 'id')",
                                           (Order._meta.table_name,)).fetchone()[0]
        return [r[0] for r in db.execute_sql("SELECT nextval(%s::regclass) FROM generate_series(1, %s)",
                                             (self.sequence, count)).fetchall()]

    def _product_ids(self, new: list[tuple[_Order, int]], products: dict[str, int]) -> dict[str, int]:
        for order, _ in new:
            for sku, name, _qty, price in order.lines:
                if sku not in products:
                    if self.category is None:
                        found = Category.get_or_none(Category.slug == "imported")
                        self.category = found.id if found else create_category(
                            "Imported", "imported", actor=self.actor).id
                    products[sku] = create_product(sku, name, self.category, str(price), actor=self.actor).id
        return products

    def _write(self, new: list[tuple[_Order, int]], changed: list[tuple[_Order, tuple]], products: dict[str, int],
               touched: set[int]) -> None:
        products = self._product_ids(new, products)
        if new:
            numbers = [o.head["order_number"] for o, _ in new]
            fields = [Order.customer, Order.number, Order.placed_at, Order.status, Order.total, Order.currency,
                      Order.shipping]
            rows = [(cid, o.head["order_number"], o.head["placed_value"] or self.now, o.head["status"],
                     o.head["total_value"], o.head["currency"], o.head["shipping_value"]) for o, cid in new]
            if is_postgres():
                # The new orders' ids taken from their sequence beforehand and
                # written with them: no query for the ids of what was written.
                ids = self._order_ids(len(new))
                insert_rows(Order, [Order.id, *fields], [(i, *r) for i, r in zip(ids, rows)])
            elif is_mysql() and (given := insert_rows_ids(Order, fields, rows)) is not None:
                ids = given  # from each INSERT's LAST_INSERT_ID: no query for them either
            else:
                insert_rows(Order, fields, rows)
                by_number = dict(raw_rows(Order.select(Order.number, Order.id).where(sql_in(Order.number, numbers))))
                ids = [by_number[n] for n in numbers]
            self.written += len(new)
            lines = [(i, products[sku], qty, price)
                     for i, (o, _) in zip(ids, new) for sku, _name, qty, price in o.lines]
            insert_rows(OrderLine, [OrderLine.order, OrderLine.product, OrderLine.quantity, OrderLine.unit_price],
                        lines)
            if len(self.products) < len(products):
                self.products.update((sku, products[sku]) for o, _ in new for sku, *_ in o.lines)
            insert_rows(AuditEntry, [AuditEntry.at, AuditEntry.actor, AuditEntry.action, AuditEntry.entity,
                                     AuditEntry.entity_id, AuditEntry.after],
                        [(self.now, self.actor, "order.import", "order", str(i), _new_order_json(cid, o))
                         for i, (o, cid) in zip(ids, new)])
        for order, found in changed:
            before, after = _stored(found), _given(order.head, found)
            names = ("status", "total", "currency", "shipping")
            diff = {k: a for k, b, a in zip(names, before, after) if a != b}
            Order.update(**diff).where(Order.id == found[1]).execute()
            AuditEntry.create(actor=self.actor, action="order.import", entity="order", entity_id=str(found[1]),
                              before=audit_json({k: str(b) for k, b in zip(names, before) if k in diff}),
                              after=audit_json({k: str(v) for k, v in diff.items()}))
        self.touched.extend(touched)


def _rows_in(key: Any, values: list[Any], *fields: Any) -> list[tuple]:
    """``key`` and ``fields`` of the rows whose ``key`` is one of ``values``,
    as the driver returns them: the statement written out, where building
    Peewee's query for a batch cost more of this process's time than the
    query cost the server."""
    if not values:
        return []
    q = "`" if is_mysql() else '"'
    cols = ", ".join(f"{q}{f.column_name}{q}" for f in (key, *fields))
    head = f"SELECT {cols} FROM {q}{key.model._meta.table_name}{q} WHERE {q}{key.column_name}{q} IN "
    if is_mysql() and (written := mysql_list(values, db.connection())) is not None:
        with pw.__exception_wrapper__:
            cursor = db.cursor()
            cursor.execute(f"{head}({written})")  # no parameters: a % in a value stays as it is
            return cursor.fetchall()
    return db.execute_sql(f"{head}({', '.join(db.obj.param for _ in values)})", list(values)).fetchall()


_json_text = json.encoder.encode_basestring_ascii


def _new_order_json(customer_id: int, order: _Order) -> str:
    """A new order's audit entry (its ``after``): what :func:`audit_json`
    writes of it (keys sorted, ASCII), written out here, for a million
    orders cost more through the JSON encoder than their rows did."""
    h = order.head
    return (f'{{"currency": {_json_text(h["currency"])}, "customer_id": {int(customer_id)}, '
            f'"lines": {len(order.lines)}, "number": {_json_text(h["order_number"])}, '
            f'"shipping": "{h["shipping_value"]}", "status": {_json_text(h["status"])}, '
            f'"total": "{h["total_value"]}"}}')


def _stored(found: tuple) -> tuple[str, Decimal, str, Decimal]:
    """An existing order's status, total, currency and shipping."""
    return found[3], Decimal(str(found[4])).quantize(Decimal("0.01")), found[5] or "", \
        Decimal(str(found[6] or 0)).quantize(Decimal("0.01"))


def _given(head: dict[str, Any], found: tuple) -> tuple[str, Decimal, str, Decimal]:
    """What the file says of an existing order: a blank currency or shipping
    keeps the stored one (a file without those columns changes neither)."""
    stored = _stored(found)
    return (head["status"], head["total_value"], head["currency"] or stored[2],
            head["shipping_value"] if head.get("shipping") else stored[3])


def _recount(customer_ids: list[int]) -> None:
    """Total spent and order count of these customers (ids ascending), from
    their orders (cancelled and refunded ones left out): locked, then
    recounted in one statement that writes only the rows whose
    figures change.

    The lock comes first so that the recount reads after it: on PostgreSQL
    and MariaDB (READ COMMITTED) an UPDATE that waits for a customer another
    admin is placing an order for goes on, once that order is committed,
    with sums it read before (PostgreSQL re-checks the row, not the
    subquery; MariaDB may read the derived table before it waits, as its
    plan goes: in the test it read it per customer, after), and the
    customer's new order would count for nothing.  Locked first, the next statement
    reads everything committed by then; whoever adds an order after it
    changes the counters after this import commits.  The sums per customer
    read the orders' (customer, placed_at) index: a join the planner may
    choose with the stale statistics of a table being filled read all the
    orders for every batch."""
    if not customer_ids:
        return
    customer, orders = Customer._meta.table_name, Order._meta.table_name
    skipped = ", ".join(f"'{s}'" for s in NOT_COUNTED)
    if is_postgres():
        db.execute_sql(f'SELECT id FROM "{customer}" WHERE id = ANY(%s) ORDER BY id FOR NO KEY UPDATE',
                       (customer_ids,))
        db.execute_sql(
            f'UPDATE "{customer}" AS c SET total_spent = x.spent, order_count = x.n '
            f"FROM unnest(%s::int[]) AS ids(id) CROSS JOIN LATERAL "
            f'(SELECT COALESCE(SUM(o.total), 0) AS spent, COUNT(*) AS n FROM "{orders}" AS o '
            f"WHERE o.customer_id = ids.id AND o.status NOT IN ({skipped})) AS x "
            "WHERE c.id = ids.id AND (c.total_spent <> x.spent OR c.order_count <> x.n)", (customer_ids,))
    elif is_mysql():
        # The ids written out (ints, as PyMySQL would write them): escaping
        # 15,000 parameters a chunk cost this process more than the server.
        marks = ", ".join(map(str, map(int, customer_ids)))
        db.execute_sql(f"SELECT id FROM `{customer}` WHERE id IN ({marks}) ORDER BY id FOR UPDATE")
        db.execute_sql(
            f"UPDATE `{customer}` AS c LEFT JOIN "
            f"(SELECT customer_id, SUM(total) AS spent, COUNT(*) AS n FROM `{orders}` "
            f"WHERE customer_id IN ({marks}) AND status NOT IN ({skipped}) GROUP BY customer_id) AS s "
            "ON s.customer_id = c.id "
            "SET c.total_spent = COALESCE(s.spent, 0), c.order_count = COALESCE(s.n, 0) "
            f"WHERE c.id IN ({marks}) "
            "AND (c.total_spent <> COALESCE(s.spent, 0) OR c.order_count <> COALESCE(s.n, 0))")
    else:  # SQLite: one writer at a time, nothing to lock
        db.execute_sql(
            f'UPDATE "{customer}" SET (total_spent, order_count) = '
            f'(SELECT COALESCE(SUM(total), 0), COUNT(*) FROM "{orders}" '
            f'WHERE customer_id = "{customer}".id AND status NOT IN ({skipped})) '
            f"WHERE id IN ({', '.join('?' for _ in customer_ids)})", customer_ids)
