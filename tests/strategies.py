"""Hypothesis strategies for domain commands, shared by property tests.

Alert commands draw their ids and aliases from small pools, so random sequences hit the
interesting paths often: deduplication, re-creating an alias after close, acting on closed,
deleted or unknown alerts, reusing an alert id, snoozes that are due or not.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TypeVar

from hypothesis import strategies as st

from engine.access import (
    AcceptInvitation,
    AccessCommand,
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
from engine.alerts import (
    AcknowledgeAlert,
    AddDetails,
    AddNote,
    AddResponder,
    AddTags,
    AlertCommand,
    AssignAlert,
    CloseAlert,
    CreateAlert,
    DeleteAlert,
    EscalateAlert,
    RemoveDetails,
    RemoveTags,
    Responder,
    SnoozeAlert,
    UnacknowledgeAlert,
    UnsnoozeAlert,
    UpdateDescription,
    UpdateMessage,
    UpdatePriority,
)
from engine.identity import (
    IdentityCommand,
    RegisterAccount,
    RevokeAccountSessions,
    RevokeSessionFamily,
    RotateSession,
    SetPassword,
    StartSession,
    UpdateProfile,
)
from engine.teams import (
    AddTeamMember,
    ChangeTeamMemberRole,
    CreateTeam,
    DefaultResources,
    DeleteTeam,
    NewMember,
    RemoveTeamMember,
    TeamCommand,
    UpdateTeam,
)

__all__ = [
    "BASE_TIME",
    "access_command",
    "access_steps",
    "alert_command",
    "alert_steps",
    "identity_command",
    "identity_steps",
    "mostly",
    "org_membership_steps",
    "team_command",
]

T = TypeVar("T")

BASE_TIME = datetime(2030, 1, 1, tzinfo=UTC)


def mostly(
    valid: st.SearchStrategy[T], invalid: st.SearchStrategy[T], odds: int = 40
) -> st.SearchStrategy[T]:
    """``valid`` ``odds`` times as often as ``invalid`` (rare, to reach the rejections)."""
    # one_of would collapse repeated branches, so pick the branch by index instead.
    return st.sampled_from([valid] * odds + [invalid]).flatmap(lambda strategy: strategy)


alert_ids = st.sampled_from([f"a{i}" for i in range(4)])
aliases = st.sampled_from(["", "web", "db", "disk"])
users = mostly(st.sampled_from(["", "alice", "bob"]), st.just("u" * 101))
sources = st.sampled_from(["", "api", "10.0.0.1"])
notes = mostly(st.sampled_from(["", "", "", "looking"]), st.just("x" * 25001))
tags = st.lists(mostly(st.sampled_from(["a", "b", "c", " d "]), st.just("")), max_size=4).map(tuple)
keys = st.sampled_from(["k1", "k2", "k3"])
details = st.dictionaries(keys, st.sampled_from(["1", "2"]), max_size=3)
priorities = mostly(st.sampled_from(["P1", "P2", "P3", "P4", "P5"]), st.just("P9"))
messages = mostly(st.sampled_from(["disk full", "  cpu hot "]), st.sampled_from(["", "m" * 131]))
responders = st.builds(
    Responder,
    type=mostly(st.sampled_from(["user", "team", "escalation", "schedule"]), st.just("group")),
    id=mostly(st.sampled_from(["r1", "r2"]), st.just("")),
)
# Snooze ends within the first six hours, so some are past, most due later.
end_times = st.integers(0, 6 * 3600).map(lambda s: BASE_TIME + timedelta(seconds=s))


def _actor() -> dict[str, st.SearchStrategy[str]]:
    return {"alert_id": alert_ids, "user": users, "source": sources}


def _noted() -> dict[str, st.SearchStrategy[str]]:
    return {**_actor(), "note": notes}


create_alert = st.builds(
    CreateAlert,
    alert_id=alert_ids,
    message=messages,
    alias=aliases,
    tags=tags,
    details=details,
    priority=priorities,
    responders=st.lists(responders, max_size=2).map(tuple),
    user=users,
    source=sources,
    note=notes,
)

_action_command: st.SearchStrategy[AlertCommand] = st.one_of(
    st.builds(AcknowledgeAlert, **_noted()),
    st.builds(UnacknowledgeAlert, **_noted()),
    st.builds(CloseAlert, **_noted()),
    st.builds(SnoozeAlert, end_time=end_times, **_noted()),
    st.builds(UnsnoozeAlert, alert_id=alert_ids),
    st.builds(AssignAlert, owner=st.sampled_from(["bob", " carol ", ""]), **_noted()),
    st.builds(AddNote, note=notes, alert_id=alert_ids, user=users, source=sources),
    st.builds(AddTags, tags=tags, **_noted()),
    st.builds(RemoveTags, tags=tags, **_noted()),
    st.builds(AddDetails, details=details, **_noted()),
    st.builds(RemoveDetails, keys=st.lists(keys, max_size=2).map(tuple), **_noted()),
    st.builds(UpdatePriority, priority=priorities, **_noted()),
    st.builds(UpdateMessage, message=messages, **_noted()),
    st.builds(UpdateDescription, description=st.sampled_from(["", "d1", "d2"]), **_noted()),
    st.builds(
        EscalateAlert,
        escalation=st.builds(Responder, type=st.just("escalation"), id=st.just("e1")) | responders,
        **_noted(),
    ),
    st.builds(AddResponder, responder=responders, **_noted()),
    st.builds(DeleteAlert, **_actor()),
)
alert_command: st.SearchStrategy[AlertCommand] = st.sampled_from(
    [create_alert] * 3 + [_action_command] * 7
).flatmap(lambda strategy: strategy)
"""One alert command of any kind (creates about 30 %), sometimes invalid or aimed at a
missing alert."""

_step = st.tuples(st.integers(0, 900), alert_command)

alert_steps: st.SearchStrategy[list[tuple[int, AlertCommand]]] = st.builds(
    lambda opening, rest: opening + rest,
    st.lists(st.tuples(st.just(0), create_alert), min_size=1, max_size=4),
    st.lists(_step, max_size=60),
)
"""Command sequences: (seconds elapsed since the previous command, command), opening with
a few creates so later actions usually find their alert."""


# Identity: small pools of accounts, emails, families and token hashes, so random
# sequences hit duplicate emails, rotations, reuse of rotated-away tokens,
# revocations, expiry and pruning. ``expires_at`` is drawn as an offset from
# BASE_TIME that the property test re-bases on the step's ``now`` (from just
# past to a few days ahead, sometimes not in the future at all).
account_ids = st.sampled_from(["u0", "u0", "u1", "u2"])
family_ids = st.sampled_from(["f0", "f1", "f2"])
token_hashes = mostly(st.sampled_from([f"t{i}" for i in range(4)]), st.just(""))
# new hashes of rotations, mostly fresh; presented ones mostly from the first pool
new_token_hashes = mostly(st.sampled_from([f"t{i}" for i in range(12)]), st.just(""))
org_ids = st.sampled_from(["o1", "o2"])
password_hashes = mostly(
    st.sampled_from(["$argon2id$v=19$m=65536,t=3,p=4$a", "$argon2id$v=19$m=65536,t=3,p=4$b"]),
    st.just("hunter2"),
)
session_expiries = mostly(
    st.sampled_from([timedelta(minutes=15), timedelta(hours=12), timedelta(days=2)]),
    st.sampled_from([timedelta(0), timedelta(seconds=-1)]),
).map(lambda offset: BASE_TIME + offset)
reasons = mostly(st.sampled_from(["logout", "reuse", "password_changed"]), st.just(" "))

emails = mostly(
    st.sampled_from(["ann@example.com", " ANN@Example.com ", "bo@example.org", "cy@example.net"]),
    st.just("not-an-email"),
)
register_account = st.builds(
    RegisterAccount,
    account_id=account_ids,
    email=emails,
    name=mostly(st.sampled_from(["Ann", " Bo "]), st.just(" ")),
    password_hash=st.none() | password_hashes,
)
_account_command: st.SearchStrategy[IdentityCommand] = st.one_of(
    register_account,
    st.builds(SetPassword, account_id=account_ids, password_hash=password_hashes),
    st.builds(
        UpdateProfile,
        account_id=account_ids,
        name=st.none() | mostly(st.sampled_from(["Ann", "Ann B"]), st.just("")),
        timezone=st.none() | mostly(st.sampled_from(["UTC", "Europe/Paris"]), st.just("Mars/Base")),
        locale=st.none() | mostly(st.sampled_from(["en", "fr-FR"]), st.just("english!")),
    ),
    st.builds(RevokeAccountSessions, account_id=account_ids, reason=reasons),
)
start_session = st.builds(
    StartSession,
    family_id=family_ids,
    account_id=account_ids,
    token_hash=token_hashes,
    org_id=org_ids,
    expires_at=session_expiries,
)
rotate_session = st.builds(
    RotateSession,
    token_hash=token_hashes | new_token_hashes,
    new_token_hash=new_token_hashes,
    org_id=st.none() | org_ids,
    expires_at=session_expiries,
)
revoke_family = st.builds(RevokeSessionFamily, family_id=family_ids, reason=reasons)
identity_command: st.SearchStrategy[IdentityCommand] = st.sampled_from(
    [_account_command] * 2 + [start_session] * 3 + [rotate_session] * 4 + [revoke_family]
).flatmap(lambda strategy: strategy)
"""One identity command of any kind (sessions about 80 %), sometimes invalid or aimed at a
missing target."""

_elapsed = st.sampled_from(
    [
        timedelta(0),
        timedelta(minutes=1),
        timedelta(minutes=10),
        timedelta(hours=6),
        timedelta(days=1),
        timedelta(days=3),
    ]
)

# Every sequence opens with account u0 logged in (family f0, token t0, two days).
_OPENING: list[tuple[timedelta, IdentityCommand]] = [
    (timedelta(0), RegisterAccount(account_id="u0", email="zed@example.com", name="Zed")),
    (
        timedelta(0),
        StartSession(
            family_id="f0",
            account_id="u0",
            token_hash="t0",
            org_id="o1",
            expires_at=BASE_TIME + timedelta(days=2),
        ),
    ),
]

identity_steps: st.SearchStrategy[list[tuple[timedelta, IdentityCommand]]] = st.builds(
    lambda registrations, rest: _OPENING + registrations + rest,
    st.lists(st.tuples(st.just(timedelta(0)), register_account), max_size=2),
    st.lists(st.tuples(_elapsed, identity_command), min_size=5, max_size=60),
)
"""Identity command sequences: (time elapsed since the previous command, command), opening
with a login and a few registrations so later commands usually find their target."""


# Access and teams: five accounts, three invitations, two teams, so random sequences
# hit duplicate members and emails, owner rules (the last owner, admins touching
# owners), used/revoked/expired invitations, team name clashes and the cascade of a
# removed member out of their teams. Invitations expire within two days.
member_ids = st.sampled_from(["ann", "bob", "cid", "dee", "eve"])
member_emails = mostly(
    st.sampled_from(
        ["ann@example.com", "BOB@example.com ", "cid@example.com", "dee@example.com", "eve@x.io"]
    ),
    st.just("dee"),
)
member_roles = mostly(st.sampled_from(["owner", "admin", "member", "viewer"]), st.just("boss"))
actor_roles = st.sampled_from(["owner", "admin", "admin", "member", "system"])
invitation_ids = st.sampled_from(["i1", "i2", "i3"])
invitation_expiries = st.sampled_from([10, 60, 180, 720, 2880]).map(
    lambda minutes: BASE_TIME + timedelta(minutes=minutes)
)
team_ids = st.sampled_from(["t1", "t2"])

_member_command: st.SearchStrategy[AccessCommand] = st.one_of(
    st.builds(
        AddMember,
        account_id=member_ids,
        email=member_emails,
        name=st.sampled_from(["", "Ann"]),
        role=member_roles,
        actor_role=actor_roles,
    ),
    st.builds(ChangeMemberRole, account_id=member_ids, role=member_roles, actor_role=actor_roles),
    st.builds(RemoveMember, account_id=member_ids, actor_role=actor_roles),
)
_invitation_command: st.SearchStrategy[AccessCommand] = st.one_of(
    st.builds(
        CreateInvitation,
        invitation_id=invitation_ids,
        email=member_emails,
        role=member_roles,
        token_hash=st.sampled_from(["h1", "h2", "h3", "h4", "h5"]),
        expires_at=invitation_expiries,
        actor_role=actor_roles,
        member_id=mostly(st.none(), member_ids, odds=3),  # a set-up invitation, sometimes
    ),
    st.builds(AcceptInvitation, invitation_id=invitation_ids, account_id=member_ids),
    st.builds(RevokeInvitation, invitation_id=invitation_ids),
)
_key_command: st.SearchStrategy[AccessCommand] = st.one_of(
    st.builds(
        CreateApiKey,
        key_id=st.sampled_from(["k1", "k2"]),
        name=st.just("ci"),
        key_hash=st.sampled_from(["kh1", "kh2"]),
        rights=st.sampled_from([("full",), ("read",), ("delete", "read"), ("full", "read")]),
        prefix=st.just("pk_1"),
        team_id=st.none() | team_ids,
    ),
    st.builds(RevokeApiKey, key_id=st.sampled_from(["k1", "k2"])),
)
access_command: st.SearchStrategy[AccessCommand] = st.sampled_from(
    [_member_command] * 20
    + [_invitation_command] * 20
    + [_key_command] * 5
    + [st.builds(DeleteOrganization, actor_role=actor_roles)]
).flatmap(lambda strategy: strategy)
"""One access command (members, invitations, keys; rarely deleting the organization)."""

team_command: st.SearchStrategy[TeamCommand] = st.one_of(
    st.builds(
        CreateTeam,
        team_id=team_ids,
        name=mostly(st.sampled_from(["Ops", "ops", "Dev"]), st.just("a/b")),
        description=st.just(""),
        members=st.lists(
            st.builds(NewMember, account_id=member_ids, role=st.sampled_from(["admin", "member"])),
            max_size=2,
        ).map(tuple),
        defaults=st.none()
        | st.builds(
            DefaultResources,
            schedule_id=st.sampled_from(["s1", "s2"]),
            rotation_id=st.just("rot"),
            policy_id=st.sampled_from(["p1", "p2"]),
            rule_id=st.sampled_from(["r1", "r2"]),
        ),
    ),
    st.builds(
        UpdateTeam,
        team_id=team_ids,
        name=st.none() | st.sampled_from(["Ops", "DEV", "Web"]),
        description=st.none() | st.just("d"),
    ),
    st.builds(DeleteTeam, team_id=team_ids),
    st.builds(
        AddTeamMember,
        team_id=team_ids,
        account_id=member_ids,
        role=mostly(st.sampled_from(["admin", "member"]), st.just("owner")),
    ),
    st.builds(
        ChangeTeamMemberRole,
        team_id=team_ids,
        account_id=member_ids,
        role=st.sampled_from(["admin", "member"]),
    ),
    st.builds(RemoveTeamMember, team_id=team_ids, account_id=member_ids),
)
"""One team command, sometimes invalid, for a missing team, or for a non-member."""

# Every sequence opens with ann owning the organization, bob (admin) and cid
# (member) in it and in team t1, and dee invited (i1, expiring after three hours).
_ACCESS_OPENING: list[AccessCommand] = [
    CreateOrganization(
        org_id="o1", name="acme", owner_account_id="ann", owner_email="ann@example.com"
    ),
    AddMember(account_id="bob", email="bob@example.com", role="admin", actor_role="owner"),
    AddMember(account_id="cid", email="cid@example.com", role="member", actor_role="admin"),
    CreateInvitation(
        invitation_id="i1",
        email="dee@example.com",
        role="member",
        token_hash="h1",
        expires_at=BASE_TIME + timedelta(hours=3),
        actor_role="admin",
    ),
]
_TEAM_OPENING: list[TeamCommand] = [
    CreateTeam(team_id="t1", name="Ops"),
    AddTeamMember(team_id="t1", account_id="bob", role="admin"),
    AddTeamMember(team_id="t1", account_id="cid"),
]
_minutes = st.sampled_from([0, 1, 10, 30, 90])

access_steps: st.SearchStrategy[list[tuple[int, AccessCommand]]] = st.lists(
    st.tuples(_minutes, access_command), min_size=5, max_size=60
).map(lambda rest: [(0, c) for c in _ACCESS_OPENING] + rest)
"""Access command sequences: (minutes since the previous command, command), opening with
the organization, its owner ann, members bob and cid, and an invitation for dee."""

org_membership_steps: st.SearchStrategy[list[tuple[int, AccessCommand | TeamCommand]]] = st.lists(
    st.tuples(
        _minutes,
        st.sampled_from([access_command, team_command]).flatmap(lambda strategy: strategy),
    ),
    min_size=5,
    max_size=80,
).map(lambda rest: [(0, c) for c in [*_ACCESS_OPENING, *_TEAM_OPENING]] + rest)
"""Access and team command sequences through the org aggregate, opening like access_steps
and with bob and cid in team t1."""
