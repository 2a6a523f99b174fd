"""Given/when/then for deciders, after commanded's ``AggregateCase``.

    given([AlertCreated(...)]).when(AcknowledgeAlert(alert_id="a1"), now=T1).then([...])
    given([...]).when(CloseAlert(alert_id="nope")).then_rejected("alert_not_found")

``given`` folds the events with ``evolve`` from ``initial_state``; ``when`` runs ``decide``
and checks it did not mutate the state it read; ``then`` compares the emitted events and
returns the state after folding them, for assertions on ``evolve``'s effects.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

import msgspec
import pytest

from engine.alerts import AlertCommand, AlertEvent, AlertsState, decide, evolve, initial_state
from engine.errors import Rejected

__all__ = ["ALERTS", "NOW", "AggregateCase", "Decider", "Outcome", "given"]

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)

S = TypeVar("S")
C = TypeVar("C")
E = TypeVar("E")


@dataclass(frozen=True)
class Decider(Generic[S, C, E]):
    """The three functions of an area, so the helper serves every area."""

    initial_state: Callable[[], S]
    decide: Callable[[S, C, datetime], list[E]]
    evolve: Callable[[S, E], S]

    def fold(self, events: Sequence[E]) -> S:
        """The state after folding ``events`` from the initial state."""
        state = self.initial_state()
        for event in events:
            state = self.evolve(state, event)
        return state

    def given(self, events: Sequence[E] = ()) -> AggregateCase[S, C, E]:
        """Start a case from the state ``events`` produce."""
        return AggregateCase(self, list(events))


@dataclass(frozen=True)
class AggregateCase(Generic[S, C, E]):
    """A state given by its history, waiting for a command."""

    decider: Decider[S, C, E]
    history: list[E]

    def when(self, command: C, *, now: datetime = NOW) -> Outcome[S, C, E]:
        """Decide ``command`` at ``now`` against the given state."""
        state = self.decider.fold(self.history)
        before = msgspec.json.encode(state)
        try:
            result: list[E] | Rejected = self.decider.decide(state, command, now)
        except Rejected as error:
            result = error
        assert before == msgspec.json.encode(state), "decide mutated the state"
        return Outcome(self, state, result)


@dataclass(frozen=True)
class Outcome(Generic[S, C, E]):
    """What ``decide`` answered: events, or a rejection."""

    case: AggregateCase[S, C, E]
    state: S
    result: list[E] | Rejected

    @property
    def events(self) -> list[E]:
        """The emitted events (fails the test if the command was rejected)."""
        if isinstance(self.result, Rejected):
            pytest.fail(f"expected events, got rejection {self.result.code!r}: {self.result}")
        return self.result

    def then(self, expected: Sequence[E]) -> S:
        """Assert the emitted events equal ``expected``; return the state after them."""
        assert list(expected) == self.events
        state = self.state
        for event in self.events:
            state = self.case.decider.evolve(state, event)
        return state

    def then_rejected(self, code: str, *, field: str | None = None) -> Rejected:
        """Assert the command was rejected with ``code`` (and ``field`` when given)."""
        if not isinstance(self.result, Rejected):
            pytest.fail(f"expected rejection {code!r}, got events {self.result!r}")
        assert code == self.result.code
        if field is not None:
            assert field == self.result.field
        return self.result


ALERTS: Decider[AlertsState, AlertCommand, AlertEvent] = Decider(initial_state, decide, evolve)


def given(
    events: Sequence[AlertEvent] = (),
) -> AggregateCase[AlertsState, AlertCommand, AlertEvent]:
    """Start an alerts case from the state ``events`` produce."""
    return ALERTS.given(events)
