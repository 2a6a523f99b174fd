"""The directory: keys, memberships and invitations of every organization, from the global log."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime, timedelta

import trio
from trio.testing import wait_all_tasks_blocked

from engine import (
    SYSTEM,
    Directory,
    Event,
    EventMeta,
    FixedClock,
    KeyEntry,
    hash_api_key,
    load_state,
)
from engine.access import (
    AcceptInvitation,
    AddMember,
    ChangeMemberRole,
    CreateApiKey,
    CreateInvitation,
    CreateOrganization,
    DeleteOrganization,
    RemoveMember,
    RevokeApiKey,
    RevokeInvitation,
)
from engine.integrations import CreateIntegration
from engine.org import Command, encode_event, execute
from engine.runtime.admin import create_organization
from eventstore import Envelope, MemoryEventStore

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
META = EventMeta.of(SYSTEM)
O1 = "00000000-0000-4000-8000-000000000001"
O2 = "00000000-0000-4000-8000-000000000002"
NAMES = {O1: "Acme", O2: "Globex"}


async def commit(store: MemoryEventStore, org_id: str, commands: list[Command]) -> None:
    """Execute ``commands`` against the org's stored state and append their events at once."""
    state = await load_state(store, org_id)
    version = state.version
    events: list[Event] = []
    for command in commands:
        events += execute(state, command, SYSTEM, NOW)[0]
    await store.append(org_id, version, [encode_event(event, META) for event in events])


def owned(org_id: str, owner: str) -> CreateOrganization:
    return CreateOrganization(
        org_id=org_id,
        name=NAMES[org_id],
        key_id="k-" + NAMES[org_id],
        key_hash="hash-" + NAMES[org_id],
        owner_account_id=owner,
        owner_email=f"{owner}@example.com",
    )


def invite(invitation_id: str, email: str, token_hash: str) -> CreateInvitation:
    return CreateInvitation(
        invitation_id=invitation_id,
        email=email,
        role="member",
        token_hash=token_hash,
        expires_at=NOW + timedelta(days=7),
        actor_role="owner",
    )


async def test_memberships_follow_the_log() -> None:
    """Owners, added members, role changes and removals show in role_of and orgs_of."""
    store = MemoryEventStore()
    await commit(
        store,
        O1,
        [
            owned(O1, "ann"),
            AddMember(account_id="bob", email="bob@example.com", role="member", actor_role="owner"),
            AddMember(account_id="cid", email="cid@example.com", role="viewer", actor_role="owner"),
            ChangeMemberRole(account_id="bob", role="admin", actor_role="owner"),
            RemoveMember(account_id="cid", actor_role="owner"),
        ],
    )
    await commit(store, O2, [owned(O2, "bob")])
    directory = Directory()
    applied = await directory.catch_up(store)
    assert applied == 10  # 2 x (org, owner, key) + added twice, changed, removed
    assert (directory.role_of("ann", O1), directory.role_of("bob", O1)) == ("owner", "admin")
    assert (directory.role_of("cid", O1), directory.role_of("ann", O2)) == (None, None)
    assert directory.orgs_of("bob") == {O1: "admin", O2: "owner"}
    assert (directory.orgs_of("cid"), directory.orgs_of("nobody")) == ({}, {})
    assert directory.orgs == NAMES


async def test_learn_member_is_seen_before_the_tail_and_is_idempotent() -> None:
    """A membership this process committed is known at once; the tail agrees later."""
    store = MemoryEventStore()
    directory = Directory()
    directory.learn_member(O1, "ann", "owner")
    assert directory.orgs_of("ann") == {O1: "owner"}
    await commit(store, O1, [owned(O1, "ann")])
    await directory.catch_up(store)
    assert directory.orgs_of("ann") == {O1: "owner"}


