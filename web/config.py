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
    test_mode: bool = False
    mailbox_size: int = 1024
    snapshot_every: int = 1000
    follow_interval: float = 0.25

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
            test_mode=get("PULSAR_TEST_MODE", "0") in {"1", "true", "yes"},
            mailbox_size=int(get("PULSAR_MAILBOX_SIZE", "1024")),
            snapshot_every=int(get("PULSAR_SNAPSHOT_EVERY", "1000")),
        )
