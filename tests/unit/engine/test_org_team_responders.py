"""Cross-area rule: a team responder named by a team's name is recorded with the team's id."""

from __future__ import annotations

from engine import (
    AddResponder,
    AlertCreated,
    AlertResponderAdded,
    CommandContext,
    CreateAlert,
    CreateTeam,
    Responder,
)
from engine.org import OrgState, decide, execute, initial_state
from tests.helpers.decider import NOW

CTX = CommandContext(principal_kind="api_key", principal_id="k")


def org() -> OrgState:
    state = initial_state()
    for command in (CreateTeam(team_id="t1", name="Ops"), CreateTeam(team_id="t2", name="t3")):
        execute(state, command, CTX, NOW)
    return state


def team(team_id: str) -> Responder:
    return Responder(type="team", id=team_id)


def test_create_alert_resolves_team_names_to_ids() -> None:
    """Names resolve ignoring case; ids, unknown names and other types stay as given."""
    state = org()
    command = CreateAlert(
        alert_id="a1",
        message="m",
        responders=(
            team("ops"),
            team("t2"),
            team("t3"),  # t3 is team t2's name, but ids come first: no team has id t3
            team("nobody"),
            Responder(type="user", id="Ops"),
        ),
    )
    [created] = decide(state, command, NOW)
    assert isinstance(created, AlertCreated)
    expected = (team("t1"), team("t2"), team("nobody"), Responder(type="user", id="Ops"))
    assert expected == created.responders


def test_a_name_and_an_id_of_one_team_make_one_responder() -> None:
    """The resolved responders are de-duplicated like any others."""
    state = org()
    [created] = decide(
        state, CreateAlert(alert_id="a1", message="m", responders=(team("t1"), team("OPS"))), NOW
    )
    assert isinstance(created, AlertCreated)
    assert (team("t1"),) == created.responders


def test_add_responder_resolves_a_team_name() -> None:
    """Adding a team by name to an open alert records the team's id."""
    state = org()
    execute(state, CreateAlert(alert_id="a1", message="m"), CTX, NOW)
    [added] = decide(state, AddResponder(alert_id="a1", responder=team("Ops")), NOW)
    assert isinstance(added, AlertResponderAdded)
    assert team("t1") == added.responder
    [unknown] = decide(state, AddResponder(alert_id="a1", responder=team("nobody")), NOW)
    assert isinstance(unknown, AlertResponderAdded)
    assert team("nobody") == unknown.responder


def test_without_teams_responders_are_untouched() -> None:
    """An organization without teams records responders exactly as sent."""
    state = initial_state()
    responders = (team("ops"), Responder(type="schedule", id="s1"))
    [created] = decide(state, CreateAlert(alert_id="a1", message="m", responders=responders), NOW)
    assert isinstance(created, AlertCreated)
    assert responders == created.responders
