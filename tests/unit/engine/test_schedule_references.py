"""Users and teams in schedules: team participants and overrides, resolving references,
and what happens to schedules when a member leaves or a team is deleted.

The area-level tests drive ``engine.schedules`` directly; the org-level ones go through
``engine.org`` so that the cross-area rules (members and teams must exist; leaving the
organization or deleting a team cascades) are exercised as the actor runs them.
"""

from __future__ import annotations

from datetime import timedelta

import msgspec
import pytest

from engine import (
    AddMember,
    CreateTeam,
    DeleteTeam,
    MemberRemoved,
    Rejected,
    RemoveMember,
    TeamDeleted,
)
from engine import schedules as sc
from engine.org import OrgState, decide, fold, initial_state
from tests.helpers.decider import NOW, Decider
from tests.unit.engine.test_schedules_decider import (
    HASH,
    SID,
    changed,
    create,
    override,
    rotation,
)

SCHEDULES: Decider[sc.SchedulesState, sc.ScheduleCommand, sc.ScheduleEvent] = Decider(
    sc.initial_state, sc.decide, sc.evolve
)
TEAM = sc.Participant(type="team", id="t1")
NONE = sc.Participant(type="none")


def people(*ids: str) -> tuple[sc.Participant, ...]:
    """Participants: ``team:<id>`` is a team, ``-`` a gap, anything else a user id."""
    return tuple(
        NONE
        if i == "-"
        else sc.Participant(type="team", id=i[5:])
        if i.startswith("team:")
        else sc.Participant(id=i)
        for i in ids
    )


# -- recipient keys ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "identifier", "key"),
    [("user", "u1", "u1"), ("team", "t1", "team:t1"), ("none", "", "")],
)
def test_recipient_keys_name_users_and_teams(kind: str, identifier: str, key: str) -> None:
    """A user's key is its id, a team's ``team:<id>``; splitting a key gives them back."""
    assert key == sc.recipient_key(kind, identifier)
    if key:
        assert (kind, identifier) == sc.split_recipient(key)


# -- teams on call ----------------------------------------------------------------------------


def test_a_team_participant_is_on_call_as_the_team() -> None:
    """A team in a rotation puts the team itself on call (its key), not its members."""
    events = SCHEDULES.given().when(create(rotations=(rotation(participants=(TEAM,)),))).events
    assert changed(NOW, (), ("team:t1",)) == events[-1]
    stored = SCHEDULES.fold(events).schedules[SID].schedule.rotations[0]
    assert stored.participants == (TEAM,)


def test_a_team_can_take_over_by_override() -> None:
    """An override by a team replaces the user on call with the team."""
    events = SCHEDULES.given().when(create(rotations=(rotation(),))).events
    team_override = sc.AddOverride(schedule_id=SID, override=override(user="t1", user_type="team"))
    emitted = SCHEDULES.given(events).when(team_override).events
    assert changed(NOW, ("ana",), ("team:t1",), sources=("o1",)) == emitted[-1]


def test_an_override_by_anything_else_is_rejected() -> None:
    """Only a user or a team takes over."""
    events = SCHEDULES.given().when(create(rotations=(rotation(),))).events
    bad = sc.AddOverride(schedule_id=SID, override=override(user_type="escalation"))  # type: ignore[arg-type]
    SCHEDULES.given(events).when(bad).then_rejected("invalid_field", field="user")


def test_escalation_participants_are_refused_pointing_to_a_policy_rule() -> None:
    """An escalation participant is refused, pointing to a policy rule naming the schedule."""
    escalation = sc.Participant(type="escalation", id="e1")  # type: ignore[arg-type]
    outcome = SCHEDULES.given().when(create(rotations=(rotation(participants=(escalation,)),)))
    rejected = outcome.then_rejected("invalid_field", field="participants")
    assert "escalation policy cannot hold a rotation's turn" in rejected.message
    assert "rule whose recipient is this schedule" in rejected.message


# -- resolving references ---------------------------------------------------------------------

USERS = {"u1": "u1", "ana@example.com": "u1", "u2": "u2"}
TEAMS = {"t1": "t1", "Ops": "t1"}


def resolve(command: sc.ScheduleCommand) -> sc.ScheduleCommand:
    return sc.resolve_references(command, USERS.get, TEAMS.get)


