"""The History screen's list: the audit log newest first, as a window onto
the database (a :class:`~backroom.tui.window.WindowedTable`): the log grows
by a million entries with one bulk change's notifications' worth of work,
and only the rows around the cursor are read."""

from __future__ import annotations

from typing import Any, Callable

from rich.text import Text
from textual.binding import Binding
from textual.message import Message

from backroom import models
from backroom.tui.formatters import plain
from backroom.tui.window import Column, Reader, WindowedTable


class HistoryTable(WindowedTable):
    """Audit entries matching :attr:`filter`, newest first."""

    ROWS = "audit"  # (no ticks)

    BINDINGS = [
        Binding("enter", "open", "Open", tooltip="Open what this entry changed, or show its before and after"),
    ]

    class Status(Message):
        """The count or the position changed."""

        def __init__(self, table: "HistoryTable") -> None:
            super().__init__()
            self.table = table

        @property
        def control(self) -> "HistoryTable":
            return self.table

    class Opened(Message):
        """Enter on an entry."""

        def __init__(self, table: "HistoryTable", row: models.AuditRow) -> None:
            super().__init__()
            self.table = table
            self.row = row

        @property
        def control(self) -> "HistoryTable":
            return self.table

    ANCHORS_MAX = 5000

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(page=20, classes="history-table", id=id)
        self.filter = models.AuditFilter()
        # Where rows fetched were (position -> the entry's keyset cursor): a block read
        # on from one of them is a keyset page (models.audit_page), not an OFFSET.
        self._anchors: dict[int, models.AuditCursor] = {}

    def set_filter(self, f: models.AuditFilter) -> None:
        if f != self.filter:
            self.filter = f
            self.reload()

    def reload(self) -> None:
        self._anchors = {}
        super().reload()

    def _fetched(self, window) -> None:
        if len(self._anchors) > self.ANCHORS_MAX:
            self._anchors = {}
        for i, row in enumerate(window.rows):
            self._anchors[window.offset + i] = row.cursor

    def _set_columns(self) -> bool:
        width = max(40, self.scrollable_content_region.width or self.size.width or 80)
        page = max(1, (self.scrollable_content_region.height or self.size.height or 21) - 1)
        fixed = 16  # when
        flex = max(40, width - fixed - 2 * 5)
        actor_w = max(6, flex * 12 // 100)
        kind_w = max(16, flex * 22 // 100)
        what_w = max(10, flex * 14 // 100)
        change_w = max(10, flex - actor_w - kind_w - what_w)
        widths = (actor_w, kind_w, what_w, change_w)
        if widths == self._widths and page == self._page:
            return False
        self._page = page
        if widths != self._widths:
            self._widths = widths
            self.set_columns([
                Column("at", "When (UTC)", fixed), Column("actor", "Admin", actor_w),
                Column("action", "Kind", kind_w), Column("entity", "Of", what_w),
                Column("change", "Change", change_w),
            ])
        return True

    def _reader(self) -> Reader:
        f, anchors = self.filter, self._anchors

        def read(offset: int, limit: int, backwards: bool) -> list[models.AuditRow]:
            after = anchors.get(offset - 1) if offset and not backwards else None
            if after is not None:  # reading on from a row fetched before
                return models.audit_page(f, after=after, limit=limit)
            return models.audit_window(f, offset=offset, limit=limit, oldest_first=backwards)

        return read

    def _counter(self) -> Callable[[], int]:
        f = self.filter
        return lambda: models.audit_count(f)

    def _tick_selection(self) -> models.Selection | None:
        return None

    def _cells(self, row: models.AuditRow) -> list[Any]:
        at = row.at.strftime("%Y-%m-%d %H:%M") if hasattr(row.at, "strftime") else str(row.at)[:16]
        target = f"{row.entity} {row.entity_id or ''}".rstrip()
        return [plain(at), plain(row.actor), plain(row.action), plain(target), plain(row.summary())]

    def current(self) -> models.AuditRow | None:
        return self._row_at(self._pos)

    def action_open(self) -> None:
        row = self.current()
        if row is not None:
            self.post_message(self.Opened(self, row))

    def status_text(self) -> str:
        if self.total == 0:
            return ("No entries match the filter." if not self.filter.is_empty()
                    else "The audit log is empty.")
        count = ("counting…" if self.total is None
                 else f"{self.total:,} {'entry' if self.total == 1 else 'entries'}")
        where = f"entry {self._pos + 1:,}" if self._row_at(self._pos) else "…"
        return f"{count}, newest first · {where} · enter open"
