"""Widgets of the review-moderation screen.

:class:`ReviewTable` is a window onto the reviews matching a filter, like
:class:`tui.widgets.CustomerTable` is for customers: it holds a few hundred
rows around the cursor, fetched with ``models.review_page`` in a worker (read
backwards from the end past the middle, so offsets stay small), and never
loads the whole queue.  :class:`RatingChart` draws a rating distribution
with block characters.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.events import Resize
from textual.message import Message
from textual.widget import Widget
from textual.widgets import DataTable

import models
from tui.background import Background
from tui.safetext import line_text, safe_line
from tui.widgets import Ticks, date_text


def stars(rating: int) -> str:
    """"★★★☆☆" for 3: readable without colour."""
    n = max(0, min(5, int(rating or 0)))
    return "★" * n + "☆" * (5 - n)


STATUS_MARK = {"pending": "P", "approved": "A", "rejected": "R"}


@dataclasses.dataclass
class ReviewWindow:
    """A block of reviews fetched from the database: rows[i] is row offset + i."""

    offset: int = 0
    rows: list[models.ReviewRow] = dataclasses.field(default_factory=list)
    at_end: bool = False

    @property
    def end(self) -> int:
        return self.offset + len(self.rows)

    def covers(self, start: int, stop: int) -> bool:
        return self.offset <= start and (stop <= self.end or self.at_end)


def fetch_reviews(flt: models.ReviewFilter, offset: int, limit: int, total: int | None) -> ReviewWindow:
    """Rows ``offset .. offset+limit`` of the queue (oldest first).  Past the
    middle of a long queue, read it newest first from the end instead."""
    if total is not None and offset > total // 2:
        stop = min(total, offset + limit)
        back = models.review_page(flt, offset=total - stop, limit=stop - offset, newest_first=True)
        return ReviewWindow(offset, list(reversed(back)), at_end=stop >= total)
    rows = models.review_page(flt, offset=offset, limit=limit)
    return ReviewWindow(offset, rows, at_end=len(rows) < limit)


class ReviewTable(DataTable, Background):
    """The moderation queue: the reviews matching :attr:`review_filter`,
    oldest first, with a tick column whose ticks make a
    :class:`models.Selection` of reviews (ids, or "every match except")."""

    BINDINGS = [
        Binding("space", "toggle", "Tick", tooltip="Tick or untick this review"),
        Binding("t", "tick_matching", "Tick matching",
                tooltip="Tick every review matching the filter (all pages)"),
        Binding("x", "tick_none", "Untick all", show=False, tooltip="Untick every review"),
        Binding("home,ctrl+home", "go_first", "First review", show=False),
        Binding("end,ctrl+end", "go_last", "Last review", show=False),
    ]

    CACHE_MIN = 200

    class Status(Message):
        """The counts or the position changed."""

        def __init__(self, table: "ReviewTable") -> None:
            super().__init__()
            self.table = table

    class Highlighted(Message):
        """The review under the cursor changed (``row`` None: no review)."""

        def __init__(self, table: "ReviewTable", row: models.ReviewRow | None) -> None:
            super().__init__()
            self.table = table
            self.row = row
            self.empty = row is None and table.total == 0  # no review matches the filter

    def __init__(self, *, review_filter: models.ReviewFilter | None = None, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True, classes="review-table")
        self.ticks = Ticks(models.Selection.none())
        self.review_filter = review_filter or models.ReviewFilter()
        self.total: int | None = None
        self.selected_count: int | None = 0
        self._window = ReviewWindow()
        self._ticked: set[int] = set()
        self._pos = 0
        self._top = 0
        self._page = 10
        self._drawing = False
        self._widths: tuple[int, ...] = ()
        self._shown_id: int | None | bool = False  # the review last announced as highlighted
        # Decisions shown but not yet saved: applied to every block of rows
        # fetched meanwhile, so a read that raced the save cannot bring back
        # a review as it was.
        self._unsaved: dict[int, str] = {}

    # -- public --------------------------------------------------------------
    @property
    def selection(self) -> models.Selection:
        return self.ticks.selection

    @property
    def position(self) -> int:
        return self._pos

    def current(self) -> models.ReviewRow | None:
        return self._row_at(self._pos)

    def set_filter(self, review_filter: models.ReviewFilter) -> None:
        """Show the reviews matching ``review_filter``, from the top."""
        self.review_filter = review_filter
        self.reload()

    def show_at(self, review_filter: models.ReviewFilter, position: int) -> None:
        """Show the reviews matching ``review_filter`` with the cursor on row
        ``position`` (only the rows around it are fetched)."""
        self.review_filter = review_filter
        self.total = None
        self._window = ReviewWindow()
        self._pos = max(0, position)
        self._top = max(0, self._pos - self._page // 2)
        self._shown_id = False
        self._draw()
        self._fetch(self._pos)
        self._count_matching()
        self._post_status()

    def reload(self, *, keep_position: bool = False) -> None:
        """Forget every fetched row and count and fetch again (from the top,
        or around the same position)."""
        if keep_position:  # keep showing the rows held until the new ones arrive
            self._fetch(self._pos)
            self._count_matching()
            return
        self.total = None
        self._window = ReviewWindow()
        self._pos = self._top = 0
        self._fetch(0)
        self._count_matching()
        self._post_status()

    def clear_ticks(self) -> None:
        self.ticks.replace(models.Selection.none())
        self.selected_count = 0
        self._ticked = set()
        self._draw()
        self._post_status()

    def decided(self, ids: set[int], status: str) -> None:
        """Reviews ``ids`` now have ``status`` (the change is being saved):
        show it at once.  Those that no longer match the filter leave the
        queue, so the next review comes up under the cursor."""
        self._unsaved.update({i: status for i in ids})
        removed = self._apply_unsaved(self._window)
        if removed and self.total is not None:
            self.total = max(0, self.total - removed)
        if not (self.review_filter.status and self.review_filter.status != status):
            # Move on to the next pending review among those fetched.
            for pos in range(self._pos + 1, self._window.end):
                row = self._row_at(pos)
                if row is not None and row.status == "pending":
                    self._move_to(pos)
                    return
            self._move_to(self._pos + 1)
            return
        self._move_to(self._pos)

    def saved(self, ids: set[int]) -> None:
        """The decisions on ``ids`` are in the database: read the queue again."""
        for i in ids:
            self._unsaved.pop(i, None)
        self.reload(keep_position=True)

    def _apply_unsaved(self, window: ReviewWindow) -> int:
        """Show the unsaved decisions in ``window``; returns how many rows left it."""
        if not self._unsaved:
            return 0
        wanted = self.review_filter.status
        kept: list[models.ReviewRow] = []
        for row in window.rows:
            status = self._unsaved.get(row.id)
            if status is not None and status != row.status:
                if wanted and wanted != status:
                    continue
                row = dataclasses.replace(row, status=status)
            kept.append(row)
        removed = len(window.rows) - len(kept)
        window.rows = kept
        return removed

    # -- lifecycle -----------------------------------------------------------
    def on_mount(self) -> None:
        self._set_columns()
        self.reload()

    def on_resize(self, event: Resize) -> None:
        if self._set_columns():
            self._move_to(self._pos)

    def _set_columns(self) -> bool:
        width = max(40, self.scrollable_content_region.width or self.size.width or 80)
        page = max(1, (self.scrollable_content_region.height or self.size.height or 11) - 1)
        fixed = 3 + 5 + 1 + 10 + 1  # tick, stars, status, date, verified
        flex = max(24, width - fixed - 2 * 7)
        product_w = max(8, flex * 28 // 100)
        customer_w = max(8, flex * 28 // 100)
        text_w = max(8, flex - product_w - customer_w)
        widths = (product_w, customer_w, text_w)
        if widths == self._widths and page == self._page:
            return False
        self._page = page
        if widths != self._widths:
            self._widths = widths
            self.clear(columns=True)
            self.add_column(Text(" "), width=3, key="tick")
            self.add_column(Text("S"), width=1, key="status")
            self.add_column(Text("Stars"), width=5, key="rating")
            self.add_column(Text("Product"), width=product_w, key="product")
            self.add_column(Text("Customer"), width=customer_w, key="customer")
            self.add_column(Text("Date"), width=10, key="date")
            self.add_column(Text("V"), width=1, key="verified")
            self.add_column(Text("Review"), width=text_w, key="text")
        return True

    # -- fetching ------------------------------------------------------------
    def _cache_size(self) -> int:
        return max(self.CACHE_MIN, 6 * self._page)

    def _fetch(self, pos: int) -> None:
        """Fetch a block of rows centred on ``pos`` (or ending the queue for -1)."""
        flt, total, size = self.review_filter, self.total, self._cache_size()
        ticks = self.ticks.selection

        def job() -> tuple[ReviewWindow, set[int], int | None, int]:
            n, target = total, pos
            if target < 0:
                n = models.count_reviews(flt) if n is None else n
                target = max(0, n - 1)
            offset = max(0, target - size // 2)
            if n is not None:
                offset = max(0, min(offset, n - size))
            window = fetch_reviews(flt, offset, size, n)
            ticked = models.selected_among(ticks, [r.id for r in window.rows], models.Review)
            return window, ticked, n, target

        def done(result: tuple[ReviewWindow, set[int], int | None, int]) -> None:
            window, ticked, n, target = result
            self._apply_unsaved(window)
            if self.total is None:
                self.total = n if n is not None else (window.end if window.at_end else None)
            self._window = window
            self._ticked = ticked
            self._move_to(target if pos < 0 else self._pos)
            if self.ticks.selection != ticks:
                self._refresh_ticks()

        self.run_job(job, done, name="rows")

    def _count_matching(self) -> None:
        flt = self.review_filter
        self.run_job(lambda: models.count_reviews(flt), self._matching_counted, name="count")

    def _matching_counted(self, n: int) -> None:
        self.total = n
        if self._pos >= n:
            self._move_to(max(0, n - 1))
        self._post_status()

    def _count_selected(self) -> None:
        self.selected_count = None
        sel = self.ticks.selection
        self._post_status()
        self.run_job(lambda: sel.count(models.Review), self._selected_counted, name="selected")

    def _selected_counted(self, n: int) -> None:
        self.selected_count = n
        self._post_status()

    def _refresh_ticks(self) -> None:
        sel = self.ticks.selection
        ids = [r.id for r in self._window.rows]

        def job() -> tuple[list[int], set[int]]:
            return ids, models.selected_among(sel, ids, models.Review)

        def done(result: tuple[list[int], set[int]]) -> None:
            ids_then, ticked = result
            if ids_then == [r.id for r in self._window.rows]:
                self._ticked = ticked
                self._draw()

        self.run_job(job, done, name="ticks")

    # -- moving --------------------------------------------------------------
    def _row_at(self, pos: int) -> models.ReviewRow | None:
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
        elif (w.offset > 0 and top - w.offset < self._page) or (not w.at_end and w.end - bottom < self._page):
            self._fetch(pos)
        self._draw()
        self._post_status()

    def _draw(self) -> None:
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

    def _announce(self) -> None:
        row = self._row_at(self._pos)
        key: int | None = row.id if row else None
        if row is None and self.total is None:
            return  # still fetching
        if key != self._shown_id or row is not None or self.total == 0:
            self._shown_id = key
            self.post_message(self.Highlighted(self, row))

    def _cells(self, row: models.ReviewRow) -> list[Any]:
        title = safe_line(row.title)
        first = safe_line(row.first_line)
        text = f"{title} — {first}" if title and first else (title or first)
        return [Text("[x]" if row.id in self._ticked else "[ ]"), Text(STATUS_MARK.get(row.status, "?")),
                Text(stars(row.rating)), line_text(row.product), line_text(row.customer),
                Text(date_text(row.created_at)), Text("✓" if row.verified else ""),
                Text(text, no_wrap=True, overflow="ellipsis")]

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
        else:
            self._fetch(-1)

    def _on_mouse_scroll_down(self, event: Any) -> None:
        event.stop()
        self._move_to(self._pos + 3)

    def _on_mouse_scroll_up(self, event: Any) -> None:
        event.stop()
        self._move_to(self._pos - 3)

    # -- ticks ---------------------------------------------------------------
    def action_toggle(self) -> None:
        row = self._row_at(self._pos)
        if row is None:
            return
        ticked = row.id not in self._ticked
        self.ticks.set(row.id, ticked)
        (self._ticked.add if ticked else self._ticked.discard)(row.id)
        if self.selected_count is not None:
            self.selected_count += 1 if ticked else -1
        try:
            self.update_cell(str(row.id), "tick", Text("[x]" if ticked else "[ ]"))
        except Exception:  # noqa: BLE001 - the row is not on screen
            pass
        self._post_status()

    def action_tick_matching(self) -> None:
        self.ticks.replace(self.ticks.selection | models.Selection.matching(self.review_filter))
        self._count_selected()
        self._refresh_ticks()

    def action_tick_none(self) -> None:
        self.clear_ticks()

    def _post_status(self) -> None:
        self.post_message(self.Status(self))

    def status_text(self) -> str:
        matching = "counting…" if self.total is None else f"{self.total:,}"
        where = (f"review {self._pos + 1:,} of {matching}" if self._row_at(self._pos)
                 else ("no reviews match" if self.total == 0 else f"… of {matching}"))
        selected = "counting…" if self.selected_count is None else f"{self.selected_count:,}"
        return f"{where} · {selected} ticked"


# --------------------------------------------------------------------------
# The rating chart
# --------------------------------------------------------------------------

_EIGHTHS = " ▏▎▍▌▋▊▉"


def bar(value: int, largest: int, width: int) -> str:
    """A horizontal bar of ``width`` cells at most, in eighths of a cell."""
    if largest <= 0 or value <= 0 or width <= 0:
        return ""
    eighths = max(1, round(value * width * 8 / largest))
    full, part = divmod(eighths, 8)
    return "█" * full + (_EIGHTHS[part] if part else "")


class RatingChart(Widget):
    """How many reviews have each rating: one bar per star count, with the
    count written beside it (readable without colour)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.distribution: dict[int, int] | None = None
        self.caption = "Ratings"

    def show(self, distribution: dict[int, int] | None, caption: str) -> None:
        self.distribution = distribution
        self.caption = caption
        self.refresh()

    def render(self) -> Text:
        width = max(10, self.content_region.width or self.size.width or 30)
        out = Text(no_wrap=True, overflow="ellipsis")
        out.append(safe_line(self.caption), style="bold")
        dist = self.distribution
        if dist is None:
            out.append("\ncounting…")
            return out
        counts = [dist.get(s, 0) for s in range(5, 0, -1)]
        largest = max(counts)
        total = sum(counts)
        count_w = max(len(f"{c:,}") for c in counts)
        bar_w = max(1, width - 3 - count_w - 2)
        for stars_n, n in zip(range(5, 0, -1), counts):
            out.append(f"\n{stars_n}★ ")
            b = bar(n, largest, bar_w)
            out.append(b.ljust(bar_w), style="bold")
            out.append(f" {n:>{count_w},}")
        if total == 0:
            out.append("\n(no reviews)")
        return out
