"""Configuration lists follow the ``changes`` topic: another's change appears in place."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Pulsar, new_email, sign_in

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def test_a_team_created_through_the_api_appears_on_an_open_teams_page(
    page: Page, pulsar: Pulsar
) -> None:
    """No reload: the page refetches its list when the ``changes`` notification arrives,
    and what was typed in the page stays."""
    email = new_email("live")
    token = pulsar.register(email, name="Ada")
    pulsar.post("/api/v1/teams", token, {"name": "Ops"})
    sign_in(page, pulsar.url, email, "/teams")
    expect(page.get_by_role("link", name="Ops", exact=True)).to_be_visible()
    expect(page.get_by_test_id("live-status").first).to_have_attribute("data-status", "live")
    page.evaluate("window.__sameDocument = true")
    expect(page.get_by_role("link", name="Platform", exact=True)).to_have_count(0)

    pulsar.post("/api/v1/teams", token, {"name": "Platform"})
    expect(page.get_by_role("link", name="Platform", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Ops", exact=True)).to_be_visible()
    assert page.evaluate("window.__sameDocument") is True  # not reloaded


def test_members_and_the_audit_log_follow_changes_live(page: Page, pulsar: Pulsar) -> None:
    """A member added through the API appears on the open Teams page (``members``
    notes); on the Audit log a team created through the API appears on top
    (``audit`` notes). No reload."""
    email = new_email("members")
    token = pulsar.register(email, name="Ada")
    sign_in(page, pulsar.url, email, "/teams")
    page.evaluate("window.__sameDocument = true")
    bob = new_email("bob")
    pulsar.post("/api/v1/users", token, {"email": bob, "name": "Bob", "role": "member"})
    expect(page.get_by_role("cell", name=bob, exact=True)).to_be_visible()

    page.get_by_role("link", name="Audit log").click()
    entries = page.get_by_test_id("audit-entry")
    expect(entries.first).to_be_visible()
    pulsar.post("/api/v1/teams", token, {"name": "Audited"})
    expect(entries.first).to_have_attribute("data-type", "TeamCreated")
    expect(entries.first).to_contain_text("name: Audited")
    assert page.evaluate("window.__sameDocument") is True  # not reloaded
