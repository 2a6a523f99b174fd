"""Contact methods, notification rules and quiet hours over HTTP (native and Opsgenie's).

End to end over a real PostgreSQL, with a fake mailer standing in for SMTP (the
SMTP transport itself is tested with the channels).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import msgspec
import pytest

from engine import SYSTEM, AddMember, DeliveryError, new_id
from tests.helpers.app import Harness, Org, open_harness
from tests.pg import fresh_database

pytestmark = pytest.mark.postgres

V1 = "/api/v1/users"


@dataclass
class FakeMailer:
    """Collects mail; ``fail`` makes the next sends raise like an unreachable server."""

    sent: list[tuple[str, str, str]] = dataclasses.field(default_factory=list)
    fail: bool = False

    async def send_mail(
        self,
        to: str,
        subject: str,
        text: str,
        html: str | None = None,
        message_id: str | None = None,
    ) -> None:
        if self.fail:
            raise DeliveryError("connection refused")
        self.sent.append((to, subject, text))

    def last_code(self) -> str:
        match = re.search(r"\b(\d{6})\b", self.sent[-1][2])
        assert match is not None, self.sent[-1]
        return match.group(1)


@dataclass
class FakeTransports:
    mailer: FakeMailer | None = dataclasses.field(default_factory=FakeMailer)


@dataclass
class Api:
    """The harness, the fake mailer, and callers by role."""

    harness: Harness
    mail: FakeMailer
    org: Org

    async def fresh(self) -> None:
        """Continue in a new organization (cheaper than a new database)."""
        self.org = await self.harness.new_org(f"org-{len(self.mail.sent)}")
        self.mail.fail = False
        self.harness.services.extra["transports"] = FakeTransports(self.mail)

    async def member(self, email: str, role: str = "member", org: Org | None = None) -> User:
        """A member of ``org`` (default: the current one), signed in.

        Added directly (a new account id each time), so the same email can be a
        member of each check's organization.
        """
        org_id = (org or self.org).org_id
        account_id = new_id()
        services = self.harness.services
        command = AddMember(
            account_id=account_id,
            email=email,
            name=email.split("@")[0],
            role=role,
            actor_role="system",
        )
        await services.supervisor.submit(org_id, command, SYSTEM)
        await services.directory.catch_up(services.store)
        return User(self, account_id, email, {}, org_id)


@dataclass
class User:
    """A caller: a member (a fresh access token per call) or, with ``headers``, a key."""

    api: Api
    id: str
    email: str
    headers: dict[str, str]
    org_id: str = ""

    def credentials(self) -> dict[str, str]:
        if not self.org_id:
            return self.headers
        services = self.api.harness.services
        token = services.extra["tokens"].issue(self.id, self.org_id, "sid", services.clock.now())
        return {"Authorization": f"Bearer {token}"}

    async def call(self, method: str, path: str, json: Any = None, status: int = 200) -> Any:
        """``method path`` as this user; asserts ``status`` and returns the JSON body."""
        client = self.api.harness.client
        response = await client.open(path, method=method, headers=self.credentials(), json=json)
        body = await response.get_json()
        assert response.status_code == status, body
        return body


@pytest.fixture
async def api() -> AsyncIterator[Api]:
    async with (
        fresh_database() as dsn,
        open_harness(dsn, test_mode=True, rate_limit_user=0, rate_limit_key=0) as harness,
    ):
        mail = FakeMailer()
        harness.services.extra["transports"] = FakeTransports(mail)
        yield Api(harness, mail, harness.org)


def admin(api: Api, org: Org | None = None) -> User:
    """The organization's full-rights API key as a caller."""
    return User(api, "", "", (org or api.org).headers)


async def advance(api: Api, seconds: float) -> None:
    response = await api.harness.post("/api/test/clock/advance", json={"seconds": seconds})
    assert response.status_code == 200, await response.get_data()


def error(body: dict[str, Any], code: str, field: str | None = None) -> None:
    assert (body["code"], body.get("field")) == (code, field), body
    assert body["message"]


