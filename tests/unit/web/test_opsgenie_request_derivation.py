"""Statuses derived from the log (after a restart) use the words the live ones use."""

from __future__ import annotations

from engine import ALERT_EVENT_TYPES
from web.compat.opsgenie import actions
from web.compat.opsgenie.requests import DERIVED


def test_derived_actions_and_texts_are_the_live_ones() -> None:
    live = {
        (action, done) for action, _, _, done in (*actions._POSTS.values(), *actions._PUTS.values())
    }
    # the writes with their own handlers (actions.create_alert, remove_tags, ...)
    live |= {
        ("Create", "Created alert"),
        ("Create", "Alert deduplicated"),
        ("RemoveTags", "Removed tags"),
        ("RemoveDetails", "Removed details"),
        ("Delete", "Deleted alert"),
    }
    assert set(DERIVED.values()) <= live
    # Every live write but AddTeam (its event is AlertResponderAdded) can be derived.
    assert live - set(DERIVED.values()) == {("AddTeam", "Added team")}


def test_derived_from_alert_events_only() -> None:
    names = {kind.__name__ for kind in ALERT_EVENT_TYPES}
    assert set(DERIVED) <= names
    # Timer-made events (no request) are never a request's first event.
    assert "AlertUnsnoozed" not in DERIVED
