"""Escalation and notification scenarios of ../shared/scenarios.md, on the org actor.

Each test runs a day of paging in milliseconds (trio's MockClock moves the
engine's wall clock, ``TrioClock``); the pager records when each page went out.
Times are minutes from alert creation. Every test ends quiescent: nothing more
reaches anyone in the following simulated minutes.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import trio
import trio.testing

from engine import (
    AcknowledgeAlert,
    CloseAlertByAlias,
    EscalateToNext,
    Rejected,
    RoutingDecided,
    SnoozeAlert,
    UnacknowledgeAlert,
    Unavailable,
    contacts,
    decode_events,
    escalations,
    heartbeats,
    maintenance,
    routing,
    schedules,
    teams,
)
from eventstore import DatabaseUnavailable, MemoryEventStore
from tests.helpers.paging import ORG, Env, Page, open_env


async def test_s01_two_step_escalation_timing(autojump_clock: trio.testing.MockClock) -> None:
    """S01: A at 0, B at 30, nothing else; nothing more at 90 (the policy is used up)."""
    async with open_env() as env:
        a, b = await env.member("a@example.com"), await env.member("b@example.com")
        policy = await env.policy("two-step", [(0, "user", a), (30, "user", b)])
        await env.alert("disk full", ("escalation", policy))
        await env.at_minute(29.9)
        assert (env.minutes(a), env.minutes(b)) == ([0.0], [])
        await env.at_minute(30)
        assert (env.minutes(a), env.minutes(b)) == ([0.0], [30.0])
        await env.quiescent(60)
        assert len(env.pager.pages) == 2


async def test_s02_repeats_then_stops_and_close_by_alias_stops_escalation(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """S02: one rule repeated every 10 min 5 times pages at 0..50, not at 60;
    a close at 10 stops it."""
    async with open_env() as env:
        a = await env.member("a@example.com")
        repeat = escalations.Repeat(wait_interval_minutes=10, count=5)
        policy = await env.policy("again", [(0, "user", a)], repeat=repeat)
        await env.alert("cpu", ("escalation", policy), alias="somekey0")
        await env.alert("mem", ("escalation", policy), alias="somekey1")
        await env.at_minute(10.5)
        await env.run(CloseAlertByAlias(alias="somekey1", source="api"))
        await env.at_minute(70)
        by_alert: dict[str, list[float]] = {}
        for page in env.pager.pages:
            by_alert.setdefault(page.alert_id, []).append(page.minute)
        assert sorted(by_alert.values()) == [[0, 10], [0, 10, 20, 30, 40, 50]]
        await env.quiescent(30)


async def test_s04_several_steps_of_one_person_fire_on_their_own_schedule(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """S04: phone 1 @0, phone 2 @0, phone 1 @30 -> two pages at 0, one at 30."""
    async with open_env() as env:
        a = await env.member("a@example.com")
        await env.methods(
            a,
            [
                ("https://p1.example/a", 0),
                ("https://p2.example/a", 0),
                ("https://p1.example/a", 30),
            ],
        )
        await env.alert("db down", ("user", a))
        await env.at_minute(31)
        assert env.minutes(a, "https://p1.example/a") == [0, 30]
        assert env.minutes(a, "https://p2.example/a") == [0]
        await env.quiescent()


async def test_s05_all_people_of_a_step_are_paged_once(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """S05: a step reaching A, B and C pages each exactly once at 0."""
    async with open_env() as env:
        people = [await env.member(f"{n}@example.com") for n in "abc"]
        policy = await env.policy("all", [(0, "user", p) for p in people])
        await env.alert("fire", ("escalation", policy))
        await env.at_minute(1)
        assert sorted(p.account for p in env.pager.pages) == sorted(people)
        await env.quiescent()


async def test_s07_steps_added_mid_cycle_are_not_retroactive(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """S07: steps @0 and @60; at 35, @30 and @90 are added: pages at 0, 60, 90 only;
    a manual escalation at 95 starts a new cycle: one page at once and one at 125."""
    async with open_env() as env:
        a = await env.member("a@example.com")
        [phone, _] = await env.methods(a, [("https://p.example/a", 0), ("https://p.example/a", 60)])
        alert = await env.alert("slow", ("user", a))
        await env.at_minute(35)
        await env.set_steps(a, [(phone, 0), (phone, 30), (phone, 60), (phone, 90)])
        await env.at_minute(94)
        assert env.minutes(a) == [0, 60, 90]
        await env.at_minute(95)
        await env.run(EscalateToNext(alert_id=alert, source="api"))
        await env.at_minute(126)
        assert env.minutes(a) == [0, 60, 90, 95, 125]


async def test_s08_steps_added_after_the_last_one_fired(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """S08: after the first page, @0 and @30 steps on phone 1 are added:
    phone 1 gets one page, at 30."""
    async with open_env() as env:
        a = await env.member("a@example.com")
        [phone2] = await env.methods(a, [("https://p2.example/a", 0)])
        await env.alert("late rules", ("user", a))
        await env.at_minute(1)
        [phone1] = await env.methods(a, [("https://p1.example/a", 0)])
        await env.set_steps(a, [(phone2, 0), (phone1, 0), (phone1, 30)])
        await env.at_minute(31)
        assert env.minutes(a, "https://p1.example/a") == [30]
        assert env.minutes(a, "https://p2.example/a") == [0]
        await env.quiescent()


async def test_s11_acknowledge_stops_the_escalation(autojump_clock: trio.testing.MockClock) -> None:
    """S11: A @0 and @30; A acknowledges at 5: nothing more for an hour."""
    async with open_env() as env:
        a = await env.member("a@example.com")
        await env.methods(a, [("https://p.example/a", 0), ("https://p.example/a", 30)])
        alert = await env.alert("ack me", ("user", a))
        await env.at_minute(5)
        await env.run(AcknowledgeAlert(alert_id=alert, user="a@example.com"))
        await env.quiescent(60)
        assert env.minutes(a) == [0]


async def test_s14_acknowledged_alerts_skip_later_steps_and_manual_escalation_repages(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """S14: three alerts page A @0 and @30; #3 acknowledged: @30 only for #1 and #2;
    a manual escalation at 60 pages all three (un-acknowledging #3)."""
    async with open_env() as env:
        a = await env.member("a@example.com")
        await env.methods(a, [("https://p.example/a", 0), ("https://p.example/a", 30)])
        policy = await env.policy("one", [(0, "user", a)])
        ids = [await env.alert(f"#{n}", ("escalation", policy)) for n in (1, 2, 3)]
        await env.at_minute(1)
        await env.run(AcknowledgeAlert(alert_id=ids[2], user="a@example.com"))
        await env.at_minute(31)
        assert sorted((p.alert_id, p.minute) for p in env.pager.pages) == sorted(
            [(i, 0.0) for i in ids] + [(ids[0], 30.0), (ids[1], 30.0)]
        )
        await env.at_minute(60)
        for alert in ids:
            await env.run(EscalateToNext(alert_id=alert, source="api"))
        await env.at_minute(60.5)
        assert sorted(p.alert_id for p in env.pager.pages if p.minute == 60) == sorted(ids)
        acked = await env.supervisor.read(ORG, lambda s: s.alerts.alerts[ids[2]].acknowledged)
        assert acked is False


async def test_s14_manual_escalation_of_an_acknowledged_alert_pages_the_next_rule(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """S14 second case: acknowledged at once, nothing is sent; escalating pages B at once."""
    async with open_env() as env:
        a, b = await env.member("a@example.com"), await env.member("b@example.com")
        repeat = escalations.Repeat(wait_interval_minutes=60, count=20)
        policy = await env.policy("ab", [(1, "user", a), (60, "user", b)], repeat=repeat)
        alert = await env.alert("quiet", ("escalation", policy))
        await env.run(AcknowledgeAlert(alert_id=alert, user="a@example.com"))
        await env.at_minute(10)
        assert env.pager.pages == []
        await env.run(EscalateToNext(alert_id=alert, source="api"))
        await env.at_minute(10.5)
        assert (env.minutes(a), env.minutes(b)) == ([], [10.0])
        assert (
            await env.supervisor.read(ORG, lambda s: s.alerts.alerts[alert].acknowledged) is False
        )


async def test_unacknowledge_resumes_the_rules_still_ahead(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """Rules due while acknowledged are skipped; after un-acknowledging, later rules page."""
    async with open_env() as env:
        a, b, c = [await env.member(f"{n}@example.com") for n in "abc"]
        policy = await env.policy("abc", [(0, "user", a), (10, "user", b), (30, "user", c)])
        alert = await env.alert("flap", ("escalation", policy))
        await env.at_minute(1)
        await env.run(AcknowledgeAlert(alert_id=alert, user="a@example.com"))
        await env.at_minute(20)
        await env.run(UnacknowledgeAlert(alert_id=alert, user="a@example.com"))
        await env.at_minute(31)
        assert [(p.account, p.minute) for p in env.pager.pages] == [(a, 0), (c, 30)]
        await env.quiescent()


async def test_s47_a_failure_reported_by_the_provider_is_not_retried(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """S47: the provider refuses; nothing is sent again and the log says failed, with why."""
    async with open_env() as env:
        a = await env.member("a@example.com")
        await env.methods(a, [("https://bad.example/a", 0)])
        env.pager.fail.add("https://bad.example/a")
        await env.alert("boom", ("user", a))
        await env.quiescent(3)
        assert env.minutes(a) == [0]
        records = await env.supervisor.read(ORG, lambda s: list(s.paging.recent[a]))
        assert [(r.status, r.reason) for r in records] == [
            ("failed", "provider refused: 21211 invalid number")
        ]


async def _maintenance(env: Env, policy: str, *, hours: float) -> str:
    window = env.new_id("maintenance")
    start = env.clock.now()
    await env.run(
        maintenance.CreateMaintenance(
            maintenance_id=window,
            start=start,
            end=start + timedelta(hours=hours),
            entities=(maintenance.MaintenanceEntity(type="policy", id=policy),),
        )
    )
    return window


async def test_s37_maintenance_keeps_existing_escalations_and_silences_new_alerts(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """S37: alert 1 pages at 0 and 5; maintenance from 1 min: alert 2 (at 2) never pages."""
    async with open_env() as env:
        a = await env.member("a@example.com")
        policy = await env.policy("p", [(0, "user", a), (5, "user", a)])
        first = await env.alert("one", ("escalation", policy))
        await env.at_minute(1)
        await _maintenance(env, policy, hours=2)
        await env.at_minute(2)
        second = await env.alert("two", ("escalation", policy))
        await env.at_minute(60)
        assert [(p.alert_id, p.minute) for p in env.pager.pages] == [(first, 0), (first, 5)]
        view = await env.supervisor.read(ORG, lambda s: s.paging.alerts[second].runs[0].held_by)
        assert view is not None


async def test_s38_maintenance_blocks_escalation_and_ending_it_starts_at_rule_one(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """S38: in maintenance nobody is paged and escalating is refused; ending the window
    pages A at once, and B only at its own delay from then."""
    async with open_env() as env:
        a, b = await env.member("a@example.com"), await env.member("b@example.com")
        policy = await env.policy("ab", [(0, "user", a), (10, "user", b)])
        window = await _maintenance(env, policy, hours=1)
        alert = await env.alert("silent", ("escalation", policy))
        await env.at_minute(20)
        assert env.pager.pages == []
        with pytest.raises(Rejected) as refused:
            await env.run(EscalateToNext(alert_id=alert, source="api"))
        assert refused.value.code == "in_maintenance"
        await env.run(maintenance.UpdateMaintenance(maintenance_id=window, end=env.clock.now()))
        await env.at_minute(20.5)
        assert (env.minutes(a), env.minutes(b)) == ([20.0], [])
        await env.at_minute(30.5)
        assert env.minutes(b) == [30.0]
        await env.quiescent()


async def test_s24_a_schedule_target_pages_who_is_on_call_then(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """S24 (hourly, length 1, Chicago): a schedule rule pages A now; B an hour later."""
    async with open_env() as env:
        a, b = await env.member("a@example.com"), await env.member("b@example.com")
        schedule_id = env.new_id("schedule")
        rotation = schedules.Rotation(
            id=env.new_id("rotation"),
            name="r",
            type="hourly",
            start=env.clock.now(),
            participants=(schedules.Participant(id=a), schedules.Participant(id=b)),
        )
        await env.run(
            schedules.CreateSchedule(
                schedule_id=schedule_id,
                name="primary",
                timezone="America/Chicago",
                rotations=(rotation,),
            )
        )
        await env.alert("now", ("schedule", schedule_id))
        await env.at_minute(61)
        await env.alert("later", ("schedule", "primary"))
        await env.at_minute(62)
        assert [(p.account, p.minute) for p in env.pager.pages] == [(a, 0), (b, 61)]


async def test_a_team_follows_its_routing_rule_then_its_default_policy_then_its_members(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """P1 alerts match the team's rule (policy "urgent" -> A); others fall back to the
    team's ops_escalation (-> B); a team without any policy pages all its members."""
    async with open_env() as env:
        a, b, c = [await env.member(f"{n}@example.com") for n in "abc"]
        ops, dev = env.new_id("team"), env.new_id("team")
        await env.run(teams.CreateTeam(team_id=ops, name="ops"))
        await env.run(teams.CreateTeam(team_id=dev, name="dev"))
        for team, person in ((ops, c), (dev, b), (dev, c)):
            await env.run(teams.AddTeamMember(team_id=team, account_id=person))
        urgent = await env.policy("urgent", [(0, "user", a)])
        fallback = env.new_id("policy")
        await env.run(
            escalations.CreateEscalationPolicy(
                policy_id=fallback,
                name="ops_escalation",
                owner_team=ops,
                rules=(
                    escalations.EscalationRule(
                        condition="if-not-acked",
                        delay_minutes=0,
                        recipient=escalations.Recipient(type="user", id=b),
                    ),
                ),
            )
        )
        condition = routing.RoutingCondition(
            field="priority", operation="equals", expected_value="P1"
        )
        await env.run(
            routing.CreateRoutingRule(
                team_id=ops,
                rule_id=env.new_id("rule"),
                name="p1",
                criteria=routing.RoutingCriteria(
                    type="match-all-conditions", conditions=(condition,)
                ),
                target=routing.RoutingTarget(type="escalation", id=urgent),
            )
        )
        p1 = await env.alert("p1", ("team", ops), priority="P1")
        p3 = await env.alert("p3", ("team", "ops"), priority="P3")
        members = await env.alert("members", ("team", dev))
        await env.at_minute(1)
        pages = {(p.alert_id, p.account) for p in env.pager.pages}
        assert pages == {(p1, a), (p3, b), (members, b), (members, c)}
        log = await env.store.read_subject(ORG, p1)
        routed = [e for e in decode_events(log) if isinstance(e, RoutingDecided)]
        assert [(r.rule_name, r.target_type, r.target_id) for r in routed] == [
            ("p1", "escalation", urgent)
        ]


async def test_a_snoozed_alert_pages_when_the_snooze_ends(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """Rules coming due during a snooze wait for its end, then fire once each."""
    async with open_env() as env:
        a, b = await env.member("a@example.com"), await env.member("b@example.com")
        policy = await env.policy("ab", [(5, "user", a), (10, "user", b)])
        alert = await env.alert("later", ("escalation", policy))
        until = env.clock.now() + timedelta(minutes=30)
        await env.run(SnoozeAlert(alert_id=alert, end_time=until, user="a@example.com"))
        await env.at_minute(29)
        assert env.pager.pages == []
        await env.at_minute(31)
        assert sorted((p.account, p.minute, p.late) for p in env.pager.pages) == sorted(
            [(a, 30, True), (b, 30, True)]
        )
        await env.quiescent()


async def test_policy_edits_apply_to_new_alerts_only(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """Decision 7: an alert follows the policy version its escalation started with."""
    async with open_env() as env:
        a, b = await env.member("a@example.com"), await env.member("b@example.com")
        policy = await env.policy("p", [(0, "user", a), (10, "user", a)])
        old = await env.alert("old", ("escalation", policy))
        await env.at_minute(1)
        second = escalations.EscalationRule(
            condition="if-not-acked",
            delay_minutes=10,
            recipient=escalations.Recipient(type="user", id=b),
        )
        first = escalations.EscalationRule(
            condition="if-not-acked",
            delay_minutes=0,
            recipient=escalations.Recipient(type="user", id=a),
        )
        await env.run(escalations.UpdateEscalationPolicy(policy_id=policy, rules=(first, second)))
        new = await env.alert("new", ("escalation", policy))
        await env.at_minute(12)
        assert sorted((p.alert_id == old, p.account, p.minute) for p in env.pager.pages) == sorted(
            [(True, a, 0), (True, a, 10), (False, a, 1), (False, b, 11)]
        )
        assert new


async def test_close_after_all_repeats_and_reset_recipient_states(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """Repeat twice every 15 min, resetting the acknowledgement, then close the alert."""
    async with open_env() as env:
        a = await env.member("a@example.com")
        repeat = escalations.Repeat(
            wait_interval_minutes=15,
            count=2,
            reset_recipient_states=True,
            close_alert_after_all=True,
        )
        policy = await env.policy("p", [(0, "user", a)], repeat=repeat)
        alert = await env.alert("loop", ("escalation", policy))
        await env.at_minute(1)
        await env.run(AcknowledgeAlert(alert_id=alert, user="a@example.com"))
        await env.at_minute(46)
        assert env.minutes(a) == [0, 15, 30]
        status = await env.supervisor.read(ORG, lambda s: s.alerts.alerts[alert].status)
        assert status == "closed"
        await env.quiescent(30)


async def test_unverified_methods_and_quiet_hours_are_skipped_with_a_reason(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """I10: a page that is not sent says why in the person's log."""
    async with open_env() as env:
        a = await env.member("a@example.com")
        method = env.new_id("method")
        await env.run(
            contacts.AddContactMethod(
                account_id=a,
                method_id=method,
                method="email",
                address="pager@example.com",
                code_hash="0" * 64,
            )
        )
        await env.set_steps(a, [(method, 0)])
        await env.alert("unverified", ("user", a))
        await env.at_minute(1)
        assert env.pager.pages == []
        records = await env.supervisor.read(ORG, lambda s: list(s.paging.recent[a]))
        assert [(r.status, r.reason) for r in records] == [
            ("skipped", "the contact method is not verified")
        ]


async def test_pages_due_during_an_outage_go_out_once_late_and_later_rules_keep_their_time(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """Decisions 6 and 10: down from 1 to 61 min, the rule due at 30 fires once at the
    restart, late, with the repeat passes it missed folded in; the rule at 90 is on time."""
    store = MemoryEventStore()
    async with open_env(store) as env:
        a, b, c = [await env.member(f"{n}@example.com") for n in "abc"]
        policy = await env.policy("abc", [(0, "user", a), (30, "user", b), (90, "user", c)])
        await env.alert("outage", ("escalation", policy))
        await env.at_minute(1)
        assert env.minutes(a) == [0]
    await trio.sleep(60 * 60)  # Pulsar is down
    async with open_env(store, create=False) as env:
        await env.at_minute(91)
        assert [(p.account, p.minute, p.late) for p in env.pager.pages] == [
            (b, 61, True),
            (c, 90, False),
        ]
        await env.quiescent()


async def test_a_page_cut_off_by_a_crash_is_sent_once_more_with_the_same_id(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """Decision 8: requested, delivery started, crash: after the restart it is sent again,
    once, with the same notification id, marked possibly duplicated; a delivered page is not."""
    store = MemoryEventStore()
    async with open_env(store) as env:
        a, b = await env.member("a@example.com"), await env.member("b@example.com")
        await env.methods(a, [("https://stuck.example/a", 0)])
        env.pager.hang.add("https://stuck.example/a")
        await env.alert("crash", ("user", a), ("user", b))
        await env.at_minute(1)
        first = list(env.pager.pages)
        assert sorted(p.account for p in first) == sorted([a, b])
    async with open_env(store, create=False) as env:
        await env.at_minute(5)
        again = env.pager.pages
        [stuck] = [p for p in first if p.account == a]
        assert [(p.notification_id, p.possibly_duplicate) for p in again] == [
            (stuck.notification_id, True)
        ]
        await env.quiescent()
    async with open_env(store, create=False) as env:
        await env.quiescent(10)
        records = await env.supervisor.read(ORG, lambda s: list(s.paging.recent[a]))
        assert [(r.status, r.possibly_duplicate) for r in records] == [("delivered", True)]
        assert await env.supervisor.read(ORG, lambda s: s.paging.outbox) == {}


async def test_nothing_is_paged_twice_by_restarts_between_rules(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """Restarts before, between and after the rules: each person is paged exactly once."""
    store = MemoryEventStore()
    pages: list[Page] = []
    async with open_env(store) as env:
        a, b = await env.member("a@example.com"), await env.member("b@example.com")
        policy = await env.policy("ab", [(0, "user", a), (30, "user", b)])
        await env.alert("restarts", ("escalation", policy))
        await env.at_minute(10)
        pages += env.pager.pages
    for stop_at in (29.99, 30.01, 45):
        async with open_env(store, create=False) as env:
            await env.at_minute(stop_at)
            pages += env.pager.pages
    assert [(p.account, p.minute, p.late) for p in pages] == [(a, 0, False), (b, 30, False)]


async def test_s36_an_expired_heartbeat_pages_its_team_and_the_next_ping_stops_it(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """S36: M1 (60 min) expires at 60 and pages A once; M2 (75 min, disabled) never
    alerts; M1 beating again closes its alert, and A's 15-minute step never fires."""
    async with open_env() as env:
        a = await env.member("a@example.com")
        await env.methods(a, [("https://p.example/a", 0), ("https://p.example/a", 15)])
        team = env.new_id("team")
        await env.run(teams.CreateTeam(team_id=team, name="svc"))
        await env.run(teams.AddTeamMember(team_id=team, account_id=a))
        for name, minutes in (("testone", 60), ("testtwo", 75)):
            await env.run(
                heartbeats.CreateHeartbeat(
                    name=name,
                    heartbeat_id=env.new_id("hb"),
                    interval=minutes,
                    interval_unit="minutes",
                    owner_team="svc",
                )
            )
        await env.run(heartbeats.DisableHeartbeat(name="testtwo"))
        await env.at_minute(61)
        [page] = env.pager.pages
        assert (page.account, page.minute) == (a, 60)
        await env.run(heartbeats.PingHeartbeat(name="testone"))
        await env.quiescent(30)  # past A's 15-minute step (M1 is due again only at 121)
        assert len(env.pager.pages) == 1


class OutageStore(MemoryEventStore):
    """A log whose database can be taken down: every read and write then fails."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False

    def _check(self) -> None:
        if self.down:
            raise DatabaseUnavailable("connection refused")

    async def append(self, org_id, expected_version, events):  # type: ignore[no-untyped-def]
        await trio.lowlevel.checkpoint()
        self._check()
        return await super().append(org_id, expected_version, events)

    async def load_snapshot(self, org_id, schema_version):  # type: ignore[no-untyped-def]
        self._check()
        return await super().load_snapshot(org_id, schema_version)


async def test_a_database_outage_fails_closed_and_overdue_pages_go_out_once_on_recovery(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """Decision 10: while the database is down nothing is acknowledged; B's page due at 30
    goes out once, marked late, within a minute of the database's return at 32."""
    store = OutageStore()
    async with open_env(store) as env:
        a, b = await env.member("a@example.com"), await env.member("b@example.com")
        policy = await env.policy("ab", [(0, "user", a), (30, "user", b)])
        alert = await env.alert("db", ("escalation", policy))
        await env.at_minute(29)
        store.down = True
        await env.at_minute(31)
        with pytest.raises(Unavailable):
            await env.run(AcknowledgeAlert(alert_id=alert, user="b@example.com"))
        await env.at_minute(32)
        store.down = False
        await env.at_minute(33)
        assert [(p.account, p.late) for p in env.pager.pages] == [(a, False), (b, True)]
        [late] = [p for p in env.pager.pages if p.account == b]
        assert 32 <= late.minute <= 33
        assert (
            await env.supervisor.read(ORG, lambda s: s.alerts.alerts[alert].acknowledged) is False
        )
        await env.quiescent(3)


async def test_a_full_notifier_queue_delays_pages_without_duplicates(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """I9: six pages at once through a queue of two: the overflow waits in the outbox
    for a sweep, every page goes out once, none is flagged as a possible duplicate."""
    async with open_env(queue_size=2, concurrency=1) as env:
        people = [await env.member(f"p{i}@example.com") for i in range(6)]
        policy = await env.policy("all", [(0, "user", p) for p in people])
        await env.alert("burst", ("escalation", policy))
        await env.at_minute(1)
        assert sorted(p.account for p in env.pager.pages) == sorted(people)
        assert [p.possibly_duplicate for p in env.pager.pages] == [False] * 6
        await env.quiescent()


def _count_builds(env: Env, *, fail_first: int = 0) -> list[int]:
    """Count the notifier's batch reads (pages per read); the first ``fail_first`` raise."""
    sizes: list[int] = []
    read = env.supervisor.read

    async def counting(org_id: str, fn: Any) -> Any:
        if "_build_and_send" not in fn.__qualname__:
            return await read(org_id, fn)
        sizes.append(0)
        if len(sizes) <= fail_first:
            raise Unavailable("the organization is restarting")
        built = await read(org_id, fn)
        sizes[-1] = len(built)
        return built

    env.supervisor.read = counting  # type: ignore[method-assign]
    return sizes


async def test_a_burst_of_pages_is_built_in_few_actor_reads(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """Forty pages due at once cost a few actor visits (one per batch), not forty."""
    async with open_env(concurrency=32) as env:
        people = [await env.member(f"p{i}@example.com") for i in range(40)]
        policy = await env.policy("all", [(0, "user", p) for p in people])
        sizes = _count_builds(env)
        await env.alert("burst", ("escalation", policy))
        await env.at_minute(1)
        assert sorted(p.account for p in env.pager.pages) == sorted(people)
        assert sum(sizes) == 40
        assert len(sizes) <= 4, sizes
        await env.quiescent()


async def test_pages_whose_read_fails_wait_for_the_sweep_and_are_not_duplicates(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """The actor is unavailable when the notifier reads the pages: nothing is sent
    then; the sweep brings them back, each goes out once, not flagged duplicate."""
    async with open_env() as env:
        a, b = await env.member("a@example.com"), await env.member("b@example.com")
        policy = await env.policy("ab", [(0, "user", a), (0, "user", b)])
        sizes = _count_builds(env, fail_first=1)
        await env.alert("flaky", ("escalation", policy))
        await env.at_minute(0.001)
        assert env.pager.pages == []
        await env.at_minute(1)
        assert sorted(p.account for p in env.pager.pages) == sorted([a, b])
        assert [p.possibly_duplicate for p in env.pager.pages] == [False, False]
        assert len(sizes) >= 2
        await env.quiescent()
