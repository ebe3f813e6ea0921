"""`indgang console`: type as a young person, read the bot's replies in the terminal."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

import typer

from channels.base import CommandHost, Inbound, Runtime

if TYPE_CHECKING:
    from channels.console.plugin import ConsolePlugin

HINT = "Write as a young person (a number picks a choice); Ctrl-D ends."


def console_commands(plugin: ConsolePlugin, host: CommandHost) -> typer.Typer:
    """The `console` command (a group with no subcommands, so `indgang console` runs it)."""
    group = typer.Typer(help="Chat with the bot in this terminal, as a young person.",
                        invoke_without_command=True)

    @group.callback()
    def console(address: str = typer.Option(
            "console", help="Who you are: a new name starts onboarding, a known one continues."),
    ) -> None:
        """Chat with the bot in this terminal, as a young person (development only)."""
        if plugin.build(host.settings_of(plugin), host.deployment()) is None:
            host.fail("the console channel runs in development only (INDGANG_ENV)")
        typer.echo(HINT, err=True)

        async def go() -> None:
            async with host.runtime(background_dispatch=False) as runtime:
                await converse(runtime, plugin, address, sys.stdin.readline)

        host.run(go())

    return group


async def converse(runtime: Runtime, plugin: ConsolePlugin, address: str,
                   read_line: Callable[[], str]) -> None:
    """Hand each typed line to the service and print its replies, until end of input."""
    while line := await asyncio.to_thread(read_line):
        text = line.strip()
        if not text:
            continue
        await runtime.context.receive(Inbound(channel=plugin.name, address=address,
                                              provider_id=uuid.uuid4().hex, text=text))
        await runtime.drain()
