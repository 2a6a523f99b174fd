"""The contacts area: contact methods, verification, notification rules and quiet hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from engine import contacts
from engine.access import AddMember, CreateOrganization, DeleteOrganization, RemoveMember
from engine.contacts import (
    BEGINNING,
    DEFAULT_EMAIL_METHOD_ID,
    DEFAULT_RULE_ID,
    AddContactMethod,
    AddNotificationRule,
    ContactCommand,
    ContactEvent,
    ContactMethod,
    ContactMethodAdded,
    ContactMethodDeleted,
    ContactMethodUpdated,
    ContactMethodVerified,
    ContactsState,
    ContactVerificationFailed,
    ContactVerificationStarted,
    DeleteContactMethod,
    DeleteNotificationRule,
    NotificationRuleAdded,
    NotificationRuleDeleted,
    NotificationRuleUpdated,
    PlannedStep,
    QuietHours,
    QuietHoursSet,
    ResendVerification,
    SetQuietHours,
    StepSpec,
    UpdateContactMethod,
    UpdateNotificationRule,
    UserContactsRemoved,
    VerifyContactMethod,
    configured,
    default_contacts,
    method_of,
    methods_of,
    notification_plan,
    quiet_at,
    quiet_covers,
    quiet_hours_of,
    restriction_covers,
    rule_of,
    rules_of,
    verification_hash,
    verification_of,
)
from engine.context import CommandContext
from engine.errors import Conflict, NotFound, Rejected
from engine.org import execute, initial_state
from engine.schedules import Restriction, TimeWindow
from tests.helpers.decider import NOW, Decider

ANN = "ann"
EMAIL = "ann@example.com"


def _decide(state: ContactsState, command: ContactCommand, now: datetime) -> list[ContactEvent]:
    return contacts.decide(state, command, now, email=EMAIL)


CONTACTS: Decider[ContactsState, ContactCommand, ContactEvent] = Decider(
    contacts.initial_state, _decide, contacts.evolve
)
T1 = NOW + timedelta(minutes=1)
T2 = NOW + timedelta(minutes=2)

ACCOUNT_EMAIL = default_contacts(ANN, EMAIL, NOW).methods[DEFAULT_EMAIL_METHOD_ID]
DEFAULT_RULE = default_contacts(ANN, EMAIL, NOW).rules[DEFAULT_RULE_ID]
MATERIALIZED: list[ContactEvent] = [
    ContactMethodAdded(account_id=ANN, method=ACCOUNT_EMAIL, at=NOW),
    NotificationRuleAdded(
        account_id=ANN, rule=DEFAULT_RULE, order=1, rules_since=BEGINNING, at=NOW
    ),
]
SLACK = ContactMethod(
    id="m-slack",
    account_id=ANN,
    method="slack",
    address="C0123ABC",
    name="Slack (C0123ABC)",
    enabled=True,
    verified=True,
    created_at=NOW,
)
ADD_SLACK = AddContactMethod(
    account_id=ANN, method_id="m-slack", method="slack", address="C0123ABC"
)
WITH_SLACK = [*MATERIALIZED, ContactMethodAdded(account_id=ANN, method=SLACK, at=NOW)]
CODE = verification_hash("123456", "m-work")
ADD_WORK = AddContactMethod(
    account_id=ANN, method_id="m-work", method="email", address="Ann@Work.example", code_hash=CODE
)


def events_of(history: list[ContactEvent], command: ContactCommand, now: datetime = NOW) -> list:
    return CONTACTS.given(history).when(command, now=now).events


def state_after(history: list[ContactEvent], *commands: ContactCommand) -> ContactsState:
    """The state after ``commands`` (each decided at NOW + i minutes) on ``history``."""
    events = list(history)
    for i, command in enumerate(commands):
        events += events_of(events, command, NOW + timedelta(minutes=i))
    return CONTACTS.fold(events)


def steps(*pairs: tuple[str, int]) -> tuple[StepSpec, ...]:
    return tuple(
        StepSpec(id=f"s{i}", contact_method_id=m, send_after_minutes=d)
        for i, (m, d) in enumerate(pairs)
    )


def plan(state: ContactsState, priority: str = "P3", at: datetime = NOW) -> list[tuple]:
    return [
        (p.rule_id, p.contact_method_id, p.delay_minutes, p.since)
        for p in notification_plan(state, ANN, EMAIL, priority, at)
    ]


# -- the default ---------------------------------------------------------------------------


def test_a_member_who_never_configured_anything_is_paged_on_their_account_email() -> None:
    """Without any event: one verified method (the account email) and one immediate step."""
    state = contacts.initial_state()
    (method,) = methods_of(state, ANN, EMAIL)
    assert (method.id, method.method, method.address, method.verified, method.enabled) == (
        DEFAULT_EMAIL_METHOD_ID,
        "email",
        EMAIL,
        True,
        True,
    )
    assert method_of(state, ANN, EMAIL, DEFAULT_EMAIL_METHOD_ID) == method
    assert method_of(state, ANN, EMAIL, "nope") is None
    expected = PlannedStep(
        rule_id=DEFAULT_RULE_ID,
        contact_method_id=DEFAULT_EMAIL_METHOD_ID,
        delay_minutes=0,
        since=datetime.min.replace(tzinfo=UTC),
    )
    assert (expected,) == notification_plan(state, ANN, EMAIL, "P5", NOW)
    assert [r.id for r in rules_of(state, ANN)] == [DEFAULT_RULE_ID]
    assert rule_of(state, ANN, DEFAULT_RULE_ID) is not None
    assert QuietHours() == quiet_hours_of(state, ANN)
    assert not quiet_at(state, ANN, "P5", NOW)
    assert verification_of(state, ANN, DEFAULT_EMAIL_METHOD_ID) is None


def test_the_first_change_materializes_the_default_without_changing_the_plan() -> None:
    """Events storing the default come first; its step and rules keep ``since`` = the beginning."""
    state = CONTACTS.given().when(ADD_SLACK).then(WITH_SLACK)
    assert [m.id for m in methods_of(state, ANN, EMAIL)] == [DEFAULT_EMAIL_METHOD_ID, "m-slack"]
    assert configured(state, ANN)
    assert not configured(state, "bob")
    assert plan(state) == [(DEFAULT_RULE_ID, DEFAULT_EMAIL_METHOD_ID, 0, BEGINNING)]


def test_a_command_that_changes_nothing_materializes_nothing() -> None:
    """Default quiet hours on a member who never configured anything: no events."""
    CONTACTS.given().when(SetQuietHours(account_id=ANN, quiet_hours=QuietHours())).then([])


def test_the_account_email_follows_the_account() -> None:
    """A stored account-email method reads the account's current email."""
    state = CONTACTS.fold(WITH_SLACK)
    method = method_of(state, ANN, "new@example.com", DEFAULT_EMAIL_METHOD_ID)
    assert method is not None
    assert method.address == "new@example.com"
    assert methods_of(state, ANN, "")[0].address == EMAIL


