"""Alert state: the alerts of one organization and the indexes the decider and timer need.

``AlertsState`` and ``Alert`` are *mutable* msgspec Structs on purpose: ``evolve`` updates
them in place, because an org may hold 100k alerts and replay must run at hundreds of
thousands of events per second, which copying a dict per event would rule out. That is
safe because the org actor owns the only copy of its state; when an append fails the actor
discards the state and rebuilds it from the log (design decision 4), so a half-applied
batch is never observed. ``decide`` only reads state.

Value types shared by commands and events (``Responder``, ``Integration``) are frozen.

Memory and GC: an organization may hold 100k alerts. ``Alert`` and its parts are
``gc=False`` Structs (they never form reference cycles) and its sequences are tuples
(replaced, not mutated), so CPython's cyclic collector does not track them: a full
collection over 100k alerts went from ~350 ms to a few ms, which is what kept the
server's p99 latency from spiking whenever a collection ran.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final, final

import msgspec

__all__ = [
    "RESOLVED_HORIZON",
    "RESOLVED_SWEEP_EVERY",
    "Alert",
    "AlertsState",
    "EpisodeEnd",
    "Integration",
    "Note",
    "Report",
    "Responder",
    "due_snoozes",
    "episode_key",
    "initial_state",
    "next_due",
]

# How long the end of a resolved episode is remembered after it was recorded
# (``AlertsState.resolved_until``). It only has to outlive the late deliveries of that
# episode's firings: Alertmanager resends a firing every ``repeat_interval`` (hours) while it
# fires and stops once it resolved, retries a failed webhook for minutes, and an HA peer's
# copy lags by its gossip interval (seconds); Grafana likewise. A firing delivered more
# than a week after its resolve was recorded does not happen; if one did, it would open an
# alert (the rule before stale firings existed): forgetting errs towards paging.
RESOLVED_HORIZON: Final = timedelta(days=7)
# How often (by the recording times of resolves) the ends older than the horizon are
# swept out, in one pass that rebuilds the dict. Sweeps are at least this far apart and an
# end lives at most 8 days, so each end is visited by at most nine sweeps: amortized O(1)
# per resolve. Not entry by entry from the front of an insertion-ordered dict: CPython
# leaves a tombstone per deleted entry at the front, which every ``next(iter(d))`` walks
# again until the dict is resized (measured: ~45 us per resolve at 100k entries).
RESOLVED_SWEEP_EVERY: Final = timedelta(days=1)


@final
class Responder(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """Who an alert is routed to: ``type`` is user, team, escalation or schedule.

    In a command, ``type`` may be ``""``: the client named someone (``id`` holds the
    id, name or username it sent) without saying what. The organization resolves such
    a responder before the alerts area decides (``engine.org.responders``); one that
    names nothing stays typeless, and the alerts area never stores it on an alert.
    """

    type: str
    id: str


@final
class Integration(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """The integration (API key, webhook) an alert arrived through."""

    id: str
    name: str
    type: str


@final
class Note(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A note on an alert; ``owner`` is the user who wrote it (``""`` if unknown)."""

    note: str
    owner: str
    created_at: datetime


@final
class Report(msgspec.Struct, kw_only=True, gc=False):
    """Opsgenie's alert report; each field stays ``None`` until it happens.

    ``ack_time`` and ``close_time`` are milliseconds from the alert's creation; the values
    reflect the most recent acknowledgement (an alert may be re-acknowledged after an
    escalation) and the close.
    """

    ack_time: int | None = None
    close_time: int | None = None
    acknowledged_by: str | None = None
    closed_by: str | None = None


