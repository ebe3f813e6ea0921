"""Browser tests: Debian's Chromium driven by Playwright, the real app served on loopback."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import uvicorn

from bot.app import create_app
from bot.settings import OutboxSettings, Settings
from channels.base import ChannelSettings
from channels.sms.settings import SmsSettings
from tests.fakes.twilio_api import FakeTwilio

if TYPE_CHECKING:
    from playwright.async_api import Locator, Page

CHROMIUM = os.environ.get("INDGANG_TEST_CHROMIUM", "/usr/bin/chromium")
# Screenshots: INDGANG_TEST_ARTIFACTS names another directory (a CI job's artifact folder).
ARTIFACTS = Path(
    os.environ.get("INDGANG_TEST_ARTIFACTS")
    or Path(__file__).resolve().parents[1] / "test-artifacts"
)
# Without the background-networking flags Chromium keeps dialling out of this closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def require_chromium() -> None:
    """Skip when Debian's Chromium is missing (a fresh developer machine); in CI, fail.

    Call it at module level, before importing Playwright, or inside a test.
    """
    if Path(CHROMIUM).exists():
        return
    message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI needs it for the browser tests: {message}", pytrace=False)
    pytest.skip(message, allow_module_level=True)


def listening_socket() -> socket.socket:
    """A socket bound to a free port of 127.0.0.1, held until the server takes it over.

    Binding here and handing the socket to uvicorn leaves no moment in which another test
    (another xdist worker) could take the port, as asking for a free port and binding
    it later would.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


def port_of(sock: socket.socket) -> int:
    """The port a socket is bound to."""
    return int(sock.getsockname()[1])


def artifact(name: str, request: pytest.FixtureRequest) -> Path:
    """Where a screenshot goes: one file per test case, so parallel cases never share one."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    case = getattr(request.node, "callspec", None)
    suffix = f"-{case.id}" if case is not None else ""
    stem, _, extension = name.rpartition(".")
    return ARTIFACTS / f"{stem}{suffix}.{extension}"


@asynccontextmanager
async def serve(
    settings: Settings,
    sock: socket.socket,
    channel_settings: Mapping[str, ChannelSettings] | None = None,
) -> AsyncIterator[str]:
    """Run the whole service (web, dispatcher, scheduler) in this loop; yield its base URL."""
    app = create_app(settings, channel_settings=channel_settings)
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, timeout_graceful_shutdown=2))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()  # start-up failed: raise its error here
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port_of(sock)}"
    finally:
        server.should_exit = True
        await task
        sock.close()


def served_settings(database_url: str, sock: socket.socket, **settings: Any) -> Settings:
    """Settings for the whole service on `sock`: no .env, no demo data, a fixed secret;
    `settings` replace the defaults."""
    return Settings(
        _env_file=None,
        database_url=database_url,
        public_url=f"http://127.0.0.1:{port_of(sock)}",  # type: ignore[arg-type]
        demo_data=False,
        secret_key="s" * 40,
        **settings,
    )


@asynccontextmanager
async def serve_with_fake_twilio(
    database_url: str, our_number: str, **settings: Any
) -> AsyncIterator[tuple[str, FakeTwilio, Settings]]:
    """The whole service on a free loopback port, sending SMS from `our_number` to a fake
    Twilio; `settings` replace the defaults. Yields the base URL, the fake and the settings."""
    sock = listening_socket()
    async with FakeTwilio.start() as fake:
        config = served_settings(
            database_url, sock, **{"outbox": OutboxSettings(dispatcher_interval=0.2), **settings}
        )
        sms = SmsSettings(
            twilio_account_sid=fake.account_sid,
            twilio_auth_token=fake.auth_token,
            twilio_from=our_number,
            twilio_api_base=fake.base_url,
        )  # type: ignore[arg-type]
        async with serve(config, sock, {"sms": sms}) as base:
            yield base, fake, config


@asynccontextmanager
async def chromium_page(
    width: int = 1280, height: int = 900, args: Sequence[str] = ()
) -> AsyncIterator[Page]:
    """A fresh page of Debian's Chromium at this viewport, Danish, 15 s default timeout.

    `args` are more command-line flags, e.g. `--host-resolver-rules` to open the loopback
    server under another name.
    """
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *args]
        )
        context = await browser.new_context(
            viewport={"width": width, "height": height}, locale="da-DK"
        )
        tab = await context.new_page()
        tab.set_default_timeout(15_000)
        try:
            yield tab
        finally:
            await context.close()
            await browser.close()


# True when the element lies inside its scrolling list's visible box and inside the window.
IN_VIEW = """(el) => {
  const list = el.closest("ol").getBoundingClientRect();
  const box = el.getBoundingClientRect();
  return box.height > 0 && box.top >= list.top - 1 && box.bottom <= list.bottom + 1
    && box.top >= 0 && box.bottom <= window.innerHeight;
}"""


async def in_view(item: Locator) -> bool:
    """Whether `item` is inside its scrolling list's visible box and inside the window."""
    return bool(await item.evaluate(IN_VIEW))