# -- contact methods -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "address", "normalised"),
    [
        ("email", " Bob@Example.COM ", "bob@example.com"),
        (
            "slack",
            "https://hooks.slack.com/services/T0/B0/x",
            "https://hooks.slack.com/services/T0/B0/x",
        ),
        ("slack", "U024BE7LH", "U024BE7LH"),
        ("teams", "https://example.webhook.office.com/x", "https://example.webhook.office.com/x"),
        ("webhook", "http://hooks.example/in", "http://hooks.example/in"),
    ],
)
def test_addresses_are_checked_and_normalised(method: str, address: str, normalised: str) -> None:
    """Emails are lowercased; Slack takes a webhook URL or a channel/user id."""
    command = AddContactMethod(
        account_id=ANN, method_id="m1", method=method, address=address, secret="s"
    )
    added = events_of([], command)[-1]
    assert isinstance(added, ContactMethodAdded)
    assert normalised == added.method.address
    assert (method != "email") == added.method.verified
    assert ("s" if method == "webhook" else None) == added.method.secret


@pytest.mark.parametrize(
    ("method", "address", "field", "words"),
    [
        ("email", "not-an-email", "address", "not an email"),
        ("email", "a@b", "address", "not an email"),
        ("email", "x" * 250 + "@example.com", "address", "not an email"),
        ("email", " ", "address", "1-2000"),
        ("slack", "http://hooks.slack.com/x", "address", "Slack"),
        ("slack", "c0123abc", "address", "Slack"),
        ("teams", "http://example.com/x", "address", "Teams"),
        ("webhook", "ftp://example.com/x", "address", "http"),
        ("webhook", "https:///nohost", "address", "http"),
        ("webhook", "https://example.com/a b", "address", "http"),
        ("webhook", "http://[::1/in", "address", "http"),  # urlsplit raises: still a 422
        ("teams", "https://[fe80::1/x", "address", "Teams"),
        ("sms", "+15555550100", "method", "no sms"),
        ("voice", "+15555550100", "method", "no voice"),
        ("pager", "x", "method", "email, slack, teams, webhook"),
    ],
)
def test_bad_addresses_and_methods_are_refused_naming_the_field(
    method: str, address: str, field: str, words: str
) -> None:
    """Each method's address rule; Opsgenie's sms/voice/mobile are named as unsupported."""
    command = AddContactMethod(
        account_id=ANN, method_id="m1", method=method, address=address, secret="s"
    )
    error = CONTACTS.given().when(command).then_rejected("invalid_field", field=field)
    assert words in error.message


@pytest.mark.parametrize(
    ("command", "field"),
    [
        (
            AddContactMethod(account_id=ANN, method_id=" ", method="slack", address="C012"),
            "method_id",
        ),
        (
            AddContactMethod(
                account_id=ANN, method_id="m", method="webhook", address="https://x.io"
            ),
            "secret",
        ),
        (
            AddContactMethod(
                account_id=ANN, method_id="m", method="slack", address="C012", name="n" * 101
            ),
            "name",
        ),
    ],
)
def test_method_fields_are_checked(command: AddContactMethod, field: str) -> None:
    """Ids are required, a webhook needs its secret, names are at most 100 characters."""
    CONTACTS.given().when(command).then_rejected("invalid_field", field=field)


def test_names_default_from_the_address() -> None:
    """A URL method is named after its host, others after their address."""
    command = AddContactMethod(
        account_id=ANN, method_id="m", method="teams", address="https://acme.office.com/wh"
    )
    added = events_of([], command)[-1]
    assert isinstance(added, ContactMethodAdded)
    assert added.method.name == "Teams (acme.office.com)"
    named = msgspec.structs.replace(command, name="  Pager  ")
    added = events_of([], named)[-1]
    assert isinstance(added, ContactMethodAdded)
    assert added.method.name == "Pager"


def test_a_method_is_added_once() -> None:
    """The same id, or the same method and address (the account email too), is a conflict."""
    for command in (
        ADD_SLACK,
        msgspec.structs.replace(ADD_SLACK, method_id="m2"),
        AddContactMethod(account_id=ANN, method_id="m3", method="email", address="ANN@example.com"),
    ):
        with pytest.raises(Conflict) as raised:
            CONTACTS.given(WITH_SLACK).when(command)
        assert raised.value.code == "contact_method_exists"


