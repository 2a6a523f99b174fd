"""Signed one-click action links: acknowledge or close an alert without signing in.

A token is ``<payload>.<tag>``, both base64url without padding: the payload
is the compact JSON ``[1, org, alert, account, action, expires]`` (unix
seconds) and the tag is the first 16 bytes of HMAC-SHA256 over the payload's
text, keyed with HMAC(JWT secret, ``"pulsar-action-links"``): a key of its
own, so an action token can never pass for an access token or the reverse.
The token is the credential (it rides in email links and Slack button
values), so it names one alert, one person and one action, and expires
(``PULSAR_ACTION_LINK_TTL``). The endpoint also checks that the person is
still a member of the organization (``web/api/actions.py``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from typing import Literal, final

import msgspec

from web.config import Config

__all__ = ["ACTIONS", "ActionClaim", "ActionLinks", "ActionUrls", "InvalidActionLink"]

Action = Literal["ack", "close"]
ACTIONS: tuple[Action, ...] = ("ack", "close")
_VERSION = 1
_TAG_BYTES = 16
_LABEL = b"pulsar-action-links"
_MAX_TOKEN = 1024


class InvalidActionLink(Exception):
    """The token is malformed, forged or expired; ``reason`` says which."""

    def __init__(self, reason: Literal["malformed", "forged", "expired"], message: str) -> None:
        super().__init__(message)
        self.reason = reason


@final
class ActionClaim(msgspec.Struct, frozen=True, kw_only=True):
    """What a valid token allows: ``account_id`` may ``action`` ``alert_id`` of ``org_id``."""

    org_id: str
    alert_id: str
    account_id: str
    action: Action
    expires_at: datetime


@final
class ActionUrls(msgspec.Struct, frozen=True, kw_only=True):
    """The links a notification carries (``Message.alert_url``/``ack_url``/``close_url``)."""

    alert_url: str
    ack_url: str
    close_url: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_payload = msgspec.json.Decoder(tuple[int, str, str, str, str, int])


@final
class ActionLinks:
    """Signs and verifies action tokens with one key; ``ttl`` is a link's lifetime."""

    def __init__(self, secret: bytes, ttl: timedelta) -> None:
        if not secret:
            raise ValueError("action links need a secret")
        self._key = hmac.new(secret, _LABEL, hashlib.sha256).digest()
        self.ttl = ttl

    @classmethod
    def from_config(cls, config: Config) -> ActionLinks:
        """Keyed from the JWT secret (HS256) or the Ed25519 private key file (EdDSA).

        Without ``PULSAR_JWT_SECRET`` the secret generated into ``data_dir``
        is used (``TokenService.from_config`` creates it first).
        """
        if config.jwt_secret:
            secret = config.jwt_secret.encode()
        elif config.jwt_algorithm == "EdDSA" and config.jwt_private_key_file is not None:
            secret = config.jwt_private_key_file.read_bytes()
        else:
            secret = (config.data_dir / "jwt-secret").read_bytes().strip()
        return cls(secret, timedelta(seconds=config.action_link_ttl))

    def sign(
        self, org_id: str, alert_id: str, account_id: str, action: Action, expires_at: datetime
    ) -> str:
        """A token letting ``account_id`` ``action`` the alert until ``expires_at``."""
        if action not in ACTIONS:
            raise ValueError(f"action must be one of {ACTIONS}, not {action!r}")
        payload = msgspec.json.encode(
            [_VERSION, org_id, alert_id, account_id, action, int(expires_at.timestamp())]
        )
        text = _b64(payload)
        return f"{text}.{_b64(self._tag(text))}"

    def verify(self, token: str, now: datetime) -> ActionClaim:
        """The claim of a valid token.

        Raises:
            InvalidActionLink: ``malformed`` (not a token), ``forged`` (wrong
                signature: tampered, or another server's key) or ``expired``.
        """
        text, dot, tag = token.partition(".")
        if not dot or not text or not tag or len(token) > _MAX_TOKEN:
            raise InvalidActionLink("malformed", "this is not a Pulsar action link")
        # Compared as text: base64 decoding tolerates stray characters, a string does not.
        if not hmac.compare_digest(tag.encode(), _b64(self._tag(text)).encode()):
            raise InvalidActionLink("forged", "this action link is not valid")
        try:
            version, org_id, alert_id, account_id, action, expires = _payload.decode(_unb64(text))
        except (binascii.Error, ValueError, msgspec.DecodeError):
            raise InvalidActionLink("malformed", "this is not a Pulsar action link") from None
        if version != _VERSION or action not in ACTIONS:
            raise InvalidActionLink("malformed", "this action link is of an unknown kind")
        expires_at = datetime.fromtimestamp(expires, UTC)
        if now >= expires_at:
            raise InvalidActionLink("expired", "this action link has expired")
        kind: Action = "ack" if action == "ack" else "close"
        return ActionClaim(
            org_id=org_id,
            alert_id=alert_id,
            account_id=account_id,
            action=kind,
            expires_at=expires_at,
        )

    def urls(
        self, base_url: str, org_id: str, alert_id: str, account_id: str, now: datetime
    ) -> ActionUrls | None:
        """The alert, acknowledge and close links for a notification, valid ``ttl`` from ``now``.

        ``None`` without a public base URL (``PULSAR_PUBLIC_URL``): links that
        point nowhere are worse than none.
        """
        base = base_url.rstrip("/")
        if not base:
            return None
        expires = now + self.ttl
        ack = self.sign(org_id, alert_id, account_id, "ack", expires)
        close = self.sign(org_id, alert_id, account_id, "close", expires)
        return ActionUrls(
            alert_url=f"{base}/alerts/{alert_id}",
            ack_url=f"{base}/api/v1/actions/{ack}",
            close_url=f"{base}/api/v1/actions/{close}",
        )

    def _tag(self, text: str) -> bytes:
        return hmac.new(self._key, text.encode(), hashlib.sha256).digest()[:_TAG_BYTES]
