"""Backroom's data layer: Peewee models and the operations on them.

Everything that changes data goes through an operation in this module.  An
operation validates its input, runs in one transaction and writes an audit
entry; the TUI, the command line and the tests all call the same functions.

The database is chosen by a URL (``sqlite:///path.db``, ``postgresql://…``,
``mysql://…``) and bound to the models through :data:`db`, a proxy.
"""

from __future__ import annotations

import contextlib
import functools
import dataclasses
import datetime as dt
import getpass
import hashlib
import hmac
import json
import os
import random
import re
import secrets
import unicodedata
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence
from urllib.parse import parse_qsl, unquote, urlparse

import peewee as pw
from dateutil import parser as date_parser
from dateutil.relativedelta import relativedelta

SCHEMA_VERSION = 3
"""The schema this code writes.  See :data:`MIGRATIONS` for the steps up to it."""

db = pw.DatabaseProxy()

# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------


class BackroomError(Exception):
    """An error with a message meant for the admin."""


class ValidationError(BackroomError):
    """Input that cannot be saved.  ``errors`` maps a field name to a message."""

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


class NotFoundError(BackroomError):
    pass


class LockedError(BackroomError):
    """The record is a system record that nobody may change."""


class ConflictError(BackroomError):
    """Someone else changed the record since it was read."""


class SchemaError(BackroomError):
    """The database's schema cannot be used by this version of Backroom."""


class DateParseError(BackroomError, ValueError):
    pass


# --------------------------------------------------------------------------
# Connecting
# --------------------------------------------------------------------------

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10_000,
    "synchronous": "normal",
    # 8 MB of page cache per connection: each worker thread has its own
    # connection, and the OS's file cache serves re-reads anyway.  At 64 MB
    # the TUI peaked at 413 MB resident on a million customers; at 8 MB, 123.
    "cache_size": -8_000,
}


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(Path.home(), ".local", "share")
    return Path(base) / "backroom"


def default_url() -> str:
    return f"sqlite:///{default_data_dir() / 'backroom.db'}"


def redact_url(url: str) -> str:
    """The URL with any password replaced, for showing on screen."""
    parsed = urlparse(url)
    if parsed.password:
        netloc = parsed.netloc.replace(f":{parsed.password}@", ":***@")
        return parsed._replace(netloc=netloc).geturl()
    return url


def _sqlite_path(url: str) -> str:
    path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else url[len("sqlite://"):]
    return unquote(path.split("?", 1)[0])


