"""TUI benchmark: the customers table as an admin meets it, at 10k/100k/1M.

For each size a SQLite database is seeded once (kept in ``--dir`` so later
runs reuse it) — or, with ``--db URL`` naming a PostgreSQL or MySQL/MariaDB
server, a database of its own on that server (``backroom_bench_tui_<size>``,
kept and reused while ``--dir`` remembers it was seeded) — then a *fresh*
process runs Backroom headless
(``App.run_test``) at 120×40 and, pressing keys as an admin would, measures:

- ``add_form_s``: ``a`` on the Groups list until the Add group form is up,
  filled in and ready for keys (its Customers tab is built when first shown);
- ``groups_first_rows_s``: ``ctrl+n`` (the Customers tab) until the tab is
  built and laid out with its first rows;
- ``groups_filter_s``: one keystroke in the filter's text field until the
  table holds the rows matching the new text (median of several keystrokes
  typed 0.3 s apart, debounce included);
- ``tick_all_save_s``: ``a`` (tick every matching customer) then ``ctrl+s``
  until the group is saved and shown, with every customer a member;
  ``tick_all_raw_s``: after it (the app closed), the same memberships (every
  customer, into a second group) by one INSERT ... SELECT through the raw
  driver (sqlite3, psycopg2, PyMySQL), as ``bench_data.py`` times its raw
  assign; ``tick_all_vs_raw`` their ratio;
- ``list_first_rows_s`` / ``list_filter_s``: F2 from the Groups list until
  the Customers list shows its first rows, and a filter keystroke there (both
  measured first, before the group is saved);
- ``peak_rss_mb``: the UI process's peak resident memory (seeding ran in
  another process, so it does not count).

Then, through a real terminal (a pseudo-terminal of 120×40 read by a
terminal emulator, see ``terminal.py``), on the largest size: Backroom
started as an admin starts it (``backroom --db URL``: the SQLite file, or
with ``--db`` the server's database), and beside it, in the same run and on
the same SQLite database, the anchors of ``anchor_tables.py`` — Textual's
DataTable holding every customer, and textual-fastdatatable (``pip install
-e '.[bench]'``; said so when it is not installed).  The anchors read a
SQLite file: on a server they are left out (said so).  For each, per key:
``drawn`` is the time from the key to the end of the first frame it
caused, ``settled`` to the last byte of the answer (a status line drawn a
frame later counts); median and 95th percentile over ``--moves`` keys:

- ``launch_s``: start → the Groups list with its rows (Backroom) or the
  table with every row loaded (anchors);
- ``f2_s``: F2 → the Customers list's first rows;
- ``down``: cursor down one row (from the top, so the first screenful
  moves the cursor and the rest scrolls); ``pagedown``; ``end``/``home``;
- ``customer_s``: Enter on the Customers list until the customer's
  Account tab shows its fields;
- ``area_reviews_s``, ``area_groups_s``, ``area_customers_s``: F4, then
  F3, then F2 until the area shows its rows (Reviews opened for the first
  time; Groups and Customers shown before); for F4 also the CPU time spent
  meanwhile, by the event loop's thread (``area_reviews_loop_cpu_s``) and by
  the whole program, its workers included (``area_reviews_cpu_s``, to the
  kernel's 10 ms tick);
- ``reviews_j``: ``j`` in the Reviews queue (F4);
- ``add_form_s``: ``a`` on the Groups list until the Add group form shows
  its fields;
- ``peak_rss_mb`` of the program (VmHWM).

Prints a table, then (last) one JSON line with every figure.

    python bench/bench_tui.py [--sizes 10000,100000,1000000] [--dir DIR] [--db URL]
                              [--database NAME] [--skip-save] [--moves 200]
                              [--anchors datatable,fastdatatable] [--no-headless]

With ``--db`` the headless and terminal figures are measured on that server
(the terminal run only reads: it opens the Add group form but saves
nothing).  ``--database NAME`` (one size) measures a database of that server
already seeded with that many customers, as it is (a database of your own,
so that two people on one server do not share one).
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from common import peak_rss_mb, per_size, print_table, remove_db

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "datalayer"))

import concurrency_workload as work  # noqa: E402

TODAY = dt.datetime(2026, 11, 1)
SIZE = (120, 40)
TIMEOUT = 120.0
PAUSE = 0.3  # between filter keystrokes: an admin typing a name, not a paste


DATABASE: str | None = None  # --database: an existing seeded database on the server
SKIP_SAVE = os.environ.get("BENCH_TUI_SKIP_SAVE") == "1"  # --skip-save (passed on to the UI's process)


def server_url(server: str, size: int) -> str:
    """The URL of the run's own database on ``server`` (or of --database)."""
    from urllib.parse import urlparse, urlunparse

    return urlunparse(urlparse(server)._replace(path=f"/{DATABASE or f'backroom_bench_tui_{size}'}"))


