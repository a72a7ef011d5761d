"""What a group may see and what it pays: restricted categories and per-category discounts."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any, Iterable

from .admins import requires
from .audit import audit
from .connection import db
from .errors import NotFoundError, ValidationError
from .lookup import _check_unlocked, as_id, get_group, possible_id
from .parsing import quoted, typed_decimal
from .tables import Category, CategoryAccess, CategoryDiscount, Product
from .transactions import retried


def _clean_percent(raw: Any, field: str) -> Decimal:
    """A percentage from 0 to 100 with at most two decimals, typed with the
    digits 0-9 ("12.5") or given as a number."""
    value = typed_decimal(raw, thousands=False)  # "12,5" is no percentage to guess at
    if value is None:
        what = quoted(raw) if isinstance(raw, str) else "a " + type(raw).__name__
        raise ValidationError({field: f"Discount must be a number from 0 to 100, not {what}"})
    if not 0 <= value <= 100:
        raise ValidationError({field: "Discount must be from 0 to 100 percent"})
    if value != value.quantize(Decimal("0.01")):
        raise ValidationError({field: "Discount can have at most two decimal places"})
    return value


def categories() -> list[Category]:
    return list(Category.select().order_by(Category.name))


def group_category_access(group_id: int) -> set[int]:
    return {c for (c,) in CategoryAccess.select(CategoryAccess.category)
            .where(CategoryAccess.group == group_id).tuples()}


@requires("groups")
@retried
def set_category_access(group_id: int, category_ids: Iterable[int], *, actor: str | None = None) -> set[int]:
    """Which restricted categories the group's members may see (its Access
    ticks).  Guest's ticks are what visitors who are not logged in may see,
    so they may be set although Guest itself is locked."""
    if isinstance(category_ids, (str, bytes, dict)) or not hasattr(category_ids, "__iter__"):
        raise ValidationError({"categories": "The Access ticks must be a list of category ids"})
    wanted = {as_id(c, "categories", "A category's id") for c in category_ids}
    if any(not possible_id(c) for c in wanted):
        raise ValidationError({"categories": f"No category with id {min(c for c in wanted if not possible_id(c))}"})
    with db.atomic():
        g = get_group(group_id)
        known = {c for (c,) in Category.select(Category.id).where(Category.id.in_(list(wanted))).tuples()} if wanted else set()
        if wanted - known:
            raise ValidationError({"categories": f"No category with id {min(wanted - known)}"})
        before = group_category_access(g.id)
        if before != wanted:
            if before - wanted:
                CategoryAccess.delete().where((CategoryAccess.group == g.id)
                                              & CategoryAccess.category.in_(list(before - wanted))).execute()
            if wanted - before:
                CategoryAccess.insert_many([(c, g.id) for c in sorted(wanted - before)],
                                           fields=[CategoryAccess.category, CategoryAccess.group]).execute()
            audit("group.access", "group", g.id, before=sorted(before), after=sorted(wanted), actor=actor)
    return wanted


@requires("groups")
@retried
def set_category_restricted(category_id: int, restricted: bool, *, actor: str | None = None) -> Category:
    cid = as_id(category_id, "category_id", "A category's id")
    if not isinstance(restricted, bool):
        raise ValidationError({"restricted": "Restricted must be true or false"})
    with db.atomic():
        cat = Category.get_or_none(Category.id == cid) if possible_id(cid) else None
        if cat is None:
            raise NotFoundError(f"No category with id {cid}")
        if cat.restricted != bool(restricted):
            Category.update(restricted=bool(restricted)).where(Category.id == cat.id).execute()
            audit("category.restricted", "category", cat.id, before={"restricted": cat.restricted},
                  after={"restricted": bool(restricted)}, actor=actor)
        return Category.get_by_id(cat.id)


def category_discounts(group_id: int) -> dict[int, Decimal]:
    return {c: Decimal(d) for c, d in CategoryDiscount.select(CategoryDiscount.category, CategoryDiscount.discount_percent)
            .where(CategoryDiscount.group == group_id).tuples()}


@requires("groups")
@retried
def set_category_discount(group_id: int, category_id: int, percent: Any, *, actor: str | None = None) -> None:
    """Set (or, with ``None`` or "", remove) a group's discount for one
    category.  In that category it replaces the group's general discount."""
    blank = percent is None or (isinstance(percent, str) and not percent.strip())
    value = None if blank else _clean_percent(percent, "discount_percent")
    category_id = as_id(category_id, "category_id", "A category's id")
    with db.atomic():
        g = get_group(group_id)
        _check_unlocked(g)
        if not possible_id(category_id) or not Category.select().where(Category.id == category_id).exists():
            raise NotFoundError(f"No category with id {category_id}")
        before = category_discounts(g.id).get(category_id)
        CategoryDiscount.delete().where((CategoryDiscount.group == g.id)
                                        & (CategoryDiscount.category == category_id)).execute()
        if value is not None:
            CategoryDiscount.create(group=g.id, category=category_id, discount_percent=value)
        audit("group.category_discount", "group", g.id, before={"category_id": category_id, "discount": before},
              after={"category_id": category_id, "discount": value}, actor=actor)


@dataclasses.dataclass(frozen=True)
class ProductChoice:
    """A product as a picker lists it."""

    id: int
    name: str
    category: str


def product_choices() -> list[ProductChoice]:
    """Every product with its category's name, by product name."""
    q = (Product.select(Product.id, Product.name, Category.name).join(Category)
         .order_by(Product.name, Product.id))
    return [ProductChoice(pid, name, category) for pid, name, category in q.tuples()]
