"""The customer screen: a summary line and one tab per part of the customer
(Account, Addresses, Groups, Orders, Reward points, Reviews), each a
:class:`~backroom.screens.customer.base.CustomerTab` in a module of its own.

The screen is a shell.  It reads the customer in a worker and hands it to
the tabs with the version the forms save against; a tab reads the rest of
its data the first time it is shown.  It holds the keys (the footer shows
those of the tab in front) and passes a tab's keys to that tab.  Tabs tell
it what they did by messages: ``CustomerTab.Changed`` (an operation wrote
to the customer: the summary and every tab follow, and the version moves
on only when the write replaced the one the forms hold) and
``CustomerTab.Status``.  F6, F7 and F8 act on the whole customer, here.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Header, Label, Static, TabbedContent

from backroom import models
from backroom.screens.customer.account import AccountTab
from backroom.screens.customer.addresses import AddressesTab
from backroom.screens.customer.base import CustomerTab
from backroom.screens.customer.dialogs import (
    EraseModal,
    PasswordShownModal,
    ResetPasswordModal,
)
from backroom.screens.customer.groups import GroupsTab
from backroom.screens.customer.orders import OrdersTab
from backroom.screens.customer.reviews import ReviewsTab
from backroom.screens.customer.rewards import RewardsTab
from backroom.tui.areas import AreaBar, Footer
from backroom.tui.background import Background, error_message
from backroom.tui.dialogs import ConfirmModal
from backroom.tui.drafts import KeepsDraft
from backroom.tui.formatters import money
from backroom.tui.forms import confirm_discard
from backroom.tui.keys import HoldsKeys
from backroom.tui.roles import RoleGated
from backroom.tui.firstshow import StyledOnMount

TAB_CLASSES: tuple[type[CustomerTab], ...] = (AccountTab, AddressesTab, GroupsTab, OrdersTab, RewardsTab,
                                              ReviewsTab)
TABS = tuple(cls.PANE_ID for cls in TAB_CLASSES)

# The screen's actions that belong to one tab: (the tab, its method).
TAB_ACTIONS = {
    "save_account": ("cust-account", "save"), "save_addresses": ("cust-addresses", "save"),
    "adjust_points": ("cust-rewards", "save"), "add_group": ("cust-groups", "add"),
    "remove_group": ("cust-groups", "remove"), "make_default": ("cust-groups", "make_default"),
    "open_review": ("cust-reviews", "open_review"),
}


class CustomerScreen(RoleGated, KeepsDraft, StyledOnMount, Screen[None], Background, HoldsKeys):
    """One customer, on tabs.  Saves name the version the forms were loaded
    from, so another admin's change in between is refused, not overwritten.
    Keys typed before the customer, or the tab in front, is loaded wait for
    it (HoldsKeys).  The unsaved edits of the Account and Addresses tabs are
    kept as a draft (KeepsDraft)."""

    ROLE_ACTIONS = {**{a: "customers" for a in ("save_account", "save_addresses", "adjust_points", "add_group",
                                               "remove_group", "make_default", "reset_password", "disable")},
                    "erase": "erase"}

    DRAFT_FORM = "customer"

    # Nothing has focus until the tab in front is composed: it then focuses its
    # first field (a focus change costs a footer redraw).
    AUTO_FOCUS = ""
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
        self.customer: models.Customer | None = None
        self.version = 0  # the version the forms save against
        self.initial_tab = tab
        self.title = "Customer"
        self._load_failed = False

    # -- layout and loading ----------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        yield AreaBar()
        yield Static("Loading…", id="customer-summary", markup=False)
        with TabbedContent(initial=self.initial_tab, id="customer-tabs"):
            for cls in TAB_CLASSES:
                yield cls(self.customer_id)
        yield Label("", id="form-status", classes="status", markup=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.load_customer()

    @property
    def keys_ready(self) -> bool:  # type: ignore[override]
        """The customer and the tab in front are loaded (or failed to)."""
        if self.customer is None:
            return self._load_failed
        try:
            return not self.active_tab.pending
        except Exception:  # noqa: BLE001 - not composed yet
            return False

    def load_customer(self) -> None:
        cid = self.customer_id
        self._load_failed = False
        first = self.customer is None and not self._draft_ready
        read_draft = self.draft_reader() if first else (lambda: None)

        def loaded(found: tuple[models.Customer, dict[str, Any] | None]) -> None:
            c, draft = found
            self.version = c.version
            self.show_customer(c)
            self.active_tab.show()
            if first:
                self.offer_draft(draft, changed_since=draft is not None and
                                 draft["values"].get("version") != c.version)

        def failed(exc: BaseException) -> None:
            self.query_one("#customer-summary", Static).update(f"Could not load the customer: {error_message(exc)}")
            self.job_failed(exc)
            self._load_failed = True
            self.release_keys()

        self.run_job(lambda: (models.get_customer(cid), read_draft()), loaded, name="customer", failed=failed)

    def show_customer(self, c: models.Customer) -> None:
        """The summary, the title and every tab show ``c``."""
        self.customer = c
        self.title = f"Customer: {models.clean_line(c.full_name or c.email)}"
        self.query_one("#customer-summary", Static).update(self.summary())
        for tab in self.query(CustomerTab).results(CustomerTab):
            tab.set_customer(c, self.version)

    def summary(self, width: int | None = None) -> Text:
        """Name, email, status, orders and amount spent on one line of
        ``width`` cells (the summary's own width by default): what does not
        fit is cut from the name and email, never the orders and amount."""
        c = self.customer
        assert c is not None
        if width is None:
            width = self.query_one("#customer-summary", Static).content_size.width or self.app.size.width - 2
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(models.clean_line(c.full_name or "(no name)"), style="bold")
        text.append(f"  {models.clean_line(c.email)}")
        status = Text("  ")
        status.append(c.status.upper() if c.status != "active" else "active",
                      style="bold reverse" if c.status != "active" else "")
        orders = f"{c.order_count:,} order{'s' if c.order_count != 1 else ''}"
        status.append(f"  · {orders} · spent {money(models.money(c.total_spent))}")
        room = width - status.cell_len
        if text.cell_len > room:
            text.truncate(max(room, 1), overflow="ellipsis")
        text.append_text(status)
        return text

    def on_resize(self) -> None:
        if self.customer is not None:  # the summary is cut to the width
            self.query_one("#customer-summary", Static).update(self.summary())

    def reload(self) -> None:
        """Everything read again, edits dropped; each tab loads when shown."""
        self.customer = None
        self.title = "Customer"
        self.query_one("#customer-summary", Static).update("Loading…")
        self.set_status("")
        for tab in self.query(CustomerTab).results(CustomerTab):
            tab.reset()
        self.load_customer()

    # -- messages from the tabs ----------------------------------------------------
    @on(CustomerTab.Changed)
    def customer_changed(self, event: CustomerTab.Changed) -> None:
        self.took(event.write)
        self.draft_changed()  # saved: the draft keeps what is still unsaved, if anything

    @on(CustomerTab.Status)
    def tab_status(self, event: CustomerTab.Status) -> None:
        self.set_status(event.text, busy=event.busy)

    def took(self, write: models.CustomerWrite) -> None:
        self.version = write.version_after(self.version)
        self.show_customer(write.customer)

    def set_status(self, message: str, *, busy: bool = False) -> None:
        lbl = self.query_one("#form-status", Label)
        lbl.update(message)
        lbl.set_class(busy, "-busy")

    # -- tabs ------------------------------------------------------------------------
    @property
    def tabs(self) -> TabbedContent:
        return self.query_one("#customer-tabs", TabbedContent)

    @property
    def active_tab(self) -> CustomerTab:
        return self.query_one(f"#{self.tabs.active}", CustomerTab)

    def show_tab(self, tab: str) -> None:
        self.tabs.active = tab  # the footer follows on TabActivated
        self.active_tab.show()

    def action_next_tab(self) -> None:
        self.show_tab(TABS[(TABS.index(self.tabs.active) + 1) % len(TABS)])

    def action_previous_tab(self) -> None:
        self.show_tab(TABS[(TABS.index(self.tabs.active) - 1) % len(TABS)])

    @on(TabbedContent.TabActivated)
    def tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self.refresh_bindings()
        if isinstance(event.pane, CustomerTab) and self.customer is not None:
            event.pane.show(focus=False)  # e.g. clicked: load it, leave the focus be

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.role_refusal(action) is not None:  # not for this admin's role (RoleGated)
            return False
        if action in TAB_ACTIONS:
            try:
                return self.tabs.active == TAB_ACTIONS[action][0]
            except Exception:  # noqa: BLE001 - not composed yet
                return False
        return True

    def _tab_does(self, action: str) -> None:
        tab_id, method = TAB_ACTIONS[action]
        tab = self.query_one(f"#{tab_id}", CustomerTab)
        if tab.loaded:
            getattr(tab, method)()

    def action_save_account(self) -> None:
        self._tab_does("save_account")

    def action_save_addresses(self) -> None:
        self._tab_does("save_addresses")

    def action_adjust_points(self) -> None:
        self._tab_does("adjust_points")

    def action_add_group(self) -> None:
        self._tab_does("add_group")

    def action_remove_group(self) -> None:
        self._tab_does("remove_group")

    def action_make_default(self) -> None:
        self._tab_does("make_default")

    def action_open_review(self) -> None:
        self._tab_does("open_review")

    # -- leaving, reloading ----------------------------------------------------------
    def is_dirty(self) -> bool:
        return any(tab.is_dirty() for tab in self.query(CustomerTab).results(CustomerTab))

    def unsaved_changes(self) -> bool:
        """For the app: F2-F4 ask before closing this customer; and for the draft."""
        return self.is_dirty() or any(tab.draft_part() is not None for tab in self._tabs())

    # -- the draft -------------------------------------------------------------------
    def _tabs(self) -> list[CustomerTab]:
        return list(self.query(CustomerTab).results(CustomerTab))

    def draft_record(self) -> str:
        return str(self.customer_id)

    def draft_values(self) -> dict[str, Any]:
        parts = {tab.id: part for tab in self._tabs() if (part := tab.draft_part()) is not None}
        return {"version": self.version, "tabs": parts}

    def apply_draft(self, values: dict[str, Any]) -> None:
        for tab_id, part in values.get("tabs", {}).items():
            tab = self.query_one(f"#{tab_id}", CustomerTab)
            tab.restore_draft(part)

    def _discarding(self, then: Any) -> Any:
        """``then``, and the draft dropped (the changes are discarded, or there are none)."""

        def go() -> None:
            self.closing()
            then()

        return go

    def action_back(self) -> None:
        confirm_discard(self, self._discarding(lambda: self.dismiss(None)), dirty=self.unsaved_changes())

    def action_reload(self) -> None:
        confirm_discard(self, self._discarding(self.reload), dirty=self.unsaved_changes())

    # -- password, disable, erase -------------------------------------------------
    def action_reset_password(self) -> None:
        c = self.customer
        if c is None:
            return
        who = c.full_name or c.email

        def done(result: tuple[bool, str, models.CustomerWrite] | None) -> None:
            if result is None:
                return
            generated, password, write = result
            self.took(write)
            if generated:
                self.app.push_screen(PasswordShownModal(who, password))
            else:
                self.notify("Temporary password set.", title="Password reset")
            self.set_status("Password reset to a temporary one.")

        self.app.push_screen(ResetPasswordModal(c.id, who), done)

    def action_disable(self) -> None:
        c = self.customer
        if c is None:
            return
        if c.status == "disabled":
            self.notify("This account is already disabled.")
            return
        cid = c.id
        question = Text("Disable the account of ")
        question.append(models.clean_line(c.full_name or c.email), style="bold")
        question.append("? They can no longer log in; orders, points and everything else are kept.")

        def done(write: models.CustomerWrite) -> None:
            self.took(write)
            self.set_status("Account disabled.")
            self.notify("Account disabled.", title="Disabled")

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_job(lambda: models.disable_account(cid), done, name="disable")

        self.app.push_screen(ConfirmModal("Disable account", question, yes="Disable", no="Keep"), answered)

    def action_erase(self) -> None:
        if self.customer is None:
            return

        def done(erased: bool | None) -> None:
            if erased:
                self.notify("Personal data erased.", title="Erased")
                self.reload()

        self.app.push_screen(EraseModal(self.customer), done)
