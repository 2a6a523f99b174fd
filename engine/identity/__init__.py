"""Identity area: global user accounts and refresh-token sessions (pure).

Accounts are global (one account may belong to several organizations), so the
area lives in one dedicated stream, ``IDENTITY_STREAM``, run by the same actor
machinery and ``OrgState`` as an organization's stream. A login starts a
family of rotating refresh tokens; presenting a rotated-away token is reported
as reuse. ``LoginThrottle`` is the web layer's back-off policy for failed
logins. Import from this package, not its modules.
"""

from engine.identity.commands import (
    IDENTITY_COMMAND_TYPES,
    IdentityCommand,
    RegisterAccount,
    RevokeAccountSessions,
    RevokeSessionFamily,
    RotateSession,
    SetPassword,
    StartSession,
    UpdateProfile,
    normalize_email,
)
from engine.identity.decider import decide, evolve, initial_state
from engine.identity.events import (
    IDENTITY_EVENT_TYPES,
    AccountRegistered,
    IdentityEvent,
    PasswordSet,
    ProfileUpdated,
    SessionFamilyRevoked,
    SessionRotated,
    SessionStarted,
)
from engine.identity.state import (
    IDENTITY_STREAM,
    PRUNE_AFTER,
    Account,
    IdentityState,
    SessionFamily,
    account_by_email,
    family_of_token,
)
from engine.identity.throttle import LoginThrottle

__all__ = [
    "IDENTITY_COMMAND_TYPES",
    "IDENTITY_EVENT_TYPES",
    "IDENTITY_STREAM",
    "PRUNE_AFTER",
    "Account",
    "AccountRegistered",
    "IdentityCommand",
    "IdentityEvent",
    "IdentityState",
    "LoginThrottle",
    "PasswordSet",
    "ProfileUpdated",
    "RegisterAccount",
    "RevokeAccountSessions",
    "RevokeSessionFamily",
    "RotateSession",
    "SessionFamily",
    "SessionFamilyRevoked",
    "SessionRotated",
    "SessionStarted",
    "SetPassword",
    "StartSession",
    "UpdateProfile",
    "account_by_email",
    "decide",
    "evolve",
    "family_of_token",
    "initial_state",
    "normalize_email",
]
