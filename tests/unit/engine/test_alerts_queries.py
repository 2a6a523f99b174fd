"""Alert list queries: filters, sorts, counts and keyset cursor pagination."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import msgspec
import pytest

from engine.alerts import (
    SORT_FIELDS,
    AlertAcknowledged,
    AlertClosed,
    AlertCreated,
    AlertDeduplicated,
    AlertQuery,
    AlertsState,
    Responder,
    count_alerts,
    evolve,
    initial_state,
    list_alerts,
)
from engine.errors import Rejected
from tests.helpers.decider import NOW


def make(n: int) -> AlertsState:
    """``n`` alerts a1..an created a minute apart, with varied fields."""
    state = initial_state()
    for i in range(1, n + 1):
        evolve(
            state,
            AlertCreated(
                alert_id=f"a{i:03}",
                at=NOW + timedelta(minutes=i),
                tiny_id=i,
                alias=f"alias-{i}",
                message=f"Disk {i % 3} full" if i % 2 else f"cpu {i}",
                priority=f"P{i % 5 + 1}",
                tags=("db",) if i % 2 else ("db", "web"),
                responders=(Responder(type="team", id="ops"),) if i % 3 == 0 else (),
            ),
        )
    return state


def ids(state: AlertsState, **kw: Any) -> list[str]:
    return [a.id for a in list_alerts(state, AlertQuery(**kw)).items]


def test_default_list_is_newest_first_20() -> None:
    """Without arguments the list holds the 20 most recently created alerts, newest first."""
    page = list_alerts(make(25), AlertQuery())
    assert [f"a{i:03}" for i in range(25, 5, -1)] == [a.id for a in page.items]
    assert page.next_cursor is not None


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({"status": "closed"}, ["a002"]),
        ({"status": "open"}, ["a006", "a005", "a004", "a003", "a001"]),
        ({"acknowledged": True}, ["a001"]),
        ({"acknowledged": False}, ["a006", "a005", "a004", "a003", "a002"]),
        ({"priority": ["P1", "P2"]}, ["a006", "a005", "a001"]),
        ({"tag": ["db", "web"]}, ["a006", "a004", "a002"]),
        ({"tag": ["nope"]}, []),
        ({"text": "DISK 1"}, ["a001"]),
        ({"text": "ALIAS-5"}, ["a005"]),
        ({"team": "ops"}, ["a006", "a003"]),
        ({"team": "other"}, []),
    ],
)
def test_filters(kw: dict[str, Any], expected: list[str]) -> None:
    """Each filter keeps only matching alerts, and count_alerts counts the same set."""
    state = make(6)
    evolve(state, AlertClosed(alert_id="a002", at=NOW, close_time=0))
    evolve(state, AlertAcknowledged(alert_id="a001", at=NOW, ack_time=0))
    assert expected == ids(state, **kw)
    assert len(expected) == count_alerts(state, AlertQuery(**kw))


@pytest.mark.parametrize("sort", [*SORT_FIELDS, "lastOccuredAt"])
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_cursor_pages_cover_every_alert_once_in_order(sort: str, order: str) -> None:
    """Following next_cursor visits every alert exactly once, in (sort value, id) order."""
    state = make(23)
    evolve(state, AlertDeduplicated(alert_id="a007", at=NOW + timedelta(days=1), count=5))
    seen: list[str] = []
    cursor = None
    while True:
        page = list_alerts(state, AlertQuery(sort=sort, order=order, limit=5, cursor=cursor))
        seen += [a.id for a in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert 23 == len(seen) == len(set(seen))
    full = ids(state, sort=sort, order=order, limit=100)
    assert full == seen


def test_new_alerts_between_pages_do_not_repeat_or_skip_items() -> None:
    """Alerts created between two pages neither repeat nor displace already-ordered items."""
    state = make(10)
    first = list_alerts(state, AlertQuery(limit=4))
    for i in range(11, 15):
        evolve(
            state,
            AlertCreated(
                alert_id=f"a{i:03}",
                at=NOW + timedelta(minutes=i),
                tiny_id=i,
                alias=f"x{i}",
                message="new",
            ),
        )
    second = list_alerts(state, AlertQuery(limit=4, cursor=first.next_cursor))
    assert [a.id for a in first.items] == ["a010", "a009", "a008", "a007"]
    assert [a.id for a in second.items] == ["a006", "a005", "a004", "a003"]


def test_last_page_has_no_cursor() -> None:
    """A page that reaches the end carries no next cursor."""
    page = list_alerts(make(3), AlertQuery(limit=3))
    assert (len(page.items), page.next_cursor) == (3, None)


def test_ties_are_broken_by_alert_id() -> None:
    """Alerts with equal sort values are ordered by id."""
    assert ids(make(11), sort="priority", order="asc", limit=3) == ["a005", "a010", "a001"]


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"status": "resolved"}, "status"),
        ({"sort": "owner"}, "sort"),
        ({"order": "up"}, "order"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
    ],
)
def test_invalid_query_is_rejected(kw: dict[str, Any], field: str) -> None:
    """Unknown status, sort, order or an out-of-range limit is rejected on that parameter."""
    with pytest.raises(Rejected) as info:
        AlertQuery(**kw)
    assert ("invalid_field", field) == (info.value.code, info.value.field)


def _cursor(*parts: Any) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(list(parts))).decode()


@pytest.mark.parametrize(
    ("cursor", "sort"),
    [
        ("!!!", "createdAt"),
        ("e30", "createdAt"),
        (_cursor("createdAt", "desc", "yesterday", "a1"), "createdAt"),
        (_cursor("createdAt", "desc", "2030-01-01T00:00:00", "a1"), "createdAt"),
        (_cursor("count", "desc", "three", "a1"), "count"),
        (_cursor("message", "desc", 3, "a1"), "message"),
        (_cursor("tinyId", "desc", 3, "a1"), "createdAt"),
        (_cursor("tinyId", "asc", 3, "a1"), "tinyId"),
    ],
)
def test_bad_cursor_is_rejected(cursor: str, sort: str) -> None:
    """Malformed cursors, and cursors of another sort or order, are rejected on cursor."""
    with pytest.raises(Rejected) as info:
        list_alerts(make(3), AlertQuery(sort=sort, cursor=cursor))
    assert (info.value.code, info.value.field) == ("invalid_field", "cursor")


def test_count_ignores_paging() -> None:
    """count_alerts counts every matching alert regardless of limit."""
    assert count_alerts(make(30), AlertQuery(limit=1)) == 30
