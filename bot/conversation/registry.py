"""Conversation plug-ins, and the registry the engine is built with.

A flow step says `do: handoff:asked` or `show: plan`; the function a plug-in registered under
that name runs with the current Turn. Each domain declares one plug-in in its
`conversation.py`:

    plugin = ConversationPlugin("plans")

    @plugin.view("plan")
    async def show_plan(turn: Turn) -> str: ...

The composition root (`bot/wiring.py`) lists the plug-ins, orders their guards, and builds
one `Registry` that it hands to the `Engine`. Nothing registers into global state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bot.conversation.turn import Action, ChoiceSource, Guard, Reader, Redirect, View

F = TypeVar("F")


@dataclass
class ConversationPlugin:
    """One domain's part of the conversation: named actions, views, choices, readers, guards."""

    name: str
    actions: dict[str, Action] = field(default_factory=dict)
    views: dict[str, View] = field(default_factory=dict)
    choice_sources: dict[str, ChoiceSource] = field(default_factory=dict)
    readers: dict[str, Reader] = field(default_factory=dict)
    guards: dict[str, Guard] = field(default_factory=dict)
    redirects: dict[str, Redirect] = field(default_factory=dict)

    def action(self, name: str) -> Callable[[Action], Action]:
        """Register a flow action: `do: name` or `do: name:argument`."""
        return _into(self.actions, name)

    def view(self, name: str) -> Callable[[View], View]:
        """Register a flow view: `show: name` puts its text in the reply."""
        return _into(self.views, name)

    def choice_source(self, name: str) -> Callable[[ChoiceSource], ChoiceSource]:
        """Register choices built from data: `choices_from: name` in a step."""
        return _into(self.choice_sources, name)

    def reader(self, name: str) -> Callable[[Reader], Reader]:
        """Register a reader of free text: `read: name` and `routes: {outcome: step}`."""
        return _into(self.readers, name)

    def guard(self, name: str) -> Callable[[Guard], Guard]:
        """Register a guard; the composition root places it (as `plugin.name`) in the order."""
        return _into(self.guards, name)

    def redirect(self, name: str) -> Callable[[Redirect], Redirect]:
        """Register a redirect of typed text, asked before the step reads it."""
        return _into(self.redirects, name)


def _into(table: dict[str, F], name: str) -> Callable[[F], F]:
    def register(function: F) -> F:
        if name in table:
            raise ValueError(f"{name!r} is registered twice")
        table[name] = function
        return function

    return register


@dataclass(frozen=True)
class Registry:
    """Every name the flows may use, and the guards in the order they run."""

    actions: dict[str, Action]
    views: dict[str, View]
    choice_sources: dict[str, ChoiceSource]
    readers: dict[str, Reader]
    guards: tuple[Guard, ...]
    redirects: tuple[Redirect, ...]

    @classmethod
    def of(cls, plugins: Iterable[ConversationPlugin], *, guard_order: Iterable[str]) -> Registry:
        """Merge the plug-ins; `guard_order` names every guard as 'plugin.guard', in order.

        A name two plug-ins both register, a guard left out of the order, or an order naming
        a guard nobody registered is an error at start-up, not a surprise in a conversation.
        """
        plugins = list(plugins)
        guards = {f"{p.name}.{name}": g for p in plugins for name, g in p.guards.items()}
        order = list(guard_order)
        if sorted(order) != sorted(guards):
            raise ValueError(f"guard order {order} must name each guard once: {sorted(guards)}")
        return cls(
            actions=_merged(plugins, "actions"),
            views=_merged(plugins, "views"),
            choice_sources=_merged(plugins, "choice_sources"),
            readers=_merged(plugins, "readers"),
            guards=tuple(guards[name] for name in order),
            redirects=tuple(r for p in plugins for r in p.redirects.values()),
        )


def _merged(plugins: list[ConversationPlugin], kind: str) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for plugin in plugins:
        for name, function in getattr(plugin, kind).items():
            if name in merged:
                raise ValueError(f"{kind[:-1]} {name!r} is registered by two plug-ins")
            merged[name] = function
    return merged
