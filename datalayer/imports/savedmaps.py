"""Column mappings (``--map 'source column=field,…'``) saved by name for the
next import of the same kind of file: ``--save-map NAME``, ``--map-name
NAME``, ``backroom import maps``.

A saved map is a shop setting: rows of SchemaMeta keyed
``import_map.<what>.<name>.<part>``, the map's text cut into parts to fit
the setting's 255 characters (a map naming many long columns takes several).
It is checked (:func:`parse_map`) before it is saved, so a saved map is
always one the import takes."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from ..admins import requires
from ..audit import audit, resolve_actor
from ..connection import db
from ..errors import NotFoundError, ValidationError
from ..parsing import has_control_chars, quoted, typed_text
from ..tables import SchemaMeta
from ..transactions import retried
from .formats import CUSTOMER_IMPORT_FIELDS, parse_map
from .reviews import REVIEW_IMPORT_FIELDS

MAP_KINDS = {"customers": CUSTOMER_IMPORT_FIELDS, "reviews": REVIEW_IMPORT_FIELDS}
MAP_NAME_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
_PART = 250
_PARTS_MAX = 16
MAP_TEXT_MAX = _PART * _PARTS_MAX
_PREFIX = "import_map."


@dataclasses.dataclass(frozen=True)
class SavedMap:
    kind: str
    name: str
    text: str


def _kind(kind: Any) -> str:
    if kind not in MAP_KINDS:
        raise ValidationError({"kind": f"Maps are for importing {' or '.join(MAP_KINDS)}"})
    return kind


def _name(raw: Any) -> str:
    name = typed_text(raw, "name").strip().lower()
    if not MAP_NAME_RE.fullmatch(name):
        raise ValidationError({"name": f"{quoted(name)} cannot name a map: up to 32 letters a-z, digits, - and _"})
    return name


def _key(kind: str, name: str) -> str:
    return f"{_PREFIX}{kind}.{name}."


def _parts(kind: str, name: str) -> list[SchemaMeta]:
    prefix = _key(kind, name)
    rows = list(SchemaMeta.select().where(SchemaMeta.key.startswith(prefix)))
    # (LIKE's "_" matches any character: the prefix is checked here too.)
    mine = [r for r in rows if r.key.startswith(prefix) and r.key[len(prefix):].isdigit()]
    return sorted(mine, key=lambda r: int(r.key[len(prefix):]))


def saved_map(kind: Any, name: Any) -> str:
    """The text of the map saved as ``name`` for importing ``kind``."""
    kind, name = _kind(kind), _name(name)
    parts = _parts(kind, name)
    if not parts:
        raise NotFoundError(f"No map named {quoted(name)} for importing {kind}: `backroom import maps` lists them")
    return "".join(p.value for p in parts)


def list_saved_maps() -> list[SavedMap]:
    """Every saved map, by kind and name."""
    found: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for row in SchemaMeta.select().where(SchemaMeta.key.startswith(_PREFIX)).order_by(SchemaMeta.key):
        if not row.key.startswith(_PREFIX):
            continue
        kind, _, rest = row.key[len(_PREFIX):].partition(".")
        name, _, part = rest.rpartition(".")
        if kind in MAP_KINDS and part.isdigit():
            found.setdefault((kind, name), []).append((int(part), row.value))
    return [SavedMap(kind, name, "".join(v for _, v in sorted(parts))) for (kind, name), parts in sorted(found.items())]


@requires("import")
@retried
def save_map(kind: Any, name: Any, text: Any, *, actor: str | None = None) -> SavedMap:
    """Save the map ``text`` as ``name`` for importing ``kind`` (replacing
    the one saved under that name).  The map is checked first."""
    actor = resolve_actor(actor)
    kind, name = _kind(kind), _name(name)
    text = typed_text(text, "map").strip()
    if has_control_chars(text):
        raise ValidationError({"map": "A map holds no control characters"})
    if not parse_map(text, MAP_KINDS[kind]):
        raise ValidationError({"map": "An empty map: give --map 'column=field,…'"})
    if len(text) > MAP_TEXT_MAX:
        raise ValidationError({"map": f"A saved map is at most {MAP_TEXT_MAX:,} characters"})
    with db.atomic():
        old = _parts(kind, name)
        before = "".join(p.value for p in old)
        if before != text:
            if old:
                SchemaMeta.delete().where(SchemaMeta.key.in_([p.key for p in old])).execute()
            SchemaMeta.insert_many([{"key": f"{_key(kind, name)}{i}", "value": text[at:at + _PART]}
                                    for i, at in enumerate(range(0, len(text), _PART))]).execute()
            audit("import_map.save", "import_map", f"{kind}.{name}", before={"map": before} if old else None,
                  after={"map": text}, actor=actor)
    return SavedMap(kind, name, text)


@requires("import")
@retried
def delete_saved_map(kind: Any, name: Any, *, actor: str | None = None) -> None:
    actor = resolve_actor(actor)
    with db.atomic():
        text = saved_map(kind, name)
        kind, name = _kind(kind), _name(name)
        SchemaMeta.delete().where(SchemaMeta.key.in_([p.key for p in _parts(kind, name)])).execute()
        audit("import_map.delete", "import_map", f"{kind}.{name}", before={"map": text}, actor=actor)
