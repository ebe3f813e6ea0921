"""Check all content before it ships: flows link up, texts exist, diagrams are current."""

from __future__ import annotations

from bot.content.diagrams import diagram
from bot.content.flows import CONTENT_DIR, Flows, load_flows
from bot.content.texts import keywords
from bot.conversation.intents import reading
from bot.conversation.registry import Registry


def problems(registry: Registry, flows: Flows | None = None) -> list[str]:
    """Everything wrong with the shipped content, one line each.

    `registry` holds the names the flows may use (the composition root builds it).
    """
    try:
        flows = flows or load_flows()
    except ValueError as exc:
        return [str(exc)]
    found = flows.problems(
        set(registry.actions),
        set(registry.views),
        set(registry.choice_sources),
        set(registry.readers),
    )
    for flow in flows.flows.values():
        path = CONTENT_DIR / "flows" / f"{flow.flow}.mmd"
        if not path.exists() or path.read_text(encoding="utf-8") != diagram(flow, flows):
            found.append(f"{flow.flow}: diagram is out of date (run `indgang content diagrams`)")
    found += _intent_problems(flows)
    seen: dict[str, str] = {}
    for group, words in keywords().items():
        for word in words:
            if word in seen and seen[word] != group:
                found.append(f"keyword {word!r} is in both {seen[word]!r} and {group!r}")
            seen[word] = group
    return found


def _intent_problems(flows: Flows) -> list[str]:
    try:
        rules = reading()
    except ValueError as exc:
        return [f"intents.yaml: {exc}"]
    found = []
    for name, spec in rules.intents.items():
        flow_name, _, step_name = spec.goto.partition(".")
        flow = flows.flows.get(flow_name)
        if flow is None or (step_name and step_name not in flow.steps):
            found.append(f"intents.yaml: {name} goes to {spec.goto!r}, which does not exist")
    return found
