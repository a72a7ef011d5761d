"""What a group grants: the Access editor (visibility ticks and per-category
discounts), the Explain view, the rules editor and the outbox."""

from __future__ import annotations

import dataclasses
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Header, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from backroom import models
from backroom.tui.background import Background, LoadsInBackground, error_message
from backroom.tui.widgets import DEBOUNCE_SECONDS, AreaBar, ConfirmModal, Tick, date_text, money, plain


def _discount_key(category_id: int) -> str:
    return f"category_discounts[{category_id}]"


def restricted_text(restricted: bool) -> Text:
    return Text("restricted" if restricted else "open to all", style="bold" if restricted else "")


# --------------------------------------------------------------------------
# Access: which categories a group may see, and its discount in each
# --------------------------------------------------------------------------


class AccessRow(Horizontal):
    """One category: the tick, whether it is restricted, the discount."""

    def __init__(self, category: models.Category, ticked: bool, discount: Decimal | None,
                 with_discount: bool) -> None:
        super().__init__(classes="access-row", id=f"access-row-{category.id}")
        self.category_id = category.id
        self.category_name = category.name
        self.restricted = bool(category.restricted)
        self.ticked = ticked
        self.discount = "" if discount is None else models.format_percent(discount).rstrip("%")
        self.with_discount = with_discount

    def compose(self) -> ComposeResult:
        cid = self.category_id
        yield Tick(plain(self.category_name), self.ticked, id=f"access-{cid}", compact=True,
                   classes="access-tick")
        yield Label(restricted_text(self.restricted), id=f"restricted-{cid}", classes="access-restricted")
        if self.with_discount:
            yield Input(self.discount, id=f"cat-discount-{cid}", placeholder="none", compact=True,
                        classes="access-discount")
        yield Label("", id=f"err-cat-{cid}", classes="error access-error", markup=False)

    def set_restricted(self, restricted: bool) -> None:
        self.restricted = restricted
        self.query_one(f"#restricted-{self.category_id}", Label).update(restricted_text(restricted))


@dataclasses.dataclass
class Grants:
    """What the Access editor shows: every category, those a group may see
    (ticked) and its discount in each (none for a new group)."""

    categories: list[models.Category]
    ticked: set[int] = dataclasses.field(default_factory=set)
    discounts: dict[int, Decimal] = dataclasses.field(default_factory=dict)


def read_grants(group_id: int | None) -> Grants:
    """The Access editor's data for ``group_id`` (None: a new group).  Reads
    the database: call it in a worker."""
    if group_id is None:
        return Grants(models.categories())
    return Grants(models.categories(), models.group_category_access(group_id), models.category_discounts(group_id))


