"""End to end over a real sshd: two admins' keys, each with its forced
command, log in to 127.0.0.1 and run Backroom as themselves.

A throw-away sshd (Debian's openssh-server) listens on a free port with its
own host key and configuration in a temporary folder.  A manager applies a
group's rules through ``ssh host rules apply`` and moderates nothing; a
moderator approves a review in the TUI (through a pty, as ``ssh -t``
gives one), is refused a group change there and on the command line.  The
audit log, the outbox and the review history must name each admin.  The
test skips only when this machine cannot run sshd (not installed, or
refusing to start here); CI installs it (.ci/run)."""

from __future__ import annotations

import os
import re
import pty
import select
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from backroom import models

SSHD = shutil.which("sshd") or next((p for p in ("/usr/sbin/sshd", "/usr/local/sbin/sshd") if Path(p).exists()), None)
SSH = shutil.which("ssh")
SSH_KEYGEN = shutil.which("ssh-keygen")
BACKROOM = Path(sys.executable).parent / "backroom"

pytestmark = pytest.mark.skipif(not (SSHD and SSH and SSH_KEYGEN and BACKROOM.exists()),
                                reason="this machine has no sshd (Debian: apt-get install openssh-server)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def keygen(path: Path) -> str:
    subprocess.run([SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "", "-C", path.name, "-f", str(path)], check=True)
    return path.with_suffix(".pub").read_text().strip()


def backroom(db: str, *argv: str) -> subprocess.CompletedProcess:
    # The real command, so the key lines name its absolute path.
    return subprocess.run([str(BACKROOM), "--db", db, *argv], capture_output=True, text=True, timeout=60)


@pytest.fixture
def sshd(tmp_path):
    """A running sshd, and how to log in to it."""
    home = tmp_path / "sshd"
    home.mkdir()
    host_key = home / "host_key"
    keygen(host_key)
    port = free_port()
    user = os.environ.get("USER") or __import__("pwd").getpwuid(os.getuid()).pw_name
    config = home / "sshd_config"
    lines = [
        f"Port {port}", "ListenAddress 127.0.0.1", f"HostKey {host_key}", f"PidFile {home / 'sshd.pid'}",
        f"AuthorizedKeysFile {home / 'authorized_keys'}", "PubkeyAuthentication yes",
        "PasswordAuthentication no", "KbdInteractiveAuthentication no", "UsePAM no",
        # Only the temporary folder's modes are unusual (/tmp is world-writable): a real
        # server keeps StrictModes on, with ~/.ssh as sshd wants it.
        "StrictModes no", f"AllowUsers {user}", "LogLevel VERBOSE",
    ]
    if os.geteuid() == 0:
        lines.append("PermitRootLogin forced-commands-only")
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # Debian's privilege separation folder
    config.write_text("\n".join(lines) + "\n")
    log = home / "sshd.log"
    proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stdout=subprocess.DEVNULL,
                            stderr=log.open("w"))
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.skip(f"sshd cannot run here: {log.read_text()[-300:]}")
            time.sleep(0.1)
    try:
        yield {"home": home, "port": port, "user": user, "log": log}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def ssh_argv(sshd, key: Path, *extra: str) -> list[str]:
    return [SSH, "-F", "/dev/null", "-p", str(sshd["port"]), "-i", str(key), "-o", "IdentitiesOnly=yes",
            "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "LogLevel=ERROR", *extra, f"{sshd['user']}@127.0.0.1"]


def ssh(sshd, key: Path, command: str) -> subprocess.CompletedProcess:
    return subprocess.run([*ssh_argv(sshd, key), command], capture_output=True, text=True, timeout=60)


def flat(screen: bytes) -> str:
    """What a terminal was sent, as text: escape sequences dropped, lines (and
    the bar of a notification's box) joined with single spaces."""
    text = re.sub(r"\x1b\[[0-9;?<>=$]*[A-Za-z~]|\x1b\][^\x07]*\x07", "", screen.decode("utf-8", "replace"))
    return " ".join(re.sub("[▌\r\n]", " ", text).split())


def drive_tui(sshd, key: Path, steps: list[tuple[bytes, str]]) -> bytes:
    """Log in with a pty (ssh -tt); for each step send its keys, then wait
    (up to 30 s) until the screen shows its text; return what the screen got."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: ssh in a pseudo-terminal of 100x30
        os.environ["TERM"] = "xterm-256color"
        os.execv(SSH, [*ssh_argv(sshd, key, "-tt")])
    import fcntl
    import struct
    import termios

    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    seen = b""

    def read_for(seconds: float, until: str = "") -> None:
        nonlocal seen
        end = time.monotonic() + seconds
        start = len(seen)
        while time.monotonic() < end and not (until and until in flat(seen[start:])):
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                try:
                    seen += os.read(fd, 65536)
                except OSError:
                    return

    try:
        for data, until in steps:
            if data:
                os.write(fd, data)
            read_for(30, until)
            read_for(1.0)  # and let it settle (the list read, the footer drawn)
    finally:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            read_for(0.2)
        else:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        os.close(fd)
    return seen


def models_pending(db: str) -> int:
    models.connect(db)
    try:
        return models.review_status_counts()["pending"]
    finally:
        models.db.close()


def test_two_admins_over_ssh(tmp_path, sshd):
    db_path = tmp_path / "shop.db"
    db = f"sqlite:///{db_path}"
    assert backroom(db, "seed", "--customers", "40", "--reviews", "30").returncode == 0
    manager_key, moderator_key = tmp_path / "manager", tmp_path / "moderator"
    keys = sshd["home"] / "authorized_keys"
    assert backroom(db, "admins", "add", "olga").returncode == 0
    for name, role, key in (("maria", "manager", manager_key), ("moritz", "moderator", moderator_key)):
        done = backroom(db, "--admin", "olga", "admins", "add", name, "--role", role, "--key", keygen(key),
                        "--install", str(keys))
        assert done.returncode == 0, done.stderr
    assert len(keys.read_text().splitlines()) == 2

    models.connect(db)
    models.use_admin("olga")
    club, _ = models.create_group({"code": "club", "name": "Club"})
    models.set_rules(club.id, "all", [{"field": "order_count", "op": ">=", "value": "1"}])
    groups_before = [g.code for g in models.list_groups(sort="code")]
    models.use_admin(None)
    models.db.close()

    # The manager applies the club's rules: customers join, recorded as maria's.
    done = ssh(sshd, manager_key, "rules apply --group club")
    assert done.returncode == 0, done.stderr + sshd["log"].read_text()[-500:]
    assert done.stdout.startswith("club: ") and " joined" in done.stdout

    # The moderator may not: one line naming the role, nothing written.
    refused = ssh(sshd, moderator_key, "rules apply --group club")
    assert refused.returncode == 1
    assert refused.stderr.strip() == ("backroom: error: Changing or applying the rules of groups needs the owner "
                                      "or manager role; moritz's role is moderator.")
    # Nor anything but Backroom: the key runs the forced command only.
    sneaky = ssh(sshd, moderator_key, "cat /etc/passwd")
    assert sneaky.returncode == 1 and "Over SSH only these commands run" in sneaky.stderr

    # In the TUI (ssh -t): the moderator starts on Reviews, approves one, and on the groups
    # screen Delete is not offered; pressed anyway, it is refused, naming the role.
    pending = models_pending(db)
    refusal = ("Changing customer groups and what they grant needs the owner or manager role; "
               "moritz's role is moderator.")
    screen = drive_tui(sshd, moderator_key, [
        (b"", "Backroom · Reviews — moritz (moderator) · sqlite:///"),
        (b"a", "Approved: "),
        (b"\x1bOR", "Backroom · Customer groups"),  # F3
        (b"d", refusal),  # Delete: not offered, and refused when pressed
        (b"\x11", ""),  # Ctrl+Q
    ])
    text = flat(screen)
    assert "Backroom · Reviews — moritz (moderator) · sqlite:///" in text
    assert refusal in text
    assert models_pending(db) == pending - 1

    models.connect(db)
    try:
        apply = models.AuditEntry.get(models.AuditEntry.action == "group.rules_apply")
        assert apply.actor == "maria"
        joined = models.outbox(limit=1000)
        assert joined and {r.actor for r in joined if r.group == "Club"} == {"maria"}
        approved = (models.ReviewEvent.select().where(models.ReviewEvent.status == "approved")
                    .order_by(models.ReviewEvent.id.desc()).get())
        assert approved.actor == "moritz"
        assert not models.AuditEntry.select().where(
            (models.AuditEntry.actor == "moritz") & (models.AuditEntry.entity == "group")).exists()
        assert [g.code for g in models.list_groups(sort="code")] == groups_before
    finally:
        models.db.close()
