"""Schema versions, upgrades, and what SQLite promises several admins."""

from __future__ import annotations

import os
import stat
import threading
import time

import peewee as pw
import pytest

from backroom import models
from backroom.datalayer.connection import _sqlite_path
from backroom.datalayer.migrations import _set_schema_version
import legacy_v1

V1_CUSTOMERS = [("Ada", "Lovelace", "Ada@Example.com"), ("Alan", "Turing", "alan@example.org"),
                ("Grace", "Hopper", "grace@example.net")]


def test_upgrade_from_version_1_keeps_data_and_adds_the_new_rules(empty_db_url):
    ids = legacy_v1.create_v1_database(V1_CUSTOMERS)
    assert models.schema_version() == 1
    models.migrate_schema()
    assert models.schema_version() == models.SCHEMA_VERSION
    # The data survived, with the new columns filled in from it.
    ada = models.get_customer(ids["Ada@Example.com"])
    assert (ada.email, ada.email_key, ada.name_key, ada.last_key, ada.version) == (
        "Ada@Example.com", "ada@example.com", "ada lovelace", "lovelace", 1)
    assert models.Customer.select().count() == 3
    assert sorted(g.code for g in models.customer_groups(ada.id)) == ["general", "wholesale"]
    assert models.Order.select().where(models.Order.customer == ada.id).count() == 1
    assert models.get_group_by_code("wholesale").discount_percent == 15
    assert models.get_group_by_code("guest").version == 1
    # The new rules hold on the upgraded data.
    with pytest.raises(models.ValidationError):
        models.create_customer({"first_name": "Imp", "email": "ADA@example.com"})
    with pytest.raises(pw.IntegrityError):
        with models.db.atomic():
            models.Customer.insert(first_name="X", last_name="", email="ADA@EXAMPLE.COM",
                                   email_key="ada@example.com", name_key="x", last_key="",
                                   default_group=models.general_group().id).execute()
    assert [r.first_name for r in models.customer_page(models.CustomerFilter(text="hop"))] == ["Grace"]
    with pytest.raises(models.LockedError):
        g = models.guest_group()
        models.update_group(g.id, {"name": "x"}, expected_version=g.version)
    # Upgrading again does nothing.
    models.migrate_schema()
    assert models.Customer.select().count() == 3


def test_upgrade_refuses_emails_that_clash_by_case_and_can_be_rerun(empty_db_url):
    ids = legacy_v1.create_v1_database(V1_CUSTOMERS + [("Ada", "Twin", "ada@example.com")])
    with pytest.raises(models.SchemaError) as exc:
        models.migrate_schema()
    assert "ada@example.com" in str(exc.value)
    assert models.schema_version() == 1
    # The admin merges the duplicate; the upgrade then goes through.
    legacy_v1.Membership.delete().where(legacy_v1.Membership.customer == ids["ada@example.com"]).execute()
    legacy_v1.Customer.delete().where(legacy_v1.Customer.id == ids["ada@example.com"]).execute()
    models.migrate_schema()
    assert models.schema_version() == models.SCHEMA_VERSION
    assert models.Customer.select().count() == 3


def test_a_newer_database_is_refused_with_a_clear_message(db_url):
    models.SchemaMeta.update(value=str(models.SCHEMA_VERSION + 5)).where(
        models.SchemaMeta.key == "schema_version").execute()
    with pytest.raises(models.SchemaError) as exc:
        models.connect(db_url)
    assert f"version {models.SCHEMA_VERSION + 5}" in str(exc.value)
    assert "newer" in str(exc.value)


def test_tables_without_a_version_are_not_touched(empty_db_url):
    models.db.create_tables([models.TaxClass])
    models.TaxClass.create(name="Mine")
    with pytest.raises(models.SchemaError):
        models.migrate_schema()
    assert [t.name for t in models.TaxClass.select()] == ["Mine"]


# -- SQLite for several admins -------------------------------------------------