@final
class Alert(msgspec.Struct, kw_only=True, gc=False):
    """One alert, shaped after Opsgenie's alert object (compat-api.md 4.7).

    ``tiny_id`` is an int here (sortable); the wire shows it as a numeric string.
    """

    id: str
    tiny_id: int
    alias: str
    message: str
    description: str
    status: str
    acknowledged: bool
    snoozed: bool
    snoozed_until: datetime | None
    count: int
    created_at: datetime
    updated_at: datetime
    last_occurred_at: datetime
    source: str
    owner: str
    priority: str
    tags: tuple[str, ...]
    details: dict[str, str]
    entity: str
    responders: tuple[Responder, ...]
    actions: tuple[str, ...]
    notes: tuple[Note, ...]
    report: Report
    integration: Integration | None = None
    created_by: str = ""
    # The sender's ``startsAt`` of the firing that opened the alert, or the latest start of
    # its integration's firings deduplicated into it (Alertmanager, Grafana; None for the
    # others): a resolve that ended before it is of an earlier episode.
    starts_at: datetime | None = None


@final
class EpisodeEnd(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """The end of the last episode an integration resolved for an alias.

    ``ends_at`` is the sender's ``endsAt``; ``recorded_at`` the time of the
    ``AlertAliasResolved`` that recorded it (the actor's clock), which decides when the
    entry is forgotten (``RESOLVED_HORIZON``).
    """

    ends_at: datetime
    recorded_at: datetime


def episode_key(integration_id: str, alias: str) -> str:
    """The key of an integration's alias in ``AlertsState.resolved_until``.

    Integration ids are generated UUIDs (or ``""``), which never hold a space, so the
    first space separates them from the alias and no two pairs share a key.
    """
    return f"{integration_id} {alias}"


@final
class AlertsState(msgspec.Struct, kw_only=True):
    """Every alert of one organization plus lookup indexes, all maintained by ``evolve``.

    Attributes:
        alerts: alert id -> alert.
        open_by_alias: alias -> id of the one open alert with that alias (dedup key).
        ids_by_alias: alias -> ids of existing alerts with that alias, oldest first.
        by_tiny_id: tiny id -> alert id.
        next_tiny_id: the tiny id the next new alert gets (per org, from 1, never reused).
        snoozed_until: alert id -> snooze end, for open snoozed alerts only (timer index).
        resolved_until: ``episode_key(integration id, alias)`` -> the latest ``endsAt`` of
            a resolve applied to that alias (``AlertAliasResolved``) and when it was
            recorded: firings of theirs that began no later are stale. Ends recorded more
            than ``RESOLVED_HORIZON`` before the newest resolve are forgotten by the sweep
            (every ``RESOLVED_SWEEP_EVERY``), so it holds at most 8 days of resolves.
        resolved_swept_at: the recording time of the resolve that last swept
            ``resolved_until`` (None before the first).
    """

    alerts: dict[str, Alert] = msgspec.field(default_factory=dict)
    open_by_alias: dict[str, str] = msgspec.field(default_factory=dict)
    ids_by_alias: dict[str, tuple[str, ...]] = msgspec.field(default_factory=dict)
    by_tiny_id: dict[int, str] = msgspec.field(default_factory=dict)
    next_tiny_id: int = 1
    snoozed_until: dict[str, datetime] = msgspec.field(default_factory=dict)
    resolved_until: dict[str, EpisodeEnd] = msgspec.field(default_factory=dict)
    resolved_swept_at: datetime | None = None


def initial_state() -> AlertsState:
    """
    Return the state of an organization without alerts.

    Returns:
        A fresh, empty ``AlertsState`` (never shared, since ``evolve`` mutates it).
    """
    return AlertsState()


def next_due(state: AlertsState) -> datetime | None:
    """
    Return the earliest time a snooze ends, for the actor's timer loop.

    Args:
        state: the alerts state.

    Returns:
        The earliest ``snoozed_until`` among open snoozed alerts, or ``None`` if none.
    """
    return min(state.snoozed_until.values(), default=None)


def due_snoozes(state: AlertsState, now: datetime) -> list[str]:
    """
    Return the ids of alerts whose snooze has ended at ``now``, earliest first.

    The timer loop turns each into an ``UnsnoozeAlert`` command.

    Args:
        state: the alerts state.
        now: the current time (timezone-aware).

    Returns:
        Alert ids with ``snoozed_until <= now``, ordered by snooze end then id.
    """
    due = [(until, alert_id) for alert_id, until in state.snoozed_until.items() if until <= now]
    return [alert_id for _, alert_id in sorted(due)]
