"""Customer groups, one screen a module: the list (``list``), the Add/Edit
form (``form``) and the View screen (``view``), the tax classes (``taxes``); ``actions`` holds what the
list and the View screen both offer on a group (Edit, Delete, Access, Rules).

``read_form`` is not re-exported here: the form looks it up in ``form``, so
that is where a test holds it back (``backroom.screens.groups.form.read_form``);
patching a copy here would silently change nothing."""

from __future__ import annotations

import importlib
from typing import Any

# What each name is imported from, on first use (PEP 562): starting Backroom
# imports the Groups list alone (``list``), not the form, the View screen
# and what those open (the customer screens, the grants editors).
_WHERE = {
    "FormData": "form", "GroupActions": "actions", "GroupFormScreen": "form", "GroupViewScreen": "view",
    "GroupsScreen": "list", "TaxClassDialog": "taxes", "TaxClassesScreen": "taxes", "delete_question": "actions",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value
    return value