def make_database(url: str) -> pw.Database:
    """A (not yet connected) Peewee database for ``url``."""
    parsed = urlparse(url)
    scheme = parsed.scheme.lower()
    if scheme == "sqlite":
        path = _sqlite_path(url)
        if not path:
            raise BackroomError("A SQLite URL needs a file path: sqlite:///path/to/backroom.db")
        if path != ":memory:":
            p = Path(path).expanduser()
            p.parent.mkdir(parents=True, exist_ok=True)
            # A new database file is readable by its owner only.
            with contextlib.suppress(FileExistsError):
                os.close(os.open(p, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
            path = str(p)
        # IMMEDIATE: a transaction takes the write lock when it begins, so a
        # second admin waits (busy timeout) instead of failing when a
        # transaction that read first tries to write.
        return pw.SqliteDatabase(path, pragmas=SQLITE_PRAGMAS, timeout=10, lock_type="IMMEDIATE")
    options = dict(parse_qsl(parsed.query))
    kwargs: dict[str, Any] = {
        "host": parsed.hostname or "localhost",
        "user": unquote(parsed.username) if parsed.username else None,
    }
    if parsed.password:
        kwargs["password"] = unquote(parsed.password)
    if parsed.port:
        kwargs["port"] = parsed.port
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    name = parsed.path.lstrip("/")
    if not name:
        raise BackroomError(f"The database URL names no database: {redact_url(url)}")
    if scheme in ("postgres", "postgresql"):
        try:
            import psycopg2  # noqa: F401
        except ImportError:
            raise BackroomError(
                "PostgreSQL needs its driver: pip install 'backroom[postgres]'") from None
        kwargs.update(options)
        return pw.PostgresqlDatabase(name, **kwargs)
    if scheme in ("mysql", "mariadb"):
        try:
            import pymysql  # noqa: F401
        except ImportError:
            raise BackroomError(
                "MySQL/MariaDB needs its driver: pip install 'backroom[mysql]'") from None
        from pymysql.constants import CLIENT

        kwargs.setdefault("charset", "utf8mb4")
        # Row counts mean "rows matched", as on the other engines, not
        # "rows whose values changed".
        kwargs.setdefault("client_flag", CLIENT.FOUND_ROWS)
        kwargs.update(options)
        return pw.MySQLDatabase(name, **kwargs)
    raise BackroomError(
        f"Unknown database URL {redact_url(url)!r}: use sqlite:///file.db, "
        "postgresql://user@host/name or mysql://user@host/name")


def connect(url: str, *, upgrade: bool = True) -> pw.Database:
    """Bind the models to ``url``, create or upgrade its schema, and return it."""
    database = make_database(url)
    db.initialize(database)
    try:
        database.connect(reuse_if_open=True)
    except pw.OperationalError as exc:
        raise BackroomError(f"Cannot open the database {redact_url(url)}: {first_line(exc)}") from None
    if upgrade:
        migrate_schema()
    return database


def first_line(exc: BaseException) -> str:
    text = str(exc.args[-1] if len(exc.args) > 1 else exc).strip()
    return text.splitlines()[0] if text else exc.__class__.__name__


def is_sqlite() -> bool:
    return isinstance(db.obj, pw.SqliteDatabase)


def is_mysql() -> bool:
    return isinstance(db.obj, pw.MySQLDatabase)


# --------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------


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
    email = pw.CharField(max_length=254)
    # Lower-cased email: the unique key, and what searches run on.
    email_key = pw.CharField(max_length=254, unique=True)
    # Lower-cased "first last" and "last", for prefix search through indexes.
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

    class Meta:
        primary_key = pw.CompositeKey("customer", "group")
        indexes = ((("group", "customer"), True),)


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


REVIEW_STATUSES = ("pending", "approved", "rejected")


class Review(BaseModel):
    product = pw.ForeignKeyField(Product, backref="reviews", on_delete="CASCADE", index=False)
    customer = pw.ForeignKeyField(Customer, backref="reviews", on_delete="CASCADE", index=False)
    rating = pw.SmallIntegerField()
    title = pw.CharField(max_length=200, default="")
    body = pw.TextField(default="")
    status = pw.CharField(max_length=16, default="pending")
    created_at = pw.DateTimeField(default=utcnow)
    moderated_at = pw.DateTimeField(null=True)
    moderated_by = pw.CharField(max_length=64, null=True)
    reject_reason = pw.CharField(max_length=500, null=True)

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

    class Meta:
        indexes = ((("review", "at"), False),)


class Notification(BaseModel):
    """The outbox: a customer joined or left a group.  Nothing is sent;
    an admin reviews and exports them."""

    customer = pw.ForeignKeyField(Customer, on_delete="CASCADE", index=False)
    group = pw.ForeignKeyField(CustomerGroup, null=True, on_delete="SET NULL", index=False)
    group_name = pw.CharField(max_length=100)
    event = pw.CharField(max_length=8)  # joined | left
    source = pw.CharField(max_length=8)  # manual | rule
    created_at = pw.DateTimeField(default=utcnow)
    exported_at = pw.DateTimeField(null=True)
    # No secondary index: a bulk change appends a row per customer, and
    # every index would slow that down.  What is not yet exported is found
    # by id, above the outbox's high-water mark (see outbox_watermark()).


class AuditEntry(BaseModel):
    at = pw.DateTimeField(default=utcnow, index=True)
    actor = pw.CharField(max_length=64)
    action = pw.CharField(max_length=64)
    entity = pw.CharField(max_length=32)
    entity_id = pw.CharField(max_length=64, null=True)
    before = pw.TextField(null=True)
    after = pw.TextField(null=True)

    class Meta:
        indexes = ((("entity", "entity_id", "at"), False),)

    def before_data(self) -> Any:
        return json.loads(self.before) if self.before else None

    def after_data(self) -> Any:
        return json.loads(self.after) if self.after else None


ALL_MODELS: list[type[BaseModel]] = [
    SchemaMeta, TaxClass, CustomerGroup, Customer, Address, Membership, Category,
    CategoryAccess, CategoryDiscount, GroupRuleSet, Product, Order, OrderLine, RewardPointEntry, Review,
    ReviewEvent, Notification, AuditEntry,
]

# --------------------------------------------------------------------------
# Schema versions and upgrades
# --------------------------------------------------------------------------


def _table_exists(name: str) -> bool:
    return name in db.get_tables()


def schema_version() -> int | None:
    """The version recorded in the database, or None for an empty database."""
    if not _table_exists(SchemaMeta._meta.table_name):
        return None
    row = SchemaMeta.get_or_none(SchemaMeta.key == "schema_version")
    return int(row.value) if row else None


def _set_schema_version(version: int) -> None:
    updated = (SchemaMeta.update(value=str(version))
               .where(SchemaMeta.key == "schema_version").execute())
    if not updated:
        SchemaMeta.create(key="schema_version", value=str(version))


def is_postgres() -> bool:
    return isinstance(db.obj, pw.PostgresqlDatabase)


def _migrate_1_to_2() -> None:
    """Version 2: case-insensitive unique emails, name search keys, and version
    columns for detecting concurrent edits."""
    from playhouse.migrate import SchemaMigrator, migrate

    migrator = SchemaMigrator.from_database(db.obj)
    cols = {c.name for c in db.get_columns("customer")}
    ops = []
    if "email_key" not in cols:
        ops.append(migrator.add_column("customer", "email_key", pw.CharField(max_length=254, default="")))
    if "name_key" not in cols:
        ops.append(migrator.add_column("customer", "name_key", pw.CharField(max_length=201, default="")))
    if "last_key" not in cols:
        ops.append(migrator.add_column("customer", "last_key", pw.CharField(max_length=100, default="")))
    if "version" not in cols:
        ops.append(migrator.add_column("customer", "version", pw.IntegerField(default=1)))
    if "version" not in {c.name for c in db.get_columns("customer_group")}:
        ops.append(migrator.add_column("customer_group", "version", pw.IntegerField(default=1)))
    # Version 1 made the email itself unique, which let "A@x" and "a@x" in.
    for index in db.get_indexes("customer"):
        if index.columns == ["email"]:
            ops.append(migrator.drop_index("customer", index.name))
    migrate(*ops)
    # Backfill in SQL, then check that lower-cased emails are still unique
    # before the unique index goes on: a clear message beats a failed upgrade.
    Customer.update(
        email_key=pw.fn.LOWER(pw.fn.TRIM(Customer.email)),
        last_key=pw.fn.LOWER(Customer.last_name),
        name_key=pw.fn.LOWER(pw.fn.CONCAT(Customer.first_name, " ", Customer.last_name))
        if is_mysql() else
        pw.fn.LOWER(Customer.first_name.concat(" ").concat(Customer.last_name)),
    ).execute()
    dupes = (Customer.select(Customer.email_key, pw.fn.COUNT(Customer.id))
             .group_by(Customer.email_key).having(pw.fn.COUNT(Customer.id) > 1).limit(3).tuples())
    dupes = [d[0] for d in dupes]
    if dupes:
        raise SchemaError(
            "Cannot upgrade: these emails differ only in case and must be merged first: "
            + ", ".join(dupes))
    # Everything new in version 2 (tables and indexes) is created safely.
    db.create_tables(ALL_MODELS, safe=True)
    for model in (Customer, CustomerGroup):
        _ensure_indexes(model)


def _ensure_indexes(model: type[BaseModel]) -> None:
    """Create the model's indexes that the table lacks (Peewee's "safe"
    create skips them for an existing MySQL table)."""
    existing = {ix.name for ix in db.get_indexes(model._meta.table_name)}
    for index in model._meta.fields_to_index():
        if index._name not in existing:
            db.execute(model._schema._create_index(index, safe=False))


def _migrate_2_to_3() -> None:
    """Version 3: review moderation history, the notification outbox, and
    what groups grant (category discounts, membership rules)."""
    db.create_tables([ReviewEvent, Notification, CategoryDiscount, GroupRuleSet], safe=True)
    for model in (ReviewEvent, Notification, CategoryDiscount, GroupRuleSet):
        _ensure_indexes(model)


MIGRATIONS: dict[int, Callable[[], None]] = {2: _migrate_1_to_2, 3: _migrate_2_to_3}
"""Step ``n`` upgrades a database from version ``n - 1`` to ``n``."""


@contextlib.contextmanager
def _foreign_keys_deferred() -> Iterator[None]:
    """SQLite rebuilds a table to change a column; its documented procedure is
    to switch foreign keys off around that (outside any transaction) and
    check them before committing."""
    if not is_sqlite():
        yield
        return
    db.execute_sql("PRAGMA foreign_keys = OFF")
    try:
        yield
    finally:
        db.execute_sql("PRAGMA foreign_keys = ON")


def migrate_schema() -> int:
    """Create a fresh schema, or upgrade an older one in place.  Returns the version."""
    found = schema_version()
    if found is None:
        existing = set(db.get_tables())
        known = {m._meta.table_name for m in ALL_MODELS}
        if existing & known:
            raise SchemaError("The database has Backroom tables but no schema version; refusing to touch it.")
        with db.atomic():
            db.create_tables(ALL_MODELS)
            _set_schema_version(SCHEMA_VERSION)
            ensure_defaults()
        return SCHEMA_VERSION
    if found > SCHEMA_VERSION:
        raise SchemaError(
            f"This database uses schema version {found}, newer than this Backroom "
            f"understands ({SCHEMA_VERSION}). Upgrade Backroom to open it.")
    with _foreign_keys_deferred():
        for step in range(found + 1, SCHEMA_VERSION + 1):
            # PostgreSQL and SQLite roll a failed step back whole; MySQL commits
            # DDL implicitly, so each step is written to be safe to run again.
            with db.atomic():
                MIGRATIONS[step]()
                if is_sqlite() and db.execute_sql("PRAGMA foreign_key_check").fetchall():
                    raise SchemaError("The upgrade would break references between tables; nothing was changed.")
                _set_schema_version(step)
    if found < SCHEMA_VERSION:
        with db.atomic():
            ensure_defaults()
    return SCHEMA_VERSION


DEFAULT_GROUPS = (
    # code, name, description, system, hidden
    ("general", "General", "The default group for new customers.", False, False),
    ("guest", "Guest", "Visitors who are not logged in.", True, False),
    ("wholesale", "Wholesale", "Trade customers buying in bulk.", False, False),
)


def ensure_defaults() -> None:
    """The groups and tax class every Backroom database starts with."""
    tax = TaxClass.get_or_none(TaxClass.name == "Standard")
    if tax is None:
        tax = TaxClass.create(name="Standard", rate_percent=Decimal("20.00"))
    for code, name, desc, system, hidden in DEFAULT_GROUPS:
        if not CustomerGroup.select().where(CustomerGroup.code == code).exists():
            CustomerGroup.create(code=code, name=name, description=desc, is_system=system,
                                 hidden=hidden, tax_class=tax)


def general_group() -> CustomerGroup:
    return CustomerGroup.get(CustomerGroup.code == "general")


def guest_group() -> CustomerGroup:
    return CustomerGroup.get(CustomerGroup.code == "guest")


# --------------------------------------------------------------------------
# Audit
# --------------------------------------------------------------------------

_actor: str | None = None


def current_actor() -> str:
    if _actor:
        return _actor
    try:
        return getpass.getuser()
    except Exception:  # no login name (a container with an odd uid)
        return f"uid:{os.getuid()}"


def set_actor(name: str | None) -> None:
    """Who later operations are recorded as (default: the logged-in OS user)."""
    global _actor
    _actor = name


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    return value


def audit(action: str, entity: str, entity_id: Any = None, *, before: Any = None,
          after: Any = None, actor: str | None = None) -> AuditEntry:
    return AuditEntry.create(
        actor=actor or current_actor(), action=action, entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        before=None if before is None else json.dumps(_jsonable(before), sort_keys=True),
        after=None if after is None else json.dumps(_jsonable(after), sort_keys=True),
    )


# --------------------------------------------------------------------------
# Text and dates as admins type them
# --------------------------------------------------------------------------

_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def has_control_chars(text: str) -> bool:
    return bool(_CONTROL_RE.search(text))


def clean_line(text: str | None) -> str:
    """Printable, single-line text: control characters are shown as escapes,
    so nothing typed by a shopper can drive the terminal."""
    if not text:
        return ""
    return _CONTROL_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


_RELATIVE_RE = re.compile(
    r"^(?:(?P<last>last|past)\s+)?(?P<n>\d+)\s*(?P<unit>day|week|month|year)s?(?:\s+(?P<ago>ago))?$")
_UNIT_DELTA = {"day": "days", "week": "weeks", "month": "months", "year": "years"}


def parse_date(text: str, *, today: dt.date | None = None) -> dt.date:
    """A date as an admin types it: "2024-03-01", "1 March 2024", "3 months ago",
    "last 90 days" (the first day of that period), "today", "yesterday"."""
    today = today or dt.date.today()
    raw = (text or "").strip()
    t = " ".join(raw.lower().split())
    if not t:
        raise DateParseError("No date given.")
    if t == "today":
        return today
    if t == "yesterday":
        return today - dt.timedelta(days=1)
    m = _RELATIVE_RE.match(t)
    if m and (m.group("last") or m.group("ago")):
        return today - relativedelta(**{_UNIT_DELTA[m.group("unit")]: int(m.group("n"))})
    try:
        # A default far from today makes "March 2024" mean 1 March 2024.
        return date_parser.parse(raw, default=dt.datetime(today.year, 1, 1), dayfirst=False).date()
    except (ValueError, OverflowError):
        raise DateParseError(
            f"Cannot understand the date {raw!r}: try 2024-03-01, 1 March 2024 or 3 months ago."
        ) from None


def money(value: Any) -> Decimal:
    """An amount as Decimal cents, whatever the engine returned (SQLite
    hands back sums of DECIMAL columns as floats)."""
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def format_percent(value: Any) -> str:
    """12.50 -> "12.5%", 10.00 -> "10%"."""
    text = f"{Decimal(value or 0):.2f}".rstrip("0").rstrip(".")
    return f"{text}%"


def parse_money(text: str | None, field: str = "amount") -> Decimal | None:
    t = (text or "").strip().replace(",", "")
    if not t:
        return None
    try:
        value = Decimal(t)
    except InvalidOperation:
        raise ValidationError({field: f"{text!r} is not an amount"}) from None
    if not value.is_finite():
        raise ValidationError({field: f"{text!r} is not an amount"})
    return value


# --------------------------------------------------------------------------
# Customer filters and selections
# --------------------------------------------------------------------------


def _like_prefix(field: pw.Field, prefix: str) -> pw.Expression:
    """``field`` starts with ``prefix`` (both lower case), through an index."""
    if is_sqlite() or is_postgres():
        # A half-open range uses a plain b-tree index on every collation
        # that sorts by code point (SQLite's BINARY, PostgreSQL's C).
        if is_sqlite() or _pg_collation_is_c():
            return (field >= prefix) & (field < prefix + "\U0010ffff")
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return pw.Expression(field, pw.OP.LIKE,
                         pw.NodeList((pw.Value(escaped + "%", converter=False), pw.SQL("ESCAPE"),
                                      pw.Value("\\", converter=False))))


_pg_c_cache: dict[int, bool] = {}


def _pg_collation_is_c() -> bool:
    key = id(db.obj)
    if key not in _pg_c_cache:
        coll = db.execute_sql("SELECT datcollate FROM pg_database WHERE datname = current_database()").fetchone()[0]
        _pg_c_cache[key] = coll in ("C", "POSIX", "C.UTF-8", "C.utf8")
    return _pg_c_cache[key]


@dataclasses.dataclass(frozen=True)
class CustomerFilter:
    """What an admin narrows a customer list by.  Every field is optional.

    ``text`` matches customers whose first name, last name, full name or
    email starts with it, ignoring case.
    """

    text: str = ""
    status: str | None = None
    group_id: int | None = None
    registered_from: dt.date | None = None
    registered_to: dt.date | None = None  # inclusive
    spent_min: Decimal | None = None
    spent_max: Decimal | None = None

    def is_empty(self) -> bool:
        return self == CustomerFilter()

    def expression(self) -> pw.Expression | None:
        conds: list[pw.Expression] = []
        text = " ".join(self.text.lower().split())
        if text:
            conds.append(_like_prefix(Customer.email_key, text)
                         | _like_prefix(Customer.name_key, text)
                         | _like_prefix(Customer.last_key, text))
        if self.status:
            conds.append(Customer.status == self.status)
        if self.group_id is not None:
            conds.append(Customer.id.in_(
                Membership.select(Membership.customer).where(Membership.group == self.group_id)))
        if self.registered_from:
            conds.append(Customer.registered_at >= _day_start(self.registered_from))
        if self.registered_to:
            conds.append(Customer.registered_at < _day_start(self.registered_to) + dt.timedelta(days=1))
        if self.spent_min is not None:
            conds.append(Customer.total_spent >= self.spent_min)
        if self.spent_max is not None:
            conds.append(Customer.total_spent <= self.spent_max)
        if not conds:
            return None
        return functools.reduce(lambda a, b: a & b, conds)

    def describe(self) -> dict[str, Any]:
        return {k: v for k, v in dataclasses.asdict(self).items() if v not in (None, "")}


def _day_start(d: dt.date) -> dt.datetime:
    return dt.datetime(d.year, d.month, d.day)


def _parse_dates(typed: dict[str, str], errors: dict[str, str], today: dt.date | None) -> dict[str, dt.date | None]:
    """Each typed date parsed (None when left empty); what cannot be
    understood goes into ``errors`` under its field's name."""
    dates: dict[str, dt.date | None] = {}
    for name, value in typed.items():
        dates[name] = None
        if value.strip():
            try:
                dates[name] = parse_date(value, today=today)
            except DateParseError as exc:
                errors[name] = str(exc)
    return dates


def build_filter(*, text: str = "", status: str = "", group: str = "", registered_from: str = "",
                 registered_to: str = "", spent_min: str = "", spent_max: str = "",
                 today: dt.date | None = None) -> CustomerFilter:
    """A :class:`CustomerFilter` from what an admin typed, with errors per field."""
    errors: dict[str, str] = {}
    status = status.strip().lower()
    if status and status not in CUSTOMER_STATUSES:
        errors["status"] = f"Status must be one of {', '.join(CUSTOMER_STATUSES)}"
    group_id = None
    if group.strip():
        g = CustomerGroup.get_or_none(CustomerGroup.code == group.strip().lower())
        if g is None:
            errors["group"] = f"No group with code {group.strip()!r}"
        else:
            group_id = g.id
    dates = _parse_dates({"registered_from": registered_from, "registered_to": registered_to}, errors, today)
    amounts: dict[str, Decimal | None] = {}
    for name, value in (("spent_min", spent_min), ("spent_max", spent_max)):
        try:
            amounts[name] = parse_money(value, name)
        except ValidationError as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationError(errors)
    return CustomerFilter(text=text.strip(), status=status or None, group_id=group_id,
                          registered_from=dates["registered_from"],
                          registered_to=dates["registered_to"],
                          spent_min=amounts["spent_min"], spent_max=amounts["spent_max"])


@dataclasses.dataclass(frozen=True)
class Selection:
    """A set of rows (customers unless told otherwise), described without
    listing them.

    A selection is a small expression tree whose leaves are ``all`` (every
    row), ``none``, ``ids`` (explicit ids), ``filter`` (every row matching a
    filter such as :class:`CustomerFilter` or :class:`ReviewFilter`) and, for
    customers, ``group`` (the members of a group), combined with ``or``,
    ``and`` and ``not``.  It compiles to one SQL condition, so a selection of
    a million rows costs nothing to hold and is saved by one set-based
    statement.
    """

    op: str
    args: tuple = ()

    # -- constructors -------------------------------------------------------
    @classmethod
    def none(cls) -> "Selection":
        return cls("none")

    @classmethod
    def all(cls) -> "Selection":
        return cls("all")

    @classmethod
    def ids(cls, ids: Iterable[int]) -> "Selection":
        ids = frozenset(int(i) for i in ids)
        return cls("ids", (ids,)) if ids else cls.none()

    @classmethod
    def matching(cls, flt: Any, *, except_ids: Iterable[int] = ()) -> "Selection":
        """Every row matching ``flt`` (a filter with ``is_empty()`` and
        ``expression()``), except ``except_ids``."""
        sel = cls.all() if flt.is_empty() else cls("filter", (flt,))
        return sel - cls.ids(except_ids)

    @classmethod
    def members_of(cls, group_id: int) -> "Selection":
        return cls("group", (int(group_id),))

    # -- algebra ------------------------------------------------------------
    def __or__(self, other: "Selection") -> "Selection":
        if self.op == "none" or other.op == "all":
            return other
        if other.op == "none" or self.op == "all":
            return self
        if self.op == other.op == "ids":
            return Selection.ids(self.args[0] | other.args[0])
        return Selection("or", (self, other))

    def __and__(self, other: "Selection") -> "Selection":
        if self.op == "all" or other.op == "none":
            return other
        if other.op == "all" or self.op == "none":
            return self
        return Selection("and", (self, other))

    def __invert__(self) -> "Selection":
        if self.op == "none":
            return Selection.all()
        if self.op == "all":
            return Selection.none()
        if self.op == "not":
            return self.args[0]
        return Selection("not", (self,))

    def __sub__(self, other: "Selection") -> "Selection":
        if other.op == "none":
            return self
        return self & ~other

    # -- SQL ----------------------------------------------------------------
    def expression(self, model: type[BaseModel] | None = None) -> pw.Expression | None:
        """A condition on ``model`` (:class:`Customer` by default); ``None``
        means every row."""
        model = model or Customer
        op = self.op
        if op == "all":
            return None
        if op == "none":
            return pw.SQL("1 = 0")
        if op == "ids":
            return model.id.in_(sorted(self.args[0]))
        if op == "filter":
            return self.args[0].expression()
        if op == "group":
            if model is not Customer:
                raise ValueError("only customers belong to groups")
            return Customer.id.in_(
                Membership.select(Membership.customer).where(Membership.group == self.args[0]))
        if op == "not":
            inner = self.args[0].expression(model)
            return pw.SQL("1 = 0") if inner is None else ~inner
        left, right = (a.expression(model) for a in self.args)
        if op == "and":
            if left is None:
                return right
            if right is None:
                return left
            return left & right
        if op == "or":
            if left is None or right is None:
                return None
            return left | right
        raise ValueError(f"unknown selection op {op!r}")

    def query(self, *fields: pw.Field, model: type[BaseModel] | None = None) -> pw.ModelSelect:
        model = model or Customer
        q = model.select(*(fields or (model.id,)))
        expr = self.expression(model)
        return q.where(expr) if expr is not None else q

    def count(self, model: type[BaseModel] | None = None) -> int:
        if self.op == "none":
            return 0
        return self.query(model=model).count()

    def describe(self) -> Any:
        if self.op == "ids":
            ids = sorted(self.args[0])
            return {"ids": ids if len(ids) <= 20 else ids[:20] + [f"... {len(ids)} in all"]}
        if self.op == "filter":
            return {"filter": self.args[0].describe()}
        if self.op == "group":
            return {"members_of": self.args[0]}
        if self.op in ("all", "none"):
            return self.op
        return {self.op: [a.describe() for a in self.args]}


# --------------------------------------------------------------------------
# Customer groups
# --------------------------------------------------------------------------

CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
GROUP_FIELDS = ("code", "name", "description", "tax_class_id", "discount_percent",
                "free_shipping", "hidden")


@dataclasses.dataclass
class GroupRow:
    """A group as a list shows it."""

    id: int
    code: str
    name: str
    description: str
    tax_class: str
    tax_class_id: int | None
    discount_percent: Decimal
    free_shipping: bool
    hidden: bool
    is_system: bool
    version: int
    member_count: int


def _clean_group_fields(data: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    unknown = set(data) - set(GROUP_FIELDS)
    if unknown:
        raise ValidationError({k: "Not a group field" for k in sorted(unknown)})
    if creating or "code" in data:
        code = str(data.get("code") or "").strip().lower()
        if not code:
            errors["code"] = "Code is required"
        elif not CODE_RE.match(code):
            errors["code"] = ("Code must be 1-32 characters: lower-case letters, digits, "
                              "'-' or '_', starting with a letter or digit")
        out["code"] = code
    if creating or "name" in data:
        name = str(data.get("name") or "").strip()
        if not name:
            errors["name"] = "Name is required"
        elif len(name) > 100:
            errors["name"] = "Name must be at most 100 characters"
        elif has_control_chars(name):
            errors["name"] = "Name cannot contain control characters"
        out["name"] = name
    if "description" in data:
        desc = str(data.get("description") or "")
        if len(desc) > 2000:
            errors["description"] = "Description must be at most 2000 characters"
        elif has_control_chars(desc.replace("\n", "")):
            errors["description"] = "Description cannot contain control characters"
        out["description"] = desc
    if "discount_percent" in data:
        raw = data.get("discount_percent")
        try:
            out["discount_percent"] = _clean_percent("0" if raw is None or str(raw).strip() == "" else raw,
                                                     "discount_percent")
        except ValidationError as exc:
            errors.update(exc.errors)
    if "tax_class_id" in data:
        tid = data.get("tax_class_id")
        if tid in (None, ""):
            out["tax_class"] = None
        elif not TaxClass.select().where(TaxClass.id == tid).exists():
            errors["tax_class_id"] = "No such tax class"
        else:
            out["tax_class"] = int(tid)
    for flag in ("free_shipping", "hidden"):
        if flag in data:
            out[flag] = bool(data[flag])
    if errors:
        raise ValidationError(errors)
    return out


def _group_snapshot(g: CustomerGroup) -> dict[str, Any]:
    return {"code": g.code, "name": g.name, "description": g.description,
            "tax_class_id": g.tax_class_id, "discount_percent": g.discount_percent,
            "free_shipping": g.free_shipping, "hidden": g.hidden, "version": g.version}


def get_group(group_id: int) -> CustomerGroup:
    g = CustomerGroup.get_or_none(CustomerGroup.id == group_id)
    if g is None:
        raise NotFoundError(f"No customer group with id {group_id}")
    return g


def get_group_by_code(code: str) -> CustomerGroup:
    g = CustomerGroup.get_or_none(CustomerGroup.code == code.strip().lower())
    if g is None:
        raise NotFoundError(f"No customer group with code {code!r}")
    return g


def _check_unlocked(g: CustomerGroup) -> None:
    if g.is_system:
        raise LockedError(f"{g.name} is a system group: it cannot be edited or deleted.")


def create_group(data: dict[str, Any], *, members: Selection | None = None,
                 access: Iterable[int] | None = None, discounts: dict[int, Any] | None = None,
                 actor: str | None = None) -> tuple[CustomerGroup, int]:
    """Create a group (and, optionally, its members, its Access ticks and
    its per-category discounts) in one transaction.
    Returns the group and how many customers joined it."""
    fields = _clean_group_fields(data, creating=True)
    clean_discounts = _clean_category_discounts(discounts)
    with db.atomic():
        if CustomerGroup.select().where(CustomerGroup.code == fields["code"]).exists():
            raise ValidationError({"code": f"Code {fields['code']!r} is already used by another group"})
        if "tax_class" not in fields:
            fields["tax_class"] = TaxClass.select(TaxClass.id).order_by(TaxClass.id).scalar()
        try:
            with db.atomic():
                g = CustomerGroup.create(**fields)
        except pw.IntegrityError:
            raise ValidationError({"code": f"Code {fields['code']!r} is already used by another group"}) from None
        audit("group.create", "group", g.id, after=_group_snapshot(g), actor=actor)
        added = 0
        if members is not None and members.op != "none":
            added = _insert_members(g, members, actor=actor, new_group=True)
            audit("group.members", "group", g.id, after={"added": added, "removed": 0,
                                                          "selection": members.describe()}, actor=actor)
        _set_grants(g, access, clean_discounts, actor=actor)
    return g, added


def update_group(group_id: int, changes: dict[str, Any], *, expected_version: int,
                 members: Selection | None = None, access: Iterable[int] | None = None,
                 discounts: dict[int, Any] | None = None,
                 actor: str | None = None) -> tuple[CustomerGroup, int, int]:
    """Change a group's fields and, if ``members`` is given, make its
    membership exactly that selection; ``access`` (category ids) and
    ``discounts`` (category id -> percent, blank or None for none) are set
    in the same transaction.  Refused with :class:`ConflictError`
    if the group changed since ``expected_version`` was read.  Returns the
    group and how many customers joined and left."""
    clean_discounts = _clean_category_discounts(discounts)
    with db.atomic():
        g = get_group(group_id)
        _check_unlocked(g)
        if "code" in changes and str(changes["code"]).strip().lower() != g.code:
            raise ValidationError({"code": "A group's code cannot change after it is created"})
        changes = {k: v for k, v in changes.items() if k != "code"}
        fields = _clean_group_fields(changes, creating=False)
        before = _group_snapshot(g)
        fields.update(version=CustomerGroup.version + 1, updated_at=utcnow())
        n = (CustomerGroup.update(**fields)
             .where((CustomerGroup.id == group_id) & (CustomerGroup.version == expected_version))
             .execute())
        if n != 1:
            raise ConflictError(
                f"Someone else changed the group {g.name!r} since you opened it. "
                "Reload it to see their changes, then apply yours again.")
        g = get_group(group_id)
        added = removed = 0
        if members is not None:
            added, removed = _set_members(g, members, actor=actor)
        after = _group_snapshot(g)
        audit("group.update", "group", g.id, before=before, after=after, actor=actor)
        if members is not None and (added or removed):
            audit("group.members", "group", g.id, after={"added": added, "removed": removed,
                                                          "selection": members.describe()}, actor=actor)
        _set_grants(g, access, clean_discounts, actor=actor)
    return g, added, removed


def _clean_category_discounts(discounts: dict[int, Any] | None) -> dict[int, Decimal | None] | None:
    """Per-category discounts as typed, checked before anything is written.
    Errors are keyed ``category_discounts[<category id>]``."""
    if discounts is None:
        return None
    errors: dict[str, str] = {}
    out: dict[int, Decimal | None] = {}
    for cid, raw in discounts.items():
        key = f"category_discounts[{int(cid)}]"
        if raw is None or str(raw).strip() == "":
            out[int(cid)] = None
            continue
        try:
            out[int(cid)] = _clean_percent(raw, key)
        except ValidationError as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationError(errors)
    return out


def _set_grants(g: CustomerGroup, access: Iterable[int] | None, discounts: dict[int, Decimal | None] | None,
                *, actor: str | None) -> None:
    """A group's Access ticks and per-category discounts (inside the caller's
    transaction); only the discounts that change are written and audited."""
    if access is not None:
        set_category_access(g.id, access, actor=actor)
    if discounts:
        current = category_discounts(g.id)
        for cid, value in sorted(discounts.items()):
            if current.get(cid) != value:
                set_category_discount(g.id, cid, value, actor=actor)


def delete_group(group_id: int, *, expected_version: int | None = None,
                 actor: str | None = None) -> int:
    """Delete a group and its memberships.  Customers whose default group it
    was fall back to General.  Returns how many memberships were removed."""
    with db.atomic():
        g = get_group(group_id)
        _check_unlocked(g)
        general = general_group()
        if g.id == general.id:
            raise LockedError("General is the default group for new customers: it cannot be deleted.")
        if expected_version is not None and g.version != expected_version:
            raise ConflictError(f"Someone else changed the group {g.name!r} since you opened it.")
        moved = _fall_back_to_general(Customer.default_group == g.id, general)
        _notify(g, Membership.select(Membership.customer).where(Membership.group == g.id),
                Membership.customer, "left", "manual")
        removed = Membership.delete().where(Membership.group == g.id).execute()
        CategoryAccess.delete().where(CategoryAccess.group == g.id).execute()
        g.delete_instance()
        audit("group.delete", "group", g.id, before=_group_snapshot(g),
              after={"memberships_removed": removed, "defaults_moved_to_general": moved}, actor=actor)
    return removed


def _fall_back_to_general(where: pw.Expression, general: CustomerGroup) -> int:
    """Give the customers matching ``where`` General as their default group,
    and make sure they are members of it."""
    moving = Customer.select(Customer.id).where(where)
    _insert_members_from(general, moving, actor=None)
    return Customer.update(default_group=general.id).where(where).execute()


def _notify(g: CustomerGroup, query: pw.ModelSelect, customer: pw.Field, event: str, source: str) -> int:
    """Queue a notification for each customer ``query`` yields (in column
    ``customer``) that they joined or left ``g``.  Never for a hidden group
    (customers must not learn of it) nor for Guest."""
    if g.hidden or g.is_system:
        return 0
    rows = query.select(customer, pw.Value(g.id), pw.Value(g.name), pw.Value(event), pw.Value(source),
                        pw.Value(utcnow()))
    return (Notification.insert_from(rows, [Notification.customer, Notification.group, Notification.group_name,
                                            Notification.event, Notification.source, Notification.created_at])
            .as_rowcount().execute())


def _insert_members_from(g: CustomerGroup, customer_ids: pw.ModelSelect, *, actor: str | None,
                         source: str = "manual", at: pw.Node | None = None, new_group: bool = False,
                         notify: bool = True) -> int:
    """INSERT … SELECT the customers in ``customer_ids`` not yet in ``g``
    (a ``new_group`` has no members, so nobody needs checking), queueing a
    notification for each unless ``notify`` is off."""
    joining = customer_ids
    if not new_group:
        joining = joining.where(
            Customer.id.not_in(Membership.select(Membership.customer).where(Membership.group == g.id)))
    if notify:
        _notify(g, joining, Customer.id, "joined", source)
    q = joining.select(Customer.id, pw.Value(g.id), pw.Value(source),
                       pw.Value(actor or current_actor()), at if at is not None else pw.Value(utcnow()))
    return (Membership.insert_from(q, [Membership.customer, Membership.group, Membership.source,
                                       Membership.added_by, Membership.added_at])
            .as_rowcount().execute())


def _check_assignable(g: CustomerGroup) -> None:
    if g.is_system:
        raise LockedError(f"{g.name} is a system group: customers cannot be assigned to it.")


def _insert_members(g: CustomerGroup, sel: Selection, *, actor: str | None, new_group: bool = False) -> int:
    _check_assignable(g)
    return _insert_members_from(g, sel.query(), actor=actor, new_group=new_group)


_SEL_TABLE = "backroom_selection"


def _drop_selection_table() -> None:
    # Only ever the temporary table: MySQL commits on a plain DROP TABLE.
    if is_mysql():
        db.execute_sql(f"DROP TEMPORARY TABLE IF EXISTS {_SEL_TABLE}")
    elif is_postgres():
        db.execute_sql(f"DROP TABLE IF EXISTS pg_temp.{_SEL_TABLE}")
    else:
        db.execute_sql(f"DROP TABLE IF EXISTS temp.{_SEL_TABLE}")


@contextlib.contextmanager
def _materialized(sel: Selection) -> Iterator[pw.ModelSelect]:
    """The selection's customer ids in a temporary table, so one statement can
    compare it with a group's members on every engine (MySQL refuses a
    DELETE whose subquery reads the table being deleted from)."""
    table = pw.Table(_SEL_TABLE, ("id",))
    _drop_selection_table()
    db.execute_sql(f"CREATE TEMPORARY TABLE {_SEL_TABLE} (id INTEGER NOT NULL PRIMARY KEY)")
    try:
        query = sel.query(Customer.id)
        sql, params = query.sql()
        db.execute_sql(f"INSERT INTO {_SEL_TABLE} (id) {sql}", params)
        yield table.select(table.id)
    finally:
        _drop_selection_table()


def _set_members(g: CustomerGroup, sel: Selection, *, actor: str | None) -> tuple[int, int]:
    """Make ``g``'s members exactly ``sel``, touching only the difference."""
    if sel == Selection.members_of(g.id):
        return 0, 0
    with _materialized(sel) as chosen:
        removed = _remove_members_where(g, Membership.customer.not_in(chosen), actor=actor)
        if sel.op != "none":
            _check_assignable(g)
        added = _insert_members_from(g, Customer.select(Customer.id).where(Customer.id.in_(chosen)),
                                     actor=actor) if sel.op != "none" else 0
    return added, removed


def _remove_members_where(g: CustomerGroup, where: pw.Expression, *, actor: str | None,
                          source: str = "manual") -> int:
    general = general_group()
    cond = (Membership.group == g.id) & where
    if g.id == general.id:
        # Nobody leaves General while it is their default group.
        cond &= Membership.customer.not_in(Customer.select(Customer.id).where(Customer.default_group == general.id))
    leaving = Membership.select(Membership.customer).where(cond)
    if g.id != general.id:
        # Whoever leaves their default group falls back to General.
        _fall_back_to_general((Customer.default_group == g.id) & Customer.id.in_(leaving), general)
    _notify(g, leaving, Membership.customer, "left", source)
    return Membership.delete().where(cond).execute()


def assign_customers(group_id: int, sel: Selection, *, actor: str | None = None) -> int:
    """Add a selection of customers to a group.  Returns how many joined."""
    with db.atomic():
        g = get_group(group_id)
        _check_assignable(g)
        added = _insert_members(g, sel, actor=actor)
        CustomerGroup.update(version=CustomerGroup.version + 1).where(CustomerGroup.id == g.id).execute()
        audit("group.assign", "group", g.id, after={"added": added, "selection": sel.describe()}, actor=actor)
    return added


def unassign_customers(group_id: int, sel: Selection, *, actor: str | None = None) -> int:
    """Remove a selection of customers from a group.  Returns how many left."""
    with db.atomic():
        g = get_group(group_id)
        _check_unlocked(g)
        if sel.op == "none":
            removed = 0
        else:
            with _materialized(sel) as chosen:
                removed = _remove_members_where(g, Membership.customer.in_(chosen), actor=actor)
        CustomerGroup.update(version=CustomerGroup.version + 1).where(CustomerGroup.id == g.id).execute()
        audit("group.unassign", "group", g.id, after={"removed": removed, "selection": sel.describe()}, actor=actor)
    return removed


def list_groups(text: str = "", *, sort: str = "name", descending: bool = False,
                with_counts: bool = True) -> list[GroupRow]:
    """Every group (a shop has a handful), with member counts."""
    q = (CustomerGroup.select(CustomerGroup, TaxClass.name.alias("tax_name"))
         .join(TaxClass, pw.JOIN.LEFT_OUTER, on=(CustomerGroup.tax_class == TaxClass.id)))
    t = text.strip().lower()
    if t:
        q = q.where(CustomerGroup.code.contains(t) | CustomerGroup.name.contains(t))
    counts: dict[int, int] = {}
    if with_counts:
        counts = dict(Membership.select(Membership.group, pw.fn.COUNT(Membership.customer))
                      .group_by(Membership.group).tuples())
    rows = [GroupRow(id=g.id, code=g.code, name=g.name, description=g.description,
                     tax_class=getattr(g, "tax_name", None) or "", tax_class_id=g.tax_class_id,
                     discount_percent=Decimal(g.discount_percent), free_shipping=g.free_shipping,
                     hidden=g.hidden, is_system=g.is_system, version=g.version,
                     member_count=counts.get(g.id, 0))
            for g in q.objects()]
    key_funcs: dict[str, Callable[[GroupRow], Any]] = {
        "code": lambda r: r.code, "name": lambda r: r.name.lower(),
        "members": lambda r: r.member_count, "tax_class": lambda r: r.tax_class.lower(),
        "discount": lambda r: r.discount_percent, "free_shipping": lambda r: r.free_shipping,
        "hidden": lambda r: r.hidden, "system": lambda r: r.is_system,
    }
    if sort not in key_funcs:
        raise ValidationError({"sort": f"Cannot sort groups by {sort!r}"})
    rows.sort(key=lambda r: (key_funcs[sort](r), r.id), reverse=descending)
    return rows


def group_member_count(group_id: int) -> int:
    return Membership.select().where(Membership.group == group_id).count()


def tax_classes() -> list[TaxClass]:
    return list(TaxClass.select().order_by(TaxClass.name))


# --------------------------------------------------------------------------
# Customers
# --------------------------------------------------------------------------

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CUSTOMER_SORTS: dict[str, tuple[pw.Field, ...]] = {
    "name": (Customer.last_key, Customer.name_key),
    "email": (Customer.email_key,),
    "registered": (Customer.registered_at,),
    "total_spent": (Customer.total_spent,),
    "orders": (Customer.order_count,),
    "status": (Customer.status,),
    # Groups customers by default group (in the order groups were created), through its index.
    "default_group": (Customer.default_group,),
}


def normalize_email(email: str) -> str:
    return unicodedata.normalize("NFC", email.strip()).lower()


def _clean_customer_fields(data: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    limits = {"first_name": 100, "last_name": 100, "phone": 32}
    for name, limit in limits.items():
        if creating or name in data:
            value = str(data.get(name) or "").strip()
            label = name.replace("_", " ").capitalize()
            if name == "first_name" and creating and not value and not data.get("last_name"):
                errors[name] = "First or last name is required"
            if len(value) > limit:
                errors[name] = f"{label} must be at most {limit} characters"
            elif has_control_chars(value):
                errors[name] = f"{label} cannot contain control characters"
            out[name] = value
    if creating or "email" in data:
        email = unicodedata.normalize("NFC", str(data.get("email") or "").strip())
        if not email:
            errors["email"] = "Email is required"
        elif len(email) > 254:
            errors["email"] = "Email must be at most 254 characters"
        elif has_control_chars(email) or not EMAIL_RE.match(email):
            errors["email"] = f"{clean_line(email)!r} is not an email address"
        out["email"] = email
    if "status" in data:
        if data["status"] not in CUSTOMER_STATUSES:
            errors["status"] = f"Status must be one of {', '.join(CUSTOMER_STATUSES)}"
        out["status"] = data["status"]
    if "account_type" in data:
        if data["account_type"] not in ACCOUNT_TYPES:
            errors["account_type"] = f"Account type must be one of {', '.join(ACCOUNT_TYPES)}"
        out["account_type"] = data["account_type"]
    if "language" in data:
        if data["language"] not in LANGUAGES:
            errors["language"] = f"Language must be one of {', '.join(LANGUAGES)}"
        out["language"] = data["language"]
    if "tax_exempt" in data:
        out["tax_exempt"] = bool(data["tax_exempt"])
    if errors:
        raise ValidationError(errors)
    if "email" in out:
        out["email_key"] = normalize_email(out["email"])
    return out


def _with_name_keys(fields: dict[str, Any], current: Customer | None = None) -> dict[str, Any]:
    first = fields.get("first_name", current.first_name if current else "")
    last = fields.get("last_name", current.last_name if current else "")
    fields["name_key"] = f"{first} {last}".strip().lower()
    fields["last_key"] = last.lower()
    return fields


def _email_taken(email_key: str, exclude_id: int | None = None) -> bool:
    q = Customer.select().where(Customer.email_key == email_key)
    if exclude_id is not None:
        q = q.where(Customer.id != exclude_id)
    return q.exists()


def _customer_snapshot(c: Customer) -> dict[str, Any]:
    return {k: getattr(c, k) for k in ("first_name", "last_name", "email", "phone", "status",
                                       "account_type", "tax_exempt", "language", "default_group_id",
                                       "version")}


def create_customer(data: dict[str, Any], *, group_id: int | None = None, password: str | None = None,
                    billing: dict[str, Any] | None = None, registered_at: dt.datetime | None = None,
                    actor: str | None = None) -> Customer:
    """Create a customer in General (or ``group_id``), optionally with a
    temporary password and a billing address.  Email is required and unique
    whatever its case; nothing is saved unless everything is valid."""
    errors: dict[str, str] = {}
    fields: dict[str, Any] = {}
    address = None
    try:
        fields = _with_name_keys(_clean_customer_fields(data, creating=True))
    except ValidationError as exc:
        errors.update(exc.errors)
    if billing is not None and any(str(v or "").strip() for v in billing.values()):
        try:
            address = _clean_address(billing, "billing")
        except ValidationError as exc:
            errors.update(exc.errors)
    if password is not None:
        try:
            _check_password(password)
        except ValidationError as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationError(errors)
    with db.atomic():
        if _email_taken(fields["email_key"]):
            raise ValidationError({"email": f"{fields['email']} is already used by another customer"})
        group = get_group(group_id) if group_id is not None else general_group()
        _check_assignable(group)
        if password is not None:
            fields["password_hash"] = hash_password(password)
        try:
            with db.atomic():
                c = Customer.create(default_group=group.id, registered_at=registered_at or utcnow(), **fields)
        except pw.IntegrityError:
            raise ValidationError({"email": f"{fields['email']} is already used by another customer"}) from None
        Membership.create(customer=c.id, group=group.id, added_by=actor or current_actor())
        if address is not None:
            Address.create(customer=c.id, kind="billing", **address)
        audit("customer.create", "customer", c.id,
              after={**_customer_snapshot(c), "password_set": password is not None,
                     "billing": address}, actor=actor)
    return c


def get_customer(customer_id: int) -> Customer:
    c = Customer.get_or_none(Customer.id == customer_id)
    if c is None:
        raise NotFoundError(f"No customer with id {customer_id}")
    return c


def update_customer(customer_id: int, changes: dict[str, Any], *, expected_version: int,
                    actor: str | None = None) -> Customer:
    """Change a customer's account fields, refusing a concurrent edit."""
    fields = _clean_customer_fields(changes, creating=False)
    with db.atomic():
        c = get_customer(customer_id)
        if "email_key" in fields and _email_taken(fields["email_key"], exclude_id=c.id):
            raise ValidationError({"email": f"{fields['email']} is already used by another customer"})
        if "first_name" in fields or "last_name" in fields:
            _with_name_keys(fields, c)
        before = _customer_snapshot(c)
        fields.update(version=Customer.version + 1, updated_at=utcnow())
        n = (Customer.update(**fields)
             .where((Customer.id == customer_id) & (Customer.version == expected_version)).execute())
        if n != 1:
            raise ConflictError(
                f"Someone else changed {c.full_name or c.email} since you opened it. "
                "Reload to see their changes, then apply yours again.")
        c = get_customer(customer_id)
        audit("customer.update", "customer", c.id, before=before, after=_customer_snapshot(c), actor=actor)
    return c


def disable_customer(customer_id: int, *, actor: str | None = None) -> Customer:
    c = get_customer(customer_id)
    return update_customer(customer_id, {"status": "disabled"}, expected_version=c.version, actor=actor)


@dataclasses.dataclass
class CustomerRow:
    id: int
    first_name: str
    last_name: str
    email: str
    status: str
    registered_at: dt.datetime
    total_spent: Decimal
    order_count: int
    default_group: str
    groups: list[str]

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


def customer_query(flt: CustomerFilter | None = None) -> pw.ModelSelect:
    q = Customer.select()
    expr = flt.expression() if flt else None
    return q.where(expr) if expr is not None else q


def count_customers(flt: CustomerFilter | None = None) -> int:
    return customer_query(flt).count()


def customer_page(flt: CustomerFilter | None = None, *, sort: str = "registered", descending: bool = False,
                  offset: int = 0, limit: int = 50) -> list[CustomerRow]:
    """One page of customers, with their group codes, in two indexed queries."""
    if sort not in CUSTOMER_SORTS:
        raise ValidationError({"sort": f"Cannot sort customers by {sort!r}"})
    order = [f.desc() if descending else f.asc() for f in CUSTOMER_SORTS[sort]]
    order.append(Customer.id.desc() if descending else Customer.id.asc())
    q = (customer_query(flt)
         .select(Customer.id, Customer.first_name, Customer.last_name, Customer.email, Customer.status,
                 Customer.registered_at, Customer.total_spent, Customer.order_count,
                 Customer.default_group)
         .order_by(*order).offset(max(0, offset)).limit(limit))
    rows = list(q.tuples())
    ids = [r[0] for r in rows]
    codes = dict(CustomerGroup.select(CustomerGroup.id, CustomerGroup.code).tuples())
    groups: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        for cid, gid in (Membership.select(Membership.customer, Membership.group)
                         .where(Membership.customer.in_(ids)).tuples()):
            groups[cid].append(codes.get(gid, "?"))
    return [CustomerRow(id=r[0], first_name=r[1], last_name=r[2], email=r[3], status=r[4],
                        registered_at=r[5], total_spent=money(r[6]), order_count=r[7] or 0,
                        default_group=codes.get(r[8], "?"), groups=sorted(groups[r[0]]))
            for r in rows]


def selected_among(sel: Selection, ids: Sequence[int], model: type[BaseModel] | None = None) -> set[int]:
    """Which of ``ids`` (a page on screen) are in the selection."""
    model = model or Customer
    if not ids or sel.op == "none":
        return set()
    if sel.op == "all":
        return set(ids)
    q = sel.query(model.id, model=model).where(model.id.in_(list(ids)))
    return {r[0] for r in q.tuples()}


def customer_groups(customer_id: int) -> list[CustomerGroup]:
    return list(CustomerGroup.select().join(Membership, on=(Membership.group == CustomerGroup.id))
                .where(Membership.customer == customer_id).order_by(CustomerGroup.name))


# --------------------------------------------------------------------------
# Orders (enough for history, total spent and order count)
# --------------------------------------------------------------------------


def place_order(customer_id: int, lines: Sequence[tuple[int, int]], *, placed_at: dt.datetime | None = None,
                actor: str | None = None) -> Order:
    """Record an order of ``(product_id, quantity)`` lines at today's prices."""
    if not lines:
        raise ValidationError({"lines": "An order needs at least one line"})
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


# --------------------------------------------------------------------------
# Passwords
# --------------------------------------------------------------------------

_SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1}


def hash_password(password: str) -> str:
    """An scrypt hash (the standard library's, no extra dependency)."""
    if not password:
        raise ValidationError({"password": "Password cannot be empty"})
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str | None) -> bool:
    if not stored or not stored.startswith("scrypt$"):
        return False
    _, n, r, p, salt, digest = stored.split("$")
    candidate = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                               dklen=len(digest) // 2)
    return hmac.compare_digest(candidate.hex(), digest)


# --------------------------------------------------------------------------
# Customers: addresses, orders, reward points, passwords, erasure
# --------------------------------------------------------------------------

ADDRESS_LIMITS = {"name": 200, "line1": 200, "line2": 200, "city": 100, "region": 100,
                  "postcode": 20, "country": 2}


def _clean_address(data: dict[str, Any], kind: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    out: dict[str, str] = {}
    unknown = set(data) - set(ADDRESS_LIMITS)
    if unknown:
        raise ValidationError({f"{kind}.{k}": "Not an address field" for k in sorted(unknown)})
    for name, limit in ADDRESS_LIMITS.items():
        value = str(data.get(name) or "").strip()
        if name == "country":
            value = value.upper()
            if value and not re.fullmatch(r"[A-Z]{2}", value):
                errors[f"{kind}.country"] = "Country must be a two-letter code such as GB or DE"
        if len(value) > limit:
            errors[f"{kind}.{name}"] = f"{name.capitalize()} must be at most {limit} characters"
        elif has_control_chars(value):
            errors[f"{kind}.{name}"] = f"{name.capitalize()} cannot contain control characters"
        out[name] = value
    if errors:
        raise ValidationError(errors)
    return out


def _address_snapshot(customer_id: int) -> dict[str, Any]:
    return {a.kind: {k: getattr(a, k) for k in ADDRESS_LIMITS}
            for a in Address.select().where(Address.customer == customer_id)}


def get_addresses(customer_id: int) -> dict[str, Address | None]:
    """The billing and shipping addresses.  No shipping address means
    "ship to the billing address"."""
    found = {a.kind: a for a in Address.select().where(Address.customer == customer_id)}
    return {kind: found.get(kind) for kind in ADDRESS_KINDS}


def _bump_customer_version(c: Customer, expected_version: int) -> None:
    n = (Customer.update(version=Customer.version + 1, updated_at=utcnow())
         .where((Customer.id == c.id) & (Customer.version == expected_version)).execute())
    if n != 1:
        raise ConflictError(
            f"Someone else changed {c.full_name or c.email} since you opened it. "
            "Reload to see their changes, then apply yours again.")


def save_addresses(customer_id: int, *, billing: dict[str, Any] | None, shipping: dict[str, Any] | None,
                   shipping_same_as_billing: bool, expected_version: int,
                   actor: str | None = None) -> Customer:
    """Replace a customer's addresses.  With ``shipping_same_as_billing`` the
    separate shipping address is removed, so shipping follows billing; without
    it the two are independent and editing one never changes the other."""
    errors: dict[str, str] = {}
    clean: dict[str, dict[str, str] | None] = {"billing": None, "shipping": None}
    for kind, data in (("billing", billing), ("shipping", None if shipping_same_as_billing else shipping)):
        if data is not None:
            try:
                clean[kind] = _clean_address(data, kind)
            except ValidationError as exc:
                errors.update(exc.errors)
    if errors:
        raise ValidationError(errors)
    with db.atomic():
        c = get_customer(customer_id)
        before = _address_snapshot(c.id)
        _bump_customer_version(c, expected_version)
        for kind in ADDRESS_KINDS:
            data = clean[kind]
            if kind == "shipping" and shipping_same_as_billing:
                Address.delete().where((Address.customer == c.id) & (Address.kind == "shipping")).execute()
            elif data is not None:
                updated = (Address.update(**data)
                           .where((Address.customer == c.id) & (Address.kind == kind)).execute())
                if not updated:
                    Address.create(customer=c.id, kind=kind, **data)
        audit("customer.addresses", "customer", c.id, before=before, after=_address_snapshot(c.id), actor=actor)
        return get_customer(c.id)


def set_default_group(customer_id: int, group_id: int, *, expected_version: int,
                      actor: str | None = None) -> Customer:
    """Make ``group_id`` the customer's default group (joining it if needed)."""
    with db.atomic():
        c = get_customer(customer_id)
        g = get_group(group_id)
        _check_assignable(g)
        before = c.default_group_id
        _bump_customer_version(c, expected_version)
        _insert_members_from(g, Customer.select(Customer.id).where(Customer.id == c.id), actor=actor)
        Customer.update(default_group=g.id).where(Customer.id == c.id).execute()
        audit("customer.default_group", "customer", c.id, before={"default_group_id": before},
              after={"default_group_id": g.id}, actor=actor)
        return get_customer(c.id)


@dataclasses.dataclass
class OrderRow:
    id: int
    number: str
    placed_at: dt.datetime
    status: str
    total: Decimal
    items: int


def customer_orders(customer_id: int, *, offset: int = 0, limit: int = 50) -> list[OrderRow]:
    """A customer's orders, newest first, with how many items each held."""
    items = (OrderLine.select(pw.fn.COALESCE(pw.fn.SUM(OrderLine.quantity), 0))
             .where(OrderLine.order == Order.id))
    q = (Order.select(Order.id, Order.number, Order.placed_at, Order.status, Order.total, items.alias("items"))
         .where(Order.customer == customer_id)
         .order_by(Order.placed_at.desc(), Order.id.desc()).offset(offset).limit(limit))
    return [OrderRow(id=r[0], number=r[1], placed_at=r[2], status=r[3], total=money(r[4]), items=int(r[5] or 0))
            for r in q.tuples()]


def reward_balance(customer_id: int) -> int:
    return int(RewardPointEntry.select(pw.fn.COALESCE(pw.fn.SUM(RewardPointEntry.delta), 0))
               .where(RewardPointEntry.customer == customer_id).scalar() or 0)


def reward_ledger(customer_id: int, *, offset: int = 0, limit: int = 50) -> list[RewardPointEntry]:
    return list(RewardPointEntry.select().where(RewardPointEntry.customer == customer_id)
                .order_by(RewardPointEntry.created_at.desc(), RewardPointEntry.id.desc())
                .offset(offset).limit(limit))


def adjust_reward_points(customer_id: int, delta: Any, reason: str, *,
                         actor: str | None = None) -> RewardPointEntry:
    """An admin's adjustment to the points ledger; the reason is required and
    the balance can never go below zero."""
    errors: dict[str, str] = {}
    try:
        points = int(str(delta).strip().replace(",", ""))
    except ValueError:
        errors["delta"] = f"Points must be a whole number, not {clean_line(str(delta))!r}"
        points = 0
    else:
        if points == 0:
            errors["delta"] = "An adjustment cannot be zero"
        elif abs(points) > 1_000_000:
            errors["delta"] = "An adjustment is at most 1,000,000 points"
    reason = (reason or "").strip()
    if not reason:
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
                                        created_by=actor or current_actor())
        audit("customer.reward_points", "customer", c.id, before={"balance": balance},
              after={"balance": balance + points, "delta": points, "reason": reason}, actor=actor)
    return entry


PASSWORD_MIN, PASSWORD_MAX = 8, 128
_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def generate_password(length: int = 14) -> str:
    """A random password without look-alike characters (no l/1, O/0)."""
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length))


