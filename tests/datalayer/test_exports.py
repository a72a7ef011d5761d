"""Exports are safe to open: the outbox as CSV (no formula runs in a
spreadsheet, no control character reaches a terminal) and as mbox (no header
carries a CR or LF), created 0600 and written atomically."""

from __future__ import annotations

import csv
import io
import mailbox
import os
import stat

import pytest

from backroom import main, models
from backroom.datalayer import outbox
from backroom.models import Selection

FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"click\")", "+1+2", "-2+3", "@SUM(A1:A9)", "\t=1", "\r=1",
            " =1+1", "=cmd|' /C calc'!A0"]


def storefront_customer(first: str, email: str) -> models.Customer:
    """A customer as a storefront wrote them: no checks."""
    general = models.general_group()
    c = models.Customer.create(first_name=first, last_name="", email=email, email_key=email.lower(),
                               name_key=first.lower(), last_key="", default_group=general.id)
    models.Membership.create(customer=c.id, group=general.id)
    return c


@pytest.fixture
def out_dir(tmp_path):
    """A folder for exports alone (the SQLite database lives in tmp_path)."""
    path = tmp_path / "exports"
    path.mkdir()
    return path


@pytest.fixture
def queued(database):
    """Notifications for hostile customers, in a group whose name a
    storefront (or an older Backroom) wrote with a CR LF in it."""
    ids = [storefront_customer(name, f"f{i}@example.com").id for i, name in enumerate(FORMULAS)]
    ids.append(storefront_customer("Mallory\x1b]0;owned\x07\u202e", "mallory@example.com\r\nBcc: all@example.com").id)
    ids.append(storefront_customer("Two", "a@example.com, b@example.com").id)
    ids.append(models.create_customer({"first_name": "Zoë", "email": "zoe@example.com"}).id)
    g, _ = models.create_group({"code": "club", "name": "Club"})
    models.CustomerGroup.update(name="Club\r\nBcc: all@example.com").where(models.CustomerGroup.id == g.id).execute()
    models.assign_customers(g.id, Selection.ids(ids))
    assert models.outbox_count() == len(ids)
    return ids


def test_csv_cells_never_run_as_formulas_nor_carry_control_characters(queued, tmp_path):
    path = tmp_path / "outbox.csv"
    assert models.export_outbox(path) == len(queued)
    raw = path.read_bytes().decode("utf-8")
    # Rows end in CR LF (CSV's own); no other control character anywhere.
    assert not models.has_control_chars(raw.replace("\r\n", ""))
    rows = list(csv.reader(io.StringIO(raw)))
    assert len(rows) == 1 + len(queued)
    for row in rows[1:]:
        for cell in row[2:]:
            assert not cell.lstrip(" ").startswith(("=", "+", "-", "@", "\t", "\r")), row
    names = [row[2] for row in rows[1:]]
    assert "'=HYPERLINK(\"http://evil.example\",\"click\")" in names and "'+1+2" in names
    assert names.count("'=1") == 2 and "'=1+1" in names  # the tab, CR and spaces went with the name's ends
    assert "Mallory\\x1b]0;owned\\x07\\u202e" in names and "Zoë" in names  # escaped, letters kept
    assert all(row[4] == "Club\\x0d\\x0aBcc: all@example.com" for row in rows[1:])


@pytest.mark.parametrize("value, cell", [
    ("=1+1", "'=1+1"), ("+44 20 7946 0000", "'+44 20 7946 0000"), ("-", "'-"), ("@home", "'@home"),
    ("\tx", "'\\x09x"), ("\rx", "'\\x0dx"), ("  =x", "'  =x"), ("Ada", "Ada"), ("a=b", "a=b"), ("", ""),
    (None, ""), (42, "42"), ("\x1b[2J", "\\x1b[2J"), ("\u202eabc", "\\u202eabc"),
])
def test_csv_cell(value, cell):
    assert outbox.csv_cell(value) == cell


