"""Connecting: the database proxy the tables are bound to, URLs, and which engine is behind it."""

from __future__ import annotations

import contextlib
import contextvars
import os
import random
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlparse

import peewee as pw

from .errors import BackroomError
from .text import inert_line

db = pw.DatabaseProxy()


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


bulk_writer: contextvars.ContextVar[bool] = contextvars.ContextVar("bulk_writer", default=False)
"""Whether the operation about to begin a write transaction may change many
rows (set through ``transactions.bulk``)."""


class _SqliteDatabase(pw.SqliteDatabase):
    """SQLite, where a write transaction waits for the database's one write
    lock with one-row edits first.

    SQLite's own busy handler polls with growing pauses (up to 100 ms), so
    whoever happens to poll first when the lock frees gets it: an admin's
    one-field edit could wait behind several bulk changes that arrived
    after it.  Here ``BEGIN IMMEDIATE`` is tried without SQLite's wait and
    tried again every few milliseconds for a one-row edit, every few tens
    of milliseconds for a bulk change (:data:`bulk_writer`), for up to the
    same 10 s: when the lock frees, a waiting edit almost always gets it
    next, and waits for at most the change in progress.  A bulk change is
    still all-or-nothing, one transaction.

    It also minds that SQLite itself may already have rolled a transaction
    back: on a full disk (SQLITE_FULL), an I/O error or a failed allocation
    it ends the transaction, and Peewee's own ROLLBACK would then fail with
    "cannot rollback - no transaction is active", hiding the real error."""

    def begin(self, lock_type: str | None = None) -> None:
        lock_type = lock_type or self._lock_type
        if lock_type != "IMMEDIATE":
            return super().begin(lock_type)
        conn = self.connection()
        pause = (0.02, 0.06) if bulk_writer.get() else (0.001, 0.004)
        deadline = time.monotonic() + SQLITE_PRAGMAS["busy_timeout"] / 1000
        conn.execute("PRAGMA busy_timeout = 0")
        try:
            while True:
                try:
                    return super().begin(lock_type)
                except pw.OperationalError as exc:
                    if "locked" not in str(exc) or time.monotonic() >= deadline:
                        raise
                time.sleep(random.uniform(*pause))
        finally:
            conn.execute(f"PRAGMA busy_timeout = {SQLITE_PRAGMAS['busy_timeout']}")

    def _transaction_gone(self) -> bool:
        conn = self._state.conn
        return conn is not None and not conn.in_transaction

    def rollback(self) -> None:
        if not self._transaction_gone():
            super().rollback()

    def execute_sql(self, sql: str, params: Any = None) -> Any:
        if sql.startswith("ROLLBACK TO SAVEPOINT") and self._transaction_gone():
            return None
        return super().execute_sql(sql, params)


_tls_default: Any = None
_tls_default_lock = threading.Lock()


def _mysql_connection_class() -> type:
    """PyMySQL's connection, with the TLS context of its default mode made
    once a process.

    Given no TLS options, PyMySQL (1.2) offers TLS to a server that takes it
    (its "preferred" mode), and builds a new default context for that on
    every connection, loading the system's certificate authorities: 70 ms
    a connection on an idle machine, 160-180 ms when two workers connected
    at once (the Groups list and the pending reviews' count as Backroom
    starts), whether the server takes TLS or not.  The context is the same
    each time (no certificates given, none checked), so it is made once and
    shared (an ``SSLContext`` serves any number of connections and
    threads).  TLS options given in the URL are PyMySQL's own, as before."""
    from pymysql.connections import Connection, MySQLResult
    from pymysql.protocol import LoadLocalPacketWrapper

    class _LoadResult(MySQLResult):
        def _read_load_local_packet(self, first_packet: Any) -> None:
            # The server may read the one file the statement names, nothing else.
            asked = LoadLocalPacketWrapper(first_packet).filename
            if asked != os.fsencode(self.connection.load_path or ""):
                self.connection._local_infile = False
            super()._read_load_local_packet(first_packet)

    class _Connection(Connection):
        load_path: str | None = None
        """The file a LOAD DATA LOCAL INFILE being run sends
        (:meth:`load_local`); the server is refused any other, and any file
        outside such a statement (PyMySQL's ``local_infile`` is off)."""

        def load_local(self, sql: str, path: str) -> int:
            """Run ``sql``, a LOAD DATA LOCAL INFILE of ``path``: its row count."""
            self.load_path, self._local_infile = path, True
            try:
                with self.cursor() as cursor:
                    return cursor.execute(sql)
            finally:
                self.load_path, self._local_infile = None, False

        def _read_query_result(self, unbuffered: bool = False) -> int:
            if self.load_path is None or unbuffered:
                return super()._read_query_result(unbuffered)
            # PyMySQL's own, with a result that checks the file asked for.
            self._result = None
            result = _LoadResult(self)
            result.read()
            self._result = result
            if result.server_status is not None:
                self.server_status = result.server_status
            return result.affected_rows

        def _create_ssl_ctx(self, sslp: Any) -> Any:
            global _tls_default
            if sslp != {}:
                return super()._create_ssl_ctx(sslp)
            with _tls_default_lock:
                if _tls_default is None:
                    _tls_default = super()._create_ssl_ctx(sslp)
                return _tls_default

    return _Connection


