"""Customers: the list, the New customer form and the customer screen
(Account, Addresses, Groups, Orders, Reward points, Reviews), with password
reset, disabling and erasure of personal data.

Every change goes through an operation in ``models.py``, run in a worker;
text from the database is shown with ``plain()`` or ``markup=False``.
"""

from __future__ import annotations

from typing import Any, Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import (Button, DataTable, Footer, Header, Input, Label, OptionList, Select, Static,
                             TabbedContent, TabPane)
from textual.widgets.option_list import Option

from backroom import models
from backroom.screens.reviews import ReviewsScreen
from backroom.tui.background import Background, error_message
from backroom.tui.widgets import AreaBar, ConfirmModal, CustomerTable, FilterBar, InputDialog, Tick, date_text, money, plain

# Sort keys of models.customer_page, in the order "s" steps through them.
SORTS: tuple[tuple[str, str], ...] = (
    ("name", "name"), ("email", "email"), ("status", "status"), ("default_group", "default group"),
    ("registered", "registered date"), ("orders", "orders"), ("total_spent", "total spent"),
)

LANGUAGE_NAMES = {"en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian",
                  "nl": "Dutch", "pl": "Polish", "pt": "Portuguese", "sv": "Swedish"}

FIELD_LABELS = {
    "first_name": "First name", "last_name": "Last name", "email": "Email", "phone": "Phone",
    "group": "Group", "password": "Password", "status": "Status", "account_type": "Account type",
    "tax_exempt": "Tax exempt", "language": "Language", "delta": "Points", "reason": "Reason",
    "confirm_email": "Email",
}
ADDRESS_LABELS = {"name": "Name", "line1": "Address", "line2": "Address 2", "city": "City",
                  "region": "Region", "postcode": "Postcode", "country": "Country"}
ADDRESS_HINTS = {"country": "two letters: GB, DE…"}


def label_for(key: str) -> str:
    """"billing.city" -> "Billing city"; "email" -> "Email"."""
    if "." in key:
        kind, name = key.split(".", 1)
        return f"{kind.capitalize()} {ADDRESS_LABELS.get(name, name).lower()}"
    return FIELD_LABELS.get(key, key.replace("_", " ").capitalize())


def field_id(key: str) -> str:
    return key.replace(".", "-")


def field(key: str, widget: Widget, label: str | None = None) -> ComposeResult:
    """A labelled input with an error line under it (``#err-<key>``)."""
    with Horizontal(classes="c-field", id=f"field-{field_id(key)}"):
        yield Label(label or label_for(key), classes="c-label")
        with Vertical(classes="c-input"):
            yield widget
            yield Label("", id=f"err-{field_id(key)}", classes="error c-error", markup=False)


def show_field_errors(screen: Screen, keys: list[str], errors: dict[str, str]) -> dict[str, str]:
    """Each message under its field, naming it; returns the errors no field shows."""
    for key in keys:
        message = errors.get(key, "")
        for lbl in screen.query(f"#err-{field_id(key)}").results(Label):
            lbl.update(f"{label_for(key)}: {message}" if message else "")
            lbl.set_class(bool(message), "-shown")
    return {k: v for k, v in errors.items() if k not in keys}


def focus_first_error(screen: Screen, keys: list[str], errors: dict[str, str]) -> None:
    for key in keys:
        if key in errors:
            for widget in screen.query(f"#{field_id(key)}"):
                widget.focus()
                return


def address_fields(kind: str, address: models.Address | None, *, disabled: bool = False) -> ComposeResult:
    for name in models.ADDRESS_LIMITS:
        value = getattr(address, name) if address is not None else ""
        yield from field(f"{kind}.{name}", Input(value or "", id=f"{kind}-{name}", compact=True,
                                                 disabled=disabled, placeholder=ADDRESS_HINTS.get(name, "")),
                         label=ADDRESS_LABELS[name])


def read_address(screen: Screen, kind: str) -> dict[str, str]:
    return {name: screen.query_one(f"#{kind}-{name}", Input).value for name in models.ADDRESS_LIMITS}


def assignable_groups() -> list[models.GroupRow]:
    return [g for g in models.list_groups(with_counts=False, sort="name") if not g.is_system or g.code == "general"]


# --------------------------------------------------------------------------
# The list
# --------------------------------------------------------------------------


