"""Customer filters and selections: queries, never lists of rows, whatever their size."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import unicodedata
from decimal import Decimal
from typing import Any, Iterable, Sequence

import peewee as pw

from .connection import db, is_mysql, is_postgres, is_sqlite, settings_key
from .errors import DateParseError, ValidationError
from .lookup import as_id, possible_id
from .parsing import _label, clean_line, has_control_chars, parse_date, typed_text
from .shopmoney import parse_amount
from .text import fold
from .tables import (
    CUSTOMER_STATUSES,
    BaseModel,
    Customer,
    CustomerGroup,
    Membership,
    Review,
)


def _like_prefix(field: pw.Field, prefix: str) -> pw.Expression:
    """``field`` starts with ``prefix`` (both lower case), through an index."""
    if is_sqlite() or is_postgres():
        # A half-open range uses a plain b-tree index on every collation
        # that sorts by code point (SQLite's BINARY, PostgreSQL's C).
        if is_sqlite() or _pg_collation_is_c():
            return (field >= prefix) & (field < prefix + "\U0010ffff")
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = pw.NodeList((pw.Value(escaped + "%", converter=False), pw.SQL("ESCAPE"),
                           pw.Value("\\", converter=False)))
    if is_mysql():
        # Peewee writes LIKE as LIKE BINARY on MySQL, which no index on a
        # column of the table's (case-insensitive) collation serves: every
        # row was read.  A plain LIKE (peewee's ILIKE) reads the index range;
        # the LIKE BINARY after it keeps the match exact, as on the others.
        return (pw.Expression(field, pw.OP.ILIKE, pattern)
                & pw.Expression(field, pw.OP.LIKE, pattern))
    return pw.Expression(field, pw.OP.LIKE, pattern)


def _text_matches(text: str, folded: str) -> pw.Expression:
    """Customers whose email (``text``, lower case), folded email, folded
    full name or folded last name (``folded``) starts with it.

    SQLite (MULTI-INDEX OR) and PostgreSQL (BitmapOr) read an OR of the
    four prefix ranges through the four indexes.  MariaDB does not: it
    scanned every customer (574 ms a page, 1.2 s to count at 1,000,000),
    taking the OR for too costly to merge.  There the condition is an id in
    the UNION of the four index range scans, wrapped in a derived table so
    that the subquery is a semi-join (materialised once, then joined by
    primary key) rather than a UNION run again for every customer."""
    if is_mysql():
        found = _matching_ids(text, folded).alias("found")
        return Customer.id.in_(pw.Select([found], [found.c.id]))
    return (_like_prefix(Customer.email_key, text)
            # (NULL-safe: inside a NOT, NULL would drop the row.)
            | (Customer.email_fold.is_null(False) & _like_prefix(Customer.email_fold, folded))
            | _like_prefix(Customer.name_key, folded)
            | _like_prefix(Customer.last_key, folded))


def _branches(inner: Any, text: str, folded: str) -> list[pw.ModelSelect]:
    """MariaDB: the four range scans of :func:`_text_matches`, each a query on ``inner``."""
    fields = ((inner.email_key, text), (inner.email_fold, folded), (inner.name_key, folded),
              (inner.last_key, folded))
    return [inner.select().where(_like_prefix(f, p)) for f, p in fields]


def _matching_ids(text: str, folded: str) -> pw.SelectBase:
    """MariaDB: the ids :func:`_text_matches` finds, as the UNION of four
    range scans, each read from its index alone."""
    inner = Customer.alias("ft")
    return functools.reduce(lambda a, b: a | b, (q.select(inner.id) for q in _branches(inner, text, folded)))


def _typed_text(text: str) -> str:
    """A filter's text as matched: NFC, lower case, runs of blanks as one space."""
    return " ".join(unicodedata.normalize("NFC", text).lower().split())


_pg_c_cache: dict[int, bool] = {}


def _pg_collation_is_c() -> bool:
    key = id(settings_key())
    if key not in _pg_c_cache:
        coll = db.execute_sql("SELECT datcollate FROM pg_database WHERE datname = current_database()").fetchone()[0]
        _pg_c_cache[key] = coll in ("C", "POSIX", "C.UTF-8", "C.utf8")
    return _pg_c_cache[key]


