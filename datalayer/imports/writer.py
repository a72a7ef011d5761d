"""Writing a batch of rows into a table with few statements, the fastest
way each engine offers: prepared statements run for every row on SQLite,
COPY on PostgreSQL, multi-row INSERTs or LOAD DATA LOCAL INFILE on
MariaDB/MySQL (with the new rows' ids where the engine tells them).  What
the imports and the seed write goes through here; the columns a caller
leaves out get their model's default.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import tempfile
import weakref
from decimal import Decimal
from typing import Any, Callable, Iterator

import peewee as pw

from ..connection import db, is_mysql, is_postgres


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
