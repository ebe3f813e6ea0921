"""What every `indgang` command shares: checked settings and an event loop to run work in.

`bot/cli.py` and the domain CLIs (`bot/<domain>/cli.py`) import from here, never from each
other, so the command tree has no import cycle.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, NoReturn, TypeVar

import typer
from pydantic import ValidationError

from bot.settings import Settings, describe_error, get_settings

T = TypeVar("T")


def configuration_error(exc: ValidationError, prefix: str = "INDGANG_") -> NoReturn:
    """Stop with one line naming the bad setting, and exit status 2."""
    typer.echo(f"indgang: configuration error: {describe_error(exc, prefix)}", err=True)
    raise typer.Exit(2) from None


def settings() -> Settings:
    """Settings, or one clear line naming the bad setting and exit 2."""
    from bot.reminders.settings import reminder_settings

    try:
        reminder_settings()
    except ValidationError as exc:
        configuration_error(exc, "INDGANG_REMINDER_")
    try:
        return get_settings()
    except ValidationError as exc:
        configuration_error(exc)


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion."""
    return asyncio.run(coroutine)


def fail(message: str, code: int = 1) -> NoReturn:
    """Stop with `indgang: <message>` on stderr."""
    typer.echo(f"indgang: {message}", err=True)
    raise typer.Exit(code)
