"""Amounts typed in the filter boxes (the Customers list's, a group form's
spent range, ``export --spent-min``) are read in the shop's money format or
plain, with a clear message otherwise; on every engine."""

from __future__ import annotations

from decimal import Decimal

import pytest

from backroom import models


@pytest.mark.parametrize("sample, typed, amount", [
    ("1,234.56", "2,999.99", "2999.99"), ("1,234.56", "2999.99", "2999.99"), ("1,234.56", " 12 ", "12"),
    ("R$ 1.234,56", "R$ 2.999,99", "2999.99"), ("R$ 1.234,56", "R$2.999,99", "2999.99"),
    ("R$ 1.234,56", "2.999,99", "2999.99"), ("R$ 1.234,56", "2999,9", "2999.9"), ("R$ 1.234,56", "2999.99", "2999.99"),
    ("R$ 1.234,56", "2,999.99", "2999.99"), ("R$ 1.234,56", "1.000", "1000"),
    ("1 234,56 €", "2 999,99 €", "2999.99"), ("1 234,56 €", "2\u00a0999,99", "2999.99"), ("1 234,56 €", "0,5", "0.5"),
    ("$1,234.56", "$2,999.99", "2999.99"),
])
def test_amounts_in_the_shops_format_or_plain(database, sample, typed, amount):
    models.set_money_format(sample)
    flt = models.build_filter(spent_min=typed, spent_max=typed)
    assert flt.spent_min == flt.spent_max == Decimal(amount)


@pytest.mark.parametrize("sample, typed, message", [
    ("1,234.56", "2.999,99", "'2.999,99' is not an amount: write it as 2,999.99"),
    ("1,234.56", "1,5", "'1,5' is not an amount: write it as 2,999.99"),
    ("1,234.56", "R$ 5", "'R$ 5' is not an amount: write it as 2,999.99"),
    ("R$ 1.234,56", "2 999,99 €", "'2 999,99 €' is not an amount: write it as R$ 2.999,99 or plain (2999.99)"),
    ("R$ 1.234,56", "2999,999", "'2999,999' is not an amount: write it as R$ 2.999,99 or plain (2999.99)"),
    ("R$ 1.234,56", "lots", "'lots' is not an amount: write it as R$ 2.999,99 or plain (2999.99)"),
    ("R$ 1.234,56", "-1", "An amount cannot be negative"),
    ("1 234,56 €", "1,234", "'1,234' is not an amount: write it as 2 999,99 € or plain (2999.99)"),
    ("1 234,56 €", "1.234", "An amount has at most two decimal places"),
])
def test_what_is_not_an_amount_says_how_to_write_one(database, sample, typed, message):
    models.set_money_format(sample)
    with pytest.raises(models.ValidationError) as exc:
        models.build_filter(spent_max=typed)
    assert exc.value.errors == {"spent_max": message}


def test_the_range_finds_the_customers(database):
    a = models.create_customer({"first_name": "A", "last_name": "A", "email": "a@example.com"})
    b = models.create_customer({"first_name": "B", "last_name": "B", "email": "b@example.com"})
    models.Customer.update(total_spent=Decimal("2999.99")).where(models.Customer.id == a.id).execute()
    models.Customer.update(total_spent=Decimal("3000.00")).where(models.Customer.id == b.id).execute()
    models.set_money_format("R$ 1.234,56")
    flt = models.build_filter(spent_min="R$ 2.999,99", spent_max="2.999,99")
    assert [c.id for c in models.customer_page(flt)] == [a.id]