def _check_password(password: str) -> None:
    if len(password) < PASSWORD_MIN:
        raise ValidationError({"password": f"A password needs at least {PASSWORD_MIN} characters"})
    if len(password) > PASSWORD_MAX:
        raise ValidationError({"password": f"A password is at most {PASSWORD_MAX} characters"})
    if has_control_chars(password):
        raise ValidationError({"password": "A password cannot contain control characters"})


def reset_password(customer_id: int, password: str | None = None, *, actor: str | None = None) -> str:
    """Set a temporary password (generated when none is given) and return it,
    for the caller to show once.  Only its hash is stored; the audit entry
    says that it changed, never what to."""
    generated = password is None
    password = generate_password() if generated else password
    _check_password(password)
    with db.atomic():
        c = get_customer(customer_id)
        Customer.update(password_hash=hash_password(password), updated_at=utcnow(),
                        version=Customer.version + 1).where(Customer.id == c.id).execute()
        audit("customer.password_reset", "customer", c.id, after={"generated": generated}, actor=actor)
    return password


PERSONAL_FIELDS = ("first_name", "last_name", "email", "phone")


def erase_customer(customer_id: int, confirm_email: str, *, actor: str | None = None) -> Customer:
    """Erase a customer's personal data (a data-protection request).

    Personal fields become placeholders, the password and addresses go, and
    personal values are scrubbed from earlier audit entries about the
    customer.  Orders and reviews stay, for the books.  ``confirm_email``
    must be the customer's email, typed again."""
    with db.atomic():
        c = get_customer(customer_id)
        if normalize_email(confirm_email or "") != c.email_key:
            raise ValidationError({"confirm_email": "Type the customer's email exactly to confirm the erasure"})
        placeholder = f"erased-{c.id}@erased.invalid"
        Customer.update(first_name="Erased", last_name="customer", email=placeholder, email_key=placeholder,
                        name_key="erased customer", last_key="customer", phone="", password_hash=None,
                        status="disabled", version=Customer.version + 1,
                        updated_at=utcnow()).where(Customer.id == c.id).execute()
        Address.delete().where(Address.customer == c.id).execute()
        for entry in AuditEntry.select().where((AuditEntry.entity == "customer")
                                               & (AuditEntry.entity_id == str(c.id))):
            AuditEntry.update(before=_scrub(entry.before), after=_scrub(entry.after)).where(
                AuditEntry.id == entry.id).execute()
        audit("customer.erase", "customer", c.id, after={"erased": True}, actor=actor)
        return get_customer(c.id)


