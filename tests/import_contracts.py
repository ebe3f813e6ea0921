"""An import-linter contract type: no import cycle between the modules of a package.

import-linter's own `acyclic_siblings` looks at packages as wholes; this one looks at modules,
where an import cycle actually bites (a module half-initialised when the other imports it).
Registered in pyproject.toml under `contract_types`; `lint-imports` runs it.
"""

from __future__ import annotations

from typing import Any

from grimp import ImportGraph
from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck


class AcyclicModulesContract(Contract):
    """Broken when the modules under `containers` import each other in a cycle."""

    type_name = "acyclic_modules"

    containers = fields.ListField(subfield=fields.StringField())

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        prefixes = tuple(str(container) for container in self.containers)  # type: ignore[attr-defined]
        modules = sorted(
            m
            for m in graph.modules
            if m.split(".")[0] in prefixes or m.startswith(tuple(p + "." for p in prefixes))
        )
        inside = set(modules)
        edges = {
            m: sorted(i for i in graph.find_modules_directly_imported_by(m) if i in inside)
            for m in modules
        }
        cycles = [sorted(group) for group in strongly_connected(edges) if len(group) > 1]
        cycles += [[m] for m in modules if m in edges[m]]
        return ContractCheck(kept=not cycles, metadata={"cycles": cycles})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for group in check.metadata["cycles"]:
            output.print_error(f"These modules import each other in a cycle: {', '.join(group)}")
            output.new_line()


def strongly_connected(edges: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components, without recursion."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups: list[list[str]] = []
    for root in edges:
        if root in index:
            continue
        work: list[tuple[str, Any]] = [(root, iter(edges[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                groups.append(group)
    return groups
