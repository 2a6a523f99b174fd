"""The composition root: one ``trio.run`` holding the store, the engine and HTTP.

Layout (stack-notes.md section 2, recommended): ``trio.run(main)`` ->
``open_postgres_store`` (trio-asyncio loop, pool, group-commit writer) ->
supervisor of org actors + directory follower -> ``hypercorn.trio.serve``.
SIGTERM/SIGINT shut it down in that order, reverse of start-up.
"""

from __future__ import annotations

import gc
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import structlog
import trio
from hypercorn.config import Config as HypercornConfig
from hypercorn.trio import run as hypercorn_run
from hypercorn.trio import serve as hypercorn_serve
from hypercorn.trio.tcp_server import TCPServer

from engine import (
    DeliveryConfig,
    Directory,
    Notifier,
    Transports,
    TrioClock,
    open_org_supervisor,
)
from eventstore import open_postgres_store, start_embedded
from web.app import Services, create_app
from web.auth.links import ActionLinks
from web.auth.tokens import TokenService
from web.config import Config
from web.notify import ChannelDelivery
from web.ws import Hub

__all__ = ["database_url", "delivery_config", "open_services", "run_server"]

log = structlog.get_logger("pulsar.server")


@asynccontextmanager
async def database_url(config: Config) -> AsyncIterator[str]:
    """``DATABASE_URL``, or an embedded PostgreSQL under the data dir (stopped on exit)."""
    if config.database_url:
        yield config.database_url
        return
    config.data_dir.mkdir(parents=True, exist_ok=True)
    server = await trio.to_thread.run_sync(start_embedded, config.data_dir / "postgres")
    log.info("embedded_postgres_started", data_dir=str(config.data_dir / "postgres"))
    try:
        yield server.dsn
    finally:
        with trio.CancelScope(shield=True):
            await trio.to_thread.run_sync(server.stop)
        log.info("embedded_postgres_stopped")


@asynccontextmanager
async def open_services(config: Config, dsn: str) -> AsyncIterator[Services]:
    """Store, clock, directory (caught up) and supervisor (timers started)."""
    async with open_postgres_store(dsn) as store:
        test_clock = config.test_mode or config.test_clock
        start = None
        if test_clock and config.test_clock_start:  # a restarted test resumes its time
            start = datetime.fromisoformat(config.test_clock_start).astimezone(UTC)
        clock = TrioClock(start=start, follow_wall_clock=not test_clock)
        directory = Directory()
        await directory.catch_up(store)
        options: dict[str, Any] = {
            "mailbox_size": config.mailbox_size,
            "snapshot_every": config.snapshot_every,
        }
        async with (
            Transports(delivery_config(config), clock=clock) as transports,
            open_org_supervisor(store, clock, **options) as supervisor,
            trio.open_nursery() as nursery,
        ):
            hub = Hub(config)  # WebSocket live updates: sees every committed batch
            supervisor.listeners.append(hub)
            await nursery.start(hub.run)
            # Pages: the outbox of every organization, delivered through the channels.
            tokens = TokenService.from_config(config)  # creates the generated secret if needed
            links = ActionLinks.from_config(config)
            channels = ChannelDelivery(transports, clock, links, config.public_url)
            notifier = Notifier(supervisor, channels)
            supervisor.listeners.append(notifier.listener)
            await nursery.start(notifier.run)
            # Start every known org so timers (snooze expiry) fire after a restart.
            await supervisor.start_all(list(directory.orgs))
            notifier.wake()  # pages cut off by the last stop go out now, not at the next sweep
            nursery.start_soon(directory.follow, store)
            try:
                yield Services(
                    config=config,
                    store=store,
                    clock=clock,
                    supervisor=supervisor,
                    directory=directory,
                    extra={
                        "hub": hub,
                        "transports": transports,
                        "notifier": notifier,
                        "tokens": tokens,
                        "action_links": links,
                    },
                )
            finally:
                nursery.cancel_scope.cancel()


def delivery_config(config: Config) -> DeliveryConfig:
    """The notification channels' settings (README "Notifications")."""
    return DeliveryConfig(
        smtp_host=config.smtp_host,
        smtp_port=config.smtp_port,
        smtp_from=config.smtp_from,
        smtp_user=config.smtp_user,
        smtp_password=config.smtp_password,
        smtp_tls=config.smtp_tls,
        slack_bot_token=config.slack_bot_token,
        slack_api_url=config.slack_api_url,
        allowed_networks=config.outbound_allowed_networks,
        timeout=config.notify_timeout,
        attempts=config.notify_retries,
        backoff=config.notify_backoff,
    )


class _ContainedTCPServer(TCPServer):
    """Hypercorn's per-connection server, with one connection's failure contained.

    Hypercorn 0.18 lets an exception of one connection escape into the task that
    serves every listener, which stops the whole process: a WebSocket upgrade
    request followed by stray bytes did that (hypercorn issue #225, open). Here
    the connection is logged and closed; cancellation still propagates.
    """

    async def run(self) -> None:
        try:
            await super().run()
        except Exception:
            log.exception("connection_failed")
            with trio.CancelScope(shield=True):
                await self.stream.aclose()


# hypercorn.trio.run builds its listeners' handlers from this module global.
hypercorn_run.TCPServer = _ContainedTCPServer  # type: ignore[attr-defined]


async def run_server(config: Config) -> None:
    """Serve until SIGTERM/SIGINT, then shut down cleanly."""
    async with database_url(config) as dsn, open_services(config, dsn) as services:
        app = create_app(services)
        _tune_gc()
        hconfig = HypercornConfig()
        hconfig.bind = [f"{config.host}:{config.port}"]
        hconfig.accesslog = None  # one canonical structlog line per request instead
        hconfig.loglevel = config.log_level.upper()
        hconfig.graceful_timeout = 5
        shutdown = trio.Event()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_wait_for_signal, shutdown)
            log.info("serving", host=config.host, port=config.port, test_mode=config.test_mode)
            await hypercorn_serve(app, hconfig, shutdown_trigger=shutdown.wait)
            nursery.cancel_scope.cancel()
    log.info("stopped")


def _tune_gc() -> None:
    """Fewer, cheaper cyclic-GC passes while serving.

    Everything alive once start-up is done (modules, the app, loaded org state)
    lives as long as the process: ``gc.freeze()`` moves it out of the
    collector's sight, so full collections scan only what requests created
    since. The first generation's threshold goes from 700 to 20,000
    allocations: a 1,000-alert batch otherwise triggers dozens of collections
    while decoding one request.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


async def _wait_for_signal(shutdown: trio.Event) -> None:
    with trio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        async for signum in signals:
            log.info("shutdown_requested", signal=signal.Signals(signum).name)
            shutdown.set()
            return
