"""TUI benchmark: the customers table as an admin meets it, at 10k/100k/1M.

For each size a SQLite database is seeded once (kept in ``--dir`` so later
runs reuse it), then a *fresh* process runs Backroom headless
(``App.run_test``) at 120×40 and, pressing keys as an admin would, measures:

- ``add_form_s``: ``a`` on the Groups list until the Add group form is up
  (with the customers table behind its second tab already holding rows);
- ``groups_first_rows_s``: ``ctrl+n`` (the Customers tab) until the tab is
  laid out with its first rows;
- ``groups_filter_s``: one keystroke in the filter's text field until the
  table holds the rows matching the new text (median of several keystrokes
  typed 0.3 s apart, debounce included);
- ``tick_all_save_s``: ``a`` (tick every matching customer) then ``ctrl+s``
  until the group is saved and shown, with every customer a member;
- ``list_first_rows_s`` / ``list_filter_s``: the same two figures for the
  Customers list (F2);
- ``peak_rss_mb``: the UI process's peak resident memory (seeding ran in
  another process, so it does not count).

Prints a table, then (last) one JSON line with every figure.

    python bench/bench_tui.py [--sizes 10000,100000,1000000] [--dir DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TODAY = dt.datetime(2026, 11, 1)
SIZE = (120, 40)
TIMEOUT = 120.0
PAUSE = 0.3  # between filter keystrokes: an admin typing a name, not a paste


def seed(path: Path, size: int) -> None:
    """Seed ``path`` with ``size`` customers unless a finished seed is there."""
    import models

    done = Path(f"{path}.done")
    if path.exists() and done.exists():
        return
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    models.connect(f"sqlite:///{path}")
    models.set_actor("bench")
    models.seed(size, rng_seed=1, today=TODAY)
    models.db.close()
    done.write_text("ok\n")


def send_key(app: Any, key: str) -> None:
    """Deliver a key press as the terminal driver would, without waiting for
    the app to go idle (Pilot.press waits, which would hide the latency)."""
    from textual import events

    char = key if len(key) == 1 else None
    event = events.Key(key, char)
    event.set_sender(app)
    app._driver.send_message(event)


async def until(pilot: Any, condition: Callable[[], bool], what: str) -> float:
    """Let the app run until ``condition()`` holds; the time it took."""
    start = time.perf_counter()
    while not condition():
        if time.perf_counter() - start > TIMEOUT:
            raise TimeoutError(f"gave up waiting for {what}")
        await asyncio.sleep(0.001)
    return time.perf_counter() - start


async def filter_keystrokes(pilot: Any, table: Any, keys: list[str]) -> list[float]:
    """Type ``keys`` one at a time into the focused filter; time each to new rows."""
    times = []
    typed = ""
    for key in keys:
        typed = typed[:-1] if key == "backspace" else typed + key
        old_window = table._window
        start = time.perf_counter()
        send_key(pilot.app, key)
        await until(pilot, lambda: table.customer_filter.text == typed and table._window is not old_window
                    and table.row_count > 0, f"rows for {typed!r}")
        times.append(time.perf_counter() - start)
        await pilot.pause(PAUSE)
    return times


async def drive(size: int) -> dict:
    import models
    from screens.groups import GroupFormScreen, GroupViewScreen
    from tui.app import BackroomApp
    from tui.widgets import CustomerTable

    out: dict = {}
    app = BackroomApp(db_label="bench")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.screen.query("#groups") and app.screen.query_one("#groups").row_count > 0,
                    "the groups list")

        # Add group: the form, with the customers table filled behind its
        # second tab; then Ctrl+N until the Customers tab shows its rows.
        start = time.perf_counter()
        send_key(app, "a")
        await until(pilot, lambda: isinstance(app.screen, GroupFormScreen) and app.screen.is_mounted
                    and app.screen.query_one("#members", CustomerTable).row_count > 0, "the group form")
        out["add_form_s"] = time.perf_counter() - start
        await pilot.pause(0.2)
        table = app.screen.query_one("#members", CustomerTable)
        start = time.perf_counter()
        send_key(app, "ctrl+n")
        await until(pilot, lambda: table.region.height > 0 and table.row_count > 0, "the Customers tab")
        out["groups_first_rows_s"] = time.perf_counter() - start

        # Filter keystrokes (text field), then clear it again.
        await pilot.press("ctrl+f")
        times = await filter_keystrokes(pilot, table, ["m", "a", "r", "backspace", "backspace", "backspace"])
        out["groups_filter_s"] = statistics.median(times)
        out["groups_filter_max_s"] = max(times)
        await until(pilot, lambda: table.total is not None, "the count")

        # Name the group, tick every matching customer, save.
        form = app.screen
        form.query_one("#code").value = "bench"
        form.query_one("#name").value = "Bench"
        table.focus()
        await pilot.pause()
        start = time.perf_counter()
        send_key(app, "a")
        send_key(app, "ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, GroupViewScreen), "the saved group")
        out["tick_all_save_s"] = time.perf_counter() - start
        out["members"] = models.group_member_count(models.get_group_by_code("bench").id)

        # The Customers list (F2), if it is a customers table.
        start = time.perf_counter()
        send_key(app, "f2")
        await until(pilot, lambda: app.current_mode == "customers", "the customers screen")
        await pilot.pause()
        tables = app.screen.query(CustomerTable)
        if tables:
            table = tables.first()
            await until(pilot, lambda: table.region.height > 0 and table.row_count > 0, "the customers list")
            out["list_first_rows_s"] = time.perf_counter() - start
            filters = app.screen.query("#f-text")
            if filters:
                filters.first().focus()
                await pilot.pause()
                times = await filter_keystrokes(pilot, table, ["j", "o", "backspace", "backspace"])
                out["list_filter_s"] = statistics.median(times)
    return out


def child(path: Path, size: int) -> dict:
    import models

    models.connect(f"sqlite:///{path}")
    models.set_actor("bench")
    out = asyncio.run(drive(size))
    out["customers"] = size
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


COLUMNS = [
    ("customers", "customers", "{:,}"),
    ("add_form_s", "add form", "{:.3f} s"),
    ("groups_first_rows_s", "first rows", "{:.3f} s"),
    ("groups_filter_s", "filter", "{:.3f} s"),
    ("groups_filter_max_s", "filter max", "{:.3f} s"),
    ("tick_all_save_s", "tick all+save", "{:.2f} s"),
    ("list_first_rows_s", "list rows", "{:.3f} s"),
    ("list_filter_s", "list filter", "{:.3f} s"),
    ("peak_rss_mb", "peak RSS", "{:.0f} MB"),
]


def table(results: list[dict]) -> str:
    cells = [[label for _, label, _ in COLUMNS]]
    for r in results:
        cells.append([fmt.format(r[key]) if key in r else "–" for key, _, fmt in COLUMNS])
    widths = [max(len(row[i]) for row in cells) for i in range(len(COLUMNS))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(row, widths)) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--dir", help="keep the seeded databases here and reuse them")
    parser.add_argument("--child", nargs=2, metavar=("DB", "SIZE"), help=argparse.SUPPRESS)
    parser.add_argument("--seed-only", nargs=2, metavar=("DB", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed_only:
        seed(Path(args.seed_only[0]), int(args.seed_only[1]))
        return
    if args.child:
        print(json.dumps(child(Path(args.child[0]), int(args.child[1]))))
        return

    workdir = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="backroom-bench-tui-"))
    workdir.mkdir(parents=True, exist_ok=True)
    results = []
    for size in [int(s) for s in args.sizes.split(",")]:
        path = workdir / f"bench-tui-{size}.db"
        print(f"… {size:,} customers: seeding (if needed)", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, __file__, "--seed-only", str(path), str(size)], check=True)
        # The UI run changes the database (a new group): run on a copy.
        run_path = workdir / f"run-{size}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{run_path}{suffix}").unlink(missing_ok=True)
        subprocess.run(["cp", str(path), str(run_path)], check=True)
        print(f"… {size:,} customers: driving the TUI", file=sys.stderr, flush=True)
        proc = subprocess.run([sys.executable, __file__, "--child", str(run_path), str(size)],
                              check=True, capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"})
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{run_path}{suffix}").unlink(missing_ok=True)
    import sqlite3

    print(f"Backroom TUI benchmark · SQLite {sqlite3.sqlite_version} · {os.cpu_count()} CPUs · "
          f"terminal {SIZE[0]}x{SIZE[1]}")
    print(table(results))
    print(json.dumps({"bench": "tui", "results": results}))


if __name__ == "__main__":
    main()
