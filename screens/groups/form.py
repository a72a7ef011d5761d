"""The Add/Edit form of a customer group: general information, the members
and what the group may see, on three tabs."""

from __future__ import annotations

import dataclasses
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Header, Input, Label, Select, TabbedContent, TabPane

from backroom import models
from backroom.screens.grants import AccessEditor, Grants, read_grants
from backroom.tui.areas import AreaBar, Footer
from backroom.tui.background import LoadsInBackground, error_message
from backroom.tui.customertable import CustomerTable
from backroom.tui.dialogs import ConfirmModal, count_to_type
from backroom.tui.drafts import KeepsDraft, selection_from_json, selection_to_json
from backroom.tui.filters import FilterBar
from backroom.tui.firstshow import StyledOnMount
from backroom.tui.formatters import percent
from backroom.tui.forms import Field, Form, Row, Tick, confirm_discard, hint
from backroom.tui.safetext import SafeInput, line_text
from backroom.tui.keys import WaitsForLists
from backroom.tui.safetext import safe_line
from backroom.tui.statusline import show_status
from backroom.tui.tickhistory import TickHistory

TABS = ("general", "customers", "access")


def shown_description(description: str) -> str:
    """A description on the form's one line: its line breaks as spaces."""
    return description.replace("\n", " ")


def general_values(g: models.CustomerGroup) -> dict[str, Any]:
    """The General information fields for a group as stored."""
    return {"code": g.code, "name": g.name, "description": shown_description(g.description),
            "discount_percent": percent(g.discount_percent).rstrip("%"),
            "free_shipping": bool(g.free_shipping), "hidden": bool(g.hidden)}


@dataclasses.dataclass
class FormData:
    """What the Add/Edit form needs from the database besides the members."""

    group: models.CustomerGroup | None  # None: adding one
    tax_classes: list[models.TaxClass]
    default_tax_class_id: int | None
    group_codes: list[str]
    grants: Grants


def read_form(group_id: int | None) -> FormData:
    """The form's data (reads the database: call it in a worker)."""
    return FormData(group=models.get_group(group_id) if group_id is not None else None,
                    tax_classes=models.tax_classes(),
                    default_tax_class_id=models.default_tax_class_id(),
                    group_codes=[r.code for r in models.list_groups(with_counts=False, sort="code")],
                    grants=read_grants(group_id))


