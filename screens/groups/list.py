"""The list of customer groups: filterable and sortable, with the keys to
add, view, edit and delete one."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Header, Input, Label

from backroom import models
from backroom.screens.groups.actions import GroupActions
from backroom.tui.areas import AreaBar, Footer
from backroom.tui.filters import DEBOUNCE_SECONDS
from backroom.tui.firstshow import StyledOnMount
from backroom.tui.formatters import percent, plain, yes_no
from backroom.tui.safetext import SafeInput
from backroom.tui.keys import WaitsForLists
from backroom.tui.roles import RoleGated

# Sort keys of models.list_groups, in column order, with their headings.
GROUP_COLUMNS: tuple[tuple[str, str], ...] = (
    ("code", "Code"), ("name", "Name"), ("members", "Members"), ("tax_class", "Tax class"),
    ("discount", "Discount"), ("free_shipping", "Free ship"), ("hidden", "Hidden"), ("system", "Locked"),
)
RIGHT_ALIGNED = {"members", "discount"}


def _drawn(row: models.GroupRow) -> tuple:
    """What the list draws of a group, but its member count."""
    return (row.id, row.code, row.name, row.tax_class, row.discount_percent, row.free_shipping, row.hidden,
            row.is_system)


class GroupsScreen(RoleGated, StyledOnMount, Screen, GroupActions, WaitsForLists):
    """Every customer group, filterable and sortable.  Keys typed for the
    list wait while it is being read (WaitsForLists)."""

    ROLE_ACTIONS = {"add": "groups", "edit": "groups", "delete": "groups", "access": "groups", "rules": "rules",
                    "outbox": "export", "tick": "groups", "untick_all": "groups"}

    keys_ready = True

    TITLE = "Customer groups"
    BINDINGS = [
        Binding("a", "add", "Add", tooltip="Add a customer group"),
        Binding("e", "edit", "Edit", tooltip="Edit the highlighted group"),
        Binding("v", "view", "View", tooltip="View the highlighted group and its members"),
        Binding("d,delete", "delete", "Delete", tooltip="Delete the highlighted group, or the ticked ones"),
        Binding("space", "tick", "Tick", show=False, tooltip="Tick or untick the highlighted group "
                "(d then deletes the ticked groups together)"),
        Binding("n", "untick_all", "Untick all", show=False, tooltip="Untick every ticked group"),
        Binding("s", "sort", "Sort", tooltip="Sort by the next column"),
        Binding("r", "reverse", "Reverse", tooltip="Flip the sort direction"),
        Binding("slash", "find", "Find", tooltip="Filter the groups by code or name"),
        Binding("escape", "leave_find", "To the list", show=False, tooltip="Leave the Find box for the list"),
        # Less used: in the command palette (Ctrl+P), not the footer.
        Binding("c", "access", "Access", show=False,
                tooltip="What the highlighted group may see and its category discounts (Guest: visitors)"),
        Binding("u", "rules", "Rules", show=False,
                tooltip="The rules that add and remove the highlighted group's members automatically"),
        Binding("x", "explain", "Explain a price", show=False,
                tooltip="What a customer or visitor sees and pays for a product, and why"),
        Binding("o", "outbox", "Outbox", show=False, tooltip="Join/leave notifications waiting to be exported"),
        Binding("t", "tax_classes", "Tax classes", show=False,
                tooltip="The tax classes groups are charged by, and the default new groups get"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.sort = "name"
        self.descending = False
        self.rows: list[models.GroupRow] = []
        self.ticked: set[int] = set()
        self._timer: Timer | None = None
        self._loads = 0  # load() calls: only the latest one's answer is shown

    def compose(self) -> ComposeResult:
        yield Header()
        yield AreaBar()
        with Horizontal(classes="filter-row", id="groups-filter"):
            yield Label("Find", classes="filter-label")
            yield SafeInput(placeholder="code or name contains…", id="group-filter", compact=True)
            yield Label("", id="groups-status", classes="status", markup=False)
        yield DataTable(id="groups", cursor_type="row", zebra_stripes=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#groups", DataTable).focus()
        self.load()

    def on_screen_resume(self) -> None:
        if self.rows:  # back from another screen: counts may have changed
            self.load(again=True)

    # -- loading -------------------------------------------------------------
    @property
    def applying_soon(self) -> bool:
        """What was typed in Find waits for the debounce to apply."""
        return self._timer is not None

    def load(self, *, again: bool = False) -> None:
        """Read the groups; their member counts (a count over every
        membership: a moment at a million customers) come after them, so the
        list is drawn first.  Sorted by members, they come together.
        ``again`` (the area shown again): the list as it was stays, and
        takes keys, until the groups come back with their counts; only
        what changed is drawn again (see :meth:`refreshed`).  The answer of
        a load that a later one has replaced is dropped."""
        self._timer = None  # (called by it, or after stopping it)
        text = self.query_one("#group-filter", Input).value
        sort, desc = self.sort, self.descending
        wanted = (text, sort, desc)
        self._loads += 1
        load = self._loads

        def counted(rows: list[models.GroupRow]) -> None:
            if load == self._loads and wanted == (self.query_one("#group-filter", Input).value, self.sort,
                                                  self.descending):
                if again:
                    self.refreshed(rows)
                else:
                    self.show(rows)

        if again:
            # Not a "groups" job: the keys typed meanwhile act on the list
            # shown (WaitsForLists holds keys for those).
            self.run_job(lambda: models.list_groups(text, sort=sort, descending=desc), counted,
                         name="group-counts")
            return
        self.query_one("#groups-status", Label).update("loading…")
        if sort == "members":
            self.run_job(lambda: models.list_groups(text, sort=sort, descending=desc), counted, name="groups")
            return

        def listed(rows: list[models.GroupRow]) -> None:
            if load != self._loads:
                return
            self.show(rows, counted=False)
            self.run_job(lambda: models.list_groups(text, sort=sort, descending=desc), counted,
                         name="group-counts")

        self.run_job(lambda: models.list_groups(text, sort=sort, descending=desc, with_counts=False), listed,
                     name="groups")

    def refreshed(self, rows: list[models.GroupRow]) -> None:
        """The groups read again (the area shown again): when only member
        counts changed, just those cells are drawn again; the list is not
        built and laid out anew."""
        if [_drawn(r) for r in rows] != [_drawn(r) for r in self.rows]:
            self.show(rows)
            return
        table = self.query_one("#groups", DataTable)
        changed = [r for r, old in zip(rows, self.rows) if r.member_count != old.member_count]
        self.rows = rows
        for r in changed:
            table.update_cell(str(r.id), "members", Text(f"{r.member_count:,}", justify="right"), update_width=True)

    def show(self, rows: list[models.GroupRow], *, counted: bool = True) -> None:
        table = self.query_one("#groups", DataTable)
        current = self.current()
        self.rows = rows
        self.ticked &= {r.id for r in rows}  # gone, or filtered out: no longer ticked
        table.clear(columns=True)
        if self.ticked:  # a column of ticks only while there are some: the list keeps its width
            table.add_column("", key="tick", width=1)
        for key, heading in GROUP_COLUMNS:
            label = heading + ((" ▼" if self.descending else " ▲") if key == self.sort else "")
            table.add_column(Text(label, justify="right" if key in RIGHT_ALIGNED else "left"), key=key)
        for r in rows:
            cells = [] if not self.ticked else [self._tick_mark(r.id)]
            members = f"{r.member_count:,}" if counted else "…"
            table.add_row(*cells, plain(r.code), plain(r.name), Text(members, justify="right"),
                          plain(r.tax_class), Text(percent(r.discount_percent), justify="right"),
                          yes_no(r.free_shipping), yes_no(r.hidden), "locked" if r.is_system else "",
                          key=str(r.id))
        if current is not None:
            for i, r in enumerate(rows):
                if r.id == current.id:
                    table.move_cursor(row=i)
        self._show_status()
        # The first screen is drawn with its groups: what the app does then
        # (tui/app.py) need not wait for their member counts, read meanwhile
        # in a worker (a tenth of a second and more at a million members),
        # with the event loop idle.
        first_shown = getattr(self.app, "first_screen_shown", None)
        if first_shown is not None:
            first_shown()

    def _show_status(self) -> None:
        n = len(self.rows)
        if self.ticked:
            self.query_one("#groups-status", Label).update(
                f"{len(self.ticked)} of {n} ticked · d deletes them · n unticks")
            return
        sort_name = dict(GROUP_COLUMNS)[self.sort].lower()
        direction = "descending" if self.descending else "ascending"
        self.query_one("#groups-status", Label).update(
            f"{n} group{'s' if n != 1 else ''} · sorted by {sort_name}, {direction}")

    def _tick_mark(self, group_id: int) -> str:
        return "✓" if group_id in self.ticked else ""

    def current(self) -> models.GroupRow | None:
        table = self.query_one("#groups", DataTable)
        if not self.rows or table.row_count == 0:
            return None
        row = table.cursor_row
        return self.rows[row] if 0 <= row < len(self.rows) else None

    @on(Input.Changed, "#group-filter")
    def filter_changed(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(DEBOUNCE_SECONDS, self.load)

    @on(Input.Submitted, "#group-filter")
    def filter_submitted(self) -> None:
        self._load_now()  # the keys typed next are for the rows it finds
        self.query_one("#groups", DataTable).focus()

    @on(DataTable.RowSelected, "#groups")
    def row_selected(self) -> None:
        self.action_view()

    # -- actions -------------------------------------------------------------
    def _need_row(self) -> models.GroupRow | None:
        row = self.current()
        if row is None:
            self.notify("No group is highlighted.", severity="warning")
        return row

    def action_find(self) -> None:
        self.query_one("#group-filter", Input).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.role_refusal(action) is not None:  # not for this admin's role (RoleGated)
            return False
        if action == "leave_find":  # Esc means something only in the Find box
            return self.focused is self.query_one("#group-filter", Input)
        return True

    def action_leave_find(self) -> None:
        self._load_now()
        self.query_one("#groups", DataTable).focus()

    def _load_now(self) -> None:
        """What Find holds, applied now rather than when the debounce ends."""
        if self._timer is not None:
            self._timer.stop()
            self.load()

    def action_sort(self) -> None:
        keys = [k for k, _ in GROUP_COLUMNS]
        self.sort = keys[(keys.index(self.sort) + 1) % len(keys)]
        self.load()

    def action_reverse(self) -> None:
        self.descending = not self.descending
        self.load()

    # The screens these keys open are imported when first opened: starting
    # Backroom imports the list alone (see tui/app.py).
    def action_add(self) -> None:
        from backroom.screens.groups.form import GroupFormScreen

        self.app.push_screen(GroupFormScreen(None), self.after_edit)

    def action_edit(self) -> None:
        if row := self._need_row():
            self.edit_group(row)

    def action_view(self) -> None:
        if row := self._need_row():
            self.after_edit(row.id)

    def action_delete(self) -> None:
        ticked = [r for r in self.rows if r.id in self.ticked]
        if len(ticked) > 1:
            self.delete_groups(ticked)
        elif ticked:
            self.delete_group(ticked[0])
        elif row := self._need_row():
            self.delete_group(row)

    def action_tick(self) -> None:
        row = self._need_row()
        if row is None:
            return
        if row.id not in self.ticked and self._refuse(models.group_permissions(row).delete_refused,
                                                      "Cannot tick"):
            return  # only groups that can be deleted are ticked
        had_ticks = bool(self.ticked)
        self.ticked ^= {row.id}
        table = self.query_one("#groups", DataTable)
        if had_ticks != bool(self.ticked):
            self.show(self.rows)  # the column of ticks comes or goes
        else:
            table.update_cell(str(row.id), "tick", self._tick_mark(row.id))
        if table.cursor_row < table.row_count - 1:
            table.move_cursor(row=table.cursor_row + 1)  # on to the next, as in the customers' tables
        self._show_status()

    def action_untick_all(self) -> None:
        self.ticked.clear()
        self.show(self.rows)

    def action_access(self) -> None:
        if row := self._need_row():
            self.edit_access(row)

    def action_rules(self) -> None:
        if row := self._need_row():
            self.edit_rules(row)

    def action_explain(self) -> None:
        from backroom.screens.grants.explain import ExplainScreen

        self.app.push_screen(ExplainScreen())

    def action_outbox(self) -> None:
        from backroom.screens.grants.outbox import OutboxScreen

        self.app.push_screen(OutboxScreen())

    def action_tax_classes(self) -> None:
        from backroom.screens.groups.taxes import TaxClassesScreen

        self.app.push_screen(TaxClassesScreen())

    def after_edit(self, group_id: int | None) -> None:
        """The View screen of the group just added or edited (or chosen)."""
        from backroom.screens.groups.view import GroupViewScreen

        if group_id is not None:
            self.app.push_screen(GroupViewScreen(group_id))

    def deleted(self, row: models.GroupRow, removed: int) -> None:
        super().deleted(row, removed)
        self.load()

    def deleted_many(self, done: list[models.DeletedGroup]) -> None:
        super().deleted_many(done)
        self.ticked.clear()
        self.load()

