"""The outbox's list: the join/leave notifications waiting to be exported,
oldest first, as a window onto the database (a
:class:`~backroom.tui.window.WindowedTable`): a bulk change can queue a
million of them, and only the rows around the cursor are read."""

from __future__ import annotations

from typing import Any, Callable

from rich.text import Text
from textual.message import Message

from backroom import models
from backroom.tui.formatters import date_text, plain
from backroom.tui.window import Column, Reader, WindowedTable


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

    def _set_columns(self) -> bool:
        width = max(40, self.scrollable_content_region.width or self.size.width or 80)
        page = max(1, (self.scrollable_content_region.height or self.size.height or 21) - 1)
        fixed = 6 + 10 + 13  # id, queued, event
        flex = max(30, width - fixed - 2 * 6)
        name_w = max(10, flex * 34 // 100)
        group_w = max(8, flex * 20 // 100)
        email_w = max(12, flex - name_w - group_w)
        widths = (name_w, email_w, group_w)
        if widths == self._widths and page == self._page:
            return False
        self._page = page
        if widths != self._widths:
            self._widths = widths
            self.set_columns([
                Column("id", Text("Id", justify="right"), 6, "right"), Column("at", "Queued", 10),
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
