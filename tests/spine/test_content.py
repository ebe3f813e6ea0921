"""Shipped content is whole: every link resolves, no dead ends, diagrams current, catalogs full."""

from __future__ import annotations

from bot.content.check import problems
from bot.content.flows import Flow, Flows
from bot.i18n import check as catalogs
from bot.wiring import build_registry


def test_shipped_content_has_no_problems() -> None:
    assert problems(build_registry()) == []


def test_catalogs_are_current_and_english_is_complete() -> None:
    assert catalogs.problems() == []


def test_broken_flows_are_reported() -> None:
    broken = Flows(
        {
            "demo": Flow.model_validate(
                {
                    "flow": "demo",
                    "start": "a",
                    "steps": {
                        "a": {
                            "say": "Hej",
                            "choices": [{"key": "x", "label": "X", "goto": "nowhere"}],
                        },
                        "b": {"say": "Her stopper det."},
                        "c": {"do": "explode", "goto": "a"},
                        "d": {"show": "unknown_view", "goto": "a"},
                    },
                }
            )
        }
    )
    registry = build_registry()
    found = broken.problems(
        set(registry.actions), set(registry.views), set(registry.choice_sources)
    )
    assert any("goto 'nowhere' does not exist" in line for line in found)
    assert any("demo.b: dead end" in line for line in found)
    assert any("unknown action 'explode'" in line for line in found)
    assert any("unknown view 'unknown_view'" in line for line in found)
