"""Hypothesis strategies for domain commands, shared by property tests.

Alert commands draw their ids and aliases from small pools, so random sequences hit the
interesting paths often: deduplication, re-creating an alias after close, acting on closed,
deleted or unknown alerts, reusing an alert id, snoozes that are due or not.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TypeVar

from hypothesis import strategies as st

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

__all__ = ["BASE_TIME", "alert_command", "alert_steps", "mostly"]

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
