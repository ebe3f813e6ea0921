"""Actions and views that flows can name; each domain registers its own.

A flow step says `do: handoff:asked` or `show: plan`; the function registered under that
name runs with the current Turn. Domains add theirs in `<domain>/conversation.py`, which
`bot.conversation.hooks` imports.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from channels.base import Choice

if TYPE_CHECKING:
    from bot.conversation.engine import Turn

@dataclass(frozen=True)
class Option:
    """A choice as offered: what the young person sees, where it goes, what it does."""

    choice: Choice
    goto: str | None = None
    do: str | None = None


Action = Callable[["Turn", str], Awaitable[None]]
View = Callable[["Turn"], Awaitable[str]]
ChoiceSource = Callable[["Turn"], Awaitable[list[Option]]]
# Reads free text on a step (`read: name`) and says what it was: an outcome that the
# step's `routes` turn into the next step.
Reader = Callable[["Turn", str], Awaitable[str]]
F = TypeVar("F")

ACTIONS: dict[str, Action] = {}
VIEWS: dict[str, View] = {}
CHOICE_SOURCES: dict[str, ChoiceSource] = {}
READERS: dict[str, Reader] = {}


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


def choice_source(name: str) -> Callable[[ChoiceSource], ChoiceSource]:
    """Register choices built from data: `choices_from: name` in a step."""
    def register(function: ChoiceSource) -> ChoiceSource:
        CHOICE_SOURCES[name] = function
        return function
    return register


def reader(name: str) -> Callable[[Reader], Reader]:
    """Register a reader of free text: `read: name` and `routes: {outcome: step}` in a step."""
    def register(function: Reader) -> Reader:
        READERS[name] = function
        return function
    return register
