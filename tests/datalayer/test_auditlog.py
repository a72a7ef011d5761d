"""Reading the audit log (the History screen, ``backroom audit``): newest
first, filtered, in keyset pages; hostile text stays inert."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from backroom import main, models

NOW = dt.datetime(2026, 3, 10, 12, 0, 0)


def entry(days_ago: float, actor: str, action: str, entity: str, entity_id=None, before=None, after=None):
    return models.AuditEntry.create(
        at=NOW - dt.timedelta(days=days_ago), actor=actor, action=action, entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        before=None if before is None else json.dumps(before), after=None if after is None else json.dumps(after))


def run(capsys, *argv) -> tuple[int, str, str]:
    try:
        code = main.main(list(argv))
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def log(database):
    models.AuditEntry.delete().execute()
    g = models.get_group_by_code("wholesale")
    c = models.create_customer({"first_name": "Ana", "last_name": "Núñez", "email": "ana@example.com"})
    models.AuditEntry.delete().execute()
    rows = [
        entry(9, "alice", "group.update", "group", g.id, {"name": "Old"}, {"name": "New"}),
        entry(5, "bob", "customer.update", "customer", c.id, {"phone": ""}, {"phone": "+1 555"}),
        entry(3, "alice", "group.assign", "group", g.id, None, {"added": 3}),
        entry(1, "bob", "review.moderate", "review", 7, {"status": "pending"}, {"status": "approved"}),
    ]
    return g, c, rows


def ids(rows) -> list[int]:
    return [r.id for r in rows]


def test_newest_first_and_every_filter(log):
    g, c, rows = log
    assert ids(models.audit_page()) == ids(reversed(rows))
    today = NOW.date()
    by = lambda **kw: ids(models.audit_page(models.audit_filter(today=today, **kw)))  # noqa: E731
    assert by(actor="alice") == [rows[2].id, rows[0].id]
    assert by(kind="group") == [rows[2].id, rows[0].id]
    assert by(kind="group.assign") == [rows[2].id]
    assert by(kind="grou") == []  # a kind is a whole word, not a prefix of one
    assert by(kind="%") == []  # nothing typed is a wildcard
    assert by(group="WHOLESALE") == [rows[2].id, rows[0].id]
    assert by(customer=" ANA@example.com ") == [rows[1].id]
    assert by(customer=str(c.id)) == [rows[1].id]
    assert by(since="4 days ago") == [rows[3].id, rows[2].id]
    assert by(since="6 days ago", until="2 days ago") == [rows[2].id, rows[1].id]
    assert by(since="2026-03-07", actor="alice", kind="group") == [rows[2].id]
    assert models.audit_count(models.audit_filter(actor="bob")) == 2


def test_bad_filters_are_one_clear_error(log):
    with pytest.raises(models.DateParseError):
        models.audit_filter(since="the day after")
    with pytest.raises(models.NotFoundError):
        models.audit_filter(group="nope")
    with pytest.raises(models.NotFoundError):
        models.audit_filter(customer="nobody@example.com")
    with pytest.raises(models.ValidationError):
        models.audit_filter(actor=["x"])
    with pytest.raises(models.ValidationError):
        models.audit_page(limit=0)


def test_keyset_pages_walk_the_log_once_even_when_times_tie(database):
    models.AuditEntry.delete().execute()
    made = [entry(i // 3, "a", "x.y", "thing", i) for i in range(25)]  # three entries a second
    seen, cursor = [], None
    while True:
        page = models.audit_page(after=cursor, limit=4)
        if not page:
            break
        seen += page
        cursor = page[-1].cursor
    expected = sorted(made, key=lambda e: (e.at, e.id), reverse=True)
    assert ids(seen) == ids(expected)
    assert ids(models.audit_window(offset=20, limit=10)) == ids(expected[20:])
    assert ids(models.audit_window(offset=0, limit=5, oldest_first=True)) == ids(reversed(expected[-5:]))


def test_indexes_for_the_filters_exist(database):
    names = {tuple(ix.columns) for ix in models.db.get_indexes("audit_entry")}
    assert ("actor", "at") in names and ("action", "at") in names


HOSTILE = "\x1b[31mred\x1b]8;;http://x\x07\u202egnp.exe\r\nforged line"


def test_cli_prints_inert_text_and_valid_json(capsys, db_url, log):
    entry(0.5, HOSTILE[:60], "group.update", "group", 1, {"name": "x"}, {"name": HOSTILE})
    models.db.close()
    code, out, err = run(capsys, "--db", db_url, "audit", "--limit", "2")
    assert code == 0, err
    assert len(out.splitlines()) == 2
    for bad in ("\x1b", "\x07", "\u202e", "\r"):
        assert bad not in out
    assert "forged line" in out.splitlines()[0]
    code, out, err = run(capsys, "--db", db_url, "audit", "--json", "--actor", "alice", "--kind", "group")
    assert code == 0, err
    data = json.loads(out)
    assert [d["action"] for d in data] == ["group.assign", "group.update"]
    assert data[1]["before"] == {"name": "Old"}
    code, out, err = run(capsys, "--db", db_url, "audit", "--json", "--limit", "1")
    data = json.loads(out)
    assert data[0]["after"]["name"] == HOSTILE and "\x1b" not in out
    code, out, err = run(capsys, "--db", db_url, "audit", "--since", "\x1b[2Jsoon")
    assert code == 1 and err.count("\n") == 1 and "\x1b" not in err
    code, out, err = run(capsys, "--db", db_url, "audit", "--customer", "nobody@example.com")
    assert code == 1 and "No customer" in err
    code, out, err = run(capsys, "--db", db_url, "audit", "--limit", "x")
    assert code == 2
    code, out, err = run(capsys, "--db", db_url, "audit", "--actor", "nobody")
    assert code == 0 and out == "No audit entries match.\n"
