"""Column maps saved by name (``--save-map``, ``--map-name``, ``import
maps``): stored as shop settings, checked before saving, audited; on every
engine."""

from __future__ import annotations

import pytest

from backroom import main, models

LONG = ",".join(f"Column number {i} with a long name=" for i in range(20)) + ",Mail=email"


def test_save_use_list_and_delete(db_url):
    saved = models.save_import_map("customers", " Sheet-1 ", "Mail=email,Given=first_name")
    assert (saved.kind, saved.name) == ("customers", "sheet-1")
    assert models.saved_map("customers", "SHEET-1") == "Mail=email,Given=first_name"
    models.save_import_map("reviews", "sheet-1", "Stars=rating")
    assert [(m.kind, m.name, m.text) for m in models.list_saved_maps()] == [
        ("customers", "sheet-1", "Mail=email,Given=first_name"), ("reviews", "sheet-1", "Stars=rating")]
    models.save_import_map("customers", "sheet-1", "Mail=email")  # replaced
    models.save_import_map("customers", "sheet-1", "Mail=email")  # unchanged: not audited again
    assert models.saved_map("customers", "sheet-1") == "Mail=email"
    actions = [e.action for e in models.AuditEntry.select().where(models.AuditEntry.entity == "import_map")]
    assert actions == ["import_map.save", "import_map.save", "import_map.save"]
    models.delete_saved_map("customers", "sheet-1")
    with pytest.raises(models.NotFoundError, match="No map named 'sheet-1' for importing customers"):
        models.saved_map("customers", "sheet-1")
    assert [m.kind for m in models.list_saved_maps()] == ["reviews"]


def test_a_long_map_is_kept_whole(db_url):
    assert len(LONG) > 600
    models.save_import_map("customers", "wide", LONG)
    assert models.saved_map("customers", "wide") == LONG
    models.save_import_map("customers", "wide", "Mail=email")  # the extra parts go
    assert models.saved_map("customers", "wide") == "Mail=email"
    assert models.SchemaMeta.select().where(models.SchemaMeta.key.startswith("import_map.")).count() == 1


@pytest.mark.parametrize(("kind", "name", "text", "field", "problem"), [
    ("customers", "x", "Mail=bogus", "map", "is not a field"),
    ("customers", "x", "", "map", "An empty map"),
    ("customers", "x", "Mail=email\x1b", "map", "control characters"),
    ("customers", "has space", "Mail=email", "name", "cannot name a map"),
    ("customers", "x" * 33, "Mail=email", "name", "cannot name a map"),
    ("orders", "x", "Mail=email", "kind", "customers or reviews"),
    ("customers", "x", "A=email," * 600, "map", "at most"),
])
def test_a_bad_map_or_name_saves_nothing(db_url, kind, name, text, field, problem):
    with pytest.raises(models.ValidationError) as exc:
        models.save_import_map(kind, name, text)
    assert problem in exc.value.errors[field]
    assert models.list_saved_maps() == []


def test_saving_needs_the_import_permission(db_url):
    models.add_admin("olga")
    models.use_admin("olga")
    models.add_admin("mo", "moderator")
    models.use_admin("mo")
    with pytest.raises(models.PermissionDenied):
        models.save_import_map("customers", "x", "Mail=email")
    assert models.list_saved_maps() == []


def test_the_command_line_saves_and_reuses_a_map(tmp_path, capsys):
    db_url = f"sqlite:///{tmp_path / 'cli.db'}"  # the command line, on a file of its own
    models.use_admin(None)
    models.connect(db_url)
    path = tmp_path / "sheet.csv"
    path.write_text("Mail,Given\nada@example.com,Ada\n", encoding="utf-8")

    def run(*argv):
        return main.main(["--db", db_url, "import", *argv])

    assert run("customers", str(path), "--dry-run", "--map", "Mail=email,Given=first_name", "--save-map", "sheet") == 0
    assert capsys.readouterr().out.splitlines()[-1] == "Saved the map as sheet: next time, --map-name sheet."
    assert models.Customer.select().count() == 0
    assert run("customers", str(path), "--map-name", "sheet") == 0
    assert models.Customer.get().first_name == "Ada"
    capsys.readouterr()
    assert run("maps") == 0
    assert capsys.readouterr().out == f"customers  {'sheet':<32} Mail=email,Given=first_name\n"
    assert run("customers", str(path), "--map-name", "nope") == 1
    assert "No map named 'nope'" in capsys.readouterr().err
    assert run("customers", str(path), "--map-name", "sheet", "--map", "Mail=email") == 1
    assert "not both" in capsys.readouterr().err
    assert run("maps", "--delete", "sheet") == 0
    assert models.list_saved_maps() == []