def test_references_resolve_to_ids_everywhere_a_command_names_someone() -> None:
    """Emails become account ids and team names team ids, in every field that names them."""
    rot = rotation(participants=people("ana@example.com", "team:Ops", "-", "u2"))
    created = resolve(create(rotations=(rot,), owner_team="Ops"))
    assert isinstance(created, sc.CreateSchedule)
    assert people("u1", "team:t1", "-", "u2") == created.rotations[0].participants
    assert created.owner_team == "t1"
    added = resolve(sc.AddRotation(schedule_id=SID, rotation=rot))
    assert isinstance(added, sc.AddRotation)
    assert people("u1", "team:t1", "-", "u2") == added.rotation.participants
    owner = resolve(sc.UpdateSchedule(schedule_id=SID, owner_team="Ops"))
    assert sc.UpdateSchedule(schedule_id=SID, owner_team="t1") == owner
    by_user = resolve(sc.AddOverride(schedule_id=SID, override=override(user="ana@example.com")))
    assert sc.AddOverride(schedule_id=SID, override=override(user="u1")) == by_user
    team_override = override(user="Ops", user_type="team")
    by_team = resolve(sc.UpdateOverride(schedule_id=SID, override=team_override))
    expected = sc.UpdateOverride(schedule_id=SID, override=override(user="t1", user_type="team"))
    assert expected == by_team
    feed = sc.CreateFeedToken(token_id="f1", kind="user", target="ana@example.com", token_hash=HASH)
    assert msgspec.structs.replace(feed, target="u1") == resolve(feed)


@pytest.mark.parametrize(
    "command",
    [
        create(),
        create(owner_team=" "),
        sc.UpdateSchedule(schedule_id=SID, owner_team=""),
        sc.UpdateSchedule(schedule_id=SID, name="x"),
        sc.CreateFeedToken(token_id="f1", kind="schedule", target="Ops", token_hash=HASH),
        sc.AddOverride(schedule_id=SID, override=override(user_type="escalation")),  # type: ignore[arg-type]
        sc.AddOverride(schedule_id=SID, override=override(user=" ")),
        sc.DeleteRotation(schedule_id=SID, rotation_id="r1"),
        sc.RecordOnCall(schedule_id=SID),
    ],
)
def test_commands_naming_nobody_are_left_to_validation(command: sc.ScheduleCommand) -> None:
    """No owner, a blank user, a bad override type, other commands: unchanged."""
    assert command == resolve(command)


@pytest.mark.parametrize(
    ("command", "field", "message"),
    [
        (create(rotations=(rotation(users=("zed",)),)), "participants", "User 'zed'"),
        (create(rotations=(rotation(participants=people("team:Dev")),)), "participants", "Team"),
        (create(owner_team="Dev"), "ownerTeam", "Team 'Dev'"),
        (sc.UpdateSchedule(schedule_id=SID, owner_team="Dev"), "ownerTeam", "Team 'Dev'"),
        (sc.AddOverride(schedule_id=SID, override=override(user="zed")), "user", "User"),
        (
            sc.AddOverride(schedule_id=SID, override=override(user="Dev", user_type="team")),
            "user",
            "Team 'Dev'",
        ),
        (
            sc.CreateFeedToken(token_id="f1", kind="user", target="zed", token_hash=HASH),
            "user",
            "User 'zed'",
        ),
    ],
)
def test_unknown_users_and_teams_are_rejected_naming_the_field(
    command: sc.ScheduleCommand, field: str, message: str
) -> None:
    """A user or team the organization does not know is a 422 on the field naming it."""
    with pytest.raises(Rejected) as raised:
        resolve(command)
    assert ("invalid_field", field) == (raised.value.code, raised.value.field)
    assert message in raised.value.message


# -- RemoveRecipient --------------------------------------------------------------------------


def test_a_departed_user_leaves_rotations_overrides_and_feeds() -> None:
    """The user leaves every rotation (turns re-deal), their overrides go, their feeds close."""
    later = NOW + timedelta(minutes=5)
    r1 = rotation(users=("ana", "bob"), start=NOW)
    r2 = rotation("r2", users=("ana",), start=NOW)
    events = SCHEDULES.given().when(create(rotations=(r1, r2))).events
    for command in [
        sc.AddOverride(schedule_id=SID, override=override(user="ana", rotation_ids=("r1",))),
        sc.AddOverride(schedule_id=SID, override=override("o2", user="bob")),
        sc.CreateFeedToken(token_id="f1", kind="user", target="ana", token_hash=HASH),
        sc.CreateFeedToken(token_id="f2", kind="user", target="bob", token_hash=HASH),
    ]:
        events += SCHEDULES.given(events).when(command).events
    gone = sc.RemoveRecipient(recipient_type="user", id="ana")
    state = (
        SCHEDULES.given(events)
        .when(gone, now=later)
        .then(
            [
                sc.RotationUpdated(
                    schedule_id=SID, at=later, rotation=rotation(users=("bob",), start=NOW)
                ),
                sc.RotationUpdated(
                    schedule_id=SID,
                    at=later,
                    rotation=rotation("r2", participants=(NONE,), start=NOW),
                ),
                sc.OverrideDeleted(schedule_id=SID, at=later, override_id="o1"),
                sc.FeedTokenRevoked(token_id="f1", at=later),
            ]
        )
    )
    schedule = state.schedules[SID].schedule
    assert [o.id for o in schedule.overrides] == ["o2"]
    assert list(state.feeds) == ["f2"]


def test_removal_records_the_change_it_makes_now() -> None:
    """When the departed user was on call, the removal records who is on call instead."""
    rot = rotation(users=("ana", "bob"), start=NOW)
    events = SCHEDULES.given().when(create(rotations=(rot,))).events
    emitted = SCHEDULES.given(events).when(sc.RemoveRecipient(recipient_type="user", id="ana"))
    assert changed(NOW, ("ana",), ("bob",)) == emitted.events[-1]


