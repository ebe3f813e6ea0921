"""Telegram's settings: INDGANG_TELEGRAM_* in the environment or `.env`."""

from __future__ import annotations

from pydantic import AnyHttpUrl, Field, model_validator
from pydantic_settings import SettingsConfigDict

from channels.base import ChannelSettings

# Where the provider posts to, below INDGANG_PUBLIC_URL.
WEBHOOK_PATH = "/webhooks/telegram"


class TelegramSettings(ChannelSettings):
    """The bot's token and webhook secret turn Telegram on; the rest is optional."""

    model_config = SettingsConfigDict(env_prefix="INDGANG_TELEGRAM_")

    token: str | None = Field(default=None, repr=False)
    webhook_secret: str | None = Field(default=None, repr=False)
    # Send Bot API calls to another server (a local Bot API server, the tests' fake).
    api_base: AnyHttpUrl | None = None
    # For invite deep links (https://t.me/<username>?start=<code>), with or without the '@'.
    bot_username: str | None = None

    @model_validator(mode="after")
    def _token_needs_secret(self) -> TelegramSettings:
        if self.token and not self.webhook_secret:
            raise ValueError("INDGANG_TELEGRAM_WEBHOOK_SECRET is needed with a Telegram token")
        return self