def _scrub(payload: str | None) -> str | None:
    if not payload:
        return payload
    data = json.loads(payload)

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: "[erased]" if k in PERSONAL_FIELDS or k in ADDRESS_LIMITS else walk(v)
                    for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return json.dumps(walk(data), sort_keys=True)


# --------------------------------------------------------------------------
# Reviews and moderation
# --------------------------------------------------------------------------


def _verified_purchase() -> pw.Node:
    """True where the reviewer has an order containing the product."""
    return pw.fn.EXISTS(
        OrderLine.select(pw.SQL("1")).join(Order, on=(OrderLine.order == Order.id))
        .where((Order.customer == Review.customer) & (OrderLine.product == Review.product)))


@dataclasses.dataclass(frozen=True)
class ReviewFilter:
    """What a moderator narrows the queue by.  ``text`` is found anywhere in
    the title or body, ignoring case."""

    status: str | None = None
    rating: int | None = None
    product_id: int | None = None
    customer_id: int | None = None
    created_from: dt.date | None = None
    created_to: dt.date | None = None  # inclusive
    text: str = ""

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
        text = self.text.strip()
        if text:
            conds.append(Review.title.contains(text) | Review.body.contains(text))
        return functools.reduce(lambda a, b: a & b, conds) if conds else None

    def describe(self) -> dict[str, Any]:
        return {k: v for k, v in dataclasses.asdict(self).items() if v not in (None, "")}


