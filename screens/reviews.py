"""Review moderation: the queue, the review in full, decisions one by one or in bulk.

The queue (:class:`tui.reviewtable.ReviewTable`) is a window over the
reviews matching the filter, oldest first; beside it (below it on a narrow
terminal) the highlighted review in full with its moderation history, and a
chart of the ratings.  Everything a shopper wrote is shown through
:mod:`tui.safetext`: plain text, control characters escaped.

Keys (the most used in the footer, every one in the command palette, Ctrl+P):

    a approve · r reject (optional reason) · p back to pending
    j / k or ↓ / ↑ next / previous · Home / End / PgUp / PgDn
    space tick · t tick every review matching the filter · x untick all
    A approve the ticked · R reject the ticked (optional reason)
    / or f filter · Esc back to the queue · d scroll the whole review
    c chart the filtered reviews or the highlighted review's product

A decision on the highlighted review shows at once and the next pending
review comes up; it is saved in a worker (``models.moderate_reviews``).
Bulk decisions save a :class:`models.Selection` — ticked ids, or "every
review matching the filter except these" — in one statement.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.geometry import Size
from textual.screen import Screen
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Button, Footer, Header, Input, Label, Select

from backroom import models
from backroom.tui.areas import AreaBar
from backroom.tui.background import Background
from backroom.tui.dialogs import ConfirmModal, InputDialog, count_to_type, typed_matches
from backroom.tui.filters import DebouncedFilter
from backroom.tui.keys import DropsEarlyKeys, WaitsForLists
from backroom.tui.reviewtable import RatingChart, ReviewTable, stars
from backroom.tui.safetext import SafeInput, block_text, safe_line
from backroom.tui.roles import RoleGated
from backroom.tui.statusline import show_status

FILTER_LABELS = {"status": "Status", "rating": "Rating", "product": "Product", "customer": "Customer",
                 "created_from": "From", "created_to": "To", "text": "Find"}
DECISIONS = {"approved": "Approved", "rejected": "Rejected", "pending": "Back to pending"}
_job_numbers = itertools.count(1)


def when(value: dt.datetime | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value[:16]
    return value.strftime("%Y-%m-%d %H:%M")


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def review_detail(row: models.ReviewRow, history: list[models.ReviewEvent] | None) -> Text:
    """The whole review as plain text: stars, title, who and what, dates, the
    body and the moderation history."""
    out = Text(overflow="fold")
    out.append(stars(row.rating), style="bold")
    out.append(f" {row.rating}/5  ")
    out.append(f"[{row.status}]", style="bold reverse" if row.status == "pending" else "bold")
    out.append(f"  #{row.id}\n")
    out.append_text(block_text(row.title or "(no title)", style="bold underline"))
    out.append("\nProduct   ", style="dim")
    out.append(safe_line(row.product))
    out.append("\nAuthor    " if row.anonymous else "\nCustomer  ", style="dim")
    out.append(safe_line(row.customer))
    if row.anonymous:
        out.append(" (not a customer)", style="dim")
    out.append("  verified purchase" if row.verified else "  not a verified purchase")
    out.append("\nWritten   ", style="dim")
    out.append(when(row.created_at))
    if row.moderated_at:
        out.append("\nModerated ", style="dim")
        out.append(f"{when(row.moderated_at)} by {safe_line(row.moderated_by)}")
    if row.reject_reason:
        out.append("\nReason    ", style="dim")
        out.append(safe_line(row.reject_reason))
    out.append("\n\n")
    out.append_text(block_text(row.body or "(no text)"))
    out.append("\n\nHistory\n", style="bold")
    if history is None:
        out.append("loading…")
    elif not history:
        out.append("no decisions yet")
    else:
        for i, e in enumerate(history):
            if i:
                out.append("\n")
            out.append(f"{when(e.at)}  {e.status} by {safe_line(e.actor)}")
            if e.reason:
                out.append(f": {safe_line(e.reason)}")
    return out


# --------------------------------------------------------------------------
# The reject dialog
# --------------------------------------------------------------------------


class RejectModal(DropsEarlyKeys, InputDialog):
    """Ask for an optional reason; dismisses with the reason ("" for none),
    or None to cancel.  Rejecting many at once (``count`` given) ignores the
    keys typed before the dialog was drawn and, for a big count, asks for
    the count to be typed too."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", tooltip="Do not reject")]

    def __init__(self, what: str, count: int | None = None) -> None:
        super().__init__()
        self.what = what
        self.count = count
        self.typed = count_to_type(count) if count is not None else None

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog reject"):
            yield Label(f"Reject {self.what}", classes="dialog-title", markup=False)
            yield Label("Reason (optional, shown in the history):", markup=False)
            yield SafeInput(placeholder="e.g. Off-topic", id="reason", max_length=500)
            yield Label("", id="reason-error", classes="error", markup=False)
            if self.typed is not None:
                yield Label(f"Type {self.typed} (the number of reviews) to reject them:", markup=False)
                yield SafeInput(id="typed", compact=True)
                yield Label("", id="typed-error", classes="error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Reject (enter)", id="reject", variant="error")
                yield Button("Cancel (esc)", id="cancel", variant="primary")

    def on_mount(self) -> None:  # InputDialog's runs too: the reason has focus
        self.call_after_refresh(self.note_drawn)

    def drops_key(self, arrived: float) -> bool:
        return self.count is not None and super().drops_key(arrived)

    def action_submit(self) -> None:
        reason = self.query_one("#reason", Input).value.strip()
        if models.has_control_chars(reason):
            error = self.query_one("#reason-error", Label)
            error.update("The reason cannot contain control characters")
            error.add_class("-shown")
            return
        if self.typed is not None and not typed_matches(self.query_one("#typed", Input).value, self.typed):
            error = self.query_one("#typed-error", Label)
            error.update(f"Type {self.typed} exactly to reject {self.what}.")
            error.add_class("-shown")
            self.query_one("#typed", Input).focus()
            return
        self.dismiss(reason)


