"""The catalogue's operations: creating a category and a product, checked and audited."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from .admins import requires
from .audit import audit
from .connection import db
from .errors import ValidationError
from .parsing import clean_line, has_control_chars, parse_money, typed_text
from .tables import Category, Product
from .transactions import retried

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def _text(data: dict[str, Any], name: str, limit: int, errors: dict[str, str]) -> str:
    try:
        value = typed_text(data.get(name), name).strip()
    except ValidationError as exc:
        errors.update(exc.errors)
        return ""
    if not value:
        errors[name] = f"{name.capitalize()} is required"
    elif len(value) > limit:
        errors[name] = f"{name.capitalize()} must be at most {limit} characters"
    elif has_control_chars(value):
        errors[name] = f"{name.capitalize()} cannot contain control characters"
    return value


@requires("import")
@retried
def create_category(name: str, slug: str, *, restricted: bool = False, actor: str | None = None) -> Category:
    """A category; its slug (``a-z``, ``0-9``, ``-``, ``_``, up to 64) is unique."""
    errors: dict[str, str] = {}
    name = _text({"name": name}, "name", 100, errors)
    slug = _text({"slug": slug}, "slug", 64, errors)
    if "slug" not in errors and not SLUG_RE.fullmatch(slug):
        errors["slug"] = "A slug is lower-case letters, digits, - and _"
    if errors:
        raise ValidationError(errors)
    with db.atomic():
        if Category.select().where(Category.slug == slug).exists():
            raise ValidationError({"slug": f"The slug {clean_line(slug)!r} is already used"})
        c = Category.create(name=name, slug=slug, restricted=bool(restricted))
        audit("category.create", "category", c.id, after={"name": name, "slug": slug, "restricted": bool(restricted)},
              actor=actor)
    return c


@requires("import")
@retried
def create_product(sku: str, name: str, category_id: int, price: Any, *, actor: str | None = None) -> Product:
    """A product in a category; its SKU (up to 64 characters) is unique."""
    errors: dict[str, str] = {}
    sku = _text({"sku": sku}, "sku", 64, errors)
    name = _text({"name": name}, "name", 200, errors)
    amount = Decimal(0)
    try:
        amount = parse_money(price, "price") or Decimal(0)
    except ValidationError as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationError(errors)
    with db.atomic():
        if Category.get_or_none(Category.id == category_id) is None:
            raise ValidationError({"category": "No such category"})
        if Product.select().where(Product.sku == sku).exists():
            raise ValidationError({"sku": f"The SKU {clean_line(sku)!r} is already used"})
        p = Product.create(sku=sku, name=name, category=category_id, price=amount)
        audit("product.create", "product", p.id, after={"sku": sku, "name": name, "category_id": category_id,
                                                         "price": amount}, actor=actor)
    return p
