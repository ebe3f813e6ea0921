"""Telegram as a plug-in: on with a token and webhook secret; webhook route, set-up commands."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from channels.base import (
    ChannelContext,
    ChannelPlugin,
    CommandHost,
    Deployment,
    InviteWay,
    url_base,
)
from channels.telegram.settings import TelegramSettings

if TYPE_CHECKING:
    import typer
    from fastapi import APIRouter

    from channels.telegram.channel import TelegramChannel


def deep_link(username: str | None, code: str) -> str | None:
    """The link that starts the bot with the invite code, if the bot's name is known."""
    if not username:
        return None
    return f"https://t.me/{quote(username.lstrip('@'))}?start={quote(code)}"


class TelegramPlugin(ChannelPlugin[TelegramSettings, "TelegramChannel"]):
    """One Telegram bot per installation (aiogram is imported only when it is on)."""

    name = "telegram"
    settings_type = TelegramSettings
    max_length = 4096  # the Bot API's longest message, as the channel's capabilities say

    def build(self, settings: TelegramSettings, deployment: Deployment) -> TelegramChannel | None:
        """The bot's channel when a token is set."""
        if not settings.token:
            return None
        from channels.telegram.channel import TelegramChannel

        return TelegramChannel(settings.token, url_base(settings.api_base))

    def router(
        self, channel: TelegramChannel, settings: TelegramSettings, context: ChannelContext
    ) -> APIRouter:
        """`POST /webhooks/telegram`, checked against the webhook secret."""
        from channels.telegram.views import build_router

        assert settings.webhook_secret  # TelegramSettings demands it with a token
        return build_router(channel, settings.webhook_secret, context.receive)

    def commands(self, host: CommandHost) -> typer.Typer:
        """`indgang telegram set-webhook` and `indgang telegram poll`."""
        from channels.telegram.commands import telegram_commands

        return telegram_commands(self, host)

    def invite(self, settings: TelegramSettings, code: str) -> InviteWay | None:
        """The deep link `https://t.me/<bot>?start=<code>`, when the bot's name is set."""
        link = deep_link(settings.bot_username, code)
        return InviteWay(link=link) if link else None


plugin = TelegramPlugin()
