"""The schedule editor in a real browser against a real server: a schedule, a weekly
rotation of two users with weekday windows, an override of nobody, field errors."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import Pulsar, new_email, screenshot, sign_in

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ZONE = "Europe/Amsterdam"
DASH = "\u2013"  # the UI writes time ranges with an en dash


@pytest.fixture
def amsterdam(browser: Browser) -> Iterator[Page]:
    """A desktop page whose clock is in the schedule's zone (the calendar uses the browser's)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, timezone_id=ZONE)
    try:
        yield context.new_page()
    finally:
        context.close()


def _wall(moment: datetime) -> str:
    """A ``datetime-local`` value in the schedule's zone."""
    return moment.astimezone(ZoneInfo(ZONE)).strftime("%Y-%m-%dT%H:%M")


def test_build_a_schedule_in_the_editor(amsterdam: Page, pulsar: Pulsar) -> None:
    """Create a schedule, a weekly rotation of two users restricted to weekday windows,
    an override of nobody that the calendar and "on call now" show; field errors from
    the form and from the server sit next to their fields; edit and delete."""
    page = amsterdam
    email = new_email("sched")
    token = pulsar.register(email, name="Ada", organization="Schedulers")
    auth = {"Authorization": f"Bearer {token}"}
    emails = {
        n: new_email(n.split()[0].lower()) for n in ("Alan Turing", "Edsger Dijkstra", "Grace Gone")
    }
    ids = {
        n: pulsar.post("/api/v1/users", token, {"email": e, "name": n})["data"]["id"]
        for n, e in emails.items()
    }
    pulsar.post("/api/v1/schedules", token, {"name": "Taken"})
    page.on("dialog", lambda dialog: dialog.accept())

    sign_in(page, pulsar.url, email, "/schedules")
    page.get_by_role("link", name="New schedule").click()
    expect(page).to_have_url(re.compile(r"/schedules/new$"))
    name = page.get_by_label("Name", exact=True)
    zone = page.get_by_label("Time zone")
    expect(name).to_be_focused()

    # The form's own checks, then the server's (a taken name is a 409 on "name").
    zone.fill("Mars/Olympus")
    page.get_by_role("button", name="Create schedule").click()
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("A schedule needs a name.")).to_be_visible()
    expect(zone).to_have_attribute("aria-invalid", "true")
    expect(zone).to_have_attribute("aria-describedby", re.compile("err-timezone"))
    name.fill("Taken")
    zone.fill(ZONE)
    page.get_by_role("button", name="Create schedule").click()
    expect(page.get_by_text(re.compile("already exists"))).to_be_visible()
    expect(page.get_by_test_id("field-error")).to_have_count(1)
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(zone).not_to_have_attribute("aria-invalid", "true")

    name.fill("Platform on-call")
    page.get_by_label("Description").fill("Databases and queues")
    page.get_by_role("button", name="Create schedule").click()
    expect(page).to_have_url(re.compile(r"/schedules/[0-9a-f-]{36}$"))
    expect(page.get_by_role("heading", name="Platform on-call")).to_be_visible()
    expect(page.get_by_test_id("on-call-now")).to_contain_text("nobody")

    # A weekly rotation of two users, Monday to Friday 09:00-17:00 (Amsterdam time).
    page.get_by_role("button", name="Add rotation").click()
    form = page.get_by_test_id("rotation-form")
    form.get_by_label("Rotation name").fill("primary")
    expect(form.get_by_label("Rotation type")).to_have_value("weekly")
    form.get_by_label(f"First turn starts ({ZONE})").fill("2024-01-01T09:00")
    for i, person in enumerate(["Alan Turing", "Edsger Dijkstra", "Grace Gone"], start=1):
        form.get_by_role("button", name="Add user").click()
        form.get_by_label(f"Participant {i}", exact=True).select_option(
            label=f"{person} ({emails[person]})"
        )
    first = form.get_by_label("Participant 1", exact=True).locator("option:checked")
    form.get_by_role("button", name="Move participant 2 up").click()  # reorder, then back
    expect(first).to_have_text(re.compile("^Edsger Dijkstra"))
    expect(form.get_by_role("button", name="Move participant 1 down")).to_be_focused()
    form.get_by_role("button", name="Move participant 1 down").click()
    expect(first).to_have_text(re.compile("^Alan Turing"))
    form.get_by_label("Chosen weekday windows").check()
    expect(form.get_by_test_id("restriction-window")).to_have_count(1)
    form.get_by_role("button", name="Add window").click()
    expect(form.get_by_label("Window 2 start day")).to_have_value("tuesday")
    form.get_by_role("button", name="Remove window 2").click()
    form.get_by_role("button", name=f"Monday{DASH}Friday 09:00{DASH}17:00").click()
    expect(form.get_by_test_id("restriction-window")).to_have_count(5)
    form.evaluate("form => form.scrollIntoView({block: 'start'})")
    screenshot(page, "schedule-editor")

    # Grace leaves the organization while the form is open: the server's 422 names
    # the participants, and the error is shown next to them.
    response = httpx.delete(f"{pulsar.url}/api/v1/users/{ids['Grace Gone']}", headers=auth)
    assert response.status_code == 200, response.text
    form.get_by_role("button", name="Add rotation").click()
    expect(form.get_by_text(re.compile("does not exist"))).to_be_visible()
    expect(form.get_by_test_id("field-error")).to_have_count(1)
    expect(form.locator("fieldset").first).to_have_attribute(
        "aria-describedby", re.compile("err-participants")
    )
    form.get_by_role("button", name="Remove participant 3").click()
    form.get_by_role("button", name="Add rotation").click()

    rotation = page.get_by_test_id("rotation")
    expect(rotation).to_have_count(1)
    expect(rotation).to_contain_text("weekly, every week")
    expect(rotation).to_contain_text(f"only Mon 09:00{DASH}17:00, Tue 09:00{DASH}17:00")
    expect(rotation).to_contain_text("Alan Turing → Edsger Dijkstra")
    expect(page.get_by_role("button", name="Add rotation")).to_be_focused()
    calendar = page.get_by_test_id("calendar")
    expect(calendar.get_by_test_id("segment").first).to_have_text(
        re.compile("Alan Turing|Edsger Dijkstra")
    )
    # Weekdays 09:00-17:00 only: no turn at weekends, none longer than 8 hours of a day.
    weekend = calendar.locator('li[data-weekday="0"], li[data-weekday="6"]')
    expect(weekend).to_have_count(2)
    expect(weekend.get_by_test_id("segment")).to_have_count(0)
    widths = calendar.get_by_test_id("segment").evaluate_all(
        "els => els.map(e => parseFloat(e.style.width))"
    )
    assert widths
    assert all(0 < w <= 100 * 8 / 23 + 0.01 for w in widths), widths  # a DST day has 23 h

    # An override of nobody from an hour ago until tomorrow: nobody is on call now,
    # and the calendar draws it.
    now = datetime.now(ZoneInfo(ZONE))
    page.get_by_role("button", name="Add override").click()
    override = page.get_by_test_id("override-form")
    override.get_by_label("Nobody").check()
    override.get_by_label(f"Override starts ({ZONE})").fill(_wall(now - timedelta(hours=1)))
    override.get_by_label(f"Override ends ({ZONE})").fill(_wall(now + timedelta(days=1)))
    override.get_by_role("button", name="Add override").click()
    listed = page.get_by_test_id("override")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text("Nobody")
    expect(listed).to_contain_text("now")
    expect(listed).to_contain_text("whole schedule")
    expect(page.get_by_test_id("on-call-now")).to_have_text(re.compile(r"nobody\s*\(override\)"))
    nobody = calendar.get_by_test_id("nobody-segment").first
    expect(nobody).to_have_text("Nobody")
    expect(nobody).to_have_attribute("title", re.compile(r"\(override\)"))
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "schedule-override-nobody")

    # Its end moved before its start: the form says so before sending.
    page.get_by_role("button", name=re.compile("^Edit the override of Nobody")).click()
    override = page.get_by_test_id("override-form")
    override.get_by_label(f"Override ends ({ZONE})").fill(_wall(now - timedelta(days=1)))
    override.get_by_role("button", name="Save override").click()
    ends = override.get_by_label(f"Override ends ({ZONE})")
    expect(ends).to_have_attribute("aria-invalid", "true")
    expect(override.get_by_text("The end must come after the start.")).to_be_visible()
    ends.press("Escape")
    expect(page.get_by_test_id("override-form")).to_have_count(0)

    # Editing the rotation to "no restriction" clears it on the server (null).
    page.get_by_role("button", name="Edit rotation primary").click()
    page.get_by_test_id("rotation-form").get_by_label("No restriction").check()
    page.get_by_role("button", name="Save rotation").click()
    expect(rotation).not_to_contain_text("only Mon")
    response = httpx.get(f"{pulsar.url}/api/v1/schedules?limit=100", headers=auth)
    created = next(s for s in response.json()["data"] if s["name"] == "Platform on-call")
    assert "timeRestriction" not in created["rotations"][0]
    assert created["timezone"] == ZONE

    # Live: a change made elsewhere (the API) that changes who is on call now shows up.
    alias = httpx.get(
        f"{pulsar.url}/api/v1/schedules/{created['id']}/overrides", headers=auth
    ).json()["data"][0]["alias"]
    response = httpx.delete(
        f"{pulsar.url}/api/v1/schedules/{created['id']}/overrides/{alias}", headers=auth
    )
    assert response.status_code == 200
    expect(page.get_by_test_id("override")).to_have_count(0)
    expect(page.get_by_test_id("on-call-now")).to_have_text(
        re.compile("Alan Turing|Edsger Dijkstra")
    )

    # Rename, then delete the schedule.
    page.get_by_role("button", name="Settings", exact=True).click()
    settings = page.get_by_role("form", name="Schedule settings")
    settings.get_by_label("Name", exact=True).fill("Platform primary")
    settings.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("heading", name="Platform primary")).to_be_visible()
    page.get_by_role("button", name="Settings", exact=True).click()
    page.get_by_role("button", name="Delete schedule").click()
    expect(page).to_have_url(re.compile(r"/schedules$"))
    expect(page.get_by_role("heading", name="Taken")).to_be_visible()
    expect(page.get_by_text("Platform primary")).to_have_count(0)