def build_review_filter(*, status: str = "", rating: str = "", product: str = "", customer: str = "",
                        created_from: str = "", created_to: str = "", text: str = "",
                        today: dt.date | None = None) -> ReviewFilter:
    """A :class:`ReviewFilter` from what a moderator typed: product by SKU,
    customer by email; errors per field."""
    errors: dict[str, str] = {}
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
                        created_from=dates["created_from"], created_to=dates["created_to"], text=text.strip())


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
    customer_id: int
    customer: str
    verified: bool
    moderated_at: dt.datetime | None
    moderated_by: str | None
    reject_reason: str | None

    @property
    def first_line(self) -> str:
        return (self.body or "").strip().split("\n", 1)[0]


def _review_rows(q: pw.ModelSelect) -> list[ReviewRow]:
    q = q.select(Review.id, Review.rating, Review.title, Review.body, Review.status, Review.created_at,
                 Review.product, Product.name, Review.customer, Customer.first_name, Customer.last_name,
                 _verified_purchase(), Review.moderated_at, Review.moderated_by, Review.reject_reason,
                 ).join_from(Review, Product, on=(Review.product == Product.id)
                             ).join_from(Review, Customer, on=(Review.customer == Customer.id))
    return [ReviewRow(id=r[0], rating=r[1], title=r[2], body=r[3], status=r[4], created_at=r[5], product_id=r[6],
                      product=r[7], customer_id=r[8], customer=f"{r[9]} {r[10]}".strip(), verified=bool(r[11]),
                      moderated_at=r[12], moderated_by=r[13], reject_reason=r[14])
            for r in q.tuples()]


def _review_query(flt: ReviewFilter | None) -> pw.ModelSelect:
    q = Review.select()
    expr = flt.expression() if flt else None
    return q.where(expr) if expr is not None else q


def review_page(flt: ReviewFilter | None = None, *, offset: int = 0, limit: int = 50,
                newest_first: bool = False) -> list[ReviewRow]:
    """A page of the queue, oldest first unless told otherwise.  Deep in the
    queue, the rows to skip are counted in the index alone (ids only), and
    only the page's own rows are read in full."""
    order = ([Review.created_at.desc(), Review.id.desc()] if newest_first
             else [Review.created_at.asc(), Review.id.asc()])
    q = _review_query(flt).order_by(*order).offset(max(0, offset)).limit(limit)
    if offset <= 0:
        return _review_rows(q)
    ids = [i for (i,) in q.select(Review.id).tuples()]
    return _review_rows(Review.select().where(Review.id.in_(ids)).order_by(*order)) if ids else []


def get_review(review_id: int) -> ReviewRow:
    rows = _review_rows(Review.select().where(Review.id == review_id))
    if not rows:
        raise NotFoundError(f"No review with id {review_id}")
    return rows[0]


