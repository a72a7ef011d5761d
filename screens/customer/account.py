"""The Account tab: name, email, phone, status, account type, language and
tax exemption, saved with the version the form was loaded from."""

from __future__ import annotations

from typing import Any, Iterable

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Label, Select

from backroom import models
from backroom.screens.customer.base import CustomerTab
from backroom.tui.formatters import date_text
from backroom.tui.forms import Field, Form, Row, Tick, hint
from backroom.tui.safetext import SafeInput, line_text

LANGUAGE_NAMES = {"en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian",
                  "nl": "Dutch", "pl": "Polish", "pt": "Portuguese", "sv": "Swedish"}


def account_values(c: models.Customer) -> dict[str, Any]:
    """The form's values for a customer as stored."""
    return {"first_name": c.first_name, "last_name": c.last_name, "email": c.email, "phone": c.phone,
            "status": c.status, "account_type": c.account_type,
            "language": c.language if c.language in models.LANGUAGES else models.LANGUAGES[0],
            "tax_exempt": bool(c.tax_exempt)}


def choices(allowed: Iterable[str], stored: str) -> list[tuple[Text | str, str]]:
    """A select's choices: the allowed values, and the stored one if it is
    none of them (another program wrote it), shown inert and kept as it is
    unless the admin picks another."""
    out: list[tuple[Text | str, str]] = [(value, value) for value in allowed]
    if stored not in allowed:
        out.append((line_text(f"{stored} (as stored)"), stored))
    return out


class AccountTab(CustomerTab):
    TITLE = "Account"
    PANE_ID = "cust-account"
    FIRST = "#first_name"

    def load(self) -> None:
        # The customer, which the screen hands over, is all this tab shows.
        if not self.loaded and not self._loading:
            self._loading = True
            self._fetched(None)

    def compose_content(self) -> ComposeResult:
        assert self.customer is not None
        v = account_values(self.customer)
        with VerticalScroll(classes="form", id="account-form"):
            yield Field("first_name", SafeInput(v["first_name"], compact=True), "First name")
            yield Field("last_name", SafeInput(v["last_name"], compact=True), "Last name")
            yield Field("email", SafeInput(v["email"], compact=True), "Email")
            yield Field("phone", SafeInput(v["phone"], compact=True), "Phone")
            yield Field("status", Select(choices(models.CUSTOMER_STATUSES, v["status"]), value=v["status"],
                                         allow_blank=False, compact=True), "Status")
            yield Field("account_type", Select(choices(models.ACCOUNT_TYPES, v["account_type"]),
                                               value=v["account_type"], allow_blank=False, compact=True),
                        "Account type")
            yield Field("language", Select(
                [(f"{LANGUAGE_NAMES.get(code, code)} ({code})", code) for code in models.LANGUAGES],
                value=v["language"], allow_blank=False, compact=True), "Language")
            yield Field("tax_exempt", Tick("Tax exempt", v["tax_exempt"], compact=True), error_name="Tax exempt")
            yield Row("Registered", Label(date_text(self.customer.registered_at), id="registered",
                                          classes="form-value", markup=False))
            admin = getattr(self.app, "admin", None)  # the keys this admin's role allows
            keys = [text for text, permission in (("Ctrl+S save", "customers"), ("F6 reset password", "customers"),
                                                  ("F7 disable", "customers"), ("F8 erase personal data", "erase"))
                    if admin is None or models.may(admin.role, permission)]
            if keys:
                yield hint(" · ".join(keys))

    def ready(self) -> None:
        self.form = Form(self)

    def customer_updated(self) -> None:
        # e.g. disabled (F7): what the admin has not edited follows the customer.
        assert self.customer is not None
        self.form.refresh(account_values(self.customer))

    def is_dirty(self) -> bool:
        return self.loaded and self.form.is_dirty()

    def draft_values(self) -> dict[str, Any] | None:
        return self.form.values() if self.is_dirty() else None

    def apply_draft_values(self, values: dict[str, Any]) -> None:
        keys = {f.key for f in self.form.fields()}
        for key, value in values.items():
            if key in keys:
                self.form.set_value(key, value)

    def save(self) -> None:
        changes = self.form.changes()
        if not changes:
            self.notify("Nothing to save: the account is unchanged.")
            return
        data = self.form.values()
        cid, version = self.customer_id, self.version
        self.form.clear_errors()
        self.status("Saving…", busy=True)

        def done(c: models.Customer) -> None:
            self.form.mark_clean(data)
            # update_customer wrote over exactly the version it was given.
            self.changed(models.CustomerWrite(c, version))
            self.status("Account saved.")
            self.notify("Account saved.", title="Saved")

        self.run_job(lambda: models.update_customer(cid, changes, expected_version=version), done,
                     name="save", failed=lambda exc: self.save_failed(exc, self.form))
