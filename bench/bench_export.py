"""Export benchmark: every customer of a shop to a CSV file, beside an anchor.

For each size (100k customers by default; add 1000000 with --sizes) a
fresh process fills a database with that many customers (straight through
the driver: a billing address each, every tenth also in Wholesale, one in a
hundred with a phone and no email) — a SQLite file, or with ``--db URL`` a
database of its own on that PostgreSQL or MySQL/MariaDB server,
``PREFIX_<size>``, dropped afterwards unless ``--keep`` — then measures:

- ``models.export_customers`` in Backroom's format, and as Magento 2's
  customer main file (``--format magento``);
- the anchor: Python's csv module writing the same rows (customer, billing
  address, group codes) straight from one query through the driver (sqlite3;
  on a server a streaming cursor, psycopg2's named one or PyMySQL's
  unbuffered one), no Backroom code;
- the process's peak memory (max RSS).

Prints a table, then (last) one JSON line with every figure.

    python bench/bench_export.py [--sizes 100000,1000000] [--keep DIR] [--db URL] [--prefix NAME]

``--db`` names the server (``postgresql://postgres@127.0.0.1:5432/postgres``,
``mysql://root@127.0.0.1:3306/mysql``: the database in it is only where to
connect to make the run's own); ``sqlite:`` or nothing means SQLite files.
"""

from __future__ import annotations

import csv
import sqlite3
import sys
import time
from pathlib import Path

from common import measured, peak_rss_mb, run_database, sizes_main, timed_cpu

from backroom import models  # noqa: E402

FIRST = ("Zoë", "Liam", "Olivia", "Noah", "Søren", "José", "Aiko", "Ngozi", "Björn", "Siobhán")
LAST = ("García", "Smith", "Müller", "Nakamura", "O'Brien", "Dubois", "Kowalski", "Rossi", "Okafor", "Lee")
CITIES = (("Oslo", "NO", "0150"), ("Lyon", "FR", "69001"), ("Austin", "US", "73301"), ("Leeds", "GB", "LS1 4AP"))
STAMP = "2024-01-02 03:04:05"


CUSTOMER_COLUMNS = ("id", "first_name", "last_name", "email", "email_key", "email_fold", "name_key", "last_key",
                    "phone", "status", "account_type", "tax_exempt", "language", "registered_at", "default_group_id",
                    "total_spent", "order_count", "version", "updated_at", "external_id")
ADDRESS_COLUMNS = ("customer_id", "kind", "name", "line1", "line2", "city", "region", "postcode", "country")
MEMBER_COLUMNS = ("customer_id", "group_id", "source", "added_by", "added_at")


