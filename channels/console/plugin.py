"""The console as a plug-in: on in development, no routes, one command (`indgang console`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from channels.base import ChannelPlugin, ChannelSettings, CommandHost, Deployment
from channels.console.channel import ConsoleChannel

if TYPE_CHECKING:
    import typer


class ConsolePlugin(ChannelPlugin[ChannelSettings, ConsoleChannel]):
    """No settings of its own and no webhook: the terminal is the provider."""

    name = "console"
    settings_type = ChannelSettings

    def build(self, settings: ChannelSettings, deployment: Deployment) -> ConsoleChannel | None:
        """The console channel, in development only (it creates young people as you type)."""
        return ConsoleChannel() if deployment.development else None

    def commands(self, host: CommandHost) -> typer.Typer:
        """`indgang console`."""
        from channels.console.commands import console_commands

        return console_commands(self, host)


plugin = ConsolePlugin()
