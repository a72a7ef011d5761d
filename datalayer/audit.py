"""The audit log: who did what, to which record, with what before and after."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
from decimal import Decimal
from typing import Any

from .errors import ValidationError
from .tables import AuditEntry
from .text import inert_line

_actor: str | None = None

ACTOR_MAX = 64
"""The longest name an audit entry (and a membership's "added by") keeps."""


def current_actor() -> str:
    if _actor:
        return _actor
    try:
        # From $LOGNAME or $USER first: printable and cut to fit, whatever they hold.
        return inert_line(getpass.getuser())[:ACTOR_MAX] or f"uid:{os.getuid()}"
    except Exception:  # no login name (a container with an odd uid)
        return f"uid:{os.getuid()}"


def resolve_actor(actor: str | None) -> str:
    """Who an operation is recorded as: ``actor`` if given, else the current
    actor; printable, and at most :data:`ACTOR_MAX` characters."""
    if actor is not None and not isinstance(actor, str):
        raise ValidationError({"actor": "Who did it must be given as text"})
    name = actor.strip() if actor else ""
    return inert_line(name)[:ACTOR_MAX] if name else current_actor()


def set_actor(name: str | None) -> None:
    """Who later operations are recorded as (default: the logged-in OS user)."""
    global _actor
    if name is not None and not isinstance(name, str):
        raise ValidationError({"actor": "Who did it must be given as text"})
    _actor = inert_line(name.strip())[:ACTOR_MAX] if name and name.strip() else None


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    return value


def audit(action: str, entity: str, entity_id: Any = None, *, before: Any = None,
          after: Any = None, actor: str | None = None) -> AuditEntry:
    return AuditEntry.create(
        actor=resolve_actor(actor), action=action, entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        before=None if before is None else json.dumps(_jsonable(before), sort_keys=True),
        after=None if after is None else json.dumps(_jsonable(after), sort_keys=True),
    )
