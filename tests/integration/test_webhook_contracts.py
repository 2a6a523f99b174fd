"""Contract tests: what the real tools send, replayed against Pulsar over a real PostgreSQL.

The bodies are in ``tests/fixtures/webhooks/`` (its README names their sources):
``alertmanager/`` was captured from Debian's Alertmanager 0.25 by
``scripts/capture-alertmanager-payloads`` (its ``webhook_configs``, ``opsgenie_configs`` and
``pagerduty_configs`` requests); ``grafana/`` and ``pagerduty/`` reproduce what
grafana/alerting's webhook notifier and go-pagerduty's ``V2Event`` serialize.

For each format: firing creates (alias, message, tags, details, priority), a repeat
deduplicates (``count``), resolved closes, and a resolve that arrives before its firing is
accepted and creates nothing (Opsgenie's "close of an unknown alias" and PagerDuty's
"resolve of an unknown dedup_key" rule, compat-api.md §1.5 and §5; README "Integrations
and webhooks"). What the late firing does then depends on what the format says about time:
Alertmanager and Grafana date each alert (``startsAt``, ``endsAt``), so a firing of the
episode already resolved is ``stale`` and opens nothing, while a later episode opens a new
alert; the Opsgenie close and PagerDuty's resolve carry no time, so the firing after them
opens the alert. In a batch, a malformed item is answered ``rejected`` with its index, the
JSON path of the field at fault and the reason while the others are kept; a body that is
not a payload is 4xx in the JSON error shape. PagerDuty sends one event per request, so
it has no batch: a malformed event is 400 in PagerDuty's error shape.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.helpers.app import Harness, Org, open_harness
from tests.pg import fresh_database

pytestmark = pytest.mark.postgres

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "webhooks"
PRIORITY = {"critical": "P1", "warning": "P3"}
# (integration type, webhook path, alert source, fixture folder)
BATCH_FORMATS = [
    pytest.param("alertmanager", "/v1/webhooks/alertmanager", "Alertmanager", id="alertmanager"),
    pytest.param("grafana", "/v1/webhooks/grafana", "Grafana", id="grafana"),
]


def raw(path: str) -> bytes:
    return (FIXTURES / path).read_bytes()


def fixture(path: str) -> Any:
    return json.loads(raw(path))


def captured_request(name: str) -> dict[str, Any]:
    """The method, path and headers Alertmanager used for a captured body."""
    manifest = fixture("alertmanager/requests.json")
    request: dict[str, Any] = next(r for r in manifest["requests"] if r["file"] == name)
    return request


@pytest.fixture
async def api() -> AsyncIterator[Harness]:
    async with fresh_database() as dsn, open_harness(dsn) as harness:
        yield harness


async def integration(api: Harness, kind: str, org: Org | None = None, **body: object) -> str:
    """A new integration's ingestion key."""
    response = await api.post(
        "/api/v1/integrations", json={"name": kind, "type": kind, **body}, org=org
    )
    assert response.status_code == 201, await response.get_data()
    key: str = (await response.get_json())["data"]["key"]
    return key


async def send(api: Harness, path: str, key: str, body: bytes) -> tuple[int, Any]:
    """POST ``body`` exactly as the tool sent it, key in the URL path."""
    response = await api.client.post(
        f"{path}/{key}",
        data=body,
        headers={"Content-Type": "application/json", "User-Agent": "contract-test"},
    )
    return response.status_code, await response.get_json()


async def alert(api: Harness, alias: str, org: Org | None = None) -> dict[str, Any]:
    """The alert with ``alias`` (the open one if any), in full; the alias percent-encoded
    in the path (it may hold a ``/``), the undecoded path passed as a server would."""
    path = f"/api/v1/alerts/{quote(alias, safe='')}"
    raw_path = {"raw_path": path.encode()}
    response = await api.get(f"{path}?identifierType=alias", org=org, scope_base=raw_path)
    assert response.status_code == 200, (alias, await response.get_data())
    data: dict[str, Any] = (await response.get_json())["data"]
    return data


async def missing(api: Harness, alias: str) -> bool:
    response = await api.get(f"/api/v1/alerts/{alias}?identifierType=alias")
    return bool(response.status_code == 404)


async def all_alerts(api: Harness, org: Org | None = None) -> list[dict[str, Any]]:
    response = await api.get("/api/v1/alerts?limit=100", org=org)
    assert response.status_code == 200
    data: list[dict[str, Any]] = (await response.get_json())["data"]
    return data


