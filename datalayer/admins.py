"""Admins and their roles: who runs Backroom, and what each may do.

An admin is a named person with a role.  While the ``admin`` table is
empty, Backroom is one local user's and everything is allowed, as before
admins existed.  Once it holds anyone, every operation that changes data
(or writes an export) first checks the session's admin: the one named with
:func:`use_admin` (``--admin NAME`` / ``$BACKROOM_ADMIN``), else the admin
named like the OS login (a team that logs in as separate OS users).  A
refusal is a :class:`PermissionDenied` naming the role needed, raised before
anything is written.  The check is made here, in the data layer, so the
TUI, the command line and any import obey it alike: each operation is
decorated with :func:`requires` and a permission of :data:`PERMISSIONS`.

The role is read from the database at each operation, so a change of role
or a removal takes effect at once, even for an admin already logged in.
"""

from __future__ import annotations

import base64
import binascii
import contextvars
import dataclasses
import datetime as dt
import functools
import getpass
import re
import shlex
from typing import Any, Callable, TypeVar

from .audit import audit, resolve_actor, set_actor
from .connection import db
from .errors import NotFoundError, PermissionDenied, ValidationError
from .tables import ADMIN_ROLES, Admin
from .text import inert_line
from .transactions import retried

F = TypeVar("F", bound=Callable[..., Any])

ROLES = ADMIN_ROLES
"""owner, manager, support, moderator: from the most to the least allowed."""

PERMISSIONS: dict[str, tuple[str, ...]] = {
    "admins": ("owner",),
    "groups": ("owner", "manager"),
    "rules": ("owner", "manager"),
    "bulk": ("owner", "manager"),
    "erase": ("owner", "manager"),
    "export": ("owner", "manager"),
    "import": ("owner", "manager"),
    "customers": ("owner", "manager", "support"),
    "reviews": ("owner", "moderator"),
}
"""Each kind of operation and the roles that may run it."""

WHAT = {
    "admins": "Adding, changing or removing admins and settings",
    "groups": "Changing customer groups and what they grant",
    "rules": "Changing or applying the rules of groups",
    "bulk": "A change to many customers at once",
    "erase": "Erasing a customer's personal data",
    "export": "Exporting data",
    "import": "Importing data",
    "customers": "Creating or editing customers",
    "reviews": "Moderating reviews",
}
"""What a refusal says the admin tried, per permission."""

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
"""An admin's name: it appears in an authorized_keys command and in every audit entry."""

KEY_TYPES = ("ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
             "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com")
KEY_MAX = 16_384

_named: str | None = None
_checking: contextvars.ContextVar[bool] = contextvars.ContextVar("backroom_admin_checked", default=False)


@dataclasses.dataclass(frozen=True)
class AdminRow:
    name: str
    role: str
    ssh_key: str | None
    added_at: dt.datetime
    added_by: str


def may(role: str | None, permission: str) -> bool:
    """Whether ``role`` may run operations of ``permission`` (None: no admins
    are configured, everything is allowed)."""
    return role is None or role in PERMISSIONS[permission]


def needed_roles(permission: str) -> str:
    roles = PERMISSIONS[permission]
    return roles[0] if len(roles) == 1 else ", ".join(roles[:-1]) + " or " + roles[-1]


def refusal(permission: str, name: str, role: str) -> str:
    """The one line that says why ``name`` (a ``role``) may not do it."""
    return f"{WHAT[permission]} needs the {needed_roles(permission)} role; {name}'s role is {role}."


def _admins_exist() -> bool:
    return Admin.select(Admin.id).limit(1).exists()


def _os_login() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name
        return ""


def session_admin() -> AdminRow | None:
    """The admin operations run as, or None when no admins are configured.
    Raises :class:`PermissionDenied` when admins exist but the session's is
    not one of them (removed since it was named, or never named)."""
    if _named:
        row = Admin.get_or_none(Admin.name == _named)
        if row is None:
            raise PermissionDenied(f"The admin {_named} was removed: nothing more can be done in this session.")
        return _row(row)
    if not _admins_exist():
        return None
    login = _os_login()
    row = Admin.get_or_none(Admin.name == login) if login and NAME_RE.match(login) else None
    if row is not None:
        return _row(row)
    raise PermissionDenied("This database has admins: name yours with --admin NAME (or $BACKROOM_ADMIN).")


