"""Contact commands through the org aggregate replay exactly, and keep the contacts consistent."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from engine import access
from engine.access import AddMember, CreateOrganization, RemoveMember
from engine.contacts import (
    DEFAULT_EMAIL_METHOD_ID,
    MAX_METHODS,
    MAX_RULES,
    AddContactMethod,
    AddNotificationRule,
    DeleteContactMethod,
    DeleteNotificationRule,
    QuietHours,
    ResendVerification,
    SetQuietHours,
    StepSpec,
    UpdateContactMethod,
    UpdateNotificationRule,
    VerifyContactMethod,
    notification_plan,
    quiet_at,
)
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
from engine.schedules import Restriction, TimeWindow
from tests.strategies import BASE_TIME

CTX = CommandContext(principal_kind="user", principal_id="ann")

accounts = st.sampled_from(["ann", "ann", "ann", "bob", "cid", "eve"])
method_ids = st.sampled_from(["m1", "m1", "m2", DEFAULT_EMAIL_METHOD_ID])
rule_ids = st.sampled_from(["r1", "r2", "default-new-alert"])
code_hashes = st.sampled_from([None, "h1", "h1", "h2"])
addresses = st.sampled_from(
    ["a@example.com", "B@example.com", "C0123ABC", "https://hooks.example/x", "nope", ""]
)
optional_bool = st.none() | st.booleans()
priorities = st.lists(st.sampled_from(["P1", "P2", "P3", "P5", "P9"]), max_size=3).map(tuple)
restrictions = st.none() | st.sampled_from(
    [
        Restriction(type="time-of-day", windows=(TimeWindow(start_minute=60, end_minute=600),)),
        Restriction(
            type="weekday-and-time-of-day",
            windows=(TimeWindow(start_day=5, start_minute=0, end_day=1, end_minute=0),),
        ),
        Restriction(type="time-of-day", windows=()),
    ]
)
step_specs = st.lists(
    st.builds(
        StepSpec,
        id=st.sampled_from(["s1", "s2", "s3"]),
        contact_method_id=method_ids,
        send_after_minutes=st.sampled_from([0, 0, 5, 30, 2000]),
        enabled=st.booleans(),
    ),
    max_size=3,
).map(tuple)
quiet_hours = st.builds(
    QuietHours,
    enabled=st.booleans(),
    timezone=st.sampled_from(["UTC", "Europe/Berlin", "Bad/Zone"]),
    start_minute=st.sampled_from([0, 22 * 60, 1440]),
    end_minute=st.sampled_from([0, 7 * 60]),
    days=st.sampled_from([(1, 2, 3, 4, 5), (7,), ()]),
    except_priorities=st.sampled_from([("P1",), (), ("P1", "P2")]),
)

# (method, address) pairs, mostly valid, so that verification flows get exercised.
method_addresses = st.sampled_from(
    [
        ("email", "a@example.com"),
        ("email", "B@example.com"),
        ("email", "c@example.com"),
        ("slack", "C0123ABC"),
        ("webhook", "https://hooks.example/x"),
        ("teams", "https://teams.example/x"),
        ("sms", "+15555550100"),
        ("email", "nope"),
    ]
)
add_method = st.builds(
    lambda account_id, method_id, pair, secret, code_hash: AddContactMethod(
        account_id=account_id,
        method_id=method_id,
        method=pair[0],
        address=pair[1],
        secret=secret,
        code_hash=code_hash,
    ),
    accounts,
    method_ids,
    method_addresses,
    st.sampled_from([None, "s3cret", "s3cret"]),
    code_hashes,
)
verify = st.builds(
    VerifyContactMethod,
    account_id=st.just("ann"),
    method_id=st.sampled_from(["m1", "m2"]),
    code_hash=st.sampled_from(["h1", "h2", "bad"]),
)

contact_command = st.one_of(
    add_method,
    add_method,
    st.builds(
        UpdateContactMethod,
        account_id=accounts,
        method_id=method_ids,
        name=st.none() | st.sampled_from(["Work", " "]),
        address=st.none() | addresses,
        enabled=optional_bool,
        code_hash=code_hashes,
    ),
    st.builds(DeleteContactMethod, account_id=accounts, method_id=method_ids),
    verify,
    verify,
    verify,
    st.builds(
        ResendVerification,
        account_id=accounts,
        method_id=method_ids,
        code_hash=st.sampled_from(["h1", "h2", ""]),
    ),
    st.builds(
        AddNotificationRule,
        account_id=accounts,
        rule_id=rule_ids,
        name=st.sampled_from(["Urgent", " "]),
        enabled=st.booleans(),
        order=st.none() | st.integers(0, 4),
        priorities=priorities,
        time_restriction=restrictions,
        timezone=st.sampled_from(["UTC", "America/New_York"]),
        steps=step_specs,
    ),
    st.builds(
        UpdateNotificationRule,
        account_id=accounts,
        rule_id=rule_ids,
        name=st.none() | st.just("Renamed"),
        enabled=optional_bool,
        order=st.none() | st.integers(0, 4),
        priorities=st.none() | priorities,
        time_restriction=restrictions,
        clear_time_restriction=st.booleans(),
        timezone=st.none() | st.just("Asia/Tokyo"),
        steps=st.none() | step_specs,
    ),
    st.builds(DeleteNotificationRule, account_id=accounts, rule_id=rule_ids),
    st.builds(SetQuietHours, account_id=accounts, quiet_hours=quiet_hours),
)
membership_command = st.sampled_from(
    [
        RemoveMember(account_id="bob", actor_role="owner"),
        AddMember(account_id="bob", email="bob@example.com", role="member", actor_role="owner"),
    ]
)
# Mostly contact commands; now and then bob leaves or (re)joins.
command = st.one_of(*[contact_command] * 6, membership_command)
_OPENING: list[Command] = [
    CreateOrganization(
        org_id="o1", name="acme", owner_account_id="ann", owner_email="ann@example.com"
    ),
    AddMember(account_id="bob", email="bob@example.com", role="admin", actor_role="owner"),
    AddMember(account_id="cid", email="cid@example.com", role="member", actor_role="admin"),
]
contact_steps = st.lists(
    st.tuples(st.sampled_from([0, 0, 1, 2, 20]), command),
    min_size=5,
    max_size=60,
).map(lambda rest: [(0, c) for c in _OPENING] + rest)


def check_invariants(state: OrgState) -> None:
    """Only members have contacts; steps use existing methods; codes wait on unverified emails."""
    for account_id, user in state.contacts.users.items():
        assert access.member_role(state.access, account_id) is not None
        assert DEFAULT_EMAIL_METHOD_ID in user.methods
        assert len(user.methods) <= MAX_METHODS
        assert len(user.rules) <= MAX_RULES
        for rule in user.rules.values():
            assert all(s.contact_method_id in user.methods for s in rule.steps)
        for method_id in user.verifications:
            method = user.methods[method_id]
            assert (method.method, method.verified) == ("email", False)
        for priority in ("P1", "P3"):
            planned = notification_plan(
                state.contacts, account_id, "x@example.com", priority, BASE_TIME
            )
            assert all(p.contact_method_id in user.methods for p in planned)
            quiet_at(state.contacts, account_id, priority, BASE_TIME)


@settings(max_examples=300, deadline=None)
@given(steps=contact_steps)
def test_replaying_contact_events_rebuilds_the_live_state(
    steps: list[tuple[int, Command]],
) -> None:
    """The encoded log folds to the live org state; refused commands change nothing."""
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
