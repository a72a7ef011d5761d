"""A DataTable that is a window onto a database query.

:class:`WindowedTable` holds a few hundred rows around the cursor (a
:class:`Window`), fetched in a worker as the cursor nears the cache's edges;
past the middle of a long list it reads backwards from the end, so offsets
stay small.  A block of rows and the count that places it are read in one
snapshot (:func:`read_block`), so they agree while other admins write.  Only
one screenful is in the DataTable.  Rows may be ticked; the
ticks are a :class:`models.Selection` (ids, or "every match except").

A subclass says what to read (:meth:`WindowedTable._reader`,
:meth:`WindowedTable._counter`), how a row looks
(:meth:`WindowedTable._cells`) and fits its columns
(:meth:`WindowedTable._set_columns`); it also declares its own BINDINGS, a
``Status`` message and ``status_text``.  Rows have an ``id``.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

from rich.text import Text
from textual.coordinate import Coordinate
from textual.events import Resize
from textual.widgets import DataTable

from backroom import models
from backroom.tui.background import Background

# Reads ``limit`` rows from ``offset``, in the list's order or, when the
# flag is true, in reverse order (counting the offset from the end).
Reader = Callable[[int, int, bool], list]


@dataclasses.dataclass
class Window:
    """A block of rows fetched from the database: rows[i] is row offset + i."""

    offset: int = 0
    rows: list[Any] = dataclasses.field(default_factory=list)
    at_end: bool = False

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
        return Window(offset, list(reversed(back)), at_end=stop >= total)
    rows = read(offset, limit, False)
    return Window(offset, rows, at_end=len(rows) < limit)


Block = tuple[Window, set[int], "int | None", int]
"""What :func:`read_block` returns: the rows, which of them are ticked, the
count they were placed by (None: not counted) and the cursor's row."""