# -- contact methods and verification ------------------------------------------------------


async def check_a_new_member_is_reachable_on_their_account_email(api: Api) -> None:
    """Without setup: the account email, verified, paged at once by the "New alert" rule."""
    ann = await api.member("ann@example.com")
    (method,) = (await ann.call("GET", f"{V1}/me/contact-methods"))["data"]
    assert (method["id"], method["method"], method["address"], method["verified"]) == (
        "account-email",
        "email",
        "ann@example.com",
        True,
    )
    assert method["default"]
    (rule,) = (await ann.call("GET", f"{V1}/me/notification-rules"))["data"]
    assert (rule["name"], rule["order"], rule["criteria"], rule["timeRestriction"]) == (
        "New alert",
        1,
        {"priorities": []},
        None,
    )
    assert [(s["contactMethodId"], s["sendAfterMinutes"]) for s in rule["steps"]] == [
        ("account-email", 0)
    ]
    quiet = (await ann.call("GET", f"{V1}/{ann.id}/quiet-hours"))["data"]
    assert (quiet["enabled"], quiet["start"], quiet["end"], quiet["exceptPriorities"]) == (
        False,
        "22:00",
        "07:00",
        ["P1"],
    )


async def check_an_added_email_is_verified_with_the_mailed_code(api: Api) -> None:
    """Unverified until the code; a wrong code says how many tries are left."""
    ann = await api.member("ann@example.com")
    created = (
        await ann.call(
            "POST",
            f"{V1}/me/contact-methods",
            {"method": "email", "address": "Ann@Work.Example", "name": "Work"},
            201,
        )
    )["data"]
    assert (created["address"], created["verified"], created["verification"]) == (
        "ann@work.example",
        False,
        "sent",
    )
    assert created["verificationPending"]
    assert api.mail.sent[-1][0] == "ann@work.example"
    code = api.mail.last_code()
    path = f"{V1}/me/contact-methods/{created['id']}"
    wrong = "000000" if code != "000000" else "111111"
    body = await ann.call("POST", f"{path}/verify", {"code": wrong}, 422)
    error(body, "invalid_code", "code")
    assert "4 attempts left" in body["message"]
    verified = (await ann.call("POST", f"{path}/verify", {"code": code}))["data"]
    assert (verified["verified"], verified["verificationPending"]) == (True, False)
    # verifying again is harmless; resending to a verified address is refused
    await ann.call("POST", f"{path}/verify", {"code": code})
    error(
        await ann.call("POST", f"{path}/resend-verification", None, 422),
        "contact_method_verified",
        "method_id",
    )


async def check_five_wrong_codes_void_the_code_and_a_new_one_can_be_sent(api: Api) -> None:
    """The fifth wrong code voids it; a resent code (at most once a minute) verifies."""
    ann = await api.member("ann@example.com")
    body = {"method": "email", "address": "ann@home.example"}
    created = (await ann.call("POST", f"{V1}/me/contact-methods", body, 201))["data"]
    path = f"{V1}/me/contact-methods/{created['id']}"
    first = api.mail.last_code()
    too_soon = await ann.call("POST", f"{path}/resend-verification", None, 429)
    error(too_soon, "verification_resent_too_soon")
    wrong = "000000" if first != "000000" else "111111"
    for _ in range(5):
        last = await ann.call("POST", f"{path}/verify", {"code": wrong}, 422)
    assert "void" in last["message"]
    error(
        await ann.call("POST", f"{path}/verify", {"code": first}, 422),
        "verification_not_pending",
        "code",
    )
    assert (await ann.call("POST", f"{path}/resend-verification"))["result"] == "sent"
    await ann.call("POST", f"{path}/verify", {"code": api.mail.last_code()})


