"""Access and team commands through the org aggregate replay exactly; teams hold members only."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings

from engine import access
from engine.context import CommandContext
from engine.errors import Conflict, Rejected
from engine.org import (
    Command,
    Event,
    OrgState,
    decode_payloads,
    encode_event,
    encode_state,
    execute,
    fold,
    initial_state,
)
from engine.teams import team_by_name
from tests.strategies import BASE_TIME, org_membership_steps

CTX = CommandContext(principal_kind="user", principal_id="ann")


def check_invariants(state: OrgState) -> None:
    """Every team member is an organization member; team names index their teams."""
    for team in state.teams.teams.values():
        assert all(access.member_role(state.access, a) is not None for a in team.members)
        assert team_by_name(state.teams, team.name) is team
    assert len(state.teams.by_name) == len(state.teams.teams)


@settings(max_examples=300, deadline=None)
@given(steps=org_membership_steps)
def test_replaying_org_membership_events_rebuilds_the_live_state(
    steps: list[tuple[int, Command]],
) -> None:
    """The encoded log folds to the live org state; removed members leave their teams."""
    live = initial_state()
    log: list[Event] = []
    now = BASE_TIME
    for elapsed, command in steps:
        now += timedelta(minutes=elapsed)
        before = encode_state(live)
        try:
            events, _ = execute(live, command, CTX, now)
        except (Rejected, Conflict):
            assert before == encode_state(live), "a refused command changed the state"
            continue
        log += events
        check_invariants(live)

    joined = b",".join(encode_event(event, b"{}").data for event in log)
    replayed = fold(initial_state(), decode_payloads(joined) if log else [])
    assert encode_state(replayed) == encode_state(live)