class CustomersScreen(Screen, Background):
    """Every customer, as a window over the database: filter, sort, open."""

    TITLE = "Customers"
    BINDINGS = [
        Binding("a", "add", "New", tooltip="Create a customer"),
        Binding("s", "sort", "Sort", tooltip="Sort by the next column"),
        Binding("r", "reverse", "Reverse", tooltip="Flip the sort direction"),
        Binding("slash", "find", "Find", tooltip="Filter the customers"),
        Binding("f5", "refresh", "Refresh", show=False, tooltip="Fetch the customers again"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._opened = False

    def compose(self) -> ComposeResult:
        groups = [r.code for r in models.list_groups(with_counts=False, sort="code")]
        yield Header()
        yield AreaBar()
        yield FilterBar(full=True, groups=groups, id="customer-filter")
        yield Label("", id="customers-status", classes="status")
        yield CustomerTable(selectable=False, full=True, id="customer-list")
        yield Footer(compact=True)

    @property
    def table(self) -> CustomerTable:
        return self.query_one("#customer-list", CustomerTable)

    def on_mount(self) -> None:
        self.table.focus()

    def on_screen_resume(self) -> None:
        if self._opened:  # back from a customer: what is shown may have changed
            self._opened = False
            self.table.refresh_rows()

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
        self.query_one("#customers-status", Label).update(
            f"{table.status_text()} · sorted by {sort}, {direction}")

    @on(CustomerTable.Opened)
    def open_customer(self, event: CustomerTable.Opened) -> None:
        self._opened = True
        self.app.push_screen(CustomerScreen(event.customer_id))

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

    def action_add(self) -> None:
        def created(customer_id: int | None) -> None:
            if customer_id is not None:
                self.table.refresh_rows()
                self._opened = True
                self.app.push_screen(CustomerScreen(customer_id))

        self.app.push_screen(NewCustomerScreen(), created)


# --------------------------------------------------------------------------
# Dialogs
# --------------------------------------------------------------------------


class PasswordShownModal(ModalScreen[None]):
    """A generated password, shown once: nothing keeps it after this closes."""

    BINDINGS = [Binding("escape,enter", "close", "Close", tooltip="Close; the password is not shown again")]

    def __init__(self, who: str, password: str) -> None:
        super().__init__()
        self.who = who
        self._password = password

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog summary", id="dialog"):
            yield Label("Temporary password", classes="dialog-title")
            body = Text(f"The temporary password for {models.clean_line(self.who)} is:\n\n")
            body.append(f"  {self._password}  ", style="bold reverse")
            body.append("\n\nGive it to the customer now: it is not shown again.")
            yield Static(body, id="password-body", classes="dialog-body", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Close (enter)", id="close", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#close", Button).focus()

    @on(Button.Pressed)
    def pressed(self) -> None:
        self.action_close()

    def action_close(self) -> None:
        self._password = ""
        self.query_one("#password-body", Static).update("")
        self.dismiss(None)


class ResetPasswordModal(InputDialog, Background):
    """Type a temporary password, or leave it empty for a generated one.
    Dismisses with (generated, password) once it is set."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", tooltip="Close without changing the password"),
        Binding("ctrl+s", "submit", "Set password", tooltip="Set the temporary password"),
    ]

    def __init__(self, customer_id: int, who: str) -> None:
        super().__init__()
        self.customer_id = customer_id
        self.who = who

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog summary", id="dialog"):
            yield Label("Reset password", classes="dialog-title")
            yield Static(Text(f"A new temporary password for {models.clean_line(self.who)}. Type one, "
                              "or leave it empty to generate one (shown once)."), classes="dialog-body")
            yield Input(id="new-password", password=True, compact=True, placeholder="empty: generate one")
            yield Label("", id="err-password", classes="error c-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Set (enter)", id="set", variant="error")
                yield Button("Cancel (esc)", id="cancel", variant="primary")

    def action_submit(self) -> None:
        typed = self.query_one("#new-password", Input).value
        cid = self.customer_id
        generated = typed == ""

        def job() -> str:
            return models.reset_password(cid, None if generated else typed)

        def failed(exc: BaseException) -> None:
            lbl = self.query_one("#err-password", Label)
            message = exc.errors.get("password", str(exc)) if isinstance(exc, models.ValidationError) \
                else error_message(exc)
            lbl.update(f"Password: {message}")
            lbl.add_class("-shown")

        def done(password: str) -> None:
            self.query_one("#new-password", Input).value = ""
            self.dismiss((generated, password))

        self.run_job(job, done, name="reset", failed=failed)


class EraseModal(InputDialog, Background):
    """Erase a customer's personal data, confirmed by typing their email.
    Dismisses with True once erased."""

    CANCELLED = False

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", tooltip="Close without erasing"),
        Binding("ctrl+s", "submit", "Erase", tooltip="Erase the personal data"),
    ]

    def __init__(self, customer: models.Customer) -> None:
        super().__init__()
        self.customer = customer

    def compose(self) -> ComposeResult:
        c = self.customer
        with Vertical(classes="dialog", id="dialog"):
            yield Label("Erase personal data", classes="dialog-title")
            body = Text("Erase the name, email, phone, addresses and password of ")
            body.append(models.clean_line(c.full_name or c.email), style="bold")
            body.append(". Orders and reviews stay, anonymised. This cannot be undone.\n\nType the email ")
            body.append(models.clean_line(c.email), style="bold")
            body.append(" to confirm:")
            yield Static(body, classes="dialog-body", markup=False)
            yield Input(id="confirm_email", compact=True, placeholder="the customer's email")
            yield Label("", id="err-confirm_email", classes="error c-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Erase (enter)", id="erase", variant="error")
                yield Button("Cancel (esc)", id="cancel", variant="primary")

    def action_submit(self) -> None:
        typed = self.query_one("#confirm_email", Input).value
        cid = self.customer.id

        def failed(exc: BaseException) -> None:
            lbl = self.query_one("#err-confirm_email", Label)
            message = exc.errors.get("confirm_email", str(exc)) if isinstance(exc, models.ValidationError) \
                else error_message(exc)
            lbl.update(message)
            lbl.add_class("-shown")

        self.run_job(lambda: models.erase_customer(cid, typed), lambda _c: self.dismiss(True), name="erase",
                     failed=failed)


class GroupPickerModal(ModalScreen[int | None]):
    """Pick a group to add the customer to (Enter), or Escape."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", tooltip="Close without adding")]

    def __init__(self, groups: list[models.GroupRow]) -> None:
        super().__init__()
        self.groups = groups

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog summary", id="dialog"):
            yield Label("Add to group", classes="dialog-title")
            options = []
            for g in self.groups:
                text = Text(models.clean_line(g.name))
                text.append(f" ({models.clean_line(g.code)})", style="dim")
                if g.hidden:
                    text.append("  hidden", style="italic")
                if g.is_system:
                    text.append("  system", style="italic")
                options.append(Option(text, id=str(g.id)))
            yield OptionList(*options, id="group-options")
            yield Label("↑↓ choose · enter add · esc cancel", classes="hint")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(event.option.id or 0))

    def action_cancel(self) -> None:
        self.dismiss(None)


