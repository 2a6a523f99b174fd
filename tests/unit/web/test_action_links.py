"""Signed one-click action links (web.auth.links): sign, verify, tamper, expire."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from web.auth.links import ActionClaim, ActionLinks, ActionUrls, InvalidActionLink
from web.config import Config

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=24)
LINKS = ActionLinks(b"s" * 40, timedelta(hours=24))


def _reason(links: ActionLinks, token: str, now: datetime = NOW) -> str:
    with pytest.raises(InvalidActionLink) as caught:
        links.verify(token, now)
    return caught.value.reason


def test_a_signed_token_verifies_to_its_claim() -> None:
    """sign then verify gives back org, alert, account, action and the expiry (seconds)."""
    token = LINKS.sign("org-1", "alert-1", "acc-1", "close", LATER)
    assert ActionClaim(
        org_id="org-1",
        alert_id="alert-1",
        account_id="acc-1",
        action="close",
        expires_at=LATER,
    ) == LINKS.verify(token, NOW)
    ack = LINKS.sign("org-1", "alert-1", "acc-1", "ack", LATER)
    assert LINKS.verify(ack, NOW).action == "ack"


def test_the_token_is_url_safe_and_compact() -> None:
    token = LINKS.sign("0" * 36, "1" * 36, "2" * 36, "ack", LATER)
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
    assert len(token) < 250


def test_an_expired_token_is_refused() -> None:
    """At its expiry instant a token no longer works."""
    token = LINKS.sign("o", "a", "u", "ack", LATER)
    assert _reason(LINKS, token, LATER) == "expired"
    assert LINKS.verify(token, LATER - timedelta(seconds=1)).org_id == "o"


def test_a_tampered_token_is_refused() -> None:
    """Changing the payload (another alert) or the tag breaks the signature."""
    token = LINKS.sign("o", "a", "u", "ack", LATER)
    payload, tag = token.split(".")
    other = LINKS.sign("o", "b", "u", "ack", LATER).split(".")[0]
    assert _reason(LINKS, f"{other}.{tag}") == "forged"
    flipped = tag[:-1] + ("A" if tag[-1] != "A" else "B")
    assert _reason(LINKS, f"{payload}.{flipped}") == "forged"
    assert _reason(LINKS, f"{payload}.{tag}=") == "forged"


def test_another_secret_does_not_verify() -> None:
    other = ActionLinks(b"t" * 40, timedelta(hours=24))
    assert _reason(other, LINKS.sign("o", "a", "u", "ack", LATER)) == "forged"


@pytest.mark.parametrize("token", ["", "abc", ".", "abc.", ".abc", "x" * 2000 + ".y"])
def test_malformed_tokens_are_refused(token: str) -> None:
    assert _reason(LINKS, token) == "malformed"


def _forge(links: ActionLinks, payload: bytes) -> str:
    """A correctly signed token around an arbitrary payload (the key is ours)."""
    text = base64.urlsafe_b64encode(payload).rstrip(b"=").decode()
    return f"{text}.{base64.urlsafe_b64encode(links._tag(text)).rstrip(b'=').decode()}"


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b'[1,"o","a","u","ack"]',
        b'[2,"o","a","u","ack",9999999999]',
        b'[1,"o","a","u","delete",9999999999]',
    ],
)
def test_signed_garbage_is_malformed(payload: bytes) -> None:
    """A valid tag over a payload of the wrong shape, version or action is still refused."""
    assert _reason(LINKS, _forge(LINKS, payload)) == "malformed"


def test_signed_non_base64_payload_is_malformed() -> None:
    text = "a"  # one base64 character is never a whole byte
    tag = base64.urlsafe_b64encode(LINKS._tag(text)).rstrip(b"=").decode()
    assert _reason(LINKS, f"{text}.{tag}") == "malformed"


def test_sign_refuses_an_unknown_action_and_an_empty_secret() -> None:
    with pytest.raises(ValueError, match="action"):
        LINKS.sign("o", "a", "u", "delete", LATER)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="secret"):
        ActionLinks(b"", timedelta(hours=1))


def test_urls_need_a_public_base_url() -> None:
    """With a base URL: the alert page and two action links valid for the TTL; else none."""
    urls = LINKS.urls("https://p.example/", "o", "a", "u", NOW)
    assert isinstance(urls, ActionUrls)
    assert urls.alert_url == "https://p.example/alerts/a"
    ack = urls.ack_url.removeprefix("https://p.example/api/v1/actions/")
    close = urls.close_url.removeprefix("https://p.example/api/v1/actions/")
    assert (LINKS.verify(ack, NOW).action, LINKS.verify(ack, NOW).expires_at) == ("ack", LATER)
    assert LINKS.verify(close, NOW).action == "close"
    assert None is LINKS.urls("", "o", "a", "u", NOW)


def test_from_config_keys_from_the_jwt_secret(tmp_path: Path) -> None:
    """The key comes from the JWT secret (or the generated secret file) with the TTL."""
    config = Config(jwt_secret="k" * 40, action_link_ttl=60)
    links = ActionLinks.from_config(config)
    assert timedelta(seconds=60) == links.ttl
    token = links.sign("o", "a", "u", "ack", LATER)
    assert ActionLinks(b"k" * 40, timedelta(seconds=60)).verify(token, NOW).org_id == "o"
    (tmp_path / "jwt-secret").write_text("f" * 40 + "\n")
    from_file = ActionLinks.from_config(Config(data_dir=tmp_path))
    assert (
        from_file.verify(
            ActionLinks(b"f" * 40, LINKS.ttl).sign("o", "a", "u", "ack", LATER), NOW
        ).org_id
        == "o"
    )
    key = tmp_path / "ed25519.pem"
    key.write_bytes(b"-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n")
    eddsa = ActionLinks.from_config(Config(jwt_algorithm="EdDSA", jwt_private_key_file=key))
    assert _reason(eddsa, token) == "forged"
