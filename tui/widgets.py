"""Widgets shared by Backroom's screens.

The centre piece is :class:`CustomerTable`, a window onto the customers
matching a filter: it fetches only the rows around the cursor, so it is as
quick on a million customers as on ten.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from decimal import Decimal
from typing import Any, Iterable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.coordinate import Coordinate
from textual.events import Resize
from textual.message import Message
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Button, Checkbox, DataTable, Input, Label, Select, Static

import models
from tui.background import Background

DEBOUNCE_SECONDS = 0.15


# --------------------------------------------------------------------------
# Text from the database
# --------------------------------------------------------------------------


def plain(value: Any) -> Text:
    """Database text as a plain, single-line Rich Text: never markup."""
    return Text(models.clean_line("" if value is None else str(value)), no_wrap=True, overflow="ellipsis")


def money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.2f}"


def yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def date_text(value: dt.datetime | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value[:10]
    return value.strftime("%Y-%m-%d")


class Tick(Checkbox):
    """A checkbox whose mark shows its state without colour (for NO_COLOR
    and monochrome terminals): "X" when ticked, blank when not."""

    @property
    def BUTTON_INNER(self) -> str:  # type: ignore[override]  # noqa: N802
        return "X" if self.value else " "


# --------------------------------------------------------------------------
# The area bar
# --------------------------------------------------------------------------

AREAS: tuple[tuple[str, str, str], ...] = (
    # mode, key, title
    ("customers", "f2", "Customers"),
    ("groups", "f3", "Groups"),
    ("reviews", "f4", "Reviews"),
)


class AreaBar(Horizontal):
    """The areas of Backroom and their keys, the current one highlighted."""

    def compose(self) -> ComposeResult:
        current = getattr(self.app, "current_mode", "")
        for mode, key, title in AREAS:
            label = Label(f" {key.upper()} {title} ", classes="area", id=f"area-{mode}")
            label.set_class(mode == current, "-active")
            yield label
        yield Label("Ctrl+P: all commands", classes="area-help")


# --------------------------------------------------------------------------
# Modals
# --------------------------------------------------------------------------


class ConfirmModal(ModalScreen[bool]):
    """Ask a yes/no question; dismisses with True for yes."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, title: str, question: Text | str, *, yes: str = "Yes", no: str = "No") -> None:
        super().__init__()
        self.title_text = title
        self.question = question
        self.yes_label = yes
        self.no_label = no

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label(self.title_text, classes="dialog-title", markup=False)
            yield Static(self.question, classes="dialog-body", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.yes_label} (y)", id="yes", variant="error")
                yield Button(f"{self.no_label} (n)", id="no", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class CustomerSummary(ModalScreen[None], Background):
    """A read-only summary of one customer (until the Customers screen exists)."""

    BINDINGS = [Binding("escape,enter", "close", "Close")]

    def __init__(self, customer_id: int) -> None:
        super().__init__()
        self.customer_id = customer_id

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog summary"):
            yield Label("Customer", classes="dialog-title")
            yield Static("Loading…", id="summary-body", classes="dialog-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Close (esc)", id="close", variant="primary")

    def on_mount(self) -> None:
        cid = self.customer_id

        def load() -> tuple[models.Customer, list[models.CustomerGroup]]:
            return models.get_customer(cid), models.customer_groups(cid)

        self.run_job(load, self.show, name="summary")
        self.query_one("#close", Button).focus()

    def show(self, found: tuple[models.Customer, list[models.CustomerGroup]]) -> None:
        c, groups = found
        body = Text()
        rows = [
            ("Name", c.full_name), ("Email", c.email), ("Phone", c.phone), ("Status", c.status),
            ("Account", c.account_type), ("Registered", date_text(c.registered_at)),
            ("Orders", str(c.order_count)), ("Total spent", money(Decimal(c.total_spent))),
            ("Groups", ", ".join(g.code for g in groups)),
        ]
        for i, (label, value) in enumerate(rows):
            if i:
                body.append("\n")
            body.append(f"{label:<12}", style="bold")
            body.append(models.clean_line(value))
        self.query_one("#summary-body", Static).update(body)

    @on(Button.Pressed)
    def pressed(self) -> None:
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)


# --------------------------------------------------------------------------
# Filter bar
# --------------------------------------------------------------------------

FILTER_LABELS = {
    "text": "Find", "status": "Status", "group": "Group", "registered_from": "Registered from",
    "registered_to": "Registered to", "spent_min": "Spent from", "spent_max": "Spent to",
}


