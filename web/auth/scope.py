"""Team-scoped API keys: which alerts such a key sees, and the team it puts on what it creates.

An API key created with a ``team_id`` (``web.api.api_keys``) acts for that team
only: the alerts it creates get the team as a responder, and it reads and acts
on only the alerts that have the team as a responder. To such a key another
team's alert does not exist (404, like another organization's). Every other
principal sees every alert of its organization.
"""

from __future__ import annotations

from engine import Alert, AlertsState, NotFound, Responder, find_alert
from web.auth.principal import Principal

__all__ = ["find_visible_alert", "scoped_responders", "sees"]


def sees(key: Principal, alert: Alert) -> bool:
    """Whether ``key`` may see ``alert``: always, unless it is scoped to another team."""
    if key.team_id is None:
        return True
    return any(r.type == "team" and r.id == key.team_id for r in alert.responders)


def scoped_responders(key: Principal, responders: tuple[Responder, ...]) -> tuple[Responder, ...]:
    """``responders`` plus the key's team, if the key is team-scoped and it is not there yet."""
    if key.team_id is None:
        return responders
    team = Responder(type="team", id=key.team_id)
    return responders if team in responders else (*responders, team)


def find_visible_alert(key: Principal, state: AlertsState, identifier: str, kind: str) -> Alert:
    """``find_alert`` for ``key``: an alert it may not see is ``NotFound``, like a missing one."""
    alert = find_alert(state, identifier, kind)
    if not sees(key, alert):
        raise NotFound("alert_not_found", f"Alert {identifier!r} does not exist")
    return alert
