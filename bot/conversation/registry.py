"""Actions and views that flows can name; each domain registers its own.

A flow step says `do: handoff:asked` or `show: plan`; the function registered under that
name runs with the current Turn. Domains add theirs in `<domain>/conversation.py`, which
`bot.conversation.hooks` imports.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from bot.conversation.engine import Turn

Action = Callable[["Turn", str], Awaitable[None]]
View = Callable[["Turn"], Awaitable[str]]
F = TypeVar("F")

ACTIONS: dict[str, Action] = {}
VIEWS: dict[str, View] = {}


def action(name: str) -> Callable[[Action], Action]:
    """Register a flow action: `do: name` or `do: name:argument`."""
    def register(function: Action) -> Action:
        ACTIONS[name] = function
        return function
    return register


def view(name: str) -> Callable[[View], View]:
    """Register a flow view: `show: name` puts its text in the reply."""
    def register(function: View) -> View:
        VIEWS[name] = function
        return function
    return register
