"""What the session's admin may do, on screen: an action their role does not
allow is not offered (hidden from the footer, the palette and the keys
list), and its key, pressed anyway, says which role it needs instead.

The data layer enforces the roles (``datalayer/admins.py``); this only
spares the admin keys that would be refused.  A screen lists its guarded
actions in ``ROLE_ACTIONS`` (action name → permission) and puts
:class:`RoleGated` first among its bases.
"""

from __future__ import annotations

from typing import ClassVar

from backroom import models


class RoleGated:
    ROLE_ACTIONS: ClassVar[dict[str, str]] = {}

    def role_refusal(self, action: str) -> str | None:
        """Why the session's admin may not run ``action`` here, or None if they may."""
        permission = self.ROLE_ACTIONS.get(action)
        admin = getattr(self.app, "admin", None)  # type: ignore[attr-defined]
        if permission is None or admin is None or models.may(admin.role, permission):
            return None
        return models.refusal(permission, admin.name, admin.role)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.role_refusal(action) is not None:
            return False
        return super().check_action(action, parameters)  # type: ignore[misc]