async def check_a_code_expires_after_15_minutes(api: Api) -> None:
    """Past its 15 minutes the code is refused; after a minute a new one may be sent."""
    ann = await api.member("ann@example.com")
    body = {"method": "email", "address": "ann@home.example"}
    created = (await ann.call("POST", f"{V1}/me/contact-methods", body, 201))["data"]
    path = f"{V1}/me/contact-methods/{created['id']}"
    code = api.mail.last_code()
    await advance(api, 15 * 60 + 1)
    error(
        await ann.call("POST", f"{path}/verify", {"code": code}, 422),
        "verification_expired",
        "code",
    )
    await ann.call("POST", f"{path}/resend-verification")
    await ann.call("POST", f"{path}/verify", {"code": api.mail.last_code()})


async def check_without_smtp_an_email_stays_unverified(api: Api) -> None:
    """No mailer: created unverified and said so; resending is 503 smtp_not_configured."""
    api.harness.services.extra["transports"] = FakeTransports(mailer=None)
    ann = await api.member("ann@example.com")
    body = {"method": "email", "address": "ann@home.example"}
    created = (await ann.call("POST", f"{V1}/me/contact-methods", body, 201))["data"]
    assert (created["verified"], created["verification"]) == (False, "smtp_not_configured")
    path = f"{V1}/me/contact-methods/{created['id']}"
    error(await ann.call("POST", f"{path}/resend-verification", None, 503), "smtp_not_configured")
    error(
        await ann.call("POST", f"{path}/verify", {"code": "123456"}, 422),
        "verification_not_pending",
        "code",
    )


async def check_a_failed_send_is_reported(api: Api) -> None:
    """The method exists; the answer says the code was not mailed; resend is 502."""
    ann = await api.member("ann@example.com")
    api.mail.fail = True
    body = {"method": "email", "address": "ann@home.example"}
    created = (await ann.call("POST", f"{V1}/me/contact-methods", body, 201))["data"]
    assert created["verification"] == "send_failed"
    await advance(api, 61)
    path = f"{V1}/me/contact-methods/{created['id']}"
    error(
        await ann.call("POST", f"{path}/resend-verification", None, 502), "verification_send_failed"
    )


async def check_methods_of_each_kind_and_their_changes(api: Api) -> None:
    """Slack, Teams and webhook are verified at once; a webhook's secret is shown once."""
    ann = await api.member("ann@example.com")
    url = f"{V1}/{ann.id}/contact-methods"
    slack = (await ann.call("POST", url, {"method": "slack", "address": "C0123ABC"}, 201))["data"]
    assert (slack["verified"], slack["verification"], slack["name"]) == (
        True,
        "not_needed",
        "Slack (C0123ABC)",
    )
    teams = {"method": "teams", "address": "https://acme.webhook.office.com/x"}
    await ann.call("POST", url, teams, 201)
    hook = (
        await ann.call("POST", url, {"method": "webhook", "address": "https://h.example/in"}, 201)
    )["data"]
    assert len(hook["secret"]) >= 40
    read = (await ann.call("GET", f"{url}/{hook['id']}"))["data"]
    assert "secret" not in read
    audit = await admin(api).call("GET", "/api/v1/audit")
    assert hook["secret"] not in msgspec.json.encode(audit).decode()  # redacted in the log view
    assert [m["method"] for m in (await ann.call("GET", url))["data"]] == [
        "email",
        "slack",
        "teams",
        "webhook",
    ]
    patched = (await ann.call("PATCH", f"{url}/{slack['id']}", {"name": "Chat", "enabled": False}))[
        "data"
    ]
    assert (patched["name"], patched["enabled"], patched["address"]) == ("Chat", False, "C0123ABC")
    # a new email address is unverified again and gets a code
    work = {"method": "email", "address": "a@work.example"}
    email = (await ann.call("POST", url, work, 201))["data"]
    await ann.call("POST", f"{url}/{email['id']}/verify", {"code": api.mail.last_code()})
    moved = (await ann.call("PATCH", f"{url}/{email['id']}", {"address": "b@work.example"}))["data"]
    assert (moved["verified"], moved["verification"], api.mail.sent[-1][0]) == (
        False,
        "sent",
        "b@work.example",
    )
    await ann.call("DELETE", f"{url}/{hook['id']}")
    error(await ann.call("GET", f"{url}/{hook['id']}", None, 404), "contact_method_not_found")
    error(
        await ann.call("DELETE", f"{url}/account-email", None, 422),
        "default_contact_method",
        "method_id",
    )


