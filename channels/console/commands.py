"""`indgang console`: type as a young person, read the bot's replies in the terminal."""

from __future__ import annotations

import asyncio
import sys
import threading
import uuid
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

import typer

from channels.base import CommandHost, Inbound, Runtime

if TYPE_CHECKING:
    from channels.console.plugin import ConsolePlugin

HINT = "Write as a young person (a number picks a choice); Ctrl-D ends."


def console_commands(plugin: ConsolePlugin, host: CommandHost) -> typer.Typer:
    """The `console` command (a group with no subcommands, so `indgang console` runs it)."""
    group = typer.Typer(
        help="Chat with the bot in this terminal, as a young person.", invoke_without_command=True
    )

    @group.callback()
    def console(
        address: str = typer.Option(
            "console", help="Who you are: a new name starts onboarding, a known one continues."
        ),
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


async def converse(
    runtime: Runtime, plugin: ConsolePlugin, address: str, read_line: Callable[[], str]
) -> None:
    """Hand each typed line to the service and print its replies, until end of input."""
    async for line in _typed(read_line):
        text = line.strip()
        if not text:
            continue
        await runtime.context.receive(
            Inbound(channel=plugin.name, address=address, provider_id=uuid.uuid4().hex, text=text)
        )
        await runtime.drain()


async def _typed(read_line: Callable[[], str]) -> AsyncIterator[str]:
    """Lines as they are typed, read by a daemon thread.

    Not the loop's default executor: asyncio.run waits for its threads on exit, and one
    blocked on the keyboard would keep Ctrl-C from ending the command.
    """
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str] = asyncio.Queue()

    def pump() -> None:
        line = "start"
        while line:
            line = read_line()
            try:
                loop.call_soon_threadsafe(lines.put_nowait, line)
            except RuntimeError:  # the command ended (Ctrl-C) and its loop is closed
                return

    threading.Thread(target=pump, name="console-input", daemon=True).start()
    while line := await lines.get():
        yield line
