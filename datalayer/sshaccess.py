"""Serving Backroom over SSH: what a key's forced command may run, and
installing a key's line in an authorized_keys file.  The key's line itself
(``authorized_keys_line``) is made in :mod:`.admins`."""

from __future__ import annotations

import os
import shlex
import tempfile
from pathlib import Path

from .errors import BackroomError
from .parsing import clean_line

SSH_COMMANDS = {("groups", "list"), ("rules", "apply"), ("admins", "list"), ("admins", "add"),
                ("admins", "set-role"), ("admins", "remove")}
"""What a key's forced command runs when the client names a command (ssh host groups list)."""


def ssh_command(original: str) -> list[str]:
    """The command an SSH client asked for, when a key's forced command runs
    Backroom: only the commands of :data:`SSH_COMMANDS`, never --db or
    --admin (the key's line fixes those) nor a file on the server."""
    try:
        words = shlex.split(original)
    except ValueError:
        raise BackroomError("The command sent over SSH cannot be read") from None
    if words and Path(words[0]).name == "backroom":
        words = words[1:]
    if not words:
        return []
    if any(w in ("--db", "--admin", "--install") or w.startswith(("--db=", "--admin=", "--install="))
           for w in words):
        raise BackroomError("Over SSH the database and the admin are fixed by the key; "
                                   "--db, --admin and --install cannot be given")
    if tuple(words[:2]) not in SSH_COMMANDS:
        allowed = ", ".join(" ".join(c) for c in sorted(SSH_COMMANDS))
        raise BackroomError(f"Over SSH only these commands run: {allowed} (or none, for the TUI)")
    return words


def install_authorized_key(path: str, line: str, key: str) -> None:
    """Append ``line`` to the authorized_keys file ``path``, keeping its
    lines: a new file in the same folder (mode 0600) replaces it once
    written, so a failure leaves the old one whole."""
    target = Path(path).expanduser().absolute()
    old = target.read_bytes() if target.exists() else b""
    blob = key.split()[1].encode()
    if any(blob in existing.split() for existing in old.splitlines()):
        raise BackroomError(f"That key is already in {clean_line(str(target))}: "
                                   "remove its line first")
    if old and not old.endswith(b"\n"):
        old += b"\n"
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".authorized_keys.")
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), 0o600)
            if target.exists() and os.geteuid() == 0:  # root installing for the account that owns the file
                st = target.stat()
                os.fchown(f.fileno(), st.st_uid, st.st_gid)
            f.write(old + line.encode() + b"\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
