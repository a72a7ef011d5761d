"""The command line: what it prints, its exit codes, and no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from backroom import main
from backroom import models
from backroom.datalayer import connection



@pytest.fixture
def url(tmp_path, monkeypatch):
    monkeypatch.delenv("BACKROOM_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    models.connect(url)  # made on purpose: commands other than init, demo and seed refuse a missing one
    models.db.close()
    return url


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
                                  ["groups", "list", "--help"], ["demo", "--help"], ["init", "--help"],
                                  ["import", "customers", "--help"], ["import", "reviews", "--help"],
                                  ["export", "customers", "--help"], ["export", "members", "--help"],
                                  ["export", "reviews", "--help"]])
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
    proc = subprocess.run([sys.executable, "-m", "backroom", "init"], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=60)
    assert proc.returncode == 0, proc.stderr
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
    # Every status a shop's queue has; spam is left to the moderators.
    assert sum(counts.values()) >= 400 and all(counts[s] > 0 for s in ("pending", "approved", "rejected"))
    code, _, err = run(capsys, "--db", f"sqlite:///{url[10:]}-empty.db", "seed", "--customers", "0",
                       "--reviews", "5")
    assert code == 1 and "Seed customers and products first" in err


# -- a database that cannot be used: one line naming the problem, exit 1 --------

def assert_one_line(code: int, err: str, *needles: str) -> None:
    assert code == 1, err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in err, err


def test_seed_on_a_read_only_database_is_one_line(capsys, url, monkeypatch):
    """SQLite's read-only error (SQLITE_READONLY, as for a file the user
    cannot write), made with PRAGMA query_only so it happens as root too."""
    run(capsys, "--db", url, "groups", "list")
    monkeypatch.setitem(connection.SQLITE_PRAGMAS, "query_only", 1)
    code, _, err = run(capsys, "--db", url, "seed", "--customers", "20")
    assert_one_line(code, err, "read-only")
    code, out, err = run(capsys, "--db", url, "groups", "list")  # reading still works
    assert code == 0 and "general" in out, err


def test_a_full_disk_names_the_problem_not_the_rollback(capsys, url, monkeypatch):
    """SQLite rolls a transaction back itself when the disk is full; the
    error must say so, not "cannot rollback - no transaction is active"."""
    run(capsys, "--db", url, "groups", "list")
    models.connect(url)
    pages = models.db.execute_sql("PRAGMA page_count").fetchone()[0]
    models.db.close()
    monkeypatch.setitem(connection.SQLITE_PRAGMAS, "max_page_count", pages + 2)
    code, _, err = run(capsys, "--db", url, "seed", "--customers", "2000")
    assert_one_line(code, err, "full")
    assert "rollback" not in err
    monkeypatch.delitem(connection.SQLITE_PRAGMAS, "max_page_count")
    models.connect(url)
    assert models.Customer.select().count() == 0  # all or nothing
    models.db.close()


def test_a_full_disk_inside_an_operation_keeps_the_database_whole(url):
    """The same, through an operation (a transaction with a savepoint inside)."""
    models.connect(url)
    pages = models.db.execute_sql("PRAGMA page_count").fetchone()[0]
    models.db.execute_sql(f"PRAGMA max_page_count = {pages + 1}")
    created = 0
    with pytest.raises(models.DATABASE_ERRORS) as exc:
        for i in range(2000):
            models.create_customer({"first_name": "F" * 90, "last_name": "L" * 90, "email": f"c{i}@example.com"})
            created += 1
    assert "full" in str(exc.value)
    assert models.Customer.select().count() == created
    assert models.AuditEntry.select().where(models.AuditEntry.action == "customer.create").count() == created
    assert models.Membership.select().count() == created
    models.db.close()


def test_a_file_that_is_not_a_database_is_one_line(capsys, tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("These are my notes, not a database.\n" * 20)
    code, _, err = run(capsys, "--db", f"sqlite:///{path}", "groups", "list")
    assert_one_line(code, err, "not a SQLite database")


def test_a_damaged_database_is_one_line(capsys, url, tmp_path):
    run(capsys, "--db", url, "seed", "--customers", "50")
    models.db.close()  # checkpointed: every page is in the file
    path = tmp_path / "cli.db"
    data = bytearray(path.read_bytes())
    page = 4096
    for start in range(page, len(data), page):  # every page but the header's
        data[start:start + page] = bytes([0xA5]) * page
    path.write_bytes(bytes(data))
    code, _, err = run(capsys, "--db", url, "groups", "list")
    assert_one_line(code, err, "damaged")


@pytest.mark.parametrize("stored", ["abc", "", "-1", "0", "3.0", "\x1b]0;pwned\x07", "9" * 40])
def test_an_unknown_schema_version_is_one_line(capsys, url, stored):
    models.connect(url)
    models.SchemaMeta.update(value=stored).where(models.SchemaMeta.key == "schema_version").execute()
    models.db.close()
    code, _, err = run(capsys, "--db", url, "groups", "list")
    assert_one_line(code, err, "schema version")
    assert "\x1b" not in err and "\x07" not in err


def test_an_unexpected_error_is_one_line_without_its_values(capsys, url, monkeypatch):
    def broken(*args, **kwargs):
        raise TypeError("Ada Lovelace <ada@example.com> owes 12.50")

    monkeypatch.setattr(models, "list_groups", broken)
    code, out, err = run(capsys, "--db", url, "groups", "list")
    assert_one_line(code, err, "TypeError", "bug")
    assert "Ada" not in err and "ada@" not in err and out == ""


# -- what the command line prints of stored text -----------------------------------

HOSTILE = "Evil\x1b]0;owned\x07\x1b[2J\u202egnp.exe\x9b31m\x00\u2066"


def hostile_group(url: str) -> None:
    """A group whose name and description a storefront wrote, as it was."""
    models.connect(url)
    models.CustomerGroup.create(code="evil", name=HOSTILE, description=HOSTILE + "\nline 2",
                                tax_class=models.TaxClass.select().first())
    models.db.close()


def test_groups_list_shows_stored_text_inert(capsys, url):
    run(capsys, "--db", url, "groups", "list")
    hostile_group(url)
    code, out, err = run(capsys, "--db", url, "groups", "list")
    assert code == 0, err
    assert models.is_inert(out)
    assert "Evil\\x1b]0;owned\\x07" in out and "\\u202e" in out


def test_groups_list_json_is_valid_and_inert(capsys, url):
    run(capsys, "--db", url, "groups", "list")
    hostile_group(url)
    code, out, err = run(capsys, "--db", url, "groups", "list", "--json")
    assert code == 0, err
    assert models.is_inert(out) and not models.has_control_chars(out.replace("\n", ""))
    data = {g["code"]: g for g in json.loads(out)}
    assert data["evil"]["name"] == HOSTILE  # the same data, escaped the JSON way
    assert data["evil"]["description"] == HOSTILE + "\nline 2"
    assert "Zoë" in models.inert_json({"n": "Zoë"})  # letters stay readable


def test_errors_quoting_stored_text_are_inert(capsys, url):
    run(capsys, "--db", url, "groups", "list")
    code, _, err = run(capsys, "--db", url, "rules", "apply", "--group", "\x1b[2Jnope\x9b")
    assert_one_line(code, err, "nope")
    assert models.is_inert(err)



def test_rules_apply_on_a_bad_stored_rule_is_one_line(capsys, url):
    run(capsys, "--db", url, "seed", "--customers", "20")
    models.connect(url)
    g, _ = models.create_group({"code": "loyal", "name": "Loyal"})
    # Stored by an older Backroom that checked less, or by hand.
    models.GroupRuleSet.create(group=g.id, match="all",
                               rules=json.dumps([{"field": "order_count", "op": ">=", "value": "²"}]))
    models.db.close()
    code, _, err = run(capsys, "--db", url, "rules", "apply")
    assert_one_line(code, err, "loyal", "rules[0]")
    code, _, err = run(capsys, "--db", url, "rules", "apply", "--dry-run")
    assert_one_line(code, err, "loyal")
    models.connect(url)
    models.GroupRuleSet.update(rules="not json").execute()
    models.db.close()
    code, _, err = run(capsys, "--db", url, "rules", "apply")
    assert_one_line(code, err, "cannot be read")


# -- the database is named on purpose ------------------------------------------

@pytest.mark.parametrize("argv", [["groups", "list"], ["rules", "apply"], ["rules", "apply", "--dry-run"],
                                  ["outbox", "export", "out.csv"], ["export", "customers", "out.csv"],
                                  ["import", "customers", "in.csv", "--dry-run"], []])
def test_a_missing_database_is_an_error_and_is_not_made(capsys, tmp_path, monkeypatch, argv):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in.csv").write_text("email\na@example.com\n")
    missing = tmp_path / "typo" / "shop.db"
    code, out, err = run(capsys, "--db", f"sqlite:///{missing}", *argv)
    assert_one_line(code, err, "No database at")
    assert f"No database at {missing}: check the path (sqlite:////absolute/path.db has four slashes), " \
           "or `backroom init` creates one" in err
    assert out == "" and not missing.exists() and not missing.parent.exists()
    assert not (tmp_path / "out.csv").exists()


def test_init_creates_the_database_once(capsys, tmp_path):
    path = tmp_path / "new" / "shop.db"
    code, out, err = run(capsys, "--db", f"sqlite:///{path}", "init")
    assert code == 0, err
    assert out == f"The database sqlite:///{path} was created (schema version {models.SCHEMA_VERSION}).\n"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    code, out, err = run(capsys, "--db", f"sqlite:///{path}", "init")
    assert code == 0 and "is ready" in out
    code, out, _ = run(capsys, "--db", f"sqlite:///{path}", "groups", "list", "--json")
    assert code == 0 and len(json.loads(out)) == 3


def test_relative_and_absolute_sqlite_urls(capsys, tmp_path, monkeypatch):
    """Three slashes: a path relative to the current folder; four: an absolute one."""
    monkeypatch.chdir(tmp_path)
    assert run(capsys, "--db", "sqlite:///rel.db", "init")[0] == 0
    assert (tmp_path / "rel.db").exists()
    assert run(capsys, "--db", f"sqlite:///{tmp_path}/abs.db", "init")[0] == 0
    assert (tmp_path / "abs.db").exists() and str(tmp_path).startswith("/")


def test_import_create_makes_the_database(capsys, tmp_path):
    (tmp_path / "in.csv").write_text("email,first_name\na@example.com,Ada\n")
    path = tmp_path / "shop.db"
    code, out, err = run(capsys, "--db", f"sqlite:///{path}", "import", "customers", str(tmp_path / "in.csv"),
                         "--format", "backroom", "--create")
    assert code == 0, err
    assert out.splitlines()[-1] == "1 rows: 1 new, 0 changed, 0 unchanged, 0 rejected (imported)"
    models.db.close()


def test_an_empty_server_style_database_is_refused(capsys, tmp_path):
    """A SQLite file with no Backroom tables (as an empty server database) is not silently set up."""
    import sqlite3
    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()
    assert path.exists()
    code, _, err = run(capsys, "--db", f"sqlite:///{path}", "groups", "list")
    assert_one_line(code, err, "holds no Backroom data")


def test_import_and_export_on_the_command_line(capsys, url, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("Email;First Name;Last Name;Groups (x,y,z...);Default group ID\n"
                      "ada@example.com;Ada;Lovelace;3;3\n"
                      "bad;Bo;B;3;3\n", encoding="utf-8")
    code, out, err = run(capsys, "--db", url, "import", "customers", str(source), "--dry-run",
                         "--map", "Email=email,First Name=first_name,Last Name=last_name,"
                                  "Groups (x,y,z...)=groups,Default group ID=")
    assert code == 1  # a row is bad
    assert out.splitlines()[-2:] == ["line 3: email: 'bad' is not an email address",
                                     "2 rows: 1 new, 0 changed, 0 unchanged, 1 rejected (would be imported)"]
    code, out, err = run(capsys, "--db", url, "import", "customers", str(source), "--format", "prestashop")
    assert code == 1 and out.splitlines()[-1] == (
        f"2 rows: 1 new, 0 changed, 0 unchanged, 1 rejected (imported); rejected rows in {tmp_path / 'in.rejects.csv'}")
    code, out, err = run(capsys, "--db", url, "export", "customers", str(tmp_path / "out.csv"))
    assert code == 0 and out == f"Exported 1 customers to {tmp_path / 'out.csv'}\n"


@pytest.mark.parametrize("argv, needle", [
    (["import", "customers", "missing.csv"], "No file missing.csv"),
    (["import", "customers", "in.csv", "--map", "nope"], "'nope' is not 'column=field'"),
    (["import", "customers", "in.csv", "--encoding", "klingon"], "'klingon' is not an encoding"),
    (["import", "customers", "in.csv"], "matches no customer format"),
    (["export", "members", "out.csv", "--group", "nope"], "nope"),
    (["export", "reviews", "out.csv", "--status", "lost"], "Status must be one of"),
])
def test_import_and_export_errors_are_one_line(capsys, url, tmp_path, monkeypatch, argv, needle):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in.csv").write_text("Mail,Name\nx@example.com,X\n")
    code, out, err = run(capsys, "--db", url, *argv)
    assert_one_line(code, err, needle)
    assert needle in err and not (tmp_path / "out.csv").exists()


def test_import_orders_on_the_command_line(capsys, url, tmp_path):
    customers = tmp_path / "c.csv"
    customers.write_text("email,first_name\nada@example.com,Ada\n")
    assert run(capsys, "--db", url, "import", "customers", str(customers), "--format", "backroom")[0] == 0
    orders = tmp_path / "o.csv"
    orders.write_text("order_number,customer_email,status,total,sku,quantity,unit_price\n"
                      "A1,ada@example.com,complete,9.00,S1,3,3.00\n")
    code, out, err = run(capsys, "--db", url, "import", "orders", str(orders))
    assert code == 0, err
    assert out.splitlines()[-1] == "1 orders: 1 new, 0 changed, 0 unchanged, 0 rejected (imported)"
