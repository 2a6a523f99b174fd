"""iCalendar feeds of on-call schedules: tokenized public URLs and Opsgenie's ``.ics`` export.

A feed is a schedule's or a user's calendar at ``/ical/<org_id>/<token>.ics``. The
token is 256 random bits made here (never in the engine), shown once when the feed
is created; the org keeps only its SHA-256 (``FeedToken.token_hash``) and a fetch is
a hash lookup. The URL needs no API key: calendar clients cannot send one, so the
token is the credential, and revoking the feed turns its URL into a 404. An unknown
organization, unknown or revoked token, or another organization's token all answer
the same plain 404 as any unknown path.

Native routes (``/api/v1``): ``POST /schedules/{id}/feeds``, ``POST /users/{user}/feeds``,
``GET /feeds``, ``DELETE /feeds/{id}``. Opsgenie's authenticated
``GET /v2/schedules/on-calls/{username}.ics`` exports a user's on-call periods across
every schedule of the organization. A team-scoped API key works with its team's
schedules only (``web.api.schedules.visible``): their feeds, and its export covers
them alone; it cannot open a user's feed (which spans every schedule).

Events are the final timeline's periods with someone on call. A period with nobody
is left out, whether it is a gap between turns or an override of nobody (a company
holiday): the calendar shows when someone is on call, so a holiday shows as the
time between the events around it, and the alias of the override is visible in the
timeline API (``sources``) rather than as an event nobody attends.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from typing import Any, Literal

from quart import Blueprint, Response, g
from werkzeug.exceptions import NotFound as HttpNotFound

from engine import (
    CreateFeedToken,
    FeedToken,
    NotFound,
    OrgState,
    RevokeFeedToken,
    Schedule,
    hash_api_key,
    new_id,
    split_recipient,
)
from web.api.schedule_json import Names, names_of
from web.api.schedules import member_id, schedule_of, visible
from web.app import command_context, json_response, principal, services
from web.auth.principal import Principal
from web.compat.opsgenie.wire import authenticate, install_error_handlers, timestamp
from web.compat.prefix import mount
from web.errors import ApiError
from web.ical import CONTENT_TYPE, feed_window, schedule_calendar, user_calendar

__all__ = ["blueprint", "feed_url", "opsgenie_blueprint", "public_blueprint"]

blueprint = Blueprint("feeds", __name__)
public_blueprint = Blueprint("ical", __name__)
opsgenie_blueprint = Blueprint("opsgenie_feeds", __name__)
install_error_handlers(opsgenie_blueprint)

TOKEN_BYTES = 32  # 256 bits


def feed_url(org_id: str, token: str) -> str:
    """The public path of a feed."""
    return f"/ical/{org_id}/{token}.ics"


def feed_out(feed: FeedToken) -> dict[str, Any]:
    """A feed as listed: never its token (only its hash is kept)."""
    return {
        "id": feed.id,
        "kind": feed.kind,
        "target": feed.target,
        "createdAt": timestamp(feed.created_at),
    }


def _calendar_response(document: bytes) -> Response:
    response = Response(document, status=200, content_type=CONTENT_TYPE)
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


# -- native API (/api/v1) ------------------------------------------------------------------


async def _create_feed(key: Principal, kind: Literal["schedule", "user"], target: str) -> Response:
    """Open a feed of ``kind``/``target``: 201 with its token and URL (shown only now)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    token_hash = hash_api_key(token)
    command = CreateFeedToken(token_id=new_id(), kind=kind, target=target, token_hash=token_hash)
    ctx = await command_context(key)
    await services().supervisor.submit(key.org_id, command, ctx)
    feed = await services().supervisor.read(
        key.org_id, lambda s: s.schedules.feeds.get(command.token_id)
    )
    if feed is None or feed.token_hash != token_hash:
        # An Idempotency-Key replay: the original token cannot be shown again.
        msg = "this feed was already created; its token is shown only once"
        raise ApiError(409, "feed_token_shown", msg)
    body = {**feed_out(feed), "token": token, "url": feed_url(key.org_id, token)}
    return json_response({"data": body}, 201)


@blueprint.post("/schedules/<identifier>/feeds")
async def create_schedule_feed(identifier: str) -> Response:
    """A feed of one schedule (``identifierType=name`` to address it by name)."""
    key = principal()
    schedule = await schedule_of(key, identifier)
    return await _create_feed(key, "schedule", schedule.id)