def count_reviews(flt: ReviewFilter | None = None) -> int:
    return _review_query(flt).count()


def review_position(flt: ReviewFilter | None, review_id: int) -> int | None:
    """Where review ``review_id`` is in the queue of ``flt`` (oldest first,
    as :func:`review_page` orders it): how many matching reviews come before
    it, or None if it does not match (or does not exist).  Counted, never read."""
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
    return list(ReviewEvent.select().where(ReviewEvent.review == review_id)
                .order_by(ReviewEvent.at, ReviewEvent.id))


def moderate_reviews(sel: Selection, status: str, *, reason: str | None = None,
                     actor: str | None = None) -> int:
    """Approve, reject (with an optional reason) or put back to pending every
    review in ``sel`` whose status differs; set-based and all-or-nothing.
    Returns how many reviews changed."""
    if status not in REVIEW_STATUSES:
        raise ValidationError({"status": f"Status must be one of {', '.join(REVIEW_STATUSES)}"})
    reason = (reason or "").strip() or None
    if reason is not None:
        if status != "rejected":
            raise ValidationError({"reason": "Only a rejection takes a reason"})
        if len(reason) > 500:
            raise ValidationError({"reason": "The reason must be at most 500 characters"})
        if has_control_chars(reason.replace("\n", "")):
            raise ValidationError({"reason": "The reason cannot contain control characters"})
    who, now = actor or current_actor(), utcnow()
    with db.atomic():
        expr = sel.expression(Review)
        changing = Review.status != status
        where = changing if expr is None else (expr & changing)
        # The history first: once updated, the rows no longer differ.
        history = Review.select(Review.id, pw.Value(status), pw.Value(reason), pw.Value(now), pw.Value(who)).where(where)
        ReviewEvent.insert_from(history, [ReviewEvent.review, ReviewEvent.status, ReviewEvent.reason,
                                          ReviewEvent.at, ReviewEvent.actor]).as_rowcount().execute()
        pending = status == "pending"
        changed = Review.update(
            status=status, moderated_at=None if pending else now, moderated_by=None if pending else who,
            reject_reason=reason if status == "rejected" else None).where(where).execute()
        audit("review.moderate", "review", None, after={"status": status, "reason": reason, "changed": changed,
                                                         "selection": sel.describe()}, actor=actor)
    return changed


# --------------------------------------------------------------------------
# What a group grants: access, discounts, tax class; explain
# --------------------------------------------------------------------------
#
# The rules, in one place (the README repeats them):
# - Visibility.  A category that is not restricted is visible to everyone.
#   A restricted category is visible only to members of a group ticked for
#   it (CategoryAccess).  A visitor who is not logged in counts as a member
#   of Guest, and of nothing else.
# - Discount.  For each of the customer's groups, the discount that applies
#   to a product is that group's discount for the product's category when
#   it has one (it replaces, not adds to, the group's general discount),
#   else the group's general discount.  The customer gets the best of these;
#   a tie goes to the default group, then to the group with the lowest id.
# - Tax class.  The default group's tax class, unless the customer is tax
#   exempt.  A visitor gets Guest's.
# - Free shipping, if any of the customer's groups grants it.
# Hidden groups grant their benefits like any other; they are only kept out
# of what a customer can be shown.


def _clean_percent(raw: Any, field: str) -> Decimal:
    try:
        value = Decimal(str(raw).strip())
        if not value.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        raise ValidationError({field: f"Discount must be a number from 0 to 100, not {clean_line(str(raw))!r}"}) from None
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


def set_category_access(group_id: int, category_ids: Iterable[int], *, actor: str | None = None) -> set[int]:
    """Which restricted categories the group's members may see (its Access
    ticks).  Guest's ticks are what visitors who are not logged in may see,
    so they may be set although Guest itself is locked."""
    wanted = {int(c) for c in category_ids}
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


def set_category_restricted(category_id: int, restricted: bool, *, actor: str | None = None) -> Category:
    with db.atomic():
        cat = Category.get_or_none(Category.id == category_id)
        if cat is None:
            raise NotFoundError(f"No category with id {category_id}")
        if cat.restricted != bool(restricted):
            Category.update(restricted=bool(restricted)).where(Category.id == cat.id).execute()
            audit("category.restricted", "category", cat.id, before={"restricted": cat.restricted},
                  after={"restricted": bool(restricted)}, actor=actor)
        return Category.get_by_id(cat.id)


def category_discounts(group_id: int) -> dict[int, Decimal]:
    return {c: Decimal(d) for c, d in CategoryDiscount.select(CategoryDiscount.category, CategoryDiscount.discount_percent)
            .where(CategoryDiscount.group == group_id).tuples()}


def set_category_discount(group_id: int, category_id: int, percent: Any, *, actor: str | None = None) -> None:
    """Set (or, with ``None`` or "", remove) a group's discount for one
    category.  In that category it replaces the group's general discount."""
    value = None if percent in (None, "") else _clean_percent(percent, "discount_percent")
    with db.atomic():
        g = get_group(group_id)
        _check_unlocked(g)
        if not Category.select().where(Category.id == category_id).exists():
            raise NotFoundError(f"No category with id {category_id}")
        before = category_discounts(g.id).get(category_id)
        CategoryDiscount.delete().where((CategoryDiscount.group == g.id)
                                        & (CategoryDiscount.category == category_id)).execute()
        if value is not None:
            CategoryDiscount.create(group=g.id, category=category_id, discount_percent=value)
        audit("group.category_discount", "group", g.id, before={"category_id": category_id, "discount": before},
              after={"category_id": category_id, "discount": value}, actor=actor)


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
        product = Product.get_or_none(Product.id == product_id)
        if product is None:
            raise NotFoundError(f"No product with id {product_id}")
        category_id = product.category_id
    if category_id is None:
        raise ValidationError({"product": "Choose a product or a category"})
    category = Category.get_or_none(Category.id == category_id)
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


# --------------------------------------------------------------------------
# Automatic assignment by rules
# --------------------------------------------------------------------------

RULE_FIELDS: dict[str, tuple[str, ...]] = {
    "total_spent": (">=", "<="),
    "order_count": (">=", "<="),
    "registered": ("before", "after", "within"),
    "status": ("=",),
    "country": ("=",),
}


@dataclasses.dataclass(frozen=True)
class Rule:
    field: str
    op: str
    value: str

    def expression(self, today: dt.date) -> pw.Expression:
        f, op, v = self.field, self.op, self.value
        if f in ("total_spent", "order_count"):
            column = Customer.total_spent if f == "total_spent" else Customer.order_count
            number = Decimal(v.replace(",", "")) if f == "total_spent" else int(v)
            return column >= number if op == ">=" else column <= number
        if f == "registered":
            if op == "within":
                return Customer.registered_at >= _day_start(_period_start(v, today))
            day = _day_start(parse_date(v, today=today))
            return Customer.registered_at < day if op == "before" else Customer.registered_at >= day + dt.timedelta(days=1)
        if f == "status":
            return Customer.status == v
        return Customer.id.in_(Address.select(Address.customer).where(
            (Address.kind == "billing") & (Address.country == v.upper())))

    def describe(self) -> str:
        return f"{self.field} {self.op} {self.value}"


def _period_start(text: str, today: dt.date) -> dt.date:
    """The first day of "last 6 months", "6 months", "90 days"…"""
    t = " ".join(text.lower().split())
    if not t.startswith(("last ", "past ")):
        t = f"last {t}"
    m = _RELATIVE_RE.match(t)
    if not m:
        raise DateParseError(f"Cannot understand the period {text!r}: try 6 months, 90 days or 2 years.")
    return parse_date(t, today=today)


def _clean_rules(match: str, rules: Sequence[dict[str, Any]]) -> tuple[str, list[Rule]]:
    errors: dict[str, str] = {}
    if match not in ("all", "any"):
        errors["match"] = "Rules combine with all or any"
    out: list[Rule] = []
    for i, raw in enumerate(rules):
        key = f"rules[{i}]"
        field, op, value = (str(raw.get(k) or "").strip() for k in ("field", "op", "value"))
        if field not in RULE_FIELDS:
            errors[key] = f"Unknown rule field {clean_line(field)!r}: use one of {', '.join(RULE_FIELDS)}"
            continue
        if op not in RULE_FIELDS[field]:
            errors[key] = f"{field} takes {' or '.join(RULE_FIELDS[field])}, not {clean_line(op)!r}"
            continue
        try:
            if field == "total_spent":
                if parse_money(value, key) is None:
                    raise ValidationError({key: "An amount is required"})
            elif field == "order_count":
                if not value.isdigit():
                    raise ValidationError({key: f"Order count must be a whole number, not {clean_line(value)!r}"})
            elif field == "registered":
                (_period_start if op == "within" else parse_date)(value, today=dt.date.today())
            elif field == "status" and value not in CUSTOMER_STATUSES:
                raise ValidationError({key: f"Status must be one of {', '.join(CUSTOMER_STATUSES)}"})
            elif field == "country" and not re.fullmatch(r"[A-Za-z]{2}", value):
                raise ValidationError({key: "Country must be a two-letter code such as GB"})
        except ValidationError as exc:
            errors.update(exc.errors)
            continue
        except DateParseError as exc:
            errors[key] = str(exc)
            continue
        out.append(Rule(field, op, value.upper() if field == "country" else value))
    if errors:
        raise ValidationError(errors)
    return match, out


def get_rules(group_id: int) -> tuple[str, list[Rule]]:
    row = GroupRuleSet.get_or_none(GroupRuleSet.group == group_id)
    if row is None:
        return "all", []
    return row.match, [Rule(**r) for r in json.loads(row.rules)]


def set_rules(group_id: int, match: str, rules: Sequence[dict[str, Any]], *, actor: str | None = None) -> list[Rule]:
    """Store a group's rules (an empty list removes them).  Nothing changes
    membership until the rules are applied."""
    match, clean = _clean_rules(match, rules)
    with db.atomic():
        g = get_group(group_id)
        _check_unlocked(g)
        before = get_rules(g.id)
        GroupRuleSet.delete().where(GroupRuleSet.group == g.id).execute()
        if clean:
            GroupRuleSet.create(group=g.id, match=match,
                                rules=json.dumps([dataclasses.asdict(r) for r in clean]), updated_at=utcnow())
        audit("group.rules", "group", g.id, before={"match": before[0], "rules": [r.describe() for r in before[1]]},
              after={"match": match, "rules": [r.describe() for r in clean]}, actor=actor)
    return clean


def _rules_expression(match: str, rules: Sequence[Rule], today: dt.date) -> pw.Expression:
    exprs = [r.expression(today) for r in rules]
    return functools.reduce((lambda a, b: a & b) if match == "all" else (lambda a, b: a | b), exprs)


@dataclasses.dataclass
class RulePreview:
    group_id: int
    code: str
    joining: int
    leaving: int
    sample_joining: list[CustomerRow]
    sample_leaving: list[CustomerRow]


def _rule_sets(g: CustomerGroup, today: dt.date) -> tuple[pw.ModelSelect, pw.Expression] | None:
    """Who would join (a customer query) and which memberships would go."""
    match, rules = get_rules(g.id)
    if not rules:
        return None
    matches = _rules_expression(match, rules, today)
    members = Membership.select(Membership.customer).where(Membership.group == g.id)
    joining = Customer.select(Customer.id).where(matches & Customer.id.not_in(members))
    # Only rule-made memberships leave: an admin's choice stands.
    leaving = (Membership.source == "rule") & Membership.customer.not_in(Customer.select(Customer.id).where(matches))
    return joining, leaving


def preview_rules(group_id: int, *, today: dt.date | None = None, sample: int = 10) -> RulePreview:
    """How many customers applying the group's rules would add and remove, with samples."""
    today = today or dt.date.today()
    g = get_group(group_id)
    sets = _rule_sets(g, today)
    if sets is None:
        return RulePreview(g.id, g.code, 0, 0, [], [])
    joining, leaving = sets
    leaving_ids = Membership.select(Membership.customer).where((Membership.group == g.id) & leaving)
    join_flt = _IdsIn(joining)
    leave_flt = _IdsIn(leaving_ids)
    return RulePreview(g.id, g.code, joining.count(), leaving_ids.count(),
                       customer_page(join_flt, sort="name", limit=sample),  # type: ignore[arg-type]
                       customer_page(leave_flt, sort="name", limit=sample))  # type: ignore[arg-type]


@dataclasses.dataclass(frozen=True)
class _IdsIn:
    """A filter for :func:`customer_page`: the customers a subquery yields."""

    ids: pw.ModelSelect

    def expression(self) -> pw.Expression:
        return Customer.id.in_(self.ids)


def apply_rules(group_id: int | None = None, *, dry_run: bool = False, today: dt.date | None = None,
                actor: str | None = None) -> list[RulePreview]:
    """Apply the rules of one group (or of every group that has rules):
    matching customers join (marked as rule-made) and rule-made members who
    no longer match leave; members an admin added stay.  All groups in one
    transaction, set-based, audited, with notifications queued.  With
    ``dry_run`` nothing is written and the result is the preview."""
    today = today or dt.date.today()
    if group_id is not None:
        ids = [get_group(group_id).id]
    else:
        ids = [g for (g,) in GroupRuleSet.select(GroupRuleSet.group).order_by(GroupRuleSet.group).tuples()]
    if dry_run:
        return [preview_rules(i, today=today, sample=0) for i in ids]
    results = []
    with db.atomic():
        for gid in ids:
            g = get_group(gid)
            _check_unlocked(g)
            sets = _rule_sets(g, today)
            if sets is None:
                results.append(RulePreview(g.id, g.code, 0, 0, [], []))
                continue
            joining, leaving = sets
            removed = _remove_members_where(g, leaving, actor=actor, source="rule")
            added = _insert_members_from(g, joining, actor=actor, source="rule")
            if added or removed:
                CustomerGroup.update(version=CustomerGroup.version + 1).where(CustomerGroup.id == g.id).execute()
            audit("group.rules_apply", "group", g.id, after={"joined": added, "left": removed,
                                                             "today": today}, actor=actor)
            results.append(RulePreview(g.id, g.code, added, removed, [], []))
    return results


