"""Heartbeat commands and their stateless validation.

Heartbeats are addressed by ``name`` (unique per organization, as in Opsgenie's
``/v2/heartbeats/{name}``). ``ExpireHeartbeat`` is a system command: the actor's
timer issues it when a heartbeat's deadline has come. Validation follows
Opsgenie's limits (compat-api.md 4.10) and raises ``Rejected("invalid_field")``
naming the Opsgenie JSON field.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final, final

import msgspec

from engine.errors import Rejected
from engine.heartbeats.state import INTERVAL_UNITS, HeartbeatSettings, interval_of

__all__ = [
    "HEARTBEAT_COMMAND_TYPES",
    "CreateHeartbeat",
    "DeleteHeartbeat",
    "DisableHeartbeat",
    "EnableHeartbeat",
    "ExpireHeartbeat",
    "HeartbeatCommand",
    "PingHeartbeat",
    "UpdateHeartbeat",
    "check_settings",
    "default_alert_message",
]

# The alert a heartbeat raises is a normal alert, so its fields obey the alert limits.
PRIORITIES: Final = ("P1", "P2", "P3", "P4", "P5")
MAX_NAME: Final = 200
MAX_DESCRIPTION: Final = 10000
MAX_OWNER_TEAM: Final = 100
MAX_ALERT_MESSAGE: Final = 130
MAX_TAGS: Final = 20
MAX_TAG: Final = 50
MAX_INTERVAL: Final = timedelta(days=3650)


class _Command(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """Base of every heartbeat command: it names its heartbeat."""

    name: str


@final
class CreateHeartbeat(_Command, frozen=True, kw_only=True):
    """Add a heartbeat; ``alert_message`` ``""`` means "<name> is expired"."""

    heartbeat_id: str
    enabled: bool = True
    description: str = ""
    interval: int
    interval_unit: str
    owner_team: str = ""
    alert_message: str = ""
    alert_tags: tuple[str, ...] = ()
    alert_priority: str = "P3"


@final
class UpdateHeartbeat(_Command, frozen=True, kw_only=True):
    """Change some settings of a heartbeat; ``None`` leaves a field as it is."""

    enabled: bool | None = None
    description: str | None = None
    interval: int | None = None
    interval_unit: str | None = None
    owner_team: str | None = None
    alert_message: str | None = None
    alert_tags: tuple[str, ...] | None = None
    alert_priority: str | None = None


@final
class EnableHeartbeat(_Command, frozen=True, kw_only=True):
    """Enable a heartbeat; its countdown restarts (a no-op if it is enabled)."""


@final
class DisableHeartbeat(_Command, frozen=True, kw_only=True):
    """Disable a heartbeat: it never expires while disabled (a no-op if it is)."""


@final
class PingHeartbeat(_Command, frozen=True, kw_only=True):
    """Record a ping: the countdown restarts and an open expiry alert is closed."""


@final
class DeleteHeartbeat(_Command, frozen=True, kw_only=True):
    """Remove a heartbeat; its open expiry alert, if any, stays open."""


@final
class ExpireHeartbeat(_Command, frozen=True, kw_only=True):
    """System command from the timer: expire the heartbeat if its deadline has come."""


HeartbeatCommand = (
    CreateHeartbeat
    | UpdateHeartbeat
    | EnableHeartbeat
    | DisableHeartbeat
    | PingHeartbeat
    | DeleteHeartbeat
    | ExpireHeartbeat
)

HEARTBEAT_COMMAND_TYPES: Final = (
    CreateHeartbeat,
    UpdateHeartbeat,
    EnableHeartbeat,
    DisableHeartbeat,
    PingHeartbeat,
    DeleteHeartbeat,
    ExpireHeartbeat,
)


def _invalid(field: str, message: str) -> Rejected:
    return Rejected("invalid_field", message, field=field)


def _check_length(field: str, value: str, limit: int) -> None:
    if len(value) > limit:
        raise _invalid(field, f"{field} must be at most {limit} characters")


def check_name(name: str) -> str:
    """``name`` stripped; 1-200 characters, no ``/`` (it is a URL path segment)."""
    stripped = name.strip()
    if not stripped:
        raise _invalid("name", "name is required")
    _check_length("name", stripped, MAX_NAME)
    if "/" in stripped:
        raise _invalid("name", "name must not contain '/'")
    return stripped


def default_alert_message(name: str) -> str:
    """Opsgenie's default alert message, cut to the alert message limit."""
    return f"{name} is expired"[:MAX_ALERT_MESSAGE]


def _clean_tags(tags: tuple[str, ...]) -> tuple[str, ...]:
    cleaned: dict[str, None] = {}
    for tag in tags:
        stripped = tag.strip()
        if not stripped:
            raise _invalid("alertTags", "alertTags must not be empty")
        _check_length("alertTags", stripped, MAX_TAG)
        cleaned[stripped] = None
    if len(cleaned) > MAX_TAGS:
        raise _invalid("alertTags", f"at most {MAX_TAGS} alertTags")
    return tuple(cleaned)


def check_settings(name: str, settings: HeartbeatSettings) -> HeartbeatSettings:
    """``settings`` validated and normalised (stripped, default message, unique tags)."""
    if settings.interval < 1:
        raise _invalid("interval", "interval must be at least 1")
    if settings.interval_unit not in INTERVAL_UNITS:
        raise _invalid("intervalUnit", "intervalUnit must be one of minutes, hours, days")
    if settings.interval > MAX_INTERVAL.days * 24 * 60 or interval_of(settings) > MAX_INTERVAL:
        raise _invalid("interval", "interval must be at most 3650 days")
    _check_length("description", settings.description, MAX_DESCRIPTION)
    owner_team = settings.owner_team.strip()
    _check_length("ownerTeam", owner_team, MAX_OWNER_TEAM)
    message = settings.alert_message.strip() or default_alert_message(name)
    _check_length("alertMessage", message, MAX_ALERT_MESSAGE)
    if settings.alert_priority not in PRIORITIES:
        raise _invalid("alertPriority", "alertPriority must be one of P1, P2, P3, P4, P5")
    return msgspec.structs.replace(
        settings,
        owner_team=owner_team,
        alert_message=message,
        alert_tags=_clean_tags(settings.alert_tags),
    )
