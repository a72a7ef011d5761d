"""The errors every operation raises: one family, so a caller catches BackroomError."""

from __future__ import annotations


class BackroomError(Exception):
    """An error with a message meant for the admin."""


class ValidationError(BackroomError):
    """Input that cannot be saved.  ``errors`` maps a field name to a message."""

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


class NotFoundError(BackroomError):
    pass


class LockedError(BackroomError):
    """The record is a system record that nobody may change."""


class ConflictError(BackroomError):
    """Someone else changed the record since it was read."""


class SchemaError(BackroomError):
    """The database's schema cannot be used by this version of Backroom."""


class DateParseError(BackroomError, ValueError):
    pass


class PermissionDenied(BackroomError):
    """The session's admin may not do this: the message names the role it needs."""