class FilterBar(Vertical):
    """Inputs for narrowing a customer list.  Posts :class:`FilterBar.Changed`
    with a parsed filter once typing pauses; errors are shown per field."""

    class Changed(Message):
        def __init__(self, bar: "FilterBar", customer_filter: models.CustomerFilter) -> None:
            super().__init__()
            self.bar = bar
            self.filter = customer_filter

    class Submitted(Message):
        """Enter in a filter field: the owner usually moves focus to the list."""

    def __init__(self, *, full: bool = True, groups: Iterable[str] = (), id: str | None = None) -> None:
        super().__init__(id=id, classes="filter-bar")
        self.full = full
        self.group_codes = list(groups)
        self._timer: Timer | None = None
        self._applied_at = 0.0
        self.filter = models.CustomerFilter()

    def compose(self) -> ComposeResult:
        with Horizontal(classes="filter-row"):
            yield Label("Find", classes="filter-label")
            yield Input(placeholder="name or email starts with…", id="f-text", compact=True,
                        classes="filter-text")
            if self.full:
                yield Label("Status", classes="filter-label")
                yield Select([(s, s) for s in models.CUSTOMER_STATUSES], prompt="any", id="f-status",
                             compact=True, classes="filter-select")
                yield Label("Group", classes="filter-label")
                yield Select([(c, c) for c in self.group_codes], prompt="any", id="f-group",
                             compact=True, classes="filter-select")
        if self.full:
            with Horizontal(classes="filter-row"):
                yield Label("Registered", classes="filter-label")
                yield Input(placeholder="from", id="f-registered_from", compact=True, classes="filter-date")
                yield Label("–", classes="filter-dash")
                yield Input(placeholder="to", id="f-registered_to", compact=True, classes="filter-date")
                yield Label("Spent", classes="filter-label")
                yield Input(placeholder="min", id="f-spent_min", compact=True, classes="filter-money")
                yield Label("–", classes="filter-dash")
                yield Input(placeholder="max", id="f-spent_max", compact=True, classes="filter-money")
        yield Label("", id="filter-error", classes="error", markup=False)

    def values(self) -> dict[str, str]:
        out = {"text": self.query_one("#f-text", Input).value}
        if self.full:
            for name in ("registered_from", "registered_to", "spent_min", "spent_max"):
                out[name] = self.query_one(f"#f-{name}", Input).value
            for name in ("status", "group"):
                value = self.query_one(f"#f-{name}", Select).value
                out[name] = "" if value is Select.NULL else str(value)
        return out

    @on(Input.Changed)
    @on(Select.Changed)
    def _changed(self, event: Message) -> None:
        """The first keystroke in the text field after a pause applies at once
        (its rows show without waiting); a burst of typing, and the date and
        money fields (half-typed, they would flash errors), apply when typing
        pauses."""
        event.stop()
        quick = isinstance(event, Input.Changed) and event.input.id == "f-text"
        if quick and self._timer is None and time.monotonic() - self._applied_at >= DEBOUNCE_SECONDS:
            self.apply()
            return
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(DEBOUNCE_SECONDS, self.apply)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.apply()
        self.post_message(self.Submitted())

    def apply(self) -> None:
        """Parse what is typed now and, if it is valid and new, post Changed."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._applied_at = time.monotonic()
        error = self.query_one("#filter-error", Label)
        try:
            flt = models.build_filter(**self.values())
        except models.ValidationError as exc:
            error.update("; ".join(f"{FILTER_LABELS.get(k, k)}: {v}" for k, v in exc.errors.items()))
            error.display = True
            return
        error.update("")
        error.display = False
        if flt != self.filter:
            self.filter = flt
            self.post_message(self.Changed(self, flt))


# --------------------------------------------------------------------------
# Selection state
# --------------------------------------------------------------------------


@dataclasses.dataclass
class Ticks:
    """The customers ticked in a list, as a :class:`models.Selection`.

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


# --------------------------------------------------------------------------
# The customer window
# --------------------------------------------------------------------------


@dataclasses.dataclass
class _Window:
    """A block of rows fetched from the database: rows[i] is row offset + i."""

    offset: int = 0
    rows: list[models.CustomerRow] = dataclasses.field(default_factory=list)
    at_end: bool = False

    @property
    def end(self) -> int:
        return self.offset + len(self.rows)

    def covers(self, start: int, stop: int) -> bool:
        return self.offset <= start and (stop <= self.end or self.at_end)