# --------------------------------------------------------------------------
# The filter
# --------------------------------------------------------------------------


class ReviewDetail(ScrollView, can_focus=True):
    """The highlighted review in full, drawn a line at a time (Textual's line
    API).  Its size is the pane's and never changes with what it shows, and
    its scrollbar is always there: a new review (and its history, a moment
    later) repaints the pane, where a text of its own height re-laid out the
    whole screen, twice per key."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._text = Text()
        self._lines: list[Strip] = []
        self._width = -1

    @property
    def text(self) -> Text:
        """What the pane shows (every line, also those scrolled out of sight)."""
        return self._text

    def show(self, text: Text, *, home: bool = False) -> None:
        self._text = text
        self._wrap()
        if home:
            self.scroll_to(0, 0, animate=False, immediate=True)
        self.refresh()

    def _wrap(self) -> None:
        width = self.scrollable_content_region.width
        self._width = width
        if width <= 0:
            self._lines = []
            return
        console = self.app.console
        options = console.options.update_width(width).update(highlight=False, height=None)
        self._lines = [Strip(line) for line in console.render_lines(self._text, options, pad=False)]
        size = Size(width, len(self._lines))
        if size != self.virtual_size:
            # Not the reactive's setter: that lays the screen out again.
            self.set_reactive(ReviewDetail.virtual_size, size)
            self._scroll_update(size)

    def on_resize(self) -> None:
        if self.scrollable_content_region.width != self._width:
            self._wrap()
            self.refresh()

    def render_line(self, y: int) -> Strip:
        _, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        index = scroll_y + y
        if index >= len(self._lines):
            return Strip.blank(width, self.rich_style)
        return self._lines[index].crop_extend(0, width, self.rich_style).apply_style(self.rich_style)


class ReviewFilterBar(DebouncedFilter, Background):
    """Status, rating, product SKU, customer email, dates and text; posts
    :class:`ReviewFilterBar.Changed` once typing pauses and what is typed is valid."""

    QUICK = "rf-text"

    def __init__(self, initial: models.ReviewFilter, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="review-filter")
        self.filter = initial

    def compose(self) -> ComposeResult:
        with Horizontal(classes="rf-row"):
            yield Label("Find", classes="filter-label")
            yield SafeInput(placeholder="text in title or body", id="rf-text", compact=True)
            yield Label("Status", classes="filter-label")
            yield Select([(s, s) for s in models.REVIEW_STATUSES], prompt="any", id="rf-status", compact=True,
                         value=self.filter.status or Select.NULL)
            yield Label("Rating", classes="filter-label")
            yield Select([(f"{n} {stars(n)}", str(n)) for n in range(5, 0, -1)], prompt="any", id="rf-rating",
                         compact=True)
        with Horizontal(classes="rf-row"):
            yield Label("Product", classes="filter-label")
            yield SafeInput(placeholder="SKU", id="rf-product", compact=True)
            yield Label("Customer", classes="filter-label")
            yield SafeInput(placeholder="email", id="rf-customer", compact=True)
            yield Label("From", classes="filter-label")
            yield SafeInput(placeholder="date", id="rf-created_from", compact=True, classes="rf-date")
            yield Label("To", classes="filter-label")
            yield SafeInput(placeholder="date", id="rf-created_to", compact=True, classes="rf-date")
        yield Label("", id="rf-error", classes="error", markup=False)

    def show(self, values: dict[str, str], flt: models.ReviewFilter) -> None:
        """Show ``values`` in the fields (the others emptied), already parsed
        into ``flt``: the filter is not applied again."""
        self._cancel_pending()
        self.filter = flt
        for name in ("text", "product", "customer", "created_from", "created_to"):
            self.query_one(f"#rf-{name}", Input).value = values.get(name, "")
        for name in ("status", "rating"):
            self.query_one(f"#rf-{name}", Select).value = values.get(name) or Select.NULL
        error = self.query_one("#rf-error", Label)
        error.update("")
        error.remove_class("-shown")

    def values(self) -> dict[str, str]:
        out = {name: self.query_one(f"#rf-{name}", Input).value
               for name in ("text", "product", "customer", "created_from", "created_to")}
        for name in ("status", "rating"):
            value = self.query_one(f"#rf-{name}", Select).value
            out[name] = "" if value is Select.NULL else str(value)
        return out

    def apply(self) -> None:
        """Parse what is typed (in a worker: product and customer are looked up)."""
        self._applying()
        values = self.values()
        self.run_job(lambda: models.build_review_filter(**values), self._parsed, name="filter",
                     failed=self._invalid)

    def _parsed(self, flt: models.ReviewFilter) -> None:
        error = self.query_one("#rf-error", Label)
        error.update("")
        error.remove_class("-shown")
        if flt != self.filter:
            self.filter = flt
            self.post_message(self.Changed(self, flt))

    def _invalid(self, exc: BaseException) -> None:
        if not isinstance(exc, models.ValidationError):
            self.job_failed(exc)
            return
        error = self.query_one("#rf-error", Label)
        error.update("; ".join(f"{FILTER_LABELS.get(k, k)}: {v}" for k, v in exc.errors.items()))
        error.add_class("-shown")


# --------------------------------------------------------------------------
# The screen
# --------------------------------------------------------------------------


class ReviewsScreen(RoleGated, Screen, Background, WaitsForLists):
    """Moderate reviews: the queue, the highlighted review in full, the
    ratings.  Keys typed for the queue wait while it is being read
    (WaitsForLists)."""

    ROLE_ACTIONS = {**{a: "reviews" for a in ("decide", "reject", "approve_ticked", "reject_ticked")},
                    "export_reviews": "export"}

    keys_ready = True

    TITLE = "Reviews"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    BINDINGS = [
        Binding("a", "decide('approved')", "Approve", tooltip="Approve the highlighted review"),
        Binding("r", "reject", "Reject", tooltip="Reject the highlighted review, with an optional reason"),
        Binding("p", "decide('pending')", "Pending", tooltip="Put the highlighted review back to pending"),
        # The bulk keys are in the command palette, not the footer (80 columns fit the rest).
        Binding("A", "approve_ticked", "Approve ticked", show=False, tooltip="Approve every ticked review at once"),
        Binding("R", "reject_ticked", "Reject ticked", show=False, tooltip="Reject every ticked review at once"),
        Binding("j", "move(1)", "Next", show=False, tooltip="Move to the next review"),
        Binding("k", "move(-1)", "Previous", show=False, tooltip="Move to the previous review"),
        Binding("slash,f", "find", "Filter", tooltip="Go to the filter above the queue"),
        Binding("c", "chart_scope", "Chart scope", show=False,
                tooltip="Chart the ratings of the filtered reviews or of the highlighted review's product"),
        Binding("d", "focus_detail", "Read", show=False, tooltip="Scroll the whole review"),
        Binding("escape", "focus_queue", "Queue", show=False, tooltip="Back to the queue"),
        Binding("e", "export_reviews", "Export reviews", show=False,
                tooltip="Write the reviews the filter finds to a CSV file"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.review_filter = models.ReviewFilter(status="pending")
        self.chart_product = False
        self.counts: dict[str, int] | None = None
        self._history_for: int | None = None
        self._history: dict[int, list[models.ReviewEvent]] = {}
        self._chart_key: Any = None
        self._own_dialog = False
        self._wanted: tuple[int, str] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield AreaBar()
        yield ReviewFilterBar(self.review_filter, id="review-filter")
        with Horizontal(id="review-status"):
            yield Label("", id="review-counts", markup=False)
            yield Label("", id="review-position", classes="status", markup=False)
        with Horizontal(id="review-main"):
            yield ReviewTable(review_filter=self.review_filter, id="queue")
            with Vertical(id="review-side"):
                yield ReviewDetail(id="review-detail")
                yield RatingChart(id="rating-chart")
        yield Footer(compact=True)

    @property
    def table(self) -> ReviewTable:
        return self.query_one("#queue", ReviewTable)

    def on_mount(self) -> None:
        self.table.focus()
        self.load_counts()
        self.load_chart()
        if self._wanted is not None:  # show_review was called before the screen was mounted
            wanted, self._wanted = self._wanted, None
            self.call_after_refresh(self.show_review, *wanted)

    def on_screen_resume(self) -> None:
        if self._own_dialog:  # one of this screen's dialogs closed: nothing changed elsewhere
            self._own_dialog = False
            return
        if self.counts is not None:  # back from another area: others may have moderated
            self.refresh_all()

    def _ask(self, dialog: Any, answered: Any) -> None:
        self._own_dialog = True
        self.app.push_screen(dialog, answered)

    # -- loading -------------------------------------------------------------
    def refresh_all(self) -> None:
        self.table.reload(keep_position=True)
        self.load_counts()
        self.load_chart(force=True)
        self._history_for = None
        if (row := self.table.current()) is not None:
            self._show_detail(row)

    def load_counts(self) -> None:
        flt = self.review_filter
        self.run_job(lambda: models.review_status_counts(flt), self._counted, name="counts")

    def _counted(self, counts: dict[str, int]) -> None:
        self.counts = counts
        self._show_counts()

    def _show_counts(self) -> None:
        c = self.counts
        text = ("counting…" if c is None else
                " · ".join(f"{s.capitalize()} {c.get(s, 0):,}" for s in models.REVIEW_STATUSES))
        self.query_one("#review-counts", Label).update(text)

    def load_chart(self, *, force: bool = False) -> None:
        row = self.table.current() if self.chart_product else None
        if self.chart_product and row is not None:
            flt = models.ReviewFilter(product_id=row.product_id)
            caption = f"Ratings: {safe_line(row.product)}"
        else:
            flt = self.review_filter
            caption = "Ratings: " + ("all" if flt.is_empty() else
                                     f"{flt.status}" if flt == models.ReviewFilter(status=flt.status)
                                     else "filtered")
        key = (flt, caption)
        if key == self._chart_key and not force:
            return
        self._chart_key = key
        chart = self.query_one("#rating-chart", RatingChart)
        chart.show(None, caption)
        self.run_job(lambda: models.rating_distribution(flt), lambda d: chart.show(d, caption), name="chart")

    def _show_detail(self, row: models.ReviewRow | None, *, empty: bool = False) -> None:
        body = self.query_one("#review-detail", ReviewDetail)
        if row is None:
            body.show(Text("No review matches the filter." if empty else ""))
            self._history_for = None
            return
        if self._history_for != row.id:
            self._history_for = row.id
            body.show(review_detail(row, None), home=True)
            rid = row.id
            self.run_job(lambda: models.review_history(rid), lambda h: self._history_loaded(rid, h),
                         name="history")
        else:
            body.show(review_detail(row, self._history.get(row.id)))

    def _history_loaded(self, review_id: int, history: list[models.ReviewEvent]) -> None:
        self._history = {review_id: history}
        row = self.table.current()
        if row is not None and row.id == review_id:
            self.query_one("#review-detail", ReviewDetail).show(review_detail(row, history))

    def show_review(self, review_id: int, customer_email: str) -> None:
        """Open review ``review_id`` for moderation: the filter becomes "any
        status, this customer's reviews" and the cursor goes to that review
        (only the rows around it are read).  Called from another area right
        after switching here, possibly before this screen is mounted."""
        if not self.is_mounted:
            self._wanted = (review_id, customer_email)
            return
        values = {"customer": customer_email}

        def job() -> tuple[models.ReviewFilter, int | None]:
            flt = models.build_review_filter(**values)
            return flt, models.review_position(flt, review_id)

        def done(found: tuple[models.ReviewFilter, int | None]) -> None:
            flt, position = found
            self.query_one("#review-filter", ReviewFilterBar).show(values, flt)
            self.review_filter = flt
            self.chart_product = False
            if position is None:
                self.notify(f"Review #{review_id} is no longer there.", severity="warning", markup=False)
                self.table.set_filter(flt)
            else:
                self.table.show_at(flt, position)
            self.table.focus()
            self._history_for = None
            self.load_counts()
            self.load_chart(force=True)

        self.run_job(job, done, name="show-review")

    # -- events --------------------------------------------------------------
    @on(ReviewTable.Highlighted, "#queue")
    def highlighted(self, event: ReviewTable.Highlighted) -> None:
        self._show_detail(event.row, empty=event.empty)
        if self.chart_product:
            self.load_chart()

    @on(ReviewTable.Status, "#queue")
    def status(self, event: ReviewTable.Status) -> None:
        show_status(self.query_one("#review-position", Label), event.table.status_text())

    @on(ReviewFilterBar.Changed, "#review-filter")
    def filter_changed(self, event: ReviewFilterBar.Changed) -> None:
        self.review_filter = event.filter
        self.table.set_filter(event.filter)
        self.load_counts()
        self.load_chart()

    @on(ReviewFilterBar.Submitted, "#review-filter")
    def filter_submitted(self) -> None:
        self.table.focus()

    # -- actions -------------------------------------------------------------
    def action_move(self, step: int) -> None:
        self.table.focus()
        if step > 0:
            self.table.action_cursor_down()
        else:
            self.table.action_cursor_up()

    def action_export_reviews(self) -> None:
        from backroom.screens.transfer import export_reviews  # used rarely: loaded when first asked for

        flt = self.review_filter
        export_reviews(self, flt, "the reviews the filter finds" if flt.expression() is not None
                       else "every review")

    def action_find(self) -> None:
        self.query_one("#rf-text", Input).focus()

    def action_focus_queue(self) -> None:
        self.table.focus()

    def action_focus_detail(self) -> None:
        self.query_one("#review-detail", ReviewDetail).focus()

    def action_chart_scope(self) -> None:
        self.chart_product = not self.chart_product
        self.load_chart()

    def _need_row(self) -> models.ReviewRow | None:
        row = self.table.current()
        if row is None:
            self.notify("No review is highlighted.", severity="warning")
        return row

    def action_decide(self, status: str) -> None:
        row = self._need_row()
        if row is None:
            return
        if row.status == status:
            self.notify(f"Review #{row.id} is already {status}.", severity="information", markup=False)
            self.table.action_cursor_down()
            return
        self._decide(row, status, None)

    def action_reject(self) -> None:
        row = self._need_row()
        if row is None:
            return

        def answered(reason: str | None) -> None:
            if reason is not None:
                self._decide(row, "rejected", reason)

        self._ask(RejectModal(f"review #{row.id}: {safe_line(row.title)[:40]}"), answered)

    def _decide(self, row: models.ReviewRow, status: str, reason: str | None) -> None:
        """Save one decision; show it (and the next review) at once."""
        self.table.decided({row.id}, status)
        self._save(models.Selection.ids([row.id]), status, reason, f"review #{row.id}", bulk=False,
                   ids={row.id})

    def _ticked(self, then: Any) -> None:
        """Count the ticked reviews afresh, then ``then(selection, count,
        what)``; the keys typed meanwhile wait for the question it asks."""
        table = self.table
        sel = table.selection
        if sel.op == "none" or table.selected_count == 0:
            self.notify("Tick reviews first: space ticks one, t every review matching the filter.",
                        severity="warning")
            return

        def counted(n: int) -> None:
            if n == 0:
                self.notify("None of the ticked reviews is there any more.", severity="warning")
                return
            then(sel, n, "the ticked review" if n == 1 else f"the {n:,} ticked reviews")

        self.run_job(lambda: models.count_selection(sel, "reviews"), counted, name="count-ticked",
                     hold_keys=True)

    def action_approve_ticked(self) -> None:
        def ask(sel: models.Selection, n: int, what: str) -> None:
            def answered(yes: bool | None) -> None:
                if yes:
                    self._save(sel, "approved", None, what, bulk=True)

            question = Text(f"Approve {what}? ")
            question.append(f"{plural(n, 'review')}", style="bold")
            question.append(" become approved and are shown in the shop.")
            self._ask(ConfirmModal("Approve reviews", question, yes="Approve", no="Cancel",
                                   typed=count_to_type(n)), answered)

        self._ticked(ask)

    def action_reject_ticked(self) -> None:
        def ask(sel: models.Selection, n: int, what: str) -> None:
            def answered(reason: str | None) -> None:
                if reason is not None:
                    self._save(sel, "rejected", reason, what, bulk=True)

            self._ask(RejectModal(what, count=n), answered)

        self._ticked(ask)

    def _save(self, sel: models.Selection, status: str, reason: str | None, what: str, *, bulk: bool,
              ids: set[int] = frozenset()) -> None:
        def done(changed: int) -> None:
            if bulk:
                self.table.clear_ticks()
                self.notify(f"{DECISIONS[status]}: {plural(changed, 'review')}.", title="Reviews moderated",
                            markup=False)
                self.table.reload()  # back to the top: the oldest review still waiting
                self.load_counts()
                self.load_chart(force=True)
                self._history_for = None
            else:
                self.notify(f"{DECISIONS[status]}: {what}.", markup=False, timeout=2)
                self.load_counts()
                self.load_chart(force=True)
                self.table.saved(ids)
                self._history_for = None

        def failed(exc: BaseException) -> None:
            self.job_failed(exc)
            self.table.saved(ids)
            self.refresh_all()

        self.run_job(lambda: models.moderate_reviews(sel, status, reason=reason), done,
                     name=f"moderate-{next(_job_numbers)}", failed=failed)
