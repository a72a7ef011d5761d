"""What both imports (customers, reviews) share: the report, the rejects
file, the set of keys already seen, and writing a batch with few statements.

The set of keys seen (:class:`Seen`) holds one 64-bit hash per key in an
open-addressing table of machine words, 8 bytes a key where a Python set
of ints takes about 60: a million customers' ids and emails fit in 32 MB.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import datetime as dt
import io
import json
import os
import queue
import tempfile
import threading
import weakref
from array import array
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import peewee as pw

from ..connection import SQLITE_PRAGMAS, db, is_mysql, is_postgres, is_sqlite
from ..errors import BackroomError
from ..tables import AuditEntry
from ..text import inert_line
from .sniff import CsvSource

PROBLEMS_KEPT = 1_000
"""Problems the report lists (the rejects file holds every rejected row)."""


class ImportCancelled(BackroomError):
    """The admin cancelled the import: nothing was imported."""


@dataclasses.dataclass
class RowProblem:
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.message}"


@dataclasses.dataclass
class ImportPreview:
    """What a file is before anything is read past its header."""
    path: str
    encoding: str
    delimiter: str
    header: list[str]
    format: str | None
    format_label: str
    mapping: list[tuple[str, str]]
    """(column, field) for each imported column, in the file's order"""
    ignored: list[str]
    """columns left out"""

    @classmethod
    def of(cls, src: CsvSource, fmt: str | None, label: str, cols: dict[int, str]) -> ImportPreview:
        """The preview of ``src`` read as ``fmt`` (``label``), its columns
        mapped by ``cols`` (column index → field)."""
        return cls(str(src.path), src.encoding, src.delimiter, src.header, fmt, label,
                   [(src.header[i], f) for i, f in sorted(cols.items())],
                   [h for i, h in enumerate(src.header) if i not in cols])


@dataclasses.dataclass
class ImportReport:
    preview: ImportPreview
    dry_run: bool
    rows: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    rejected: int = 0
    joined: int = 0
    problems: list[RowProblem] = dataclasses.field(default_factory=list)
    groups_created: list[str] = dataclasses.field(default_factory=list)
    unknown_groups: dict[str, int] = dataclasses.field(default_factory=dict)
    rejects_path: str | None = None
    applied: bool = False

    def summary(self) -> str:
        return (f"{self.new:,} new, {self.changed:,} changed, {self.unchanged:,} unchanged, "
                f"{self.rejected:,} rejected")


def rejects_path_for(path: str | os.PathLike) -> Path:
    p = Path(path)
    return p.with_name(f"{p.stem}.rejects.csv")


class Rejects:
    """The rejects file, made when the first row is rejected: a temporary
    file (0600) beside the input, renamed to ``<file>.rejects.csv`` once the
    import is committed, deleted otherwise.  Its rows are the file's own,
    after the line they were on and their problems."""

    def __init__(self, target: Path, header: list[str]):
        self.target, self.header = target, header
        self.tmp: Path | None = None
        self.handle: Any = None
        self.writer: Any = None

    def writerow(self, row: list[Any]) -> None:
        if self.writer is None:
            fd, name = tempfile.mkstemp(dir=self.target.parent, prefix=f".{self.target.name}.", suffix=".partial")
            self.tmp = Path(name)
            self.handle = os.fdopen(fd, "w", encoding="utf-8", newline="")
            self.writer = csv.writer(self.handle)
            self.writer.writerow(["line", "problems", *self.header])
        self.writer.writerow(row)

    def keep(self) -> str:
        assert self.tmp is not None and self.handle is not None
        self.handle.close()
        os.replace(self.tmp, self.target)
        self.tmp = None
        return str(self.target)

    def discard(self) -> None:
        if self.handle is not None and not self.handle.closed:
            self.handle.close()
        if self.tmp is not None:
            self.tmp.unlink(missing_ok=True)


