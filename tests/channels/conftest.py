"""Fixtures of the channel tests: a fake Twilio REST server and SMS channels pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from channels.sms.channel import SmsChannel
from tests.channels.sms_support import CALLBACK, SERVICE, MakeChannel
from tests.fakes.twilio_api import FakeTwilio


@pytest.fixture
async def fake() -> AsyncIterator[FakeTwilio]:
    async with FakeTwilio.start() as server:
        yield server


@pytest.fixture
async def make_channel(fake: FakeTwilio) -> AsyncIterator[MakeChannel]:
    made: list[SmsChannel] = []

    def make(**overrides: object) -> SmsChannel:
        options: dict[str, object] = {
            "account_sid": fake.account_sid,
            "auth_token": fake.auth_token,
            "messaging_service_sid": SERVICE,
            "status_callback_url": CALLBACK,
            "api_base": fake.base_url,
        }
        options.update(overrides)
        channel = SmsChannel(**options)  # type: ignore[arg-type]
        made.append(channel)
        return channel

    yield make
    for channel in made:
        await channel.close()
