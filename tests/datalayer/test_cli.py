"""The command line: what it prints, its exit codes, and no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from backroom import main
from backroom import models



@pytest.fixture
def url(tmp_path, monkeypatch):
    monkeypatch.delenv("BACKROOM_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return f"sqlite:///{tmp_path / 'cli.db'}"


def run(capsys, *argv) -> tuple[int, str, str]:
    try:
        code = main.main(list(argv))
    except SystemExit as exc:  # argparse's --help, --version and usage errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def test_version(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.startswith("backroom ")


@pytest.mark.parametrize("argv", [["--help"], ["seed", "--help"], ["groups", "--help"],
                                  ["groups", "list", "--help"], ["demo", "--help"]])
def test_help_everywhere(capsys, argv):
    code, out, _ = run(capsys, *argv)
    assert code == 0 and "usage: backroom" in out


def test_groups_list_table_and_json(capsys, url):
    code, out, err = run(capsys, "--db", url, "groups", "list")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["CODE", "NAME", "MEMBERS"]
    assert [ln.split()[0] for ln in lines[1:]] == ["general", "guest", "wholesale"]
    assert "locked" in next(ln for ln in lines if ln.startswith("guest"))
    code, out, _ = run(capsys, "--db", url, "groups", "list", "--json")
    data = json.loads(out)
    assert [g["code"] for g in data] == ["general", "guest", "wholesale"]
    assert data[1]["system"] is True and data[0]["members"] == 0


def test_seed_then_counts_show_in_groups_list(capsys, url):
    code, out, err = run(capsys, "--db", url, "seed", "--customers", "120", "--seed", "3")
    assert code == 0, err
    assert "120 customers" in out
    _, out, _ = run(capsys, "--db", url, "groups", "list", "--json")
    members = {g["code"]: g["members"] for g in json.loads(out)}
    assert members["general"] == 120


def test_database_from_environment(capsys, url, monkeypatch):
    monkeypatch.setenv("BACKROOM_DB", url)
    run(capsys, "seed", "--customers", "7")
    models.db.close()
    models.connect(url)
    assert models.Customer.select().count() == 7


@pytest.mark.parametrize("argv, code, needle", [
    (["--db", "oracle://x/y", "groups", "list"], 1, "Unknown database URL"),
    (["--db", "sqlite:///", "groups", "list"], 1, "needs a file path"),
    (["--db", "postgresql://nobody@127.0.0.1:1/none", "groups", "list"], 1, "Cannot open the database"),
    (["seed", "--customers", "-5"], 2, "must not be negative"),
    (["seed", "--customers", "many"], 2, "not a whole number"),
    (["seed"], 2, "required"),
    (["frobnicate"], 2, "invalid choice"),
])
def test_errors_are_one_line_and_non_zero(capsys, url, argv, code, needle):
    got, out, err = run(capsys, *argv)
    assert got == code
    assert needle in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_newer_database_is_refused_in_one_line(capsys, url):
    models.connect(url)
    models.SchemaMeta.update(value="99").where(models.SchemaMeta.key == "schema_version").execute()
    models.db.close()
    code, _, err = run(capsys, "--db", url, "groups", "list")
    assert code == 1
    assert "schema version 99" in err and len(err.strip().splitlines()) == 1


def test_password_is_not_shown_in_errors(capsys):
    code, _, err = run(capsys, "--db", "postgresql://admin:hunter2@127.0.0.1:1/shop", "groups", "list")
    assert code == 1 and "hunter2" not in err


def test_console_script_runs_without_traceback(tmp_path):
    """The installed entry point, in a real process."""
    env = {**os.environ, "BACKROOM_DB": f"sqlite:///{tmp_path / 'x.db'}"}
    proc = subprocess.run([sys.executable, "-m", "backroom", "groups", "list", "--json"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)) == 3
    proc = subprocess.run([sys.executable, "-m", "backroom", "--db", "bogus://", "groups", "list"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr


def test_seed_reviews_for_a_big_queue(capsys, url):
    code, out, err = run(capsys, "--db", url, "seed", "--customers", "30", "--reviews", "400")
    assert code == 0, err
    models.db.close()
    models.connect(url)
    counts = models.review_status_counts()
    assert sum(counts.values()) >= 400 and all(counts[s] > 0 for s in models.REVIEW_STATUSES)
    code, _, err = run(capsys, "--db", f"sqlite:///{url[10:]}-empty.db", "seed", "--customers", "0",
                       "--reviews", "5")
    assert code == 1 and "Seed customers and products first" in err
