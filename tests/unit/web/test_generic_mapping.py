"""The generic webhook's pure mapping: dotted paths, resolve values, malformed items."""

from __future__ import annotations

import pytest

from engine import FieldMapping
from web.errors import ApiError
from web.webhooks.common import Malformed, Resolve, Trigger
from web.webhooks.generic import at_path, item_paths, map_body, map_item

MAPPING = FieldMapping(
    items="data.events",
    message="title",
    alias="id",
    priority="sev",
    tags="labels",
    details="extra",
    entity="host.name",
    status="state",
    resolved_values=("OK", "recovered"),
)


def test_at_path_walks_objects_and_list_indexes() -> None:
    """Dotted paths reach nested objects and list items; a missing step is missing."""
    doc = {"a": {"b": [{"c": 1}, {"c": 2}]}}
    assert at_path(doc, "a.b.1.c") == 2
    assert at_path(doc, "a.x") is at_path(doc, "a.b.9")
    assert at_path(doc, "") == doc


def test_item_maps_every_configured_field() -> None:
    """Each mapped path becomes its alert field; severity words become priorities."""
    item = {
        "title": "CPU high",
        "id": "cpu-1",
        "sev": "critical",
        "labels": {"env": "prod", "team": "db"},
        "extra": {"value": 97, "unit": "%"},
        "host": {"name": "db-1"},
        "state": "alerting",
    }
    mapped = map_item(item, MAPPING, "nagios")
    assert isinstance(mapped, Trigger)
    assert (mapped.message, mapped.alias, mapped.priority, mapped.entity) == (
        "CPU high",
        "cpu-1",
        "P1",
        "db-1",
    )
    assert mapped.tags == ("env:prod", "team:db")
    assert mapped.details == {"value": "97", "unit": "%"}
    assert mapped.source == "nagios"


def test_resolved_values_close_by_alias_case_insensitively() -> None:
    """An item whose status is a resolved value becomes a resolve for its alias."""
    assert map_item({"id": "cpu-1", "state": "ok"}, MAPPING, "s") == Resolve(
        alias="cpu-1", source="s"
    )


def test_items_without_message_or_not_objects_are_malformed() -> None:
    """Malformed items are reported, not guessed, naming the mapped field at fault."""
    assert Malformed("the alert has no message", "title") == map_item({"id": "x"}, MAPPING, "s")
    assert Malformed("an alert must be a JSON object, not str") == map_item("text", MAPPING, "s")


def test_item_paths_follow_the_items_path() -> None:
    """Each item's JSON path: under ``items``, in a list body, or the one-object body."""
    assert item_paths({"data": {"events": [{}, {}]}}, MAPPING) == [
        "data.events[0]",
        "data.events[1]",
    ]
    assert item_paths([{}, {}], FieldMapping()) == ["[0]", "[1]"]
    assert item_paths({"message": "one"}, FieldMapping()) == [""]


def test_body_items_path_and_default_alias() -> None:
    """``items`` selects the list; without an alias path value the alias hashes the message."""
    body = {"data": {"events": [{"title": "a"}, {"title": "a"}, 3]}}
    items = map_body(body, MAPPING, "s")
    assert [type(i) for i in items] == [Trigger, Trigger, Malformed]
    first, second = items[0], items[1]
    assert isinstance(first, Trigger)
    assert isinstance(second, Trigger)
    assert first.alias == second.alias != ""
    single = map_body({"message": "one"}, FieldMapping(), "s")
    assert [type(i) for i in single] == [Trigger]
    with pytest.raises(ApiError):
        map_body({"other": []}, MAPPING, "s")
