"""Team routing rules and notification rules edited in a real browser against a real server:
every condition field, time restrictions with their zone, the default routing rule, field errors."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Pulsar, new_email, screenshot, sign_in

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

DASH = "\u2013"  # the UI writes time ranges with an en dash


def _get(pulsar: Pulsar, path: str, token: str) -> Any:
    response = httpx.get(pulsar.url + path, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return response.json()["data"]


def test_routing_rule_with_a_details_condition_and_weekday_windows(
    page: Page, pulsar: Pulsar
) -> None:
    """A rule on a detail's value (and a negated tag) during weekday windows in Berlin time
    is stored as built; errors show next to their fields (the form's and the server's); the
    default rule stays last, cannot be moved or deleted, and its target changes."""
    email = new_email("routing")
    token = pulsar.register(email, name="Ada")
    team = pulsar.post("/api/v1/teams", token, {"name": "Ops", "defaultResources": True})["data"]
    pulsar.post(
        "/api/v1/escalation-policies",
        token,
        {"name": "db-oncall", "rules": [{"recipient": {"type": "user", "id": email}}]},
    )
    sign_in(page, pulsar.url, email, f"/teams/{team['id']}")

    rules = page.get_by_test_id("routing-rule")
    expect(rules).to_have_count(1)
    default = rules.first
    expect(default).to_contain_text("default rule")
    expect(default.get_by_role("button", name="Delete")).to_have_count(0)
    expect(default.get_by_role("button", name="Move Default Routing Rule up")).to_have_count(0)

    page.get_by_role("button", name="Add routing rule").click()
    form = page.get_by_test_id("routing-rule-form")
    form.get_by_label("Name", exact=True).fill("EU prod databases")
    form.get_by_label("Field of condition 1").select_option("detail")
    form.get_by_label("Key of condition 1").fill("env")
    form.get_by_label("Operation of condition 1").select_option("equals")
    form.get_by_role("button", name="Add rule").click()  # no key value yet, no target
    value = form.get_by_label("Value of condition 1")
    expect(value).to_have_attribute("aria-invalid", "true")
    expect(form.get_by_test_id("field-error").filter(has_text="Enter a value.")).to_be_visible()
    expect(form.get_by_text("Choose where the alerts go.")).to_be_visible()

    # The server has the last word on a regular expression: its 422 lands under the conditions.
    form.get_by_label("Operation of condition 1").select_option("matches")
    value.fill("prod(")
    form.get_by_label("To", exact=True).select_option(label="db-oncall")
    form.get_by_role("button", name="Add rule").click()
    expect(form.get_by_test_id("field-error")).to_contain_text("regular expression")

    form.get_by_label("Operation of condition 1").select_option("equals")
    value.fill("prod")
    form.get_by_role("button", name="Add condition").click()
    form.get_by_label("Field of condition 2").select_option("tags")
    form.get_by_label("Not (condition 2)").check()
    form.get_by_label("Value of condition 2").fill("test")
    form.get_by_label("Chosen weekday windows").check()
    form.get_by_label("Window 1 end day").select_option("friday")
    form.get_by_label("Window 1 end time").fill("18:30")
    form.get_by_label("Time zone").select_option("Europe/Berlin")
    screenshot(page, "team-routing-rule-editor")
    form.get_by_role("button", name="Add rule").click()

    expect(rules).to_have_count(2)
    expect(rules.first).to_contain_text("details.env is “prod” and not: tags include “test”")
    expect(rules.first).to_contain_text(f"Only Mon 09:00{DASH}Fri 18:30 (Europe/Berlin)")
    expect(rules.last).to_contain_text("default rule")
    expect(page.get_by_role("button", name="Move EU prod databases down")).to_be_disabled()

    stored = _get(pulsar, f"/api/v1/teams/{team['id']}/routing-rules", token)
    assert [r["isDefault"] for r in stored] == [False, True]
    rule = stored[0]
    assert rule["criteria"] == {
        "type": "match-all-conditions",
        "conditions": [
            {
                "field": "details",
                "key": "env",
                "not": False,
                "operation": "equals",
                "expectedValue": "prod",
                "order": 0,
            },
            {
                "field": "tags",
                "not": True,
                "operation": "contains",
                "expectedValue": "test",
                "order": 1,
            },
        ],
    }
    assert rule["timezone"] == "Europe/Berlin"
    assert rule["timeRestriction"] == {
        "type": "weekday-and-time-of-day",
        "restrictions": [
            {
                "startDay": "monday",
                "endDay": "friday",
                "startHour": 9,
                "startMin": 0,
                "endHour": 18,
                "endMin": 30,
            }
        ],
    }
    assert rule["notify"]["name"] == "db-oncall"

    # The default rule: only its name and target are offered, and the target changes.
    rules.last.get_by_role("button", name="Edit").click()
    form = page.get_by_test_id("routing-rule-form")
    expect(form.get_by_label("Chosen weekday windows")).to_have_count(0)
    form.get_by_label("To", exact=True).select_option(label="Nobody (record only)")
    form.get_by_role("button", name="Save rule").click()
    expect(rules.last).to_contain_text("→ nobody")
    assert _get(pulsar, f"/api/v1/teams/{team['id']}/routing-rules", token)[1]["notify"] == {
        "type": "none"
    }


def test_notification_rule_time_restriction_is_edited(page: Page, pulsar: Pulsar) -> None:
    """The time restriction of a notification rule: a bad window is refused next to it, a
    daily window and then weekday windows in another zone are saved, "no restriction" clears."""
    email = new_email("rules")
    token = pulsar.register(email, name="Grace")
    sign_in(page, pulsar.url, email, "/settings/notifications")
    rules = page.get_by_test_id("notification-rules")
    expect(rules).to_contain_text("at any time")

    rules.get_by_role("button", name="Edit").click()
    rules.get_by_label("Chosen weekday windows").check()
    rules.get_by_label("Window 1 start time").fill("")
    rules.get_by_role("button", name="Save rule").click()
    expect(rules.get_by_label("Window 1 start time")).to_have_attribute("aria-invalid", "true")
    expect(rules.get_by_test_id("field-error")).to_have_text("Enter both times (HH:MM).")

    rules.get_by_label("Every day, between").check()
    rules.get_by_label("From", exact=True).fill("08:00")
    rules.get_by_label("Until", exact=True).fill("20:00")
    rules.get_by_role("button", name="Save rule").click()
    expect(rules).to_contain_text(f"only every day 08:00{DASH}20:00 (UTC)")
    stored = _get(pulsar, "/api/v1/users/me/notification-rules", token)[0]
    assert stored["timeRestriction"] == {
        "type": "time-of-day",
        "restriction": {"startHour": 8, "startMin": 0, "endHour": 20, "endMin": 0},
    }
    assert stored["timeZone"] == "UTC"

    rules.get_by_role("button", name="Edit").click()
    expect(rules.get_by_label("From", exact=True)).to_have_value("08:00")
    rules.get_by_label("Chosen weekday windows").check()
    rules.get_by_role("button", name=f"Monday{DASH}Friday 09:00{DASH}17:00").click()
    rules.get_by_label("Time zone").select_option("America/New_York")
    screenshot(page, "notification-rule-editor")
    rules.get_by_role("button", name="Save rule").click()
    expect(rules).to_contain_text(f"Mon 09:00{DASH}17:00, Tue 09:00{DASH}17:00")
    expect(rules).to_contain_text("(America/New_York)")
    stored = _get(pulsar, "/api/v1/users/me/notification-rules", token)[0]
    assert stored["timeZone"] == "America/New_York"
    assert stored["timeRestriction"]["type"] == "weekday-and-time-of-day"
    assert [
        (w["startDay"], w["startHour"], w["endHour"])
        for w in stored["timeRestriction"]["restrictions"]
    ] == [(day, 9, 17) for day in ("monday", "tuesday", "wednesday", "thursday", "friday")]

    rules.get_by_role("button", name="Edit").click()
    rules.get_by_label("No restriction").check()
    rules.get_by_role("button", name="Save rule").click()
    expect(rules).to_contain_text("at any time")
    assert _get(pulsar, "/api/v1/users/me/notification-rules", token)[0]["timeRestriction"] is None