BAD_METHODS: list[tuple[dict[str, Any], int, str, str | None]] = [
    ({"method": "sms", "address": "+15555550100"}, 422, "invalid_field", "method"),
    ({"method": "pager", "address": "x"}, 422, "invalid_field", "method"),
    ({"method": "email", "address": "not-an-email"}, 422, "invalid_field", "address"),
    (
        {"method": "slack", "address": "http://hooks.slack.com/x"},
        422,
        "invalid_field",
        "address",
    ),
    ({"method": "webhook", "address": "ftp://x.example"}, 422, "invalid_field", "address"),
    ({"method": "email"}, 422, "invalid_field", "address"),
    ({"method": "email", "address": "ann@example.com"}, 409, "contact_method_exists", None),
    ({"method": "slack", "address": "C012", "name": "n" * 101}, 422, "invalid_field", "name"),
]


async def check_bad_methods_are_clear_4xx(api: Api) -> None:
    """Each bad input names its field."""
    ann = await api.member("ann@example.com")
    for body, status, code, field in BAD_METHODS:
        error(await ann.call("POST", f"{V1}/me/contact-methods", body, status), code, field)


async def check_a_retried_create_is_answered_without_a_second_code(api: Api) -> None:
    """The same Idempotency-Key answers the same method, and no second code is mailed."""
    ann = await api.member("ann@example.com")
    headers = {**ann.credentials(), "Idempotency-Key": "add-home-email"}
    body = {"method": "email", "address": "ann@home.example"}
    mailed = len(api.mail.sent)
    answers = []
    for _ in range(2):
        response = await api.harness.client.post(
            f"{V1}/me/contact-methods", json=body, headers=headers
        )
        assert response.status_code == 201, await response.get_data()
        answers.append((await response.get_json())["data"])
    assert answers[0]["id"] == answers[1]["id"]
    assert (answers[0]["verification"], answers[1]["verification"]) == (
        "sent",
        "see_first_response",
    )
    assert len(api.mail.sent) == mailed + 1


# -- who may -------------------------------------------------------------------------------


async def check_only_the_user_or_an_admin_may_touch_their_contacts(api: Api) -> None:
    """Another member is 403; an admin and a configuration key may; a viewer edits their own."""
    ann = await api.member("ann@example.com")
    bob = await api.member("bob@example.com")
    boss = await api.member("boss@example.com", role="admin")
    viewer = await api.member("vic@example.com", role="viewer")
    slack = {"method": "slack", "address": "C0123ABC"}
    for method, path, body in (
        ("GET", f"{V1}/{ann.id}/contact-methods", None),
        ("POST", f"{V1}/{ann.id}/contact-methods", slack),
        ("GET", f"{V1}/ann@example.com/notification-rules", None),
        ("PUT", f"{V1}/{ann.id}/quiet-hours", {"enabled": True}),
        ("GET", f"/v2/users/{ann.id}/contacts", None),
    ):
        refused = await bob.call(method, path, body, 403)
        assert "only the user or an admin" in refused["message"]
    await boss.call("POST", f"{V1}/{ann.id}/contact-methods", slack, 201)
    methods = (await admin(api).call("GET", f"{V1}/ann@example.com/contact-methods"))["data"]
    assert len(methods) == 2
    await viewer.call("PUT", f"{V1}/me/quiet-hours", {"enabled": True, "timeZone": "UTC"})
    error(
        await admin(api).call("GET", f"{V1}/me/contact-methods", None, 422), "invalid_field", "user"
    )
    error(await ann.call("GET", f"{V1}/nobody/contact-methods", None, 404), "user_not_found")


