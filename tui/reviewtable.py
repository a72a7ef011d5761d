"""Widgets of the review-moderation screen.

:class:`ReviewTable` is a window onto the reviews matching a filter, like
:class:`tui.customertable.CustomerTable` is for customers: it holds a few hundred
rows around the cursor, fetched with ``models.review_page`` in a worker (read
backwards from the end past the middle, so offsets stay small), and never
loads the whole queue: both are a :class:`tui.window.WindowedTable`.
:class:`RatingChart` draws a rating distribution with block characters.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, Callable

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from backroom import models
from backroom.tui.formatters import date_text
from backroom.tui.safetext import block_text, line_text, safe_line
from backroom.tui.window import Column, Reader, Window, WindowedTable


def stars(rating: int) -> str:
    """"★★★☆☆" for 3: readable without colour."""
    n = max(0, min(5, int(rating or 0)))
    return "★" * n + "☆" * (5 - n)


STATUS_MARK = {"pending": "P", "approved": "A", "rejected": "R", "spam": "S"}


class ReviewTable(WindowedTable):
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

    ROWS = "reviews"

    class Status(Message):
        """The counts or the position changed."""

        def __init__(self, table: "ReviewTable") -> None:
            super().__init__()
            self.table = table

        @property
        def control(self) -> "ReviewTable":
            return self.table

    class Highlighted(Message):
        """The review under the cursor changed (``row`` None: no review)."""

        def __init__(self, table: "ReviewTable", row: models.ReviewRow | None) -> None:
            super().__init__()
            self.table = table
            self.row = row
            self.empty = row is None and table.total == 0  # no review matches the filter

        @property
        def control(self) -> "ReviewTable":
            return self.table

    def __init__(self, *, review_filter: models.ReviewFilter | None = None, id: str | None = None,
                 read_now: bool = True) -> None:
        super().__init__(page=10, classes="review-table", id=id, read_now=read_now)
        self.review_filter = review_filter or models.ReviewFilter()
        self._shown_id: int | None | bool = False  # the review last announced as highlighted
        # Decisions shown but not yet saved: applied to every block of rows
        # fetched meanwhile, so a read that raced the save cannot bring back
        # a review as it was.
        self._unsaved: dict[int, str] = {}

    # -- public --------------------------------------------------------------
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
        self._read_later = False
        self.total = None
        self._forget_rows()
        self._pos = max(0, position)
        self._top = max(0, self._pos - self._page // 2)
        self._shown_id = False
        self._draw()
        self._fetch(self._pos)
        self._count_matching()
        self._post_status()

    def reload(self, *, keep_position: bool = False) -> None:
        """Forget every fetched row and count and fetch again (from the top,
        or around the same position); nothing until :meth:`start_reading`
        if the table was made not to read yet."""
        if self._read_later:
            return
        if keep_position:  # keep showing the rows held until the new ones arrive
            self._fetch(self._pos)
            self._count_matching()
            return
        super().reload()

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

    def _apply_unsaved(self, window: Window) -> int:
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

    # -- columns -------------------------------------------------------------
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
            self.set_columns([
                Column("tick", " ", 3), Column("status", "S", 1), Column("rating", "Stars", 5),
                Column("product", "Product", product_w), Column("customer", "Customer", customer_w),
                Column("date", "Date", 10), Column("verified", "V", 1), Column("text", "Review", text_w),
            ])
        return True

    # -- rows ----------------------------------------------------------------
    def _reader(self) -> Reader:
        flt = self.review_filter
        return lambda offset, limit, backwards: models.review_page(
            flt, offset=offset, limit=limit, newest_first=backwards)

    def _counter(self) -> Callable[[], int]:
        flt = self.review_filter
        return lambda: models.count_reviews(flt)

    def _fetched(self, window: Window) -> None:
        self._apply_unsaved(window)

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

    # -- ticks ---------------------------------------------------------------
    def action_tick_matching(self) -> None:
        self._bulk(self.ticks.selection | models.Selection.matching(self.review_filter))

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


# --------------------------------------------------------------------------
# The review in full
# --------------------------------------------------------------------------


def when(value: dt.datetime | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value[:16]
    return value.strftime("%Y-%m-%d %H:%M")



def review_detail(row: models.ReviewRow, history: list[models.ReviewEvent] | None) -> Text:
    """The whole review as plain text: stars, title, who and what, dates, the
    body and the moderation history."""
    out = Text(overflow="fold")
    out.append(stars(row.rating), style="bold")
    out.append(f" {row.rating}/5  ")
    out.append(f"[{row.status}]", style="bold reverse" if row.status in ("pending", "spam") else "bold")
    out.append(f"  #{row.id}\n")
    out.append_text(block_text(row.title or "(no title)", style="bold underline"))
    out.append("\nProduct   ", style="dim")
    out.append(safe_line(row.product))
    out.append("\nAuthor    " if row.anonymous else "\nCustomer  ", style="dim")
    out.append(safe_line(row.customer))
    if row.anonymous:
        out.append(" (not a customer)", style="dim")
    out.append("  verified purchase" if row.verified else "  not a verified purchase")
    out.append("\nWritten   ", style="dim")
    out.append(when(row.created_at))
    if row.moderated_at:
        out.append("\nModerated ", style="dim")
        out.append(f"{when(row.moderated_at)} by {safe_line(row.moderated_by)}")
    if row.reject_reason:
        out.append("\nReason    ", style="dim")
        out.append(safe_line(row.reject_reason))
    out.append("\n\n")
    out.append_text(block_text(row.body or "(no text)"))
    if row.reply:
        out.append("\n\nShop's reply", style="bold")
        if row.reply_at:
            out.append(f"  {when(row.reply_at)} by {safe_line(row.reply_by)}", style="dim")
        out.append("\n")
        out.append_text(block_text(row.reply))
    out.append("\n\nHistory\n", style="bold")
    if history is None:
        out.append("loading…")
    elif not history:
        out.append("no decisions yet")
    else:
        for i, e in enumerate(history):
            if i:
                out.append("\n")
            out.append(f"{when(e.at)}  {e.status} by {safe_line(e.actor)}")
            if e.reason:
                out.append(f": {safe_line(e.reason)}")
    return out


class ReviewDetail(ScrollView, can_focus=True):
    """The highlighted review in full, drawn a line at a time (Textual's line
    API).  Its size is the pane's and never changes with what it shows, and
    its scrollbar is always there: a new review (and its history, a moment
    later) repaints the pane, where a text of its own height re-laid out the
    whole screen, twice per key."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._text = Text()
        self._lines: list[Strip] = []
        self._width = -1

    @property
    def text(self) -> Text:
        """What the pane shows (every line, also those scrolled out of sight)."""
        return self._text

    def show(self, text: Text, *, home: bool = False) -> None:
        self._text = text
        self._wrap()
        if home:
            self.scroll_to(0, 0, animate=False, immediate=True)
        self.refresh()

    def _wrap(self) -> None:
        width = self.scrollable_content_region.width
        self._width = width
        if width <= 0:
            self._lines = []
            return
        console = self.app.console
        options = console.options.update_width(width).update(highlight=False, height=None)
        self._lines = [Strip(line) for line in console.render_lines(self._text, options, pad=False)]
        size = Size(width, len(self._lines))
        if size != self.virtual_size:
            # Not the reactive's setter: that lays the screen out again.
            self.set_reactive(ReviewDetail.virtual_size, size)
            self._scroll_update(size)

    def on_resize(self) -> None:
        if self.scrollable_content_region.width != self._width:
            self._wrap()
            self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._style = None

    _style: Style | None = None  # the pane's own style, kept until its styles change

    def render_line(self, y: int) -> Strip:
        _, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        index = scroll_y + y
        style = self._style
        if style is None:  # (Textual works it out afresh on every call, through the ancestors)
            style = self._style = self.rich_style
        if index >= len(self._lines):
            return Strip.blank(width, style)
        return self._lines[index].crop_extend(0, width, style).apply_style(style)
