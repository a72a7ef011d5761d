"""What the imports share: the report, the rejects file, the set of keys
already seen, all-or-nothing, batches made ahead.  Writing a batch with few
statements is :mod:`.writer`'s.

The set of keys seen (:class:`Seen`) holds one 64-bit hash per key in an
open-addressing table of machine words, 8 bytes a key where a Python set
of ints takes about 60: a million customers' ids and emails fit in 32 MB.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import datetime as dt
import json
import os
import queue
import tempfile
import threading
from array import array
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
