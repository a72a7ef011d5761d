"""Fixtures for the TUI tests (the shared ones are in tests/conftest.py)."""

from __future__ import annotations

import pytest

import tui_helpers


@pytest.fixture(scope="session", autouse=True)
def template_databases(tmp_path_factory):
    """Seeded databases are built once per session (and per xdist worker)
    in this folder; make_db() copies them."""
    tui_helpers.TEMPLATE_DIR = tmp_path_factory.mktemp("template-databases")
    yield tui_helpers.TEMPLATE_DIR
    tui_helpers.TEMPLATE_DIR = None