def test_mbox_headers_never_carry_cr_or_lf(queued, tmp_path):
    path = tmp_path / "outbox.mbox"
    assert models.export_outbox(path, fmt="mbox") == len(queued)
    raw = path.read_bytes()
    assert b"\r" not in raw
    assert not any(line.lower().startswith(b"bcc:") for line in raw.split(b"\n"))
    messages = list(mailbox.mbox(str(path)))
    assert len(messages) == len(queued)
    recipients = []
    for msg in messages:
        assert "Bcc" not in msg and len(msg.get_all("To") or []) <= 1
        for name, value in msg.items():
            assert "\r" not in value and "\n" not in value, (name, value)
            assert models.is_inert(str(value), multiline=False), (name, value)
        assert msg["Subject"] == "You have joined Club\\x0d\\x0aBcc: all@example.com"
        recipients.append(msg["To"])
    assert "zoe@example.com" in recipients and "f0@example.com" in recipients
    # The addresses that are not one usable address: kept, sent to nobody.
    refused = [m for m in messages if m["To"] is None]
    assert len(refused) == 2
    assert all(m["X-Backroom-Undeliverable"] for m in refused)
    assert "mallory@example.com\\x0d\\x0aBcc" in refused[0]["X-Backroom-Undeliverable"]
    body = next(m for m in messages if m["To"] is None).get_payload()
    assert "Hello Mallory\\x1b]0;owned\\x07\\u202e," in body


@pytest.mark.parametrize("fmt", ["csv", "mbox"])
def test_an_export_is_created_for_its_owner_only_even_over_an_old_file(queued, out_dir, fmt):
    path = out_dir / f"outbox.{fmt}"
    path.write_text("an older export\n")
    os.chmod(path, 0o644)
    old_umask = os.umask(0)  # whatever the umask says
    try:
        models.export_outbox(path, fmt=fmt)
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "an older export" not in path.read_text(encoding="utf-8")
    assert sorted(p.name for p in out_dir.iterdir()) == [path.name]


@pytest.mark.parametrize("fmt", ["csv", "mbox"])
@pytest.mark.parametrize("where", ["writing", "marking"])
def test_a_failed_export_leaves_no_file_and_marks_nothing(queued, out_dir, monkeypatch, fmt, where):
    path = out_dir / f"outbox.{fmt}"
    path.write_text("the previous export\n")
    before = (models.outbox_count(), models.AuditEntry.select().count())
    calls = []

    def fail(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)

    if where == "writing":
        name = "csv_cell" if fmt == "csv" else "_message"
    else:
        name = "audit"
        calls.extend([1, 1])  # the first call fails
    real = getattr(outbox, name)
    monkeypatch.setattr(outbox, name, fail)
    with pytest.raises(OSError):
        models.export_outbox(path, fmt=fmt)
    assert path.read_text() == "the previous export\n"
    assert sorted(p.name for p in out_dir.iterdir()) == [path.name]  # no temporary file left
    assert (models.outbox_count(), models.AuditEntry.select().count()) == before


def test_outbox_export_command_with_hostile_addresses(capsys, tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    models.connect(url)
    c = storefront_customer("Mallory", "m@example.com\r\nBcc: all@example.com")
    g, _ = models.create_group({"code": "club", "name": "Club"})
    models.assign_customers(g.id, Selection.ids([c.id]))
    models.db.close()
    for fmt in ("mbox", "csv"):
        code = main.main(["--db", url, "outbox", "export", str(tmp_path / f"x.{fmt}"), "--format", fmt])
        out, err = capsys.readouterr()
        assert code == 0 and err == "", err
        models.connect(url)
        models.unassign_customers(g.id, Selection.ids([c.id]))  # one more notification for the next format
        models.db.close()
    assert stat.S_IMODE((tmp_path / "x.mbox").stat().st_mode) == 0o600


def test_a_damaged_export_mark_is_an_error_not_a_crash(database, tmp_path):
    models.SchemaMeta.create(key="outbox_exported_through", value="many")
    with pytest.raises(models.SchemaError):
        models.outbox_count()
    with pytest.raises(models.SchemaError):
        models.export_outbox(tmp_path / "x.csv")
