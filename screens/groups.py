"""Customer groups: the list, the Add/Edit form and the View screen."""

from __future__ import annotations

import dataclasses
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import (
    DataTable,
    Footer,
    Header,
    Input,
    Label,
    Select,
    Static,
    TabbedContent,
    TabPane,
)

from backroom import models
from backroom.screens.customers import CustomerScreen
from backroom.screens.grants import (
    AccessEditor,
    AccessScreen,
    ExplainScreen,
    Grants,
    OutboxScreen,
    RulesScreen,
    read_grants,
)
from backroom.tui.areas import AreaBar
from backroom.tui.background import Background, LoadsInBackground, error_message
from backroom.tui.customertable import CustomerTable
from backroom.tui.dialogs import ConfirmModal
from backroom.tui.filters import DEBOUNCE_SECONDS, FilterBar
from backroom.tui.formatters import percent, plain, yes_no
from backroom.tui.forms import Tick

# Sort keys of models.list_groups, in column order, with their headings.
GROUP_COLUMNS: tuple[tuple[str, str], ...] = (
    ("code", "Code"), ("name", "Name"), ("members", "Members"), ("tax_class", "Tax class"),
    ("discount", "Discount"), ("free_shipping", "Free ship"), ("hidden", "Hidden"), ("system", "Locked"),
)
RIGHT_ALIGNED = {"members", "discount"}


def delete_question(row: models.GroupRow) -> Text:
    text = Text("Delete the group ")
    text.append(models.clean_line(row.name), style="bold")
    text.append(f" ({models.clean_line(row.code)})?\n\n")
    members = f"{row.member_count:,} member{'s' if row.member_count != 1 else ''}"
    text.append(f"Its {members} will leave it; customers whose default group it is move to General. "
                "This cannot be undone.")
    return text


class GroupActions(Background):
    """Edit, Delete, Access and Rules as the list and the View screen both
    offer them; what a group allows is the data layer's to say."""

    def _refuse(self, reason: str, title: str) -> bool:
        """Say why not, if there is a reason; True if there was."""
        if reason:
            screen: Any = self
            screen.notify(reason, title=title, severity="warning", markup=False)
        return bool(reason)

    def edit_group(self, row: models.GroupRow) -> None:
        if self._refuse(models.group_permissions(row).edit_refused, "Cannot edit"):
            return
        screen: Any = self
        screen.app.push_screen(GroupFormScreen(row.id), self.after_edit)

    def delete_group(self, row: models.GroupRow) -> None:
        screen: Any = self
        if self._refuse(models.group_permissions(row).delete_refused, "Cannot delete"):
            return

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            gid, version = row.id, row.version
            self.run_job(lambda: models.delete_group(gid, expected_version=version),
                         lambda removed: self.deleted(row, removed), name="delete")

        screen.app.push_screen(ConfirmModal("Delete group", delete_question(row), yes="Delete",
                                            no="Keep"), answered)

    def deleted(self, row: models.GroupRow, removed: int) -> None:
        screen: Any = self
        screen.notify(f"Deleted {models.clean_line(row.name)}: {removed:,} memberships removed.",
                      title="Group deleted", markup=False)

    def after_edit(self, group_id: int | None) -> None:
        """Called when the Add/Edit form closes with the saved group's id (or None)."""

    def edit_access(self, row: models.GroupRow) -> None:
        """The visitors' group (Guest, otherwise locked): the access-only
        editor; any other group: its form, on the Access tab."""
        screen: Any = self
        allowed = models.group_permissions(row)
        if allowed.visitors:
            screen.app.push_screen(AccessScreen(row.id))
        elif not self._refuse(allowed.edit_refused, "Cannot edit"):
            screen.app.push_screen(GroupFormScreen(row.id, tab="access"), self.after_edit)

    def edit_rules(self, row: models.GroupRow) -> None:
        if self._refuse(models.group_permissions(row).rules_refused, "Cannot edit"):
            return
        screen: Any = self
        screen.app.push_screen(RulesScreen(row.id))


# --------------------------------------------------------------------------
# The list
# --------------------------------------------------------------------------


