"""The Reward points tab: the balance, the ledger, and an adjustment with a reason."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Input, Label

from backroom import models
from backroom.screens.customer.base import CustomerTab
from backroom.tui.formatters import date_text, plain
from backroom.tui.forms import Field, Form
from backroom.tui.safetext import SafeInput

LEDGER_SHOWN = 200


class RewardsTab(CustomerTab):
    TITLE = "Reward points"
    PANE_ID = "cust-rewards"
    FIRST = "#delta"

    def fetch(self) -> tuple[int, list[models.RewardPointEntry]]:
        cid = self.customer_id
        return models.reward_balance(cid), models.reward_ledger(cid, limit=LEDGER_SHOWN)

    def compose_content(self) -> ComposeResult:
        yield Label("", id="rewards-status", classes="status", markup=False)
        with Vertical(id="adjust-form"):
            yield Field("delta", SafeInput(compact=True, placeholder="e.g. 50 or -20"), "Adjust by",
                        error_name="Points")
            yield Field("reason", SafeInput(compact=True, placeholder="required"), "Reason")
        yield DataTable(id="ledger-table", cursor_type="row", zebra_stripes=True)

    def ready(self) -> None:
        self.form = Form(self)

    def show_data(self, found: tuple[int, list[models.RewardPointEntry]]) -> None:
        balance, entries = found
        self.query_one("#rewards-status", Label).update(f"Balance: {balance:,} points")
        table = self.query_one("#ledger-table", DataTable)
        table.clear(columns=True)
        table.add_column("Date", key="date")
        table.add_column(Text("Points", justify="right"), key="points")
        table.add_column("Reason", key="reason")
        table.add_column("By", key="by")
        for e in entries:
            table.add_row(plain(date_text(e.created_at)), Text(f"{e.delta:+,}", justify="right"), plain(e.reason),
                          plain(e.created_by), key=str(e.id))

    @on(Input.Submitted, "#delta")
    def delta_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#reason", Input).focus()

    @on(Input.Submitted, "#reason")
    def reason_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.save()

    def save(self) -> None:
        """Adjust the points by what is typed, with its reason."""
        v = self.form.values()
        cid = self.customer_id
        self.form.clear_errors()

        def done(entry: models.RewardPointEntry) -> None:
            self.form.set_value("delta", "", clean=True)
            self.form.set_value("reason", "", clean=True)
            self.query_one("#delta", Input).focus()
            self.status(f"Points adjusted by {entry.delta:+,}.")
            self.notify(f"Points adjusted by {entry.delta:+,}.", title="Reward points", markup=False)
            self.load()

        self.run_job(lambda: models.adjust_reward_points(cid, v["delta"], v["reason"]), done, name="adjust",
                     failed=lambda exc: self.save_failed(exc, self.form))
