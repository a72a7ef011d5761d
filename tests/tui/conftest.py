"""Fixtures for the TUI tests (the shared ones are in tests/conftest.py)."""

from __future__ import annotations

import gc
import os

import pytest

import tui_helpers


@pytest.fixture(scope="session", autouse=True)
def template_databases(tmp_path_factory):
    """Seeded databases are built once per session (and per xdist worker)
    in this folder; make_db() copies them."""
    tui_helpers.TEMPLATE_DIR = tmp_path_factory.mktemp("template-databases")
    yield tui_helpers.TEMPLATE_DIR
    tui_helpers.TEMPLATE_DIR = None


@pytest.fixture(autouse=True)
def drafts_in_tmp(tmp_path, monkeypatch):
    """Drafts of unsaved forms go under the test's own state folder (they
    are keyed by the database label, which every test shares)."""
    state = tmp_path / "state"
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    return state / "backroom" / "drafts"


@pytest.fixture(autouse=True)
def areas_built_on_their_key(request, monkeypatch):
    """The app builds the Customers and Reviews screens behind the first one
    once the admin has paused (tui/app.py, BUILT_AHEAD): at least 0.6 s after
    it shows, then the building.  A test settles only once that is done, so
    every test paid for it, most of them never opening those areas: the
    suite took half as long again.  Here the areas are built on their key,
    as they are in use when it is pressed before that pause; the tests
    marked ``built_ahead`` (tests/tui/test_tui_areas.py) run the app as it
    is, and test what building ahead changes."""
    if request.node.get_closest_marker("built_ahead") is None:
        from backroom.tui import app as app_module

        monkeypatch.setattr(app_module, "BUILT_AHEAD", ())


@pytest.fixture(scope="session", autouse=True)
def fewer_garbage_collections():
    """Rendering allocates objects by the million: with Python's default
    thresholds the collector took about a fifth of the TUI tests' CPU time,
    mostly full collections going over every object Textual and the tests
    had imported.  Those are frozen out of the collector's way, and it runs
    less often (the tests' memory grows by some tens of MB)."""
    threshold = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)
    yield
    gc.set_threshold(*threshold)
    gc.unfreeze()


@pytest.fixture(scope="session", autouse=True)
def crash_reports_kept_out_of_home(tmp_path_factory):
    """An app that breaks in a test writes its crash report (tui/crash.py)
    here, not in the home directory's state folder."""
    saved = os.environ.get("XDG_STATE_HOME")
    os.environ["XDG_STATE_HOME"] = str(tmp_path_factory.mktemp("state"))
    yield
    if saved is None:
        os.environ.pop("XDG_STATE_HOME", None)
    else:
        os.environ["XDG_STATE_HOME"] = saved
