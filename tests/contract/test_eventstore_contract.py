"""The EventStore contract, one suite run against every implementation.

Each test names the invariant it checks (reliability.md I6, decision 3).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import trio

from eventstore import (
    AppendConflict,
    EventStore,
    MemoryEventStore,
    NewEvent,
    Snapshot,
    open_postgres_store,
)
from tests.pg import fresh_database


@pytest.fixture(params=["memory", pytest.param("postgres", marks=pytest.mark.postgres)])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[EventStore]:
    if request.param == "memory":
        yield MemoryEventStore()
        return
    async with fresh_database() as dsn, open_postgres_store(dsn, group_commit_max=50) as pg:
        yield pg


def new_org() -> str:
    return str(uuid.uuid4())


def ev(n: int, *, subject: str | None = None, type_: str = "Thing") -> NewEvent:
    return NewEvent(type=type_, data=f'{{"n":{n}}}'.encode(), subject=subject)


async def test_append_returns_versions_one_to_n() -> None:
    """Sanity check of the fixture-free path: the memory store numbers from 1."""
    store = MemoryEventStore()
    assert await store.append(new_org(), 0, [ev(1), ev(2), ev(3)]) == [1, 2, 3]


async def test_append_assigns_gapless_versions(store: EventStore) -> None:
    """I6: versions start at 1 and continue gaplessly across appends."""
    org = new_org()
    assert await store.append(org, 0, [ev(1), ev(2), ev(3)]) == [1, 2, 3]
    assert await store.append(org, 3, [ev(4)]) == [4]
    assert [e.version for e in await store.read_stream(org)] == [1, 2, 3, 4]
    assert [e.data for e in await store.read_stream(org)][::3] == [b'{"n":1}', b'{"n":4}']


@pytest.mark.parametrize("expected", [0, 1, 3])
async def test_stale_or_ahead_expected_version_conflicts(store: EventStore, expected: int) -> None:
    """Decision 3: an expected version other than the current one is refused."""
    org = new_org()
    await store.append(org, 0, [ev(1), ev(2)])
    with pytest.raises(AppendConflict) as info:
        await store.append(org, expected, [ev(3)])
    assert (org, expected, 2) == (info.value.org_id, info.value.expected, info.value.actual)


async def test_conflicting_append_writes_nothing(store: EventStore) -> None:
    """Atomicity: a refused batch leaves no event behind, not even a first one."""
    org = new_org()
    await store.append(org, 0, [ev(1)])
    with pytest.raises(AppendConflict):
        await store.append(org, 0, [ev(2), ev(3), ev(4)])
    assert await store.stream_version(org) == 1
    assert [e.data for e in await store.read_all(limit=100) if e.org_id == org] == [b'{"n":1}']


async def test_new_org_must_expect_zero(store: EventStore) -> None:
    """A stream that does not exist is at version 0."""
    with pytest.raises(AppendConflict):
        await store.append(new_org(), 1, [ev(1)])


async def test_empty_append_checks_version_and_writes_nothing(store: EventStore) -> None:
    org = new_org()
    assert await store.append(org, 0, []) == []
    with pytest.raises(AppendConflict):
        await store.append(org, 5, [])
    assert await store.stream_version(org) == 0


async def test_invalid_org_id_is_rejected(store: EventStore) -> None:
    with pytest.raises(ValueError, match="UUID"):
        await store.append("not-a-uuid", 0, [ev(1)])


async def test_concurrent_appenders_keep_versions_gapless(store: EventStore) -> None:
    """I6 through the group-commit writer: 40 orgs x 10 appends, all concurrent."""
    orgs = [new_org() for _ in range(40)]

    async def appender(org: str) -> None:
        for i in range(10):
            assert [2 * i + 1, 2 * i + 2] == await store.append(org, 2 * i, [ev(i), ev(i)])

    async with trio.open_nursery() as nursery:
        for org in orgs:
            nursery.start_soon(appender, org)
    for org in orgs:
        assert list(range(1, 21)) == [e.version for e in await store.read_stream(org)]
    everything = await store.read_all(limit=10_000)
    assert len(everything) == 800
    positions = [e.position for e in everything]
    assert sorted(set(positions)) == positions


async def test_racing_appends_to_one_org_one_wins(store: EventStore) -> None:
    """Fencing: of many appends expecting the same version exactly one commits."""
    org = new_org()
    outcomes: list[str] = []

    async def racer(i: int) -> None:
        try:
            await store.append(org, 0, [ev(i)])
            outcomes.append("ok")
        except AppendConflict:
            outcomes.append("conflict")

    async with trio.open_nursery() as nursery:
        for i in range(20):
            nursery.start_soon(racer, i)
    assert (outcomes.count("ok"), outcomes.count("conflict")) == (1, 19)
    assert await store.stream_version(org) == 1


async def test_read_stream_after_version_and_limit(store: EventStore) -> None:
    org, other = new_org(), new_org()
    await store.append(org, 0, [ev(i) for i in range(1, 8)])
    await store.append(other, 0, [ev(99)])
    assert [e.version for e in await store.read_stream(org, after_version=3)] == [4, 5, 6, 7]
    assert [e.version for e in await store.read_stream(org, after_version=1, limit=2)] == [2, 3]
    assert await store.read_stream(org, after_version=7) == []
    assert await store.read_stream(new_org()) == []
    assert {org} == {e.org_id for e in await store.read_stream(org)}


async def test_iter_stream_yields_chunks(store: EventStore) -> None:
    org = new_org()
    await store.append(org, 0, [ev(i) for i in range(25)])
    chunks = [c async for c in store.iter_stream(org, 2, chunk=10)]
    assert [len(c) for c in chunks] == [10, 10, 3]
    assert list(range(3, 26)) == [e.version for c in chunks for e in c]


async def test_iter_payloads_joins_chunks_in_version_order(store: EventStore) -> None:
    """iter_payloads yields the payloads after a version, joined, chunk by chunk."""
    org = new_org()
    await store.append(org, 0, [ev(i) for i in range(25)])
    await store.append(new_org(), 0, [ev(99)])
    chunks = [c async for c in store.iter_payloads(org, 2, chunk=10, separator=b"|")]
    assert [(c.first_version, c.last_version, c.count) for c in chunks] == [
        (3, 12, 10),
        (13, 22, 10),
        (23, 25, 3),
    ]
    expected = [e.data for e in await store.read_stream(org, after_version=2)]
    assert b"|".join(c.data for c in chunks).split(b"|") == expected
    assert [c async for c in store.iter_payloads(org, 25)] == []
    assert [c async for c in store.iter_payloads(new_org())] == []


async def test_read_all_of_types_skips_other_types_and_reports_progress(
    store: EventStore,
) -> None:
    """Only the asked types come back; the returned position lets a tailer skip the rest."""
    org = new_org()
    await store.append(org, 0, [ev(1, type_="Key"), ev(2), ev(3), ev(4, type_="Key"), ev(5)])
    found, reached = await store.read_all_of_types({"Key"})
    assert [e.version for e in found] == [1, 4]
    head = (await store.read_all())[-1].position
    assert reached == head
    assert await store.read_all_of_types({"Key"}, after_position=reached) == ([], head)
    first, partial = await store.read_all_of_types({"Key"}, limit=1)
    assert ([e.version for e in first], partial) == ([1], first[0].position)
    await store.append(org, 5, [ev(6, type_="Key")])
    more, _ = await store.read_all_of_types({"Key"}, after_position=reached)
    assert [e.version for e in more] == [6]


async def test_read_subject(store: EventStore) -> None:
    org, other = new_org(), new_org()
    await store.append(org, 0, [ev(1, subject="a"), ev(2, subject="b"), ev(3)])
    await store.append(org, 3, [ev(4, subject="a")])
    await store.append(other, 0, [ev(5, subject="a")])
    assert [e.version for e in await store.read_subject(org, "a")] == [1, 4]
    assert await store.read_subject(org, "c") == []


async def test_envelope_round_trips_fields(store: EventStore) -> None:
    org = new_org()
    event = NewEvent(type="AlertCreated", data=b"\x00\xffbin", metadata=b'{"m":1}', subject="x")
    await store.append(org, 0, [event])
    [got] = await store.read_stream(org)
    assert (org, 1, "AlertCreated", b"\x00\xffbin", b'{"m":1}', "x") == (
        got.org_id,
        got.version,
        got.type,
        got.data,
        got.metadata,
        got.subject,
    )
    assert got.recorded_at.tzinfo is not None


async def test_read_all_orders_and_pages(store: EventStore) -> None:
    """read_all returns every event once, by increasing position, page by page."""
    orgs = [new_org() for _ in range(3)]
    for round_ in range(4):
        for org in orgs:
            await store.append(org, round_ * 2, [ev(round_), ev(round_)])
    seen, after = [], 0
    while page := await store.read_all(after_position=after, limit=5):
        assert len(page) <= 5
        seen.extend(page)
        after = page[-1].position
    assert len(seen) == 24
    assert sorted(e.position for e in seen) == [e.position for e in seen]
    assert len({e.position for e in seen}) == 24
    per_org = {org: [e.version for e in seen if e.org_id == org] for org in orgs}
    assert all(list(range(1, 9)) == v for v in per_org.values())


async def test_stream_version_and_list_orgs(store: EventStore) -> None:
    assert await store.list_orgs() == []
    a, b = new_org(), new_org()
    await store.append(a, 0, [ev(1), ev(2)])
    await store.append(b, 0, [ev(1)])
    assert (
        await store.stream_version(a),
        await store.stream_version(b),
        await store.stream_version(new_org()),
    ) == (2, 1, 0)
    assert sorted([a, b]) == await store.list_orgs()


async def test_snapshots_save_load_replace(store: EventStore) -> None:
    org = new_org()
    assert await store.load_snapshot(org, 1) is None
    await store.save_snapshot(Snapshot(org_id=org, version=3, schema_version=1, data=b"s3"))
    assert Snapshot(org_id=org, version=3, schema_version=1, data=b"s3") == (
        await store.load_snapshot(org, 1)
    )
    await store.save_snapshot(Snapshot(org_id=org, version=7, schema_version=1, data=b"s7"))
    loaded = await store.load_snapshot(org, 1)
    assert loaded is not None
    assert (loaded.version, loaded.data) == (7, b"s7")


async def test_snapshot_never_goes_back_in_version(store: EventStore) -> None:
    org = new_org()
    await store.save_snapshot(Snapshot(org_id=org, version=7, schema_version=1, data=b"s7"))
    await store.save_snapshot(Snapshot(org_id=org, version=3, schema_version=1, data=b"s3"))
    loaded = await store.load_snapshot(org, 1)
    assert loaded is not None
    assert loaded.version == 7


async def test_snapshot_schema_mismatch_returns_none(store: EventStore) -> None:
    org = new_org()
    await store.save_snapshot(Snapshot(org_id=org, version=3, schema_version=1, data=b"v1"))
    assert await store.load_snapshot(org, 2) is None
    await store.save_snapshot(Snapshot(org_id=org, version=2, schema_version=2, data=b"v2"))
    loaded = await store.load_snapshot(org, 2)
    assert loaded is not None
    assert (loaded.version, loaded.data) == (2, b"v2")
    assert await store.load_snapshot(org, 1) is None
