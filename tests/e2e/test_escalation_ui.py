"""The escalation policy editor in a real browser against a real server."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Pulsar, new_email, screenshot, sign_in

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def test_create_a_policy_in_the_editor_and_see_it_listed(page: Page, pulsar: Pulsar) -> None:
    """Errors show next to their fields (the form's and the server's); a saved policy is listed."""
    email = new_email("policy")
    token = pulsar.register(email, name="Ada")
    pulsar.post(
        "/api/v1/escalation-policies",
        token,
        {"name": "taken", "rules": [{"recipient": {"type": "user", "id": email}}]},
    )
    sign_in(page, pulsar.url, email, "/escalation-policies")
    expect(page.get_by_test_id("policy")).to_have_count(1)
    page.get_by_role("link", name="New policy").click()
    expect(page).to_have_url(re.compile(r"/escalation-policies/new$"))

    page.get_by_role("button", name="Create policy").click()  # nothing filled in
    name = page.get_by_label("Name", exact=True)
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("A policy needs a name.")).to_be_visible()
    expect(page.get_by_text("Choose a user.")).to_be_visible()

    name.fill("Taken")  # the server refuses the name (names are unique, ignoring case)
    page.get_by_label("Recipient").select_option(label=f"Ada ({email})")
    page.get_by_role("button", name="Create policy").click()
    expect(page.get_by_test_id("field-error")).to_contain_text("already exists")
    expect(name).to_have_attribute("aria-invalid", "true")

    name.fill("db-oncall")
    page.get_by_label("Description").fill("Pages the database people")
    page.get_by_role("button", name="Add rule").click()
    page.get_by_label("Notify a").nth(1).select_option("user")
    page.get_by_label("Recipient").nth(1).select_option(label=f"Ada ({email})")
    page.get_by_label("Delay (minutes)").nth(1).fill("15")
    page.get_by_label("If the alert is").nth(1).select_option(label="not closed")
    page.get_by_label("Start the rules over").check()
    page.get_by_label("Times (1-20)").fill("2")
    screenshot(page, "escalation-policy-editor")
    page.get_by_role("button", name="Create policy").click()

    expect(page).to_have_url(re.compile(r"/escalation-policies$"))
    created = page.get_by_test_id("policy").filter(has_text="db-oncall")
    expect(created).to_contain_text("If not acknowledged, at once: user Ada")
    expect(created).to_contain_text("If not closed, after 15 min: user Ada")
    expect(created).to_contain_text("Repeats 2 times, 10 min after the last rule")
    expect(page.get_by_test_id("policy")).to_have_count(2)
    screenshot(page, "escalation-policies")