def aliases(body: dict[str, Any]) -> list[str]:
    return [a["fingerprint"] for a in body["alerts"]]


def error_shape(body: dict[str, Any]) -> set[str]:
    return set(body) & {"code", "message", "request_id"}


# -- Alertmanager webhook_configs (captured) and Grafana webhook (from grafana/alerting) -----


@pytest.mark.parametrize(("kind", "path", "source"), BATCH_FORMATS)
async def test_firing_group_creates_one_alert_per_alert(
    api: Harness, kind: str, path: str, source: str
) -> None:
    """Each firing alert becomes an open alert: alias = fingerprint, summary as message,
    description, label tags, labels and annotations as details, severity → priority."""
    key = await integration(api, kind, team="ops")
    body = fixture(f"{kind}/firing.json")
    status, answer = await send(api, path, key, raw(f"{kind}/firing.json"))
    assert status == 202
    assert [(i, fp, "created") for i, fp in enumerate(aliases(body))] == [
        (r["index"], r["alias"], r["result"]) for r in answer["results"]
    ]
    assert all(r["alert_id"] for r in answer["results"])
    for item in body["alerts"]:
        labels, notes = item["labels"], item["annotations"]
        data = await alert(api, item["fingerprint"])
        assert (notes["summary"], notes["description"]) == (data["message"], data["description"])
        assert (PRIORITY[labels["severity"]], source, "open", 1) == (
            data["priority"],
            data["source"],
            data["status"],
            data["count"],
        )
        assert labels["instance"] == data["entity"]
        assert {f"{k}:{v}" for k, v in labels.items()} == set(data["tags"])
        assert {**labels, **notes}.items() <= data["details"].items()
        assert item["generatorURL"] == data["details"]["generatorURL"]
        assert {"type": "team", "id": "ops"} in data["responders"]
        assert {"id": data["integration"]["id"], "type": kind} == {
            "id": data["integration"]["id"],
            "type": data["integration"]["type"].lower(),
        }
    assert len(body["alerts"]) == len(await all_alerts(api))


@pytest.mark.parametrize(("kind", "path", "source"), BATCH_FORMATS)
async def test_repeated_firing_deduplicates(
    api: Harness, kind: str, path: str, source: str
) -> None:
    """The same firing group again bumps each alert's count; no alert is added and the
    message is not overwritten."""
    key = await integration(api, kind)
    body = fixture(f"{kind}/firing.json")
    for _ in range(2):
        status, answer = await send(api, path, key, raw(f"{kind}/firing.json"))
        assert status == 202
    assert ["deduplicated"] * len(body["alerts"]) == [r["result"] for r in answer["results"]]
    for item in body["alerts"]:
        data = await alert(api, item["fingerprint"])
        assert (2, "open", item["annotations"]["summary"]) == (
            data["count"],
            data["status"],
            data["message"],
        )
    assert len(body["alerts"]) == len(await all_alerts(api))


@pytest.mark.parametrize(("kind", "path", "source"), BATCH_FORMATS)
async def test_mixed_then_resolved_group_closes_each_alert(
    api: Harness, kind: str, path: str, source: str
) -> None:
    """firing → mixed (one resolved, the others repeated) → resolved: the resolved one
    closes first, the rest when the group resolves; a repeated resolve is a no-op."""
    key = await integration(api, kind)
    mixed = fixture(f"{kind}/mixed.json")
    await send(api, path, key, raw(f"{kind}/firing.json"))
    status, answer = await send(api, path, key, raw(f"{kind}/mixed.json"))
    expected = ["updated" if a["status"] == "resolved" else "deduplicated" for a in mixed["alerts"]]
    assert (202, expected) == (status, [r["result"] for r in answer["results"]])
    for item in mixed["alerts"]:
        data = await alert(api, item["fingerprint"])
        if item["status"] == "resolved":
            assert (data["status"], data["count"]) == ("closed", 1)
        else:
            assert (data["status"], data["count"]) == ("open", 2)
    resolved = fixture(f"{kind}/resolved.json")
    assert {a["status"] for a in resolved["alerts"]} == {"resolved"}
    status, answer = await send(api, path, key, raw(f"{kind}/resolved.json"))
    assert (202, ["updated"] * len(resolved["alerts"])) == (
        status,
        [r["result"] for r in answer["results"]],
    )
    assert {"closed"} == {a["status"] for a in await all_alerts(api)}
    status, answer = await send(api, path, key, raw(f"{kind}/resolved.json"))
    assert (202, ["noop"] * len(resolved["alerts"])) == (
        status,
        [r["result"] for r in answer["results"]],
    )


