"""A table drawn a line at a time, for lists of any length.

:class:`VirtualTable` is a Textual line-API widget (a :class:`ScrollView`
with :meth:`render_line`): it holds no rows of its own.  Its height, and so
its scrollbar, is the whole list (a million rows if it has them); to draw a
line it asks its subclass for the row at that position (:meth:`_row_at`)
and how the row looks (:meth:`_cells`).  A row the subclass does not have
yet is drawn as a placeholder until it has.

Only what changed is drawn again: moving the cursor within the screen
repaints the line it left and the line it lands on; only scrolling repaints
the page.  Lines are cached, so a line drawn once costs nothing until its
row changes.

What it shows is the subclass's business: cells are :class:`rich.text.Text`
the subclass built from untrusted text through the sanitiser
(:mod:`backroom.tui.safetext`, :func:`backroom.tui.formatters.plain`); the
table never reads text as markup.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.coordinate import Coordinate
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

CELL_PADDING = 1  # blank cells either side of a column, as a DataTable has
PLACEHOLDER = "…"  # the first cell of a row not fetched yet
LINE_CACHE = 400  # lines kept drawn (a few screens)


@dataclasses.dataclass(frozen=True)
class Column:
    """A column: its key, heading, width in cells (padding not included)
    and which side its cells keep to unless a cell says otherwise."""

    key: str
    label: str | Text
    width: int
    justify: str = "left"


def fit(cell: Any, width: int, justify: str) -> Text:
    """``cell`` cut (with an ellipsis) or padded to exactly ``width`` cells."""
    text = cell.copy() if isinstance(cell, Text) else Text(str(cell))
    if text.justify in ("right", "center"):
        justify = text.justify
    text.no_wrap = True
    text.end = ""
    if len(text) > 2 * width + 8:
        # A long text (a review's first line) is measured and cut by its
        # start only: cutting measures every character of what it is given
        # (a tenth of drawing a page of reviews).  The start is cut the same
        # as the whole text whenever it is wider than the column itself.
        start = text[: 2 * width + 8]
        if start.cell_len > width:
            text = start
            text.no_wrap = True
            text.end = ""
    if text.cell_len > width:
        text.truncate(width, overflow="ellipsis")
    gap = width - text.cell_len
    if gap > 0:
        if justify == "right":
            text.pad_left(gap)
        elif justify == "center":
            text.pad_left(gap // 2)
            text.pad_right(gap - gap // 2)
        else:
            text.pad_right(gap)
    return text


class VirtualTable(ScrollView):
    """A list of rows with a row cursor at :attr:`position`, drawn a line at
    a time; see the module's doc.  Line 0 is the heading; the rows scroll
    under it.

    A subclass gives :meth:`_row_at`, :meth:`_cells`, :meth:`_row_total`
    (how many rows the list has, as far as is known) and may react to the
    cursor through :meth:`_cursor_moved` (fetch rows, announce the row).
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "vtable--header", "vtable--cursor", "vtable--even-row", "vtable--odd-row", "vtable--placeholder",
    }

    # The look of Textual's DataTable, so both kinds of table read alike.
    DEFAULT_CSS = """
    VirtualTable {
        background: $surface;
        color: $foreground;
        height: 1fr;
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-size-vertical: 1;
        scrollbar-gutter: stable;  /* the columns keep their widths whether the bar shows or not */
        &:focus {
            background-tint: $foreground 5%;
            & > .vtable--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .vtable--header {
                background-tint: $foreground 5%;
            }
        }
        &:dark > .vtable--even-row {
            background: $surface-darken-1 40%;
        }
        & > .vtable--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:ansi > .vtable--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .vtable--even-row {
            background: $surface-lighten-1 50%;
        }
        & > .vtable--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        & > .vtable--placeholder {
            color: $text-muted;
        }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home,ctrl+home", "go_first", "First row", show=False),
        Binding("end,ctrl+end", "go_last", "Last row", show=False),
    ]

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._columns: list[Column] = []
        self._pos = 0  # the cursor's row
        self._top = 0  # the first row on screen
        self._page = 10  # rows on screen (set from the size)
        self._lines: dict[tuple[int, bool], Strip] = {}
        self._header: Strip | None = None
        self._styles: dict[str, Style] = {}
        self._scrolling = False  # the table itself is setting scroll_y
        self._fitted: Size | None = None  # the size the page and the columns were fitted to

    # -- what a subclass fills in ---------------------------------------------
    def _row_at(self, pos: int) -> Any:
        """The row at ``pos``, or None if it is not fetched (a placeholder)."""
        raise NotImplementedError

    def _cells(self, row: Any) -> list[Any]:
        """A row's cells, one per column: Text (inert) or str."""
        raise NotImplementedError

    def _row_total(self) -> int:
        """How many rows the scrollbar spans: the list's length, or as far as
        is known while it is being counted."""
        raise NotImplementedError

    def _cursor_moved(self) -> None:
        """The cursor or the first row on screen changed."""

    # -- columns ---------------------------------------------------------------
    @property
    def columns(self) -> list[Column]:
        return self._columns

    def set_columns(self, columns: list[Column]) -> None:
        self._columns = list(columns)
        self.invalidate()
        self._update_virtual_size()

    # -- drawing -------------------------------------------------------------
    def invalidate(self) -> None:
        """Every line is drawn afresh (the rows, their ticks or the columns changed)."""
        self._lines.clear()
        self._header = None
        self.refresh()

    def refresh_row(self, pos: int) -> None:
        """Draw the line of row ``pos`` again (if it is on screen)."""
        self._lines.pop((pos, True), None)
        self._lines.pop((pos, False), None)
        if self._top <= pos < self._top + self._page:
            self.refresh(Region(0, 1 + pos - self._top, self.size.width, 1))

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()
        self._lines.clear()
        self._header = None
        self.refresh()

    def _style(self, name: str) -> Style:
        """The style of component class ``name`` (``""``: the widget's own),
        kept until the widget's styles change: Textual works the widget's
        out afresh on every call, through its ancestors' backgrounds (a
        sixth of drawing a page of rows)."""
        style = self._styles.get(name)
        if style is None:
            style = self._styles[name] = self.get_component_rich_style(name) if name else self.rich_style
        return style

    def _update_virtual_size(self) -> None:
        """The scrollbar spans the list as now known.  Not through the
        reactive's setter, which lays the whole screen out again (and draws
        all of it): on the rows' arrival, on the count's, on each block read
        while counting.  The table's place on screen does not depend on it;
        its scrollbar is updated here (shown or hidden, that does lay out)."""
        width = sum(c.width + 2 * CELL_PADDING for c in self._columns)
        size = Size(width, self._row_total() + 1)
        if size != self.virtual_size:
            self.set_reactive(VirtualTable.virtual_size, size)
            self._scroll_update(size)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y == 0:
            if self._header is None or self._header.cell_length != width:
                self._header = self._render_header(width)
            return self._header
        pos = self._top + y - 1
        if pos >= self._row_total():
            return Strip.blank(width, self._style(""))
        key = (pos, pos == self._pos)
        line = self._lines.get(key)
        if line is None or line.cell_length != width:
            if len(self._lines) > LINE_CACHE:
                self._lines.clear()
            line = self._lines[key] = self._render_row(pos, width)
        return line

    def _render_header(self, width: int) -> Strip:
        style = self._style("") + self._style("vtable--header")
        return self._strip([c.label for c in self._columns], style, None, width)

    def _render_row(self, pos: int, width: int) -> Strip:
        row = self._row_at(pos)
        style = self._style("") + self._style("vtable--odd-row" if pos % 2 else "vtable--even-row")
        post = None
        if pos == self._pos:
            cursor = self._style("vtable--cursor")
            style += cursor
            post = Style.from_color(cursor.color, cursor.bgcolor)  # the cursor's colours win over a cell's
        if row is None:
            cells: list[Any] = [Text(PLACEHOLDER, style=self._style("vtable--placeholder"))]
        else:
            cells = self._cells(row)
        return self._strip(cells, style, post, width)

    def _strip(self, cells: list[Any], style: Style, post: Style | None, width: int) -> Strip:
        """A line of ``cells``, each rendered on its own into the segments
        of the line (not joined into one Text first: that copied every
        cell's spans once more), its length known from the columns."""
        console = self.app.console
        pad = Segment(" " * CELL_PADDING)
        segments: list[Segment] = []
        length = 0
        for column, cell in zip(self._columns, cells):
            segments.append(pad)
            segments.extend(fit(cell, column.width, column.justify).render(console))
            segments.append(pad)
            length += column.width + 2 * CELL_PADDING
        strip = Strip(Segment.apply_style(segments, style, post), length)
        if length != width:
            strip = strip.adjust_cell_length(width, style).crop(0, width)
        return strip.simplify()

    # -- the cursor ------------------------------------------------------------
    @property
    def position(self) -> int:
        return self._pos

    def _last(self) -> int | None:
        """The last row, if known."""
        total = self._row_total()
        return max(0, total - 1) if total else 0

    def _move_to(self, pos: int) -> None:
        """Put the cursor on row ``pos``, scrolling only if it leaves the screen."""
        last = self._last()
        pos = max(0, pos if last is None else min(pos, last))
        old, self._pos = self._pos, pos
        top = self._top
        if pos < top:
            top = pos
        elif pos >= top + self._page:
            top = pos - self._page + 1
        if last is not None:
            top = max(0, min(top, last - self._page + 1))
        self._update_virtual_size()
        if top != self._top or round(self.scroll_y) != top:
            self._set_top(top)
        elif old != pos:
            self.refresh_row(old)
            self.refresh_row(pos)
        self._cursor_moved()

    def _set_top(self, top: int) -> None:
        self._top = top
        self._scrolling = True
        try:
            self.scroll_target_y = self.scroll_y = top
        finally:
            self._scrolling = False
        self.refresh()

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if self._scrolling or round(new) == self._top:
            return
        # Scrolled from outside (the scrollbar, a resize): keep the cursor on screen.
        self._top = round(new)
        if self._pos < self._top:
            self._pos = self._top
        elif self._pos >= self._top + self._page:
            self._pos = self._top + self._page - 1
        self._lines.clear()
        self._cursor_moved()

    def _fit_page(self) -> None:
        self._page = max(1, self.size.height - 1)

    def _fit_columns(self) -> None:
        """Fit the columns to the table's width (a subclass's own)."""

    def _fit(self) -> None:
        """Fit the page and the columns to the table's size, unless that is
        the size they were fitted to."""
        if self.size == self._fitted:
            return
        self._fitted = self.size
        self._fit_page()
        self._lines.clear()
        self._header = None
        self._fit_columns()

    def _size_updated(self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True) -> bool:
        """Textual gives the widget its size as it lays the screen out, and
        draws the frame right after; the Resize event comes later.  Fitted
        on that event only, a table's first frame (the rows of a screen
        just opened) was drawn with a page and columns guessed before it
        had a size, and drawn again a frame later.  (A private hook of
        Textual's, as ``ScrollView`` overrides it.)"""
        changed = super()._size_updated(size, virtual_size, container_size, layout)
        if changed and size.height:
            self._fit()
        return changed

    def on_resize(self, event: events.Resize) -> None:
        self._fit()
        self._move_to(self._pos)

    # -- keys and the mouse ------------------------------------------------------
    def action_cursor_down(self) -> None:
        self._move_to(self._pos + 1)

    def action_cursor_up(self) -> None:
        self._move_to(self._pos - 1)

    def action_page_down(self) -> None:
        self._move_to(self._pos + self._page)

    def action_page_up(self) -> None:
        self._move_to(self._pos - self._page)

    def action_go_first(self) -> None:
        self._move_to(0)

    def action_go_last(self) -> None:
        last = self._last()
        if last is not None:
            self._move_to(last)

    def _on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        event.stop()
        event.prevent_default()
        self._move_to(self._pos + 3)

    def _on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        event.stop()
        event.prevent_default()
        self._move_to(self._pos - 3)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1:
            return
        self._move_to(self._top + offset.y - 1)

    # -- the rows on screen, as a DataTable would say -------------------------------
    @property
    def row_count(self) -> int:
        """How many rows are on screen with their data (placeholders not counted)."""
        return sum(1 for p in range(self._top, min(self._top + self._page, self._row_total()))
                   if self._row_at(p) is not None)

    def get_row_at(self, index: int) -> list[Any]:
        """The cells of the ``index``-th row on screen."""
        row = self._row_at(self._top + index)
        if row is None:
            raise IndexError(index)
        return self._cells(row)

    def get_cell_at(self, coordinate: Coordinate | tuple[int, int]) -> Any:
        row, column = coordinate
        return self.get_row_at(row)[column]
