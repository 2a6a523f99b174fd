"""The directory: which organization an API key belongs to, across processes.

A projection of the access events of every organization, kept by tailing the
global log (``read_all``). That is the mechanism that lets ``pulsar org
create`` in another process add an organization that a running server
accepts within a second, and the one several processes will share.

It also knows every account's memberships (account -> organization -> role),
so sign-in can list a user's organizations without opening their actors, and
every pending invitation's token hash. A deleted organization is forgotten:
its keys, integrations, memberships and invitations no longer open anything.
"""

from __future__ import annotations

from datetime import datetime
from typing import final

import msgspec
import structlog
import trio

from engine.access import (
    ApiKeyCreated,
    ApiKeyRevoked,
    InvitationAccepted,
    InvitationCreated,
    InvitationRevoked,
    MemberAdded,
    MemberRemoved,
    MemberRoleChanged,
    OrganizationCreated,
    OrganizationDeleted,
)
from engine.integrations import IntegrationCreated, IntegrationDeleted
from engine.org import decode_event
from eventstore import EventStore, EventStoreError

__all__ = ["Directory", "IntegrationKey", "KeyEntry"]

log = structlog.get_logger("pulsar.directory")
_TYPES = frozenset(
    {
        "OrganizationCreated",
        "OrganizationDeleted",
        "ApiKeyCreated",
        "ApiKeyRevoked",
        "IntegrationCreated",
        "IntegrationDeleted",
        "MemberAdded",
        "MemberRoleChanged",
        "MemberRemoved",
        "InvitationCreated",
        "InvitationAccepted",
        "InvitationRevoked",
    }
)


@final
class KeyEntry(msgspec.Struct, frozen=True, kw_only=True):
    org_id: str
    key_id: str
    name: str
    rights: tuple[str, ...]
    prefix: str = ""  # the secret's visible first characters
    team_id: str | None = None  # a team-scoped key's team


@final
class IntegrationKey(msgspec.Struct, frozen=True, kw_only=True):
    """What an integration's ingestion key opens: its organization and integration."""

    org_id: str
    integration_id: str
    kind: str