def later_episode(body: dict[str, Any], minutes: int = 30) -> bytes:
    """``body`` as the next episode of its alerts: each starts (and a resolved one ends)
    ``minutes`` after it did."""

    def later(stamp: str) -> str:
        moved = datetime.fromisoformat(stamp) + timedelta(minutes=minutes)
        return moved.isoformat().replace("+00:00", "Z")

    alerts = []
    for item in body["alerts"]:
        ends = later(item["endsAt"]) if item["status"] == "resolved" else item["endsAt"]
        alerts.append({**item, "startsAt": later(item["startsAt"]), "endsAt": ends})
    return json.dumps({**body, "alerts": alerts}).encode()


@pytest.mark.parametrize(("kind", "path", "source"), BATCH_FORMATS)
async def test_resolved_before_firing_creates_nothing_and_the_stale_firing_neither(
    api: Harness, kind: str, path: str, source: str
) -> None:
    """Out of order: the resolved group arriving first is accepted (202, ``noop`` per item)
    and creates no alert; the firing of the same episode arriving after it (``startsAt`` not
    after the resolve's ``endsAt``) is ``stale`` and opens nothing either; the next episode
    (a later ``startsAt``) opens the alerts.

    Until the stale-firing rule, this late firing opened alerts that stayed open for good:
    Alertmanager had already sent its only resolve (README "Integrations and webhooks").
    """
    key = await integration(api, kind)
    resolved = fixture(f"{kind}/resolved.json")
    status, answer = await send(api, path, key, raw(f"{kind}/resolved.json"))
    assert (202, ["noop"] * len(resolved["alerts"])) == (
        status,
        [r["result"] for r in answer["results"]],
    )
    assert await all_alerts(api) == []
    status, answer = await send(api, path, key, raw(f"{kind}/mixed.json"))
    mixed = fixture(f"{kind}/mixed.json")
    expected = ["noop" if a["status"] == "resolved" else "stale" for a in mixed["alerts"]]
    assert (202, expected) == (status, [r["result"] for r in answer["results"]])
    assert all("alert_id" not in r for r in answer["results"])
    assert await all_alerts(api) == []
    firing = fixture(f"{kind}/firing.json")
    status, answer = await send(api, path, key, later_episode(firing))
    assert (202, ["created"] * len(firing["alerts"])) == (
        status,
        [r["result"] for r in answer["results"]],
    )
    assert {"open"} == {a["status"] for a in await all_alerts(api)}


@pytest.mark.parametrize(("kind", "path", "source"), BATCH_FORMATS)
async def test_a_late_firing_leaves_the_resolved_alert_closed(
    api: Harness, kind: str, path: str, source: str
) -> None:
    """firing → resolved → the same firing again (a late or repeated delivery): ``stale``,
    the alerts stay closed, also after a restart (the rule is folded from the log); a
    firing with a later ``startsAt`` opens a new alert per alias."""
    key = await integration(api, kind)
    firing = fixture(f"{kind}/firing.json")
    resolved = fixture(f"{kind}/resolved.json")
    await send(api, path, key, raw(f"{kind}/firing.json"))
    status, answer = await send(api, path, key, raw(f"{kind}/resolved.json"))
    assert (202, ["updated"] * len(resolved["alerts"])) == (
        status,
        [r["result"] for r in answer["results"]],
    )
    gone = [a["fingerprint"] for a in resolved["alerts"]]
    stale = {**firing, "alerts": [a for a in firing["alerts"] if a["fingerprint"] in gone]}
    status, answer = await send(api, path, key, json.dumps(stale).encode())
    assert (202, ["stale"] * len(gone)) == (status, [r["result"] for r in answer["results"]])
    assert all(r["message"] for r in answer["results"])
    for alias in gone:
        data = await alert(api, alias)
        assert (data["status"], data["count"]) == ("closed", 1)
    status, answer = await send(api, path, key, later_episode(stale))
    assert (202, ["created"] * len(gone)) == (status, [r["result"] for r in answer["results"]])
    for alias in gone:
        assert (await alert(api, alias))["status"] == "open"
    assert len(firing["alerts"]) + len(gone) == len(await all_alerts(api))


