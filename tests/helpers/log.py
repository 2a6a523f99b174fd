"""An organization's state and log advanced by commands, the way its actor does it."""

from __future__ import annotations

from engine import SYSTEM, Command
from engine.context import EventMeta
from engine.org import OrgState, encode_event, execute, initial_state
from eventstore import Envelope
from tests.helpers.decider import NOW

__all__ = ["OrgLog"]


class OrgLog:
    """Execute commands against one organization's state; each commit returns the
    committed envelopes with their versions (what a commit listener receives)."""

    def __init__(self, org_id: str = "o1") -> None:
        self.org_id = org_id
        self.state: OrgState = initial_state()

    def commit(self, *commands: Command) -> list[Envelope]:
        envelopes = []
        for command in commands:
            events, _ = execute(self.state, command, SYSTEM, NOW)
            first = self.state.version - len(events) + 1
            for i, event in enumerate(events):
                new = encode_event(event, EventMeta.of(SYSTEM))
                envelopes.append(
                    Envelope(
                        position=0,
                        org_id=self.org_id,
                        version=first + i,
                        type=new.type,
                        data=new.data,
                        metadata=new.metadata,
                        subject=new.subject,
                        recorded_at=NOW,
                    )
                )
        return envelopes
