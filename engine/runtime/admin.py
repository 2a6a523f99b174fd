"""Administrative operations that run outside an actor: org creation, replay checks."""

from __future__ import annotations

from typing import final

import msgspec

from engine.access import CreateOrganization
from engine.clock import Clock
from engine.context import CommandContext, EventMeta
from engine.ids import hash_api_key, new_api_key, new_id
from engine.org import decode_events, encode_event, encode_state, execute, fold, initial_state
from engine.runtime.actor import load_state
from eventstore import EventStore

__all__ = ["ReplayReport", "create_organization", "verify_replay"]


async def create_organization(
    store: EventStore, clock: Clock, name: str, *, principal: str = "cli"
) -> tuple[str, str]:
    """Create an organization with a full-rights API key; returns (org_id, api_key).

    Appends to a brand-new stream (expected version 0), so it needs no actor and
    works whether or not a server runs on the same database; servers learn of the
    new organization by following the log.
    """
    org_id, key_id, api_key = new_id(), new_id(), new_api_key()
    command = CreateOrganization(
        org_id=org_id, name=name, key_id=key_id, key_hash=hash_api_key(api_key)
    )
    ctx = CommandContext(principal_kind="cli", principal_id=principal)
    events, _ = execute(initial_state(), command, ctx, clock.now())
    meta = EventMeta.of(ctx)
    await store.append(org_id, 0, [encode_event(e, meta) for e in events])
    return org_id, api_key


@final
class ReplayReport(msgspec.Struct, kw_only=True):
    org_id: str
    version: int
    events: int
    ok: bool
    problem: str = ""


async def verify_replay(store: EventStore) -> list[ReplayReport]:
    """Rebuild every organization from its whole log and compare with live loading.

    "Live" is what an actor holds after starting (newest snapshot + tail). A
    difference means a snapshot or evolve is not replay-equivalent (I7).
    """
    reports = []
    for org_id in await store.list_orgs():
        full = initial_state()
        count = 0
        async for chunk in store.iter_stream(org_id):
            for expected, envelope in enumerate(chunk, start=count + 1):
                if envelope.version != expected:
                    reports.append(
                        ReplayReport(
                            org_id=org_id,
                            version=envelope.version,
                            events=count,
                            ok=False,
                            problem="version gap",
                        )
                    )
                    break
            count += len(chunk)
            fold(full, decode_events(chunk))
        live = await load_state(store, org_id)
        same = encode_state(full) == encode_state(live)
        reports.append(
            ReplayReport(
                org_id=org_id,
                version=full.version,
                events=count,
                ok=same,
                problem="" if same else "state from snapshot + tail differs from full replay",
            )
        )
    return reports
