"""Replaying the access events decide emitted rebuilds the live state; owners never vanish."""

from __future__ import annotations

from datetime import timedelta

import msgspec
from hypothesis import given, settings

from engine.access import (
    AccessCommand,
    AccessEvent,
    AccessState,
    decide,
    evolve,
    initial_state,
    owners,
)
from engine.errors import Conflict, Rejected
from tests.strategies import BASE_TIME, access_steps


def check_invariants(state: AccessState) -> None:
    """Members' emails are unique and lowercase; the token index matches the invitations."""
    emails = [m.email for m in state.members.values()]
    assert len(set(emails)) == len(emails)
    assert all(email == email.strip().lower() for email in emails)
    assert {i.token_hash: i.invitation_id for i in state.invitations.values()} == (
        state.invitation_by_token_hash
    )
    assert all(
        (i.status == "accepted") == (i.account_id is not None) for i in state.invitations.values()
    )
    # A pending set-up invitation always names a current member (removal revokes it).
    assert all(
        i.member_id in state.members
        for i in state.invitations.values()
        if i.member_id is not None and i.status == "pending"
    )


@settings(max_examples=300, deadline=None)
@given(steps=access_steps)
def test_replaying_decided_access_events_rebuilds_the_live_state(
    steps: list[tuple[int, AccessCommand]],
) -> None:
    """Folding the JSON round-tripped log equals the live state; the last owner stays."""
    live = initial_state()
    log: list[AccessEvent] = []
    now = BASE_TIME
    for elapsed, command in steps:
        now += timedelta(minutes=elapsed)
        before = msgspec.json.encode(live)
        had_owner = bool(owners(live))
        try:
            events = decide(live, command, now)
        except (Rejected, Conflict):
            events = []
        assert before == msgspec.json.encode(live), "decide mutated the state"
        for event in events:
            evolve(live, event)
        log += events
        assert not had_owner or owners(live), "the last owner was removed or demoted"
        check_invariants(live)

    stored = msgspec.json.decode(msgspec.json.encode(log), type=list[AccessEvent])
    replayed = initial_state()
    for event in stored:
        replayed = evolve(replayed, event)
    assert live == replayed
