"""Review moderation: the queue, the review in full, decisions one by one or in bulk.

The queue (:class:`tui.reviewtable.ReviewTable`) is a window over the
reviews matching the filter, oldest first; beside it (below it on a narrow
terminal) the highlighted review in full with its moderation history, and a
chart of the ratings.  Everything a shopper wrote is shown through
:mod:`tui.safetext`: plain text, control characters escaped.

Keys (the most used in the footer, every one in the command palette, Ctrl+P):

    a approve · r reject (1-9 a canned reason, Enter none) · s spam / not spam
    p back to pending · w public reply · ctrl+z undo my last decision
    j / k or ↓ / ↑ next / previous · Home / End / PgUp / PgDn
    space tick · t tick every review matching the filter · x untick all
    A approve the ticked · R reject the ticked · S the ticked are spam
    m the shop's rejection reasons · u the auto-approve rule
    / or f filter · Esc back to the queue · d scroll the whole review
    c chart the filtered reviews or the highlighted review's product

These keys work alike in every view of the queue (any status, any
filter) and while reading a review (d).  A decision on the highlighted
review shows at once and the next pending review comes up; it is saved
in a worker (``models.moderate_reviews``).  Bulk decisions save a
:class:`models.Selection` — ticked ids, or "every review matching the
filter except these" — in one statement.  Ctrl+Z undoes my last decision
(``models.undo_last_moderation``) once those on their way are saved.
"""

from __future__ import annotations

import itertools
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Header, Input, Label, Select

from backroom import models
from backroom.tui.areas import AreaBar, Footer
from backroom.tui.background import Background
from backroom.tui.builtahead import ReadsWhenShown
from backroom.screens.reviewdialogs import ReasonsModal, RejectModal, ReplyModal, RuleModal
from backroom.tui.dialogs import ConfirmModal, count_to_type
from backroom.tui.filters import DebouncedFilter, clear_error
from backroom.tui.firstshow import StyledOnMount
from backroom.tui.keys import WaitsForLists
from backroom.tui.reviewtable import RatingChart, ReviewDetail, ReviewTable, review_detail, stars
from backroom.tui.safetext import SafeInput, safe_line
from backroom.tui.roles import RoleGated
from backroom.tui.statusline import refresh_pending_reviews, show_status

__all__ = ["RejectModal", "ReviewDetail", "ReviewFilterBar", "ReviewsScreen", "review_detail"]

FILTER_LABELS = {"status": "Status", "rating": "Rating", "product": "Product", "customer": "Customer",
                 "created_from": "From", "created_to": "To", "text": "Find", "verified": "Verified"}
DECISIONS = {"approved": "Approved", "rejected": "Rejected", "pending": "Back to pending", "spam": "Spam"}
_job_numbers = itertools.count(1)


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


