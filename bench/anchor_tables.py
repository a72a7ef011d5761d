"""The anchors Backroom's tables are measured against (bench_tui.py runs them
in a terminal beside Backroom, on the same database).

    python bench/anchor_tables.py datatable DB      # Textual's DataTable holding every customer
    python bench/anchor_tables.py fastdatatable DB  # textual-fastdatatable (Arrow) holding every customer

Each reads every customer (name, email, status, registered, orders, spent;
sorted by name, as Backroom's list) straight from the SQLite file, loads
them into its table, and then shows "ready N rows" above it with the cursor
on the first row.  Nothing else: these are the plain widgets, the best a
table that holds every row can do.  (Reading and loading is not what is
timed; the cursor is.)
"""

from __future__ import annotations

import sqlite3
import sys
import time

from textual.app import App, ComposeResult
from textual.widgets import Label

QUERY = ("SELECT first_name || ' ' || last_name, email, status, substr(registered_at, 1, 10), order_count, "
         "printf('%.2f', total_spent) FROM customer ORDER BY name_key, id")
LABELS = ["Name", "Email", "Status", "Registered", "Orders", "Spent"]


def read_rows(path: str) -> list[tuple]:
    con = sqlite3.connect(path)
    try:
        return con.execute(QUERY).fetchall()
    finally:
        con.close()


class AnchorApp(App):
    CSS = "#table { height: 1fr; }"

    def __init__(self, kind: str, path: str) -> None:
        super().__init__()
        self.kind, self.path = kind, path

    def compose(self) -> ComposeResult:
        yield Label("loading…", id="status")
        t = time.perf_counter()
        rows = read_rows(self.path)
        if self.kind == "datatable":
            from textual.widgets import DataTable

            table = DataTable(id="table", cursor_type="row", zebra_stripes=True)
            table.add_columns(*LABELS)
            table.add_rows(rows)
        else:
            import pyarrow as pa
            from textual_fastdatatable import ArrowBackend, DataTable

            columns = list(zip(*rows)) if rows else [[] for _ in LABELS]
            arrow = pa.table({label: list(col) for label, col in zip(LABELS, columns)})
            table = DataTable(id="table", backend=ArrowBackend(arrow), cursor_type="row", zebra_stripes=True)
        self.rows, self.load_s = len(rows), time.perf_counter() - t
        yield table

    def on_mount(self) -> None:
        self.query_one("#table").focus()
        self.call_after_refresh(self.show_ready)

    def show_ready(self) -> None:
        self.query_one("#status", Label).update(f"ready {self.rows:,} rows, loaded in {self.load_s:.1f} s")


if __name__ == "__main__":
    AnchorApp(sys.argv[1], sys.argv[2]).run()