def seed(path: Path, size: int, server: str | None = None) -> None:
    """Seed ``path`` (or the run's database on ``server``) with ``size``
    customers unless a finished seed is there."""
    from backroom import models

    done = Path(f"{path}.done")
    if server and DATABASE:
        return  # seeded already, used as it is
    if server:
        done = path.parent / f"bench-tui-{work.engine_of(server)}-{size}.done"
        if done.exists():
            return
        url = work.create_scratch_database(server, f"backroom_bench_tui_{size}")
    else:
        if path.exists() and done.exists():
            return
        remove_db(path)
        url = f"sqlite:///{path}"
    models.connect(url)
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
    from backroom import models
    from backroom.screens.groups import GroupFormScreen, GroupViewScreen
    from backroom.tui.app import BackroomApp
    from backroom.tui.customertable import CustomerTable

    out: dict = {}
    app = BackroomApp(db_label="bench")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.screen.query("#groups") and app.screen.query_one("#groups").row_count > 0,
                    "the groups list")

        # The Customers list (F2): first rows, a filter keystroke; then back
        # to the Groups list (F3).
        start = time.perf_counter()
        send_key(app, "f2")
        await until(pilot, lambda: app.current_mode == "customers" and app.screen.is_mounted
                    and app.screen.query(CustomerTable), "the customers screen")
        table = app.screen.query(CustomerTable).first()
        await until(pilot, lambda: table.region.height > 0 and table.row_count > 0, "the customers list")
        out["list_first_rows_s"] = time.perf_counter() - start
        app.screen.query_one("#f-text").focus()
        await pilot.pause(PAUSE)
        times = await filter_keystrokes(pilot, table, ["j", "o", "backspace", "backspace"])
        out["list_filter_s"] = statistics.median(times)
        await until(pilot, lambda: table.total is not None, "the count")
        send_key(app, "f3")
        await until(pilot, lambda: app.current_mode == "groups", "the groups list")
        await pilot.pause(PAUSE)

        # Add group: the form, with the customers table filled behind its
        # second tab; then Ctrl+N until the Customers tab shows its rows.
        start = time.perf_counter()
        send_key(app, "a")
        await until(pilot, lambda: isinstance(app.screen, GroupFormScreen) and app.screen.is_mounted
                    and app.screen.is_loaded and app.screen.focused is not None, "the group form")
        out["add_form_s"] = time.perf_counter() - start
        await pilot.pause(0.2)
        form = app.screen
        start = time.perf_counter()
        send_key(app, "ctrl+n")
        await until(pilot, lambda: form.query("#members") and form.query_one("#members", CustomerTable).region.height
                    and form.query_one("#members", CustomerTable).row_count > 0, "the Customers tab")
        table = form.query_one("#members", CustomerTable)
        out["groups_first_rows_s"] = time.perf_counter() - start

        # Filter keystrokes (text field), then clear it again.
        await pilot.press("ctrl+f")
        times = await filter_keystrokes(pilot, table, ["m", "a", "r", "backspace", "backspace", "backspace"])
        out["groups_filter_s"] = statistics.median(times)
        out["groups_filter_max_s"] = max(times)
        await until(pilot, lambda: table.total is not None, "the count")

        if SKIP_SAVE:
            await pilot.pause(0.5)
            return out
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
        # Let the group's screen finish mounting before the app closes
        # (Textual's Header errors if its screen goes within a frame or two).
        await pilot.pause(0.5)

    return out


