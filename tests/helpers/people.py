"""Members and teams for HTTP tests, made through the API with an organization's key."""

from __future__ import annotations

from tests.helpers.app import Harness, Org

__all__ = ["add_member", "add_team", "member_ids"]


async def add_member(api: Harness, email: str, org: Org | None = None) -> str:
    """Add ``email`` as a member of ``org`` (default: the harness's); their account id.

    The same email in two organizations is one account, hence one id.
    """
    response = await api.post("/api/v1/users", json={"email": email}, org=org)
    assert response.status_code == 201, await response.get_data()
    account_id: str = (await response.get_json())["data"]["id"]
    return account_id


async def add_team(api: Harness, name: str, org: Org | None = None) -> str:
    """Create team ``name`` in ``org`` (default: the harness's); its id."""
    response = await api.post("/api/v1/teams", json={"name": name}, org=org)
    assert response.status_code == 201, await response.get_data()
    team_id: str = (await response.get_json())["data"]["id"]
    return team_id


async def member_ids(api: Harness, org: Org | None = None) -> dict[str, str]:
    """Account id by email of every member of ``org`` (default: the harness's)."""
    response = await api.get("/api/v1/users", org=org)
    assert response.status_code == 200, await response.get_data()
    return {u["email"]: u["id"] for u in (await response.get_json())["data"]}