def confirm_discard(screen: Screen, then: Callable[[], Any]) -> None:
    def answered(yes: bool | None) -> None:
        if yes:
            then()

    screen.app.push_screen(ConfirmModal("Discard changes?", "You have unsaved changes. Discard them?",
                                        yes="Discard", no="Keep editing"), answered)


# --------------------------------------------------------------------------
# New customer
# --------------------------------------------------------------------------

NEW_FIELDS = ["first_name", "last_name", "email", "phone", "group", "password"] + [
    f"billing.{n}" for n in models.ADDRESS_LIMITS]


class NewCustomerScreen(Screen[int | None], Background):
    """The short form for a customer on the phone.  Nothing is saved until
    every field is valid; dismisses with the new customer's id."""

    TITLE = "New customer"
    AUTO_FOCUS = "#first_name"
    BINDINGS = [
        Binding("ctrl+s", "save", "Create", tooltip="Create the customer"),
        Binding("escape", "cancel", "Back", tooltip="Close, asking before discarding what was typed"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.saving = False
        self._initial: dict[str, Any] = {}

    def compose(self) -> ComposeResult:
        groups = assignable_groups()
        general = next((g.id for g in groups if g.code == "general"), Select.NULL)
        yield Header()
        yield AreaBar()
        with VerticalScroll(id="new-form", classes="c-form"):
            yield from field("first_name", Input(id="first_name", compact=True))
            yield from field("last_name", Input(id="last_name", compact=True))
            yield from field("email", Input(id="email", compact=True, placeholder="required, unique"))
            yield from field("phone", Input(id="phone", compact=True))
            yield from field("group", Select([(models.clean_line(g.name), g.id) for g in groups], value=general,
                                             allow_blank=False, id="group", compact=True))
            yield from field("password", Input(id="password", password=True, compact=True,
                                               placeholder="temporary password, or leave empty"),
                             label="Password")
            with Horizontal(classes="c-field"):
                yield Label("", classes="c-label")
                yield Tick("Generate a temporary password (shown once)", False, id="generate", compact=True)
            yield Label("Billing address (optional)", classes="section-title")
            yield from address_fields("billing", None)
            yield Label("Ctrl+S: create · Esc: back", classes="hint")
        yield Label("", id="form-status", classes="status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._initial = self.data()

    def data(self) -> dict[str, Any]:
        return {
            "customer": {k: self.query_one(f"#{k}", Input).value
                         for k in ("first_name", "last_name", "email", "phone")},
            "group_id": self.query_one("#group", Select).value,
            "password": self.query_one("#password", Input).value,
            "generate": self.query_one("#generate", Tick).value,
            "billing": read_address(self, "billing"),
        }

    @on(Tick.Changed, "#generate")
    def generate_changed(self, event: Tick.Changed) -> None:
        box = self.query_one("#password", Input)
        box.disabled = event.value
        if event.value:
            box.value = ""

    def action_cancel(self) -> None:
        if self.saving:
            return
        if self.data() == self._initial:
            self.dismiss(None)
        else:
            confirm_discard(self, lambda: self.dismiss(None))

    def action_save(self) -> None:
        if self.saving:
            return
        d = self.data()
        group_id = None if d["group_id"] is Select.NULL else int(d["group_id"])
        billing = d["billing"] if any(v.strip() for v in d["billing"].values()) else None
        generate = d["generate"]
        typed = d["password"]

        def job() -> tuple[int, str, str | None]:
            password = models.generate_password() if generate else (typed or None)
            c = models.create_customer(d["customer"], group_id=group_id, password=password, billing=billing)
            return c.id, c.full_name or c.email, password if generate else None

        self.saving = True
        show_field_errors(self, NEW_FIELDS, {})
        self.query_one("#form-status", Label).update("Creating…")
        self.run_job(job, self.created, name="create", failed=self.failed)

    def created(self, result: tuple[int, str, str | None]) -> None:
        cid, who, generated = result
        self.saving = False
        self.notify(f"Created {models.clean_line(who)}.", title="Customer created", markup=False)
        if generated:
            self.app.push_screen(PasswordShownModal(who, generated), lambda _: self.dismiss(cid))
        else:
            self.dismiss(cid)

    def failed(self, exc: BaseException) -> None:
        self.saving = False
        status = self.query_one("#form-status", Label)
        if isinstance(exc, models.ValidationError):
            other = show_field_errors(self, NEW_FIELDS, exc.errors)
            focus_first_error(self, NEW_FIELDS, exc.errors)
            status.update("Not created: correct the fields marked in red.")
            if other:
                self.notify("; ".join(f"{label_for(k)}: {v}" for k, v in other.items()), severity="error",
                            markup=False)
            return
        status.update(f"Not created: {error_message(exc)}")
        self.notify(error_message(exc), title="Not created", severity="error", markup=False)


# --------------------------------------------------------------------------
# One customer
# --------------------------------------------------------------------------

TABS = ("cust-account", "cust-addresses", "cust-groups", "cust-orders", "cust-rewards", "cust-reviews")
ACCOUNT_FIELDS = ["first_name", "last_name", "email", "phone", "status", "account_type", "tax_exempt",
                  "language"]
ADDRESS_KEYS = [f"{kind}.{n}" for kind in models.ADDRESS_KINDS for n in models.ADDRESS_LIMITS]
REWARD_FIELDS = ["delta", "reason"]
ORDERS_SHOWN = 200
REVIEWS_SHOWN = 200
LEDGER_SHOWN = 200


class CustomerScreen(Screen[None], Background):
    """One customer, on tabs.  Saves name the version the form was loaded
    from, so another admin's change in between is refused, not overwritten."""

    BINDINGS = [
        Binding("escape", "back", "Back", tooltip="Back to the list, asking before discarding changes"),
        Binding("ctrl+s", "save_account", "Save", tooltip="Save the account details"),
        Binding("ctrl+s", "save_addresses", "Save", tooltip="Save the addresses"),
        Binding("ctrl+s", "adjust_points", "Adjust", tooltip="Add or remove reward points, with a reason"),
        Binding("ctrl+n", "next_tab", "Next tab", tooltip="Show the next tab"),
        Binding("ctrl+b", "previous_tab", "Prev tab", show=False, tooltip="Show the previous tab"),
        Binding("a", "add_group", "Add", tooltip="Add the customer to a group"),
        Binding("x,delete", "remove_group", "Remove", tooltip="Remove the customer from the highlighted group"),
        Binding("m", "make_default", "Default", tooltip="Make the highlighted group the default group"),
        Binding("o", "open_review", "Moderate", tooltip="Open the highlighted review in Reviews, to moderate it"),
        Binding("f6", "reset_password", "Reset password", show=False, tooltip="Reset the password to a temporary one"),
        Binding("f7", "disable", "Disable", show=False, tooltip="Disable the account (keeps everything)"),
        Binding("f8", "erase", "Erase personal data", show=False, tooltip="Erase the customer's personal data"),
        Binding("f5", "reload", "Reload", show=False, tooltip="Load the customer again, discarding edits"),
    ]

    def __init__(self, customer_id: int, tab: str = "cust-account") -> None:
        super().__init__()
        self.customer_id = customer_id
        self.customer = models.get_customer(customer_id)
        self.addresses = models.get_addresses(customer_id)
        self.version = self.customer.version
        self.initial_tab = tab
        self.groups: list[models.CustomerGroup] = []
        self.reviews: list[models.ReviewRow] = []
        self._account0: dict[str, Any] = {}
        self._addresses0: dict[str, Any] = {}
        self._mirroring = False
        self.title = f"Customer: {models.clean_line(self.customer.full_name or self.customer.email)}"

    # -- layout --------------------------------------------------------------
    def compose(self) -> ComposeResult:
        c = self.customer
        yield Header()
        yield AreaBar()
        yield Static(self.summary(), id="customer-summary")
        with TabbedContent(initial=self.initial_tab, id="customer-tabs"):
            with TabPane("Account", id="cust-account"):
                with VerticalScroll(classes="c-form", id="account-form"):
                    yield from field("first_name", Input(c.first_name, id="first_name", compact=True))
                    yield from field("last_name", Input(c.last_name, id="last_name", compact=True))
                    yield from field("email", Input(c.email, id="email", compact=True))
                    yield from field("phone", Input(c.phone, id="phone", compact=True))
                    yield from field("status", Select([(s, s) for s in models.CUSTOMER_STATUSES], value=c.status,
                                                      allow_blank=False, id="status", compact=True))
                    yield from field("account_type", Select([(t, t) for t in models.ACCOUNT_TYPES],
                                                            value=c.account_type, allow_blank=False,
                                                            id="account_type", compact=True))
                    yield from field("language", Select(
                        [(f"{LANGUAGE_NAMES.get(code, code)} ({code})", code) for code in models.LANGUAGES],
                        value=c.language if c.language in models.LANGUAGES else models.LANGUAGES[0],
                        allow_blank=False, id="language", compact=True), label="Language")
                    with Horizontal(classes="c-field"):
                        yield Label("", classes="c-label")
                        yield Tick("Tax exempt", bool(c.tax_exempt), id="tax_exempt", compact=True)
                    with Horizontal(classes="c-field"):
                        yield Label("Registered", classes="c-label")
                        yield Label(date_text(c.registered_at), id="registered", classes="c-value")
                    yield Label("Ctrl+S save · F6 reset password · F7 disable · F8 erase personal data",
                                classes="hint")
            with TabPane("Addresses", id="cust-addresses"):
                same = self.addresses["shipping"] is None
                with VerticalScroll(classes="c-form", id="address-form"):
                    yield Label("Billing address", classes="section-title")
                    yield from address_fields("billing", self.addresses["billing"])
                    with Horizontal(classes="c-field"):
                        yield Label("", classes="c-label")
                        yield Tick("Shipping same as billing", same, id="same", compact=True)
                    yield Label("Shipping address", classes="section-title")
                    yield from address_fields("shipping", self.addresses["billing"] if same
                                              else self.addresses["shipping"], disabled=same)
                    yield Label("Ctrl+S save the addresses", classes="hint")
            with TabPane("Groups", id="cust-groups"):
                yield Label("", id="member-of-status", classes="status")
                yield DataTable(id="groups-table", cursor_type="row", zebra_stripes=True)
                yield Label("a add · x remove · m make default", classes="hint keys")
            with TabPane("Orders", id="cust-orders"):
                yield Label("", id="orders-status", classes="status")
                yield DataTable(id="orders-table", cursor_type="row", zebra_stripes=True)
            with TabPane("Reward points", id="cust-rewards"):
                yield Label("", id="rewards-status", classes="status")
                with Vertical(id="adjust-form"):
                    yield from field("delta", Input(id="delta", compact=True, placeholder="e.g. 50 or -20"),
                                     label="Adjust by")
                    yield from field("reason", Input(id="reason", compact=True, placeholder="required"))
                yield DataTable(id="ledger-table", cursor_type="row", zebra_stripes=True)
            with TabPane("Reviews", id="cust-reviews"):
                yield Label("", id="reviews-status", classes="status")
                yield DataTable(id="reviews-table", cursor_type="row", zebra_stripes=True)
        yield Label("", id="form-status", classes="status")
        yield Footer(compact=True)

    def summary(self) -> Text:
        c = self.customer
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(models.clean_line(c.full_name or "(no name)"), style="bold")
        text.append(f"  {models.clean_line(c.email)}  ")
        text.append(c.status.upper() if c.status != "active" else "active",
                    style="bold reverse" if c.status != "active" else "")
        text.append(f"  · {c.order_count:,} orders · spent {money(models.money(c.total_spent))}")
        return text

    def on_mount(self) -> None:
        self._account0 = self.account_data()
        self._addresses0 = self.address_data()
        self.load_groups()
        self.load_orders()
        self.load_rewards()
        self.load_reviews()
        self.call_after_refresh(self._focus_tab, self.initial_tab)

    # -- tabs ----------------------------------------------------------------
    @property
    def tabs(self) -> TabbedContent:
        return self.query_one("#customer-tabs", TabbedContent)

    def _focus_tab(self, tab: str) -> None:
        first = {"cust-account": "#first_name", "cust-addresses": "#billing-name", "cust-groups": "#groups-table",
                 "cust-orders": "#orders-table", "cust-rewards": "#delta", "cust-reviews": "#reviews-table"}[tab]
        self.query_one(first).focus()

    def show_tab(self, tab: str) -> None:
        self.tabs.active = tab
        self._focus_tab(tab)
        self.refresh_bindings()

    def action_next_tab(self) -> None:
        self.show_tab(TABS[(TABS.index(self.tabs.active) + 1) % len(TABS)])

    def action_previous_tab(self) -> None:
        self.show_tab(TABS[(TABS.index(self.tabs.active) - 1) % len(TABS)])

    @on(TabbedContent.TabActivated)
    def tab_changed(self) -> None:
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        tab_of = {"save_account": "cust-account", "save_addresses": "cust-addresses",
                  "adjust_points": "cust-rewards", "add_group": "cust-groups", "remove_group": "cust-groups",
                  "make_default": "cust-groups", "open_review": "cust-reviews"}
        if action in tab_of:
            try:
                return self.tabs.active == tab_of[action]
            except Exception:  # noqa: BLE001 - not composed yet
                return False
        return True

    # -- status --------------------------------------------------------------
    def set_status(self, message: str, *, busy: bool = False) -> None:
        lbl = self.query_one("#form-status", Label)
        lbl.update(message)
        lbl.set_class(busy, "-busy")

    def _took_version(self, new_version: int) -> None:
        """Adopt ``new_version`` after an operation of ours that bumped it by
        one; any other change is someone else's, and the next save must see it."""
        if new_version == self.version + 1:
            self.version = new_version

    def refresh_customer(self, c: models.Customer) -> None:
        self.customer = c
        self.query_one("#customer-summary", Static).update(self.summary())

    def is_dirty(self) -> bool:
        return self.account_data() != self._account0 or self.address_data() != self._addresses0

    def action_back(self) -> None:
        if self.is_dirty():
            confirm_discard(self, lambda: self.dismiss(None))
        else:
            self.dismiss(None)

    def action_reload(self) -> None:
        def reload() -> None:
            self.app.switch_screen(CustomerScreen(self.customer_id, self.tabs.active))

        if self.is_dirty():
            confirm_discard(self, reload)
        else:
            reload()

    # -- account -------------------------------------------------------------
    def account_data(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: self.query_one(f"#{k}", Input).value
                               for k in ("first_name", "last_name", "email", "phone")}
        for k in ("status", "account_type", "language"):
            out[k] = self.query_one(f"#{k}", Select).value
        out["tax_exempt"] = self.query_one("#tax_exempt", Tick).value
        return out

    def action_save_account(self) -> None:
        data = self.account_data()
        changes = {k: v for k, v in data.items() if v != self._account0.get(k)}
        if not changes:
            self.notify("Nothing to save: the account is unchanged.")
            return
        cid, version = self.customer_id, self.version
        show_field_errors(self, ACCOUNT_FIELDS, {})
        self.set_status("Saving…", busy=True)

        def done(c: models.Customer) -> None:
            self.version = c.version
            self.refresh_customer(c)
            self._account0 = data
            self.set_status("Account saved.")
            self.notify("Account saved.", title="Saved")

        self.run_job(lambda: models.update_customer(cid, changes, expected_version=version), done,
                     name="save-account", failed=lambda exc: self.save_failed(exc, ACCOUNT_FIELDS))

    def save_failed(self, exc: BaseException, keys: list[str]) -> None:
        if isinstance(exc, models.ValidationError):
            other = show_field_errors(self, keys, exc.errors)
            focus_first_error(self, keys, exc.errors)
            self.set_status("Not saved: correct the fields marked in red.")
            if other:
                self.notify("; ".join(f"{label_for(k)}: {v}" for k, v in other.items()), severity="error",
                            markup=False)
            return
        title = "Changed by someone else" if isinstance(exc, models.ConflictError) else "Not saved"
        self.set_status(f"Not saved: {error_message(exc)} (F5 reloads)")
        self.notify(error_message(exc), title=title, severity="error", timeout=10, markup=False)

    # -- addresses -----------------------------------------------------------
    def address_data(self) -> dict[str, Any]:
        return {"billing": read_address(self, "billing"), "shipping": read_address(self, "shipping"),
                "same": self.query_one("#same", Tick).value}

    @on(Input.Changed)
    def input_changed(self, event: Input.Changed) -> None:
        """With "same as billing" ticked, the (disabled) shipping fields mirror billing."""
        wid = event.input.id or ""
        if self._mirroring or not wid.startswith("billing-") or not self.query_one("#same", Tick).value:
            return
        self._mirroring = True
        try:
            self.query_one(f"#shipping-{wid.removeprefix('billing-')}", Input).value = event.value
        finally:
            self._mirroring = False

    @on(Tick.Changed, "#same")
    def same_changed(self, event: Tick.Changed) -> None:
        same = event.value
        stored = self.addresses["shipping"]
        billing = read_address(self, "billing")
        for name in models.ADDRESS_LIMITS:
            box = self.query_one(f"#shipping-{name}", Input)
            box.disabled = same
            if same:
                box.value = billing[name]
            elif stored is not None:
                # Back to the separate address as saved: billing edits never leak into it.
                box.value = getattr(stored, name) or ""
            # else: start from a copy of billing, then the two are independent

    def action_save_addresses(self) -> None:
        d = self.address_data()
        same = d["same"]
        billing: dict[str, str] | None = d["billing"]
        if self.addresses["billing"] is None and not any(v.strip() for v in d["billing"].values()):
            billing = None
        shipping = None if same else d["shipping"]
        cid, version = self.customer_id, self.version
        show_field_errors(self, ADDRESS_KEYS, {})
        self.set_status("Saving…", busy=True)

        def job() -> tuple[models.Customer, dict[str, models.Address | None]]:
            c = models.save_addresses(cid, billing=billing, shipping=shipping, shipping_same_as_billing=same,
                                      expected_version=version)
            return c, models.get_addresses(cid)

        def done(result: tuple[models.Customer, dict[str, models.Address | None]]) -> None:
            c, self.addresses = result
            self.version = c.version
            self.refresh_customer(c)
            self._addresses0 = d
            self.set_status("Addresses saved.")
            self.notify("Addresses saved.", title="Saved")

        self.run_job(job, done, name="save-addresses", failed=lambda exc: self.save_failed(exc, ADDRESS_KEYS))

    # -- groups --------------------------------------------------------------
    def load_groups(self) -> None:
        cid = self.customer_id

        def job() -> tuple[models.Customer, list[models.CustomerGroup]]:
            return models.get_customer(cid), models.customer_groups(cid)

        self.run_job(job, self.show_groups, name="groups")

    def show_groups(self, found: tuple[models.Customer, list[models.CustomerGroup]]) -> None:
        c, groups = found
        table = self.query_one("#groups-table", DataTable)
        current = self.current_group()
        self.groups = groups
        table.clear(columns=True)
        table.add_column("Name", key="name")
        table.add_column("Code", key="code")
        table.add_column("Default", key="default")
        table.add_column("Hidden", key="hidden")
        for g in groups:
            table.add_row(plain(g.name), plain(g.code), "default" if g.id == c.default_group_id else "",
                          "hidden" if g.hidden else "", key=str(g.id))
        if current is not None:
            for i, g in enumerate(groups):
                if g.id == current.id:
                    table.move_cursor(row=i)
        default = next((g for g in groups if g.id == c.default_group_id), None)
        self.query_one("#member-of-status", Label).update(
            f"{len(groups)} group{'s' if len(groups) != 1 else ''} · default: "
            f"{models.clean_line(default.name) if default else '?'}")

    def current_group(self) -> models.CustomerGroup | None:
        table = self.query_one("#groups-table", DataTable)
        if not self.groups or table.row_count == 0:
            return None
        row = table.cursor_row
        return self.groups[row] if 0 <= row < len(self.groups) else None

    def _group_op(self, job: Callable[[], Any], message: str) -> None:
        cid = self.customer_id

        def run() -> models.Customer:
            job()
            return models.get_customer(cid)

        def done(c: models.Customer) -> None:
            self._took_version(c.version)
            self.refresh_customer(c)
            self.notify(message, markup=False)
            self.set_status(message)
            self.load_groups()

        def failed(exc: BaseException) -> None:
            self.set_status(f"Not changed: {error_message(exc)}")
            self.notify(error_message(exc), title="Not changed", severity="error", markup=False)
            self.load_groups()

        self.run_job(run, done, name="group-op", failed=failed)

    def action_add_group(self) -> None:
        member = {g.id for g in self.groups}
        cid = self.customer_id
        candidates = [g for g in models.list_groups(with_counts=False, sort="name") if g.id not in member]
        if not candidates:
            self.notify("The customer is already in every group.")
            return

        def chosen(group_id: int | None) -> None:
            if group_id is None:
                return
            g = next(g for g in candidates if g.id == group_id)
            self._group_op(lambda: models.assign_customers(group_id, models.Selection.ids([cid])),
                           f"Added to {models.clean_line(g.name)}.")

        self.app.push_screen(GroupPickerModal(candidates), chosen)

    def action_remove_group(self) -> None:
        g = self.current_group()
        if g is None:
            self.notify("No group is highlighted.", severity="warning")
            return
        cid, gid = self.customer_id, g.id
        self._group_op(lambda: models.unassign_customers(gid, models.Selection.ids([cid])),
                       f"Removed from {models.clean_line(g.name)}.")

    def action_make_default(self) -> None:
        g = self.current_group()
        if g is None:
            self.notify("No group is highlighted.", severity="warning")
            return
        cid, gid, version = self.customer_id, g.id, self.version
        self._group_op(lambda: models.set_default_group(cid, gid, expected_version=version),
                       f"{models.clean_line(g.name)} is now the default group.")

    # -- orders --------------------------------------------------------------
    def load_orders(self) -> None:
        cid = self.customer_id
        self.run_job(lambda: models.customer_orders(cid, limit=ORDERS_SHOWN + 1), self.show_orders,
                     name="orders")

    def show_orders(self, rows: list[models.OrderRow]) -> None:
        c = self.customer
        table = self.query_one("#orders-table", DataTable)
        table.clear(columns=True)
        table.add_column("Order", key="number")
        table.add_column("Placed", key="placed")
        table.add_column("Status", key="status")
        table.add_column(Text("Items", justify="right"), key="items")
        table.add_column(Text("Total", justify="right"), key="total")
        for r in rows[:ORDERS_SHOWN]:
            table.add_row(plain(r.number), date_text(r.placed_at), plain(r.status),
                          Text(f"{r.items:,}", justify="right"), Text(money(r.total), justify="right"),
                          key=str(r.id))
        more = f" · newest {ORDERS_SHOWN} shown" if len(rows) > ORDERS_SHOWN else ""
        self.query_one("#orders-status", Label).update(
            f"{c.order_count:,} order{'s' if c.order_count != 1 else ''} · total spent "
            f"{money(models.money(c.total_spent))}{more}")

    # -- reward points -------------------------------------------------------
    def load_rewards(self) -> None:
        cid = self.customer_id

        def job() -> tuple[int, list[models.RewardPointEntry]]:
            return models.reward_balance(cid), models.reward_ledger(cid, limit=LEDGER_SHOWN)

        self.run_job(job, self.show_rewards, name="rewards")

    def show_rewards(self, found: tuple[int, list[models.RewardPointEntry]]) -> None:
        balance, entries = found
        self.query_one("#rewards-status", Label).update(f"Balance: {balance:,} points")
        table = self.query_one("#ledger-table", DataTable)
        table.clear(columns=True)
        table.add_column("Date", key="date")
        table.add_column(Text("Points", justify="right"), key="points")
        table.add_column("Reason", key="reason")
        table.add_column("By", key="by")
        for e in entries:
            table.add_row(date_text(e.created_at), Text(f"{e.delta:+,}", justify="right"), plain(e.reason),
                          plain(e.created_by), key=str(e.id))

    @on(Input.Submitted, "#delta")
    def delta_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#reason", Input).focus()

    @on(Input.Submitted, "#reason")
    def reason_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_adjust_points()

    def action_adjust_points(self) -> None:
        delta = self.query_one("#delta", Input).value
        reason = self.query_one("#reason", Input).value
        cid = self.customer_id
        show_field_errors(self, REWARD_FIELDS, {})

        def done(entry: models.RewardPointEntry) -> None:
            self.query_one("#delta", Input).value = ""
            self.query_one("#reason", Input).value = ""
            self.query_one("#delta", Input).focus()
            self.set_status(f"Points adjusted by {entry.delta:+,}.")
            self.notify(f"Points adjusted by {entry.delta:+,}.", title="Reward points")
            self.load_rewards()

        self.run_job(lambda: models.adjust_reward_points(cid, delta, reason), done, name="adjust",
                     failed=lambda exc: self.save_failed(exc, REWARD_FIELDS))

    # -- reviews -------------------------------------------------------------
    def load_reviews(self) -> None:
        flt = models.ReviewFilter(customer_id=self.customer_id)

        def job() -> tuple[int, list[models.ReviewRow]]:
            return models.count_reviews(flt), models.review_page(flt, limit=REVIEWS_SHOWN, newest_first=True)

        self.run_job(job, self.show_reviews, name="reviews")

    def show_reviews(self, found: tuple[int, list[models.ReviewRow]]) -> None:
        total, rows = found
        self.reviews = rows
        table = self.query_one("#reviews-table", DataTable)
        table.clear(columns=True)
        table.add_column("Date", key="date")
        table.add_column("Status", key="status")
        table.add_column("Rating", key="rating")
        table.add_column("Product", key="product")
        table.add_column("Title", key="title")
        for r in rows:
            table.add_row(date_text(r.created_at), r.status, "★" * r.rating, plain(r.product), plain(r.title),
                          key=str(r.id))
        more = f" · newest {len(rows)} shown" if total > len(rows) else ""
        self.query_one("#reviews-status", Label).update(
            f"{total:,} review{'s' if total != 1 else ''}{more}" + (" · enter: moderate in Reviews" if rows else ""))

    @on(DataTable.RowSelected, "#reviews-table")
    def review_selected(self) -> None:
        self.action_open_review()

    def action_open_review(self) -> None:
        table = self.query_one("#reviews-table", DataTable)
        if not self.reviews or table.row_count == 0:
            self.notify("No review is highlighted.", severity="warning")
            return
        review = self.reviews[table.cursor_row]
        # Into moderation: the Reviews area, filtered to this customer, on that review.
        self.app.switch_mode("reviews")
        screen = next(s for s in self.app.screen_stack if isinstance(s, ReviewsScreen))
        screen.show_review(review.id, self.customer.email)

    # -- password, disable, erase -------------------------------------------
    def action_reset_password(self) -> None:
        c = self.customer
        who = c.full_name or c.email

        def done(result: tuple[bool, str] | None) -> None:
            if result is None:
                return
            generated, password = result
            self._took_version(self.version + 1)  # reset_password bumped it
            if generated:
                self.app.push_screen(PasswordShownModal(who, password))
            else:
                self.notify("Temporary password set.", title="Password reset")
            self.set_status("Password reset to a temporary one.")

        self.app.push_screen(ResetPasswordModal(c.id, who), done)

    def action_disable(self) -> None:
        c = self.customer
        if c.status == "disabled":
            self.notify("This account is already disabled.")
            return
        cid = c.id
        question = Text("Disable the account of ")
        question.append(models.clean_line(c.full_name or c.email), style="bold")
        question.append("? They can no longer log in; orders, points and everything else are kept.")

        def done(c: models.Customer) -> None:
            self._took_version(c.version)
            self.refresh_customer(c)
            status = self.query_one("#status", Select)
            if self._account0.get("status") == status.value:
                status.value = c.status
            self._account0["status"] = c.status
            self.set_status("Account disabled.")
            self.notify("Account disabled.", title="Disabled")

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_job(lambda: models.disable_customer(cid), done, name="disable")

        self.app.push_screen(ConfirmModal("Disable account", question, yes="Disable", no="Keep"), answered)

    def action_erase(self) -> None:
        def done(erased: bool | None) -> None:
            if erased:
                self.notify("Personal data erased.", title="Erased")
                self.app.switch_screen(CustomerScreen(self.customer_id, self.tabs.active))

        self.app.push_screen(EraseModal(self.customer), done)