def check_permission(permission: str) -> AdminRow | None:
    """Refuse (:class:`PermissionDenied`) unless the session's admin may run
    operations of ``permission``."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")
    admin = session_admin()
    if admin is not None and not may(admin.role, permission):
        raise PermissionDenied(refusal(permission, admin.name, admin.role))
    return admin


def requires(permission: str) -> Callable[[F], F]:
    """Decorate an operation: it checks ``permission`` before it runs.  An
    operation called by another one (already checked) is not checked again,
    so a permitted edit may use a helper operation of a wider kind."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            if _checking.get():
                return fn(*args, **kwargs)
            check_permission(permission)
            token = _checking.set(True)
            try:
                return fn(*args, **kwargs)
            finally:
                _checking.reset(token)

        run.permission = permission  # type: ignore[attr-defined]
        return run  # type: ignore[return-value]

    return wrap


def use_admin(name: str | None) -> AdminRow | None:
    """Name the session's admin (None: nobody named).  An unknown name is a
    :class:`PermissionDenied`; the audit log, the outbox and review history
    then record the admin's name."""
    global _named
    if name is None or not str(name).strip():
        _named = None
        set_actor(None)
        return None
    clean = check_name(name)
    row = Admin.get_or_none(Admin.name == clean)
    if row is None:
        raise PermissionDenied(f"No admin is named {clean}: unknown, or removed. Ask an owner "
                               "(backroom admins list).")
    _named = clean
    set_actor(clean)
    return _row(row)


def check_name(name: Any) -> str:
    if not isinstance(name, str):
        raise ValidationError({"name": "An admin's name must be given as text"})
    clean = name.strip()
    if not NAME_RE.match(clean):
        raise ValidationError({"name": f"{inert_line(clean)[:40]!r} is not a usable admin name: 1 to 32 "
                                       "letters, digits, '.', '_' or '-', starting with a letter or digit"})
    return clean


def check_role(role: Any) -> str:
    if not isinstance(role, str) or role.strip().lower() not in ROLES:
        shown = inert_line(str(role))[:20]
        raise ValidationError({"role": f"{shown!r} is not a role: choose {', '.join(ROLES)}"})
    return role.strip().lower()