def test_a_deleted_team_leaves_rotations_overrides_and_ownership() -> None:
    """A deleted team leaves rotations, its overrides go, and its schedules lose their owner."""
    rot = rotation(participants=people("team:t1", "ana"), start=NOW)
    events = SCHEDULES.given().when(create(rotations=(rot,), owner_team="t1")).events
    team_override = override(user="t1", user_type="team", start=NOW + timedelta(days=1))
    team_override = msgspec.structs.replace(team_override, end=NOW + timedelta(days=2))
    events += (
        SCHEDULES.given(events).when(sc.AddOverride(schedule_id=SID, override=team_override)).events
    )
    events += SCHEDULES.given(events).when(create(schedule_id="s2", name="other")).events
    emitted = SCHEDULES.given(events).when(sc.RemoveRecipient(recipient_type="team", id="t1"))
    assert [type(e).__name__ for e in emitted.events] == [
        "RotationUpdated",
        "OverrideDeleted",
        "ScheduleUpdated",
        "OnCallChanged",
    ]
    state = emitted.then(emitted.events)
    schedule = state.schedules[SID].schedule
    assert (people("ana"), (), None) == (
        schedule.rotations[0].participants,
        schedule.overrides,
        schedule.owner_team,
    )
    assert state.schedules[SID].on_call == ("ana",)


def test_schedules_that_never_named_them_are_untouched() -> None:
    """Nothing at all — not even pending hand-offs — for schedules without the recipient."""
    events = SCHEDULES.given().when(create(rotations=(rotation(users=("ana", "bob")),))).events
    later = NOW + timedelta(days=3)
    for gone in [
        sc.RemoveRecipient(recipient_type="user", id="zed"),
        sc.RemoveRecipient(recipient_type="team", id="ana"),
    ]:
        SCHEDULES.given(events).when(gone, now=later).then([])


# -- through the organization -----------------------------------------------------------------


def organization() -> OrgState:
    """Members ana (u1) and bob (u2) and team Ops (t1)."""
    state = initial_state()
    for command in [
        AddMember(account_id="u1", email="ana@example.com", role="member", actor_role="owner"),
        AddMember(account_id="u2", email="bob@example.com", role="member", actor_role="owner"),
        CreateTeam(team_id="t1", name="Ops"),
    ]:
        fold(state, decide(state, command, NOW))
    return state


def test_the_org_resolves_members_by_email_and_teams_by_name() -> None:
    """Participants, owner team and override users are stored as ids."""
    state = organization()
    rot = rotation(participants=people("ana@example.com", "team:ops"))
    fold(state, decide(state, create(rotations=(rot,), owner_team="OPS"), NOW))
    schedule = state.schedules.schedules[SID].schedule
    assert (people("u1", "team:t1"), "t1") == (
        schedule.rotations[0].participants,
        schedule.owner_team,
    )
    cover = sc.AddOverride(schedule_id=SID, override=override(user="BOB@example.com"))
    fold(state, decide(state, cover, NOW))
    assert state.schedules.schedules[SID].schedule.overrides[0].user == "u2"


def test_the_org_rejects_strangers() -> None:
    """A user or team of no one here (e.g. another organization's ids) is refused."""
    state = organization()
    for command, field in [
        (create(rotations=(rotation(users=("u9",)),)), "participants"),
        (create(owner_team="t9"), "ownerTeam"),
    ]:
        with pytest.raises(Rejected) as raised:
            decide(state, command, NOW)
        assert field == raised.value.field


def test_removing_a_member_takes_them_off_every_schedule() -> None:
    """RemoveMember also removes the member from rotations, in the same batch."""
    state = organization()
    rot = rotation(users=("u1", "u2"), start=NOW)
    fold(state, decide(state, create(rotations=(rot,)), NOW))
    events = decide(state, RemoveMember(account_id="u1", actor_role="owner"), NOW)
    assert isinstance(events[0], MemberRemoved)
    assert [type(e).__name__ for e in events[1:]] == ["RotationUpdated", "OnCallChanged"]
    fold(state, events)
    record = state.schedules.schedules[SID]
    assert (people("u2"), ("u2",)) == (record.schedule.rotations[0].participants, record.on_call)


def test_deleting_a_team_takes_it_off_every_schedule() -> None:
    """DeleteTeam also removes the team from rotations and ownership, in the same batch."""
    state = organization()
    rot = rotation(participants=people("team:t1", "u1"), start=NOW)
    fold(state, decide(state, create(rotations=(rot,), owner_team="t1"), NOW))
    events = decide(state, DeleteTeam(team_id="t1"), NOW)
    assert isinstance(events[0], TeamDeleted)
    fold(state, events)
    schedule = state.schedules.schedules[SID].schedule
    assert (people("u1"), None) == (schedule.rotations[0].participants, schedule.owner_team)
    assert state.schedules.schedules[SID].on_call == ("u1",)
