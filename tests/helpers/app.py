"""A Pulsar app over a real (fresh) PostgreSQL database, driven by Quart's test client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from quart.typing import TestClientProtocol

from engine import create_organization
from web.app import Services, create_app
from web.config import Config
from web.server import open_services


@dataclass
class Org:
    org_id: str
    api_key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"GenieKey {self.api_key}"}


@dataclass
class Harness:
    client: TestClientProtocol
    services: Services
    org: Org

    async def new_org(self, name: str = "other") -> Org:
        org_id, key = await create_organization(self.services.store, self.services.clock, name)
        await self.services.directory.catch_up(self.services.store)
        return Org(org_id, key)

    async def post(self, path: str, json: Any = None, org: Org | None = None, **kw: Any) -> Any:
        headers = {**(org or self.org).headers, **kw.pop("headers", {})}
        return await self.client.post(path, json=json, headers=headers, **kw)

    async def get(self, path: str, org: Org | None = None, **kw: Any) -> Any:
        return await self.client.get(path, headers=(org or self.org).headers, **kw)


@asynccontextmanager
async def open_harness(dsn: str, **config: Any) -> AsyncIterator[Harness]:
    config.setdefault("jwt_secret", "test-secret-" + "x" * 32)
    cfg = Config(database_url=dsn, **config)
    async with open_services(cfg, dsn) as services:
        app = create_app(services)
        async with app.test_app() as test_app:
            org_id, key = await create_organization(services.store, services.clock, "acme")
            await services.directory.catch_up(services.store)
            yield Harness(test_app.test_client(), services, Org(org_id, key))