class GroupsScreen(Screen, GroupActions):
    """Every customer group, filterable and sortable."""

    TITLE = "Customer groups"
    BINDINGS = [
        Binding("a", "add", "Add", tooltip="Add a customer group"),
        Binding("e", "edit", "Edit", tooltip="Edit the highlighted group"),
        Binding("v", "view", "View", tooltip="View the highlighted group and its members"),
        Binding("d,delete", "delete", "Delete", tooltip="Delete the highlighted group"),
        Binding("s", "sort", "Sort", tooltip="Sort by the next column"),
        Binding("r", "reverse", "Reverse", tooltip="Flip the sort direction"),
        Binding("slash", "find", "Find", tooltip="Filter the groups by code or name"),
        # Less used: in the command palette (Ctrl+P), not the footer.
        Binding("c", "access", "Access", show=False,
                tooltip="What the highlighted group may see and its category discounts (Guest: visitors)"),
        Binding("u", "rules", "Rules", show=False,
                tooltip="The rules that add and remove the highlighted group's members automatically"),
        Binding("x", "explain", "Explain a price", show=False,
                tooltip="What a customer or visitor sees and pays for a product, and why"),
        Binding("o", "outbox", "Outbox", show=False, tooltip="Join/leave notifications waiting to be exported"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.sort = "name"
        self.descending = False
        self.rows: list[models.GroupRow] = []
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield AreaBar()
        with Horizontal(classes="filter-row", id="groups-filter"):
            yield Label("Find", classes="filter-label")
            yield Input(placeholder="code or name contains…", id="group-filter", compact=True)
            yield Label("", id="groups-status", classes="status")
        yield DataTable(id="groups", cursor_type="row", zebra_stripes=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#groups", DataTable).focus()
        self.load()

    def on_screen_resume(self) -> None:
        if self.rows:  # back from another screen: counts may have changed
            self.load()

    # -- loading -------------------------------------------------------------
    def load(self) -> None:
        text = self.query_one("#group-filter", Input).value
        sort, desc = self.sort, self.descending
        self.query_one("#groups-status", Label).update("loading…")
        self.run_job(lambda: models.list_groups(text, sort=sort, descending=desc), self.show, name="groups")

    def show(self, rows: list[models.GroupRow]) -> None:
        table = self.query_one("#groups", DataTable)
        current = self.current()
        self.rows = rows
        table.clear(columns=True)
        for key, heading in GROUP_COLUMNS:
            label = heading + ((" ▼" if self.descending else " ▲") if key == self.sort else "")
            table.add_column(Text(label, justify="right" if key in RIGHT_ALIGNED else "left"), key=key)
        for r in rows:
            table.add_row(plain(r.code), plain(r.name), Text(f"{r.member_count:,}", justify="right"),
                          plain(r.tax_class), Text(percent(r.discount_percent), justify="right"),
                          yes_no(r.free_shipping), yes_no(r.hidden), "locked" if r.is_system else "",
                          key=str(r.id))
        if current is not None:
            for i, r in enumerate(rows):
                if r.id == current.id:
                    table.move_cursor(row=i)
        sort_name = dict(GROUP_COLUMNS)[self.sort].lower()
        direction = "descending" if self.descending else "ascending"
        self.query_one("#groups-status", Label).update(
            f"{len(rows)} group{'s' if len(rows) != 1 else ''} · sorted by {sort_name}, {direction}")

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

    def action_sort(self) -> None:
        keys = [k for k, _ in GROUP_COLUMNS]
        self.sort = keys[(keys.index(self.sort) + 1) % len(keys)]
        self.load()

    def action_reverse(self) -> None:
        self.descending = not self.descending
        self.load()

    def action_add(self) -> None:
        self.app.push_screen(GroupFormScreen(None), self.after_edit)

    def action_edit(self) -> None:
        if row := self._need_row():
            self.edit_group(row)

    def action_view(self) -> None:
        if row := self._need_row():
            self.app.push_screen(GroupViewScreen(row.id))

    def action_delete(self) -> None:
        if row := self._need_row():
            self.delete_group(row)

    def action_access(self) -> None:
        if row := self._need_row():
            self.edit_access(row)

    def action_rules(self) -> None:
        if row := self._need_row():
            self.edit_rules(row)

    def action_explain(self) -> None:
        self.app.push_screen(ExplainScreen())

    def action_outbox(self) -> None:
        self.app.push_screen(OutboxScreen())

    def after_edit(self, group_id: int | None) -> None:
        if group_id is not None:
            self.app.push_screen(GroupViewScreen(group_id))

    def deleted(self, row: models.GroupRow, removed: int) -> None:
        super().deleted(row, removed)
        self.load()


# --------------------------------------------------------------------------
# Add / Edit
# --------------------------------------------------------------------------

FIELD_LABELS = {
    "code": "Code", "name": "Name", "description": "Description", "tax_class_id": "Tax class",
    "discount_percent": "Discount %", "free_shipping": "Free shipping", "hidden": "Hidden",
}
# The fields with an error line under them (models.ValidationError keys).
ERROR_FIELDS = ("code", "name", "description", "tax_class_id", "discount_percent")
TABS = ("general", "customers", "access")


@dataclasses.dataclass
class FormData:
    """What the Add/Edit form needs from the database besides the members."""

    group: models.CustomerGroup | None  # None: adding one
    tax_classes: list[models.TaxClass]
    group_codes: list[str]
    grants: Grants


def read_form(group_id: int | None) -> FormData:
    """The form's data (reads the database: call it in a worker)."""
    return FormData(group=models.get_group(group_id) if group_id is not None else None,
                    tax_classes=models.tax_classes(),
                    group_codes=[r.code for r in models.list_groups(with_counts=False, sort="code")],
                    grants=read_grants(group_id))


class GroupFormScreen(Screen[int | None], LoadsInBackground):
    """Add a group (``group_id`` None) or edit one: general fields on one tab,
    the members on the next, what it may see and its category discounts on
    the third.  Dismisses with the saved group's id.

    It opens at once and reads the group in a worker; until then the tabs
    show that they are loading and the keys typed wait (LoadsInBackground)."""

    AUTO_FOCUS = None  # the first field, once the group is in
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", tooltip="Save the group, its members and its access"),
        Binding("escape", "cancel", "Back", tooltip="Close, asking before discarding changes"),
        Binding("ctrl+n", "next", "Next", tooltip="Go to the next tab"),
        Binding("ctrl+f", "find", "Filter customers", show=False,
                tooltip="Go to the filter above the customers"),
    ]

    def __init__(self, group_id: int | None, *, tab: str = "general") -> None:
        super().__init__()
        self.group_id = group_id
        self.initial_tab = tab
        self.group: models.CustomerGroup | None = None
        self.version: int | None = None
        self.saving = False
        self._initial: dict[str, Any] = {}
        self._initial_access: tuple[set[int], dict[int, str]] = (set(), {})
        self.title = "Edit group" if group_id is not None else "Add customer group"

    # -- layout --------------------------------------------------------------
    def _field(self, name: str, widget: Widget) -> ComposeResult:
        with Horizontal(classes="field", id=f"field-{name}"):
            yield Label(FIELD_LABELS[name], classes="field-label")
            with Vertical(classes="field-input"):
                yield widget
                yield Label("", id=f"err-{name}", classes="error field-error", markup=False)

    def compose(self) -> ComposeResult:
        editing = self.group_id is not None
        selection = models.Selection.members_of(self.group_id) if editing else models.Selection.none()
        yield Header()
        yield AreaBar()
        with TabbedContent(initial=self.initial_tab, id="form-tabs"):
            with TabPane("General information", id="general"):
                with VerticalScroll(id="general-form"):
                    yield from self._field("code", Input(
                        "", id="code", max_length=32, disabled=editing,
                        placeholder="lower-case letters, digits, - or _", compact=True))
                    yield from self._field("name", Input("", id="name", max_length=100, compact=True))
                    yield from self._field("description", Input("", id="description", compact=True))
                    yield from self._field("tax_class_id", Select([], id="tax_class_id", prompt="none",
                                                                  compact=True))
                    yield from self._field("discount_percent", Input(
                        "0", id="discount_percent", compact=True, placeholder="0 to 100"))
                    with Horizontal(classes="field flags"):
                        yield Label("", classes="field-label")
                        yield Tick("Free shipping", False, id="free_shipping", compact=True)
                        yield Tick("Hidden", False, id="hidden", compact=True)
                    yield Label("Ctrl+N: choose the customers · Ctrl+S: save", classes="hint")
            with TabPane("Customers", id="customers"):
                yield FilterBar(full=True, id="member-filter")
                yield Label("", id="selection-status", classes="status")
                yield CustomerTable(selectable=True, selection=selection, id="members")
                yield Label("space tick · shift+↑↓ range · a all matching · n none · i invert · "
                            "^f filter", classes="hint keys")
            with TabPane("Access", id="access"):
                yield AccessEditor(id="access-editor")
                yield Label("space tick · a discount % replaces the group's own there · ctrl+t restrict/open",
                            classes="hint keys")
        yield Label("", id="form-status", classes="status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(TabbedContent).loading = True
        gid = self.group_id
        self.run_job(lambda: read_form(gid), self.show_form, name="load", failed=self.load_failed)

    async def show_form(self, form: FormData) -> None:
        """Fill the form in with what was read, and hand it over."""
        g = self.group = form.group
        taxes = [(models.clean_line(t.name), t.id) for t in form.tax_classes]
        tax = self.query_one("#tax_class_id", Select)
        tax.set_options(taxes)
        if g is not None:
            self.version = g.version
            self.title = f"Edit group: {models.clean_line(g.name)}"
            self.query_one("#code", Input).value = g.code
            self.query_one("#name", Input).value = g.name
            self.query_one("#description", Input).value = g.description.replace("\n", " ")
            self.query_one("#discount_percent", Input).value = percent(g.discount_percent).rstrip("%")
            self.query_one("#free_shipping", Tick).value = bool(g.free_shipping)
            self.query_one("#hidden", Tick).value = bool(g.hidden)
            if g.tax_class_id is not None:
                tax.value = g.tax_class_id
        elif taxes:
            tax.value = taxes[0][1]
        self.query_one("#member-filter", FilterBar).set_groups(form.group_codes)
        await self.access_editor.show(form.grants)
        self._initial = self.data()
        self._initial_access = self.access_editor.values()
        self.query_one(TabbedContent).loading = False
        if self.initial_tab == "access":
            if (tick := self.access_editor.first_tick()) is not None:
                tick.focus()
        elif self.initial_tab == "general":
            self.query_one("#name" if g is not None else "#code", Input).focus()
        self.loaded()

    # -- data ----------------------------------------------------------------
    def data(self) -> dict[str, Any]:
        """The general fields as typed, for models.create_group/update_group."""
        tax = self.query_one("#tax_class_id", Select).value
        out: dict[str, Any] = {
            "code": self.query_one("#code", Input).value,
            "name": self.query_one("#name", Input).value,
            "description": self.query_one("#description", Input).value,
            "tax_class_id": None if tax is Select.NULL else tax,
            "discount_percent": self.query_one("#discount_percent", Input).value,
            "free_shipping": self.query_one("#free_shipping", Tick).value,
            "hidden": self.query_one("#hidden", Tick).value,
        }
        if self.group is not None:
            del out["code"]
            if out["description"] == self.group.description.replace("\n", " "):
                out["description"] = self.group.description  # keep line breaks not shown
        return out

    @property
    def table(self) -> CustomerTable:
        return self.query_one("#members", CustomerTable)

    @property
    def access_editor(self) -> AccessEditor:
        return self.query_one("#access-editor", AccessEditor)

    def is_dirty(self) -> bool:
        return (self.data() != self._initial or self.table.changed
                or self.access_editor.values() != self._initial_access)

    # -- messages ------------------------------------------------------------
    @on(FilterBar.Changed, "#member-filter")
    def filter_changed(self, event: FilterBar.Changed) -> None:
        self.table.set_filter(event.filter)

    @on(FilterBar.Submitted, "#member-filter")
    def filter_submitted(self) -> None:
        self.table.focus()

    @on(CustomerTable.Status, "#members")
    def status_changed(self, event: CustomerTable.Status) -> None:
        self.query_one("#selection-status", Label).update(event.table.status_text())

    @on(TabbedContent.TabActivated)
    def tab_changed(self) -> None:
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("save", "next", "find") and not self.is_loaded:
            return None  # not before the form is filled in
        if action == "next":
            return self.query_one(TabbedContent).active != TABS[-1]
        if action == "save":
            return not self.saving or None
        return True

    # -- actions -------------------------------------------------------------
    def action_find(self) -> None:
        self.query_one(TabbedContent).active = "customers"
        self.query_one("#f-text", Input).focus()

    def action_next(self) -> None:
        tabs = self.query_one(TabbedContent)
        if tabs.active == "general":
            tabs.active = "customers"
            self.table.focus()
        elif tabs.active == "customers":
            tabs.active = "access"
            if (tick := self.access_editor.first_tick()) is not None:
                tick.focus()

    def action_cancel(self) -> None:
        if self.saving:
            self.notify("Saving… please wait.", severity="warning")
            return
        if not self.is_loaded or not self.is_dirty():
            self.dismiss(None)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.dismiss(None)

        self.app.push_screen(ConfirmModal("Discard changes?", "You have unsaved changes. Discard them?",
                                          yes="Discard", no="Keep editing"), answered)

    def show_errors(self, errors: dict[str, str]) -> None:
        """Each message under its field, naming it; any other in a notification."""
        for name in ERROR_FIELDS:
            message = errors.get(name, "")
            label = self.query_one(f"#err-{name}", Label)
            label.update(f"{FIELD_LABELS[name]}: {message}" if message else "")
            label.set_class(bool(message), "-shown")
        access_errors = self.access_editor.show_errors(errors)
        other = {k: v for k, v in errors.items()
                 if k not in ERROR_FIELDS and not k.startswith("category_discounts[")}
        if access_errors and not any(k in errors for k in ERROR_FIELDS):
            self.query_one(TabbedContent).active = "access"
        if other:
            self.notify("; ".join(f"{k}: {v}" for k, v in other.items()), severity="error", markup=False)

    def action_save(self) -> None:
        if self.saving or not self.is_loaded:
            return
        data = self.data()
        members = self.table.selection
        access, discounts = self.access_editor.values()
        if (access, discounts) == self._initial_access and self.group is not None:
            access_arg: set[int] | None = None
            discounts_arg: dict[int, str] | None = None
        else:
            access_arg, discounts_arg = access, discounts
        group, version = self.group, self.version
        self.show_errors({})

        def job() -> tuple[int, int]:
            if group is None:
                g, added = models.create_group(data, members=members, access=access_arg, discounts=discounts_arg)
                return g.id, models.group_member_count(g.id)
            g, _added, _removed = models.update_group(group.id, data, expected_version=version, members=members,
                                                      access=access_arg, discounts=discounts_arg)
            return g.id, models.group_member_count(g.id)

        self._set_saving(True)
        self.run_job(job, self.saved, name="save", failed=self.save_failed)

    def _set_saving(self, saving: bool) -> None:
        self.saving = saving
        self.query_one(TabbedContent).loading = saving
        status = self.query_one("#form-status", Label)
        status.update("Saving… this can take a few seconds for large selections." if saving else "")
        status.set_class(saving, "-busy")
        self.refresh_bindings()

    def saved(self, result: tuple[int, int]) -> None:
        group_id, members = result
        self._set_saving(False)
        self.notify(f"Saved with {members:,} member{'s' if members != 1 else ''}.", title="Group saved")
        self.dismiss(group_id)

    def save_failed(self, exc: BaseException) -> None:
        self._set_saving(False)
        if isinstance(exc, models.ValidationError):
            self.show_errors(exc.errors)
            if any(k in exc.errors for k in ERROR_FIELDS):
                self.query_one(TabbedContent).active = "general"
                for name in ERROR_FIELDS:
                    if name in exc.errors:
                        self.query_one(f"#{name}").focus()
                        break
            return
        title = "Changed by someone else" if isinstance(exc, models.ConflictError) else "Not saved"
        self.query_one("#form-status", Label).update(f"Not saved: {error_message(exc)}")
        self.notify(error_message(exc), title=title, severity="error", timeout=10, markup=False)


# --------------------------------------------------------------------------
# View
# --------------------------------------------------------------------------


class GroupViewScreen(Screen, GroupActions):
    """A group's details and its members."""

    BINDINGS = [
        Binding("escape", "back", "Back", tooltip="Back to the list"),
        Binding("e", "edit", "Edit", tooltip="Edit this group"),
        Binding("d", "delete", "Delete", tooltip="Delete this group"),
        Binding("slash", "find", "Find", tooltip="Filter the members"),
        Binding("c", "access", "Access", show=False,
                tooltip="What this group may see and its category discounts (Guest: visitors)"),
        Binding("u", "rules", "Rules", tooltip="The rules that add and remove members automatically"),
    ]

    def __init__(self, group_id: int) -> None:
        super().__init__()
        self.group_id = group_id
        self.row: models.GroupRow | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield AreaBar()
        yield Static("Loading…", id="group-details")
        yield Label("Members", classes="section-title")
        yield FilterBar(full=False, id="member-filter")
        yield Label("", id="members-status", classes="status")
        yield CustomerTable(selectable=False, customer_filter=models.CustomerFilter(group_id=self.group_id),
                            id="members")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#members", CustomerTable).focus()
        self.load()

    def load(self) -> None:
        gid = self.group_id

        self.run_job(lambda: models.group_row(gid), self.show, name="group")

    def show(self, row: models.GroupRow) -> None:
        self.row = row
        self.title = f"Group: {models.clean_line(row.name)}"
        text = Text(no_wrap=False)
        text.append(f"{'Name':<14}", style="bold")
        text.append(models.clean_line(row.name))
        if row.is_system:
            text.append("  (system group: locked)", style="italic")
        if row.hidden:
            text.append("  (hidden: never shown to customers)", style="italic")
        pairs = [
            ("Code", row.code), ("Members", f"{row.member_count:,}"),
            ("Tax class", row.tax_class or "none"), ("Discount", percent(row.discount_percent)),
            ("Free shipping", yes_no(row.free_shipping)), ("Hidden", yes_no(row.hidden)),
        ]
        for i, (label, value) in enumerate(pairs):
            text.append("\n" if i % 2 == 0 else "  ")
            text.append(f"{label:<14}", style="bold")
            value = models.clean_line(value)
            text.append(value.ljust(24) if i % 2 == 0 else value)
        text.append("\n")
        text.append(f"{'Description':<14}", style="bold")
        text.append(models.clean_line(row.description.replace("\n", " ")))
        self.query_one("#group-details", Static).update(text)

    @on(FilterBar.Changed, "#member-filter")
    def filter_changed(self, event: FilterBar.Changed) -> None:
        flt = dataclasses.replace(event.filter, group_id=self.group_id)
        self.query_one("#members", CustomerTable).set_filter(flt)

    @on(FilterBar.Submitted, "#member-filter")
    def filter_submitted(self) -> None:
        self.query_one("#members", CustomerTable).focus()

    @on(CustomerTable.Status, "#members")
    def status_changed(self, event: CustomerTable.Status) -> None:
        self.query_one("#members-status", Label).update(event.table.status_text())

    @on(CustomerTable.Opened, "#members")
    def open_customer(self, event: CustomerTable.Opened) -> None:
        """Enter on a member: the customer screen, on this mode's stack (Esc comes back here)."""
        self.app.push_screen(CustomerScreen(event.customer_id))

    def action_back(self) -> None:
        self.dismiss(None)

    def action_find(self) -> None:
        self.query_one("#f-text", Input).focus()

    def action_edit(self) -> None:
        if self.row is not None:
            self.edit_group(self.row)

    def action_delete(self) -> None:
        if self.row is not None:
            self.delete_group(self.row)

    def action_access(self) -> None:
        if self.row is not None:
            self.edit_access(self.row)

    def action_rules(self) -> None:
        if self.row is not None:
            self.edit_rules(self.row)

    def on_screen_resume(self) -> None:
        if self.row is not None:  # back from rules or access: members may have changed
            self.load()
            self.query_one("#members", CustomerTable).reload()

    def after_edit(self, group_id: int | None) -> None:
        if group_id is not None:
            self.load()
            self.query_one("#members", CustomerTable).reload()

    def deleted(self, row: models.GroupRow, removed: int) -> None:
        super().deleted(row, removed)
        self.dismiss(None)