@dataclasses.dataclass(frozen=True)
class CustomerFilter:
    """What an admin narrows a customer list by.  Every field is optional.

    ``text`` matches customers whose first name, last name, full name or
    email starts with it, ignoring case and accents.
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
        text = _typed_text(self.text)
        if text:
            # Case and accents ignored ("nunez" finds Núñez): the name keys
            # are folded, and so is the email where that differs from its key.
            conds.append(_text_matches(text, fold(text)))
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

    def _text_alone(self) -> str:
        """The text matched, for a filter by text alone on MariaDB; else ""."""
        text = _typed_text(self.text)
        return text if text and is_mysql() and dataclasses.replace(self, text="").is_empty() else ""

    def first_by_name(self, offset: int, limit: int, descending: bool) -> pw.Select | None:
        """MariaDB, a filter by text alone: the ids (with ``last_key`` and
        ``name_key``) of its matches ``offset`` to ``offset + limit`` in name
        order; else None.

        Each of the four range scans of :func:`_text_matches` gives its own
        first ``offset + limit`` in name order, read from an index holding
        the name keys (v12), and the page is taken from their UNION: every
        match on the page is among the first of its own scan.  Sorted as one
        set, the matches' name keys were read from their rows: 17,000 rows
        read whole for the first page of "mar" among 1,000,000 customers
        (0.75 to 1 s)."""
        text = self._text_alone()
        if not text:
            return None
        inner = Customer.alias("ft")

        def by_name(table: Any) -> list[Any]:
            keys = (table.last_key, table.name_key, table.id)
            return [k.desc() if descending else k.asc() for k in keys]

        # The emails' scans are told their index: left to choose, MariaDB
        # walked the name index in order and read the rows to test each
        # email (0.7 s for "j", the folded emails being mostly NULL).  The
        # full name's scan may walk that index (it holds name_key) or read
        # its own range from v12's, never the older one without last_key.
        hints = ("FORCE INDEX (`customer_email_key_names`)", "FORCE INDEX (`customer_email_fold_names`)",
                 "IGNORE INDEX (`customer_name_key`)", None)
        union = functools.reduce(lambda a, b: a | b, (
            (q if hint is None else q.from_(pw.NodeList((inner, pw.SQL(hint)))))
            .select(inner.id, inner.last_key, inner.name_key).order_by(*by_name(inner)).limit(offset + limit)
            for q, hint in zip(_branches(inner, text, fold(text)), hints)))
        found = union.alias("found")
        return (pw.Select([found], [found.c.id, found.c.last_key, found.c.name_key])
                .order_by(*by_name(found.c)).offset(offset).limit(limit))

    def count_by_text(self) -> int | None:
        """MariaDB, a filter by text alone: how many customers it finds,
        counted from the UNION of index scans (:func:`_text_matches`) alone;
        else None.  Counted through the customers instead, every match was
        also read whole by primary key: 2.8 s for the 52,000 customers "jo"
        finds among 1,000,000, most of it reading rows the count never uses."""
        text = self._text_alone()
        if not text:
            return None
        found = _matching_ids(text, fold(text)).alias("found")
        return pw.Select([found], [pw.fn.COUNT(pw.SQL("*"))]).scalar(db)

    def describe(self) -> dict[str, Any]:
        return {k: v for k, v in dataclasses.asdict(self).items() if v not in (None, "")}


def _day_start(d: dt.date) -> dt.datetime:
    return dt.datetime(d.year, d.month, d.day)


def _parse_dates(typed: dict[str, Any], errors: dict[str, str], today: dt.date | None) -> dict[str, dt.date | None]:
    """Each typed date parsed (None when left empty); what cannot be
    understood goes into ``errors`` under its field's name."""
    dates: dict[str, dt.date | None] = {}
    for name, value in typed.items():
        dates[name] = None
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        try:
            dates[name] = parse_date(value, today=today)
        except DateParseError as exc:
            errors[name] = str(exc)
    return dates


