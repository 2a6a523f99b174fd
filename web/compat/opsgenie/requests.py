"""Request statuses of Opsgenie's async model (``GET /v2/alerts/requests/{requestId}``).

Pulsar processes every request before answering 202, so a status is known when the
response leaves. The process that handled a request keeps its exact status in memory,
per organization, bounded (the newest ``max_per_org``, at most ``ttl`` old).

Statuses also survive a restart and reach other processes, because every event a
request produced carries its request id in the event metadata (``EventMeta.request_id``,
the ``requestId`` the client got). On a miss, the organization's newest ``max_per_org``
events are read once (then only the events after the last read) and a status is derived
for each request id found: the request's first alert event says what it did
(``AlertAcknowledged`` -> ``Acknowledge``, "Acknowledged alert"). What writes no alert
event cannot be derived: failures ("Alert does not exist") and no-op successes (closing
a closed alert) are known only to the process that answered them; after a restart they
are 404 "Request does not exist". Derived statuses name ``AddResponder`` for an added
team too (the event does not say which route added it).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, Final, final

import msgspec

from engine import decode_event, decode_meta
from eventstore import Envelope
from web.compat.opsgenie.wire import timestamp

__all__ = ["DERIVED", "RequestStatus", "RequestStore", "derive_statuses"]

# The request-status action and text of the request whose first alert event is the key.
DERIVED: Final[dict[str, tuple[str, str]]] = {
    "AlertCreated": ("Create", "Created alert"),
    "AlertDeduplicated": ("Create", "Alert deduplicated"),
    "AlertAcknowledged": ("Acknowledge", "Acknowledged alert"),
    "AlertUnacknowledged": ("UnAcknowledge", "Unacknowledged alert"),
    "AlertClosed": ("Close", "Closed alert"),
    "AlertSnoozed": ("Snooze", "Snoozed alert"),
    "AlertEscalated": ("Escalate", "Escalated alert"),
    "AlertAssigned": ("Assign", "Assigned alert"),
    "AlertResponderAdded": ("AddResponder", "Added responder"),
    "AlertNoteAdded": ("AddNote", "Added note"),
    "AlertTagsAdded": ("AddTags", "Added tags"),
    "AlertTagsRemoved": ("RemoveTags", "Removed tags"),
    "AlertDetailsAdded": ("AddDetails", "Added details"),
    "AlertDetailsRemoved": ("RemoveDetails", "Removed details"),
    "AlertPriorityUpdated": ("UpdatePriority", "Updated priority"),
    "AlertMessageUpdated": ("UpdateMessage", "Updated message"),
    "AlertDescriptionUpdated": ("UpdateDescription", "Updated description"),
    "AlertDeleted": ("Delete", "Deleted alert"),
}
# The note a custom action writes (``actions._custom_action``).
_CUSTOM = re.compile(r"^Executed custom action '(?P<name>.+?)'(?::|$)")


@final
class RequestStatus(msgspec.Struct, kw_only=True, rename="camel"):
    """The ``data`` of a request status answer (OAS ``AlertRequestStatus``)."""

    success: bool
    action: str
    processed_at: str
    integration_id: str
    is_success: bool
    status: str
    alert_id: str
    alias: str


@final
class RequestStore:
    """Per-organization request statuses: insertion-ordered, evicted by count and age.

    ``scanned`` is, per organization, the stream version up to which the log was read
    for derived statuses.
    """

    def __init__(self, *, max_per_org: int = 10_000, ttl: timedelta = timedelta(hours=24)) -> None:
        self.max_per_org, self.ttl = max_per_org, ttl
        self._orgs: dict[str, OrderedDict[str, tuple[datetime, RequestStatus]]] = {}
        self.scanned: dict[str, int] = {}

    def put(self, org_id: str, request_id: str, status: RequestStatus, now: datetime) -> None:
        entries = self._orgs.setdefault(org_id, OrderedDict())
        entries[request_id] = (now, status)
        entries.move_to_end(request_id)
        self._evict(entries, now)

    def add_derived(
        self, org_id: str, found: Mapping[str, tuple[datetime, RequestStatus]], now: datetime
    ) -> None:
        """Keep statuses derived from the log, unless recorded already or older than ``ttl``."""
        entries = self._orgs.setdefault(org_id, OrderedDict())
        for request_id, (at, status) in sorted(found.items(), key=lambda item: item[1][0]):
            if request_id not in entries and now - at <= self.ttl:
                entries[request_id] = (at, status)
        self._evict(entries, now)

    def get(self, org_id: str, request_id: str, now: datetime) -> RequestStatus | None:
        entries = self._orgs.get(org_id)
        if entries is None:
            return None
        self._evict(entries, now)
        found = entries.get(request_id)
        return found[1] if found is not None else None

    def _evict(
        self, entries: OrderedDict[str, tuple[datetime, RequestStatus]], now: datetime
    ) -> None:
        while len(entries) > self.max_per_org:
            entries.popitem(last=False)
        while entries and now - next(iter(entries.values()))[0] > self.ttl:
            entries.popitem(last=False)


def derive_statuses(
    envelopes: Iterable[Envelope], aliases: Mapping[str, str]
) -> dict[str, tuple[datetime, RequestStatus]]:
    """The status of every request that wrote an alert event among ``envelopes``.

    ``aliases`` maps the ids of alerts that still exist to their alias (a deleted
    alert's alias comes from its ``AlertCreated``, if read).
    """
    found: dict[str, tuple[datetime, RequestStatus]] = {}
    created_aliases: dict[str, str] = {}
    for envelope in envelopes:
        derived = DERIVED.get(envelope.type)
        if derived is None:
            continue
        meta = decode_meta(envelope)
        known = not meta.request_id or meta.request_id in found
        if known and envelope.type != "AlertCreated":
            continue
        event: Any = decode_event(envelope)
        if envelope.type == "AlertCreated":
            created_aliases[event.alert_id] = event.alias
        if known:
            continue
        action, text = derived
        custom = _CUSTOM.match(event.note) if envelope.type == "AlertNoteAdded" else None
        if custom is not None:
            action, text = "CustomAction", f"Executed {custom['name']}"
        alias = aliases.get(event.alert_id) or created_aliases.get(event.alert_id, "")
        found[meta.request_id] = (
            event.at,
            RequestStatus(
                success=True,
                action=action,
                processed_at=timestamp(event.at),
                integration_id=meta.principal_id,
                is_success=True,
                status=text,
                alert_id=event.alert_id,
                alias=alias,
            ),
        )
    return found
