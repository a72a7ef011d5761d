"""Fixtures shared by the two test folders, and the ``tui`` marker.

tests/datalayer/ holds the data-layer and command-line tests, tests/tui/ the
Pilot and snapshot tests of the TUI.  Everything under tests/tui/ is marked
``tui``, so ``pytest -m "not tui"`` runs the data layer alone.

``database`` runs a test on SQLite (a fresh file) and, when the environment
variable ``BACKROOM_TEST_DATABASES`` lists server URLs (comma-separated),
on each of those too.  A listed server that cannot be reached is an error,
never a skip: CI must not go green without it.
"""

from __future__ import annotations

import os
from pathlib import Path

import peewee as pw
import pytest


from backroom import models

SERVER_URLS = [u.strip() for u in os.environ.get("BACKROOM_TEST_DATABASES", "").split(",") if u.strip()]
ONLY_SERVERS = os.environ.get("BACKROOM_TEST_ONLY_SERVERS") == "1"
ENGINES = ([] if ONLY_SERVERS else ["sqlite"]) + SERVER_URLS


TUI_DIR = Path(__file__).parent / "tui"


def pytest_configure(config) -> None:
    # The tests drop and create the tables of the one database each server
    # URL names: two xdist workers would pull them from under each other.
    if SERVER_URLS and (config.getoption("numprocesses", default=0) or 0) > 1:
        raise pytest.UsageError("The tests on BACKROOM_TEST_DATABASES share one database per server: "
                                "run them in one process (pytest -n 0)")


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(config, items) -> None:
    kept, off = [], []
    for item in items:
        if item.path.is_relative_to(TUI_DIR):
            item.add_marker(pytest.mark.tui)
        # A test of what only a server allows (two writers at once) is not
        # run on SQLite: deselected, as it cannot happen there.
        callspec = getattr(item, "callspec", None)
        on_sqlite = callspec is not None and callspec.params.get("db_url") == "sqlite"
        (off if on_sqlite and item.get_closest_marker("servers") else kept).append(item)
    if off:
        config.hook.pytest_deselected(items=off)
        items[:] = kept


def _engine_id(url: str) -> str:
    return url.split(":", 1)[0]


_fresh: set[str] = set()


def drop_everything() -> None:
    """Drop every Backroom table (and leftovers of an old schema)."""
    tables = set(models.db.get_tables())
    names = [m._meta.table_name for m in reversed(models.ALL_MODELS)]
    if models.is_mysql():
        models.db.execute_sql("SET FOREIGN_KEY_CHECKS = 0")
    try:
        for name in names + sorted(tables - set(names)):
            if name in tables:
                models.db.execute_sql(
                    f'DROP TABLE IF EXISTS "{name}" CASCADE' if models.is_postgres()
                    else f"DROP TABLE IF EXISTS `{name}`" if models.is_mysql()
                    else f'DROP TABLE IF EXISTS "{name}"')
    finally:
        if models.is_mysql():
            models.db.execute_sql("SET FOREIGN_KEY_CHECKS = 1")


def wipe_rows() -> None:
    """Empty every table and restore the defaults (quicker than DDL per test)."""
    if models.is_mysql():
        models.db.execute_sql("SET FOREIGN_KEY_CHECKS = 0")
    try:
        with models.db.atomic():
            for model in reversed(models.ALL_MODELS):
                if model is not models.SchemaMeta:
                    model.delete().execute()
            models.SchemaMeta.delete().where(models.SchemaMeta.key != "schema_version").execute()
            models.ensure_defaults()
    finally:
        if models.is_mysql():
            models.db.execute_sql("SET FOREIGN_KEY_CHECKS = 1")


def connect_server(url: str, *, fresh: bool) -> None:
    try:
        database = models.make_database(url)
        models.db.initialize(database)
        database.connect(reuse_if_open=True)
    except (pw.OperationalError, pw.InterfaceError, models.BackroomError) as exc:
        pytest.fail(f"Cannot reach the test database {url}: {models.first_line(exc)}", pytrace=False)
    if fresh or url not in _fresh:
        drop_everything()
        models.migrate_schema()
        _fresh.add(url)
    else:
        models.migrate_schema()
        wipe_rows()


@pytest.fixture(params=ENGINES, ids=_engine_id)
def db_url(request, tmp_path) -> str:
    """A database URL with a fresh Backroom schema, the models bound to it."""
    url = request.param
    models.use_admin(None)
    if url == "sqlite":
        url = f"sqlite:///{tmp_path / 'backroom.db'}"
        models.connect(url)
    else:
        connect_server(url, fresh=False)
    yield url
    models.use_admin(None)
    if not models.db.is_closed():
        models.db.close()


@pytest.fixture
def database(db_url):
    return models.db


@pytest.fixture
def empty_db_url(request, tmp_path):
    """Like ``db_url`` but with no tables at all (for schema tests)."""
    url = request.param
    if url == "sqlite":
        url = f"sqlite:///{tmp_path / 'backroom.db'}"
        models.db.initialize(models.make_database(url))
        models.db.connect(reuse_if_open=True)
    else:
        connect_server(url, fresh=True)
        drop_everything()
        _fresh.discard(url)
    yield url
    if not models.db.is_closed():
        models.db.close()


def pytest_generate_tests(metafunc):
    if "empty_db_url" in metafunc.fixturenames:
        metafunc.parametrize("empty_db_url", ENGINES, ids=_engine_id, indirect=True)
