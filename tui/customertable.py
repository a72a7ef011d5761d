"""The customers table: a window over the customers matching a filter, with
ticks that are a selection (a query), not a list of rows."""

from __future__ import annotations

from typing import Any, Callable

from rich.text import Text
from textual.binding import Binding
from textual.message import Message

from backroom import models
from backroom.tui.formatters import date_text, money, money_extra_width, plain
from backroom.tui.safetext import safe_line
from backroom.tui.window import Column, Reader, WindowedTable

# The Groups column's heading: it says how a hidden group is marked.
GROUPS_HEADING = "Groups [hidden]"


def groups_heading(width: int) -> str:
    """The Groups column's heading, saying what the brackets mean if it fits."""
    return GROUPS_HEADING if width >= len(GROUPS_HEADING) else "Groups"


def groups_text(row: models.CustomerRow) -> Text:
    """The customer's groups, a hidden one (never shown to customers) in
    brackets, as the column's heading says: marked in characters, so it
    shows without colour or styles, and short, so it is not cut off."""
    text = Text(no_wrap=True, overflow="ellipsis")
    for i, code in enumerate(row.groups):
        if i:
            text.append(", ")
        if code in row.hidden_groups:
            text.append(f"[{models.clean_line(code)}]", style="italic")
        else:
            text.append(models.clean_line(code))
    return text


