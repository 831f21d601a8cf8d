"""The one error type for a user's mistake (bad option, missing file, busy lock).

Domain code raises it instead of printing and exiting, so it stays usable from the dashboard, the service
and tests; the command layer (``monitor.commands``) turns it into one ``错误：…`` line and the exit code.
"""
from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix: ``message`` is the Chinese text shown after ``错误：``."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return self.message
