"""Product reviews: the moderation queue, its filters and counts, and moderating one or many."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import uuid
from typing import Any

import peewee as pw

from .admins import requires
from .audit import audit, resolve_actor
from .connection import db, is_mysql, is_postgres
from .customers import normalize_email
from .errors import NotFoundError, ValidationError
from .lookup import as_id, possible_id
from .parsing import clean_line, has_control_chars, typed_text
from .selection import Selection, _day_start, _parse_dates, _typed
from .tables import (
    REVIEW_STATUSES,
    Customer,
    Order,
    OrderLine,
    Product,
    Review,
    ReviewEvent,
    utcnow,
)
from .textsearch import search_text, text_condition
from .transactions import bulk, is_small, materialized, read_snapshot, retried


def verified_purchase() -> pw.Node:
    """True where the reviewer has an order, not cancelled, containing the
    product (read through the orders' (customer, placed_at) index and the
    lines' (product, order) index).

    MariaDB is told that order: it read the lines of the review's product
    first (every order of it: thousands at 100,000 customers, each then
    looked up in the orders), 450-480 ms for the queue's first 42 reviews
    at 100,000 customers, against 1-11 ms from the reviewer's orders."""
    where = ((Order.customer == Review.customer) & (OrderLine.product == Review.product)
             & (Order.status != "cancelled"))
    if is_mysql():
        return pw.fn.EXISTS(Order.select(pw.SQL("1")).join(OrderLine, "STRAIGHT_JOIN",
                                                            on=(OrderLine.order == Order.id)).where(where))
    return pw.fn.EXISTS(OrderLine.select(pw.SQL("1")).join(Order, on=(OrderLine.order == Order.id)).where(where))


def review_search_text(title: str, body: str) -> str:
    """What text search looks in (:attr:`Review.search_text`): the title and body folded."""
    return search_text(title, body)


@dataclasses.dataclass(frozen=True)
class ReviewFilter:
    """What a moderator narrows the queue by.  ``text`` is found anywhere in
    the title or body, ignoring case and accents."""

    status: str | None = None
    rating: int | None = None
    product_id: int | None = None
    customer_id: int | None = None
    created_from: dt.date | None = None
    created_to: dt.date | None = None  # inclusive
    text: str = ""
    verified: bool = False  # verified purchases only

    def is_empty(self) -> bool:
        return self == ReviewFilter()

    def expression(self) -> pw.Expression | None:
        conds: list[pw.Expression] = []
        if self.status:
            conds.append(Review.status == self.status)
        if self.rating:
            conds.append(Review.rating == self.rating)
        if self.product_id is not None:
            conds.append(Review.product == self.product_id)
        if self.customer_id is not None:
            conds.append(Review.customer == self.customer_id)
        if self.created_from:
            conds.append(Review.created_at >= _day_start(self.created_from))
        if self.created_to:
            conds.append(Review.created_at < _day_start(self.created_to) + dt.timedelta(days=1))
        if self.verified:
            conds.append(verified_purchase())
        text = text_condition(self.text, narrowed=bool(self.status or self.product_id is not None
                                                       or self.customer_id is not None))
        if text is not None:
            conds.append(text)
        return functools.reduce(lambda a, b: a & b, conds) if conds else None

    def describe(self) -> dict[str, Any]:
        return {k: v for k, v in dataclasses.asdict(self).items() if v not in (None, "", False)}


def build_review_filter(*, status: str = "", rating: str = "", product: str = "", customer: str = "",
                        created_from: str = "", created_to: str = "", text: str = "",
                        verified: bool | str = False, today: dt.date | None = None) -> ReviewFilter:
    """A :class:`ReviewFilter` from what a moderator typed: product by SKU,
    customer by email; errors per field."""
    errors: dict[str, str] = {}
    typed = _typed({"status": status, "rating": rating, "product": product, "customer": customer, "text": text},
                   errors, {"product": 64, "customer": 254, "text": 500})
    status, rating, product, customer, text = (typed[k] for k in ("status", "rating", "product", "customer", "text"))
    status = status.strip().lower()
    if status and status not in REVIEW_STATUSES:
        errors["status"] = f"Status must be one of {', '.join(REVIEW_STATUSES)}"
    stars = None
    if rating.strip():
        if rating.strip() in {"1", "2", "3", "4", "5"}:
            stars = int(rating)
        else:
            errors["rating"] = "Rating must be a whole number from 1 to 5"
    product_id = customer_id = None
    if product.strip():
        product_id = Product.select(Product.id).where(Product.sku == product.strip()).scalar()
        if product_id is None:
            errors["product"] = f"No product with SKU {clean_line(product.strip())!r}"
    if customer.strip():
        customer_id = Customer.select(Customer.id).where(Customer.email_key == normalize_email(customer)).scalar()
        if customer_id is None:
            errors["customer"] = f"No customer with email {clean_line(customer.strip())!r}"
    dates = _parse_dates({"created_from": created_from, "created_to": created_to}, errors, today)
    if errors:
        raise ValidationError(errors)
    return ReviewFilter(status=status or None, rating=stars, product_id=product_id, customer_id=customer_id,
                        created_from=dates["created_from"], created_to=dates["created_to"], text=text.strip(),
                        verified=verified is True or str(verified).strip().lower() in ("1", "yes", "true", "y"))


@dataclasses.dataclass
class ReviewRow:
    id: int
    rating: int
    title: str
    body: str
    status: str
    created_at: dt.datetime
    product_id: int
    product: str
    customer_id: int | None
    """None for a review by someone who is not a customer: ``customer`` is their name"""
    customer: str
    verified: bool
    moderated_at: dt.datetime | None
    moderated_by: str | None
    reject_reason: str | None
    reply: str | None = None
    reply_at: dt.datetime | None = None
    reply_by: str | None = None
    anonymous: bool = False
    """by someone who is not a customer (``customer`` is the name they gave)"""

    @property
    def first_line(self) -> str:
        return (self.body or "").strip().split("\n", 1)[0]


# MariaDB reads the reviews before their products (STRAIGHT_JOIN).  Left to
# choose, it joined from the products (a handful, so cheaper by its estimate
# than the status index) and sorted every matching review in a temporary
# table with every selected column, the verified-purchase test run for each
# through every order line of the review's product: the first page of the
# pending queue (F4) took over 9 minutes at 1,000,000 customers (30,000
# pending reviews).  Reviews first, the page is read along the filter's
# index and stops at its last row (25 ms).
_ROWS_FIRST = "STRAIGHT_JOIN"


def _review_rows(q: pw.ModelSelect) -> list[ReviewRow]:
    q = q.select(Review.id, Review.rating, Review.title, Review.body, Review.status, Review.created_at,
                 Review.product, Product.name, Review.customer, Customer.first_name, Customer.last_name,
                 verified_purchase(), Review.moderated_at, Review.moderated_by, Review.reject_reason,
                 Review.reply, Review.reply_at, Review.reply_by, Review.author_name,
                 ).join_from(Review, Product, _ROWS_FIRST if is_mysql() else pw.JOIN.INNER,
                             on=(Review.product == Product.id)
                             ).join_from(Review, Customer, pw.JOIN.LEFT_OUTER, on=(Review.customer == Customer.id))
    return [ReviewRow(id=r[0], rating=r[1], title=r[2], body=r[3], status=r[4], created_at=r[5], product_id=r[6],
                      product=r[7], customer_id=r[8],
                      customer=f"{r[9]} {r[10]}".strip() if r[8] is not None else (r[18] or ""),
                      verified=bool(r[11]), moderated_at=r[12], moderated_by=r[13], reject_reason=r[14],
                      reply=r[15], reply_at=r[16], reply_by=r[17], anonymous=r[8] is None)
            for r in q.tuples()]


def _review_query(flt: ReviewFilter | None) -> pw.ModelSelect:
    q = Review.select()
    expr = flt.expression() if flt else None
    return q.where(expr) if expr is not None else q


@read_snapshot()
def review_page(flt: ReviewFilter | None = None, *, offset: int = 0, limit: int = 50,
                newest_first: bool = False) -> list[ReviewRow]:
    """A page of the queue, oldest first unless told otherwise.  Deep in the
    queue, the rows to skip are counted in the index alone (ids only), and
    only the page's own rows are read in full."""
    order = ([Review.created_at.desc(), Review.id.desc()] if newest_first
             else [Review.created_at.asc(), Review.id.asc()])
    q = _review_query(flt).order_by(*order).offset(max(0, offset)).limit(limit)
    # MariaDB sorts the candidates of a text search in a temporary table, with
    # every selected column: the verified-purchase test ran for each (100 s
    # for 18,000 candidates); the page's ids first, then its rows.
    # PostgreSQL plans the verified-purchase test for every review the filter
    # matches, not the page's: for thousands it hashes every order line not
    # cancelled once (the queue's first page took 164 ms at 100,000
    # customers, 7.7 ms for the same rows by their ids), so it too reads the
    # page's ids first.
    if offset <= 0 and not is_postgres() and not (is_mysql() and flt is not None and flt.text.strip()):
        return _review_rows(q)
    ids = [i for (i,) in q.select(Review.id).tuples()]
    return _review_rows(Review.select().where(Review.id.in_(ids)).order_by(*order)) if ids else []


def get_review(review_id: int) -> ReviewRow:
    rid = as_id(review_id, "review_id", "A review's id")
    rows = _review_rows(Review.select().where(Review.id == rid)) if possible_id(rid) else []
    if not rows:
        raise NotFoundError(f"No review with id {review_id}")
    return rows[0]


def count_reviews(flt: ReviewFilter | None = None) -> int:
    return _review_query(flt).count()


def review_position(flt: ReviewFilter | None, review_id: int) -> int | None:
    """Where review ``review_id`` is in the queue of ``flt`` (oldest first,
    as :func:`review_page` orders it): how many matching reviews come before
    it, or None if it does not match (or does not exist).  Counted, never read."""
    review_id = as_id(review_id, "review_id", "A review's id")
    if not possible_id(review_id):
        return None
    found = (_review_query(flt).select(Review.created_at).where(Review.id == review_id).tuples().first())
    if found is None:
        return None
    (created_at,) = found
    before = (Review.created_at < created_at) | ((Review.created_at == created_at) & (Review.id < review_id))
    return _review_query(flt).where(before).count()


def review_status_counts(flt: ReviewFilter | None = None) -> dict[str, int]:
    """How many reviews match the filter in each status (ignoring its own status)."""
    base = dataclasses.replace(flt, status=None) if flt else None
    q = _review_query(base).select(Review.status, pw.fn.COUNT(Review.id)).group_by(Review.status)
    counts = {s: 0 for s in REVIEW_STATUSES}
    counts.update({status: n for status, n in q.tuples()})
    return counts


def rating_distribution(flt: ReviewFilter | None = None) -> dict[int, int]:
    q = _review_query(flt).select(Review.rating, pw.fn.COUNT(Review.id)).group_by(Review.rating)
    dist = {stars: 0 for stars in range(1, 6)}
    dist.update({int(stars): n for stars, n in q.tuples()})
    return dist


def review_history(review_id: int) -> list[ReviewEvent]:
    review_id = as_id(review_id, "review_id", "A review's id")
    return list(ReviewEvent.select().where(ReviewEvent.review == review_id)
                .order_by(ReviewEvent.at, ReviewEvent.id))


def new_batch() -> str:
    """A name for one operation's history events (:attr:`ReviewEvent.batch`)."""
    return uuid.uuid4().hex


def check_reason(reason: Any, status: str) -> str | None:
    reason = typed_text(reason, "reason").strip() or None
    if reason is not None:
        if status != "rejected":
            raise ValidationError({"reason": "Only a rejection takes a reason"})
        if len(reason) > 500:
            raise ValidationError({"reason": "The reason must be at most 500 characters"})
        if has_control_chars(reason):
            raise ValidationError({"reason": "The reason cannot contain control characters"})
    return reason


def status_changes(status: str, reason: str | None, who: str, now: dt.datetime) -> dict[str, Any]:
    """What a review's row becomes with ``status``: back to pending forgets
    who moderated it; only a rejection keeps a reason."""
    pending = status == "pending"
    return {"status": status, "moderated_at": None if pending else now, "moderated_by": None if pending else who,
            "reject_reason": reason if status == "rejected" else None}


@requires("reviews")
@retried
def moderate_reviews(sel: Selection, status: str, *, reason: str | None = None,
                     actor: str | None = None) -> int:
    """Approve, reject (with an optional reason), mark as spam or put back
    to pending every review in ``sel`` whose status differs; set-based and
    all-or-nothing.  Returns how many reviews changed.  The audit entry
    names the operation's history events (``batch``): the last one can be
    undone (``undo_last_moderation``)."""
    if not isinstance(sel, Selection):
        raise ValidationError({"reviews": "The reviews must be a selection"})
    if not isinstance(status, str) or status not in REVIEW_STATUSES:
        raise ValidationError({"status": f"Status must be one of {', '.join(REVIEW_STATUSES)}"})
    reason = check_reason(reason, status)
    who, now, batch = resolve_actor(actor), utcnow(), new_batch()
    bulk(not is_small(sel))
    with db.atomic():
        expr = sel.expression(Review)
        changing = Review.status != status
        where = changing if expr is None else (expr & changing)
        changed = change_status(where, status_changes(status, reason, who, now), (status, reason, now, who, batch))
        audit("review.moderate", "review", None, after={"status": status, "reason": reason, "changed": changed,
                                                         "selection": sel.describe(), "batch": batch}, actor=actor)
    return changed


EVENT_FIELDS = [ReviewEvent.review, ReviewEvent.status, ReviewEvent.reason, ReviewEvent.at, ReviewEvent.actor,
                ReviewEvent.batch, ReviewEvent.prev_status, ReviewEvent.prev_reason, ReviewEvent.prev_at,
                ReviewEvent.prev_by]
PREVIOUS = [Review.status, Review.reject_reason, Review.moderated_at, Review.moderated_by]


def change_status(where: pw.Expression, changes: dict[str, Any], event: tuple[Any, ...]) -> int:
    """Update the reviews matching ``where`` (which includes "the status
    differs") with ``changes``, and add one history event (``event``:
    status, reason, at, actor, batch; with what the review had before) for
    each review that actually changed — never one for a review another
    moderator changed first.  Returns how many changed.  On the servers the
    rows are first locked and their ids kept (SELECT … FOR UPDATE waits for
    another moderator's change and reads the latest status), so the history
    and the update work on the same rows; on SQLite the write transaction
    holds the database, so the history and the update see the same rows."""
    values = [pw.Value(v) for v in event]
    if is_postgres() or is_mysql():
        with materialized(Review.select(Review.id).where(where).order_by(Review.id).for_update()) as ids:
            ReviewEvent.insert_from(Review.select(Review.id, *values, *PREVIOUS).join(
                ids, on=(ids.id == Review.id)), EVENT_FIELDS).as_rowcount().execute()
            return update_joined(changes, ids)
    # The history first: once updated, the rows no longer differ.
    ReviewEvent.insert_from(Review.select(Review.id, *values, *PREVIOUS).where(where),
                            EVENT_FIELDS).as_rowcount().execute()
    return Review.update(**changes).where(where).execute()


def update_joined(changes: dict[str, Any], ids: pw.Table) -> int:
    """Update the reviews whose ids are in the temporary table ``ids``
    (on a server; :func:`materialized`) with ``changes``."""
    if is_mysql():
        # Joined, not "id IN (subquery)", which MySQL runs once per review.
        sql, params = Review.update(**changes).sql()
        table = f"`{Review._meta.table_name}`"
        prefix = f"UPDATE {table} SET "
        assert sql.startswith(prefix), sql
        sql = f"UPDATE {table} JOIN {ids.__name__} AS t ON t.id = {table}.`id` SET " + sql[len(prefix):]
        return db.execute_sql(sql, params).rowcount
    return Review.update(**changes).where(Review.id.in_(ids.select(ids.id))).execute()