class CustomerTable(WindowedTable):
    """A window onto the customers matching :attr:`customer_filter`.

    The table draws the lines on screen from a cache of a few hundred rows
    around the cursor that is refilled in a worker as the cursor nears its
    edges; its scrollbar spans every matching customer.  With ``selectable`` a tick column shows which
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
                 full: bool = False, tickable: bool = False, id: str | None = None,
                 read_now: bool = True) -> None:
        super().__init__(selection=selection, page=20, classes="customer-table", id=id, read_now=read_now)
        self.selectable = selectable
        # ``tickable``: rows may be ticked (space) for a mass action, with no tick
        # column (a ticked row's name is marked ✓) and Enter still opening a customer.
        self.tickable = tickable
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
        (after an edit elsewhere changed what the rows show): the rows
        first, placed by the count held, then the count (see
        :meth:`WindowedTable.recount_after_rows`)."""
        self.recount_after_rows()

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
        spent_w = 10 + money_extra_width()  # the shop's currency sign takes room
        fixed = 10 + spent_w + (tick + 2 if tick else 0)  # registered, spent, tick
        flex = max(30, width - fixed - 2 * 5)  # cell padding of the other columns
        name_w = max(12, flex * 30 // 100)
        email_w = max(14, flex * 42 // 100)
        groups_w = max(8, flex - name_w - email_w)
        widths = (tick, name_w, email_w, 10, groups_w, spent_w)
        if widths == self._widths and page == self._page:
            return False
        self._page = page
        if widths != self._widths:
            self._widths = widths
            columns = [Column("tick", " ", tick)] if self.selectable else []
            columns += [Column("name", "Name", name_w), Column("email", "Email", email_w),
                        Column("registered", "Registered", 10), Column("groups", groups_heading(groups_w), groups_w),
                        Column("spent", Text("Spent", justify="right"), spent_w, "right")]
            self.set_columns(columns)
        return True

    # key, heading, width (0: shares what is left), sort key, right-aligned
    FULL_COLUMNS: tuple[tuple[str, str, int, str, bool], ...] = (
        ("name", "Name", 0, "name", False),
        ("email", "Email", 0, "email", False),
        ("status", "Status", 8, "status", False),
        ("default", "Default", 9, "default_group", False),
        ("groups", GROUPS_HEADING, 0, "", False),
        ("registered", "Registered", 10, "registered", False),
        ("orders", "Orders", 6, "orders", True),
        ("spent", "Spent", 11, "total_spent", True),
    )
    NARROW_DROPS = ("groups", "orders")  # below WIDE columns: left out

    WIDE = 100

    def _full_layout(self, width: int) -> list[tuple[str, str, int, str, bool]]:
        cols = [c for c in self.FULL_COLUMNS if width >= self.WIDE or c[0] not in self.NARROW_DROPS]
        extra = money_extra_width()
        cols = [(k, h, w + extra, s, r) if k == "spent" else (k, h, w, s, r) for k, h, w, s, r in cols]
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
            columns = []
            for key, heading, w, sort, right in layout:
                if key == "groups":
                    heading = groups_heading(w)
                if sort and sort == self.sort:
                    heading += " ▼" if self.descending else " ▲"
                justify = "right" if right else "left"
                columns.append(Column(key, Text(heading, justify=justify), w, justify))
            self.set_columns(columns)
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
        return self.ticks.selection if self.selectable or self.tickable else None

    def _cells(self, row: models.CustomerRow) -> list[Any]:
        if self.full:
            keys = [c.key for c in self.columns]
            name = plain(row.name)
            if self.tickable and row.id in self._ticked:
                name = Text.assemble(("✓ ", "bold"), name, no_wrap=True, overflow="ellipsis")
            values = {
                "name": name, "email": plain(row.email), "status": plain(row.status),
                "default": plain(row.default_group), "groups": groups_text(row),
                "registered": plain(date_text(row.registered_at)),
                "orders": Text(f"{row.order_count:,}", justify="right"),
                "spent": Text(money(row.total_spent), justify="right"),
            }
            return [values[k] for k in keys]
        cells: list[Any] = []
        if self.selectable:
            cells.append(Text("[x]" if row.id in self._ticked else "[ ]"))
        cells += [plain(row.name), plain(row.email), plain(date_text(row.registered_at)),
                  groups_text(row), Text(money(row.total_spent), justify="right")]
        return cells

    # -- selection -----------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("toggle", "extend", "tick_none"):
            return self.selectable or self.tickable
        if action in ("tick_matching", "invert"):
            return self.selectable  # (a and i are the Customers list's New and Import)
        if action == "open":
            return not self.selectable or self.tickable
        return True

    def action_extend(self, step: int) -> None:
        """Tick this row, move, and tick the next one: shift+arrows grow a range."""
        row = self._row_at(self._pos)
        if row is None:
            return
        count, changed = self.selected_count, self.changed
        singles = [self._set_tick(row, True)]
        nxt = self._row_at(self._pos + step)
        if nxt is not None:
            self._move_to(self._pos + step)
            singles.append(self._set_tick(nxt, True))
        names = [self._row_label(r) for r, s in zip((row, nxt), singles) if s is not None]
        self._remember_singles("ticked " + " and ".join(names), count, changed, singles)
        self._post_status()

    def _row_label(self, row: models.CustomerRow) -> str:
        return safe_line(row.name or row.email or f"#{row.id}")

    def _matching_text(self) -> str:
        """"1,000 matching" (the count as last read), for an undo notice."""
        return "matching" if self.total is None else f"{self.total:,} matching"

    def action_tick_matching(self) -> None:
        self._bulk(self.ticks.selection | models.Selection.matching(self.customer_filter),
                   f"selected all {self._matching_text()}")

    def action_tick_matching_anyway(self) -> None:
        """Tick every customer the filter finds (the Customers list's ctrl+a)."""
        if self.selectable or self.tickable:
            self.action_tick_matching()
            self._post_status()

    def action_invert(self) -> None:
        cur = self.ticks.selection
        matching = models.Selection.matching(self.customer_filter)
        self._bulk((cur - matching) | (matching - cur), f"inverted the ticks of {self._matching_text()}")

    def action_open(self) -> None:
        cid = self.current_id()
        if cid is not None:
            self.post_message(self.Opened(self, cid))

    def status_text(self) -> str:
        """"N selected of M matching · row R" for the status line."""
        matching = "counting…" if self.total is None else f"{self.total:,}"
        where = f"row {self._pos + 1:,}" if self._row_at(self._pos) else ("no rows" if self.total == 0 else "…")
        if self.selectable or (self.tickable and self.selected_count != 0):
            selected = "counting…" if self.selected_count is None else f"{self.selected_count:,}"
            return f"{selected} selected of {matching} matching · {where}"
        return f"{matching} matching · {where}"
