"""The engine sits under the domains: it loads none of them, and they plug in through a registry."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bot.conversation.registry import ConversationPlugin, Registry
from bot.wiring import CONVERSATION, GUARDS, build_registry

# Packages of bot/ that are not domains: what the engine may stand on.
FOUNDATIONS = (
    "bot.content",
    "bot.i18n",
    "bot.paths",
    "bot.conversation.engine",
    "bot.conversation.turn",
    "bot.conversation.registry",
    "bot.conversation.intents",
)


def test_importing_the_engine_loads_no_domain_module() -> None:
    code = (
        "import json, sys, bot.conversation.engine; "
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('bot.'))))"
    )
    loaded = json.loads(
        subprocess.run(  # noqa: S603
            [sys.executable, "-c", code],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    assert "bot.conversation.engine" in loaded
    strangers = [
        m
        for m in loaded
        if m != "bot.conversation" and not any(m == f or m.startswith(f + ".") for f in FOUNDATIONS)
    ]
    assert strangers == []


def test_every_plugin_guard_is_placed_once() -> None:
    registry = build_registry()
    assert len(registry.guards) == len(GUARDS)
    assert "handoff" in registry.actions and "plan" in registry.views
    names = [plugin.name for plugin in CONVERSATION]
    assert len(names) == len(set(names))


def test_a_name_two_plugins_register_is_refused() -> None:
    first, second = ConversationPlugin("a"), ConversationPlugin("b")

    async def view(turn: object) -> str:
        return ""

    first.view("plan")(view)
    second.view("plan")(view)
    with pytest.raises(ValueError, match="'plan' is registered by two plug-ins"):
        Registry.of([first, second], guard_order=[])


def test_a_guard_left_out_of_the_order_is_refused() -> None:
    plugin = ConversationPlugin("a")

    async def guard(turn: object, steps: object) -> bool:
        return False

    plugin.guard("first")(guard)
    with pytest.raises(ValueError, match="must name each guard once"):
        Registry.of([plugin], guard_order=[])
    with pytest.raises(ValueError, match="must name each guard once"):
        Registry.of([plugin], guard_order=["a.first", "a.other"])
    assert Registry.of([plugin], guard_order=["a.first"]).guards == (guard,)


def test_one_plugin_cannot_register_a_name_twice() -> None:
    plugin = ConversationPlugin("a")

    async def action(turn: object, argument: str) -> None:
        return None

    plugin.action("go")(action)
    with pytest.raises(ValueError, match="registered twice"):
        plugin.action("go")(action)