def test_a_member_has_at_most_20_methods() -> None:
    """The account email counts; the 21st method is refused."""
    history = list(MATERIALIZED)
    for i in range(19):
        command = AddContactMethod(
            account_id=ANN, method_id=f"m{i}", method="slack", address=f"C{i:04d}"
        )
        history += events_of(history, command)
    more = AddContactMethod(account_id=ANN, method_id="m99", method="slack", address="C9999")
    CONTACTS.given(history).when(more).then_rejected("too_many_contact_methods")


def test_update_renames_readdresses_and_disables() -> None:
    """A changed field is one event; an unchanged update is none."""
    rename = UpdateContactMethod(account_id=ANN, method_id="m-slack", name="Chat")
    renamed = msgspec.structs.replace(SLACK, name="Chat")
    CONTACTS.given(WITH_SLACK).when(rename, now=T1).then(
        [ContactMethodUpdated(account_id=ANN, method=renamed, at=T1)]
    )
    move = UpdateContactMethod(account_id=ANN, method_id="m-slack", address="D0999", enabled=False)
    moved = msgspec.structs.replace(SLACK, address="D0999", enabled=False)
    CONTACTS.given(WITH_SLACK).when(move, now=T1).then(
        [ContactMethodUpdated(account_id=ANN, method=moved, at=T1)]
    )
    same = UpdateContactMethod(account_id=ANN, method_id="m-slack", address="C0123ABC", name=None)
    CONTACTS.given(WITH_SLACK).when(same).then([])
    missing = UpdateContactMethod(account_id=ANN, method_id="nope", name="x")
    CONTACTS.given(WITH_SLACK).when(missing).then_rejected("contact_method_not_found")


def test_the_account_email_can_be_disabled_but_not_readdressed() -> None:
    """Its address is the account's; disabling it materializes the default first."""
    disable = UpdateContactMethod(account_id=ANN, method_id=DEFAULT_EMAIL_METHOD_ID, enabled=False)
    state = (
        CONTACTS.given()
        .when(disable)
        .then(
            [
                *MATERIALIZED,
                ContactMethodUpdated(
                    account_id=ANN,
                    method=msgspec.structs.replace(ACCOUNT_EMAIL, enabled=False),
                    at=NOW,
                ),
            ]
        )
    )
    method = method_of(state, ANN, EMAIL, DEFAULT_EMAIL_METHOD_ID)
    assert method is not None
    assert not method.enabled
    same = UpdateContactMethod(account_id=ANN, method_id=DEFAULT_EMAIL_METHOD_ID, address=EMAIL)
    CONTACTS.given().when(same).then([])
    readdress = UpdateContactMethod(
        account_id=ANN, method_id=DEFAULT_EMAIL_METHOD_ID, address="x@example.com"
    )
    CONTACTS.given().when(readdress).then_rejected("invalid_field", field="address")


def test_a_readdressed_email_is_unverified_again() -> None:
    """A new address voids the old code; a code hash starts a new verification."""
    history = [*MATERIALIZED, *events_of(MATERIALIZED, ADD_WORK)]
    history += events_of(
        history, VerifyContactMethod(account_id=ANN, method_id="m-work", code_hash=CODE)
    )
    code = verification_hash("654321", "m-work")
    move = UpdateContactMethod(
        account_id=ANN, method_id="m-work", address="ann@new.example", code_hash=code
    )
    events = events_of(history, move, T1)
    updated, started = events
    assert isinstance(updated, ContactMethodUpdated)
    assert (updated.method.address, updated.method.verified) == ("ann@new.example", False)
    assert isinstance(started, ContactVerificationStarted)
    assert (started.code_hash, started.expires_at) == (code, T1 + timedelta(minutes=15))
    # without a code (no mailer), the pending code of the old address is void
    pending = [*MATERIALIZED, *events_of(MATERIALIZED, ADD_WORK)]
    bare = UpdateContactMethod(account_id=ANN, method_id="m-work", address="ann@other.example")
    state = CONTACTS.fold([*pending, *events_of(pending, bare, T1)])
    assert verification_of(state, ANN, "m-work") is None


def test_delete_removes_the_method_and_the_steps_using_it() -> None:
    """Steps of any rule that send to the deleted method go with it."""
    add_rule = AddNotificationRule(
        account_id=ANN,
        rule_id="r1",
        name="Chat",
        order=1,
        steps=steps(("m-slack", 0), (DEFAULT_EMAIL_METHOD_ID, 5)),
    )
    history = [*WITH_SLACK, *events_of(WITH_SLACK, add_rule)]
    delete = DeleteContactMethod(account_id=ANN, method_id="m-slack")
    state = (
        CONTACTS.given(history)
        .when(delete, now=T1)
        .then([ContactMethodDeleted(account_id=ANN, method_id="m-slack", at=T1)])
    )
    assert method_of(state, ANN, EMAIL, "m-slack") is None
    assert plan(state) == [("r1", DEFAULT_EMAIL_METHOD_ID, 5, NOW)]
    assert [s.contact_method_id for s in state.users[ANN].rules["r1"].steps] == [
        DEFAULT_EMAIL_METHOD_ID
    ]


def test_the_account_email_is_never_deleted() -> None:
    """Deleting it is refused (disable it instead); an unknown method is not found."""
    delete = DeleteContactMethod(account_id=ANN, method_id=DEFAULT_EMAIL_METHOD_ID)
    CONTACTS.given().when(delete).then_rejected("default_contact_method")
    CONTACTS.given().when(DeleteContactMethod(account_id=ANN, method_id="x")).then_rejected(
        "contact_method_not_found"
    )


