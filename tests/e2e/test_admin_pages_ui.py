"""Heartbeats, the audit log and a generic integration's mapping, in a real browser."""

from __future__ import annotations

import re

import httpx
import msgspec
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import PASSWORD, Pulsar, new_email, screenshot, sign_in
from web import ui_types

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def _get(pulsar: Pulsar, path: str, token: str) -> httpx.Response:
    return httpx.get(pulsar.url + path, headers={"Authorization": f"Bearer {token}"})


def test_heartbeat_created_pinged_edited_disabled_and_audited(page: Page, pulsar: Pulsar) -> None:
    """A heartbeat made in the page shows its ping URL, its last ping, the edits and the
    disable; the audit log lists the disable by its author and filters to it."""
    email = new_email("beat")
    token = pulsar.register(email, name="Ada")
    pulsar.post("/api/v1/teams", token, {"name": "Ops"})
    cron = {"name": "cron", "rights": ["create-and-update"]}
    key = pulsar.post("/api/v1/api-keys", token, cron)["data"]["key"]
    sign_in(page, pulsar.url, email, "/heartbeats")
    expect(page.get_by_text("No heartbeats yet.")).to_be_visible()
    live = page.get_by_test_id("live-status").first
    expect(live).to_have_attribute("data-status", "live")

    page.get_by_role("button", name="New heartbeat").click()
    page.get_by_role("button", name="Create heartbeat").click()  # no name
    expect(page.get_by_label("Name")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("A heartbeat needs a name.")).to_be_visible()
    page.get_by_label("Name").fill("nightly-backup")
    page.get_by_label("Interval", exact=True).fill("25")
    page.get_by_label("Interval unit").select_option("hours")
    page.get_by_label("Owner team").fill("Ops")
    page.get_by_label("Alert priority").select_option("P2")
    page.get_by_label("Alert tags").fill("backup, db")
    page.get_by_role("button", name="Create heartbeat").click()

    beat = page.get_by_test_id("heartbeat").filter(has_text="nightly-backup")
    expect(beat.get_by_test_id("heartbeat-status")).to_have_text("Active")
    expect(beat).to_contain_text("every 25 hours")
    expect(beat).to_contain_text("Ops")
    ping_url = f"{pulsar.url}/api/v1/heartbeats/nightly-backup/ping"
    expect(beat.get_by_label("Ping URL")).to_have_value(ping_url)
    expect(beat.get_by_label("curl")).to_have_value(re.compile("GenieKey"))
    expect(beat.get_by_test_id("last-ping")).to_have_text("never")

    pong = httpx.post(ping_url, headers={"Authorization": f"GenieKey {key}"})
    assert pong.status_code == 202, pong.text
    expect(beat.get_by_test_id("last-ping")).to_have_text("now")  # live, without reload

    beat.get_by_role("button", name="Edit").click()
    form = page.get_by_test_id("heartbeat-form")
    expect(form.get_by_label("Name")).to_have_value("nightly-backup")
    form.get_by_label("Interval", exact=True).fill("0")
    form.get_by_role("button", name="Save changes").click()
    expect(form.get_by_text("At least 1, a whole number.")).to_be_visible()
    form.get_by_label("Interval", exact=True).fill("30")
    form.get_by_label("Description").fill("pg_dump of the main database")
    form.get_by_label("Alert message").fill("Backup did not run")
    form.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Saved “nightly-backup”.")).to_be_visible()
    expect(beat).to_contain_text("every 30 hours")
    expect(beat).to_contain_text("pg_dump of the main database")
    expect(beat).to_contain_text("“Backup did not run”")
    expect(beat.get_by_test_id("last-ping")).to_have_text("now")

    beat.get_by_role("button", name="Disable").click()
    expect(beat.get_by_test_id("heartbeat-status")).to_have_text("Disabled")
    expect(beat.get_by_role("button", name="Enable")).to_be_visible()
    screenshot(page, "heartbeats")

    # What the page read decodes into the generated types (unknown fields forbidden).
    listed = msgspec.json.decode(
        _get(pulsar, "/api/v1/heartbeats", token).content, type=ui_types.HeartbeatList
    )
    assert [(h.name, h.enabled, h.interval) for h in listed.data] == [("nightly-backup", False, 30)]

    # A heartbeat created through the API appears on the open page without reload (the
    # `heartbeats` topic); deleting asks first, and another tab sees it go.
    page.evaluate("window.__noReload = true")
    pulsar.post(
        "/api/v1/heartbeats", token, {"name": "old-job", "interval": 5, "intervalUnit": "minutes"}
    )
    old = page.get_by_test_id("heartbeat").filter(has_text="old-job")
    expect(old.get_by_test_id("heartbeat-status")).to_have_text("Active")
    expect(page.get_by_test_id("heartbeat-counts")).to_have_text("2 heartbeats · 1 disabled")
    assert page.evaluate("window.__noReload") is True
    other = page.context.new_page()
    other.goto(pulsar.url + "/heartbeats")
    expect(other.get_by_test_id("heartbeat")).to_have_count(2)
    page.once("dialog", lambda dialog: dialog.accept())
    old.get_by_role("button", name="Delete").click()
    expect(page.get_by_text("Deleted “old-job”.")).to_be_visible()
    expect(page.get_by_test_id("heartbeat")).to_have_count(1)
    expect(other.get_by_test_id("heartbeat")).to_have_count(1)  # the delete, live
    other.close()

    page.get_by_role("link", name="Audit log").first.click()
    entries = page.get_by_test_id("audit-entry")
    disabled = page.locator("[data-testid=audit-entry][data-type=HeartbeatDisabled]")
    expect(disabled).to_have_count(1)
    expect(disabled).to_contain_text("Ada")
    expect(disabled).to_contain_text("Heartbeat disabled")
    expect(disabled).to_contain_text("name: nightly-backup")
    expect(page.locator("[data-type=HeartbeatCreated]")).to_have_count(2)
    screenshot(page, "audit")

    disabled.locator("summary").click()  # the details: actor, request id, the event
    expect(disabled).to_contain_text('"type": "HeartbeatDisabled"')
    disabled.get_by_role("button", name="Only “Heartbeat disabled”").click()
    expect(page).to_have_url(re.compile(r"/audit\?type=HeartbeatDisabled$"))
    expect(entries).to_have_count(1)
    page.get_by_label("Who").select_option(label="Ada")
    page.get_by_role("button", name="Apply").click()
    expect(entries).to_have_count(1)
    page.get_by_label("Until").fill("2000-01-01T00:00")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("No events match.")).to_be_visible()

    audit = msgspec.json.decode(
        _get(pulsar, "/api/v1/audit?type=HeartbeatDisabled", token).content,
        type=ui_types.AuditPage,
    )
    assert [e.event["name"] for e in audit.data] == ["nightly-backup"]

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(pulsar.url + "/heartbeats")
    expect(beat.get_by_test_id("heartbeat-status")).to_have_text("Disabled")
    screenshot(page, "heartbeats-phone")


