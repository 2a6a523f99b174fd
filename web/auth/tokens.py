"""Access tokens (JWT) and refresh tokens (opaque), and password hashing.

Access tokens are short-lived JWTs naming the account (``sub``), the active
organization (``org``) and the session family (``sid``); only the configured
algorithm is accepted, with issuer, audience, expiry and not-before required.
The member's role is NOT in the token: it is looked up on every request, so a
demotion or removal takes effect at once rather than when the token expires.

Refresh tokens are 256 random bits with a recognizable prefix; only their
SHA-256 is stored (in the identity stream's session families).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, final

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from web.config import Config

__all__ = [
    "REFRESH_PREFIX",
    "AccessClaims",
    "InvalidToken",
    "Passwords",
    "TokenService",
    "hash_refresh_token",
    "looks_like_jwt",
    "new_refresh_token",
]

REFRESH_PREFIX = "prt_"
_ALGORITHMS = ("HS256", "EdDSA")
_MIN_SECRET_BYTES = 32


class InvalidToken(Exception):
    """The access token is not one this server issued, or no longer valid."""


@final
@dataclass(frozen=True, slots=True)
class AccessClaims:
    account_id: str
    org_id: str
    session_id: str
    expires_at: int


def looks_like_jwt(token: str) -> bool:
    """A compact JWS (``header.payload.signature`` with a JSON header), not an API key."""
    return token.startswith("eyJ") and token.count(".") == 2


def new_refresh_token() -> str:
    return REFRESH_PREFIX + secrets.token_urlsafe(32)


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@final
class TokenService:
    """Issues and verifies access tokens with one configured key and algorithm."""

    def __init__(
        self,
        *,
        algorithm: str,
        signing_key: Any,
        verifying_key: Any,
        issuer: str,
        audience: str,
        ttl: int,
    ) -> None:
        if algorithm not in _ALGORITHMS:
            raise ValueError(
                f"PULSAR_JWT_ALGORITHM must be one of {_ALGORITHMS}, not {algorithm!r}"
            )
        self.algorithm = algorithm
        self._signing_key = signing_key
        self._verifying_key = verifying_key
        self.issuer = issuer
        self.audience = audience
        self.ttl = ttl

    @classmethod
    def from_config(cls, config: Config) -> TokenService:
        common: dict[str, Any] = {
            "issuer": config.jwt_issuer,
            "audience": config.jwt_audience,
            "ttl": config.access_token_ttl,
        }
        if config.jwt_algorithm == "EdDSA":
            if config.jwt_private_key_file is None or config.jwt_public_key_file is None:
                raise ValueError(
                    "EdDSA needs PULSAR_JWT_PRIVATE_KEY_FILE and PULSAR_JWT_PUBLIC_KEY_FILE (PEM)"
                )
            from cryptography.hazmat.primitives.serialization import (
                load_pem_private_key,
                load_pem_public_key,
            )

            private = load_pem_private_key(config.jwt_private_key_file.read_bytes(), None)
            public = load_pem_public_key(config.jwt_public_key_file.read_bytes())
            return cls(algorithm="EdDSA", signing_key=private, verifying_key=public, **common)
        secret = config.jwt_secret.encode() or _stored_secret(config.data_dir)
        if len(secret) < _MIN_SECRET_BYTES:
            raise ValueError(f"PULSAR_JWT_SECRET must be at least {_MIN_SECRET_BYTES} bytes")
        return cls(
            algorithm=config.jwt_algorithm, signing_key=secret, verifying_key=secret, **common
        )

    def issue(self, account_id: str, org_id: str, session_id: str, now: datetime) -> str:
        issued = int(now.timestamp())
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": account_id,
            "org": org_id,
            "sid": session_id,
            "iat": issued,
            "nbf": issued,
            "exp": issued + self.ttl,
            "jti": secrets.token_urlsafe(12),
        }
        return jwt.encode(claims, self._signing_key, algorithm=self.algorithm)

    def verify(self, token: str, now: datetime) -> AccessClaims:
        """The claims of a valid token; raises ``InvalidToken`` for anything else.

        Only this service's algorithm is accepted (never ``none``, never an
        HS256 token signed with a public key); ``exp``, ``nbf``, ``iat``,
        ``iss``, ``aud``, ``sub`` and ``org`` are required. Time is the
        injected clock's, not the wall clock's.
        """
        try:
            claims = jwt.decode(
                token,
                self._verifying_key,
                algorithms=[self.algorithm],
                audience=self.audience,
                issuer=self.issuer,
                options={
                    "require": ["exp", "nbf", "iat", "iss", "aud", "sub", "org"],
                    "verify_exp": False,  # checked below against the injected clock
                    "verify_nbf": False,
                    "verify_iat": False,
                },
            )
        except jwt.PyJWTError as error:
            raise InvalidToken(str(error)) from None
        stamp = now.timestamp()
        exp, nbf = claims["exp"], claims["nbf"]
        if not isinstance(exp, int) or not isinstance(nbf, int):
            raise InvalidToken("exp and nbf must be integers")
        if stamp >= exp:
            raise InvalidToken("the token has expired")
        if stamp < nbf:
            raise InvalidToken("the token is not yet valid")
        sub, org = claims["sub"], claims["org"]
        if not isinstance(sub, str) or not isinstance(org, str):
            raise InvalidToken("sub and org must be strings")
        sid = claims.get("sid", "")
        return AccessClaims(
            account_id=sub,
            org_id=org,
            session_id=sid if isinstance(sid, str) else "",
            expires_at=exp,
        )


def _stored_secret(data_dir: Path) -> bytes:
    """A secret generated once and kept in ``data_dir/jwt-secret`` (mode 0600).

    Several processes sharing one database must be given the same
    ``PULSAR_JWT_SECRET`` instead.
    """
    path = data_dir / "jwt-secret"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_bytes().strip()


@final
class Passwords:
    """argon2id hashing (argon2-cffi); verification runs in a worker thread.

    Cost: argon2-cffi's RFC 9106 "low memory" profile (t=3, m=64 MiB, p=4) is
    its default; see the issue 3 closing note for the measured login latency.
    """

    MIN_LENGTH = 10
    MAX_LENGTH = 1024

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher or PasswordHasher()

    def problem(self, password: str, email: str) -> str | None:
        """Why ``password`` is not acceptable, or None."""
        if len(password) < self.MIN_LENGTH:
            return f"password must be at least {self.MIN_LENGTH} characters"
        if len(password) > self.MAX_LENGTH:
            return f"password must be at most {self.MAX_LENGTH} characters"
        if password.strip().lower() == email.strip().lower():
            return "password must not be the email address"
        return None

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, stored: str, password: str) -> bool:
        try:
            return self.hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        return self.hasher.check_needs_rehash(stored)
