"""Access tokens: only this server's algorithm, key, issuer and audience, in their time."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from web.auth.tokens import (
    InvalidToken,
    Passwords,
    TokenService,
    hash_refresh_token,
    looks_like_jwt,
    new_refresh_token,
)
from web.config import Config

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
SECRET = "a" * 64


def _service(**overrides: object) -> TokenService:
    settings: dict[str, object] = {"jwt_secret": SECRET, **overrides}
    return TokenService.from_config(Config(**settings))  # type: ignore[arg-type]


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_a_token_round_trips_with_its_claims() -> None:
    tokens = _service()
    token = tokens.issue("acc", "org", "sid", NOW)
    assert looks_like_jwt(token)
    claims = tokens.verify(token, NOW + timedelta(minutes=14))
    assert (claims.account_id, claims.org_id, claims.session_id) == ("acc", "org", "sid")


def test_expired_at_exactly_fifteen_minutes() -> None:
    tokens = _service()
    token = tokens.issue("acc", "org", "sid", NOW)
    tokens.verify(token, NOW + timedelta(seconds=899))
    with pytest.raises(InvalidToken, match="expired"):
        tokens.verify(token, NOW + timedelta(seconds=900))


def test_not_yet_valid_is_refused() -> None:
    tokens = _service()
    token = tokens.issue("acc", "org", "sid", NOW)
    with pytest.raises(InvalidToken, match="not yet valid"):
        tokens.verify(token, NOW - timedelta(seconds=1))


def test_alg_none_is_refused() -> None:
    tokens = _service()
    good = tokens.issue("acc", "org", "sid", NOW)
    payload = good.split(".")[1]
    forged = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}."
    with pytest.raises(InvalidToken):
        tokens.verify(forged, NOW)


def test_another_algorithm_with_the_same_secret_is_refused() -> None:
    claims = jwt.decode(
        _service().issue("acc", "org", "sid", NOW),
        options={"verify_signature": False},
    )
    other = jwt.encode(claims, SECRET, algorithm="HS512")
    with pytest.raises(InvalidToken):
        _service().verify(other, NOW)


def test_a_tampered_payload_is_refused() -> None:
    header, _, signature = _service().issue("acc", "org", "sid", NOW).split(".")
    claims = jwt.decode(
        _service().issue("acc", "org", "sid", NOW), options={"verify_signature": False}
    )
    claims["org"] = "someone-else"
    with pytest.raises(InvalidToken):
        _service().verify(f"{header}.{_b64(claims)}.{signature}", NOW)


@pytest.mark.parametrize(
    "overrides",
    [{"jwt_issuer": "elsewhere"}, {"jwt_audience": "other-api"}, {"jwt_secret": "b" * 40}],
)
def test_wrong_issuer_audience_or_key_is_refused(overrides: dict[str, str]) -> None:
    token = _service(**overrides).issue("acc", "org", "sid", NOW)
    with pytest.raises(InvalidToken):
        _service().verify(token, NOW)


def test_missing_required_claims_are_refused() -> None:
    stamp = int(NOW.timestamp())
    token = jwt.encode(
        {"iss": "pulsar", "aud": "pulsar-api", "sub": "acc", "exp": stamp + 60, "nbf": stamp},
        SECRET,
        algorithm="HS256",
    )
    with pytest.raises(InvalidToken):
        _service().verify(token, NOW)  # no iat, no org


def test_eddsa_keys_sign_and_verify_and_hs256_is_then_refused(tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    private, public = tmp_path / "k.pem", tmp_path / "k.pub"
    private.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    public.write_bytes(
        key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    tokens = _service(
        jwt_algorithm="EdDSA", jwt_private_key_file=private, jwt_public_key_file=public
    )
    token = tokens.issue("acc", "org", "sid", NOW)
    assert jwt.get_unverified_header(token)["alg"] == "EdDSA"
    assert tokens.verify(token, NOW).account_id == "acc"
    with pytest.raises(InvalidToken):
        tokens.verify(_service().issue("acc", "org", "sid", NOW), NOW)


def test_configuration_mistakes_are_refused_at_start(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least"):
        TokenService.from_config(Config(jwt_secret="short"))
    with pytest.raises(ValueError, match="one of"):
        _service(jwt_algorithm="none")
    with pytest.raises(ValueError, match="EdDSA needs"):
        _service(jwt_algorithm="EdDSA")


def test_a_generated_secret_is_kept_private_and_reused(tmp_path: Path) -> None:
    config = Config(data_dir=tmp_path)
    first = TokenService.from_config(config).issue("acc", "org", "sid", NOW)
    assert (tmp_path / "jwt-secret").stat().st_mode & 0o777 == 0o600
    assert TokenService.from_config(config).verify(first, NOW).account_id == "acc"


def test_refresh_tokens_are_random_prefixed_and_stored_hashed() -> None:
    a, b = new_refresh_token(), new_refresh_token()
    assert a != b
    assert a.startswith("prt_")
    assert len(a) > 40
    assert hash_refresh_token(a) != a
    assert len(hash_refresh_token(a)) == 64
    assert not looks_like_jwt(a)


def test_password_rules() -> None:
    passwords = Passwords()
    assert passwords.problem("short", "a@b.io") is not None
    assert passwords.problem("Someone@Example.com", "someone@example.com") is not None
    assert passwords.problem("long enough pw", "a@b.io") is None
    stored = passwords.hash("long enough pw")
    assert stored.startswith("$argon2id$")
    assert passwords.verify(stored, "long enough pw")
    assert not passwords.verify(stored, "wrong password")
    assert not passwords.verify("not a hash", "long enough pw")
    assert not passwords.needs_rehash(stored)