# --------------------------------------------------------------------------
# The outbox
# --------------------------------------------------------------------------


@dataclasses.dataclass
class OutboxRow:
    id: int
    customer_id: int
    name: str
    email: str
    group: str
    event: str
    source: str
    created_at: dt.datetime
    exported_at: dt.datetime | None


_OUTBOX_MARK = "outbox_exported_through"


def outbox_watermark() -> int:
    """Every notification with an id up to this one has been exported
    (exports always take everything queued so far)."""
    row = SchemaMeta.get_or_none(SchemaMeta.key == _OUTBOX_MARK)
    return int(row.value) if row else 0


def _pending() -> pw.Expression:
    return Notification.id > outbox_watermark()


def outbox(*, include_exported: bool = False, after_id: int = 0, limit: int = 100) -> list[OutboxRow]:
    """Notifications in the order they were queued, ``limit`` at a time
    after ``after_id`` (keyset paging)."""
    q = (Notification.select(Notification.id, Notification.customer, Customer.first_name, Customer.last_name,
                             Customer.email, Notification.group_name, Notification.event, Notification.source,
                             Notification.created_at, Notification.exported_at)
         .join(Customer, on=(Notification.customer == Customer.id))
         .where(Notification.id > after_id))
    if not include_exported:
        q = q.where(_pending())
    q = q.order_by(Notification.id).limit(limit)
    return [OutboxRow(r[0], r[1], f"{r[2]} {r[3]}".strip(), r[4], r[5], r[6], r[7], r[8], r[9]) for r in q.tuples()]


def outbox_count(*, include_exported: bool = False) -> int:
    q = Notification.select()
    return (q if include_exported else q.where(_pending())).count()


def export_outbox(path: str | os.PathLike, *, fmt: str = "csv", sender: str = "shop@example.com",
                  actor: str | None = None) -> int:
    """Write the notifications not yet exported to ``path`` (CSV, or an mbox
    of ready-to-send messages) and mark them exported.  Nothing is sent.
    Returns how many were written; the file is complete or not there."""
    import csv
    import mailbox
    from email.message import EmailMessage

    if fmt not in ("csv", "mbox"):
        raise ValidationError({"format": "Export as csv or mbox"})
    target = Path(path)
    tmp = target.with_name(target.name + ".partial")
    with db.atomic():
        mark = outbox_watermark()
        last_id = Notification.select(pw.fn.MAX(Notification.id)).scalar()
        if last_id is None or last_id <= mark:
            return 0
        written, after = 0, mark
        tmp.unlink(missing_ok=True)
        box = mailbox.mbox(str(tmp)) if fmt == "mbox" else None
        handle = open(tmp, "w", newline="", encoding="utf-8") if fmt == "csv" else None
        failed = True
        try:
            writer = csv.writer(handle) if handle else None
            if writer:
                writer.writerow(["id", "customer_id", "name", "email", "group", "event", "source", "created_at"])
            while True:
                rows = [r for r in outbox(after_id=after, limit=5000) if r.id <= last_id]
                if not rows:
                    break
                for r in rows:
                    if writer:
                        writer.writerow([r.id, r.customer_id, r.name, r.email, r.group, r.event, r.source,
                                         r.created_at.isoformat(sep=" ") if isinstance(r.created_at, dt.datetime)
                                         else r.created_at])
                    else:
                        msg = EmailMessage()
                        msg["From"], msg["To"] = sender, r.email
                        joined = r.event == "joined"
                        msg["Subject"] = f"You have {'joined' if joined else 'left'} {clean_line(r.group)}"
                        msg.set_content(f"Hello {clean_line(r.name)},\n\nYour account has "
                                        f"{'joined' if joined else 'left'} the {clean_line(r.group)} group.\n")
                        box.add(msg)  # type: ignore[union-attr]
                written += len(rows)
                after = rows[-1].id
            failed = False
        finally:
            if handle:
                handle.close()
            if box is not None:
                box.flush()
                box.close()
            if failed:
                tmp.unlink(missing_ok=True)
        try:
            Notification.update(exported_at=utcnow()).where(
                (Notification.id > mark) & (Notification.id <= last_id)).execute()
            if not SchemaMeta.update(value=str(last_id)).where(SchemaMeta.key == _OUTBOX_MARK).execute():
                SchemaMeta.create(key=_OUTBOX_MARK, value=str(last_id))
            audit("outbox.export", "outbox", None, after={"count": written, "format": fmt, "path": str(target)},
                  actor=actor)
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    return written


# --------------------------------------------------------------------------
# Demo data
# --------------------------------------------------------------------------

FIRST_NAMES = (
    "Olivia Liam Emma Noah Ava Oliver Sophia Elijah Isabella James Mia William Amelia Benjamin "
    "Harper Lucas Evelyn Henry Abigail Alexander Emily Mason Ella Michael Elizabeth Ethan Camila "
    "Daniel Luna Jacob Sofia Logan Avery Jackson Mila Levi Aria Sebastian Scarlett Mateo Penelope "
    "Jack Layla Owen Chloe Theodore Victoria Aiden Madison Samuel Eleanor Joseph Grace John Nora "
    "David Riley Wyatt Zoey Matthew Hannah Luke Hazel Asher Lily Carter Ellie Julian Violet Grayson "
    "Lillian Leo Zoe Jayden Stella Gabriel Aurora Isaac Natalie Lincoln Emilia Anthony Everly Hudson "
    "Leah Dylan Aubrey Ezra Willow Thomas Addison Charles Lucy Christopher Audrey Jaxon Bella Maverick "
    "Nova Josiah Brooklyn Isaiah Paisley Andrew Savannah Elias Claire Joshua Skylar Nathan Isla "
    "Caleb Genesis Ryan Naomi Adrian Elena Miles Caroline Eli Eliana Nolan Anna Christian Maya "
    "Aaron Valentina Cameron Ruby Ezekiel Kennedy Colton Ivy Luca Ariana Landon Aaliyah Hunter Cora "
    "Jonathan Madelyn Santiago Alice Axel Kinsley Easton Hailey Cooper Gabriella Jeremiah Allison "
    "Angel Gianna Roman Serenity Connor Samantha Jameson Sarah Robert Autumn Greyson Quinn Jordan "
    "Eva Ian Piper Carson Sophie Jaxson Sadie Leonardo Delilah Nicholas Josephine Dominic Nevaeh "
    "Austin Adeline Everett Arya Brooks Emery Xavier Lydia Kai Clara Jose Vivian Parker Madeline "
    "Adam Peyton Jace Julia Wesley Rylee Kayden Brielle Silas Reagan Bennett Natalia Declan Jade "
    "Waylon Athena Weston Maria Evan Leilani Emmett Everleigh Micah Liliana Ryder Melanie Beau "
    "Mackenzie Damian Hadley Harrison Raelynn Vincent Kaylee Zion Rose Jasper Arianna Ashton "
    "Isabelle Sawyer Melody Ayden Eliza Zachary Lyla Zoë Søren Chloé José Zoltán Ngozi Aiko Ravi "
    "Priya Mei Chen Hiroshi Fatima Omar Yusuf Amara Kwame Ingrid Lars Anneliese Björn Siobhán").split()
LAST_NAMES = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris "
    "Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill "
    "Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips "
    "Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers "
    "Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson "
    "Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders "
    "Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell Coleman Butler "
    "Henderson Barnes Gonzales Fisher Vasquez Simmons Romero Jordan Patterson Alexander Hamilton "
    "Graham Reynolds Griffin Wallace Moreno West Cole Hayes Bryant Herrera Gibson Ellis Tran Medina "
    "Aguilar Stevens Murray Ford Castro Marshall Owens Harrison Fernandez McDonald Woods Washington "
    "Kennedy Wells Vargas Henry Chen Freeman Webb Tucker Guzman Burns Crawford Olson Simpson Porter "
    "Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon Muñoz Hunt Hicks Holmes Palmer Wagner Black "
    "Robertson Boyd Rose Stone Salazar Fox Warren Mills Meyer Rice Schmidt Garza Daniels Ferguson "
    "Nichols Stephens Soto Weaver Ryan Gardner Payne Grant Dunn Kelley Spencer Hawkins Arnold Pierce "
    "Müller Schäfer Dubois Lefèvre Rossi Bianchi Kowalski Nowak Andersson Johansson Yamamoto Tanaka "
    "Okafor Mensah O'Brien Novák Horváth Papadopoulos").split() + [
    "Ó Súilleabháin", "van der Berg", "de Vries", "García Márquez"]
CITIES = (("London", "GB"), ("Manchester", "GB"), ("Berlin", "DE"), ("Munich", "DE"), ("Paris", "FR"),
          ("Lyon", "FR"), ("Madrid", "ES"), ("Rome", "IT"), ("Amsterdam", "NL"), ("Warsaw", "PL"),
          ("Lisbon", "PT"), ("Stockholm", "SE"), ("Dublin", "IE"), ("Vienna", "AT"), ("New York", "US"),
          ("Chicago", "US"), ("Toronto", "CA"), ("Sydney", "AU"))
STREETS = ("High Street", "Station Road", "Church Lane", "Main Street", "Park Avenue", "Mill Road",
           "Victoria Road", "Green Lane", "Manor Road", "Kings Road", "Queen Street", "New Road")
DOMAINS = ("example.com", "example.org", "example.net", "mail.example", "shop.example")
CATEGORIES = (("Coffee", "coffee", False), ("Tea", "tea", False), ("Brewing gear", "brewing-gear", False),
              ("Cups and mugs", "cups", False), ("Wholesale sacks", "wholesale-sacks", True))
PRODUCT_WORDS = ("Ethiopia Yirgacheffe", "Colombia Huila", "Kenya AA", "Sumatra Mandheling",
                 "House Espresso", "Decaf Swiss Water", "Earl Grey", "Sencha", "Assam Breakfast",
                 "Chamomile", "Pour-over Kettle", "Burr Grinder", "French Press", "AeroPress",
                 "Espresso Cup", "Travel Mug", "Latte Bowl", "Green Coffee 30 kg", "Espresso Blend 5 kg")
REVIEW_TITLES = ("Lovely", "Not for me", "Great value", "Arrived late", "Perfect", "Would buy again",
                 "Too bitter", "Smooth and rich", "Broke after a week", "Exactly as described")
REVIEW_BODIES = (
    "Bought this for the office and everyone loves it.",
    "The packaging was damaged but the contents were fine.",
    "Strong flavour, a little too dark for my taste.",
    "Good quality for the price. Delivery was quick.",
    "Not what I expected from the photos; returning it.",
    "Five stars. I have ordered it three times now.\nHighly recommended.",
)


def _seed_rows_sqlite(model: type[BaseModel], fields: Sequence[pw.Field], rows: list[tuple]) -> None:
    cols = ", ".join(f'"{f.column_name}"' for f in fields)
    marks = ", ".join("?" for _ in fields)
    db.obj.cursor().executemany(
        f'INSERT INTO "{model._meta.table_name}" ({cols}) VALUES ({marks})', rows)


def _insert_rows(model: type[BaseModel], fields: Sequence[pw.Field], rows: list[tuple]) -> None:
    if not rows:
        return
    if is_sqlite():
        _seed_rows_sqlite(model, fields, rows)
        return
    for i in range(0, len(rows), 1000):
        model.insert_many(rows[i:i + 1000], fields=list(fields)).execute()


def _concat(*parts: Any) -> pw.Node:
    """SQL string concatenation that works on every engine."""
    if is_mysql():
        return pw.fn.CONCAT(*parts)
    nodes = [p if isinstance(p, str) else pw.Cast(p, "TEXT") for p in parts]
    return functools.reduce(lambda a, b: pw.StringExpression(a, pw.OP.CONCAT, b), nodes)


def _pick(key: pw.Node, choices: Sequence[str]) -> pw.Node:
    """One of ``choices``, chosen by ``key`` (an integer expression)."""
    return pw.Case(_mod(key, len(choices)), [(i, c) for i, c in enumerate(choices)])


def _mod(a: pw.Node, n: int) -> pw.Node:
    # Not ``a % n``: Peewee reads ``%`` as LIKE, and the PostgreSQL and
    # MySQL drivers read a bare % in SQL as a placeholder.
    return pw.Expression(a, pw.OP.MOD, n) if is_sqlite() else pw.fn.MOD(a, n)


def _seed_addresses(customer_ids: pw.Expression) -> int:
    """Billing and shipping addresses for the customers matching
    ``customer_ids``, made in SQL from their ids (one in five ships
    somewhere else)."""
    cid = Customer.id
    fields = [Address.customer, Address.kind, Address.name, Address.line1, Address.line2, Address.city,
              Address.region, Address.postcode, Address.country]
    name = _concat(Customer.first_name, " ", Customer.last_name)
    elsewhere = _mod(cid, 5) == 0
    city_key = cid * 31
    ship_key = pw.Case(None, [(elsewhere, cid * 17)], city_key)
    billing = Customer.select(
        cid, pw.Value("billing"), name, _concat(_mod(cid * 7, 249) + 1, " ", _pick(cid * 13, STREETS)),
        pw.Value(""), _pick(city_key, [c for c, _ in CITIES]), pw.Value(""), _concat(_mod(cid * 7919, 89999) + 10000),
        _pick(city_key, [k for _, k in CITIES])).where(customer_ids)
    shipping = Customer.select(
        cid, pw.Value("shipping"), name,
        _concat(pw.Case(None, [(elsewhere, _mod(cid * 11, 249) + 1)], _mod(cid * 7, 249) + 1), " ",
                _pick(pw.Case(None, [(elsewhere, cid * 3)], cid * 13), STREETS)),
        pw.Value(""), _pick(ship_key, [c for c, _ in CITIES]), pw.Value(""),
        _concat(pw.Case(None, [(elsewhere, _mod(cid * 6007, 89999) + 10000)], _mod(cid * 7919, 89999) + 10000)),
        _pick(ship_key, [k for _, k in CITIES])).where(customer_ids)
    return sum(Address.insert_from(q, fields).as_rowcount().execute() for q in (billing, shipping))