class GroupFormScreen(KeepsDraft, StyledOnMount, Screen[int | None], LoadsInBackground, WaitsForLists):
    """Add a group (``group_id`` None) or edit one: general fields on one tab,
    the members on the next, what it may see and its category discounts on
    the third.  Dismisses with the saved group's id.

    It opens at once and reads the group in a worker; until then the tabs
    show that they are loading and the keys typed wait (LoadsInBackground).
    Unsaved changes are kept as a draft (KeepsDraft), offered back when the
    form is opened again.

    On the Customers tab ctrl+z undoes the admin's last step of ticks (a
    tick, a range, all matching, none, invert), again the one before, up to
    TickHistory.LIMIT steps, saying what it undid; they are selections, not
    lists of customers (tui/tickhistory.py).  In a text box (the General
    tab's fields, the filter's) ctrl+z is the box's: Textual 8.2's Input has
    no undo of its own, so there it only says where ctrl+z works, and never
    changes ticks the admin is not looking at; should Input gain an undo,
    its binding comes first and wins.  On the other tabs it says the same."""

    DRAFT_FORM = "group"
    # Keys wait for the ticks of the rows on screen to be read again after a
    # bulk step or its undo: a space typed next unticks what shows ticked.
    LIST_JOBS = WaitsForLists.LIST_JOBS | {"ticks"}

    AUTO_FOCUS = None  # the first field, once the group is in
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", tooltip="Save the group, its members and its access"),
        Binding("escape", "cancel", "Back", tooltip="Close, asking before discarding changes"),
        Binding("ctrl+n", "next", "Next", tooltip="Go to the next tab"),
        Binding("ctrl+f", "find", "Filter customers", show=False,
                tooltip="Go to the filter above the customers"),
        Binding("ctrl+z", "undo_ticks", "Undo ticks", show=False,
                tooltip="Undo your last step of ticks on the Customers tab (again: the one before)"),
    ]

    def __init__(self, group_id: int | None, *, tab: str = "general") -> None:
        super().__init__()
        self.group_id = group_id
        self.initial_tab = tab
        self.group: models.CustomerGroup | None = None
        self.version: int | None = None
        self.saving = False
        self._initial_access: tuple[set[int], dict[int, str]] = (set(), {})
        # The Customers tab (a filter bar and a windowed table) is built when
        # it is first shown: most edits never open it.  Until then its ticks
        # are the group's members, or a draft's (which count as a change).
        self._members = (models.Selection.members_of(group_id) if group_id is not None
                         else models.Selection.none())
        self._members_from_draft = False
        self._members_built = False
        self._group_codes: list[str] = []
        self.title = "Edit group" if group_id is not None else "Add customer group"

    # -- layout --------------------------------------------------------------
    def compose(self) -> ComposeResult:
        editing = self.group_id is not None
        yield Header()
        yield AreaBar()
        with TabbedContent(initial=self.initial_tab, id="form-tabs"):
            with TabPane("General information", id="general"):
                with VerticalScroll(classes="form", id="general-form"):
                    yield Field("code", SafeInput(max_length=32, disabled=editing, compact=True,
                                                  placeholder="lower-case letters, digits, - or _"), "Code")
                    yield Field("name", SafeInput(max_length=100, compact=True), "Name")
                    yield Field("description", SafeInput(compact=True), "Description")
                    yield Field("tax_class_id", Select([], prompt="none", compact=True), "Tax class")
                    yield Field("discount_percent", SafeInput("0", compact=True, placeholder="0 to 100"), "Discount %")
                    yield Row("", Field("free_shipping", Tick("Free shipping", False, compact=True), None),
                              Field("hidden", Tick("Hidden", False, compact=True), None))
                    yield hint("Ctrl+N: choose the customers · Ctrl+S: save")
            # Its contents are mounted when the tab is first shown (members_tab).
            yield TabPane("Customers", id="customers")
            with TabPane("Access", id="access"):
                # Its rows are mounted when the tab is first shown (few open it).
                yield AccessEditor(id="access-editor", lazy=True)
                yield Label("space tick · a discount % replaces the group's own there · ctrl+t restrict/open",
                            classes="hint keys")
        yield Label("", id="form-status", classes="status", markup=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.form = Form(self.query_one("#general-form"), clean=False)  # clean once the group is in
        self.query_one(TabbedContent).loading = True
        gid, read_draft = self.group_id, self.draft_reader()
        self.run_job(lambda: (read_form(gid), read_draft()), self.show_form, name="load", failed=self.load_failed)

    async def show_form(self, found: tuple[FormData, dict[str, Any] | None]) -> None:
        """Fill the form in with what was read, offer a draft left unsaved,
        and hand it over."""
        form, draft = found
        g = self.group = form.group
        taxes = [(line_text(t.name), t.id) for t in form.tax_classes]
        tax = self.query_one("#tax_class_id", Select)
        tax.set_options(taxes)
        if g is not None:
            self.version = g.version
            self.title = f"Edit group: {models.clean_line(g.name)}"
            for key, value in general_values(g).items():
                self.form.set_value(key, value)
            if g.tax_class_id is not None:
                tax.value = g.tax_class_id
        elif form.default_tax_class_id is not None:  # the shop's default, not the first by name
            tax.value = form.default_tax_class_id
        self._group_codes = form.group_codes
        if self._members_built:
            self.query_one("#member-filter", FilterBar).set_groups(form.group_codes)
        await self.access_editor.show(form.grants)
        self.form.mark_clean()
        self._initial_access = self.access_editor.values()
        self.query_one(TabbedContent).loading = False
        if self.initial_tab == "access":
            await self.access_editor.mount_rows()
            if (tick := self.access_editor.first_tick()) is not None:
                tick.focus()
        elif self.initial_tab == "general":
            self.query_one("#name" if g is not None else "#code", Input).focus()
        elif self.initial_tab == "customers":
            await self.members_tab()
            self.table.focus()
        self.offer_draft(draft, changed_since=draft is not None and draft["values"].get("version") != self.version)
        self.loaded()

    # -- data ----------------------------------------------------------------
    def data(self) -> dict[str, Any]:
        """The general fields for models.create_group; editing, for
        update_group, only those the admin changed: a field left alone is
        not written, so what another program stored in it stays as it was."""
        if self.group is None:
            out = self.form.values()
        else:
            out = self.form.changes()
            out.pop("code", None)  # fixed once the group is made
        if out.get("tax_class_id") is Select.NULL:
            out["tax_class_id"] = None
        return out

    @property
    def table(self) -> CustomerTable:
        """The members' table (only once the Customers tab was shown: see members_tab)."""
        return self.query_one("#members", CustomerTable)

    @property
    def members(self) -> models.Selection:
        """The customers ticked to be the group's members."""
        return self.table.selection if self._members_built else self._members

    @property
    def members_changed(self) -> bool:
        """Whether the ticks differ from the group's members as loaded."""
        return self.table.changed if self._members_built else self._members_from_draft

    async def members_tab(self) -> None:
        """Mount the Customers tab's filter bar and table, the first time it
        is shown; keys typed meanwhile wait for them (and then, as on every
        list, for its first rows)."""
        if self._members_built:
            return
        self._members_built = True
        table = CustomerTable(selectable=True, selection=self._members, id="members")
        table.changed = self._members_from_draft
        table.tick_history = TickHistory()
        bar = FilterBar(full=True, groups=self._group_codes, id="member-filter")
        widgets: list[Widget] = [
            bar, Label("", id="selection-status", classes="status", markup=False), table,
            Label("space tick · shift+↑↓ range · a all matching · n none · i invert · ^z undo",
                  classes="hint keys")]
        queue = getattr(self.app, "key_queue", None)
        if queue is not None:
            queue.hold(table)
        try:
            await self.query_one("#customers", TabPane).mount_all(widgets)
        finally:
            if queue is not None:
                queue.release(table)

    @property
    def access_editor(self) -> AccessEditor:
        return self.query_one("#access-editor", AccessEditor)

    def is_dirty(self) -> bool:
        return (self.form.is_dirty() or self.members_changed
                or self.access_editor.values() != self._initial_access)

    def unsaved_changes(self) -> bool:
        """For the app: F2-F4 ask before closing this form; and for the draft."""
        return self.is_loaded and self.is_dirty()

    # -- the draft ------------------------------------------------------------
    def draft_record(self) -> str:
        return "new" if self.group_id is None else str(self.group_id)

    def draft_values(self) -> dict[str, Any]:
        general = self.form.values()
        if general["tax_class_id"] is Select.NULL:
            general["tax_class_id"] = None
        access, discounts = self.access_editor.values()
        return {"version": self.version, "general": general, "access": sorted(access),
                "discounts": {str(k): v for k, v in discounts.items()},
                "members": selection_to_json(self.members) if self.members_changed else None}

    def apply_draft(self, values: dict[str, Any]) -> None:
        for key, value in values.get("general", {}).items():
            if key == "code" and self.group is not None:
                continue  # fixed once created
            if key == "tax_class_id" and value is None:
                value = Select.NULL
            self.form.set_value(key, value)
        self.access_editor.set_values({int(c) for c in values.get("access", [])},
                                      {int(k): str(v) for k, v in values.get("discounts", {}).items()})
        if values.get("members") is not None:
            members = selection_from_json(values["members"])
            if self._members_built:
                self.table.set_selection(members, "restored the draft's ticks")
            else:  # the table is made with them when its tab is first shown
                self._members, self._members_from_draft = members, True

    @on(CustomerTable.Status, "#members")
    def members_ticked(self, event: CustomerTable.Status) -> None:
        if event.table.changed:
            self.draft_changed()

    # -- messages ------------------------------------------------------------
    @on(FilterBar.Changed, "#member-filter")
    def filter_changed(self, event: FilterBar.Changed) -> None:
        self.table.set_filter(event.filter)

    @on(FilterBar.Submitted, "#member-filter")
    def filter_submitted(self) -> None:
        self.table.focus()

    @on(CustomerTable.Status, "#members")
    def status_changed(self, event: CustomerTable.Status) -> None:
        show_status(self.query_one("#selection-status", Label), event.table.status_text())

    @on(TabbedContent.TabActivated)
    async def tab_changed(self, event: TabbedContent.TabActivated) -> None:
        self.refresh_bindings()
        if event.pane.id == "access":
            await self.show_access_rows()
        elif event.pane.id == "customers":
            await self.members_tab()

    async def show_access_rows(self) -> None:
        """The Access tab's rows, mounted the first time it is shown; the keys
        typed meanwhile wait for them."""
        editor = self.access_editor
        if not editor.rows_pending:
            return
        queue = getattr(self.app, "key_queue", None)
        if queue is not None:
            queue.hold(editor)
        try:
            await editor.mount_rows()
        finally:
            if queue is not None:
                queue.release(editor)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("save", "next", "find", "undo_ticks") and not self.is_loaded:
            return None  # not before the form is filled in
        if action == "next":
            return self.query_one(TabbedContent).active != TABS[-1]
        if action == "save":
            return not self.saving or None
        return True

    # -- actions -------------------------------------------------------------
    async def action_find(self) -> None:
        self.query_one(TabbedContent).active = "customers"
        await self.members_tab()
        self.query_one("#f-text", Input).focus()

    async def action_next(self) -> None:
        tabs = self.query_one(TabbedContent)
        if tabs.active == "general":
            tabs.active = "customers"
            await self.members_tab()
            self.table.focus()
        elif tabs.active == "customers":
            tabs.active = "access"
            await self.show_access_rows()
            if (tick := self.access_editor.first_tick()) is not None:
                tick.focus()

    def action_undo_ticks(self) -> None:
        """Undo the last step of ticks on the Customers tab (see the class)."""
        if isinstance(self.focused, Input) or self.query_one(TabbedContent).active != "customers":
            where = "a text box has no undo" if isinstance(self.focused, Input) else "not on this tab"
            self.notify(f"Nothing undone: {where}. Ctrl+Z in the Customers tab's list undoes your last tick.",
                        severity="warning", markup=False)
            return
        history = self.table.tick_history if self._members_built else None
        what = self.table.undo_ticks() if history is not None else None
        if what is None:
            forgotten = history is not None and history.forgotten
            self.notify(f"Nothing more to undo: the last {history.limit} steps are kept." if forgotten
                        else "Nothing to undo: the ticks are as the form opened them.",
                        severity="warning", markup=False)
            return
        self.notify(f"Undid: {what}.", title="Undo", markup=False, timeout=3)
        self.draft_changed()

    def action_cancel(self) -> None:
        if self.saving:
            self.notify("Saving… please wait.", severity="warning")
            return
        def close() -> None:
            self.closing()  # discarded (or nothing to discard): the draft goes too
            self.dismiss(None)

        confirm_discard(self, close, dirty=self.is_loaded and self.is_dirty())

    def show_errors(self, errors: dict[str, str]) -> bool:
        """Each message under its field, naming it; any other in a
        notification.  True if the General tab shows one."""
        not_general = self.form.show_errors(errors)
        on_general = len(not_general) < len(errors)
        access_errors = self.access_editor.show_errors(errors)
        other = {k: v for k, v in not_general.items() if not k.startswith("category_discounts[")}
        if access_errors and not on_general:
            self.query_one(TabbedContent).active = "access"
        if other:
            self.notify("; ".join(f"{k}: {v}" for k, v in other.items()), severity="error", markup=False)
        return on_general

    def action_save(self) -> None:
        """Save; a save that takes customers out of the group says how many
        first, and goes ahead only once confirmed."""
        if self.saving or not self.is_loaded:
            return
        group, members = self.group, self.members
        if group is not None and not self.is_dirty():
            self.notify("No changes to save.", title="No changes", markup=False)
            return
        if group is None or not self.members_changed:
            self.save()
            return
        gid, name = group.id, safe_line(group.name)

        def count() -> tuple[int, int]:
            now = models.Selection.members_of(gid)
            return models.count_selection(now - members), models.count_selection(members - now)

        def ask(counts: tuple[int, int]) -> None:
            leaving, joining = counts
            if not leaving:
                self.save()
                return
            question = Text("Save ")
            question.append(name, style="bold")
            question.append(": ")
            question.append(f"{leaving:,} customer{'s' if leaving != 1 else ''} leave{'s' if leaving == 1 else ''}",
                            style="bold")
            question.append(f" the group (those whose default group it is move to General), {joining:,} "
                            f"join{'s' if joining == 1 else ''}.")
            self.app.push_screen(ConfirmModal("Remove members", question, yes="Save", no="Keep editing",
                                              typed=count_to_type(leaving)),
                                 lambda yes: self.save() if yes else None)

        self.run_job(count, ask, name="count", hold_keys=True)

    def save(self) -> None:
        if self.saving or not self.is_loaded:
            return
        data = self.data()
        members = self.members
        access, discounts = self.access_editor.values()
        if (access, discounts) == self._initial_access and self.group is not None:
            access_arg: set[int] | None = None
            discounts_arg: dict[int, str] | None = None
        else:
            access_arg, discounts_arg = access, discounts
        group, version = self.group, self.version
        self.show_errors({})

        def job() -> tuple[int, int, bool]:
            if group is None:
                g, added = models.create_group(data, members=members, access=access_arg, discounts=discounts_arg)
                return g.id, models.group_member_count(g.id), True
            g, _added, _removed = models.update_group(group.id, data, expected_version=version, members=members,
                                                      access=access_arg, discounts=discounts_arg)
            # The same version: what was typed came to what was stored (e.g. "10" for 10.00).
            changed = g.version != version or access_arg is not None or bool(discounts_arg)
            return g.id, models.group_member_count(g.id), changed

        self._set_saving(True)
        self.run_job(job, self.saved, name="save", failed=self.save_failed)

    def _set_saving(self, saving: bool) -> None:
        self.saving = saving
        self.query_one(TabbedContent).loading = saving
        status = self.query_one("#form-status", Label)
        status.update("Saving… this can take a few seconds for large selections." if saving else "")
        status.set_class(saving, "-busy")
        self.refresh_bindings()

    def saved(self, result: tuple[int, int, bool]) -> None:
        group_id, members, changed = result
        self._set_saving(False)
        if changed:
            self.notify(f"Saved with {members:,} member{'s' if members != 1 else ''}.", title="Group saved",
                        markup=False)
        else:
            self.notify("No changes: nothing was saved.", title="No changes", markup=False)
        self.drop_draft()
        self.dismiss(group_id)

    def save_failed(self, exc: BaseException) -> None:
        self._set_saving(False)
        if isinstance(exc, models.ValidationError):
            if self.show_errors(exc.errors):
                self.query_one(TabbedContent).active = "general"
                self.form.focus_first_error(exc.errors)
            return
        title = "Changed by someone else" if isinstance(exc, models.ConflictError) else "Not saved"
        self.query_one("#form-status", Label).update(f"Not saved: {error_message(exc)}")
        self.notify(error_message(exc), title=title, severity="error", timeout=10, markup=False)
