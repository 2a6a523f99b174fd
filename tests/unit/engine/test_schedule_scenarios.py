"""Schedule scenarios from /work/shared/scenarios.md, on the pure on-call calculation.

Each test translates a scenario's given/when/then into a ``Schedule`` and asks
``engine.schedules.oncall``. "now" is a fixed instant (no clock). Translations
follow Pulsar's Opsgenie semantics where the source system differs:

* GoAlert schedule *rules* (a user on call during daily hours) become one-participant
  rotations with a ``time-of-day`` restriction; Grafana OnCall *shifts* likewise.
* An "add" override (S29, S31) has no Opsgenie counterpart (Opsgenie overrides
  replace): it becomes a one-participant rotation bounded by ``start``/``end``.
  A "remove" override (S29, S32) becomes a rotation override handing the removed
  user's rotation to someone already on call.
* Layers (S61): Pulsar has no layer priority -- rotations are a union -- so the
  expected table is the union of both layers; the overrides part is unchanged
  (a higher ``sequence`` plays the "higher-priority override").

Left out, and why:

* S24 monthly rotation: the model has no monthly rotation type.
* S24 hourly "escalating pages A", S29 "a user targeted directly by a step": they
  need the escalation/notification machinery; only who is on call is tested here.
* S27 (deleting participants, truncating the start to the minute): edits of a
  rotation are the schedules decider's, tested in ``test_schedule_departures.py``
  (the departure cascade moves ``start`` back so the on-call person stays); deleting
  rotations and policies is in the decider and escalation tests.
* S28 "a stale on-call history row": Pulsar keeps no on-call history table.
* S67 iCal cases (all-day events, cancelled events, modified instances, e-mail
  matching): Pulsar has no iCal import; "overlapping layers" assumes layer
  priority, which Pulsar does not have (see S61). Its "bad end date" case is here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from engine.schedules.model import (
    Override,
    Participant,
    Restriction,
    Rotation,
    Schedule,
    TimeWindow,
)
from engine.schedules.oncall import on_call_at, timeline

CHICAGO = ZoneInfo("America/Chicago")
NOW = datetime(2024, 11, 1, 10, 17, tzinfo=CHICAGO)  # the Friday before the fall-back
MIDNIGHT = NOW.replace(hour=0, minute=0)
H = timedelta(hours=1)
D = timedelta(days=1)
M = timedelta(minutes=1)


def people(*ids: str) -> tuple[Participant, ...]:
    return tuple(Participant(id=i) if i else Participant(type="none") for i in ids)


def schedule(*rotations: Rotation, overrides: tuple[Override, ...] = ()) -> Schedule:
    return Schedule(
        id="s", name="s", timezone="America/Chicago", rotations=rotations, overrides=overrides
    )


def rotation(rid: str, type: str, *users: str, **kw: object) -> Rotation:
    kw.setdefault("start", NOW)
    return Rotation(id=rid, name=rid, type=type, participants=people(*users), **kw)  # type: ignore[arg-type]


def rule(rid: str, user: str, start_minute: int, end_minute: int, **kw: object) -> Rotation:
    """A GoAlert rule / OnCall shift: ``user`` every day from start to end (local)."""
    window = TimeWindow(start_minute=start_minute, end_minute=end_minute)
    kw.setdefault("start", MIDNIGHT - 30 * D)
    return rotation(
        rid, "daily", user, restriction=Restriction(type="time-of-day", windows=(window,)), **kw
    )


def on_call(s: Schedule, t: datetime) -> set[str]:
    return set(on_call_at(s, t).users)


def minute_of(t: datetime) -> int:
    local = t.astimezone(CHICAGO)
    return local.hour * 60 + local.minute


# --- S24 ------------------------------------------------------------------------------


def test_s24_daily_length_two() -> None:
    """S24: daily, length 2: A now; B after +3 days (across the fall-back)."""
    s = schedule(rotation("r", "daily", "A", "B", length=2))
    assert on_call(s, NOW) == {"A"}
    assert on_call(s, NOW + 3 * D) == {"B"}


def test_s24_weekly() -> None:
    """S24: weekly, length 1: A now; B after +8 days."""
    s = schedule(rotation("r", "weekly", "A", "B"))
    assert on_call(s, NOW) == {"A"}
    assert on_call(s, NOW + 8 * D) == {"B"}


def test_s24_hourly() -> None:
    """S24: hourly, length 1: A now; B at +1 h."""
    s = schedule(rotation("r", "hourly", "A", "B"))
    assert on_call(s, NOW) == {"A"}
    assert on_call(s, NOW + H) == {"B"}


# --- S25 ------------------------------------------------------------------------------


def test_s25_wrap_around() -> None:
    """S25: hourly, 2 h shifts, [A, B], started 3 h 50 min ago: B now, A at +20 min."""
    s = schedule(rotation("r", "hourly", "A", "B", length=2, start=NOW - 3 * H - 50 * M))
    assert on_call(s, NOW) == {"B"}
    assert on_call(s, NOW + 20 * M) == {"A"}


def test_s25_first_by_order() -> None:
    """S25: participants in positions 1 and 2 (nothing at 0): the first by order, A, is on."""
    s = schedule(rotation("r", "weekly", "A", "B"))
    assert on_call(s, NOW) == {"A"}


# --- S28 ------------------------------------------------------------------------------


def test_s28_rules_in_the_schedule_time_zone() -> None:
    """S28: A from now-5 min to now+5 min, B from now+5 to now+15: A now, B at +10 min."""
    m = minute_of(NOW)
    s = schedule(rule("ra", "A", m - 5, m + 5), rule("rb", "B", m + 5, m + 15))
    assert on_call(s, NOW) == {"A"}
    assert on_call(s, NOW + 10 * M) == {"B"}


def test_s28_all_day_and_daytime_rules() -> None:
    """S28: A 00:00-00:00 (all day) and B 09:00-21:00: {A}, {A, B}, {A} at 00, 09, 21."""
    s = schedule(rule("ra", "A", 0, 0), rule("rb", "B", 9 * 60, 21 * 60))
    day = MIDNIGHT + D
    assert [on_call(s, day + h * H) for h in (0, 9, 21)] == [{"A"}, {"A", "B"}, {"A"}]


# --- S29 ------------------------------------------------------------------------------


def test_s29_active_participant_only() -> None:
    """S29: the active participant of a rotation is on call; the others are not."""
    s = schedule(rotation("r", "daily", "A", "B", "C"))
    assert on_call(s, NOW + D) == {"B"}


def test_s29_add_override_and_future_override() -> None:
    """S29: an active "add" puts the user on; a future one has no effect yet; two adds, both."""
    base = rotation("r", "daily", "A")
    now_add = rotation("add1", "daily", "X", start=NOW - H, end=NOW + H)
    also = rotation("add2", "daily", "Y", start=NOW - H, end=NOW + H)
    future = rotation("add3", "daily", "Z", start=NOW + D, end=NOW + 2 * D)
    assert on_call(schedule(base, now_add), NOW) == {"A", "X"}
    assert on_call(schedule(base, future), NOW) == {"A"}
    assert on_call(schedule(base, now_add, also), NOW) == {"A", "X", "Y"}


def test_s29_replace_and_remove_overrides() -> None:
    """S29: "replace" swaps the active participant; "remove" takes the user off call."""
    replace = Override(id="o", user="R", start=NOW - H, end=NOW + H, rotation_ids=("r",))
    s = schedule(rotation("r", "daily", "A"), rotation("q", "daily", "B"), overrides=(replace,))
    assert on_call(s, NOW) == {"B", "R"}
    remove = Override(id="o", user="B", start=NOW - H, end=NOW + H, rotation_ids=("r",))
    s = schedule(rotation("r", "daily", "A"), rotation("q", "daily", "B"), overrides=(remove,))
    assert on_call(s, NOW) == {"B"}


def test_s29_every_weekday_unticked() -> None:
    """S29: a rule with every weekday unticked puts nobody on call."""
    none = Restriction(type="weekday-and-time-of-day", windows=())
    assert on_call(schedule(rotation("r", "daily", "A", restriction=none)), NOW) == set()


# --- S31, S32 -------------------------------------------------------------------------


def base_schedule(overrides: tuple[Override, ...] = (), *extra: Rotation) -> Schedule:
    """S31/S32's base: A always; B 09:00-21:00 (Chicago)."""
    always = rotation("ra", "daily", "A", start=MIDNIGHT - 30 * D)
    return schedule(always, rule("rb", "B", 9 * 60, 21 * 60), *extra, overrides=overrides)


