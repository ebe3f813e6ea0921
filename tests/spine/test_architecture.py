"""docs/architecture.md stays in step with the code and with the import contracts."""

from __future__ import annotations

import importlib.util
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
CONTRACTS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
    "importlinter"
]["contracts"]


def _diagram() -> str:
    found = re.search(r"```mermaid\n(.*?)```", DOC, re.S)
    assert found is not None, "docs/architecture.md has no mermaid diagram"
    return found.group(1)


def _subgraph(name: str) -> set[str]:
    found = re.search(rf"subgraph {name}\[.*?\]\n(.*?)\n    end", _diagram(), re.S)
    assert found is not None, f"no subgraph {name}"
    return set(re.findall(r"^\s+((?:bot|channels)\.[a-z0-9_.]+)", found.group(1), re.M))


def _packages(top: str) -> set[str]:
    return {
        f"{top}.{path.parent.name}"
        for path in (ROOT / top).glob("*/__init__.py")
        if path.parent.name != "migrations"
    }


def test_every_contract_is_described_and_every_description_is_a_contract() -> None:
    section = DOC.split("## Contracts", 1)[1]
    described = set(re.findall(r"^- \*\*(.+?)\*\*", section, re.M))
    assert described == {contract["name"] for contract in CONTRACTS}


def test_every_package_is_on_the_map_and_every_node_exists() -> None:
    nodes = set(re.findall(r"^\s+((?:bot|channels)\.[a-z0-9_.]+)", _diagram(), re.M))
    assert _packages("bot") | _packages("channels") <= nodes | {"bot.conversation"}
    for node in nodes:
        assert importlib.util.find_spec(node) is not None, f"{node} is drawn but does not exist"


def test_the_domains_drawn_are_the_ones_the_engine_may_not_import() -> None:
    engine = next(c for c in CONTRACTS if c["name"] == "The conversation engine imports no domain")
    forbidden_packages = {
        m
        for m in engine["forbidden_modules"]
        if m.count(".") == 1 and m not in ("bot.wiring", "bot.app")
    }
    assert _subgraph("domains") == forbidden_packages
    assert _subgraph("engine") == set(engine["source_modules"])


def test_the_channels_drawn_are_the_ones_only_the_wiring_may_import() -> None:
    wiring = next(c for c in CONTRACTS if c["name"] == "Only the wiring knows concrete channels")
    assert wiring["forbidden_modules"] == ["channels.*"]
    assert _subgraph("channels") == _packages("channels")


def test_no_module_of_bot_or_channels_is_over_400_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): lines
        for top in ("bot", "channels")
        for path in (ROOT / top).rglob("*.py")
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > 400
    }
    assert long == {}
