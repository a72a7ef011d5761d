"""Customers: the list and the New customer form.

The customer screen (``CustomerScreen``) and its dialogs live in the
package ``backroom.screens.customer``; they are importable from here too.
Every change goes through an operation in ``models.py``, run in a worker;
text from the database is shown with ``plain()`` or ``markup=False``.
"""

from __future__ import annotations

import importlib
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Header, Input, Label, Select

from backroom import models
from backroom.screens.massactions import MASS_BINDINGS, MASS_ROLE_ACTIONS, CustomerMassActions
from backroom.screens.undo import UNDO_BINDING, UNDO_ROLE_ACTIONS, UndoesMembershipChange
from backroom.tui.areas import AreaBar, Footer
from backroom.tui.background import Background, LoadsInBackground, error_message
from backroom.tui.builtahead import ReadsWhenShown
from backroom.tui.customertable import CustomerTable
from backroom.tui.drafts import KeepsDraft
from backroom.tui.keys import WaitsForLists
from backroom.tui.filters import FilterBar
from backroom.tui.firstshow import StyledOnMount
from backroom.tui.forms import (
    Field,
    Form,
    Tick,
    confirm_discard,
    errors_text,
    hint,
    section,
)
from backroom.tui.safetext import SafeInput, line_text
from backroom.tui.roles import RoleGated
from backroom.tui.statusline import show_status

# The customer screen and its dialogs are imported when first used (PEP 562):
# F2 opening the list imports the list, not the screen Enter opens.
_CUSTOMER = {"CustomerScreen": "backroom.screens.customer", "EraseModal": "backroom.screens.customer.dialogs",
             "GroupPickerModal": "backroom.screens.customer.dialogs",
             "PasswordShownModal": "backroom.screens.customer.dialogs",
             "ResetPasswordModal": "backroom.screens.customer.dialogs"}

__all__ = ["CustomersScreen", "NewCustomerScreen", *_CUSTOMER]


def __getattr__(name: str) -> Any:
    if name not in _CUSTOMER:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_CUSTOMER[name]), name)
    globals()[name] = value
    return value


def _customer_screen(customer_id: int) -> Screen:
    from backroom.screens.customer import CustomerScreen

    return CustomerScreen(customer_id)

# Sort keys of models.customer_page, in the order "s" steps through them.
SORTS: tuple[tuple[str, str], ...] = (
    ("name", "name"), ("email", "email"), ("status", "status"), ("default_group", "default group"),
    ("registered", "registered date"), ("orders", "orders"), ("total_spent", "total spent"),
)


# --------------------------------------------------------------------------
# The list
# --------------------------------------------------------------------------


