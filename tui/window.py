"""A table that is a window onto a database query.

:class:`WindowedTable` is a :class:`~backroom.tui.virtualtable.VirtualTable`
(drawn a line at a time, its scrollbar spanning the whole list) that holds
a few hundred rows around the cursor (a :class:`Window`), fetched in a
worker as the cursor nears the cache's edges; past the middle of a long list
it reads backwards from the end, so offsets stay small.  Rows not fetched
yet are placeholders until they arrive.  A block of rows and the count that
places it are read in one snapshot (:func:`read_block`) when the list has
no count yet; with one, a block placed from the end is placed by it, and
the count is read again after the rows are shown: a block it no longer
fits is read again (see :meth:`WindowedTable._recount`).  Rows may be ticked; the ticks are a
:class:`models.Selection` (ids, or "every match except").

Rows the screen needs (after a filter, a jump past the cache) are read by a
job named ``rows``: screens that wait for lists (``tui.keys.WaitsForLists``)
hold the keys typed meanwhile, so they act on the rows being read.  Rows read
ahead of the cursor, while those on screen are there, are a ``prefetch``:
keys do not wait for it.

A list read from the top with no rows held (opened, a new filter or sort)
reads two screens first, the rest of the cache as the cursor nears it; the
count of every match is started once those rows are drawn.  A screen may
start the first read as it composes the table (:meth:`WindowedTable.read_ahead`),
so the rows are in by the time the screen is first drawn.

A subclass says what to read (:meth:`WindowedTable._reader`,
:meth:`WindowedTable._counter`), how a row looks
(:meth:`WindowedTable._cells`) and fits its columns
(:meth:`WindowedTable._set_columns`); it also declares its own BINDINGS, a
``Status`` message and ``status_text``.  Rows have an ``id``.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable


from backroom import models
from backroom.tui.background import Background
from backroom.tui.tickhistory import SingleTick, TickHistory, TickStep
from backroom.tui.virtualtable import Column, VirtualTable

__all__ = ["Column", "Reader", "Ticks", "Window", "WindowedTable", "read_window"]

# Reads ``limit`` rows from ``offset``, in the list's order or, when the
# flag is true, in reverse order (counting the offset from the end).
Reader = Callable[[int, int, bool], list]


@dataclasses.dataclass
class Window:
    """A block of rows fetched from the database: rows[i] is row offset + i."""

    offset: int = 0
    rows: list[Any] = dataclasses.field(default_factory=list)
    at_end: bool = False
    # The count that placed it, or where it stops, when it ends there:
    # read backwards from the end (its rows are the last ones of the list
    # as of the read; their offsets come from the count), or up to it.
    placed_by: int | None = None

    @property
    def end(self) -> int:
        return self.offset + len(self.rows)

    def covers(self, start: int, stop: int) -> bool:
        return self.offset <= start and (stop <= self.end or self.at_end)


def read_window(read: Reader, offset: int, limit: int, total: int | None) -> Window:
    """Rows ``offset .. offset+limit`` of the list.  Past the middle of a long
    list, read it backwards from the end: offsets stay small and fast."""
    if total is not None and offset > total // 2:
        stop = min(total, offset + limit)
        back = read(total - stop, stop - offset, True)
        return Window(offset, list(reversed(back)), at_end=stop >= total, placed_by=total)
    rows = read(offset, limit, False)
    return Window(offset, rows, at_end=len(rows) < limit)


Block = tuple[Window, set[int], "int | None", int, bool]
"""What :func:`read_block` returns: the rows, which of them are ticked, the
count they were placed by (None: not counted), the cursor's row, and
whether that count was read in the rows' snapshot (False: an earlier one,
to be checked once they are shown)."""


def read_block(read: Reader, count: Callable[[], int], pos: int, size: int, total: int | None,
               ticks: models.Selection | None, rows: str) -> Block:
    """Read ``size`` rows around row ``pos`` (-1: the last rows), and which of
    them are ticked, in one snapshot (``models.read_snapshot``) while others
    write.  A block placed from the end of the list — the last row, or past
    the middle, read backwards — needs the count: ``total``, the list's
    count when it has one, places it; only without one is the list counted,
    in that same snapshot, so that the rows and the count agree.  Counting
    with every such block made End and every page past the middle of a
    million customers wait for a full count (MariaDB: Home after End took
    370-680 ms); a count read earlier is checked after the rows are shown
    (the last item returned is False then).  A block read from the start
    needs no count (its end is where the rows run out); ``total`` then only
    clamps it."""
    with models.read_snapshot():
        n = total
        fresh = False
        if pos < 0 and n is None:
            n, fresh = count(), True
        target = max(0, n - 1) if n is not None and pos < 0 else pos
        offset = max(0, target - size // 2)
        if n is not None:
            offset = max(0, min(offset, n - size))
        window = read_window(read, offset, size, n)
        if n is not None and window.end >= n:
            window.placed_by = n  # its place (or its end) is the count's
        ticked = models.which_selected(ticks, [r.id for r in window.rows], rows) if ticks else set()
    return window, ticked, n, target, fresh or window.placed_by is None


@dataclasses.dataclass
class Ticks:
    """The rows ticked in a list, as a :class:`models.Selection`.

    ``base`` is a selection built by bulk actions (tick all matching,
    invert, …); single ticks are kept in two small id sets and folded in.
    """

    base: models.Selection
    added: set[int] = dataclasses.field(default_factory=set)
    removed: set[int] = dataclasses.field(default_factory=set)

    @property
    def selection(self) -> models.Selection:
        return (self.base | models.Selection.ids(self.added)) - models.Selection.ids(self.removed)

    def set(self, customer_id: int, ticked: bool) -> None:
        if ticked:
            self.removed.discard(customer_id)
            self.added.add(customer_id)
        else:
            self.added.discard(customer_id)
            self.removed.add(customer_id)

    def replace(self, selection: models.Selection) -> None:
        self.base = selection
        # New sets, not cleared ones: an undo step may keep the old (tui.tickhistory).
        self.added = set()
        self.removed = set()


class WindowedTable(VirtualTable, Background):
    """A window onto the rows of a query, with the cursor at :attr:`position`."""

    CACHE_MIN = 200
    ROWS = "customers"  # what the rows are, and so what the ticks select (models.SELECTABLE_ROWS)

    def __init__(self, *, selection: models.Selection | None = None, page: int, classes: str,
                 id: str | None = None, read_now: bool = True) -> None:
        super().__init__(id=id, classes=classes)
        # Not read_now (on a screen built ahead): no row is read, nor counted,
        # until start_reading() (the screen first shown).
        self._read_later = not read_now
        # Until its first rows are in, such a table takes its list for one
        # longer than the screen: built ahead, it is laid out (unseen) with
        # its scrollbar, as it comes on its key with the rows of a long list.
        # (A scrollbar that came with the rows laid the whole screen out
        # again, in the frame they were drawn in.)
        self._long_until_read = not read_now
        self.ticks = Ticks(selection or models.Selection.none())
        self.total: int | None = None
        self.selected_count: int | None = 0 if self.ticks.base.op == "none" else None
        self.changed = False  # has the admin changed the ticks?
        # The steps of ticks ctrl+z can undo, where a screen offers it (see undo_ticks).
        self.tick_history: TickHistory | None = None
        self._window = Window()
        self._ticked: set[int] = set()
        self._page = page
        self._widths: tuple[int, ...] = ()
        self._stale = False  # the lines drawn are of rows forgotten: all drawn again when rows arrive
        self._fetch_seq = 0  # the newest fetch started; older results are dropped
        self._in_flight: str | None = None  # the job name of the newest fetch while it runs
        self._count_after_rows = False  # reload(): count once the newest fetch is in
        self._generation = 0  # _forget_rows(): a count asked for before is of another list
        self._recounting = False  # a count checking the block held (_recount) is running
        self._recount_again = False  # ... and another was asked for meanwhile
        # read_ahead(): until on_mount, the jobs run on the screen composing the
        # table (``_host``), and what they deliver waits here for on_mount.
        self._host: Background | None = None
        self._before_mount: list[Callable[[], None]] | None = None

    # -- what a subclass fills in ---------------------------------------------
    def _reader(self) -> Reader:
        """How to read rows of the list as it is now (called in the worker)."""
        raise NotImplementedError

    def _counter(self) -> Callable[[], int]:
        """How to count the rows of the list as it is now (called in the worker)."""
        raise NotImplementedError

    def _cells(self, row: Any) -> list[Any]:
        raise NotImplementedError

    def _set_columns(self) -> bool:
        """Fit the columns and the page to the widget's size; True if they changed."""
        raise NotImplementedError

    def _tick_selection(self) -> models.Selection | None:
        """The ticks to look up among fetched rows (None: the rows have no ticks)."""
        return self.ticks.selection

    def _fetched(self, window: Window) -> None:
        """A block of rows has arrived, before it is shown."""

    def _announce(self) -> None:
        """The cursor was drawn or clicked."""

    def _row_label(self, row: Any) -> str:
        """A row as an undo notice names it ("unticked …"), inert."""
        return f"#{row.id}"

    # -- public --------------------------------------------------------------
    @property
    def selection(self) -> models.Selection:
        return self.ticks.selection

    def reload(self) -> None:
        """Forget every fetched row and count, and fetch again: the rows
        first, then the count.  Counting a million rows took longer than
        reading the first ones and, run beside them, competed with them and
        with the screen being built for the machine's cores: the count is
        started once the rows are in (or could not be read).  Nothing until
        :meth:`start_reading` if the table was made not to read yet."""
        if self._read_later:
            return
        self.total = None
        self._forget_rows()
        self._pos = 0
        self._count_after_rows = True
        self._fetch(0)
        self._move_to(0)

    def recount_after_rows(self) -> None:
        """Read the rows around the cursor and the count again (the list
        shown again, others may have changed it): the rows first, placed by
        the count held (kept on the status line meanwhile), then the count,
        once they are drawn; a block it no longer fits is read again.  With
        the count dropped and started beside the rows, the rows around a
        cursor deep in the list were read forwards from it (MariaDB: an
        offset of a million), and the count took the cores from the rows
        and the frame of F2 back to the list."""
        if self._read_later:
            return
        self._forget_rows()
        self._count_after_rows = True
        self._fetch(self._pos)

    def read_ahead(self, host: Background) -> None:
        """Start reading the first rows now, before the table is mounted:
        called by the screen composing it (``host``, which runs the job until
        then).  A screen mounts its widgets one after the other, and the
        table's on_mount came after the filter bar's two dozen: the rows were
        asked for a third of the way into building the Customers list, and
        came after its first frame, drawn with placeholders, so a second
        frame drew them.  Read ahead, they are in by the time the screen is
        laid out; what arrives before on_mount is shown there."""
        if self._fetch_seq or self.is_attached:
            return
        self._host = host
        self._before_mount = []
        self._forget_rows()
        self._count_after_rows = True
        self._fetch(0)

    def start_reading(self) -> None:
        """Read the rows now (a table made with ``read_now=False``)."""
        if self._read_later:
            self._read_later = False
            self.reload()

    def warm_up(self) -> None:
        """Read the first rows once, in a worker, and throw them away: the
        first read of a list in a process took two to three times as long
        as the next (46-68 ms against ~20 ms for the Reviews queue at a
        million rows: SQLite's and the driver's first use, Peewee building
        the query's SQL for the first time).  A screen built ahead does it
        while it waits unseen, so that the read made when it is first shown
        (the rows of that moment, which are the ones shown) is a warm one.
        Nothing shown, nothing kept; an error is left for that read."""
        read, count, size = self._reader(), self._counter(), self._first_size()
        ticks, rows = self._tick_selection(), self.ROWS
        (self._host or self).run_job(lambda: read_block(read, count, 0, size, None, ticks, rows),
                                     lambda _: None, name="warm", failed=lambda _: None)

    def set_selection(self, selection: models.Selection, what: str = "set the ticks") -> None:
        """Tick exactly ``selection`` (e.g. restored from a draft), as the admin would."""
        self._bulk(selection, what)
        self._post_status()

    def clear_ticks(self) -> None:
        if self.ticks.base.op != "none" or self.ticks.added:
            n = self.selected_count
            self._remember_bulk(f"unticked all {n:,}" if n else "unticked all")
        self.ticks.replace(models.Selection.none())
        self.changed = True
        self.selected_count = 0
        self._ticked = set()
        self._draw()
        self._post_status()

    # -- lifecycle -----------------------------------------------------------
    def on_mount(self) -> None:
        super().on_mount()
        self._set_columns()
        arrived, self._before_mount, self._host = self._before_mount, None, None
        if arrived is None:
            self.reload()
        else:  # read ahead: the first rows are in (shown now) or on their way
            self._move_to(0)
            for deliver in arrived:
                deliver()
        if self.selected_count is None:
            self._count_selected()

    def _fit_columns(self) -> None:
        self._set_columns()

    # -- the rows the table draws -----------------------------------------------
    def _row_total(self) -> int:
        if self.total is not None:
            return self.total
        w = self._window
        known = w.end if w.at_end else w.end + 1
        if self._long_until_read:
            known = self._top + self._page + 1
        return max(known, self._pos + 1, self._top + self._page)

    def _row_at(self, pos: int) -> Any:
        w = self._window
        if w.offset <= pos < w.end:
            return w.rows[pos - w.offset]
        return None

    def _last(self) -> int | None:
        if self.total is not None:
            return max(0, self.total - 1)
        if self._window.at_end:
            return max(0, self._window.end - 1)
        return None

    # -- fetching ------------------------------------------------------------
    def _cache_size(self) -> int:
        return max(self.CACHE_MIN, 6 * self._page)

    def _first_size(self) -> int:
        """The rows read first from the top of the list when none are held
        (the list opened, a new filter or sort): the screen and the next (a
        page down waits for nothing); the rest of the cache is read ahead of
        the cursor once it nears them.  Reading the whole cache first took
        twice as long (a worker's Python competes with the screen being
        drawn for the interpreter, and SQLite gives it back on every row).
        Before the table is laid out its page is not known: the app's
        height is as tall as it can be."""
        page = self._page if self.size.height else max(self._page, self.app.size.height)
        return min(self._cache_size(), 2 * page + 2)

    def _fetch(self, pos: int, *, needed: bool = True) -> None:
        """Fetch a block of rows centred on ``pos`` (or ending the list for
        -1); ``needed``: rows on screen wait for it (keys wait too).  Not
        before :meth:`start_reading` (a cursor moved or the table resized
        before it may read: nothing)."""
        if self._read_later:
            return
        read, count, total = self._reader(), self._counter(), self.total
        size = self._first_size() if pos == 0 and not self._window.rows else self._cache_size()
        ticks = self._tick_selection()
        rows = self.ROWS
        self._fetch_seq += 1
        seq = self._fetch_seq
        name = "rows" if needed else "prefetch"
        self._in_flight = name

        def job() -> Block:
            return read_block(read, count, pos, size, total, ticks, rows)

        def done(block: Block) -> None:
            if seq != self._fetch_seq:
                return  # a newer fetch was started: this one is stale
            if self._before_mount is not None:
                self._before_mount.append(lambda: done(block))  # read ahead: shown by on_mount
                return
            self._in_flight = None
            window, ticked, n, target, fresh = block
            self._fetched(window)
            if (n is not None and n != total) or self.total is None:  # counted with these rows: the newer count
                self.total = n if n is not None else (window.end if window.at_end else None)
            self._show_window(window, ticked)
            self._move_to(target if pos < 0 else self._pos)
            if ticks is not None and self.ticks.selection != ticks:
                self._refresh_ticks()  # ticked meanwhile: these ticks are stale
            if not fresh and not self._count_after_rows:  # placed by the count held: checked once drawn
                self.call_after_refresh(self._recount)
            self._count_if_reloaded()

        def failed(exc: BaseException) -> None:
            if self._before_mount is not None:
                self._before_mount.append(lambda: failed(exc))
                return
            if seq == self._fetch_seq:
                self._in_flight = None
                self._count_if_reloaded()
            self.job_failed(exc)

        (self._host or self).run_job(job, done, name=name, failed=failed)

    def _forget_rows(self) -> None:
        """The rows held are out of date (a new filter, an edit): they are
        read again.  What is on screen stays until the new rows are in (no
        flash of placeholders on each keystroke of a filter)."""
        self._window = Window()
        self._stale = True
        self._generation += 1

    def _show_window(self, window: Window, ticked: set[int]) -> None:
        """Hold ``window`` from now on; draw again only the lines on screen
        that it changes (rows read ahead leave the screen as it is)."""
        self._long_until_read = False
        if self._stale:
            self._stale = False
            self._window, self._ticked = window, ticked
            self.invalidate()
            return
        before = {p: self._drawn(p) for p in range(self._top, self._top + self._page)}
        self._window = window
        self._ticked = ticked
        kept = {k: v for k, v in self._lines.items() if k[0] in before}
        self._lines = kept
        for p, was in before.items():
            if self._drawn(p) != was:
                self.refresh_row(p)

    def _drawn(self, pos: int) -> tuple[Any, bool] | None:
        """What the line of row ``pos`` shows: the row and its tick."""
        row = self._row_at(pos)
        return None if row is None else (row, row.id in self._ticked)

    def _count_if_reloaded(self) -> None:
        """After reload()'s rows: count, once they are drawn.  Read ahead,
        the rows came before the screen's first frame, and a count started
        with them (a million rows: 0.1 s of a core on SQLite, more of the
        server's) competed with that frame for the machine's two cores."""
        if self._count_after_rows:
            self._count_after_rows = False
            self._count_once_frames_go()

    def _count_once_frames_go(self, waited: int = 0) -> None:
        """The count, after the refresh that draws the rows: while the app
        holds its frames (a new area's screen is held back 50 ms by Textual,
        one built ahead until its rows are in) the turn "after the refresh"
        comes before anything is drawn, and the count ran beside the frame
        it was to follow.  A fifth of a second at most."""
        if getattr(self.app, "_batch_count", 0) and waited < 10:
            self.set_timer(0.02, lambda: self._count_once_frames_go(waited + 1))
            return
        self.call_after_refresh(self._count_matching)

    def _count_matching(self) -> None:
        if self._read_later:
            return
        self.run_job(self._counter(), self._matching_counted, name="count", count=True)

    def _recount(self) -> None:
        """Count again, to check the count that placed the block held (read
        backwards from the end, in an earlier snapshot than the count's):
        other admins may have added or removed rows meanwhile.  One count
        at a time; asked for meanwhile, once more after it.  A count of a
        list since filtered or sorted anew (or read again) is dropped."""
        if self._read_later:
            return
        if self._recounting:
            self._recount_again = True
            return
        self._recounting, self._recount_again = True, False
        generation = self._generation

        def counted(n: int) -> None:
            self._recounting = False
            if generation == self._generation:
                self._matching_counted(n)
            if self._recount_again:
                self._recount()

        def failed(exc: BaseException) -> None:
            self._recounting = False
            self.job_failed(exc)

        self.run_job(self._counter(), counted, name="recount", failed=failed, count=True)

    def _matching_counted(self, n: int) -> None:
        old, self.total = self.total, n
        placed_by = self._window.placed_by
        if placed_by is not None and placed_by != n and self._in_flight is None:
            # The block held was placed by an older count: its rows are the
            # last ones still, but their offsets are off by what others added
            # or removed.  Read again (from the end if the cursor was on the
            # last row), showing these meanwhile.
            at_last = old is not None and self._pos >= old - 1
            self._fetch(-1 if at_last else min(self._pos, max(0, n - 1)), needed=False)
        if self._pos >= n or self._top + self._page > n:
            self._move_to(max(0, min(self._pos, n - 1)))
        else:
            self._update_virtual_size()
        self._post_status()

    def _count_selected(self) -> None:
        self.selected_count = None
        sel, rows = self.ticks.selection, self.ROWS
        self._post_status()
        self.run_job(lambda: models.count_selection(sel, rows), lambda n: self._selected_counted(n, sel),
                     name="selected", count=True)

    def _selected_counted(self, n: int, counted: models.Selection) -> None:
        if counted != self.ticks.selection:
            # Ticked while it was counted (a tick does not adjust a count
            # not there yet): that one is off, count again.
            self._count_selected()
            return
        self.selected_count = n
        self._post_status()

    def _refresh_ticks(self) -> None:
        """Re-read which cached rows are ticked, after a bulk change."""
        sel, rows = self.ticks.selection, self.ROWS
        ids = [r.id for r in self._window.rows]

        def job() -> tuple[list[int], set[int]]:
            return ids, models.which_selected(sel, ids, rows)

        def done(result: tuple[list[int], set[int]]) -> None:
            ids_then, ticked = result
            if ids_then == [r.id for r in self._window.rows]:
                self._ticked = ticked
                self._draw()

        self.run_job(job, done, name="ticks")

    # -- moving --------------------------------------------------------------
    def _cursor_moved(self) -> None:
        """Fetch the rows the screen lacks (or will soon), then say where the cursor is."""
        top, bottom = self._top, self._top + self._page
        w = self._window
        if not w.covers(top, bottom):
            if self._in_flight != "rows":  # (else fetched once that one is in)
                self._fetch(self._pos)
        elif self._in_flight is None:
            near_top = w.offset > 0 and top - w.offset < self._page
            # (A block that stops at the count held, not the list's end:
            # the count is being checked, see _recount.)
            near_end = not w.at_end and w.end - bottom < self._page and (self.total is None or w.end < self.total)
            if near_top or near_end:
                self._fetch(self._pos, needed=False)
        self._announce()
        self._post_status()

    def _draw(self) -> None:
        """Draw every line again, and announce the row under the cursor."""
        self.invalidate()
        self._announce()

    def action_go_last(self) -> None:
        last = self._last()
        if last is not None:
            self._move_to(last)
        else:  # count first, in the worker
            self._fetch(-1)

    # -- ticks ---------------------------------------------------------------
    def _set_tick(self, row: Any, ticked: bool) -> SingleTick | None:
        """Tick or untick one row; where it stood before, if that changed it."""
        if (row.id in self._ticked) == ticked:
            return None
        before = SingleTick(row.id, row.id in self.ticks.added, row.id in self.ticks.removed, not ticked)
        self.ticks.set(row.id, ticked)
        if ticked:
            self._ticked.add(row.id)
        else:
            self._ticked.discard(row.id)
        if self.selected_count is not None:
            self.selected_count += 1 if ticked else -1
        self.changed = True
        for pos in range(self._top, self._top + self._page):
            shown = self._row_at(pos)
            if shown is not None and shown.id == row.id:
                self.refresh_row(pos)
        return before

    def action_toggle(self) -> None:
        row = self._row_at(self._pos)
        if row is not None:
            count, changed = self.selected_count, self.changed
            ticked = row.id not in self._ticked
            single = self._set_tick(row, ticked)
            if single is not None:
                self._remember_singles(f"{'ticked' if ticked else 'unticked'} {self._row_label(row)}",
                                       count, changed, [single])
            self._post_status()

    def _bulk(self, selection: models.Selection, what: str = "changed the ticks") -> None:
        self._remember_bulk(what)
        self.ticks.replace(selection)
        self.changed = True
        self._count_selected()
        self._refresh_ticks()

    def action_tick_none(self) -> None:
        self.clear_ticks()

    def _post_status(self) -> None:
        self.post_message(self.Status(self))  # type: ignore[attr-defined]

    # -- undoing ticks (where tick_history is set) ---------------------------
    def _remember_bulk(self, what: str) -> None:
        """A bulk step is about to replace the ticks: keep them, for undo."""
        if self.tick_history is not None:
            t = self.ticks
            self.tick_history.push(TickStep(what, self.selected_count, self.changed, base=t.base,
                                            added=t.added, removed=t.removed))

    def _remember_singles(self, what: str, count: int | None, changed: bool,
                          singles: list[SingleTick | None]) -> None:
        """Single ticks were changed (``count`` and ``changed`` as before them): keep the step."""
        kept = tuple(s for s in singles if s is not None)
        if self.tick_history is not None and kept:
            self.tick_history.push(TickStep(what, count, changed, singles=kept))

    def undo_ticks(self) -> str | None:
        """Put the ticks back as they were before the last step kept in
        :attr:`tick_history`; returns what that step did, or None if no step
        is left."""
        step = self.tick_history.pop() if self.tick_history is not None else None
        if step is None:
            return None
        t = self.ticks
        if step.bulk:
            assert step.base is not None
            t.base, t.added, t.removed = step.base, step.added, step.removed
            self._refresh_ticks()  # which rows on screen show ticked: read again
        else:
            for single in reversed(step.singles):
                for kept, now in ((single.added, t.added), (single.removed, t.removed)):
                    if kept:
                        now.add(single.id)
                    else:
                        now.discard(single.id)
                if single.ticked:
                    self._ticked.add(single.id)
                else:
                    self._ticked.discard(single.id)
        self.changed = step.changed
        if step.selected_count is None:
            self._count_selected()
        else:
            self.drop_job("selected")  # a count of the ticks undone
            self.selected_count = step.selected_count
        self._draw()
        self._post_status()
        return step.what
