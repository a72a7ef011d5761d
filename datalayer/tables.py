"""The tables: Peewee models of the current schema and the constants their fields take."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import peewee as pw

from .connection import db


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


class BaseModel(pw.Model):
    class Meta:
        database = db
        legacy_table_names = False


class SchemaMeta(BaseModel):
    key = pw.CharField(max_length=64, primary_key=True)
    value = pw.CharField(max_length=255)


class TaxClass(BaseModel):
    name = pw.CharField(max_length=64, unique=True)
    rate_percent = pw.DecimalField(max_digits=5, decimal_places=2, default=0)


class CustomerGroup(BaseModel):
    code = pw.CharField(max_length=32, unique=True)
    name = pw.CharField(max_length=100)
    description = pw.TextField(default="")
    tax_class = pw.ForeignKeyField(TaxClass, null=True, on_delete="SET NULL")
    discount_percent = pw.DecimalField(max_digits=5, decimal_places=2, default=0)
    free_shipping = pw.BooleanField(default=False)
    hidden = pw.BooleanField(default=False)
    is_system = pw.BooleanField(default=False)
    version = pw.IntegerField(default=1)
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)


CUSTOMER_STATUSES = ("active", "disabled")


ACCOUNT_TYPES = ("personal", "business")


LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pl", "pt", "sv")


class Customer(BaseModel):
    first_name = pw.CharField(max_length=100)
    last_name = pw.CharField(max_length=100)
    # A customer has an email or a phone (or both): one without an email
    # keeps "" here and NULL in email_key (a unique index takes many NULLs).
    email = pw.CharField(max_length=254)
    # Lower-cased email: the unique key, and what searches run on.
    email_key = pw.CharField(max_length=254, unique=True, null=True)
    # The email folded (text.fold: case and accents dropped) when that differs
    # from email_key, else NULL: what an accent-blind search finds it by.
    email_fold = pw.CharField(max_length=254, null=True, index=True)
    # Folded "first last" and "last", for prefix search through indexes.
    name_key = pw.CharField(max_length=201, index=True)
    last_key = pw.CharField(max_length=100)
    phone = pw.CharField(max_length=32, default="")
    status = pw.CharField(max_length=16, default="active", index=True)
    account_type = pw.CharField(max_length=16, default="personal")
    tax_exempt = pw.BooleanField(default=False)
    language = pw.CharField(max_length=8, default="en")
    password_hash = pw.CharField(max_length=255, null=True)
    registered_at = pw.DateTimeField(default=utcnow)
    default_group = pw.ForeignKeyField(CustomerGroup, on_delete="RESTRICT", index=True)
    # Kept up to date by the order operations, so lists filter and sort
    # on them through indexes instead of summing orders for a million rows.
    total_spent = pw.DecimalField(max_digits=12, decimal_places=2, default=0)
    order_count = pw.IntegerField(default=0)
    version = pw.IntegerField(default=1)
    updated_at = pw.DateTimeField(default=utcnow)
    # The customer's id in the system they were imported from (a Shopify
    # "Customer ID", a Magento entity id…): re-imports match on it.
    external_id = pw.CharField(max_length=64, null=True, unique=True)

    class Meta:
        indexes = (
            (("last_key", "name_key", "id"), False),
            (("registered_at", "id"), False),
            (("total_spent", "id"), False),
            (("order_count", "id"), False),
        )

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


ADDRESS_KINDS = ("billing", "shipping")


class Address(BaseModel):
    customer = pw.ForeignKeyField(Customer, backref="addresses", on_delete="CASCADE", index=False)
    kind = pw.CharField(max_length=16)
    name = pw.CharField(max_length=200, default="")
    line1 = pw.CharField(max_length=200, default="")
    line2 = pw.CharField(max_length=200, default="")
    city = pw.CharField(max_length=100, default="")
    region = pw.CharField(max_length=100, default="")
    postcode = pw.CharField(max_length=20, default="")
    country = pw.CharField(max_length=2, default="")

    class Meta:
        indexes = ((("customer", "kind"), True),)


MEMBERSHIP_SOURCES = ("manual", "rule")


class Membership(BaseModel):
    # Both directions are covered by the primary key and the (group,
    # customer) index, so the foreign keys need no index of their own.
    customer = pw.ForeignKeyField(Customer, on_delete="CASCADE", index=False)
    group = pw.ForeignKeyField(CustomerGroup, on_delete="CASCADE", index=False)
    source = pw.CharField(max_length=8, default="manual")
    added_by = pw.CharField(max_length=64, default="")
    added_at = pw.DateTimeField(default=utcnow)
    # The MembershipChange that added it (NULL: added before v10, or alone by
    # an import or a new customer): a bulk change's "joined" outbox rows and
    # its undo read its members through the (change, customer) index.
    change = pw.IntegerField(null=True)

    class Meta:
        primary_key = pw.CompositeKey("customer", "group")
        indexes = ((("group", "customer"), True),
                   (("change", "customer"), False))


MEMBERSHIP_CHANGE_KINDS = ("joined", "left")


class MembershipChange(BaseModel):
    """One statement's worth of customers joining (or leaving) one group:
    one row however many customers (``count``).  Who joined are the
    memberships whose ``change`` is this one (or, since ended, the
    :class:`MembershipEnd` rows whose ``joined_change`` is); who left, its
    MembershipEnd rows.  ``op`` groups the changes of one operation an admin
    can undo (NULL: not undoable, e.g. a rule's or a fall-back to General);
    ``undoes``/``undone_by`` link an undo and the operation it undid."""

    group = pw.ForeignKeyField(CustomerGroup, null=True, on_delete="SET NULL", index=False)
    group_name = pw.CharField(max_length=100)
    kind = pw.CharField(max_length=8)  # joined | left
    source = pw.CharField(max_length=8, default="manual")
    actor = pw.CharField(max_length=64, default="")
    at = pw.DateTimeField(default=utcnow)
    count = pw.IntegerField(default=0)
    op = pw.IntegerField(null=True)
    undoes = pw.IntegerField(null=True)
    undone_by = pw.IntegerField(null=True)

    class Meta:
        indexes = ((("op",), False), (("actor", "id"), False), (("group", "id"), False))


class MembershipEnd(BaseModel):
    """A membership that a :class:`MembershipChange` of kind "left" ended:
    who left, and the change that had added them (``joined_change``), whose
    "joined" outbox rows still name them."""

    change = pw.IntegerField()
    customer = pw.ForeignKeyField(Customer, on_delete="CASCADE", index=False)
    joined_change = pw.IntegerField(null=True)

    class Meta:
        primary_key = pw.CompositeKey("change", "customer")
        indexes = ((("joined_change", "customer"), False),)


class Category(BaseModel):
    name = pw.CharField(max_length=100)
    slug = pw.CharField(max_length=64, unique=True)
    parent = pw.ForeignKeyField("self", null=True, backref="children", on_delete="SET NULL")
    restricted = pw.BooleanField(default=False)


class CategoryAccess(BaseModel):
    category = pw.ForeignKeyField(Category, on_delete="CASCADE", index=False)
    group = pw.ForeignKeyField(CustomerGroup, on_delete="CASCADE")

    class Meta:
        primary_key = pw.CompositeKey("category", "group")


class CategoryDiscount(BaseModel):
    """A group's discount for one category: in that category it replaces
    the group's general discount (see :func:`price_for`)."""

    group = pw.ForeignKeyField(CustomerGroup, on_delete="CASCADE", index=False)
    category = pw.ForeignKeyField(Category, on_delete="CASCADE")
    discount_percent = pw.DecimalField(max_digits=5, decimal_places=2)

    class Meta:
        primary_key = pw.CompositeKey("group", "category")


class GroupRuleSet(BaseModel):
    """The rules that keep a group's membership up to date (JSON list of
    ``{"field", "op", "value"}``), combined with ``match`` all/any."""

    group = pw.ForeignKeyField(CustomerGroup, primary_key=True, on_delete="CASCADE")
    match = pw.CharField(max_length=3, default="all")
    rules = pw.TextField(default="[]")
    updated_at = pw.DateTimeField(default=utcnow)


class Product(BaseModel):
    sku = pw.CharField(max_length=64, unique=True)
    name = pw.CharField(max_length=200)
    category = pw.ForeignKeyField(Category, backref="products", on_delete="RESTRICT")
    price = pw.DecimalField(max_digits=12, decimal_places=2)


class Order(BaseModel):
    customer = pw.ForeignKeyField(Customer, backref="orders", on_delete="RESTRICT", index=False)
    number = pw.CharField(max_length=32, unique=True)
    placed_at = pw.DateTimeField(default=utcnow)
    status = pw.CharField(max_length=16, default="complete")
    total = pw.DecimalField(max_digits=12, decimal_places=2, default=0)
    # The currency the order was paid in (an ISO 4217 code, "" when the
    # source did not say) and what of its total was shipping.
    currency = pw.CharField(max_length=3, default="", constraints=[pw.SQL("DEFAULT ''")])
    shipping = pw.DecimalField(max_digits=12, decimal_places=2, default=0, constraints=[pw.SQL("DEFAULT 0")])

    class Meta:
        table_name = "orders"
        indexes = ((("customer", "placed_at"), False),)


class OrderLine(BaseModel):
    order = pw.ForeignKeyField(Order, backref="lines", on_delete="CASCADE")
    product = pw.ForeignKeyField(Product, on_delete="RESTRICT", index=False)
    quantity = pw.IntegerField()
    unit_price = pw.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        indexes = ((("product", "order"), False),)


class RewardPointEntry(BaseModel):
    customer = pw.ForeignKeyField(Customer, backref="reward_points", on_delete="CASCADE", index=False)
    delta = pw.IntegerField()
    reason = pw.CharField(max_length=255)
    created_at = pw.DateTimeField(default=utcnow)
    created_by = pw.CharField(max_length=64, default="")

    class Meta:
        indexes = ((("customer", "created_at"), False),)


REVIEW_STATUSES = ("pending", "approved", "rejected", "spam")


class Review(BaseModel):
    product = pw.ForeignKeyField(Product, backref="reviews", on_delete="CASCADE", index=False)
    # NULL for a review by someone who is not a customer (a guest, an
    # imported review): author_name names them instead.
    customer = pw.ForeignKeyField(Customer, backref="reviews", on_delete="CASCADE", index=False, null=True)
    author_name = pw.CharField(max_length=100, null=True)
    rating = pw.SmallIntegerField()
    title = pw.CharField(max_length=200, default="")
    body = pw.TextField(default="")
    status = pw.CharField(max_length=16, default="pending")
    created_at = pw.DateTimeField(default=utcnow)
    moderated_at = pw.DateTimeField(null=True)
    moderated_by = pw.CharField(max_length=64, null=True)
    reject_reason = pw.CharField(max_length=500, null=True)
    # Title and body folded (text.fold), what text search looks in; NULL for
    # a review another program wrote since: its own words are searched.
    search_text = pw.TextField(null=True)
    # MariaDB: search_text's distinct trigrams as words, under a FULLTEXT
    # index (v11, textsearch); NULL elsewhere, and for a row not tokenised.
    search_tokens = pw.TextField(null=True)
    # The shop's public reply (v8).
    reply = pw.TextField(null=True)
    reply_at = pw.DateTimeField(null=True)
    reply_by = pw.CharField(max_length=64, null=True)

    class Meta:
        indexes = (
            (("status", "created_at", "id"), False),
            (("product", "status"), False),
            (("customer", "created_at"), False),
        )


class ReviewEvent(BaseModel):
    """A review's moderation history: each change of status, by whom and why."""

    review = pw.ForeignKeyField(Review, backref="events", on_delete="CASCADE", index=False)
    status = pw.CharField(max_length=16)
    reason = pw.CharField(max_length=500, null=True)
    at = pw.DateTimeField(default=utcnow)
    actor = pw.CharField(max_length=64)
    # What the change replaced, and the operation it was part of (v8): the
    # last operation is undone from these, exactly.
    prev_status = pw.CharField(max_length=16, null=True)
    prev_reason = pw.CharField(max_length=500, null=True)
    prev_at = pw.DateTimeField(null=True)
    prev_by = pw.CharField(max_length=64, null=True)
    batch = pw.CharField(max_length=32, null=True, index=True)

    class Meta:
        indexes = ((("review", "at"), False),)


class ReviewReason(BaseModel):
    """A canned rejection reason the shop keeps (v8); a rejection copies its name."""

    name = pw.CharField(max_length=100, unique=True)


class Notification(BaseModel):
    """The outbox: a customer joined or left a group.  Nothing is sent;
    an admin reviews and exports them.  A row is one customer's (``customer``),
    or since v10 a whole :class:`MembershipChange`'s (``change``; ``size``
    customers, read from its memberships when listed or exported)."""

    customer = pw.ForeignKeyField(Customer, null=True, on_delete="CASCADE", index=False)
    group = pw.ForeignKeyField(CustomerGroup, null=True, on_delete="SET NULL", index=False)
    group_name = pw.CharField(max_length=100)
    event = pw.CharField(max_length=8)  # joined | left
    source = pw.CharField(max_length=8)  # manual | rule
    created_at = pw.DateTimeField(default=utcnow)
    exported_at = pw.DateTimeField(null=True)
    # Who made the change that queued it (an admin's name, or the OS user).
    actor = pw.CharField(max_length=64, default="")
    change = pw.IntegerField(null=True)
    size = pw.IntegerField(default=1, constraints=[pw.SQL("DEFAULT 1")])  # how many rows of the outbox it is


class AuditEntry(BaseModel):
    at = pw.DateTimeField(default=utcnow, index=True)
    actor = pw.CharField(max_length=64)
    action = pw.CharField(max_length=64)
    entity = pw.CharField(max_length=32)
    entity_id = pw.CharField(max_length=64, null=True)
    before = pw.TextField(null=True)
    after = pw.TextField(null=True)

    class Meta:
        indexes = ((("entity", "entity_id", "at"), False),
                   (("actor", "at"), False),  # the history filtered by admin (v7)
                   (("action", "at"), False))  # … by kind of change (v7)

    def before_data(self) -> Any:
        return json.loads(self.before) if self.before else None

    def after_data(self) -> Any:
        return json.loads(self.after) if self.after else None


ADMIN_ROLES = ("owner", "manager", "support", "moderator")


class Admin(BaseModel):
    """A named person who runs Backroom, and the role that says what they may do
    (see ``datalayer/admins.py``).  No row at all: one local user, who may do everything."""

    name = pw.CharField(max_length=64, unique=True)
    role = pw.CharField(max_length=16)
    ssh_key = pw.TextField(null=True)
    added_at = pw.DateTimeField(default=utcnow)
    added_by = pw.CharField(max_length=64, default="")


ALL_MODELS: list[type[BaseModel]] = [
    SchemaMeta, TaxClass, CustomerGroup, Customer, Address, Membership, Category,
    CategoryAccess, CategoryDiscount, GroupRuleSet, Product, Order, OrderLine, RewardPointEntry, Review,
    ReviewEvent, ReviewReason, Notification, AuditEntry, Admin, MembershipChange, MembershipEnd,
]