class CustomersScreen(RoleGated, ReadsWhenShown, CustomerMassActions, UndoesMembershipChange, StyledOnMount, Screen,
                      Background, WaitsForLists):
    """Every customer, as a window over the database: filter, sort, open.
    Keys typed for the list wait while it is being read (WaitsForLists)."""

    ROLE_ACTIONS = {"add": "customers", "import_customers": "import", "export_customers": "export",
                    **MASS_ROLE_ACTIONS, **UNDO_ROLE_ACTIONS}

    keys_ready = True
    # The list has the focus from the first: Textual's default gave it to the
    # filter's text box as the screen mounted, only for on_mount to take it
    # away again (both restyling the box, and the footer built for each).
    AUTO_FOCUS = "#customer-list"

    TITLE = "Customers"
    BINDINGS = [
        Binding("a", "add", "New", tooltip="Create a customer"),
        Binding("s", "sort", "Sort", tooltip="Sort by the next column"),
        Binding("r", "reverse", "Reverse", tooltip="Flip the sort direction"),
        Binding("slash", "find", "Find", tooltip="Filter the customers"),
        Binding("f5", "refresh", "Refresh", show=False, tooltip="Fetch the customers again"),
        Binding("i", "import_customers", "Import customers", show=False,
                tooltip="Import customers from a Shopify, Magento, PrestaShop, WooCommerce or Backroom file"),
        Binding("e", "export_customers", "Export customers", show=False,
                tooltip="Write the customers the filter finds to a CSV file"),
    ] + MASS_BINDINGS + [UNDO_BINDING]

    def __init__(self) -> None:
        super().__init__()
        self._opened = False
        self._away = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield AreaBar()
        yield FilterBar(full=True, id="customer-filter")  # its groups come from load_groups()
        yield Label("Loading…", id="customers-status", classes="status", markup=False)
        table = CustomerTable(selectable=False, tickable=True, full=True, id="customer-list",
                              read_now=not self.built_ahead)
        if not self.built_ahead:
            table.read_ahead(self)  # the rows are read while the screen is built
        yield table
        yield Footer(compact=True)

    @property
    def table(self) -> CustomerTable:
        return self.query_one("#customer-list", CustomerTable)

    def on_mount(self) -> None:
        self.table.focus()
        if not self.waits_until_shown():  # (built ahead: the rows and the groups are read when first shown)
            self.load_groups()

    def load_groups(self) -> None:
        """The group filter's choices, read in a worker."""

        def loaded(codes: list[str]) -> None:
            bar = self.query_one("#customer-filter", FilterBar)
            bar.group_codes = codes
            bar.query_one("#f-group", Select).set_options([(line_text(c), c) for c in codes])

        self.run_job(lambda: [r.code for r in models.list_groups(with_counts=False, sort="code")], loaded,
                     name="groups")

    def on_screen_suspend(self) -> None:
        # Left for another screen (a customer, another area: Groups, where a
        # save or a mass action changes memberships) rather than a dialog of
        # this list's own (whose action refreshes what it changed).
        self._away = not isinstance(self.app.screen, ModalScreen)

    def on_screen_resume(self) -> None:
        # Built ahead, shown for the first time: the list as it is now, in the
        # first frame; the group filter's choices once it is drawn.
        if self.shown_first(then=self.load_groups):
            return
        if self._opened or self._away:  # what is shown may have changed meanwhile (here or by another admin)
            self._opened = self._away = False
            self.table.refresh_rows()  # the rows around the cursor and the count, read again

    @on(FilterBar.Changed)
    def filter_changed(self, event: FilterBar.Changed) -> None:
        self.table.set_filter(event.filter)

    @on(FilterBar.Submitted)
    def filter_submitted(self) -> None:
        self.table.focus()

    @on(CustomerTable.Status)
    def status_changed(self, event: CustomerTable.Status) -> None:
        table = event.table
        sort = dict(SORTS).get(table.sort, table.sort)
        direction = "descending" if table.descending else "ascending"
        show_status(self.query_one("#customers-status", Label),
                    f"{table.status_text()} · sorted by {sort}, {direction}")
        self.rows_in(table.current_id(), table.total)

    @on(CustomerTable.Opened)
    def open_customer(self, event: CustomerTable.Opened) -> None:
        self._opened = True
        self.app.push_screen(_customer_screen(event.customer_id))

    def action_find(self) -> None:
        self.query_one("#f-text", Input).focus()

    def action_sort(self) -> None:
        keys = [k for k, _ in SORTS]
        table = self.table
        nxt = keys[(keys.index(table.sort) + 1) % len(keys)] if table.sort in keys else keys[0]
        table.set_sort(nxt, False)

    def action_reverse(self) -> None:
        self.table.set_sort(self.table.sort, not self.table.descending)

    def action_refresh(self) -> None:
        self.table.refresh_rows()

    def undo_status(self) -> Label:
        return self.query_one("#customers-status", Label)

    def after_undo(self) -> None:
        self.table.refresh_rows()

    def action_import_customers(self) -> None:
        from backroom.screens.transfer import ImportScreen  # opened rarely: loaded when first asked for

        self.app.push_screen(ImportScreen(), lambda _: self.action_refresh())

    def action_export_customers(self) -> None:
        from backroom.screens.transfer import export_customers

        flt = self.table.customer_filter
        ticked = self.table.ticks.selection if self.table.selectable else models.Selection.none()
        if ticked.op != "none":  # what is ticked, else what the filter finds
            export_customers(self, flt, "the ticked customers", selection=ticked)
            return
        export_customers(self, flt, "the customers the filter finds" if flt.expression() is not None
                         else "every customer")

    def action_add(self) -> None:
        def created(customer_id: int | None) -> None:
            if customer_id is not None:
                self.table.refresh_rows()
                self._opened = True
                self.app.push_screen(_customer_screen(customer_id))

        self.app.push_screen(NewCustomerScreen(), created)


# --------------------------------------------------------------------------
# New customer
# --------------------------------------------------------------------------

LOADING = -1  # the group choice while the groups are read


def _address_fields(prefix: str) -> ComposeResult:
    from backroom.screens.customer.addresses import address_fields

    return address_fields(prefix, None)