def fill(url: str, size: int) -> None:
    """``size`` customers with their billing address and memberships,
    written straight through the driver (sqlite3, psycopg2, PyMySQL) in
    batches of 50,000, committed once."""
    models.connect(url)
    general, wholesale = models.get_group_by_code("general").id, models.get_group_by_code("wholesale").id
    sqlite = models.is_sqlite()
    if sqlite:
        models.db.close()
        con = sqlite3.connect(url.removeprefix("sqlite:///"))
        con.execute("PRAGMA journal_mode = WAL")
    else:
        con = models.db.connection()
    insert = _inserter(con, "sqlite" if sqlite else "postgresql" if models.is_postgres() else "mysql")
    customers, addresses, members = [], [], []
    for i in range(1, size + 1):
        first, last = FIRST[i % 10], LAST[(i // 10) % 10]
        email = "" if i % 100 == 0 else f"customer.{i}@example.com"
        city, country, zip_ = CITIES[i % 4]
        customers.append((i, first, last, email, email or None, email or None, f"{first} {last}".lower(),
                          last.lower(), f"+1 555 {i:07d}" if i % 4 == 0 or not email else "", "active", "personal",
                          False, "en", STAMP, general, "12.50", 1, 1, STAMP, str(7_000_000 + i)))
        addresses.append((i, "billing", f"{first} {last}", f"{i} Long Street", "Flat 1" if i % 3 else "", city, "",
                          zip_, country))
        members.append((i, general, "manual", "bench", STAMP))
        if i % 10 == 0:
            members.append((i, wholesale, "manual", "bench", STAMP))
        if len(customers) >= 50_000 or i == size:
            insert("customer", CUSTOMER_COLUMNS, customers)
            insert("address", ADDRESS_COLUMNS, addresses)
            insert("membership", MEMBER_COLUMNS, members)
            customers, addresses, members = [], [], []
    if models.is_postgres():  # the customers' ids were given: their sequence starts after them
        with con.cursor() as cur:
            cur.execute("SELECT setval(pg_get_serial_sequence('customer', 'id'), (SELECT MAX(id) FROM customer))")
    con.commit()
    if sqlite:
        con.close()
        return
    # A server plans by its statistics, which a bulk load leaves stale until
    # autovacuum (PostgreSQL) or the background recount (InnoDB) catches up:
    # the anchor's one query is measured with them fresh.
    with con.cursor() as cur:
        if models.is_postgres():
            cur.execute("ANALYZE customer, address, membership")
        else:
            cur.execute("ANALYZE TABLE customer, address, membership")
            cur.fetchall()
    con.commit()
    models.db.close()


def _inserter(con, engine: str):
    """insert(table, columns, rows) through the raw driver: executemany
    (PyMySQL sends it as multi-row INSERTs), or psycopg2's execute_values."""
    def insert(table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        cols = ", ".join(columns)
        if engine == "sqlite":
            con.executemany(f"INSERT INTO {table} ({cols}) VALUES ({', '.join('?' for _ in columns)})", rows)
        elif engine == "postgresql":
            from psycopg2.extras import execute_values
            with con.cursor() as cur:
                execute_values(cur, f"INSERT INTO {table} ({cols}) VALUES %s", rows, page_size=2_000)
        else:
            with con.cursor() as cur:
                cur.executemany(f"INSERT INTO `{table}` ({cols}) VALUES ({', '.join('%s' for _ in columns)})", rows)
    return insert


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


ANCHOR_SERVER_SQL = {
    "postgresql": ANCHOR_SQL.replace("substr(c.registered_at, 1, 19)",
                                     "to_char(c.registered_at, 'YYYY-MM-DD HH24:MI:SS')")
                            .replace("group_concat(g.code, ',')", "string_agg(g.code, ',')"),
    "mysql": ANCHOR_SQL.replace("substr(c.registered_at, 1, 19)", "CAST(c.registered_at AS CHAR)")
                       .replace("group_concat(g.code, ',')", "GROUP_CONCAT(g.code SEPARATOR ',')"),
}


def anchor(url: str, out: Path) -> int:
    """The same rows as the Backroom format's, written by the csv module
    straight from one query through the driver: on a server read by a
    streaming cursor (psycopg2's named cursor, PyMySQL's unbuffered one), as
    a whole-table read must be to stay in little memory."""
    if url.startswith("sqlite"):
        con = sqlite3.connect(url.removeprefix("sqlite:///"))
        cur, sql = con.cursor(), ANCHOR_SQL
    else:
        database = models.make_database(url)
        database.connect()
        con = database.connection()
        if url.startswith("postgres"):
            con.autocommit = False  # (a named cursor lives in a transaction)
            cur, sql = con.cursor(name="anchor"), ANCHOR_SERVER_SQL["postgresql"]
            cur.itersize = 5_000
        else:
            import pymysql.cursors
            cur, sql = con.cursor(pymysql.cursors.SSCursor), ANCHOR_SERVER_SQL["mysql"]
    n = 0
    try:
        with open(out, "w", encoding="utf-8", newline="") as handle:
            w = csv.writer(handle)
            w.writerow(["external_id"] * 19)
            cur.execute(sql)
            while rows := cur.fetchmany(5_000):
                w.writerows(rows)
                n += len(rows)
        cur.close()
    finally:
        if url.startswith("sqlite"):
            con.close()
        else:
            con.rollback()
            database.close()
    return n


def measure(size: int, workdir: Path, keep: bool, server: str | None = None, prefix: str = "") -> dict:
    path = workdir / f"bench-export-{size}.db"
    out_file = workdir / f"bench-export-{size}.csv"
    try:
        with run_database(path, server, f"{prefix}_{size}", keep) as url:
            return _measure(size, url, out_file)
    finally:
        if not keep:
            out_file.unlink(missing_ok=True)


def _measure(size: int, url: str, out_file: Path) -> dict:
    t = time.perf_counter()
    fill(url, size)
    out: dict = {"customers": size, "fill_s": round(time.perf_counter() - t, 1)}
    out["anchor_s"], out["anchor_cpu_s"], _, n = timed_cpu(lambda: anchor(url, out_file))  # (its own connection)
    assert n == size
    models.connect(url)
    models.set_actor("bench")
    n = measured(out, "export", lambda: models.export_customers(out_file))
    assert n == size
    out["export_mb"] = round(out_file.stat().st_size / 2 ** 20, 1)
    n = measured(out, "magento", lambda: models.export_customers(out_file, fmt="magento"))
    assert n == size - size // 100
    out["vs_anchor"] = round(out["export_s"] / out["anchor_s"], 2)
    models.db.close()
    out["peak_rss_mb"] = peak_rss_mb()
    return out


COLUMNS = [
    ("customers", "customers", "{:,}"),
    ("fill_s", "fill the db s", "{:.1f}"),
    ("anchor_s", "anchor: csv+driver s", "{:.2f}"),
    ("anchor_cpu_s", "  CPU s", "{:.2f}"),
    ("export_s", "export s", "{:.2f}"),
    ("export_cpu_s", "  CPU s", "{:.2f}"),
    ("export_server_cpu_s", "  server CPU s", "{:.2f}"),
    ("vs_anchor", "  x anchor", "{:.2f}"),
    ("export_mb", "export MB", "{:.1f}"),
    ("magento_s", "export magento s", "{:.2f}"),
    ("magento_cpu_s", "  CPU s", "{:.2f}"),
    ("magento_server_cpu_s", "  server CPU s", "{:.2f}"),
    ("peak_rss_mb", "peak RSS MB", "{:.0f}"),
]


def main() -> int:
    return sizes_main(__file__, __doc__, name="export", what="export", sizes="100000", kept="files",
                      columns=COLUMNS, measure=measure, servers=True)


if __name__ == "__main__":
    sys.exit(main())
