"""S49: a later Slack page of an alert joins the thread of the alert's first message there.

The org actor keeps, per open alert, the ``channel:ts`` of the first delivered Slack
message at each address; ``web.notify.build_message`` puts it in the page's
``Target.thread`` (the Slack channel then replies in the thread and marks the first
message "Escalated", tests/integration/test_channels.py).
"""

from __future__ import annotations

import msgspec
import trio
import trio.testing

from engine import CloseAlert, OrgState, Pending
from tests.helpers.paging import ORG, open_env
from web.notify import build_message


def _thread_of(state: OrgState, pending: Pending, address: str, method: str) -> str | None:
    # An unknown method id: the page's own address is used (not the method's).
    probe = msgspec.structs.replace(
        pending, notification_id="probe", address=address, method=method, contact_method_id="?"
    )
    state.paging.outbox["probe"] = probe
    try:
        built = build_message(state, probe, pending.requested_at)
    finally:
        del state.paging.outbox["probe"]
    assert built is not None
    return built[0].thread


async def test_a_later_slack_page_of_an_alert_replies_in_the_first_messages_thread(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with open_env() as env:
        a = await env.member("a@example.com")
        await env.methods(a, [("C0123ABC", 0)], method="slack")
        policy = await env.policy("twice", [(0, "user", a), (5, "user", a)])
        alert = await env.alert("disk", ("escalation", policy))
        await env.at_minute(1)
        [first] = env.pager.pages
        threads = await env.supervisor.read(ORG, lambda s: dict(s.paging.alerts[alert].threads))
        assert threads == {"C0123ABC": "C0123ABC:0.000"}
        await env.at_minute(6)
        assert [p.minute for p in env.pager.pages] == [0.0, 5.0]

        def probe(state: OrgState) -> tuple[str | None, ...]:
            pending = Pending(
                notification_id="x",
                alert_id=alert,
                account_id=a,
                contact_method_id=first.method_id,
                method="slack",
                address="C0123ABC",
                requested_at=env.clock.now(),
                due_at=env.clock.now(),
                reason="test",
            )
            return (
                _thread_of(state, pending, "C0123ABC", "slack"),
                _thread_of(state, pending, "C0456DEF", "slack"),  # another channel: a new message
                _thread_of(state, pending, "C0123ABC", "webhook"),  # other channels do not thread
            )

        # The second page kept the first message's thread (setdefault, not the latest).
        assert await env.supervisor.read(ORG, probe) == ("C0123ABC:0.000", None, None)
        await env.run(CloseAlert(alert_id=alert, user="a@example.com"))
        assert await env.supervisor.read(ORG, lambda s: alert in s.paging.alerts) is False
        await env.quiescent()
