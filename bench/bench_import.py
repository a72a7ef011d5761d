"""Import benchmark: customers from a Shopify export into SQLite (or a server), and back out.

For each size (10k and 100k customers by default; add 1000000 with
--sizes) a fresh process writes a Shopify customer export of that many
customers with a billing address each (every tenth in the Wholesale group,
one in a hundred with a phone and no email), makes an empty database (a
SQLite file, or with ``--db URL`` a database of its own on that PostgreSQL
or MySQL/MariaDB server, ``PREFIX_<size>``, dropped afterwards unless
``--keep``), then measures:

- the dry run (every row read and checked against an empty database);
- the import into an empty database (``models.import_customers``);
- importing the same file again (``0 new, 0 changed, N unchanged``);
- exporting every customer in Backroom's format;
- importing as many orders (one per customer, 1-2 item lines, every fifth a
  total without lines), then the same file again;
- the process's peak memory (max RSS) and the file's size.

Prints a table, then (last) one JSON line with every figure.

    python bench/bench_import.py [--sizes 10000,100000,1000000] [--keep DIR] [--db URL] [--prefix NAME]
                                 [--customers-only | --orders-only]

``--customers-only`` measures the dry run, the import and the same file
again, and skips the export and the orders.  ``--orders-only`` imports
the customers (the orders need them), then measures the orders and the same
orders again alone: no dry run, no customers' re-import, no export.

``--db`` names the server (``postgresql://postgres@127.0.0.1:5432/postgres``,
``mysql://root@127.0.0.1:3306/mysql``: the database in it is only where to
connect to make the run's own); ``sqlite:`` or nothing means SQLite files.
"""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

from common import db_mb, measured, peak_rss_mb, run_database, server_db_mb, sizes_main, timed

from backroom import models  # noqa: E402
from backroom.datalayer.imports.formats import SHOPIFY_COLUMNS  # noqa: E402

FIRST = ("Zoë", "Liam", "Olivia", "Noah", "Søren", "José", "Aiko", "Ngozi", "Björn", "Siobhán")
LAST = ("García", "Smith", "Müller", "Nakamura", "O'Brien", "Dubois", "Kowalski", "Rossi", "Okafor", "Lee")
CITIES = (("Oslo", "NO", "0150"), ("Lyon", "FR", "69001"), ("Austin", "US", "73301"), ("Leeds", "GB", "LS1 4AP"))