def test_the_editor_on_a_phone_in_the_dark(browser: Browser, pulsar: Pulsar) -> None:
    """Phone width, dark theme: the rotation editor fits the screen (no sideways scroll)."""
    email = new_email("phone")
    token = pulsar.register(email, name="Ada")
    rotation = {
        "name": "nights",
        "type": "daily",
        "startDate": "2024-01-01T18:00:00+01:00",
        "participants": [{"type": "user", "id": email}, {"type": "none"}],
        "timeRestriction": {
            "type": "time-of-day",
            "restriction": {"startHour": 18, "startMin": 0, "endHour": 8, "endMin": 0},
        },
    }
    schedule = pulsar.post(
        "/api/v1/schedules", token, {"name": "Nights", "timezone": ZONE, "rotations": [rotation]}
    )["data"]
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, color_scheme="dark", timezone_id=ZONE
    )
    try:
        page = context.new_page()
        sign_in(page, pulsar.url, email, f"/schedules/{schedule['id']}")
        expect(page.locator("html")).to_have_class(re.compile("dark"))
        rotation_item = page.get_by_test_id("rotation")
        expect(rotation_item).to_contain_text(f"only every day 18:00{DASH}08:00")
        expect(rotation_item).to_contain_text("Ada → (nobody)")
        page.get_by_role("button", name="Edit rotation nights").click()
        form = page.get_by_test_id("rotation-form")
        expect(form.get_by_label("From", exact=True)).to_have_value("18:00")
        expect(form.get_by_label("Participant 2 type")).to_have_value("none")
        form.get_by_label("Rotation type").select_option("custom")
        form.get_by_label("Custom unit").select_option("hours")
        form.get_by_label("Turn length (hours)").fill("12")
        widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], widths
        screenshot(page, "schedule-editor-phone")
        form.get_by_role("button", name="Save rotation").click()
        expect(rotation_item).to_contain_text("custom, every 12 hours")
    finally:
        context.close()
