"""The Reviews tab: the customer's newest reviews; Enter opens one in
Reviews, ready to moderate."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.widgets import DataTable, Label

from backroom import models
from backroom.screens.customer.base import CustomerTab
from backroom.screens.reviews import ReviewsScreen
from backroom.tui.formatters import date_text, plain

REVIEWS_SHOWN = 200


class ReviewsTab(CustomerTab):
    TITLE = "Reviews"
    PANE_ID = "cust-reviews"
    FIRST = "#reviews-table"

    def __init__(self, customer_id: int) -> None:
        super().__init__(customer_id)
        self.reviews: list[models.ReviewRow] = []

    def fetch(self) -> tuple[int, list[models.ReviewRow]]:
        flt = models.ReviewFilter(customer_id=self.customer_id)
        return models.count_reviews(flt), models.review_page(flt, limit=REVIEWS_SHOWN, newest_first=True)

    def compose_content(self) -> ComposeResult:
        yield Label("", id="reviews-status", classes="status", markup=False)
        yield DataTable(id="reviews-table", cursor_type="row", zebra_stripes=True)

    def show_data(self, found: tuple[int, list[models.ReviewRow]]) -> None:
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
            table.add_row(plain(date_text(r.created_at)), plain(r.status), "★" * r.rating, plain(r.product),
                          plain(r.title), key=str(r.id))
        more = f" · newest {len(rows)} shown" if total > len(rows) else ""
        self.query_one("#reviews-status", Label).update(
            f"{total:,} review{'s' if total != 1 else ''}{more}" + (" · enter: moderate in Reviews" if rows else ""))

    @on(DataTable.RowSelected, "#reviews-table")
    def review_selected(self) -> None:
        self.open_review()

    def open_review(self) -> None:
        table = self.query_one("#reviews-table", DataTable)
        if not self.reviews or table.row_count == 0 or self.customer is None:
            self.notify("No review is highlighted.", severity="warning")
            return
        review = self.reviews[table.cursor_row]
        # Into moderation: the Reviews area, filtered to this customer, on that review.
        self.app.switch_mode("reviews")
        screen = next(s for s in self.app.screen_stack if isinstance(s, ReviewsScreen))
        screen.show_review(review.id, self.customer.email)
