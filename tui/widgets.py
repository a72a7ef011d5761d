"""Widgets shared by Backroom's screens.

The centre piece is :class:`CustomerTable`, a window onto the customers
matching a filter: it fetches only the rows around the cursor, so it is as
quick on a million customers as on ten.
"""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal
from typing import Any, Callable, Iterable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from backroom import models
from backroom.tui.background import Background
from backroom.tui.window import Reader, Window, WindowedTable

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


class InputDialog(ModalScreen[Any]):
    """A dialog around one input: it has focus as the dialog opens; Enter or
    any button but ``#cancel`` submits, ``#cancel`` (or Esc, where the
    subclass binds it) closes with :attr:`CANCELLED`."""

    CANCELLED: Any = None

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "cancel":
            self.action_cancel()
        else:
            self.action_submit()

    @on(Input.Submitted)
    def _input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def action_cancel(self) -> None:
        self.dismiss(self.CANCELLED)

    def action_submit(self) -> None:
        raise NotImplementedError


# --------------------------------------------------------------------------
# Filter bar
# --------------------------------------------------------------------------

FILTER_LABELS = {
    "text": "Find", "status": "Status", "group": "Group", "registered_from": "Registered from",
    "registered_to": "Registered to", "spent_min": "Spent from", "spent_max": "Spent to",
}


