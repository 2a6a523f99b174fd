"""Engine errors: few, precise, with stable machine codes.

    PulsarError                 base; ``code`` is stable and machine-readable
    ├── Rejected                a command is invalid in the current state or malformed
    │   └── NotFound            the target (alert, org, key) does not exist for this org
    ├── Conflict                the command conflicts with earlier accepted input
    │                           (e.g. an Idempotency-Key reused with another request)
    ├── Overloaded              the org's mailbox is full; retry later
    └── Unavailable             the batch could not be committed (database down, actor
                                crashed); nothing of it was applied; retry later

``web/errors.py`` is the only place that maps these to HTTP statuses.
"""

from __future__ import annotations

__all__ = ["Conflict", "NotFound", "Overloaded", "PulsarError", "Rejected", "Unavailable"]


class PulsarError(Exception):
    """Base class of engine errors."""

    code: str = "error"

    def __init__(self, code: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class Rejected(PulsarError):
    """The command was refused; nothing was written."""


class NotFound(Rejected):
    """The command's target does not exist in this organization."""


class Conflict(PulsarError):
    """The command conflicts with input accepted earlier."""


class Overloaded(PulsarError):
    """The organization's mailbox is full."""


class Unavailable(PulsarError):
    """The command's batch was not committed; it is safe to retry."""