async def test_invitations_are_found_by_token_hash_until_used_or_revoked() -> None:
    """lookup_invitation answers pending invitations only."""
    store = MemoryEventStore()
    await commit(
        store,
        O1,
        [
            owned(O1, "ann"),
            invite("i1", "eve@example.com", "t1"),
            invite("i2", "fay@example.com", "t2"),
            invite("i3", "gus@example.com", "t3"),
        ],
    )
    directory = Directory()
    await directory.catch_up(store)
    assert [directory.lookup_invitation(t) for t in ("t1", "t2", "t3", "t9")] == [
        (O1, "i1"),
        (O1, "i2"),
        (O1, "i3"),
        None,
    ]
    await commit(
        store,
        O1,
        [
            AcceptInvitation(invitation_id="i1", account_id="eve"),
            RevokeInvitation(invitation_id="i2"),
        ],
    )
    await directory.catch_up(store)
    assert [directory.lookup_invitation(t) for t in ("t1", "t2", "t3")] == [
        None,
        None,
        (O1, "i3"),
    ]
    assert directory.role_of("eve", O1) == "member"


async def test_key_entries_carry_prefix_and_team() -> None:
    """ApiKeyCreated's prefix and team reach the KeyEntry; first-shape keys have none."""
    store = MemoryEventStore()
    org_id, api_key = await create_organization(store, FixedClock(NOW), "acme")
    await commit(
        store,
        org_id,
        [CreateApiKey(key_id="k2", name="ci", key_hash="h2", rights=("read",), prefix="pk_ab")],
    )
    directory = Directory()
    await directory.catch_up(store)
    default = directory.lookup(hash_api_key(api_key))
    assert default is not None
    assert (default.org_id, default.rights, default.prefix, default.team_id) == (
        org_id,
        ("full",),
        "",
        None,
    )
    assert directory.lookup("h2") == KeyEntry(
        org_id=org_id, key_id="k2", name="ci", rights=("read",), prefix="pk_ab"
    )


async def test_a_deleted_organization_is_forgotten() -> None:
    """Deletion drops the org's name, keys, integrations, memberships and invitations only."""
    store = MemoryEventStore()
    await commit(
        store,
        O1,
        [
            owned(O1, "ann"),
            AddMember(account_id="bob", email="bob@example.com", role="admin", actor_role="owner"),
            invite("i1", "eve@example.com", "t1"),
            CreateIntegration(integration_id="int1", name="prom", kind="api", key_hash="ih1"),
        ],
    )
    await commit(store, O2, [owned(O2, "bob"), invite("i2", "eve@example.com", "t2")])
    directory = Directory()
    await directory.catch_up(store)
    assert directory.lookup_integration("ih1") is not None
    await commit(store, O1, [DeleteOrganization(actor_role="owner")])
    await directory.catch_up(store)
    assert directory.orgs == {O2: "Globex"}
    assert (directory.lookup("hash-Acme"), directory.lookup_integration("ih1")) == (None, None)
    assert directory.lookup("hash-Globex") is not None
    assert (directory.orgs_of("ann"), directory.orgs_of("bob")) == ({}, {O2: "owner"})
    assert (directory.lookup_invitation("t1"), directory.lookup_invitation("t2")) == (
        None,
        (O2, "i2"),
    )


class _GatedStore(MemoryEventStore):
    """A memory store whose next ``read_all_of_types`` answers only when ``gate`` is set.

    The answer is computed before waiting, like a database read that returns late.
    """

    def __init__(self) -> None:
        super().__init__()
        self.gate: trio.Event | None = None

    async def read_all_of_types(
        self, types: Collection[str], *, after_position: int = 0, limit: int = 1000
    ) -> tuple[list[Envelope], int]:
        answer = await super().read_all_of_types(types, after_position=after_position, limit=limit)
        gate, self.gate = self.gate, None
        if gate is not None:
            await gate.wait()
        return answer


async def test_catch_ups_are_serialised_so_a_revocation_is_never_undone() -> None:
    """A catch-up started after a revocation sees it, even while an older read is in flight."""
    store = _GatedStore()
    await commit(store, O1, [owned(O1, "ann")])
    directory = Directory()
    await directory.catch_up(store)
    await commit(store, O1, [CreateApiKey(key_id="k2", name="ci", key_hash="h2")])
    gate = store.gate = trio.Event()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(directory.catch_up, store)  # the follower, reading k2's creation
        await wait_all_tasks_blocked()
        await commit(store, O1, [RevokeApiKey(key_id="k2")])
        nursery.start_soon(directory.catch_up, store)  # the request that revoked k2
        await wait_all_tasks_blocked()
        gate.set()
    assert directory.lookup("h2") is None