class NewCustomerScreen(KeepsDraft, Screen[int | None], LoadsInBackground):
    """The short form for a customer on the phone.  Nothing is saved until
    every field is valid; dismisses with the new customer's id.  What is
    typed is kept as a draft until then (never the password).  The keys
    typed wait until its groups are read (LoadsInBackground): until then
    the Group box is disabled, and a Tab typed ahead skipped it, so what
    followed went into the field after the one meant."""

    TITLE = "New customer"
    DRAFT_FORM = "new-customer"
    NOT_KEPT = ("password", "generate")
    AUTO_FOCUS = "#first_name"
    BINDINGS = [
        Binding("ctrl+s", "save", "Create", tooltip="Create the customer"),
        Binding("escape", "cancel", "Back", tooltip="Close, asking before discarding what was typed"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.saving = False
        self._group_ids: set[int] = set()

    def compose(self) -> ComposeResult:
        yield Header()
        yield AreaBar()
        with VerticalScroll(id="new-form", classes="form"):
            yield Field("first_name", SafeInput(compact=True), "First name")
            yield Field("last_name", SafeInput(compact=True), "Last name")
            yield Field("email", SafeInput(compact=True, placeholder="required, unique"), "Email")
            yield Field("phone", SafeInput(compact=True), "Phone")
            yield Field("group", Select([("Loading…", LOADING)], value=LOADING, allow_blank=False, compact=True,
                                        disabled=True), "Group")
            yield Field("password", SafeInput(password=True, compact=True,
                                              placeholder="temporary password, or leave empty"), "Password")
            yield Field("generate", Tick("Generate a temporary password (shown once)", False, compact=True),
                        error_name="Password")
            yield section("Billing address (optional)")
            yield from _address_fields("billing")
            yield hint("Ctrl+S: create · Esc: back")
        yield Label("", id="form-status", classes="status", markup=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.form = Form(self)
        read_draft = self.draft_reader()

        def loaded(found: tuple[list[models.GroupRow], dict[str, Any] | None]) -> None:
            groups, draft = found
            self._group_ids = {g.id for g in groups}
            box = self.query_one("#group", Select)
            box.set_options([(line_text(g.name), g.id) for g in groups])
            general = next((g.id for g in groups if g.code == "general"), None)
            if general is not None:
                self.form.set_value("group", general, clean=True)
            else:
                self.form.clean_values["group"] = box.value
            box.disabled = False
            self.offer_draft(draft)
            self.loaded()

        self.run_job(lambda: (models.assignable_groups(), read_draft()), loaded, name="groups",
                     failed=self.load_failed)

    @on(Tick.Changed, "#generate")
    def generate_changed(self, event: Tick.Changed) -> None:
        box = self.query_one("#password", Input)
        box.disabled = event.value
        if event.value:
            box.value = ""

    def unsaved_changes(self) -> bool:
        """For the app: F2-F4 ask before closing this form; and for the draft."""
        return self.form.is_dirty()

    def draft_record(self) -> str:
        return "new"

    def draft_values(self) -> dict[str, Any]:
        values = {k: v for k, v in self.form.values().items() if k not in self.NOT_KEPT}
        if values["group"] in (Select.NULL, LOADING):
            values["group"] = None
        return values

    def apply_draft(self, values: dict[str, Any]) -> None:
        fields = {f.key for f in self.form.fields()}
        for key, value in values.items():
            if key in fields and key not in self.NOT_KEPT:
                if key == "group" and value not in self._group_ids:
                    continue  # that group is gone (or not offered): keep the default
                self.form.set_value(key, value)

    def action_cancel(self) -> None:
        if not self.saving:
            def close() -> None:
                self.closing()  # discarded (or nothing to discard): the draft goes too
                self.dismiss(None)

            confirm_discard(self, close, dirty=self.form.is_dirty())

    def action_save(self) -> None:
        if self.saving:
            return
        v = self.form.values()
        group_id = None if v["group"] in (Select.NULL, LOADING) else int(v["group"])
        billing: dict[str, Any] | None = self.form.values("billing.")
        if not any(value.strip() for value in billing.values()):
            billing = None
        customer = {k: v[k] for k in ("first_name", "last_name", "email", "phone")}
        generate, typed = v["generate"], v["password"]

        def job() -> tuple[int, str, str | None]:
            password = models.generate_password() if generate else (typed or None)
            c = models.create_customer(customer, group_id=group_id, password=password, billing=billing)
            return c.id, c.full_name or c.email, password if generate else None

        self.saving = True
        self.form.clear_errors()
        self.query_one("#form-status", Label).update("Creating…")
        self.run_job(job, self.created, name="create", failed=self.failed)

    def created(self, result: tuple[int, str, str | None]) -> None:
        cid, who, generated = result
        self.saving = False
        self.drop_draft()
        self.notify(f"Created {models.clean_line(who)}.", title="Customer created", markup=False)
        if generated:
            from backroom.screens.customer.dialogs import PasswordShownModal

            self.app.push_screen(PasswordShownModal(who, generated), lambda _: self.dismiss(cid))
        else:
            self.dismiss(cid)

    def failed(self, exc: BaseException) -> None:
        self.saving = False
        status = self.query_one("#form-status", Label)
        if isinstance(exc, models.ValidationError):
            other = self.form.show_errors(exc.errors)
            self.form.focus_first_error(exc.errors)
            status.update("Not created: correct the fields marked in red.")
            if other:
                self.notify(errors_text(other), severity="error", markup=False)
            return
        status.update(f"Not created: {error_message(exc)}")
        self.notify(error_message(exc), title="Not created", severity="error", markup=False)
