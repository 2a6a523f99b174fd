"""Request statuses of Opsgenie's async model (``GET /v2/alerts/requests/{requestId}``).

Pulsar processes every request before answering 202, so a status is known when the
response leaves. Statuses live in memory, per organization, bounded (the newest
``max_per_org``, at most ``ttl`` old): they do **not** survive a restart, which only
matters to a client polling across one.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime, timedelta
from typing import final

import msgspec

__all__ = ["RequestStatus", "RequestStore"]


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
    """Per-organization request statuses: insertion-ordered, evicted by count and age."""

    def __init__(self, *, max_per_org: int = 10_000, ttl: timedelta = timedelta(hours=24)) -> None:
        self.max_per_org, self.ttl = max_per_org, ttl
        self._orgs: dict[str, OrderedDict[str, tuple[datetime, RequestStatus]]] = {}

    def put(self, org_id: str, request_id: str, status: RequestStatus, now: datetime) -> None:
        entries = self._orgs.setdefault(org_id, OrderedDict())
        entries[request_id] = (now, status)
        entries.move_to_end(request_id)
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