class AccessEditor(Vertical, Background):
    """A group's Access ticks (what its members may see) and, unless
    ``with_discount`` is False, its discount % per category (blank: none).
    Empty until its screen has read the :class:`Grants` and called :meth:`show`."""

    BINDINGS = [
        Binding("ctrl+t", "toggle_restricted", "Restrict/open category",
                tooltip="Mark the highlighted category restricted, or open it to everyone (saved at once)"),
    ]

    def __init__(self, *, with_discount: bool = True, id: str | None = None) -> None:
        super().__init__(id=id, classes="access-editor")
        self.with_discount = with_discount

    def compose(self) -> ComposeResult:
        with Horizontal(classes="access-row access-head"):
            yield Label("May see · category", classes="access-tick-head")
            yield Label("Visibility", classes="access-restricted")
            if self.with_discount:
                yield Label("Discount %", classes="access-discount-head")
        yield VerticalScroll(classes="access-rows")

    async def show(self, grants: Grants) -> None:
        """One row per category, ticked and with its discount as ``grants`` says."""
        rows = self.query_one(".access-rows", VerticalScroll)
        await rows.remove_children()
        if not grants.categories:
            await rows.mount(Label("There are no categories yet.", classes="hint"))
            return
        await rows.mount_all([AccessRow(cat, cat.id in grants.ticked, grants.discounts.get(cat.id),
                                        self.with_discount) for cat in grants.categories])

    def first_tick(self) -> Tick | None:
        ticks = list(self.query(Tick))
        return ticks[0] if ticks else None

    def access(self) -> set[int]:
        """The ticked category ids."""
        return {row.category_id for row in self.query(AccessRow)
                if row.query_one(f"#access-{row.category_id}", Tick).value}

    def discounts(self) -> dict[int, str]:
        """Category id -> the discount as typed ("" for none)."""
        if not self.with_discount:
            return {}
        return {row.category_id: row.query_one(f"#cat-discount-{row.category_id}", Input).value.strip()
                for row in self.query(AccessRow)}

    def values(self) -> tuple[set[int], dict[int, str]]:
        return self.access(), self.discounts()

    def show_errors(self, errors: dict[str, str]) -> bool:
        """Each discount error beside its category; True if any was shown."""
        shown = False
        for row in self.query(AccessRow):
            message = errors.get(_discount_key(row.category_id), "")
            label = row.query_one(f"#err-cat-{row.category_id}", Label)
            label.update(message)
            label.set_class(bool(message), "-shown")
            if message and not shown:
                shown = True
                if self.with_discount:
                    row.query_one(f"#cat-discount-{row.category_id}", Input).focus()
        return shown

    def current_row(self) -> AccessRow | None:
        node = self.screen.focused
        while node is not None and node is not self:
            if isinstance(node, AccessRow):
                return node
            node = node.parent
        rows = list(self.query(AccessRow))
        return rows[0] if len(rows) == 1 else None

    def action_toggle_restricted(self) -> None:
        row = self.current_row()
        if row is None:
            self.notify("Move to a category first.", severity="warning")
            return
        cid, restricted = row.category_id, not row.restricted

        def done(cat: models.Category) -> None:
            row.set_restricted(bool(cat.restricted))
            what = ("restricted: only ticked groups see it" if cat.restricted else "open to everyone")
            self.notify(f"{models.clean_line(cat.name)} is now {what}.", title="Category saved", markup=False)

        self.run_job(lambda: models.set_category_restricted(cid, restricted), done, name="restricted")


class AccessScreen(Screen[bool], LoadsInBackground):
    """Access only, for Guest: its ticks say what visitors who are not logged
    in may see (Guest's other settings stay locked)."""

    AUTO_FOCUS = None  # the first tick, once the categories are in
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", tooltip="Save what this group may see"),
        Binding("escape", "cancel", "Back", tooltip="Close, asking before discarding changes"),
    ]

    def __init__(self, group_id: int) -> None:
        super().__init__()
        self.group_id = group_id
        self.title = "Access"
        self._initial: Any = None
        self.saving = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield AreaBar()
        yield Label("", id="access-intro", classes="access-intro")
        yield AccessEditor(with_discount=False, id="access-editor")
        yield Label("space tick · ctrl+t restrict/open the category · ctrl+s save · esc back", classes="hint keys")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.editor.loading = True
        gid = self.group_id
        self.run_job(lambda: (models.get_group(gid), read_grants(gid)), self.show, name="load",
                     failed=self.load_failed)

    async def show(self, found: tuple[models.CustomerGroup, Grants]) -> None:
        group, grants = found
        self.title = f"Access: {models.clean_line(group.name)}"
        self.query_one("#access-intro", Label).update(
            "Visitors who are not logged in see the open categories and the restricted ones ticked here."
            if models.group_permissions(group).visitors
            else "Members of this group may see the ticked restricted categories.")
        await self.editor.show(grants)
        self.editor.loading = False
        self._initial = self.editor.values()
        if (tick := self.editor.first_tick()) is not None:
            tick.focus()
        self.loaded()

    @property
    def editor(self) -> AccessEditor:
        return self.query_one(AccessEditor)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "save":
            return self.is_loaded or None  # not before there is something to save
        return True

    def action_save(self) -> None:
        if self.saving or not self.is_loaded:
            return
        gid, wanted = self.group_id, self.editor.access()
        self.saving = True

        def done(_: Any) -> None:
            self.saving = False
            self.notify(f"Saved: {len(wanted)} categor{'y' if len(wanted) == 1 else 'ies'} ticked.",
                        title="Access saved")
            self.dismiss(True)

        def failed(exc: BaseException) -> None:
            self.saving = False
            self.job_failed(exc)

        self.run_job(lambda: models.set_category_access(gid, wanted), done, name="save", failed=failed)

    def action_cancel(self) -> None:
        if not self.is_loaded or self.editor.values() == self._initial:
            self.dismiss(False)
            return
        self.app.push_screen(ConfirmModal("Discard changes?", "You have unsaved changes. Discard them?",
                                          yes="Discard", no="Keep editing"),
                             lambda yes: self.dismiss(False) if yes else None)


