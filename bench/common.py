"""What every benchmark here shares: timing, the SQLite files (or a scratch
database on a PostgreSQL or MySQL/MariaDB server), peak memory, one process
per size, and the table of figures."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import statistics
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "datalayer"))

import concurrency_workload as work  # noqa: E402

from backroom import models  # noqa: E402


SQLITE_SUFFIXES = ("", "-wal", "-shm")


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    """Median seconds over ``repeat`` runs, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def session_cpu_s() -> float | None:
    """CPU seconds the server has spent so far on the models' connection —
    its backend process on PostgreSQL, its thread on MariaDB — read from
    /proc when the server runs on this machine; None on SQLite (its work is
    this process's) or when it cannot be read.  Background work (WAL and
    page writers, InnoDB's purge and flushing) is not counted."""
    if models.is_sqlite():
        return None
    try:
        if models.is_postgres():
            tid = models.db.execute_sql("SELECT pg_backend_pid()").fetchone()[0]
        else:
            tid = models.db.execute_sql("SELECT TID FROM information_schema.processlist "
                                        "WHERE ID = CONNECTION_ID()").fetchone()[0]
        # /proc/TID/stat of a thread that does not lead its process holds the
        # whole process's times (every MariaDB session and InnoDB's threads):
        # its own are under task/.
        with open(f"/proc/{int(tid)}/task/{int(tid)}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except Exception:  # noqa: BLE001 - a remote server, no TID column: not measured
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed_cpu(fn: Callable[[], Any]) -> tuple[float, float, float | None, Any]:
    """Wall seconds, CPU seconds of this process and of the server's side of
    the connection (:func:`session_cpu_s`; None on SQLite), and the result:
    the machine may be busy with other work, and CPU time says what the
    operation itself cost."""
    server = session_cpu_s()
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    after = session_cpu_s()
    return wall, cpu, (None if server is None or after is None else round(after - server, 2)), result


def measured(out: dict, name: str, fn: Callable[[], Any]) -> Any:
    """Run ``fn`` (:func:`timed_cpu`), put its figures in ``out`` as
    ``NAME_s``, ``NAME_cpu_s`` and (on a server) ``NAME_server_cpu_s``, and
    return its result."""
    out[f"{name}_s"], out[f"{name}_cpu_s"], server, result = timed_cpu(fn)
    if server is not None:
        out[f"{name}_server_cpu_s"] = server
    return result


def remove_db(path: Path) -> None:
    """Delete a SQLite database with its WAL and shared-memory files."""
    for suffix in SQLITE_SUFFIXES:
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def db_mb(path: Path) -> float:
    """Size on disk of a SQLite database and its WAL, in MB."""
    return round(sum(os.path.getsize(f"{path}{s}") for s in ("", "-wal")
                     if os.path.exists(f"{path}{s}")) / 2 ** 20, 1)


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def is_server(url: str | None) -> bool:
    """Whether ``--db`` names a PostgreSQL or MySQL/MariaDB server (else SQLite files)."""
    return bool(url) and not str(url).startswith("sqlite")


def server_db_mb() -> float:
    """Size of the connected server database (tables and indexes), in MB."""
    if models.is_postgres():
        size = models.db.execute_sql("SELECT pg_database_size(current_database())").fetchone()[0]
    else:
        size = models.db.execute_sql(
            "SELECT SUM(data_length + index_length) FROM information_schema.tables "
            "WHERE table_schema = DATABASE()").fetchone()[0]
    return round(float(size) / 2 ** 20, 1)


def engine_version(server: str | None) -> str:
    """"SQLite 3.x", or the server's own name and version."""
    if not server:
        return f"SQLite {sqlite3.sqlite_version}"
    db = work._admin_connection(server)
    try:
        version = db.execute_sql("SELECT version()").fetchone()[0]
    finally:
        db.close()
    return version.split(",")[0] if "PostgreSQL" in version else f"MySQL/MariaDB {version}"


@contextlib.contextmanager
def run_database(path: Path, server: str | None, name: str, keep: bool) -> Iterator[str]:
    """The URL of a new, empty database for one run: the SQLite file
    ``path``, or with ``server`` the database ``name`` made on it (any
    leftover of that name dropped first).  Afterwards the models'
    connection is closed and the database removed, unless ``keep``."""
    if server:
        url = work.create_scratch_database(server, name)
    else:
        remove_db(path)
        url = f"sqlite:///{path}"
    try:
        yield url
    finally:
        if not models.db.is_closed():
            models.db.close()
        if not keep:
            if server:
                work.drop_scratch_database(server, name)
            else:
                remove_db(path)


def per_size(script: str, sizes: Sequence[int], args: Sequence[str] = (),
             env: dict[str, str] | None = None) -> list[dict]:
    """Run ``script --one SIZE *args`` in a fresh process for each size (so
    peak memory belongs to that size alone); each prints its figures as the
    last line of JSON."""
    results = []
    for size in sizes:
        before = os.getloadavg()[0]
        proc = subprocess.run([sys.executable, script, "--one", str(size), *args], capture_output=True,
                              text=True, env={**os.environ, **(env or {})})
        if proc.returncode:
            sys.stderr.write(proc.stderr)
            raise SystemExit(proc.returncode)
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        # The machine's load (1-minute average) as the size began and ended:
        # on a shared machine, what the figures were measured beside.
        results[-1].update(load_before=round(before, 2), load_after=round(os.getloadavg()[0], 2))
    return results


LOAD_COLUMNS = [("load_before", "load avg before", "{:.2f}"), ("load_after", "load avg after", "{:.2f}")]


def print_table(columns: Sequence[tuple[str, str, str]], results: list[dict]) -> None:
    """One line per figure, one column per run. A column is (key, label,
    format); the format "ms" shows seconds as milliseconds."""
    for key, label, fmt in columns:
        cells = []
        for r in results:
            v = r.get(key)
            cells.append("-" if v is None else f"{v * 1000:.2f}" if fmt == "ms" else fmt.format(v))
        print(f"{label:<24}" + "".join(f"{c:>14}" for c in cells))


def sizes_main(script: str, doc: str, *, name: str, what: str, sizes: str, kept: str,
               columns: Sequence[tuple[str, str, str]], measure: Callable[..., dict], servers: bool = False) -> int:
    """The command line of a benchmark that measures one process per size
    (:func:`per_size`): ``--sizes``, ``--keep DIR`` (else a temporary
    folder, emptied as it goes), then the table and one JSON line.  ``what``
    heads the table ("import/export"), ``name`` is the JSON's "bench" and
    the temporary folder's name, ``kept`` what ``--keep`` keeps.

    With ``servers`` the benchmark also runs on a server: ``--db URL``
    (``postgresql://postgres@127.0.0.1:5432/postgres``,
    ``mysql://root@127.0.0.1:3306/mysql``: where to connect to make the
    run's own database, ``PREFIX_<size>``, ``--prefix`` so that two people
    on one server do not drop each other's); ``measure`` is then called with
    ``server=`` (None for SQLite) and ``prefix=``."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--sizes", default=sizes)
    ap.add_argument("--keep", metavar="DIR", help=f"keep the {kept} in this folder (default: a temporary "
                                                  "folder, emptied as it goes)")
    prefix = f"backroom_bench_{name}"
    if servers:
        ap.add_argument("--db", metavar="URL", help="a PostgreSQL or MySQL/MariaDB server to run on "
                                                    "(default: SQLite)")
        ap.add_argument("--prefix", default=prefix, help=f"server databases are PREFIX_<size> (default {prefix})")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--dir", help=argparse.SUPPRESS)
    args = ap.parse_args()
    server = args.db if servers and is_server(args.db) else None
    extra = ["--db", server, "--prefix", args.prefix] if server else []
    workdir = Path(args.keep or args.dir or tempfile.mkdtemp(prefix=f"backroom-bench-{name}-"))
    workdir.mkdir(parents=True, exist_ok=True)
    if args.one:
        more = {"server": server, "prefix": args.prefix} if servers else {}
        print(json.dumps(measure(args.one, workdir, keep=bool(args.keep), **more)))
        return 0
    results = per_size(script, [int(s) for s in args.sizes.split(",")],
                       ["--dir", str(workdir)] + (["--keep", args.keep] if args.keep else []) + extra)
    print(f"Backroom {what} on {engine_version(server)}, Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} cores")
    print_table([*columns, *LOAD_COLUMNS], results)
    print(json.dumps({"bench": name, "results": results}))
    if not args.keep:
        workdir.rmdir()
    return 0
