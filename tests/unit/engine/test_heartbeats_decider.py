"""The heartbeats area: given/when/then over decide/evolve, plus the org-level expiry step."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine import heartbeats as hb
from engine.alerts import AlertClosed, AlertCreated, AlertDeduplicated, CreateAlert
from engine.errors import Conflict, Rejected
from engine.org import decide as org_decide
from engine.org import due_commands, fold, initial_state, next_due
from engine.org.events import Event
from tests.helpers.decider import NOW, Decider
from tests.unit.test_purity import violations

HEARTBEATS: Decider[hb.HeartbeatsState, hb.HeartbeatCommand, hb.HeartbeatEvent] = Decider(
    hb.initial_state, hb.decide, hb.evolve
)
HB_ID = "00000000-0000-7000-8000-0000000000b1"
SETTINGS = hb.HeartbeatSettings(interval=5, interval_unit="minutes", alert_message="db is expired")


def created(name: str = "db", *, enabled: bool = True, **settings: object) -> hb.HeartbeatCreated:
    return hb.HeartbeatCreated(
        name=name,
        at=NOW,
        heartbeat_id=HB_ID,
        enabled=enabled,
        settings=hb.HeartbeatSettings(
            **{"interval": 5, "interval_unit": "minutes", "alert_message": f"{name} is expired"}
            | settings
        ),
    )


def create(**fields: object) -> hb.CreateHeartbeat:
    return hb.CreateHeartbeat(
        **{"name": "db", "heartbeat_id": HB_ID, "interval": 5, "interval_unit": "minutes"} | fields
    )


# -- create ---------------------------------------------------------------------------------


def test_create_defaults_alert_message_and_priority() -> None:
    """A new heartbeat gets "<name> is expired" at P3 and counts from its creation."""
    state = HEARTBEATS.given().when(create(name=" db ")).then([created()])
    heartbeat = state.heartbeats["db"]
    assert (heartbeat.counting_from, heartbeat.enabled, heartbeat.expired) == (NOW, True, False)
    assert heartbeat.settings.alert_priority == "P3"
    assert NOW + timedelta(minutes=5) == hb.deadline_of(heartbeat)


def test_create_normalises_tags_and_keeps_given_fields() -> None:
    """Given settings are kept, stripped, and tags de-duplicated in order."""
    command = create(
        description="d",
        interval=2,
        interval_unit="days",
        owner_team=" ops ",
        alert_message=" down! ",
        alert_tags=(" a", "b", "a"),
        alert_priority="P1",
        enabled=False,
    )
    expected = hb.HeartbeatSettings(
        description="d",
        interval=2,
        interval_unit="days",
        owner_team="ops",
        alert_message="down!",
        alert_tags=("a", "b"),
        alert_priority="P1",
    )
    events = HEARTBEATS.given().when(command).events
    assert isinstance(events[0], hb.HeartbeatCreated)
    assert (expected, False) == (events[0].settings, events[0].enabled)


def test_default_message_of_a_long_name_fits_an_alert() -> None:
    """The default alert message is cut to the alert message limit of 130."""
    events = HEARTBEATS.given().when(create(name="n" * 200)).events
    assert isinstance(events[0], hb.HeartbeatCreated)
    assert len(events[0].settings.alert_message) == 130


def test_duplicate_name_conflicts() -> None:
    """Names are unique per organization."""
    with pytest.raises(Conflict) as error:
        hb.decide(HEARTBEATS.fold([created()]), create(), NOW)
    assert error.value.code == "heartbeat_exists"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": " "}, "name"),
        ({"name": "n" * 201}, "name"),
        ({"name": "a/b"}, "name"),
        ({"heartbeat_id": ""}, "id"),
        ({"interval": 0}, "interval"),
        ({"interval": 3651, "interval_unit": "days"}, "interval"),
        ({"interval": 10**30}, "interval"),
        ({"interval_unit": "weeks"}, "intervalUnit"),
        ({"description": "d" * 10001}, "description"),
        ({"owner_team": "t" * 101}, "ownerTeam"),
        ({"alert_message": "m" * 131}, "alertMessage"),
        ({"alert_tags": ("",)}, "alertTags"),
        ({"alert_tags": ("t" * 51,)}, "alertTags"),
        ({"alert_tags": tuple(str(i) for i in range(21))}, "alertTags"),
        ({"alert_priority": "P0"}, "alertPriority"),
    ],
)
def test_invalid_create_is_rejected_naming_the_field(fields: dict[str, object], field: str) -> None:
    """Each Opsgenie limit is enforced with the Opsgenie field name."""
    HEARTBEATS.given().when(create(**fields)).then_rejected("invalid_field", field=field)


# -- update, enable, disable, delete ---------------------------------------------------------


def test_update_replaces_only_given_settings() -> None:
    """``None`` fields stay; the event carries the whole new settings."""
    later = NOW + timedelta(minutes=1)
    state = (
        HEARTBEATS.given([created()])
        .when(hb.UpdateHeartbeat(name="db", interval=1, interval_unit="hours"), now=later)
        .then(
            [
                hb.HeartbeatUpdated(
                    name="db",
                    at=later,
                    settings=hb.HeartbeatSettings(
                        interval=1, interval_unit="hours", alert_message="db is expired"
                    ),
                )
            ]
        )
    )
    assert later == state.heartbeats["db"].updated_at


def test_update_without_changes_is_a_noop_and_enabled_toggles() -> None:
    """Same settings emit nothing; ``enabled`` in an update enables or disables."""
    HEARTBEATS.given([created()]).when(hb.UpdateHeartbeat(name="db", interval=5)).then([])
    HEARTBEATS.given([created()]).when(hb.UpdateHeartbeat(name="db", enabled=False)).then(
        [hb.HeartbeatDisabled(name="db", at=NOW)]
    )
    HEARTBEATS.given([created(enabled=False)]).when(
        hb.UpdateHeartbeat(name="db", enabled=True)
    ).then([hb.HeartbeatEnabled(name="db", at=NOW)])


def test_update_is_validated() -> None:
    """An update breaking a limit is rejected like a create."""
    HEARTBEATS.given([created()]).when(
        hb.UpdateHeartbeat(name="db", alert_priority="urgent")
    ).then_rejected("invalid_field", field="alertPriority")


def test_unknown_heartbeat_is_not_found() -> None:
    """Every command but create and expire needs an existing heartbeat."""
    for command in (
        hb.UpdateHeartbeat(name="x"),
        hb.EnableHeartbeat(name="x"),
        hb.DisableHeartbeat(name="x"),
        hb.PingHeartbeat(name="x"),
        hb.DeleteHeartbeat(name="x"),
    ):
        HEARTBEATS.given([created()]).when(command).then_rejected("heartbeat_not_found")


def test_enable_restarts_the_countdown_and_disable_stops_it() -> None:
    """Disabled heartbeats have no deadline; enabling counts from the enable time."""
    later = NOW + timedelta(hours=1)
    state = (
        HEARTBEATS.given([created()])
        .when(hb.DisableHeartbeat(name="db"))
        .then([hb.HeartbeatDisabled(name="db", at=NOW)])
    )
    assert hb.next_due(state) is None
    HEARTBEATS.given([created(enabled=False)]).when(hb.DisableHeartbeat(name="db")).then([])
    HEARTBEATS.given([created()]).when(hb.EnableHeartbeat(name="db")).then([])
    state = (
        HEARTBEATS.given([created(enabled=False)])
        .when(hb.EnableHeartbeat(name="db"), now=later)
        .then([hb.HeartbeatEnabled(name="db", at=later)])
    )
    assert later + timedelta(minutes=5) == hb.next_due(state)


def test_delete_removes_the_heartbeat() -> None:
    """A deleted heartbeat is gone and later events about it are ignored."""
    state = (
        HEARTBEATS.given([created()])
        .when(hb.DeleteHeartbeat(name="db"))
        .then([hb.HeartbeatDeleted(name="db", at=NOW)])
    )
    assert hb.evolve(state, hb.HeartbeatPinged(name="db", at=NOW)).heartbeats == {}


# -- ping and expiry -------------------------------------------------------------------------


def test_ping_restarts_the_countdown_and_clears_expiry() -> None:
    """A ping records its time; the next deadline is one interval after it."""
    due = NOW + timedelta(minutes=5)
    expired = hb.HeartbeatExpired(
        name="db", at=due, deadline=due, alert_id="a", alert_alias="heartbeat-db"
    )
    later = NOW + timedelta(minutes=7)
    state = (
        HEARTBEATS.given([created(), expired])
        .when(hb.PingHeartbeat(name="db"), now=later)
        .then([hb.HeartbeatPinged(name="db", at=later)])
    )
    heartbeat = state.heartbeats["db"]
    assert (later, False) == (heartbeat.last_ping_at, heartbeat.expired)
    assert later + timedelta(minutes=5) == hb.deadline_of(heartbeat)


def test_disabled_heartbeat_ping_is_recorded() -> None:
    """Pinging a disabled heartbeat records the ping and schedules nothing."""
    state = (
        HEARTBEATS.given([created(enabled=False)])
        .when(hb.PingHeartbeat(name="db"))
        .then([hb.HeartbeatPinged(name="db", at=NOW)])
    )
    assert (state.heartbeats["db"].last_ping_at, hb.next_due(state)) == (NOW, None)


def test_expire_at_the_deadline_names_a_deterministic_alert() -> None:
    """At its deadline a heartbeat expires once; the alert id is uuid5 of id and deadline."""
    due = NOW + timedelta(minutes=5)
    expected = hb.HeartbeatExpired(
        name="db",
        at=due,
        deadline=due,
        alert_id=hb.expiry_alert_id(HB_ID, due),
        alert_alias="heartbeat-db",
    )
    state = (
        HEARTBEATS.given([created()]).when(hb.ExpireHeartbeat(name="db"), now=due).then([expected])
    )
    assert state.heartbeats["db"].expired
    assert hb.next_due(state) is None
    assert hb.expiry_alert_id(HB_ID, due) == expected.alert_id
    assert hb.expiry_alert_id(HB_ID, due + timedelta(1)) != expected.alert_id


@pytest.mark.parametrize(
    ("history", "now"),
    [
        ([], NOW + timedelta(days=1)),  # unknown (e.g. deleted meanwhile)
        ([created()], NOW + timedelta(minutes=4)),  # not due yet
        ([created(enabled=False)], NOW + timedelta(days=1)),  # disabled
    ],
)
def test_expire_that_is_not_due_is_a_noop(history: list[hb.HeartbeatEvent], now: object) -> None:
    """A stale or early expiry changes nothing (and never raises)."""
    HEARTBEATS.given(history).when(hb.ExpireHeartbeat(name="db"), now=now).then([])  # type: ignore[arg-type]


def test_already_expired_heartbeat_does_not_expire_again() -> None:
    """Once expired, a heartbeat waits for a ping or an enable."""
    due = NOW + timedelta(minutes=5)
    expired = hb.HeartbeatExpired(
        name="db", at=due, deadline=due, alert_id="a", alert_alias="heartbeat-db"
    )
    later = NOW + timedelta(days=1)
    HEARTBEATS.given([created(), expired]).when(hb.ExpireHeartbeat(name="db"), now=later).then([])
    state = HEARTBEATS.fold([created(), expired])
    assert hb.heartbeat_expired(state.heartbeats["db"], NOW)


def test_due_heartbeats_and_expired_view() -> None:
    """Due heartbeats are listed earliest first; ``heartbeat_expired`` sees a passed deadline."""
    state = HEARTBEATS.fold(
        [created("a", interval=10), created("b", interval=3), created("c", enabled=False)]
    )
    assert NOW + timedelta(minutes=3) == hb.next_due(state)
    assert hb.due_heartbeats(state, NOW + timedelta(minutes=2)) == []
    assert hb.due_heartbeats(state, NOW + timedelta(minutes=10)) == ["b", "a"]
    assert hb.heartbeat_expired(state.heartbeats["b"], NOW + timedelta(minutes=3))
    assert not hb.heartbeat_expired(state.heartbeats["a"], NOW + timedelta(minutes=3))
    assert not hb.heartbeat_expired(state.heartbeats["c"], NOW + timedelta(days=3))
    assert hb.next_due(hb.initial_state()) is None


def test_find_heartbeat() -> None:
    """``find_heartbeat`` returns the heartbeat or raises heartbeat_not_found."""
    state = HEARTBEATS.fold([created()])
    assert hb.find_heartbeat(state, "db").id == HB_ID
    with pytest.raises(Rejected) as error:
        hb.find_heartbeat(state, "nope")
    assert error.value.code == "heartbeat_not_found"


def test_heartbeat_modules_are_pure() -> None:
    """The area imports no I/O library and reads no clock or randomness."""
    from pathlib import Path

    package = Path(hb.__file__).parent
    assert {p.name: [] for p in package.glob("*.py")} == {
        p.name: violations(p.read_text()) for p in package.glob("*.py")
    }


# -- the org-level cross-area step -----------------------------------------------------------


def org_with(*events: Event):  # type: ignore[no-untyped-def]
    return fold(initial_state(), events)


def test_org_expiry_raises_the_heartbeat_alert() -> None:
    """ExpireHeartbeat emits HeartbeatExpired and creates the heartbeat's alert."""
    due = NOW + timedelta(minutes=5)
    state = org_with(created(alert_tags=("hb",), alert_priority="P2"))
    assert due == next_due(state)
    assert due_commands(state, due - timedelta(milliseconds=1)) == []
    assert [hb.ExpireHeartbeat(name="db")] == due_commands(state, due)
    events = org_decide(state, hb.ExpireHeartbeat(name="db"), due)
    assert [hb.HeartbeatExpired, AlertCreated] == [type(e) for e in events]
    alert = events[1]
    assert isinstance(alert, AlertCreated)
    assert (hb.expiry_alert_id(HB_ID, due), "heartbeat-db", "db is expired") == (
        alert.alert_id,
        alert.alias,
        alert.message,
    )
    assert (
        alert.tags,
        alert.priority,
        alert.source,
        alert.entity,
    ) == (("hb",), "P2", "heartbeat", "db")
    fold(state, events)
    assert next_due(state) is None