def _typed(values: dict[str, Any], errors: dict[str, str], limits: dict[str, int]) -> dict[str, str]:
    """Fields typed into a filter bar, as text: None is blank; a value that is
    not text, is longer than its limit or holds control characters goes into
    ``errors`` (and counts as blank)."""
    out: dict[str, str] = {}
    for name, value in values.items():
        out[name] = ""
        try:
            text = typed_text(value, name)
        except ValidationError as exc:
            errors.update(exc.errors)
            continue
        limit = limits.get(name, 100)
        if len(text) > limit:
            errors[name] = f"{_label(name)} must be at most {limit} characters"
        elif has_control_chars(text):
            errors[name] = f"{_label(name)} cannot contain control characters"
        else:
            out[name] = text
    return out


def build_filter(*, text: str = "", status: str = "", group: str = "", registered_from: str = "",
                 registered_to: str = "", spent_min: str = "", spent_max: str = "",
                 today: dt.date | None = None) -> CustomerFilter:
    """A :class:`CustomerFilter` from what an admin typed, with errors per field."""
    errors: dict[str, str] = {}
    typed = _typed({"text": text, "status": status, "group": group, "spent_min": spent_min,
                    "spent_max": spent_max}, errors, {"text": 254})
    text, status, group = typed["text"], typed["status"], typed["group"]
    status = status.strip().lower()
    if status and status not in CUSTOMER_STATUSES:
        errors["status"] = f"Status must be one of {', '.join(CUSTOMER_STATUSES)}"
    group_id = None
    if group.strip():
        g = CustomerGroup.get_or_none(CustomerGroup.code == group.strip().lower())
        if g is None:
            errors["group"] = f"No group with code {clean_line(group.strip())!r}"
        else:
            group_id = g.id
    dates = _parse_dates({"registered_from": registered_from, "registered_to": registered_to}, errors, today)
    amounts: dict[str, Decimal | None] = {}
    for name in ("spent_min", "spent_max"):
        try:
            amounts[name] = parse_amount(typed[name], name)  # the shop's money format, or plain
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
        """The rows with these ids (ints, or strings of digits); an id no row
        can have is left out."""
        if isinstance(ids, (str, bytes, dict)) or not hasattr(ids, "__iter__"):
            raise ValidationError({"ids": "A selection's ids must be a list of whole numbers"})
        ids = frozenset(i for i in (as_id(i, "ids") for i in ids) if possible_id(i))
        return cls("ids", (ids,)) if ids else cls.none()

    @classmethod
    def matching(cls, flt: Any, *, except_ids: Iterable[int] = ()) -> "Selection":
        """Every row matching ``flt`` (a filter with ``is_empty()`` and
        ``expression()``), except ``except_ids``."""
        sel = cls.all() if flt.is_empty() else cls("filter", (flt,))
        return sel - cls.ids(except_ids)

    @classmethod
    def members_of(cls, group_id: int) -> "Selection":
        gid = as_id(group_id, "group_id", "A group's id")
        return cls("group", (gid,)) if possible_id(gid) else cls.none()

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
                raise ValidationError({"selection": "Only customers belong to groups"})
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


@dataclasses.dataclass(frozen=True)
class _IdsIn:
    """A filter for :func:`customer_page`: the customers a subquery yields."""

    ids: pw.ModelSelect

    def expression(self) -> pw.Expression:
        return Customer.id.in_(self.ids)


def selected_among(sel: Selection, ids: Sequence[int], model: type[BaseModel] | None = None) -> set[int]:
    """Which of ``ids`` (a page on screen) are in the selection."""
    model = model or Customer
    if not ids or sel.op == "none":
        return set()
    if sel.op == "all":
        return set(ids)
    q = sel.query(model.id, model=model).where(model.id.in_(list(ids)))
    return {r[0] for r in q.tuples()}


SELECTABLE_ROWS: dict[str, type[BaseModel]] = {"customers": Customer, "reviews": Review}
"""What a :class:`Selection` can select, by the name the functions below take."""


def count_selection(sel: Selection, rows: str = "customers") -> int:
    """How many ``rows`` (customers or reviews) the selection holds."""
    return sel.count(SELECTABLE_ROWS[rows])


def which_selected(sel: Selection, ids: Sequence[int], rows: str = "customers") -> set[int]:
    """Which of ``ids`` (``rows`` on screen: customers or reviews) the selection holds."""
    return selected_among(sel, ids, SELECTABLE_ROWS[rows])
