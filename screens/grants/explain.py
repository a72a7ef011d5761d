"""Explain: for a customer (or a visitor) and a product or category, what
they see and pay, and which group and rule decided it."""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Header, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from backroom import models
from backroom.tui.areas import AreaBar, Footer
from backroom.tui.background import LoadsInBackground
from backroom.tui.filters import DEBOUNCE_SECONDS
from backroom.tui.formatters import money, percent, plain
from backroom.tui.safetext import SafeInput

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
        self._searching: str | None = None  # the text of the last search started
        self._searched: str | None = None  # and of the one whose matches are shown
        self._pick_found = False  # Enter came first: take the best match once found

    def compose(self) -> ComposeResult:
        yield Header()
        yield AreaBar()
        with Horizontal(classes="explain-row"):
            yield Label("Customer", classes="explain-label")
            yield SafeInput(placeholder="name, email or id…", id="explain-customer", compact=True)
        yield OptionList(id="explain-matches", compact=True)
        with Horizontal(classes="explain-row"):
            yield Label("Product", classes="explain-label")
            yield Select([], prompt="choose a product or category", id="explain-product", compact=True)
        yield Label("", id="explain-chosen", classes="status", markup=False)
        with VerticalScroll(id="explain-body"):
            yield Static("Choose a customer (or Visitor) and a product or category.", id="explain-result",
                         markup=False)
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
        self._searching = text

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
        self._searched = self._searching
        matches = self.query_one("#explain-matches", OptionList)
        matches.clear_options()
        options = [Option(Text("Visitor who is not logged in (Guest)", style="italic"), id=GUEST_OPTION)]
        options += [Option(plain(f"#{r.id} {r.name} <{r.email}>"), id=f"c:{r.id}") for r in rows]
        matches.add_options(options)
        matches.highlighted = 1 if rows else 0
        if self._pick_found:
            self._pick_found = False
            self._pick_best()

    @on(Input.Submitted, "#explain-customer")
    def submitted(self, event: Input.Submitted) -> None:
        """Enter: take the best match for what is typed, once it is found
        (typed ahead, Enter may come before the search has even started)."""
        if self._searched != event.value.strip():
            if self._timer is not None:
                self._timer.stop()
            self._pick_found = True
            self.search(event.value)
            return
        self._pick_best()

    def _pick_best(self) -> None:
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
        """Esc: from the customer box to its matches; from anywhere else, back."""
        if self.focused is self.query_one("#explain-customer", Input):
            self.query_one("#explain-matches", OptionList).focus()
            return
        self.dismiss(None)

    def action_find(self) -> None:
        self.query_one("#explain-customer", Input).focus()

    def action_guest(self) -> None:
        self.choose(None, "a visitor who is not logged in (Guest)")

    def action_product(self) -> None:
        self.query_one("#explain-product", Select).focus()


LABEL_WIDTH = 15


class Explained:
    """An explanation's lines: a label, then its value and the reason that
    decided it.  A long value or reason wraps under itself (a hanging
    indent), never back to the label's column.  ``str()`` is the plain text
    of the lines, unwrapped."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, Text]] = []

    def line(self, label: str, value: str, style: str = "", why: str = "") -> None:
        text = Text(models.clean_line(value), style=style)
        if why:
            text.append(" — ")
            text.append(models.clean_line(why), style="italic")
        self.lines.append((label, text))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        grid = Table.grid()
        grid.add_column(width=LABEL_WIDTH, no_wrap=True, style="bold")
        grid.add_column(ratio=1, overflow="fold")
        for label, text in self.lines:
            grid.add_row(label, text)
        yield grid

    def __str__(self) -> str:
        return "\n".join(f"{label:<{LABEL_WIDTH}}{text.plain}" for label, text in self.lines)


def explanation_text(e: models.Explanation) -> Explained:
    """An Explanation as label/value lines, each with the reason that
    decided it; every value plain text."""
    out = Explained()
    line = out.line
    line("Customer", e.customer)
    line("Groups", ", ".join(e.groups))
    line("Product" if e.product else "Category", f"{e.product} ({e.category})" if e.product else e.category)
    line("Can see it", "yes" if e.visible else "NO", "bold green" if e.visible else "bold red",
         e.visibility_reason)
    if e.price is not None:
        off = f", {percent(e.discount_percent)} off" if e.discount_percent else ""
        line("Price", money(e.price), "bold", f"list price {money(e.base_price)}{off}")
    line("Discount", percent(e.discount_percent), "", e.discount_reason)
    line("Tax class", e.tax_class or "none", "", e.tax_reason)
    line("Free shipping", "yes" if e.free_shipping else "no", "",
         f"from {e.free_shipping_group}" if e.free_shipping_group else "")
    return out
