"""What every benchmark here shares: timing, the SQLite files, peak memory,
one process per size, and the table of figures."""

from __future__ import annotations

import argparse
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
from typing import Any, Callable, Sequence


SQLITE_SUFFIXES = ("", "-wal", "-shm")


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    """Median seconds over ``repeat`` runs, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


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


def per_size(script: str, sizes: Sequence[int], args: Sequence[str] = (),
             env: dict[str, str] | None = None) -> list[dict]:
    """Run ``script --one SIZE *args`` in a fresh process for each size (so
    peak memory belongs to that size alone); each prints its figures as the
    last line of JSON."""
    results = []
    for size in sizes:
        proc = subprocess.run([sys.executable, script, "--one", str(size), *args], capture_output=True,
                              text=True, env={**os.environ, **(env or {})})
        if proc.returncode:
            sys.stderr.write(proc.stderr)
            raise SystemExit(proc.returncode)
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return results


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
               columns: Sequence[tuple[str, str, str]], measure: Callable[..., dict]) -> int:
    """The command line of a benchmark that measures one process per size
    (:func:`per_size`): ``--sizes``, ``--keep DIR`` (else a temporary
    folder, emptied as it goes), then the table and one JSON line.  ``what``
    heads the table ("import/export"), ``name`` is the JSON's "bench" and
    the temporary folder's name, ``kept`` what ``--keep`` keeps."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--sizes", default=sizes)
    ap.add_argument("--keep", metavar="DIR", help=f"keep the {kept} in this folder (default: a temporary "
                                                  "folder, emptied as it goes)")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--dir", help=argparse.SUPPRESS)
    args = ap.parse_args()
    workdir = Path(args.keep or args.dir or tempfile.mkdtemp(prefix=f"backroom-bench-{name}-"))
    workdir.mkdir(parents=True, exist_ok=True)
    if args.one:
        print(json.dumps(measure(args.one, workdir, keep=bool(args.keep))))
        return 0
    results = per_size(script, [int(s) for s in args.sizes.split(",")],
                       ["--dir", str(workdir)] + (["--keep", args.keep] if args.keep else []))
    print(f"Backroom {what} on SQLite {sqlite3.sqlite_version}, Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} cores")
    print_table(columns, results)
    print(json.dumps({"bench": name, "results": results}))
    if not args.keep:
        workdir.rmdir()
    return 0
