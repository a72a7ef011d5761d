"""Orders (enough for history, total spent and order count) and reward points."""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
from decimal import Decimal
from typing import Any, Sequence

import peewee as pw

from .admins import requires
from .audit import audit, resolve_actor
from .connection import db, is_sqlite
from .errors import ValidationError
from .lookup import get_customer, possible_id
from .parsing import DATE_MAX, DATE_MIN, has_control_chars, money, parse_whole, typed_text
from .tables import Customer, Order, OrderLine, Product, RewardPointEntry, utcnow
from .transactions import retried


@requires("customers")
@retried
def place_order(customer_id: int, lines: Sequence[tuple[int, int]], *, placed_at: dt.datetime | None = None,
                actor: str | None = None) -> Order:
    """Record an order of ``(product_id, quantity)`` lines at today's prices."""
    if isinstance(lines, (str, bytes, dict)) or not hasattr(lines, "__iter__"):
        raise ValidationError({"lines": "An order's lines must be a list of (product id, quantity)"})
    lines = list(lines)
    if not lines:
        raise ValidationError({"lines": "An order needs at least one line"})
    for line in lines:
        if not (isinstance(line, (tuple, list)) and len(line) == 2
                and all(isinstance(v, int) and not isinstance(v, bool) for v in line)):
            raise ValidationError({"lines": "An order's lines must be a list of (product id, quantity)"})
        if not 1 <= line[1] <= 100_000:
            raise ValidationError({"lines": "Quantities must be from 1 to 100,000"})
        if not possible_id(line[0]):
            raise ValidationError({"lines": f"No product with id {line[0]}"})
    if placed_at is not None and not (isinstance(placed_at, dt.datetime) and DATE_MIN <= placed_at.date() <= DATE_MAX):
        raise ValidationError({"placed_at": f"An order's time must be between {DATE_MIN} and {DATE_MAX}"})
    with db.atomic():
        c = get_customer(customer_id)
        prices = dict(Product.select(Product.id, Product.price)
                      .where(Product.id.in_([p for p, _ in lines])).tuples())
        errors = {}
        for pid, qty in lines:
            if pid not in prices:
                errors["lines"] = f"No product with id {pid}"
            elif qty < 1:
                errors["lines"] = "Quantities must be at least 1"
        if errors:
            raise ValidationError(errors)
        total = sum((Decimal(prices[p]) * q for p, q in lines), Decimal(0))
        number = f"BR{secrets.token_hex(5).upper()}"
        o = Order.create(customer=c.id, number=number, placed_at=placed_at or utcnow(), total=total)
        OrderLine.insert_many([(o.id, p, q, prices[p]) for p, q in lines],
                              fields=[OrderLine.order, OrderLine.product, OrderLine.quantity,
                                      OrderLine.unit_price]).execute()
        Customer.update(total_spent=Customer.total_spent + total, order_count=Customer.order_count + 1,
                        ).where(Customer.id == c.id).execute()
        audit("order.create", "order", o.id, after={"customer_id": c.id, "total": total}, actor=actor)
    return o


@dataclasses.dataclass
class OrderRow:
    id: int
    number: str
    placed_at: dt.datetime
    status: str
    total: Decimal
    items: int
    currency: str = ""
    """the ISO code it was paid in ("" when the source did not say)"""
    shipping: Decimal = Decimal(0)


def customer_orders(customer_id: int, *, offset: int = 0, limit: int = 50) -> list[OrderRow]:
    """A customer's orders, newest first, with how many items each held, the
    currency they were paid in and their shipping."""
    items = (OrderLine.select(pw.fn.COALESCE(pw.fn.SUM(OrderLine.quantity), 0))
             .where(OrderLine.order == Order.id))
    q = (Order.select(Order.id, Order.number, Order.placed_at, Order.status, Order.total, items.alias("items"),
                      Order.currency, Order.shipping)
         .where(Order.customer == customer_id)
         .order_by(Order.placed_at.desc(), Order.id.desc()).offset(offset).limit(limit))
    return [OrderRow(id=r[0], number=r[1], placed_at=r[2], status=r[3], total=money(r[4]), items=int(r[5] or 0),
                     currency=r[6] or "", shipping=money(r[7]))
            for r in q.tuples()]


def reward_balance(customer_id: int) -> int:
    return int(RewardPointEntry.select(pw.fn.COALESCE(pw.fn.SUM(RewardPointEntry.delta), 0))
               .where(RewardPointEntry.customer == customer_id).scalar() or 0)


def reward_ledger(customer_id: int, *, offset: int = 0, limit: int = 50) -> list[RewardPointEntry]:
    return list(RewardPointEntry.select().where(RewardPointEntry.customer == customer_id)
                .order_by(RewardPointEntry.created_at.desc(), RewardPointEntry.id.desc())
                .offset(offset).limit(limit))


POINTS_MAX = 1_000_000
"""The largest adjustment of a customer's reward points, either way."""


@requires("customers")
@retried
def adjust_reward_points(customer_id: int, delta: Any, reason: str, *,
                         actor: str | None = None) -> RewardPointEntry:
    """An admin's adjustment to the points ledger; the reason is required and
    the balance can never go below zero."""
    errors: dict[str, str] = {}
    points = 0
    try:
        points = parse_whole(delta, "delta", label="Points", minimum=-POINTS_MAX, maximum=POINTS_MAX)
    except ValidationError as exc:
        errors.update(exc.errors)
    else:
        if points == 0:
            errors["delta"] = "An adjustment cannot be zero"
    try:
        reason = typed_text(reason, "reason").strip()
    except ValidationError as exc:
        errors.update(exc.errors)
        reason = "-"
    if "reason" in errors:
        pass
    elif not reason:
        errors["reason"] = "A reason is required"
    elif len(reason) > 255:
        errors["reason"] = "The reason must be at most 255 characters"
    elif has_control_chars(reason):
        errors["reason"] = "The reason cannot contain control characters"
    if errors:
        raise ValidationError(errors)
    with db.atomic():
        c = get_customer(customer_id)
        if not is_sqlite():  # SQLite's IMMEDIATE transaction already serialises writers
            list(Customer.select(Customer.id).where(Customer.id == c.id).for_update())
        balance = reward_balance(c.id)
        if balance + points < 0:
            raise ValidationError({"delta": f"The balance is {balance:,} points: it cannot go below zero"})
        entry = RewardPointEntry.create(customer=c.id, delta=points, reason=reason,
                                        created_by=resolve_actor(actor))
        audit("customer.reward_points", "customer", c.id, before={"balance": balance},
              after={"balance": balance + points, "delta": points, "reason": reason}, actor=actor)
    return entry
