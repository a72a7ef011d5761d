"""The audit log: who did what, to which record, with what before and after."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
from decimal import Decimal
from typing import Any

from .tables import AuditEntry

_actor: str | None = None


def current_actor() -> str:
    if _actor:
        return _actor
    try:
        return getpass.getuser()
    except Exception:  # no login name (a container with an odd uid)
        return f"uid:{os.getuid()}"


def set_actor(name: str | None) -> None:
    """Who later operations are recorded as (default: the logged-in OS user)."""
    global _actor
    _actor = name


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
        actor=actor or current_actor(), action=action, entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        before=None if before is None else json.dumps(_jsonable(before), sort_keys=True),
        after=None if after is None else json.dumps(_jsonable(after), sort_keys=True),
    )