def table(s: Schedule, day: datetime) -> list[set[str]]:
    return [on_call(s, day + h * H) for h in (0, 9, 21)]


def test_s31_add_override() -> None:
    """S31: C added from now+2 d to now+6 d joins A (and B by day) on day 3 only."""
    add = rotation("add", "daily", "C", start=NOW + 2 * D, end=NOW + 6 * D)
    s = base_schedule((), add)
    assert table(s, MIDNIGHT) == [{"A"}, {"A", "B"}, {"A"}]
    assert table(s, MIDNIGHT + 3 * D) == [{"A", "C"}, {"A", "B", "C"}, {"A", "C"}]
    assert table(s, MIDNIGHT + 7 * D) == [{"A"}, {"A", "B"}, {"A"}]


def test_s32_remove_override() -> None:
    """S32: B removed from now+2 d to now+6 d: {A} on day 3 at 09:00, {A, B} after day 6."""
    remove = Override(id="o", user="A", start=NOW + 2 * D, end=NOW + 6 * D, rotation_ids=("rb",))
    s = base_schedule((remove,))
    assert on_call(s, MIDNIGHT + 3 * D + 9 * H) == {"A"}
    assert on_call(s, MIDNIGHT + 7 * D + 9 * H) == {"A", "B"}


# --- S61 ------------------------------------------------------------------------------


