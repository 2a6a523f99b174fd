"""decide/evolve for the identity area: accounts and refresh-token families.

Refresh tokens rotate: every refresh replaces the family's current token, and
presenting a token of a live family that was already rotated away is reported
as ``refresh_token_reused`` (theft detection: the web layer then revokes the
whole family). An unknown, expired or revoked token is
``invalid_refresh_token``. A family is live until it is revoked or until
``expires_at`` (exclusive: at ``expires_at`` it has expired).

Pruning keeps memory bounded without a timer. ``IdentityState.expiries`` is a
min-heap of ``(expires_at, family_id)`` with lazy deletion: a rotation that
changes a family's expiry pushes a new entry, and an entry whose time no longer
matches its family (moved, or the family is gone) is skipped when it surfaces.
Before a ``SessionStarted`` or ``SessionRotated`` is applied, evolve pops every
entry older than ``at - PRUNE_AFTER`` and drops those families with their
token hashes; a rotation also drops the family's oldest hashes whose own
expiry is that old. Each entry is pushed and popped once: amortized
O(log n) per session event, and what is kept is what was started or rotated
within the last token lifetime plus a day.

``evolve`` mutates the state in place and returns it, like every area; it
ignores events that do not fit the state (which ``decide`` never emits), so it
never raises.
"""

from __future__ import annotations

import heapq
from datetime import datetime

from engine.errors import Conflict, NotFound, Rejected
from engine.identity.commands import (
    IdentityCommand,
    RegisterAccount,
    RevokeAccountSessions,
    RevokeSessionFamily,
    RotateSession,
    SetPassword,
    StartSession,
    UpdateProfile,
    check_aware_future,
    check_email,
    check_locale,
    check_name,
    check_password_hash,
    check_reason,
)
from engine.identity.events import (
    AccountRegistered,
    IdentityEvent,
    PasswordSet,
    ProfileUpdated,
    SessionFamilyRevoked,
    SessionRotated,
    SessionStarted,
)
from engine.identity.state import (
    PRUNE_AFTER,
    Account,
    IdentityState,
    SessionFamily,
    family_of_token,
)
from engine.schedules import check_timezone

__all__ = ["decide", "evolve", "initial_state"]


def initial_state() -> IdentityState:
    return IdentityState()


def decide(state: IdentityState, command: IdentityCommand, now: datetime) -> list[IdentityEvent]:
    """The events ``command`` produces at ``now``.

    Raises:
        Rejected: ``invalid_field`` (with ``field``), ``account_exists``,
            ``session_exists``, ``token_hash_taken``, ``invalid_refresh_token``,
            ``refresh_token_reused``; ``NotFound`` ``account_not_found``.
        Conflict: ``email_taken`` when another account has the email.
    """
    match command:
        case RegisterAccount():
            return _register(state, command, now)
        case SetPassword():
            account = _account(state, command.account_id)
            password_hash = check_password_hash(command.password_hash)
            if password_hash == account.password_hash:
                return []
            return [PasswordSet(account_id=account.id, password_hash=password_hash, at=now)]
        case UpdateProfile():
            return _update_profile(state, command, now)
        case StartSession():
            return _start(state, command, now)
        case RotateSession():
            return _rotate(state, command, now)
        case RevokeSessionFamily():
            reason = check_reason(command.reason)
            family = state.families.get(command.family_id)
            if family is None or not family.is_live(now):
                return []  # unknown, pruned, expired or revoked: it cannot be used anyway
            return [_revoked(family, reason, now)]
        case RevokeAccountSessions():
            reason = check_reason(command.reason)
            account = _account(state, command.account_id)
            families = (state.families[i] for i in state.families_of_account.get(account.id, []))
            return [_revoked(family, reason, now) for family in families if family.is_live(now)]


def _account(state: IdentityState, account_id: str) -> Account:
    account = state.accounts.get(account_id)
    if account is None:
        raise NotFound("account_not_found", "no such account", field="account_id")
    return account


def _register(state: IdentityState, command: RegisterAccount, now: datetime) -> list[IdentityEvent]:
    email = check_email(command.email)
    name = check_name(command.name)
    password_hash = command.password_hash
    if password_hash is not None:
        check_password_hash(password_hash)
    if command.account_id in state.accounts:
        raise Rejected("account_exists", "an account with this id exists", field="account_id")
    if email in state.by_email:
        raise Conflict("email_taken", "an account with this email exists", field="email")
    return [
        AccountRegistered(
            account_id=command.account_id,
            email=email,
            name=name,
            password_hash=password_hash,
            at=now,
        )
    ]


def _update_profile(
    state: IdentityState, command: UpdateProfile, now: datetime
) -> list[IdentityEvent]:
    account = _account(state, command.account_id)
    name = account.name if command.name is None else check_name(command.name)
    timezone = account.timezone if command.timezone is None else check_timezone(command.timezone)
    locale = account.locale if command.locale is None else check_locale(command.locale)
    if (name, timezone, locale) == (account.name, account.timezone, account.locale):
        return []
    return [
        ProfileUpdated(account_id=account.id, name=name, timezone=timezone, locale=locale, at=now)
    ]


def _check_new_hash(state: IdentityState, token_hash: str, field: str) -> None:
    if not token_hash:
        raise Rejected("invalid_field", f"{field} is required", field=field)
    if token_hash in state.family_by_token:
        raise Rejected("token_hash_taken", "this token hash was already issued", field=field)