def test_a_member_reads_heartbeats_but_not_the_audit_log(page: Page, pulsar: Pulsar) -> None:
    """Without audit:read the navigation has no audit log and the page says why;
    without configure there are no heartbeat buttons but the ping URL."""
    owner = pulsar.register(new_email("owner"), name="Olga")
    pulsar.post(
        "/api/v1/heartbeats", owner, {"name": "etl", "interval": 1, "intervalUnit": "hours"}
    )
    email = new_email("member")
    added = pulsar.post("/api/v1/users", owner, {"email": email, "name": "Max", "role": "member"})
    accepted = httpx.post(
        pulsar.url + "/api/v1/auth/invitations/accept",
        json={"token": added["invitation"]["token"], "password": PASSWORD},
    )
    assert accepted.status_code in (200, 201), accepted.text

    sign_in(page, pulsar.url, email, "/heartbeats")
    beat = page.get_by_test_id("heartbeat").filter(has_text="etl")
    expect(beat.get_by_test_id("heartbeat-status")).to_have_text("Active")
    expect(beat.get_by_role("button")).to_have_text(["Ping URL"])
    expect(page.get_by_role("button", name="New heartbeat")).to_have_count(0)
    expect(page.get_by_role("link", name="Heartbeats")).to_have_count(1)
    expect(page.get_by_role("link", name="Audit log")).to_have_count(0)

    page.goto(pulsar.url + "/audit")
    expect(page.get_by_text("Only admins and owners")).to_be_visible()
    expect(page.get_by_test_id("audit-entry")).to_have_count(0)


