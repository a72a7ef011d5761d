"""The Addresses tab: billing, and shipping unless it is the billing address.

``address_fields`` is also the New customer form's billing address."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Input

from backroom import models
from backroom.screens.customer.base import CustomerTab
from backroom.tui.forms import Field, Form, Tick, hint, section
from backroom.tui.safetext import SafeInput

ADDRESS_LABELS = {"name": "Name", "line1": "Address", "line2": "Address 2", "city": "City",
                  "region": "Region", "postcode": "Postcode", "country": "Country"}
ADDRESS_HINTS = {"country": "two letters: GB, DE…"}


def address_fields(kind: str, address: models.Address | None, *, disabled: bool = False) -> ComposeResult:
    """The fields of one address, keyed "<kind>.<part>" (errors: "Billing city: …")."""
    for name in models.ADDRESS_LIMITS:
        value = getattr(address, name) if address is not None else ""
        yield Field(f"{kind}.{name}", SafeInput(value or "", compact=True, disabled=disabled,
                                                placeholder=ADDRESS_HINTS.get(name, "")),
                    ADDRESS_LABELS[name], error_name=f"{kind.capitalize()} {ADDRESS_LABELS[name].lower()}")


class AddressesTab(CustomerTab):
    TITLE = "Addresses"
    PANE_ID = "cust-addresses"
    FIRST = "#billing-name"

    def __init__(self, customer_id: int) -> None:
        super().__init__(customer_id)
        self.addresses: dict[str, models.Address | None] = {}
        self._mirroring = False

    def fetch(self) -> dict[str, models.Address | None]:
        return models.get_addresses(self.customer_id)

    def compose_content(self) -> ComposeResult:
        self.addresses = self.data
        billing, shipping = self.addresses["billing"], self.addresses["shipping"]
        same = shipping is None
        with VerticalScroll(classes="form", id="address-form"):
            yield section("Billing address")
            yield from address_fields("billing", billing)
            yield Field("same", Tick("Shipping same as billing", same, compact=True),
                        error_name="Shipping same as billing")
            yield section("Shipping address")
            yield from address_fields("shipping", billing if same else shipping, disabled=same)
            yield hint("Ctrl+S save the addresses")

    def ready(self) -> None:
        self.form = Form(self)

    def is_dirty(self) -> bool:
        return self.loaded and self.form.is_dirty()

    def draft_values(self) -> dict[str, Any] | None:
        return self.form.values() if self.is_dirty() else None

    def apply_draft_values(self, values: dict[str, Any]) -> None:
        keys = {f.key for f in self.form.fields()}
        same = bool(values.get("same", self.query_one("#same", Tick).value))
        with self.prevent(Tick.Changed, Input.Changed):  # no mirroring: every value as it was
            self.form.set_value("same", same)
            for name in models.ADDRESS_LIMITS:
                self.query_one(f"#shipping-{name}", Input).disabled = same
            for key, value in values.items():
                if key in keys and key != "same":
                    self.form.set_value(key, value)

    @on(Input.Changed)
    def input_changed(self, event: Input.Changed) -> None:
        """With "same as billing" ticked, the (disabled) shipping fields mirror billing."""
        wid = event.input.id or ""
        if self._mirroring or not wid.startswith("billing-") or not self.query_one("#same", Tick).value:
            return
        self._mirroring = True
        try:
            # The billing field's value (as stored, while not edited), not its escaped text.
            shipping = self.query_one(f"#shipping-{wid.removeprefix('billing-')}", SafeInput)
            shipping.value = self.query_one(f"#{wid}", SafeInput).real_value
        finally:
            self._mirroring = False

    @on(Tick.Changed, "#same")
    def same_changed(self, event: Tick.Changed) -> None:
        same = event.value
        stored = self.addresses["shipping"]
        billing = self.form.values("billing.")
        for name in models.ADDRESS_LIMITS:
            box = self.query_one(f"#shipping-{name}", Input)
            box.disabled = same
            if same:
                box.value = billing[name]
            elif stored is not None:
                # Back to the separate address as saved: billing edits never leak into it.
                box.value = getattr(stored, name) or ""
            # else: start from a copy of billing, then the two are independent

    def save(self) -> None:
        data = self.form.values()
        same = data["same"]
        billing: dict[str, Any] | None = self.form.values("billing.")
        if self.addresses["billing"] is None and not any(v.strip() for v in billing.values()):
            billing = None
        shipping = None if same else self.form.values("shipping.")
        cid, version = self.customer_id, self.version
        self.form.clear_errors()
        self.status("Saving…", busy=True)

        def job() -> tuple[models.Customer, dict[str, models.Address | None]]:
            c = models.save_addresses(cid, billing=billing, shipping=shipping, shipping_same_as_billing=same,
                                      expected_version=version)
            return c, models.get_addresses(cid)

        def done(result: tuple[models.Customer, dict[str, models.Address | None]]) -> None:
            c, self.addresses = result
            self.form.mark_clean(data)
            # save_addresses wrote over exactly the version it was given.
            self.changed(models.CustomerWrite(c, version))
            self.status("Addresses saved.")
            self.notify("Addresses saved.", title="Saved")

        self.run_job(job, done, name="save", failed=lambda exc: self.save_failed(exc, self.form))