def fetch_window(flt: models.CustomerFilter, sort: str, descending: bool, offset: int, limit: int,
                 total: int | None) -> _Window:
    """Rows ``offset .. offset+limit`` of the list.  Past the middle of a long
    list, read it backwards from the end: offsets stay small and fast."""
    if total is not None and offset > total // 2:
        stop = min(total, offset + limit)
        back = models.customer_page(flt, sort=sort, descending=not descending,
                                    offset=total - stop, limit=stop - offset)
        rows = list(reversed(back))
        return _Window(offset, rows, at_end=stop >= total)
    rows = models.customer_page(flt, sort=sort, descending=descending, offset=offset, limit=limit)
    return _Window(offset, rows, at_end=len(rows) < limit)


class CustomerTable(DataTable, Background):
    """A window onto the customers matching :attr:`customer_filter`.

    Only one screenful of rows is in the DataTable, drawn from a cache of a
    few hundred rows around the cursor that is refilled in a worker as the
    cursor nears its edges.  With ``selectable`` a tick column shows which
    rows are in :attr:`ticks`, and keys change the selection.
    """

    BINDINGS = [
        Binding("space", "toggle", "Tick", tooltip="Tick or untick this customer"),
        Binding("shift+down", "extend(1)", "Tick range ↓", show=False, tooltip="Tick this row and the next"),
        Binding("shift+up", "extend(-1)", "Tick range ↑", show=False, tooltip="Tick this row and the previous"),
        Binding("a", "tick_matching", "Tick matching",
                tooltip="Tick every customer matching the filter (all pages)"),
        # n and i are in the command palette and the hint under the table, not the
        # footer: at 80 columns it would cut off the screen's own keys.
        Binding("n", "tick_none", "Deselect all", show=False, tooltip="Untick every customer"),
        Binding("i", "invert", "Invert", show=False,
                tooltip="Invert the ticks among the customers matching the filter"),
        Binding("enter", "open", "Open", tooltip="Show this customer"),
        Binding("home,ctrl+home", "go_first", "First row", show=False),
        Binding("end,ctrl+end", "go_last", "Last row", show=False),
    ]

    CACHE_MIN = 200

    class Status(Message):
        """Counts changed: how many are selected (None while counting), how
        many match (None while counting), and where the cursor is."""

        def __init__(self, table: "CustomerTable") -> None:
            super().__init__()
            self.table = table

    class Opened(Message):
        def __init__(self, customer_id: int) -> None:
            super().__init__()
            self.customer_id = customer_id

    def __init__(self, *, selectable: bool, selection: models.Selection | None = None,
                 customer_filter: models.CustomerFilter | None = None, sort: str = "name",
                 full: bool = False, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True, classes="customer-table")
        self.selectable = selectable
        # ``full``: every column of the Customers list (status, default group,
        # orders…), the narrower ones dropped when the table is too narrow.
        self.full = full
        self.ticks = Ticks(selection or models.Selection.none())
        self.customer_filter = customer_filter or models.CustomerFilter()
        self.sort = sort
        self.descending = False
        self.total: int | None = None
        self.selected_count: int | None = 0 if self.ticks.base.op == "none" else None
        self.changed = False  # has the admin changed the selection?
        self._window = _Window()
        self._ticked: set[int] = set()
        self._pos = 0
        self._top = 0
        self._page = 20
        self._drawing = False
        self._widths: tuple[int, ...] = ()

    # -- public --------------------------------------------------------------
    @property
    def selection(self) -> models.Selection:
        return self.ticks.selection

    @property
    def position(self) -> int:
        return self._pos

    def set_filter(self, customer_filter: models.CustomerFilter) -> None:
        """Show the customers matching ``customer_filter``, from the top."""
        self.customer_filter = customer_filter
        self.reload()

    def set_sort(self, sort: str, descending: bool) -> None:
        """Order the list by ``sort`` (a key of models.CUSTOMER_SORTS), from the top."""
        self.sort, self.descending = sort, descending
        if self.full and self.columns:
            self._widths = ()
            self._set_columns()
        self.reload()

    def reload(self) -> None:
        """Forget every fetched row and count, and fetch again."""
        self.total = None
        self._window = _Window()
        self._pos = self._top = 0
        self._fetch(0)
        self._count_matching()
        self._post_status()

    def refresh_rows(self) -> None:
        """Fetch the rows and the count again, keeping the cursor where it is
        (after an edit elsewhere changed what the rows show)."""
        self.total = None
        self._window = _Window()
        self._fetch(self._pos)
        self._count_matching()
        self._post_status()

    def current_id(self) -> int | None:
        row = self._row_at(self._pos)
        return row.id if row else None

    # -- lifecycle -----------------------------------------------------------
    def on_mount(self) -> None:
        self._set_columns()
        self.reload()
        if self.selected_count is None:
            self._count_selected()

    def on_resize(self, event: Resize) -> None:
        if self._set_columns():
            self._move_to(self._pos)

    def _set_columns(self) -> bool:
        """Fit the columns and the page to the widget's size; True if they changed."""
        width = max(40, self.scrollable_content_region.width or self.size.width or 80)
        page = max(1, (self.scrollable_content_region.height or self.size.height or 21) - 1)
        if self.full:
            return self._set_full_columns(width, page)
        tick = 3 if self.selectable else 0
        fixed = 10 + 10 + (tick + 2 if tick else 0)  # registered, spent, tick
        flex = max(30, width - fixed - 2 * 5)  # cell padding of the other columns
        name_w = max(12, flex * 30 // 100)
        email_w = max(14, flex * 42 // 100)
        groups_w = max(8, flex - name_w - email_w)
        widths = (tick, name_w, email_w, 10, groups_w, 10)
        if widths == self._widths and page == self._page:
            return False
        self._page = page
        if widths != self._widths:
            self._widths = widths
            self.clear(columns=True)
            if self.selectable:
                self.add_column(" ", width=tick, key="tick")
            self.add_column("Name", width=name_w, key="name")
            self.add_column("Email", width=email_w, key="email")
            self.add_column("Registered", width=10, key="registered")
            self.add_column("Groups", width=groups_w, key="groups")
            self.add_column(Text("Spent", justify="right"), width=10, key="spent")
        return True

    # key, heading, width (0: shares what is left), sort key, right-aligned
    FULL_COLUMNS: tuple[tuple[str, str, int, str, bool], ...] = (
        ("name", "Name", 0, "name", False),
        ("email", "Email", 0, "email", False),
        ("status", "Status", 8, "status", False),
        ("default", "Default", 9, "default_group", False),
        ("groups", "Groups", 0, "", False),
        ("registered", "Registered", 10, "registered", False),
        ("orders", "Orders", 6, "orders", True),
        ("spent", "Spent", 11, "total_spent", True),
    )
    NARROW_DROPS = ("groups", "orders")  # below WIDE columns: left out

    WIDE = 100

    def _full_layout(self, width: int) -> list[tuple[str, str, int, str, bool]]:
        cols = [c for c in self.FULL_COLUMNS if width >= self.WIDE or c[0] not in self.NARROW_DROPS]
        fixed = sum(c[2] for c in cols) + 2 * len(cols)
        flex = max(24, width - fixed)
        shares = {"name": 30, "email": 42, "groups": 28} if width >= self.WIDE else {"name": 42, "email": 58}
        total = sum(shares.values())
        out = []
        used = 0
        flex_cols = [c for c in cols if c[2] == 0]
        for c in cols:
            w = c[2]
            if w == 0:
                if c is flex_cols[-1]:
                    w = flex - used
                else:
                    w = flex * shares[c[0]] // total
                    used += w
            out.append((c[0], c[1], max(6, w), c[3], c[4]))
        return out

    def _set_full_columns(self, width: int, page: int) -> bool:
        layout = self._full_layout(width)
        widths = tuple(c[2] for c in layout) + (len(layout),)
        if widths == self._widths and page == self._page:
            return False
        self._page = page
        if widths != self._widths:
            self._widths = widths
            self.clear(columns=True)
            for key, heading, w, sort, right in layout:
                if sort and sort == self.sort:
                    heading += " ▼" if self.descending else " ▲"
                self.add_column(Text(heading, justify="right" if right else "left"), width=w, key=key)
        return True

    # -- fetching ------------------------------------------------------------
    def _cache_size(self) -> int:
        return max(self.CACHE_MIN, 6 * self._page)

    def _fetch(self, pos: int) -> None:
        """Fetch a block of rows centred on ``pos`` (or ending the list for -1)."""
        flt, sort, desc, total = self.customer_filter, self.sort, self.descending, self.total
        size = self._cache_size()
        ticks = self.ticks.selection if self.selectable else None

        def job() -> tuple[_Window, set[int], int | None, int]:
            n = total
            target = pos
            if target < 0:  # the last row: count first
                n = models.count_customers(flt) if n is None else n
                target = max(0, n - 1)
            offset = max(0, target - size // 2)
            if n is not None:
                offset = max(0, min(offset, n - size))
            window = fetch_window(flt, sort, desc, offset, size, n)
            ticked = models.selected_among(ticks, [r.id for r in window.rows]) if ticks else set()
            return window, ticked, n, target

        def done(result: tuple[_Window, set[int], int | None, int]) -> None:
            window, ticked, n, target = result
            if self.total is None:
                self.total = n if n is not None else (window.end if window.at_end else None)
            self._window = window
            self._ticked = ticked
            self._move_to(target if pos < 0 else self._pos)
            if ticks is not None and self.ticks.selection != ticks:
                self._refresh_ticks()  # ticked meanwhile: these ticks are stale

        self.run_job(job, done, name="rows")

    def _count_matching(self) -> None:
        flt = self.customer_filter
        self.run_job(lambda: models.count_customers(flt), self._matching_counted, name="count")

    def _matching_counted(self, n: int) -> None:
        self.total = n
        if self._pos >= n:
            self._move_to(max(0, n - 1))
        self._post_status()

    def _count_selected(self) -> None:
        self.selected_count = None
        sel = self.ticks.selection
        self._post_status()
        self.run_job(sel.count, self._selected_counted, name="selected")

    def _selected_counted(self, n: int) -> None:
        self.selected_count = n
        self._post_status()

    def _refresh_ticks(self) -> None:
        """Re-read which cached rows are ticked, after a bulk change."""
        sel = self.ticks.selection
        ids = [r.id for r in self._window.rows]

        def job() -> tuple[list[int], set[int]]:
            return ids, models.selected_among(sel, ids)

        def done(result: tuple[list[int], set[int]]) -> None:
            ids_then, ticked = result
            if ids_then == [r.id for r in self._window.rows]:
                self._ticked = ticked
                self._draw()

        self.run_job(job, done, name="ticks")

    # -- moving --------------------------------------------------------------
    def _row_at(self, pos: int) -> models.CustomerRow | None:
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

    def _cells(self, row: models.CustomerRow) -> list[Any]:
        if self.full:
            keys = [c.key.value for c in self.columns.values()]
            values = {
                "name": plain(row.name), "email": plain(row.email), "status": row.status,
                "default": plain(row.default_group), "groups": plain(", ".join(row.groups)),
                "registered": date_text(row.registered_at),
                "orders": Text(f"{row.order_count:,}", justify="right"),
                "spent": Text(money(row.total_spent), justify="right"),
            }
            return [values[k] for k in keys]
        cells: list[Any] = []
        if self.selectable:
            cells.append(Text("[x]" if row.id in self._ticked else "[ ]"))
        cells += [plain(row.name), plain(row.email), date_text(row.registered_at),
                  plain(", ".join(row.groups)), Text(money(row.total_spent), justify="right")]
        return cells

    def watch_cursor_coordinate(self, old: Coordinate, new: Coordinate) -> None:
        super().watch_cursor_coordinate(old, new)
        if not self._drawing and old != new:  # a click on a row
            self._pos = self._top + new.row
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

    # -- selection -----------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("toggle", "extend", "tick_matching", "tick_none", "invert"):
            return self.selectable
        if action == "open":
            return not self.selectable
        return True

    def _set_tick(self, row: models.CustomerRow, ticked: bool) -> None:
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

    def action_extend(self, step: int) -> None:
        """Tick this row, move, and tick the next one: shift+arrows grow a range."""
        row = self._row_at(self._pos)
        if row is None:
            return
        self._set_tick(row, True)
        nxt = self._row_at(self._pos + step)
        if nxt is not None:
            self._move_to(self._pos + step)
            self._set_tick(nxt, True)
        self._post_status()

    def _bulk(self, selection: models.Selection) -> None:
        self.ticks.replace(selection)
        self.changed = True
        self._count_selected()
        self._refresh_ticks()

    def action_tick_matching(self) -> None:
        self._bulk(self.ticks.selection | models.Selection.matching(self.customer_filter))

    def action_tick_none(self) -> None:
        self.ticks.replace(models.Selection.none())
        self.changed = True
        self.selected_count = 0
        self._ticked = set()
        self._draw()
        self._post_status()

    def action_invert(self) -> None:
        cur = self.ticks.selection
        matching = models.Selection.matching(self.customer_filter)
        self._bulk((cur - matching) | (matching - cur))

    def action_open(self) -> None:
        cid = self.current_id()
        if cid is not None:
            self.post_message(self.Opened(cid))

    def _post_status(self) -> None:
        self.post_message(self.Status(self))

    def status_text(self) -> str:
        """"N selected of M matching · row R" for the status line."""
        matching = "counting…" if self.total is None else f"{self.total:,}"
        where = f"row {self._pos + 1:,}" if self._row_at(self._pos) else ("no rows" if self.total == 0 else "…")
        if self.selectable:
            selected = "counting…" if self.selected_count is None else f"{self.selected_count:,}"
            return f"{selected} selected of {matching} matching · {where}"
        return f"{matching} matching · {where}"
