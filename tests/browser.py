"""Browser tests: Debian's Chromium driven by Playwright, the real app served on loopback."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import uvicorn

from bot.app import create_app
from bot.settings import Settings
from channels.base import ChannelSettings

CHROMIUM = os.environ.get("INDGANG_TEST_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
# Without the background-networking flags Chromium keeps dialling out of this closed network.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


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


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def serve(settings: Settings, port: int,
                channel_settings: Mapping[str, ChannelSettings] | None = None,
                ) -> AsyncIterator[str]:
    """Run the whole service (web, dispatcher, scheduler) in this loop; yield its base URL."""
    app = create_app(settings, channel_settings=channel_settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_config=None, timeout_graceful_shutdown=2))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # start-up failed: raise its error here
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