# -- verification --------------------------------------------------------------------------


def _added_work() -> list[ContactEvent]:
    return [*MATERIALIZED, *events_of(MATERIALIZED, ADD_WORK)]


def test_an_added_email_waits_for_its_code() -> None:
    """Unverified, with a code hash valid for 15 minutes."""
    events = events_of(MATERIALIZED, ADD_WORK)
    added, started = events
    assert isinstance(added, ContactMethodAdded)
    assert (added.method.address, added.method.verified) == ("ann@work.example", False)
    assert started == ContactVerificationStarted(
        account_id=ANN,
        method_id="m-work",
        code_hash=CODE,
        expires_at=NOW + timedelta(minutes=15),
        at=NOW,
    )
    state = CONTACTS.fold([*MATERIALIZED, *events])
    pending = verification_of(state, ANN, "m-work")
    assert pending is not None
    assert (pending.attempts, pending.sent_at) == (0, NOW)


def test_the_right_code_verifies_and_a_second_try_changes_nothing() -> None:
    """Verified once; verifying a verified method is no event."""
    verify = VerifyContactMethod(account_id=ANN, method_id="m-work", code_hash=CODE)
    state = (
        CONTACTS.given(_added_work())
        .when(verify, now=T1)
        .then([ContactMethodVerified(account_id=ANN, method_id="m-work", at=T1)])
    )
    method = method_of(state, ANN, EMAIL, "m-work")
    assert method is not None
    assert method.verified
    assert verification_of(state, ANN, "m-work") is None
    history = [*_added_work(), ContactMethodVerified(account_id=ANN, method_id="m-work", at=T1)]
    CONTACTS.given(history).when(verify).then([])


def test_five_wrong_codes_void_the_code() -> None:
    """Each wrong code is an event (so the count survives a restart); the fifth voids it."""
    history = _added_work()
    wrong = VerifyContactMethod(account_id=ANN, method_id="m-work", code_hash="bad")
    for attempt in range(1, 6):
        events = events_of(history, wrong, T1)
        assert [
            ContactVerificationFailed(account_id=ANN, method_id="m-work", attempts=attempt, at=T1)
        ] == events
        history += events
    state = CONTACTS.fold(history)
    assert verification_of(state, ANN, "m-work") is None
    right = VerifyContactMethod(account_id=ANN, method_id="m-work", code_hash=CODE)
    CONTACTS.given(history).when(right).then_rejected("verification_not_pending", field="code")


def test_an_expired_code_is_refused() -> None:
    """At 15 minutes the code no longer verifies."""
    verify = VerifyContactMethod(account_id=ANN, method_id="m-work", code_hash=CODE)
    CONTACTS.given(_added_work()).when(verify, now=NOW + timedelta(minutes=15)).then_rejected(
        "verification_expired", field="code"
    )


def test_resend_issues_a_new_code_at_most_once_a_minute() -> None:
    """A new code replaces the old one; too soon is refused; a verified method needs none."""
    new = verification_hash("111111", "m-work")
    resend = ResendVerification(account_id=ANN, method_id="m-work", code_hash=new)
    CONTACTS.given(_added_work()).when(resend, now=NOW + timedelta(seconds=59)).then_rejected(
        "verification_resent_too_soon"
    )
    later = NOW + timedelta(minutes=20)
    state = (
        CONTACTS.given(_added_work())
        .when(resend, now=later)
        .then(
            [
                ContactVerificationStarted(
                    account_id=ANN,
                    method_id="m-work",
                    code_hash=new,
                    expires_at=later + timedelta(minutes=15),
                    at=later,
                )
            ]
        )
    )
    pending = verification_of(state, ANN, "m-work")
    assert pending is not None
    assert new == pending.code_hash
    empty = msgspec.structs.replace(resend, code_hash="")
    CONTACTS.given(_added_work()).when(empty, now=later).then_rejected(
        "invalid_field", field="code_hash"
    )
    slack = ResendVerification(account_id=ANN, method_id="m-slack", code_hash=new)
    CONTACTS.given(WITH_SLACK).when(slack).then_rejected("contact_method_verified")


def test_without_a_code_an_email_stays_unverified_until_one_is_sent() -> None:
    """No mailer: no code; verifying then says none is pending; resending starts one."""
    bare = msgspec.structs.replace(ADD_WORK, code_hash=None)
    history = [*MATERIALIZED, *events_of(MATERIALIZED, bare)]
    assert len(history) - len(MATERIALIZED) == 1
    verify = VerifyContactMethod(account_id=ANN, method_id="m-work", code_hash=CODE)
    CONTACTS.given(history).when(verify).then_rejected("verification_not_pending")
    resend = ResendVerification(account_id=ANN, method_id="m-work", code_hash=CODE)
    assert len(events_of(history, resend)) == 1


# -- notification rules --------------------------------------------------------------------

PAGER = AddContactMethod(
    account_id=ANN,
    method_id="m-hook",
    method="webhook",
    address="https://pager.example/in",
    secret="k",
)