@pytest.mark.parametrize(("kind", "path", "source"), BATCH_FORMATS)
async def test_a_late_resolve_leaves_the_next_episode_open(
    api: Harness, kind: str, path: str, source: str
) -> None:
    """firing → resolved → the next episode's firing (new alerts) → the first resolved
    again (a late duplicate, its ``endsAt`` before the new ``startsAt``): ``stale``, the
    new alerts stay open; the next episode's own resolve closes them.

    Until the mirror rule, the late resolve closed the new alerts while they still fired
    (Alertmanager resends firings, never the resolve it already sent)."""
    key = await integration(api, kind)
    resolved = fixture(f"{kind}/resolved.json")
    gone = aliases(resolved)
    firing = fixture(f"{kind}/firing.json")
    again = {**firing, "alerts": [a for a in firing["alerts"] if a["fingerprint"] in gone]}
    await send(api, path, key, raw(f"{kind}/firing.json"))
    await send(api, path, key, raw(f"{kind}/resolved.json"))
    status, answer = await send(api, path, key, later_episode(again))
    assert (202, ["created"] * len(gone)) == (status, [r["result"] for r in answer["results"]])
    newer = {r["alias"]: r["alert_id"] for r in answer["results"]}
    status, answer = await send(api, path, key, raw(f"{kind}/resolved.json"))
    assert (202, ["stale"] * len(gone)) == (status, [r["result"] for r in answer["results"]])
    assert all("alert_id" not in r and "open alert" in r["message"] for r in answer["results"])
    for alias in gone:
        data = await alert(api, alias)
        assert (data["id"], data["status"]) == (newer[alias], "open")
    status, answer = await send(api, path, key, later_episode(resolved))
    assert (202, ["updated"] * len(gone)) == (status, [r["result"] for r in answer["results"]])
    assert newer == {r["alias"]: r["alert_id"] for r in answer["results"]}
    for alias in gone:
        assert (await alert(api, alias))["status"] == "closed"


async def test_a_late_resolve_leaves_open_the_episode_that_deduplicated_into_it(
    api: Harness,
) -> None:
    """Alertmanager: firing → the next episode's firing while the alerts are still open
    (``deduplicated``) → the first episode's resolve, late (its ``endsAt`` before the new
    ``startsAt``): ``stale``, the alerts stay open; the next episode's resolve closes them.

    Until a dedup moved the alert's start, the late resolve closed the alerts while the
    next episode still fired: a lost page until Alertmanager's ``repeat_interval``."""
    path = "/v1/webhooks/alertmanager"
    key = await integration(api, "alertmanager")
    firing = fixture("alertmanager/firing.json")
    resolved = fixture("alertmanager/resolved.json")
    gone = aliases(resolved)
    await send(api, path, key, raw("alertmanager/firing.json"))
    status, answer = await send(api, path, key, later_episode(firing))
    assert (202, ["deduplicated"] * len(firing["alerts"])) == (
        status,
        [r["result"] for r in answer["results"]],
    )
    opened = {r["alias"]: r["alert_id"] for r in answer["results"]}
    status, answer = await send(api, path, key, raw("alertmanager/resolved.json"))
    assert (202, ["stale"] * len(gone)) == (status, [r["result"] for r in answer["results"]])
    for alias in gone:
        data = await alert(api, alias)
        assert (opened[alias], "open", 2) == (data["id"], data["status"], data["count"])
    status, answer = await send(api, path, key, later_episode(resolved))
    assert (202, ["updated"] * len(gone)) == (status, [r["result"] for r in answer["results"]])
    for alias in gone:
        assert (await alert(api, alias))["status"] == "closed"


@pytest.mark.parametrize(("kind", "path", "source"), BATCH_FORMATS)
async def test_the_stale_firing_rule_survives_a_restart(kind: str, path: str, source: str) -> None:
    """The end of a resolved episode is in the log: after a restart the late firing is
    still ``stale``."""
    async with fresh_database() as dsn:
        async with open_harness(dsn) as api:
            key = await integration(api, kind)
            await send(api, path, key, raw(f"{kind}/resolved.json"))
        async with open_harness(dsn) as api:
            status, answer = await send(api, path, key, raw(f"{kind}/firing.json"))
            resolved = {a["fingerprint"] for a in fixture(f"{kind}/resolved.json")["alerts"]}
            expected = [
                "stale" if a["fingerprint"] in resolved else "created"
                for a in fixture(f"{kind}/firing.json")["alerts"]
            ]
            assert (202, expected) == (status, [r["result"] for r in answer["results"]])