def write_file(path: Path, size: int) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(SHOPIFY_COLUMNS)
        for i in range(1, size + 1):
            city, country, zip_ = CITIES[i % len(CITIES)]
            phone_only = i % 100 == 0
            w.writerow([str(7_000_000 + i), FIRST[i % 10], LAST[(i // 10) % 10],
                        "" if phone_only else f"customer.{i}@example.com", "no", "",
                        f"{i} Long Street", "Flat 1" if i % 3 else "", city, "", country, zip_, "",
                        f"+1 555 {i:07d}" if phone_only or i % 4 == 0 else "", "no", "12.50", "1", "",
                        "no", "wholesale" if i % 10 == 0 else ""])


def write_orders(path: Path, size: int) -> None:
    """One order per customer (every tenth refunded, every fifth without lines), 1-2 lines of 20 SKUs."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["order_number", "customer_external_id", "customer_email", "placed_at", "status", "total",
                    "sku", "product_name", "quantity", "unit_price"])
        for i in range(1, size + 1):
            status = "refunded" if i % 10 == 0 else "complete"
            day = f"2024-{1 + i % 12:02d}-{1 + i % 28:02d} 10:00:00"
            if i % 5 == 0:
                w.writerow([f"B{i}", str(7_000_000 + i), "", day, status, "19.90", "", "", "", ""])
                continue
            w.writerow([f"B{i}", str(7_000_000 + i), "", day, status, "25.00", f"SKU-{i % 20}", f"Item {i % 20}",
                        "2", "7.50"])
            w.writerow([f"B{i}", "", "", "", "", "", f"SKU-{(i + 7) % 20}", f"Item {(i + 7) % 20}", "1", "10.00"])


def measure(size: int, workdir: Path, keep: bool, server: str | None = None, prefix: str = "") -> dict:
    path = workdir / f"bench-import-{size}.db"
    source = workdir / f"bench-import-{size}.csv"
    out_file = workdir / f"bench-export-{size}.csv"
    write_file(source, size)
    try:
        with run_database(path, server, f"{prefix}_{size}", keep) as url:
            return _measure(size, url, path, source, out_file, keep)
    finally:
        if not keep:
            source.unlink(missing_ok=True)
            out_file.unlink(missing_ok=True)


def _measure(size: int, url: str, path: Path, source: Path, out_file: Path, keep: bool) -> dict:
    models.connect(url)
    models.set_actor("bench")
    out: dict = {"customers": size, "file_mb": round(source.stat().st_size / 2 ** 20, 1)}
    orders_only = bool(os.environ.get(ORDERS_ONLY))
    if not orders_only:
        out["dry_run_s"], report = timed(lambda: models.import_customers(source, dry_run=True))
        assert report.new == size and report.rejected == 0, report.summary()
    report = measured(out, "import", lambda: models.import_customers(source))
    assert report.summary() == f"{size:,} new, 0 changed, 0 unchanged, 0 rejected", report.summary()
    out["rows_per_s"] = round(size / out["import_s"])
    if not orders_only:
        report = measured(out, "reimport", lambda: models.import_customers(source))
        assert report.summary() == f"0 new, 0 changed, {size:,} unchanged, 0 rejected", report.summary()
        if os.environ.get(CUSTOMERS_ONLY):
            return _finish(out, path)
        written = measured(out, "export", lambda: models.export_customers(out_file))
        assert written == size
    orders = path.with_name(f"bench-orders-{size}.csv")
    write_orders(orders, size)
    report = measured(out, "orders", lambda: models.import_orders(orders))
    assert report.summary() == f"{size:,} new, 0 changed, 0 unchanged, 0 rejected", report.summary()
    report = measured(out, "orders_again", lambda: models.import_orders(orders))
    assert report.summary() == f"0 new, 0 changed, {size:,} unchanged, 0 rejected", report.summary()
    if not keep:
        orders.unlink()
    if not orders_only:
        out["export_mb"] = round(out_file.stat().st_size / 2 ** 20, 1)
    return _finish(out, path)


def _finish(out: dict, path: Path) -> dict:
    on_server = None if models.is_sqlite() else server_db_mb()
    models.db.close()  # (SQLite folds its WAL into the file)
    out["db_mb"] = db_mb(path) if on_server is None else on_server
    out["peak_rss_mb"] = peak_rss_mb()
    return out


COLUMNS = [
    ("customers", "customers", "{:,}"),
    ("file_mb", "Shopify file MB", "{:.1f}"),
    ("dry_run_s", "dry run s", "{:.2f}"),
    ("import_s", "import s", "{:.2f}"),
    ("import_cpu_s", "  CPU s", "{:.2f}"),
    ("import_server_cpu_s", "  server CPU s", "{:.2f}"),
    ("rows_per_s", "  rows/s", "{:,}"),
    ("reimport_s", "same file again s", "{:.2f}"),
    ("reimport_cpu_s", "  CPU s", "{:.2f}"),
    ("reimport_server_cpu_s", "  server CPU s", "{:.2f}"),
    ("export_s", "export s", "{:.2f}"),
    ("export_cpu_s", "  CPU s", "{:.2f}"),
    ("export_server_cpu_s", "  server CPU s", "{:.2f}"),
    ("export_mb", "export MB", "{:.1f}"),
    ("orders_s", "import orders s", "{:.2f}"),
    ("orders_cpu_s", "  CPU s", "{:.2f}"),
    ("orders_server_cpu_s", "  server CPU s", "{:.2f}"),
    ("orders_again_s", "same orders again s", "{:.2f}"),
    ("orders_again_cpu_s", "  CPU s", "{:.2f}"),
    ("orders_again_server_cpu_s", "  server CPU s", "{:.2f}"),
    ("peak_rss_mb", "peak RSS MB", "{:.0f}"),
    ("db_mb", "db MB", "{:.0f}"),
]


CUSTOMERS_ONLY = "BACKROOM_BENCH_CUSTOMERS_ONLY"
"""Set (by ``--customers-only``) for the per-size processes: the customers'
import and re-import only, no export and no orders."""
ORDERS_ONLY = "BACKROOM_BENCH_ORDERS_ONLY"
"""Set (by ``--orders-only``) for the per-size processes: the customers'
import, then the orders and the same orders again; nothing else."""


def main() -> int:
    if "--customers-only" in sys.argv:
        sys.argv.remove("--customers-only")
        os.environ[CUSTOMERS_ONLY] = "1"
    if "--orders-only" in sys.argv:
        sys.argv.remove("--orders-only")
        os.environ[ORDERS_ONLY] = "1"
    return sizes_main(__file__, __doc__, name="import", what="import/export", sizes="10000,100000", kept="files",
                      columns=COLUMNS, measure=measure, servers=True)


if __name__ == "__main__":
    sys.exit(main())
