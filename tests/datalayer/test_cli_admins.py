"""The command line of admins: backroom admins …, --admin, the forced
command of an SSH key, and init --shared."""

from __future__ import annotations

import base64
import getpass
import grp
import json
import os
import stat

import pytest

from backroom import main, models

KEY = "ssh-ed25519 " + base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519" + b"\x00\x00\x00\x20" + bytes(32)).decode()
KEY2 = "ssh-ed25519 " + base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519" + b"\x00\x00\x00\x20" + bytes([9]) * 32).decode()


@pytest.fixture
def url(tmp_path, monkeypatch):
    for name in ("BACKROOM_DB", "BACKROOM_ADMIN", "SSH_ORIGINAL_COMMAND"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setattr(getpass, "getuser", lambda: "local-user")
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    models.connect(url)  # made on purpose: commands other than init, demo and seed refuse a missing one
    models.db.close()
    yield url
    models.use_admin(None)


def run(capsys, *argv) -> tuple[int, str, str]:
    try:
        code = main.main(list(argv))
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def test_admins_add_list_set_role_remove(capsys, url):
    code, out, _ = run(capsys, "--db", url, "admins", "list")
    assert code == 0 and "No admins" in out
    assert run(capsys, "--db", url, "admins", "add", "olga")[:2] == (0, "Added olga, owner.\n")
    code, out, err = run(capsys, "--db", url, "--admin", "olga", "admins", "add", "sam", "--role", "support",
                         "--key", KEY + " sam@laptop")
    assert code == 0, err
    line = out.strip()
    assert line.startswith('command="/') and "--admin sam" in line and ",restrict,pty ssh-ed25519 " in line
    assert f"--db {url}" in line
    code, out, _ = run(capsys, "--db", url, "--admin", "olga", "admins", "list", "--json")
    rows = json.loads(out)
    assert [(r["name"], r["role"]) for r in rows] == [("olga", "owner"), ("sam", "support")]
    assert rows[1]["key"].startswith("SHA256:") and rows[0]["key"] == ""
    assert run(capsys, "--db", url, "--admin", "olga", "admins", "set-role", "sam", "manager")[:2] == \
        (0, "sam is now manager.\n")
    code, out, err = run(capsys, "--db", url, "--admin", "sam", "admins", "remove", "olga")
    assert code == 1 and err.count("\n") == 1 and "needs the owner role; sam's role is manager" in err
    assert run(capsys, "--db", url, "--admin", "olga", "admins", "remove", "sam")[0] == 0
    code, _, err = run(capsys, "--db", url, "--admin", "sam", "groups", "list")
    assert code == 1 and err == "backroom: error: No admin is named sam: unknown, or removed. " \
                                "Ask an owner (backroom admins list).\n"


def test_a_database_with_admins_needs_one(capsys, url, monkeypatch):
    run(capsys, "--db", url, "admins", "add", "olga")
    code, _, err = run(capsys, "--db", url, "groups", "list")
    assert code == 1 and err.count("\n") == 1 and "name yours with --admin NAME" in err
    monkeypatch.setenv("BACKROOM_ADMIN", "olga")
    assert run(capsys, "--db", url, "groups", "list")[0] == 0
    monkeypatch.delenv("BACKROOM_ADMIN")
    monkeypatch.setattr(getpass, "getuser", lambda: "olga")  # a team of OS users: the login name
    assert run(capsys, "--db", url, "groups", "list")[0] == 0


def test_a_refused_command_says_the_role_and_changes_nothing(capsys, url):
    run(capsys, "--db", url, "admins", "add", "olga")
    run(capsys, "--db", url, "--admin", "olga", "admins", "add", "mo", "--role", "moderator")
    code, _, err = run(capsys, "--db", url, "--admin", "mo", "rules", "apply")
    assert code == 1 and "Changing or applying the rules of groups needs the owner or manager role; " \
                         "mo's role is moderator." in err


@pytest.mark.parametrize("argv,needle", [
    (["admins", "add", "a b"], "not a usable admin name"),
    (["admins", "add", "olga", "--key", "ssh-ed25519 AAAA!"], "not valid base64"),
    (["admins", "add", "olga", "--install", "/tmp/x"], "--install needs --key"),
    (["admins", "add", "olga", "--role", "support"], "first admin is the owner"),
])
def test_bad_admin_input_is_one_line(capsys, url, argv, needle):
    code, _, err = run(capsys, "--db", url, *argv)
    assert code == 1 and err.count("\n") == 1 and needle in err
    assert run(capsys, "--db", url, "admins", "list")[1].startswith("No admins")


def test_install_appends_atomically_and_keeps_the_lines(capsys, url, tmp_path):
    keys = tmp_path / "ssh" / "authorized_keys"
    keys.parent.mkdir()
    keys.write_text("ssh-ed25519 AAAAexisting someone")  # no final newline
    code, out, err = run(capsys, "--db", url, "admins", "add", "olga", "--key", KEY, "--install", str(keys))
    assert code == 0, err
    lines = keys.read_text().splitlines()
    assert lines[0] == "ssh-ed25519 AAAAexisting someone"
    assert lines[1].startswith('command="') and lines[1].endswith("backroom-admin:olga") and len(lines) == 2
    assert stat.S_IMODE(keys.stat().st_mode) == 0o600
    assert [p.name for p in keys.parent.iterdir()] == ["authorized_keys"]  # no temporary file left
    # The same key again: refused, and neither the file nor the admins change.
    code, _, err = run(capsys, "--db", url, "--admin", "olga", "admins", "add", "sam", "--role", "support",
                       "--key", KEY, "--install", str(keys))
    assert code == 1 and "already olga's" in err
    keys.write_text(keys.read_text() + KEY2 + " by-hand\n")
    code, _, err = run(capsys, "--db", url, "--admin", "olga", "admins", "add", "sam", "--role", "support",
                       "--key", KEY2, "--install", str(keys))
    assert code == 1 and "already in" in err
    assert [r.name for r in models.list_admins()] == ["olga"]


def test_the_ssh_original_command_runs_only_safe_commands(capsys, url, monkeypatch):
    run(capsys, "--db", url, "admins", "add", "olga")
    monkeypatch.setenv("SSH_ORIGINAL_COMMAND", "groups list --json")
    code, out, _ = run(capsys, "--db", url, "--admin", "olga")
    assert code == 0 and json.loads(out)[0]["code"]
    for bad in ("groups list --db sqlite:////tmp/other.db", "--admin olga groups list", "outbox export /tmp/x",
                "seed --customers 5", "admins add x --role owner --key k --install /root/.ssh/authorized_keys"):
        monkeypatch.setenv("SSH_ORIGINAL_COMMAND", bad)
        code, _, err = run(capsys, "--db", url, "--admin", "olga")
        assert code == 1 and err.count("\n") == 1 and "Over SSH" in err, bad


def test_init_shared_makes_the_database_the_groups(capsys, tmp_path, url):
    group = grp.getgrgid(os.getgid()).gr_name
    folder = tmp_path / "shop"
    db_file = folder / "shop.db"
    code, out, err = run(capsys, "--db", f"sqlite:///{db_file}", "init", "--shared", group)
    assert code == 0, err
    assert folder.stat().st_mode & stat.S_ISGID and stat.S_IMODE(folder.stat().st_mode) & 0o070 == 0o070
    assert stat.S_IMODE(db_file.stat().st_mode) == 0o660 and db_file.stat().st_gid == os.getgid()
    # Another session writes: SQLite's -wal and -shm are the group's too.
    models.connect(f"sqlite:///{db_file}")
    models.create_group({"code": "club", "name": "Club"})
    for suffix in ("-wal", "-shm"):
        f = folder / f"shop.db{suffix}"
        assert f.exists() and stat.S_IMODE(f.stat().st_mode) & 0o060 == 0o060, suffix
    models.db.close()
    code, _, err = run(capsys, "--db", f"sqlite:///{db_file}", "init", "--shared", "no-such-group-xyz")
    assert code == 1 and "no OS group named" in err