# --------------------------------------------------------------------------
# The filter
# --------------------------------------------------------------------------


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
            yield Select([("verified", "yes")], prompt="any buyer", id="rf-verified", compact=True,
                         value="yes" if self.filter.verified else Select.NULL)
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
        into ``flt``: the filter is not applied again, and a read of the
        fields as they were, still running, is dropped."""
        self._cancel_pending()
        self.drop_job("filter")
        self.filter = flt
        for name in ("text", "product", "customer", "created_from", "created_to"):
            self.query_one(f"#rf-{name}", Input).value = values.get(name, "")
        for name in ("status", "rating", "verified"):
            self.query_one(f"#rf-{name}", Select).value = values.get(name) or Select.NULL
        error = self.query_one("#rf-error", Label)
        clear_error(error)
        error.remove_class("-shown")

    def values(self) -> dict[str, str]:
        out = {name: self.query_one(f"#rf-{name}", Input).value
               for name in ("text", "product", "customer", "created_from", "created_to")}
        for name in ("status", "rating", "verified"):
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
        clear_error(error)
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


class ReviewsScreen(RoleGated, ReadsWhenShown, StyledOnMount, Screen, Background, WaitsForLists):
    """Moderate reviews: the queue, the highlighted review in full, the
    ratings.  Keys typed for the queue wait while it is being read
    (WaitsForLists)."""

    ROLE_ACTIONS = {**{a: "reviews" for a in ("decide", "reject", "approve_ticked", "reject_ticked", "spam",
                                              "spam_ticked", "reply", "undo", "reasons", "rule")},
                    "export_reviews": "export"}

    keys_ready = True

    TITLE = "Reviews"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    BINDINGS = [
        Binding("a", "decide('approved')", "Approve", tooltip="Approve the highlighted review"),
        Binding("r", "reject", "Reject", tooltip="Reject the highlighted review, with an optional reason"),
        Binding("s", "spam", "Spam", tooltip="Mark the highlighted review as spam (on spam: not spam, to pending)"),
        Binding("p", "decide('pending')", "Pending", show=False, tooltip="Put the highlighted review back to pending"),
        Binding("w", "reply", "Reply", show=False, tooltip="Write the shop's public reply to the highlighted review"),
        Binding("ctrl+z", "undo", "Undo", show=False, tooltip="Undo my last decision (one review or many)"),
        # The bulk keys are in the command palette, not the footer (80 columns fit the rest).
        Binding("A", "approve_ticked", "Approve ticked", show=False, tooltip="Approve every ticked review at once"),
        Binding("R", "reject_ticked", "Reject ticked", show=False, tooltip="Reject every ticked review at once"),
        Binding("S", "spam_ticked", "Spam ticked", show=False, tooltip="Mark every ticked review as spam at once"),
        Binding("m", "reasons", "Reasons", show=False, tooltip="The shop's canned rejection reasons"),
        Binding("u", "rule", "Auto-approve", show=False,
                tooltip="The auto-approve rule: see what it would approve, save it, apply it"),
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
        self._saving = 0  # decisions being saved
        self._undo_wanted = False  # ctrl+z pressed while some were

    def compose(self) -> ComposeResult:
        yield Header()
        yield AreaBar()
        yield ReviewFilterBar(self.review_filter, id="review-filter")
        with Horizontal(id="review-status"):
            yield Label("counting…", id="review-counts", markup=False)
            yield Label("", id="review-position", classes="status", markup=False)
        with Horizontal(id="review-main"):
            yield ReviewTable(review_filter=self.review_filter, id="queue", read_now=not self.built_ahead)
            with Vertical(id="review-side"):
                yield ReviewDetail(id="review-detail")
                yield RatingChart(id="rating-chart")
        yield Footer(compact=True)

    @property
    def table(self) -> ReviewTable:
        return self.query_one("#queue", ReviewTable)

    def on_mount(self) -> None:
        self.table.focus()
        if self.waits_until_shown():  # (built ahead: the queue, counts and chart are read when first shown)
            # The chart's caption drawn ahead: its first frame shows what it counts.
            self.query_one("#rating-chart", RatingChart).show(None, self._chart_scope()[1])
            return
        self.load_counts()
        self.load_chart()
        if self._wanted is not None:  # show_review was called before the screen was mounted
            wanted, self._wanted = self._wanted, None
            self.call_after_refresh(self.show_review, *wanted)

    def on_screen_resume(self) -> None:
        # Built ahead, shown for the first time: the queue as it is now, in
        # the first frame; the counts and the chart once it is drawn.
        if self.shown_first(then=self._load_beside_queue):
            return
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

    def _load_beside_queue(self) -> None:
        self.load_counts()
        self.load_chart()

    def load_counts(self) -> None:
        refresh_pending_reviews(self.app)  # (the count on every screen's area bar)
        flt = self.review_filter
        self.run_job(lambda: models.review_status_counts(flt), self._counted, name="counts", count=True)

    def _counted(self, counts: dict[str, int]) -> None:
        self.counts = counts
        self._show_counts()

    def _show_counts(self) -> None:
        c = self.counts
        text = ("counting…" if c is None else
                " · ".join(f"{s.capitalize()} {c.get(s, 0):,}" for s in models.REVIEW_STATUSES))
        self.query_one("#review-counts", Label).update(text)

    def _chart_scope(self) -> tuple[models.ReviewFilter, str]:
        """What the chart counts (the filtered reviews, or the highlighted
        review's product) and its caption."""
        row = self.table.current() if self.chart_product else None
        if self.chart_product and row is not None:
            return models.ReviewFilter(product_id=row.product_id), f"Ratings: {safe_line(row.product)}"
        flt = self.review_filter
        return flt, "Ratings: " + ("all" if flt.is_empty() else
                                   f"{flt.status}" if flt == models.ReviewFilter(status=flt.status)
                                   else "filtered")

    def load_chart(self, *, force: bool = False) -> None:
        flt, caption = self._chart_scope()
        key = (flt, caption)
        if key == self._chart_key and not force:
            return
        self._chart_key = key
        chart = self.query_one("#rating-chart", RatingChart)
        chart.show(None, caption)
        self.run_job(lambda: models.rating_distribution(flt), lambda d: chart.show(d, caption), name="chart",
                     count=True)

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
        if self._unread:  # built ahead, not shown yet: what is read is this review's queue
            self._unread = False
            self.load_counts()
            self.load_chart()
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
        self.rows_in(event.table.current(), event.table.total)  # (the review under the cursor announced before)

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

    def _already(self, row: models.ReviewRow, status: str) -> bool:
        if row.status != status:
            return False
        self.notify(f"Review #{row.id} is already {status}.", severity="information", markup=False)
        self.table.action_cursor_down()
        return True

    def action_decide(self, status: str) -> None:
        row = self._need_row()
        if row is None or self._already(row, status):
            return
        self._decide(row, status, None)

    def action_spam(self) -> None:
        """Spam; on a review already marked spam, not spam: back to pending."""
        row = self._need_row()
        if row is not None:
            self._decide(row, "pending" if row.status == "spam" else "spam", None)

    def _with_reasons(self, then: Any) -> None:
        """Read the shop's reasons, then ``then(reasons)``; the keys typed
        meanwhile wait (and the chooser drops them: a digit typed ahead
        never picks a reason)."""
        self.run_job(models.list_review_reasons, then, name="reasons", hold_keys=True)

    def action_reject(self) -> None:
        row = self._need_row()
        if row is None or self._already(row, "rejected"):
            return

        def answered(reason: str | None) -> None:
            if reason is not None:
                self._decide(row, "rejected", reason)

        self._with_reasons(lambda reasons: self._ask(
            RejectModal(f"review #{row.id}: {safe_line(row.title)[:40]}", reasons), answered))

    def action_reply(self) -> None:
        row = self._need_row()
        if row is None:
            return

        def answered(text: str | None) -> None:
            if text is None:
                return

            def done(_: Any) -> None:
                self.notify(f"Reply {'saved' if text else 'removed'}: review #{row.id}.", markup=False, timeout=2)
                self.refresh_all()

            self.run_job(lambda: models.set_review_reply(row.id, text), done, name="reply")

        self._ask(ReplyModal(f"review #{row.id}", row.reply), answered)

    def action_undo(self) -> None:
        """Undo my last decision, once every decision on its way is saved."""
        if self._saving:
            self._undo_wanted = True
            return
        self._undo_wanted = False

        def found(last: models.LastDecision | None) -> None:
            if last is None or last.undone or last.changed == 0:
                self.notify("Nothing to undo: " + ("your last decision is undone already." if last and last.undone
                                                   else "you have made no decision here yet."),
                            severity="warning", markup=False)
                return
            what = plural(last.changed, "review")
            if last.changed == 1:
                self._undo(what)
                return
            question = Text(f"Undo your last decision ({DECISIONS.get(last.status or '', 'changed')}: ")
            question.append(what, style="bold")
            question.append(")? Each goes back to exactly what it was.")
            self._ask(ConfirmModal("Undo", question, yes="Undo", no="Keep"),
                      lambda yes: self._undo(what) if yes else None)

        self.run_job(models.last_decision, found, name="undo", hold_keys=True)

    def _undo(self, what: str) -> None:
        def done(n: int) -> None:
            self.notify(f"Undone: {plural(n, 'review')} back as they were.", title="Undo", markup=False)
            self.refresh_all()

        self.run_job(models.undo_last_moderation, done, name="undo")

    def action_reasons(self) -> None:
        self._ask(ReasonsModal(), lambda _: None)

    def action_rule(self) -> None:
        def answered(answer: Any) -> None:
            if not answer:
                return
            how, stars, verified = answer[:3]
            if how == "save":
                self.run_job(lambda: models.set_review_rule(stars, verified), lambda rule: self.notify(
                    "Auto-approve rule saved." if rule else "No auto-approve rule.", markup=False, timeout=2),
                    name="rule")
                return
            count = answer[3]
            question = Text("Approve ")
            question.append(plural(count, "pending review"), style="bold")
            question.append(" the rule matches now? They are shown in the shop.")

            def confirmed(yes: bool | None) -> None:
                if yes:
                    def apply() -> int:
                        models.set_review_rule(stars, verified)
                        return models.apply_review_rule()

                    self._saves(apply, lambda n: self._bulk_done("approved", n))

            self._ask(ConfirmModal("Auto-approve", question, yes="Approve", no="Cancel",
                                   typed=count_to_type(count)), confirmed)

        self.run_job(models.review_rule, lambda rule: self._ask(RuleModal(rule), answered), name="rule-read",
                     hold_keys=True)

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
                if reason is None:
                    return
                typed = count_to_type(n)
                if typed is None:
                    self._save(sel, "rejected", reason, what, bulk=True)
                    return
                question = Text(f"Reject {what}? ")
                question.append(plural(n, "review"), style="bold")
                question.append(" are rejected" + (f": {safe_line(reason)}." if reason else "."))
                self._ask(ConfirmModal("Reject reviews", question, yes="Reject", no="Cancel", typed=typed),
                          lambda yes: self._save(sel, "rejected", reason, what, bulk=True) if yes else None)

            self._with_reasons(lambda reasons: self._ask(RejectModal(what, reasons), answered))

        self._ticked(ask)

    def action_spam_ticked(self) -> None:
        def ask(sel: models.Selection, n: int, what: str) -> None:
            question = Text(f"Mark {what} as spam? ")
            question.append(plural(n, "review"), style="bold")
            question.append(" leave the queue (ctrl+z undoes it).")
            self._ask(ConfirmModal("Spam", question, yes="Spam", no="Cancel", typed=count_to_type(n)),
                      lambda yes: self._save(sel, "spam", None, what, bulk=True) if yes else None)

        self._ticked(ask)

    def _bulk_done(self, status: str, changed: int) -> None:
        self.table.clear_ticks()
        self.notify(f"{DECISIONS[status]}: {plural(changed, 'review')}.", title="Reviews moderated", markup=False)
        self.table.reload()  # back to the top: the oldest review still waiting
        self.load_counts()
        self.load_chart(force=True)
        self._history_for = None

    def _saves(self, job: Any, done: Any, failed: Any = None) -> None:
        """Run a change of status: ctrl+z pressed meanwhile waits for it."""
        self._saving += 1

        def finished(then: Any, value: Any) -> None:
            self._saving -= 1
            then(value)
            if not self._saving and self._undo_wanted:
                self.action_undo()

        self.run_job(job, lambda v: finished(done, v), name=f"moderate-{next(_job_numbers)}",
                     failed=lambda exc: finished(failed or self.job_failed, exc))

    def _save(self, sel: models.Selection, status: str, reason: str | None, what: str, *, bulk: bool,
              ids: set[int] = frozenset()) -> None:
        def done(changed: int) -> None:
            if bulk:
                self._bulk_done(status, changed)
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

        self._saves(lambda: models.moderate_reviews(sel, status, reason=reason), done, failed)