async def check_another_organizations_users_and_methods_are_out_of_reach(api: Api) -> None:
    """Org B's key cannot name org A's user; org A's method ids mean nothing in org B."""
    ann = await api.member("ann@example.com")
    slack = {"method": "slack", "address": "C0123ABC"}
    method_id = (await ann.call("POST", f"{V1}/me/contact-methods", slack, 201))["data"]["id"]
    other = await api.harness.new_org("other")
    stranger = admin(api, other)
    error(await stranger.call("GET", f"{V1}/{ann.id}/contact-methods", None, 404), "user_not_found")
    assert (
        "not a member" in (await stranger.call("GET", f"/v2/users/{ann.id}", None, 404))["message"]
    )
    eve = await api.member("eve@example.com", org=other)
    error(
        await eve.call("GET", f"{V1}/me/contact-methods/{method_id}", None, 404),
        "contact_method_not_found",
    )
    rule = {"name": "x", "steps": [{"contactMethodId": method_id}]}
    error(
        await eve.call("POST", f"{V1}/me/notification-rules", rule, 422),
        "invalid_field",
        "contactMethodId",
    )


async def check_a_removed_member_loses_their_contacts(api: Api) -> None:
    """Leaving the organization removes everything; their id is then unknown here."""
    bob = await api.member("bob@example.com")
    await bob.call(
        "POST", f"{V1}/me/contact-methods", {"method": "slack", "address": "C0123ABC"}, 201
    )
    response = await api.harness.client.delete(f"{V1}/{bob.id}", headers=api.org.headers)
    assert response.status_code == 200, await response.get_data()
    error(
        await admin(api).call("GET", f"{V1}/{bob.id}/contact-methods", None, 404), "user_not_found"
    )
    again = await api.member("bob@example.com")
    methods = (await again.call("GET", f"{V1}/me/contact-methods"))["data"]
    assert [m["id"] for m in methods] == ["account-email"]


# -- notification rules and quiet hours ----------------------------------------------------

OFFICE = {
    "type": "weekday-and-time-of-day",
    "restrictions": [
        {
            "startDay": "monday",
            "startHour": 9,
            "startMin": 0,
            "endDay": "friday",
            "endHour": 17,
            "endMin": 0,
        }
    ],
}


async def check_rules_are_created_ordered_changed_and_deleted(api: Api) -> None:
    """First match applies, so order matters; deleting a method drops the steps using it."""
    ann = await api.member("ann@example.com")
    url = f"{V1}/me/notification-rules"
    slack = (
        await ann.call(
            "POST", f"{V1}/me/contact-methods", {"method": "slack", "address": "C0123ABC"}, 201
        )
    )["data"]
    body = {
        "name": "Urgent",
        "order": 1,
        "criteria": {"priorities": ["P2", "P1"]},
        "timeRestriction": OFFICE,
        "timeZone": "Europe/Berlin",
        "steps": [
            {"contactMethodId": slack["id"], "sendAfterMinutes": 0},
            {"contactMethodId": "account-email", "sendAfterMinutes": 5},
        ],
    }
    rule = (await ann.call("POST", url, body, 201))["data"]
    assert (rule["order"], rule["criteria"], rule["timeZone"], rule["timeRestriction"]) == (
        1,
        {"priorities": ["P1", "P2"]},
        "Europe/Berlin",
        OFFICE,
    )
    assert [r["name"] for r in (await ann.call("GET", url))["data"]] == ["Urgent", "New alert"]
    step_ids = [s["id"] for s in rule["steps"]]
    patch = {
        "order": 2,
        "timeRestriction": None,
        "steps": [
            {"contactMethodId": slack["id"]},
            {"contactMethodId": "account-email", "sendAfterMinutes": 10},
        ],
    }
    changed = (await ann.call("PATCH", f"{url}/{rule['id']}", patch))["data"]
    assert (changed["order"], changed["timeRestriction"], changed["name"]) == (2, None, "Urgent")
    assert changed["steps"][0]["id"] == step_ids[0]  # unchanged step keeps its id
    assert [r["name"] for r in (await ann.call("GET", url))["data"]] == ["New alert", "Urgent"]
    refused = await ann.call("PATCH", f"{url}/{rule['id']}", {"actionType": "add-note"}, 422)
    error(refused, "invalid_field", "actionType")
    await ann.call("DELETE", f"{V1}/me/contact-methods/{slack['id']}")
    steps = (await ann.call("GET", f"{url}/{rule['id']}"))["data"]["steps"]
    assert [s["contactMethodId"] for s in steps] == ["account-email"]
    await ann.call("DELETE", f"{url}/{rule['id']}")
    error(await ann.call("GET", f"{url}/{rule['id']}", None, 404), "notification_rule_not_found")


