"""The web app in a real browser against a real server: sign-in, live lists, resume.

Each test signs up its own account (one server per module). Alerts are posted
with an HTTP client, never through the page, so what the page shows came over
its WebSocket. ``window.__pulsar_marker`` is set once per page: still there at
the end means the page never reloaded.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e.conftest import (
    PASSWORD,
    Pulsar,
    new_email,
    running_pulsar,
    screenshot,
    sign_in,
)

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def mark(page: Page) -> None:
    page.evaluate("window.__pulsar_marker = 'no reload'")


def assert_not_reloaded(page: Page) -> None:
    assert page.evaluate("window.__pulsar_marker") == "no reload"


def row(page: Page, text: str) -> Locator:
    return page.get_by_test_id("alert-row").filter(has_text=text)


def test_register_sign_out_sign_in_and_reload(page: Page, pulsar: Pulsar) -> None:
    """Sign-up lands on the dashboard; sign-out and sign-in work; a reload keeps the session."""
    page.goto(pulsar.url + "/alerts")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Falerts$"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    screenshot(page, "login")
    page.get_by_role("link", name="Create an account").click()
    email = new_email("ada")
    page.get_by_label("Your name").fill("Ada Lovelace")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Organization").fill("Analytical Engines")
    page.get_by_label("Password").fill(PASSWORD)
    screenshot(page, "register")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_test_id("live-status").first).to_have_attribute("data-status", "live")

    page.reload()  # the session comes back from the refresh cookie
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.goto(pulsar.url + "/")
    expect(page).to_have_url(re.compile(r"/login$"))  # signed out for real

    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("wrong password!")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("wrong")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def test_api_key_then_an_alert_appears_live(page: Page, pulsar: Pulsar) -> None:
    """A key made in the UI posts an alert that appears on the open list without a reload."""
    email = new_email("keys")
    pulsar.register(email)
    sign_in(page, pulsar.url, email, "/api-keys")
    page.get_by_label("Name").fill("ci")
    page.get_by_role("button", name="Create key").click()
    new_key = page.get_by_test_id("new-key")
    expect(new_key).to_contain_text("shown only this once")
    key = new_key.get_by_label("API key").input_value()
    assert key.startswith("pk_")
    screenshot(page, "api-keys")
    page.get_by_role("button", name="Done").click()
    expect(page.get_by_role("cell", name="ci", exact=True)).to_be_visible()

    page.get_by_role("link", name="Alerts").first.click()
    expect(page.get_by_test_id("alerts-empty")).to_be_visible()
    mark(page)
    pulsar.post(
        "/api/v1/alerts",
        key,
        {"message": "disk full on db-1", "priority": "P1", "tags": ["db", "prod"]},
        scheme="GenieKey",
    )
    expect(row(page, "disk full on db-1")).to_be_visible()
    for i, priority in enumerate(["P2", "P3", "P4"]):
        pulsar.post(
            "/api/v1/alerts",
            key,
            {"message": f"latency high on api-{i}", "priority": priority, "tags": ["api"]},
            scheme="GenieKey",
        )
    expect(page.get_by_test_id("alert-row")).to_have_count(4)
    assert_not_reloaded(page)
    screenshot(page, "alerts")

    # Filters: only P1 (the URL carries them)
    page.get_by_role("button", name="P1", exact=True).click()
    expect(page).to_have_url(re.compile(r"priority=P1"))
    expect(page.get_by_test_id("alert-row")).to_have_count(1)
    page.get_by_role("button", name="P1", exact=True).click()
    expect(page.get_by_test_id("alert-row")).to_have_count(4)

    row(page, "disk full on db-1").get_by_role("link").click()
    expect(page.get_by_test_id("alert-message")).to_have_text("disk full on db-1")
    page.get_by_label("Add a note").fill("Looking at it: the WAL volume")
    page.get_by_role("button", name="Add note").click()
    expect(page.get_by_test_id("history")).to_contain_text("Note: Looking at it")
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_test_id("alert-status")).to_contain_text("Acknowledged")
    expect(page.get_by_test_id("history")).to_contain_text("Acknowledged after")
    screenshot(page, "alert-detail")


def test_acknowledge_in_one_browser_updates_another(browser: Browser, pulsar: Pulsar) -> None:
    """Two people on the alert list: one acknowledges (keyboard), the other sees it at once."""
    email = new_email("pair")
    token = pulsar.register(email)
    alice = browser.new_context(viewport={"width": 1280, "height": 800})
    bob = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        a, b = alice.new_page(), bob.new_page()
        sign_in(a, pulsar.url, email, "/alerts")
        sign_in(b, pulsar.url, email, "/alerts")
        mark(b)
        pulsar.post("/api/v1/alerts", token, {"message": "queue backlog growing", "priority": "P2"})
        expect(row(a, "queue backlog growing")).to_be_visible()
        expect(row(b, "queue backlog growing")).to_be_visible()
        expect(row(b, "queue backlog growing")).to_contain_text("Open")

        a.keyboard.press("j")  # cursor on the first row
        a.keyboard.press("x")  # select it
        expect(a.get_by_text("1 selected")).to_be_visible()
        a.keyboard.press("a")  # acknowledge the selection
        expect(row(a, "queue backlog growing")).to_contain_text("Acknowledged")
        expect(row(b, "queue backlog growing")).to_contain_text("Acknowledged")

        # Closing leaves the open list in the other browser too.
        a.keyboard.press("j")
        a.keyboard.press("c")
        expect(row(b, "queue backlog growing")).to_have_count(0)
        assert_not_reloaded(b)
    finally:
        alice.close()
        bob.close()


def test_server_restart_shows_reconnecting_then_resumes_without_gaps(
    browser: Browser, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Kill the server: the page says so; restart it: it catches up on what it missed."""
    with running_pulsar(tmp_path_factory.mktemp("restart")) as pulsar:
        email = new_email("restart")
        token = pulsar.register(email)
        context = browser.new_context()
        try:
            page = context.new_page()
            sign_in(page, pulsar.url, email, "/alerts")
            mark(page)
            pulsar.post("/api/v1/alerts", token, {"message": "before the restart"})
            expect(row(page, "before the restart")).to_be_visible()

            pulsar.kill()
            status = page.get_by_test_id("live-status").first
            expect(status).to_have_attribute("data-status", "reconnecting")
            expect(page.get_by_test_id("reconnecting-banner")).to_be_visible()
            screenshot(page, "alerts-reconnecting")

            pulsar.start()  # same port, same database
            for i in range(5):  # likely before the page is back: it must catch up
                pulsar.post("/api/v1/alerts", token, {"message": f"after the restart {i}"})
            expect(status).to_have_attribute("data-status", "live", timeout=30_000)
            expect(page.get_by_test_id("reconnecting-banner")).to_have_count(0)
            for i in range(5):
                expect(row(page, f"after the restart {i}")).to_be_visible()
            expect(page.get_by_test_id("alert-row")).to_have_count(6)
            # And it is live again, not just caught up once.
            pulsar.post("/api/v1/alerts", token, {"message": "live again"})
            expect(row(page, "live again")).to_be_visible()
            assert_not_reloaded(page)
        finally:
            context.close()