# --------------------------------------------------------------------------
# Explain
# --------------------------------------------------------------------------

GUEST_OPTION = "guest"


class ExplainScreen(Screen[None], LoadsInBackground):
    """Pick a customer (or a visitor) and a product or category: what they
    see, the price they pay, and which group and rule decided it."""

    TITLE = "Explain"
    BINDINGS = [
        Binding("escape", "back", "Back", tooltip="Back to where you were"),
        Binding("ctrl+f", "find", "Find customer", tooltip="Search customers by name, email or id"),
        Binding("ctrl+g", "guest", "Visitor", tooltip="Explain for a visitor who is not logged in (Guest)"),
        Binding("ctrl+o", "product", "Product", tooltip="Choose the product or category"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.customer_id: int | None = None
        self.customer_chosen = False
        self.explanation: models.Explanation | None = None
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield AreaBar()
        with Horizontal(classes="explain-row"):
            yield Label("Customer", classes="explain-label")
            yield Input(placeholder="name, email or id…", id="explain-customer", compact=True)
        yield OptionList(id="explain-matches", compact=True)
        with Horizontal(classes="explain-row"):
            yield Label("Product", classes="explain-label")
            yield Select([], prompt="choose a product or category", id="explain-product", compact=True)
        yield Label("", id="explain-chosen", classes="status")
        with VerticalScroll(id="explain-body"):
            yield Static("Choose a customer (or Visitor) and a product or category.", id="explain-result")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.search("")
        self.query_one("#explain-product", Select).loading = True
        self.run_job(lambda: (models.product_choices(), models.categories()), self.show_choices, name="choices",
                     failed=self.load_failed)
        self.query_one("#explain-customer", Input).focus()

    def show_choices(self, found: tuple[list[models.ProductChoice], list[models.Category]]) -> None:
        products, categories = found
        select = self.query_one("#explain-product", Select)
        select.set_options([(plain(f"{p.name} · {p.category}"), f"p:{p.id}") for p in products]
                           + [(plain(f"Category: {c.name}"), f"c:{c.id}") for c in categories])
        select.loading = False
        self.loaded()

    # -- searching ----------------------------------------------------------
    @on(Input.Changed, "#explain-customer")
    def typed(self, event: Input.Changed) -> None:
        if self._timer is not None:
            self._timer.stop()
        text = event.value
        self._timer = self.set_timer(DEBOUNCE_SECONDS, lambda: self.search(text))

    def search(self, text: str) -> None:
        text = text.strip()

        def job() -> list[models.CustomerRow]:
            by_id = models.find_customer(text)
            found = [by_id] if by_id is not None else []
            if text:
                try:
                    flt = models.build_filter(text=text)
                except models.ValidationError:
                    return found
                found += [r for r in models.customer_page(flt, sort="name", limit=8)
                          if all(r.id != f.id for f in found)]
            return found

        self.run_job(job, self.show_matches, name="search")

    def show_matches(self, rows: list[models.CustomerRow]) -> None:
        matches = self.query_one("#explain-matches", OptionList)
        matches.clear_options()
        options = [Option(Text("Visitor who is not logged in (Guest)", style="italic"), id=GUEST_OPTION)]
        options += [Option(plain(f"#{r.id} {r.name} <{r.email}>"), id=f"c:{r.id}") for r in rows]
        matches.add_options(options)
        matches.highlighted = 1 if rows else 0

    @on(Input.Submitted, "#explain-customer")
    def submitted(self) -> None:
        """Enter: take the best match (after the search in flight finishes)."""
        matches = self.query_one("#explain-matches", OptionList)
        if matches.option_count > 1:
            self._pick(matches.get_option_at_index(1))
        else:
            matches.focus()

    @on(OptionList.OptionSelected, "#explain-matches")
    def picked(self, event: OptionList.OptionSelected) -> None:
        self._pick(event.option)

    def _pick(self, option: Option) -> None:
        if option.id == GUEST_OPTION:
            self.action_guest()
            return
        cid = int(str(option.id).split(":", 1)[1])
        self.choose(cid, str(option.prompt).split(" ", 1)[1])

    def choose(self, customer_id: int | None, label: str) -> None:
        self.customer_id = customer_id
        self.customer_chosen = True
        self.query_one("#explain-chosen", Label).update(plain(f"Explaining for: {label}"))
        if self.query_one("#explain-product", Select).value is Select.NULL:
            self.query_one("#explain-product", Select).focus()
        self.explain()

    @on(Select.Changed, "#explain-product")
    def product_changed(self) -> None:
        self.explain()

    # -- explaining ---------------------------------------------------------
    def explain(self) -> None:
        value = self.query_one("#explain-product", Select).value
        if not self.customer_chosen or value is Select.NULL:
            return
        kind, _, raw = str(value).partition(":")
        cid, target = self.customer_id, int(raw)

        def job() -> models.Explanation:
            if kind == "p":
                return models.explain(cid, product_id=target)
            return models.explain(cid, category_id=target)

        self.run_job(job, self.show, name="explain")

    def show(self, e: models.Explanation) -> None:
        self.explanation = e
        self.query_one("#explain-result", Static).update(explanation_text(e))

    # -- actions ------------------------------------------------------------
    def action_back(self) -> None:
        self.dismiss(None)

    def action_find(self) -> None:
        self.query_one("#explain-customer", Input).focus()

    def action_guest(self) -> None:
        self.choose(None, "a visitor who is not logged in (Guest)")

    def action_product(self) -> None:
        self.query_one("#explain-product", Select).focus()


def explanation_text(e: models.Explanation) -> Text:
    """An Explanation as label/value lines, each with the reason that
    decided it; every value plain text."""
    text = Text()

    def line(label: str, value: str, style: str = "", why: str = "") -> None:
        if text:
            text.append("\n")
        text.append(f"{label:<15}", style="bold")
        text.append(models.clean_line(value), style=style)
        if why:
            text.append(" — ")
            text.append(models.clean_line(why), style="italic")

    line("Customer", e.customer)
    line("Groups", ", ".join(e.groups))
    line("Product" if e.product else "Category", f"{e.product} ({e.category})" if e.product else e.category)
    line("Can see it", "yes" if e.visible else "NO", "bold green" if e.visible else "bold red",
         e.visibility_reason)
    if e.price is not None:
        off = f", {models.format_percent(e.discount_percent)} off" if e.discount_percent else ""
        line("Price", money(e.price), "bold", f"list price {money(e.base_price)}{off}")
    line("Discount", models.format_percent(e.discount_percent), "", e.discount_reason)
    line("Tax class", e.tax_class or "none", "", e.tax_reason)
    line("Free shipping", "yes" if e.free_shipping else "no", "",
         f"from {e.free_shipping_group}" if e.free_shipping_group else "")
    return text


# --------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------

FIELD_NAMES = {
    "total_spent": "Total spent", "order_count": "Number of orders", "registered": "Registered",
    "status": "Status", "country": "Billing country",
}
OP_NAMES = {">=": "at least", "<=": "at most", "before": "before", "after": "after", "within": "within the last",
            "=": "is"}
PLACEHOLDERS = {
    "total_spent": "amount, e.g. 500", "order_count": "a whole number", "status": "active or disabled",
    "country": "two letters, e.g. GB", "registered": "2023-01-01", "registered within": "6 months",
}


class RuleRow(Vertical):
    """One rule: field, operator, value, and its error line."""

    def __init__(self, rule: models.Rule | None = None) -> None:
        super().__init__(classes="rule-row")
        self.rule = rule

    def compose(self) -> ComposeResult:
        r = self.rule
        with Horizontal(classes="rule-fields"):
            yield Label("", classes="rule-number")
            yield Select([(name, key) for key, name in FIELD_NAMES.items()], prompt="field",
                         value=r.field if r and r.field in FIELD_NAMES else Select.NULL,
                         classes="rule-field", compact=True)
            yield Select(self._ops(r.field if r else ""), prompt="op",
                         value=r.op if r and r.op in models.RULE_FIELDS.get(r.field, ()) else Select.NULL,
                         classes="rule-op", compact=True)
            yield Input(r.value if r else "", classes="rule-value", compact=True,
                        placeholder=self._placeholder(r.field if r else "", r.op if r else ""))
        yield Label("", classes="error rule-error", markup=False)

    @staticmethod
    def _ops(field: str) -> list[tuple[str, str]]:
        return [(OP_NAMES[op], op) for op in models.RULE_FIELDS.get(field, ())]

    @staticmethod
    def _placeholder(field: str, op: str) -> str:
        return PLACEHOLDERS.get(f"{field} {op}", PLACEHOLDERS.get(field, "value"))

    def number(self, n: int) -> None:
        self.query_one(".rule-number", Label).update(f"{n}.")

    def data(self) -> dict[str, str]:
        field = self.query_one(".rule-field", Select).value
        op = self.query_one(".rule-op", Select).value
        return {"field": "" if field is Select.NULL else str(field), "op": "" if op is Select.NULL else str(op),
                "value": self.query_one(".rule-value", Input).value}

    def show_error(self, message: str) -> None:
        label = self.query_one(".rule-error", Label)
        label.update(message)
        label.set_class(bool(message), "-shown")

    @on(Select.Changed, ".rule-field")
    def field_changed(self, event: Select.Changed) -> None:
        field = "" if event.value is Select.NULL else str(event.value)
        op_select = self.query_one(".rule-op", Select)
        current = op_select.value
        ops = self._ops(field)
        op_select.set_options(ops)
        if ops:
            op_select.value = current if current in [o for _, o in ops] else ops[0][1]
        self._update_placeholder()

    @on(Select.Changed, ".rule-op")
    def op_changed(self) -> None:
        self._update_placeholder()

    def _update_placeholder(self) -> None:
        d = self.data()
        self.query_one(".rule-value", Input).placeholder = self._placeholder(d["field"], d["op"])


class RulesScreen(Screen[None], LoadsInBackground):
    """A group's rules of automatic membership: edit, save, preview, apply."""

    AUTO_FOCUS = None  # the first rule, once the rules are in
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", tooltip="Save the rules (nothing changes membership until applied)"),
        Binding("f5", "preview", "Preview", tooltip="Who would join and leave under the saved rules"),
        Binding("f6", "apply", "Apply", tooltip="Apply the saved rules now, after confirming"),
        Binding("ctrl+n", "add_rule", "Add rule", tooltip="Add a rule"),
        Binding("ctrl+r", "remove_rule", "Remove rule", tooltip="Remove the rule with the cursor"),
        Binding("escape", "back", "Back", tooltip="Close, asking before discarding changes"),
    ]

    def __init__(self, group_id: int) -> None:
        super().__init__()
        self.group_id = group_id
        self.group: models.CustomerGroup | None = None
        self.title = "Rules"
        self._saved: Any = None
        self.busy = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield AreaBar()
        yield Label("Customers who match join automatically; rule-made members who stop matching leave. "
                    "Members added by hand stay.", classes="rules-intro")
        with Horizontal(classes="rules-match"):
            yield Label("Match", classes="rule-number")
            yield Select([("all of the rules", "all"), ("any of the rules", "any")], value="all",
                         allow_blank=False, id="rules-match", compact=True)
            yield Label("", id="err-match", classes="error", markup=False)
        yield VerticalScroll(id="rules-list")
        yield Label("", id="rules-status", classes="status")
        with VerticalScroll(id="rules-preview-box"):
            yield Static("", id="rules-preview")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#rules-list").loading = True
        gid = self.group_id
        self.run_job(lambda: (models.get_group(gid), models.get_rules(gid)), self.show_rules, name="load",
                     failed=self.load_failed)

    async def show_rules(self, found: tuple[models.CustomerGroup, tuple[str, list[models.Rule]]]) -> None:
        self.group, (match, rules) = found
        hidden = " (hidden)" if self.group.hidden else ""
        self.title = f"Rules: {models.clean_line(self.group.name)}{hidden}"
        self.query_one("#rules-match", Select).value = match
        rules_list = self.query_one("#rules-list")
        await rules_list.mount_all([RuleRow(rule) for rule in rules] or [RuleRow()])
        rules_list.loading = False
        self._renumber()
        self._saved = self._state() if rules else (match, [])
        first = self.query(".rule-field")
        (first.first() if first else self.query_one("#rules-match")).focus()
        self.loaded()
        self.action_preview()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("save", "preview", "apply", "add_rule", "remove_rule"):
            return self.is_loaded or None  # nothing to edit, save or preview before the rules are in
        return True

    def _rows(self) -> list[RuleRow]:
        return list(self.query(RuleRow))

    def _renumber(self) -> None:
        for i, row in enumerate(self._rows()):
            row.number(i + 1)

    def _state(self) -> tuple[str, list[dict[str, str]]]:
        match = self.query_one("#rules-match", Select).value
        rules = [r.data() for r in self._rows()]
        # A blank new row is not a change.
        rules = [r for r in rules if any(v.strip() for v in r.values())]
        return str(match), rules

    def is_dirty(self) -> bool:
        return self._state() != self._saved

    def current_row(self) -> RuleRow | None:
        node = self.focused
        while node is not None:
            if isinstance(node, RuleRow):
                return node
            node = node.parent
        return None

    # -- editing ------------------------------------------------------------
    async def action_add_rule(self) -> None:
        row = RuleRow()
        await self.query_one("#rules-list").mount(row)
        self._renumber()
        row.query_one(".rule-field", Select).focus()
        row.scroll_visible()

    async def action_remove_rule(self) -> None:
        row = self.current_row()
        rows = self._rows()
        if row is None:
            row = rows[-1] if rows else None
        if row is None:
            return
        index = rows.index(row)

        await row.remove()
        rest = self._rows()
        self._renumber()
        if rest:
            rest[min(index, len(rest) - 1)].query_one(".rule-field", Select).focus()
        else:
            self.query_one("#rules-match", Select).focus()

    def show_errors(self, errors: dict[str, str]) -> None:
        match_err = self.query_one("#err-match", Label)
        match_err.update(errors.get("match", ""))
        match_err.set_class("match" in errors, "-shown")
        focused = False
        for i, row in enumerate(self._rows()):
            message = errors.get(f"rules[{i}]", "")
            row.show_error(f"Rule {i + 1}: {message}" if message else "")
            if message and not focused:
                focused = True
                row.query_one(".rule-value", Input).focus()

    # -- saving, previewing, applying ---------------------------------------
    def _status(self, message: str, busy: bool = False) -> None:
        status = self.query_one("#rules-status", Label)
        status.update(message)
        status.set_class(busy, "-busy")

    def action_save(self) -> None:
        if self.busy or not self.is_loaded:
            return
        match, _ = self._state()
        rules = [r.data() for r in self._rows()]
        # Entirely blank rows are dropped rather than refused.
        keep = [i for i, r in enumerate(rules) if any(v.strip() for v in r.values())]
        gid = self.group_id
        self.show_errors({})
        self.busy = True
        self._status("Saving…", busy=True)

        def failed(exc: BaseException) -> None:
            self.busy = False
            self._status("Not saved.")
            if isinstance(exc, models.ValidationError):
                # Map error keys back to the rows as shown (blank rows were skipped).
                errors = {}
                for key, message in exc.errors.items():
                    if key.startswith("rules[") and key.endswith("]"):
                        key = f"rules[{keep[int(key[6:-1])]}]"
                    errors[key] = message
                self.show_errors(errors)
                self.notify("The rules were not saved: see the messages under them.", title="Not saved",
                            severity="error")
                return
            self.job_failed(exc)

        def done(saved: list[models.Rule]) -> None:
            self.busy = False
            self._saved = self._state()
            self._status(f"Saved {len(saved)} rule{'s' if len(saved) != 1 else ''}.")
            self.notify(f"Saved {len(saved)} rule{'s' if len(saved) != 1 else ''}.", title="Rules saved")
            self.action_preview()

        self.run_job(lambda: models.set_rules(gid, match, [rules[i] for i in keep]), done, name="save",
                     failed=failed)

    def _need_saved(self) -> bool:
        if self.is_dirty():
            self.notify("Save the rules first (Ctrl+S): preview and apply use the saved rules.",
                        title="Unsaved rules", severity="warning")
            return False
        return True

    def action_preview(self) -> None:
        if not self.is_loaded or not self._need_saved():
            return
        gid = self.group_id
        self._status("Previewing…", busy=True)
        self.run_job(lambda: models.preview_rules(gid, sample=8), self.show_preview, name="preview")

    def show_preview(self, p: models.RulePreview) -> None:
        self._status("")
        text = Text()
        if not self._saved[1]:
            text.append("No rules saved: applying changes nothing.")
        else:
            text.append("Preview: ", style="bold")
            text.append(f"{p.joining:,} would join, {p.leaving:,} would leave.")
            for title, sample, total in (("Joining", p.sample_joining, p.joining),
                                         ("Leaving", p.sample_leaving, p.leaving)):
                if sample:
                    text.append(f"\n{title}: ", style="bold")
                    text.append(models.clean_line(", ".join(r.name for r in sample)))
                    if total > len(sample):
                        text.append(f" and {total - len(sample):,} more")
        self.query_one("#rules-preview", Static).update(text)

    def action_apply(self) -> None:
        if self.busy or self.group is None or not self._need_saved():
            return
        if not self._saved[1]:
            self.notify("There are no saved rules to apply.", severity="warning")
            return
        gid, name = self.group_id, models.clean_line(self.group.name)
        self._status("Counting who would join and leave…", busy=True)

        def ask(p: models.RulePreview) -> None:
            self._status("")
            question = Text(f"Apply the rules of {name} now?\n\n")
            question.append(f"{p.joining:,} customer{' joins' if p.joining == 1 else 's join'}, "
                            f"{p.leaving:,} {'leaves' if p.leaving == 1 else 'leave'}. Each change queues a "
                            "notification (none for a hidden group).")
            self.app.push_screen(ConfirmModal("Apply rules", question, yes="Apply", no="Cancel"), answered)

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            self.busy = True
            self._status("Applying the rules…", busy=True)
            self.run_job(lambda: models.apply_rules(gid), applied, name="apply", failed=apply_failed)

        def applied(results: list[models.RulePreview]) -> None:
            self.busy = False
            r = results[0]
            self._status(f"Applied: {r.joining:,} joined, {r.leaving:,} left.")
            self.notify(f"{r.joining:,} joined, {r.leaving:,} left.", title="Rules applied")
            self.action_preview()

        def apply_failed(exc: BaseException) -> None:
            self.busy = False
            self._status(f"Not applied: {error_message(exc)}")
            self.job_failed(exc)

        self.run_job(lambda: models.preview_rules(gid, sample=0), ask, name="preview")

    def action_back(self) -> None:
        if self.busy:
            self.notify("Working… please wait.", severity="warning")
            return
        if not self.is_loaded or not self.is_dirty():
            self.dismiss(None)
            return
        self.app.push_screen(ConfirmModal("Discard changes?", "You have unsaved rules. Discard them?",
                                          yes="Discard", no="Keep editing"),
                             lambda yes: self.dismiss(None) if yes else None)


# --------------------------------------------------------------------------
# The outbox
# --------------------------------------------------------------------------


class OutboxScreen(Screen[None], Background):
    """Join/leave notifications waiting to be exported, a page at a time,
    and Export to a CSV file or an mbox."""

    TITLE = "Outbox"
    PAGE = 50
    BINDINGS = [
        Binding("escape", "back", "Back", tooltip="Back to where you were"),
        Binding("n", "next_page", "Next page", tooltip="The next page of notifications"),
        Binding("p", "prev_page", "Prev page", tooltip="The previous page of notifications"),
        Binding("ctrl+s", "export", "Export", tooltip="Write every pending notification to the file and mark "
                "them exported"),
        Binding("ctrl+l", "path", "Export path", show=False, tooltip="Type the file to export to"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.pages: list[int] = [0]  # the after_id of each page so far
        self.rows: list[models.OutboxRow] = []
        self.has_next = False
        self.total: int | None = None
        self.exporting = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield AreaBar()
        yield Label("Loading…", id="outbox-status", classes="status")
        yield DataTable(id="outbox", cursor_type="row", zebra_stripes=True)
        with Horizontal(classes="outbox-export"):
            yield Label("Export to", classes="explain-label")
            yield Input(placeholder="file path, e.g. ~/outbox.csv", id="export-path", compact=True)
            yield Select([("CSV", "csv"), ("mbox", "mbox")], value="csv", allow_blank=False, id="export-format",
                         compact=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#outbox", DataTable)
        table.add_column("Id", key="id")
        table.add_column("Queued", key="at")
        table.add_column("Customer", key="name", width=13)
        table.add_column("Email", key="email", width=20)
        table.add_column("Event", key="event", width=13)
        table.add_column("Group", key="group", width=10)
        table.focus()
        self.load()

    def load(self) -> None:
        after, limit = self.pages[-1], self.PAGE

        def job() -> tuple[list[models.OutboxRow], int]:
            return models.outbox(after_id=after, limit=limit + 1), models.outbox_count()

        self.run_job(job, self.show, name="outbox")

    def show(self, result: tuple[list[models.OutboxRow], int]) -> None:
        rows, total = result
        self.has_next = len(rows) > self.PAGE
        self.rows = rows[:self.PAGE]
        self.total = total
        table = self.query_one("#outbox", DataTable)
        table.clear()
        for r in self.rows:
            table.add_row(str(r.id), date_text(r.created_at), plain(r.name), plain(r.email),
                          f"{r.event}·{r.source}", plain(r.group), key=str(r.id))
        page = len(self.pages)
        if total == 0:
            status = "No notifications waiting: the outbox is empty."
        elif not self.rows:
            status = f"{total:,} pending · no more on this page"
        else:
            status = (f"{total:,} pending · page {page} · "
                      f"{'n: next page · ' if self.has_next else ''}{'p: previous · ' if page > 1 else ''}"
                      "ctrl+s export")
        self.query_one("#outbox-status", Label).update(status)
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "next_page":
            return self.has_next or None
        if action == "prev_page":
            return len(self.pages) > 1 or None
        return True

    def action_next_page(self) -> None:
        if self.has_next and self.rows:
            self.pages.append(self.rows[-1].id)
            self.load()

    def action_prev_page(self) -> None:
        if len(self.pages) > 1:
            self.pages.pop()
            self.load()

    def action_path(self) -> None:
        self.query_one("#export-path", Input).focus()

    @on(Input.Submitted, "#export-path")
    def path_submitted(self) -> None:
        self.action_export()

    def action_export(self) -> None:
        if self.exporting:
            return
        typed = self.query_one("#export-path", Input).value.strip()
        if not typed:
            self.notify("Type the file to export to first.", severity="warning")
            self.action_path()
            return
        path = os.path.expanduser(typed)
        fmt = str(self.query_one("#export-format", Select).value)
        if Path(path).is_dir():
            self.notify(f"{typed} is a folder: type a file name.", severity="error", markup=False)
            return
        if Path(path).exists():
            self.app.push_screen(ConfirmModal("Replace file?", Text(f"{models.clean_line(typed)} exists. Replace it?"),
                                              yes="Replace", no="Keep"),
                                 lambda yes: self._export(path, fmt) if yes else None)
            return
        self._export(path, fmt)

    def _export(self, path: str, fmt: str) -> None:
        self.exporting = True
        self.query_one("#outbox-status", Label).update("Exporting…")

        def done(n: int) -> None:
            self.exporting = False
            if n:
                self.notify(f"Exported {n:,} notification{'s' if n != 1 else ''} to {path} ({fmt}).",
                            title="Outbox exported", markup=False)
            else:
                self.notify("Nothing to export: the outbox is empty.", title="Outbox")
            self.pages = [0]
            self.load()

        def failed(exc: BaseException) -> None:
            self.exporting = False
            self.load()
            self.job_failed(exc)

        self.run_job(lambda: models.export_outbox(path, fmt=fmt), done, name="export", failed=failed)

    def action_back(self) -> None:
        if self.exporting:
            self.notify("Exporting… please wait.", severity="warning")
            return
        self.dismiss(None)
