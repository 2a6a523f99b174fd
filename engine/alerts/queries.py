"""Read-side pure functions over ``AlertsState``: filtered, sorted, cursor-paginated lists.

A list is one linear scan with the filters plus ``heapq.nsmallest``/``nlargest`` for the
page, which keeps a 100k-alert org well under the cost of serialising the response.

Pagination is keyset-based, not offset-based: the opaque cursor encodes the sort, the order
and the (sort value, alert id) key of the last item returned, and the next page starts
strictly after that key. Alerts created between two requests therefore never make a page
repeat or skip an item that was already in the ordering. (An alert whose sort value changes
between pages — e.g. ``updatedAt`` — moves in the ordering, as in any keyset scheme.)

The ``Alert`` objects returned are the live state objects, not copies: callers must
serialise them before the actor can run again (i.e. before their next checkpoint).
"""

from __future__ import annotations

import base64
import binascii
import heapq
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Final, final

import msgspec

from engine.alerts.state import Alert, AlertsState
from engine.errors import Rejected

__all__ = [
    "SORT_FIELDS",
    "AlertPage",
    "AlertQuery",
    "alert_filter",
    "count_alerts",
    "list_alerts",
]

SortValue = datetime | int | str

_SORT_KEYS: Final[dict[str, Callable[[Alert], SortValue]]] = {
    "createdAt": lambda a: a.created_at,
    "updatedAt": lambda a: a.updated_at,
    "tinyId": lambda a: a.tiny_id,
    "priority": lambda a: a.priority,
    "lastOccurredAt": lambda a: a.last_occurred_at,
    "count": lambda a: a.count,
    "message": lambda a: a.message,
    "status": lambda a: a.status,
}
SORT_FIELDS: Final = tuple(_SORT_KEYS)
# Opsgenie's Go SDK spells this sort value without the second "r".
_SORT_ALIASES: Final = {"lastOccuredAt": "lastOccurredAt"}
_DATETIME_SORTS: Final = frozenset({"createdAt", "updatedAt", "lastOccurredAt"})


def _invalid(field: str, message: str) -> Rejected:
    return Rejected("invalid_field", message, field=field)


@final
class AlertQuery(msgspec.Struct, frozen=True, kw_only=True):
    """
    Filters, sort and page of an alert list; validated on construction.

    Attributes:
        status: ``"open"``, ``"closed"`` or ``None`` (both).
        acknowledged: keep only (un)acknowledged alerts, or ``None``.
        priority: keep alerts with any of these priorities, or ``None``.
        tag: keep alerts carrying *all* these tags, or ``None``.
        text: case-insensitive substring of the message or the alias, or ``None``.
        team: keep alerts with a responder of type team and this id, or ``None``.
        sort: one of ``SORT_FIELDS`` (``lastOccuredAt`` is accepted too).
        order: ``"asc"`` or ``"desc"``.
        limit: page size, 1..100.
        cursor: ``next_cursor`` of the previous page, or ``None`` for the first page.

    Raises:
        Rejected: ``invalid_field`` with ``field`` the query parameter at fault.
    """

    status: str | None = None
    acknowledged: bool | None = None
    priority: list[str] | None = None
    tag: list[str] | None = None
    text: str | None = None
    team: str | None = None
    sort: str = "createdAt"
    order: str = "desc"
    limit: int = 20
    cursor: str | None = None

    def __post_init__(self) -> None:
        if self.status not in (None, "open", "closed"):
            raise _invalid("status", "status must be open or closed")
        if _SORT_ALIASES.get(self.sort, self.sort) not in _SORT_KEYS:
            raise _invalid("sort", f"sort must be one of {', '.join(SORT_FIELDS)}")
        if self.order not in ("asc", "desc"):
            raise _invalid("order", "order must be asc or desc")
        if not 1 <= self.limit <= 100:
            raise _invalid("limit", "limit must be between 1 and 100")


@final
class AlertPage(msgspec.Struct, frozen=True, kw_only=True):
    """One page of alerts and the cursor of the next page (``None`` on the last page)."""

    items: list[Alert]
    next_cursor: str | None


class _Cursor(msgspec.Struct, frozen=True, array_like=True):
    sort: str
    order: str
    value: int | str
    id: str


