"""Pure parts of the event store: batch planning, durability rules, migration files."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from eventstore import AppendConflict, MigrationError, NewEvent, durability_problems
from eventstore.postgres import load_migrations
from eventstore.postgres.writer import Request, plan_batch

A, B = uuid.uuid4(), uuid.uuid4()


def req(org: uuid.UUID, expected: int, n: int = 1) -> Request:
    return Request(org, expected, [NewEvent(type="T", data=b"x")] * n)


def test_plan_batch_chains_requests_of_one_org() -> None:
    """The second request for an org in a batch expects the version after the first."""
    outcomes, records = plan_batch([req(A, 2, 2), req(A, 4), req(B, 0), req(A, 4)], {A: 2})
    assert outcomes[:3] == [[3, 4], [5], [1]]
    conflict = outcomes[3]
    assert isinstance(conflict, AppendConflict)
    assert (conflict.expected, conflict.actual) == (4, 5)
    assert [(r[0], r[1]) for r in records] == [(A, 3), (A, 4), (A, 5), (B, 1)]


def test_plan_batch_conflict_does_not_advance_version() -> None:
    outcomes, records = plan_batch([req(A, 1), req(A, 0)], {})
    assert isinstance(outcomes[0], AppendConflict)
    assert outcomes[1] == [1]
    assert len(records) == 1


@pytest.mark.parametrize(
    ("settings", "ok"),
    [
        ({"fsync": "on", "synchronous_commit": "on"}, True),
        ({"fsync": "on", "synchronous_commit": "local"}, True),
        ({"fsync": "on", "synchronous_commit": "remote_apply"}, True),
        ({"fsync": "on", "synchronous_commit": "remote_write"}, True),
        ({"fsync": "on", "synchronous_commit": "off"}, False),
        ({"fsync": "off", "synchronous_commit": "on"}, False),
        ({}, False),
    ],
)
def test_durability_rules(settings: dict[str, str], ok: bool) -> None:
    assert (durability_problems(settings) == []) is ok


def test_migrations_load_in_name_order_with_checksums(tmp_path: Path) -> None:
    (tmp_path / "0002_b.sql").write_text("SELECT 2;")
    (tmp_path / "0001_a.sql").write_text("SELECT 1;")
    (tmp_path / "notes.txt").write_text("ignored")
    found = load_migrations(tmp_path)
    assert [m.name for m in found] == ["0001_a.sql", "0002_b.sql"]
    assert found[0].checksum != found[1].checksum


def test_repo_migrations_open_with_an_intent_comment() -> None:
    for m in load_migrations():
        assert m.sql.startswith("-- "), m.name


def test_missing_migrations_dir_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(MigrationError):
        load_migrations(tmp_path / "nope")
