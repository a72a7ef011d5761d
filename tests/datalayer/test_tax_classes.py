"""Tax classes: add, rename, delete only when unused, the shop's default
class new groups get; and ``backroom tax-classes``."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from backroom import main, models


def names() -> list[str]:
    return [r.name for r in models.list_tax_classes()]


def audits(action: str) -> int:
    return models.AuditEntry.select().where(models.AuditEntry.action == action).count()


def test_add_rename_delete_are_audited(database):
    t = models.add_tax_class("  Reduced ", "5.5")
    assert (t.name, Decimal(t.rate_percent)) == ("Reduced", Decimal("5.50"))
    assert names() == ["Reduced", "Standard"]
    models.rename_tax_class(t.id, "Reduced rate")
    assert names() == ["Reduced rate", "Standard"]
    models.delete_tax_class(t.id)
    assert names() == ["Standard"]
    assert [audits(a) for a in ("tax_class.create", "tax_class.rename", "tax_class.delete")] == [1, 1, 1]


def test_names_are_unique_whatever_their_case(database):
    t = models.add_tax_class("Reduced")
    for taken in ("Reduced", "reduced", " STANDARD "):
        with pytest.raises(models.ValidationError) as exc:
            models.add_tax_class(taken)
        assert "already exists" in exc.value.errors["name"]
    with pytest.raises(models.ValidationError):
        models.rename_tax_class(t.id, "standard")
    assert names() == ["Reduced", "Standard"]


@pytest.mark.parametrize("name", ["", "   ", "x" * 65, "Zero\u200bwidth", "Bell\x07", "Bidi\u202e", 5])
def test_bad_names_are_refused_naming_the_field(database, name):
    with pytest.raises(models.ValidationError) as exc:
        models.add_tax_class(name)
    assert set(exc.value.errors) == {"name"}
    assert names() == ["Standard"]


@pytest.mark.parametrize("rate", ["101", "-1", "1.234", "abc", "١٠"])
def test_bad_rates_are_refused(database, rate):
    with pytest.raises(models.ValidationError) as exc:
        models.add_tax_class("Reduced", rate)
    assert set(exc.value.errors) == {"rate_percent"}


def test_renaming_to_the_same_name_records_nothing(database):
    t = models.add_tax_class("Reduced")
    models.rename_tax_class(t.id, "Reduced")
    assert audits("tax_class.rename") == 0


def test_a_class_in_use_is_not_deleted_and_the_message_counts_the_groups(database):
    t = models.add_tax_class("Reduced")
    for code in ("a", "b"):
        models.create_group({"code": code, "name": code.upper(), "tax_class_id": t.id})
    with pytest.raises(models.LockedError) as exc:
        models.delete_tax_class(t.id)
    assert "used by 2 groups" in str(exc.value)
    assert "Reduced" in names() and audits("tax_class.delete") == 0


def test_the_default_class_is_not_deleted(database):
    standard = models.find_tax_class("standard")
    models.update_group(models.get_group_by_code("general").id, {"tax_class_id": None},
                        expected_version=models.get_group_by_code("general").version)
    for code in ("guest", "wholesale"):
        models.CustomerGroup.update(tax_class=None).where(models.CustomerGroup.code == code).execute()
    with pytest.raises(models.LockedError) as exc:
        models.delete_tax_class(standard.id)
    assert "default" in str(exc.value)


def test_new_groups_get_the_default_class_not_the_first_by_name(database):
    assert models.default_tax_class_id() == models.find_tax_class("Standard").id
    models.add_tax_class("Aardvark")  # first by name; not the default
    g, _ = models.create_group({"code": "one", "name": "One"})
    assert g.tax_class_id == models.find_tax_class("Standard").id
    reduced = models.add_tax_class("Reduced", make_default=True)
    assert models.default_tax_class_id() == reduced.id
    assert [r.name for r in models.list_tax_classes() if r.is_default] == ["Reduced"]
    g, _ = models.create_group({"code": "two", "name": "Two"})
    assert g.tax_class_id == reduced.id
    g, _ = models.create_group({"code": "three", "name": "Three", "tax_class_id": None})
    assert g.tax_class_id is None  # "none" chosen is kept
    assert audits("tax_class.default") == 1


def test_list_counts_the_groups_using_each(database):
    rows = {r.name: r for r in models.list_tax_classes()}
    assert rows["Standard"].group_count == 3 and rows["Standard"].is_default


def test_unknown_ids_are_not_found(database):
    for op in (lambda: models.rename_tax_class(999999, "X"), lambda: models.delete_tax_class(999999),
               lambda: models.set_default_tax_class(999999)):
        with pytest.raises(models.NotFoundError):
            op()


# -- the command line (SQLite) ----------------------------------------------

@pytest.fixture
def url(tmp_path, monkeypatch):
    monkeypatch.delenv("BACKROOM_DB", raising=False)
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    models.connect(url)  # made on purpose: commands other than init, demo and seed refuse a missing one
    models.db.close()
    return url


def run(capsys, *argv) -> tuple[int, str, str]:
    try:
        code = main.main(list(argv))
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_tax_classes(capsys, url):
    assert run(capsys, "--db", url, "tax-classes", "add", "Reduced", "--rate", "5")[0] == 0
    code, out, err = run(capsys, "--db", url, "tax-classes", "add", "Zero", "--default")
    assert code == 0, err
    code, out, _ = run(capsys, "--db", url, "tax-classes", "list")
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "RATE", "GROUPS", "DEFAULT"]
    assert [ln.split()[0] for ln in lines[1:]] == ["Reduced", "Standard", "Zero"]
    assert lines[3].split()[-1] == "default"
    assert run(capsys, "--db", url, "tax-classes", "rename", "reduced", "Low")[0] == 0
    code, out, err = run(capsys, "--db", url, "tax-classes", "delete", "Standard")
    assert code == 1 and out == ""
    assert err.strip() == ("backroom: error: Standard is used by 3 groups: give them another tax class "
                           "before deleting it.")
    assert run(capsys, "--db", url, "tax-classes", "set-default", "Low")[0] == 0
    assert run(capsys, "--db", url, "tax-classes", "delete", "Zero")[0] == 0
    code, out, _ = run(capsys, "--db", url, "tax-classes", "list", "--json")
    assert json.loads(out) == [{"name": "Low", "rate_percent": "5.00", "default": True, "groups": 0},
                               {"name": "Standard", "rate_percent": "20.00", "default": False, "groups": 3}]


def test_cli_tax_class_errors_are_one_line(capsys, url):
    code, _, err = run(capsys, "--db", url, "tax-classes", "add", "bad\x1bname")
    assert code == 1 and err.count("\n") == 1 and "\x1b" not in err
    code, _, err = run(capsys, "--db", url, "tax-classes", "rename", "nope", "x")
    assert code == 1 and "No tax class named 'nope'" in err
    code, _, err = run(capsys, "--db", url, "tax-classes", "frob")
    assert code == 2
