"""Pilot tests: what is typed in the Customers and Reviews filters finds
text whatever its case and accents."""

from __future__ import annotations

from backroom import models
from backroom.screens.reviews import ReviewsScreen
from backroom.tui.customertable import CustomerTable
from backroom.tui.reviewtable import ReviewTable
from tui_helpers import make_app, make_db, open_list, settle, type_text


async def test_customers_found_whatever_the_case_and_accents(tmp_path):
    make_db(tmp_path, 30)
    maria = models.create_customer({"first_name": "María", "last_name": "Núñez", "email": "maria@example.com"})
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_list(pilot)
        table = screen.query_one(CustomerTable)
        for typed in ("nunez", "NÚÑEZ", "maria nu"):
            await pilot.press("slash", "end", "ctrl+u")
            await type_text(pilot, typed)
            await pilot.press("enter")
            await settle(pilot)
            assert table.total == 1, typed
            assert screen.focused is table
            assert [r.id for r in models.customer_page(models.build_filter(text=typed), limit=5)] == [maria.id]


async def test_reviews_found_whatever_the_case_and_accents(tmp_path):
    make_db(tmp_path, 0)
    cat = models.Category.create(name="Coffee", slug="coffee")
    beans = models.Product.create(sku="B1", name="Beans", category=cat, price=9)
    c = models.create_customer({"first_name": "A", "last_name": "B", "email": "a@example.com"})
    wanted = set()
    for title, body in (("Café", "Eu NÃO gostei"), ("Bom", "não recomendo"), ("Good", "nothing else")):
        r = models.Review.create(product=beans.id, customer=c.id, rating=3, title=title, body=body,
                                 search_text=models.review_search_text(title, body))
        if "gostei" in body or "recomendo" in body:
            wanted.add(r.id)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ReviewsScreen)
        table = screen.query_one(ReviewTable)
        await pilot.press("slash")
        await type_text(pilot, "nao")
        await pilot.press("enter")
        await settle(pilot)
        assert table.total == 2
        assert {r.id for r in models.review_page(table.review_filter, limit=10)} == wanted
