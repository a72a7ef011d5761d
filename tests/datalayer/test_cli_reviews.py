"""``backroom reviews``: the reasons, the auto-approve rule and applying it."""

from __future__ import annotations

import datetime as dt

import pytest

from backroom import main, models


@pytest.fixture
def url(tmp_path, monkeypatch):
    monkeypatch.delenv("BACKROOM_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    models.connect(url)
    models.seed(30, rng_seed=3, today=dt.datetime(2026, 11, 1))
    models.seed_reviews(300, rng_seed=4, today=dt.datetime(2026, 11, 1))
    models.db.close()
    return url


def run(capsys, url, *argv) -> tuple[int, str, str]:
    try:
        code = main.main(["--db", url, *argv])
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def test_reasons_list_add_rename_delete(capsys, url):
    assert run(capsys, url, "reviews", "reasons", "add", "Off topic")[:2] == (0, "Added the reason Off topic.\n")
    assert run(capsys, url, "reviews", "reasons", "add", "Links \x1b[2J")[0] != 0  # control characters
    assert run(capsys, url, "reviews", "reasons", "add", "Links")[0] == 0
    assert run(capsys, url, "reviews", "reasons", "rename", "links", "Advertising")[0] == 0
    assert run(capsys, url, "reviews", "reasons", "list")[1] == "1  Off topic\n2  Advertising\n"
    assert run(capsys, url, "reviews", "reasons", "delete", "Off topic")[0] == 0
    code, _, err = run(capsys, url, "reviews", "reasons", "rename", "Advertising")
    assert code != 0 and "OLD NEW" in err and "\n" == err[-1] and err.count("\n") == 1
    code, _, err = run(capsys, url, "reviews", "reasons", "delete", "Nope")
    assert code != 0 and "No rejection reason" in err
    assert [r.name for r in models.list_review_reasons()] == ["Advertising"]


def test_rule_dry_run_then_apply(capsys, url):
    code, _, err = run(capsys, url, "reviews", "apply-rules", "--dry-run")
    assert code != 0 and "no auto-approve rule" in err
    assert run(capsys, url, "reviews", "rule", "--min-stars", "4")[1] == (
        "Auto-approve: pending verified purchases with at least 4 stars.\n")
    would = models.preview_review_rule()
    assert would > 0
    pending = models.count_reviews(models.ReviewFilter(status="pending"))
    assert run(capsys, url, "reviews", "apply-rules", "--dry-run")[1] == f"Would approve {would:,} pending reviews.\n"
    assert models.count_reviews(models.ReviewFilter(status="pending")) == pending
    assert run(capsys, url, "reviews", "apply-rules")[1] == f"Approved {would:,} pending reviews.\n"
    assert models.count_reviews(models.ReviewFilter(status="pending")) == pending - would
    assert models.ReviewEvent.select().where(models.ReviewEvent.actor != "").count() >= would
    assert run(capsys, url, "reviews", "apply-rules")[1] == "Approved 0 pending reviews.\n"
    assert run(capsys, url, "reviews", "rule", "--min-stars", "9")[0] != 0
    assert run(capsys, url, "reviews", "rule", "--min-stars", "off")[1] == "No auto-approve rule.\n"
