"""Alert events: the facts the alerts area records in the log.

Events are frozen msgspec Structs tagged by class name under ``"type"``, named in the past
tense. Each carries every fact ``evolve`` needs (the tiny id a new alert got, the new
occurrence count, the report durations, only the tags that were really added), so replay
never recomputes a decision and never reads anything but the event and the state it folds.
Every event carries ``alert_id`` and ``at`` (the time the actor stamped on the command);
action events also carry the acting ``user`` and ``source`` (``""`` when not given).

One event is about an alias rather than one alert: ``AlertAliasResolved`` (union
``AliasEvent``), the end of an episode a webhook resolved. It has no subject, so it is in
no alert's history and not in ``ALERT_EVENT_TYPES`` (the alert's own events).

Evolution (msgspec rules): new fields get defaults; a field's type never changes; a changed
meaning gets a new versioned event with an ``upcast_v1_v2`` upcaster.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final, final

import msgspec

from engine.alerts.state import Integration, Responder

__all__ = [
    "ALERT_EVENT_TYPES",
    "ALIAS_EVENT_TYPES",
    "AlertAcknowledged",
    "AlertAliasResolved",
    "AlertAssigned",
    "AlertClosed",
    "AlertCreated",
    "AlertDeduplicated",
    "AlertDeleted",
    "AlertDescriptionUpdated",
    "AlertDetailsAdded",
    "AlertDetailsRemoved",
    "AlertEscalated",
    "AlertEvent",
    "AlertMessageUpdated",
    "AlertNoteAdded",
    "AlertPriorityUpdated",
    "AlertResponderAdded",
    "AlertSnoozed",
    "AlertTagsAdded",
    "AlertTagsRemoved",
    "AlertUnacknowledged",
    "AlertUnsnoozed",
    "AliasEvent",
    "subject_of",
]


class _Event(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """Base of every alert event (not itself an event)."""

    alert_id: str
    at: datetime


class _ActorEvent(_Event, frozen=True, kw_only=True):
    """An event caused by a user or integration action."""

    user: str = ""
    source: str = ""


@final
class AlertCreated(_ActorEvent, frozen=True, kw_only=True):
    """A new open alert exists, with tiny id ``tiny_id`` and normalised fields.

    ``unresolved_responders`` are the ids/names of responders sent without a type that
    match no team, user, escalation or schedule: not responders, kept for the log.
    ``starts_at`` is the sender's start of the episode that opened it (Alertmanager's and
    Grafana's ``startsAt``; None for the others): a resolve of that integration whose end
    is before it belongs to an earlier episode and does not close the alert.
    """

    tiny_id: int
    alias: str
    message: str
    description: str = ""
    tags: tuple[str, ...] = ()
    details: dict[str, str] = msgspec.field(default_factory=dict)
    entity: str = ""
    priority: str = "P3"
    responders: tuple[Responder, ...] = ()
    actions: tuple[str, ...] = ()
    integration: Integration | None = None
    unresolved_responders: tuple[str, ...] = ()
    starts_at: datetime | None = None


@final
class AlertDeduplicated(_ActorEvent, frozen=True, kw_only=True):
    """A create hit the open alert with the same alias; ``count`` is its new count.

    ``starts_at`` is the firing's ``startsAt`` when it came through the alert's own
    integration (None otherwise, or without one): the alert's episode start moves to it
    when later, so a late resolve of the episode the alert was opened for leaves it open.
    """

    count: int
    starts_at: datetime | None = None


@final
class AlertAcknowledged(_ActorEvent, frozen=True, kw_only=True):
    """The alert was acknowledged ``ack_time`` ms after it was created."""

    ack_time: int


@final
class AlertUnacknowledged(_ActorEvent, frozen=True, kw_only=True):
    """The alert's acknowledgement was taken back."""


@final
class AlertClosed(_ActorEvent, frozen=True, kw_only=True):
    """The alert was closed ``close_time`` ms after it was created (ends any snooze)."""

    close_time: int


@final
class AlertSnoozed(_ActorEvent, frozen=True, kw_only=True):
    """The alert is snoozed until ``end_time``."""

    end_time: datetime


@final
class AlertUnsnoozed(_Event, frozen=True, kw_only=True):
    """The alert's snooze ended (issued by the timer)."""


@final
class AlertAssigned(_ActorEvent, frozen=True, kw_only=True):
    """The alert's owner became ``owner``."""

    owner: str


