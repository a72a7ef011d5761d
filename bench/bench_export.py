"""Export benchmark: every customer of a SQLite shop to a CSV file, beside an anchor.

For each size (100k customers by default; add 1000000 with --sizes) a
fresh process fills a database with that many customers (straight through
sqlite3: a billing address each, every tenth also in Wholesale, one in a
hundred with a phone and no email), then measures:

- ``models.export_customers`` in Backroom's format, and as Magento 2's
  customer main file (``--format magento``);
- the anchor: Python's csv module writing the same rows (customer, billing
  address, group codes) straight from one sqlite3 query, no Backroom code;
- the process's peak memory (max RSS).

Prints a table, then (last) one JSON line with every figure.

    python bench/bench_export.py [--sizes 100000,1000000] [--keep DIR]
"""

from __future__ import annotations

import csv
import sqlite3
import sys
import time
from pathlib import Path

from common import peak_rss_mb, remove_db, sizes_main

from backroom import models  # noqa: E402

FIRST = ("Zoë", "Liam", "Olivia", "Noah", "Søren", "José", "Aiko", "Ngozi", "Björn", "Siobhán")
LAST = ("García", "Smith", "Müller", "Nakamura", "O'Brien", "Dubois", "Kowalski", "Rossi", "Okafor", "Lee")
CITIES = (("Oslo", "NO", "0150"), ("Lyon", "FR", "69001"), ("Austin", "US", "73301"), ("Leeds", "GB", "LS1 4AP"))
STAMP = "2024-01-02 03:04:05"


def fill(path: Path, size: int) -> None:
    """``size`` customers with their billing address and memberships, written straight through sqlite3."""
    models.connect(f"sqlite:///{path}")
    general, wholesale = models.get_group_by_code("general").id, models.get_group_by_code("wholesale").id
    models.db.close()
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode = WAL")
    customers, addresses, members = [], [], []
    for i in range(1, size + 1):
        first, last = FIRST[i % 10], LAST[(i // 10) % 10]
        email = "" if i % 100 == 0 else f"customer.{i}@example.com"
        city, country, zip_ = CITIES[i % 4]
        customers.append((i, first, last, email, email or None, email or None, f"{first} {last}".lower(),
                          last.lower(), f"+1 555 {i:07d}" if i % 4 == 0 or not email else "", "active", "personal",
                          0, "en", STAMP, general, "12.50", 1, 1, STAMP, str(7_000_000 + i)))
        addresses.append((i, "billing", f"{first} {last}", f"{i} Long Street", "Flat 1" if i % 3 else "", city, "",
                          zip_, country))
        members.append((i, general, "manual", "bench", STAMP))
        if i % 10 == 0:
            members.append((i, wholesale, "manual", "bench", STAMP))
        if len(customers) >= 50_000 or i == size:
            con.executemany("INSERT INTO customer (id, first_name, last_name, email, email_key, email_fold, name_key, "
                            "last_key, phone, status, account_type, tax_exempt, language, registered_at, "
                            "default_group_id, total_spent, order_count, version, updated_at, external_id) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", customers)
            con.executemany("INSERT INTO address (customer_id, kind, name, line1, line2, city, region, postcode, "
                            "country) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", addresses)
            con.executemany("INSERT INTO membership (customer_id, group_id, source, added_by, added_at) "
                            "VALUES (?, ?, ?, ?, ?)", members)
            customers, addresses, members = [], [], []
    con.commit()
    con.close()


ANCHOR_SQL = """
SELECT c.external_id, c.first_name, c.last_name, c.email, c.phone, c.status, c.account_type,
       CASE WHEN c.tax_exempt THEN 'yes' ELSE 'no' END, c.language, substr(c.registered_at, 1, 19), d.code,
       (SELECT group_concat(g.code, ',') FROM membership m JOIN customer_group g ON g.id = m.group_id
         WHERE m.customer_id = c.id),
       a.name, a.line1, a.line2, a.city, a.region, a.postcode, a.country
FROM customer c JOIN customer_group d ON d.id = c.default_group_id
LEFT JOIN address a ON a.customer_id = c.id AND a.kind = 'billing'
ORDER BY c.id
"""


def anchor(path: Path, out: Path) -> int:
    """The same rows as the Backroom format's, written by the csv module straight from one sqlite3 query."""
    con = sqlite3.connect(path)
    n = 0
    with open(out, "w", encoding="utf-8", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["external_id"] * 19)
        cur = con.execute(ANCHOR_SQL)
        while rows := cur.fetchmany(5_000):
            w.writerows(rows)
            n += len(rows)
    con.close()
    return n


def timed_cpu(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def measure(size: int, workdir: Path, keep: bool) -> dict:
    path = workdir / f"bench-export-{size}.db"
    out_file = workdir / f"bench-export-{size}.csv"
    remove_db(path)
    t = time.perf_counter()
    fill(path, size)
    out: dict = {"customers": size, "fill_s": round(time.perf_counter() - t, 1)}
    out["anchor_s"], out["anchor_cpu_s"], n = timed_cpu(lambda: anchor(path, out_file))
    assert n == size
    models.connect(f"sqlite:///{path}")
    models.set_actor("bench")
    out["export_s"], out["export_cpu_s"], n = timed_cpu(lambda: models.export_customers(out_file))
    assert n == size
    out["export_mb"] = round(out_file.stat().st_size / 2 ** 20, 1)
    out["magento_s"], out["magento_cpu_s"], n = timed_cpu(lambda: models.export_customers(out_file, fmt="magento"))
    assert n == size - size // 100
    out["vs_anchor"] = round(out["export_s"] / out["anchor_s"], 2)
    models.db.close()
    out["peak_rss_mb"] = peak_rss_mb()
    if not keep:
        remove_db(path)
        out_file.unlink()
    return out


COLUMNS = [
    ("customers", "customers", "{:,}"),
    ("fill_s", "fill the db s", "{:.1f}"),
    ("anchor_s", "anchor: csv+sqlite3 s", "{:.2f}"),
    ("anchor_cpu_s", "  CPU s", "{:.2f}"),
    ("export_s", "export s", "{:.2f}"),
    ("export_cpu_s", "  CPU s", "{:.2f}"),
    ("vs_anchor", "  x anchor", "{:.2f}"),
    ("export_mb", "export MB", "{:.1f}"),
    ("magento_s", "export magento s", "{:.2f}"),
    ("magento_cpu_s", "  CPU s", "{:.2f}"),
    ("peak_rss_mb", "peak RSS MB", "{:.0f}"),
]


def main() -> int:
    return sizes_main(__file__, __doc__, name="export", what="export", sizes="100000", kept="files",
                      columns=COLUMNS, measure=measure)


if __name__ == "__main__":
    sys.exit(main())