@pytest.fixture
def sqlite_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'shop' / 'backroom.db'}"
    models.connect(url)
    yield url
    models.db.close()


def test_sqlite_is_set_up_for_several_admins(sqlite_url):
    pragma = lambda name: models.db.execute_sql(f"PRAGMA {name}").fetchone()[0]  # noqa: E731
    assert pragma("journal_mode") == "wal"
    assert pragma("foreign_keys") == 1
    assert pragma("busy_timeout") >= 5000


def test_new_sqlite_file_is_readable_by_its_owner_only(sqlite_url):
    path = _sqlite_path(sqlite_url)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_existing_sqlite_file_keeps_its_mode(tmp_path):
    path = tmp_path / "shared.db"
    path.touch(mode=0o640)
    os.chmod(path, 0o640)
    models.connect(f"sqlite:///{path}")
    models.db.close()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640


def test_second_writer_waits_instead_of_failing(sqlite_url):
    """Another admin's long write makes this one wait, not crash."""
    holding = threading.Event()

    def other_admin():
        other = models.make_database(sqlite_url)
        other.connect()
        other.execute_sql("BEGIN IMMEDIATE")
        other.execute_sql("UPDATE customer_group SET description = 'busy' WHERE code = 'wholesale'")
        holding.set()
        time.sleep(0.6)
        other.execute_sql("COMMIT")
        other.close()

    t = threading.Thread(target=other_admin)
    t.start()
    holding.wait(5)
    started = time.monotonic()
    g, _ = models.create_group({"code": "vip", "name": "VIP"})
    waited = time.monotonic() - started
    t.join()
    assert waited >= 0.3
    assert models.get_group(g.id).code == "vip"
    assert models.get_group_by_code("wholesale").description == "busy"


# -- indexes -----------------------------------------------------------------------

def _plan(query) -> str:
    sql, params = query.sql()
    rows = models.db.execute_sql(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
    return "\n".join(r[-1] for r in rows)


@pytest.mark.parametrize("flt, sort", [
    (models.CustomerFilter(), "registered"),
    (models.CustomerFilter(), "name"),
    (models.CustomerFilter(), "email"),
    (models.CustomerFilter(), "total_spent"),
    (models.CustomerFilter(), "orders"),
    (models.CustomerFilter(text="smi"), "registered"),
    (models.CustomerFilter(status="disabled"), "registered"),
])
def test_customer_pages_are_read_through_indexes(sqlite_url, flt, sort):
    models.seed(300, rng_seed=3)
    models.db.execute_sql("ANALYZE")
    order = [f.asc() for f in models.CUSTOMER_SORTS[sort]] + [models.Customer.id.asc()]
    plan = _plan(models.customer_query(flt).order_by(*order).limit(50))
    # "SCAN customer" without an index would read the whole table.
    for line in plan.splitlines():
        if line.startswith("SCAN") and "customer" in line:
            assert "INDEX" in line, plan


def test_membership_lookups_use_indexes(sqlite_url):
    g = models.general_group()
    plan = _plan(models.Membership.select().where(models.Membership.group == g.id))
    assert "INDEX" in plan and "SCAN membership\n" not in plan + "\n"
    plan = _plan(models.Membership.select().where(models.Membership.customer == 5))
    assert "INDEX" in plan


def test_upgrade_from_version_2_adds_the_moderation_and_outbox_tables(empty_db_url):
    v3_only = [models.ReviewEvent, models.Notification, models.CategoryDiscount, models.GroupRuleSet]
    models.db.create_tables([m for m in models.ALL_MODELS if m not in v3_only])
    _set_schema_version(2)
    models.ensure_defaults()
    c = models.create_customer({"first_name": "Ada", "email": "ada@example.com"})
    assert models.schema_version() == 2
    models.migrate_schema()
    assert models.schema_version() == models.SCHEMA_VERSION
    g, _ = models.create_group({"code": "club", "name": "Club"}, members=models.Selection.ids([c.id]))
    assert [r.event for r in models.outbox()] == ["joined"]
