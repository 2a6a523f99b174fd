"""Who is on call: pure calculation over a schedule's rotations and overrides.

This module owns the answer to "who is on call at instant t" and the final
timeline of a schedule (Opsgenie semantics); the schedules decider owns how a
``Schedule`` is edited. No clock, I/O or randomness: every instant is an argument.

Semantics
---------
* **Who.** Users and teams are on call by their recipient keys (``model``): a team
  participant or override puts the team itself on call, not its members.
* **Turns.** A rotation's turn *k* (k >= 0) is held by ``participants[k mod n]``.
  ``hourly`` rotations and ``custom`` rotations in ``hours`` are *absolute*: turn k
  starts at ``start + k * length`` hours of elapsed time. ``daily``, ``weekly`` and
  ``custom``/``days`` rotations use *local calendar* arithmetic in the schedule's
  time zone: turn k starts at the local wall-clock time ``start_local + k * length``
  days (weeks), so a Tuesday-midnight hand-off stays at local midnight and the
  week containing a DST change lasts 169 h (fall-back) or 167 h (spring-forward).
  The turn index is computed directly from t (O(1)), never by iterating turns.
  A ``none`` participant is a gap. A rotation contributes only in
  ``[start, end)``; an ``end`` not after ``start`` means it never contributes.
  A ``length`` below 1 is read as 1 (validation is the decider's job).
* **Restrictions** (local wall clock, schedule time zone). A window's end not after
  its start crosses midnight (``time-of-day``) or the week's end
  (``weekday-and-time-of-day``); equal start and end means the whole day (week).
  A ``weekday-and-time-of-day`` window without days repeats daily; a restriction
  without windows puts the rotation out of effect altogether. Minutes are clamped
  to 0..1439 and days to 1..7.
* **Overrides.** An override covering t replaces, when ``rotation_ids`` is empty,
  everyone (the whole schedule, gaps included) with its user; otherwise, for each
  named rotation *in effect* at t (started, not ended, inside its restriction —
  also during a ``none`` slot, which the override then fills), that rotation's
  participant. Among overlapping overrides the highest ``sequence`` wins (ties: the
  later one in ``Schedule.overrides``), per rotation for rotation-scoped ones; a
  rotation override beats a whole-schedule override only with a higher rank.
  An override of ``none`` (Opsgenie's ``{"type": "none"}``, e.g. a company
  holiday) replaces them with nobody: its id is still a source, so nobody on call
  by override reads ``users == ()`` with ``sources == (override id, ...)``, told
  apart from a gap (no sources).
* **Results.** ``users`` are sorted and de-duplicated; ``sources`` are the ids that
  contributed, whole-schedule override first, then per rotation in schedule order
  (the rotation's id or the id of the override replacing it), de-duplicated.
  A timeline period is maximal for equal (users, sources). A disabled schedule has
  nobody on call.

DST rule (deterministic)
------------------------
A local wall-clock time (hand-off or window edge) is resolved to an instant so:
a *nonexistent* time (inside a spring-forward gap) resolves to the first instant
after the gap (the transition itself, e.g. 02:30 on a Chicago spring-forward day
is 03:00 CDT); an *ambiguous* time (repeated at fall-back) resolves with
``fold=0``, its first occurrence. Absolute (hourly) rotations are unaffected.

Performance: each schedule is compiled once and memoised by object identity in a
bounded table (results stay a function of the arguments only: nothing is cached
per instant). ``on_call_at`` reads the time zone once (one ``astimezone``, one
``utcoffset``) and then works on integers: the instant and its wall clock in
microseconds, the wall clock's minute of the week; each rotation is one tuple
(start, end, period and turn origin in microseconds, its restriction as the
minutes of the week where coverage toggles, so "inside the restriction" is one
``bisect``); the overrides are a table of elementary intervals, each with what
the winning overrides do to each rotation (resolved on first use), so finding
them is one bisection. Per-call allocations are two short lists and the result
(the lists are de-duplicated on insertion, so the result needs no set or dict).
The numbers and strings read per call are copied into freshly allocated, adjacent
objects at compile time, since with many schedules the memory traffic costs as
much as the arithmetic. Measured with ``python -m benchmarks schedules``.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from itertools import pairwise
from typing import Final, final
from zoneinfo import ZoneInfo

import msgspec

from engine.schedules.model import (
    OnCall,
    Override,
    Period,
    Restriction,
    Rotation,
    Schedule,
    recipient_key,
)

__all__ = ["HORIZON", "Turn", "current_turn", "next_on_call", "on_call_at", "rewound", "timeline"]

HORIZON: Final = timedelta(days=366)
"""How far ``next_on_call`` looks ahead for a change (and for the next period's end)."""

_DAY: Final = 86_400
_WEEK: Final = 7 * _DAY
_WEEK_MINUTES: Final = _WEEK // 60
_MINUTE_US: Final = 60_000_000
_MICRO: Final = timedelta(microseconds=1)
_US: Final = 1_000_000
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH: Final = datetime(1970, 1, 1)
_THURSDAY: Final = 3  # the weekday (Monday = 0) of 1970-01-01
_NEVER: Final = 2**63 - 1  # the end, in microseconds, of a rotation without one
_NOBODY: Final = OnCall(users=(), sources=())
_MEMO_SIZE: Final = 16_384

# A rotation's slot at an instant: None = not in effect, "" = in effect but nobody
# (a ``none`` participant or no participants), else the on-call user id.
Slot = str | None
Segment = tuple[datetime, datetime, str]
Window = tuple[int, int, int]  # (cycle seconds: day or week, start second, end second)


@final
class _Rot(msgspec.Struct, frozen=True, gc=False):
    id: str
    absolute: bool
    period: timedelta
    start: datetime  # UTC
    end: datetime | None  # UTC
    start_local: datetime  # naive wall clock in the schedule's zone
    slots: tuple[str, ...]
    windows: tuple[Window, ...] | None  # None: unrestricted
    # The same instants in microseconds (the wall clock's since the naive epoch),
    # for on_call_at's integer arithmetic.
    period_us: int
    start_us: int
    end_us: int  # _NEVER without an end
    start_local_us: int


@final
class _Ov(msgspec.Struct, frozen=True, gc=False):
    id: str
    user: str
    start: datetime  # UTC
    end: datetime  # UTC
    rotation_ids: frozenset[str]
    rank: tuple[int, int]  # (sequence, position): higher wins
    start_us: int
    end_us: int


# What the overrides in force at an instant do: (the whole-schedule override's user
# and id, or ("", "") without one; per rotation, in schedule order, its replacement
# (user, override id), _MASKED when the whole-schedule override hides it, or None
# when no override touches it). A user "" is nobody.
Replacement = tuple[str, str] | None
Winners = tuple[str, str, tuple[Replacement, ...]]

# A rotation as on_call_at reads it (one tuple unpack instead of attribute loads):
# start, end (microseconds), restriction edges (minutes of the week where coverage
# toggles; None when unrestricted), slots, len(slots), absolute, period (us), the
# origin turn 0 counts from (start instant for absolute rotations, start wall clock
# otherwise, us), id.
Hot = tuple[int, int, tuple[int, ...] | None, tuple[str, ...], int, bool, int, int, str]


@final
class _Compiled(msgspec.Struct, frozen=True, gc=False):
    schedule: Schedule  # what was compiled (the memo checks identity)
    tz: ZoneInfo
    rotations: tuple[_Rot, ...]
    overrides: tuple[_Ov, ...]  # sorted by start
    # The overrides' elementary intervals: the sorted distinct starts and ends
    # (microseconds); in [cuts[i - 1], cuts[i]) winners[i] win, i = bisect_right(cuts,
    # t), None when no override is in force there (always so for i = 0 and
    # i = len(cuts)). Each entry is worked out on first use (_PENDING until then;
    # see _winners_at), so compiling stays cheap for the intervals nobody asks about.
    cuts: tuple[int, ...]
    winners: list[Winners | None]
    hot: tuple[Hot, ...]  # the rotations again, in on_call_at's form


# The memo's entry: what on_call_at reads, in one tuple (one lookup, one unpack):
# the schedule (identity check), enabled, zone, cuts, winners, rotation rows, and
# the compiled form.
Entry = tuple[
    Schedule, bool, ZoneInfo, tuple[int, ...], list[Winners | None], tuple[Hot, ...], _Compiled
]

_PENDING: Final[Winners] = ("", "", ())
_MASKED: Final = ("", "")  # compared by identity
_memo: dict[int, Entry] = {}
_offsets: dict[timedelta, int] = {}  # a UTC offset in microseconds (few distinct ones)
_DENSE: Final = msgspec.msgpack.Decoder(tuple[tuple[int, ...], tuple[Hot, ...]])


@lru_cache(maxsize=1024)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _utc(t: datetime) -> datetime:
    if t.tzinfo is UTC:
        return t
    if t.tzinfo is None:
        raise ValueError(f"naive datetime {t.isoformat()}: instants must be timezone-aware")
    return t.astimezone(UTC)


def _compiled(schedule: Schedule) -> _Compiled:
    """The compiled form of ``schedule``, memoised by identity (the entry keeps it alive)."""
    hit = _memo.get(id(schedule))
    if hit is not None and hit[0] is schedule:
        return hit[-1]
    return _entry(schedule)[-1]


def _entry(schedule: Schedule) -> Entry:
    """Compile ``schedule`` and memoise it (the table is cleared when full)."""
    tz = _zone(schedule.timezone)
    overrides = sorted(
        (_compile_override(o, i) for i, o in enumerate(schedule.overrides)),
        key=lambda o: o.start_us,
    )
    rotations = tuple(_compile_rotation(r, tz) for r in schedule.rotations)
    # The numbers and strings on_call_at reads, copied into new objects allocated
    # one after the other: otherwise they lie wherever the schedule's events were
    # decoded, and reading them costs a cache miss each when many schedules are
    # asked in turn (measured: ~10% of on_call_at over 10,000 schedules).
    cuts, hot = _DENSE.decode(
        msgspec.msgpack.encode(
            (
                sorted({x for o in overrides for x in (o.start_us, o.end_us)}),
                [_hot(r) for r in rotations],
            )
        )
    )
    compiled = _Compiled(
        schedule=schedule,
        tz=tz,
        rotations=rotations,
        overrides=tuple(overrides),
        cuts=cuts,
        winners=[None, *[_PENDING] * (len(cuts) - 1), None] if cuts else [None],
        hot=hot,
    )
    entry = (schedule, schedule.enabled, tz, cuts, compiled.winners, hot, compiled)
    if len(_memo) >= _MEMO_SIZE:
        _memo.clear()
    _memo[id(schedule)] = entry
    return entry


def _winners_at(c: _Compiled, i: int) -> Winners | None:
    """Who wins in the override interval ``i`` (memoised in ``c.winners``)."""
    cut = c.cuts[i - 1]
    won = _winners(c.rotations, [o for o in c.overrides if o.start_us <= cut < o.end_us])
    c.winners[i] = won
    return won


def _hot(rot: _Rot) -> Hot:
    return (
        rot.start_us,
        rot.end_us,
        None if rot.windows is None else _edges(rot.windows),
        rot.slots,
        len(rot.slots),
        rot.absolute,
        rot.period_us,
        rot.start_us if rot.absolute else rot.start_local_us,
        rot.id,
    )


def _edges(windows: tuple[Window, ...]) -> tuple[int, ...]:
    """The minutes of the week (0 = Monday 00:00) where a restriction's coverage toggles.

    Minute m of the week is covered iff an odd number of edges is <= m (one
    ``bisect_right``). Window edges are whole minutes, so a wall time's minute of
    the week decides coverage exactly as its second would.
    """
    spans: list[tuple[int, int]] = []
    for cycle, start, end in windows:
        a, b = start // 60, end // 60
        if b <= a:  # crosses midnight (the week's end); equal: the whole cycle
            b += cycle // 60
        for base in range(0, _WEEK_MINUTES, cycle // 60):
            lo, hi = base + a, base + b  # lo < _WEEK_MINUTES <= hi when it wraps
            spans.append((lo, min(hi, _WEEK_MINUTES)))
            if hi > _WEEK_MINUTES:
                spans.append((0, hi - _WEEK_MINUTES))
    edges: list[int] = []
    for lo, hi in sorted(spans):
        if edges and lo <= edges[-1]:
            edges[-1] = max(edges[-1], hi)
        else:
            edges += (lo, hi)
    return tuple(edges)


def _compile_rotation(rotation: Rotation, tz: ZoneInfo) -> _Rot:
    length = max(1, rotation.length)
    unit = rotation.custom_unit if rotation.type == "custom" else rotation.type
    absolute = unit in ("hourly", "hours")
    if absolute:
        period = timedelta(hours=length)
    else:
        period = timedelta(weeks=length) if unit == "weekly" else timedelta(days=length)
    start = _utc(rotation.start)
    end = None if rotation.end is None else _utc(rotation.end)
    start_local = start.astimezone(tz).replace(tzinfo=None)
    return _Rot(
        id=rotation.id,
        absolute=absolute,
        period=period,
        start=start,
        end=end,
        start_local=start_local,
        slots=tuple(recipient_key(p.type, p.id) for p in rotation.participants),
        windows=None if rotation.restriction is None else _compile_windows(rotation.restriction),
        period_us=period // _MICRO,
        start_us=_us(start),
        end_us=_NEVER if end is None else _us(end),
        start_local_us=(start_local - _NAIVE_EPOCH) // _MICRO,
    )


def _us(t: datetime) -> int:
    """Microseconds since the epoch of the aware instant ``t``."""
    return (t - _EPOCH) // _MICRO


def _compile_windows(restriction: Restriction) -> tuple[Window, ...]:
    windows: list[Window] = []
    for w in restriction.windows:
        start_s = min(max(w.start_minute, 0), 1439) * 60
        end_s = min(max(w.end_minute, 0), 1439) * 60
        weekly = restriction.type == "weekday-and-time-of-day"
        if weekly and w.start_day is not None and w.end_day is not None:
            start_s += (min(max(w.start_day, 1), 7) - 1) * _DAY
            end_s += (min(max(w.end_day, 1), 7) - 1) * _DAY
            windows.append((_WEEK, start_s, end_s))
        else:
            windows.append((_DAY, start_s, end_s))
    return tuple(windows)


def _compile_override(override: Override, position: int) -> _Ov:
    start, end = _utc(override.start), _utc(override.end)
    return _Ov(
        id=override.id,
        user=recipient_key(override.user_type, override.user),
        start=start,
        end=end,
        rotation_ids=frozenset(override.rotation_ids),
        rank=(override.sequence, position),
        start_us=_us(start),
        end_us=_us(end),
    )


# --- local wall clock -> instant -------------------------------------------------


def _resolve(local: datetime, tz: ZoneInfo) -> datetime:
    """The UTC instant of naive wall time ``local`` under the module's DST rule."""
    aware = local.replace(tzinfo=tz)
    instant = aware.astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) == local:
        return instant  # exists (fold=0 picks the first of two occurrences)
    # In a gap: fold=1 reads it with the offset after the transition (an earlier
    # instant), fold=0 with the one before; the transition lies between them.
    return _transition(aware.replace(fold=1).astimezone(UTC), instant, tz)


def _transition(lo: datetime, hi: datetime, tz: ZoneInfo) -> datetime:
    """The first instant in (lo, hi] whose UTC offset differs from lo's (bisection)."""
    offset = lo.astimezone(tz).utcoffset()
    while hi - lo > _MICRO:
        mid = lo + (hi - lo) // 2
        if mid.astimezone(tz).utcoffset() == offset:
            lo = mid
        else:
            hi = mid
    return hi


# --- rotations ----------------------------------------------------------------


def _boundary(rot: _Rot, k: int, tz: ZoneInfo) -> datetime:
    """The instant turn ``k >= 1`` starts (turn 0 starts at the rotation's start)."""
    if rot.absolute:
        return rot.start + k * rot.period
    return _resolve(rot.start_local + k * rot.period, tz)


def _turn_index(rot: _Rot, t: datetime, tz: ZoneInfo) -> int:
    """The turn containing ``t`` (``t >= rot.start``): estimate, then verify on instants."""
    if rot.absolute:
        return (t - rot.start) // rot.period
    naive = t.astimezone(tz).replace(tzinfo=None)
    k = max(0, (naive - rot.start_local) // rot.period)
    while k > 0 and _boundary(rot, k, tz) > t:  # pragma: no cover - defensive
        # Wall time never runs ahead of a resolved boundary (a gap boundary resolves
        # to the gap's end, an ambiguous one to its first pass), so this cannot
        # trigger today; it keeps the index exact should the DST rule change.
        k -= 1
    while _boundary(rot, k + 1, tz) <= t:
        k += 1
    return k


@final
class Turn(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A rotation's turn: its index from the rotation's start, and its instants."""

    index: int
    start: datetime
    end: datetime


def current_turn(rotation: Rotation, timezone: str, t: datetime) -> Turn | None:
    """
    The turn of ``rotation`` containing ``t`` (restrictions aside).

    Args:
        rotation: the rotation (hand-offs read in ``timezone``).
        timezone: the schedule's IANA time zone.
        t: an aware instant.

    Returns:
        The turn, whose participant is ``participants[index % len(participants)]``;
        ``None`` before the rotation's start or from its end. ``end`` is the next
        hand-off even when the rotation ends earlier.
    """
    tz = _zone(timezone)
    rot, t = _compile_rotation(rotation, tz), _utc(t)
    if t < rot.start or (rot.end is not None and t >= rot.end):
        return None
    k = _turn_index(rot, t, tz)
    start = rot.start if k == 0 else _boundary(rot, k, tz)
    return Turn(index=k, start=start, end=_boundary(rot, k + 1, tz))


def rewound(rotation: Rotation, timezone: str, turns: int) -> Rotation | None:
    """
    ``rotation`` with its start moved back by ``turns`` whole turns, so that its old
    turn k is its new turn k + turns and every hand-off after its old start stays at
    the same instant.

    A ``daily``/``weekly``/``custom``-days rotation moves back on the wall clock (the
    hand-off rule itself), so the hand-offs stay put across DST; an absolute one by
    elapsed time. The new start is in UTC.

    Returns:
        The rotation; ``None`` when the wall-clock start ``turns`` back does not
        exist (it falls in a spring-forward gap), since such a start would move
        every hand-off to the gap's end.
    """
    tz = _zone(timezone)
    rot = _compile_rotation(rotation, tz)
    if rot.absolute:
        start = rot.start - turns * rot.period
    else:
        wall = rot.start_local - turns * rot.period
        start = _resolve(wall, tz)
        if start.astimezone(tz).replace(tzinfo=None) != wall:
            return None
    return msgspec.structs.replace(rotation, start=start)


def _slot(rot: _Rot, k: int) -> str:
    return rot.slots[k % len(rot.slots)] if rot.slots else ""


def _turns(rot: _Rot, lo: datetime, hi: datetime, tz: ZoneInfo) -> list[Segment]:
    """The turns of ``rot`` clipped to [lo, hi), with lo >= rot.start."""
    k = _turn_index(rot, lo, tz)
    out: list[Segment] = []
    s = lo
    while s < hi:
        e = min(_boundary(rot, k + 1, tz), hi)
        if e > s:
            out.append((s, e, _slot(rot, k)))
            s = e
        k += 1
    return out


def _instances(
    windows: tuple[Window, ...], lo: datetime, hi: datetime, tz: ZoneInfo
) -> list[tuple[datetime, datetime]]:
    """The restriction's windows as merged instants clipped to [lo, hi)."""
    first, last = lo.astimezone(tz).date(), hi.astimezone(tz).date()
    found: list[tuple[datetime, datetime]] = []
    for cycle, start, end in windows:
        if cycle == _DAY:
            day = first - timedelta(days=2)
        else:
            day = first - timedelta(days=first.weekday() + 7)
        while day <= last:
            base = datetime(day.year, day.month, day.day)
            ws = _resolve(base + timedelta(seconds=start), tz)
            we = _resolve(base + timedelta(seconds=end if end > start else end + cycle), tz)
            if we > lo and ws < hi:
                found.append((max(ws, lo), min(we, hi)))
            day += timedelta(seconds=cycle)
    return _merge(sorted(found))


def _merge(spans: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def _segments(rot: _Rot, a: datetime, b: datetime, tz: ZoneInfo) -> list[Segment]:
    """Where ``rot`` is in effect within [a, b), with its slot."""
    lo = max(a, rot.start)
    hi = b if rot.end is None else min(b, rot.end)
    if lo >= hi:
        return []
    turns = _turns(rot, lo, hi, tz)
    if rot.windows is None:
        return turns
    return _intersect(turns, _instances(rot.windows, lo, hi, tz))


def _intersect(turns: list[Segment], spans: list[tuple[datetime, datetime]]) -> list[Segment]:
    """The parts of ``turns`` inside ``spans`` (both sorted and disjoint): a linear merge."""
    out: list[Segment] = []
    i = j = 0
    while i < len(turns) and j < len(spans):
        (ts, te, slot), (ws, we) = turns[i], spans[j]
        s, e = max(ts, ws), min(te, we)
        if s < e:
            out.append((s, e, slot))
        if te <= we:
            i += 1
        else:
            j += 1
    return out


# --- combining ----------------------------------------------------------------


def _winners(rotations: Sequence[_Rot], active: Sequence[_Ov]) -> Winners | None:
    """What the overrides covering an instant do: per scope, the highest rank wins."""
    if not active:
        return None
    whole: _Ov | None = None
    scoped: dict[str, _Ov] = {}
    for o in active:
        if not o.rotation_ids:
            if whole is None or o.rank > whole.rank:
                whole = o
            continue
        for rid in o.rotation_ids:
            current = scoped.get(rid)
            if current is None or o.rank > current.rank:
                scoped[rid] = o
    per_rotation: list[Replacement] = []
    for rot in rotations:
        replacing = scoped.get(rot.id)
        if replacing is not None and (whole is None or replacing.rank > whole.rank):
            per_rotation.append((replacing.user, replacing.id))
        else:
            per_rotation.append(None if whole is None else _MASKED)
    if whole is None:
        return ("", "", tuple(per_rotation))
    return (whole.user, whole.id, tuple(per_rotation))


def _on_call(users: list[str], sources: list[str]) -> OnCall:
    """The result from de-duplicated ``users`` (sorted here, in place) and ``sources``."""
    if not sources:
        return _NOBODY
    if len(users) > 1:
        users.sort()
    return OnCall(users=tuple(users), sources=tuple(sources))


def _add(into: list[str], item: str) -> None:
    if item not in into:
        into.append(item)


def _combine(rots: Sequence[_Rot], slots: Sequence[Slot], won: Winners | None) -> OnCall:
    """The on-call set from each rotation's slot and the overrides in force (the timeline's)."""
    users: list[str] = []
    sources: list[str] = []
    if won is None:
        for rot, slot in zip(rots, slots, strict=True):
            if slot:
                _add(users, slot)
                _add(sources, rot.id)
        return _on_call(users, sources)
    whole_user, whole_id, replacements = won
    if whole_id:
        sources.append(whole_id)
        if whole_user:
            users.append(whole_user)
    for rot, slot, replacement in zip(rots, slots, replacements, strict=True):
        if slot is None or replacement is _MASKED:
            continue
        if replacement is not None:
            if replacement[0]:
                _add(users, replacement[0])
            _add(sources, replacement[1])
        elif slot:
            _add(users, slot)
            _add(sources, rot.id)
    return _on_call(users, sources)


# --- public API ----------------------------------------------------------------


def on_call_at(schedule: Schedule, t: datetime) -> OnCall:
    """
    Who is on call in ``schedule`` at instant ``t``.

    Args:
        schedule: the schedule (rules read in its time zone).
        t: a timezone-aware instant.

    Returns:
        The sorted users and the ids of the rotations/overrides that put them there.

    Raises:
        ValueError: ``t`` (or a datetime in the schedule) is naive.
    """
    if t.tzinfo is not UTC:
        t = _utc(t)
    entry = _memo.get(id(schedule))
    if entry is None or entry[0] is not schedule:
        entry = _entry(schedule)
    _, enabled, tz, cuts, winners, rows, compiled = entry
    if not enabled:
        return _NOBODY
    local = t.astimezone(tz)
    if local.fold:
        # In a repeated hour wall time does not order like instants: take the
        # exact (instant-based) path shared with the timeline.
        p = timeline(schedule, t, t + _MICRO)[0]
        return OnCall(users=p.users, sources=p.sources)
    # Integers from here: the instant, and its local wall clock (fold=0, so wall
    # time orders like instants against every resolved boundary: a gap boundary
    # resolves to the gap's end), and the wall clock's minute of the week.
    t_us = (t - _EPOCH) // _MICRO
    offset = local.utcoffset()
    offset_us = _offsets.get(offset)  # type: ignore[arg-type]  # aware: never None
    if offset_us is None:
        offset_us = _offsets[offset] = offset // _MICRO  # type: ignore[operator,index]
    wall_us = t_us + offset_us
    minute = (wall_us // _MINUTE_US + _THURSDAY * 1440) % _WEEK_MINUTES
    i = bisect_right(cuts, t_us)
    won = winners[i]
    if won is _PENDING:
        won = _winners_at(compiled, i)
    users: list[str] = []
    sources: list[str] = []
    if won is None:  # no override in force: each rotation's participant
        for start, end, edges, slots, n, absolute, period, origin, rid in rows:
            if start <= t_us < end and n and (edges is None or bisect_right(edges, minute) & 1):
                k = ((t_us if absolute else wall_us) - origin) // period
                slot = slots[k % n if k > 0 else 0]
                if slot:
                    if slot not in users:
                        users.append(slot)
                    if rid not in sources:
                        sources.append(rid)
        return _on_call(users, sources)
    whole_user, whole_id, replacements = won
    if whole_id:
        sources.append(whole_id)
        if whole_user:
            users.append(whole_user)
    for (start, end, edges, slots, n, absolute, period, origin, rid), replacement in zip(
        rows, replacements, strict=True
    ):
        if (
            replacement is _MASKED
            or not start <= t_us < end
            or (edges is not None and not bisect_right(edges, minute) & 1)
        ):
            continue
        if replacement is not None:
            user, rid = replacement
        elif n:
            k = ((t_us if absolute else wall_us) - origin) // period
            user = slots[k % n if k > 0 else 0]
            if not user:
                continue
        else:
            continue
        if user and user not in users:
            users.append(user)
        if rid not in sources:
            sources.append(rid)
    return _on_call(users, sources)


def timeline(schedule: Schedule, start: datetime, end: datetime) -> list[Period]:
    """
    The final schedule over [start, end) as maximal periods.

    Args:
        schedule: the schedule.
        start: first instant (aware).
        end: end instant (aware, exclusive).

    Returns:
        Periods covering [start, end) exactly, in order, adjacent ones differing in
        users or sources; periods with nobody have ``users == ()``. Empty when
        ``end <= start``.

    Raises:
        ValueError: a datetime is naive.
    """
    start, end = _utc(start), _utc(end)
    if end <= start:
        return []
    if not schedule.enabled:
        return [Period(start=start, end=end, users=(), sources=())]
    c = _compiled(schedule)
    segments = [_segments(r, start, end, c.tz) for r in c.rotations]
    overrides = [o for o in c.overrides if o.start < end and o.end > start]
    cuts = {start, end}
    for seg in segments:
        cuts.update(x for s, e, _ in seg for x in (s, e))
    cuts.update(x for o in overrides for x in (o.start, o.end) if start < x < end)
    return _sweep(c, segments, overrides, sorted(cuts))


def _sweep(
    c: _Compiled, segments: list[list[Segment]], overrides: list[_Ov], cuts: list[datetime]
) -> list[Period]:
    """Evaluate each elementary interval between cuts and merge equal neighbours."""
    periods: list[Period] = []
    cursor = [0] * len(segments)
    for a, b in pairwise(cuts):
        slots: list[Slot] = []
        for i, seg in enumerate(segments):
            while cursor[i] < len(seg) and seg[cursor[i]][1] <= a:
                cursor[i] += 1
            hit = cursor[i] < len(seg) and seg[cursor[i]][0] <= a
            slots.append(seg[cursor[i]][2] if hit else None)
        won = _winners(c.rotations, [o for o in overrides if o.start <= a < o.end])
        oc = _combine(c.rotations, slots, won)
        last = periods[-1] if periods else None
        if last is not None and last.users == oc.users and last.sources == oc.sources:
            periods[-1] = Period(start=last.start, end=b, users=oc.users, sources=oc.sources)
        else:
            periods.append(Period(start=a, end=b, users=oc.users, sources=oc.sources))
    return periods


def next_on_call(schedule: Schedule, t: datetime, *, horizon: timedelta = HORIZON) -> Period | None:
    """
    The period after the one containing ``t``: the next change of who is on call.

    Args:
        schedule: the schedule.
        t: an aware instant.
        horizon: how far to look for the change, and then for that period's end.

    Returns:
        The next period, its end capped at ``start + horizon`` when nothing changes
        within that; ``None`` when nothing changes within ``horizon`` of ``t``.

    Raises:
        ValueError: ``t`` is naive.
    """
    t = _utc(t)
    change = _next_change(schedule, t, horizon)
    if change is None:
        return None
    end = _next_change(schedule, change, horizon) or change + horizon
    oc = on_call_at(schedule, change)
    return Period(start=change, end=end, users=oc.users, sources=oc.sources)


def _next_change(schedule: Schedule, t: datetime, horizon: timedelta) -> datetime | None:
    """The end of the period containing ``t``, searched in growing windows."""
    span = timedelta(days=1)
    while True:
        span = min(span, horizon)
        periods = timeline(schedule, t, t + span)
        if len(periods) > 1:
            return periods[1].start
        if span >= horizon:
            return None
        span *= 4
