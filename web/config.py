"""Settings, read once from the environment (documented in README.md)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import final

import msgspec

__all__ = ["Config"]


@final
class Config(msgspec.Struct, frozen=True, kw_only=True):
    database_url: str | None = None
    data_dir: Path = Path(".pulsar")
    log_level: str = "info"
    log_format: str = "auto"  # json | console | auto (console on a TTY)
    host: str = "127.0.0.1"
    port: int = 8080
    max_body_bytes: int = 256 * 1024
    # Monitoring tools' webhooks (/v1/webhooks/*, /v2/enqueue) send whole alert groups
    # and do not retry a 4xx: a notification over the limit would never get in.
    max_ingest_body_bytes: int = 8 * 1024 * 1024
    test_mode: bool = False
    # A controllable engine clock and /api/v1/_test/clock (black-box tests only).
    test_clock: bool = False
    test_clock_start: str = ""  # ISO time the test clock starts at (default: wall time)
    mailbox_size: int = 1024
    snapshot_every: int = 1000
    follow_interval: float = 0.25
    # Access tokens (JWT). HS256 with ``jwt_secret`` (or a secret generated once
    # into ``data_dir/jwt-secret``), or EdDSA with a PEM Ed25519 key pair.
    jwt_algorithm: str = "HS256"
    jwt_secret: str = ""
    jwt_private_key_file: Path | None = None
    jwt_public_key_file: Path | None = None
    jwt_issuer: str = "pulsar"
    jwt_audience: str = "pulsar-api"
    access_token_ttl: int = 15 * 60
    refresh_token_ttl: int = 7 * 24 * 3600
    cookie_secure: bool = True
    public_url: str = ""  # base of links sent to people (invitations); else the request's host
    cors_origins: tuple[str, ...] = ()
    # Requests per minute; a burst of the same size is allowed. 0 turns a limit off.
    rate_limit_key: int = 6000
    rate_limit_user: int = 1200
    rate_limit_ip: int = 600
    rate_limit_ingest: int = 60000
    # WebSocket (/api/v1/ws, web.ws): a connection with more than ``ws_queue_size``
    # undelivered events is told to resync; deltas leave at ``ws_tick`` boundaries,
    # coalesced into one frame per subscription, at most every
    # max(ws_tick, subscribed connections / ws_frame_rate, the measured time a
    # frame to every subscribed connection takes) seconds per connection.
    ws_queue_size: int = 10_000
    ws_tick: float = 0.005
    ws_frame_rate: int = 10_000  # frames/s the hub stays under by coalescing (0: no limit)
    ws_ping_interval: float = 20.0
    ws_idle_timeout: float = 60.0  # nothing received for this long: closed
    ws_auth_timeout: float = 10.0  # the auth frame must come this soon
    ws_recheck_interval: float = 30.0  # re-authenticate the connection's credential
    ws_replay_limit: int = 1000  # a resume further behind gets a fresh snapshot
    ws_max_subscriptions: int = 32
    # Notifications (engine.delivery; README "Notifications"). No SMTP host: email off.
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_from: str = "Pulsar <pulsar@localhost>"
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_tls: str = ""  # starttls | tls | none; empty: starttls on 587, tls on 465, else none
    slack_bot_token: str = ""
    slack_signing_secret: str = ""
    slack_api_url: str = "https://slack.com/api"
    # CIDRs member-configured URLs (webhooks, Slack/Teams) may reach although not
    # globally routable; everything else private, loopback, link-local... is refused.
    outbound_allowed_networks: tuple[str, ...] = ()
    notify_timeout: float = 10.0  # seconds per attempt
    notify_retries: int = 3  # attempts per delivery, the first included
    notify_backoff: float = 0.5  # first retry's wait in seconds, doubling (with jitter)
    action_link_ttl: int = 24 * 3600  # seconds a signed acknowledge/close link stays valid

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Config:
        env = os.environ if env is None else env

        def get(name: str, default: str) -> str:
            return env.get(name, "").strip() or default

        return cls(
            database_url=env.get("DATABASE_URL") or None,
            data_dir=Path(get("PULSAR_DATA_DIR", ".pulsar")),
            log_level=get("PULSAR_LOG_LEVEL", "info").lower(),
            log_format=get("PULSAR_LOG_FORMAT", "auto").lower(),
            host=get("PULSAR_HOST", "127.0.0.1"),
            port=int(get("PULSAR_PORT", "8080")),
            max_body_bytes=int(get("PULSAR_MAX_BODY_BYTES", str(256 * 1024))),
            max_ingest_body_bytes=int(get("PULSAR_MAX_INGEST_BODY_BYTES", str(8 * 1024 * 1024))),
            test_mode=get("PULSAR_TEST_MODE", "0") in {"1", "true", "yes"},
            test_clock=get("PULSAR_TEST_CLOCK", "0") in {"1", "true", "yes"},
            test_clock_start=get("PULSAR_TEST_CLOCK_START", ""),
            mailbox_size=int(get("PULSAR_MAILBOX_SIZE", "1024")),
            snapshot_every=int(get("PULSAR_SNAPSHOT_EVERY", "1000")),
            jwt_algorithm=get("PULSAR_JWT_ALGORITHM", "HS256"),
            jwt_secret=env.get("PULSAR_JWT_SECRET", ""),
            jwt_private_key_file=_path(env.get("PULSAR_JWT_PRIVATE_KEY_FILE")),
            jwt_public_key_file=_path(env.get("PULSAR_JWT_PUBLIC_KEY_FILE")),
            jwt_issuer=get("PULSAR_JWT_ISSUER", "pulsar"),
            jwt_audience=get("PULSAR_JWT_AUDIENCE", "pulsar-api"),
            access_token_ttl=int(get("PULSAR_ACCESS_TOKEN_TTL", str(15 * 60))),
            refresh_token_ttl=int(get("PULSAR_REFRESH_TOKEN_TTL", str(7 * 24 * 3600))),
            cookie_secure=get("PULSAR_COOKIE_SECURE", "1") not in {"0", "false", "no"},
            public_url=get("PULSAR_PUBLIC_URL", "").rstrip("/"),
            cors_origins=tuple(
                origin.strip().rstrip("/")
                for origin in get("PULSAR_CORS_ORIGINS", "").split(",")
                if origin.strip()
            ),
            rate_limit_key=int(get("PULSAR_RATE_LIMIT_KEY", "6000")),
            rate_limit_user=int(get("PULSAR_RATE_LIMIT_USER", "1200")),
            rate_limit_ip=int(get("PULSAR_RATE_LIMIT_IP", "600")),
            rate_limit_ingest=int(get("PULSAR_RATE_LIMIT_INGEST", "60000")),
            ws_queue_size=int(get("PULSAR_WS_QUEUE_SIZE", "10000")),
            ws_tick=float(get("PULSAR_WS_TICK_MS", "5")) / 1000,
            ws_frame_rate=int(get("PULSAR_WS_FRAME_RATE", "10000")),
            ws_ping_interval=float(get("PULSAR_WS_PING_INTERVAL", "20")),
            ws_idle_timeout=float(get("PULSAR_WS_IDLE_TIMEOUT", "60")),
            ws_auth_timeout=float(get("PULSAR_WS_AUTH_TIMEOUT", "10")),
            ws_recheck_interval=float(get("PULSAR_WS_RECHECK_INTERVAL", "30")),
            ws_replay_limit=int(get("PULSAR_WS_REPLAY_LIMIT", "1000")),
            ws_max_subscriptions=int(get("PULSAR_WS_MAX_SUBSCRIPTIONS", "32")),
            smtp_host=get("PULSAR_SMTP_HOST", ""),
            smtp_port=int(get("PULSAR_SMTP_PORT", "587")),
            smtp_from=get("PULSAR_SMTP_FROM", "Pulsar <pulsar@localhost>"),
            smtp_user=get("PULSAR_SMTP_USER", ""),
            smtp_password=env.get("PULSAR_SMTP_PASSWORD", ""),
            smtp_tls=get("PULSAR_SMTP_TLS", "").lower(),
            slack_bot_token=get("PULSAR_SLACK_BOT_TOKEN", ""),
            slack_signing_secret=get("PULSAR_SLACK_SIGNING_SECRET", ""),
            slack_api_url=get("PULSAR_SLACK_API_URL", "https://slack.com/api").rstrip("/"),
            outbound_allowed_networks=tuple(
                network.strip()
                for network in get("PULSAR_OUTBOUND_ALLOWED_NETWORKS", "").split(",")
                if network.strip()
            ),
            notify_timeout=float(get("PULSAR_NOTIFY_TIMEOUT", "10")),
            notify_retries=int(get("PULSAR_NOTIFY_RETRIES", "3")),
            notify_backoff=float(get("PULSAR_NOTIFY_BACKOFF", "0.5")),
            action_link_ttl=int(get("PULSAR_ACTION_LINK_TTL", str(24 * 3600))),
        )


def _path(value: str | None) -> Path | None:
    return Path(value) if value and value.strip() else None
