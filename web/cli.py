"""The ``pulsar`` command: serve, migrate, org create, replay --verify."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

import trio

from engine import TrioClock, create_organization, verify_replay
from eventstore import open_postgres_store
from web.config import Config
from web.logs import configure_logging
from web.server import database_url, run_server

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pulsar", description="Pulsar incident management")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the HTTP server (migrates first)")
    serve.add_argument("--host", default=None, help="bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="port (default 8080)")
    sub.add_parser("migrate", help="apply pending database migrations")
    org = sub.add_parser("org", help="manage organizations")
    org_sub = org.add_subparsers(dest="org_command", required=True)
    create = org_sub.add_parser("create", help="create an organization and a full-rights key")
    create.add_argument("--name", required=True)
    replay = sub.add_parser("replay", help="rebuild state from the log")
    replay.add_argument(
        "--verify",
        action="store_true",
        help="compare full replay with snapshot + tail; exit 1 on any difference",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    config = Config.from_env()
    if args.command == "serve":
        overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
        config = Config(**{**_fields(config), **overrides})
    configure_logging(config.log_level, config.log_format)
    match args.command:
        case "serve":
            trio.run(run_server, config)
            return 0
        case "migrate":
            return trio.run(_migrate, config)
        case "org":
            return trio.run(_org_create, config, args.name)
        case "replay":
            return trio.run(_replay, config, args.verify)
    return 2


def _fields(config: Config) -> dict[str, object]:
    return {name: getattr(config, name) for name in config.__struct_fields__}


async def _migrate(config: Config) -> int:
    async with database_url(config) as dsn, open_postgres_store(dsn, migrate=True):
        print(json.dumps({"migrated": True}))
    return 0


async def _org_create(config: Config, name: str) -> int:
    async with database_url(config) as dsn, open_postgres_store(dsn) as store:
        org_id, api_key = await create_organization(store, TrioClock(follow_wall_clock=True), name)
    print(json.dumps({"org_id": org_id, "api_key": api_key}))
    return 0


async def _replay(config: Config, verify: bool) -> int:
    async with database_url(config) as dsn, open_postgres_store(dsn) as store:
        t0 = trio.current_time()
        reports = await verify_replay(store)
        elapsed = trio.current_time() - t0
    events = sum(r.events for r in reports)
    bad = [r for r in reports if not r.ok]
    for report in reports:
        print(
            json.dumps(
                {
                    "org_id": report.org_id,
                    "version": report.version,
                    "events": report.events,
                    "ok": report.ok,
                    "problem": report.problem,
                }
            )
        )
    print(
        json.dumps(
            {
                "orgs": len(reports),
                "events": events,
                "seconds": round(elapsed, 3),
                "differences": len(bad),
            }
        )
    )
    if verify and bad:
        print(f"replay verification failed for {len(bad)} organization(s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
