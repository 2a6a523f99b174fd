"""``engine.org.evolve`` dispatches by exact event type: every event has its area's evolve."""

from __future__ import annotations

import typing

from engine.org import decider
from engine.org.events import Event


def test_every_event_type_of_the_union_is_dispatched_and_final() -> None:
    union = set(typing.get_args(Event))
    assert set(decider._EVOLVERS) == union
    assert all(getattr(kind, "__final__", False) for kind in union)  # no subclass escapes
