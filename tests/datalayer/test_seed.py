"""Seeding a big shop: the demo data's arithmetic holds past 32-bit integers."""

from __future__ import annotations

import datetime as dt

from backroom import models

TODAY = dt.datetime(2026, 11, 1)


def test_seed_past_271000_customers(database):
    """The addresses are made in SQL from the customer's id (id * 7919 and
    so on): on PostgreSQL that overflowed a 32-bit integer once ids passed
    about 271,000, so a seed of a million customers failed."""
    general = models.general_group()
    models.Customer.insert(id=999_990, first_name="Ada", last_name="Lovelace", email="ada@example.com",
                           email_key="ada@example.com", name_key="ada lovelace", last_key="lovelace",
                           default_group=general.id).execute()
    counts = models.seed(20, rng_seed=3, today=TODAY)
    assert counts["customers"] == 20 and counts["addresses"] >= 40
    ids = [c.id for c in models.Customer.select().where(models.Customer.id > 999_990)]
    assert ids == list(range(999_991, 1_000_011))
    postcodes = {a.customer_id: a.postcode for a in models.Address.select().where(models.Address.kind == "billing")}
    # The same postcode SQLite always computed: (id * 7919) mod 89999 + 10000.
    assert all(postcodes[i] == str(i * 7919 % 89999 + 10000) for i in ids)