@final
class AlertNoteAdded(_ActorEvent, frozen=True, kw_only=True):
    """A note was appended to the alert; ``user`` is its owner."""

    note: str


@final
class AlertTagsAdded(_ActorEvent, frozen=True, kw_only=True):
    """``tags`` (none of which the alert had) were appended in this order."""

    tags: tuple[str, ...]


@final
class AlertTagsRemoved(_ActorEvent, frozen=True, kw_only=True):
    """``tags`` (all of which the alert had) were removed."""

    tags: tuple[str, ...]


@final
class AlertDetailsAdded(_ActorEvent, frozen=True, kw_only=True):
    """Custom properties were set; only new keys and changed values are listed."""

    details: dict[str, str]


@final
class AlertDetailsRemoved(_ActorEvent, frozen=True, kw_only=True):
    """Custom properties ``keys`` (all present) were removed."""

    keys: tuple[str, ...]


@final
class AlertPriorityUpdated(_ActorEvent, frozen=True, kw_only=True):
    """The alert's priority became ``priority``."""

    priority: str


@final
class AlertMessageUpdated(_ActorEvent, frozen=True, kw_only=True):
    """The alert's message became ``message``."""

    message: str


@final
class AlertDescriptionUpdated(_ActorEvent, frozen=True, kw_only=True):
    """The alert's description became ``description``."""

    description: str


@final
class AlertEscalated(_ActorEvent, frozen=True, kw_only=True):
    """The alert was escalated to ``escalation`` and is no longer acknowledged."""

    escalation: Responder


@final
class AlertResponderAdded(_ActorEvent, frozen=True, kw_only=True):
    """``responder`` became a responder of the alert."""

    responder: Responder


@final
class AlertDeleted(_ActorEvent, frozen=True, kw_only=True):
    """The alert was deleted; it no longer exists."""


AlertEvent = (
    AlertCreated
    | AlertDeduplicated
    | AlertAcknowledged
    | AlertUnacknowledged
    | AlertClosed
    | AlertSnoozed
    | AlertUnsnoozed
    | AlertAssigned
    | AlertNoteAdded
    | AlertTagsAdded
    | AlertTagsRemoved
    | AlertDetailsAdded
    | AlertDetailsRemoved
    | AlertPriorityUpdated
    | AlertMessageUpdated
    | AlertDescriptionUpdated
    | AlertEscalated
    | AlertResponderAdded
    | AlertDeleted
)
"""Every alert event; decode with ``msgspec.json.decode(raw, type=AlertEvent)``."""

ALERT_EVENT_TYPES: Final[tuple[type[AlertEvent], ...]] = (
    AlertCreated,
    AlertDeduplicated,
    AlertAcknowledged,
    AlertUnacknowledged,
    AlertClosed,
    AlertSnoozed,
    AlertUnsnoozed,
    AlertAssigned,
    AlertNoteAdded,
    AlertTagsAdded,
    AlertTagsRemoved,
    AlertDetailsAdded,
    AlertDetailsRemoved,
    AlertPriorityUpdated,
    AlertMessageUpdated,
    AlertDescriptionUpdated,
    AlertEscalated,
    AlertResponderAdded,
    AlertDeleted,
)


@final
class AlertAliasResolved(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """Integration ``integration_id`` resolved the episode of ``alias`` that ended at
    ``ends_at`` (later than any before): a firing of theirs that began no later is stale.

    Recorded with the ``AlertClosed`` of a resolve, or alone when it closed nothing (no
    open alert: a resolve delivered before its firing; or the open alert is of a later
    episode). Applying it may also forget the ends recorded more than
    ``RESOLVED_HORIZON`` before it (``AlertsState.resolved_until``).
    """

    at: datetime
    alias: str
    integration_id: str
    ends_at: datetime


AliasEvent = AlertAliasResolved
"""Events about an alias across its alerts (no subject)."""

ALIAS_EVENT_TYPES: Final[tuple[type[AliasEvent], ...]] = (AlertAliasResolved,)


def subject_of(event: AlertEvent) -> str | None:
    """
    Return the id of the alert ``event`` is about, for the log's per-entity history.

    Args:
        event: any alert event.

    Returns:
        The event's ``alert_id`` (every alert event has one; ``None`` is reserved for
        future org-wide alert events).
    """
    return event.alert_id