def test_generic_mapping_edited_in_the_page_maps_a_posted_payload(
    page: Page, pulsar: Pulsar
) -> None:
    """The mapping editor previews a sample with the server's rules, saves, and the
    webhook then creates the alert with the mapped message; disabled, it refuses."""
    email = new_email("mapping")
    pulsar.register(email, name="Ada")
    sign_in(page, pulsar.url, email, "/integrations")
    page.get_by_label("Name").fill("nagios")
    page.get_by_label("Type").select_option("generic")
    page.get_by_role("button", name="Create integration").click()
    created = page.get_by_test_id("new-integration")
    key = created.get_by_label("Ingestion key").input_value()
    url = created.get_by_label("URL").input_value()
    assert url == f"{pulsar.url}/v1/webhooks/generic/{key}"
    created.get_by_role("button", name="Done").click()

    row = page.get_by_test_id("integration").filter(has_text="nagios")
    row.get_by_role("button", name="Mapping").click()
    details = page.get_by_test_id("integration-details")
    expect(details.get_by_test_id("ingestion-url")).to_have_text(
        f"{pulsar.url}/v1/webhooks/generic/<key>"
    )
    expect(details.get_by_label("Message path")).to_have_value("message")
    preview = details.get_by_test_id("mapping-preview")
    expect(preview).to_contain_text("Create alert “Disk almost full on db-1”")  # the sample

    details.get_by_label("Items path").fill("events")
    details.get_by_label("Message path").fill("check.title")
    details.get_by_label("Alias path").fill("id")
    details.get_by_label("Priority path").fill("level")
    details.get_by_label("Status path").fill("state")
    details.get_by_label("Resolved values").fill("recovered, ok")
    details.get_by_label("Sample payload").fill(
        '{"events": [{"check": {"title": "CPU hot on web-1"}, "id": "cpu-web-1", '
        '"level": "critical", "state": "alarm"}, {"id": "cpu-web-2", "state": "RECOVERED"}, {}]}'
    )
    expect(preview.locator("li")).to_have_count(3)
    expect(preview.locator("li").nth(0)).to_contain_text("Create alert “CPU hot on web-1” · P1")
    expect(preview.locator("li").nth(1)).to_contain_text(
        "Close the open alert with alias cpu-web-2"
    )
    expect(preview.locator("li").nth(2)).to_contain_text("Rejected: the alert has no message")
    details.get_by_label("Sample payload").fill("{")
    expect(details.get_by_test_id("mapping-preview-error")).to_contain_text("Not JSON")
    details.get_by_label("Message path").fill("")
    details.get_by_role("button", name="Save mapping").click()
    expect(details.get_by_text("Every alert needs a message")).to_be_visible()
    details.get_by_label("Message path").fill("check.title")
    details.get_by_role("button", name="Sample from the mapping").click()
    expect(preview).to_contain_text("Create alert “Disk almost full on db-1” · P1")
    details.get_by_role("button", name="Save mapping").click()
    expect(details.get_by_text("Mapping saved.")).to_be_visible()
    screenshot(page, "integration-mapping")

    answer = httpx.post(
        f"{pulsar.url}/v1/webhooks/generic/{key}",
        json={"events": [{"check": {"title": "CPU hot on web-1"}, "id": "c1", "level": "high"}]},
    )
    assert answer.status_code == 202, answer.text
    page.get_by_role("link", name="Alerts").first.click()
    alert = page.get_by_test_id("alert-row").filter(has_text="CPU hot on web-1")
    expect(alert).to_have_count(1)
    expect(alert).to_contain_text("P2")

    page.get_by_role("link", name="Integrations").first.click()
    row.get_by_role("button", name="Disable").click()
    expect(page.get_by_text("Disabled “nagios”.")).to_be_visible()
    expect(row).to_contain_text("Disabled")
    refused = httpx.post(f"{pulsar.url}/v1/webhooks/generic/{key}", json={"events": []})
    assert refused.status_code == 403, refused.text
    row.get_by_role("button", name="Enable").click()
    expect(row).to_contain_text("Enabled")