def test_org_expiry_with_an_open_alert_deduplicates() -> None:
    """An open alert with the heartbeat's alias is counted, not duplicated."""
    due = NOW + timedelta(minutes=5)
    state = org_with(created())
    fold(
        state, org_decide(state, CreateAlert(alert_id="x1", message="m", alias="heartbeat-db"), NOW)
    )
    events = org_decide(state, hb.ExpireHeartbeat(name="db"), due)
    assert [hb.HeartbeatExpired, AlertDeduplicated] == [type(e) for e in events]


def test_org_expiry_whose_alert_is_refused_is_still_recorded() -> None:
    """If the alert cannot be created, the expiry is recorded alone (a timer never fails)."""
    due = NOW + timedelta(minutes=5)
    state = org_with(created())
    taken = CreateAlert(alert_id=hb.expiry_alert_id(HB_ID, due), message="m", alias="other")
    fold(state, org_decide(state, taken, NOW))
    fold(state, org_decide(state, hb.DeleteHeartbeat(name="db"), NOW))
    fold(state, org_decide(state, create(), NOW))
    assert [hb.HeartbeatExpired] == [
        type(e) for e in org_decide(state, hb.ExpireHeartbeat(name="db"), due)
    ]


def test_org_ping_closes_the_open_heartbeat_alert() -> None:
    """The next ping closes the expiry alert; a ping without one closes nothing."""
    due = NOW + timedelta(minutes=5)
    state = org_with(created())
    assert [hb.HeartbeatPinged] == [
        type(e) for e in org_decide(state, hb.PingHeartbeat(name="db"), NOW)
    ]
    fold(state, org_decide(state, hb.ExpireHeartbeat(name="db"), due))
    events = org_decide(state, hb.PingHeartbeat(name="db"), due + timedelta(minutes=1))
    assert [hb.HeartbeatPinged, AlertClosed] == [type(e) for e in events[:2]]
    fold(state, events)
    assert state.alerts.alerts[hb.expiry_alert_id(HB_ID, due)].status == "closed"
    assert due + timedelta(minutes=6) == next_due(state)


def test_org_rejections_pass_through() -> None:
    """Heartbeat rejections reach the caller unchanged."""
    with pytest.raises(Rejected):
        org_decide(org_with(), hb.PingHeartbeat(name="db"), NOW)