def parse_ssh_key(text: Any) -> str:
    """A public key as ``type base64`` (its comment dropped), checked: a known
    type, valid base64 whose blob names that same type.  Anything else is a
    :class:`ValidationError`."""
    if not isinstance(text, str) or not text.strip():
        raise ValidationError({"key": "The key must be a public key such as 'ssh-ed25519 AAAA…'"})
    if len(text) > KEY_MAX or "\n" in text.strip() or "\r" in text:
        raise ValidationError({"key": "The key must be one line of at most 16 KiB"})
    parts = text.split()
    if len(parts) < 2 or parts[0] not in KEY_TYPES:
        raise ValidationError({"key": f"The key must start with its type, one of {', '.join(KEY_TYPES[:3])}, …; "
                                      "give the public key (the .pub file), not options or the private key"})
    kind, blob = parts[0], parts[1]
    try:
        raw = base64.b64decode(blob, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError({"key": "The key's data is not valid base64"}) from None
    n = int.from_bytes(raw[:4], "big") if len(raw) >= 4 else -1
    if n != len(kind) or raw[4:4 + n] != kind.encode():
        raise ValidationError({"key": f"The key's data is not a {kind} key"})
    return f"{kind} {blob}"


def authorized_keys_line(command: list[str], key: str, name: str) -> str:
    """An authorized_keys line that runs only ``command`` (the argv of
    ``backroom --db URL --admin NAME``) for ``key``: ``restrict`` takes away
    forwarding and the like, ``pty`` gives back the terminal the TUI needs."""
    clean_key = parse_ssh_key(key)
    shell = " ".join(shlex.quote(a) for a in command)
    quoted = shell.replace("\\", "\\\\").replace('"', '\\"')
    return f'command="{quoted}",restrict,pty {clean_key} backroom-admin:{check_name(name)}'


def _row(a: Admin) -> AdminRow:
    return AdminRow(name=a.name, role=a.role, ssh_key=a.ssh_key, added_at=a.added_at, added_by=a.added_by)


def list_admins() -> list[AdminRow]:
    """Every admin (a handful of rows), by role then name."""
    rows = Admin.select().order_by(Admin.name)
    return sorted((_row(a) for a in rows), key=lambda r: (ROLES.index(r.role) if r.role in ROLES else 99, r.name))


def _admin_snapshot(a: Admin) -> dict[str, Any]:
    return {"name": a.name, "role": a.role, "ssh_key": a.ssh_key}


def _owners_left(excluding: int) -> int:
    return Admin.select().where((Admin.role == "owner") & (Admin.id != excluding)).count()


@retried
def add_admin(name: Any, role: Any = None, *, ssh_key: Any = None, actor: str | None = None,
              before_commit: Callable[[AdminRow], None] | None = None) -> AdminRow:
    """Add an admin.  The first admin is the owner (``role`` None or "owner");
    later ones need an owner to add them, and a role.  ``before_commit`` runs
    inside the transaction (e.g. installing the key): if it raises, nothing
    is kept."""
    clean = check_name(name)
    key = parse_ssh_key(ssh_key) if ssh_key is not None and str(ssh_key).strip() else None
    with db.atomic():
        first = not _admins_exist()
        if first:
            if role is not None and check_role(role) != "owner":
                raise ValidationError({"role": f"The first admin is the owner: add {clean} as owner, "
                                               "then the others with their roles"})
            clean_role = "owner"
        else:
            check_permission("admins")
            if role is None:
                raise ValidationError({"role": f"Give {clean} a role: {', '.join(ROLES)}"})
            clean_role = check_role(role)
        if Admin.get_or_none(Admin.name == clean) is not None:
            raise ValidationError({"name": f"There is already an admin named {clean}"})
        if key is not None:
            other = Admin.get_or_none(Admin.ssh_key == key)
            if other is not None:
                raise ValidationError({"key": f"That key is already {other.name}'s: one key, one admin"})
        who = resolve_actor(actor)
        a = Admin.create(name=clean, role=clean_role, ssh_key=key, added_by=who)
        audit("admin.add", "admin", a.id, after=_admin_snapshot(a), actor=who)
        row = _row(a)
        if before_commit is not None:
            before_commit(row)
    return row


def _get(name: Any) -> Admin:
    clean = check_name(name)
    a = Admin.get_or_none(Admin.name == clean)
    if a is None:
        raise NotFoundError(f"No admin is named {clean}")
    return a


@requires("admins")
@retried
def set_admin_role(name: Any, role: Any, *, actor: str | None = None) -> AdminRow:
    """Change an admin's role; the last owner stays an owner."""
    clean_role = check_role(role)
    with db.atomic():
        a = _get(name)
        if a.role == "owner" and clean_role != "owner" and not _owners_left(a.id):
            raise ValidationError({"role": f"{a.name} is the last owner: make another admin owner first"})
        before = _admin_snapshot(a)
        a.role = clean_role
        a.save()
        audit("admin.role", "admin", a.id, before=before, after=_admin_snapshot(a), actor=actor)
    return _row(a)


@requires("admins")
@retried
def remove_admin(name: Any, *, actor: str | None = None) -> None:
    """Remove an admin: their key no longer opens Backroom.  The last owner
    can be removed only when nobody else is left (Backroom is then one local
    user's again)."""
    with db.atomic():
        a = _get(name)
        if a.role == "owner" and not _owners_left(a.id) and Admin.select().where(Admin.id != a.id).exists():
            raise ValidationError({"name": f"{a.name} is the last owner: make another admin owner first"})
        audit("admin.remove", "admin", a.id, before=_admin_snapshot(a), actor=actor)
        a.delete_instance()


def key_fingerprint(key: str | None) -> str:
    """A key's SHA256 fingerprint as ``ssh-keygen -l`` shows it ("" for no key)."""
    if not key:
        return ""
    import hashlib

    blob = base64.b64decode(key.split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