def test_s61_final_schedule_from_layers_gaps_and_overrides() -> None:
    """S61: the final timeline of a day (layers as a union, overrides by sequence)."""
    shifts = [("A", 10, 15), ("B", 11, 13), ("A", 16, 19), ("A", 21, 22), ("B", 22, 24)]
    shifts += [("C", 12, 14), ("D", 14, 15), ("D", 17, 18), ("D", 20, 23)]
    rotations = [rule(f"s{i}", u, a * 60, b * 60 % 1440) for i, (u, a, b) in enumerate(shifts)]
    day = MIDNIGHT + 10 * D
    e = Override(id="oe", user="E", start=day + 22 * H, end=day + 23 * H, sequence=1)
    a = Override(id="oa", user="A", start=day + 22 * H, end=day + 22.5 * H, sequence=2)
    s = schedule(*rotations, overrides=(e, a))
    got = [
        ((p.start - day) / H, (p.end - day) / H, "".join(p.users))
        for p in timeline(s, day, day + D)
    ]
    assert got == [
        (0, 10, ""),
        (10, 11, "A"),
        (11, 12, "AB"),
        (12, 13, "ABC"),
        (13, 14, "AC"),
        (14, 15, "AD"),
        (15, 16, ""),
        (16, 17, "A"),
        (17, 18, "AD"),
        (18, 19, "A"),
        (19, 20, ""),
        (20, 21, "D"),
        (21, 22, "AD"),
        (22, 22.5, "A"),
        (22.5, 23, "E"),
        (23, 24, "B"),
    ]


# --- S64 ------------------------------------------------------------------------------


def test_s64_rolling_users_with_an_interval() -> None:
    """S64: every 2 days, 3-hour shifts, [A], [B]: A d0, B d2, A d4, B d6; nobody d1, d3, d5."""
    m = minute_of(NOW)
    shift = Restriction(
        type="time-of-day", windows=(TimeWindow(start_minute=m, end_minute=m + 180),)
    )
    s = schedule(rotation("r", "daily", "A", "", "B", "", restriction=shift))
    got = [on_call(s, NOW + d * D + 5 * M) for d in range(7)]
    assert got == [{"A"}, set(), {"B"}, set(), {"A"}, set(), {"B"}]


def test_s64_hourly_variant() -> None:
    """S64: the hourly variant with interval 2 behaves the same way, every 2 hours."""
    s = schedule(rotation("r", "hourly", "A", "", "B", ""))
    got = [on_call(s, NOW + h * H + 5 * M) for h in range(7)]
    assert got == [{"A"}, set(), {"B"}, set(), {"A"}, set(), {"B"}]


# --- S66, S67 -------------------------------------------------------------------------


def test_s66_dst_inside_a_weekly_shift() -> None:
    """S66: Tuesday-midnight weekly hand-offs: 169 h at the 2024 fall-back, 167 h in March."""
    s = schedule(rotation("r", "weekly", "A", "B", start=datetime(2024, 1, 2, tzinfo=CHICAGO)))
    fall = timeline(s, datetime(2024, 10, 30, tzinfo=UTC), datetime(2024, 10, 31, tzinfo=UTC))
    spring = timeline(s, datetime(2025, 3, 5, tzinfo=UTC), datetime(2025, 3, 6, tzinfo=UTC))
    fall_week = timeline(
        s, datetime(2024, 10, 29, 5, tzinfo=UTC), datetime(2024, 11, 6, tzinfo=UTC)
    )
    spring_week = timeline(
        s, datetime(2025, 3, 4, 6, tzinfo=UTC), datetime(2025, 3, 12, tzinfo=UTC)
    )
    assert (fall_week[0].start, fall_week[0].end) == (
        datetime(2024, 10, 29, 5, tzinfo=UTC),
        datetime(2024, 11, 5, 6, tzinfo=UTC),
    )
    assert fall_week[0].end - fall_week[0].start == 169 * H
    assert (spring_week[0].start, spring_week[0].end) == (
        datetime(2025, 3, 4, 6, tzinfo=UTC),
        datetime(2025, 3, 11, 5, tzinfo=UTC),
    )
    assert spring_week[0].end - spring_week[0].start == 167 * H
    assert fall[0].users == fall_week[0].users
    assert spring[0].users == spring_week[0].users


def test_s67_bad_end_date() -> None:
    """S67: an end date earlier than the rotation start puts nobody on call, no crash."""
    s = schedule(rotation("r", "daily", "A", end=NOW - D))
    assert on_call(s, NOW) == set()
    assert [p.users for p in timeline(s, NOW - 2 * D, NOW + 2 * D)] == [()]