def _encode_cursor(sort: str, order: str, value: SortValue, alert_id: str) -> str:
    raw = value.isoformat() if isinstance(value, datetime) else value
    data = msgspec.json.encode(_Cursor(sort, order, raw, alert_id))
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _decode_cursor(cursor: str, sort: str, order: str) -> tuple[SortValue, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded = msgspec.json.decode(base64.urlsafe_b64decode(padded), type=_Cursor)
        value: SortValue = decoded.value
        if sort in _DATETIME_SORTS:
            value = datetime.fromisoformat(str(value))
            if value.tzinfo is None:
                raise ValueError("cursor time has no time zone")
        expected_type = str if sort in ("priority", "message", "status") else int
        if sort not in _DATETIME_SORTS and not isinstance(value, expected_type):
            raise ValueError("cursor value type does not match the sort")
    except (binascii.Error, msgspec.ValidationError, msgspec.DecodeError, ValueError):
        raise _invalid("cursor", "cursor is malformed") from None
    if (decoded.sort, decoded.order) != (sort, order):
        raise _invalid("cursor", "cursor belongs to another sort or order")
    return value, decoded.id


def alert_filter(q: AlertQuery) -> Callable[[Alert], bool]:
    """
    Return the predicate "passes every filter of ``q``" (sort, order, limit and cursor ignored).

    The one definition of what an alert list's filters mean: ``list_alerts`` and
    ``count_alerts`` scan with it, and live readers (the WebSocket alert list) test a
    changed alert with it.

    Args:
        q: the filters.

    Returns:
        A function of one alert, true when the alert passes every filter.
    """
    text = q.text.casefold() if q.text else None
    priorities = frozenset(q.priority) if q.priority else None
    tags = frozenset(q.tag) if q.tag else None

    def keep(alert: Alert) -> bool:
        if q.status is not None and alert.status != q.status:
            return False
        if q.acknowledged is not None and alert.acknowledged != q.acknowledged:
            return False
        if priorities is not None and alert.priority not in priorities:
            return False
        if tags is not None and not tags.issubset(alert.tags):
            return False
        if text is not None and not (
            text in alert.message.casefold() or text in alert.alias.casefold()
        ):
            return False
        return q.team is None or any(r.type == "team" and r.id == q.team for r in alert.responders)

    return keep


def _matching(state: AlertsState, q: AlertQuery) -> Iterator[Alert]:
    """The alerts passing every filter of ``q``, in no particular order."""
    keep = alert_filter(q)
    return (alert for alert in state.alerts.values() if keep(alert))


def list_alerts(state: AlertsState, q: AlertQuery) -> AlertPage:
    """
    Return one page of the alerts matching ``q``, ordered by ``q.sort`` then alert id.

    Args:
        state: the alerts state (read only).
        q: filters, sort, order, limit and cursor.

    Returns:
        Up to ``q.limit`` alerts (live objects) and the cursor of the next page.

    Raises:
        Rejected: ``invalid_field`` (field ``cursor``) for a malformed or foreign cursor.
    """
    sort = _SORT_ALIASES.get(q.sort, q.sort)
    value_of = _SORT_KEYS[sort]

    def key(alert: Alert) -> tuple[SortValue, str]:
        return (value_of(alert), alert.id)

    candidates: Iterator[Alert] = _matching(state, q)
    if q.cursor is not None:
        after = _decode_cursor(q.cursor, sort, q.order)
        if q.order == "asc":
            candidates = (a for a in candidates if key(a) > after)
        else:
            candidates = (a for a in candidates if key(a) < after)
    pick = heapq.nsmallest if q.order == "asc" else heapq.nlargest
    page = pick(q.limit + 1, candidates, key=key)
    items = page[: q.limit]
    next_cursor = None
    if len(page) > q.limit:
        last = items[-1]
        next_cursor = _encode_cursor(sort, q.order, value_of(last), last.id)
    return AlertPage(items=items, next_cursor=next_cursor)


def count_alerts(state: AlertsState, q: AlertQuery) -> int:
    """
    Count the alerts matching the filters of ``q`` (sort, order, limit and cursor ignored).

    Args:
        state: the alerts state (read only).
        q: the filters.

    Returns:
        The number of matching alerts.
    """
    return sum(1 for _ in _matching(state, q))