def test_a_new_rule_goes_where_its_order_says() -> None:
    """1-based; none, 0 or past the end is last; the first matching rule applies."""
    first = AddNotificationRule(
        account_id=ANN,
        rule_id="r1",
        name=" Urgent ",
        order=1,
        priorities=("P2", "P1", "P1"),
        steps=steps(("m-slack", 0)),
    )
    events = events_of(WITH_SLACK, first, T1)
    (added,) = events
    assert isinstance(added, NotificationRuleAdded)
    assert (added.order, added.rules_since, added.rule.name, added.rule.priorities) == (
        1,
        T1,
        "Urgent",
        ("P1", "P2"),
    )
    state = CONTACTS.fold([*WITH_SLACK, *events])
    assert [r.id for r in rules_of(state, ANN)] == ["r1", DEFAULT_RULE_ID]
    assert plan(state, "P1") == [("r1", "m-slack", 0, T1)]
    assert plan(state, "P3") == [(DEFAULT_RULE_ID, DEFAULT_EMAIL_METHOD_ID, 0, T1)]
    for order, position in ((None, 2), (0, 2), (9, 2), (2, 2)):
        other = AddNotificationRule(account_id=ANN, rule_id="r2", name="x", order=order)
        (event,) = events_of(WITH_SLACK, other)
        assert isinstance(event, NotificationRuleAdded)
        assert position == event.order


def test_rule_fields_are_checked() -> None:
    """Names, action types, priorities, time zones and restrictions, naming the field."""
    base = AddNotificationRule(account_id=ANN, rule_id="r1", name="n")
    weekly = Restriction(type="weekday-and-time-of-day", windows=(TimeWindow(start_minute=0),))
    daily_with_days = Restriction(type="time-of-day", windows=(TimeWindow(start_day=1, end_day=2),))
    cases = [
        (msgspec.structs.replace(base, rule_id=""), "rule_id"),
        (msgspec.structs.replace(base, name=" "), "name"),
        (msgspec.structs.replace(base, action_type="schedule-start"), "actionType"),
        (msgspec.structs.replace(base, priorities=("P6",)), "criteria"),
        (msgspec.structs.replace(base, timezone="Mars/Olympus"), "timeZone"),
        (msgspec.structs.replace(base, timezone=""), "timeZone"),
        (
            msgspec.structs.replace(
                base, time_restriction=Restriction(type="time-of-day", windows=())
            ),
            "timeRestriction",
        ),
        (
            msgspec.structs.replace(base, time_restriction=Restriction(type="hourly", windows=())),
            "timeRestriction",
        ),  # type: ignore[arg-type]
        (msgspec.structs.replace(base, time_restriction=weekly), "timeRestriction"),
        (msgspec.structs.replace(base, time_restriction=daily_with_days), "timeRestriction"),
        (
            msgspec.structs.replace(
                base,
                time_restriction=Restriction(
                    type="time-of-day", windows=(TimeWindow(start_minute=1440),)
                ),
            ),
            "timeRestriction",
        ),
    ]
    for command, field in cases:
        CONTACTS.given().when(command).then_rejected("invalid_field", field=field)


def test_steps_are_checked() -> None:
    """Known methods, delays 0-1440, distinct ids and (method, delay), at most 10."""
    base = AddNotificationRule(account_id=ANN, rule_id="r1", name="n")
    cases = [
        (steps(("nope", 0)), "contactMethodId"),
        (steps((DEFAULT_EMAIL_METHOD_ID, 1441)), "sendAfterMinutes"),
        (steps((DEFAULT_EMAIL_METHOD_ID, -1)), "sendAfterMinutes"),
        (steps((DEFAULT_EMAIL_METHOD_ID, 5), (DEFAULT_EMAIL_METHOD_ID, 5)), "steps"),
        (
            (
                StepSpec(id="s", contact_method_id=DEFAULT_EMAIL_METHOD_ID),
                StepSpec(id="s", contact_method_id=DEFAULT_EMAIL_METHOD_ID, send_after_minutes=1),
            ),
            "steps",
        ),
        (steps(*((DEFAULT_EMAIL_METHOD_ID, i) for i in range(11))), "steps"),
        ((StepSpec(id="", contact_method_id=DEFAULT_EMAIL_METHOD_ID),), "steps"),
    ]
    for specs, field in cases:
        command = msgspec.structs.replace(base, steps=specs)
        CONTACTS.given().when(command).then_rejected("invalid_field", field=field)


def test_a_member_has_at_most_10_rules_each_once() -> None:
    """The default counts; a used rule id is a conflict."""
    history = list(MATERIALIZED)
    for i in range(9):
        command = AddNotificationRule(account_id=ANN, rule_id=f"r{i}", name=f"rule {i}")
        history += events_of(history, command)
    more = AddNotificationRule(account_id=ANN, rule_id="r99", name="more")
    CONTACTS.given(history).when(more).then_rejected("too_many_notification_rules")
    with pytest.raises(Conflict) as raised:
        CONTACTS.given(history).when(msgspec.structs.replace(more, rule_id="r0"))
    assert raised.value.code == "notification_rule_exists"


def test_the_plan_is_the_first_matching_rules_enabled_steps_by_delay() -> None:
    """Disabled rules and steps are skipped; a matching rule without steps means no page."""
    history = [*WITH_SLACK, *events_of(WITH_SLACK, PAGER)]
    rule = AddNotificationRule(
        account_id=ANN,
        rule_id="r1",
        name="Chat",
        order=1,
        steps=(
            StepSpec(id="a", contact_method_id="m-hook", send_after_minutes=10),
            StepSpec(id="b", contact_method_id="m-slack", send_after_minutes=0),
            StepSpec(id="c", contact_method_id="m-slack", send_after_minutes=5, enabled=False),
        ),
    )
    state = state_after(history, rule)
    assert plan(state) == [("r1", "m-slack", 0, NOW), ("r1", "m-hook", 10, NOW)]
    off = UpdateNotificationRule(account_id=ANN, rule_id="r1", enabled=False)
    state = state_after(history, rule, off)
    assert plan(state) == [(DEFAULT_RULE_ID, DEFAULT_EMAIL_METHOD_ID, 0, T1)]
    empty = UpdateNotificationRule(account_id=ANN, rule_id="r1", steps=())
    assert plan(state_after(history, rule, empty)) == []
    no_default = DeleteNotificationRule(account_id=ANN, rule_id=DEFAULT_RULE_ID)
    assert plan(state_after(history, rule, off, no_default)) == []  # no rule matches


