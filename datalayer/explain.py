"""Explain: for one customer (or a visitor) and one product, what they see and pay, and why."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from .customers import customer_groups
from .errors import NotFoundError, ValidationError
from .lookup import as_id, get_customer, get_group, guest_group, possible_id
from .parsing import money
from .tables import (
    Category,
    CategoryAccess,
    CategoryDiscount,
    CustomerGroup,
    Product,
    TaxClass,
)


@dataclasses.dataclass
class Explanation:
    """Why a customer (or a visitor) sees what they see, at the price they see."""

    customer: str
    groups: list[str]
    category: str
    visible: bool
    visibility_reason: str
    product: str | None = None
    base_price: Decimal | None = None
    price: Decimal | None = None
    discount_percent: Decimal = Decimal(0)
    discount_group: str | None = None
    discount_reason: str = ""
    tax_class: str | None = None
    tax_reason: str = ""
    free_shipping: bool = False
    free_shipping_group: str | None = None


def explain(customer_id: int | None, *, product_id: int | None = None,
            category_id: int | None = None) -> Explanation:
    """Whether a customer (``None``: a visitor who is not logged in) can see a
    product or category, the price they would pay, and which group and rule
    decided it.  The rules are documented above and in the README."""
    product = None
    if product_id is not None:
        product_id = as_id(product_id, "product", "A product's id")
        product = Product.get_or_none(Product.id == product_id) if possible_id(product_id) else None
        if product is None:
            raise NotFoundError(f"No product with id {product_id}")
        category_id = product.category_id
    if category_id is None:
        raise ValidationError({"product": "Choose a product or a category"})
    category_id = as_id(category_id, "category", "A category's id")
    category = Category.get_or_none(Category.id == category_id) if possible_id(category_id) else None
    if category is None:
        raise NotFoundError(f"No category with id {category_id}")
    if customer_id is None:
        who, tax_exempt = "a visitor who is not logged in", False
        groups = [guest_group()]
        default_id = groups[0].id
    else:
        c = get_customer(customer_id)
        who, tax_exempt, default_id = f"{c.full_name} <{c.email}>", c.tax_exempt, c.default_group_id
        groups = customer_groups(c.id)
        if not groups:  # cannot happen while the default group is a membership
            groups = [get_group(default_id)]
    # Deterministic order: the default group first, then by id.
    groups.sort(key=lambda g: (g.id != default_id, g.id))
    names = [f"{g.name} (hidden)" if g.hidden else g.name for g in groups]
    out = Explanation(customer=who, groups=names, category=category.name, visible=True, visibility_reason="")
    if not category.restricted:
        out.visibility_reason = f"{category.name} is open to everyone"
    else:
        allowed = {row for (row,) in CategoryAccess.select(CategoryAccess.group)
                   .where(CategoryAccess.category == category.id).tuples()}
        granting = [g for g in groups if g.id in allowed]
        out.visible = bool(granting)
        out.visibility_reason = (f"{category.name} is restricted; {granting[0].name} may see it" if granting else
                                 f"{category.name} is restricted and none of {', '.join(g.name for g in groups)} "
                                 "is allowed to see it")
    cat_discounts = {g: Decimal(d) for g, d in CategoryDiscount.select(
        CategoryDiscount.group, CategoryDiscount.discount_percent).where(
        (CategoryDiscount.category == category.id) & CategoryDiscount.group.in_([g.id for g in groups])).tuples()}
    best: tuple[Decimal, CustomerGroup, str] | None = None
    for g in groups:
        if g.id in cat_discounts:
            d, why = cat_discounts[g.id], f"{g.name}'s discount for {category.name} (replaces its group discount)"
        else:
            d, why = Decimal(g.discount_percent), f"{g.name}'s group discount"
        if best is None or d > best[0]:
            best = (d, g, why)
    assert best is not None
    if best[0] > 0:
        out.discount_percent, out.discount_group, out.discount_reason = best[0], best[1].name, best[2]
        if len(groups) > 1:
            out.discount_reason += " — the best among the customer's groups"
    else:
        out.discount_reason = "None of the customer's groups gives a discount here"
    default = next(g for g in groups if g.id == default_id)
    if tax_exempt:
        out.tax_class, out.tax_reason = None, "The customer is tax exempt"
    else:
        tax = TaxClass.get_or_none(TaxClass.id == default.tax_class_id) if default.tax_class_id else None
        out.tax_class = tax.name if tax else None
        out.tax_reason = (f"From the default group, {default.name}" if tax else
                          f"The default group, {default.name}, has no tax class")
    shipping = next((g for g in groups if g.free_shipping), None)
    out.free_shipping, out.free_shipping_group = shipping is not None, shipping.name if shipping else None
    if product is not None:
        out.product = product.name
        out.base_price = money(product.price)
        out.price = (out.base_price * (100 - out.discount_percent) / 100).quantize(Decimal("0.01"))
    return out


def customer_facing_groups(customer_id: int) -> list[str]:
    """The names of a customer's groups that the customer may be shown:
    hidden groups never appear here."""
    return [g.name for g in customer_groups(customer_id) if not g.hidden]