BAD_RULES: list[tuple[dict[str, Any], str]] = [
    ({"steps": []}, "name"),
    ({"name": "x", "actionType": "schedule-start"}, "actionType"),
    ({"name": "x", "criteria": {"priorities": ["P7"]}}, "criteria"),
    ({"name": "x", "timeZone": "Mars/Base"}, "timeZone"),
    ({"name": "x", "steps": [{"contactMethodId": "nope"}]}, "contactMethodId"),
    (
        {
            "name": "x",
            "steps": [{"contactMethodId": "account-email", "sendAfterMinutes": 2000}],
        },
        "sendAfterMinutes",
    ),
    (
        {
            "name": "x",
            "timeRestriction": {"type": "time-of-day", "restriction": {"startHour": 25}},
        },
        "timeRestriction",
    ),
    (
        {
            "name": "x",
            "timeRestriction": {
                "type": "weekday-and-time-of-day",
                "restrictions": [{"startDay": "funday"}],
            },
        },
        "timeRestriction",
    ),
]


async def check_bad_rules_are_clear_422s(api: Api) -> None:
    """Each bad rule is a 422 naming its field."""
    ann = await api.member("ann@example.com")
    for body, field in BAD_RULES:
        refused = await ann.call("POST", f"{V1}/me/notification-rules", body, 422)
        error(refused, "invalid_field", field)


async def check_quiet_hours_are_set_and_checked(api: Api) -> None:
    """PUT replaces them; times are HH:MM, days weekday names, the zone IANA."""
    ann = await api.member("ann@example.com")
    url = f"{V1}/me/quiet-hours"
    body = {
        "enabled": True,
        "timeZone": "Europe/Berlin",
        "start": "23:30",
        "end": "6:00",
        "days": ["Friday", "saturday"],
        "exceptPriorities": ["P1", "P2"],
    }
    quiet = (await ann.call("PUT", url, body))["data"]
    assert quiet == {**body, "end": "06:00", "days": ["friday", "saturday"]}
    assert (await ann.call("GET", url))["data"] == quiet
    for bad, field in (
        ({"start": "25:00"}, "start"),
        ({"end": "7"}, "end"),
        ({"days": ["funday"]}, "days"),
        ({"timeZone": "Nowhere"}, "timeZone"),
        ({"exceptPriorities": ["P0"]}, "exceptPriorities"),
    ):
        error(await ann.call("PUT", url, bad, 422), "invalid_field", field)


