"""Pilot test: a review by someone who is not a customer (imported with an
author's name) shows that name on the Reviews screen, in the list and the
detail, inert."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from backroom import models
from backroom.screens.reviews import ReviewDetail, ReviewsScreen
from backroom.tui.reviewtable import ReviewTable
from tui_helpers import assert_clean_screen, make_app, make_db, settle


async def test_the_author_of_a_review_by_no_customer_is_shown(tmp_path):
    make_db(tmp_path, 0)
    cat = models.Category.create(name="Coffee", slug="coffee")
    models.Product.create(sku="B1", name="Beans", category=cat, price=Decimal("9"))
    path = tmp_path / "reviews.csv"
    path.write_text("product_sku,customer_email,rating,title,body,status,created_at,author_name\n"
                    "B1,,5,Lovely beans,Great,pending,2024-05-07 08:00:00,Guest Gwen\n"
                    "B1,,1,Awful,Bad,pending,2024-05-08 08:00:00,\"Evil\u202eBob\"\n", encoding="utf-8")
    report = models.import_reviews(path)
    assert report.summary() == "1 new, 0 changed, 0 unchanged, 1 rejected"  # the hidden bidi override
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ReviewsScreen)
        row = screen.query_one(ReviewTable).current()
        assert (row.title, row.customer, row.customer_id, row.anonymous) == ("Lovely beans", "Guest Gwen", None, True)
        text = screen.query_one("#review-detail", ReviewDetail).text.plain
        assert "Author    Guest Gwen (not a customer)" in text and "Customer  " not in text
        shown = assert_clean_screen(app, 120)
        assert "Guest Gwen" in shown
    assert models.Review.get(models.Review.title == "Lovely beans").created_at == dt.datetime(2024, 5, 7, 8)
