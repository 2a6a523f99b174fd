"""The pure payload → item mappings of the webhooks (no app, no database)."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import msgspec
import pytest

from engine import FieldMapping
from web.webhooks.alertmanager import WebhookAlert, alias_of, map_payload, parse
from web.webhooks.common import (
    Acknowledge,
    IntegrationView,
    Malformed,
    Resolve,
    Trigger,
    clip_details,
    instant,
    json_path,
    priority_of,
    tags_of,
    trigger,
)
from web.webhooks.pagerduty import PagerDutyEvent, map_event

PAYLOADS = Path(__file__).resolve().parents[2] / "fixtures" / "payloads"
AM = IntegrationView(
    org_id="o",
    id="i",
    name="am",
    kind="alertmanager",
    team="",
    priority_label="severity",
    mapping=FieldMapping(),
    enabled=True,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("critical", "P1"),
        ("ERROR", "P2"),
        ("warning", "P3"),
        ("info", "P5"),
        ("p4", "P4"),
        ("weird", "P3"),
        (None, "P3"),
        ("", "P3"),
    ],
)
def test_priority_of_maps_severities(value: object, expected: str) -> None:
    """Severity words and P1..P5 map to priorities; anything else is P3."""
    assert priority_of(value) == expected


def test_tags_and_details_are_clipped_to_opsgenie_limits() -> None:
    """At most 20 tags of 50 characters; details within 8,000 characters, empty keys dropped."""
    tags = tags_of({f"k{i:02d}": "v" * 60 for i in range(30)})
    assert (len(tags), max(map(len, tags))) == (20, 50)
    details = clip_details({" ": "x", "a": "y" * 5000, "b": "z" * 5000, "c": "w"})
    assert list(details) == ["a", "b"]
    assert sum(len(k) + len(v) for k, v in details.items()) == 8000


def test_trigger_without_message_or_alias_is_malformed() -> None:
    """An item needs a message and an alias; the message is cut to 130 characters."""
    assert isinstance(trigger(message=" ", alias="a", source="s"), Malformed)
    assert isinstance(trigger(message="m", alias="", source="s"), Malformed)
    item = trigger(message="m" * 200, alias="a", source="s")
    assert isinstance(item, Trigger)
    assert len(item.message) == 130


def test_alertmanager_payload_maps_each_alert() -> None:
    """Firing alerts become triggers with fingerprint alias; resolved become resolves."""
    firing = map_payload(parse((PAYLOADS / "alertmanager_firing.json").read_bytes()), AM, "AM")
    first = firing[0]
    assert isinstance(first, Trigger)
    assert (first.alias, first.message, first.priority, first.entity) == (
        "422449101b673b62",
        "Disk is full",
        "P1",
        "db1:9100",
    )
    assert first.details["generatorURL"].startswith("http://prom")
    assert datetime(2026, 11, 27, 0, 13, 5, tzinfo=UTC) == first.starts_at
    resolved = map_payload(parse((PAYLOADS / "alertmanager_resolved.json").read_bytes()), AM, "AM")
    ends_at = datetime(2026, 11, 27, 0, 20, 5, tzinfo=UTC)
    assert [Resolve(alias="422449101b673b62", source="AM", ends_at=ends_at)] == resolved


def test_alertmanager_malformed_items_are_reported_individually() -> None:
    """A bad item is ``Malformed``, naming the field at fault; the others still map."""
    items = map_payload(
        parse((PAYLOADS / "alertmanager_malformed_item.json").read_bytes()), AM, "AM"
    )
    assert [Trigger, Malformed, Malformed] == [type(i) for i in items]
    assert [
        Malformed("Expected `object`, got `str`", "labels"),
        Malformed("status must be 'firing' or 'resolved', not 'exploded'", "status"),
    ] == items[1:]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-27T00:13:05Z", datetime(2026, 11, 27, 0, 13, 5, tzinfo=UTC)),
        (
            " 2026-11-27T01:13:05.5+01:00",
            datetime(2026, 11, 27, 1, 13, 5, 500000, tzinfo=timezone(timedelta(hours=1))),
        ),
        ("2026-11-27T00:13:05", datetime(2026, 11, 27, 0, 13, 5, tzinfo=UTC)),
        ("0001-01-01T00:00:00Z", None),
        ("yesterday", None),
        ("", None),
    ],
)
def test_sender_timestamps(text: str, expected: datetime | None) -> None:
    """RFC 3339 (UTC without an offset); Go's zero time and garbage are "not given"."""
    assert expected == instant(text)


def test_json_paths_of_fields_inside_items() -> None:
    assert json_path("alerts[3]", "labels") == "alerts[3].labels"
    assert json_path("alerts[3]", "") == "alerts[3]"
    assert json_path("[2]", "tags[0]") == "[2].tags[0]"
    assert json_path("", "labels") == "labels"


def test_alias_without_fingerprint_hashes_group_key_and_labels() -> None:
    """Without a fingerprint the alias is stable over label order."""
    a = WebhookAlert(status="firing", labels={"a": "1", "b": "2"})
    b = WebhookAlert(status="firing", labels={"b": "2", "a": "1"})
    assert alias_of(a, "g") == alias_of(b, "g") != alias_of(a, "h")


def test_priority_label_is_configurable() -> None:
    """The integration's priority label is read instead of ``severity``."""
    body = json.loads((PAYLOADS / "alertmanager_firing.json").read_text())
    body["alerts"][0]["labels"]["level"] = "info"
    view = dataclasses.replace(AM, priority_label="level")
    item = map_payload(parse(json.dumps(body).encode()), view, "AM")[0]
    assert isinstance(item, Trigger)
    assert item.priority == "P5"


def test_pagerduty_events_map_to_items() -> None:
    """trigger → Trigger (severity → priority), acknowledge/resolve by dedup key."""
    raw = (PAYLOADS / "pagerduty_trigger.json").read_bytes()
    event = msgspec.json.decode(raw, type=PagerDutyEvent)
    item = map_event(event, "k")
    assert isinstance(item, Trigger)
    assert (item.priority, item.details["load avg"]) == ("P1", "0.75")
    ack = msgspec.structs.replace(event, event_action="acknowledge")
    assert map_event(ack, "k") == Acknowledge(alias="k", source="PagerDuty")
    bad = msgspec.structs.replace(event, payload=None)
    assert isinstance(map_event(bad, "k"), Malformed)
    assert isinstance(map_event(msgspec.structs.replace(event, event_action="x"), "k"), Malformed)