RAW_GROUP = "bench-raw"


def raw_insert_all(url: str, path: Path) -> float:
    """Seconds for every customer to join a new hidden group by one INSERT
    ... SELECT through the raw driver: the anchor of tick all + save."""
    import peewee as pw
    from bench_data import run_raw

    from backroom import models

    raw_group, _ = models.create_group({"code": RAW_GROUP, "name": "Bench raw", "hidden": True})
    query = models.Membership.insert_from(
        models.Customer.select(models.Customer.id, pw.Value(raw_group.id), pw.Value("manual"), pw.Value("bench"),
                               pw.Value(models.utcnow())),
        [models.Membership.customer, models.Membership.group, models.Membership.source,
         models.Membership.added_by, models.Membership.added_at])
    start = time.perf_counter()
    run_raw(url, path, *query.sql())
    return time.perf_counter() - start


def forget_bench_group(url: str) -> None:
    """Delete the groups a run saved (the server's database is reused, not
    copied): the raw anchor's memberships by a plain DELETE first (they were
    never recorded)."""
    from backroom import models

    models.connect(url, upgrade=False)
    models.set_actor("bench")
    try:
        for code in ("bench", RAW_GROUP):
            try:
                gid = models.get_group_by_code(code).id
            except models.NotFoundError:
                continue
            if code == RAW_GROUP:
                with models.db.atomic():
                    models.Membership.delete().where(models.Membership.group == gid).execute()
            models.delete_group(gid)
    finally:
        models.db.close()


def child(path: Path, size: int, server: str | None = None) -> dict:
    from backroom import models

    url = server_url(server, size) if server else f"sqlite:///{path}"
    models.connect(url)
    models.set_actor("bench")
    out = asyncio.run(drive(size))
    out["peak_rss_mb"] = peak_rss_mb()  # the UI's (before the raw anchor's statement)
    if "tick_all_save_s" in out:
        out["tick_all_raw_s"] = raw_insert_all(url, path)
        out["tick_all_vs_raw"] = round(out["tick_all_save_s"] / out["tick_all_raw_s"], 2)
    out["customers"] = size
    return out


COLUMNS = [
    ("customers", "customers", "{:,}"),
    ("add_form_s", "add form ms", "ms"),
    ("groups_first_rows_s", "first rows ms", "ms"),
    ("groups_filter_s", "filter ms", "ms"),
    ("groups_filter_max_s", "filter (slowest) ms", "ms"),
    ("tick_all_save_s", "tick all + save s", "{:.2f}"),
    ("tick_all_raw_s", "same, raw driver s", "{:.2f}"),
    ("tick_all_vs_raw", "tick all + save / raw", "{:.2f}"),
    ("list_first_rows_s", "list first rows ms", "ms"),
    ("list_filter_s", "list filter ms", "ms"),
    ("peak_rss_mb", "peak RSS MB", "{:.0f}"),
]


# --------------------------------------------------------------------------
# Through a real terminal, beside the anchors
# --------------------------------------------------------------------------

def _stats(values: list[float]) -> dict:
    ordered = sorted(values)
    return {"median": statistics.median(ordered), "p95": ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))],
            "max": ordered[-1], "n": len(ordered)}


def _keys(app: Any, key: str, times: int, timeout: float = 60.0) -> dict:
    """``key`` pressed ``times`` times, each once the last has been answered
    (a key not answered in ``timeout`` seconds is reported as such)."""
    drawn, settled = [], []
    for _ in range(times):
        try:
            d, s = app.key_latency(key, timeout=timeout)
        except TimeoutError:
            return {"timeout": timeout}
        drawn.append(d)
        settled.append(s)
    return {"drawn": _stats(drawn), "settled": _stats(settled)}


