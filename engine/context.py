"""Who issued a command, from where, and how it travels into the log.

A ``CommandContext`` arrives with every command; the actor copies it into
the metadata of each event the command produced (style.md habit 13), so
"who acknowledged this, when, from where" is answered from the log.
"""

from __future__ import annotations

from typing import Literal, final

import msgspec

__all__ = ["SYSTEM", "CommandContext", "EventMeta"]

PrincipalKind = Literal["api_key", "user", "integration", "system", "cli"]


@final
class CommandContext(msgspec.Struct, frozen=True, kw_only=True):
    """The context of one command: principal, request, idempotency."""

    principal_kind: PrincipalKind
    principal_id: str
    request_id: str = ""
    remote_addr: str = ""
    user_agent: str = ""
    idempotency_key: str | None = None
    fingerprint: str = ""
    causation: str = ""


@final
class EventMeta(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Event metadata as stored in the log's ``metadata`` column."""

    principal_kind: str
    principal_id: str
    request_id: str = ""
    remote_addr: str = ""
    user_agent: str = ""
    idempotency_key: str | None = None
    causation: str = ""

    @classmethod
    def of(cls, ctx: CommandContext) -> EventMeta:
        return cls(
            principal_kind=ctx.principal_kind,
            principal_id=ctx.principal_id,
            request_id=ctx.request_id,
            remote_addr=ctx.remote_addr,
            user_agent=ctx.user_agent,
            idempotency_key=ctx.idempotency_key,
            causation=ctx.causation,
        )


SYSTEM = CommandContext(principal_kind="system", principal_id="pulsar")
