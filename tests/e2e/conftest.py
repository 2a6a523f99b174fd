"""End-to-end fixtures: a real ``python -m web serve`` and Debian's chromium via Playwright.

The browser is Debian's chromium (``scripts/ensure-chromium``; ``CHROMIUM_PATH``
overrides), never a Playwright download, driven by Playwright's Python sync API
(the ``playwright`` package; the fixtures are here, module-scoped: see
``playwright`` below). The web app must be built (``make ui``; ``make test``
does it first). Screenshots of the main pages go to ``docs/screenshots/``
(README "Web app").

The server runs in test mode with plain-http cookies and a fixed JWT secret, so
an access token stays valid across a kill and restart of the process.
"""

from __future__ import annotations

import asyncio
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from tests.helpers.server import free_port
from tests.pg import fresh_database
from web.static import BUILD_DIR

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
PASSWORD = "correct horse battery"
JWT_SECRET = "e2e-secret-" + "x" * 32

expect.set_options(timeout=10_000)


def _chromium() -> str | None:
    for candidate in (
        os.environ.get("CHROMIUM_PATH"),
        "/usr/lib/chromium/chromium",
        shutil.which("chromium"),
    ):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def _unavailable(reason: str) -> None:
    """Fail in CI (where `make test` installs everything), skip on a developer machine."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    """Playwright's driver, for one test module only.

    Two reasons. Importing the event store installs trio-asyncio, whose policy
    makes ``asyncio.new_event_loop()`` a trio-asyncio loop, which Playwright's
    sync API cannot drive: a per-thread stock policy is set just while Playwright
    starts (its loop then lives on inside Playwright). And while the driver runs,
    its asyncio loop stays "running" in this thread (the sync API parks it in a
    greenlet), which would confuse trio-asyncio in every later test of the
    session: so the driver stops with the module, never at the session's end.
    """
    if (executable := _chromium()) is None:
        _unavailable("chromium is not installed: run scripts/ensure-chromium (or CHROMIUM_PATH)")
    if not (BUILD_DIR / "index.html").is_file():
        _unavailable("the web app is not built: run `make ui`")
    del executable
    asyncio.set_event_loop_policy(asyncio.DefaultEventLoopPolicy())
    try:
        driver = sync_playwright().start()
    finally:
        asyncio.set_event_loop_policy(None)
    try:
        yield driver
    finally:
        driver.stop()


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's chromium, headless (Playwright passes --headless and --no-sandbox)."""
    chromium = playwright.chromium.launch(
        executable_path=_chromium(), args=["--disable-gpu", "--disable-quic"]
    )
    try:
        yield chromium
    finally:
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page in a fresh context (its own cookies), desktop-sized."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        yield context.new_page()
    finally:
        context.close()


@contextmanager
def database() -> Iterator[str]:
    """A fresh migrated database (``tests.pg``) held open by trio in a helper thread."""
    ready: queue.Queue[str | BaseException] = queue.Queue()
    done = threading.Event()

    async def hold() -> None:
        try:
            async with fresh_database() as dsn:
                ready.put(dsn)
                await trio.to_thread.run_sync(done.wait)
        except BaseException as error:
            ready.put(error)
            raise

    thread = threading.Thread(target=trio.run, args=(hold,), daemon=True)
    thread.start()
    got = ready.get(timeout=120)
    if isinstance(got, BaseException):
        raise got
    try:
        yield got
    finally:
        done.set()
        thread.join(60)


@dataclass
class Pulsar:
    """One ``python -m web serve`` on a fixed port that can be killed and started again."""

    dsn: str
    data_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": self.dsn,
            "PULSAR_DATA_DIR": str(self.data_dir),
            "PULSAR_TEST_MODE": "1",
            "PULSAR_COOKIE_SECURE": "0",
            "PULSAR_JWT_SECRET": JWT_SECRET,
            "PULSAR_LOG_FORMAT": "json",
            "PULSAR_LOG_LEVEL": "warning",
        }
        self.log = (self.data_dir / "server.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "web", "serve", "--port", str(self.port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"pulsar serve exited: {self._tail()}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"pulsar serve not healthy in 60 s: {self._tail()}")

    def _tail(self) -> str:
        return (self.data_dir / "server.log").read_text(errors="replace")[-3000:]

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, connections just drop."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(30)
            self.log.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
            self.log.close()

    # -- API helpers (a signed-in user's access token, or an API key) ----------------

    def register(self, email: str, name: str = "Ada", organization: str = "Acme") -> str:
        """Create an account and organization; its access token."""
        response = httpx.post(
            self.url + "/api/v1/auth/register",
            json={"email": email, "password": PASSWORD, "name": name, "organization": organization},
        )
        assert response.status_code == 201, response.text
        token: str = response.json()["access_token"]
        return token

    def post(self, path: str, token: str, json: Any, scheme: str = "Bearer") -> Any:
        response = httpx.post(
            self.url + path, json=json, headers={"Authorization": f"{scheme} {token}"}
        )
        assert response.status_code in (200, 201, 202), response.text
        return response.json()


@contextmanager
def running_pulsar(tmp: Path) -> Iterator[Pulsar]:
    with database() as dsn:
        server = Pulsar(dsn=dsn, data_dir=tmp)
        server.start()
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture(scope="module")
def pulsar(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pulsar]:
    """One server (and database) for a test module; tests use their own accounts."""
    with running_pulsar(tmp_path_factory.mktemp("pulsar")) as server:
        yield server


_emails = iter(range(1, 10_000))


def new_email(prefix: str = "user") -> str:
    return f"{prefix}{next(_emails)}-{os.getpid()}@example.com"


def sign_in(page: Page, url: str, email: str, path: str = "/") -> None:
    """Sign in through the login page and wait for the live connection."""
    page.goto(url + path)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("live-status").first).to_have_attribute("data-status", "live")


def screenshot(page: Page, name: str, *, full_page: bool = False) -> None:
    """Save ``docs/screenshots/<name>.png`` (the viewport: the sidebar is sticky, and a
    full-page capture would draw it mid-page)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(
        path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page, animations="disabled"
    )