def compile_backroom() -> None:
    """Write the bytecode of Backroom's modules, as installing it does.  An
    editable install writes it on the first run, unless
    PYTHONDONTWRITEBYTECODE is set (as on some CI machines): then every run
    compiled every module again, a third of the launch measured."""
    import compileall

    from backroom import models

    root = Path(models.__file__).resolve().parent
    for part in ("datalayer", "tui", "screens", "styles"):
        compileall.compile_dir(str(root / part), quiet=1)
    for module in root.glob("*.py"):
        compileall.compile_file(str(module), quiet=1)


def terminal_backroom(url: str, moves: int) -> dict:
    """Backroom started on ``url`` (a ``sqlite:///`` file or a server's
    database) in a terminal, the keys an admin presses, each timed."""
    from terminal import PtyApp, terminal_env

    compile_backroom()

    home = Path(tempfile.mkdtemp(prefix="backroom-bench-home-"))
    env = terminal_env(HOME=str(home), XDG_STATE_HOME=str(home / "state"), XDG_DATA_HOME=str(home / "data"))
    app = PtyApp([str(Path(sys.executable).with_name("backroom")), "--db", url], env)
    out: dict = {"app": "backroom"}
    try:
        out["launch_s"] = app.wait_for("sorted by") - app.started
        app.settle()
        sent = app.send("f2")
        out["f2_s"] = app.wait_for(" matching · row 1 ") - sent
        app.wait_for("sorted by name")
        app.settle()
        out["down"] = _keys(app, "down", moves)
        out["pagedown"] = _keys(app, "pagedown", max(5, moves // 10))
        out["end"] = _keys(app, "end", 1)
        out["home"] = _keys(app, "home", 1)
        # Home again (on a loaded machine its status line may be drawn after
        # the quiet that ended the figure).
        app.wait_for(" matching · row 1 · ", timeout=30)
        # A customer (Enter on the first row): until its Account tab shows
        # its fields; then back to the list.
        app.settle()
        sent = app.send("enter")
        out["customer_s"] = app.wait_for("First name") - sent
        app.settle()
        app.send("escape")
        app.wait_for(" matching · row 1 ")
        app.settle()
        # Area switches: the key until the area shows its rows (Reviews the
        # first time; Groups and Customers are screens shown before).
        app.sample_cpu = True  # (read as the frame arrives: on a busy machine this process notices it later)
        before = app.cpu_s()
        sent = app.send("f4")
        out["area_reviews_s"] = app.wait_for("review 1 of") - sent
        after, app.sample_cpu = app.found_cpu, False
        if before and after:  # the CPU from the key to the frame: the event loop's, the whole program's
            out["area_reviews_loop_cpu_s"] = after[0] - before[0]
            out["area_reviews_cpu_s"] = after[1] - before[1]
        app.wait_for("ticked")
        app.settle(0.5)
        out["reviews_j"] = _keys(app, "j", max(10, moves // 2))
        sent = app.send("f3")
        out["area_groups_s"] = app.wait_for("groups · sorted by") - sent
        app.settle(0.5)
        sent = app.send("f2")
        out["area_customers_s"] = app.wait_for(" matching · row 1 ") - sent
        app.settle(0.5)
        # The Add group form (a on the Groups list): until its fields show.
        app.send("f3")
        app.wait_for("groups · sorted by")
        app.settle(0.5)
        sent = app.send("a")
        out["add_form_s"] = app.wait_for("Ctrl+N: choose the customers") - sent
        app.settle()
        out["peak_rss_mb"] = app.peak_rss_mb()
    finally:
        app.close()
        shutil.rmtree(home, ignore_errors=True)
    return out


def terminal_anchor(kind: str, path: Path, moves: int) -> dict:
    from terminal import PtyApp, terminal_env

    app = PtyApp([sys.executable, str(HERE / "anchor_tables.py"), kind, str(path)], terminal_env())
    out: dict = {"app": kind}
    try:
        out["launch_s"] = app.wait_for("ready", timeout=900) - app.started
        app.settle()
        out["down"] = _keys(app, "down", moves)
        out["pagedown"] = _keys(app, "pagedown", max(5, moves // 10))
        out["end"] = _keys(app, "end", 1)
        out["home"] = _keys(app, "home", 1)
        out["peak_rss_mb"] = app.peak_rss_mb()
    finally:
        app.close()
    return out


def have_fastdatatable() -> bool:
    import importlib.util

    return importlib.util.find_spec("textual_fastdatatable") is not None


TERMINAL_ROWS = [
    ("launch → first screen s", lambda r: r.get("launch_s"), "{:.2f}"),
    ("F2 → first rows ms", lambda r: r.get("f2_s"), "ms"),
    ("down drawn median ms", lambda r: r["down"]["drawn"]["median"], "ms"),
    ("down drawn p95 ms", lambda r: r["down"]["drawn"]["p95"], "ms"),
    ("down settled median ms", lambda r: r["down"]["settled"]["median"], "ms"),
    ("down settled p95 ms", lambda r: r["down"]["settled"]["p95"], "ms"),
    ("pagedown settled med ms", lambda r: r["pagedown"]["settled"]["median"], "ms"),
    ("end settled ms", lambda r: r["end"]["settled"]["median"], "ms"),
    ("home settled ms", lambda r: r["home"]["settled"]["median"], "ms"),
    ("area: F4 Reviews ms", lambda r: r.get("area_reviews_s"), "ms"),
    ("  event loop CPU ms", lambda r: r.get("area_reviews_loop_cpu_s"), "ms"),
    ("  all threads CPU ms", lambda r: r.get("area_reviews_cpu_s"), "ms"),
    ("area: F3 Groups ms", lambda r: r.get("area_groups_s"), "ms"),
    ("area: F2 Customers ms", lambda r: r.get("area_customers_s"), "ms"),
    ("reviews j settled med ms", lambda r: r.get("reviews_j", {}).get("settled", {}).get("median"), "ms"),
    ("reviews j settled p95 ms", lambda r: r.get("reviews_j", {}).get("settled", {}).get("p95"), "ms"),
    ("customer screen ms", lambda r: r.get("customer_s"), "ms"),
    ("add group form ms", lambda r: r.get("add_form_s"), "ms"),
    ("peak RSS MB", lambda r: r.get("peak_rss_mb"), "{:.0f}"),
]


def print_terminal(results: list[dict], size: int, engine: str) -> None:
    print(f"Through a terminal (pty {SIZE[0]}x{SIZE[1]}, xterm-256color), {size:,} customers on {engine}, same run:")
    print(f"{'':<26}" + "".join(f"{r['app']:>16}" for r in results))
    for label, get, fmt in TERMINAL_ROWS:
        cells = []
        for r in results:
            try:
                v = get(r)
            except KeyError:
                v = "timeout" if any("timeout" in x for x in r.values() if isinstance(x, dict)) else None
            if v == "timeout":
                cells.append("timeout")
                continue
            cells.append("-" if v is None else f"{v * 1000:.1f}" if fmt == "ms" else fmt.format(v))
        print(f"{label:<26}" + "".join(f"{c:>16}" for c in cells))
    print("targets: cursor move <= 16 ms median, <= 33 ms p95; launch <= 0.5 s; area switch <= 100 ms; "
          "first rows <= 150 ms; customer screen <= 300 ms; add group form <= 200 ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--dir", help="keep the seeded databases here and reuse them")
    parser.add_argument("--db", metavar="URL", help="a PostgreSQL or MySQL/MariaDB server to run on (default: SQLite)")
    parser.add_argument("--moves", type=int, default=200,
                        help="keys per figure through the terminal (0: no terminal run)")
    parser.add_argument("--anchors", default="datatable,fastdatatable",
                        help="anchors to run beside Backroom in the terminal (or none)")
    parser.add_argument("--no-headless", action="store_true", help="only the terminal run")
    parser.add_argument("--skip-save", action="store_true",
                        help="leave out ticking every customer and saving the group (minutes on a server at 1M)")
    parser.add_argument("--database", metavar="NAME",
                        help="with --db and one size: a database on that server seeded with that many "
                             "customers, measured as it is")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--seed-only", nargs=2, metavar=("DB", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    server = args.db if args.db and not args.db.startswith("sqlite") else None
    global DATABASE
    DATABASE = args.database if server else None
    if args.skip_save:
        os.environ["BENCH_TUI_SKIP_SAVE"] = "1"
    if args.seed_only:
        seed(Path(args.seed_only[0]), int(args.seed_only[1]), server)
        return
    workdir = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="backroom-bench-tui-"))
    if not args.dir:  # (a run on a server, or a SQLite file not kept): gone at exit, as the homes are
        atexit.register(shutil.rmtree, workdir, True)
    if args.one:
        print(json.dumps(child(workdir / f"run-{args.one}.db", args.one, server)))
        return

    workdir.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",")]
    results = []
    # The headless runs keep their state (a form's draft, a crash report) in a
    # directory of their own, new each run: a run stopped with a form open
    # left a draft in the admin's own ~/.local/state, and every later run
    # waited on the offer to restore it.
    headless_env = {"NO_COLOR": "1", "XDG_STATE_HOME": tempfile.mkdtemp(prefix="state-", dir=workdir)}
    atexit.register(shutil.rmtree, headless_env["XDG_STATE_HOME"], True)
    for size in sizes:
        path = workdir / f"bench-tui-{size}.db"
        print(f"… {size:,} customers: seeding (if needed)", file=sys.stderr, flush=True)
        # Seeding in a process of its own: its memory is not the UI's.
        subprocess.run([sys.executable, __file__, "--seed-only", str(path), str(size)]
                       + (["--db", server] if server else [])
                       + (["--database", DATABASE] if DATABASE else []), check=True)
        if args.no_headless:
            continue
        if server:  # the UI run saves a group: deleted again, before and after
            forget_bench_group(server_url(server, size))
            print(f"… {size:,} customers: driving the TUI", file=sys.stderr, flush=True)
            results += per_size(__file__, [size], ["--dir", str(workdir), "--db", server]
                                + (["--database", DATABASE] if DATABASE else []), env=headless_env)
            forget_bench_group(server_url(server, size))
            continue
        # The UI run changes the database (a new group): run on a copy.
        run_path = workdir / f"run-{size}.db"
        remove_db(run_path)
        subprocess.run(["cp", str(path), str(run_path)], check=True)
        print(f"… {size:,} customers: driving the TUI", file=sys.stderr, flush=True)
        results += per_size(__file__, [size], ["--dir", str(workdir)], env=headless_env)
        remove_db(run_path)
    import sqlite3

    engine = work.engine_of(server) if server else f"SQLite {sqlite3.sqlite_version}"
    print(f"Backroom TUI on {engine}, Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} cores, terminal {SIZE[0]}x{SIZE[1]}")
    if results:
        print_table(COLUMNS, results)

    terminal: list[dict] = []
    if args.moves:
        size = max(sizes)
        path = workdir / f"bench-tui-{size}.db"
        print(f"… {size:,} customers: Backroom in a terminal", file=sys.stderr, flush=True)
        terminal.append(terminal_backroom(server_url(server, size) if server else f"sqlite:///{path}", args.moves))
        terminal[-1]["engine"] = engine
        print(json.dumps(terminal[-1]), file=sys.stderr, flush=True)
        anchors = [a for a in args.anchors.split(",") if a and a != "none"]
        if server and anchors:
            print(f"the anchors ({', '.join(anchors)}) read a SQLite file: left out on {work.engine_of(server)} "
                  "(run without --db for them)", file=sys.stderr)
            anchors = []
        for kind in anchors:
            if kind == "fastdatatable" and not have_fastdatatable():
                print("textual-fastdatatable is not installed (pip install -e '.[bench]'): its anchor is left out",
                      file=sys.stderr)
                continue
            print(f"… {size:,} customers: {kind} in a terminal (loads every row first)", file=sys.stderr,
                  flush=True)
            terminal.append(terminal_anchor(kind, path, args.moves))
            print(json.dumps(terminal[-1]), file=sys.stderr, flush=True)
        print_terminal(terminal, size, engine)
    print(json.dumps({"bench": "tui", "results": results, "terminal": terminal}))


if __name__ == "__main__":
    main()