_BULK_MODELS = (Customer, Address, Membership, Order, OrderLine, Review)


def _index_names(model: type[BaseModel]) -> list[str]:
    return [ix._name for ix in model._meta.fields_to_index()]


@contextlib.contextmanager
def _indexes_deferred(enabled: bool) -> Iterator[None]:
    """Drop the secondary indexes of the bulk tables and build them once at
    the end: much faster than keeping them up to date row by row.  Inside
    the caller's transaction, so a failure leaves the indexes as they were."""
    if not enabled:
        yield
        return
    for model in _BULK_MODELS:
        for name in _index_names(model):
            db.execute_sql(f'DROP INDEX IF EXISTS "{name}"')
    yield
    for model in _BULK_MODELS:
        model._schema.create_indexes(safe=True)
    db.execute_sql("ANALYZE")


def seed_reviews(count: int, *, rng_seed: int = 1, today: dt.datetime | None = None,
                 progress: Callable[[int, int], None] | None = None, batch: int = 50_000,
                 actor: str | None = None) -> int:
    """Add ``count`` reviews by existing customers of existing products (a
    third pending, the rest approved or rejected), for a big moderation
    queue.  Needs customers and products: run :func:`seed` first."""
    if count < 0:
        raise ValidationError({"reviews": "The number of reviews cannot be negative"})
    rng = random.Random(rng_seed)
    now = today or utcnow()
    with db.atomic():
        max_customer = Customer.select(pw.fn.MAX(Customer.id)).scalar() or 0
        products = [p for (p,) in Product.select(Product.id).tuples()]
        if count and (not max_customer or not products):
            raise ValidationError({"reviews": "Seed customers and products first"})
        who = actor or current_actor()
        fields = [Review.product, Review.customer, Review.rating, Review.title, Review.body, Review.status,
                  Review.created_at, Review.moderated_at, Review.moderated_by, Review.reject_reason]
        rnd, done = rng.random, 0
        span = 3 * 365 * 86400
        while done < count:
            n = min(batch, count - done)
            rows = []
            for j in range(n):
                # Oldest first, as a shop receives them: ids rise with the date.
                created = now - dt.timedelta(seconds=int(span * (count - done - j - rnd()) / count))
                state = REVIEW_STATUSES[0] if rnd() < 0.34 else REVIEW_STATUSES[1 + (rnd() < 0.2)]
                moderated = (created + dt.timedelta(hours=6)).isoformat(" ") if state != "pending" else None
                rows.append((products[int(rnd() * len(products))], 1 + int(rnd() * max_customer),
                             (1, 2, 3, 4, 4, 5, 5, 5)[int(rnd() * 8)], REVIEW_TITLES[int(rnd() * len(REVIEW_TITLES))],
                             REVIEW_BODIES[int(rnd() * len(REVIEW_BODIES))], state, created.isoformat(" "),
                             moderated, who if moderated else None, "Off-topic" if state == "rejected" else None))
            _insert_rows(Review, fields, rows)
            done += n
            if progress:
                progress(done, count)
        audit("seed", "database", None, after={"reviews": count}, actor=actor)
    return count


def seed(customers: int, *, rng_seed: int = 1, progress: Callable[[int, int], None] | None = None,
         today: dt.datetime | None = None, batch: int = 20_000, actor: str | None = None) -> dict[str, int]:
    """Add ``customers`` deterministic, realistic demo customers (with
    addresses, orders, products in categories and reviews in every status).
    ``progress(done, total)`` is called after each batch."""
    if customers < 0:
        raise ValidationError({"customers": "The number of customers cannot be negative"})
    rng = random.Random(rng_seed)
    now = today or utcnow()
    counts = {"customers": 0, "addresses": 0, "orders": 0, "order_lines": 0, "reviews": 0, "products": 0}
    with db.atomic():
        general = general_group()
        wholesale = CustomerGroup.get_or_none(CustomerGroup.code == "wholesale")
        # Catalogue, once per database.
        if not Product.select().exists():
            cats = {}
            for name, slug, restricted in CATEGORIES:
                cats[slug] = Category.create(name=name, slug=slug, restricted=restricted)
                if restricted and wholesale:
                    CategoryAccess.create(category=cats[slug], group=wholesale)
            slugs = ["coffee"] * 6 + ["tea"] * 4 + ["brewing-gear"] * 4 + ["cups"] * 3 + ["wholesale-sacks"] * 2
            for i, (word, slug) in enumerate(zip(PRODUCT_WORDS, slugs), start=1):
                Product.create(sku=f"SKU-{i:04d}", name=word, category=cats[slug],
                               price=Decimal(rng.randrange(450, 9900)) / 100)
                counts["products"] += 1
        products = list(Product.select(Product.id, Product.price).tuples())
        start_id = (Customer.select(pw.fn.MAX(Customer.id)).scalar() or 0) + 1
        start_order = (Order.select(pw.fn.MAX(Order.id)).scalar() or 0) + 1
        actor_name = actor or current_actor()
        span = 6 * 365 * 86400
        cust_fields = [Customer.id, Customer.first_name, Customer.last_name, Customer.email, Customer.email_key,
                       Customer.name_key, Customer.last_key, Customer.phone, Customer.status,
                       Customer.account_type, Customer.tax_exempt, Customer.language, Customer.registered_at,
                       Customer.default_group, Customer.total_spent, Customer.order_count, Customer.version,
                       Customer.updated_at]
        order_fields = [Order.id, Order.customer, Order.number, Order.placed_at, Order.status, Order.total]
        line_fields = [OrderLine.order, OrderLine.product, OrderLine.quantity, OrderLine.unit_price]
        review_fields = [Review.product, Review.customer, Review.rating, Review.title, Review.body,
                         Review.status, Review.created_at, Review.moderated_at, Review.moderated_by,
                         Review.reject_reason]
        fn_, ln_ = FIRST_NAMES, LAST_NAMES
        n_first, n_last, n_products = len(fn_), len(ln_), len(products)
        rnd = rng.random
        next_order = start_order
        done = 0
        # Rebuilding indexes pays off for a big seed into an empty database.
        defer = is_sqlite() and customers >= 50_000 and start_id == 1
        stack = contextlib.ExitStack()
        stack.enter_context(_indexes_deferred(defer))
        while done < customers:
            n = min(batch, customers - done)
            cust, orders, lines, reviews = [], [], [], []
            for k in range(n):
                cid = start_id + done + k
                first = fn_[int(rnd() * n_first)]
                last = ln_[int(rnd() * n_last)]
                email = f"{first}.{last}.{cid}@{DOMAINS[cid % len(DOMAINS)]}".replace(" ", "").replace("'", "")
                reg = now - dt.timedelta(seconds=int(rnd() * span))
                # Drivers take ISO strings for timestamps; formatting here
                # skips an adapter call per value.
                reg_s = reg.isoformat(" ")
                is_wholesale = wholesale is not None and rng.random() < 0.03
                status = "disabled" if rng.random() < 0.04 else "active"
                spent = Decimal(0)
                n_orders = rng.choice((0, 0, 0, 1, 1, 2, 3)) if rng.random() < 0.6 else 0
                for _ in range(n_orders):
                    placed = reg + dt.timedelta(seconds=rng.randrange(max(1, int((now - reg).total_seconds()))))
                    total = Decimal(0)
                    for _line in range(rng.choice((1, 1, 2))):
                        pid, price = products[int(rnd() * n_products)]
                        qty = rng.choice((1, 1, 1, 2, 3))
                        lines.append((next_order, pid, qty, price))
                        total += Decimal(price) * qty
                    orders.append((next_order, cid, f"BR{next_order:09d}", placed.isoformat(" "), "complete",
                                   total))
                    spent += total
                    next_order += 1
                    if rng.random() < 0.15:
                        rating = rng.choice((1, 2, 3, 4, 4, 5, 5, 5))
                        state = rng.choice(REVIEW_STATUSES)
                        moderated = ((placed + dt.timedelta(days=1)).isoformat(" ")
                                     if state != "pending" else None)
                        reviews.append((lines[-1][1], cid, rating, rng.choice(REVIEW_TITLES),
                                        rng.choice(REVIEW_BODIES), state,
                                        (placed + dt.timedelta(hours=5)).isoformat(" "),
                                        moderated, actor_name if moderated else None,
                                        "Off-topic" if state == "rejected" else None))
                name = f"{first} {last}"
                group_id = wholesale.id if is_wholesale else general.id
                cust.append((cid, first, last, email, email.lower(), name.lower(), last.lower(),
                             f"+44 7{100000000 + int(rnd() * 899999999)}", status,
                             "business" if is_wholesale else "personal", is_wholesale,
                             LANGUAGES[int(rnd() * len(LANGUAGES))] if rnd() < 0.3 else "en",
                             reg_s, group_id, spent, n_orders, 1, reg_s))
            _insert_rows(Customer, cust_fields, cust)
            batch_ids = Customer.id.between(cust[0][0], cust[-1][0])
            counts["addresses"] += _seed_addresses(batch_ids)
            for group in (general, wholesale):
                if group is not None:
                    members = Customer.select(Customer.id).where(batch_ids)
                    if group is wholesale:
                        members = members.where(Customer.default_group == wholesale.id)
                    _insert_members_from(group, members, actor=actor_name, at=Customer.registered_at,
                                         notify=False)
            _insert_rows(Order, order_fields, orders)
            _insert_rows(OrderLine, line_fields, lines)
            _insert_rows(Review, review_fields, reviews)
            counts["customers"] += len(cust)
            counts["orders"] += len(orders)
            counts["order_lines"] += len(lines)
            counts["reviews"] += len(reviews)
            done += n
            if progress:
                # When indexes are built at the end, they are the last tenth.
                progress(done * 9 // 10 if defer else done, customers)
        stack.close()
        if progress and defer:
            progress(customers, customers)
        if is_postgres() and counts["customers"]:
            # Rows were inserted with explicit ids: move the sequences past them.
            for model in (Customer, Order):
                table = model._meta.table_name
                db.execute_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"(SELECT MAX(id) FROM {table}))")
        audit("seed", "database", None, after=counts, actor=actor)
    return counts


# --- added for the customer screen ---
# Operations the customer screen calls.  Those that write to a customer
# return a CustomerWrite, read back in their own transaction, so a screen
# never works out a version for itself.


@dataclasses.dataclass(frozen=True)
class CustomerWrite:
    """What an operation wrote to one customer: the customer as it left them
    and the version it replaced (``customer.version`` itself when the
    operation did not change the customer's row)."""

    customer: Customer
    replaced_version: int

    def version_after(self, held: int) -> int:
        """The version a form loaded at ``held`` saves against from now on:
        this write's own when it replaced ``held``; else ``held``, so a change
        someone else made in between is still refused, not overwritten."""
        return self.customer.version if self.replaced_version == held else held


def assignable_groups(customer_id: int | None = None, *, include_locked: bool = False) -> list[GroupRow]:
    """The groups, by name, a customer may be added to: no system group
    (Guest) and, given ``customer_id``, none the customer already belongs to.
    ``include_locked`` keeps the system groups they are not in, for a picker
    that shows them marked (assigning one is refused with a message)."""
    member: set[int] = set()
    if customer_id is not None:
        member = set(Membership.select(Membership.group).where(Membership.customer == customer_id).scalars())
    return [g for g in list_groups(with_counts=False, sort="name")
            if g.id not in member and (include_locked or not g.is_system)]


def join_group(customer_id: int, group_id: int, *, actor: str | None = None) -> CustomerWrite:
    """Add one customer to a group (see :func:`assign_customers`)."""
    with db.atomic():
        get_customer(customer_id)
        assign_customers(group_id, Selection.ids([customer_id]), actor=actor)
        c = get_customer(customer_id)
    return CustomerWrite(c, c.version)


def leave_group(customer_id: int, group_id: int, *, actor: str | None = None) -> CustomerWrite:
    """Remove one customer from a group (see :func:`unassign_customers`):
    leaving their default group moves them back to General."""
    with db.atomic():
        get_customer(customer_id)
        unassign_customers(group_id, Selection.ids([customer_id]), actor=actor)
        c = get_customer(customer_id)
    return CustomerWrite(c, c.version)


def disable_account(customer_id: int, *, actor: str | None = None) -> CustomerWrite:
    """:func:`disable_customer`, saying which version it replaced."""
    with db.atomic():
        before = get_customer(customer_id)
        c = update_customer(customer_id, {"status": "disabled"}, expected_version=before.version, actor=actor)
    return CustomerWrite(c, before.version)


def reset_account_password(customer_id: int, password: str | None = None, *,
                           actor: str | None = None) -> tuple[str, CustomerWrite]:
    """:func:`reset_password` (the password to show once), saying which
    version it replaced."""
    with db.atomic():
        password = reset_password(customer_id, password, actor=actor)
        c = get_customer(customer_id)
    # reset_password adds one to the version, and this transaction holds the
    # row from that update until it commits: the version replaced is one less.
    return password, CustomerWrite(c, c.version - 1)
