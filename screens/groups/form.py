"""The Add/Edit form of a customer group: general information, the members
and what the group may see, on three tabs."""

from __future__ import annotations

import dataclasses
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Header, Input, Label, Select, TabbedContent, TabPane

from backroom import models
from backroom.screens.grants import AccessEditor, Grants, read_grants
from backroom.tui.areas import AreaBar
from backroom.tui.background import LoadsInBackground, error_message
from backroom.tui.customertable import CustomerTable
from backroom.tui.dialogs import ConfirmModal
from backroom.tui.filters import FilterBar
from backroom.tui.formatters import percent
from backroom.tui.forms import Tick

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
