"""What every `indgang` command shares: checked settings, an event loop to run work in, and
the host that channel plug-ins' commands are given.

`bot/cli.py` and the domain CLIs (`bot/<domain>/cli.py`) import from here, never from each
other, so the command tree has no import cycle.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from contextlib import AbstractAsyncContextManager
from typing import Any, NoReturn, TypeVar

import typer
from pydantic import ValidationError

from bot.settings import Settings, describe_error, get_settings
from bot.wiring import CHANNELS, deployment_of
from channels.base import ChannelPlugin, ChannelSettings, Deployment, Runtime

T = TypeVar("T")
SettingsT = TypeVar("SettingsT", bound=ChannelSettings)


def configuration_error(exc: ValidationError, prefix: str = "INDGANG_") -> NoReturn:
    """Stop with one line naming the bad setting, and exit status 2."""
    typer.echo(f"indgang: configuration error: {describe_error(exc, prefix)}", err=True)
    raise typer.Exit(2) from None


def settings() -> Settings:
    """Settings, or one clear line naming the bad setting and exit 2."""
    try:
        found = get_settings()
    except ValidationError as exc:
        configuration_error(exc)
    channel_settings()  # a bad channel setting stops every command, as it always has
    return found


def channel_settings() -> dict[str, ChannelSettings]:
    """Every channel plug-in's settings, or one line naming the bad setting and exit 2."""
    return {plugin.name: _read(plugin) for plugin in CHANNELS}


def _read(plugin: ChannelPlugin[SettingsT, Any]) -> SettingsT:
    try:
        return plugin.read_settings()
    except ValidationError as exc:
        configuration_error(exc, plugin.env_prefix)


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion."""
    return asyncio.run(coroutine)


def fail(message: str, code: int = 1) -> NoReturn:
    """Stop with `indgang: <message>` on stderr."""
    typer.echo(f"indgang: {message}", err=True)
    raise typer.Exit(code)


class CliHost:
    """The CommandHost that channel plug-ins' commands get (see channels/base.py)."""

    def settings_of(self, plugin: ChannelPlugin[SettingsT, Any]) -> SettingsT:
        """The plug-in's settings, after every other setting was checked."""
        settings()
        return _read(plugin)

    def deployment(self) -> Deployment:
        """Where this installation runs."""
        return deployment_of(settings())

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run async work to completion."""
        return run(coroutine)

    def runtime(self, *, background_dispatch: bool = True) -> AbstractAsyncContextManager[Runtime]:
        """The service as the app builds and starts it, without the web server."""
        from bot.runtime import running  # the engine and every channel: only when needed

        return running(settings(), channel_settings(), background_dispatch=background_dispatch)

    def fail(self, message: str, code: int = 2) -> NoReturn:
        """Stop with `indgang: <message>`."""
        fail(message, code)