async def check_malformed_bodies_are_400_or_422(api: Api) -> None:
    ann = await api.member("ann@example.com")
    response = await api.harness.client.post(
        f"{V1}/me/contact-methods",
        data=b"{nope",
        headers={**ann.credentials(), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    error(
        await ann.call(
            "POST", f"{V1}/me/contact-methods/account-email/verify", {"code": "12"}, 422
        ),
        "invalid_field",
        "code",
    )
    error(
        await ann.call("POST", f"{V1}/me/contact-methods", {"method": 5, "address": "x"}, 422),
        "invalid_field",
        "method",
    )


# -- Opsgenie's API ------------------------------------------------------------------------


async def check_opsgenie_contacts(api: Api) -> None:
    """The Go SDK's shapes: create -> {data: {id}}, status.enabled, enable/disable, delete."""
    ann = await api.member("ann@example.com")
    key = admin(api)
    url = "/v2/users/ann@example.com/contacts"
    created = await key.call("POST", url, {"method": "email", "to": "ann@home.example"}, 201)
    assert created["result"] == "Created"
    contact_id = created["data"]["id"]
    assert api.mail.sent[-1][0] == "ann@home.example"
    listed = (await key.call("GET", url))["data"]
    assert [(c["method"], c["to"], c["status"]["enabled"]) for c in listed] == [
        ("email", "ann@example.com", True),
        ("email", "ann@home.example", True),
    ]
    await key.call("POST", f"{url}/{contact_id}/disable")
    got = (await key.call("GET", f"{url}/{contact_id}"))["data"]
    assert (got["id"], got["to"], got["status"]["enabled"], got["verified"]) == (
        contact_id,
        "ann@home.example",
        False,
        False,
    )
    await key.call("POST", f"{url}/{contact_id}/enable")
    updated = await key.call("PATCH", f"{url}/{contact_id}", {"to": "ann@other.example"})
    assert updated["data"] == {"id": contact_id}
    sms = await key.call("POST", url, {"method": "sms", "to": "+15555550100"}, 422)
    assert "sms" in sms["message"]
    assert sms["errors"] == {"method": sms["message"]}
    await key.call("DELETE", f"{url}/{contact_id}")
    missing = await key.call("GET", f"{url}/{contact_id}", None, 404)
    assert "does not exist" in missing["message"]
    await ann.call("GET", f"/v2/users/{ann.id}/contacts")


async def check_opsgenie_notification_rules(api: Api) -> None:
    """Steps name contacts as {method, to}; criteria on priority; only create-alert rules."""
    await api.member("ann@example.com")
    key = admin(api)
    base = "/v2/users/ann@example.com"
    await key.call("POST", f"{base}/contacts", {"method": "slack", "to": "C0123ABC"}, 201)
    body = {
        "name": "Urgent",
        "actionType": "create-alert",
        "order": 1,
        "enabled": True,
        "criteria": {
            "type": "match-any-condition",
            "conditions": [
                {"field": "priority", "operation": "equals", "expectedValue": "P1", "not": False},
                {"field": "priority", "operation": "equals", "expectedValue": "P2"},
            ],
        },
        "timeRestriction": {
            "type": "time-of-day",
            "restriction": {"startHour": 8, "startMin": 0, "endHour": 20, "endMin": 0},
        },
        "steps": [
            {
                "contact": {"method": "slack", "to": "C0123ABC"},
                "sendAfter": {"timeAmount": 0, "timeUnit": "minute"},
                "enabled": True,
            },
            {
                "contact": {"method": "email", "to": "ann@example.com"},
                "sendAfter": {"timeAmount": 5},
            },
        ],
    }
    created = await key.call("POST", f"{base}/notification-rules", body, 201)
    simple = created["data"]
    assert (simple["name"], simple["actionType"], simple["order"], simple["enabled"]) == (
        "Urgent",
        "create-alert",
        1,
        True,
    )
    rule = (await key.call("GET", f"{base}/notification-rules/{simple['id']}"))["data"]
    assert [(s["contact"], s["sendAfter"]["timeAmount"]) for s in rule["steps"]] == [
        ({"method": "slack", "to": "C0123ABC"}, 0),
        ({"method": "email", "to": "ann@example.com"}, 5),
    ]
    assert rule["criteria"]["type"] == "match-any-condition"
    assert [c["expectedValue"] for c in rule["criteria"]["conditions"]] == ["P1", "P2"]
    assert rule["timeRestriction"] == body["timeRestriction"] | {
        "restriction": {"startHour": 8, "startMin": 0, "endHour": 20, "endMin": 0}
    }
    listed = (await key.call("GET", f"{base}/notification-rules"))["data"]
    assert [r["name"] for r in listed] == ["Urgent", "New alert"]
    patch = {"enabled": False, "order": 0, "steps": body["steps"][:1]}
    updated = await key.call("PATCH", f"{base}/notification-rules/{simple['id']}", patch)
    assert (updated["result"], updated["data"]["enabled"], updated["data"]["order"]) == (
        "Updated",
        False,
        1,
    )
    for bad, field in (
        ({**body, "actionType": "schedule-start"}, "actionType"),
        ({**body, "steps": [{"contact": {"method": "voice", "to": "+1555"}}]}, "steps"),
        ({**body, "steps": [{"contact": {"method": "email", "to": "x@nowhere.example"}}]}, "steps"),
        (
            {
                **body,
                "criteria": {
                    "type": "match-all-conditions",
                    "conditions": [
                        {"field": "message", "operation": "contains", "expectedValue": "db"}
                    ],
                },
            },
            "criteria",
        ),
        ({**body, "repeat": {"loopAfter": 5, "enabled": True}}, "repeat"),
        ({**body, "schedules": [{"type": "schedule", "name": "ops"}]}, "schedules"),
        ({"actionType": "create-alert"}, "name"),
    ):
        refused = await key.call("POST", f"{base}/notification-rules", bad, 422)
        assert field in refused["errors"], refused
    await key.call("DELETE", f"{base}/notification-rules/{simple['id']}")
    await key.call("GET", f"{base}/notification-rules/{simple['id']}", None, 404)


async def check_opsgenie_criteria_are_read_as_priorities(api: Api) -> None:
    """match-all is every priority; "not" conditions and match-all-conditions intersect."""
    await api.member("ann@example.com")
    key = admin(api)
    base = "/v2/users/ann@example.com/notification-rules"

    def condition(value: str, negate: bool = False) -> dict[str, Any]:
        return {"field": "priority", "operation": "equals", "expectedValue": value, "not": negate}

    cases = [
        ({"type": "match-all"}, "match-all", []),
        (
            {
                "type": "match-all-conditions",
                "conditions": [condition("P5", True), condition("P4", True)],
            },
            "match-any-condition",
            ["P1", "P2", "P3"],
        ),
        (
            {"type": "match-any-condition", "conditions": [condition("P1", True), condition("P1")]},
            "match-all",
            [],
        ),
    ]
    for criteria, kind, values in cases:
        body = {"name": "r", "actionType": "create-alert", "criteria": criteria}
        rule_id = (await key.call("POST", base, body, 201))["data"]["id"]
        read = (await key.call("GET", f"{base}/{rule_id}"))["data"]["criteria"]
        assert (read["type"], [c["expectedValue"] for c in read["conditions"]]) == (kind, values)
        await key.call("DELETE", f"{base}/{rule_id}")
    none = {"type": "match-all-conditions", "conditions": [condition("P1"), condition("P2")]}
    body = {"name": "r", "actionType": "create-alert", "criteria": none}
    assert "no priority" in (await key.call("POST", base, body, 422))["message"]


# -- the tests: each check in a fresh organization of one database (cheaper than one each) --


async def run(api: Api, *checks: Callable[[Api], Awaitable[None]]) -> None:
    for check in checks:
        await api.fresh()
        await check(api)


async def test_contact_methods_rules_and_quiet_hours(api: Api) -> None:
    await run(
        api,
        check_a_new_member_is_reachable_on_their_account_email,
        check_an_added_email_is_verified_with_the_mailed_code,
        check_five_wrong_codes_void_the_code_and_a_new_one_can_be_sent,
        check_a_code_expires_after_15_minutes,
        check_without_smtp_an_email_stays_unverified,
        check_a_failed_send_is_reported,
        check_methods_of_each_kind_and_their_changes,
        check_a_retried_create_is_answered_without_a_second_code,
        check_bad_methods_are_clear_4xx,
        check_malformed_bodies_are_400_or_422,
        check_rules_are_created_ordered_changed_and_deleted,
        check_bad_rules_are_clear_422s,
        check_quiet_hours_are_set_and_checked,
    )


async def test_who_may_see_and_change_contacts(api: Api) -> None:
    await run(
        api,
        check_only_the_user_or_an_admin_may_touch_their_contacts,
        check_another_organizations_users_and_methods_are_out_of_reach,
        check_a_removed_member_loses_their_contacts,
    )


async def test_opsgenie_api(api: Api) -> None:
    await run(
        api,
        check_opsgenie_contacts,
        check_opsgenie_notification_rules,
        check_opsgenie_criteria_are_read_as_priorities,
    )
