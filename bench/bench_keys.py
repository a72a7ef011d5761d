"""Type-ahead benchmark: the real ``backroom`` binary in tmux, keys sent in
bursts as a slow SSH link or a paste delivers them.

Each scenario runs ``--runs`` times on a fresh copy of a small seeded
database (and an empty drafts folder): Backroom starts in a tmux pane of
80×24, the scenario's keys go in with ``tmux send-keys`` (one call a burst:
the pane gets them all at once), then Backroom quits (Ctrl+Q) and the
database is read back through the command line (``groups list --json``).
A run counts as right when the data is exactly what the keys meant, and the
screen shows what it should.  The scenarios are those of issue 12:

- ``find_burst``: ``/dyson`` in one burst on the Groups list, a group
  highlighted (it once deleted the group: ``d`` asked, ``y`` answered);
- ``add_burst``: ``a``, ``d8``, Tab, ``Name 8``, Tab, ``Desc 8``, Ctrl+S in
  one burst, right as the list is up;
- ``add_paced``: the same keys 0.4 s apart after ``a`` (Tab presses were
  lost while the form was being set up);
- ``edit_tabs``: ``e``, Tab, Tab, Tab, the discount ``5.5``, Ctrl+S in one
  burst (once renamed the group "5.5");
- ``delete_yes``: ``d``, ``y``, Enter, the code and Enter in one burst: the
  question must ignore them all (nothing deleted);
- ``esc_find``: ``/ab``, Esc, ``s`` in one burst: the filter holds ``ab`` and
  the list is sorted (Esc leaves the Find box);
- ``delete_typed``: ``d``, then, once the question is up, the group's code
  and Enter: the group is deleted (the question works when answered);
- ``draft_hangup``: an Add form half typed, then the terminal goes away
  (tmux kills the session: SIGHUP); Backroom again, ``a``, Enter (restore),
  Ctrl+S: the group is saved as typed.

Latency (median over the runs, with the resolution of polling tmux, a few
ms): ``a`` until the Add form shows, a letter in the Find box until it
shows, F2 until the Customers list shows.

Prints a table, then (last) one JSON line with every figure.

    python bench/bench_keys.py [--runs 10] [--customers 300]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
BINARY = Path(sys.executable).parent / "backroom"
SIZE = (80, 24)
READY = "sorted by name"  # the Groups list's status line, once its rows are in
TIMEOUT = 20.0
# Seen a question, a person takes this long at least to answer it (a key
# sent the moment it shows was on its way already: the question drops it).
REACTION = 0.15


class Pane:
    """Backroom running in a tmux session of its own."""

    def __init__(self, name: str, db: Path, state: Path, pythonpath: str = "") -> None:
        self.name = name
        # The tmux server has its own environment: what Backroom needs is set here.
        env = f"XDG_STATE_HOME={state}" + (f" PYTHONPATH={pythonpath}" if pythonpath else "")
        self.command = f"cd {ROOT} && {env} exec {BINARY} --db sqlite:///{db}"
        self.restart()

    def restart(self) -> None:
        subprocess.run(["tmux", "new-session", "-d", "-s", self.name, "-x", str(SIZE[0]), "-y", str(SIZE[1]),
                        self.command], check=True)

    def hang_up(self) -> None:
        """The terminal goes away under Backroom (a dropped SSH connection): SIGHUP."""
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)
        time.sleep(0.5)

    def screen(self) -> str:
        out = subprocess.run(["tmux", "capture-pane", "-p", "-t", self.name], capture_output=True, text=True)
        return out.stdout

    def keys(self, *keys: str, literal: bool = False) -> None:
        """One send-keys call: the pane gets the keys in one go."""
        subprocess.run(["tmux", "send-keys", "-t", self.name, *(["-l"] if literal else []), *keys], check=True)

    def wait_for(self, test: Callable[[str], bool], timeout: float = TIMEOUT) -> float:
        """Seconds until ``test(screen)`` holds (polling); raises after ``timeout``."""
        start = time.perf_counter()
        while True:
            if test(self.screen()):
                return time.perf_counter() - start
            if time.perf_counter() - start > timeout:
                raise TimeoutError(f"{self.name}: the screen never showed what was waited for:\n{self.screen()}")
            time.sleep(0.003)

    def settle_on(self, text: str) -> str:
        """The screen once it shows ``text`` (or after the timeout: it never
        did) and has stopped changing."""
        try:
            self.wait_for(lambda s: text in s)
        except TimeoutError:
            pass
        return self.settle()

    def settle(self, quiet: float = 0.6, timeout: float = TIMEOUT) -> str:
        """Wait until the screen has not changed for ``quiet`` seconds."""
        start, last, since = time.perf_counter(), None, time.perf_counter()
        while time.perf_counter() - start < timeout:
            now = self.screen()
            if now != last:
                last, since = now, time.perf_counter()
            elif time.perf_counter() - since >= quiet:
                return now
            time.sleep(0.02)
        return last or ""

    def quit(self) -> None:
        self.keys("C-q")
        deadline = time.perf_counter() + TIMEOUT
        while time.perf_counter() < deadline:
            if subprocess.run(["tmux", "has-session", "-t", self.name], capture_output=True).returncode:
                return
            time.sleep(0.05)
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


def groups(db: Path) -> dict[str, dict]:
    out = subprocess.run([str(BINARY), "--db", f"sqlite:///{db}", "groups", "list", "--json"], check=True,
                         capture_output=True, text=True).stdout
    return {g["code"]: g for g in json.loads(out)}


def highlight(pane: Pane, code: str) -> None:
    """Down until the list's cursor row is ``code`` (the highlighted row is
    the one the status line does not tell: check the rows in order)."""
    pane.keys("Home")
    pane.settle(0.3)
    # The list is sorted by name: general, guest, then the rest.
    order = ["general", "guest", "wholesale"]
    for _ in range(order.index(code)):
        pane.keys("Down")
    pane.settle(0.3)


# -- scenarios: each returns (right?, what went wrong) ---------------------------------


def find_burst(pane: Pane, db: Path, before: dict) -> tuple[bool, str]:
    highlight(pane, "wholesale")
    pane.keys("/dyson", literal=True)
    screen = pane.settle_on("Find dyson")
    after = groups(db)
    ok = after == before and "Find dyson" in screen and "Delete group" not in screen
    return ok, "" if ok else f"groups {sorted(after)}; screen:\n{screen}"


def add_burst(pane: Pane, db: Path, before: dict) -> tuple[bool, str]:
    pane.keys("a", "d", "8", "Tab", *"Name 8", "Tab", *"Desc 8", "C-s")
    screen = pane.settle_on("Group: Name 8")
    g = groups(db).get("d8")
    ok = g is not None and (g["name"], g["description"]) == ("Name 8", "Desc 8") and "Group: Name 8" in screen
    return ok, "" if ok else f"d8: {g}; screen:\n{screen}"


def add_paced(pane: Pane, db: Path, before: dict) -> tuple[bool, str]:
    pane.keys("a")
    for keys in (["d", "8"], ["Tab"], list("Name 8"), ["Tab"], list("Desc 8"), ["C-s"]):
        time.sleep(0.4)
        pane.keys(*keys)
    screen = pane.settle_on("Group: Name 8")
    g = groups(db).get("d8")
    ok = g is not None and (g["name"], g["description"]) == ("Name 8", "Desc 8")
    return ok, "" if ok else f"d8: {g}; screen:\n{screen}"


def edit_tabs(pane: Pane, db: Path, before: dict) -> tuple[bool, str]:
    highlight(pane, "wholesale")
    pane.keys("e", "Tab", "Tab", "Tab", "C-u", *"5.5", "C-s")
    screen = pane.settle_on("Group: Wholesale")
    g = groups(db)["wholesale"]
    want = dict(before["wholesale"], discount_percent="5.5")
    ok = g == want
    return ok, "" if ok else f"wholesale: {g}; screen:\n{screen}"


def delete_yes(pane: Pane, db: Path, before: dict) -> tuple[bool, str]:
    highlight(pane, "wholesale")
    pane.keys("d", "y", "Enter", *"wholesale", "Enter")
    screen = pane.settle_on("Delete group")
    after = groups(db)
    ok = after == before and "Delete group" in screen  # the question is up, untouched
    return ok, "" if ok else f"groups {sorted(after)}; screen:\n{screen}"


def esc_find(pane: Pane, db: Path, before: dict) -> tuple[bool, str]:
    pane.keys("/ab", literal=True)
    pane.keys("Escape", "s")
    screen = pane.settle_on("sorted by members")
    after = groups(db)
    ok = after == before and "Find ab" in screen and "sorted by members" in screen
    return ok, "" if ok else f"screen:\n{screen}"


def delete_typed(pane: Pane, db: Path, before: dict) -> tuple[bool, str]:
    highlight(pane, "wholesale")
    pane.keys("d")
    pane.wait_for(lambda s: "Type wholesale" in s)
    time.sleep(REACTION)
    pane.keys(*"wholesale", "Enter")
    screen = pane.settle_on("Deleted Wholesale")
    after = groups(db)
    ok = sorted(after) == ["general", "guest"]
    return ok, "" if ok else f"groups {sorted(after)}; screen:\n{screen}"


def draft_hangup(pane: Pane, db: Path, before: dict) -> tuple[bool, str]:
    pane.keys("a", *"vip", "Tab", *"Very important")
    pane.wait_for(lambda s: "Very important" in s)
    time.sleep(1.0)  # the draft is written half a second after the last key
    pane.hang_up()
    pane.restart()
    pane.wait_for(lambda s: READY in s)
    pane.keys("a")
    pane.wait_for(lambda s: "Restore unsaved changes" in s)
    time.sleep(REACTION)
    pane.keys("Enter")  # Restore has focus
    pane.wait_for(lambda s: "Very important" in s)
    pane.keys("C-s")
    screen = pane.settle_on("Group: Very important")
    g = groups(db).get("vip")
    ok = g is not None and g["name"] == "Very important"
    return ok, "" if ok else f"vip: {g}; screen:\n{screen}"


SCENARIOS: dict[str, Callable[[Pane, Path, dict], tuple[bool, str]]] = {
    "find_burst": find_burst, "add_burst": add_burst, "add_paced": add_paced, "edit_tabs": edit_tabs,
    "delete_yes": delete_yes, "esc_find": esc_find, "delete_typed": delete_typed, "draft_hangup": draft_hangup,
}


def latencies(pane: Pane) -> dict[str, float]:
    """Key to screen change, on a list that is up."""
    out = {}
    t = time.perf_counter()
    pane.keys("a")
    pane.wait_for(lambda s: "Add customer group" in s and "Code" in s)
    out["add_form_s"] = time.perf_counter() - t
    pane.keys("Escape")
    pane.wait_for(lambda s: READY in s)
    pane.keys("/")
    pane.settle(0.3)
    t = time.perf_counter()
    pane.keys("q")
    pane.wait_for(lambda s: "Find q" in s)
    out["find_letter_s"] = time.perf_counter() - t
    pane.keys("BSpace", "Enter")  # the filter emptied again, the list in front
    pane.wait_for(lambda s: "Find q" not in s and READY in s)
    pane.settle(0.3)
    t = time.perf_counter()
    pane.keys("F2")
    pane.wait_for(lambda s: "starts with" in s or "matching" in s)
    out["f2_list_s"] = time.perf_counter() - t
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--only", help="comma-separated scenarios")
    parser.add_argument("--verbose", action="store_true", help="show the screen of every wrong run")
    parser.add_argument("--pythonpath", default="", help="run Backroom with this PYTHONPATH (e.g. another checkout)")
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        raise SystemExit("bench_keys needs tmux")
    work = Path(tempfile.mkdtemp(prefix="backroom-bench-keys-"))
    seeded = work / "seeded.db"
    subprocess.run([str(BINARY), "--db", f"sqlite:///{seeded}", "seed", "--customers", str(args.customers)],
                   check=True, capture_output=True)
    names = args.only.split(",") if args.only else list(SCENARIOS)
    results: dict[str, dict] = {}
    timings: dict[str, list[float]] = {}
    for name in names:
        right, failures = 0, []
        for run in range(args.runs):
            db, state = work / f"{name}-{run}.db", work / f"state-{name}-{run}"
            shutil.copyfile(seeded, db)
            before = groups(db)
            pane = Pane(f"keysbench-{os.getpid()}-{name}-{run}", db, state, args.pythonpath)
            try:
                pane.wait_for(lambda s: READY in s)
                pane.settle(0.3)
                if run == 0 or name == names[0]:
                    for key, value in latencies(pane).items():
                        timings.setdefault(key, []).append(value)
                    pane.keys("F3")
                    pane.wait_for(lambda s: READY in s)
                    pane.settle(0.3)
                ok, why = SCENARIOS[name](pane, db, before)
            except TimeoutError as exc:
                ok, why = False, str(exc)
            finally:
                pane.quit()
            right += ok
            if not ok:
                failures.append(why)
        results[name] = {"runs": args.runs, "right": right}
        print(f"… {name}: {right}/{args.runs} right", file=sys.stderr, flush=True)
        if args.verbose:
            for why in failures:
                print(why, file=sys.stderr)
    shutil.rmtree(work, ignore_errors=True)

    medians = {k: statistics.median(v) for k, v in timings.items()}
    print(f"Backroom {BINARY} in tmux {SIZE[0]}x{SIZE[1]}, {os.cpu_count()} cores, "
          f"{args.customers} customers, {args.runs} runs a scenario")
    print(f"{'scenario':<24}{'right':>10}{'runs':>10}")
    for name, r in results.items():
        print(f"{name:<24}{r['right']:>10}{r['runs']:>10}")
    print(f"{'latency (median)':<24}{'ms':>10}{'samples':>10}")
    for key, value in medians.items():
        print(f"{key:<24}{value * 1000:>10.0f}{len(timings[key]):>10}")
    all_right = all(r["right"] == r["runs"] for r in results.values())
    print(json.dumps({"bench": "keys", "all_right": all_right, "scenarios": results,
                      "latency_s": {k: round(v, 4) for k, v in medians.items()}}))


if __name__ == "__main__":
    main()
