"""The web app's build is served at /: SPA fallback, cache headers, a CSP for its shell."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from quart.typing import TestClientProtocol as Client

import web.static
from web.app import Services, create_app
from web.config import Config

_BOOT = "\n\t\t\t{ console.log('boot'); }\n\t\t"
_SHELL = f"<!doctype html><html><head></head><body><script>{_BOOT}</script></body></html>"


@pytest.fixture
def build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "_app" / "immutable" / "entry").mkdir(parents=True)
    (tmp_path / "_app" / "immutable" / "entry" / "start.abc123.js").write_text("export {};")
    (tmp_path / "_app" / "version.json").write_text('{"version":"dev"}')
    (tmp_path / "favicon.svg").write_text("<svg/>")
    (tmp_path / "index.html").write_text(_SHELL)
    monkeypatch.setattr(web.static, "BUILD_DIR", tmp_path)
    return tmp_path


@pytest.fixture
async def client(build: Path) -> AsyncIterator[Client]:
    services: Any = Services(
        config=Config(jwt_secret="s" * 40),
        store=None,  # type: ignore[arg-type]
        clock=None,  # type: ignore[arg-type]
        supervisor=None,  # type: ignore[arg-type]
        directory=None,  # type: ignore[arg-type]
    )
    app = create_app(services)
    async with app.test_app() as test_app:
        yield test_app.test_client()


@pytest.mark.parametrize(
    "path", ["/", "/index.html", "/alerts", "/alerts/", "/alerts/01ab/x", "/heartbeats/v2"]
)
async def test_client_routes_answer_the_shell_revalidated(client: Client, path: str) -> None:
    """The shell and every client route answer index.html, never cached without revalidation."""
    response = await client.get(path)
    assert response.status_code == 200
    assert await response.get_data(as_text=True) == _SHELL
    assert response.headers["Cache-Control"] == "no-cache"
    assert "Expires" not in response.headers
    assert response.headers["Content-Type"].startswith("text/html")


async def test_the_shell_csp_allows_exactly_its_inline_script(client: Client) -> None:
    """index.html's CSP adds its bootstrap script's sha256; other answers keep the strict one."""
    digest = base64.b64encode(hashlib.sha256(_BOOT.encode()).digest()).decode()
    shell = (await client.get("/alerts")).headers["Content-Security-Policy"]
    assert f"script-src 'self' 'sha256-{digest}';" in shell
    assert "frame-ancestors 'none'" in shell
    asset = (await client.get("/favicon.svg")).headers["Content-Security-Policy"]
    assert "script-src 'self';" in asset


async def test_hashed_assets_are_immutable(client: Client) -> None:
    response = await client.get("/_app/immutable/entry/start.abc123.js")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["Content-Type"].startswith("text/javascript")
    assert await response.get_data(as_text=True) == "export {};"


async def test_other_build_files_revalidate(client: Client) -> None:
    response = await client.get("/_app/version.json")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"
    etag = response.headers["ETag"]
    again = await client.get("/_app/version.json", headers={"If-None-Match": etag})
    assert again.status_code == 304


@pytest.mark.parametrize("path", ["/_app/immutable/entry/gone.js", "/_app/", "/_app/nope"])
async def test_missing_app_files_are_404_not_the_shell(client: Client, path: str) -> None:
    """An old tab asking for another build's chunk gets a 404, not HTML."""
    response = await client.get(path)
    assert response.status_code == 404


@pytest.mark.parametrize(
    "path",
    ["/api", "/api/v1/nope", "/v1/nope", "/v2/nope", "/ical/x", "/api/", "/og/v2/nope", "/a/v1/x"],
)
async def test_api_paths_never_fall_back_to_the_shell(client: Client, path: str) -> None:
    response = await client.get(path)
    assert response.status_code in {401, 404}
    assert response.headers["Content-Type"].startswith("application/json")


async def test_unknown_api_path_with_another_method_stays_404(client: Client) -> None:
    """The catch-all takes GET only and never API paths, so a POST there is still a JSON 404."""
    response = await client.post("/api/v1/nope", json={})
    assert response.status_code == 404


async def test_no_escape_from_the_build_directory(client: Client, build: Path) -> None:
    (build.parent / "secret.txt").write_text("secret")
    response = await client.get("/..%2fsecret.txt")
    assert "secret" not in await response.get_data(as_text=True)


async def test_a_missing_build_says_how_to_build_it(client: Client, build: Path) -> None:
    (build / "index.html").unlink()
    response = await client.get("/alerts")
    assert response.status_code == 503
    assert "make ui" in await response.get_data(as_text=True)