def _iso(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


_AUDIT_JSON = json.JSONEncoder(sort_keys=True, default=_iso)


def audit_json(data: dict[str, Any]) -> str:
    """An audit entry's before or after: keys sorted, times in ISO form."""
    return _AUDIT_JSON.encode(data)


def insert_rows(model: type[pw.Model], fields: list[pw.Field], rows: list[tuple], *, ignore: bool = False) -> None:
    """Insert ``rows`` (tuples in the order of ``fields``): one prepared
    statement run for every row on SQLite and MySQL (PyMySQL sends them as
    one multi-row INSERT); on PostgreSQL ``COPY … FROM STDIN`` (a third of
    the server's work of a multi-row INSERT), or with ``ignore`` one
    multi-row INSERT … ON CONFLICT DO NOTHING written out here.  Peewee's
    own insert_many is never used: building its query for thousands of rows
    costs more than running it.  ``ignore`` skips rows whose key exists.
    The columns left out get their model's default (:func:`with_defaults`)."""
    if not rows:
        return
    fields, rows = with_defaults(model, fields, rows)
    rows = _stamps_as_text(fields, rows)
    quote = "`" if is_mysql() else '"'
    table = f"{quote}{model._meta.table_name}{quote}"
    cols = ", ".join(f"{quote}{f.column_name}{quote}" for f in fields)
    if is_postgres():
        with pw.__exception_wrapper__:
            cursor = db.cursor()
            if not ignore:
                text = copy_text(rows, len(fields))
                # In chunks of 1 MB, not 8 kB: each is a wait for the GIL when another thread runs.
                cursor.copy_expert(f"COPY {table} ({cols}) FROM STDIN", io.StringIO(text), size=COPY_CHUNK)
                return
            one = f"({', '.join('%s' for _ in fields)})"
            for i in range(0, len(rows), 1000):
                part = rows[i:i + 1000]
                cursor.execute(f"INSERT INTO {table} ({cols}) VALUES {', '.join(one for _ in part)} "
                               "ON CONFLICT DO NOTHING", [v for r in part for v in r])
        return
    if is_mysql():
        if not ignore and _mysql_load(table, cols, fields, rows) is not None:
            return
        _mysql_execute(f"{'INSERT IGNORE' if ignore else 'INSERT'} INTO {table} ({cols}) VALUES ", rows)
        return
    verb = "INSERT OR IGNORE" if ignore else "INSERT"
    with pw.__exception_wrapper__:  # the driver's errors as Peewee's, like every other query's
        db.obj.cursor().executemany(f"{verb} INTO {table} ({cols}) VALUES ({', '.join('?' for _ in fields)})", rows)


def with_defaults(model: type[pw.Model], fields: list[pw.Field], rows: list) -> tuple[list[pw.Field], list]:
    """``fields`` and ``rows`` with the model's default written for every
    column left out that has one, as Peewee's own inserts write it: a table
    an older Backroom made and an upgrade added a column to may have no
    default for it on the server (MariaDB's ``orders.currency`` from before
    orders had one), and an INSERT leaving it out fails there (1364).  A
    callable default is called once for all the rows."""
    named = {f.name for f in fields}  # (a field's == makes an expression: not for `in`)
    extra = [f for f in model._meta.sorted_fields
             if f.name not in named and f.default is not None and not isinstance(f, pw.AutoField)]
    if not extra:
        return fields, rows
    values = tuple(f.default() if callable(f.default) else f.default for f in extra)
    return [*fields, *extra], [(*r, *values) for r in rows]


def _stamps_as_text(fields: list[pw.Field], rows: list) -> list:
    """``rows`` with the datetimes of ``fields``' DateTimeFields written as
    the text the drivers would send."""
    stamps = [i for i, f in enumerate(fields) if isinstance(f, pw.DateTimeField)]
    if not stamps:
        return rows
    rows = [list(r) for r in rows]
    written: dict[dt.datetime, str] = {}  # most stamps of a batch are its one "now"
    for r in rows:
        for i in stamps:
            v = r[i]
            if isinstance(v, dt.datetime):
                text = written.get(v)
                if text is None:
                    text = written[v] = v.isoformat(" ")
                r[i] = text
    return rows


def _mysql_execute(head: str, rows: list) -> list[tuple[int, int]]:
    """Run :func:`mysql_inserts`' statements; for each, its first new id
    (LAST_INSERT_ID) and its number of rows."""
    done: list[tuple[int, int]] = []
    with pw.__exception_wrapper__:  # the driver's errors as Peewee's, like every other query's
        cursor = db.cursor()
        for statement, count in mysql_inserts(head, rows, cursor.connection):
            cursor.execute(statement)
            done.append((cursor.lastrowid, count))
    return done


MYSQL_LOAD_FROM = 500
"""Rows from which a batch goes to MariaDB by LOAD DATA LOCAL INFILE."""

_LOAD_DIR = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None


def _mysql_load(table: str, cols: str, fields: list[pw.Field], rows: list, *, ids: bool = False) -> int | None:
    """MariaDB, in a transaction: ``rows`` sent as one LOAD DATA LOCAL
    INFILE of a temporary file (0600, in memory where there is
    /dev/shm, deleted at once) in the text format of PostgreSQL's COPY
    (LOAD DATA's default: tabs, newlines, backslash escapes, ``\\N``),
    booleans as 1 and 0.  The server parses it for about two thirds of the
    CPU of the same rows' multi-row INSERTs (300,000 customers: 2.1 s
    against 3.1 s), the client writes it for 0.7 s against 1.0 s.  Nothing
    is sent for a batch under :data:`MYSQL_LOAD_FROM` rows, with no
    transaction open, in the NO_BACKSLASH_ESCAPES mode, for a BlobField or
    a value that is bytes, or on a connection made without LOAD DATA LOCAL.

    With LOCAL the server cannot stop the file midway, so it takes the
    rows as LOAD DATA IGNORE would: a duplicate key skipped, a value that
    does not fit cut, each a warning.  So the rows loaded and the warnings
    are counted, and anything short of every row loaded without a warning
    raises what the INSERT would have (IntegrityError for a duplicate,
    DataError otherwise): the caller's transaction (the reason one must
    be open) rolls the rows loaded back.  With ``ids``, the first new id
    (LAST_INSERT_ID), else 0; None when nothing was sent."""
    from pymysql.constants import CLIENT, SERVER_STATUS

    if len(rows) < MYSQL_LOAD_FROM or not db.in_transaction():
        return None
    conn = db.connection()
    if (not hasattr(conn, "load_local") or not conn.client_flag & CLIENT.LOCAL_FILES
            or conn.server_status & SERVER_STATUS.SERVER_STATUS_NO_BACKSLASH_ESCAPES
            or any(isinstance(f, pw.BlobField) for f in fields) or any(v.__class__ is bytes for v in rows[0])):
        return None
    text = copy_text(rows, len(rows[0]), true="1", false="0")
    fd, path = tempfile.mkstemp(prefix="backroom-load-", suffix=".tsv", dir=_LOAD_DIR)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        del text
        with pw.__exception_wrapper__:  # the driver's errors as Peewee's, like every other query's
            loaded = conn.load_local(f"LOAD DATA LOCAL INFILE {conn.escape(path)} INTO TABLE {table} "
                                     f"CHARACTER SET utf8mb4 ({cols})", path)
            result = conn._result
            warnings = result.warning_count if result is not None else 0
    finally:
        os.unlink(path)
    if loaded != len(rows) or warnings:
        shown = db.execute_sql("SHOW WARNINGS LIMIT 1").fetchall()
        code, message = (shown[0][1], shown[0][2]) if shown else (0, f"{len(rows) - loaded} rows not loaded")
        error = pw.IntegrityError if int(code) in (1062, 1452, 1048) else pw.DataError
        raise error(int(code), f"{message} (LOAD DATA of {table}: {loaded:,} of {len(rows):,} rows, "
                               f"{warnings} warnings)")
    # (The OK packet of a LOAD DATA carries no insert id: the session's is set.)
    return db.execute_sql("SELECT LAST_INSERT_ID()").fetchone()[0] if ids else 0


COPY_CHUNK = 1 << 20
"""What PostgreSQL's COPY is sent in (characters a call)."""

MYSQL_STATEMENT_CHARS = 1_000_000
"""About the longest multi-row INSERT :func:`mysql_inserts` writes (PyMySQL's
own bound for ``executemany``; the server takes 16 MB by default)."""


class _NotPlain(Exception):
    """A value :func:`mysql_inserts` leaves to PyMySQL."""


def _mysql_other(v: Any, escape: Callable[[Any], str]) -> str:
    text = escape(v)  # a number, a date…: PyMySQL's literal, if it holds no escape
    if "\\" in text:
        raise _NotPlain
    return text


def mysql_inserts(head: str, rows: list, connection: Any) -> Iterator[tuple[str, int]]:
    """``head`` (``INSERT INTO t (a, b) VALUES ``) with ``rows`` written out
    as literals, in statements of about :data:`MYSQL_STATEMENT_CHARS` at
    most (each with the number of rows it holds): what PyMySQL's ``executemany`` sends, the same values stored,
    written with one expression a row where PyMySQL makes five calls and a
    ``translate`` a value (half the import's own CPU at 100,000 customers).
    A string is quoted with its quotes doubled, a Decimal written as
    PyMySQL writes it (``format(v, "f")``, without its three calls a value); then, the statement whole,
    every backslash doubled and every NUL written ``\\0`` (only strings
    hold them); booleans are 1 and 0, None NULL, other values PyMySQL's own
    literals.  In NO_BACKSLASH_ESCAPES mode, or given a value whose literal
    holds a backslash (bytes), the rows are PyMySQL's ``mogrify``."""
    from pymysql.constants import SERVER_STATUS

    escape = connection.escape
    plain = not connection.server_status & SERVER_STATUS.SERVER_STATUS_NO_BACKSLASH_ESCAPES
    try:
        if not plain:
            raise _NotPlain
        texts = ["(" + ",".join(["'" + v.replace("'", "''") + "'" if v.__class__ is str
                                 else "NULL" if v is None else ("1" if v else "0") if v.__class__ is bool
                                 else str(v) if v.__class__ is int
                                 else format(v, "f") if v.__class__ is Decimal and v.is_finite()
                                 else _mysql_other(v, escape) for v in r]) + ")"
                 for r in rows]
    except _NotPlain:
        plain = False
        mark = "(" + ",".join("%s" for _ in rows[0]) + ")" if rows else ""
        cursor = connection.cursor()
        texts = [cursor.mogrify(mark, r) for r in rows]
    parts: list[str] = []
    size = 0
    for text in texts:
        if parts and size + len(text) > MYSQL_STATEMENT_CHARS:
            yield _mysql_statement(head, parts, plain), len(parts)
            parts, size = [], 0
        parts.append(text)
        size += len(text) + 1
    if parts:
        yield _mysql_statement(head, parts, plain), len(parts)


def mysql_list(values: list[Any], connection: Any) -> str | None:
    """``values`` (strings and ints) written out as the literals of an IN
    list, ``'a', 'b', 3``, as :func:`mysql_inserts` writes them: PyMySQL's
    escaping of each parameter of a batch's lookups and recounts cost the
    import more than the statements cost the server.  None in
    NO_BACKSLASH_ESCAPES mode, or for another kind of value: the caller
    passes the values as parameters then."""
    from pymysql.constants import SERVER_STATUS

    if connection.server_status & SERVER_STATUS.SERVER_STATUS_NO_BACKSLASH_ESCAPES:
        return None
    try:
        text = ", ".join(["'" + v.replace("'", "''") + "'" if v.__class__ is str else str(v) if v.__class__ is int
                          else _raise_not_plain() for v in values])
    except _NotPlain:
        return None
    return _mysql_statement("", [text], True)


def _raise_not_plain() -> str:
    raise _NotPlain


def _mysql_statement(head: str, parts: list[str], plain: bool) -> str:
    text = ",".join(parts)
    if plain:
        if "\\" in text:
            text = text.replace("\\", "\\\\")
        if "\0" in text:
            text = text.replace("\0", "\\0")
    return head + text


def insert_rows_ids(model: type[pw.Model], fields: list[pw.Field], rows: list[tuple]) -> list[int] | None:
    """Insert ``rows`` like :func:`insert_rows` and return their new ids, in
    order, where the engine tells them without reading the rows back: on
    PostgreSQL the ids are taken from the table's sequence first (as many
    ``nextval`` as rows, ascending, as the rows' defaults would have taken
    them) and written with the rows; on MariaDB/MySQL each multi-row INSERT
    has consecutive ids from its LAST_INSERT_ID when the server hands them
    out so (``innodb_autoinc_lock_mode`` 0 or 1, an increment of 1).  None,
    with nothing inserted, elsewhere: the caller reads the ids back."""
    if not rows:
        return []
    key = model._meta.primary_key
    if is_postgres():
        sequence = db.execute_sql("SELECT pg_get_serial_sequence(%s, %s)",
                                  (model._meta.table_name, key.column_name)).fetchone()[0]
        if sequence is None:
            return None
        ids = [i for (i,) in db.execute_sql("SELECT nextval(%s) FROM generate_series(1, %s) ORDER BY 1",
                                            (sequence, len(rows))).fetchall()]
        insert_rows(model, [key, *fields], [(i, *r) for i, r in zip(ids, rows)])
        return ids
    if not is_mysql():
        return None
    if not _consecutive_ids():
        return None
    fields, rows = with_defaults(model, fields, rows)
    cols = ", ".join(f"`{f.column_name}`" for f in fields)
    rows = _stamps_as_text(fields, rows)
    # One LOAD DATA is one "bulk insert" to InnoDB: with the lock modes
    # above it takes consecutive ids too, the first its LAST_INSERT_ID.
    first = _mysql_load(f"`{model._meta.table_name}`", cols, fields, rows, ids=True)
    if first is not None:
        return list(range(first, first + len(rows)))
    head = f"INSERT INTO `{model._meta.table_name}` ({cols}) VALUES "
    return [i for first, count in _mysql_execute(head, rows) for i in range(first, first + count)]


_AUTOINC: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()


def _consecutive_ids() -> bool:
    """Whether the server hands each multi-row INSERT consecutive ids
    (``innodb_autoinc_lock_mode`` 0 or 1, which only a restart changes, and
    an ``auto_increment_increment`` of 1, which Backroom never sets): asked
    once a connection, not once a batch (500 round trips at 1M customers)."""
    conn = db.connection()
    known = _AUTOINC.get(conn)
    if known is None:
        mode, step = db.execute_sql("SELECT @@innodb_autoinc_lock_mode, @@auto_increment_increment").fetchone()
        known = _AUTOINC[conn] = int(mode) <= 1 and int(step) == 1
    return known


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_value(v: Any, true: str = "t", false: str = "f") -> str:
    if v is None:
        return "\\N"
    if v.__class__ is bool:
        return true if v else false
    return (v if v.__class__ is str else str(v)).translate(_COPY_ESCAPES)


def copy_text(rows: list, width: int, *, true: str = "t", false: str = "f") -> str:
    """``rows`` in PostgreSQL's COPY text format: a tab between values, a
    line a row, ``\\N`` for NULL, ``t``/``f`` for booleans, backslash, tab,
    newline and carriage return escaped.  Written without escaping first,
    NULL as NUL: when the counts of tabs, newlines and NULs prove that no
    value held a tab, newline, carriage return or NUL, doubling every
    backslash and writing each NUL as ``\\N`` is the escaping (the common
    case; audit entries' JSON holds backslashes), else it is written again
    value by value.  ``true`` and ``false`` are the booleans' text."""
    text = "\n".join(["\t".join(["\0" if v is None else (true if v else false) if v.__class__ is bool
                                  else v if v.__class__ is str else str(v) for v in r]) for r in rows])
    # Without a NUL in the text there was no None: counting them compares
    # every value with None, and a Decimal's comparison (an ABC check) cost
    # more than writing the rows.
    nulls = sum(r.count(None) for r in rows) if "\0" in text else 0
    if (text.count("\t") != len(rows) * (width - 1) or text.count("\n") != len(rows) - 1 or "\r" in text
            or text.count("\0") != nulls):
        text = "\n".join(["\t".join([_copy_value(v, true, false) for v in r]) for r in rows])
    else:
        # Only backslashes (JSON's escapes, in audit entries) to double, then
        # the NULLs, written as NUL (which no text PostgreSQL stores holds).
        if "\\" in text:
            text = text.replace("\\", "\\\\")
        if nulls:
            text = text.replace("\0", "\\N")
    return text + "\n"


class _In(pw.ColumnBase):
    """``field IN (?, ?, …)`` with its values handed to the driver as they
    are: Peewee's own IN (and its SQL node) passes each value through the
    query context one call at a time, which costs more than the query."""

    def __init__(self, field: pw.Field, values: list[Any]):
        self.field, self.values = field, values

    def __sql__(self, ctx: Any) -> Any:
        if ctx.state.value_literals:  # a query written out to be read (str(query)): Peewee's own IN
            return ctx.sql(self.field.in_(self.values))
        ctx.sql(self.field).literal(f" IN ({', '.join(db.obj.param for _ in self.values)})")
        ctx._values.extend(self.values)
        return ctx


def raw_rows(query: pw.Query) -> list[tuple]:
    """A query's rows as the driver returns them (no Peewee conversion per value)."""
    return db.execute_sql(*query.sql()).fetchall()


def insert_one(model: type[pw.Model], fields: list[pw.Field], row: tuple) -> int:
    """Insert one row; its id.  One statement written out, not a Peewee query
    built for it (on PostgreSQL an INSERT … RETURNING)."""
    row = tuple(v.isoformat(" ") if isinstance(v, dt.datetime) else v for v in row)
    quote = "`" if is_mysql() else '"'
    cols = ", ".join(f"{quote}{f.column_name}{quote}" for f in fields)
    sql = (f"INSERT INTO {quote}{model._meta.table_name}{quote} ({cols}) "
           f"VALUES ({', '.join(db.obj.param for _ in fields)})")
    if is_postgres():
        return db.execute_sql(f"{sql} RETURNING {quote}{model._meta.primary_key.column_name}{quote}",
                              row).fetchone()[0]
    return db.execute_sql(sql, row).lastrowid


def sql_in(field: pw.Field, values: list[Any]) -> pw.Node:
    """``field IN (values)`` with the values passed as they are: Peewee
    builds a node per value otherwise, which costs more than the query."""
    if not values:
        return pw.SQL("1 = 0")
    return _In(field, list(values))


def ids_in(field: pw.Field, ids: list[int]) -> pw.Node:
    """``field IN (ids)``, also bounded by the ids' least and greatest: with
    the statistics a bulk import leaves stale, PostgreSQL read a batch's
    2,000 customers' memberships by scanning the whole table (every batch of
    a re-import at 1M), where the range alone makes it use the index."""
    return sql_in(field, ids) & field.between(min(ids), max(ids)) if ids else sql_in(field, ids)


class Seen:
    """A set of 64-bit hashes (``hash(key)``) in a table of machine words,
    linear probing, grown at 70 % full."""

    def __init__(self, bits: int = 16):
        self._mask = (1 << bits) - 1
        self._slots = array("q", bytes(8 << bits))
        self._count = 0

    @classmethod
    def sized(cls, keys: int) -> Seen:
        """A set made for about ``keys`` keys (at most 2²² slots, 32 MB, at
        first): it need not grow, copying every key, as they come."""
        return cls(min(22, max(16, (keys * 10 // 7).bit_length())))

    @staticmethod
    def _word(key: object) -> int:
        return hash(key) or 1  # 0 marks an empty slot

    def __contains__(self, key: object) -> bool:
        h, slots, mask = self._word(key), self._slots, self._mask
        i = h & mask
        while True:
            v = slots[i]
            if v == 0:
                return False
            if v == h:
                return True
            i = (i + 1) & mask

    def add(self, key: object) -> None:
        self._put(self._word(key))

    def _put(self, h: int) -> None:
        slots, mask = self._slots, self._mask
        i = h & mask
        while True:
            v = slots[i]
            if v == h:
                return
            if v == 0:
                slots[i] = h
                self._count += 1
                if self._count * 10 > (mask + 1) * 7:
                    self._grow()
                return
            i = (i + 1) & mask

    def _grow(self) -> None:
        old = self._slots
        self._mask = self._mask * 2 + 1
        self._slots = array("q", bytes(8 * (self._mask + 1)))
        self._count = 0
        for h in old:
            if h:
                self._put(h)

    def __len__(self) -> int:
        return self._count


def report_lines(report: ImportReport) -> Iterable[str]:
    """The report as lines of text (for the command line), inert."""
    p = report.preview
    yield f"{inert_line(p.path)}: {p.format_label}, {p.encoding}, {'tab' if p.delimiter == chr(9) else repr(p.delimiter)}-separated"
    for column, field in p.mapping:
        yield f"  {inert_line(column)} -> {field}"
    if p.ignored:
        yield "  left out: " + ", ".join(inert_line(c) for c in p.ignored)
    for problem in report.problems:
        yield inert_line(str(problem))
    if report.rejected > len(report.problems):
        yield f"… and more: {report.rejected:,} rows rejected in all"
    for name, n in sorted(report.unknown_groups.items()):
        yield f"unknown group {inert_line(name)!r} in {n:,} rows (--create-groups creates it)"


def describe(report: ImportReport) -> str:
    """The last line: what was (or would be) done."""
    verb = "would be imported" if report.dry_run else ("imported" if report.applied else "nothing imported")
    text = f"{report.rows:,} rows: {report.summary()} ({verb})"
    if report.groups_created:
        text += f"; groups {'to create' if report.dry_run else 'created'}: {', '.join(report.groups_created)}"
    if report.rejects_path:
        text += f"; rejected rows in {inert_line(report.rejects_path)}"
    if not report.dry_run and not report.applied:
        text += ": some rows are bad and --all-or-nothing was given"
    return text


IMPORT_CACHE_KB = 48_000
"""SQLite's page cache while an import writes (the connection's is 8 MB): a
million customers' rows and index pages, written in one transaction, spill
out of a small cache to the WAL and are read back again and again."""


@contextlib.contextmanager
def _big_cache() -> Iterator[None]:
    if not is_sqlite():
        yield
        return
    db.execute_sql(f"PRAGMA cache_size = -{IMPORT_CACHE_KB}")
    try:
        yield
    finally:
        db.execute_sql(f"PRAGMA cache_size = {SQLITE_PRAGMAS['cache_size']}")


def apply_import(report: ImportReport, rejects: Rejects, run: Callable[[], None], *, all_or_nothing: bool,
                 actor: str, action: str, summary: Callable[[], dict[str, Any]]) -> None:
    """What every import's apply does around its rows: ``run()`` in one
    transaction, rolled back if ``all_or_nothing`` and a row was rejected,
    else the import's one audit entry (``action``, with ``summary()``, read
    once the rows are in) and ``report.applied``.  The rejects file is kept
    when an applied import rejected rows, else removed; an import not applied
    counts nothing new, changed or unchanged."""
    try:
        with db.atomic() as txn, _big_cache():
            run()
            if all_or_nothing and report.rejected:
                txn.rollback()
            else:
                AuditEntry.create(actor=actor, action=action, entity="import", entity_id=None,
                                  after=audit_json(summary()))
                report.applied = True
        if report.applied and report.rejected:
            report.rejects_path = rejects.keep()
    finally:
        rejects.discard()
    if not report.applied:
        report.new = report.changed = report.unchanged = 0


_MADE = object()


def made_ahead(items: Iterator[Any], *, depth: int = 1, name: str = "made-ahead") -> Iterator[Any]:
    """``items``, made by a thread of their own up to ``depth`` ahead of the
    caller, who writes the one before meanwhile: on a server the client
    waits for most of a batch's statements, and on two cores the next batch
    is made (read, checked, generated) in that wait.  The maker's error is
    raised here, where its item was due; closing the iterator (an error, a
    cancel, the caller done) stops the maker and waits for it.  What makes
    the items must not use the database: the thread has no transaction."""
    made: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            with contextlib.suppress(queue.Full):
                made.put(item, timeout=0.1)
                return True
        return False

    def make() -> None:
        try:
            for item in items:
                if not put(item):
                    return
            put(_MADE)
        except BaseException as exc:  # noqa: BLE001 - raised again in the caller's thread
            put(exc)

    maker = threading.Thread(target=make, name=name, daemon=True)
    maker.start()
    try:
        while (item := made.get()) is not _MADE:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        maker.join()