class _MySQLDatabase(pw.MySQLDatabase):
    """MySQL/MariaDB, whose named locks (``GET_LOCK``) belong to the session,
    not the transaction: those taken in a transaction
    (:meth:`named_lock`) are released when it commits or rolls back, as
    PostgreSQL's transaction-level advisory locks are."""

    _connection_class: type | None = None

    def _connect(self) -> Any:
        cls = type(self)
        if cls._connection_class is None:
            cls._connection_class = _mysql_connection_class()
        return cls._connection_class(database=self.database, autocommit=True, **self.connect_params)

    def named_lock(self, name: str, timeout: float) -> bool:
        """Take the named lock ``name`` of this database (named locks are
        server-wide: the name is prefixed with a hash of the database's)
        until the transaction ends, waiting up to ``timeout`` seconds.
        False if it could not be had in time."""
        got = self.execute_sql("SELECT GET_LOCK(CONCAT(LEFT(MD5(DATABASE()), 16), '.', %s), %s)",
                               (name, timeout)).fetchone()[0]
        if got == 1:
            if not getattr(self._state, "named_locks", None):
                self._state.named_locks = []
            self._state.named_locks.append(name)
        return got == 1

    def _release_named_locks(self) -> None:
        # Only the locks taken through named_lock (each as often as it was
        # taken): a bulk load holds a lock of its own across transactions
        # (datalayer.setaside), which RELEASE_ALL_LOCKS would release too.
        names = getattr(self._state, "named_locks", None)
        if names and not self.is_closed():
            self._state.named_locks = []
            with contextlib.suppress(Exception):
                self.cursor().execute(
                    "SELECT " + ", ".join("RELEASE_LOCK(CONCAT(LEFT(MD5(DATABASE()), 16), '.', %s))" for _ in names),
                    names)

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._release_named_locks()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._release_named_locks()


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
        return _SqliteDatabase(path, pragmas=SQLITE_PRAGMAS, timeout=10, lock_type="IMMEDIATE")
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
        # LOCAL_FILES: the imports' writer sends big batches with LOAD DATA
        # LOCAL INFILE (see _Connection.load_local for what the server may read).
        kwargs.setdefault("client_flag", CLIENT.FOUND_ROWS | CLIENT.LOCAL_FILES)
        # READ COMMITTED, as on PostgreSQL: each statement reads what is
        # committed when it starts (after the locks an operation waited
        # for), without the gap locks REPEATABLE READ takes on every row an
        # INSERT ... SELECT reads, which deadlock overlapping bulk changes.
        # Reads that need one snapshot ask for REPEATABLE READ.
        kwargs.setdefault("init_command", "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
        kwargs.update(options)
        return _MySQLDatabase(name, **kwargs)
    raise BackroomError(
        f"Unknown database URL {redact_url(url)!r}: use sqlite:///file.db, "
        "postgresql://user@host/name or mysql://user@host/name")


def first_line(exc: BaseException) -> str:
    text = str(exc.args[-1] if len(exc.args) > 1 else exc).strip()
    return text.splitlines()[0] if text else exc.__class__.__name__


def settings_key() -> Any:
    """What settings read from the database are kept for (see
    ``shopmoney.money_format``): the database connected to, the same once
    :func:`pool_connections` has put a pool in front of it."""
    return getattr(db.obj, "pools", db.obj)


def is_sqlite() -> bool:
    return isinstance(db.obj, pw.SqliteDatabase)


def is_mysql() -> bool:
    return isinstance(db.obj, pw.MySQLDatabase)


def is_postgres() -> bool:
    return isinstance(db.obj, pw.PostgresqlDatabase)


DATABASE_ERRORS: tuple[type[BaseException], ...] = (pw.PeeweeException, sqlite3.Error)
"""What a failing database (or its driver, as Peewee wraps it; SQLite's own
errors too, should a raw cursor let one through) raises, as opposed to an
operation's own :class:`BackroomError`: for ``except``."""


def is_database_error(exc: BaseException) -> bool:
    """Whether ``exc`` came from the database rather than an operation's checks."""
    return isinstance(exc, DATABASE_ERRORS)


# What SQLite says, and what it means for an admin.
_SQLITE_PROBLEMS = (
    ("database or disk is full", "the database or its disk is full: nothing was saved"),
    ("readonly database", "the database is read-only: nothing was saved"),
    ("file is not a database", "the file is not a SQLite database, or it is damaged"),
    ("disk image is malformed", "the database file is damaged (malformed)"),
    ("unable to open database file", "the database file cannot be opened (check its folder and permissions)"),
    ("disk i/o error", "the disk failed to read or write the database"),
)


def describe_database_error(exc: BaseException) -> str:
    """One line for an admin saying what went wrong with the database (a
    full disk, a read-only or damaged file…), with control characters
    escaped: the driver's message may quote stored data."""
    line = first_line(exc)
    lowered = line.lower()
    for needle, meaning in _SQLITE_PROBLEMS:
        if needle in lowered:
            return f"{meaning[0].upper()}{meaning[1:]} ({inert_line(line)})"
    return inert_line(line)


def release_connection() -> None:
    """Close the calling thread's connection, if it has one (Peewee keeps one
    per thread, so a worker thread's would stay open after it ends).  Best
    effort: never raises."""
    try:
        db.close()
    except Exception:  # noqa: BLE001 - not connected, or closed meanwhile
        pass


def pool_connections() -> None:
    """On PostgreSQL and MariaDB, keep the connection a thread closes (see
    :func:`release_connection`) for the next thread that connects, instead
    of opening one each time: the TUI reads and writes in a new worker
    thread for every job, and a connection took 20-40 ms to open on
    PostgreSQL, 110-230 ms on MariaDB, on every list's first rows and every
    form.  A connection goes back to the pool with any transaction left
    open rolled back; one older than ten minutes, or closed by the server,
    is replaced.  SQLite (a connection opens in well under a millisecond)
    is left as it is."""
    from playhouse.pool import _PooledMySQLDatabase, _PooledPostgresqlDatabase

    database = db.obj
    if database is None or isinstance(database, (_PooledMySQLDatabase, _PooledPostgresqlDatabase)):
        return
    pool = _PooledMySQLDatabase if is_mysql() else _PooledPostgresqlDatabase if is_postgres() else None
    if pool is None:
        return
    pooled_class = type(f"Pooled{type(database).__name__}", (pool, type(database)), {})
    params = dict(database.connect_params)
    if is_postgres():
        # One core a query: at a million customers PostgreSQL counted with two
        # parallel workers beside the query's own process (the customers'
        # count 220-280 ms of three processes, against 540-680 ms of one): on a
        # machine of two cores, the counts shown beside lists took them both
        # from the rows the next key read (their slowest read 170-260 ms
        # against 115-125) and from the event loop drawing them.  The TUI's
        # reads are pages of an index, never planned in parallel.
        params["options"] = f"{params.get('options', '')} -c max_parallel_workers_per_gather=0".strip()
    pooled = pooled_class(database.database, max_connections=None, stale_timeout=600, **params)
    # The same database: the settings read when connecting are kept (else the
    # first amount drawn read them again, on the event loop, through a new
    # connection of its own: in the middle of F2).
    pooled.pools = getattr(database, "pools", database)
    if not database.is_closed():
        database.close()
    db.initialize(pooled)