@pytest.mark.parametrize(("kind", "path", "source"), BATCH_FORMATS)
async def test_malformed_items_are_named_and_the_valid_ones_kept(
    api: Harness, kind: str, path: str, source: str
) -> None:
    """One payload with good and bad alerts: 202, each bad one ``rejected`` with its index,
    code, the JSON path of the field at fault (the item's own when no one field is) and a
    reason; the good ones are created or deduplicated; an alert accepted by an earlier
    request is untouched; a payload of only bad alerts is 422 and loses nothing."""
    key = await integration(api, kind)
    body = fixture(f"{kind}/firing.json")
    first, second, third = body["alerts"][:3]
    earlier = {**body, "alerts": [first]}
    assert (await send(api, path, key, json.dumps(earlier).encode()))[0] == 202
    bad = [
        {**second, "labels": "not-an-object"},
        {**second, "status": "pending"},
        {k: v for k, v in second.items() if k != "labels"},
        42,
        {**second, "labels": {**second["labels"], "severity": 5}},
    ]
    batch = {**body, "alerts": [bad[0], first, bad[1], second, bad[2], bad[3], third, bad[4]]}
    status, answer = await send(api, path, key, json.dumps(batch).encode())
    assert status == 202
    results = answer["results"]
    assert list(range(8)) == [r["index"] for r in results]
    assert [r["result"] for r in results] == [
        "rejected",
        "deduplicated",
        "rejected",
        "created",
        "rejected",
        "rejected",
        "created",
        "rejected",
    ]
    rejected = [r for r in results if r["result"] == "rejected"]
    assert {"invalid_item"} == {r["code"] for r in rejected}
    assert [(r["index"], r["field"], r["message"]) for r in rejected] == [
        (0, "alerts[0].labels", "Expected `object`, got `str`"),
        (2, "alerts[2].status", "status must be 'firing' or 'resolved', not 'pending'"),
        (4, "alerts[4].labels", "Object missing required field `labels`"),
        (5, "alerts[5]", "Expected `object`, got `int`"),
        (7, "alerts[7].labels", "Expected `str`, got `int`"),
    ]
    assert tuple(
        [(await alert(api, a["fingerprint"]))["count"] for a in (first, second, third)]
    ) == (2, 1, 1)
    everything_bad = {**body, "alerts": bad}
    status, answer = await send(api, path, key, json.dumps(everything_bad).encode())
    assert (422, ["rejected"] * len(bad)) == (status, [r["result"] for r in answer["results"]])
    assert [r["field"] for r in answer["results"][:4]] == [
        "alerts[0].labels",
        "alerts[1].status",
        "alerts[2].labels",
        "alerts[3]",
    ]
    kept = [await alert(api, a["fingerprint"]) for a in (first, second, third)]
    assert [(a["count"], a["status"]) for a in kept] == [(2, "open"), (1, "open"), (1, "open")]
    assert len(await all_alerts(api)) == 3


@pytest.mark.parametrize(("kind", "path", "source"), BATCH_FORMATS)
@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{not json",
        b"[]",
        b"null",
        b'{"receiver": "pulsar", "status": "firing"}',
        b'{"alerts": "nope"}',
        b'{"alerts": {"status": "firing"}}',
    ],
    ids=["empty", "not-json", "array", "null", "no-alerts", "alerts-string", "alerts-object"],
)
async def test_malformed_body_is_400_in_the_error_shape(
    api: Harness, kind: str, path: str, source: str, body: bytes
) -> None:
    """A body that is not a webhook payload is 400 ``invalid_payload`` with the JSON error
    envelope, and creates nothing."""
    key = await integration(api, kind)
    status, answer = await send(api, path, key, body)
    assert (status, answer["code"]) == (400, "invalid_payload")
    assert {"code", "message", "request_id"} == error_shape(answer)
    assert answer["message"]
    assert await all_alerts(api) == []


