"""`indgang telegram …`: register the webhook, or long-poll where there is no public address."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import typer

from channels.base import CommandHost, Runtime
from channels.telegram.settings import WEBHOOK_PATH

if TYPE_CHECKING:
    from channels.telegram.plugin import TelegramPlugin


def telegram_commands(plugin: TelegramPlugin, host: CommandHost) -> typer.Typer:
    """The `telegram` command group."""
    group = typer.Typer(help="Telegram bot set-up.", no_args_is_help=True)

    @group.command("set-webhook")
    def set_webhook_command() -> None:
        """Register INDGANG_PUBLIC_URL/webhooks/telegram with Telegram, with the secret."""
        from channels.telegram.polling import set_webhook

        settings = host.settings_of(plugin)
        if not settings.token or not settings.webhook_secret:
            host.fail("INDGANG_TELEGRAM_TOKEN and INDGANG_TELEGRAM_WEBHOOK_SECRET are needed")
        deployment, secret = host.deployment(), settings.webhook_secret

        async def go() -> None:
            channel = plugin.build(settings, deployment)
            assert channel is not None
            try:
                await set_webhook(channel, deployment.public_base + WEBHOOK_PATH, secret)
            finally:
                await channel.close()

        host.run(go())
        typer.echo("webhook registered")

    @group.command("poll")
    def poll_command() -> None:
        """Long-poll Telegram for development without a public URL (runs the dispatcher too)."""
        if not host.settings_of(plugin).token:
            host.fail("INDGANG_TELEGRAM_TOKEN is needed")

        async def go() -> None:
            async with host.runtime() as runtime:
                await poll_runtime(runtime, plugin, asyncio.Event())

        host.run(go())

    return group


async def poll_runtime(runtime: Runtime, plugin: TelegramPlugin, stop: asyncio.Event) -> None:
    """Long-poll with the service's own Telegram channel, into its own receiver, until `stop`."""
    from channels.telegram.polling import poll

    channel = runtime.channel(plugin)
    if channel is None:
        raise RuntimeError("Telegram is not on: INDGANG_TELEGRAM_TOKEN is not set")
    await poll(channel, runtime.context.receive, stop)