def test_the_other_pages(page: Page, pulsar: Pulsar) -> None:
    """Dashboard, integrations (key shown once), teams, a schedule's calendar with an
    override, settings; dark theme and a phone screen. Saves their screenshots."""
    email = new_email("tour")
    token = pulsar.register(email, name="Grace Hopper", organization="Compilers")
    for message, priority in [
        ("db replica lag 40 s", "P1"),
        ("certificate expires in 5 days", "P3"),
    ]:
        pulsar.post("/api/v1/alerts", token, {"message": message, "priority": priority})
    people = {
        name: pulsar.post(
            "/api/v1/users",
            token,
            {"email": f"{name.split()[0].lower()}@example.com", "name": name},
        )["data"]["id"]
        for name in ("Alan Turing", "Edsger Dijkstra", "Barbara Liskov")
    }
    rotation = {
        "name": "primary",
        "type": "weekly",
        "startDate": "2024-01-01T09:00:00Z",
        "participants": [{"type": "user", "id": i} for i in people.values()],
    }
    schedule = pulsar.post(
        "/api/v1/schedules",
        token,
        {"name": "Platform on-call", "timezone": "Europe/Amsterdam", "rotations": [rotation]},
    )["data"]
    pulsar.post(
        f"/api/v1/schedules/{schedule['id']}/overrides",
        token,
        {
            "user": people["Barbara Liskov"],
            "startDate": _days_from_now(1, 8),
            "endDate": _days_from_now(2, 20),
        },
    )

    sign_in(page, pulsar.url, email)
    expect(page.get_by_test_id("count-Open")).to_have_text("2")
    expect(page.get_by_text("Platform on-call")).to_be_visible()
    screenshot(page, "dashboard")
    pulsar.post("/api/v1/alerts", token, {"message": "new while watching", "priority": "P2"})
    expect(page.get_by_test_id("count-Open")).to_have_text("3")  # counts are live too

    page.get_by_role("link", name="Integrations").first.click()
    page.get_by_label("Name").fill("prometheus")
    page.get_by_role("button", name="Create integration").click()
    created = page.get_by_test_id("new-integration")
    expect(created.get_by_label("Ingestion key")).to_have_value(re.compile(r"^pk_"))
    expect(created.get_by_label("URL")).to_have_value(re.compile(r"/v1/webhooks/alertmanager/pk_"))
    screenshot(page, "integrations")

    page.get_by_role("link", name="Teams").first.click()
    page.get_by_label("Team name").fill("Platform")
    page.get_by_label("Description").fill("Databases, queues and the network")
    page.get_by_role("button", name="Create team").click()
    page.get_by_label("Add a member to Platform").select_option(label="Grace Hopper")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_role("article").filter(has_text="Platform")).to_contain_text("Grace Hopper")
    screenshot(page, "teams")

    page.get_by_role("link", name="Schedules").first.click()
    page.get_by_role("link", name=re.compile("Platform on-call")).click()
    calendar = page.get_by_test_id("calendar")
    expect(calendar).to_contain_text("Barbara Liskov")
    screenshot(page, "schedule-calendar")

    page.get_by_role("link", name="Settings").first.click()
    page.get_by_label("Name").fill("Grace B. Hopper")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    screenshot(page, "settings")

    page.get_by_label("Dark").check()
    page.get_by_role("link", name="Alerts").first.click()
    expect(page.locator("html")).to_have_class(re.compile("dark"))
    expect(page.get_by_test_id("alert-row")).to_have_count(3)
    screenshot(page, "alerts-dark")

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(page.get_by_test_id("alert-row")).to_have_count(3)
    screenshot(page, "alerts-phone")
    page.get_by_role("button", name="Menu").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()


def _days_from_now(days: int, hour: int) -> str:
    moment = datetime.now(UTC).replace(hour=hour, minute=0, second=0, microsecond=0)
    return (moment + timedelta(days=days)).isoformat().replace("+00:00", "Z")