class DebouncedFilter(Vertical):
    """Filter fields that apply once typing pauses.  The first keystroke in
    the :attr:`QUICK` field after a pause applies at once (its rows show
    without waiting); a burst of typing, and the other fields (a half-typed
    date would flash an error), apply when typing pauses.  Enter applies at
    once and posts the subclass's ``Submitted``.  Subclasses write
    :meth:`apply`, starting it with :meth:`_applying`."""

    QUICK = ""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._timer: Timer | None = None
        self._applied_at = 0.0

    @on(Input.Changed)
    @on(Select.Changed)
    def _changed(self, event: Message) -> None:
        event.stop()
        quick = isinstance(event, Input.Changed) and event.input.id == self.QUICK
        if quick and self._timer is None and time.monotonic() - self._applied_at >= DEBOUNCE_SECONDS:
            self.apply()
            return
        self._cancel_pending()
        self._timer = self.set_timer(DEBOUNCE_SECONDS, self.apply)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.apply()
        self.post_message(self.Submitted(self))  # type: ignore[attr-defined]

    def _cancel_pending(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _applying(self) -> None:
        """What every apply() starts with: no pending apply, and the time noted."""
        self._cancel_pending()
        self._applied_at = time.monotonic()

    def apply(self) -> None:
        raise NotImplementedError


class FilterBar(DebouncedFilter, Background):
    """Inputs for narrowing a customer list.  Posts :class:`FilterBar.Changed`
    with a parsed filter once typing pauses; errors are shown per field.
    The group codes offered are given, or set later with :meth:`set_groups`."""

    class Changed(Message):
        """What is typed is valid and narrows the list differently: ``filter``."""

        def __init__(self, bar: "FilterBar", customer_filter: models.CustomerFilter) -> None:
            super().__init__()
            self.bar = bar
            self.filter = customer_filter

        @property
        def control(self) -> "FilterBar":
            return self.bar

    class Submitted(Message):
        """Enter in a filter field: the owner usually moves focus to the list."""

        def __init__(self, bar: "FilterBar") -> None:
            super().__init__()
            self.bar = bar

        @property
        def control(self) -> "FilterBar":
            return self.bar

    QUICK = "f-text"

    def __init__(self, *, full: bool = True, groups: Iterable[str] = (), id: str | None = None) -> None:
        super().__init__(id=id, classes="filter-bar")
        self.full = full
        self.group_codes = list(groups)
        self.filter = models.CustomerFilter()

    def set_groups(self, codes: Iterable[str]) -> None:
        """Offer these group codes in the Group field (read by the screen in a worker)."""
        self.group_codes = list(codes)
        if self.full:
            self.query_one("#f-group", Select).set_options([(c, c) for c in self.group_codes])

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

    def apply(self) -> None:
        """Parse what is typed now (in a worker: a group code is looked up)
        and, if it is valid and new, post Changed."""
        self._applying()
        values = self.values()
        self.run_job(lambda: models.build_filter(**values), self._parsed, name="filter", failed=self._invalid)

    def _parsed(self, flt: models.CustomerFilter) -> None:
        error = self.query_one("#filter-error", Label)
        error.update("")
        error.display = False
        if flt != self.filter:
            self.filter = flt
            self.post_message(self.Changed(self, flt))

    def _invalid(self, exc: BaseException) -> None:
        if not isinstance(exc, models.ValidationError):
            self.job_failed(exc)
            return
        error = self.query_one("#filter-error", Label)
        error.update("; ".join(f"{FILTER_LABELS.get(k, k)}: {v}" for k, v in exc.errors.items()))
        error.display = True


# --------------------------------------------------------------------------
# The customer window
# --------------------------------------------------------------------------


class CustomerTable(WindowedTable):
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

    class Status(Message):
        """Counts changed: how many are selected (None while counting), how
        many match (None while counting), and where the cursor is."""

        def __init__(self, table: "CustomerTable") -> None:
            super().__init__()
            self.table = table

        @property
        def control(self) -> "CustomerTable":
            return self.table

    class Opened(Message):
        """Enter on a customer: open ``customer_id``."""

        def __init__(self, table: "CustomerTable", customer_id: int) -> None:
            super().__init__()
            self.table = table
            self.customer_id = customer_id

        @property
        def control(self) -> "CustomerTable":
            return self.table

    def __init__(self, *, selectable: bool, selection: models.Selection | None = None,
                 customer_filter: models.CustomerFilter | None = None, sort: str = "name",
                 full: bool = False, id: str | None = None) -> None:
        super().__init__(selection=selection, page=20, classes="customer-table", id=id)
        self.selectable = selectable
        # ``full``: every column of the Customers list (status, default group,
        # orders…), the narrower ones dropped when the table is too narrow.
        self.full = full
        self.customer_filter = customer_filter or models.CustomerFilter()
        self.sort = sort
        self.descending = False

    # -- public --------------------------------------------------------------
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

    def refresh_rows(self) -> None:
        """Fetch the rows and the count again, keeping the cursor where it is
        (after an edit elsewhere changed what the rows show)."""
        self.total = None
        self._window = Window()
        self._fetch(self._pos)
        self._count_matching()
        self._post_status()

    def current_id(self) -> int | None:
        row = self._row_at(self._pos)
        return row.id if row else None

    # -- columns -------------------------------------------------------------
    def _set_columns(self) -> bool:
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

    # -- rows ----------------------------------------------------------------
    def _reader(self) -> Reader:
        flt, sort, desc = self.customer_filter, self.sort, self.descending
        return lambda offset, limit, backwards: models.customer_page(
            flt, sort=sort, descending=desc != backwards, offset=offset, limit=limit)

    def _counter(self) -> Callable[[], int]:
        flt = self.customer_filter
        return lambda: models.count_customers(flt)

    def _tick_selection(self) -> models.Selection | None:
        return self.ticks.selection if self.selectable else None

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

    # -- selection -----------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("toggle", "extend", "tick_matching", "tick_none", "invert"):
            return self.selectable
        if action == "open":
            return not self.selectable
        return True

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

    def action_tick_matching(self) -> None:
        self._bulk(self.ticks.selection | models.Selection.matching(self.customer_filter))

    def action_invert(self) -> None:
        cur = self.ticks.selection
        matching = models.Selection.matching(self.customer_filter)
        self._bulk((cur - matching) | (matching - cur))

    def action_open(self) -> None:
        cid = self.current_id()
        if cid is not None:
            self.post_message(self.Opened(self, cid))

    def status_text(self) -> str:
        """"N selected of M matching · row R" for the status line."""
        matching = "counting…" if self.total is None else f"{self.total:,}"
        where = f"row {self._pos + 1:,}" if self._row_at(self._pos) else ("no rows" if self.total == 0 else "…")
        if self.selectable:
            selected = "counting…" if self.selected_count is None else f"{self.selected_count:,}"
            return f"{selected} selected of {matching} matching · {where}"
        return f"{matching} matching · {where}"
