"""The directory: which organization an API key belongs to, across processes.

A projection of the access events of every organization, kept by tailing the
global log (``read_all``). That is the mechanism that lets ``pulsar org
create`` in another process add an organization that a running server
accepts within a second, and the one several processes will share.
"""

from __future__ import annotations

from typing import final

import msgspec
import structlog
import trio

from engine.access import ApiKeyCreated, ApiKeyRevoked, OrganizationCreated
from engine.integrations import IntegrationCreated, IntegrationDeleted
from engine.org import decode_event
from eventstore import EventStore, EventStoreError

__all__ = ["Directory", "IntegrationKey", "KeyEntry"]

log = structlog.get_logger("pulsar.directory")
_TYPES = frozenset(
    {
        "OrganizationCreated",
        "ApiKeyCreated",
        "ApiKeyRevoked",
        "IntegrationCreated",
        "IntegrationDeleted",
    }
)


@final
class KeyEntry(msgspec.Struct, frozen=True, kw_only=True):
    org_id: str
    key_id: str
    name: str
    rights: tuple[str, ...]


@final
class IntegrationKey(msgspec.Struct, frozen=True, kw_only=True):
    """What an integration's ingestion key opens: its organization and integration."""

    org_id: str
    integration_id: str
    kind: str


@final
class Directory:
    """API-key hash -> organization, and organization names, from the log."""

    def __init__(self) -> None:
        self.position = 0
        self.orgs: dict[str, str] = {}
        self._keys: dict[str, KeyEntry] = {}
        self._hash_of: dict[tuple[str, str], str] = {}
        self._integrations: dict[str, IntegrationKey] = {}
        self._caught_up = trio.Event()

    def lookup(self, key_hash: str) -> KeyEntry | None:
        return self._keys.get(key_hash)

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

    async def catch_up(self, store: EventStore, *, batch: int = 10_000) -> int:
        """Apply every access event after ``position``; returns how many were applied."""
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
            case ApiKeyCreated():
                self._keys[event.key_hash] = KeyEntry(
                    org_id=org_id, key_id=event.key_id, name=event.name, rights=event.rights
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