def read_block(read: Reader, count: Callable[[], int], pos: int, size: int, total: int | None,
               ticks: models.Selection | None, rows: str) -> Block:
    """Read ``size`` rows around row ``pos`` (-1: the last rows), and which of
    them are ticked, in one snapshot (``models.read_snapshot``) while others
    write.  A block placed from the end of the list — the last row, or past
    the middle, read backwards — is placed by a count read in that same
    snapshot (``total``, an earlier count, is not trusted for it), so the
    rows and the count agree: none shifted, none missing.  A block read from
    the start needs no count (its end is where the rows run out); ``total``
    then only clamps it."""
    with models.read_snapshot():
        n = total
        if pos < 0 or (n is not None and pos > n // 2):
            n = count()
        target = max(0, n - 1) if n is not None and pos < 0 else pos
        offset = max(0, target - size // 2)
        if n is not None:
            offset = max(0, min(offset, n - size))
        window = read_window(read, offset, size, n)
        ticked = models.which_selected(ticks, [r.id for r in window.rows], rows) if ticks else set()
    return window, ticked, n, target


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
        self.added.clear()
        self.removed.clear()


class WindowedTable(DataTable, Background):
    """A window onto the rows of a query, with the cursor at :attr:`position`."""

    CACHE_MIN = 200
    ROWS = "customers"  # what the rows are, and so what the ticks select (models.SELECTABLE_ROWS)

    def __init__(self, *, selection: models.Selection | None = None, page: int, classes: str,
                 id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True, classes=classes)
        self.ticks = Ticks(selection or models.Selection.none())
        self.total: int | None = None
        self.selected_count: int | None = 0 if self.ticks.base.op == "none" else None
        self.changed = False  # has the admin changed the ticks?
        self._window = Window()
        self._ticked: set[int] = set()
        self._pos = 0
        self._top = 0
        self._page = page
        self._drawing = False
        self._widths: tuple[int, ...] = ()

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

    # -- public --------------------------------------------------------------
    @property
    def selection(self) -> models.Selection:
        return self.ticks.selection

    @property
    def position(self) -> int:
        return self._pos

    def reload(self) -> None:
        """Forget every fetched row and count, and fetch again."""
        self.total = None
        self._window = Window()
        self._pos = self._top = 0
        self._fetch(0)
        self._count_matching()
        self._post_status()

    def set_selection(self, selection: models.Selection) -> None:
        """Tick exactly ``selection`` (e.g. restored from a draft), as the admin would."""
        self._bulk(selection)
        self._post_status()

    def clear_ticks(self) -> None:
        self.ticks.replace(models.Selection.none())
        self.changed = True
        self.selected_count = 0
        self._ticked = set()
        self._draw()
        self._post_status()

    # -- lifecycle -----------------------------------------------------------
    def on_mount(self) -> None:
        self._set_columns()
        self.reload()
        if self.selected_count is None:
            self._count_selected()

    def on_resize(self, event: Resize) -> None:
        if self._set_columns():
            self._move_to(self._pos)

    # -- fetching ------------------------------------------------------------
    def _cache_size(self) -> int:
        return max(self.CACHE_MIN, 6 * self._page)

    def _fetch(self, pos: int) -> None:
        """Fetch a block of rows centred on ``pos`` (or ending the list for -1)."""
        read, count, total = self._reader(), self._counter(), self.total
        size = self._cache_size()
        ticks = self._tick_selection()
        rows = self.ROWS

        def job() -> Block:
            return read_block(read, count, pos, size, total, ticks, rows)

        def done(block: Block) -> None:
            window, ticked, n, target = block
            self._fetched(window)
            if (n is not None and n != total) or self.total is None:  # counted with these rows: the newer count
                self.total = n if n is not None else (window.end if window.at_end else None)
            self._window = window
            self._ticked = ticked
            self._move_to(target if pos < 0 else self._pos)
            if ticks is not None and self.ticks.selection != ticks:
                self._refresh_ticks()  # ticked meanwhile: these ticks are stale

        self.run_job(job, done, name="rows")

    def _count_matching(self) -> None:
        self.run_job(self._counter(), self._matching_counted, name="count")

    def _matching_counted(self, n: int) -> None:
        self.total = n
        if self._pos >= n:
            self._move_to(max(0, n - 1))
        self._post_status()

    def _count_selected(self) -> None:
        self.selected_count = None
        sel, rows = self.ticks.selection, self.ROWS
        self._post_status()
        self.run_job(lambda: models.count_selection(sel, rows), self._selected_counted, name="selected")

    def _selected_counted(self, n: int) -> None:
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

    def _move_to(self, pos: int) -> None:
        """Put the cursor on row ``pos`` of the list, fetching rows if needed."""
        last = self._last()
        pos = max(0, pos if last is None else min(pos, last))
        self._pos = pos
        if pos < self._top:
            self._top = pos
        elif pos >= self._top + self._page:
            self._top = pos - self._page + 1
        if last is not None:
            self._top = max(0, min(self._top, last - self._page + 1))
        top, bottom = self._top, self._top + self._page
        w = self._window
        if not w.covers(top, bottom):
            self._fetch(pos)
        else:
            near_top = w.offset > 0 and top - w.offset < self._page
            near_end = not w.at_end and w.end - bottom < self._page
            if near_top or near_end:
                self._fetch(pos)
        self._draw()
        self._post_status()

    def _draw(self) -> None:
        """Show the rows from ``_top`` that are in the cache."""
        if not self.columns:
            return
        self._drawing = True
        try:
            self.clear()
            for i in range(self._top, self._top + self._page):
                row = self._row_at(i)
                if row is None:
                    break
                self.add_row(*self._cells(row), key=str(row.id))
            if self.row_count:
                self.move_cursor(row=min(self._pos - self._top, self.row_count - 1), scroll=False)
        finally:
            self._drawing = False
        self._announce()

    def watch_cursor_coordinate(self, old: Coordinate, new: Coordinate) -> None:
        super().watch_cursor_coordinate(old, new)
        if not self._drawing and old != new:  # a click on a row
            self._pos = self._top + new.row
            self._announce()
            self._post_status()

    def action_cursor_down(self) -> None:
        self._move_to(self._pos + 1)

    def action_cursor_up(self) -> None:
        self._move_to(self._pos - 1)

    def action_page_down(self) -> None:
        self._top += self._page
        self._move_to(self._pos + self._page)

    def action_page_up(self) -> None:
        self._top = max(0, self._top - self._page)
        self._move_to(self._pos - self._page)

    def action_go_first(self) -> None:
        self._move_to(0)

    def action_go_last(self) -> None:
        last = self._last()
        if last is not None:
            self._move_to(last)
        else:  # count first, in the worker
            self._fetch(-1)

    def _on_mouse_scroll_down(self, event: Any) -> None:
        event.stop()
        self._move_to(self._pos + 3)

    def _on_mouse_scroll_up(self, event: Any) -> None:
        event.stop()
        self._move_to(self._pos - 3)

    # -- ticks ---------------------------------------------------------------
    def _set_tick(self, row: Any, ticked: bool) -> None:
        if (row.id in self._ticked) == ticked:
            return
        self.ticks.set(row.id, ticked)
        if ticked:
            self._ticked.add(row.id)
        else:
            self._ticked.discard(row.id)
        if self.selected_count is not None:
            self.selected_count += 1 if ticked else -1
        self.changed = True
        try:
            self.update_cell(str(row.id), "tick", Text("[x]" if ticked else "[ ]"))
        except Exception:  # noqa: BLE001 - the row is not on screen
            pass

    def action_toggle(self) -> None:
        row = self._row_at(self._pos)
        if row is not None:
            self._set_tick(row, row.id not in self._ticked)
            self._post_status()

    def _bulk(self, selection: models.Selection) -> None:
        self.ticks.replace(selection)
        self.changed = True
        self._count_selected()
        self._refresh_ticks()

    def action_tick_none(self) -> None:
        self.clear_ticks()

    def _post_status(self) -> None:
        self.post_message(self.Status(self))  # type: ignore[attr-defined]