@final
class Directory:
    """API-key hash -> organization, organization names, memberships and invitations."""

    def __init__(self) -> None:
        self.position = 0
        self.orgs: dict[str, str] = {}
        self._keys: dict[str, KeyEntry] = {}
        self._last_used: dict[str, datetime] = {}
        self._hash_of: dict[tuple[str, str], str] = {}
        self._integrations: dict[str, IntegrationKey] = {}
        self._roles: dict[str, dict[str, str]] = {}  # account -> org -> role
        self._members_of: dict[str, set[str]] = {}  # org -> accounts
        self._invitations: dict[str, tuple[str, str]] = {}  # token hash -> (org, invitation)
        self._invitation_hash: dict[tuple[str, str], str] = {}
        self._caught_up = trio.Event()
        # One catch-up at a time: the follower and a request that just committed a key
        # change (web.api.api_keys) both catch up. Unserialised, a slower read of an
        # older range could land after a newer one and briefly re-apply an
        # ``ApiKeyCreated`` over its ``ApiKeyRevoked`` (and move ``position`` back).
        self._catching_up = trio.Lock()

    def lookup(self, key_hash: str) -> KeyEntry | None:
        return self._keys.get(key_hash)

    def touch(self, key_hash: str, now: datetime) -> None:
        """Note that the key hashing to ``key_hash`` was just used (kept in memory only:
        one event per request would double the log's write rate for a timestamp)."""
        entry = self._keys.get(key_hash)
        if entry is not None:
            self._last_used[entry.key_id] = now

    def last_used(self, key_id: str) -> datetime | None:
        """When this process last authenticated a request with the key, if it did."""
        return self._last_used.get(key_id)

    def lookup_integration(self, key_hash: str) -> IntegrationKey | None:
        """The integration whose ingestion key hashes to ``key_hash``, if any."""
        return self._integrations.get(key_hash)

    def learn_integration(self, org_id: str, integration_id: str, kind: str, key_hash: str) -> None:
        """Know an integration this process just committed, before the tail reaches it.

        Idempotent: the tail applies the same ``IntegrationCreated`` again later.
        """
        self._integrations[key_hash] = IntegrationKey(
            org_id=org_id, integration_id=integration_id, kind=kind
        )

    def role_of(self, account_id: str, org_id: str) -> str | None:
        """The role of ``account_id`` in ``org_id``, or ``None`` if not a member."""
        return self._roles.get(account_id, {}).get(org_id)

    def orgs_of(self, account_id: str) -> dict[str, str]:
        """Organization id -> role of every organization ``account_id`` is a member of."""
        return dict(self._roles.get(account_id, {}))

    def lookup_invitation(self, token_hash: str) -> tuple[str, str] | None:
        """``(org_id, invitation_id)`` of the pending invitation whose token hashes so."""
        return self._invitations.get(token_hash)

    def learn_member(self, org_id: str, account_id: str, role: str) -> None:
        """Know a membership this process just committed, before the tail reaches it.

        Idempotent: the tail applies the same events again later.
        """
        self._roles.setdefault(account_id, {})[org_id] = role
        self._members_of.setdefault(org_id, set()).add(account_id)

    async def catch_up(self, store: EventStore, *, batch: int = 10_000) -> int:
        """Apply every access event after ``position``; returns how many were applied.

        Catch-ups are serialised (a second caller waits for the first), so a caller
        that just committed an access event sees it applied when this returns.
        """
        async with self._catching_up:
            total = 0
            while True:
                envelopes, self.position = await store.read_all_of_types(
                    _TYPES, after_position=self.position, limit=batch
                )
                for envelope in envelopes:
                    self._apply(envelope.org_id, decode_event(envelope))
                total += len(envelopes)
                if len(envelopes) < batch:
                    return total

    async def follow(self, store: EventStore, *, interval: float = 0.25) -> None:
        """Tail the log forever, every ``interval`` seconds."""
        while True:
            try:
                await self.catch_up(store)
                self._caught_up.set()
            except EventStoreError as error:
                log.warning("directory_follow_failed", error=repr(error))
            await trio.sleep(interval)

    async def wait_caught_up(self) -> None:
        await self._caught_up.wait()

    def _apply(self, org_id: str, event: object) -> None:
        match event:
            case OrganizationCreated():
                self.orgs[org_id] = event.name
                if event.owner_account_id is not None:
                    self.learn_member(org_id, event.owner_account_id, "owner")
            case OrganizationDeleted():
                self._forget_org(org_id)
            case ApiKeyCreated():
                self._keys[event.key_hash] = KeyEntry(
                    org_id=org_id,
                    key_id=event.key_id,
                    name=event.name,
                    rights=event.rights,
                    prefix=event.prefix,
                    team_id=event.team_id,
                )
                self._hash_of[(org_id, event.key_id)] = event.key_hash
            case ApiKeyRevoked():
                key_hash = self._hash_of.pop((org_id, event.key_id), None)
                if key_hash is not None:
                    self._keys.pop(key_hash, None)
            case IntegrationCreated():
                self._integrations[event.key_hash] = IntegrationKey(
                    org_id=org_id, integration_id=event.integration_id, kind=event.kind
                )
            case IntegrationDeleted():
                self._integrations.pop(event.key_hash, None)
            case _:
                self._apply_membership(org_id, event)

    def _apply_membership(self, org_id: str, event: object) -> None:
        match event:
            case MemberAdded() | MemberRoleChanged():
                self.learn_member(org_id, event.account_id, event.role)
            case MemberRemoved():
                self._forget_member(org_id, event.account_id)
            case InvitationCreated():
                self._invitations[event.token_hash] = (org_id, event.invitation_id)
                self._invitation_hash[(org_id, event.invitation_id)] = event.token_hash
            case InvitationAccepted() | InvitationRevoked():
                token_hash = self._invitation_hash.pop((org_id, event.invitation_id), None)
                if token_hash is not None:
                    self._invitations.pop(token_hash, None)

    def _forget_member(self, org_id: str, account_id: str) -> None:
        roles = self._roles.get(account_id, {})
        roles.pop(org_id, None)
        if not roles:
            self._roles.pop(account_id, None)
        self._members_of.get(org_id, set()).discard(account_id)

    def _forget_org(self, org_id: str) -> None:
        """Drop everything of a deleted organization: nothing of it opens anything."""
        self.orgs.pop(org_id, None)
        for org_key in [k for k in self._hash_of if k[0] == org_id]:
            self._keys.pop(self._hash_of.pop(org_key), None)
        for key_hash in [h for h, i in self._integrations.items() if i.org_id == org_id]:
            del self._integrations[key_hash]
        for account_id in self._members_of.pop(org_id, set()):
            self._forget_member(org_id, account_id)
        for org_invitation in [k for k in self._invitation_hash if k[0] == org_id]:
            self._invitations.pop(self._invitation_hash.pop(org_invitation), None)