def _start(state: IdentityState, command: StartSession, now: datetime) -> list[IdentityEvent]:
    account = _account(state, command.account_id)
    if command.family_id in state.families:
        raise Rejected("session_exists", "a session with this id exists", field="family_id")
    _check_new_hash(state, command.token_hash, "token_hash")
    expires_at = check_aware_future("expires_at", command.expires_at, now)
    return [
        SessionStarted(
            family_id=command.family_id,
            account_id=account.id,
            token_hash=command.token_hash,
            org_id=command.org_id,
            expires_at=expires_at,
            at=now,
        )
    ]


def _rotate(state: IdentityState, command: RotateSession, now: datetime) -> list[IdentityEvent]:
    family = family_of_token(state, command.token_hash)
    if family is None or not family.is_live(now):
        raise Rejected("invalid_refresh_token", "the refresh token is unknown, expired or revoked")
    if command.token_hash != family.current_hash:
        raise Rejected("refresh_token_reused", "the refresh token was already used")
    _check_new_hash(state, command.new_token_hash, "new_token_hash")
    expires_at = check_aware_future("expires_at", command.expires_at, now)
    return [
        SessionRotated(
            family_id=family.id,
            token_hash=command.new_token_hash,
            org_id=family.org_id if command.org_id is None else command.org_id,
            expires_at=expires_at,
            at=now,
        )
    ]


def _revoked(family: SessionFamily, reason: str, now: datetime) -> SessionFamilyRevoked:
    return SessionFamilyRevoked(
        family_id=family.id, account_id=family.account_id, reason=reason, at=now
    )


def evolve(state: IdentityState, event: IdentityEvent) -> IdentityState:
    """Apply one committed event; total, never raises."""
    match event:
        case AccountRegistered():
            if event.account_id not in state.accounts and event.email not in state.by_email:
                state.accounts[event.account_id] = Account(
                    id=event.account_id,
                    email=event.email,
                    name=event.name,
                    password_hash=event.password_hash,
                    created_at=event.at,
                )
                state.by_email[event.email] = event.account_id
        case PasswordSet():
            if (account := state.accounts.get(event.account_id)) is not None:
                account.password_hash = event.password_hash
        case ProfileUpdated():
            if (account := state.accounts.get(event.account_id)) is not None:
                account.name, account.timezone, account.locale = (
                    event.name,
                    event.timezone,
                    event.locale,
                )
        case SessionStarted():
            _prune(state, event.at)
            _add_family(state, event)
        case SessionRotated():
            _prune(state, event.at)
            if (family := state.families.get(event.family_id)) is not None:
                _rotate_family(state, family, event)
        case SessionFamilyRevoked():
            family = state.families.get(event.family_id)
            if family is not None and family.revoked_at is None:
                family.revoked_at, family.reason = event.at, event.reason
    return state


def _add_family(state: IdentityState, event: SessionStarted) -> None:
    if event.family_id in state.families or event.token_hash in state.family_by_token:
        return
    family = SessionFamily(
        id=event.family_id,
        account_id=event.account_id,
        org_id=event.org_id,
        current_hash=event.token_hash,
        started_at=event.at,
        expires_at=event.expires_at,
        issued={event.token_hash: event.expires_at},
    )
    state.families[family.id] = family
    state.families_of_account.setdefault(family.account_id, []).append(family.id)
    state.family_by_token[event.token_hash] = family.id
    heapq.heappush(state.expiries, (family.expires_at, family.id))


def _rotate_family(state: IdentityState, family: SessionFamily, event: SessionRotated) -> None:
    if event.token_hash in state.family_by_token:
        return
    family.current_hash, family.org_id = event.token_hash, event.org_id
    family.issued[event.token_hash] = event.expires_at
    state.family_by_token[event.token_hash] = family.id
    if event.expires_at != family.expires_at:
        family.expires_at = event.expires_at
        heapq.heappush(state.expiries, (family.expires_at, family.id))
    _prune_issued(state, family, event.at)


def _prune(state: IdentityState, now: datetime) -> None:
    """Drop the families that expired more than ``PRUNE_AFTER`` before ``now``."""
    horizon = now - PRUNE_AFTER
    heap = state.expiries
    while heap and heap[0][0] < horizon:
        expires_at, family_id = heapq.heappop(heap)
        family = state.families.get(family_id)
        if family is not None and family.expires_at == expires_at:
            _drop_family(state, family)


def _drop_family(state: IdentityState, family: SessionFamily) -> None:
    del state.families[family.id]
    for token_hash in family.issued:
        del state.family_by_token[token_hash]
    siblings = state.families_of_account[family.account_id]
    siblings.remove(family.id)
    if not siblings:
        del state.families_of_account[family.account_id]


def _prune_issued(state: IdentityState, family: SessionFamily, now: datetime) -> None:
    """Drop the family's oldest hashes whose issue-time expiry is ``PRUNE_AFTER`` past.

    Only from the front (oldest first) and never the current hash: amortized
    O(1) per rotation; an out-of-order expiry only delays the hashes behind it.
    """
    horizon = now - PRUNE_AFTER
    issued = family.issued
    while len(issued) > 1:
        oldest = next(iter(issued))
        if issued[oldest] >= horizon:
            break
        del issued[oldest]
        del state.family_by_token[oldest]
