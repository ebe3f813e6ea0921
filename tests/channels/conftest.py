"""Fixtures for the channel tests; Telegram ones are named telegram_*."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from channels.telegram.channel import TelegramChannel
from tests.fakes.telegram_api import TEST_TOKEN, FakeTelegram


@pytest.fixture
async def telegram_api() -> AsyncIterator[FakeTelegram]:
    """A fake Bot API server in the test's event loop."""
    async with FakeTelegram.start() as fake:
        yield fake


@pytest.fixture
async def telegram_channel(telegram_api: FakeTelegram) -> AsyncIterator[TelegramChannel]:
    """A real TelegramChannel (aiogram Bot) pointed at the fake server."""
    channel = TelegramChannel(TEST_TOKEN, api_base=telegram_api.base_url)
    yield channel
    await channel.close()
