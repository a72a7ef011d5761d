"""The customer screen's dialogs: a password shown once, resetting the
password, erasing personal data, picking a group to join."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from backroom import models
from backroom.tui.background import Background, error_message
from backroom.tui.dialogs import InputDialog
from backroom.tui.safetext import SafeInput, confirmed_value
from backroom.tui.keys import DropsEarlyKeys


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


class ResetPasswordModal(DropsEarlyKeys, InputDialog, Background):
    """Type a temporary password, or leave it empty for a generated one.
    Dismisses, once it is set, with (generated, password, what was written).

    A reset replaces the customer's password, so it is a confirmation: the
    text typed ahead of the dialog (F6 and the password in one burst) goes
    in its box, but an Enter typed ahead does not set it, nor does anything
    after that Enter."""

    TAKES_TEXT_TYPED_AHEAD = True

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
                              "or leave it empty to generate one (shown once)."), classes="dialog-body",
                         markup=False)
            yield SafeInput(id="new-password", password=True, compact=True, placeholder="empty: generate one")
            yield Label("", id="err-password", classes="error form-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Set (enter)", id="set", variant="error")
                yield Button("Cancel (esc)", id="cancel", variant="primary")

    def action_submit(self) -> None:
        typed = self.query_one("#new-password", Input).value
        cid = self.customer_id
        generated = typed == ""

        def failed(exc: BaseException) -> None:
            lbl = self.query_one("#err-password", Label)
            message = exc.errors.get("password", str(exc)) if isinstance(exc, models.ValidationError) \
                else error_message(exc)
            lbl.update(f"Password: {message}")
            lbl.add_class("-shown")

        def done(result: tuple[str, models.CustomerWrite]) -> None:
            password, write = result
            self.query_one("#new-password", Input).value = ""
            self.dismiss((generated, password, write))

        self.run_job(lambda: models.reset_account_password(cid, None if generated else typed), done,
                     name="reset", failed=failed)


class EraseModal(DropsEarlyKeys, InputDialog, Background):
    """Erase a customer's personal data, confirmed by typing their email
    (the keys typed before the dialog was drawn are dropped).  Dismisses
    with True once erased."""

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
            yield SafeInput(id="confirm_email", compact=True, placeholder="the customer's email")
            yield Label("", id="err-confirm_email", classes="error form-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Erase (enter)", id="erase", variant="error")
                yield Button("Cancel (esc)", id="cancel", variant="primary")

    def on_mount(self) -> None:  # InputDialog's runs too: the email box has focus
        self.call_after_refresh(self.note_drawn)

    def action_submit(self) -> None:
        # The email as shown (its control characters escaped) confirms the email as stored.
        typed = confirmed_value(self.query_one("#confirm_email", Input).value, self.customer.email)
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