def test_a_time_restriction_is_read_in_the_rules_time_zone() -> None:
    """A weekday-hours rule in New York applies 09:00-17:00 local, Monday to Friday."""
    office = Restriction(
        type="weekday-and-time-of-day",
        windows=tuple(
            TimeWindow(start_day=d, start_minute=9 * 60, end_day=d, end_minute=17 * 60)
            for d in range(1, 6)
        ),
    )
    rule = AddNotificationRule(
        account_id=ANN,
        rule_id="r1",
        name="Office",
        order=1,
        time_restriction=office,
        timezone="America/New_York",
        steps=steps(("m-slack", 0)),
    )
    state = state_after(WITH_SLACK, rule)
    tuesday_10_ny = datetime(2030, 1, 8, 15, 0, tzinfo=UTC)
    tuesday_8_ny = datetime(2030, 1, 8, 13, 0, tzinfo=UTC)
    saturday_10_ny = datetime(2030, 1, 12, 15, 0, tzinfo=UTC)
    assert plan(state, at=tuesday_10_ny)[0][0] == "r1"
    assert plan(state, at=tuesday_8_ny)[0][0] == DEFAULT_RULE_ID
    assert plan(state, at=saturday_10_ny)[0][0] == DEFAULT_RULE_ID


def test_restriction_windows_wrap_midnight_and_the_week() -> None:
    """End before start crosses midnight (the week's end); equal start and end is all."""
    night = Restriction(
        type="time-of-day", windows=(TimeWindow(start_minute=22 * 60, end_minute=6 * 60),)
    )
    allday = Restriction(
        type="time-of-day", windows=(TimeWindow(start_minute=300, end_minute=300),)
    )
    weekend = Restriction(
        type="weekday-and-time-of-day",
        windows=(TimeWindow(start_day=5, start_minute=18 * 60, end_day=1, end_minute=8 * 60),),
    )
    daily_in_weekly = Restriction(
        type="weekday-and-time-of-day", windows=(TimeWindow(start_minute=60, end_minute=120),)
    )
    monday = datetime(2030, 1, 7, tzinfo=UTC)
    at = {h: monday + timedelta(hours=h) for h in (-1, 1.5, 5, 7, 23, 24 * 4 + 19, 24 * 2)}
    assert restriction_covers(night, "UTC", at[-1])
    assert restriction_covers(night, "UTC", at[5])
    assert not restriction_covers(night, "UTC", at[7])
    assert restriction_covers(allday, "UTC", at[7])
    assert restriction_covers(weekend, "UTC", at[-1])  # Sunday 23:00
    assert restriction_covers(weekend, "UTC", at[7])  # Monday 07:00
    assert restriction_covers(weekend, "UTC", at[24 * 4 + 19])  # Friday 19:00
    assert not restriction_covers(weekend, "UTC", at[24 * 2])  # Wednesday
    assert restriction_covers(daily_in_weekly, "UTC", at[1.5])
    assert not restriction_covers(daily_in_weekly, "UTC", at[5])


def test_updates_change_only_what_they_name() -> None:
    """Rename, re-prioritise, move, restrict and unrestrict; nothing named is no event."""
    history = [
        *WITH_SLACK,
        *events_of(WITH_SLACK, AddNotificationRule(account_id=ANN, rule_id="r1", name="One")),
    ]
    night = Restriction(type="time-of-day", windows=(TimeWindow(start_minute=0, end_minute=60),))
    update = UpdateNotificationRule(
        account_id=ANN,
        rule_id="r1",
        name="Uno",
        priorities=("P1",),
        order=1,
        time_restriction=night,
        timezone="Europe/Paris",
    )
    (event,) = events_of(history, update, T1)
    assert isinstance(event, NotificationRuleUpdated)
    assert (
        event.order,
        event.rule.name,
        event.rule.priorities,
        event.rule.time_restriction,
        event.rule.timezone,
        event.rules_since,
    ) == (1, "Uno", ("P1",), night, "Europe/Paris", T1)
    state = CONTACTS.fold([*history, event])
    assert [r.id for r in rules_of(state, ANN)] == ["r1", DEFAULT_RULE_ID]
    clear = UpdateNotificationRule(account_id=ANN, rule_id="r1", clear_time_restriction=True)
    (cleared,) = events_of([*history, event], clear, T2)
    assert isinstance(cleared, NotificationRuleUpdated)
    assert cleared.rule.time_restriction is None
    CONTACTS.given(history).when(UpdateNotificationRule(account_id=ANN, rule_id="r1")).then([])
    CONTACTS.given(history).when(
        UpdateNotificationRule(account_id=ANN, rule_id="r1", order=2)
    ).then([])
    CONTACTS.given(history).when(UpdateNotificationRule(account_id=ANN, rule_id="x")).then_rejected(
        "notification_rule_not_found"
    )
    CONTACTS.given(history).when(DeleteNotificationRule(account_id=ANN, rule_id="x")).then_rejected(
        "notification_rule_not_found"
    )


# -- since: rules changed mid-cycle are not retroactive (scenarios S07, S08) ---------------