async def test_grafana_contact_point_test_notification_creates_an_alert(api: Harness) -> None:
    """Grafana's "Test" button (no severity, no generator URL) creates a P3 alert with the
    test alert's summary, keyed by its fingerprint; PUT is accepted like POST."""
    key = await integration(api, "grafana")
    body = fixture("grafana/test-notification.json")
    response = await api.client.put(
        f"/v1/webhooks/grafana/{key}",
        data=raw("grafana/test-notification.json"),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 202
    data = await alert(api, body["alerts"][0]["fingerprint"])
    assert (
        data["message"],
        data["priority"],
        data["source"],
        data["status"],
    ) == ("Notification test", "P3", "Grafana", "open")
    assert {"alertname:TestAlert", "instance:Grafana"} == set(data["tags"])


async def test_alertmanager_headers_and_other_organizations(api: Harness) -> None:
    """Sent with Alertmanager's own headers (key as Bearer), the firing group lands in the
    key's organization only; another organization's integration with the same fingerprints
    neither sees nor closes them."""
    request = captured_request("firing.json")
    assert (request["method"], request["headers"]["Authorization"]) == ("POST", "Bearer <key>")
    key = await integration(api, "alertmanager")
    headers = {**request["headers"], "Authorization": f"Bearer {key}"}
    response = await api.client.post(
        "/v1/webhooks/alertmanager", data=raw("alertmanager/firing.json"), headers=headers
    )
    assert response.status_code == 202
    other = await api.new_org()
    other_key = await integration(api, "alertmanager", org=other)
    assert await all_alerts(api, org=other) == []
    status, answer = await send(
        api, "/v1/webhooks/alertmanager", other_key, raw("alertmanager/resolved.json")
    )
    assert (202, {"noop"}) == (status, {r["result"] for r in answer["results"]})
    assert {"open"} == {a["status"] for a in await all_alerts(api)}
    assert await all_alerts(api, org=other) == []


# -- Alertmanager opsgenie_configs (captured) → the /v2 Opsgenie API ---------------------------


async def opsgenie_send(api: Harness, name: str, key: str) -> tuple[int, Any]:
    """Replay a captured opsgenie_configs request: same method, path (with its ``/og``
    prefix) and query, headers with our key."""
    request = captured_request(name)
    headers = {**request["headers"], "Authorization": f"GenieKey {key}"}
    response = await api.client.post(
        request["path"], data=raw(f"alertmanager/{name}"), headers=headers
    )
    return response.status_code, await response.get_json()


async def request_status(api: Harness, request_id: str, key: str) -> dict[str, Any]:
    response = await api.client.get(
        f"/v2/alerts/requests/{request_id}", headers={"Authorization": f"GenieKey {key}"}
    )
    assert response.status_code == 200, await response.get_data()
    data: dict[str, Any] = (await response.get_json())["data"]
    return data


async def test_opsgenie_receiver_create_repeat_and_close(api: Harness) -> None:
    """Alertmanager's create (alias = SHA-256 of the group key) opens one alert with its
    message, priority, tags and common labels as details; the repeated create counts up
    without changing the message; the group's close closes it."""
    key = await integration(api, "opsgenie")
    create = fixture("alertmanager/opsgenie-create.json")
    group_key = fixture("alertmanager/firing.json")["groupKey"]
    assert hashlib.sha256(group_key.encode()).hexdigest() == create["alias"]
    status, answer = await opsgenie_send(api, "opsgenie-create.json", key)
    assert (status, answer["result"]) == (202, "Request will be processed")
    assert {"result", "took", "requestId"} <= set(answer)
    assert (await request_status(api, answer["requestId"], key))["isSuccess"] is True
    data = await alert(api, create["alias"])
    assert (create["message"], create["priority"], "open", 1) == (
        data["message"],
        data["priority"],
        data["status"],
        data["count"],
    )
    assert create["tags"] == data["tags"]
    assert create["details"] == data["details"]
    assert create["description"].strip() == data["description"].strip()
    status, _ = await opsgenie_send(api, "opsgenie-create-again.json", key)
    again = await alert(api, create["alias"])
    assert (202, 2, create["message"]) == (status, again["count"], again["message"])
    status, answer = await opsgenie_send(api, "opsgenie-close.json", key)
    assert status == 202
    assert (await alert(api, create["alias"]))["status"] == "closed"
    assert len(await all_alerts(api)) == 1


async def test_opsgenie_receiver_close_before_create(api: Harness) -> None:
    """Out of order: the close of an alias Pulsar never saw is 202 and its request status
    says "Alert does not exist"; the create that follows opens the alert."""
    key = await integration(api, "opsgenie")
    status, answer = await opsgenie_send(api, "opsgenie-close.json", key)
    assert status == 202
    outcome = await request_status(api, answer["requestId"], key)
    assert (outcome["isSuccess"], outcome["status"]) == (False, "Alert does not exist")
    assert await all_alerts(api) == []
    await opsgenie_send(api, "opsgenie-create.json", key)
    alias = fixture("alertmanager/opsgenie-create.json")["alias"]
    assert (await alert(api, alias))["status"] == "open"


# -- PagerDuty Events API v2: Alertmanager's pagerduty_configs (captured) and go-pagerduty ----


async def enqueue(api: Harness, body: str | bytes | dict[str, Any], key: str) -> tuple[int, Any]:
    """POST an event to /v2/enqueue: a fixture (by name) byte for byte but its
    ``routing_key`` replaced by ``key``; a dict as JSON with ``key``; bytes as they are."""
    if isinstance(body, str):
        data = raw(body).replace(fixture(body)["routing_key"].encode(), key.encode())
    elif isinstance(body, bytes):
        data = body
    else:
        data = json.dumps({**body, "routing_key": key}).encode()
    response = await api.client.post(
        "/v2/enqueue", data=data, headers={"Content-Type": "application/json"}
    )
    return response.status_code, await response.get_json()


def success(dedup_key: str) -> dict[str, str]:
    return {"status": "success", "message": "Event processed", "dedup_key": dedup_key}


async def test_pagerduty_from_alertmanager_trigger_repeat_resolve(api: Harness) -> None:
    """Alertmanager's trigger opens an alert keyed by its dedup_key (severity error → P2,
    component/group/class tags, custom_details and client_url as details); the repeat
    counts up; the resolve closes it."""
    key = await integration(api, "pagerduty")
    name = "alertmanager/pagerduty-trigger.json"
    trigger = fixture(name)
    dedup = trigger["dedup_key"]
    status, answer = await enqueue(api, name, key)
    assert (202, success(dedup)) == (status, {k: answer[k] for k in success(dedup)})
    data = await alert(api, dedup)
    payload = trigger["payload"]
    assert (payload["summary"], "P2", "Alertmanager", "open") == (
        data["message"],
        data["priority"],
        data["source"],
        data["status"],
    )
    assert {"component:node", "group:c1", "class:disk"} == set(data["tags"])
    assert {**payload["custom_details"], "client_url": trigger["client_url"]} == data["details"]
    status, answer = await enqueue(api, "alertmanager/pagerduty-trigger-again.json", key)
    assert (
        status,
        answer["result"],
        (await alert(api, dedup))["count"],
    ) == (202, "deduplicated", 2)
    status, answer = await enqueue(api, "alertmanager/pagerduty-resolve.json", key)
    assert (status, answer["status"]) == (202, "success")
    assert (await alert(api, dedup))["status"] == "closed"


async def test_pagerduty_full_trigger_acknowledge_resolve(api: Harness) -> None:
    """A go-pagerduty V2Event with every field (images, links, timestamp with a +0000
    offset, nested custom_details): P1, entity = component, non-string details as JSON;
    acknowledge acknowledges, resolve closes, a repeated resolve is still 202."""
    key = await integration(api, "pagerduty")
    name = "pagerduty/trigger.json"
    trigger = fixture(name)
    dedup = trigger["dedup_key"]
    status, answer = await enqueue(api, name, key)
    assert (202, dedup) == (status, answer["dedup_key"])
    data = await alert(api, dedup)
    assert (trigger["payload"]["summary"], "P1", "mysql", "prod-db03.example.com") == (
        data["message"],
        data["priority"],
        data["entity"],
        data["source"],
    )
    details = data["details"]
    assert (details["load avg"], details["free space"]) == ("0.75", "1%")
    assert json.loads(details["mount"]) == {"device": "/dev/nvme1n1", "path": "/var/lib/mysql"}
    assert {"component:mysql", "group:prod-datapipe", "class:disk"} == set(data["tags"])
    status, _ = await enqueue(api, "pagerduty/acknowledge.json", key)
    assert (status, (await alert(api, dedup))["acknowledged"]) == (202, True)
    for _ in range(2):
        status, answer = await enqueue(api, "pagerduty/resolve.json", key)
        assert (status, answer["status"]) == (202, "success")
    data = await alert(api, dedup)
    assert (data["status"], data["count"]) == ("closed", 1)


async def test_pagerduty_trigger_without_dedup_key_gets_one(api: Harness) -> None:
    """A trigger without dedup_key is answered with a generated one, the new alert's alias."""
    key = await integration(api, "pagerduty")
    status, answer = await enqueue(api, "pagerduty/trigger-without-dedup-key.json", key)
    assert status == 202
    data = await alert(api, answer["dedup_key"])
    assert (data["priority"], data["status"]) == ("P3", "open")


async def test_pagerduty_resolve_and_acknowledge_before_trigger(api: Harness) -> None:
    """Out of order: acknowledge and resolve of a dedup_key Pulsar never saw are 202 and
    create nothing; the trigger that follows opens the alert, unacknowledged."""
    key = await integration(api, "pagerduty")
    for name in ("pagerduty/acknowledge.json", "pagerduty/resolve.json"):
        status, answer = await enqueue(api, name, key)
        assert (status, answer["status"], answer["result"]) == (202, "success", "noop")
    assert await all_alerts(api) == []
    await enqueue(api, "pagerduty/trigger.json", key)
    data = await alert(api, fixture("pagerduty/trigger.json")["dedup_key"])
    assert (data["status"], data["acknowledged"]) == ("open", False)


def _without(body: dict[str, Any], *path: str) -> dict[str, Any]:
    if len(path) == 1:
        return {k: v for k, v in body.items() if k != path[0]}
    return {**body, path[0]: _without(body[path[0]], *path[1:])}


@pytest.mark.parametrize(
    ("name", "change"),
    [
        ("not-json", lambda e: b"{not json"),
        ("array", lambda e: b"[]"),
        ("no-event-action", lambda e: _without(e, "event_action")),
        ("bad-event-action", lambda e: {**e, "event_action": "explode"}),
        ("bad-severity", lambda e: {**e, "payload": {**e["payload"], "severity": "high"}}),
        ("no-summary", lambda e: _without(e, "payload", "summary")),
        ("no-source", lambda e: _without(e, "payload", "source")),
        ("no-payload", lambda e: _without(e, "payload")),
        ("payload-string", lambda e: {**e, "payload": "disk full"}),
        ("resolve-no-dedup-key", lambda e: {**_without(e, "dedup_key"), "event_action": "resolve"}),
    ],
)  # fmt: skip
async def test_pagerduty_malformed_event_is_400_in_pagerdutys_shape(
    api: Harness, name: str, change: Any
) -> None:
    """An invalid event is 400 ``{"status": "invalid event", "message", "errors": [...]}``
    (what PagerDuty clients parse) and creates nothing."""
    key = await integration(api, "pagerduty")
    status, answer = await enqueue(api, change(fixture("pagerduty/trigger.json")), key)
    assert (
        status,
        answer["status"],
        answer["message"],
    ) == (400, "invalid event", "Event object is invalid")
    assert answer["errors"]
    assert all(isinstance(e, str) and e for e in answer["errors"])
    assert await all_alerts(api) == []


async def test_pagerduty_unknown_routing_key_is_401(api: Harness) -> None:
    """An event whose routing_key opens no integration is 401 in the JSON error shape."""
    await integration(api, "pagerduty")
    status, answer = await enqueue(api, "pagerduty/trigger.json", "pk_nope")
    assert (status, answer["code"]) == (401, "unauthorized")
    assert {"code", "message", "request_id"} == error_shape(answer)
    assert await all_alerts(api) == []


@pytest.mark.parametrize(("kind", "path", "source"), BATCH_FORMATS)
async def test_a_large_group_is_accepted_whole(
    api: Harness, kind: str, path: str, source: str
) -> None:
    """A group of 1,000 alerts (about 0.6 MB from Alertmanager, 2 MB from Grafana, over
    the API's 256 KiB body limit) gets in: the tools do not retry a 4xx, so a smaller
    limit would refuse the same notification forever."""
    key = await integration(api, kind)
    body = fixture(f"{kind}/firing.json")
    template = body["alerts"][0]
    body["alerts"] = [
        {**template, "fingerprint": f"{i:016x}", "labels": {**template["labels"], "n": str(i)}}
        for i in range(1000)
    ]
    data = json.dumps(body).encode()
    assert len(data) > api.services.config.max_body_bytes
    status, answer = await send(api, path, key, data)
    assert status == 202, answer
    assert [r["result"] for r in answer["results"]] == ["created"] * 1000


async def test_body_limits_per_route(api: Harness) -> None:
    """Webhooks take up to PULSAR_MAX_INGEST_BODY_BYTES, other routes
    PULSAR_MAX_BODY_BYTES; over either: 413 naming the limit, nothing stored."""
    config = api.services.config
    key = await integration(api, "alertmanager")
    huge = b'{"alerts": [], "pad": "' + b"x" * config.max_ingest_body_bytes + b'"}'
    status, answer = await send(api, "/v1/webhooks/alertmanager", key, huge)
    assert status == 413
    assert answer["code"] == "payload_too_large"
    assert str(config.max_ingest_body_bytes) in answer["message"]
    big = {"message": "m", "description": "x" * (config.max_body_bytes + 1)}
    response = await api.post("/api/v1/alerts", json=big)
    assert response.status_code == 413
    assert str(config.max_body_bytes) in (await response.get_json())["message"]
    assert await all_alerts(api) == []
