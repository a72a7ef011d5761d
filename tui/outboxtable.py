"""The outbox's list: the join/leave notifications waiting to be exported,
oldest first, as a window onto the database (a
:class:`~backroom.tui.window.WindowedTable`): a bulk change can queue a
million of them, and only the rows around the cursor are read."""

from __future__ import annotations

from typing import Any, Callable, ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual.message import Message

from backroom import models
from backroom.tui.formatters import date_text, plain
from backroom.tui.window import Column, Reader, Window, WindowedTable


class OutboxTable(WindowedTable):
    """Notifications waiting to be exported, in the order they were queued."""

    ROWS = "outbox"  # (no ticks)

    class Status(Message):
        """The count or the position changed."""

        def __init__(self, table: "OutboxTable") -> None:
            super().__init__()
            self.table = table

        @property
        def control(self) -> "OutboxTable":
            return self.table

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(page=20, classes="outbox-table", id=id)
        # The widest id, name, email and group among the rows read since the
        # list was last loaded: the columns are fitted to what they show.
        self._needs: dict[str, int] = {}

    # The text columns: share of the width while nothing is read (their
    # proportions), and the narrowest each may be.
    SHARES: ClassVar[dict[str, int]] = {"name": 30, "email": 40, "group": 30}
    MINIMUM: ClassVar[dict[str, int]] = {"name": 10, "email": 12, "group": 8}

    def reload(self) -> None:
        self._needs = {}
        super().reload()

    def _fetched(self, window: Window) -> None:
        """Rows are in: the columns grow to what they show (never shrink while
        the list is scrolled, so they do not jump)."""
        needs = dict(self._needs)
        for row in window.rows:
            for key, value in (("id", str(row.id)), ("name", row.name), ("email", row.email),
                               ("group", row.group)):
                width = cell_len(models.clean_line(value or ""))
                if width > needs.get(key, 0):
                    needs[key] = width
        if needs != self._needs:
            self._needs = needs
            self._set_columns()

    def _text_widths(self, flex: int) -> tuple[int, int, int]:
        """Name, email and group widths sharing ``flex`` cells: each column
        as wide as its widest value if they all fit (what is left goes to
        the group, the last one); else the narrow ones whole and the wide
        ones cut, sharing the rest by their shares.  Nothing read yet: by their shares."""
        keys = ("name", "email", "group")
        if not self._needs:
            total = sum(self.SHARES.values())
            name_w, email_w = (max(self.MINIMUM[k], flex * self.SHARES[k] // total) for k in keys[:2])
            return name_w, email_w, max(self.MINIMUM["group"], flex - name_w - email_w)
        need = {k: max(self.MINIMUM[k], self._needs.get(k, 0)) for k in keys}
        if sum(need.values()) <= flex:
            return need["name"], need["email"], flex - need["name"] - need["email"]
        # Too wide together: the columns narrower than their share of what is
        # left keep their width; the others share the rest by their shares.
        widths = dict(need)
        left, rest = flex, sorted(keys, key=lambda k: need[k] / self.SHARES[k])
        while rest:
            k, weight = rest[0], sum(self.SHARES[r] for r in rest)
            if need[k] * weight > left * self.SHARES[k]:
                used = 0
                for other in rest[1:]:
                    widths[other] = max(self.MINIMUM[other], left * self.SHARES[other] // weight)
                    used += widths[other]
                widths[k] = max(self.MINIMUM[k], left - used)
                break
            left -= need[k]
            rest.pop(0)
        return widths["name"], widths["email"], widths["group"]

    def _set_columns(self) -> bool:
        width = max(40, self.scrollable_content_region.width or self.size.width or 80)
        page = max(1, (self.scrollable_content_region.height or self.size.height or 21) - 1)
        id_w = max(6, self._needs.get("id", 0))
        fixed = id_w + 10 + 13  # id, queued, event
        flex = max(30, width - fixed - 2 * 6)
        name_w, email_w, group_w = self._text_widths(flex)
        widths = (id_w, name_w, email_w, group_w)
        if widths == self._widths and page == self._page:
            return False
        self._page = page
        if widths != self._widths:
            self._widths = widths
            self.set_columns([
                Column("id", Text("Id", justify="right"), id_w, "right"), Column("at", "Queued", 10),
                Column("name", "Customer", name_w), Column("email", "Email", email_w),
                Column("event", "Event", 13), Column("group", "Group", group_w),
            ])
        return True

    def _reader(self) -> Reader:
        return lambda offset, limit, backwards: models.outbox_page(offset=offset, limit=limit,
                                                                   newest_first=backwards)

    def _counter(self) -> Callable[[], int]:
        return models.outbox_count

    def _tick_selection(self) -> models.Selection | None:
        return None

    def _cells(self, row: models.OutboxRow) -> list[Any]:
        return [Text(str(row.id), justify="right"), plain(date_text(row.created_at)), plain(row.name),
                plain(row.email), plain(f"{row.event}·{row.source}"), plain(row.group)]

    def current(self) -> models.OutboxRow | None:
        return self._row_at(self._pos)

    def status_text(self) -> str:
        if self.total == 0:
            return "No notifications waiting: the outbox is empty."
        pending = "counting…" if self.total is None else f"{self.total:,}"
        where = f"row {self._pos + 1:,}" if self._row_at(self._pos) else "…"
        return f"{pending} pending · {where} · ctrl+s export"