def test_steps_added_to_a_rule_start_now_and_the_others_keep_their_since() -> None:
    """S07/S08: new steps count from their addition; unchanged steps keep theirs."""
    add_steps = UpdateNotificationRule(
        account_id=ANN,
        rule_id=DEFAULT_RULE_ID,
        steps=(
            StepSpec(id="x", contact_method_id=DEFAULT_EMAIL_METHOD_ID, send_after_minutes=0),
            StepSpec(id="y", contact_method_id="m-slack", send_after_minutes=30),
            StepSpec(id="z", contact_method_id="m-slack", send_after_minutes=0),
        ),
    )
    events = events_of(WITH_SLACK, add_steps, T1)
    (updated,) = events
    assert isinstance(updated, NotificationRuleUpdated)
    assert updated.rules_since == BEGINNING  # steps changed, not which rule applies
    state = CONTACTS.fold([*WITH_SLACK, *events])
    assert plan(state) == [
        (DEFAULT_RULE_ID, DEFAULT_EMAIL_METHOD_ID, 0, BEGINNING),
        (DEFAULT_RULE_ID, "m-slack", 0, T1),
        (DEFAULT_RULE_ID, "m-slack", 30, T1),
    ]


def test_a_changed_or_re_enabled_step_starts_now() -> None:
    """A step whose delay changed, or that is enabled again, is new as of the change."""
    rule = AddNotificationRule(
        account_id=ANN,
        rule_id="r1",
        name="n",
        order=1,
        steps=(StepSpec(id="a", contact_method_id="m-slack", send_after_minutes=5, enabled=False),),
    )
    history = [*WITH_SLACK, *events_of(WITH_SLACK, rule)]
    enable = UpdateNotificationRule(
        account_id=ANN,
        rule_id="r1",
        steps=(StepSpec(id="a", contact_method_id="m-slack", send_after_minutes=5),),
    )
    state = CONTACTS.fold([*history, *events_of(history, enable, T2)])
    assert plan(state) == [("r1", "m-slack", 5, T2)]


def test_changes_to_which_rule_applies_rebase_every_step() -> None:
    """Enable/disable, priorities, moves and deletions set the member's rules_since."""
    history = [
        *WITH_SLACK,
        *events_of(
            WITH_SLACK,
            AddNotificationRule(
                account_id=ANN, rule_id="r1", name="n", priorities=("P1",), order=1
            ),
        ),
    ]
    for update in (
        UpdateNotificationRule(account_id=ANN, rule_id="r1", enabled=False),
        UpdateNotificationRule(account_id=ANN, rule_id="r1", priorities=("P2",)),
        UpdateNotificationRule(account_id=ANN, rule_id="r1", order=2),
        DeleteNotificationRule(account_id=ANN, rule_id="r1"),
    ):
        state = CONTACTS.fold([*history, *events_of(history, update, T2)])
        assert plan(state) == [(DEFAULT_RULE_ID, DEFAULT_EMAIL_METHOD_ID, 0, T2)], update
    rename = UpdateNotificationRule(account_id=ANN, rule_id="r1", name="renamed")
    state = CONTACTS.fold([*history, *events_of(history, rename, T2)])
    assert plan(state) == [(DEFAULT_RULE_ID, DEFAULT_EMAIL_METHOD_ID, 0, NOW)]


# -- quiet hours ---------------------------------------------------------------------------

WEEKNIGHTS = QuietHours(
    enabled=True,
    timezone="Europe/Berlin",
    start_minute=22 * 60,
    end_minute=7 * 60,
    days=(5, 1, 2, 3, 4, 4),
)


def test_quiet_hours_are_stored_normalised() -> None:
    """Days and exempt priorities sorted and distinct; setting them again is no event."""
    command = SetQuietHours(account_id=ANN, quiet_hours=WEEKNIGHTS)
    events = events_of([], command)
    normalised = msgspec.structs.replace(WEEKNIGHTS, days=(1, 2, 3, 4, 5))
    assert [*MATERIALIZED, QuietHoursSet(account_id=ANN, quiet_hours=normalised, at=NOW)] == events
    state = CONTACTS.fold(events)
    assert normalised == quiet_hours_of(state, ANN)
    CONTACTS.given(events).when(command).then([])


@pytest.mark.parametrize(
    ("quiet", "field"),
    [
        (QuietHours(timezone="Nowhere/Else"), "timeZone"),
        (QuietHours(start_minute=1440), "start"),
        (QuietHours(end_minute=-1), "end"),
        (QuietHours(days=()), "days"),
        (QuietHours(days=(8,)), "days"),
        (QuietHours(except_priorities=("P0",)), "exceptPriorities"),
    ],
)
def test_quiet_hours_fields_are_checked(quiet: QuietHours, field: str) -> None:
    CONTACTS.given().when(SetQuietHours(account_id=ANN, quiet_hours=quiet)).then_rejected(
        "invalid_field", field=field
    )


def test_quiet_hours_crossing_midnight_belong_to_the_day_they_start() -> None:
    """Friday 22:00-07:00 mutes Saturday 03:00; Sunday night (not a quiet day) is not muted."""
    state = CONTACTS.fold(events_of([], SetQuietHours(account_id=ANN, quiet_hours=WEEKNIGHTS)))
    berlin = datetime(2030, 1, 11, 21, 0, tzinfo=UTC)  # Friday 22:00 in Berlin (CET)
    assert quiet_at(state, ANN, "P3", berlin)
    assert quiet_at(state, ANN, "P3", berlin + timedelta(hours=5))  # Saturday 03:00
    assert not quiet_at(state, ANN, "P3", berlin + timedelta(hours=9))  # Saturday 07:00
    assert not quiet_at(state, ANN, "P3", berlin + timedelta(hours=24))  # Saturday 22:00
    assert not quiet_at(state, ANN, "P3", berlin + timedelta(hours=53))  # Monday 03:00
    assert quiet_at(state, ANN, "P3", berlin + timedelta(hours=72))  # Monday 22:00
    assert not quiet_at(state, ANN, "P1", berlin)  # exempt
    assert not quiet_at(state, "someone-else", "P3", berlin)