@blueprint.post("/users/<user>/feeds")
async def create_user_feed(user: str) -> Response:
    """A feed of one member's (id or email) on-call periods across every schedule."""
    user = user.strip()
    if not user:
        raise ApiError(422, "invalid_field", "user is required", field="user")
    key = principal()
    if key.team_id is not None:
        # A user's feed shows every schedule of the organization, beyond the key's team.
        raise ApiError(403, "forbidden", "a team's key opens feeds of its schedules only")
    account_id = await services().supervisor.read(key.org_id, lambda s: member_id(s, user))
    return await _create_feed(key, "user", account_id)


@blueprint.get("/feeds")
async def list_feeds() -> Response:
    """The organization's live feeds, oldest first, without tokens (a team-scoped key:
    the feeds of its team's schedules)."""
    key = principal()

    def view(state: OrgState) -> list[dict[str, Any]]:
        feeds = sorted(state.schedules.feeds.values(), key=lambda f: (f.created_at, f.id))
        return [feed_out(f) for f in feeds if _sees(state, key, f)]

    return json_response({"data": await services().supervisor.read(key.org_id, view)})


def _sees(state: OrgState, key: Principal, feed: FeedToken) -> bool:
    """Whether ``key`` may see ``feed``: a team-scoped key, only its schedules' feeds."""
    if key.team_id is None:
        return True
    record = state.schedules.schedules.get(feed.target) if feed.kind == "schedule" else None
    return record is not None and visible(key, record.schedule)


@blueprint.delete("/feeds/<feed_id>")
async def revoke_feed(feed_id: str) -> Response:
    """Revoke a feed: its URL answers 404 from now on (404 if no such feed here, or one a
    team-scoped key may not see)."""
    key = principal()
    if key.team_id is not None:

        def check(state: OrgState) -> None:
            feed = state.schedules.feeds.get(feed_id)
            if feed is None or not _sees(state, key, feed):
                raise NotFound("feed_not_found", f"Feed {feed_id!r} does not exist")

        await services().supervisor.read(key.org_id, check)
    await services().supervisor.submit(
        key.org_id, RevokeFeedToken(token_id=feed_id), await command_context(key)
    )
    return json_response({"result": "deleted"})


# -- public feed URL -----------------------------------------------------------------------

FeedSource = tuple[FeedToken, list[Schedule], Names]


def _feed_source(state: OrgState, token_hash: str) -> FeedSource | None:
    """The feed whose token hashes to ``token_hash``, the schedules it shows, and names."""
    feeds = state.schedules.feeds.values()
    feed = next((f for f in feeds if hmac.compare_digest(f.token_hash, token_hash)), None)
    if feed is None:
        return None
    if feed.kind == "user":
        return feed, [r.schedule for r in state.schedules.schedules.values()], names_of(state)
    record = state.schedules.schedules.get(feed.target)
    return None if record is None else (feed, [record.schedule], names_of(state))


def _label(names: Names) -> Callable[[str], str]:
    """How a calendar names who is on call: users by email, teams by name."""

    def label(key: str) -> str:
        kind, identifier = split_recipient(key)
        return names.team(identifier) if kind == "team" else names.user(identifier)

    return label


@public_blueprint.get("/ical/<org_id>/<token>.ics")
async def public_feed(org_id: str, token: str) -> Response:
    """The calendar of the feed ``token`` opens; a plain 404 for anything else."""
    svc = services()
    if org_id not in svc.directory.orgs:
        raise HttpNotFound()
    token_hash = hash_api_key(token)
    found = await svc.supervisor.read(org_id, lambda s: _feed_source(s, token_hash))
    if found is None:
        raise HttpNotFound()
    g.org_id = org_id
    feed, schedules, names = found
    now = svc.clock.now()
    start, end = feed_window(now)
    label = _label(names)
    if feed.kind == "user":
        document = user_calendar(feed.target, schedules, start, end, now, label=label)
    else:
        document = schedule_calendar(schedules[0], start, end, now, label=label)
    return _calendar_response(document)


# -- Opsgenie-compatible export (/v2) ------------------------------------------------------


@mount(opsgenie_blueprint, "/v2/schedules/on-calls/<username>.ics", ["GET"])
async def og_user_calendar(username: str) -> Response:
    """A member's (username = email, or id) on-call periods across the organization's
    schedules, as iCalendar; 404 for anyone who is not a member."""
    key = await authenticate()

    def view(state: OrgState) -> tuple[str, list[Schedule], Names]:
        schedules = [r.schedule for r in state.schedules.schedules.values()]
        mine = [s for s in schedules if visible(key, s)]
        return member_id(state, username), mine, names_of(state)

    account_id, schedules, names = await services().supervisor.read(key.org_id, view)
    now = services().clock.now()
    start, end = feed_window(now)
    document = user_calendar(account_id, schedules, start, end, now, label=_label(names))
    return _calendar_response(document)