def test_quiet_hours_keep_local_time_across_dst() -> None:
    """22:00-07:00 in New York lasts ten hours the night clocks fall back (2030-11-03)."""
    quiet = QuietHours(
        enabled=True, timezone="America/New_York", start_minute=22 * 60, end_minute=7 * 60
    )
    start = datetime(2030, 11, 2, 20, 0, tzinfo=UTC)  # 16:00 EDT, Saturday
    muted = [
        start + timedelta(minutes=m)
        for m in range(0, 24 * 60, 15)
        if quiet_covers(quiet, start + timedelta(minutes=m))
    ]
    assert len(muted) == 10 * 4
    assert datetime(2030, 11, 3, 2, 0, tzinfo=UTC) == muted[0]  # 22:00 EDT
    assert datetime(2030, 11, 3, 12, 0, tzinfo=UTC) == muted[-1] + timedelta(
        minutes=15
    )  # 07:00 EST


def test_quiet_hours_edge_cases() -> None:
    """Equal start and end is the whole day; a daytime window; disabled mutes nothing."""
    monday_noon = datetime(2030, 1, 7, 12, 0, tzinfo=UTC)
    assert quiet_covers(QuietHours(start_minute=60, end_minute=60, days=(1,)), monday_noon)
    assert not quiet_covers(QuietHours(start_minute=60, end_minute=60, days=(2,)), monday_noon)
    assert quiet_covers(QuietHours(start_minute=600, end_minute=780, days=(1,)), monday_noon)
    assert not quiet_covers(QuietHours(start_minute=600, end_minute=700, days=(1,)), monday_noon)
    monday_1am = monday_noon - timedelta(hours=11)
    assert quiet_covers(QuietHours(days=(7,)), monday_1am)  # Sunday night's window
    assert not quiet_covers(QuietHours(days=(1,)), monday_1am)  # Monday's starts at 22:00
    state = CONTACTS.fold(
        events_of(
            [], SetQuietHours(account_id=ANN, quiet_hours=QuietHours(start_minute=0, end_minute=0))
        )
    )
    assert not quiet_at(state, ANN, "P5", monday_noon)
    assert not quiet_at(CONTACTS.fold(WITH_SLACK), ANN, "P5", monday_noon)


# -- removal and evolve's totality ---------------------------------------------------------


def test_a_removed_member_loses_their_contacts() -> None:
    """One event; afterwards they have the default again (if they come back)."""
    state = CONTACTS.fold(WITH_SLACK)
    assert [UserContactsRemoved(account_id=ANN, at=T1)] == contacts.remove_user(state, ANN, T1)
    assert contacts.remove_user(state, "bob", T1) == []
    contacts.evolve(state, UserContactsRemoved(account_id=ANN, at=T1))
    assert [m.id for m in methods_of(state, ANN, EMAIL)] == [DEFAULT_EMAIL_METHOD_ID]


def test_evolve_ignores_events_for_what_does_not_exist() -> None:
    """Events naming a member, method or code that is not there change nothing."""
    state = contacts.initial_state()
    for event in (
        ContactMethodVerified(account_id="bob", method_id="m", at=NOW),
        ContactVerificationFailed(account_id="bob", method_id="m", attempts=1, at=NOW),
    ):
        contacts.evolve(state, event)
    assert state.users == {}
    state = CONTACTS.fold(WITH_SLACK)
    before = msgspec.json.encode(state)
    contacts.evolve(
        state, ContactVerificationFailed(account_id=ANN, method_id="m-slack", attempts=1, at=NOW)
    )
    assert before == msgspec.json.encode(state)
    contacts.evolve(state, ContactMethodVerified(account_id=ANN, method_id="gone", at=NOW))
    assert "gone" not in state.users[ANN].methods
    contacts.evolve(state, ContactMethodUpdated(account_id=ANN, method=SLACK, at=NOW))
    assert state.users[ANN].methods["m-slack"] == SLACK
    contacts.evolve(state, NotificationRuleDeleted(account_id=ANN, rule_id="gone", at=T2))
    assert state.users[ANN].rules_since == T2


# -- through the organization --------------------------------------------------------------

CTX = CommandContext(principal_kind="user", principal_id=ANN)


def test_only_members_have_contacts_and_leaving_removes_them() -> None:
    """A stranger is user_not_found; the member's account email is their default address."""
    org = initial_state()
    for command in (
        CreateOrganization(org_id="o1", name="acme", owner_account_id=ANN, owner_email=EMAIL),
        AddMember(account_id="bob", email="bob@example.com", role="member", actor_role="owner"),
    ):
        execute(org, command, CTX, NOW)
    with pytest.raises(NotFound) as raised:
        execute(org, msgspec.structs.replace(ADD_SLACK, account_id="eve"), CTX, NOW)
    assert raised.value.code == "user_not_found"
    bob_slack = msgspec.structs.replace(ADD_SLACK, account_id="bob")
    events, _ = execute(org, bob_slack, CTX, NOW)
    first = events[0]
    assert isinstance(first, ContactMethodAdded)
    assert first.method.address == "bob@example.com"
    events, _ = execute(org, RemoveMember(account_id="bob", actor_role="owner"), CTX, T1)
    assert UserContactsRemoved(account_id="bob", at=T1) in events
    assert "bob" not in org.contacts.users
    execute(org, DeleteOrganization(actor_role="owner"), CTX, T2)
    with pytest.raises(Rejected) as refused:
        execute(org, ADD_SLACK, CTX, T2)
    assert refused.value.code == "organization_deleted"
